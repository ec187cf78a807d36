/* SPDX-License-Identifier: Apache-2.0 */

#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup-util.h"
#include "tap.h"

static void test_mode(void) {
        CGroupMode m;

        TAP_IS_INT(cgroup_mode_from_magic(CGROUP2_SUPER_MAGIC, 0), CGROUP_MODE_UNIFIED, "cgroup2 root is unified");
        TAP_IS_INT(cgroup_mode_from_magic(TMPFS_MAGIC, CGROUP2_SUPER_MAGIC), CGROUP_MODE_HYBRID,
                   "tmpfs root with cgroup2 unified/ is hybrid");
        TAP_IS_INT(cgroup_mode_from_magic(TMPFS_MAGIC, 0), CGROUP_MODE_LEGACY, "tmpfs root alone is legacy");
        TAP_IS_INT(cgroup_mode_from_magic(TMPFS_MAGIC, TMPFS_MAGIC), CGROUP_MODE_LEGACY,
                   "tmpfs root with a non-cgroup2 unified/ is legacy");
        TAP_IS_INT(cgroup_mode_from_magic(0x58465342 /* xfs */, 0), -EMEDIUMTYPE, "other file system refused");

        for (CGroupMode i = 0; i < _CGROUP_MODE_MAX; i++)
                TAP_IS_INT(cgroup_mode_from_string(cgroup_mode_to_string(i)), i, "mode %s round trip",
                           cgroup_mode_to_string(i));
        TAP_IS_INT(cgroup_mode_from_string("v3"), _CGROUP_MODE_INVALID, "unknown mode name");
        TAP_OK(cgroup_mode_to_string(_CGROUP_MODE_MAX) == NULL, "no name past the table");
        TAP_OK(cgroup_mode_to_string(_CGROUP_MODE_INVALID) == NULL, "no name for invalid");

        m = cgroup_get_mode();
        TAP_OK(m >= 0 && m < _CGROUP_MODE_MAX, "this host's mode: %s", cgroup_mode_to_string(m) ?: "error");
        TAP_IS_INT(cgroup_get_mode(), m, "cached mode is stable");
        TAP_IS_INT(cgroup_get_mode_at("/nonexistent-cgroup-root"), -ENOENT, "missing root");
        TAP_IS_INT(cgroup_get_mode_at("/proc"), -EMEDIUMTYPE, "proc is no cgroup root");
        TAP_OK(cgroup_mode_cpu_is_unified(CGROUP_MODE_UNIFIED), "cpu unified on v2");
        TAP_OK(!cgroup_mode_cpu_is_unified(CGROUP_MODE_HYBRID), "cpu on v1 in hybrid");
}

static void test_shares(void) {
        /* Values CRI-O and runc produce with the same formula. */
        TAP_IS_INT(cgroup_cpu_shares_to_weight(0), 0, "unset shares stay unset");
        TAP_IS_INT(cgroup_cpu_shares_to_weight(1), 1, "below minimum clamps to weight 1");
        TAP_IS_INT(cgroup_cpu_shares_to_weight(2), 1, "minimum shares");
        TAP_IS_INT(cgroup_cpu_shares_to_weight(102), 4, "102 shares (100m)");
        TAP_IS_INT(cgroup_cpu_shares_to_weight(1024), 39, "default 1024 shares");
        TAP_IS_INT(cgroup_cpu_shares_to_weight(2048), 79, "2048 shares");
        TAP_IS_INT(cgroup_cpu_shares_to_weight(262144), 10000, "maximum shares");
        TAP_IS_INT(cgroup_cpu_shares_to_weight(UINT64_MAX), 10000, "huge shares clamp");

        TAP_IS_INT(cgroup_cpu_weight_to_shares(0), 0, "unset weight");
        TAP_IS_INT(cgroup_cpu_weight_to_shares(1), 2, "minimum weight");
        TAP_IS_INT(cgroup_cpu_weight_to_shares(10000), 262144, "maximum weight");
        TAP_IS_INT(cgroup_cpu_weight_to_shares(100000), 262144, "weight clamps");
        for (uint64_t w = 1; w <= 10000; w += 999)
                TAP_IS_INT(cgroup_cpu_shares_to_weight(cgroup_cpu_weight_to_shares(w)), w,
                           "weight %llu survives a round trip", (unsigned long long) w);
}

static void test_quota(void) {
        TAP_OK(cgroup_cpu_quota_to_per_sec_usec(-1, 100000) == UINT64_MAX, "quota -1 is infinity");
        TAP_OK(cgroup_cpu_quota_to_per_sec_usec(0, 100000) == UINT64_MAX, "quota 0 is infinity");
        TAP_OK(cgroup_cpu_quota_to_per_sec_usec(50000, 0) == UINT64_MAX, "period 0 is infinity");
        TAP_IS_INT(cgroup_cpu_quota_to_per_sec_usec(50000, 100000), 500000, "half a CPU");
        TAP_IS_INT(cgroup_cpu_quota_to_per_sec_usec(200000, 100000), 2000000, "two CPUs");
        TAP_IS_INT(cgroup_cpu_quota_to_per_sec_usec(1000, 100000), 10000, "1%% is exact");
        TAP_IS_INT(cgroup_cpu_quota_to_per_sec_usec(1500, 100000), 20000, "1.5%% rounds up to 2%%");
        TAP_IS_INT(cgroup_cpu_quota_to_per_sec_usec(1, 100000), 10000, "tiny quota rounds up to 1%%");
        TAP_IS_INT(cgroup_cpu_quota_to_per_sec_usec(33333, 100000), 340000, "a third rounds up");
        TAP_IS_INT(cgroup_cpu_quota_to_per_sec_usec(25000, 50000), 500000, "other period");
        TAP_OK(cgroup_cpu_quota_to_per_sec_usec(INT64_MAX, 1) < UINT64_MAX, "absurd quota is finite");
        TAP_OK(cgroup_limit_or_infinity(0) == UINT64_MAX, "limit 0 is infinity");
        TAP_OK(cgroup_limit_or_infinity(-5) == UINT64_MAX, "negative limit is infinity");
        TAP_IS_INT(cgroup_limit_or_infinity(4096), 4096, "limit kept");
}

static void test_cpuset(void) {
        uint8_t *mask = NULL;
        size_t size = 99;

        TAP_IS_INT(cgroup_cpuset_parse("0-3,7", &mask, &size), 0, "parse 0-3,7");
        TAP_IS_INT(size, 1, "one byte");
        TAP_IS_INT(mask ? mask[0] : 0, 0x8f, "bits 0-3 and 7");
        free(mask);

        TAP_IS_INT(cgroup_cpuset_parse("8, 17-18\n", &mask, &size), 0, "parse with spaces and newline");
        TAP_IS_INT(size, 3, "three bytes");
        TAP_OK(mask && mask[0] == 0 && mask[1] == 0x01 && mask[2] == 0x06, "bits 8, 17, 18");
        free(mask);

        TAP_IS_INT(cgroup_cpuset_parse("", &mask, &size), 0, "empty list");
        TAP_IS_INT(size, 0, "empty mask");
        TAP_OK(mask == NULL, "no allocation for empty");

        TAP_IS_INT(cgroup_cpuset_parse("8191", &mask, &size), 0, "highest CPU");
        TAP_IS_INT(size, 1024, "1 KiB mask");
        TAP_OK(mask && mask[1023] == 0x80, "top bit");
        free(mask);

        mask = NULL;
        size = 7;
        TAP_IS_INT(cgroup_cpuset_parse("8192", &mask, &size), -ERANGE, "CPU 8192 out of range");
        TAP_IS_INT(cgroup_cpuset_parse("99999999999999999999999", &mask, &size), -ERANGE, "overflow");
        TAP_IS_INT(cgroup_cpuset_parse("3-1", &mask, &size), -EINVAL, "reversed range");
        TAP_IS_INT(cgroup_cpuset_parse("1,", &mask, &size), -EINVAL, "trailing comma");
        TAP_IS_INT(cgroup_cpuset_parse(",1", &mask, &size), -EINVAL, "leading comma");
        TAP_IS_INT(cgroup_cpuset_parse("a", &mask, &size), -EINVAL, "letter");
        TAP_IS_INT(cgroup_cpuset_parse("-1", &mask, &size), -EINVAL, "negative");
        TAP_IS_INT(cgroup_cpuset_parse("1-", &mask, &size), -EINVAL, "open range");
        TAP_IS_INT(cgroup_cpuset_parse("1 2", &mask, &size), -EINVAL, "missing comma");
        TAP_OK(mask == NULL && size == 7, "outputs untouched on failure");
}

int main(void) {
        test_mode();
        test_shares();
        test_quota();
        test_cpuset();
        return tap_done();
}
