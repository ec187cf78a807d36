/* SPDX-License-Identifier: Apache-2.0 */

/* Localhost seccomp profiles are files on the node that anyone with write access there may have
 * written: parse them, resolve them for a few capability sets and serialize the result. */

#include <stdint.h>
#include <stdlib.h>

#include "capabilities.h"
#include "log.h"
#include "oci-spec.h"
#include "seccomp-profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const uint64_t caps[] = { 0, CAPABILITY_BIT(21), CAPABILITY_ALL_MASK };
        SeccompProfile *p = NULL;

        log_set_max_level(LOG_CRIT);
        if (seccomp_profile_parse((const char *) data, size, &p) < 0)
                return 0;
        for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
                SeccompTarget t = { .capabilities = caps[i], .kernel_release = i == 0 ? "4.19.0" : "6.1.0" };
                OciSpec spec = { .linux.seccomp = NULL };
                char *json = NULL;

                if (seccomp_profile_resolve(p, &t, i == 1 ? SECCOMP_RESOLVE_STRICT_NAMES : 0, &spec.linux.seccomp) < 0)
                        continue;
                if (oci_spec_to_json(&spec, &json, NULL) >= 0)
                        free(json);
                seccomp_profile_free(spec.linux.seccomp);
        }
        seccomp_profile_free(p);
        return 0;
}
