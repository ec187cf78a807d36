/* SPDX-License-Identifier: Apache-2.0 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "bus-polkit.h"
#include "log.h"

/* polkit may put a password prompt in front of the user: give them time to answer it. */
#define POLKIT_INTERACTIVE_TIMEOUT_USEC (300ULL * 1000000ULL)

typedef struct PolkitQuery PolkitQuery;

struct PolkitQuery {
        BusPolkit *owner;
        PolkitQuery *prev, *next;
        sd_bus_message *request;
        sd_bus_slot *slot;
        char *action;
        /* Set once polkit answered: allowed, or the error to refuse with. */
        bool done;
        bool allowed;
        sd_bus_error error;
};

struct BusPolkit {
        PolkitQuery *queries;
        size_t n_queries;
};

static PolkitQuery *polkit_query_free(PolkitQuery *q) {
        if (!q)
                return NULL;
        if (q->owner) {
                if (q->prev)
                        q->prev->next = q->next;
                else
                        q->owner->queries = q->next;
                if (q->next)
                        q->next->prev = q->prev;
                q->owner->n_queries--;
        }
        sd_bus_slot_unref(q->slot);
        sd_bus_message_unref(q->request);
        sd_bus_error_free(&q->error);
        free(q->action);
        return mfree(q);
}

int bus_polkit_new(BusPolkit **ret) {
        BusPolkit *p = calloc(1, sizeof(BusPolkit));

        if (!p)
                return -ENOMEM;
        *ret = p;
        return 0;
}

BusPolkit *bus_polkit_free(BusPolkit *p) {
        if (!p)
                return NULL;
        while (p->queries)
                polkit_query_free(p->queries);
        return mfree(p);
}

size_t bus_polkit_n_pending(const BusPolkit *p) {
        return p ? p->n_queries : 0;
}

static PolkitQuery *polkit_query_find(BusPolkit *p, sd_bus_message *request, const char *action) {
        for (PolkitQuery *q = p->queries; q; q = q->next)
                if (q->request == request && strcmp(q->action, action) == 0)
                        return q;
        return NULL;
}

static int on_check_authorization(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        PolkitQuery *q = userdata;
        const sd_bus_error *e;
        int authorized = false, challenge = false, r;

        q->slot = sd_bus_slot_unref(q->slot);

        e = sd_bus_message_get_error(reply);
        if (e) {
                /* No polkit on the bus (not installed, or not activatable here): only root may act. */
                if (!sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER))
                        log_warning("polkit CheckAuthorization for %s failed: %s: %s", q->action, e->name,
                                    e->message ?: "");
        } else {
                r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
                if (r >= 0)
                        r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
                if (r < 0) {
                        log_warning_errno(r, "Failed to parse polkit's answer for %s, refusing: %m", q->action);
                        authorized = challenge = false;
                }
        }

        q->done = true;
        q->allowed = authorized;
        /* A challenge is refused too: the caller is told that authenticating could help. */
        if (!authorized)
                (void) sd_bus_error_setf(&q->error, SD_BUS_ERROR_ACCESS_DENIED,
                                         "Access denied: %s needs root or the polkit action %s%s.",
                                         sd_bus_message_get_member(q->request), q->action,
                                         challenge ? " (polkit would grant it after authentication)" : "");

        /* The method handler runs again and finds the answer. */
        r = sd_bus_enqueue_for_read(sd_bus_message_get_bus(q->request), q->request);
        if (r < 0) {
                log_warning_errno(r, "Failed to dispatch %s again after polkit answered: %m",
                                  sd_bus_message_get_member(q->request));
                (void) sd_bus_reply_method_errnof(q->request, r, "Failed to dispatch the call: %m");
                polkit_query_free(q);
        }
        return 0;
}

int bus_verify_polkit_async(BusPolkit *p, sd_bus_message *message, const char *action, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        PolkitQuery *q;
        const char *sender;
        bool interactive;
        uid_t euid;
        int r;

        q = polkit_query_find(p, message, action);
        if (q) {
                if (!q->done)
                        return 0;
                /* sd_bus_error_copy() returns the error's negative errno (-EACCES). */
                r = q->allowed ? 1 : sd_bus_error_copy(error, &q->error);
                if (r == 0) /* the error could not be stored (out of memory): still a refusal */
                        r = sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED, "Access denied.");
                polkit_query_free(q);
                /* The handler reads the arguments from the start on this second run. */
                (void) sd_bus_message_rewind(message, true);
                return r;
        }

        /* EUID is read from /proc of the sender's pid when the bus does not report it. */
        r = sd_bus_query_sender_creds(message, SD_BUS_CREDS_EUID | SD_BUS_CREDS_AUGMENT, &creds);
        if (r >= 0)
                r = sd_bus_creds_get_euid(creds, &euid);
        if (r >= 0 && euid == 0)
                return 1;
        if (r < 0)
                log_debug_errno(r, "Failed to read the credentials of %s, asking polkit: %m",
                                sd_bus_message_get_sender(message) ?: "(direct peer)");

        sender = sd_bus_message_get_sender(message);
        if (!sender)
                /* A direct connection (no bus): nothing polkit could check. */
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED, "Access denied.");

        r = sd_bus_message_new_method_call(sd_bus_message_get_bus(message), &call, "org.freedesktop.PolicyKit1",
                                           "/org/freedesktop/PolicyKit1/Authority",
                                           "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization");
        if (r < 0)
                return r;
        interactive = sd_bus_message_get_allow_interactive_authorization(message) > 0;
        /* subject, action, details, flags (1: allow user interaction), cancellation id */
        r = sd_bus_message_append(call, "(sa{sv})sa{ss}us", "system-bus-name", 1, "name", "s", sender,
                                  action, 0, (uint32_t) interactive, "");
        if (r < 0)
                return r;

        q = calloc(1, sizeof(PolkitQuery));
        if (!q)
                return -ENOMEM;
        q->action = strdup(action);
        if (!q->action) {
                free(q);
                return -ENOMEM;
        }
        q->request = sd_bus_message_ref(message);
        q->owner = p;
        q->next = p->queries;
        if (p->queries)
                p->queries->prev = q;
        p->queries = q;
        p->n_queries++;

        r = sd_bus_call_async(sd_bus_message_get_bus(message), &q->slot, call, on_check_authorization, q,
                              interactive ? POLKIT_INTERACTIVE_TIMEOUT_USEC : /* default */ 0);
        if (r < 0) {
                polkit_query_free(q);
                return r;
        }
        return 0;
}
