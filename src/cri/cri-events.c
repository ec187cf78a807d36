/* SPDX-License-Identifier: Apache-2.0 */
#include <inttypes.h>
#include <stdlib.h>

#include "api.pb-c.h"
#include "config.h"
#include "container-events.h"
#include "container-manager.h"
#include "cri-call.h"
#include "cri-container.h"
#include "cri-events.h"
#include "cri-pod.h"
#include "log.h"
#include "manager.h"

/* Drops are logged at most this often per subscriber, with the count since the last line. */
#define CRI_EVENTS_DROP_LOG_INTERVAL_USEC (10ULL * 1000000ULL)

typedef struct CriEventStream {
        Manager *manager;
        GrpcCall *call;
        ContainerEventSubscriber *subscriber;
        uint64_t n_sent, n_dropped;
        uint64_t n_dropped_unlogged;
        uint64_t drop_logged_usec;      /* CLOCK_MONOTONIC of the last line about drops, 0: none yet */
} CriEventStream;

static void cri_event_stream_free(CriEventStream *s) {
        if (!s)
                return;
        log_debug("GetContainerEvents stream ends after %" PRIu64 " events, %" PRIu64 " dropped.", s->n_sent,
                  s->n_dropped);
        container_events_unsubscribe(s->subscriber);
        grpc_call_set_cancel_handler(s->call, NULL, NULL);
        grpc_call_set_drain_handler(s->call, NULL, NULL);
        grpc_call_unref(s->call);
        free(s);
}

/* The ContainerEventResponse, as CRI-O fills it: the pod's status and the statuses of its containers
 * after the event (a deleted container no longer among them). Packed once for every subscriber. */
static int event_encode(ContainerEventRecord *event) {
        Runtime__V1__ContainerEventResponse reply = RUNTIME__V1__CONTAINER_EVENT_RESPONSE__INIT;
        _cleanup_(cri_pod_status_done) CriPodStatus pod = {};
        _cleanup_free_ Container **all = NULL;
        _cleanup_free_ CriContainerStatus *statuses = NULL;
        _cleanup_free_ Runtime__V1__ContainerStatus **pointers = NULL;
        size_t n_all, n = 0, size;
        uint8_t *buf;
        int r;

        r = cri_pod_status_fill(&pod, event->pod);
        if (r < 0)
                return r;
        r = container_list(event->pod->manager, &all, &n_all);
        if (r < 0)
                return r;
        statuses = calloc(MAX(n_all, 1U), sizeof(CriContainerStatus));
        pointers = calloc(MAX(n_all, 1U), sizeof(Runtime__V1__ContainerStatus *));
        if (!statuses || !pointers)
                return -ENOMEM;
        for (size_t i = 0; i < n_all && r >= 0; i++) {
                Container *c = all[i];

                if (c->pod != event->pod || (c == event->container && event->type == CONTAINER_EVENT_DELETED))
                        continue;
                r = cri_container_status_fill(&statuses[n], c);
                pointers[n] = &statuses[n].status;
                n++;
        }

        if (r >= 0) {
                reply.container_id = (char *) event->id;
                reply.container_event_type = (Runtime__V1__ContainerEventType) event->type;
                reply.created_at = event->timestamp;
                reply.pod_sandbox_status = &pod.status;
                reply.n_containers_statuses = n;
                reply.containers_statuses = pointers;

                size = protobuf_c_message_get_packed_size(&reply.base);
                buf = malloc(size ?: 1);
                if (buf) {
                        (void) protobuf_c_message_pack(&reply.base, buf);
                        event->encoded = buf;
                        event->encoded_size = size;
                } else
                        r = -ENOMEM;
        }
        for (size_t i = 0; i < n; i++)
                cri_container_status_done(&statuses[i]);
        return r;
}

static void event_dropped(CriEventStream *s, const ContainerEventRecord *event, size_t queued) {
        uint64_t now = 0;

        s->n_dropped++;
        s->n_dropped_unlogged++;
        (void) sd_event_now(s->manager->event, CLOCK_MONOTONIC, &now);
        if (s->drop_logged_usec != 0 && now < s->drop_logged_usec + CRI_EVENTS_DROP_LOG_INTERVAL_USEC)
                return;
        log_warning("A GetContainerEvents client is not reading (%zu bytes waiting): dropped %" PRIu64
                    " container events since the last report, %" PRIu64 " in all; the latest: %s of %s.",
                    queued, s->n_dropped_unlogged, s->n_dropped, container_event_to_string(event->type),
                    event->id);
        s->drop_logged_usec = now ?: 1;
        s->n_dropped_unlogged = 0;
}

static void on_event(ContainerEventRecord *event, void *userdata) {
        CriEventStream *s = userdata;
        size_t queued;
        int r;

        if (!event->encoded) {
                r = event_encode(event);
                if (r < 0) {
                        log_warning_errno(r, "Failed to encode the %s event of %s, ignoring: %m",
                                          container_event_to_string(event->type), event->id);
                        return;
                }
        }

        /* A bounded queue per subscriber, as CRI-O's channel: a client that does not read loses
         * events instead of growing our memory. One event always fits into an empty queue. */
        queued = grpc_call_get_queued_bytes(s->call);
        if (queued > 0 && queued + event->encoded_size > CRI_EVENTS_MAX_QUEUED_BYTES)
                return event_dropped(s, event, queued);

        r = grpc_call_send(s->call, event->encoded, event->encoded_size);
        if (r < 0) {
                /* The call is over (a message over the size limit finished it): so is the stream. */
                log_debug_errno(r, "Failed to send the %s event of %s, ending the stream: %m",
                                container_event_to_string(event->type), event->id);
                return cri_event_stream_free(s);
        }
        s->n_sent++;
}

static void on_cancelled(GrpcCall *call, void *userdata) {
        cri_event_stream_free(userdata);
}

static void on_drain(GrpcCall *call, void *userdata) {
        /* crio stops: the stream ends as a clean end of events, as CRI-O's does when its channel closes. */
        (void) grpc_call_finish(call, GRPC_STATUS_OK, NULL);
        cri_event_stream_free(userdata);
}

int cri_events_get(GrpcCall *call, const uint8_t *message, size_t size, void *userdata) {
        Manager *m = userdata;
        _cleanup_message_ ProtobufCMessage *msg = NULL;
        CriEventStream *s;
        int r;

        msg = cri_call_unpack(call, &runtime__v1__get_events_request__descriptor, message, size);
        if (!msg)
                return 0;
        /* As CRI-O: without enable_pod_events the stream ends at once, with no event. */
        if (!m->config->enable_pod_events)
                return grpc_call_finish(call, GRPC_STATUS_OK, NULL);

        s = calloc(1, sizeof(CriEventStream));
        if (!s)
                return -ENOMEM;
        s->manager = m;
        s->call = grpc_call_ref(call);
        r = container_events_subscribe(m, on_event, s, &s->subscriber);
        if (r < 0) {
                cri_event_stream_free(s);
                return r;
        }
        grpc_call_set_cancel_handler(call, on_cancelled, s);
        grpc_call_set_drain_handler(call, on_drain, s);
        log_debug("GetContainerEvents stream opened, %u in all.", container_events_n_subscribers(m));
        return 0;
}
