/* SPDX-License-Identifier: Apache-2.0 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "config-toml.h"

/* Writes a TOML basic string, escaping what TOML requires. */
static void put_quoted(FILE *f, const char *value) {
        fputc('"', f);
        for (const char *p = value ?: ""; *p; p++) {
                unsigned char ch = (unsigned char) *p;

                if (ch == '"' || ch == '\\')
                        fprintf(f, "\\%c", ch);
                else if (ch < 0x20 || ch == 0x7f)
                        fprintf(f, "\\u%04x", ch);
                else
                        fputc(ch, f);
        }
        fputc('"', f);
}

static void put_string(FILE *f, const char *key, const char *value) {
        fprintf(f, "%s = ", key);
        put_quoted(f, value);
        fputc('\n', f);
}

int config_to_toml(const Config *c, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        FILE *f;

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;

        fputs("[crio]\n", f);
        put_string(f, "root", c->root);
        put_string(f, "runroot", c->runroot);
        put_string(f, "storage_driver", c->storage_driver);
        put_string(f, "log_dir", c->log_dir);

        fputs("\n[crio.api]\n", f);
        put_string(f, "listen", c->listen);
        fprintf(f, "grpc_max_send_msg_size = %" PRIu64 "\n", c->grpc_max_send_msg_size);
        fprintf(f, "grpc_max_recv_msg_size = %" PRIu64 "\n", c->grpc_max_recv_msg_size);

        fputs("\n[crio.runtime]\n", f);
        put_string(f, "log_level", c->log_level);
        put_string(f, "default_runtime", c->default_runtime);
        put_string(f, "cgroup_manager", c->cgroup_manager);
        put_string(f, "conmon", c->conmon);

        fputs("\n[crio.image]\n", f);
        put_string(f, "pause_image", c->pause_image);

        fputs("\n[crio.network]\n", f);
        put_string(f, "network_dir", c->network_dir);
        fputs("plugin_dirs = [\n", f);
        for (char **d = c->plugin_dirs; d && *d; d++) {
                fputs("        ", f);
                put_quoted(f, *d);
                fputs(",\n", f);
        }
        fputs("]\n", f);

        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(buf);
        return 0;
}
