/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Linux capabilities of a container as CRI-O computes them: default_capabilities, the security
 * context's add/drop lists with "ALL", and privileged containers. Sets are bit masks by number. */

#include <stdbool.h>
#include <stdint.h>

#include "macro.h"

/* CAP_CHOWN (0) through CAP_CHECKPOINT_RESTORE (40). */
#define CAPABILITY_MAX 41
#define CAPABILITY_ALL_MASK ((UINT64_C(1) << CAPABILITY_MAX) - 1)
#define CAPABILITY_BIT(cap) (UINT64_C(1) << (cap))

typedef struct OciCapabilities {
        uint64_t bounding;
        uint64_t effective;
        uint64_t inheritable;
        uint64_t permitted;
        uint64_t ambient;
} OciCapabilities;

/* CRI-O's default_capabilities, NULL-terminated. */
extern const char *const capabilities_default[];

/* "chown", "CHOWN", "CAP_CHOWN" and "cap_chown" all give 0; -EINVAL for names we do not know. */
int capability_from_name(const char *name) _pure_;
/* "CAP_CHOWN", or NULL out of range. */
const char *capability_to_name(int cap) _const_;

/* The kernel's last capability (/proc/sys/kernel/cap_last_cap), capped to what we know. */
int capability_last_cap(void);

/* This process's bounding set (PR_CAPBSET_READ), up to the kernel's last capability. A runtime can
 * give a container no capability outside it: in a test host, a user namespace or a service with a
 * CapabilityBoundingSet=, crio holds fewer than the kernel knows. */
uint64_t capability_bounding_set(void);

/* Parses a list of names into a mask; the first unknown name is logged and gives -EINVAL. */
int capability_mask_from_names(char *const *names, uint64_t *ret);

typedef struct CapabilityRequest {
        char *const *defaults;          /* NULL: capabilities_default */
        char *const *add;               /* from the security context; "ALL" allowed */
        char *const *drop;              /* from the security context; "ALL" allowed */
        bool privileged;                /* every capability the kernel has, in every set */
        bool add_inheritable;           /* crio.runtime.add_inheritable_capabilities */
        int last_cap;                   /* 0: ask the kernel */
        bool has_bounding;              /* false: crio's own bounding set */
        uint64_t bounding;
} CapabilityRequest;

/* The sets CRI-O writes to the spec: bounding, effective and permitted alike (and inheritable when
 * asked), ambient empty; for privileged containers every set holds everything. All sets are then
 * cut to the bounding set (what was cut is logged at debug level), as the runtime refuses to grant
 * more. An unknown name in add or drop is -EINVAL (the name is logged). */
int capabilities_resolve(const CapabilityRequest *req, OciCapabilities *ret);
