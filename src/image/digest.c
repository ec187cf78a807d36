/* SPDX-License-Identifier: Apache-2.0 */
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "digest.h"

static const char *const digest_algorithm_table[_DIGEST_ALGORITHM_MAX] = {
        [DIGEST_SHA256] = "sha256",
        [DIGEST_SHA512] = "sha512",
};

const char *digest_algorithm_to_string(DigestAlgorithm a) {
        if (a < 0 || a >= _DIGEST_ALGORITHM_MAX)
                return NULL;
        return digest_algorithm_table[a];
}

DigestAlgorithm digest_algorithm_from_string(const char *s) {
        if (!s)
                return _DIGEST_ALGORITHM_INVALID;
        for (DigestAlgorithm a = 0; a < _DIGEST_ALGORITHM_MAX; a++)
                if (strcmp(digest_algorithm_table[a], s) == 0)
                        return a;
        return _DIGEST_ALGORITHM_INVALID;
}

size_t digest_algorithm_hex_length(DigestAlgorithm a) {
        switch (a) {
        case DIGEST_SHA256:
                return 64;
        case DIGEST_SHA512:
                return 128;
        default:
                return 0;
        }
}

static const EVP_MD *digest_algorithm_md(DigestAlgorithm a) {
        switch (a) {
        case DIGEST_SHA256:
                return EVP_sha256();
        case DIGEST_SHA512:
                return EVP_sha512();
        default:
                return NULL;
        }
}

int digest_parse(const char *s, Digest *ret) {
        DigestAlgorithm a = _DIGEST_ALGORITHM_INVALID;
        const char *colon, *hex;
        size_t n;

        if (!s)
                return -EINVAL;
        colon = strchr(s, ':');
        if (!colon)
                return -EINVAL;
        for (DigestAlgorithm i = 0; i < _DIGEST_ALGORITHM_MAX; i++)
                if (strlen(digest_algorithm_table[i]) == (size_t) (colon - s) &&
                    strncmp(digest_algorithm_table[i], s, colon - s) == 0)
                        a = i;
        if (a < 0)
                return -EINVAL;

        hex = colon + 1;
        n = strlen(hex);
        if (n != digest_algorithm_hex_length(a))
                return -EINVAL;
        /* Uppercase is refused: the spec's encoded form is lowercase, and two spellings of one
         * digest would make two store entries. */
        if (strspn(hex, "0123456789abcdef") != n)
                return -EINVAL;

        if (ret) {
                ret->algorithm = a;
                memcpy(ret->hex, hex, n + 1);
        }
        return 0;
}

bool digest_is_valid(const char *s) {
        return digest_parse(s, NULL) >= 0;
}

const char *digest_hex(const char *s) {
        if (!digest_is_valid(s))
                return NULL;
        return strchr(s, ':') + 1;
}

char *digest_format(const Digest *d, char buf[static DIGEST_STRING_MAX]) {
        (void) snprintf(buf, DIGEST_STRING_MAX, "%s:%s", digest_algorithm_to_string(d->algorithm) ?: "?",
                        d->hex);
        return buf;
}

struct DigestVerifier {
        EVP_MD_CTX *ctx;
        DigestAlgorithm algorithm;
        char *expected;
        int64_t expected_size;
        uint64_t bytes;
        int error;
};

DigestVerifier *digest_verifier_free(DigestVerifier *v) {
        if (!v)
                return NULL;
        EVP_MD_CTX_free(v->ctx);
        free(v->expected);
        return mfree(v);
}

int digest_verifier_new(DigestAlgorithm algorithm, const char *expected, int64_t expected_size,
                        DigestVerifier **ret) {
        _cleanup_(digest_verifier_freep) DigestVerifier *v = NULL;
        Digest d;
        int r;

        if (expected) {
                r = digest_parse(expected, &d);
                if (r < 0)
                        return r;
                algorithm = d.algorithm;
        } else if (!digest_algorithm_md(algorithm))
                return -EINVAL;

        v = calloc(1, sizeof(*v));
        if (!v)
                return -ENOMEM;
        v->algorithm = algorithm;
        v->expected_size = expected_size < 0 ? -1 : expected_size;
        if (expected) {
                v->expected = strdup(expected);
                if (!v->expected)
                        return -ENOMEM;
        }
        v->ctx = EVP_MD_CTX_new();
        if (!v->ctx)
                return -ENOMEM;
        if (EVP_DigestInit_ex(v->ctx, digest_algorithm_md(algorithm), NULL) != 1)
                return -EIO;

        *ret = TAKE_PTR(v);
        return 0;
}

int digest_verifier_update(DigestVerifier *v, const void *data, size_t size) {
        if (v->error < 0)
                return v->error;
        /* Refuse before hashing, so an over-long stream is cut off at the first excess byte. */
        if (v->expected_size >= 0 && size > (uint64_t) v->expected_size - v->bytes)
                return (v->error = -EFBIG);
        if (size == 0)
                return 0;
        if (EVP_DigestUpdate(v->ctx, data, size) != 1)
                return (v->error = -EIO);
        v->bytes += size;
        return 0;
}

int digest_verifier_finish(DigestVerifier *v, char **ret_digest) {
        static const char hexchars[] = "0123456789abcdef";
        unsigned char md[EVP_MAX_MD_SIZE];
        Digest d = { .algorithm = v->algorithm };
        char buf[DIGEST_STRING_MAX];
        unsigned len = 0;

        if (v->error < 0)
                return v->error;
        if (v->expected_size >= 0 && v->bytes < (uint64_t) v->expected_size)
                return (v->error = -ENODATA);
        if (EVP_DigestFinal_ex(v->ctx, md, &len) != 1 || len * 2 != digest_algorithm_hex_length(v->algorithm))
                return (v->error = -EIO);
        for (unsigned i = 0; i < len; i++) {
                d.hex[i * 2] = hexchars[md[i] >> 4];
                d.hex[i * 2 + 1] = hexchars[md[i] & 15];
        }
        d.hex[len * 2] = 0;
        digest_format(&d, buf);

        /* Finalized contexts cannot be fed again. */
        v->error = -ESTALE;
        if (v->expected && strcmp(v->expected, buf) != 0)
                return -EBADMSG;
        if (ret_digest) {
                char *s = strdup(buf);
                if (!s)
                        return -ENOMEM;
                *ret_digest = s;
        }
        return 0;
}

uint64_t digest_verifier_bytes(const DigestVerifier *v) {
        return v->bytes;
}

int digest_compute(DigestAlgorithm a, const void *data, size_t size, char **ret) {
        _cleanup_(digest_verifier_freep) DigestVerifier *v = NULL;
        int r;

        r = digest_verifier_new(a, /* expected= */ NULL, /* expected_size= */ -1, &v);
        if (r < 0)
                return r;
        r = digest_verifier_update(v, data, size);
        if (r < 0)
                return r;
        return digest_verifier_finish(v, ret);
}
