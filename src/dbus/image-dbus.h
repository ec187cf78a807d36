/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The image methods of org.crio1.Manager, over the manager's image store and puller: the same
 * store and the same rules (pinned images, untagging) as the CRI ImageService. */

#include <systemd/sd-bus.h>

#include "manager.h"

typedef struct BusImagePull BusImagePull;

int method_pull_image(sd_bus_message *message, void *userdata, sd_bus_error *error);
int method_list_images(sd_bus_message *message, void *userdata, sd_bus_error *error);
int method_remove_image(sd_bus_message *message, void *userdata, sd_bus_error *error);

/* Stops waiting for the pulls PullImage calls asked for; those calls go unanswered (at exit). */
void image_dbus_drop_pulls(Manager *m);
