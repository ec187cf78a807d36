/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "container-rootfs.h"
#include "fileio.h"
#include "image-fs.h"
#include "image-store.h"
#include "log.h"
#include "manager.h"
#include "strv.h"

static int overlay_options(const Container *c, char *const *layers, char **ret) {
        _cleanup_free_ char *lower = NULL;
        size_t n = strv_length(layers), size = 0;
        char *p;

        for (size_t i = 0; i < n; i++)
                size += strlen(layers[i]) + 1;
        lower = malloc(size + 1);
        if (!lower)
                return -ENOMEM;
        /* overlayfs wants the top layer first; the store lists the base first. */
        p = lower;
        for (size_t i = n; i > 0; i--) {
                if (p != lower)
                        *p++ = ':';
                p = stpcpy(p, layers[i - 1]);
        }
        *p = 0;
        if (asprintf(ret, "lowerdir=%s,upperdir=%s/diff,workdir=%s/work", lower, c->layer_dir, c->layer_dir) < 0)
                return -ENOMEM;
        return 0;
}

int container_rootfs_create(Container *c, const ImageRecord *image, char **ret_error) {
        const Config *cfg = c->manager->config;
        _cleanup_strv_free_ char **layers = NULL;
        _cleanup_free_ char *options = NULL, *diff = NULL, *work = NULL;
        long page = sysconf(_SC_PAGESIZE);
        int r;

        if (asprintf(&c->layer_dir, "%s/%s/%s", cfg->root, CONTAINER_LAYERS_DIR, c->id) < 0 ||
            asprintf(&c->rootfs, "%s/merged", c->layer_dir) < 0 ||
            asprintf(&c->bundle_dir, "%s/%s/%s/userdata", cfg->runroot, CONTAINER_LAYERS_DIR, c->id) < 0 ||
            asprintf(&diff, "%s/diff", c->layer_dir) < 0 || asprintf(&work, "%s/work", c->layer_dir) < 0)
                return -ENOMEM;

        r = mkdir_p(diff, 0755);
        if (r >= 0)
                r = mkdir_p(work, 0700);
        if (r >= 0)
                r = mkdir_p(c->rootfs, 0755);
        if (r >= 0)
                r = mkdir_p(c->bundle_dir, 0700);
        if (r < 0) {
                if (ret_error)
                        (void) asprintf(ret_error, "creating the directories of container %s: %s", c->id, strerror(-r));
                return r;
        }

        r = image_store_image_layer_paths(c->manager->image_store, image, &layers);
        if (r < 0)
                return log_container_errno(c, LOG_ERR, r, "Failed to find the layers of image %s: %m", image->id);
        if (strv_isempty(layers))
                return log_container_errno(c, LOG_ERR, EINVAL, "Image %s has no layers.", image->id);
        r = overlay_options(c, layers, &options);
        if (r < 0)
                return r;
        if (page > 0 && strlen(options) >= (size_t) page) {
                if (ret_error)
                        (void) asprintf(ret_error, "image %s has too many layers to mount", image->id);
                return -E2BIG;
        }
        if (mount("overlay", c->rootfs, "overlay", MS_NODEV, options) < 0) {
                r = -errno;
                if (ret_error)
                        (void) asprintf(ret_error, "mounting the rootfs of container %s: %s", c->id, strerror(-r));
                return log_container_errno(c, LOG_ERR, r, "Failed to mount overlay on %s: %m", c->rootfs);
        }
        c->rootfs_mounted = true;
        return 0;
}

/* Removes path's last component below its parent, without following symlinks. */
static int remove_tree(const char *path) {
        _cleanup_free_ char *parent = strdup(path);
        _cleanup_close_ int fd = -EBADF;
        char *slash;

        if (!parent)
                return -ENOMEM;
        slash = strrchr(parent, '/');
        if (!slash || slash == parent)
                return -EINVAL;
        *slash = 0;
        fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        return image_fs_remove_tree(fd, slash + 1);
}

int container_rootfs_remove(Container *c) {
        _cleanup_free_ char *bundle_parent = NULL;
        int r = 0, k;

        if (c->rootfs && (c->rootfs_mounted || access(c->rootfs, F_OK) == 0)) {
                if (umount2(c->rootfs, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
                        r = log_container_errno(c, LOG_WARNING, errno, "Failed to unmount %s: %m", c->rootfs);
                else
                        c->rootfs_mounted = false;
        }
        if (c->layer_dir && !c->rootfs_mounted) {
                k = remove_tree(c->layer_dir);
                if (k < 0)
                        r = log_container_errno(c, LOG_WARNING, k, "Failed to remove %s: %m", c->layer_dir);
        }
        if (c->bundle_dir) {
                bundle_parent = strdup(c->bundle_dir);
                if (!bundle_parent)
                        return -ENOMEM;
                *strrchr(bundle_parent, '/') = 0;
                k = remove_tree(bundle_parent);
                if (k < 0)
                        r = log_container_errno(c, LOG_WARNING, k, "Failed to remove %s: %m", bundle_parent);
        }
        return r;
}

int container_rootfs_usage(const Container *c, uint64_t *ret_bytes, uint64_t *ret_inodes) {
        _cleanup_free_ char *diff = NULL;
        _cleanup_close_ int fd = -EBADF;

        if (!c->layer_dir)
                return -ENOENT;
        if (asprintf(&diff, "%s/diff", c->layer_dir) < 0)
                return -ENOMEM;
        fd = open(diff, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        return image_fs_usage(fd, ret_bytes, ret_inodes);
}
