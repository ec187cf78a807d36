/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The plain records of the image store: an image with its names and the parts of its OCI config
 * the runtime needs, and an unpacked layer. JSON never reaches these (image-json.c translates). */

#include <stdbool.h>
#include <stdint.h>

#include "macro.h"

/* What CRI needs from the OCI image config. */
typedef struct ImageConfig {
        char *user;
        char **env;                     /* "KEY=value" */
        char **entrypoint;
        char **cmd;
        char *working_dir;
        char **labels;                  /* key, value, key, value, ..., NULL */
        char **volumes;                 /* paths */
        char **exposed_ports;           /* "80/tcp" */
        char *stop_signal;
        char *created;                  /* RFC 3339, as written in the config */
        char *author;
        char *architecture;
        char *os;
        char *variant;
        char **diff_ids;                /* rootfs.diff_ids, base layer first */
} ImageConfig;

void image_config_done(ImageConfig *c);
int image_config_copy(const ImageConfig *src, ImageConfig *ret);
/* The value of a label, NULL if unset. */
const char *image_config_label(const ImageConfig *c, const char *key) _pure_;

typedef struct ImageRecord {
        char *id;                       /* hex of the config digest: CRI's image id */
        char *config_digest;            /* "sha256:<id>" */
        char **names;                   /* tags, normalized: "docker.io/library/busybox:latest" */
        char **repo_digests;            /* "docker.io/library/busybox@sha256:..." */
        char **manifest_digests;        /* manifests kept in the blob store for this image */
        char **layers;                  /* diff ids, base layer first */
        uint64_t size;                  /* uncompressed layers plus config */
        uint64_t added_usec;            /* CLOCK_REALTIME when first stored */
        bool pinned;                    /* never removed */
        ImageConfig config;
} ImageRecord;

/* A record for config_digest (a valid digest), empty otherwise. */
int image_record_new(const char *config_digest, ImageRecord **ret);
ImageRecord *image_record_free(ImageRecord *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(ImageRecord *, image_record_free);
int image_record_copy(const ImageRecord *r, ImageRecord **ret);

/* Each returns 1 if added, 0 if already there. */
int image_record_add_name(ImageRecord *r, const char *name);
int image_record_add_repo_digest(ImageRecord *r, const char *repo_digest);
int image_record_add_manifest_digest(ImageRecord *r, const char *digest);
bool image_record_has_name(const ImageRecord *r, const char *name) _pure_;
/* True if digest is one of the image's manifest digests, or the digest part of a repo digest. */
bool image_record_has_digest(const ImageRecord *r, const char *digest) _pure_;

/* One unpacked layer: the directory <root>/overlay/<id>/diff. */
typedef struct ImageLayer {
        char *id;                       /* hex of diff_id */
        char *diff_id;                  /* sha256 of the uncompressed tar stream */
        char *compressed_digest;        /* the blob it came from, NULL if unknown */
        uint64_t size;                  /* uncompressed tar bytes */
        uint64_t compressed_size;
        unsigned n_refs;                /* images using it plus holds of pulls: kept in memory only */
        /* Disk use of overlay/<id>, measured once (at unpack, or at the first ImageFsInfo after a
         * start); memory only. */
        bool usage_known;
        uint64_t usage_bytes, usage_inodes;
} ImageLayer;

int image_layer_new(const char *diff_id, ImageLayer **ret);
ImageLayer *image_layer_free(ImageLayer *l);
DEFINE_TRIVIAL_CLEANUP_FUNC(ImageLayer *, image_layer_free);
