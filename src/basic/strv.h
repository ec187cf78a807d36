/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* NULL-terminated arrays of malloc()ed strings, the one string list type of the tree. */

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

char **strv_free(char **l);
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free);
#define _cleanup_strv_free_ _cleanup_(strv_freep)

size_t strv_length(char *const *l) _pure_;
static inline bool strv_isempty(char *const *l) {
        return !l || !*l;
}
bool strv_contains(char *const *l, const char *s) _pure_;
bool strv_equal(char *const *a, char *const *b) _pure_;

int strv_copy(char *const *l, char ***ret);
/* A new list of copies of the arguments, up to a NULL. */
int strv_new(char ***ret, const char *first, ...) _sentinel_;

/* Appends a copy of s. With s == NULL only makes sure *l exists (an empty list, not "unset").
 * On failure *l is untouched. */
int strv_push(char ***l, const char *s);
/* Appends s itself, taking ownership of it even on failure. */
int strv_consume(char ***l, char *s);
int strv_pushf(char ***l, const char *format, ...) _printf_(2, 3);
/* strv_push() of each argument up to a NULL. */
int strv_push_many(char ***l, ...) _sentinel_;
/* Appends s unless it is already there: 1 if added, 0 if present. */
int strv_extend_unique(char ***l, const char *s);
/* Removes every copy of s; returns how many. */
size_t strv_remove(char **l, const char *s);

int strv_join(char *const *l, const char *separator, char **ret);
