/* SPDX-License-Identifier: Apache-2.0 */

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "container-stop.h"
#include "container-util.h"
#include "log.h"

#define STOP_POLL_USEC (100 * 1000ULL)
#define KILL_RETRY_USEC (2 * 1000000ULL)

struct ContainerStop {
        OciRuntime *runtime;
        sd_event *event;
        char *id;
        pid_t pid;
        int pidfd;
        int signo;
        bool killed;
        bool done;
        OciOperation *op;
        sd_event_source *pidfd_source;
        sd_event_source *poll_source;
        sd_event_source *timer_source;
        sd_event_source *defer_source;
        ContainerStopHandler handler;
        void *userdata;
};

ContainerStop *container_stop_free(ContainerStop *s) {
        if (!s)
                return NULL;
        oci_operation_free(s->op);
        sd_event_source_disable_unref(s->pidfd_source);
        sd_event_source_disable_unref(s->poll_source);
        sd_event_source_disable_unref(s->timer_source);
        sd_event_source_disable_unref(s->defer_source);
        safe_close(s->pidfd);
        sd_event_unref(s->event);
        free(s->id);
        return mfree(s);
}

bool container_stop_killed(const ContainerStop *s) {
        return s->killed;
}

static bool process_gone(ContainerStop *s) {
        return kill(s->pid, 0) < 0 && errno == ESRCH;
}

static void stop_complete(ContainerStop *s, int r) {
        if (s->done)
                return;
        s->done = true;
        s->pidfd_source = sd_event_source_disable_unref(s->pidfd_source);
        s->poll_source = sd_event_source_disable_unref(s->poll_source);
        s->timer_source = sd_event_source_disable_unref(s->timer_source);
        s->op = oci_operation_free(s->op);
        s->handler(s, r, s->userdata);
}

static void on_kill_done(OciOperation *op, int r, void *userdata) {
        ContainerStop *s = userdata;

        s->op = oci_operation_free(s->op);
        /* The runtime says the process is gone: so much the better. */
        if (r < 0 && !IN_SET(r, -ESRCH, -ENOENT))
                log_warning("Stopping container %s: %s", s->id, oci_operation_get_error(op) ?: "kill failed");
}

static int send_signal(ContainerStop *s, int signo) {
        if (s->op)
                return 0;       /* the previous kill still runs */
        return oci_runtime_kill(s->runtime, s->id, signo, /* all= */ false, on_kill_done, s, &s->op);
}

static int on_pidfd(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        stop_complete(userdata, 0);
        return 0;
}

static int on_poll(sd_event_source *source, uint64_t usec, void *userdata) {
        ContainerStop *s = userdata;

        if (process_gone(s)) {
                stop_complete(s, 0);
                return 0;
        }
        (void) sd_event_source_set_time_relative(source, STOP_POLL_USEC);
        (void) sd_event_source_set_enabled(source, SD_EVENT_ONESHOT);
        return 0;
}

static int on_timeout(sd_event_source *source, uint64_t usec, void *userdata) {
        ContainerStop *s = userdata;
        int r;

        if (!s->killed)
                log_warning("Stopping container %s with signal %d timed out, killing it.", s->id, s->signo);
        s->killed = true;
        r = send_signal(s, SIGKILL);
        if (r < 0) {
                stop_complete(s, r);
                return 0;
        }
        /* Until it is gone: a process in uninterruptible sleep takes its time. */
        (void) sd_event_source_set_time_relative(source, KILL_RETRY_USEC);
        (void) sd_event_source_set_enabled(source, SD_EVENT_ONESHOT);
        return 0;
}

static int on_defer(sd_event_source *source, void *userdata) {
        stop_complete(userdata, 0);
        return 0;
}

int container_stop(OciRuntime *rt, sd_event *event, const char *id, pid_t pid, int signo, uint64_t timeout_usec,
                   ContainerStopHandler handler, void *userdata, ContainerStop **ret) {
        _cleanup_(container_stop_freep) ContainerStop *s = NULL;
        int r;

        if (!container_id_valid(id) || pid <= 0 || signo <= 0 || signo >= _NSIG)
                return -EINVAL;
        s = calloc(1, sizeof(ContainerStop));
        if (!s)
                return -ENOMEM;
        *s = (ContainerStop) {
                .runtime = rt,
                .event = sd_event_ref(event),
                .pid = pid,
                .pidfd = -EBADF,
                .signo = signo,
                .handler = handler,
                .userdata = userdata,
        };
        s->id = strdup(id);
        if (!s->id)
                return -ENOMEM;

        s->pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
        if (s->pidfd < 0 && errno == ESRCH) {
                /* Already gone: nothing to stop. */
                r = sd_event_add_defer(event, &s->defer_source, on_defer, s);
                if (r < 0)
                        return r;
                *ret = TAKE_PTR(s);
                return 0;
        }
        if (s->pidfd >= 0)
                r = sd_event_add_io(event, &s->pidfd_source, s->pidfd, EPOLLIN, on_pidfd, s);
        else
                r = sd_event_add_time_relative(event, &s->poll_source, CLOCK_MONOTONIC, STOP_POLL_USEC, 0,
                                               on_poll, s);
        if (r < 0)
                return r;
        r = sd_event_add_time_relative(event, &s->timer_source, CLOCK_MONOTONIC, timeout_usec, 0, on_timeout, s);
        if (r < 0)
                return r;

        r = send_signal(s, signo);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}
