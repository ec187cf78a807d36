/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* A string-keyed hash map with open addressing (linear probing, backward-shift deletion, so no
 * tombstones). Keys are not copied: each must stay valid while its entry is in the map, which suits
 * objects indexed by their own fields (a Pod by its id and its name). Values are not freed. */

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

typedef struct Hashmap Hashmap;

int hashmap_new(Hashmap **ret);
/* Frees the table only; keys and values belong to the caller. */
Hashmap *hashmap_free(Hashmap *h);
DEFINE_TRIVIAL_CLEANUP_FUNC(Hashmap *, hashmap_free);

/* -EEXIST if key is present (the map is unchanged), -EINVAL for a NULL key or value. */
int hashmap_put(Hashmap *h, const char *key, void *value);
/* NULL if absent. */
void *hashmap_get(const Hashmap *h, const char *key) _pure_;
/* Removes key and returns its value, NULL if absent. */
void *hashmap_remove(Hashmap *h, const char *key);
size_t hashmap_size(const Hashmap *h) _pure_;

/* Iteration: start with *state = 0; returns false at the end. Removing the entry just returned is
 * not allowed during the walk; collect first, then remove. */
bool hashmap_iterate(const Hashmap *h, size_t *state, const char **ret_key, void **ret_value);

/* The string hash (FNV-1a, 64 bit), exposed for the tests. */
uint64_t hashmap_string_hash(const char *s) _pure_;
