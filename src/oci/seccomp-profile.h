/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* seccomp profiles in the Docker/containers-common JSON format, and their resolution into the OCI
 * spec's linux.seccomp for one container: architectures from archMap for the host, rules kept or
 * dropped by includes/excludes (capabilities, architectures, minimum kernel), syscall names checked
 * against libseccomp. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

typedef enum SeccompAction {
        SECCOMP_ACTION_KILL,
        SECCOMP_ACTION_KILL_PROCESS,
        SECCOMP_ACTION_KILL_THREAD,
        SECCOMP_ACTION_TRAP,
        SECCOMP_ACTION_ERRNO,
        SECCOMP_ACTION_TRACE,
        SECCOMP_ACTION_ALLOW,
        SECCOMP_ACTION_LOG,
        SECCOMP_ACTION_NOTIFY,
        _SECCOMP_ACTION_MAX,
        _SECCOMP_ACTION_INVALID = -EINVAL,
} SeccompAction;

typedef enum SeccompOperator {
        SECCOMP_OPERATOR_NOT_EQUAL,
        SECCOMP_OPERATOR_LESS_THAN,
        SECCOMP_OPERATOR_LESS_EQUAL,
        SECCOMP_OPERATOR_EQUAL_TO,
        SECCOMP_OPERATOR_GREATER_EQUAL,
        SECCOMP_OPERATOR_GREATER_THAN,
        SECCOMP_OPERATOR_MASKED_EQUAL,
        _SECCOMP_OPERATOR_MAX,
        _SECCOMP_OPERATOR_INVALID = -EINVAL,
} SeccompOperator;

/* "SCMP_ACT_ALLOW", "SCMP_CMP_EQ", ... */
const char *seccomp_action_to_string(SeccompAction a) _const_;
SeccompAction seccomp_action_from_string(const char *s) _pure_;
const char *seccomp_operator_to_string(SeccompOperator o) _const_;
SeccompOperator seccomp_operator_from_string(const char *s) _pure_;
/* "SCMP_ARCH_X86_64" and the others the OCI spec lists. */
bool seccomp_arch_name_is_valid(const char *s) _pure_;
/* The host's architecture as seccomp ("SCMP_ARCH_X86_64") and as Go ("amd64") name it. */
const char *seccomp_native_arch(void) _const_;
const char *seccomp_native_arch_go(void) _const_;

typedef struct SeccompArg {
        unsigned index;
        uint64_t value;
        uint64_t value_two;
        SeccompOperator op;
} SeccompArg;

typedef struct SeccompFilter {
        char **caps;                    /* "CAP_SYS_ADMIN", ... */
        char **arches;                  /* Go names: "amd64", "arm64", ... */
        char *min_kernel;               /* "5.8" */
} SeccompFilter;

typedef struct SeccompSyscall {
        char **names;
        SeccompAction action;
        bool has_errno_ret;
        uint32_t errno_ret;
        SeccompArg *args;
        size_t n_args;
        SeccompFilter includes;
        SeccompFilter excludes;
} SeccompSyscall;

typedef struct SeccompArchMap {
        char *arch;
        char **sub_arches;
} SeccompArchMap;

typedef struct SeccompProfile {
        SeccompAction default_action;
        bool has_default_errno_ret;
        uint32_t default_errno_ret;
        char **architectures;
        SeccompArchMap *arch_map;
        size_t n_arch_map;
        char **flags;
        char *listener_path;
        char *listener_metadata;
        SeccompSyscall *syscalls;
        size_t n_syscalls;
} SeccompProfile;

SeccompProfile *seccomp_profile_free(SeccompProfile *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(SeccompProfile *, seccomp_profile_free);

/* Parses a profile; -EBADMSG for malformed JSON, unknown actions, operators or architectures,
 * "name" together with "names", or both "architectures" and "archMap" (logged at debug level). */
int seccomp_profile_parse(const char *json, size_t size, SeccompProfile **ret);
/* The built-in RuntimeDefault profile (conf/seccomp.json, compiled in). */
int seccomp_profile_default(SeccompProfile **ret);
extern const char seccomp_default_json[];
extern const size_t seccomp_default_json_size;

typedef enum SeccompResolveFlags {
        /* A syscall name libseccomp does not know is an error instead of being dropped. */
        SECCOMP_RESOLVE_STRICT_NAMES = 1 << 0,
} SeccompResolveFlags;

typedef struct SeccompTarget {
        uint64_t capabilities;          /* the container's bounding set (capabilities.h bits) */
        const char *arch;               /* Go name; NULL: the host's */
        const char *kernel_release;     /* "6.1.0-18-amd64"; NULL: uname() */
} SeccompTarget;

/* The OCI linux.seccomp section for one container: a profile without archMap and filters. */
int seccomp_profile_resolve(const SeccompProfile *p, const SeccompTarget *target, SeccompResolveFlags flags,
                            SeccompProfile **ret);

/* Whether libseccomp knows the syscall name on some architecture. */
bool seccomp_syscall_name_known(const char *name);
