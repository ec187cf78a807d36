/* SPDX-License-Identifier: Apache-2.0 */

#include <ctype.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "base64.h"
#include "log.h"
#include "registry-util.h"

static const char *const auth_scheme_table[_AUTH_SCHEME_MAX] = {
        [AUTH_SCHEME_BASIC] = "Basic",
        [AUTH_SCHEME_BEARER] = "Bearer",
};

const char *auth_scheme_to_string(AuthScheme s) {
        if (s < 0 || s >= _AUTH_SCHEME_MAX)
                return NULL;
        return auth_scheme_table[s];
}

AuthScheme auth_scheme_from_string(const char *s) {
        if (!s)
                return _AUTH_SCHEME_INVALID;
        for (AuthScheme i = 0; i < _AUTH_SCHEME_MAX; i++)
                if (strcasecmp(auth_scheme_table[i], s) == 0)
                        return i;
        return _AUTH_SCHEME_INVALID;
}

RegistryCredentials *registry_credentials_free(RegistryCredentials *c) {
        if (!c)
                return NULL;
        /* Secrets: wipe before handing the memory back. */
        if (c->password)
                explicit_bzero(c->password, strlen(c->password));
        if (c->identity_token)
                explicit_bzero(c->identity_token, strlen(c->identity_token));
        if (c->registry_token)
                explicit_bzero(c->registry_token, strlen(c->registry_token));
        free(c->username);
        free(c->password);
        free(c->identity_token);
        free(c->registry_token);
        return mfree(c);
}

static int set_string(char **field, const char *value) {
        if (!value || !*value)
                return 0;
        *field = strdup(value);
        return *field ? 0 : -ENOMEM;
}

int registry_credentials_copy(const RegistryCredentials *c, RegistryCredentials **ret) {
        _cleanup_(registry_credentials_freep) RegistryCredentials *n = calloc(1, sizeof(*n));

        if (!n)
                return -ENOMEM;
        if (set_string(&n->username, c->username) < 0 || set_string(&n->password, c->password) < 0 ||
            set_string(&n->identity_token, c->identity_token) < 0 ||
            set_string(&n->registry_token, c->registry_token) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(n);
        return 0;
}

/* "user:password" in base64, as auth.json and CRI's AuthConfig.auth carry it. */
static int decode_basic_auth(const char *auth, char **ret_user, char **ret_password) {
        _cleanup_free_ char *decoded = NULL;
        size_t size;
        char *colon;
        int r;

        r = base64_decode(auth, strlen(auth), &decoded, &size);
        if (r < 0)
                return r;
        if (memchr(decoded, '\0', size))
                r = -EINVAL;
        colon = strchr(decoded, ':');
        if (r < 0 || !colon) {
                explicit_bzero(decoded, size);
                return -EINVAL;
        }
        *colon = '\0';
        *ret_user = strdup(decoded);
        *ret_password = strdup(colon + 1);
        explicit_bzero(decoded, size);
        if (!*ret_user || !*ret_password) {
                *ret_user = mfree(*ret_user);
                *ret_password = mfree(*ret_password);
                return -ENOMEM;
        }
        return 0;
}

static bool empty(const char *s) {
        return !s || !*s;
}

int registry_credentials_from_auth_config(const AuthConfig *a, RegistryCredentials **ret) {
        _cleanup_(registry_credentials_freep) RegistryCredentials *c = NULL;
        int r;

        if (!a)
                return 0;
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        if (!empty(a->auth)) {
                r = decode_basic_auth(a->auth, &c->username, &c->password);
                if (r < 0)
                        return r;
        } else if (set_string(&c->username, a->username) < 0 || set_string(&c->password, a->password) < 0)
                return -ENOMEM;
        if (set_string(&c->identity_token, a->identity_token) < 0 ||
            set_string(&c->registry_token, a->registry_token) < 0)
                return -ENOMEM;

        if (empty(c->username) && !c->identity_token && !c->registry_token)
                return 0;
        *ret = TAKE_PTR(c);
        return 1;
}

/* The host part of a legacy key ("https://index.docker.io/v1/" → "docker.io"); other keys as
 * they are. */
static char *normalize_key(const char *key) {
        const char *rest;
        size_t n;

        rest = startswith(key, "https://") ?: startswith(key, "http://");
        if (!rest)
                return strdup(key);
        n = strcspn(rest, "/");
        if (n == strlen("index.docker.io") && strncmp(rest, "index.docker.io", n) == 0)
                return strdup("docker.io");
        return strndup(rest, n);
}

static int entry_to_credentials(JsonObject *entry, RegistryCredentials **ret) {
        _cleanup_(registry_credentials_freep) RegistryCredentials *c = NULL;
        JsonNode *n;
        int r;

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;

        n = json_object_get_member(entry, "auth");
        if (n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING &&
            *json_node_get_string(n)) {
                r = decode_basic_auth(json_node_get_string(n), &c->username, &c->password);
                if (r < 0)
                        return r == -ENOMEM ? r : -EBADMSG;
        }
        n = json_object_get_member(entry, "identitytoken");
        if (n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING &&
            set_string(&c->identity_token, json_node_get_string(n)) < 0)
                return -ENOMEM;

        if (empty(c->username) && !c->identity_token)
                return 0;
        *ret = TAKE_PTR(c);
        return 1;
}

int auth_json_lookup(const char *text, size_t size, const Reference *r, RegistryCredentials **ret) {
        g_autoptr(JsonParser) parser = json_parser_new();
        g_autoptr(GError) error = NULL;
        _cleanup_free_ char *name = NULL;
        JsonObject *auths = NULL, *best = NULL;
        JsonNode *root, *n;
        size_t best_len = 0;

        if (!r->domain)
                return -EINVAL;
        if (!json_parser_load_from_data(parser, text, (gssize) size, &error))
                return log_debug_errno(EBADMSG, "Malformed auth file: %s", error->message);
        root = json_parser_get_root(parser);
        if (!root || !JSON_NODE_HOLDS_OBJECT(root))
                return -EBADMSG;
        n = json_object_get_member(json_node_get_object(root), "auths");
        if (!n || JSON_NODE_HOLDS_NULL(n))
                return 0;
        if (!JSON_NODE_HOLDS_OBJECT(n))
                return -EBADMSG;
        auths = json_node_get_object(n);

        name = reference_name(r);
        if (!name)
                return -ENOMEM;

        /* The longest key that is the name itself or a component-wise prefix of it wins. */
        JsonObjectIter iter;
        const char *key;
        JsonNode *value;
        json_object_iter_init(&iter, auths);
        while (json_object_iter_next(&iter, &key, &value)) {
                _cleanup_free_ char *k = normalize_key(key);
                size_t l;

                if (!k)
                        return -ENOMEM;
                l = strlen(k);
                if (l == 0 || strncmp(name, k, l) != 0 || !IN_SET(name[l], '\0', '/'))
                        continue;
                if (!JSON_NODE_HOLDS_OBJECT(value))
                        return -EBADMSG;
                /* Equal length: an exact key beats a legacy one that normalized to it. */
                if (l > best_len || (l == best_len && streq(k, key))) {
                        best = json_node_get_object(value);
                        best_len = l;
                }
        }
        if (!best)
                return 0;
        return entry_to_credentials(best, ret);
}

int auth_file_lookup(const char *path, const Reference *r, RegistryCredentials **ret) {
        g_autofree char *text = NULL;
        g_autoptr(GError) error = NULL;
        gsize size;
        int k;

        if (!g_file_get_contents(path, &text, &size, &error)) {
                if (g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
                        return 0;
                return log_warning_errno(EIO, "Failed to read %s: %s", path, error->message);
        }
        k = auth_json_lookup(text, size, r, ret);
        explicit_bzero(text, size);
        if (k == -EBADMSG)
                log_warning("Malformed auth file %s.", path);
        return k;
}

int auth_files_lookup(const char *const *paths, size_t n_paths, const Reference *r, RegistryCredentials **ret) {
        for (size_t i = 0; i < n_paths; i++) {
                int k;

                if (empty(paths[i]))
                        continue;
                k = auth_file_lookup(paths[i], r, ret);
                if (k != 0)
                        return k;
        }
        return 0;
}

void auth_challenge_array_free(AuthChallenge *a, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(a[i].scheme);
                free(a[i].token68);
                for (size_t j = 0; j < a[i].n_params * 2; j++)
                        free(a[i].params[j]);
                free(a[i].params);
        }
        free(a);
}

const char *auth_challenge_get(const AuthChallenge *c, const char *name) {
        for (size_t i = 0; i < c->n_params; i++)
                if (strcasecmp(c->params[2 * i], name) == 0)
                        return c->params[2 * i + 1];
        return NULL;
}

/* RFC 7230 tchar */
static bool is_tchar(char c) {
        return isalnum((unsigned char) c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static void skip_ows(const char **p) {
        while (**p == ' ' || **p == '\t')
                (*p)++;
}

static char *read_token(const char **p) {
        const char *start = *p;

        while (is_tchar(**p))
                (*p)++;
        return *p > start ? strndup(start, *p - start) : NULL;
}

static int read_quoted(const char **p, char **ret) {
        _cleanup_free_ char *out = NULL;
        const char *s = *p + 1;
        size_t n = 0;

        out = malloc(strlen(s) + 1);
        if (!out)
                return -ENOMEM;
        for (;;) {
                if (*s == '\0')
                        return -EBADMSG;
                if (*s == '"')
                        break;
                if (*s == '\\') {
                        s++;
                        if (*s == '\0')
                                return -EBADMSG;
                }
                if ((unsigned char) *s < 0x20 && *s != '\t')
                        return -EBADMSG;
                out[n++] = *s++;
        }
        out[n] = '\0';
        *p = s + 1;
        *ret = TAKE_PTR(out);
        return 0;
}

/* After a ',' in a challenge list: is the next element "name=value" (a parameter) or a new scheme? */
static bool next_is_param(const char *p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
                p++;
        if (!is_tchar(*p))
                return false;
        while (is_tchar(*p))
                p++;
        skip_ows(&p);
        return *p == '=';
}

static int add_param(AuthChallenge *c, char *name, char *value) {
        char **a = reallocarray(c->params, c->n_params * 2 + 2, sizeof(char *));

        if (!a) {
                free(name);
                free(value);
                return -ENOMEM;
        }
        c->params = a;
        for (char *q = name; *q; q++)
                *q = (char) tolower((unsigned char) *q);
        a[c->n_params * 2] = name;
        a[c->n_params * 2 + 1] = value;
        c->n_params++;
        return 0;
}

static int parse_params(const char **pp, AuthChallenge *c) {
        const char *p = *pp;
        int r;

        for (;;) {
                char *name, *value = NULL;

                skip_ows(&p);
                name = read_token(&p);
                if (!name)
                        return -EBADMSG;
                skip_ows(&p);
                if (*p != '=') {
                        free(name);
                        return -EBADMSG;
                }
                p++;
                skip_ows(&p);
                if (*p == '"') {
                        r = read_quoted(&p, &value);
                        if (r < 0) {
                                free(name);
                                return r;
                        }
                } else {
                        value = read_token(&p);
                        if (!value)
                                value = strdup("");
                        if (!value) {
                                free(name);
                                return -ENOMEM;
                        }
                }
                r = add_param(c, name, value);
                if (r < 0)
                        return r;

                skip_ows(&p);
                if (*p == '\0')
                        break;
                if (*p != ',')
                        return -EBADMSG;
                if (!next_is_param(p))
                        break;
                while (*p == ',' || *p == ' ' || *p == '\t')
                        p++;
        }
        *pp = p;
        return 0;
}

int auth_challenges_parse(const char *header, AuthChallenge **ret, size_t *ret_n) {
        AuthChallenge *list = NULL;
        const char *p = header;
        size_t n = 0;
        int r = 0;

        for (;;) {
                AuthChallenge *a;

                while (*p == ' ' || *p == '\t' || *p == ',')
                        p++;
                if (*p == '\0')
                        break;

                a = reallocarray(list, n + 1, sizeof(AuthChallenge));
                if (!a) {
                        r = -ENOMEM;
                        break;
                }
                list = a;
                a = &list[n++];
                *a = (AuthChallenge) {};

                a->scheme = read_token(&p);
                if (!a->scheme) {
                        r = -EBADMSG;
                        break;
                }
                if (*p == '\0' || *p == ',')
                        continue;
                if (*p != ' ' && *p != '\t') {
                        r = -EBADMSG;
                        break;
                }
                skip_ows(&p);
                if (*p == '\0' || *p == ',')
                        continue;

                if (next_is_param(p)) {
                        r = parse_params(&p, a);
                        if (r < 0)
                                break;
                } else {
                        /* token68: [A-Za-z0-9-._~+/]+ =* */
                        const char *start = p;

                        while (isalnum((unsigned char) *p) || (*p && strchr("-._~+/", *p)))
                                p++;
                        while (*p == '=')
                                p++;
                        if (p == start) {
                                r = -EBADMSG;
                                break;
                        }
                        a->token68 = strndup(start, p - start);
                        if (!a->token68) {
                                r = -ENOMEM;
                                break;
                        }
                        skip_ows(&p);
                        if (*p != '\0' && *p != ',') {
                                r = -EBADMSG;
                                break;
                        }
                }
        }

        if (r < 0) {
                auth_challenge_array_free(list, n);
                return r;
        }
        *ret = list;
        *ret_n = n;
        return 0;
}

const AuthChallenge *auth_challenges_pick(const AuthChallenge *a, size_t n, AuthScheme *ret_scheme) {
        static const AuthScheme preference[] = { AUTH_SCHEME_BEARER, AUTH_SCHEME_BASIC };

        for (size_t k = 0; k < ELEMENTSOF(preference); k++)
                for (size_t i = 0; i < n; i++)
                        if (auth_scheme_from_string(a[i].scheme) == preference[k]) {
                                if (ret_scheme)
                                        *ret_scheme = preference[k];
                                return &a[i];
                        }
        return NULL;
}

char *url_escape(const char *s) {
        char *out = malloc(strlen(s) * 3 + 1), *o = out;

        if (!out)
                return NULL;
        for (; *s; s++) {
                unsigned char c = (unsigned char) *s;
                if (isalnum(c) || strchr("-._~", c) )
                        *o++ = (char) c;
                else
                        o += sprintf(o, "%%%02X", c);
        }
        *o = '\0';
        return out;
}

int auth_token_scope(const AuthChallenge *c, const char *repository_path, char **ret) {
        const char *scope = auth_challenge_get(c, "scope");
        char *s;

        if (scope && *scope)
                s = strdup(scope);
        else if (asprintf(&s, "repository:%s:pull", repository_path) < 0)
                s = NULL;
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

/* "service=...&scope=..." with whatever the challenge gave. */
static int token_query(const AuthChallenge *c, const char *repository_path, char **ret) {
        _cleanup_free_ char *scope = NULL, *scope_e = NULL, *service_e = NULL;
        const char *service = auth_challenge_get(c, "service");
        char *q;
        int r;

        r = auth_token_scope(c, repository_path, &scope);
        if (r < 0)
                return r;
        scope_e = url_escape(scope);
        if (!scope_e)
                return -ENOMEM;
        if (service) {
                service_e = url_escape(service);
                if (!service_e)
                        return -ENOMEM;
        }
        if (asprintf(&q, "%s%s%sscope=%s", service ? "service=" : "", service_e ?: "", service ? "&" : "",
                     scope_e) < 0)
                return -ENOMEM;
        *ret = q;
        return 0;
}

int auth_token_url(const AuthChallenge *c, const char *repository_path, char **ret) {
        _cleanup_free_ char *query = NULL;
        const char *realm = auth_challenge_get(c, "realm");
        char *url;
        int r;

        if (!realm || !(startswith_no_case(realm, "https://") || startswith_no_case(realm, "http://")))
                return -EBADMSG;
        r = token_query(c, repository_path, &query);
        if (r < 0)
                return r;
        if (asprintf(&url, "%s%c%s", realm, strchr(realm, '?') ? '&' : '?', query) < 0)
                return -ENOMEM;
        *ret = url;
        return 0;
}

int auth_token_form(const AuthChallenge *c, const char *repository_path, const char *refresh_token, char **ret) {
        _cleanup_free_ char *query = NULL, *token_e = NULL;
        char *form;
        int r;

        r = token_query(c, repository_path, &query);
        if (r < 0)
                return r;
        token_e = url_escape(refresh_token);
        if (!token_e)
                return -ENOMEM;
        if (asprintf(&form, "grant_type=refresh_token&client_id=crio&%s&refresh_token=%s", query, token_e) < 0)
                return -ENOMEM;
        *ret = form;
        return 0;
}

int auth_token_response_parse(const char *body, size_t size, char **ret_token, uint64_t *ret_expires_in) {
        g_autoptr(JsonParser) parser = json_parser_new();
        g_autoptr(GError) error = NULL;
        const char *token = NULL;
        uint64_t expires = 60;
        JsonObject *o;
        JsonNode *root, *n;
        char *t;

        if (!json_parser_load_from_data(parser, body, (gssize) size, &error))
                return -EBADMSG;
        root = json_parser_get_root(parser);
        if (!root || !JSON_NODE_HOLDS_OBJECT(root))
                return -EBADMSG;
        o = json_node_get_object(root);

        for (const char *const *k = (const char *const[]) { "token", "access_token", NULL }; *k; k++) {
                n = json_object_get_member(o, *k);
                if (n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING &&
                    *json_node_get_string(n)) {
                        token = json_node_get_string(n);
                        break;
                }
        }
        if (!token)
                return -EBADMSG;
        n = json_object_get_member(o, "expires_in");
        if (n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64 &&
            json_node_get_int(n) > 0)
                expires = (uint64_t) json_node_get_int(n);

        t = strdup(token);
        if (!t)
                return -ENOMEM;
        *ret_token = t;
        if (ret_expires_in)
                *ret_expires_in = expires;
        return 0;
}
