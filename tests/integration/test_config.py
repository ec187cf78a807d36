"""Configuration in the real daemon: live reload, a broken drop-in at reload, gRPC limits from a
drop-in, and a configuration that stops start-up. Each test puts the host's crio back into its
default state (no crio.conf, no drop-ins, running) when it ends."""

import time

import grpc
import pytest

from cri_client import CriClient
from testhost import CRIO_BINARY

DROPIN_DIR = "/etc/crio/crio.conf.d"
MiB = 1024 * 1024


def wait_for_journal(host, needle, since_text="", timeout=15):
        """Poll the crio journal until needle shows up after the text seen at since_text."""
        deadline = time.monotonic() + timeout
        while True:
                text = host.journal("crio.service")
                new = text[len(since_text):] if text.startswith(since_text) else text
                if needle in new:
                        return new
                if time.monotonic() > deadline:
                        raise AssertionError(f"{needle!r} not in the journal of crio.service:\n{new[-4000:]}")
                time.sleep(0.1)


def reload_crio(host):
        host.run(["systemctl", "reload", "crio.service"])


def version_ok(socket_path):
        with CriClient(socket_path) as cri:
                return cri.runtime.Version(cri.pb.VersionRequest(), timeout=10).runtime_name


@pytest.fixture
def host(testhost):
        """The session host, restored to the default configuration and a running crio afterwards."""
        yield testhost
        testhost.run(["sh", "-c", f"rm -f {DROPIN_DIR}/*.conf /etc/crio/crio.conf"], check=False)
        testhost.run(["systemctl", "stop", "crio.service"], check=False)
        testhost.run(["systemctl", "reset-failed", "crio.service"], check=False)
        testhost.start_crio()


def test_crio_config_shows_dropin(host):
        host.write_file(f"{DROPIN_DIR}/50-test.conf", '[crio.image]\npause_image = "example.com/pause:7"\n')
        out = host.run([CRIO_BINARY, "config"]).stdout
        assert '\npause_image = "example.com/pause:7"' in out
        assert "# default_runtime = \"runc\"" in out


def test_reload_log_level(host, crio_socket):
        before = host.journal("crio.service")
        host.write_file(f"{DROPIN_DIR}/50-test.conf", '[crio.runtime]\nlog_level = "debug"\n')
        reload_crio(host)
        wait_for_journal(host, 'Set config crio.runtime.log_level to "debug"', before)
        # In force: the next reload now shows debug lines, which info level hid before.
        before = host.journal("crio.service")
        reload_crio(host)
        wait_for_journal(host, "Loading configuration from", before)
        assert version_ok(crio_socket)


def test_reload_broken_dropin_keeps_old_config(host, crio_socket):
        host.write_file(f"{DROPIN_DIR}/50-test.conf", '[crio.image]\npause_image = "example.com/pause:1"\n')
        before = host.journal("crio.service")
        reload_crio(host)
        wait_for_journal(host, 'Set config crio.image.pause_image to "example.com/pause:1"', before)

        host.write_file(f"{DROPIN_DIR}/60-broken.conf", '[crio.image]\npause_image = "example.com/pause:2"\n'
                        "[crio.runtime]\nlog_level = 3\n")
        before = host.journal("crio.service")
        reload_crio(host)
        new = wait_for_journal(host, "keeping the configuration in force", before)
        assert "60-broken.conf:4:1: crio.runtime.log_level: expected a string" in new
        assert "example.com/pause:2" not in new
        assert host.run(["systemctl", "is-active", "crio.service"], check=False).stdout.strip() == "active"
        assert version_ok(crio_socket)
        # GET /config on the socket shows the configuration still in force.
        conf = host.run(["curl", "-s", "--unix-socket", "/var/run/crio/crio.sock", "http://localhost/config"],
                        check=False).stdout
        if conf:
                assert 'pause_image = "example.com/pause:1"' in conf


def test_grpc_max_recv_from_dropin_after_restart(host, crio_socket):
        host.write_file(f"{DROPIN_DIR}/50-test.conf", "[crio.api]\ngrpc_max_recv_msg_size = 1048576\n")
        host.stop_crio()
        host.start_crio()
        with CriClient(crio_socket, max_message=16 * MiB) as cri:
                with pytest.raises(grpc.RpcError) as e:
                        cri.runtime.Version(cri.pb.VersionRequest(version="x" * (2 * MiB)), timeout=30)
                assert e.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
                assert cri.runtime.Version(cri.pb.VersionRequest(version="y" * (512 * 1024)), timeout=30).version


def test_bad_config_fails_start(host):
        host.stop_crio()
        host.write_file(f"{DROPIN_DIR}/50-test.conf", '[crio.runtime]\ncgroup_manager = "cgroupv3"\n')
        r = host.run(["systemctl", "start", "crio.service"], check=False, timeout=60)
        assert r.returncode != 0
        state = host.run(["systemctl", "show", "--value", "-p", "ActiveState", "crio.service"], check=False).stdout
        assert state.strip() != "active"
        journal = wait_for_journal(host, "50-test.conf:2:1: crio.runtime.cgroup_manager")
        assert "must be \"systemd\" or \"cgroupfs\"" in journal


def test_missing_runtime_fails_start(host):
        host.stop_crio()
        host.write_file(f"{DROPIN_DIR}/50-test.conf",
                        '[crio.runtime.runtimes.runc]\nruntime_path = "/nonexistent/runc"\n')
        r = host.run(["systemctl", "start", "crio.service"], check=False, timeout=60)
        assert r.returncode != 0
        wait_for_journal(host, "runtime_path /nonexistent/runc is not usable")
