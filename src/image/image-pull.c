/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <inttypes.h>
#include <malloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "archive-library.h"
#include "curl-library.h"
#include "digest.h"
#include "image-fs.h"
#include "image-json.h"
#include "image-pull.h"
#include "strv.h"
#include "log.h"
#include "manifest.h"
#include "registry-client.h"

typedef struct ImagePull ImagePull;
typedef struct BlobFetch BlobFetch;
typedef struct LayerSlot LayerSlot;

/* What a pull needs loaded, held from its start to its end (see dlopen-util.h). */
static DlLibrary *const pull_libraries[] = { &curl_library, &archive_library };

struct ImagePuller {
        sd_event *event;
        ImageStore *store;
        RegistryClient *client;

        char *registries_conf;
        char *registries_conf_dir;
        char *global_auth_file;
        char **insecure_registries;
        unsigned max_concurrent_blobs;
        uint64_t progress_interval_usec;
        /* The last registries.conf read: lookups use it, every pull reads the files again. */
        RegistriesConf *conf;

        ImagePull *pulls;
        BlobFetch *fetches;
        unsigned n_downloading;

        /* Armed when the last pull ends: then libcurl and libarchive are unloaded. */
        sd_event_source *unload_source;
        uint64_t unload_delay_usec;
};

struct ImagePullWaiter {
        ImagePull *pull;
        image_pull_done_t done;
        void *userdata;
        ImagePullWaiter *next;
};

/* One layer of a pull: waiting for a fetch, or held in the store. */
struct LayerSlot {
        ImagePull *pull;
        BlobFetch *fetch;
        ImageLayer *layer;
        LayerSlot *fetch_next;
};

struct ImagePull {
        ImagePuller *puller;
        size_t n_libraries_held;        /* of pull_libraries, in order */
        char *key;
        char *image;
        RegistryCredentials *request_credentials;
        ImagePullWaiter *waiters;
        ImagePull *next, *prev;

        Reference **candidates;
        size_t n_candidates, candidate;
        PullSource *sources;
        size_t n_sources, source;
        bool sources_loaded_for_candidate;
        int last_error;                         /* of the last source tried */
        RegistryCredentials *credentials;       /* for the current source */
        char *errors;                           /* why earlier sources failed */

        RegistryRequest *request;
        char *index_body, *index_digest;
        size_t index_size;
        char *manifest_body, *manifest_digest;
        size_t manifest_size;
        Manifest *manifest;
        char *config_body;
        size_t config_size;
        ImageConfig config;

        LayerSlot *slots;
        size_t n_slots, n_ready;
        uint64_t bytes_total;
        sd_event_source *progress_source;

        /* Outcomes are acted on from a defer source, never inside a fetch's fan-out. */
        sd_event_source *finish_source;
        bool finishing;
        int error;
        char *error_message;
};

/* One layer blob, streamed from the registry into the unpacking thread through a pipe: the loop
 * writes what curl hands it without blocking (keeping the rest and pausing the transfer when the
 * pipe is full), the thread reads, hashes the compressed bytes (digest and size), inflates, hashes
 * the tar stream (diff id) and writes the files, all in one pass. The compressed blob itself is never
 * kept, as containers/storage keeps only the unpacked layer. */
struct BlobFetch {
        ImagePuller *puller;
        char *digest;
        uint64_t size;
        char *diff_id;
        char *domain, *path;
        bool insecure;
        RegistryCredentials *credentials;
        LayerSlot *subscribers;
        BlobFetch *next, *prev;

        bool queued;
        RegistryRequest *request;
        bool downloaded;
        uint64_t bytes;

        int pipe_write_fd;              /* O_NONBLOCK; closed at the end of the blob */
        int pipe_read_fd;               /* the thread's; closed after it is joined */
        sd_event_source *pipe_source;   /* EPOLLOUT while bytes wait in pending */
        uint8_t *pending;
        size_t n_pending, pending_offset, pending_alloc;

        bool thread_running;
        pthread_t thread;
        int event_fd;
        sd_event_source *event_source;
        ImageLayerUnpacked *unpacked;
        int unpack_error;
};

#define LIST_REMOVE(head, item)                                         \
        do {                                                            \
                if ((item)->next)                                       \
                        (item)->next->prev = (item)->prev;              \
                if ((item)->prev)                                       \
                        (item)->prev->next = (item)->next;              \
                else if ((head) == (item))                              \
                        (head) = (item)->next;                          \
                (item)->next = (item)->prev = NULL;                     \
        } while (0)

#define LIST_PREPEND(head, item)                                        \
        do {                                                            \
                (item)->prev = NULL;                                    \
                (item)->next = (head);                                  \
                if (head)                                               \
                        (head)->prev = (item);                          \
                (head) = (item);                                        \
        } while (0)

#define streq(a, b) (strcmp((a), (b)) == 0)

static inline const char *strnull(const char *s) {
        return s ?: "(null)";
}

static char *memdup_suffix0(const void *p, size_t n) {
        char *c = malloc(n + 1);

        if (!c)
                return NULL;
        memcpy(c, p, n);
        c[n] = '\0';
        return c;
}


static void pull_fail(ImagePull *pull, int error, const char *format, ...) _printf_(3, 4);
static void pull_try_next_source(ImagePull *pull);
static void pull_complete(ImagePull *pull);
static void fetch_start_queued(ImagePuller *p);

/* Pure helpers. */

int image_pull_key(const char *image, char **ret) {
        _cleanup_(reference_freep) Reference *ref = NULL;
        char *s;
        int r;

        r = reference_parse(image, &ref, NULL);
        if (r < 0)
                return r;
        if (reference_is_short_name(ref)) {
                /* Resolution depends on registries.conf: key by what was written, marked apart. */
                if (asprintf(&s, "?%s", image) < 0)
                        return -ENOMEM;
                *ret = s;
                return 0;
        }
        if (ref->digest)
                ref->tag = mfree(ref->tag);
        r = reference_default_tag(ref);
        if (r < 0)
                return r;
        s = reference_to_string(ref);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

bool registry_domain_is_loopback(const char *domain) {
        size_t n;

        if (!domain)
                return false;
        if (domain[0] == '[')
                return strncmp(domain, "[::1]", 5) == 0 && IN_SET(domain[5], '\0', ':');
        n = strcspn(domain, ":");
        if (n == 9 && strncmp(domain, "localhost", 9) == 0)
                return true;
        if (n < 4 || strncmp(domain, "127.", 4) != 0)
                return false;
        for (size_t i = 4; i < n; i++)
                if (!IN_SET(domain[i], '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '.'))
                        return false;
        return true;
}

bool registry_domain_is_insecure(const char *domain, char *const *insecure) {
        if (registry_domain_is_loopback(domain))
                return true;
        for (char *const *i = insecure; i && *i; i++) {
                size_t n = strlen(*i);

                while (n > 0 && (*i)[n - 1] == '/')
                        n--;
                if (n > 0 && strncmp(*i, domain, n) == 0 && domain[n] == '\0')
                        return true;
        }
        return false;
}

bool image_pinned_pattern_match(const char *pattern, const char *name) {
        size_t pn, nn;

        if (!pattern || !name || !*pattern)
                return false;
        pn = strlen(pattern);
        nn = strlen(name);
        if (streq(pattern, "*"))
                return true;
        if (pattern[0] == '*')
                return nn >= pn - 1 && streq(name + nn - (pn - 1), pattern + 1);
        if (pattern[pn - 1] == '*')
                return strncmp(name, pattern, pn - 1) == 0;
        return streq(pattern, name);
}

bool image_record_matches_pinned(const ImageRecord *r, char *const *patterns, const char *pause_image) {
        _cleanup_free_ char *pause = NULL;

        if (pause_image && *pause_image && image_pull_key(pause_image, &pause) >= 0 && pause[0] != '?' &&
            image_record_has_name(r, pause))
                return true;
        for (char *const *p = patterns; p && *p; p++)
                for (char **n = r->names; n && *n; n++)
                        if (image_pinned_pattern_match(*p, *n))
                                return true;
        return false;
}

void image_user_split(const char *user, bool *ret_has_uid, int64_t *ret_uid, const char **ret_username,
                      size_t *ret_username_len) {
        size_t n = user ? strcspn(user, ":") : 0;
        int64_t uid = 0;
        bool numeric = n > 0 && n <= 18;

        for (size_t i = 0; numeric && i < n; i++) {
                if (user[i] < '0' || user[i] > '9')
                        numeric = false;
                else
                        uid = uid * 10 + (user[i] - '0');
        }
        *ret_has_uid = numeric;
        *ret_uid = numeric ? uid : 0;
        *ret_username = numeric || n == 0 ? NULL : user;
        *ret_username_len = numeric ? 0 : n;
}

/* The puller. */

int image_puller_new(sd_event *event, ImageStore *store, const ImagePullerSettings *settings, ImagePuller **ret) {
        _cleanup_(image_puller_freep) ImagePuller *p = NULL;
        int r;

        p = calloc(1, sizeof(ImagePuller));
        if (!p)
                return -ENOMEM;
        p->event = sd_event_ref(event);
        p->store = store;
        p->max_concurrent_blobs = settings->max_concurrent_blobs ?: IMAGE_PULL_MAX_CONCURRENT_BLOBS_DEFAULT;
        p->progress_interval_usec = settings->progress_interval_usec ?: IMAGE_PULL_PROGRESS_INTERVAL_USEC;
        p->unload_delay_usec = settings->unload_delay_usec ?: IMAGE_PULL_UNLOAD_DELAY_USEC;

        if (!(p->registries_conf = strdup(settings->registries_conf ?: REGISTRIES_CONF_PATH)))
                return -ENOMEM;
        /* "" means no drop-in directory at all. */
        if (!settings->registries_conf_dir || *settings->registries_conf_dir) {
                p->registries_conf_dir = strdup(settings->registries_conf_dir ?: REGISTRIES_CONF_DROPIN_DIR);
                if (!p->registries_conf_dir)
                        return -ENOMEM;
        }
        if (settings->global_auth_file && *settings->global_auth_file &&
            !(p->global_auth_file = strdup(settings->global_auth_file)))
                return -ENOMEM;
        r = strv_copy(settings->insecure_registries, &p->insecure_registries);
        if (r < 0)
                return r;

        r = registry_client_new(event, &p->client);
        if (r < 0)
                return r;
        /* As CRI-O's pull_progress_timeout: 0 turns the check off, else progress is logged every
         * tenth of it. Unlike CRI-O, progress is still logged (every IMAGE_PULL_PROGRESS_INTERVAL_USEC)
         * without a timeout. */
        registry_client_set_progress_timeout(p->client, settings->progress_timeout_usec);
        if (!settings->progress_interval_usec && settings->progress_timeout_usec > 0)
                p->progress_interval_usec = MAX(settings->progress_timeout_usec / 10, (uint64_t) 1000000U);

        *ret = TAKE_PTR(p);
        return 0;
}

size_t image_puller_n_pulls(const ImagePuller *p) {
        size_t n = 0;

        for (ImagePull *i = p->pulls; i; i = i->next)
                n++;
        return n;
}

size_t image_puller_n_fetches(const ImagePuller *p) {
        size_t n = 0;

        for (BlobFetch *i = p->fetches; i; i = i->next)
                n++;
        return n;
}

/* (Re)reads registries.conf; a broken file keeps the last good one. */
static int puller_load_registries(ImagePuller *p, char **ret_error) {
        _cleanup_(registries_conf_freep) RegistriesConf *c = NULL;
        int r;

        r = registries_conf_load(p->registries_conf, p->registries_conf_dir, &c, ret_error);
        if (r < 0) {
                if (p->conf)
                        return 0;
                return r;
        }
        registries_conf_free(p->conf);
        p->conf = TAKE_PTR(c);
        return 0;
}

/* Blob fetches. */

static void puller_schedule_unload(ImagePuller *p);

static void fetch_free(BlobFetch *f) {
        ImagePuller *p;

        if (!f)
                return;
        p = f->puller;
        if (f->request) {
                registry_request_cancel(f->request);
                p->n_downloading--;
        }
        /* End of input for the thread: it stops at the next read, and at most a pipe's worth of
         * bytes is left to it. */
        f->pipe_source = sd_event_source_disable_unref(f->pipe_source);
        f->pipe_write_fd = safe_close(f->pipe_write_fd);
        if (f->thread_running) {
                (void) pthread_join(f->thread, NULL);
                f->thread_running = false;
        }
        LIST_REMOVE(p->fetches, f);
        sd_event_source_disable_unref(f->event_source);
        safe_close(f->event_fd);
        safe_close(f->pipe_read_fd);
        free(f->pending);
        image_layer_unpacked_free(f->unpacked);
        registry_credentials_free(f->credentials);
        free(f->digest);
        free(f->diff_id);
        free(f->domain);
        free(f->path);
        free(f);
        puller_schedule_unload(p);
}

static void slot_ready(LayerSlot *slot, int error, const char *message);

/* Hands the outcome to every subscriber and frees the fetch. */
static void fetch_finish(BlobFetch *f, int error, ImageLayer *layer, const char *message) {
        ImagePuller *p = f->puller;
        LayerSlot *subscribers = TAKE_PTR(f->subscribers);

        fetch_free(f);
        while (subscribers) {
                LayerSlot *s = subscribers;

                subscribers = s->fetch_next;
                s->fetch = NULL;
                s->fetch_next = NULL;
                if (error >= 0 && image_store_hold_layer(p->store, layer->diff_id, &s->layer) < 0)
                        error = -ENOENT;
                slot_ready(s, error, message);
        }
        if (layer)
                image_store_release_layer(p->store, layer);   /* the hold of the commit */
}

static void fetch_unsubscribe(LayerSlot *slot) {
        BlobFetch *f = slot->fetch;

        if (!f)
                return;
        for (LayerSlot **i = &f->subscribers; *i; i = &(*i)->fetch_next)
                if (*i == slot) {
                        *i = slot->fetch_next;
                        break;
                }
        slot->fetch = NULL;
        slot->fetch_next = NULL;
        if (!f->subscribers) {
                ImagePuller *p = f->puller;

                fetch_free(f);
                fetch_start_queued(p);
        }
}

static void *unpack_thread(void *userdata) {
        BlobFetch *f = userdata;
        ImageLayerAddOptions options = {
                .compressed_digest = f->digest,
                .compressed_size = f->size == UINT64_MAX ? -1 : (int64_t) f->size,
                .expected_diff_id = f->diff_id,
        };
        uint64_t one = 1;

        f->unpack_error = image_store_unpack_layer(f->puller->store, f->pipe_read_fd, &options, &f->unpacked);
        (void) write(f->event_fd, &one, sizeof(one));
        return NULL;
}

static int on_unpacked(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        BlobFetch *f = userdata;
        _cleanup_free_ char *message = NULL;
        ImageLayer *layer = NULL;
        int r;

        (void) pthread_join(f->thread, NULL);
        f->thread_running = false;
        f->event_source = sd_event_source_disable_unref(f->event_source);

        r = f->unpack_error;
        /* The thread only sees the end of its input once the download succeeded; anything else
         * is a broken stream, whatever it made of it. */
        if (r >= 0 && !f->downloaded)
                r = -EIO;
        if (r >= 0)
                r = image_store_commit_layer(f->puller->store, f->unpacked, &layer);
        if (r < 0) {
                if (IN_SET(r, -EBADMSG, -ENODATA))
                        (void) asprintf(&message, "layer %s does not match its digest, size or diff id %s",
                                        f->digest, f->diff_id);
                else
                        (void) asprintf(&message, "unpacking layer %s: %s", f->digest, strerror(-r));
                log_debug("Pull of blob %s failed: %s", f->digest, strnull(message));
                fetch_finish(f, r, NULL, message);
                return 0;
        }
        fetch_finish(f, 0, layer, NULL);
        return 0;
}

/* Hands pending bytes to the pipe; true when none are left. */
static int fetch_flush(BlobFetch *f) {
        while (f->n_pending > 0) {
                ssize_t n = write(f->pipe_write_fd, f->pending + f->pending_offset, f->n_pending);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                return 0;
                        return -errno;
                }
                f->pending_offset += (size_t) n;
                f->n_pending -= (size_t) n;
        }
        f->pending_offset = 0;
        return 1;
}

static void fetch_fail(BlobFetch *f, int error, const char *what);

static int on_pipe_writable(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        BlobFetch *f = userdata;
        int r;

        r = fetch_flush(f);
        if (r < 0) {
                fetch_fail(f, r, "streaming");
                return 0;
        }
        if (r == 0)
                return 0;
        (void) sd_event_source_set_enabled(s, SD_EVENT_OFF);
        if (f->downloaded)
                f->pipe_write_fd = safe_close(f->pipe_write_fd);        /* end of the blob */
        else
                registry_request_resume(f->request);
        return 0;
}

static int fetch_write(const void *data, size_t size, void *userdata) {
        BlobFetch *f = userdata;
        ssize_t n;
        int r;

        /* Back-pressure: curl keeps the bytes and the transfer waits until the pipe drains. */
        if (f->n_pending > 0)
                return -EAGAIN;

        do
                n = write(f->pipe_write_fd, data, size);
        while (n < 0 && errno == EINTR);
        if (n < 0) {
                if (errno != EAGAIN)
                        return -errno;
                n = 0;
        }
        if ((size_t) n < size) {
                size_t rest = size - (size_t) n;

                if (rest > f->pending_alloc) {
                        uint8_t *b = realloc(f->pending, rest);
                        if (!b)
                                return -ENOMEM;
                        f->pending = b;
                        f->pending_alloc = rest;
                }
                memcpy(f->pending, (const uint8_t *) data + n, rest);
                f->n_pending = rest;
                f->pending_offset = 0;
                r = sd_event_source_set_enabled(f->pipe_source, SD_EVENT_ON);
                if (r < 0)
                        return r;
        }
        f->bytes += size;
        return 0;
}

static void fetch_fail(BlobFetch *f, int error, const char *what) {
        const char *why = f->request ? registry_request_error_message(f->request) : NULL;
        _cleanup_free_ char *message = NULL;

        (void) asprintf(&message, "%s blob %s from %s/%s: %s", what, f->digest, f->domain, f->path,
                        why ?: strerror(-error));
        log_debug("%s", strnull(message));
        fetch_finish(f, error, NULL, message);
}

static void fetch_done(RegistryRequest *req, int error, void *userdata) {
        BlobFetch *f = userdata;
        ImagePuller *p = f->puller;
        _cleanup_free_ char *message = NULL;

        f->request = NULL;
        p->n_downloading--;

        if (error < 0) {
                const char *why = registry_request_error_message(req);

                (void) asprintf(&message, "fetching blob %s from %s/%s: %s", f->digest, f->domain, f->path,
                                why ?: strerror(-error));
                log_debug("%s", strnull(message));
                fetch_finish(f, error, NULL, message);
                fetch_start_queued(p);
                return;
        }

        /* All bytes are in; the thread finishes (and reports) once it has read them. */
        f->downloaded = true;
        if (f->n_pending == 0)
                f->pipe_write_fd = safe_close(f->pipe_write_fd);
        fetch_start_queued(p);
}

static int fetch_begin(BlobFetch *f) {
        ImagePuller *p = f->puller;
        RegistryTarget target = {
                .domain = f->domain,
                .path = f->path,
                .insecure = f->insecure,
                .credentials = f->credentials,
        };
        int fds[2], r;

        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        f->pipe_read_fd = fds[0];
        f->pipe_write_fd = fds[1];
        /* A bigger pipe means fewer wake-ups on both sides; the default size works too. */
        (void) fcntl(f->pipe_write_fd, F_SETPIPE_SZ, IMAGE_PULL_PIPE_SIZE);
        if (fcntl(f->pipe_write_fd, F_SETFL, O_NONBLOCK) < 0)
                return -errno;
        r = sd_event_add_io(p->event, &f->pipe_source, f->pipe_write_fd, EPOLLOUT, on_pipe_writable, f);
        if (r < 0)
                return r;
        r = sd_event_source_set_enabled(f->pipe_source, SD_EVENT_OFF);
        if (r < 0)
                return r;

        f->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (f->event_fd < 0)
                return -errno;
        r = sd_event_add_io(p->event, &f->event_source, f->event_fd, EPOLLIN, on_unpacked, f);
        if (r < 0)
                return r;

        r = registry_client_get_blob(p->client, &target, f->digest, f->size, fetch_write, fetch_done, f,
                                     &f->request);
        if (r < 0)
                return r;
        /* The thread hashes the bytes as it inflates them: hashing them here too would double the work. */
        registry_request_set_caller_verifies(f->request);
        p->n_downloading++;

        r = -pthread_create(&f->thread, NULL, unpack_thread, f);
        if (r < 0)
                return r;
        f->thread_running = true;
        return 0;
}

static void fetch_start_queued(ImagePuller *p) {
        if (!p)
                return;
        for (BlobFetch *f = p->fetches, *next; f && p->n_downloading < p->max_concurrent_blobs; f = next) {
                _cleanup_free_ char *message = NULL;
                int r;

                next = f->next;
                if (!f->queued)
                        continue;
                f->queued = false;
                r = fetch_begin(f);
                if (r < 0) {
                        (void) asprintf(&message, "fetching blob %s from %s/%s: %s", f->digest, f->domain,
                                        f->path, strerror(-r));
                        fetch_finish(f, r, NULL, message);
                        /* The list may have changed under us: start over. */
                        fetch_start_queued(p);
                        return;
                }
        }
}

static BlobFetch *puller_find_fetch(ImagePuller *p, const char *digest) {
        for (BlobFetch *f = p->fetches; f; f = f->next)
                if (streq(f->digest, digest))
                        return f;
        return NULL;
}

static int fetch_new(ImagePull *pull, const Descriptor *d, const char *diff_id, BlobFetch **ret) {
        ImagePuller *p = pull->puller;
        const PullSource *src = &pull->sources[pull->source];
        BlobFetch *f;
        int r;

        f = calloc(1, sizeof(BlobFetch));
        if (!f)
                return -ENOMEM;
        f->puller = p;
        f->event_fd = f->pipe_read_fd = f->pipe_write_fd = -EBADF;
        f->size = d->size;
        f->insecure = src->insecure || registry_domain_is_insecure(src->reference->domain, p->insecure_registries);
        LIST_PREPEND(p->fetches, f);
        if (!(f->digest = strdup(d->digest)) || !(f->diff_id = strdup(diff_id)) ||
            !(f->domain = strdup(src->reference->domain)) || !(f->path = strdup(src->reference->path))) {
                fetch_free(f);
                return -ENOMEM;
        }
        if (pull->credentials) {
                r = registry_credentials_copy(pull->credentials, &f->credentials);
                if (r < 0) {
                        fetch_free(f);
                        return r;
                }
        }
        f->queued = true;
        *ret = f;
        return 0;
}

/* Pulls. */

static uint64_t pull_bytes_done(const ImagePull *pull) {
        uint64_t done = 0;

        for (size_t i = 0; i < pull->n_slots; i++) {
                const LayerSlot *s = &pull->slots[i];

                if (s->layer || (s->fetch && s->fetch->downloaded))
                        done += pull->manifest->layers[i].size;
                else if (s->fetch)
                        done += s->fetch->bytes;
        }
        return done;
}

static int on_progress(sd_event_source *s, uint64_t usec, void *userdata) {
        ImagePull *pull = userdata;
        char name[512], done[64], total[64];
        uint64_t d = pull_bytes_done(pull);

        (void) snprintf(name, sizeof(name), "IMAGE_NAME=%s", pull->image);
        (void) snprintf(done, sizeof(done), "IMAGE_PULL_BYTES_DONE=%" PRIu64, d);
        (void) snprintf(total, sizeof(total), "IMAGE_PULL_BYTES_TOTAL=%" PRIu64, pull->bytes_total);
        log_struct(LOG_INFO, FIELDS(name, done, total), "Pulling image %s: %" PRIu64 " of %" PRIu64 " bytes.",
                   pull->image, d, pull->bytes_total);
        (void) sd_event_source_set_time_relative(s, pull->puller->progress_interval_usec);
        (void) sd_event_source_set_enabled(s, SD_EVENT_ON);
        return 0;
}

/* Unloading the pull libraries once idle: the daemon's memory holds them only while it pulls. Each
 * stays loaded while another user (a store's own unpack) holds it. */
static void pull_libraries_unload_unused(void) {
        for (size_t i = 0; i < ELEMENTSOF(pull_libraries); i++)
                if (dl_library_unload_unused(pull_libraries[i]) > 0)
                        log_debug("No pull left: unloaded %s.", pull_libraries[i]->soname);
}

static void puller_unload_libraries(ImagePuller *p) {
        if (p->pulls || p->fetches || registry_client_close_transport(p->client) < 0)
                return;
        pull_libraries_unload_unused();
        /* What the libraries and the unpack threads' arenas held goes back to the kernel. */
        (void) malloc_trim(0);
}

static int on_unload_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        ImagePuller *p = userdata;

        p->unload_source = sd_event_source_disable_unref(p->unload_source);
        puller_unload_libraries(p);
        return 0;
}

static void puller_schedule_unload(ImagePuller *p) {
        int r;

        if (p->pulls || p->fetches || p->unload_source)
                return;
        r = sd_event_add_time_relative(p->event, &p->unload_source, CLOCK_MONOTONIC, p->unload_delay_usec,
                                       /* accuracy= */ 0, on_unload_timer, p);
        if (r < 0)
                return (void) log_debug_errno(r, "Failed to arm the unload timer, keeping the pull libraries: %m");
        (void) sd_event_source_set_description(p->unload_source, "image-pull-unload");
}

static void pull_free(ImagePull *pull) {
        ImagePuller *p;

        if (!pull)
                return;
        p = pull->puller;
        if (pull->request)
                registry_request_cancel(pull->request);
        for (size_t i = 0; i < pull->n_slots; i++) {
                fetch_unsubscribe(&pull->slots[i]);
                if (pull->slots[i].layer)
                        image_store_release_layer(p->store, pull->slots[i].layer);
        }
        free(pull->slots);
        while (pull->waiters) {
                ImagePullWaiter *w = pull->waiters;

                pull->waiters = w->next;
                free(w);
        }
        LIST_REMOVE(p->pulls, pull);
        sd_event_source_disable_unref(pull->progress_source);
        reference_array_free(pull->candidates, pull->n_candidates);
        pull_source_array_free(pull->sources, pull->n_sources);
        registry_credentials_free(pull->credentials);
        registry_credentials_free(pull->request_credentials);
        sd_event_source_disable_unref(pull->finish_source);
        free(pull->error_message);
        free(pull->errors);
        free(pull->index_body);
        free(pull->index_digest);
        free(pull->manifest_body);
        free(pull->manifest_digest);
        manifest_free(pull->manifest);
        free(pull->config_body);
        image_config_done(&pull->config);
        free(pull->key);
        free(pull->image);
        for (size_t i = 0; i < pull->n_libraries_held; i++)
                dl_library_release(pull_libraries[i]);
        free(pull);
        /* Freed fetches may have left download slots. */
        fetch_start_queued(p);
        puller_schedule_unload(p);
}

/* Calls every waiter and frees the pull. */
static void pull_notify(ImagePull *pull, int error, const char *message, const ImageRecord *image) {
        ImagePullWaiter *waiters = TAKE_PTR(pull->waiters);

        /* Out of reach of new requests: a callback may start a new pull of the same name. */
        pull->key = mfree(pull->key);

        while (waiters) {
                ImagePullWaiter *w = waiters;

                waiters = w->next;
                w->done(error, message, image, w->userdata);
                free(w);
        }
}

static int on_finish(sd_event_source *s, void *userdata);

static void pull_schedule_finish(ImagePull *pull, int error, char *message) {
        int r;

        if (pull->finishing) {
                free(message);
                return;
        }
        pull->finishing = true;
        pull->error = error;
        pull->error_message = message;
        pull->request = registry_request_cancel(pull->request);
        pull->progress_source = sd_event_source_disable_unref(pull->progress_source);

        r = sd_event_add_defer(pull->puller->event, &pull->finish_source, on_finish, pull);
        if (r < 0) {
                /* Without a defer source, finish now: the caller is never a fetch's fan-out here
                 * in practice, as allocation failures end the daemon's usefulness anyway. */
                log_oom();
                (void) on_finish(NULL, pull);
        }
}

static void pull_fail(ImagePull *pull, int error, const char *format, ...) {
        char *message = NULL;
        va_list ap;

        va_start(ap, format);
        if (vasprintf(&message, format, ap) < 0)
                message = NULL;
        va_end(ap);
        pull_schedule_finish(pull, error < 0 ? error : -EIO, message);
}

static void pull_complete(ImagePull *pull) {
        pull_schedule_finish(pull, 0, NULL);
}

static void pull_add_error(ImagePull *pull, const char *what, const char *why) {
        char *n;

        if (asprintf(&n, "%s%s%s: %s", pull->errors ?: "", pull->errors ? "; " : "", what, why) < 0)
                return;
        free(pull->errors);
        pull->errors = n;
}

static void slot_ready(LayerSlot *slot, int error, const char *message) {
        ImagePull *pull = slot->pull;

        if (error < 0) {
                pull_fail(pull, error, "%s", message ?: strerror(-error));
                return;
        }
        if (++pull->n_ready == pull->n_slots)
                pull_complete(pull);
}

/* Stores the manifests and the config, then the record. Blobs this pull added go again on failure. */
static int pull_store_image(ImagePull *pull, ImageRecord **ret) {
        ImagePuller *p = pull->puller;
        BlobStore *blobs = image_store_blobs(p->store);
        const Reference *name = pull->candidates[pull->candidate];
        _cleanup_(image_record_freep) ImageRecord *record = NULL;
        _cleanup_free_ char *base = NULL, *tagged = NULL;
        const char *put[3] = {};
        size_t n_put = 0;
        struct {
                const char *digest;
                const char *body;
                size_t size;
        } docs[] = {
                { pull->manifest->config.digest, pull->config_body, pull->config_size },
                { pull->manifest_digest, pull->manifest_body, pull->manifest_size },
                { pull->index_digest, pull->index_body, pull->index_size },
        };
        int r;

        r = image_record_new(pull->manifest->config.digest, &record);
        if (r < 0)
                return r;
        base = reference_name(name);
        if (!base)
                return -ENOMEM;
        /* A pull by digest names no tag, as CRI-O records it. */
        if (name->tag && !name->digest) {
                if (asprintf(&tagged, "%s:%s", base, name->tag) < 0)
                        return -ENOMEM;
                if ((r = image_record_add_name(record, tagged)) < 0)
                        return r;
        }
        for (size_t i = 0; i < 2; i++) {
                const char *d = i == 0 ? pull->index_digest : pull->manifest_digest;
                _cleanup_free_ char *rd = NULL;

                if (!d)
                        continue;
                if (asprintf(&rd, "%s@%s", base, d) < 0)
                        return -ENOMEM;
                if ((r = image_record_add_repo_digest(record, rd)) < 0 ||
                    (r = image_record_add_manifest_digest(record, d)) < 0)
                        return r;
        }
        r = strv_copy(pull->config.diff_ids, &record->layers);
        if (r < 0)
                return r;
        r = image_config_copy(&pull->config, &record->config);
        if (r < 0)
                return r;

        for (size_t i = 0; i < ELEMENTSOF(docs); i++) {
                if (!docs[i].digest)
                        continue;
                r = blob_store_has(blobs, docs[i].digest);
                if (r > 0)
                        continue;
                if (r >= 0)
                        r = image_store_put_blob(p->store, docs[i].digest, docs[i].body, docs[i].size);
                if (r < 0)
                        goto fail;
                put[n_put++] = docs[i].digest;
        }

        r = image_store_add_image(p->store, &record, ret);
        if (r < 0)
                goto fail;
        return 0;

fail:
        for (size_t i = 0; i < n_put; i++)
                (void) blob_store_remove(blobs, put[i]);
        return r;
}

static int on_finish(sd_event_source *s, void *userdata) {
        ImagePull *pull = userdata;
        _cleanup_free_ char *message = NULL;
        ImageRecord *image = NULL;
        int r = pull->error;

        if (r >= 0) {
                r = pull_store_image(pull, &image);
                if (r < 0)
                        (void) asprintf(&message, "storing image %s: %s", pull->image, strerror(-r));
                else {
                        char name[512];

                        (void) snprintf(name, sizeof(name), "IMAGE_NAME=%s", pull->image);
                        log_struct(LOG_INFO, FIELDS(name, "MESSAGE_ID=4f0c3a1e8b5d4b6f9d2a7e6c5b4a3921"),
                                   "Pulled image %s: %s (%" PRIu64 " bytes).", pull->image, image->id,
                                   image->size);
                }
        } else {
                char name[512];

                message = TAKE_PTR(pull->error_message);
                (void) snprintf(name, sizeof(name), "IMAGE_NAME=%s", pull->image);
                log_struct(LOG_WARNING, FIELDS(name, "MESSAGE_ID=c1b4e4a8d4d04a5e9b7e0f7c22a51a01"),
                           "Failed to pull image %s: %s", pull->image, strnull(message));
        }

        pull_notify(pull, r, r < 0 ? (message ?: strerror(-r)) : NULL, image);
        pull_free(pull);
        return 0;
}

/* Layers: each one held in the store already, or awaited from a (possibly shared) fetch. */
static void pull_fetch_layers(ImagePull *pull) {
        ImagePuller *p = pull->puller;
        const Manifest *m = pull->manifest;
        int r;

        pull->slots = calloc(MAX(m->n_layers, 1U), sizeof(LayerSlot));
        if (!pull->slots)
                return pull_fail(pull, -ENOMEM, "out of memory");
        pull->n_slots = m->n_layers;
        for (size_t i = 0; i < m->n_layers; i++) {
                pull->slots[i].pull = pull;
                pull->bytes_total += m->layers[i].size;
        }

        for (size_t i = 0; i < m->n_layers; i++) {
                LayerSlot *slot = &pull->slots[i];
                const char *diff_id = pull->config.diff_ids[i];
                BlobFetch *f;

                if (image_store_hold_layer(p->store, diff_id, &slot->layer) >= 0) {
                        pull->n_ready++;
                        continue;
                }
                f = puller_find_fetch(p, m->layers[i].digest);
                if (f && !streq(f->diff_id, diff_id))
                        return pull_fail(pull, -EBADMSG, "layer %s is expected with diff id %s and %s at once",
                                         m->layers[i].digest, diff_id, f->diff_id);
                if (!f) {
                        r = fetch_new(pull, &m->layers[i], diff_id, &f);
                        if (r < 0)
                                return pull_fail(pull, r, "fetching layer %s: %s", m->layers[i].digest,
                                                 strerror(-r));
                }
                slot->fetch = f;
                slot->fetch_next = f->subscribers;
                f->subscribers = slot;
        }

        if (pull->n_ready == pull->n_slots)
                return pull_complete(pull);

        r = sd_event_add_time_relative(p->event, &pull->progress_source, CLOCK_MONOTONIC,
                                       p->progress_interval_usec, 0, on_progress, pull);
        if (r < 0)
                log_debug_errno(r, "Failed to arm the progress timer, ignoring: %m");
        fetch_start_queued(p);
}

static int config_write(const void *data, size_t size, void *userdata) {
        ImagePull *pull = userdata;
        char *n;

        if (pull->config_size + size > IMAGE_PULL_CONFIG_SIZE_MAX)
                return -EFBIG;
        n = realloc(pull->config_body, pull->config_size + size + 1);
        if (!n)
                return -ENOMEM;
        memcpy(n + pull->config_size, data, size);
        pull->config_size += size;
        n[pull->config_size] = '\0';
        pull->config_body = n;
        return 0;
}

static const char *source_name(const ImagePull *pull, char *buf, size_t size) {
        const Reference *r = pull->sources[pull->source].reference;

        (void) snprintf(buf, size, "%s/%s", r->domain, r->path);
        return buf;
}

static void on_config(RegistryRequest *req, int error, void *userdata) {
        ImagePull *pull = userdata;
        const Manifest *m = pull->manifest;
        char where[512];
        int r;

        pull->request = NULL;
        if (error < 0)
                return pull_fail(pull, error, "fetching config blob %s from %s: %s", m->config.digest,
                                 source_name(pull, where, sizeof(where)),
                                 registry_request_error_message(req) ?: strerror(-error));

        r = image_config_from_json(pull->config_body ?: "", pull->config_size, &pull->config);
        if (r < 0)
                return pull_fail(pull, r, "parsing config blob %s: %s", m->config.digest,
                                 r == -EBADMSG ? "not an image config" : strerror(-r));
        if (strv_length(pull->config.diff_ids) != m->n_layers)
                return pull_fail(pull, -EBADMSG, "config blob %s lists %zu diff ids for %zu layers",
                                 m->config.digest, strv_length(pull->config.diff_ids), m->n_layers);
        pull_fetch_layers(pull);
}

static RegistryTarget pull_target(const ImagePull *pull) {
        const PullSource *src = &pull->sources[pull->source];

        return (RegistryTarget) {
                .domain = src->reference->domain,
                .path = src->reference->path,
                .insecure = src->insecure ||
                        registry_domain_is_insecure(src->reference->domain, pull->puller->insecure_registries),
                .credentials = pull->credentials,
        };
}

static void on_manifest(RegistryRequest *req, int error, const RegistryManifestReply *reply, void *userdata) {
        ImagePull *pull = userdata;
        ImagePuller *p = pull->puller;
        RegistryTarget target = pull_target(pull);
        char where[512], *copy;
        ManifestKind kind;
        int r;

        pull->request = NULL;
        source_name(pull, where, sizeof(where));
        if (error < 0) {
                const char *why = registry_request_error_message(req);
                _cleanup_free_ char *what = NULL;

                if (asprintf(&what, "reading manifest %s in %s", reference_manifest_reference(
                                     pull->sources[pull->source].reference), where) < 0)
                        return pull_fail(pull, -ENOMEM, "out of memory");
                pull_add_error(pull, what, why ?: (error == -ENOENT ? "manifest unknown" : strerror(-error)));
                pull->last_error = error;
                /* An index we already followed pins the source: no point trying elsewhere. */
                if (pull->index_digest)
                        return pull_fail(pull, error, "%s", pull->errors);
                pull->source++;
                return pull_try_next_source(pull);
        }

        r = manifest_detect(reply->body, reply->size, reply->content_type, &kind, NULL);
        if (r < 0)
                return pull_fail(pull, r, "manifest %s in %s: %s", reply->digest, where,
                                 r == -EPROTONOSUPPORT ? "schema 1 manifests are not supported" :
                                 "malformed manifest");

        copy = memdup_suffix0(reply->body, reply->size);
        if (!copy)
                return pull_fail(pull, -ENOMEM, "out of memory");

        if (kind == MANIFEST_KIND_INDEX) {
                _cleanup_(index_freep) Index *index = NULL;
                _cleanup_(platform_done) Platform host = {};
                Platform *wanted = NULL;
                size_t n_wanted = 0;
                const IndexEntry *e;

                if (pull->index_digest) {
                        free(copy);
                        return pull_fail(pull, -EBADMSG, "index %s in %s points to another index", reply->digest,
                                         where);
                }
                pull->index_body = copy;
                pull->index_size = reply->size;
                if (!(pull->index_digest = strdup(reply->digest)))
                        return pull_fail(pull, -ENOMEM, "out of memory");

                r = index_parse(reply->body, reply->size, reply->content_type, &index);
                if (r < 0)
                        return pull_fail(pull, r, "manifest list %s in %s: malformed", reply->digest, where);
                r = platform_host(NULL, &host);
                if (r >= 0)
                        r = platform_wanted(host.os, host.architecture, host.variant, &wanted, &n_wanted);
                if (r < 0)
                        return pull_fail(pull, r, "determining the host platform: %s", strerror(-r));
                e = index_choose(index, wanted, n_wanted);
                platform_array_free(wanted, n_wanted);
                if (!e)
                        return pull_fail(pull, -ENOENT,
                                         "no image found in manifest list %s in %s for architecture %s, OS %s",
                                         reply->digest, where, host.architecture, host.os);
                r = registry_client_get_manifest(p->client, &target, e->descriptor.digest, on_manifest, pull,
                                                 &pull->request);
                if (r < 0)
                        return pull_fail(pull, r, "reading manifest %s in %s: %s", e->descriptor.digest, where,
                                         strerror(-r));
                return;
        }

        pull->manifest_body = copy;
        pull->manifest_size = reply->size;
        if (!(pull->manifest_digest = strdup(reply->digest)))
                return pull_fail(pull, -ENOMEM, "out of memory");
        r = manifest_parse(reply->body, reply->size, reply->content_type, &pull->manifest);
        if (r < 0)
                return pull_fail(pull, r, "manifest %s in %s: malformed", reply->digest, where);

        /* Stored already (another tag, or pulled before): only the names change, once the config is
         * known. The config is still read, from the store, for the record's copy. */
        if (image_store_find_by_id(p->store, pull->manifest->config.digest)) {
                r = blob_store_read(image_store_blobs(p->store), pull->manifest->config.digest,
                                    IMAGE_PULL_CONFIG_SIZE_MAX, &pull->config_body, &pull->config_size);
                if (r >= 0) {
                        r = image_config_from_json(pull->config_body, pull->config_size, &pull->config);
                        if (r >= 0 && strv_length(pull->config.diff_ids) == pull->manifest->n_layers)
                                return pull_fetch_layers(pull);
                        image_config_done(&pull->config);
                        pull->config = (ImageConfig) {};
                }
                pull->config_body = mfree(pull->config_body);
                pull->config_size = 0;
        }

        r = registry_client_get_blob(p->client, &target, pull->manifest->config.digest, pull->manifest->config.size,
                                     config_write, on_config, pull, &pull->request);
        if (r < 0)
                return pull_fail(pull, r, "fetching config blob %s from %s: %s", pull->manifest->config.digest,
                                 where, strerror(-r));
}

static void pull_try_next_source(ImagePull *pull) {
        ImagePuller *p = pull->puller;
        int r;

        for (;;) {
                const char *const auth_files[] = { p->global_auth_file, AUTH_FILE_GLOBAL };
                const PullSource *src;
                RegistryTarget target;

                if (pull->source >= pull->n_sources) {
                        _cleanup_free_ char *error = NULL;

                        pull_source_array_free(pull->sources, pull->n_sources);
                        pull->sources = NULL;
                        pull->n_sources = pull->source = 0;
                        if (pull->sources_loaded_for_candidate)
                                pull->candidate++;
                        pull->sources_loaded_for_candidate = true;
                        if (pull->candidate >= pull->n_candidates)
                                return pull_fail(pull, pull->last_error ?: -ENOENT, "%s", pull->errors ?: "no pull source");

                        r = registries_conf_pull_sources(p->conf, pull->candidates[pull->candidate],
                                                         &pull->sources, &pull->n_sources, &error);
                        if (r < 0) {
                                _cleanup_free_ char *name = reference_to_string(pull->candidates[pull->candidate]);

                                pull_add_error(pull, strnull(name), error ?: strerror(-r));
                                pull->n_sources = 0;
                                continue;
                        }
                        continue;
                }

                src = &pull->sources[pull->source];
                pull->credentials = registry_credentials_free(pull->credentials);
                if (pull->request_credentials)
                        r = registry_credentials_copy(pull->request_credentials, &pull->credentials);
                else {
                        r = auth_files_lookup(auth_files, ELEMENTSOF(auth_files), src->reference, &pull->credentials);
                        if (r < 0)
                                log_warning_errno(r, "Failed to read credentials for %s, pulling anonymously: %m",
                                                  src->reference->domain);
                        r = 0;
                }
                if (r < 0)
                        return pull_fail(pull, r, "out of memory");

                target = pull_target(pull);
                r = registry_client_get_manifest(p->client, &target, reference_manifest_reference(src->reference),
                                                 on_manifest, pull, &pull->request);
                if (r >= 0)
                        return;
                pull_add_error(pull, src->reference->domain, strerror(-r));
                pull->source++;
        }
}

static ImagePull *puller_find_pull(ImagePuller *p, const char *key) {
        for (ImagePull *i = p->pulls; i; i = i->next)
                if (i->key && streq(i->key, key))
                        return i;
        return NULL;
}

static int pull_start(ImagePull *pull) {
        ImagePuller *p = pull->puller;
        _cleanup_free_ char *error = NULL;
        int r;

        /* Held for the whole pull, so that a missing library fails it here, by name. */
        for (size_t i = 0; i < ELEMENTSOF(pull_libraries); i++) {
                r = dl_library_acquire(pull_libraries[i]);
                if (r < 0)
                        return pull_fail(pull, r, "cannot load %s, which pulls need (see crio's journal)",
                                         pull_libraries[i]->soname), 0;
                pull->n_libraries_held++;
        }
        r = puller_load_registries(p, &error);
        if (r < 0)
                return pull_fail(pull, r, "%s", error ?: "cannot read registries.conf"), 0;
        r = registries_conf_resolve(p->conf, pull->image, &pull->candidates, &pull->n_candidates, &error);
        if (r < 0)
                return pull_fail(pull, r, "%s", error ?: strerror(-r)), 0;
        pull_try_next_source(pull);
        return 0;
}

int image_puller_pull(ImagePuller *p, const char *image, const RegistryCredentials *credentials,
                      image_pull_done_t done, void *userdata, ImagePullWaiter **ret) {
        _cleanup_free_ char *key = NULL;
        ImagePullWaiter *w;
        ImagePull *pull;
        int r;

        r = image_pull_key(image, &key);
        if (r == -ENOMEM)
                return r;
        if (r < 0 && asprintf(&key, "!%s", image) < 0)   /* bad names fail in their own pull */
                return -ENOMEM;

        w = calloc(1, sizeof(ImagePullWaiter));
        if (!w)
                return -ENOMEM;
        p->unload_source = sd_event_source_disable_unref(p->unload_source);
        w->done = done;
        w->userdata = userdata;

        pull = puller_find_pull(p, key);
        if (pull) {
                log_debug("Joining the pull of %s in flight.", image);
                w->pull = pull;
                w->next = pull->waiters;
                pull->waiters = w;
                if (ret)
                        *ret = w;
                return 0;
        }

        pull = calloc(1, sizeof(ImagePull));
        if (!pull) {
                free(w);
                return -ENOMEM;
        }
        pull->puller = p;
        LIST_PREPEND(p->pulls, pull);
        pull->key = TAKE_PTR(key);
        w->pull = pull;
        pull->waiters = w;
        if (!(pull->image = strdup(image)) ||
            (credentials && registry_credentials_copy(credentials, &pull->request_credentials) < 0)) {
                pull->waiters = NULL;
                free(w);
                pull_free(pull);
                return -ENOMEM;
        }

        log_info("Pulling image %s.", image);
        (void) pull_start(pull);
        if (ret)
                *ret = w;
        return 0;
}

ImagePullWaiter *image_pull_waiter_cancel(ImagePullWaiter *w) {
        ImagePull *pull;

        if (!w)
                return NULL;
        pull = w->pull;
        for (ImagePullWaiter **i = &pull->waiters; *i; i = &(*i)->next)
                if (*i == w) {
                        *i = w->next;
                        break;
                }
        free(w);

        /* Nobody wants the image any more (kubelet gave up, as CRI-O's cancelled context): stop the
         * downloads and unpacking. Freeing the pull drops its holds, so layers only it committed go
         * and nothing of it stays in the store. */
        if (!pull->waiters && !pull->finishing) {
                log_info("Pull of image %s cancelled: no client waits for it.", pull->image);
                pull_free(pull);
        }
        return NULL;
}

ImagePuller *image_puller_free(ImagePuller *p) {
        if (!p)
                return NULL;
        while (p->pulls)
                pull_free(p->pulls);
        while (p->fetches)
                fetch_free(p->fetches);
        /* Freeing the pulls armed the unload timer: unload now instead. */
        sd_event_source_disable_unref(p->unload_source);
        registry_client_free(p->client);
        pull_libraries_unload_unused();
        registries_conf_free(p->conf);
        strv_free(p->insecure_registries);
        free(p->registries_conf);
        free(p->registries_conf_dir);
        free(p->global_auth_file);
        sd_event_unref(p->event);
        return mfree(p);
}

static ImageRecord *find_reference(ImageStore *s, const Reference *ref) {
        _cleanup_free_ char *name = NULL, *full = NULL;

        name = reference_name(ref);
        if (!name)
                return NULL;
        if (ref->digest) {
                if (asprintf(&full, "%s@%s", name, ref->digest) < 0)
                        return NULL;
                return image_store_find_by_digest(s, full);
        }
        if (asprintf(&full, "%s:%s", name, ref->tag ?: REFERENCE_DEFAULT_TAG) < 0)
                return NULL;
        return image_store_find_by_name(s, full);
}

int image_puller_find(ImagePuller *p, const char *name, ImageRecord **ret) {
        _cleanup_(reference_freep) Reference *ref = NULL;
        Reference **candidates = NULL;
        ImageRecord *found = NULL;
        size_t n = 0;
        int r;

        if (!name || !*name)
                return -ENOENT;
        r = image_store_find(p->store, name, &found);
        if (r >= 0) {
                *ret = found;
                return 0;
        }
        if (reference_parse(name, &ref, NULL) < 0)
                return -ENOENT;
        if (!reference_is_short_name(ref))
                found = find_reference(p->store, ref);
        else {
                if (!p->conf)
                        (void) puller_load_registries(p, NULL);
                if (p->conf && registries_conf_resolve(p->conf, name, &candidates, &n, NULL) >= 0)
                        for (size_t i = 0; i < n && !found; i++)
                                found = find_reference(p->store, candidates[i]);
                reference_array_free(candidates, n);
        }
        if (!found)
                return -ENOENT;
        *ret = found;
        return 0;
}
