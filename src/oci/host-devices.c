/* SPDX-License-Identifier: Apache-2.0 */

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "host-devices.h"
#include "log.h"

/* /dev/bus/usb/001 is as deep as hosts go; a bind-mount loop must not take us along. */
#define HOST_DEVICES_MAX_DEPTH 8

typedef struct DeviceList {
        OciDevice *devices;
        size_t n;
} DeviceList;

void oci_devices_free(OciDevice *devices, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(devices[i].path);
                free(devices[i].access);
        }
        free(devices);
}

static void closedirp(DIR **d) {
        if (*d)
                (void) closedir(*d);
}

static bool skipped_dir(const char *name) {
        /* The container gets its own of these (or they make no sense in it). */
        static const char *const skip[] = { "pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev" };

        for (size_t i = 0; i < ELEMENTSOF(skip); i++)
                if (strcmp(name, skip[i]) == 0)
                        return true;
        return false;
}

static int list_add(DeviceList *l, const char *path, const struct stat *st) {
        OciDevice *n;
        char *p;

        if (major(st->st_rdev) == 0 && minor(st->st_rdev) == 0)
                return 0;
        p = strdup(path);
        if (!p)
                return -ENOMEM;
        n = reallocarray(l->devices, l->n + 1, sizeof(OciDevice));
        if (!n) {
                free(p);
                return -ENOMEM;
        }
        l->devices = n;
        l->devices[l->n++] = (OciDevice) {
                .path = p,
                .type = S_ISCHR(st->st_mode) ? 'c' : 'b',
                .major = major(st->st_rdev),
                .minor = minor(st->st_rdev),
                .has_file_mode = true,
                .file_mode = st->st_mode & 07777,
                .has_uid = true,
                .uid = st->st_uid,
                .has_gid = true,
                .gid = st->st_gid,
        };
        return 0;
}

static int walk(int dir_fd, const char *path, unsigned depth, DeviceList *l) {
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;
        int r;

        d = fdopendir(dir_fd);
        if (!d) {
                r = -errno;
                safe_close(dir_fd);
                return r;
        }
        while ((errno = 0, de = readdir(d))) {
                _cleanup_free_ char *child = NULL;
                struct stat st;

                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                /* Gone meanwhile, or unreadable: the container does without it. */
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                if (asprintf(&child, "%s/%s", path, de->d_name) < 0)
                        return -ENOMEM;
                if (S_ISDIR(st.st_mode)) {
                        int fd;

                        if (skipped_dir(de->d_name) || depth >= HOST_DEVICES_MAX_DEPTH)
                                continue;
                        fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (fd < 0)
                                continue;
                        r = walk(fd, child, depth + 1, l);
                        if (r < 0)
                                return r;
                        continue;
                }
                if ((!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) || strcmp(de->d_name, "console") == 0)
                        continue;
                r = list_add(l, child, &st);
                if (r < 0)
                        return r;
        }
        return errno > 0 ? -errno : 0;
}

int oci_host_devices(const char *dir, OciDevice **ret, size_t *ret_n) {
        _cleanup_free_ char *base = NULL;
        DeviceList l = {};
        size_t len;
        int fd, r;

        if (!dir || dir[0] != '/')
                return -EINVAL;
        /* "/dev/" gives "/dev/null", not "/dev//null"; "/" gives "/null". */
        len = strlen(dir);
        while (len > 0 && dir[len - 1] == '/')
                len--;
        base = strndup(dir, len);
        if (!base)
                return -ENOMEM;
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return log_debug_errno(errno, "Failed to open %s: %m", dir);
        r = walk(fd, base, 0, &l);
        if (r < 0) {
                oci_devices_free(l.devices, l.n);
                return log_debug_errno(r, "Failed to list the devices below %s: %m", dir);
        }
        *ret = l.devices;
        *ret_n = l.n;
        return 0;
}
