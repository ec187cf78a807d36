/* SPDX-License-Identifier: Apache-2.0 */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child-run.h"
#include "container-util.h"
#include "log.h"
#include "oci-runtime.h"

struct OciRuntime {
        sd_event *event;
        char *path;
        char *root;
        char *tmp_dir;
        bool systemd_cgroup;
        /* Ours without NOTIFY_SOCKET: runc and crun would talk to systemd on crio's behalf. */
        char **env;
};

typedef enum OciCommand {
        OCI_COMMAND_START,
        OCI_COMMAND_KILL,
        OCI_COMMAND_DELETE,
        OCI_COMMAND_STATE,
        OCI_COMMAND_UPDATE,
        OCI_COMMAND_EXEC,
} OciCommand;

struct OciOperation {
        OciRuntime *runtime;            /* borrowed: operations do not outlive their runtime */
        OciCommand command;
        char *command_line;             /* for messages */
        ChildRun *run;
        char *process_file;             /* exec: removed when the operation goes */
        char *pid_file;
        OciState state;
        int exit_code;
        char *error;
        OciOperationHandler handler;
        void *userdata;
};

static const char *const status_table[_OCI_STATUS_MAX] = {
        [OCI_STATUS_CREATING] = "creating",
        [OCI_STATUS_CREATED] = "created",
        [OCI_STATUS_RUNNING] = "running",
        [OCI_STATUS_STOPPED] = "stopped",
        [OCI_STATUS_PAUSED] = "paused",
};

const char *oci_status_to_string(OciStatus s) {
        if (s < 0 || s >= _OCI_STATUS_MAX)
                return NULL;
        return status_table[s];
}

OciStatus oci_status_from_string(const char *s) {
        if (!s)
                return _OCI_STATUS_INVALID;
        for (size_t i = 0; i < ELEMENTSOF(status_table); i++)
                if (strcmp(status_table[i], s) == 0)
                        return (OciStatus) i;
        return _OCI_STATUS_INVALID;
}

void oci_state_done(OciState *s) {
        if (!s)
                return;
        s->id = mfree(s->id);
        s->bundle = mfree(s->bundle);
        s->created = mfree(s->created);
}

int oci_runtime_new(sd_event *event, const char *path, const char *root, bool systemd_cgroup, OciRuntime **ret) {
        _cleanup_(oci_runtime_freep) OciRuntime *rt = NULL;
        sigset_t mask;
        int r;

        if (!path || path[0] != '/' || !root || root[0] != '/')
                return -EINVAL;

        /* sd-event refuses to watch children while SIGCHLD is delivered normally. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        r = pthread_sigmask(SIG_BLOCK, &mask, NULL);
        if (r != 0)
                return -r;

        rt = calloc(1, sizeof(OciRuntime));
        if (!rt)
                return -ENOMEM;
        rt->event = sd_event_ref(event);
        rt->systemd_cgroup = systemd_cgroup;
        rt->path = strdup(path);
        rt->root = strdup(root);
        rt->tmp_dir = strdup("/tmp");
        if (!rt->path || !rt->root || !rt->tmp_dir)
                return -ENOMEM;
        for (char **e = environ; e && *e; e++)
                if (strncmp(*e, "NOTIFY_SOCKET=", 14) != 0 && strv_push(&rt->env, *e) < 0)
                        return -ENOMEM;
        if (!rt->env) {
                rt->env = calloc(1, sizeof(char *));
                if (!rt->env)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(rt);
        return 0;
}

OciRuntime *oci_runtime_free(OciRuntime *rt) {
        if (!rt)
                return NULL;
        sd_event_unref(rt->event);
        free(rt->path);
        free(rt->root);
        free(rt->tmp_dir);
        strv_free(rt->env);
        return mfree(rt);
}

const char *oci_runtime_get_path(const OciRuntime *rt) {
        return rt->path;
}

const char *oci_runtime_get_root(const OciRuntime *rt) {
        return rt->root;
}

bool oci_runtime_get_systemd_cgroup(const OciRuntime *rt) {
        return rt->systemd_cgroup;
}

int oci_runtime_set_tmp_dir(OciRuntime *rt, const char *dir) {
        char *d;

        if (!dir || dir[0] != '/')
                return -EINVAL;
        d = strdup(dir);
        if (!d)
                return -ENOMEM;
        free_and_replace(rt->tmp_dir, d);
        return 0;
}

int oci_runtime_build_argv(const OciRuntime *rt, char *const *args, char ***ret) {
        _cleanup_(strv_freep) char **argv = NULL;
        int r;

        r = strv_push_many(&argv, rt->path, "--root", rt->root, NULL);
        if (r >= 0 && rt->systemd_cgroup)
                r = strv_push(&argv, "--systemd-cgroup");
        for (char *const *a = args; r >= 0 && a && *a; a++)
                r = strv_push(&argv, *a);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(argv);
        return 0;
}

OciOperation *oci_operation_free(OciOperation *op) {
        if (!op)
                return NULL;
        child_run_free(op->run);
        if (op->process_file)
                (void) unlink(op->process_file);
        if (op->pid_file)
                (void) unlink(op->pid_file);
        free(op->process_file);
        free(op->pid_file);
        free(op->command_line);
        oci_state_done(&op->state);
        free(op->error);
        return mfree(op);
}

const char *oci_operation_get_error(const OciOperation *op) {
        return op->error;
}

const OciState *oci_operation_get_state(const OciOperation *op) {
        return op->state.id ? &op->state : NULL;
}

int oci_operation_get_exit_code(const OciOperation *op) {
        return op->exit_code;
}

const char *oci_operation_get_stdout(const OciOperation *op, size_t *ret_size) {
        if (!op->run) {
                if (ret_size)
                        *ret_size = 0;
                return "";
        }
        return child_run_get_stdout(op->run, ret_size);
}

const char *oci_operation_get_stderr(const OciOperation *op, size_t *ret_size) {
        if (!op->run) {
                if (ret_size)
                        *ret_size = 0;
                return "";
        }
        return child_run_get_stderr(op->run, ret_size);
}

bool oci_operation_output_truncated(const OciOperation *op) {
        return op->run && child_run_output_truncated(op->run);
}

/* The runtimes say "gone" in their own words; CRI-O matches the same phrases. */
static int classify_failure(const char *stderr_text) {
        if (strstr(stderr_text, "no such process") || strstr(stderr_text, "container not running") ||
            strstr(stderr_text, "invalid process") || strstr(stderr_text, "not running"))
                return -ESRCH;
        if (strstr(stderr_text, "does not exist") || strstr(stderr_text, "No such file or directory") ||
            strstr(stderr_text, "not found"))
                return -ENOENT;
        return -EPROTO;
}

static bool exec_process_started(const OciOperation *op) {
        pid_t pid;

        return op->pid_file && container_read_pid_file(op->pid_file, &pid) >= 0;
}

static void on_run_done(ChildRun *run, int r, void *userdata) {
        OciOperation *op = userdata;
        _cleanup_free_ char *err = NULL;
        const char *out;
        size_t size;

        if (op->command == OCI_COMMAND_EXEC) {
                if (r == -ETIMEDOUT)
                        op->exit_code = -1;
                else if (r == 0 || (r == -EPROTO && exec_process_started(op))) {
                        /* The process ran: its status is the result, not a failure of ours. */
                        op->exit_code = child_run_get_exit_status(run);
                        r = 0;
                } else if (r == -ECHILD)
                        op->exit_code = 128 + child_run_get_signal(run);
        }

        if (r == 0 && op->command == OCI_COMMAND_STATE) {
                out = child_run_get_stdout(run, &size);
                r = oci_state_parse(out, size, &op->state);
                if (r < 0)
                        (void) asprintf(&op->error, "`%s` printed no valid state", op->command_line);
        } else if (r == -ETIMEDOUT && op->command != OCI_COMMAND_EXEC)
                (void) asprintf(&op->error, "`%s` timed out", op->command_line);
        else if (r < 0 && r != -ETIMEDOUT) {
                (void) child_run_stderr_summary(run, &err);
                if (r == -EPROTO)
                        r = classify_failure(err ?: "");
                if (asprintf(&op->error, "`%s` failed (%s %d): %s", op->command_line,
                             child_run_get_signal(run) ? "signal" : "exit status",
                             child_run_get_signal(run) ?: child_run_get_exit_status(run), err ?: "") < 0)
                        op->error = NULL;
        }

        if (op->command == OCI_COMMAND_DELETE && IN_SET(r, -ENOENT, -ESRCH)) {
                op->error = mfree(op->error);
                r = 0;
        }
        if (r < 0)
                log_debug("OCI runtime: %s", op->error ?: "command failed");

        op->handler(op, r, op->userdata);
}

static void on_exec_timeout(ChildRun *run, void *userdata) {
        OciOperation *op = userdata;
        pid_t pid;

        /* The runtime's exec waits for a process that is not in its process group when it has a
         * terminal, and is in another PID namespace always: kill it by the PID the runtime wrote. */
        if (op->pid_file && container_read_pid_file(op->pid_file, &pid) >= 0)
                (void) kill(pid, SIGKILL);
}

static int operation_start(OciRuntime *rt, OciCommand command, char *const *args, const char *input,
                           uint64_t timeout_usec, size_t output_max, OciOperationHandler handler,
                           void *userdata, OciOperation **op_inout) {
        _cleanup_(strv_freep) char **argv = NULL;
        OciOperation *op = *op_inout;
        ChildRunOptions options = {
                .env = rt->env,
                .input = input,
                .input_size = input ? strlen(input) : 0,
                .output_max = output_max,
                .timeout_usec = timeout_usec,
                .timeout_hook = command == OCI_COMMAND_EXEC ? on_exec_timeout : NULL,
        };
        size_t len = 0;
        int r;

        op->runtime = rt;
        op->command = command;
        op->handler = handler;
        op->userdata = userdata;

        r = oci_runtime_build_argv(rt, args, &argv);
        if (r < 0)
                return r;
        for (char **a = argv; *a; a++)
                len += strlen(*a) + 1;
        op->command_line = malloc(len);
        if (!op->command_line)
                return -ENOMEM;
        op->command_line[0] = '\0';
        for (char **a = argv; *a; a++) {
                if (a != argv)
                        strcat(op->command_line, " ");
                strcat(op->command_line, *a);
        }

        log_debug("OCI runtime: running %s", op->command_line);
        r = child_run_start(rt->event, argv, &options, on_run_done, op, &op->run);
        if (r < 0)
                return log_warning_errno(r, "Failed to run %s: %m", op->command_line);
        return 0;
}

static int simple_command(OciRuntime *rt, OciCommand command, char *const *args, const char *input,
                          OciOperationHandler handler, void *userdata, OciOperation **ret) {
        _cleanup_(oci_operation_freep) OciOperation *op = NULL;
        int r;

        op = calloc(1, sizeof(OciOperation));
        if (!op)
                return -ENOMEM;
        r = operation_start(rt, command, args, input, OCI_RUNTIME_COMMAND_TIMEOUT_USEC, 0, handler, userdata,
                            &op);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(op);
        return 0;
}

int oci_runtime_start_container(OciRuntime *rt, const char *id, OciOperationHandler handler, void *userdata,
                                OciOperation **ret) {
        if (!container_id_valid(id))
                return -EINVAL;
        return simple_command(rt, OCI_COMMAND_START, (char *[]) { (char *) "start", (char *) id, NULL }, NULL,
                              handler, userdata, ret);
}

int oci_runtime_kill(OciRuntime *rt, const char *id, int signo, bool all, OciOperationHandler handler,
                     void *userdata, OciOperation **ret) {
        char sig[16];

        if (!container_id_valid(id) || signo <= 0 || signo >= _NSIG)
                return -EINVAL;
        (void) snprintf(sig, sizeof(sig), "%d", signo);
        if (all)
                return simple_command(rt, OCI_COMMAND_KILL,
                                      (char *[]) { (char *) "kill", (char *) "--all", (char *) id, sig, NULL },
                                      NULL, handler, userdata, ret);
        return simple_command(rt, OCI_COMMAND_KILL, (char *[]) { (char *) "kill", (char *) id, sig, NULL }, NULL,
                              handler, userdata, ret);
}

int oci_runtime_delete(OciRuntime *rt, const char *id, bool force, OciOperationHandler handler, void *userdata,
                       OciOperation **ret) {
        if (!container_id_valid(id))
                return -EINVAL;
        if (force)
                return simple_command(rt, OCI_COMMAND_DELETE,
                                      (char *[]) { (char *) "delete", (char *) "--force", (char *) id, NULL },
                                      NULL, handler, userdata, ret);
        return simple_command(rt, OCI_COMMAND_DELETE, (char *[]) { (char *) "delete", (char *) id, NULL }, NULL,
                              handler, userdata, ret);
}

int oci_runtime_state(OciRuntime *rt, const char *id, OciOperationHandler handler, void *userdata,
                      OciOperation **ret) {
        if (!container_id_valid(id))
                return -EINVAL;
        return simple_command(rt, OCI_COMMAND_STATE, (char *[]) { (char *) "state", (char *) id, NULL }, NULL,
                              handler, userdata, ret);
}

int oci_runtime_update(OciRuntime *rt, const char *id, const char *resources_json, OciOperationHandler handler,
                       void *userdata, OciOperation **ret) {
        if (!container_id_valid(id) || !resources_json)
                return -EINVAL;
        return simple_command(rt, OCI_COMMAND_UPDATE,
                              (char *[]) { (char *) "update", (char *) "--resources", (char *) "-", (char *) id,
                                           NULL },
                              resources_json, handler, userdata, ret);
}

static int write_tmp_file(const char *dir, const char *prefix, const char *data, char **ret) {
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (asprintf(&path, "%s/%sXXXXXX", dir, prefix) < 0)
                return -ENOMEM;
        fd = mkostemp(path, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        r = loop_write(fd, data, strlen(data));
        if (r < 0) {
                (void) unlink(path);
                return r;
        }
        *ret = TAKE_PTR(path);
        return 0;
}

int oci_runtime_exec_sync(OciRuntime *rt, const char *id, const char *process_json, uint64_t timeout_usec,
                          OciOperationHandler handler, void *userdata, OciOperation **ret) {
        _cleanup_(oci_operation_freep) OciOperation *op = NULL;
        int r;

        if (!container_id_valid(id) || !process_json)
                return -EINVAL;

        op = calloc(1, sizeof(OciOperation));
        if (!op)
                return -ENOMEM;
        op->exit_code = -1;
        r = write_tmp_file(rt->tmp_dir, "crio-exec-process-", process_json, &op->process_file);
        if (r < 0)
                return log_warning_errno(r, "Failed to write the exec process of %s: %m", id);
        /* The runtime writes the PID once the process started; an empty file means it did not. */
        r = write_tmp_file(rt->tmp_dir, "crio-exec-pid-", "", &op->pid_file);
        if (r < 0)
                return r;

        r = operation_start(rt, OCI_COMMAND_EXEC,
                            (char *[]) { (char *) "exec", (char *) "--process", op->process_file,
                                         (char *) "--pid-file", op->pid_file, (char *) id, NULL },
                            NULL, timeout_usec, OCI_EXEC_SYNC_OUTPUT_MAX, handler, userdata, &op);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(op);
        return 0;
}
