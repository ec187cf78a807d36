/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The JSON that wipe and check read and write outside the image store's own serializer: the
 * version stamps (a JSON string, as CRI-O's semver marshals it), the elements of the store's index
 * arrays one at a time, and the image a container record names. json-glib stays in this file. */

#include <stddef.h>

/* "\"1.36.0+<commit>\"" for version "1.36.0" and commit (NULL or empty: none). */
int storage_version_to_json(const char *version, const char *commit, char **ret);
/* The string inside a JSON string document; -EBADMSG for anything else. */
int storage_version_from_json(const char *json, size_t size, char **ret);

/* Each element of a JSON array, re-serialized on its own, in order (a NULL-terminated strv).
 * -EBADMSG when the document is not an array. */
int storage_json_array_split(const char *json, size_t size, char ***ret);

/* A container's record (<root>/overlay-containers/<id>/state.json): -EBADMSG unless it is a JSON
 * object. *ret_image_id is the image it was made from ("image_id"; "sha256:" prefix stripped), NULL
 * when the record names none. */
int storage_container_record_image(const char *json, size_t size, char **ret_image_id);
