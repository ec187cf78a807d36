/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cri-pending.h"
#include "hashmap.h"
#include "log.h"

struct CriPendingEntry {
        CriPending *store;
        char *name;             /* the key in the store */
        void *object;           /* a reference, once known */
        /* The callers waiting for the outcome: the first request, then retries, each a reference
         * with our cancel handler. */
        GrpcCall **calls;
        size_t n_calls, n_allocated;
        bool hidden;            /* what set_unclaimed() last said */
        bool put_aside;         /* done, nobody took it yet */
        sd_event_source *timer; /* removes a put-aside result nobody claims */
};

struct CriPending {
        sd_event *event;
        const CriPendingType *type;
        Hashmap *entries;       /* by name */
        uint64_t timeout_usec;
};

static void entry_set_hidden(CriPendingEntry *e, bool hidden) {
        if (!e->object || e->hidden == hidden)
                return;
        e->hidden = hidden;
        e->store->type->set_unclaimed(e->object, hidden);
}

static void on_call_cancelled(GrpcCall *call, void *userdata) {
        CriPendingEntry *e = userdata;

        for (size_t i = 0; i < e->n_calls; i++) {
                if (e->calls[i] != call)
                        continue;
                memmove(e->calls + i, e->calls + i + 1, (e->n_calls - i - 1) * sizeof(GrpcCall *));
                e->n_calls--;
                grpc_call_unref(call);
                break;
        }
        if (e->n_calls > 0 || e->put_aside)
                return;
        /* Nobody waits any more: the work goes on, its result stays hidden until a retry comes. */
        log_info("The caller of the creation of %s %s went away; it goes on, and a retry of the request "
                 "gets its result.", e->store->type->what, e->name);
        entry_set_hidden(e, true);
}

static int entry_add_call(CriPendingEntry *e, GrpcCall *call) {
        if (e->n_calls == e->n_allocated) {
                size_t n = MAX(e->n_allocated * 2, 2U);
                GrpcCall **l = reallocarray(e->calls, n, sizeof(GrpcCall *));

                if (!l)
                        return -ENOMEM;
                e->calls = l;
                e->n_allocated = n;
        }
        e->calls[e->n_calls++] = grpc_call_ref(call);
        grpc_call_set_cancel_handler(call, on_call_cancelled, e);
        return 0;
}

/* Takes the callers out of e, their cancel handlers cleared: answering one may run code that looks
 * at e. Returns how many. */
static size_t entry_take_calls(CriPendingEntry *e, GrpcCall ***ret) {
        size_t n = e->n_calls;

        for (size_t i = 0; i < n; i++)
                grpc_call_set_cancel_handler(e->calls[i], NULL, NULL);
        *ret = TAKE_PTR(e->calls);
        e->n_calls = e->n_allocated = 0;
        return n;
}

static void entry_free(CriPendingEntry *e) {
        GrpcCall **calls;
        size_t n;

        if (!e)
                return;
        if (hashmap_get(e->store->entries, e->name) == e)
                (void) hashmap_remove(e->store->entries, e->name);
        n = entry_take_calls(e, &calls);
        for (size_t i = 0; i < n; i++)
                grpc_call_unref(calls[i]);
        free(calls);
        sd_event_source_disable_unref(e->timer);
        if (e->object)
                e->store->type->unref(e->object);
        free(e->name);
        free(e);
}

int cri_pending_new(sd_event *event, const CriPendingType *type, CriPending **ret) {
        _cleanup_(cri_pending_freep) CriPending *s = NULL;
        const char *env;
        int r;

        s = calloc(1, sizeof(CriPending));
        if (!s)
                return -ENOMEM;
        s->event = sd_event_ref(event);
        s->type = type;
        s->timeout_usec = CRI_PENDING_TIMEOUT_USEC;
        r = hashmap_new(&s->entries);
        if (r < 0)
                return r;

        env = getenv(CRI_PENDING_TEST_TIMEOUT_ENV);
        if (env && *env) {
                unsigned long long v;
                char *end;

                errno = 0;
                v = strtoull(env, &end, 10);
                if (!isdigit((unsigned char) *env) || errno != 0 || *end || v == 0 ||
                    v > UINT64_MAX / 1000000)
                        log_warning("Ignoring %s=%s: not a positive number of seconds.",
                                    CRI_PENDING_TEST_TIMEOUT_ENV, env);
                else {
                        s->timeout_usec = v * 1000000;
                        log_notice("%s=%s: an unclaimed %s goes after %llu s (for tests only).",
                                   CRI_PENDING_TEST_TIMEOUT_ENV, env, type->what, v);
                }
        }

        *ret = TAKE_PTR(s);
        return 0;
}

CriPending *cri_pending_free(CriPending *s) {
        if (!s)
                return NULL;
        for (;;) {
                size_t state = 0;
                void *v;

                if (!hashmap_iterate(s->entries, &state, NULL, &v))
                        break;
                entry_free(v);
        }
        hashmap_free(s->entries);
        sd_event_unref(s->event);
        return mfree(s);
}

void cri_pending_set_timeout(CriPending *s, uint64_t usec) {
        s->timeout_usec = usec;
}

uint64_t cri_pending_get_timeout(const CriPending *s) {
        return s->timeout_usec;
}

/* Hands a put-aside result to call: the object shows, the call gets its id. */
static void entry_claim(CriPendingEntry *e, GrpcCall *call) {
        const CriPendingType *type = e->store->type;

        log_info("Handing %s %s (%s), made for an earlier request whose caller went away, to its retry.",
                 type->what, e->name, type->id(e->object));
        entry_set_hidden(e, false);
        type->reply(call, type->id(e->object));
        entry_free(e);
}

int cri_pending_join(CriPending *s, const char *name, GrpcCall *call) {
        CriPendingEntry *e;
        int r;

        e = hashmap_get(s->entries, name);
        if (!e)
                return 0;
        if (e->put_aside) {
                if (!s->type->exists(e->object)) {
                        /* Removed behind our back (its pod went): the retry makes a new one. */
                        log_debug("The put-aside %s %s is gone, making it afresh.", s->type->what, name);
                        entry_free(e);
                        return 0;
                }
                entry_claim(e, call);
                return 1;
        }
        r = entry_add_call(e, call);
        if (r < 0)
                return r;
        log_info("A retry of the creation of %s %s waits for the one under way.", s->type->what, name);
        return 1;
}

int cri_pending_begin(CriPending *s, const char *name, GrpcCall *call, void *object, CriPendingEntry **ret) {
        CriPendingEntry *e;
        int r;

        if (hashmap_get(s->entries, name))
                return -EEXIST;
        e = calloc(1, sizeof(CriPendingEntry));
        if (!e)
                return -ENOMEM;
        e->store = s;
        e->name = strdup(name);
        if (!e->name) {
                free(e);
                return -ENOMEM;
        }
        r = hashmap_put(s->entries, e->name, e);
        if (r >= 0)
                r = entry_add_call(e, call);
        if (r < 0) {
                entry_free(e);
                return r;
        }
        if (object)
                cri_pending_set_object(e, object);
        *ret = e;
        return 0;
}

void cri_pending_set_object(CriPendingEntry *e, void *object) {
        if (!object || e->object)
                return;
        e->object = e->store->type->ref(object);
        if (e->n_calls == 0)
                entry_set_hidden(e, true);
}

void cri_pending_abort(CriPendingEntry *e) {
        entry_free(e);
}

static int on_expire(sd_event_source *source, uint64_t usec, void *userdata) {
        CriPendingEntry *e = userdata;
        const CriPendingType *type = e->store->type;
        void *object = type->ref(e->object);

        log_info("Removing %s %s (%s): no retry of the request that made it came within %llu s.", type->what,
                 e->name, type->id(object), (unsigned long long) (e->store->timeout_usec / 1000000));
        /* Out of the store first: a request for the name from now on makes a new one. */
        entry_free(e);
        if (type->exists(object))
                type->expire(object);
        type->unref(object);
        return 0;
}

void cri_pending_done(CriPendingEntry *e, void *object, int r, const char *error) {
        CriPending *s = e->store;
        const CriPendingType *type = s->type;
        GrpcCall **calls = NULL;
        size_t n;

        if (r >= 0)
                cri_pending_set_object(e, object);
        if (r >= 0 && !e->object)
                r = -ENXIO;

        if (r < 0 || e->n_calls > 0) {
                const char *id = r >= 0 ? type->id(e->object) : NULL;

                if (r >= 0)
                        entry_set_hidden(e, false);
                n = entry_take_calls(e, &calls);
                for (size_t i = 0; i < n; i++) {
                        if (r < 0)
                                type->fail(calls[i], e->name, r, error);
                        else
                                type->reply(calls[i], id);
                        grpc_call_unref(calls[i]);
                }
                free(calls);
                return entry_free(e);
        }

        /* Made, and nobody is there to take it: kept hidden for a retry, for a while. */
        entry_set_hidden(e, true);
        e->put_aside = true;
        r = sd_event_add_time_relative(s->event, &e->timer, CLOCK_MONOTONIC, s->timeout_usec,
                                       /* accuracy= */ 0, on_expire, e);
        if (r < 0) {
                log_warning_errno(r, "Failed to arm the removal of the unclaimed %s %s, removing it now: %m",
                                  type->what, e->name);
                (void) on_expire(NULL, 0, e);
                return;
        }
        log_info("Keeping %s %s (%s) for a retry of the request that made it, whose caller went away, "
                 "for %llu s.", type->what, e->name, type->id(e->object),
                 (unsigned long long) (s->timeout_usec / 1000000));
}

size_t cri_pending_size(const CriPending *s) {
        return s ? hashmap_size(s->entries) : 0;
}

int cri_pending_state(const CriPending *s, const char *name) {
        CriPendingEntry *e = s ? hashmap_get(s->entries, name) : NULL;

        return !e ? -ENOENT : e->put_aside;
}
