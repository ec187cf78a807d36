/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* crio check and the daemon's internal_repair: finding damage in the image store and the containers'
 * storage, and removing what is damaged, as CRI-O does with containers/storage's Check and Repair:
 *
 *   layers      records of overlay-layers/layers.json that do not parse or repeat, layers whose
 *               directory is missing, layers no image uses (and unlisted layer directories, leftovers
 *               of interrupted writes) older than the maximum age
 *   images      records of overlay-images/images.json that do not parse or repeat, images missing a
 *               layer, their config or a manifest blob, or (unless quick) whose blobs do not match
 *               their digests
 *   containers  <root>/overlay-containers/<id> whose record (state.json) does not parse, that lack
 *               their writable layer, or whose image or image layers are gone; bundles without
 *               their container
 *
 * An index that does not parse at all counts as one damaged record and is repaired by rewriting it
 * with what is left (nothing, for that index). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "macro.h"

typedef enum StorageDamageKind {
        STORAGE_DAMAGE_LAYER,
        STORAGE_DAMAGE_IMAGE,
        STORAGE_DAMAGE_CONTAINER,
        _STORAGE_DAMAGE_KIND_MAX,
        _STORAGE_DAMAGE_KIND_INVALID = -EINVAL,
} StorageDamageKind;

const char *storage_damage_kind_to_string(StorageDamageKind k) _const_;
StorageDamageKind storage_damage_kind_from_string(const char *s) _pure_;

typedef struct StorageDamage {
        StorageDamageKind kind;
        char *id;               /* layer id, image id, container id, or "<index file>#<n>" */
        char *reason;
} StorageDamage;

typedef struct StorageCheckOptions {
        bool quick;                     /* blobs checked for presence only, not hashed */
        int64_t max_layer_age_usec;     /* unused layers older than this are damage; < 0: never */
} StorageCheckOptions;

/* containers/storage's default maximum age of an unreferenced layer. */
#define STORAGE_LAYER_AGE_DEFAULT_USEC (24ULL * 3600ULL * 1000000ULL)

typedef struct StorageCheckReport StorageCheckReport;

/* Reads the storage under c->root and c->runroot; changes nothing. -errno only when the storage
 * cannot be read at all. */
int storage_check(const Config *c, const StorageCheckOptions *o, StorageCheckReport **ret);
StorageCheckReport *storage_check_report_free(StorageCheckReport *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(StorageCheckReport *, storage_check_report_free);

const StorageDamage *storage_check_report_damage(const StorageCheckReport *r, size_t *ret_n);
/* The number of damaged items of a kind. */
unsigned storage_check_report_count(const StorageCheckReport *r, StorageDamageKind k) _pure_;
bool storage_check_report_has_errors(const StorageCheckReport *r) _pure_;

/* Removes the damaged layers and images (rewriting the indexes without them), and with
 * remove_containers the damaged containers (their units, mounts and files). Takes the store's lock:
 * -EBUSY while a crio runs on it. */
int storage_repair(const Config *c, const StorageCheckReport *r, bool remove_containers);

typedef struct StorageCheckCommand {
        bool repair;            /* --repair: remove damaged images and layers */
        bool force;             /* --force: remove damaged containers too */
        bool quick;             /* --quick */
        bool wipe;              /* --wipe: wipe the storage when the repair fails */
        int64_t max_layer_age_usec;
} StorageCheckCommand;

/* crio check: 0 when the storage is (or was made) sound, -errno otherwise, as CRI-O's exit status. */
int storage_check_command(const Config *c, const StorageCheckCommand *o);

/* The daemon's internal_repair: after an unclean shutdown, check and repair (containers included);
 * when the repair fails, wipe the storage. Call before the image store is opened. */
int storage_repair_at_start(const Config *c);
