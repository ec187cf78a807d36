"""crio restarted, killed and rebooted under its pods and containers (the restart issue).

Runs in the systemd test host with the registry, images and runtimes of test_containers.py. Each test
restarts crio.service one way or another and checks, from CRI, D-Bus and the host (units, processes,
mounts, directories), that every running container is still running (same process), that exits while
crio was down are reported with their real codes, and that what was half made is undone.
"""

import json
import os
import random
import re
import threading
import time

import grpc
import pytest

from test_containers import (IMAGE, crio_mountinfo, create, ctr_config, exec_sync, host, restart_crio,  # noqa: F401
                             pod_config, run, run_pod, show, start, status, wait_exited, wait_for)
from cri_client import CriClient
from test_pods import LOOPBACK, NET_DIR, PLUGIN_DIR, conflist

pytestmark = [pytest.mark.testhost]

ROOT = "/var/lib/containers/storage/overlay-containers"
RUNROOT = "/run/containers/storage/overlay-containers"
POD_DIR = "/run/crio/pods"
CNI_FILE = f"{NET_DIR}/10-crio-restore.conflist"
LO_FILE = f"{NET_DIR}/99-crio-restore-lo.conf"
CNI_DROP_IN = "/etc/crio/crio.conf.d/51-restore-test.conf"
CNI_IPAM = "/run/cni-restore-ipam"


@pytest.fixture
def cri(host):
        with CriClient(host.crio_socket()) as c:
                yield c
        # A new channel: the test restarted crio under the first one.
        with CriClient(host.crio_socket()) as c:
                clear(c)


def restarted(host, how=("systemctl", "restart", "crio.service")):
        """Restarts crio; returns a client on a new channel to it."""
        host.run(list(how))
        try:
                return CriClient(host.crio_socket()).__enter__()
        except Exception:
                raise AssertionError("crio did not come back:\n" + host.journal("crio.service")[-6000:])


def clear(c):
        for p in c.runtime.ListPodSandbox(c.pb.ListPodSandboxRequest()).items:
                c.runtime.StopPodSandbox(c.pb.StopPodSandboxRequest(pod_sandbox_id=p.id), timeout=90)
                c.runtime.RemovePodSandbox(c.pb.RemovePodSandboxRequest(pod_sandbox_id=p.id), timeout=90)


def ls(host, path):
        out = host.run(f"ls {path} 2>/dev/null || true").stdout.split()
        return sorted(x for x in out if re.fullmatch(r"[0-9a-f]{64}", x))


def units(host, kind):
        out = host.run(["systemctl", "list-units", "--plain", "--no-legend", f"--type={kind}"]).stdout
        return sorted(re.findall(r"^(crio-\S+\.%s)" % kind, out, re.M))


def conmons(host):
        out = host.run("pgrep -x conmon || true").stdout.split()
        return sorted(int(p) for p in out)


def footprint(host):
        """What pods and containers leave on the host."""
        mounts = crio_mountinfo(host)
        links = host.run(["ip", "-o", "link", "show"]).stdout
        return {
                "veths": sorted(re.findall(r"^\d+: (veth[^@:]+)", links, re.M)),
                "pins": sorted(host.run("find /run/netns /run/ipcns /run/utsns -type f 2>/dev/null || true")
                               .stdout.split()),
                "ips": sorted(host.run(f"ls {CNI_IPAM}/crio-restore 2>/dev/null | grep '^10' || true").stdout.split()),
                "layers": ls(host, ROOT),
                "bundles": ls(host, RUNROOT),
                "pods": ls(host, POD_DIR),
                "scopes": units(host, "scope"),
                "slices": units(host, "slice"),
                "conmons": len(conmons(host)),
                "overlays": sum("overlay-containers" in line for line in mounts.splitlines()),
                "shm": sum(POD_DIR in line for line in mounts.splitlines()),
        }


def crio_pid(host):
        return int(host.run(["systemctl", "show", "-P", "MainPID", "crio.service"]).stdout)


def kill_crio(host):
        host.run(["systemctl", "kill", "-s", "KILL", "crio.service"])
        wait_for(lambda: host.run(["systemctl", "is-active", "crio.service"], check=False).stdout.strip()
                 in ("failed", "inactive", "activating"), 10, "crio to die")  # activating: auto-restart
        # Ends the wait for the automatic restart (RestartSec=10), which would hold a start job back.
        host.run(["systemctl", "stop", "crio.service"])


def start_crio(host):
        host.run(["systemctl", "reset-failed", "crio.service"], check=False)
        host.start_crio()


def bus_containers(host):
        """org.crio1's ListContainers: {id: state}."""
        out = host.run(["busctl", "--json=short", "call", "org.crio1", "/org/crio1", "org.crio1.Manager",
                        "ListContainers", "sa{ss}", "", "0"]).stdout
        return {row[0]: row[4] for row in json.loads(out)["data"][0]}


def bus_pods(host):
        out = host.run(["busctl", "--json=short", "call", "org.crio1", "/org/crio1", "org.crio1.Manager",
                        "ListPods", "sa{ss}", "", "0"]).stdout
        return {row[0]: row[4] for row in json.loads(out)["data"][0]}


def cri_view(cri):
        pb = cri.pb
        pods = {p.id: pb.PodSandboxState.Name(p.state)
                for p in cri.runtime.ListPodSandbox(pb.ListPodSandboxRequest()).items}
        ctrs = {c.id: pb.ContainerState.Name(c.state)
                for c in cri.runtime.ListContainers(pb.ListContainersRequest()).containers}
        return pods, ctrs


def check_consistent(host, cri):
        """CRI, D-Bus and the host agree on every object.

        A container may be on its way out at any instant (the kill tests stop them in a loop), so CRI and
        D-Bus are compared until they agree, and a running container's scope may only be gone when the
        container is reported exited a moment later."""
        def agreed():
                pods, ctrs = cri_view(cri)
                bus = bus_containers(host)
                same = set(bus_pods(host)) == set(pods) and set(bus) == set(ctrs) and \
                        all(bus[c] == state.replace("CONTAINER_", "").lower() for c, state in ctrs.items())
                return (pods, ctrs) if same else None

        pods, ctrs = wait_for(agreed, 5, "CRI and D-Bus to agree")
        for cid, state in ctrs.items():
                assert cid in ls(host, ROOT) and cid in ls(host, RUNROOT), cid
                if state == "CONTAINER_RUNNING":
                        wait_for(lambda: show(host, f"crio-{cid}.scope", "ActiveState")["ActiveState"] == "active"
                                 or status(cri, cid).state == cri.pb.CONTAINER_EXITED, 5,
                                 f"running container {cid} to have a live scope or to be reported exited")
        for pid in pods:
                assert pid in ls(host, POD_DIR)
        return pods, ctrs


def pids_of(cri, ids):
        return {i: json.loads(cri.runtime.ContainerStatus(cri.pb.ContainerStatusRequest(
                container_id=i, verbose=True)).info["info"])["pid"] for i in ids}


def test_restart_keeps_running_exited_and_created(host, cri):
        pb = cri.pb
        p1, c1 = run_pod(cri, "keep1")
        p2, c2 = run_pod(cri, "keep2")
        running = [run(cri, p1, c1, "loop", "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.1; done"),
                   run(cri, p2, c2, "sleeper", "sleep 1000")]
        done = run(cri, p1, c1, "done", "exit 3")
        created = create(cri, p2, c2, ctr_config(cri, "later", command=["/bin/sh", "-c", "echo late; sleep 1000"]))
        wait_exited(cri, done)
        before_pids = pids_of(cri, running)
        before_status = {i: status(cri, i) for i in running + [done, created]}
        scopes = {i: show(host, f"crio-{i}.scope", "ActiveState", "MainPID") for i in running}
        # At node shutdown the container's scope stops before its conmon's, which writes the exit file.
        for i in running:
                assert f"crio-{i}.scope" in show(host, f"crio-conmon-{i}.scope", "Before")["Before"].split()
        log = host.path(f"{status(cri, running[0]).log_path}")
        size = os.path.getsize(log)

        cri = restarted(host)
        check_consistent(host, cri)
        for i in running:
                s = status(cri, i)
                assert s.state == pb.CONTAINER_RUNNING, i
                assert s.started_at == before_status[i].started_at and s.created_at == before_status[i].created_at
                assert show(host, f"crio-{i}.scope", "ActiveState", "MainPID") == scopes[i]
        assert pids_of(cri, running) == before_pids, "no container was restarted"
        s = status(cri, done)
        assert (s.state, s.exit_code, s.reason) == (pb.CONTAINER_EXITED, 3, "Error")
        assert s.finished_at == before_status[done].finished_at
        assert status(cri, created).state == pb.CONTAINER_CREATED
        # Logs go on, into the same file; exec, start and stop work on adopted containers.
        wait_for(lambda: os.path.getsize(log) > size + 20, 10, "the log to grow after the restart")
        assert exec_sync(cri, running[1], ["echo", "still here"]).stdout == b"still here\n"
        start(cri, created)
        assert status(cri, created).state == pb.CONTAINER_RUNNING
        cri.runtime.StopContainer(pb.StopContainerRequest(container_id=running[1], timeout=5), timeout=60)
        s = status(cri, running[1])
        # sh as PID 1 ignores SIGTERM: killed at the timeout.
        assert s.state == pb.CONTAINER_EXITED and s.exit_code == 137
        pods = {p.id: p.state for p in cri.runtime.ListPodSandbox(pb.ListPodSandboxRequest()).items}
        assert pods == {p1: pb.SANDBOX_READY, p2: pb.SANDBOX_READY}


def test_stopping_crio_leaves_containers_running(host, cri):
        pod, cfg = run_pod(cri, "stays")
        cid = run(cri, pod, cfg, "stays", "sleep 1000")
        pid = pids_of(cri, [cid])[cid]
        host.stop_crio()
        try:
                assert show(host, f"crio-{cid}.scope", "ActiveState")["ActiveState"] == "active"
                assert host.run(["kill", "-0", str(pid)], check=False).returncode == 0
        finally:
                start_crio(host)
        cri = CriClient(host.crio_socket()).__enter__()
        assert status(cri, cid).state == cri.pb.CONTAINER_RUNNING


def test_exit_while_down_and_conmon_killed(host, cri):
        pb = cri.pb
        pod, cfg = run_pod(cri, "down")
        quits = run(cri, pod, cfg, "quits", "trap 'exit 7' TERM; while true; do sleep 0.1; done")
        orphan = run(cri, pod, cfg, "orphan", "trap 'exit 9' TERM; while true; do sleep 0.1; done")
        pids = pids_of(cri, [quits, orphan])
        conmon_of_orphan = int(host.read_file(f"{RUNROOT}/{orphan}/userdata/conmon-pidfile"))
        host.stop_crio()
        try:
                host.run(["kill", "-TERM", str(pids[quits])])
                host.run(["kill", "-KILL", str(conmon_of_orphan)])
                time.sleep(0.5)
        finally:
                start_crio(host)
        cri = CriClient(host.crio_socket()).__enter__()
        s = wait_exited(cri, quits)
        assert s.exit_code == 7 and s.reason == "Error" and s.finished_at > 0
        # conmon gone, the container still running: followed without conmon, stoppable.
        assert status(cri, orphan).state == pb.CONTAINER_RUNNING
        assert "conmon of container" in host.journal("crio.service")
        cri.runtime.StopContainer(pb.StopContainerRequest(container_id=orphan, timeout=5), timeout=60)
        s = status(cri, orphan)
        assert s.state == pb.CONTAINER_EXITED and s.exit_code == 255


def edit_record(host, path, **changes):
        record = json.loads(host.read_file(path))
        record.update(changes)
        host.write_file(path, json.dumps(record), mode=0o600)


def test_stale_records_and_pid_reuse(host, cri):
        """Records of an earlier boot are undone; a reused pid is never taken for conmon."""
        before = footprint(host)
        pod, cfg = run_pod(cri, "stale")
        old = run(cri, pod, cfg, "old", "sleep 1000")
        pod2, cfg2 = run_pod(cri, "reuse")
        reused = run(cri, pod2, cfg2, "reused", "sleep 1000")
        host.stop_crio()
        # A bystander whose pid the record now names, with another start time.
        host.run(["systemd-run", "--unit=crio-test-bystander", "sleep", "1000"])
        bystander = int(show(host, "crio-test-bystander.service", "MainPID")["MainPID"])
        try:
                edit_record(host, f"{ROOT}/{old}/state.json", boot_id="00000000-0000-0000-0000-000000000000")
                edit_record(host, f"{POD_DIR}/{pod}/pod.json", boot_id="00000000-0000-0000-0000-000000000000")
                edit_record(host, f"{ROOT}/{reused}/state.json", conmon_pid=bystander, pid=bystander)
                start_crio(host)
                cri = CriClient(host.crio_socket()).__enter__()
                pods, ctrs = cri_view(cri)
                assert pod not in pods and old not in ctrs
                # Not adopted: the real processes are ours no more, the bystander is left alone.
                assert status(cri, reused).state == cri.pb.CONTAINER_EXITED
                assert status(cri, reused).exit_code == 255
                assert host.run(["kill", "-0", str(bystander)], check=False).returncode == 0
                wait_for(lambda: old not in ls(host, ROOT) and old not in ls(host, RUNROOT) and pod not in
                         ls(host, POD_DIR), 20, "the stale records to be undone")
                wait_for(lambda: f"crio-{old}.scope" not in units(host, "scope"), 20, "the stale scope to stop")
        finally:
                host.run(["systemctl", "stop", "crio-test-bystander.service"], check=False)
        clear(cri)
        # The real processes of "reused" live on in their scope until the pod's slice goes with the removal.
        wait_for(lambda: footprint(host) == before, 30, "nothing left")


def test_unrecorded_create_is_undone(host, cri):
        """A container directory and scopes without a record (crio died in CreateContainer) are undone."""
        before = footprint(host)
        pod, cfg = run_pod(cri, "halfmade")
        cid = run(cri, pod, cfg, "half", "sleep 1000")
        host.stop_crio()
        host.run(["rm", f"{ROOT}/{cid}/state.json"])
        start_crio(host)
        cri = CriClient(host.crio_socket()).__enter__()
        assert cid not in cri_view(cri)[1]
        wait_for(lambda: cid not in ls(host, ROOT) and cid not in ls(host, RUNROOT), 20, "the directories to go")
        wait_for(lambda: f"crio-{cid}.scope" not in units(host, "scope") and
                 f"crio-conmon-{cid}.scope" not in units(host, "scope"), 20, "the scopes to stop")
        assert "left without a record" in host.journal("crio.service")
        clear(cri)
        wait_for(lambda: footprint(host) == before, 30, "nothing left")


def run_net_pod(cri, name):
        """A pod with its own network namespace, attached by CNI (bridge, host-local, portmap)."""
        pb = cri.pb
        config = pod_config(cri, name)
        config.linux.security_context.namespace_options.network = pb.POD
        pod_id = cri.runtime.RunPodSandbox(pb.RunPodSandboxRequest(config=config), timeout=60).pod_sandbox_id
        return pod_id, config


@pytest.fixture(scope="module")
def cni(host):
        """A bridge network for the pods of the kill test, so their netns, veths and addresses are counted."""
        host.write_file(CNI_FILE, json.dumps(conflist(name="crio-restore", bridge="cni-restore0",
                                                      subnet="10.79.0.0/16", gateway="10.79.0.1")).replace(
                "/run/cni-pods-ipam", CNI_IPAM))
        host.write_file(LO_FILE, json.dumps(LOOPBACK))
        host.write_file(CNI_DROP_IN, f'[crio.network]\nplugin_dirs = ["{PLUGIN_DIR}"]\n')
        restart_crio(host)
        with CriClient(host.crio_socket()) as c:
                wait_for(lambda: all(x.status for x in c.runtime.Status(c.pb.StatusRequest()).status.conditions),
                         15, "the network to be ready")
        yield host
        host.run(["rm", "-f", CNI_FILE, LO_FILE, CNI_DROP_IN])
        host.run("ip link del cni-restore0 2>/dev/null || true")
        restart_crio(host)


def workload(cri, stop_event, errors):
        """Pods and containers made, started, stopped and removed in a loop until stop_event; every other
        pod on the CNI network."""
        pb = cri.pb
        n = 0
        while not stop_event.is_set():
                n += 1
                try:
                        pod, cfg = (run_net_pod if n % 2 else run_pod)(cri, f"chaos{n}")
                        a = run(cri, pod, cfg, "a", "trap 'exit 0' TERM; while :; do sleep 0.2; done")
                        b = create(cri, pod, cfg, ctr_config(cri, "b", command=["/bin/sh", "-c", "exit 0"]))
                        start(cri, b)
                        cri.runtime.StopContainer(pb.StopContainerRequest(container_id=a, timeout=2), timeout=30)
                        cri.runtime.RemoveContainer(pb.RemoveContainerRequest(container_id=b), timeout=30)
                        if n % 2:
                                cri.runtime.StopPodSandbox(pb.StopPodSandboxRequest(pod_sandbox_id=pod), timeout=30)
                                cri.runtime.RemovePodSandbox(pb.RemovePodSandboxRequest(pod_sandbox_id=pod),
                                                             timeout=30)
                except grpc.RpcError as e:
                        errors.append(e)
                        return


def test_kill_9_at_random_points(host, cni, cri):
        """crio killed at 20 random instants of a busy loop: each restart leaks nothing and agrees with itself."""
        rng = random.Random(int(os.environ.get("CRIO_TEST_SEED", "8")))
        clear(cri)
        before = footprint(host)
        for round_ in range(20):
                stop, errors = threading.Event(), []
                with CriClient(host.crio_socket()) as c:
                        t = threading.Thread(target=workload, args=(c, stop, errors))
                        t.start()
                        time.sleep(rng.uniform(0.05, 1.5))
                        kill_crio(host)
                        stop.set()
                        t.join(60)
                        assert not t.is_alive()
                        # The only failure the loop may see is crio going away under it.
                        assert all(e.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED)
                                   for e in errors), [(e.code(), e.details()) for e in errors]
                start_crio(host)
                with CriClient(host.crio_socket()) as c:
                        pods, ctrs = check_consistent(host, c)
                        # Every recorded object has all its parts, everything else is gone (cleanup runs in the
                        # background after READY).
                        wait_for(lambda: set(ls(host, ROOT)) == set(ctrs) | set(pods) & set(ls(host, ROOT)),
                                 30, f"round {round_}: container directories to match the records")
                        wait_for(lambda: set(ls(host, POD_DIR)) == set(pods), 30,
                                 f"round {round_}: pod directories to match the records")
                        clear(c)
                wait_for(lambda: footprint(host) == before, 30, f"round {round_}: nothing left")
        text = host.journal("crio.service")
        assert ", IP 10.79." in text, "pods on the CNI network ran"
        for marker in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
                assert marker not in text, text[text.index(marker) - 200:][:4000]
