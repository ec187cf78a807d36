/* SPDX-License-Identifier: Apache-2.0 */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container-util.h"
#include "fileio.h"

int container_read_pid_file(const char *path, pid_t *ret) {
        _cleanup_free_ char *s = NULL;
        char *end;
        long v;
        int r;

        r = read_full_file_at(AT_FDCWD, path, 64, 0, &s, NULL);
        if (r < 0)
                return r;
        errno = 0;
        v = strtol(s, &end, 10);
        if (errno != 0 || end == s || v <= 0 || v > INT32_MAX || (*end != '\0' && strcmp(end, "\n") != 0))
                return -EINVAL;
        *ret = (pid_t) v;
        return 0;
}

bool container_id_valid(const char *id) {
        size_t n;

        if (!id)
                return false;
        n = strlen(id);
        if (n == 0 || n > 1024 || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
                return false;
        return strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}
