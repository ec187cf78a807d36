/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* A minimal TAP producer for unit tests: meson reads the output with protocol 'tap'. */

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static unsigned tap_count, tap_failed;

__attribute__((format(printf, 5, 6), unused))
static bool tap_ok(bool ok, const char *file, int line, const char *expr, const char *format, ...) {
        char description[1024];
        va_list ap;

        tap_count++;
        if (!ok)
                tap_failed++;
        printf("%s %u - ", ok ? "ok" : "not ok", tap_count);
        va_start(ap, format);
        (void) vsnprintf(description, sizeof description, format, ap);
        va_end(ap);
        /* A line break inside a description would end the TAP line early. */
        for (const char *p = description; *p; p++)
                if (*p == '\n')
                        fputs("\\n", stdout);
                else
                        putchar(*p);
        printf("\n");
        if (!ok)
                printf("#   failed at %s:%d: %s\n", file, line, expr);
        return ok;
}

#define TAP_OK(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, #cond, __VA_ARGS__)

#define TAP_IS_INT(got, want, ...)                                                           \
        ({                                                                                   \
                long long _tap_g = (got), _tap_w = (want);                                   \
                if (!tap_ok(_tap_g == _tap_w, __FILE__, __LINE__, #got " == " #want, __VA_ARGS__)) \
                        printf("#   got %lld, want %lld\n", _tap_g, _tap_w);                 \
                _tap_g == _tap_w;                                                            \
        })

#define TAP_IS_STR(got, want, ...)                                                           \
        ({                                                                                   \
                const char *_tap_gs = (got), *_tap_ws = (want);                              \
                bool _tap_eq = _tap_gs && _tap_ws ? strcmp(_tap_gs, _tap_ws) == 0 : _tap_gs == _tap_ws; \
                if (!tap_ok(_tap_eq, __FILE__, __LINE__, #got " == " #want, __VA_ARGS__))   \
                        printf("#   got \"%s\", want \"%s\"\n", _tap_gs ?: "(null)", _tap_ws ?: "(null)"); \
                _tap_eq;                                                                     \
        })

__attribute__((unused))
static int tap_done(void) {
        printf("1..%u\n", tap_count);
        return tap_failed > 0 ? 1 : 0;
}
