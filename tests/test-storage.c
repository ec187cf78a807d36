/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <limits.h>
#include <sys/stat.h>

#include "config.h"
#include "container-rootfs.h"
#include "crio-build.h"
#include "digest.h"
#include "image-store.h"
#include "image-test-util.h"
#include "storage-check.h"
#include "storage-json.h"
#include "storage-version.h"
#include "storage-wipe.h"
#include "strv.h"
#include "tap.h"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

static char *tmp_path;
static int tmp_fd = -EBADF;

#define ID_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define ID_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

/* Whether <tmp>/<dir>/<name> exists. */
static bool exists(const char *dir, const char *name) {
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "%s/%s/%s", tmp_path, dir, name);
        return access(path, F_OK) == 0;
}

static void write_text(const char *path, const char *text) {
        FILE *f;

        (void) mkdir_parents(path, 0755);
        f = fopen(path, "we");
        if (f) {
                fputs(text, f);
                fclose(f);
        }
}

static char *read_text(const char *path) {
        char *text = NULL;
        size_t size;

        return read_full_file_at(AT_FDCWD, path, 1 << 20, 0, &text, &size) < 0 ? NULL : text;
}

static void test_version_parse(void) {
        static const char *const good[] = { "1.36.0", "0.0.0", "10.200.3000", "1.36.0-rc.1", "1.36.0+abc",
                                            "1.36.0-alpha.0.x-y+git.5f3e", "1.2.3-0a" };
        static const char *const bad[] = { "", "1", "1.2", "1.2.3.", "01.2.3", "1.02.3", "1.2.03", "v1.2.3",
                                           "1.2.3-", "1.2.3+", "1.2.3-01", "1.2.3-a..b", "1.2.3+a_b", "1.2.3 ",
                                           "1.2.-3", "99999999999.0.0" };
        StorageVersion v;

        for (size_t i = 0; i < ELEMENTSOF(good); i++)
                TAP_IS_INT(storage_version_parse(good[i], &v), 0, "version \"%s\" parses", good[i]);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                TAP_IS_INT(storage_version_parse(bad[i], &v), -EINVAL, "version \"%s\" refused", bad[i]);
        TAP_IS_INT(storage_version_parse("1.36.7-rc.1+g1", &v), 0, "prerelease and build");
        TAP_OK(v.major == 1 && v.minor == 36 && v.patch == 7, "1.36.7");
        TAP_IS_INT(storage_version_parse(NULL, &v), -EINVAL, "NULL refused");
}

static void test_version_compare(void) {
        static const struct {
                const char *text;
                int stale;
        } cases[] = {
                { "\"1.36.0\"", 0 },
                { "\"1.36.9+0123abcd\"", 0 },           /* patch and commit do not count */
                { "\"1.36.0-rc.1\"", 0 },
                { " \"1.36.2\"\n", 0 },
                { "\"1.35.0\"", 1 },                    /* an upgrade */
                { "\"1.37.0\"", 1 },                    /* a downgrade too */
                { "\"2.36.0\"", 1 },
                { "\"1.36\"", 1 },                      /* malformed */
                { "1.36.0", 1 },                        /* not a JSON string */
                { "", 1 },
                { "\"\"", 1 },
                { "[\"1.36.0\"]", 1 },
                { "\"1.36.0\" junk", 1 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                TAP_IS_INT(storage_version_text_is_stale(cases[i].text, strlen(cases[i].text), "1.36.4"),
                           cases[i].stale, "stamp %s against 1.36.4", cases[i].text);
        TAP_IS_INT(storage_version_text_is_stale("\"1.36.0\"", 8, "1.36"), -EINVAL, "malformed current refused");
}

static void test_version_json(void) {
        _cleanup_free_ char *j = NULL, *back = NULL;

        TAP_IS_INT(storage_version_to_json("1.36.0", "abc", &j), 0, "stamp written");
        TAP_IS_STR(j, "\"1.36.0+abc\"", "as CRI-O's semver marshals it");
        TAP_IS_INT(storage_version_from_json(j, strlen(j), &back), 0, "stamp read");
        TAP_IS_STR(back, "1.36.0+abc", "round trip");
        j = mfree(j);
        TAP_IS_INT(storage_version_to_json("1.36.0", NULL, &j), 0, "stamp without commit");
        TAP_IS_STR(j, "\"1.36.0\"", "no build part");
        TAP_IS_INT(storage_version_to_json("", NULL, &back), -EINVAL, "empty version refused");
}

static void test_version_files(void) {
        char path[PATH_MAX], supported[PATH_MAX];
        _cleanup_free_ char *text = NULL;

        snprintf(path, sizeof(path), "%s/stamps/run/version", tmp_path);
        TAP_IS_INT(storage_version_file_is_stale(NULL, "1.36.0"), 0, "no path: never stale");
        TAP_IS_INT(storage_version_file_is_stale("", "1.36.0"), 0, "empty path: never stale");
        TAP_IS_INT(storage_version_file_is_stale(path, "1.36.0"), 1, "missing stamp: stale (a reboot)");

        storage_version_set_commit("0123abcdef");
        TAP_IS_INT(storage_version_file_write(path, "1.36.0"), 0, "stamp written, directory made");
        text = read_text(path);
        TAP_IS_STR(text, "\"1.36.0+0123abcdef\"", "stamp content");
        TAP_IS_INT(storage_version_file_is_stale(path, "1.36.3"), 0, "same minor: fresh");
        TAP_IS_INT(storage_version_file_is_stale(path, "1.37.0"), 1, "other minor: stale");
        text = mfree(text);

        storage_version_set_commit("unknown!");
        TAP_IS_INT(storage_version_file_write(path, "1.36.0"), 0, "stamp rewritten");
        text = read_text(path);
        TAP_IS_STR(text, "\"1.36.0\"", "an invalid build identifier is left out");
        storage_version_set_commit(NULL);
        TAP_IS_INT(storage_version_file_write("", "1.36.0"), 0, "empty path: nothing written");

        snprintf(path, sizeof(path), "%s/stamps/lib/clean.shutdown", tmp_path);
        snprintf(supported, sizeof(supported), "%s.supported", path);
        TAP_OK(!storage_shutdown_was_unclean(path), "no .supported: not unclean");
        write_text(supported, "");
        TAP_OK(storage_shutdown_was_unclean(path), ".supported without the file: unclean");
        write_text(path, "");
        TAP_OK(!storage_shutdown_was_unclean(path), "file present: clean");
        TAP_OK(!storage_shutdown_was_unclean(""), "no file configured: never unclean");
        TAP_OK(!storage_shutdown_was_unclean(NULL), "NULL: never unclean");
}

static Config *test_config(void) {
        Config *c = NULL;
        char p[PATH_MAX];

        if (config_new_default(&c) < 0)
                return NULL;
#define SET(field, fmt)                                                 \
        do {                                                            \
                snprintf(p, sizeof(p), fmt, tmp_path);                  \
                (void) config_set_string(&c->field, p);                 \
        } while (0)
        SET(root, "%s/root");
        SET(runroot, "%s/runroot");
        SET(version_file, "%s/run/crio/version");
        SET(version_file_persist, "%s/lib/crio/version");
        SET(clean_shutdown_file, "%s/lib/crio/clean.shutdown");
        SET(container_exits_dir, "%s/run/crio/exits");
        SET(container_attach_socket_dir, "%s/run/crio");
        SET(namespaces_dir, "%s/run/ns");
        for (size_t i = 0; i < c->n_runtimes; i++)
                SET(runtimes[i]->runtime_root, "%s/run/runtime");
#undef SET
        return c;
}

static void test_mark(void) {
        _cleanup_(config_freep) Config *c = test_config();
        char path[PATH_MAX];

        TAP_OK(c, "test configuration");
        if (!c)
                return;
        (void) mkdir_p(c->root, 0700);
        write_text(c->clean_shutdown_file, "");
        TAP_IS_INT(storage_mark_started(c), 0, "started");
        TAP_IS_INT(storage_version_file_is_stale(c->version_file, CRIO_VERSION), 0, "version_file written");
        TAP_IS_INT(storage_version_file_is_stale(c->version_file_persist, CRIO_VERSION), 0,
                   "version_file_persist written");
        TAP_OK(access(c->clean_shutdown_file, F_OK) < 0, "clean_shutdown_file removed at start");
        snprintf(path, sizeof(path), "%s.supported", c->clean_shutdown_file);
        TAP_OK(access(path, F_OK) == 0, ".supported written");
        TAP_OK(storage_shutdown_was_unclean(c->clean_shutdown_file), "a crash now would be unclean");
        TAP_IS_INT(storage_mark_clean_shutdown(c), 0, "clean stop");
        TAP_OK(access(c->clean_shutdown_file, F_OK) == 0, "clean_shutdown_file written");
        TAP_OK(!storage_shutdown_was_unclean(c->clean_shutdown_file), "clean");
        TAP_IS_INT(storage_mark_started(c), 0, "started again");
        TAP_OK(access(c->clean_shutdown_file, F_OK) < 0, "removed again");
}

static void test_plans(void) {
        /* force, containers_stale, images_stale, unclean, marker, internal_wipe ->
         * storage, mark, containers, images (command), containers, images (daemon) */
        static const struct {
                StorageWipeInputs in;
                StorageWipePlan command, daemon;
        } cases[] = {
                { { false, false, false, false, false, false }, {}, {} },
                /* A reboot: containers go, images stay. */
                { { false, true, false, false, false, false }, { .containers = true }, {} },
                { { false, true, false, false, false, true }, {}, { .containers = true } },
                /* An upgrade after a reboot: images too. */
                { { false, true, true, false, false, false }, { .containers = true, .images = true }, {} },
                { { false, true, true, false, false, true }, {}, { .containers = true, .images = true } },
                /* An upgrade without a reboot: the command leaves it (CRI-O's legacy case); the daemon
                 * wipes, containers included. */
                { { false, false, true, false, false, false }, {}, {} },
                { { false, false, true, false, false, true }, {}, { .containers = true, .images = true } },
                /* --force: regardless of the stamps, even with internal_wipe. */
                { { true, false, false, false, false, false }, { .containers = true, .images = true }, {} },
                { { true, false, false, false, false, true }, { .containers = true, .images = true },
                  {} },
                /* A reboot after an unclean shutdown: the whole storage, once per boot. */
                { { false, true, false, true, false, false },
                  { .storage = true, .mark = true, .containers = true }, {} },
                { { false, true, false, true, false, true }, { .storage = true, .mark = true },
                  { .containers = true } },
                { { false, true, false, true, true, false }, {}, {} },
                { { true, true, false, true, true, false },
                  { .storage = true, .mark = true, .containers = true, .images = true }, {} },
                /* Unclean without a reboot: the daemon's repair deals with it, not the wipe. */
                { { false, false, false, true, false, false }, {}, {} },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                StorageWipePlan p;

                storage_wipe_plan_command(&cases[i].in, &p);
                TAP_OK(p.storage == cases[i].command.storage && p.mark == cases[i].command.mark &&
                       p.containers == cases[i].command.containers && p.images == cases[i].command.images,
                       "case %zu: crio wipe plans storage=%d containers=%d images=%d", i, p.storage,
                       p.containers, p.images);
                storage_wipe_plan_daemon(&cases[i].in, &p);
                TAP_OK(!p.storage && p.containers == cases[i].daemon.containers &&
                       p.images == cases[i].daemon.images,
                       "case %zu: the daemon plans containers=%d images=%d", i, p.containers, p.images);
        }
}

static void test_pod_record(void) {
        StoragePodRecord r = {};

        TAP_IS_INT(storage_pod_record_parse("slice=a.slice\nnetwork=net1\nfoo=bar\nnetns=/x\nslice=crio-x.slice\n"
                                            "slice_created=1\nnetwork=cut", &r), 0, "record parsed");
        TAP_IS_STR(r.slice, "crio-x.slice", "the last slice wins");
        TAP_OK(r.slice_created, "slice_created");
        TAP_IS_STR(r.network, "net1", "an unfinished last line is ignored");
        storage_pod_record_done(&r);
        TAP_IS_INT(storage_pod_record_parse("", &r), 0, "empty record");
        TAP_OK(!r.slice && !r.network && !r.slice_created, "nothing in it");
        storage_pod_record_done(&r);
}

static void test_json(void) {
        _cleanup_(strv_freep) char **l = NULL;
        _cleanup_free_ char *image = NULL;
        static const char *arr = "[1, {\"a\": [2, 3]}, \"x\", null]";
        static const char *rec = "{\"id\":\"x\",\"image_id\":\"sha256:" ID_A "\"}";

        TAP_IS_INT(storage_json_array_split(arr, strlen(arr), &l), 0, "array split");
        TAP_IS_INT(strv_length(l), 4, "four elements");
        TAP_IS_STR(l ? l[1] : NULL, "{\"a\":[2,3]}", "an element re-serialized");
        TAP_IS_INT(storage_json_array_split("{}", 2, &l), -EBADMSG, "an object is no array");
        TAP_IS_INT(storage_json_array_split("[1,", 3, &l), -EBADMSG, "truncated");

        TAP_IS_INT(storage_container_record_image(rec, strlen(rec), &image), 0, "record read");
        TAP_IS_STR(image, ID_A, "image id, prefix stripped");
        image = mfree(image);
        TAP_IS_INT(storage_container_record_image("{\"image_id\":null}", 17, &image), 0, "null image");
        TAP_OK(!image, "no image");
        TAP_IS_INT(storage_container_record_image("[]", 2, &image), -EBADMSG, "not an object");
        TAP_IS_INT(storage_container_record_image("{\"image_id\":", 12, &image), -EBADMSG, "truncated");
}

static void test_damage_kind(void) {
        for (StorageDamageKind k = 0; k < _STORAGE_DAMAGE_KIND_MAX; k++)
                TAP_IS_INT(storage_damage_kind_from_string(storage_damage_kind_to_string(k)), k, "kind %s",
                           storage_damage_kind_to_string(k));
        TAP_OK(!storage_damage_kind_to_string(_STORAGE_DAMAGE_KIND_MAX), "out of range");
        TAP_IS_INT(storage_damage_kind_from_string("nope"), _STORAGE_DAMAGE_KIND_INVALID, "unknown");
}

static const TestEntry layer_a[] = { { "bin/", AE_IFDIR, 0755 }, { "bin/sh", AE_IFREG, 0755, "shell" } };
static const TestEntry layer_b[] = { { "etc/", AE_IFDIR, 0755 }, { "etc/passwd", AE_IFREG, 0644, "root" } };

static ImageLayer *add_layer(ImageStore *s, const TestEntry *e, size_t n) {
        TestBuffer tar = {};
        ImageLayer *l = NULL;
        int fd;

        test_tar_build(e, n, &tar);
        fd = test_memfd(tar.data, tar.size);
        free(tar.data);
        if (image_store_add_layer(s, fd, NULL, &l) < 0)
                l = NULL;
        close(fd);
        return l;
}

/* A store with one image of two layers; returns the image id and the layer ids (hex). */
static int make_store(const char *root, char **ret_image, char **ret_base, char **ret_top) {
        _cleanup_(image_store_freep) ImageStore *s = NULL;
        _cleanup_free_ char *config_digest = NULL;
        ImageRecord *r = NULL, *stored = NULL;
        ImageLayer *a, *b;
        char json[1024];

        if (image_store_open(root, &s) < 0)
                return -EIO;
        a = add_layer(s, layer_a, ELEMENTSOF(layer_a));
        b = add_layer(s, layer_b, ELEMENTSOF(layer_b));
        if (!a || !b)
                return -EIO;
        snprintf(json, sizeof(json), "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
                 "\"diff_ids\":[\"%s\",\"%s\"]}}", a->diff_id, b->diff_id);
        digest_compute(DIGEST_SHA256, json, strlen(json), &config_digest);
        image_store_put_blob(s, config_digest, json, strlen(json));
        image_record_new(config_digest, &r);
        strv_push(&r->layers, a->diff_id);
        strv_push(&r->layers, b->diff_id);
        image_record_add_name(r, "example.com/test:1");
        *ret_base = strdup(a->id);
        *ret_top = strdup(b->id);
        if (image_store_add_image(s, &r, &stored) < 0)
                return -EIO;
        image_store_release_layer(s, a);
        image_store_release_layer(s, b);
        *ret_image = strdup(stored->id);
        return 0;
}

static StorageCheckReport *check(const Config *c, bool quick, int64_t age) {
        StorageCheckReport *r = NULL;

        if (storage_check(c, &(StorageCheckOptions) { .quick = quick, .max_layer_age_usec = age }, &r) < 0)
                return NULL;
        return r;
}

static unsigned count(const StorageCheckReport *r, StorageDamageKind k) {
        return r ? storage_check_report_count(r, k) : 999;
}

static const char *first_reason(const StorageCheckReport *r) {
        size_t n = 0;
        const StorageDamage *d = r ? storage_check_report_damage(r, &n) : NULL;

        return n > 0 ? d[0].reason : "";
}

static void test_check(void) {
        _cleanup_(config_freep) Config *c = test_config();
        _cleanup_free_ char *image = NULL, *base = NULL, *top = NULL, *text = NULL, *blob = NULL;
        StorageCheckReport *r;
        char path[PATH_MAX], p2[PATH_MAX];
        struct timespec old[2];
        const int64_t age = (int64_t) STORAGE_LAYER_AGE_DEFAULT_USEC;

        TAP_OK(c, "test configuration");
        if (!c)
                return;
        r = check(c, false, age);
        TAP_OK(r && !storage_check_report_has_errors(r), "no storage yet: nothing damaged");
        storage_check_report_free(r);

        TAP_IS_INT(make_store(c->root, &image, &base, &top), 0, "store with one image");
        r = check(c, false, age);
        TAP_OK(r && !storage_check_report_has_errors(r), "a sound store: no damage");
        storage_check_report_free(r);

        /* A record that does not parse, beside a good one. */
        snprintf(path, sizeof(path), "%s/overlay-images/images.json", c->root);
        text = read_text(path);
        TAP_OK(text && text[0] == '[', "images.json read");
        if (text) {
                _cleanup_free_ char *bad = NULL;

                TAP_OK(asprintf(&bad, "[{\"digest\":\"sha256:nothex\"},%s", text + 1) > 0, "corrupted");
                write_text(path, bad);
        }
        r = check(c, false, age);
        TAP_IS_INT(count(r, STORAGE_DAMAGE_IMAGE), 1, "one image error");
        TAP_IS_STR(first_reason(r), "the record does not parse", "the unparsable record");
        TAP_IS_INT(count(r, STORAGE_DAMAGE_LAYER), 0, "no layer error");
        TAP_IS_INT(storage_repair(c, r, false), 0, "repaired");
        storage_check_report_free(r);
        r = check(c, false, age);
        TAP_OK(r && !storage_check_report_has_errors(r), "sound after the repair");
        storage_check_report_free(r);
        {
                _cleanup_(image_store_freep) ImageStore *s = NULL;
                size_t n = 0;

                TAP_IS_INT(image_store_open(c->root, &s), 0, "the store loads");
                if (s)
                        (void) image_store_images(s, &n);
                TAP_IS_INT(n, 1, "the good image kept");
        }

        /* A config blob that does not match its digest: only the full check hashes. */
        snprintf(p2, sizeof(p2), "%s/overlay-blobs/sha256/%s", c->root, image);
        blob = read_text(p2);
        write_text(p2, "{\"tampered\":true}");
        r = check(c, true, age);
        TAP_OK(r && !storage_check_report_has_errors(r), "quick: the blob is there");
        storage_check_report_free(r);
        r = check(c, false, age);
        TAP_IS_INT(count(r, STORAGE_DAMAGE_IMAGE), 1, "full: the blob does not match");
        storage_check_report_free(r);
        write_text(p2, blob ?: "");

        /* An unlisted layer directory, old: damage at 24h, not when the age check is off. */
        snprintf(path, sizeof(path), "%s/overlay/" ID_A "/diff", c->root);
        (void) mkdir_p(path, 0755);
        snprintf(path, sizeof(path), "%s/overlay/" ID_A, c->root);
        old[0].tv_sec = old[1].tv_sec = time(NULL) - 2 * 86400;
        old[0].tv_nsec = old[1].tv_nsec = 0;
        (void) utimensat(AT_FDCWD, path, old, 0);
        r = check(c, false, -1);
        TAP_OK(r && !storage_check_report_has_errors(r), "no age limit: not reported");
        storage_check_report_free(r);
        r = check(c, false, age);
        TAP_IS_INT(count(r, STORAGE_DAMAGE_LAYER), 1, "an old unlisted layer directory");
        TAP_IS_STR(first_reason(r), "not in the layer index", "why");
        TAP_IS_INT(storage_repair(c, r, false), 0, "repaired");
        storage_check_report_free(r);
        TAP_OK(access(path, F_OK) < 0, "the directory is gone");

        /* A container whose record does not parse, and one made from a vanished image. */
        snprintf(path, sizeof(path), "%s/" CONTAINER_LAYERS_DIR "/" ID_A "/state.json", c->root);
        write_text(path, "{\"id\":");
        snprintf(path, sizeof(path), "%s/" CONTAINER_LAYERS_DIR "/" ID_A "/diff", c->root);
        (void) mkdir_p(path, 0755);
        snprintf(path, sizeof(path), "%s/" CONTAINER_LAYERS_DIR "/" ID_B "/state.json", c->root);
        {
                char rec[256];

                snprintf(rec, sizeof(rec), "{\"id\":\"" ID_B "\",\"image_id\":\"%s\"}", image);
                write_text(path, rec);
        }
        snprintf(path, sizeof(path), "%s/" CONTAINER_LAYERS_DIR "/" ID_B "/diff", c->root);
        (void) mkdir_p(path, 0755);
        r = check(c, false, age);
        TAP_IS_INT(count(r, STORAGE_DAMAGE_CONTAINER), 1, "one damaged container");
        TAP_IS_STR(first_reason(r), "its record does not parse", "why");
        TAP_IS_INT(storage_repair(c, r, false), 0, "repair without force");
        TAP_OK(exists("root/" CONTAINER_LAYERS_DIR, ID_A), "without force the container stays");
        storage_check_report_free(r);

        /* A layer directory removed: the layer and the image that needs it are damaged, and the
         * container made from that image. */
        snprintf(path, sizeof(path), "%s/overlay/%s", c->root, top);
        {
                _cleanup_close_ int fd = open(c->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                char sub[128];

                snprintf(sub, sizeof(sub), "overlay/%s", top);
                (void) image_fs_remove_tree(fd, sub);
        }
        r = check(c, false, age);
        TAP_IS_INT(count(r, STORAGE_DAMAGE_LAYER), 1, "the layer whose directory is missing");
        TAP_IS_INT(count(r, STORAGE_DAMAGE_IMAGE), 1, "the image missing a layer");
        TAP_IS_INT(count(r, STORAGE_DAMAGE_CONTAINER), 2, "and the container of that image");
        TAP_IS_INT(storage_repair(c, r, false), 0, "repaired");
        storage_check_report_free(r);
        r = check(c, false, age);
        TAP_IS_INT(count(r, STORAGE_DAMAGE_IMAGE) + count(r, STORAGE_DAMAGE_LAYER), 0,
                   "images and layers sound after the repair");
        TAP_IS_INT(count(r, STORAGE_DAMAGE_CONTAINER), 2, "containers left without --force");
        storage_check_report_free(r);
        TAP_OK(!exists("root/overlay", base), "the base layer, now unused, swept");

        /* An index that does not parse at all. */
        snprintf(path, sizeof(path), "%s/overlay-layers/layers.json", c->root);
        write_text(path, "[{\"id\":");
        r = check(c, false, age);
        TAP_IS_INT(count(r, STORAGE_DAMAGE_LAYER), 1, "an unparsable layer index");
        TAP_IS_INT(storage_repair(c, r, false), 0, "repaired");
        storage_check_report_free(r);
        text = mfree(text);
        text = read_text(path);
        TAP_IS_STR(text, "[]", "rewritten empty");
}

static void test_wipe(void) {
        _cleanup_(config_freep) Config *c = test_config();
        _cleanup_(storage_image_refs_done) StorageImageRefs refs = {};
        _cleanup_free_ char *image = NULL, *base = NULL, *top = NULL;
        _cleanup_(strv_freep) char **ids = NULL;
        char path[PATH_MAX];
        int lock_fd = -EBADF;

        TAP_OK(c, "test configuration");
        if (!c)
                return;
        {
                _cleanup_close_ int fd = open(tmp_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

                (void) image_fs_remove_tree(fd, "root");
        }
        TAP_IS_INT(make_store(c->root, &image, &base, &top), 0, "store with one image");

        /* Two containers: one whose record names the image, one with a bundle only. */
        snprintf(path, sizeof(path), "%s/" CONTAINER_LAYERS_DIR "/" ID_A "/diff", c->root);
        (void) mkdir_p(path, 0755);
        snprintf(path, sizeof(path), "%s/" CONTAINER_LAYERS_DIR "/" ID_A "/state.json", c->root);
        {
                char rec[256];

                snprintf(rec, sizeof(rec), "{\"image_id\":\"sha256:%s\"}", image);
                write_text(path, rec);
        }
        snprintf(path, sizeof(path), "%s/" CONTAINER_LAYERS_DIR "/" ID_A "/userdata/config.json", c->runroot);
        write_text(path, "{}");
        snprintf(path, sizeof(path), "%s/" CONTAINER_LAYERS_DIR "/" ID_B "/userdata/config.json", c->runroot);
        write_text(path, "{}");
        snprintf(path, sizeof(path), "%s/" ID_A, c->container_exits_dir);
        write_text(path, "0");
        snprintf(path, sizeof(path), "%s/" ID_A "/state.json", c->runtimes[0]->runtime_root);
        write_text(path, "{}");
        snprintf(path, sizeof(path), "%s/" CONTAINER_LAYERS_DIR "/not-an-id", c->root);
        (void) mkdir_p(path, 0755);

        snprintf(path, sizeof(path), "%s/" CONTAINER_LAYERS_DIR, c->root);
        TAP_IS_INT(storage_list_ids(path, &ids), 0, "ids listed");
        TAP_IS_INT(strv_length(ids), 1, "only the id");

        TAP_IS_INT(storage_wipe_containers(c, NULL, &refs), 2, "two containers wiped");
        TAP_OK(!exists("root/" CONTAINER_LAYERS_DIR, ID_A), "layers gone");
        TAP_OK(!exists("runroot/" CONTAINER_LAYERS_DIR, ID_A), "bundle gone");
        TAP_OK(!exists("runroot/" CONTAINER_LAYERS_DIR, ID_B), "lone bundle gone");
        TAP_OK(!exists("run/crio/exits", ID_A), "exit file gone");
        TAP_OK(!exists("run/runtime", ID_A), "runtime state gone");
        TAP_OK(exists("root/" CONTAINER_LAYERS_DIR, "not-an-id"), "other names left alone");
        TAP_OK(strv_contains(refs.ids, image), "the image of the first is to go");

        TAP_IS_INT(storage_lock(c->root, &lock_fd), 0, "store locked");
        TAP_IS_INT(storage_wipe_images(c->root, &refs), -EBUSY, "a locked store is not wiped");
        lock_fd = safe_close(lock_fd);
        TAP_IS_INT(storage_wipe_images(c->root, &refs), 1, "the image wiped");
        TAP_OK(!exists("root/overlay", top), "its layers with it");

        /* By layers, for a container without a record. */
        image = mfree(image), base = mfree(base), top = mfree(top);
        TAP_IS_INT(make_store(c->root, &image, &base, &top), 0, "the image again");
        storage_image_refs_done(&refs);
        {
                char **set = NULL;

                strv_push(&set, top);
                strv_push(&set, base);
                TAP_IS_INT(storage_image_refs_add(&refs, NULL, set), 0, "a layer set");
                set = NULL;
                strv_push(&set, base);
                TAP_IS_INT(storage_image_refs_add(&refs, NULL, set), 0, "a set no image has");
        }
        TAP_IS_INT(storage_wipe_images(c->root, &refs), 1, "the image of the layer set wiped");

        TAP_IS_INT(storage_wipe_root(c, NULL), 0, "storage wiped");
        TAP_OK(!exists("root", "overlay-images"), "the indexes gone");
        TAP_OK(exists("root", "storage.lock"), "the lock stays");
        TAP_OK(!exists("runroot", CONTAINER_LAYERS_DIR), "bundles gone");
}

int main(void) {
        if (test_tmpdir(&tmp_path, &tmp_fd) < 0) {
                printf("Bail out! cannot create temp dir\n");
                return 1;
        }
        test_version_parse();
        test_version_compare();
        test_version_json();
        test_version_files();
        test_mark();
        test_plans();
        test_pod_record();
        test_json();
        test_damage_kind();
        test_check();
        test_wipe();
        test_tmpdir_remove(tmp_path, tmp_fd);
        return tap_done();
}
