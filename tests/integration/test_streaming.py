# SPDX-License-Identifier: Apache-2.0
"""The streaming server (src/streaming/) on loopback with the test backend: exec, attach and
port-forward over SPDY/3.1 and WebSocket, as kubectl, crictl and kubelet speak them."""

import json
import os
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
import urllib.parse

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import spdy_client  # noqa: E402

websocket = pytest.importorskip("websocket")

BUILD = os.environ.get("CRIO_BUILD_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "build"))


class StreamingServer:
    def __init__(self, env=None):
        self.proc = subprocess.Popen([os.path.join(BUILD, "tests", "streaming-testserver")],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     env=dict(os.environ, **(env or {})))
        line = self.proc.stdout.readline().split()
        assert line[0] == "port", line
        self.port = int(line[1])

    def ask(self, command):
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def url(self, kind, tty=False, stdin=False, stdout=True, stderr=True, argv=()):
        flags = " ".join("1" if x else "0" for x in (tty, stdin, stdout, stderr))
        return self.ask(f"{kind} {flags} {' '.join(urllib.parse.quote(a) for a in argv)}".strip())

    def stats(self):
        return dict(kv.split("=") for kv in self.ask("stats").split())

    def wait_idle(self, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            s = self.stats()
            if s["connections"] == "0" and s["live"] == "0":
                return s
            time.sleep(0.05)
        return self.stats()

    def stop(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def server():
    s = StreamingServer()
    yield s
    s.stop()


class EchoServer:
    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.echo, args=(conn,), daemon=True).start()

    @staticmethod
    def echo(conn):
        with conn:
            while True:
                data = conn.recv(262144)
                if not data:
                    conn.shutdown(socket.SHUT_WR)
                    return
                conn.sendall(data)


@pytest.fixture(scope="module")
def echo():
    return EchoServer()


def spdy_exec(server, argv, stdin_data=None, tty=False, protocols=("v4.channel.k8s.io",), resize=None):
    url = server.url("exec", tty=tty, stdin=stdin_data is not None, argv=argv)
    c = spdy_client.SpdyClient(url, protocols=protocols)
    ids = spdy_client.exec_streams(c, stdin=stdin_data is not None, tty=tty)
    if resize:
        c.send_data(ids["resize"], json.dumps({"Width": resize[0], "Height": resize[1]}).encode())
    if stdin_data is not None:
        c.send_data(ids["stdin"], stdin_data, fin=True)
    c.read_until_closed()
    c.close()
    out = {k: bytes(c.streams[v].data) for k, v in ids.items()}
    return c, out


def test_exec_spdy_exit_code(server):
    c, out = spdy_exec(server, ["/bin/sh", "-c", "echo out; echo err >&2; exit 3"])
    assert c.protocol == "v4.channel.k8s.io"
    assert out["stdout"] == b"out\n"
    assert out["stderr"] == b"err\n"
    status = json.loads(out["error"])
    assert status["status"] == "Failure"
    assert status["reason"] == "NonZeroExitCode"
    assert status["details"]["causes"] == [{"reason": "ExitCode", "message": "3"}]
    assert c.goaway


def test_exec_spdy_success_and_stdin(server):
    c, out = spdy_exec(server, ["/bin/cat"], stdin_data=b"hello\nworld\n")
    assert out["stdout"] == b"hello\nworld\n"
    assert json.loads(out["error"]) == {"metadata": {}, "status": "Success"}


def test_exec_spdy_older_protocol(server):
    c, out = spdy_exec(server, ["/bin/sh", "-c", "exit 2"], protocols=("v2.channel.k8s.io", "v1.bogus"))
    assert c.protocol == "v2.channel.k8s.io"
    assert b"exit code 2" in out["error"]


def test_exec_spdy_tty_resize(server):
    c, out = spdy_exec(server, ["/bin/sh", "-c", "sleep 0.5; stty size"], tty=True, resize=(100, 40))
    assert b"40 100" in out["stdout"]
    assert "stderr" not in out
    assert server.stats()["width"] == "100"


def test_exec_spdy_100mib(server):
    size = 100 * 1024 * 1024
    url = server.url("exec", stdin=True, argv=["/bin/cat"])
    c = spdy_client.SpdyClient(url)
    ids = spdy_client.exec_streams(c, stdin=True)
    reader = c.start_reader()
    block = os.urandom(1024 * 1024)
    for _ in range(size // len(block)):
        c.send_data(ids["stdin"], block)
    c.send_data(ids["stdin"], b"", fin=True)
    reader.join(120)
    c.close()
    data = c.streams[ids["stdout"]].data
    assert len(data) == size
    assert data[:len(block)] == block and data[-len(block):] == block
    assert json.loads(c.streams[ids["error"]].data)["status"] == "Success"


def test_client_disconnect_cancels(server):
    base = server.wait_idle()
    url = server.url("exec", stdin=True, argv=["/bin/sleep", "100"])
    c = spdy_client.SpdyClient(url)
    spdy_client.exec_streams(c, stdin=True)
    time.sleep(0.3)
    assert server.stats()["live"] == "1"
    c.close()
    s = server.wait_idle()
    assert int(s["cancelled"]) == int(base["cancelled"]) + 1
    assert s["live"] == "0" and s["connections"] == "0"
    assert s["fds"] == base["fds"]


def test_tokens_single_use_and_unknown(server):
    url = server.url("exec", argv=["/bin/true"])
    spdy_exec_url = url
    c = spdy_client.SpdyClient(spdy_exec_url)
    spdy_client.exec_streams(c)
    c.read_until_closed()
    c.close()
    with pytest.raises(spdy_client.UpgradeError) as e:
        spdy_client.SpdyClient(url)
    assert e.value.status == 404
    with pytest.raises(spdy_client.UpgradeError) as e:
        spdy_client.SpdyClient(url.rsplit("/", 1)[0] + "/AAAAAAAA")
    assert e.value.status == 404
    # A token for exec is not one for attach.
    url = server.url("exec", argv=["/bin/true"])
    with pytest.raises(spdy_client.UpgradeError) as e:
        spdy_client.SpdyClient(url.replace("/exec/", "/attach/"))
    assert e.value.status == 400


def test_malformed_upgrades_do_not_harm_others(server):
    # A running session, which must survive everything below.
    url = server.url("exec", stdin=True, argv=["/bin/cat"])
    good = spdy_client.SpdyClient(url)
    ids = spdy_client.exec_streams(good, stdin=True)
    good.send_data(ids["stdin"], b"before\n")
    good.read_until(lambda: good.streams[ids["stdout"]].data == b"before\n")

    url = server.url("exec", argv=["/bin/true"])
    with pytest.raises(spdy_client.UpgradeError) as e:
        spdy_client.SpdyClient(url, protocols=())
    assert e.value.status == 400
    url = server.url("exec", argv=["/bin/true"])
    with pytest.raises(spdy_client.UpgradeError) as e:
        spdy_client.SpdyClient(url, protocols=("v9.channel.k8s.io",))
    assert e.value.status == 403
    assert "X-Accepted-Stream-Protocol-Versions: v4.channel.k8s.io" in e.value.head
    sock, status, _, _ = spdy_client.http_request(f"http://127.0.0.1:{server.port}/exec/x", [])
    sock.close()
    assert status == 404
    s = socket.create_connection(("127.0.0.1", server.port))
    s.sendall(b"\x00\x01garbage\r\n\r\n")
    assert s.recv(100).startswith(b"HTTP/1.1 400")
    s.close()
    url = server.url("exec", argv=["/bin/true"])
    sock, status, _, _ = spdy_client.http_request(url, [("Connection", "Upgrade"), ("Upgrade", "websocket"),
                                                        ("Sec-WebSocket-Version", "13"),
                                                        ("Sec-WebSocket-Key", "short")])
    sock.close()
    assert status == 400

    # Malformed frames end their own connection only.
    url = server.url("exec", stdin=True, argv=["/bin/cat"])
    bad = spdy_client.SpdyClient(url)
    bad.send_raw(b"\x80\x07\x00\x01\x00\x00\x00\x02xx")    # SPDY version 7
    bad.read_until_closed()
    assert bad.goaway
    bad.close()
    url = server.url("exec", stdin=True, argv=["/bin/cat"])
    ws = websocket.create_connection(url.replace("http://", "ws://"), subprotocols=["v5.channel.k8s.io"])
    ws.sock.sendall(b"\x82\x02\x00x")                      # unmasked client frame
    with pytest.raises(Exception):
        while True:
            op, _ = ws.recv_data(control_frame=True)
            if op == websocket.ABNF.OPCODE_CLOSE:
                raise EOFError
    ws.close()

    good.send_data(ids["stdin"], b"after\n", fin=True)
    good.read_until_closed()
    good.close()
    assert good.streams[ids["stdout"]].data == b"before\nafter\n"
    assert json.loads(good.streams[ids["error"]].data)["status"] == "Success"
    server.wait_idle()


def ws_exec(server, argv, protocol, stdin_data=None, tty=False):
    url = server.url("exec", tty=tty, stdin=stdin_data is not None, argv=argv).replace("http://", "ws://")
    ws = websocket.create_connection(url, subprotocols=[protocol])
    assert ws.getsubprotocol() == protocol
    b64 = "base64" in protocol
    if stdin_data is not None:
        if b64:
            import base64
            ws.send("0" + base64.b64encode(stdin_data).decode())
        else:
            ws.send_binary(b"\x00" + stdin_data)
            if protocol.startswith("v5"):
                ws.send_binary(b"\xff\x00")
    out = {}
    while True:
        try:
            op, data = ws.recv_data()
        except websocket.WebSocketConnectionClosedException:
            break
        if op == websocket.ABNF.OPCODE_CLOSE:
            break
        if not data:
            continue
        if b64:
            import base64
            ch, payload = data[0] - ord("0"), base64.b64decode(data[1:])
        else:
            ch, payload = data[0], data[1:]
        out[ch] = out.get(ch, b"") + payload
    ws.close()
    return out


def test_exec_websocket_v5_stdin_close(server):
    out = ws_exec(server, ["/bin/cat"], "v5.channel.k8s.io", stdin_data=b"through websocket\n")
    assert out[1] == b"through websocket\n"
    assert json.loads(out[3])["status"] == "Success"


def test_exec_websocket_v4_exit_code(server):
    out = ws_exec(server, ["/bin/sh", "-c", "echo e >&2; exit 7"], "v4.channel.k8s.io")
    assert out[2] == b"e\n"
    assert json.loads(out[3])["details"]["causes"][0]["message"] == "7"


def test_exec_websocket_base64(server):
    out = ws_exec(server, ["/bin/sh", "-c", "echo b64"], "v4.base64.channel.k8s.io")
    assert out[1] == b"b64\n"


def test_attach_spdy_shell(server):
    url = server.url("attach", stdin=True)
    c = spdy_client.SpdyClient(url)
    ids = spdy_client.exec_streams(c, stdin=True)
    c.send_data(ids["stdin"], b"echo attached; exit 4\n", fin=True)
    c.read_until_closed()
    c.close()
    assert c.streams[ids["stdout"]].data == b"attached\n"
    assert json.loads(c.streams[ids["error"]].data)["details"]["causes"][0]["message"] == "4"


def test_port_forward_spdy(server, echo):
    url = server.ask("portforward")
    c = spdy_client.SpdyClient(url, protocols=("portforward.k8s.io",))
    assert c.protocol == "portforward.k8s.io"
    reader = c.start_reader()
    pairs = []
    for rid in range(3):
        err = c.open_stream({"streamType": "error", "port": echo.port, "requestID": rid})
        c.send_data(err, b"", fin=True)
        data = c.open_stream({"streamType": "data", "port": echo.port, "requestID": rid})
        pairs.append((err, data))
    for i, (_, data) in enumerate(pairs):
        c.send_data(data, f"pair {i}\n".encode() * 1000, fin=True)
    for i, (err, data) in enumerate(pairs):
        assert c.wait(lambda: c.streams[data].fin)
        assert c.streams[data].data == f"pair {i}\n".encode() * 1000
        assert c.streams[err].data == b""
    # A port nobody listens on: the error stream says so; the connection lives on.
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    closed_port = s.getsockname()[1]
    s.close()
    err = c.open_stream({"streamType": "error", "port": closed_port, "requestID": 9})
    data = c.open_stream({"streamType": "data", "port": closed_port, "requestID": 9})
    assert c.wait(lambda: c.streams[err].fin)
    assert b"error forwarding port" in c.streams[err].data
    c.close()
    reader.join(10)
    server.wait_idle()


def test_port_forward_websocket(server, echo):
    url = server.ask("portforward").replace("http://", "ws://") + f"?ports={echo.port}"
    ws = websocket.create_connection(url, subprotocols=["portforward.k8s.io"])
    first = {}
    while len(first) < 2:
        data = ws.recv()
        first[data[0]] = data[1:]
    assert first[0] == struct.pack("<H", echo.port) and first[1] == struct.pack("<H", echo.port)
    ws.send_binary(b"\x00" + b"ping")
    got = b""
    while got != b"ping":
        data = ws.recv()
        assert data[0] == 0
        got += data[1:]
    ws.close()
    server.wait_idle()


def test_missing_container_reports_error(server):
    url = server.ask("attach 0 0 1 1 missing")
    c = spdy_client.SpdyClient(url)
    ids = spdy_client.exec_streams(c)
    c.read_until_closed()
    c.close()
    status = json.loads(c.streams[ids["error"]].data)
    assert status["status"] == "Failure" and "missing" in status["message"]


# ---- TLS ----

def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


class Certs:
    """A CA, server pairs and client pairs made with openssl in a directory (EC P-256, fast)."""

    def __init__(self, directory):
        self.dir = str(directory)
        self.ca = self.make_ca("ca")

    def path(self, name):
        return os.path.join(self.dir, name)

    def make_ca(self, name):
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", f"{name}.key", "-out", f"{name}.crt", "-subj", f"/CN={name}", "-days", "2",
                cwd=self.dir)
        return name

    def make_pair(self, name, ca=None, server=True):
        ca = ca or self.ca
        ext = self.path(f"{name}.ext")
        with open(ext, "w") as f:
            f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n" if server else "extendedKeyUsage=clientAuth\n")
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", f"{name}.key",
                "-out", f"{name}.csr", "-subj", f"/CN={name}", cwd=self.dir)
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key", "-CAcreateserial",
                "-out", f"{name}.crt", "-days", "2", "-extfile", ext, cwd=self.dir)
        return self.path(f"{name}.crt"), self.path(f"{name}.key")

    def client_context(self, client=None, verify=True):
        ctx = ssl.create_default_context(cafile=self.path(f"{self.ca}.crt"))
        if not verify:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        if client:
            ctx.load_cert_chain(self.path(f"{client}.crt"), self.path(f"{client}.key"))
        return ctx


def install(src, dst):
    """Replaces dst with a copy of src in one rename, as tools that rotate certificates do."""
    with open(src, "rb") as f:
        data = f.read()
    with open(dst + ".tmp", "wb") as f:
        f.write(data)
    os.rename(dst + ".tmp", dst)


def presented_cert(port, ctx):
    """The DER certificate the server shows a new connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            return s.getpeercert(binary_form=True)


def der(path):
    with open(path) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    c = Certs(tmp_path_factory.mktemp("stream-tls"))
    for name in ("server-1", "server-2", "server-3"):
        c.make_pair(name)
    c.make_pair("client", server=False)
    c.make_ca("other-ca")
    c.make_pair("stranger", ca="other-ca", server=False)
    return c


def tls_server(certs, ca=False):
    live = os.path.join(certs.dir, f"live-{'ca' if ca else 'plain'}")
    os.makedirs(live, exist_ok=True)
    install(certs.path("server-1.crt"), os.path.join(live, "tls.crt"))
    install(certs.path("server-1.key"), os.path.join(live, "tls.key"))
    env = {"STREAMING_TLS_CERT": os.path.join(live, "tls.crt"), "STREAMING_TLS_KEY": os.path.join(live, "tls.key")}
    if ca:
        env["STREAMING_TLS_CA"] = certs.path("ca.crt")
    return StreamingServer(env), live


def test_tls_exec_and_port_forward(certs, echo):
    server, _ = tls_server(certs)
    try:
        ctx = certs.client_context()
        url = server.url("exec", stdin=True, argv=["/bin/sh", "-c", "cat; exit 3"])
        assert url.startswith("https://127.0.0.1:"), url
        # One thread reads and writes (an SSL socket is not to be shared by threads): no windows.
        c = spdy_client.SpdyClient(url, ssl_context=ctx, flow_control=False)
        assert c.sock.version() in ("TLSv1.2", "TLSv1.3")
        ids = spdy_client.exec_streams(c, stdin=True)
        c.send_data(ids["stdin"], b"over tls\n" * 10000, fin=True)
        c.read_until_closed()
        c.close()
        assert c.streams[ids["stdout"]].data == b"over tls\n" * 10000
        assert json.loads(c.streams[ids["error"]].data)["details"]["causes"][0]["message"] == "3"

        # Port forwarding over TLS: one pair, 1 MiB through the echo server and back.
        c = spdy_client.SpdyClient(server.ask("portforward"), protocols=("portforward.k8s.io",), ssl_context=ctx,
                                   flow_control=False)
        err = c.open_stream({"streamType": "error", "port": echo.port, "requestID": 0})
        c.send_data(err, b"", fin=True)
        data = c.open_stream({"streamType": "data", "port": echo.port, "requestID": 0})
        block = os.urandom(1 << 20)
        c.send_data(data, block, fin=True)
        assert c.read_until(lambda: c.streams[data].fin)
        c.close()
        assert c.streams[data].data == block and c.streams[err].data == b""

        # A TLS 1.2 client too (its handshake ends with the server's flight, not the client's).
        ctx12 = certs.client_context()
        ctx12.maximum_version = ssl.TLSVersion.TLSv1_2
        c = spdy_client.SpdyClient(server.url("exec", argv=["/bin/echo", "twelve"]), ssl_context=ctx12)
        assert c.sock.version() == "TLSv1.2"
        ids = spdy_client.exec_streams(c)
        c.read_until_closed()
        c.close()
        assert c.streams[ids["stdout"]].data == b"twelve\n"

        # WebSocket over TLS (wss://).
        url = server.url("exec", argv=["/bin/echo", "secure"]).replace("https://", "wss://")
        ws = websocket.create_connection(url, subprotocols=["v4.channel.k8s.io"],
                                         sslopt={"ca_certs": certs.path("ca.crt")})
        out = b""
        while True:
            try:
                data = ws.recv()
            except websocket.WebSocketConnectionClosedException:
                break
            if not data:
                break
            if data[0] == 1:
                out += data[1:]
        ws.close()
        assert out == b"secure\n"

        # Plain HTTP to a TLS server gets nowhere.
        sock = socket.create_connection(("127.0.0.1", server.port))
        sock.settimeout(10)
        sock.sendall(b"POST /exec/x HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            assert not sock.recv(100).startswith(b"HTTP/1.1")
        except ConnectionResetError:
            pass
        sock.close()
        assert server.wait_idle()["connections"] == "0"
    finally:
        server.stop()


def refused(fn):
    try:
        fn()
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError) as e:
        return str(e)
    except spdy_client.UpgradeError as e:
        assert e.status == 0, e.head
        return "closed"
    return None


def test_tls_client_certificate_required_with_ca(certs):
    server, _ = tls_server(certs, ca=True)
    try:
        def exec_echo(ctx):
            c = spdy_client.SpdyClient(server.url("exec", argv=["/bin/echo", "ok"]), ssl_context=ctx)
            ids = spdy_client.exec_streams(c)
            c.read_until_closed()
            c.close()
            return bytes(c.streams[ids["stdout"]].data)

        assert refused(lambda: exec_echo(certs.client_context())), "no client certificate was accepted"
        assert refused(lambda: exec_echo(certs.client_context("stranger"))), \
            "a client certificate of another CA was accepted"
        assert exec_echo(certs.client_context("client")) == b"ok\n"
        assert server.wait_idle()["connections"] == "0"
    finally:
        server.stop()


def wait_stats(server, key, value, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if server.stats()[key] == str(value):
            return True
        time.sleep(0.05)
    return False


def test_tls_rotation_and_bad_pair(certs):
    server, live = tls_server(certs)
    crt, key = os.path.join(live, "tls.crt"), os.path.join(live, "tls.key")
    try:
        probe = certs.client_context()
        assert presented_cert(server.port, probe) == der(certs.path("server-1.crt"))

        # A session open across the rotation goes on with the certificate it started with.
        c = spdy_client.SpdyClient(server.url("exec", stdin=True, argv=["/bin/cat"]), ssl_context=probe)
        ids = spdy_client.exec_streams(c, stdin=True)
        c.send_data(ids["stdin"], b"before\n")
        assert c.read_until(lambda: c.streams[ids["stdout"]].data == b"before\n")

        install(certs.path("server-2.crt"), crt)
        install(certs.path("server-2.key"), key)
        assert wait_stats(server, "tls_reloads", 1), server.stats()
        assert presented_cert(server.port, probe) == der(certs.path("server-2.crt"))
        assert server.stats()["tls_failures"] == "0"

        c.send_data(ids["stdin"], b"after\n", fin=True)
        c.read_until_closed()
        c.close()
        assert c.streams[ids["stdout"]].data == b"before\nafter\n"

        # A certificate without its key: refused, the pair in use stays.
        install(certs.path("server-3.crt"), crt)
        assert wait_stats(server, "tls_failures", 1), server.stats()
        assert presented_cert(server.port, probe) == der(certs.path("server-2.crt"))
        # Garbage as the key: the same.
        with open(key + ".tmp", "w") as f:
            f.write("not a key\n")
        os.rename(key + ".tmp", key)
        time.sleep(0.5)
        assert int(server.stats()["tls_failures"]) >= 2
        assert presented_cert(server.port, probe) == der(certs.path("server-2.crt"))
        c = spdy_client.SpdyClient(server.url("exec", argv=["/bin/echo", "still"]), ssl_context=probe)
        ids = spdy_client.exec_streams(c)
        c.read_until_closed()
        c.close()
        assert c.streams[ids["stdout"]].data == b"still\n"

        # The matching key arrives: server-3 is taken.
        install(certs.path("server-3.key"), key)
        assert wait_stats(server, "tls_reloads", 2), server.stats()
        assert presented_cert(server.port, probe) == der(certs.path("server-3.crt"))
        assert server.wait_idle()["connections"] == "0"
    finally:
        server.stop()


def test_tls_port_forward_backpressure(certs):
    """A slow reader in the pod: crio stops reading the client while TLS records wait, and
    resumes (OpenSSL may already hold records read ahead) without losing or reordering a byte."""
    import hashlib
    sink = socket.socket()
    sink.bind(("127.0.0.1", 0))
    sink.listen(1)
    result = {}

    def slow():
        conn, _ = sink.accept()
        h, n = hashlib.sha256(), 0
        while True:
            data = conn.recv(65536)
            if not data:
                break
            h.update(data)
            n += len(data)
            if n < 4 << 20:
                time.sleep(0.002)
        result["n"], result["sha"] = n, h.hexdigest()
        conn.close()

    threading.Thread(target=slow, daemon=True).start()
    server, _ = tls_server(certs)
    try:
        c = spdy_client.SpdyClient(server.ask("portforward"), protocols=("portforward.k8s.io",),
                                   ssl_context=certs.client_context(), flow_control=False)
        err = c.open_stream({"streamType": "error", "port": sink.getsockname()[1], "requestID": 0})
        c.send_data(err, b"", fin=True)
        data = c.open_stream({"streamType": "data", "port": sink.getsockname()[1], "requestID": 0})
        payload = os.urandom(16 << 20)
        c.send_data(data, payload, fin=True, chunk=100000)
        assert c.read_until(lambda: c.streams[data].fin)
        c.close()
        assert result.get("n") == len(payload)
        assert result["sha"] == hashlib.sha256(payload).hexdigest()
        assert server.wait_idle()["connections"] == "0"
    finally:
        server.stop()
        sink.close()
