/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The streaming server kubelet and its clients reach through the URLs of Exec, Attach and
 * PortForward: HTTP/1.1 on the daemon's sd-event loop, upgraded to SPDY/3.1 or WebSocket. */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "macro.h"
#include "stream-request.h"
#include "stream-session.h"

typedef struct StreamServer StreamServer;

typedef struct StreamServerSettings {
        const char *address;            /* IPv4 or IPv6 literal; NULL or "" for any */
        uint16_t port;                  /* 0 picks a free port */
        uint64_t idle_timeout_usec;     /* 0: no limit */
        bool enable_tls;                /* https:// URLs; the files are re-read when they change */
        const char *tls_cert;           /* absolute paths, PEM */
        const char *tls_key;
        const char *tls_ca;             /* when set, clients must present a certificate it signed */
} StreamServerSettings;

int stream_server_new(sd_event *event, const StreamServerSettings *settings, const StreamBackend *backend,
                      void *userdata, StreamServer **ret);
/* Closes the listener and every connection; running sessions are cancelled. */
StreamServer *stream_server_free(StreamServer *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(StreamServer *, stream_server_free);

uint16_t stream_server_get_port(const StreamServer *s) _pure_;
unsigned stream_server_get_n_connections(const StreamServer *s) _pure_;
/* With TLS: how often changed files were taken into use, and how often they were refused (the
 * ones in use then stay). */
void stream_server_get_tls_reloads(const StreamServer *s, unsigned *ret_reloads, unsigned *ret_failures);

/* Keeps req (owned from then on, also on failure) behind a single-use token and returns the URL
 * for it: "http[s]://<address>:<port>/<exec|attach|portforward>/<token>". -EBUSY when too many
 * tokens wait. */
int stream_server_get_url(StreamServer *s, StreamRequest *req, char **ret_url);
