#!/usr/bin/python3
"""Restart benchmark in a throw-away test host (root).

P pods (default 100) with C containers in all (default 300) running busybox `sleep`, then
`systemctl restart crio` R times (default 5): the time of each restart (the command returns once the
new crio sent READY=1 after restoring every pod and container), and the time from the new process's
start to READY=1, from the journal. Also checks that every container is still running with the same
pid afterwards.

Usage: bench/bench-restart.py [build-dir] [pods] [containers] [restarts]
"""

import json
import os
import statistics
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))

from cri_client import CriClient       # noqa: E402
from testhost import TestHost          # noqa: E402
import test_containers as t            # noqa: E402
from test_images import registry_config, sh, start_service  # noqa: E402


def main():
        build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, "build"))
        n_pods = int(sys.argv[2]) if len(sys.argv) > 2 else 100
        n_ctrs = int(sys.argv[3]) if len(sys.argv) > 3 else 300
        restarts = int(sys.argv[4]) if len(sys.argv) > 4 else 5
        host = TestHost()
        host.boot()
        try:
                host.install_crio(build, REPO)
                host.start_crio()
                sh(host, f"rm -rf {t.WORK} && mkdir -p {t.WORK}")
                host.write_file(f"{t.WORK}/registry.yml", registry_config(f"{t.WORK}/storage", t.PORT))
                start_service(host, "crio-bench-registry", ["docker-registry", "serve", f"{t.WORK}/registry.yml"],
                              t.PORT)
                t.build_image(host, t.WORK, t.REG)
                with CriClient(host.crio_socket()) as cri:
                        cri.image.PullImage(cri.pb.PullImageRequest(image=cri.pb.ImageSpec(image=t.IMAGE)),
                                            timeout=120)
                        pods = [t.run_pod(cri, f"r{i}") for i in range(n_pods)]
                        ctrs = [t.run(cri, *pods[i % n_pods], f"c{i}", "sleep 100000") for i in range(n_ctrs)]
                        pids = {c: json.loads(cri.runtime.ContainerStatus(cri.pb.ContainerStatusRequest(
                                container_id=c, verbose=True)).info["info"])["pid"] for c in ctrs}
                wall, ready = [], []
                for _ in range(restarts):
                        t0 = time.monotonic()
                        host.run(["systemctl", "restart", "crio.service"], timeout=120)
                        wall.append((time.monotonic() - t0) * 1000)
                        # ExecMainStartTimestampMonotonic to the READY=1 (ActiveEnterTimestampMonotonic).
                        props = dict(line.split("=", 1) for line in host.run(
                                ["systemctl", "show", "crio.service", "-p", "ExecMainStartTimestampMonotonic",
                                 "-p", "ActiveEnterTimestampMonotonic"]).stdout.splitlines())
                        ready.append((int(props["ActiveEnterTimestampMonotonic"]) -
                                      int(props["ExecMainStartTimestampMonotonic"])) / 1000)
                with CriClient(host.crio_socket()) as cri:
                        listed = cri.runtime.ListContainers(cri.pb.ListContainersRequest()).containers
                        running = sum(c.state == cri.pb.CONTAINER_RUNNING for c in listed)
                        same = sum(json.loads(cri.runtime.ContainerStatus(cri.pb.ContainerStatusRequest(
                                container_id=c, verbose=True)).info["info"])["pid"] == p
                                   for c, p in pids.items())
                        print(json.dumps({
                                "pods": n_pods, "containers": n_ctrs, "restarts": restarts,
                                "systemctl_restart_ms": {"best": round(min(wall), 1),
                                                         "median": round(statistics.median(wall), 1)},
                                "start_to_ready_ms": {"best": round(min(ready), 1),
                                                      "median": round(statistics.median(ready), 1)},
                                "listed": len(listed), "running": running, "same_pid": same,
                        }, indent=2))
                        for pod_id, _ in pods:
                                cri.runtime.StopPodSandbox(cri.pb.StopPodSandboxRequest(pod_sandbox_id=pod_id),
                                                           timeout=600)
                                cri.runtime.RemovePodSandbox(cri.pb.RemovePodSandboxRequest(pod_sandbox_id=pod_id),
                                                             timeout=600)
        finally:
                host.teardown(verify=False)


if __name__ == "__main__":
        main()
