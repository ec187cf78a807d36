/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The effective configuration of the daemon: CRI-O's tables and keys as plain C. Filled from
 * built-in defaults, then crio.conf and its drop-ins, then command-line flags (config-load.c).
 * Every field below is described by one row of the schema (config-schema.c), which drives
 * parsing, defaults, `crio config`, the shipped crio.conf and crio.conf(5). */

#include <stdbool.h>
#include <stdint.h>

#include "macro.h"
#include "strv.h"

#define CRIO_DEFAULT_CONFIG_FILE "/etc/crio/crio.conf"
#define CRIO_DEFAULT_CONFIG_DIR "/etc/crio/crio.conf.d"
#define CRIO_DEFAULT_LISTEN "/var/run/crio/crio.sock"
#define CRIO_DEFAULT_RUNTIME "runc"
#define CRIO_DEFAULT_GRPC_MAX_MSG_SIZE (80 * 1024 * 1024)
#define CRIO_MINIMUM_CTR_STOP_TIMEOUT 30

/* [crio.runtime.runtimes.<name>] */
typedef struct RuntimeHandler {
        char *name;
        char *runtime_path;
        char *runtime_type;
        char *runtime_root;
        char *runtime_config_path;
        bool inherit_default_runtime;
        bool privileged_without_host_devices;
        char **allowed_annotations;
        char *monitor_path;
        char *monitor_cgroup;
        char **monitor_env;
        char *monitor_exec_cgroup;
        char **platform_runtime_paths;          /* key, value, key, value, ..., NULL */
        bool runtime_pull_image;
        char *container_min_memory;
        bool no_sync_log;
        char **default_annotations;             /* key, value, ..., NULL */
        bool stream_websockets;
        char *exec_cpu_affinity;
        char *seccomp_profile;
        int64_t container_create_timeout;
} RuntimeHandler;

/* [crio.runtime.workloads.<name>] and its [resources] subtable */
typedef struct Workload {
        char *name;
        char *activation_annotation;
        char *annotation_prefix;
        char **allowed_annotations;
        int64_t resources_cpushares;
        int64_t resources_cpuquota;
        int64_t resources_cpuperiod;
        int64_t resources_cpulimit;
        char *resources_cpuset;
} Workload;

typedef struct Config {
        /* [crio] */
        char *root;
        char *runroot;
        char *imagestore;
        char *storage_driver;
        char **storage_option;
        char *log_dir;
        char *version_file;
        char *version_file_persist;
        char *clean_shutdown_file;
        bool internal_wipe;
        bool internal_repair;

        /* [crio.api] */
        char *listen;
        char *stream_address;
        char *stream_port;
        bool stream_enable_tls;
        char *stream_idle_timeout;
        char *stream_tls_cert;
        char *stream_tls_key;
        char *stream_tls_ca;
        int64_t grpc_max_send_msg_size;
        int64_t grpc_max_recv_msg_size;

        /* [crio.runtime] */
        char *default_runtime;
        char **default_ulimits;
        bool no_pivot;
        char *decryption_keys_path;
        char *conmon;                   /* deprecated: runtimes.<h>.monitor_path */
        char *conmon_cgroup;            /* deprecated: runtimes.<h>.monitor_cgroup */
        char **conmon_env;              /* deprecated: runtimes.<h>.monitor_env */
        char **default_env;
        bool selinux;
        char *seccomp_profile;
        char *privileged_seccomp_profile;
        char *apparmor_profile;
        char *blockio_config_file;
        bool blockio_reload;
        char *irqbalance_config_file;
        char *irqbalance_config_restore_file;
        char *rdt_config_file;
        char *cgroup_manager;
        char *separate_pull_cgroup;
        char **default_capabilities;
        bool add_inheritable_capabilities;
        char **default_sysctls;
        char **allowed_devices;
        char **additional_devices;
        char **cdi_spec_dirs;
        bool device_ownership_from_security_context;
        char **hooks_dir;
        char *default_mounts_file;
        int64_t pids_limit;
        int64_t log_size_max;
        bool log_to_journald;
        char *container_exits_dir;
        char *container_attach_socket_dir;
        char *bind_mount_prefix;
        bool read_only;
        char *log_level;
        char *log_filter;
        char *uid_mappings;
        char *gid_mappings;
        int64_t minimum_mappable_uid;
        int64_t minimum_mappable_gid;
        int64_t ctr_stop_timeout;
        bool drop_infra_ctr;
        char *infra_ctr_cpuset;
        char *shared_cpuset;
        char *namespaces_dir;
        char *pinns_path;
        bool enable_criu_support;
        bool enable_pod_events;
        char **absent_mount_sources_to_reject;
        bool hostnetwork_disable_selinux;
        bool disable_hostport_mapping;
        char *timezone;

        RuntimeHandler **runtimes;      /* sorted by name, as `crio config` prints them */
        size_t n_runtimes;
        Workload **workloads;           /* sorted by name */
        size_t n_workloads;

        /* [crio.image] */
        char *default_transport;
        char *global_auth_file;
        char *namespaced_auth_dir;
        char *pause_image;
        char *pause_image_auth_file;
        char *pause_command;
        char **pinned_images;
        char *signature_policy;
        char *signature_policy_dir;
        char **insecure_registries;
        char *image_volumes;
        char *big_files_temporary_dir;
        bool auto_reload_registries;
        int64_t pull_progress_timeout;  /* nanoseconds */
        bool oci_artifact_mount_support;
        char *short_name_mode;

        /* [crio.network] */
        char *cni_default_network;
        char *network_dir;
        char *plugin_dir;               /* deprecated: plugin_dirs */
        char **plugin_dirs;

        /* [crio.metrics] */
        bool enable_metrics;
        char **metrics_collectors;
        char *metrics_host;
        int64_t metrics_port;
        char *metrics_socket;
        char *metrics_cert;
        char *metrics_key;

        /* [crio.tracing] */
        bool enable_tracing;
        char *tracing_endpoint;
        int64_t tracing_sampling_rate_per_million;

        /* [crio.stats] */
        int64_t stats_collection_period;
        int64_t collection_period;
        char **included_pod_metrics;

        /* [crio.nri] */
        bool enable_nri;
        char *nri_listen;
        char *nri_plugin_dir;
        char *nri_plugin_config_dir;
        int64_t nri_plugin_registration_timeout;        /* nanoseconds */
        int64_t nri_plugin_request_timeout;             /* nanoseconds */
        bool nri_disable_connections;

        /* [crio.nri.default_validator] */
        bool nri_enable_default_validator;
        bool nri_validator_reject_oci_hook_adjustment;
        bool nri_validator_reject_runtime_default_seccomp_adjustment;
        bool nri_validator_reject_unconfined_seccomp_adjustment;
        bool nri_validator_reject_custom_seccomp_adjustment;
        bool nri_validator_reject_namespace_adjustment;
        char **nri_validator_required_plugins;
        char *nri_validator_tolerate_missing_plugins_annotation;

        /* Not part of the schema: keys set away from their defaults that nothing uses yet
         * ("crio.image.pause_image"), filled by config_load() for the start-up warning. */
        char **not_acted_on;
} Config;

/* The built-in defaults: CRI-O's, except default_runtime which is runc (with a runc handler). */
int config_new_default(Config **ret);
Config *config_free(Config *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(Config *, config_free);

/* Sets *field to a copy of value. */
int config_set_string(char **field, const char *value);

/* Runtime handlers and workloads by name; _ensure creates one with the schema's defaults. */
RuntimeHandler *config_find_runtime(const Config *c, const char *name);
int config_ensure_runtime(Config *c, const char *name, RuntimeHandler **ret);
RuntimeHandler *runtime_handler_free(RuntimeHandler *h);
Workload *config_find_workload(const Config *c, const char *name);
int config_ensure_workload(Config *c, const char *name, Workload **ret);
Workload *workload_free(Workload *w);
/* Same handlers with the same values. */
bool config_runtimes_equal(const Config *a, const Config *b) _pure_;
