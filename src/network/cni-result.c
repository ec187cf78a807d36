/* SPDX-License-Identifier: Apache-2.0 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cni-result.h"
#include "cni-util.h"

CniResult *cni_result_free(CniResult *r) {
        if (!r)
                return NULL;
        for (size_t i = 0; i < r->n_interfaces; i++) {
                free(r->interfaces[i].name);
                free(r->interfaces[i].mac);
                free(r->interfaces[i].sandbox);
        }
        free(r->interfaces);
        for (size_t i = 0; i < r->n_ips; i++) {
                free(r->ips[i].address);
                free(r->ips[i].gateway);
        }
        free(r->ips);
        for (size_t i = 0; i < r->n_routes; i++) {
                free(r->routes[i].dst);
                free(r->routes[i].gw);
        }
        free(r->routes);
        strv_free(r->dns.nameservers);
        free(r->dns.domain);
        strv_free(r->dns.search);
        strv_free(r->dns.options);
        free(r->cni_version);
        free(r->json);
        return mfree(r);
}

int cni_result_get_pod_ips(const CniResult *r, char ***ret) {
        _cleanup_(strv_freep) char **ips = NULL;

        ips = calloc(1, sizeof(char *));
        if (!ips)
                return -ENOMEM;
        for (size_t i = 0; i < r->n_ips; i++) {
                const CniIpConfig *ip = &r->ips[i];
                _cleanup_free_ char *a = NULL;
                int k;

                /* Addresses on the host side of a veth (no sandbox) are not the pod's. */
                if (ip->interface >= 0 && (size_t) ip->interface < r->n_interfaces &&
                    !r->interfaces[ip->interface].sandbox)
                        continue;
                a = strndup(ip->address, strcspn(ip->address, "/"));
                if (!a)
                        return -ENOMEM;
                if (strv_contains(ips, a))
                        continue;
                k = strv_push(&ips, a);
                if (k < 0)
                        return k;
        }
        *ret = TAKE_PTR(ips);
        return 0;
}

void cni_error_done(CniError *e) {
        if (!e)
                return;
        e->msg = mfree(e->msg);
        e->details = mfree(e->details);
        e->code = 0;
}

int cni_error_format(const CniError *e, char **ret) {
        int r;

        if (e->details && e->details[0])
                r = asprintf(ret, "%s: %s (code %u)", e->msg ?: "error", e->details, e->code);
        else
                r = asprintf(ret, "%s (code %u)", e->msg ?: "error", e->code);
        return r < 0 ? -ENOMEM : 0;
}
