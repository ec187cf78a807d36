/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "config-schema.h"
#include "config-toml.h"

/* A table name part, bare when TOML allows it, else quoted. */
static void put_name(FILE *f, const char *name) {
        if (name[0] && strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") == strlen(name))
                fputs(name, f);
        else
                toml_write_string(f, name);
}

/* Writes text as "# " comment lines. */
static void put_comment(FILE *f, const char *text) {
        for (const char *p = text; p && *p;) {
                size_t n = strcspn(p, "\n");

                fprintf(f, "# %.*s\n", (int) n, p);
                p += n;
                if (*p == '\n')
                        p++;
        }
}

static void put_key(FILE *f, const ConfigKey *k, const void *object, bool comment_out) {
        ConfigValue v = config_value_peek(k, (const uint8_t *) object + k->offset);
        const char *prefix = comment_out ? "# " : "";

        put_comment(f, k->doc);
        if (k->flags & CONFIG_DEPRECATED)
                fprintf(f, "# Deprecated; replaced by %s.\n", k->replacement);
        if (k->flags & CONFIG_RELOAD)
                fputs("# Applied on reload (SIGHUP).\n", f);
        if (!(k->flags & CONFIG_ACTED))
                fputs("# Read and checked, not yet acted on by crio.\n", f);

        /* A commented-out list still shows its items, each on a commented line. */
        if (comment_out && k->type == CONFIG_TYPE_STRV && strv_length(v.strv) > 0) {
                fprintf(f, "# %s = [\n", k->name);
                for (char **s = v.strv; *s; s++) {
                        fputs("# \t", f);
                        toml_write_string(f, *s);
                        fputs(",\n", f);
                }
                fputs("# ]\n\n", f);
                return;
        }
        fprintf(f, "%s%s = ", prefix, k->name);
        config_value_write_toml(k, &v, f, NULL);
        fputs("\n\n", f);
}

static void put_named(FILE *f, ConfigScope scope, const char *collection, const char *name, const void *object,
                      bool comment_out) {
        const char *prefix = comment_out ? "# " : "";
        const char *sub = NULL;

        fprintf(f, "%s[%s.", prefix, collection);
        put_name(f, name);
        fputs("]\n", f);
        for (size_t i = 0; i < config_keys_count; i++) {
                const ConfigKey *k = config_keys + i;
                ConfigValue v;

                if (k->scope != scope)
                        continue;
                if (k->table[0] && (!sub || strcmp(sub, k->table) != 0)) {
                        sub = k->table;
                        fprintf(f, "%s[%s.", prefix, collection);
                        put_name(f, name);
                        fprintf(f, ".%s]\n", sub);
                }
                v = config_value_peek(k, (const uint8_t *) object + k->offset);
                if (comment_out && k->type == CONFIG_TYPE_STRV && strv_length(v.strv) > 0) {
                        fprintf(f, "# %s = [", k->name);
                        for (char **s = v.strv; *s; s++) {
                                fputs(s == v.strv ? " " : ", ", f);
                                toml_write_string(f, *s);
                        }
                        fputs(" ]\n", f);
                        continue;
                }
                fprintf(f, "%s%s = ", prefix, k->name);
                config_value_write_toml(k, &v, f, prefix);
                fputc('\n', f);
        }
        fputc('\n', f);
}

static void put_runtimes(FILE *f, const Config *c, const Config *defaults) {
        bool comment_out = defaults && config_runtimes_equal(c, defaults);

        put_comment(f,
                    "Runtime handlers, one table each: [crio.runtime.runtimes.<name>]. The kubelet picks\n"
                    "one by name through a RuntimeClass; default_runtime is used otherwise. Tables for\n"
                    "the same name in several files merge key by key. Keys of a handler:");
        for (size_t i = 0; i < config_keys_count; i++) {
                const ConfigKey *k = config_keys + i;

                if (k->scope != CONFIG_SCOPE_RUNTIME)
                        continue;
                fprintf(f, "#   %s (%s): ", k->name, config_type_to_string(k->type));
                for (const char *p = k->doc; *p; p++)
                        fputc(*p == '\n' ? ' ' : *p, f);
                fputc('\n', f);
        }
        fputc('\n', f);
        for (size_t i = 0; i < c->n_runtimes; i++)
                put_named(f, CONFIG_SCOPE_RUNTIME, "crio.runtime.runtimes", c->runtimes[i]->name, c->runtimes[i],
                          comment_out);
}

static void put_workloads(FILE *f, const Config *c) {
        put_comment(f,
                    "Workloads, one table each: [crio.runtime.workloads.<name>], with default resources\n"
                    "in [crio.runtime.workloads.<name>.resources]. A pod opts in with the annotation\n"
                    "named by activation_annotation; containers override single resources with\n"
                    "annotations \"<annotation_prefix>.<resource>/<container>\". Example:\n"
                    "[crio.runtime.workloads.throttled]\n"
                    "activation_annotation = \"io.crio/throttled\"\n"
                    "annotation_prefix = \"io.crio.throttled\"\n"
                    "[crio.runtime.workloads.throttled.resources]\n"
                    "cpuset = \"0-1\"\n"
                    "cpushares = 512\n"
                    "Keys of a workload and of its resources:");
        for (size_t i = 0; i < config_keys_count; i++) {
                const ConfigKey *k = config_keys + i;

                if (k->scope != CONFIG_SCOPE_WORKLOAD)
                        continue;
                fprintf(f, "#   %s%s%s (%s): ", k->table, k->table[0] ? "." : "", k->name, config_type_to_string(k->type));
                for (const char *p = k->doc; *p; p++)
                        fputc(*p == '\n' ? ' ' : *p, f);
                fputc('\n', f);
        }
        fputc('\n', f);
        for (size_t i = 0; i < c->n_workloads; i++)
                put_named(f, CONFIG_SCOPE_WORKLOAD, "crio.runtime.workloads", c->workloads[i]->name, c->workloads[i],
                          false);
}

int config_write_toml(const Config *c, bool comment_defaults, FILE *f) {
        _cleanup_(config_freep) Config *defaults = NULL;

        if (config_new_default(&defaults) < 0)
                return -ENOMEM;

        put_comment(f,
                    "crio.conf: configuration of crio, the CRI-O compatible container runtime.\n"
                    "See crio.conf(5) for every key. Keys holding their default value are commented out;\n"
                    "uncomment and change them to take effect. Drop-in files in /etc/crio/crio.conf.d/\n"
                    "(*.conf, read in lexical order) override this file key by key, and command-line\n"
                    "flags override both. SIGHUP (systemctl reload crio) applies the keys marked\n"
                    "\"Applied on reload\" without a restart.");
        fputc('\n', f);

        for (size_t t = 0; t < config_tables_count; t++) {
                const char *table = config_tables[t];

                put_comment(f, config_table_docs[t]);
                fprintf(f, "[%s]\n\n", table);
                for (size_t i = 0; i < config_keys_count; i++) {
                        const ConfigKey *k = config_keys + i;

                        if (k->scope != CONFIG_SCOPE_GLOBAL || (k->flags & CONFIG_ALIAS) || strcmp(k->table, table) != 0)
                                continue;
                        put_key(f, k, c, comment_defaults && config_key_is_default(k, c));
                }
                if (strcmp(table, "crio.runtime") == 0) {
                        put_runtimes(f, c, comment_defaults ? defaults : NULL);
                        put_workloads(f, c);
                }
        }
        return ferror(f) ? -EIO : 0;
}

int config_to_toml(const Config *c, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        FILE *f;
        int r;

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        r = config_write_toml(c, /* comment_defaults= */ false, f);
        if (fclose(f) != 0 || r < 0)
                return r < 0 ? r : -ENOMEM;
        *ret = TAKE_PTR(buf);
        return 0;
}
