/* SPDX-License-Identifier: Apache-2.0 */

/* A small driver of the network library for tests/integration/test_cni.py, run inside the test
 * host:
 *   cni-check netns-new NAMESPACES_DIR            pin a new netns, print its path
 *   cni-check netns-remove PATH
 *   cni-check add|del|check [options]             one CNI operation, print the pod IPs on ADD
 *       --dir D | --config FILE   network config directory (default network) or one file
 *       --plugins DIR[:DIR...]  --cache DIR  --id ID  --netns PATH  --ifname NAME
 *       --port HOST:CONTAINER  --timeout-ms N  --network NAME (del from the cache alone)
 *   cni-check watch DIR TIMEOUT_MS                print readiness changes until ready or timeout */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cni-config.h"
#include "cni-exec.h"
#include "cni-util.h"
#include "cni-watch.h"
#include "log.h"
#include "netns.h"

typedef struct Done {
        bool done;
        int r;
} Done;

static void on_done(CniOperation *op, int r, void *userdata) {
        Done *d = userdata;

        d->done = true;
        d->r = r;
}

static int split_dirs(const char *s, char ***ret) {
        _cleanup_free_ char *copy = strdup(s);
        char **l = NULL, *save = NULL;

        if (!copy)
                return -ENOMEM;
        for (char *t = strtok_r(copy, ":", &save); t; t = strtok_r(NULL, ":", &save))
                if (strv_push(&l, t) < 0)
                        return -ENOMEM;
        *ret = l;
        return 0;
}

static int cmd_operation(const char *command, int argc, char **argv) {
        static const struct option options[] = {
                { "dir", required_argument, NULL, 'd' },
                { "config", required_argument, NULL, 'c' },
                { "plugins", required_argument, NULL, 'p' },
                { "cache", required_argument, NULL, 'C' },
                { "id", required_argument, NULL, 'i' },
                { "netns", required_argument, NULL, 'n' },
                { "ifname", required_argument, NULL, 'I' },
                { "port", required_argument, NULL, 'P' },
                { "timeout-ms", required_argument, NULL, 't' },
                { "network", required_argument, NULL, 'N' },
                {}
        };
        _cleanup_(strv_freep) char **plugin_dirs = NULL, **args = NULL, **ips = NULL;
        _cleanup_(cni_network_unrefp) CniNetwork *net = NULL;
        _cleanup_(cni_operation_freep) CniOperation *op = NULL;
        _cleanup_(cni_exec_freep) CniExec *x = NULL;
        _cleanup_free_ char *reason = NULL;
        const char *dir = NULL, *config = NULL, *cache = NULL, *network_name = NULL;
        CniPortMapping ports[8] = {};
        CniRuntimeConf rt = {};
        uint64_t timeout_ms = 0;
        sd_event *e = NULL;
        Done d = {};
        int c, r;

        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 'd': dir = optarg; break;
                case 'c': config = optarg; break;
                case 'p':
                        if (split_dirs(optarg, &plugin_dirs) < 0)
                                return log_oom();
                        break;
                case 'C': cache = optarg; break;
                case 'i': rt.container_id = optarg; break;
                case 'n': rt.netns = optarg; break;
                case 'I': rt.ifname = optarg; break;
                case 'P': {
                        unsigned h, k;

                        if (rt.n_port_mappings >= ELEMENTSOF(ports) || sscanf(optarg, "%u:%u", &h, &k) != 2)
                                return log_error_errno(EINVAL, "Bad --port %s", optarg);
                        ports[rt.n_port_mappings++] = (CniPortMapping) {
                                .host_port = h, .container_port = k, .protocol = (char *) "tcp" };
                        rt.port_mappings = ports;
                        break;
                }
                case 't': timeout_ms = strtoull(optarg, NULL, 10); break;
                case 'N': network_name = optarg; break;
                default: return -EINVAL;
                }

        if (config)
                r = cni_network_load_file(config, &net);
        else if (dir)
                r = cni_network_load_dir(dir, NULL, plugin_dirs, &net, &reason);
        else
                r = 0;
        if (r < 0 && !(strcmp(command, "del") == 0 && network_name))
                return log_error_errno(r, "No network: %s", reason ?: "failed to load");

        r = cni_args_new_k8s("default", "cni-check", rt.container_id, "uid-cni-check", &args);
        if (r < 0)
                return log_error_errno(r, "Bad CNI args: %m");
        rt.args = args;

        r = sd_event_default(&e);
        if (r >= 0)
                r = cni_exec_new(e, plugin_dirs, cache, &x);
        if (r < 0)
                return log_error_errno(r, "Setup failed: %m");
        if (timeout_ms > 0)
                cni_exec_set_timeout(x, timeout_ms * 1000);

        if (strcmp(command, "add") == 0)
                r = cni_exec_add(x, net, &rt, on_done, &d, &op);
        else if (strcmp(command, "del") == 0)
                r = cni_exec_del(x, net, network_name, &rt, on_done, &d, &op);
        else
                r = cni_exec_check(x, net, &rt, on_done, &d, &op);
        if (r < 0)
                return log_error_errno(r, "Failed to start %s: %m", command);
        while (!d.done)
                if (sd_event_run(e, UINT64_MAX) < 0)
                        return 1;
        sd_event_unref(e);

        if (d.r < 0) {
                printf("error: %s\n", cni_operation_get_error_message(op) ?: strerror(-d.r));
                return 1;
        }
        if (cni_operation_get_result(op)) {
                r = cni_result_get_pod_ips(cni_operation_get_result(op), &ips);
                if (r < 0)
                        return log_oom();
                for (char **i = ips; *i; i++)
                        printf("ip %s\n", *i);
        }
        printf("ok\n");
        return 0;
}

static void on_watch(CniWatch *w, bool ready, const char *reason, void *userdata) {
        printf("ready=%d %s\n", ready, reason ?: "");
        fflush(stdout);
        if (ready)
                (void) sd_event_exit(userdata, 0);
}

static int on_watch_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        return sd_event_exit(userdata, ETIMEDOUT);
}

static int cmd_watch(const char *dir, const char *timeout) {
        _cleanup_(cni_watch_freep) CniWatch *w = NULL;
        sd_event *e = NULL;
        int r;

        r = sd_event_default(&e);
        if (r < 0)
                return r;
        r = cni_watch_new(e, dir, NULL, NULL, on_watch, e, &w);
        if (r < 0)
                return log_error_errno(r, "Failed to watch %s: %m", dir);
        printf("initial ready=%d %s\n", cni_watch_is_ready(w), cni_watch_get_reason(w) ?: "");
        fflush(stdout);
        if (cni_watch_is_ready(w))
                return 0;
        r = sd_event_add_time_relative(e, NULL, CLOCK_MONOTONIC, strtoull(timeout, NULL, 10) * 1000, 0,
                                       on_watch_timeout, e);
        if (r >= 0)
                r = sd_event_loop(e);
        w = cni_watch_free(w);
        sd_event_unref(e);
        return r == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
        _cleanup_free_ char *path = NULL;
        int r;

        log_set_max_level(LOG_DEBUG);
        if (argc >= 3 && strcmp(argv[1], "netns-new") == 0) {
                r = netns_new(argv[2], argc >= 4 ? argv[3] : NULL, &path);
                if (r < 0)
                        return 1;
                printf("%s\n", path);
                return 0;
        }
        if (argc == 3 && strcmp(argv[1], "netns-remove") == 0)
                return netns_remove(argv[2]) < 0;
        if (argc >= 2 && (strcmp(argv[1], "add") == 0 || strcmp(argv[1], "del") == 0 ||
                          strcmp(argv[1], "check") == 0))
                return (r = cmd_operation(argv[1], argc - 1, argv + 1)) < 0 ? 1 : r;
        if (argc == 4 && strcmp(argv[1], "watch") == 0)
                return (r = cmd_watch(argv[2], argv[3])) < 0 ? 1 : r;
        fprintf(stderr, "usage: see the comment at the top of tests/cni-check.c\n");
        return 2;
}
