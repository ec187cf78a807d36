/* SPDX-License-Identifier: Apache-2.0 */

#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "capabilities.h"
#include "log.h"
#include "oci-util.h"
#include "seccomp-profile.h"

static const char *const action_table[_SECCOMP_ACTION_MAX] = {
        [SECCOMP_ACTION_KILL] = "SCMP_ACT_KILL",
        [SECCOMP_ACTION_KILL_PROCESS] = "SCMP_ACT_KILL_PROCESS",
        [SECCOMP_ACTION_KILL_THREAD] = "SCMP_ACT_KILL_THREAD",
        [SECCOMP_ACTION_TRAP] = "SCMP_ACT_TRAP",
        [SECCOMP_ACTION_ERRNO] = "SCMP_ACT_ERRNO",
        [SECCOMP_ACTION_TRACE] = "SCMP_ACT_TRACE",
        [SECCOMP_ACTION_ALLOW] = "SCMP_ACT_ALLOW",
        [SECCOMP_ACTION_LOG] = "SCMP_ACT_LOG",
        [SECCOMP_ACTION_NOTIFY] = "SCMP_ACT_NOTIFY",
};

static const char *const operator_table[_SECCOMP_OPERATOR_MAX] = {
        [SECCOMP_OPERATOR_NOT_EQUAL] = "SCMP_CMP_NE",
        [SECCOMP_OPERATOR_LESS_THAN] = "SCMP_CMP_LT",
        [SECCOMP_OPERATOR_LESS_EQUAL] = "SCMP_CMP_LE",
        [SECCOMP_OPERATOR_EQUAL_TO] = "SCMP_CMP_EQ",
        [SECCOMP_OPERATOR_GREATER_EQUAL] = "SCMP_CMP_GE",
        [SECCOMP_OPERATOR_GREATER_THAN] = "SCMP_CMP_GT",
        [SECCOMP_OPERATOR_MASKED_EQUAL] = "SCMP_CMP_MASKED_EQ",
};

/* The architectures of config-linux.md, with the Go name of each where Go has one. */
static const struct {
        const char *seccomp;
        const char *go;
} arch_table[] = {
        { "SCMP_ARCH_X86", "386" },
        { "SCMP_ARCH_X86_64", "amd64" },
        { "SCMP_ARCH_X32", NULL },
        { "SCMP_ARCH_ARM", "arm" },
        { "SCMP_ARCH_AARCH64", "arm64" },
        { "SCMP_ARCH_MIPS", "mips" },
        { "SCMP_ARCH_MIPS64", "mips64" },
        { "SCMP_ARCH_MIPS64N32", NULL },
        { "SCMP_ARCH_MIPSEL", "mipsle" },
        { "SCMP_ARCH_MIPSEL64", "mips64le" },
        { "SCMP_ARCH_MIPSEL64N32", NULL },
        { "SCMP_ARCH_PPC", "ppc" },
        { "SCMP_ARCH_PPC64", "ppc64" },
        { "SCMP_ARCH_PPC64LE", "ppc64le" },
        { "SCMP_ARCH_S390", "s390" },
        { "SCMP_ARCH_S390X", "s390x" },
        { "SCMP_ARCH_PARISC", NULL },
        { "SCMP_ARCH_PARISC64", NULL },
        { "SCMP_ARCH_RISCV64", "riscv64" },
        { "SCMP_ARCH_LOONGARCH64", "loong64" },
};

const char *seccomp_action_to_string(SeccompAction a) {
        return a >= 0 && a < _SECCOMP_ACTION_MAX ? action_table[a] : NULL;
}

SeccompAction seccomp_action_from_string(const char *s) {
        if (s)
                for (int i = 0; i < _SECCOMP_ACTION_MAX; i++)
                        if (strcmp(action_table[i], s) == 0)
                                return i;
        return _SECCOMP_ACTION_INVALID;
}

const char *seccomp_operator_to_string(SeccompOperator o) {
        return o >= 0 && o < _SECCOMP_OPERATOR_MAX ? operator_table[o] : NULL;
}

SeccompOperator seccomp_operator_from_string(const char *s) {
        if (s)
                for (int i = 0; i < _SECCOMP_OPERATOR_MAX; i++)
                        if (strcmp(operator_table[i], s) == 0)
                                return i;
        return _SECCOMP_OPERATOR_INVALID;
}

bool seccomp_arch_name_is_valid(const char *s) {
        if (s)
                for (size_t i = 0; i < ELEMENTSOF(arch_table); i++)
                        if (strcmp(arch_table[i].seccomp, s) == 0)
                                return true;
        return false;
}

const char *seccomp_native_arch_go(void) {
#if defined(__x86_64__)
        return "amd64";
#elif defined(__aarch64__)
        return "arm64";
#elif defined(__i386__)
        return "386";
#elif defined(__arm__)
        return "arm";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        return "ppc64le";
#elif defined(__s390x__)
        return "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
        return "riscv64";
#else
        return "unknown";
#endif
}

static const char *arch_go_to_seccomp(const char *go) {
        for (size_t i = 0; i < ELEMENTSOF(arch_table); i++)
                if (arch_table[i].go && strcmp(arch_table[i].go, go) == 0)
                        return arch_table[i].seccomp;
        return NULL;
}

const char *seccomp_native_arch(void) {
        return arch_go_to_seccomp(seccomp_native_arch_go());
}

bool seccomp_syscall_name_known(const char *name) {
        return name && seccomp_syscall_resolve_name(name) != __NR_SCMP_ERROR;
}

static void filter_done(SeccompFilter *f) {
        f->caps = strv_free(f->caps);
        f->arches = strv_free(f->arches);
        f->min_kernel = mfree(f->min_kernel);
}

SeccompProfile *seccomp_profile_free(SeccompProfile *p) {
        if (!p)
                return NULL;
        strv_free(p->architectures);
        for (size_t i = 0; i < p->n_arch_map; i++) {
                free(p->arch_map[i].arch);
                strv_free(p->arch_map[i].sub_arches);
        }
        free(p->arch_map);
        strv_free(p->flags);
        free(p->listener_path);
        free(p->listener_metadata);
        for (size_t i = 0; i < p->n_syscalls; i++) {
                SeccompSyscall *s = &p->syscalls[i];

                strv_free(s->names);
                free(s->args);
                filter_done(&s->includes);
                filter_done(&s->excludes);
        }
        free(p->syscalls);
        return mfree(p);
}

/* "5.8.0-foo" ≥ "5.8"? Only major and minor count, as in containers/common. */
static int kernel_at_least(const char *release, const char *min, bool *ret) {
        unsigned rmaj, rmin = 0, mmaj, mmin = 0;

        if (sscanf(min, "%u.%u", &mmaj, &mmin) < 1)
                return log_debug_errno(EINVAL, "Invalid minKernel \"%s\".", min);
        if (sscanf(release, "%u.%u", &rmaj, &rmin) < 1)
                return log_debug_errno(EINVAL, "Cannot parse kernel release \"%s\".", release);
        *ret = rmaj > mmaj || (rmaj == mmaj && rmin >= mmin);
        return 0;
}

static bool cap_in(uint64_t caps, const char *name) {
        int c = capability_from_name(name);

        return c >= 0 && (caps & CAPABILITY_BIT(c));
}

/* Whether the rule applies to the target, by containers/common's rules: any excluded capability
 * present, excluded arch, or a kernel at least excludes.minKernel drops it; every included
 * capability, an included arch and a kernel at least includes.minKernel are needed to keep it. */
static int syscall_applies(const SeccompSyscall *s, const SeccompTarget *t, const char *arch,
                           const char *release, bool *ret) {
        bool ge;
        int r;

        *ret = false;
        if (s->excludes.arches && strv_contains(s->excludes.arches, arch))
                return 0;
        if (s->excludes.caps)
                for (char **c = s->excludes.caps; *c; c++)
                        if (cap_in(t->capabilities, *c))
                                return 0;
        if (s->excludes.min_kernel) {
                r = kernel_at_least(release, s->excludes.min_kernel, &ge);
                if (r < 0)
                        return r;
                if (ge)
                        return 0;
        }
        if (s->includes.arches && s->includes.arches[0] && !strv_contains(s->includes.arches, arch))
                return 0;
        if (s->includes.caps)
                for (char **c = s->includes.caps; *c; c++)
                        if (!cap_in(t->capabilities, *c))
                                return 0;
        if (s->includes.min_kernel) {
                r = kernel_at_least(release, s->includes.min_kernel, &ge);
                if (r < 0)
                        return r;
                if (!ge)
                        return 0;
        }
        *ret = true;
        return 0;
}

static int names_filter(char *const *names, SeccompResolveFlags flags, char ***ret) {
        _cleanup_(strv_freep) char **out = calloc(1, sizeof(char *));
        int r;

        if (!out)
                return -ENOMEM;
        for (char *const *n = names; n && *n; n++) {
                if (!seccomp_syscall_name_known(*n)) {
                        if (flags & SECCOMP_RESOLVE_STRICT_NAMES)
                                return log_debug_errno(EINVAL, "Unknown syscall \"%s\" in seccomp profile.", *n);
                        /* What runc and crun do as well: a profile may name syscalls newer than
                         * the libseccomp at hand. */
                        log_debug("Syscall \"%s\" is unknown to libseccomp %u.%u, leaving it out.", *n,
                                  seccomp_version()->major, seccomp_version()->minor);
                        continue;
                }
                r = strv_push(&out, *n);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(out);
        return 0;
}

int seccomp_profile_resolve(const SeccompProfile *p, const SeccompTarget *target, SeccompResolveFlags flags,
                            SeccompProfile **ret) {
        _cleanup_(seccomp_profile_freep) SeccompProfile *o = NULL;
        const char *arch = target->arch ?: seccomp_native_arch_go();
        const char *native = arch_go_to_seccomp(arch);
        struct utsname u;
        const char *release = target->kernel_release;
        int r;

        if (!release) {
                if (uname(&u) < 0)
                        return -errno;
                release = u.release;
        }
        if (p->architectures && p->n_arch_map > 0)
                return log_debug_errno(EINVAL, "Seccomp profile has both architectures and archMap.");

        o = calloc(1, sizeof(SeccompProfile));
        if (!o)
                return -ENOMEM;
        o->default_action = p->default_action;
        o->has_default_errno_ret = p->has_default_errno_ret;
        o->default_errno_ret = p->default_errno_ret;
        if ((p->listener_path && !(o->listener_path = strdup(p->listener_path))) ||
            (p->listener_metadata && !(o->listener_metadata = strdup(p->listener_metadata))))
                return -ENOMEM;
        if (p->flags) {
                r = strv_copy(p->flags, &o->flags);
                if (r < 0)
                        return r;
        }

        r = strv_copy(p->architectures, &o->architectures);
        if (r < 0)
                return r;
        for (size_t i = 0; native && i < p->n_arch_map; i++) {
                if (strcmp(p->arch_map[i].arch, native) != 0)
                        continue;
                r = strv_push(&o->architectures, p->arch_map[i].arch);
                if (r < 0)
                        return r;
                for (char **s = p->arch_map[i].sub_arches; s && *s; s++) {
                        r = strv_push(&o->architectures, *s);
                        if (r < 0)
                                return r;
                }
        }

        o->syscalls = calloc(MAX(p->n_syscalls, 1U), sizeof(SeccompSyscall));
        if (!o->syscalls)
                return -ENOMEM;
        for (size_t i = 0; i < p->n_syscalls; i++) {
                const SeccompSyscall *s = &p->syscalls[i];
                SeccompSyscall *d = &o->syscalls[o->n_syscalls];
                bool applies;

                r = syscall_applies(s, target, arch, release, &applies);
                if (r < 0)
                        return r;
                if (!applies)
                        continue;
                r = names_filter(s->names, flags, &d->names);
                if (r < 0)
                        return r;
                if (!d->names[0]) {
                        d->names = strv_free(d->names);
                        continue;
                }
                d->action = s->action;
                d->has_errno_ret = s->has_errno_ret;
                d->errno_ret = s->errno_ret;
                if (s->n_args > 0) {
                        d->args = calloc(s->n_args, sizeof(SeccompArg));
                        if (!d->args) {
                                d->names = strv_free(d->names);
                                return -ENOMEM;
                        }
                        memcpy(d->args, s->args, s->n_args * sizeof(SeccompArg));
                        d->n_args = s->n_args;
                }
                o->n_syscalls++;
        }
        *ret = TAKE_PTR(o);
        return 0;
}

int seccomp_profile_default(SeccompProfile **ret) {
        return seccomp_profile_parse(seccomp_default_json, seccomp_default_json_size, ret);
}
