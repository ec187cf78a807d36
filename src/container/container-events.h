/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The stream of container lifecycle events that GetContainerEvents subscribers read. */

#include "container.h"

/* Hands the event to every subscriber. */
void container_events_publish(Container *c, ContainerEvent e);
