/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Unpacks an OCI layer tarball (plain, gzip or zstd) into an overlayfs-ready directory: OCI
 * whiteouts become overlay whiteouts (0/0 character devices) and opaque directories
 * (trusted.overlay.opaque=y). Nothing is ever created outside the target directory: paths are
 * resolved lexically, refused when they leave the layer, and every write goes through *at() calls
 * on directories opened without following symlinks. */

#include <stdbool.h>
#include <stdint.h>

/* Caps for a single layer, uncompressed. */
#define LAYER_UNPACK_MAX_SIZE_DEFAULT (UINT64_C(64) * 1024 * 1024 * 1024)
#define LAYER_UNPACK_MAX_ENTRIES_DEFAULT (UINT64_C(4) * 1024 * 1024)

typedef struct LayerUnpackOptions {
        uint64_t max_size;              /* cap on the uncompressed tar stream; 0: the default */
        uint64_t max_entries;           /* 0: the default */
        const char *compressed_digest;  /* if set, the input bytes are verified against it */
        int64_t compressed_size;        /* with compressed_digest: declared size, negative if unknown */
        bool allow_devices;             /* create block and character devices (else skipped) */
        bool allow_setuid;              /* keep setuid/setgid bits and file capabilities */
        bool preserve_ownership;        /* chown entries to the uid/gid of the tarball */
} LayerUnpackOptions;

/* The policy containers/storage applies: devices, setuid and owners only for root with a
 * root-owned store. */
int layer_unpack_options_for_store(int store_fd, LayerUnpackOptions *ret);

typedef struct LayerUnpackResult {
        char *diff_id;                  /* sha256 of the uncompressed tar stream */
        uint64_t size;                  /* bytes of the uncompressed tar stream */
        uint64_t compressed_size;       /* bytes read from the input */
        uint64_t n_entries;
} LayerUnpackResult;

void layer_unpack_result_done(LayerUnpackResult *r);

/* Reads the tarball from input_fd to its end and unpacks it into target_fd, which should be an
 * empty directory. Errors: -EPERM for an entry that would escape the layer (.. beyond the top,
 * hardlink outside, writing through a symlink), -EFBIG for an entry or stream beyond the caps,
 * -EBADMSG for a malformed archive or a compressed digest mismatch. The target is left half filled
 * on failure: callers unpack into a temporary directory. */
int layer_unpack(int input_fd, int target_fd, const LayerUnpackOptions *options, LayerUnpackResult *ret);

/* Normalizes a tar member name into a relative path without ".", ".." or empty components.
 * Leading "/" is dropped, as containers/storage does; ".." that climbs above the top is -EPERM.
 * The top directory itself yields "". */
int layer_path_normalize(const char *path, char **ret);
