/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Who may call the mutating methods of org.crio1: root always; anyone else when polkit grants the
 * action (org.crio1.manage). polkit is asked asynchronously, so a slow or absent polkit never
 * stalls the loop: the method handler returns without replying, and the same request is dispatched
 * again once the answer is in; the handler's second check then returns that answer. */

#include <stddef.h>
#include <systemd/sd-bus.h>

#include "macro.h"

typedef struct BusPolkit BusPolkit;

int bus_polkit_new(BusPolkit **ret);
/* Drops every pending query (their requests go unanswered: used at exit). */
BusPolkit *bus_polkit_free(BusPolkit *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(BusPolkit *, bus_polkit_free);

/* 1: the sender of message may go on. 0: polkit was asked; the method handler returns 1 at once and
 * runs again with the answer. < 0: refused, error set (AccessDenied). */
int bus_verify_polkit_async(BusPolkit *p, sd_bus_message *message, const char *action, sd_bus_error *error);

/* Queries waiting for polkit or for their request to be dispatched again. */
size_t bus_polkit_n_pending(const BusPolkit *p) _pure_;
