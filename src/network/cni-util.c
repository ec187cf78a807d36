/* SPDX-License-Identifier: Apache-2.0 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cni-util.h"

static int version_split(const char *v, unsigned parts[static 3]) {
        const char *p = v;

        if (!v)
                return -EINVAL;
        for (unsigned i = 0; i < 3; i++) {
                char *end;
                unsigned long n;

                if (*p < '0' || *p > '9')
                        return -EINVAL;
                errno = 0;
                n = strtoul(p, &end, 10);
                if (errno != 0 || n > 65535)
                        return -EINVAL;
                parts[i] = (unsigned) n;
                if (i < 2 && *end != '.')
                        return -EINVAL;
                if (i == 2 && *end != '\0')
                        return -EINVAL;
                p = end + 1;
        }
        return 0;
}

int cni_version_compare(const char *a, const char *b, int *ret) {
        unsigned pa[3], pb[3];
        int r;

        r = version_split(a, pa);
        if (r < 0)
                return r;
        r = version_split(b, pb);
        if (r < 0)
                return r;
        for (unsigned i = 0; i < 3; i++)
                if (pa[i] != pb[i]) {
                        *ret = pa[i] < pb[i] ? -1 : 1;
                        return 0;
                }
        *ret = 0;
        return 0;
}

bool cni_version_supported(const char *v) {
        static const char *const known[] = { "0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0" };

        if (!v)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(known); i++)
                if (strcmp(v, known[i]) == 0)
                        return true;
        return false;
}

int cni_read_file_at(int dir_fd, const char *path, size_t max, char **ret, size_t *ret_size) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, allocated = 0;
        struct stat st;

        fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;

        for (;;) {
                ssize_t n;

                if (allocated - size < 4096) {
                        size_t want = allocated == 0 ? (size_t) st.st_size + 4096 : allocated * 2;
                        char *p;

                        if (want > max + 1)
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
        if (!buf) {
                buf = malloc(1);
                if (!buf)
                        return -ENOMEM;
        }
        buf[size] = '\0';
        *ret = TAKE_PTR(buf);
        if (ret_size)
                *ret_size = size;
        return 0;
}

int cni_write_file_atomic_at(int dir_fd, const char *name, const char *data, size_t size, int mode) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *tmp = NULL;
        static unsigned counter = 0;
        const char *base = strrchr(name, '/');
        size_t done = 0;
        int r;

        /* The temporary name starts with a dot beside the target, so a reader listing the
         * directory can skip it and rename() stays within one file system. */
        if (base)
                r = asprintf(&tmp, "%.*s/.#%s.%d.%u", (int) (base - name), name, base + 1, (int) getpid(),
                             counter++);
        else
                r = asprintf(&tmp, ".#%s.%d.%u", name, (int) getpid(), counter++);
        if (r < 0)
                return -ENOMEM;

        fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
        if (fd < 0)
                return -errno;
        while (done < size) {
                ssize_t n = write(fd, data + done, size - done);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        goto fail;
                }
                done += n;
        }
        if (fsync(fd) < 0) {
                r = -errno;
                goto fail;
        }
        if (renameat(dir_fd, tmp, dir_fd, name) < 0) {
                r = -errno;
                goto fail;
        }
        /* Make the rename itself durable. */
        if (base) {
                _cleanup_free_ char *dir = strndup(name, base - name);
                _cleanup_close_ int dfd = -EBADF;

                if (dir)
                        dfd = openat(dir_fd, dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (dfd >= 0)
                        (void) fsync(dfd);
        } else if (dir_fd >= 0)
                (void) fsync(dir_fd);
        return 0;

fail:
        (void) unlinkat(dir_fd, tmp, 0);
        return r;
}

int cni_mkdir_p(const char *path, int mode) {
        _cleanup_free_ char *p = strdup(path);

        if (!p)
                return -ENOMEM;
        for (char *s = p + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = '\0';
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        if (mkdir(p, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

static bool name_valid(const char *s) {
        if (!s || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= '0' && s[0] <= '9')))
                return false;
        for (const char *p = s; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      strchr("_.-", *p)))
                        return false;
        return true;
}

bool cni_network_name_valid(const char *s) {
        return name_valid(s);
}

bool cni_container_id_valid(const char *s) {
        return name_valid(s);
}

bool cni_ifname_valid(const char *s) {
        size_t n;

        if (!s)
                return false;
        n = strlen(s);
        if (n == 0 || n > 15 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
                return false;
        for (const char *p = s; *p; p++)
                if (*p == '/' || *p == ':' || *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' ||
                    *p == '\v' || *p == '\f')
                        return false;
        return true;
}
