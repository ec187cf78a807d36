/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "pod-sysctl.h"

void pod_sysctls_free(PodSysctl *l, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(l[i].key);
                free(l[i].value);
                free(l[i].path);
        }
        free(l);
}

static bool startswith(const char *s, const char *prefix) {
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The key with '/' separators turned into '.', and dots inside parts marked (as '/'), so that the
 * namespace checks below see one spelling. */
static int normalize_key(const char *key, char **ret) {
        char *k = strdup(key);

        if (!k)
                return -ENOMEM;
        if (strchr(k, '/') && (!strchr(k, '.') || strchr(k, '/') < strchr(k, '.')))
                for (char *c = k; *c; c++)
                        *c = *c == '/' ? '.' : *c == '.' ? '/' : *c;
        *ret = k;
        return 0;
}

int pod_sysctl_validate(const char *key, const char *value, bool host_network, bool host_ipc,
                        const char **ret_reason) {
        _cleanup_free_ char *k = NULL;
        const char *reason = NULL;
        bool ipc, net;

        if (!key || !*key || strlen(key) > 255)
                reason = "invalid sysctl name";
        else if (!value)
                reason = "missing value";
        else if (key[strspn(key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./")] != '\0' ||
                 strstr(key, "..") || strstr(key, "//") || strchr("./", key[0]) ||
                 strchr("./", key[strlen(key) - 1]))
                reason = "invalid sysctl name";
        /* '+' and '=' would let pinns-style parsers read a second key=value out of the value. */
        else if (value[strcspn(value, "+=\n\r")] != '\0')
                reason = "value contains '+', '=' or a line break";
        if (reason)
                goto fail;

        if (normalize_key(key, &k) < 0)
                return -ENOMEM;
        ipc = strcmp(k, "kernel.sem") == 0 || startswith(k, "kernel.shm") || startswith(k, "kernel.msg") ||
                startswith(k, "fs.mqueue.");
        net = startswith(k, "net.");
        if (!ipc && !net)
                reason = "not a namespaced sysctl";
        else if (ipc && host_ipc)
                reason = "the pod uses the host IPC namespace";
        else if (net && host_network)
                reason = "the pod uses the host network namespace";
        else if (ipc && strchr(k, '/'))
                reason = "invalid sysctl name";
        if (!reason)
                return 0;
fail:
        if (ret_reason)
                *ret_reason = reason;
        return -EINVAL;
}

int pod_sysctl_path(const char *key, char **ret) {
        _cleanup_free_ char *k = NULL;

        if (normalize_key(key, &k) < 0)
                return -ENOMEM;
        /* Back from the normalized spelling: separators become '/', marked dots '.'. */
        for (char *c = k; *c; c++)
                *c = *c == '.' ? '/' : *c == '/' ? '.' : *c;
        if (asprintf(ret, "/proc/sys/%s", k) < 0)
                return -ENOMEM;
        return 0;
}

static int sysctl_set(PodSysctl **l, size_t *n, const char *key, const char *value) {
        _cleanup_free_ char *k = strdup(key), *v = strdup(value), *path = NULL;
        PodSysctl *grown;
        int r;

        if (!k || !v)
                return -ENOMEM;
        r = pod_sysctl_path(key, &path);
        if (r < 0)
                return r;
        for (size_t i = 0; i < *n; i++)
                if (strcmp((*l)[i].path, path) == 0) {
                        free_and_replace((*l)[i].value, v);
                        return 0;
                }
        grown = realloc(*l, (*n + 1) * sizeof(PodSysctl));
        if (!grown)
                return -ENOMEM;
        *l = grown;
        grown[(*n)++] = (PodSysctl) { TAKE_PTR(k), TAKE_PTR(v), TAKE_PTR(path) };
        return 0;
}

int pod_sysctls_build(char *const *defaults, char *const *requested, bool host_network, bool host_ipc,
                      PodSysctl **ret, size_t *ret_n, char **ret_error) {
        PodSysctl *l = NULL;
        size_t n = 0;
        const char *reason;
        int r = 0;

        for (char *const *d = defaults; d && *d && r >= 0; d++) {
                _cleanup_free_ char *key = NULL;
                const char *eq = strchr(*d, '=');

                if (!eq)
                        continue;
                key = strndup(*d, eq - *d);
                if (!key) {
                        r = -ENOMEM;
                        break;
                }
                if (pod_sysctl_validate(key, eq + 1, host_network, host_ipc, &reason) < 0) {
                        log_debug("Default sysctl %s not applied to this pod: %s.", key, reason);
                        continue;
                }
                r = sysctl_set(&l, &n, key, eq + 1);
        }

        for (char *const *p = requested; p && p[0] && p[1] && r >= 0; p += 2) {
                if (pod_sysctl_validate(p[0], p[1], host_network, host_ipc, &reason) < 0) {
                        if (ret_error && asprintf(ret_error, "sysctl \"%s=%s\" is not allowed: %s",
                                                  p[0], p[1], reason) < 0)
                                *ret_error = NULL;
                        r = -EINVAL;
                        break;
                }
                r = sysctl_set(&l, &n, p[0], p[1]);
        }
        if (r < 0) {
                pod_sysctls_free(l, n);
                return r;
        }
        *ret = l;
        *ret_n = n;
        return 0;
}
