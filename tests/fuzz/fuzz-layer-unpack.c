/* SPDX-License-Identifier: Apache-2.0 */

/* Layer tarball bytes (plain, gzip or zstd) unpacked into a fresh temp directory, removed after. */

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "image-fs.h"
#include "layer-unpack.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        LayerUnpackOptions options = {
                .max_size = 16 * 1024 * 1024,
                .max_entries = 10000,
                .compressed_size = -1,
        };
        LayerUnpackResult result = {};
        char dir[] = "/tmp/fuzz-layer-unpack-XXXXXX";
        int input, target, tmp;

        log_set_max_level(LOG_CRIT);
        input = memfd_create("layer", MFD_CLOEXEC);
        if (input < 0)
                return 0;
        if (size > 0 && write(input, data, size) != (ssize_t) size)
                goto out;
        (void) lseek(input, 0, SEEK_SET);
        if (!mkdtemp(dir))
                goto out;
        target = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (target >= 0) {
                if (layer_unpack(input, target, &options, &result) >= 0)
                        layer_unpack_result_done(&result);
                close(target);
        }
        tmp = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (tmp >= 0) {
                (void) image_fs_remove_tree(tmp, dir + strlen("/tmp/"));
                close(tmp);
        }
out:
        close(input);
        return 0;
}
