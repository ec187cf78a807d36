/* SPDX-License-Identifier: Apache-2.0 */

#include <stdio.h>
#include <stdlib.h>

#include "manifest.h"
#include "tap.h"

#define H1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define H2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define H3 "sha256:3333333333333333333333333333333333333333333333333333333333333333"

static const char docker_manifest[] =
        "{\"schemaVersion\": 2, \"mediaType\": \"" MEDIA_TYPE_DOCKER_MANIFEST "\","
        " \"config\": {\"mediaType\": \"application/vnd.docker.container.image.v1+json\", \"size\": 1469,"
        "  \"digest\": \"" H1 "\"},"
        " \"layers\": [{\"mediaType\": \"application/vnd.docker.image.rootfs.diff.tar.gzip\", \"size\": 2479,"
        "  \"digest\": \"" H2 "\"}, {\"mediaType\": \"application/vnd.docker.image.rootfs.diff.tar.gzip\","
        "  \"size\": 0, \"digest\": \"" H3 "\"}]}";

static const char oci_manifest_untyped[] =
        "{\"schemaVersion\": 2, \"config\": {\"mediaType\": \"application/vnd.oci.image.config.v1+json\","
        " \"size\": 7, \"digest\": \"" H1 "\"}, \"layers\": [], \"annotations\": {\"a\": \"b\"}}";

static const char oci_index[] =
        "{\"schemaVersion\": 2, \"mediaType\": \"" MEDIA_TYPE_OCI_INDEX "\", \"manifests\": ["
        " {\"mediaType\": \"" MEDIA_TYPE_OCI_MANIFEST "\", \"size\": 1, \"digest\": \"" H1 "\","
        "  \"platform\": {\"architecture\": \"arm\", \"os\": \"linux\", \"variant\": \"v6\"}},"
        " {\"mediaType\": \"" MEDIA_TYPE_OCI_MANIFEST "\", \"size\": 2, \"digest\": \"" H2 "\","
        "  \"platform\": {\"architecture\": \"arm\", \"os\": \"linux\", \"variant\": \"v7\"}},"
        " {\"mediaType\": \"" MEDIA_TYPE_OCI_MANIFEST "\", \"size\": 3, \"digest\": \"" H3 "\","
        "  \"platform\": {\"architecture\": \"amd64\", \"os\": \"linux\"}},"
        " {\"mediaType\": \"" MEDIA_TYPE_OCI_MANIFEST "\", \"size\": 4, \"digest\": \"" H1 "\","
        "  \"platform\": {\"architecture\": \"arm64\", \"os\": \"linux\", \"variant\": \"v8\"}},"
        " {\"mediaType\": \"" MEDIA_TYPE_OCI_MANIFEST "\", \"size\": 5, \"digest\": \"" H2 "\","
        "  \"platform\": {\"architecture\": \"amd64\", \"os\": \"windows\"}},"
        " {\"mediaType\": \"" MEDIA_TYPE_OCI_MANIFEST "\", \"size\": 6, \"digest\": \"" H3 "\"},"
        " {\"mediaType\": \"" MEDIA_TYPE_OCI_MANIFEST "\", \"size\": 7, \"digest\": \"" H3 "\","
        "  \"platform\": {\"architecture\": \"amd64\", \"os\": \"linux\"}}]}";

static const char docker_list[] =
        "{\"schemaVersion\": 2, \"mediaType\": \"" MEDIA_TYPE_DOCKER_MANIFEST_LIST "\", \"manifests\": ["
        " {\"mediaType\": \"" MEDIA_TYPE_DOCKER_MANIFEST "\", \"size\": 10, \"digest\": \"" H1 "\","
        "  \"platform\": {\"architecture\": \"arm64\", \"os\": \"linux\"}},"
        " {\"mediaType\": \"" MEDIA_TYPE_DOCKER_MANIFEST "\", \"size\": 11, \"digest\": \"" H2 "\","
        "  \"platform\": {\"architecture\": \"arm\", \"os\": \"linux\", \"variant\": \"v5\"}}]}";

static void test_manifest(void) {
        _cleanup_(manifest_freep) Manifest *m = NULL;
        ManifestKind kind;
        char *type = NULL;

        TAP_IS_INT(manifest_parse(docker_manifest, strlen(docker_manifest), MEDIA_TYPE_DOCKER_MANIFEST, &m), 0,
                   "docker schema 2");
        TAP_IS_STR(m->media_type, MEDIA_TYPE_DOCKER_MANIFEST, "media type");
        TAP_IS_STR(m->config.digest, H1, "config digest");
        TAP_IS_INT(m->config.size, 1469, "config size");
        TAP_IS_INT(m->n_layers, 2, "two layers");
        TAP_IS_STR(m->layers[0].digest, H2, "layer digest");
        TAP_IS_INT(m->layers[0].size, 2479, "layer size");
        TAP_IS_STR(m->layers[1].media_type, "application/vnd.docker.image.rootfs.diff.tar.gzip", "layer type");
        m = manifest_free(m);

        TAP_IS_INT(manifest_parse(oci_manifest_untyped, strlen(oci_manifest_untyped), "application/json", &m), 0,
                   "OCI manifest without mediaType, generic content type");
        TAP_IS_STR(m->media_type, MEDIA_TYPE_OCI_MANIFEST, "detected OCI manifest");
        TAP_IS_INT(m->n_layers, 0, "no layers");
        m = manifest_free(m);

        TAP_IS_INT(manifest_detect(oci_index, strlen(oci_index), NULL, &kind, &type), 0, "detect index");
        TAP_IS_INT(kind, MANIFEST_KIND_INDEX, "kind index");
        TAP_IS_STR(type, MEDIA_TYPE_OCI_INDEX, "index type");
        type = mfree(type);
        TAP_IS_INT(manifest_detect(docker_manifest, strlen(docker_manifest),
                                   MEDIA_TYPE_DOCKER_MANIFEST "; charset=utf-8", &kind, NULL), 0,
                   "content type with parameters");
        TAP_IS_INT(kind, MANIFEST_KIND_IMAGE, "kind image");

        TAP_IS_INT(manifest_parse(oci_index, strlen(oci_index), NULL, &m), -EMEDIUMTYPE, "index is not a manifest");
        TAP_IS_INT(manifest_parse(docker_manifest, strlen(docker_manifest), MEDIA_TYPE_OCI_MANIFEST, &m), -EBADMSG,
                   "header contradicts body");

        static const char *const bad[] = {
                "",
                "[]",
                "{\"schemaVersion\": 3, \"layers\": []}",
                "{\"schemaVersion\": \"2\", \"layers\": []}",
                "{\"schemaVersion\": 2}",
                "{\"schemaVersion\": 2, \"mediaType\": \"text/plain\", \"layers\": []}",
                "{\"schemaVersion\": 2, \"config\": {\"size\": 1, \"digest\": \"" H1 "\"}}",
                "{\"schemaVersion\": 2, \"config\": {\"size\": 1, \"digest\": \"sha256:abc\"}, \"layers\": []}",
                "{\"schemaVersion\": 2, \"config\": {\"size\": -1, \"digest\": \"" H1 "\"}, \"layers\": []}",
                "{\"schemaVersion\": 2, \"config\": {\"size\": \"1\", \"digest\": \"" H1 "\"}, \"layers\": []}",
                "{\"schemaVersion\": 2, \"config\": {\"digest\": \"" H1 "\"}, \"layers\": []}",
                "{\"schemaVersion\": 2, \"config\": {\"size\": 1, \"digest\": \"" H1 "\"}, \"layers\": {}}",
                "{\"schemaVersion\": 2, \"config\": {\"size\": 1, \"digest\": \"" H1 "\"}, \"layers\": [1]}",
                "{\"schemaVersion\": 2, \"config\": {\"size\": 1, \"digest\": 5}, \"layers\": []}",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                TAP_IS_INT(manifest_parse(bad[i], strlen(bad[i]), NULL, &m), -EBADMSG, "refuse bad manifest %zu", i);
        /* Docker types always name themselves in the body. */
        TAP_IS_INT(manifest_parse(oci_manifest_untyped, strlen(oci_manifest_untyped), MEDIA_TYPE_DOCKER_MANIFEST,
                                  &m), -EBADMSG, "docker content type without body mediaType");
        TAP_IS_INT(manifest_parse("{\"schemaVersion\": 1, \"fsLayers\": []}", 36, NULL, &m), -EPROTONOSUPPORT,
                   "schema 1 refused");
}

static void expect_choice(const Index *idx, const char *arch, const char *variant, uint64_t want_size) {
        Platform *wanted = NULL;
        size_t n = 0;
        const IndexEntry *e;

        TAP_IS_INT(platform_wanted("linux", arch, variant, &wanted, &n), 0, "wanted %s/%s", arch, variant ?: "");
        e = index_choose(idx, wanted, n);
        if (want_size == 0)
                TAP_OK(!e, "linux/%s/%s: nothing chosen", arch, variant ?: "");
        else
                TAP_IS_INT(e ? e->descriptor.size : 0, want_size, "linux/%s/%s chooses size %u", arch, variant ?: "",
                           (unsigned) want_size);
        platform_array_free(wanted, n);
}

static void test_index(void) {
        _cleanup_(index_freep) Index *idx = NULL, *list = NULL;
        Platform *w = NULL;
        size_t n = 0;

        TAP_IS_INT(index_parse(oci_index, strlen(oci_index), MEDIA_TYPE_OCI_INDEX, &idx), 0, "OCI index");
        TAP_IS_INT(idx->n_manifests, 7, "seven entries");
        TAP_OK(!idx->manifests[5].has_platform, "entry without platform");
        TAP_IS_STR(idx->manifests[1].platform.variant, "v7", "variant");
        TAP_OK(!idx->manifests[2].platform.variant, "no variant");

        expect_choice(idx, "amd64", NULL, 3);
        expect_choice(idx, "arm64", "v8", 4);
        expect_choice(idx, "arm64", NULL, 4);
        expect_choice(idx, "arm", "v7", 2);
        expect_choice(idx, "arm", "v6", 1);
        expect_choice(idx, "arm", "v5", 0);
        expect_choice(idx, "s390x", NULL, 0);

        TAP_IS_INT(index_parse(docker_list, strlen(docker_list), NULL, &list), 0, "docker manifest list");
        TAP_IS_STR(list->media_type, MEDIA_TYPE_DOCKER_MANIFEST_LIST, "list type");
        expect_choice(list, "arm64", "v8", 10);     /* v8 first, then no variant */
        expect_choice(list, "arm", "v7", 11);       /* v7, v6, v5 */
        expect_choice(list, "arm", "v9", 0);        /* unknown variant: only itself and none */
        expect_choice(list, "amd64", NULL, 0);

        TAP_IS_INT(platform_wanted("linux", "arm", "v6", &w, &n), 0, "wanted arm/v6");
        TAP_IS_INT(n, 3, "v6, v5, none");
        TAP_IS_STR(w[2].variant, NULL, "last is no variant");
        platform_array_free(w, n);
        TAP_IS_INT(platform_wanted("linux", "amd64", "", &w, &n), 0, "wanted amd64");
        TAP_IS_INT(n, 1, "amd64 has no variants");
        platform_array_free(w, n);

        TAP_IS_INT(index_parse(docker_manifest, strlen(docker_manifest), NULL, &list), -EMEDIUMTYPE,
                   "manifest is not an index");
        TAP_IS_INT(index_parse("{\"schemaVersion\": 2, \"manifests\": [{\"size\": 1, \"digest\": \"" H1
                               "\", \"platform\": {\"os\": \"linux\"}}]}", 95, NULL, &list), -EBADMSG,
                   "platform without architecture");
}

static void test_host(void) {
        char path[] = "/tmp/test-manifest-cpuinfo.XXXXXX";
        Platform p = {};
        FILE *f;
        int fd;

        TAP_IS_STR(platform_architecture_from_machine("x86_64"), "amd64", "x86_64");
        TAP_IS_STR(platform_architecture_from_machine("aarch64"), "arm64", "aarch64");
        TAP_IS_STR(platform_architecture_from_machine("armv7l"), "arm", "armv7l");
        TAP_IS_STR(platform_architecture_from_machine("i686"), "386", "i686");
        TAP_IS_STR(platform_architecture_from_machine("s390x"), "s390x", "s390x");

        fd = mkstemp(path);
        f = fdopen(fd, "w");
        fputs("processor\t: 0\nCPU architecture: 7\n", f);
        fclose(f);
        TAP_IS_INT(platform_host(path, &p), 0, "host platform");
        TAP_IS_STR(p.os, "linux", "host os");
        TAP_OK(p.architecture && *p.architecture, "host architecture %s", p.architecture);
        platform_done(&p);
        unlink(path);

        for (ManifestKind k = 0; k < _MANIFEST_KIND_MAX; k++)
                TAP_IS_INT(manifest_kind_from_string(manifest_kind_to_string(k)), k, "kind table %d", k);
}

int main(void) {
        test_manifest();
        test_index();
        test_host();
        return tap_done();
}
