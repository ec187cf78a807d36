/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "macro.h"
#include "proc-util.h"

int proc_boot_id(char **ret) {
        _cleanup_free_ char *text = NULL;
        size_t size;
        int r;

        r = read_full_file_at(AT_FDCWD, "/proc/sys/kernel/random/boot_id", 128, 0, &text, &size);
        if (r < 0)
                return r;
        text[strcspn(text, "\n")] = 0;
        if (strlen(text) != 36)
                return -EBADMSG;
        *ret = TAKE_PTR(text);
        return 0;
}

int proc_stat_parse_starttime(const char *text, uint64_t *ret) {
        /* The command name is in parentheses and may contain anything: the fields start after the last ')'. */
        const char *p = strrchr(text, ')');
        unsigned long long v;
        char *end;

        if (!p)
                return -EBADMSG;
        p++;
        /* Field 3 (state) is the first after ')'; field 22 is 19 fields further. */
        for (int field = 3; field < 22; field++) {
                p += strspn(p, " ");
                if (!*p)
                        return -EBADMSG;
                p += strcspn(p, " ");
        }
        p += strspn(p, " ");
        errno = 0;
        v = strtoull(p, &end, 10);
        if (errno != 0 || end == p || (*end && *end != ' ' && *end != '\n'))
                return -EBADMSG;
        *ret = v;
        return 0;
}

static int read_stat(pid_t pid, char **ret) {
        char path[64];
        int r;

        if (pid <= 0)
                return -EINVAL;
        (void) snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        r = read_full_file_at(AT_FDCWD, path, 4096, 0, ret, NULL);
        return r == -ENOENT ? -ESRCH : r;
}

int proc_pid_starttime(pid_t pid, uint64_t *ret) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = read_stat(pid, &text);
        if (r < 0)
                return r;
        return proc_stat_parse_starttime(text, ret);
}

bool proc_pid_is(pid_t pid, uint64_t starttime) {
        _cleanup_free_ char *text = NULL;
        const char *state;
        uint64_t t;

        if (read_stat(pid, &text) < 0 || proc_stat_parse_starttime(text, &t) < 0)
                return false;
        /* A zombie has finished; only its parent has not looked yet. */
        state = strrchr(text, ')') + 1;
        state += strspn(state, " ");
        if (*state == 'Z' || *state == 'X')
                return false;
        return starttime == 0 || t == starttime;
}
