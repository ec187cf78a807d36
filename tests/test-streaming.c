/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>
#include <zlib.h>

#include "base64.h"
#include "spdy.h"
#include "stream-http.h"
#include "stream-status.h"
#include "stream-token.h"
#include "strv.h"
#include "tap.h"
#include "websocket.h"

static size_t unhex(const char *s, uint8_t *out) {
        size_t n = 0;

        for (; s[0] && s[1]; s += 2)
                sscanf(s, "%2hhx", &out[n++]);
        return n;
}

static void test_spdy_dictionary(void) {
        size_t size;
        const uint8_t *d = spdy_dictionary(&size);

        TAP_IS_INT(size, 1423, "SPDY/3 dictionary is 1423 bytes");
        TAP_IS_INT(adler32(1, d, (uInt) size), 0xe3c6a7c2, "dictionary's adler32 is the id zlib streams carry");
}

static void test_spdy_syn_stream_vector(void) {
        /* A SYN_STREAM as other SPDY/3 implementations write it: ":method GET", ":path /". */
        uint8_t buf[128];
        size_t n = unhex("800300010000002c0000000100000000000078f9e3c6a7c202e50e507ab442a45a77d7105006"
                         "b32a4804974d8cfa00000000ffff", buf);
        _cleanup_(spdy_inflater_freep) SpdyInflater *inf = NULL;
        _cleanup_strv_free_ char **headers = NULL;
        SpdyFrame f;

        TAP_IS_INT(spdy_frame_parse(buf, n, SPDY_MAX_PAYLOAD, &f), (int) n, "known SYN_STREAM parses whole");
        TAP_IS_INT(f.type, SPDY_SYN_STREAM, "type SYN_STREAM");
        TAP_IS_INT(f.stream_id, 1, "stream 1");
        TAP_IS_INT(spdy_frame_parse(buf, n - 1, SPDY_MAX_PAYLOAD, &f), 0, "truncated frame needs more");
        TAP_OK(spdy_inflater_new(&inf) >= 0, "inflater");
        TAP_OK(spdy_frame_parse(buf, n, SPDY_MAX_PAYLOAD, &f) > 0 &&
               spdy_inflate_headers(inf, f.data, f.data_size, 4096, &headers) >= 0, "header block inflates");
        TAP_IS_STR(spdy_headers_get(headers, ":method"), "GET", ":method");
        TAP_IS_STR(spdy_headers_get(headers, ":path"), "/", ":path");
}

static void test_spdy_roundtrip(void) {
        _cleanup_(spdy_deflater_freep) SpdyDeflater *def = NULL;
        _cleanup_(spdy_inflater_freep) SpdyInflater *inf = NULL;
        _cleanup_(stream_buffer_done) StreamBuffer b = {};
        char *h1[] = { (char *) "streamtype", (char *) "stdout", NULL };
        char *h2[] = { (char *) "streamtype", (char *) "error", (char *) "port", (char *) "80", NULL };
        SpdyFrame f;
        int n;

        TAP_OK(spdy_deflater_new(&def) >= 0 && spdy_inflater_new(&inf) >= 0, "zlib contexts");
        TAP_OK(spdy_write_syn_stream(&b, def, 1, 0, 0, 0, h1) >= 0, "SYN_STREAM written");
        TAP_OK(spdy_write_syn_stream(&b, def, 3, 0, 2, SPDY_FLAG_FIN, h2) >= 0, "second shares the zlib stream");
        TAP_OK(spdy_write_data(&b, 3, SPDY_FLAG_FIN, "abc", 3) >= 0, "DATA");
        TAP_OK(spdy_write_window_update(&b, 3, 100) >= 0, "WINDOW_UPDATE");
        TAP_OK(spdy_write_rst_stream(&b, 3, SPDY_RST_CANCEL) >= 0, "RST_STREAM");
        TAP_OK(spdy_write_ping(&b, 7) >= 0 && spdy_write_goaway(&b, 3, 0) >= 0, "PING, GOAWAY");
        TAP_OK(spdy_write_settings_initial_window(&b, 1000) >= 0, "SETTINGS");
        TAP_IS_INT(spdy_write_window_update(&b, 3, 0), -EINVAL, "zero window delta refused");

        for (unsigned k = 0; k < 2; k++) {
                _cleanup_strv_free_ char **h = NULL;

                n = spdy_frame_parse(stream_buffer_head(&b), stream_buffer_size(&b), SPDY_MAX_PAYLOAD, &f);
                TAP_OK(n > 0 && f.type == SPDY_SYN_STREAM, "SYN_STREAM %u back", k);
                TAP_OK(spdy_inflate_headers(inf, f.data, f.data_size, 4096, &h) >= 0, "headers %u inflate", k);
                TAP_IS_STR(spdy_headers_get(h, "streamtype"), k == 0 ? "stdout" : "error", "streamtype %u", k);
                if (k == 1) {
                        TAP_IS_STR(spdy_headers_get(h, "port"), "80", "port header");
                        TAP_IS_INT(f.flags, SPDY_FLAG_FIN, "FIN flag");
                        TAP_IS_INT(f.priority, 2, "priority");
                }
                stream_buffer_consume(&b, (size_t) n);
        }
        n = spdy_frame_parse(stream_buffer_head(&b), stream_buffer_size(&b), SPDY_MAX_PAYLOAD, &f);
        TAP_OK(n == 11 && f.type == SPDY_DATA && f.stream_id == 3 && f.data_size == 3 &&
               memcmp(f.data, "abc", 3) == 0 && f.flags == SPDY_FLAG_FIN, "DATA back");
        stream_buffer_consume(&b, (size_t) n);
        n = spdy_frame_parse(stream_buffer_head(&b), stream_buffer_size(&b), SPDY_MAX_PAYLOAD, &f);
        TAP_OK(n == 16 && f.type == SPDY_WINDOW_UPDATE && f.delta_window_size == 100, "WINDOW_UPDATE back");
        stream_buffer_consume(&b, (size_t) n);
        n = spdy_frame_parse(stream_buffer_head(&b), stream_buffer_size(&b), SPDY_MAX_PAYLOAD, &f);
        TAP_OK(n == 16 && f.type == SPDY_RST_STREAM && f.status == SPDY_RST_CANCEL, "RST_STREAM back");
        stream_buffer_consume(&b, (size_t) n);
        n = spdy_frame_parse(stream_buffer_head(&b), stream_buffer_size(&b), SPDY_MAX_PAYLOAD, &f);
        TAP_OK(n == 12 && f.type == SPDY_PING && f.ping_id == 7, "PING back");
        stream_buffer_consume(&b, (size_t) n);
        n = spdy_frame_parse(stream_buffer_head(&b), stream_buffer_size(&b), SPDY_MAX_PAYLOAD, &f);
        TAP_OK(n == 16 && f.type == SPDY_GOAWAY && f.last_good_stream_id == 3, "GOAWAY back");
        stream_buffer_consume(&b, (size_t) n);
        n = spdy_frame_parse(stream_buffer_head(&b), stream_buffer_size(&b), SPDY_MAX_PAYLOAD, &f);
        TAP_OK(n == 20 && f.type == SPDY_SETTINGS && f.has_initial_window_size && f.initial_window_size == 1000,
               "SETTINGS back");
        stream_buffer_consume(&b, (size_t) n);
        TAP_IS_INT(stream_buffer_size(&b), 0, "all consumed");
}

static void test_spdy_malformed(void) {
        _cleanup_(spdy_inflater_freep) SpdyInflater *inf = NULL;
        _cleanup_strv_free_ char **h = NULL;
        uint8_t v2[] = { 0x80, 0x02, 0x00, 0x01, 0, 0, 0, 0 };
        uint8_t rst_short[] = { 0x80, 0x03, 0x00, 0x03, 0, 0, 0, 4, 0, 0, 0, 1 };
        uint8_t data0[] = { 0, 0, 0, 0, 0, 0, 0, 0 };
        uint8_t big[] = { 0, 0, 0, 1, 0, 0x10, 0, 0 };
        uint8_t unknown[] = { 0x80, 0x03, 0x00, 0x0a, 0, 0, 0, 1, 0xff };
        SpdyFrame f;

        TAP_IS_INT(spdy_frame_parse(v2, sizeof(v2), SPDY_MAX_PAYLOAD, &f), -EPROTONOSUPPORT, "SPDY/2 refused");
        TAP_IS_INT(spdy_frame_parse(rst_short, sizeof(rst_short), SPDY_MAX_PAYLOAD, &f), -EBADMSG, "short RST");
        TAP_IS_INT(spdy_frame_parse(data0, sizeof(data0), SPDY_MAX_PAYLOAD, &f), -EBADMSG, "DATA on stream 0");
        TAP_IS_INT(spdy_frame_parse(big, sizeof(big), 65536, &f), -E2BIG, "over the frame limit");
        TAP_IS_INT(spdy_frame_parse(unknown, sizeof(unknown), SPDY_MAX_PAYLOAD, &f), 9, "unknown type skipped");
        TAP_OK(spdy_inflater_new(&inf) >= 0, "inflater");
        TAP_IS_INT(spdy_inflate_headers(inf, (const uint8_t *) "garbage!", 8, 4096, &h), -EBADMSG,
                   "non-zlib header block refused");
}

static void test_websocket_frames(void) {
        _cleanup_(stream_buffer_done) StreamBuffer b = {};
        WebSocketAssembler a = {};
        const uint8_t mask[4] = { 0x37, 0xfa, 0x21, 0x3d };
        uint8_t big[70000];
        WebSocketOpcode op;
        WebSocketFrame f;
        char accept[29];
        int n;

        /* RFC 6455 1.3's example. */
        TAP_OK(websocket_accept_key("dGhlIHNhbXBsZSBub25jZQ==", accept) >= 0, "accept key");
        TAP_IS_STR(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "RFC 6455 accept example");
        TAP_IS_INT(websocket_accept_key("short", accept), -EINVAL, "bad key refused");

        /* RFC 6455 5.7: a masked "Hello". */
        {
                uint8_t hello[] = { 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58 };

                TAP_IS_INT(websocket_frame_parse(hello, sizeof(hello), 1024, true, &f), 11, "masked Hello parses");
                TAP_OK(f.fin && f.opcode == WEBSOCKET_TEXT && f.payload_size == 5 &&
                       memcmp(f.payload, "Hello", 5) == 0, "unmasked to Hello");
        }
        {
                uint8_t unmasked[] = { 0x81, 0x05, 'H', 'e', 'l', 'l', 'o' };

                TAP_IS_INT(websocket_frame_parse(unmasked, sizeof(unmasked), 1024, true, &f), -EBADMSG,
                           "unmasked client frame refused");
                TAP_IS_INT(websocket_frame_parse(unmasked, sizeof(unmasked), 1024, false, &f), 7,
                           "unmasked accepted from a server");
        }
        {
                uint8_t rsv[] = { 0xc1, 0x80, 0, 0, 0, 0 }, ping_frag[] = { 0x09, 0x80, 0, 0, 0, 0 };
                uint8_t op3[] = { 0x83, 0x80, 0, 0, 0, 0 };

                TAP_IS_INT(websocket_frame_parse(rsv, sizeof(rsv), 1024, true, &f), -EBADMSG, "RSV1 refused");
                TAP_IS_INT(websocket_frame_parse(ping_frag, sizeof(ping_frag), 1024, true, &f), -EBADMSG,
                           "fragmented ping refused");
                TAP_IS_INT(websocket_frame_parse(op3, sizeof(op3), 1024, true, &f), -EBADMSG, "opcode 3 refused");
        }

        /* Fragmentation with an interleaved ping, 16- and 64-bit lengths. */
        memset(big, 'x', sizeof(big));
        TAP_OK(websocket_write_masked_frame(&b, false, WEBSOCKET_BINARY, big, 300, mask) >= 0, "fragment 1");
        TAP_OK(websocket_write_masked_frame(&b, true, WEBSOCKET_PING, "p", 1, mask) >= 0, "ping between");
        TAP_OK(websocket_write_masked_frame(&b, true, WEBSOCKET_CONTINUATION, big, sizeof(big), mask) >= 0,
               "fragment 2 (64-bit length)");
        n = websocket_frame_parse(stream_buffer_head(&b), stream_buffer_size(&b), 1 << 20, true, &f);
        TAP_IS_INT(n, 2 + 2 + 4 + 300, "16-bit length frame size");
        TAP_IS_INT(websocket_assembler_add(&a, &f, 1 << 20, &op), 0, "first fragment waits");
        stream_buffer_consume(&b, (size_t) n);
        n = websocket_frame_parse(stream_buffer_head(&b), stream_buffer_size(&b), 1 << 20, true, &f);
        TAP_OK(n > 0 && f.opcode == WEBSOCKET_PING && f.payload[0] == 'p', "ping in between");
        stream_buffer_consume(&b, (size_t) n);
        TAP_IS_INT(websocket_frame_parse(stream_buffer_head(&b), stream_buffer_size(&b), 1000, true, &f), -E2BIG,
                   "over max payload");
        n = websocket_frame_parse(stream_buffer_head(&b), stream_buffer_size(&b), 1 << 20, true, &f);
        TAP_IS_INT(n, 2 + 8 + 4 + (int) sizeof(big), "64-bit length frame size");
        TAP_IS_INT(websocket_assembler_add(&a, &f, 1 << 20, &op), 1, "message complete");
        TAP_OK(op == WEBSOCKET_BINARY && stream_buffer_size(&a.message) == 300 + sizeof(big), "joined message");
        websocket_assembler_reset(&a);
        f = (WebSocketFrame) { .fin = true, .opcode = WEBSOCKET_CONTINUATION };
        TAP_IS_INT(websocket_assembler_add(&a, &f, 1 << 20, &op), -EBADMSG, "continuation without start");
        websocket_assembler_done(&a);

        /* Close codes. */
        {
                uint16_t code;

                TAP_OK(websocket_parse_close((const uint8_t *) "\x03\xe8", 2, &code) >= 0 && code == 1000, "1000");
                TAP_OK(websocket_parse_close(NULL, 0, &code) >= 0 && code == 1005, "empty close");
                TAP_IS_INT(websocket_parse_close((const uint8_t *) "\x03", 1, &code), -EBADMSG, "1-byte close");
                TAP_IS_INT(websocket_parse_close((const uint8_t *) "\x03\xed", 2, &code), -EBADMSG, "1005 not sent");
                TAP_IS_INT(websocket_parse_close((const uint8_t *) "\x0b\xb8\xff", 3, &code), -EBADMSG,
                           "bad UTF-8 reason");
                TAP_OK(websocket_parse_close((const uint8_t *) "\x0f\xa0ok", 4, &code) >= 0 && code == 4000,
                       "private code 4000");
                stream_buffer_consume(&b, stream_buffer_size(&b));
                TAP_OK(websocket_write_close(&b, 1000, "bye") >= 0, "close written");
                TAP_OK(stream_buffer_size(&b) == 7 && memcmp(stream_buffer_head(&b), "\x88\x05\x03\xe8" "bye", 7) == 0,
                       "close frame bytes");
        }
        {
                uint8_t out[16];

                TAP_IS_INT(base64_decode_into("aGVsbG8=", 8, out), 5, "base64 decode");
                TAP_OK(memcmp(out, "hello", 5) == 0, "base64 bytes");
                TAP_IS_INT(base64_decode_into("a$==", 4, out), -EINVAL, "bad base64");
        }
}

static void test_tokens(void) {
        _cleanup_(stream_token_store_freep) StreamTokenStore *s = NULL;
        _cleanup_free_ char *t1 = NULL, *t2 = NULL;
        StreamRequest *req;
        char tok[STREAM_TOKEN_LENGTH + 1];

        TAP_OK(stream_token_generate(tok) >= 0 && strlen(tok) == 8 && strspn(tok,
               "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == 8, "8 base64url chars");
        TAP_OK(stream_token_store_new(&s) >= 0, "store");
        TAP_OK(stream_request_new(STREAM_REQUEST_EXEC, &req) >= 0, "request");
        TAP_OK(stream_token_store_insert(s, req, 1000, &t1) >= 0, "insert at t=1ms");
        TAP_OK(stream_request_new(STREAM_REQUEST_ATTACH, &req) >= 0, "request 2");
        TAP_OK(stream_token_store_insert(s, req, 30000000, &t2) >= 0, "insert at t=30s");
        TAP_OK(strcmp(t1, t2) != 0, "tokens differ");
        req = stream_token_store_consume(s, t2, 31000000);
        TAP_OK(req && req->type == STREAM_REQUEST_ATTACH, "consumed within its minute");
        stream_request_free(req);
        TAP_OK(!stream_token_store_consume(s, t2, 31000000), "second use refused");
        TAP_OK(!stream_token_store_consume(s, t1, 1000 + STREAM_TOKEN_TTL_USEC + 1), "expired token refused");
        TAP_IS_INT(stream_token_store_gc(s, 0), 0, "store empty");
        for (unsigned k = 0; k < STREAM_TOKEN_MAX_IN_FLIGHT; k++) {
                _cleanup_free_ char *t = NULL;

                (void) stream_request_new(STREAM_REQUEST_PORT_FORWARD, &req);
                if (stream_token_store_insert(s, req, 5, &t) < 0)
                        break;
        }
        TAP_IS_INT(stream_token_store_gc(s, 5), STREAM_TOKEN_MAX_IN_FLIGHT, "1000 in flight");
        (void) stream_request_new(STREAM_REQUEST_PORT_FORWARD, &req);
        TAP_IS_INT(stream_token_store_insert(s, req, 6, &t1), -EBUSY, "1001st refused");
        (void) stream_request_new(STREAM_REQUEST_PORT_FORWARD, &req);
        free(t1);
        t1 = NULL;
        TAP_OK(stream_token_store_insert(s, req, 5 + STREAM_TOKEN_TTL_USEC + 1, &t1) >= 0, "room again after expiry");
        TAP_IS_INT(stream_token_store_gc(s, 5 + STREAM_TOKEN_TTL_USEC + 1), 1, "old ones collected");
        TAP_IS_STR(stream_request_type_to_string(STREAM_REQUEST_PORT_FORWARD), "portforward", "type names");
        TAP_IS_INT(stream_request_type_from_string("attach"), STREAM_REQUEST_ATTACH, "type from name");
        TAP_IS_INT(stream_request_type_from_string("nope"), -EINVAL, "unknown type");
}

static void test_status(void) {
        _cleanup_free_ char *ok = NULL, *fail = NULL, *err = NULL;
        char *cmd[] = { (char *) "sh", (char *) "-c", (char *) "exit 3", NULL };

        TAP_OK(stream_status_format_exit(0, cmd, &ok) >= 0, "success status");
        TAP_IS_STR(ok, "{\"metadata\":{},\"status\":\"Success\"}", "Success JSON");
        TAP_OK(stream_status_format_exit(3, cmd, &fail) >= 0, "failure status");
        TAP_IS_STR(fail, "{\"metadata\":{},\"status\":\"Failure\",\"message\":\"command terminated with non-zero "
                   "exit code: error executing command [sh -c exit 3], exit code 3\",\"reason\":\"NonZeroExitCode\","
                   "\"details\":{\"causes\":[{\"reason\":\"ExitCode\",\"message\":\"3\"}]}}", "NonZeroExitCode JSON");
        TAP_OK(stream_status_format_error("bad \"thing\"\n", &err) >= 0, "error status");
        TAP_IS_STR(err, "{\"metadata\":{},\"status\":\"Failure\",\"message\":\"bad \\\"thing\\\"\\n\",\"reason\":"
                   "\"InternalError\",\"details\":{\"causes\":[{\"message\":\"bad \\\"thing\\\"\\n\"}]},\"code\":500}",
                   "InternalError JSON escaped");
}

static void test_http(void) {
        _cleanup_(stream_http_request_done) StreamHttpRequest r = {};
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *q = NULL;
        const char *req = "POST /exec/abcdefgh?ports=80,81 HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Upgrade\r\n"
                          "X-Stream-Protocol-Version: v4.channel.k8s.io\r\n"
                          "X-Stream-Protocol-Version: v3.channel.k8s.io, channel.k8s.io\r\n\r\nrest";

        TAP_IS_INT(stream_http_parse_request(req, strlen(req), &r), (int) strlen(req) - 4, "head parsed");
        TAP_IS_STR(r.path, "/exec/abcdefgh", "path without query");
        TAP_OK(stream_http_header_has_token(&r, "connection", "upgrade"), "Connection lists upgrade");
        TAP_OK(stream_http_header_list(&r, "X-Stream-Protocol-Version", &l) >= 0 && strv_length(l) == 3,
               "three protocol versions");
        TAP_IS_STR(l[2], "channel.k8s.io", "in order");
        TAP_OK(stream_http_query_get(&r, "ports", &q) > 0, "query value");
        TAP_IS_STR(q, "80,81", "ports");
        TAP_IS_INT(stream_http_parse_request("GET / HTTP/1.1\r\n", 16, &(StreamHttpRequest) {}), 0, "incomplete");
        TAP_IS_INT(stream_http_parse_request("\x16\x03\x01", 3, &(StreamHttpRequest) {}), -EBADMSG, "TLS hello");
        TAP_IS_INT(stream_http_parse_request("GET / HTTP/2.0\r\n\r\n", 18, &(StreamHttpRequest) {}), -EBADMSG,
                   "HTTP/2 line");
}

int main(void) {
        test_spdy_dictionary();
        test_spdy_syn_stream_vector();
        test_spdy_roundtrip();
        test_spdy_malformed();
        test_websocket_frames();
        test_tokens();
        test_status();
        test_http();
        return tap_done();
}
