/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "fileio.h"

/* Reads until EOF into a growing buffer; size_hint (e.g. from fstat()) only sizes the first allocation,
 * since files under /proc and growing files do not keep to it. */
static int read_full_fd_hint(int fd, size_t max, size_t size_hint, char **ret, size_t *ret_size) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, allocated = 0;

        for (;;) {
                ssize_t n;

                if (allocated - size < 4096) {
                        size_t want = allocated == 0 ? size_hint + 4096 : allocated * 2;
                        char *p;

                        if (max < SIZE_MAX && want > max + 1)
                                want = max + 1;
                        if (want <= size + 1)
                                return -EFBIG;
                        p = realloc(buf, want);
                        if (!p)
                                return -ENOMEM;
                        buf = p;
                        allocated = want;
                }
                n = read(fd, buf + size, allocated - size - 1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                size += n;
                if (size > max)
                        return -EFBIG;
        }
        buf[size] = '\0';
        *ret = TAKE_PTR(buf);
        if (ret_size)
                *ret_size = size;
        return 0;
}

int read_full_fd(int fd, size_t max, char **ret, size_t *ret_size) {
        return read_full_fd_hint(fd, max, 0, ret, ret_size);
}

int read_full_file_at(int dir_fd, const char *path, size_t max, ReadFileFlags flags, char **ret, size_t *ret_size) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;

        fd = openat(dir_fd, path,
                    O_RDONLY | O_CLOEXEC | O_NOCTTY | ((flags & READ_FILE_NOFOLLOW) ? O_NOFOLLOW : 0));
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        if ((uint64_t) st.st_size > max)
                return -EFBIG;
        return read_full_fd_hint(fd, max, (size_t) st.st_size, ret, ret_size);
}

int tempfile_name(const char *tag, char **ret) {
        uint64_t rnd;
        char *s;

        if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
                return -errno ?: -EIO;
        if (asprintf(&s, TEMP_FILE_PREFIX "%s-%016llx", tag, (unsigned long long) rnd) < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int loop_write(int fd, const void *data, size_t size) {
        const uint8_t *p = data;

        while (size > 0) {
                ssize_t n = write(fd, p, size);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += n;
                size -= n;
        }
        return 0;
}

int write_file_atomic_at(int dir_fd, const char *path, const void *data, size_t size, mode_t mode) {
        _cleanup_free_ char *dir = NULL, *tmp = NULL;
        _cleanup_close_ int parent_fd = -EBADF, fd = -EBADF;
        const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
        int r;

        /* Work relative to the file's own directory: the temporary file, the rename and the fsync of
         * the directory then all concern the same one. */
        if (slash) {
                dir = strndup(path, slash == path ? 1 : (size_t) (slash - path));
                if (!dir)
                        return -ENOMEM;
                parent_fd = openat(dir_fd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        } else
                parent_fd = dir_fd == AT_FDCWD ? open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) :
                                                 fcntl(dir_fd, F_DUPFD_CLOEXEC, 3);
        if (parent_fd < 0)
                return -errno;

        r = tempfile_name(base, &tmp);
        if (r < 0)
                return r;
        fd = openat(parent_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
        if (fd < 0)
                return -errno;
        r = loop_write(fd, data, size);
        if (r >= 0 && fsync(fd) < 0)
                r = -errno;
        if (r >= 0 && renameat(parent_fd, tmp, parent_fd, base) < 0)
                r = -errno;
        if (r < 0) {
                (void) unlinkat(parent_fd, tmp, 0);
                return r;
        }
        /* The rename itself must reach the disk before callers rely on the new state. */
        if (fsync(parent_fd) < 0)
                return -errno;
        return 0;
}

static int mkdir_prefixes(char *p, mode_t mode) {
        for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
                *s = '\0';
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        return 0;
}

int mkdir_parents(const char *path, mode_t mode) {
        _cleanup_free_ char *p = strdup(path);
        char *last;

        if (!p)
                return -ENOMEM;
        last = strrchr(p, '/');
        if (!last || last == p)
                return 0;
        *last = '\0';
        return mkdir_p(p, mode);
}

int mkdir_p(const char *path, mode_t mode) {
        _cleanup_free_ char *p = strdup(path);
        int r;

        if (!p)
                return -ENOMEM;
        r = mkdir_prefixes(p, mode);
        if (r < 0)
                return r;
        if (mkdir(p, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}
