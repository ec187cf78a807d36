/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "stream-internal.h"

/* Files are often replaced in several steps (the certificate, then the key; a Kubernetes secret
 * volume swaps a symlink): a burst of changes is read once, after it settles. */
#define TLS_RELOAD_DELAY_USEC (100U * 1000U)
#define TLS_FILE_MAX (4U * 1024U * 1024U)

/* ---- a BIO on the non-blocking socket ---- */

/* OpenSSL's own socket BIO write()s, which raises SIGPIPE when the client is gone: ours uses send()
 * with MSG_NOSIGNAL, and recv(). */
static BIO_METHOD *fd_bio_method;

static int fd_bio_write(BIO *b, const char *data, int size) {
        int fd = (int) (intptr_t) BIO_get_data(b);
        ssize_t n;

        BIO_clear_retry_flags(b);
        n = send(fd, data, (size_t) size, MSG_NOSIGNAL);
        if (n < 0) {
                if (IN_SET(errno, EAGAIN, EINTR))
                        BIO_set_retry_write(b);
                return -1;
        }
        return (int) n;
}

static int fd_bio_read(BIO *b, char *buf, int size) {
        int fd = (int) (intptr_t) BIO_get_data(b);
        ssize_t n;

        BIO_clear_retry_flags(b);
        n = recv(fd, buf, (size_t) size, 0);
        if (n < 0) {
                if (IN_SET(errno, EAGAIN, EINTR))
                        BIO_set_retry_read(b);
                return -1;
        }
        return (int) n;
}

static long fd_bio_ctrl(BIO *b, int cmd, long num, void *ptr) {
        /* Nothing is buffered here: a flush is always done, every other request is unsupported. */
        return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int fd_bio_create(BIO *b) {
        BIO_set_init(b, 1);
        return 1;
}

static BIO_METHOD *get_fd_bio_method(void) {
        BIO_METHOD *m;

        /* Made once and kept for the life of the process, as OpenSSL's own methods are. */
        if (fd_bio_method)
                return fd_bio_method;
        m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "crio stream socket");
        if (!m)
                return NULL;
        if (BIO_meth_set_write(m, fd_bio_write) != 1 || BIO_meth_set_read(m, fd_bio_read) != 1 ||
            BIO_meth_set_ctrl(m, fd_bio_ctrl) != 1 || BIO_meth_set_create(m, fd_bio_create) != 1) {
                BIO_meth_free(m);
                return NULL;
        }
        fd_bio_method = m;
        return m;
}

int stream_tls_new_session(StreamServer *s, int fd, SSL **ret) {
        BIO_METHOD *method = get_fd_bio_method();
        SSL *ssl;
        BIO *bio;

        if (!method || !s->ssl_ctx)
                return -ENOMEM;
        ssl = SSL_new(s->ssl_ctx);
        if (!ssl)
                return -ENOMEM;
        bio = BIO_new(method);
        if (!bio) {
                SSL_free(ssl);
                return -ENOMEM;
        }
        BIO_set_data(bio, (void *) (intptr_t) fd);
        SSL_set_bio(ssl, bio, bio);
        SSL_set_accept_state(ssl);
        *ret = ssl;
        return 0;
}

/* ---- loading the files ---- */

/* OpenSSL's queued errors as one line, for the log. */
static char *ssl_errors(void) {
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);
        unsigned long e;
        bool first = true;

        if (!f) {
                ERR_clear_error();
                return NULL;
        }
        while ((e = ERR_get_error()) != 0) {
                char buf[256];

                ERR_error_string_n(e, buf, sizeof(buf));
                fprintf(f, "%s%s", first ? "" : "; ", buf);
                first = false;
        }
        if (first)
                fputs("unknown error", f);
        if (fclose(f) != 0)
                return mfree(text);
        return text;
}

typedef struct TlsFiles {
        char *cert, *key, *ca;
        size_t cert_size, key_size, ca_size;
        uint8_t digest[EVP_MAX_MD_SIZE];
} TlsFiles;

static void tls_files_done(TlsFiles *f) {
        free(f->cert);
        if (f->key) {
                /* The private key does not linger in freed memory. */
                OPENSSL_cleanse(f->key, f->key_size);
                free(f->key);
        }
        free(f->ca);
}

static int tls_files_read(StreamServer *s, TlsFiles *f, char **ret_why) {
        const struct {
                const char *what, *path;
                char **data;
                size_t *size;
        } files[] = {
                { "certificate", s->tls_cert, &f->cert, &f->cert_size },
                { "key", s->tls_key, &f->key, &f->key_size },
                { "CA", s->tls_ca, &f->ca, &f->ca_size },
        };
        EVP_MD_CTX *md;
        bool ok = true;
        int r;

        md = EVP_MD_CTX_new();
        if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
                EVP_MD_CTX_free(md);
                return -ENOMEM;
        }
        for (size_t k = 0; k < ELEMENTSOF(files); k++) {
                uint64_t len;

                if (!files[k].path)
                        continue;
                r = read_full_file_at(AT_FDCWD, files[k].path, TLS_FILE_MAX, 0, files[k].data, files[k].size);
                if (r < 0) {
                        EVP_MD_CTX_free(md);
                        (void) asprintf(ret_why, "cannot read the %s %s: %s", files[k].what, files[k].path,
                                        strerror(-r));
                        return r;
                }
                /* Lengths go in too, so moving bytes from one file to the next changes the digest. */
                len = *files[k].size;
                ok = ok && EVP_DigestUpdate(md, &len, sizeof(len)) == 1 &&
                     EVP_DigestUpdate(md, *files[k].data, *files[k].size) == 1;
        }
        ok = ok && EVP_DigestFinal_ex(md, f->digest, NULL) == 1;
        EVP_MD_CTX_free(md);
        return ok ? 0 : -ENOMEM;
}

static BIO *mem_bio(const char *data, size_t size) {
        return BIO_new_mem_buf(data, (int) MIN(size, (size_t) INT32_MAX));
}

/* The certificate with the chain after it, as a PEM file holds them. */
static int use_certificate_chain(SSL_CTX *ctx, const TlsFiles *f) {
        BIO *bio = mem_bio(f->cert, f->cert_size);
        X509 *x;
        int ok;

        if (!bio)
                return 0;
        x = PEM_read_bio_X509_AUX(bio, NULL, NULL, NULL);
        ok = x && SSL_CTX_use_certificate(ctx, x) == 1;
        X509_free(x);
        while (ok) {
                x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
                if (!x) {
                        /* The end of the file is no error. */
                        if (ERR_GET_REASON(ERR_peek_last_error()) == PEM_R_NO_START_LINE)
                                ERR_clear_error();
                        break;
                }
                if (SSL_CTX_add0_chain_cert(ctx, x) != 1) {
                        X509_free(x);
                        ok = 0;
                }
        }
        BIO_free(bio);
        return ok && ERR_peek_error() == 0;
}

static int use_private_key(SSL_CTX *ctx, const TlsFiles *f) {
        BIO *bio = mem_bio(f->key, f->key_size);
        EVP_PKEY *key;
        int ok;

        if (!bio)
                return 0;
        key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
        ok = key && SSL_CTX_use_PrivateKey(ctx, key) == 1;
        EVP_PKEY_free(key);
        BIO_free(bio);
        return ok;
}

/* Clients must present a certificate one of these signed; the list is also sent to them. */
static int use_client_cas(SSL_CTX *ctx, const TlsFiles *f) {
        X509_STORE *store = SSL_CTX_get_cert_store(ctx);
        BIO *bio = mem_bio(f->ca, f->ca_size);
        unsigned n = 0;
        X509 *x;

        if (!bio)
                return 0;
        while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
                int ok = X509_STORE_add_cert(store, x) == 1 && SSL_CTX_add_client_CA(ctx, x) == 1;

                X509_free(x);
                if (!ok) {
                        BIO_free(bio);
                        return 0;
                }
                n++;
        }
        BIO_free(bio);
        if (n == 0)
                return 0;
        ERR_clear_error();
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
        return 1;
}

static int tls_context_new(const TlsFiles *f, SSL_CTX **ret, char **ret_why) {
        SSL_CTX *ctx;
        const char *step;
        char *errors;

        ERR_clear_error();
        ctx = SSL_CTX_new(TLS_server_method());
        if (!ctx)
                return -ENOMEM;
        /* TLS 1.2 at least, as CRI-O. Sessions are not resumed: each connection is verified against
         * the files in force, also right after they changed. */
        (void) SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
        SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET | SSL_OP_CIPHER_SERVER_PREFERENCE);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
        /* A client that closes without close_notify has just left (OpenSSL 3). */
        SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
        (void) SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
        (void) SSL_CTX_set_num_tickets(ctx, 0);
        /* Our output buffer grows and moves between a write that would block and its retry. */
        SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
        /* Records are read from the socket 64 KiB at a time rather than one by one (what OpenSSL
         * holds back then is fetched from the loop: SSL_has_pending()). */
        SSL_CTX_set_read_ahead(ctx, 1);
        SSL_CTX_set_default_read_buffer_len(ctx, 64 * 1024);

        if (!use_certificate_chain(ctx, f))
                step = "the certificate";
        else if (!use_private_key(ctx, f))
                step = "the key";
        else if (SSL_CTX_check_private_key(ctx) != 1)
                step = "the key against the certificate";
        else if (f->ca && !use_client_cas(ctx, f))
                step = "the CA";
        else {
                *ret = ctx;
                return 0;
        }
        SSL_CTX_free(ctx);
        errors = ssl_errors();
        (void) asprintf(ret_why, "cannot use %s: %s", step, errors ?: "out of memory");
        free(errors);
        return -EBADMSG;
}

/* ---- watching the files ---- */

static int tls_reload_now(StreamServer *s, bool first, char **ret_why) {
        _cleanup_(tls_files_done) TlsFiles f = {};
        SSL_CTX *ctx = NULL;
        int r;

        r = tls_files_read(s, &f, ret_why);
        if (r < 0)
                return r;
        /* A change elsewhere in a watched directory, or files rewritten with the same bytes. */
        if (!first && memcmp(f.digest, s->tls_digest, sizeof(f.digest)) == 0)
                return 0;
        r = tls_context_new(&f, &ctx, ret_why);
        if (r < 0)
                return r;
        /* Connections keep the context they started with (SSL_new() took a reference). */
        if (s->ssl_ctx)
                SSL_CTX_free(s->ssl_ctx);
        s->ssl_ctx = ctx;
        memcpy(s->tls_digest, f.digest, sizeof(f.digest));
        return 1;
}

int stream_tls_reload(StreamServer *s) {
        _cleanup_free_ char *why = NULL;
        int r;

        r = tls_reload_now(s, false, &why);
        if (r < 0) {
                s->n_tls_reload_failures++;
                if (r == -ENOMEM && !why)
                        return log_oom();
                return log_warning_errno(r, "Failed to reload the TLS files of the streaming server, "
                                         "keeping the ones in use: %s", why ?: strerror(-r));
        }
        if (r > 0) {
                s->n_tls_reloads++;
                log_info("Reloaded the TLS certificate of the streaming server from %s.", s->tls_cert);
        }
        return r;
}

static int tls_watch_directories(StreamServer *s);

static int on_tls_reload_timer(sd_event_source *source, uint64_t usec, void *userdata) {
        StreamServer *s = userdata;

        /* Symlinks may point elsewhere now. */
        (void) tls_watch_directories(s);
        (void) stream_tls_reload(s);
        return 0;
}

static int on_tls_inotify(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        StreamServer *s = userdata;
        uint8_t buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

        /* What changed does not matter: the files are read again once changes settle, and the
         * directories watched again then (a watched one may have gone, a symlink moved). */
        if (read(fd, buf, sizeof(buf)) < 0 && !IN_SET(errno, EAGAIN, EINTR))
                return log_warning_errno(errno, "Failed to read inotify events, ignoring: %m");
        (void) sd_event_source_set_time_relative(s->tls_reload_timer, TLS_RELOAD_DELAY_USEC);
        (void) sd_event_source_set_enabled(s->tls_reload_timer, SD_EVENT_ONESHOT);
        return 0;
}

static int watch_directory_of(StreamServer *s, const char *path) {
        _cleanup_free_ char *dir = NULL;
        const char *slash = strrchr(path, '/');

        dir = slash == path ? strdup("/") : strndup(path, (size_t) (slash - path));
        if (!dir)
                return -ENOMEM;
        /* Every change in the directory counts: a secret volume replaces a symlink, not our file. */
        if (inotify_add_watch(s->inotify_fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE |
                                                  IN_DELETE | IN_ATTRIB | IN_MOVE_SELF | IN_DELETE_SELF |
                                                  IN_ONLYDIR) < 0)
                return log_warning_errno(errno, "Failed to watch %s for TLS file changes, ignoring: %m", dir);
        return 0;
}

static int tls_watch_directories(StreamServer *s) {
        int r = 0;

        if (s->inotify_fd < 0)
                return 0;
        /* The directory named in the configuration, and the one the file really is in when that is
         * a symlink (its target may be rewritten in place). Adding a directory watched already just
         * returns its watch; the watch of a directory removed goes by itself. */
        for (unsigned k = 0; k < 3; k++) {
                const char *path = k == 0 ? s->tls_cert : k == 1 ? s->tls_key : s->tls_ca;
                _cleanup_free_ char *resolved = NULL;

                if (!path)
                        continue;
                r = watch_directory_of(s, path);
                resolved = realpath(path, NULL);
                if (resolved && !streq(resolved, path))
                        (void) watch_directory_of(s, resolved);
        }
        return r;
}

int stream_tls_setup(StreamServer *s) {
        _cleanup_free_ char *why = NULL;
        int r;

        if (!s->tls_cert || s->tls_cert[0] != '/' || !s->tls_key || s->tls_key[0] != '/' ||
            (s->tls_ca && s->tls_ca[0] != '/'))
                return log_error_errno(EINVAL, "TLS for the streaming server needs absolute paths of "
                                       "stream_tls_cert and stream_tls_key.");
        r = tls_reload_now(s, true, &why);
        if (r == -ENOMEM && !why)
                return log_oom();
        if (r < 0)
                return log_error_errno(r, "Failed to set up TLS for the streaming server: %s",
                                       why ?: strerror(-r));

        s->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (s->inotify_fd < 0)
                return log_error_errno(errno, "Failed to create an inotify instance: %m");
        r = sd_event_add_io(s->event, &s->inotify_source, s->inotify_fd, EPOLLIN, on_tls_inotify, s);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(s->inotify_source, "stream-tls-inotify");
        r = sd_event_add_time_relative(s->event, &s->tls_reload_timer, CLOCK_MONOTONIC, TLS_RELOAD_DELAY_USEC,
                                       /* accuracy= */ 10000, on_tls_reload_timer, s);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(s->tls_reload_timer, SD_EVENT_OFF);
        (void) sd_event_source_set_description(s->tls_reload_timer, "stream-tls-reload");
        /* Failing to watch is survivable: the files in use stay in use. */
        (void) tls_watch_directories(s);
        log_info("TLS enabled for the streaming server (certificate %s%s%s).", s->tls_cert,
                 s->tls_ca ? ", client certificates verified against " : "", s->tls_ca ?: "");
        return 0;
}

void stream_tls_done(StreamServer *s) {
        s->tls_reload_timer = sd_event_source_disable_unref(s->tls_reload_timer);
        s->inotify_source = sd_event_source_disable_unref(s->inotify_source);
        s->inotify_fd = safe_close(s->inotify_fd);
        if (s->ssl_ctx)
                SSL_CTX_free(s->ssl_ctx);
        s->ssl_ctx = NULL;
}
