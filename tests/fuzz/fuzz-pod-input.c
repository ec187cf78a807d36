/* SPDX-License-Identifier: Apache-2.0 */

/* What a pod request brings that crio parses itself: sysctl key=value lines (an accepted one must
 * carry no second setting and stay under /proc/sys), Kubernetes quantities (the shm-size and
 * bandwidth annotations), and /proc/net/dev text. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pod-files.h"
#include "pod-stats.h"
#include "pod-sysctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_sysctl(const char *line) {
        const char *eq = strchr(line, '=');
        char *key, *path = NULL;
        const char *reason;

        if (!eq)
                return;
        key = strndup(line, (size_t) (eq - line));
        if (!key)
                return;
        for (int flags = 0; flags < 4; flags++)
                if (pod_sysctl_validate(key, eq + 1, flags & 1, flags & 2, &reason) == 0) {
                        if (strpbrk(eq + 1, "+=\n\r"))
                                abort();
                        if (pod_sysctl_path(key, &path) < 0)
                                continue;
                        if (strncmp(path, "/proc/sys/", 10) != 0 || strstr(path, "/../") || strstr(path, "//"))
                                abort();
                        path = (free(path), NULL);
                }
        free(key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *text = malloc(size + 1), *save = NULL;
        PodInterfaceStats *l = NULL;
        size_t n = 0;
        uint64_t v;

        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';

        (void) pod_quantity_parse(text, &v);
        if (pod_net_dev_parse(text, &l, &n) >= 0) {
                for (size_t i = 0; i < n; i++)
                        free(l[i].name);
                free(l);
        }
        /* Line by line for the sysctls: strtok_r needs a writable copy, text is one. */
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
                check_sysctl(line);
        free(text);
        return 0;
}
