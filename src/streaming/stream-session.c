/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "log.h"
#include "stream-internal.h"
#include "stream-status.h"
#include "strv.h"

/* One read from an fd at most; the loop is single-threaded, so one buffer serves every pump. */
#define PUMP_CHUNK (128U * 1024U)
static uint8_t pump_buffer[PUMP_CHUNK];

static const char *const stream_channel_type_table[_STREAM_CHANNEL_TYPE_MAX] = {
        [STREAM_CHANNEL_STDIN] = "stdin",
        [STREAM_CHANNEL_STDOUT] = "stdout",
        [STREAM_CHANNEL_STDERR] = "stderr",
        [STREAM_CHANNEL_ERROR] = "error",
        [STREAM_CHANNEL_RESIZE] = "resize",
        [STREAM_CHANNEL_DATA] = "data",
        [STREAM_CHANNEL_PORT_ERROR] = "error",
};

const char *stream_channel_type_to_string(StreamChannelType t) {
        if (t < 0 || t >= _STREAM_CHANNEL_TYPE_MAX)
                return NULL;
        return stream_channel_type_table[t];
}

static bool is_port_forward(StreamSession *s) {
        return s->request->type == STREAM_REQUEST_PORT_FORWARD;
}

int stream_session_new(StreamConnection *c, StreamRequest *req, unsigned version, StreamSession **ret) {
        StreamSession *s;

        s = calloc(1, sizeof(StreamSession));
        if (!s) {
                stream_request_free(req);
                return -ENOMEM;
        }
        s->connection = c;
        s->request = req;
        s->version = version;
        *ret = s;
        return 0;
}

static StreamChannel *channel_free(StreamChannel *ch) {
        if (!ch)
                return NULL;
        if (ch->partner)
                ch->partner->partner = NULL;
        sd_event_source_disable_unref(ch->io);
        stream_port_forward_free(ch->connecting);
        safe_close(ch->fd);
        stream_buffer_done(&ch->pending);
        stream_buffer_done(&ch->resize);
        free(ch->request_id);
        return mfree(ch);
}

StreamSession *stream_session_free(StreamSession *s) {
        const StreamBackend *b;

        if (!s)
                return NULL;
        b = s->connection->server->backend;
        while (s->channels) {
                StreamChannel *ch = s->channels;

                s->channels = ch->next;
                channel_free(ch);
        }
        if (s->handle) {
                if (!s->exited && b->cancel)
                        b->cancel(s->handle, s->connection->server->userdata);
                if (b->release)
                        b->release(s->handle, s->connection->server->userdata);
        }
        stream_request_free(s->request);
        return mfree(s);
}

const StreamRequest *stream_session_get_request(StreamSession *s) {
        return s->request;
}

StreamChannel *stream_session_find_channel(StreamSession *s, uint32_t id) {
        for (StreamChannel *ch = s->channels; ch; ch = ch->next)
                if (ch->id == id && !ch->dead)
                        return ch;
        return NULL;
}

int stream_session_add_channel(StreamSession *s, StreamChannelType type, uint32_t id, StreamChannel **ret) {
        StreamChannel *ch, **tail;

        ch = calloc(1, sizeof(StreamChannel));
        if (!ch)
                return -ENOMEM;
        ch->session = s;
        ch->type = type;
        ch->id = id;
        ch->fd = -EBADF;
        ch->read_eof = true;
        ch->send_window = s->connection->spdy_initial_window;
        /* Appended, so channels keep the order they were opened in. */
        for (tail = &s->channels; *tail; tail = &(*tail)->next)
                ;
        *tail = ch;
        if (ret)
                *ret = ch;
        return 0;
}

static StreamChannel *find_type(StreamSession *s, StreamChannelType type) {
        for (StreamChannel *ch = s->channels; ch; ch = ch->next)
                if (ch->type == type && !ch->dead)
                        return ch;
        return NULL;
}

static void channel_update_events(StreamChannel *ch) {
        uint32_t events = 0;

        if (!ch->io)
                return;
        if (ch->reads_fd && !ch->read_eof && !ch->read_blocked)
                events |= EPOLLIN;
        if (ch->writes_fd && !ch->write_closed && stream_buffer_size(&ch->pending) > 0)
                events |= EPOLLOUT;
        if (events == 0) {
                (void) sd_event_source_set_enabled(ch->io, SD_EVENT_OFF);
                return;
        }
        (void) sd_event_source_set_io_events(ch->io, events);
        (void) sd_event_source_set_enabled(ch->io, SD_EVENT_ON);
}

static void session_maybe_finish(StreamSession *s);

static void send_fin(StreamChannel *ch) {
        if (ch->local_fin)
                return;
        ch->local_fin = true;
        (void) stream_connection_send(ch->session->connection, ch, NULL, 0, true);
}

/* Port-forward: a pair is over when both directions of its connection are. */
static void pair_maybe_done(StreamChannel *data) {
        if (data->type != STREAM_CHANNEL_DATA || !data->read_eof || !data->write_closed)
                return;
        /* A client that reset the stream before we got through. */
        data->connecting = stream_port_forward_free(data->connecting);
        data->fd = safe_close(data->fd);
        data->io = sd_event_source_disable_unref(data->io);
        if (data->session->connection->protocol == STREAM_PROTOCOL_SPDY) {
                send_fin(data);
                if (data->partner)
                        send_fin(data->partner);
                data->dead = true;
                if (data->partner)
                        data->partner->dead = true;
        }
        session_maybe_finish(data->session);
}

static void channel_close_write(StreamChannel *ch) {
        if (ch->write_closed)
                return;
        ch->write_closed = true;
        stream_connection_consumed(ch->session->connection, ch, stream_buffer_size(&ch->pending));
        stream_buffer_done(&ch->pending);
        if (ch->fd < 0)
                return;
        if (ch->type == STREAM_CHANNEL_DATA)
                (void) shutdown(ch->fd, SHUT_WR);
        else if (!ch->reads_fd) {
                /* stdin: closing the fd is the process's EOF. */
                ch->io = sd_event_source_disable_unref(ch->io);
                ch->fd = safe_close(ch->fd);
        }
        pair_maybe_done(ch);
}

static void channel_read_eof(StreamChannel *ch) {
        ch->read_eof = true;
        if (ch->type == STREAM_CHANNEL_DATA) {
                if (ch->session->connection->protocol == STREAM_PROTOCOL_SPDY)
                        send_fin(ch);
                channel_update_events(ch);
                pair_maybe_done(ch);
                return;
        }
        ch->io = sd_event_source_disable_unref(ch->io);
        ch->fd = safe_close(ch->fd);
        session_maybe_finish(ch->session);
}

static void channel_pump_out(StreamChannel *ch) {
        StreamConnection *c = ch->session->connection;
        size_t budget;
        ssize_t n;

        budget = stream_connection_send_budget(c, ch);
        if (budget == 0) {
                ch->read_blocked = true;
                channel_update_events(ch);
                return;
        }
        n = read(ch->fd, pump_buffer, MIN(budget, sizeof(pump_buffer)));
        if (n < 0) {
                if (IN_SET(errno, EAGAIN, EINTR))
                        return;
                /* A pty master reads EIO once the other side is gone: that is its EOF. */
                if (errno != EIO)
                        log_debug_errno(errno, "Reading %s of a stream failed: %m",
                                        stream_channel_type_to_string(ch->type));
                channel_read_eof(ch);
                return;
        }
        if (n == 0) {
                channel_read_eof(ch);
                return;
        }
        (void) stream_connection_send(c, ch, pump_buffer, (size_t) n, false);
}

static void channel_flush_pending(StreamChannel *ch) {
        bool was_blocked = stream_buffer_size(&ch->pending) > STREAM_INPUT_HIGH_WATER;

        while (stream_buffer_size(&ch->pending) > 0) {
                ssize_t n = write(ch->fd, stream_buffer_head(&ch->pending), stream_buffer_size(&ch->pending));

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                break;
                        /* The process stopped reading (EPIPE) or the peer reset: drop the rest. */
                        log_debug_errno(errno, "Writing %s of a stream failed, dropping input: %m",
                                        stream_channel_type_to_string(ch->type));
                        channel_close_write(ch);
                        break;
                }
                stream_buffer_consume(&ch->pending, (size_t) n);
                stream_connection_consumed(ch->session->connection, ch, (size_t) n);
        }
        if (!ch->write_closed && stream_buffer_size(&ch->pending) == 0 && ch->remote_fin)
                channel_close_write(ch);
        if (was_blocked && stream_buffer_size(&ch->pending) <= STREAM_INPUT_HIGH_WATER)
                stream_connection_resume_input(ch->session->connection);
        channel_update_events(ch);
}

static int on_channel_io(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        StreamChannel *ch = userdata;

        if (ch->writes_fd && (revents & (EPOLLOUT | EPOLLERR | EPOLLHUP)) &&
            stream_buffer_size(&ch->pending) > 0)
                channel_flush_pending(ch);
        if (ch->fd >= 0 && ch->reads_fd && !ch->read_eof && !ch->read_blocked &&
            (revents & (EPOLLIN | EPOLLERR | EPOLLHUP)))
                channel_pump_out(ch);
        return 0;
}

static int channel_attach_fd(StreamChannel *ch, int fd, bool reads, bool writes) {
        StreamConnection *c = ch->session->connection;
        int r;

        ch->fd = fd;
        ch->reads_fd = reads;
        ch->writes_fd = writes;
        ch->read_eof = !reads;
        if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
                return -errno;
        r = sd_event_add_io(c->server->event, &ch->io, fd, reads ? EPOLLIN : EPOLLOUT, on_channel_io, ch);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(ch->io, "stream-channel");
        channel_update_events(ch);
        return 0;
}

static int send_text(StreamChannel *ch, const char *text, bool fin) {
        return stream_connection_send(ch->session->connection, ch, text, strlen(text), fin);
}

/* Writes the outcome to the error channel the way the negotiated protocol wants it. */
static void session_send_status(StreamSession *s, int exit_code, const char *error) {
        StreamChannel *ch = find_type(s, STREAM_CHANNEL_ERROR);
        _cleanup_free_ char *text = NULL;
        int r = 0;

        if (!ch)
                return;
        if (s->version >= 4) {
                if (error)
                        r = stream_status_format_error(error, &text);
                else
                        r = stream_status_format_exit(exit_code, s->request->cmd, &text);
        } else if (error)
                text = strdup(error);
        else if (exit_code != 0)
                r = stream_status_format_exit_text(exit_code, s->request->cmd, &text);
        if (r < 0 || (!text && (error || exit_code != 0)))
                log_oom();
        if (text)
                (void) send_text(ch, text, false);
}

static void session_end(StreamSession *s, int exit_code, const char *error) {
        if (s->finished)
                return;
        s->finished = true;
        session_send_status(s, exit_code, error);
        for (StreamChannel *ch = s->channels; ch; ch = ch->next)
                if (s->connection->protocol == STREAM_PROTOCOL_SPDY)
                        send_fin(ch);
        stream_connection_finish(s->connection);
}

static void session_maybe_finish(StreamSession *s) {
        if (s->finished || !s->started)
                return;
        if (is_port_forward(s)) {
                /* Over SPDY a client opens pairs as long as it likes; over WebSocket the session
                 * ends when every port's connection did. */
                if (s->connection->protocol != STREAM_PROTOCOL_WEBSOCKET)
                        return;
                for (StreamChannel *ch = s->channels; ch; ch = ch->next)
                        if (ch->type == STREAM_CHANNEL_DATA && (!ch->read_eof || ch->fd >= 0 || ch->connecting))
                                return;
                session_end(s, 0, NULL);
                return;
        }
        if (!s->exited)
                return;
        /* Everything the process wrote goes out before the status. */
        for (StreamChannel *ch = s->channels; ch; ch = ch->next)
                if (ch->reads_fd && !ch->read_eof)
                        return;
        session_end(s, s->exit_code, NULL);
}

void stream_session_process_exited(StreamSession *s, int exit_code) {
        if (s->exited)
                return;
        s->exited = true;
        s->exit_code = exit_code;
        log_debug("Streamed process exited with %d.", exit_code);
        session_maybe_finish(s);
}

static int session_start_process(StreamSession *s) {
        const StreamBackend *b = s->connection->server->backend;
        StreamProcessIO io = { .stdin_fd = -EBADF, .stdout_fd = -EBADF, .stderr_fd = -EBADF };
        _cleanup_free_ char *message = NULL;
        StreamChannel *ch;
        int r;

        s->started = true;
        if (!b->start)
                r = -EOPNOTSUPP;
        else
                r = b->start(s, s->request, &io, &s->handle, &message, s->connection->server->userdata);
        if (r < 0) {
                _cleanup_free_ char *text = NULL;

                if (!message && asprintf(&text, "%s failed: %s",
                                         stream_request_type_to_string(s->request->type), strerror(-r)) < 0)
                        return log_oom();
                session_end(s, -1, message ?: text);
                return 0;
        }

        /* Streams the client did not open are not wanted: their fds go. */
        ch = find_type(s, STREAM_CHANNEL_STDIN);
        if (ch && io.stdin_fd >= 0)
                r = channel_attach_fd(ch, TAKE_FD(io.stdin_fd), false, true);
        ch = find_type(s, STREAM_CHANNEL_STDOUT);
        if (r >= 0 && ch && io.stdout_fd >= 0)
                r = channel_attach_fd(ch, TAKE_FD(io.stdout_fd), true, false);
        ch = find_type(s, STREAM_CHANNEL_STDERR);
        if (r >= 0 && ch && io.stderr_fd >= 0)
                r = channel_attach_fd(ch, TAKE_FD(io.stderr_fd), true, false);
        safe_close(io.stdin_fd);
        safe_close(io.stdout_fd);
        safe_close(io.stderr_fd);
        if (r < 0) {
                session_end(s, -1, "failed to set up the streams");
                return r;
        }
        /* Input that came before the start. */
        ch = find_type(s, STREAM_CHANNEL_STDIN);
        if (ch && ch->fd >= 0)
                channel_flush_pending(ch);
        else if (ch)
                stream_buffer_done(&ch->pending);
        session_maybe_finish(s);
        return 0;
}

static unsigned expected_streams(StreamSession *s) {
        const StreamRequest *req = s->request;

        /* error always; resize only with a tty on v3 and later. */
        return 1 + req->stdin + req->stdout + (req->stderr && !req->tty) + (req->tty && s->version >= 3);
}

static void port_forward_failed(StreamChannel *data, int error, const char *message) {
        StreamSession *s = data->session;
        _cleanup_free_ char *text = NULL;
        bool was_blocked = stream_buffer_size(&data->pending) > STREAM_INPUT_HIGH_WATER;

        /* kubelet's wording, which clients print. */
        if (asprintf(&text, "error forwarding port %u to pod %s: %s", data->port,
                     s->request->pod_sandbox_id ?: "", message ?: strerror(-error)) < 0) {
                log_oom();
                return;
        }
        log_debug("%s", text);
        if (data->partner) {
                (void) send_text(data->partner, text, false);
                if (s->connection->protocol == STREAM_PROTOCOL_SPDY)
                        send_fin(data->partner);
        }
        data->read_eof = true;
        data->write_closed = true;
        /* What the client sent meanwhile is dropped, and its window opens again. */
        stream_connection_consumed(s->connection, data, stream_buffer_size(&data->pending));
        stream_buffer_done(&data->pending);
        if (was_blocked)
                stream_connection_resume_input(s->connection);
        pair_maybe_done(data);
}

static void on_port_forward_connected(StreamPortForward *pf, int fd, const char *message, void *userdata) {
        StreamChannel *data = userdata;
        int r;

        data->connecting = NULL;
        if (fd < 0) {
                port_forward_failed(data, fd, message);
                return;
        }
        r = channel_attach_fd(data, fd, true, true);
        if (r < 0) {
                data->io = sd_event_source_disable_unref(data->io);
                data->fd = safe_close(data->fd);
                port_forward_failed(data, r, NULL);
                return;
        }
        /* What the client sent while we connected, and its FIN. */
        channel_flush_pending(data);
}

static void port_forward_connect(StreamSession *s, StreamChannel *data) {
        const StreamBackend *b = s->connection->server->backend;
        _cleanup_free_ char *message = NULL, *netns_path = NULL;
        int r;

        if (!b->port_forward)
                r = -EOPNOTSUPP;
        else
                r = b->port_forward(s->request, &netns_path, &message, s->connection->server->userdata);
        if (r >= 0)
                r = stream_port_forward_start(s->connection->server->event, netns_path, data->port,
                                              on_port_forward_connected, data, &data->connecting, &message);
        if (r < 0)
                port_forward_failed(data, r, message);
}

static int parse_port(const char *s, uint16_t *ret) {
        unsigned long v;
        char *end;

        if (!s || !*s || *s == '-' || *s == '+')
                return -EINVAL;
        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno != 0 || *end != '\0' || v == 0 || v > 65535)
                return -EINVAL;
        *ret = (uint16_t) v;
        return 0;
}

static int spdy_port_forward_stream(StreamSession *s, uint32_t id, const char *type, char *const *headers,
                                    StreamChannel **ret) {
        const char *port_s = spdy_headers_get(headers, "port"), *request_id = spdy_headers_get(headers, "requestid");
        StreamChannelType t;
        StreamChannel *ch, *other = NULL;
        _cleanup_free_ char *rid = NULL;
        uint16_t port;
        int r;

        if (streq_ptr(type, "data"))
                t = STREAM_CHANNEL_DATA;
        else if (streq_ptr(type, "error"))
                t = STREAM_CHANNEL_PORT_ERROR;
        else
                return -EBADMSG;
        r = parse_port(port_s, &port);
        if (r < 0)
                return r;
        /* Old clients send no request id: their error stream comes just before the data stream. */
        if (request_id)
                rid = strdup(request_id);
        else
                r = asprintf(&rid, "@%u", t == STREAM_CHANNEL_DATA ? id - 2 : id);
        if (!rid || r < 0)
                return -ENOMEM;
        for (StreamChannel *i = s->channels; i; i = i->next)
                if (!i->dead && i->request_id && strcmp(i->request_id, rid) == 0) {
                        if (i->type == t || i->partner)
                                return -EEXIST;
                        other = i;
                        break;
                }
        r = stream_session_add_channel(s, t, id, &ch);
        if (r < 0)
                return r;
        ch->port = port;
        ch->request_id = TAKE_PTR(rid);
        ch->write_closed = t == STREAM_CHANNEL_PORT_ERROR;
        *ret = ch;
        if (other) {
                ch->partner = other;
                other->partner = ch;
                /* The pair is complete: connect to the port. */
                port_forward_connect(s, t == STREAM_CHANNEL_DATA ? ch : other);
        }
        return 1;
}

int stream_session_spdy_stream(StreamSession *s, uint32_t id, char *const *headers, StreamChannel **ret) {
        const char *type = spdy_headers_get(headers, "streamtype");
        StreamChannelType t;
        StreamChannel *ch;
        int r;

        if (is_port_forward(s)) {
                r = spdy_port_forward_stream(s, id, type, headers, &ch);
                if (r < 0)
                        return r;
                s->started = true;
                *ret = ch;
                return 0;
        }

        if (!type)
                return -EBADMSG;
        if (streq(type, "stdin"))
                t = STREAM_CHANNEL_STDIN;
        else if (streq(type, "stdout"))
                t = STREAM_CHANNEL_STDOUT;
        else if (streq(type, "stderr"))
                t = STREAM_CHANNEL_STDERR;
        else if (streq(type, "error"))
                t = STREAM_CHANNEL_ERROR;
        else if (streq(type, "resize"))
                t = STREAM_CHANNEL_RESIZE;
        else
                return -EBADMSG;
        if (find_type(s, t))
                return -EEXIST;
        if (s->started)
                return -EBUSY;
        r = stream_session_add_channel(s, t, id, &ch);
        if (r < 0)
                return r;
        *ret = ch;
        {
                unsigned n = 0;

                for (StreamChannel *i = s->channels; i; i = i->next)
                        n++;
                if (n >= expected_streams(s))
                        return session_start_process(s);
        }
        return 0;
}

int stream_session_websocket_start(StreamSession *s) {
        const StreamRequest *req = s->request;
        int r;

        if (is_port_forward(s)) {
                s->started = true;
                for (size_t k = 0; k < req->n_ports; k++) {
                        StreamChannel *data, *error;
                        uint8_t le[2] = { (uint8_t) req->ports[k], (uint8_t) (req->ports[k] >> 8) };

                        r = stream_session_add_channel(s, STREAM_CHANNEL_DATA, (uint32_t) (2 * k), &data);
                        if (r < 0)
                                return r;
                        r = stream_session_add_channel(s, STREAM_CHANNEL_PORT_ERROR, (uint32_t) (2 * k + 1), &error);
                        if (r < 0)
                                return r;
                        data->port = error->port = req->ports[k];
                        data->partner = error;
                        error->partner = data;
                        error->write_closed = true;
                        /* The first message on each channel names its port, little-endian. */
                        (void) stream_connection_send(s->connection, data, le, sizeof(le), false);
                        (void) stream_connection_send(s->connection, error, le, sizeof(le), false);
                }
                for (StreamChannel *ch = s->channels; ch; ch = ch->next)
                        if (ch->type == STREAM_CHANNEL_DATA)
                                port_forward_connect(s, ch);
                session_maybe_finish(s);
                return 0;
        }

        if (req->stdin && (r = stream_session_add_channel(s, STREAM_CHANNEL_STDIN, 0, NULL)) < 0)
                return r;
        if (req->stdout && (r = stream_session_add_channel(s, STREAM_CHANNEL_STDOUT, 1, NULL)) < 0)
                return r;
        if (req->stderr && !req->tty && (r = stream_session_add_channel(s, STREAM_CHANNEL_STDERR, 2, NULL)) < 0)
                return r;
        r = stream_session_add_channel(s, STREAM_CHANNEL_ERROR, 3, NULL);
        if (r < 0)
                return r;
        if (req->tty && (r = stream_session_add_channel(s, STREAM_CHANNEL_RESIZE, 4, NULL)) < 0)
                return r;
        return session_start_process(s);
}

/* The resize stream carries JSON objects {"Width":W,"Height":H}, one after another. */
static void handle_resize(StreamSession *s, StreamChannel *ch, const uint8_t *data, size_t size) {
        const StreamBackend *b = s->connection->server->backend;
        char *start, *end;

        if (stream_buffer_append(&ch->resize, data, size) < 0 || stream_buffer_reserve(&ch->resize, 1) < 0) {
                log_oom();
                return;
        }
        *stream_buffer_tail(&ch->resize) = '\0';
        while ((start = memchr(stream_buffer_head(&ch->resize), '{', stream_buffer_size(&ch->resize))) &&
               (end = strchr(start, '}'))) {
                unsigned long w = 0, h = 0;
                char *p;

                *end = '\0';
                p = strstr(start, "\"Width\"");
                if (p && (p = strchr(p, ':')))
                        w = strtoul(p + 1, NULL, 10);
                p = strstr(start, "\"Height\"");
                if (p && (p = strchr(p, ':')))
                        h = strtoul(p + 1, NULL, 10);
                if (w > 0 && h > 0 && w <= UINT16_MAX && h <= UINT16_MAX && s->handle && b->resize) {
                        int r = b->resize(s->handle, (uint16_t) w, (uint16_t) h, s->connection->server->userdata);

                        if (r < 0)
                                log_debug_errno(r, "Resizing the terminal failed, ignoring: %m");
                }
                stream_buffer_consume(&ch->resize, (size_t) (end + 1 - (char *) stream_buffer_head(&ch->resize)));
                if (stream_buffer_reserve(&ch->resize, 1) < 0)
                        return;
                *stream_buffer_tail(&ch->resize) = '\0';
        }
        /* Garbage without braces is not kept forever. */
        if (stream_buffer_size(&ch->resize) > 4096)
                stream_buffer_consume(&ch->resize, stream_buffer_size(&ch->resize));
}

int stream_session_channel_data(StreamSession *s, StreamChannel *ch, const uint8_t *data, size_t size) {
        if (size == 0 || ch->dead)
                return 0;
        if (ch->type == STREAM_CHANNEL_RESIZE) {
                handle_resize(s, ch, data, size);
                stream_connection_consumed(s->connection, ch, size);
                return 0;
        }
        if (!IN_SET(ch->type, STREAM_CHANNEL_STDIN, STREAM_CHANNEL_DATA) || ch->remote_fin || ch->write_closed) {
                /* Nothing reads what the client sends here. */
                stream_connection_consumed(s->connection, ch, size);
                return 0;
        }
        /* Nothing waits before these bytes: straight to the fd, and only what it did not take is
         * kept. */
        if (ch->fd >= 0 && stream_buffer_size(&ch->pending) == 0) {
                ssize_t n = write(ch->fd, data, size);

                if (n > 0) {
                        stream_connection_consumed(s->connection, ch, (size_t) n);
                        data += n;
                        size -= (size_t) n;
                }
                /* Errors show again, and are handled, in the flush below. */
        }
        if (size > 0 && stream_buffer_append(&ch->pending, data, size) < 0)
                return log_oom();
        if (ch->fd >= 0)
                channel_flush_pending(ch);
        return 0;
}

void stream_session_channel_fin(StreamSession *s, StreamChannel *ch) {
        if (ch->remote_fin)
                return;
        ch->remote_fin = true;
        if (!IN_SET(ch->type, STREAM_CHANNEL_STDIN, STREAM_CHANNEL_DATA))
                return;
        if (ch->fd >= 0)
                channel_flush_pending(ch);
        else if (ch->type == STREAM_CHANNEL_STDIN && s->started)
                channel_close_write(ch);
}

void stream_session_channel_reset(StreamSession *s, StreamChannel *ch) {
        /* The client gave up on this stream: no more bytes either way. */
        ch->remote_fin = true;
        ch->local_fin = true;
        if (ch->type == STREAM_CHANNEL_DATA) {
                channel_close_write(ch);
                ch->read_eof = true;
                channel_update_events(ch);
                pair_maybe_done(ch);
        } else if (ch->type == STREAM_CHANNEL_STDIN)
                channel_close_write(ch);
}

void stream_session_resume_output(StreamSession *s) {
        for (StreamChannel *ch = s->channels; ch; ch = ch->next)
                if (ch->read_blocked) {
                        ch->read_blocked = false;
                        channel_update_events(ch);
                }
}

bool stream_session_input_blocked(StreamSession *s) {
        /* Input for a connection on its way waits too, within the same bound. */
        for (StreamChannel *ch = s->channels; ch; ch = ch->next)
                if (stream_buffer_size(&ch->pending) > STREAM_INPUT_HIGH_WATER && (ch->fd >= 0 || ch->connecting))
                        return true;
        return false;
}

void stream_session_gc(StreamSession *s) {
        for (StreamChannel **i = &s->channels; *i;) {
                StreamChannel *ch = *i;

                if (!ch->dead) {
                        i = &ch->next;
                        continue;
                }
                *i = ch->next;
                channel_free(ch);
        }
}

void stream_session_abort(StreamSession *s) {
        /* Nothing more can be sent; stream_session_free() cancels the process. */
        s->finished = true;
        for (StreamChannel *ch = s->channels; ch; ch = ch->next) {
                ch->io = sd_event_source_disable_unref(ch->io);
                ch->connecting = stream_port_forward_free(ch->connecting);
        }
}
