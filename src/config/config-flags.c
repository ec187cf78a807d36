/* SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <string.h>

#include "config-flags.h"
#include "crio-build.h"

enum {
        ARG_LOG_TARGET = 0x100,
        ARG_DEFAULT,
        ARG_MAN,
        ARG_REPAIR,
        ARG_KEY_BASE = 0x1000,          /* + index into config_keys */
};

/* Flags not tied to a schema row. */
static const struct option fixed_options[] = {
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'v' },
        { "config", required_argument, NULL, 'c' },
        { "config-dir", required_argument, NULL, 'd' },
        { "log-target", required_argument, NULL, ARG_LOG_TARGET },
        { "default", no_argument, NULL, ARG_DEFAULT },
        { "man", no_argument, NULL, ARG_MAN },
        /* crio wipe and crio check; CRI-O's -r of --repair is --root here. */
        { "force", no_argument, NULL, 'f' },
        { "repair", no_argument, NULL, ARG_REPAIR },
        { "quick", no_argument, NULL, 'q' },
        { "wipe", no_argument, NULL, 'w' },
        { "age", required_argument, NULL, 'a' },
};

/* Short spellings CRI-O has for a few of the schema flags. */
static int short_option(const char *option) {
        if (strcmp(option, "log-level") == 0)
                return 'l';
        if (strcmp(option, "root") == 0)
                return 'r';
        if (strcmp(option, "storage-driver") == 0)
                return 's';
        return 0;
}

ConfigFlags *config_flags_free(ConfigFlags *f) {
        if (!f)
                return NULL;
        config_sources_free(f->sources);
        free(f->command);
        free(f->age);
        return mfree(f);
}

static struct option *build_options(void) {
        size_t n = ELEMENTSOF(fixed_options), i = 0;
        struct option *o;

        for (size_t k = 0; k < config_keys_count; k++)
                if (config_keys[k].option)
                        n++;
        o = calloc(n + 1, sizeof(struct option));
        if (!o)
                return NULL;
        for (size_t k = 0; k < ELEMENTSOF(fixed_options); k++)
                o[i++] = fixed_options[k];
        for (size_t k = 0; k < config_keys_count; k++) {
                const ConfigKey *key = config_keys + k;
                int s;

                if (!key->option)
                        continue;
                s = short_option(key->option);
                o[i++] = (struct option) {
                        .name = key->option,
                        /* --selinux alone means true; --selinux=false turns it off. */
                        .has_arg = key->type == CONFIG_TYPE_BOOLEAN ? optional_argument : required_argument,
                        .val = s ?: (int) (ARG_KEY_BASE + k),
                };
        }
        return o;
}

int config_flags_parse(int argc, char *argv[], ConfigFlags **ret) {
        _cleanup_(config_flags_freep) ConfigFlags *f = NULL;
        _cleanup_free_ struct option *options = NULL;
        int opt, r;

        f = calloc(1, sizeof(ConfigFlags));
        if (!f)
                return log_oom();
        f->sources = calloc(1, sizeof(ConfigSources));
        options = build_options();
        if (!f->sources || !options)
                return log_oom();
        f->log_target = _LOG_TARGET_INVALID;

        optind = 0;
        while ((opt = getopt_long(argc, argv, "hvc:d:l:r:s:fqwa:", options, NULL)) >= 0) {
                const ConfigKey *key = NULL;

                switch (opt) {
                case 'h':
                        f->show_help = true;
                        break;
                case 'v':
                        f->show_version = true;
                        break;
                case 'c':
                        if (config_set_string(&f->sources->config_file, optarg) < 0)
                                return log_oom();
                        f->sources->config_file_explicit = true;
                        break;
                case 'd':
                        if (config_set_string(&f->sources->config_dir, optarg) < 0)
                                return log_oom();
                        break;
                case ARG_LOG_TARGET:
                        f->log_target = log_target_from_string(optarg);
                        if (f->log_target < 0) {
                                fprintf(stderr, "Invalid --log-target: %s (auto, journal or console)\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case ARG_DEFAULT:
                        f->print_default = true;
                        break;
                case ARG_MAN:
                        f->print_man = true;
                        break;
                case 'f':
                        f->force = true;
                        break;
                case ARG_REPAIR:
                        f->repair = true;
                        break;
                case 'q':
                        f->quick = true;
                        break;
                case 'w':
                        f->wipe = true;
                        break;
                case 'a':
                        if (config_set_string(&f->age, optarg) < 0)
                                return log_oom();
                        break;
                case 'l':
                        key = config_key_find_option("log-level");
                        break;
                case 'r':
                        key = config_key_find_option("root");
                        break;
                case 's':
                        key = config_key_find_option("storage-driver");
                        break;
                case '?':
                        return -EINVAL;
                default:
                        if (opt < ARG_KEY_BASE || (size_t) (opt - ARG_KEY_BASE) >= config_keys_count)
                                return log_error_errno(EINVAL, "Unhandled option %d", opt);
                        key = config_keys + (opt - ARG_KEY_BASE);
                }
                if (!key)
                        continue;
                r = config_sources_add_override(f->sources, key, optarg ?: "true");
                if (r < 0)
                        return log_oom();
        }

        if (optind < argc - 1) {
                fprintf(stderr, "Too many arguments; see crio --help.\n");
                return -EINVAL;
        }
        if (optind < argc && config_set_string(&f->command, argv[optind]) < 0)
                return log_oom();

        *ret = TAKE_PTR(f);
        return 0;
}

void config_flags_help(FILE *f) {
        fprintf(f,
                "crio %s: a CRI-O compatible container runtime for Kubernetes, native to systemd.\n\n"
                "Usage: crio [OPTIONS] [COMMAND]\n\n"
                "Commands:\n"
                "  (none)                    Run the daemon\n"
                "  version                   Print version, git commit, build date and libraries\n"
                "  config                    Print the effective configuration as a commented crio.conf\n"
                "                              --default  print the built-in defaults instead\n"
                "                              --man      print crio.conf(5)\n"
                "  wipe                      Remove containers and pods after a reboot, and their images\n"
                "                            after an upgrade (as told by version_file, version_file_persist\n"
                "                            and clean_shutdown_file); with internal_wipe crio does it at start\n"
                "                              -f --force  wipe containers and their images regardless\n"
                "  check                     Check the image store and container storage for damage\n"
                "                              --repair    remove damaged layers and images\n"
                "                              -f --force  with --repair, remove damaged containers too\n"
                "                              -q --quick  check that blobs exist, without hashing them\n"
                "                              -w --wipe   wipe the storage when the repair fails\n"
                "                              -a --age=DURATION  unused layers older than this are damage\n"
                "                                                 (default 24h)\n"
                "  help                      Show this help\n\n"
                "Options:\n"
                "  -h --help                 Show this help\n"
                "  -v --version              Print the version\n"
                "  -c --config=FILE          Configuration file (default: %s; must exist when given)\n"
                "  -d --config-dir=DIR       Drop-in directory, *.conf in lexical order (default: %s)\n"
                "     --log-target=TARGET    auto, journal or console (default: auto)\n\n"
                "Every flag below sets the crio.conf key in brackets and wins over the files.\n"
                "List flags take comma-separated values and may be repeated.\n",
                CRIO_VERSION, CRIO_DEFAULT_CONFIG_FILE, CRIO_DEFAULT_CONFIG_DIR);

        for (size_t i = 0; i < config_keys_count; i++) {
                const ConfigKey *k = config_keys + i;
                char left[80];
                int s;
                size_t n;

                if (!k->option)
                        continue;
                s = short_option(k->option);
                (void) snprintf(left, sizeof left, "%c%c --%s%s", s ? '-' : ' ', s ?: ' ', k->option,
                                k->type == CONFIG_TYPE_BOOLEAN ? "[=BOOL]" : "=VALUE");
                n = strcspn(k->doc, "\n");
                fprintf(f, "  %-44s %.*s%s [%s.%s]\n", left, (int) n, k->doc, k->doc[n] ? "..." : "", k->table,
                        k->name);
        }
}
