/* SPDX-License-Identifier: Apache-2.0 */
#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "config.h"
#include "log.h"
#include "strv.h"
#include "pod.h"
#include "systemd-manager.h"

static const char *const pod_state_table[_POD_STATE_MAX] = {
        [POD_STATE_CREATING] = "creating",
        [POD_STATE_READY] = "ready",
        [POD_STATE_NOTREADY] = "notready",
};

const char *pod_state_to_string(PodState s) {
        return s >= 0 && s < _POD_STATE_MAX ? pod_state_table[s] : NULL;
}

PodState pod_state_from_string(const char *s) {
        for (PodState i = 0; s && i < _POD_STATE_MAX; i++)
                if (strcmp(pod_state_table[i], s) == 0)
                        return i;
        return _POD_STATE_INVALID;
}

static const char *const pod_namespace_mode_table[_POD_NAMESPACE_MODE_MAX] = {
        [POD_NAMESPACE_POD] = "pod",
        [POD_NAMESPACE_CONTAINER] = "container",
        [POD_NAMESPACE_NODE] = "node",
        [POD_NAMESPACE_TARGET] = "target",
};

const char *pod_namespace_mode_to_string(PodNamespaceMode m) {
        return m >= 0 && m < _POD_NAMESPACE_MODE_MAX ? pod_namespace_mode_table[m] : NULL;
}

PodNamespaceMode pod_namespace_mode_from_string(const char *s) {
        for (PodNamespaceMode i = 0; s && i < _POD_NAMESPACE_MODE_MAX; i++)
                if (strcmp(pod_namespace_mode_table[i], s) == 0)
                        return i;
        return _POD_NAMESPACE_MODE_INVALID;
}

void pod_resources_done(PodResources *r) {
        r->cpuset_cpus = mfree(r->cpuset_cpus);
        r->cpuset_mems = mfree(r->cpuset_mems);
}

int pod_resources_copy(const PodResources *from, PodResources *to) {
        PodResources c = *from;

        c.cpuset_cpus = from->cpuset_cpus ? strdup(from->cpuset_cpus) : NULL;
        c.cpuset_mems = from->cpuset_mems ? strdup(from->cpuset_mems) : NULL;
        if ((from->cpuset_cpus && !c.cpuset_cpus) || (from->cpuset_mems && !c.cpuset_mems)) {
                pod_resources_done(&c);
                return -ENOMEM;
        }
        pod_resources_done(to);
        *to = c;
        return 0;
}

void pod_config_done(PodConfig *c) {
        free(c->name);
        free(c->namespace);
        free(c->uid);
        free(c->hostname);
        free(c->log_directory);
        strv_free(c->dns_servers);
        strv_free(c->dns_searches);
        strv_free(c->dns_options);
        for (size_t i = 0; i < c->n_port_mappings; i++) {
                free(c->port_mappings[i].protocol);
                free(c->port_mappings[i].host_ip);
        }
        free(c->port_mappings);
        strv_free(c->labels);
        strv_free(c->annotations);
        free(c->cgroup_parent);
        strv_free(c->sysctls);
        pod_resources_done(&c->overhead);
        pod_resources_done(&c->resources);
        free(c->runtime_handler);
        *c = (PodConfig) {};
}

int pod_id_new(char **ret) {
        uint8_t b[32];
        char *s;

        if (getrandom(b, sizeof(b), 0) != (ssize_t) sizeof(b))
                return -EIO;
        s = malloc(sizeof(b) * 2 + 1);
        if (!s)
                return -ENOMEM;
        for (size_t i = 0; i < sizeof(b); i++)
                sprintf(s + 2 * i, "%02x", b[i]);
        *ret = s;
        return 0;
}

int pod_build_name(const char *name, const char *namespace, const char *uid, uint32_t attempt, char **ret) {
        if (!name || !*name || !namespace || !*namespace || !uid || !*uid)
                return -EINVAL;
        if (asprintf(ret, "k8s_POD_%s_%s_%s_%u", name, namespace, uid, attempt) < 0)
                return -ENOMEM;
        return 0;
}

const char *pod_strv_pair_get(char *const *pairs, const char *key) {
        for (char *const *p = pairs; p && p[0] && p[1]; p += 2)
                if (strcmp(p[0], key) == 0)
                        return p[1];
        return NULL;
}

bool pod_labels_match(char *const *labels, char *const *selector) {
        for (char *const *s = selector; s && s[0] && s[1]; s += 2) {
                const char *v = pod_strv_pair_get(labels, s[0]);

                if (!v || strcmp(v, s[1]) != 0)
                        return false;
        }
        return true;
}

bool pod_is_host_network(const Pod *p) {
        return p->config.network_mode == POD_NAMESPACE_NODE;
}

bool pod_is_host_ipc(const Pod *p) {
        return p->config.ipc_mode == POD_NAMESPACE_NODE;
}

bool pod_needs_infra(const Pod *p, bool drop_infra_ctr) {
        return !drop_infra_ctr || p->config.pid_mode == POD_NAMESPACE_POD;
}

int pod_new(struct Manager *m, PodConfig *config, Pod **ret) {
        _cleanup_(pod_unrefp) Pod *p = NULL;
        struct timespec ts;
        int r;

        p = calloc(1, sizeof(Pod));
        if (!p)
                return -ENOMEM;
        p->n_ref = 1;
        p->manager = m;
        p->state = POD_STATE_CREATING;
        p->config = *config;
        *config = (PodConfig) {};

        r = pod_id_new(&p->id);
        if (r < 0)
                return r;
        r = pod_build_name(p->config.name, p->config.namespace, p->config.uid, p->config.attempt, &p->name);
        if (r < 0)
                return r;
        if (asprintf(&p->log_fields[0], "POD_ID=%s", p->id) < 0 ||
            asprintf(&p->log_fields[1], "POD_NAME=%s", p->config.name) < 0 ||
            asprintf(&p->log_fields[2], "POD_NAMESPACE=%s", p->config.namespace) < 0)
                return -ENOMEM;

        (void) clock_gettime(CLOCK_REALTIME, &ts);
        p->created_at = (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
        *ret = TAKE_PTR(p);
        return 0;
}

Pod *pod_ref(Pod *p) {
        if (p)
                p->n_ref++;
        return p;
}

static Pod *pod_free(Pod *p) {
        unit_watch_free(p->slice_watch);
        pod_config_done(&p->config);
        free(p->id);
        free(p->name);
        free(p->runtime_handler);
        for (size_t i = 0; i < ELEMENTSOF(p->log_fields); i++)
                free(p->log_fields[i]);
        free(p->slice);
        free(p->netns_path);
        free(p->ipcns_path);
        free(p->utsns_path);
        free(p->run_dir);
        free(p->resolv_path);
        free(p->hostname_path);
        free(p->shm_path);
        free(p->network_name);
        free(p->network_result);
        strv_free(p->ips);
        return mfree(p);
}

Pod *pod_unref(Pod *p) {
        if (!p)
                return NULL;
        assert(p->n_ref > 0);
        if (--p->n_ref > 0)
                return NULL;
        return pod_free(p);
}
