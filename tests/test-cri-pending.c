/* SPDX-License-Identifier: Apache-2.0 */

/* The store of creations kept past their callers (cri-pending.c), with fake objects and real GrpcCalls
 * on a connection that never speaks: a call "goes away" when the test detaches it, as the server does
 * when a client resets the stream or its deadline passes. */

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cri-pending.h"
#include "grpc-call.h"
#include "grpc-connection.h"
#include "tap.h"

typedef struct Object {
        unsigned n_ref;
        char id[16];
        bool in_store;
        bool unclaimed;
        unsigned n_hidden, n_shown, n_expired;
} Object;

typedef struct Answer {
        GrpcCall *call;
        int r;                  /* 0: the id */
        char text[64];          /* the id, or the error */
} Answer;

static Answer answers[16];
static size_t n_answers;
static GrpcServer server = { .limits = { .max_recv_message_size = 4096 } };
static GrpcConnection connection = { .server = &server };

static void *object_ref(void *o) {
        ((Object *) o)->n_ref++;
        return o;
}

static void object_unref(void *o) {
        ((Object *) o)->n_ref--;
}

static const char *object_id(const void *o) {
        return ((const Object *) o)->id;
}

static bool object_exists(const void *o) {
        return ((const Object *) o)->in_store;
}

static void object_set_unclaimed(void *o, bool unclaimed) {
        Object *obj = o;

        obj->unclaimed = unclaimed;
        if (unclaimed)
                obj->n_hidden++;
        else
                obj->n_shown++;
}

static void object_expire(void *o) {
        Object *obj = o;

        obj->n_expired++;
        obj->in_store = false;
}

static void record(GrpcCall *call, int r, const char *text) {
        if (n_answers >= ELEMENTSOF(answers))
                abort();
        answers[n_answers].call = call;
        answers[n_answers].r = r;
        snprintf(answers[n_answers].text, sizeof(answers[n_answers].text), "%s", text ?: "");
        n_answers++;
}

static void reply(GrpcCall *call, const char *id) {
        record(call, 0, id);
}

static void fail(GrpcCall *call, const char *name, int r, const char *error) {
        record(call, r, error);
}

static const CriPendingType type = {
        .what = "thing",
        .ref = object_ref,
        .unref = object_unref,
        .id = object_id,
        .exists = object_exists,
        .set_unclaimed = object_set_unclaimed,
        .expire = object_expire,
        .reply = reply,
        .fail = fail,
};

static GrpcCall *call_new(void) {
        static int32_t stream_id = 1;
        GrpcCall *c;

        if (grpc_call_new(&connection, stream_id += 2, &c) < 0)
                abort();
        return c;
}

/* The client is gone: the server fires the cancel handler and drops its reference. */
static void call_gone(GrpcCall *c) {
        grpc_call_detach(c);
}

/* The end of a call that was answered (or never handed over): our test reference goes. */
static void call_done(GrpcCall *c) {
        grpc_call_detach(c);
}

static Object object_new(const char *id) {
        Object o = { .in_store = true };

        snprintf(o.id, sizeof(o.id), "%s", id);
        return o;
}

static CriPending *store_new(sd_event *e) {
        CriPending *s;

        if (cri_pending_new(e, &type, &s) < 0)
                abort();
        return s;
}

static void test_caller_stays(sd_event *e) {
        CriPending *s = store_new(e);
        Object o = object_new("a1");
        CriPendingEntry *entry;
        GrpcCall *c = call_new();

        n_answers = 0;
        TAP_IS_INT(cri_pending_join(s, "k8s_a", c), 0, "nothing known of a new name");
        TAP_IS_INT(cri_pending_begin(s, "k8s_a", c, &o, &entry), 0, "begin");
        TAP_IS_INT(cri_pending_state(s, "k8s_a"), 0, "under way");
        TAP_IS_INT(cri_pending_begin(s, "k8s_a", c, &o, &entry), -EEXIST, "one creation a name");
        cri_pending_done(entry, &o, 0, NULL);
        TAP_IS_INT(n_answers, 1, "one answer");
        TAP_OK(answers[0].call == c && answers[0].r == 0, "the caller gets the result");
        TAP_IS_STR(answers[0].text, "a1", "the id");
        TAP_IS_INT(o.n_hidden + o.n_shown, 0, "never hidden");
        TAP_IS_INT(cri_pending_size(s), 0, "the entry is gone");
        TAP_IS_INT(o.n_ref, 0, "no reference kept");
        call_done(c);
        cri_pending_free(s);
}

static void test_caller_gone_retry_claims(sd_event *e) {
        CriPending *s = store_new(e);
        Object o = object_new("b2");
        CriPendingEntry *entry;
        GrpcCall *first = call_new(), *retry = call_new();

        n_answers = 0;
        TAP_IS_INT(cri_pending_begin(s, "k8s_b", first, &o, &entry), 0, "begin");
        call_gone(first);
        TAP_OK(o.unclaimed && o.n_hidden == 1, "hidden once its caller is gone");
        cri_pending_done(entry, NULL, 0, NULL);
        TAP_IS_INT(n_answers, 0, "nobody to answer");
        TAP_IS_INT(cri_pending_state(s, "k8s_b"), 1, "put aside");
        TAP_OK(o.unclaimed, "still hidden");
        TAP_IS_INT(o.n_ref, 1, "the store holds it");

        TAP_IS_INT(cri_pending_join(s, "k8s_b", retry), 1, "the retry is answered");
        TAP_IS_INT(n_answers, 1, "one answer");
        TAP_OK(answers[0].call == retry && answers[0].r == 0, "the retry gets the result");
        TAP_IS_STR(answers[0].text, "b2", "the same id");
        TAP_OK(!o.unclaimed && o.n_shown == 1, "shown once claimed");
        TAP_IS_INT(cri_pending_size(s), 0, "the entry is gone");
        TAP_IS_INT(o.n_ref, 0, "no reference kept");
        TAP_IS_INT(cri_pending_join(s, "k8s_b", retry), 0, "a third request is a new one");
        call_done(retry);
        cri_pending_free(s);
}

static void test_retry_waits(sd_event *e) {
        CriPending *s = store_new(e);
        Object o = object_new("c3");
        CriPendingEntry *entry;
        GrpcCall *first = call_new(), *retry = call_new(), *late = call_new();

        n_answers = 0;
        TAP_IS_INT(cri_pending_begin(s, "k8s_c", first, &o, &entry), 0, "begin");
        call_gone(first);
        TAP_IS_INT(cri_pending_join(s, "k8s_c", retry), 1, "the retry waits");
        TAP_IS_INT(cri_pending_join(s, "k8s_c", late), 1, "a second retry waits too");
        TAP_IS_INT(n_answers, 0, "no answer while under way");
        TAP_IS_INT(cri_pending_state(s, "k8s_c"), 0, "still under way");
        /* The second retry's deadline passes. */
        call_gone(late);
        cri_pending_done(entry, &o, 0, NULL);
        TAP_IS_INT(n_answers, 1, "the retry still there is answered");
        TAP_OK(answers[0].call == retry && answers[0].r == 0, "with the result");
        TAP_IS_STR(answers[0].text, "c3", "the id");
        TAP_OK(!o.unclaimed && o.n_hidden == 1 && o.n_shown == 1, "hidden, then shown to the retry");
        TAP_IS_INT(cri_pending_size(s), 0, "the entry is gone");
        TAP_IS_INT(o.n_ref, 0, "no reference kept");
        call_done(retry);
        cri_pending_free(s);
}

static void test_two_callers(sd_event *e) {
        CriPending *s = store_new(e);
        Object o = object_new("d4");
        CriPendingEntry *entry;
        GrpcCall *first = call_new(), *second = call_new();

        n_answers = 0;
        TAP_IS_INT(cri_pending_begin(s, "k8s_d", first, &o, &entry), 0, "begin");
        TAP_IS_INT(cri_pending_join(s, "k8s_d", second), 1, "a second request waits for the first");
        cri_pending_done(entry, &o, 0, NULL);
        TAP_IS_INT(n_answers, 2, "both answered");
        TAP_OK(answers[0].call == first && answers[1].call == second, "first first");
        TAP_OK(answers[0].r == 0 && answers[1].r == 0 && strcmp(answers[1].text, "d4") == 0, "same id");
        TAP_IS_INT(o.n_hidden + o.n_shown, 0, "never hidden");
        call_done(first);
        call_done(second);
        cri_pending_free(s);
}

static void test_waiter_gone(sd_event *e) {
        CriPending *s = store_new(e);
        Object o = object_new("e5");
        CriPendingEntry *entry;
        GrpcCall *first = call_new(), *retry = call_new();

        n_answers = 0;
        TAP_IS_INT(cri_pending_begin(s, "k8s_e", first, &o, &entry), 0, "begin");
        call_gone(first);
        TAP_IS_INT(cri_pending_join(s, "k8s_e", retry), 1, "the retry waits");
        call_gone(retry);
        cri_pending_done(entry, &o, 0, NULL);
        TAP_IS_INT(n_answers, 0, "nobody left to answer");
        TAP_IS_INT(cri_pending_state(s, "k8s_e"), 1, "put aside");
        TAP_OK(o.unclaimed, "hidden");
        cri_pending_free(s);
        TAP_IS_INT(o.n_ref, 0, "freeing the store drops it");
        TAP_IS_INT(o.n_expired, 0, "without removing it");
}

static void test_failure(sd_event *e) {
        CriPending *s = store_new(e);
        Object o = object_new("f6");
        CriPendingEntry *entry;
        GrpcCall *first = call_new(), *retry = call_new();

        n_answers = 0;
        TAP_IS_INT(cri_pending_begin(s, "k8s_f", first, &o, &entry), 0, "begin");
        TAP_IS_INT(cri_pending_join(s, "k8s_f", retry), 1, "a retry waits");
        o.in_store = false;
        cri_pending_done(entry, &o, -EIO, "the plugin said no");
        TAP_IS_INT(n_answers, 2, "every caller hears of the failure");
        TAP_OK(answers[0].r == -EIO && answers[1].r == -EIO, "with the error");
        TAP_IS_STR(answers[1].text, "the plugin said no", "and its text");
        TAP_IS_INT(cri_pending_size(s), 0, "a failure leaves nothing");
        TAP_IS_INT(o.n_ref, 0, "no reference kept");
        TAP_IS_INT(cri_pending_join(s, "k8s_f", retry), 0, "the next request runs afresh");
        call_done(first);
        call_done(retry);

        /* Failed with nobody there. */
        first = call_new();
        n_answers = 0;
        TAP_IS_INT(cri_pending_begin(s, "k8s_f", first, &o, &entry), 0, "begin again");
        call_gone(first);
        cri_pending_done(entry, &o, -EIO, NULL);
        TAP_IS_INT(n_answers, 0, "nobody to answer");
        TAP_IS_INT(cri_pending_size(s), 0, "nothing put aside");
        TAP_IS_INT(o.n_ref, 0, "no reference kept");
        cri_pending_free(s);
}

static uint64_t now_usec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

/* Runs the loop until *done or usec passed. */
static void run_until(sd_event *e, const unsigned *done, uint64_t usec) {
        uint64_t end = now_usec() + usec, now;

        while (!(done && *done) && (now = now_usec()) < end)
                if (sd_event_run(e, end - now) < 0)
                        abort();
}

static void test_expiry(sd_event *e) {
        CriPending *s = store_new(e);
        Object o = object_new("g7"), gone = object_new("h8");
        CriPendingEntry *entry;
        GrpcCall *c = call_new(), *retry = call_new();
        uint64_t start;

        n_answers = 0;
        cri_pending_set_timeout(s, 50 * 1000);
        TAP_IS_INT(cri_pending_begin(s, "k8s_g", c, &o, &entry), 0, "begin");
        call_gone(c);
        start = now_usec();
        cri_pending_done(entry, &o, 0, NULL);
        TAP_IS_INT(cri_pending_state(s, "k8s_g"), 1, "put aside");
        run_until(e, NULL, 0);
        TAP_IS_INT(o.n_expired, 0, "kept for now");
        run_until(e, &o.n_expired, 10 * 1000 * 1000);
        TAP_IS_INT(o.n_expired, 1, "removed once");
        TAP_OK(now_usec() - start >= 50 * 1000, "after the timeout");
        run_until(e, NULL, 10 * 1000);
        TAP_IS_INT(o.n_expired, 1, "only once");
        TAP_IS_INT(cri_pending_size(s), 0, "the entry is gone");
        TAP_IS_INT(o.n_ref, 0, "no reference kept");
        TAP_IS_INT(cri_pending_join(s, "k8s_g", retry), 0, "a late retry runs afresh");

        /* Removed behind the store's back (a container with its pod). */
        c = call_new();
        TAP_IS_INT(cri_pending_begin(s, "k8s_h", c, &gone, &entry), 0, "begin");
        call_gone(c);
        cri_pending_done(entry, &gone, 0, NULL);
        gone.in_store = false;
        TAP_IS_INT(cri_pending_join(s, "k8s_h", retry), 0, "a result gone meanwhile is made afresh");
        TAP_IS_INT(cri_pending_size(s), 0, "its entry is dropped");
        TAP_IS_INT(n_answers, 0, "nothing answered");
        TAP_IS_INT(gone.n_expired + gone.n_ref, 0, "nothing removed, no reference kept");
        call_done(retry);
        cri_pending_free(s);
}

static void test_abort_and_late_object(sd_event *e) {
        CriPending *s = store_new(e);
        Object o = object_new("i9");
        CriPendingEntry *entry;
        GrpcCall *c = call_new();

        n_answers = 0;
        TAP_IS_INT(cri_pending_begin(s, "k8s_i", c, NULL, &entry), 0, "begin without the object");
        cri_pending_abort(entry);
        TAP_IS_INT(cri_pending_size(s), 0, "an abort leaves nothing");
        /* The cancel handler went with the entry. */
        call_gone(c);
        TAP_IS_INT(n_answers, 0, "an aborted call is not answered by the store");

        c = call_new();
        TAP_IS_INT(cri_pending_begin(s, "k8s_i", c, NULL, &entry), 0, "begin without the object");
        call_gone(c);
        TAP_IS_INT(o.n_hidden, 0, "nothing to hide yet");
        cri_pending_set_object(entry, &o);
        TAP_OK(o.unclaimed && o.n_ref == 1, "hidden as soon as it is known");
        cri_pending_done(entry, NULL, 0, NULL);
        TAP_IS_INT(cri_pending_state(s, "k8s_i"), 1, "put aside");

        c = call_new();
        TAP_IS_INT(cri_pending_begin(s, "k8s_j", c, NULL, &entry), 0, "begin without the object");
        call_gone(c);
        cri_pending_done(entry, NULL, 0, NULL);
        TAP_IS_INT(cri_pending_state(s, "k8s_j"), -ENOENT, "done without an object: a failure");

        cri_pending_free(s);
        TAP_IS_INT(o.n_ref, 0, "freeing the store drops it");
}

static void test_free_with_callers(sd_event *e) {
        CriPending *s = store_new(e);
        Object o = object_new("k1");
        CriPendingEntry *entry;
        GrpcCall *c = call_new(), *retry = call_new();

        n_answers = 0;
        TAP_IS_INT(cri_pending_begin(s, "k8s_k", c, &o, &entry), 0, "begin");
        TAP_IS_INT(cri_pending_join(s, "k8s_k", retry), 1, "a retry waits");
        cri_pending_free(s);
        TAP_IS_INT(o.n_ref, 0, "freeing the store drops the object");
        /* The server goes after the store at exit: the calls must not reach the freed entry. */
        call_gone(c);
        call_gone(retry);
        TAP_IS_INT(n_answers, 0, "nobody answered at exit");
}

static void test_timeout_override(sd_event *e) {
        static const struct {
                const char *value;
                uint64_t usec;
        } cases[] = {
                { "7", 7 * 1000000ULL },
                { "1", 1000000ULL },
                { "0", CRI_PENDING_TIMEOUT_USEC },
                { "-3", CRI_PENDING_TIMEOUT_USEC },
                { " 5", CRI_PENDING_TIMEOUT_USEC },
                { "5s", CRI_PENDING_TIMEOUT_USEC },
                { "99999999999999999999", CRI_PENDING_TIMEOUT_USEC },
                { "", CRI_PENDING_TIMEOUT_USEC },
        };
        CriPending *s;

        unsetenv(CRI_PENDING_TEST_TIMEOUT_ENV);
        s = store_new(e);
        TAP_IS_INT(cri_pending_get_timeout(s), CRI_PENDING_TIMEOUT_USEC, "a minute, as CRI-O");
        cri_pending_free(s);
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                setenv(CRI_PENDING_TEST_TIMEOUT_ENV, cases[i].value, 1);
                s = store_new(e);
                TAP_IS_INT(cri_pending_get_timeout(s), cases[i].usec, "%s=\"%s\"",
                           CRI_PENDING_TEST_TIMEOUT_ENV, cases[i].value);
                cri_pending_free(s);
        }
        unsetenv(CRI_PENDING_TEST_TIMEOUT_ENV);
}

int main(void) {
        sd_event *e = NULL;

        if (sd_event_new(&e) < 0)
                return 1;
        unsetenv(CRI_PENDING_TEST_TIMEOUT_ENV);
        test_caller_stays(e);
        test_caller_gone_retry_claims(e);
        test_retry_waits(e);
        test_two_callers(e);
        test_waiter_gone(e);
        test_failure(e);
        test_expiry(e);
        test_abort_and_late_object(e);
        test_free_with_callers(e);
        test_timeout_override(e);
        TAP_IS_INT(server.n_calls, 0, "every call ended");
        sd_event_unref(e);
        return tap_done();
}
