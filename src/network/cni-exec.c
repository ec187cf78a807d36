/* SPDX-License-Identifier: Apache-2.0 */

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cni-cache.h"
#include "cni-exec.h"
#include "cni-json.h"
#include "cni-plugin.h"
#include "cni-util.h"
#include "log.h"

extern char **environ;

struct CniExec {
        sd_event *event;
        char **plugin_dirs;
        char *cni_path;
        char *cache_dir;
        uint64_t timeout_usec;
};

struct CniOperation {
        CniExec *exec;
        CniCommand command;
        CniNetwork *network;
        char *network_name;
        char *container_id;
        char *netns;
        char *ifname;
        char **args;
        char *capability_args;
        /* What the next plugin gets as prevResult: the last result of an ADD chain, or the cached
         * result for DEL and CHECK. */
        char *prev_result;
        char *plugin_type;              /* VERSION only */

        size_t index;                   /* the plugin running */
        bool rolling_back;
        bool done;
        CniPluginRun *run;
        sd_event_source *defer_source;

        int error_r;
        CniError error;
        char *error_message;
        CniResult *result;
        char **versions;

        CniOperationHandler handler;
        void *userdata;
};

static const char *const command_table[_CNI_COMMAND_MAX] = {
        [CNI_COMMAND_ADD] = "ADD",
        [CNI_COMMAND_DEL] = "DEL",
        [CNI_COMMAND_CHECK] = "CHECK",
        [CNI_COMMAND_VERSION] = "VERSION",
};

const char *cni_command_to_string(CniCommand c) {
        if (c < 0 || c >= _CNI_COMMAND_MAX)
                return NULL;
        return command_table[c];
}

CniCommand cni_command_from_string(const char *s) {
        if (!s)
                return _CNI_COMMAND_INVALID;
        for (size_t i = 0; i < ELEMENTSOF(command_table); i++)
                if (strcmp(command_table[i], s) == 0)
                        return (CniCommand) i;
        return _CNI_COMMAND_INVALID;
}

/* ---- CNI_ARGS ---------------------------------------------------------------------------- */

static bool arg_valid(const char *s) {
        return s && !strpbrk(s, ";=");
}

int cni_args_new_k8s(const char *pod_namespace, const char *pod_name, const char *infra_container_id,
                     const char *pod_uid, char ***ret) {
        const char *pairs[][2] = {
                { "IgnoreUnknown", "1" },
                { "K8S_POD_NAMESPACE", pod_namespace },
                { "K8S_POD_NAME", pod_name },
                { "K8S_POD_INFRA_CONTAINER_ID", infra_container_id },
                { "K8S_POD_UID", pod_uid },
        };
        _cleanup_(strv_freep) char **l = NULL;
        int r;

        l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(pairs); i++) {
                if (!pairs[i][1])
                        continue;
                if (!arg_valid(pairs[i][1]))
                        return log_debug_errno(EINVAL, "CNI argument %s=\"%s\" contains ';' or '='.",
                                               pairs[i][0], pairs[i][1]);
                r = strv_push(&l, pairs[i][0]);
                if (r >= 0)
                        r = strv_push(&l, pairs[i][1]);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

int cni_args_to_string(char *const *args, char **ret) {
        size_t len = 1;
        char *s, *p;

        if (strv_length(args) % 2 != 0)
                return -EINVAL;
        for (char *const *a = args; a && *a; a += 2) {
                if (!arg_valid(a[0]) || a[0][0] == '\0' || !arg_valid(a[1]))
                        return -EINVAL;
                len += strlen(a[0]) + strlen(a[1]) + 2;
        }
        s = p = malloc(len);
        if (!s)
                return -ENOMEM;
        *p = '\0';
        for (char *const *a = args; a && *a; a += 2) {
                if (a != args)
                        *p++ = ';';
                p = stpcpy(p, a[0]);
                *p++ = '=';
                p = stpcpy(p, a[1]);
        }
        *ret = s;
        return 0;
}

/* ---- CniExec ----------------------------------------------------------------------------- */

int cni_exec_new(sd_event *event, char *const *plugin_dirs, const char *cache_dir, CniExec **ret) {
        _cleanup_(cni_exec_freep) CniExec *x = NULL;
        sigset_t mask;
        int r;

        /* sd-event refuses to watch children while SIGCHLD is delivered normally. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        r = pthread_sigmask(SIG_BLOCK, &mask, NULL);
        if (r != 0)
                return -r;

        x = calloc(1, sizeof(CniExec));
        if (!x)
                return -ENOMEM;
        x->event = sd_event_ref(event);
        x->timeout_usec = CNI_DEFAULT_TIMEOUT_USEC;
        r = strv_copy(plugin_dirs, &x->plugin_dirs);
        if (r < 0)
                return r;
        r = strv_join(plugin_dirs, ":", &x->cni_path);
        if (r < 0)
                return r;
        if (cache_dir) {
                x->cache_dir = strdup(cache_dir);
                if (!x->cache_dir)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(x);
        return 0;
}

CniExec *cni_exec_free(CniExec *x) {
        if (!x)
                return NULL;
        sd_event_unref(x->event);
        strv_free(x->plugin_dirs);
        free(x->cni_path);
        free(x->cache_dir);
        return mfree(x);
}

void cni_exec_set_timeout(CniExec *x, uint64_t usec) {
        x->timeout_usec = usec;
}

const char *cni_exec_get_cache_dir(const CniExec *x) {
        return x->cache_dir;
}

/* ---- operations -------------------------------------------------------------------------- */

CniOperation *cni_operation_free(CniOperation *op) {
        if (!op)
                return NULL;
        cni_plugin_run_free(op->run);
        sd_event_source_disable_unref(op->defer_source);
        cni_network_unref(op->network);
        free(op->network_name);
        free(op->container_id);
        free(op->netns);
        free(op->ifname);
        strv_free(op->args);
        free(op->capability_args);
        free(op->prev_result);
        free(op->plugin_type);
        cni_error_done(&op->error);
        free(op->error_message);
        cni_result_free(op->result);
        strv_free(op->versions);
        return mfree(op);
}

CniCommand cni_operation_get_command(const CniOperation *op) {
        return op->command;
}

bool cni_operation_is_done(const CniOperation *op) {
        return op->done;
}

const CniResult *cni_operation_get_result(const CniOperation *op) {
        return op->result;
}

const CniError *cni_operation_get_error(const CniOperation *op) {
        return &op->error;
}

const char *cni_operation_get_error_message(const CniOperation *op) {
        return op->error_message;
}

char *const *cni_operation_get_versions(const CniOperation *op) {
        return op->versions;
}

static void operation_complete(CniOperation *op, int r) {
        op->done = true;
        if (r < 0 && op->error_r == 0)
                op->error_r = r;
        if (op->error_r < 0 && !op->error_message)
                (void) asprintf(&op->error_message, "CNI %s of network \"%s\" failed: %s",
                                cni_command_to_string(op->command), op->network_name ?: op->plugin_type ?: "",
                                strerror(-op->error_r));
        /* The handler may free op: nothing touches it afterwards. */
        op->handler(op, op->error_r, op->userdata);
}

static int on_defer_complete(sd_event_source *s, void *userdata) {
        CniOperation *op = userdata;

        op->defer_source = sd_event_source_disable_unref(op->defer_source);
        operation_complete(op, 0);
        return 0;
}

/* For operations that have nothing to run: the handler still runs from the loop, never from
 * within the call that started the operation. */
static int operation_complete_later(CniOperation *op) {
        return sd_event_add_defer(op->exec->event, &op->defer_source, on_defer_complete, op);
}

static const CniPlugin *current_plugin(const CniOperation *op) {
        return op->network ? &op->network->plugins[op->index] : NULL;
}

static const char *current_type(const CniOperation *op) {
        const CniPlugin *p = current_plugin(op);

        return p ? p->type : op->plugin_type;
}

/* Remembers the first failure of an operation, with text that names the plugin. */
static void operation_record_error(CniOperation *op, CniCommand command, int r, CniPluginRun *run) {
        _cleanup_free_ char *detail = NULL;
        CniError e = {};
        const char *out;
        size_t size = 0;

        if (op->error_r < 0)
                return;
        op->error_r = r;

        out = run ? cni_plugin_run_get_stdout(run, &size) : NULL;
        if (r == -EPROTO && out && cni_error_parse(out, size, &e) >= 0) {
                op->error = e;
                (void) cni_error_format(&op->error, &detail);
        } else if (r == -EPROTO && run) {
                const char *err = cni_plugin_run_get_stderr(run);
                size_t n = strlen(err);

                while (n > 0 && strchr("\n\r\t ", err[n - 1]))
                        n--;
                if (n > 0)
                        (void) asprintf(&detail, "exit status %d: %.*s", cni_plugin_run_get_exit_status(run),
                                        (int) MIN(n, (size_t) 1024), err);
                else
                        (void) asprintf(&detail, "exit status %d", cni_plugin_run_get_exit_status(run));
        } else if (r == -ETIMEDOUT)
                (void) asprintf(&detail, "timed out after %llu ms, killed",
                                (unsigned long long) (op->exec->timeout_usec / 1000));
        else
                detail = strdup(strerror(-r));

        free(op->error_message);
        if (asprintf(&op->error_message, "plugin type=\"%s\" name=\"%s\" failed (%s): %s", current_type(op),
                     op->network_name ?: "", cni_command_to_string(command), detail ?: "error") < 0)
                op->error_message = NULL;
        log_warning("CNI: %s", op->error_message ?: "plugin failed");
}

static int build_env(const CniOperation *op, CniCommand command, char ***ret) {
        _cleanup_(strv_freep) char **env = NULL;
        _cleanup_free_ char *args = NULL;
        const struct {
                const char *key;
                const char *value;
        } vars[] = {
                { "CNI_COMMAND", cni_command_to_string(command) },
                { "CNI_CONTAINERID", op->container_id },
                { "CNI_NETNS", op->netns },
                { "CNI_IFNAME", op->ifname },
                { "CNI_ARGS", NULL },
                { "CNI_PATH", op->exec->cni_path },
        };
        int r;

        r = cni_args_to_string(op->args, &args);
        if (r < 0)
                return r;

        /* Our environment, PATH above all (plugins run iptables and friends), without any CNI_
         * variables of our own. */
        env = calloc(1, sizeof(char *));
        if (!env)
                return -ENOMEM;
        for (char **e = environ; e && *e; e++) {
                if (strncmp(*e, "CNI_", 4) == 0)
                        continue;
                r = strv_push(&env, *e);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < ELEMENTSOF(vars); i++) {
                _cleanup_free_ char *s = NULL;
                const char *v = i == 4 ? args : vars[i].value;

                if (asprintf(&s, "%s=%s", vars[i].key, v ?: "") < 0)
                        return -ENOMEM;
                r = strv_push(&env, s);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(env);
        return 0;
}

static void on_plugin_done(CniPluginRun *run, int r, void *userdata);

/* Starts plugin op->index with command. Failures are returned, not recorded. */
static int operation_start_plugin(CniOperation *op, CniCommand command) {
        _cleanup_(strv_freep) char **env = NULL;
        _cleanup_free_ char *binary = NULL, *input = NULL;
        const CniPlugin *plugin = current_plugin(op);
        const char *type = current_type(op);
        int r;

        r = cni_plugin_find(type, op->exec->plugin_dirs, &binary);
        if (r == -ENOENT)
                return log_warning_errno(r, "CNI plugin \"%s\" not found in %s.", type, op->exec->cni_path);
        if (r < 0)
                return r;

        if (plugin)
                r = cni_plugin_stdin_build(plugin->json, op->network->name, op->network->cni_version,
                                           op->prev_result, op->capability_args, plugin->capabilities, &input);
        else
                r = asprintf(&input, "{\"cniVersion\":\"1.0.0\"}") < 0 ? -ENOMEM : 0;
        if (r < 0)
                return log_warning_errno(r, "Failed to build the input of CNI plugin \"%s\": %m", type);

        r = build_env(op, command, &env);
        if (r < 0)
                return r;

        op->run = cni_plugin_run_free(op->run);
        log_debug("CNI: %s %s of network \"%s\" for %s.", cni_command_to_string(command), type,
                  op->network_name ?: "", op->container_id ?: "-");
        return cni_plugin_run_start(op->exec->event, binary, env, input, strlen(input), op->exec->timeout_usec,
                                    on_plugin_done, op, &op->run);
}

/* Rollback of a failed ADD: DEL of plugins index down to 0, failures logged and survived. */
static void operation_rollback_next(CniOperation *op) {
        for (;;) {
                int r = operation_start_plugin(op, CNI_COMMAND_DEL);
                if (r >= 0)
                        return;
                log_warning_errno(r, "CNI: rollback DEL of plugin \"%s\" could not start, ignoring: %m",
                                  current_type(op));
                if (op->index == 0)
                        break;
                op->index--;
        }
        operation_complete(op, op->error_r);
}

static void operation_fail_add(CniOperation *op) {
        op->rolling_back = true;
        operation_rollback_next(op);
}

static int operation_cache_add(CniOperation *op) {
        CniCacheEntry e = {
                .container_id = op->container_id,
                .network_name = op->network->name,
                .ifname = op->ifname,
                .netns = op->netns,
                .config = op->network->json,
                .cni_args = op->args,
                .capability_args = op->capability_args,
                .result = op->result ? op->result->json : NULL,
        };

        if (!op->exec->cache_dir)
                return 0;
        return cni_cache_write(op->exec->cache_dir, &e);
}

static void on_add_done(CniOperation *op, CniPluginRun *run, int r) {
        _cleanup_(cni_result_freep) CniResult *result = NULL;
        const char *out;
        size_t size;

        if (r < 0) {
                operation_record_error(op, CNI_COMMAND_ADD, r, run);
                return operation_fail_add(op);
        }
        out = cni_plugin_run_get_stdout(run, &size);
        r = cni_result_parse(out, size, &result);
        if (r < 0) {
                operation_record_error(op, CNI_COMMAND_ADD, r == -ENOMEM ? r : -EBADMSG, NULL);
                return operation_fail_add(op);
        }
        free_and_replace(op->prev_result, result->json);
        result->json = strdup(op->prev_result);
        if (!result->json) {
                operation_record_error(op, CNI_COMMAND_ADD, -ENOMEM, NULL);
                return operation_fail_add(op);
        }

        if (op->index + 1 < op->network->n_plugins) {
                op->index++;
                r = operation_start_plugin(op, CNI_COMMAND_ADD);
                if (r < 0) {
                        operation_record_error(op, CNI_COMMAND_ADD, r, NULL);
                        return operation_fail_add(op);
                }
                return;
        }

        op->result = TAKE_PTR(result);
        r = operation_cache_add(op);
        if (r < 0) {
                /* Without a cache entry a restart could not undo this: undo it now. */
                operation_record_error(op, CNI_COMMAND_ADD, r, NULL);
                op->result = cni_result_free(op->result);
                return operation_fail_add(op);
        }
        operation_complete(op, 0);
}

static void on_del_done(CniOperation *op, CniPluginRun *run, int r) {
        if (r < 0)
                operation_record_error(op, CNI_COMMAND_DEL, r, run);

        while (op->index > 0) {
                op->index--;
                r = operation_start_plugin(op, CNI_COMMAND_DEL);
                if (r >= 0)
                        return;
                operation_record_error(op, CNI_COMMAND_DEL, r, NULL);
        }

        if (op->error_r == 0 && op->exec->cache_dir)
                (void) cni_cache_remove(op->exec->cache_dir, op->network_name, op->container_id, op->ifname);
        operation_complete(op, op->error_r);
}

static void on_check_done(CniOperation *op, CniPluginRun *run, int r) {
        if (r < 0) {
                operation_record_error(op, CNI_COMMAND_CHECK, r, run);
                return operation_complete(op, r);
        }
        if (op->index + 1 < op->network->n_plugins) {
                op->index++;
                r = operation_start_plugin(op, CNI_COMMAND_CHECK);
                if (r < 0) {
                        operation_record_error(op, CNI_COMMAND_CHECK, r, NULL);
                        return operation_complete(op, r);
                }
                return;
        }
        operation_complete(op, 0);
}

static void on_version_done(CniOperation *op, CniPluginRun *run, int r) {
        const char *out;
        size_t size;

        if (r >= 0) {
                out = cni_plugin_run_get_stdout(run, &size);
                r = cni_version_info_parse(out, size, &op->versions);
                if (r < 0)
                        r = r == -ENOMEM ? r : -EBADMSG;
        }
        if (r < 0)
                operation_record_error(op, CNI_COMMAND_VERSION, r, run);
        operation_complete(op, r);
}

static void on_plugin_done(CniPluginRun *run, int r, void *userdata) {
        CniOperation *op = userdata;

        if (op->rolling_back) {
                if (r < 0)
                        log_warning("CNI: rollback DEL of plugin \"%s\" failed (%s), ignoring.",
                                    current_type(op), strerror(-r));
                if (op->index == 0)
                        return operation_complete(op, op->error_r);
                op->index--;
                return operation_rollback_next(op);
        }

        switch (op->command) {
        case CNI_COMMAND_ADD:
                return on_add_done(op, run, r);
        case CNI_COMMAND_DEL:
                return on_del_done(op, run, r);
        case CNI_COMMAND_CHECK:
                return on_check_done(op, run, r);
        case CNI_COMMAND_VERSION:
                return on_version_done(op, run, r);
        default:
                return operation_complete(op, -EINVAL);
        }
}

static int operation_new(CniExec *x, CniCommand command, CniNetwork *network, const CniRuntimeConf *rt,
                         CniOperationHandler handler, void *userdata, CniOperation **ret) {
        _cleanup_(cni_operation_freep) CniOperation *op = NULL;
        const char *ifname;
        int r;

        op = calloc(1, sizeof(CniOperation));
        if (!op)
                return -ENOMEM;
        op->exec = x;
        op->command = command;
        op->handler = handler;
        op->userdata = userdata;
        op->network = cni_network_ref(network);
        if (network) {
                op->network_name = strdup(network->name);
                if (!op->network_name)
                        return -ENOMEM;
        }

        if (rt) {
                ifname = rt->ifname ?: CNI_DEFAULT_IFNAME;
                if (!cni_container_id_valid(rt->container_id))
                        return log_debug_errno(EINVAL, "Invalid container ID for CNI: %s", rt->container_id ?: "(null)");
                if (!cni_ifname_valid(ifname))
                        return log_debug_errno(EINVAL, "Invalid interface name for CNI: %s", ifname);
                op->container_id = strdup(rt->container_id);
                op->ifname = strdup(ifname);
                op->netns = strdup(rt->netns ?: "");
                if (!op->container_id || !op->ifname || !op->netns)
                        return -ENOMEM;
                r = strv_copy(rt->args, &op->args);
                if (r < 0)
                        return r;
                if (strv_length(op->args) % 2 != 0)
                        return -EINVAL;
                r = cni_runtime_conf_capability_json(rt, &op->capability_args);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(op);
        return 0;
}

int cni_exec_add(CniExec *x, CniNetwork *network, const CniRuntimeConf *rt, CniOperationHandler handler,
                 void *userdata, CniOperation **ret) {
        _cleanup_(cni_operation_freep) CniOperation *op = NULL;
        int r;

        if (!x || !network || !rt || !handler || !ret || network->n_plugins == 0)
                return -EINVAL;
        r = operation_new(x, CNI_COMMAND_ADD, network, rt, handler, userdata, &op);
        if (r < 0)
                return r;
        r = operation_start_plugin(op, CNI_COMMAND_ADD);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(op);
        return 0;
}

static bool version_at_least(const char *v, const char *min) {
        int c;

        return cni_version_compare(v, min, &c) >= 0 && c >= 0;
}

/* Takes the cached ADD as the truth for DEL and CHECK: the config, CNI_ARGS and capabilities it
 * ran with, and its result. */
static int operation_use_cache(CniOperation *op, const char *network_name, bool *ret_found) {
        _cleanup_(cni_cache_entry_freep) CniCacheEntry *e = NULL;
        int r;

        *ret_found = false;
        if (!op->exec->cache_dir || !network_name)
                return 0;
        r = cni_cache_read(op->exec->cache_dir, network_name, op->container_id, op->ifname, &e);
        if (r == -ENOENT || r == -EBADMSG)
                return 0;
        if (r < 0)
                return r;

        if (e->config) {
                _cleanup_(cni_network_unrefp) CniNetwork *cached = NULL;

                r = cni_network_parse(e->config, strlen(e->config), false, "cached CNI config", &cached);
                if (r == -ENOMEM)
                        return r;
                if (r >= 0 && strcmp(cached->name, network_name) == 0) {
                        cni_network_unref(op->network);
                        op->network = TAKE_PTR(cached);
                }
        }
        if (e->cni_args && strv_length(e->cni_args) % 2 == 0) {
                strv_free(op->args);
                op->args = TAKE_PTR(e->cni_args);
        }
        free_and_replace(op->capability_args, e->capability_args);
        if (op->netns[0] == '\0' && e->netns)
                free_and_replace(op->netns, e->netns);
        free_and_replace(op->prev_result, e->result);
        *ret_found = true;
        return 0;
}

int cni_exec_del(CniExec *x, CniNetwork *network, const char *network_name, const CniRuntimeConf *rt,
                 CniOperationHandler handler, void *userdata, CniOperation **ret) {
        _cleanup_(cni_operation_freep) CniOperation *op = NULL;
        bool cached;
        int r;

        if (!x || !rt || !handler || !ret)
                return -EINVAL;
        if (!network_name && network)
                network_name = network->name;
        r = operation_new(x, CNI_COMMAND_DEL, network, rt, handler, userdata, &op);
        if (r < 0)
                return r;
        if (network_name && !op->network_name) {
                op->network_name = strdup(network_name);
                if (!op->network_name)
                        return -ENOMEM;
        }
        r = operation_use_cache(op, network_name, &cached);
        if (r < 0)
                return r;

        /* A netns that is gone (removed pod, reboot) is no reason to fail: plugins release what
         * lives outside it (IPAM leases, iptables rules) with an empty CNI_NETNS. */
        if (op->netns[0] != '\0' && access(op->netns, F_OK) < 0) {
                log_debug("CNI: netns %s of %s is gone, DEL without it.", op->netns, op->container_id);
                op->netns[0] = '\0';
        }

        if (!op->network) {
                log_debug("CNI: no config and no cache entry for %s, nothing to delete.", op->container_id);
                r = operation_complete_later(op);
                if (r < 0)
                        return r;
                *ret = TAKE_PTR(op);
                return 0;
        }
        /* Results on DEL came with 0.4.0. */
        if (!version_at_least(op->network->cni_version, "0.4.0"))
                op->prev_result = mfree(op->prev_result);

        op->index = op->network->n_plugins - 1;
        r = operation_start_plugin(op, CNI_COMMAND_DEL);
        if (r < 0) {
                /* Record it and go on with the plugins before it. */
                operation_record_error(op, CNI_COMMAND_DEL, r, NULL);
                r = 0;
                while (op->index > 0) {
                        op->index--;
                        r = operation_start_plugin(op, CNI_COMMAND_DEL);
                        if (r >= 0)
                                break;
                        operation_record_error(op, CNI_COMMAND_DEL, r, NULL);
                }
                if (r < 0 || !op->run) {
                        r = operation_complete_later(op);
                        if (r < 0)
                                return r;
                }
        }
        *ret = TAKE_PTR(op);
        return 0;
}

int cni_exec_check(CniExec *x, CniNetwork *network, const CniRuntimeConf *rt, CniOperationHandler handler,
                   void *userdata, CniOperation **ret) {
        _cleanup_(cni_operation_freep) CniOperation *op = NULL;
        bool cached;
        int r;

        if (!x || !network || !rt || !handler || !ret)
                return -EINVAL;
        r = operation_new(x, CNI_COMMAND_CHECK, network, rt, handler, userdata, &op);
        if (r < 0)
                return r;
        if (!version_at_least(network->cni_version, "0.4.0"))
                return log_debug_errno(EOPNOTSUPP, "CNI CHECK needs cniVersion 0.4.0 or later, \"%s\" has %s.",
                                       network->name, network->cni_version);
        r = operation_use_cache(op, network->name, &cached);
        if (r < 0)
                return r;
        if (!cached)
                return log_debug_errno(ENOENT, "CNI CHECK: no cached result of \"%s\" for %s.", network->name,
                                       op->container_id);

        if (op->network->disable_check)
                r = operation_complete_later(op);
        else
                r = operation_start_plugin(op, CNI_COMMAND_CHECK);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(op);
        return 0;
}

int cni_exec_version(CniExec *x, const char *type, CniOperationHandler handler, void *userdata,
                     CniOperation **ret) {
        _cleanup_(cni_operation_freep) CniOperation *op = NULL;
        int r;

        if (!x || !type || !handler || !ret)
                return -EINVAL;
        r = operation_new(x, CNI_COMMAND_VERSION, NULL, NULL, handler, userdata, &op);
        if (r < 0)
                return r;
        op->plugin_type = strdup(type);
        op->netns = strdup("");
        if (!op->plugin_type || !op->netns)
                return -ENOMEM;
        r = operation_start_plugin(op, CNI_COMMAND_VERSION);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(op);
        return 0;
}
