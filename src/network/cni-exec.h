/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Running a network's plugins for one pod on sd-event: ADD (chained through prevResult, rolled
 * back with DEL on failure, result cached), DEL (in reverse, from the cached config if there is
 * one, tolerant of a network or netns that is gone), CHECK and VERSION. */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "cni-config.h"
#include "cni-result.h"
#include "macro.h"

typedef enum CniCommand {
        CNI_COMMAND_ADD,
        CNI_COMMAND_DEL,
        CNI_COMMAND_CHECK,
        CNI_COMMAND_VERSION,
        _CNI_COMMAND_MAX,
        _CNI_COMMAND_INVALID = -EINVAL,
} CniCommand;

const char *cni_command_to_string(CniCommand c) _const_;
CniCommand cni_command_from_string(const char *s) _pure_;

/* runtimeConfig capabilities (CNI conventions.md), given to plugins that declare them. */
typedef struct CniPortMapping {
        uint16_t host_port;
        uint16_t container_port;
        char *protocol;         /* "tcp", "udp", "sctp" */
        char *host_ip;          /* NULL: all */
} CniPortMapping;

typedef struct CniIpRange {
        char *subnet;
        char *range_start;
        char *range_end;
        char *gateway;
} CniIpRange;

typedef struct CniIpRangeSet {
        CniIpRange *ranges;
        size_t n_ranges;
} CniIpRangeSet;

typedef struct CniBandwidth {
        uint64_t ingress_rate;  /* bits per second, 0: unlimited */
        uint64_t ingress_burst; /* bits */
        uint64_t egress_rate;
        uint64_t egress_burst;
} CniBandwidth;

typedef struct CniDnsConfig {
        char **servers;
        char **searches;
        char **options;
} CniDnsConfig;

/* Everything about one attachment that is not the network config. The caller owns it; the
 * operations copy what they need. */
typedef struct CniRuntimeConf {
        const char *container_id;       /* the pod ID */
        const char *netns;              /* path of the pinned netns */
        const char *ifname;             /* NULL: "eth0" */
        /* CNI_ARGS as key, value, key, value, ... NULL; see cni_args_new_k8s(). */
        char **args;

        CniPortMapping *port_mappings;
        size_t n_port_mappings;
        CniIpRangeSet *ip_ranges;
        size_t n_ip_ranges;
        const CniBandwidth *bandwidth;
        const CniDnsConfig *dns;
        const char *cgroup_path;
} CniRuntimeConf;

/* The CNI_ARGS pairs CRI-O passes: IgnoreUnknown=1, K8S_POD_NAMESPACE, K8S_POD_NAME,
 * K8S_POD_INFRA_CONTAINER_ID, K8S_POD_UID (omitted when NULL). -EINVAL for a value that
 * contains ';' or '=' (it would inject another argument). */
int cni_args_new_k8s(const char *pod_namespace, const char *pod_name, const char *infra_container_id,
                     const char *pod_uid, char ***ret);
/* "K1=V1;K2=V2": the CNI_ARGS environment variable. */
int cni_args_to_string(char *const *args, char **ret);

/* The JSON of the capability arguments of rt: {"portMappings": [...], "bandwidth": {...}, ...},
 * only those set; what plugins get as runtimeConfig and the cache keeps as capabilityArgs. */
int cni_runtime_conf_capability_json(const CniRuntimeConf *rt, char **ret);

#define CNI_DEFAULT_IFNAME "eth0"
#define CNI_DEFAULT_TIMEOUT_USEC (60 * 1000000ULL)

typedef struct CniExec CniExec;
typedef struct CniOperation CniOperation;

/* Called once when an operation finished: r is 0 or a negative errno (-ETIMEDOUT for a plugin
 * that was killed after the timeout, -EPROTO for one that reported failure; the plugin's error
 * is in cni_operation_get_error()). The callback may free the operation. */
typedef void (*CniOperationHandler)(CniOperation *op, int r, void *userdata);

/* plugin_dirs: where binaries are looked up, and CNI_PATH. cache_dir: the libcni-style cache
 * (results/ below it), NULL for none. SIGCHLD is blocked in the calling thread if it was not:
 * sd-event needs that to watch children. */
int cni_exec_new(sd_event *event, char *const *plugin_dirs, const char *cache_dir, CniExec **ret);
CniExec *cni_exec_free(CniExec *x);
DEFINE_TRIVIAL_CLEANUP_FUNC(CniExec *, cni_exec_free);
/* Each plugin run is killed with SIGKILL (with its process group) after this long. */
void cni_exec_set_timeout(CniExec *x, uint64_t usec);
const char *cni_exec_get_cache_dir(const CniExec *x) _pure_;

/* ADD of every plugin of the network in order. On success the result is cached and available from
 * cni_operation_get_result(). On failure, DEL runs for the plugins that were started, in reverse. */
int cni_exec_add(CniExec *x, CniNetwork *network, const CniRuntimeConf *rt, CniOperationHandler handler,
                 void *userdata, CniOperation **ret);

/* DEL in reverse order. The cached ADD (by network name, rt's container ID and ifname) supplies
 * the config, CNI_ARGS, capabilities and prevResult when present, so a changed or deleted config
 * does not matter; network may be NULL then (network_name names it). Without cache and network
 * there is nothing to undo: success. A netns path that no longer exists is passed as "". Every
 * plugin runs even if one fails; the first failure is reported and the cache entry kept. */
int cni_exec_del(CniExec *x, CniNetwork *network, const char *network_name, const CniRuntimeConf *rt,
                 CniOperationHandler handler, void *userdata, CniOperation **ret);

/* CHECK with the cached result as prevResult (needs 0.4.0 or later; disableCheck skips it). */
int cni_exec_check(CniExec *x, CniNetwork *network, const CniRuntimeConf *rt, CniOperationHandler handler,
                   void *userdata, CniOperation **ret);

/* VERSION of one plugin binary: cni_operation_get_versions() lists what it supports. */
int cni_exec_version(CniExec *x, const char *type, CniOperationHandler handler, void *userdata,
                     CniOperation **ret);

/* Frees an operation; one still running is cancelled, its plugin killed and reaped (no rollback).
 * Operations point to their CniExec: free them before it. */
CniOperation *cni_operation_free(CniOperation *op);
DEFINE_TRIVIAL_CLEANUP_FUNC(CniOperation *, cni_operation_free);

CniCommand cni_operation_get_command(const CniOperation *op) _pure_;
bool cni_operation_is_done(const CniOperation *op) _pure_;
/* The final result of an ADD, NULL otherwise. */
const CniResult *cni_operation_get_result(const CniOperation *op) _pure_;
/* The first plugin error: code 0 and msg NULL when there was none. */
const CniError *cni_operation_get_error(const CniOperation *op) _pure_;
/* Text for users: the error with the plugin's name, or NULL on success. */
const char *cni_operation_get_error_message(const CniOperation *op) _pure_;
char *const *cni_operation_get_versions(const CniOperation *op) _pure_;
