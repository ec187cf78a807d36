/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* SystemdClient: crio's asynchronous client of systemd's manager API on the system bus. Pods are
 * transient slices, containers and conmon transient scopes; their limits are set live and their
 * accounting read back through here. Nothing blocks: every call returns at once and completes
 * through a callback run from the sd-event loop.
 *
 * Calls that queue a job (starting a transient unit, stopping one) complete when systemd reports
 * the job's end with JobRemoved, not when the method returns. Calls that set properties retry
 * without a property the running systemd does not know (older versions), logging a warning.
 *
 * Callbacks run exactly once for every call that returned >= 0, unless the call's SystemdRequest
 * is freed first or the client is freed: then never. A callback must not free the client. */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "macro.h"
#include "unit-properties.h"

typedef struct SystemdClient SystemdClient;
typedef struct SystemdRequest SystemdRequest;
typedef struct UnitWatch UnitWatch;

/* r: 0 on success, else a negative errno: of the D-Bus error when the call itself failed (-ENOENT
 * for a unit that does not exist, -EEXIST for a transient unit that already does), or for a job
 * that ran but did not succeed: "failed" -EIO, "canceled" -ECANCELED, "timeout" -ETIMEDOUT,
 * "dependency" -ENOLINK. result: the job's result string ("done", "skipped", "failed", ...), NULL
 * when no job ran (the call failed, or the method queues none). A "skipped" job gives r == 0. */
typedef void (*SystemdJobCallback)(int r, const char *result, void *userdata);

/* values: the properties that exist, typed as systemd reports them (MemoryCurrent is a uint64,
 * UINT64_MAX when unknown); valid during the callback only. NULL when r < 0. */
typedef void (*SystemdPropertiesCallback)(int r, const UnitPropertyList *values, void *userdata);

/* A watched unit changed state (ActiveState/SubState as systemd names them), or was dropped from
 * systemd altogether (removed: the states are then "inactive" and "dead"). */
typedef void (*UnitStateCallback)(const char *unit, const char *active_state, const char *sub_state,
                                  bool removed, void *userdata);

/* Job results as systemd names them, with the errno each maps to. */
typedef enum JobResult {
        JOB_RESULT_DONE,
        JOB_RESULT_CANCELED,
        JOB_RESULT_TIMEOUT,
        JOB_RESULT_FAILED,
        JOB_RESULT_DEPENDENCY,
        JOB_RESULT_SKIPPED,
        JOB_RESULT_INVALID,
        JOB_RESULT_ASSERT,
        JOB_RESULT_UNSUPPORTED,
        JOB_RESULT_COLLECTED,
        JOB_RESULT_ONCE,
        _JOB_RESULT_MAX,
        _JOB_RESULT_INVALID = -EINVAL,
} JobResult;

const char *job_result_to_string(JobResult r) _const_;
JobResult job_result_from_string(const char *s) _pure_;
/* 0 for done and skipped, a negative errno for the rest (-EIO for results unknown to us). */
int job_result_to_errno(const char *result) _pure_;

/* The errno of a D-Bus error answer, systemd's own error names included. */
int systemd_bus_error_to_errno(const sd_bus_error *error) _pure_;

/* Connects to the system bus and attaches it to event (NULL: the thread's default loop). */
int systemd_client_new(sd_event *event, SystemdClient **ret);
/* Uses bus (a started connection to a bus where systemd's manager answers), attaching it to event if
 * it is not attached yet. The client takes its own reference. */
int systemd_client_new_with_bus(sd_event *event, sd_bus *bus, SystemdClient **ret);
SystemdClient *systemd_client_free(SystemdClient *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(SystemdClient *, systemd_client_free);

sd_bus *systemd_client_get_bus(SystemdClient *c) _pure_;
/* Calls under way (waiting for a reply or a job), for tests and shutdown. */
size_t systemd_client_n_pending(SystemdClient *c) _pure_;

/* Every operation takes an optional ret_request: when NULL the call belongs to the client; else the
 * caller owns the returned handle and frees it with systemd_request_free(), which cancels the call
 * if it is still under way (no callback then). */
SystemdRequest *systemd_request_free(SystemdRequest *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(SystemdRequest *, systemd_request_free);
bool systemd_request_is_pending(SystemdRequest *r) _pure_;
/* How many properties the request dropped because systemd did not know them. */
unsigned systemd_request_get_n_dropped(SystemdRequest *r) _pure_;

/* StartTransientUnit of a slice (name must be a valid slice name; systemd creates the parents its
 * dashes name). properties may be NULL; CollectMode=inactive-or-failed is added unless given. */
int systemd_client_start_transient_slice(SystemdClient *c, const char *name, const char *description,
                                         const UnitPropertyList *properties, SystemdJobCallback callback,
                                         void *userdata, SystemdRequest **ret_request);

/* StartTransientUnit of a scope in slice (NULL: systemd's default), with pids moved into it. */
int systemd_client_start_transient_scope(SystemdClient *c, const char *name, const char *slice,
                                         const char *description, const pid_t *pids, size_t n_pids,
                                         const UnitPropertyList *properties, SystemdJobCallback callback,
                                         void *userdata, SystemdRequest **ret_request);

/* StopUnit with mode (NULL: "replace"). Completes when the stop job ends. */
int systemd_client_stop_unit(SystemdClient *c, const char *name, const char *mode,
                             SystemdJobCallback callback, void *userdata, SystemdRequest **ret_request);

/* KillUnit: who is "main", "control" or "all" (NULL: "all"). No job. */
int systemd_client_kill_unit(SystemdClient *c, const char *name, const char *who, int signo,
                             SystemdJobCallback callback, void *userdata, SystemdRequest **ret_request);

/* ResetFailedUnit. No job. */
int systemd_client_reset_failed_unit(SystemdClient *c, const char *name, SystemdJobCallback callback,
                                     void *userdata, SystemdRequest **ret_request);

/* SetUnitProperties; runtime: only until reboot (crio's units are transient anyway). No job. */
int systemd_client_set_unit_properties(SystemdClient *c, const char *name, bool runtime,
                                       const UnitPropertyList *properties, SystemdJobCallback callback,
                                       void *userdata, SystemdRequest **ret_request);

/* Reads names (NULL-terminated) of interface (NULL: the unit type's own, e.g.
 * org.freedesktop.systemd1.Scope for a .scope, where the cgroup accounting lives; ActiveState and
 * friends are on org.freedesktop.systemd1.Unit) with one Properties.Get each, all under way at once.
 * A property this systemd does not know is left out of the result; names == NULL reads them all
 * with one GetAll. A unit systemd does not know reads as an inactive one (systemd's behaviour). */
int systemd_client_get_unit_properties(SystemdClient *c, const char *name, const char *interface,
                                       char *const *names, SystemdPropertiesCallback callback,
                                       void *userdata, SystemdRequest **ret_request);

/* Watches a unit's state: callback runs once with the current state, then on every change of
 * ActiveState or SubState, and when systemd drops the unit. One shared match serves all watches. */
int systemd_client_watch_unit(SystemdClient *c, const char *name, UnitStateCallback callback,
                              void *userdata, UnitWatch **ret);
UnitWatch *unit_watch_free(UnitWatch *w);
DEFINE_TRIVIAL_CLEANUP_FUNC(UnitWatch *, unit_watch_free);
