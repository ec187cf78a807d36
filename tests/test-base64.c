/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "base64.h"
#include "macro.h"
#include "tap.h"

static void test_decode(void) {
        static const struct {
                const char *in, *out;
        } ok[] = {
                { "", "" },
                { "Zg==", "f" },
                { "Zm8=", "fo" },
                { "Zm9v", "foo" },
                { "Zm9vYg", "foob" },
                { "dXNlcjpwYXNz", "user:pass" },
        };

        for (size_t i = 0; i < ELEMENTSOF(ok); i++) {
                _cleanup_free_ char *out = NULL;

                TAP_IS_INT(base64_decode(ok[i].in, strlen(ok[i].in), &out, NULL), 0, "decode %s", ok[i].in);
                TAP_IS_STR(out, ok[i].out, "decode %s value", ok[i].in);
        }
        for (const char *const *bad = (const char *const[]) { "Z", "Zm9v!", "Zm=v", "Zg=", "Z===", NULL }; *bad;
             bad++) {
                _cleanup_free_ char *out = NULL;

                TAP_IS_INT(base64_decode(*bad, strlen(*bad), &out, NULL), -EINVAL, "decode refuses %s", *bad);
        }
}

static void test_round_trip(void) {
        uint8_t data[256];

        for (size_t i = 0; i < sizeof(data); i++)
                data[i] = (uint8_t) (i * 7 + 3);

        for (size_t n = 0; n <= 7; n++) {
                _cleanup_free_ char *encoded = NULL, *decoded = NULL;
                size_t l, dl;

                TAP_IS_INT(base64_encode(data, n, &encoded, &l), 0, "encode %zu bytes", n);
                TAP_IS_INT(l, (n + 2) / 3 * 4, "encoded length of %zu bytes", n);
                TAP_IS_INT(base64_decode(encoded, l, &decoded, &dl), 0, "decode %zu bytes back", n);
                TAP_OK(dl == n && memcmp(decoded, data, n) == 0, "round trip of %zu bytes", n);
        }

        _cleanup_free_ char *hello = NULL;
        TAP_IS_INT(base64_encode("hello", 5, &hello, NULL), 0, "encode hello");
        TAP_IS_STR(hello, "aGVsbG8=", "hello encodes as RFC 4648 says");
}

int main(void) {
        test_decode();
        test_round_trip();
        return tap_done();
}
