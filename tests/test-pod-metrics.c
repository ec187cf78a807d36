/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "pod-metrics.h"
#include "tap.h"

static char root[] = "/tmp/test-pod-metrics-XXXXXX";

static void put(const char *rel, const char *text) {
        char path[512], dir[512];

        snprintf(path, sizeof(path), "%s/%s", root, rel);
        snprintf(dir, sizeof(dir), "%s", path);
        *strrchr(dir, '/') = '\0';
        (void) mkdir_p(dir, 0755);
        if (write_file_atomic_at(AT_FDCWD, path, text, strlen(text), 0644) < 0)
                TAP_OK(false, "writing %s", path);
}

static void test_unified(void) {
        CgroupCounters c = {};
        char cgroot[512], proc[512];

        put("v2/a.slice/b.scope/cpu.stat", "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n"
            "nr_periods 10\nnr_throttled 3\nthrottled_usec 7000\n");
        put("v2/a.slice/b.scope/memory.current", "10485760\n");
        put("v2/a.slice/b.scope/memory.peak", "20971520\n");
        put("v2/a.slice/b.scope/memory.swap.current", "4096\n");
        put("v2/a.slice/b.scope/memory.stat", "anon 1000\nfile 2000\nkernel 300\nfile_mapped 400\n"
            "inactive_file 1048576\npgfault 55\npgmajfault 5\n");
        put("v2/a.slice/b.scope/memory.events", "low 0\nhigh 0\nmax 7\noom 1\noom_kill 2\n");
        put("v2/a.slice/b.scope/pids.current", "3\n");
        put("v2/a.slice/b.scope/pids.max", "max\n");
        put("v2/a.slice/b.scope/cgroup.procs", "4242\n");
        put("v2/a.slice/b.scope/hugetlb.2MB.current", "2097152\n");
        put("v2/a.slice/b.scope/hugetlb.2MB.max", "max\n");
        put("proc/4242/fd/.keep", "");
        snprintf(cgroot, sizeof(cgroot), "%s/v2", root);
        snprintf(proc, sizeof(proc), "%s/proc", root);
        {
                char fd[600];

                snprintf(fd, sizeof(fd), "%s/4242/fd/0", proc);
                (void) symlink("/dev/null", fd);
                snprintf(fd, sizeof(fd), "%s/4242/fd/3", proc);
                (void) symlink("socket:[12345]", fd);
        }

        TAP_IS_INT(cgroup_counters_read(cgroot, CGROUP_MODE_UNIFIED, "/a.slice/b.scope", proc, &c), 0, "v2 read");
        TAP_OK(c.have_cpu && c.have_memory && c.have_pids, "v2: cpu, memory and pids");
        TAP_IS_INT(c.cpu_usage_nsec, 2500000000LL, "v2: usage in ns");
        TAP_IS_INT(c.cpu_user_nsec, 2000000000LL, "v2: user");
        TAP_IS_INT(c.cpu_throttled_periods, 3, "v2: throttled periods");
        TAP_IS_INT(c.cpu_throttled_nsec, 7000000, "v2: throttled time");
        TAP_IS_INT(c.memory_usage, 10485760, "v2: memory.current");
        TAP_IS_INT(c.memory_max_usage, 20971520, "v2: memory.peak");
        TAP_IS_INT(c.memory_rss, 1000, "v2: anon");
        TAP_IS_INT(c.memory_cache, 2000, "v2: file");
        TAP_IS_INT(c.memory_kernel, 300, "v2: kernel");
        TAP_IS_INT(c.memory_swap, 4096, "v2: swap");
        TAP_IS_INT(cgroup_counters_working_set(&c), 10485760 - 1048576, "v2: working set");
        TAP_IS_INT(c.memory_failcnt, 7, "v2: memory.events max");
        TAP_IS_INT(c.oom_kills, 2, "v2: oom_kill");
        TAP_IS_INT(c.threads, 3, "v2: pids.current");
        TAP_IS_INT(c.threads_max, 0, "v2: pids.max \"max\" is no limit");
        TAP_IS_INT(c.processes, 1, "v2: one process");
        TAP_IS_INT(c.file_descriptors, 2, "v2: fds of the process (.keep skipped)");
        TAP_IS_INT(c.sockets, 1, "v2: one socket");
        TAP_IS_INT(c.n_hugetlb, 1, "v2: one huge page size");
        if (c.n_hugetlb == 1) {
                TAP_IS_STR(c.hugetlb[0].pagesize, "2MB", "v2: page size");
                TAP_IS_INT(c.hugetlb[0].usage, 2097152, "v2: huge page usage");
        }
        cgroup_counters_done(&c);

        TAP_IS_INT(cgroup_counters_read(cgroot, CGROUP_MODE_UNIFIED, "/a.slice/gone.scope", proc, &c), -ENOENT,
                   "v2: a missing cgroup is -ENOENT");
}

static void test_legacy(void) {
        CgroupCounters c = {};
        char cgroot[512];
        long hz = sysconf(_SC_CLK_TCK);

        put("v1/cpuacct/s/cpuacct.usage", "3000000000\n");
        put("v1/cpuacct/s/cpuacct.stat", "user 150\nsystem 50\n");
        put("v1/cpu/s/cpu.stat", "nr_periods 20\nnr_throttled 4\nthrottled_time 9000\n");
        put("v1/memory/s/memory.usage_in_bytes", "8388608\n");
        put("v1/memory/s/memory.max_usage_in_bytes", "9437184\n");
        put("v1/memory/s/memory.failcnt", "6\n");
        put("v1/memory/s/memory.memsw.usage_in_bytes", "8392704\n");
        put("v1/memory/s/memory.stat", "cache 1\nrss 2\ntotal_cache 1111\ntotal_rss 2222\ntotal_mapped_file 33\n"
            "total_inactive_file 4096\ntotal_pgfault 77\ntotal_pgmajfault 8\n");
        put("v1/memory/s/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n");
        put("v1/memory/s/cgroup.procs", "1\n2\n");
        put("v1/pids/s/pids.current", "5\n");
        put("v1/pids/s/pids.max", "100\n");
        put("v1/pids/s/cgroup.procs", "1\n2\n");
        put("v1/hugetlb/s/hugetlb.1GB.usage_in_bytes", "0\n");
        put("v1/hugetlb/s/hugetlb.1GB.max_usage_in_bytes", "1073741824\n");
        snprintf(cgroot, sizeof(cgroot), "%s/v1", root);

        TAP_IS_INT(cgroup_counters_read(cgroot, CGROUP_MODE_HYBRID, "/s", NULL, &c), 0, "v1 read");
        TAP_IS_INT(c.cpu_usage_nsec, 3000000000LL, "v1: cpuacct.usage");
        TAP_IS_INT(c.cpu_user_nsec, 150 * (1000000000LL / hz), "v1: user ticks in ns");
        TAP_IS_INT(c.cpu_periods, 20, "v1: periods");
        TAP_IS_INT(c.cpu_throttled_nsec, 9000, "v1: throttled_time");
        TAP_IS_INT(c.memory_usage, 8388608, "v1: usage");
        TAP_IS_INT(c.memory_max_usage, 9437184, "v1: max usage");
        TAP_IS_INT(c.memory_swap, 4096, "v1: swap is memsw less memory");
        TAP_IS_INT(c.memory_cache, 1111, "v1: the hierarchy's total_cache");
        TAP_IS_INT(c.memory_rss, 2222, "v1: total_rss");
        TAP_IS_INT(c.memory_pgmajfault, 8, "v1: total_pgmajfault");
        TAP_IS_INT(c.memory_failcnt, 6, "v1: failcnt");
        TAP_IS_INT(c.oom_kills, 1, "v1: oom_kill");
        TAP_IS_INT(c.threads, 5, "v1: pids.current");
        TAP_IS_INT(c.threads_max, 100, "v1: pids.max");
        TAP_IS_INT(c.processes, 2, "v1: two processes");
        TAP_IS_INT(c.file_descriptors, 0, "v1: no /proc given, no fds counted");
        TAP_IS_INT(c.n_hugetlb, 1, "v1: one huge page size");
        if (c.n_hugetlb == 1) {
                TAP_IS_STR(c.hugetlb[0].pagesize, "1GB", "v1: page size");
                TAP_IS_INT(c.hugetlb[0].max_usage, 1073741824, "v1: max usage");
        }
        cgroup_counters_done(&c);
}

static void test_net_dev(void) {
        static const char text[] =
                "Inter-|   Receive                                                |  Transmit\n"
                " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n"
                "    lo:     100       2    0    0    0     0          0         0      100       2    0    0    0     0       0          0\n"
                "  eth0: 1500 10 1 2 0 0 0 0 900 8 3 4 0 0 0 0\n"
                "broken: 1 2 3\n";
        NetDevCounters *l = NULL;
        size_t n = 0;

        TAP_IS_INT(net_dev_counters_parse(text, &l, &n), 0, "net/dev parses");
        TAP_IS_INT(n, 2, "lo and eth0, the broken line skipped");
        if (n == 2) {
                TAP_IS_STR(l[0].name, "lo", "lo first");
                TAP_IS_STR(l[1].name, "eth0", "then eth0");
                TAP_IS_INT(l[1].rx_bytes, 1500, "rx bytes");
                TAP_IS_INT(l[1].rx_packets, 10, "rx packets");
                TAP_IS_INT(l[1].rx_errors, 1, "rx errors");
                TAP_IS_INT(l[1].rx_dropped, 2, "rx dropped");
                TAP_IS_INT(l[1].tx_bytes, 900, "tx bytes");
                TAP_IS_INT(l[1].tx_packets, 8, "tx packets");
                TAP_IS_INT(l[1].tx_errors, 3, "tx errors");
                TAP_IS_INT(l[1].tx_dropped, 4, "tx dropped");
        }
        net_dev_counters_free(l, n);
}

int main(void) {
        char cmd[600];

        if (!mkdtemp(root)) {
                perror("mkdtemp");
                return 1;
        }
        test_unified();
        test_legacy();
        test_net_dev();
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        (void) system(cmd);
        return tap_done();
}
