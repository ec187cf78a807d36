/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Which cgroup hierarchy the host runs, and the conversions from CRI's cgroup v1 flavoured numbers
 * (cpu shares, CFS quota and period, cpuset lists) into the systemd unit properties that carry them. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

typedef enum CGroupMode {
        CGROUP_MODE_LEGACY,     /* v1 only */
        CGROUP_MODE_HYBRID,     /* v1 controllers, plus a v2 tree at /sys/fs/cgroup/unified */
        CGROUP_MODE_UNIFIED,    /* v2 only */
        _CGROUP_MODE_MAX,
        _CGROUP_MODE_INVALID = -EINVAL,
} CGroupMode;

const char *cgroup_mode_to_string(CGroupMode m) _const_;
CGroupMode cgroup_mode_from_string(const char *s) _pure_;

/* The decision from the file system magics of /sys/fs/cgroup and of /sys/fs/cgroup/unified (0 when
 * that does not exist): pure, for the tests. -EMEDIUMTYPE when /sys/fs/cgroup is no cgroup mount. */
CGroupMode cgroup_mode_from_magic(int64_t root_magic, int64_t unified_magic) _const_;

/* statfs() of /sys/fs/cgroup, cached after the first success. Returns a CGroupMode or -errno. */
CGroupMode cgroup_get_mode(void);
/* Same, under another root (for tests and for looking into a container's /sys/fs/cgroup); not cached. */
CGroupMode cgroup_get_mode_at(const char *cgroup_root);

/* Whether the cpu controller lives in the v2 hierarchy: then systemd wants CPUWeight, else CPUShares. */
static inline bool cgroup_mode_cpu_is_unified(CGroupMode m) {
        return m == CGROUP_MODE_UNIFIED;
}

#define CGROUP_CPU_SHARES_MIN UINT64_C(2)
#define CGROUP_CPU_SHARES_MAX UINT64_C(262144)
#define CGROUP_CPU_WEIGHT_MIN UINT64_C(1)
#define CGROUP_CPU_WEIGHT_MAX UINT64_C(10000)

/* CRI's cpu_shares to a cgroup v2 cpu.weight, by the formula runc and CRI-O use. 0 (unset) stays 0;
 * shares out of the kernel's range are clamped into it first. */
uint64_t cgroup_cpu_shares_to_weight(uint64_t shares) _const_;
/* The reverse mapping, for reading a weight back as shares; 0 stays 0. */
uint64_t cgroup_cpu_weight_to_shares(uint64_t weight) _const_;

/* CFS quota/period (microseconds) to systemd's CPUQuotaPerSecUSec. systemd keeps the quota as a
 * whole percentage, so a fractional one is rounded up to the next 10ms per second, as runc does.
 * quota <= 0 (unset, or -1 for unlimited) or period == 0 give UINT64_MAX, systemd's "infinity". */
uint64_t cgroup_cpu_quota_to_per_sec_usec(int64_t quota, uint64_t period) _const_;

/* A memory or pids limit from CRI, where 0 (or negative) means no limit, to systemd's value. */
static inline uint64_t cgroup_limit_or_infinity(int64_t limit) {
        return limit > 0 ? (uint64_t) limit : UINT64_MAX;
}

/* Parses a cpuset list ("0-3,7", as cpuset.cpus takes it) into systemd's AllowedCPUs= byte mask: bit
 * (i % 8) of byte (i / 8) is CPU i. An empty string gives an empty mask. -EINVAL on bad syntax,
 * -ERANGE for a CPU number of 8192 or more. */
int cgroup_cpuset_parse(const char *list, uint8_t **ret_mask, size_t *ret_size);
