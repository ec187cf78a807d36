"""RunPodSandbox and CreateContainer that outlive kubelet's deadline, against crio in the test host.

kubelet gives up on a call after its deadline and sends the same request again. crio keeps the work
going, puts the result aside (hidden from lists) when nobody waits for it any more, and hands it to
the retry, as CRI-O's resource store does; a result nobody claims goes after a while, and a failed
first attempt leaves nothing. Slowness comes from a CNI plugin that sleeps before answering ADD (for
pods) and from a runtime_path wrapper that sleeps before "runc create" (for containers, under a
runtime handler of its own). The while an unclaimed result is kept is shortened to a few seconds by
CRIO_TEST_UNCLAIMED_TIMEOUT_SEC in a crio.service drop-in (a test-only variable).

Uses test_containers.py's `host` fixture (registry, busybox image) for the containers.
"""

import contextlib
import json
import re
import shutil
import textwrap
import time

import grpc
import pytest

from cri_client import CriClient
from test_containers import IMAGE, ctr_config, host, restart_crio, start  # noqa: F401

pytestmark = pytest.mark.testhost

STATE = "/run/crio-retry"                  # delays, failure switches and call records
PLUGIN_DIR = "/usr/local/lib/cni-retry"
NET_FILE = "/etc/cni/net.d/00-crio-retry.conflist"
DROP_IN = "/etc/crio/crio.conf.d/60-retry-test.conf"
SERVICE_DROP_IN = "/etc/systemd/system/crio.service.d/60-retry-test.conf"
WRAPPER = "/usr/local/bin/crio-retry-runc"
HANDLER = "slowrunc"
UNCLAIMED_SEC = 5
POD_DIR = "/run/crio/pods"
CTR_DIR = "/var/lib/containers/storage/overlay-containers"

# ADD sleeps $STATE/delay seconds, then fails when $STATE/fail exists; every ADD is recorded.
SLOW_PLUGIN = f"""#!/bin/sh
cat >/dev/null
case "$CNI_COMMAND" in
ADD)
        echo "$CNI_CONTAINERID" >> {STATE}/adds
        sleep "$(cat {STATE}/delay 2>/dev/null || echo 0)"
        if [ -e {STATE}/fail ]; then
                echo '{{"cniVersion":"1.0.0","code":11,"msg":"slowpoke says no"}}'
                exit 1
        fi
        echo '{{"cniVersion":"1.0.0"}}';;
esac
exit 0
"""


def wrapper(runc):
        # "<runtime> create" sleeps $STATE/ctr-delay seconds, then fails when $STATE/ctr-fail exists.
        return textwrap.dedent(f"""\
                #!/bin/sh
                for a in "$@"; do
                        if [ "$a" = create ]; then
                                echo create >> {STATE}/creates
                                sleep "$(cat {STATE}/ctr-delay 2>/dev/null || echo 0)"
                                if [ -e {STATE}/ctr-fail ]; then
                                        echo "slowrunc says no" >&2
                                        exit 1
                                fi
                                break
                        fi
                done
                exec {runc} "$@"
                """)


@pytest.fixture(scope="module")
def retry_host(host):  # noqa: F811
        runc = shutil.which("runc") or "/usr/bin/runc"
        host.run(["mkdir", "-p", STATE])
        host.write_file(f"{PLUGIN_DIR}/slowpoke", SLOW_PLUGIN, mode=0o755)
        host.write_file(WRAPPER, wrapper(runc), mode=0o755)
        host.write_file(NET_FILE, json.dumps({"cniVersion": "1.0.0", "name": "crio-retry",
                                              "plugins": [{"type": "slowpoke"}]}))
        host.write_file(DROP_IN, textwrap.dedent(f"""
                [crio.network]
                plugin_dirs = ["/usr/lib/cni", "{PLUGIN_DIR}"]
                [crio.runtime.runtimes.{HANDLER}]
                runtime_path = "{WRAPPER}"
                """))
        host.write_file(SERVICE_DROP_IN, f"[Service]\nEnvironment=CRIO_TEST_UNCLAIMED_TIMEOUT_SEC={UNCLAIMED_SEC}\n")
        host.run(["systemctl", "daemon-reload"])
        restart_crio(host)
        yield host
        host.run(["rm", "-rf", NET_FILE, DROP_IN, SERVICE_DROP_IN, WRAPPER, PLUGIN_DIR, STATE], check=False)
        host.run(["systemctl", "daemon-reload"])
        restart_crio(host)


@pytest.fixture
def cri(retry_host):
        retry_host.run(f"rm -f {STATE}/*")
        with CriClient(retry_host.crio_socket()) as c:
                yield c
        retry_host.run(f"rm -f {STATE}/*")
        # A client of its own: the test may have restarted crio.
        with CriClient(retry_host.crio_socket()) as c:
                for p in c.runtime.ListPodSandbox(c.pb.ListPodSandboxRequest()).items:
                        c.runtime.StopPodSandbox(c.pb.StopPodSandboxRequest(pod_sandbox_id=p.id), timeout=90)
                        c.runtime.RemovePodSandbox(c.pb.RemovePodSandboxRequest(pod_sandbox_id=p.id), timeout=90)


def set_state(host, **values):
        for k, v in values.items():
                name = k.replace("_", "-")
                if v is None:
                        host.run(["rm", "-f", f"{STATE}/{name}"])
                else:
                        host.write_file(f"{STATE}/{name}", f"{v}\n")


def count(host, record):
        return len(host.run(f"cat {STATE}/{record} 2>/dev/null || true").stdout.split())


def wait_for(pred, timeout=30, what="condition"):
        end = time.monotonic() + timeout
        while True:
                v = pred()
                if v:
                        return v
                if time.monotonic() > end:
                        raise AssertionError(f"timed out waiting for {what}")
                time.sleep(0.2)


def journal_match(host, pattern):
        return re.search(pattern, host.journal("crio.service"))


def wait_kept(host, what, name):
        """The id of what crio put aside for name (from its journal line)."""
        m = wait_for(lambda: journal_match(host, rf"Keeping {what} {re.escape(name)} \(([0-9a-f]{{64}})\)"),
                     what=f"{what} {name} put aside")
        return m.group(1)


def pod_config(cri, name):
        pb = cri.pb
        ns = pb.NamespaceOption(network=pb.POD, ipc=pb.POD, pid=pb.CONTAINER)
        return pb.PodSandboxConfig(
                metadata=pb.PodSandboxMetadata(name=name, namespace="test", uid=f"uid-{name}", attempt=0),
                linux=pb.LinuxPodSandboxConfig(security_context=pb.LinuxSandboxSecurityContext(namespace_options=ns)))


def pod_name(name):
        return f"k8s_POD_{name}_test_uid-{name}_0"


def run_pod(cri, config, timeout, handler=""):
        return cri.runtime.RunPodSandbox(cri.pb.RunPodSandboxRequest(config=config, runtime_handler=handler),
                                         timeout=timeout).pod_sandbox_id


def pods_named(cri, name):
        return [p for p in cri.runtime.ListPodSandbox(cri.pb.ListPodSandboxRequest()).items
                if p.metadata.name == name]


def deadline_exceeded(fn, *args, **kw):
        with pytest.raises(grpc.RpcError) as e:
                fn(*args, **kw)
        assert e.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED, e.value
        return e.value


def assert_pod_ready_once(cri, name, pod_id):
        assert cri.runtime.PodSandboxStatus(cri.pb.PodSandboxStatusRequest(pod_sandbox_id=pod_id)).status.state == \
                cri.pb.SANDBOX_READY
        assert [p.id for p in pods_named(cri, name)] == [pod_id]


def bus_pod_ids(host):
        out = host.run(["busctl", "--json=short", "call", "org.crio1", "/org/crio1", "org.crio1.Manager",
                        "ListPods", "sa{ss}", "", "0"]).stdout
        return {row[0] for row in json.loads(out)["data"][0]}


@contextlib.contextmanager
def manager_signals(host):
        """busctl monitor on /org/crio1 for the block; yields a function giving the first argument (the
        id) of every signal of a member so far."""
        out, pid = "/tmp/crio-retry-signals.json", "/tmp/crio-retry-signals.pid"
        host.run(f"rm -f {out}; stdbuf -oL busctl monitor --json=short --match=\"type='signal',path='/org/crio1'\" "
                 f">{out} 2>&1 & echo $! >{pid}")
        try:
                # A monitor once the bus answers it: wait until a signal of ours shows.
                wait_for(lambda: host.run(["busctl", "emit", "/org/crio1", "org.crio1.Test", "Ping"], check=False)
                         and "Ping" in host.read_file(out), what="busctl monitor")

                def ids(member):
                        signals = [json.loads(line) for line in host.read_file(out).splitlines()
                                   if line.startswith("{")]
                        return [s["payload"]["data"][0] for s in signals if s.get("member") == member]
                yield ids
        finally:
                host.run(f"kill $(cat {pid})", check=False)


def test_pod_retry_gets_the_pod_put_aside(retry_host, cri):
        host, name = retry_host, "late"
        config = pod_config(cri, name)
        set_state(host, delay=3)
        with manager_signals(host) as signals:
                deadline_exceeded(run_pod, cri, config, timeout=1)
                assert not pods_named(cri, name), "a pod being made is not listed"
                pod_id = wait_kept(host, "pod sandbox", pod_name(name))
                assert not pods_named(cri, name), "an unclaimed pod is not listed"
                with pytest.raises(grpc.RpcError) as e:
                        cri.runtime.PodSandboxStatus(cri.pb.PodSandboxStatusRequest(pod_sandbox_id=pod_id))
                assert e.value.code() == grpc.StatusCode.NOT_FOUND
                # Nor through D-Bus: one source of truth.
                assert bus_pod_ids(host).isdisjoint({pod_id})
                r = host.run(["busctl", "call", "org.crio1", "/org/crio1", "org.crio1.Manager", "GetPod", "s",
                              pod_id], check=False)
                assert r.returncode != 0 and "No pod" in r.stderr, r
                assert pod_id not in signals("PodNew"), "the run ended while the pod was hidden: not announced"

                start_time = time.monotonic()
                assert run_pod(cri, config, timeout=30) == pod_id
                assert time.monotonic() - start_time < 2, "the retry did not run the pod again"
                assert pod_id in bus_pod_ids(host), "claimed: on the bus too"
                wait_for(lambda: signals("PodNew").count(pod_id) == 1, what="PodNew once the pod is claimed")
                assert count(host, "adds") == 1
                assert_pod_ready_once(cri, name, pod_id)
                # Claimed: a later request is kubelet asking again for a pod it has, the same id.
                assert run_pod(cri, config, timeout=30) == pod_id
                assert count(host, "adds") == 1


def test_pod_retry_waits_for_the_run(retry_host, cri):
        host, name = retry_host, "waiting"
        config = pod_config(cri, name)
        set_state(host, delay=3)
        start_time = time.monotonic()
        deadline_exceeded(run_pod, cri, config, timeout=1)
        pod_id = run_pod(cri, config, timeout=30)
        assert time.monotonic() - start_time >= 2.5, "the retry waited for the run"
        assert count(host, "adds") == 1
        assert_pod_ready_once(cri, name, pod_id)
        assert not journal_match(host, rf"Keeping pod sandbox {re.escape(pod_name(name))} ")


def test_pod_retry_gives_up_at_its_own_deadline(retry_host, cri):
        host, name = retry_host, "impatient"
        config = pod_config(cri, name)
        set_state(host, delay=4)
        deadline_exceeded(run_pod, cri, config, timeout=1)
        deadline_exceeded(run_pod, cri, config, timeout=1)
        pod_id = wait_kept(host, "pod sandbox", pod_name(name))
        assert run_pod(cri, config, timeout=30) == pod_id
        assert count(host, "adds") == 1
        assert_pod_ready_once(cri, name, pod_id)


def test_pod_unclaimed_is_removed(retry_host, cri):
        host, name = retry_host, "unclaimed"
        config = pod_config(cri, name)
        set_state(host, delay=2)
        with manager_signals(host) as signals:
                deadline_exceeded(run_pod, cri, config, timeout=1)
                pod_id = wait_kept(host, "pod sandbox", pod_name(name))
                assert host.run(["test", "-d", f"{POD_DIR}/{pod_id}"], check=False).returncode == 0
                kept = time.monotonic()
                removing = rf"Removing pod sandbox {re.escape(pod_name(name))} \({pod_id}\)"
                wait_for(lambda: journal_match(host, removing), what="the unclaimed pod's removal")
                assert time.monotonic() - kept >= UNCLAIMED_SEC - 1.5
                wait_for(lambda: host.run(["test", "-e", f"{POD_DIR}/{pod_id}"], check=False).returncode != 0,
                         what="the pod's directory gone")
                wait_for(lambda: "inactive" in host.run(["systemctl", "is-active", f"crio-{pod_id}.slice"],
                                                        check=False).stdout, what="the pod's slice stopped")
                # Never visible, so never announced: neither its coming nor its going.
                assert pod_id not in signals("PodNew") + signals("PodRemoved")
        # The next request makes a new pod.
        set_state(host, delay=0)
        new_id = run_pod(cri, config, timeout=30)
        assert new_id != pod_id
        assert count(host, "adds") == 2
        assert_pod_ready_once(cri, name, new_id)


def test_pod_failed_first_attempt_leaves_nothing(retry_host, cri):
        host, name = retry_host, "failing"
        config = pod_config(cri, name)
        dirs = host.run(f"ls {POD_DIR}").stdout.split()
        set_state(host, delay=2, fail=1)
        deadline_exceeded(run_pod, cri, config, timeout=1)
        wait_for(lambda: journal_match(host, rf"Failed to run pod {re.escape(pod_name(name))}, rolling back"),
                 what="the run's failure")
        wait_for(lambda: host.run(f"ls {POD_DIR}").stdout.split() == dirs, what="the rollback")
        assert not journal_match(host, rf"Keeping pod sandbox {re.escape(pod_name(name))} ")
        assert not pods_named(cri, name)

        # A retry waiting for a run that fails hears of the failure.
        set_state(host, delay=3)
        deadline_exceeded(run_pod, cri, config, timeout=1)
        with pytest.raises(grpc.RpcError) as e:
                run_pod(cri, config, timeout=30)
        assert e.value.code() == grpc.StatusCode.UNKNOWN and "slowpoke says no" in e.value.details(), e.value
        wait_for(lambda: host.run(f"ls {POD_DIR}").stdout.split() == dirs, what="the rollback")

        # Then it runs afresh.
        set_state(host, delay=0, fail=None)
        pod_id = run_pod(cri, config, timeout=30)
        assert count(host, "adds") == 3
        assert_pod_ready_once(cri, name, pod_id)


# Containers: in host-network pods of the slow handler (the pod needs no runtime call, its container does).

def ctr_pod(cri, name):
        pb = cri.pb
        ns = pb.NamespaceOption(network=pb.NODE, ipc=pb.POD, pid=pb.CONTAINER)
        config = pb.PodSandboxConfig(
                metadata=pb.PodSandboxMetadata(name=name, namespace="test", uid=f"uid-{name}", attempt=0),
                linux=pb.LinuxPodSandboxConfig(security_context=pb.LinuxSandboxSecurityContext(namespace_options=ns)))
        return run_pod(cri, config, timeout=60, handler=HANDLER), config


def ctr_name(pod, name):
        return f"k8s_{name}_{pod}_test_uid-{pod}_0"


def create(cri, pod_id, pod_cfg, name, timeout):
        config = ctr_config(cri, name, command=["/bin/sh", "-c", "sleep 1000"])
        return cri.runtime.CreateContainer(cri.pb.CreateContainerRequest(pod_sandbox_id=pod_id, config=config,
                                                                         sandbox_config=pod_cfg),
                                           timeout=timeout).container_id


def ctrs_named(cri, pod_id, name):
        f = cri.pb.ContainerFilter(pod_sandbox_id=pod_id)
        return [c for c in cri.runtime.ListContainers(cri.pb.ListContainersRequest(filter=f)).containers
                if c.metadata.name == name]


def ctr_state(cri, ctr_id):
        return cri.runtime.ContainerStatus(cri.pb.ContainerStatusRequest(container_id=ctr_id)).status.state


def test_container_retry_gets_the_container_put_aside(retry_host, cri):
        host = retry_host
        pod_id, pod_cfg = ctr_pod(cri, "cretry")
        set_state(host, ctr_delay=3)
        deadline_exceeded(create, cri, pod_id, pod_cfg, "late", timeout=1)
        assert not ctrs_named(cri, pod_id, "late"), "a container being made is not listed"
        ctr_id = wait_kept(host, "container", ctr_name("cretry", "late"))
        assert not ctrs_named(cri, pod_id, "late"), "an unclaimed container is not listed"
        with pytest.raises(grpc.RpcError) as e:
                ctr_state(cri, ctr_id)
        assert e.value.code() == grpc.StatusCode.NOT_FOUND

        start_time = time.monotonic()
        assert create(cri, pod_id, pod_cfg, "late", timeout=30) == ctr_id
        assert time.monotonic() - start_time < 2, "the retry did not create the container again"
        assert count(host, "creates") == 1
        assert [c.id for c in ctrs_named(cri, pod_id, "late")] == [ctr_id]
        assert ctr_state(cri, ctr_id) == cri.pb.CONTAINER_CREATED
        start(cri, ctr_id)
        assert ctr_state(cri, ctr_id) == cri.pb.CONTAINER_RUNNING


def test_container_retry_waits_for_the_creation(retry_host, cri):
        host = retry_host
        pod_id, pod_cfg = ctr_pod(cri, "cwait")
        set_state(host, ctr_delay=3)
        start_time = time.monotonic()
        deadline_exceeded(create, cri, pod_id, pod_cfg, "waiting", timeout=1)
        ctr_id = create(cri, pod_id, pod_cfg, "waiting", timeout=30)
        assert time.monotonic() - start_time >= 2.5, "the retry waited for the creation"
        assert count(host, "creates") == 1
        assert [c.id for c in ctrs_named(cri, pod_id, "waiting")] == [ctr_id]
        assert ctr_state(cri, ctr_id) == cri.pb.CONTAINER_CREATED


def test_container_unclaimed_is_removed(retry_host, cri):
        host = retry_host
        pod_id, pod_cfg = ctr_pod(cri, "cunclaimed")
        set_state(host, ctr_delay=2)
        deadline_exceeded(create, cri, pod_id, pod_cfg, "unclaimed", timeout=1)
        name = ctr_name("cunclaimed", "unclaimed")
        ctr_id = wait_kept(host, "container", name)
        assert host.run(["test", "-d", f"{CTR_DIR}/{ctr_id}"], check=False).returncode == 0
        wait_for(lambda: journal_match(host, rf"Removing container {re.escape(name)} \({ctr_id}\)"),
                 what="the unclaimed container's removal")
        wait_for(lambda: host.run(["test", "-e", f"{CTR_DIR}/{ctr_id}"], check=False).returncode != 0,
                 what="the container's files gone")
        set_state(host, ctr_delay=0)
        new_id = create(cri, pod_id, pod_cfg, "unclaimed", timeout=30)
        assert new_id != ctr_id
        assert count(host, "creates") == 2
        assert [c.id for c in ctrs_named(cri, pod_id, "unclaimed")] == [new_id]


def test_container_failed_first_attempt_leaves_nothing(retry_host, cri):
        host = retry_host
        pod_id, pod_cfg = ctr_pod(cri, "cfailing")
        name = ctr_name("cfailing", "failing")
        set_state(host, ctr_delay=2, ctr_fail=1)
        deadline_exceeded(create, cri, pod_id, pod_cfg, "failing", timeout=1)
        wait_for(lambda: journal_match(host, rf"Failed to create container {re.escape(name)}"),
                 what="the creation's failure")
        time.sleep(0.5)
        assert not journal_match(host, rf"Keeping container {re.escape(name)} ")
        assert not ctrs_named(cri, pod_id, "failing")

        set_state(host, ctr_delay=0, ctr_fail=None)
        ctr_id = create(cri, pod_id, pod_cfg, "failing", timeout=30)
        assert count(host, "creates") == 2
        assert [c.id for c in ctrs_named(cri, pod_id, "failing")] == [ctr_id]
        assert ctr_state(cri, ctr_id) == cri.pb.CONTAINER_CREATED


def test_zz_no_sanitizer_reports(retry_host, cri):
        """Under an ASan/UBSan build: a stop of crio with a result put aside and a run under way whose
        caller went away reports no error or leak."""
        host = retry_host
        set_state(host, delay=2)
        deadline_exceeded(run_pod, cri, pod_config(cri, "kept"), timeout=1)
        wait_kept(host, "pod sandbox", pod_name("kept"))
        set_state(host, delay=5)
        deadline_exceeded(run_pod, cri, pod_config(cri, "cut"), timeout=1)
        restart_crio(host)
        text = host.journal("crio.service")
        for marker in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
                assert marker not in text, text[text.index(marker) - 200:][:4000]
