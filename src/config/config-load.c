/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "config-load.h"
#include "fileio.h"
#include "log.h"
#include "toml.h"

static ConfigMessageFunc message_func;
static void *message_userdata;

void config_set_message_func(ConfigMessageFunc func, void *userdata) {
        message_func = func;
        message_userdata = userdata;
}

void config_message(int level, const char *format, ...) {
        char buf[1024];
        va_list ap;

        va_start(ap, format);
        (void) vsnprintf(buf, sizeof buf, format, ap);
        va_end(ap);

        if (message_func)
                message_func(level, buf, message_userdata);
        log_full(level, "%s", buf);
}

ConfigSources *config_sources_free(ConfigSources *s) {
        if (!s)
                return NULL;
        free(s->config_file);
        free(s->config_dir);
        for (size_t i = 0; i < s->n_overrides; i++)
                free(s->overrides[i].value);
        free(s->overrides);
        return mfree(s);
}

int config_sources_add_override(ConfigSources *s, const ConfigKey *key, const char *value) {
        ConfigOverride *o;
        char *copy;

        copy = strdup(value);
        if (!copy)
                return -ENOMEM;
        o = reallocarray(s->overrides, s->n_overrides + 1, sizeof(ConfigOverride));
        if (!o) {
                free(copy);
                return -ENOMEM;
        }
        s->overrides = o;
        s->overrides[s->n_overrides++] = (ConfigOverride) { .key = key, .value = copy };
        return 0;
}

/* Where we are while walking one document. */
typedef struct LoadContext {
        Config *config;
        const char *filename;
} LoadContext;

static const char *toml_type_name(TomlType t) {
        switch (t) {
        case TOML_STRING:
                return "a string";
        case TOML_INTEGER:
                return "an integer";
        case TOML_FLOAT:
                return "a float";
        case TOML_BOOLEAN:
                return "a boolean";
        case TOML_ARRAY:
                return "an array";
        case TOML_TABLE:
                return "a table";
        default:
                return "a date or time";
        }
}

static const char *expected_name(ConfigType t) {
        switch (t) {
        case CONFIG_TYPE_STRING:
                return "a string";
        case CONFIG_TYPE_BOOLEAN:
                return "a boolean";
        case CONFIG_TYPE_INTEGER:
                return "an integer";
        case CONFIG_TYPE_STRV:
                return "an array of strings";
        case CONFIG_TYPE_MAP:
                return "a table of strings";
        case CONFIG_TYPE_DURATION:
                return "a duration string such as \"5s\"";
        default:
                return "?";
        }
}

static int load_error(const LoadContext *ctx, const TomlValue *v, const char *path, const char *format, ...)
        _printf_(4, 5);
static int load_error(const LoadContext *ctx, const TomlValue *v, const char *path, const char *format, ...) {
        char reason[512];
        va_list ap;

        va_start(ap, format);
        (void) vsnprintf(reason, sizeof reason, format, ap);
        va_end(ap);
        config_message(LOG_ERR, "%s:%u:%u: %s: %s", ctx->filename, toml_value_line(v), toml_value_column(v),
                       path, reason);
        return -EINVAL;
}

static char *join_path(const char *table, const char *key) {
        char *p;

        if (asprintf(&p, "%s%s%s", table, table[0] ? "." : "", key) < 0)
                return NULL;
        return p;
}

static int get_plain_string(const TomlValue *v, const char **ret) {
        size_t len;

        if (toml_value_get_string(v, ret, &len) < 0)
                return -EINVAL;
        /* A \u0000 escape would silently cut the value short in C. */
        if (strlen(*ret) != len)
                return -EBADMSG;
        return 0;
}

/* The dotted name of the key, made only when an error needs it. */
#define FULL_PATH ((full = join_path(parent, name)) ?: name)

/* Converts a TOML value into the row's type; errors name the position of the offending value. */
static int value_from_toml(const LoadContext *ctx, const ConfigKey *k, const char *parent, const char *name,
                           const TomlValue *v, ConfigValue *ret) {
        _cleanup_free_ char *full = NULL;
        ConfigValue out = {};
        TomlType t = toml_value_type(v);
        const char *s;
        int r;

        switch (k->type) {
        case CONFIG_TYPE_STRING:
                if (t != TOML_STRING)
                        break;
                r = get_plain_string(v, &s);
                if (r < 0)
                        return load_error(ctx, v, FULL_PATH, "strings must not contain NUL");
                out.string = strdup(s);
                if (!out.string)
                        return log_oom();
                *ret = out;
                return 0;
        case CONFIG_TYPE_BOOLEAN:
                if (t != TOML_BOOLEAN)
                        break;
                (void) toml_value_get_boolean(v, &out.boolean);
                *ret = out;
                return 0;
        case CONFIG_TYPE_INTEGER:
                if (t != TOML_INTEGER)
                        break;
                (void) toml_value_get_integer(v, &out.integer);
                *ret = out;
                return 0;
        case CONFIG_TYPE_DURATION:
                if (t == TOML_INTEGER) {
                        /* As Go decodes an integer into time.Duration: nanoseconds. */
                        (void) toml_value_get_integer(v, &out.integer);
                        *ret = out;
                        return 0;
                }
                if (t != TOML_STRING)
                        break;
                if (get_plain_string(v, &s) < 0 || duration_parse(s, &out.integer) < 0)
                        return load_error(ctx, v, FULL_PATH, "invalid duration \"%s\", expected e.g. \"5s\" or \"1m30s\"",
                                          s);
                *ret = out;
                return 0;
        case CONFIG_TYPE_STRV: {
                _cleanup_strv_free_ char **l = NULL;
                size_t n = toml_array_size(v);

                if (t != TOML_ARRAY)
                        break;
                /* Sized once: pushing item by item would be quadratic on long lists. */
                l = calloc(n + 1, sizeof(char *));
                if (!l)
                        return log_oom();
                for (size_t i = 0; i < n; i++) {
                        const TomlValue *item = toml_array_get(v, i);

                        if (toml_value_type(item) != TOML_STRING)
                                return load_error(ctx, item, FULL_PATH, "expected an array of strings, item %zu is %s",
                                                  i + 1, toml_type_name(toml_value_type(item)));
                        if (get_plain_string(item, &s) < 0)
                                return load_error(ctx, item, FULL_PATH, "strings must not contain NUL");
                        l[i] = strdup(s);
                        if (!l[i])
                                return log_oom();
                }
                out.strv = TAKE_PTR(l);
                *ret = out;
                return 0;
        }
        case CONFIG_TYPE_MAP: {
                _cleanup_strv_free_ char **l = NULL;
                size_t n = toml_table_size(v);

                if (t != TOML_TABLE)
                        break;
                l = calloc(2 * n + 1, sizeof(char *));
                if (!l)
                        return log_oom();
                for (size_t i = 0; i < n; i++) {
                        const TomlValue *item = toml_table_value_at(v, i);
                        const char *key = toml_table_key_at(v, i);

                        if (toml_value_type(item) != TOML_STRING)
                                return load_error(ctx, item, FULL_PATH, "expected a table of strings, \"%s\" is %s", key,
                                                  toml_type_name(toml_value_type(item)));
                        if (get_plain_string(item, &s) < 0 || strlen(key) != toml_table_key_length_at(v, i))
                                return load_error(ctx, item, FULL_PATH, "strings must not contain NUL");
                        l[2 * i] = strdup(key);
                        if (!l[2 * i])
                                return log_oom();
                        l[2 * i + 1] = strdup(s);
                        if (!l[2 * i + 1])
                                return log_oom();
                }
                out.strv = TAKE_PTR(l);
                *ret = out;
                return 0;
        }
        default:
                break;
        }
        return load_error(ctx, v, FULL_PATH, "expected %s, got %s", expected_name(k->type), toml_type_name(t));
}

static void warn_deprecated(const ConfigKey *k, const char *where, unsigned line, const char *parent,
                            const char *name) {
        if (k->flags & CONFIG_DEPRECATED)
                config_message(LOG_WARNING, "%s%s%.0u: %s%s%s is deprecated; replaced by %s.", where,
                               line ? ":" : "", line, parent, parent[0] ? "." : "", name, k->replacement ?: "nothing");
}

/* parent.name is only spelled out when something must be said about it: keys are many. */
static int set_key(const LoadContext *ctx, const ConfigKey *k, void *object, const char *parent, const char *name,
                   const TomlValue *v) {
        _cleanup_free_ char *path = NULL;
        ConfigValue value;
        const char *why;
        int r;

        r = value_from_toml(ctx, k, parent, name, v, &value);
        if (r < 0)
                return r;
        why = k->check ? k->check(&value) : NULL;
        if (why) {
                config_value_done(k, &value);
                path = join_path(parent, name);
                return load_error(ctx, v, path ?: name, "invalid value: %s", why);
        }
        warn_deprecated(k, ctx->filename, toml_value_line(v), parent, name);
        config_value_store(k, config_key_field(k, object), &value);
        return 0;
}

static void warn_unknown(const LoadContext *ctx, const TomlValue *v, const char *what, const char *path) {
        config_message(LOG_WARNING, "%s:%u: unknown %s '%s', ignoring.", ctx->filename, toml_value_line(v), what,
                       path);
}

/* The keys of one runtime handler or workload, or of a workload's [resources]. */
static int load_named(const LoadContext *ctx, ConfigScope scope, void *object, const char *rel_table,
                      const char *path, const TomlValue *table) {
        int r;

        for (size_t i = 0; i < toml_table_size(table); i++) {
                const char *key = toml_table_key_at(table, i);
                const TomlValue *v = toml_table_value_at(table, i);
                _cleanup_free_ char *sub = NULL;
                const ConfigKey *k;

                k = config_key_find(scope, rel_table, key);
                if (k) {
                        r = set_key(ctx, k, object, path, key, v);
                        if (r < 0)
                                return r;
                        continue;
                }
                sub = join_path(path, key);
                if (!sub)
                        return log_oom();
                if (scope == CONFIG_SCOPE_WORKLOAD && rel_table[0] == '\0' &&
                    strcmp(key, "resources") == 0 && toml_value_type(v) == TOML_TABLE)
                        r = load_named(ctx, scope, object, "resources", sub, v);
                else {
                        warn_unknown(ctx, v, toml_value_type(v) == TOML_TABLE ? "table" : "key", sub);
                        r = 0;
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

static int load_collection(const LoadContext *ctx, ConfigScope scope, const char *path, const TomlValue *table) {
        int r;

        for (size_t i = 0; i < toml_table_size(table); i++) {
                const char *name = toml_table_key_at(table, i);
                const TomlValue *v = toml_table_value_at(table, i);
                _cleanup_free_ char *sub = join_path(path, name);
                void *object;

                if (!sub)
                        return log_oom();
                if (toml_value_type(v) != TOML_TABLE)
                        return load_error(ctx, v, sub, "expected a table, got %s", toml_type_name(toml_value_type(v)));
                if (name[0] == '\0' || strlen(name) != toml_table_key_length_at(table, i))
                        return load_error(ctx, v, sub, "invalid name");

                /* An existing handler keeps what this table does not mention: tables merge. */
                if (scope == CONFIG_SCOPE_RUNTIME)
                        r = config_ensure_runtime(ctx->config, name, (RuntimeHandler **) &object);
                else
                        r = config_ensure_workload(ctx->config, name, (Workload **) &object);
                if (r < 0)
                        return log_oom();
                r = load_named(ctx, scope, object, "", sub, v);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int load_table(const LoadContext *ctx, const char *path, const TomlValue *table) {
        int r;

        for (size_t i = 0; i < toml_table_size(table); i++) {
                const char *key = toml_table_key_at(table, i);
                const TomlValue *v = toml_table_value_at(table, i);
                _cleanup_free_ char *sub = NULL;
                const ConfigKey *k;

                k = config_key_find(CONFIG_SCOPE_GLOBAL, path, key);
                if (k) {
                        r = set_key(ctx, k, ctx->config, path, key, v);
                        if (r < 0)
                                return r;
                        continue;
                }
                sub = join_path(path, key);
                if (!sub)
                        return log_oom();
                if (toml_value_type(v) == TOML_TABLE && config_table_known(sub))
                        r = load_table(ctx, sub, v);
                else if (toml_value_type(v) == TOML_TABLE && strcmp(sub, "crio.runtime.runtimes") == 0)
                        r = load_collection(ctx, CONFIG_SCOPE_RUNTIME, sub, v);
                else if (toml_value_type(v) == TOML_TABLE && strcmp(sub, "crio.runtime.workloads") == 0)
                        r = load_collection(ctx, CONFIG_SCOPE_WORKLOAD, sub, v);
                else {
                        warn_unknown(ctx, v, toml_value_type(v) == TOML_TABLE ? "table" : "key", sub);
                        r = 0;
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

int config_load_text(Config *c, const char *text, size_t size, const char *filename) {
        _cleanup_(toml_value_freep) TomlValue *root = NULL;
        LoadContext ctx = { .config = c, .filename = filename ?: "<config>" };
        TomlError error = {};
        char buf[TOML_ERROR_MESSAGE_MAX + PATH_MAX + 64];
        int r;

        r = toml_parse(text, size, ctx.filename, &root, &error);
        if (r == -ENOMEM)
                return log_oom();
        if (r < 0) {
                config_message(LOG_ERR, "%s", toml_error_format(&error, buf, sizeof buf));
                return -EINVAL;
        }

        for (size_t i = 0; i < toml_table_size(root); i++) {
                const char *key = toml_table_key_at(root, i);
                const TomlValue *v = toml_table_value_at(root, i);

                if (strcmp(key, "crio") == 0 && toml_value_type(v) == TOML_TABLE)
                        r = load_table(&ctx, "crio", v);
                else if (strcmp(key, "crio") == 0)
                        r = load_error(&ctx, v, "crio", "expected a table, got %s", toml_type_name(toml_value_type(v)));
                else {
                        warn_unknown(&ctx, v, toml_value_type(v) == TOML_TABLE ? "table" : "key", key);
                        r = 0;
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

int config_load_file(Config *c, const char *path, bool must_exist) {
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        int r;

        r = read_full_file_at(AT_FDCWD, path, SIZE_MAX, 0, &text, &size);
        if (r == -ENOENT && !must_exist) {
                log_debug("Configuration file %s does not exist, skipping.", path);
                return 0;
        }
        if (r == -ENOMEM)
                return log_oom();
        if (r < 0) {
                errno = -r;
                config_message(LOG_ERR, "%s: cannot read configuration file: %m", path);
                return r;
        }
        log_debug("Loading configuration from %s.", path);
        return config_load_text(c, text, size, path);
}

static int filter_dropin(const struct dirent *de) {
        size_t n = strlen(de->d_name);

        if (de->d_name[0] == '.' || n <= 5 || strcmp(de->d_name + n - 5, ".conf") != 0)
                return 0;
        return IN_SET(de->d_type, DT_REG, DT_LNK, DT_UNKNOWN);
}

static int compare_names(const struct dirent **a, const struct dirent **b) {
        /* Lexical order by bytes, independent of the locale. */
        return strcmp((*a)->d_name, (*b)->d_name);
}

int config_load_dir(Config *c, const char *dir) {
        struct dirent **entries = NULL;
        int n, r = 0;

        n = scandir(dir, &entries, filter_dropin, compare_names);
        if (n < 0) {
                if (errno == ENOENT)
                        return 0;
                config_message(LOG_ERR, "%s: cannot read drop-in directory: %m", dir);
                return -errno;
        }
        for (int i = 0; i < n; i++) {
                _cleanup_free_ char *path = NULL;
                struct stat st;

                if (r >= 0) {
                        if (asprintf(&path, "%s/%s", dir, entries[i]->d_name) < 0)
                                r = log_oom();
                        else if (stat(path, &st) >= 0 && S_ISREG(st.st_mode))
                                r = config_load_file(c, path, /* must_exist= */ true);
                }
                free(entries[i]);
        }
        free(entries);
        return r;
}

int config_apply_overrides(Config *c, const ConfigSources *s) {
        for (size_t i = 0; i < s->n_overrides; i++) {
                const ConfigOverride *o = s->overrides + i;
                const ConfigKey *k = o->key;
                ConfigValue value;
                const char *why;
                char where[64];
                bool again = false;

                /* A repeated list flag adds to what its first use set. */
                for (size_t j = 0; j < i && !again; j++)
                        again = s->overrides[j].key == k;

                why = config_value_parse(k, o->value, &value);
                if (!why && k->check)
                        why = k->check(&value);
                if (why) {
                        if (!strcmp(why, "out of memory"))
                                return log_oom();
                        config_value_done(k, &value);
                        config_message(LOG_ERR, "--%s=%s: invalid value: %s", k->option, o->value, why);
                        return -EINVAL;
                }
                (void) snprintf(where, sizeof where, "--%s", k->option);
                warn_deprecated(k, where, 0, "", k->name);

                if (again && k->type == CONFIG_TYPE_STRV) {
                        char ***field = config_key_field(k, c);

                        for (char **item = value.strv; item && *item; item++)
                                if (strv_push(field, *item) < 0) {
                                        config_value_done(k, &value);
                                        return log_oom();
                                }
                        config_value_done(k, &value);
                } else
                        config_value_store(k, config_key_field(k, c), &value);
        }
        return 0;
}

static bool is_oci(const RuntimeHandler *h) {
        return IN_SET(h->runtime_type[0], '\0') || strcmp(h->runtime_type, "oci") == 0;
}

int config_finalize(Config *c) {
        RuntimeHandler *def;
        bool systemd = strcmp(c->cgroup_manager, "systemd") == 0;

        /* As CRI-O: a size of zero or less means the default. */
        if (c->grpc_max_send_msg_size <= 0)
                c->grpc_max_send_msg_size = CRIO_DEFAULT_GRPC_MAX_MSG_SIZE;
        if (c->grpc_max_recv_msg_size <= 0)
                c->grpc_max_recv_msg_size = CRIO_DEFAULT_GRPC_MAX_MSG_SIZE;

        if (c->ctr_stop_timeout < CRIO_MINIMUM_CTR_STOP_TIMEOUT) {
                config_message(LOG_WARNING, "ctr_stop_timeout %" PRIi64 " is below the lowest possible value, "
                               "using %d seconds.", c->ctr_stop_timeout, CRIO_MINIMUM_CTR_STOP_TIMEOUT);
                c->ctr_stop_timeout = CRIO_MINIMUM_CTR_STOP_TIMEOUT;
        }

        if (c->stream_enable_tls && (c->stream_tls_cert[0] == '\0' || c->stream_tls_key[0] == '\0')) {
                config_message(LOG_ERR, "crio.api.stream_enable_tls is set, but stream_tls_cert or stream_tls_key is empty.");
                return -EINVAL;
        }

        if (c->default_runtime[0] == '\0') {
                if (config_set_string(&c->default_runtime, CRIO_DEFAULT_RUNTIME) < 0)
                        return log_oom();
        }
        def = config_find_runtime(c, c->default_runtime);
        if (!def) {
                config_message(LOG_ERR, "default_runtime is \"%s\", but there is no [crio.runtime.runtimes.%s] table.",
                               c->default_runtime, c->default_runtime);
                return -EINVAL;
        }

        /* plugin_dir is the old single-directory spelling of plugin_dirs. */
        if (c->plugin_dir[0] != '\0' && !strv_contains(c->plugin_dirs, c->plugin_dir))
                if (strv_push(&c->plugin_dirs, c->plugin_dir) < 0)
                        return log_oom();

        for (size_t i = 0; i < c->n_runtimes; i++) {
                RuntimeHandler *h = c->runtimes[i];

                if (h->inherit_default_runtime && h != def) {
                        if (config_set_string(&h->runtime_path, def->runtime_path[0] ? def->runtime_path : "") < 0 ||
                            config_set_string(&h->runtime_type, def->runtime_type) < 0 ||
                            config_set_string(&h->runtime_root, def->runtime_root) < 0 ||
                            config_set_string(&h->runtime_config_path, def->runtime_config_path) < 0)
                                return log_oom();
                }
                if (h->runtime_type[0] == '\0' && config_set_string(&h->runtime_type, "oci") < 0)
                        return log_oom();
                if (h->container_create_timeout > 0 && h->container_create_timeout < 30)
                        h->container_create_timeout = 30;

                if (!is_oci(h))
                        continue;

                /* The deprecated [crio.runtime] conmon keys override every oci handler, as in CRI-O. */
                if (c->conmon_cgroup[0] != '\0' && config_set_string(&h->monitor_cgroup, c->conmon_cgroup) < 0)
                        return log_oom();
                if (c->conmon[0] != '\0' && config_set_string(&h->monitor_path, c->conmon) < 0)
                        return log_oom();
                if (strv_length(c->conmon_env) > 0) {
                        char **copy;

                        if (strv_copy(c->conmon_env, &copy) < 0)
                                return log_oom();
                        strv_free(h->monitor_env);
                        h->monitor_env = copy;
                }

                if (systemd && h->monitor_cgroup[0] == '\0' &&
                    config_set_string(&h->monitor_cgroup, "system.slice") < 0)
                        return log_oom();
                if (!systemd) {
                        /* The systemd default means nothing to cgroupfs. */
                        if (strcmp(h->monitor_cgroup, "system.slice") == 0 &&
                            config_set_string(&h->monitor_cgroup, "") < 0)
                                return log_oom();
                        if (!IN_SET(h->monitor_cgroup[0], '\0') && strcmp(h->monitor_cgroup, "pod") != 0) {
                                config_message(LOG_ERR, "crio.runtime.runtimes.%s.monitor_cgroup: with the cgroupfs "
                                               "manager the monitor cgroup must be \"pod\" or empty, not \"%s\".",
                                               h->name, h->monitor_cgroup);
                                return -EINVAL;
                        }
                } else {
                        size_t n = strlen(h->monitor_cgroup);

                        if (strcmp(h->monitor_cgroup, "pod") != 0 &&
                            (n < 6 || strcmp(h->monitor_cgroup + n - 6, ".slice") != 0)) {
                                config_message(LOG_ERR, "crio.runtime.runtimes.%s.monitor_cgroup: with the systemd "
                                               "manager the monitor cgroup must be \"pod\" or a slice, not \"%s\".",
                                               h->name, h->monitor_cgroup);
                                return -EINVAL;
                        }
                }
        }
        return 0;
}

/* A list that grows geometrically: there may be thousands of handlers. */
typedef struct NameList {
        char **items;
        size_t n, allocated;
} NameList;

/* Takes name. */
static int not_acted_push(NameList *l, char *name) {
        if (!name)
                return -ENOMEM;
        if (l->n + 2 > l->allocated) {
                size_t want = MAX(l->allocated * 2, (size_t) 16);
                char **p = reallocarray(l->items, want, sizeof(char *));

                if (!p) {
                        free(name);
                        return -ENOMEM;
                }
                l->items = p;
                l->allocated = want;
        }
        l->items[l->n++] = name;
        l->items[l->n] = NULL;
        return 0;
}

static char *key_name(const char *format, ...) _printf_(1, 2);
static char *key_name(const char *format, ...) {
        va_list ap;
        char *p;
        int r;

        va_start(ap, format);
        r = vasprintf(&p, format, ap);
        va_end(ap);
        return r < 0 ? NULL : p;
}

static int collect_not_acted_on(Config *c, const Config *defaults);

int config_collect_not_acted_on(Config *c) {
        _cleanup_(config_freep) Config *defaults = NULL;

        c->not_acted_on = strv_free(c->not_acted_on);
        if (config_new_default(&defaults) < 0)
                return -ENOMEM;
        return collect_not_acted_on(c, defaults);
}

static int collect_not_acted_on(Config *c, const Config *defaults) {
        NameList l = {};

        for (size_t i = 0; i < config_keys_count; i++) {
                const ConfigKey *k = config_keys + i;

                if ((k->flags & (CONFIG_ACTED | CONFIG_ALIAS)) != 0)
                        continue;

                if (k->scope == CONFIG_SCOPE_GLOBAL) {
                        if (!config_key_is_default(k, c) && not_acted_push(&l, key_name("%s.%s", k->table, k->name)) < 0)
                                goto oom;
                        continue;
                }

                for (size_t j = 0; k->scope == CONFIG_SCOPE_RUNTIME && j < c->n_runtimes; j++) {
                        RuntimeHandler *h = c->runtimes[j], *builtin = config_find_runtime(defaults, h->name);
                        bool is_default;

                        /* A built-in handler is compared with its own built-in values. */
                        if (builtin) {
                                ConfigValue a = config_value_peek(k, config_key_field(k, h)),
                                            b = config_value_peek(k, config_key_field(k, builtin));
                                is_default = config_value_equal(k, &a, &b);
                        } else
                                is_default = config_key_is_default(k, h);
                        if (!is_default &&
                            not_acted_push(&l, key_name("crio.runtime.runtimes.%s.%s", h->name, k->name)) < 0)
                                goto oom;
                }
                for (size_t j = 0; k->scope == CONFIG_SCOPE_WORKLOAD && j < c->n_workloads; j++)
                        if (!config_key_is_default(k, c->workloads[j]) &&
                            not_acted_push(&l, key_name("crio.runtime.workloads.%s.%s%s%s", c->workloads[j]->name,
                                                        k->table, k->table[0] ? "." : "", k->name)) < 0)
                                goto oom;
        }
        c->not_acted_on = l.items;
        return 0;
oom:
        strv_free(l.items);
        return -ENOMEM;
}

void config_warn_not_acted_on(const Config *c) {
        for (char **n = c->not_acted_on; n && *n; n++)
                config_message(LOG_WARNING, "Configuration key %s is set but not yet acted on by crio; "
                               "it has no effect in this version.", *n);
}

int config_load(const ConfigSources *s, Config **ret) {
        _cleanup_(config_freep) Config *c = NULL;
        int r;

        r = config_new_default(&c);
        if (r < 0)
                return log_oom();

        r = config_load_file(c, s && s->config_file ? s->config_file : CRIO_DEFAULT_CONFIG_FILE,
                             s && s->config_file_explicit);
        if (r < 0)
                return r;
        r = config_load_dir(c, s && s->config_dir ? s->config_dir : CRIO_DEFAULT_CONFIG_DIR);
        if (r < 0)
                return r;
        if (s) {
                r = config_apply_overrides(c, s);
                if (r < 0)
                        return r;
        }
        /* Before finalize, whose translations would look like settings nobody made. */
        r = config_collect_not_acted_on(c);
        if (r < 0)
                return log_oom();
        r = config_finalize(c);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(c);
        return 0;
}

int find_executable(const char *name, char **ret) {
        _cleanup_free_ char *copy = NULL;
        const char *path;
        int last = -ENOENT;

        if (strchr(name, '/')) {
                if (access(name, X_OK) < 0)
                        return -errno;
                copy = strdup(name);
                if (!copy)
                        return -ENOMEM;
                *ret = TAKE_PTR(copy);
                return 0;
        }

        path = getenv("PATH") ?: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        copy = strdup(path);
        if (!copy)
                return -ENOMEM;
        for (char *save = NULL, *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
                _cleanup_free_ char *candidate = NULL;
                struct stat st;

                if (asprintf(&candidate, "%s/%s", dir, name) < 0)
                        return -ENOMEM;
                if (stat(candidate, &st) < 0 || S_ISDIR(st.st_mode))
                        continue;
                if (access(candidate, X_OK) < 0) {
                        last = -errno;
                        continue;
                }
                *ret = TAKE_PTR(candidate);
                return 0;
        }
        return last;
}

static int check_executable(const char *what, const char *configured, const char *fallback_name, char **ret) {
        int r;

        r = find_executable(configured[0] ? configured : fallback_name, ret);
        if (r == -ENOMEM)
                return log_oom();
        if (r < 0) {
                errno = -r;
                if (configured[0])
                        config_message(LOG_ERR, "%s %s is not usable: %m", what, configured);
                else
                        config_message(LOG_ERR, "%s: no executable \"%s\" found in $PATH: %m", what, fallback_name);
        }
        return r;
}

int config_verify_host(Config *c) {
        size_t i = 0;
        int r;

        while (i < c->n_runtimes) {
                RuntimeHandler *h = c->runtimes[i];
                bool is_default = strcmp(h->name, c->default_runtime) == 0;
                _cleanup_free_ char *what = NULL, *runtime = NULL, *monitor = NULL;

                if (asprintf(&what, "runtime handler \"%s\": runtime_path", h->name) < 0)
                        return log_oom();
                r = check_executable(what, h->runtime_path, h->name, &runtime);
                if (r >= 0 && is_oci(h)) {
                        free(what);
                        if (asprintf(&what, "runtime handler \"%s\": monitor_path (conmon)", h->name) < 0)
                                return log_oom();
                        r = check_executable(what, h->monitor_path, "conmon", &monitor);
                }
                if (r == -ENOMEM)
                        return r;
                if (r < 0 && is_default)
                        return -EINVAL;
                if (r < 0) {
                        /* As CRI-O: a broken extra handler is dropped, the daemon carries on. */
                        config_message(LOG_WARNING, "Runtime handler \"%s\" is being ignored.", h->name);
                        runtime_handler_free(h);
                        memmove(c->runtimes + i, c->runtimes + i + 1, (c->n_runtimes - i - 1) * sizeof(void *));
                        c->n_runtimes--;
                        continue;
                }
                log_info("Using runtime handler %s: %s%s%s.", h->name, runtime, monitor ? ", monitor " : "",
                         monitor ?: "");
                i++;
        }
        return 0;
}
