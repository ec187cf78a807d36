/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* /etc/containers/registries.conf (version 2) and its registries.conf.d/ drop-ins: the search list for
 * short names, short-name aliases, and per-registry settings (location rewrite, insecure, blocked,
 * mirrors). Merged as containers/image does: files in lexical order, a later file's
 * unqualified-search-registries and short-name-mode replace earlier ones, aliases merge key by key,
 * and a [[registry]] with a prefix seen before replaces that entry. */

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"
#include "reference.h"

#define REGISTRIES_CONF_PATH "/etc/containers/registries.conf"
#define REGISTRIES_CONF_DROPIN_DIR "/etc/containers/registries.conf.d"

typedef enum ShortNameMode {
        SHORT_NAME_MODE_UNSET,
        SHORT_NAME_MODE_DISABLED,
        SHORT_NAME_MODE_PERMISSIVE,
        SHORT_NAME_MODE_ENFORCING,
        _SHORT_NAME_MODE_MAX,
        _SHORT_NAME_MODE_INVALID = -EINVAL,
} ShortNameMode;

typedef enum PullFromMirror {
        PULL_FROM_MIRROR_ALL,
        PULL_FROM_MIRROR_DIGEST_ONLY,
        PULL_FROM_MIRROR_TAG_ONLY,
        _PULL_FROM_MIRROR_MAX,
        _PULL_FROM_MIRROR_INVALID = -EINVAL,
} PullFromMirror;

const char *short_name_mode_to_string(ShortNameMode m) _const_;
ShortNameMode short_name_mode_from_string(const char *s) _pure_;
const char *pull_from_mirror_to_string(PullFromMirror p) _const_;
PullFromMirror pull_from_mirror_from_string(const char *s) _pure_;

typedef struct RegistryMirror {
        char *location;
        bool insecure;
        PullFromMirror pull_from_mirror;
} RegistryMirror;

typedef struct RegistryEntry {
        char *prefix;           /* "example.com/ns", or "*.example.com" */
        char *location;         /* where pulls really go; NULL only for a wildcard prefix */
        bool insecure;
        bool blocked;
        bool mirror_by_digest_only;
        RegistryMirror *mirrors;
        size_t n_mirrors;
} RegistryEntry;

typedef struct RegistryAlias {
        char *name;             /* short name, no tag or digest */
        char *value;            /* fully-qualified name, no tag or digest */
} RegistryAlias;

typedef struct RegistriesConf {
        char **search;          /* unqualified-search-registries, in order */
        size_t n_search;
        ShortNameMode short_name_mode;
        RegistryAlias *aliases;
        size_t n_aliases;
        RegistryEntry *registries;
        size_t n_registries;
} RegistriesConf;

int registries_conf_new(RegistriesConf **ret);
RegistriesConf *registries_conf_free(RegistriesConf *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(RegistriesConf *, registries_conf_free);

/* Merges one file into c. On a bad file returns -EBADMSG (or the errno of reading it), logs, and
 * if ret_error is not NULL stores "path:line: message" there (free() it). c is left unchanged. */
int registries_conf_load_file(RegistriesConf *c, const char *path, char **ret_error);

/* Loads path (missing is fine) and then every *.conf in dropin_dir (missing is fine) in lexical
 * order. Either may be NULL. */
int registries_conf_load(const char *path, const char *dropin_dir, RegistriesConf **ret, char **ret_error);

/* The entry whose prefix matches the name (domain/path) longest, or NULL. */
const RegistryEntry *registries_conf_find(const RegistriesConf *c, const Reference *r);

/* Turns what a client asked for into fully-qualified references to try, in order, each with a tag
 * (default "latest") or a digest (a tag is dropped when a digest is present, as CRI-O does).
 * Short names resolve as containers/image does in short-name mode "disabled", which is what CRI-O
 * forces for CRI pulls (no prompt is possible in a daemon, and it has no shortname alias table
 * it trusts): an alias wins and is the only candidate; otherwise every unqualified-search registry,
 * in order; none configured is an error (-ENOENT). A bad name is -EINVAL. ret_error gets a message
 * on failure. */
int registries_conf_resolve(const RegistriesConf *c, const char *image, Reference ***ret_candidates,
                            size_t *ret_n, char **ret_error);

void reference_array_free(Reference **a, size_t n);

/* One place to pull a qualified reference from: a mirror or the registry's own location. */
typedef struct PullSource {
        Reference *reference;   /* rewritten to the endpoint's location */
        bool insecure;
        bool mirror;
} PullSource;

void pull_source_array_free(PullSource *a, size_t n);

/* The endpoints to try for r, mirrors first (those allowed for a tag or a digest pull), then the
 * primary location. -EACCES when the matching registry is blocked. */
int registries_conf_pull_sources(const RegistriesConf *c, const Reference *r, PullSource **ret, size_t *ret_n,
                                 char **ret_error);
