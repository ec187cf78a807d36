/* SPDX-License-Identifier: Apache-2.0 */
#include <dlfcn.h>

#include "dlopen-util.h"
#include "log.h"
#include "macro.h"

static void clear_symbols(DlLibrary *l) {
        for (size_t i = 0; i < l->n_symbols; i++)
                *l->symbols[i].pointer = NULL;
}

static int load_locked(DlLibrary *l) {
        void *handle;
        int r;

        handle = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL);
        if (!handle) {
                log_error("Failed to load %s: %s", l->soname, dlerror());
                return -EOPNOTSUPP;
        }
        for (size_t i = 0; i < l->n_symbols; i++) {
                void *p = dlsym(handle, l->symbols[i].name);

                if (!p) {
                        log_error("Failed to find %s in %s: %s", l->symbols[i].name, l->soname, dlerror());
                        clear_symbols(l);
                        (void) dlclose(handle);
                        return -EOPNOTSUPP;
                }
                *l->symbols[i].pointer = p;
        }
        if (l->after_open) {
                r = l->after_open();
                if (r < 0) {
                        log_error_errno(r, "Failed to initialize %s: %m", l->soname);
                        clear_symbols(l);
                        (void) dlclose(handle);
                        return r;
                }
        }
        l->handle = handle;
        l->loads++;
        log_debug("Loaded %s.", l->soname);
        return 0;
}

int dl_library_acquire(DlLibrary *l) {
        int r = 0;

        (void) pthread_mutex_lock(&l->lock);
        if (!l->handle)
                r = load_locked(l);
        if (r >= 0)
                l->users++;
        (void) pthread_mutex_unlock(&l->lock);
        return r;
}

void dl_library_release(DlLibrary *l) {
        (void) pthread_mutex_lock(&l->lock);
        if (l->users > 0)
                l->users--;
        (void) pthread_mutex_unlock(&l->lock);
}

int dl_library_unload_unused(DlLibrary *l) {
        int r = 0;

        (void) pthread_mutex_lock(&l->lock);
        if (l->handle && l->users == 0) {
                if (l->before_close)
                        l->before_close();
                clear_symbols(l);
                (void) dlclose(l->handle);
                l->handle = NULL;
                log_debug("Unloaded %s.", l->soname);
                r = 1;
        }
        (void) pthread_mutex_unlock(&l->lock);
        return r;
}

bool dl_library_is_loaded(DlLibrary *l) {
        bool loaded;

        (void) pthread_mutex_lock(&l->lock);
        loaded = l->handle;
        (void) pthread_mutex_unlock(&l->lock);
        return loaded;
}

unsigned dl_library_loads(DlLibrary *l) {
        unsigned n;

        (void) pthread_mutex_lock(&l->lock);
        n = l->loads;
        (void) pthread_mutex_unlock(&l->lock);
        return n;
}
