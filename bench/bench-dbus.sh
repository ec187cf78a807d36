#!/bin/bash
# GetManagedObjects latency of crio's org.crio1 D-Bus API: a throw-away systemd test host boots with
# crio installed from BUILD_DIR, and a python3-dbus client inside calls it N times back to back on
# one connection (after a warm-up), reporting percentiles; busctl's per-process cost is shown too.
# Needs root (tests/integration/testhost.py). Usage: bench/bench-dbus.sh [BUILD_DIR] [N]
set -euo pipefail
build=$(realpath "${1:-build}")
n=${2:-5000}
src=$(dirname "$(realpath "$0")")/..
# The host's root is an overlay of ours: a script in our /tmp is visible inside.
script=$(mktemp /tmp/crio-bench-dbus.XXXXXX.py)
trap 'rm -f "$script"' EXIT

cat >"$script" <<'PY'
import sys, time, subprocess
import dbus

n = int(sys.argv[1])
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

objects = get(signature="")
print(f"objects under /org/crio1: {len(objects)}")
print("GetManagedObjects (python3-dbus):", measure(lambda: get(signature=""), n))
print("GetAll Manager    (python3-dbus):", measure(lambda: props("org.crio1.Manager", signature="s"), n))
print("GetManagedObjects (busctl, a process per call):", measure(lambda: subprocess.run(
    ["busctl", "call", "org.crio1", "/org/crio1", "org.freedesktop.DBus.ObjectManager", "GetManagedObjects"],
    check=True, stdout=subprocess.DEVNULL), max(1, n // 50)))
PY

python3 "$src/tests/integration/testhost.py" run --build-dir "$build" --source-dir "$src" -- \
        /usr/bin/python3 "$script" "$n"
