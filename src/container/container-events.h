/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The stream of container lifecycle events that GetContainerEvents subscribers read. Every
 * container_changed() (the pod's infra container's too, whose id is the pod's) is handed at once, in
 * order, to each subscriber of the Manager; a pod without an infra container has its own events
 * from its run, stop and remove steps through container_events_publish_pod(), as CRI-O sends events
 * for every sandbox. The core knows nothing of how a subscriber encodes or sends them. */

#include <stdint.h>

#include "container.h"

struct Manager;
struct Pod;

typedef struct ContainerEventRecord {
        ContainerEvent type;
        const char *id;                 /* the container's, or the pod's for the sandbox's own events */
        struct Pod *pod;
        Container *container;           /* NULL for the events of a pod without an infra container */
        int64_t timestamp;              /* nanoseconds since the epoch */
        /* The first subscriber that encodes the event keeps the bytes here for the others; they
         * are freed once every subscriber has had the event. */
        void *encoded;
        size_t encoded_size;
} ContainerEventRecord;

typedef void (*ContainerEventHandler)(ContainerEventRecord *event, void *userdata);

typedef struct ContainerEventSubscriber ContainerEventSubscriber;

/* Adds a subscriber at the end of the Manager's list: it hears every event published from now on,
 * until container_events_unsubscribe(). A handler may unsubscribe itself, not others. */
int container_events_subscribe(struct Manager *m, ContainerEventHandler handler, void *userdata,
                               ContainerEventSubscriber **ret);
ContainerEventSubscriber *container_events_unsubscribe(ContainerEventSubscriber *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(ContainerEventSubscriber *, container_events_unsubscribe);
unsigned container_events_n_subscribers(struct Manager *m) _pure_;

/* Hands the event to every subscriber. */
void container_events_publish(Container *c, ContainerEvent e);
/* The same for a pod that has no infra container (a pod with one publishes through it). */
void container_events_publish_pod(struct Pod *p, ContainerEvent e);
