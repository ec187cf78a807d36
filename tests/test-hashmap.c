/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>

#include "hashmap.h"
#include "tap.h"

#define N 1000

static void test_basic(void) {
        _cleanup_(hashmap_freep) Hashmap *h = NULL;
        int a = 1, b = 2;

        TAP_IS_INT(hashmap_new(&h), 0, "new");
        TAP_IS_INT(hashmap_size(h), 0, "empty");
        TAP_OK(!hashmap_get(h, "a"), "get on empty");
        TAP_IS_INT(hashmap_put(h, "a", &a), 0, "put a");
        TAP_IS_INT(hashmap_put(h, "a", &b), -EEXIST, "put a again: EEXIST");
        TAP_IS_INT(hashmap_put(h, NULL, &b), -EINVAL, "NULL key refused");
        TAP_IS_INT(hashmap_put(h, "b", NULL), -EINVAL, "NULL value refused");
        TAP_OK(hashmap_get(h, "a") == &a, "get a");
        TAP_OK(hashmap_remove(h, "b") == NULL, "remove absent");
        TAP_OK(hashmap_remove(h, "a") == &a, "remove a");
        TAP_IS_INT(hashmap_size(h), 0, "empty again");
        TAP_OK(!hashmap_free(NULL), "free(NULL)");
}

static void test_many(void) {
        _cleanup_(hashmap_freep) Hashmap *h = NULL;
        static char keys[N][16];
        static int values[N];
        size_t state = 0, seen = 0;
        const char *k;
        void *v;
        bool ok = true;

        TAP_IS_INT(hashmap_new(&h), 0, "new");
        for (int i = 0; i < N; i++) {
                snprintf(keys[i], sizeof(keys[i]), "key-%d", i);
                values[i] = i;
                ok = ok && hashmap_put(h, keys[i], &values[i]) == 0;
        }
        TAP_OK(ok, "%d puts", N);
        TAP_IS_INT(hashmap_size(h), N, "size");
        while (hashmap_iterate(h, &state, &k, &v))
                seen += (strcmp(k, keys[*(int *) v]) == 0);
        TAP_IS_INT(seen, N, "iteration sees every entry once with its value");

        /* Remove every other entry; the rest must stay reachable across the shifted runs. */
        for (int i = 0; i < N; i += 2)
                ok = ok && hashmap_remove(h, keys[i]) == &values[i];
        TAP_OK(ok, "removed the even keys");
        for (int i = 0; i < N; i++)
                ok = ok && (hashmap_get(h, keys[i]) == (i % 2 ? &values[i] : NULL));
        TAP_OK(ok, "odd keys found, even keys gone");
        TAP_IS_INT(hashmap_size(h), N / 2, "half left");
        for (int i = 1; i < N; i += 2)
                ok = ok && hashmap_remove(h, keys[i]) == &values[i];
        TAP_OK(ok && hashmap_size(h) == 0, "all removed");
}

static void test_hash(void) {
        TAP_OK(hashmap_string_hash("a") != hashmap_string_hash("b"), "hashes differ");
        TAP_OK(hashmap_string_hash("") == hashmap_string_hash(""), "hash is stable");
}

int main(void) {
        test_basic();
        test_many();
        test_hash();
        return tap_done();
}
