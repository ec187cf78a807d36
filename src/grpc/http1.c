/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http1.h"

void http1_request_done(Http1Request *req) {
        req->method = mfree(req->method);
        req->path = mfree(req->path);
}

static bool is_token_char(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

static bool is_method_char(char c) {
        return c >= 'A' && c <= 'Z';
}

int http1_sniff(const char *buf, size_t size) {
        /* A method of upper-case letters followed by a space; "PRI" is the HTTP/2 preface. */
        for (size_t i = 0; i < size; i++) {
                if (buf[i] == ' ')
                        return i > 0 && !(i == 3 && memcmp(buf, "PRI", 3) == 0);
                if (!is_method_char(buf[i]) || i >= 16)
                        return false;
        }
        return -EAGAIN;
}

static const char *find_crlf(const char *p, const char *end) {
        for (; p + 1 < end; p++)
                if (p[0] == '\r' && p[1] == '\n')
                        return p;
        return NULL;
}

static bool header_has_token(const char *value, size_t size, const char *token) {
        size_t l = strlen(token);

        /* Comma separated list, compared case-insensitively. */
        while (size > 0) {
                size_t n = 0, s;

                while (size > 0 && (*value == ' ' || *value == '\t' || *value == ',')) {
                        value++;
                        size--;
                }
                while (n < size && value[n] != ',')
                        n++;
                s = n;
                while (s > 0 && (value[s - 1] == ' ' || value[s - 1] == '\t'))
                        s--;
                if (s == l && strncasecmp(value, token, l) == 0)
                        return true;
                value += n;
                size -= n;
        }
        return false;
}

int http1_parse_request(const char *buf, size_t size, Http1Request *ret) {
        const char *p = buf, *end, *line_end, *sp1, *sp2, *head_end = NULL;
        _cleanup_free_ char *method = NULL, *path = NULL;
        bool close_seen = false, keep_alive_seen = false, has_body = false;
        unsigned minor;

        /* Find the end of the head first: nothing is parsed before it is all here. */
        for (size_t i = 0; i + 3 < size; i++)
                if (memcmp(buf + i, "\r\n\r\n", 4) == 0) {
                        head_end = buf + i + 4;
                        break;
                }
        if (!head_end) {
                if (size > HTTP1_MAX_HEAD_SIZE)
                        return -E2BIG;
                /* Fail early on something that can never become a request line. */
                if (size > 0 && http1_sniff(buf, size) == false)
                        return -EBADMSG;
                return 0;
        }
        if ((size_t) (head_end - buf) > HTTP1_MAX_HEAD_SIZE)
                return -E2BIG;
        end = head_end - 2;

        /* Request line: METHOD SP request-target SP HTTP/1.x */
        line_end = find_crlf(p, head_end);
        sp1 = memchr(p, ' ', line_end - p);
        if (!sp1 || sp1 == p)
                return -EBADMSG;
        for (const char *c = p; c < sp1; c++)
                if (!is_token_char(*c))
                        return -EBADMSG;
        sp2 = memchr(sp1 + 1, ' ', line_end - sp1 - 1);
        if (!sp2 || sp2 == sp1 + 1)
                return -EBADMSG;
        for (const char *c = sp1 + 1; c < sp2; c++)
                if ((unsigned char) *c <= ' ' || *c == 0x7f)
                        return -EBADMSG;
        if (line_end - sp2 - 1 != 8 || memcmp(sp2 + 1, "HTTP/1.", 7) != 0 || sp2[8] < '0' || sp2[8] > '9')
                return -EBADMSG;
        minor = sp2[8] - '0';

        method = strndup(p, sp1 - p);
        path = strndup(sp1 + 1, sp2 - sp1 - 1);
        if (!method || !path)
                return -ENOMEM;

        /* Header fields: name ":" OWS value OWS */
        for (p = line_end + 2; p < end; p = line_end + 2) {
                const char *colon, *value, *value_end;

                line_end = find_crlf(p, head_end);
                colon = memchr(p, ':', line_end - p);
                if (!colon || colon == p)
                        return -EBADMSG;
                for (const char *c = p; c < colon; c++)
                        if (!is_token_char(*c))
                                return -EBADMSG;
                value = colon + 1;
                value_end = line_end;
                while (value < value_end && (*value == ' ' || *value == '\t'))
                        value++;
                while (value_end > value && (value_end[-1] == ' ' || value_end[-1] == '\t'))
                        value_end--;
                for (const char *c = value; c < value_end; c++)
                        if ((*c < ' ' && *c != '\t') || *c == 0x7f)
                                return -EBADMSG;

#define NAME_IS(n) ((size_t) (colon - p) == strlen(n) && strncasecmp(p, n, strlen(n)) == 0)
                if (NAME_IS("Connection")) {
                        close_seen = close_seen || header_has_token(value, value_end - value, "close");
                        keep_alive_seen = keep_alive_seen ||
                                          header_has_token(value, value_end - value, "keep-alive");
                } else if (NAME_IS("Content-Length")) {
                        if (value == value_end)
                                return -EBADMSG;
                        for (const char *c = value; c < value_end; c++) {
                                if (*c < '0' || *c > '9')
                                        return -EBADMSG;
                                if (*c != '0')
                                        has_body = true;
                        }
                } else if (NAME_IS("Transfer-Encoding"))
                        has_body = true;
#undef NAME_IS
        }

        *ret = (Http1Request) {
                .method = TAKE_PTR(method),
                .path = TAKE_PTR(path),
                .version_minor = minor,
                .keep_alive = minor >= 1 ? !close_seen : keep_alive_seen && !close_seen,
                .has_body = has_body,
        };
        return (int) (head_end - buf);
}

const char *http1_status_reason(unsigned status) {
        switch (status) {
        case 200: return "OK";
        case 204: return "No Content";
        case 400: return "Bad Request";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 413: return "Payload Too Large";
        case 415: return "Unsupported Media Type";
        case 431: return "Request Header Fields Too Large";
        case 500: return "Internal Server Error";
        case 503: return "Service Unavailable";
        default: return "Unknown";
        }
}

int http1_format_response(unsigned status, const char *content_type, const void *body, size_t body_size,
                          bool keep_alive, char **ret, size_t *ret_size) {
        char head[512];
        char *buf;
        int n;

        n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %u %s\r\n"
                     "Content-Type: %s\r\n"
                     "Content-Length: %zu\r\n"
                     "%s"
                     "\r\n",
                     status, http1_status_reason(status),
                     content_type ?: "text/plain; charset=utf-8",
                     body_size,
                     keep_alive ? "" : "Connection: close\r\n");
        if (n < 0 || (size_t) n >= sizeof(head))
                return -EINVAL;

        buf = malloc(n + body_size);
        if (!buf)
                return -ENOMEM;
        memcpy(buf, head, n);
        if (body_size > 0)
                memcpy(buf + n, body, body_size);
        *ret = buf;
        *ret_size = n + body_size;
        return 0;
}
