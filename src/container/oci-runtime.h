/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The OCI runtime command line (runc, crun: "<runtime> --root <root> [--systemd-cgroup] <command>")
 * as CRI-O drives it, each command a child on sd-event: start, kill, delete, state, update and the
 * exec behind ExecSync. Creation goes through conmon (conmon.h). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "macro.h"

typedef enum OciStatus {
        OCI_STATUS_CREATING,
        OCI_STATUS_CREATED,
        OCI_STATUS_RUNNING,
        OCI_STATUS_STOPPED,
        OCI_STATUS_PAUSED,
        _OCI_STATUS_MAX,
        _OCI_STATUS_INVALID = -EINVAL,
} OciStatus;

const char *oci_status_to_string(OciStatus s) _const_;
OciStatus oci_status_from_string(const char *s) _pure_;

/* What "<runtime> state <id>" prints (runtime-spec's state, plus runc's "created" time). */
typedef struct OciState {
        char *id;
        OciStatus status;
        pid_t pid;              /* 0 when the runtime reports none (stopped) */
        char *bundle;
        char *created;          /* RFC 3339 as the runtime wrote it, NULL if absent */
} OciState;

void oci_state_done(OciState *s);
/* Parses the JSON; -EBADMSG for anything else than an object with a known "status" and an "id". */
int oci_state_parse(const char *json, size_t size, OciState *ret);

/* CRI-O's cap of ExecSync output (stdout and stderr together), kubelet's dockershim figure. */
#define OCI_EXEC_SYNC_OUTPUT_MAX (16U * 1024U * 1024U)
/* Runtime commands other than exec are killed after this long. */
#define OCI_RUNTIME_COMMAND_TIMEOUT_USEC (120 * 1000000ULL)

typedef struct OciRuntime OciRuntime;
typedef struct OciOperation OciOperation;

/* r: 0 on success; -ESRCH when the runtime said the container (process) is not running or gone,
 * -ENOENT when it does not know the container, -ETIMEDOUT when the command was killed at the
 * timeout, -EPROTO for another failure (text in oci_operation_get_error()). For exec sync, a
 * command that ran and exited non-zero is a success: see oci_operation_get_exit_code(). The
 * handler may free the operation. */
typedef void (*OciOperationHandler)(OciOperation *op, int r, void *userdata);

/* path: the runtime binary; root: its state directory (--root); systemd_cgroup: pass
 * --systemd-cgroup (cgroup_manager "systemd"). SIGCHLD is blocked in the calling thread. */
int oci_runtime_new(sd_event *event, const char *path, const char *root, bool systemd_cgroup, OciRuntime **ret);
OciRuntime *oci_runtime_free(OciRuntime *rt);
DEFINE_TRIVIAL_CLEANUP_FUNC(OciRuntime *, oci_runtime_free);
const char *oci_runtime_get_path(const OciRuntime *rt) _pure_;
const char *oci_runtime_get_root(const OciRuntime *rt) _pure_;
bool oci_runtime_get_systemd_cgroup(const OciRuntime *rt) _pure_;
/* Where exec's process.json and pid file are written (default /tmp). */
int oci_runtime_set_tmp_dir(OciRuntime *rt, const char *dir);

/* The argv of "<runtime> --root <root> [--systemd-cgroup] args...", for tests and logs. */
int oci_runtime_build_argv(const OciRuntime *rt, char *const *args, char ***ret);

int oci_runtime_start_container(OciRuntime *rt, const char *id, OciOperationHandler handler, void *userdata,
                                OciOperation **ret);
/* signo as a number; all: "kill --all" (every process of the container). */
int oci_runtime_kill(OciRuntime *rt, const char *id, int signo, bool all, OciOperationHandler handler,
                     void *userdata, OciOperation **ret);
/* "delete [--force]"; a container the runtime does not know counts as deleted (CRI-O). */
int oci_runtime_delete(OciRuntime *rt, const char *id, bool force, OciOperationHandler handler, void *userdata,
                       OciOperation **ret);
/* "state": the result in oci_operation_get_state(). */
int oci_runtime_state(OciRuntime *rt, const char *id, OciOperationHandler handler, void *userdata,
                      OciOperation **ret);
/* "update --resources -" with the runtime-spec LinuxResources JSON on stdin. */
int oci_runtime_update(OciRuntime *rt, const char *id, const char *resources_json, OciOperationHandler handler,
                       void *userdata, OciOperation **ret);
/* "exec --process <file> <id>": process_json is runtime-spec's process object (terminal false).
 * stdout and stderr are captured (OCI_EXEC_SYNC_OUTPUT_MAX together); at the timeout (0: none)
 * the process is killed in the container and the operation completes with -ETIMEDOUT. */
int oci_runtime_exec_sync(OciRuntime *rt, const char *id, const char *process_json, uint64_t timeout_usec,
                          OciOperationHandler handler, void *userdata, OciOperation **ret);

/* Frees an operation; a command still running is killed and reaped. */
OciOperation *oci_operation_free(OciOperation *op);
DEFINE_TRIVIAL_CLEANUP_FUNC(OciOperation *, oci_operation_free);
/* Text for users about a failure ("`runc kill abc 15` failed: ..."), NULL on success. */
const char *oci_operation_get_error(const OciOperation *op) _pure_;
const OciState *oci_operation_get_state(const OciOperation *op) _pure_;
/* Exec sync: the command's exit status (128+N for signal N, -1 when it timed out). */
int oci_operation_get_exit_code(const OciOperation *op) _pure_;
const char *oci_operation_get_stdout(const OciOperation *op, size_t *ret_size);
const char *oci_operation_get_stderr(const OciOperation *op, size_t *ret_size);
bool oci_operation_output_truncated(const OciOperation *op) _pure_;
