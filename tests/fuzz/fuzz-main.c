/* SPDX-License-Identifier: Apache-2.0 */

/* Without libFuzzer, replays every file of the corpus directories given on the command line
 * through the target, so corpora run as ordinary tests (under ASan in CI). */

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(int dir_fd, const char *name) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ uint8_t *buf = NULL;
        struct stat st;
        ssize_t n;

        fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return 0;
        buf = malloc(st.st_size + 1);
        if (!buf)
                return -ENOMEM;
        n = read(fd, buf, st.st_size);
        if (n < 0)
                return -errno;
        (void) LLVMFuzzerTestOneInput(buf, (size_t) n);
        return 1;
}

int main(int argc, char **argv) {
        unsigned count = 0;

        for (int i = 1; i < argc; i++) {
                DIR *d = opendir(argv[i]);
                struct dirent *de;

                if (!d) {
                        fprintf(stderr, "Cannot open corpus %s: %m\n", argv[i]);
                        return 1;
                }
                while ((de = readdir(d)))
                        if (de->d_name[0] != '.' && replay_file(dirfd(d), de->d_name) > 0)
                                count++;
                closedir(d);
        }
        printf("1..1\nok 1 - replayed %u inputs\n", count);
        return 0;
}
