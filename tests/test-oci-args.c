/* SPDX-License-Identifier: Apache-2.0 */

#include <string.h>

#include "oci-args.h"
#include "oci-util.h"
#include "tap.h"

#define L(...) ((char *const[]) { __VA_ARGS__, NULL })

static char *join(char **l) {
        static char buf[512];

        buf[0] = '\0';
        for (char **i = l; i && *i; i++) {
                if (i != l)
                        strcat(buf, " ");
                strcat(buf, *i);
        }
        return buf;
}

static void test_args_table(void) {
        const struct {
                char *const *entrypoint, *const *cmd, *const *command, *const *args;
                const char *want;
        } cases[] = {
                /* Nothing from CRI: the image's entrypoint and cmd. */
                { L("/ep"), L("c1", "c2"), NULL, NULL, "/ep c1 c2" },
                { NULL, L("/bin/sh", "-c", "x"), NULL, NULL, "/bin/sh -c x" },
                /* CRI args replace the image cmd and keep the entrypoint. */
                { L("/ep"), L("c1"), NULL, L("a1"), "/ep a1" },
                { NULL, L("c1"), NULL, L("/a1", "x"), "/a1 x" },
                /* CRI command replaces the entrypoint and drops the image cmd. */
                { L("/ep"), L("c1"), L("/cmd"), NULL, "/cmd" },
                { L("/ep"), L("c1"), L("/cmd", "-v"), L("a1"), "/cmd -v a1" },
                /* Empty lists count as unset. */
                { L("/ep"), L("c1"), L(NULL), L(NULL), "/ep c1" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(strv_freep) char **out = NULL;

                TAP_IS_INT(oci_args_build(cases[i].entrypoint, cases[i].cmd, cases[i].command, cases[i].args, &out),
                           0, "args case %zu builds", i);
                TAP_IS_STR(join(out), cases[i].want, "args case %zu", i);
        }
}

static void test_args_none(void) {
        char **out = NULL;

        TAP_IS_INT(oci_args_build(NULL, NULL, NULL, NULL, &out), -EINVAL, "nothing to run is -EINVAL");
        TAP_OK(!out, "output untouched on failure");
}

static void test_env_merge(void) {
        _cleanup_(strv_freep) char **env = NULL;
        OciEnvInput in = {
                .image_env = L("PATH=/image/bin", "FOO=image", "IMG=1", "BROKEN", "=nokey"),
                .cri_env = L("FOO=cri", "BAR=2"),
                .default_env = L("DEF=d", "IMG=default"),
                .hostname = "pod-1",
                .home = "/home/app",
        };

        TAP_IS_INT(oci_env_build(&in, &env), 0, "env builds");
        TAP_IS_STR(join(env), "PATH=/image/bin TERM=xterm HOSTNAME=pod-1 DEF=d IMG=1 FOO=cri BAR=2 HOME=/home/app",
                   "image PATH replaces the default in place, CRI wins over the image, HOME last");
}

static void test_env_defaults(void) {
        _cleanup_(strv_freep) char **env = NULL;
        OciEnvInput in = { .cri_env = L("HOME=/custom") };

        TAP_IS_INT(oci_env_build(&in, &env), 0, "env builds");
        TAP_IS_STR(oci_env_get(env, "PATH"), OCI_DEFAULT_PATH, "PATH default");
        TAP_IS_STR(oci_env_get(env, "HOME"), "/custom", "HOME from CRI is kept");
        TAP_OK(!oci_env_get(env, "HOSTNAME"), "no HOSTNAME without a hostname");
        TAP_IS_INT(strv_length(env), 3, "PATH, TERM, HOME");
}

static void test_pairs(void) {
        _cleanup_(strv_freep) char **p = NULL;

        TAP_IS_INT(oci_pairs_set(&p, "a", "1"), 0, "set a");
        TAP_IS_INT(oci_pairs_set(&p, "b", "2"), 0, "set b");
        TAP_IS_INT(oci_pairs_set(&p, "a", "3"), 0, "replace a");
        TAP_IS_STR(join(p), "a 3 b 2", "pairs keep order");
        TAP_IS_STR(oci_pairs_get(p, "b"), "2", "get b");
}

int main(void) {
        test_args_table();
        test_args_none();
        test_env_merge();
        test_env_defaults();
        test_pairs();
        return tap_done();
}
