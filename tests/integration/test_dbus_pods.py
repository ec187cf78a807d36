"""Pods on the org.crio1 D-Bus API (src/dbus/pod-dbus.c) of a crio running in the systemd test host.

Pods are made through CRI: host-network pods with a per-container PID namespace need neither CNI
nor an infra process. busctl and python3-dbus run inside the host, where the system bus is; signals
are watched with `busctl monitor` running there in the background.

CRIO_UPDATE_DBUS_XML=1 rewrites dbus/org.crio1.Pod.xml from the running daemon instead of failing
when it differs.
"""

import json
import os
import re
import time

import pytest

from cri_client import CriClient
from test_dbus import ACCESS_DENIED, CALL_SCRIPT, INVALID_ARGS, NOBODY

pytestmark = pytest.mark.testhost

DEST = "org.crio1"
PATH = "/org/crio1"
POD_IFACE = "org.crio1.Pod"
NO_SUCH_POD = "org.crio1.NoSuchPod"
AMBIGUOUS = "org.crio1.AmbiguousId"
MONITOR_OUT = "/tmp/crio-dbus-pods-monitor.json"
MONITOR_PID = "/tmp/crio-dbus-pods-monitor.pid"
PROPERTIES = ["Id", "Name", "Namespace", "Uid", "Attempt", "State", "CreatedAt", "Slice", "Ips", "Labels",
              "Annotations", "RuntimeHandler", "HostNetwork", "Containers"]


@pytest.fixture(scope="module")
def cri(testhost):
    with CriClient(testhost.crio_socket()) as c:
        yield c
        for p in c.runtime.ListPodSandbox(c.pb.ListPodSandboxRequest()).items:
            c.runtime.RemovePodSandbox(c.pb.RemovePodSandboxRequest(pod_sandbox_id=p.id), timeout=60)


@pytest.fixture(scope="module")
def calls(testhost):
    testhost.write_file("/tmp/crio-dbus-call.py", CALL_SCRIPT)

    def run(items, user=None):
        prefix = NOBODY if user == "nobody" else []
        r = testhost.run([*prefix, "/usr/bin/python3", "/tmp/crio-dbus-call.py"], input=json.dumps(items),
                         timeout=120)
        return json.loads(r.stdout)
    return run


@pytest.fixture(scope="module")
def monitor(testhost):
    """Every signal from /org/crio1 and below, as busctl's JSON, from the start of this module on."""
    testhost.run(f"rm -f {MONITOR_OUT}; stdbuf -oL busctl monitor --json=short "
                 f"--match=\"type='signal',path_namespace='/org/crio1'\" >{MONITOR_OUT} 2>&1 & "
                 f"echo $! >{MONITOR_PID}")
    # busctl is a monitor once the bus answers it: wait for a signal to show up.
    deadline = time.monotonic() + 10
    while True:
        testhost.run(["busctl", "emit", PATH, "org.crio1.Test", "Ping"], check=False)
        if "Ping" in testhost.read_file(MONITOR_OUT) or time.monotonic() > deadline:
            break
        time.sleep(0.1)

    def read():
        out = []
        for line in testhost.read_file(MONITOR_OUT).splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
        return out
    yield read
    testhost.run(f"kill $(cat {MONITOR_PID})", check=False)


def pod_config(cri, name, namespace="dbus", labels=None, annotations=None, attempt=0):
    pb = cri.pb
    ns = pb.NamespaceOption(network=pb.NODE, pid=pb.CONTAINER)
    return pb.PodSandboxConfig(
        metadata=pb.PodSandboxMetadata(name=name, namespace=namespace, uid=f"uid-{namespace}-{name}",
                                       attempt=attempt),
        labels=labels or {}, annotations=annotations or {},
        linux=pb.LinuxPodSandboxConfig(security_context=pb.LinuxSandboxSecurityContext(namespace_options=ns)))


def run_pod(cri, name, **kw):
    return cri.runtime.RunPodSandbox(cri.pb.RunPodSandboxRequest(config=pod_config(cri, name, **kw)),
                                     timeout=60).pod_sandbox_id


def cri_status(cri, pod_id):
    return cri.runtime.PodSandboxStatus(cri.pb.PodSandboxStatusRequest(pod_sandbox_id=pod_id, verbose=True))


def cri_remove(cri, pod_id):
    cri.runtime.StopPodSandbox(cri.pb.StopPodSandboxRequest(pod_sandbox_id=pod_id), timeout=60)
    cri.runtime.RemovePodSandbox(cri.pb.RemovePodSandboxRequest(pod_sandbox_id=pod_id), timeout=60)


def cri_ids(cri):
    return {p.id for p in cri.runtime.ListPodSandbox(cri.pb.ListPodSandboxRequest()).items}


def pod_path(pod_id):
    return f"{PATH}/pod/{pod_id}"


def busctl(host, *args, check=True, user=None):
    return host.run([*(NOBODY if user == "nobody" else []), "busctl", *args], check=check)


def busctl_json(host, *args, user=None):
    return json.loads(busctl(host, "--json=short", *args, user=user).stdout)


def get_all(host, pod_id, user=None):
    out = busctl_json(host, "call", DEST, pod_path(pod_id), "org.freedesktop.DBus.Properties", "GetAll", "s",
                      POD_IFACE, user=user)
    return {k: v["data"] for k, v in out["data"][0].items()}


def managed_objects(host):
    out = busctl_json(host, "call", DEST, PATH, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects")
    return {path: {iface: {k: v["data"] for k, v in props.items()} for iface, props in ifaces.items()}
            for path, ifaces in out["data"][0].items()}


def state_of(host, pod_id):
    return busctl_json(host, "get-property", DEST, pod_path(pod_id), POD_IFACE, "State")["data"]


def wait_for(pred, timeout=10, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def signals(monitor, member, path=None):
    return [s for s in monitor() if s.get("member") == member and (path is None or s.get("path") == path)]


def test_properties_match_cri(testhost, cri, monitor):
    pod_id = run_pod(cri, "props", labels={"app": "web", "tier": "front"},
                     annotations={"note": "x y", "io.kubernetes.pod/x": "1"}, attempt=2)
    try:
        props = get_all(testhost, pod_id)
        assert sorted(props) == sorted(PROPERTIES)
        st = cri_status(cri, pod_id)
        info = json.loads(st.info["info"])
        assert props == {
            "Id": pod_id,
            "Name": "props",
            "Namespace": "dbus",
            "Uid": "uid-dbus-props",
            "Attempt": 2,
            "State": "ready",
            "CreatedAt": st.status.created_at,
            "Slice": info["slice"],
            "Ips": [],
            "Labels": {"app": "web", "tier": "front"},
            "Annotations": {"note": "x y", "io.kubernetes.pod/x": "1"},
            "RuntimeHandler": "runc",
            "HostNetwork": True,
            "Containers": [],
        }
        assert props["Slice"] == f"crio-{pod_id}.slice"
        # Each property on its own, as busctl get-property reads it.
        for name in PROPERTIES:
            assert busctl_json(testhost, "get-property", DEST, pod_path(pod_id), POD_IFACE, name)["data"] == \
                props[name], name
        # Unprivileged callers read everything.
        assert get_all(testhost, pod_id, user="nobody") == props
        # busctl tree lists the object; introspection shows the interface there.
        assert pod_path(pod_id) in busctl(testhost, "tree", "--list", DEST).stdout.split()
        assert POD_IFACE in busctl(testhost, "introspect", DEST, pod_path(pod_id)).stdout
    finally:
        cri_remove(cri, pod_id)
    # Gone from the bus in the same turn the CRI call returned.
    r = busctl(testhost, "get-property", DEST, pod_path(pod_id), POD_IFACE, "State", check=False)
    assert r.returncode != 0 and "Unknown object" in r.stderr, r.stderr
    assert pod_path(pod_id) not in busctl(testhost, "tree", "--list", DEST).stdout.split()


def test_object_manager_matches_list_pod_sandbox(testhost, cri, calls):
    ids = [run_pod(cri, f"om{i}", labels={"set": "om", "n": str(i % 2)}) for i in range(4)]
    try:
        cri.runtime.StopPodSandbox(cri.pb.StopPodSandboxRequest(pod_sandbox_id=ids[0]), timeout=60)
        objects = managed_objects(testhost)
        pods = {p: v for p, v in objects.items() if p.startswith(f"{PATH}/pod/")}
        listed = cri.runtime.ListPodSandbox(cri.pb.ListPodSandboxRequest()).items
        assert set(pods) == {pod_path(p.id) for p in listed}
        for p in listed:
            props = pods[pod_path(p.id)][POD_IFACE]
            assert props["Id"] == p.id and props["Name"] == p.metadata.name
            assert props["Namespace"] == p.metadata.namespace and props["Uid"] == p.metadata.uid
            assert props["Attempt"] == p.metadata.attempt and props["CreatedAt"] == p.created_at
            assert props["State"] == ("ready" if p.state == cri.pb.SANDBOX_READY else "notready")
            assert props["Labels"] == dict(p.labels)
            assert props["RuntimeHandler"] == p.runtime_handler

        r = calls([
            dict(method="ListPods", signature="sa{ss}", args=["", {"set": "om"}]),
            dict(method="ListPods", signature="sa{ss}", args=["ready", {"set": "om"}]),
            dict(method="ListPods", signature="sa{ss}", args=["notready", {}]),
            dict(method="ListPods", signature="sa{ss}", args=["", {"set": "om", "n": "1"}]),
            dict(method="ListPods", signature="sa{ss}", args=["", {"set": "nothing"}]),
        ])
        assert all(x["ok"] for x in r), r
        # Oldest first, as ListPodSandbox.
        assert [x[0] for x in r[0]["value"]] == ids
        assert [x[0] for x in r[1]["value"]] == ids[1:]
        assert [x[0] for x in r[2]["value"]] == [ids[0]]
        assert [x[0] for x in r[3]["value"]] == [ids[1], ids[3]]
        assert r[4]["value"] == []
        first = r[0]["value"][0]
        assert first == [ids[0], "om0", "dbus", "uid-dbus-om0", "notready", f"crio-{ids[0]}.slice",
                         pod_path(ids[0])]
    finally:
        for i in ids:
            cri_remove(cri, i)


def test_get_pod(testhost, cri, calls):
    a = run_pod(cri, "twin", namespace="dbus")
    b = run_pod(cri, "twin", namespace="other")
    c = run_pod(cri, "single")
    try:
        # Find a prefix of a that no other pod shares, and a prefix that two pods share if any.
        ids = cri_ids(cri)
        unique = next(a[:n] for n in range(1, 65) if sum(i.startswith(a[:n]) for i in ids) == 1)
        r = calls([
            dict(method="GetPod", signature="s", args=[a]),
            dict(method="GetPod", signature="s", args=[unique]),
            dict(method="GetPod", signature="s", args=["single"]),
            dict(method="GetPod", signature="s", args=["k8s_POD_twin_other_uid-other-twin_0"]),
            dict(method="GetPod", signature="s", args=["twin"]),
            dict(method="GetPod", signature="s", args=["nothing"]),
            dict(method="GetPod", signature="s", args=["f" * 64]),
            dict(method="GetPod", signature="s", args=["a/b"]),
            dict(method="GetPod", signature="s", args=[""]),
        ])
        assert r[0] == {"ok": True, "value": pod_path(a)}
        assert r[1] == {"ok": True, "value": pod_path(a)}
        assert r[2] == {"ok": True, "value": pod_path(c)}
        assert r[3] == {"ok": True, "value": pod_path(b)}
        assert r[4].get("error") == AMBIGUOUS, r[4]
        assert [x.get("error") for x in r[5:]] == [NO_SUCH_POD, NO_SUCH_POD, INVALID_ARGS, INVALID_ARGS]
        assert r[4]["message"] == 'Several pods match the name "twin".'
        assert [x["message"] for x in r[5:7]] == ['No pod "nothing".', f'No pod "{"f" * 64}".']
        # A prefix shared by several pods is ambiguous, if these ids happen to share one.
        shared = [p for p in {i[:1] for i in ids} if sum(i.startswith(p) for i in ids) > 1]
        if shared:
            r = calls([dict(method="GetPod", signature="s", args=[shared[0]]),
                       dict(method="StopPod", signature="s", args=[shared[0]])])
            assert [x.get("error") for x in r] == [AMBIGUOUS] * 2, r
            assert [x["message"] for x in r] == [f'Several pods match the id prefix "{shared[0]}".'] * 2
    finally:
        for i in (a, b, c):
            cri_remove(cri, i)


def test_stop_and_remove_through_manager(testhost, cri, calls, monitor):
    pod_id = run_pod(cri, "mgr")
    path = pod_path(pod_id)
    try:
        # A unique prefix is enough, as crictl accepts.
        prefix = next(pod_id[:n] for n in range(8, 65) if sum(i.startswith(pod_id[:n]) for i in cri_ids(cri)) == 1)
        assert calls([dict(method="StopPod", signature="s", args=[prefix])]) == [{"ok": True, "value": None}]
        # The reply came after the stop: CRI sees it at once.
        assert cri_status(cri, pod_id).status.state == cri.pb.SANDBOX_NOTREADY
        assert state_of(testhost, pod_id) == "notready"
        # Stopping again is fine.
        assert calls([dict(method="StopPod", signature="s", args=[pod_id])]) == [{"ok": True, "value": None}]
        assert calls([dict(method="RemovePod", signature="s", args=[pod_id])]) == [{"ok": True, "value": None}]
        assert pod_id not in cri_ids(cri)
        r = calls([dict(method="RemovePod", signature="s", args=[pod_id]),
                   dict(method="StopPod", signature="s", args=[pod_id])])
        assert [x.get("error") for x in r] == [NO_SUCH_POD] * 2
    finally:
        if pod_id in cri_ids(cri):
            cri_remove(cri, pod_id)
    wait_for(lambda: signals(monitor, "PodRemoved", PATH) and
             any(s["payload"]["data"][0] == pod_id for s in signals(monitor, "PodRemoved")),
             what="PodRemoved")
    changed = [s for s in signals(monitor, "PropertiesChanged", path)]
    assert any(s["payload"]["data"][0] == POD_IFACE and s["payload"]["data"][1].get("State", {}).get("data") ==
               "notready" for s in changed), changed


def test_stop_and_remove_on_the_object(testhost, cri, calls):
    pod_id = run_pod(cri, "obj")
    path = pod_path(pod_id)
    try:
        assert calls([dict(method="Stop", path=path, interface=POD_IFACE)]) == [{"ok": True, "value": None}]
        assert cri_status(cri, pod_id).status.state == cri.pb.SANDBOX_NOTREADY
        assert calls([dict(method="Remove", path=path, interface=POD_IFACE)]) == [{"ok": True, "value": None}]
        assert pod_id not in cri_ids(cri)
        r = calls([dict(method="Stop", path=path, interface=POD_IFACE)])
        assert r[0].get("error") == "org.freedesktop.DBus.Error.UnknownObject", r
    finally:
        if pod_id in cri_ids(cri):
            cri_remove(cri, pod_id)


def test_signals_new_removed_and_object_manager(testhost, cri, monitor):
    pod_id = run_pod(cri, "sig")
    path = pod_path(pod_id)
    new = wait_for(lambda: [s for s in signals(monitor, "PodNew", PATH) if s["payload"]["data"][0] == pod_id],
                   what="PodNew")
    assert new[0]["interface"] == "org.crio1.Manager"
    assert new[0]["payload"] == {"type": "so", "data": [pod_id, path]}
    added = wait_for(lambda: [s for s in signals(monitor, "InterfacesAdded", PATH)
                              if s["payload"]["data"][0] == path], what="InterfacesAdded")
    assert added[0]["payload"]["data"][1][POD_IFACE]["Id"]["data"] == pod_id
    assert added[0]["payload"]["data"][1][POD_IFACE]["State"]["data"] == "ready"

    # CRI stop: the D-Bus state has changed by the time the RPC returns, and it was announced.
    cri.runtime.StopPodSandbox(cri.pb.StopPodSandboxRequest(pod_sandbox_id=pod_id), timeout=60)
    assert state_of(testhost, pod_id) == "notready"
    wait_for(lambda: [s for s in signals(monitor, "PropertiesChanged", path)
                      if s["payload"]["data"][1].get("State", {}).get("data") == "notready"],
             what="PropertiesChanged State")

    cri.runtime.RemovePodSandbox(cri.pb.RemovePodSandboxRequest(pod_sandbox_id=pod_id), timeout=60)
    removed = wait_for(lambda: [s for s in signals(monitor, "InterfacesRemoved", PATH)
                                if s["payload"]["data"][0] == path], what="InterfacesRemoved")
    assert POD_IFACE in removed[0]["payload"]["data"][1]
    wait_for(lambda: [s for s in signals(monitor, "PodRemoved", PATH) if s["payload"]["data"][0] == pod_id],
             what="PodRemoved")
    # In the order they happened.
    order = [s["member"] for s in monitor()
             if s.get("path") == path or (s.get("path") == PATH and s.get("member") in ("PodNew", "PodRemoved")
                                          and s["payload"]["data"][0] == pod_id)]
    assert order.index("PodNew") < order.index("PropertiesChanged") < order.index("PodRemoved"), order


def test_systemctl_stop_slice_is_seen(testhost, cri, monitor):
    pod_id = run_pod(cri, "admin")
    path = pod_path(pod_id)
    try:
        testhost.run(["systemctl", "stop", f"crio-{pod_id}.slice"])
        wait_for(lambda: state_of(testhost, pod_id) == "notready", what="State notready")
        assert cri_status(cri, pod_id).status.state == cri.pb.SANDBOX_NOTREADY
        wait_for(lambda: [s for s in signals(monitor, "PropertiesChanged", path)
                          if s["payload"]["data"][1].get("State", {}).get("data") == "notready"],
                 what="PropertiesChanged after systemctl stop")
    finally:
        cri_remove(cri, pod_id)


def test_unprivileged_mutations_denied(testhost, cri, calls):
    pod_id = run_pod(cri, "guarded")
    path = pod_path(pod_id)
    try:
        r = calls([
            dict(method="StopPod", signature="s", args=[pod_id]),
            dict(method="RemovePod", signature="s", args=[pod_id]),
            dict(method="Stop", path=path, interface=POD_IFACE),
            dict(method="Remove", path=path, interface=POD_IFACE),
            dict(method="GetPod", signature="s", args=[pod_id]),
            dict(method="ListPods", signature="sa{ss}", args=["", {}]),
        ], user="nobody")
        for x in r[:4]:
            assert x.get("error") == ACCESS_DENIED and "org.crio1.manage" in x["message"], r
        assert r[4] == {"ok": True, "value": path}
        assert [p[0] for p in r[5]["value"]] == [pod_id]
        assert cri_status(cri, pod_id).status.state == cri.pb.SANDBOX_READY
        assert state_of(testhost, pod_id) == "ready"
    finally:
        cri_remove(cri, pod_id)


@pytest.mark.parametrize("method,args,error", [
    ("StopPod", ["ABC"], INVALID_ARGS),
    ("StopPod", [""], INVALID_ARGS),
    ("RemovePod", ["k8s_POD_x"], INVALID_ARGS),
    ("RemovePod", ["0" * 65], INVALID_ARGS),
    ("StopPod", ["0" * 64], NO_SUCH_POD),
    ("RemovePod", ["0123"], NO_SUCH_POD),
])
def test_bad_ids(calls, method, args, error):
    r = calls([dict(method=method, signature="s", args=args)])
    assert r[0].get("error") == error, r


def test_unknown_pod_objects(testhost, calls):
    for path in (pod_path("0" * 64), pod_path("0123"), f"{PATH}/pod/XYZ"):
        r = calls([dict(method="Get", path=path, interface="org.freedesktop.DBus.Properties", signature="ss",
                        args=[POD_IFACE, "State"]),
                   dict(method="Stop", path=path, interface=POD_IFACE)])
        assert [x.get("error") for x in r] == ["org.freedesktop.DBus.Error.UnknownObject"] * 2, (path, r)


def test_introspection_matches_file(testhost, cri, repo_root):
    pod_id = run_pod(cri, "xml")
    try:
        xml = busctl(testhost, "introspect", "--xml-interface", DEST, pod_path(pod_id)).stdout
    finally:
        cri_remove(cri, pod_id)
    m = re.search(r'(?ms)^ *<interface name="org\.crio1\.Pod">.*?</interface>\n', xml)
    assert m, xml
    live = ('<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"\n'
            '"http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">\n'
            "<!-- org.crio1.Pod as crio serves it; regenerated by tests/integration/test_dbus_pods.py "
            "(CRIO_UPDATE_DBUS_XML=1). -->\n"
            "<node>\n" + m.group(0) + "</node>\n")
    path = os.path.join(repo_root, "dbus", "org.crio1.Pod.xml")
    if os.environ.get("CRIO_UPDATE_DBUS_XML") == "1":
        with open(path, "w") as f:
            f.write(live)
    with open(path) as f:
        assert f.read() == live, "dbus/org.crio1.Pod.xml differs from the vtable: rerun with CRIO_UPDATE_DBUS_XML=1"


def test_man_page_lists_pod_interface(repo_root):
    with open(os.path.join(repo_root, "dbus", "org.crio1.Pod.xml")) as f:
        members = re.findall(r'<(?:method|property|signal) name="(\w+)"', f.read())
    with open(os.path.join(repo_root, "dbus", "org.crio1.5")) as f:
        man = f.read()
    assert sorted(members) == sorted(PROPERTIES + ["Stop", "Remove"])
    assert "org.crio1.Pod" in man
    missing = [m for m in members if f"\\fB{m}\\fR" not in man]
    assert not missing, missing
