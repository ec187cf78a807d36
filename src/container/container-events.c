/* SPDX-License-Identifier: Apache-2.0 */
#include <assert.h>
#include <stdlib.h>
#include <time.h>

#include "container-events.h"
#include "log.h"
#include "manager.h"
#include "pod.h"

struct ContainerEventSubscriber {
        Manager *manager;
        ContainerEventSubscriber *prev, *next;
        ContainerEventHandler handler;
        void *userdata;
};

int container_events_subscribe(Manager *m, ContainerEventHandler handler, void *userdata,
                               ContainerEventSubscriber **ret) {
        ContainerEventSubscriber *s, *last;

        s = calloc(1, sizeof(ContainerEventSubscriber));
        if (!s)
                return -ENOMEM;
        *s = (ContainerEventSubscriber) {
                .manager = m,
                .handler = handler,
                .userdata = userdata,
        };
        /* At the end: subscribers hear each event in the order they came. */
        for (last = m->event_subscribers; last && last->next; last = last->next)
                ;
        if (last) {
                last->next = s;
                s->prev = last;
        } else
                m->event_subscribers = s;
        *ret = s;
        return 0;
}

ContainerEventSubscriber *container_events_unsubscribe(ContainerEventSubscriber *s) {
        if (!s)
                return NULL;
        if (s->prev)
                s->prev->next = s->next;
        else
                s->manager->event_subscribers = s->next;
        if (s->next)
                s->next->prev = s->prev;
        return mfree(s);
}

unsigned container_events_n_subscribers(Manager *m) {
        unsigned n = 0;

        for (ContainerEventSubscriber *s = m->event_subscribers; s; s = s->next)
                n++;
        return n;
}

static void publish(Manager *m, ContainerEventRecord *event) {
        struct timespec ts;

        if (!m->event_subscribers)
                return;

        (void) clock_gettime(CLOCK_REALTIME, &ts);
        event->timestamp = (int64_t) ts.tv_sec * INT64_C(1000000000) + ts.tv_nsec;
        for (ContainerEventSubscriber *s = m->event_subscribers, *next; s; s = next) {
                /* Taken first: the handler may unsubscribe itself. */
                next = s->next;
                s->handler(event, s->userdata);
        }
        event->encoded = mfree(event->encoded);
}

void container_events_publish(Container *c, ContainerEvent e) {
        ContainerEventRecord event = {
                .type = e,
                .id = c->id,
                .pod = c->pod,
                .container = c,
        };

        assert(e >= 0 && e < _CONTAINER_EVENT_MAX);
        publish(c->manager, &event);
}

void container_events_publish_pod(Pod *p, ContainerEvent e) {
        ContainerEventRecord event = {
                .type = e,
                .id = p->id,
                .pod = p,
        };

        assert(e >= 0 && e < _CONTAINER_EVENT_MAX);
        /* The infra container speaks for the pod that has one (even once it is gone, at removal). */
        if (p->infra || pod_needs_infra(p, p->manager->config->drop_infra_ctr))
                return;
        publish(p->manager, &event);
}
