/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>
#include <sys/types.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "base64.h"
#include "websocket.h"

/* The GUID RFC 6455 appends to the client's key. */
#define WEBSOCKET_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

void websocket_mask(uint8_t *data, size_t size, const uint8_t mask[static 4], size_t offset) {
        uint8_t key[8];
        uint64_t word;
        size_t k = 0;

        /* The key turned by offset, twice over: eight bytes a step (the compiler widens this
         * further), where a byte at a time held uploads to a few hundred MiB/s. */
        for (unsigned i = 0; i < 8; i++)
                key[i] = mask[(i + offset) & 3];
        memcpy(&word, key, sizeof(word));
        for (; k + 8 <= size; k += 8) {
                uint64_t v;

                memcpy(&v, data + k, sizeof(v));
                v ^= word;
                memcpy(data + k, &v, sizeof(v));
        }
        for (; k < size; k++)
                data[k] ^= key[k & 3];
}

int websocket_frame_parse(uint8_t *buf, size_t size, size_t max_payload, bool require_mask, WebSocketFrame *ret) {
        WebSocketFrame f = {};
        size_t header = 2;
        uint64_t length;
        uint8_t mask[4];

        if (size < 2)
                return 0;
        if (buf[0] & 0x70)
                return -EBADMSG;                /* RSV1-3: no extension was negotiated */
        f.fin = buf[0] & 0x80;
        f.opcode = (WebSocketOpcode) (buf[0] & 0x0f);
        f.masked = buf[1] & 0x80;
        if (!IN_SET((unsigned) f.opcode, 0x0u, 0x1u, 0x2u, 0x8u, 0x9u, 0xAu))
                return -EBADMSG;
        if (require_mask && !f.masked)
                return -EBADMSG;
        length = buf[1] & 0x7f;
        if (f.opcode >= WEBSOCKET_CLOSE && (!f.fin || length > WEBSOCKET_MAX_CONTROL_PAYLOAD))
                return -EBADMSG;
        if (length == 126) {
                if (size < 4)
                        return 0;
                length = (uint64_t) buf[2] << 8 | buf[3];
                if (length < 126)
                        return -EBADMSG;        /* not the minimal encoding */
                header = 4;
        } else if (length == 127) {
                if (size < 10)
                        return 0;
                if (buf[2] & 0x80)
                        return -EBADMSG;
                length = 0;
                for (unsigned k = 0; k < 8; k++)
                        length = length << 8 | buf[2 + k];
                if (length <= 0xffff)
                        return -EBADMSG;
                header = 10;
        }
        if (length > max_payload)
                return -E2BIG;
        if (f.masked) {
                if (size < header + 4)
                        return 0;
                memcpy(mask, buf + header, 4);
                header += 4;
        }
        if (size - header < length)
                return 0;

        f.payload = buf + header;
        f.payload_size = (size_t) length;
        if (f.masked)
                websocket_mask(f.payload, f.payload_size, mask, 0);
        *ret = f;
        return (int) (header + length);
}

size_t websocket_frame_header(uint8_t out[static WEBSOCKET_MAX_HEADER_SIZE], bool fin, WebSocketOpcode opcode,
                              uint64_t payload_size, const uint8_t *mask) {
        size_t n = 2;

        out[0] = (uint8_t) ((fin ? 0x80 : 0) | (opcode & 0x0f));
        if (payload_size < 126)
                out[1] = (uint8_t) payload_size;
        else if (payload_size <= 0xffff) {
                out[1] = 126;
                out[2] = (uint8_t) (payload_size >> 8);
                out[3] = (uint8_t) payload_size;
                n = 4;
        } else {
                out[1] = 127;
                for (unsigned k = 0; k < 8; k++)
                        out[2 + k] = (uint8_t) (payload_size >> (56 - 8 * k));
                n = 10;
        }
        if (mask) {
                out[1] |= 0x80;
                memcpy(out + n, mask, 4);
                n += 4;
        }
        return n;
}

static int write_frame(StreamBuffer *b, bool fin, WebSocketOpcode opcode, const void *payload, size_t size,
                       const uint8_t *mask) {
        uint8_t h[WEBSOCKET_MAX_HEADER_SIZE];
        size_t n;
        int r;

        n = websocket_frame_header(h, fin, opcode, size, mask);
        r = stream_buffer_reserve(b, n + size);
        if (r < 0)
                return r;
        (void) stream_buffer_append(b, h, n);
        if (size > 0) {
                uint8_t *p = stream_buffer_tail(b);

                (void) stream_buffer_append(b, payload, size);
                if (mask)
                        websocket_mask(p, size, mask, 0);
        }
        return 0;
}

int websocket_write_frame(StreamBuffer *b, bool fin, WebSocketOpcode opcode, const void *payload, size_t size) {
        return write_frame(b, fin, opcode, payload, size, NULL);
}

int websocket_write_masked_frame(StreamBuffer *b, bool fin, WebSocketOpcode opcode, const void *payload,
                                 size_t size, const uint8_t mask[static 4]) {
        return write_frame(b, fin, opcode, payload, size, mask);
}

int websocket_write_close(StreamBuffer *b, uint16_t code, const char *reason) {
        uint8_t payload[WEBSOCKET_MAX_CONTROL_PAYLOAD];
        size_t l = reason ? MIN(strlen(reason), sizeof(payload) - 2) : 0;

        payload[0] = (uint8_t) (code >> 8);
        payload[1] = (uint8_t) code;
        if (l > 0)
                memcpy(payload + 2, reason, l);
        return websocket_write_frame(b, true, WEBSOCKET_CLOSE, payload, 2 + l);
}

static bool utf8_valid(const uint8_t *s, size_t size) {
        for (size_t k = 0; k < size;) {
                uint8_t c = s[k];
                size_t n;
                uint32_t cp;

                if (c < 0x80) {
                        k++;
                        continue;
                }
                if ((c & 0xe0) == 0xc0) {
                        n = 1;
                        cp = c & 0x1f;
                } else if ((c & 0xf0) == 0xe0) {
                        n = 2;
                        cp = c & 0x0f;
                } else if ((c & 0xf8) == 0xf0) {
                        n = 3;
                        cp = c & 0x07;
                } else
                        return false;
                if (size - k <= n)
                        return false;
                for (size_t j = 1; j <= n; j++) {
                        if ((s[k + j] & 0xc0) != 0x80)
                                return false;
                        cp = cp << 6 | (s[k + j] & 0x3f);
                }
                /* No overlong forms, no surrogates, nothing past U+10FFFF. */
                if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
                    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
                        return false;
                k += n + 1;
        }
        return true;
}

int websocket_parse_close(const uint8_t *payload, size_t size, uint16_t *ret_code) {
        uint16_t code;

        if (size == 0) {
                *ret_code = 1005;               /* "no status received" */
                return 0;
        }
        if (size == 1)
                return -EBADMSG;
        code = (uint16_t) (payload[0] << 8 | payload[1]);
        /* 1004-1006 and 1015 are reserved for local use; 1016-2999 are not assigned. */
        if (code < 1000 || IN_SET(code, 1004, 1005, 1006, 1015) || (code > 1015 && code < 3000) || code >= 5000)
                return -EBADMSG;
        if (!utf8_valid(payload + 2, size - 2))
                return -EBADMSG;
        *ret_code = code;
        return 0;
}

int websocket_accept_key(const char *key, char ret[static 29]) {
        uint8_t decoded[24], digest[SHA_DIGEST_LENGTH];
        size_t l = key ? strlen(key) : 0;
        _cleanup_free_ char *s = NULL;

        /* The key must be 16 random bytes in base64: 24 characters. */
        if (l != 24 || base64_decode_into(key, l, decoded) != 16)
                return -EINVAL;
        if (asprintf(&s, "%s" WEBSOCKET_GUID, key) < 0)
                return -ENOMEM;
        (void) SHA1((const unsigned char *) s, strlen(s), digest);
        if (EVP_EncodeBlock((unsigned char *) ret, digest, sizeof(digest)) != 28)
                return -EIO;
        ret[28] = '\0';
        return 0;
}

int websocket_assembler_add(WebSocketAssembler *a, const WebSocketFrame *f, size_t max_size,
                            WebSocketOpcode *ret_opcode) {
        int r;

        if (f->opcode == WEBSOCKET_CONTINUATION) {
                if (!a->active)
                        return -EBADMSG;
        } else {
                if (a->active)
                        return -EBADMSG;
                a->active = true;
                a->opcode = f->opcode;
        }
        if (stream_buffer_size(&a->message) + f->payload_size > max_size)
                return -E2BIG;
        r = stream_buffer_append(&a->message, f->payload, f->payload_size);
        if (r < 0)
                return r;
        if (!f->fin)
                return 0;
        *ret_opcode = a->opcode;
        return 1;
}

void websocket_assembler_reset(WebSocketAssembler *a) {
        a->active = false;
        stream_buffer_consume(&a->message, stream_buffer_size(&a->message));
}

void websocket_assembler_done(WebSocketAssembler *a) {
        stream_buffer_done(&a->message);
        a->active = false;
}

