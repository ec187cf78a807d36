/* SPDX-License-Identifier: Apache-2.0 */

#include <stdlib.h>
#include <string.h>

#include "cri-log.h"
#include "tap.h"

static void test_timestamps(void) {
        static const struct {
                const char *s;
                int64_t sec;
                uint32_t nsec;
        } good[] = {
                { "2016-10-06T00:17:09.669794202Z", 1475713029, 669794202 },
                { "1970-01-01T00:00:00Z", 0, 0 },
                { "1970-01-01T01:00:00+01:00", 0, 0 },
                { "2024-02-29T23:59:59.5-02:30", 1709251199 + 9000, 500000000 },
                { "1997-03-25T13:20:42.999999999+01:00", 859292442, 999999999 },
                { "1969-12-31T23:59:59.1Z", -1, 100000000 },
        };
        static const char *const bad[] = {
                "", "2016-10-06", "2016-10-06T00:17:09", "2016-10-06T00:17:09.Z", "2016-13-06T00:17:09Z",
                "2023-02-29T00:00:00Z", "2016-10-06T24:00:00Z", "2016-10-06T00:60:00Z", "2016-10-06T00:00:60Z",
                "2016-10-06T00:17:09.1234567890Z", "2016-10-06T00:17:09+0100", "2016-10-06T00:17:09Zx",
                "2016-10-06 00:17:09Z", "2016-1a-06T00:17:09Z", "2016-10-06T00:17:09+01:0",
        };

        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                int64_t sec = 0;
                uint32_t nsec = 0;
                int r = cri_log_timestamp_parse(good[i].s, strlen(good[i].s), &sec, &nsec);

                TAP_IS_INT(r, 0, "timestamp %s parses", good[i].s);
                TAP_IS_INT(sec, good[i].sec, "seconds of %s", good[i].s);
                TAP_IS_INT(nsec, good[i].nsec, "nanoseconds of %s", good[i].s);
        }
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                int64_t sec;
                uint32_t nsec;

                TAP_IS_INT(cri_log_timestamp_parse(bad[i], strlen(bad[i]), &sec, &nsec), -EBADMSG,
                           "timestamp \"%s\" refused", bad[i]);
        }

        char buf[CRI_LOG_TIMESTAMP_MAX];
        TAP_IS_INT(cri_log_timestamp_format(1475713029, 669794202, buf), 0, "format");
        TAP_IS_STR(buf, "2016-10-06T00:17:09.669794202Z", "formatted like kubelet");
        TAP_IS_INT(cri_log_timestamp_format(951782400, 5, buf), 0, "format a leap day");
        TAP_IS_STR(buf, "2000-02-29T00:00:00.000000005Z", "leap day");
        TAP_IS_INT(cri_log_timestamp_format(-1, 0, buf), 0, "format before the epoch");
        TAP_IS_STR(buf, "1969-12-31T23:59:59.000000000Z", "before the epoch");
        TAP_IS_INT(cri_log_timestamp_format(0, 1000000000, buf), -EINVAL, "nanoseconds out of range");

        /* Round trip over a range of days. */
        bool ok = true;
        for (int64_t t = -86400LL * 800; t < 86400LL * 365 * 60; t += 86400LL * 7 + 3601) {
                int64_t sec;
                uint32_t nsec;

                if (cri_log_timestamp_format(t, 42, buf) < 0 ||
                    cri_log_timestamp_parse(buf, strlen(buf), &sec, &nsec) < 0 || sec != t || nsec != 42) {
                        ok = false;
                        printf("# round trip failed at %lld: %s\n", (long long) t, buf);
                        break;
                }
        }
        TAP_OK(ok, "format and parse round trip");
}

static void test_lines(void) {
        CriLogLine l;
        const char *s;

        s = "2016-10-06T00:17:09.669794202Z stdout F hello world\n";
        TAP_IS_INT(cri_log_line_parse(s, strlen(s), &l), 0, "full line parses");
        TAP_IS_INT(l.stream, CRI_LOG_STREAM_STDOUT, "stdout");
        TAP_OK(!l.partial, "F is a full line");
        TAP_IS_INT(l.content_size, 11, "content without the newline");
        TAP_OK(memcmp(l.content, "hello world", 11) == 0, "content");

        s = "2016-10-06T00:17:09.669794202+02:00 stderr P part";
        TAP_IS_INT(cri_log_line_parse(s, strlen(s), &l), 0, "partial line with an offset parses");
        TAP_IS_INT(l.stream, CRI_LOG_STREAM_STDERR, "stderr");
        TAP_OK(l.partial, "P is partial");
        TAP_IS_INT(l.sec, 1475713029 - 7200, "offset applied");

        s = "2016-10-06T00:17:09Z stdout F \n";
        TAP_IS_INT(cri_log_line_parse(s, strlen(s), &l), 0, "empty content");
        TAP_IS_INT(l.content_size, 0, "no content");
        s = "2016-10-06T00:17:09Z stdout F";
        TAP_IS_INT(cri_log_line_parse(s, strlen(s), &l), 0, "empty content without a space");
        TAP_IS_INT(l.content_size, 0, "no content either");
        s = "2016-10-06T00:17:09Z stdout F  two spaces";
        TAP_IS_INT(cri_log_line_parse(s, strlen(s), &l), 0, "leading space kept");
        TAP_IS_INT(l.content_size, 11, "content keeps its own space");

        static const char *const bad[] = {
                "", "\n", "2016-10-06T00:17:09Z", "2016-10-06T00:17:09Z stdout", "2016-10-06T00:17:09Z stdout X x",
                "2016-10-06T00:17:09Z stdin F x", "2016-10-06T00:17:09Z stdout Fx", "garbage stdout F x",
                "2016-10-06T00:17:09Z  stdout F x", "2016-10-06T00:17:09Z stdoutstdout F x",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                TAP_IS_INT(cri_log_line_parse(bad[i], strlen(bad[i]), &l), -EBADMSG, "bad line %zu refused", i);

        /* A whole log with partials, as conmon writes a long line. */
        const char *log =
                "2016-10-06T00:17:09.1Z stdout P abc\n"
                "2016-10-06T00:17:09.2Z stdout F def\n"
                "bad line\n"
                "2016-10-06T00:17:09.3Z stderr F err";
        const char *p = log, *end = log + strlen(log);
        char joined[64] = "";
        int n = 0, bad_lines = 0, r;
        while ((r = cri_log_next(&p, end, &l)) != 0) {
                if (r < 0) {
                        bad_lines++;
                        continue;
                }
                n++;
                if (l.stream == CRI_LOG_STREAM_STDOUT)
                        strncat(joined, l.content, l.content_size);
        }
        TAP_IS_INT(n, 3, "three records");
        TAP_IS_INT(bad_lines, 1, "one malformed line skipped");
        TAP_IS_STR(joined, "abcdef", "partial lines join");

        _cleanup_free_ char *out = NULL;
        size_t size;
        l = (CriLogLine) { .sec = 1475713029, .nsec = 669794202, .stream = CRI_LOG_STREAM_STDOUT, .content = "hi",
                           .content_size = 2 };
        TAP_IS_INT(cri_log_line_format(&l, &out, &size), 0, "record formatted");
        TAP_IS_STR(out, "2016-10-06T00:17:09.669794202Z stdout F hi\n", "record");
        TAP_IS_INT(size, strlen(out), "size");
        l.content = "a\nb";
        l.content_size = 3;
        char *o2 = NULL;
        TAP_IS_INT(cri_log_line_format(&l, &o2, NULL), -EINVAL, "content with a newline refused");
        free(o2);

        TAP_IS_STR(cri_log_stream_to_string(CRI_LOG_STREAM_STDERR), "stderr", "stream names");
        TAP_IS_INT(cri_log_stream_from_string("stdout"), CRI_LOG_STREAM_STDOUT, "stream from name");
        TAP_IS_INT(cri_log_stream_from_string("stdin"), _CRI_LOG_STREAM_INVALID, "unknown stream");
        TAP_OK(cri_log_stream_to_string(_CRI_LOG_STREAM_MAX) == NULL, "no name past the table");
}

int main(void) {
        test_timestamps();
        test_lines();
        return tap_done();
}
