/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "image-util.h"

char **image_strv_free(char **l) {
        for (char **i = l; i && *i; i++)
                free(*i);
        return mfree(l);
}

size_t image_strv_length(char *const *l) {
        size_t n = 0;

        while (l && l[n])
                n++;
        return n;
}

bool image_strv_contains(char *const *l, const char *s) {
        for (char *const *i = l; i && *i; i++)
                if (strcmp(*i, s) == 0)
                        return true;
        return false;
}

int image_strv_copy(char *const *l, char ***ret) {
        _cleanup_(image_strv_freep) char **c = NULL;
        size_t n = image_strv_length(l);

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

int image_strv_extend(char ***l, const char *s) {
        size_t n = image_strv_length(*l);
        _cleanup_free_ char *copy = NULL;
        char **nl;

        copy = strdup(s);
        if (!copy)
                return -ENOMEM;
        nl = realloc(*l, (n + 2) * sizeof(char *));
        if (!nl)
                return -ENOMEM;
        nl[n] = TAKE_PTR(copy);
        nl[n + 1] = NULL;
        *l = nl;
        return 0;
}

int image_strv_extend_unique(char ***l, const char *s) {
        int r;

        if (image_strv_contains(*l, s))
                return 0;
        r = image_strv_extend(l, s);
        return r < 0 ? r : 1;
}

size_t image_strv_remove(char **l, const char *s) {
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

bool image_strv_equal(char *const *a, char *const *b) {
        size_t n = image_strv_length(a);

        if (n != image_strv_length(b))
                return false;
        for (size_t i = 0; i < n; i++)
                if (strcmp(a[i], b[i]) != 0)
                        return false;
        return true;
}
