/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Small NULL-terminated string array helpers of the image store. Named apart from any global strv
 * helpers so the store builds on its own. */

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

char **image_strv_free(char **l);
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, image_strv_free);
size_t image_strv_length(char *const *l) _pure_;
bool image_strv_contains(char *const *l, const char *s) _pure_;
int image_strv_copy(char *const *l, char ***ret);
/* Appends a copy of s; -ENOMEM on failure, leaving *l untouched. */
int image_strv_extend(char ***l, const char *s);
/* Appends s unless already present. Returns 1 if added, 0 if present. */
int image_strv_extend_unique(char ***l, const char *s);
/* Removes every copy of s; returns the number removed. */
size_t image_strv_remove(char **l, const char *s);
bool image_strv_equal(char *const *a, char *const *b) _pure_;
