/* SPDX-License-Identifier: Apache-2.0 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "manifest.h"
#include "registry-util.h"

static const char *const manifest_kind_table[_MANIFEST_KIND_MAX] = {
        [MANIFEST_KIND_IMAGE] = "image",
        [MANIFEST_KIND_INDEX] = "index",
};

const char *manifest_kind_to_string(ManifestKind k) {
        if (k < 0 || k >= _MANIFEST_KIND_MAX)
                return NULL;
        return manifest_kind_table[k];
}

ManifestKind manifest_kind_from_string(const char *s) {
        if (!s)
                return _MANIFEST_KIND_INVALID;
        for (ManifestKind k = 0; k < _MANIFEST_KIND_MAX; k++)
                if (streq(manifest_kind_table[k], s))
                        return k;
        return _MANIFEST_KIND_INVALID;
}

void descriptor_done(Descriptor *d) {
        d->media_type = mfree(d->media_type);
        d->digest = mfree(d->digest);
        d->size = 0;
}

void platform_done(Platform *p) {
        p->os = mfree(p->os);
        p->architecture = mfree(p->architecture);
        p->variant = mfree(p->variant);
}

Manifest *manifest_free(Manifest *m) {
        if (!m)
                return NULL;
        free(m->media_type);
        descriptor_done(&m->config);
        for (size_t i = 0; i < m->n_layers; i++)
                descriptor_done(&m->layers[i]);
        free(m->layers);
        return mfree(m);
}

Index *index_free(Index *i) {
        if (!i)
                return NULL;
        free(i->media_type);
        for (size_t k = 0; k < i->n_manifests; k++) {
                descriptor_done(&i->manifests[k].descriptor);
                platform_done(&i->manifests[k].platform);
        }
        free(i->manifests);
        return mfree(i);
}

void platform_array_free(Platform *a, size_t n) {
        for (size_t i = 0; i < n; i++)
                platform_done(&a[i]);
        free(a);
}

static const struct {
        const char *architecture;
        const char *const *variants;    /* most capable first */
        const char *base_variant;       /* one every machine of the architecture supports */
} variant_table[] = {
        { "arm", (const char *const[]) { "v7", "v6", "v5", NULL }, NULL },
        { "arm64", (const char *const[]) { "v8", NULL }, "v8" },
};

static int platform_add(Platform **a, size_t *n, const char *os, const char *arch, const char *variant) {
        Platform *p = reallocarray(*a, *n + 1, sizeof(Platform));

        if (!p)
                return -ENOMEM;
        *a = p;
        p = &p[(*n)++];
        *p = (Platform) {
                .os = strdup(os),
                .architecture = strdup(arch),
                .variant = variant ? strdup(variant) : NULL,
        };
        if (!p->os || !p->architecture || (variant && !p->variant))
                return -ENOMEM;
        return 0;
}

int platform_wanted(const char *os, const char *architecture, const char *variant, Platform **ret, size_t *ret_n) {
        const char *const *order = NULL, *base = NULL;
        Platform *list = NULL;
        size_t n = 0;
        int r = 0;

        if (variant && !*variant)
                variant = NULL;
        for (size_t i = 0; i < ELEMENTSOF(variant_table); i++)
                if (streq(variant_table[i].architecture, architecture)) {
                        order = variant_table[i].variants;
                        base = variant_table[i].base_variant;
                }

        if (variant) {
                const char *const *from = NULL;

                for (const char *const *v = order; v && *v; v++)
                        if (streq(*v, variant)) {
                                from = v;
                                break;
                        }
                if (from)
                        for (; *from && r >= 0; from++)
                                r = platform_add(&list, &n, os, architecture, *from);
                else
                        r = platform_add(&list, &n, os, architecture, variant);
                if (r >= 0)
                        r = platform_add(&list, &n, os, architecture, NULL);
        } else {
                r = platform_add(&list, &n, os, architecture, NULL);
                if (r >= 0 && base)
                        r = platform_add(&list, &n, os, architecture, base);
        }
        if (r < 0) {
                platform_array_free(list, n);
                return r;
        }
        *ret = list;
        *ret_n = n;
        return 0;
}

const char *platform_architecture_from_machine(const char *machine) {
        static const struct {
                const char *machine, *architecture;
        } table[] = {
                { "x86_64", "amd64" },
                { "aarch64", "arm64" },
                { "arm64", "arm64" },
                { "i386", "386" },
                { "i486", "386" },
                { "i586", "386" },
                { "i686", "386" },
                { "ppc64le", "ppc64le" },
                { "ppc64", "ppc64" },
                { "s390x", "s390x" },
                { "riscv64", "riscv64" },
                { "mips64", "mips64" },
                { "loongarch64", "loong64" },
        };

        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (streq(table[i].machine, machine))
                        return table[i].architecture;
        if (startswith(machine, "arm"))
                return "arm";
        return machine;
}

/* The "CPU architecture" line of /proc/cpuinfo in variant form, as containers/image reads it. */
static const char *arm_variant_from_cpuinfo(const char *path) {
        static const struct {
                const char *value, *variant;
        } table[] = {
                { "8", "v8" }, { "aarch64", "v8" },
                { "7", "v7" }, { "7m", "v7" }, { "?(12)", "v7" }, { "?(13)", "v7" }, { "?(14)", "v7" },
                { "?(15)", "v7" }, { "?(16)", "v7" }, { "?(17)", "v7" },
                { "6", "v6" }, { "6tej", "v6" },
                { "5", "v5" }, { "5t", "v5" }, { "5te", "v5" }, { "5tej", "v5" },
                { "4", "v4" }, { "4t", "v4" },
                { "3", "v3" },
        };
        _cleanup_free_ char *line = NULL;
        const char *variant = NULL;
        size_t size = 0;
        FILE *f;

        f = fopen(path, "re");
        if (!f)
                return NULL;
        while (getline(&line, &size, f) > 0) {
                char *colon = strchr(line, ':'), *key = line, *value, *end;

                if (!colon)
                        continue;
                *colon = '\0';
                while (*key == ' ' || *key == '\t')
                        key++;
                for (end = colon; end > key && (end[-1] == ' ' || end[-1] == '\t'); end--)
                        end[-1] = '\0';
                if (strcasecmp(key, "CPU architecture") != 0)
                        continue;
                value = colon + 1;
                value += strspn(value, " \t");
                value[strcspn(value, " \t\n")] = '\0';
                for (size_t i = 0; i < ELEMENTSOF(table); i++)
                        if (strcasecmp(table[i].value, value) == 0)
                                variant = table[i].variant;
                break;
        }
        fclose(f);
        return variant;
}

int platform_host(const char *cpuinfo, Platform *ret) {
        struct utsname u;
        const char *arch, *variant = NULL;
        Platform p = {};

        if (uname(&u) < 0)
                return -errno;
        arch = platform_architecture_from_machine(u.machine);
        if (streq(arch, "arm") || streq(arch, "arm64"))
                variant = arm_variant_from_cpuinfo(cpuinfo ?: "/proc/cpuinfo");

        p.os = strdup("linux");
        p.architecture = strdup(arch);
        p.variant = variant ? strdup(variant) : NULL;
        if (!p.os || !p.architecture || (variant && !p.variant)) {
                platform_done(&p);
                return -ENOMEM;
        }
        *ret = p;
        return 0;
}

const IndexEntry *index_choose(const Index *index, const Platform *wanted, size_t n_wanted) {
        for (size_t w = 0; w < n_wanted; w++)
                for (size_t i = 0; i < index->n_manifests; i++) {
                        const IndexEntry *e = &index->manifests[i];

                        if (!e->has_platform)
                                continue;
                        if (streq_ptr(e->platform.os, wanted[w].os) &&
                            streq_ptr(e->platform.architecture, wanted[w].architecture) &&
                            streq_ptr(e->platform.variant, wanted[w].variant))
                                return e;
                }
        return NULL;
}
