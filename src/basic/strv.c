/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "strv.h"

char **strv_free(char **l) {
        for (char **i = l; i && *i; i++)
                free(*i);
        free(l);
        return NULL;
}

size_t strv_length(char *const *l) {
        size_t n = 0;

        while (l && l[n])
                n++;
        return n;
}

bool strv_contains(char *const *l, const char *s) {
        for (; l && *l; l++)
                if (strcmp(*l, s) == 0)
                        return true;
        return false;
}

bool strv_equal(char *const *a, char *const *b) {
        size_t n = strv_length(a);

        if (n != strv_length(b))
                return false;
        for (size_t i = 0; i < n; i++)
                if (strcmp(a[i], b[i]) != 0)
                        return false;
        return true;
}

int strv_copy(char *const *l, char ***ret) {
        size_t n = strv_length(l);
        _cleanup_strv_free_ char **c = NULL;

        c = calloc(n + 1, sizeof(char *));
        if (!c)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                c[i] = strdup(l[i]);
                if (!c[i])
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(c);
        return 0;
}

int strv_new(char ***ret, const char *first, ...) {
        _cleanup_strv_free_ char **c = calloc(1, sizeof(char *));
        va_list ap;
        int r = 0;

        if (!c)
                return -ENOMEM;
        va_start(ap, first);
        for (const char *s = first; s; s = va_arg(ap, const char *)) {
                r = strv_push(&c, s);
                if (r < 0)
                        break;
        }
        va_end(ap);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}

int strv_consume(char ***l, char *s) {
        size_t n = strv_length(*l);
        char **c;

        c = reallocarray(*l, n + 2, sizeof(char *));
        if (!c) {
                free(s);
                return -ENOMEM;
        }
        c[n] = s;
        if (s)
                c[n + 1] = NULL;
        *l = c;
        return 0;
}

int strv_push(char ***l, const char *s) {
        char *copy = NULL;

        if (s) {
                copy = strdup(s);
                if (!copy)
                        return -ENOMEM;
        }
        return strv_consume(l, copy);
}

int strv_push_many(char ***l, ...) {
        va_list ap;
        int r = 0;

        va_start(ap, l);
        for (const char *s; (s = va_arg(ap, const char *)); ) {
                r = strv_push(l, s);
                if (r < 0)
                        break;
        }
        va_end(ap);
        return r;
}

int strv_pushf(char ***l, const char *format, ...) {
        va_list ap;
        char *s;
        int r;

        va_start(ap, format);
        r = vasprintf(&s, format, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return strv_consume(l, s);
}

int strv_extend_unique(char ***l, const char *s) {
        int r;

        if (strv_contains(*l, s))
                return 0;
        r = strv_push(l, s);
        return r < 0 ? r : 1;
}

size_t strv_remove(char **l, const char *s) {
        size_t removed = 0;
        char **w = l;

        if (!l)
                return 0;
        for (char **i = l; *i; i++) {
                if (strcmp(*i, s) == 0) {
                        free(*i);
                        removed++;
                } else
                        *w++ = *i;
        }
        *w = NULL;
        return removed;
}

int strv_join(char *const *l, const char *separator, char **ret) {
        size_t len = 1, sep_len = strlen(separator);
        char *s, *p;

        for (char *const *i = l; i && *i; i++)
                len += strlen(*i) + sep_len;
        s = p = malloc(len);
        if (!s)
                return -ENOMEM;
        *p = '\0';
        for (char *const *i = l; i && *i; i++) {
                if (i != l)
                        p = stpcpy(p, separator);
                p = stpcpy(p, *i);
        }
        *ret = s;
        return 0;
}
