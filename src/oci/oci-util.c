/* SPDX-License-Identifier: Apache-2.0 */

#include <stdarg.h>
#include <string.h>

#include "oci-util.h"

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
        return strv_consume(env, entry);
}

const char *oci_env_get(char *const *env, const char *key) {
        size_t len = strlen(key);
        char **slot = env_find(env, key, len);

        return slot ? *slot + len + 1 : NULL;
}

int oci_pairs_set(char ***pairs, const char *key, const char *value) {
        _cleanup_free_ char *v = strdup(value);
        size_t n = strv_length(*pairs);
        int r;

        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i + 1 < n; i += 2)
                if (strcmp((*pairs)[i], key) == 0)
                        return free_and_replace((*pairs)[i + 1], v);
        r = strv_push(pairs, key);
        if (r < 0)
                return r;
        r = strv_consume(pairs, TAKE_PTR(v));
        if (r < 0) {
                /* Keep the list even: drop the key we just added. */
                n = strv_length(*pairs);
                (*pairs)[n - 1] = mfree((*pairs)[n - 1]);
        }
        return r;
}

const char *oci_pairs_get(char *const *pairs, const char *key) {
        size_t n = strv_length(pairs);

        for (size_t i = 0; i + 1 < n; i += 2)
                if (strcmp(pairs[i], key) == 0)
                        return pairs[i + 1];
        return NULL;
}
