/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api.pb-c.h"
#include "blob-store.h"
#include "cri-call.h"
#include "cri-image.h"
#include "image-pull.h"
#include "strv.h"
#include "log.h"
#include "manager.h"

/* Images per StreamImages message: well below any message size limit. */
#define CRI_IMAGE_STREAM_BATCH 100U

/* An Image message and the parts it points to, filled from a record without copying strings. */
typedef struct CriImage {
        Runtime__V1__Image image;
        Runtime__V1__Int64Value uid;
        Runtime__V1__ImageSpec spec;
        char *username;
} CriImage;

static void cri_image_done(CriImage *c) {
        free(c->username);
}

static int cri_image_fill(Manager *m, const ImageRecord *r, CriImage *c) {
        const char *name;
        size_t name_len;
        bool has_uid;
        int64_t uid;

        c->image = (Runtime__V1__Image) RUNTIME__V1__IMAGE__INIT;
        c->uid = (Runtime__V1__Int64Value) RUNTIME__V1__INT64_VALUE__INIT;
        c->spec = (Runtime__V1__ImageSpec) RUNTIME__V1__IMAGE_SPEC__INIT;
        c->username = NULL;

        c->image.id = r->id;
        c->image.n_repo_tags = strv_length(r->names);
        c->image.repo_tags = r->names;
        c->image.n_repo_digests = strv_length(r->repo_digests);
        c->image.repo_digests = r->repo_digests;
        c->image.size = r->size;

        /* As CRI-O: a numeric user is a uid, anything else a user name; the group is not reported. */
        image_user_split(r->config.user, &has_uid, &uid, &name, &name_len);
        if (has_uid) {
                c->uid.value = uid;
                c->image.uid = &c->uid;
        } else if (name) {
                c->username = strndup(name, name_len);
                if (!c->username)
                        return -ENOMEM;
                c->image.username = c->username;
        }

        c->spec.image = r->id;
        c->image.spec = &c->spec;
        c->image.pinned = r->pinned ||
                image_record_matches_pinned(r, m->config->pinned_images, m->config->pause_image);
        return 0;
}

/* A filter's image, or NULL for none. */
static const char *filter_image(const Runtime__V1__ImageFilter *f) {
        if (!f || !f->image || !f->image->image || !*f->image->image)
                return NULL;
        return f->image->image;
}

/* The images a List/Stream call answers with: all, or the one the filter names (none if unknown). */
static int select_images(Manager *m, const Runtime__V1__ImageFilter *filter, ImageRecord ***ret, size_t *ret_n) {
        const char *want = filter_image(filter);
        ImageRecord *const *all;
        ImageRecord **list;
        size_t n;

        if (want) {
                ImageRecord *found;

                list = calloc(1, sizeof(ImageRecord *));
                if (!list)
                        return -ENOMEM;
                n = 0;
                if (image_puller_find(m->image_puller, want, &found) >= 0)
                        list[n++] = found;
                *ret = list;
                *ret_n = n;
                return 0;
        }

        all = image_store_images(m->image_store, &n);
        list = calloc(MAX(n, 1U), sizeof(ImageRecord *));
        if (!list)
                return -ENOMEM;
        /* An empty store may hand back NULL, which memcpy() must not see even for zero bytes. */
        if (n > 0)
                memcpy(list, all, n * sizeof(ImageRecord *));
        *ret = list;
        *ret_n = n;
        return 0;
}

static int images_reply(GrpcCall *call, Manager *m, ImageRecord **list, size_t n, bool stream) {
        _cleanup_free_ CriImage *images = NULL;
        _cleanup_free_ Runtime__V1__Image **pointers = NULL;
        int r = 0;

        images = calloc(MAX(n, 1U), sizeof(CriImage));
        pointers = calloc(MAX(n, 1U), sizeof(Runtime__V1__Image *));
        if (!images || !pointers)
                return -ENOMEM;
        for (size_t i = 0; i < n && r >= 0; i++) {
                r = cri_image_fill(m, list[i], &images[i]);
                pointers[i] = &images[i].image;
        }

        if (r >= 0 && !stream) {
                Runtime__V1__ListImagesResponse reply = RUNTIME__V1__LIST_IMAGES_RESPONSE__INIT;

                reply.n_images = n;
                reply.images = pointers;
                r = cri_call_reply(call, &reply.base);
        } else if (r >= 0) {
                for (size_t i = 0; i < n && r >= 0; i += CRI_IMAGE_STREAM_BATCH) {
                        Runtime__V1__StreamImagesResponse reply = RUNTIME__V1__STREAM_IMAGES_RESPONSE__INIT;

                        reply.n_images = MIN(n - i, (size_t) CRI_IMAGE_STREAM_BATCH);
                        reply.images = pointers + i;
                        r = cri_call_send(call, &reply.base);
                }
                if (r >= 0)
                        r = grpc_call_finish(call, GRPC_STATUS_OK, NULL);
        }

        for (size_t i = 0; i < n; i++)
                cri_image_done(&images[i]);
        return r;
}

int cri_image_list(GrpcCall *call, const uint8_t *message, size_t size, void *userdata) {
        Manager *m = userdata;
        _cleanup_message_ ProtobufCMessage *msg = NULL;
        _cleanup_free_ ImageRecord **list = NULL;
        size_t n;
        int r;

        msg = cri_call_unpack(call, &runtime__v1__list_images_request__descriptor, message, size);
        if (!msg)
                return 0;
        r = select_images(m, ((Runtime__V1__ListImagesRequest *) msg)->filter, &list, &n);
        if (r < 0)
                return r;
        return images_reply(call, m, list, n, /* stream= */ false);
}

int cri_image_stream(GrpcCall *call, const uint8_t *message, size_t size, void *userdata) {
        Manager *m = userdata;
        _cleanup_message_ ProtobufCMessage *msg = NULL;
        _cleanup_free_ ImageRecord **list = NULL;
        size_t n;
        int r;

        msg = cri_call_unpack(call, &runtime__v1__stream_images_request__descriptor, message, size);
        if (!msg)
                return 0;
        r = select_images(m, ((Runtime__V1__StreamImagesRequest *) msg)->filter, &list, &n);
        if (r < 0)
                return r;
        return images_reply(call, m, list, n, /* stream= */ true);
}

/* JSON string literal of s, appended to f. */
static void json_string(FILE *f, const char *s) {
        fputc('"', f);
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                if (*p == '"' || *p == '\\')
                        fprintf(f, "\\%c", *p);
                else if (*p < 0x20)
                        fprintf(f, "\\u%04x", *p);
                else
                        fputc(*p, f);
        }
        fputc('"', f);
}

/* CRI-O's verbose info: {"labels": {...}, "imageSpec": <the OCI config as stored>}. */
static int image_info_json(Manager *m, const ImageRecord *r, char **ret) {
        _cleanup_free_ char *config = NULL, *buf = NULL;
        size_t config_size = 0, buf_size = 0;
        FILE *f;
        int k;

        k = blob_store_read(image_store_blobs(m->image_store), r->config_digest, IMAGE_PULL_CONFIG_SIZE_MAX,
                            &config, &config_size);
        if (k < 0)
                log_debug_errno(k, "Failed to read the config of image %s, ignoring: %m", r->id);

        f = open_memstream(&buf, &buf_size);
        if (!f)
                return -ENOMEM;
        fputc('{', f);
        if (r->config.labels && r->config.labels[0]) {
                fputs("\"labels\":{", f);
                for (char **l = r->config.labels; l[0] && l[1]; l += 2) {
                        if (l != r->config.labels)
                                fputc(',', f);
                        json_string(f, l[0]);
                        fputc(':', f);
                        json_string(f, l[1]);
                }
                fputs("},", f);
        }
        fputs("\"imageSpec\":", f);
        fputs(config && config_size > 0 ? config : "null", f);
        fputc('}', f);
        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(buf);
        return 0;
}

int cri_image_status(GrpcCall *call, const uint8_t *message, size_t size, void *userdata) {
        Manager *m = userdata;
        _cleanup_message_ ProtobufCMessage *msg = NULL;
        Runtime__V1__ImageStatusResponse reply = RUNTIME__V1__IMAGE_STATUS_RESPONSE__INIT;
        Runtime__V1__ImageStatusResponse__InfoEntry entry = RUNTIME__V1__IMAGE_STATUS_RESPONSE__INFO_ENTRY__INIT;
        Runtime__V1__ImageStatusResponse__InfoEntry *info[] = { &entry };
        _cleanup_(cri_image_done) CriImage image = {};
        _cleanup_free_ char *json = NULL;
        Runtime__V1__ImageStatusRequest *req;
        ImageRecord *found;
        int r;

        msg = cri_call_unpack(call, &runtime__v1__image_status_request__descriptor, message, size);
        if (!msg)
                return 0;
        req = (Runtime__V1__ImageStatusRequest *) msg;
        if (!req->image || !req->image->image || !*req->image->image)
                return grpc_call_finish(call, GRPC_STATUS_INVALID_ARGUMENT, "no image specified");

        /* Absent is not an error: kubelet reads an empty response as "pull it". */
        if (image_puller_find(m->image_puller, req->image->image, &found) < 0)
                return cri_call_reply(call, &reply.base);

        r = cri_image_fill(m, found, &image);
        if (r < 0)
                return r;
        reply.image = &image.image;
        if (req->verbose) {
                r = image_info_json(m, found, &json);
                if (r < 0)
                        return r;
                entry.key = (char *) "info";
                entry.value = json;
                reply.n_info = ELEMENTSOF(info);
                reply.info = info;
        }
        return cri_call_reply(call, &reply.base);
}

int cri_image_remove(GrpcCall *call, const uint8_t *message, size_t size, void *userdata) {
        Manager *m = userdata;
        _cleanup_message_ ProtobufCMessage *msg = NULL;
        Runtime__V1__RemoveImageResponse reply = RUNTIME__V1__REMOVE_IMAGE_RESPONSE__INIT;
        Runtime__V1__RemoveImageRequest *req;
        _cleanup_free_ char *key = NULL, *id = NULL;
        ImageRecord *found;
        const char *ref;
        int r;

        msg = cri_call_unpack(call, &runtime__v1__remove_image_request__descriptor, message, size);
        if (!msg)
                return 0;
        req = (Runtime__V1__RemoveImageRequest *) msg;
        if (!req->image || !req->image->image || !*req->image->image)
                return grpc_call_finish(call, GRPC_STATUS_INVALID_ARGUMENT, "no image specified");
        ref = req->image->image;

        /* Idempotent, as the CRI asks: an image already gone is a success. */
        if (image_puller_find(m->image_puller, ref, &found) < 0) {
                log_debug("Image %s not found, nothing to remove.", ref);
                return cri_call_reply(call, &reply.base);
        }
        if (found->pinned || image_record_matches_pinned(found, m->config->pinned_images, m->config->pause_image))
                return grpc_call_finishf(call, GRPC_STATUS_FAILED_PRECONDITION,
                                         "image %s is pinned and cannot be removed", ref);

        /* Removing one of several tags only untags, as CRI-O does. */
        if (strv_length(found->names) > 1 && image_pull_key(ref, &key) >= 0 &&
            image_record_has_name(found, key)) {
                r = image_store_remove_name(m->image_store, key);
                if (r < 0)
                        return grpc_call_finishf(call, GRPC_STATUS_UNKNOWN, "untagging image %s: %s", ref,
                                                 strerror(-r));
                log_info("Untagged image %s.", key);
                return cri_call_reply(call, &reply.base);
        }

        id = strdup(found->id);
        if (!id)
                return -ENOMEM;
        /* Containers using it: asked of the hook the container subsystem sets on the store
         * (image_store_set_in_use_hook()); until it does, no image counts as in use. */
        r = image_store_remove_image(m->image_store, id, /* in_use= */ NULL, /* userdata= */ NULL);
        if (r == -EBUSY)
                return grpc_call_finishf(call, GRPC_STATUS_FAILED_PRECONDITION,
                                         "image %s is in use by a container", ref);
        if (r < 0 && r != -ENOENT)
                return grpc_call_finishf(call, GRPC_STATUS_UNKNOWN, "removing image %s: %s", ref, strerror(-r));
        log_info("Removed image %s (%s).", ref, id);
        return cri_call_reply(call, &reply.base);
}

int cri_image_fs_info(GrpcCall *call, const uint8_t *message, size_t size, void *userdata) {
        Manager *m = userdata;
        _cleanup_message_ ProtobufCMessage *msg = NULL;
        Runtime__V1__ImageFsInfoResponse reply = RUNTIME__V1__IMAGE_FS_INFO_RESPONSE__INIT;
        Runtime__V1__FilesystemUsage usage = RUNTIME__V1__FILESYSTEM_USAGE__INIT;
        Runtime__V1__FilesystemUsage *list[] = { &usage };
        Runtime__V1__FilesystemIdentifier fs_id = RUNTIME__V1__FILESYSTEM_IDENTIFIER__INIT;
        Runtime__V1__UInt64Value used = RUNTIME__V1__UINT64_VALUE__INIT,
                                 inodes = RUNTIME__V1__UINT64_VALUE__INIT;
        _cleanup_free_ char *mountpoint = NULL;
        struct timespec ts;
        int r;

        msg = cri_call_unpack(call, &runtime__v1__image_fs_info_request__descriptor, message, size);
        if (!msg)
                return 0;

        r = image_store_usage(m->image_store, &used.value, &inodes.value);
        if (r < 0)
                return grpc_call_finishf(call, GRPC_STATUS_UNKNOWN, "getting image store usage: %s", strerror(-r));

        /* Where CRI-O points kubelet for the overlay driver; containers live on the same file system. */
        if (asprintf(&mountpoint, "%s/overlay-images", image_store_root(m->image_store)) < 0)
                return -ENOMEM;
        (void) clock_gettime(CLOCK_REALTIME, &ts);
        usage.timestamp = (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
        fs_id.mountpoint = mountpoint;
        usage.fs_id = &fs_id;
        usage.used_bytes = &used;
        usage.inodes_used = &inodes;
        reply.n_image_filesystems = ELEMENTSOF(list);
        reply.image_filesystems = list;
        reply.n_container_filesystems = ELEMENTSOF(list);
        reply.container_filesystems = list;
        return cri_call_reply(call, &reply.base);
}

/* PullImage: answered when the pull (possibly shared with others) ends. */
typedef struct CriPull {
        GrpcCall *call;
        ImagePullWaiter *waiter;
} CriPull;

static void on_pull_cancelled(GrpcCall *c, void *userdata) {
        CriPull *p = userdata;

        image_pull_waiter_cancel(p->waiter);
        grpc_call_unref(p->call);
        free(p);
}

static void on_pull_done(int error, const char *message, const ImageRecord *image, void *userdata) {
        CriPull *p = userdata;

        grpc_call_set_cancel_handler(p->call, NULL, NULL);
        if (error < 0)
                /* kubelet turns any failure into ErrImagePull and shows this text, as CRI-O's. */
                (void) grpc_call_finish(p->call, GRPC_STATUS_UNKNOWN, message);
        else {
                Runtime__V1__PullImageResponse reply = RUNTIME__V1__PULL_IMAGE_RESPONSE__INIT;

                reply.image_ref = image->id;
                if (cri_call_reply(p->call, &reply.base) < 0)
                        (void) grpc_call_finish(p->call, GRPC_STATUS_INTERNAL, "out of memory");
        }
        grpc_call_unref(p->call);
        free(p);
}

int cri_image_pull(GrpcCall *call, const uint8_t *message, size_t size, void *userdata) {
        Manager *m = userdata;
        _cleanup_message_ ProtobufCMessage *msg = NULL;
        _cleanup_(registry_credentials_freep) RegistryCredentials *credentials = NULL;
        Runtime__V1__PullImageRequest *req;
        CriPull *p;
        int r;

        msg = cri_call_unpack(call, &runtime__v1__pull_image_request__descriptor, message, size);
        if (!msg)
                return 0;
        req = (Runtime__V1__PullImageRequest *) msg;
        if (!req->image || !req->image->image || !*req->image->image)
                return grpc_call_finish(call, GRPC_STATUS_INVALID_ARGUMENT, "no image specified");

        if (req->auth) {
                AuthConfig a = {
                        .username = req->auth->username,
                        .password = req->auth->password,
                        .auth = req->auth->auth,
                        .server_address = req->auth->server_address,
                        .identity_token = req->auth->identity_token,
                        .registry_token = req->auth->registry_token,
                };

                r = registry_credentials_from_auth_config(&a, &credentials);
                if (r == -EINVAL)
                        return grpc_call_finish(call, GRPC_STATUS_INVALID_ARGUMENT,
                                                "invalid auth: malformed base64 credentials");
                if (r < 0)
                        return r;
        }

        p = calloc(1, sizeof(CriPull));
        if (!p)
                return -ENOMEM;
        p->call = grpc_call_ref(call);
        r = image_puller_pull(m->image_puller, req->image->image, credentials, on_pull_done, p, &p->waiter);
        if (r < 0) {
                grpc_call_unref(p->call);
                free(p);
                return r;
        }
        grpc_call_set_cancel_handler(call, on_pull_cancelled, p);
        return 0;
}
