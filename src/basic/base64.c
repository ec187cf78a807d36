/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "base64.h"
#include "macro.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int base64_encode(const void *data, size_t size, char **ret, size_t *ret_size) {
        const uint8_t *in = data;
        char *s, *p;

        if (size > (SIZE_MAX - 1) / 4 * 3 - 3)
                return -E2BIG;
        s = p = malloc((size + 2) / 3 * 4 + 1);
        if (!s)
                return -ENOMEM;
        for (size_t i = 0; i < size; i += 3) {
                uint32_t v = (uint32_t) in[i] << 16;

                if (i + 1 < size)
                        v |= (uint32_t) in[i + 1] << 8;
                if (i + 2 < size)
                        v |= in[i + 2];
                *p++ = alphabet[(v >> 18) & 63];
                *p++ = alphabet[(v >> 12) & 63];
                *p++ = i + 1 < size ? alphabet[(v >> 6) & 63] : '=';
                *p++ = i + 2 < size ? alphabet[v & 63] : '=';
        }
        *p = '\0';
        *ret = s;
        if (ret_size)
                *ret_size = (size_t) (p - s);
        return 0;
}

static int value_of(char c) {
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 26;
        if (c >= '0' && c <= '9')
                return c - '0' + 52;
        if (c == '+')
                return 62;
        if (c == '/')
                return 63;
        return -1;
}

ssize_t base64_decode_into(const char *s, size_t size, uint8_t *out) {
        size_t n = 0, pad = 0;
        uint32_t acc = 0;
        unsigned bits = 0;

        while (size > 0 && s[size - 1] == '=' && pad < 2) {
                size--;
                pad++;
        }
        if (pad > 0 && (size + pad) % 4 != 0)
                return -EINVAL;
        /* A single leftover sextet cannot encode a byte. */
        if (size % 4 == 1)
                return -EINVAL;
        for (size_t i = 0; i < size; i++) {
                int v = value_of(s[i]);

                if (v < 0)
                        return -EINVAL;
                acc = acc << 6 | (uint32_t) v;
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        out[n++] = (uint8_t) (acc >> bits);
                }
        }
        return (ssize_t) n;
}

int base64_decode(const char *s, size_t size, char **ret, size_t *ret_size) {
        _cleanup_free_ char *out = NULL;
        ssize_t n;

        out = malloc(BASE64_DECODED_MAX(size) + 1);
        if (!out)
                return -ENOMEM;
        n = base64_decode_into(s, size, (uint8_t *) out);
        if (n < 0)
                return (int) n;
        out[n] = '\0';
        *ret = TAKE_PTR(out);
        if (ret_size)
                *ret_size = (size_t) n;
        return 0;
}
