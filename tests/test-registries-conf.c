/* SPDX-License-Identifier: Apache-2.0 */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "registries-conf.h"
#include "tap.h"

#define D64 "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static char tmpdir[] = "/tmp/test-registries-conf.XXXXXX";

static char *write_file(const char *name, const char *text) {
        char *path;
        FILE *f;

        if (asprintf(&path, "%s/%s", tmpdir, name) < 0)
                abort();
        f = fopen(path, "we");
        if (!f)
                abort();
        fputs(text, f);
        fclose(f);
        return path;
}

static RegistriesConf *load(const char *text) {
        _cleanup_free_ char *path = write_file("load.conf", text), *error = NULL;
        RegistriesConf *c = NULL;
        int r;

        r = registries_conf_load(path, NULL, &c, &error);
        if (r < 0)
                printf("# load failed: %s\n", error ?: "(no message)");
        return c;
}

static void expect_error(const char *text, const char *want_line, const char *want_message) {
        _cleanup_free_ char *path = write_file("bad.conf", text), *error = NULL;
        _cleanup_(registries_conf_freep) RegistriesConf *c = NULL;
        char where[64];
        int r;

        r = registries_conf_load(path, NULL, &c, &error);
        TAP_OK(r < 0, "refused: %s", want_message);
        snprintf(where, sizeof(where), "bad.conf:%s", want_line);
        TAP_OK(error && strstr(error, where) && strstr(error, want_message), "error \"%s\" has %s and \"%s\"",
               error ?: "(null)", where, want_message);
}

static void expect_resolve(const RegistriesConf *c, const char *image, int want_r, const char *const *want) {
        _cleanup_free_ char *error = NULL;
        Reference **list = NULL;
        size_t n = 0, want_n = 0;
        int r;

        while (want && want[want_n])
                want_n++;
        r = registries_conf_resolve(c, image, &list, &n, &error);
        TAP_IS_INT(r, want_r, "resolve %s", image);
        if (r < 0) {
                TAP_OK(error != NULL, "resolve %s: message \"%s\"", image, error ?: "(null)");
                return;
        }
        TAP_IS_INT(n, want_n, "resolve %s: candidate count", image);
        for (size_t i = 0; i < n && i < want_n; i++) {
                _cleanup_free_ char *s = reference_to_string(list[i]);
                TAP_IS_STR(s, want[i], "resolve %s: candidate %zu", image, i);
        }
        reference_array_free(list, n);
}

static void expect_sources(const RegistriesConf *c, const char *image, int want_r, const char *const *want) {
        _cleanup_(reference_freep) Reference *ref = NULL;
        _cleanup_free_ char *error = NULL;
        PullSource *list = NULL;
        size_t n = 0, want_n = 0;
        int r;

        while (want && want[want_n])
                want_n++;
        if (reference_parse_qualified(image, &ref, NULL) < 0)
                abort();
        r = registries_conf_pull_sources(c, ref, &list, &n, &error);
        TAP_IS_INT(r, want_r, "sources of %s", image);
        if (r < 0) {
                TAP_OK(error && strstr(error, "blocked"), "sources of %s: \"%s\"", image, error ?: "(null)");
                return;
        }
        TAP_IS_INT(n, want_n, "sources of %s: count", image);
        for (size_t i = 0; i < n && i < want_n; i++) {
                _cleanup_free_ char *s = reference_to_string(list[i].reference);
                char got[512];
                snprintf(got, sizeof(got), "%s%s%s", s, list[i].insecure ? " insecure" : "",
                         list[i].mirror ? " mirror" : "");
                TAP_IS_STR(got, want[i], "sources of %s: %zu", image, i);
        }
        pull_source_array_free(list, n);
}

#define L(...) ((const char *const[]) { __VA_ARGS__, NULL })

static void test_search_and_aliases(void) {
        _cleanup_(registries_conf_freep) RegistriesConf *c = load(
                "unqualified-search-registries = [\"registry.fedoraproject.org\", \"docker.io\", \"localhost:5000\"]\n"
                "short-name-mode = \"enforcing\"\n"
                "[aliases]\n"
                "\"fedora\" = \"registry.fedoraproject.org/fedora\"\n"
                "\"library/busybox\" = \"docker.io/library/busybox\"\n"
                "\"pause\" = \"registry.k8s.io/pause\"\n");

        if (!TAP_OK(c, "loaded search and aliases"))
                return;
        TAP_IS_INT(c->n_search, 3, "three search registries");
        TAP_IS_INT(c->short_name_mode, SHORT_NAME_MODE_ENFORCING, "short-name-mode");
        TAP_IS_INT(c->n_aliases, 3, "three aliases");

        expect_resolve(c, "fedora", 0, L("registry.fedoraproject.org/fedora:latest"));
        expect_resolve(c, "fedora:39", 0, L("registry.fedoraproject.org/fedora:39"));
        expect_resolve(c, "pause@" D64, 0, L("registry.k8s.io/pause@" D64));
        expect_resolve(c, "pause:3.9@" D64, 0, L("registry.k8s.io/pause@" D64));
        expect_resolve(c, "library/busybox", 0, L("docker.io/library/busybox:latest"));
        expect_resolve(c, "alpine", 0, L("registry.fedoraproject.org/alpine:latest",
                                         "docker.io/library/alpine:latest", "localhost:5000/alpine:latest"));
        expect_resolve(c, "quay.io/a/b:1", 0, L("quay.io/a/b:1"));
        expect_resolve(c, "docker.io/busybox", 0, L("docker.io/library/busybox:latest"));
        expect_resolve(c, "Bad", -EINVAL, NULL);
}

static void test_no_search(void) {
        _cleanup_(registries_conf_freep) RegistriesConf *c = load("[aliases]\n\"a\" = \"example.com/a\"\n");

        if (!TAP_OK(c, "loaded aliases only"))
                return;
        expect_resolve(c, "a", 0, L("example.com/a:latest"));
        expect_resolve(c, "b", -ENOENT, NULL);
        expect_resolve(c, "localhost/b", 0, L("localhost/b:latest"));
}

static void test_registries(void) {
        _cleanup_(registries_conf_freep) RegistriesConf *c = load(
                "[[registry]]\n"
                "prefix = \"example.com/foo\"\n"
                "location = \"internal.example.com/bar/\"\n"
                "insecure = true\n"
                "[[registry.mirror]]\n"
                "location = \"mirror-1.example.com\"\n"
                "[[registry.mirror]]\n"
                "location = \"mirror-2.example.com/ns\"\n"
                "insecure = true\n"
                "pull-from-mirror = \"digest-only\"\n"
                "[[registry.mirror]]\n"
                "location = \"mirror-3.example.com\"\n"
                "pull-from-mirror = \"tag-only\"\n"
                "\n"
                "[[registry]]\n"
                "location = \"example.com\"\n"
                "mirror-by-digest-only = true\n"
                "mirror = [ { location = \"m.example.com\" } ]\n"
                "\n"
                "[[registry]]\n"
                "location = \"blocked.example.com\"\n"
                "blocked = true\n"
                "\n"
                "[[registry]]\n"
                "prefix = \"*.wild.example.com\"\n"
                "insecure = true\n"
                "\n"
                "[[registry]]\n"
                "prefix = \"docker.io/library\"\n"
                "location = \"localhost:5000/hub\"\n");

        if (!TAP_OK(c, "loaded registries"))
                return;
        TAP_IS_INT(c->n_registries, 5, "five registries");

        expect_sources(c, "example.com/foo/x:1", 0,
                       L("mirror-1.example.com/x:1 mirror", "mirror-3.example.com/x:1 mirror",
                         "internal.example.com/bar/x:1 insecure"));
        expect_sources(c, "example.com/foo/x@" D64, 0,
                       L("mirror-1.example.com/x@" D64 " mirror", "mirror-2.example.com/ns/x@" D64 " insecure mirror",
                         "internal.example.com/bar/x@" D64 " insecure"));
        /* The prefix matches whole components only. */
        expect_sources(c, "example.com/foobar:1", 0, L("example.com/foobar:1"));
        expect_sources(c, "example.com/foobar@" D64, 0,
                       L("m.example.com/foobar@" D64 " mirror", "example.com/foobar@" D64));
        expect_sources(c, "blocked.example.com/x", -EACCES, NULL);
        expect_sources(c, "a.wild.example.com/x:2", 0, L("a.wild.example.com/x:2 insecure"));
        expect_sources(c, "wild.example.com/x:2", 0, L("wild.example.com/x:2"));
        expect_sources(c, "docker.io/busybox:1", 0, L("localhost:5000/hub/busybox:1"));
        expect_sources(c, "docker.io/other/busybox:1", 0, L("docker.io/other/busybox:1"));
        expect_sources(c, "quay.io/x:1", 0, L("quay.io/x:1"));
}

static void test_dropins(void) {
        _cleanup_(registries_conf_freep) RegistriesConf *c = NULL;
        _cleanup_free_ char *main_path = NULL, *dir = NULL, *error = NULL, *p1 = NULL, *p2 = NULL, *p3 = NULL,
                            *p4 = NULL;

        main_path = write_file("registries.conf",
                               "unqualified-search-registries = [\"a.example.com\"]\n"
                               "[aliases]\n\"x\" = \"a.example.com/x\"\n\"y\" = \"a.example.com/y\"\n"
                               "[[registry]]\nlocation = \"a.example.com\"\ninsecure = true\n");
        if (asprintf(&dir, "%s/registries.conf.d", tmpdir) < 0 || mkdir(dir, 0755) < 0)
                abort();
        /* Lexical order: 10 before 20 before 9; the later file wins. */
        p1 = write_file("registries.conf.d/20-b.conf",
                        "unqualified-search-registries = [\"c.example.com\"]\n"
                        "[aliases]\n\"x\" = \"c.example.com/x\"\n"
                        "[[registry]]\nlocation = \"a.example.com\"\nblocked = true\n");
        p2 = write_file("registries.conf.d/10-a.conf",
                        "unqualified-search-registries = [\"b.example.com\"]\n"
                        "[aliases]\n\"x\" = \"b.example.com/x\"\n\"z\" = \"b.example.com/z\"\n");
        p3 = write_file("registries.conf.d/9-c.conf", "[aliases]\n\"z\" = \"\"\n");
        p4 = write_file("registries.conf.d/ignored.txt", "this is not toml [[[");

        TAP_IS_INT(registries_conf_load(main_path, dir, &c, &error), 0, "load with drop-ins");
        if (!c)
                return;
        TAP_IS_INT(c->n_search, 1, "search replaced");
        TAP_IS_STR(c->search[0], "c.example.com", "last drop-in's search list wins");
        expect_resolve(c, "x", 0, L("c.example.com/x:latest"));
        expect_resolve(c, "y", 0, L("a.example.com/y:latest"));
        expect_resolve(c, "z", 0, L("c.example.com/z:latest"));
        TAP_IS_INT(c->n_registries, 1, "registry replaced by prefix");
        TAP_OK(c->registries[0].blocked && !c->registries[0].insecure, "later registry entry wins whole");
        c = registries_conf_free(c);

        TAP_IS_INT(registries_conf_load("/nonexistent/registries.conf", "/nonexistent.d", &c, NULL), 0,
                   "missing files are fine");
        TAP_OK(c && c->n_search == 0 && c->n_registries == 0, "empty configuration");
        unlink(p1);
        unlink(p2);
        unlink(p3);
        unlink(p4);
        rmdir(dir);
        unlink(main_path);
}

static void test_errors(void) {
        expect_error("unqualified-search-registries = \"docker.io\"\n", "1", "must be an array");
        expect_error("\n\nunqualified-search-registries = [1]\n", "3", "must be a string");
        expect_error("unqualified-search-registries = [\"https://docker.io\"]\n", "1", "host[:port]");
        expect_error("short-name-mode = \"yes\"\n", "1", "invalid short-name-mode");
        expect_error("[aliases]\n\"docker.io/x\" = \"docker.io/x\"\n", "2", "must not contain registry");
        expect_error("[aliases]\n\"x:1\" = \"docker.io/x\"\n", "2", "tag or digest");
        expect_error("[aliases]\n\"x\" = \"x\"\n", "2", "must contain registry");
        expect_error("[aliases]\n\"x\" = \"docker.io/x:1\"\n", "2", "tag or digest");
        expect_error("[aliases]\n\"X\" = \"docker.io/x\"\n", "2", "lowercase");
        expect_error("[[registry]]\ninsecure = true\n", "1", "needs a location or a prefix");
        expect_error("[[registry]]\nlocation = \"https://example.com\"\n", "2", "URI schemes");
        expect_error("[[registry]]\nlocation = \"*.example.com\"\n", "2", "wildcard");
        expect_error("[[registry]]\nlocation = \"example.com\"\ninsecure = \"yes\"\n", "3", "must be a boolean");
        expect_error("[[registry]]\nlocation = \"a.com\"\n[[registry]]\nprefix = \"a.com\"\nlocation = \"b.com\"\n",
                     "3", "more than once");
        expect_error("[[registry]]\nlocation = \"a.com\"\n[[registry.mirror]]\ninsecure = true\n", "3",
                     "without a location");
        expect_error("[[registry]]\nlocation = \"a.com\"\n[[registry.mirror]]\nlocation = \"b.com\"\n"
                     "pull-from-mirror = \"sometimes\"\n", "5", "invalid pull-from-mirror");
        expect_error("[[registry]]\nlocation = \"a.com\"\nmirror-by-digest-only = true\n[[registry.mirror]]\n"
                     "location = \"b.com\"\npull-from-mirror = \"tag-only\"\n", "4", "cannot be combined");
        expect_error("[registries.search]\nregistries = []\n", "1", "version 1");
        expect_error("a = \n", "1", "");
}

static void test_tables(void) {
        for (ShortNameMode m = 0; m < _SHORT_NAME_MODE_MAX; m++)
                TAP_IS_INT(short_name_mode_from_string(short_name_mode_to_string(m)), m, "short-name-mode %d", m);
        for (PullFromMirror p = 0; p < _PULL_FROM_MIRROR_MAX; p++)
                TAP_IS_INT(pull_from_mirror_from_string(pull_from_mirror_to_string(p)), p, "pull-from-mirror %d", p);
        TAP_IS_INT(short_name_mode_from_string("x"), _SHORT_NAME_MODE_INVALID, "unknown mode");
        TAP_IS_INT(pull_from_mirror_from_string(NULL), _PULL_FROM_MIRROR_INVALID, "NULL pull-from-mirror");
}

int main(void) {
        if (!mkdtemp(tmpdir))
                abort();
        test_tables();
        test_search_and_aliases();
        test_no_search();
        test_registries();
        test_dropins();
        test_errors();
        {
                char path[256];
                snprintf(path, sizeof(path), "%s/load.conf", tmpdir);
                unlink(path);
                snprintf(path, sizeof(path), "%s/bad.conf", tmpdir);
                unlink(path);
        }
        rmdir(tmpdir);
        return tap_done();
}
