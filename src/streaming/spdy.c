/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>
#include <zlib.h>

#include "spdy.h"
#include "strv.h"

static const char *const spdy_frame_type_table[_SPDY_FRAME_TYPE_MAX] = {
        [SPDY_DATA] = "DATA",
        [SPDY_SYN_STREAM] = "SYN_STREAM",
        [SPDY_SYN_REPLY] = "SYN_REPLY",
        [SPDY_RST_STREAM] = "RST_STREAM",
        [SPDY_SETTINGS] = "SETTINGS",
        [SPDY_PING] = "PING",
        [SPDY_GOAWAY] = "GOAWAY",
        [SPDY_HEADERS] = "HEADERS",
        [SPDY_WINDOW_UPDATE] = "WINDOW_UPDATE",
};

const char *spdy_frame_type_to_string(SpdyFrameType t) {
        if (t < 0 || t >= _SPDY_FRAME_TYPE_MAX)
                return NULL;
        return spdy_frame_type_table[t];
}

static uint32_t get_be32(const uint8_t *p) {
        return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v) {
        p[0] = v >> 24;
        p[1] = v >> 16;
        p[2] = v >> 8;
        p[3] = v;
}

int spdy_frame_parse(const uint8_t *buf, size_t size, size_t max_payload, SpdyFrame *ret) {
        SpdyFrame f = {};
        const uint8_t *p;
        size_t length;

        if (size < SPDY_FRAME_HEADER_SIZE)
                return 0;
        length = (size_t) buf[5] << 16 | (size_t) buf[6] << 8 | buf[7];
        if (length > max_payload)
                return -E2BIG;
        if (size < SPDY_FRAME_HEADER_SIZE + length)
                return 0;
        p = buf + SPDY_FRAME_HEADER_SIZE;
        f.flags = buf[4];

        if (!(buf[0] & 0x80)) {
                f.type = SPDY_DATA;
                f.stream_id = get_be32(buf) & 0x7fffffffU;
                if (f.stream_id == 0)
                        return -EBADMSG;
                f.data = p;
                f.data_size = length;
                *ret = f;
                return (int) (SPDY_FRAME_HEADER_SIZE + length);
        }

        if ((((unsigned) buf[0] & 0x7f) << 8 | buf[1]) != SPDY_VERSION)
                return -EPROTONOSUPPORT;
        f.type = (SpdyFrameType) ((unsigned) buf[2] << 8 | buf[3]);

        switch (f.type) {
        case SPDY_SYN_STREAM:
                if (length < 10)
                        return -EBADMSG;
                f.stream_id = get_be32(p) & 0x7fffffffU;
                f.associated_stream_id = get_be32(p + 4) & 0x7fffffffU;
                f.priority = p[8] >> 5;
                f.data = p + 10;
                f.data_size = length - 10;
                break;
        case SPDY_SYN_REPLY:
        case SPDY_HEADERS:
                if (length < 4)
                        return -EBADMSG;
                f.stream_id = get_be32(p) & 0x7fffffffU;
                f.data = p + 4;
                f.data_size = length - 4;
                break;
        case SPDY_RST_STREAM:
                if (length != 8)
                        return -EBADMSG;
                f.stream_id = get_be32(p) & 0x7fffffffU;
                f.status = get_be32(p + 4);
                break;
        case SPDY_SETTINGS: {
                uint32_t n;

                if (length < 4)
                        return -EBADMSG;
                n = get_be32(p);
                if ((size_t) n * 8 != length - 4)
                        return -EBADMSG;
                for (uint32_t k = 0; k < n; k++) {
                        const uint8_t *e = p + 4 + 8 * (size_t) k;
                        uint32_t id = get_be32(e) & 0xffffffU;

                        if (id == SPDY_SETTINGS_INITIAL_WINDOW_SIZE) {
                                f.has_initial_window_size = true;
                                f.initial_window_size = get_be32(e + 4);
                        }
                }
                break;
        }
        case SPDY_PING:
                if (length != 4)
                        return -EBADMSG;
                f.ping_id = get_be32(p);
                break;
        case SPDY_GOAWAY:
                if (length != 8)
                        return -EBADMSG;
                f.last_good_stream_id = get_be32(p) & 0x7fffffffU;
                f.status = get_be32(p + 4);
                break;
        case SPDY_WINDOW_UPDATE:
                if (length != 8)
                        return -EBADMSG;
                f.stream_id = get_be32(p) & 0x7fffffffU;
                f.delta_window_size = get_be32(p + 4) & 0x7fffffffU;
                if (f.delta_window_size == 0)
                        return -EBADMSG;
                break;
        default:
                /* Unknown control frames are skipped whole. */
                break;
        }

        if (IN_SET(f.type, SPDY_SYN_STREAM, SPDY_SYN_REPLY, SPDY_RST_STREAM, SPDY_HEADERS) && f.stream_id == 0)
                return -EBADMSG;
        *ret = f;
        return (int) (SPDY_FRAME_HEADER_SIZE + length);
}

/* The dictionary is a list of length-prefixed words followed by a run of common values. */
static const char *const dictionary_words[] = {
        "options", "head", "post", "put", "delete", "trace", "accept", "accept-charset",
        "accept-encoding", "accept-language", "accept-ranges", "age", "allow", "authorization",
        "cache-control", "connection", "content-base", "content-encoding", "content-language",
        "content-length", "content-location", "content-md5", "content-range", "content-type",
        "date", "etag", "expect", "expires", "from", "host", "if-match", "if-modified-since",
        "if-none-match", "if-range", "if-unmodified-since", "last-modified", "location",
        "max-forwards", "pragma", "proxy-authenticate", "proxy-authorization", "range", "referer",
        "retry-after", "server", "te", "trailer", "transfer-encoding", "upgrade", "user-agent",
        "vary", "via", "warning", "www-authenticate", "method", "get", "status", "200 OK",
        "version", "HTTP/1.1", "url", "public", "set-cookie", "keep-alive", "origin",
};

static const char dictionary_tail[] =
        "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505"
        "203 Non-Authoritative Information" "204 No Content" "301 Moved Permanently" "400 Bad Request"
        "401 Unauthorized" "403 Forbidden" "404 Not Found" "500 Internal Server Error"
        "501 Not Implemented" "503 Service Unavailable"
        "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 "
        "Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT"
        "chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,"
        "text/plain,text/javascript,public" "private" "max-age=" "gzip,deflate,sdch" "charset=utf-8"
        "charset=iso-8859-1,utf-,*,enq=0.";

#define SPDY_DICTIONARY_SIZE 1423U

const uint8_t *spdy_dictionary(size_t *ret_size) {
        static uint8_t dict[SPDY_DICTIONARY_SIZE];
        static bool built;
        size_t n = 0;

        if (!built) {
                for (size_t k = 0; k < ELEMENTSOF(dictionary_words); k++) {
                        size_t l = strlen(dictionary_words[k]);

                        put_be32(dict + n, (uint32_t) l);
                        memcpy(dict + n + 4, dictionary_words[k], l);
                        n += 4 + l;
                }
                memcpy(dict + n, dictionary_tail, sizeof(dictionary_tail) - 1);
                n += sizeof(dictionary_tail) - 1;
                /* A mismatch would be a bug in the tables above: fail loudly in tests. */
                if (n != SPDY_DICTIONARY_SIZE)
                        abort();
                built = true;
        }
        *ret_size = SPDY_DICTIONARY_SIZE;
        return dict;
}

struct SpdyInflater {
        z_stream z;
        bool broken;
};

struct SpdyDeflater {
        z_stream z;
};

int spdy_inflater_new(SpdyInflater **ret) {
        SpdyInflater *i;

        i = calloc(1, sizeof(SpdyInflater));
        if (!i)
                return -ENOMEM;
        if (inflateInit(&i->z) != Z_OK) {
                free(i);
                return -ENOMEM;
        }
        *ret = i;
        return 0;
}

SpdyInflater *spdy_inflater_free(SpdyInflater *i) {
        if (!i)
                return NULL;
        (void) inflateEnd(&i->z);
        return mfree(i);
}

int spdy_deflater_new(SpdyDeflater **ret) {
        const uint8_t *dict;
        SpdyDeflater *d;
        size_t dict_size;

        d = calloc(1, sizeof(SpdyDeflater));
        if (!d)
                return -ENOMEM;
        if (deflateInit(&d->z, Z_DEFAULT_COMPRESSION) != Z_OK) {
                free(d);
                return -ENOMEM;
        }
        dict = spdy_dictionary(&dict_size);
        if (deflateSetDictionary(&d->z, dict, (uInt) dict_size) != Z_OK) {
                (void) deflateEnd(&d->z);
                free(d);
                return -EINVAL;
        }
        *ret = d;
        return 0;
}

SpdyDeflater *spdy_deflater_free(SpdyDeflater *d) {
        if (!d)
                return NULL;
        (void) deflateEnd(&d->z);
        return mfree(d);
}

static int inflate_block(SpdyInflater *i, const uint8_t *block, size_t size, size_t max_size, StreamBuffer *out) {
        int r;

        if (i->broken)
                return -EBADMSG;
        i->z.next_in = (Bytef *) block;
        i->z.avail_in = (uInt) size;
        for (;;) {
                int z;

                r = stream_buffer_reserve(out, 1024);
                if (r < 0)
                        return r;
                i->z.next_out = stream_buffer_tail(out);
                i->z.avail_out = (uInt) (out->allocated - out->end);
                z = inflate(&i->z, Z_SYNC_FLUSH);
                stream_buffer_commit(out, (size_t) (i->z.next_out - stream_buffer_tail(out)));
                if (z == Z_NEED_DICT) {
                        const uint8_t *dict;
                        size_t dict_size;

                        dict = spdy_dictionary(&dict_size);
                        if (inflateSetDictionary(&i->z, dict, (uInt) dict_size) != Z_OK)
                                goto broken;
                        continue;
                }
                if (z == Z_BUF_ERROR && i->z.avail_in == 0)
                        break;
                if (z != Z_OK)
                        goto broken;
                if (stream_buffer_size(out) > max_size) {
                        i->broken = true;
                        return -E2BIG;
                }
                /* Done when all input is taken and zlib did not fill the room it had. */
                if (i->z.avail_in == 0 && i->z.avail_out > 0)
                        break;
        }
        if (stream_buffer_size(out) > max_size) {
                i->broken = true;
                return -E2BIG;
        }
        return 0;

broken:
        i->broken = true;
        return -EBADMSG;
}

int spdy_inflate_headers(SpdyInflater *i, const uint8_t *block, size_t size, size_t max_size, char ***ret) {
        _cleanup_(stream_buffer_done) StreamBuffer out = {};
        _cleanup_strv_free_ char **headers = NULL;
        const uint8_t *p, *end;
        uint32_t n;
        int r;

        r = inflate_block(i, block, size, max_size, &out);
        if (r < 0)
                return r;

        p = stream_buffer_head(&out);
        end = p + stream_buffer_size(&out);
        if (end - p < 4)
                return -EBADMSG;
        n = get_be32(p);
        p += 4;
        /* Each pair takes at least 8 bytes: refuse counts the block cannot hold. */
        if (n > (size_t) (end - p) / 8)
                return -EBADMSG;

        r = strv_push(&headers, NULL);
        if (r < 0)
                return r;
        for (uint32_t k = 0; k < n; k++) {
                char *s[2];

                for (unsigned j = 0; j < 2; j++) {
                        uint32_t l;

                        if (end - p < 4)
                                return -EBADMSG;
                        l = get_be32(p);
                        p += 4;
                        if (l > (size_t) (end - p) || (j == 0 && l == 0))
                                return -EBADMSG;
                        if (j == 0)
                                for (uint32_t c = 0; c < l; c++)
                                        if ((p[c] >= 'A' && p[c] <= 'Z') || p[c] == 0)
                                                return -EBADMSG;
                        s[j] = strndup((const char *) p, l);
                        if (!s[j]) {
                                if (j == 1)
                                        free(s[0]);
                                return -ENOMEM;
                        }
                        p += l;
                }
                r = strv_consume(&headers, s[0]);
                if (r < 0) {
                        free(s[1]);
                        return r;
                }
                r = strv_consume(&headers, s[1]);
                if (r < 0)
                        return r;
        }
        if (p != end)
                return -EBADMSG;

        *ret = TAKE_PTR(headers);
        return 0;
}

const char *spdy_headers_get(char *const *headers, const char *name) {
        if (!headers)
                return NULL;
        for (size_t k = 0; headers[k] && headers[k + 1]; k += 2)
                if (strcmp(headers[k], name) == 0)
                        return headers[k + 1];
        return NULL;
}

static int deflate_headers(SpdyDeflater *d, char *const *headers, StreamBuffer *out) {
        _cleanup_(stream_buffer_done) StreamBuffer plain = {};
        size_t n = strv_length(headers);
        uint8_t be[4];
        int r;

        if (n % 2 != 0)
                return -EINVAL;
        put_be32(be, (uint32_t) (n / 2));
        r = stream_buffer_append(&plain, be, 4);
        for (size_t k = 0; r >= 0 && k < n; k++) {
                size_t l = strlen(headers[k]);

                put_be32(be, (uint32_t) l);
                r = stream_buffer_append(&plain, be, 4);
                if (r >= 0)
                        r = stream_buffer_append(&plain, headers[k], l);
        }
        if (r < 0)
                return r;

        d->z.next_in = stream_buffer_head(&plain);
        d->z.avail_in = (uInt) stream_buffer_size(&plain);
        do {
                r = stream_buffer_reserve(out, 256);
                if (r < 0)
                        return r;
                d->z.next_out = stream_buffer_tail(out);
                d->z.avail_out = (uInt) (out->allocated - out->end);
                if (deflate(&d->z, Z_SYNC_FLUSH) != Z_OK)
                        return -EIO;
                stream_buffer_commit(out, (size_t) (d->z.next_out - stream_buffer_tail(out)));
        } while (d->z.avail_out == 0 || d->z.avail_in > 0);
        return 0;
}

static int write_control(StreamBuffer *b, SpdyFrameType type, uint8_t flags, const void *fixed, size_t fixed_size,
                         const StreamBuffer *block) {
        size_t length = fixed_size + (block ? stream_buffer_size(block) : 0);
        uint8_t h[SPDY_FRAME_HEADER_SIZE];
        int r;

        if (length > SPDY_MAX_PAYLOAD)
                return -E2BIG;
        h[0] = 0x80;
        h[1] = SPDY_VERSION;
        h[2] = (uint8_t) (type >> 8);
        h[3] = (uint8_t) type;
        h[4] = flags;
        h[5] = (uint8_t) (length >> 16);
        h[6] = (uint8_t) (length >> 8);
        h[7] = (uint8_t) length;
        r = stream_buffer_reserve(b, SPDY_FRAME_HEADER_SIZE + length);
        if (r < 0)
                return r;
        (void) stream_buffer_append(b, h, sizeof(h));
        (void) stream_buffer_append(b, fixed, fixed_size);
        if (block)
                (void) stream_buffer_append(b, stream_buffer_head(block), stream_buffer_size(block));
        return 0;
}

void spdy_data_frame_header(uint8_t out[static SPDY_FRAME_HEADER_SIZE], uint32_t stream_id, uint8_t flags, size_t size) {
        put_be32(out, stream_id & 0x7fffffffU);
        out[4] = flags;
        out[5] = (uint8_t) (size >> 16);
        out[6] = (uint8_t) (size >> 8);
        out[7] = (uint8_t) size;
}

int spdy_write_data(StreamBuffer *b, uint32_t stream_id, uint8_t flags, const void *data, size_t size) {
        uint8_t h[SPDY_FRAME_HEADER_SIZE];
        int r;

        if (size > SPDY_MAX_PAYLOAD)
                return -E2BIG;
        spdy_data_frame_header(h, stream_id, flags, size);
        r = stream_buffer_reserve(b, sizeof(h) + size);
        if (r < 0)
                return r;
        (void) stream_buffer_append(b, h, sizeof(h));
        (void) stream_buffer_append(b, data, size);
        return 0;
}

static int write_with_headers(StreamBuffer *b, SpdyDeflater *d, SpdyFrameType type, uint8_t flags,
                              const uint8_t *fixed, size_t fixed_size, char *const *headers) {
        _cleanup_(stream_buffer_done) StreamBuffer block = {};
        int r;

        r = deflate_headers(d, headers, &block);
        if (r < 0)
                return r;
        return write_control(b, type, flags, fixed, fixed_size, &block);
}

int spdy_write_syn_stream(StreamBuffer *b, SpdyDeflater *d, uint32_t stream_id, uint32_t associated_stream_id,
                          uint8_t priority, uint8_t flags, char *const *headers) {
        uint8_t fixed[10] = {};

        put_be32(fixed, stream_id & 0x7fffffffU);
        put_be32(fixed + 4, associated_stream_id & 0x7fffffffU);
        fixed[8] = (uint8_t) (priority << 5);
        return write_with_headers(b, d, SPDY_SYN_STREAM, flags, fixed, sizeof(fixed), headers);
}

int spdy_write_syn_reply(StreamBuffer *b, SpdyDeflater *d, uint32_t stream_id, uint8_t flags, char *const *headers) {
        uint8_t fixed[4];

        put_be32(fixed, stream_id & 0x7fffffffU);
        return write_with_headers(b, d, SPDY_SYN_REPLY, flags, fixed, sizeof(fixed), headers);
}

int spdy_write_headers(StreamBuffer *b, SpdyDeflater *d, uint32_t stream_id, uint8_t flags, char *const *headers) {
        uint8_t fixed[4];

        put_be32(fixed, stream_id & 0x7fffffffU);
        return write_with_headers(b, d, SPDY_HEADERS, flags, fixed, sizeof(fixed), headers);
}

static int write_two_words(StreamBuffer *b, SpdyFrameType type, uint32_t a, uint32_t c) {
        uint8_t fixed[8];

        put_be32(fixed, a);
        put_be32(fixed + 4, c);
        return write_control(b, type, 0, fixed, sizeof(fixed), NULL);
}

int spdy_write_rst_stream(StreamBuffer *b, uint32_t stream_id, uint32_t status) {
        return write_two_words(b, SPDY_RST_STREAM, stream_id & 0x7fffffffU, status);
}

int spdy_write_settings_initial_window(StreamBuffer *b, uint32_t window) {
        uint8_t fixed[12];

        put_be32(fixed, 1);
        put_be32(fixed + 4, SPDY_SETTINGS_INITIAL_WINDOW_SIZE);
        put_be32(fixed + 8, window);
        return write_control(b, SPDY_SETTINGS, 0, fixed, sizeof(fixed), NULL);
}

int spdy_write_ping(StreamBuffer *b, uint32_t id) {
        uint8_t fixed[4];

        put_be32(fixed, id);
        return write_control(b, SPDY_PING, 0, fixed, sizeof(fixed), NULL);
}

int spdy_write_goaway(StreamBuffer *b, uint32_t last_good_stream_id, uint32_t status) {
        return write_two_words(b, SPDY_GOAWAY, last_good_stream_id & 0x7fffffffU, status);
}

int spdy_write_window_update(StreamBuffer *b, uint32_t stream_id, uint32_t delta) {
        if (delta == 0 || delta > 0x7fffffffU)
                return -EINVAL;
        return write_two_words(b, SPDY_WINDOW_UPDATE, stream_id & 0x7fffffffU, delta);
}
