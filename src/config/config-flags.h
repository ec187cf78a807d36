/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The command line: one flag for every schema row that names one (CRI-O's flag names), plus
 * --config, --config-dir, the command and its options. */

#include <stdio.h>

#include "config-load.h"
#include "log.h"

typedef struct ConfigFlags {
        ConfigSources *sources;
        char *command;                  /* NULL: run the daemon */
        bool show_help;
        bool show_version;
        bool print_default;             /* crio config --default */
        bool print_man;                 /* crio config --man: crio.conf(5) */
        bool force;                     /* crio wipe/check --force */
        bool repair;                    /* crio check --repair */
        bool quick;                     /* crio check --quick */
        bool wipe;                      /* crio check --wipe */
        char *age;                      /* crio check --age (NULL: the default, 24h) */
        LogTarget log_target;           /* _LOG_TARGET_INVALID when not given */
} ConfigFlags;

ConfigFlags *config_flags_free(ConfigFlags *f);
DEFINE_TRIVIAL_CLEANUP_FUNC(ConfigFlags *, config_flags_free);

/* Returns 0, or -EINVAL after printing why (unknown flag, missing or bad argument). Values are
 * checked against the schema when the configuration is loaded. */
int config_flags_parse(int argc, char *argv[], ConfigFlags **ret);

void config_flags_help(FILE *f);
