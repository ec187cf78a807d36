/* SPDX-License-Identifier: Apache-2.0 */

#include <stdarg.h>
#include <string.h>

#include "oci-util.h"

char **oci_strv_free(char **l) {
        if (!l)
                return NULL;
        for (char **i = l; *i; i++)
                free(*i);
        free(l);
        return NULL;
}

size_t oci_strv_length(char *const *l) {
        size_t n = 0;

        if (l)
                while (l[n])
                        n++;
        return n;
}

bool oci_strv_contains(char *const *l, const char *s) {
        if (l)
                for (char *const *i = l; *i; i++)
                        if (strcmp(*i, s) == 0)
                                return true;
        return false;
}

int oci_strv_consume(char ***l, char *s) {
        size_t n = oci_strv_length(*l);
        char **m;

        if (!s)
                return -ENOMEM;
        m = reallocarray(*l, n + 2, sizeof(char *));
        if (!m) {
                free(s);
                return -ENOMEM;
        }
        m[n] = s;
        m[n + 1] = NULL;
        *l = m;
        return 0;
}

int oci_strv_push(char ***l, const char *s) {
        return oci_strv_consume(l, strdup(s));
}

int oci_strv_copy(char *const *l, char ***ret) {
        _cleanup_(oci_strv_freep) char **c = calloc(1, sizeof(char *));
        int r;

        if (!c)
                return -ENOMEM;
        if (l)
                for (char *const *i = l; *i; i++) {
                        r = oci_strv_push(&c, *i);
                        if (r < 0)
                                return r;
                }
        *ret = TAKE_PTR(c);
        return 0;
}

int oci_strv_new(char ***ret, const char *first, ...) {
        _cleanup_(oci_strv_freep) char **c = calloc(1, sizeof(char *));
        va_list ap;
        int r = 0;

        if (!c)
                return -ENOMEM;
        va_start(ap, first);
        for (const char *s = first; s; s = va_arg(ap, const char *)) {
                r = oci_strv_push(&c, s);
                if (r < 0)
                        break;
        }
        va_end(ap);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}

size_t oci_env_key_length(const char *entry) {
        const char *eq = strchr(entry, '=');

        return eq ? (size_t) (eq - entry) : 0;
}

static char **env_find(char *const *env, const char *key, size_t keylen) {
        if (env)
                for (char *const *i = env; *i; i++)
                        if (oci_env_key_length(*i) == keylen && strncmp(*i, key, keylen) == 0)
                                return (char **) i;
        return NULL;
}

int oci_env_set(char ***env, const char *key, const char *value) {
        char *entry, **slot;

        if (asprintf(&entry, "%s=%s", key, value ?: "") < 0)
                return -ENOMEM;
        slot = env_find(*env, key, strlen(key));
        if (slot) {
                free(*slot);
                *slot = entry;
                return 0;
        }
        return oci_strv_consume(env, entry);
}

const char *oci_env_get(char *const *env, const char *key) {
        size_t len = strlen(key);
        char **slot = env_find(env, key, len);

        return slot ? *slot + len + 1 : NULL;
}

int oci_pairs_set(char ***pairs, const char *key, const char *value) {
        _cleanup_free_ char *v = strdup(value);
        size_t n = oci_strv_length(*pairs);
        int r;

        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i + 1 < n; i += 2)
                if (strcmp((*pairs)[i], key) == 0)
                        return free_and_replace((*pairs)[i + 1], v);
        r = oci_strv_push(pairs, key);
        if (r < 0)
                return r;
        r = oci_strv_consume(pairs, TAKE_PTR(v));
        if (r < 0) {
                /* Keep the list even: drop the key we just added. */
                n = oci_strv_length(*pairs);
                (*pairs)[n - 1] = mfree((*pairs)[n - 1]);
        }
        return r;
}

const char *oci_pairs_get(char *const *pairs, const char *key) {
        size_t n = oci_strv_length(pairs);

        for (size_t i = 0; i + 1 < n; i += 2)
                if (strcmp(pairs[i], key) == 0)
                        return pairs[i + 1];
        return NULL;
}
