/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "http1.h"
#include "tap.h"

static int parse(const char *s, Http1Request *req) {
        return http1_parse_request(s, strlen(s), req);
}

int main(void) {
        Http1Request req = {};
        _cleanup_free_ char *resp = NULL;
        const char *s;
        size_t size;
        char big[HTTP1_MAX_HEAD_SIZE + 64];

        s = "GET /info HTTP/1.1\r\nHost: localhost\r\nUser-Agent: curl\r\n\r\nGET /next";
        TAP_IS_INT(parse(s, &req), (int) (strstr(s, "\r\n\r\n") - s) + 4, "good request parsed");
        TAP_IS_STR(req.method, "GET", "method");
        TAP_IS_STR(req.path, "/info", "path");
        TAP_IS_INT(req.version_minor, 1, "HTTP/1.1");
        TAP_OK(req.keep_alive, "1.1 keeps alive by default");
        TAP_OK(!req.has_body, "no body");
        http1_request_done(&req);

        TAP_IS_INT(parse("GET /config HTTP/1.1\r\nConnection: keep-alive, Close\r\n\r\n", &req) > 0, 1, "close parsed");
        TAP_OK(!req.keep_alive, "Connection: close honoured");
        http1_request_done(&req);

        TAP_IS_INT(parse("GET / HTTP/1.0\r\n\r\n", &req) > 0, 1, "HTTP/1.0 parsed");
        TAP_OK(!req.keep_alive, "1.0 closes by default");
        http1_request_done(&req);

        TAP_IS_INT(parse("POST /x HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", &req) > 0, 1, "POST parsed");
        TAP_OK(req.has_body, "body noticed");
        TAP_IS_STR(req.method, "POST", "POST method");
        http1_request_done(&req);

        /* Partial input. */
        TAP_IS_INT(parse("GET /info HT", &req), 0, "partial request line needs more");
        TAP_IS_INT(parse("GET /info HTTP/1.1\r\nHost: x\r\n", &req), 0, "partial headers need more");
        TAP_IS_INT(parse("", &req), 0, "empty needs more");

        /* Malformed. */
        TAP_IS_INT(parse("GET /info\r\n\r\n", &req), -EBADMSG, "missing version refused");
        TAP_IS_INT(parse("GET /info HTTP/2.0\r\n\r\n", &req), -EBADMSG, "wrong version refused");
        TAP_IS_INT(parse("GET  HTTP/1.1\r\n\r\n", &req), -EBADMSG, "empty target refused");
        TAP_IS_INT(parse("GET /info HTTP/1.1\r\nNoColon\r\n\r\n", &req), -EBADMSG, "header without colon refused");
        TAP_IS_INT(parse("GET /info HTTP/1.1\r\nBad Name: x\r\n\r\n", &req), -EBADMSG, "space in name refused");
        TAP_IS_INT(parse("GET /info HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", &req), -EBADMSG, "bad length refused");
        TAP_IS_INT(parse("\x01\x02garbage", &req), -EBADMSG, "garbage refused before the head ends");
        memset(big, 'a', sizeof(big));
        memcpy(big, "GET /", 5);
        TAP_IS_INT(http1_parse_request(big, sizeof(big), &req), -E2BIG, "huge head refused");

        TAP_IS_INT(http1_sniff("GET / HTTP/1.1", 14), true, "GET sniffed");
        TAP_IS_INT(http1_sniff("PRI * HTTP/2.0", 14), false, "HTTP/2 preface is not HTTP/1");
        TAP_IS_INT(http1_sniff("GE", 2), -EAGAIN, "too short to tell");
        TAP_IS_INT(http1_sniff("\x16\x03\x01", 3), false, "TLS is not HTTP/1");

        TAP_IS_INT(http1_format_response(404, NULL, "404 page not found\n", 19, false, &resp, &size), 0, "response formatted");
        TAP_OK(size > 19 && strncmp(resp, "HTTP/1.1 404 Not Found\r\n", 24) == 0, "status line");
        TAP_OK(memmem(resp, size, "Content-Length: 19\r\n", 20) != NULL, "content length");
        TAP_OK(memmem(resp, size, "Connection: close\r\n", 19) != NULL, "connection close");
        TAP_OK(memcmp(resp + size - 19, "404 page not found\n", 19) == 0, "body at the end");
        return tap_done();
}
