#!/bin/sh
# Pod benchmark: RunPodSandbox and StopPodSandbox+RemovePodSandbox latency with Debian's bridge +
# host-local + portmap CNI plugins, inside a throw-away test host: N pods one after the other, then
# M at once; and, for comparison, the same network list's ADD and DEL run by a tiny driver that
# execs the plugins directly (prevResult chained, as libcni does), i.e. the time the CNI plugins
# themselves take for a pod.
#
# Usage (root): bench/bench-pods.sh [build-dir] [sequential pods] [concurrent pods]
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
export CRIO_BUILD_DIR=$(cd "${1:-$here/build}" && pwd)
export BENCH_SEQ=${2:-50} BENCH_PAR=${3:-20}
exec /usr/bin/python3 - "$here" <<'PY'
import concurrent.futures, json, os, statistics, sys, time
repo = sys.argv[1]
sys.path.insert(0, os.path.join(repo, "tests", "integration"))
from testhost import TestHost
from cri_client import CriClient
import test_pods as t

seq, par = int(os.environ["BENCH_SEQ"]), int(os.environ["BENCH_PAR"])
build = os.environ["CRIO_BUILD_DIR"]

DRIVER = r"""
import json, os, subprocess, sys, time
conf = json.load(open(sys.argv[1])); n = int(sys.argv[2]); plugins = "/usr/lib/cni"
def run(cmd, plugin, cid, netns, prev):
        c = dict(plugin, name=conf["name"], cniVersion=conf["cniVersion"])
        if prev is not None:
                c["prevResult"] = prev
        if "portMappings" in plugin.get("capabilities", {}):
                c["runtimeConfig"] = {"portMappings": []}
        env = dict(CNI_COMMAND=cmd, CNI_CONTAINERID=cid, CNI_NETNS=netns, CNI_IFNAME="eth0", CNI_PATH=plugins,
                   PATH="/usr/sbin:/usr/bin:/sbin:/bin")
        p = subprocess.run([f"{plugins}/{plugin['type']}"], input=json.dumps(c).encode(), env=env,
                           capture_output=True)
        if p.returncode != 0:
                sys.exit(f"{plugin['type']} {cmd}: {p.stdout.decode()} {p.stderr.decode()}")
        return json.loads(p.stdout) if p.stdout.strip() else prev
adds, dels = [], []
for i in range(n):
        cid = f"benchdriver{i}"
        subprocess.run(["ip", "netns", "add", cid], check=True)
        netns = f"/run/netns/{cid}"
        start = time.monotonic(); prev = None
        for plugin in conf["plugins"]:
                prev = run("ADD", plugin, cid, netns, prev)
        adds.append(time.monotonic() - start)
        start = time.monotonic()
        for plugin in reversed(conf["plugins"]):
                run("DEL", plugin, cid, netns, prev)
        dels.append(time.monotonic() - start)
        subprocess.run(["ip", "netns", "del", cid], check=True)
print(json.dumps({"add": adds, "del": dels}))
"""

def pct(xs, p):
        xs = sorted(xs)
        return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]

def ms(x):
        return f"{x * 1000:7.1f}"

def row(name, xs):
        print(f"{name:44s} p50 {ms(pct(xs, 50))} ms  p99 {ms(pct(xs, 99))} ms  mean {ms(statistics.mean(xs))} ms")

def timed(f, *a):
        start = time.monotonic()
        r = f(*a)
        return time.monotonic() - start, r

with TestHost() as host:
        host.install_crio(build, repo)
        host.write_file(f"{t.NET_DIR}/10-crio-pods.conflist", json.dumps(t.conflist()))
        host.write_file(t.DROP_IN, f"[crio.network]\nplugin_dirs = [\"{t.PLUGIN_DIR}\"]\n")
        host.start_crio()
        cri = CriClient(host.crio_socket())

        def run(name):
                return timed(lambda: t.run_pod(cri, name))

        def stop_remove(pod_id):
                return timed(lambda: t.remove(cri, pod_id))[0]

        # Warm-up: page cache of the plugins, the bridge made once.
        for i in range(3):
                t.remove(cri, t.run_pod(cri, f"warm{i}"))

        seq_run, ids = zip(*(run(f"seq{i}") for i in range(seq)))
        seq_rm = [stop_remove(i) for i in ids]

        with concurrent.futures.ThreadPoolExecutor(par) as ex:
                wall, results = timed(lambda: list(ex.map(run, [f"par{i}" for i in range(par)])))
                par_run, ids = zip(*results)
                wall_rm, par_rm = timed(lambda: list(ex.map(stop_remove, ids)))
        cri.close()

        host.write_file("/run/bench-cni.py", DRIVER)
        out = host.run(["/usr/bin/python3", "/run/bench-cni.py", f"{t.NET_DIR}/10-crio-pods.conflist", str(seq)],
                       timeout=600).stdout
        cni = json.loads(out)
        nproc = os.cpu_count()
        load = open("/proc/loadavg").read().split()[:3]
        print(f"{nproc} CPUs, load average {' '.join(load)}")
        row(f"RunPodSandbox, {seq} sequential", seq_run)
        row(f"Stop+RemovePodSandbox, {seq} sequential", seq_rm)
        row(f"RunPodSandbox, {par} at once", par_run)
        print(f"{'':44s} all {par} done in {ms(wall)} ms")
        row(f"Stop+RemovePodSandbox, {par} at once", par_rm)
        print(f"{'':44s} all {par} done in {ms(wall_rm)} ms")
        row("CNI plugins alone: ADD bridge+portmap", cni["add"])
        row("CNI plugins alone: DEL portmap+bridge", cni["del"])
PY
