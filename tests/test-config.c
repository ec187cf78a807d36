/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "config-flags.h"
#include "config-load.h"
#include "config-man.h"
#include "config-reload.h"
#include "config-schema.h"
#include "config-toml.h"
#include "log.h"
#include "tap.h"

/* Every diagnostic of the loader, newest last. */
static char messages[64 * 1024];
static unsigned n_errors, n_warnings;

static void on_message(int level, const char *message, void *userdata) {
        size_t l = strlen(messages);

        if (level <= LOG_ERR)
                n_errors++;
        else if (level == LOG_WARNING)
                n_warnings++;
        (void) snprintf(messages + l, sizeof messages - l, "%s\n", message);
}

static void reset_messages(void) {
        messages[0] = '\0';
        n_errors = n_warnings = 0;
}

static int load(Config *c, const char *text) {
        reset_messages();
        return config_load_text(c, text, strlen(text), "test.conf");
}

/* What `crio config` prints: defaults commented out. */
static char *commented(const Config *c) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f || config_write_toml(c, /* comment_defaults= */ true, f) < 0)
                abort();
        fclose(f);
        return buf;
}

static char tmpdir[] = "/tmp/test-config-XXXXXX";

static void write_file(const char *name, const char *text) {
        char path[512];
        FILE *f;

        (void) snprintf(path, sizeof path, "%s/%s", tmpdir, name);
        f = fopen(path, "we");
        if (!f)
                abort();
        fputs(text, f);
        fclose(f);
}

/* A valid value other than the default for a row, as TOML, or NULL. */
static char *sample_value(const ConfigKey *k) {
        static const char *const strings[] = {
                "\"/tmp/sample\"", "\"sample\"", "\"debug\"", "\"cgroupfs\"", "\"bind\"", "\"disabled\"",
                "\"vm\"", "\"first\"", "\"container\"", "\"0-1\"", "\"0:100000:65536\"", "\"64MiB\"",
                "\"UTC\"", "\"30s\"", "\"8080\"", NULL,
        };
        static const char *const lists[] = {
                "[\"/tmp/a\", \"/tmp/b\"]", "[\"nofile=1024:2048\"]", "[\"CHOWN\"]", "[\"A=b\"]",
                "[\"/dev/sdc:/dev/xvdc:rwm\"]", "[\"operations_total\"]", NULL,
        };
        static const char *const integers[] = { "12345", "9000", "8192", "31", "1", NULL };
        const char *const *candidates;

        switch (k->type) {
        case CONFIG_TYPE_BOOLEAN:
                return strdup(k->default_boolean ? "false" : "true");
        case CONFIG_TYPE_DURATION:
                return strdup("\"7s\"");
        case CONFIG_TYPE_MAP:
                return strdup("{ \"a\" = \"b\" }");
        case CONFIG_TYPE_STRING:
                candidates = strings;
                break;
        case CONFIG_TYPE_STRV:
                candidates = lists;
                break;
        default:
                candidates = integers;
        }
        for (; *candidates; candidates++) {
                _cleanup_(config_freep) Config *c = NULL;
                _cleanup_free_ char *doc = NULL;
                RuntimeHandler *h;
                Workload *w;
                void *object;
                int r;

                if (config_new_default(&c) < 0)
                        abort();
                if (k->scope == CONFIG_SCOPE_GLOBAL)
                        r = asprintf(&doc, "[%s]\n%s = %s\n", k->table, k->name, *candidates);
                else if (k->scope == CONFIG_SCOPE_RUNTIME)
                        r = asprintf(&doc, "[crio.runtime.runtimes.runc]\n%s = %s\n", k->name, *candidates);
                else
                        r = asprintf(&doc, "[crio.runtime.workloads.w%s%s]\n%s = %s\n", k->table[0] ? "." : "",
                                     k->table, k->name, *candidates);
                if (r < 0)
                        abort();
                config_set_message_func(NULL, NULL);
                if (config_load_text(c, doc, strlen(doc), "probe.conf") < 0)
                        continue;
                h = config_find_runtime(c, "runc");
                w = config_find_workload(c, "w");
                object = k->scope == CONFIG_SCOPE_GLOBAL ? (void *) c : k->scope == CONFIG_SCOPE_RUNTIME ? (void *) h : (void *) w;
                if (k->scope == CONFIG_SCOPE_RUNTIME) {
                        _cleanup_(config_freep) Config *d = NULL;
                        ConfigValue a, b;

                        if (config_new_default(&d) < 0)
                                abort();
                        a = config_value_peek(k, config_key_field(k, h));
                        b = config_value_peek(k, config_key_field(k, config_find_runtime(d, "runc")));
                        if (config_value_equal(k, &a, &b))
                                continue;
                } else if (config_key_is_default(k, object))
                        continue;
                return strdup(*candidates);
        }
        return NULL;
}

/* Every key of the schema: set it, see it reach the struct, and see the "not yet acted on"
 * warning exactly for the keys nothing uses yet. */
static void test_every_key(void) {
        for (size_t i = 0; i < config_keys_count; i++) {
                const ConfigKey *k = config_keys + i;
                _cleanup_(config_freep) Config *c = NULL;
                _cleanup_free_ char *value = sample_value(k), *doc = NULL, *full = NULL;
                bool listed;
                int r;

                if (!TAP_OK(value, "%s.%s: a valid non-default sample value exists", k->table, k->name))
                        continue;
                if (k->scope == CONFIG_SCOPE_GLOBAL) {
                        r = asprintf(&doc, "[%s]\n%s = %s\n", k->table, k->name, value);
                        r = r < 0 ? r : asprintf(&full, "%s.%s", k->table, k->name);
                } else if (k->scope == CONFIG_SCOPE_RUNTIME) {
                        r = asprintf(&doc, "[crio.runtime.runtimes.runc]\n%s = %s\n", k->name, value);
                        r = r < 0 ? r : asprintf(&full, "crio.runtime.runtimes.runc.%s", k->name);
                } else {
                        r = asprintf(&doc, "[crio.runtime.workloads.w%s%s]\n%s = %s\n", k->table[0] ? "." : "",
                                     k->table, k->name, value);
                        r = r < 0 ? r : asprintf(&full, "crio.runtime.workloads.w.%s%s%s", k->table,
                                                 k->table[0] ? "." : "", k->name);
                }
                if (r < 0 || config_new_default(&c) < 0)
                        abort();
                config_set_message_func(on_message, NULL);
                TAP_IS_INT(load(c, doc), 0, "%s = %s loads", full, value);
                TAP_IS_INT(config_collect_not_acted_on(c), 0, "%s: collect", full);

                /* An alias is reported under the key it stands for. */
                if (k->flags & CONFIG_ALIAS) {
                        TAP_IS_STR(c->log_level, "debug", "%s sets crio.runtime.log_level", full);
                        continue;
                }
                listed = strv_contains(c->not_acted_on, full);
                if (k->flags & CONFIG_ACTED)
                        TAP_OK(!listed && strv_length(c->not_acted_on) == 0, "%s is acted on: no warning", full);
                else
                        TAP_OK(listed && strv_length(c->not_acted_on) == 1, "%s not acted on: one warning naming it",
                               full);
                if (k->flags & CONFIG_DEPRECATED)
                        TAP_OK(strstr(messages, "deprecated") && strstr(messages, k->name),
                               "%s: deprecation warning names it", full);

                reset_messages();
                config_warn_not_acted_on(c);
                if (!(k->flags & CONFIG_ACTED))
                        TAP_OK(strstr(messages, full) && strstr(messages, "not yet acted on"),
                               "%s: start-up warning says \"not yet acted on\"", full);
        }
}

static void test_defaults(void) {
        _cleanup_(config_freep) Config *c = NULL;
        _cleanup_free_ char *text = NULL;

        TAP_IS_INT(config_new_default(&c), 0, "defaults");
        for (size_t i = 0; i < config_keys_count; i++)
                if (config_keys[i].scope == CONFIG_SCOPE_GLOBAL)
                        TAP_OK(config_key_is_default(config_keys + i, c), "default of %s.%s in place",
                               config_keys[i].table, config_keys[i].name);
        TAP_IS_STR(c->default_runtime, "runc", "default_runtime is runc");
        TAP_IS_INT(c->n_runtimes, 1, "one built-in handler");
        TAP_IS_STR(c->runtimes[0]->name, "runc", "the handler is runc");
        TAP_IS_STR(c->runtimes[0]->runtime_path, "", "its runtime_path is looked up in $PATH");
        TAP_IS_STR(c->runtimes[0]->runtime_root, "/run/runc", "runtime_root");
        TAP_IS_INT(c->grpc_max_recv_msg_size, 83886080, "grpc_max_recv_msg_size");
        TAP_IS_STR(c->listen, "/var/run/crio/crio.sock", "listen");
        TAP_IS_STR(c->cgroup_manager, "systemd", "cgroup_manager");
        TAP_IS_INT(c->nri_plugin_registration_timeout, 5000000000LL, "nri registration timeout 5s");
        TAP_IS_INT(config_collect_not_acted_on(c), 0, "collect on defaults");
        TAP_IS_INT(strv_length(c->not_acted_on), 0, "defaults warn about nothing");
        TAP_IS_INT(config_finalize(c), 0, "defaults finalize");

        for (ConfigType t = 0; t < _CONFIG_TYPE_MAX; t++)
                TAP_IS_INT(config_type_from_string(config_type_to_string(t)), t, "type string %d", t);
        TAP_IS_INT(config_type_from_string("nope"), _CONFIG_TYPE_INVALID, "unknown type string");

        TAP_IS_INT(config_to_toml(c, &text), 0, "defaults to TOML");
        for (size_t i = 0; i < config_keys_count; i++)
                if (!(config_keys[i].flags & CONFIG_ALIAS))
                        TAP_OK(strstr(text, config_keys[i].name), "crio config shows %s", config_keys[i].name);
}

static const char install_guide[] =
        "[crio]\n"
        "log_dir = \"/var/log/crio/pods\"\n"
        "log_level = \"info\"\n"
        "[crio.api]\n"
        "listen = \"/var/run/crio/crio.sock\"\n"
        "grpc_max_send_msg_size = 83886080\n"
        "grpc_max_recv_msg_size = 83886080\n"
        "[crio.runtime]\n"
        "default_runtime = \"runc\"\n"
        "conmon = \"/usr/bin/conmon\"\n"
        "cgroup_manager = \"systemd\"\n"
        "[crio.runtime.runtimes.runc]\n"
        "runtime_path = \"/usr/bin/runc\"\n"
        "runtime_type = \"oci\"\n"
        "[crio.image]\n"
        "pause_image = \"registry.k8s.io/pause:3.9\"\n"
        "[crio.network]\n"
        "network_dir = \"/etc/cni/net.d/\"\n"
        "plugin_dir = \"/opt/cni/bin/\"\n";

static void test_install_guide(void) {
        _cleanup_(config_freep) Config *c = NULL, *again = NULL;
        _cleanup_free_ char *text = NULL, *text2 = NULL;
        RuntimeHandler *runc;

        TAP_IS_INT(config_new_default(&c), 0, "guide: defaults");
        TAP_IS_INT(load(c, install_guide), 0, "guide: loads");
        TAP_IS_INT(n_errors, 0, "guide: no errors");
        TAP_OK(!strstr(messages, "unknown"), "guide: no unknown keys");
        TAP_OK(strstr(messages, "test.conf:10: crio.runtime.conmon is deprecated"), "guide: conmon deprecated at :10");
        TAP_OK(strstr(messages, "test.conf:19: crio.network.plugin_dir is deprecated"), "guide: plugin_dir deprecated");
        TAP_IS_INT(config_finalize(c), 0, "guide: finalize");
        runc = config_find_runtime(c, "runc");
        TAP_IS_STR(c->log_dir, "/var/log/crio/pods", "guide: log_dir");
        TAP_IS_STR(c->log_level, "info", "guide: log_level under [crio]");
        TAP_IS_STR(c->listen, "/var/run/crio/crio.sock", "guide: listen");
        TAP_IS_INT(c->grpc_max_send_msg_size, 83886080, "guide: send size");
        TAP_IS_INT(c->grpc_max_recv_msg_size, 83886080, "guide: recv size");
        TAP_IS_STR(c->default_runtime, "runc", "guide: default_runtime");
        TAP_IS_STR(c->conmon, "/usr/bin/conmon", "guide: conmon kept");
        TAP_IS_STR(runc->monitor_path, "/usr/bin/conmon", "guide: conmon became runc's monitor_path");
        TAP_IS_STR(c->cgroup_manager, "systemd", "guide: cgroup_manager");
        TAP_IS_STR(runc->runtime_path, "/usr/bin/runc", "guide: runtime_path");
        TAP_IS_STR(runc->runtime_type, "oci", "guide: runtime_type");
        TAP_IS_STR(runc->runtime_root, "/run/runc", "guide: the rest of the built-in runc handler is kept");
        TAP_IS_STR(c->pause_image, "registry.k8s.io/pause:3.9", "guide: pause_image");
        TAP_IS_STR(c->network_dir, "/etc/cni/net.d/", "guide: network_dir");
        TAP_IS_INT(strv_length(c->plugin_dirs), 1, "guide: plugin_dir merged into plugin_dirs once");
        TAP_IS_STR(c->plugin_dirs[0], "/opt/cni/bin/", "guide: plugin_dirs");

        TAP_IS_INT(config_to_toml(c, &text), 0, "guide: crio config");
        TAP_OK(strstr(text, "\nconmon = \"/usr/bin/conmon\""), "crio config shows conmon");
        TAP_OK(strstr(text, "\nmonitor_path = \"/usr/bin/conmon\""), "crio config shows monitor_path");
        TAP_OK(strstr(text, "\nruntime_path = \"/usr/bin/runc\""), "crio config shows runtime_path");
        TAP_OK(strstr(text, "\npause_image = \"registry.k8s.io/pause:3.9\""), "crio config shows pause_image");
        TAP_OK(strstr(text, "\nplugin_dir = \"/opt/cni/bin/\""), "crio config shows plugin_dir");
        TAP_OK(strstr(text, "log_level = \"info\""), "crio config shows log_level");
        TAP_OK(strstr(text, "grpc_max_recv_msg_size = 83886080"), "crio config shows grpc_max_recv_msg_size");
        TAP_OK(strstr(text, "listen = \"/var/run/crio/crio.sock\""), "crio config shows listen");
        TAP_OK(strstr(text, "network_dir = \"/etc/cni/net.d/\""), "crio config shows network_dir");
        TAP_OK(strstr(text, "log_dir = \"/var/log/crio/pods\""), "crio config shows log_dir");
        TAP_OK(strstr(text, "cgroup_manager = \"systemd\""), "crio config shows cgroup_manager");

        /* Round trip: what crio config prints reads back to the same configuration. */
        TAP_IS_INT(config_new_default(&again), 0, "round trip: defaults");
        TAP_IS_INT(load(again, text), 0, "round trip: crio config output loads");
        TAP_IS_INT(config_finalize(again), 0, "round trip: finalize");
        TAP_IS_INT(config_to_toml(again, &text2), 0, "round trip: print again");
        TAP_IS_STR(text2, text, "round trip: identical");
        TAP_OK(config_runtimes_equal(c, again), "round trip: same handlers");

        /* The same through the commented form `crio config` prints. */
        {
                _cleanup_(config_freep) Config *third = NULL;
                _cleanup_free_ char *a = commented(c), *b = NULL, *full = NULL;

                TAP_OK(strstr(a, "\n# log_level = \"info\"") && strstr(a, "\nconmon = \"/usr/bin/conmon\""),
                       "crio config comments out defaults only");
                TAP_IS_INT(config_new_default(&third), 0, "commented round trip: defaults");
                TAP_IS_INT(load(third, a), 0, "commented round trip: loads");
                TAP_IS_INT(config_finalize(third), 0, "commented round trip: finalize");
                b = commented(third);
                TAP_IS_STR(b, a, "commented round trip: identical");
                TAP_IS_INT(config_to_toml(third, &full), 0, "commented round trip: full form");
                TAP_IS_STR(full, text, "commented round trip: same values as the full form");
        }
}

/* Round trip of a file setting every key to a non-default value. */
static void test_round_trip_everything(void) {
        _cleanup_(config_freep) Config *c = NULL, *again = NULL;
        _cleanup_free_ char *doc = NULL, *text = NULL, *text2 = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&doc, &size);

        for (size_t i = 0; i < config_keys_count; i++) {
                const ConfigKey *k = config_keys + i;
                _cleanup_free_ char *value = NULL;

                /* Values that finalize would refuse together are left out. */
                if (k->flags & CONFIG_ALIAS || strstr(k->name, "cgroup") || strcmp(k->name, "stream_enable_tls") == 0 ||
                    strcmp(k->name, "default_runtime") == 0)
                        continue;
                value = sample_value(k);
                if (!value)
                        continue;
                if (k->scope == CONFIG_SCOPE_GLOBAL)
                        fprintf(f, "%s.%s = %s\n", k->table, k->name, value);
                else if (k->scope == CONFIG_SCOPE_RUNTIME)
                        fprintf(f, "crio.runtime.runtimes.\"my runtime\".%s = %s\n", k->name, value);
                else
                        fprintf(f, "crio.runtime.workloads.w.%s%s%s = %s\n", k->table, k->table[0] ? "." : "", k->name,
                                value);
        }
        fclose(f);

        config_set_message_func(on_message, NULL);
        TAP_IS_INT(config_new_default(&c), 0, "everything: defaults");
        TAP_IS_INT(load(c, doc), 0, "everything: loads");
        TAP_IS_INT(config_finalize(c), 0, "everything: finalize");
        TAP_IS_INT(config_to_toml(c, &text), 0, "everything: print");
        TAP_IS_INT(config_new_default(&again), 0, "everything: defaults again");
        TAP_IS_INT(load(again, text), 0, "everything: reads back");
        TAP_IS_INT(config_finalize(again), 0, "everything: finalize again");
        TAP_IS_INT(config_to_toml(again, &text2), 0, "everything: print again");
        TAP_IS_STR(text2, text, "everything: round trip identical");
        TAP_OK(config_find_runtime(again, "my runtime"), "everything: quoted handler name survives");
        TAP_OK(config_find_workload(again, "w"), "everything: workload survives");
}

static void test_errors(void) {
        static const struct {
                const char *doc, *expect;
        } bad[] = {
                { "[crio.api]\ngrpc_max_recv_msg_size = \"big\"\n", "test.conf:2:1: crio.api.grpc_max_recv_msg_size: expected an integer, got a string" },
                { "[crio.runtime]\n  log_level = \"loud\"\n", "test.conf:2:3: crio.runtime.log_level: invalid value" },
                { "[crio.runtime]\ncgroup_manager = \"cgroupv3\"\n", "test.conf:2:1: crio.runtime.cgroup_manager" },
                { "[crio.runtime]\nselinux = \"yes\"\n", "expected a boolean, got a string" },
                { "[crio.runtime]\nhooks_dir = [\"/a\", 3]\n", "test.conf:2:20: crio.runtime.hooks_dir: expected an array of strings, item 2" },
                { "[crio.runtime]\ndefault_capabilities = [\"NOT_A_CAP\"]\n", "unknown capability" },
                { "[crio.runtime]\nlog_size_max = 100\n", "at least 8192" },
                { "[crio.runtime.runtimes.kata]\nruntime_type = \"wasm\"\n", "test.conf:2:1: crio.runtime.runtimes.kata.runtime_type" },
                { "[crio.runtime.runtimes]\nkata = 1\n", "expected a table" },
                { "[crio.nri]\nnri_plugin_request_timeout = \"soon\"\n", "invalid duration" },
                { "[crio.image]\nimage_volumes = \"copy\"\n", "must be one of mkdir, bind, ignore" },
                { "crio = 5\n", "test.conf:1:1: crio: expected a table" },
                { "[crio\n", "test.conf:1:" },
                { "[crio.api]\nlisten = \"relative.sock\"\n", "must be an absolute path" },
        };

        config_set_message_func(on_message, NULL);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_(config_freep) Config *c = NULL;

                if (config_new_default(&c) < 0)
                        abort();
                TAP_IS_INT(load(c, bad[i].doc), -EINVAL, "bad config %zu refused", i);
                TAP_IS_INT(n_errors, 1, "bad config %zu: one error line", i);
                if (!TAP_OK(strstr(messages, bad[i].expect), "bad config %zu: message has \"%s\"", i, bad[i].expect))
                        printf("#   got: %s", messages);
        }
}

static void test_unknown(void) {
        _cleanup_(config_freep) Config *c = NULL;

        config_set_message_func(on_message, NULL);
        TAP_IS_INT(config_new_default(&c), 0, "unknown: defaults");
        TAP_IS_INT(load(c, "[crio]\nroot = \"/srv/storage\"\nbogus = 1\n[crio.fancy]\nx = 1\n[other]\n"
                           "[crio.runtime.runtimes.runc]\nmystery = true\n[crio.runtime]\nmanage_ns_lifecycle = true\n"),
                   0, "unknown keys load");
        TAP_IS_INT(n_warnings, 5, "five warnings");
        TAP_OK(strstr(messages, "test.conf:3: unknown key 'crio.bogus'"), "unknown key with file:line");
        TAP_OK(strstr(messages, "test.conf:4: unknown table 'crio.fancy'"), "unknown table with file:line");
        TAP_OK(strstr(messages, "test.conf:6: unknown table 'other'"), "unknown top-level table");
        TAP_OK(strstr(messages, "test.conf:8: unknown key 'crio.runtime.runtimes.runc.mystery'"), "unknown handler key");
        TAP_OK(strstr(messages, "unknown key 'crio.runtime.manage_ns_lifecycle'"), "removed CRI-O key is unknown");
        TAP_IS_STR(c->root, "/srv/storage", "known keys beside them still apply");
}

static void test_dropins(void) {
        _cleanup_(config_sources_freep) ConfigSources *s = calloc(1, sizeof(ConfigSources));
        _cleanup_(config_freep) Config *c = NULL;
        char dir[512], file[512];
        RuntimeHandler *runc, *crun;

        (void) snprintf(dir, sizeof dir, "%s/crio.conf.d", tmpdir);
        (void) mkdir(dir, 0755);
        write_file("crio.conf",
                   "[crio.runtime]\nlog_level = \"warn\"\npids_limit = 100\n"
                   "[crio.runtime.runtimes.runc]\nruntime_path = \"/usr/local/bin/runc\"\n"
                   "[crio.image]\npause_image = \"example.com/pause:1\"\n");
        write_file("crio.conf.d/20-second.conf",
                   "[crio.runtime]\nlog_level = \"debug\"\n"
                   "[crio.runtime.runtimes.runc]\nmonitor_env = [\"A=1\"]\n");
        write_file("crio.conf.d/10-first.conf",
                   "[crio.runtime]\nlog_level = \"error\"\nselinux = true\n"
                   "[crio.runtime.runtimes.crun]\nruntime_path = \"/usr/bin/crun\"\n");
        write_file("crio.conf.d/30-ignored.txt", "this is not TOML\n");
        write_file("crio.conf.d/.40-hidden.conf", "this is not TOML either\n");
        write_file("crio.conf.d/99-last.conf", "[crio.image]\npause_image = \"example.com/pause:2\"\n");

        (void) snprintf(file, sizeof file, "%s/crio.conf", tmpdir);
        s->config_file = strdup(file);
        s->config_file_explicit = true;
        s->config_dir = strdup(dir);
        config_set_message_func(on_message, NULL);
        reset_messages();
        TAP_IS_INT(config_load(s, &c), 0, "drop-ins: load");
        TAP_IS_STR(c->log_level, "debug", "drop-ins: later file wins (20 after 10)");
        TAP_OK(c->selinux, "drop-ins: keys of earlier drop-ins stay");
        TAP_IS_INT(c->pids_limit, 100, "drop-ins: keys of crio.conf stay");
        TAP_IS_STR(c->pause_image, "example.com/pause:2", "drop-ins: 99 wins over crio.conf");
        runc = config_find_runtime(c, "runc");
        crun = config_find_runtime(c, "crun");
        TAP_IS_STR(runc->runtime_path, "/usr/local/bin/runc", "drop-ins: handler tables merge (path from crio.conf)");
        TAP_IS_STR(runc->monitor_env[0], "A=1", "drop-ins: handler tables merge (env from drop-in)");
        TAP_IS_STR(runc->runtime_root, "/run/runc", "drop-ins: built-in handler values stay");
        TAP_OK(crun && strcmp(crun->runtime_path, "/usr/bin/crun") == 0, "drop-ins: new handler from a drop-in");
        TAP_IS_STR(crun ? crun->runtime_type : NULL, "oci", "drop-ins: new handler gets defaults");
        TAP_IS_STR(crun ? crun->monitor_cgroup : NULL, "system.slice", "drop-ins: new handler's monitor cgroup");
        TAP_OK(strv_contains(c->not_acted_on, "crio.runtime.selinux"), "drop-ins: not-acted list");
        TAP_OK(!strv_contains(c->not_acted_on, "crio.runtime.log_level"), "drop-ins: log_level is acted on");

        /* A broken drop-in stops the load and names itself. */
        write_file("crio.conf.d/50-broken.conf", "[crio.runtime]\nlog_level = 3\n");
        {
                _cleanup_(config_freep) Config *broken = NULL;

                reset_messages();
                TAP_OK(config_load(s, &broken) < 0, "broken drop-in: load fails");
                TAP_OK(strstr(messages, "50-broken.conf:2:1: crio.runtime.log_level: expected a string"),
                       "broken drop-in: file:line:column");
        }
        (void) snprintf(file, sizeof file, "%s/crio.conf.d/50-broken.conf", tmpdir);
        (void) unlink(file);

        /* --config naming a missing file is an error, the default missing file is not. */
        {
                _cleanup_(config_freep) Config *x = NULL;

                free(s->config_file);
                s->config_file = strdup("/nonexistent/crio.conf");
                reset_messages();
                TAP_OK(config_load(s, &x) < 0, "missing --config file: error");
                TAP_OK(strstr(messages, "/nonexistent/crio.conf: cannot read"), "missing --config file: named");
                s->config_file_explicit = false;
                TAP_IS_INT(config_load(s, &x), 0, "missing default file: fine");
                TAP_IS_STR(x->log_level, "debug", "missing default file: drop-ins still read");
        }
}

static int parse(ConfigFlags **ret, char **argv) {
        int argc = 0;

        while (argv[argc])
                argc++;
        return config_flags_parse(argc, argv, ret);
}

static void test_flags(void) {
        _cleanup_(config_flags_freep) ConfigFlags *f = NULL;
        _cleanup_(config_freep) Config *c = NULL;
        char dir[512];

        (void) snprintf(dir, sizeof dir, "%s/crio.conf.d", tmpdir);
        char *argv[] = {
                (char *) "crio", (char *) "--config", (char *) "/nonexistent", (char *) "--config-dir", dir,
                (char *) "--listen", (char *) "/run/x/crio.sock", (char *) "-l", (char *) "trace",
                (char *) "--cgroup-manager", (char *) "cgroupfs", (char *) "--conmon", (char *) "/opt/conmon",
                (char *) "--default-runtime", (char *) "crun", (char *) "--pause-image", (char *) "example.com/p:3",
                (char *) "--cni-config-dir", (char *) "/etc/cni/other", (char *) "--cni-plugin-dir", (char *) "/a",
                (char *) "--cni-plugin-dir", (char *) "/b,/c", (char *) "--root", (char *) "/srv/root",
                (char *) "--runroot", (char *) "/run/rr", (char *) "--selinux", (char *) "--read-only=false",
                (char *) "--grpc-max-recv-msg-size", (char *) "1048576", (char *) "config", NULL,
        };

        TAP_IS_INT(parse(&f, argv), 0, "flags parse");
        TAP_IS_STR(f->command, "config", "command");
        TAP_OK(f->sources->config_file_explicit, "--config is explicit");
        f->sources->config_file_explicit = false;
        config_set_message_func(on_message, NULL);
        reset_messages();
        TAP_IS_INT(config_load(f->sources, &c), 0, "flags load");
        TAP_IS_STR(c->listen, "/run/x/crio.sock", "--listen");
        TAP_IS_STR(c->log_level, "trace", "-l wins over drop-ins");
        TAP_IS_STR(c->cgroup_manager, "cgroupfs", "--cgroup-manager");
        TAP_IS_STR(c->conmon, "/opt/conmon", "--conmon");
        TAP_IS_STR(config_find_runtime(c, "crun")->monitor_path, "/opt/conmon", "--conmon reaches handlers");
        TAP_IS_STR(config_find_runtime(c, "crun")->monitor_cgroup, "", "cgroupfs clears system.slice");
        TAP_IS_STR(c->default_runtime, "crun", "--default-runtime");
        TAP_IS_STR(c->pause_image, "example.com/p:3", "--pause-image");
        TAP_IS_STR(c->network_dir, "/etc/cni/other", "--cni-config-dir");
        TAP_IS_INT(strv_length(c->plugin_dirs), 3, "--cni-plugin-dir repeated and comma-split");
        TAP_IS_STR(c->plugin_dirs[2], "/c", "--cni-plugin-dir order");
        TAP_IS_STR(c->root, "/srv/root", "--root");
        TAP_IS_STR(c->runroot, "/run/rr", "--runroot");
        TAP_OK(c->selinux, "--selinux alone means true");
        TAP_OK(!c->read_only, "--read-only=false");
        TAP_IS_INT(c->grpc_max_recv_msg_size, 1048576, "--grpc-max-recv-msg-size");
        TAP_IS_STR(strstr(messages, "--conmon: conmon is deprecated") ? "yes" : messages, "yes",
                   "deprecated flag warns");

        {
                _cleanup_(config_flags_freep) ConfigFlags *g = NULL;
                _cleanup_(config_freep) Config *x = NULL;
                char *argv2[] = { (char *) "crio", (char *) "--log-level", (char *) "noisy", NULL };

                TAP_IS_INT(parse(&g, argv2), 0, "bad flag value parses");
                g->sources->config_dir = strdup("/nonexistent");
                g->sources->config_file = strdup("/nonexistent");
                reset_messages();
                TAP_IS_INT(config_load(g->sources, &x), -EINVAL, "bad flag value refused at load");
                TAP_OK(strstr(messages, "--log-level=noisy: invalid value"), "bad flag value named");
        }
        {
                _cleanup_(config_flags_freep) ConfigFlags *g = NULL;
                char *argv3[] = { (char *) "crio", (char *) "--no-such-flag", NULL };

                TAP_IS_INT(parse(&g, argv3), -EINVAL, "unknown flag refused");
        }
        {
                _cleanup_(config_flags_freep) ConfigFlags *g = NULL;
                char *argv4[] = { (char *) "crio", (char *) "config", (char *) "--default", NULL };

                TAP_IS_INT(parse(&g, argv4), 0, "config --default parses");
                TAP_OK(g->print_default, "--default after the command");
        }
        for (size_t i = 0; i < config_keys_count; i++)
                if (config_keys[i].option)
                        TAP_OK(config_key_find_option(config_keys[i].option) == config_keys + i, "flag --%s is unique",
                               config_keys[i].option);
}

static void test_finalize(void) {
        static const struct {
                const char *doc, *expect;
        } bad[] = {
                { "[crio.runtime]\ndefault_runtime = \"kata\"\n", "no [crio.runtime.runtimes.kata] table" },
                { "[crio.api]\nstream_enable_tls = true\n", "stream_tls_cert" },
                { "[crio.runtime]\ncgroup_manager = \"cgroupfs\"\nconmon_cgroup = \"system.slice\"\n", NULL },
                { "[crio.runtime]\ncgroup_manager = \"cgroupfs\"\nconmon_cgroup = \"my.slice\"\n", "must be \"pod\" or empty" },
                { "[crio.runtime.runtimes.runc]\nmonitor_cgroup = \"mygroup\"\n", "must be \"pod\" or a slice" },
        };

        config_set_message_func(on_message, NULL);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_(config_freep) Config *c = NULL;

                if (config_new_default(&c) < 0)
                        abort();
                TAP_IS_INT(load(c, bad[i].doc), 0, "finalize case %zu loads", i);
                if (bad[i].expect) {
                        TAP_IS_INT(config_finalize(c), -EINVAL, "finalize case %zu refused", i);
                        TAP_OK(strstr(messages, bad[i].expect), "finalize case %zu says \"%s\"", i, bad[i].expect);
                } else
                        TAP_IS_INT(config_finalize(c), 0, "finalize case %zu accepted", i);
        }

        {
                _cleanup_(config_freep) Config *c = NULL;

                if (config_new_default(&c) < 0)
                        abort();
                TAP_IS_INT(load(c, "[crio.api]\ngrpc_max_send_msg_size = 0\ngrpc_max_recv_msg_size = -5\n"
                                   "[crio.runtime]\nctr_stop_timeout = 2\ndefault_runtime = \"\"\n"
                                   "conmon_env = [\"X=1\"]\nconmon_cgroup = \"pod\"\n"
                                   "[crio.runtime.runtimes.vm]\nruntime_type = \"vm\"\n"
                                   "[crio.runtime.runtimes.inherit]\ninherit_default_runtime = true\n"), 0, "floors load");
                TAP_IS_INT(config_finalize(c), 0, "floors finalize");
                TAP_IS_INT(c->grpc_max_send_msg_size, 83886080, "send size 0 means default");
                TAP_IS_INT(c->grpc_max_recv_msg_size, 83886080, "negative recv size means default");
                TAP_IS_INT(c->ctr_stop_timeout, 30, "ctr_stop_timeout raised to 30");
                TAP_IS_STR(c->default_runtime, "runc", "empty default_runtime means runc");
                TAP_IS_STR(config_find_runtime(c, "runc")->monitor_env[0], "X=1", "conmon_env -> monitor_env");
                TAP_IS_STR(config_find_runtime(c, "runc")->monitor_cgroup, "pod", "conmon_cgroup -> monitor_cgroup");
                TAP_IS_INT(strv_length(config_find_runtime(c, "vm")->monitor_env), 0, "vm handlers keep no monitor");
                TAP_IS_STR(config_find_runtime(c, "inherit")->runtime_root, "/run/runc", "inherit_default_runtime");
                TAP_IS_INT(config_finalize(c), 0, "finalize is idempotent");
        }
}

static void make_exec(const char *name) {
        char path[512];
        int fd;

        (void) snprintf(path, sizeof path, "%s/bin/%s", tmpdir, name);
        fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0755);
        if (fd < 0)
                abort();
        (void) write(fd, "#!/bin/sh\n", 10);
        close(fd);
}

static void test_verify_host(void) {
        _cleanup_(config_freep) Config *c = NULL;
        char bin[512], *old_path = getenv("PATH") ? strdup(getenv("PATH")) : NULL;

        (void) snprintf(bin, sizeof bin, "%s/bin", tmpdir);
        (void) mkdir(bin, 0755);
        setenv("PATH", bin, 1);
        config_set_message_func(on_message, NULL);

        TAP_IS_INT(config_new_default(&c), 0, "verify: defaults");
        reset_messages();
        TAP_IS_INT(config_verify_host(c), -EINVAL, "verify: no runc in $PATH");
        TAP_OK(strstr(messages, "runtime handler \"runc\": runtime_path: no executable \"runc\" found in $PATH"),
               "verify: one clear line for runc");
        make_exec("runc");
        reset_messages();
        TAP_IS_INT(config_verify_host(c), -EINVAL, "verify: no conmon in $PATH");
        TAP_OK(strstr(messages, "monitor_path (conmon): no executable \"conmon\" found"), "verify: clear line for conmon");
        make_exec("conmon");
        TAP_IS_INT(config_verify_host(c), 0, "verify: runc and conmon from $PATH");

        TAP_IS_INT(load(c, "[crio.runtime.runtimes.kata]\nruntime_path = \"/nonexistent/kata\"\n"
                           "[crio.runtime.runtimes.runc]\nmonitor_path = \"/nonexistent/conmon\"\n"), 0, "verify: load");
        reset_messages();
        TAP_IS_INT(config_verify_host(c), -EINVAL, "verify: configured conmon missing");
        TAP_OK(strstr(messages, "monitor_path (conmon) /nonexistent/conmon is not usable"), "verify: names the path");
        TAP_OK(strstr(messages, "\"kata\" is being ignored"), "verify: broken extra handler ignored, says so");
        TAP_IS_INT(load(c, "[crio.runtime.runtimes.runc]\nmonitor_path = \"\"\n"
                           "[crio.runtime.runtimes.kata]\nruntime_path = \"/nonexistent/kata\"\n"), 0,
                   "verify: reset conmon");
        TAP_IS_INT(config_verify_host(c), 0, "verify: broken extra handler does not stop start-up");
        TAP_OK(!config_find_runtime(c, "kata"), "verify: broken extra handler dropped");

        if (old_path)
                setenv("PATH", old_path, 1);
        free(old_path);
}

static void test_reload(void) {
        _cleanup_(config_freep) Config *running = NULL, *fresh = NULL;

        TAP_IS_INT(config_new_default(&running), 0, "reload: running");
        TAP_IS_INT(config_new_default(&fresh), 0, "reload: fresh");
        TAP_IS_INT(load(fresh, "[crio.runtime]\nlog_level = \"debug\"\nseccomp_profile = \"/etc/s.json\"\n"
                               "apparmor_profile = \"unconfined\"\ndecryption_keys_path = \"/k\"\n"
                               "[crio.image]\npause_image = \"example.com/pause:9\"\npinned_images = [\"a\"]\n"
                               "[crio.api]\nlisten = \"/run/other.sock\"\ngrpc_max_recv_msg_size = 1000\n"
                               "[crio.runtime.runtimes.crun]\n"),
                   0, "reload: fresh loads");
        reset_messages();
        TAP_IS_INT(config_reload_apply(running, fresh), 8, "reload: eight live changes");
        TAP_IS_STR(running->log_level, "debug", "reload: log_level live");
        TAP_IS_STR(running->pause_image, "example.com/pause:9", "reload: pause_image live");
        TAP_IS_STR(running->seccomp_profile, "/etc/s.json", "reload: seccomp_profile live");
        TAP_IS_STR(running->apparmor_profile, "unconfined", "reload: apparmor_profile live");
        TAP_IS_STR(running->decryption_keys_path, "/k", "reload: decryption_keys_path live");
        TAP_IS_INT(running->grpc_max_recv_msg_size, 1000, "reload: grpc limit live");
        TAP_OK(config_find_runtime(running, "crun"), "reload: runtime handlers live");
        TAP_IS_STR(running->listen, "/var/run/crio/crio.sock", "reload: listen waits for a restart");
        TAP_OK(strstr(messages, "crio.api.listen takes effect at the next restart"), "reload: says so");
        TAP_OK(strstr(messages, "Set config crio.image.pause_image to \"example.com/pause:9\""), "reload: logs sets");
        {
                _cleanup_(config_freep) Config *same = NULL;

                TAP_IS_INT(config_new_default(&same), 0, "reload: same again");
                TAP_IS_INT(load(same, "[crio.runtime.runtimes.crun]\n[crio.runtime]\nlog_level = \"debug\"\n"
                                      "seccomp_profile = \"/etc/s.json\"\napparmor_profile = \"unconfined\"\n"
                                      "decryption_keys_path = \"/k\"\n[crio.image]\npause_image = \"example.com/pause:9\"\n"
                                      "pinned_images = [\"a\"]\n[crio.api]\ngrpc_max_recv_msg_size = 1000\n"), 0,
                           "reload: same loads");
                TAP_IS_INT(config_reload_apply(running, same), 0, "reload: nothing more to change");
        }
}

static void test_durations(void) {
        static const struct {
                const char *in, *out;
                int64_t ns;
        } cases[] = {
                { "0", "0s", 0 }, { "5s", "5s", 5000000000LL }, { "1m30s", "1m30s", 90000000000LL },
                { "1.5h", "1h30m0s", 5400000000000LL }, { "300ms", "300ms", 300000000 }, { "2us", "2us", 2000 },
                { "7ns", "7ns", 7 }, { "1h", "1h0m0s", 3600000000000LL }, { "1.5s", "1.5s", 1500000000 },
                { "-2s", "-2s", -2000000000LL },
        };
        char buf[DURATION_MAX_STRING];
        int64_t ns;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                TAP_IS_INT(duration_parse(cases[i].in, &ns), 0, "duration \"%s\" parses", cases[i].in);
                TAP_IS_INT(ns, cases[i].ns, "duration \"%s\" value", cases[i].in);
                TAP_IS_STR(duration_format(ns, buf, sizeof buf), cases[i].out, "duration \"%s\" prints", cases[i].in);
        }
        TAP_OK(duration_parse("", &ns) < 0, "empty duration refused");
        TAP_OK(duration_parse("5", &ns) < 0, "unitless duration refused");
        TAP_OK(duration_parse("5x", &ns) < 0, "unknown unit refused");
}

static void test_man(void) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        TAP_IS_INT(config_write_man(f), 0, "man page");
        fclose(f);
        TAP_OK(strstr(buf, ".TH CRIO.CONF 5"), "man page header");
        for (size_t i = 0; i < config_keys_count; i++)
                TAP_OK(strstr(buf, config_keys[i].name), "man page documents %s", config_keys[i].name);
}

int main(void) {
        log_set_max_level(LOG_CRIT);
        if (!mkdtemp(tmpdir))
                abort();

        test_defaults();
        test_every_key();
        test_install_guide();
        test_round_trip_everything();
        test_errors();
        test_unknown();
        test_dropins();
        test_flags();
        test_finalize();
        test_verify_host();
        test_reload();
        test_durations();
        test_man();

        config_set_message_func(NULL, NULL);
        {
                char cmd[600];

                (void) snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
                (void) system(cmd);
        }
        return tap_done();
}
