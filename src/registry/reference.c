/* SPDX-License-Identifier: Apache-2.0 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reference.h"
#include "registry-util.h"

static bool char_is_lower_alnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool char_is_alnum(char c) {
        return char_is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static bool char_is_word(char c) {
        return char_is_alnum(c) || c == '_';
}

static bool char_is_hex_lower(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

Reference *reference_free(Reference *r) {
        if (!r)
                return NULL;
        free(r->domain);
        free(r->path);
        free(r->tag);
        free(r->digest);
        return mfree(r);
}

/* One host label: alphanumerics with inner dashes. */
static bool domain_label_is_valid(const char *s, size_t n) {
        if (n == 0 || !char_is_alnum(s[0]) || !char_is_alnum(s[n - 1]))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!char_is_alnum(s[i]) && s[i] != '-')
                        return false;
        return true;
}

static bool domain_is_valid_n(const char *s, size_t n) {
        const char *colon = NULL;
        size_t host_len;

        if (n == 0)
                return false;

        if (s[0] == '[') {
                /* An IPv6 literal: hex digits and colons (and dots for an embedded v4) in brackets. */
                const char *close = memchr(s, ']', n);
                if (!close || close == s + 1)
                        return false;
                for (const char *p = s + 1; p < close; p++)
                        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F') ||
                              *p == ':' || *p == '.'))
                                return false;
                host_len = close - s + 1;
                if (host_len < n && s[host_len] != ':')
                        return false;
        } else {
                colon = memchr(s, ':', n);
                host_len = colon ? (size_t) (colon - s) : n;
                for (size_t start = 0; start <= host_len;) {
                        const char *dot = memchr(s + start, '.', host_len - start);
                        size_t end = dot ? (size_t) (dot - s) : host_len;

                        if (!domain_label_is_valid(s + start, end - start))
                                return false;
                        start = end + 1;
                }
        }

        if (host_len < n) {
                /* ":port", digits only */
                if (host_len + 1 == n)
                        return false;
                for (size_t i = host_len + 1; i < n; i++)
                        if (s[i] < '0' || s[i] > '9')
                                return false;
        }
        return true;
}

bool reference_domain_is_valid(const char *s) {
        return s && domain_is_valid_n(s, strlen(s));
}

/* [a-z0-9]+ joined by one of ".", "_", "__" or a run of "-". */
static bool path_component_is_valid(const char *s, size_t n) {
        size_t i = 0;

        if (n == 0 || !char_is_lower_alnum(s[0]) || !char_is_lower_alnum(s[n - 1]))
                return false;
        while (i < n) {
                if (char_is_lower_alnum(s[i])) {
                        i++;
                        continue;
                }
                if (s[i] == '.')
                        i++;
                else if (s[i] == '_')
                        i += (i + 1 < n && s[i + 1] == '_') ? 2 : 1;
                else if (s[i] == '-')
                        while (i < n && s[i] == '-')
                                i++;
                else
                        return false;
                if (i >= n || !char_is_lower_alnum(s[i]))
                        return false;
        }
        return true;
}

bool reference_path_is_valid(const char *s) {
        if (!s || !*s)
                return false;
        for (;;) {
                const char *slash = strchr(s, '/');
                size_t n = slash ? (size_t) (slash - s) : strlen(s);

                if (!path_component_is_valid(s, n))
                        return false;
                if (!slash)
                        return true;
                s = slash + 1;
        }
}

bool reference_tag_is_valid(const char *s) {
        size_t n;

        if (!s || !char_is_word(s[0]))
                return false;
        n = strlen(s);
        if (n > REFERENCE_TAG_MAX)
                return false;
        for (size_t i = 1; i < n; i++)
                if (!char_is_word(s[i]) && s[i] != '.' && s[i] != '-')
                        return false;
        return true;
}

bool reference_digest_is_valid(const char *s) {
        static const struct {
                const char *algorithm;
                size_t hex_length;
        } known[] = {
                { "sha256", 64 },
                { "sha384", 96 },
                { "sha512", 128 },
        };
        const char *colon;

        if (!s)
                return false;
        colon = strchr(s, ':');
        if (!colon)
                return false;
        for (size_t k = 0; k < ELEMENTSOF(known); k++) {
                if (strlen(known[k].algorithm) != (size_t) (colon - s) ||
                    strncmp(s, known[k].algorithm, colon - s) != 0)
                        continue;
                if (strlen(colon + 1) != known[k].hex_length)
                        return false;
                for (const char *p = colon + 1; *p; p++)
                        if (!char_is_hex_lower(*p))
                                return false;
                return true;
        }
        return false;
}

bool reference_component_is_domain(const char *s, size_t n) {
        if (memchr(s, '.', n) || memchr(s, ':', n))
                return true;
        if (n == strlen("localhost") && strncmp(s, "localhost", n) == 0)
                return true;
        return false;
}

static bool string_is_image_id(const char *s) {
        if (strlen(s) != 64)
                return false;
        for (; *s; s++)
                if (!char_is_hex_lower(*s))
                        return false;
        return true;
}

static bool string_has_upper(const char *s) {
        for (; *s; s++)
                if (*s >= 'A' && *s <= 'Z')
                        return true;
        return false;
}

/* Applies docker.io's rules to domain + path. Takes ownership of neither. */
static int normalize(const char *domain, const char *path, char **ret_domain, char **ret_path) {
        _cleanup_free_ char *d = NULL, *p = NULL;

        if (streq_ptr(domain, "index.docker.io"))
                domain = REFERENCE_DEFAULT_DOMAIN;
        d = strdup(domain);
        if (!d)
                return -ENOMEM;
        if (streq_ptr(domain, REFERENCE_DEFAULT_DOMAIN) && !strchr(path, '/')) {
                if (asprintf(&p, "library/%s", path) < 0)
                        return -ENOMEM;
        } else {
                p = strdup(path);
                if (!p)
                        return -ENOMEM;
        }
        *ret_domain = TAKE_PTR(d);
        *ret_path = TAKE_PTR(p);
        return 0;
}

#define FAIL(msg) ({ if (ret_error) *ret_error = (msg); -EINVAL; })

int reference_parse(const char *s, Reference **ret, const char **ret_error) {
        _cleanup_(reference_freep) Reference *r = NULL;
        _cleanup_free_ char *copy = NULL;
        char *name, *at, *tag = NULL, *slash, *last_slash;
        int k;

        if (!s || !*s)
                return FAIL("invalid reference format: empty name");
        if (string_is_image_id(s))
                return FAIL("invalid repository name: cannot specify 64-byte hexadecimal strings");

        copy = strdup(s);
        r = calloc(1, sizeof(*r));
        if (!copy || !r)
                return -ENOMEM;

        name = copy;
        at = strchr(name, '@');
        if (at) {
                *at = '\0';
                if (!reference_digest_is_valid(at + 1))
                        return FAIL("invalid reference format: invalid digest");
                r->digest = strdup(at + 1);
                if (!r->digest)
                        return -ENOMEM;
        }

        /* A tag is a ':' after the last '/', so "host:5000/repo" keeps its port. */
        last_slash = strrchr(name, '/');
        tag = strchr(last_slash ? last_slash : name, ':');
        if (tag) {
                *tag++ = '\0';
                if (!reference_tag_is_valid(tag))
                        return FAIL("invalid reference format: invalid tag");
                r->tag = strdup(tag);
                if (!r->tag)
                        return -ENOMEM;
        }

        if (!*name)
                return FAIL("invalid reference format: empty name");
        if (strlen(name) > REFERENCE_NAME_MAX)
                return FAIL("invalid reference format: repository name must not be more than 255 characters");

        slash = strchr(name, '/');
        if (slash && reference_component_is_domain(name, slash - name)) {
                *slash = '\0';
                if (!reference_domain_is_valid(name))
                        return FAIL("invalid reference format: invalid registry domain");
                if (string_has_upper(slash + 1))
                        return FAIL("invalid reference format: repository name must be lowercase");
                if (!reference_path_is_valid(slash + 1))
                        return FAIL("invalid reference format: invalid repository path");
                k = normalize(name, slash + 1, &r->domain, &r->path);
                if (k < 0)
                        return k;
        } else {
                if (string_has_upper(name))
                        return FAIL("invalid reference format: repository name must be lowercase");
                if (!reference_path_is_valid(name))
                        return FAIL("invalid reference format: invalid repository path");
                r->path = strdup(name);
                if (!r->path)
                        return -ENOMEM;
        }

        *ret = TAKE_PTR(r);
        return 0;
}

int reference_parse_qualified(const char *s, Reference **ret, const char **ret_error) {
        _cleanup_(reference_freep) Reference *r = NULL;
        int k;

        k = reference_parse(s, &r, ret_error);
        if (k < 0)
                return k;
        if (reference_is_short_name(r))
                return FAIL("reference must be fully qualified: it names no registry");
        *ret = TAKE_PTR(r);
        return 0;
}

#undef FAIL

static int strdup_or_null(const char *s, char **ret) {
        if (!s) {
                *ret = NULL;
                return 0;
        }
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

int reference_copy(const Reference *r, Reference **ret) {
        _cleanup_(reference_freep) Reference *c = NULL;

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        if (strdup_or_null(r->domain, &c->domain) < 0 || strdup_or_null(r->path, &c->path) < 0 ||
            strdup_or_null(r->tag, &c->tag) < 0 || strdup_or_null(r->digest, &c->digest) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(c);
        return 0;
}

int reference_with_domain(const Reference *r, const char *domain, Reference **ret) {
        _cleanup_(reference_freep) Reference *c = NULL;
        int k;

        if (!reference_domain_is_valid(domain))
                return -EINVAL;
        if (strlen(domain) + 1 + strlen(r->path) > REFERENCE_NAME_MAX)
                return -EINVAL;

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        k = normalize(domain, r->path, &c->domain, &c->path);
        if (k < 0)
                return k;
        if (strdup_or_null(r->tag, &c->tag) < 0 || strdup_or_null(r->digest, &c->digest) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(c);
        return 0;
}

int reference_default_tag(Reference *r) {
        if (r->tag || r->digest)
                return 0;
        r->tag = strdup(REFERENCE_DEFAULT_TAG);
        return r->tag ? 0 : -ENOMEM;
}

char *reference_name(const Reference *r) {
        char *s;

        if (!r->domain)
                return strdup(r->path);
        if (asprintf(&s, "%s/%s", r->domain, r->path) < 0)
                return NULL;
        return s;
}

char *reference_to_string(const Reference *r) {
        char *s;

        if (asprintf(&s, "%s%s%s%s%s%s",
                     r->domain ?: "", r->domain ? "/" : "", r->path,
                     r->tag ? ":" : "", r->tag ?: "",
                     r->digest ? "@" : "") < 0)
                return NULL;
        if (r->digest) {
                char *t;
                if (asprintf(&t, "%s%s", s, r->digest) < 0) {
                        free(s);
                        return NULL;
                }
                free(s);
                s = t;
        }
        return s;
}

const char *reference_manifest_reference(const Reference *r) {
        return r->digest ?: r->tag ?: REFERENCE_DEFAULT_TAG;
}
