/* SPDX-License-Identifier: Apache-2.0 */
#include <stdint.h>
#include <string.h>

#include "hashmap.h"

#define HASHMAP_MIN_BUCKETS 16U

typedef struct HashmapEntry {
        const char *key;        /* NULL: free bucket */
        void *value;
        uint64_t hash;
} HashmapEntry;

struct Hashmap {
        HashmapEntry *buckets;
        size_t n_buckets;       /* a power of two */
        size_t n_entries;
};

uint64_t hashmap_string_hash(const char *s) {
        uint64_t h = UINT64_C(14695981039346656037);

        for (; *s; s++) {
                h ^= (uint8_t) *s;
                h *= UINT64_C(1099511628211);
        }
        /* Mix the high bits down: the table index uses the low ones. */
        return h ^ (h >> 29);
}

int hashmap_new(Hashmap **ret) {
        Hashmap *h;

        h = calloc(1, sizeof(Hashmap));
        if (!h)
                return -ENOMEM;
        h->buckets = calloc(HASHMAP_MIN_BUCKETS, sizeof(HashmapEntry));
        if (!h->buckets)
                return free(h), -ENOMEM;
        h->n_buckets = HASHMAP_MIN_BUCKETS;
        *ret = h;
        return 0;
}

Hashmap *hashmap_free(Hashmap *h) {
        if (!h)
                return NULL;
        free(h->buckets);
        return mfree(h);
}

size_t hashmap_size(const Hashmap *h) {
        return h ? h->n_entries : 0;
}

static size_t find_slot(const Hashmap *h, const char *key, uint64_t hash) {
        size_t mask = h->n_buckets - 1;

        for (size_t i = hash & mask;; i = (i + 1) & mask) {
                const HashmapEntry *e = &h->buckets[i];

                if (!e->key || (e->hash == hash && strcmp(e->key, key) == 0))
                        return i;
        }
}

static int resize(Hashmap *h, size_t n_buckets) {
        HashmapEntry *old = h->buckets;
        size_t n_old = h->n_buckets;

        h->buckets = calloc(n_buckets, sizeof(HashmapEntry));
        if (!h->buckets) {
                h->buckets = old;
                return -ENOMEM;
        }
        h->n_buckets = n_buckets;
        for (size_t i = 0; i < n_old; i++)
                if (old[i].key)
                        h->buckets[find_slot(h, old[i].key, old[i].hash)] = old[i];
        free(old);
        return 0;
}

int hashmap_put(Hashmap *h, const char *key, void *value) {
        uint64_t hash;
        size_t i;
        int r;

        if (!h || !key || !value)
                return -EINVAL;
        /* Keep the load factor at or below 1/2, so probes stay short. */
        if ((h->n_entries + 1) * 2 > h->n_buckets) {
                r = resize(h, h->n_buckets * 2);
                if (r < 0)
                        return r;
        }
        hash = hashmap_string_hash(key);
        i = find_slot(h, key, hash);
        if (h->buckets[i].key)
                return -EEXIST;
        h->buckets[i] = (HashmapEntry) { .key = key, .value = value, .hash = hash };
        h->n_entries++;
        return 0;
}

void *hashmap_get(const Hashmap *h, const char *key) {
        size_t i;

        if (!h || !key)
                return NULL;
        i = find_slot(h, key, hashmap_string_hash(key));
        return h->buckets[i].key ? h->buckets[i].value : NULL;
}

void *hashmap_remove(Hashmap *h, const char *key) {
        size_t mask, i, j;
        void *value;

        if (!h || !key)
                return NULL;
        mask = h->n_buckets - 1;
        i = find_slot(h, key, hashmap_string_hash(key));
        if (!h->buckets[i].key)
                return NULL;
        value = h->buckets[i].value;

        /* Backward shift: move later entries of the probe run into the hole when their home
         * bucket does not lie (cyclically) between the hole and their current place. */
        for (j = (i + 1) & mask; h->buckets[j].key; j = (j + 1) & mask) {
                size_t home = h->buckets[j].hash & mask;

                if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) {
                        h->buckets[i] = h->buckets[j];
                        i = j;
                }
        }
        h->buckets[i] = (HashmapEntry) {};
        h->n_entries--;
        return value;
}

bool hashmap_iterate(const Hashmap *h, size_t *state, const char **ret_key, void **ret_value) {
        if (!h)
                return false;
        for (; *state < h->n_buckets; (*state)++) {
                const HashmapEntry *e = &h->buckets[*state];

                if (e->key) {
                        if (ret_key)
                                *ret_key = e->key;
                        if (ret_value)
                                *ret_value = e->value;
                        (*state)++;
                        return true;
                }
        }
        return false;
}
