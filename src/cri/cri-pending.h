/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Creations (RunPodSandbox, CreateContainer) by the name of what they make, kept past their caller.
 * kubelet gives up on a call that outlives its deadline and sends the same request again; rather than
 * refusing the retry because the name is taken, as a plain runtime would, the store does what CRI-O's
 * resource store does:
 *   - a creation whose caller went away keeps running;
 *   - a retry (same name) arriving meanwhile waits for it, up to the retry's own deadline;
 *   - when it is done with a caller still waiting, that caller gets the id and the object shows;
 *   - done with nobody waiting, the result is put aside, hidden like an object still being created,
 *     and handed to the next retry (which makes it visible);
 *   - a result nobody claims within CRI_PENDING_TIMEOUT_USEC is removed, so nothing leaks;
 *   - a failed creation leaves nothing here: the next request runs afresh.
 * The store knows neither pods nor containers: a CriPendingType says how to reach its objects. */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "grpc-server.h"
#include "macro.h"

/* CRI-O's: its resource store sweeps unclaimed resources every minute (a resource goes at the
 * second sweep that finds it, so after one to two minutes there); ours goes one minute after it
 * was put aside. */
#define CRI_PENDING_TIMEOUT_USEC (60ULL * 1000000ULL)

/* Test-only: when set (a positive number of seconds) at the start of crio, replaces
 * CRI_PENDING_TIMEOUT_USEC, so the integration tests see an unclaimed result go without waiting a
 * minute. Not a setting: crio logs that it is in force. */
#define CRI_PENDING_TEST_TIMEOUT_ENV "CRIO_TEST_UNCLAIMED_TIMEOUT_SEC"

typedef struct CriPending CriPending;
typedef struct CriPendingEntry CriPendingEntry;

typedef struct CriPendingType {
        const char *what;       /* "pod sandbox", "container": for the journal */

        void *(*ref)(void *object);
        void (*unref)(void *object);
        const char *(*id)(const void *object);
        /* Still in the core's store: a put-aside container may go with its pod. */
        bool (*exists)(const void *object);
        /* Hides the object while nobody waits for it (true) or shows it to a caller that claims it
         * (false); the object may still be being created when hidden. */
        void (*set_unclaimed)(void *object, bool unclaimed);
        /* Nobody claimed it in time: remove it from the host. */
        void (*expire)(void *object);

        /* Answer a caller with the id of what was made, or with the failure of its creation
         * (name is the entry's). The cancel handler is already cleared. */
        void (*reply)(GrpcCall *call, const char *id);
        void (*fail)(GrpcCall *call, const char *name, int r, const char *error);
} CriPendingType;

/* The timeout is CRI_PENDING_TIMEOUT_USEC, or the test override read here from the environment. */
int cri_pending_new(sd_event *event, const CriPendingType *type, CriPending **ret);
/* Forgets every entry without answering or removing anything (at exit, after the gRPC server, whose
 * calls are gone, and before the pods and containers, whose creations under way end without their
 * callbacks). */
CriPending *cri_pending_free(CriPending *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(CriPending *, cri_pending_free);

void cri_pending_set_timeout(CriPending *s, uint64_t usec);
uint64_t cri_pending_get_timeout(const CriPending *s) _pure_;

/* A request for name arrives. 0: nothing is known of name, the caller goes on (and calls
 * cri_pending_begin()). 1: the store took the call: a put-aside result was handed back (the
 * object shows), or the call waits for the creation under way. < 0 on failure. */
int cri_pending_join(CriPending *s, const char *name, GrpcCall *call);

/* A creation of name starts for call (the store takes a reference and the call's cancel handler).
 * object may be NULL until cri_pending_set_object(). -EEXIST when name has an entry. The entry lives
 * until cri_pending_done() or cri_pending_abort(). */
int cri_pending_begin(CriPending *s, const char *name, GrpcCall *call, void *object, CriPendingEntry **ret);
/* The object being made, once the core has it (the store takes a reference). */
void cri_pending_set_object(CriPendingEntry *e, void *object);
/* The creation could not start: the entry goes without an answer (the caller answers itself). */
void cri_pending_abort(CriPendingEntry *e);
/* The creation ended: r < 0 and error (may be NULL) for a failure, which every waiting caller gets;
 * else the id goes to the callers still there, or the object is put aside when none is. object
 * (may be NULL when set before) is what was made. Frees e unless put aside. */
void cri_pending_done(CriPendingEntry *e, void *object, int r, const char *error);

/* Entries, for tests and the journal. */
size_t cri_pending_size(const CriPending *s) _pure_;
/* 1: put aside, 0: under way, -ENOENT: no entry. */
int cri_pending_state(const CriPending *s, const char *name) _pure_;
