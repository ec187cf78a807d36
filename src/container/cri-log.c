/* SPDX-License-Identifier: Apache-2.0 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cri-log.h"

static const char *const stream_table[_CRI_LOG_STREAM_MAX] = {
        [CRI_LOG_STREAM_STDOUT] = "stdout",
        [CRI_LOG_STREAM_STDERR] = "stderr",
};

const char *cri_log_stream_to_string(CriLogStream s) {
        if (s < 0 || s >= _CRI_LOG_STREAM_MAX)
                return NULL;
        return stream_table[s];
}

CriLogStream cri_log_stream_from_string(const char *s) {
        if (!s)
                return _CRI_LOG_STREAM_INVALID;
        for (size_t i = 0; i < ELEMENTSOF(stream_table); i++)
                if (strcmp(stream_table[i], s) == 0)
                        return (CriLogStream) i;
        return _CRI_LOG_STREAM_INVALID;
}

static int digits(const char *s, size_t n, int *ret) {
        int v = 0;

        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -EBADMSG;
                v = v * 10 + (s[i] - '0');
        }
        *ret = v;
        return 0;
}

static bool leap_year(int y) {
        return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d) {
        int64_t era, yoe, doy, doe;

        y -= m <= 2;
        era = (y >= 0 ? y : y - 399) / 400;
        yoe = y - era * 400;
        doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
}

int cri_log_timestamp_parse(const char *s, size_t size, int64_t *ret_sec, uint32_t *ret_nsec) {
        static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        int year, month, day, hour, minute, second, oh = 0, om = 0, sign = 0;
        uint32_t nsec = 0;
        size_t i;

        /* YYYY-MM-DDTHH:MM:SS */
        if (size < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
                return -EBADMSG;
        if (digits(s, 4, &year) < 0 || digits(s + 5, 2, &month) < 0 || digits(s + 8, 2, &day) < 0 ||
            digits(s + 11, 2, &hour) < 0 || digits(s + 14, 2, &minute) < 0 || digits(s + 17, 2, &second) < 0)
                return -EBADMSG;
        if (month < 1 || month > 12 || day < 1 ||
            day > mdays[month - 1] + (month == 2 && leap_year(year)) || hour > 23 || minute > 59 || second > 59)
                return -EBADMSG;

        i = 19;
        if (s[i] == '.') {
                size_t n = 0;

                i++;
                for (; i < size && s[i] >= '0' && s[i] <= '9'; i++, n++) {
                        if (n >= 9)
                                return -EBADMSG;
                        nsec = nsec * 10 + (uint32_t) (s[i] - '0');
                }
                if (n == 0)
                        return -EBADMSG;
                for (; n < 9; n++)
                        nsec *= 10;
        }
        if (i >= size)
                return -EBADMSG;
        if (s[i] == 'Z')
                i++;
        else if (s[i] == '+' || s[i] == '-') {
                sign = s[i] == '+' ? 1 : -1;
                if (size - i < 6 || s[i + 3] != ':' || digits(s + i + 1, 2, &oh) < 0 ||
                    digits(s + i + 4, 2, &om) < 0 || oh > 23 || om > 59)
                        return -EBADMSG;
                i += 6;
        } else
                return -EBADMSG;
        if (i != size)
                return -EBADMSG;

        *ret_sec = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second -
                   sign * (oh * 3600 + om * 60);
        *ret_nsec = nsec;
        return 0;
}

/* The civil date of a day count: the inverse of days_from_civil(). */
static void civil_from_days(int64_t z, int64_t *ret_y, int *ret_m, int *ret_d) {
        int64_t era, doe, yoe, doy, mp;

        z += 719468;
        era = (z >= 0 ? z : z - 146096) / 146097;
        doe = z - era * 146097;
        yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        mp = (5 * doy + 2) / 153;
        *ret_d = (int) (doy - (153 * mp + 2) / 5 + 1);
        *ret_m = (int) (mp < 10 ? mp + 3 : mp - 9);
        *ret_y = yoe + era * 400 + (*ret_m <= 2);
}

int cri_log_timestamp_format(int64_t sec, uint32_t nsec, char buf[static CRI_LOG_TIMESTAMP_MAX]) {
        int64_t days, rem, year;
        int month, day;

        if (nsec >= 1000000000U)
                return -EINVAL;
        days = sec / 86400;
        rem = sec % 86400;
        if (rem < 0) {
                rem += 86400;
                days--;
        }
        civil_from_days(days, &year, &month, &day);
        if (year < 0 || year > 9999)
                return -ERANGE;
        (void) snprintf(buf, CRI_LOG_TIMESTAMP_MAX, "%04d-%02d-%02dT%02d:%02d:%02d.%09uZ", (int) year, month, day,
                        (int) (rem / 3600), (int) (rem / 60 % 60), (int) (rem % 60), nsec);
        return 0;
}

int cri_log_line_parse(const char *line, size_t size, CriLogLine *ret) {
        const char *sp1, *sp2, *end = line + size;
        char stream[8];
        CriLogLine l = {};
        int r;

        if (size > 0 && line[size - 1] == '\n')
                end--;

        sp1 = memchr(line, ' ', (size_t) (end - line));
        if (!sp1)
                return -EBADMSG;
        r = cri_log_timestamp_parse(line, (size_t) (sp1 - line), &l.sec, &l.nsec);
        if (r < 0)
                return r;

        sp2 = memchr(sp1 + 1, ' ', (size_t) (end - sp1 - 1));
        if (!sp2 || (size_t) (sp2 - sp1 - 1) >= sizeof(stream))
                return -EBADMSG;
        memcpy(stream, sp1 + 1, (size_t) (sp2 - sp1 - 1));
        stream[sp2 - sp1 - 1] = '\0';
        l.stream = cri_log_stream_from_string(stream);
        if (l.stream < 0)
                return -EBADMSG;

        /* The tag, then one space before the content; an empty full line may end right after
         * the tag. */
        if (end - sp2 < 2 || (sp2[1] != 'F' && sp2[1] != 'P'))
                return -EBADMSG;
        l.partial = sp2[1] == 'P';
        if (end - sp2 == 2)
                l.content = end;
        else if (sp2[2] == ' ')
                l.content = sp2 + 3;
        else
                return -EBADMSG;
        l.content_size = (size_t) (end - l.content);

        *ret = l;
        return 0;
}

int cri_log_next(const char **p, const char *end, CriLogLine *ret) {
        const char *nl;
        size_t n;

        if (*p >= end)
                return 0;
        nl = memchr(*p, '\n', (size_t) (end - *p));
        n = nl ? (size_t) (nl - *p) + 1 : (size_t) (end - *p);
        const char *line = *p;
        *p += n;
        return cri_log_line_parse(line, n, ret) < 0 ? -EBADMSG : 1;
}

int cri_log_line_format(const CriLogLine *line, char **ret, size_t *ret_size) {
        char ts[CRI_LOG_TIMESTAMP_MAX];
        const char *stream = cri_log_stream_to_string(line->stream);
        size_t n;
        char *s;
        int r;

        if (!stream || memchr(line->content, '\n', line->content_size))
                return -EINVAL;
        r = cri_log_timestamp_format(line->sec, line->nsec, ts);
        if (r < 0)
                return r;
        n = strlen(ts) + 1 + strlen(stream) + 3 + line->content_size + 1;
        s = malloc(n + 1);
        if (!s)
                return -ENOMEM;
        r = snprintf(s, n + 1, "%s %s %c ", ts, stream, line->partial ? 'P' : 'F');
        memcpy(s + r, line->content, line->content_size);
        s[n - 1] = '\n';
        s[n] = '\0';
        *ret = s;
        if (ret_size)
                *ret_size = n;
        return 0;
}
