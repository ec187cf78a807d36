/* SPDX-License-Identifier: Apache-2.0 */

#include <stdlib.h>

#include "reference.h"
#include "tap.h"

#define D64 "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_valid(const char *input, const char *domain, const char *path, const char *tag,
                       const char *digest, const char *canonical) {
        _cleanup_(reference_freep) Reference *r = NULL;
        _cleanup_free_ char *s = NULL;
        const char *error = NULL;
        int k;

        k = reference_parse(input, &r, &error);
        if (!TAP_IS_INT(k, 0, "parse %s", input)) {
                printf("#   error: %s\n", error ?: "(none)");
                return;
        }
        TAP_IS_STR(r->domain, domain, "%s: domain", input);
        TAP_IS_STR(r->path, path, "%s: path", input);
        TAP_IS_STR(r->tag, tag, "%s: tag", input);
        TAP_IS_STR(r->digest, digest, "%s: digest", input);
        s = reference_to_string(r);
        TAP_IS_STR(s, canonical, "%s: string", input);
}

static void test_invalid(const char *input, const char *want_error) {
        _cleanup_(reference_freep) Reference *r = NULL;
        const char *error = NULL;
        int k;

        k = reference_parse(input, &r, &error);
        TAP_IS_INT(k, -EINVAL, "refuse \"%s\"", input);
        TAP_OK(r == NULL, "%s: no result", input);
        if (want_error)
                TAP_OK(error && strstr(error, want_error), "%s: error \"%s\" mentions \"%s\"",
                       input, error ?: "(null)", want_error);
}

static void test_qualify(void) {
        _cleanup_(reference_freep) Reference *r = NULL, *q = NULL, *q2 = NULL, *c = NULL;
        _cleanup_free_ char *s = NULL, *s2 = NULL, *n = NULL;
        const char *error;

        TAP_IS_INT(reference_parse("busybox", &r, NULL), 0, "parse short name");
        TAP_OK(reference_is_short_name(r), "busybox is short");
        TAP_IS_STR(reference_manifest_reference(r), "latest", "default manifest reference is latest");
        TAP_IS_INT(reference_with_domain(r, "docker.io", &q), 0, "qualify with docker.io");
        TAP_IS_INT(reference_default_tag(q), 0, "default tag");
        s = reference_to_string(q);
        TAP_IS_STR(s, "docker.io/library/busybox:latest", "docker.io normalization");
        TAP_IS_INT(reference_with_domain(r, "quay.io", &q2), 0, "qualify with quay.io");
        s2 = reference_to_string(q2);
        TAP_IS_STR(s2, "quay.io/busybox", "no library/ outside docker.io");
        TAP_IS_INT(reference_with_domain(r, "bad domain", &c), -EINVAL, "refuse bad domain");
        n = reference_name(q);
        TAP_IS_STR(n, "docker.io/library/busybox", "name without tag");

        TAP_IS_INT(reference_parse_qualified("busybox", &c, &error), -EINVAL, "qualified parse refuses short");
        TAP_IS_INT(reference_parse_qualified("localhost/busybox", &c, &error), 0, "localhost is qualified");
        TAP_IS_STR(reference_manifest_reference(c), "latest", "latest for localhost/busybox");
        c = reference_free(c);
        TAP_IS_INT(reference_parse("a/b:1@" D64, &c, NULL), 0, "tag and digest");
        TAP_IS_STR(reference_manifest_reference(c), D64, "digest wins over tag");
}

int main(void) {
        char long_name[300];

        test_valid("busybox", NULL, "busybox", NULL, NULL, "busybox");
        test_valid("busybox:1.36", NULL, "busybox", "1.36", NULL, "busybox:1.36");
        test_valid("library/busybox", NULL, "library/busybox", NULL, NULL, "library/busybox");
        test_valid("docker.io/busybox", "docker.io", "library/busybox", NULL, NULL, "docker.io/library/busybox");
        test_valid("index.docker.io/busybox:latest", "docker.io", "library/busybox", "latest", NULL,
                   "docker.io/library/busybox:latest");
        test_valid("docker.io/foo/bar", "docker.io", "foo/bar", NULL, NULL, "docker.io/foo/bar");
        test_valid("quay.io/coreos/etcd:v3.5.0", "quay.io", "coreos/etcd", "v3.5.0", NULL,
                   "quay.io/coreos/etcd:v3.5.0");
        test_valid("localhost/foo", "localhost", "foo", NULL, NULL, "localhost/foo");
        test_valid("localhost:5000/foo/bar:tag", "localhost:5000", "foo/bar", "tag", NULL,
                   "localhost:5000/foo/bar:tag");
        test_valid("127.0.0.1:5000/a", "127.0.0.1:5000", "a", NULL, NULL, "127.0.0.1:5000/a");
        test_valid("[::1]:5000/a", "[::1]:5000", "a", NULL, NULL, "[::1]:5000/a");
        test_valid("Registry.Example.COM/a", "Registry.Example.COM", "a", NULL, NULL, "Registry.Example.COM/a");
        test_valid("example.com/a/b/c/d", "example.com", "a/b/c/d", NULL, NULL, "example.com/a/b/c/d");
        test_valid("busybox@" D64, NULL, "busybox", NULL, D64, "busybox@" D64);
        test_valid("k8s.gcr.io/pause:3.9@" D64, "k8s.gcr.io", "pause", "3.9", D64, "k8s.gcr.io/pause:3.9@" D64);
        test_valid("a/b__c.d-e--f_g:T_a.g-1", NULL, "a/b__c.d-e--f_g", "T_a.g-1", NULL, "a/b__c.d-e--f_g:T_a.g-1");
        test_valid("registry-1.docker.io/x", "registry-1.docker.io", "x", NULL, NULL, "registry-1.docker.io/x");
        test_valid("foo/bar:_tag", NULL, "foo/bar", "_tag", NULL, "foo/bar:_tag");

        test_invalid("", "empty");
        test_invalid("Busybox", "lowercase");
        test_invalid("docker.io/Busybox", "lowercase");
        test_invalid("busybox:", "tag");
        test_invalid("busybox:-x", "tag");
        test_invalid("busybox:a/b", "domain");
        test_invalid("busybox@sha256:abc", "digest");
        test_invalid("busybox@md5:0123456789abcdef0123456789abcdef", "digest");
        test_invalid("busybox@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", "digest");
        test_invalid("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "64-byte");
        test_invalid("a//b", "path");
        test_invalid("/a", "path");
        test_invalid("a/", "path");
        test_invalid("a..b", "path");
        test_invalid("-a", "path");
        test_invalid("a_", "path");
        test_invalid("a___b", "path");
        test_invalid("a b", "path");
        test_invalid("exa_mple.com/a", "domain");
        test_invalid("-example.com/a", "domain");
        test_invalid("example.com:/a", "domain");
        test_invalid("example.com:12a/a", "domain");
        test_invalid("[::1/a", "domain");
        test_invalid("example.com/", "path");
        test_invalid(":tag", "empty");
        test_invalid("a:" "0123456789012345678901234567890123456789012345678901234567890123"
                     "01234567890123456789012345678901234567890123456789012345678901234", "tag");

        memset(long_name, 'a', 256);
        long_name[256] = '\0';
        test_invalid(long_name, "255");
        long_name[255] = '\0';
        test_valid(long_name, NULL, long_name, NULL, NULL, long_name);

        test_qualify();
        return tap_done();
}
