/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Content-addressed blobs (manifests, configs, downloads) under <dir>/<algorithm>/<hex>. A blob
 * appears only complete and verified: writes go to a temp file beside it, are checked against the
 * digest and size, fsynced and renamed into place. Leftover temp files are removed at open. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

typedef struct BlobStore BlobStore;
typedef struct BlobWriter BlobWriter;

typedef enum BlobStoreFlags {
        /* Skip the fsyncs: the caller makes the blob durable (one syncfs for many files) before
         * anything names it. */
        BLOB_STORE_NO_SYNC = 1 << 0,
} BlobStoreFlags;

/* Opens (creating) the store in the directory name below parent_fd. */
int blob_store_open(int parent_fd, const char *name, BlobStore **ret);
BlobStore *blob_store_free(BlobStore *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(BlobStore *, blob_store_free);

/* 1 if present, 0 if not, -EINVAL for an invalid digest. */
int blob_store_has(BlobStore *s, const char *digest);
/* A read-only fd of the blob, -ENOENT if absent. */
int blob_store_open_blob(BlobStore *s, const char *digest, int *ret_fd);
/* Reads a blob of at most max bytes, NUL-terminated. */
int blob_store_read(BlobStore *s, const char *digest, size_t max, char **ret, size_t *ret_size);
/* Size of a stored blob. */
int blob_store_size(BlobStore *s, const char *digest, uint64_t *ret);
/* Stores data after checking it against digest (-EBADMSG on mismatch). */
int blob_store_put(BlobStore *s, const char *digest, const void *data, size_t size);
int blob_store_put_full(BlobStore *s, const char *digest, const void *data, size_t size, BlobStoreFlags flags);
int blob_store_remove(BlobStore *s, const char *digest);
/* Every stored digest, sorted. */
int blob_store_list(BlobStore *s, char ***ret);
/* Removes temp files of interrupted writes; returns how many. */
int blob_store_sweep(BlobStore *s);

/* Streaming write of one blob: expected_size negative if unknown. Writes fail with -EFBIG as soon
 * as the data exceeds the declared size. */
int blob_store_begin(BlobStore *s, const char *digest, int64_t expected_size, BlobWriter **ret);
int blob_writer_write(BlobWriter *w, const void *data, size_t size);
/* Verifies, fsyncs and renames the blob into place. The writer must still be freed. */
int blob_writer_commit(BlobWriter *w);
int blob_writer_commit_full(BlobWriter *w, BlobStoreFlags flags);
/* Frees the writer; an uncommitted blob is discarded. */
BlobWriter *blob_writer_free(BlobWriter *w);
DEFINE_TRIVIAL_CLEANUP_FUNC(BlobWriter *, blob_writer_free);
