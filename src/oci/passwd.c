/* SPDX-License-Identifier: Apache-2.0 */

#include <fcntl.h>
#include <inttypes.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "log.h"
#include "oci-util.h"
#include "passwd.h"

/* Longer files are not what an image's passwd looks like; refuse rather than read without end. */
#define PASSWD_SIZE_MAX (16U * 1024U * 1024U)
#define ID_MAX INT32_MAX

static const char *const policy_table[_SUPPLEMENTAL_GROUPS_POLICY_MAX] = {
        [SUPPLEMENTAL_GROUPS_POLICY_MERGE] = "Merge",
        [SUPPLEMENTAL_GROUPS_POLICY_STRICT] = "Strict",
};

const char *supplemental_groups_policy_to_string(SupplementalGroupsPolicy p) {
        if (p < 0 || p >= _SUPPLEMENTAL_GROUPS_POLICY_MAX)
                return NULL;
        return policy_table[p];
}

SupplementalGroupsPolicy supplemental_groups_policy_from_string(const char *s) {
        if (s)
                for (int i = 0; i < _SUPPLEMENTAL_GROUPS_POLICY_MAX; i++)
                        if (strcmp(policy_table[i], s) == 0)
                                return i;
        return _SUPPLEMENTAL_GROUPS_POLICY_INVALID;
}

void oci_user_done(OciUser *u) {
        if (!u)
                return;
        u->home = mfree(u->home);
        u->additional_gids = mfree(u->additional_gids);
        u->n_additional_gids = 0;
}

static int open_walk(int rootfs_fd, const char *path, int *ret_fd) {
        _cleanup_close_ int dir = fcntl(rootfs_fd, F_DUPFD_CLOEXEC, 3);
        _cleanup_free_ char *copy = strdup(path);
        char *save = NULL, *next;

        if (dir < 0)
                return -errno;
        if (!copy)
                return -ENOMEM;
        next = strtok_r(copy, "/", &save);
        while (next) {
                char *after = strtok_r(NULL, "/", &save);
                int fd;

                if (strcmp(next, "..") == 0)
                        return -ELOOP;
                fd = openat(dir, next, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | (after ? O_DIRECTORY : 0));
                if (fd < 0)
                        return -errno;
                safe_close(dir);
                dir = fd;
                next = after;
        }
        *ret_fd = TAKE_FD(dir);
        return 0;
}

int oci_open_in_root(int rootfs_fd, const char *path, int *ret_fd) {
        struct open_how how = {
                .flags = O_RDONLY | O_CLOEXEC,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
        };
        int fd;

        fd = (int) syscall(SYS_openat2, rootfs_fd, path, &how, sizeof(how));
        if (fd >= 0) {
                *ret_fd = fd;
                return 0;
        }
        /* Older kernels: walk the path ourselves and refuse symlinks altogether. */
        if (IN_SET(errno, ENOSYS, EPERM))
                return open_walk(rootfs_fd, path, ret_fd);
        return -errno;
}

/* Reads a regular file beneath the rootfs; -ENOENT when it is not there. */
static int read_in_root(int rootfs_fd, const char *path, FILE **ret) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        FILE *f;
        int r;

        /* No rootfs to look in: as if the image had no such file. */
        if (rootfs_fd < 0)
                return -ENOENT;
        r = oci_open_in_root(rootfs_fd, path, &fd);
        if (r == -ELOOP) {
                /* Only the fallback walk says this: it follows no symlink at all, so a symlinked
                 * file counts as absent rather than failing every lookup. */
                log_debug("Not following the symlink at %s in the image.", path);
                return -ENOENT;
        }
        if (r < 0)
                return r;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADMSG;
        if ((uint64_t) st.st_size > PASSWD_SIZE_MAX)
                return -EFBIG;
        f = fdopen(fd, "re");
        if (!f)
                return -errno;
        TAKE_FD(fd);
        *ret = f;
        return 0;
}

static bool parse_id(const char *s, uint32_t *ret) {
        char *end;
        unsigned long v;

        if (!s || *s < '0' || *s > '9')
                return false;
        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno != 0 || *end != '\0' || v > ID_MAX)
                return false;
        *ret = (uint32_t) v;
        return true;
}

/* Splits a colon-separated line into at most n fields; returns how many there were. */
static size_t split_fields(char *line, char **fields, size_t n) {
        size_t i = 0;

        line[strcspn(line, "\n")] = '\0';
        fields[i++] = line;
        while (i < n) {
                char *c = strchr(fields[i - 1], ':');
                if (!c)
                        break;
                *c = '\0';
                fields[i++] = c + 1;
        }
        return i;
}

typedef struct PasswdEntry {
        bool found;
        char *name;
        uint32_t uid, gid;
        char *home;
} PasswdEntry;

static int passwd_find(FILE *f, const char *user, uint32_t uid, bool numeric, PasswdEntry *ret) {
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;

        while (getline(&line, &cap, f) >= 0) {
                char *fv[7];
                uint32_t euid, egid;

                if (line[0] == '#' || split_fields(line, fv, 7) < 7)
                        continue;
                if (!parse_id(fv[2], &euid) || !parse_id(fv[3], &egid))
                        continue;
                /* runc matches the name, or the number against the uid column. */
                if (strcmp(fv[0], user) != 0 && !(numeric && euid == uid))
                        continue;
                ret->name = strdup(fv[0]);
                ret->home = strdup(fv[5]);
                if (!ret->name || !ret->home)
                        return -ENOMEM;
                ret->uid = euid;
                ret->gid = egid;
                ret->found = true;
                return 0;
        }
        return 0;
}

static int gids_add(uint32_t **gids, size_t *n, uint32_t gid) {
        uint32_t *m;

        for (size_t i = 0; i < *n; i++)
                if ((*gids)[i] == gid)
                        return 0;
        m = reallocarray(*gids, *n + 1, sizeof(uint32_t));
        if (!m)
                return -ENOMEM;
        m[(*n)++] = gid;
        *gids = m;
        return 0;
}

static bool member_of(char *members, const char *name) {
        char *save = NULL;

        for (char *m = strtok_r(members, ",", &save); m; m = strtok_r(NULL, ",", &save))
                if (strcmp(m, name) == 0)
                        return true;
        return false;
}

/* With group: the first entry matching it by name or number gives the gid. Without: every group
 * naming user as a member is collected. */
static int group_scan(FILE *f, const char *group, const char *user, uint32_t *ret_gid,
                      uint32_t **sgids, size_t *n_sgids) {
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        int r;

        while (getline(&line, &cap, f) >= 0) {
                char *fv[4];
                uint32_t gid;

                if (line[0] == '#' || split_fields(line, fv, 4) < 4 || !parse_id(fv[2], &gid))
                        continue;
                if (group) {
                        uint32_t want;

                        if (strcmp(fv[0], group) == 0 || (parse_id(group, &want) && want == gid)) {
                                *ret_gid = gid;
                                return 1;
                        }
                        continue;
                }
                if (user && member_of(fv[3], user)) {
                        r = gids_add(sgids, n_sgids, gid);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

int oci_user_lookup(int rootfs_fd, const char *spec, OciUser *ret) {
        _cleanup_(oci_fclosep) FILE *pw = NULL, *gr = NULL;
        _cleanup_free_ char *user = NULL, *home = NULL, *name = NULL;
        _cleanup_free_ uint32_t *sgids = NULL;
        PasswdEntry entry = {};
        const char *group = NULL;
        size_t n_sgids = 0;
        uint32_t uid = 0, gid = 0;
        bool numeric_user;
        char *colon;
        int r;

        user = strdup(spec ?: "");
        if (!user)
                return -ENOMEM;
        colon = strchr(user, ':');
        if (colon) {
                *colon = '\0';
                group = colon + 1;
                if (*group == '\0')
                        group = NULL;
        }
        /* No user at all means uid 0, looked up like any number. */
        numeric_user = user[0] == '\0' || parse_id(user, &uid);
        if (!numeric_user && user[0] >= '0' && user[0] <= '9')
                return log_debug_errno(EINVAL, "User ID \"%s\" is out of range.", user);

        r = read_in_root(rootfs_fd, "/etc/passwd", &pw);
        if (r < 0 && r != -ENOENT)
                return log_debug_errno(r, "Failed to open the image's /etc/passwd: %m");

        {
                if (pw) {
                        r = passwd_find(pw, user, uid, numeric_user, &entry);
                        name = entry.name;
                        home = entry.home;
                        if (r < 0)
                                return r;
                }
                if (entry.found) {
                        uid = entry.uid;
                        gid = entry.gid;
                } else if (!numeric_user)
                        return log_debug_errno(ENOENT, "Unable to find user %s: no matching entries in passwd file.", user);
        }

        if (group || name) {
                r = read_in_root(rootfs_fd, "/etc/group", &gr);
                if (r < 0 && r != -ENOENT)
                        return log_debug_errno(r, "Failed to open the image's /etc/group: %m");
        }
        if (group) {
                uint32_t found = 0;

                r = gr ? group_scan(gr, group, NULL, &found, NULL, NULL) : 0;
                if (r < 0)
                        return r;
                if (r > 0)
                        gid = found;
                else if (!parse_id(group, &gid)) {
                        if (group[0] >= '0' && group[0] <= '9')
                                return log_debug_errno(EINVAL, "Group ID \"%s\" is out of range.", group);
                        return log_debug_errno(ENOENT, "Unable to find group %s: no matching entries in group file.", group);
                }
        } else if (name && gr) {
                r = group_scan(gr, NULL, name, NULL, &sgids, &n_sgids);
                if (r < 0)
                        return r;
        }

        if (!home) {
                home = strdup("/");
                if (!home)
                        return -ENOMEM;
        }
        *ret = (OciUser) {
                .uid = uid,
                .gid = gid,
                .home = TAKE_PTR(home),
                .additional_gids = TAKE_PTR(sgids),
                .n_additional_gids = n_sgids,
        };
        return 0;
}

int oci_user_resolve(int rootfs_fd, const OciUserRequest *req, OciUser *ret) {
        _cleanup_free_ char *spec = NULL, *user = NULL;
        _cleanup_free_ uint32_t *gids = NULL;
        OciUser u = {};
        size_t n_gids = 0;
        int r;

        if (req->policy < 0 || req->policy >= _SUPPLEMENTAL_GROUPS_POLICY_MAX)
                return -EINVAL;
        if (req->has_run_as_user) {
                if (req->run_as_user < 0 || req->run_as_user > ID_MAX)
                        return log_debug_errno(EINVAL, "run_as_user %" PRIi64 " is out of range.", req->run_as_user);
                if (asprintf(&user, "%" PRIi64, req->run_as_user) < 0)
                        return -ENOMEM;
        } else if (req->run_as_username && req->run_as_username[0])
                user = strdup(req->run_as_username);
        else
                user = strdup(req->image_user ?: "");
        if (!user)
                return -ENOMEM;

        if (req->has_run_as_group) {
                if (req->run_as_group < 0 || req->run_as_group > ID_MAX)
                        return log_debug_errno(EINVAL, "run_as_group %" PRIi64 " is out of range.", req->run_as_group);
                /* The request's group replaces whatever group the image named. */
                user[strcspn(user, ":")] = '\0';
                if (asprintf(&spec, "%s:%" PRIi64, user, req->run_as_group) < 0)
                        return -ENOMEM;
        } else
                spec = TAKE_PTR(user);

        r = oci_user_lookup(rootfs_fd, spec, &u);
        if (r < 0)
                return r;

        r = gids_add(&gids, &n_gids, u.gid);
        if (r >= 0 && req->policy == SUPPLEMENTAL_GROUPS_POLICY_MERGE)
                for (size_t i = 0; r >= 0 && i < u.n_additional_gids; i++)
                        r = gids_add(&gids, &n_gids, u.additional_gids[i]);
        for (size_t i = 0; r >= 0 && i < req->n_supplemental_groups; i++) {
                if (req->supplemental_groups[i] < 0 || req->supplemental_groups[i] > ID_MAX)
                        r = log_debug_errno(EINVAL, "Supplemental group %" PRIi64 " is out of range.",
                                            req->supplemental_groups[i]);
                else
                        r = gids_add(&gids, &n_gids, (uint32_t) req->supplemental_groups[i]);
        }
        if (r < 0) {
                oci_user_done(&u);
                return r;
        }
        free(u.additional_gids);
        u.additional_gids = TAKE_PTR(gids);
        u.n_additional_gids = n_gids;
        *ret = u;
        return 0;
}
