/* SPDX-License-Identifier: Apache-2.0 */

/* config.json from an OciSpec; key names and order follow the runtime spec's Go types, empty
 * optional fields are left out as Go's omitempty leaves them out. GLib stays inside this file. */

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "capabilities.h"
#include "log.h"
#include "oci-json.h"
#include "oci-spec.h"
#include "oci-util.h"

static void member(JsonBuilder *b, const char *key) {
        json_builder_set_member_name(b, key);
}

static void add_string(JsonBuilder *b, const char *key, const char *value) {
        member(b, key);
        json_builder_add_string_value(b, value);
}

static void add_string_opt(JsonBuilder *b, const char *key, const char *value) {
        if (value && value[0])
                add_string(b, key, value);
}

static void add_int(JsonBuilder *b, const char *key, gint64 value) {
        member(b, key);
        json_builder_add_int_value(b, value);
}

static void add_bool(JsonBuilder *b, const char *key, bool value) {
        member(b, key);
        json_builder_add_boolean_value(b, value);
}

static void add_strv(JsonBuilder *b, const char *key, char *const *l) {
        member(b, key);
        json_builder_begin_array(b);
        for (char *const *i = l; i && *i; i++)
                json_builder_add_string_value(b, *i);
        json_builder_end_array(b);
}

static void add_strv_opt(JsonBuilder *b, const char *key, char *const *l) {
        if (l && l[0])
                add_strv(b, key, l);
}

static void add_pairs(JsonBuilder *b, const char *key, char *const *pairs) {
        size_t n = strv_length(pairs);

        if (n < 2)
                return;
        member(b, key);
        json_builder_begin_object(b);
        for (size_t i = 0; i + 1 < n; i += 2)
                add_string(b, pairs[i], pairs[i + 1]);
        json_builder_end_object(b);
}

static void add_caps(JsonBuilder *b, const char *key, uint64_t set) {
        if (set == 0)
                return;
        member(b, key);
        json_builder_begin_array(b);
        for (int c = 0; c < CAPABILITY_MAX; c++)
                if (set & CAPABILITY_BIT(c))
                        json_builder_add_string_value(b, capability_to_name(c));
        json_builder_end_array(b);
}

static void build_process(JsonBuilder *b, const OciSpec *s) {
        const OciCapabilities *caps = &s->process.capabilities;

        member(b, "process");
        json_builder_begin_object(b);
        if (s->process.terminal)
                add_bool(b, "terminal", true);
        member(b, "user");
        json_builder_begin_object(b);
        add_int(b, "uid", s->process.user.uid);
        add_int(b, "gid", s->process.user.gid);
        if (s->process.has_umask)
                add_int(b, "umask", s->process.umask);
        if (s->process.user.n_additional_gids > 0) {
                member(b, "additionalGids");
                json_builder_begin_array(b);
                for (size_t i = 0; i < s->process.user.n_additional_gids; i++)
                        json_builder_add_int_value(b, s->process.user.additional_gids[i]);
                json_builder_end_array(b);
        }
        json_builder_end_object(b);
        add_strv_opt(b, "args", s->process.args);
        add_strv_opt(b, "env", s->process.env);
        add_string(b, "cwd", s->process.cwd ?: "/");
        if (s->process.has_capabilities) {
                member(b, "capabilities");
                json_builder_begin_object(b);
                add_caps(b, "bounding", caps->bounding);
                add_caps(b, "effective", caps->effective);
                add_caps(b, "inheritable", caps->inheritable);
                add_caps(b, "permitted", caps->permitted);
                add_caps(b, "ambient", caps->ambient);
                json_builder_end_object(b);
        }
        if (s->process.n_rlimits > 0) {
                member(b, "rlimits");
                json_builder_begin_array(b);
                for (size_t i = 0; i < s->process.n_rlimits; i++) {
                        json_builder_begin_object(b);
                        add_string(b, "type", s->process.rlimits[i].type);
                        /* json-glib numbers are gint64, and Go's runc refuses a negative one for
                         * its uint64: RLIM_INFINITY is written as INT64_MAX, unlimited in practice. */
                        add_int(b, "hard", (gint64) MIN(s->process.rlimits[i].hard, (uint64_t) INT64_MAX));
                        add_int(b, "soft", (gint64) MIN(s->process.rlimits[i].soft, (uint64_t) INT64_MAX));
                        json_builder_end_object(b);
                }
                json_builder_end_array(b);
        }
        if (s->process.no_new_privileges)
                add_bool(b, "noNewPrivileges", true);
        add_string_opt(b, "apparmorProfile", s->process.apparmor_profile);
        if (s->process.has_oom_score_adj)
                add_int(b, "oomScoreAdj", s->process.oom_score_adj);
        add_string_opt(b, "selinuxLabel", s->process.selinux_label);
        json_builder_end_object(b);
}

static void build_mounts(JsonBuilder *b, const OciSpec *s) {
        member(b, "mounts");
        json_builder_begin_array(b);
        for (size_t i = 0; i < s->n_mounts; i++) {
                const OciMount *m = &s->mounts[i];

                json_builder_begin_object(b);
                add_string(b, "destination", m->destination);
                add_string_opt(b, "type", m->type);
                add_string_opt(b, "source", m->source);
                add_strv_opt(b, "options", m->options);
                json_builder_end_object(b);
        }
        json_builder_end_array(b);
}

static void build_mappings(JsonBuilder *b, const char *key, const OciIdMapping *m, size_t n) {
        if (n == 0)
                return;
        member(b, key);
        json_builder_begin_array(b);
        for (size_t i = 0; i < n; i++) {
                json_builder_begin_object(b);
                add_int(b, "containerID", m[i].container_id);
                add_int(b, "hostID", m[i].host_id);
                add_int(b, "size", m[i].size);
                json_builder_end_object(b);
        }
        json_builder_end_array(b);
}

static void add_type(JsonBuilder *b, char type) {
        char t[2] = { type, '\0' };

        if (type)
                add_string(b, "type", t);
}

static void build_resources(JsonBuilder *b, const OciSpec *s) {
        const OciResources *r = &s->linux.resources;

        member(b, "resources");
        json_builder_begin_object(b);
        member(b, "devices");
        json_builder_begin_array(b);
        for (size_t i = 0; i < s->linux.n_device_rules; i++) {
                const OciDeviceRule *d = &s->linux.device_rules[i];

                json_builder_begin_object(b);
                add_bool(b, "allow", d->allow);
                add_type(b, d->type);
                if (d->major >= 0)
                        add_int(b, "major", d->major);
                if (d->minor >= 0)
                        add_int(b, "minor", d->minor);
                add_string_opt(b, "access", d->access);
                json_builder_end_object(b);
        }
        json_builder_end_array(b);
        if (r->memory_limit != 0 || r->memory_swap != 0) {
                member(b, "memory");
                json_builder_begin_object(b);
                if (r->memory_limit != 0)
                        add_int(b, "limit", r->memory_limit);
                if (r->memory_swap != 0)
                        add_int(b, "swap", r->memory_swap);
                json_builder_end_object(b);
        }
        if (r->cpu_shares || r->cpu_quota || r->cpu_period || r->cpuset_cpus || r->cpuset_mems) {
                member(b, "cpu");
                json_builder_begin_object(b);
                if (r->cpu_shares)
                        add_int(b, "shares", (gint64) r->cpu_shares);
                if (r->cpu_quota)
                        add_int(b, "quota", r->cpu_quota);
                if (r->cpu_period)
                        add_int(b, "period", (gint64) r->cpu_period);
                add_string_opt(b, "cpus", r->cpuset_cpus);
                add_string_opt(b, "mems", r->cpuset_mems);
                json_builder_end_object(b);
        }
        if (r->n_hugepages > 0) {
                member(b, "hugepageLimits");
                json_builder_begin_array(b);
                for (size_t i = 0; i < r->n_hugepages; i++) {
                        json_builder_begin_object(b);
                        add_string(b, "pageSize", r->hugepages[i].page_size);
                        add_int(b, "limit", (gint64) r->hugepages[i].limit);
                        json_builder_end_object(b);
                }
                json_builder_end_array(b);
        }
        if (r->has_pids_limit) {
                member(b, "pids");
                json_builder_begin_object(b);
                add_int(b, "limit", r->pids_limit);
                json_builder_end_object(b);
        }
        add_pairs(b, "unified", r->unified);
        json_builder_end_object(b);
}

static void build_linux(JsonBuilder *b, const OciSpec *s) {
        member(b, "linux");
        json_builder_begin_object(b);
        build_mappings(b, "uidMappings", s->linux.uid_mappings, s->linux.n_uid_mappings);
        build_mappings(b, "gidMappings", s->linux.gid_mappings, s->linux.n_gid_mappings);
        add_pairs(b, "sysctl", s->linux.sysctl);
        build_resources(b, s);
        add_string_opt(b, "cgroupsPath", s->linux.cgroups_path);
        member(b, "namespaces");
        json_builder_begin_array(b);
        for (size_t i = 0; i < s->linux.n_namespaces; i++) {
                json_builder_begin_object(b);
                add_string(b, "type", oci_namespace_type_to_string(s->linux.namespaces[i].type));
                add_string_opt(b, "path", s->linux.namespaces[i].path);
                json_builder_end_object(b);
        }
        json_builder_end_array(b);
        if (s->linux.n_devices > 0) {
                member(b, "devices");
                json_builder_begin_array(b);
                for (size_t i = 0; i < s->linux.n_devices; i++) {
                        const OciDevice *d = &s->linux.devices[i];

                        json_builder_begin_object(b);
                        add_string(b, "path", d->path);
                        add_type(b, d->type);
                        add_int(b, "major", d->major);
                        add_int(b, "minor", d->minor);
                        if (d->has_file_mode)
                                add_int(b, "fileMode", d->file_mode);
                        if (d->has_uid)
                                add_int(b, "uid", d->uid);
                        if (d->has_gid)
                                add_int(b, "gid", d->gid);
                        json_builder_end_object(b);
                }
                json_builder_end_array(b);
        }
        if (s->linux.seccomp) {
                member(b, "seccomp");
                seccomp_profile_build_json(b, s->linux.seccomp);
        }
        add_string_opt(b, "rootfsPropagation", s->linux.rootfs_propagation);
        add_strv_opt(b, "maskedPaths", s->linux.masked_paths);
        add_strv_opt(b, "readonlyPaths", s->linux.readonly_paths);
        add_string_opt(b, "mountLabel", s->linux.mount_label);
        json_builder_end_object(b);
}

int oci_spec_to_json(const OciSpec *s, char **ret, size_t *ret_size) {
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(JsonGenerator) g = json_generator_new();
        g_autoptr(JsonNode) root = NULL;
        g_autofree char *text = NULL;
        gsize len = 0;
        char *out;

        json_builder_begin_object(b);
        add_string(b, "ociVersion", s->oci_version ?: OCI_VERSION);
        build_process(b, s);
        member(b, "root");
        json_builder_begin_object(b);
        add_string(b, "path", s->root_path ?: "");
        if (s->root_readonly)
                add_bool(b, "readonly", true);
        json_builder_end_object(b);
        add_string_opt(b, "hostname", s->hostname);
        build_mounts(b, s);
        add_pairs(b, "annotations", s->annotations);
        build_linux(b, s);
        json_builder_end_object(b);

        root = json_builder_get_root(b);
        json_generator_set_root(g, root);
        json_generator_set_pretty(g, true);
        json_generator_set_indent(g, 1);
        json_generator_set_indent_char(g, '\t');
        text = json_generator_to_data(g, &len);
        if (!text)
                return -ENOMEM;
        /* libc memory leaves this file, GLib's stays. */
        out = malloc(len + 1);
        if (!out)
                return -ENOMEM;
        memcpy(out, text, len);
        out[len] = '\0';
        *ret = out;
        if (ret_size)
                *ret_size = len;
        return 0;
}

int oci_spec_write(const OciSpec *s, int bundle_fd) {
        _cleanup_free_ char *json = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t len = 0, done = 0;
        int r;

        r = oci_spec_to_json(s, &json, &len);
        if (r < 0)
                return r;
        fd = openat(bundle_fd, "config.json.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return log_debug_errno(errno, "Failed to create config.json.tmp: %m");
        while (done < len) {
                ssize_t k = write(fd, json + done, len - done);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        (void) unlinkat(bundle_fd, "config.json.tmp", 0);
                        return log_debug_errno(r, "Failed to write config.json: %m");
                }
                done += (size_t) k;
        }
        if (fsync(fd) < 0 || renameat(bundle_fd, "config.json.tmp", bundle_fd, "config.json") < 0) {
                r = -errno;
                (void) unlinkat(bundle_fd, "config.json.tmp", 0);
                return log_debug_errno(r, "Failed to install config.json: %m");
        }
        return 0;
}
