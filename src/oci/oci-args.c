/* SPDX-License-Identifier: Apache-2.0 */

#include <string.h>

#include "log.h"
#include "oci-args.h"
#include "oci-util.h"

int oci_args_build(char *const *image_entrypoint, char *const *image_cmd,
                   char *const *command, char *const *args, char ***ret) {
        _cleanup_(strv_freep) char **out = NULL;
        int r;

        if (strv_isempty(command)) {
                if (strv_isempty(args))
                        args = image_cmd;
                command = image_entrypoint;
        }
        if (strv_isempty(command) && strv_isempty(args))
                return log_debug_errno(EINVAL, "No command specified by the image or the container config.");

        r = strv_copy(command, &out);
        if (r < 0)
                return r;
        if (args)
                for (char *const *a = args; *a; a++) {
                        r = strv_push(&out, *a);
                        if (r < 0)
                                return r;
                }
        *ret = TAKE_PTR(out);
        return 0;
}

/* Sets every well-formed entry of list; with skip, entries whose key is in skip are left out. */
static int env_apply(char ***env, char *const *list, char *const *skip) {
        if (!list)
                return 0;
        for (char *const *e = list; *e; e++) {
                _cleanup_free_ char *key = NULL;
                size_t len = oci_env_key_length(*e);
                int r;

                if (len == 0)
                        continue;
                key = strndup(*e, len);
                if (!key)
                        return -ENOMEM;
                if (skip && oci_env_get(skip, key))
                        continue;
                r = oci_env_set(env, key, *e + len + 1);
                if (r < 0)
                        return r;
        }
        return 0;
}

int oci_env_build(const OciEnvInput *in, char ***ret) {
        _cleanup_(strv_freep) char **env = NULL;
        int r;

        r = strv_new(&env, "PATH=" OCI_DEFAULT_PATH, "TERM=xterm", NULL);
        if (r < 0)
                return r;
        if (in->hostname) {
                r = oci_env_set(&env, "HOSTNAME", in->hostname);
                if (r < 0)
                        return r;
        }
        r = env_apply(&env, in->default_env, NULL);
        if (r < 0)
                return r;
        r = env_apply(&env, in->cri_env, NULL);
        if (r < 0)
                return r;
        r = env_apply(&env, in->image_env, in->cri_env);
        if (r < 0)
                return r;
        if (!oci_env_get(env, "HOME")) {
                r = oci_env_set(&env, "HOME", in->home ?: "/");
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(env);
        return 0;
}
