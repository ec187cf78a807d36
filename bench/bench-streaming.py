#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Streaming server benchmark on loopback, against tests/streaming-testserver (the test backend
runs local processes and connects to local ports):
  - exec round trip: p50/p99 of `echo` through exec over SPDY, from the request to the status;
  - port-forward throughput: MiB/s of a bulk transfer to a local sink through one SPDY pair.
With --container (root): the same exec round trip against a busybox container of crio in a
throw-away test host (the runtime's `exec` included), beside a bare `runc exec` of the same
container timed in the host; port-forward throughput to and from busybox `nc` in a real pod
(host network) over SPDY and WebSocket, --repeats times each; and a 256 MiB `cat` through exec.
With --tls: the test backend's server over TLS, with a certificate made by openssl for the run.
Usage: bench-streaming.py [BUILD_DIR] [--mib N] [--runs N] [--repeats N] [--container | --tls]"""

import argparse
import base64
import os
import socket
import statistics
import struct
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import spdy_client  # noqa: E402
from test_streaming import StreamingServer  # noqa: E402


def sink_server():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(4)
    done = {}

    def run():
        conn, _ = s.accept()
        n = 0
        while True:
            data = conn.recv(1 << 20)
            if not data:
                break
            n += len(data)
        done["bytes"] = n
        conn.sendall(b"done")
        conn.close()

    threading.Thread(target=run, daemon=True).start()
    return s.getsockname()[1], done


def p99(times):
    return sorted(times)[max(0, int(len(times) * 0.99) - 1)]


# ---- bulk port-forward clients: the protocol's framing parsed in place, payloads counted, not copied ----

MIB = 1 << 20


class Counter:
    """Feeds a socket's bytes through a frame parser that counts payload of interest."""

    def __init__(self, sock, pending=b""):
        self.sock = sock
        self.scratch = bytearray(4 * MIB)
        self.view = memoryview(self.scratch)
        self.pending = bytes(pending)

    def chunks(self):
        if self.pending:
            data, self.pending = self.pending, b""
            yield memoryview(data)
        while True:
            n = self.sock.recv_into(self.view)
            if n == 0:
                return
            yield self.view[:n]


def spdy_count(counter, sid, want, marker=None):
    """Counts DATA bytes of stream sid until want bytes came (or marker arrived, or FIN)."""
    got, head, skip, counting = 0, b"", 0, False
    for chunk in counter.chunks():
        pos, n = 0, len(chunk)
        while pos < n:
            if skip:
                k = min(skip, n - pos)
                if counting:
                    got += k
                    if marker is not None and bytes(chunk[pos:pos + k]).endswith(marker):
                        return got
                skip -= k
                pos += k
                if counting and got >= want:
                    return got
                continue
            k = min(8 - len(head), n - pos)
            head += bytes(chunk[pos:pos + k])
            pos += k
            if len(head) < 8:
                continue
            length = int.from_bytes(head[5:8], "big")
            data_frame = not head[0] & 0x80
            counting = data_frame and int.from_bytes(head[0:4], "big") == sid
            fin = data_frame and counting and head[4] & 1
            head, skip = b"", length
            if fin and length == 0:
                return got
    return got


def ws_count(counter, want, marker=None):
    """Counts the payload of WebSocket messages on channel 0 (less their channel byte)."""
    got, head, need, skip, counting, first_byte = 0, b"", 2, 0, False, False
    for chunk in counter.chunks():
        pos, n = 0, len(chunk)
        while pos < n:
            if skip:
                k = min(skip, n - pos)
                if first_byte:
                    counting = chunk[pos] == 0
                    first_byte = False
                    got -= 1 if counting else 0
                if counting:
                    got += k
                    if marker is not None and bytes(chunk[pos:pos + k]).endswith(marker):
                        return got
                skip -= k
                pos += k
                if counting and got >= want:
                    return got
                continue
            k = min(need - len(head), n - pos)
            head += bytes(chunk[pos:pos + k])
            pos += k
            if len(head) < need:
                continue
            if need == 2:
                length = head[1] & 0x7F
                if length >= 126:
                    need = 4 if length == 126 else 10
                    continue
            length = head[1] & 0x7F
            if length == 126:
                length = int.from_bytes(head[2:4], "big")
            elif length == 127:
                length = int.from_bytes(head[2:10], "big")
            if head[0] & 0x0F == 8:
                return got
            head, need, skip, first_byte, counting = b"", 2, length, length > 0, False
    return got


def spdy_port_forward(url, port, connect, mib, upload):
    c = spdy_client.SpdyClient(url, protocols=("portforward.k8s.io",), flow_control=False, connect=connect)
    err = c.open_stream({"streamType": "error", "port": port, "requestID": 0})
    c.send_data(err, b"", fin=True)
    start = time.perf_counter()
    data = c.open_stream({"streamType": "data", "port": port, "requestID": 0})
    if upload:
        frame = struct.pack("!II", data, MIB) + bytes(MIB)
        for _ in range(mib):
            c.sock.sendall(frame)
        got = spdy_count(Counter(c.sock, c.buf), data, 1 << 62, marker=b"done\n")
        assert got == 5, got
    else:
        got = spdy_count(Counter(c.sock, c.buf), data, mib * MIB)
        assert got == mib * MIB, got
    elapsed = time.perf_counter() - start
    c.close()
    return mib / elapsed


def ws_port_forward(url, port, connect, mib, upload):
    key = base64.b64encode(os.urandom(16)).decode()
    sock, status, head, rest = spdy_client.http_request(url, [
        ("Connection", "Upgrade"), ("Upgrade", "websocket"), ("Sec-WebSocket-Version", "13"),
        ("Sec-WebSocket-Key", key), ("Sec-WebSocket-Protocol", "portforward.k8s.io")], method="GET", connect=connect)
    assert status == 101, head
    start = time.perf_counter()
    counter = Counter(sock, rest)
    if upload:
        # A client frame must be masked: an all-zero key leaves the payload as it is.
        frame = b"\x82\xff" + (MIB + 1).to_bytes(8, "big") + bytes(4) + b"\x00" + bytes(MIB)
        for _ in range(mib):
            sock.sendall(frame)
        got = ws_count(counter, 1 << 62, marker=b"done\n")
        assert got == 2 + 5, got         # the port, then the marker
    else:
        got = ws_count(counter, 2 + mib * MIB) - 2
        assert got == mib * MIB, got
    elapsed = time.perf_counter() - start
    sock.close()
    return mib / elapsed


def summary(figures):
    return f"best {max(figures):.0f}, median {statistics.median(figures):.0f} MiB/s"


def bench_container(build, runs, mib, repeats):
    """Exec round trips and port-forward throughput against a real container and pod of crio in a
    test host; the client connects from a thread inside the host's network namespace, where crio's
    streaming server listens on 127.0.0.1."""
    from cri_client import CriClient
    from testhost import TestHost
    import test_containers as t
    from test_images import registry_config, sh, start_service
    from test_streaming_containers import connect_in_netns

    host = TestHost()
    host.boot()
    try:
        host.install_crio(os.path.abspath(build), os.path.join(HERE, ".."))
        host.start_crio()
        sh(host, f"rm -rf {t.WORK} && mkdir -p {t.WORK}")
        host.write_file(f"{t.WORK}/registry.yml", registry_config(f"{t.WORK}/storage", t.PORT))
        start_service(host, "crio-bench-registry", ["docker-registry", "serve", f"{t.WORK}/registry.yml"], t.PORT)
        t.build_image(host, t.WORK, t.REG)

        def connect(hostname, port):
            s = connect_in_netns(host.pid, port)
            s.settimeout(300)
            return s

        with CriClient(host.crio_socket()) as cri:
            cri.image.PullImage(cri.pb.PullImageRequest(image=cri.pb.ImageSpec(image=t.IMAGE)), timeout=120)
            pod_id, pod_cfg = t.run_pod(cri, "bench")
            ctr = t.run(cri, pod_id, pod_cfg, "sleeper", "sleep 100000")
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                url = cri.runtime.Exec(cri.pb.ExecRequest(container_id=ctr, cmd=["echo", "hello"], stdout=True,
                                                          stderr=True)).url
                c = spdy_client.SpdyClient(url, connect=connect)
                ids = spdy_client.exec_streams(c)
                c.read_until_closed()
                c.close()
                times.append((time.perf_counter() - start) * 1000)
                assert c.streams[ids["stdout"]].data == b"hello\n"
            print(f"container exec echo round trip (runc), {runs} runs: p50 {statistics.median(times):.1f} ms, "
                  f"p99 {p99(times):.1f} ms")
            bare = host.run(["sh", "-c", f"for i in $(seq {runs}); do s=$(date +%s%N); "
                             f"runc --root /run/runc exec {ctr} echo hello >/dev/null; e=$(date +%s%N); "
                             "echo $(( (e - s) / 1000 )); done"], timeout=600).stdout.split()
            bare_ms = [int(x) / 1000 for x in bare]
            print(f"bare `runc exec echo hello` in the host, {runs} runs: p50 {statistics.median(bare_ms):.1f} ms, "
                  f"p99 {p99(bare_ms):.1f} ms")

            # busybox nc in the pod: a source of mib MiB per connection, and a sink that answers
            # "done" once it read them all. dd moves 1 MiB a call (busybox head copies 4 KiB at a
            # time, about 60 MiB/s).
            t.run(cri, pod_id, pod_cfg, "source",
                  f"exec nc -ll -p 9100 -e sh -c 'exec dd if=/dev/zero bs=1M count={mib} 2>/dev/null'")
            t.run(cri, pod_id, pod_cfg, "sink",
                  f"exec nc -ll -p 9101 -e sh -c 'dd of=/dev/null bs=1M count={mib} iflag=fullblock 2>/dev/null; "
                  "echo done'")
            for port in (9100, 9101):
                t.wait_for(lambda: f":{port}" in t.exec_sync(cri, ctr, ["netstat", "-ltn"]).stdout.decode(), 20,
                           f"nc on {port}")

            def pf_url():
                return cri.runtime.PortForward(cri.pb.PortForwardRequest(pod_sandbox_id=pod_id)).url

            def pf_url_ws(port):
                return cri.runtime.PortForward(cri.pb.PortForwardRequest(pod_sandbox_id=pod_id, port=[port])).url

            results = {k: [] for k in ("spdy down", "spdy up", "ws down", "ws up")}
            raw = []
            for _ in range(repeats):
                # The same transfer straight from the pod's port (its loopback is the host's), without crio.
                sock = connect(None, 9100)
                start = time.perf_counter()
                got = sum(len(c) for c in Counter(sock).chunks())
                raw.append(mib / (time.perf_counter() - start))
                sock.close()
                assert got == mib * MIB, got
                results["spdy down"].append(spdy_port_forward(pf_url(), 9100, connect, mib, upload=False))
                results["spdy up"].append(spdy_port_forward(pf_url(), 9101, connect, mib, upload=True))
                results["ws down"].append(ws_port_forward(pf_url_ws(9100), 9100, connect, mib, upload=False))
                results["ws up"].append(ws_port_forward(pf_url_ws(9101), 9101, connect, mib, upload=True))
            print(f"baseline: {mib} MiB straight from the pod's nc, no crio, {repeats} runs: {summary(raw)}")
            for k, v in results.items():
                direction = "pod -> client" if k.endswith("down") else "client -> pod"
                print(f"port-forward {mib} MiB {direction} over {'SPDY' if k.startswith('spdy') else 'WebSocket'}, "
                      f"{repeats} runs: {summary(v)}")

            size = 256
            url = cri.runtime.Exec(cri.pb.ExecRequest(container_id=ctr, cmd=["cat"], stdin=True, stdout=True,
                                                      stderr=True)).url
            c = spdy_client.SpdyClient(url, connect=connect)
            ids = spdy_client.exec_streams(c, stdin=True)
            reader = c.start_reader()
            block = os.urandom(1 << 20)
            start = time.perf_counter()
            for _ in range(size):
                c.send_data(ids["stdin"], block)
            c.send_data(ids["stdin"], b"", fin=True)
            reader.join(300)
            elapsed = time.perf_counter() - start
            c.close()
            assert len(c.streams[ids["stdout"]].data) == size << 20
            print(f"cat {size} MiB through exec (runc's pipes): {size / elapsed:.0f} MiB/s")
    finally:
        host.teardown(verify=False)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default=os.path.join(HERE, "..", "build"))
    ap.add_argument("--mib", type=int, default=1024)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=3, help="bulk transfers per direction and protocol")
    ap.add_argument("--container", action="store_true")
    ap.add_argument("--tls", action="store_true", help="the test backend's server over TLS (a throw-away CA)")
    args = ap.parse_args()
    if args.container:
        bench_container(args.build, args.runs, args.mib, args.repeats)
        return

    import test_streaming
    test_streaming.BUILD = args.build
    env, ctx, tmp = None, None, None
    if args.tls:
        import tempfile
        tmp = tempfile.TemporaryDirectory()
        certs = test_streaming.Certs(tmp.name)
        crt, key = certs.make_pair("server")
        env = {"STREAMING_TLS_CERT": crt, "STREAMING_TLS_KEY": key}
        ctx = certs.client_context()
    server = StreamingServer(env)
    what = " over TLS" if args.tls else ""

    times = []
    for _ in range(args.runs):
        t = time.perf_counter()
        url = server.url("exec", argv=["/bin/echo", "hello"])
        c = spdy_client.SpdyClient(url, ssl_context=ctx)
        ids = spdy_client.exec_streams(c)
        c.read_until_closed()
        c.close()
        times.append((time.perf_counter() - t) * 1000)
        assert c.streams[ids["stdout"]].data == b"hello\n"
    times.sort()
    print(f"exec echo round trip{what}, {args.runs} runs: p50 {statistics.median(times):.2f} ms, "
          f"p99 {times[int(len(times) * 0.99) - 1]:.2f} ms")

    port, done = sink_server()
    url = server.ask("portforward")
    c = spdy_client.SpdyClient(url, protocols=("portforward.k8s.io",), flow_control=False, ssl_context=ctx)
    # An SSL socket is not shared between threads: over TLS one thread sends, then reads.
    reader = None if args.tls else c.start_reader()
    c.open_stream({"streamType": "error", "port": port, "requestID": 0})
    data = c.open_stream({"streamType": "data", "port": port, "requestID": 0})
    block = os.urandom(1 << 20)
    t = time.perf_counter()
    for _ in range(args.mib):
        c.send_data(data, block, chunk=1 << 20)
    c.send_data(data, b"", fin=True)
    if reader:
        c.wait(lambda: c.streams[data].fin, timeout=300)
    else:
        c.read_until(lambda: c.streams[data].fin)
    elapsed = time.perf_counter() - t
    assert done.get("bytes") == args.mib << 20, done
    print(f"port-forward {args.mib} MiB through one SPDY pair{what}: {args.mib / elapsed:.0f} MiB/s")
    c.close()
    if reader:
        reader.join(10)
    server.stop()
    if tmp:
        tmp.cleanup()


if __name__ == "__main__":
    main()
