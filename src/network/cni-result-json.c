/* SPDX-License-Identifier: Apache-2.0 */

/* GLib stays inside this file: what leaves it is malloc()ed memory and a negative errno. */

#include <arpa/inet.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/socket.h>

#include "cni-result.h"
#include "cni-util.h"
#include "log.h"

static int parse_root(const char *json, size_t size, JsonParser **ret_parser, JsonObject **ret) {
        g_autoptr(JsonParser) parser = json_parser_new_immutable();
        g_autoptr(GError) error = NULL;
        JsonNode *root;

        if (size > G_MAXSSIZE)
                return -EFBIG;
        if (!json_parser_load_from_data(parser, json, (gssize) size, &error))
                return log_debug_errno(EBADMSG, "Invalid JSON from CNI plugin: %s", error->message);
        root = json_parser_get_root(parser);
        if (!root || !JSON_NODE_HOLDS_OBJECT(root))
                return -EBADMSG;
        *ret = json_node_get_object(root);
        *ret_parser = g_steal_pointer(&parser);
        return 0;
}

/* An optional string member: absent or null gives NULL, anything but a string is an error. */
static int member_string(JsonObject *o, const char *key, char **ret) {
        JsonNode *n = json_object_get_member(o, key);

        *ret = NULL;
        if (!n || JSON_NODE_HOLDS_NULL(n))
                return 0;
        if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
                return -EBADMSG;
        *ret = strdup(json_node_get_string(n));
        return *ret ? 0 : -ENOMEM;
}

static int member_strv(JsonObject *o, const char *key, char ***ret) {
        _cleanup_(strv_freep) char **l = NULL;
        JsonNode *n = json_object_get_member(o, key);
        JsonArray *a;

        *ret = NULL;
        if (!n || JSON_NODE_HOLDS_NULL(n))
                return 0;
        if (!JSON_NODE_HOLDS_ARRAY(n))
                return -EBADMSG;
        a = json_node_get_array(n);
        for (guint i = 0; i < json_array_get_length(a); i++) {
                JsonNode *e = json_array_get_element(a, i);
                int r;

                if (!JSON_NODE_HOLDS_VALUE(e) || json_node_get_value_type(e) != G_TYPE_STRING)
                        return -EBADMSG;
                r = strv_push(&l, json_node_get_string(e));
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

static bool member_int(JsonObject *o, const char *key, gint64 *ret) {
        JsonNode *n = json_object_get_member(o, key);

        if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
                return false;
        *ret = json_node_get_int(n);
        return true;
}

static JsonArray *member_array(JsonObject *o, const char *key, int *error) {
        JsonNode *n = json_object_get_member(o, key);

        *error = 0;
        if (!n || JSON_NODE_HOLDS_NULL(n))
                return NULL;
        if (!JSON_NODE_HOLDS_ARRAY(n)) {
                *error = -EBADMSG;
                return NULL;
        }
        return json_node_get_array(n);
}

static JsonObject *element_object(JsonArray *a, guint i) {
        JsonNode *e = json_array_get_element(a, i);

        return JSON_NODE_HOLDS_OBJECT(e) ? json_node_get_object(e) : NULL;
}

/* The family of "10.1.2.3/24" or "fd00::2/64"; -EBADMSG unless it is an address with a prefix. */
static int cidr_family(const char *cidr) {
        unsigned char buf[sizeof(struct in6_addr)];
        char addr[INET6_ADDRSTRLEN];
        const char *slash = strchr(cidr, '/');
        char *end;
        long prefix;
        size_t len;

        if (!slash)
                return -EBADMSG;
        len = slash - cidr;
        if (len == 0 || len >= sizeof(addr))
                return -EBADMSG;
        memcpy(addr, cidr, len);
        addr[len] = '\0';
        errno = 0;
        prefix = strtol(slash + 1, &end, 10);
        if (errno != 0 || end == slash + 1 || *end != '\0' || prefix < 0)
                return -EBADMSG;
        if (inet_pton(AF_INET, addr, buf) == 1)
                return prefix <= 32 ? AF_INET : -EBADMSG;
        if (inet_pton(AF_INET6, addr, buf) == 1)
                return prefix <= 128 ? AF_INET6 : -EBADMSG;
        return -EBADMSG;
}

static bool streq_family(const char *version, int family) {
        return strcmp(version, family == AF_INET ? "4" : "6") == 0;
}

static bool address_valid(const char *s) {
        unsigned char buf[sizeof(struct in6_addr)];

        return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static int route_parse(JsonObject *o, CniRoute *ret) {
        _cleanup_free_ char *dst = NULL, *gw = NULL;
        int r;

        if (!o)
                return -EBADMSG;
        r = member_string(o, "dst", &dst);
        if (r < 0)
                return r;
        r = member_string(o, "gw", &gw);
        if (r < 0)
                return r;
        if (!dst || cidr_family(dst) < 0 || (gw && !address_valid(gw)))
                return -EBADMSG;
        *ret = (CniRoute) { .dst = TAKE_PTR(dst), .gw = TAKE_PTR(gw) };
        return 0;
}

static int routes_append(CniResult *res, JsonArray *a) {
        guint len = a ? json_array_get_length(a) : 0;
        CniRoute *n;

        if (len == 0)
                return 0;
        n = reallocarray(res->routes, res->n_routes + len, sizeof(CniRoute));
        if (!n)
                return -ENOMEM;
        res->routes = n;
        for (guint i = 0; i < len; i++) {
                int r = route_parse(element_object(a, i), &res->routes[res->n_routes]);
                if (r < 0)
                        return r;
                res->n_routes++;
        }
        return 0;
}

static int dns_parse(JsonObject *o, CniDns *ret) {
        JsonNode *n = json_object_get_member(o, "dns");
        JsonObject *d;
        int r;

        if (!n || JSON_NODE_HOLDS_NULL(n))
                return 0;
        if (!JSON_NODE_HOLDS_OBJECT(n))
                return -EBADMSG;
        d = json_node_get_object(n);
        r = member_strv(d, "nameservers", &ret->nameservers);
        if (r >= 0)
                r = member_string(d, "domain", &ret->domain);
        if (r >= 0)
                r = member_strv(d, "search", &ret->search);
        if (r >= 0)
                r = member_strv(d, "options", &ret->options);
        return r;
}

static int ips_append(CniResult *res, int family, const char *address, const char *gateway, int interface) {
        _cleanup_free_ char *a = strdup(address), *g = gateway ? strdup(gateway) : NULL;
        CniIpConfig *n;

        if (!a || (gateway && !g))
                return -ENOMEM;
        n = reallocarray(res->ips, res->n_ips + 1, sizeof(CniIpConfig));
        if (!n)
                return -ENOMEM;
        res->ips = n;
        res->ips[res->n_ips++] = (CniIpConfig) {
                .family = family,
                .address = TAKE_PTR(a),
                .gateway = TAKE_PTR(g),
                .interface = interface,
        };
        return 0;
}

/* 0.1.0 and 0.2.0: "ip4" and "ip6" objects, each with its own routes. */
static int legacy_parse(JsonObject *o, CniResult *res) {
        static const struct {
                const char *key;
                int family;
        } keys[] = { { "ip4", AF_INET }, { "ip6", AF_INET6 } };
        int r;

        for (size_t k = 0; k < ELEMENTSOF(keys); k++) {
                _cleanup_free_ char *ip = NULL, *gw = NULL;
                JsonNode *n = json_object_get_member(o, keys[k].key);
                JsonObject *ipo;
                JsonArray *routes;

                if (!n || JSON_NODE_HOLDS_NULL(n))
                        continue;
                if (!JSON_NODE_HOLDS_OBJECT(n))
                        return -EBADMSG;
                ipo = json_node_get_object(n);
                r = member_string(ipo, "ip", &ip);
                if (r < 0)
                        return r;
                r = member_string(ipo, "gateway", &gw);
                if (r < 0)
                        return r;
                if (!ip || cidr_family(ip) != keys[k].family || (gw && !address_valid(gw)))
                        return -EBADMSG;
                r = ips_append(res, keys[k].family, ip, gw, -1);
                if (r < 0)
                        return r;
                routes = member_array(ipo, "routes", &r);
                if (r < 0)
                        return r;
                r = routes_append(res, routes);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int interfaces_parse(JsonObject *o, CniResult *res) {
        JsonArray *a;
        guint len;
        int r;

        a = member_array(o, "interfaces", &r);
        if (r < 0)
                return r;
        len = a ? json_array_get_length(a) : 0;
        if (len == 0)
                return 0;
        res->interfaces = calloc(len, sizeof(CniInterface));
        if (!res->interfaces)
                return -ENOMEM;
        for (guint i = 0; i < len; i++) {
                JsonObject *io = element_object(a, i);
                CniInterface *iface = &res->interfaces[i];
                gint64 mtu;

                if (!io)
                        return -EBADMSG;
                res->n_interfaces++;
                r = member_string(io, "name", &iface->name);
                if (r >= 0)
                        r = member_string(io, "mac", &iface->mac);
                if (r >= 0)
                        r = member_string(io, "sandbox", &iface->sandbox);
                if (r < 0)
                        return r;
                if (!iface->name)
                        return -EBADMSG;
                if (iface->sandbox && iface->sandbox[0] == '\0')
                        iface->sandbox = mfree(iface->sandbox);
                if (member_int(io, "mtu", &mtu) && mtu > 0 && mtu < 1 << 20)
                        iface->mtu = (unsigned) mtu;
        }
        return 0;
}

/* 0.3.0 and later: "interfaces", "ips" (with "version" before 1.0.0), "routes". */
static int current_parse(JsonObject *o, CniResult *res, bool with_version) {
        JsonArray *a;
        int r;

        r = interfaces_parse(o, res);
        if (r < 0)
                return r;

        a = member_array(o, "ips", &r);
        if (r < 0)
                return r;
        for (guint i = 0; a && i < json_array_get_length(a); i++) {
                _cleanup_free_ char *address = NULL, *gateway = NULL, *version = NULL;
                JsonObject *io = element_object(a, i);
                gint64 iface = -1;
                int family;

                if (!io)
                        return -EBADMSG;
                r = member_string(io, "address", &address);
                if (r >= 0)
                        r = member_string(io, "gateway", &gateway);
                if (r >= 0)
                        r = member_string(io, "version", &version);
                if (r < 0)
                        return r;
                if (!address)
                        return -EBADMSG;
                family = cidr_family(address);
                if (family < 0 || (gateway && !address_valid(gateway)))
                        return -EBADMSG;
                /* "version" belongs to 0.3.x/0.4.0; where present it must agree with the address. */
                if (version && !streq_family(version, family))
                        return -EBADMSG;
                if (with_version && !version)
                        log_debug("CNI result without \"version\" in ips, accepting.");
                if (json_object_has_member(io, "interface")) {
                        if (!member_int(io, "interface", &iface) || iface < 0 ||
                            (size_t) iface >= res->n_interfaces)
                                return -EBADMSG;
                }
                r = ips_append(res, family, address, gateway, (int) iface);
                if (r < 0)
                        return r;
        }

        a = member_array(o, "routes", &r);
        if (r < 0)
                return r;
        return routes_append(res, a);
}

int cni_result_parse(const char *json, size_t size, CniResult **ret) {
        g_autoptr(JsonParser) parser = NULL;
        _cleanup_(cni_result_freep) CniResult *res = NULL;
        JsonObject *o;
        int cmp = 0, r;

        r = parse_root(json, size, &parser, &o);
        if (r < 0)
                return r;
        res = calloc(1, sizeof(CniResult));
        if (!res)
                return -ENOMEM;
        r = member_string(o, "cniVersion", &res->cni_version);
        if (r < 0)
                return r;
        /* Without a version, the shape tells: libcni treats an unversioned result as 0.1.0. */
        if (res->cni_version) {
                r = cni_version_compare(res->cni_version, "0.3.0", &cmp);
                if (r < 0)
                        return -EBADMSG;
        } else
                cmp = json_object_has_member(o, "ips") || json_object_has_member(o, "interfaces") ? 0 : -1;

        if (cmp < 0)
                r = legacy_parse(o, res);
        else {
                int cmp1;

                r = cni_version_compare(res->cni_version ?: "0.3.0", "1.0.0", &cmp1);
                if (r >= 0)
                        r = current_parse(o, res, cmp1 < 0);
        }
        if (r < 0)
                return r;
        r = dns_parse(o, &res->dns);
        if (r < 0)
                return r;

        res->json = strndup(json, size);
        if (!res->json)
                return -ENOMEM;
        *ret = TAKE_PTR(res);
        return 0;
}

int cni_error_parse(const char *json, size_t size, CniError *ret) {
        g_autoptr(JsonParser) parser = NULL;
        _cleanup_free_ char *msg = NULL, *details = NULL;
        JsonObject *o;
        gint64 code = 0;
        int r;

        r = parse_root(json, size, &parser, &o);
        if (r < 0)
                return r;
        if (!member_int(o, "code", &code) || code <= 0 || code > UINT32_MAX)
                return -EBADMSG;
        r = member_string(o, "msg", &msg);
        if (r >= 0)
                r = member_string(o, "details", &details);
        if (r < 0)
                return r;
        *ret = (CniError) {
                .code = (unsigned) code,
                .msg = TAKE_PTR(msg),
                .details = TAKE_PTR(details),
        };
        return 0;
}
