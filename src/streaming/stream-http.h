/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The request head of an upgrade request to the streaming server: request line and all header
 * fields, which the SPDY and WebSocket upgrades need (src/grpc/http1.c keeps only a few). */

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

#define STREAM_HTTP_MAX_HEAD_SIZE (16U * 1024U)

typedef struct StreamHttpRequest {
        char *method;
        char *path;                     /* without the query */
        char *query;                    /* after '?', or NULL */
        char **headers;                 /* alternating names and values, in order */
} StreamHttpRequest;

void stream_http_request_done(StreamHttpRequest *r);

/* Returns the head's size once complete, 0 when more is needed, -EBADMSG when malformed, -E2BIG
 * beyond STREAM_HTTP_MAX_HEAD_SIZE. */
int stream_http_parse_request(const char *buf, size_t size, StreamHttpRequest *ret);

/* The first value of a header field (case-insensitive name), NULL if absent. */
const char *stream_http_header(const StreamHttpRequest *r, const char *name) _pure_;
/* True if any field of that name lists token (comma-separated, case-insensitive). */
bool stream_http_header_has_token(const StreamHttpRequest *r, const char *name, const char *token);
/* All comma-separated items of all fields of that name, in order. */
int stream_http_header_list(const StreamHttpRequest *r, const char *name, char ***ret);
/* The value of key in the query ("a=1&b=2"), unescaped not; NULL if absent. */
int stream_http_query_get(const StreamHttpRequest *r, const char *key, char **ret);
