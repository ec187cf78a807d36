"""pytest fixtures for crio's integration tests: throw-away systemd hosts with crio in them.

Fixtures:
  repo_root    the source tree (absolute path)
  build_dir    $CRIO_BUILD_DIR, or <repo_root>/build
  shared_dir   <repo_root>/../shared
  testhost     session-wide TestHost with crio installed and started (fails if the build lacks crio)
  crio_socket  outside path of that host's CRI socket: /proc/<pid>/root/run/crio/crio.sock
  fresh_host   a TestHost of the test's own, booted, without crio (call install_crio/start_crio)
  bare_host    session-wide TestHost without crio, for tests of the machinery around it

Tests using any host fixture are marked `testhost` automatically; they are skipped when not root.
"""

import os

import pytest

from testhost import TestHost

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HOST_FIXTURES = {"testhost", "crio_socket", "fresh_host", "bare_host"}


def pytest_configure(config):
        config.addinivalue_line("markers",
                                "testhost: needs root and a throw-away systemd host (tests/integration/testhost.py)")


def pytest_collection_modifyitems(config, items):
        for item in items:
                if HOST_FIXTURES & set(getattr(item, "fixturenames", ())):
                        item.add_marker(pytest.mark.testhost)
                if item.get_closest_marker("testhost") and os.geteuid() != 0:
                        item.add_marker(pytest.mark.skip(reason="test host needs root"))


@pytest.fixture(scope="session")
def repo_root():
        return REPO_ROOT


@pytest.fixture(scope="session")
def build_dir(repo_root):
        return os.path.abspath(os.environ.get("CRIO_BUILD_DIR") or os.path.join(repo_root, "build"))


@pytest.fixture(scope="session")
def shared_dir(repo_root):
        return os.path.join(os.path.dirname(repo_root), "shared")


@pytest.fixture(scope="session")
def testhost(build_dir, repo_root):
        binary = os.path.join(build_dir, "src", "crio")
        if not os.access(binary, os.X_OK):
                pytest.fail(f"crio is not built: {binary} missing (set CRIO_BUILD_DIR or build it)",
                            pytrace=False)
        host = TestHost()
        host.boot()
        try:
                host.install_crio(build_dir, repo_root)
                host.start_crio()
        except BaseException:
                host.teardown(verify=False)
                raise
        yield host
        host.teardown()


@pytest.fixture(scope="session")
def crio_socket(testhost):
        return testhost.crio_socket()


@pytest.fixture
def fresh_host():
        with TestHost() as host:
                yield host


@pytest.fixture(scope="session")
def bare_host():
        with TestHost() as host:
                yield host
