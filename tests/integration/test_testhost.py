"""Tests of the test host machinery itself (tests/integration/testhost.py); crio is not needed."""

import json
import os
import pathlib
import re
import stat
import subprocess
import time

import pytest

from testhost import TestHost, TestHostError, rewrite_exec_paths

pytestmark = pytest.mark.testhost


def test_pid1_is_systemd_and_running(bare_host):
        assert bare_host.run(["cat", "/proc/1/comm"]).stdout.strip() == "systemd"
        assert os.readlink(f"/proc/{bare_host.pid}/exe").endswith("/systemd")
        state = bare_host.run(["systemctl", "is-system-running"], check=False).stdout.strip()
        assert state in ("running", "degraded"), bare_host.run(["systemctl", "--failed"]).stdout
        # Nothing of the machine's own enabled units came up, only what the boot target wants.
        active = bare_host.run(["systemctl", "list-units", "--plain", "--no-legend", "--type=service",
                                "--state=active"]).stdout
        services = sorted(line.split()[0] for line in active.splitlines() if line.strip())
        assert services == ["dbus.service", "systemd-journald.service"]


def test_boot_is_fast(bare_host):
        assert bare_host.boot_seconds < 5


def test_writes_do_not_reach_real_root(bare_host):
        marker = "/etc/crio-testhost-marker"
        assert not os.path.exists(marker)
        bare_host.run(["sh", "-c", f"echo inside > {marker}"])
        assert bare_host.run(["cat", marker]).stdout == "inside\n"
        assert os.path.exists(bare_host.path(marker))
        assert not os.path.exists(marker)


def test_write_file_and_path_resolve_inside(bare_host):
        outside = bare_host.write_file("/var/run/testhost-probe/file", "hello\n", mode=0o600)
        # /var/run -> /run is an absolute symlink: it must resolve against the host's root.
        assert outside == f"/proc/{bare_host.pid}/root/run/testhost-probe/file"
        assert stat.S_IMODE(os.stat(outside).st_mode) == 0o600
        assert bare_host.run(["cat", "/run/testhost-probe/file"]).stdout == "hello\n"
        assert not os.path.exists("/run/testhost-probe")


def test_run_check_and_input(bare_host):
        assert bare_host.run(["cat"], input="piped").stdout == "piped"
        r = bare_host.run(["sh", "-c", "echo out; echo err >&2; exit 3"], check=False)
        assert (r.returncode, r.stdout, r.stderr) == (3, "out\n", "err\n")
        with pytest.raises(TestHostError, match="status 3"):
                bare_host.run("exit 3")
        with pytest.raises(subprocess.TimeoutExpired):
                bare_host.run(["sleep", "5"], timeout=0.5)


def test_scope_memory_max_is_enforced(bare_host):
        out = bare_host.run(["systemd-run", "--scope", "--unit=testhost-mem", "-p", "MemoryMax=48M",
                             "cat", "/proc/self/cgroup"]).stdout
        lines = dict(line.split(":", 2)[1:] for line in out.splitlines())
        cgroup = lines["memory"] if lines.get("memory") not in (None, "/") else lines[""]
        assert cgroup.endswith("/testhost-mem.scope")
        # Read the limit of a scope that is still alive, from its own cgroup.
        script = ("c=$(sed -n 's/^[0-9]*:memory://p' /proc/self/cgroup); "
                  "f=/sys/fs/cgroup/memory$c/memory.limit_in_bytes; "
                  "[ -e \"$f\" ] || f=/sys/fs/cgroup/unified$(sed -n 's/^0:://p' /proc/self/cgroup)/memory.max; "
                  "cat $f")
        limit = bare_host.run(["systemd-run", "--scope", "--unit=testhost-mem2", "-p", "MemoryMax=48M",
                               "sh", "-c", script]).stdout.strip()
        assert int(limit) == 48 * 1024 * 1024
        # And the kernel enforces it: a service that needs 200M in memory gets OOM-killed.
        r = bare_host.run(["systemd-run", "--wait", "--pipe", "-p", "MemoryMax=32M", "-p", "MemorySwapMax=0",
                           "python3", "-c", "x = bytearray(200 << 20); x[::4096] = b'y' * len(x[::4096])"],
                          check=False)
        assert r.returncode != 0


def test_busctl_sees_systemd(bare_host):
        out = bare_host.run(["busctl", "list", "--no-pager", "--no-legend"]).stdout
        assert re.search(r"^org\.freedesktop\.systemd1\s+1\s+systemd", out, re.M), out


def test_journald_receives_messages(bare_host):
        tag = f"testhost-probe-{os.getpid()}"
        bare_host.run(["logger", "-t", tag, "hello from logger"])
        bare_host.run(["sh", "-c", f"echo hello from systemd-cat | systemd-cat -t {tag}"])
        deadline = time.monotonic() + 5
        while True:
                out = bare_host.run(["journalctl", "--no-pager", "-o", "cat", "-t", tag]).stdout
                if "hello from logger" in out and "hello from systemd-cat" in out:
                        break
                assert time.monotonic() < deadline, out
                time.sleep(0.05)
        assert "hello from logger" in bare_host.journal(args=["-t", tag])


def test_runc_works(bare_host):
        out = bare_host.run(["runc", "--version"]).stdout
        assert out.startswith("runc version")
        assert bare_host.run(["runc", "--systemd-cgroup", "list"]).returncode == 0


def test_runc_systemd_cgroup_container(bare_host):
        """runc with the systemd cgroup driver gets a scope with the memory limit applied."""
        bare_host.run("rm -rf /run/rb && mkdir -p /run/rb/rootfs/usr && cd /run/rb && runc spec && "
                      "for d in bin sbin lib lib64; do ln -s usr/$d rootfs/$d; done")
        cfg = json.loads(bare_host.read_file("/run/rb/config.json"))
        cfg["root"] = {"path": "rootfs", "readonly": True}
        cfg["process"]["terminal"] = False
        cfg["process"]["args"] = ["sh", "-c", "cat /proc/self/cgroup /sys/fs/cgroup/memory/memory.limit_in_bytes"]
        cfg["mounts"].append({"destination": "/usr", "type": "bind", "source": "/usr", "options": ["rbind", "ro"]})
        cfg["linux"]["cgroupsPath"] = "system.slice:testhost:probe"
        cfg["linux"]["resources"]["memory"] = {"limit": 40 << 20}
        bare_host.write_file("/run/rb/config.json", json.dumps(cfg))
        out = bare_host.run("cd /run/rb && runc --systemd-cgroup run testhost-probe").stdout
        assert ":memory:/system.slice/testhost-probe.scope\n" in out
        assert out.splitlines()[-1] == str(40 << 20)


def test_network_is_only_lo_and_up(bare_host):
        out = bare_host.run(["ip", "-o", "link", "show"]).stdout
        links = [line.split(":")[1].strip() for line in out.splitlines()]
        assert links == ["lo"], out
        assert "UP" in out.split("<", 1)[1].split(">", 1)[0].split(",")
        assert bare_host.run(["ping", "-c1", "-W1", "127.0.0.1"], check=False).returncode in (0, 127)


def test_hostname_is_private(bare_host):
        assert bare_host.run(["hostname"]).stdout.strip() == "crio-testhost"
        assert os.uname().nodename != "crio-testhost"


def test_rewrite_exec_paths():
        unit = "[Service]\nExecStart=/usr/bin/crio --log-level debug\nExecReload=-/bin/kill -HUP $MAINPID\n"
        assert rewrite_exec_paths(unit) == ("[Service]\nExecStart=/usr/local/bin/crio --log-level debug\n"
                                            "ExecReload=-/bin/kill -HUP $MAINPID\n")


FAKE_CRIO = """#!/usr/bin/python3
import os, socket, time
if os.environ.get("LISTEN_FDS") != "1":
        os.makedirs("/run/crio", exist_ok=True)
        s = socket.socket(socket.AF_UNIX)
        s.bind("/run/crio/crio.sock")
        s.listen()
if os.environ.get("NOTIFY_SOCKET"):
        n = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        n.sendto(b"READY=1", os.environ["NOTIFY_SOCKET"].replace("@", "\\0", 1))
time.sleep(3600)
"""


def _fake_tree(tmp_path, service):
        build, src = tmp_path / "build", tmp_path / "src"
        (build / "src").mkdir(parents=True)
        (build / "src" / "crio").write_text(FAKE_CRIO)
        (build / "src" / "crio").chmod(0o755)
        (src / "units").mkdir(parents=True)
        (src / "units" / "crio.service").write_text(service)
        return str(build), str(src)


def test_install_and_start_fake_crio(fresh_host, tmp_path):
        build, src = _fake_tree(tmp_path, "[Unit]\nDescription=fake crio\n\n[Service]\n"
                                          "ExecStart=/usr/bin/crio\nOOMScoreAdjust=-999\n")
        fresh_host.install_crio(build, src)
        unit = fresh_host.read_file("/etc/systemd/system/crio.service")
        assert "ExecStart=/usr/local/bin/crio\n" in unit
        assert fresh_host.run(["systemctl", "show", "-P", "OOMScoreAdjust", "crio.service"]).stdout.strip() == "0"
        fresh_host.start_crio(timeout=10)
        sock = fresh_host.crio_socket()
        assert sock == f"/proc/{fresh_host.pid}/root/run/crio/crio.sock"
        assert stat.S_ISSOCK(os.stat(sock).st_mode)
        assert fresh_host.run(["systemctl", "is-active", "crio.service"]).stdout.strip() == "active"
        assert not os.path.exists("/usr/local/bin/crio") or \
                os.stat("/usr/local/bin/crio").st_ino != os.stat(fresh_host.path("/usr/local/bin/crio")).st_ino
        fresh_host.stop_crio()
        assert fresh_host.run(["systemctl", "is-active", "crio.service"], check=False).stdout.strip() == "inactive"


def test_repo_units_with_fake_crio(fresh_host, tmp_path, repo_root):
        """The tree's own units (Type=notify, socket, OOMScoreAdjust=-999) start in the host."""
        units = os.path.join(repo_root, "units")
        template = os.path.join(units, "crio.service.in")
        if not os.path.exists(template):
                pytest.skip("units/crio.service.in not in the tree")
        build, src = _fake_tree(tmp_path, pathlib.Path(template).read_text())
        if os.path.exists(os.path.join(units, "crio.socket")):
                (tmp_path / "src" / "units" / "crio.socket").write_text(pathlib.Path(units, "crio.socket").read_text())
        os.rename(os.path.join(src, "units", "crio.service"), os.path.join(src, "units", "crio.service.in"))
        fresh_host.install_crio(build, src)
        assert "ExecStart=/usr/local/bin/crio " in fresh_host.read_file("/etc/systemd/system/crio.service")
        fresh_host.start_crio(timeout=10)
        assert fresh_host.run(["systemctl", "is-active", "crio.service"]).stdout.strip() == "active"
        assert fresh_host.run(["systemctl", "is-active", "crio.socket"], check=False).stdout.strip() == "inactive"
        assert stat.S_ISSOCK(os.stat(fresh_host.crio_socket()).st_mode)
        fresh_host.stop_crio()
        # The fake daemon leaves its socket file behind; the socket unit must make its own.
        fresh_host.run(["rm", "-f", "/run/crio/crio.sock"])
        fresh_host.start_crio(timeout=10, socket=True)
        assert fresh_host.run(["systemctl", "is-active", "crio.socket", "crio.service"]).stdout.split() == \
                ["active", "active"]
        fresh_host.stop_crio()
        assert fresh_host.run(["systemctl", "is-active", "crio.socket"], check=False).stdout.strip() == "inactive"


def test_start_crio_failure_reports_journal(fresh_host, tmp_path):
        # Restart=on-failure keeps the unit "activating": the wait must still end early.
        build, src = _fake_tree(tmp_path, "[Service]\nExecStart=/usr/bin/crio\nRestart=on-failure\n"
                                          "RestartSec=10\n")
        with open(os.path.join(build, "src", "crio"), "w") as f:
                f.write("#!/bin/sh\necho fake-crio-is-broken >&2\nexit 1\n")
        fresh_host.install_crio(build, src)
        start = time.monotonic()
        with pytest.raises(TestHostError, match="fake-crio-is-broken"):
                fresh_host.start_crio(timeout=20)
        assert time.monotonic() - start < 5


def test_install_crio_needs_binary(fresh_host, tmp_path):
        with pytest.raises(TestHostError, match="crio binary not found"):
                fresh_host.install_crio(str(tmp_path), str(tmp_path))


def _cgroup_dirs(token):
        found = []
        for root, dirs, _ in os.walk("/sys/fs/cgroup"):
                if token in dirs:
                        found.append(os.path.join(root, token))
                dirs[:] = [d for d in dirs if not d.startswith(("system.slice", "init.scope"))]
                if root.count("/") > 6:
                        dirs[:] = []
        return found


def test_teardown_leaves_nothing():
        mounts_before = pathlib.Path("/proc/self/mountinfo").read_text().splitlines()
        links_before = sorted(os.listdir("/sys/class/net"))
        host = TestHost()
        with host:
                pid = host.pid
                pidns = os.readlink(f"/proc/{pid}/ns/pid")
                token = host.token
                assert _cgroup_dirs(token)
                # Something running at poweroff time, in a scope and a service.
                host.run(["systemd-run", "--unit=testhost-sleeper", "sleep", "1000"])
                host.run(["systemd-run", "--scope", "--unit=testhost-bg", "sh", "-c", "sleep 1000 >/dev/null 2>&1 &"])
        assert host.pid is None
        assert not os.path.exists(f"/proc/{pid}") or os.readlink(f"/proc/{pid}/ns/pid") != pidns
        for p in os.listdir("/proc"):
                if p.isdigit():
                        try:
                                ns = os.readlink(f"/proc/{p}/ns/pid")
                        except OSError:
                                continue
                        assert ns != pidns, f"process {p} survived"
        assert pathlib.Path("/proc/self/mountinfo").read_text().splitlines() == mounts_before
        assert sorted(os.listdir("/sys/class/net")) == links_before
        assert _cgroup_dirs(token) == []


def test_dbus_broker_host():
        """Fedora's and RHEL's bus: dbus-broker as dbus.service, on the same dbus.socket and policy."""
        installed = os.path.exists("/usr/bin/dbus-broker")
        with TestHost(bus="dbus-broker") as host:
                assert host.bus == "dbus-broker"
                assert host.run(["pidof", "dbus-broker"]).stdout.strip()
                assert host.run(["pidof", "dbus-daemon"], check=False).returncode != 0
                owner = host.run(["busctl", "--json=short", "call", "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                  "org.freedesktop.DBus", "GetNameOwner", "s", "org.freedesktop.systemd1"]).stdout
                assert json.loads(owner)["data"][0].startswith(":")
                # dbus.service is the broker's launcher, which systemd started and supervises.
                main = host.run(["systemctl", "show", "-p", "MainPID", "--value", "dbus.service"]).stdout.strip()
                assert host.run(["cat", f"/proc/{main}/comm"]).stdout.strip() == "dbus-broker-lau"
        # The package was unpacked for the host, not installed on the machine.
        assert os.path.exists("/usr/bin/dbus-broker") == installed


def test_unknown_bus_is_refused():
        with pytest.raises(TestHostError, match="unknown bus 'kdbus'"):
                TestHost(bus="kdbus")


def test_boot_failure_is_reported():
        host = TestHost(boot_timeout=1)
        host._wait_running = lambda start: (_ for _ in ()).throw(TestHostError("forced failure"))
        with pytest.raises(TestHostError) as e:
                host.boot()
        assert "forced failure" in str(e.value)
        assert "--- console ---" in str(e.value) and "systemd" in str(e.value)
        assert host.pid is None


def test_cli_run(repo_root, tmp_path):
        script = os.path.join(repo_root, "tests", "integration", "testhost.py")
        r = subprocess.run(["/usr/bin/python3", script, "run", "--no-crio", "--", "sh", "-c",
                            "cat /proc/1/comm; exit 7"], capture_output=True, text=True, timeout=60)
        assert r.returncode == 7, r.stderr
        assert r.stdout == "systemd\n"
