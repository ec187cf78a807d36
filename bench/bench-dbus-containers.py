#!/usr/bin/python3
"""org.crio1 with containers, in a throw-away test host (root); bench/bench-dbus.sh runs it last.

PODS host-network pods (default 100) with CONTAINERS busybox containers among them (default 500), all
running `sleep`, made through CRI. Inside the host, one python3-dbus connection then measures
GetManagedObjects and ListContainers over all of them (beside CRI's ListContainers from outside), with
the CPU time crio, dbus-daemon and the client spend per call; then GetManagedObjects again from a C
client (bench/bench-dbus-client.c, sd-bus, every value read); and the time from a container's exit to
its PropertiesChanged signal: KILLS more running containers (default 50) are SIGKILLed one after the
other from inside the host, each timed from just before kill(2) to the arrival of the
PropertiesChanged carrying its ExitCode, in the same process and clock.

Usage: bench/bench-dbus-containers.py [build-dir] [pods] [containers] [kills] [calls]
CRIO_TEST_BUS=dbus-broker runs it on dbus-broker, Fedora's and RHEL's system bus, instead of
Debian's dbus-daemon (tests/integration/testhost.py fetches the package without installing it).
"""

import concurrent.futures
import json
import os
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))

from cri_client import CriClient       # noqa: E402
from testhost import TestHost          # noqa: E402
import test_containers as t            # noqa: E402
from test_images import registry_config, sh, start_service  # noqa: E402

INSIDE = r'''
import ctypes, json, os, signal, struct, sys, time
import dbus, dbus.mainloop.glib
from gi.repository import GLib

calls, client, victims = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
bus = dbus.SystemBus()
obj = bus.get_object("org.crio1", "/org/crio1", introspect=False)
get = obj.get_dbus_method("GetManagedObjects", "org.freedesktop.DBus.ObjectManager")
lst = obj.get_dbus_method("ListContainers", "org.crio1.Manager")

def measure(f, n):
    lat = []
    for _ in range(n):
        t0 = time.perf_counter_ns()
        f()
        lat.append((time.perf_counter_ns() - t0) / 1e6)
    return lat

def cpu_ms(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) * 1000 / os.sysconf("SC_CLK_TCK")

crio = int(os.popen("systemctl show -p MainPID --value crio.service").read())
# dbus-daemon itself, or dbus-broker (dbus.service's main process is its launcher).
bus_daemon, bus_name = next((int(p), c) for p in os.listdir("/proc") if p.isdigit()
                            for c in [open(f"/proc/{p}/comm").read().strip()] if c in ("dbus-daemon", "dbus-broker"))
for _ in range(20):
    get(signature="")
objects = get(signature="")
c0, d0, s0 = cpu_ms(crio), cpu_ms(bus_daemon), cpu_ms(os.getpid())
gmo = measure(lambda: get(signature=""), calls)
gmo_cpu = {"crio": (cpu_ms(crio) - c0) / calls, bus_name: (cpu_ms(bus_daemon) - d0) / calls,
           "python3-dbus": (cpu_ms(os.getpid()) - s0) / calls}
# The same call from C (sd-bus): the reply only received (what crio and the bus daemon impose on any
# client), then every value of it read (what a C consumer waits).
c_client = {}
for mode in ("receive", "read") if os.access(client, os.X_OK) else ():
    c0 = cpu_ms(crio)
    out = os.popen(f"{client} {calls} {mode}").read().splitlines()
    gmo_cpu[f"crio ({mode})"] = (cpu_ms(crio) - c0) / (calls + 20)
    if len(out) > 1:
        gmo_cpu[f"C client ({mode})"] = float(out[0].split("cpu=")[1])
        c_client[mode] = [float(x) for x in out[1].split()[1:]]
lc = measure(lambda: lst("", {}, signature="sa{ss}"), calls)
# A C client (sd-bus) for comparison; each call is a process, about 5 ms of it start-up.
busctl = measure(lambda: os.system("busctl --quiet call org.crio1 /org/crio1 "
                                   "org.freedesktop.DBus.ObjectManager GetManagedObjects"), max(1, calls // 10))

pids = {}
for v in victims:
    o = bus.get_object("org.crio1", f"/org/crio1/container/{v}", introspect=False)
    pids[f"/org/crio1/container/{v}"] = int(o.Get("org.crio1.Container", "Pid",
                                                  dbus_interface="org.freedesktop.DBus.Properties"))
killed, arrived, finished = {}, {}, {}
order = list(pids)
loop = GLib.MainLoop()

def on_changed(iface, changed, invalidated, path=None):
    if iface == "org.crio1.Container" and "ExitCode" in changed and path in killed and path not in arrived:
        arrived[path] = time.clock_gettime_ns(time.CLOCK_REALTIME)
        finished[path] = int(changed["FinishedAt"])
        GLib.timeout_add(20, kill_next)

def kill_next():
    if not order:
        loop.quit()
        return False
    path = order.pop(0)
    killed[path] = time.clock_gettime_ns(time.CLOCK_REALTIME)
    os.kill(pids[path], signal.SIGKILL)
    return False

# conmon's exit file, seen through inotify in this loop too: splits the time into kernel + conmon, and
# crio + bus + python3-dbus.
libc = ctypes.CDLL(None, use_errno=True)
ino = libc.inotify_init1(os.O_NONBLOCK)
libc.inotify_add_watch(ino, b"/var/run/crio/exits", 0x80)  # IN_MOVED_TO
exit_file = {}

def on_exit_file(fd, cond):
    now = time.clock_gettime_ns(time.CLOCK_REALTIME)
    data = os.read(fd, 65536)
    while data:
        wd, mask, cookie, n = struct.unpack_from("iIII", data)
        name = data[16:16 + n].rstrip(b"\0").decode()
        exit_file.setdefault(f"/org/crio1/container/{name}", now)
        data = data[16 + n:]
    return True

GLib.io_add_watch(ino, GLib.IO_IN, on_exit_file)
bus.add_signal_receiver(on_changed, signal_name="PropertiesChanged", bus_name="org.crio1",
                        dbus_interface="org.freedesktop.DBus.Properties", path_keyword="path")
GLib.timeout_add(200, kill_next)
GLib.timeout_add_seconds(120, loop.quit)
loop.run()
print(json.dumps({"objects": len(objects), "gmo_ms": gmo, "gmo_cpu_ms": gmo_cpu, "gmo_c_ms": c_client,
                  "list_ms": lc, "busctl_ms": busctl,
                  "kill_to_signal_ms": [(arrived[p] - killed[p]) / 1e6 for p in arrived],
                  "finished_to_signal_ms": [(arrived[p] - finished[p]) / 1e6 for p in arrived],
                  "kill_to_exit_file_ms": [(exit_file[p] - killed[p]) / 1e6 for p in arrived if p in exit_file],
                  "exit_file_to_signal_ms": [(arrived[p] - exit_file[p]) / 1e6 for p in arrived if p in exit_file],
                  "kills": len(pids), "signals": len(arrived)}))
'''


def pct(values, p):
        v = sorted(values)
        return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def row(name, values):
        return (f"{name:<46} p50 {pct(values, 50):7.2f} ms  p99 {pct(values, 99):7.2f} ms  "
                f"mean {sum(values) / len(values):7.2f} ms  (n={len(values)})")


def main():
        build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, "build"))
        pods = int(sys.argv[2]) if len(sys.argv) > 2 else 100
        containers = int(sys.argv[3]) if len(sys.argv) > 3 else 500
        kills = int(sys.argv[4]) if len(sys.argv) > 4 else 50
        calls = int(sys.argv[5]) if len(sys.argv) > 5 else 200
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
                        pod_list = [t.run_pod(cri, f"bench{i}") for i in range(max(1, pods))]
                        t0 = time.monotonic()

                        def make(i):
                                pod_id, pod_cfg = pod_list[i % len(pod_list)]
                                return t.run(cri, pod_id, pod_cfg, f"c{i}", "exec sleep 100000",
                                             labels={"bench": "dbus", "n": str(i % 10)})
                        with concurrent.futures.ThreadPoolExecutor(8) as ex:
                                ids = list(ex.map(make, range(containers + kills)))
                        made = time.monotonic() - t0
                        victims = ids[containers:]
                        m = max(1, calls)
                        cri_list = []
                        for _ in range(m):
                                s = time.perf_counter_ns()
                                cri.runtime.ListContainers(cri.pb.ListContainersRequest())
                                cri_list.append((time.perf_counter_ns() - s) / 1e6)
                        host.write_file("/tmp/crio-bench-dbus-ctr.py", INSIDE)
                        # The host's root is an overlay of ours: the build directory is there too.
                        client = os.path.join(build, "bench", "bench-dbus-client")
                        out = host.run(["/usr/bin/python3", "/tmp/crio-bench-dbus-ctr.py", str(m), client,
                                        *victims], timeout=900).stdout
                        r = json.loads(out.strip().splitlines()[-1])
                print(f"system bus: {host.bus}")
                print(f"{len(pod_list)} pods, {containers + kills} running containers made through CRI in {made:.0f} s; "
                      f"{r['objects']} objects under /org/crio1")
                print(row(f"GetManagedObjects ({len(pod_list)} pods, {containers + kills} ctrs)", r["gmo_ms"]))
                print("  CPU per GetManagedObjects: " +
                      ", ".join(f"{k} {v:.2f} ms" for k, v in r["gmo_cpu_ms"].items()))
                for mode, lat in r["gmo_c_ms"].items():
                        print(row(f"GetManagedObjects (C client, sd-bus, {mode})", lat))
                print(row("GetManagedObjects (busctl, a process per call)", r["busctl_ms"]))
                print(row("ListContainers (D-Bus)", r["list_ms"]))
                print(row("ListContainers (CRI, grpcio)", cri_list))
                print(f"exits: {r['kills']} SIGKILLs, {r['signals']} PropertiesChanged with ExitCode")
                if r["kill_to_signal_ms"]:
                        print(row("kill(2) -> PropertiesChanged ExitCode", r["kill_to_signal_ms"]))
                        print(row("FinishedAt (exit file mtime) -> signal", r["finished_to_signal_ms"]))
                if r["kill_to_exit_file_ms"]:
                        print(row("kill(2) -> conmon's exit file (inotify)", r["kill_to_exit_file_ms"]))
                        print(row("exit file (inotify) -> PropertiesChanged", r["exit_file_to_signal_ms"]))
        finally:
                host.teardown(verify=False)


if __name__ == "__main__":
        main()
