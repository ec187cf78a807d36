"""Pod sandboxes through CRI against crio in the systemd test host, with Debian's CNI plugins.

A bridge + host-local + portmap network list and a loopback config go into the host's
/etc/cni/net.d, plugin_dirs points at /usr/lib/cni through a crio.conf.d drop-in, and crio is
restarted with them. Pods are checked from crio's side (CRI) and from the host's (systemctl,
nsenter into the pins, ip link, mountinfo). Everything runs in the test host's own namespaces.
"""

import json
import os
import re
import threading
import time

import grpc
import pytest

from cri_client import CriClient

pytestmark = pytest.mark.testhost

PLUGIN_DIR = "/usr/lib/cni"
TEST_PLUGIN_DIR = "/usr/local/lib/cni-test"
NET_DIR = "/etc/cni/net.d"
DROP_IN = "/etc/crio/crio.conf.d/50-test-pods.conf"
PAUSE_IMAGE = "127.0.0.1:9/missing/pause:latest"
BRIDGE = "cni-pods0"
GATEWAY = "10.78.0.1"
IPAM_DIR = "/run/cni-pods-ipam"
NS_DIR = "/run"         # namespaces_dir /var/run: pins in /run/{netns,ipcns,utsns}
POD_DIR = "/run/crio/pods"


def conflist(name="crio-pods", bridge=BRIDGE, subnet="10.78.0.0/16", gateway=GATEWAY, extra=()):
        return {
                "cniVersion": "1.0.0",
                "name": name,
                "plugins": [
                        {
                                "type": "bridge",
                                "bridge": bridge,
                                "isGateway": True,
                                "ipMasq": False,
                                "hairpinMode": True,
                                "ipam": {
                                        "type": "host-local",
                                        "dataDir": IPAM_DIR,
                                        "routes": [{"dst": "0.0.0.0/0"}],
                                        "ranges": [[{"subnet": subnet, "gateway": gateway}]],
                                },
                        },
                        *extra,
                        {"type": "portmap", "capabilities": {"portMappings": True}},
                ],
        }


LOOPBACK = {"cniVersion": "1.0.0", "name": "lo", "type": "loopback"}

FAILER = """#!/bin/sh
cat >/dev/null
case "$CNI_COMMAND" in
ADD) echo '{"cniVersion":"1.0.0","code":11,"msg":"failer says no","details":"on purpose"}'; exit 1;;
esac
exit 0
"""

HANGER = """#!/bin/sh
cat >/dev/null
case "$CNI_COMMAND" in
ADD) echo $$ > /run/cni-hanger.pid; exec sleep 600;;
esac
exit 0
"""

PING = r"""
import socket, struct, sys
ip = sys.argv[1]
def csum(b):
    s = sum((b[i] << 8) + b[i + 1] for i in range(0, len(b) - 1, 2))
    if len(b) % 2:
        s += b[-1] << 8
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.settimeout(1)
for seq in range(5):
    body = struct.pack("!BBHHH", 8, 0, 0, 0x4353, seq) + b"crio-pod"
    s.sendto(struct.pack("!BBHHH", 8, 0, csum(body), 0x4353, seq) + b"crio-pod", (ip, 0))
    try:
        while True:
            data, addr = s.recvfrom(2048)
            ihl = (data[0] & 15) * 4
            if addr[0] == ip and data[ihl] == 0:
                print("pong")
                sys.exit(0)
    except socket.timeout:
        pass
sys.exit(1)
"""

SERVER = r"""
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 80))
s.listen(4)
s.settimeout(30)
c, _ = s.accept()
c.sendall(b"hello-from-pod\n")
c.close()
"""

CLIENT = r"""
import socket, sys, time
for i in range(50):
    try:
        c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1)
        print(c.recv(100).decode().strip())
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
"""


def restart_crio(host):
        host.run(["systemctl", "reset-failed", "crio.service"], check=False)
        host.stop_crio()
        host.start_crio()


@pytest.fixture(scope="module")
def host(testhost):
        for p in ("bridge", "host-local", "portmap", "loopback"):
                if not os.access(os.path.join(PLUGIN_DIR, p), os.X_OK):
                        pytest.skip(f"CNI plugin {p} missing from {PLUGIN_DIR} (containernetworking-plugins)")
        testhost.write_file(f"{NET_DIR}/10-crio-pods.conflist", json.dumps(conflist()))
        testhost.write_file(f"{NET_DIR}/99-loopback.conf", json.dumps(LOOPBACK))
        testhost.write_file(f"{TEST_PLUGIN_DIR}/failer", FAILER, mode=0o755)
        testhost.write_file(f"{TEST_PLUGIN_DIR}/hanger", HANGER, mode=0o755)
        # A pause image nothing serves: pods that need one fail at the pull (test_containers.py runs them).
        testhost.write_file(DROP_IN, "[crio.network]\n"
                            f"plugin_dirs = [\"{PLUGIN_DIR}\", \"{TEST_PLUGIN_DIR}\"]\n"
                            "[crio.image]\n"
                            f"pause_image = \"{PAUSE_IMAGE}\"\n")
        restart_crio(testhost)
        yield testhost
        testhost.run(f"rm -f {DROP_IN} {NET_DIR}/10-crio-pods.conflist {NET_DIR}/99-loopback.conf "
                     f"{NET_DIR}/0*.conflist", check=False)
        restart_crio(testhost)


@pytest.fixture
def cri(host):
        with CriClient(host.crio_socket()) as c:
                yield c
        # Whatever a test left goes, so the next starts clean; on a new channel, as the test may have
        # restarted crio.
        with CriClient(host.crio_socket()) as c:
                for p in c.runtime.ListPodSandbox(c.pb.ListPodSandboxRequest()).items:
                        c.runtime.RemovePodSandbox(c.pb.RemovePodSandboxRequest(pod_sandbox_id=p.id), timeout=60)


def pod_config(cri, name, uid=None, attempt=0, host_network=False, host_ipc=False, **kw):
        pb = cri.pb
        ns = pb.NamespaceOption(network=pb.NODE if host_network else pb.POD,
                                ipc=pb.NODE if host_ipc else pb.POD, pid=pb.CONTAINER)
        linux = pb.LinuxPodSandboxConfig(security_context=pb.LinuxSandboxSecurityContext(namespace_options=ns),
                                         cgroup_parent=kw.pop("cgroup_parent", ""),
                                         sysctls=kw.pop("sysctls", {}))
        for k in ("resources", "overhead"):
                if k in kw:
                        getattr(linux, k).CopyFrom(kw.pop(k))
        return pb.PodSandboxConfig(
                metadata=pb.PodSandboxMetadata(name=name, namespace="test", uid=uid or f"uid-{name}",
                                               attempt=attempt),
                linux=linux, **kw)


def run_pod(cri, name, timeout=60, **kw):
        return cri.runtime.RunPodSandbox(cri.pb.RunPodSandboxRequest(config=pod_config(cri, name, **kw)),
                                         timeout=timeout).pod_sandbox_id


def status(cri, pod_id, verbose=False):
        return cri.runtime.PodSandboxStatus(cri.pb.PodSandboxStatusRequest(pod_sandbox_id=pod_id,
                                                                           verbose=verbose))


def info(cri, pod_id):
        return json.loads(status(cri, pod_id, verbose=True).info["info"])


def remove(cri, pod_id):
        cri.runtime.StopPodSandbox(cri.pb.StopPodSandboxRequest(pod_sandbox_id=pod_id), timeout=60)
        cri.runtime.RemovePodSandbox(cri.pb.RemovePodSandboxRequest(pod_sandbox_id=pod_id), timeout=60)


def links(host):
        out = host.run(["ip", "-o", "link", "show"]).stdout
        return [m.split("@")[0] for m in re.findall(r"^\d+: (\S+):", out, re.M)]


def nsenter(host, flags, cmd, check=True):
        return host.run(["nsenter", *flags, *cmd], check=check, timeout=30)


def footprint(host):
        """What pods leave on the host: veths, pins, nsfs and tmpfs mounts, slices, pod dirs, IPs."""
        mounts = host.run(["cat", "/proc/self/mountinfo"]).stdout.splitlines()
        slices = host.run(["systemctl", "list-units", "--all", "--plain", "--no-legend", "--type=slice"]).stdout
        return {
                "veths": sorted(link for link in links(host) if link.startswith("veth")),
                "pins": sorted(host.run(f"find {NS_DIR}/netns {NS_DIR}/ipcns {NS_DIR}/utsns -type f 2>/dev/null || true")
                               .stdout.split()),
                "nsfs": sum(" - nsfs " in line for line in mounts),
                "shm": sum(POD_DIR in line for line in mounts),
                "slices": sorted(re.findall(r"^(crio-\S+\.slice|kubepods\S*\.slice)", slices, re.M)),
                "dirs": sorted(host.run(f"ls {POD_DIR} 2>/dev/null || true").stdout.split()),
                "ips": sorted(host.run(f"ls {IPAM_DIR}/crio-pods 2>/dev/null | grep '^10' || true").stdout.split()),
        }


def wait_for(pred, timeout=10, what="condition"):
        deadline = time.monotonic() + timeout
        while True:
                v = pred()
                if v:
                        return v
                if time.monotonic() > deadline:
                        raise AssertionError(f"timed out waiting for {what}")
                time.sleep(0.05)


def test_host_network_pod(host, cri):
        before = footprint(host)
        pod_id = run_pod(cri, "hostnet", host_network=True)
        assert re.fullmatch(r"[0-9a-f]{64}", pod_id)
        st = status(cri, pod_id).status
        assert st.state == cri.pb.SANDBOX_READY
        assert st.metadata.name == "hostnet" and st.metadata.namespace == "test"
        assert st.network.ip == ""
        assert st.linux.namespaces.options.network == cri.pb.NODE
        i = info(cri, pod_id)
        assert i["namespaces"]["network"] is None and i["namespaces"]["uts"] is None
        assert i["namespaces"]["ipc"] == f"/var/run/ipcns/{pod_id}"
        assert i["slice"] == f"crio-{pod_id}.slice"
        out = host.run(["systemctl", "status", "--no-pager", i["slice"]], check=False).stdout
        assert f"crio pod test/hostnet ({pod_id})" in out, out
        assert "active" in host.run(["systemctl", "is-active", i["slice"]], check=False).stdout
        # The same name, namespace, uid and attempt: the same pod.
        assert run_pod(cri, "hostnet", host_network=True) == pod_id
        remove(cri, pod_id)
        assert footprint(host) == before
        # Unknown ids stop and remove fine; status says NotFound.
        cri.runtime.StopPodSandbox(cri.pb.StopPodSandboxRequest(pod_sandbox_id=pod_id))
        cri.runtime.RemovePodSandbox(cri.pb.RemovePodSandboxRequest(pod_sandbox_id=pod_id))
        with pytest.raises(grpc.RpcError) as e:
                status(cri, pod_id)
        assert e.value.code() == grpc.StatusCode.NOT_FOUND


def test_two_pods_reach_each_other_and_port_mapping(host, cri):
        before = footprint(host)
        a = run_pod(cri, "pinga", port_mappings=[cri.pb.PortMapping(protocol=cri.pb.TCP, container_port=80,
                                                                      host_port=8081)])
        b = run_pod(cri, "pingb")
        ip_a, ip_b = status(cri, a).status.network.ip, status(cri, b).status.network.ip
        assert ip_a.startswith("10.78.") and ip_b.startswith("10.78.") and ip_a != ip_b
        ns_a, ns_b = info(cri, a)["namespaces"]["network"], info(cri, b)["namespaces"]["network"]
        assert ns_a == f"/var/run/netns/{a}"
        assert BRIDGE in links(host)
        assert len(footprint(host)["veths"]) == len(before["veths"]) + 2

        r = nsenter(host, [f"--net={ns_a}"], ["/usr/bin/python3", "-c", PING, ip_b], check=False)
        assert r.returncode == 0 and "pong" in r.stdout, f"a -> b: {r.stdout}{r.stderr}"
        r = nsenter(host, [f"--net={ns_b}"], ["/usr/bin/python3", "-c", PING, ip_a], check=False)
        assert r.returncode == 0 and "pong" in r.stdout, f"b -> a: {r.stdout}{r.stderr}"

        # The port mapping is reachable from the host's network namespace.
        assert a in host.run(["iptables", "-t", "nat", "-S"]).stdout
        host.run(f"nsenter --net={ns_a} /usr/bin/python3 -c '{SERVER}' >/dev/null 2>&1 &")
        r = host.run(["/usr/bin/python3", "-c", CLIENT, GATEWAY, "8081"], check=False)
        assert r.stdout.strip() == "hello-from-pod", f"port mapping: {r.stdout}{r.stderr}"

        # Network counters of the pod's eth0, and systemd's accounting of the slice.
        stats = cri.runtime.PodSandboxStats(cri.pb.PodSandboxStatsRequest(pod_sandbox_id=a)).stats
        assert stats.attributes.id == a
        assert stats.linux.network.default_interface.name == "eth0"
        assert stats.linux.network.default_interface.rx_bytes.value > 0
        # CPU only when the cpu controller is there (the test host may lack it).
        assert stats.linux.HasField("memory") and stats.linux.HasField("process")
        listed = cri.runtime.ListPodSandboxStats(cri.pb.ListPodSandboxStatsRequest()).stats
        assert {s.attributes.id for s in listed} >= {a, b}

        # Stop tears the network down and keeps the pod; remove takes the rest.
        cri.runtime.StopPodSandbox(cri.pb.StopPodSandboxRequest(pod_sandbox_id=a))
        assert status(cri, a).status.state == cri.pb.SANDBOX_NOTREADY
        assert a not in host.run(["iptables", "-t", "nat", "-S"]).stdout, "portmap rules removed"
        cri.runtime.StopPodSandbox(cri.pb.StopPodSandboxRequest(pod_sandbox_id=a))
        remove(cri, a)
        remove(cri, b)
        after = footprint(host)
        assert after == before, f"{before} -> {after}"


def test_hostname_dns_sysctls_shm(host, cri):
        pb = cri.pb
        pod_id = run_pod(cri, "inside", hostname="pod-inside",
                         dns_config=pb.DNSConfig(servers=["10.96.0.10"], searches=["test.svc.cluster.local"],
                                                 options=["ndots:5"]),
                         sysctls={"net.ipv4.ip_unprivileged_port_start": "123", "kernel.shmmni": "1234",
                                  "kernel.msgmax": "4321"},
                         annotations={"io.kubernetes.cri-o.ShmSize": "16Mi"})
        i = info(cri, pod_id)
        ns = i["namespaces"]
        assert nsenter(host, [f"--uts={ns['uts']}"], ["hostname"]).stdout.strip() == "pod-inside"
        assert nsenter(host, [f"--net={ns['network']}"],
                       ["cat", "/proc/sys/net/ipv4/ip_unprivileged_port_start"]).stdout.strip() == "123"
        assert host.read_file("/proc/sys/net/ipv4/ip_unprivileged_port_start").strip() != "123", "host untouched"
        assert nsenter(host, [f"--ipc={ns['ipc']}"], ["cat", "/proc/sys/kernel/shmmni"]).stdout.strip() == "1234"
        assert nsenter(host, [f"--ipc={ns['ipc']}"], ["cat", "/proc/sys/kernel/msgmax"]).stdout.strip() == "4321"
        assert nsenter(host, [f"--net={ns['network']}"], ["ip", "-o", "link", "show", "lo"]).stdout.count("UP") >= 1
        assert host.read_file(i["resolvPath"]) == ("search test.svc.cluster.local\nnameserver 10.96.0.10\n"
                                                   "options ndots:5\n")
        assert host.read_file(i["hostnamePath"]) == "pod-inside\n"
        shm = [line for line in host.run(["cat", "/proc/self/mountinfo"]).stdout.splitlines() if i["shmPath"] in line]
        assert len(shm) == 1 and "tmpfs" in shm[0] and "size=16384k" in shm[0], shm
        assert i["shmSize"] == 16 * 1024 * 1024
        remove(cri, pod_id)
        assert host.run(["test", "-e", i["shmPath"]], check=False).returncode != 0


def test_host_ipc_pod(host, cri):
        pod_id = run_pod(cri, "hostipc", host_ipc=True, sysctls={"net.ipv4.ip_unprivileged_port_start": "99"})
        i = info(cri, pod_id)
        assert i["namespaces"]["ipc"] is None and i["shmPath"] == "/dev/shm"
        assert status(cri, pod_id).status.linux.namespaces.options.ipc == cri.pb.NODE
        # An IPC sysctl cannot be set in the host's IPC namespace.
        with pytest.raises(grpc.RpcError) as e:
                run_pod(cri, "hostipc2", host_ipc=True, sysctls={"kernel.shmmni": "1"})
        assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        remove(cri, pod_id)


@pytest.mark.parametrize("key,value", [
        ("kernel.shm_rmid_forced", "1+kernel.core_pattern=|/tmp/evil"),
        ("net.ipv4.ip_forward", "1\nkernel.core_pattern=x"),
        ("kernel.core_pattern", "|/tmp/evil"),
        ("vm.swappiness", "1"),
])
def test_rejected_sysctl(host, cri, key, value):
        before = footprint(host)
        core = host.read_file("/proc/sys/kernel/core_pattern")
        with pytest.raises(grpc.RpcError) as e:
                run_pod(cri, "evil", sysctls={key: value})
        assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert key in e.value.details()
        assert host.read_file("/proc/sys/kernel/core_pattern") == core
        assert footprint(host) == before


def test_sysctl_failing_in_the_pod_rolls_back(host, cri):
        """A namespaced key the kernel does not have: the pin child fails while systemd is still
        starting the slice; the rollback waits for that start and undoes it."""
        before = footprint(host)
        with pytest.raises(grpc.RpcError) as e:
                run_pod(cri, "nokey", sysctls={"net.ipv4.no_such_key": "1"})
        assert e.value.code() == grpc.StatusCode.UNKNOWN
        assert "writing sysctl net.ipv4.no_such_key" in e.value.details(), e.value.details()
        wait_for(lambda: footprint(host) == before, what="rollback")


def test_validation(host, cri):
        pb = cri.pb
        with pytest.raises(grpc.RpcError) as e:
                run_pod(cri, "badparent", cgroup_parent="/kubepods/burstable")
        assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT and ".slice" in e.value.details()
        with pytest.raises(grpc.RpcError) as e:
                cri.runtime.RunPodSandbox(pb.RunPodSandboxRequest(config=pod_config(cri, "h"), runtime_handler="nope"))
        assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "nope" in e.value.details()
        with pytest.raises(grpc.RpcError) as e:
                cri.runtime.RunPodSandbox(pb.RunPodSandboxRequest(config=pb.PodSandboxConfig()))
        assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        # A POD-level PID namespace needs a pause process: its image cannot be pulled here, and the
        # failed run leaves nothing behind (network, pins, slice).
        before = footprint(host)
        cfg = pod_config(cri, "sharedpid")
        cfg.linux.security_context.namespace_options.pid = pb.POD
        with pytest.raises(grpc.RpcError) as e:
                cri.runtime.RunPodSandbox(pb.RunPodSandboxRequest(config=cfg), timeout=60)
        assert "pause image" in e.value.details() and PAUSE_IMAGE in e.value.details(), e.value.details()
        wait_for(lambda: footprint(host) == before, what="rollback")


def test_slice_limits_update_and_systemctl_stop(host, cri):
        pb = cri.pb
        parent = "kubepods-burstable-podcrio1234.slice"
        pod_id = run_pod(cri, "limited", host_network=True, cgroup_parent=parent,
                         resources=pb.LinuxContainerResources(cpu_shares=512, cpu_quota=50000, cpu_period=100000,
                                                              memory_limit_in_bytes=256 << 20,
                                                              unified={"pids.max": "100"}),
                         overhead=pb.LinuxContainerResources(memory_limit_in_bytes=16 << 20))
        assert info(cri, pod_id)["slice"] == parent
        show = host.run(["systemctl", "show", parent, "-p", "MemoryMax", "-p", "CPUQuotaPerSecUSec", "-p",
                         "TasksMax", "-p", "Description", "-p", "CPUWeight", "-p", "MemoryLimit"]).stdout
        assert f"Description=crio pod test/limited ({pod_id})" in show, show
        assert f"TasksMax=100" in show, show
        assert "CPUQuotaPerSecUSec=500ms" in show, show
        assert (f"MemoryMax={272 << 20}" in show) or (f"MemoryLimit={272 << 20}" in show), show
        status_text = host.run(["systemctl", "status", "--no-pager", parent], check=False).stdout
        assert "crio pod test/limited" in status_text, status_text

        cri.runtime.UpdatePodSandboxResources(pb.UpdatePodSandboxResourcesRequest(
                pod_sandbox_id=pod_id, resources=pb.LinuxContainerResources(memory_limit_in_bytes=512 << 20)))
        show = host.run(["systemctl", "show", parent, "-p", "MemoryMax", "-p", "MemoryLimit"]).stdout
        assert (f"MemoryMax={528 << 20}" in show) or (f"MemoryLimit={528 << 20}" in show), show

        # An administrator's systemctl stop is noticed.
        host.run(["systemctl", "stop", parent])
        wait_for(lambda: status(cri, pod_id).status.state == pb.SANDBOX_NOTREADY, what="NOTREADY after systemctl stop")
        remove(cri, pod_id)
        assert parent not in host.run(["systemctl", "list-units", "--all", "--plain", "--no-legend"]).stdout


def test_list_filters(host, cri):
        pb = cri.pb
        a = run_pod(cri, "lista", host_network=True, labels={"app": "web", "tier": "front"})
        b = run_pod(cri, "listb", host_network=True, labels={"app": "web", "tier": "back"})
        cri.runtime.StopPodSandbox(pb.StopPodSandboxRequest(pod_sandbox_id=b))

        def ids(**f):
                return {p.id for p in cri.runtime.ListPodSandbox(pb.ListPodSandboxRequest(
                        filter=pb.PodSandboxFilter(**f))).items}

        assert ids() >= {a, b}
        assert ids(label_selector={"app": "web"}) == {a, b}
        assert ids(label_selector={"tier": "back"}) == {b}
        assert ids(state=pb.PodSandboxStateValue(state=pb.SANDBOX_READY)) & {a, b} == {a}
        assert ids(id=a[:10]) == {a}
        streamed = {p.id for r in cri.runtime.StreamPodSandboxes(pb.StreamPodSandboxesRequest())
                    for p in r.pod_sandboxes}
        assert streamed >= {a, b}
        listed = cri.runtime.ListPodSandbox(pb.ListPodSandboxRequest(filter=pb.PodSandboxFilter(id=a))).items[0]
        assert listed.labels["tier"] == "front" and listed.metadata.name == "lista"
        # Status by a unique prefix works too.
        assert status(cri, a[:12]).status.id == a
        remove(cri, a)
        remove(cri, b)


def network_ready(cri):
        conds = cri.runtime.Status(cri.pb.StatusRequest()).status.conditions
        return [c for c in conds if c.type == "NetworkReady"][0]


def test_network_ready_follows_config(host, cri):
        assert network_ready(cri).status
        host.run(f"mkdir -p /etc/cni/parked && mv {NET_DIR}/10-crio-pods.conflist {NET_DIR}/99-loopback.conf "
                 "/etc/cni/parked/")
        try:
                wait_for(lambda: not network_ready(cri).status, what="NetworkReady false")
                assert "No CNI configuration file" in network_ready(cri).message
                with pytest.raises(grpc.RpcError) as e:
                        run_pod(cri, "nonet")
                assert "not ready" in e.value.details()
                # A broken config does not count.
                host.write_file(f"{NET_DIR}/10-broken.conflist", "{ not json")
                time.sleep(0.3)
                assert not network_ready(cri).status
        finally:
                host.run(f"rm -f {NET_DIR}/10-broken.conflist; mv /etc/cni/parked/* {NET_DIR}/")
        wait_for(lambda: network_ready(cri).status, what="NetworkReady true")


def test_failing_plugin_rolls_back(host, cri):
        before = footprint(host)
        host.write_file(f"{NET_DIR}/05-failer.conflist", json.dumps(
                conflist(name="crio-pods", extra=[{"type": "failer"}])))
        try:
                time.sleep(0.3)
                with pytest.raises(grpc.RpcError) as e:
                        run_pod(cri, "failing")
                assert "failer says no" in e.value.details(), e.value.details()
                assert footprint(host) == before
        finally:
                host.run(f"rm -f {NET_DIR}/05-failer.conflist")
                time.sleep(0.5)  # for the inotify watch to go back to the default network


def test_hanging_plugin_cancelled_rolls_back(host, cri):
        before = footprint(host)
        host.write_file(f"{NET_DIR}/05-hanger.conflist", json.dumps(
                conflist(name="crio-pods", extra=[{"type": "hanger"}])))
        try:
                time.sleep(0.3)
                with pytest.raises(grpc.RpcError) as e:
                        run_pod(cri, "hanging", timeout=3)
                assert e.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
                # The run outlives its caller, for kubelet's retry (test_retry.py): it ends with the plugin,
                # killed here as crio's CNI timeout would, and that failure rolls it back.
                pid = host.read_file("/run/cni-hanger.pid").strip()
                assert host.run(["test", "-e", f"/proc/{pid}"], check=False).returncode == 0, "the plugin goes on"
                host.run(["kill", "-9", pid])
                wait_for(lambda: footprint(host) == before, what="rollback")
                assert not cri.runtime.ListPodSandbox(cri.pb.ListPodSandboxRequest()).items
        finally:
                host.run(f"rm -f {NET_DIR}/05-hanger.conflist")
                time.sleep(0.5)  # for the inotify watch to go back to the default network


def test_crio_killed_during_run_cleans_up_at_start(host, cri):
        before = footprint(host)
        host.write_file(f"{NET_DIR}/05-hanger.conflist", json.dumps(
                conflist(name="crio-pods", extra=[{"type": "hanger"}])))
        host.run("rm -f /run/cni-hanger.pid")
        try:
                time.sleep(0.3)
                t = threading.Thread(target=lambda: pytest.raises(grpc.RpcError, run_pod, cri, "killed", timeout=20))
                t.start()
                wait_for(lambda: host.run(["test", "-e", "/run/cni-hanger.pid"], check=False).returncode == 0,
                         what="the plugin to hang")
                half = footprint(host)
                assert len(half["dirs"]) == len(before["dirs"]) + 1 and len(half["veths"]) == len(before["veths"]) + 1
                host.run(["systemctl", "kill", "-s", "KILL", "crio.service"])
                t.join()
                host.run("kill -9 $(cat /run/cni-hanger.pid) 2>/dev/null || true")
                restart_crio(host)
                wait_for(lambda: footprint(host) == before, what="start-up cleanup")
                assert "left by an earlier crio" in host.journal("crio.service")
        finally:
                host.run(f"rm -f {NET_DIR}/05-hanger.conflist")
                time.sleep(0.5)  # for the inotify watch to go back to the default network


def test_hundred_pods_leave_nothing(host, cri):
        before = footprint(host)
        ids = []
        for i in range(100):
                try:
                        ids.append(run_pod(cri, f"many{i}"))
                except grpc.RpcError:
                        print(f"pod {i} failed\n" + host.journal("crio.service")[-5000:])
                        raise
        assert len(set(ids)) == 100
        mid = footprint(host)
        assert len(mid["veths"]) == len(before["veths"]) + 100
        assert len(mid["slices"]) == len(before["slices"]) + 100
        for pod_id in ids:
                remove(cri, pod_id)
        after = footprint(host)
        assert after == before, f"{before} -> {after}"


def test_journal_fields(host, cri):
        pod_id = run_pod(cri, "journaled", host_network=True)
        remove(cri, pod_id)
        out = host.run(["journalctl", "--no-pager", "-o", "json", f"POD_ID={pod_id}"]).stdout
        entries = [json.loads(line) for line in out.splitlines() if line.strip()]
        assert entries, "journal entries carry POD_ID"
        assert all(e.get("POD_NAME") == "journaled" and e.get("POD_NAMESPACE") == "test" for e in entries)


def test_zz_no_sanitizer_reports(host, cri):
        """Under an ASan/UBSan build: a stop of crio with pods in memory reports no error or leak."""
        pod_id = run_pod(cri, "leakcheck")
        restart_crio(host)
        text = host.journal("crio.service")
        for marker in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
                assert marker not in text, text[text.index(marker) - 200:][:4000]
        # The restarted crio took the pod back from its record, ready as before (a new channel: the old
        # one saw crio go).
        with CriClient(host.crio_socket()) as c:
                assert status(c, pod_id).status.state == c.pb.SANDBOX_READY
