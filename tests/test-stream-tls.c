/* SPDX-License-Identifier: Apache-2.0 */
/* The streaming server's TLS in-process: files that do not make a working pair refuse the start,
 * changes on disk are taken (also a secret volume's symlink swap), broken ones are refused while
 * the pair in use stays, and a client thread's handshake sees the certificate in force. */
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "stream-server.h"
#include "streaming-test-backend.h"
#include "tap.h"

static char dir[] = "/tmp/test-stream-tls-XXXXXX";

typedef struct Pair {
        char *cert, *key;               /* PEM */
} Pair;

/* A self-signed EC P-256 certificate for 127.0.0.1 named cn, and its key. */
static Pair make_pair(const char *cn) {
        EVP_PKEY *key = EVP_EC_gen("P-256");
        X509 *x = X509_new();
        X509_NAME *name;
        BIO *b;
        Pair p = {};
        char *data;
        long n;

        if (!key || !x)
                abort();
        (void) ASN1_INTEGER_set(X509_get_serialNumber(x), (long) random());
        (void) X509_gmtime_adj(X509_getm_notBefore(x), -60);
        (void) X509_gmtime_adj(X509_getm_notAfter(x), 3600);
        (void) X509_set_pubkey(x, key);
        name = X509_get_subject_name(x);
        (void) X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *) cn, -1, -1, 0);
        (void) X509_set_issuer_name(x, name);
        if (X509_sign(x, key, EVP_sha256()) <= 0)
                abort();
        b = BIO_new(BIO_s_mem());
        (void) PEM_write_bio_X509(b, x);
        n = BIO_get_mem_data(b, &data);
        p.cert = strndup(data, (size_t) n);
        BIO_free(b);
        b = BIO_new(BIO_s_mem());
        (void) PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL);
        n = BIO_get_mem_data(b, &data);
        p.key = strndup(data, (size_t) n);
        BIO_free(b);
        X509_free(x);
        EVP_PKEY_free(key);
        return p;
}

static void put(const char *name, const char *text) {
        _cleanup_free_ char *path = NULL;

        if (asprintf(&path, "%s/%s", dir, name) < 0 ||
            write_file_atomic_at(AT_FDCWD, path, text, strlen(text), 0600) < 0)
                abort();
}

static char *path_of(const char *name) {
        char *p;

        if (asprintf(&p, "%s/%s", dir, name) < 0)
                abort();
        return p;
}

static int start(sd_event *e, TestBackend *backend, const char *cert, const char *key, const char *ca,
                 StreamServer **ret) {
        _cleanup_free_ char *c = path_of(cert), *k = path_of(key), *a = ca ? path_of(ca) : NULL;

        return stream_server_new(e, &(StreamServerSettings) {
                        .address = "127.0.0.1",
                        .enable_tls = true,
                        .tls_cert = c,
                        .tls_key = k,
                        .tls_ca = a,
                }, &test_backend_vtable, backend, ret);
}

static int64_t now_usec(void) {
        struct timespec t;

        (void) clock_gettime(CLOCK_MONOTONIC, &t);
        return (int64_t) t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static void run_for(sd_event *e, int64_t usec) {
        int64_t end = now_usec() + usec;

        while (now_usec() < end)
                (void) sd_event_run(e, 20000);
}

static void test_start_refused(sd_event *e, TestBackend *backend, const Pair *a, const Pair *b) {
        StreamServer *s = NULL;

        put("a.crt", a->cert);
        put("a.key", a->key);
        put("b.key", b->key);
        put("garbage", "not PEM at all\n");
        TAP_IS_INT(start(e, backend, "missing.crt", "a.key", NULL, &s), -ENOENT,
                   "a missing certificate refuses the start");
        TAP_IS_INT(start(e, backend, "a.crt", "b.key", NULL, &s), -EBADMSG, "a key of another certificate too");
        TAP_IS_INT(start(e, backend, "garbage", "a.key", NULL, &s), -EBADMSG, "a file that is no certificate too");
        TAP_IS_INT(start(e, backend, "a.crt", "a.key", "garbage", &s), -EBADMSG,
                   "a CA file without a certificate too");
        TAP_OK(!s, "no server then");
}

typedef struct Probe {
        uint16_t port;
        bool done;
        char subject[128];
        char reply[64];
} Probe;

/* A blocking TLS client: the subject of the certificate shown, and the start of the answer to a
 * request for an unknown token. */
static void *probe_thread(void *userdata) {
        Probe *p = userdata;
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(p->port),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
        SSL *ssl = NULL;
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        if (ctx && fd >= 0 && connect(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0) {
                ssl = SSL_new(ctx);
                (void) SSL_set_fd(ssl, fd);
                if (SSL_connect(ssl) == 1) {
                        X509 *x = SSL_get1_peer_certificate(ssl);
                        static const char request[] = "POST /exec/nosuchtoken HTTP/1.1\r\nHost: x\r\n\r\n";

                        if (x)
                                (void) X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName,
                                                                 p->subject, sizeof(p->subject));
                        X509_free(x);
                        if (SSL_write(ssl, request, sizeof(request) - 1) > 0)
                                (void) SSL_read(ssl, p->reply, sizeof(p->reply) - 1);
                }
        }
        SSL_free(ssl);
        SSL_CTX_free(ctx);
        if (fd >= 0)
                close(fd);
        ERR_clear_error();
        __atomic_store_n(&p->done, true, __ATOMIC_SEQ_CST);
        return NULL;
}

static void probe(sd_event *e, StreamServer *s, Probe *p) {
        pthread_t t;

        *p = (Probe) { .port = stream_server_get_port(s) };
        if (pthread_create(&t, NULL, probe_thread, p) != 0)
                abort();
        for (unsigned k = 0; k < 500 && !__atomic_load_n(&p->done, __ATOMIC_SEQ_CST); k++)
                (void) sd_event_run(e, 10000);
        (void) pthread_join(t, NULL);
}

static void reloads(StreamServer *s, unsigned *ok, unsigned *failed) {
        stream_server_get_tls_reloads(s, ok, failed);
}

static void test_reload(sd_event *e, TestBackend *backend, const Pair *a, const Pair *b) {
        _cleanup_(stream_server_freep) StreamServer *s = NULL;
        _cleanup_free_ char *url = NULL, *data = path_of("..data"), *v1 = path_of("..v1"), *v2 = path_of("..v2"),
                *tmp = path_of("..data_tmp"), *crt = path_of("tls.crt"), *key = path_of("tls.key");
        StreamRequest *req = NULL;
        unsigned ok, failed;
        Probe p;

        /* Laid out as a Kubernetes secret volume: tls.crt -> ..data/tls.crt, ..data -> ..v1. */
        if (mkdir(v1, 0700) < 0 || symlink("..v1", data) < 0 || symlink("..data/tls.crt", crt) < 0 ||
            symlink("..data/tls.key", key) < 0)
                abort();
        put("..v1/tls.crt", a->cert);
        put("..v1/tls.key", a->key);
        TAP_IS_INT(start(e, backend, "tls.crt", "tls.key", NULL, &s), 0, "starts with pair a");
        TAP_IS_INT(stream_request_new(STREAM_REQUEST_EXEC, &req), 0, "a request");
        req->container_id = strdup("c");
        TAP_IS_INT(stream_server_get_url(s, req, &url), 0, "its URL");
        TAP_OK(url && strncmp(url, "https://127.0.0.1:", 18) == 0, "starts with https://: %s", url ?: "(null)");
        probe(e, s, &p);
        TAP_IS_STR(p.subject, "pair-a", "a client sees pair a");
        TAP_OK(strncmp(p.reply, "HTTP/1.1 404", 12) == 0, "and gets HTTP over TLS: %.12s", p.reply);

        /* The same bytes written again: nothing to reload. */
        put("..v1/tls.crt", a->cert);
        run_for(e, 300000);
        reloads(s, &ok, &failed);
        TAP_OK(ok == 0 && failed == 0, "unchanged files are not reloaded (%u, %u)", ok, failed);

        /* Certificate b with key a: refused, a stays. */
        put("..v1/tls.crt", b->cert);
        run_for(e, 300000);
        reloads(s, &ok, &failed);
        TAP_OK(ok == 0 && failed == 1, "a mismatched pair is refused (%u, %u)", ok, failed);
        probe(e, s, &p);
        TAP_IS_STR(p.subject, "pair-a", "pair a is still shown");

        /* Its key arrives: b is taken. */
        put("..v1/tls.key", b->key);
        run_for(e, 300000);
        reloads(s, &ok, &failed);
        TAP_OK(ok == 1 && failed == 1, "the completed pair is taken (%u, %u)", ok, failed);
        probe(e, s, &p);
        TAP_IS_STR(p.subject, "pair-b", "pair b is shown");

        /* The volume's swap: a new directory, ..data renamed over. */
        if (mkdir(v2, 0700) < 0)
                abort();
        put("..v2/tls.crt", a->cert);
        put("..v2/tls.key", a->key);
        if (symlink("..v2", tmp) < 0 || rename(tmp, data) < 0)
                abort();
        run_for(e, 300000);
        reloads(s, &ok, &failed);
        TAP_OK(ok == 2 && failed == 1, "a symlink swap is seen (%u, %u)", ok, failed);
        probe(e, s, &p);
        TAP_IS_STR(p.subject, "pair-a", "pair a is shown again");
}

int main(void) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        TestBackend backend = {};
        Pair a, b;
        char *cmd;

        if (getenv("TEST_DEBUG"))
                log_set_max_level(LOG_DEBUG);
        if (!mkdtemp(dir) || sd_event_new(&e) < 0)
                return 1;
        backend.event = e;
        a = make_pair("pair-a");
        b = make_pair("pair-b");
        test_start_refused(e, &backend, &a, &b);
        test_reload(e, &backend, &a, &b);
        free(a.cert);
        free(a.key);
        free(b.cert);
        free(b.key);
        if (asprintf(&cmd, "rm -rf '%s'", dir) > 0)
                (void) system(cmd);
        free(cmd);
        return tap_done();
}
