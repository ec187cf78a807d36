/* SPDX-License-Identifier: Apache-2.0 */

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "systemd-manager.h"
#include "unit-name.h"

#define SYSTEMD_DESTINATION "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"
#define SYSTEMD_UNIT "org.freedesktop.systemd1.Unit"
#define SYSTEMD_UNIT_PATH_PREFIX "/org/freedesktop/systemd1/unit"

/* JobRemoved signals that arrive before the reply naming their job are kept this many at most. */
#define EARLY_JOBS_MAX 64

/* The properties a call cannot do without: never dropped when systemd rejects one. */
static const char *const essential_properties[] = { "PIDs", "Slice", "Description" };

typedef enum RequestKind {
        REQUEST_JOB,            /* the reply names a job; done on its JobRemoved */
        REQUEST_PLAIN,          /* done on the reply */
        REQUEST_GET,            /* Properties.Get per name, or one GetAll */
} RequestKind;

typedef enum RequestState {
        REQUEST_AWAITING_REPLY,
        REQUEST_AWAITING_JOB,
        REQUEST_DONE,
} RequestState;

typedef struct PropertyGet {
        SystemdRequest *request;
        char *name;             /* NULL for GetAll */
        sd_bus_slot *slot;
} PropertyGet;

struct SystemdRequest {
        SystemdClient *client;  /* NULL once done or detached */
        SystemdRequest *prev, *next;
        bool floating;

        RequestKind kind;
        RequestState state;
        char *method;
        char *unit;
        char *mode;             /* StartTransientUnit, StopUnit */
        bool runtime;           /* SetUnitProperties */
        char *who;              /* KillUnit */
        int32_t signo;
        UnitPropertyList *properties;   /* methods taking a(sv): kept to retry without one */
        unsigned retries;

        sd_bus_slot *slot;
        char *job;

        char *interface;        /* REQUEST_GET */
        PropertyGet *gets;
        size_t n_gets, n_gets_pending;
        UnitPropertyList *values;

        SystemdJobCallback job_callback;
        SystemdPropertiesCallback properties_callback;
        void *userdata;
};

struct UnitWatch {
        SystemdClient *client;
        UnitWatch *prev, *next;
        char *unit;
        char *path;
        char *active_state;
        char *sub_state;
        sd_bus_slot *initial_slot;
        UnitStateCallback callback;
        void *userdata;
};

typedef struct EarlyJob {
        char *job;
        char *unit;
        char *result;
} EarlyJob;

struct SystemdClient {
        sd_event *event;
        sd_bus *bus;
        bool own_bus;

        sd_bus_slot *disconnected_slot;
        sd_bus_slot *job_removed_slot;
        sd_bus_slot *unit_removed_slot;
        sd_bus_slot *properties_changed_slot;
        sd_bus_slot *subscribe_slot;

        SystemdRequest *requests;
        size_t n_requests;
        UnitWatch *watches;

        EarlyJob early[EARLY_JOBS_MAX];
        size_t n_early;
};

#define LIST_PREPEND(head, item)                        \
        do {                                            \
                (item)->prev = NULL;                    \
                (item)->next = (head);                  \
                if (head)                               \
                        (head)->prev = (item);          \
                (head) = (item);                        \
        } while (0)

#define LIST_REMOVE(head, item)                         \
        do {                                            \
                if ((item)->next)                       \
                        (item)->next->prev = (item)->prev; \
                if ((item)->prev)                       \
                        (item)->prev->next = (item)->next; \
                else                                    \
                        (head) = (item)->next;          \
                (item)->prev = (item)->next = NULL;     \
        } while (0)

static const char *const job_result_table[_JOB_RESULT_MAX] = {
        [JOB_RESULT_DONE] = "done",
        [JOB_RESULT_CANCELED] = "canceled",
        [JOB_RESULT_TIMEOUT] = "timeout",
        [JOB_RESULT_FAILED] = "failed",
        [JOB_RESULT_DEPENDENCY] = "dependency",
        [JOB_RESULT_SKIPPED] = "skipped",
        [JOB_RESULT_INVALID] = "invalid",
        [JOB_RESULT_ASSERT] = "assert",
        [JOB_RESULT_UNSUPPORTED] = "unsupported",
        [JOB_RESULT_COLLECTED] = "collected",
        [JOB_RESULT_ONCE] = "once",
};

const char *job_result_to_string(JobResult r) {
        if (r < 0 || r >= _JOB_RESULT_MAX)
                return NULL;
        return job_result_table[r];
}

JobResult job_result_from_string(const char *s) {
        if (!s)
                return _JOB_RESULT_INVALID;
        for (JobResult r = 0; r < _JOB_RESULT_MAX; r++)
                if (strcmp(job_result_table[r], s) == 0)
                        return r;
        return _JOB_RESULT_INVALID;
}

int job_result_to_errno(const char *result) {
        switch (job_result_from_string(result)) {
        case JOB_RESULT_DONE:
        case JOB_RESULT_SKIPPED:
                return 0;
        case JOB_RESULT_CANCELED:
                return -ECANCELED;
        case JOB_RESULT_TIMEOUT:
                return -ETIMEDOUT;
        case JOB_RESULT_DEPENDENCY:
                return -ENOLINK;
        case JOB_RESULT_INVALID:
        case JOB_RESULT_UNSUPPORTED:
                return -EOPNOTSUPP;
        case JOB_RESULT_ASSERT:
        case JOB_RESULT_ONCE:
                return -ESTALE;
        default:
                return -EIO;
        }
}

int systemd_bus_error_to_errno(const sd_bus_error *error) {
        static const struct {
                const char *name;
                int error;
        } table[] = {
                { "org.freedesktop.systemd1.NoSuchUnit", ENOENT },
                { "org.freedesktop.systemd1.UnitExists", EEXIST },
                { "org.freedesktop.systemd1.NoSuchProcess", ESRCH },
                { "org.freedesktop.systemd1.NoSuchJob", ENOENT },
                { "org.freedesktop.systemd1.LoadFailed", EIO },
                { "org.freedesktop.systemd1.JobTypeNotApplicable", EBADR },
                { "org.freedesktop.systemd1.TransactionIsDestructive", EDEADLK },
                { "org.freedesktop.systemd1.UnitMasked", ERFKILL },
                { "org.freedesktop.systemd1.UnitInactive", ENOLINK },
                { "org.freedesktop.systemd1.ShuttingDown", ECANCELED },
        };
        int e;

        if (!error || !sd_bus_error_is_set(error))
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (sd_bus_error_has_name(error, table[i].name))
                        return -table[i].error;
        e = sd_bus_error_get_errno(error);
        return e > 0 ? -e : -EIO;
}

static bool streq_ptr(const char *a, const char *b) {
        return a && b ? strcmp(a, b) == 0 : a == b;
}

static void early_job_done(EarlyJob *e) {
        free(e->job);
        free(e->unit);
        free(e->result);
        *e = (EarlyJob) {};
}

/* Unhooks r from its client and cancels whatever is under way. The callback is not run. */
static void request_detach(SystemdRequest *r) {
        r->slot = sd_bus_slot_unref(r->slot);
        for (size_t i = 0; i < r->n_gets; i++)
                r->gets[i].slot = sd_bus_slot_unref(r->gets[i].slot);
        r->n_gets_pending = 0;
        if (r->client) {
                LIST_REMOVE(r->client->requests, r);
                r->client->n_requests--;
                r->client = NULL;
        }
}

static SystemdRequest *request_free_internal(SystemdRequest *r) {
        if (!r)
                return NULL;
        request_detach(r);
        free(r->method);
        free(r->unit);
        free(r->mode);
        free(r->who);
        free(r->job);
        free(r->interface);
        for (size_t i = 0; i < r->n_gets; i++)
                free(r->gets[i].name);
        free(r->gets);
        unit_property_list_free(r->properties);
        unit_property_list_free(r->values);
        return mfree(r);
}

SystemdRequest *systemd_request_free(SystemdRequest *r) {
        if (!r)
                return NULL;
        /* A handle of the caller's: cancel if pending. Floating ones are never handed out. */
        return request_free_internal(r);
}

bool systemd_request_is_pending(SystemdRequest *r) {
        return r && r->state != REQUEST_DONE && r->client;
}

unsigned systemd_request_get_n_dropped(SystemdRequest *r) {
        return r ? r->retries : 0;
}

/* Finishes r: detaches it, runs its callback once, frees it if it is the client's. */
static void request_complete(SystemdRequest *r, int error, const char *result) {
        bool floating = r->floating;

        request_detach(r);
        r->state = REQUEST_DONE;

        if (error < 0)
                log_debug_errno(error, "systemd %s %s failed%s%s: %m", r->method, r->unit,
                                result ? ", job result " : "", result ?: "");
        else
                log_debug("systemd %s %s done%s%s", r->method, r->unit, result ? ", job result " : "",
                          result ?: "");

        /* The callback may free a caller-owned r: touch nothing of it afterwards. */
        if (r->kind == REQUEST_GET) {
                if (r->properties_callback)
                        r->properties_callback(error, error < 0 ? NULL : r->values, r->userdata);
        } else if (r->job_callback)
                r->job_callback(error, result, r->userdata);

        if (floating)
                request_free_internal(r);
}

static int request_send(SystemdRequest *r);

static bool property_is_essential(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(essential_properties); i++)
                if (strcmp(essential_properties[i], name) == 0)
                        return true;
        return false;
}

/* On a rejected property, drops it and sends again: returns 1 if a retry went out. */
static int request_retry_without_rejected(SystemdRequest *r, const sd_bus_error *error) {
        _cleanup_free_ char *name = NULL;
        const char *rejected;
        int k;

        if (!r->properties)
                return 0;
        rejected = unit_property_list_find_rejected(r->properties, error);
        if (!rejected || property_is_essential(rejected))
                return 0;
        /* Each retry drops one property, so this ends after at most one retry per property. */
        name = strdup(rejected);
        if (!name)
                return -ENOMEM;
        if (unit_property_list_remove(r->properties, name) <= 0)
                return 0;

        log_warning("systemd refused property %s of %s (%s: %s), retrying without it.", name, r->unit,
                    error->name, error->message);
        r->retries++;
        k = request_send(r);
        if (k < 0)
                return k;
        return 1;
}

static int take_early_job(SystemdClient *c, const char *job, char **ret_result) {
        for (size_t i = 0; i < c->n_early; i++)
                if (strcmp(c->early[i].job, job) == 0) {
                        *ret_result = TAKE_PTR(c->early[i].result);
                        early_job_done(&c->early[i]);
                        memmove(c->early + i, c->early + i + 1, (c->n_early - i - 1) * sizeof(EarlyJob));
                        c->n_early--;
                        return 1;
                }
        return 0;
}

static int on_method_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        SystemdRequest *r = userdata;
        SystemdClient *c = r->client;
        const sd_bus_error *e;
        const char *job;
        int k;

        r->slot = sd_bus_slot_unref(r->slot);

        e = sd_bus_message_get_error(m);
        if (e) {
                k = request_retry_without_rejected(r, e);
                if (k > 0)
                        return 0;
                if (k < 0)
                        log_warning_errno(k, "Failed to retry %s of %s, ignoring: %m", r->method, r->unit);
                k = systemd_bus_error_to_errno(e);
                log_debug("systemd %s %s: %s: %s", r->method, r->unit, e->name, e->message);
                request_complete(r, k, NULL);
                return 0;
        }

        if (r->kind == REQUEST_PLAIN) {
                request_complete(r, 0, NULL);
                return 0;
        }

        k = sd_bus_message_read(m, "o", &job);
        if (k < 0) {
                request_complete(r, k, NULL);
                return 0;
        }

        /* The job may already be over: its JobRemoved then came first and waits in the early list. */
        _cleanup_free_ char *result = NULL;
        if (c && take_early_job(c, job, &result) > 0) {
                request_complete(r, job_result_to_errno(result), result);
                return 0;
        }

        r->job = strdup(job);
        if (!r->job) {
                request_complete(r, -ENOMEM, NULL);
                return 0;
        }
        r->state = REQUEST_AWAITING_JOB;
        return 0;
}

static int request_build(SystemdRequest *r, sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        SystemdClient *c = r->client;
        int k;

        k = sd_bus_message_new_method_call(c->bus, &m, SYSTEMD_DESTINATION, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                           r->method);
        if (k < 0)
                return k;
        k = sd_bus_message_append(m, "s", r->unit);
        if (k < 0)
                return k;

        if (strcmp(r->method, "StartTransientUnit") == 0) {
                k = sd_bus_message_append(m, "s", r->mode);
                if (k < 0)
                        return k;
                k = unit_property_list_append(m, r->properties);
                if (k < 0)
                        return k;
                /* No auxiliary units. */
                k = sd_bus_message_append(m, "a(sa(sv))", 0);
        } else if (strcmp(r->method, "StopUnit") == 0)
                k = sd_bus_message_append(m, "s", r->mode);
        else if (strcmp(r->method, "KillUnit") == 0)
                k = sd_bus_message_append(m, "si", r->who, r->signo);
        else if (strcmp(r->method, "SetUnitProperties") == 0) {
                k = sd_bus_message_append(m, "b", r->runtime);
                if (k < 0)
                        return k;
                k = unit_property_list_append(m, r->properties);
        } else
                k = 0;
        if (k < 0)
                return k;

        *ret = TAKE_PTR(m);
        return 0;
}

static int request_send(SystemdRequest *r) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int k;

        if (!r->client)
                return -ESTALE;
        k = request_build(r, &m);
        if (k < 0)
                return k;
        r->slot = sd_bus_slot_unref(r->slot);
        k = sd_bus_call_async(r->client->bus, &r->slot, m, on_method_reply, r, /* usec= */ 0);
        if (k < 0)
                return k;
        r->state = REQUEST_AWAITING_REPLY;
        return 0;
}

static int request_new(SystemdClient *c, RequestKind kind, const char *method, const char *unit,
                       SystemdRequest **ret) {
        SystemdRequest *r;

        r = calloc(1, sizeof(SystemdRequest));
        if (!r)
                return -ENOMEM;
        r->kind = kind;
        r->method = strdup(method);
        r->unit = strdup(unit);
        if (!r->method || !r->unit) {
                request_free_internal(r);
                return -ENOMEM;
        }
        r->client = c;
        LIST_PREPEND(c->requests, r);
        c->n_requests++;
        *ret = r;
        return 0;
}

/* Sends r and hands it to the caller (ret_request) or to the client. Frees r on failure. */
static int request_start(SystemdRequest *r, SystemdRequest **ret_request) {
        int k;

        k = request_send(r);
        if (k < 0) {
                log_debug_errno(k, "Failed to send systemd %s %s: %m", r->method, r->unit);
                request_free_internal(r);
                return k;
        }
        log_debug("systemd %s %s sent", r->method, r->unit);
        if (ret_request)
                *ret_request = r;
        else
                r->floating = true;
        return 0;
}

static int client_check(SystemdClient *c) {
        if (!c)
                return -EINVAL;
        if (!c->bus || !sd_bus_is_open(c->bus))
                return -ENOTCONN;
        return 0;
}

static int start_transient(SystemdClient *c, const char *name, UnitPropertyList *properties,
                           SystemdJobCallback callback, void *userdata, SystemdRequest **ret_request) {
        SystemdRequest *r;
        int k;

        if (!unit_property_list_contains(properties, "CollectMode")) {
                /* A failed transient unit would otherwise stay until reset-failed, blocking its name. */
                k = unit_property_list_add_string(properties, "CollectMode", "inactive-or-failed");
                if (k < 0)
                        return k;
        }

        k = request_new(c, REQUEST_JOB, "StartTransientUnit", name, &r);
        if (k < 0)
                return k;
        r->properties = properties;
        r->mode = strdup("fail");
        if (!r->mode) {
                request_free_internal(r);
                return -ENOMEM;
        }
        r->job_callback = callback;
        r->userdata = userdata;
        return request_start(r, ret_request);
}

int systemd_client_start_transient_slice(SystemdClient *c, const char *name, const char *description,
                                         const UnitPropertyList *properties, SystemdJobCallback callback,
                                         void *userdata, SystemdRequest **ret_request) {
        _cleanup_(unit_property_list_freep) UnitPropertyList *p = NULL;
        int k;

        k = client_check(c);
        if (k < 0)
                return k;
        if (!slice_name_is_valid(name) || strcmp(name, "-.slice") == 0)
                return -EINVAL;

        k = unit_property_list_copy(properties, &p);
        if (k < 0)
                return k;
        if (description) {
                k = unit_property_list_add_string(p, "Description", description);
                if (k < 0)
                        return k;
        }
        k = start_transient(c, name, p, callback, userdata, ret_request);
        if (k >= 0)
                TAKE_PTR(p);
        return k;
}

int systemd_client_start_transient_scope(SystemdClient *c, const char *name, const char *slice,
                                         const char *description, const pid_t *pids, size_t n_pids,
                                         const UnitPropertyList *properties, SystemdJobCallback callback,
                                         void *userdata, SystemdRequest **ret_request) {
        _cleanup_(unit_property_list_freep) UnitPropertyList *p = NULL;
        int k;

        k = client_check(c);
        if (k < 0)
                return k;
        if (unit_name_to_type(name) != UNIT_SCOPE)
                return -EINVAL;
        if (slice && !slice_name_is_valid(slice))
                return -EINVAL;
        /* systemd refuses a scope without processes. */
        if (n_pids == 0 || !pids)
                return -EINVAL;

        k = unit_property_list_copy(properties, &p);
        if (k < 0)
                return k;
        if (description) {
                k = unit_property_list_add_string(p, "Description", description);
                if (k < 0)
                        return k;
        }
        if (slice) {
                k = unit_property_list_add_string(p, "Slice", slice);
                if (k < 0)
                        return k;
        }
        k = unit_property_list_add_pids(p, pids, n_pids);
        if (k < 0)
                return k;

        k = start_transient(c, name, p, callback, userdata, ret_request);
        if (k >= 0)
                TAKE_PTR(p);
        return k;
}

int systemd_client_stop_unit(SystemdClient *c, const char *name, const char *mode,
                             SystemdJobCallback callback, void *userdata, SystemdRequest **ret_request) {
        SystemdRequest *r;
        int k;

        k = client_check(c);
        if (k < 0)
                return k;
        if (!unit_name_is_valid(name))
                return -EINVAL;

        k = request_new(c, REQUEST_JOB, "StopUnit", name, &r);
        if (k < 0)
                return k;
        r->mode = strdup(mode ?: "replace");
        if (!r->mode) {
                request_free_internal(r);
                return -ENOMEM;
        }
        r->job_callback = callback;
        r->userdata = userdata;
        return request_start(r, ret_request);
}

int systemd_client_kill_unit(SystemdClient *c, const char *name, const char *who, int signo,
                             SystemdJobCallback callback, void *userdata, SystemdRequest **ret_request) {
        SystemdRequest *r;
        int k;

        k = client_check(c);
        if (k < 0)
                return k;
        if (!unit_name_is_valid(name) || signo <= 0 || signo >= _NSIG)
                return -EINVAL;
        who = who ?: "all";
        if (strcmp(who, "all") != 0 && strcmp(who, "main") != 0 && strcmp(who, "control") != 0)
                return -EINVAL;

        k = request_new(c, REQUEST_PLAIN, "KillUnit", name, &r);
        if (k < 0)
                return k;
        r->who = strdup(who);
        if (!r->who) {
                request_free_internal(r);
                return -ENOMEM;
        }
        r->signo = signo;
        r->job_callback = callback;
        r->userdata = userdata;
        return request_start(r, ret_request);
}

int systemd_client_reset_failed_unit(SystemdClient *c, const char *name, SystemdJobCallback callback,
                                     void *userdata, SystemdRequest **ret_request) {
        SystemdRequest *r;
        int k;

        k = client_check(c);
        if (k < 0)
                return k;
        if (!unit_name_is_valid(name))
                return -EINVAL;

        k = request_new(c, REQUEST_PLAIN, "ResetFailedUnit", name, &r);
        if (k < 0)
                return k;
        r->job_callback = callback;
        r->userdata = userdata;
        return request_start(r, ret_request);
}

int systemd_client_set_unit_properties(SystemdClient *c, const char *name, bool runtime,
                                       const UnitPropertyList *properties, SystemdJobCallback callback,
                                       void *userdata, SystemdRequest **ret_request) {
        SystemdRequest *r;
        int k;

        k = client_check(c);
        if (k < 0)
                return k;
        if (!unit_name_is_valid(name))
                return -EINVAL;

        k = request_new(c, REQUEST_PLAIN, "SetUnitProperties", name, &r);
        if (k < 0)
                return k;
        k = unit_property_list_copy(properties, &r->properties);
        if (k < 0) {
                request_free_internal(r);
                return k;
        }
        r->runtime = runtime;
        r->job_callback = callback;
        r->userdata = userdata;
        return request_start(r, ret_request);
}

static int on_get_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        PropertyGet *g = userdata;
        SystemdRequest *r = g->request;
        const sd_bus_error *e;
        int k;

        g->slot = sd_bus_slot_unref(g->slot);
        r->n_gets_pending--;

        e = sd_bus_message_get_error(m);
        if (e) {
                /* A property newer than this systemd: leave it out. */
                if (g->name && (sd_bus_error_has_name(e, SD_BUS_ERROR_UNKNOWN_PROPERTY) ||
                                sd_bus_error_has_name(e, SD_BUS_ERROR_INVALID_ARGS))) {
                        log_debug("systemd has no property %s on %s: %s", g->name, r->unit, e->message);
                        k = 0;
                } else
                        k = systemd_bus_error_to_errno(e);
        } else if (g->name) {
                k = unit_property_list_read_variant(r->values, g->name, m);
                if (k == -EOPNOTSUPP)
                        k = 0;
        } else {
                /* GetAll: a{sv}. */
                k = sd_bus_message_enter_container(m, 'a', "{sv}");
                while (k > 0) {
                        const char *name;

                        k = sd_bus_message_enter_container(m, 'e', "sv");
                        if (k <= 0)
                                break;
                        k = sd_bus_message_read(m, "s", &name);
                        if (k < 0)
                                break;
                        k = unit_property_list_read_variant(r->values, name, m);
                        if (k == -EOPNOTSUPP)
                                k = 0;
                        if (k < 0)
                                break;
                        k = sd_bus_message_exit_container(m);
                }
                if (k >= 0)
                        k = sd_bus_message_exit_container(m);
        }

        if (k < 0) {
                /* The first failure ends the request; the other replies are dropped. */
                request_complete(r, k, NULL);
                return 0;
        }
        if (r->n_gets_pending == 0)
                request_complete(r, 0, NULL);
        return 0;
}

static const char *interface_for_unit(const char *name) {
        switch (unit_name_to_type(name)) {
        case UNIT_SLICE:
                return "org.freedesktop.systemd1.Slice";
        case UNIT_SCOPE:
                return "org.freedesktop.systemd1.Scope";
        case UNIT_SERVICE:
                return "org.freedesktop.systemd1.Service";
        case UNIT_SOCKET:
                return "org.freedesktop.systemd1.Socket";
        case UNIT_MOUNT:
                return "org.freedesktop.systemd1.Mount";
        case UNIT_SWAP:
                return "org.freedesktop.systemd1.Swap";
        default:
                return SYSTEMD_UNIT;
        }
}

int systemd_client_get_unit_properties(SystemdClient *c, const char *name, const char *interface,
                                       char *const *names, SystemdPropertiesCallback callback,
                                       void *userdata, SystemdRequest **ret_request) {
        _cleanup_free_ char *path = NULL;
        SystemdRequest *r;
        size_t n = 0;
        int k;

        k = client_check(c);
        if (k < 0)
                return k;
        k = unit_dbus_path_from_name(name, &path);
        if (k < 0)
                return k;
        for (char *const *s = names; s && *s; s++)
                n++;
        if (names && n == 0)
                return -EINVAL;

        k = request_new(c, REQUEST_GET, names ? "Get" : "GetAll", name, &r);
        if (k < 0)
                return k;
        r->properties_callback = callback;
        r->userdata = userdata;
        r->interface = strdup(interface ?: interface_for_unit(name));
        r->gets = calloc(MAX(n, (size_t) 1), sizeof(PropertyGet));
        if (!r->interface || !r->gets || unit_property_list_new(&r->values) < 0) {
                request_free_internal(r);
                return -ENOMEM;
        }

        r->n_gets = names ? n : 1;
        for (size_t i = 0; i < r->n_gets; i++) {
                PropertyGet *g = &r->gets[i];

                g->request = r;
                if (names) {
                        g->name = strdup(names[i]);
                        if (!g->name) {
                                request_free_internal(r);
                                return -ENOMEM;
                        }
                        k = sd_bus_call_method_async(c->bus, &g->slot, SYSTEMD_DESTINATION, path,
                                                     "org.freedesktop.DBus.Properties", "Get", on_get_reply,
                                                     g, "ss", r->interface, g->name);
                } else
                        k = sd_bus_call_method_async(c->bus, &g->slot, SYSTEMD_DESTINATION, path,
                                                     "org.freedesktop.DBus.Properties", "GetAll",
                                                     on_get_reply, g, "s", r->interface);
                if (k < 0) {
                        request_free_internal(r);
                        return k;
                }
                r->n_gets_pending++;
        }

        if (ret_request)
                *ret_request = r;
        else
                r->floating = true;
        return 0;
}

/* Unit watches */

static int watch_update(UnitWatch *w, const char *active, const char *sub, bool removed) {
        bool changed = removed;

        if (active && (!w->active_state || strcmp(w->active_state, active) != 0)) {
                char *s = strdup(active);
                if (!s)
                        return -ENOMEM;
                free_and_replace(w->active_state, s);
                changed = true;
        }
        if (sub && (!w->sub_state || strcmp(w->sub_state, sub) != 0)) {
                char *s = strdup(sub);
                if (!s)
                        return -ENOMEM;
                free_and_replace(w->sub_state, s);
                changed = true;
        }
        if (!changed || !w->active_state || !w->sub_state)
                return 0;

        /* The callback may free w: nothing after it. */
        w->callback(w->unit, w->active_state, w->sub_state, removed, w->userdata);
        return 1;
}

static int on_initial_state(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        UnitWatch *w = userdata;
        const char *active = NULL, *sub = NULL, *name;
        const sd_bus_error *e;
        int k;

        w->initial_slot = sd_bus_slot_unref(w->initial_slot);

        e = sd_bus_message_get_error(m);
        if (e) {
                log_debug("Failed to read the state of %s: %s", w->unit, e->message);
                return 0;
        }

        k = sd_bus_message_enter_container(m, 'a', "{sv}");
        while (k > 0) {
                k = sd_bus_message_enter_container(m, 'e', "sv");
                if (k <= 0)
                        break;
                k = sd_bus_message_read(m, "s", &name);
                if (k < 0)
                        break;
                if (strcmp(name, "ActiveState") == 0)
                        k = sd_bus_message_read(m, "v", "s", &active);
                else if (strcmp(name, "SubState") == 0)
                        k = sd_bus_message_read(m, "v", "s", &sub);
                else
                        k = sd_bus_message_skip(m, "v");
                if (k < 0)
                        break;
                k = sd_bus_message_exit_container(m);
        }
        if (k < 0) {
                log_debug_errno(k, "Failed to parse the state of %s: %m", w->unit);
                return 0;
        }

        /* A change signalled meanwhile is newer: keep it. */
        if (w->active_state && w->sub_state)
                return 0;
        k = watch_update(w, active, sub, false);
        if (k < 0)
                log_warning_errno(k, "Failed to record the state of %s, ignoring: %m", w->unit);
        return 0;
}

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        SystemdClient *c = userdata;
        const char *path, *interface, *name, *active = NULL, *sub = NULL;
        UnitWatch *w;
        int k;

        path = sd_bus_message_get_path(m);
        if (!path)
                return 0;
        for (w = c->watches; w; w = w->next)
                if (strcmp(w->path, path) == 0)
                        break;
        if (!w)
                return 0;

        k = sd_bus_message_read(m, "s", &interface);
        if (k < 0 || strcmp(interface, SYSTEMD_UNIT) != 0)
                return 0;

        k = sd_bus_message_enter_container(m, 'a', "{sv}");
        while (k > 0) {
                k = sd_bus_message_enter_container(m, 'e', "sv");
                if (k <= 0)
                        break;
                k = sd_bus_message_read(m, "s", &name);
                if (k < 0)
                        break;
                if (strcmp(name, "ActiveState") == 0)
                        k = sd_bus_message_read(m, "v", "s", &active);
                else if (strcmp(name, "SubState") == 0)
                        k = sd_bus_message_read(m, "v", "s", &sub);
                else
                        k = sd_bus_message_skip(m, "v");
                if (k < 0)
                        break;
                k = sd_bus_message_exit_container(m);
        }
        if (k < 0) {
                log_debug_errno(k, "Failed to parse PropertiesChanged of %s: %m", w->unit);
                return 0;
        }

        k = watch_update(w, active, sub, false);
        if (k < 0)
                log_warning_errno(k, "Failed to record the state of %s, ignoring: %m", w->unit);
        return 0;
}

static int on_unit_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        SystemdClient *c = userdata;
        const char *unit, *path;
        int k;

        k = sd_bus_message_read(m, "so", &unit, &path);
        if (k < 0) {
                log_debug_errno(k, "Failed to parse UnitRemoved: %m");
                return 0;
        }
        for (UnitWatch *w = c->watches; w; w = w->next)
                if (strcmp(w->unit, unit) == 0) {
                        k = watch_update(w, "inactive", "dead", true);
                        if (k < 0)
                                log_warning_errno(k, "Failed to record the state of %s, ignoring: %m", unit);
                        break;
                }
        return 0;
}

static int on_match_installed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        const sd_bus_error *e = sd_bus_message_get_error(m);

        if (e)
                log_warning("Failed to add a D-Bus match for systemd's signals: %s: %s",
                            e->name, e->message);
        return 0;
}

static int on_disconnected(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        SystemdClient *c = userdata;

        /* Replies still due fail on their own; jobs would wait forever for their JobRemoved. */
        log_warning("Lost the connection to the system bus, failing %zu systemd calls.", c->n_requests);
        while (c->requests)
                request_complete(c->requests, -ECONNRESET, NULL);
        return 0;
}

static int client_ensure_properties_match(SystemdClient *c) {
        _cleanup_free_ char *match = NULL;

        if (c->properties_changed_slot)
                return 0;
        /* One match for all watched units, rather than one each: the bus daemon limits the matches of
         * a connection (512 on the system bus by default) and crio may watch more units than that. */
        match = strdup("type='signal',sender='" SYSTEMD_DESTINATION "',"
                       "interface='org.freedesktop.DBus.Properties',member='PropertiesChanged',"
                       "path_namespace='" SYSTEMD_UNIT_PATH_PREFIX "',arg0='" SYSTEMD_UNIT "'");
        if (!match)
                return -ENOMEM;
        return sd_bus_add_match_async(c->bus, &c->properties_changed_slot, match, on_properties_changed,
                                      on_match_installed, c);
}

int systemd_client_watch_unit(SystemdClient *c, const char *name, UnitStateCallback callback,
                              void *userdata, UnitWatch **ret) {
        _cleanup_(unit_watch_freep) UnitWatch *w = NULL;
        int k;

        k = client_check(c);
        if (k < 0)
                return k;
        if (!unit_name_is_valid(name) || !callback || !ret)
                return -EINVAL;

        w = calloc(1, sizeof(UnitWatch));
        if (!w)
                return -ENOMEM;
        w->unit = strdup(name);
        if (!w->unit)
                return -ENOMEM;
        k = unit_dbus_path_from_name(name, &w->path);
        if (k < 0)
                return k;
        w->callback = callback;
        w->userdata = userdata;
        w->client = c;
        LIST_PREPEND(c->watches, w);

        k = client_ensure_properties_match(c);
        if (k < 0)
                return k;

        /* Sent after the match, so no change falls between the state read and the first signal. */
        k = sd_bus_call_method_async(c->bus, &w->initial_slot, SYSTEMD_DESTINATION, w->path,
                                     "org.freedesktop.DBus.Properties", "GetAll", on_initial_state, w,
                                     "s", SYSTEMD_UNIT);
        if (k < 0)
                return k;

        *ret = TAKE_PTR(w);
        return 0;
}

UnitWatch *unit_watch_free(UnitWatch *w) {
        if (!w)
                return NULL;
        if (w->client)
                LIST_REMOVE(w->client->watches, w);
        sd_bus_slot_unref(w->initial_slot);
        free(w->unit);
        free(w->path);
        free(w->active_state);
        free(w->sub_state);
        return mfree(w);
}

/* Job tracking */

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        SystemdClient *c = userdata;
        const char *job, *unit, *result;
        uint32_t id;
        bool awaited = false;
        int k;

        k = sd_bus_message_read(m, "uoss", &id, &job, &unit, &result);
        if (k < 0) {
                log_debug_errno(k, "Failed to parse JobRemoved: %m");
                return 0;
        }

        for (SystemdRequest *r = c->requests; r; r = r->next) {
                if (r->kind != REQUEST_JOB)
                        continue;
                if (r->state == REQUEST_AWAITING_JOB && streq_ptr(r->job, job)) {
                        request_complete(r, job_result_to_errno(result), result);
                        return 0;
                }
                if (r->state == REQUEST_AWAITING_REPLY && strcmp(r->unit, unit) == 0)
                        awaited = true;
        }

        /* systemd broadcasts every job's end: keep only those of units whose call still waits for its
         * reply, which then names the job. */
        if (!awaited)
                return 0;
        if (c->n_early == EARLY_JOBS_MAX) {
                early_job_done(&c->early[0]);
                memmove(c->early, c->early + 1, (EARLY_JOBS_MAX - 1) * sizeof(EarlyJob));
                c->n_early--;
        }
        EarlyJob *e = &c->early[c->n_early];
        e->job = strdup(job);
        e->unit = strdup(unit);
        e->result = strdup(result);
        if (!e->job || !e->unit || !e->result) {
                early_job_done(e);
                return log_oom();
        }
        c->n_early++;
        log_debug("JobRemoved of %s (%s) came before the reply naming it", job, unit);
        return 0;
}

static int on_subscribed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        SystemdClient *c = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);

        c->subscribe_slot = sd_bus_slot_unref(c->subscribe_slot);
        /* Already subscribed is fine; anything else leaves us without UnitRemoved and
         * PropertiesChanged of units we did not start ourselves. */
        if (e && !sd_bus_error_has_name(e, "org.freedesktop.systemd1.AlreadySubscribed"))
                log_warning("Failed to subscribe to systemd's signals: %s: %s", e->name, e->message);
        return 0;
}

static int client_setup(SystemdClient *c) {
        int k;

        /* Local to sd-bus: nothing goes to the bus daemon. */
        k = sd_bus_match_signal(c->bus, &c->disconnected_slot, "org.freedesktop.DBus.Local",
                                "/org/freedesktop/DBus/Local", "org.freedesktop.DBus.Local", "Disconnected",
                                on_disconnected, c);
        if (k < 0)
                return log_error_errno(k, "Failed to watch the bus connection: %m");

        k = sd_bus_match_signal_async(c->bus, &c->job_removed_slot, SYSTEMD_DESTINATION, SYSTEMD_PATH,
                                      SYSTEMD_MANAGER, "JobRemoved", on_job_removed, on_match_installed, c);
        if (k < 0)
                return log_error_errno(k, "Failed to add a match for systemd's JobRemoved: %m");

        k = sd_bus_match_signal_async(c->bus, &c->unit_removed_slot, SYSTEMD_DESTINATION, SYSTEMD_PATH,
                                      SYSTEMD_MANAGER, "UnitRemoved", on_unit_removed, on_match_installed,
                                      c);
        if (k < 0)
                return log_error_errno(k, "Failed to add a match for systemd's UnitRemoved: %m");

        k = sd_bus_call_method_async(c->bus, &c->subscribe_slot, SYSTEMD_DESTINATION, SYSTEMD_PATH,
                                     SYSTEMD_MANAGER, "Subscribe", on_subscribed, c, NULL);
        if (k < 0)
                return log_error_errno(k, "Failed to subscribe to systemd's signals: %m");
        return 0;
}

int systemd_client_new_with_bus(sd_event *event, sd_bus *bus, SystemdClient **ret) {
        _cleanup_(systemd_client_freep) SystemdClient *c = NULL;
        int k;

        if (!bus || !ret)
                return -EINVAL;

        c = calloc(1, sizeof(SystemdClient));
        if (!c)
                return -ENOMEM;
        c->bus = sd_bus_ref(bus);

        if (!sd_bus_get_event(bus)) {
                if (event)
                        c->event = sd_event_ref(event);
                else {
                        k = sd_event_default(&c->event);
                        if (k < 0)
                                return k;
                }
                k = sd_bus_attach_event(bus, c->event, SD_EVENT_PRIORITY_NORMAL);
                if (k < 0)
                        return log_error_errno(k, "Failed to attach the system bus to the event loop: %m");
        } else
                c->event = sd_event_ref(sd_bus_get_event(bus));

        k = client_setup(c);
        if (k < 0)
                return k;

        *ret = TAKE_PTR(c);
        return 0;
}

int systemd_client_new(sd_event *event, SystemdClient **ret) {
        _cleanup_(sd_bus_unrefp) sd_bus *bus = NULL;
        int k;

        if (!ret)
                return -EINVAL;
        k = sd_bus_open_system_with_description(&bus, "crio-systemd");
        if (k < 0)
                return log_error_errno(k, "Failed to connect to the system bus: %m");
        k = systemd_client_new_with_bus(event, bus, ret);
        if (k < 0)
                return k;
        (*ret)->own_bus = true;
        return 0;
}

SystemdClient *systemd_client_free(SystemdClient *c) {
        if (!c)
                return NULL;

        /* Requests of the client go; those the callers hold stay theirs, cancelled. */
        while (c->requests) {
                SystemdRequest *r = c->requests;

                request_detach(r);
                if (r->floating)
                        request_free_internal(r);
        }
        while (c->watches) {
                UnitWatch *w = c->watches;

                LIST_REMOVE(c->watches, w);
                w->client = NULL;
                w->initial_slot = sd_bus_slot_unref(w->initial_slot);
        }
        for (size_t i = 0; i < c->n_early; i++)
                early_job_done(&c->early[i]);

        sd_bus_slot_unref(c->disconnected_slot);
        sd_bus_slot_unref(c->job_removed_slot);
        sd_bus_slot_unref(c->unit_removed_slot);
        sd_bus_slot_unref(c->properties_changed_slot);
        sd_bus_slot_unref(c->subscribe_slot);

        if (c->own_bus) {
                (void) sd_bus_detach_event(c->bus);
                sd_bus_flush_close_unref(c->bus);
        } else
                sd_bus_unref(c->bus);
        sd_event_unref(c->event);
        return mfree(c);
}

sd_bus *systemd_client_get_bus(SystemdClient *c) {
        return c ? c->bus : NULL;
}

size_t systemd_client_n_pending(SystemdClient *c) {
        return c ? c->n_requests : 0;
}
