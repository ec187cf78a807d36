/* SPDX-License-Identifier: Apache-2.0 */

#include <string.h>

#include "capabilities.h"
#include "log.h"
#include "oci-util.h"
#include "seccomp-profile.h"
#include "tap.h"

static const SeccompSyscall *find_rule(const SeccompProfile *p, const char *name, SeccompAction action) {
        for (size_t i = 0; i < p->n_syscalls; i++)
                if (p->syscalls[i].action == action && strv_contains(p->syscalls[i].names, name))
                        return &p->syscalls[i];
        return NULL;
}

static int parse(const char *json, SeccompProfile **ret) {
        return seccomp_profile_parse(json, strlen(json), ret);
}

static void test_tables(void) {
        for (int i = 0; i < _SECCOMP_ACTION_MAX; i++)
                TAP_IS_INT(seccomp_action_from_string(seccomp_action_to_string(i)), i, "action %d", i);
        for (int i = 0; i < _SECCOMP_OPERATOR_MAX; i++)
                TAP_IS_INT(seccomp_operator_from_string(seccomp_operator_to_string(i)), i, "operator %d", i);
        TAP_IS_INT(seccomp_action_from_string("SCMP_ACT_DANCE"), -EINVAL, "unknown action");
        TAP_OK(seccomp_arch_name_is_valid("SCMP_ARCH_X86_64"), "x86_64 arch");
        TAP_OK(!seccomp_arch_name_is_valid("x86_64"), "arch needs the SCMP_ARCH_ name");
        TAP_OK(seccomp_syscall_name_known("unshare"), "libseccomp knows unshare");
        TAP_OK(!seccomp_syscall_name_known("no_such_syscall"), "libseccomp does not know no_such_syscall");
}

static void test_default(void) {
        _cleanup_(seccomp_profile_freep) SeccompProfile *p = NULL, *plain = NULL, *admin = NULL;
        uint64_t defaults = 0;
        const SeccompSyscall *s;

        TAP_IS_INT(seccomp_profile_default(&p), 0, "built-in profile parses");
        TAP_IS_INT(p->default_action, SECCOMP_ACTION_ERRNO, "default action errno");
        TAP_IS_INT(p->default_errno_ret, 38, "ENOSYS by default");
        TAP_OK(p->n_arch_map >= 7, "archMap");

        TAP_IS_INT(capability_mask_from_names((char *const *) capabilities_default, &defaults), 0, "default caps");
        TAP_IS_INT(seccomp_profile_resolve(p, &(SeccompTarget) { .capabilities = defaults, .arch = "amd64",
                                                                 .kernel_release = "6.1.0" }, 0, &plain),
                   0, "resolves for default capabilities");
        TAP_IS_INT(strv_length(plain->architectures), 3, "x86_64 with x86 and x32");
        TAP_IS_STR(plain->architectures[0], "SCMP_ARCH_X86_64", "native first");
        TAP_OK(!find_rule(plain, "unshare", SECCOMP_ACTION_ALLOW), "unshare not allowed without CAP_SYS_ADMIN");
        TAP_OK(find_rule(plain, "mount", SECCOMP_ACTION_ALLOW), "mount allowed (the kernel checks caps)");
        TAP_OK(find_rule(plain, "arch_prctl", SECCOMP_ACTION_ALLOW), "arch_prctl on amd64");
        TAP_OK(!find_rule(plain, "set_tls", SECCOMP_ACTION_ALLOW), "no ARM syscalls on amd64");
        s = find_rule(plain, "ptrace", SECCOMP_ACTION_ERRNO);
        TAP_OK(s && s->has_errno_ret && s->errno_ret == 1, "ptrace EPERM without CAP_SYS_PTRACE");
        s = find_rule(plain, "socket", SECCOMP_ACTION_ERRNO);
        TAP_OK(s && s->n_args == 2 && s->errno_ret == 22, "netlink audit sockets refused");
        for (size_t i = 0; i < plain->n_syscalls; i++)
                TAP_OK(plain->syscalls[i].includes.caps == NULL && plain->syscalls[i].excludes.caps == NULL,
                       "no filters left in rule %zu", i);

        TAP_IS_INT(seccomp_profile_resolve(p, &(SeccompTarget) { .capabilities = defaults | CAPABILITY_BIT(21),
                                                                 .arch = "amd64", .kernel_release = "6.1.0" },
                                           0, &admin), 0, "resolves with CAP_SYS_ADMIN");
        TAP_OK(find_rule(admin, "unshare", SECCOMP_ACTION_ALLOW), "unshare with CAP_SYS_ADMIN");
        TAP_OK(find_rule(admin, "setns", SECCOMP_ACTION_ALLOW), "setns with CAP_SYS_ADMIN");
        TAP_OK(!find_rule(admin, "bpf", SECCOMP_ACTION_ERRNO), "no bpf refusal with CAP_SYS_ADMIN");
}

static void test_filters(void) {
        _cleanup_(seccomp_profile_freep) SeccompProfile *p = NULL, *old = NULL, *new = NULL, *strict = NULL;
        static const char json[] =
                "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86_64\"],"
                "\"syscalls\":["
                "{\"names\":[\"getpid\",\"no_such_syscall\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1,"
                " \"includes\":{\"minKernel\":\"5.8\"}},"
                "{\"name\":\"getppid\",\"action\":\"SCMP_ACT_LOG\",\"excludes\":{\"minKernel\":\"5.8\"}},"
                "{\"names\":[\"no_such_syscall\"],\"action\":\"SCMP_ACT_KILL\"},"
                "{\"names\":[\"kill\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":1,\"value\":9,"
                " \"valueTwo\":0,\"op\":\"SCMP_CMP_EQ\"}],\"includes\":{\"arches\":[\"arm64\"]}},"
                "{\"names\":[\"kill\"],\"action\":\"SCMP_ACT_TRAP\",\"excludes\":{\"arches\":[\"arm64\"]}}"
                "]}";

        log_set_max_level(LOG_CRIT);
        TAP_IS_INT(parse(json, &p), 0, "filters profile parses");
        TAP_IS_INT(seccomp_profile_resolve(p, &(SeccompTarget) { .arch = "amd64", .kernel_release = "4.19.0" }, 0,
                                           &old), 0, "resolves on an old kernel");
        TAP_OK(!find_rule(old, "getpid", SECCOMP_ACTION_ERRNO), "minKernel include drops the rule on 4.19");
        TAP_OK(find_rule(old, "getppid", SECCOMP_ACTION_LOG), "minKernel exclude keeps the rule on 4.19");
        TAP_OK(find_rule(old, "kill", SECCOMP_ACTION_TRAP), "arch exclude keeps on amd64");
        TAP_OK(!find_rule(old, "kill", SECCOMP_ACTION_ERRNO), "arch include drops on amd64");
        TAP_IS_INT(old->n_syscalls, 2, "the unknown-only rule is dropped");
        TAP_IS_INT(seccomp_profile_resolve(p, &(SeccompTarget) { .arch = "arm64", .kernel_release = "6.1.0" }, 0,
                                           &new), 0, "resolves on arm64 and a new kernel");
        TAP_OK(find_rule(new, "getpid", SECCOMP_ACTION_ERRNO), "minKernel include keeps on 6.1");
        TAP_IS_INT(strv_length(find_rule(new, "getpid", SECCOMP_ACTION_ERRNO)->names), 1,
                   "unknown name dropped");
        TAP_OK(!find_rule(new, "getppid", SECCOMP_ACTION_LOG), "minKernel exclude drops on 6.1");
        TAP_OK(find_rule(new, "kill", SECCOMP_ACTION_ERRNO)->args[0].value == 9, "args kept");
        TAP_IS_STR(new->architectures[0], "SCMP_ARCH_X86_64", "explicit architectures copied");
        TAP_IS_INT(seccomp_profile_resolve(p, &(SeccompTarget) { .kernel_release = "6.1.0" },
                                           SECCOMP_RESOLVE_STRICT_NAMES, &strict), -EINVAL,
                   "strict names refuse an unknown syscall");
}

static void test_malformed(void) {
        static const char *const bad[] = {
                "",
                "[]",
                "{}",
                "{\"defaultAction\":\"SCMP_ACT_DANCE\"}",
                "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"x86_64\"]}",
                "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86_64\"],"
                "\"archMap\":[{\"architecture\":\"SCMP_ARCH_X86_64\"}]}",
                "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"name\":\"a\",\"names\":[\"b\"],"
                "\"action\":\"SCMP_ACT_ALLOW\"}]}",
                "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[],\"action\":\"SCMP_ACT_ALLOW\"}]}",
                "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"]}]}",
                "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
                "\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":6,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}",
                "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
                "\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_NEAR\"}]}]}",
                "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":-1}",
                "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[1]}",
                "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
                "\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"caps\":\"CAP_X\"}}]}",
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                SeccompProfile *p = NULL;

                TAP_IS_INT(parse(bad[i], &p), -EBADMSG, "malformed profile %zu refused", i);
                TAP_OK(!p, "no profile returned for %zu", i);
        }
}

int main(void) {
        test_tables();
        test_default();
        test_filters();
        test_malformed();
        return tap_done();
}
