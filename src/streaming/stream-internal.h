/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The objects of the streaming server and how they call each other; not for use outside
 * src/streaming/. A StreamServer accepts StreamConnections; after the HTTP upgrade a connection
 * speaks SPDY or WebSocket and carries one StreamSession, whose StreamChannels pump bytes between
 * the protocol's streams and the backend's fds. */

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <string.h>
#include <systemd/sd-event.h>

#include "spdy.h"
#include "stream-portforward.h"
#include "stream-buffer.h"
#include "stream-server.h"
#include "stream-session.h"
#include "stream-token.h"
#include "websocket.h"

#define streq(a, b) (strcmp((a), (b)) == 0)
static inline bool streq_ptr(const char *a, const char *b) {
        return a && b ? streq(a, b) : a == b;
}

/* Output queued on a connection beyond which fds are not read any more, and the level below which
 * reading resumes. */
#define STREAM_OUTPUT_HIGH_WATER (1024U * 1024U)
#define STREAM_OUTPUT_LOW_WATER (256U * 1024U)
/* Bytes waiting for one fd beyond which the connection stops reading from the client. */
#define STREAM_INPUT_HIGH_WATER (1024U * 1024U)
/* Largest frame or message accepted from a client. */
#define STREAM_MAX_FRAME_SIZE (16U * 1024U * 1024U)
/* Time to send the request head, and, for SPDY, to open the expected streams (kubelet's 30s). */
#define STREAM_CREATION_TIMEOUT_USEC (30ULL * 1000000ULL)

typedef enum StreamProtocol {
        STREAM_PROTOCOL_HTTP,           /* still reading the request head */
        STREAM_PROTOCOL_SPDY,
        STREAM_PROTOCOL_WEBSOCKET,
} StreamProtocol;

typedef enum StreamChannelType {
        STREAM_CHANNEL_STDIN,
        STREAM_CHANNEL_STDOUT,
        STREAM_CHANNEL_STDERR,
        STREAM_CHANNEL_ERROR,
        STREAM_CHANNEL_RESIZE,
        STREAM_CHANNEL_DATA,            /* port-forward */
        STREAM_CHANNEL_PORT_ERROR,      /* port-forward */
        _STREAM_CHANNEL_TYPE_MAX,
        _STREAM_CHANNEL_TYPE_INVALID = -EINVAL,
} StreamChannelType;

const char *stream_channel_type_to_string(StreamChannelType t) _const_;

typedef struct StreamConnection StreamConnection;
typedef struct StreamChannel StreamChannel;

struct StreamServer {
        sd_event *event;
        int listen_fd;
        sd_event_source *listen_source;
        char *address;                  /* as put in URLs */
        uint16_t port;
        uint64_t idle_timeout_usec;
        StreamTokenStore *tokens;
        const StreamBackend *backend;
        void *userdata;
        StreamConnection *connections;
        unsigned n_connections;

        /* TLS */
        SSL_CTX *ssl_ctx;               /* for new connections; replaced when the files change */
        char *tls_cert, *tls_key, *tls_ca;
        uint8_t tls_digest[EVP_MAX_MD_SIZE];    /* of the files ssl_ctx was made from */
        int inotify_fd;                 /* watches the directories of the files */
        sd_event_source *inotify_source;
        sd_event_source *tls_reload_timer;
        unsigned n_tls_reloads, n_tls_reload_failures;
};

struct StreamChannel {
        StreamSession *session;
        StreamChannel *next;
        StreamChannelType type;
        uint32_t id;                    /* SPDY stream id or WebSocket channel number */
        uint16_t port;                  /* port-forward */
        char *request_id;               /* port-forward over SPDY */
        StreamChannel *partner;         /* port-forward: data <-> error */

        int fd;
        sd_event_source *io;
        StreamPortForward *connecting;  /* port-forward: the connection to the pod on its way */
        bool reads_fd;                  /* bytes flow fd -> client */
        bool writes_fd;                 /* bytes flow client -> fd */
        bool read_blocked;              /* waiting for room on the connection */
        bool read_eof;                  /* fd gave EOF (or was never there) */
        bool remote_fin;                /* client sends no more */
        bool local_fin;                 /* we sent FIN */
        bool write_closed;              /* fd's writing side is shut */
        bool dead;                      /* to be freed */
        StreamBuffer pending;           /* client -> fd bytes not written yet */
        StreamBuffer resize;            /* partial resize JSON */

        int64_t send_window;            /* SPDY flow control */
};

struct StreamSession {
        StreamConnection *connection;
        StreamRequest *request;
        StreamChannel *channels;
        void *handle;                   /* the backend's */
        unsigned version;               /* remotecommand protocol version 1-5 */
        bool started;
        bool exited;
        bool finished;
        int exit_code;
};

struct StreamConnection {
        StreamServer *server;
        StreamConnection *prev, *next;
        int fd;
        sd_event_source *io;
        sd_event_source *timer;
        sd_event_source *defer;
        uint64_t created_usec, last_activity_usec;
        StreamBuffer in, out;
        StreamProtocol protocol;
        bool read_paused;               /* backpressure from a channel */
        bool peer_eof;
        bool close_after_flush;
        bool close_now;
        bool process_pending;
        StreamSession *session;

        SSL *ssl;
        bool ssl_handshaken;
        bool ssl_want_write;            /* SSL_read needs the socket writable */
        bool ssl_write_wants_read;      /* SSL_write needs the socket readable */

        /* SPDY */
        SpdyInflater *inflater;
        SpdyDeflater *deflater;
        bool spdy_flow_control;         /* the client sent WINDOW_UPDATE: honour windows */
        uint32_t spdy_initial_window;
        uint32_t spdy_last_stream_id;
        bool spdy_goaway_received;

        /* WebSocket */
        bool ws_base64;
        bool ws_close_sent;
        WebSocketAssembler ws_message;
};

/* stream-connection.c */
int stream_connection_new(StreamServer *server, int fd, StreamConnection **ret);
StreamConnection *stream_connection_free(StreamConnection *c);
/* Sends bytes on a channel (a SPDY DATA frame or a WebSocket message), fin closes our side. */
int stream_connection_send(StreamConnection *c, StreamChannel *ch, const void *data, size_t size, bool fin);
/* How many bytes ch may send now without overfilling the connection or the client's window. */
size_t stream_connection_send_budget(StreamConnection *c, StreamChannel *ch);
/* n bytes the client sent on ch were delivered (or dropped): SPDY opens its window again. */
void stream_connection_consumed(StreamConnection *c, StreamChannel *ch, size_t n);
/* All is sent: flush, end the protocol cleanly and close. */
void stream_connection_finish(StreamConnection *c);
/* A channel drained: read from the client again. */
void stream_connection_resume_input(StreamConnection *c);

/* stream-session.c */
int stream_session_new(StreamConnection *c, StreamRequest *req, unsigned version, StreamSession **ret);
StreamSession *stream_session_free(StreamSession *s);
StreamChannel *stream_session_find_channel(StreamSession *s, uint32_t id);
int stream_session_add_channel(StreamSession *s, StreamChannelType type, uint32_t id, StreamChannel **ret);
/* SPDY: a stream opened by the client; returns the channel or a negative errno to refuse it. */
int stream_session_spdy_stream(StreamSession *s, uint32_t id, char *const *headers, StreamChannel **ret);
/* WebSocket: create the channels of the request and start. */
int stream_session_websocket_start(StreamSession *s);
int stream_session_channel_data(StreamSession *s, StreamChannel *ch, const uint8_t *data, size_t size);
void stream_session_channel_fin(StreamSession *s, StreamChannel *ch);
void stream_session_channel_reset(StreamSession *s, StreamChannel *ch);
void stream_session_resume_output(StreamSession *s);
bool stream_session_input_blocked(StreamSession *s) _pure_;
/* Frees channels that are done; not from inside a channel's own callback. */
void stream_session_gc(StreamSession *s);
/* The connection ends (client gone, timeout, protocol error). */
void stream_session_abort(StreamSession *s);

/* stream-tls.c */
/* Loads stream_tls_cert, _key and _ca (when set) and watches their directories: a change is read
 * after TLS_RELOAD_DELAY_USEC. Fails when the files do not make a working context. */
int stream_tls_setup(StreamServer *s);
void stream_tls_done(StreamServer *s);
/* Reads the files again: 1 when new ones are in use from the next connection on, 0 when they did
 * not change, a negative errno (logged, the context in use stays) when they do not work. */
int stream_tls_reload(StreamServer *s);
/* A server side TLS session on the non-blocking socket fd, with the context in use. */
int stream_tls_new_session(StreamServer *s, int fd, SSL **ret);
