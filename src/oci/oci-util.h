/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* NULL-terminated string vectors ("strv") as the OCI builder passes them around: args, env, mount
 * options, and key/value lists stored flat as key, value, key, value, ..., NULL. */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "macro.h"

char **oci_strv_free(char **l);
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, oci_strv_free);

size_t oci_strv_length(char *const *l) _pure_;
bool oci_strv_contains(char *const *l, const char *s) _pure_;

/* Appends a copy of s; on failure l is unchanged. */
int oci_strv_push(char ***l, const char *s);
/* Appends s itself, taking ownership also on failure. */
int oci_strv_consume(char ***l, char *s);
/* A deep copy; NULL copies to an empty vector. */
int oci_strv_copy(char *const *l, char ***ret);
/* Builds a vector from the argument list, ended by NULL. */
int oci_strv_new(char ***ret, const char *first, ...);

/* env entries "KEY=VALUE": the key length, or 0 when there is no '='. */
size_t oci_env_key_length(const char *entry) _pure_;
/* Replaces the entry with the same key where it stands, or appends. */
int oci_env_set(char ***env, const char *key, const char *value);
/* The value of key in env, or NULL. */
const char *oci_env_get(char *const *env, const char *key) _pure_;

/* Flat key/value lists: sets key to value, replacing an existing value in place. */
int oci_pairs_set(char ***pairs, const char *key, const char *value);
const char *oci_pairs_get(char *const *pairs, const char *key) _pure_;

static inline void oci_fclosep(FILE **f) {
        if (*f)
                (void) fclose(*f);
        *f = NULL;
}
