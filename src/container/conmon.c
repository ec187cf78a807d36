/* SPDX-License-Identifier: Apache-2.0 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <pthread.h>
#include <stdarg.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conmon.h"
#include "container-util.h"
#include "log.h"

/* CRI-O's default monitor_env. */
#define CONMON_DEFAULT_ENV_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define SYNC_MESSAGE_MAX (64U * 1024U)
/* conmon finds its pipes at these descriptors, as CRI-O passes them (ExtraFiles 0 and 1). */
#define CONMON_SYNC_FD 3
#define CONMON_START_FD 4
/* conmon --help prints about 4 KiB; a binary that hangs must not hold the loop for long. */
#define CONMON_HELP_MAX (64U * 1024U)
#define CONMON_HELP_TIMEOUT_MSEC 2000
#define CONMON_PROBE_CACHE_SIZE 8

struct Conmon {
        sd_event *event;
        char *id;
        char *bundle_path;
        pid_t pid;                      /* the process we started; it forks the daemon and exits */
        bool reaped;
        int exit_status;                /* of pid, -1 while unknown */
        bool placing;
        bool synced;
        bool done;
        int sync_fd;
        int start_fd;
        char *sync_buf;
        size_t sync_size;
        uint64_t timeout_usec;
        sd_event_source *child_source;
        sd_event_source *sync_source;
        sd_event_source *timer_source;
        sd_event_source *defer_source;
        pid_t monitor_pid;
        pid_t container_pid;
        char *error;
        ConmonPlaceHandler place;
        ConmonCreateHandler handler;
        void *userdata;
};

static bool path_ok(const char *p) {
        return p && p[0] == '/';
}

int conmon_container_pidfile_path(const char *bundle_path, char **ret) {
        return asprintf(ret, "%s/pidfile", bundle_path) < 0 ? -ENOMEM : 0;
}

int conmon_pidfile_path(const char *bundle_path, char **ret) {
        return asprintf(ret, "%s/conmon-pidfile", bundle_path) < 0 ? -ENOMEM : 0;
}

/* ---- features ------------------------------------------------------------------------------ */

typedef struct ConmonProbe {
        char *path;
        dev_t dev;
        ino_t ino;
        struct timespec mtime;
        bool log_label;
} ConmonProbe;

/* Every handler may name its own monitor_path; a handful of binaries at most. */
static ConmonProbe probe_cache[CONMON_PROBE_CACHE_SIZE];
static size_t probe_next;

static bool help_mentions(const char *path, const char *option) {
        _cleanup_free_ char *out = NULL;
        _cleanup_close_ int null_fd = -EBADF, read_fd = -EBADF;
        posix_spawn_file_actions_t actions;
        char *const argv[] = { (char *) path, (char *) "--help", NULL };
        char *const envp[] = { (char *) CONMON_DEFAULT_ENV_PATH, NULL };
        struct timespec start;
        size_t size = 0;
        siginfo_t si;
        pid_t pid;
        int p[2], r;

        out = malloc(CONMON_HELP_MAX + 1);
        null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (!out || null_fd < 0 || pipe2(p, O_CLOEXEC) < 0)
                return false;
        read_fd = p[0];
        r = posix_spawn_file_actions_init(&actions);
        if (r != 0) {
                safe_close(p[1]);
                return false;
        }
        r = posix_spawn_file_actions_adddup2(&actions, null_fd, STDIN_FILENO);
        if (r == 0)
                r = posix_spawn_file_actions_adddup2(&actions, p[1], STDOUT_FILENO);
        if (r == 0)
                r = posix_spawn_file_actions_adddup2(&actions, null_fd, STDERR_FILENO);
        if (r == 0)
                r = posix_spawn(&pid, path, &actions, NULL, argv, envp);
        posix_spawn_file_actions_destroy(&actions);
        safe_close(p[1]);
        if (r != 0) {
                log_debug_errno(r, "Failed to run %s --help: %m", path);
                return false;
        }

        (void) clock_gettime(CLOCK_MONOTONIC, &start);
        while (size < CONMON_HELP_MAX) {
                struct pollfd pfd = { .fd = read_fd, .events = POLLIN };
                struct timespec now;
                long elapsed;
                ssize_t n;

                (void) clock_gettime(CLOCK_MONOTONIC, &now);
                elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
                if (elapsed >= CONMON_HELP_TIMEOUT_MSEC)
                        break;
                r = poll(&pfd, 1, (int) (CONMON_HELP_TIMEOUT_MSEC - elapsed));
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        break;
                n = read(read_fd, out + size, CONMON_HELP_MAX - size);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                size += (size_t) n;
        }
        out[size] = '\0';
        /* Done reading, whatever it still does. */
        (void) kill(pid, SIGKILL);
        (void) waitid(P_PID, (id_t) pid, &si, WEXITED);
        return strstr(out, option) != NULL;
}

bool conmon_supports_log_label(const char *path) {
        ConmonProbe *e;
        struct stat st;

        if (!path_ok(path) || stat(path, &st) < 0 || !S_ISREG(st.st_mode) || access(path, X_OK) < 0)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(probe_cache); i++) {
                e = &probe_cache[i];
                if (e->path && strcmp(e->path, path) == 0 && e->dev == st.st_dev && e->ino == st.st_ino &&
                    e->mtime.tv_sec == st.st_mtim.tv_sec && e->mtime.tv_nsec == st.st_mtim.tv_nsec)
                        return e->log_label;
        }

        /* Not asked yet, or the binary was replaced (a package upgrade). */
        e = &probe_cache[probe_next];
        probe_next = (probe_next + 1) % ELEMENTSOF(probe_cache);
        free(e->path);
        *e = (ConmonProbe) {
                .path = strdup(path),
                .dev = st.st_dev,
                .ino = st.st_ino,
                .mtime = st.st_mtim,
                .log_label = help_mentions(path, "--log-label"),
        };
        log_debug("%s %s --log-label.", path, e->log_label ? "takes" : "does not take");
        return e->log_label;
}

/* --log-label KEY=VALUE, unless the value is missing. */
static int push_label(char ***argv, const char *key, const char *value) {
        int r;

        if (!value || !*value)
                return 0;
        r = strv_push(argv, "--log-label");
        if (r < 0)
                return r;
        return strv_pushf(argv, "%s=%s", key, value);
}

int conmon_build_argv(const ConmonConfig *config, const ConmonContainer *ctr, char ***ret) {
        _cleanup_(strv_freep) char **argv = NULL;
        _cleanup_free_ char *pidfile = NULL, *conmon_pidfile = NULL;
        int r;

        if (!container_id_valid(ctr->id) || !ctr->name || !path_ok(ctr->bundle_path) ||
            !path_ok(ctr->log_path) || strchr(ctr->log_path, ':') || !path_ok(config->runtime_path) ||
            !path_ok(config->runtime_root) || !path_ok(config->exits_dir) || !path_ok(config->socket_dir) ||
            (ctr->persist_dir && !path_ok(ctr->persist_dir)))
                return -EINVAL;
        if (config->log_to_journald && strlen(ctr->id) <= CONMON_SHORT_ID_LENGTH)
                return -EINVAL;

        r = conmon_container_pidfile_path(ctr->bundle_path, &pidfile);
        if (r >= 0)
                r = conmon_pidfile_path(ctr->bundle_path, &conmon_pidfile);
        if (r < 0)
                return r;

        /* CRI-O's order, with the API version podman uses and the journald driver it adds. */
        r = strv_push_many(&argv,
                                  config->conmon_path ?: CONMON_DEFAULT_PATH,
                                  "--api-version", "1",
                                  "-b", ctr->bundle_path,
                                  "-c", ctr->id,
                                  "--exit-dir", config->exits_dir,
                                  NULL);
        if (r >= 0)
                r = strv_pushf(&argv, "-l");
        if (r >= 0)
                r = strv_pushf(&argv, "k8s-file:%s", ctr->log_path);
        if (r >= 0)
                r = strv_push_many(&argv,
                                          "--log-level", config->log_level ?: "info",
                                          "-n", ctr->name,
                                          "-P", conmon_pidfile,
                                          "-p", pidfile,
                                          "--persist-dir", ctr->persist_dir ?: ctr->bundle_path,
                                          "-r", config->runtime_path,
                                          "--runtime-arg", NULL);
        if (r >= 0)
                r = strv_pushf(&argv, "--root=%s", config->runtime_root);
        if (r >= 0)
                r = strv_push_many(&argv,
                                          "--socket-dir-path", config->socket_dir,
                                          "--syslog",
                                          "-u", ctr->id,
                                          NULL);
        if (r >= 0 && config->systemd_cgroup)
                r = strv_push(&argv, "-s");
        if (r >= 0 && config->log_size_max >= 0) {
                r = strv_push(&argv, "--log-size-max");
                if (r >= 0)
                        r = strv_pushf(&argv, "%" PRIi64, config->log_size_max);
        }
        if (r >= 0 && config->no_sync_log)
                r = strv_push(&argv, "--no-sync-log");
        if (r >= 0 && config->log_to_journald) {
                r = strv_push_many(&argv, "-l", "journald:", NULL);
                if (r >= 0 && ctr->log_tag)
                        r = strv_push_many(&argv, "--log-tag", ctr->log_tag, NULL);
        }
        if (r >= 0 && config->log_to_journald && config->log_labels) {
                r = push_label(&argv, "POD_ID", ctr->pod_id);
                if (r >= 0)
                        r = push_label(&argv, "POD_NAME", ctr->pod_name);
                if (r >= 0)
                        r = push_label(&argv, "POD_NAMESPACE", ctr->pod_namespace);
                /* The runtime's systemd driver puts the container into crio-<id>.scope; the lines
                 * come from conmon's scope, and this field lets journalctl -u find them. */
                if (r >= 0 && config->systemd_cgroup) {
                        r = strv_push(&argv, "--log-label");
                        if (r >= 0)
                                r = strv_pushf(&argv, "OBJECT_SYSTEMD_UNIT=crio-%s.scope", ctr->id);
                }
        }
        if (r >= 0 && config->no_pivot)
                r = strv_push(&argv, "--no-pivot");
        if (r >= 0 && ctr->terminal)
                r = strv_push(&argv, "-t");
        else if (r >= 0 && ctr->stdin) {
                if (!ctr->stdin_once)
                        r = strv_push(&argv, "--leave-stdin-open");
                if (r >= 0)
                        r = strv_push(&argv, "-i");
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(argv);
        return 0;
}

int conmon_build_env(const ConmonConfig *config, char ***ret) {
        _cleanup_(strv_freep) char **env = NULL;
        int r = 0;

        if (config->env)
                for (char *const *e = config->env; r >= 0 && *e; e++) {
                        if (strncmp(*e, "_OCI_", 5) == 0)
                                continue;
                        r = strv_push(&env, *e);
                }
        else
                r = strv_push(&env, CONMON_DEFAULT_ENV_PATH);
        if (r >= 0)
                r = strv_pushf(&env, "_OCI_SYNCPIPE=%d", CONMON_SYNC_FD);
        if (r >= 0)
                r = strv_pushf(&env, "_OCI_STARTPIPE=%d", CONMON_START_FD);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(env);
        return 0;
}

/* ---- creation ------------------------------------------------------------------------------ */

static void conmon_kill(Conmon *c) {
        if (c->pid > 0 && !c->reaped) {
                siginfo_t si;

                (void) kill(c->pid, SIGKILL);
                (void) waitid(P_PID, c->pid, &si, WEXITED);
                c->reaped = true;
        }
        /* The daemonized conmon, if it got that far, and with it the runtime it runs. */
        if (c->monitor_pid <= 0 && c->bundle_path) {
                _cleanup_free_ char *p = NULL;

                if (conmon_pidfile_path(c->bundle_path, &p) >= 0)
                        (void) container_read_pid_file(p, &c->monitor_pid);
        }
        if (c->monitor_pid > 0)
                (void) kill(c->monitor_pid, SIGKILL);
}

static void release_sources(Conmon *c) {
        c->child_source = sd_event_source_disable_unref(c->child_source);
        c->sync_source = sd_event_source_disable_unref(c->sync_source);
        c->timer_source = sd_event_source_disable_unref(c->timer_source);
        c->defer_source = sd_event_source_disable_unref(c->defer_source);
        c->sync_fd = safe_close(c->sync_fd);
        c->start_fd = safe_close(c->start_fd);
}

Conmon *conmon_free(Conmon *c) {
        if (!c)
                return NULL;
        if (!c->done)
                conmon_kill(c);
        release_sources(c);
        sd_event_unref(c->event);
        free(c->id);
        free(c->bundle_path);
        free(c->sync_buf);
        free(c->error);
        return mfree(c);
}

pid_t conmon_get_pid(const Conmon *c) {
        return c->monitor_pid;
}

pid_t conmon_get_container_pid(const Conmon *c) {
        return c->container_pid;
}

const char *conmon_get_error(const Conmon *c) {
        return c->error;
}

static void complete(Conmon *c, int r) {
        if (c->done)
                return;
        if (r < 0) {
                conmon_kill(c);
                if (!c->error)
                        (void) asprintf(&c->error, "container create failed: %s", strerror(-r));
                log_warning("Container %s: %s", c->id, c->error ?: "create failed");
        }
        c->done = true;
        release_sources(c);
        /* The handler may free c. */
        c->handler(c, r, c->userdata);
}

static void fail(Conmon *c, int r, const char *format, ...) _printf_(3, 4);
static void fail(Conmon *c, int r, const char *format, ...) {
        va_list ap;

        if (!c->error) {
                va_start(ap, format);
                if (vasprintf(&c->error, format, ap) < 0)
                        c->error = NULL;
                va_end(ap);
        }
        complete(c, r);
}

/* Created once conmon reported the PID and the process we started is gone, so that its pid file
 * is there to read. */
static void maybe_complete(Conmon *c) {
        _cleanup_free_ char *p = NULL;
        int r;

        if (!c->synced || !c->reaped || c->done)
                return;
        if (c->exit_status != 0)
                return fail(c, -EPROTO, "conmon exited with status %d", c->exit_status);
        r = conmon_pidfile_path(c->bundle_path, &p);
        if (r >= 0)
                r = container_read_pid_file(p, &c->monitor_pid);
        if (r < 0)
                log_warning_errno(r, "Failed to read conmon's pid file of container %s, ignoring: %m", c->id);
        log_debug("Container %s created: PID %d, conmon %d.", c->id, (int) c->container_pid, (int) c->monitor_pid);
        complete(c, 0);
}

static int on_conmon_exit(sd_event_source *s, const siginfo_t *si, void *userdata) {
        Conmon *c = userdata;

        c->reaped = true;
        c->child_source = sd_event_source_disable_unref(c->child_source);
        c->exit_status = si->si_code == CLD_EXITED ? si->si_status : 128 + si->si_status;
        if (c->exit_status != 0)
                log_debug("conmon of %s (PID %d) exited with status %d.", c->id, (int) c->pid, c->exit_status);
        maybe_complete(c);
        return 0;
}

static void handle_sync_message(Conmon *c) {
        ConmonSyncMessage m = {};
        int r;

        r = conmon_sync_message_parse(c->sync_buf, c->sync_size, &m);
        if (r < 0)
                return fail(c, -EPROTO, "container create failed: conmon sent an invalid message");
        if (m.value <= 0) {
                fail(c, -EPROTO, "container create failed: %s", m.message ?: "no reason given");
                conmon_sync_message_done(&m);
                return;
        }
        conmon_sync_message_done(&m);
        if (m.value > INT32_MAX)
                return fail(c, -EPROTO, "container create failed: conmon sent an invalid PID");
        c->container_pid = (pid_t) m.value;
        c->synced = true;
        /* CRI-O closes its end here too; conmon copes with a closed pipe. */
        c->sync_source = sd_event_source_disable_unref(c->sync_source);
        c->sync_fd = safe_close(c->sync_fd);
        c->timer_source = sd_event_source_disable_unref(c->timer_source);
        maybe_complete(c);
}

static int on_sync(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Conmon *c = userdata;

        for (;;) {
                char buf[4096];
                ssize_t n = read(fd, buf, sizeof(buf));

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                return 0;
                        fail(c, -EIO, "container create failed: reading from conmon: %s", strerror(errno));
                        return 0;
                }
                if (n == 0) {
                        if (c->sync_size > 0)
                                handle_sync_message(c);
                        else if (c->reaped && c->exit_status != 0)
                                fail(c, -EPROTO, "container create failed: conmon exited with status %d",
                                     c->exit_status);
                        else
                                fail(c, -EIO, "container create failed: conmon exited without reporting");
                        return 0;
                }
                if (c->sync_size + (size_t) n > SYNC_MESSAGE_MAX) {
                        fail(c, -EPROTO, "container create failed: conmon's message is too long");
                        return 0;
                }
                char *b = realloc(c->sync_buf, c->sync_size + (size_t) n + 1);
                if (!b) {
                        fail(c, -ENOMEM, "container create failed: out of memory");
                        return 0;
                }
                c->sync_buf = b;
                memcpy(c->sync_buf + c->sync_size, buf, (size_t) n);
                c->sync_size += (size_t) n;
                c->sync_buf[c->sync_size] = '\0';
                if (memchr(buf, '\n', (size_t) n)) {
                        /* One message: the first line. */
                        c->sync_size = (size_t) (strchr(c->sync_buf, '\n') - c->sync_buf);
                        handle_sync_message(c);
                        return 0;
                }
        }
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Conmon *c = userdata;

        fail(c, -ETIMEDOUT, "container create failed: timed out after %llu s",
             (unsigned long long) (c->timeout_usec / 1000000ULL));
        return 0;
}

void conmon_proceed(Conmon *c, int r) {
        static const char byte = 0;

        if (c->done || !c->placing)
                return;
        c->placing = false;
        if (r < 0)
                return fail(c, r, "container create failed: placing conmon: %s", strerror(-r));

        /* conmon now forks and runs the runtime in the cgroup it was put in. */
        r = send(c->start_fd, &byte, 1, MSG_NOSIGNAL) < 0 ? -errno : 0;
        c->start_fd = safe_close(c->start_fd);
        if (r < 0)
                return fail(c, -EIO, "container create failed: conmon is gone (%s)", strerror(-r));
}

static int on_defer_place(sd_event_source *s, void *userdata) {
        Conmon *c = userdata;

        c->defer_source = sd_event_source_disable_unref(c->defer_source);
        if (c->place)
                c->place(c, c->pid, c->userdata);
        else
                conmon_proceed(c, 0);
        return 0;
}

/* posix_spawn's dup2 onto the same number would keep O_CLOEXEC: keep our ends away from 3 and 4. */
static int fd_move_high(int fd) {
        int n;

        if (fd < 0 || fd > CONMON_START_FD)
                return fd;
        n = fcntl(fd, F_DUPFD_CLOEXEC, 10);
        safe_close(fd);
        return n < 0 ? -errno : n;
}

int conmon_create(sd_event *event, const ConmonConfig *config, const ConmonContainer *ctr,
                  ConmonPlaceHandler place, ConmonCreateHandler handler, void *userdata, Conmon **ret) {
        _cleanup_(conmon_freep) Conmon *c = NULL;
        _cleanup_(strv_freep) char **argv = NULL, **env = NULL;
        _cleanup_close_ int sync_w = -EBADF, start_r = -EBADF, null_fd = -EBADF;
        posix_spawn_file_actions_t actions;
        posix_spawnattr_t attr;
        sigset_t mask, defaults;
        ConmonConfig effective = *config;
        int p[2], r;

        effective.log_labels = config->log_to_journald &&
                               conmon_supports_log_label(config->conmon_path ?: CONMON_DEFAULT_PATH);
        r = conmon_build_argv(&effective, ctr, &argv);
        if (r < 0)
                return r;
        r = conmon_build_env(config, &env);
        if (r < 0)
                return r;

        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        r = pthread_sigmask(SIG_BLOCK, &mask, NULL);
        if (r != 0)
                return -r;

        c = calloc(1, sizeof(Conmon));
        if (!c)
                return -ENOMEM;
        *c = (Conmon) {
                .event = sd_event_ref(event),
                .exit_status = -1,
                .sync_fd = -EBADF,
                .start_fd = -EBADF,
                .timeout_usec = config->create_timeout_usec ?: CONMON_CREATE_TIMEOUT_USEC,
                .place = place,
                .handler = handler,
                .userdata = userdata,
        };
        c->id = strdup(ctr->id);
        c->bundle_path = strdup(ctr->bundle_path);
        if (!c->id || !c->bundle_path)
                return -ENOMEM;

        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        c->sync_fd = p[0];
        sync_w = p[1];
        /* A socket rather than a pipe: our write to a conmon that died must not raise SIGPIPE. */
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p) < 0)
                return -errno;
        start_r = p[0];
        c->start_fd = p[1];
        (void) shutdown(start_r, SHUT_WR);
        sync_w = fd_move_high(sync_w);
        start_r = fd_move_high(start_r);
        if (sync_w < 0 || start_r < 0)
                return sync_w < 0 ? sync_w : start_r;
        if (fcntl(c->sync_fd, F_SETFL, O_NONBLOCK) < 0)
                return -errno;
        null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null_fd < 0)
                return -errno;

        r = posix_spawn_file_actions_init(&actions);
        if (r != 0)
                return -r;
        r = posix_spawnattr_init(&attr);
        if (r != 0) {
                posix_spawn_file_actions_destroy(&actions);
                return -r;
        }
        sigemptyset(&mask);
        sigfillset(&defaults);
        /* stdin and stdout are /dev/null; stderr stays ours, for conmon's own complaints (it also
         * logs to syslog). */
        r = posix_spawn_file_actions_adddup2(&actions, null_fd, STDIN_FILENO);
        if (r == 0)
                r = posix_spawn_file_actions_adddup2(&actions, null_fd, STDOUT_FILENO);
        if (r == 0)
                r = posix_spawn_file_actions_adddup2(&actions, sync_w, CONMON_SYNC_FD);
        if (r == 0)
                r = posix_spawn_file_actions_adddup2(&actions, start_r, CONMON_START_FD);
        if (r == 0)
                r = posix_spawn_file_actions_addchdir_np(&actions, ctr->bundle_path);
        if (r == 0)
                r = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        if (r == 0)
                r = posix_spawnattr_setsigmask(&attr, &mask);
        if (r == 0)
                r = posix_spawnattr_setsigdefault(&attr, &defaults);
        if (r == 0)
                r = posix_spawn(&c->pid, argv[0], &actions, &attr, argv, env);
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attr);
        if (r != 0) {
                c->pid = 0;
                return log_error_errno(r, "Failed to start %s for container %s: %m", argv[0], ctr->id);
        }
        log_debug("Started conmon for container %s as PID %d.", ctr->id, (int) c->pid);

        r = sd_event_add_child(event, &c->child_source, c->pid, WEXITED, on_conmon_exit, c);
        if (r < 0)
                return r;
        r = sd_event_add_io(event, &c->sync_source, c->sync_fd, EPOLLIN, on_sync, c);
        if (r < 0)
                return r;
        /* A failed conmon's last words are read before its exit is handled. */
        (void) sd_event_source_set_priority(c->sync_source, SD_EVENT_PRIORITY_IMPORTANT);
        r = sd_event_add_time_relative(event, &c->timer_source, CLOCK_MONOTONIC, c->timeout_usec,
                                       /* accuracy= */ 0, on_timeout, c);
        if (r < 0)
                return r;
        c->placing = true;
        r = sd_event_add_defer(event, &c->defer_source, on_defer_place, c);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(c);
        return 0;
}

/* ---- log reopening ------------------------------------------------------------------------- */

/* A fifo whose reader went away raises SIGPIPE at the writer: keep it blocked for the write and
 * take a signal it caused off the thread again, so it neither kills us nor lingers. */
static int write_fifo(int fd, const char *data, size_t size) {
        const struct timespec zero = {};
        sigset_t mask, old;
        int r;

        sigemptyset(&mask);
        sigaddset(&mask, SIGPIPE);
        if (pthread_sigmask(SIG_BLOCK, &mask, &old) != 0)
                return -EINVAL;
        r = loop_write(fd, data, size);
        if (r == -EPIPE)
                (void) sigtimedwait(&mask, NULL, &zero);
        (void) pthread_sigmask(SIG_SETMASK, &old, NULL);
        return r;
}

struct ConmonReopen {
        char *log_name;
        sd_event_source *inotify_source;
        sd_event_source *timer_source;
        sd_event_source *defer_source;
        int result;
        ConmonReopenHandler handler;
        void *userdata;
};

ConmonReopen *conmon_reopen_free(ConmonReopen *op) {
        if (!op)
                return NULL;
        sd_event_source_disable_unref(op->inotify_source);
        sd_event_source_disable_unref(op->timer_source);
        sd_event_source_disable_unref(op->defer_source);
        free(op->log_name);
        return mfree(op);
}

static void reopen_complete(ConmonReopen *op, int r) {
        op->inotify_source = sd_event_source_disable_unref(op->inotify_source);
        op->timer_source = sd_event_source_disable_unref(op->timer_source);
        op->defer_source = sd_event_source_disable_unref(op->defer_source);
        op->handler(op, r, op->userdata);
}

static int on_reopen_inotify(sd_event_source *s, const struct inotify_event *event, void *userdata) {
        ConmonReopen *op = userdata;

        /* conmon opens "<log>.tmp" and renames it over the log. */
        if (event->len > 0 && strcmp(event->name, op->log_name) == 0 &&
            (event->mask & (IN_MOVED_TO | IN_CREATE)))
                reopen_complete(op, 0);
        return 0;
}

static int on_reopen_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        reopen_complete(userdata, -ETIMEDOUT);
        return 0;
}

static int on_reopen_defer(sd_event_source *s, void *userdata) {
        ConmonReopen *op = userdata;

        reopen_complete(op, op->result);
        return 0;
}

int conmon_reopen_log(sd_event *event, const char *bundle_path, const char *log_path, uint64_t timeout_usec,
                      ConmonReopenHandler handler, void *userdata, ConmonReopen **ret) {
        _cleanup_(conmon_reopen_freep) ConmonReopen *op = NULL;
        _cleanup_free_ char *dir = NULL, *base = NULL, *ctl = NULL;
        _cleanup_close_ int fd = -EBADF;
        static const char message[] = "2 0 0\n";
        int r;

        if (!path_ok(bundle_path) || !path_ok(log_path))
                return -EINVAL;
        op = calloc(1, sizeof(ConmonReopen));
        if (!op)
                return -ENOMEM;
        op->handler = handler;
        op->userdata = userdata;
        dir = strdup(log_path);
        base = strdup(log_path);
        if (!dir || !base)
                return -ENOMEM;
        op->log_name = strdup(basename(base));
        if (!op->log_name)
                return -ENOMEM;

        if (asprintf(&ctl, "%s/ctl", bundle_path) < 0)
                return -ENOMEM;
        /* Without a reader (conmon is gone) a non-blocking open for writing fails with ENXIO. */
        fd = open(ctl, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                r = -errno;
                if (IN_SET(r, -ENXIO, -ENOENT))
                        return log_debug_errno(ESRCH, "No conmon reads %s: container is not running.", ctl);
                return log_warning_errno(r, "Failed to open %s: %m", ctl);
        }

        /* Watch before asking, so the rename cannot be missed. */
        r = sd_event_add_inotify(event, &op->inotify_source, dirname(dir), IN_MOVED_TO | IN_CREATE | IN_ONLYDIR,
                                 on_reopen_inotify, op);
        if (r < 0)
                return log_warning_errno(r, "Failed to watch the log directory of %s: %m", log_path);
        r = sd_event_add_time_relative(event, &op->timer_source, CLOCK_MONOTONIC,
                                       timeout_usec ?: CONMON_REOPEN_TIMEOUT_USEC, 0, on_reopen_timeout, op);
        if (r < 0)
                return r;

        r = write_fifo(fd, message, strlen(message));
        if (r < 0) {
                if (r == -EPIPE) {
                        /* conmon went away between open and write: report it from the loop. */
                        op->inotify_source = sd_event_source_disable_unref(op->inotify_source);
                        op->timer_source = sd_event_source_disable_unref(op->timer_source);
                        op->result = -ESRCH;
                        r = sd_event_add_defer(event, &op->defer_source, on_reopen_defer, op);
                        if (r < 0)
                                return r;
                } else
                        return log_warning_errno(r, "Failed to write to %s: %m", ctl);
        }
        *ret = TAKE_PTR(op);
        return 0;
}
