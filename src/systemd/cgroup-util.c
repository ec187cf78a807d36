/* SPDX-License-Identifier: Apache-2.0 */

#include <ctype.h>
#include <errno.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>

#include "cgroup-util.h"

static const char *const cgroup_mode_table[_CGROUP_MODE_MAX] = {
        [CGROUP_MODE_LEGACY] = "legacy",
        [CGROUP_MODE_HYBRID] = "hybrid",
        [CGROUP_MODE_UNIFIED] = "unified",
};

const char *cgroup_mode_to_string(CGroupMode m) {
        if (m < 0 || m >= _CGROUP_MODE_MAX)
                return NULL;
        return cgroup_mode_table[m];
}

CGroupMode cgroup_mode_from_string(const char *s) {
        if (!s)
                return _CGROUP_MODE_INVALID;
        for (CGroupMode m = 0; m < _CGROUP_MODE_MAX; m++)
                if (strcmp(cgroup_mode_table[m], s) == 0)
                        return m;
        return _CGROUP_MODE_INVALID;
}

CGroupMode cgroup_mode_from_magic(int64_t root_magic, int64_t unified_magic) {
        if (root_magic == CGROUP2_SUPER_MAGIC)
                return CGROUP_MODE_UNIFIED;
        /* v1 keeps a tmpfs at the top with one mount per controller below it. */
        if (root_magic != TMPFS_MAGIC)
                return -EMEDIUMTYPE;
        return unified_magic == CGROUP2_SUPER_MAGIC ? CGROUP_MODE_HYBRID : CGROUP_MODE_LEGACY;
}

CGroupMode cgroup_get_mode_at(const char *cgroup_root) {
        _cleanup_free_ char *unified = NULL;
        struct statfs fs, ufs;

        if (!cgroup_root)
                cgroup_root = "/sys/fs/cgroup";

        if (statfs(cgroup_root, &fs) < 0)
                return -errno;
        if (asprintf(&unified, "%s/unified", cgroup_root) < 0)
                return -ENOMEM;
        if (statfs(unified, &ufs) < 0) {
                if (errno != ENOENT)
                        return -errno;
                ufs.f_type = 0;
        }
        return cgroup_mode_from_magic((int64_t) fs.f_type, (int64_t) ufs.f_type);
}

CGroupMode cgroup_get_mode(void) {
        static CGroupMode cached = _CGROUP_MODE_INVALID;
        CGroupMode m;

        /* The hierarchy is chosen at boot and never changes under a running system. */
        if (cached >= 0)
                return cached;
        m = cgroup_get_mode_at(NULL);
        if (m >= 0)
                cached = m;
        return m;
}

uint64_t cgroup_cpu_shares_to_weight(uint64_t shares) {
        if (shares == 0)
                return 0;
        if (shares < CGROUP_CPU_SHARES_MIN)
                shares = CGROUP_CPU_SHARES_MIN;
        if (shares > CGROUP_CPU_SHARES_MAX)
                shares = CGROUP_CPU_SHARES_MAX;
        /* Maps [2, 262144] linearly onto [1, 10000]. */
        return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t cgroup_cpu_weight_to_shares(uint64_t weight) {
        if (weight == 0)
                return 0;
        if (weight < CGROUP_CPU_WEIGHT_MIN)
                weight = CGROUP_CPU_WEIGHT_MIN;
        if (weight > CGROUP_CPU_WEIGHT_MAX)
                weight = CGROUP_CPU_WEIGHT_MAX;
        /* Rounded up, so that converting back gives the same weight. */
        return 2 + ((weight - 1) * 262142 + 9998) / 9999;
}

uint64_t cgroup_cpu_quota_to_per_sec_usec(int64_t quota, uint64_t period) {
        uint64_t v;

        if (quota <= 0 || period == 0)
                return UINT64_MAX;

        /* quota is at most INT64_MAX, times 10^6 would overflow for absurd values: divide first then. */
        if ((uint64_t) quota > UINT64_MAX / UINT64_C(1000000))
                v = (uint64_t) quota / period * UINT64_C(1000000);
        else
                v = (uint64_t) quota * UINT64_C(1000000) / period;

        if (v % 10000 != 0) {
                if (v > UINT64_MAX - 10000)
                        return UINT64_MAX - 1;
                v = (v / 10000 + 1) * 10000;
        }
        /* A quota is never "infinity" here, even if the arithmetic lands on it. */
        return v == UINT64_MAX ? UINT64_MAX - 1 : v;
}

#define CPUSET_MAX 8192

static int parse_cpu(const char **p, unsigned *ret) {
        unsigned long v;
        char *end;

        if (!isdigit((unsigned char) **p))
                return -EINVAL;
        errno = 0;
        v = strtoul(*p, &end, 10);
        if (errno == ERANGE || v >= CPUSET_MAX)
                return -ERANGE;
        *p = end;
        *ret = (unsigned) v;
        return 0;
}

int cgroup_cpuset_parse(const char *list, uint8_t **ret_mask, size_t *ret_size) {
        _cleanup_free_ uint8_t *mask = NULL;
        const char *p = list;
        size_t size = 0;
        int r;

        if (!list || !ret_mask || !ret_size)
                return -EINVAL;

        /* Grows to cover the highest CPU named; a mask is at most 1 KiB. */
        mask = calloc(CPUSET_MAX / 8, 1);
        if (!mask)
                return -ENOMEM;

        while (*p == ' ' || *p == '\n')
                p++;
        while (*p != '\0') {
                unsigned lo, hi;

                r = parse_cpu(&p, &lo);
                if (r < 0)
                        return r;
                hi = lo;
                if (*p == '-') {
                        p++;
                        r = parse_cpu(&p, &hi);
                        if (r < 0)
                                return r;
                        if (hi < lo)
                                return -EINVAL;
                }
                for (unsigned i = lo; i <= hi; i++)
                        mask[i / 8] |= (uint8_t) (1u << (i % 8));
                if (hi / 8 + 1 > size)
                        size = hi / 8 + 1;

                while (*p == ' ' || *p == '\n')
                        p++;
                if (*p == ',') {
                        p++;
                        while (*p == ' ')
                                p++;
                        if (*p == '\0')
                                return -EINVAL;
                } else if (*p != '\0')
                        return -EINVAL;
        }

        if (size == 0)
                mask = mfree(mask);
        else {
                uint8_t *shrunk = realloc(mask, size);
                if (shrunk)
                        mask = shrunk;
        }
        *ret_mask = TAKE_PTR(mask);
        *ret_size = size;
        return 0;
}
