#!/usr/bin/python3
"""Container benchmark in a throw-away test host (root).

CreateContainer + StartContainer of a busybox container, N runs (default 50): p50 and p99 through
CRI, beside a bare `runc run -d` of an equivalent bundle (the same busybox rootfs copied, the same
process) timed in the same run, so crio's own share is the difference. Then the daemon's RSS
(VmRSS of crio) with M containers (default 100) running.

Usage: bench/bench-containers.py [build-dir] [runs] [containers]
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


def pct(values, p):
        v = sorted(values)
        return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def rss_kib(host):
        pid = host.run(["systemctl", "show", "-P", "MainPID", "crio"]).stdout.strip()
        for line in host.read_file(f"/proc/{pid}/status").splitlines():
                if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        return 0


def main():
        build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, "build"))
        runs = int(sys.argv[2]) if len(sys.argv) > 2 else 50
        many = int(sys.argv[3]) if len(sys.argv) > 3 else 100
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
                        pod_id, pod_cfg = t.run_pod(cri, "bench")
                        crio_ms, runc_ms = [], []
                        bundle = f"{t.WORK}/bundle"
                        sh(host, f"mkdir -p {bundle} && cp -a {t.WORK}/rootfs {bundle}/rootfs && "
                                 f"cd {bundle} && runc spec && python3 -c 'import json; c=json.load(open(\"config.json\"));"
                                 f" c[\"process\"][\"args\"]=[\"sleep\",\"1000\"]; c[\"process\"][\"terminal\"]=False;"
                                 f" json.dump(c, open(\"config.json\",\"w\"))'")
                        for i in range(runs):
                                t0 = time.monotonic()
                                ctr = t.create(cri, pod_id, pod_cfg, t.ctr_config(cri, f"b{i}", command=["sleep", "1000"]))
                                t.start(cri, ctr)
                                crio_ms.append((time.monotonic() - t0) * 1000)
                                cri.runtime.RemoveContainer(cri.pb.RemoveContainerRequest(container_id=ctr), timeout=60)
                                r = host.run(["sh", "-c", f"cd {bundle} && s=$(date +%s%N) && "
                                              f"runc run -d --pid-file pid bare{i} >/dev/null 2>&1 </dev/null && "
                                              f"e=$(date +%s%N) && echo $(( (e - s) / 1000 )) && "
                                              f"runc delete -f bare{i}"])
                                runc_ms.append(int(r.stdout.split()[0]) / 1000)
                        idle = rss_kib(host)
                        for i in range(many):
                                t.run(cri, pod_id, pod_cfg, f"m{i}", "sleep 1000")
                        full = rss_kib(host)
                        result = {
                                "runs": runs,
                                "create_start_ms": {"p50": round(pct(crio_ms, 50), 1), "p99": round(pct(crio_ms, 99), 1)},
                                "bare_runc_run_ms": {"p50": round(pct(runc_ms, 50), 1), "p99": round(pct(runc_ms, 99), 1)},
                                "crio_share_p50_ms": round(statistics.median(crio_ms) - statistics.median(runc_ms), 1),
                                "containers": many,
                                "crio_rss_kib_idle": idle,
                                "crio_rss_kib_with_containers": full,
                        }
                        print(json.dumps(result, indent=2))
                        cri.runtime.StopPodSandbox(cri.pb.StopPodSandboxRequest(pod_sandbox_id=pod_id), timeout=600)
                        cri.runtime.RemovePodSandbox(cri.pb.RemovePodSandboxRequest(pod_sandbox_id=pod_id), timeout=600)
        finally:
                host.teardown(verify=False)


if __name__ == "__main__":
        main()
