/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>
#include <syslog.h>

#include "config-load.h"
#include "config-reload.h"
#include "config-schema.h"

static void log_set(const ConfigKey *k, const ConfigValue *v) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        FILE *f;

        f = open_memstream(&buf, &size);
        if (!f)
                return;
        config_value_write_toml(k, v, f, NULL);
        if (fclose(f) != 0 || !buf)
                return;
        for (char *p = buf; *p; p++)
                if (*p == '\n' || *p == '\t')
                        *p = ' ';
        config_message(LOG_INFO, "Set config %s.%s to %s", k->table, k->name, buf);
}

int config_reload_apply(Config *running, Config *fresh) {
        int changed = 0;

        for (size_t i = 0; i < config_keys_count; i++) {
                const ConfigKey *k = config_keys + i;
                ConfigValue a, b, copy;

                if (k->scope != CONFIG_SCOPE_GLOBAL || (k->flags & CONFIG_ALIAS))
                        continue;
                a = config_value_peek(k, config_key_field(k, running));
                b = config_value_peek(k, config_key_field(k, fresh));
                if (config_value_equal(k, &a, &b))
                        continue;
                if (!(k->flags & CONFIG_RELOAD)) {
                        config_message(LOG_NOTICE, "Changed %s.%s takes effect at the next restart.", k->table,
                                       k->name);
                        continue;
                }
                if (config_value_copy(k, &b, &copy) < 0)
                        return -ENOMEM;
                config_value_store(k, config_key_field(k, running), &copy);
                log_set(k, &b);
                changed++;
        }

        /* Runtime handlers are reloaded as a whole, as CRI-O does. */
        if (!config_runtimes_equal(running, fresh)) {
                RuntimeHandler **h = running->runtimes;
                size_t n = running->n_runtimes;

                running->runtimes = fresh->runtimes;
                running->n_runtimes = fresh->n_runtimes;
                fresh->runtimes = h;
                fresh->n_runtimes = n;
                config_message(LOG_INFO, "Set config crio.runtime.runtimes to %zu handler(s).", running->n_runtimes);
                changed++;
        }
        return changed;
}
