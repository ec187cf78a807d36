/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "config-schema.h"
#include "config.h"

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

/* Fills every field of object that the rows of scope describe with the row's default. */
static int apply_defaults(ConfigScope scope, void *object) {
        for (size_t i = 0; i < config_keys_count; i++) {
                const ConfigKey *k = config_keys + i;
                ConfigValue v;

                if (k->scope != scope || (k->flags & CONFIG_ALIAS))
                        continue;
                if (config_key_default(k, &v) < 0)
                        return -ENOMEM;
                config_value_store(k, config_key_field(k, object), &v);
        }
        return 0;
}

static void free_fields(ConfigScope scope, void *object) {
        for (size_t i = 0; i < config_keys_count; i++) {
                const ConfigKey *k = config_keys + i;
                ConfigValue v;

                if (k->scope != scope || (k->flags & CONFIG_ALIAS))
                        continue;
                v = config_value_peek(k, config_key_field(k, object));
                config_value_done(k, &v);
        }
}

RuntimeHandler *runtime_handler_free(RuntimeHandler *h) {
        if (!h)
                return NULL;
        free_fields(CONFIG_SCOPE_RUNTIME, h);
        free(h->name);
        return mfree(h);
}

Workload *workload_free(Workload *w) {
        if (!w)
                return NULL;
        free_fields(CONFIG_SCOPE_WORKLOAD, w);
        free(w->name);
        return mfree(w);
}

/* Binary search over a sorted array of objects whose first member is their name. */
static size_t find_slot(void *const *items, size_t n, const char *name, bool *ret_found) {
        size_t lo = 0, hi = n;

        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                int c = strcmp(*(char *const *) items[mid], name);

                if (c == 0) {
                        *ret_found = true;
                        return mid;
                }
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        *ret_found = false;
        return lo;
}

static int insert_sorted(void ***items, size_t *n, size_t slot, void *item) {
        void **a;

        a = reallocarray(*items, *n + 1, sizeof(void *));
        if (!a)
                return -ENOMEM;
        memmove(a + slot + 1, a + slot, (*n - slot) * sizeof(void *));
        a[slot] = item;
        *items = a;
        (*n)++;
        return 0;
}

RuntimeHandler *config_find_runtime(const Config *c, const char *name) {
        bool found;
        size_t i = find_slot((void *const *) c->runtimes, c->n_runtimes, name, &found);

        return found ? c->runtimes[i] : NULL;
}

int config_ensure_runtime(Config *c, const char *name, RuntimeHandler **ret) {
        RuntimeHandler *h;
        bool found;
        size_t slot;
        int r;

        slot = find_slot((void *const *) c->runtimes, c->n_runtimes, name, &found);
        if (found) {
                *ret = c->runtimes[slot];
                return 0;
        }
        h = calloc(1, sizeof(RuntimeHandler));
        if (!h)
                return -ENOMEM;
        h->name = strdup(name);
        r = h->name ? apply_defaults(CONFIG_SCOPE_RUNTIME, h) : -ENOMEM;
        if (r >= 0)
                r = insert_sorted((void ***) &c->runtimes, &c->n_runtimes, slot, h);
        if (r < 0) {
                runtime_handler_free(h);
                return r;
        }
        *ret = h;
        return 1;
}

Workload *config_find_workload(const Config *c, const char *name) {
        bool found;
        size_t i = find_slot((void *const *) c->workloads, c->n_workloads, name, &found);

        return found ? c->workloads[i] : NULL;
}

int config_ensure_workload(Config *c, const char *name, Workload **ret) {
        Workload *w;
        bool found;
        size_t slot;
        int r;

        slot = find_slot((void *const *) c->workloads, c->n_workloads, name, &found);
        if (found) {
                *ret = c->workloads[slot];
                return 0;
        }
        w = calloc(1, sizeof(Workload));
        if (!w)
                return -ENOMEM;
        w->name = strdup(name);
        r = w->name ? apply_defaults(CONFIG_SCOPE_WORKLOAD, w) : -ENOMEM;
        if (r >= 0)
                r = insert_sorted((void ***) &c->workloads, &c->n_workloads, slot, w);
        if (r < 0) {
                workload_free(w);
                return r;
        }
        *ret = w;
        return 1;
}

bool config_runtimes_equal(const Config *a, const Config *b) {
        if (a->n_runtimes != b->n_runtimes)
                return false;
        for (size_t i = 0; i < a->n_runtimes; i++) {
                if (strcmp(a->runtimes[i]->name, b->runtimes[i]->name) != 0)
                        return false;
                for (size_t j = 0; j < config_keys_count; j++) {
                        const ConfigKey *k = config_keys + j;
                        ConfigValue x, y;

                        if (k->scope != CONFIG_SCOPE_RUNTIME)
                                continue;
                        x = config_value_peek(k, config_key_field(k, a->runtimes[i]));
                        y = config_value_peek(k, config_key_field(k, b->runtimes[i]));
                        if (!config_value_equal(k, &x, &y))
                                return false;
                }
        }
        return true;
}

int config_new_default(Config **ret) {
        _cleanup_(config_freep) Config *c = NULL;
        RuntimeHandler *runc;
        int r;

        c = calloc(1, sizeof(Config));
        if (!c)
                return -ENOMEM;
        r = apply_defaults(CONFIG_SCOPE_GLOBAL, c);
        if (r < 0)
                return r;

        /* The default handler, shaped as CRI-O shapes its own: runtime_path left empty so that
         * it is found in $PATH (/usr/sbin/runc on Debian). */
        r = config_ensure_runtime(c, CRIO_DEFAULT_RUNTIME, &runc);
        if (r < 0)
                return r;
        if (config_set_string(&runc->runtime_root, "/run/runc") < 0 ||
            config_set_string(&runc->monitor_cgroup, "system.slice") < 0 ||
            config_set_string(&runc->container_min_memory, "12MiB") < 0 ||
            strv_push(&runc->monitor_env,
                      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin") < 0 ||
            strv_push(&runc->allowed_annotations, "io.containers.trace-syscall") < 0 ||
            strv_push(&runc->allowed_annotations, "io.kubernetes.cri-o.Devices") < 0)
                return -ENOMEM;

        *ret = TAKE_PTR(c);
        return 0;
}

Config *config_free(Config *c) {
        if (!c)
                return NULL;
        free_fields(CONFIG_SCOPE_GLOBAL, c);
        for (size_t i = 0; i < c->n_runtimes; i++)
                runtime_handler_free(c->runtimes[i]);
        free(c->runtimes);
        for (size_t i = 0; i < c->n_workloads; i++)
                workload_free(c->workloads[i]);
        free(c->workloads);
        strv_free(c->not_acted_on);
        return mfree(c);
}
