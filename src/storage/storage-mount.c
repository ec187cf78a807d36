/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

#include "fileio.h"
#include "log.h"
#include "storage-mount.h"
#include "strv.h"

static bool is_id(const char *s) {
        return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s) {
        char *w = s;

        for (char *p = s; *p; p++) {
                if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' &&
                    p[3] >= '0' && p[3] <= '7') {
                        *w++ = (char) ((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
                        p += 3;
                } else
                        *w++ = *p;
        }
        *w = '\0';
}

typedef struct MountEntry {
        char *target;
        char *fstype;
        char *options;          /* the file system's own (super) options */
} MountEntry;

static void mount_entries_free(MountEntry *e, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(e[i].target);
                free(e[i].fstype);
                free(e[i].options);
        }
        free(e);
}

static int read_mounts(MountEntry **ret, size_t *ret_n) {
        _cleanup_free_ char *text = NULL;
        MountEntry *e = NULL;
        size_t n = 0, size;
        int r;

        r = read_full_file_at(AT_FDCWD, "/proc/self/mountinfo", 64U * 1024U * 1024U, 0, &text, &size);
        if (r < 0)
                return r;
        for (char *line = text, *next; line && *line; line = next) {
                char *fields[6] = {}, *sep, *post, *save = NULL, *f;
                MountEntry *ne;

                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                sep = strstr(line, " - ");
                if (!sep)
                        continue;
                *sep = '\0';
                post = sep + 3;
                f = strtok_r(line, " ", &save);
                for (size_t i = 0; f && i < 5; i++, f = strtok_r(NULL, " ", &save))
                        fields[i] = f;
                if (!fields[4])
                        continue;
                save = NULL;
                fields[0] = strtok_r(post, " ", &save);         /* fstype */
                (void) strtok_r(NULL, " ", &save);              /* source */
                fields[5] = strtok_r(NULL, " ", &save);         /* super options */
                ne = realloc(e, (n + 1) * sizeof(MountEntry));
                if (!ne) {
                        mount_entries_free(e, n);
                        return -ENOMEM;
                }
                e = ne;
                e[n] = (MountEntry) {
                        .target = strdup(fields[4]),
                        .fstype = strdup(fields[0] ?: ""),
                        .options = strdup(fields[5] ?: ""),
                };
                n++;
                if (!e[n - 1].target || !e[n - 1].fstype || !e[n - 1].options) {
                        mount_entries_free(e, n);
                        return -ENOMEM;
                }
                unescape_octal(e[n - 1].target);
        }
        *ret = e;
        *ret_n = n;
        return 0;
}

static bool path_at_or_below(const char *p, const char *prefix) {
        size_t n = strlen(prefix);

        while (n > 1 && prefix[n - 1] == '/')
                n--;
        return strncmp(p, prefix, n) == 0 && (p[n] == '\0' || p[n] == '/');
}

static int compare_length_desc(const void *a, const void *b) {
        size_t la = strlen(*(char *const *) a), lb = strlen(*(char *const *) b);

        return la < lb ? 1 : la > lb ? -1 : 0;
}

int storage_unmount_below(const char *path) {
        /* Stacked mounts take one round each; more than a few is a loop that cannot end. */
        for (unsigned round = 0; round < 16; round++) {
                _cleanup_(strv_freep) char **targets = NULL;
                MountEntry *e = NULL;
                size_t n = 0;
                int r;

                r = read_mounts(&e, &n);
                if (r < 0)
                        return r;
                for (size_t i = 0; i < n && r >= 0; i++)
                        if (path_at_or_below(e[i].target, path))
                                r = strv_push(&targets, e[i].target);
                mount_entries_free(e, n);
                if (r < 0)
                        return r;
                if (strv_isempty(targets))
                        return 0;
                qsort(targets, strv_length(targets), sizeof(char *), compare_length_desc);
                for (char **t = targets; *t; t++)
                        if (umount2(*t, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 && !IN_SET(errno, EINVAL, ENOENT))
                                return log_warning_errno(errno, "Failed to unmount %s: %m", *t);
                        else
                                log_debug("Unmounted %s.", *t);
        }
        return log_warning_errno(EBUSY, "Mounts below %s keep coming back.", path);
}

int storage_mounted_layers(const char *target, char ***ret) {
        _cleanup_(strv_freep) char **layers = NULL;
        MountEntry *e = NULL;
        size_t n = 0;
        int r;

        r = read_mounts(&e, &n);
        if (r < 0)
                return r;
        for (size_t i = n; i > 0 && !layers && r >= 0; i--) {
                const MountEntry *m = e + i - 1;
                const char *lower;
                char *value, *save = NULL;

                if (strcmp(m->target, target) != 0 || strcmp(m->fstype, "overlay") != 0)
                        continue;
                lower = strstr(m->options, "lowerdir=");
                if (!lower)
                        continue;
                value = strndup(lower + 9, strcspn(lower + 9, ","));
                if (!value) {
                        r = -ENOMEM;
                        break;
                }
                layers = calloc(1, sizeof(char *));
                for (char *p = strtok_r(value, ":", &save); layers && p && r >= 0;
                     p = strtok_r(NULL, ":", &save)) {
                        size_t len = strlen(p);
                        char *slash;

                        /* ".../overlay/<id>/diff" */
                        if (len < 5 || strcmp(p + len - 5, "/diff") != 0)
                                continue;
                        p[len - 5] = '\0';
                        slash = strrchr(p, '/');
                        if (slash && is_id(slash + 1))
                                r = strv_push(&layers, slash + 1);
                }
                free(value);
                if (!layers)
                        r = -ENOMEM;
        }
        mount_entries_free(e, n);
        if (r < 0)
                return r;
        if (strv_isempty(layers))
                layers = strv_free(layers);
        *ret = TAKE_PTR(layers);
        return 0;
}
