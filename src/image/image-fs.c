/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "fileio.h"
#include "image-fs.h"
#include "macro.h"

static void closedirp(DIR **d) {
        if (*d)
                (void) closedir(*d);
}

static int remove_children(int fd, unsigned depth) {
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;
        int r = 0;

        /* Deep enough for any real tree, shallow enough that a hostile one cannot exhaust the stack. */
        if (depth > 4096)
                return -ELOOP;
        d = fdopendir(fd);
        if (!d) {
                (void) close(fd);
                return -errno;
        }
        while ((errno = 0, de = readdir(d))) {
                int q = 0;

                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (de->d_type == DT_DIR || de->d_type == DT_UNKNOWN) {
                        int cfd = openat(dirfd(d), de->d_name,
                                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
                        if (cfd >= 0) {
                                /* An unwritable directory would keep its children; we own the tree. */
                                (void) fchmod(cfd, 0700);
                                q = remove_children(cfd, depth + 1);
                                if (q >= 0 && unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) < 0)
                                        q = -errno;
                        } else if (IN_SET(errno, ENOTDIR, ELOOP)) {
                                if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT)
                                        q = -errno;
                        } else if (errno != ENOENT)
                                q = -errno;
                } else if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT)
                        q = -errno;
                if (q < 0 && r == 0)
                        r = q;
        }
        if (errno != 0 && r == 0)
                r = -errno;
        return r;
}

int image_fs_remove_tree(int dir_fd, const char *name) {
        int fd, r;

        fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                if (errno == ENOENT)
                        return 0;
                if (!IN_SET(errno, ENOTDIR, ELOOP))
                        return -errno;
                if (unlinkat(dir_fd, name, 0) < 0 && errno != ENOENT)
                        return -errno;
                return 0;
        }
        (void) fchmod(fd, 0700);
        r = remove_children(fd, 0);     /* takes fd */
        if (r < 0)
                return r;
        if (unlinkat(dir_fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

int image_fs_sweep_temp(int dir_fd) {
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;
        int fd, n = 0, r = 0;

        fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                (void) close(fd);
                return -errno;
        }
        while ((de = readdir(d))) {
                int q;

                if (strncmp(de->d_name, TEMP_FILE_PREFIX, strlen(TEMP_FILE_PREFIX)) != 0)
                        continue;
                q = image_fs_remove_tree(dirfd(d), de->d_name);
                if (q < 0)
                        r = q;
                else
                        n++;
        }
        return r < 0 ? r : n;
}

int image_fs_open_dir(int dir_fd, const char *name, bool create, int *ret_fd) {
        int fd;

        if (create && mkdirat(dir_fd, name, 0700) < 0 && errno != EEXIST)
                return -errno;
        fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        *ret_fd = fd;
        return 0;
}

/* Inodes with more than one link seen so far, so each counts once. */
typedef struct InodeSet {
        struct { dev_t dev; ino_t ino; } *items;
        size_t n, alloc;
} InodeSet;

static int inode_set_add(InodeSet *s, dev_t dev, ino_t ino) {
        for (size_t i = 0; i < s->n; i++)
                if (s->items[i].dev == dev && s->items[i].ino == ino)
                        return 0;
        if (s->n == s->alloc) {
                size_t na = MAX(s->alloc * 2, (size_t) 16);
                void *ni = realloc(s->items, na * sizeof(*s->items));
                if (!ni)
                        return -ENOMEM;
                s->items = ni;
                s->alloc = na;
        }
        s->items[s->n].dev = dev;
        s->items[s->n].ino = ino;
        s->n++;
        return 1;
}

static int usage_walk(int fd, InodeSet *seen, uint64_t *bytes, uint64_t *inodes, unsigned depth,
                      const char *except) {
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;

        if (depth > 4096)
                return -ELOOP;
        d = fdopendir(fd);
        if (!d) {
                (void) close(fd);
                return -errno;
        }
        while ((de = readdir(d))) {
                struct stat st;
                int r;

                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        if (errno == ENOENT)
                                continue;
                        return -errno;
                }
                if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
                        r = inode_set_add(seen, st.st_dev, st.st_ino);
                        if (r < 0)
                                return r;
                        if (r == 0)
                                continue;
                }
                *bytes += (uint64_t) st.st_blocks * 512;
                *inodes += 1;
                if (S_ISDIR(st.st_mode) && !(except && strcmp(de->d_name, except) == 0)) {
                        int cfd = openat(dirfd(d), de->d_name,
                                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
                        if (cfd < 0) {
                                if (errno == ENOENT)
                                        continue;
                                return -errno;
                        }
                        r = usage_walk(cfd, seen, bytes, inodes, depth + 1, NULL);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

int image_fs_usage(int dir_fd, uint64_t *ret_bytes, uint64_t *ret_inodes) {
        return image_fs_usage_except(dir_fd, NULL, ret_bytes, ret_inodes);
}

int image_fs_entry_usage(int dir_fd, const char *name, uint64_t *ret_bytes, uint64_t *ret_inodes) {
        uint64_t bytes = 0, inodes = 0;
        struct stat st;
        int fd, r;

        if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode)) {
                fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
                if (fd < 0)
                        return -errno;
                r = image_fs_usage(fd, &bytes, &inodes);
                safe_close(fd);
                if (r < 0)
                        return r;
        }
        *ret_bytes = bytes + (uint64_t) st.st_blocks * 512;
        *ret_inodes = inodes + 1;
        return 0;
}

int image_fs_usage_except(int dir_fd, const char *except, uint64_t *ret_bytes, uint64_t *ret_inodes) {
        InodeSet seen = {};
        uint64_t bytes = 0, inodes = 0;
        int fd, r;

        fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        r = usage_walk(fd, &seen, &bytes, &inodes, 0, except);
        free(seen.items);
        if (r < 0)
                return r;
        *ret_bytes = bytes;
        *ret_inodes = inodes;
        return 0;
}
