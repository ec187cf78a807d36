/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The small set of systemd-style helpers the whole tree uses: cleanup attributes,
 * ownership transfer and array sizing. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _pure_ __attribute__((pure))
#define _sentinel_ __attribute__((sentinel))
#define _const_ __attribute__((const))
#define _noreturn_ __attribute__((noreturn))
#define _likely_(x) (__builtin_expect(!!(x), 1))
#define _unlikely_(x) (__builtin_expect(!!(x), 0))
#define _fallthrough_ __attribute__((fallthrough))
#define _warn_unused_result_ __attribute__((warn_unused_result))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/* GLib defines the same two; keep whichever came first. */
#ifndef MIN
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#endif
#ifndef MAX
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#endif

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

/* Hand over ownership: return the value and reset the variable, so its cleanup does nothing. */
#define TAKE_GENERIC(var, type, nullvalue)                     \
        ({                                                     \
                type *_pvar_ = &(var);                         \
                type _var_ = *_pvar_;                          \
                type _nullvalue_ = nullvalue;                  \
                *_pvar_ = _nullvalue_;                         \
                _var_;                                         \
        })
#define TAKE_PTR_TYPE(ptr, type) TAKE_GENERIC(ptr, type, NULL)
#define TAKE_PTR(ptr) TAKE_PTR_TYPE(ptr, typeof(ptr))
#define TAKE_FD(fd) TAKE_GENERIC(fd, int, -EBADF)

static inline void *mfree(void *p) {
        free(p);
        return NULL;
}

#define free_and_replace(a, b)                  \
        ({                                      \
                typeof(a) *_a = &(a);           \
                typeof(b) *_b = &(b);           \
                free(*_a);                      \
                *_a = TAKE_PTR(*_b);            \
                0;                              \
        })

static inline void freep(void *p) {
        *(void **) p = mfree(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline int safe_close(int fd) {
        if (fd >= 0) {
                int saved = errno;
                (void) close(fd);
                errno = saved;
        }
        return -EBADF;
}

static inline void closep(int *fd) {
        *fd = safe_close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

/* Defines a cleanup function for a pointer type whose destructor is f(). */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)                 \
        static inline void func##p(type *p) {                   \
                if (*p)                                         \
                        *p = func(*p);                          \
        }

/* Like the above for destructors that return void. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC_VOID(type, func)            \
        static inline void func##p(type *p) {                   \
                if (*p)                                         \
                        func(*p);                               \
        }

#define ERRNO_IS_DISCONNECT(r)                                                   \
        (IN_SET(abs(r), ECONNABORTED, ECONNREFUSED, ECONNRESET, EHOSTDOWN,       \
                EHOSTUNREACH, ENETDOWN, ENETRESET, ENETUNREACH, ENONET, ENOPROTOOPT, \
                ENOTCONN, EPIPE, EPROTO, ESHUTDOWN, ETIMEDOUT))

#define IN_SET(x, first, ...)                                           \
        ({                                                              \
                bool _found = false;                                    \
                const typeof(first) _set[] = { first, __VA_ARGS__ };    \
                for (size_t _i = 0; _i < ELEMENTSOF(_set); _i++)        \
                        if (_set[_i] == (x)) {                          \
                                _found = true;                          \
                                break;                                  \
                        }                                               \
                _found;                                                 \
        })
