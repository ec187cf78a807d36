/* SPDX-License-Identifier: Apache-2.0 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-event.h>

#include "conmon.h"
#include "container-dbus.h"
#include "container-events.h"
#include "container-manager.h"
#include "container-state.h"
#include "container-stop.h"
#include "container.h"
#include "exit-watch.h"
#include "log.h"
#include "oci-runtime.h"
#include "pod.h"
#include "strv.h"

static const char *const container_state_table[_CONTAINER_STATE_MAX] = {
        [CONTAINER_STATE_CREATING] = "creating",
        [CONTAINER_STATE_CREATED] = "created",
        [CONTAINER_STATE_RUNNING] = "running",
        [CONTAINER_STATE_EXITED] = "exited",
        [CONTAINER_STATE_UNKNOWN] = "unknown",
};

const char *container_state_to_string(ContainerState s) {
        if (s < 0 || s >= _CONTAINER_STATE_MAX)
                return NULL;
        return container_state_table[s];
}

ContainerState container_state_from_string(const char *s) {
        if (!s)
                return _CONTAINER_STATE_INVALID;
        for (ContainerState i = 0; i < _CONTAINER_STATE_MAX; i++)
                if (strcmp(container_state_table[i], s) == 0)
                        return i;
        return _CONTAINER_STATE_INVALID;
}

static const char *const container_seccomp_mode_table[_CONTAINER_SECCOMP_MODE_MAX] = {
        [CONTAINER_SECCOMP_UNCONFINED] = "unconfined",
        [CONTAINER_SECCOMP_RUNTIME_DEFAULT] = "runtime-default",
        [CONTAINER_SECCOMP_LOCALHOST] = "localhost",
};

const char *container_seccomp_mode_to_string(ContainerSeccompMode m) {
        return m >= 0 && m < _CONTAINER_SECCOMP_MODE_MAX ? container_seccomp_mode_table[m] : NULL;
}

ContainerSeccompMode container_seccomp_mode_from_string(const char *s) {
        for (ContainerSeccompMode m = 0; s && m < _CONTAINER_SECCOMP_MODE_MAX; m++)
                if (strcmp(container_seccomp_mode_table[m], s) == 0)
                        return m;
        return _CONTAINER_SECCOMP_MODE_INVALID;
}

void container_resources_done(OciResources *r) {
        free(r->cpuset_cpus);
        free(r->cpuset_mems);
        for (size_t i = 0; i < r->n_hugepages; i++)
                free(r->hugepages[i].page_size);
        free(r->hugepages);
        strv_free(r->unified);
        *r = (OciResources) {};
}

int container_resources_copy(const OciResources *from, OciResources *to) {
        _cleanup_(container_resources_done) OciResources n = *from;

        n.cpuset_cpus = n.cpuset_mems = NULL;
        n.hugepages = NULL;
        n.n_hugepages = 0;
        n.unified = NULL;
        if ((from->cpuset_cpus && !(n.cpuset_cpus = strdup(from->cpuset_cpus))) ||
            (from->cpuset_mems && !(n.cpuset_mems = strdup(from->cpuset_mems))))
                return -ENOMEM;
        if (strv_copy(from->unified, &n.unified) < 0)
                return -ENOMEM;
        if (from->n_hugepages > 0) {
                n.hugepages = calloc(from->n_hugepages, sizeof(OciHugepageLimit));
                if (!n.hugepages)
                        return -ENOMEM;
                for (size_t i = 0; i < from->n_hugepages; i++) {
                        n.hugepages[i].limit = from->hugepages[i].limit;
                        n.hugepages[i].page_size = strdup(from->hugepages[i].page_size ?: "");
                        n.n_hugepages++;
                        if (!n.hugepages[i].page_size)
                                return -ENOMEM;
                }
        }
        *to = n;
        n = (OciResources) {};
        return 0;
}

void container_config_done(ContainerConfig *c) {
        free(c->name);
        free(c->image);
        strv_free(c->command);
        strv_free(c->args);
        free(c->working_dir);
        strv_free(c->env);
        for (size_t i = 0; i < c->n_mounts; i++) {
                free(c->mounts[i].container_path);
                free(c->mounts[i].host_path);
        }
        free(c->mounts);
        for (size_t i = 0; i < c->n_devices; i++) {
                free(c->devices[i].container_path);
                free(c->devices[i].host_path);
                free(c->devices[i].permissions);
        }
        free(c->devices);
        strv_free(c->labels);
        strv_free(c->annotations);
        free(c->log_path);
        container_resources_done(&c->resources);
        strv_free(c->add_capabilities);
        strv_free(c->drop_capabilities);
        free(c->run_as_username);
        free(c->supplemental_groups);
        strv_free(c->masked_paths);
        strv_free(c->readonly_paths);
        free(c->seccomp_localhost);
        free(c->apparmor_profile);
        free(c->selinux_label);
        free(c->target_id);
        *c = (ContainerConfig) {};
}

int container_build_name(const char *ctr, const char *pod, const char *namespace, const char *uid,
                         uint32_t attempt, char **ret) {
        if (!ctr || !*ctr || !pod || !*pod || !namespace || !*namespace || !uid || !*uid)
                return -EINVAL;
        if (asprintf(ret, "k8s_%s_%s_%s_%s_%u", ctr, pod, namespace, uid, attempt) < 0)
                return -ENOMEM;
        return 0;
}

int container_new(struct Manager *m, Pod *pod, ContainerConfig *config, Container **ret) {
        _cleanup_(container_unrefp) Container *c = NULL;
        struct timespec ts;
        int r;

        c = calloc(1, sizeof(Container));
        if (!c)
                return -ENOMEM;
        c->n_ref = 1;
        c->manager = m;
        c->state = CONTAINER_STATE_CREATING;
        c->pod = pod_ref(pod);
        c->config = *config;
        *config = (ContainerConfig) {};
        c->exit_code = -1;

        r = pod_id_new(&c->id);
        if (r < 0)
                return r;
        r = container_build_name(c->config.name, pod->config.name, pod->config.namespace, pod->config.uid,
                                 c->config.attempt, &c->name);
        if (r < 0)
                return r;
        if (asprintf(&c->log_fields[0], "CONTAINER_ID=%s", c->id) < 0 ||
            asprintf(&c->log_fields[1], "CONTAINER_NAME=%s", c->name) < 0 ||
            asprintf(&c->log_fields[2], "POD_ID=%s", pod->id) < 0 ||
            asprintf(&c->scope, "crio-%s.scope", c->id) < 0 ||
            asprintf(&c->conmon_scope, "crio-conmon-%s.scope", c->id) < 0)
                return -ENOMEM;

        (void) clock_gettime(CLOCK_REALTIME, &ts);
        c->created_at = (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
        *ret = TAKE_PTR(c);
        return 0;
}

Container *container_ref(Container *c) {
        if (c)
                c->n_ref++;
        return c;
}

static Container *container_free(Container *c) {
        container_drop_waiters(c);
        sd_event_source_disable_unref(c->exit_timer);
        sd_event_source_disable_unref(c->pid_watch);
        conmon_free(c->conmon);
        oci_operation_free(c->start_operation);
        container_stop_free(c->stop);
        pod_unref(c->pod);
        container_config_done(&c->config);
        free(c->id);
        free(c->name);
        free(c->image_id);
        free(c->image_ref);
        free(c->image_name);
        free(c->runtime_handler);
        free(c->reason);
        free(c->message);
        free(c->layer_dir);
        free(c->rootfs);
        free(c->bundle_dir);
        free(c->log_path);
        free(c->scope);
        free(c->conmon_scope);
        free(c->cgroup_path);
        for (size_t i = 0; i < ELEMENTSOF(c->log_fields); i++)
                free(c->log_fields[i]);
        return mfree(c);
}

Container *container_unref(Container *c) {
        if (!c)
                return NULL;
        assert(c->n_ref > 0);
        if (--c->n_ref > 0)
                return NULL;
        return container_free(c);
}

void container_set_exited(Container *c, int exit_code, bool oom_killed, int64_t finished_at) {
        if (c->state == CONTAINER_STATE_EXITED)
                return;
        c->state = CONTAINER_STATE_EXITED;
        c->exit_code = exit_code;
        c->finished_at = finished_at;
        free(c->reason);
        c->reason = strdup(container_exit_reason(exit_code, oom_killed));
        log_container(c, LOG_INFO, "Container %s (%s) exited with code %d%s.", c->name, c->id, exit_code,
                      oom_killed ? " (OOM killed)" : "");
        /* Every way an exit is noticed ends here: the exit watch, a stop, an admin's systemctl stop. */
        if (!c->infra)
                (void) container_dbus_send_changed(c, "State", "ExitCode", "FinishedAt", "Reason", NULL);
        container_changed(c, CONTAINER_EVENT_STOPPED);
}

static const char *const container_event_table[_CONTAINER_EVENT_MAX] = {
        [CONTAINER_EVENT_CREATED] = "created",
        [CONTAINER_EVENT_STARTED] = "started",
        [CONTAINER_EVENT_STOPPED] = "stopped",
        [CONTAINER_EVENT_DELETED] = "deleted",
};

const char *container_event_to_string(ContainerEvent e) {
        return e >= 0 && e < _CONTAINER_EVENT_MAX ? container_event_table[e] : NULL;
}

ContainerEvent container_event_from_string(const char *s) {
        for (ContainerEvent e = 0; s && e < _CONTAINER_EVENT_MAX; e++)
                if (strcmp(container_event_table[e], s) == 0)
                        return e;
        return _CONTAINER_EVENT_INVALID;
}

void container_changed(Container *c, ContainerEvent e) {
        if (e != CONTAINER_EVENT_DELETED)
                (void) container_state_save(c);
        container_events_publish(c, e);
}
