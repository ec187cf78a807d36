"""Containers under conmon (src/container/) with the real conmon, runc and crun, inside the test host.

tests/container-check.c drives one container per run and prints TAP; this file prepares its bundle
(a busybox-static rootfs and a config.json from "runc spec", edited here), runs it inside the host,
and checks from outside what conmon left: the CRI log file and the journal's CONTAINER_NAME= lines.
"""

import json
import os
import re
import secrets
import shutil

import pytest

pytestmark = pytest.mark.testhost

BUSYBOX = "/bin/busybox"
APPLETS = ("sh", "echo", "sleep", "cat", "ps", "grep", "kill", "true")
RUNTIMES = {"runc": ("/usr/sbin/runc", "/usr/bin/runc"), "crun": ("/usr/bin/crun",)}

MAIN_SCRIPT = ('trap "echo after-reopen" USR1; trap "exit 7" TERM; echo hello; echo oops >&2; '
               'while :; do sleep 0.1; done')
STUBBORN_SCRIPT = 'trap "" TERM; echo hello; echo oops >&2; while :; do sleep 0.1; done'


def runtime_path(name):
        for p in RUNTIMES[name]:
                if os.access(p, os.X_OK):
                        return p
        return None


@pytest.fixture(scope="module")
def check_binary(build_dir):
        path = os.path.join(build_dir, "tests", "container-check")
        if not os.access(path, os.X_OK):
                pytest.fail(f"container-check is not built: {path} missing", pytrace=False)
        return path


@pytest.fixture(scope="module")
def host(bare_host):
        for tool in ("/usr/bin/conmon", BUSYBOX):
                if not os.access(tool, os.X_OK):
                        pytest.skip(f"{tool} is not installed")
        return bare_host


def make_bundle(host, workdir, script, systemd_id):
        """A bundle under workdir inside the host: busybox rootfs, config.json running script."""
        bundle = f"{workdir}/bundle"
        host.run(["mkdir", "-p", f"{bundle}/rootfs/bin", f"{bundle}/rootfs/proc", f"{bundle}/rootfs/dev",
                  f"{bundle}/rootfs/sys", f"{bundle}/rootfs/tmp"])
        host.run(["cp", BUSYBOX, f"{bundle}/rootfs/bin/busybox"])
        for applet in APPLETS:
                host.run(["ln", "-s", "busybox", f"{bundle}/rootfs/bin/{applet}"])
        host.run(["runc", "spec", "--bundle", bundle])
        config_path = host.path(f"{bundle}/config.json")
        with open(config_path) as f:
                spec = json.load(f)
        spec["process"]["terminal"] = False
        spec["process"]["args"] = ["sh", "-c", script]
        spec["process"]["env"] = ["PATH=/bin", "TERM=xterm"]
        spec["root"]["readonly"] = False
        spec["hostname"] = "check"
        # The runtime's systemd cgroup driver makes crio-<id>.scope in system.slice, as for CRI-O.
        spec["linux"]["cgroupsPath"] = f"system.slice:crio:{systemd_id}"
        # No network namespace of its own: nothing to configure, and loopback is not needed.
        spec["linux"]["namespaces"] = [n for n in spec["linux"]["namespaces"] if n["type"] != "network"]
        with open(config_path, "w") as f:
                json.dump(spec, f, indent=2)
        return bundle


def run_check(host, check_binary, runtime, mode, script):
        path = runtime_path(runtime)
        if not path:
                pytest.skip(f"{runtime} is not installed")
        cid = secrets.token_hex(32)
        name = f"check-{runtime}-{mode}-{cid[:6]}"
        workdir = f"/var/tmp/container-check-{cid[:12]}"
        bundle = make_bundle(host, workdir, script, cid)
        try:
                r = host.run([check_binary, mode, path, bundle, cid, workdir, name, "--systemd-cgroup"],
                             check=False, timeout=240)
                lines = r.stdout.splitlines()
                failed = [line for line in lines if line.startswith("not ok")]
                plan = [line for line in lines if re.fullmatch(r"1\.\.\d+", line)]
                assert not failed, r.stdout + r.stderr[-8000:]
                assert plan and int(plan[0][3:]) > 25, r.stdout + r.stderr[-8000:]
                assert r.returncode == 0, r.stdout + r.stderr[-8000:]
                log_dir = host.path(f"{workdir}/logs")
                logs = {p: open(os.path.join(log_dir, p)).read() for p in os.listdir(log_dir)}
                journal = host.run(["journalctl", "--no-pager", "-q", "-o", "json", f"CONTAINER_NAME={name}"],
                                   check=False).stdout
                scope = host.run(["systemctl", "show", f"crio-{cid}.scope", "-p", "ActiveState"],
                                 check=False).stdout.strip()
                conmon_scope = host.run(["systemctl", "show", f"crio-conmon-{cid}.scope", "-p", "ActiveState"],
                                        check=False).stdout.strip()
                leftovers = host.run(["sh", "-c", f"ps -eo args | grep -F {cid} | grep -v grep || true"]).stdout
                return {"name": name, "id": cid, "logs": logs, "journal": journal, "scope": scope,
                        "conmon_scope": conmon_scope, "leftovers": leftovers, "tap": r.stdout}
        finally:
                host.run(["rm", "-rf", workdir], check=False)
                host.run(["systemctl", "stop", f"crio-conmon-{cid}.scope", f"crio-{cid}.scope"], check=False)
                host.run(["systemctl", "reset-failed", f"crio-conmon-{cid}.scope", f"crio-{cid}.scope"],
                         check=False)


def journal_entries(text):
        return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


@pytest.mark.parametrize("runtime", sorted(RUNTIMES))
def test_lifecycle(host, check_binary, runtime):
        out = run_check(host, check_binary, runtime, "main", MAIN_SCRIPT)
        logs = out["logs"]
        rotated = [text for name, text in logs.items() if name.endswith(".log.1")]
        current = [text for name, text in logs.items() if name.endswith(".log")]
        assert rotated and current, logs
        # The CRI format, exactly: RFC 3339 time with nanoseconds and offset, stream, tag, text.
        record = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}([+-]\d\d:\d\d|Z) (stdout|stderr) [FP] ")
        for text in rotated + current:
                for line in text.splitlines():
                        assert record.match(line), line
        assert re.search(r" stdout F hello$", rotated[0], re.M), rotated[0]
        assert re.search(r" stderr F oops$", rotated[0], re.M), rotated[0]
        assert re.search(r" stdout F after-reopen$", current[0], re.M), current[0]
        assert "hello" not in current[0]

        entries = journal_entries(out["journal"])
        # conmon keeps the newline of each line in MESSAGE.
        messages = [(e.get("MESSAGE") or "").rstrip("\n") for e in entries]
        assert "hello" in messages and "oops" in messages, out["journal"]
        hello = entries[messages.index("hello")]
        assert hello["CONTAINER_ID_FULL"] == out["id"]
        assert hello["CONTAINER_ID"] == out["id"][:12]
        assert hello["CONTAINER_NAME"] == out["name"]
        assert hello["CONTAINER_TAG"] == out["name"]
        assert hello["SYSLOG_IDENTIFIER"] == out["name"]
        assert entries[messages.index("oops")]["PRIORITY"] == "3"

        # Everything went with the container: processes and the runtime's scope.
        assert out["leftovers"].strip() == "", out["leftovers"]
        assert out["scope"] == "ActiveState=inactive", out["scope"]


@pytest.mark.parametrize("runtime", sorted(RUNTIMES))
def test_stop_kills_after_timeout(host, check_binary, runtime):
        out = run_check(host, check_binary, runtime, "stubborn", STUBBORN_SCRIPT)
        assert out["leftovers"].strip() == "", out["leftovers"]
        assert out["scope"] == "ActiveState=inactive", out["scope"]
