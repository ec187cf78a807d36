/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>
#include <strings.h>

#include "stream-http.h"
#include "strv.h"

void stream_http_request_done(StreamHttpRequest *r) {
        r->method = mfree(r->method);
        r->path = mfree(r->path);
        r->query = mfree(r->query);
        r->headers = strv_free(r->headers);
}

static bool is_token_char(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

int stream_http_parse_request(const char *buf, size_t size, StreamHttpRequest *ret) {
        _cleanup_(stream_http_request_done) StreamHttpRequest req = {};
        const char *head_end = NULL, *p, *line_end, *sp1, *sp2, *q;
        int r;

        for (size_t k = 0; k + 3 < size && k < STREAM_HTTP_MAX_HEAD_SIZE; k++)
                if (memcmp(buf + k, "\r\n\r\n", 4) == 0) {
                        head_end = buf + k + 4;
                        break;
                }
        if (!head_end) {
                if (size >= STREAM_HTTP_MAX_HEAD_SIZE)
                        return -E2BIG;
                /* Refuse early what can never be a request line. */
                for (size_t k = 0; k < size && buf[k] != ' '; k++)
                        if (!is_token_char(buf[k]) || k > 16)
                                return -EBADMSG;
                return 0;
        }

        line_end = memmem(buf, head_end - buf, "\r\n", 2);
        sp1 = memchr(buf, ' ', line_end - buf);
        if (!sp1 || sp1 == buf)
                return -EBADMSG;
        for (p = buf; p < sp1; p++)
                if (!is_token_char(*p))
                        return -EBADMSG;
        sp2 = memchr(sp1 + 1, ' ', line_end - sp1 - 1);
        if (!sp2 || sp2 == sp1 + 1 || sp1[1] != '/')
                return -EBADMSG;
        for (p = sp1 + 1; p < sp2; p++)
                if ((unsigned char) *p <= ' ' || *p == 0x7f)
                        return -EBADMSG;
        if (line_end - sp2 - 1 != 8 || memcmp(sp2 + 1, "HTTP/1.", 7) != 0 || sp2[8] < '0' || sp2[8] > '9')
                return -EBADMSG;

        req.method = strndup(buf, sp1 - buf);
        q = memchr(sp1 + 1, '?', sp2 - sp1 - 1);
        req.path = strndup(sp1 + 1, (q ?: sp2) - sp1 - 1);
        if (q)
                req.query = strndup(q + 1, sp2 - q - 1);
        if (!req.method || !req.path || (q && !req.query))
                return -ENOMEM;
        r = strv_push(&req.headers, NULL);
        if (r < 0)
                return r;

        for (p = line_end + 2; p < head_end - 2; p = line_end + 2) {
                const char *colon, *value, *value_end;
                char *name, *v;

                line_end = memmem(p, head_end - p, "\r\n", 2);
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
                if (strv_length(req.headers) >= 200)
                        return -E2BIG;
                name = strndup(p, colon - p);
                if (!name)
                        return -ENOMEM;
                r = strv_consume(&req.headers, name);
                if (r < 0)
                        return r;
                v = strndup(value, value_end - value);
                if (!v)
                        return -ENOMEM;
                r = strv_consume(&req.headers, v);
                if (r < 0)
                        return r;
        }

        *ret = req;
        req = (StreamHttpRequest) {};
        return (int) (head_end - buf);
}

const char *stream_http_header(const StreamHttpRequest *r, const char *name) {
        for (size_t k = 0; r->headers && r->headers[k] && r->headers[k + 1]; k += 2)
                if (strcasecmp(r->headers[k], name) == 0)
                        return r->headers[k + 1];
        return NULL;
}

int stream_http_header_list(const StreamHttpRequest *r, const char *name, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        int k;

        k = strv_push(&l, NULL);
        if (k < 0)
                return k;
        for (size_t i = 0; r->headers && r->headers[i] && r->headers[i + 1]; i += 2) {
                const char *v = r->headers[i + 1];

                if (strcasecmp(r->headers[i], name) != 0)
                        continue;
                while (*v) {
                        size_t n, s;
                        char *item;

                        v += strspn(v, " \t,");
                        n = strcspn(v, ",");
                        s = n;
                        while (s > 0 && (v[s - 1] == ' ' || v[s - 1] == '\t'))
                                s--;
                        if (s > 0) {
                                item = strndup(v, s);
                                if (!item)
                                        return -ENOMEM;
                                k = strv_consume(&l, item);
                                if (k < 0)
                                        return k;
                        }
                        v += n;
                }
        }
        *ret = TAKE_PTR(l);
        return 0;
}

bool stream_http_header_has_token(const StreamHttpRequest *r, const char *name, const char *token) {
        _cleanup_strv_free_ char **l = NULL;

        if (stream_http_header_list(r, name, &l) < 0)
                return false;
        for (char **i = l; i && *i; i++)
                if (strcasecmp(*i, token) == 0)
                        return true;
        return false;
}

int stream_http_query_get(const StreamHttpRequest *r, const char *key, char **ret) {
        size_t l = strlen(key);

        for (const char *p = r->query; p && *p;) {
                size_t n = strcspn(p, "&");

                if (n > l && strncmp(p, key, l) == 0 && p[l] == '=') {
                        char *v = strndup(p + l + 1, n - l - 1);

                        if (!v)
                                return -ENOMEM;
                        *ret = v;
                        return 1;
                }
                p += n;
                if (*p == '&')
                        p++;
        }
        *ret = NULL;
        return 0;
}
