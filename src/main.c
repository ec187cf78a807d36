/* SPDX-License-Identifier: Apache-2.0 */

/* crio: reads the command line and the configuration, then hands over to the manager. */

#include <stdio.h>
#include <string.h>

#include "config-flags.h"
#include "config-load.h"
#include "config-man.h"
#include "config-toml.h"
#include "crio-build.h"
#include "crio-git-commit.h"
#include "crio-git-state.h"
#include "log.h"
#include "manager.h"
#include "storage-check.h"
#include "storage-version.h"
#include "storage-wipe.h"

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

static int print_config(ConfigFlags *flags) {
        _cleanup_(config_freep) Config *config = NULL;
        int r;

        if (flags->print_man)
                return config_write_man(stdout);
        if (flags->print_default)
                r = config_new_default(&config);
        else
                r = config_load(flags->sources, &config);
        if (r < 0)
                return r;
        return config_write_toml(config, /* comment_defaults= */ true, stdout);
}

/* crio wipe and crio check (src/storage/). */
static int run_storage_command(ConfigFlags *flags) {
        _cleanup_(config_freep) Config *config = NULL;
        int64_t age_nsec = (int64_t) STORAGE_LAYER_AGE_DEFAULT_USEC * 1000;
        int r;

        r = config_load(flags->sources, &config);
        if (r < 0)
                return log_error_errno(r, "Invalid configuration.");
        log_set_max_level(log_level_from_string(config->log_level));
        if (strcmp(flags->command, "wipe") == 0)
                return storage_wipe_command(config, flags->force);
        if (flags->age && duration_parse(flags->age, &age_nsec) < 0)
                return log_error_errno(EINVAL, "Invalid --age: %s (a duration such as 24h)", flags->age);
        return storage_check_command(config, &(StorageCheckCommand) {
                        .repair = flags->repair,
                        .force = flags->force,
                        .quick = flags->quick,
                        .wipe = flags->wipe,
                        .max_layer_age_usec = age_nsec / 1000,
                });
}

static int run_daemon(ConfigFlags *flags) {
        _cleanup_(manager_freep) Manager *m = NULL;
        _cleanup_(config_freep) Config *config = NULL;
        int r;

        r = config_load(flags->sources, &config);
        if (r < 0)
                return log_error_errno(r, "Invalid configuration, not starting.");
        log_set_max_level(log_level_from_string(config->log_level));
        log_info("Starting crio %s (git commit %s).", CRIO_VERSION, CRIO_GIT_COMMIT);
        config_warn_not_acted_on(config);
        r = config_verify_host(config);
        if (r < 0)
                return log_error_errno(r, "Unusable configuration, not starting.");

        r = manager_new(TAKE_PTR(config), TAKE_PTR(flags->sources), &m);
        if (r < 0)
                return r;
        r = manager_start(m);
        if (r < 0)
                return r;
        return manager_run(m);
}

int main(int argc, char *argv[]) {
        _cleanup_(config_flags_freep) ConfigFlags *flags = NULL;
        int r;

        log_open();
        storage_version_set_commit(CRIO_GIT_COMMIT);

        r = config_flags_parse(argc, argv, &flags);
        if (r < 0)
                return EXIT_FAILURE;
        if (flags->log_target >= 0)
                log_set_target(flags->log_target);

        if (flags->show_help || (flags->command && strcmp(flags->command, "help") == 0)) {
                config_flags_help(stdout);
                return EXIT_SUCCESS;
        }
        if (flags->show_version || (flags->command && strcmp(flags->command, "version") == 0)) {
                print_version();
                return EXIT_SUCCESS;
        }
        if (!flags->command)
                return run_daemon(flags) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
        if (strcmp(flags->command, "config") == 0)
                return print_config(flags) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
        if (strcmp(flags->command, "wipe") == 0 || strcmp(flags->command, "check") == 0)
                return run_storage_command(flags) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;

        log_error("Unknown command '%s'; see crio --help.", flags->command);
        return EXIT_FAILURE;
}
