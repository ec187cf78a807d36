/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The results of ADD on disk, in libcni's layout and keys, so that DEL works after a restart (and
 * crio and other libcni users read each other's entries):
 *   <cache_dir>/results/<network name>-<container id>-<ifname>
 *   {"kind": "cniCacheV1", "containerId", "config" (base64 of the network list), "ifName",
 *    "networkName", "netns", "cniArgs": [[k, v], ...], "capabilityArgs": {...}, "result": {...}} */

#include <stddef.h>

#include "cni-result.h"
#include "macro.h"

typedef struct CniCacheEntry {
        char *container_id;
        char *network_name;
        char *ifname;
        char *netns;
        char *config;           /* the network list JSON, decoded */
        char **cni_args;        /* key, value, ... NULL */
        char *capability_args;  /* JSON object or NULL */
        char *result;           /* JSON or NULL */
} CniCacheEntry;

CniCacheEntry *cni_cache_entry_free(CniCacheEntry *e);
DEFINE_TRIVIAL_CLEANUP_FUNC(CniCacheEntry *, cni_cache_entry_free);

/* Writes the entry crash-safely (temporary file and rename), creating the directories. */
int cni_cache_write(const char *cache_dir, const CniCacheEntry *e);
/* -ENOENT when there is no entry, -EBADMSG when it is not a cniCacheV1 entry. */
int cni_cache_read(const char *cache_dir, const char *network_name, const char *container_id,
                   const char *ifname, CniCacheEntry **ret);
/* 0 also when there was nothing to remove. */
int cni_cache_remove(const char *cache_dir, const char *network_name, const char *container_id,
                     const char *ifname);
/* Every entry of a container (all, with container_id NULL), sorted by file name; a
 * NULL-terminated array. Unreadable entries are skipped. */
int cni_cache_list(const char *cache_dir, const char *container_id, CniCacheEntry ***ret);
CniCacheEntry **cni_cache_entries_free(CniCacheEntry **l);

/* Serialization, for the cache and its tests. */
int cni_cache_entry_to_json(const CniCacheEntry *e, char **ret);
int cni_cache_entry_from_json(const char *json, size_t size, CniCacheEntry **ret);
