/* SPDX-License-Identifier: Apache-2.0 */

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cni-util.h"
#include "log.h"
#include "netns.h"

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

int netns_random_name(char **ret) {
        uint8_t b[16];
        ssize_t n;

        n = getrandom(b, sizeof(b), 0);
        if (n < 0)
                return -errno;
        if ((size_t) n != sizeof(b))
                return -EIO;
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        if (asprintf(ret, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                     b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
                     b[14], b[15]) < 0)
                return -ENOMEM;
        return 0;
}

static int loopback_up(void) {
        struct ifreq ifr = { .ifr_name = "lo" };
        int fd, r = 0;

        fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
                r = -errno;
        else if (!(ifr.ifr_flags & IFF_UP)) {
                ifr.ifr_flags |= IFF_UP;
                if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
                        r = -errno;
        }
        close(fd);
        return r;
}

/* Runs in the forked child: only system calls from here on. */
_noreturn_ static void pin_child(const char *path, int error_fd) {
        int r = 0;

        if (unshare(CLONE_NEWNET) < 0)
                r = -errno;
        if (r == 0)
                r = loopback_up();
        if (r == 0 && mount("/proc/self/ns/net", path, NULL, MS_BIND, NULL) < 0)
                r = -errno;
        (void) !write(error_fd, &r, sizeof(r));
        _exit(r == 0 ? 0 : 1);
}

int netns_new(const char *namespaces_dir, const char *name, char **ret_path) {
        _cleanup_free_ char *dir = NULL, *path = NULL, *random_name = NULL;
        _cleanup_close_ int fd = -EBADF;
        int pipefd[2], child_r = -EIO, status, r;
        pid_t pid;
        ssize_t n;

        if (!name) {
                r = netns_random_name(&random_name);
                if (r < 0)
                        return r;
                name = random_name;
        }
        if (!name[0] || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                return -EINVAL;
        if (asprintf(&dir, "%s/netns", namespaces_dir) < 0 || asprintf(&path, "%s/%s", dir, name) < 0)
                return -ENOMEM;
        r = mkdir_p(dir, 0755);
        if (r < 0)
                return log_error_errno(r, "Failed to create %s: %m", dir);

        /* The mount point: an empty file only we created. */
        fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0);
        if (fd < 0)
                return log_error_errno(errno, "Failed to create netns pin %s: %m", path);
        fd = safe_close(fd);

        if (pipe2(pipefd, O_CLOEXEC) < 0) {
                r = -errno;
                goto fail;
        }
        /* A child of our own unshares, so this process never leaves its network namespace. */
        pid = fork();
        if (pid < 0) {
                r = -errno;
                safe_close(pipefd[0]);
                safe_close(pipefd[1]);
                goto fail;
        }
        if (pid == 0) {
                close(pipefd[0]);
                pin_child(path, pipefd[1]);
        }
        safe_close(pipefd[1]);
        do
                n = read(pipefd[0], &child_r, sizeof(child_r));
        while (n < 0 && errno == EINTR);
        safe_close(pipefd[0]);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (n != sizeof(child_r))
                child_r = -EIO;
        if (child_r < 0) {
                r = log_error_errno(child_r, "Failed to create network namespace %s: %m", path);
                goto fail;
        }

        log_debug("Pinned network namespace %s.", path);
        if (ret_path)
                *ret_path = TAKE_PTR(path);
        return 0;

fail:
        (void) umount2(path, MNT_DETACH);
        (void) unlink(path);
        return r;
}

int netns_is_pinned(const char *path) {
        struct statfs sfs;

        if (statfs(path, &sfs) < 0)
                return -errno;
        return sfs.f_type == NSFS_MAGIC;
}

int netns_remove(const char *path) {
        int r = 0;

        if (!path)
                return 0;
        /* Detached, so an fd a plugin or a process still holds keeps it alive instead of EBUSY. */
        if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 && !IN_SET(errno, EINVAL, ENOENT))
                r = log_warning_errno(errno, "Failed to unmount netns pin %s: %m", path);
        if (unlink(path) < 0 && errno != ENOENT && r == 0)
                r = log_warning_errno(errno, "Failed to remove netns pin %s: %m", path);
        return r;
}
