/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "fileio.h"
#include "log.h"
#include "netns.h"
#include "pod-namespaces.h"

static const char *const type_table[_POD_NAMESPACE_TYPE_MAX] = {
        [POD_NAMESPACE_NET] = "net",
        [POD_NAMESPACE_IPC] = "ipc",
        [POD_NAMESPACE_UTS] = "uts",
};

static const char *const dir_table[_POD_NAMESPACE_TYPE_MAX] = {
        [POD_NAMESPACE_NET] = "netns",
        [POD_NAMESPACE_IPC] = "ipcns",
        [POD_NAMESPACE_UTS] = "utsns",
};

static const int clone_flag[_POD_NAMESPACE_TYPE_MAX] = {
        [POD_NAMESPACE_NET] = CLONE_NEWNET,
        [POD_NAMESPACE_IPC] = CLONE_NEWIPC,
        [POD_NAMESPACE_UTS] = CLONE_NEWUTS,
};

const char *pod_namespace_type_to_string(PodNamespaceType t) {
        return t >= 0 && t < _POD_NAMESPACE_TYPE_MAX ? type_table[t] : NULL;
}

PodNamespaceType pod_namespace_type_from_string(const char *s) {
        for (PodNamespaceType t = 0; s && t < _POD_NAMESPACE_TYPE_MAX; t++)
                if (strcmp(type_table[t], s) == 0)
                        return t;
        return _POD_NAMESPACE_TYPE_INVALID;
}

const char *pod_namespace_type_dir(PodNamespaceType t) {
        return t >= 0 && t < _POD_NAMESPACE_TYPE_MAX ? dir_table[t] : NULL;
}

int pod_namespace_path(const char *namespaces_dir, PodNamespaceType t, const char *name, char **ret) {
        if (!pod_namespace_type_dir(t) || !name || !*name || strchr(name, '/'))
                return -EINVAL;
        if (asprintf(ret, "%s/%s/%s", namespaces_dir, dir_table[t], name) < 0)
                return -ENOMEM;
        return 0;
}

int pod_namespace_unpin(const char *path) {
        /* Same as a netns pin: detach, so a holder of an fd keeps it alive instead of EBUSY. */
        return netns_remove(path);
}

/* What the child reports: which step failed (an index into child_steps), for which item. */
typedef struct ChildStatus {
        int error;
        int step;
        int item;
} ChildStatus;

enum { STEP_UNSHARE, STEP_HOSTNAME, STEP_LOOPBACK, STEP_SYSCTL, STEP_MOUNT, STEP_SETNS, STEP_READ };
static const char *const child_steps[] = {
        [STEP_UNSHARE] = "unshare",
        [STEP_HOSTNAME] = "sethostname",
        [STEP_LOOPBACK] = "bringing up lo",
        [STEP_SYSCTL] = "writing sysctl",
        [STEP_MOUNT] = "bind-mounting",
        [STEP_SETNS] = "setns",
        [STEP_READ] = "reading",
};

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

static int write_all(int fd, const char *s, size_t n) {
        while (n > 0) {
                ssize_t k = write(fd, s, n);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                s += k;
                n -= (size_t) k;
        }
        return 0;
}

static int write_sysctl(const char *path, const char *value) {
        int fd, r;

        fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        r = write_all(fd, value, strlen(value));
        close(fd);
        return r;
}

/* The forked child: system calls only (crio has threads, so no malloc or stdio here). Every path
 * was built by the parent. */
_noreturn_ static void pin_child(const PodNamespacesRequest *req, char *const *paths, int status_fd) {
        ChildStatus st = { .item = -1 };
        bool private_mounts = false;
        int flags = 0;

        for (PodNamespaceType t = 0; t < _POD_NAMESPACE_TYPE_MAX; t++)
                if (paths[t])
                        flags |= clone_flag[t];

        if (unshare(flags) < 0) {
                st = (ChildStatus) { -errno, STEP_UNSHARE, -1 };
                goto done;
        }
        if (paths[POD_NAMESPACE_UTS] && req->hostname &&
            sethostname(req->hostname, strlen(req->hostname)) < 0) {
                st = (ChildStatus) { -errno, STEP_HOSTNAME, -1 };
                goto done;
        }
        if (paths[POD_NAMESPACE_NET]) {
                int r = loopback_up();

                if (r < 0) {
                        st = (ChildStatus) { r, STEP_LOOPBACK, -1 };
                        goto done;
                }
        }
        for (PodNamespaceType t = 0; t < _POD_NAMESPACE_TYPE_MAX; t++) {
                static const char *const self[_POD_NAMESPACE_TYPE_MAX] = {
                        [POD_NAMESPACE_NET] = "/proc/self/ns/net",
                        [POD_NAMESPACE_IPC] = "/proc/self/ns/ipc",
                        [POD_NAMESPACE_UTS] = "/proc/self/ns/uts",
                };

                if (paths[t] && mount(self[t], paths[t], NULL, MS_BIND, NULL) < 0) {
                        st = (ChildStatus) { -errno, STEP_MOUNT, (int) t };
                        goto done;
                }
        }
        /* After the pins: a private mount namespace may be needed below, and the pins must be
         * mounted where everyone sees them. */
        for (size_t i = 0; i < req->n_sysctls; i++) {
                const PodSysctl *s = &req->sysctls[i];
                int r;

                r = write_sysctl(s->path, s->value);
                /* A host (or test host) with /proc/sys read-only: remount it writable in a mount
                 * namespace of this child alone, as a container runtime's own /proc would be. */
                if (r == -EROFS && !private_mounts) {
                        private_mounts = true;
                        if (unshare(CLONE_NEWNS) < 0 ||
                            mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0 ||
                            mount(NULL, "/proc/sys", NULL, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                                  NULL) < 0) {
                                st = (ChildStatus) { -errno, STEP_SYSCTL, (int) i };
                                goto done;
                        }
                        r = write_sysctl(s->path, s->value);
                }
                if (r < 0) {
                        st = (ChildStatus) { r, STEP_SYSCTL, (int) i };
                        goto done;
                }
        }
done:
        (void) write_all(status_fd, (const char *) &st, sizeof(st));
        _exit(st.error == 0 ? 0 : 1);
}

static int wait_child(pid_t pid, int fd, ChildStatus *st) {
        ssize_t n;
        int status;

        do
                n = read(fd, st, sizeof(*st));
        while (n < 0 && errno == EINTR);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (n != (ssize_t) sizeof(*st))
                *st = (ChildStatus) { -EIO, STEP_UNSHARE, -1 };
        return st->error;
}

int pod_namespaces_pin(const PodNamespacesRequest *req, char *ret_paths[static _POD_NAMESPACE_TYPE_MAX],
                       char **ret_error) {
        char *paths[_POD_NAMESPACE_TYPE_MAX] = {};
        int pipefd[2] = { -EBADF, -EBADF };
        ChildStatus st = {};
        bool any = false;
        pid_t pid;
        int r;

        for (PodNamespaceType t = 0; t < _POD_NAMESPACE_TYPE_MAX; t++) {
                _cleanup_free_ char *dir = NULL;
                _cleanup_close_ int fd = -EBADF;

                if (!req->pin[t])
                        continue;
                any = true;
                if (asprintf(&dir, "%s/%s", req->namespaces_dir, dir_table[t]) < 0) {
                        r = -ENOMEM;
                        goto fail;
                }
                r = mkdir_p(dir, 0755);
                if (r < 0)
                        goto fail;
                r = pod_namespace_path(req->namespaces_dir, t, req->name, &paths[t]);
                if (r < 0)
                        goto fail;
                /* The mount point: an empty file only we created. */
                fd = open(paths[t], O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0);
                if (fd < 0) {
                        r = -errno;
                        paths[t] = mfree(paths[t]);
                        goto fail;
                }
        }
        if (!any)
                goto done;

        if (pipe2(pipefd, O_CLOEXEC) < 0) {
                r = -errno;
                goto fail;
        }
        pid = fork();
        if (pid < 0) {
                r = -errno;
                goto fail;
        }
        if (pid == 0) {
                safe_close(pipefd[0]);
                pin_child(req, paths, pipefd[1]);
        }
        pipefd[1] = safe_close(pipefd[1]);
        r = wait_child(pid, pipefd[0], &st);
        pipefd[0] = safe_close(pipefd[0]);
        if (r < 0) {
                if (ret_error) {
                        const char *what = st.step == STEP_SYSCTL && st.item >= 0 ? req->sysctls[st.item].key :
                                           st.step == STEP_MOUNT && st.item >= 0 ? paths[st.item] : NULL;

                        if (asprintf(ret_error, "pinning namespaces: %s%s%s: %s", child_steps[st.step],
                                     what ? " " : "", what ?: "", strerror(-r)) < 0)
                                *ret_error = NULL;
                }
                goto fail;
        }
done:
        for (PodNamespaceType t = 0; t < _POD_NAMESPACE_TYPE_MAX; t++)
                ret_paths[t] = paths[t];
        return 0;

fail:
        safe_close(pipefd[0]);
        safe_close(pipefd[1]);
        for (PodNamespaceType t = 0; t < _POD_NAMESPACE_TYPE_MAX; t++)
                if (paths[t]) {
                        (void) pod_namespace_unpin(paths[t]);
                        free(paths[t]);
                }
        if (ret_error && !*ret_error && asprintf(ret_error, "pinning namespaces: %s", strerror(-r)) < 0)
                *ret_error = NULL;
        return r;
}

_noreturn_ static void read_child(int ns_fd, int type, const char *file, size_t max, int out_fd, int status_fd) {
        ChildStatus st = {};
        char buf[4096];
        int fd;

        if (setns(ns_fd, type) < 0) {
                st = (ChildStatus) { -errno, STEP_SETNS, -1 };
                goto done;
        }
        fd = open(file, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                st = (ChildStatus) { -errno, STEP_READ, -1 };
                goto done;
        }
        while (max > 0) {
                ssize_t n = read(fd, buf, MIN(sizeof(buf), max));

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                if (write_all(out_fd, buf, (size_t) n) < 0)
                        break;
                max -= (size_t) n;
        }
        close(fd);
done:
        close(out_fd);
        (void) write_all(status_fd, (const char *) &st, sizeof(st));
        _exit(st.error == 0 ? 0 : 1);
}

int pod_namespace_read(const char *path, PodNamespaceType t, const char *file, size_t max, char **ret) {
        _cleanup_close_ int ns_fd = -EBADF;
        int data[2], status[2];
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        ChildStatus st;
        pid_t pid;
        int r;

        if (!pod_namespace_type_to_string(t))
                return -EINVAL;
        ns_fd = open(path, O_RDONLY | O_CLOEXEC);
        if (ns_fd < 0)
                return -errno;
        buf = malloc(max + 1);
        if (!buf)
                return -ENOMEM;
        if (pipe2(data, O_CLOEXEC) < 0)
                return -errno;
        if (pipe2(status, O_CLOEXEC) < 0) {
                r = -errno;
                safe_close(data[0]);
                safe_close(data[1]);
                return r;
        }
        pid = fork();
        if (pid < 0) {
                r = -errno;
                safe_close(data[0]);
                safe_close(data[1]);
                safe_close(status[0]);
                safe_close(status[1]);
                return r;
        }
        if (pid == 0) {
                close(data[0]);
                close(status[0]);
                read_child(ns_fd, clone_flag[t], file, max, data[1], status[1]);
        }
        safe_close(data[1]);
        safe_close(status[1]);
        while (size < max) {
                ssize_t n = read(data[0], buf + size, max - size);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                size += (size_t) n;
        }
        safe_close(data[0]);
        r = wait_child(pid, status[0], &st);
        safe_close(status[0]);
        if (r < 0)
                return r;
        buf[size] = '\0';
        *ret = TAKE_PTR(buf);
        return (int) size;
}
