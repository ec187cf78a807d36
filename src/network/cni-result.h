/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* What CNI plugins print: a result (0.1.0 up to 1.1.0, converted into one shape) or an error. */

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

typedef struct CniInterface {
        char *name;
        char *mac;
        /* The netns path for interfaces inside the container, NULL on the host side. */
        char *sandbox;
        unsigned mtu;
} CniInterface;

typedef struct CniIpConfig {
        int family;             /* AF_INET or AF_INET6 */
        char *address;          /* CIDR, "10.88.0.5/16" */
        char *gateway;          /* NULL if none */
        int interface;          /* index into interfaces, -1 if not given */
} CniIpConfig;

typedef struct CniRoute {
        char *dst;              /* CIDR */
        char *gw;               /* NULL for the default gateway */
} CniRoute;

typedef struct CniDns {
        char **nameservers;
        char *domain;
        char **search;
        char **options;
} CniDns;

typedef struct CniResult {
        char *cni_version;
        CniInterface *interfaces;
        size_t n_interfaces;
        CniIpConfig *ips;
        size_t n_ips;
        CniRoute *routes;
        size_t n_routes;
        CniDns dns;
        /* The result as the plugin printed it: passed on as prevResult and cached. */
        char *json;
} CniResult;

typedef struct CniError {
        unsigned code;          /* 0: no structured error was printed */
        char *msg;
        char *details;
} CniError;

/* Well-known error codes of the spec. */
enum {
        CNI_ERROR_INCOMPATIBLE_VERSION = 1,
        CNI_ERROR_UNSUPPORTED_FIELD = 2,
        CNI_ERROR_UNKNOWN_CONTAINER = 3,
        CNI_ERROR_INVALID_ENVIRONMENT = 4,
        CNI_ERROR_IO = 5,
        CNI_ERROR_DECODE = 6,
        CNI_ERROR_INVALID_NETWORK_CONFIG = 7,
        CNI_ERROR_TRY_AGAIN_LATER = 11,
};

/* Parses a result of any supported version: 0.1.0/0.2.0 (ip4/ip6), 0.3.x/0.4.0 (ips with
 * "version"), 1.x (ips without). -EBADMSG for anything malformed. */
int cni_result_parse(const char *json, size_t size, CniResult **ret);
CniResult *cni_result_free(CniResult *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(CniResult *, cni_result_free);

/* The pod's addresses, without prefix length, in result order, without duplicates: those on
 * interfaces inside the sandbox, or on no named interface. A NULL-terminated array. */
int cni_result_get_pod_ips(const CniResult *r, char ***ret);

/* Parses an error object {"code": N, "msg": "...", "details": "..."}. */
int cni_error_parse(const char *json, size_t size, CniError *ret);
void cni_error_done(CniError *e);
/* A one-line text for logs and the CRI error message: "msg: details (code N)". */
int cni_error_format(const CniError *e, char **ret);
