/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "config-man.h"
#include "config-schema.h"
#include "crio-build.h"

/* Text with roff's special characters made harmless: leading dots and quotes, backslashes. */
static void put_text(FILE *f, const char *s) {
        bool line_start = true;

        for (const char *p = s; p && *p; p++) {
                if (line_start && (*p == '.' || *p == '\''))
                        fputs("\\&", f);
                if (*p == '\\')
                        fputs("\\e", f);
                else if (*p == '-')
                        fputs("\\-", f);
                else
                        fputc(*p, f);
                line_start = *p == '\n';
        }
}

static void put_default(FILE *f, const ConfigKey *k, const void *object) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        FILE *m;
        ConfigValue v = config_value_peek(k, (const uint8_t *) object + k->offset);

        m = open_memstream(&buf, &size);
        if (!m)
                return;
        config_value_write_toml(k, &v, m, NULL);
        if (fclose(m) != 0 || !buf)
                return;
        /* Lists on one line in the man page. */
        for (char *p = buf; *p; p++)
                if (*p == '\n' || *p == '\t')
                        *p = ' ';
        put_text(f, buf);
}

static void put_key(FILE *f, const ConfigKey *k, const void *object) {
        fputs(".TP\n\\fB", f);
        put_text(f, k->name);
        fprintf(f, "\\fR (%s) = ", config_type_to_string(k->type));
        put_default(f, k, object);
        fputc('\n', f);
        put_text(f, k->doc);
        fputc('\n', f);
        if (k->option) {
                fputs(".br\nFlag: \\fB\\-\\-", f);
                put_text(f, k->option);
                fputs("\\fR.\n", f);
        }
        if (k->flags & CONFIG_RELOAD)
                fputs(".br\nApplied on reload (SIGHUP) without a restart.\n", f);
        if (k->flags & CONFIG_DEPRECATED) {
                fputs(".br\nDeprecated; replaced by ", f);
                put_text(f, k->replacement);
                fputs(".\n", f);
        }
        if (!(k->flags & CONFIG_ACTED))
                fputs(".br\nRead and checked, but not yet acted on by this version of crio: setting it\n"
                      "logs a warning at start-up.\n", f);
}

int config_write_man(FILE *f) {
        _cleanup_(config_freep) Config *c = NULL;
        RuntimeHandler *h;
        Workload *w;
        int r;

        r = config_new_default(&c);
        if (r < 0)
                return r;
        /* An empty handler and workload show the defaults of keys in new tables. */
        r = config_ensure_runtime(c, "<name>", &h);
        if (r >= 0)
                r = config_ensure_workload(c, "<name>", &w);
        if (r < 0)
                return r;

        fprintf(f, ".TH CRIO.CONF 5 \"\" \"crio %s\" \"File Formats\"\n", CRIO_VERSION);
        fputs(".SH NAME\ncrio.conf \\- configuration of the crio container runtime daemon\n"
              ".SH SYNOPSIS\n/etc/crio/crio.conf, /etc/crio/crio.conf.d/*.conf\n"
              ".SH DESCRIPTION\n"
              "crio reads the configuration format of CRI\\-O: a TOML 1.0 file whose keys all live in\n"
              "the \\fB[crio]\\fR table and its subtables. Values come, in increasing precedence, from\n"
              "the built\\-in defaults listed below, from \\fI/etc/crio/crio.conf\\fR (or the file named\n"
              "by \\fB\\-\\-config\\fR, which must then exist), from the drop\\-in files \\fI*.conf\\fR of\n"
              "\\fI/etc/crio/crio.conf.d/\\fR (or \\fB\\-\\-config\\-dir\\fR) read in lexical order, and\n"
              "from command\\-line flags. A later source replaces single keys, not whole tables; tables\n"
              "of the same runtime handler merge.\n"
              ".PP\n"
              "An unknown key or table is reported as a warning naming the file and line and is\n"
              "ignored. A value of the wrong type or out of range is an error naming file, line and\n"
              "column, and crio refuses to start. Deprecated keys keep working and log a warning\n"
              "naming their replacement.\n"
              ".PP\n"
              "\\fBcrio config\\fR prints the effective configuration in this format, and\n"
              "\\fBcrio config \\-\\-default\\fR the defaults. On SIGHUP (\\fBsystemctl reload crio\\fR)\n"
              "every file is read again; keys marked below as applied on reload take effect at once,\n"
              "others at the next start. A reload that finds an error keeps the configuration in\n"
              "force and logs why.\n"
              ".PP\n"
              "Unlike CRI\\-O, whose default runtime is crun, crio defaults to \\fBrunc\\fR.\n", f);

        for (size_t t = 0; t < config_tables_count; t++) {
                fputs(".SH \"[", f);
                put_text(f, config_tables[t]);
                fputs("]\"\n", f);
                put_text(f, config_table_docs[t]);
                fputc('\n', f);
                for (size_t i = 0; i < config_keys_count; i++) {
                        const ConfigKey *k = config_keys + i;

                        if (k->scope == CONFIG_SCOPE_GLOBAL && strcmp(k->table, config_tables[t]) == 0)
                                put_key(f, k, c);
                }
                if (strcmp(config_tables[t], "crio.runtime") != 0)
                        continue;

                fputs(".SH \"[crio.runtime.runtimes.<name>]\"\n"
                      "One table per runtime handler, selected by the kubelet through a RuntimeClass, or by\n"
                      "\\fBdefault_runtime\\fR. The built\\-in configuration has one handler, \\fBrunc\\fR, with\n"
                      "runtime_root = \"/run/runc\", monitor_cgroup = \"system.slice\", monitor_env holding a\n"
                      "standard PATH, container_min_memory = \"12MiB\" and allowed_annotations\n"
                      "\"io.containers.trace\\-syscall\" and \"io.kubernetes.cri\\-o.Devices\". A handler\n"
                      "defined in a file starts from the values below.\n", f);
                for (size_t i = 0; i < config_keys_count; i++)
                        if (config_keys[i].scope == CONFIG_SCOPE_RUNTIME)
                                put_key(f, config_keys + i, h);
                fputs(".SH \"[crio.runtime.workloads.<name>]\"\n"
                      "Workloads give containers of opted\\-in pods default resources. A pod opts in with\n"
                      "the annotation named by activation_annotation; resources live in the subtable\n"
                      "[crio.runtime.workloads.<name>.resources].\n", f);
                for (size_t i = 0; i < config_keys_count; i++)
                        if (config_keys[i].scope == CONFIG_SCOPE_WORKLOAD)
                                put_key(f, config_keys + i, w);
        }

        fputs(".SH SEE ALSO\n\\fBcrio\\fR(8), \\fBcontainers\\-storage.conf\\fR(5),\n"
              "\\fBcontainers\\-registries.conf\\fR(5), \\fBcontainers\\-policy.json\\fR(5)\n", f);
        return ferror(f) ? -EIO : 0;
}
