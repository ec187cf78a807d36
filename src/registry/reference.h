/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Image references as the docker/containers tools write them: [domain/]path[:tag][@digest].
 *
 * A reference whose first path component does not look like a host (no '.', no ':', not "localhost")
 * is a short name: its domain stays NULL until registries.conf resolves it. Fully-qualified
 * references are normalized as docker does: "index.docker.io" becomes "docker.io", and a single
 * component on docker.io gets "library/". Plain libc only. */

#include <stdbool.h>

#include "macro.h"

#define REFERENCE_NAME_MAX 255          /* domain/path, without tag or digest */
#define REFERENCE_TAG_MAX 128
#define REFERENCE_DEFAULT_DOMAIN "docker.io"
#define REFERENCE_DEFAULT_TAG "latest"

typedef struct Reference {
        char *domain;           /* "docker.io", "localhost:5000"; NULL for a short name */
        char *path;             /* "library/busybox"; a short name keeps what was written */
        char *tag;              /* NULL when none was given */
        char *digest;           /* "sha256:<hex>", NULL when none was given */
} Reference;

Reference *reference_free(Reference *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(Reference *, reference_free);

/* Parses s. Returns 0, -ENOMEM, or -EINVAL with a reason in *ret_error (a static string, may be NULL).
 * A 64-character hex string is refused: it is an image ID, not a name. */
int reference_parse(const char *s, Reference **ret, const char **ret_error);

/* Like reference_parse(), but a short name is refused. */
int reference_parse_qualified(const char *s, Reference **ret, const char **ret_error);

static inline bool reference_is_short_name(const Reference *r) {
        return !r->domain;
}

/* Qualifies a short name (or replaces the domain of a qualified one) with domain, normalizing as
 * for parsing: ("busybox", "docker.io") gives docker.io/library/busybox. */
int reference_with_domain(const Reference *r, const char *domain, Reference **ret);

int reference_copy(const Reference *r, Reference **ret);

/* Sets tag "latest" when neither a tag nor a digest is present, as pulls do. */
int reference_default_tag(Reference *r);

/* "domain/path" (or just the path of a short name). */
char *reference_name(const Reference *r);
/* "domain/path[:tag][@digest]". */
char *reference_to_string(const Reference *r);

/* What to ask the registry for: the digest when present, the tag otherwise ("latest" if neither). */
const char *reference_manifest_reference(const Reference *r);

/* Checks the pieces separately; all return true when valid. */
bool reference_domain_is_valid(const char *s);
bool reference_path_is_valid(const char *s);
bool reference_tag_is_valid(const char *s);
bool reference_digest_is_valid(const char *s);
/* True if the first component of a name is a registry host: contains '.' or ':', or is "localhost",
 * or contains an upper-case letter (which a repository name cannot). */
bool reference_component_is_domain(const char *s, size_t n);
