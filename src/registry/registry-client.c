/* SPDX-License-Identifier: Apache-2.0 */

#include "curl-library.h"
#include <dirent.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

#include "crio-build.h"
#include "fileio.h"
#include "log.h"
#include "manifest.h"
#include "reference.h"
#include "registry-client.h"
#include "registry-util.h"
#include "strv.h"

#define TOKEN_BODY_MAX (1U * 1024U * 1024U)
#define ERROR_BODY_MAX (64U * 1024U)
#define BLOB_BUFFER_SIZE (512U * 1024U)

typedef enum RequestKind {
        REQUEST_MANIFEST,
        REQUEST_BLOB,
        REQUEST_TOKEN,
} RequestKind;

/* What the client learned about a registry: whether it speaks plain HTTP, and the bearer token or
 * Basic credentials its last challenge asked for. */
typedef struct AuthCacheEntry {
        char *domain;
        char *scope;            /* NULL for a domain-wide entry */
        char *token;            /* bearer token */
        bool basic;             /* answer with Basic credentials */
        uint64_t expires_usec;  /* CLOCK_MONOTONIC */
        struct AuthCacheEntry *next;
} AuthCacheEntry;

typedef struct HttpHost {
        char *domain;
        struct HttpHost *next;
} HttpHost;

struct RegistryClient {
        sd_event *event;
        CURLM *multi;                   /* with a hold on curl_library; NULL while idle */
        unsigned n_io_sources;          /* curl's sockets being watched */
        sd_event_source *timer;
        RegistryRequest *requests;
        AuthCacheEntry *auth_cache;
        HttpHost *http_hosts;
        uint64_t progress_timeout_usec;
        unsigned max_retries;
        uint64_t retry_delay_usec;
        char **certs_dirs;
};

struct RegistryRequest {
        RegistryClient *client;
        RegistryRequest *prev, *next;
        RequestKind kind;

        char *domain, *path, *reference;
        bool insecure;
        RegistryCredentials *credentials;

        CURL *easy;
        struct curl_slist *headers;
        char *url;
        char *form;                     /* token POST body */
        bool in_multi;
        sd_event_source *retry_timer;
        unsigned retries;
        bool auth_answered;

        /* This attempt's response */
        long status;
        char *content_type;
        char *challenge;
        char *body;
        size_t body_size;
        uint64_t skip;                  /* bytes of a 200 answer to a Range request already delivered */
        int write_error;

        /* Blob */
        uint64_t expected_size;
        const EVP_MD *md;
        EVP_MD_CTX *md_ctx;
        uint64_t delivered;
        bool caller_verifies;           /* the digest is checked by whoever consumes the bytes */
        bool paused;
        registry_blob_write_t write;
        registry_blob_done_t done;

        registry_manifest_handler_t manifest_handler;
        void *userdata;

        /* Token */
        RegistryRequest *waiting;       /* the request this token is for */
        RegistryRequest *token_request; /* the token request this one waits for */
        char *scope;

        char *error_message;

        /* TLS material from certs.d for this request's host */
        char *ca_pem;                   /* the *.crt files, concatenated */
        char *client_cert, *client_key;
};

static int request_start(RegistryRequest *r);
static void request_finish(RegistryRequest *r, int error);
static void request_completed(RegistryRequest *r, CURLcode code);

static void auth_cache_free(AuthCacheEntry *e) {
        while (e) {
                AuthCacheEntry *n = e->next;
                free(e->domain);
                free(e->scope);
                if (e->token)
                        explicit_bzero(e->token, strlen(e->token));
                free(e->token);
                free(e);
                e = n;
        }
}

static uint64_t now_usec(RegistryClient *c) {
        uint64_t t = 0;
        (void) sd_event_now(c->event, CLOCK_MONOTONIC, &t);
        return t;
}

static AuthCacheEntry *auth_cache_find(RegistryClient *c, const char *domain, const char *scope) {
        for (AuthCacheEntry *e = c->auth_cache; e; e = e->next)
                if (streq(e->domain, domain) && streq_ptr(e->scope, scope)) {
                        if (e->token && e->expires_usec <= now_usec(c))
                                return NULL;
                        return e;
                }
        return NULL;
}

static int auth_cache_put(RegistryClient *c, const char *domain, const char *scope, const char *token, bool basic,
                          uint64_t lifetime_usec) {
        AuthCacheEntry *e = NULL;

        for (AuthCacheEntry *i = c->auth_cache; i; i = i->next)
                if (streq(i->domain, domain) && streq_ptr(i->scope, scope))
                        e = i;
        if (!e) {
                e = calloc(1, sizeof(*e));
                if (!e)
                        return -ENOMEM;
                e->domain = strdup(domain);
                e->scope = scope ? strdup(scope) : NULL;
                if (!e->domain || (scope && !e->scope)) {
                        free(e->domain);
                        free(e->scope);
                        free(e);
                        return -ENOMEM;
                }
                e->next = c->auth_cache;
                c->auth_cache = e;
        }
        free(e->token);
        e->token = token ? strdup(token) : NULL;
        if (token && !e->token)
                return -ENOMEM;
        e->basic = basic;
        /* Renew a little early rather than send an expired token. */
        e->expires_usec = now_usec(c) + (lifetime_usec > 10000000U ? lifetime_usec - 5000000U : lifetime_usec);
        return 0;
}

static bool host_uses_http(RegistryClient *c, const char *domain) {
        for (HttpHost *h = c->http_hosts; h; h = h->next)
                if (streq(h->domain, domain))
                        return true;
        return false;
}

static int host_set_http(RegistryClient *c, const char *domain) {
        HttpHost *h;

        if (host_uses_http(c, domain))
                return 0;
        h = calloc(1, sizeof(*h));
        if (!h)
                return -ENOMEM;
        h->domain = strdup(domain);
        if (!h->domain) {
                free(h);
                return -ENOMEM;
        }
        h->next = c->http_hosts;
        c->http_hosts = h;
        return 0;
}

_printf_(2, 3)
static void request_set_error(RegistryRequest *r, const char *format, ...) {
        va_list ap;
        char *m;

        va_start(ap, format);
        if (vasprintf(&m, format, ap) < 0)
                m = NULL;
        va_end(ap);
        free(r->error_message);
        r->error_message = m;
}

static void request_reset_response(RegistryRequest *r) {
        r->status = 0;
        r->content_type = mfree(r->content_type);
        r->challenge = mfree(r->challenge);
        r->body = mfree(r->body);
        r->body_size = 0;
        r->skip = 0;
        r->write_error = 0;
}

static void request_detach(RegistryRequest *r) {
        if (r->in_multi) {
                sym_curl_multi_remove_handle(r->client->multi, r->easy);
                r->in_multi = false;
        }
        r->retry_timer = sd_event_source_disable_unref(r->retry_timer);
}

static RegistryRequest *request_free(RegistryRequest *r) {
        if (!r)
                return NULL;
        request_detach(r);
        if (r->token_request) {
                r->token_request->waiting = NULL;
                request_free(r->token_request);
        }
        if (r->waiting)
                r->waiting->token_request = NULL;
        if (r->client) {
                if (r->prev)
                        r->prev->next = r->next;
                else
                        r->client->requests = r->next;
                if (r->next)
                        r->next->prev = r->prev;
        }
        if (r->easy)
                sym_curl_easy_cleanup(r->easy);
        sym_curl_slist_free_all(r->headers);
        EVP_MD_CTX_free(r->md_ctx);
        request_reset_response(r);
        registry_credentials_free(r->credentials);
        free(r->domain);
        free(r->path);
        free(r->reference);
        free(r->url);
        free(r->form);
        free(r->scope);
        free(r->error_message);
        free(r->ca_pem);
        free(r->client_cert);
        free(r->client_key);
        return mfree(r);
}

void registry_request_set_caller_verifies(RegistryRequest *r) {
        if (r && r->kind == REQUEST_BLOB)
                r->caller_verifies = true;
}

void registry_request_resume(RegistryRequest *r) {
        if (!r || !r->paused)
                return;
        r->paused = false;
        /* May hand the held bytes to the write callback at once, which may pause again. */
        (void) sym_curl_easy_pause(r->easy, CURLPAUSE_CONT);
}

RegistryRequest *registry_request_cancel(RegistryRequest *r) {
        request_free(r);
        return NULL;
}

const char *registry_request_error_message(const RegistryRequest *r) {
        return r->error_message;
}

uint64_t registry_request_bytes(const RegistryRequest *r) {
        return r->kind == REQUEST_BLOB ? r->delivered : r->body_size;
}

size_t registry_client_pending(const RegistryClient *c) {
        size_t n = 0;
        for (RegistryRequest *r = c->requests; r; r = r->next)
                n++;
        return n;
}

/* curl → sd-event glue */

static int on_curl_timer(sd_event_source *s, uint64_t usec, void *userdata);

static void check_finished(RegistryClient *c) {
        CURLMsg *msg;
        int left;

        while ((msg = sym_curl_multi_info_read(c->multi, &left))) {
                RegistryRequest *r = NULL;
                CURLcode result;

                if (msg->msg != CURLMSG_DONE)
                        continue;
                result = msg->data.result;
                if (sym_curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &r) != CURLE_OK || !r)
                        continue;
                /* Take it out of the multi first: finishing may restart it or free it. */
                sym_curl_multi_remove_handle(c->multi, r->easy);
                r->in_multi = false;
                request_completed(r, result);
        }
}

static int on_curl_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        RegistryClient *c = userdata;
        int action = 0, running;

        if (revents & EPOLLIN)
                action |= CURL_CSELECT_IN;
        if (revents & EPOLLOUT)
                action |= CURL_CSELECT_OUT;
        if (revents & (EPOLLERR | EPOLLHUP))
                action |= CURL_CSELECT_ERR;
        (void) sym_curl_multi_socket_action(c->multi, fd, action, &running);
        check_finished(c);
        return 0;
}

static int curl_socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp) {
        RegistryClient *c = userp;
        sd_event_source *s = socketp;
        uint32_t events = 0;
        int r;

        if (what == CURL_POLL_REMOVE) {
                if (s) {
                        sd_event_source_disable_unref(s);
                        sym_curl_multi_assign(c->multi, fd, NULL);
                        c->n_io_sources--;
                }
                return 0;
        }
        if (what & CURL_POLL_IN)
                events |= EPOLLIN;
        if (what & CURL_POLL_OUT)
                events |= EPOLLOUT;

        if (s) {
                r = sd_event_source_set_io_events(s, events);
                if (r >= 0)
                        r = sd_event_source_set_enabled(s, SD_EVENT_ON);
        } else {
                r = sd_event_add_io(c->event, &s, fd, events, on_curl_io, c);
                if (r >= 0) {
                        (void) sd_event_source_set_description(s, "registry-curl-io");
                        if (sym_curl_multi_assign(c->multi, fd, s) != CURLM_OK) {
                                sd_event_source_disable_unref(s);
                                r = -EIO;
                        } else
                                c->n_io_sources++;
                }
        }
        if (r < 0) {
                log_error_errno(r, "Failed to watch a registry connection: %m");
                return -1;
        }
        return 0;
}

static int curl_timer_cb(CURLM *multi, long timeout_ms, void *userp) {
        RegistryClient *c = userp;
        uint64_t when;
        int r;

        if (timeout_ms < 0) {
                if (c->timer)
                        (void) sd_event_source_set_enabled(c->timer, SD_EVENT_OFF);
                return 0;
        }
        when = now_usec(c) + (uint64_t) timeout_ms * 1000U;
        if (c->timer) {
                r = sd_event_source_set_time(c->timer, when);
                if (r >= 0)
                        r = sd_event_source_set_enabled(c->timer, SD_EVENT_ONESHOT);
        } else {
                /* accuracy=1 µs: sd-event's default (250 ms) would hold curl back after every
                 * "run now" timeout, such as the one that follows a resumed transfer. */
                r = sd_event_add_time(c->event, &c->timer, CLOCK_MONOTONIC, when, 1, on_curl_timer, c);
                if (r >= 0)
                        (void) sd_event_source_set_description(c->timer, "registry-curl-timer");
        }
        if (r < 0) {
                log_error_errno(r, "Failed to arm the registry timer: %m");
                return -1;
        }
        return 0;
}

static int on_curl_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        RegistryClient *c = userdata;
        int running;

        (void) sym_curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
        check_finished(c);
        return 0;
}

int registry_client_new(sd_event *event, RegistryClient **ret) {
        _cleanup_(registry_client_freep) RegistryClient *c = NULL;

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->event = sd_event_ref(event);
        c->progress_timeout_usec = REGISTRY_CLIENT_PROGRESS_TIMEOUT_DEFAULT_USEC;
        c->max_retries = REGISTRY_CLIENT_MAX_RETRIES_DEFAULT;
        c->retry_delay_usec = REGISTRY_CLIENT_RETRY_DELAY_DEFAULT_USEC;
        if (strv_new(&c->certs_dirs, REGISTRY_CERTS_DIR, REGISTRY_CERTS_DIR_DOCKER, NULL) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(c);
        return 0;
}

/* libcurl and the multi handle, from the first request on. */
static int client_open_transport(RegistryClient *c) {
        int r;

        if (c->multi)
                return 0;
        r = dl_library_acquire(&curl_library);
        if (r < 0)
                return r;
        c->multi = sym_curl_multi_init();
        if (!c->multi) {
                dl_library_release(&curl_library);
                return -ENOMEM;
        }
        if (sym_curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, curl_socket_cb) != CURLM_OK ||
            sym_curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c) != CURLM_OK ||
            sym_curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, curl_timer_cb) != CURLM_OK ||
            sym_curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c) != CURLM_OK) {
                (void) registry_client_close_transport(c);
                return -EIO;
        }
        return 0;
}

int registry_client_close_transport(RegistryClient *c) {
        if (c->requests)
                return -EBUSY;
        if (!c->multi)
                return 0;
        /* Closes the connections kept alive, each through curl_socket_cb's CURL_POLL_REMOVE. */
        sym_curl_multi_cleanup(c->multi);
        c->multi = NULL;
        c->timer = sd_event_source_disable_unref(c->timer);
        if (c->n_io_sources > 0)
                log_warning("%u registry connection watches outlived their connections.", c->n_io_sources);
        dl_library_release(&curl_library);
        return 1;
}

RegistryClient *registry_client_free(RegistryClient *c) {
        if (!c)
                return NULL;
        while (c->requests)
                request_free(c->requests);
        (void) registry_client_close_transport(c);     /* the timer goes with it */
        auth_cache_free(c->auth_cache);
        while (c->http_hosts) {
                HttpHost *h = c->http_hosts;
                c->http_hosts = h->next;
                free(h->domain);
                free(h);
        }
        strv_free(c->certs_dirs);
        sd_event_unref(c->event);
        return mfree(c);
}

int registry_client_set_certs_dirs(RegistryClient *c, char *const *dirs) {
        char **copy = NULL;
        int k;

        k = strv_copy(dirs, &copy);
        if (k < 0)
                return k;
        strv_free(c->certs_dirs);
        c->certs_dirs = copy;
        return 0;
}

void registry_client_set_progress_timeout(RegistryClient *c, uint64_t usec) {
        c->progress_timeout_usec = usec;
}

void registry_client_set_retries(RegistryClient *c, unsigned max_retries, uint64_t first_delay_usec) {
        c->max_retries = max_retries;
        c->retry_delay_usec = first_delay_usec;
}

/* curl callbacks of one transfer */

static size_t on_header(char *buffer, size_t size, size_t n, void *userdata) {
        RegistryRequest *r = userdata;
        size_t len = size * n;
        _cleanup_free_ char *line = strndup(buffer, len);
        const char *v;

        if (!line)
                return 0;
        line[strcspn(line, "\r\n")] = '\0';

        /* Each response of a redirect chain starts over. */
        if (startswith(line, "HTTP/")) {
                r->content_type = mfree(r->content_type);
                r->challenge = mfree(r->challenge);
                return len;
        }
        if ((v = startswith_no_case(line, "content-type:"))) {
                v += strspn(v, " \t");
                free(r->content_type);
                r->content_type = strdup(v);
        } else if ((v = startswith_no_case(line, "www-authenticate:"))) {
                char *joined;

                v += strspn(v, " \t");
                if (r->challenge) {
                        if (asprintf(&joined, "%s, %s", r->challenge, v) < 0)
                                return 0;
                        free(r->challenge);
                        r->challenge = joined;
                } else
                        r->challenge = strdup(v);
        }
        return len;
}

static int body_append(RegistryRequest *r, const char *data, size_t n, size_t max) {
        char *b;

        if (r->body_size + n > max)
                return -EFBIG;
        b = realloc(r->body, r->body_size + n + 1);
        if (!b)
                return -ENOMEM;
        memcpy(b + r->body_size, data, n);
        r->body = b;
        r->body_size += n;
        b[r->body_size] = '\0';
        return 0;
}

static size_t on_write(char *data, size_t size, size_t n, void *userdata) {
        RegistryRequest *r = userdata;
        size_t len = size * n;
        int k;

        if (r->status == 0) {
                long status = 0;

                (void) sym_curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
                r->status = status;
                /* Resumed with Range but answered in full: drop what the caller already has. */
                if (r->kind == REQUEST_BLOB && status == 200 && r->delivered > 0)
                        r->skip = r->delivered;
        }

        if (r->status < 200 || r->status >= 300) {
                /* An error body, kept short for the message. */
                if (r->body_size < ERROR_BODY_MAX)
                        (void) body_append(r, data, MIN(len, ERROR_BODY_MAX - r->body_size), ERROR_BODY_MAX);
                return len;
        }

        switch (r->kind) {
        case REQUEST_MANIFEST:
        case REQUEST_TOKEN:
                k = body_append(r, data, len, r->kind == REQUEST_MANIFEST ? MANIFEST_SIZE_MAX : TOKEN_BODY_MAX);
                if (k < 0) {
                        r->write_error = k;
                        request_set_error(r, "%s larger than %u bytes", r->kind == REQUEST_MANIFEST ? "manifest" :
                                          "token response", r->kind == REQUEST_MANIFEST ? MANIFEST_SIZE_MAX :
                                          TOKEN_BODY_MAX);
                        return 0;
                }
                return len;

        case REQUEST_BLOB: {
                size_t skip = (size_t) MIN((uint64_t) len, r->skip);

                r->skip -= skip;
                data += skip;
                n = len - skip;
                if (n == 0)
                        return len;
                if (r->expected_size != UINT64_MAX && r->delivered + n > r->expected_size) {
                        r->write_error = -EFBIG;
                        request_set_error(r, "blob %s is larger than its declared size %" PRIu64, r->reference,
                                          r->expected_size);
                        return 0;
                }
                k = r->write(data, n, r->userdata);
                if (k == -EAGAIN) {
                        /* Nothing taken: curl hands the same bytes again once resumed. */
                        r->skip += skip;
                        r->paused = true;
                        return CURL_WRITEFUNC_PAUSE;
                }
                if (k >= 0 && !r->caller_verifies && EVP_DigestUpdate(r->md_ctx, data, n) != 1)
                        k = -EIO;
                if (k >= 0)
                        r->delivered += n;
                if (k < 0) {
                        r->write_error = k;
                        request_set_error(r, "writing blob %s failed: %s", r->reference, strerror(-k));
                        return 0;
                }
                return len;
        }}
        return 0;
}

static const char *scheme_of(RegistryRequest *r) {
        return r->insecure && host_uses_http(r->client, r->domain) ? "http" : "https";
}

static int request_build_url(RegistryRequest *r) {
        if (r->kind == REQUEST_TOKEN)
                return 0;       /* the realm's URL, complete already */
        r->url = mfree(r->url);
        if (asprintf(&r->url, "%s://%s/v2/%s/%s/%s", scheme_of(r), r->domain, r->path,
                     r->kind == REQUEST_MANIFEST ? "manifests" : "blobs", r->reference) < 0)
                return -ENOMEM;
        return 0;
}

static int request_scope(RegistryRequest *r, char **ret) {
        return asprintf(ret, "repository:%s:pull", r->path) < 0 ? -ENOMEM : 0;
}

static int request_add_header(RegistryRequest *r, const char *format, ...) _printf_(2, 3);
static int request_add_header(RegistryRequest *r, const char *format, ...) {
        _cleanup_free_ char *h = NULL;
        struct curl_slist *l;
        va_list ap;
        int k;

        va_start(ap, format);
        k = vasprintf(&h, format, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        l = sym_curl_slist_append(r->headers, h);
        explicit_bzero(h, strlen(h));
        if (!l)
                return -ENOMEM;
        r->headers = l;
        return 0;
}

static bool name_has_suffix(const char *name, const char *suffix) {
        size_t n = strlen(name), m = strlen(suffix);

        return n > m && streq(name + n - m, suffix);
}

/* As containers/image reads <certs.d>/<host[:port]>/: every *.crt is a CA trusted besides the system's,
 * a *.cert with the *.key of the same name is the client certificate. The first directory that has
 * an entry for the host wins. */
static int request_load_certs(RegistryRequest *r) {
        for (char **d = r->client->certs_dirs; d && *d; d++) {
                _cleanup_free_ char *path = NULL;
                _cleanup_close_ int dir_fd = -EBADF;
                DIR *dir;
                struct dirent *de;
                int k = 0;

                if (asprintf(&path, "%s/%s", *d, r->domain) < 0)
                        return -ENOMEM;
                dir_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (dir_fd < 0) {
                        if (IN_SET(errno, ENOENT, ENOTDIR))
                                continue;
                        return log_debug_errno(errno, "Failed to open %s: %m", path);
                }
                dir = fdopendir(fcntl(dir_fd, F_DUPFD_CLOEXEC, 3));
                if (!dir)
                        return -errno;
                while (k >= 0 && (de = readdir(dir))) {
                        _cleanup_free_ char *pem = NULL, *base = NULL;
                        size_t size;

                        if (name_has_suffix(de->d_name, ".crt")) {
                                k = read_full_file_at(dir_fd, de->d_name, 1024 * 1024, 0, &pem, &size);
                                if (k >= 0) {
                                        char *n = realloc(r->ca_pem, (r->ca_pem ? strlen(r->ca_pem) : 0) + size + 2);

                                        if (!n)
                                                k = -ENOMEM;
                                        else {
                                                if (!r->ca_pem)
                                                        n[0] = '\0';
                                                strcat(strcat(n, pem), "\n");
                                                r->ca_pem = n;
                                        }
                                }
                        } else if (name_has_suffix(de->d_name, ".cert") && !r->client_cert) {
                                base = strndup(de->d_name, strlen(de->d_name) - 5);
                                if (!base)
                                        k = -ENOMEM;
                                else if (asprintf(&r->client_cert, "%s/%s", path, de->d_name) < 0 ||
                                         asprintf(&r->client_key, "%s/%s.key", path, base) < 0)
                                        k = -ENOMEM;
                                else if (access(r->client_key, R_OK) < 0)
                                        k = log_debug_errno(errno, "Client certificate %s has no key %s: %m",
                                                            r->client_cert, r->client_key);
                        }
                        if (k < 0)
                                request_set_error(r, "reading TLS material in %s/%s: %s", path, de->d_name,
                                                  strerror(-k));
                }
                closedir(dir);
                if (k < 0)
                        return k;
                if (r->ca_pem) {
                        /* A CA blob replaces curl's bundle: put the system's in front, as the extra
                         * CAs are trusted besides it. */
                        _cleanup_free_ char *system = NULL, *both = NULL;
                        const char *bundle = NULL;

                        (void) sym_curl_easy_getinfo(r->easy, CURLINFO_CAINFO, &bundle);
                        if (bundle && read_full_file_at(AT_FDCWD, bundle, 16 * 1024 * 1024, 0, &system, NULL) >= 0) {
                                if (asprintf(&both, "%s\n%s", system, r->ca_pem) < 0)
                                        return -ENOMEM;
                                free_and_replace(r->ca_pem, both);
                        }
                }
                return 0;
        }
        return 0;
}

static int request_configure(RegistryRequest *r) {
        RegistryClient *c = r->client;
        uint64_t timeout_s = (c->progress_timeout_usec + 999999U) / 1000000U;
        int k;

        sym_curl_slist_free_all(r->headers);
        r->headers = NULL;
        k = request_build_url(r);
        if (k < 0)
                return k;

        sym_curl_easy_reset(r->easy);
        if (sym_curl_easy_setopt(r->easy, CURLOPT_URL, r->url) != CURLE_OK ||
            sym_curl_easy_setopt(r->easy, CURLOPT_PRIVATE, r) != CURLE_OK ||
            sym_curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, on_write) != CURLE_OK ||
            sym_curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, r) != CURLE_OK ||
            sym_curl_easy_setopt(r->easy, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK ||
            sym_curl_easy_setopt(r->easy, CURLOPT_HEADERDATA, r) != CURLE_OK ||
            sym_curl_easy_setopt(r->easy, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
            sym_curl_easy_setopt(r->easy, CURLOPT_USERAGENT, "crio/" CRIO_VERSION) != CURLE_OK ||
            sym_curl_easy_setopt(r->easy, CURLOPT_FOLLOWLOCATION, 1L) != CURLE_OK ||
            sym_curl_easy_setopt(r->easy, CURLOPT_MAXREDIRS, 10L) != CURLE_OK ||
            sym_curl_easy_setopt(r->easy, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
            sym_curl_easy_setopt(r->easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") != CURLE_OK)
                return -EIO;

        if (timeout_s > 0 && (sym_curl_easy_setopt(r->easy, CURLOPT_LOW_SPEED_LIMIT, 1L) != CURLE_OK ||
                              sym_curl_easy_setopt(r->easy, CURLOPT_LOW_SPEED_TIME, (long) timeout_s) != CURLE_OK ||
                              sym_curl_easy_setopt(r->easy, CURLOPT_CONNECTTIMEOUT, (long) timeout_s) != CURLE_OK))
                return -EIO;

        if (r->insecure && (sym_curl_easy_setopt(r->easy, CURLOPT_SSL_VERIFYPEER, 0L) != CURLE_OK ||
                            sym_curl_easy_setopt(r->easy, CURLOPT_SSL_VERIFYHOST, 0L) != CURLE_OK))
                return -EIO;

        if (r->ca_pem) {
                struct curl_blob blob = {
                        .data = r->ca_pem,
                        .len = strlen(r->ca_pem),
                        .flags = CURL_BLOB_NOCOPY,
                };

                if (sym_curl_easy_setopt(r->easy, CURLOPT_CAINFO_BLOB, &blob) != CURLE_OK)
                        return -EIO;
        }
        if (r->client_cert && (sym_curl_easy_setopt(r->easy, CURLOPT_SSLCERT, r->client_cert) != CURLE_OK ||
                               sym_curl_easy_setopt(r->easy, CURLOPT_SSLKEY, r->client_key) != CURLE_OK))
                return -EIO;

        if (r->kind == REQUEST_MANIFEST && request_add_header(r, "Accept: %s", MANIFEST_ACCEPT) < 0)
                return -ENOMEM;
        /* Big blobs arrive in fewer, larger pieces: fewer callbacks and fewer writes downstream. */
        if (r->kind == REQUEST_BLOB &&
            sym_curl_easy_setopt(r->easy, CURLOPT_BUFFERSIZE, (long) BLOB_BUFFER_SIZE) != CURLE_OK)
                return -EIO;
        if (r->kind == REQUEST_BLOB && r->delivered > 0 &&
            request_add_header(r, "Range: bytes=%" PRIu64 "-", r->delivered) < 0)
                return -ENOMEM;

        if (r->kind == REQUEST_TOKEN) {
                const RegistryCredentials *cr = r->credentials;

                if (r->form) {
                        if (sym_curl_easy_setopt(r->easy, CURLOPT_POSTFIELDS, r->form) != CURLE_OK)
                                return -EIO;
                } else if (cr && cr->username && !cr->identity_token) {
                        if (sym_curl_easy_setopt(r->easy, CURLOPT_HTTPAUTH, (long) CURLAUTH_BASIC) != CURLE_OK ||
                            sym_curl_easy_setopt(r->easy, CURLOPT_USERNAME, cr->username) != CURLE_OK ||
                            sym_curl_easy_setopt(r->easy, CURLOPT_PASSWORD, cr->password ?: "") != CURLE_OK)
                                return -EIO;
                }
        } else {
                _cleanup_free_ char *scope = NULL;
                const AuthCacheEntry *e;

                k = request_scope(r, &scope);
                if (k < 0)
                        return k;
                if (r->credentials && r->credentials->registry_token) {
                        if (request_add_header(r, "Authorization: Bearer %s", r->credentials->registry_token) < 0)
                                return -ENOMEM;
                } else if ((e = auth_cache_find(c, r->domain, scope)) && e->token) {
                        if (request_add_header(r, "Authorization: Bearer %s", e->token) < 0)
                                return -ENOMEM;
                } else if (auth_cache_find(c, r->domain, NULL) && r->credentials && r->credentials->username) {
                        if (sym_curl_easy_setopt(r->easy, CURLOPT_HTTPAUTH, (long) CURLAUTH_BASIC) != CURLE_OK ||
                            sym_curl_easy_setopt(r->easy, CURLOPT_USERNAME, r->credentials->username) != CURLE_OK ||
                            sym_curl_easy_setopt(r->easy, CURLOPT_PASSWORD, r->credentials->password ?: "") != CURLE_OK)
                                return -EIO;
                }
        }

        if (r->headers && sym_curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->headers) != CURLE_OK)
                return -EIO;
        return 0;
}

static int request_start(RegistryRequest *r) {
        int k;

        request_reset_response(r);
        k = request_configure(r);
        if (k < 0)
                return k;
        if (sym_curl_multi_add_handle(r->client->multi, r->easy) != CURLM_OK)
                return -EIO;
        r->in_multi = true;
        return 0;
}

static int on_retry_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        RegistryRequest *r = userdata;
        int k;

        r->retry_timer = sd_event_source_disable_unref(r->retry_timer);
        k = request_start(r);
        if (k < 0) {
                request_set_error(r, "cannot restart the request: %s", strerror(-k));
                request_finish(r, k);
        }
        return 0;
}

/* Schedules another attempt if any are left. Returns true if one was scheduled. */
static bool request_retry(RegistryRequest *r) {
        RegistryClient *c = r->client;
        uint64_t delay;

        if (r->retries >= c->max_retries)
                return false;
        delay = c->retry_delay_usec << MIN(r->retries, 16U);
        r->retries++;
        log_debug("Retrying %s in %" PRIu64 " ms (attempt %u of %u).", r->url ?: r->reference, delay / 1000,
                  r->retries + 1, c->max_retries + 1);
        if (sd_event_add_time_relative(c->event, &r->retry_timer, CLOCK_MONOTONIC, delay, 0, on_retry_timer, r) < 0)
                return false;
        return true;
}

static int errno_from_curl(CURLcode code) {
        switch (code) {
        case CURLE_COULDNT_CONNECT:
                return -ECONNREFUSED;
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
                return -EHOSTUNREACH;
        case CURLE_OPERATION_TIMEDOUT:
                return -ETIMEDOUT;
        case CURLE_OUT_OF_MEMORY:
                return -ENOMEM;
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CIPHER:
        case CURLE_SSL_CACERT_BADFILE:
                return -EPROTO;
        case CURLE_TOO_MANY_REDIRECTS:
                return -ELOOP;
        default:
                return -EIO;
        }
}

static bool curl_code_is_transient(CURLcode code) {
        return IN_SET((int) code, CURLE_COULDNT_CONNECT, CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_PARTIAL_FILE,
                      CURLE_GOT_NOTHING, CURLE_HTTP2, CURLE_HTTP2_STREAM);
}

static void token_completed(RegistryRequest *t, int error);

static int request_answer_challenge(RegistryRequest *r) {
        RegistryClient *c = r->client;
        _cleanup_free_ char *scope = NULL;
        const AuthChallenge *pick;
        AuthChallenge *list = NULL;
        RegistryRequest *t = NULL;
        AuthScheme scheme;
        size_t n = 0;
        int k;

        if (r->auth_answered || !r->challenge)
                return -EACCES;
        r->auth_answered = true;

        k = auth_challenges_parse(r->challenge, &list, &n);
        if (k < 0)
                return -EACCES;
        pick = auth_challenges_pick(list, n, &scheme);
        if (!pick) {
                auth_challenge_array_free(list, n);
                return -EACCES;
        }

        if (scheme == AUTH_SCHEME_BASIC) {
                auth_challenge_array_free(list, n);
                if (!r->credentials || !r->credentials->username)
                        return -EACCES;
                k = auth_cache_put(c, r->domain, NULL, NULL, true, UINT64_MAX / 2);
                if (k < 0)
                        return k;
                return request_start(r);
        }

        /* Bearer: ask the realm for a token for this repository, then try again. */
        t = calloc(1, sizeof(*t));
        if (!t) {
                auth_challenge_array_free(list, n);
                return -ENOMEM;
        }
        t->client = c;
        t->kind = REQUEST_TOKEN;
        t->insecure = r->insecure;
        t->domain = strdup(r->domain);
        t->path = strdup(r->path);
        t->easy = sym_curl_easy_init();
        k = request_scope(r, &scope);
        if (k >= 0 && (!t->domain || !t->path || !t->easy))
                k = -ENOMEM;
        if (k >= 0)
                k = auth_token_url(pick, r->path, &t->url);
        if (k >= 0)
                k = auth_token_scope(pick, r->path, &t->scope);
        if (k >= 0 && r->credentials) {
                k = registry_credentials_copy(r->credentials, &t->credentials);
                if (k >= 0 && r->credentials->identity_token) {
                        _cleanup_free_ char *realm = strdup(auth_challenge_get(pick, "realm"));
                        k = realm ? auth_token_form(pick, r->path, r->credentials->identity_token, &t->form) :
                                    -ENOMEM;
                        if (k >= 0)
                                free_and_replace(t->url, realm);
                }
        }
        auth_challenge_array_free(list, n);
        if (k < 0) {
                request_free(t);
                return k == -EBADMSG ? -EACCES : k;
        }
        /* Cache under our own scope, which is what later requests look up. */
        free_and_replace(t->scope, scope);

        t->next = c->requests;
        if (c->requests)
                c->requests->prev = t;
        c->requests = t;
        t->waiting = r;
        r->token_request = t;

        request_reset_response(t);
        k = request_configure(t);
        if (k >= 0 && sym_curl_multi_add_handle(c->multi, t->easy) != CURLM_OK)
                k = -EIO;
        if (k < 0) {
                request_free(t);
                return k;
        }
        t->in_multi = true;
        return 0;
}

static void token_completed(RegistryRequest *t, int error) {
        RegistryRequest *r = t->waiting;
        _cleanup_free_ char *token = NULL;
        uint64_t expires = 0;
        int k = error;

        if (k >= 0) {
                k = auth_token_response_parse(t->body ?: "", t->body_size, &token, &expires);
                if (k < 0)
                        request_set_error(t, "malformed token response from %s", t->url);
        }
        if (k >= 0)
                k = auth_cache_put(t->client, t->domain, t->scope, token, false, expires * 1000000U);
        if (r) {
                r->token_request = NULL;
                if (k >= 0)
                        k = request_start(r);
                if (k < 0) {
                        request_set_error(r, "authentication with %s failed: %s", r->domain,
                                          t->error_message ?: strerror(-k));
                        t->waiting = NULL;
                        request_free(t);
                        request_finish(r, -EACCES);
                        return;
                }
        }
        t->waiting = NULL;
        request_free(t);
}

static int request_verify_digest(RegistryRequest *r, const char *want, const unsigned char *md, unsigned md_len) {
        char hex[EVP_MAX_MD_SIZE * 2 + 1];
        const char *colon = strchr(want, ':');

        for (unsigned i = 0; i < md_len; i++)
                sprintf(hex + 2 * i, "%02x", md[i]);
        hex[md_len * 2] = '\0';
        if (!colon || !streq(colon + 1, hex)) {
                request_set_error(r, "digest mismatch for %s: got %.*s:%s", want, (int) (colon ? colon - want : 0),
                                  want, hex);
                return -EBADMSG;
        }
        return 0;
}

static const EVP_MD *md_for_digest(const char *digest) {
        if (startswith(digest, "sha256:"))
                return EVP_sha256();
        if (startswith(digest, "sha384:"))
                return EVP_sha384();
        if (startswith(digest, "sha512:"))
                return EVP_sha512();
        return NULL;
}

static void manifest_completed(RegistryRequest *r) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned md_len = 0;
        char digest[8 + EVP_MAX_MD_SIZE * 2 + 1];
        const EVP_MD *type = EVP_sha256();
        const char *name = "sha256";
        int k;

        if (reference_digest_is_valid(r->reference)) {
                type = md_for_digest(r->reference);
                name = streq(EVP_MD_get0_name(type), "SHA2-512") ? "sha512" :
                       streq(EVP_MD_get0_name(type), "SHA2-384") ? "sha384" : "sha256";
        }
        if (EVP_Digest(r->body ?: "", r->body_size, md, &md_len, type, NULL) != 1) {
                request_finish(r, -EIO);
                return;
        }
        if (reference_digest_is_valid(r->reference)) {
                k = request_verify_digest(r, r->reference, md, md_len);
                if (k < 0) {
                        request_finish(r, k);
                        return;
                }
        }
        k = snprintf(digest, sizeof(digest), "%s:", name);
        for (unsigned i = 0; i < md_len; i++)
                k += snprintf(digest + k, sizeof(digest) - k, "%02x", md[i]);

        if (r->manifest_handler)
                r->manifest_handler(r, 0, &(RegistryManifestReply) {
                        .content_type = r->content_type,
                        .digest = digest,
                        .body = r->body ?: "",
                        .size = r->body_size,
                }, r->userdata);
        request_free(r);
}

static void blob_completed(RegistryRequest *r) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned md_len = 0;
        int k;

        if (r->expected_size != UINT64_MAX && r->delivered != r->expected_size) {
                request_set_error(r, "blob %s is %" PRIu64 " bytes, expected %" PRIu64, r->reference, r->delivered,
                                  r->expected_size);
                request_finish(r, -EBADMSG);
                return;
        }
        if (r->caller_verifies) {
                request_finish(r, 0);
                return;
        }
        if (EVP_DigestFinal_ex(r->md_ctx, md, &md_len) != 1) {
                request_finish(r, -EIO);
                return;
        }
        k = request_verify_digest(r, r->reference, md, md_len);
        request_finish(r, k);
}

static void request_completed(RegistryRequest *r, CURLcode code) {
        int k;

        if (r->write_error != 0) {
                request_finish(r, r->write_error);
                return;
        }

        if (code != CURLE_OK) {
                /* An insecure registry that does not speak TLS: use plain HTTP, right away. */
                if (r->insecure && r->kind != REQUEST_TOKEN && streq(scheme_of(r), "https") &&
                    IN_SET((int) code, CURLE_SSL_CONNECT_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING)) {
                        log_debug("%s does not speak TLS, using plain HTTP.", r->domain);
                        k = host_set_http(r->client, r->domain);
                        if (k >= 0)
                                k = request_start(r);
                        if (k < 0)
                                request_finish(r, k);
                        return;
                }
                request_set_error(r, "%s: %s", r->url, sym_curl_easy_strerror(code));
                if (curl_code_is_transient(code) && request_retry(r))
                        return;
                request_finish(r, errno_from_curl(code));
                return;
        }

        (void) sym_curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &r->status);
        if (r->status == 401 && r->kind != REQUEST_TOKEN) {
                k = request_answer_challenge(r);
                if (k < 0) {
                        request_set_error(r, "%s: unauthorized (HTTP 401)", r->url);
                        request_finish(r, k);
                }
                return;
        }
        if (r->status == 429 || r->status >= 500) {
                request_set_error(r, "%s: HTTP %ld", r->url, r->status);
                if (request_retry(r))
                        return;
                request_finish(r, -EIO);
                return;
        }
        if (r->status == 404) {
                request_set_error(r, "%s: not found (HTTP 404)", r->url);
                request_finish(r, -ENOENT);
                return;
        }
        if (IN_SET(r->status, 401, 403)) {
                request_set_error(r, "%s: access denied (HTTP %ld)", r->url, r->status);
                request_finish(r, -EACCES);
                return;
        }
        if (r->status < 200 || r->status >= 300 || (r->kind == REQUEST_BLOB && r->delivered > 0 &&
                                                     !IN_SET(r->status, 200, 206))) {
                request_set_error(r, "%s: unexpected HTTP status %ld", r->url, r->status);
                request_finish(r, -EPROTO);
                return;
        }

        switch (r->kind) {
        case REQUEST_MANIFEST:
                manifest_completed(r);
                break;
        case REQUEST_BLOB:
                blob_completed(r);
                break;
        case REQUEST_TOKEN:
                token_completed(r, 0);
                break;
        }
}

/* Runs the caller's callback with an error (or blob success) and frees the request. */
static void request_finish(RegistryRequest *r, int error) {
        if (error < 0 && !r->error_message)
                request_set_error(r, "%s", strerror(-error));
        request_detach(r);

        switch (r->kind) {
        case REQUEST_MANIFEST:
                if (r->manifest_handler)
                        r->manifest_handler(r, error, NULL, r->userdata);
                break;
        case REQUEST_BLOB:
                if (r->done)
                        r->done(r, error, r->userdata);
                break;
        case REQUEST_TOKEN:
                token_completed(r, error);
                return;
        }
        request_free(r);
}

static int request_new(RegistryClient *c, RequestKind kind, const RegistryTarget *t, const char *reference,
                       RegistryRequest **ret) {
        RegistryRequest *r;
        int k = 0;

        if (!t || !t->domain || !t->path || !reference_domain_is_valid(t->domain) ||
            !reference_path_is_valid(t->path))
                return -EINVAL;
        k = client_open_transport(c);
        if (k < 0)
                return k;

        r = calloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        r->client = c;
        r->kind = kind;
        r->insecure = t->insecure;
        r->domain = strdup(t->domain);
        r->path = strdup(t->path);
        r->reference = strdup(reference);
        r->easy = sym_curl_easy_init();
        if (!r->domain || !r->path || !r->reference || !r->easy)
                k = -ENOMEM;
        if (k >= 0 && t->credentials)
                k = registry_credentials_copy(t->credentials, &r->credentials);
        if (k >= 0 && kind != REQUEST_TOKEN)
                k = request_load_certs(r);
        if (k < 0) {
                request_free(r);
                return k;
        }
        r->next = c->requests;
        if (c->requests)
                c->requests->prev = r;
        c->requests = r;
        *ret = r;
        return 0;
}

int registry_client_get_manifest(RegistryClient *c, const RegistryTarget *t, const char *reference,
                                 registry_manifest_handler_t handler, void *userdata, RegistryRequest **ret) {
        RegistryRequest *r;
        int k;

        if (!reference || (!reference_tag_is_valid(reference) && !reference_digest_is_valid(reference)))
                return -EINVAL;
        k = request_new(c, REQUEST_MANIFEST, t, reference, &r);
        if (k < 0)
                return k;
        r->manifest_handler = handler;
        r->userdata = userdata;
        k = request_start(r);
        if (k < 0) {
                request_free(r);
                return k;
        }
        if (ret)
                *ret = r;
        return 0;
}

int registry_client_get_blob(RegistryClient *c, const RegistryTarget *t, const char *digest, uint64_t size,
                             registry_blob_write_t write, registry_blob_done_t done, void *userdata,
                             RegistryRequest **ret) {
        RegistryRequest *r;
        int k;

        if (!digest || !reference_digest_is_valid(digest) || !write)
                return -EINVAL;
        k = request_new(c, REQUEST_BLOB, t, digest, &r);
        if (k < 0)
                return k;
        r->expected_size = size;
        r->write = write;
        r->done = done;
        r->userdata = userdata;
        r->md = md_for_digest(digest);
        r->md_ctx = EVP_MD_CTX_new();
        if (!r->md_ctx || EVP_DigestInit_ex(r->md_ctx, r->md, NULL) != 1) {
                request_free(r);
                return -ENOMEM;
        }
        k = request_start(r);
        if (k < 0) {
                request_free(r);
                return k;
        }
        if (ret)
                *ret = r;
        return 0;
}
