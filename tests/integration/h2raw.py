"""Hand-made HTTP/2 frames, for sending the daemon what no well-behaved client would.

Only what the tests need: the client preface, SETTINGS, HEADERS with literal (unindexed, not Huffman
coded) header fields, DATA, RST_STREAM, GOAWAY, and a reader that splits the server's bytes into frames.
"""

import socket
import struct

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE = 0, 1, 3, 4, 6, 7, 8
END_STREAM, END_HEADERS, ACK = 0x1, 0x4, 0x1


def frame(ftype, flags, stream_id, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", stream_id) + payload


def _hpack_int(value, prefix_bits, first_byte=0):
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first_byte | value])
    out = [first_byte | limit]
    value -= limit
    while value >= 128:
        out.append((value % 128) + 128)
        value //= 128
    out.append(value)
    return bytes(out)


def hpack_literal(headers):
    """Encodes header fields as 'literal without indexing, new name' (0x00 prefix)."""
    out = b""
    for name, value in headers:
        n, v = name.encode(), value.encode()
        out += b"\x00" + _hpack_int(len(n), 7) + n + _hpack_int(len(v), 7) + v
    return out


def grpc_headers(path, extra=()):
    return [(":method", "POST"), (":scheme", "http"), (":path", path), (":authority", "localhost"),
            ("content-type", "application/grpc"), ("te", "trailers")] + list(extra)


def grpc_message(payload, compressed=False):
    return bytes([1 if compressed else 0]) + struct.pack(">I", len(payload)) + payload


def connect(path, timeout=5.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    return s


def start(sock):
    """Client preface plus an empty SETTINGS frame."""
    sock.sendall(PREFACE + frame(SETTINGS, 0, 0))


def read_frames(sock, until=None, limit=1 << 20):
    """Reads frames until the peer closes, the timeout hits, or until(frames) is true."""
    buf, frames = b"", []
    while len(buf) < limit:
        try:
            chunk = sock.recv(65536)
        except (socket.timeout, ConnectionResetError):
            break
        if not chunk:
            break
        buf += chunk
        while len(buf) >= 9:
            length = int.from_bytes(buf[0:3], "big")
            if len(buf) < 9 + length:
                break
            ftype, flags = buf[3], buf[4]
            sid = int.from_bytes(buf[5:9], "big") & 0x7FFFFFFF
            frames.append((ftype, flags, sid, buf[9:9 + length]))
            buf = buf[9 + length:]
        if until and until(frames):
            break
    return frames


def decode_headers(frames):
    """The header fields of every HEADERS frame, in order, decoded with one HPACK context."""
    import hpack

    decoder = hpack.Decoder()
    out = []
    for ftype, _flags, sid, payload in frames:
        if ftype == HEADERS:
            out.append((sid, dict(decoder.decode(payload))))
    return out
