/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Creating a container under conmon, invoked as CRI-O invokes it: conmon in the bundle directory
 * with a sync pipe (_OCI_SYNCPIPE, fd 3) and a start pipe (_OCI_STARTPIPE, fd 4). conmon waits on
 * the start pipe before it forks anything, so the caller can first move it into its scope
 * (crio-conmon-<id>.scope); then conmon daemonizes, runs "<runtime> create" and reports the
 * container's PID (or the runtime's error) as one JSON line on the sync pipe. The container is
 * then "created"; the OCI runtime starts it (oci-runtime.h).
 *
 * conmon writes the CRI log file (k8s-file driver) and, by default, the same lines to journald
 * with CONTAINER_ID, CONTAINER_ID_FULL, CONTAINER_NAME (from -n), CONTAINER_TAG and
 * SYSLOG_IDENTIFIER (from --log-tag). A conmon that takes --log-label (containers/conmon#562, merged
 * in 2025) also adds POD_ID, POD_NAME, POD_NAMESPACE and OBJECT_SYSTEMD_UNIT=crio-<id>.scope, by
 * which journalctl -u finds the lines (it matches OBJECT_SYSTEMD_UNIT= from senders running as
 * root); an older conmon's lines carry the CONTAINER_* fields only and belong to its own
 * crio-conmon-<id>.scope. When the container exits it writes the exit code to <exits dir>/<id>,
 * and "oom" into the bundle when the kernel OOM-killed it (exit-watch.h). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "macro.h"

#define CONMON_DEFAULT_PATH "/usr/bin/conmon"
/* CRI-O's ContainerCreateTimeout. */
#define CONMON_CREATE_TIMEOUT_USEC (240 * 1000000ULL)
#define CONMON_REOPEN_TIMEOUT_USEC (10 * 1000000ULL)
/* conmon's journald driver needs IDs longer than its 12-character short form. */
#define CONMON_SHORT_ID_LENGTH 12

/* Per runtime handler: the same for every container. */
typedef struct ConmonConfig {
        const char *conmon_path;        /* NULL: CONMON_DEFAULT_PATH */
        const char *runtime_path;       /* -r */
        const char *runtime_root;       /* --runtime-arg --root=... */
        bool systemd_cgroup;            /* -s: the runtime gets --systemd-cgroup */
        const char *exits_dir;          /* --exit-dir: container_exits_dir */
        const char *socket_dir;         /* --socket-dir-path: container_attach_socket_dir */
        const char *log_level;          /* --log-level; NULL: "info" */
        int64_t log_size_max;           /* --log-size-max when >= 0 (log_size_max, -1: none) */
        bool log_to_journald;           /* -l journald: beside the CRI file */
        bool log_labels;                /* with log_to_journald: --log-label POD_ID=... (conmon_create()
                                         * sets it from conmon_supports_log_label()) */
        bool no_pivot;
        bool no_sync_log;
        char *const *env;               /* conmon's environment (monitor_env); NULL: a default PATH */
        uint64_t create_timeout_usec;   /* 0: CONMON_CREATE_TIMEOUT_USEC */
} ConmonConfig;

/* Per container. */
typedef struct ConmonContainer {
        const char *id;                 /* -c and -u */
        const char *name;               /* -n: CONTAINER_NAME in the journal */
        const char *bundle_path;        /* -b; conmon's working directory, pid files, ctl fifo, oom */
        const char *persist_dir;        /* --persist-dir; NULL: the bundle */
        const char *log_path;           /* the CRI log file (no ':', conmon splits on it) */
        const char *log_tag;            /* --log-tag (journald only): CONTAINER_TAG; NULL: none */
        const char *pod_id;             /* --log-label POD_ID=, POD_NAME=, POD_NAMESPACE= (journald */
        const char *pod_name;           /* with log_labels only); NULL or empty: left out */
        const char *pod_namespace;
        bool terminal;                  /* -t */
        bool stdin;                     /* -i */
        bool stdin_once;                /* without it, --leave-stdin-open */
} ConmonContainer;

/* Whether the conmon at path takes --log-label (its --help says so). Asked once per binary: the
 * answer is kept until the file at path changes. A conmon that cannot be run counts as "no". */
bool conmon_supports_log_label(const char *path);

/* conmon's argv for creating ctr. -EINVAL for missing or unusable values. */
int conmon_build_argv(const ConmonConfig *config, const ConmonContainer *ctr, char ***ret);
/* The environment conmon gets: config->env (or PATH=...) and the two pipe variables. */
int conmon_build_env(const ConmonConfig *config, char ***ret);
/* <bundle>/pidfile (the container's PID, written by the runtime) and <bundle>/conmon-pidfile. */
int conmon_container_pidfile_path(const char *bundle_path, char **ret);
int conmon_pidfile_path(const char *bundle_path, char **ret);

/* One JSON line of conmon's sync pipe: {"pid": N} (or "data" with --api-version 1, "exit_code"
 * for exec), with "message" when N is -1. */
typedef struct ConmonSyncMessage {
        int64_t value;
        char *message;                  /* NULL when absent */
} ConmonSyncMessage;

void conmon_sync_message_done(ConmonSyncMessage *m);
/* -EBADMSG when it is not such an object. */
int conmon_sync_message_parse(const char *json, size_t size, ConmonSyncMessage *ret);

typedef struct Conmon Conmon;

/* conmon runs and waits on its start pipe: put conmon_pid into its cgroup, then call
 * conmon_proceed(). Runs from the event loop, never inside conmon_create(). */
typedef void (*ConmonPlaceHandler)(Conmon *c, pid_t conmon_pid, void *userdata);
/* r: 0 when the container is created; -EPROTO when conmon or the runtime reported a failure
 * (conmon_get_error()), -ETIMEDOUT, -EIO when conmon went away without a word, or the r given to
 * conmon_proceed(). On failure conmon has been killed. The handler may free c. */
typedef void (*ConmonCreateHandler)(Conmon *c, int r, void *userdata);

/* Starts conmon for ctr. place may be NULL: conmon then proceeds at once. */
int conmon_create(sd_event *event, const ConmonConfig *config, const ConmonContainer *ctr,
                  ConmonPlaceHandler place, ConmonCreateHandler handler, void *userdata, Conmon **ret);
/* After place: r >= 0 lets conmon go on, r < 0 aborts the creation with r. */
void conmon_proceed(Conmon *c, int r);
/* Cancels a creation still under way (conmon is killed); a created container is left alone. */
Conmon *conmon_free(Conmon *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(Conmon *, conmon_free);

/* After success: conmon's daemon PID (its pid file) and the container's init PID. */
pid_t conmon_get_pid(const Conmon *c) _pure_;
pid_t conmon_get_container_pid(const Conmon *c) _pure_;
/* Text for users about a failure, NULL on success. */
const char *conmon_get_error(const Conmon *c) _pure_;

/* ReopenContainerLog: "2 0 0\n" to <bundle>/ctl, then waiting for conmon to replace log_path.
 * -ESRCH at once when no conmon reads the fifo (the container stopped). */
typedef struct ConmonReopen ConmonReopen;
typedef void (*ConmonReopenHandler)(ConmonReopen *op, int r, void *userdata);
int conmon_reopen_log(sd_event *event, const char *bundle_path, const char *log_path, uint64_t timeout_usec,
                      ConmonReopenHandler handler, void *userdata, ConmonReopen **ret);
ConmonReopen *conmon_reopen_free(ConmonReopen *op);
DEFINE_TRIVIAL_CLEANUP_FUNC(ConmonReopen *, conmon_reopen_free);
