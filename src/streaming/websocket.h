/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* RFC 6455 framing for the server side: the opening handshake's accept key, frame parsing with
 * unmasking, message reassembly from fragments, and frame writing. No I/O here. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"
#include "stream-buffer.h"

#define WEBSOCKET_MAX_HEADER_SIZE 14U
#define WEBSOCKET_MAX_CONTROL_PAYLOAD 125U

typedef enum WebSocketOpcode {
        WEBSOCKET_CONTINUATION = 0x0,
        WEBSOCKET_TEXT = 0x1,
        WEBSOCKET_BINARY = 0x2,
        WEBSOCKET_CLOSE = 0x8,
        WEBSOCKET_PING = 0x9,
        WEBSOCKET_PONG = 0xA,
} WebSocketOpcode;

/* Close status codes we send. */
#define WEBSOCKET_CLOSE_NORMAL 1000
#define WEBSOCKET_CLOSE_GOING_AWAY 1001
#define WEBSOCKET_CLOSE_PROTOCOL_ERROR 1002
#define WEBSOCKET_CLOSE_UNSUPPORTED 1003
#define WEBSOCKET_CLOSE_INVALID_DATA 1007
#define WEBSOCKET_CLOSE_TOO_BIG 1009
#define WEBSOCKET_CLOSE_INTERNAL_ERROR 1011

typedef struct WebSocketFrame {
        bool fin;
        WebSocketOpcode opcode;
        bool masked;
        uint8_t *payload;               /* points into the parsed buffer, already unmasked */
        size_t payload_size;
} WebSocketFrame;

/* Parses the frame at the start of buf and unmasks its payload in place. Returns the frame's size
 * when complete, 0 when more bytes are needed, -E2BIG when the payload exceeds max_payload, and
 * -EBADMSG for protocol errors: reserved bits set, unknown opcodes, fragmented or oversized
 * control frames, or (with require_mask, as a server must) an unmasked frame. */
int websocket_frame_parse(uint8_t *buf, size_t size, size_t max_payload, bool require_mask, WebSocketFrame *ret);

/* XORs data with mask, starting at position offset of the masking key cycle. */
void websocket_mask(uint8_t *data, size_t size, const uint8_t mask[static 4], size_t offset);

/* Writes a frame header; mask == NULL for server frames. Returns the header's size. */
size_t websocket_frame_header(uint8_t out[static WEBSOCKET_MAX_HEADER_SIZE], bool fin, WebSocketOpcode opcode,
                              uint64_t payload_size, const uint8_t *mask);
int websocket_write_frame(StreamBuffer *b, bool fin, WebSocketOpcode opcode, const void *payload, size_t size);
/* A masked frame, as a client sends: for tests. */
int websocket_write_masked_frame(StreamBuffer *b, bool fin, WebSocketOpcode opcode, const void *payload,
                                 size_t size, const uint8_t mask[static 4]);
int websocket_write_close(StreamBuffer *b, uint16_t code, const char *reason);

/* Parses a CLOSE payload: 0 bytes (no code: *ret_code = 1005) or a valid code with UTF-8 reason.
 * -EBADMSG for a 1-byte payload or a code a peer must not send. */
int websocket_parse_close(const uint8_t *payload, size_t size, uint16_t *ret_code);

/* Sec-WebSocket-Accept for a Sec-WebSocket-Key: base64(SHA-1(key + GUID)). -EINVAL unless the key
 * is the base64 form of 16 bytes. */
int websocket_accept_key(const char *key, char ret[static 29]);

/* Joins fragmented data messages; control frames never come here. */
typedef struct WebSocketAssembler {
        StreamBuffer message;
        WebSocketOpcode opcode;
        bool active;
} WebSocketAssembler;

/* Returns 1 when f completes a message (its opcode in *ret_opcode, its bytes in a->message; call
 * websocket_assembler_reset() after use), 0 when more fragments are needed, -EBADMSG for a
 * continuation without a start or a new message inside one, -E2BIG above max_size. */
int websocket_assembler_add(WebSocketAssembler *a, const WebSocketFrame *f, size_t max_size,
                            WebSocketOpcode *ret_opcode);
void websocket_assembler_reset(WebSocketAssembler *a);
void websocket_assembler_done(WebSocketAssembler *a);

