/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The JSON a container needs beyond config.json itself: the process object of an exec (the
 * container's own process with other args), the LinuxResources object "<runtime> update" reads,
 * the "info" of a verbose ContainerStatus and CRI-O's ContainerInfo, which cAdvisor reads over
 * HTTP at /containers/<id>. Every result is malloc()ed and NUL-terminated. */

#include <stdbool.h>
#include <stddef.h>

#include "container.h"

/* process from config_json with args replaced by argv and terminal off. -EBADMSG for a config
 * without a process object. */
int container_exec_process_json(const char *config_json, size_t size, char *const *argv, char **ret);
/* The same with "terminal" as given: an interactive exec with a tty. */
int container_exec_process_json_full(const char *config_json, size_t size, char *const *argv, bool terminal,
                                     char **ret);
/* runtime-spec's LinuxResources: cpu, memory, pids, hugepageLimits, unified; unset values left out. */
int container_resources_to_json(const OciResources *r, char **ret);
/* {"sandboxID", "pid", "privileged", "runtimeSpec"}: config_json may be NULL. */
int container_status_info_json(const Container *c, const char *config_json, size_t size, char **ret);
/* {"name", "pid", "image", "image_ref", "created_time", "labels", "annotations", "crio_annotations",
 * "log_path", "root", "sandbox", "ip_addresses"}. */
int container_info_json(const Container *c, const char *config_json, size_t size, char **ret);
