/* SPDX-License-Identifier: Apache-2.0 */

/* crio: parses the command line, then hands over to the manager. */

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "config-toml.h"
#include "config.h"
#include "crio-build.h"
#include "log.h"
#include "manager.h"

enum {
        ARG_CONFIG_DIR = 0x100,
        ARG_LISTEN,
        ARG_LOG_TARGET,
        ARG_CGROUP_MANAGER,
        ARG_CONMON,
        ARG_DEFAULT_RUNTIME,
        ARG_PAUSE_IMAGE,
        ARG_CNI_CONFIG_DIR,
        ARG_CNI_PLUGIN_DIR,
        ARG_RUNROOT,
        ARG_GRPC_MAX_SEND,
        ARG_GRPC_MAX_RECV,
};

static const struct option options[] = {
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'v' },
        { "config", required_argument, NULL, 'c' },
        { "config-dir", required_argument, NULL, ARG_CONFIG_DIR },
        { "listen", required_argument, NULL, ARG_LISTEN },
        { "log-level", required_argument, NULL, 'l' },
        { "log-target", required_argument, NULL, ARG_LOG_TARGET },
        { "cgroup-manager", required_argument, NULL, ARG_CGROUP_MANAGER },
        { "conmon", required_argument, NULL, ARG_CONMON },
        { "default-runtime", required_argument, NULL, ARG_DEFAULT_RUNTIME },
        { "pause-image", required_argument, NULL, ARG_PAUSE_IMAGE },
        { "cni-config-dir", required_argument, NULL, ARG_CNI_CONFIG_DIR },
        { "cni-plugin-dir", required_argument, NULL, ARG_CNI_PLUGIN_DIR },
        { "root", required_argument, NULL, 'r' },
        { "runroot", required_argument, NULL, ARG_RUNROOT },
        { "grpc-max-send-msg-size", required_argument, NULL, ARG_GRPC_MAX_SEND },
        { "grpc-max-recv-msg-size", required_argument, NULL, ARG_GRPC_MAX_RECV },
        {}
};

static void help(void) {
        printf("crio %s: a CRI-O compatible container runtime for Kubernetes, native to systemd.\n\n"
               "Usage: crio [OPTIONS] [COMMAND]\n\n"
               "Commands:\n"
               "  (none)                          Run the daemon\n"
               "  version                         Print version, git commit, build date and libraries\n"
               "  config                          Print the effective configuration as TOML\n"
               "  help                            Show this help\n\n"
               "Options:\n"
               "  -h --help                       Show this help\n"
               "  -v --version                    Print the version\n"
               "  -c --config=FILE                Configuration file (default: %s)\n"
               "     --config-dir=DIR             Drop-in directory (default: %s)\n"
               "     --listen=PATH                CRI socket (default: %s)\n"
               "  -l --log-level=LEVEL            fatal, panic, error, warn, info, debug or trace (default: info)\n"
               "     --log-target=TARGET          auto, journal or console (default: auto)\n"
               "     --cgroup-manager=MANAGER     systemd or cgroupfs (default: systemd)\n"
               "     --conmon=PATH                Path of conmon\n"
               "     --default-runtime=NAME       Default runtime handler (default: runc)\n"
               "     --pause-image=IMAGE          Image of the pod infra container\n"
               "     --cni-config-dir=DIR         CNI configuration directory (default: /etc/cni/net.d/)\n"
               "     --cni-plugin-dir=DIR         CNI plugin directory; may be repeated (default: /opt/cni/bin/)\n"
               "  -r --root=DIR                   Storage root (default: /var/lib/containers/storage)\n"
               "     --runroot=DIR                Storage state directory (default: /run/containers/storage)\n"
               "     --grpc-max-send-msg-size=N   Largest gRPC message sent, in bytes (default: 83886080)\n"
               "     --grpc-max-recv-msg-size=N   Largest gRPC message received, in bytes (default: 83886080)\n",
               CRIO_VERSION, CRIO_DEFAULT_CONFIG_FILE, CRIO_DEFAULT_CONFIG_DIR, CRIO_DEFAULT_LISTEN);
}

static void print_version(void) {
        printf("Version:          %s\n"
               "GitCommit:        %s\n"
               "GitTreeState:     %s\n"
               "BuildDate:        %s\n"
               "Compiler:         %s\n"
               "Platform:         %s\n"
               "Linkmode:         dynamic\n"
               "Libraries:\n"
               "  libsystemd:     %s\n"
               "  protobuf-c:     %s\n"
               "  nghttp2:        %s\n"
               "  glib:           %s\n"
               "  json-glib:      %s\n"
               "  libcurl:        %s\n"
               "  libarchive:     %s\n"
               "  libseccomp:     %s\n",
               CRIO_VERSION, CRIO_GIT_COMMIT, CRIO_GIT_TREE_STATE, CRIO_BUILD_DATE, CRIO_COMPILER,
               CRIO_PLATFORM, LIBSYSTEMD_VERSION, PROTOBUF_C_VERSION, NGHTTP2_VERSION, GLIB_VERSION,
               JSON_GLIB_VERSION, LIBCURL_VERSION, LIBARCHIVE_VERSION, LIBSECCOMP_VERSION);
}

static int parse_size(const char *s, uint64_t *ret) {
        char *end;
        unsigned long long v;

        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0 || end == s || *end || s[0] == '-' || v == 0)
                return -EINVAL;
        *ret = v;
        return 0;
}

static int append_plugin_dir(Config *c, const char *dir, bool *replaced) {
        size_t n = 0;
        char **l;

        /* The first --cni-plugin-dir replaces the default list; later ones add to it. */
        if (!*replaced) {
                for (char **d = c->plugin_dirs; d && *d; d++)
                        free(*d);
                if (c->plugin_dirs)
                        c->plugin_dirs[0] = NULL;
                *replaced = true;
        }
        while (c->plugin_dirs && c->plugin_dirs[n])
                n++;
        l = reallocarray(c->plugin_dirs, n + 2, sizeof(char *));
        if (!l)
                return -ENOMEM;
        c->plugin_dirs = l;
        l[n] = strdup(dir);
        l[n + 1] = NULL;
        return l[n] ? 0 : -ENOMEM;
}

static int parse_argv(int argc, char *argv[], Config *c, const char **ret_command) {
        bool plugin_dirs_replaced = false;
        const char *config_file = NULL;
        struct stat st;
        int opt, r = 0;

        while ((opt = getopt_long(argc, argv, "hvc:l:r:", options, NULL)) >= 0) {
                switch (opt) {
                case 'h':
                        *ret_command = "help";
                        return 1;
                case 'v':
                        *ret_command = "version";
                        return 1;
                case 'c':
                        config_file = optarg;
                        break;
                case ARG_CONFIG_DIR:
                        break;
                case ARG_LISTEN:
                        r = config_set_string(&c->listen, optarg);
                        break;
                case 'l':
                        if (log_level_from_string(optarg) < 0)
                                return log_error_errno(EINVAL, "Invalid --log-level: %s", optarg);
                        r = config_set_string(&c->log_level, optarg);
                        break;
                case ARG_LOG_TARGET: {
                        LogTarget t = log_target_from_string(optarg);
                        if (t < 0)
                                return log_error_errno(EINVAL, "Invalid --log-target: %s", optarg);
                        log_set_target(t);
                        break;
                }
                case ARG_CGROUP_MANAGER:
                        if (strcmp(optarg, "systemd") != 0 && strcmp(optarg, "cgroupfs") != 0)
                                return log_error_errno(EINVAL, "Invalid --cgroup-manager: %s (systemd or cgroupfs)", optarg);
                        r = config_set_string(&c->cgroup_manager, optarg);
                        break;
                case ARG_CONMON:
                        r = config_set_string(&c->conmon, optarg);
                        break;
                case ARG_DEFAULT_RUNTIME:
                        r = config_set_string(&c->default_runtime, optarg);
                        break;
                case ARG_PAUSE_IMAGE:
                        r = config_set_string(&c->pause_image, optarg);
                        break;
                case ARG_CNI_CONFIG_DIR:
                        r = config_set_string(&c->network_dir, optarg);
                        break;
                case ARG_CNI_PLUGIN_DIR:
                        r = append_plugin_dir(c, optarg, &plugin_dirs_replaced);
                        break;
                case 'r':
                        r = config_set_string(&c->root, optarg);
                        break;
                case ARG_RUNROOT:
                        r = config_set_string(&c->runroot, optarg);
                        break;
                case ARG_GRPC_MAX_SEND:
                        if (parse_size(optarg, &c->grpc_max_send_msg_size) < 0)
                                return log_error_errno(EINVAL, "Invalid --grpc-max-send-msg-size: %s", optarg);
                        break;
                case ARG_GRPC_MAX_RECV:
                        if (parse_size(optarg, &c->grpc_max_recv_msg_size) < 0)
                                return log_error_errno(EINVAL, "Invalid --grpc-max-recv-msg-size: %s", optarg);
                        break;
                case '?':
                        return -EINVAL;
                default:
                        return log_error_errno(EINVAL, "Unhandled option %d", opt);
                }
                if (r < 0)
                        return log_oom();
        }

        /* A file named on the command line must exist; the default one may be absent. */
        if (config_file && stat(config_file, &st) < 0)
                return log_error_errno(errno, "Cannot read configuration file %s: %m", config_file);

        if (optind < argc - 1)
                return log_error_errno(EINVAL, "Too many arguments.");
        *ret_command = optind < argc ? argv[optind] : NULL;
        return 1;
}

static int run_daemon(Config *config) {
        _cleanup_(manager_freep) Manager *m = NULL;
        int r;

        log_info("Starting crio %s (git commit %s).", CRIO_VERSION, CRIO_GIT_COMMIT);

        r = manager_new(config, &m);
        if (r < 0)
                return r;
        r = manager_start(m);
        if (r < 0)
                return r;
        return manager_run(m);
}

int main(int argc, char *argv[]) {
        _cleanup_(config_freep) Config *config = NULL;
        const char *command = NULL;
        int r;

        log_open();

        r = config_new_default(&config);
        if (r < 0)
                return log_oom(), EXIT_FAILURE;

        r = parse_argv(argc, argv, config, &command);
        if (r < 0)
                return EXIT_FAILURE;

        log_set_max_level(log_level_from_string(config->log_level));

        if (!command)
                return run_daemon(TAKE_PTR(config)) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
        if (strcmp(command, "help") == 0) {
                help();
                return EXIT_SUCCESS;
        }
        if (strcmp(command, "version") == 0) {
                print_version();
                return EXIT_SUCCESS;
        }
        if (strcmp(command, "config") == 0) {
                _cleanup_free_ char *text = NULL;

                if (config_to_toml(config, &text) < 0)
                        return log_oom(), EXIT_FAILURE;
                fputs(text, stdout);
                return EXIT_SUCCESS;
        }

        log_error("Unknown command '%s'; see crio --help.", command);
        return EXIT_FAILURE;
}
