/* SPDX-License-Identifier: Apache-2.0 */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "toml-scalar.h"

int toml_buffer_put(TomlBuffer *b, const char *data, size_t length) {
        if (length == 0)
                return 0;

        /* One spare byte for the NUL that toml_buffer_steal() adds. */
        if (b->allocated - b->length <= length) {
                size_t n = MAX(b->allocated * 2, b->length + length + 64);
                char *d;

                d = realloc(b->data, n);
                if (!d)
                        return -ENOMEM;
                b->data = d;
                b->allocated = n;
        }
        memcpy(b->data + b->length, data, length);
        b->length += length;
        return 0;
}

int toml_buffer_put_utf8(TomlBuffer *b, uint32_t cp) {
        char s[4];

        if (cp < 0x80)
                return toml_buffer_put(b, (char[]) { (char) cp }, 1);
        if (cp < 0x800) {
                s[0] = (char) (0xC0 | cp >> 6);
                s[1] = (char) (0x80 | (cp & 0x3F));
                return toml_buffer_put(b, s, 2);
        }
        if (cp < 0x10000) {
                s[0] = (char) (0xE0 | cp >> 12);
                s[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
                s[2] = (char) (0x80 | (cp & 0x3F));
                return toml_buffer_put(b, s, 3);
        }
        s[0] = (char) (0xF0 | cp >> 18);
        s[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
        s[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
        s[3] = (char) (0x80 | (cp & 0x3F));
        return toml_buffer_put(b, s, 4);
}

char *toml_buffer_steal(TomlBuffer *b, size_t *ret_length) {
        char *s;

        if (!b->data) {
                s = strdup("");
                if (s && ret_length)
                        *ret_length = 0;
                return s;
        }
        b->data[b->length] = 0;
        s = b->data;
        if (ret_length)
                *ret_length = b->length;
        *b = (TomlBuffer) {};
        return s;
}

const char *toml_utf8_validate(const char *s, const char *end) {
        const uint8_t *c = (const uint8_t *) s, *e = (const uint8_t *) end;

        while (c < e) {
                uint32_t cp;
                size_t n;

                /* Configs are mostly ASCII: skip it eight bytes at a time. */
                while (e - c >= 8) {
                        uint64_t word;

                        memcpy(&word, c, sizeof(word));
                        if (word & UINT64_C(0x8080808080808080))
                                break;
                        c += 8;
                }
                if (c >= e)
                        break;

                if (*c < 0x80) {
                        c++;
                        continue;
                }
                if ((*c & 0xE0) == 0xC0) {
                        n = 2;
                        cp = *c & 0x1F;
                } else if ((*c & 0xF0) == 0xE0) {
                        n = 3;
                        cp = *c & 0x0F;
                } else if ((*c & 0xF8) == 0xF0) {
                        n = 4;
                        cp = *c & 0x07;
                } else
                        return (const char *) c;

                if ((size_t) (e - c) < n)
                        return (const char *) c;
                for (size_t i = 1; i < n; i++) {
                        if ((c[i] & 0xC0) != 0x80)
                                return (const char *) c;
                        cp = cp << 6 | (c[i] & 0x3F);
                }
                if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
                    cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                        return (const char *) c;
                c += n;
        }
        return NULL;
}

int toml_hex_digit(int c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

#define IN_RANGE(x, lo, hi) ({ int _x = (x); _x >= (lo) && _x <= (hi); })

static bool is_digit(const char *c, const char *end) {
        return c < end && *c >= '0' && *c <= '9';
}

static bool is_word_char(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '_' || c == '-' || c == '+' || c == '.';
}

static int fail(TomlScalar *ret, const char *where, const char **ret_error, const char *message) {
        ret->error_at = where;
        *ret_error = message;
        return -EBADMSG;
}

/* Exactly n digits. */
static bool scan_fixed(const char **c, const char *end, unsigned n, int *ret) {
        int v = 0;

        for (unsigned i = 0; i < n; i++) {
                if (!is_digit(*c + i, end))
                        return false;
                v = v * 10 + ((*c)[i] - '0');
        }
        *c += n;
        *ret = v;
        return true;
}

static bool is_leap_year(int y) {
        return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m) {
        static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

        return m == 2 && is_leap_year(y) ? 29 : days[m - 1];
}

/* HH:MM:SS[.fraction] */
static int scan_time(const char **c, const char *end, TomlDatetime *dt, TomlScalar *ret,
                     const char **ret_error) {
        const char *start = *c;

        if (!scan_fixed(c, end, 2, &dt->hour) || *c >= end || **c != ':' ||
            (++*c, !scan_fixed(c, end, 2, &dt->minute)) || *c >= end || **c != ':' ||
            (++*c, !scan_fixed(c, end, 2, &dt->second)))
                return fail(ret, start, ret_error, "invalid time, expected HH:MM:SS");
        if (dt->hour > 23 || dt->minute > 59 || dt->second > 60)
                return fail(ret, start, ret_error, "time out of range");

        if (*c < end && **c == '.') {
                ++*c;
                if (!is_digit(*c, end))
                        return fail(ret, *c, ret_error, "expected digits after '.' in time");
                for (; is_digit(*c, end); ++*c)
                        /* Digits past nanoseconds are dropped, as the spec allows. */
                        if (dt->fraction_digits < 9) {
                                dt->nanosecond = dt->nanosecond * 10 + (**c - '0');
                                dt->fraction_digits++;
                        }
                for (unsigned i = dt->fraction_digits; i < 9; i++)
                        dt->nanosecond *= 10;
        }
        return 0;
}

static int scan_datetime(const char *s, const char *end, TomlScalar *ret, const char **ret_error) {
        TomlDatetime dt = {};
        const char *c = s;
        int r;

        if (c + 2 < end && c[2] == ':') {
                r = scan_time(&c, end, &dt, ret, ret_error);
                if (r < 0)
                        return r;
                ret->type = TOML_TIME_LOCAL;
                goto done;
        }

        if (!scan_fixed(&c, end, 4, &dt.year) || c >= end || *c != '-' ||
            (++c, !scan_fixed(&c, end, 2, &dt.month)) || c >= end || *c != '-' ||
            (++c, !scan_fixed(&c, end, 2, &dt.day)))
                return fail(ret, s, ret_error, "invalid date, expected YYYY-MM-DD");
        if (dt.month < 1 || dt.month > 12 || dt.day < 1 || dt.day > days_in_month(dt.year, dt.month))
                return fail(ret, s, ret_error, "date out of range");

        /* A space separates date and time only if a time follows: "date # comment" stays a date. */
        if (c < end && (*c == 'T' || *c == 't' || (*c == ' ' && is_digit(c + 1, end)))) {
                c++;
                r = scan_time(&c, end, &dt, ret, ret_error);
                if (r < 0)
                        return r;

                if (c < end && (*c == 'Z' || *c == 'z')) {
                        c++;
                        ret->type = TOML_DATETIME;
                } else if (c < end && (*c == '+' || *c == '-')) {
                        const char *offset = c;
                        int sign = *c == '-' ? -1 : 1, h, m;

                        c++;
                        if (!scan_fixed(&c, end, 2, &h) || c >= end || *c != ':' ||
                            (++c, !scan_fixed(&c, end, 2, &m)))
                                return fail(ret, offset, ret_error, "invalid time offset, expected +HH:MM");
                        if (h > 23 || m > 59)
                                return fail(ret, offset, ret_error, "time offset out of range");
                        dt.offset_minutes = sign * (h * 60 + m);
                        ret->type = TOML_DATETIME;
                } else
                        ret->type = TOML_DATETIME_LOCAL;
        } else
                ret->type = TOML_DATE_LOCAL;

done:
        ret->datetime = dt;
        ret->end = c;
        return 0;
}

/* Digits with single underscores between them; returns the end, or NULL if malformed. */
static const char *scan_digits(const char *c, const char *end, int base) {
        bool any = false;

        for (; c < end; c++) {
                int d = toml_hex_digit(*c);

                if (d >= 0 && d < base) {
                        any = true;
                        continue;
                }
                if (*c == '_' && any && c + 1 < end && IN_RANGE(toml_hex_digit(c[1]), 0, base - 1))
                        continue;
                break;
        }
        if (!any)
                return NULL;
        if (c < end && *c == '_')
                return NULL;
        return c;
}

static int scan_number(const char *s, const char *t, TomlScalar *ret, const char **ret_error) {
        const char *c = s, *after;
        bool negative = false, sign = false, is_float = false;

        if (*c == '+' || *c == '-') {
                sign = true;
                negative = *c == '-';
                c++;
        }

        if (t - c == 3 && (memcmp(c, "inf", 3) == 0 || memcmp(c, "nan", 3) == 0)) {
                ret->type = TOML_FLOAT;
                ret->fp = *c == 'i' ? INFINITY : NAN;
                if (negative)
                        ret->fp = -ret->fp;
                ret->end = t;
                return 0;
        }

        if (t - c >= 2 && c[0] == '0' && IN_SET(c[1], 'x', 'o', 'b')) {
                int base = c[1] == 'x' ? 16 : c[1] == 'o' ? 8 : 2;
                uint64_t v = 0;

                if (sign)
                        return fail(ret, s, ret_error, "hexadecimal, octal and binary integers take no sign");
                c += 2;
                after = scan_digits(c, t, base);
                if (!after || after != t)
                        return fail(ret, after ?: c, ret_error, "invalid digit in integer");
                for (; c < t; c++) {
                        int d = toml_hex_digit(*c);

                        if (*c == '_')
                                continue;
                        if (v > ((uint64_t) INT64_MAX - (uint64_t) d) / (uint64_t) base)
                                return fail(ret, s, ret_error, "integer does not fit in 64 bits");
                        v = v * base + d;
                }
                ret->type = TOML_INTEGER;
                ret->integer = (int64_t) v;
                ret->end = t;
                return 0;
        }

        after = scan_digits(c, t, 10);
        if (!after)
                return fail(ret, c, ret_error, "invalid number");
        if (*c == '0' && after - c > 1)
                return fail(ret, c, ret_error, "leading zeros are not allowed");
        if (after < t && *after == '.') {
                const char *frac = after + 1;

                after = scan_digits(frac, t, 10);
                if (!after)
                        return fail(ret, frac, ret_error, "expected digits after the decimal point");
                is_float = true;
        }
        if (after < t && (*after == 'e' || *after == 'E')) {
                const char *exp = after + 1;

                if (exp < t && (*exp == '+' || *exp == '-'))
                        exp++;
                after = scan_digits(exp, t, 10);
                if (!after)
                        return fail(ret, exp, ret_error, "expected digits in the exponent");
                is_float = true;
        }
        if (after != t)
                return fail(ret, after, ret_error, "invalid number");

        if (!is_float) {
                /* Accumulate the magnitude, so that INT64_MIN fits. */
                uint64_t v = 0, limit = negative ? (uint64_t) INT64_MAX + 1 : (uint64_t) INT64_MAX;

                for (; c < t; c++) {
                        if (*c == '_')
                                continue;
                        if (v > (limit - (uint64_t) (*c - '0')) / 10)
                                return fail(ret, s, ret_error, "integer does not fit in 64 bits");
                        v = v * 10 + (*c - '0');
                }
                ret->type = TOML_INTEGER;
                ret->integer = negative ? (int64_t) (0 - v) : (int64_t) v;
        } else {
                char buf[128], *copy = buf, *end;
                size_t n = 0;

                if ((size_t) (t - s) >= sizeof(buf)) {
                        copy = malloc(t - s + 1);
                        if (!copy)
                                return -ENOMEM;
                }
                for (c = s; c < t; c++)
                        if (*c != '_')
                                copy[n++] = *c;
                copy[n] = 0;
                ret->fp = strtod(copy, &end);
                if (copy != buf)
                        free(copy);
                if (isinf(ret->fp))
                        return fail(ret, s, ret_error, "float out of range");
                ret->type = TOML_FLOAT;
        }
        ret->end = t;
        return 0;
}

int toml_scan_scalar(const char *s, const char *end, TomlScalar *ret, const char **ret_error) {
        const char *t;

        ret->error_at = s;

        if (end - s >= 4 && memcmp(s, "true", 4) == 0 && (end - s == 4 || !is_word_char(s[4]))) {
                ret->type = TOML_BOOLEAN;
                ret->boolean = true;
                ret->end = s + 4;
                return 0;
        }
        if (end - s >= 5 && memcmp(s, "false", 5) == 0 && (end - s == 5 || !is_word_char(s[5]))) {
                ret->type = TOML_BOOLEAN;
                ret->boolean = false;
                ret->end = s + 5;
                return 0;
        }

        if ((end - s >= 5 && is_digit(s, end) && is_digit(s + 1, end) && is_digit(s + 2, end) &&
             is_digit(s + 3, end) && s[4] == '-') ||
            (end - s >= 3 && is_digit(s, end) && is_digit(s + 1, end) && s[2] == ':'))
                return scan_datetime(s, end, ret, ret_error);

        for (t = s; t < end && is_word_char(*t); t++)
                ;
        if (t == s || !(is_digit(s, end) || *s == '+' || *s == '-' || *s == 'i' || *s == 'n'))
                return fail(ret, s, ret_error, "invalid value");

        return scan_number(s, t, ret, ret_error);
}
