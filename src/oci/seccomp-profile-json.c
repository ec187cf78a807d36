/* SPDX-License-Identifier: Apache-2.0 */

/* GLib stays inside this file: what leaves it is malloc()ed memory and a negative errno. */

#include <string.h>

#include "log.h"
#include "oci-json.h"
#include "oci-util.h"
#include "seccomp-profile.h"

static bool node_is_string(JsonNode *n) {
        return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING;
}

static bool node_is_int(JsonNode *n) {
        return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64;
}

static bool node_absent(JsonNode *n) {
        return !n || JSON_NODE_HOLDS_NULL(n);
}

static int get_string(JsonObject *o, const char *key, char **ret) {
        JsonNode *n = json_object_get_member(o, key);

        *ret = NULL;
        if (node_absent(n))
                return 0;
        if (!node_is_string(n))
                return log_debug_errno(EBADMSG, "Seccomp profile: \"%s\" is not a string.", key);
        *ret = strdup(json_node_get_string(n));
        return *ret ? 1 : -ENOMEM;
}

static int get_strv(JsonObject *o, const char *key, char ***ret) {
        _cleanup_(strv_freep) char **l = NULL;
        JsonNode *n = json_object_get_member(o, key);
        JsonArray *a;
        int r;

        *ret = NULL;
        if (node_absent(n))
                return 0;
        if (!JSON_NODE_HOLDS_ARRAY(n))
                return log_debug_errno(EBADMSG, "Seccomp profile: \"%s\" is not an array.", key);
        a = json_node_get_array(n);
        l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (guint i = 0; i < json_array_get_length(a); i++) {
                JsonNode *e = json_array_get_element(a, i);

                if (!node_is_string(e))
                        return log_debug_errno(EBADMSG, "Seccomp profile: \"%s\" holds a non-string.", key);
                r = strv_push(&l, json_node_get_string(e));
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(l);
        return 1;
}

static int get_uint(JsonObject *o, const char *key, uint64_t max, bool *has, uint64_t *ret) {
        JsonNode *n = json_object_get_member(o, key);
        gint64 v;

        *has = false;
        if (node_absent(n))
                return 0;
        if (!node_is_int(n))
                return log_debug_errno(EBADMSG, "Seccomp profile: \"%s\" is not an integer.", key);
        v = json_node_get_int(n);
        if (v < 0 || (uint64_t) v > max)
                return log_debug_errno(EBADMSG, "Seccomp profile: \"%s\" is out of range.", key);
        *ret = (uint64_t) v;
        *has = true;
        return 0;
}

static JsonArray *get_array(JsonObject *o, const char *key, int *error) {
        JsonNode *n = json_object_get_member(o, key);

        *error = 0;
        if (node_absent(n))
                return NULL;
        if (!JSON_NODE_HOLDS_ARRAY(n)) {
                *error = log_debug_errno(EBADMSG, "Seccomp profile: \"%s\" is not an array.", key);
                return NULL;
        }
        return json_node_get_array(n);
}

static int parse_action(JsonObject *o, const char *key, bool required, SeccompAction *ret) {
        _cleanup_free_ char *s = NULL;
        int r;

        r = get_string(o, key, &s);
        if (r < 0)
                return r;
        if (!s)
                return required ? log_debug_errno(EBADMSG, "Seccomp profile: \"%s\" is missing.", key) : 0;
        *ret = seccomp_action_from_string(s);
        if (*ret < 0)
                return log_debug_errno(EBADMSG, "Seccomp profile: unknown action \"%s\".", s);
        return 0;
}

static int parse_arches(char **l) {
        for (char **a = l; a && *a; a++)
                if (!seccomp_arch_name_is_valid(*a))
                        return log_debug_errno(EBADMSG, "Seccomp profile: unknown architecture \"%s\".", *a);
        return 0;
}

static int parse_filter(JsonObject *o, const char *key, SeccompFilter *ret) {
        JsonNode *n = json_object_get_member(o, key);
        JsonObject *f;
        int r;

        if (node_absent(n))
                return 0;
        if (!JSON_NODE_HOLDS_OBJECT(n))
                return log_debug_errno(EBADMSG, "Seccomp profile: \"%s\" is not an object.", key);
        f = json_node_get_object(n);
        r = get_strv(f, "caps", &ret->caps);
        if (r >= 0)
                r = get_strv(f, "arches", &ret->arches);
        if (r >= 0)
                r = get_string(f, "minKernel", &ret->min_kernel);
        return r < 0 ? r : 0;
}

static int parse_args(JsonArray *a, SeccompSyscall *s) {
        guint len = a ? json_array_get_length(a) : 0;

        if (len == 0)
                return 0;
        s->args = calloc(len, sizeof(SeccompArg));
        if (!s->args)
                return -ENOMEM;
        for (guint i = 0; i < len; i++) {
                JsonNode *e = json_array_get_element(a, i);
                _cleanup_free_ char *op = NULL;
                SeccompArg *arg = &s->args[i];
                uint64_t v = 0;
                bool has;
                JsonObject *ao;
                int r;

                if (!JSON_NODE_HOLDS_OBJECT(e))
                        return log_debug_errno(EBADMSG, "Seccomp profile: an argument is not an object.");
                ao = json_node_get_object(e);
                /* Syscalls take six arguments. */
                r = get_uint(ao, "index", 5, &has, &v);
                if (r < 0)
                        return r;
                arg->index = (unsigned) v;
                r = get_uint(ao, "value", UINT64_MAX, &has, &arg->value);
                if (r < 0)
                        return r;
                r = get_uint(ao, "valueTwo", UINT64_MAX, &has, &arg->value_two);
                if (r < 0)
                        return r;
                r = get_string(ao, "op", &op);
                if (r < 0)
                        return r;
                arg->op = seccomp_operator_from_string(op);
                if (arg->op < 0)
                        return log_debug_errno(EBADMSG, "Seccomp profile: unknown operator \"%s\".", op ?: "(none)");
                s->n_args++;
        }
        return 0;
}

static int parse_syscall(JsonObject *o, SeccompSyscall *s) {
        _cleanup_free_ char *name = NULL;
        uint64_t v = 0;
        JsonArray *args;
        int r;

        r = get_strv(o, "names", &s->names);
        if (r < 0)
                return r;
        r = get_string(o, "name", &name);
        if (r < 0)
                return r;
        if (name && s->names && s->names[0])
                return log_debug_errno(EBADMSG, "Seccomp profile: a rule has both \"name\" and \"names\".");
        if (name) {
                s->names = strv_free(s->names);
                r = strv_consume(&s->names, TAKE_PTR(name));
                if (r < 0)
                        return r;
        }
        if (!s->names || !s->names[0])
                return log_debug_errno(EBADMSG, "Seccomp profile: a rule names no syscall.");
        r = parse_action(o, "action", true, &s->action);
        if (r < 0)
                return r;
        r = get_uint(o, "errnoRet", UINT32_MAX, &s->has_errno_ret, &v);
        if (r < 0)
                return r;
        s->errno_ret = (uint32_t) v;
        args = get_array(o, "args", &r);
        if (r < 0)
                return r;
        r = parse_args(args, s);
        if (r < 0)
                return r;
        r = parse_filter(o, "includes", &s->includes);
        if (r < 0)
                return r;
        return parse_filter(o, "excludes", &s->excludes);
}

static int parse_arch_map(JsonArray *a, SeccompProfile *p) {
        guint len = a ? json_array_get_length(a) : 0;
        int r;

        if (len == 0)
                return 0;
        p->arch_map = calloc(len, sizeof(SeccompArchMap));
        if (!p->arch_map)
                return -ENOMEM;
        for (guint i = 0; i < len; i++) {
                JsonNode *e = json_array_get_element(a, i);
                SeccompArchMap *m = &p->arch_map[p->n_arch_map++];
                JsonObject *mo;

                if (!JSON_NODE_HOLDS_OBJECT(e))
                        return log_debug_errno(EBADMSG, "Seccomp profile: an archMap entry is not an object.");
                mo = json_node_get_object(e);
                r = get_string(mo, "architecture", &m->arch);
                if (r < 0)
                        return r;
                if (!m->arch || !seccomp_arch_name_is_valid(m->arch))
                        return log_debug_errno(EBADMSG, "Seccomp profile: bad archMap architecture.");
                r = get_strv(mo, "subArchitectures", &m->sub_arches);
                if (r < 0)
                        return r;
                r = parse_arches(m->sub_arches);
                if (r < 0)
                        return r;
        }
        return 0;
}

int seccomp_profile_parse(const char *json, size_t size, SeccompProfile **ret) {
        _cleanup_(seccomp_profile_freep) SeccompProfile *p = NULL;
        g_autoptr(JsonParser) parser = json_parser_new_immutable();
        g_autoptr(GError) error = NULL;
        JsonArray *syscalls, *arch_map;
        JsonObject *o;
        JsonNode *root;
        uint64_t v = 0;
        int r;

        if (size > G_MAXSSIZE)
                return -EFBIG;
        if (!json_parser_load_from_data(parser, json, (gssize) size, &error))
                return log_debug_errno(EBADMSG, "Seccomp profile is not valid JSON: %s", error->message);
        root = json_parser_get_root(parser);
        if (!root || !JSON_NODE_HOLDS_OBJECT(root))
                return log_debug_errno(EBADMSG, "Seccomp profile is not a JSON object.");
        o = json_node_get_object(root);

        p = calloc(1, sizeof(SeccompProfile));
        if (!p)
                return -ENOMEM;
        r = parse_action(o, "defaultAction", true, &p->default_action);
        if (r < 0)
                return r;
        r = get_uint(o, "defaultErrnoRet", UINT32_MAX, &p->has_default_errno_ret, &v);
        if (r < 0)
                return r;
        p->default_errno_ret = (uint32_t) v;
        r = get_strv(o, "architectures", &p->architectures);
        if (r < 0)
                return r;
        r = parse_arches(p->architectures);
        if (r < 0)
                return r;
        arch_map = get_array(o, "archMap", &r);
        if (r < 0)
                return r;
        r = parse_arch_map(arch_map, p);
        if (r < 0)
                return r;
        if (p->architectures && p->architectures[0] && p->n_arch_map > 0)
                return log_debug_errno(EBADMSG, "Seccomp profile has both \"architectures\" and \"archMap\".");
        r = get_strv(o, "flags", &p->flags);
        if (r < 0)
                return r;
        r = get_string(o, "listenerPath", &p->listener_path);
        if (r < 0)
                return r;
        r = get_string(o, "listenerMetadata", &p->listener_metadata);
        if (r < 0)
                return r;

        syscalls = get_array(o, "syscalls", &r);
        if (r < 0)
                return r;
        if (syscalls && json_array_get_length(syscalls) > 0) {
                guint len = json_array_get_length(syscalls);

                p->syscalls = calloc(len, sizeof(SeccompSyscall));
                if (!p->syscalls)
                        return -ENOMEM;
                for (guint i = 0; i < len; i++) {
                        JsonNode *e = json_array_get_element(syscalls, i);

                        if (!JSON_NODE_HOLDS_OBJECT(e))
                                return log_debug_errno(EBADMSG, "Seccomp profile: a syscall rule is not an object.");
                        /* Counted before parsing, so a half-parsed rule is freed with the profile. */
                        p->n_syscalls++;
                        r = parse_syscall(json_node_get_object(e), &p->syscalls[i]);
                        if (r < 0)
                                return r;
                }
        }
        *ret = TAKE_PTR(p);
        return 0;
}

static void add_strv(JsonBuilder *b, const char *key, char *const *l) {
        json_builder_set_member_name(b, key);
        json_builder_begin_array(b);
        for (char *const *i = l; i && *i; i++)
                json_builder_add_string_value(b, *i);
        json_builder_end_array(b);
}

void seccomp_profile_build_json(JsonBuilder *b, const SeccompProfile *p) {
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "defaultAction");
        json_builder_add_string_value(b, seccomp_action_to_string(p->default_action));
        if (p->has_default_errno_ret) {
                json_builder_set_member_name(b, "defaultErrnoRet");
                json_builder_add_int_value(b, p->default_errno_ret);
        }
        if (p->architectures && p->architectures[0])
                add_strv(b, "architectures", p->architectures);
        if (p->flags && p->flags[0])
                add_strv(b, "flags", p->flags);
        if (p->listener_path) {
                json_builder_set_member_name(b, "listenerPath");
                json_builder_add_string_value(b, p->listener_path);
        }
        if (p->listener_metadata) {
                json_builder_set_member_name(b, "listenerMetadata");
                json_builder_add_string_value(b, p->listener_metadata);
        }
        if (p->n_syscalls > 0) {
                json_builder_set_member_name(b, "syscalls");
                json_builder_begin_array(b);
                for (size_t i = 0; i < p->n_syscalls; i++) {
                        const SeccompSyscall *s = &p->syscalls[i];

                        json_builder_begin_object(b);
                        add_strv(b, "names", s->names);
                        json_builder_set_member_name(b, "action");
                        json_builder_add_string_value(b, seccomp_action_to_string(s->action));
                        if (s->has_errno_ret) {
                                json_builder_set_member_name(b, "errnoRet");
                                json_builder_add_int_value(b, s->errno_ret);
                        }
                        if (s->n_args > 0) {
                                json_builder_set_member_name(b, "args");
                                json_builder_begin_array(b);
                                for (size_t j = 0; j < s->n_args; j++) {
                                        json_builder_begin_object(b);
                                        json_builder_set_member_name(b, "index");
                                        json_builder_add_int_value(b, s->args[j].index);
                                        /* The parser caps values at INT64_MAX, json-glib's limit. */
                                        json_builder_set_member_name(b, "value");
                                        json_builder_add_int_value(b, (gint64) s->args[j].value);
                                        json_builder_set_member_name(b, "valueTwo");
                                        json_builder_add_int_value(b, (gint64) s->args[j].value_two);
                                        json_builder_set_member_name(b, "op");
                                        json_builder_add_string_value(b, seccomp_operator_to_string(s->args[j].op));
                                        json_builder_end_object(b);
                                }
                                json_builder_end_array(b);
                        }
                        json_builder_end_object(b);
                }
                json_builder_end_array(b);
        }
        json_builder_end_object(b);
}
