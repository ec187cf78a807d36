/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "container-events.h"
#include "manager.h"
#include "pod.h"
#include "tap.h"

typedef struct Heard {
        char log[256];
        ContainerEventSubscriber *self;
        bool leave;             /* unsubscribe from inside the handler */
        bool encode;
} Heard;

static unsigned encodings;

static void on_event(ContainerEventRecord *event, void *userdata) {
        Heard *h = userdata;
        size_t l = strlen(h->log);

        snprintf(h->log + l, sizeof(h->log) - l, "%s%s:%s", l ? " " : "", event->id,
                 container_event_to_string(event->type));
        if (h->encode && !event->encoded) {
                event->encoded = strdup("packed");
                event->encoded_size = 6;
                encodings++;
        }
        if (h->encode)
                TAP_OK(event->encoded && event->encoded_size == 6, "the encoding is shared");
        TAP_OK(event->timestamp > 0, "the event has a time");
        if (h->leave)
                h->self = container_events_unsubscribe(h->self);
}

int main(void) {
        Config config = { .drop_infra_ctr = true };
        Manager m = { .config = &config };
        Pod pod = { .manager = &m, .id = (char *) "pod1", .config.pid_mode = POD_NAMESPACE_CONTAINER };
        Container c = { .manager = &m, .id = (char *) "ctr1", .pod = &pod };
        Heard a = { .encode = true }, b = { .encode = true }, quitter = { .leave = true };

        container_events_publish(&c, CONTAINER_EVENT_CREATED);
        TAP_IS_INT(container_events_n_subscribers(&m), 0, "no subscribers, nothing to do");

        TAP_IS_INT(container_events_subscribe(&m, on_event, &a, &a.self), 0, "a subscribes");
        TAP_IS_INT(container_events_subscribe(&m, on_event, &quitter, &quitter.self), 0, "quitter subscribes");
        TAP_IS_INT(container_events_subscribe(&m, on_event, &b, &b.self), 0, "b subscribes");
        TAP_IS_INT(container_events_n_subscribers(&m), 3, "three subscribers");

        container_events_publish(&c, CONTAINER_EVENT_CREATED);
        TAP_IS_INT(container_events_n_subscribers(&m), 2, "one left from its own handler");
        container_events_publish(&c, CONTAINER_EVENT_STARTED);
        /* A pod without an infra container speaks for itself... */
        container_events_publish_pod(&pod, CONTAINER_EVENT_STOPPED);
        /* ...one that needs one does not: its infra container does. */
        pod.config.pid_mode = POD_NAMESPACE_POD;
        container_events_publish_pod(&pod, CONTAINER_EVENT_DELETED);

        TAP_IS_STR(a.log, "ctr1:created ctr1:started pod1:stopped", "a heard every event in order");
        TAP_IS_STR(b.log, a.log, "b heard the same");
        TAP_IS_STR(quitter.log, "ctr1:created", "the quitter heard one");
        TAP_IS_INT(encodings, 3, "each event encoded once for all");

        a.self = container_events_unsubscribe(a.self);
        b.self = container_events_unsubscribe(b.self);
        TAP_OK(!m.event_subscribers, "the list is empty again");
        return tap_done();
}
