/* SPDX-License-Identifier: Apache-2.0 */
#include "container-events.h"

void container_events_publish(Container *c, ContainerEvent e) {
        /* No subscribers yet. */
}
