/* SPDX-License-Identifier: Apache-2.0 */

/* Writes a bundle's config.json with the OCI spec builder, for tests/integration/test_oci_spec.py to
 * run under runc and crun:
 *   oci-spec-gen --bundle DIR --rootfs DIR [--id ID] [--user SPEC] [--cwd DIR] [--env K=V]...
 *                [--cap-add CAP]... [--cap-drop CAP]... [--seccomp default|unconfined|FILE]
 *                [--readonly] [--privileged] [--no-new-privs] -- COMMAND [ARG]... */

#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "oci-spec.h"
#include "oci-util.h"

static int read_file(const char *path, char **ret, size_t *ret_size) {
        _cleanup_(oci_fclosep) FILE *f = fopen(path, "re");
        _cleanup_free_ char *buf = NULL;
        size_t n = 0, cap = 0;

        if (!f)
                return -errno;
        for (;;) {
                char *m;
                size_t k;

                if (n + 4096 > cap) {
                        cap = (cap + 4096) * 2;
                        m = realloc(buf, cap);
                        if (!m)
                                return -ENOMEM;
                        buf = m;
                }
                k = fread(buf + n, 1, cap - n, f);
                n += k;
                if (k == 0)
                        break;
        }
        *ret = TAKE_PTR(buf);
        *ret_size = n;
        return 0;
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "bundle", required_argument, NULL, 'b' },
                { "rootfs", required_argument, NULL, 'r' },
                { "id", required_argument, NULL, 'i' },
                { "user", required_argument, NULL, 'u' },
                { "cwd", required_argument, NULL, 'w' },
                { "env", required_argument, NULL, 'e' },
                { "cap-add", required_argument, NULL, 'a' },
                { "cap-drop", required_argument, NULL, 'd' },
                { "seccomp", required_argument, NULL, 's' },
                { "readonly", no_argument, NULL, 'R' },
                { "privileged", no_argument, NULL, 'P' },
                { "no-new-privs", no_argument, NULL, 'N' },
                {}
        };
        _cleanup_(strv_freep) char **env = NULL, **add = NULL, **drop = NULL, **command = NULL;
        _cleanup_(seccomp_profile_freep) SeccompProfile *profile = NULL;
        _cleanup_(oci_spec_freep) OciSpec *spec = NULL;
        _cleanup_close_ int rootfs_fd = -EBADF, bundle_fd = -EBADF;
        const char *bundle = NULL, *seccomp = "default";
        OciContainerConfig c = {
                .container_id = "oci-spec-test",
                .hostname = "oci-test",
                .pid_mode = OCI_PID_MODE_CONTAINER,
                .cgroup_parent = "crio-oci-test",
                .rootfs_fd = -1,
        };
        int opt, r;

        log_set_max_level(LOG_INFO);
        while ((opt = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (opt) {
                case 'b':
                        bundle = optarg;
                        break;
                case 'r':
                        c.rootfs = optarg;
                        break;
                case 'i':
                        c.container_id = optarg;
                        break;
                case 'u':
                        c.user.image_user = optarg;
                        break;
                case 'w':
                        c.working_dir = optarg;
                        break;
                case 'e':
                case 'a':
                case 'd':
                        r = strv_push(opt == 'e' ? &env : opt == 'a' ? &add : &drop, optarg);
                        if (r < 0)
                                return log_oom(), 1;
                        break;
                case 's':
                        seccomp = optarg;
                        break;
                case 'R':
                        c.readonly_rootfs = true;
                        break;
                case 'P':
                        c.privileged = true;
                        break;
                case 'N':
                        c.no_new_privs = true;
                        break;
                default:
                        return 2;
                }
        if (!bundle || !c.rootfs || optind >= argc) {
                fprintf(stderr, "usage: %s --bundle DIR --rootfs DIR [options] -- COMMAND...\n", argv[0]);
                return 2;
        }
        for (int i = optind; i < argc; i++)
                if (strv_push(&command, argv[i]) < 0)
                        return log_oom(), 1;

        if (strcmp(seccomp, "default") == 0)
                r = seccomp_profile_default(&profile);
        else if (strcmp(seccomp, "unconfined") == 0)
                r = 0;
        else {
                _cleanup_free_ char *json = NULL;
                size_t size = 0;

                r = read_file(seccomp, &json, &size);
                if (r >= 0)
                        r = seccomp_profile_parse(json, size, &profile);
        }
        if (r < 0)
                return log_error_errno(r, "Failed to load seccomp profile %s: %m", seccomp), 1;

        rootfs_fd = open(c.rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        bundle_fd = open(bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfs_fd < 0 || bundle_fd < 0)
                return log_error_errno(errno, "Failed to open the rootfs or bundle: %m"), 1;
        c.rootfs_fd = rootfs_fd;
        c.command = command;
        c.env = env;
        c.add_capabilities = add;
        c.drop_capabilities = drop;
        c.seccomp = profile;

        r = oci_spec_build(&c, &spec);
        if (r < 0)
                return log_error_errno(r, "Failed to build the spec: %m"), 1;
        r = oci_spec_write(spec, bundle_fd);
        if (r < 0)
                return log_error_errno(r, "Failed to write config.json: %m"), 1;
        return 0;
}
