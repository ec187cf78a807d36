/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "container-rootfs.h"
#include "digest.h"
#include "fileio.h"
#include "image-fs.h"
#include "image-json.h"
#include "image-record.h"
#include "image-store.h"
#include "log.h"
#include "storage-check.h"
#include "storage-json.h"
#include "storage-mount.h"
#include "storage-units.h"
#include "storage-version.h"
#include "storage-wipe.h"
#include "strv.h"

#define LAYERS_DIR "overlay"
#define LAYER_INDEX "overlay-layers/layers.json"
#define IMAGE_INDEX "overlay-images/images.json"
#define BLOBS_DIR "overlay-blobs"
#define INDEX_MAX (UINT64_C(256) * 1024 * 1024)
#define RECORD_MAX (UINT64_C(16) * 1024 * 1024)

static const char *const damage_kind_table[_STORAGE_DAMAGE_KIND_MAX] = {
        [STORAGE_DAMAGE_LAYER] = "layer",
        [STORAGE_DAMAGE_IMAGE] = "image",
        [STORAGE_DAMAGE_CONTAINER] = "container",
};

const char *storage_damage_kind_to_string(StorageDamageKind k) {
        return k >= 0 && k < _STORAGE_DAMAGE_KIND_MAX ? damage_kind_table[k] : NULL;
}

StorageDamageKind storage_damage_kind_from_string(const char *s) {
        for (StorageDamageKind k = 0; s && k < _STORAGE_DAMAGE_KIND_MAX; k++)
                if (strcmp(damage_kind_table[k], s) == 0)
                        return k;
        return _STORAGE_DAMAGE_KIND_INVALID;
}

struct StorageCheckReport {
        StorageDamage *damage;
        size_t n_damage;
        unsigned counts[_STORAGE_DAMAGE_KIND_MAX];

        /* The records that parsed, and whether each survives a repair. */
        ImageLayer **layers;
        size_t n_layers;
        bool *layer_keep;
        ImageRecord **images;
        size_t n_images;
        bool *image_keep;
        /* The index must be rewritten: a record of it is damaged. */
        bool layers_dirty, images_dirty;
        /* Entries below overlay/ to delete, and the damaged containers. */
        char **remove;
        char **containers;
};

StorageCheckReport *storage_check_report_free(StorageCheckReport *r) {
        if (!r)
                return NULL;
        for (size_t i = 0; i < r->n_damage; i++) {
                free(r->damage[i].id);
                free(r->damage[i].reason);
        }
        free(r->damage);
        for (size_t i = 0; i < r->n_layers; i++)
                image_layer_free(r->layers[i]);
        free(r->layers);
        free(r->layer_keep);
        for (size_t i = 0; i < r->n_images; i++)
                image_record_free(r->images[i]);
        free(r->images);
        free(r->image_keep);
        strv_free(r->remove);
        strv_free(r->containers);
        return mfree(r);
}

const StorageDamage *storage_check_report_damage(const StorageCheckReport *r, size_t *ret_n) {
        *ret_n = r->n_damage;
        return r->damage;
}

unsigned storage_check_report_count(const StorageCheckReport *r, StorageDamageKind k) {
        return k >= 0 && k < _STORAGE_DAMAGE_KIND_MAX ? r->counts[k] : 0;
}

bool storage_check_report_has_errors(const StorageCheckReport *r) {
        return r->n_damage > 0;
}

_printf_(4, 5)
static int add_damage(StorageCheckReport *r, StorageDamageKind kind, const char *id, const char *format, ...) {
        StorageDamage *n;
        char *reason = NULL, *i;
        va_list ap;
        int k;

        va_start(ap, format);
        k = vasprintf(&reason, format, ap);
        va_end(ap);
        i = strdup(id);
        n = realloc(r->damage, (r->n_damage + 1) * sizeof(StorageDamage));
        if (k < 0 || !i || !n) {
                if (k >= 0)
                        free(reason);
                free(i);
                if (n)
                        r->damage = n;
                return -ENOMEM;
        }
        r->damage = n;
        r->damage[r->n_damage++] = (StorageDamage) { .kind = kind, .id = i, .reason = reason };
        r->counts[kind]++;
        log_debug("%s %s: %s", damage_kind_table[kind], id, reason);
        return 0;
}

/* One element of an index array on its own, through the store's own parser. */
static int parse_element(const char *element, bool image, void **ret) {
        _cleanup_free_ char *wrapped = NULL;
        void **items = NULL;
        size_t n = 0;
        int r;

        if (asprintf(&wrapped, "[%s]", element) < 0)
                return -ENOMEM;
        if (image)
                r = image_records_from_json(wrapped, strlen(wrapped), (ImageRecord ***) &items, &n);
        else
                r = image_layers_from_json(wrapped, strlen(wrapped), (ImageLayer ***) &items, &n);
        if (r < 0)
                return r;
        if (n != 1) {
                for (size_t i = 0; i < n; i++)
                        image ? (void) image_record_free(items[i]) : (void) image_layer_free(items[i]);
                free(items);
                return -EBADMSG;
        }
        *ret = items[0];
        free(items);
        return 0;
}

/* Reads an index and parses each record apart, so that one bad record does not hide the others. */
static int read_index(StorageCheckReport *r, int root_fd, const char *path, bool image) {
        _cleanup_free_ char *text = NULL;
        _cleanup_(strv_freep) char **elements = NULL;
        StorageDamageKind kind = image ? STORAGE_DAMAGE_IMAGE : STORAGE_DAMAGE_LAYER;
        size_t size, n;
        void **items;
        bool **keep = image ? &r->image_keep : &r->layer_keep;
        int k;

        k = read_full_file_at(root_fd, path, INDEX_MAX, READ_FILE_NOFOLLOW, &text, &size);
        if (k == -ENOENT)
                return 0;
        if (k < 0)
                return log_error_errno(k, "Failed to read %s: %m", path);
        k = storage_json_array_split(text, size, &elements);
        if (k == -ENOMEM)
                return k;
        if (k < 0) {
                *(image ? &r->images_dirty : &r->layers_dirty) = true;
                return add_damage(r, kind, path, "the index does not parse");
        }
        n = strv_length(elements);
        items = calloc(n + 1, sizeof(void *));
        *keep = calloc(n + 1, sizeof(bool));
        if (!items || !*keep) {
                free(items);
                return -ENOMEM;
        }
        if (image) {
                r->images = (ImageRecord **) items;
        } else
                r->layers = (ImageLayer **) items;
        for (size_t i = 0; i < n; i++) {
                void *item = NULL;

                k = parse_element(elements[i], image, &item);
                if (k == -ENOMEM)
                        return k;
                if (k < 0) {
                        char id[64];

                        *(image ? &r->images_dirty : &r->layers_dirty) = true;
                        (void) snprintf(id, sizeof(id), "%s#%zu", image ? "images.json" : "layers.json", i);
                        k = add_damage(r, kind, id, "the record does not parse");
                        if (k < 0)
                                return k;
                        continue;
                }
                if (image) {
                        r->images[r->n_images] = item;
                        r->image_keep[r->n_images++] = true;
                } else {
                        r->layers[r->n_layers] = item;
                        r->layer_keep[r->n_layers++] = true;
                }
        }
        return 0;
}

static bool is_dir_at(int dir_fd, const char *path) {
        struct stat st;

        return fstatat(dir_fd, path, &st, AT_SYMLINK_NOFOLLOW) >= 0 && S_ISDIR(st.st_mode);
}

static int check_layers(StorageCheckReport *r, int root_fd) {
        int k;

        for (size_t i = 0; i < r->n_layers; i++) {
                ImageLayer *l = r->layers[i];
                char path[256];

                for (size_t j = 0; j < i; j++)
                        if (r->layer_keep[j] && strcmp(r->layers[j]->diff_id, l->diff_id) == 0) {
                                r->layer_keep[i] = false;
                                r->layers_dirty = true;
                                if ((k = add_damage(r, STORAGE_DAMAGE_LAYER, l->id, "listed twice")) < 0)
                                        return k;
                                break;
                        }
                if (!r->layer_keep[i])
                        continue;
                (void) snprintf(path, sizeof(path), LAYERS_DIR "/%s/diff", l->id);
                if (!is_dir_at(root_fd, path)) {
                        r->layer_keep[i] = false;
                        r->layers_dirty = true;
                        /* What is left of it (overlay/<id> without diff) goes too. */
                        k = strv_push(&r->remove, l->id);
                        if (k >= 0)
                                k = add_damage(r, STORAGE_DAMAGE_LAYER, l->id, "its directory %s is missing",
                                               path);
                        if (k < 0)
                                return k;
                }
        }
        return 0;
}

static ImageLayer *kept_layer(StorageCheckReport *r, const char *diff_id, size_t *ret_index) {
        for (size_t i = 0; i < r->n_layers; i++)
                if (r->layer_keep[i] && strcmp(r->layers[i]->diff_id, diff_id) == 0) {
                        if (ret_index)
                                *ret_index = i;
                        return r->layers[i];
                }
        return NULL;
}

/* 0 when the blob is there (and, unless quick, matches its digest); -ENOENT, -EBADMSG. */
static int check_blob(int root_fd, const char *digest, bool quick) {
        _cleanup_(digest_verifier_freep) DigestVerifier *v = NULL;
        _cleanup_close_ int fd = -EBADF;
        char path[DIGEST_STRING_MAX + 32], buf[64 * 1024];
        const char *hex = digest_hex(digest);
        struct stat st;
        Digest d;
        ssize_t n;
        int k;

        if (!hex || digest_parse(digest, &d) < 0)
                return -EBADMSG;
        (void) snprintf(path, sizeof(path), BLOBS_DIR "/%s/%s", digest_algorithm_to_string(d.algorithm), hex);
        fd = openat(root_fd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? -ENOENT : -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADMSG;
        if (quick)
                return 0;
        k = digest_verifier_new(d.algorithm, digest, -1, &v);
        if (k < 0)
                return k;
        while ((n = read(fd, buf, sizeof(buf))) > 0)
                if ((k = digest_verifier_update(v, buf, (size_t) n)) < 0)
                        return k;
        if (n < 0)
                return -errno;
        return digest_verifier_finish(v, NULL);
}

static int blob_damage(StorageCheckReport *r, const ImageRecord *img, const char *what, const char *digest,
                       int e) {
        if (e == -ENOENT)
                return add_damage(r, STORAGE_DAMAGE_IMAGE, img->id, "its %s %s is missing", what, digest);
        if (e == -EBADMSG)
                return add_damage(r, STORAGE_DAMAGE_IMAGE, img->id, "its %s %s does not match its digest", what,
                                  digest);
        return add_damage(r, STORAGE_DAMAGE_IMAGE, img->id, "its %s %s cannot be read: %s", what, digest,
                          strerror(-e));
}

static int check_images(StorageCheckReport *r, int root_fd, bool quick) {
        int k;

        for (size_t i = 0; i < r->n_images; i++) {
                ImageRecord *img = r->images[i];
                const char *why = NULL;
                int e;

                for (size_t j = 0; j < i && !why; j++)
                        if (r->image_keep[j] && strcmp(r->images[j]->id, img->id) == 0)
                                why = "listed twice";
                if (why) {
                        if ((k = add_damage(r, STORAGE_DAMAGE_IMAGE, img->id, "%s", why)) < 0)
                                return k;
                        r->image_keep[i] = false;
                        continue;
                }
                for (char **l = img->layers; l && *l; l++)
                        if (!kept_layer(r, *l, NULL)) {
                                k = add_damage(r, STORAGE_DAMAGE_IMAGE, img->id, "its layer %s is missing", *l);
                                if (k < 0)
                                        return k;
                                r->image_keep[i] = false;
                                break;
                        }
                if (!r->image_keep[i])
                        continue;
                e = check_blob(root_fd, img->config_digest, quick);
                if (e < 0) {
                        if ((k = blob_damage(r, img, "config", img->config_digest, e)) < 0)
                                return k;
                        r->image_keep[i] = false;
                        continue;
                }
                for (char **m = img->manifest_digests; m && *m; m++) {
                        e = check_blob(root_fd, *m, quick);
                        if (e < 0) {
                                if ((k = blob_damage(r, img, "manifest", *m, e)) < 0)
                                        return k;
                                r->image_keep[i] = false;
                                break;
                        }
                }
        }
        for (size_t i = 0; i < r->n_images; i++)
                if (!r->image_keep[i])
                        r->images_dirty = true;
        return 0;
}

static uint64_t now_realtime_usec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * 1000000U + (uint64_t) ts.tv_nsec / 1000U;
}

/* Older than the maximum age, by the entry's modification time (when it was unpacked or renamed). */
static bool too_old(int dir_fd, const char *name, int64_t max_age_usec) {
        struct stat st;
        uint64_t mtime, now = now_realtime_usec();

        if (max_age_usec < 0 || fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return false;
        mtime = (uint64_t) st.st_mtim.tv_sec * 1000000U + (uint64_t) st.st_mtim.tv_nsec / 1000U;
        return mtime < now && now - mtime > (uint64_t) max_age_usec;
}

static bool is_id(const char *s) {
        return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

static int check_unreferenced(StorageCheckReport *r, int root_fd, int64_t max_age_usec) {
        _cleanup_close_ int layers_fd = -EBADF;
        struct dirent *de;
        bool *used;
        DIR *d;
        int k = 0;

        used = calloc(r->n_layers + 1, sizeof(bool));
        if (!used)
                return -ENOMEM;
        for (size_t i = 0; i < r->n_images; i++)
                for (char **l = r->image_keep[i] ? r->images[i]->layers : NULL; l && *l; l++) {
                        size_t idx;

                        if (kept_layer(r, *l, &idx))
                                used[idx] = true;
                }

        layers_fd = openat(root_fd, LAYERS_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        for (size_t i = 0; i < r->n_layers && k >= 0; i++) {
                ImageLayer *l = r->layers[i];

                if (!r->layer_keep[i] || used[i] || layers_fd < 0 || !too_old(layers_fd, l->id, max_age_usec))
                        continue;
                r->layer_keep[i] = false;
                r->layers_dirty = true;
                k = strv_push(&r->remove, l->id);
                if (k >= 0)
                        k = add_damage(r, STORAGE_DAMAGE_LAYER, l->id, "no image uses it");
        }
        free(used);
        if (k < 0 || layers_fd < 0)
                return k;

        d = fdopendir(TAKE_FD(layers_fd));
        if (!d)
                return -errno;
        while (k >= 0 && (de = readdir(d))) {
                bool listed = false, temp = strncmp(de->d_name, TEMP_FILE_PREFIX, strlen(TEMP_FILE_PREFIX)) == 0;

                if (!temp && !is_id(de->d_name))
                        continue;
                for (size_t i = 0; i < r->n_layers && !listed; i++)
                        listed = strcmp(r->layers[i]->id, de->d_name) == 0;
                if (listed || !too_old(dirfd(d), de->d_name, max_age_usec))
                        continue;
                k = strv_push(&r->remove, de->d_name);
                if (k >= 0)
                        k = add_damage(r, STORAGE_DAMAGE_LAYER, de->d_name, "%s",
                                       temp ? "left by an interrupted write" : "not in the layer index");
        }
        closedir(d);
        return k;
}

static ImageRecord *kept_image(StorageCheckReport *r, const char *id) {
        for (size_t i = 0; i < r->n_images; i++)
                if (r->image_keep[i] && strcmp(r->images[i]->id, id) == 0)
                        return r->images[i];
        return NULL;
}

static bool layer_id_kept(StorageCheckReport *r, const char *hex) {
        for (size_t i = 0; i < r->n_layers; i++)
                if (r->layer_keep[i] && strcmp(r->layers[i]->id, hex) == 0)
                        return true;
        return false;
}

/* reason may hold one %s, filled with arg. */
static int container_damage(StorageCheckReport *r, const char *id, const char *reason, const char *arg) {
        _cleanup_free_ char *text = NULL;
        const char *s = strstr(reason, "%s");
        int k;

        if (!strv_contains(r->containers, id) && (k = strv_push(&r->containers, id)) < 0)
                return k;
        if (s && asprintf(&text, "%.*s%s%s", (int) (s - reason), reason, arg ?: "", s + 2) < 0)
                return -ENOMEM;
        return add_damage(r, STORAGE_DAMAGE_CONTAINER, id, "%s", text ?: reason);
}

static int check_container(StorageCheckReport *r, const Config *c, const char *id) {
        _cleanup_free_ char *dir = NULL, *text = NULL, *image = NULL, *merged = NULL;
        _cleanup_(strv_freep) char **layers = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t size;
        int k;

        if (asprintf(&dir, "%s/" CONTAINER_LAYERS_DIR "/%s", c->root, id) < 0 ||
            asprintf(&merged, "%s/merged", dir) < 0)
                return -ENOMEM;
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return container_damage(r, id, "its bundle is left without the container", NULL);
        if (!is_dir_at(fd, "diff"))
                return container_damage(r, id, "its writable layer is missing", NULL);

        k = read_full_file_at(fd, "state.json", RECORD_MAX, READ_FILE_NOFOLLOW, &text, &size);
        if (k >= 0) {
                k = storage_container_record_image(text, size, &image);
                if (k == -ENOMEM)
                        return k;
                if (k < 0)
                        return container_damage(r, id, "its record does not parse", NULL);
                if (image && !kept_image(r, image))
                        return container_damage(r, id, "its image %s is gone", image);
        } else if (k != -ENOENT)
                return container_damage(r, id, "its record cannot be read", NULL);

        k = storage_mounted_layers(merged, &layers);
        if (k < 0)
                return k == -ENOMEM ? k : 0;
        for (char **l = layers; l && *l; l++)
                if (!layer_id_kept(r, *l))
                        return container_damage(r, id, "the layer %s of its rootfs is gone", *l);
        return 0;
}

static int check_containers(StorageCheckReport *r, const Config *c) {
        _cleanup_(strv_freep) char **ids = NULL, **run_ids = NULL;
        _cleanup_free_ char *dir = NULL, *run_dir = NULL;
        int k;

        if (asprintf(&dir, "%s/" CONTAINER_LAYERS_DIR, c->root) < 0 ||
            asprintf(&run_dir, "%s/" CONTAINER_LAYERS_DIR, c->runroot) < 0)
                return -ENOMEM;
        k = storage_list_ids(dir, &ids);
        if (k >= 0)
                k = storage_list_ids(run_dir, &run_ids);
        if (k < 0)
                return log_error_errno(k, "Failed to list the containers: %m");
        for (char **i = run_ids; *i; i++)
                if (!strv_contains(ids, *i) && (k = strv_push(&ids, *i)) < 0)
                        return k;
        for (char **i = ids; *i; i++)
                if ((k = check_container(r, c, *i)) < 0)
                        return k;
        return 0;
}

int storage_check(const Config *c, const StorageCheckOptions *o, StorageCheckReport **ret) {
        _cleanup_(storage_check_report_freep) StorageCheckReport *r = NULL;
        _cleanup_close_ int root_fd = -EBADF;
        int k;

        r = calloc(1, sizeof(StorageCheckReport));
        if (!r)
                return -ENOMEM;
        root_fd = open(c->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0 && errno != ENOENT)
                return log_error_errno(errno, "Failed to open %s: %m", c->root);
        if (root_fd >= 0) {
                if ((k = read_index(r, root_fd, LAYER_INDEX, false)) < 0 ||
                    (k = read_index(r, root_fd, IMAGE_INDEX, true)) < 0 ||
                    (k = check_layers(r, root_fd)) < 0 ||
                    (k = check_images(r, root_fd, o->quick)) < 0 ||
                    (k = check_unreferenced(r, root_fd, o->max_layer_age_usec)) < 0)
                        return k;
        }
        k = check_containers(r, c);
        if (k < 0)
                return k;
        *ret = TAKE_PTR(r);
        return 0;
}

static int write_indexes(const StorageCheckReport *r, int root_fd) {
        _cleanup_free_ ImageRecord **images = NULL;
        _cleanup_free_ ImageLayer **layers = NULL;
        _cleanup_free_ char *json = NULL;
        size_t ni = 0, nl = 0;
        int k;

        images = calloc(r->n_images + 1, sizeof(ImageRecord *));
        layers = calloc(r->n_layers + 1, sizeof(ImageLayer *));
        if (!images || !layers)
                return -ENOMEM;
        for (size_t i = 0; i < r->n_images; i++)
                if (r->image_keep[i])
                        images[ni++] = r->images[i];
        for (size_t i = 0; i < r->n_layers; i++)
                if (r->layer_keep[i])
                        layers[nl++] = r->layers[i];

        /* Images first: an image is unlisted before its layers go, as the store itself orders it. */
        if (r->images_dirty) {
                k = image_records_to_json(images, ni, &json);
                if (k >= 0)
                        k = write_file_atomic_at(root_fd, IMAGE_INDEX, json, strlen(json), 0600);
                if (k < 0)
                        return log_error_errno(k, "Failed to rewrite " IMAGE_INDEX ": %m");
                json = mfree(json);
        }
        if (r->layers_dirty) {
                k = image_layers_to_json(layers, nl, &json);
                if (k >= 0)
                        k = write_file_atomic_at(root_fd, LAYER_INDEX, json, strlen(json), 0600);
                if (k < 0)
                        return log_error_errno(k, "Failed to rewrite " LAYER_INDEX ": %m");
        }
        return 0;
}

int storage_repair(const Config *c, const StorageCheckReport *r, bool remove_containers) {
        _cleanup_(storage_units_freep) StorageUnits *u = NULL;
        _cleanup_close_ int lock_fd = -EBADF, root_fd = -EBADF, layers_fd = -EBADF;
        _cleanup_(image_store_freep) ImageStore *s = NULL;
        int k, ret = 0;

        k = storage_lock(c->root, &lock_fd);
        if (k == -EBUSY)
                return log_error_errno(k, "The storage in %s is in use by a running crio; stop it first.",
                                       c->root);
        if (k < 0)
                return log_error_errno(k, "Failed to lock the storage in %s: %m", c->root);

        if (remove_containers && !strv_isempty(r->containers)) {
                if (storage_units_open(&u) < 0)
                        log_info("systemd is not reachable: no units to stop.");
                for (char **i = r->containers; *i; i++) {
                        k = storage_wipe_container(c, u, *i);
                        if (k < 0 && ret == 0)
                                ret = k;
                }
        }

        root_fd = open(c->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                return errno == ENOENT ? ret : log_error_errno(errno, "Failed to open %s: %m", c->root);
        k = write_indexes(r, root_fd);
        if (k < 0)
                return k;
        layers_fd = openat(root_fd, LAYERS_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        for (char **name = r->remove; layers_fd >= 0 && name && *name; name++) {
                k = image_fs_remove_tree(layers_fd, *name);
                if (k < 0) {
                        log_error_errno(k, "Failed to remove " LAYERS_DIR "/%s: %m", *name);
                        if (ret == 0)
                                ret = k;
                } else
                        log_info("Removed layer directory %s.", *name);
        }

        /* Opening the store sweeps what no image uses any more (blobs, unlisted layers) and proves
         * that what is left loads. */
        lock_fd = safe_close(lock_fd);
        k = image_store_open(c->root, &s);
        if (k < 0)
                return log_error_errno(k, "The image store in %s does not load after the repair: %m", c->root);
        return ret;
}

static void log_report(const StorageCheckReport *r, int level) {
        for (size_t i = 0; i < r->n_damage; i++)
                log_full(level, "%s %s: %s", damage_kind_table[r->damage[i].kind], r->damage[i].id,
                         r->damage[i].reason);
}

int storage_check_command(const Config *c, const StorageCheckCommand *o) {
        _cleanup_(storage_check_report_freep) StorageCheckReport *r = NULL;
        _cleanup_close_ int lock_fd = -EBADF;
        unsigned nl, ni, nc;
        int k;

        log_info("Checking storage directory %s for errors.", c->root);
        /* A running crio writes the indexes atomically: a check without repair may read under it. */
        k = storage_lock(c->root, &lock_fd);
        if (k == -EBUSY && !o->repair)
                log_info("A running crio holds the storage; checking it as it stands.");
        lock_fd = safe_close(lock_fd);

        k = storage_check(c, &(StorageCheckOptions) {
                        .quick = o->quick,
                        .max_layer_age_usec = o->max_layer_age_usec,
                }, &r);
        if (k < 0)
                return log_error_errno(k, "Unable to check storage: %m");
        nl = r->counts[STORAGE_DAMAGE_LAYER];
        ni = r->counts[STORAGE_DAMAGE_IMAGE];
        nc = r->counts[STORAGE_DAMAGE_CONTAINER];
        log_report(r, o->repair ? LOG_INFO : LOG_WARNING);

        if (!o->repair) {
                if (!storage_check_report_has_errors(r))
                        return 0;
                log_warning("Errors found while checking storage directory %s.", c->root);
                return log_error_errno(EUCLEAN, "%u layer errors, 0 read-only layer errors, %u image errors, "
                                       "0 read-only image errors, %u container errors", nl, ni, nc);
        }
        if (!storage_check_report_has_errors(r))
                return 0;
        if (o->force)
                log_warning("The force option is set: the repair removes damaged containers.");
        log_info("Attempting to repair storage directory %s.", c->root);
        k = storage_repair(c, r, o->force);
        if (k < 0 && !o->wipe)
                return k;
        if (k < 0) {
                _cleanup_(storage_units_freep) StorageUnits *u = NULL;
                _cleanup_(strv_freep) char **ids = NULL;
                _cleanup_free_ char *dir = NULL;

                /* As CRI-O: without --force, containers keep the storage from being wiped. */
                if (asprintf(&dir, "%s/" CONTAINER_LAYERS_DIR, c->root) < 0)
                        return -ENOMEM;
                if (!o->force && storage_list_ids(dir, &ids) >= 0 && !strv_isempty(ids))
                        return log_error_errno(EBUSY, "Not wiping %s: it holds containers (--force removes them).",
                                               c->root);
                log_info("Wiping storage directory %s.", c->root);
                (void) storage_units_open(&u);
                k = storage_wipe_pods(c, u);
                return k < 0 ? k : storage_wipe_root(c, u);
        }
        if (!o->force && nc > 0)
                return log_error_errno(EUCLEAN,
                                       "0 read-only layer errors, 0 read-only image errors, %u container errors", nc);
        log_info("Storage directory %s repaired.", c->root);
        return 0;
}

int storage_repair_at_start(const Config *c) {
        _cleanup_(storage_check_report_freep) StorageCheckReport *r = NULL;
        bool wipe = false;
        int k;

        if (!c->internal_repair || !storage_shutdown_was_unclean(c->clean_shutdown_file))
                return 0;
        log_warning("Checking storage directory %s for errors because of unclean shutdown.", c->root);
        k = storage_check(c, &(StorageCheckOptions) {
                        .quick = false,         /* only blobs are hashed: configs and manifests, small */
                        .max_layer_age_usec = STORAGE_LAYER_AGE_DEFAULT_USEC,
                }, &r);
        if (k < 0)
                wipe = true;
        else if (storage_check_report_has_errors(r)) {
                log_report(r, LOG_WARNING);
                log_warning("Attempting to repair storage directory %s because of unclean shutdown.", c->root);
                wipe = storage_repair(c, r, /* remove_containers= */ true) < 0;
        }
        if (wipe) {
                _cleanup_(storage_units_freep) StorageUnits *u = NULL;

                log_warning("Wiping storage directory %s because of unclean shutdown.", c->root);
                (void) storage_units_open(&u);
                k = storage_wipe_pods(c, u);
                if (k >= 0)
                        k = storage_wipe_root(c, u);
                if (k < 0)
                        return k;
        }
        return 0;
}
