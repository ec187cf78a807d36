/* SPDX-License-Identifier: Apache-2.0 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cni-config.h"
#include "cni-util.h"
#include "log.h"

/* Network configs are small; anything bigger is not one. */
#define CNI_CONFIG_MAX (1024 * 1024)

static void plugin_done(CniPlugin *p) {
        free(p->type);
        free(p->json);
        strv_free(p->capabilities);
}

static CniNetwork *network_free(CniNetwork *n) {
        for (size_t i = 0; i < n->n_plugins; i++)
                plugin_done(&n->plugins[i]);
        free(n->plugins);
        free(n->name);
        free(n->cni_version);
        free(n->json);
        free(n->path);
        return mfree(n);
}

CniNetwork *cni_network_ref(CniNetwork *n) {
        if (n)
                n->n_ref++;
        return n;
}

CniNetwork *cni_network_unref(CniNetwork *n) {
        if (!n)
                return NULL;
        if (--n->n_ref > 0)
                return NULL;
        return network_free(n);
}

bool cni_plugin_has_capability(const CniPlugin *p, const char *capability) {
        return p && strv_contains(p->capabilities, capability);
}

int cni_plugin_find(const char *type, char *const *plugin_dirs, char **ret_path) {
        if (!type || type[0] == '\0' || strchr(type, '/'))
                return -EINVAL;

        for (char *const *d = plugin_dirs; d && *d; d++) {
                _cleanup_free_ char *p = NULL;
                struct stat st;

                if (asprintf(&p, "%s/%s", *d, type) < 0)
                        return -ENOMEM;
                if (stat(p, &st) < 0 || !S_ISREG(st.st_mode) || access(p, X_OK) < 0)
                        continue;
                *ret_path = TAKE_PTR(p);
                return 0;
        }
        return -ENOENT;
}

static bool has_suffix(const char *s, const char *suffix) {
        size_t a = strlen(s), b = strlen(suffix);

        return a > b && strcmp(s + a - b, suffix) == 0;
}

static int file_kind(const char *name) {
        if (has_suffix(name, ".conflist"))
                return 0;
        if (has_suffix(name, ".conf") || has_suffix(name, ".json"))
                return 1;
        return -EINVAL;
}

int cni_network_load_file(const char *path, CniNetwork **ret) {
        _cleanup_free_ char *data = NULL;
        size_t size;
        int kind, r;

        kind = file_kind(path);
        if (kind < 0)
                return log_warning_errno(EINVAL, "%s: not a .conf, .conflist or .json file.", path);
        r = read_full_file_at(AT_FDCWD, path, CNI_CONFIG_MAX, 0, &data, &size);
        if (r < 0)
                return log_warning_errno(r, "Failed to read CNI config %s: %m", path);
        return cni_network_parse(data, size, kind == 1, path, ret);
}

static int compare_names(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static int list_config_files(const char *dir, char ***ret) {
        _cleanup_(strv_freep) char **names = NULL;
        DIR *d;
        struct dirent *de;
        int r = 0;

        d = opendir(dir);
        if (!d)
                return -errno;
        while ((errno = 0, de = readdir(d))) {
                if (file_kind(de->d_name) < 0)
                        continue;
                r = strv_push(&names, de->d_name);
                if (r < 0)
                        break;
        }
        if (r >= 0 && errno != 0)
                r = -errno;
        closedir(d);
        if (r < 0)
                return r;
        if (names)
                qsort(names, strv_length(names), sizeof(char *), compare_names);
        *ret = TAKE_PTR(names);
        return 0;
}

static int set_reason(char **ret_reason, const char *format, ...) _printf_(2, 3);
static int set_reason(char **ret_reason, const char *format, ...) {
        va_list ap;
        int r;

        if (!ret_reason)
                return 0;
        va_start(ap, format);
        r = vasprintf(ret_reason, format, ap);
        va_end(ap);
        if (r < 0) {
                *ret_reason = NULL;
                return -ENOMEM;
        }
        return 0;
}

int cni_network_load_dir(const char *dir, const char *default_name, char *const *plugin_dirs,
                         CniNetwork **ret, char **ret_reason) {
        _cleanup_(strv_freep) char **names = NULL;
        size_t n_invalid = 0;
        int r;

        if (ret_reason)
                *ret_reason = NULL;
        if (default_name && default_name[0] == '\0')
                default_name = NULL;

        r = list_config_files(dir, &names);
        if (r < 0) {
                if (set_reason(ret_reason, "cannot read CNI config directory %s: %s", dir, strerror(-r)) < 0)
                        return -ENOMEM;
                return log_debug_errno(r, "Failed to list CNI config directory %s: %m", dir);
        }

        for (char **name = names; name && *name; name++) {
                _cleanup_(cni_network_unrefp) CniNetwork *net = NULL;
                _cleanup_free_ char *path = NULL;
                bool usable = true;

                if (asprintf(&path, "%s/%s", dir, *name) < 0)
                        return -ENOMEM;
                r = cni_network_load_file(path, &net);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        n_invalid++;
                        continue;
                }
                if (default_name && strcmp(net->name, default_name) != 0)
                        continue;

                for (size_t i = 0; plugin_dirs && i < net->n_plugins; i++) {
                        _cleanup_free_ char *binary = NULL;

                        r = cni_plugin_find(net->plugins[i].type, plugin_dirs, &binary);
                        if (r == -ENOMEM)
                                return r;
                        if (r < 0) {
                                log_warning("%s: CNI plugin \"%s\" not found in the plugin directories, "
                                            "skipping.", path, net->plugins[i].type);
                                usable = false;
                                break;
                        }
                }
                if (!usable) {
                        n_invalid++;
                        continue;
                }

                log_debug("Using CNI network \"%s\" from %s.", net->name, path);
                *ret = TAKE_PTR(net);
                return 0;
        }

        if (default_name)
                r = set_reason(ret_reason, "CNI network \"%s\" not found in %s", default_name, dir);
        else if (n_invalid > 0)
                r = set_reason(ret_reason, "No valid CNI configuration file in %s (%zu invalid). "
                               "Has your network provider started?", dir, n_invalid);
        else
                r = set_reason(ret_reason, "No CNI configuration file in %s. Has your network provider started?",
                               dir);
        if (r < 0)
                return r;
        return -ENOENT;
}
