/* SPDX-License-Identifier: Apache-2.0 */
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "cni-watch.h"
#include "config.h"
#include "log.h"
#include "strv.h"
#include "manager.h"
#include "pod-files.h"
#include "pod-network.h"
#include "unit-name.h"

static int bandwidth_from_annotations(const Pod *p, CniBandwidth *bw) {
        const char *in = pod_strv_pair_get(p->config.annotations, POD_INGRESS_BANDWIDTH_ANNOTATION),
                   *out = pod_strv_pair_get(p->config.annotations, POD_EGRESS_BANDWIDTH_ANNOTATION);
        int r;

        if (!in && !out)
                return 0;
        /* No burst limit, as CRI-O sets it. */
        if (in) {
                r = pod_quantity_parse(in, &bw->ingress_rate);
                if (r < 0)
                        return r;
                bw->ingress_burst = INT32_MAX;
        }
        if (out) {
                r = pod_quantity_parse(out, &bw->egress_rate);
                if (r < 0)
                        return r;
                bw->egress_burst = INT32_MAX;
        }
        return 1;
}

int pod_network_add(Pod *p, CniOperationHandler handler, void *userdata, CniOperation **ret) {
        Manager *m = p->manager;
        _cleanup_free_ CniPortMapping *ports = NULL;
        _cleanup_free_ char *cgroup_path = NULL;
        char **args = NULL;
        CniBandwidth bandwidth = {};
        CniDnsConfig dns = {
                .servers = p->config.dns_servers,
                .searches = p->config.dns_searches,
                .options = p->config.dns_options,
        };
        CniNetwork *network = m->cni_watch ? cni_watch_get_network(m->cni_watch) : NULL;
        size_t n_ports = 0;
        int r;

        if (!network)
                return -ENETDOWN;

        ports = calloc(MAX(p->config.n_port_mappings, 1U), sizeof(CniPortMapping));
        if (!ports)
                return -ENOMEM;
        for (size_t i = 0; i < p->config.n_port_mappings; i++) {
                const PodPortMapping *pm = &p->config.port_mappings[i];

                /* A mapping without a host port is only informational, as in CRI-O. */
                if (pm->host_port == 0)
                        continue;
                ports[n_ports++] = (CniPortMapping) {
                        .host_port = pm->host_port,
                        .container_port = pm->container_port,
                        .protocol = pm->protocol,
                        .host_ip = pm->host_ip && *pm->host_ip ? pm->host_ip : NULL,
                };
        }

        r = bandwidth_from_annotations(p, &bandwidth);
        if (r < 0)
                return r;
        (void) slice_name_to_cgroup_path(p->slice, &cgroup_path);

        r = cni_args_new_k8s(p->config.namespace, p->config.name, p->id, p->config.uid, &args);
        if (r < 0)
                return r;

        free(p->network_name);
        p->network_name = strdup(network->name);
        if (!p->network_name) {
                strv_free(args);
                return -ENOMEM;
        }
        r = cni_exec_add(m->cni_exec, network, &(CniRuntimeConf) {
                        .container_id = p->id,
                        .netns = p->netns_path,
                        .args = args,
                        .port_mappings = ports,
                        .n_port_mappings = n_ports,
                        .bandwidth = r > 0 ? &bandwidth : NULL,
                        .dns = &dns,
                        .cgroup_path = cgroup_path,
                }, handler, userdata, ret);
        strv_free(args);
        return r;
}

int pod_network_take_result(Pod *p, const CniOperation *op) {
        const CniResult *result = cni_operation_get_result(op);
        _cleanup_strv_free_ char **ips = NULL;
        int r;

        if (!result)
                return 0;
        r = cni_result_get_pod_ips(result, &ips);
        if (r < 0)
                return r;
        strv_free(p->ips);
        p->ips = TAKE_PTR(ips);
        free(p->network_result);
        p->network_result = result->json ? strdup(result->json) : NULL;
        return 0;
}

int pod_network_del_by_id(Manager *m, const char *network_name, const char *id, const char *netns,
                          CniOperationHandler handler, void *userdata, CniOperation **ret) {
        CniNetwork *network = m->cni_watch ? cni_watch_get_network(m->cni_watch) : NULL;

        /* The cache has the config the ADD used; the current one stands in when the ADD never
         * finished (no cache entry), if it is the same network. */
        if (network && network_name && strcmp(network->name, network_name) != 0)
                network = NULL;
        return cni_exec_del(m->cni_exec, network, network_name, &(CniRuntimeConf) {
                        .container_id = id,
                        .netns = netns && access(netns, F_OK) >= 0 ? netns : "",
                }, handler, userdata, ret);
}

int pod_network_del(Pod *p, CniOperationHandler handler, void *userdata, CniOperation **ret) {
        return pod_network_del_by_id(p->manager, p->network_name, p->id, p->netns_path, handler, userdata, ret);
}
