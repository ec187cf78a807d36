/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>
#include <sys/random.h>

#include "stream-token.h"

typedef struct TokenEntry {
        char token[STREAM_TOKEN_LENGTH + 1];
        StreamRequest *request;
        uint64_t expire_usec;
} TokenEntry;

/* Entries in insertion order, so expired ones are always at the front. */
struct StreamTokenStore {
        TokenEntry *entries;
        size_t n_entries;
};

int stream_token_store_new(StreamTokenStore **ret) {
        StreamTokenStore *s;

        s = calloc(1, sizeof(StreamTokenStore));
        if (!s)
                return -ENOMEM;
        s->entries = calloc(STREAM_TOKEN_MAX_IN_FLIGHT, sizeof(TokenEntry));
        if (!s->entries) {
                free(s);
                return -ENOMEM;
        }
        *ret = s;
        return 0;
}

StreamTokenStore *stream_token_store_free(StreamTokenStore *s) {
        if (!s)
                return NULL;
        for (size_t k = 0; k < s->n_entries; k++)
                stream_request_free(s->entries[k].request);
        free(s->entries);
        return mfree(s);
}

static void remove_entry(StreamTokenStore *s, size_t k) {
        memmove(s->entries + k, s->entries + k + 1, (s->n_entries - k - 1) * sizeof(TokenEntry));
        s->n_entries--;
}

size_t stream_token_store_gc(StreamTokenStore *s, uint64_t now_usec) {
        size_t n = 0;

        while (n < s->n_entries && now_usec > s->entries[n].expire_usec)
                stream_request_free(s->entries[n++].request);
        if (n > 0) {
                memmove(s->entries, s->entries + n, (s->n_entries - n) * sizeof(TokenEntry));
                s->n_entries -= n;
        }
        return s->n_entries;
}

int stream_token_generate(char ret[static STREAM_TOKEN_LENGTH + 1]) {
        static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        uint8_t raw[STREAM_TOKEN_LENGTH * 6 / 8];
        size_t got = 0;

        while (got < sizeof(raw)) {
                ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                got += (size_t) n;
        }
        /* 6 bytes are exactly 8 base64 characters, 6 bits each. */
        for (size_t k = 0; k < STREAM_TOKEN_LENGTH; k++) {
                size_t bit = k * 6, byte = bit / 8, shift = bit % 8;
                unsigned v = (unsigned) raw[byte] << 8 | (byte + 1 < sizeof(raw) ? raw[byte + 1] : 0);

                ret[k] = alphabet[(v >> (10 - shift)) & 0x3f];
        }
        ret[STREAM_TOKEN_LENGTH] = '\0';
        return 0;
}

static TokenEntry *find(StreamTokenStore *s, const char *token, size_t *ret_index) {
        for (size_t k = 0; k < s->n_entries; k++)
                if (strcmp(s->entries[k].token, token) == 0) {
                        if (ret_index)
                                *ret_index = k;
                        return s->entries + k;
                }
        return NULL;
}

int stream_token_store_insert(StreamTokenStore *s, StreamRequest *req, uint64_t now_usec, char **ret_token) {
        char token[STREAM_TOKEN_LENGTH + 1];
        char *copy;
        int r;

        (void) stream_token_store_gc(s, now_usec);
        if (s->n_entries >= STREAM_TOKEN_MAX_IN_FLIGHT) {
                stream_request_free(req);
                return -EBUSY;
        }
        for (unsigned tries = 0;; tries++) {
                r = stream_token_generate(token);
                if (r < 0) {
                        stream_request_free(req);
                        return r;
                }
                if (!find(s, token, NULL))
                        break;
                if (tries >= 10) {
                        stream_request_free(req);
                        return -EEXIST;
                }
        }
        copy = strdup(token);
        if (!copy) {
                stream_request_free(req);
                return -ENOMEM;
        }
        s->entries[s->n_entries++] = (TokenEntry) {
                .request = req,
                .expire_usec = now_usec + STREAM_TOKEN_TTL_USEC,
        };
        memcpy(s->entries[s->n_entries - 1].token, token, sizeof(token));
        *ret_token = copy;
        return 0;
}

StreamRequest *stream_token_store_consume(StreamTokenStore *s, const char *token, uint64_t now_usec) {
        StreamRequest *req;
        uint64_t expire_usec;
        TokenEntry *e;
        size_t k;

        if (!token)
                return NULL;
        e = find(s, token, &k);
        if (!e)
                return NULL;
        req = e->request;
        expire_usec = e->expire_usec;
        remove_entry(s, k);
        /* Used or not, an expired token is gone. */
        if (now_usec > expire_usec)
                return stream_request_free(req);
        return req;
}
