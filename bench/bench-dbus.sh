#!/bin/bash
# GetManagedObjects latency of crio's org.crio1 D-Bus API: a throw-away systemd test host boots with
# crio installed from BUILD_DIR, and a python3-dbus client inside calls it N times back to back on
# one connection (after a warm-up), reporting percentiles; busctl's per-process cost is shown too.
# Then PODS host-network pods (no CNI, no infra process) are made through CRI from inside the host,
# and GetManagedObjects is measured again with them, beside ListPods and CRI's ListPodSandbox.
# Then, in a second host, bench/bench-dbus-containers.py: GetManagedObjects with PODS pods and
# CONTAINERS running containers, and the time from a container's exit to its PropertiesChanged.
# Needs root (tests/integration/testhost.py).
# Usage: bench/bench-dbus.sh [BUILD_DIR] [N] [PODS] [CONTAINERS (0: skip)] [KILLS]
set -euo pipefail
build=$(realpath "${1:-build}")
n=${2:-5000}
pods=${3:-100}
containers=${4:-500}
kills=${5:-50}
src=$(dirname "$(realpath "$0")")/..
# The host's root is an overlay of ours: a script in our /tmp is visible inside.
script=$(mktemp /tmp/crio-bench-dbus.XXXXXX.py)
trap 'rm -f "$script"' EXIT

cat >"$script" <<'PY'
import os, sys, time, subprocess
import dbus

n, pods, src = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
bus = dbus.SystemBus()
obj = bus.get_object("org.crio1", "/org/crio1", introspect=False)
get = obj.get_dbus_method("GetManagedObjects", "org.freedesktop.DBus.ObjectManager")
props = obj.get_dbus_method("GetAll", "org.freedesktop.DBus.Properties")
for _ in range(200):
    get(signature="")

def measure(f, count):
    lat = []
    for _ in range(count):
        t = time.perf_counter_ns()
        f()
        lat.append((time.perf_counter_ns() - t) / 1000)
    lat.sort()
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
    return f"n={count}  p50={p(0.5):.0f} us  p99={p(0.99):.0f} us  max={lat[-1]:.0f} us  " \
           f"mean={sum(lat) / len(lat):.0f} us"

def busctl_get():
    subprocess.run(["busctl", "--quiet", "call", "org.crio1", "/org/crio1", "org.freedesktop.DBus.ObjectManager",
                    "GetManagedObjects"], check=True, stdout=subprocess.DEVNULL)

objects = get(signature="")
print(f"objects under /org/crio1: {len(objects)}")
print("GetManagedObjects (python3-dbus):", measure(lambda: get(signature=""), n))
print("GetAll Manager    (python3-dbus):", measure(lambda: props("org.crio1.Manager", signature="s"), n))
print("GetManagedObjects (busctl, a process per call):", measure(busctl_get, max(1, n // 50)))

if pods > 0:
    sys.path.insert(0, os.path.join(src, "tests", "integration"))
    from cri_client import CriClient

    with CriClient("/run/crio/crio.sock") as cri:
        pb = cri.pb
        ns = pb.NamespaceOption(network=pb.NODE, pid=pb.CONTAINER)
        start = time.monotonic()
        ids = []
        for i in range(pods):
            config = pb.PodSandboxConfig(
                metadata=pb.PodSandboxMetadata(name=f"bench-{i}", namespace="bench", uid=f"uid-{i}"),
                labels={"app": "bench", "n": str(i)}, annotations={"bench": "dbus"},
                linux=pb.LinuxPodSandboxConfig(
                    security_context=pb.LinuxSandboxSecurityContext(namespace_options=ns)))
            ids.append(cri.runtime.RunPodSandbox(pb.RunPodSandboxRequest(config=config), timeout=60).pod_sandbox_id)
        print(f"{pods} host-network pods run through CRI in {time.monotonic() - start:.1f} s")
        for _ in range(50):
            get(signature="")
        objects = get(signature="")
        print(f"objects under /org/crio1: {len(objects)}")
        m = max(1, n // 10)
        # crio's own CPU time per call, apart from the client's and the bus daemon's.
        crio = int(subprocess.run(["systemctl", "show", "-p", "MainPID", "--value", "crio.service"],
                                  capture_output=True, text=True, check=True).stdout)

        def cpu_ms(pid):
            f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            return (int(f[11]) + int(f[12])) * 1000 / os.sysconf("SC_CLK_TCK")
        crio0, self0 = cpu_ms(crio), cpu_ms(os.getpid())
        print(f"GetManagedObjects, {pods} pods (python3-dbus):", measure(lambda: get(signature=""), m))
        print(f"  CPU per call: crio {(cpu_ms(crio) - crio0) / m:.2f} ms, "
              f"python3-dbus client {(cpu_ms(os.getpid()) - self0) / m:.2f} ms")
        manager = obj.get_dbus_method("ListPods", "org.crio1.Manager")
        print(f"ListPods, {pods} pods         (python3-dbus):",
              measure(lambda: manager("", {}, signature="sa{ss}"), m))
        print(f"ListPodSandbox, {pods} pods   (CRI, grpcio):",
              measure(lambda: cri.runtime.ListPodSandbox(pb.ListPodSandboxRequest()), m))
        print(f"GetManagedObjects, {pods} pods (busctl, a process per call):",
              measure(busctl_get, max(1, n // 50)))
        for pod_id in ids:
            cri.runtime.RemovePodSandbox(pb.RemovePodSandboxRequest(pod_sandbox_id=pod_id), timeout=60)
PY

python3 "$src/tests/integration/testhost.py" run --build-dir "$build" --source-dir "$src" -- \
        /usr/bin/python3 "$script" "$n" "$pods" "$src"

if [ "$containers" -gt 0 ]; then
        /usr/bin/python3 "$src/bench/bench-dbus-containers.py" "$build" "$pods" "$containers" "$kills" \
                "$(( n / 25 > 0 ? n / 25 : 1 ))"
fi
