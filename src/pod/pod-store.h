/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The daemon's pods, by id and by name (k8s_POD_...). The store holds a reference to each. */

#include <stddef.h>

#include "hashmap.h"
#include "pod.h"

typedef struct PodStore {
        Hashmap *by_id;
        Hashmap *by_name;
} PodStore;

int pod_store_new(PodStore **ret);
PodStore *pod_store_free(PodStore *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(PodStore *, pod_store_free);

/* -EEXIST when the name (or, improbably, the id) is taken. */
int pod_store_add(PodStore *s, Pod *p);
/* Drops the store's reference: p may be freed unless the caller holds one. */
void pod_store_remove(PodStore *s, Pod *p);

Pod *pod_store_get(const PodStore *s, const char *id) _pure_;
Pod *pod_store_get_by_name(const PodStore *s, const char *name) _pure_;
/* A full id or a unique prefix of one, pods not visible (pod_is_visible()) left out: -ENOENT, or
 * -ENOTUNIQ when the prefix names several. */
int pod_store_find(const PodStore *s, const char *id_or_prefix, Pod **ret);
/* Every visible pod (pod_is_visible()), oldest first: a NULL-terminated array (free() it, the
 * pods stay the store's). */
int pod_store_list(const PodStore *s, Pod ***ret, size_t *ret_n);
size_t pod_store_size(const PodStore *s) _pure_;
