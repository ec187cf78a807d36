#!/usr/bin/python3
"""GetContainerEvents: from a container's exit to its CONTAINER_STOPPED_EVENT, in a throw-away test host (root).

crio runs with enable_pod_events; PODS host-network pods (default 10) hold CONTAINERS busybox containers
running `sleep` (default 100), so that every event carries a pod's status and its containers' statuses.
Inside the host, one grpcio client follows GetContainerEvents while KILLS more containers (default 50)
are SIGKILLed one after the other; each is timed from just before kill(2) to the arrival of its
STOPPED event, in the same process and clock. The event's created_at (when crio published it) splits
that into the exit reaching crio and the event reaching the client.

Usage: bench/bench-events.py [build-dir] [pods] [containers] [kills]
"""

import concurrent.futures
import json
import os
import sys
import textwrap
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))

from cri_client import CriClient       # noqa: E402
from testhost import TestHost          # noqa: E402
import test_containers as t            # noqa: E402
from test_images import registry_config, sh, start_service  # noqa: E402

INSIDE = r'''
import json, os, queue, signal, sys, threading, time
sys.path.insert(0, sys.argv[1])
from cri_client import CriClient

victims = sys.argv[2:]
cri = CriClient("/run/crio/crio.sock", max_message=64 << 20)
pb = cri.pb
pids = {v: json.loads(cri.runtime.ContainerStatus(pb.ContainerStatusRequest(container_id=v, verbose=True))
                      .info["info"])["pid"] for v in victims}
stream = cri.runtime.GetContainerEvents(pb.GetEventsRequest())
events = queue.Queue()

def read():
    try:
        for e in stream:
            events.put((time.clock_gettime_ns(time.CLOCK_REALTIME), e))
    except Exception:
        pass

threading.Thread(target=read, daemon=True).start()
time.sleep(1)
kill_to_event, kill_to_publish, publish_to_client, sizes = [], [], [], []
for v in victims:
    time.sleep(0.02)
    killed = time.clock_gettime_ns(time.CLOCK_REALTIME)
    os.kill(pids[v], signal.SIGKILL)
    while True:
        arrived, e = events.get(timeout=30)
        if e.container_id == v and e.container_event_type == pb.CONTAINER_STOPPED_EVENT:
            break
    kill_to_event.append((arrived - killed) / 1e6)
    kill_to_publish.append((e.created_at - killed) / 1e6)
    publish_to_client.append((arrived - e.created_at) / 1e6)
    sizes.append(e.ByteSize())
stream.cancel()
print(json.dumps({"kill_to_event_ms": kill_to_event, "kill_to_publish_ms": kill_to_publish,
                  "publish_to_client_ms": publish_to_client, "event_bytes": sizes}))
'''


def pct(values, p):
        v = sorted(values)
        return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def row(name, values):
        return (f"{name:<42} p50 {pct(values, 50):7.2f} ms  p99 {pct(values, 99):7.2f} ms  "
                f"mean {sum(values) / len(values):7.2f} ms  (n={len(values)})")


def main():
        build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, "build"))
        pods = int(sys.argv[2]) if len(sys.argv) > 2 else 10
        containers = int(sys.argv[3]) if len(sys.argv) > 3 else 100
        kills = int(sys.argv[4]) if len(sys.argv) > 4 else 50
        host = TestHost()
        host.boot()
        try:
                host.install_crio(build, REPO)
                host.write_file("/etc/crio/crio.conf.d/60-bench-events.conf",
                                textwrap.dedent("""
                                        [crio.runtime]
                                        enable_pod_events = true
                                        """))
                host.start_crio()
                sh(host, f"rm -rf {t.WORK} && mkdir -p {t.WORK}")
                host.write_file(f"{t.WORK}/registry.yml", registry_config(f"{t.WORK}/storage", t.PORT))
                start_service(host, "crio-bench-registry", ["docker-registry", "serve", f"{t.WORK}/registry.yml"],
                              t.PORT)
                t.build_image(host, t.WORK, t.REG)
                with CriClient(host.crio_socket()) as cri:
                        cri.image.PullImage(cri.pb.PullImageRequest(image=cri.pb.ImageSpec(image=t.IMAGE)),
                                            timeout=120)
                        pod_list = [t.run_pod(cri, f"bench{i}") for i in range(max(1, pods))]

                        def make(i):
                                pod_id, pod_cfg = pod_list[i % len(pod_list)]
                                return t.run(cri, pod_id, pod_cfg, f"c{i}", "exec sleep 100000")
                        with concurrent.futures.ThreadPoolExecutor(8) as ex:
                                ids = list(ex.map(make, range(containers + kills)))
                        victims = ids[containers:]
                        host.write_file("/tmp/crio-bench-events.py", INSIDE)
                        out = host.run(["/usr/bin/python3", "/tmp/crio-bench-events.py",
                                        os.path.join(REPO, "tests", "integration"), *victims], timeout=900).stdout
                        r = json.loads(out.strip().splitlines()[-1])
                print(f"{len(pod_list)} pods, {containers + kills} running containers; "
                      f"STOPPED events of {min(r['event_bytes'])}-{max(r['event_bytes'])} bytes")
                print(row("kill(2) -> STOPPED event at the client", r["kill_to_event_ms"]))
                print(row("kill(2) -> event published by crio", r["kill_to_publish_ms"]))
                print(row("published -> at the client", r["publish_to_client_ms"]))
        finally:
                host.teardown(verify=False)


if __name__ == "__main__":
        main()
