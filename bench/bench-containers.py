#!/usr/bin/python3
"""Container benchmark in a throw-away test host (root).

CreateContainer + StartContainer of a busybox container, N runs (default 50): p50 and p99 through
CRI, and beside each run, in the same host and the same minute, bare runtime runs of an equivalent
bundle (the same busybox rootfs copied, the same process):
  - `runc run -d` with runc's cgroupfs driver (the first baseline this benchmark had);
  - `runc --systemd-cgroup create` then `runc start`, with cgroupsPath "<slice>:bench:<name>": the
    two steps crio's runtime takes under conmon, with the same systemd driver making a scope.
crio's CPU time per Create + Start is read from /proc/<crio>/task/*/schedstat around each run.
Then the daemon's memory (VmRSS, PSS, file-backed and anonymous, the heap) with M containers
(default 100) running.

With --breakdown, crio runs with log_level = "debug" writing to a file (microsecond timestamps)
and each run is split into its steps: crio's work before conmon is spawned (spec, overlay mount),
the StartTransientUnit round trip of crio-conmon-<id>.scope, conmon + "runc create", "runc start",
and crio's replies. Debug logging costs CPU: compare totals without it.

Usage: bench/bench-containers.py [--breakdown] [build-dir] [runs] [containers]
"""

import datetime
import json
import os
import re
import statistics
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))

from cri_client import CriClient       # noqa: E402
from testhost import TestHost          # noqa: E402
import test_containers as t            # noqa: E402
from test_images import registry_config, sh, start_service  # noqa: E402

DEBUG_LOG = "/run/crio-bench-debug.log"

# Steps of one Create + Start in crio's debug log, in order: (name, pattern of the line that ends it).
STEPS = (
        ("crio: request to conmon spawned (spec, overlay)", r"Creating container"),
        ("crio: StartTransientUnit sent", r"systemd StartTransientUnit crio-conmon-\S+ sent"),
        ("systemd: crio-conmon-<id>.scope started", r"systemd StartTransientUnit crio-conmon-\S+ done"),
        ("conmon + runc create", r"Container \S+ created: PID"),
        ("crio: created to reply", None),
        ("crio: request to runc start spawned", r"OCI runtime: running .* start "),
        ("runc start", r"Started container"),
        ("crio: started to reply", None),
)


def pct(values, p):
        v = sorted(values)
        return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def memory(host):
        pid = host.run(["systemctl", "show", "-P", "MainPID", "crio"]).stdout.strip()
        status = dict(line.split(":", 1) for line in host.read_file(f"/proc/{pid}/status").splitlines() if ":" in line)
        rollup = dict(line.split(":", 1) for line in host.read_file(f"/proc/{pid}/smaps_rollup").splitlines()[1:])
        heap = 0
        current = None
        for line in host.read_file(f"/proc/{pid}/smaps").splitlines():
                m = re.match(r"^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$", line)
                if m:
                        current = m.group(1)
                elif current == "[heap]" and line.startswith("Rss:"):
                        heap += int(line.split()[1])

        def kib(d, k):
                return int(d[k].split()[0])
        maps = host.read_file(f"/proc/{pid}/maps")
        return {"rss_kib": kib(status, "VmRSS"), "pss_kib": kib(rollup, "Pss"), "file_kib": kib(status, "RssFile"),
                "anon_kib": kib(status, "RssAnon"), "shmem_kib": kib(status, "RssShmem"), "heap_kib": heap,
                # Loaded only around pulls (unloaded 10 s after the last).
                "pull_libraries_mapped": "libcurl.so" in maps or "libarchive.so" in maps,
                "libraries_mapped": len({line.split()[-1] for line in maps.splitlines() if ".so" in line})}


def cpu_ns(host, pid):
        total = 0
        base = host.path(f"/proc/{pid}/task")
        for tid in os.listdir(base):
                try:
                        with open(f"{base}/{tid}/schedstat") as f:
                                total += int(f.read().split()[0])
                except OSError:
                        pass
        return total


def timed(host, bundle, cmd):
        r = host.run(["sh", "-c", f"cd {bundle} && s=$(date +%s%N) && {cmd} >/dev/null 2>&1 </dev/null && "
                                  f"e=$(date +%s%N) && echo $(( (e - s) / 1000 ))"])
        return int(r.stdout.split()[0]) / 1000


def log_time(line):
        m = re.match(r'time="([^"]+)Z"', line)
        return datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f").replace(
                tzinfo=datetime.timezone.utc).timestamp()


def breakdown(host, runs):
        """Per step, the median and p90 in ms over the runs, from the debug log and the client's times."""
        log = host.read_file(DEBUG_LOG).splitlines()
        steps = {name: [] for name, _ in STEPS}
        for ctr_id, t0, t1, t2 in runs:
                lines = [(log_time(line), line) for line in log if ctr_id in line]
                marks = []
                for name, pattern in STEPS:
                        if pattern is None:
                                marks.append(t1 if name == "crio: created to reply" else t2)
                                continue
                        marks.append(next((ts for ts, line in lines if re.search(pattern, line)), None))
                if None in marks:
                        continue
                # "created to reply" starts at the conmon report, "runc start" spawn at the reply.
                previous = t0
                for (name, _), mark in zip(STEPS, marks):
                        if name == "crio: request to runc start spawned":
                                previous = t1
                        steps[name].append((mark - previous) * 1000)
                        previous = mark
        return {name: {"p50": round(statistics.median(v), 2), "p90": round(pct(v, 90), 2)}
                for name, v in steps.items() if v}


def main():
        args = sys.argv[1:]
        split = "--breakdown" in args
        args = [a for a in args if a != "--breakdown"]
        build = os.path.abspath(args[0] if args else os.path.join(REPO, "build"))
        runs = int(args[1]) if len(args) > 1 else 50
        many = int(args[2]) if len(args) > 2 else 100
        host = TestHost()
        host.boot()
        try:
                host.install_crio(build, REPO)
                if split:
                        host.write_file("/etc/systemd/system/crio.service.d/50-bench-debug.conf",
                                        f"[Service]\nStandardError=append:{DEBUG_LOG}\n")
                        host.write_file("/etc/crio/crio.conf.d/90-bench-debug.conf",
                                        '[crio.runtime]\nlog_level = "debug"\n')
                        host.run(["systemctl", "daemon-reload"])
                host.start_crio()
                sh(host, f"rm -rf {t.WORK} && mkdir -p {t.WORK}")
                host.write_file(f"{t.WORK}/registry.yml", registry_config(f"{t.WORK}/storage", t.PORT))
                start_service(host, "crio-bench-registry", ["docker-registry", "serve", f"{t.WORK}/registry.yml"],
                              t.PORT)
                t.build_image(host, t.WORK, t.REG)
                bundle = f"{t.WORK}/bundle"
                sh(host, f"mkdir -p {bundle} && cp -a {t.WORK}/rootfs {bundle}/rootfs && cd {bundle} && runc spec")
                # Edits config.json: the same process as the CRI containers, and a cgroupsPath or none.
                host.write_file(f"{t.WORK}/setcg.py", "import json, sys\nc = json.load(open('config.json'))\n"
                                "c['process']['args'] = ['sleep', '1000']\nc['process']['terminal'] = False\n"
                                "c['linux'].pop('cgroupsPath', None)\n"
                                "if len(sys.argv) > 1:\n    c['linux']['cgroupsPath'] = sys.argv[1]\n"
                                "json.dump(c, open('config.json', 'w'))\n")
                with CriClient(host.crio_socket()) as cri:
                        cri.image.PullImage(cri.pb.PullImageRequest(image=cri.pb.ImageSpec(image=t.IMAGE)),
                                            timeout=120)
                        after_pull = memory(host)
                        pod_id, pod_cfg = t.run_pod(cri, "bench")
                        pid = host.run(["systemctl", "show", "-P", "MainPID", "crio"]).stdout.strip()
                        crio_ms, cpu_ms, runc_ms, sd_ms, marks = [], [], [], [], []
                        for i in range(runs + 3):
                                c0 = cpu_ns(host, pid)
                                t0 = time.time()
                                ctr = t.create(cri, pod_id, pod_cfg, t.ctr_config(cri, f"b{i}", command=["sleep", "1000"]))
                                t1 = time.time()
                                t.start(cri, ctr)
                                t2 = time.time()
                                c1 = cpu_ns(host, pid)
                                cri.runtime.RemoveContainer(cri.pb.RemoveContainerRequest(container_id=ctr), timeout=60)
                                sh(host, f"cd {bundle} && python3 {t.WORK}/setcg.py")
                                bare = timed(host, bundle, f"runc run -d --pid-file pid bare{i}")
                                host.run(["runc", "delete", "-f", f"bare{i}"])
                                sh(host, f"cd {bundle} && python3 {t.WORK}/setcg.py system.slice:bench:sd{i}")
                                sd = timed(host, bundle, f"runc --systemd-cgroup create --pid-file pid sd{i}")
                                sd += timed(host, bundle, f"runc --systemd-cgroup start sd{i}")
                                host.run(["runc", "--systemd-cgroup", "delete", "-f", f"sd{i}"])
                                if i < 3:       # warm-up: first pull of pages, the conmon probe
                                        continue
                                crio_ms.append((t2 - t0) * 1000)
                                cpu_ms.append((c1 - c0) / 1e6)
                                runc_ms.append(bare)
                                sd_ms.append(sd)
                                marks.append((ctr, t0, t1, t2))
                        idle = memory(host)
                        for i in range(many):
                                t.run(cri, pod_id, pod_cfg, f"m{i}", "sleep 1000")
                        full = memory(host)
                        result = {
                                "runs": runs,
                                "create_start_ms": {"p50": round(pct(crio_ms, 50), 1), "p99": round(pct(crio_ms, 99), 1)},
                                "bare_runc_run_ms": {"p50": round(pct(runc_ms, 50), 1), "p99": round(pct(runc_ms, 99), 1)},
                                "bare_runc_systemd_create_start_ms": {"p50": round(pct(sd_ms, 50), 1),
                                                                      "p99": round(pct(sd_ms, 99), 1)},
                                "crio_share_p50_ms": round(statistics.median(crio_ms) - statistics.median(runc_ms), 1),
                                "crio_share_vs_systemd_create_start_p50_ms": round(
                                        statistics.median(crio_ms) - statistics.median(sd_ms), 1),
                                "crio_cpu_ms": {"p50": round(pct(cpu_ms, 50), 2), "p99": round(pct(cpu_ms, 99), 2)},
                                "containers": many,
                                "crio_memory_after_pull": after_pull,
                                "crio_memory_idle": idle,
                                "crio_memory_with_containers": full,
                                "crio_rss_kib_idle": idle["rss_kib"],
                                "crio_rss_kib_with_containers": full["rss_kib"],
                        }
                        if split:
                                result["breakdown_ms"] = breakdown(host, marks)
                        print(json.dumps(result, indent=2))
                        cri.runtime.StopPodSandbox(cri.pb.StopPodSandboxRequest(pod_sandbox_id=pod_id), timeout=600)
                        cri.runtime.RemovePodSandbox(cri.pb.RemovePodSandboxRequest(pod_sandbox_id=pod_id), timeout=600)
        finally:
                host.teardown(verify=False)


if __name__ == "__main__":
        main()
