/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "digest.h"
#include "image-record.h"
#include "strv.h"

void image_config_done(ImageConfig *c) {
        if (!c)
                return;
        free(c->user);
        strv_free(c->env);
        strv_free(c->entrypoint);
        strv_free(c->cmd);
        free(c->working_dir);
        strv_free(c->labels);
        strv_free(c->volumes);
        strv_free(c->exposed_ports);
        free(c->stop_signal);
        free(c->created);
        free(c->author);
        free(c->architecture);
        free(c->os);
        free(c->variant);
        strv_free(c->diff_ids);
        *c = (ImageConfig) {};
}

static int strdup_null(const char *s, char **ret) {
        if (!s) {
                *ret = NULL;
                return 0;
        }
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

/* Copies a NULL array as NULL: "unset" and "empty" differ for entrypoint and cmd. */
static int strv_copy_null(char *const *l, char ***ret) {
        if (!l) {
                *ret = NULL;
                return 0;
        }
        return strv_copy(l, ret);
}

int image_config_copy(const ImageConfig *src, ImageConfig *ret) {
        ImageConfig c = {};

        if (strdup_null(src->user, &c.user) < 0 ||
            strv_copy_null(src->env, &c.env) < 0 ||
            strv_copy_null(src->entrypoint, &c.entrypoint) < 0 ||
            strv_copy_null(src->cmd, &c.cmd) < 0 ||
            strdup_null(src->working_dir, &c.working_dir) < 0 ||
            strv_copy_null(src->labels, &c.labels) < 0 ||
            strv_copy_null(src->volumes, &c.volumes) < 0 ||
            strv_copy_null(src->exposed_ports, &c.exposed_ports) < 0 ||
            strdup_null(src->stop_signal, &c.stop_signal) < 0 ||
            strdup_null(src->created, &c.created) < 0 ||
            strdup_null(src->author, &c.author) < 0 ||
            strdup_null(src->architecture, &c.architecture) < 0 ||
            strdup_null(src->os, &c.os) < 0 ||
            strdup_null(src->variant, &c.variant) < 0 ||
            strv_copy_null(src->diff_ids, &c.diff_ids) < 0) {
                image_config_done(&c);
                return -ENOMEM;
        }
        *ret = c;
        return 0;
}

const char *image_config_label(const ImageConfig *c, const char *key) {
        for (char **l = c->labels; l && l[0] && l[1]; l += 2)
                if (strcmp(l[0], key) == 0)
                        return l[1];
        return NULL;
}

int image_record_new(const char *config_digest, ImageRecord **ret) {
        _cleanup_(image_record_freep) ImageRecord *r = NULL;
        const char *hex = digest_hex(config_digest);

        if (!hex)
                return -EINVAL;
        r = calloc(1, sizeof(ImageRecord));
        if (!r)
                return -ENOMEM;
        r->id = strdup(hex);
        r->config_digest = strdup(config_digest);
        if (!r->id || !r->config_digest)
                return -ENOMEM;
        *ret = TAKE_PTR(r);
        return 0;
}

ImageRecord *image_record_free(ImageRecord *r) {
        if (!r)
                return NULL;
        free(r->id);
        free(r->config_digest);
        strv_free(r->names);
        strv_free(r->repo_digests);
        strv_free(r->manifest_digests);
        strv_free(r->layers);
        image_config_done(&r->config);
        return mfree(r);
}

int image_record_copy(const ImageRecord *r, ImageRecord **ret) {
        _cleanup_(image_record_freep) ImageRecord *c = NULL;
        int k;

        k = image_record_new(r->config_digest, &c);
        if (k < 0)
                return k;
        if (strv_copy_null(r->names, &c->names) < 0 ||
            strv_copy_null(r->repo_digests, &c->repo_digests) < 0 ||
            strv_copy_null(r->manifest_digests, &c->manifest_digests) < 0 ||
            strv_copy_null(r->layers, &c->layers) < 0 ||
            image_config_copy(&r->config, &c->config) < 0)
                return -ENOMEM;
        c->size = r->size;
        c->added_usec = r->added_usec;
        c->pinned = r->pinned;
        *ret = TAKE_PTR(c);
        return 0;
}

int image_record_add_name(ImageRecord *r, const char *name) {
        if (!name || !name[0])
                return -EINVAL;
        return strv_extend_unique(&r->names, name);
}

int image_record_add_repo_digest(ImageRecord *r, const char *repo_digest) {
        const char *at = repo_digest ? strrchr(repo_digest, '@') : NULL;

        if (!at || at == repo_digest || !digest_is_valid(at + 1))
                return -EINVAL;
        return strv_extend_unique(&r->repo_digests, repo_digest);
}

int image_record_add_manifest_digest(ImageRecord *r, const char *digest) {
        if (!digest_is_valid(digest))
                return -EINVAL;
        return strv_extend_unique(&r->manifest_digests, digest);
}

bool image_record_has_name(const ImageRecord *r, const char *name) {
        return strv_contains(r->names, name);
}

bool image_record_has_digest(const ImageRecord *r, const char *digest) {
        if (strv_contains(r->manifest_digests, digest))
                return true;
        for (char **d = r->repo_digests; d && *d; d++) {
                const char *at = strrchr(*d, '@');
                if (at && strcmp(at + 1, digest) == 0)
                        return true;
        }
        return false;
}

int image_layer_new(const char *diff_id, ImageLayer **ret) {
        _cleanup_(image_layer_freep) ImageLayer *l = NULL;
        const char *hex = digest_hex(diff_id);

        if (!hex)
                return -EINVAL;
        l = calloc(1, sizeof(ImageLayer));
        if (!l)
                return -ENOMEM;
        l->id = strdup(hex);
        l->diff_id = strdup(diff_id);
        if (!l->id || !l->diff_id)
                return -ENOMEM;
        *ret = TAKE_PTR(l);
        return 0;
}

ImageLayer *image_layer_free(ImageLayer *l) {
        if (!l)
                return NULL;
        free(l->id);
        free(l->diff_id);
        free(l->compressed_digest);
        return mfree(l);
}
