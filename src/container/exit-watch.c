/* SPDX-License-Identifier: Apache-2.0 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container-util.h"
#include "exit-watch.h"
#include "fileio.h"
#include "log.h"

typedef struct WatchedContainer {
        char *id;
        char *oom_dir;
} WatchedContainer;

struct ExitWatch {
        char *exits_dir;
        int dir_fd;
        sd_event_source *inotify_source;
        WatchedContainer *containers;
        size_t n_containers;
        ExitWatchHandler handler;
        void *userdata;
};

const char *container_exit_reason(int exit_code, bool oom_killed) {
        if (oom_killed)
                return CONTAINER_REASON_OOM_KILLED;
        return exit_code == 0 ? CONTAINER_REASON_COMPLETED : CONTAINER_REASON_ERROR;
}

int exit_file_parse(const char *data, size_t size, int *ret) {
        char buf[32];
        char *end;
        long v;

        /* A trailing newline is allowed, nothing else around the number. */
        if (size > 0 && data[size - 1] == '\n')
                size--;
        if (size == 0 || size >= sizeof(buf) || memchr(data, '\0', size))
                return -EBADMSG;
        memcpy(buf, data, size);
        buf[size] = '\0';
        if (!strchr("-0123456789", buf[0]) || (buf[0] == '-' && size == 1))
                return -EBADMSG;
        errno = 0;
        v = strtol(buf, &end, 10);
        if (errno != 0 || *end != '\0' || v < INT_MIN || v > INT_MAX)
                return -EBADMSG;
        *ret = (int) v;
        return 0;
}

bool conmon_oom_file_exists(const char *dir) {
        _cleanup_free_ char *p = NULL;

        if (!dir || asprintf(&p, "%s/oom", dir) < 0)
                return false;
        return access(p, F_OK) == 0;
}

static WatchedContainer *find(ExitWatch *w, const char *id) {
        for (size_t i = 0; i < w->n_containers; i++)
                if (strcmp(w->containers[i].id, id) == 0)
                        return &w->containers[i];
        return NULL;
}

int exit_watch_read(ExitWatch *w, const char *id, int *ret_exit_code, bool *ret_oom_killed,
                    uint64_t *ret_finished_at_nsec) {
        _cleanup_free_ char *data = NULL;
        _cleanup_close_ int fd = -EBADF;
        WatchedContainer *c;
        struct stat st;
        size_t size;
        int r, code;

        if (!container_id_valid(id))
                return -EINVAL;
        fd = openat(w->dir_fd, id, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADMSG;
        r = read_full_fd(fd, 64, &data, &size);
        if (r == -EFBIG)
                r = -EBADMSG;
        if (r < 0)
                return r;
        r = exit_file_parse(data, size, &code);
        if (r < 0)
                return r;

        c = find(w, id);
        if (ret_exit_code)
                *ret_exit_code = code;
        if (ret_oom_killed)
                *ret_oom_killed = c && conmon_oom_file_exists(c->oom_dir);
        if (ret_finished_at_nsec)
                *ret_finished_at_nsec = (uint64_t) st.st_mtim.tv_sec * 1000000000ULL + (uint64_t) st.st_mtim.tv_nsec;
        return 0;
}

static int on_inotify(sd_event_source *s, const struct inotify_event *event, void *userdata) {
        ExitWatch *w = userdata;
        ContainerExit e = {};
        int r;

        if (event->mask & IN_Q_OVERFLOW) {
                log_warning("Exit watch of %s overflowed; exits are read when next asked for.", w->exits_dir);
                return 0;
        }
        if (event->len == 0 || !container_id_valid(event->name))
                return 0;
        /* conmon writes "<id>.XXXXXX" and renames it to "<id>" (g_file_set_contents()): the
         * temporary is not an exit. Files written in place count when their name has no dot. */
        if (!(event->mask & IN_MOVED_TO) && strchr(event->name, '.'))
                return 0;

        r = exit_watch_read(w, event->name, &e.exit_code, &e.oom_killed, &e.finished_at_nsec);
        if (r == -EBADMSG && (event->mask & IN_CREATE))
                return 0;       /* created but not written yet: the close comes */
        if (r < 0) {
                if (r != -ENOENT)
                        log_warning_errno(r, "Failed to read exit file %s/%s, ignoring: %m", w->exits_dir,
                                          event->name);
                return 0;
        }
        e.id = event->name;
        e.reason = container_exit_reason(e.exit_code, e.oom_killed);
        log_debug("Container %s exited with %d (%s).", e.id, e.exit_code, e.reason);
        w->handler(w, &e, w->userdata);
        return 0;
}

int exit_watch_new(sd_event *event, const char *exits_dir, ExitWatchHandler handler, void *userdata,
                   ExitWatch **ret) {
        _cleanup_(exit_watch_freep) ExitWatch *w = NULL;
        int r;

        if (!exits_dir || exits_dir[0] != '/' || !handler)
                return -EINVAL;
        w = calloc(1, sizeof(ExitWatch));
        if (!w)
                return -ENOMEM;
        w->dir_fd = -EBADF;
        w->handler = handler;
        w->userdata = userdata;
        w->exits_dir = strdup(exits_dir);
        if (!w->exits_dir)
                return -ENOMEM;

        r = mkdir_p(exits_dir, 0700);
        if (r < 0)
                return log_error_errno(r, "Failed to create %s: %m", exits_dir);
        w->dir_fd = open(exits_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (w->dir_fd < 0)
                return log_error_errno(errno, "Failed to open %s: %m", exits_dir);
        /* conmon writes the file in place (IN_CLOSE_WRITE) or renames it there (IN_MOVED_TO). */
        r = sd_event_add_inotify(event, &w->inotify_source, exits_dir,
                                 IN_CLOSE_WRITE | IN_MOVED_TO | IN_ONLYDIR, on_inotify, w);
        if (r < 0)
                return log_error_errno(r, "Failed to watch %s: %m", exits_dir);
        *ret = TAKE_PTR(w);
        return 0;
}

ExitWatch *exit_watch_free(ExitWatch *w) {
        if (!w)
                return NULL;
        sd_event_source_disable_unref(w->inotify_source);
        safe_close(w->dir_fd);
        for (size_t i = 0; i < w->n_containers; i++) {
                free(w->containers[i].id);
                free(w->containers[i].oom_dir);
        }
        free(w->containers);
        free(w->exits_dir);
        return mfree(w);
}

int exit_watch_add(ExitWatch *w, const char *id, const char *oom_dir) {
        WatchedContainer *c, *a;
        char *d = NULL;

        if (!container_id_valid(id))
                return -EINVAL;
        if (oom_dir) {
                d = strdup(oom_dir);
                if (!d)
                        return -ENOMEM;
        }
        c = find(w, id);
        if (c) {
                free_and_replace(c->oom_dir, d);
                return 0;
        }
        a = reallocarray(w->containers, w->n_containers + 1, sizeof(WatchedContainer));
        if (!a) {
                free(d);
                return -ENOMEM;
        }
        w->containers = a;
        a[w->n_containers] = (WatchedContainer) { .id = strdup(id), .oom_dir = d };
        if (!a[w->n_containers].id) {
                free(d);
                return -ENOMEM;
        }
        w->n_containers++;
        return 0;
}

void exit_watch_remove(ExitWatch *w, const char *id) {
        WatchedContainer *c = id ? find(w, id) : NULL;

        if (!c)
                return;
        free(c->id);
        free(c->oom_dir);
        *c = w->containers[--w->n_containers];
}

int exit_watch_forget(ExitWatch *w, const char *id) {
        if (!container_id_valid(id))
                return -EINVAL;
        if (unlinkat(w->dir_fd, id, 0) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}
