/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "pod-metrics.h"

#define CGROUP_FILE_MAX (256U * 1024U)
/* Processes whose open files are counted, at most: a fork bomb must not stall the loop. */
#define PROCESSES_SCANNED_MAX 1024U

void cgroup_counters_done(CgroupCounters *c) {
        free(c->hugetlb);
        *c = (CgroupCounters) {};
}

static int read_file(const char *root, const char *controller, const char *path, const char *file, char **ret) {
        _cleanup_free_ char *p = NULL;

        if (asprintf(&p, "%s%s%s%s/%s", root, controller ? "/" : "", controller ?: "", path, file) < 0)
                return -ENOMEM;
        return read_full_file_at(AT_FDCWD, p, CGROUP_FILE_MAX, 0, ret, NULL);
}

/* One number alone in a file ("max" is UINT64_MAX). */
static int read_number(const char *root, const char *controller, const char *path, const char *file,
                       uint64_t *ret) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = read_file(root, controller, path, file, &text);
        if (r < 0)
                return r;
        if (strncmp(text, "max", 3) == 0) {
                *ret = UINT64_MAX;
                return 0;
        }
        if (sscanf(text, "%" SCNu64, ret) != 1)
                return -EBADMSG;
        return 0;
}

/* The value of "key value" in a flat keyed file (cpu.stat, memory.stat, memory.events). */
static bool keyed_get(const char *text, const char *key, uint64_t *ret) {
        size_t l = strlen(key);

        for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
                if (strncmp(p, key, l) == 0 && p[l] == ' ')
                        return sscanf(p + l + 1, "%" SCNu64, ret) == 1;
        return false;
}

static uint64_t keyed(const char *text, const char *key) {
        uint64_t v = 0;

        return text && keyed_get(text, key, &v) ? v : 0;
}

static size_t count_lines(const char *text) {
        size_t n = 0;

        for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
                if (*p != '\n')
                        n++;
        return n;
}

static void read_cpu(const char *root, CGroupMode mode, const char *path, CgroupCounters *c) {
        _cleanup_free_ char *stat = NULL, *acct = NULL;
        uint64_t v;

        if (mode == CGROUP_MODE_UNIFIED) {
                if (read_file(root, NULL, path, "cpu.stat", &stat) < 0)
                        return;
                c->have_cpu = true;
                c->cpu_usage_nsec = keyed(stat, "usage_usec") * 1000;
                c->cpu_user_nsec = keyed(stat, "user_usec") * 1000;
                c->cpu_system_nsec = keyed(stat, "system_usec") * 1000;
                c->cpu_periods = keyed(stat, "nr_periods");
                c->cpu_throttled_periods = keyed(stat, "nr_throttled");
                c->cpu_throttled_nsec = keyed(stat, "throttled_usec") * 1000;
                return;
        }

        if (read_number(root, "cpuacct", path, "cpuacct.usage", &v) >= 0) {
                long hz = sysconf(_SC_CLK_TCK);

                c->have_cpu = true;
                c->cpu_usage_nsec = v;
                /* cpuacct.stat counts USER_HZ ticks. */
                if (hz > 0 && read_file(root, "cpuacct", path, "cpuacct.stat", &acct) >= 0) {
                        c->cpu_user_nsec = keyed(acct, "user") * (UINT64_C(1000000000) / (uint64_t) hz);
                        c->cpu_system_nsec = keyed(acct, "system") * (UINT64_C(1000000000) / (uint64_t) hz);
                }
        }
        if (read_file(root, "cpu", path, "cpu.stat", &stat) >= 0) {
                c->cpu_periods = keyed(stat, "nr_periods");
                c->cpu_throttled_periods = keyed(stat, "nr_throttled");
                c->cpu_throttled_nsec = keyed(stat, "throttled_time");
        }
}

static void read_memory(const char *root, CGroupMode mode, const char *path, CgroupCounters *c) {
        _cleanup_free_ char *stat = NULL, *events = NULL, *oom = NULL;
        uint64_t v;

        if (mode == CGROUP_MODE_UNIFIED) {
                if (read_number(root, NULL, path, "memory.current", &c->memory_usage) < 0)
                        return;
                c->have_memory = true;
                /* memory.peak came with Linux 5.19. */
                (void) read_number(root, NULL, path, "memory.peak", &c->memory_max_usage);
                if (read_number(root, NULL, path, "memory.swap.current", &v) >= 0)
                        c->memory_swap = v;
                if (read_file(root, NULL, path, "memory.stat", &stat) >= 0) {
                        c->memory_cache = keyed(stat, "file");
                        c->memory_rss = keyed(stat, "anon");
                        c->memory_kernel = keyed(stat, "kernel") ?: keyed(stat, "kernel_stack") +
                                                                     keyed(stat, "slab") + keyed(stat, "sock");
                        c->memory_mapped_file = keyed(stat, "file_mapped");
                        c->memory_inactive_file = keyed(stat, "inactive_file");
                        c->memory_pgfault = keyed(stat, "pgfault");
                        c->memory_pgmajfault = keyed(stat, "pgmajfault");
                }
                if (read_file(root, NULL, path, "memory.events", &events) >= 0) {
                        /* Times the usage hit memory.max: the v2 reading of v1's failcnt. */
                        c->memory_failcnt = keyed(events, "max");
                        c->oom_kills = keyed(events, "oom_kill");
                }
                return;
        }

        if (read_number(root, "memory", path, "memory.usage_in_bytes", &c->memory_usage) < 0)
                return;
        c->have_memory = true;
        (void) read_number(root, "memory", path, "memory.max_usage_in_bytes", &c->memory_max_usage);
        (void) read_number(root, "memory", path, "memory.failcnt", &c->memory_failcnt);
        (void) read_number(root, "memory", path, "memory.kmem.usage_in_bytes", &c->memory_kernel);
        /* memsw counts memory and swap together. */
        if (read_number(root, "memory", path, "memory.memsw.usage_in_bytes", &v) >= 0 && v > c->memory_usage)
                c->memory_swap = v - c->memory_usage;
        if (read_file(root, "memory", path, "memory.stat", &stat) >= 0) {
                /* The total_ values include the cgroups below, as use_hierarchy has it. */
                c->memory_cache = keyed(stat, "total_cache");
                c->memory_rss = keyed(stat, "total_rss");
                c->memory_mapped_file = keyed(stat, "total_mapped_file");
                c->memory_inactive_file = keyed(stat, "total_inactive_file");
                c->memory_pgfault = keyed(stat, "total_pgfault");
                c->memory_pgmajfault = keyed(stat, "total_pgmajfault");
        }
        if (read_file(root, "memory", path, "memory.oom_control", &oom) >= 0)
                c->oom_kills = keyed(oom, "oom_kill");
}

/* "hugetlb.2MB.current" -> "2MB". */
static bool hugetlb_pagesize(const char *file, const char *suffix, char *ret, size_t size) {
        const char *start = file + strlen("hugetlb."), *end;

        if (strncmp(file, "hugetlb.", 8) != 0)
                return false;
        end = strchr(start, '.');
        if (!end || strcmp(end + 1, suffix) != 0 || (size_t) (end - start) >= size || end == start)
                return false;
        memcpy(ret, start, end - start);
        ret[end - start] = '\0';
        return true;
}

static int read_hugetlb(const char *root, CGroupMode mode, const char *path, CgroupCounters *c) {
        _cleanup_free_ char *dir = NULL;
        const char *usage = mode == CGROUP_MODE_UNIFIED ? "current" : "usage_in_bytes";
        DIR *d;
        struct dirent *de;

        if (asprintf(&dir, "%s%s%s", root, mode == CGROUP_MODE_UNIFIED ? "" : "/hugetlb", path) < 0)
                return -ENOMEM;
        d = opendir(dir);
        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                _cleanup_free_ char *max_file = NULL;
                CgroupHugetlb h = {}, *grown;

                if (!hugetlb_pagesize(de->d_name, usage, h.pagesize, sizeof(h.pagesize)))
                        continue;
                if (read_number(dir, NULL, "", de->d_name, &h.usage) < 0)
                        continue;
                /* v2 keeps no high-water mark. */
                if (mode != CGROUP_MODE_UNIFIED && asprintf(&max_file, "hugetlb.%s.max_usage_in_bytes", h.pagesize) >= 0)
                        (void) read_number(dir, NULL, "", max_file, &h.max_usage);
                grown = realloc(c->hugetlb, (c->n_hugetlb + 1) * sizeof(CgroupHugetlb));
                if (!grown) {
                        closedir(d);
                        return -ENOMEM;
                }
                c->hugetlb = grown;
                c->hugetlb[c->n_hugetlb++] = h;
        }
        closedir(d);
        return 0;
}

static void count_open_files(const char *proc_root, const char *procs, CgroupCounters *c) {
        size_t scanned = 0;

        for (const char *p = procs; p && *p && scanned < PROCESSES_SCANNED_MAX;
             p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
                _cleanup_free_ char *dir = NULL;
                unsigned long pid;
                DIR *d;
                struct dirent *de;

                if (sscanf(p, "%lu", &pid) != 1 || asprintf(&dir, "%s/%lu/fd", proc_root, pid) < 0)
                        continue;
                scanned++;
                d = opendir(dir);
                if (!d)
                        continue;       /* gone meanwhile */
                while ((de = readdir(d))) {
                        char target[64];
                        ssize_t n;

                        if (de->d_name[0] == '.')
                                continue;
                        c->file_descriptors++;
                        n = readlinkat(dirfd(d), de->d_name, target, sizeof(target) - 1);
                        if (n >= 7 && memcmp(target, "socket:", 7) == 0)
                                c->sockets++;
                }
                closedir(d);
        }
}

static void read_pids(const char *root, CGroupMode mode, const char *path, const char *proc_root,
                      CgroupCounters *c) {
        _cleanup_free_ char *procs = NULL, *threads = NULL;
        const char *controller = mode == CGROUP_MODE_UNIFIED ? NULL : "pids";
        uint64_t v;

        if (read_number(root, controller, path, "pids.current", &c->threads) >= 0) {
                c->have_pids = true;
                if (read_number(root, controller, path, "pids.max", &v) >= 0)
                        c->threads_max = v == UINT64_MAX ? 0 : v;
        }
        /* The process list lives in every hierarchy; pids counts tasks, i.e. threads. */
        if (read_file(root, controller, path, "cgroup.procs", &procs) < 0 &&
            (mode == CGROUP_MODE_UNIFIED || read_file(root, "memory", path, "cgroup.procs", &procs) < 0))
                return;
        c->have_pids = true;
        c->processes = count_lines(procs);
        if (!c->threads && read_file(root, controller, path, mode == CGROUP_MODE_UNIFIED ? "cgroup.threads" : "tasks",
                                     &threads) >= 0)
                c->threads = count_lines(threads);
        if (proc_root)
                count_open_files(proc_root, procs, c);
}

int cgroup_counters_read(const char *cgroup_root, CGroupMode mode, const char *path, const char *proc_root,
                         CgroupCounters *ret) {
        CgroupCounters c = {};
        int r;

        if (mode < 0 || mode >= _CGROUP_MODE_MAX)
                return -EINVAL;
        read_cpu(cgroup_root, mode, path, &c);
        read_memory(cgroup_root, mode, path, &c);
        read_pids(cgroup_root, mode, path, proc_root, &c);
        r = read_hugetlb(cgroup_root, mode, path, &c);
        if (r == -ENOMEM) {
                cgroup_counters_done(&c);
                return r;
        }
        if (!c.have_cpu && !c.have_memory && !c.have_pids && c.n_hugetlb == 0)
                return -ENOENT;
        *ret = c;
        return 0;
}

void net_dev_counters_free(NetDevCounters *l, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(l[i].name);
        free(l);
}

int net_dev_counters_parse(const char *text, NetDevCounters **ret, size_t *ret_n) {
        NetDevCounters *l = NULL;
        size_t n = 0;

        for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
                const char *colon = strchr(line, ':'), *eol = strchr(line, '\n'), *start = line;
                uint64_t v[16];
                NetDevCounters *grown;
                size_t len;

                /* The two header lines have no ':' before their end. */
                if (!colon || (eol && colon > eol))
                        continue;
                while (*start == ' ')
                        start++;
                len = (size_t) (colon - start);
                if (len == 0 || len > 64)
                        continue;
                if (sscanf(colon + 1, "%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
                           " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64,
                           &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10],
                           &v[11]) != 12)
                        continue;
                grown = realloc(l, (n + 1) * sizeof(NetDevCounters));
                if (!grown)
                        goto oom;
                l = grown;
                l[n] = (NetDevCounters) {
                        .name = strndup(start, len),
                        /* Receive: bytes packets errs drop fifo frame compressed multicast; then transmit. */
                        .rx_bytes = v[0], .rx_packets = v[1], .rx_errors = v[2], .rx_dropped = v[3],
                        .tx_bytes = v[8], .tx_packets = v[9], .tx_errors = v[10], .tx_dropped = v[11],
                };
                if (!l[n].name)
                        goto oom;
                n++;
        }
        *ret = l;
        *ret_n = n;
        return 0;
oom:
        net_dev_counters_free(l, n);
        return -ENOMEM;
}
