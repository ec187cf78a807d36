/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Single-use tokens for streaming URLs, as kubelet's request cache hands them out: 8 URL-safe
 * characters from the kernel's random pool, valid for one minute, at most 1000 waiting. */

#include <stddef.h>
#include <stdint.h>

#include "macro.h"
#include "stream-request.h"

#define STREAM_TOKEN_LENGTH 8U
#define STREAM_TOKEN_TTL_USEC (60ULL * 1000000ULL)
#define STREAM_TOKEN_MAX_IN_FLIGHT 1000U

typedef struct StreamTokenStore StreamTokenStore;

int stream_token_store_new(StreamTokenStore **ret);
StreamTokenStore *stream_token_store_free(StreamTokenStore *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(StreamTokenStore *, stream_token_store_free);

/* Keeps req (owned from then on, also on failure) behind a fresh token, valid until
 * now_usec + STREAM_TOKEN_TTL_USEC (CLOCK_MONOTONIC). -EBUSY when too many are waiting. */
int stream_token_store_insert(StreamTokenStore *s, StreamRequest *req, uint64_t now_usec, char **ret_token);
/* Removes the token and hands back its request; NULL when unknown, used or expired. */
StreamRequest *stream_token_store_consume(StreamTokenStore *s, const char *token, uint64_t now_usec);
/* Drops expired tokens; returns how many are left. */
size_t stream_token_store_gc(StreamTokenStore *s, uint64_t now_usec);

/* STREAM_TOKEN_LENGTH characters of base64url. */
int stream_token_generate(char ret[static STREAM_TOKEN_LENGTH + 1]);
