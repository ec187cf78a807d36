/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config-schema.h"
#include "log.h"

/* Row builders: where the value lives, and its type with its default. */
#define G(tbl, field) \
        .scope = CONFIG_SCOPE_GLOBAL, .table = (tbl), .name = #field, .offset = offsetof(Config, field)
#define H(field) \
        .scope = CONFIG_SCOPE_RUNTIME, .table = "", .name = #field, .offset = offsetof(RuntimeHandler, field)
#define W(field) \
        .scope = CONFIG_SCOPE_WORKLOAD, .table = "", .name = #field, .offset = offsetof(Workload, field)
#define WR(key) \
        .scope = CONFIG_SCOPE_WORKLOAD, .table = "resources", .name = #key, \
        .offset = offsetof(Workload, resources_##key)
#define STR(d) .type = CONFIG_TYPE_STRING, .default_string = (d)
#define BOOL(d) .type = CONFIG_TYPE_BOOLEAN, .default_boolean = (d)
#define INT(d) .type = CONFIG_TYPE_INTEGER, .default_integer = (d)
#define DUR(d) .type = CONFIG_TYPE_DURATION, .default_integer = (d)
#define LIST(...) .type = CONFIG_TYPE_STRV, .default_strv = (const char *const[]) { __VA_ARGS__ }
#define MAP() .type = CONFIG_TYPE_MAP, .default_strv = NULL

#define NSEC_PER_SEC INT64_C(1000000000)

static const char *const type_table[_CONFIG_TYPE_MAX] = {
        [CONFIG_TYPE_STRING] = "string",
        [CONFIG_TYPE_BOOLEAN] = "boolean",
        [CONFIG_TYPE_INTEGER] = "integer",
        [CONFIG_TYPE_STRV] = "array of strings",
        [CONFIG_TYPE_MAP] = "table of strings",
        [CONFIG_TYPE_DURATION] = "duration",
};

const char *config_type_to_string(ConfigType t) {
        if (t < 0 || t >= _CONFIG_TYPE_MAX)
                return NULL;
        return type_table[t];
}

ConfigType config_type_from_string(const char *s) {
        if (!s)
                return _CONFIG_TYPE_INVALID;
        for (ConfigType t = 0; t < _CONFIG_TYPE_MAX; t++)
                if (strcmp(type_table[t], s) == 0)
                        return t;
        return _CONFIG_TYPE_INVALID;
}

/* ---- checks: NULL when fine, else a reason shown after "file:line:column: key: " ---- */

static bool one_of(const char *s, const char *const *choices) {
        for (; *choices; choices++)
                if (strcmp(s, *choices) == 0)
                        return true;
        return false;
}

static const char *check_log_level(const ConfigValue *v) {
        return log_level_from_string(v->string) >= 0 ? NULL :
                "must be one of fatal, panic, error, warn, info, debug, trace";
}

static const char *check_cgroup_manager(const ConfigValue *v) {
        return one_of(v->string, (const char *const[]) { "systemd", "cgroupfs", NULL }) ? NULL :
                "must be \"systemd\" or \"cgroupfs\"";
}

static const char *check_image_volumes(const ConfigValue *v) {
        return one_of(v->string, (const char *const[]) { "mkdir", "bind", "ignore", NULL }) ? NULL :
                "must be one of mkdir, bind, ignore";
}

static const char *check_short_name_mode(const ConfigValue *v) {
        return one_of(v->string, (const char *const[]) { "enforcing", "disabled", "", NULL }) ? NULL :
                "must be \"enforcing\" or \"disabled\"";
}

static const char *check_runtime_type(const ConfigValue *v) {
        return one_of(v->string, (const char *const[]) { "oci", "vm", "pod", "", NULL }) ? NULL :
                "must be one of oci, vm, pod";
}

static const char *check_exec_cpu_affinity(const ConfigValue *v) {
        return one_of(v->string, (const char *const[]) { "", "first", NULL }) ? NULL :
                "must be \"\" or \"first\"";
}

static const char *check_monitor_exec_cgroup(const ConfigValue *v) {
        return one_of(v->string, (const char *const[]) { "", "container", NULL }) ? NULL :
                "must be \"\" or \"container\"";
}

static const char *check_absolute(const ConfigValue *v) {
        return v->string[0] == '/' ? NULL : "must be an absolute path";
}

static const char *check_absolute_or_empty(const ConfigValue *v) {
        return IN_SET(v->string[0], '\0', '/') ? NULL : "must be empty or an absolute path";
}

static const char *check_not_empty(const ConfigValue *v) {
        if (v->string[0] == '\0')
                return "must not be empty";
        for (const char *p = v->string; *p; p++)
                if (isspace((unsigned char) *p))
                        return "must not contain white space";
        return NULL;
}

static const char *check_log_size_max(const ConfigValue *v) {
        /* conmon reads logs in 8 KiB chunks: a positive limit below that cannot be honoured. */
        return v->integer < 0 || v->integer >= 8192 ? NULL : "must be negative (no limit) or at least 8192";
}

static const char *check_port(const ConfigValue *v) {
        return v->integer >= 0 && v->integer <= 65535 ? NULL : "must be a port number from 0 to 65535";
}

static const char *check_port_string(const ConfigValue *v) {
        char *end;
        long p;

        errno = 0;
        p = strtol(v->string, &end, 10);
        return errno == 0 && end != v->string && *end == '\0' && p >= 0 && p <= 65535 ? NULL :
                "must be a port number from 0 to 65535";
}

static const char *check_non_negative(const ConfigValue *v) {
        return v->integer >= 0 ? NULL : "must not be negative";
}

static const char *check_sampling_rate(const ConfigValue *v) {
        return v->integer >= 0 && v->integer <= 1000000 ? NULL : "must be from 0 to 1000000";
}

static const char *check_duration_or_empty(const ConfigValue *v) {
        int64_t d;

        return v->string[0] == '\0' || duration_parse(v->string, &d) >= 0 ? NULL :
                "must be empty or a duration such as \"4h\" or \"30s\"";
}

static const char *const capability_names[] = {
        "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
        "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
        "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
        "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
        "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
        "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE", NULL,
};

static const char *check_capabilities(const ConfigValue *v) {
        for (char **c = v->strv; c && *c; c++) {
                /* Like CRI-O, accept the names with or without CAP_ and in any case. */
                const char *name = strncasecmp(*c, "CAP_", 4) == 0 ? *c + 4 : *c;
                bool found = false;

                for (const char *const *k = capability_names; *k && !found; k++)
                        found = strcasecmp(*k, name) == 0;
                if (!found)
                        return "names an unknown capability";
        }
        return NULL;
}

static const char *check_ulimits(const ConfigValue *v) {
        static const char *const names[] = {
                "core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile",
                "nproc", "rss", "rtprio", "rttime", "sigpending", "stack", "as", NULL,
        };

        for (char **u = v->strv; u && *u; u++) {
                _cleanup_free_ char *name = NULL;
                const char *eq = strchr(*u, '='), *colon;
                char *end;

                if (!eq)
                        return "entries must look like \"nofile=1024:2048\"";
                name = strndup(*u, eq - *u);
                if (!name || !one_of(name, names))
                        return "names an unknown ulimit";
                (void) strtoll(eq + 1, &end, 10);
                if (end == eq + 1)
                        return "entries must look like \"nofile=1024:2048\"";
                colon = end;
                if (*colon == ':') {
                        (void) strtoll(colon + 1, &end, 10);
                        if (end == colon + 1)
                                return "entries must look like \"nofile=1024:2048\"";
                }
                if (*end != '\0')
                        return "entries must look like \"nofile=1024:2048\"";
        }
        return NULL;
}

static const char *check_sysctls(const ConfigValue *v) {
        for (char **s = v->strv; s && *s; s++) {
                const char *eq = strchr(*s, '=');

                if (!eq || eq == *s)
                        return "entries must look like \"net.ipv4.ping_group_range=0 2147483647\"";
        }
        return NULL;
}

static const char *check_devices(const ConfigValue *v) {
        for (char **d = v->strv; d && *d; d++) {
                /* <host>[:<container>[:<permissions>]], the host side absolute */
                const char *last = strrchr(*d, ':');

                if ((*d)[0] != '/')
                        return "entries must look like \"/dev/sdc:/dev/xvdc:rwm\"";
                if (last && strchr(*d, ':') != last) {
                        if (last[1] == '\0' || strspn(last + 1, "rwm") != strlen(last + 1))
                                return "device permissions must be made of r, w and m";
                }
        }
        return NULL;
}

static const char *check_absolute_list(const ConfigValue *v) {
        for (char **d = v->strv; d && *d; d++)
                if ((*d)[0] != '/')
                        return "entries must be absolute paths";
        return NULL;
}

static const char *check_cpuset(const ConfigValue *v) {
        /* Linux CPU list format: "0-3,7,9-10" */
        const char *p = v->string;

        if (*p == '\0')
                return NULL;
        for (;;) {
                char *end;
                unsigned long a, b;

                if (!isdigit((unsigned char) *p))
                        return "must be a CPU list such as \"0-3,7\"";
                a = strtoul(p, &end, 10);
                p = end;
                if (*p == '-') {
                        if (!isdigit((unsigned char) p[1]))
                                return "must be a CPU list such as \"0-3,7\"";
                        b = strtoul(p + 1, &end, 10);
                        if (b < a)
                                return "has a range that ends before it starts";
                        p = end;
                }
                if (*p == '\0')
                        return NULL;
                if (*p != ',')
                        return "must be a CPU list such as \"0-3,7\"";
                p++;
        }
}

static const char *check_id_mappings(const ConfigValue *v) {
        /* containerID:hostID:size[,containerID:hostID:size...] */
        const char *p = v->string;

        if (*p == '\0')
                return NULL;
        for (;;) {
                for (int i = 0; i < 3; i++) {
                        char *end;

                        if (!isdigit((unsigned char) *p))
                                return "must look like \"0:100000:65536\" (comma-separated ranges)";
                        (void) strtoull(p, &end, 10);
                        p = end;
                        if (i < 2) {
                                if (*p != ':')
                                        return "must look like \"0:100000:65536\" (comma-separated ranges)";
                                p++;
                        }
                }
                if (*p == '\0')
                        return NULL;
                if (*p != ',')
                        return "must look like \"0:100000:65536\" (comma-separated ranges)";
                p++;
        }
}

static const char *check_memory_size(const ConfigValue *v) {
        /* "12MiB", "500KiB", "12 MiB", "1g": a number and an optional binary or decimal unit */
        const char *p = v->string;
        char *end;

        if (*p == '\0')
                return NULL;
        (void) strtod(p, &end);
        if (end == p)
                return "must be a size such as \"12MiB\"";
        while (*end == ' ')
                end++;
        if (*end == '\0' || one_of(end, (const char *const[]) {
                        "b", "B", "k", "K", "kb", "KB", "KiB", "Ki", "m", "M", "mb", "MB", "MiB", "Mi",
                        "g", "G", "gb", "GB", "GiB", "Gi", "t", "T", "TB", "TiB", NULL }))
                return NULL;
        return "must be a size such as \"12MiB\"";
}

static const char *check_timezone(const ConfigValue *v) {
        _cleanup_free_ char *path = NULL;
        struct stat st;

        if (v->string[0] == '\0' || strcasecmp(v->string, "local") == 0)
                return NULL;
        if (strstr(v->string, "..") || v->string[0] == '/')
                return "must be a time zone name such as \"Europe/Berlin\" or \"Local\"";
        if (asprintf(&path, "/usr/share/zoneinfo/%s", v->string) < 0)
                return "cannot be checked (out of memory)";
        if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
                return "is not a time zone known under /usr/share/zoneinfo";
        return NULL;
}

static const char *const metrics_collector_names[] = {
        "image_pulls_layer_size", "containers_events_dropped_total", "containers_oom_total",
        "processes_defunct", "operations_total", "operations_latency_seconds",
        "operations_latency_seconds_total", "operations_errors_total", "image_pulls_bytes_total",
        "image_pulls_skipped_bytes_total", "image_pulls_failure_total", "image_pulls_success_total",
        "image_layer_reuse_total", "containers_oom_count_total", "containers_seccomp_notifier_count_total",
        "resources_stalled_at_stage", "containers_stopped_monitor_count", NULL,
};

static const char *check_metrics_collectors(const ConfigValue *v) {
        for (char **c = v->strv; c && *c; c++) {
                const char *name = *c;

                /* "container_runtime_crio_x", "crio_x" and "x" name the same collector. */
                if (strncmp(name, "container_runtime_", 18) == 0)
                        name += 18;
                if (strncmp(name, "crio_", 5) == 0)
                        name += 5;
                if (!one_of(name, metrics_collector_names))
                        return "names an unknown metrics collector";
        }
        return NULL;
}

static const char *check_monitor_env(const ConfigValue *v) {
        for (char **e = v->strv; e && *e; e++)
                if (!strchr(*e, '=') || (*e)[0] == '=')
                        return "entries must look like \"NAME=value\"";
        return NULL;
}

/* ---- the schema ---- */

const char *const config_tables[] = {
        "crio", "crio.api", "crio.runtime", "crio.image", "crio.network", "crio.metrics",
        "crio.tracing", "crio.stats", "crio.nri", "crio.nri.default_validator",
};
const size_t config_tables_count = ELEMENTSOF(config_tables);

const char *const config_table_docs[] = {
        "Storage and the daemon's own files. Storage defaults otherwise come from\n"
        "containers-storage.conf(5); keys set here override them for crio only.",
        "The CRI endpoint the kubelet talks to, and the streaming server.",
        "How containers are run: the OCI runtimes and their monitor, security defaults,\n"
        "logging and resource defaults.",
        "Image pulls, signature policy and the pod infrastructure (pause) image.\n"
        "Registries themselves are configured in containers-registries.conf(5).",
        "CNI: where network configurations and plugin binaries are found.",
        "The Prometheus metrics endpoint.",
        "Export of OpenTelemetry traces.",
        "How often container and pod statistics are gathered.",
        "The Node Resource Interface, through which plugins adjust containers.",
        "The built-in NRI validator, which can refuse adjustments made by plugins.",
};

#define PATH_VALUE "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

const ConfigKey config_keys[] = {
        /* [crio] */
        { G("crio", root), STR("/var/lib/containers/storage"), .check = check_absolute,
          .flags = CONFIG_ACTED, .option = "root",
          .doc = "Directory where images and container layers are stored." },
        { G("crio", runroot), STR("/run/containers/storage"), .check = check_absolute,
          .flags = CONFIG_ACTED, .option = "runroot",
          .doc = "Directory for the storage state that does not survive a reboot." },
        { G("crio", imagestore), STR(""), .check = check_absolute_or_empty, .option = "imagestore",
          .doc = "When set, newly pulled images go to this directory instead of root." },
        { G("crio", storage_driver), STR("overlay"), .flags = CONFIG_ACTED, .option = "storage-driver",
          .doc = "Storage driver for images and containers (see containers-storage.conf(5))." },
        { G("crio", storage_option), LIST(NULL), .option = "storage-opt",
          .doc = "Options handed to the storage driver, as \"driver.option=value\"." },
        { G("crio", log_dir), STR("/var/log/crio/pods"), .check = check_absolute, .option = "log-dir",
          .doc = "Default directory for container logs when the kubelet names none." },
        { G("crio", version_file), STR("/var/run/crio/version"), .flags = CONFIG_ACTED,
          .option = "version-file",
          .doc = "Version stamp kept on a tmpfs; its absence after a reboot means containers\n"
                 "from the previous boot are wiped." },
        { G("crio", version_file_persist), STR(""), .flags = CONFIG_ACTED, .option = "version-file-persist",
          .doc = "Version stamp kept across reboots; a change after an upgrade means images\n"
                 "are wiped. Empty disables the check." },
        { G("crio", clean_shutdown_file), STR("/var/lib/crio/clean.shutdown"),
          .flags = CONFIG_ACTED, .option = "clean-shutdown-file",
          .doc = "Written at a clean shutdown; when it is missing at start the storage is\n"
                 "checked, as the last shutdown may not have synced it." },
        { G("crio", internal_wipe), BOOL(true), .flags = CONFIG_DEPRECATED | CONFIG_ACTED,
          .option = "internal-wipe",
          .replacement = "nothing (the key is going away)",
          .doc = "Wipe stale containers and images when the daemon starts, rather than\n"
                 "leaving it to `crio wipe`." },
        { G("crio", internal_repair), BOOL(true), .flags = CONFIG_ACTED, .option = "internal-repair",
          .doc = "Check storage for corruption after an unclean shutdown and repair it." },

        /* [crio.api] */
        { G("crio.api", listen), STR(CRIO_DEFAULT_LISTEN), .check = check_absolute,
          .flags = CONFIG_ACTED, .option = "listen",
          .doc = "Path of the unix socket serving the CRI (ignored under socket activation)." },
        { G("crio.api", stream_address), STR("127.0.0.1"), .option = "stream-address",
          .doc = "Address the exec/attach/port-forward streaming server binds to." },
        { G("crio.api", stream_port), STR("0"), .check = check_port_string, .option = "stream-port",
          .doc = "Port of the streaming server; \"0\" picks a free port." },
        { G("crio.api", stream_enable_tls), BOOL(false), .flags = CONFIG_ACTED, .option = "stream-enable-tls",
          .doc = "Serve streams over TLS (needs stream_tls_cert and stream_tls_key)." },
        { G("crio.api", stream_idle_timeout), STR(""), .check = check_duration_or_empty,
          .option = "stream-idle-timeout",
          .doc = "How long an idle stream stays open, as a duration (\"4h\"); empty keeps the\n"
                 "built-in limit." },
        { G("crio.api", stream_tls_cert), STR(""), .flags = CONFIG_ACTED, .check = check_absolute_or_empty,
          .option = "stream-tls-cert",
          .doc = "x509 certificate of the streaming server; re-read when the file changes." },
        { G("crio.api", stream_tls_key), STR(""), .flags = CONFIG_ACTED, .check = check_absolute_or_empty,
          .option = "stream-tls-key",
          .doc = "Private key matching stream_tls_cert; re-read when the file changes." },
        { G("crio.api", stream_tls_ca), STR(""), .flags = CONFIG_ACTED, .check = check_absolute_or_empty,
          .option = "stream-tls-ca",
          .doc = "CA bundle used to authenticate streaming clients; re-read when it changes." },
        { G("crio.api", grpc_max_send_msg_size), INT(CRIO_DEFAULT_GRPC_MAX_MSG_SIZE),
          .flags = CONFIG_ACTED | CONFIG_RELOAD, .option = "grpc-max-send-msg-size",
          .doc = "Largest gRPC message sent, in bytes; zero or less means 80 MiB." },
        { G("crio.api", grpc_max_recv_msg_size), INT(CRIO_DEFAULT_GRPC_MAX_MSG_SIZE),
          .flags = CONFIG_ACTED | CONFIG_RELOAD, .option = "grpc-max-recv-msg-size",
          .doc = "Largest gRPC message accepted, in bytes; zero or less means 80 MiB. Larger\n"
                 "requests are refused with RESOURCE_EXHAUSTED." },

        /* [crio.runtime] */
        { G("crio.runtime", default_runtime), STR(CRIO_DEFAULT_RUNTIME),
          .flags = CONFIG_ACTED | CONFIG_RELOAD, .option = "default-runtime",
          .doc = "Name of the runtime handler used when the kubelet names none. It must have a\n"
                 "[crio.runtime.runtimes.<name>] table. crio defaults to runc (CRI-O: crun)." },
        { G("crio.runtime", default_ulimits), LIST(NULL), .flags = CONFIG_ACTED, .check = check_ulimits,
          .option = "default-ulimits",
          .doc = "Resource limits for every container, as \"<name>=<soft>:<hard>\", e.g.\n"
                 "\"nofile=1024:2048\". Unset limits are inherited from the daemon." },
        { G("crio.runtime", no_pivot), BOOL(false), .flags = CONFIG_ACTED, .option = "no-pivot",
          .doc = "Have the runtime use MS_MOVE instead of pivot_root(2)." },
        { G("crio.runtime", decryption_keys_path), STR("/etc/crio/keys/"), .flags = CONFIG_RELOAD,
          .option = "decryption-keys-path",
          .doc = "Directory of the private keys used to decrypt encrypted images." },
        { G("crio.runtime", conmon), STR(""), .flags = CONFIG_ACTED | CONFIG_DEPRECATED,
          .option = "conmon", .replacement = "crio.runtime.runtimes.<handler>.monitor_path",
          .doc = "Path of conmon, the container monitor; empty searches $PATH. When set it\n"
                 "overrides monitor_path of every oci runtime handler." },
        { G("crio.runtime", conmon_cgroup), STR(""), .flags = CONFIG_ACTED | CONFIG_DEPRECATED,
          .option = "conmon-cgroup", .replacement = "crio.runtime.runtimes.<handler>.monitor_cgroup",
          .doc = "Cgroup for conmon; when set it overrides monitor_cgroup of every oci handler." },
        { G("crio.runtime", conmon_env), LIST(NULL), .check = check_monitor_env,
          .flags = CONFIG_ACTED | CONFIG_DEPRECATED, .option = "conmon-env",
          .replacement = "crio.runtime.runtimes.<handler>.monitor_env",
          .doc = "Environment of conmon; when set it overrides monitor_env of every oci handler." },
        { G("crio.runtime", default_env), LIST(NULL), .flags = CONFIG_ACTED, .check = check_monitor_env, .option = "default-env",
          .doc = "Environment variables added to every container, unless the image or the\n"
                 "container configuration sets them." },
        { G("crio.runtime", selinux), BOOL(false), .option = "selinux",
          .doc = "Label containers with SELinux to separate pods." },
        { G("crio.runtime", seccomp_profile), STR(""), .check = check_absolute_or_empty,
          .flags = CONFIG_ACTED | CONFIG_RELOAD, .option = "seccomp-profile",
          .doc = "seccomp profile (JSON) used as the runtime default; empty uses the built-in one." },
        { G("crio.runtime", privileged_seccomp_profile), STR(""), .check = check_absolute_or_empty,
          .flags = CONFIG_RELOAD, .option = "privileged-seccomp-profile",
          .doc = "seccomp profile applied to privileged containers; empty applies none." },
        { G("crio.runtime", apparmor_profile), STR("crio-default"), .flags = CONFIG_RELOAD,
          .option = "apparmor-profile",
          .doc = "AppArmor profile for containers that do not ask for one; \"unconfined\"\n"
                 "turns AppArmor off." },
        { G("crio.runtime", blockio_config_file), STR(""), .check = check_absolute_or_empty,
          .option = "blockio-config-file",
          .doc = "Block I/O class definitions for the cgroup blkio/io controller." },
        { G("crio.runtime", blockio_reload), BOOL(false), .option = "blockio-reload",
          .doc = "Re-read blockio_config_file and rescan block devices before applying classes." },
        { G("crio.runtime", irqbalance_config_file), STR("/etc/sysconfig/irqbalance"),
          .option = "irqbalance-config-file",
          .doc = "irqbalance configuration file updated when CPUs are isolated for a pod." },
        { G("crio.runtime", irqbalance_config_restore_file), STR("/etc/sysconfig/orig_irq_banned_cpus"),
          .option = "irqbalance-config-restore-file",
          .doc = "File holding the banned-CPU mask restored into irqbalance at start; empty\n"
                 "skips the restore." },
        { G("crio.runtime", rdt_config_file), STR(""), .check = check_absolute_or_empty,
          .flags = CONFIG_RELOAD, .option = "rdt-config-file",
          .doc = "Intel RDT (resctrl) class configuration." },
        { G("crio.runtime", cgroup_manager), STR("systemd"), .check = check_cgroup_manager,
          .flags = CONFIG_ACTED, .option = "cgroup-manager",
          .doc = "Who manages container cgroups: \"systemd\" or \"cgroupfs\"." },
        { G("crio.runtime", separate_pull_cgroup), STR(""), .option = "separate-pull-cgroup",
          .doc = "Pull images inside this cgroup; \"pod\" uses the pod's cgroup (systemd only)." },
        { G("crio.runtime", default_capabilities),
          LIST("CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "SETGID", "SETUID", "SETPCAP",
               "NET_BIND_SERVICE", "KILL", NULL), .flags = CONFIG_ACTED,
          .check = check_capabilities, .option = "default-capabilities",
          .doc = "Capabilities every container gets unless its security context drops them." },
        { G("crio.runtime", add_inheritable_capabilities), BOOL(false), .flags = CONFIG_ACTED,
          .option = "add-inheritable-capabilities",
          .doc = "Also put the capabilities in the inheritable set, which non-root processes\n"
                 "need to use them." },
        { G("crio.runtime", default_sysctls), LIST(NULL), .check = check_sysctls,
          .flags = CONFIG_ACTED, .option = "default-sysctls",
          .doc = "sysctls set in every container, as \"name=value\"." },
        { G("crio.runtime", allowed_devices), LIST("/dev/fuse", "/dev/net/tun", NULL),
          .check = check_absolute_list, .option = "allowed-devices",
          .doc = "Host devices a pod may request with the io.kubernetes.cri-o.Devices annotation." },
        { G("crio.runtime", additional_devices), LIST(NULL), .check = check_devices,
          .option = "additional-devices",
          .doc = "Devices added to every container, as \"<host>:<container>:<permissions>\",\n"
                 "e.g. \"/dev/sdc:/dev/xvdc:rwm\"." },
        { G("crio.runtime", cdi_spec_dirs), LIST("/etc/cdi", "/var/run/cdi", NULL),
          .check = check_absolute_list, .option = "cdi-spec-dirs",
          .doc = "Directories searched for Container Device Interface specifications; later\n"
                 "ones take precedence." },
        { G("crio.runtime", device_ownership_from_security_context), BOOL(false),
          .option = "device-ownership-from-security-context",
          .doc = "Give devices the owner from the container's RunAsUser/RunAsGroup rather than\n"
                 "the host's." },
        { G("crio.runtime", hooks_dir), LIST("/usr/share/containers/oci/hooks.d", NULL),
          .check = check_absolute_list, .option = "hooks-dir",
          .doc = "Directories of OCI hook definitions (oci-hooks(5)); missing ones are skipped." },
        { G("crio.runtime", default_mounts_file), STR(""), .check = check_absolute_or_empty,
          .option = "default-mounts-file",
          .doc = "File of /SRC:/DST lines mounted into every container; empty reads\n"
                 "/etc/containers/mounts.conf and /usr/share/containers/mounts.conf." },
        { G("crio.runtime", pids_limit), INT(-1), .flags = CONFIG_ACTED | CONFIG_DEPRECATED, .option = "pids-limit",
          .replacement = "the kubelet's --pod-pids-limit",
          .doc = "Maximum number of processes in a container; -1 means no limit." },
        { G("crio.runtime", log_size_max), INT(-1), .check = check_log_size_max,
          .flags = CONFIG_ACTED | CONFIG_DEPRECATED, .option = "log-size-max",
          .replacement = "the kubelet's --container-log-max-size",
          .doc = "Maximum size of a container log file in bytes; negative means no limit,\n"
                 "otherwise at least 8192." },
        { G("crio.runtime", log_to_journald), BOOL(true), .flags = CONFIG_ACTED, .option = "log-journald",
          .doc = "Also send container output to the journal (with CONTAINER_ID, CONTAINER_NAME,\n"
                 "...). crio defaults to true (CRI-O: false). A conmon that takes --log-label\n"
                 "adds POD_ID, POD_NAME, POD_NAMESPACE, and the lines show in\n"
                 "journalctl -u crio-<id>.scope; with an older conmon (Debian 12's 2.1.6) they\n"
                 "carry the CONTAINER_* fields only and belong to crio-conmon-<id>.scope." },
        { G("crio.runtime", container_exits_dir), STR("/var/run/crio/exits"), .flags = CONFIG_ACTED, .check = check_absolute,
          .option = "container-exits-dir",
          .doc = "Directory where conmon writes container exit codes." },
        { G("crio.runtime", container_attach_socket_dir), STR("/var/run/crio"), .flags = CONFIG_ACTED, .check = check_absolute,
          .option = "container-attach-socket-dir",
          .doc = "Directory for the container attach sockets." },
        { G("crio.runtime", bind_mount_prefix), STR(""), .option = "bind-mount-prefix",
          .doc = "Prefix prepended to the source of every bind mount, for a daemon that sees\n"
                 "the host's / under another path." },
        { G("crio.runtime", read_only), BOOL(false), .flags = CONFIG_ACTED, .option = "read-only",
          .doc = "Run every container with a read-only root file system." },
        { G("crio.runtime", log_level), STR("info"), .check = check_log_level,
          .flags = CONFIG_ACTED | CONFIG_RELOAD, .option = "log-level",
          .doc = "Verbosity of the daemon's log: fatal, panic, error, warn, info, debug or trace.\n"
                 "Also accepted under [crio]." },
        { .scope = CONFIG_SCOPE_GLOBAL, .table = "crio", .name = "log_level",
          .offset = offsetof(Config, log_level), STR("info"), .check = check_log_level,
          .flags = CONFIG_ACTED | CONFIG_RELOAD | CONFIG_ALIAS,
          .doc = "Same as crio.runtime.log_level." },
        { G("crio.runtime", log_filter), STR(""), .flags = CONFIG_RELOAD, .option = "log-filter",
          .doc = "Regular expression; only matching log messages are written." },
        { G("crio.runtime", uid_mappings), STR(""), .check = check_id_mappings,
          .flags = CONFIG_DEPRECATED, .option = "uid-mappings",
          .replacement = "Kubernetes user namespaces",
          .doc = "User namespace UID ranges for every container, as\n"
                 "\"containerUID:hostUID:size\", comma-separated." },
        { G("crio.runtime", gid_mappings), STR(""), .check = check_id_mappings,
          .flags = CONFIG_DEPRECATED, .option = "gid-mappings",
          .replacement = "Kubernetes user namespaces",
          .doc = "User namespace GID ranges for every container, as\n"
                 "\"containerGID:hostGID:size\", comma-separated." },
        { G("crio.runtime", minimum_mappable_uid), INT(-1), .flags = CONFIG_DEPRECATED,
          .option = "minimum-mappable-uid", .replacement = "Kubernetes user namespaces",
          .doc = "Lowest host UID a non-root pod may map; negative allows mappings only for\n"
                 "pods running as UID 0." },
        { G("crio.runtime", minimum_mappable_gid), INT(-1), .flags = CONFIG_DEPRECATED,
          .option = "minimum-mappable-gid", .replacement = "Kubernetes user namespaces",
          .doc = "Lowest host GID a non-root pod may map; negative allows mappings only for\n"
                 "pods running as UID 0." },
        { G("crio.runtime", ctr_stop_timeout), INT(CRIO_MINIMUM_CTR_STOP_TIMEOUT), .flags = CONFIG_ACTED, .option = "ctr-stop-timeout",
          .doc = "Seconds to wait for a container to stop before giving up; values below 30 are\n"
                 "raised to 30." },
        { G("crio.runtime", drop_infra_ctr), BOOL(true), .flags = CONFIG_ACTED, .option = "drop-infra-ctr",
          .doc = "Run no pause container for pods that need no PID namespace of their own." },
        { G("crio.runtime", infra_ctr_cpuset), STR(""), .check = check_cpuset, .option = "infra-ctr-cpuset",
          .doc = "CPUs the pause containers run on, in Linux CPU list format (\"0-1\")." },
        { G("crio.runtime", shared_cpuset), STR(""), .check = check_cpuset, .option = "shared-cpuset",
          .doc = "CPUs guaranteed containers may share beside their exclusive ones." },
        { G("crio.runtime", namespaces_dir), STR("/var/run"), .check = check_absolute,
          .flags = CONFIG_ACTED, .option = "namespaces-dir",
          .doc = "Where pinned pod namespaces are kept." },
        { G("crio.runtime", pinns_path), STR(""), .check = check_absolute_or_empty, .option = "pinns-path",
          .doc = "Path of pinns, which pins namespaces; empty searches $PATH." },
        { G("crio.runtime", enable_criu_support), BOOL(true), .option = "enable-criu-support",
          .doc = "Allow checkpoint and restore when criu is found in $PATH." },
        { G("crio.runtime", enable_pod_events), BOOL(false), .flags = CONFIG_ACTED, .option = "enable-pod-events",
          .doc = "Send container events to the kubelet (evented PLEG)." },
        { G("crio.runtime", absent_mount_sources_to_reject), LIST(NULL), .flags = CONFIG_ACTED, .check = check_absolute_list,
          .option = "absent-mount-sources-to-reject",
          .doc = "Mount sources that make container creation fail when missing on the host,\n"
                 "instead of being created as directories (e.g. /etc/hostname)." },
        { G("crio.runtime", hostnetwork_disable_selinux), BOOL(true),
          .option = "hostnetwork-disable-selinux",
          .doc = "Run pods in the host network namespace without SELinux separation." },
        { G("crio.runtime", disable_hostport_mapping), BOOL(false), .option = "disable-hostport-mapping",
          .doc = "Do not program host port mappings for pods." },
        { G("crio.runtime", timezone), STR(""), .check = check_timezone, .option = "timezone",
          .doc = "Time zone of containers; empty keeps the image's, \"Local\" uses the host's." },

        /* [crio.runtime.runtimes.<name>] */
        { H(runtime_path), STR(""), .check = check_absolute_or_empty, .flags = CONFIG_ACTED,
          .doc = "Path of the runtime executable; empty searches $PATH for the handler's name." },
        { H(runtime_type), STR("oci"), .check = check_runtime_type, .flags = CONFIG_ACTED,
          .doc = "\"oci\" (runc, crun), \"vm\" (a containerd shim v2) or \"pod\" (conmon-rs)." },
        { H(runtime_root), STR(""), .flags = CONFIG_ACTED, .check = check_absolute_or_empty,
          .doc = "State directory of the runtime." },
        { H(runtime_config_path), STR(""), .check = check_absolute_or_empty,
          .doc = "Configuration file of the runtime; only for the \"vm\" type." },
        { H(inherit_default_runtime), BOOL(false),
          .doc = "Take runtime_path, runtime_type, runtime_root and runtime_config_path from\n"
                 "the default runtime." },
        { H(privileged_without_host_devices), BOOL(false),
          .doc = "Do not pass host devices to privileged containers." },
        { H(allowed_annotations), LIST(NULL),
          .doc = "Experimental annotations this handler honours (e.g.\n"
                 "\"io.kubernetes.cri-o.Devices\", \"io.kubernetes.cri-o.userns-mode\")." },
        { H(monitor_path), STR(""), .check = check_absolute_or_empty, .flags = CONFIG_ACTED,
          .doc = "Path of the container monitor (conmon); empty searches $PATH." },
        { H(monitor_cgroup), STR(""), .flags = CONFIG_ACTED,
          .doc = "Cgroup of the monitor: a systemd slice, or \"pod\" to use the pod's cgroup." },
        { H(monitor_env), LIST(NULL), .flags = CONFIG_ACTED, .check = check_monitor_env,
          .doc = "Environment of the monitor, as \"NAME=value\"." },
        { H(monitor_exec_cgroup), STR(""), .check = check_monitor_exec_cgroup,
          .doc = "\"container\" moves exec probes into the container's cgroup." },
        { H(platform_runtime_paths), MAP(),
          .doc = "Runtime executables per platform, e.g. { \"linux/arm64\" = \"/usr/bin/runc-arm64\" }." },
        { H(runtime_pull_image), BOOL(false),
          .doc = "The runtime pulls images itself." },
        { H(container_min_memory), STR(""), .check = check_memory_size,
          .doc = "Smallest memory limit a container may have (\"12MiB\"); empty means 12 MiB." },
        { H(no_sync_log), BOOL(false), .flags = CONFIG_ACTED,
          .doc = "Do not fsync logs at rotation and exit (faster, may lose output on a crash)." },
        { H(default_annotations), MAP(),
          .doc = "Annotations added to pods of this handler unless the pod sets them." },
        { H(stream_websockets), BOOL(false),
          .doc = "Offer WebSocket streams for exec, attach and port forwarding." },
        { H(exec_cpu_affinity), STR(""), .check = check_exec_cpu_affinity,
          .doc = "\"first\" runs exec processes on the first CPU of the container's set." },
        { H(seccomp_profile), STR(""), .flags = CONFIG_ACTED, .check = check_absolute_or_empty,
          .doc = "seccomp profile of this handler, ahead of crio.runtime.seccomp_profile." },
        { H(container_create_timeout), INT(240), .flags = CONFIG_ACTED, .check = check_non_negative,
          .doc = "Seconds container creation may take; values below 30 are raised to 30." },

        /* [crio.runtime.workloads.<name>] */
        { W(activation_annotation), STR(""),
          .doc = "Pod annotation (key only) that selects this workload." },
        { W(annotation_prefix), STR(""),
          .doc = "Prefix of the per-container annotations overriding the resources below." },
        { W(allowed_annotations), LIST(NULL),
          .doc = "Experimental annotations pods of this workload may use." },
        { WR(cpushares), INT(0), .check = check_non_negative, .doc = "Default CPU shares." },
        { WR(cpuquota), INT(0), .doc = "Default CPU quota in microseconds." },
        { WR(cpuperiod), INT(0), .check = check_non_negative, .doc = "Default CPU period in microseconds." },
        { WR(cpulimit), INT(0), .check = check_non_negative,
          .doc = "Default CPU limit in millicores; overrides cpuquota." },
        { WR(cpuset), STR(""), .check = check_cpuset, .doc = "Default CPU set." },

        /* [crio.image] */
        { G("crio.image", default_transport), STR("docker://"), .option = "default-transport",
          .doc = "Transport prefixed to image names that have none." },
        { G("crio.image", global_auth_file), STR(""), .check = check_absolute_or_empty,
          .option = "global-auth-file",
          .doc = "Registry credentials for every pull, in the format of\n"
                 "/var/lib/kubelet/config.json." },
        { G("crio.image", namespaced_auth_dir), STR("/etc/crio/auth"), .check = check_absolute,
          .option = "namespaced-auth-dir",
          .doc = "Directory of per-namespace credentials left by the CRI-O credential provider." },
        { G("crio.image", pause_image), STR("registry.k8s.io/pause:3.10"), .check = check_not_empty,
          .flags = CONFIG_RELOAD, .option = "pause-image",
          .doc = "Image of the pod infrastructure container, with its registry host." },
        { G("crio.image", pause_image_auth_file), STR(""), .check = check_absolute_or_empty,
          .flags = CONFIG_RELOAD, .option = "pause-image-auth-file",
          .doc = "Credentials used to pull pause_image." },
        { G("crio.image", pause_command), STR("/pause"), .flags = CONFIG_RELOAD, .option = "pause-command",
          .doc = "Command of the pause container; empty uses the image's entrypoint." },
        { G("crio.image", pinned_images), LIST(NULL), .flags = CONFIG_RELOAD, .option = "pinned-images",
          .doc = "Images the kubelet must never garbage-collect: exact names, \"prefix*\" or\n"
                 "\"*keyword*\"." },
        { G("crio.image", signature_policy), STR(""), .check = check_absolute_or_empty,
          .option = "signature-policy",
          .doc = "Signature policy file; empty uses the system's /etc/containers/policy.json." },
        { G("crio.image", signature_policy_dir), STR("/etc/crio/policies"), .check = check_absolute,
          .option = "signature-policy-dir",
          .doc = "Directory of per-namespace policies, <dir>/<namespace>.json." },
        { G("crio.image", insecure_registries), LIST(NULL), .flags = CONFIG_DEPRECATED,
          .option = "insecure-registry", .replacement = "\"insecure\" in registries.conf",
          .doc = "Registries contacted without TLS verification." },
        { G("crio.image", image_volumes), STR("mkdir"), .check = check_image_volumes,
          .option = "image-volumes",
          .doc = "What to do with volumes declared by images: mkdir, bind or ignore." },
        { G("crio.image", big_files_temporary_dir), STR(""), .check = check_absolute_or_empty,
          .option = "big-files-temporary-dir",
          .doc = "Temporary directory for image blobs during pulls; empty uses /var/tmp." },
        { G("crio.image", auto_reload_registries), BOOL(false), .option = "auto-reload-registries",
          .doc = "Reload registries.conf.d automatically when it changes." },
        { G("crio.image", pull_progress_timeout), DUR(0), .flags = CONFIG_ACTED,
          .option = "pull-progress-timeout",
          .doc = "Cancel a pull making no progress for this long (\"10m\"), logging progress every\n"
                 "tenth of it; 0s disables the check." },
        { G("crio.image", oci_artifact_mount_support), BOOL(true), .option = "oci-artifact-mount-support",
          .doc = "Allow OCI artifacts to be mounted as volumes." },
        { G("crio.image", short_name_mode), STR("enforcing"), .check = check_short_name_mode,
          .option = "short-name-mode",
          .doc = "Short image names: \"enforcing\" refuses ambiguous ones, \"disabled\" takes\n"
                 "the first match." },

        /* [crio.network] */
        { G("crio.network", cni_default_network), STR(""), .flags = CONFIG_ACTED,
          .option = "cni-default-network",
          .doc = "CNI network to use; empty takes the first one found in network_dir." },
        { G("crio.network", network_dir), STR("/etc/cni/net.d/"), .check = check_absolute,
          .flags = CONFIG_ACTED, .option = "cni-config-dir",
          .doc = "Directory of CNI network configurations." },
        { G("crio.network", plugin_dir), STR(""), .check = check_absolute_or_empty,
          .flags = CONFIG_ACTED | CONFIG_DEPRECATED, .replacement = "crio.network.plugin_dirs",
          .doc = "A CNI plugin directory, added to plugin_dirs." },
        { G("crio.network", plugin_dirs), LIST("/opt/cni/bin/", NULL), .check = check_absolute_list,
          .flags = CONFIG_ACTED, .option = "cni-plugin-dir",
          .doc = "Directories of CNI plugin binaries." },

        /* [crio.metrics] */
        { G("crio.metrics", enable_metrics), BOOL(false), .option = "enable-metrics",
          .doc = "Serve Prometheus metrics." },
        { G("crio.metrics", metrics_collectors),
          LIST("image_pulls_layer_size", "containers_events_dropped_total", "containers_oom_total",
               "processes_defunct", "operations_total", "operations_latency_seconds",
               "operations_latency_seconds_total", "operations_errors_total", "image_pulls_bytes_total",
               "image_pulls_skipped_bytes_total", "image_pulls_failure_total",
               "image_pulls_success_total", "image_layer_reuse_total", "containers_oom_count_total",
               "containers_seccomp_notifier_count_total", "resources_stalled_at_stage",
               "containers_stopped_monitor_count", NULL),
          .check = check_metrics_collectors, .option = "metrics-collectors",
          .doc = "Collectors to enable; names may carry the \"crio_\" or\n"
                 "\"container_runtime_crio_\" prefix." },
        { G("crio.metrics", metrics_host), STR("127.0.0.1"), .option = "metrics-host",
          .doc = "Address of the metrics server." },
        { G("crio.metrics", metrics_port), INT(9090), .check = check_port, .option = "metrics-port",
          .doc = "Port of the metrics server." },
        { G("crio.metrics", metrics_socket), STR(""), .check = check_absolute_or_empty,
          .option = "metrics-socket",
          .doc = "Unix socket for the metrics server, instead of a TCP port." },
        { G("crio.metrics", metrics_cert), STR(""), .check = check_absolute_or_empty,
          .option = "metrics-cert",
          .doc = "Certificate of the metrics server; a self-signed one is made if missing." },
        { G("crio.metrics", metrics_key), STR(""), .check = check_absolute_or_empty,
          .option = "metrics-key",
          .doc = "Key of metrics_cert." },

        /* [crio.tracing] */
        { G("crio.tracing", enable_tracing), BOOL(false), .option = "enable-tracing",
          .doc = "Export OpenTelemetry traces." },
        { G("crio.tracing", tracing_endpoint), STR("127.0.0.1:4317"), .option = "tracing-endpoint",
          .doc = "Address of the OTLP gRPC collector." },
        { G("crio.tracing", tracing_sampling_rate_per_million), INT(0), .check = check_sampling_rate,
          .option = "tracing-sampling-rate-per-million",
          .doc = "Spans sampled per million; 1000000 samples all." },

        /* [crio.stats] */
        { G("crio.stats", stats_collection_period), INT(0), .check = check_non_negative,
          .option = "stats-collection-period",
          .doc = "Seconds between stats collections; 0 collects on demand." },
        { G("crio.stats", collection_period), INT(0), .check = check_non_negative,
          .option = "collection-period",
          .doc = "Seconds between collections of stats and pod sandbox metrics; 0 collects on\n"
                 "demand." },
        { G("crio.stats", included_pod_metrics), LIST(NULL), .flags = CONFIG_ACTED,
          .option = "included-pod-metrics",
          .doc = "Pod metrics to collect (\"cpu\", \"memory\", \"network\"...); empty collects none." },

        /* [crio.nri] */
        { G("crio.nri", enable_nri), BOOL(true), .option = "enable-nri",
          .doc = "Enable the Node Resource Interface." },
        { G("crio.nri", nri_listen), STR("/var/run/nri/nri.sock"), .check = check_absolute,
          .option = "nri-listen",
          .doc = "Socket on which externally started NRI plugins connect." },
        { G("crio.nri", nri_plugin_dir), STR("/opt/nri/plugins"), .check = check_absolute,
          .option = "nri-plugin-dir",
          .doc = "Directory of NRI plugins started by the daemon." },
        { G("crio.nri", nri_plugin_config_dir), STR("/etc/nri/conf.d"), .check = check_absolute,
          .option = "nri-plugin-config-dir",
          .doc = "Directory of the configurations of those plugins." },
        { G("crio.nri", nri_plugin_registration_timeout), DUR(5 * NSEC_PER_SEC),
          .option = "nri-plugin-registration-timeout",
          .doc = "How long a plugin may take to register." },
        { G("crio.nri", nri_plugin_request_timeout), DUR(2 * NSEC_PER_SEC),
          .option = "nri-plugin-request-timeout",
          .doc = "How long a plugin may take to answer a request." },
        { G("crio.nri", nri_disable_connections), BOOL(false), .option = "nri-disable-connections",
          .doc = "Refuse connections from externally started plugins." },

        /* [crio.nri.default_validator] */
        { G("crio.nri.default_validator", nri_enable_default_validator), BOOL(false),
          .doc = "Enable the built-in validator." },
        { G("crio.nri.default_validator", nri_validator_reject_oci_hook_adjustment), BOOL(false),
          .doc = "Refuse plugins injecting OCI hooks." },
        { G("crio.nri.default_validator", nri_validator_reject_runtime_default_seccomp_adjustment),
          BOOL(false), .doc = "Refuse changes to the runtime default seccomp profile." },
        { G("crio.nri.default_validator", nri_validator_reject_unconfined_seccomp_adjustment),
          BOOL(false), .doc = "Refuse changes to unconfined seccomp profiles." },
        { G("crio.nri.default_validator", nri_validator_reject_custom_seccomp_adjustment),
          BOOL(false), .doc = "Refuse changes to custom seccomp profiles." },
        { G("crio.nri.default_validator", nri_validator_reject_namespace_adjustment), BOOL(false),
          .doc = "Refuse changes to Linux namespaces." },
        { G("crio.nri.default_validator", nri_validator_required_plugins), LIST(NULL),
          .doc = "Plugins that must have seen a container before it is created." },
        { G("crio.nri.default_validator", nri_validator_tolerate_missing_plugins_annotation), STR(""),
          .doc = "Annotation with which a pod tolerates missing required plugins." },
};
const size_t config_keys_count = ELEMENTSOF(config_keys);

const ConfigKey *config_key_find(ConfigScope scope, const char *table, const char *name) {
        for (size_t i = 0; i < config_keys_count; i++) {
                const ConfigKey *k = config_keys + i;

                if (k->scope == scope && k->name[0] == name[0] && strcmp(k->name, name) == 0 &&
                    strcmp(k->table, table) == 0)
                        return k;
        }
        return NULL;
}

const ConfigKey *config_key_find_option(const char *option) {
        for (size_t i = 0; i < config_keys_count; i++)
                if (config_keys[i].option && strcmp(config_keys[i].option, option) == 0)
                        return config_keys + i;
        return NULL;
}

bool config_table_known(const char *table) {
        for (size_t i = 0; i < config_tables_count; i++)
                if (strcmp(config_tables[i], table) == 0)
                        return true;
        return false;
}

/* ---- values ---- */

int config_key_default(const ConfigKey *k, ConfigValue *ret) {
        ConfigValue v = {};

        switch (k->type) {
        case CONFIG_TYPE_STRING:
                v.string = strdup(k->default_string ?: "");
                if (!v.string)
                        return -ENOMEM;
                break;
        case CONFIG_TYPE_BOOLEAN:
                v.boolean = k->default_boolean;
                break;
        case CONFIG_TYPE_INTEGER:
        case CONFIG_TYPE_DURATION:
                v.integer = k->default_integer;
                break;
        case CONFIG_TYPE_STRV:
        case CONFIG_TYPE_MAP:
                if (strv_copy((char *const *) k->default_strv, &v.strv) < 0)
                        return -ENOMEM;
                break;
        default:
                return -EINVAL;
        }
        *ret = v;
        return 0;
}

void config_value_done(const ConfigKey *k, ConfigValue *v) {
        if (IN_SET(k->type, CONFIG_TYPE_STRING))
                v->string = mfree(v->string);
        else if (IN_SET(k->type, CONFIG_TYPE_STRV, CONFIG_TYPE_MAP))
                v->strv = strv_free(v->strv);
}

ConfigValue config_value_peek(const ConfigKey *k, const void *field) {
        ConfigValue v = {};

        switch (k->type) {
        case CONFIG_TYPE_STRING:
                v.string = *(char *const *) field;
                break;
        case CONFIG_TYPE_BOOLEAN:
                v.boolean = *(const bool *) field;
                break;
        case CONFIG_TYPE_INTEGER:
        case CONFIG_TYPE_DURATION:
                v.integer = *(const int64_t *) field;
                break;
        default:
                v.strv = *(char **const *) field;
        }
        return v;
}

void config_value_store(const ConfigKey *k, void *field, ConfigValue *v) {
        switch (k->type) {
        case CONFIG_TYPE_STRING:
                free(*(char **) field);
                *(char **) field = TAKE_PTR(v->string);
                break;
        case CONFIG_TYPE_BOOLEAN:
                *(bool *) field = v->boolean;
                break;
        case CONFIG_TYPE_INTEGER:
        case CONFIG_TYPE_DURATION:
                *(int64_t *) field = v->integer;
                break;
        default:
                strv_free(*(char ***) field);
                *(char ***) field = TAKE_PTR(v->strv);
        }
}

int config_value_copy(const ConfigKey *k, const ConfigValue *v, ConfigValue *ret) {
        ConfigValue c = *v;

        if (k->type == CONFIG_TYPE_STRING) {
                c.string = strdup(v->string ?: "");
                if (!c.string)
                        return -ENOMEM;
        } else if (IN_SET(k->type, CONFIG_TYPE_STRV, CONFIG_TYPE_MAP)) {
                if (strv_copy(v->strv, &c.strv) < 0)
                        return -ENOMEM;
        }
        *ret = c;
        return 0;
}

static bool map_equal(char *const *a, char *const *b) {
        /* Key order does not matter in a TOML table. */
        if (strv_length(a) != strv_length(b))
                return false;
        for (size_t i = 0; a && a[i] && a[i + 1]; i += 2) {
                bool found = false;

                for (size_t j = 0; b[j] && b[j + 1] && !found; j += 2)
                        found = strcmp(a[i], b[j]) == 0 && strcmp(a[i + 1], b[j + 1]) == 0;
                if (!found)
                        return false;
        }
        return true;
}

bool config_value_equal(const ConfigKey *k, const ConfigValue *a, const ConfigValue *b) {
        switch (k->type) {
        case CONFIG_TYPE_STRING:
                return strcmp(a->string ?: "", b->string ?: "") == 0;
        case CONFIG_TYPE_BOOLEAN:
                return a->boolean == b->boolean;
        case CONFIG_TYPE_INTEGER:
        case CONFIG_TYPE_DURATION:
                return a->integer == b->integer;
        case CONFIG_TYPE_STRV:
                return strv_equal(a->strv, b->strv);
        case CONFIG_TYPE_MAP:
                return map_equal(a->strv, b->strv);
        default:
                return false;
        }
}

bool config_key_is_default(const ConfigKey *k, const void *object) {
        ConfigValue cur = config_value_peek(k, (const uint8_t *) object + k->offset), def = {};

        switch (k->type) {
        case CONFIG_TYPE_STRING:
                return strcmp(cur.string ?: "", k->default_string ?: "") == 0;
        case CONFIG_TYPE_BOOLEAN:
                return cur.boolean == k->default_boolean;
        case CONFIG_TYPE_INTEGER:
        case CONFIG_TYPE_DURATION:
                return cur.integer == k->default_integer;
        default:
                def.strv = (char **) k->default_strv;
                return config_value_equal(k, &cur, &def);
        }
}

static int parse_int64(const char *s, int64_t *ret) {
        char *end;
        long long v;

        errno = 0;
        v = strtoll(s, &end, 0);
        if (errno != 0 || end == s || *end != '\0')
                return -EINVAL;
        *ret = v;
        return 0;
}

const char *config_value_parse(const ConfigKey *k, const char *s, ConfigValue *ret) {
        ConfigValue v = {};

        switch (k->type) {
        case CONFIG_TYPE_STRING:
                v.string = strdup(s);
                if (!v.string)
                        return "out of memory";
                break;
        case CONFIG_TYPE_BOOLEAN:
                if (strcmp(s, "true") == 0 || strcmp(s, "1") == 0)
                        v.boolean = true;
                else if (strcmp(s, "false") == 0 || strcmp(s, "0") == 0)
                        v.boolean = false;
                else
                        return "expected true or false";
                break;
        case CONFIG_TYPE_INTEGER:
                if (parse_int64(s, &v.integer) < 0)
                        return "expected an integer";
                break;
        case CONFIG_TYPE_DURATION:
                if (duration_parse(s, &v.integer) < 0)
                        return "expected a duration such as \"5s\" or \"1m30s\"";
                break;
        case CONFIG_TYPE_STRV:
                /* Comma-separated, as CRI-O's list flags take them. */
                for (const char *p = s; *p;) {
                        size_t n = strcspn(p, ",");
                        _cleanup_free_ char *item = strndup(p, n);

                        if (!item || strv_push(&v.strv, item) < 0) {
                                strv_free(v.strv);
                                return "out of memory";
                        }
                        p += n;
                        if (*p == ',')
                                p++;
                }
                if (!v.strv && strv_push(&v.strv, NULL) < 0)
                        return "out of memory";
                break;
        case CONFIG_TYPE_MAP: {
                /* key=value,key=value */
                for (const char *p = s; *p;) {
                        size_t n = strcspn(p, ",");
                        _cleanup_free_ char *item = strndup(p, n);
                        char *eq = item ? strchr(item, '=') : NULL;

                        if (!eq) {
                                strv_free(v.strv);
                                return "expected key=value pairs separated by commas";
                        }
                        *eq = '\0';
                        if (strv_push(&v.strv, item) < 0 || strv_push(&v.strv, eq + 1) < 0) {
                                strv_free(v.strv);
                                return "out of memory";
                        }
                        p += n;
                        if (*p == ',')
                                p++;
                }
                break;
        }
        default:
                return "unsupported type";
        }
        *ret = v;
        return NULL;
}

void toml_write_string(FILE *f, const char *value) {
        fputc('"', f);
        for (const char *p = value ?: ""; *p; p++) {
                unsigned char ch = (unsigned char) *p;

                if (ch == '"' || ch == '\\')
                        fprintf(f, "\\%c", ch);
                else if (ch == '\n')
                        fputs("\\n", f);
                else if (ch == '\t')
                        fputs("\\t", f);
                else if (ch < 0x20 || ch == 0x7f)
                        fprintf(f, "\\u%04x", ch);
                else
                        fputc(ch, f);
        }
        fputc('"', f);
}

void config_value_write_toml(const ConfigKey *k, const ConfigValue *v, FILE *f, const char *indent) {
        char buf[DURATION_MAX_STRING];

        switch (k->type) {
        case CONFIG_TYPE_STRING:
                toml_write_string(f, v->string);
                break;
        case CONFIG_TYPE_BOOLEAN:
                fputs(v->boolean ? "true" : "false", f);
                break;
        case CONFIG_TYPE_INTEGER:
                fprintf(f, "%" PRIi64, v->integer);
                break;
        case CONFIG_TYPE_DURATION:
                toml_write_string(f, duration_format(v->integer, buf, sizeof buf));
                break;
        case CONFIG_TYPE_STRV:
                if (strv_length(v->strv) == 0) {
                        fputs("[]", f);
                        break;
                }
                fputs("[\n", f);
                for (char **s = v->strv; *s; s++) {
                        fprintf(f, "%s\t", indent ?: "");
                        toml_write_string(f, *s);
                        fputs(",\n", f);
                }
                fprintf(f, "%s]", indent ?: "");
                break;
        case CONFIG_TYPE_MAP:
                fputs("{", f);
                for (size_t i = 0; v->strv && v->strv[i] && v->strv[i + 1]; i += 2) {
                        fputs(i == 0 ? " " : ", ", f);
                        toml_write_string(f, v->strv[i]);
                        fputs(" = ", f);
                        toml_write_string(f, v->strv[i + 1]);
                }
                fputs(strv_length(v->strv) > 0 ? " }" : "}", f);
                break;
        default:
                break;
        }
}

/* ---- Go durations: "1h2m3.5s", "300ms", "-1.5h"; units ns, us/µs, ms, s, m, h ---- */

int duration_parse(const char *s, int64_t *ret_nsec) {
        static const struct {
                const char *unit;
                int64_t nsec;
        } units[] = {
                { "ns", 1 }, { "us", 1000 }, { "\xc2\xb5s", 1000 }, { "\xce\xbcs", 1000 },
                { "ms", 1000000 }, { "s", NSEC_PER_SEC }, { "m", 60 * NSEC_PER_SEC },
                { "h", 3600 * NSEC_PER_SEC },
        };
        bool negative = false;
        long double total = 0;
        const char *p = s;

        if (!s || !*s)
                return -EINVAL;
        if (*p == '+' || *p == '-')
                negative = *p++ == '-';
        if (strcmp(p, "0") == 0) {
                *ret_nsec = 0;
                return 0;
        }
        if (!*p)
                return -EINVAL;
        while (*p) {
                char *end;
                long double n;
                size_t best = 0;
                int64_t mult = 0;

                if (!isdigit((unsigned char) *p) && *p != '.')
                        return -EINVAL;
                n = strtold(p, &end);
                if (end == p)
                        return -EINVAL;
                p = end;
                for (size_t i = 0; i < ELEMENTSOF(units); i++) {
                        size_t l = strlen(units[i].unit);

                        /* Longest match first, so "ms" is not read as "m" then "s". */
                        if (l > best && strncmp(p, units[i].unit, l) == 0) {
                                best = l;
                                mult = units[i].nsec;
                        }
                }
                if (best == 0)
                        return -EINVAL;
                p += best;
                total += n * mult;
                if (total > (long double) INT64_MAX)
                        return -ERANGE;
        }
        *ret_nsec = (int64_t) (negative ? -total : total);
        return 0;
}

/* Writes the fraction of v / 10^digits without trailing zeros: 1500 ms -> "1.5". */
static void append_decimal(char **p, size_t *left, uint64_t v, unsigned digits) {
        uint64_t unit = 1;
        int n;

        for (unsigned i = 0; i < digits; i++)
                unit *= 10;
        n = snprintf(*p, *left, "%" PRIu64, v / unit);
        if (n < 0 || (size_t) n >= *left)
                return;
        *p += n, *left -= n;
        if (v % unit != 0) {
                char frac[24];
                size_t len;

                (void) snprintf(frac, sizeof frac, "%0*" PRIu64, (int) digits, v % unit);
                len = strlen(frac);
                while (len > 0 && frac[len - 1] == '0')
                        frac[--len] = '\0';
                n = snprintf(*p, *left, ".%s", frac);
                if (n > 0 && (size_t) n < *left)
                        *p += n, *left -= n;
        }
}

char *duration_format(int64_t nsec, char *buf, size_t size) {
        /* Go's Duration.String(): "0s", "1.5s", "300ms", "1m30s", "2h0m0s". */
        uint64_t u = nsec < 0 ? -(uint64_t) nsec : (uint64_t) nsec;
        char *p = buf;
        size_t left = size;

        if (nsec < 0 && left > 1) {
                *p++ = '-';
                left--;
        }
        if (u == 0)
                (void) snprintf(p, left, "0s");
        else if (u < 1000) {
                (void) snprintf(p, left, "%" PRIu64 "ns", u);
        } else if (u < 1000000) {
                append_decimal(&p, &left, u, 3);
                (void) snprintf(p, left, "us");
        } else if (u < (uint64_t) NSEC_PER_SEC) {
                append_decimal(&p, &left, u, 6);
                (void) snprintf(p, left, "ms");
        } else {
                uint64_t secs = u / NSEC_PER_SEC, hours = secs / 3600, minutes = secs / 60 % 60;
                int n = 0;

                if (hours > 0)
                        n = snprintf(p, left, "%" PRIu64 "h%" PRIu64 "m", hours, minutes);
                else if (minutes > 0)
                        n = snprintf(p, left, "%" PRIu64 "m", minutes);
                if (n > 0 && (size_t) n < left)
                        p += n, left -= n;
                append_decimal(&p, &left, u % (60 * NSEC_PER_SEC), 9);
                (void) snprintf(p, left, "s");
        }
        return buf;
}
