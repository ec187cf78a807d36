/* SPDX-License-Identifier: Apache-2.0 */

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>

#include "capabilities.h"
#include "log.h"
#include "oci-util.h"

const char *const capabilities_default[] = {
        "CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "SETGID", "SETUID", "SETPCAP", "NET_BIND_SERVICE",
        "KILL", NULL,
};

/* Indexed by capability number (linux/capability.h). */
static const char *const capability_names[CAPABILITY_MAX] = {
        [0] = "CAP_CHOWN",
        [1] = "CAP_DAC_OVERRIDE",
        [2] = "CAP_DAC_READ_SEARCH",
        [3] = "CAP_FOWNER",
        [4] = "CAP_FSETID",
        [5] = "CAP_KILL",
        [6] = "CAP_SETGID",
        [7] = "CAP_SETUID",
        [8] = "CAP_SETPCAP",
        [9] = "CAP_LINUX_IMMUTABLE",
        [10] = "CAP_NET_BIND_SERVICE",
        [11] = "CAP_NET_BROADCAST",
        [12] = "CAP_NET_ADMIN",
        [13] = "CAP_NET_RAW",
        [14] = "CAP_IPC_LOCK",
        [15] = "CAP_IPC_OWNER",
        [16] = "CAP_SYS_MODULE",
        [17] = "CAP_SYS_RAWIO",
        [18] = "CAP_SYS_CHROOT",
        [19] = "CAP_SYS_PTRACE",
        [20] = "CAP_SYS_PACCT",
        [21] = "CAP_SYS_ADMIN",
        [22] = "CAP_SYS_BOOT",
        [23] = "CAP_SYS_NICE",
        [24] = "CAP_SYS_RESOURCE",
        [25] = "CAP_SYS_TIME",
        [26] = "CAP_SYS_TTY_CONFIG",
        [27] = "CAP_MKNOD",
        [28] = "CAP_LEASE",
        [29] = "CAP_AUDIT_WRITE",
        [30] = "CAP_AUDIT_CONTROL",
        [31] = "CAP_SETFCAP",
        [32] = "CAP_MAC_OVERRIDE",
        [33] = "CAP_MAC_ADMIN",
        [34] = "CAP_SYSLOG",
        [35] = "CAP_WAKE_ALARM",
        [36] = "CAP_BLOCK_SUSPEND",
        [37] = "CAP_AUDIT_READ",
        [38] = "CAP_PERFMON",
        [39] = "CAP_BPF",
        [40] = "CAP_CHECKPOINT_RESTORE",
};

int capability_from_name(const char *name) {
        if (!name)
                return -EINVAL;
        /* CRI-O prefixes names that lack "CAP_" in any case and compares case-insensitively. */
        if (strncasecmp(name, "CAP_", 4) == 0)
                name += 4;
        if (*name == '\0')
                return -EINVAL;
        for (int i = 0; i < CAPABILITY_MAX; i++)
                if (strcasecmp(capability_names[i] + 4, name) == 0)
                        return i;
        return -EINVAL;
}

const char *capability_to_name(int cap) {
        if (cap < 0 || cap >= CAPABILITY_MAX)
                return NULL;
        return capability_names[cap];
}

int capability_last_cap(void) {
        _cleanup_(oci_fclosep) FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
        int last;

        if (!f || fscanf(f, "%d", &last) != 1 || last < 0)
                return CAPABILITY_MAX - 1;
        return MIN(last, CAPABILITY_MAX - 1);
}

uint64_t capability_bounding_set(void) {
        int last = capability_last_cap();
        uint64_t mask = 0;

        for (int cap = 0; cap <= last; cap++) {
                int r = prctl(PR_CAPBSET_READ, (unsigned long) cap, 0UL, 0UL, 0UL);

                /* EINVAL: a capability this kernel lacks after all; keep what we know we have. */
                if (r > 0)
                        mask |= CAPABILITY_BIT(cap);
        }
        return mask;
}

/* "CAP_SYS_RESOURCE CAP_BPF" into buf, for the debug log. */
static const char *mask_to_names(uint64_t mask, char *buf, size_t size) {
        size_t n = 0;

        buf[0] = '\0';
        for (int cap = 0; cap < CAPABILITY_MAX && n < size; cap++)
                if (mask & CAPABILITY_BIT(cap)) {
                        int k = snprintf(buf + n, size - n, "%s%s", n > 0 ? " " : "", capability_to_name(cap));

                        if (k < 0)
                                break;
                        n += (size_t) k;
                }
        return buf;
}

static void caps_bound(OciCapabilities *c, uint64_t bounding) {
        uint64_t cut = (c->bounding | c->effective | c->inheritable | c->permitted | c->ambient) & ~bounding;
        char names[CAPABILITY_MAX * 24];

        if (cut == 0)
                return;
        log_debug("Leaving out capabilities outside crio's bounding set: %s",
                  mask_to_names(cut, names, sizeof(names)));
        c->bounding &= bounding;
        c->effective &= bounding;
        c->inheritable &= bounding;
        c->permitted &= bounding;
        c->ambient &= bounding;
}

static bool is_all(const char *name) {
        return strcasecmp(name, "ALL") == 0;
}

static bool strv_has_all(char *const *l) {
        if (l)
                for (; *l; l++)
                        if (is_all(*l))
                                return true;
        return false;
}

/* Adds the names to *mask, skipping "ALL". */
static int mask_add_names(char *const *names, const char *what, uint64_t *mask) {
        if (!names)
                return 0;
        for (; *names; names++) {
                int cap;

                if (is_all(*names))
                        continue;
                cap = capability_from_name(*names);
                if (cap < 0)
                        return log_debug_errno(cap, "Unknown capability \"%s\" to %s.", *names, what);
                *mask |= CAPABILITY_BIT(cap);
        }
        return 0;
}

int capability_mask_from_names(char *const *names, uint64_t *ret) {
        uint64_t mask = 0;
        int r;

        if (strv_has_all(names))
                mask = CAPABILITY_ALL_MASK;
        r = mask_add_names(names, "use", &mask);
        if (r < 0)
                return r;
        *ret = mask;
        return 0;
}

int capabilities_resolve(const CapabilityRequest *req, OciCapabilities *ret) {
        int last = req->last_cap > 0 ? MIN(req->last_cap, CAPABILITY_MAX - 1) : capability_last_cap();
        uint64_t host = last >= CAPABILITY_MAX - 1 ? CAPABILITY_ALL_MASK : (CAPABILITY_BIT(last + 1) - 1);
        bool add_all = strv_has_all(req->add), drop_all = strv_has_all(req->drop);
        uint64_t add = 0, drop = 0, set = 0;
        int r;

        if (req->privileged) {
                *ret = (OciCapabilities) {
                        .bounding = host, .effective = host, .inheritable = host,
                        .permitted = host, .ambient = host,
                };
                caps_bound(ret, req->has_bounding ? req->bounding : capability_bounding_set());
                return 0;
        }

        r = mask_add_names(req->add, "add", &add);
        if (r < 0)
                return r;
        r = mask_add_names(req->drop, "drop", &drop);
        if (r < 0)
                return r;
        /* The defaults only count when neither list says ALL: "add ALL" already holds them, and
         * "drop ALL" means the pod wants only what it adds explicitly. */
        if (!add_all && !drop_all) {
                r = mask_add_names(req->defaults ?: (char *const *) capabilities_default, "add", &add);
                if (r < 0)
                        return r;
        }

        /* CRI-O's order: ALL first, then drop ALL, then the single additions, then the single drops. */
        if (add_all)
                set = host;
        if (drop_all)
                set = 0;
        set |= add;
        set &= ~drop;
        set &= host;

        *ret = (OciCapabilities) {
                .bounding = set,
                .effective = set,
                .permitted = set,
                .inheritable = req->add_inheritable ? set : 0,
        };
        caps_bound(ret, req->has_bounding ? req->bounding : capability_bounding_set());
        return 0;
}
