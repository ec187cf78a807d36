/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* SPDY/3.1 framing as Kubernetes' streaming clients speak it (kubectl, crictl, kubelet's proxy):
 * frame parsing and writing, and the zlib compression of header blocks with SPDY/3's preset
 * dictionary. No I/O here. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"
#include "stream-buffer.h"

#define SPDY_VERSION 3
#define SPDY_FRAME_HEADER_SIZE 8
/* The 24-bit length field's limit. */
#define SPDY_MAX_PAYLOAD ((1U << 24) - 1)
#define SPDY_INITIAL_WINDOW_SIZE 65536U

#define SPDY_FLAG_FIN 0x01
#define SPDY_FLAG_UNIDIRECTIONAL 0x02

typedef enum SpdyFrameType {
        SPDY_DATA = 0,
        SPDY_SYN_STREAM = 1,
        SPDY_SYN_REPLY = 2,
        SPDY_RST_STREAM = 3,
        SPDY_SETTINGS = 4,
        SPDY_PING = 6,
        SPDY_GOAWAY = 7,
        SPDY_HEADERS = 8,
        SPDY_WINDOW_UPDATE = 9,
        _SPDY_FRAME_TYPE_MAX,
        _SPDY_FRAME_TYPE_INVALID = -EINVAL,
} SpdyFrameType;

typedef enum SpdyRstStatus {
        SPDY_RST_PROTOCOL_ERROR = 1,
        SPDY_RST_INVALID_STREAM = 2,
        SPDY_RST_REFUSED_STREAM = 3,
        SPDY_RST_UNSUPPORTED_VERSION = 4,
        SPDY_RST_CANCEL = 5,
        SPDY_RST_INTERNAL_ERROR = 6,
        SPDY_RST_FLOW_CONTROL_ERROR = 7,
        SPDY_RST_STREAM_IN_USE = 8,
        SPDY_RST_STREAM_ALREADY_CLOSED = 9,
        SPDY_RST_FRAME_TOO_LARGE = 11,
} SpdyRstStatus;

#define SPDY_SETTINGS_INITIAL_WINDOW_SIZE 7U

const char *spdy_frame_type_to_string(SpdyFrameType t) _const_;

/* One parsed frame; pointers point into the parsed buffer. */
typedef struct SpdyFrame {
        SpdyFrameType type;
        uint8_t flags;
        uint32_t stream_id;             /* DATA, SYN_STREAM, SYN_REPLY, RST_STREAM, HEADERS, WINDOW_UPDATE */
        uint32_t associated_stream_id;  /* SYN_STREAM */
        uint8_t priority;               /* SYN_STREAM */
        uint32_t status;                /* RST_STREAM, GOAWAY */
        uint32_t delta_window_size;     /* WINDOW_UPDATE */
        uint32_t ping_id;               /* PING */
        uint32_t last_good_stream_id;   /* GOAWAY */
        bool has_initial_window_size;   /* SETTINGS */
        uint32_t initial_window_size;
        /* DATA: the payload; SYN_STREAM, SYN_REPLY, HEADERS: the compressed header block. */
        const uint8_t *data;
        size_t data_size;
} SpdyFrame;

/* Parses the frame at the start of buf. Returns its size (> 0) when complete, 0 when more bytes
 * are needed, -E2BIG when the payload exceeds max_payload, -EPROTONOSUPPORT for a control frame of
 * another SPDY version, -EBADMSG when malformed. Unknown control frame types parse with their
 * type number in ->type, to be ignored as the spec asks. */
int spdy_frame_parse(const uint8_t *buf, size_t size, size_t max_payload, SpdyFrame *ret);

/* The SPDY/3 preset dictionary for header compression (1423 bytes). */
const uint8_t *spdy_dictionary(size_t *ret_size);

/* One direction of header compression: the zlib stream runs over the whole connection. */
typedef struct SpdyInflater SpdyInflater;
typedef struct SpdyDeflater SpdyDeflater;

int spdy_inflater_new(SpdyInflater **ret);
SpdyInflater *spdy_inflater_free(SpdyInflater *i);
DEFINE_TRIVIAL_CLEANUP_FUNC(SpdyInflater *, spdy_inflater_free);
int spdy_deflater_new(SpdyDeflater **ret);
SpdyDeflater *spdy_deflater_free(SpdyDeflater *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(SpdyDeflater *, spdy_deflater_free);

/* Decompresses a header block into a list of alternating names and values (names lower-case as
 * the spec demands; several values of one name stay joined by NUL, of which the first counts).
 * At most max_size decompressed bytes; -EBADMSG when malformed, -E2BIG when too large. A failed
 * block leaves the zlib stream unusable: the connection must end. */
int spdy_inflate_headers(SpdyInflater *i, const uint8_t *block, size_t size, size_t max_size, char ***ret);
/* Looks up a header in such a list. */
const char *spdy_headers_get(char *const *headers, const char *name) _pure_;

/* Frame writers: append one whole frame to b. headers is an alternating name/value list. */
void spdy_data_frame_header(uint8_t out[static SPDY_FRAME_HEADER_SIZE], uint32_t stream_id, uint8_t flags, size_t size);
int spdy_write_data(StreamBuffer *b, uint32_t stream_id, uint8_t flags, const void *data, size_t size);
int spdy_write_syn_stream(StreamBuffer *b, SpdyDeflater *d, uint32_t stream_id, uint32_t associated_stream_id,
                          uint8_t priority, uint8_t flags, char *const *headers);
int spdy_write_syn_reply(StreamBuffer *b, SpdyDeflater *d, uint32_t stream_id, uint8_t flags, char *const *headers);
int spdy_write_headers(StreamBuffer *b, SpdyDeflater *d, uint32_t stream_id, uint8_t flags, char *const *headers);
int spdy_write_rst_stream(StreamBuffer *b, uint32_t stream_id, uint32_t status);
int spdy_write_settings_initial_window(StreamBuffer *b, uint32_t window);
int spdy_write_ping(StreamBuffer *b, uint32_t id);
int spdy_write_goaway(StreamBuffer *b, uint32_t last_good_stream_id, uint32_t status);
int spdy_write_window_update(StreamBuffer *b, uint32_t stream_id, uint32_t delta);
