/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "config.h"

static char **strv_free(char **l) {
        for (char **i = l; i && *i; i++)
                free(*i);
        free(l);
        return NULL;
}

int config_set_string(char **field, const char *value) {
        char *copy = NULL;

        if (value) {
                copy = strdup(value);
                if (!copy)
                        return -ENOMEM;
        }
        free(*field);
        *field = copy;
        return 0;
}

int config_new_default(Config **ret) {
        _cleanup_(config_freep) Config *c = NULL;

        c = calloc(1, sizeof(Config));
        if (!c)
                return -ENOMEM;

        /* CRI-O's defaults, except default_runtime which is runc (our documented default). */
        c->root = strdup("/var/lib/containers/storage");
        c->runroot = strdup("/run/containers/storage");
        c->storage_driver = strdup("overlay");
        c->log_dir = strdup("/var/log/crio/pods");
        c->listen = strdup(CRIO_DEFAULT_LISTEN);
        c->grpc_max_send_msg_size = 83886080;
        c->grpc_max_recv_msg_size = 83886080;
        c->log_level = strdup("info");
        c->default_runtime = strdup("runc");
        c->cgroup_manager = strdup("systemd");
        c->conmon = strdup("");
        c->pause_image = strdup("registry.k8s.io/pause:3.10");
        c->network_dir = strdup("/etc/cni/net.d/");
        c->plugin_dirs = calloc(2, sizeof(char *));
        if (c->plugin_dirs)
                c->plugin_dirs[0] = strdup("/opt/cni/bin/");

        if (!c->root || !c->runroot || !c->storage_driver || !c->log_dir || !c->listen || !c->log_level ||
            !c->default_runtime || !c->cgroup_manager || !c->conmon || !c->pause_image || !c->network_dir ||
            !c->plugin_dirs || !c->plugin_dirs[0])
                return -ENOMEM;

        *ret = TAKE_PTR(c);
        return 0;
}

Config *config_free(Config *c) {
        if (!c)
                return NULL;
        free(c->root);
        free(c->runroot);
        free(c->storage_driver);
        free(c->log_dir);
        free(c->listen);
        free(c->log_level);
        free(c->default_runtime);
        free(c->cgroup_manager);
        free(c->conmon);
        free(c->pause_image);
        free(c->network_dir);
        strv_free(c->plugin_dirs);
        return mfree(c);
}
