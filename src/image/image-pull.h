/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Pulling images from registries into the image store, asynchronously on the daemon's sd-event loop.
 *
 * An ImagePuller owns the registry client and the pulls in flight. A pull resolves the name through
 * registries.conf (short names, aliases, mirrors, blocked registries), tries each candidate and each
 * of its pull sources in order, fetches the manifest (choosing the host's platform from an index),
 * the config and every layer, and adds the image record once every layer is unpacked and checked
 * against the config's diff ids. Layer blobs download a few at a time, each streamed through a pipe
 * into its own unpacking thread, which checks the blob's digest and size and the layer's diff id in
 * the same pass; compressed blobs are not kept.
 *
 * Sharing: a pull of an image already being pulled joins it (one more waiter); pulls of different
 * images that share a layer blob fetch and unpack it once. On failure nothing of the pull stays:
 * layers it alone held are dropped and its manifests and config are never stored. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "auth.h"
#include "image-record.h"
#include "image-store.h"
#include "macro.h"
#include "reference.h"
#include "registries-conf.h"

typedef struct ImagePuller ImagePuller;
typedef struct ImagePullWaiter ImagePullWaiter;

#define IMAGE_PULL_MAX_CONCURRENT_BLOBS_DEFAULT 3U
#define IMAGE_PULL_PROGRESS_INTERVAL_USEC (5U * 1000000U)
/* How long after the last pull libcurl and libarchive stay loaded: kubelet pulls one image after the
 * other, and loading them again costs a few milliseconds. */
#define IMAGE_PULL_UNLOAD_DELAY_USEC (10U * 1000000U)
/* The pipe between a download and its unpacking thread (Linux's default pipe-max-size). */
#define IMAGE_PULL_PIPE_SIZE (1024 * 1024)
/* Configs are small JSON documents; refuse anything absurd. */
#define IMAGE_PULL_CONFIG_SIZE_MAX (8U * 1024U * 1024U)

typedef struct ImagePullerSettings {
        const char *registries_conf;            /* NULL: REGISTRIES_CONF_PATH */
        const char *registries_conf_dir;        /* NULL: REGISTRIES_CONF_DROPIN_DIR, "": none */
        const char *global_auth_file;           /* [crio.image] global_auth_file, NULL or "": none */
        char *const *insecure_registries;       /* [crio.image] insecure_registries, NULL-terminated */
        uint64_t progress_timeout_usec;         /* 0: no progress timeout, as CRI-O's pull_progress_timeout */
        unsigned max_concurrent_blobs;          /* 0: IMAGE_PULL_MAX_CONCURRENT_BLOBS_DEFAULT */
        uint64_t progress_interval_usec;        /* 0: IMAGE_PULL_PROGRESS_INTERVAL_USEC */
        uint64_t unload_delay_usec;             /* 0: IMAGE_PULL_UNLOAD_DELAY_USEC */
} ImagePullerSettings;

int image_puller_new(sd_event *event, ImageStore *store, const ImagePullerSettings *settings, ImagePuller **ret);
/* Cancels every pull (no callback runs) and waits for unpacking threads. */
ImagePuller *image_puller_free(ImagePuller *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(ImagePuller *, image_puller_free);

/* How many pulls and blob fetches are in flight. */
size_t image_puller_n_pulls(const ImagePuller *p) _pure_;
size_t image_puller_n_fetches(const ImagePuller *p) _pure_;

/* On success image is the stored record (valid until the store changes) and message NULL; on
 * failure error is a negative errno and message says what failed, naming the registry or blob.
 * The waiter is gone once this returns. */
typedef void (*image_pull_done_t)(int error, const char *message, const ImageRecord *image, void *userdata);

/* Starts (or joins) a pull of image as a client names it. credentials (may be NULL) are copied and
 * win over the auth files. ret (optional) lets the caller cancel its wait. The callback never runs
 * before this returns. */
int image_puller_pull(ImagePuller *p, const char *image, const RegistryCredentials *credentials,
                      image_pull_done_t done, void *userdata, ImagePullWaiter **ret);
/* Stops waiting: the callback does not run. The pull goes on for the other waiters; without any, it
 * is cancelled and leaves nothing in the store. */
ImagePullWaiter *image_pull_waiter_cancel(ImagePullWaiter *w);

/* Finds a stored image as CRI calls name it: id, "sha256:<id>", unique id prefix, a full name, a
 * name@digest, or a short name through the registries.conf candidates. -ENOENT if none. */
int image_puller_find(ImagePuller *p, const char *name, ImageRecord **ret);

/* Pure helpers, exposed for tests. */

/* The key under which concurrent pulls of the same thing meet: the normalized reference with its
 * default tag, or the name as written for a short name. */
int image_pull_key(const char *image, char **ret);

/* True when the registry (host[:port]) is plain-HTTP-or-unverified by default, as CRI-O treats
 * loopback: "localhost", 127.0.0.0/8 and [::1], any port. */
bool registry_domain_is_loopback(const char *domain) _pure_;
/* True when domain is listed in insecure (NULL-terminated; an entry may carry a path or a CIDR-less
 * host), or is loopback. */
bool registry_domain_is_insecure(const char *domain, char *const *insecure) _pure_;

/* CRI-O's pinned_images patterns: "*" matches everything, a leading "*" matches a suffix, a
 * trailing "*" a prefix, anything else the whole name exactly. */
bool image_pinned_pattern_match(const char *pattern, const char *name) _pure_;
/* True if one of the record's names matches one of patterns (NULL-terminated) or equals
 * pause_image (normalized first; may be NULL). */
bool image_record_matches_pinned(const ImageRecord *r, char *const *patterns, const char *pause_image);

/* "uid[:gid]" or "name[:group]" from the config's User: *ret_uid set (and ret_has_uid true) for a
 * numeric user, else ret_username points into user (length in ret_username_len). Empty: neither. */
void image_user_split(const char *user, bool *ret_has_uid, int64_t *ret_uid, const char **ret_username,
                      size_t *ret_username_len);
