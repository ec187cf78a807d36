/* SPDX-License-Identifier: Apache-2.0 */

/* Reads TOML on stdin and prints it in the JSON encoding of the toml-test suite: tables as objects,
 * arrays as arrays, every scalar as {"type": ..., "value": "..."}. Exits 1 on a parse error. */

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "toml.h"

static void print_json_string(const char *s, size_t length) {
        putchar('"');
        for (size_t i = 0; i < length; i++) {
                unsigned char c = s[i];

                switch (c) {
                case '"':
                        fputs("\\\"", stdout);
                        break;
                case '\\':
                        fputs("\\\\", stdout);
                        break;
                case '\n':
                        fputs("\\n", stdout);
                        break;
                case '\t':
                        fputs("\\t", stdout);
                        break;
                case '\r':
                        fputs("\\r", stdout);
                        break;
                case '\b':
                        fputs("\\b", stdout);
                        break;
                case '\f':
                        fputs("\\f", stdout);
                        break;
                default:
                        if (c < 0x20 || c == 0x7F)
                                printf("\\u%04x", c);
                        else
                                putchar(c);
                }
        }
        putchar('"');
}

static void print_datetime(const TomlValue *v) {
        TomlDatetime dt;
        TomlType type = toml_value_type(v);

        (void) toml_value_get_datetime(v, &dt);
        if (type != TOML_TIME_LOCAL)
                printf("%04d-%02d-%02d", dt.year, dt.month, dt.day);
        if (type == TOML_DATE_LOCAL)
                return;
        if (type != TOML_TIME_LOCAL)
                putchar('T');
        printf("%02d:%02d:%02d", dt.hour, dt.minute, dt.second);
        if (dt.fraction_digits > 0) {
                uint32_t fraction = dt.nanosecond;

                for (unsigned i = dt.fraction_digits; i < 9; i++)
                        fraction /= 10;
                printf(".%0*u", (int) dt.fraction_digits, fraction);
        }
        if (type == TOML_DATETIME) {
                if (dt.offset_minutes == 0)
                        putchar('Z');
                else
                        printf("%c%02d:%02d", dt.offset_minutes < 0 ? '-' : '+',
                               abs(dt.offset_minutes) / 60, abs(dt.offset_minutes) % 60);
        }
}

static void print_value(const TomlValue *v) {
        TomlType type = toml_value_type(v);
        const char *s;
        size_t length;
        int64_t i;
        double d;
        bool b;

        switch (type) {
        case TOML_TABLE:
                putchar('{');
                for (size_t k = 0; k < toml_table_size(v); k++) {
                        if (k > 0)
                                putchar(',');
                        print_json_string(toml_table_key_at(v, k), toml_table_key_length_at(v, k));
                        putchar(':');
                        print_value(toml_table_value_at(v, k));
                }
                putchar('}');
                return;
        case TOML_ARRAY:
                putchar('[');
                for (size_t k = 0; k < toml_array_size(v); k++) {
                        if (k > 0)
                                putchar(',');
                        print_value(toml_array_get(v, k));
                }
                putchar(']');
                return;
        default:
                break;
        }

        printf("{\"type\":\"%s\",\"value\":", toml_type_to_string(type));
        if (type == TOML_STRING) {
                (void) toml_value_get_string(v, &s, &length);
                print_json_string(s, length);
                putchar('}');
                return;
        }
        putchar('"');
        switch (type) {
        case TOML_INTEGER:
                (void) toml_value_get_integer(v, &i);
                printf("%" PRId64, i);
                break;
        case TOML_FLOAT:
                (void) toml_value_get_float(v, &d);
                if (isnan(d))
                        fputs("nan", stdout);
                else if (isinf(d))
                        fputs(d < 0 ? "-inf" : "inf", stdout);
                else {
                        /* The shortest form that reads back as the same double. */
                        char buf[32];

                        for (int precision = 15; precision <= 17; precision++) {
                                snprintf(buf, sizeof(buf), "%.*g", precision, d);
                                if (strtod(buf, NULL) == d)
                                        break;
                        }
                        fputs(buf, stdout);
                }
                break;
        case TOML_BOOLEAN:
                (void) toml_value_get_boolean(v, &b);
                fputs(b ? "true" : "false", stdout);
                break;
        default:
                print_datetime(v);
        }
        printf("\"}");
}

int main(int argc, char **argv) {
        _cleanup_(toml_value_freep) TomlValue *root = NULL;
        _cleanup_free_ char *data = NULL;
        size_t size = 0, allocated = 0;
        TomlError error;
        char message[512];
        int r;

        for (;;) {
                ssize_t n;

                if (allocated - size < 65536) {
                        char *d = realloc(data, allocated + 65536);

                        if (!d)
                                return 2;
                        data = d;
                        allocated += 65536;
                }
                n = read(STDIN_FILENO, data + size, allocated - size);
                if (n < 0)
                        return 2;
                if (n == 0)
                        break;
                size += n;
        }

        r = toml_parse(data, size, argc > 1 ? argv[1] : "<stdin>", &root, &error);
        if (r < 0) {
                fprintf(stderr, "%s\n", toml_error_format(&error, message, sizeof(message)));
                return 1;
        }

        print_value(root);
        putchar('\n');
        return 0;
}
