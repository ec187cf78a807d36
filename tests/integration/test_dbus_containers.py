"""Containers on the org.crio1 D-Bus API (src/dbus/container-dbus.c) of a crio running in the systemd test host.

Containers run from the busybox image test_containers.py builds and pushes to a loopback registry (its
`host` fixture), in host-network pods. busctl and python3-dbus run inside the host, where the system
bus is; signals are caught by a python3-dbus listener running there in the background, which stamps
each with the time it arrived.

CRIO_UPDATE_DBUS_XML=1 rewrites dbus/org.crio1.Container.xml from the running daemon instead of
failing when it differs.
"""

import json
import os
import re
import time

import pytest

from test_containers import IMAGE, LOG_DIR, create, ctr_config, host, run_pod, start, status  # noqa: F401
from test_dbus import ACCESS_DENIED, CALL_SCRIPT, INVALID_ARGS, NOBODY
from cri_client import CriClient

DEST = "org.crio1"
PATH = "/org/crio1"
IFACE = "org.crio1.Container"
NO_SUCH = "org.crio1.NoSuchContainer"
AMBIGUOUS = "org.crio1.AmbiguousId"
FAILED = "org.crio1.OperationFailed"
UNKNOWN_OBJECT = "org.freedesktop.DBus.Error.UnknownObject"
LISTEN_OUT = "/tmp/crio-dbus-ctr-signals.json"
LISTEN_PID = "/tmp/crio-dbus-ctr-signals.pid"
PROPERTIES = ["Id", "Name", "Pod", "PodId", "Image", "ImageRef", "State", "Pid", "Unit", "ConmonUnit", "CreatedAt",
              "StartedAt", "FinishedAt", "ExitCode", "Reason", "LogPath", "Labels", "Annotations"]
# Runs until told: TERM exits 3, USR1 exits 5.
LOOP = 'trap "exit 3" TERM; trap "exit 5" USR1; while :; do sleep 0.1; done'

# Every signal org.crio1 sends, one JSON line each, with CLOCK_REALTIME ns of its arrival.
LISTENER = r'''
import json, sys, time
import dbus, dbus.mainloop.glib
from gi.repository import GLib

def plain(v):
    if isinstance(v, dbus.Boolean):
        return bool(v)
    if isinstance(v, (dbus.Array, dbus.Struct, list, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, (dbus.Dictionary, dict)):
        return {str(k): plain(x) for k, x in v.items()}
    if isinstance(v, (dbus.String, dbus.ObjectPath, dbus.Signature, str)):
        return str(v)
    if isinstance(v, (int, float)):
        return int(v)
    return v

dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
bus = dbus.SystemBus()
out = open(sys.argv[1], "a", buffering=1)

def on_signal(*args, member=None, path=None, interface=None):
    out.write(json.dumps({"t": time.clock_gettime_ns(time.CLOCK_REALTIME), "member": str(member),
                          "path": str(path), "interface": str(interface), "args": plain(args)}) + "\n")

bus.add_signal_receiver(on_signal, bus_name="org.crio1", member_keyword="member", path_keyword="path",
                        interface_keyword="interface")
# A round trip after AddMatch: the match is in force once the answer is here.
bus.get_object("org.crio1", "/org/crio1").Get("org.crio1.Manager", "Version",
                                              dbus_interface="org.freedesktop.DBus.Properties")
out.write(json.dumps({"member": "ready"}) + "\n")
GLib.MainLoop().run()
'''


@pytest.fixture(scope="module")
def cri(host):
        with CriClient(host.crio_socket()) as c:
                yield c
        # A new connection: the last test restarts crio.
        with CriClient(host.crio_socket()) as c:
                for p in c.runtime.ListPodSandbox(c.pb.ListPodSandboxRequest()).items:
                        c.runtime.StopPodSandbox(c.pb.StopPodSandboxRequest(pod_sandbox_id=p.id), timeout=90)
                        c.runtime.RemovePodSandbox(c.pb.RemovePodSandboxRequest(pod_sandbox_id=p.id), timeout=90)


@pytest.fixture(scope="module")
def calls(host):
        host.write_file("/tmp/crio-dbus-call.py", CALL_SCRIPT)

        def run(items, user=None):
                prefix = NOBODY if user == "nobody" else []
                r = host.run([*prefix, "/usr/bin/python3", "/tmp/crio-dbus-call.py"], input=json.dumps(items),
                             timeout=120)
                return json.loads(r.stdout)
        return run


@pytest.fixture(scope="module")
def listener(host):
        """The signals caught since the module started, as dicts."""
        host.write_file("/tmp/crio-dbus-listener.py", LISTENER)
        host.run(f"rm -f {LISTEN_OUT}; /usr/bin/python3 /tmp/crio-dbus-listener.py {LISTEN_OUT} "
                 f">/tmp/crio-dbus-listener.log 2>&1 & echo $! >{LISTEN_PID}")

        def read():
                out = []
                for line in host.read_file(LISTEN_OUT).splitlines():
                        try:
                                out.append(json.loads(line))
                        except ValueError:
                                pass
                return out
        wait_for(lambda: host.run(["test", "-e", LISTEN_OUT], check=False).returncode == 0 and
                 any(s["member"] == "ready" for s in read()), what="the signal listener")
        yield read
        host.run(f"kill $(cat {LISTEN_PID})", check=False)


def wait_for(pred, timeout=20, what="condition"):
        deadline = time.monotonic() + timeout
        while True:
                v = pred()
                if v:
                        return v
                if time.monotonic() > deadline:
                        raise AssertionError(f"timed out waiting for {what}")
                time.sleep(0.05)


def ctr_path(ctr_id):
        return f"{PATH}/container/{ctr_id}"


def busctl(host, *args, check=True, user=None):
        return host.run([*(NOBODY if user == "nobody" else []), "busctl", *args], check=check)


def busctl_json(host, *args, user=None):
        return json.loads(busctl(host, "--json=short", *args, user=user).stdout)


def get_all(host, ctr_id, user=None):
        out = busctl_json(host, "call", DEST, ctr_path(ctr_id), "org.freedesktop.DBus.Properties", "GetAll", "s",
                          IFACE, user=user)
        return {k: v["data"] for k, v in out["data"][0].items()}


def start_trapped(host, cri, ctr_id, signals):
        """Starts a container whose shell traps or ignores signals, and waits for that: a signal sent
        to the container's PID 1 before it has a handler is dropped, and a stop becomes a kill."""
        start(cri, ctr_id)
        mask = sum(1 << (s - 1) for s in signals)

        def ready():
                out = host.run(["cat", f"/proc/{prop(host, ctr_id, 'Pid')}/status"], check=False).stdout
                fields = dict(line.split(":\t", 1) for line in out.splitlines() if ":\t" in line)
                return (int(fields.get("SigCgt", "0"), 16) | int(fields.get("SigIgn", "0"), 16)) & mask == mask
        wait_for(ready, what=f"the signal handlers of {ctr_id[:12]}")


def prop(host, ctr_id, name):
        return busctl_json(host, "get-property", DEST, ctr_path(ctr_id), IFACE, name)["data"]


def managed_objects(host):
        out = busctl_json(host, "call", DEST, PATH, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects")
        return {path: {iface: {k: v["data"] for k, v in props.items()} for iface, props in ifaces.items()}
                for path, ifaces in out["data"][0].items()}


def changed(listener, ctr_id, key, value=None):
        """PropertiesChanged signals of the container that carry key (with value, if given)."""
        return [s for s in listener() if s["member"] == "PropertiesChanged" and s["path"] == ctr_path(ctr_id)
                and s["args"][0] == IFACE and key in s["args"][1] and (value is None or s["args"][1][key] == value)]


def manager_signals(listener, member, ctr_id):
        return [s for s in listener() if s["member"] == member and s["path"] == PATH and s["args"][0] in
                (ctr_id, ctr_path(ctr_id))]


def cri_ids(cri):
        return [c.id for c in cri.runtime.ListContainers(cri.pb.ListContainersRequest()).containers]


def new_pod(cri, name):
        return run_pod(cri, f"dbus{name}")


def loop_container(cri, pod, name, **kw):
        pod_id, pod_cfg = pod
        return create(cri, pod_id, pod_cfg, ctr_config(cri, name, command=["/bin/sh", "-c", LOOP], **kw))


def test_properties_tree_and_lookups(host, cri, calls, listener):
        pod = new_pod(cri, "props")
        ctr_id = loop_container(cri, pod, "web", labels={"app": "web"}, annotations={"note": "a b"})
        path = ctr_path(ctr_id)
        props = get_all(host, ctr_id)
        assert sorted(props) == sorted(PROPERTIES)
        assert props["State"] == "created" and props["StartedAt"] == 0 and props["ExitCode"] == 0
        start_trapped(host, cri, ctr_id, (15, 10))
        # Running by the time StartContainer returned.
        assert prop(host, ctr_id, "State") == "running"
        props = get_all(host, ctr_id)
        st = status(cri, ctr_id)
        expected = {
                "Id": ctr_id,
                "Name": f"k8s_web_dbusprops_test_uid-dbusprops_0",
                "Pod": f"{PATH}/pod/{pod[0]}",
                "PodId": pod[0],
                "Image": st.image.image,
                "ImageRef": st.image_ref,
                "State": "running",
                "Pid": props["Pid"],
                "Unit": f"crio-{ctr_id}.scope",
                "ConmonUnit": f"crio-conmon-{ctr_id}.scope",
                "CreatedAt": st.created_at,
                "StartedAt": st.started_at,
                "FinishedAt": 0,
                "ExitCode": 0,
                "Reason": "",
                "LogPath": st.log_path,
                "Labels": {"app": "web"},
                "Annotations": {"note": "a b"},
        }
        assert props == expected
        assert props["Pid"] > 0
        assert props["Image"] == IMAGE and props["LogPath"] == f"{LOG_DIR}/dbusprops/web.log"
        for name in PROPERTIES:
                assert prop(host, ctr_id, name) == props[name], name
        # The pid is the container's init, in the scope the Unit property names.
        assert f"/{props['Unit']}" in host.read_file(f"/proc/{props['Pid']}/cgroup")
        # Unprivileged callers read everything.
        assert get_all(host, ctr_id, user="nobody") == props
        # busctl tree lists it; introspection shows the interface; the pod lists it.
        assert path in busctl(host, "tree", "--list", DEST).stdout.split()
        assert IFACE in busctl(host, "introspect", DEST, path).stdout
        pod_containers = busctl_json(host, "get-property", DEST, f"{PATH}/pod/{pod[0]}", "org.crio1.Pod",
                                     "Containers")["data"]
        assert pod_containers == [path]

        # ContainerNew and InterfacesAdded came once it was created.
        new = wait_for(lambda: manager_signals(listener, "ContainerNew", ctr_id), what="ContainerNew")
        assert new[0]["args"] == [ctr_id, path] and new[0]["interface"] == "org.crio1.Manager"
        added = wait_for(lambda: [s for s in listener() if s["member"] == "InterfacesAdded" and s["args"][0] == path],
                         what="InterfacesAdded")
        assert added[0]["args"][1][IFACE]["State"] == "created"
        wait_for(lambda: changed(listener, ctr_id, "State", "running"), what="PropertiesChanged running")
        assert changed(listener, ctr_id, "StartedAt", props["StartedAt"])

        ids = cri_ids(cri)
        unique = next(ctr_id[:n] for n in range(1, 65) if sum(i.startswith(ctr_id[:n]) for i in ids) == 1)
        r = calls([
                dict(method="GetContainer", signature="s", args=[ctr_id]),
                dict(method="GetContainer", signature="s", args=[unique]),
                dict(method="GetContainer", signature="s", args=["web"]),
                dict(method="GetContainer", signature="s", args=[props["Name"]]),
                dict(method="GetContainer", signature="s", args=["nothing"]),
                dict(method="GetContainer", signature="s", args=["f" * 64]),
                dict(method="GetContainer", signature="s", args=["a/b"]),
                dict(method="ListContainers", signature="sa{ss}", args=["", {"app": "web"}]),
                dict(method="GetContainer", signature="s", args=["x" * 81]),
        ])
        assert [x.get("value") for x in r[:4]] == [path] * 4, r
        assert [x.get("error") for x in r[4:7]] == [NO_SUCH, NO_SUCH, INVALID_ARGS]
        assert r[7]["value"] == [[ctr_id, props["Name"], pod[0], IMAGE, "running", props["Unit"], path]]
        assert [x.get("message") for x in (r[4], r[5], r[8])] == \
                ['No container "nothing".', f'No container "{"f" * 64}".', 'No container "(too long)".'], r


def test_object_manager_matches_list_containers(host, cri, calls):
        pod = new_pod(cri, "om")
        created = loop_container(cri, pod, "created", labels={"set": "om", "n": "0"})
        running = loop_container(cri, pod, "running", labels={"set": "om", "n": "1"})
        start_trapped(host, cri, running, (15, 10))
        exited = create(cri, pod[0], pod[1], ctr_config(cri, "exited", command=["/bin/sh", "-c", "exit 4"],
                                                          labels={"set": "om", "n": "1"}))
        start(cri, exited)
        wait_for(lambda: status(cri, exited).state == cri.pb.CONTAINER_EXITED, what="exit")

        objects = managed_objects(host)
        ctrs = {p: v[IFACE] for p, v in objects.items() if p.startswith(f"{PATH}/container/")}
        listed = cri.runtime.ListContainers(cri.pb.ListContainersRequest()).containers
        assert set(ctrs) == {ctr_path(c.id) for c in listed}
        names = {cri.pb.CONTAINER_CREATED: "created", cri.pb.CONTAINER_RUNNING: "running",
                 cri.pb.CONTAINER_EXITED: "exited", cri.pb.CONTAINER_UNKNOWN: "unknown"}
        for c in listed:
                p = ctrs[ctr_path(c.id)]
                assert p["Id"] == c.id and p["PodId"] == c.pod_sandbox_id and p["CreatedAt"] == c.created_at
                assert p["State"] == names[c.state] and p["Labels"] == dict(c.labels)
                assert p["ImageRef"] == c.image_ref
                s = status(cri, c.id)
                assert (p["ExitCode"], p["Reason"], p["FinishedAt"]) == (s.exit_code, s.reason, s.finished_at)
        assert ctrs[ctr_path(exited)]["ExitCode"] == 4 and ctrs[ctr_path(exited)]["Reason"] == "Error"

        r = calls([
                dict(method="ListContainers", signature="sa{ss}", args=["", {"set": "om"}]),
                dict(method="ListContainers", signature="sa{ss}", args=["running", {"set": "om"}]),
                dict(method="ListContainers", signature="sa{ss}", args=["exited", {"set": "om"}]),
                dict(method="ListContainers", signature="sa{ss}", args=["created", {"n": "0", "set": "om"}]),
                dict(method="ListContainers", signature="sa{ss}", args=["", {"set": "om", "n": "1"}]),
                dict(method="ListContainers", signature="sa{ss}", args=["", {"set": "none"}]),
                dict(method="ListContainers", signature="sa{ss}", args=["stopped", {}]),
        ])
        # Oldest first, as ListContainers.
        assert [x[0] for x in r[0]["value"]] == [created, running, exited]
        assert [x[0] for x in r[1]["value"]] == [running]
        assert [x[0] for x in r[2]["value"]] == [exited]
        assert [x[0] for x in r[3]["value"]] == [created]
        assert [x[0] for x in r[4]["value"]] == [running, exited]
        assert r[5]["value"] == [] and r[6].get("error") == INVALID_ARGS

        # A Kubernetes name two containers share is ambiguous; so is an id prefix several share.
        other = new_pod(cri, "om2")
        twin = loop_container(cri, other, "created")
        ids = cri_ids(cri)
        r = calls([
                dict(method="GetContainer", signature="s", args=["created"]),
                dict(method="GetContainer", signature="s", args=["k8s_created_dbusom2_test_uid-dbusom2_0"]),
        ])
        assert r[0].get("error") == AMBIGUOUS and r[1] == {"ok": True, "value": ctr_path(twin)}, r
        assert r[0]["message"] == 'Several containers match the name "created".'

        # Each pod's Containers lists its own, oldest first, in GetManagedObjects (one list built for
        # all pods) as in a Get of the one property.
        objects = managed_objects(host)
        pods = {p: v["org.crio1.Pod"]["Containers"] for p, v in objects.items() if p.startswith(f"{PATH}/pod/")}
        assert pods[f"{PATH}/pod/{pod[0]}"] == [ctr_path(c) for c in (created, running, exited)]
        assert pods[f"{PATH}/pod/{other[0]}"] == [ctr_path(twin)]
        for p, listed in pods.items():
                assert busctl_json(host, "get-property", DEST, p, "org.crio1.Pod", "Containers")["data"] == listed
                assert all(objects[c][IFACE]["Pod"] == p for c in listed)
        assert sorted(c for listed in pods.values() for c in listed) == \
                sorted(p for p in objects if p.startswith(f"{PATH}/container/"))
        # A prefix several ids share, if these ids happen to share one.
        shared = [p for p in {i[:1] for i in ids} if sum(i.startswith(p) for i in ids) > 1]
        if shared:
                r = calls([dict(method="GetContainer", signature="s", args=[shared[0]]),
                           dict(method="KillContainer", signature="si", args=[shared[0], 9])])
                assert [x.get("error") for x in r] == [AMBIGUOUS] * 2, r
                assert [x["message"] for x in r] == [f'Several containers match the id prefix "{shared[0]}".'] * 2


def test_managed_objects_as_each_object_answers(host, cri):
        """crio builds the GetManagedObjects reply itself (src/dbus/bus-object-manager.c): it must be what
        sd-bus's object manager gave, each object's interfaces as Introspect lists them, each with the
        properties of a GetAll, in the same order and with the same types."""
        pod = new_pod(cri, "gmo")
        loop_container(cri, pod, "plain")
        # Not ASCII: the strings sd-bus checks as UTF-8 on our behalf.
        start(cri, loop_container(cri, pod, "utf8", annotations={"note": "grüße, ünïcödé"}))
        root = busctl_json(host, "call", DEST, PATH, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects")
        assert root["type"] == "a{oa{sa{sv}}}"
        objects = root["data"][0]
        paths = list(objects)
        # sd-bus's order: the containers (added last), then the pods.
        kinds = [p.split("/")[3] for p in paths]
        assert kinds == sorted(kinds) and set(kinds) == {"container", "pod"}
        children = {}
        for kind in ("container", "pod"):
                xml = busctl(host, "introspect", "--xml-interface", DEST, f"{PATH}/{kind}").stdout
                children[kind] = {f"{PATH}/{kind}/{n}" for n in re.findall(r'<node name="([^"/]+)"', xml)}
        assert set(paths) == children["container"] | children["pod"]
        assert any("grüße" in json.dumps(v, ensure_ascii=False) for v in objects.values())
        for path, ifaces in objects.items():
                xml = busctl(host, "introspect", "--xml-interface", DEST, path).stdout
                assert list(ifaces) == re.findall(r'<interface name="([^"]+)"', xml), path
                for iface, props in ifaces.items():
                        got = busctl_json(host, "call", DEST, path, "org.freedesktop.DBus.Properties", "GetAll", "s",
                                          iface)["data"][0]
                        assert list(props.items()) == list(got.items()), (path, iface)


def test_cri_stop_seen_on_dbus(host, cri, listener):
        pod = new_pod(cri, "cristop")
        ctr_id = loop_container(cri, pod, "main")
        start_trapped(host, cri, ctr_id, (15, 10))
        cri.runtime.StopContainer(cri.pb.StopContainerRequest(container_id=ctr_id, timeout=10), timeout=60)
        # Seen on D-Bus by the time the RPC returned, and announced with the exit code.
        assert prop(host, ctr_id, "State") == "exited" and prop(host, ctr_id, "ExitCode") == 3
        s = wait_for(lambda: changed(listener, ctr_id, "State", "exited"), what="PropertiesChanged exited")[0]
        st = status(cri, ctr_id)
        assert s["args"][1]["ExitCode"] == 3 and s["args"][1]["Reason"] == "Error"
        assert s["args"][1]["FinishedAt"] == st.finished_at


def test_exit_announced_with_exit_code(host, cri, listener):
        pod = new_pod(cri, "exit")
        ctr_id = create(cri, pod[0], pod[1], ctr_config(cri, "short", command=["/bin/sh", "-c", "sleep 0.5; exit 7"]))
        start(cri, ctr_id)
        s = wait_for(lambda: changed(listener, ctr_id, "ExitCode", 7), what="PropertiesChanged ExitCode")[0]
        assert s["args"][1]["State"] == "exited" and s["args"][1]["Reason"] == "Error"
        assert s["args"][1]["FinishedAt"] > 0
        assert status(cri, ctr_id).exit_code == 7


def test_stop_kill_remove_through_dbus(host, cri, calls, listener):
        pod = new_pod(cri, "ops")
        a = loop_container(cri, pod, "a")
        b = loop_container(cri, pod, "b")
        start_trapped(host, cri, a, (15, 10))
        start_trapped(host, cri, b, (15, 10))
        ids = cri_ids(cri)
        prefix = next(a[:n] for n in range(8, 65) if sum(i.startswith(a[:n]) for i in ids) == 1)

        # Manager.StopContainer answers once the container has exited: CRI sees it at once.
        assert calls([dict(method="StopContainer", signature="st", args=[prefix, 10])]) == [{"ok": True, "value": None}]
        s = status(cri, a)
        assert s.state == cri.pb.CONTAINER_EXITED and s.exit_code == 3
        # Idempotent, like CRI's.
        assert calls([dict(method="Stop", path=ctr_path(a), interface=IFACE, signature="t", args=[0])])[0]["ok"]
        # Killing an exited container is refused by name.
        assert calls([dict(method="KillContainer", signature="si", args=[a, 9])])[0].get("error") == FAILED

        # Kill on the object: USR1 makes it exit 5.
        assert calls([dict(method="Kill", path=ctr_path(b), interface=IFACE, signature="i", args=[10])]) == \
                [{"ok": True, "value": None}]
        wait_for(lambda: status(cri, b).state == cri.pb.CONTAINER_EXITED, what="exit after Kill")
        assert status(cri, b).exit_code == 5 and prop(host, b, "ExitCode") == 5

        # Remove on the object and on the Manager: gone from CRI when the call returns.
        assert calls([dict(method="Remove", path=ctr_path(a), interface=IFACE)]) == [{"ok": True, "value": None}]
        assert calls([dict(method="RemoveContainer", signature="s", args=[b])]) == [{"ok": True, "value": None}]
        assert a not in cri_ids(cri) and b not in cri_ids(cri)
        r = calls([dict(method="RemoveContainer", signature="s", args=[a]),
                   dict(method="Stop", path=ctr_path(b), interface=IFACE, signature="t", args=[0]),
                   dict(method="GetContainer", signature="s", args=[a])])
        assert [x.get("error") for x in r] == [NO_SUCH, UNKNOWN_OBJECT, NO_SUCH]
        assert busctl(host, "get-property", DEST, ctr_path(a), IFACE, "State", check=False).returncode != 0
        assert ctr_path(a) not in busctl(host, "tree", "--list", DEST).stdout.split()
        for ctr_id in (a, b):
                wait_for(lambda: manager_signals(listener, "ContainerRemoved", ctr_id), what="ContainerRemoved")
                removed = [s for s in listener() if s["member"] == "InterfacesRemoved" and s["args"][0] == ctr_path(ctr_id)]
                assert removed and IFACE in removed[0]["args"][1]
        pod_changes = [s for s in listener() if s["member"] == "PropertiesChanged" and
                       s["path"] == f"{PATH}/pod/{pod[0]}" and "Containers" in s["args"][1]]
        assert pod_changes and pod_changes[-1]["args"][1]["Containers"] == []


def test_stop_timeout_zero_kills_at_once(host, cri, calls, listener):
        pod = new_pod(cri, "kill0")
        ctr_id = create(cri, pod[0], pod[1], ctr_config(cri, "stubborn", command=[
                "/bin/sh", "-c", "trap '' TERM; while :; do sleep 0.1; done"]))
        start_trapped(host, cri, ctr_id, (15,))
        t = time.monotonic()
        # The administrator's 0 is not raised to ctr_stop_timeout: SIGKILL follows the ignored TERM.
        r = calls([dict(method="Stop", path=ctr_path(ctr_id), interface=IFACE, signature="t", args=[0])])
        assert r == [{"ok": True, "value": None}] and time.monotonic() - t < 10
        assert prop(host, ctr_id, "ExitCode") == 137 and status(cri, ctr_id).exit_code == 137
        wait_for(lambda: changed(listener, ctr_id, "ExitCode", 137), what="PropertiesChanged 137")


def test_caller_gone_before_the_reply(host, cri, calls):
        pod = new_pod(cri, "gone")
        ctr_id = create(cri, pod[0], pod[1], ctr_config(cri, "slow", command=[
                "/bin/sh", "-c", "trap 'sleep 1; exit 9' TERM; while :; do sleep 0.1; done"]))
        start_trapped(host, cri, ctr_id, (15,))
        # The StopContainer is sent, and the connection closed once the stop is under way (a caller
        # already gone is refused: its credentials cannot be checked), long before the exit.
        host.write_file("/tmp/crio-dbus-gone.py", (
                "import dbus, dbus.lowlevel, time\n"
                "bus = dbus.SystemBus(private=True)\n"
                "m = dbus.lowlevel.MethodCallMessage('org.crio1', '/org/crio1', 'org.crio1.Manager', 'StopContainer')\n"
                f"m.append('{ctr_id}', 30, signature='st')\n"
                "bus.send_message(m)\nbus.flush()\ntime.sleep(0.5)\nbus.close()\n"))
        host.run(["/usr/bin/python3", "/tmp/crio-dbus-gone.py"])
        assert prop(host, ctr_id, "State") == "running"
        wait_for(lambda: prop(host, ctr_id, "State") == "exited", what="the exit")
        assert prop(host, ctr_id, "ExitCode") == 9
        # Still serving, and the next call on the container is answered.
        assert calls([dict(method="Remove", path=ctr_path(ctr_id), interface=IFACE)]) == [{"ok": True, "value": None}]
        assert ctr_id not in cri_ids(cri)


def test_systemctl_stop_scope_is_seen(host, cri, listener):
        pod = new_pod(cri, "admin")
        ctr_id = loop_container(cri, pod, "main")
        start_trapped(host, cri, ctr_id, (15, 10))
        host.run(["systemctl", "stop", f"crio-{ctr_id}.scope"])
        wait_for(lambda: prop(host, ctr_id, "State") == "exited", what="State exited")
        assert status(cri, ctr_id).state == cri.pb.CONTAINER_EXITED
        wait_for(lambda: changed(listener, ctr_id, "State", "exited"), what="PropertiesChanged after systemctl stop")


def test_unprivileged_mutations_denied(host, cri, calls):
        pod = new_pod(cri, "guard")
        ctr_id = loop_container(cri, pod, "main")
        start_trapped(host, cri, ctr_id, (15, 10))
        path = ctr_path(ctr_id)
        r = calls([
                dict(method="StopContainer", signature="st", args=[ctr_id, 10]),
                dict(method="KillContainer", signature="si", args=[ctr_id, 9]),
                dict(method="RemoveContainer", signature="s", args=[ctr_id]),
                dict(method="Stop", path=path, interface=IFACE, signature="t", args=[10]),
                dict(method="Kill", path=path, interface=IFACE, signature="i", args=[9]),
                dict(method="Remove", path=path, interface=IFACE),
                dict(method="GetContainer", signature="s", args=[ctr_id]),
        ], user="nobody")
        for x in r[:6]:
                assert x.get("error") == ACCESS_DENIED and "org.crio1.manage" in x["message"], r
        assert r[6] == {"ok": True, "value": path}
        assert status(cri, ctr_id).state == cri.pb.CONTAINER_RUNNING
        assert prop(host, ctr_id, "State") == "running"


def test_bad_arguments(host, cri, calls):
        pod = new_pod(cri, "bad")
        ctr_id = loop_container(cri, pod, "main")
        path = ctr_path(ctr_id)
        r = calls([
                dict(method="StopContainer", signature="st", args=["XYZ", 10]),
                dict(method="StopContainer", signature="st", args=[ctr_id, 10 ** 12]),
                dict(method="KillContainer", signature="si", args=[ctr_id, 0]),
                dict(method="KillContainer", signature="si", args=[ctr_id, -9]),
                dict(method="KillContainer", signature="si", args=[ctr_id, 4096]),
                dict(method="RemoveContainer", signature="s", args=["0" * 65]),
                dict(method="Stop", path=path, interface=IFACE, signature="t", args=[2 ** 64 - 1]),
                dict(method="Kill", path=path, interface=IFACE, signature="i", args=[99999]),
                dict(method="Kill", path=path, interface=IFACE, signature="s", args=["KILL"]),
                dict(method="StopContainer", signature="st", args=["0" * 64, 10]),
                dict(method="KillContainer", signature="si", args=["0123", 9]),
                dict(method="RemoveContainer", signature="s", args=["0" * 64]),
        ])
        assert [x.get("error") for x in r] == [INVALID_ARGS] * 9 + [NO_SUCH] * 3, r
        for p in (ctr_path("0" * 64), ctr_path("0123"), f"{PATH}/container/XYZ"):
                r = calls([dict(method="Get", path=p, interface="org.freedesktop.DBus.Properties", signature="ss",
                                args=[IFACE, "State"]),
                           dict(method="Remove", path=p, interface=IFACE)])
                assert [x.get("error") for x in r] == [UNKNOWN_OBJECT] * 2, (p, r)
        # Still serving, and the container untouched.
        assert prop(host, ctr_id, "State") == "created"


def test_introspection_matches_file(host, cri, repo_root):
        pod = new_pod(cri, "xml")
        ctr_id = loop_container(cri, pod, "main")
        xml = busctl(host, "introspect", "--xml-interface", DEST, ctr_path(ctr_id)).stdout
        m = re.search(r'(?ms)^ *<interface name="org\.crio1\.Container">.*?</interface>\n', xml)
        assert m, xml
        live = ('<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"\n'
                '"http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">\n'
                "<!-- org.crio1.Container as crio serves it; regenerated by tests/integration/test_dbus_containers.py "
                "(CRIO_UPDATE_DBUS_XML=1). -->\n"
                "<node>\n" + m.group(0) + "</node>\n")
        path = os.path.join(repo_root, "dbus", "org.crio1.Container.xml")
        if os.environ.get("CRIO_UPDATE_DBUS_XML") == "1":
                with open(path, "w") as f:
                        f.write(live)
        with open(path) as f:
                assert f.read() == live, \
                        "dbus/org.crio1.Container.xml differs from the vtable: rerun with CRIO_UPDATE_DBUS_XML=1"


def test_man_page_lists_container_interface(repo_root):
        with open(os.path.join(repo_root, "dbus", "org.crio1.Container.xml")) as f:
                members = re.findall(r'<(?:method|property|signal) name="(\w+)"', f.read())
        with open(os.path.join(repo_root, "dbus", "org.crio1.5")) as f:
                man = f.read()
        assert sorted(members) == sorted(PROPERTIES + ["Stop", "Kill", "Remove"])
        assert "org.crio1.Container" in man
        missing = [m for m in members if f"\\fB{m}\\fR" not in man]
        assert not missing, missing


def test_zz_no_sanitizer_reports(host, cri):
        """Under an ASan/UBSan build: crio stopped while a D-Bus StopContainer waits reports no error or leak."""
        # Everything else goes first: the restarted crio will not know what is left (no state yet).
        for p in cri.runtime.ListPodSandbox(cri.pb.ListPodSandboxRequest()).items:
                cri.runtime.StopPodSandbox(cri.pb.StopPodSandboxRequest(pod_sandbox_id=p.id), timeout=90)
                cri.runtime.RemovePodSandbox(cri.pb.RemovePodSandboxRequest(pod_sandbox_id=p.id), timeout=90)
        pod = new_pod(cri, "asan")
        ctr_id = create(cri, pod[0], pod[1], ctr_config(cri, "stubborn", command=[
                "/bin/sh", "-c", "trap '' TERM; while :; do sleep 0.1; done"]))
        start_trapped(host, cri, ctr_id, (15,))
        host.write_file("/tmp/crio-dbus-pending.py", (
                "import dbus, dbus.lowlevel, time\n"
                "bus = dbus.SystemBus(private=True)\n"
                "m = dbus.lowlevel.MethodCallMessage('org.crio1', '/org/crio1', 'org.crio1.Manager', 'StopContainer')\n"
                f"m.append('{ctr_id}', 300, signature='st')\n"
                "bus.send_message(m)\nbus.flush()\ntime.sleep(60)\n"))
        host.run("/usr/bin/python3 /tmp/crio-dbus-pending.py >/dev/null 2>&1 & echo $! >/tmp/crio-dbus-pending.pid")
        try:
                wait_for(lambda: "D-Bus client" in host.journal("crio.service") and
                         f"asks to stop container k8s_stubborn" in host.journal("crio.service"), what="the stop")
                # This crio's lines only: reports of earlier instances are other modules' business.
                invocation = host.run(["systemctl", "show", "-P", "InvocationID", "crio.service"]).stdout.strip()
                host.run(["systemctl", "reset-failed", "crio.service"], check=False)
                host.stop_crio()
                text = host.journal("crio.service", args=[f"_SYSTEMD_INVOCATION_ID={invocation}"])
                assert "D-Bus client" in text
                # The report's first line names LeakSanitizer or the error; its summary comes last.
                for marker in ("LeakSanitizer", "runtime error:", "AddressSanitizer"):
                        assert marker not in text, text[text.index(marker) - 200:][:4000]
        finally:
                host.run("kill $(cat /tmp/crio-dbus-pending.pid)", check=False)
                host.start_crio()
                # The restarted crio does not know the container (no state yet): its scopes, runtime
                # state and overlay mount are cleared by hand, so later modules find none.
                host.run(f"systemctl kill -s KILL crio-{ctr_id}.scope crio-conmon-{ctr_id}.scope; "
                         f"systemctl stop crio-{ctr_id}.scope crio-conmon-{ctr_id}.scope; runc delete -f {ctr_id}; "
                         f"pid=$(systemctl show -P MainPID crio); "
                         f"for m in $(awk '{{print $5}}' /proc/$pid/mountinfo | grep {ctr_id}); do "
                         f"nsenter -t $pid -m umount $m; done", check=False)
