"""The crio daemon under systemd: notify, journal, signals, reload, socket activation, watchdog."""

import json
import os
import stat
import subprocess
import time

import pytest

from cri_client import CriClient

pytestmark = pytest.mark.testhost


def show(host, prop, unit="crio.service"):
    return host.run(["systemctl", "show", "-p", prop, "--value", unit]).stdout.strip()


def wait_for(predicate, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_cli_version(build_dir):
    out = subprocess.run([os.path.join(build_dir, "src", "crio"), "version"], capture_output=True,
                         text=True, check=True).stdout
    fields = dict(line.split(":", 1) for line in out.splitlines() if ":" in line and not line.startswith(" "))
    assert fields["Version"].strip() == "1.36.0"
    assert len(fields["GitCommit"].strip()) in (40, len("unknown"))
    assert fields["BuildDate"].strip().endswith("Z")
    assert "nghttp2:" in out and "libsystemd:" in out and "protobuf-c:" in out


def test_cli_help_lists_everything(build_dir):
    out = subprocess.run([os.path.join(build_dir, "src", "crio"), "--help"], capture_output=True,
                         text=True, check=True).stdout
    for word in ("version", "config", "--listen", "--log-level", "--config", "--config-dir",
                 "--cgroup-manager", "--conmon", "--default-runtime", "--pause-image", "--cni-config-dir",
                 "--cni-plugin-dir", "--root", "--runroot"):
        assert word in out, word


def test_cli_bad_flag_fails(build_dir):
    p = subprocess.run([os.path.join(build_dir, "src", "crio"), "--log-level=loud"], capture_output=True, text=True)
    assert p.returncode != 0
    assert "loud" in p.stderr


def test_notify_ready_and_status(testhost):
    assert show(testhost, "ActiveState") == "active"
    assert show(testhost, "Type") == "notify"
    assert "Serving CRI" in show(testhost, "StatusText")


def test_journal_has_structured_fields(testhost):
    out = testhost.run(["journalctl", "-u", "crio.service", "-o", "json", "--no-pager"]).stdout
    entries = [json.loads(line) for line in out.splitlines() if line.strip()]
    ours = [e for e in entries if e.get("SYSLOG_IDENTIFIER") == "crio" and "CODE_FILE" in e]
    assert ours, "no native journal entries from crio"
    assert any("Serving CRI" in e["MESSAGE"] for e in ours)
    assert all("PRIORITY" in e for e in ours)


def test_reload_keeps_serving(testhost, crio_socket):
    pid = show(testhost, "MainPID")
    testhost.run(["systemctl", "reload", "crio.service"])
    wait_for(lambda: "SIGHUP" in testhost.run(["journalctl", "-u", "crio.service", "--no-pager"]).stdout,
             what="reload log line")
    assert show(testhost, "MainPID") == pid
    assert show(testhost, "ActiveState") == "active"
    with CriClient(crio_socket) as c:
        assert c.runtime.Version(c.pb.VersionRequest(), timeout=5).runtime_name == "cri-o"


def test_sigterm_stops_cleanly_and_removes_socket(testhost):
    """crio binding its own socket (no crio.socket unit, as with CRI-O): mode 0660, removed on SIGTERM."""
    unit = "/etc/systemd/system/crio.socket"
    try:
        testhost.run(["systemctl", "stop", "crio.service", "crio.socket"])
        testhost.run(["mv", unit, unit + ".aside"])
        testhost.run(["systemctl", "daemon-reload"])
        testhost.run(["systemctl", "start", "crio.service"])
        assert "Serving CRI on /var/run/crio/crio.sock" in testhost.run(
            ["journalctl", "-u", "crio.service", "--no-pager"]).stdout
        st = os.stat(testhost.path("/run/crio/crio.sock"))
        assert stat.S_IMODE(st.st_mode) == 0o660
        testhost.run(["systemctl", "stop", "crio.service"])
        assert show(testhost, "ActiveState") == "inactive"
        assert show(testhost, "Result") == "success"
        assert not os.path.exists(testhost.path("/run/crio/crio.sock"))
        assert "shutting down" in testhost.run(["journalctl", "-u", "crio.service", "--no-pager"]).stdout
    finally:
        testhost.run(["systemctl", "stop", "crio.service"], check=False)
        testhost.run(["mv", unit + ".aside", unit], check=False)
        testhost.run(["systemctl", "daemon-reload"])
        testhost.start_crio()


def test_stop_with_socket_unit_keeps_listening(testhost):
    """With crio.socket, systemd owns the socket: stopping crio leaves it listening for the next start."""
    try:
        testhost.run(["systemctl", "stop", "crio.service", "crio.socket"])
        testhost.run(["systemctl", "start", "crio.socket"])
        testhost.run(["systemctl", "start", "crio.service"])
        assert "socket passed by systemd" in testhost.run(
            ["journalctl", "-u", "crio.service", "-n", "5", "--no-pager"]).stdout
        testhost.run(["systemctl", "stop", "crio.service"])
        assert show(testhost, "ActiveState", "crio.socket") == "active"
        assert os.path.exists(testhost.path("/run/crio/crio.sock"))
    finally:
        testhost.run(["systemctl", "stop", "crio.service", "crio.socket"], check=False)
        testhost.start_crio()


def test_socket_activation(testhost):
    try:
        testhost.run(["systemctl", "stop", "crio.service"])
        testhost.run(["systemctl", "start", "crio.socket"])
        assert show(testhost, "ActiveState") == "inactive"
        with CriClient(testhost.path("/run/crio/crio.sock")) as c:
            assert c.runtime.Version(c.pb.VersionRequest(), timeout=10).runtime_version == "1.36.0"
        assert show(testhost, "ActiveState") == "active"
        assert "socket passed by systemd" in testhost.run(
            ["journalctl", "-u", "crio.service", "--no-pager"]).stdout
    finally:
        testhost.run(["systemctl", "stop", "crio.service", "crio.socket"], check=False)
        testhost.start_crio()


def test_watchdog_is_fed(testhost):
    dropin = "/run/systemd/system/crio.service.d/50-watchdog-test.conf"
    testhost.write_file(dropin, "[Service]\nWatchdogSec=1s\n")
    try:
        testhost.run(["systemctl", "daemon-reload"])
        testhost.run(["systemctl", "restart", "crio.service"])
        pid = show(testhost, "MainPID")
        time.sleep(3.5)
        assert show(testhost, "MainPID") == pid, "watchdog killed crio"
        assert show(testhost, "ActiveState") == "active"
    finally:
        testhost.run(["rm", "-f", dropin])
        testhost.run(["systemctl", "daemon-reload"])
        testhost.run(["systemctl", "restart", "crio.service"])


def test_unit_matches_cri_o_shape(repo_root):
    text = open(os.path.join(repo_root, "units", "crio.service.in")).read()
    for line in ("Type=notify", "ExecReload=/bin/kill -s HUP $MAINPID", "OOMScoreAdjust=-999",
                 "Restart=on-failure", "WatchdogSec="):
        assert line in text, line


def run_outside(build_dir, tmp_path, *args):
    """crio outside systemd: logs go to stderr. Returns (stderr text) after a SIGTERM stop."""
    sock = str(tmp_path / "crio.sock")
    # Everything crio keeps on disk goes below tmp_path: this crio runs on the build machine itself.
    state = [f"--{flag}={tmp_path}/{name}" for flag, name in (
        ("root", "root"), ("runroot", "runroot"), ("version-file", "version"),
        ("clean-shutdown-file", "clean.shutdown"), ("container-exits-dir", "exits"),
        ("namespaces-dir", "ns"))]
    p = subprocess.Popen([os.path.join(build_dir, "src", "crio"), "--listen", sock, *state, *args],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env={k: v for k, v in os.environ.items() if k not in ("JOURNAL_STREAM", "NOTIFY_SOCKET")})
    try:
        wait_for(lambda: os.path.exists(sock), what="crio socket")
        with CriClient(sock) as c:
            assert c.runtime.Version(c.pb.VersionRequest(), timeout=5).runtime_name == "cri-o"
    finally:
        p.terminate()
        _, err = p.communicate(timeout=15)
    assert p.returncode == 0
    assert not os.path.exists(sock), "socket left behind"
    return err


def test_stderr_logging_and_level(build_dir, tmp_path):
    err = run_outside(build_dir, tmp_path)
    assert 'level=info msg="Serving CRI on' in err
    err = run_outside(build_dir, tmp_path, "--log-level", "error")
    assert "level=info" not in err
