/* SPDX-License-Identifier: Apache-2.0 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cni-cache.h"
#include "cni-util.h"
#include "log.h"

#define CNI_CACHE_ENTRY_MAX (4 * 1024 * 1024)

CniCacheEntry *cni_cache_entry_free(CniCacheEntry *e) {
        if (!e)
                return NULL;
        free(e->container_id);
        free(e->network_name);
        free(e->ifname);
        free(e->netns);
        free(e->config);
        strv_free(e->cni_args);
        free(e->capability_args);
        free(e->result);
        return mfree(e);
}

CniCacheEntry **cni_cache_entries_free(CniCacheEntry **l) {
        if (!l)
                return NULL;
        for (CniCacheEntry **i = l; *i; i++)
                cni_cache_entry_free(*i);
        return mfree(l);
}

static int entry_path(const char *cache_dir, const char *network_name, const char *container_id,
                      const char *ifname, char **ret) {
        /* The parts are validated: they become a file name. */
        if (!cache_dir || !cni_network_name_valid(network_name) || !cni_container_id_valid(container_id) ||
            !cni_ifname_valid(ifname))
                return -EINVAL;
        if (asprintf(ret, "%s/results/%s-%s-%s", cache_dir, network_name, container_id, ifname) < 0)
                return -ENOMEM;
        return 0;
}

int cni_cache_write(const char *cache_dir, const CniCacheEntry *e) {
        _cleanup_free_ char *path = NULL, *dir = NULL, *json = NULL;
        int r;

        r = entry_path(cache_dir, e->network_name, e->container_id, e->ifname, &path);
        if (r < 0)
                return r;
        r = cni_cache_entry_to_json(e, &json);
        if (r < 0)
                return r;
        if (asprintf(&dir, "%s/results", cache_dir) < 0)
                return -ENOMEM;
        r = mkdir_p(dir, 0700);
        if (r < 0)
                return log_error_errno(r, "Failed to create CNI cache directory %s: %m", dir);
        r = write_file_atomic_at(AT_FDCWD, path, json, strlen(json), 0600);
        if (r < 0)
                return log_error_errno(r, "Failed to write CNI cache entry %s: %m", path);
        return 0;
}

int cni_cache_read(const char *cache_dir, const char *network_name, const char *container_id,
                   const char *ifname, CniCacheEntry **ret) {
        _cleanup_free_ char *path = NULL, *data = NULL;
        size_t size;
        int r;

        r = entry_path(cache_dir, network_name, container_id, ifname, &path);
        if (r < 0)
                return r;
        r = read_full_file_at(AT_FDCWD, path, CNI_CACHE_ENTRY_MAX, 0, &data, &size);
        if (r == -ENOENT)
                return r;
        if (r < 0)
                return log_warning_errno(r, "Failed to read CNI cache entry %s: %m", path);
        r = cni_cache_entry_from_json(data, size, ret);
        if (r < 0)
                return log_warning_errno(r, "CNI cache entry %s is not a %s entry: %m", path, "cniCacheV1");
        return 0;
}

int cni_cache_remove(const char *cache_dir, const char *network_name, const char *container_id,
                     const char *ifname) {
        _cleanup_free_ char *path = NULL;
        int r;

        r = entry_path(cache_dir, network_name, container_id, ifname, &path);
        if (r < 0)
                return r;
        if (unlink(path) < 0 && errno != ENOENT)
                return log_warning_errno(errno, "Failed to remove CNI cache entry %s: %m", path);
        return 0;
}

static int compare_names(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int cni_cache_list(const char *cache_dir, const char *container_id, CniCacheEntry ***ret) {
        _cleanup_(strv_freep) char **names = NULL;
        _cleanup_free_ char *dir = NULL;
        _cleanup_close_ int dfd = -EBADF;
        CniCacheEntry **l = NULL;
        size_t n = 0;
        struct dirent *de;
        DIR *d;
        int r = 0;

        if (asprintf(&dir, "%s/results", cache_dir) < 0)
                return -ENOMEM;
        d = opendir(dir);
        if (!d && errno != ENOENT)
                return -errno;
        while (d && (errno = 0, de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                r = strv_push(&names, de->d_name);
                if (r < 0)
                        break;
        }
        if (d) {
                dfd = fcntl(dirfd(d), F_DUPFD_CLOEXEC, 3);
                closedir(d);
        }
        if (r < 0)
                return r;
        if (names)
                qsort(names, strv_length(names), sizeof(char *), compare_names);

        l = calloc(strv_length(names) + 1, sizeof(CniCacheEntry *));
        if (!l)
                return -ENOMEM;
        for (char **name = names; name && *name && dfd >= 0; name++) {
                _cleanup_free_ char *data = NULL;
                CniCacheEntry *e;
                size_t size;

                if (read_full_file_at(dfd, *name, CNI_CACHE_ENTRY_MAX, 0, &data, &size) < 0)
                        continue;
                r = cni_cache_entry_from_json(data, size, &e);
                if (r == -ENOMEM) {
                        cni_cache_entries_free(l);
                        return r;
                }
                if (r < 0)
                        continue;
                if (container_id && strcmp(e->container_id, container_id) != 0) {
                        cni_cache_entry_free(e);
                        continue;
                }
                l[n++] = e;
        }
        *ret = l;
        return 0;
}
