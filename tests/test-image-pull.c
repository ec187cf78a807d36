/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-event.h>
#include <time.h>
#include <unistd.h>

#include "archive-library.h"
#include "curl-library.h"
#include "image-pull.h"
#include "strv.h"
#include "tap.h"

static void test_pinned_patterns(void) {
        TAP_OK(image_pinned_pattern_match("*", "docker.io/library/busybox:latest"), "* matches all");
        TAP_OK(image_pinned_pattern_match("registry.k8s.io/pause*", "registry.k8s.io/pause:3.10"), "prefix");
        TAP_OK(!image_pinned_pattern_match("registry.k8s.io/pause*", "docker.io/pause:3.10"), "prefix miss");
        TAP_OK(image_pinned_pattern_match("*pause:3.10", "registry.k8s.io/pause:3.10"), "suffix");
        TAP_OK(!image_pinned_pattern_match("*pause:3.10", "registry.k8s.io/pause:3.9"), "suffix miss");
        TAP_OK(image_pinned_pattern_match("quay.io/a:1", "quay.io/a:1"), "exact");
        TAP_OK(!image_pinned_pattern_match("quay.io/a:1", "quay.io/a:10"), "exact is not a prefix");
        TAP_OK(!image_pinned_pattern_match("", "x"), "empty pattern matches nothing");
        TAP_OK(image_pinned_pattern_match("*a", "a"), "suffix equal to the name");
}

static void test_record_pinned(void) {
        ImageRecord *r = NULL;
        char *patterns[] = { (char *) "quay.io/x/*", NULL };

        TAP_IS_INT(image_record_new("sha256:" "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                                    &r), 0, "record");
        TAP_IS_INT(image_record_add_name(r, "registry.k8s.io/pause:3.10"), 1, "name");
        TAP_OK(image_record_matches_pinned(r, NULL, "registry.k8s.io/pause:3.10"), "pause image");
        TAP_OK(!image_record_matches_pinned(r, NULL, "registry.k8s.io/pause:3.9"), "other pause tag");
        TAP_OK(!image_record_matches_pinned(r, patterns, NULL), "unmatched pattern");
        TAP_IS_INT(image_record_add_name(r, "quay.io/x/y:1"), 1, "second name");
        TAP_OK(image_record_matches_pinned(r, patterns, NULL), "matched pattern");
        image_record_free(r);
}

static void test_pull_key(void) {
        char *k = NULL;

        TAP_IS_INT(image_pull_key("busybox", &k), 0, "short name key");
        TAP_IS_STR(k, "?busybox", "short names stay as written");
        free(k);
        TAP_IS_INT(image_pull_key("docker.io/busybox", &k), 0, "qualified");
        TAP_IS_STR(k, "docker.io/library/busybox:latest", "normalized with the default tag");
        free(k);
        TAP_IS_INT(image_pull_key("index.docker.io/library/busybox:1", &k), 0, "index.docker.io");
        TAP_IS_STR(k, "docker.io/library/busybox:1", "same key as docker.io");
        free(k);
        TAP_IS_INT(image_pull_key("quay.io/a/b:t@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                                  &k), 0, "tag and digest");
        TAP_IS_STR(k, "quay.io/a/b@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                   "the digest wins");
        free(k);
        TAP_OK(image_pull_key("Bad::Name", &k) < 0, "bad name refused");
}

static void test_insecure(void) {
        char *insecure[] = { (char *) "my.registry:5000", (char *) "other.example/", NULL };

        TAP_OK(registry_domain_is_loopback("localhost"), "localhost");
        TAP_OK(registry_domain_is_loopback("localhost:5000"), "localhost:port");
        TAP_OK(registry_domain_is_loopback("127.0.0.1:5000"), "127.0.0.1");
        TAP_OK(registry_domain_is_loopback("127.3.2.1"), "127/8");
        TAP_OK(registry_domain_is_loopback("[::1]:5000"), "::1");
        TAP_OK(!registry_domain_is_loopback("127.example.com"), "not an address");
        TAP_OK(!registry_domain_is_loopback("localhost.example.com"), "not localhost");
        TAP_OK(!registry_domain_is_loopback("quay.io"), "remote");
        TAP_OK(registry_domain_is_insecure("my.registry:5000", insecure), "listed");
        TAP_OK(registry_domain_is_insecure("other.example", insecure), "listed with a slash");
        TAP_OK(!registry_domain_is_insecure("my.registry", insecure), "port differs");
        TAP_OK(!registry_domain_is_insecure("quay.io", NULL), "no list");
}

static void test_user(void) {
        const char *name;
        size_t len;
        bool has_uid;
        int64_t uid;

        image_user_split("1234:5", &has_uid, &uid, &name, &len);
        TAP_OK(has_uid && uid == 1234 && !name, "uid:gid");
        image_user_split("0", &has_uid, &uid, &name, &len);
        TAP_OK(has_uid && uid == 0, "root by number");
        image_user_split("nobody:nogroup", &has_uid, &uid, &name, &len);
        TAP_OK(!has_uid && name && len == 6 && strncmp(name, "nobody", len) == 0, "name:group");
        image_user_split("", &has_uid, &uid, &name, &len);
        TAP_OK(!has_uid && !name, "empty");
        image_user_split(NULL, &has_uid, &uid, &name, &len);
        TAP_OK(!has_uid && !name, "unset");
        image_user_split("12a", &has_uid, &uid, &name, &len);
        TAP_OK(!has_uid && name && len == 3, "not a number");
}

typedef struct PullResult {
        bool done;
        int error;
        char *message;
} PullResult;

static void on_pulled(int error, const char *message, const ImageRecord *image, void *userdata) {
        PullResult *r = userdata;

        r->done = true;
        r->error = error;
        r->message = message ? strdup(message) : NULL;
}

static uint64_t now_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs the loop until *flag is set or until the pull libraries are unloaded (flag NULL), at most 10 s. */
static bool run_until(sd_event *e, const bool *flag) {
        uint64_t end = now_ms() + 10000;

        while (now_ms() < end) {
                if (flag ? *flag : !dl_library_is_loaded(&curl_library) && !dl_library_is_loaded(&archive_library))
                        return true;
                (void) sd_event_run(e, 100 * 1000);
        }
        return false;
}

/* The pull libraries' lifetime: not loaded before a pull, loaded by it, unloaded once it ends; a
 * library that cannot be loaded fails the pull by name. */
static void test_pull_libraries(void) {
        char root[] = "/tmp/test-image-pull.XXXXXX", conf[512];
        ImageStore *store = NULL;
        ImagePuller *puller = NULL;
        sd_event *e = NULL;
        PullResult result = {};
        const char *soname = curl_library.soname;

        TAP_OK(mkdtemp(root), "temporary root");
        (void) snprintf(conf, sizeof(conf), "%s/registries.conf", root);
        FILE *f = fopen(conf, "we");
        TAP_OK(f && fputs("unqualified-search-registries = []\n", f) >= 0 && fclose(f) == 0, "registries.conf");
        TAP_IS_INT(image_store_open(root, &store), 0, "store");
        TAP_IS_INT(sd_event_new(&e), 0, "event loop");
        TAP_IS_INT(image_puller_new(e, store, &(ImagePullerSettings) {
                .registries_conf = conf,
                .registries_conf_dir = "",
                .unload_delay_usec = 1,
        }, &puller), 0, "puller");
        TAP_OK(!dl_library_is_loaded(&curl_library) && !dl_library_is_loaded(&archive_library),
               "nothing loaded before the first pull");

        /* Nothing listens on port 9: the pull fails after curl's attempts. */
        TAP_IS_INT(image_puller_pull(puller, "127.0.0.1:9/test/none:latest", NULL, on_pulled, &result, NULL), 0,
                   "pull started");
        TAP_OK(dl_library_is_loaded(&curl_library) && dl_library_is_loaded(&archive_library), "loaded by the pull");
        TAP_OK(run_until(e, &result.done), "pull ended");
        TAP_OK(result.error < 0 && result.message, "pull failed: %s", result.message ?: "(none)");
        TAP_OK(run_until(e, NULL), "both libraries unloaded once no pull is left");
        result.message = mfree(result.message);

        curl_library.soname = "libcrio-test-missing.so.0";
        result = (PullResult) {};
        TAP_IS_INT(image_puller_pull(puller, "127.0.0.1:9/test/none:latest", NULL, on_pulled, &result, NULL), 0,
                   "pull started without libcurl");
        TAP_OK(run_until(e, &result.done), "pull ended");
        TAP_OK(result.error == -EOPNOTSUPP && result.message &&
               strstr(result.message, "cannot load libcrio-test-missing.so.0"), "named: %s", result.message ?: "(none)");
        TAP_OK(!dl_library_is_loaded(&curl_library) && !dl_library_is_loaded(&archive_library), "nothing left loaded");
        curl_library.soname = soname;
        free(result.message);

        image_puller_free(puller);
        image_store_free(store);
        sd_event_unref(e);
        (void) snprintf(conf, sizeof(conf), "rm -rf '%s'", root);
        TAP_IS_INT(system(conf), 0, "temporary root removed");
}

int main(void) {
        test_pull_libraries();
        test_pinned_patterns();
        test_record_pinned();
        test_pull_key();
        test_insecure();
        test_user();
        return tap_done();
}
