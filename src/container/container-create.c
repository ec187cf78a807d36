/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "config.h"
#include "container-dbus.h"
#include "container-manager.h"
#include "container-rootfs.h"
#include "exit-watch.h"
#include "fileio.h"
#include "image-pull.h"
#include "image-store.h"
#include "log.h"
#include "pod.h"
#include "proc-util.h"
#include "strv.h"
#include "systemd-manager.h"
#include "unit-properties.h"

/* CreateContainer: the checks and files are made at once (image, name, rootfs overlay, mounts,
 * config.json), then conmon runs "<runtime> create" from its own scope; the callback reports the
 * outcome. A failure anywhere leaves nothing behind. */

typedef struct ContainerCreate {
        Container *container;
        ContainerCallback callback;
        void *userdata;
        SystemdRequest *scope_request;
} ContainerCreate;

static void create_free(ContainerCreate *op) {
        systemd_request_free(op->scope_request);
        container_unref(op->container);
        free(op);
}

static void on_runtime_deleted(OciOperation *op, int r, void *userdata) {
        oci_operation_free(op);
}

/* Undoes a creation that failed: the runtime's state, the files, the store entry. */
static void create_rollback(Container *c) {
        OciOperation *op = NULL;

        if (c->runtime && oci_runtime_delete(c->runtime, c->id, /* force= */ true, on_runtime_deleted, NULL, &op) < 0)
                log_container(c, LOG_DEBUG, "Could not clean the runtime state of %s.", c->id);
        (void) container_rootfs_remove(c);
        container_store_remove(c->manager, c);
}

static void on_conmon_created(Conmon *conmon, int r, void *userdata) {
        ContainerCreate *op = userdata;
        Container *c = op->container;
        _cleanup_free_ char *error = NULL;

        if (r < 0) {
                const char *why = conmon_get_error(conmon);

                if (asprintf(&error, "creating container %s: %s", c->name, why ?: strerror(-r)) < 0)
                        error = NULL;
                log_container_errno(c, LOG_ERR, r, "Failed to create container %s: %s", c->name, why ?: strerror(-r));
                c->conmon = conmon_free(c->conmon);
                create_rollback(c);
                op->callback(c, r, error, op->userdata);
                return create_free(op);
        }

        c->pid = conmon_get_container_pid(conmon);
        c->conmon_pid = conmon_get_pid(conmon);
        /* For the record: a later crio must not take another process with a reused pid for them. */
        (void) proc_pid_starttime(c->pid, &c->pid_starttime);
        (void) proc_pid_starttime(c->conmon_pid, &c->conmon_starttime);
        c->conmon = conmon_free(c->conmon);
        c->state = CONTAINER_STATE_CREATED;
        /* Visible from here on, to CRI and D-Bus alike; the infra container never is. */
        if (!c->infra)
                (void) container_dbus_send_new(c);
        if (c->manager->exit_watch) {
                r = exit_watch_add(c->manager->exit_watch, c->id, c->bundle_dir);
                if (r < 0)
                        log_container_errno(c, LOG_WARNING, r, "Failed to watch the exit of %s, ignoring: %m", c->id);
        }
        log_container(c, LOG_INFO, "Created container %s (%s) in pod %s.", c->name, c->id, c->pod->name);
        container_changed(c, CONTAINER_EVENT_CREATED);
        op->callback(c, 0, NULL, op->userdata);
        create_free(op);
}

static void on_conmon_scope(int r, const char *result, void *userdata) {
        ContainerCreate *op = userdata;
        _unused_ _cleanup_(systemd_request_freep) SystemdRequest *request = TAKE_PTR(op->scope_request);

        if (r < 0)
                log_container_errno(op->container, LOG_ERR, r, "Failed to start %s: %m", op->container->conmon_scope);
        conmon_proceed(op->container->conmon, r);
}

static void on_conmon_place(Conmon *conmon, pid_t pid, void *userdata) {
        ContainerCreate *op = userdata;
        Container *c = op->container;
        Manager *m = c->manager;
        _cleanup_(unit_property_list_freep) UnitPropertyList *properties = NULL;
        _cleanup_free_ char *description = NULL;
        const char *cgroup = NULL;
        ConmonConfig config;
        int r;

        if (!m->systemd)
                return conmon_proceed(conmon, 0);
        r = manager_conmon_config(m, c->runtime_handler, &config, &cgroup);
        if (r < 0)
                return conmon_proceed(conmon, r);
        /* "pod" puts conmon beside the container, in the pod's slice, as CRI-O does. */
        if (strcmp(cgroup, "pod") == 0)
                cgroup = c->pod->slice;
        if (asprintf(&description, "crio conmon of container %s", c->name) < 0)
                return conmon_proceed(conmon, -ENOMEM);
        /* At shutdown systemd stops units in the reverse of their order: the container's scope goes
         * first, so its conmon is still there to write the exit file. */
        r = unit_property_list_new(&properties);
        if (r >= 0)
                r = unit_property_list_add_strv(properties, "Before", (char *[]) { c->scope, NULL });
        if (r < 0)
                return conmon_proceed(conmon, r);
        r = systemd_client_start_transient_scope(m->systemd, c->conmon_scope, cgroup, description, &pid, 1,
                                                 properties, on_conmon_scope, op, &op->scope_request);
        if (r < 0)
                conmon_proceed(conmon, r);
}

static int fail(char **ret_error, int r, const char *format, ...) _printf_(3, 4);
static int fail(char **ret_error, int r, const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        if (ret_error && !*ret_error && vasprintf(ret_error, format, ap) < 0)
                *ret_error = NULL;
        va_end(ap);
        return r;
}

/* A CRI mount's host path, symlinks resolved on the host as CRI-O resolves them; a missing one is
 * created as a directory unless absent_mount_sources_to_reject names it. */
static int mount_source_resolve(Manager *m, const ContainerMount *mnt, char **ret, char **ret_error) {
        char buf[PATH_MAX];

        if (!mnt->container_path || mnt->container_path[0] != '/' || strstr(mnt->container_path, "/../") ||
            (strlen(mnt->container_path) >= 3 && strcmp(mnt->container_path + strlen(mnt->container_path) - 3, "/..") == 0))
                return fail(ret_error, -EINVAL, "mount destination \"%s\" must be an absolute path without \"..\"",
                            mnt->container_path ?: "");
        if (!mnt->host_path || mnt->host_path[0] != '/')
                return fail(ret_error, -EINVAL, "mount source \"%s\" must be an absolute path",
                            mnt->host_path ?: "");
        if (strchr(mnt->host_path, ',') || strchr(mnt->host_path, ':'))
                return fail(ret_error, -EINVAL, "mount source \"%s\" contains ',' or ':'", mnt->host_path);
        if (!realpath(mnt->host_path, buf)) {
                int r = -errno;

                if (r != -ENOENT)
                        return fail(ret_error, r, "resolving mount source %s: %s", mnt->host_path, strerror(-r));
                if (strv_contains(m->config->absent_mount_sources_to_reject, mnt->host_path))
                        return fail(ret_error, -EINVAL, "mount source %s does not exist and may not be created",
                                    mnt->host_path);
                r = mkdir_p(mnt->host_path, 0755);
                if (r < 0)
                        return fail(ret_error, r, "creating mount source %s: %s", mnt->host_path, strerror(-r));
                if (!realpath(mnt->host_path, buf))
                        return fail(ret_error, -errno, "resolving mount source %s: %m", mnt->host_path);
        }
        *ret = strdup(buf);
        return *ret ? 0 : -ENOMEM;
}

static int device_lookup(const ContainerDevice *d, OciDevice *ret, char **ret_error) {
        struct stat st;

        if (!d->host_path || d->host_path[0] != '/' || !d->container_path || d->container_path[0] != '/')
                return fail(ret_error, -EINVAL, "device paths must be absolute");
        if (stat(d->host_path, &st) < 0)
                return fail(ret_error, -errno == -ENOENT ? -EINVAL : -errno, "device %s: %m", d->host_path);
        if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
                return fail(ret_error, -EINVAL, "%s is not a device node", d->host_path);
        if (d->permissions && d->permissions[strspn(d->permissions, "rwm")] != 0)
                return fail(ret_error, -EINVAL, "invalid device permissions \"%s\"", d->permissions);
        *ret = (OciDevice) {
                .path = d->container_path,
                .type = S_ISCHR(st.st_mode) ? 'c' : 'b',
                .major = major(st.st_rdev),
                .minor = minor(st.st_rdev),
                .has_file_mode = true,
                .file_mode = st.st_mode & 07777,
                .has_uid = true,
                .uid = st.st_uid,
                .has_gid = true,
                .gid = st.st_gid,
                .access = d->permissions && *d->permissions ? d->permissions : NULL,
        };
        return 0;
}

static int seccomp_load(Manager *m, const Container *c, SeccompProfile **ret, char **ret_error) {
        const ContainerConfig *cfg = &c->config;
        const RuntimeHandler *h = config_find_runtime(m->config, c->runtime_handler);
        _cleanup_free_ char *data = NULL;
        const char *path = NULL;
        size_t size;
        int r;

        switch (cfg->seccomp_mode) {
        case CONTAINER_SECCOMP_UNCONFINED:
                *ret = NULL;
                return 0;
        case CONTAINER_SECCOMP_LOCALHOST:
                path = cfg->seccomp_localhost;
                if (!path || path[0] != '/')
                        return fail(ret_error, -EINVAL, "seccomp localhost profile \"%s\" is not an absolute path",
                                    path ?: "");
                break;
        default:
                if (h && h->seccomp_profile && *h->seccomp_profile)
                        path = h->seccomp_profile;
                else if (m->config->seccomp_profile && *m->config->seccomp_profile)
                        path = m->config->seccomp_profile;
                if (!path) {
                        r = seccomp_profile_default(ret);
                        return r < 0 ? fail(ret_error, r, "loading the default seccomp profile: %s", strerror(-r)) : 0;
                }
        }
        r = read_full_file_at(AT_FDCWD, path, 16 * 1024 * 1024, 0, &data, &size);
        if (r < 0)
                return fail(ret_error, r == -ENOENT ? -EINVAL : r, "reading seccomp profile %s: %s", path, strerror(-r));
        r = seccomp_profile_parse(data, size, ret);
        if (r < 0)
                return fail(ret_error, -EINVAL, "seccomp profile %s is malformed", path);
        return 0;
}

/* "nofile=1024:2048" */
static int ulimits_parse(char *const *l, OciRlimit **ret, size_t *ret_n) {
        size_t n = strv_length(l), k = 0;
        OciRlimit *a = calloc(MAX(n, 1U), sizeof(OciRlimit));

        if (!a)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                unsigned long long soft, hard;
                char name[64], *up;

                if (sscanf(l[i], "%63[^=]=%llu:%llu", name, &soft, &hard) != 3)
                        continue;
                for (up = name; *up; up++)
                        *up = (char) toupper((unsigned char) *up);
                if (asprintf(&a[k].type, "RLIMIT_%s", name) < 0)
                        break;
                a[k].soft = soft;
                a[k].hard = hard;
                k++;
        }
        *ret = a;
        *ret_n = k;
        return 0;
}

static void rlimits_free(OciRlimit *a, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(a[i].type);
        free(a);
}

static int log_path_build(Container *c, char **ret_error) {
        const Pod *p = c->pod;
        const char *rel = c->config.log_path;
        int r;

        if (rel && *rel && (strstr(rel, "..") || strchr(rel, ':') || rel[0] == '/'))
                return fail(ret_error, -EINVAL, "log_path \"%s\" must be relative, without \"..\" or ':'", rel);
        if (p->config.log_directory && rel && *rel)
                r = asprintf(&c->log_path, "%s/%s", p->config.log_directory, rel);
        else
                r = asprintf(&c->log_path, "%s/%s/%s.log", c->manager->config->log_dir, p->id, c->id);
        if (r < 0)
                return -ENOMEM;
        r = mkdir_parents(c->log_path, 0755);
        if (r < 0)
                return fail(ret_error, r, "creating the directory of %s: %s", c->log_path, strerror(-r));
        return 0;
}

static int spec_write(Container *c, const ImageRecord *image, char **ret_error) {
        Manager *m = c->manager;
        const ContainerConfig *cfg = &c->config;
        const Pod *p = c->pod;
        _cleanup_(seccomp_profile_freep) SeccompProfile *seccomp = NULL;
        _cleanup_(oci_spec_freep) OciSpec *spec = NULL;
        _cleanup_close_ int rootfs_fd = -EBADF, bundle_fd = -EBADF;
        _cleanup_free_ OciCriMount *mounts = NULL;
        _cleanup_free_ OciDevice *devices = NULL;
        _cleanup_strv_free_ char **sources = NULL, **annotations = NULL;
        _cleanup_free_ char *pid_ns = NULL;
        OciRlimit *rlimits = NULL;
        size_t n_rlimits = 0;
        OciPidMode pid_mode = cfg->pid_mode;
        const RuntimeHandler *h = config_find_runtime(m->config, c->runtime_handler);
        int r;

        mounts = calloc(MAX(cfg->n_mounts, 1U), sizeof(OciCriMount));
        devices = calloc(MAX(cfg->n_devices, 1U), sizeof(OciDevice));
        sources = calloc(cfg->n_mounts + 1, sizeof(char *));
        if (!mounts || !devices || !sources)
                return -ENOMEM;
        for (size_t i = 0; i < cfg->n_mounts; i++) {
                r = mount_source_resolve(m, &cfg->mounts[i], &sources[i], ret_error);
                if (r < 0)
                        return r;
                if (cfg->mounts[i].propagation < 0 || cfg->mounts[i].propagation >= _OCI_PROPAGATION_MAX)
                        return fail(ret_error, -EINVAL, "unknown mount propagation");
                mounts[i] = (OciCriMount) {
                        .container_path = cfg->mounts[i].container_path,
                        .host_path = sources[i],
                        .readonly = cfg->mounts[i].readonly,
                        .propagation = cfg->mounts[i].propagation,
                };
        }
        for (size_t i = 0; i < cfg->n_devices; i++) {
                r = device_lookup(&cfg->devices[i], &devices[i], ret_error);
                if (r < 0)
                        return r;
        }

        r = seccomp_load(m, c, &seccomp, ret_error);
        if (r < 0)
                return r;

        /* A POD-mode PID namespace is the infra process's; a pod without one (drop_infra_ctr, and a
         * pod that asked for none) gives the container a namespace of its own. */
        if (c->infra)
                pid_mode = OCI_PID_MODE_CONTAINER;
        else if (pid_mode == OCI_PID_MODE_POD && !p->infra)
                pid_mode = OCI_PID_MODE_CONTAINER;
        else if (pid_mode == OCI_PID_MODE_POD) {
                if (p->infra->pid <= 0 || p->infra->state != CONTAINER_STATE_RUNNING)
                        return fail(ret_error, -EINVAL, "the infra container of pod %s is not running", p->id);
                if (asprintf(&pid_ns, "/proc/%d/ns/pid", (int) p->infra->pid) < 0)
                        return -ENOMEM;
        }
        if (pid_mode == OCI_PID_MODE_TARGET) {
                Container *t = NULL;

                if (!cfg->target_id || container_find(m, cfg->target_id, &t) < 0 || t->pid <= 0 ||
                    t->state != CONTAINER_STATE_RUNNING)
                        return fail(ret_error, -EINVAL, "target container %s of the PID namespace is not running",
                                    cfg->target_id ?: "");
                if (asprintf(&pid_ns, "/proc/%d/ns/pid", (int) t->pid) < 0)
                        return -ENOMEM;
        }

        /* CRI-O's annotations on every container, then the request's. */
        r = strv_copy(cfg->annotations, &annotations);
        if (r >= 0)
                r = strv_push_many(&annotations, "io.kubernetes.cri-o.ContainerID", c->id,
                                   "io.kubernetes.cri-o.ContainerName", c->name,
                                   "io.kubernetes.cri-o.SandboxID", p->id,
                                   "io.kubernetes.cri-o.SandboxName", p->name,
                                   "io.kubernetes.cri-o.LogPath", c->log_path,
                                   "io.kubernetes.container.name", cfg->name,
                                   "io.kubernetes.pod.name", p->config.name,
                                   "io.kubernetes.pod.namespace", p->config.namespace,
                                   "io.kubernetes.pod.uid", p->config.uid, NULL);
        if (r < 0)
                return r;

        rootfs_fd = open(c->rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfs_fd < 0)
                return log_container_errno(c, LOG_ERR, errno, "Failed to open %s: %m", c->rootfs);
        r = ulimits_parse(m->config->default_ulimits, &rlimits, &n_rlimits);
        if (r < 0)
                return r;

        OciContainerConfig oc = {
                .container_id = c->id,
                .rootfs = c->rootfs,
                .rootfs_fd = rootfs_fd,
                .image_entrypoint = image->config.entrypoint,
                .image_cmd = image->config.cmd,
                .image_env = image->config.env,
                .image_working_dir = image->config.working_dir,
                .image_user = image->config.user,
                .command = cfg->command,
                .args = cfg->args,
                .env = cfg->env,
                .working_dir = cfg->working_dir,
                .tty = cfg->tty,
                .annotations = annotations,
                .user = {
                        .has_run_as_user = cfg->has_run_as_user,
                        .run_as_user = cfg->run_as_user,
                        .run_as_username = cfg->run_as_username,
                        .has_run_as_group = cfg->has_run_as_group,
                        .run_as_group = cfg->run_as_group,
                        .image_user = image->config.user,
                        .supplemental_groups = cfg->supplemental_groups,
                        .n_supplemental_groups = cfg->n_supplemental_groups,
                        .policy = cfg->supplemental_groups_policy,
                },
                .privileged = cfg->privileged,
                .add_capabilities = cfg->add_capabilities,
                .drop_capabilities = cfg->drop_capabilities,
                .no_new_privs = cfg->no_new_privs,
                .readonly_rootfs = cfg->readonly_rootfs || m->config->read_only,
                .has_masked_paths = cfg->has_masked_paths,
                .masked_paths = cfg->masked_paths,
                .has_readonly_paths = cfg->has_readonly_paths,
                .readonly_paths = cfg->readonly_paths,
                .seccomp = seccomp,
                .apparmor_profile = cfg->apparmor_profile,
                .selinux_process_label = cfg->selinux_label,
                /* Sharing the host's UTS namespace, the container keeps the host's name. */
                .hostname = pod_is_host_network(p) && !p->utsns_path ? NULL : p->config.hostname,
                .shm_path = p->shm_path ?: (pod_is_host_ipc(p) ? "/dev/shm" : NULL),
                .resolv_path = p->resolv_path,
                .hostname_path = p->hostname_path,
                .host_network = pod_is_host_network(p),
                .network_ns_path = p->netns_path,
                .ipc_ns_path = p->ipcns_path,
                .host_ipc = pod_is_host_ipc(p),
                .uts_ns_path = p->utsns_path,
                .pid_mode = pid_mode,
                .pid_ns_path = pid_ns,
                .cgroup_parent = p->slice,
                .mounts = mounts,
                .n_mounts = cfg->n_mounts,
                .devices = devices,
                .n_devices = cfg->n_devices,
                .privileged_without_host_devices = h && h->privileged_without_host_devices,
                .resources = cfg->has_resources ? &cfg->resources : NULL,
                .has_oom_score_adj = cfg->has_oom_score_adj,
                .oom_score_adj = cfg->oom_score_adj,
                .rlimits = rlimits,
                .n_rlimits = n_rlimits,
                .default_capabilities = m->config->default_capabilities,
                .add_inheritable_capabilities = m->config->add_inheritable_capabilities,
                .default_env = m->config->default_env,
        };
        r = oci_spec_build(&oc, &spec);
        rlimits_free(rlimits, n_rlimits);
        if (r == -EINVAL)
                return fail(ret_error, r, "the container config cannot run (command, user, group, capabilities, "
                            "seccomp profile or resources); see the crio journal for the details");
        if (r == -ENOENT)
                return fail(ret_error, -EINVAL, "user or group not found in the image");
        if (r < 0)
                return fail(ret_error, r, "building the OCI spec: %s", strerror(-r));

        bundle_fd = open(c->bundle_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (bundle_fd < 0)
                return -errno;
        r = oci_spec_write(spec, bundle_fd);
        if (r < 0)
                return fail(ret_error, r, "writing config.json: %s", strerror(-r));
        c->privileged = cfg->privileged;
        return 0;
}

static int stop_signal_parse(const char *s) {
        static const struct { const char *name; int signo; } table[] = {
                { "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "KILL", SIGKILL },
                { "USR1", SIGUSR1 }, { "USR2", SIGUSR2 }, { "TERM", SIGTERM }, { "STOP", SIGSTOP },
                { "WINCH", SIGWINCH }, { "PWR", SIGPWR },
        };
        char *end;
        long n;

        if (!s || !*s)
                return SIGTERM;
        n = strtol(s, &end, 10);
        if (*end == 0 && n > 0 && n < 65)
                return (int) n;
        if (strncmp(s, "SIG", 3) == 0)
                s += 3;
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (strcasecmp(table[i].name, s) == 0)
                        return table[i].signo;
        return SIGTERM;
}

/* The infra container carries the pod's id, as CRI-O's does (the runtime knows it by that id). */
static int infra_take_pod_id(Container *c) {
        free(c->id);
        free(c->log_fields[0]);
        free(c->scope);
        free(c->conmon_scope);
        c->log_fields[0] = c->scope = c->conmon_scope = NULL;
        c->id = strdup(c->pod->id);
        if (!c->id || asprintf(&c->log_fields[0], "CONTAINER_ID=%s", c->id) < 0 ||
            asprintf(&c->scope, "crio-%s.scope", c->id) < 0 ||
            asprintf(&c->conmon_scope, "crio-conmon-%s.scope", c->id) < 0)
                return -ENOMEM;
        return 0;
}

static int create_internal(Manager *m, Pod *p, ContainerConfig *config, bool infra, ContainerCallback callback,
                           void *userdata, Container **ret, char **ret_error) {
        _cleanup_(container_unrefp) Container *c = NULL;
        _cleanup_free_ char *name = NULL;
        ConmonConfig conmon_config;
        ContainerCreate *op;
        ImageRecord *image;
        Container *existing;
        int r;

        /* The infra container is made while the pod is being run. */
        if (!infra && p->state != POD_STATE_READY)
                return fail(ret_error, -EINVAL, "pod sandbox %s is not ready", p->id);
        if (!config->name || !*config->name || strchr(config->name, '/') || strchr(config->name, '_'))
                return fail(ret_error, -EINVAL, "container name \"%s\" is empty or contains '/' or '_'",
                            config->name ?: "");
        if (!config->image || !*config->image)
                return fail(ret_error, -EINVAL, "ContainerConfig.Image.Image is empty");

        r = container_build_name(config->name, p->config.name, p->config.namespace, p->config.uid, config->attempt,
                                 &name);
        if (r < 0)
                return r;
        existing = infra ? NULL : container_get_by_name(m, name);
        if (existing)
                return fail(ret_error, -EEXIST, "the container name \"%s\" is already in use by %s", name,
                            existing->id);

        if (!m->image_puller)
                return fail(ret_error, -ENXIO, "crio has no image store");
        r = image_puller_find(m->image_puller, config->image, &image);
        if (r == -ENOENT)
                return fail(ret_error, -ENOENT, "image \"%s\" not found", config->image);
        if (r < 0)
                return fail(ret_error, r, "looking up image \"%s\": %s", config->image, strerror(-r));

        r = container_new(m, p, config, &c);
        if (r < 0)
                return r;
        if (infra) {
                c->infra = true;
                r = infra_take_pod_id(c);
                if (r < 0)
                        return r;
        }
        c->image_id = strdup(image->id);
        c->image_name = strdup(!strv_isempty(image->names) ? image->names[0] : c->config.image);
        c->image_ref = strdup(!strv_isempty(image->repo_digests) ? image->repo_digests[0] : image->id);
        c->runtime_handler = strdup(p->runtime_handler ?: m->config->default_runtime);
        if (!c->image_id || !c->image_name || !c->image_ref || !c->runtime_handler)
                return -ENOMEM;
        c->stop_signal = stop_signal_parse(image->config.stop_signal);

        r = manager_get_runtime(m, c->runtime_handler, &c->runtime);
        if (r < 0)
                return fail(ret_error, r, "runtime handler %s cannot be used: %s", c->runtime_handler, strerror(-r));
        r = manager_conmon_config(m, c->runtime_handler, &conmon_config, NULL);
        if (r < 0)
                return r;

        r = infra ? 0 : container_store_add(m, c);
        if (r == -EEXIST)
                return fail(ret_error, r, "the container name \"%s\" is already in use", c->name);
        if (r < 0)
                return r;

        r = log_path_build(c, ret_error);
        if (r >= 0)
                r = container_rootfs_create(c, image, ret_error);
        if (r >= 0)
                r = spec_write(c, image, ret_error);
        if (r < 0)
                goto fail;

        op = calloc(1, sizeof(ContainerCreate));
        if (!op) {
                r = -ENOMEM;
                goto fail;
        }
        op->container = container_ref(c);
        op->callback = callback;
        op->userdata = userdata;

        ConmonContainer ctr = {
                .id = c->id,
                .name = c->name,
                .bundle_path = c->bundle_dir,
                .log_path = c->log_path,
                .log_tag = c->name,
                .pod_id = c->pod->id,
                .pod_name = c->pod->config.name,
                .pod_namespace = c->pod->config.namespace,
                .terminal = c->config.tty,
                .stdin = c->config.stdin,
                .stdin_once = c->config.stdin_once,
        };
        r = conmon_create(m->event, &conmon_config, &ctr, on_conmon_place, on_conmon_created, op, &c->conmon);
        if (r < 0) {
                create_free(op);
                (void) fail(ret_error, r, "starting conmon: %s", strerror(-r));
                goto fail;
        }
        log_container(c, LOG_DEBUG, "Creating container %s (%s).", c->name, c->id);
        if (ret)
                *ret = container_ref(c);
        return 0;

fail:
        (void) container_rootfs_remove(c);
        container_store_remove(m, c);
        return r;
}

int container_create(Manager *m, Pod *p, ContainerConfig *config, ContainerCallback callback, void *userdata,
                     char **ret_error) {
        return create_internal(m, p, config, /* infra= */ false, callback, userdata, NULL, ret_error);
}

/* CRI-O's -998 for the pause process, but never below crio's own score: without CAP_SYS_RESOURCE (in
 * a user namespace) the runtime could not lower it, and crio.service runs at -999 as CRI-O's does. */
static int infra_oom_score_adj(void) {
        _cleanup_free_ char *text = NULL;
        long own;

        if (read_full_file_at(AT_FDCWD, "/proc/self/oom_score_adj", 64, 0, &text, NULL) < 0)
                return -998;
        own = strtol(text, NULL, 10);
        return (int) MAX(own, -998L);
}

int container_create_infra(Manager *m, Pod *p, ContainerCallback callback, void *userdata, Container **ret,
                           char **ret_error) {
        _cleanup_(container_config_done) ContainerConfig config = {
                .pid_mode = OCI_PID_MODE_CONTAINER,
                /* As CRI-O runs it: read-only, no new privileges, the last to be OOM killed. */
                .readonly_rootfs = true,
                .no_new_privs = true,
                .has_oom_score_adj = true,
        };
        const char *command = m->config->pause_command;

        config.name = strdup("POD");
        config.image = strdup(m->config->pause_image);
        if (asprintf(&config.log_path, "%s.log", p->id) < 0)
                config.log_path = NULL;
        if (!config.name || !config.image || !config.log_path)
                return -ENOMEM;
        /* An empty pause_command runs the image's entrypoint. */
        if (command && *command && strv_push_many(&config.command, command, NULL) < 0)
                return -ENOMEM;
        if (m->config->infra_ctr_cpuset && *m->config->infra_ctr_cpuset) {
                config.has_resources = true;
                config.resources.cpuset_cpus = strdup(m->config->infra_ctr_cpuset);
                if (!config.resources.cpuset_cpus)
                        return -ENOMEM;
        }
        config.attempt = p->config.attempt;
        config.oom_score_adj = infra_oom_score_adj();
        return create_internal(m, p, &config, /* infra= */ true, callback, userdata, ret, ret_error);
}
