"""GetContainerEvents, the pod metrics RPCs, StreamPodSandboxStats, UpdateRuntimeConfig and
CheckpointContainer, against crio in the systemd test host (images and pods as test_containers.py
makes them).

Events are CRI-O's: only with enable_pod_events, one ContainerEventResponse per lifecycle change
carrying the pod's status and its containers' statuses; a subscriber that does not read loses events
once 4 MiB wait for it, and neither crio nor the other subscribers notice.
"""

import os
import queue
import struct
import textwrap
import threading
import time

import grpc
import pytest

import h2raw
from cri_client import CriClient
from test_containers import (create, ctr_config, host, pod_config, restart_crio, run, run_pod,  # noqa: F401
                             start, wait_exited)
from test_cri_server import crio_rss_kib

pytestmark = pytest.mark.testhost

DROP_IN = "/etc/crio/crio.conf.d/60-events-test.conf"
MiB = 1024 * 1024
ALL_GROUPS = ["cpu", "disk", "hugetlb", "memory", "network", "oom", "process", "spec"]


def configure(host, events=True, metrics=()):
    host.write_file(DROP_IN, textwrap.dedent(f"""
            [crio.runtime]
            enable_pod_events = {"true" if events else "false"}
            [crio.stats]
            included_pod_metrics = [{", ".join(f'"{m}"' for m in metrics)}]
            """))
    restart_crio(host)


@pytest.fixture(scope="module")
def events_host(host):  # noqa: F811
    configure(host)
    yield host
    host.run(["rm", "-f", DROP_IN], check=False)
    restart_crio(host)


@pytest.fixture
def cri(events_host):
    with CriClient(events_host.crio_socket(), max_message=200 * MiB) as c:
        yield c
        for p in c.runtime.ListPodSandbox(c.pb.ListPodSandboxRequest()).items:
            c.runtime.StopPodSandbox(c.pb.StopPodSandboxRequest(pod_sandbox_id=p.id), timeout=90)
            c.runtime.RemovePodSandbox(c.pb.RemovePodSandboxRequest(pod_sandbox_id=p.id), timeout=90)


class Subscriber:
    """A GetContainerEvents stream read by a thread of its own into a queue."""

    def __init__(self, cri):
        self.events = queue.Queue()
        self.call = cri.runtime.GetContainerEvents(cri.pb.GetEventsRequest())
        self.error = None
        self.ended = threading.Event()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        try:
            for e in self.call:
                self.events.put(e)
        except grpc.RpcError as e:
            self.error = e
        self.ended.set()

    def take(self, pred, count, timeout=30):
        """The next `count` events for which pred is true (others are skipped)."""
        out, end = [], time.monotonic() + timeout
        while len(out) < count:
            try:
                e = self.events.get(timeout=max(0.1, end - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"got {len(out)} of {count} events: {out}") from None
            if pred(e):
                out.append(e)
        return out

    def cancel(self):
        self.call.cancel()
        self.ended.wait(5)


def subscribe(cri, n, settle=1.0):
    subs = [Subscriber(cri) for _ in range(n)]
    time.sleep(settle)  # the calls reach crio and subscribe
    return subs


def test_events_in_order_with_statuses(cri):
    pb = cri.pb
    subs = subscribe(cri, 3)
    pod_id, pod_cfg = run_pod(cri, "ev")
    other = create(cri, pod_id, pod_cfg, ctr_config(cri, "other", command=["sleep", "1000"]))
    ctr = create(cri, pod_id, pod_cfg, ctr_config(cri, "quick", command=["sh", "-c", "sleep 0.3; exit 3"]))
    start(cri, ctr)
    wait_exited(cri, ctr)
    cri.runtime.RemoveContainer(pb.RemoveContainerRequest(container_id=ctr), timeout=60)

    types = [pb.CONTAINER_CREATED_EVENT, pb.CONTAINER_STARTED_EVENT, pb.CONTAINER_STOPPED_EVENT,
             pb.CONTAINER_DELETED_EVENT]
    for sub in subs:
        events = sub.take(lambda e: e.container_id == ctr, 4)
        assert [e.container_event_type for e in events] == types
        assert all(a.created_at <= b.created_at for a, b in zip(events, events[1:]))
        for e in events:
            assert e.pod_sandbox_status.id == pod_id
            assert e.pod_sandbox_status.metadata.name == "ev"
            assert e.pod_sandbox_status.state == pb.SANDBOX_READY
            assert other in {s.id for s in e.containers_statuses}
        states = [{s.id: s for s in e.containers_statuses}.get(ctr) for e in events]
        assert [s.state for s in states[:3]] == [pb.CONTAINER_CREATED, pb.CONTAINER_RUNNING, pb.CONTAINER_EXITED]
        assert states[2].exit_code == 3 and states[2].finished_at > 0 and states[2].metadata.name == "quick"
        assert states[3] is None, "a deleted container is no longer among the statuses"
    for sub in subs:
        sub.cancel()
        assert sub.error.code() == grpc.StatusCode.CANCELLED


def test_sandbox_events_through_the_infra_container(cri):
    """A pod with a pause process has its own events, under the pod's id, as CRI-O sends them."""
    pb = cri.pb
    (sub,) = subscribe(cri, 1)
    config = pod_config(cri, "evinfra")
    config.linux.security_context.namespace_options.pid = pb.POD
    pod_id = cri.runtime.RunPodSandbox(pb.RunPodSandboxRequest(config=config), timeout=120).pod_sandbox_id
    cri.runtime.StopPodSandbox(pb.StopPodSandboxRequest(pod_sandbox_id=pod_id), timeout=90)
    cri.runtime.RemovePodSandbox(pb.RemovePodSandboxRequest(pod_sandbox_id=pod_id), timeout=90)
    events = sub.take(lambda e: e.container_id == pod_id, 4)
    assert [e.container_event_type for e in events] == [pb.CONTAINER_CREATED_EVENT, pb.CONTAINER_STARTED_EVENT,
                                                        pb.CONTAINER_STOPPED_EVENT, pb.CONTAINER_DELETED_EVENT]
    assert all(e.pod_sandbox_status.id == pod_id for e in events)
    sub.cancel()


def stuck_subscriber(socket_path):
    """A raw HTTP/2 GetContainerEvents call whose client grants no flow-control window and never reads."""
    s = h2raw.connect(socket_path, timeout=5)
    # SETTINGS_INITIAL_WINDOW_SIZE = 0: not one byte of DATA may reach us.
    s.sendall(h2raw.PREFACE + h2raw.frame(h2raw.SETTINGS, 0, 0, struct.pack(">HI", 4, 0)))
    s.sendall(h2raw.frame(h2raw.HEADERS, h2raw.END_HEADERS, 1,
                          h2raw.hpack_literal(h2raw.grpc_headers("/runtime.v1.RuntimeService/GetContainerEvents"))))
    s.sendall(h2raw.frame(h2raw.DATA, h2raw.END_STREAM, 1, h2raw.grpc_message(b"")))
    return s


def sanitized(build_dir):
    with open(os.path.join(build_dir, "src", "crio"), "rb") as f:
        return b"__asan_init" in f.read()


def test_a_subscriber_that_never_reads(events_host, cri, build_dir):
    """Events of about 1 MiB each: the stuck call holds at most 4 MiB, the others get every event."""
    pb = cri.pb
    host = events_host
    stuck = stuck_subscriber(host.crio_socket())
    (sub,) = subscribe(cri, 1)
    config = pod_config(cri, "evfat")
    for i in range(4):
        config.annotations[f"fat{i}"] = chr(ord("a") + i) * (256 * 1024)
    pod_id = cri.runtime.RunPodSandbox(pb.RunPodSandboxRequest(config=config), timeout=60).pod_sandbox_id
    with CriClient(host.crio_socket()) as c:  # warm up allocator pools before measuring
        for _ in range(50):
            c.runtime.Version(c.pb.VersionRequest(), timeout=5)
    rss_before = crio_rss_kib(host)

    ids, cycles = [], 20
    for i in range(cycles):
        ctr = run(cri, pod_id, config, f"c{i}", "exit 0")
        wait_exited(cri, ctr)
        cri.runtime.RemoveContainer(pb.RemoveContainerRequest(container_id=ctr), timeout=60)
        ids.append(ctr)
        # crio serves everyone else meanwhile.
        assert cri.runtime.Version(pb.VersionRequest(), timeout=5).runtime_name == "cri-o"

    events = sub.take(lambda e: e.container_id in ids, 4 * cycles, timeout=60)
    assert [e.container_id for e in events] == [i for i in ids for _ in range(4)]
    assert all(len(e.pod_sandbox_status.annotations["fat3"]) == 256 * 1024 for e in events)
    rss_after = crio_rss_kib(host)
    # 80 MiB of events went out; the stuck call may hold 4 MiB (in a buffer of up to twice that). ASan's
    # quarantine keeps freed memory, so only a plain build says anything about it.
    if not sanitized(build_dir):
        assert rss_after - rss_before < 24 * 1024, f"RSS grew from {rss_before} KiB to {rss_after} KiB"
    assert "GetContainerEvents client is not reading" in host.journal("crio.service")

    stuck.close()
    sub.cancel()
    assert cri.runtime.Version(pb.VersionRequest(), timeout=5).runtime_name == "cri-o"


def test_stop_ends_event_streams(events_host, cri):
    """crio stops at once with subscribers: their streams end OK, no waiting for the drain timeout."""
    subs = subscribe(cri, 2)
    t = time.monotonic()
    restart_crio(events_host)
    assert time.monotonic() - t < 8
    for sub in subs:
        assert sub.ended.wait(5)
        assert sub.error is None, sub.error


def test_events_off_without_enable_pod_events(events_host):
    configure(events_host, events=False)
    try:
        with CriClient(events_host.crio_socket()) as c:
            assert list(c.runtime.GetContainerEvents(c.pb.GetEventsRequest(), timeout=10)) == []
    finally:
        configure(events_host)


def test_metrics_without_included_pod_metrics(cri):
    pb = cri.pb
    pod_id, pod_cfg = run_pod(cri, "nometrics")
    run(cri, pod_id, pod_cfg, "m", "sleep 1000")
    assert not cri.runtime.ListMetricDescriptors(pb.ListMetricDescriptorsRequest(), timeout=10).descriptors
    assert not cri.runtime.ListPodSandboxMetrics(pb.ListPodSandboxMetricsRequest(), timeout=10).pod_metrics
    assert list(cri.runtime.StreamPodSandboxMetrics(pb.StreamPodSandboxMetricsRequest(), timeout=10)) == []


def test_metrics_with_included_pod_metrics(events_host):
    configure(events_host, metrics=ALL_GROUPS)
    try:
        with CriClient(events_host.crio_socket(), max_message=200 * MiB) as cri:
            pb = cri.pb
            descriptors = {d.name: d for d in
                           cri.runtime.ListMetricDescriptors(pb.ListMetricDescriptorsRequest(), timeout=10).descriptors}
            for name in ("container_cpu_usage_seconds_total", "container_memory_working_set_bytes",
                         "container_network_receive_bytes_total", "container_processes", "container_oom_events_total",
                         "container_spec_memory_limit_bytes", "container_fs_usage_bytes"):
                assert name in descriptors, name
            assert list(descriptors["container_cpu_usage_seconds_total"].label_keys) == ["id", "name", "image", "cpu"]

            pod_id, pod_cfg = run_pod(cri, "metrics")
            linux = pb.LinuxContainerConfig(resources=pb.LinuxContainerResources(memory_limit_in_bytes=256 * MiB))
            ctr = run(cri, pod_id, pod_cfg, "m", "sleep 1000", linux=linux)
            (pm,) = [p for p in cri.runtime.ListPodSandboxMetrics(pb.ListPodSandboxMetricsRequest(),
                                                                  timeout=10).pod_metrics if p.pod_sandbox_id == pod_id]
            assert not pm.metrics, "a pod on the host network has no network counters of its own"
            (cm,) = pm.container_metrics
            assert cm.container_id == ctr
            values = {}
            for m in cm.metrics:
                assert m.name in descriptors, m.name
                assert len(m.label_values) == len(descriptors[m.name].label_keys), m
                assert m.label_values[0] == ctr and m.label_values[1].startswith("k8s_m_metrics_"), m
                assert m.label_values[2], m
                values.setdefault(m.name, m.value.value)
            assert values["container_memory_usage_bytes"] > 0
            assert values["container_memory_working_set_bytes"] <= values["container_memory_usage_bytes"]
            assert values["container_processes"] >= 1 and values["container_threads"] >= 1
            assert values["container_spec_memory_limit_bytes"] == 256 * MiB
            assert values["container_fs_limit_bytes"] > 0
            streamed = [p for r in cri.runtime.StreamPodSandboxMetrics(pb.StreamPodSandboxMetricsRequest(), timeout=10)
                        for p in r.pod_sandbox_metrics]
            assert pod_id in {p.pod_sandbox_id for p in streamed}
            cri.runtime.StopPodSandbox(pb.StopPodSandboxRequest(pod_sandbox_id=pod_id), timeout=90)
            cri.runtime.RemovePodSandbox(pb.RemovePodSandboxRequest(pod_sandbox_id=pod_id), timeout=90)
    finally:
        configure(events_host)


def test_stream_pod_sandbox_stats(cri):
    pb = cri.pb
    a, a_cfg = run_pod(cri, "statsa")
    b, _ = run_pod(cri, "statsb")

    def streamed(**filter_args):
        f = pb.PodSandboxStatsFilter(**filter_args)
        return [s.attributes.id for r in cri.runtime.StreamPodSandboxStats(pb.StreamPodSandboxStatsRequest(filter=f),
                                                                            timeout=30) for s in r.pod_sandbox_stats]

    listed = {s.attributes.id for s in cri.runtime.ListPodSandboxStats(pb.ListPodSandboxStatsRequest(),
                                                                       timeout=30).stats}
    assert {a, b} <= set(streamed()) == listed
    assert streamed(id=a[:12]) == [a]
    assert streamed(label_selector={"nope": "x"}) == []


def test_update_runtime_config_and_checkpoint(events_host, cri):
    pb = cri.pb
    cri.runtime.UpdateRuntimeConfig(pb.UpdateRuntimeConfigRequest(
        runtime_config=pb.RuntimeConfig(network_config=pb.NetworkConfig(pod_cidr="10.88.0.0/16"))), timeout=10)
    assert "pod CIDR: 10.88.0.0/16" in events_host.journal("crio.service")
    with pytest.raises(grpc.RpcError) as e:
        cri.runtime.CheckpointContainer(pb.CheckpointContainerRequest(container_id="x", location="/tmp/x.tar"),
                                        timeout=10)
    assert e.value.code() == grpc.StatusCode.UNKNOWN
    assert e.value.details() == "checkpoint/restore support not available"
