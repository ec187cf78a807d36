/* SPDX-License-Identifier: Apache-2.0 */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "passwd.h"
#include "tap.h"

static char root[] = "/tmp/test-oci-passwd-XXXXXX";
static char outside[] = "/tmp/test-oci-passwd-outside-XXXXXX";

static void write_file(const char *dir, const char *name, const char *text) {
        char path[512];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "we");
        if (!f)
                abort();
        fputs(text, f);
        fclose(f);
}

static int open_root(const char *dir) {
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0)
                abort();
        return fd;
}

static bool has_gid(const OciUser *u, uint32_t gid) {
        for (size_t i = 0; i < u->n_additional_gids; i++)
                if (u->additional_gids[i] == gid)
                        return true;
        return false;
}

static void test_lookup(int fd) {
        OciUser u = {};

        TAP_IS_INT(oci_user_lookup(fd, "", &u), 0, "empty spec is root");
        TAP_OK(u.uid == 0 && u.gid == 0, "root ids");
        TAP_IS_STR(u.home, "/root", "root's home from passwd");
        oci_user_done(&u);

        TAP_IS_INT(oci_user_lookup(fd, "app", &u), 0, "app by name");
        TAP_OK(u.uid == 1000 && u.gid == 1000, "app ids");
        TAP_IS_STR(u.home, "/home/app", "app's home");
        TAP_OK(u.n_additional_gids == 2 && has_gid(&u, 10) && has_gid(&u, 2000), "app's group memberships");
        oci_user_done(&u);

        TAP_IS_INT(oci_user_lookup(fd, "1000", &u), 0, "app by number");
        TAP_IS_STR(u.home, "/home/app", "numeric user matches the passwd entry");
        TAP_OK(u.n_additional_gids == 2, "memberships found through the name");
        oci_user_done(&u);

        TAP_IS_INT(oci_user_lookup(fd, "4242", &u), 0, "numeric user without an entry");
        TAP_OK(u.uid == 4242 && u.gid == 0, "gid 0 by default");
        TAP_IS_STR(u.home, "/", "home /");
        oci_user_done(&u);

        TAP_IS_INT(oci_user_lookup(fd, "app:staff", &u), 0, "group by name");
        TAP_OK(u.gid == 50 && u.n_additional_gids == 0, "explicit group, no memberships");
        oci_user_done(&u);

        TAP_IS_INT(oci_user_lookup(fd, "4242:777", &u), 0, "numeric group without an entry");
        TAP_OK(u.gid == 777, "gid 777");
        oci_user_done(&u);

        TAP_IS_INT(oci_user_lookup(fd, "ghost", &u), -ENOENT, "unknown user name");
        TAP_IS_INT(oci_user_lookup(fd, "app:ghosts", &u), -ENOENT, "unknown group name");
        TAP_IS_INT(oci_user_lookup(fd, "99999999999", &u), -EINVAL, "uid out of range");
}

static void test_resolve(int fd) {
        const int64_t extra[] = { 3000, 10 };
        OciUser u = {};

        TAP_IS_INT(oci_user_resolve(fd, &(OciUserRequest) { .run_as_username = "app", .supplemental_groups = extra,
                                                            .n_supplemental_groups = 2 }, &u), 0, "merge");
        TAP_OK(u.n_additional_gids == 4 && u.additional_gids[0] == 1000 && has_gid(&u, 2000) && has_gid(&u, 3000),
               "primary, image memberships and the request's, once each");
        oci_user_done(&u);

        TAP_IS_INT(oci_user_resolve(fd, &(OciUserRequest) { .run_as_username = "app", .supplemental_groups = extra,
                                                            .n_supplemental_groups = 2,
                                                            .policy = SUPPLEMENTAL_GROUPS_POLICY_STRICT }, &u),
                   0, "strict");
        TAP_OK(u.n_additional_gids == 3 && !has_gid(&u, 2000) && has_gid(&u, 10) && has_gid(&u, 3000),
               "strict drops the image's memberships");
        oci_user_done(&u);

        TAP_IS_INT(oci_user_resolve(fd, &(OciUserRequest) { .has_run_as_user = true, .run_as_user = 1000,
                                                            .run_as_username = "root", .has_run_as_group = true,
                                                            .run_as_group = 5, .image_user = "nobody:nogroup" }, &u),
                   0, "run_as_user wins, run_as_group replaces");
        TAP_OK(u.uid == 1000 && u.gid == 5, "uid 1000, gid 5");
        oci_user_done(&u);

        TAP_IS_INT(oci_user_resolve(fd, &(OciUserRequest) { .image_user = "app:staff" }, &u), 0, "image user");
        TAP_OK(u.uid == 1000 && u.gid == 50, "image user and group");
        oci_user_done(&u);

        TAP_IS_INT(oci_user_resolve(fd, &(OciUserRequest) { .has_run_as_user = true, .run_as_user = -1 }, &u),
                   -EINVAL, "negative uid");
        TAP_IS_INT(supplemental_groups_policy_from_string("Strict"), SUPPLEMENTAL_GROUPS_POLICY_STRICT, "policy name");
        TAP_IS_STR(supplemental_groups_policy_to_string(SUPPLEMENTAL_GROUPS_POLICY_MERGE), "Merge", "policy string");
        TAP_IS_INT(supplemental_groups_policy_from_string("Loose"), -EINVAL, "unknown policy");
}

static void test_symlink_escape(void) {
        char evil[512], link_target[512];
        OciUser u = {};
        int fd;

        /* A passwd outside the rootfs that names "evil"; the image's /etc/passwd points at it. */
        write_file(outside, "passwd", "evil:x:0:0::/evil:/bin/sh\n");
        snprintf(evil, sizeof(evil), "%s/etc/passwd", root);
        snprintf(link_target, sizeof(link_target), "%s/passwd", outside);
        (void) unlink(evil);
        if (symlink(link_target, evil) < 0)
                abort();
        fd = open_root(root);
        TAP_IS_INT(oci_user_lookup(fd, "evil", &u), -ENOENT, "symlinked passwd does not leave the rootfs");
        TAP_IS_INT(oci_user_lookup(fd, "0", &u), 0, "numeric user still resolves");
        TAP_IS_STR(u.home, "/", "without reading the outside file");
        oci_user_done(&u);

        /* Relative escapes are clamped to the rootfs too. */
        (void) unlink(evil);
        if (symlink("../../../../../../../../../../..", evil) < 0)
                abort();
        TAP_OK(oci_user_lookup(fd, "evil", &u) < 0, "dot-dot symlink does not escape");
        close(fd);

        /* No rootfs at all: numbers only. */
        TAP_IS_INT(oci_user_lookup(-1, "123:456", &u), 0, "no rootfs, numeric ids");
        TAP_OK(u.uid == 123 && u.gid == 456, "ids as given");
        oci_user_done(&u);
}

int main(void) {
        char etc[512], cmd[1200];
        int fd;

        log_set_max_level(LOG_CRIT);
        if (!mkdtemp(root) || !mkdtemp(outside))
                abort();
        snprintf(etc, sizeof(etc), "%s/etc", root);
        if (mkdir(etc, 0755) < 0)
                abort();
        write_file(etc, "passwd",
                   "root:x:0:0:root:/root:/bin/sh\n"
                   "# a comment\n"
                   "broken line\n"
                   "app:x:1000:1000:App:/home/app:/bin/sh\n"
                   "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
        write_file(etc, "group",
                   "root:x:0:\n"
                   "wheel:x:10:root,app\n"
                   "staff:x:50:\n"
                   "app:x:1000:\n"
                   "devs:x:2000:bob,app\n"
                   "nogroup:x:65534:\n");
        fd = open_root(root);
        test_lookup(fd);
        test_resolve(fd);
        close(fd);
        test_symlink_escape();

        snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", root, outside);
        (void) system(cmd);
        return tap_done();
}
