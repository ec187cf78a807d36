"""CNI networking of the network library (src/network) with Debian's plugins, inside a test host.

tests/cni-check (built by meson) drives the library: pinned netns, ADD/DEL/CHECK through
bridge + host-local + portmap (+ loopback), failing and hanging plugins, the inotify watch.
Everything runs in the test host's own network namespace; the real machine's network is never
touched.
"""

import json
import os
import re
import time

import pytest

from testhost import TestHost

pytestmark = pytest.mark.testhost

PLUGIN_DIR = "/usr/lib/cni"
TEST_PLUGIN_DIR = "/usr/local/lib/cni-test"
NET_DIR = "/etc/cni/net.d"
CACHE_DIR = "/var/lib/cni-crio-test"
IPAM_DIR = "/run/cni-test-ipam"
NAMESPACES_DIR = "/run"          # CRI-O's namespaces_dir default /var/run: pins in /run/netns
BRIDGE = "cni-test0"
GATEWAY = "10.77.0.1"

CONFLIST = {
        "cniVersion": "1.0.0",
        "name": "crio-test",
        "plugins": [
                {
                        "type": "bridge",
                        "bridge": BRIDGE,
                        "isGateway": True,
                        "ipMasq": False,
                        "hairpinMode": True,
                        "ipam": {
                                "type": "host-local",
                                "dataDir": IPAM_DIR,
                                "routes": [{"dst": "0.0.0.0/0"}],
                                "ranges": [[{"subnet": "10.77.0.0/24", "gateway": GATEWAY}]],
                        },
                },
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

# Raw ICMP echo: no ping binary needed.
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
    body = struct.pack("!BBHHH", 8, 0, 0, 0x4352, seq) + b"crio-cni"
    s.sendto(struct.pack("!BBHHH", 8, 0, csum(body), 0x4352, seq) + b"crio-cni", (ip, 0))
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


@pytest.fixture(scope="module")
def check(build_dir):
        path = os.path.join(build_dir, "tests", "cni-check")
        if not os.access(path, os.X_OK):
                pytest.fail(f"cni-check is not built: {path} missing (set CRIO_BUILD_DIR)", pytrace=False)
        for p in ("bridge", "host-local", "portmap", "loopback"):
                if not os.access(os.path.join(PLUGIN_DIR, p), os.X_OK):
                        pytest.skip(f"CNI plugin {p} missing from {PLUGIN_DIR} (containernetworking-plugins)")
        return path


@pytest.fixture(scope="module")
def host(check):
        with TestHost() as h:
                h.write_file(f"{NET_DIR}/10-crio-test.conflist", json.dumps(CONFLIST))
                h.write_file(f"/etc/cni/lo/99-loopback.conf", json.dumps(LOOPBACK))
                h.write_file(f"{TEST_PLUGIN_DIR}/failer", FAILER, mode=0o755)
                h.write_file(f"{TEST_PLUGIN_DIR}/hanger", HANGER, mode=0o755)
                yield h


def cni(host, check, command, *args, ok=True, timeout=60):
        r = host.run([check, command, "--plugins", f"{PLUGIN_DIR}:{TEST_PLUGIN_DIR}", "--cache", CACHE_DIR,
                      *args], check=False, timeout=timeout)
        if ok:
                assert r.returncode == 0, f"cni-check {command} failed:\n{r.stdout}\n{r.stderr}"
        return r


def ips_of(result):
        return re.findall(r"^ip (\S+)$", result.stdout, re.M)


def new_netns(host, check):
        path = host.run([check, "netns-new", NAMESPACES_DIR]).stdout.strip()
        assert path.startswith(f"{NAMESPACES_DIR}/netns/"), path
        return path


def in_netns(host, netns, cmd):
        return host.run(["nsenter", f"--net={netns}", *cmd], check=False, timeout=30)


def links(host):
        out = host.run(["ip", "-o", "link", "show"]).stdout
        return [m.split("@")[0] for m in re.findall(r"^\d+: (\S+):", out, re.M)]


def nsfs_mounts(host):
        return [line for line in host.run(["cat", "/proc/self/mountinfo"]).stdout.splitlines()
                if " - nsfs " in line]


def reserved_ips(host):
        r = host.run(f"ls {IPAM_DIR}/crio-test 2>/dev/null || true")
        return [n for n in r.stdout.split() if re.fullmatch(r"[0-9.]+", n)]


def cache_entries(host):
        return host.run(f"ls {CACHE_DIR}/results 2>/dev/null || true").stdout.split()


def assert_clean(host, baseline_mounts):
        veths = [link for link in links(host) if link.startswith("veth")]
        assert veths == [], f"leaked veths: {veths}"
        assert host.run(f"ls {NAMESPACES_DIR}/netns 2>/dev/null || true").stdout.split() == [], "leaked netns pins"
        assert nsfs_mounts(host) == baseline_mounts, "leaked nsfs mounts"
        assert reserved_ips(host) == [], "leaked IPAM reservations"
        assert cache_entries(host) == [], "leaked cache entries"


def test_netns_pin(host, check):
        before = nsfs_mounts(host)
        ns = new_netns(host, check)
        name = os.path.basename(ns)
        assert name in host.run(["ip", "netns", "list"]).stdout, "pin is where `ip netns` looks"
        out = in_netns(host, ns, ["ip", "-o", "link", "show", "lo"]).stdout
        assert "UP" in out, f"lo is up in the new netns: {out}"
        assert links(host) != [link for link in in_netns(host, ns, ["ip", "-o", "link"]).stdout], "own netns"
        assert len(nsfs_mounts(host)) == len(before) + 1
        host.run([check, "netns-remove", ns])
        assert host.run(["test", "-e", ns], check=False).returncode != 0
        assert nsfs_mounts(host) == before
        # Removing twice is fine.
        host.run([check, "netns-remove", ns])


def test_two_pods_bridge_and_portmap(host, check):
        baseline = nsfs_mounts(host)
        ns_a, ns_b = new_netns(host, check), new_netns(host, check)

        lo = cni(host, check, "add", "--config", "/etc/cni/lo/99-loopback.conf", "--id", "podaaaa",
                 "--netns", ns_a, "--ifname", "lo")
        assert "ok" in lo.stdout
        a = cni(host, check, "add", "--dir", NET_DIR, "--id", "podaaaa", "--netns", ns_a, "--port", "8080:80")
        b = cni(host, check, "add", "--dir", NET_DIR, "--id", "podbbbb", "--netns", ns_b)
        ip_a, ip_b = ips_of(a), ips_of(b)
        assert len(ip_a) == 1 and ip_a[0].startswith("10.77.0."), a.stdout
        assert len(ip_b) == 1 and ip_b[0].startswith("10.77.0.") and ip_b != ip_a, b.stdout
        assert BRIDGE in links(host)
        assert len([link for link in links(host) if link.startswith("veth")]) == 2
        assert "eth0" in in_netns(host, ns_a, ["ip", "-o", "addr", "show"]).stdout

        # The two pods reach each other over the bridge.
        r = in_netns(host, ns_a, ["/usr/bin/python3", "-c", PING, ip_b[0]])
        assert r.returncode == 0 and "pong" in r.stdout, f"a -> b: {r.stdout}{r.stderr}"
        r = in_netns(host, ns_b, ["/usr/bin/python3", "-c", PING, ip_a[0]])
        assert r.returncode == 0 and "pong" in r.stdout, f"b -> a: {r.stdout}{r.stderr}"

        # The port mapping is reachable from the host's network namespace.
        nat = host.run(["iptables", "-t", "nat", "-S"]).stdout
        assert "podaaaa" in nat, f"portmap rules for the pod:\n{nat}"
        host.run(f"nsenter --net={ns_a} /usr/bin/python3 -c '{SERVER}' >/dev/null 2>&1 &")
        r = host.run(["/usr/bin/python3", "-c", CLIENT, GATEWAY, "8080"], check=False)
        assert r.stdout.strip() == "hello-from-pod", f"port mapping: {r.stdout}{r.stderr}"

        # CHECK agrees with what ADD did. (Pod b: portmap 1.1.1's CHECK looks for IPv6 rules that
        # it never creates for an IPv4-only pod with port mappings.)
        cni(host, check, "check", "--dir", NET_DIR, "--id", "podbbbb", "--netns", ns_b)
        assert sorted(cache_entries(host)) == ["crio-test-podaaaa-eth0", "crio-test-podbbbb-eth0",
                                               "lo-podaaaa-lo"]

        cni(host, check, "del", "--dir", NET_DIR, "--id", "podaaaa", "--netns", ns_a)
        cni(host, check, "del", "--config", "/etc/cni/lo/99-loopback.conf", "--id", "podaaaa", "--netns", ns_a,
            "--ifname", "lo")
        cni(host, check, "del", "--dir", NET_DIR, "--id", "podbbbb", "--netns", ns_b)
        assert "podaaaa" not in host.run(["iptables", "-t", "nat", "-S"]).stdout, "portmap rules removed"
        # DEL is idempotent.
        cni(host, check, "del", "--dir", NET_DIR, "--id", "podbbbb", "--netns", ns_b)
        host.run([check, "netns-remove", ns_a])
        host.run([check, "netns-remove", ns_b])
        assert_clean(host, baseline)


def test_del_from_cache_without_config_or_netns(host, check):
        """After a restart the config may be gone and the netns too: the cache still undoes ADD."""
        baseline = nsfs_mounts(host)
        ns = new_netns(host, check)
        cni(host, check, "add", "--dir", NET_DIR, "--id", "podcccc", "--netns", ns)
        assert reserved_ips(host), "an address is reserved"
        host.run([check, "netns-remove", ns])
        host.run(["mv", f"{NET_DIR}/10-crio-test.conflist", "/etc/cni/parked.conflist"])
        try:
                r = cni(host, check, "del", "--network", "crio-test", "--id", "podcccc", "--netns", ns)
                assert "ok" in r.stdout
        finally:
                host.run(["mv", "/etc/cni/parked.conflist", f"{NET_DIR}/10-crio-test.conflist"])
        # The veth died with the netns; the address and the cache entry are released by DEL.
        assert_clean(host, baseline)


def failing_config(host, plugin):
        conf = dict(CONFLIST, name=f"crio-{plugin}")
        conf["plugins"] = CONFLIST["plugins"][:1] + [{"type": plugin}] + CONFLIST["plugins"][1:]
        conf["plugins"][0] = dict(conf["plugins"][0], bridge=f"cni-{plugin}0")
        path = f"/etc/cni/{plugin}.conflist"
        host.write_file(path, json.dumps(conf))
        return path, f"{IPAM_DIR}/crio-{plugin}"


def test_failing_plugin_rolls_back(host, check):
        baseline = nsfs_mounts(host)
        path, ipam = failing_config(host, "failer")
        ns = new_netns(host, check)
        r = cni(host, check, "add", "--config", path, "--id", "poddddd", "--netns", ns, ok=False)
        assert r.returncode == 1
        assert "failer says no: on purpose (code 11)" in r.stdout, r.stdout
        # The bridge plugin ran first; its veth and address were taken back by the rollback.
        assert [link for link in in_netns(host, ns, ["ip", "-o", "link"]).stdout.splitlines()
                if "eth0" in link] == []
        assert host.run(f"ls {ipam} 2>/dev/null | grep -c '^10\\.' || true").stdout.strip() in ("", "0")
        host.run([check, "netns-remove", ns])
        assert_clean(host, baseline)


def test_hanging_plugin_times_out(host, check):
        baseline = nsfs_mounts(host)
        path, ipam = failing_config(host, "hanger")
        ns = new_netns(host, check)
        start = time.monotonic()
        r = cni(host, check, "add", "--config", path, "--id", "podeeee", "--netns", ns, "--timeout-ms", "1500",
                ok=False)
        elapsed = time.monotonic() - start
        assert r.returncode == 1
        assert "timed out" in r.stdout, r.stdout
        assert elapsed < 15, f"took {elapsed:.1f}s"
        pid = host.read_file("/run/cni-hanger.pid").strip()
        assert host.run(["test", "-e", f"/proc/{pid}"], check=False).returncode != 0, "hung plugin killed"
        assert host.run(f"ls {ipam} 2>/dev/null | grep -c '^10\\.' || true").stdout.strip() in ("", "0")
        host.run([check, "netns-remove", ns])
        assert_clean(host, baseline)


def test_watch_follows_config_directory(host, check):
        d = "/etc/cni/net.d-watch"
        script = (f"{check} watch {d} 10000 > /run/cni-watch.out 2>/run/cni-watch.err & pid=$!; "
                  f"sleep 0.5; cat > {d}/10-crio-test.conflist <<'EOF'\n{json.dumps(CONFLIST)}\nEOF\n"
                  "wait $pid; echo rc=$?")
        r = host.run(script, timeout=30)
        out = host.read_file("/run/cni-watch.out")
        assert "rc=0" in r.stdout, f"{r.stdout}\n{out}\n{host.read_file('/run/cni-watch.err')[-3000:]}"
        lines = out.splitlines()
        assert lines[0].startswith("initial ready=0 No CNI configuration file in"), out
        assert lines[-1].startswith("ready=1"), out
