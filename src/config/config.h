/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The effective configuration of the daemon: CRI-O's tables and keys as plain C. Filled from
 * built-in defaults, then crio.conf and its drop-ins, then command-line flags. */

#include <stdint.h>

#include "macro.h"

#define CRIO_DEFAULT_CONFIG_FILE "/etc/crio/crio.conf"
#define CRIO_DEFAULT_CONFIG_DIR "/etc/crio/crio.conf.d"
#define CRIO_DEFAULT_LISTEN "/var/run/crio/crio.sock"

typedef struct Config {
        /* [crio] */
        char *root;
        char *runroot;
        char *storage_driver;
        char *log_dir;

        /* [crio.api] */
        char *listen;
        uint64_t grpc_max_send_msg_size;
        uint64_t grpc_max_recv_msg_size;

        /* [crio.runtime] */
        char *log_level;
        char *default_runtime;
        char *cgroup_manager;
        char *conmon;

        /* [crio.image] */
        char *pause_image;

        /* [crio.network] */
        char *network_dir;
        char **plugin_dirs;   /* NULL-terminated */
} Config;

int config_new_default(Config **ret);
Config *config_free(Config *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(Config *, config_free);

/* Sets *field to a copy of value. */
int config_set_string(char **field, const char *value);
