/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The one description of crio.conf: a row per key with its table, type, default, place in the
 * struct, check, command-line flag and documentation. Parsing, defaults, flags, `crio config`,
 * the shipped crio.conf and crio.conf(5) are all produced from these rows. */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"

typedef enum ConfigType {
        CONFIG_TYPE_STRING,
        CONFIG_TYPE_BOOLEAN,
        CONFIG_TYPE_INTEGER,
        CONFIG_TYPE_STRV,               /* array of strings */
        CONFIG_TYPE_MAP,                /* inline table of strings */
        CONFIG_TYPE_DURATION,           /* Go duration string ("5s") or integer nanoseconds */
        _CONFIG_TYPE_MAX,
        _CONFIG_TYPE_INVALID = -EINVAL,
} ConfigType;

const char *config_type_to_string(ConfigType t) _const_;
ConfigType config_type_from_string(const char *s) _pure_;

/* Which struct a row's offset points into. */
typedef enum ConfigScope {
        CONFIG_SCOPE_GLOBAL,            /* Config */
        CONFIG_SCOPE_RUNTIME,           /* RuntimeHandler, under crio.runtime.runtimes.<name> */
        CONFIG_SCOPE_WORKLOAD,          /* Workload, under crio.runtime.workloads.<name> */
        _CONFIG_SCOPE_MAX,
} ConfigScope;

enum {
        /* The daemon uses the value today; otherwise setting it earns a "not yet acted on" warning. */
        CONFIG_ACTED = 1 << 0,
        /* Taken over by a SIGHUP reload without a restart. */
        CONFIG_RELOAD = 1 << 1,
        /* Still accepted; setting it logs a deprecation warning naming the replacement. */
        CONFIG_DEPRECATED = 1 << 2,
        /* Another spelling of a key printed elsewhere (log_level under [crio]): read, never printed. */
        CONFIG_ALIAS = 1 << 3,
};

typedef union ConfigValue {
        char *string;
        bool boolean;
        int64_t integer;
        char **strv;
} ConfigValue;

typedef struct ConfigKey {
        ConfigScope scope;
        const char *table;              /* "crio.api"; for runtimes/workloads the part after <name> */
        const char *name;
        ConfigType type;
        size_t offset;
        const char *default_string;
        int64_t default_integer;        /* also durations, in nanoseconds */
        bool default_boolean;
        const char *const *default_strv; /* for maps: key, value, ..., NULL */
        /* Returns NULL when the value is acceptable, else why not. */
        const char *(*check)(const ConfigValue *v);
        unsigned flags;
        const char *option;             /* command-line flag, without "--" */
        const char *replacement;        /* what a deprecated key maps to */
        const char *doc;
} ConfigKey;

extern const ConfigKey config_keys[];
extern const size_t config_keys_count;

/* The tables of the global scope, in the order `crio config` prints them. */
extern const char *const config_tables[];
extern const char *const config_table_docs[];
extern const size_t config_tables_count;

/* Finds the row for key in table (scope-relative table for runtimes and workloads). */
const ConfigKey *config_key_find(ConfigScope scope, const char *table, const char *name);
/* Finds a row by its command-line flag name. */
const ConfigKey *config_key_find_option(const char *option);
bool config_table_known(const char *table);

/* The field a row describes inside its object (Config, RuntimeHandler or Workload). */
static inline void *config_key_field(const ConfigKey *k, void *object) {
        return (uint8_t *) object + k->offset;
}

/* Copies the row's default into a fresh value. */
int config_key_default(const ConfigKey *k, ConfigValue *ret);
/* Frees what a value owns, for the row's type. */
void config_value_done(const ConfigKey *k, ConfigValue *v);
/* Moves v into the field (freeing the old content); v is emptied. */
void config_value_store(const ConfigKey *k, void *field, ConfigValue *v);
/* Reads the field as a value (borrowed, not copied). */
ConfigValue config_value_peek(const ConfigKey *k, const void *field);
int config_value_copy(const ConfigKey *k, const ConfigValue *v, ConfigValue *ret);
bool config_value_equal(const ConfigKey *k, const ConfigValue *a, const ConfigValue *b);
/* True when the field of object holds the row's default. */
bool config_key_is_default(const ConfigKey *k, const void *object);

/* Parses a command-line or string form: booleans true/false, integers, durations, lists split
 * at commas. Returns NULL or why the value is refused. */
const char *config_value_parse(const ConfigKey *k, const char *s, ConfigValue *ret);
/* Writes the value in TOML syntax. */
void config_value_write_toml(const ConfigKey *k, const ConfigValue *v, FILE *f, const char *indent);
void toml_write_string(FILE *f, const char *s);

/* Go's time.Duration text forms, as CRI-O reads and prints them. */
int duration_parse(const char *s, int64_t *ret_nsec);
char *duration_format(int64_t nsec, char *buf, size_t size);
#define DURATION_MAX_STRING 48
