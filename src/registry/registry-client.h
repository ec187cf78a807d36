/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The OCI distribution API over libcurl's multi interface, driven by sd-event: curl's sockets and
 * timer become sd-event io and time sources, so no transfer ever blocks the loop.
 *
 * A request fetches a manifest (kept in memory, at most 4 MiB, its digest checked when asked for by
 * digest) or streams a blob into the caller's write callback while its size and digest are checked.
 * Bearer challenges are answered by fetching a token (anonymously, with Basic credentials, or with an
 * identity token) and retrying; Basic challenges with the credentials. Transient failures (connection
 * errors, 429, 5xx) are retried with exponential backoff a limited number of times; a blob resumes
 * with a Range request. A transfer that makes no progress for the progress timeout is aborted.
 * Insecure targets get unverified TLS and fall back to plain HTTP when the TLS handshake fails. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "auth.h"
#include "macro.h"

typedef struct RegistryClient RegistryClient;
typedef struct RegistryRequest RegistryRequest;

#define REGISTRY_CLIENT_PROGRESS_TIMEOUT_DEFAULT_USEC (60U * 1000000U)
#define REGISTRY_CLIENT_MAX_RETRIES_DEFAULT 3U
#define REGISTRY_CLIENT_RETRY_DELAY_DEFAULT_USEC (250U * 1000U)
/* Where containers/image looks for per-registry TLS material: <dir>/<host[:port]>/{*.crt,*.cert,*.key} */
#define REGISTRY_CERTS_DIR "/etc/containers/certs.d"
#define REGISTRY_CERTS_DIR_DOCKER "/etc/docker/certs.d"

int registry_client_new(sd_event *event, RegistryClient **ret);
/* Cancels every request; no callback runs. */
RegistryClient *registry_client_free(RegistryClient *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(RegistryClient *, registry_client_free);

/* A transfer with no byte moved for this long is aborted with -ETIMEDOUT; 0 turns it off. */
void registry_client_set_progress_timeout(RegistryClient *c, uint64_t usec);
/* The certs.d directories to search, in order (NULL-terminated; replaces the default two). */
int registry_client_set_certs_dirs(RegistryClient *c, char *const *dirs);
/* Retries after the first attempt, and the first backoff delay (doubled each time). */
void registry_client_set_retries(RegistryClient *c, unsigned max_retries, uint64_t first_delay_usec);
/* How many requests are in flight or waiting to retry. */
size_t registry_client_pending(const RegistryClient *c);
/* The first request loads libcurl and makes the multi handle. Once no request is left this drops
 * both (kept-alive connections close) so that libcurl can be unloaded: 1 if it did, 0 if there was
 * nothing to drop, -EBUSY while requests remain. */
int registry_client_close_transport(RegistryClient *c);

/* Where a request goes; copied by the request. */
typedef struct RegistryTarget {
        const char *domain;                     /* host[:port] */
        const char *path;                       /* repository, "library/busybox" */
        bool insecure;                          /* unverified TLS, plain HTTP fallback */
        const RegistryCredentials *credentials; /* may be NULL: anonymous */
} RegistryTarget;

typedef struct RegistryManifestReply {
        const char *content_type;       /* as the registry sent it, may be NULL */
        const char *digest;             /* of the body, in the algorithm asked for ("sha256:" by default) */
        const char *body;
        size_t size;
} RegistryManifestReply;

/* error is 0 or: -ENOENT (404), -EACCES (401/403 after auth), -EBADMSG (digest mismatch), -EFBIG
 * (too large), -ETIMEDOUT (no progress), -ECONNREFUSED/-EHOSTUNREACH/-EIO (transport, after retries),
 * -EPROTO (unexpected HTTP status). registry_request_error_message() tells more. The request is
 * freed when the callback returns. */
typedef void (*registry_manifest_handler_t)(RegistryRequest *r, int error, const RegistryManifestReply *reply,
                                            void *userdata);
/* Called with each piece of a blob in order (never twice for a byte, even across retries). -EAGAIN
 * takes nothing and pauses the transfer until registry_request_resume(), which hands the same bytes
 * again; any other negative return aborts the request with that error. Must not start or cancel
 * requests. */
typedef int (*registry_blob_write_t)(const void *data, size_t size, void *userdata);
typedef void (*registry_blob_done_t)(RegistryRequest *r, int error, void *userdata);

/* reference: a tag or a digest. ret (optional) is borrowed, valid until the callback returns. */
int registry_client_get_manifest(RegistryClient *c, const RegistryTarget *t, const char *reference,
                                 registry_manifest_handler_t handler, void *userdata, RegistryRequest **ret);

/* size: the descriptor's size, UINT64_MAX when unknown. The blob is refused as soon as it grows past
 * size, and at the end unless its size and digest match. */
int registry_client_get_blob(RegistryClient *c, const RegistryTarget *t, const char *digest, uint64_t size,
                             registry_blob_write_t write, registry_blob_done_t done, void *userdata,
                             RegistryRequest **ret);

/* For a blob whose consumer hashes the bytes itself in the same pass: the request checks only the
 * size, and the consumer must check the digest. Call right after registry_client_get_blob(). */
void registry_request_set_caller_verifies(RegistryRequest *r);
/* Continues a blob transfer its write callback paused; does nothing if it is not paused. */
void registry_request_resume(RegistryRequest *r);

/* Stops a request; its callback does not run. Returns NULL. */
RegistryRequest *registry_request_cancel(RegistryRequest *r);
/* A human-readable reason for the failure passed to the callback, or NULL. */
const char *registry_request_error_message(const RegistryRequest *r);
/* Bytes delivered so far (blob) or received (manifest). */
uint64_t registry_request_bytes(const RegistryRequest *r);
