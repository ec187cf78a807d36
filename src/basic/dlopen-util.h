/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Libraries loaded on first use and unloaded once idle. libcurl and libarchive bring some forty
 * libraries with them (gnutls, krb5, ldap, libxml2, ICU, libstdc++...), about 6 MiB of a daemon's
 * resident memory at load time alone; only image pulls need them, so the daemon maps them only while
 * it pulls. Each symbol is a pointer sym_<name> of the function's own type, as in systemd. */

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

#define DLSYM_PROTOTYPE(symbol) typeof(symbol) *sym_##symbol
#define DLSYM_ARG(symbol) { (void **) &sym_##symbol, #symbol }

/* What a binary dlopen()s, for package managers (rpm's and debhelper's generators read it): the
 * freedesktop.org dlopen metadata, an ELF note of owner "FDO" and type 0x407c0c0a whose descriptor
 * is a JSON array of {"soname": [...], "feature", "description", "priority"}. */
#define ELF_NOTE_DLOPEN_OWNER "FDO"
#define ELF_NOTE_DLOPEN_TYPE UINT32_C(0x407c0c0a)
#define ELF_NOTE_DLOPEN_ALIGN4(n) (((n) + 3) & ~(size_t) 3)
/* AddressSanitizer's red zones around globals would break the notes apart. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ELF_NOTE_DLOPEN_NO_SANITIZE __attribute__((no_sanitize("address")))
#endif
#endif
#ifndef ELF_NOTE_DLOPEN_NO_SANITIZE
#define ELF_NOTE_DLOPEN_NO_SANITIZE
#endif
#define ELF_NOTE_DLOPEN(variable, json)                                                         \
        __attribute__((used, section(".note.dlopen"), aligned(4))) ELF_NOTE_DLOPEN_NO_SANITIZE  \
        static const struct {                                                                   \
                uint32_t n_namesz, n_descsz, n_type;                                            \
                char owner[ELF_NOTE_DLOPEN_ALIGN4(sizeof(ELF_NOTE_DLOPEN_OWNER))];              \
                char desc[ELF_NOTE_DLOPEN_ALIGN4(sizeof(json))];                                \
        } variable = {                                                                          \
                .n_namesz = sizeof(ELF_NOTE_DLOPEN_OWNER),                                      \
                .n_descsz = ELF_NOTE_DLOPEN_ALIGN4(sizeof(json)),                               \
                .n_type = ELF_NOTE_DLOPEN_TYPE,                                                 \
                .owner = ELF_NOTE_DLOPEN_OWNER,                                                 \
                .desc = json,                                                                   \
        }

typedef struct DlSymbol {
        void **pointer;
        const char *name;
} DlSymbol;

typedef struct DlLibrary {
        const char *soname;
        const DlSymbol *symbols;
        size_t n_symbols;
        /* Run after the symbols are resolved (the library's global init; -errno fails the load) and
         * before it is unloaded. */
        int (*after_open)(void);
        void (*before_close)(void);

        pthread_mutex_t lock;
        void *handle;
        unsigned users;
        unsigned loads;
} DlLibrary;

#define DL_LIBRARY_INIT(_soname, _symbols, _after_open, _before_close) \
        {                                                              \
                .soname = (_soname),                                   \
                .symbols = (_symbols),                                 \
                .n_symbols = ELEMENTSOF(_symbols),                     \
                .after_open = (_after_open),                           \
                .before_close = (_before_close),                       \
                .lock = PTHREAD_MUTEX_INITIALIZER,                     \
        }

/* Loads the library if needed and counts one more user; any thread may call it. -EOPNOTSUPP when
 * the library or one of its symbols cannot be found (logged with dlerror()'s words). */
int dl_library_acquire(DlLibrary *l);
/* One user fewer. The library stays loaded: dl_library_unload_unused() unloads it. */
void dl_library_release(DlLibrary *l);
/* Unloads the library if it is loaded and has no user: 1 if it did, 0 if not. */
int dl_library_unload_unused(DlLibrary *l);
bool dl_library_is_loaded(DlLibrary *l);
/* How many times the library was loaded (for tests and debug logs). */
unsigned dl_library_loads(DlLibrary *l);
