/* SPDX-License-Identifier: Apache-2.0 */
/* The streaming server with the test backend, for tests/integration/test_streaming.py and the
 * benchmark. Prints "port <n>", then reads commands on stdin, one a line, and answers each with a
 * line:
 *   exec <tty> <stdin> <stdout> <stderr> <argv...>   -> the URL (arguments percent-encoded)
 *   attach <tty> <stdin> <stdout> <stderr>           -> the URL
 *   portforward [port,...]                           -> the URL
 *   stats                                            -> "started= cancelled= released= live= connections= fds= width= height=
 *                                                       tls_reloads= tls_failures="
 * STREAMING_TLS_CERT, _KEY and _CA in the environment turn TLS on.
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "stream-server.h"
#include "streaming-test-backend.h"
#include "strv.h"

static TestBackend backend;
static StreamServer *server;

static unsigned count_fds(void) {
        DIR *d = opendir("/proc/self/fd");
        struct dirent *de;
        unsigned n = 0;

        if (!d)
                return 0;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        n++;
        closedir(d);
        return n - 1;           /* the directory's own fd */
}

/* Arguments come percent-encoded, so they may hold spaces. */
static void unescape(char *s) {
        char *o = s;

        for (; *s; s++)
                if (s[0] == '%' && s[1] && s[2]) {
                        char hex[3] = { s[1], s[2], 0 };

                        *o++ = (char) strtoul(hex, NULL, 16);
                        s += 2;
                } else
                        *o++ = *s;
        *o = '\0';
}

static void answer(const char *line) {
        printf("%s\n", line);
        fflush(stdout);
}

static void handle_command(char *line) {
        _cleanup_strv_free_ char **words = NULL;
        _cleanup_(stream_request_freep) StreamRequest *req = NULL;
        _cleanup_free_ char *url = NULL;
        StreamRequestType type;
        char *save = NULL;
        int r;

        for (char *w = strtok_r(line, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save))
                if (strv_push(&words, w) < 0)
                        return answer("error oom");
        if (strv_isempty(words))
                return;
        if (strcmp(words[0], "stats") == 0) {
                unsigned reloads, failures;
                char buf[320];

                stream_server_get_tls_reloads(server, &reloads, &failures);
                snprintf(buf, sizeof(buf), "started=%u cancelled=%u released=%u live=%u connections=%u fds=%u width=%u height=%u "
                         "tls_reloads=%u tls_failures=%u",
                         backend.n_started, backend.n_cancelled, backend.n_released, backend.n_live,
                         stream_server_get_n_connections(server), count_fds(), backend.last_width, backend.last_height,
                         reloads, failures);
                return answer(buf);
        }
        type = stream_request_type_from_string(words[0]);
        if (type < 0 || stream_request_new(type, &req) < 0)
                return answer("error bad command");
        if (type == STREAM_REQUEST_PORT_FORWARD) {
                req->pod_sandbox_id = strdup("testpod");
                for (char *p = words[1]; p && *p;) {
                        req->ports = reallocarray(req->ports, req->n_ports + 1, sizeof(uint16_t));
                        req->ports[req->n_ports++] = (uint16_t) strtoul(p, &p, 10);
                        if (*p == ',')
                                p++;
                }
        } else {
                if (strv_length(words) < 5)
                        return answer("error bad command");
                req->container_id = strdup(type == STREAM_REQUEST_EXEC ? "testctr" : words[5] ?: "testctr");
                req->tty = words[1][0] == '1';
                req->stdin = words[2][0] == '1';
                req->stdout = words[3][0] == '1';
                req->stderr = words[4][0] == '1';
                if (type == STREAM_REQUEST_EXEC && strv_copy(words + 5, &req->cmd) < 0)
                        return answer("error oom");
                for (char **a = req->cmd; a && *a; a++)
                        unescape(*a);
        }
        r = stream_server_get_url(server, TAKE_PTR(req), &url);
        if (r < 0)
                return answer("error no url");
        answer(url);
}

static int on_stdin(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        static char buf[65536];
        static size_t n;
        ssize_t k;
        char *nl;

        k = read(fd, buf + n, sizeof(buf) - 1 - n);
        if (k <= 0)
                return sd_event_exit(sd_event_source_get_event(s), 0);
        n += (size_t) k;
        buf[n] = '\0';
        while ((nl = strchr(buf, '\n'))) {
                *nl = '\0';
                handle_command(buf);
                memmove(buf, nl + 1, n - (size_t) (nl + 1 - buf) + 1);
                n -= (size_t) (nl + 1 - buf);
        }
        return 0;
}

int main(int argc, char *argv[]) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        sd_event_source *in = NULL;
        sigset_t mask;
        int r;

        log_set_max_level(getenv("STREAMING_DEBUG") ? LOG_DEBUG : LOG_WARNING);
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigaddset(&mask, SIGPIPE);
        (void) sigprocmask(SIG_BLOCK, &mask, NULL);

        r = sd_event_new(&e);
        if (r < 0)
                return 1;
        backend.event = e;
        r = stream_server_new(e, &(StreamServerSettings) {
                        .address = "127.0.0.1",
                        .port = 0,
                        .idle_timeout_usec = argc > 1 ? strtoull(argv[1], NULL, 10) * 1000U : 0,
                        /* TLS when STREAMING_TLS_CERT and _KEY (and maybe _CA) name files. */
                        .enable_tls = !!getenv("STREAMING_TLS_CERT"),
                        .tls_cert = getenv("STREAMING_TLS_CERT"),
                        .tls_key = getenv("STREAMING_TLS_KEY"),
                        .tls_ca = getenv("STREAMING_TLS_CA"),
                }, &test_backend_vtable, &backend, &server);
        if (r < 0) {
                fprintf(stderr, "Failed to start the streaming server: %s\n", strerror(-r));
                return 1;
        }
        printf("port %u\n", stream_server_get_port(server));
        fflush(stdout);
        r = sd_event_add_io(e, &in, STDIN_FILENO, EPOLLIN, on_stdin, NULL);
        if (r < 0)
                return 1;
        r = sd_event_loop(e);
        sd_event_source_unref(in);
        server = stream_server_free(server);
        return r < 0 ? 1 : 0;
}
