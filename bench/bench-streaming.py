#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Streaming server benchmark on loopback, against tests/streaming-testserver (the test backend
runs local processes and connects to local ports):
  - exec round trip: p50/p99 of `echo` through exec over SPDY, from the request to the status;
  - port-forward throughput: MiB/s of a bulk transfer to a local sink through one SPDY pair.
With --container (root): the same exec round trip against a busybox container of crio in a
throw-away test host (the runtime's `exec` included), beside a bare `runc exec` of the same
container timed in the host, and a 256 MiB `cat` through exec.
Usage: bench-streaming.py [BUILD_DIR] [--mib N] [--runs N] [--container]"""

import argparse
import os
import socket
import statistics
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


def bench_container(build, runs):
    """Exec round trips against a real container, through a relay into the test host's netns."""
    from cri_client import CriClient
    from testhost import TestHost
    import test_containers as t
    from test_images import registry_config, sh, start_service
    from test_streaming_containers import Relay

    host = TestHost()
    host.boot()
    try:
        host.install_crio(os.path.abspath(build), os.path.join(HERE, ".."))
        host.start_crio()
        sh(host, f"rm -rf {t.WORK} && mkdir -p {t.WORK}")
        host.write_file(f"{t.WORK}/registry.yml", registry_config(f"{t.WORK}/storage", t.PORT))
        start_service(host, "crio-bench-registry", ["docker-registry", "serve", f"{t.WORK}/registry.yml"], t.PORT)
        t.build_image(host, t.WORK, t.REG)
        with CriClient(host.crio_socket()) as cri:
            cri.image.PullImage(cri.pb.PullImageRequest(image=cri.pb.ImageSpec(image=t.IMAGE)), timeout=120)
            pod_id, pod_cfg = t.run_pod(cri, "bench")
            ctr = t.run(cri, pod_id, pod_cfg, "sleeper", "sleep 100000")
            relay = None
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                url = cri.runtime.Exec(cri.pb.ExecRequest(container_id=ctr, cmd=["echo", "hello"], stdout=True,
                                                          stderr=True)).url
                if relay is None:
                    from urllib.parse import urlsplit
                    relay = Relay(host.pid, urlsplit(url).port)
                c = spdy_client.SpdyClient(relay.url(url))
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

            size = 256
            url = relay.url(cri.runtime.Exec(cri.pb.ExecRequest(container_id=ctr, cmd=["cat"], stdin=True,
                                                                stdout=True, stderr=True)).url)
            c = spdy_client.SpdyClient(url)
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
            print(f"cat {size} MiB through exec (runc's pipes, relay into the host): {size / elapsed:.0f} MiB/s")
            relay.close()
    finally:
        host.teardown(verify=False)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default=os.path.join(HERE, "..", "build"))
    ap.add_argument("--mib", type=int, default=1024)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--container", action="store_true")
    args = ap.parse_args()
    if args.container:
        bench_container(args.build, args.runs)
        return

    import test_streaming
    test_streaming.BUILD = args.build
    server = StreamingServer()

    times = []
    for _ in range(args.runs):
        t = time.perf_counter()
        url = server.url("exec", argv=["/bin/echo", "hello"])
        c = spdy_client.SpdyClient(url)
        ids = spdy_client.exec_streams(c)
        c.read_until_closed()
        c.close()
        times.append((time.perf_counter() - t) * 1000)
        assert c.streams[ids["stdout"]].data == b"hello\n"
    times.sort()
    print(f"exec echo round trip, {args.runs} runs: p50 {statistics.median(times):.2f} ms, "
          f"p99 {times[int(len(times) * 0.99) - 1]:.2f} ms")

    port, done = sink_server()
    url = server.ask("portforward")
    c = spdy_client.SpdyClient(url, protocols=("portforward.k8s.io",), flow_control=False)
    reader = c.start_reader()
    err = c.open_stream({"streamType": "error", "port": port, "requestID": 0})
    data = c.open_stream({"streamType": "data", "port": port, "requestID": 0})
    block = os.urandom(1 << 20)
    t = time.perf_counter()
    for _ in range(args.mib):
        c.send_data(data, block, chunk=1 << 20)
    c.send_data(data, b"", fin=True)
    c.wait(lambda: c.streams[data].fin, timeout=300)
    elapsed = time.perf_counter() - t
    assert done.get("bytes") == args.mib << 20, done
    print(f"port-forward {args.mib} MiB through one SPDY pair: {args.mib / elapsed:.0f} MiB/s")
    c.close()
    reader.join(10)
    server.stop()


if __name__ == "__main__":
    main()
