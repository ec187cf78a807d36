/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

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

int main(void) {
        test_pinned_patterns();
        test_record_pinned();
        test_pull_key();
        test_insecure();
        test_user();
        return tap_done();
}
