/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "digest.h"
#include "tap.h"

#define ABC_SHA256 "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define ABC_SHA512 "sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a" \
                   "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"

static void test_parse(void) {
        Digest d;
        char buf[DIGEST_STRING_MAX];

        for (DigestAlgorithm a = 0; a < _DIGEST_ALGORITHM_MAX; a++)
                TAP_IS_INT(digest_algorithm_from_string(digest_algorithm_to_string(a)), a,
                           "algorithm %d round-trips", a);
        TAP_IS_INT(digest_algorithm_from_string("md5"), _DIGEST_ALGORITHM_INVALID, "md5 refused");
        TAP_IS_INT(digest_algorithm_from_string(NULL), _DIGEST_ALGORITHM_INVALID, "NULL refused");
        TAP_OK(!digest_algorithm_to_string(_DIGEST_ALGORITHM_MAX), "out of range has no name");

        TAP_IS_INT(digest_parse(ABC_SHA256, &d), 0, "sha256 digest parses");
        TAP_IS_INT(d.algorithm, DIGEST_SHA256, "algorithm sha256");
        TAP_IS_STR(digest_format(&d, buf), ABC_SHA256, "formats back");
        TAP_IS_INT(digest_parse(ABC_SHA512, &d), 0, "sha512 digest parses");
        TAP_IS_INT(d.algorithm, DIGEST_SHA512, "algorithm sha512");
        TAP_IS_STR(digest_hex(ABC_SHA256), &ABC_SHA256[7], "hex part");

        TAP_OK(!digest_is_valid("sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"),
               "uppercase refused");
        TAP_OK(!digest_is_valid("sha256:ba7816bf"), "short refused");
        TAP_OK(!digest_is_valid(ABC_SHA256 "0"), "long refused");
        TAP_OK(!digest_is_valid("sha512:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
               "sha512 with 64 hex refused");
        TAP_OK(!digest_is_valid("sha384:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
               "unknown algorithm refused");
        TAP_OK(!digest_is_valid("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
               "no algorithm refused");
        TAP_OK(!digest_is_valid("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a/"),
               "non-hex refused");
        TAP_OK(!digest_is_valid("sha256:"), "empty hex refused");
        TAP_OK(!digest_is_valid(""), "empty refused");
        TAP_OK(!digest_is_valid(NULL), "NULL refused");
        TAP_OK(!digest_hex("nope"), "no hex of invalid digest");
}

static void test_verifier(void) {
        DigestVerifier *v = NULL;
        char *s = NULL;

        TAP_IS_INT(digest_compute(DIGEST_SHA256, "abc", 3, &s), 0, "compute sha256");
        TAP_IS_STR(s, ABC_SHA256, "sha256 of abc");
        s = mfree(s);
        TAP_IS_INT(digest_compute(DIGEST_SHA512, "abc", 3, &s), 0, "compute sha512");
        TAP_IS_STR(s, ABC_SHA512, "sha512 of abc");
        s = mfree(s);

        /* Streaming in pieces, size known. */
        TAP_IS_INT(digest_verifier_new(DIGEST_SHA256, ABC_SHA256, 3, &v), 0, "verifier created");
        TAP_IS_INT(digest_verifier_update(v, "a", 1), 0, "first byte");
        TAP_IS_INT(digest_verifier_update(v, "bc", 2), 0, "rest");
        TAP_IS_INT(digest_verifier_bytes(v), 3, "3 bytes seen");
        TAP_IS_INT(digest_verifier_finish(v, &s), 0, "verified");
        TAP_IS_STR(s, ABC_SHA256, "computed digest returned");
        TAP_IS_INT(digest_verifier_update(v, "x", 1), -ESTALE, "no update after finish");
        s = mfree(s);
        v = digest_verifier_free(v);

        /* The expected digest picks the algorithm. */
        TAP_IS_INT(digest_verifier_new(DIGEST_SHA256, ABC_SHA512, -1, &v), 0, "sha512 verifier");
        TAP_IS_INT(digest_verifier_update(v, "abc", 3), 0, "data");
        TAP_IS_INT(digest_verifier_finish(v, NULL), 0, "sha512 verified without a size");
        v = digest_verifier_free(v);

        /* Over-size fails at the first excess byte, and stays failed. */
        TAP_IS_INT(digest_verifier_new(DIGEST_SHA256, ABC_SHA256, 3, &v), 0, "verifier created");
        TAP_IS_INT(digest_verifier_update(v, "ab", 2), 0, "2 bytes");
        TAP_IS_INT(digest_verifier_update(v, "cd", 2), -EFBIG, "over-size refused early");
        TAP_IS_INT(digest_verifier_bytes(v), 2, "excess not counted");
        TAP_IS_INT(digest_verifier_update(v, "", 0), -EFBIG, "error sticks");
        TAP_IS_INT(digest_verifier_finish(v, NULL), -EFBIG, "finish reports it");
        v = digest_verifier_free(v);

        TAP_IS_INT(digest_verifier_new(DIGEST_SHA256, ABC_SHA256, 4, &v), 0, "verifier created");
        TAP_IS_INT(digest_verifier_update(v, "abc", 3), 0, "3 of 4 bytes");
        TAP_IS_INT(digest_verifier_finish(v, NULL), -ENODATA, "short stream refused");
        v = digest_verifier_free(v);

        TAP_IS_INT(digest_verifier_new(DIGEST_SHA256, ABC_SHA256, 3, &v), 0, "verifier created");
        TAP_IS_INT(digest_verifier_update(v, "abd", 3), 0, "wrong data");
        TAP_IS_INT(digest_verifier_finish(v, &s), -EBADMSG, "mismatch refused");
        TAP_OK(!s, "no digest returned on mismatch");
        v = digest_verifier_free(v);

        TAP_IS_INT(digest_verifier_new(DIGEST_SHA256, "sha256:nope", 3, &v), -EINVAL, "bad expected refused");
        TAP_IS_INT(digest_verifier_new(_DIGEST_ALGORITHM_INVALID, NULL, 3, &v), -EINVAL, "bad algorithm refused");
        TAP_OK(!v, "nothing returned on failure");
        TAP_OK(!digest_verifier_free(NULL), "free accepts NULL");
}

int main(void) {
        test_parse();
        test_verifier();
        return tap_done();
}
