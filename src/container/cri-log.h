/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The CRI container log format kubelet reads, one record a line:
 *   2016-10-06T00:17:09.669794202Z stdout F text
 * an RFC 3339 timestamp with up to nanoseconds (conmon writes its local offset, kubelet "Z"), the
 * stream, "F" for a full line or "P" for a part of a longer one, then the text. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

typedef enum CriLogStream {
        CRI_LOG_STREAM_STDOUT,
        CRI_LOG_STREAM_STDERR,
        _CRI_LOG_STREAM_MAX,
        _CRI_LOG_STREAM_INVALID = -EINVAL,
} CriLogStream;

const char *cri_log_stream_to_string(CriLogStream s) _const_;
CriLogStream cri_log_stream_from_string(const char *s) _pure_;

typedef struct CriLogLine {
        int64_t sec;                    /* UTC, seconds since the epoch */
        uint32_t nsec;
        CriLogStream stream;
        bool partial;                   /* "P" */
        const char *content;            /* into the parsed buffer, without the newline */
        size_t content_size;
} CriLogLine;

/* Parses an RFC 3339 time of the CRI log ("Z" or a ±hh:mm offset, fraction of 1 to 9 digits). */
int cri_log_timestamp_parse(const char *s, size_t size, int64_t *ret_sec, uint32_t *ret_nsec);

/* "2016-10-06T00:17:09.669794202Z": always nine digits, always UTC, as kubelet writes it. */
#define CRI_LOG_TIMESTAMP_MAX 64
int cri_log_timestamp_format(int64_t sec, uint32_t nsec, char buf[static CRI_LOG_TIMESTAMP_MAX]);

/* One line (without or with its trailing newline). -EBADMSG for a malformed one. */
int cri_log_line_parse(const char *line, size_t size, CriLogLine *ret);

/* Takes the next line of *p..end and advances *p past it: 1 for a line, 0 at the end, -EBADMSG
 * for a malformed line (skipped, so the caller may go on). */
int cri_log_next(const char **p, const char *end, CriLogLine *ret);

/* A record: "<timestamp> <stream> <F|P> <content>\n". */
int cri_log_line_format(const CriLogLine *line, char **ret, size_t *ret_size);
