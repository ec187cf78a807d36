/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* crio wipe and the daemon's internal_wipe: removing what a reboot or an upgrade made stale, with
 * CRI-O's decisions (cmd/crio wipe, server.wipeIfAppropriate) on crio's own layout:
 *
 *   containers  <root>/overlay-containers/<id>/{diff,work,merged,state.json}, the bundle
 *               <runroot>/overlay-containers/<id>/userdata, the scopes crio-<id>.scope and
 *               crio-conmon-<id>.scope, the runtime's state <runtime_root>/<id>, the exit file
 *               and attach directory
 *   pods        /run/crio/pods/<id>/ (files, the /dev/shm mount, the "record"), the namespace pins
 *               under namespaces_dir, the slice crio made
 *   images      the image store under root; a wipe of images removes those the wiped containers
 *               were made from, as CRI-O does
 *
 * A pod whose record names a CNI network keeps its directory with only the record in it: the next
 * crio start finds it stale and runs the network's DEL from the CNI cache (pod_cleanup_stale()),
 * which no offline tool can do without the plugins' environment. */

#include <stdbool.h>

#include "config.h"
#include "storage-units.h"

/* CRI-O's marker: an unclean shutdown was already handled by crio wipe in this boot. */
#define STORAGE_WIPE_MARKER "/run/crio/crio-wipe-done"

typedef struct StorageWipeInputs {
        bool force;             /* crio wipe --force */
        bool containers_stale;  /* version_file stale: the node rebooted */
        bool images_stale;      /* version_file_persist stale: crio was upgraded */
        bool unclean;           /* the last crio did not stop cleanly */
        bool marker;            /* STORAGE_WIPE_MARKER exists */
        bool internal_wipe;     /* [crio] internal_wipe */
} StorageWipeInputs;

typedef struct StorageWipePlan {
        bool storage;           /* everything under root, after the containers and pods */
        bool mark;              /* then write STORAGE_WIPE_MARKER */
        bool containers;        /* every container and pod */
        bool images;            /* and the images those containers were made from */
} StorageWipePlan;

/* crio wipe: force wipes containers and their images. Otherwise containers go after a reboot and
 * images with them after an upgrade. A reboot after an unclean shutdown wipes the whole storage,
 * once per boot (the marker). With internal_wipe (and no force) the daemon does the rest. */
void storage_wipe_plan_command(const StorageWipeInputs *in, StorageWipePlan *ret);
/* The daemon at start, with internal_wipe: images after an upgrade (their containers too),
 * containers after a reboot. */
void storage_wipe_plan_daemon(const StorageWipeInputs *in, StorageWipePlan *ret);

/* The inputs read from c's files (force and internal_wipe from the arguments). */
void storage_wipe_inputs_read(const Config *c, bool force, StorageWipeInputs *ret);

/* What a pod's append-only "record" says (the last value of each key wins). */
typedef struct StoragePodRecord {
        char *slice;
        bool slice_created;
        char *network;
} StoragePodRecord;

void storage_pod_record_done(StoragePodRecord *r);
/* Parses "key=value" lines; an unfinished last line (a crash mid-append) is ignored. */
int storage_pod_record_parse(const char *text, StoragePodRecord *ret);

/* The names in dir that are crio ids (64 lowercase hex), sorted; an absent dir gives none. */
int storage_list_ids(const char *dir, char ***ret);

/* The image a container was made from, as far as can be told: its record's image_id, else the layers
 * of its mounted rootfs (*ret_layers, diff ids' hex, top first). Both may come back NULL. */
int storage_container_image(const Config *c, const char *id, char **ret_image_id, char ***ret_layers);

/* Images to remove: by id, or by the layers of a mounted rootfs when no record named one. */
typedef struct StorageImageRefs {
        char **ids;
        char ***layer_sets;     /* each a strv of layer ids (hex of the diff ids), top first */
        size_t n_layer_sets;
} StorageImageRefs;

void storage_image_refs_done(StorageImageRefs *r);
/* Adds an id (if not NULL and new) and a layer set (if not NULL; consumed, also on failure). */
int storage_image_refs_add(StorageImageRefs *r, const char *id, char **layers);

/* Tears one container down (units, mounts, runtime state, files); u may be NULL. */
int storage_wipe_container(const Config *c, StorageUnits *u, const char *id);
/* Every container; what they were made from is added to refs (may be NULL). Returns the number. */
int storage_wipe_containers(const Config *c, StorageUnits *u, StorageImageRefs *refs);
/* Every pod, and the 64-hex pins under namespaces_dir. Returns the number of pods. */
int storage_wipe_pods(const Config *c, StorageUnits *u);
/* Removes the images refs names from the store under root, pinned ones included (the image whose
 * layers equal a layer set, for those). Returns the number removed. */
int storage_wipe_images(const char *root, const StorageImageRefs *refs);
/* Removes everything under root and <runroot>/overlay-containers, the containers first (pods are
 * the caller's: they live elsewhere). */
int storage_wipe_root(const Config *c, StorageUnits *u);

/* Takes the image store's lock (storage.lock under root): -EBUSY while a crio runs on it. */
int storage_lock(const char *root, int *ret_fd);

/* Runs a plan. Returns 0, or the first failure after trying everything. */
int storage_wipe_execute(const Config *c, const StorageWipePlan *plan);

/* crio wipe [--force]: decides and runs, refusing while a crio holds the store. */
int storage_wipe_command(const Config *c, bool force);
