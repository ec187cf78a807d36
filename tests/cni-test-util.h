/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Shared helpers of the CNI tests: a temporary directory, files in it, its removal. */

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"

static inline char *cni_test_tmpdir(void) {
        char t[] = "/tmp/test-cni-XXXXXX";
        char *d = mkdtemp(t);

        if (!d) {
                perror("mkdtemp");
                exit(EXIT_FAILURE);
        }
        return strdup(d);
}

/* Writes dir/name (created with mode); aborts the test on failure. */
static inline void cni_test_write(const char *dir, const char *name, const char *text, mode_t mode) {
        char path[4096];
        int fd;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        (void) unlink(path);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t) strlen(text)) {
                perror(path);
                exit(EXIT_FAILURE);
        }
        close(fd);
}

static inline char *cni_test_read(const char *dir, const char *name) {
        char path[4096], *buf;
        FILE *f;
        long n;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "re");
        if (!f)
                return NULL;
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        fseek(f, 0, SEEK_SET);
        buf = calloc(1, n + 1);
        if (buf && fread(buf, 1, n, f) != (size_t) n)
                buf[0] = '\0';
        fclose(f);
        return buf;
}

static inline int cni_test_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

static inline void cni_test_rm_rf(const char *dir) {
        (void) nftw(dir, cni_test_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
