/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#include "digest.h"
#include "image-fs.h"
#include "image-json.h"
#include "image-store.h"
#include "strv.h"
#include "log.h"

#define LAYERS_DIR "overlay"
#define LAYER_INDEX_DIR "overlay-layers"
#define IMAGE_INDEX_DIR "overlay-images"
#define BLOBS_DIR "overlay-blobs"
#define LAYER_INDEX "layers.json"
#define IMAGE_INDEX "images.json"
#define LOCK_FILE "storage.lock"
#define INDEX_MAX (UINT64_C(256) * 1024 * 1024)

struct ImageStore {
        char *root;
        int root_fd;
        int lock_fd;
        int layers_fd;
        int layer_index_fd;
        int image_index_fd;
        BlobStore *blobs;

        ImageLayer **layers;
        size_t n_layers;
        ImageRecord **images;
        size_t n_images;

        /* Written without fsync since the last syncfs(): layer directories, blobs. */
        bool unsynced;
        /* layers.json is behind the in-memory list. */
        bool layers_dirty;

        ImageStoreInUseFunc in_use;
        void *in_use_userdata;
};

ImageStore *image_store_free(ImageStore *s) {
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n_layers; i++)
                image_layer_free(s->layers[i]);
        free(s->layers);
        for (size_t i = 0; i < s->n_images; i++)
                image_record_free(s->images[i]);
        free(s->images);
        blob_store_free(s->blobs);
        safe_close(s->layers_fd);
        safe_close(s->layer_index_fd);
        safe_close(s->image_index_fd);
        safe_close(s->lock_fd);
        safe_close(s->root_fd);
        free(s->root);
        return mfree(s);
}

const char *image_store_root(const ImageStore *s) {
        return s->root;
}

BlobStore *image_store_blobs(ImageStore *s) {
        return s->blobs;
}

/* One syncfs() makes every layer file and blob written without fsync durable, renames included,
 * before an index may name them. */
static int store_sync(ImageStore *s) {
        if (!s->unsynced)
                return 0;
        if (syncfs(s->root_fd) < 0)
                return log_error_errno(errno, "Failed to sync the file system of %s: %m", s->root);
        s->unsynced = false;
        return 0;
}

static int save_layers(ImageStore *s) {
        _cleanup_free_ char *json = NULL;
        int r;

        /* The index never names a layer whose files might not be on disk yet. */
        r = store_sync(s);
        if (r < 0)
                return r;

        r = image_layers_to_json(s->layers, s->n_layers, &json);
        if (r < 0)
                return r;
        r = write_file_atomic_at(s->layer_index_fd, LAYER_INDEX, json, strlen(json), 0600);
        if (r < 0)
                return log_error_errno(r, "Failed to write %s/" LAYER_INDEX_DIR "/" LAYER_INDEX ": %m", s->root);
        s->layers_dirty = false;
        return 0;
}

static int save_images(ImageStore *s) {
        _cleanup_free_ char *json = NULL;
        int r;

        /* Layers and blobs first: images.json only names what is durable and indexed. */
        if (s->layers_dirty || s->unsynced) {
                r = save_layers(s);
                if (r < 0)
                        return r;
        }

        r = image_records_to_json(s->images, s->n_images, &json);
        if (r < 0)
                return r;
        r = write_file_atomic_at(s->image_index_fd, IMAGE_INDEX, json, strlen(json), 0600);
        if (r < 0)
                return log_error_errno(r, "Failed to write %s/" IMAGE_INDEX_DIR "/" IMAGE_INDEX ": %m", s->root);
        return 0;
}

ImageLayer *image_store_get_layer(ImageStore *s, const char *diff_id) {
        for (size_t i = 0; i < s->n_layers; i++)
                if (strcmp(s->layers[i]->diff_id, diff_id) == 0)
                        return s->layers[i];
        return NULL;
}

static ssize_t layer_index(ImageStore *s, const ImageLayer *l) {
        for (size_t i = 0; i < s->n_layers; i++)
                if (s->layers[i] == l)
                        return (ssize_t) i;
        return -1;
}

/* Moves the directory aside under a temp name first: a crash mid-removal leaves something the
 * next sweep recognizes, never a half-deleted layer under its real name. */
static void remove_layer_dir(ImageStore *s, const char *id) {
        _cleanup_free_ char *tmp = NULL;

        if (tempfile_name("remove", &tmp) < 0)
                return;
        if (renameat(s->layers_fd, id, s->layers_fd, tmp) < 0) {
                if (errno != ENOENT)
                        log_warning_errno(errno, "Failed to move layer %s aside, ignoring: %m", id);
                return;
        }
        if (image_fs_remove_tree(s->layers_fd, tmp) < 0)
                log_warning("Failed to remove layer %s, leaving it to the next start.", id);
}

/* Unlists the layers nothing uses from the index file, then deletes their directories. */
static int drop_unused_layers(ImageStore *s) {
        _cleanup_(strv_freep) char **gone = NULL;
        size_t w = 0;
        int r;

        for (size_t i = 0; i < s->n_layers; i++) {
                ImageLayer *l = s->layers[i];

                if (l->n_refs > 0) {
                        s->layers[w++] = l;
                        continue;
                }
                r = strv_push(&gone, l->id);
                if (r < 0)
                        return r;
                image_layer_free(l);
        }
        if (w == s->n_layers)
                return 0;
        s->n_layers = w;
        r = save_layers(s);
        if (r < 0)
                return r;       /* the directories stay; the next start collects them */
        for (char **id = gone; id && *id; id++) {
                log_debug("Removing unused layer %s.", *id);
                remove_layer_dir(s, *id);
        }
        return 0;
}

static bool blob_in_use(ImageStore *s, const char *digest) {
        for (size_t i = 0; i < s->n_images; i++) {
                const ImageRecord *r = s->images[i];

                if (strcmp(r->config_digest, digest) == 0 || strv_contains(r->manifest_digests, digest))
                        return true;
        }
        return false;
}

static int load(ImageStore *s) {
        _cleanup_free_ char *layers_json = NULL, *images_json = NULL;
        size_t size, w;
        bool images_changed = false;
        int r;

        r = read_full_file_at(s->layer_index_fd, LAYER_INDEX, INDEX_MAX, READ_FILE_NOFOLLOW, &layers_json, &size);
        if (r >= 0) {
                r = image_layers_from_json(layers_json, size, &s->layers, &s->n_layers);
                if (r < 0)
                        return log_error_errno(r, "Failed to parse %s/" LAYER_INDEX_DIR "/" LAYER_INDEX ": %m",
                                               s->root);
        } else if (r != -ENOENT)
                return log_error_errno(r, "Failed to read the layer index: %m");

        r = read_full_file_at(s->image_index_fd, IMAGE_INDEX, INDEX_MAX, READ_FILE_NOFOLLOW, &images_json, &size);
        if (r >= 0) {
                r = image_records_from_json(images_json, size, &s->images, &s->n_images);
                if (r < 0)
                        return log_error_errno(r, "Failed to parse %s/" IMAGE_INDEX_DIR "/" IMAGE_INDEX ": %m",
                                               s->root);
        } else if (r != -ENOENT)
                return log_error_errno(r, "Failed to read the image index: %m");

        /* A listed layer whose directory vanished cannot serve anyone. */
        w = 0;
        for (size_t i = 0; i < s->n_layers; i++) {
                ImageLayer *l = s->layers[i];
                char path[256];
                struct stat st;

                bool duplicate = false;

                for (size_t j = 0; j < w && !duplicate; j++)
                        duplicate = strcmp(s->layers[j]->diff_id, l->diff_id) == 0;
                snprintf(path, sizeof(path), "%s/diff", l->id);
                if (duplicate || fstatat(s->layers_fd, path, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode)) {
                        log_warning("Layer %s is missing or listed twice, dropping it.", l->diff_id);
                        image_layer_free(l);
                        continue;
                }
                s->layers[w++] = l;
        }
        s->n_layers = w;

        /* Images whose layers are gone are broken: drop them, so a pull can fetch them again. */
        w = 0;
        for (size_t i = 0; i < s->n_images; i++) {
                ImageRecord *img = s->images[i];
                bool ok = true;

                for (size_t j = 0; j < w && ok; j++)
                        ok = strcmp(s->images[j]->id, img->id) != 0;

                for (char **l = img->layers; ok && l && *l; l++)
                        if (!image_store_get_layer(s, *l))
                                ok = false;
                if (!ok) {
                        log_warning("Image %s lacks a layer or is listed twice, dropping it.", img->id);
                        image_record_free(img);
                        images_changed = true;
                        continue;
                }
                for (char **l = img->layers; l && *l; l++)
                        image_store_get_layer(s, *l)->n_refs++;
                s->images[w++] = img;
        }
        s->n_images = w;
        if (images_changed) {
                r = save_images(s);
                if (r < 0)
                        return r;
        }
        /* Layers of a pull that never finished. */
        return drop_unused_layers(s);
}

static bool is_layer_id(const char *name) {
        return strlen(name) == 64 && strspn(name, "0123456789abcdef") == 64;
}

/* Directories under overlay/ that the index does not list: unpacked by a run that died before
 * recording them. */
static int sweep_layer_dirs(ImageStore *s) {
        int fd = openat(s->layers_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct dirent *de;
        DIR *d;

        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return -errno;
        }
        while ((de = readdir(d))) {
                bool known = false;

                if (!is_layer_id(de->d_name))
                        continue;
                for (size_t i = 0; i < s->n_layers && !known; i++)
                        known = strcmp(s->layers[i]->id, de->d_name) == 0;
                if (known)
                        continue;
                log_debug("Removing unlisted layer directory %s.", de->d_name);
                if (image_fs_remove_tree(dirfd(d), de->d_name) < 0)
                        log_warning("Failed to remove unlisted layer %s, ignoring.", de->d_name);
        }
        closedir(d);
        return 0;
}

static int sweep_blobs(ImageStore *s) {
        _cleanup_(strv_freep) char **digests = NULL;
        int r;

        r = blob_store_list(s->blobs, &digests);
        if (r < 0)
                return r;
        for (char **d = digests; *d; d++)
                if (!blob_in_use(s, *d)) {
                        log_debug("Removing unused blob %s.", *d);
                        (void) blob_store_remove(s->blobs, *d);
                }
        return 0;
}

int image_store_open(const char *root, ImageStore **ret) {
        _cleanup_(image_store_freep) ImageStore *s = NULL;
        int r;

        if (!root || root[0] != '/')
                return -EINVAL;
        s = calloc(1, sizeof(ImageStore));
        if (!s)
                return -ENOMEM;
        s->root_fd = s->lock_fd = s->layers_fd = s->layer_index_fd = s->image_index_fd = -EBADF;
        s->root = strdup(root);
        if (!s->root)
                return -ENOMEM;

        if (mkdir(root, 0700) < 0 && errno != EEXIST)
                return log_error_errno(errno, "Failed to create %s: %m", root);
        s->root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (s->root_fd < 0)
                return log_error_errno(errno, "Failed to open %s: %m", root);

        s->lock_fd = openat(s->root_fd, LOCK_FILE, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (s->lock_fd < 0)
                return log_error_errno(errno, "Failed to open %s/" LOCK_FILE ": %m", root);
        if (flock(s->lock_fd, LOCK_EX | LOCK_NB) < 0)
                return log_error_errno(errno == EWOULDBLOCK ? EBUSY : errno,
                                       "Image store %s is in use by another process: %m", root);

        if ((r = image_fs_open_dir(s->root_fd, LAYERS_DIR, true, &s->layers_fd)) < 0 ||
            (r = image_fs_open_dir(s->root_fd, LAYER_INDEX_DIR, true, &s->layer_index_fd)) < 0 ||
            (r = image_fs_open_dir(s->root_fd, IMAGE_INDEX_DIR, true, &s->image_index_fd)) < 0)
                return log_error_errno(r, "Failed to create the directories of %s: %m", root);
        r = blob_store_open(s->root_fd, BLOBS_DIR, &s->blobs);
        if (r < 0)
                return r;

        /* Leftovers first, so loading sees only complete files. */
        (void) image_fs_sweep_temp(s->layers_fd);
        (void) image_fs_sweep_temp(s->layer_index_fd);
        (void) image_fs_sweep_temp(s->image_index_fd);

        r = load(s);
        if (r < 0)
                return r;
        r = sweep_layer_dirs(s);
        if (r < 0)
                log_warning_errno(r, "Failed to sweep layer directories, ignoring: %m");
        r = sweep_blobs(s);
        if (r < 0)
                log_warning_errno(r, "Failed to sweep blobs, ignoring: %m");

        log_debug("Image store %s: %zu images, %zu layers.", root, s->n_images, s->n_layers);
        *ret = TAKE_PTR(s);
        return 0;
}

int image_store_layer_path(const ImageStore *s, const char *diff_id, char **ret) {
        const char *hex = digest_hex(diff_id);

        if (!hex)
                return -EINVAL;
        if (asprintf(ret, "%s/" LAYERS_DIR "/%s/diff", s->root, hex) < 0)
                return -ENOMEM;
        return 0;
}

int image_store_image_layer_paths(const ImageStore *s, const ImageRecord *image, char ***ret) {
        _cleanup_(strv_freep) char **l = calloc(strv_length(image->layers) + 1, sizeof(char *));
        size_t n = 0;

        if (!l)
                return -ENOMEM;
        for (char **d = image->layers; d && *d; d++) {
                int r = image_store_layer_path(s, *d, &l[n]);
                if (r < 0)
                        return r;
                n++;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

int image_store_hold_layer(ImageStore *s, const char *diff_id, ImageLayer **ret) {
        ImageLayer *l = image_store_get_layer(s, diff_id);

        if (!l)
                return -ENOENT;
        l->n_refs++;
        if (ret)
                *ret = l;
        return 0;
}

void image_store_release_layer(ImageStore *s, ImageLayer *layer) {
        if (!layer || layer_index(s, layer) < 0)
                return;
        if (layer->n_refs > 0)
                layer->n_refs--;
        if (layer->n_refs == 0)
                (void) drop_unused_layers(s);
}

static int append_layer(ImageStore *s, ImageLayer *l) {
        ImageLayer **n = realloc(s->layers, (s->n_layers + 1) * sizeof(ImageLayer *));

        if (!n)
                return -ENOMEM;
        s->layers = n;
        s->layers[s->n_layers++] = l;
        return 0;
}

struct ImageLayerUnpacked {
        ImageStore *store;
        char *tmp;                      /* the temp directory below the layers directory */
        char *compressed_digest;
        LayerUnpackResult result;
        uint64_t usage_bytes, usage_inodes;
        bool usage_known;
};

ImageLayerUnpacked *image_layer_unpacked_free(ImageLayerUnpacked *u) {
        if (!u)
                return NULL;
        if (u->tmp)
                (void) image_fs_remove_tree(u->store->layers_fd, u->tmp);
        free(u->tmp);
        free(u->compressed_digest);
        layer_unpack_result_done(&u->result);
        return mfree(u);
}

const char *image_layer_unpacked_diff_id(const ImageLayerUnpacked *u) {
        return u->result.diff_id;
}

/* Touches only the fds fixed at open, never the indexes: safe on a worker thread. */
int image_store_unpack_layer(ImageStore *s, int input_fd, const ImageLayerAddOptions *options,
                             ImageLayerUnpacked **ret) {
        _cleanup_(image_layer_unpacked_freep) ImageLayerUnpacked *u = NULL;
        _cleanup_close_ int tmp_fd = -EBADF, diff_fd = -EBADF;
        LayerUnpackOptions unpack;
        int r;

        if (options && options->expected_diff_id && !digest_is_valid(options->expected_diff_id))
                return -EINVAL;
        if (options && options->unpack)
                unpack = *options->unpack;
        else {
                r = layer_unpack_options_for_store(s->root_fd, &unpack);
                if (r < 0)
                        return r;
        }
        if (options) {
                unpack.compressed_digest = options->compressed_digest;
                unpack.compressed_size = options->compressed_digest ? options->compressed_size : -1;
        }

        u = calloc(1, sizeof(ImageLayerUnpacked));
        if (!u)
                return -ENOMEM;
        u->store = s;
        if (options && options->compressed_digest) {
                u->compressed_digest = strdup(options->compressed_digest);
                if (!u->compressed_digest)
                        return -ENOMEM;
        }

        r = tempfile_name("layer", &u->tmp);
        if (r < 0)
                return r;
        if (mkdirat(s->layers_fd, u->tmp, 0700) < 0) {
                u->tmp = mfree(u->tmp);
                return -errno;
        }
        tmp_fd = openat(s->layers_fd, u->tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (tmp_fd < 0)
                return -errno;
        if (mkdirat(tmp_fd, "diff", 0755) < 0 ||
            (diff_fd = openat(tmp_fd, "diff", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
                return -errno;

        r = layer_unpack(input_fd, diff_fd, &unpack, &u->result);
        if (r < 0)
                return log_debug_errno(r, "Failed to unpack layer %s: %m", u->compressed_digest ?: "");
        if (options && options->expected_diff_id && strcmp(options->expected_diff_id, u->result.diff_id) != 0)
                return log_debug_errno(EBADMSG, "Layer has diff id %s, expected %s.", u->result.diff_id,
                                       options->expected_diff_id);

        /* No sync here: the files become durable with the store's next syncfs(), which comes before
         * any index names the layer (save_layers()). Measured now, while the inodes are cached, so
         * that ImageFsInfo never walks layers. */
        u->usage_known = image_fs_entry_usage(s->layers_fd, u->tmp, &u->usage_bytes, &u->usage_inodes) >= 0;

        *ret = TAKE_PTR(u);
        return 0;
}

int image_store_commit_layer(ImageStore *s, ImageLayerUnpacked *u, ImageLayer **ret) {
        _cleanup_(image_layer_freep) ImageLayer *layer = NULL;
        ImageLayer *existing;
        int r;

        if (u->store != s)
                return -EINVAL;

        existing = image_store_get_layer(s, u->result.diff_id);
        if (existing) {
                /* Another pull won the race: share its copy. */
                existing->n_refs++;
                *ret = existing;
                return 0;
        }

        r = image_layer_new(u->result.diff_id, &layer);
        if (r < 0)
                return r;
        layer->size = u->result.size;
        layer->compressed_size = u->result.compressed_size;
        if (u->compressed_digest) {
                layer->compressed_digest = strdup(u->compressed_digest);
                if (!layer->compressed_digest)
                        return -ENOMEM;
        }

        layer->usage_known = u->usage_known;
        layer->usage_bytes = u->usage_bytes;
        layer->usage_inodes = u->usage_inodes;

        (void) image_fs_remove_tree(s->layers_fd, layer->id);  /* an unlisted leftover */
        if (renameat(s->layers_fd, u->tmp, s->layers_fd, layer->id) < 0)
                return -errno;
        u->tmp = mfree(u->tmp);

        r = append_layer(s, layer);
        if (r < 0) {
                remove_layer_dir(s, layer->id);
                return r;
        }
        /* Listed in memory only: layers.json follows with the image that uses the layer (one
         * syncfs per image instead of one per layer). A crash before that leaves an unlisted
         * directory, which the start-up sweep removes. */
        s->unsynced = true;
        s->layers_dirty = true;
        layer->n_refs = 1;
        log_debug("Stored layer %s (%" PRIu64 " bytes, %" PRIu64 " entries).", layer->diff_id, u->result.size,
                  u->result.n_entries);
        *ret = TAKE_PTR(layer);
        return 0;
}

int image_store_add_layer(ImageStore *s, int input_fd, const ImageLayerAddOptions *options, ImageLayer **ret) {
        _cleanup_(image_layer_unpacked_freep) ImageLayerUnpacked *u = NULL;
        int r;

        r = image_store_unpack_layer(s, input_fd, options, &u);
        if (r < 0)
                return r;
        return image_store_commit_layer(s, u, ret);
}

ImageRecord *image_store_find_by_id(ImageStore *s, const char *id) {
        if (!id)
                return NULL;
        if (strchr(id, ':')) {
                for (size_t i = 0; i < s->n_images; i++)
                        if (strcmp(s->images[i]->config_digest, id) == 0)
                                return s->images[i];
                return NULL;
        }
        for (size_t i = 0; i < s->n_images; i++)
                if (strcmp(s->images[i]->id, id) == 0)
                        return s->images[i];
        return NULL;
}

ImageRecord *image_store_find_by_name(ImageStore *s, const char *name) {
        for (size_t i = 0; i < s->n_images; i++)
                if (image_record_has_name(s->images[i], name))
                        return s->images[i];
        return NULL;
}

ImageRecord *image_store_find_by_digest(ImageStore *s, const char *digest) {
        const char *at = strrchr(digest, '@');

        for (size_t i = 0; i < s->n_images; i++) {
                ImageRecord *r = s->images[i];

                if (at ? strv_contains(r->repo_digests, digest) : image_record_has_digest(r, digest))
                        return r;
        }
        return NULL;
}

int image_store_find_by_id_prefix(ImageStore *s, const char *prefix, ImageRecord **ret) {
        ImageRecord *found = NULL;
        size_t n = strlen(prefix);

        if (n == 0 || strspn(prefix, "0123456789abcdef") != n)
                return -ENOENT;
        for (size_t i = 0; i < s->n_images; i++)
                if (strncmp(s->images[i]->id, prefix, n) == 0) {
                        if (found)
                                return -ENOTUNIQ;
                        found = s->images[i];
                }
        if (!found)
                return -ENOENT;
        *ret = found;
        return 0;
}

int image_store_find(ImageStore *s, const char *ref, ImageRecord **ret) {
        ImageRecord *r;

        if (!ref || !ref[0])
                return -EINVAL;
        r = image_store_find_by_id(s, ref);
        if (!r)
                r = image_store_find_by_name(s, ref);
        if (!r)
                r = image_store_find_by_digest(s, ref);
        if (!r)
                return image_store_find_by_id_prefix(s, ref, ret);
        *ret = r;
        return 0;
}

ImageRecord *const *image_store_images(ImageStore *s, size_t *ret_n) {
        *ret_n = s->n_images;
        return s->images;
}

static uint64_t image_size(ImageStore *s, const ImageRecord *r) {
        uint64_t size = 0, config_size = 0;

        for (char **d = r->layers; d && *d; d++) {
                ImageLayer *l = image_store_get_layer(s, *d);
                if (l)
                        size += l->size;
        }
        if (blob_store_size(s->blobs, r->config_digest, &config_size) >= 0)
                size += config_size;
        return size;
}

int image_store_add_image(ImageStore *s, ImageRecord **image, ImageRecord **ret) {
        ImageRecord *r = *image, *existing, **n;
        int k;

        if (!r || !digest_is_valid(r->config_digest))
                return -EINVAL;
        for (char **d = r->layers; d && *d; d++)
                if (!image_store_get_layer(s, *d))
                        return log_debug_errno(ENOENT, "Image %s needs layer %s, which is not stored.", r->id, *d);

        existing = image_store_find_by_id(s, r->id);
        if (existing) {
                for (char **i = r->names; i && *i; i++)
                        if ((k = image_record_add_name(existing, *i)) < 0)
                                return k;
                for (char **i = r->repo_digests; i && *i; i++)
                        if ((k = image_record_add_repo_digest(existing, *i)) < 0)
                                return k;
                for (char **i = r->manifest_digests; i && *i; i++)
                        if ((k = image_record_add_manifest_digest(existing, *i)) < 0)
                                return k;
                existing->pinned = existing->pinned || r->pinned;
        } else {
                n = realloc(s->images, (s->n_images + 1) * sizeof(ImageRecord *));
                if (!n)
                        return -ENOMEM;
                s->images = n;
                if (r->size == 0)
                        r->size = image_size(s, r);
                if (r->added_usec == 0) {
                        struct timespec ts;
                        clock_gettime(CLOCK_REALTIME, &ts);
                        r->added_usec = (uint64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
                }
                s->images[s->n_images++] = r;
                for (char **d = r->layers; d && *d; d++)
                        image_store_get_layer(s, *d)->n_refs++;
                existing = r;
        }

        /* A tag names one image: it leaves whichever image had it before. */
        for (char **i = existing->names; i && *i; i++)
                for (size_t j = 0; j < s->n_images; j++)
                        if (s->images[j] != existing)
                                (void) strv_remove(s->images[j]->names, *i);

        if (existing != r)
                *image = image_record_free(r);
        else
                *image = NULL;

        /* On a failed write memory stays ahead of the disk; the next successful write catches up,
         * and layers are only deleted after an image is unlisted on disk. */
        k = save_images(s);
        if (k < 0)
                return k;
        if (ret)
                *ret = existing;
        return 0;
}

void image_store_set_in_use_hook(ImageStore *s, ImageStoreInUseFunc in_use, void *userdata) {
        s->in_use = in_use;
        s->in_use_userdata = userdata;
}

int image_store_remove_image(ImageStore *s, const char *id, ImageStoreInUseFunc in_use, void *userdata) {
        _cleanup_(image_record_freep) ImageRecord *img = NULL;
        size_t idx;
        int r;

        img = image_store_find_by_id(s, id);
        if (!img)
                return -ENOENT;
        if (img->pinned) {
                img = NULL;
                return log_debug_errno(EBUSY, "Image %s is pinned, not removing it.", id);
        }
        for (unsigned i = 0; i < 2; i++) {
                ImageStoreInUseFunc f = i == 0 ? in_use : s->in_use;

                if (!f)
                        continue;
                r = f(img, i == 0 ? userdata : s->in_use_userdata);
                if (r != 0) {
                        img = NULL;
                        return r < 0 ? r : log_debug_errno(EBUSY, "Image %s is in use, not removing it.", id);
                }
        }

        for (idx = 0; s->images[idx] != img; idx++)
                ;
        memmove(s->images + idx, s->images + idx + 1, (s->n_images - idx - 1) * sizeof(ImageRecord *));
        s->n_images--;
        r = save_images(s);
        if (r < 0) {
                memmove(s->images + idx + 1, s->images + idx, (s->n_images - idx) * sizeof(ImageRecord *));
                s->images[idx] = TAKE_PTR(img);
                s->n_images++;
                return r;
        }

        for (char **d = img->layers; d && *d; d++) {
                ImageLayer *l = image_store_get_layer(s, *d);
                if (l && l->n_refs > 0)
                        l->n_refs--;
        }
        r = drop_unused_layers(s);
        if (r < 0)
                log_warning_errno(r, "Failed to remove the layers of image %s, ignoring: %m", id);

        if (!blob_in_use(s, img->config_digest))
                (void) blob_store_remove(s->blobs, img->config_digest);
        for (char **d = img->manifest_digests; d && *d; d++)
                if (!blob_in_use(s, *d))
                        (void) blob_store_remove(s->blobs, *d);
        log_debug("Removed image %s.", img->id);
        return 0;
}

int image_store_remove_name(ImageStore *s, const char *name) {
        ImageRecord *r = image_store_find_by_name(s, name);
        int k;

        if (!r)
                return 0;
        (void) strv_remove(r->names, name);
        k = save_images(s);
        return k < 0 ? k : 1;
}

int image_store_set_pinned(ImageStore *s, const char *id, bool pinned) {
        ImageRecord *r = image_store_find_by_id(s, id);

        if (!r)
                return -ENOENT;
        if (r->pinned == pinned)
                return 0;
        r->pinned = pinned;
        return save_images(s);
}

int image_store_put_blob(ImageStore *s, const char *digest, const void *data, size_t size) {
        int r;

        r = blob_store_put_full(s->blobs, digest, data, size, BLOB_STORE_NO_SYNC);
        if (r < 0)
                return r;
        s->unsynced = true;
        return 0;
}

int image_store_usage(ImageStore *s, uint64_t *ret_bytes, uint64_t *ret_inodes) {
        uint64_t bytes = 0, inodes = 0;
        int r;

        /* Layers are counted from what was measured when they were unpacked (or once, for layers
         * of an earlier run); only the small rest of the store is walked. */
        for (size_t i = 0; i < s->n_layers; i++) {
                ImageLayer *l = s->layers[i];

                if (!l->usage_known) {
                        r = image_fs_entry_usage(s->layers_fd, l->id, &l->usage_bytes, &l->usage_inodes);
                        if (r < 0 && r != -ENOENT)
                                return r;
                        l->usage_known = r >= 0;
                }
                bytes += l->usage_bytes;
                inodes += l->usage_inodes;
        }
        r = image_fs_usage_except(s->root_fd, LAYERS_DIR, ret_bytes, ret_inodes);
        if (r < 0)
                return r;
        *ret_bytes += bytes;
        *ret_inodes += inodes;
        return 0;
}
