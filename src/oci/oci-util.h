/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Helpers of the OCI builder over string vectors (basic/strv.h): env entries, and key/value lists
 * stored flat as key, value, key, value, ..., NULL. */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "macro.h"
#include "strv.h"

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
