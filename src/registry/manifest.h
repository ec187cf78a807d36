/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Image manifests and manifest lists as plain structs: Docker schema 2 and OCI manifests, Docker
 * manifest lists and OCI indexes, and the choice of one platform from a list as containers/image
 * makes it for CRI-O. JSON parsing lives in manifest-json.c. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

#define MEDIA_TYPE_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MEDIA_TYPE_DOCKER_MANIFEST_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MEDIA_TYPE_DOCKER_MANIFEST_V1 "application/vnd.docker.distribution.manifest.v1+json"
#define MEDIA_TYPE_DOCKER_MANIFEST_V1_SIGNED "application/vnd.docker.distribution.manifest.v1+prettyjws"
#define MEDIA_TYPE_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MEDIA_TYPE_OCI_INDEX "application/vnd.oci.image.index.v1+json"

/* What a manifest GET accepts, most wanted first. */
#define MANIFEST_ACCEPT                                                  \
        MEDIA_TYPE_OCI_INDEX ", " MEDIA_TYPE_DOCKER_MANIFEST_LIST ", "    \
        MEDIA_TYPE_OCI_MANIFEST ", " MEDIA_TYPE_DOCKER_MANIFEST

/* containers/image refuses manifests above 4 MiB. */
#define MANIFEST_SIZE_MAX (4U * 1024U * 1024U)

typedef enum ManifestKind {
        MANIFEST_KIND_IMAGE,    /* one image: config + layers */
        MANIFEST_KIND_INDEX,    /* a list of manifests by platform */
        _MANIFEST_KIND_MAX,
        _MANIFEST_KIND_INVALID = -EINVAL,
} ManifestKind;

const char *manifest_kind_to_string(ManifestKind k) _const_;
ManifestKind manifest_kind_from_string(const char *s) _pure_;

typedef struct Descriptor {
        char *media_type;
        char *digest;           /* "sha256:<hex>" */
        uint64_t size;
} Descriptor;

typedef struct Platform {
        char *os;
        char *architecture;
        char *variant;          /* NULL when none */
} Platform;

typedef struct Manifest {
        char *media_type;
        Descriptor config;
        Descriptor *layers;
        size_t n_layers;
} Manifest;

typedef struct IndexEntry {
        Descriptor descriptor;
        Platform platform;
        bool has_platform;
} IndexEntry;

typedef struct Index {
        char *media_type;
        IndexEntry *manifests;
        size_t n_manifests;
} Index;

void descriptor_done(Descriptor *d);
void platform_done(Platform *p);
Manifest *manifest_free(Manifest *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Manifest *, manifest_free);
Index *index_free(Index *i);
DEFINE_TRIVIAL_CLEANUP_FUNC(Index *, index_free);

/* Which kind the body is: by its Content-Type when that is one of ours, else by its own
 * "mediaType", else by shape ("manifests" or "layers"). Schema 1 is -EPROTONOSUPPORT, anything else
 * -EBADMSG. ret_media_type (optional) gets the media type to record (free() it). */
int manifest_detect(const char *body, size_t size, const char *content_type, ManifestKind *ret_kind,
                    char **ret_media_type);

/* -EBADMSG for malformed or inconsistent input (bad digests, a media type contradicting the body). */
int manifest_parse(const char *body, size_t size, const char *content_type, Manifest **ret);
int index_parse(const char *body, size_t size, const char *content_type, Index **ret);

/* The platforms a host accepts, most wanted first, as containers/image's WantedPlatforms: with a
 * variant, that variant and the less capable ones of the same architecture, then no variant; without
 * one, no variant and then the architecture's base variant (arm64: v8). */
int platform_wanted(const char *os, const char *architecture, const char *variant, Platform **ret, size_t *ret_n);
void platform_array_free(Platform *a, size_t n);

/* The host's os/architecture/variant in OCI (Go) names: linux, amd64/arm64/arm/386/ppc64le/s390x/...,
 * an ARM variant from /proc/cpuinfo. cpuinfo may be NULL for /proc/cpuinfo. */
int platform_host(const char *cpuinfo, Platform *ret);
const char *platform_architecture_from_machine(const char *machine);

/* The first entry matching the most wanted platform (os, architecture and variant all equal). NULL
 * when nothing matches. */
const IndexEntry *index_choose(const Index *index, const Platform *wanted, size_t n_wanted);
