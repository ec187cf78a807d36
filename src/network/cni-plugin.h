/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* One run of one CNI plugin binary, watched on sd-event: its stdin, stdout and stderr are memfds,
 * so the plugin never blocks on us and we never block on it; its exit is a child event source;
 * a timer kills it and its process group when it takes too long. */

#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "macro.h"

typedef struct CniPluginRun CniPluginRun;

/* r: 0 when the plugin exited with 0, -EPROTO for another exit status, -ETIMEDOUT when it was
 * killed at the timeout, -ECHILD when a signal killed it. The handler may free the run. */
typedef void (*CniPluginRunHandler)(CniPluginRun *run, int r, void *userdata);

/* env is the complete environment; input is written to the plugin's stdin. */
int cni_plugin_run_start(sd_event *event, const char *binary, char *const *env, const char *input,
                         size_t input_size, uint64_t timeout_usec, CniPluginRunHandler handler,
                         void *userdata, CniPluginRun **ret);
/* A run still in progress is killed (with its process group) and reaped. */
CniPluginRun *cni_plugin_run_free(CniPluginRun *run);
DEFINE_TRIVIAL_CLEANUP_FUNC(CniPluginRun *, cni_plugin_run_free);

/* After completion: what the plugin printed (NUL-terminated), and its exit status or -1. */
const char *cni_plugin_run_get_stdout(const CniPluginRun *run, size_t *ret_size);
const char *cni_plugin_run_get_stderr(const CniPluginRun *run);
int cni_plugin_run_get_exit_status(const CniPluginRun *run) _pure_;
