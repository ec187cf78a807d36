"""SystemdClient (src/systemd/) against a real systemd: tests/systemd-client-check.c runs inside a test
host and prints TAP; systemctl inside the same host confirms what it did."""

import os
import re
import time

import pytest

from testhost import TestHost

pytestmark = pytest.mark.testhost

MiB = 1024 * 1024


@pytest.fixture(scope="module")
def check_binary(build_dir):
        path = os.path.join(build_dir, "tests", "systemd-client-check")
        if not os.access(path, os.X_OK):
                pytest.fail(f"systemd-client-check is not built: {path} missing", pytrace=False)
        return path


@pytest.fixture(scope="module")
def host():
        with TestHost() as h:
                yield h


def show(host, unit, *props):
        out = host.run(["systemctl", "show", unit, "-p", ",".join(props)]).stdout
        return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def test_every_operation_tap(host, check_binary):
        r = host.run([check_binary], check=False, timeout=120)
        lines = r.stdout.splitlines()
        failed = [line for line in lines if line.startswith("not ok")]
        plan = [line for line in lines if re.fullmatch(r"1\.\.\d+", line)]
        assert not failed, r.stdout + r.stderr
        assert plan and int(plan[0][3:]) > 60, r.stdout + r.stderr
        assert r.returncode == 0, r.stdout + r.stderr
        # The retry without the unknown property was logged as a warning.
        assert "CrioMadeUpProperty" in r.stderr and "retrying without it" in r.stderr, r.stderr
        # Everything it made is gone: the slice was stopped by "systemctl stop" and took its scopes along.
        for unit in ("crio-checkpod.slice", "crio-checkctr.scope", "crio-checkctr2.scope", "crio-checkctr3.scope"):
                assert show(host, unit, "ActiveState")["ActiveState"] == "inactive", unit


def test_slice_and_scope_visible_to_systemctl(host, check_binary):
        slice_, scope = "crio-podvisible.slice", "crio-ctrvisible.scope"
        pid = int(host.run([check_binary, "create", slice_, scope]).stdout.strip())

        s = show(host, slice_, "ActiveState", "MemoryMax", "TasksMax", "CPUQuotaPerSecUSec", "Description",
                 "ControlGroup")
        assert s["ActiveState"] == "active"
        assert int(s["MemoryMax"]) == 256 * MiB
        assert s["TasksMax"] == "64"
        assert s["CPUQuotaPerSecUSec"] == "500ms"
        assert s["Description"] == "crio check pod"
        assert s["ControlGroup"] == "/crio.slice/crio-podvisible.slice"

        c = show(host, scope, "ActiveState", "SubState", "MemoryMax", "Delegate", "Slice", "ControlGroup",
                 "CollectMode", "Description")
        assert c["ActiveState"] == "active" and c["SubState"] == "running"
        assert int(c["MemoryMax"]) == 128 * MiB
        assert c["Delegate"] == "yes"
        assert c["Slice"] == slice_
        assert c["CollectMode"] == "inactive-or-failed"
        assert c["ControlGroup"] == f"/crio.slice/{slice_}/{scope}"

        status = host.run(["systemctl", "status", "--no-pager", slice_], check=False).stdout
        assert scope in status and str(pid) in status and "sleep 1000" in status, status
        assert host.run(["cat", f"/proc/{pid}/cgroup"]).stdout.count(scope) >= 1

        # Stop through the client: the scope goes with the slice, and both are forgotten.
        assert host.run([check_binary, "stop", slice_]).stdout.strip() == "done"
        for unit in (slice_, scope):
                assert show(host, unit, "ActiveState")["ActiveState"] == "inactive", unit
        # Transient units are garbage-collected soon after, unit file and all. A slice name always
        # loads (systemd makes implicit slices), so for it "gone" means no longer transient.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
                states = (show(host, slice_, "Transient")["Transient"], show(host, scope, "LoadState")["LoadState"])
                if states == ("no", "not-found"):
                        break
                time.sleep(0.2)
        assert states == ("no", "not-found"), states
        listed = host.run(["systemctl", "list-units", "--all", "--plain", "--no-legend", "crio-*"]).stdout
        assert slice_ not in listed and scope not in listed, listed
        assert not os.path.exists(host.path(f"/run/systemd/transient/{slice_}"))
        assert host.run(["test", "-e", f"/proc/{pid}"], check=False).returncode != 0 or \
                "zombie" in host.run(["cat", f"/proc/{pid}/status"], check=False).stdout.lower()


def test_stop_of_unknown_unit_fails_cleanly(host, check_binary):
        r = host.run([check_binary, "stop", "crio-neverexisted.scope"], check=False)
        assert r.returncode == 1
        assert "No such file or directory" in r.stderr
