/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The process of a container from its image config and its CRI config, by Kubernetes' rules as
 * CRI-O applies them. */

/* What runtime-tools starts every spec with, and CRI-O keeps. */
#define OCI_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* CRI command replaces the image entrypoint and drops the image cmd unless CRI args are given;
 * CRI args replace the image cmd. Empty lists count as unset, as they do in protobuf. -EINVAL
 * when nothing is left to run. */
int oci_args_build(char *const *image_entrypoint, char *const *image_cmd,
                   char *const *command, char *const *args, char ***ret);

typedef struct OciEnvInput {
        char *const *image_env;         /* "KEY=VALUE" from the image config */
        char *const *cri_env;           /* "KEY=VALUE" from the CRI config, winning over the image */
        char *const *default_env;       /* crio.runtime.default_env, under both */
        const char *hostname;           /* HOSTNAME=, when set */
        const char *home;               /* HOME= unless some list sets it; NULL: "/" */
} OciEnvInput;

/* PATH default and TERM=xterm first, then HOSTNAME, default_env, the CRI entries and the image
 * entries they do not override, each key once and replaced in place; HOME last when missing.
 * Entries without '=' or with an empty key are dropped. */
int oci_env_build(const OciEnvInput *in, char ***ret);
