/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* OCI content digests ("sha256:<64 hex>", "sha512:<128 hex>") and a streaming verifier that checks
 * a blob against its digest and declared size while it arrives. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

typedef enum DigestAlgorithm {
        DIGEST_SHA256,
        DIGEST_SHA512,
        _DIGEST_ALGORITHM_MAX,
        _DIGEST_ALGORITHM_INVALID = -EINVAL,
} DigestAlgorithm;

#define DIGEST_HEX_MAX 128
/* "sha512:" + 128 hex + NUL */
#define DIGEST_STRING_MAX (7 + DIGEST_HEX_MAX + 1)

const char *digest_algorithm_to_string(DigestAlgorithm a) _const_;
DigestAlgorithm digest_algorithm_from_string(const char *s) _pure_;
/* Number of hex characters of the algorithm's encoded form, 0 for an invalid algorithm. */
size_t digest_algorithm_hex_length(DigestAlgorithm a) _const_;

typedef struct Digest {
        DigestAlgorithm algorithm;
        char hex[DIGEST_HEX_MAX + 1];
} Digest;

/* Strict: a registered algorithm, a colon and exactly the right number of lowercase hex digits,
 * as the OCI image spec requires for these two algorithms. -EINVAL otherwise. */
int digest_parse(const char *s, Digest *ret);
bool digest_is_valid(const char *s) _pure_;
/* The hex part of a valid digest string, NULL if s is not one. */
const char *digest_hex(const char *s) _pure_;
/* Formats d as "<algorithm>:<hex>" into buf (DIGEST_STRING_MAX bytes) and returns buf. */
char *digest_format(const Digest *d, char buf[static DIGEST_STRING_MAX]);

/* One-shot digest of a buffer, as a malloc()ed "<algorithm>:<hex>" string. */
int digest_compute(DigestAlgorithm a, const void *data, size_t size, char **ret);

typedef struct DigestVerifier DigestVerifier;

/* Verifies a stream against expected (a digest string) and expected_size (negative: unknown).
 * With expected == NULL the stream is only hashed, with algorithm. */
int digest_verifier_new(DigestAlgorithm algorithm, const char *expected, int64_t expected_size,
                        DigestVerifier **ret);
DigestVerifier *digest_verifier_free(DigestVerifier *v);
DEFINE_TRIVIAL_CLEANUP_FUNC(DigestVerifier *, digest_verifier_free);

/* Feeds data. Returns -EFBIG as soon as the stream grows past the declared size; once an update
 * failed, every later call fails the same way. */
int digest_verifier_update(DigestVerifier *v, const void *data, size_t size);
/* Ends the stream: -ENODATA when it is shorter than declared, -EBADMSG when the digest differs.
 * On success, and if ret_digest is non-NULL, returns the computed digest string. */
int digest_verifier_finish(DigestVerifier *v, char **ret_digest);
uint64_t digest_verifier_bytes(const DigestVerifier *v) _pure_;
