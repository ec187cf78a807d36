/* SPDX-License-Identifier: Apache-2.0 */

/* Test helper: pulls one image's manifest and blobs with the registry client on an sd-event loop.
 *
 *   registry-fetch [--insecure] [--user USER:PASS] [--timeout SEC] [--retries N] [--platform OS/ARCH[/VAR]]
 *                  [--slow] [--pause] [--out DIR] HOST[:PORT]/REPO[:TAG|@DIGEST]
 *
 * Prints "manifest <media type> <digest> <size>", "chose <digest>" for an index, "blob <digest> <size>"
 * for each verified blob, "progress <digest>" once a blob is under way, and finally "ok", or
 * "error <errno name> <message>" with exit status 1. */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-event.h>
#include <unistd.h>

#include "manifest.h"
#include "reference.h"
#include "registry-client.h"

typedef struct Fetch {
        sd_event *event;
        RegistryClient *client;
        RegistryTarget target;
        RegistryCredentials credentials;
        Platform platform;
        const char *out_dir;
        bool slow;
        bool pause;                     /* refuse every other piece (-EAGAIN), resume from a timer */
        unsigned n_pieces;
        RegistryRequest *blob_request;
        sd_event_source *resume_source;
        Manifest *manifest;
        size_t next_blob;       /* 0 = config, then layers */
        int blob_fd;
        bool progress_shown;
        const char *blob_digest;
        int error;
} Fetch;

static void fail(Fetch *f, int error, const char *message) {
        printf("error %s %s\n", strerrorname_np(-error) ?: "?", message ?: "");
        fflush(stdout);
        f->error = error;
        (void) sd_event_exit(f->event, 1);
}

static void fetch_next_blob(Fetch *f);

static int on_resume(sd_event_source *s, uint64_t usec, void *userdata) {
        Fetch *f = userdata;

        f->resume_source = sd_event_source_disable_unref(f->resume_source);
        registry_request_resume(f->blob_request);
        return 0;
}

static int on_blob_data(const void *data, size_t size, void *userdata) {
        Fetch *f = userdata;

        if (f->pause && f->n_pieces++ % 2 == 0) {
                if (!f->resume_source &&
                    sd_event_add_time_relative(f->event, &f->resume_source, CLOCK_MONOTONIC, 1000, 1, on_resume,
                                               f) < 0)
                        return -ENOMEM;
                return -EAGAIN;
        }

        if (!f->progress_shown) {
                printf("progress %s\n", f->blob_digest);
                fflush(stdout);
                f->progress_shown = true;
        }
        if (f->slow)
                usleep(2000);
        if (f->blob_fd >= 0 && write(f->blob_fd, data, size) != (ssize_t) size)
                return -errno;
        return 0;
}

static void on_blob_done(RegistryRequest *r, int error, void *userdata) {
        Fetch *f = userdata;
        const Descriptor *d = f->next_blob == 0 ? &f->manifest->config : &f->manifest->layers[f->next_blob - 1];

        f->blob_fd = safe_close(f->blob_fd);
        f->blob_request = NULL;
        f->resume_source = sd_event_source_disable_unref(f->resume_source);
        if (error < 0)
                return fail(f, error, registry_request_error_message(r));
        printf("blob %s %" PRIu64 "\n", d->digest, registry_request_bytes(r));
        fflush(stdout);
        f->next_blob++;
        fetch_next_blob(f);
}

static void fetch_next_blob(Fetch *f) {
        const Descriptor *d;
        int k;

        if (f->next_blob > f->manifest->n_layers) {
                printf("ok\n");
                fflush(stdout);
                (void) sd_event_exit(f->event, 0);
                return;
        }
        d = f->next_blob == 0 ? &f->manifest->config : &f->manifest->layers[f->next_blob - 1];
        if (f->out_dir) {
                _cleanup_free_ char *path = NULL;
                if (asprintf(&path, "%s/%s", f->out_dir, strchr(d->digest, ':') + 1) < 0)
                        return fail(f, -ENOMEM, "oom");
                f->blob_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                if (f->blob_fd < 0)
                        return fail(f, -errno, path);
        }
        f->progress_shown = false;
        f->blob_digest = d->digest;
        k = registry_client_get_blob(f->client, &f->target, d->digest, d->size, on_blob_data, on_blob_done, f,
                                     &f->blob_request);
        if (k < 0)
                fail(f, k, "cannot start blob request");
}

static void on_manifest(RegistryRequest *r, int error, const RegistryManifestReply *reply, void *userdata) {
        Fetch *f = userdata;
        ManifestKind kind;
        _cleanup_free_ char *type = NULL;
        int k;

        if (error < 0)
                return fail(f, error, registry_request_error_message(r));
        k = manifest_detect(reply->body, reply->size, reply->content_type, &kind, &type);
        if (k < 0)
                return fail(f, k, "cannot parse manifest");
        printf("manifest %s %s %zu\n", type, reply->digest, reply->size);
        fflush(stdout);

        if (kind == MANIFEST_KIND_INDEX) {
                _cleanup_(index_freep) Index *idx = NULL;
                Platform *wanted = NULL;
                const IndexEntry *e;
                size_t n = 0;

                k = index_parse(reply->body, reply->size, reply->content_type, &idx);
                if (k < 0)
                        return fail(f, k, "cannot parse index");
                k = platform_wanted(f->platform.os, f->platform.architecture, f->platform.variant, &wanted, &n);
                if (k < 0)
                        return fail(f, k, "oom");
                e = index_choose(idx, wanted, n);
                platform_array_free(wanted, n);
                if (!e)
                        return fail(f, -ENOENT, "no image for this platform");
                printf("chose %s\n", e->descriptor.digest);
                fflush(stdout);
                k = registry_client_get_manifest(f->client, &f->target, e->descriptor.digest, on_manifest, f, NULL);
                if (k < 0)
                        fail(f, k, "cannot start manifest request");
                return;
        }

        k = manifest_parse(reply->body, reply->size, reply->content_type, &f->manifest);
        if (k < 0)
                return fail(f, k, "cannot parse manifest");
        fetch_next_blob(f);
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "insecure", no_argument, NULL, 'k' },
                { "user", required_argument, NULL, 'u' },
                { "timeout", required_argument, NULL, 't' },
                { "retries", required_argument, NULL, 'r' },
                { "platform", required_argument, NULL, 'p' },
                { "slow", no_argument, NULL, 's' },
                { "pause", no_argument, NULL, 'P' },
                { "out", required_argument, NULL, 'o' },
                {}
        };
        _cleanup_(reference_freep) Reference *ref = NULL;
        _cleanup_free_ char *platform_arg = NULL;
        Fetch f = { .blob_fd = -EBADF };
        unsigned timeout = 30, retries = 3;
        const char *why = NULL;
        int c, k, ret;

        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 'k':
                        f.target.insecure = true;
                        break;
                case 'u': {
                        char *colon = strchr(optarg, ':');
                        if (!colon)
                                return 2;
                        f.credentials.username = strndup(optarg, colon - optarg);
                        f.credentials.password = strdup(colon + 1);
                        break;
                }
                case 't':
                        timeout = (unsigned) atoi(optarg);
                        break;
                case 'r':
                        retries = (unsigned) atoi(optarg);
                        break;
                case 'p':
                        platform_arg = strdup(optarg);
                        break;
                case 's':
                        f.slow = true;
                        break;
                case 'P':
                        f.pause = true;
                        break;
                case 'o':
                        f.out_dir = optarg;
                        break;
                default:
                        return 2;
                }
        if (optind + 1 != argc)
                return 2;

        k = reference_parse_qualified(argv[optind], &ref, &why);
        if (k < 0) {
                printf("error EINVAL %s\n", why);
                return 1;
        }
        if (platform_arg) {
                char *arch = strchr(platform_arg, '/'), *variant;
                if (!arch)
                        return 2;
                *arch++ = '\0';
                variant = strchr(arch, '/');
                if (variant)
                        *variant++ = '\0';
                f.platform.os = strdup(platform_arg);
                f.platform.architecture = strdup(arch);
                f.platform.variant = variant ? strdup(variant) : NULL;
        } else if (platform_host(NULL, &f.platform) < 0)
                return 1;

        f.target.domain = ref->domain;
        f.target.path = ref->path;
        if (f.credentials.username)
                f.target.credentials = &f.credentials;

        if (sd_event_default(&f.event) < 0 || registry_client_new(f.event, &f.client) < 0)
                return 1;
        registry_client_set_progress_timeout(f.client, (uint64_t) timeout * 1000000U);
        registry_client_set_retries(f.client, retries, 200 * 1000);

        k = registry_client_get_manifest(f.client, &f.target, reference_manifest_reference(ref), on_manifest, &f, NULL);
        if (k < 0) {
                printf("error %s cannot start\n", strerrorname_np(-k));
                return 1;
        }
        ret = sd_event_loop(f.event);

        sd_event_source_disable_unref(f.resume_source);
        registry_client_free(f.client);
        sd_event_unref(f.event);
        manifest_free(f.manifest);
        platform_done(&f.platform);
        safe_close(f.blob_fd);
        free(f.credentials.username);
        free(f.credentials.password);
        return ret == 0 && f.error == 0 ? 0 : 1;
}
