/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The local image store, laid out as containers/storage's overlay driver does:
 *
 *   <root>/overlay/<layer id>/diff      unpacked layers (id: hex of the diff id), overlay lowerdirs
 *   <root>/overlay-layers/layers.json   the layer index
 *   <root>/overlay-images/images.json   the image records
 *   <root>/overlay-blobs/<alg>/<hex>    manifests and configs
 *   <root>/storage.lock                 held while open: one daemon per store
 *
 * Every index update writes a temp file and renames it over the old one, in an order that keeps
 * the files consistent at every instant: a layer is on disk before the index lists it, and listed
 * before an image refers to it; an image is unlisted before its layers go. Layer files and blobs are
 * written without fsync; one syncfs() of the store's file system before the index write that first
 * names them makes them durable together (one per pulled image rather than one per file or layer). Opening the store
 * removes what an interrupted run left: temp files, half-unpacked layers, layers and blobs no
 * image uses.
 *
 * Single-threaded, like the daemon's event loop. Names are matched as given: callers normalize
 * references (docker.io/library/...) first. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "blob-store.h"
#include "image-record.h"
#include "layer-unpack.h"
#include "macro.h"

typedef struct ImageStore ImageStore;

/* Answers whether a container uses the image: > 0 yes, 0 no, < 0 error (refuses removal too). */
typedef int (*ImageStoreInUseFunc)(const ImageRecord *image, void *userdata);

int image_store_open(const char *root, ImageStore **ret);
ImageStore *image_store_free(ImageStore *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(ImageStore *, image_store_free);

const char *image_store_root(const ImageStore *s) _pure_;
BlobStore *image_store_blobs(ImageStore *s) _pure_;

/* Layers. */
typedef struct ImageLayerAddOptions {
        const char *compressed_digest;  /* verify the input against it (NULL: do not) */
        int64_t compressed_size;        /* negative: unknown */
        const char *expected_diff_id;   /* refuse the layer unless its tar stream hashes to this */
        const LayerUnpackOptions *unpack; /* NULL: the policy for the store's owner */
} ImageLayerAddOptions;

ImageLayer *image_store_get_layer(ImageStore *s, const char *diff_id) _pure_;
/* Unpacks a layer from input_fd into the store (into a temp dir, then renamed into place) and
 * returns it held: the caller passes it to an image or releases it. If the store has the layer
 * already, the new copy is dropped and the stored one held. */
int image_store_add_layer(ImageStore *s, int input_fd, const ImageLayerAddOptions *options, ImageLayer **ret);
/* The same in two steps, so the unpacking can run on a worker thread: image_store_unpack_layer()
 * touches no index and may run on any thread while the loop keeps using the store;
 * image_store_commit_layer() must run on the store's thread. Freeing an uncommitted result
 * deletes its temp directory. */
typedef struct ImageLayerUnpacked ImageLayerUnpacked;
int image_store_unpack_layer(ImageStore *s, int input_fd, const ImageLayerAddOptions *options,
                             ImageLayerUnpacked **ret);
int image_store_commit_layer(ImageStore *s, ImageLayerUnpacked *u, ImageLayer **ret);
ImageLayerUnpacked *image_layer_unpacked_free(ImageLayerUnpacked *u);
DEFINE_TRIVIAL_CLEANUP_FUNC(ImageLayerUnpacked *, image_layer_unpacked_free);
const char *image_layer_unpacked_diff_id(const ImageLayerUnpacked *u) _pure_;
/* Holds a stored layer so that removing images does not delete it while a pull still needs it. */
int image_store_hold_layer(ImageStore *s, const char *diff_id, ImageLayer **ret);
/* Drops a hold; the layer goes when nothing else uses it. */
void image_store_release_layer(ImageStore *s, ImageLayer *layer);
/* "<root>/overlay/<id>/diff" */
int image_store_layer_path(const ImageStore *s, const char *diff_id, char **ret);
/* The layer directories of an image, base layer first (overlay wants them reversed in lowerdir). */
int image_store_image_layer_paths(const ImageStore *s, const ImageRecord *image, char ***ret);

/* Images. */

/* Adds *image (consumed on success: *image is set to NULL), or merges its names, repo digests and
 * manifests into the stored image of the same id. Every layer must be stored. A name moves from
 * any other image to this one. The size is computed if unset. Returns the stored record. */
int image_store_add_image(ImageStore *s, ImageRecord **image, ImageRecord **ret);
/* By exact id or "sha256:<id>". */
ImageRecord *image_store_find_by_id(ImageStore *s, const char *id) _pure_;
ImageRecord *image_store_find_by_name(ImageStore *s, const char *name) _pure_;
/* By "repo@digest", or by a bare manifest digest. */
ImageRecord *image_store_find_by_digest(ImageStore *s, const char *digest) _pure_;
/* By a unique id prefix: -ENOENT if none, -ENOTUNIQ if several match. */
int image_store_find_by_id_prefix(ImageStore *s, const char *prefix, ImageRecord **ret);
/* Tries id, name, digest, then id prefix, as CRI-O resolves a reference it was given. */
int image_store_find(ImageStore *s, const char *ref, ImageRecord **ret);
/* The records in insertion order; the array belongs to the store. */
ImageRecord *const *image_store_images(ImageStore *s, size_t *ret_n);

/* The check RemoveImage asks before removing: set by the container subsystem, which knows which
 * images its containers run. Without one, no image counts as in use. */
void image_store_set_in_use_hook(ImageStore *s, ImageStoreInUseFunc in_use, void *userdata);

/* Removes an image: -EBUSY if pinned or in use (asked of in_use if not NULL, and of the store's hook),
 * -ENOENT if unknown. Its layers and blobs go when no other image uses them. */
int image_store_remove_image(ImageStore *s, const char *id, ImageStoreInUseFunc in_use, void *userdata);
/* Removes one name from the image holding it; 0 if no image had it, 1 otherwise. */
int image_store_remove_name(ImageStore *s, const char *name);
int image_store_set_pinned(ImageStore *s, const char *id, bool pinned);

/* Stores a manifest or config blob without its own fsyncs: the syncfs() that precedes the next
 * image index write covers it. Add the image that names it right after. */
int image_store_put_blob(ImageStore *s, const char *digest, const void *data, size_t size);

/* ImageFsInfo: bytes allocated and inodes used under the store's root. Layers count what they
 * measured when unpacked, so only the store's metadata is walked; layers being unpacked are not
 * counted yet. */
int image_store_usage(ImageStore *s, uint64_t *ret_bytes, uint64_t *ret_inodes);
