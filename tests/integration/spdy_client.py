# SPDX-License-Identifier: Apache-2.0
"""A small SPDY/3.1 client for the streaming tests: the HTTP upgrade, streams opened with
headers (as kubectl opens stdin, stdout, stderr, error, resize or port-forward pairs), DATA with
flow control, and zlib header compression with the SPDY/3 dictionary; https:// URLs over TLS."""

import socket
import ssl
import struct
import threading
import urllib.parse
import zlib

_WORDS = [
    "options", "head", "post", "put", "delete", "trace", "accept", "accept-charset",
    "accept-encoding", "accept-language", "accept-ranges", "age", "allow", "authorization",
    "cache-control", "connection", "content-base", "content-encoding", "content-language",
    "content-length", "content-location", "content-md5", "content-range", "content-type",
    "date", "etag", "expect", "expires", "from", "host", "if-match", "if-modified-since",
    "if-none-match", "if-range", "if-unmodified-since", "last-modified", "location",
    "max-forwards", "pragma", "proxy-authenticate", "proxy-authorization", "range", "referer",
    "retry-after", "server", "te", "trailer", "transfer-encoding", "upgrade", "user-agent",
    "vary", "via", "warning", "www-authenticate", "method", "get", "status", "200 OK",
    "version", "HTTP/1.1", "url", "public", "set-cookie", "keep-alive", "origin",
]
_TAIL = (
    "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505"
    "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request"
    "401 Unauthorized403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented"
    "503 Service UnavailableJan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 "
    "Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMTchunked,text/html,image/png,image/jpg,image/gif,"
    "application/xml,application/xhtml+xml,text/plain,text/javascript,publicprivatemax-age="
    "gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0."
)
DICTIONARY = b"".join(struct.pack("!I", len(w)) + w.encode() for w in _WORDS) + _TAIL.encode()
assert len(DICTIONARY) == 1423

SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS, PING, GOAWAY, HEADERS, WINDOW_UPDATE = 1, 2, 3, 4, 6, 7, 8, 9
FLAG_FIN = 1


class UpgradeError(Exception):
    def __init__(self, status, head):
        super().__init__(f"upgrade refused: {status}")
        self.status = status
        self.head = head


def http_request(url, headers, method="POST", ssl_context=None, connect=None):
    """Sends a request head; returns (socket, status, head text, bytes after the head). An https://
    URL is spoken to through ssl_context; connect(host, port) may make the TCP connection."""
    u = urllib.parse.urlsplit(url)
    sock = (connect or (lambda h, p: socket.create_connection((h, p), timeout=30)))(u.hostname, u.port)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if u.scheme == "https":
        sock = (ssl_context or ssl.create_default_context()).wrap_socket(sock, server_hostname=u.hostname)
    lines = [f"{method} {u.path}{'?' + u.query if u.query else ''} HTTP/1.1", f"Host: {u.netloc}"]
    for k, v in headers:
        lines.append(f"{k}: {v}")
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            break
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    text = head.decode(errors="replace")
    status = int(text.split(" ", 2)[1]) if text.startswith("HTTP/1.1 ") else 0
    return sock, status, text, rest


class Stream:
    def __init__(self, sid, headers):
        self.id = sid
        self.headers = headers
        self.data = bytearray()
        self.fin = False
        self.replied = False
        self.reset = None
        self.window = 65536


class SpdyClient:
    def __init__(self, url, protocols=("v4.channel.k8s.io",), flow_control=True, extra_headers=(), ssl_context=None,
                 connect=None):
        headers = [("Connection", "Upgrade"), ("Upgrade", "SPDY/3.1")]
        headers += [("X-Stream-Protocol-Version", p) for p in protocols]
        headers += list(extra_headers)
        self.sock, status, self.head, self.buf = http_request(url, headers, ssl_context=ssl_context, connect=connect)
        if status != 101:
            self.sock.close()
            raise UpgradeError(status, self.head)
        self.protocol = None
        for line in self.head.split("\r\n"):
            if line.lower().startswith("x-stream-protocol-version:"):
                self.protocol = line.split(":", 1)[1].strip()
        self.deflater = zlib.compressobj(zdict=DICTIONARY)
        self.inflater = zlib.decompressobj(zdict=DICTIONARY)
        self.next_id = 1
        self.streams = {}
        self.flow_control = flow_control
        self.goaway = False
        self.closed = False
        # Sending has its own lock: the reader must be able to open windows while a writer waits.
        self.lock = threading.Lock()
        self.cond = threading.Condition(threading.Lock())

    # -- writing --
    def _send(self, data):
        with self.lock:
            self.sock.sendall(data)

    def _send_quietly(self, data):
        try:
            self._send(data)
        except OSError:
            pass

    def _control(self, ftype, flags, payload):
        return struct.pack("!HHI", 0x8003, ftype, (flags << 24) | len(payload)) + payload

    def _header_block(self, headers):
        nv = struct.pack("!I", len(headers))
        for k, v in headers.items():
            k, v = k.lower().encode(), str(v).encode()
            nv += struct.pack("!I", len(k)) + k + struct.pack("!I", len(v)) + v
        return self.deflater.compress(nv) + self.deflater.flush(zlib.Z_SYNC_FLUSH)

    def open_stream(self, headers, fin=False):
        with self.lock, self.cond:
            sid = self.next_id
            self.next_id += 2
            self.streams[sid] = Stream(sid, headers)
            payload = struct.pack("!IIBB", sid, 0, 0, 0) + self._header_block(headers)
            self.sock.sendall(self._control(SYN_STREAM, FLAG_FIN if fin else 0, payload))
        return sid

    def send_data(self, sid, data, fin=False, chunk=32768):
        view = memoryview(data)
        if not view:
            self._send(struct.pack("!II", sid, ((FLAG_FIN if fin else 0) << 24)))
            return
        st = self.streams[sid]
        while view:
            n = chunk
            if self.flow_control:
                # Honour the server's window for this stream, as SPDY/3 asks.
                with self.cond:
                    self.cond.wait_for(lambda: st.window > 0 or self.closed, 30)
                    if self.closed:
                        raise EOFError("connection closed")
                    n = min(n, st.window)
                    st.window -= min(n, len(view))
            part = view[:n]
            view = view[n:]
            flags = FLAG_FIN if fin and not view else 0
            self._send(struct.pack("!II", sid, (flags << 24) | len(part)) + bytes(part))

    def send_raw(self, data):
        self._send(data)

    def reset_stream(self, sid, status=5):
        self._send(self._control(RST_STREAM, 0, struct.pack("!II", sid, status)))

    # -- reading --
    def _recv_exact(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(max(65536, n - len(self.buf)))
            if not chunk:
                raise EOFError
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_frame(self):
        """Reads and handles one frame; returns False at EOF."""
        try:
            head = self._recv_exact(8)
            length = struct.unpack("!I", head[4:8])[0] & 0xFFFFFF
            flags = head[4]
            payload = self._recv_exact(length)
        except (EOFError, OSError):
            with self.cond:
                self.closed = True
                self.cond.notify_all()
            return False
        with self.cond:
            if head[0] & 0x80:
                ftype = struct.unpack("!H", head[2:4])[0]
                if ftype == SYN_REPLY:
                    sid = struct.unpack("!I", payload[:4])[0] & 0x7FFFFFFF
                    self.inflater.decompress(payload[4:])
                    if sid in self.streams:
                        self.streams[sid].replied = True
                elif ftype == RST_STREAM:
                    sid, status = struct.unpack("!II", payload)
                    if sid in self.streams:
                        self.streams[sid].reset = status
                elif ftype == GOAWAY:
                    self.goaway = True
                elif ftype == PING:
                    self._send_quietly(self._control(PING, 0, payload))
                elif ftype == WINDOW_UPDATE:
                    sid, delta = struct.unpack("!II", payload)
                    if sid in self.streams:
                        self.streams[sid].window += delta
                elif ftype in (HEADERS, SYN_STREAM):
                    self.inflater.decompress(payload[4:] if ftype == HEADERS else payload[10:])
            else:
                sid = struct.unpack("!I", head[:4])[0] & 0x7FFFFFFF
                st = self.streams.get(sid)
                if st is not None:
                    st.data += payload
                    if flags & FLAG_FIN:
                        st.fin = True
                if self.flow_control and payload:
                    self._send_quietly(self._control(WINDOW_UPDATE, 0, struct.pack("!II", sid, len(payload))))
            self.cond.notify_all()
        return True

    def read_until_closed(self):
        while self.read_frame():
            pass

    def read_until(self, predicate):
        while not predicate():
            if not self.read_frame():
                return predicate()
        return True

    def start_reader(self):
        t = threading.Thread(target=self.read_until_closed, daemon=True)
        t.start()
        return t

    def wait(self, predicate, timeout=30):
        with self.cond:
            return self.cond.wait_for(lambda: predicate() or self.closed, timeout)

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


def exec_streams(client, stdin=False, stdout=True, stderr=True, tty=False):
    """Opens the streams kubectl opens for an exec or attach; returns {type: stream id}."""
    ids = {"error": client.open_stream({"streamType": "error"})}
    if stdin:
        ids["stdin"] = client.open_stream({"streamType": "stdin"})
    if stdout:
        ids["stdout"] = client.open_stream({"streamType": "stdout"})
    if stderr and not tty:
        ids["stderr"] = client.open_stream({"streamType": "stderr"})
    if tty:
        ids["resize"] = client.open_stream({"streamType": "resize"})
    return ids
