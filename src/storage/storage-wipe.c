/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "container-rootfs.h"
#include "crio-build.h"
#include "digest.h"
#include "fileio.h"
#include "image-fs.h"
#include "image-store.h"
#include "log.h"
#include "pod-files.h"
#include "pod-namespaces.h"
#include "pod-slice.h"
#include "storage-mount.h"
#include "storage-json.h"
#include "storage-version.h"
#include "storage-wipe.h"
#include "strv.h"

#define RECORD_MAX (64U * 1024U)
#define LOCK_FILE "storage.lock"

void storage_wipe_plan_command(const StorageWipeInputs *in, StorageWipePlan *ret) {
        bool containers = in->force || in->containers_stale, images = in->force || in->images_stale;
        StorageWipePlan p = {};

        /* After a reboot that followed an unclean shutdown the storage may not have reached the
         * disk: all of it goes, once per boot. */
        if (containers && in->unclean) {
                /* CRI-O returns here even with --force; crio's --force wipes regardless. */
                if (in->marker && !in->force) {
                        *ret = p;
                        return;
                }
                p.storage = p.mark = true;
        }
        /* The daemon wipes at its start; only --force makes the command do it. */
        if ((in->internal_wipe && !in->force) || !containers) {
                *ret = p;
                return;
        }
        p.containers = true;
        p.images = images;
        *ret = p;
}

void storage_wipe_plan_daemon(const StorageWipeInputs *in, StorageWipePlan *ret) {
        StorageWipePlan p = {};

        if (in->internal_wipe) {
                p.images = in->images_stale;
                /* Images of a running container cannot go without it. */
                p.containers = p.images || in->containers_stale;
        }
        *ret = p;
}

void storage_wipe_inputs_read(const Config *c, bool force, StorageWipeInputs *ret) {
        *ret = (StorageWipeInputs) {
                .force = force,
                .containers_stale = storage_version_file_is_stale(c->version_file, CRIO_VERSION) != 0,
                .images_stale = storage_version_file_is_stale(c->version_file_persist, CRIO_VERSION) != 0,
                .unclean = storage_shutdown_was_unclean(c->clean_shutdown_file),
                .marker = access(STORAGE_WIPE_MARKER, F_OK) >= 0,
                .internal_wipe = c->internal_wipe,
        };
}

void storage_pod_record_done(StoragePodRecord *r) {
        r->slice = mfree(r->slice);
        r->network = mfree(r->network);
        r->slice_created = false;
}

int storage_pod_record_parse(const char *text, StoragePodRecord *ret) {
        StoragePodRecord rec = {};

        for (const char *line = text; line && *line;) {
                const char *nl = strchr(line, '\n'), *eq;
                char **target = NULL;

                if (!nl)
                        break;          /* an append cut short by a crash */
                eq = memchr(line, '=', (size_t) (nl - line));
                if (eq) {
                        size_t klen = (size_t) (eq - line);

                        if (klen == 5 && strncmp(line, "slice", 5) == 0)
                                target = &rec.slice;
                        else if (klen == 7 && strncmp(line, "network", 7) == 0)
                                target = &rec.network;
                        else if (klen == 13 && strncmp(line, "slice_created", 13) == 0)
                                rec.slice_created = true;
                }
                if (target) {
                        char *v = strndup(eq + 1, (size_t) (nl - eq - 1));

                        if (!v) {
                                storage_pod_record_done(&rec);
                                return -ENOMEM;
                        }
                        free(*target);
                        *target = v;
                }
                line = nl + 1;
        }
        *ret = rec;
        return 0;
}

static bool is_id(const char *s) {
        return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

static int compare_strings(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int storage_list_ids(const char *dir, char ***ret) {
        _cleanup_(strv_freep) char **l = NULL;
        struct dirent *de;
        DIR *d;
        int r = 0;

        d = opendir(dir);
        if (!d) {
                if (errno != ENOENT)
                        return -errno;
                l = calloc(1, sizeof(char *));
                if (!l)
                        return -ENOMEM;
                *ret = TAKE_PTR(l);
                return 0;
        }
        l = calloc(1, sizeof(char *));
        while (l && r >= 0 && (de = readdir(d)))
                if (is_id(de->d_name))
                        r = strv_push(&l, de->d_name);
        closedir(d);
        if (!l)
                return -ENOMEM;
        if (r < 0)
                return r;
        qsort(l, strv_length(l), sizeof(char *), compare_strings);
        *ret = TAKE_PTR(l);
        return 0;
}

static int container_paths(const Config *c, const char *id, char **ret_layer_dir, char **ret_bundle_parent) {
        if (!is_id(id))
                return -EINVAL;
        if (asprintf(ret_layer_dir, "%s/" CONTAINER_LAYERS_DIR "/%s", c->root, id) < 0)
                return -ENOMEM;
        if (asprintf(ret_bundle_parent, "%s/" CONTAINER_LAYERS_DIR "/%s", c->runroot, id) < 0) {
                *ret_layer_dir = mfree(*ret_layer_dir);
                return -ENOMEM;
        }
        return 0;
}

int storage_container_image(const Config *c, const char *id, char **ret_image_id, char ***ret_layers) {
        _cleanup_free_ char *layer_dir = NULL, *bundle = NULL, *record = NULL, *text = NULL, *image = NULL;
        _cleanup_free_ char *merged = NULL;
        _cleanup_(strv_freep) char **layers = NULL;
        size_t size;
        int r;

        r = container_paths(c, id, &layer_dir, &bundle);
        if (r < 0)
                return r;
        if (asprintf(&record, "%s/state.json", layer_dir) < 0 || asprintf(&merged, "%s/merged", layer_dir) < 0)
                return -ENOMEM;
        r = read_full_file_at(AT_FDCWD, record, RECORD_MAX * 16, 0, &text, &size);
        if (r >= 0 && storage_container_record_image(text, size, &image) == -ENOMEM)
                return -ENOMEM;
        if (!image) {
                r = storage_mounted_layers(merged, &layers);
                if (r < 0)
                        return r;
        }
        *ret_image_id = TAKE_PTR(image);
        *ret_layers = TAKE_PTR(layers);
        return 0;
}

/* Removes dir/name when it exists, whatever it is (a symlink is removed, not followed). */
static int remove_entry(const char *dir, const char *name) {
        _cleanup_close_ int fd = -EBADF;

        if (!dir || !*dir)
                return 0;
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        return image_fs_remove_tree(fd, name);
}

/* Removes path (a directory tree) unless something is still mounted in it. */
static int remove_tree_unmounted(const char *path) {
        _cleanup_free_ char *parent = strdup(path);
        char *slash;
        int r;

        if (!parent)
                return -ENOMEM;
        r = storage_unmount_below(path);
        if (r < 0)
                return log_warning_errno(r, "Not removing %s, something is still mounted in it: %m", path);
        slash = strrchr(parent, '/');
        if (!slash || slash == parent)
                return -EINVAL;
        *slash = '\0';
        return remove_entry(parent, slash + 1);
}

static void runtime_root(const RuntimeHandler *h, char *buf, size_t size) {
        /* As the container manager resolves it: the runtime's own default /run/<name>. */
        if (h->runtime_root && *h->runtime_root)
                (void) snprintf(buf, size, "%s", h->runtime_root);
        else
                (void) snprintf(buf, size, "/run/%s", h->name);
}

int storage_wipe_container(const Config *c, StorageUnits *u, const char *id) {
        _cleanup_free_ char *layer_dir = NULL, *bundle = NULL;
        int r, k;

        r = container_paths(c, id, &layer_dir, &bundle);
        if (r < 0)
                return r;
        /* Processes first: nothing may hold the rootfs while it goes. */
        r = storage_units_stop_container(u, id);

        for (size_t i = 0; i < c->n_runtimes; i++) {
                char root[4096];

                runtime_root(c->runtimes[i], root, sizeof(root));
                k = remove_entry(root, id);
                if (k < 0)
                        log_warning_errno(k, "Failed to remove the runtime state %s/%s, ignoring: %m", root, id);
        }
        (void) remove_entry(c->container_exits_dir, id);
        (void) remove_entry(c->container_attach_socket_dir, id);

        k = remove_tree_unmounted(bundle);
        if (k < 0 && r >= 0)
                r = k;
        k = remove_tree_unmounted(layer_dir);
        if (k < 0 && r >= 0)
                r = k;
        if (r < 0)
                return log_warning_errno(r, "Failed to wipe container %s: %m", id);
        log_info("Wiped container %s.", id);
        return 0;
}

void storage_image_refs_done(StorageImageRefs *r) {
        r->ids = strv_free(r->ids);
        for (size_t i = 0; i < r->n_layer_sets; i++)
                strv_free(r->layer_sets[i]);
        r->layer_sets = mfree(r->layer_sets);
        r->n_layer_sets = 0;
}

int storage_image_refs_add(StorageImageRefs *r, const char *id, char **layers) {
        char ***n;
        int k;

        if (id && !strv_contains(r->ids, id)) {
                k = strv_push(&r->ids, id);
                if (k < 0) {
                        strv_free(layers);
                        return k;
                }
        }
        if (!layers)
                return 0;
        n = realloc(r->layer_sets, (r->n_layer_sets + 1) * sizeof(char **));
        if (!n) {
                strv_free(layers);
                return -ENOMEM;
        }
        r->layer_sets = n;
        r->layer_sets[r->n_layer_sets++] = layers;
        return 0;
}

int storage_wipe_containers(const Config *c, StorageUnits *u, StorageImageRefs *refs) {
        _cleanup_(strv_freep) char **ids = NULL, **run_ids = NULL;
        _cleanup_free_ char *dir = NULL, *run_dir = NULL;
        int r, n = 0, failed = 0;

        if (asprintf(&dir, "%s/" CONTAINER_LAYERS_DIR, c->root) < 0 ||
            asprintf(&run_dir, "%s/" CONTAINER_LAYERS_DIR, c->runroot) < 0)
                return -ENOMEM;
        r = storage_list_ids(dir, &ids);
        if (r >= 0)
                r = storage_list_ids(run_dir, &run_ids);
        if (r < 0)
                return log_error_errno(r, "Failed to list the containers: %m");
        /* A bundle without its layers is a container half made or half removed: it goes too. */
        for (char **i = run_ids; *i; i++)
                if (!strv_contains(ids, *i) && (r = strv_push(&ids, *i)) < 0)
                        return r;

        for (char **i = ids; *i; i++) {
                if (refs) {
                        _cleanup_free_ char *image = NULL;
                        char **layers = NULL;

                        r = storage_container_image(c, *i, &image, &layers);
                        if (r >= 0)
                                r = storage_image_refs_add(refs, image, layers);
                        if (r == -ENOMEM)
                                return log_oom();
                }
                if (storage_wipe_container(c, u, *i) < 0)
                        failed++;
                else
                        n++;
        }
        if (failed > 0)
                return log_error_errno(EBUSY, "%d container(s) could not be wiped.", failed);
        return n;
}

static int wipe_pod(const Config *c, StorageUnits *u, const char *id) {
        _cleanup_free_ char *dir = NULL, *text = NULL, *record_path = NULL, *own_slice = NULL;
        _cleanup_(storage_pod_record_done) StoragePodRecord rec = {};
        _cleanup_close_ int fd = -EBADF;
        struct dirent *de;
        DIR *d;
        size_t size;
        int r;

        if (asprintf(&dir, "%s/%s", POD_RUN_DIR, id) < 0 ||
            asprintf(&record_path, "%s/" POD_RECORD_FILE, dir) < 0)
                return -ENOMEM;
        if (read_full_file_at(AT_FDCWD, record_path, RECORD_MAX, 0, &text, &size) >= 0) {
                r = storage_pod_record_parse(text, &rec);
                if (r < 0)
                        return r;
        }

        /* Its slice, if crio made it (kubelet's cgroup_parent slices are kubelet's). */
        if (rec.slice && pod_slice_name(NULL, id, &own_slice) >= 0 &&
            (rec.slice_created || strcmp(rec.slice, own_slice) == 0))
                (void) storage_units_stop(u, rec.slice, 0);

        r = storage_unmount_below(dir);
        if (r < 0)
                return log_warning_errno(r, "Not wiping pod %s, its directory stays mounted: %m", id);
        for (PodNamespaceType t = 0; t < _POD_NAMESPACE_TYPE_MAX; t++) {
                _cleanup_free_ char *pin = NULL;

                if (pod_namespace_path(c->namespaces_dir, t, id, &pin) >= 0)
                        (void) pod_namespace_unpin(pin);
        }

        if (!rec.network) {
                r = remove_entry(POD_RUN_DIR, id);
                if (r < 0)
                        return log_warning_errno(r, "Failed to remove %s: %m", dir);
                log_info("Wiped pod %s.", id);
                return 0;
        }
        /* Only the record stays, for the network's DEL at the next start. */
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d)
                return -errno;
        TAKE_FD(fd);
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
                    strcmp(de->d_name, POD_RECORD_FILE) != 0)
                        (void) image_fs_remove_tree(dirfd(d), de->d_name);
        closedir(d);
        log_info("Wiped pod %s; its network %s is torn down at the next start of crio.", id, rec.network);
        return 0;
}

int storage_wipe_pods(const Config *c, StorageUnits *u) {
        _cleanup_(strv_freep) char **ids = NULL;
        int r, n = 0, failed = 0;

        r = storage_list_ids(POD_RUN_DIR, &ids);
        if (r < 0)
                return log_error_errno(r, "Failed to list the pods in %s: %m", POD_RUN_DIR);
        for (char **i = ids; *i; i++)
                if (wipe_pod(c, u, *i) < 0)
                        failed++;
                else
                        n++;

        /* Pins of pods whose directory is gone (a crash between the two). */
        for (PodNamespaceType t = 0; t < _POD_NAMESPACE_TYPE_MAX; t++) {
                _cleanup_(strv_freep) char **pins = NULL;
                _cleanup_free_ char *dir = NULL;

                if (asprintf(&dir, "%s/%s", c->namespaces_dir, pod_namespace_type_dir(t)) < 0)
                        return -ENOMEM;
                if (storage_list_ids(dir, &pins) < 0)
                        continue;
                for (char **p = pins; *p; p++) {
                        _cleanup_free_ char *pin = NULL;

                        if (pod_namespace_path(c->namespaces_dir, t, *p, &pin) >= 0 &&
                            pod_namespace_unpin(pin) >= 0)
                                log_debug("Removed the %s pin of pod %s.", pod_namespace_type_to_string(t),
                                          *p);
                }
        }
        if (failed > 0)
                return log_error_errno(EBUSY, "%d pod(s) could not be wiped.", failed);
        return n;
}

/* The image whose layers, top first, are exactly set. */
static ImageRecord *find_by_layers(ImageStore *s, char *const *set) {
        ImageRecord *const *images;
        size_t n, len = strv_length(set);

        images = image_store_images(s, &n);
        for (size_t i = 0; i < n; i++) {
                char *const *layers = images[i]->layers;
                size_t k = strv_length(layers);
                bool same = k == len;

                for (size_t j = 0; same && j < k; j++) {
                        const char *hex = digest_hex(layers[k - 1 - j]);
                        same = hex && strcmp(hex, set[j]) == 0;
                }
                if (same)
                        return images[i];
        }
        return NULL;
}

static int remove_image(ImageStore *s, ImageRecord *img) {
        _cleanup_free_ char *id = strdup(img->id);
        int r;

        if (!id)
                return -ENOMEM;
        /* CRI-O deletes them whatever kubelet pinned: an upgrade may have changed their format. */
        if (img->pinned)
                (void) image_store_set_pinned(s, id, false);
        r = image_store_remove_image(s, id, NULL, NULL);
        if (r < 0)
                return log_warning_errno(r, "Failed to remove image %s: %m", id);
        log_info("Wiped image %s.", id);
        return 1;
}

static int wipe_images_in(ImageStore *s, const StorageImageRefs *refs) {
        int n = 0, r;

        for (char **i = refs->ids; i && *i; i++) {
                ImageRecord *img = image_store_find_by_id(s, *i);

                if (img && (r = remove_image(s, img)) > 0)
                        n++;
        }
        for (size_t i = 0; i < refs->n_layer_sets; i++) {
                ImageRecord *img = find_by_layers(s, refs->layer_sets[i]);

                if (img && (r = remove_image(s, img)) > 0)
                        n++;
        }
        return n;
}

int storage_wipe_images(const char *root, const StorageImageRefs *refs) {
        _cleanup_(image_store_freep) ImageStore *s = NULL;
        int r;

        if (strv_isempty(refs->ids) && refs->n_layer_sets == 0)
                return 0;
        r = image_store_open(root, &s);
        if (r < 0)
                return log_error_errno(r, "Failed to open the image store in %s: %m", root);
        return wipe_images_in(s, refs);
}

int storage_lock(const char *root, int *ret_fd) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *path = NULL;

        if (asprintf(&path, "%s/" LOCK_FILE, root) < 0)
                return -ENOMEM;
        fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 && errno == ENOENT) {
                /* No store yet: nobody can be using it. */
                *ret_fd = -EBADF;
                return 0;
        }
        if (fd < 0)
                return -errno;
        if (flock(fd, LOCK_EX | LOCK_NB) < 0)
                return errno == EWOULDBLOCK ? -EBUSY : -errno;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int storage_wipe_root(const Config *c, StorageUnits *u) {
        _cleanup_close_ int lock_fd = -EBADF, fd = -EBADF;
        _cleanup_free_ char *run_dir = NULL;
        struct dirent *de;
        int r, k;
        DIR *d;

        r = storage_wipe_containers(c, u, NULL);
        if (r < 0)
                return log_error_errno(r, "Not removing %s: containers are left in it.", c->root);

        r = storage_lock(c->root, &lock_fd);
        if (r < 0)
                return log_error_errno(r, "Failed to lock %s: %m", c->root);
        /* A mount below root would be emptied through: nothing may be left. */
        r = storage_unmount_below(c->root);
        if (r < 0)
                return log_error_errno(r, "Not removing %s, something is still mounted in it: %m", c->root);
        fd = open(c->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : log_error_errno(errno, "Failed to open %s: %m", c->root);
        d = fdopendir(fd);
        if (!d)
                return -errno;
        TAKE_FD(fd);
        r = 0;
        /* The root itself may be a mount point: its content goes, the lock we hold stays. */
        while ((de = readdir(d))) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
                    strcmp(de->d_name, LOCK_FILE) == 0)
                        continue;
                k = image_fs_remove_tree(dirfd(d), de->d_name);
                if (k < 0 && r == 0)
                        r = log_error_errno(k, "Failed to remove %s/%s: %m", c->root, de->d_name);
        }
        closedir(d);
        if (asprintf(&run_dir, "%s/" CONTAINER_LAYERS_DIR, c->runroot) < 0)
                return -ENOMEM;
        k = remove_tree_unmounted(run_dir);
        if (k < 0 && r == 0)
                r = k;
        if (r >= 0)
                log_notice("Wiped the storage directory %s.", c->root);
        return r;
}

int storage_wipe_execute(const Config *c, const StorageWipePlan *plan) {
        _cleanup_(storage_units_freep) StorageUnits *u = NULL;
        _cleanup_(storage_image_refs_done) StorageImageRefs refs = {};
        _cleanup_close_ int lock_fd = -EBADF;
        int r = 0, k;

        if (!plan->storage && !plan->containers)
                return 0;
        if (storage_units_open(&u) < 0)
                log_info("systemd is not reachable: no units to stop.");

        if (plan->storage) {
                log_notice("The last crio did not stop cleanly before the reboot: wiping the storage directory %s.",
                           c->root);
                r = storage_wipe_pods(c, u);
                if (r >= 0)
                        r = storage_wipe_root(c, u);
                if (r < 0)
                        return r;
                if (plan->mark) {
                        k = mkdir_parents(STORAGE_WIPE_MARKER, 0755);
                        if (k >= 0)
                                k = write_file_atomic_at(AT_FDCWD, STORAGE_WIPE_MARKER, "done", 4, 0644);
                        if (k < 0)
                                log_warning_errno(k, "Failed to write %s, ignoring: %m", STORAGE_WIPE_MARKER);
                }
        }
        if (!plan->containers)
                return 0;

        /* Held while containers and pods go; the image store takes it itself afterwards. */
        r = storage_lock(c->root, &lock_fd);
        if (r < 0)
                return log_error_errno(r, "Failed to lock the storage in %s: %m", c->root);
        log_info("Wiping containers and pods%s.", plan->images ? ", and their images" : "");
        r = storage_wipe_containers(c, u, plan->images ? &refs : NULL);
        k = storage_wipe_pods(c, u);
        if (k < 0 && r >= 0)
                r = k;
        lock_fd = safe_close(lock_fd);
        if (plan->images) {
                k = storage_wipe_images(c->root, &refs);
                if (k < 0 && r >= 0)
                        r = k;
        }
        return r < 0 ? r : 0;
}

int storage_wipe_command(const Config *c, bool force) {
        _cleanup_close_ int lock_fd = -EBADF;
        StorageWipeInputs in;
        StorageWipePlan plan;
        int r;

        /* A running crio holds the store: wiping under it would pull its containers away. */
        r = storage_lock(c->root, &lock_fd);
        if (r == -EBUSY)
                return log_error_errno(r, "The storage in %s is in use by a running crio; stop it first.",
                                       c->root);
        if (r < 0)
                return log_error_errno(r, "Failed to lock the storage in %s: %m", c->root);
        lock_fd = safe_close(lock_fd);

        storage_wipe_inputs_read(c, force, &in);
        storage_wipe_plan_command(&in, &plan);
        if (in.containers_stale && in.unclean && in.marker && !force)
                log_info("The unclean shutdown was handled by an earlier crio wipe in this boot.");
        if (!plan.storage && !plan.containers) {
                if (in.internal_wipe && !force)
                        log_info("internal_wipe is set: crio wipes what is stale when it starts.");
                else if (in.images_stale && !in.containers_stale)
                        log_info("The persistent version file is stale but the node did not reboot: not wiping.");
                else
                        log_info("Version unchanged and node not rebooted: no wipe needed.");
                return 0;
        }
        return storage_wipe_execute(c, &plan);
}
