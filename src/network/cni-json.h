/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Internal: the JSON work of plugin execution, done in cni-exec-json.c. */

#include <stddef.h>

/* What a plugin reads on stdin: its configured object with "name" and "cniVersion" of the list,
 * "prevResult" (JSON, or NULL) and "runtimeConfig" holding those of capability_args (a JSON
 * object, or NULL) that the plugin declares in capabilities. */
int cni_plugin_stdin_build(const char *plugin_json, const char *name, const char *cni_version,
                           const char *prev_result, const char *capability_args, char *const *capabilities,
                           char **ret);

/* The supportedVersions of a VERSION answer. */
int cni_version_info_parse(const char *json, size_t size, char ***ret);
