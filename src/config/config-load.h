/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Layering as CRI-O does it: built-in defaults, then crio.conf, then the drop-in directory in
 * lexical order (later files win key by key, runtime handler tables merge), then flags. */

#include <stdarg.h>
#include <stddef.h>

#include "config-schema.h"
#include "config.h"

/* One command-line flag naming a schema key. List flags given more than once accumulate. */
typedef struct ConfigOverride {
        const ConfigKey *key;
        char *value;
} ConfigOverride;

typedef struct ConfigSources {
        char *config_file;              /* NULL: CRIO_DEFAULT_CONFIG_FILE */
        bool config_file_explicit;      /* named by --config: must exist */
        char *config_dir;               /* NULL: CRIO_DEFAULT_CONFIG_DIR */
        ConfigOverride *overrides;
        size_t n_overrides;
} ConfigSources;

ConfigSources *config_sources_free(ConfigSources *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(ConfigSources *, config_sources_free);
int config_sources_add_override(ConfigSources *s, const ConfigKey *key, const char *value);

/* Diagnostics (warnings and errors with file:line[:column]) are logged; a test may also
 * receive them here. */
typedef void (*ConfigMessageFunc)(int level, const char *message, void *userdata);
void config_set_message_func(ConfigMessageFunc func, void *userdata);
void config_message(int level, const char *format, ...) _printf_(2, 3);

/* Each returns 0 or a negative errno after logging the one line that explains it. A missing
 * file is fine unless must_exist. */
int config_load_text(Config *c, const char *text, size_t size, const char *filename);
int config_load_file(Config *c, const char *path, bool must_exist);
int config_load_dir(Config *c, const char *dir);
int config_apply_overrides(Config *c, const ConfigSources *s);

/* Checks across keys and the translations CRI-O makes after reading (conmon → monitor_path,
 * plugin_dir → plugin_dirs, size and timeout floors). Idempotent. */
int config_finalize(Config *c);

/* Fills c->not_acted_on. */
int config_collect_not_acted_on(Config *c);
/* Logs one "not yet acted on" warning per entry of c->not_acted_on. */
void config_warn_not_acted_on(const Config *c);

/* Everything, from defaults to finalize. */
int config_load(const ConfigSources *s, Config **ret);

/* Start-up checks against the host: the default runtime handler's executable and its monitor
 * (conmon) must be found, as CRI-O resolves them; other handlers that fail are dropped with a
 * warning. */
int config_verify_host(Config *c);

/* Looks name up in $PATH (or takes it as is when it contains a slash); 0 and the path, or
 * -ENOENT / -EACCES. */
int find_executable(const char *name, char **ret);
