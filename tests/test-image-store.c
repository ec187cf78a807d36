/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <limits.h>

#include "blob-store.h"
#include "digest.h"
#include "image-fs.h"
#include "image-json.h"
#include "image-store.h"
#include "image-test-util.h"
#include "strv.h"
#include "tap.h"

/* Paths here are short temp paths; the checks would only flag the theoretical PATH_MAX case. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

static char *tmp_path;
static int tmp_fd = -EBADF;
static char root[PATH_MAX];

static int count_dir(const char *sub) {
        char path[PATH_MAX];
        struct dirent *de;
        DIR *d;
        int n = 0;

        snprintf(path, sizeof(path), "%s/%s", root, sub);
        d = opendir(path);
        if (!d)
                return -errno;
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                        n++;
        closedir(d);
        return n;
}

static bool exists(const char *sub) {
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "%s/%s", root, sub);
        return access(path, F_OK) == 0;
}

static int layer_fd(const TestEntry *entries, size_t n, TestCompression c, char **ret_digest) {
        TestBuffer tar = {}, packed = {};
        int fd;

        test_tar_build(entries, n, &tar);
        test_compress(&tar, c, &packed);
        if (ret_digest)
                digest_compute(DIGEST_SHA256, packed.data, packed.size, ret_digest);
        fd = test_memfd(packed.data, packed.size);
        free(tar.data);
        free(packed.data);
        return fd;
}

static const TestEntry layer_a[] = {
        { "bin/", AE_IFDIR, 0755 }, { "bin/sh", AE_IFREG, 0755, "shell" }, { "etc/passwd", AE_IFREG, 0644, "root" },
};
static const TestEntry layer_b[] = { { "etc/.wh.passwd", AE_IFREG, 0644, "" }, { "b", AE_IFREG, 0644, "b" } };
static const TestEntry layer_c[] = { { "c/", AE_IFDIR, 0755 }, { "c/.wh..wh..opq", AE_IFREG, 0644, "" } };

static ImageLayer *add_layer(ImageStore *s, const TestEntry *e, size_t n, TestCompression c) {
        _cleanup_free_ char *digest = NULL;
        ImageLayer *l = NULL;
        int fd = layer_fd(e, n, c, &digest), r;
        ImageLayerAddOptions o = { .compressed_digest = digest, .compressed_size = -1 };

        r = image_store_add_layer(s, fd, &o, &l);
        close(fd);
        return r < 0 ? NULL : l;
}

static ImageRecord *make_image(ImageStore *s, const char *author, const char *name, ImageLayer *const *layers,
                               size_t n_layers) {
        char json[4096], diff_ids[2048], manifest_digest[DIGEST_STRING_MAX];
        _cleanup_free_ char *config_digest = NULL, *md = NULL;
        ImageRecord *r = NULL;
        size_t len = 0;

        diff_ids[0] = 0;
        for (size_t i = 0; i < n_layers; i++)
                len += snprintf(diff_ids + len, 2048 - len, "%s\"%s\"", i ? "," : "", layers[i]->diff_id);
        snprintf(json, sizeof(json),
                 "{\"created\":\"2024-01-02T03:04:05Z\",\"author\":\"%s\",\"architecture\":\"amd64\",\"os\":\"linux\","
                 "\"config\":{\"User\":\"1000:1000\",\"Env\":[\"PATH=/bin\",\"A=b\"],\"Entrypoint\":[\"/bin/sh\"],"
                 "\"Cmd\":null,\"WorkingDir\":\"/w\",\"Labels\":{\"z\":\"1\",\"a\":\"2\"},"
                 "\"Volumes\":{\"/data\":{}},\"ExposedPorts\":{\"80/tcp\":{}},\"StopSignal\":\"SIGINT\"},"
                 "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[%s]}}",
                 author, diff_ids);
        digest_compute(DIGEST_SHA256, json, strlen(json), &config_digest);
        blob_store_put(image_store_blobs(s), config_digest, json, strlen(json));
        image_record_new(config_digest, &r);
        image_config_from_json(json, strlen(json), &r->config);
        for (size_t i = 0; i < n_layers; i++)
                strv_push(&r->layers, layers[i]->diff_id);
        if (name) {
                char repo_digest[512];
                char *colon;

                image_record_add_name(r, name);
                digest_compute(DIGEST_SHA256, name, strlen(name), &md);
                blob_store_put(image_store_blobs(s), md, name, strlen(name));
                image_record_add_manifest_digest(r, md);
                snprintf(repo_digest, sizeof(repo_digest), "%s", name);
                colon = strrchr(repo_digest, ':');
                if (colon)
                        *colon = 0;
                snprintf(manifest_digest, sizeof(manifest_digest), "%s", md);
                strncat(repo_digest, "@", sizeof(repo_digest) - strlen(repo_digest) - 1);
                strncat(repo_digest, manifest_digest, sizeof(repo_digest) - strlen(repo_digest) - 1);
                image_record_add_repo_digest(r, repo_digest);
        }
        return r;
}

static int in_use_answer;
static int in_use(const ImageRecord *image, void *userdata) {
        (*(int *) userdata)++;
        return in_use_answer;
}

static void test_blobs(ImageStore *s) {
        BlobStore *b = image_store_blobs(s);
        _cleanup_free_ char *d = NULL, *content = NULL;
        _cleanup_(strv_freep) char **list = NULL;
        BlobWriter *w = NULL;
        size_t size;

        digest_compute(DIGEST_SHA256, "hello", 5, &d);
        TAP_IS_INT(blob_store_has(b, d), 0, "blob absent");
        TAP_IS_INT(blob_store_put(b, d, "hellx", 5), -EBADMSG, "mismatching blob refused");
        TAP_IS_INT(count_dir("overlay-blobs/sha256"), 0, "nothing left by a refused blob");
        TAP_IS_INT(blob_store_put(b, d, "hello", 5), 0, "blob stored");
        TAP_IS_INT(blob_store_has(b, d), 1, "blob present");
        TAP_IS_INT(blob_store_read(b, d, 1024, &content, &size), 0, "blob read");
        TAP_IS_STR(content, "hello", "blob content");
        TAP_IS_INT(blob_store_read(b, d, 2, &content, &size), -EFBIG, "read cap");
        TAP_IS_INT(blob_store_has(b, "sha256:zz"), -EINVAL, "invalid digest refused");

        TAP_IS_INT(blob_store_begin(b, d, 5, &w), 0, "writer started");
        TAP_IS_INT(blob_writer_write(w, "hel", 3), 0, "partial write");
        TAP_IS_INT(count_dir("overlay-blobs/sha256"), 2, "temp file beside the blob");
        TAP_IS_INT(blob_writer_write(w, "loo", 3), -EFBIG, "over-size write refused early");
        TAP_IS_INT(blob_writer_commit(w), -EFBIG, "failed writer cannot commit");
        w = blob_writer_free(w);
        TAP_IS_INT(count_dir("overlay-blobs/sha256"), 1, "aborted write leaves nothing");

        TAP_IS_INT(blob_store_list(b, &list), 0, "list blobs");
        TAP_OK(strv_length(list) == 1 && strcmp(list[0], d) == 0, "one blob listed");
        TAP_IS_INT(blob_store_remove(b, d), 0, "blob removed");
        TAP_IS_INT(blob_store_remove(b, d), -ENOENT, "second removal fails");
}

static void test_layers(ImageStore *s) {
        static const TestEntry evil[] = { { "../escape", AE_IFREG, 0644, "x" } };
        _cleanup_free_ char *digest = NULL, *path = NULL;
        ImageLayer *a, *a2, *l = NULL;
        ImageLayerAddOptions o = { .compressed_size = -1 };
        int fd;

        a = add_layer(s, layer_a, ELEMENTSOF(layer_a), TEST_GZIP);
        TAP_OK(a && a->n_refs == 1, "layer added, held once");
        TAP_OK(a && a->size > 0 && a->compressed_digest, "layer sizes and digest recorded");
        a2 = add_layer(s, layer_a, ELEMENTSOF(layer_a), TEST_ZSTD);
        TAP_OK(a2 == a && a->n_refs == 2, "same diff id from another compression shares the layer");
        TAP_IS_INT(count_dir("overlay"), 1, "one layer directory");
        image_store_layer_path(s, a->diff_id, &path);
        TAP_OK(access(path, F_OK) == 0, "layer path exists");

        fd = layer_fd(layer_b, ELEMENTSOF(layer_b), TEST_PLAIN, NULL);
        o.expected_diff_id = a->diff_id;
        TAP_IS_INT(image_store_add_layer(s, fd, &o, &l), -EBADMSG, "wrong diff id refused");
        close(fd);
        o.expected_diff_id = NULL;

        fd = layer_fd(layer_b, ELEMENTSOF(layer_b), TEST_PLAIN, &digest);
        digest[8] ^= 1;
        o.compressed_digest = digest;
        TAP_IS_INT(image_store_add_layer(s, fd, &o, &l), -EBADMSG, "corrupted blob refused");
        close(fd);
        o.compressed_digest = NULL;

        fd = layer_fd(evil, ELEMENTSOF(evil), TEST_PLAIN, NULL);
        TAP_IS_INT(image_store_add_layer(s, fd, &o, &l), -EPERM, "hostile layer refused");
        close(fd);
        TAP_IS_INT(count_dir("overlay"), 1, "refused layers leave nothing");
        TAP_OK(!exists("overlay/escape") && !exists("escape"), "nothing escaped");

        image_store_release_layer(s, a);
        TAP_IS_INT(a->n_refs, 1, "one hold released");
        image_store_release_layer(s, a);
        TAP_IS_INT(count_dir("overlay"), 0, "layer removed with its last hold");
        TAP_OK(!image_store_get_layer(s, digest), "layer unlisted");
}

static void check_config(const ImageRecord *r, const char *what) {
        const ImageConfig *c = &r->config;

        TAP_IS_STR(c->user, "1000:1000", "%s: user", what);
        TAP_OK(strv_length(c->env) == 2 && strcmp(c->env[1], "A=b") == 0, "%s: env", what);
        TAP_OK(strv_length(c->entrypoint) == 1 && strcmp(c->entrypoint[0], "/bin/sh") == 0, "%s: entrypoint", what);
        TAP_OK(!c->cmd, "%s: null cmd stays unset", what);
        TAP_IS_STR(c->working_dir, "/w", "%s: workdir", what);
        TAP_IS_STR(image_config_label(c, "z"), "1", "%s: label z", what);
        TAP_IS_STR(image_config_label(c, "a"), "2", "%s: label a", what);
        TAP_OK(strv_length(c->volumes) == 1 && strcmp(c->volumes[0], "/data") == 0, "%s: volumes", what);
        TAP_OK(strv_length(c->exposed_ports) == 1, "%s: ports", what);
        TAP_IS_STR(c->stop_signal, "SIGINT", "%s: stop signal", what);
        TAP_IS_STR(c->created, "2024-01-02T03:04:05Z", "%s: created", what);
        TAP_IS_STR(c->architecture, "amd64", "%s: architecture", what);
        TAP_IS_INT(strv_length(c->diff_ids), strv_length(r->layers), "%s: diff ids", what);
}

/* The accounted usage must match a walk of the whole store. */
static void check_usage(ImageStore *s, const char *what) {
        uint64_t bytes = 0, inodes = 0, walked_bytes = 0, walked_inodes = 0;
        int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        TAP_IS_INT(image_store_usage(s, &bytes, &inodes), 0, "usage %s", what);
        TAP_IS_INT(image_fs_usage(fd, &walked_bytes, &walked_inodes), 0, "walk %s", what);
        TAP_OK(bytes == walked_bytes && inodes == walked_inodes,
               "accounted usage matches the walk %s: %llu/%llu vs %llu/%llu", what, (unsigned long long) bytes, (unsigned long long) inodes, (unsigned long long) walked_bytes,
               (unsigned long long) walked_inodes);
        close(fd);
}

static void test_images(void) {
        _cleanup_(image_store_freep) ImageStore *s = NULL;
        ImageStore *other = NULL;
        ImageLayer *a, *b, *c, *l1[2], *l2[2];
        ImageRecord *r1, *r2, *found = NULL, *stored = NULL;
        _cleanup_free_ char *id1 = NULL, *id2 = NULL, *md1 = NULL, *prefix = NULL, *layer_b_id = NULL;
        char ref[256];
        uint64_t bytes = 0, inodes = 0;
        int calls = 0;

        TAP_IS_INT(image_store_open(root, &s), 0, "store opened");
        TAP_IS_INT(image_store_open(root, &other), -EBUSY, "second open of the same store refused");
        test_blobs(s);
        test_layers(s);

        a = add_layer(s, layer_a, ELEMENTSOF(layer_a), TEST_GZIP);
        b = add_layer(s, layer_b, ELEMENTSOF(layer_b), TEST_PLAIN);
        c = add_layer(s, layer_c, ELEMENTSOF(layer_c), TEST_ZSTD);
        TAP_OK(a && b && c, "three layers added");
        layer_b_id = strdup(b->id);
        l1[0] = a, l1[1] = b;
        l2[0] = a, l2[1] = c;

        r1 = make_image(s, "one", "docker.io/library/busybox:latest", l1, 2);
        id1 = strdup(r1->id);
        md1 = strdup(r1->manifest_digests[0]);
        TAP_IS_INT(image_store_add_image(s, &r1, &stored), 0, "image 1 added");
        TAP_OK(!r1 && stored, "record consumed");
        TAP_OK(stored->size > 0, "size computed");
        TAP_OK(stored->added_usec > 0, "added time set");

        r2 = make_image(s, "two", "docker.io/library/alpine:3", l2, 2);
        image_record_add_name(r2, "docker.io/library/busybox:latest");
        id2 = strdup(r2->id);
        TAP_IS_INT(image_store_add_image(s, &r2, NULL), 0, "image 2 added");
        image_store_release_layer(s, a);
        image_store_release_layer(s, b);
        image_store_release_layer(s, c);
        TAP_IS_INT(a->n_refs, 2, "shared layer used by two images");
        TAP_IS_INT(b->n_refs, 1, "layer b by one");
        TAP_IS_INT(count_dir("overlay"), 3, "three layer directories");

        TAP_OK(image_store_find_by_name(s, "docker.io/library/busybox:latest") == image_store_find_by_id(s, id2),
               "tag moved to the newer image");
        TAP_IS_INT(strv_length(image_store_find_by_id(s, id1)->names), 0, "older image untagged");

        r1 = make_image(s, "one", "docker.io/library/busybox:1.36", l1, 2);
        TAP_IS_INT(image_store_add_image(s, &r1, &stored), 0, "same image again");
        TAP_OK(stored == image_store_find_by_id(s, id1) && strv_length(stored->names) == 1,
               "names merged into the stored image");
        TAP_IS_INT(strv_length(stored->manifest_digests), 2, "manifest digests merged");

        TAP_OK(image_store_find_by_id(s, id1), "find by id");
        snprintf(ref, sizeof(ref), "sha256:%s", id1);
        TAP_OK(image_store_find_by_id(s, ref) == stored, "find by config digest");
        TAP_IS_INT(image_store_find(s, ref, &found), 0, "find resolves config digest");
        prefix = strndup(id1, 12);
        TAP_IS_INT(image_store_find(s, prefix, &found), 0, "find by id prefix");
        TAP_OK(found == stored, "prefix finds the image");
        TAP_IS_INT(image_store_find(s, md1, &found), 0, "find by bare manifest digest");
        TAP_OK(found == stored, "manifest digest finds the image");
        snprintf(ref, sizeof(ref), "docker.io/library/busybox@%s", md1);
        TAP_OK(image_store_find_by_digest(s, ref) == stored, "find by repo digest");
        TAP_IS_INT(image_store_find(s, "docker.io/library/nope:1", &found), -ENOENT, "unknown name");
        TAP_IS_INT(image_store_find(s, "", &found), -EINVAL, "empty reference");
        {
                /* Two ids sharing a first digit make a one-digit prefix ambiguous. */
                char author[32], p[2] = { id1[0], 0 };
                ImageRecord *x = NULL;

                for (int i = 0; i < 1000; i++) {
                        snprintf(author, sizeof(author), "x%d", i);
                        x = make_image(s, author, NULL, l1, 1);
                        if (x->id[0] == id1[0] || x->id[0] == id2[0])
                                break;
                        x = image_record_free(x);
                }
                p[0] = x->id[0];
                TAP_IS_INT(image_store_add_image(s, &x, NULL), 0, "third image added");
                TAP_IS_INT(image_store_find(s, p, &found), -ENOTUNIQ, "ambiguous prefix refused");
        }
        {
                size_t n;
                image_store_images(s, &n);
                TAP_IS_INT(n, 3, "three images listed");
        }

        TAP_IS_INT(image_store_set_pinned(s, id2, true), 0, "image 2 pinned");
        TAP_IS_INT(image_store_remove_image(s, id2, NULL, NULL), -EBUSY, "pinned image not removed");
        in_use_answer = 1;
        TAP_IS_INT(image_store_remove_image(s, id1, in_use, &calls), -EBUSY, "image in use not removed");
        TAP_IS_INT(calls, 1, "in-use check asked");
        TAP_IS_INT(image_store_remove_image(s, "0000", NULL, NULL), -ENOENT, "unknown image");

        TAP_IS_INT(image_store_usage(s, &bytes, &inodes), 0, "usage computed");
        TAP_OK(bytes > 0 && inodes >= 10, "usage %llu bytes, %llu inodes", (unsigned long long) bytes,
               (unsigned long long) inodes);
        check_usage(s, "with three images");

        /* The container subsystem's hook is asked too. */
        in_use_answer = 1;
        calls = 0;
        image_store_set_in_use_hook(s, in_use, &calls);
        TAP_IS_INT(image_store_remove_image(s, id1, NULL, NULL), -EBUSY, "image in use by the hook's answer");
        TAP_IS_INT(calls, 1, "hook asked");
        image_store_set_in_use_hook(s, NULL, NULL);

        /* Reopen: everything is read back from disk. */
        s = image_store_free(s);
        TAP_IS_INT(image_store_open(root, &s), 0, "store reopened");
        stored = image_store_find_by_id(s, id2);
        TAP_OK(stored && stored->pinned, "pinned flag persisted");
        TAP_OK(stored && image_record_has_name(stored, "docker.io/library/busybox:latest") &&
               image_record_has_name(stored, "docker.io/library/alpine:3"), "names persisted");
        TAP_OK(stored && strv_length(stored->repo_digests) == 1, "repo digests persisted");
        if (stored)
                check_config(stored, "reopened");
        {
                size_t n;
                image_store_images(s, &n);
                TAP_IS_INT(n, 3, "three images after reopen");
        }

        /* Remove image 1: its own layer b goes, the shared layer stays. */
        in_use_answer = 0;
        calls = 0;
        TAP_IS_INT(image_store_remove_image(s, id1, in_use, &calls), 0, "image 1 removed");
        TAP_OK(!image_store_find_by_id(s, id1), "image 1 gone");
        snprintf(ref, sizeof(ref), "overlay/%s", layer_b_id);
        TAP_OK(!exists(ref), "unshared layer directory removed");
        TAP_IS_INT(count_dir("overlay"), 2, "shared layers kept");
        snprintf(ref, sizeof(ref), "overlay-blobs/sha256/%s", id1);
        TAP_OK(!exists(ref), "config blob removed");
        snprintf(ref, sizeof(ref), "overlay-blobs/sha256/%s", md1 + 7);
        TAP_OK(!exists(ref), "manifest blob removed");
        check_usage(s, "after a removal");
        s = image_store_free(s);
}

static void test_crash_recovery(void) {
        _cleanup_(image_store_freep) ImageStore *s = NULL;
        ImageLayer *orphan;
        int fd, before;
        char path[PATH_MAX];
        _cleanup_free_ char *orphan_id = NULL;
        ImageRecord *const *images;
        size_t n;

        TAP_IS_INT(image_store_open(root, &s), 0, "store opened");
        before = count_dir("overlay");

        /* A layer unpacked and listed, but the image never recorded: the process died mid-pull. */
        orphan = add_layer(s, (const TestEntry[]) { { "orphan", AE_IFREG, 0644, "o" } }, 1, TEST_PLAIN);
        TAP_OK(orphan, "orphan layer added");
        orphan_id = strdup(orphan->id);
        s = image_store_free(s);

        /* Leftovers of interrupted unpacks and writes. */
        snprintf(path, sizeof(path), "%s/overlay/.tmp-layer-0123456789abcdef", root);
        mkdir(path, 0700);
        strcat(path, "/diff");
        mkdir(path, 0755);
        strcat(path, "/half-written");
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        close(fd);
        snprintf(path, sizeof(path), "%s/overlay/%064d", root, 7);
        mkdir(path, 0700);
        snprintf(path, sizeof(path), "%s/overlay-images/.tmp-write-0000000000000000", root);
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        TAP_IS_INT(write(fd, "[{\"torn", 7), 7, "torn index temp written");
        close(fd);
        snprintf(path, sizeof(path), "%s/overlay-blobs/sha256/.tmp-blob-0000000000000000", root);
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        close(fd);
        snprintf(path, sizeof(path), "%s/overlay-blobs/sha256/%064d", root, 0);
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        close(fd);
        TAP_IS_INT(count_dir("overlay"), before + 3, "leftovers in place");

        TAP_IS_INT(image_store_open(root, &s), 0, "store reopened after the crash");
        TAP_IS_INT(count_dir("overlay"), before, "sweep removed half-unpacked, unlisted and unused layers");
        snprintf(path, sizeof(path), "overlay/%s", orphan_id);
        TAP_OK(!exists(path), "orphan layer removed");
        TAP_OK(!exists("overlay-images/.tmp-write-0000000000000000"), "index temp removed");
        TAP_OK(!exists("overlay-blobs/sha256/.tmp-blob-0000000000000000"), "blob temp removed");
        TAP_IS_INT(count_dir("overlay-blobs/sha256"), 3, "unused blob removed, used ones kept");
        images = image_store_images(s, &n);
        TAP_IS_INT(n, 2, "images intact");

        /* A layer directory lost behind the store's back: the images needing it are dropped. */
        s = image_store_free(s);
        {
                int ofd = openat(tmp_fd, "root/overlay", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                DIR *d = fdopendir(ofd);
                struct dirent *de;
                char victim[NAME_MAX + 1] = "";

                while ((de = readdir(d)))
                        if (de->d_name[0] != '.') {
                                snprintf(victim, sizeof(victim), "%s", de->d_name);
                                break;
                        }
                image_fs_remove_tree(dirfd(d), victim);
                closedir(d);
        }
        TAP_IS_INT(image_store_open(root, &s), 0, "store reopened without a layer");
        images = image_store_images(s, &n);
        TAP_OK(n < 2, "image without its layer dropped (%zu left)", n);

        /* Removing everything leaves empty directories. */
        while (n > 0) {
                (void) image_store_set_pinned(s, images[0]->id, false);
                TAP_IS_INT(image_store_remove_image(s, images[0]->id, NULL, NULL), 0, "image removed");
                images = image_store_images(s, &n);
        }
        TAP_IS_INT(count_dir("overlay"), 0, "no layers left");
        TAP_IS_INT(count_dir("overlay-blobs/sha256"), 0, "no blobs left");
}

static void test_json(void) {
        ImageConfig c = {};
        static const char *bad[] = {
                "", "[]", "{\"config\":[]}", "{\"config\":{\"Env\":\"x\"}}", "{\"config\":{\"Env\":[1]}}",
                "{\"rootfs\":{\"diff_ids\":[\"sha256:nope\"]}}", "{\"config\":{\"Labels\":{\"a\":1}}}",
                "{\"created\":5}",
        };
        ImageRecord **records = NULL;
        size_t n = 0;

        TAP_IS_INT(image_config_from_json("{}", 2, &c), 0, "empty config accepted");
        image_config_done(&c);
        TAP_IS_INT(image_config_from_json("{\"config\":null}", 15, &c), 0, "null config accepted");
        image_config_done(&c);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                TAP_IS_INT(image_config_from_json(bad[i], strlen(bad[i]), &c), -EBADMSG, "bad config %zu refused", i);
        TAP_IS_INT(image_records_from_json("[{\"digest\":\"bad\"}]", 18, &records, &n), -EBADMSG,
                   "record without a valid digest refused");
        TAP_IS_INT(image_records_from_json("[]", 2, &records, &n), 0, "empty index");
        TAP_IS_INT(n, 0, "no records");
        free(records);
}

int main(void) {
        if (test_tmpdir(&tmp_path, &tmp_fd) < 0) {
                printf("Bail out! cannot create temp dir\n");
                return 1;
        }
        snprintf(root, sizeof(root), "%s/root", tmp_path);
        test_json();
        test_images();
        test_crash_recovery();
        test_tmpdir_remove(tmp_path, tmp_fd);
        return tap_done();
}
