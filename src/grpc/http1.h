/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Just enough HTTP/1.1 to answer GET requests for /info and /config on the gRPC socket: a parser
 * for the request head (request line and headers) and a response writer. No I/O here. */

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

/* A request head larger than this is refused. */
#define HTTP1_MAX_HEAD_SIZE (16U * 1024U)

typedef struct Http1Request {
        char *method;
        char *path;
        unsigned version_minor;      /* HTTP/1.<minor> */
        bool keep_alive;
        bool has_body;               /* Content-Length > 0 or Transfer-Encoding present */
} Http1Request;

void http1_request_done(Http1Request *req);

/* Parses the request head at the start of buf. Returns the size of the head (> 0) once it is
 * complete, 0 when more input is needed, -EBADMSG when malformed, -E2BIG when the head exceeds
 * HTTP1_MAX_HEAD_SIZE. */
int http1_parse_request(const char *buf, size_t size, Http1Request *ret);

/* True if buf starts like an HTTP/1.x request line ("GET /..."), false if it cannot be one, and
 * -EAGAIN if there are not enough bytes to tell yet. */
int http1_sniff(const char *buf, size_t size);

const char *http1_status_reason(unsigned status) _const_;

/* Formats a whole response (status line, headers, body) into a new buffer. */
int http1_format_response(unsigned status, const char *content_type, const void *body, size_t body_size,
                          bool keep_alive, char **ret, size_t *ret_size);
