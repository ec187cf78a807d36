/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "container.h"
#include "pod-store.h"

int pod_store_new(PodStore **ret) {
        _cleanup_(pod_store_freep) PodStore *s = NULL;
        int r;

        s = calloc(1, sizeof(PodStore));
        if (!s)
                return -ENOMEM;
        r = hashmap_new(&s->by_id);
        if (r < 0)
                return r;
        r = hashmap_new(&s->by_name);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

PodStore *pod_store_free(PodStore *s) {
        size_t state = 0;
        void *v;

        if (!s)
                return NULL;
        while (hashmap_iterate(s->by_id, &state, NULL, &v)) {
                Pod *p = v;

                /* The infra container holds the pod: let go of it first. */
                p->infra = container_unref(p->infra);
                pod_unref(p);
        }
        hashmap_free(s->by_id);
        hashmap_free(s->by_name);
        return mfree(s);
}

int pod_store_add(PodStore *s, Pod *p) {
        int r;

        if (hashmap_get(s->by_name, p->name))
                return -EEXIST;
        r = hashmap_put(s->by_id, p->id, p);
        if (r < 0)
                return r;
        r = hashmap_put(s->by_name, p->name, p);
        if (r < 0) {
                (void) hashmap_remove(s->by_id, p->id);
                return r;
        }
        pod_ref(p);
        return 0;
}

void pod_store_remove(PodStore *s, Pod *p) {
        if (hashmap_get(s->by_id, p->id) != p)
                return;
        (void) hashmap_remove(s->by_id, p->id);
        if (hashmap_get(s->by_name, p->name) == p)
                (void) hashmap_remove(s->by_name, p->name);
        pod_unref(p);
}

Pod *pod_store_get(const PodStore *s, const char *id) {
        return s ? hashmap_get(s->by_id, id) : NULL;
}

Pod *pod_store_get_by_name(const PodStore *s, const char *name) {
        return s ? hashmap_get(s->by_name, name) : NULL;
}

int pod_store_find(const PodStore *s, const char *id_or_prefix, Pod **ret) {
        Pod *p, *found = NULL;
        size_t state = 0, n;
        void *v;

        if (!s || !id_or_prefix || !*id_or_prefix)
                return -ENOENT;
        p = hashmap_get(s->by_id, id_or_prefix);
        if (p) {
                if (!pod_is_visible(p))
                        return -ENOENT;
                *ret = p;
                return 0;
        }
        n = strlen(id_or_prefix);
        while (hashmap_iterate(s->by_id, &state, NULL, &v)) {
                p = v;
                if (!pod_is_visible(p) || strncmp(p->id, id_or_prefix, n) != 0)
                        continue;
                if (found)
                        return -ENOTUNIQ;
                found = p;
        }
        if (!found)
                return -ENOENT;
        *ret = found;
        return 0;
}

static int compare_created(const void *a, const void *b) {
        const Pod *x = *(Pod *const *) a, *y = *(Pod *const *) b;

        return x->created_at < y->created_at ? -1 : x->created_at > y->created_at ? 1 : strcmp(x->id, y->id);
}

int pod_store_list(const PodStore *s, Pod ***ret, size_t *ret_n) {
        size_t state = 0, n = 0;
        Pod **l;
        void *v;

        l = calloc(hashmap_size(s ? s->by_id : NULL) + 1, sizeof(Pod *));
        if (!l)
                return -ENOMEM;
        while (s && hashmap_iterate(s->by_id, &state, NULL, &v))
                if (pod_is_visible(v))
                        l[n++] = v;
        if (n > 1)
                qsort(l, n, sizeof(Pod *), compare_created);
        *ret = l;
        if (ret_n)
                *ret_n = n;
        return 0;
}

size_t pod_store_size(const PodStore *s) {
        return s ? hashmap_size(s->by_id) : 0;
}
