#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Streaming server benchmark on loopback, against tests/streaming-testserver (the test backend
runs local processes and connects to local ports):
  - exec round trip: p50/p99 of `echo` through exec over SPDY, from the request to the status;
  - port-forward throughput: MiB/s of a bulk transfer to a local sink through one SPDY pair.
Usage: bench-streaming.py [BUILD_DIR] [--mib N] [--runs N]"""

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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default=os.path.join(HERE, "..", "build"))
    ap.add_argument("--mib", type=int, default=1024)
    ap.add_argument("--runs", type=int, default=200)
    args = ap.parse_args()

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
