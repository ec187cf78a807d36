/* SPDX-License-Identifier: Apache-2.0 */

/* The records of pods and containers crio keeps on disk: a restart reads whatever a crash, a full disk
 * or a person left there. Each input is tried as both; what reads must write again, and what that
 * writes must read back to the same text. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "container-state-json.h"
#include "log.h"
#include "pod-state-json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_pod(const char *json, size_t size) {
        char *boot_id = NULL, *first = NULL, *second = NULL;
        Pod p = {}, q = {};

        if (pod_state_from_json(json, size, &p, &boot_id) < 0) {
                pod_state_done(&p);
                return;
        }
        if (pod_state_to_json(&p, boot_id, &first) < 0)
                abort();
        if (pod_state_from_json(first, strlen(first), &q, NULL) < 0)
                abort();
        if (pod_state_to_json(&q, boot_id, &second) < 0 || strcmp(first, second) != 0)
                abort();
        pod_state_done(&p);
        pod_state_done(&q);
        free(boot_id);
        free(first);
        free(second);
}

static void check_container(const char *json, size_t size) {
        char *boot_id = NULL, *pod_id = NULL, *first = NULL, *second = NULL;
        Container c = {}, d = {};
        Pod pod = {};

        if (container_state_from_json(json, size, &c, &pod_id, &boot_id) < 0) {
                container_state_done(&c);
                return;
        }
        pod.id = pod_id;
        c.pod = &pod;
        if (container_state_to_json(&c, boot_id, &first) < 0)
                abort();
        if (container_state_from_json(first, strlen(first), &d, NULL, NULL) < 0)
                abort();
        d.pod = &pod;
        if (container_state_to_json(&d, boot_id, &second) < 0 || strcmp(first, second) != 0)
                abort();
        container_state_done(&c);
        container_state_done(&d);
        free(pod_id);
        free(boot_id);
        free(first);
        free(second);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        log_set_max_level(LOG_CRIT);

        check_pod((const char *) data, size);
        check_container((const char *) data, size);
        return 0;
}
