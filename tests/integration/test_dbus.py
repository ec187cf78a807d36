"""The org.crio1 D-Bus API (dbus/, src/dbus/) of a crio running in the systemd test host.

busctl and python3-dbus run inside the host, where the system bus is. No pod or container is made
here (pods: test_dbus_pods.py): lists are empty and lookups answer NoSuchPod/NoSuchContainer, after
argument checks.

CRIO_UPDATE_DBUS_XML=1 rewrites dbus/org.crio1.Manager.xml from the running daemon instead of
failing when it differs.
"""

import json
import os
import re
import time

import pytest

from cri_client import CriClient

pytestmark = pytest.mark.testhost

DEST = "org.crio1"
PATH = "/org/crio1"
IFACE = "org.crio1.Manager"
INVALID_ARGS = "org.freedesktop.DBus.Error.InvalidArgs"
ACCESS_DENIED = "org.freedesktop.DBus.Error.AccessDenied"
NOBODY = ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups"]
ID = "0123456789abcdef" * 4

# Calls a list of methods with python3-dbus and prints, for each, its value or its error name.
CALL_SCRIPT = r'''
import json, sys
import dbus

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

bus = dbus.SystemBus()
out = []
for c in json.load(sys.stdin):
    obj = bus.get_object("org.crio1", c.get("path", "/org/crio1"), introspect=False)
    method = obj.get_dbus_method(c["method"], c.get("interface", "org.crio1.Manager"))
    try:
        r = method(*c.get("args", []), signature=c.get("signature", ""), timeout=c.get("timeout", 25))
        out.append({"ok": True, "value": plain(r)})
    except dbus.DBusException as e:
        out.append({"ok": False, "error": e.get_dbus_name(), "message": e.get_dbus_message()})
print(json.dumps(out))
'''

# Sends N calls without waiting for any answer, then drops the connection.
FLOOD_SCRIPT = r'''
import sys
import dbus, dbus.lowlevel

n = int(sys.argv[1])
bus = dbus.SystemBus(private=True)
calls = [
    ("org.freedesktop.DBus.Properties", "Get", "ss", ("org.crio1.Manager", "Version")),
    ("org.crio1.Manager", "ListPods", "sa{ss}", ("", {})),
    ("org.crio1.Manager", "GetContainer", "s", ("abc",)),
    ("org.crio1.Manager", "StopContainer", "st", ("abc", 10)),
    ("org.crio1.Manager", "KillContainer", "si", ("abc", 99)),
    ("org.crio1.Manager", "Reload", "s", ("wrong signature",)),
    ("org.freedesktop.DBus.ObjectManager", "GetManagedObjects", "", ()),
]
for i in range(n):
    iface, member, sig, args = calls[i % len(calls)]
    m = dbus.lowlevel.MethodCallMessage("org.crio1", "/org/crio1", iface, member)
    if sig:
        m.append(*args, signature=sig)
    bus.send_message(m)
bus.flush()
bus.close()
print("sent", n)
'''


@pytest.fixture(scope="module")
def calls(testhost):
    testhost.write_file("/tmp/crio-dbus-call.py", CALL_SCRIPT)

    def run(items, user=None):
        prefix = NOBODY if user == "nobody" else []
        r = testhost.run([*prefix, "/usr/bin/python3", "/tmp/crio-dbus-call.py"], input=json.dumps(items),
                         timeout=120)
        return json.loads(r.stdout)
    return run


def call(calls, method, signature="", *args, user=None, **kw):
    return calls([dict(method=method, signature=signature, args=list(args), **kw)], user=user)[0]


def busctl(host, *args, check=True):
    return host.run(["busctl", *args], check=check)


def busctl_json(host, *args):
    return json.loads(busctl(host, "--json=short", *args).stdout)


def test_system_bus_is_the_one_asked_for(testhost):
    # tools/test.sh runs the D-Bus modules again with CRIO_TEST_BUS=dbus-broker (Fedora's and RHEL's bus).
    assert testhost.run(["pidof", testhost.bus]).stdout.strip()


def test_name_owned_by_crio(testhost):
    pid = testhost.run(["systemctl", "show", "-p", "MainPID", "--value", "crio.service"]).stdout.strip()
    out = busctl_json(testhost, "call", "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                      "GetConnectionUnixProcessID", "s", DEST)
    assert str(out["data"][0]) == pid
    assert "Serving the D-Bus API as org.crio1" in testhost.journal("crio.service")


def test_properties(testhost):
    want = {
            "Version": "1.36.0",
            "RuntimeApiVersion": "v1",
            "DefaultRuntime": "runc",
            "CgroupManager": "systemd",
            "RuntimeReady": True,
            "NetworkReady": False,
    }
    for name, value in want.items():
        assert busctl_json(testhost, "get-property", DEST, PATH, IFACE, name)["data"] == value, name
    out = busctl_json(testhost, "call", DEST, PATH, "org.freedesktop.DBus.Properties", "GetAll", "s", IFACE)
    assert {k: v["data"] for k, v in out["data"][0].items()} == want


def test_tree_and_object_manager(testhost):
    tree = busctl(testhost, "tree", "--list", DEST).stdout.split()
    assert {"/org/crio1", "/org/crio1/pod", "/org/crio1/container"} <= set(tree)
    out = busctl_json(testhost, "call", DEST, PATH, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects")
    assert out["type"] == "a{oa{sa{sv}}}"
    assert out["data"] == [{}]


def test_introspection_matches_file(testhost, repo_root):
    xml = busctl(testhost, "introspect", "--xml-interface", DEST, PATH).stdout
    m = re.search(r'(?ms)^ *<interface name="org\.crio1\.Manager">.*?</interface>\n', xml)
    assert m, xml
    live = ('<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"\n'
            '"http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">\n'
            "<!-- org.crio1.Manager as crio serves it; regenerated by tests/integration/test_dbus.py "
            "(CRIO_UPDATE_DBUS_XML=1). -->\n"
            "<node>\n" + m.group(0) + "</node>\n")
    path = os.path.join(repo_root, "dbus", "org.crio1.Manager.xml")
    if os.environ.get("CRIO_UPDATE_DBUS_XML") == "1":
        with open(path, "w") as f:
            f.write(live)
    with open(path) as f:
        assert f.read() == live, "dbus/org.crio1.Manager.xml differs from the vtable: rerun with CRIO_UPDATE_DBUS_XML=1"
    for arg in ('name="state"', 'name="labels"', 'name="timeout"', 'name="signal"', 'name="pods"'):
        assert arg in live


def test_man_page_lists_everything(repo_root):
    """dbus/org.crio1.5 documents every member of the introspection XML."""
    with open(os.path.join(repo_root, "dbus", "org.crio1.Manager.xml")) as f:
        members = re.findall(r'<(?:method|property|signal) name="(\w+)"', f.read())
    with open(os.path.join(repo_root, "dbus", "org.crio1.5")) as f:
        man = f.read()
    assert len(members) == 23  # 6 properties, 13 methods, 4 signals
    missing = [m for m in members if f"\\fB{m}\\fR" not in man]
    assert not missing, missing


def test_lists_match_cri(calls, crio_socket):
    """The D-Bus lists show what CRI shows (other test files may have left objects in the host)."""
    r = calls([
        dict(method="ListPods", signature="sa{ss}", args=["", {}]),
        dict(method="ListPods", signature="sa{ss}", args=["ready", {"app": "web-no-such-label"}]),
        dict(method="ListContainers", signature="sa{ss}", args=["", {}]),
        dict(method="ListContainers", signature="sa{ss}", args=["running", {"a-no-such-label": ""}]),
        dict(method="ListImages", signature="s", args=[""]),
        dict(method="ListImages", signature="s", args=["docker.io/library/none:latest"]),
    ])
    assert all(x["ok"] for x in r), r
    with CriClient(crio_socket) as c:
        pods = c.runtime.ListPodSandbox(c.pb.ListPodSandboxRequest(), timeout=10).items
        containers = c.runtime.ListContainers(c.pb.ListContainersRequest(), timeout=10).containers
        images = c.image.ListImages(c.pb.ListImagesRequest(), timeout=10).images
    assert sorted(p[0] for p in r[0]["value"]) == sorted(p.id for p in pods)
    assert r[1]["value"] == []
    assert sorted(x[0] for x in r[2]["value"]) == sorted(x.id for x in containers)
    assert r[3]["value"] == []
    assert len(r[4]["value"]) == len(images)
    assert r[5]["value"] == []


def test_list_filters_are_checked(calls):
    r = calls([
        dict(method="ListPods", signature="sa{ss}", args=["running", {}]),
        dict(method="ListPods", signature="sa{ss}", args=["", {"": "x"}]),
        dict(method="ListContainers", signature="sa{ss}", args=["ready", {}]),
    ])
    assert [x.get("error") for x in r] == [INVALID_ARGS] * 3, r


def test_get_answers_no_such(calls):
    r = calls([
        dict(method="GetPod", signature="s", args=["nginx"]),
        dict(method="GetPod", signature="s", args=[ID[:12]]),
        dict(method="GetContainer", signature="s", args=["web-1"]),
        dict(method="GetContainer", signature="s", args=[ID]),
    ])
    assert [x.get("error") for x in r] == ["org.crio1.NoSuchPod"] * 2 + ["org.crio1.NoSuchContainer"] * 2, r


def test_get_bad_keys(calls):
    bad = ["", "a/b", "x" * 254, "sp ace", "ünïcode"]
    r = calls([dict(method=m, signature="s", args=[k]) for m in ("GetPod", "GetContainer") for k in bad])
    assert all(x.get("error") == INVALID_ARGS for x in r), r


def test_mutating_methods_no_such(calls):
    r = calls([
        dict(method="StopPod", signature="s", args=[ID]),
        dict(method="RemovePod", signature="s", args=["abc"]),
        dict(method="StopContainer", signature="st", args=[ID, 30]),
        dict(method="StopContainer", signature="st", args=["abc", 0]),
        dict(method="RemoveContainer", signature="s", args=[ID]),
        dict(method="KillContainer", signature="si", args=[ID, 9]),
        dict(method="KillContainer", signature="si", args=["abc", 64]),
    ])
    assert [x.get("error") for x in r] == ["org.crio1.NoSuchPod"] * 2 + ["org.crio1.NoSuchContainer"] * 5, r


@pytest.mark.parametrize("method,signature,args", [
    ("StopPod", "s", [""]),
    ("StopPod", "s", ["ABC"]),
    ("RemovePod", "s", [ID + "0"]),
    ("RemovePod", "s", ["../../etc"]),
    ("StopContainer", "st", ["xyz", 10]),
    ("StopContainer", "st", [ID, 2 ** 64 - 1]),
    ("StopContainer", "st", [ID, 10 ** 9]),
    ("RemoveContainer", "s", ["-1"]),
    ("KillContainer", "si", [ID, 0]),
    ("KillContainer", "si", [ID, -9]),
    ("KillContainer", "si", [ID, 65]),
    ("KillContainer", "si", [ID, 2 ** 31 - 1]),
    ("KillContainer", "si", ["", 9]),
    # Wrong signatures: sd-bus refuses them before our code runs.
    ("StopContainer", "s", [ID]),
    ("KillContainer", "ss", [ID, "KILL"]),
    ("Reload", "s", ["now"]),
    ("ListPods", "s", [""]),
    ("PullImage", "s", ["busybox"]),
    ("PullImage", "sa{sv}", ["", {}]),
    ("PullImage", "sa{sv}", ["busy box", {}]),
    ("PullImage", "sa{sv}", ["busybox", {"colour": "blue"}]),
    ("PullImage", "sa{sv}", ["busybox", {"auth": "!!!not base64"}]),
    ("RemoveImage", "s", [""]),
])
def test_bad_arguments_are_invalid_args(calls, method, signature, args):
    r = call(calls, method, signature, *args)
    assert r.get("error") == INVALID_ARGS, r


def test_image_methods(calls):
    r = calls([
        dict(method="RemoveImage", signature="s", args=["docker.io/library/none:latest"]),
        # Nothing listens on port 1 of the host's loopback: the pull fails at once.
        dict(method="PullImage", signature="sa{sv}", args=["localhost:1/none:latest", {}], timeout=60),
    ])
    assert r[0].get("error") == "org.crio1.NoSuchImage", r
    assert r[1].get("error") == "org.crio1.PullFailed", r
    assert "localhost:1" in r[1]["message"]


def test_reload_logs_and_keeps_serving(testhost, calls):
    before = testhost.journal("crio.service").count("Configuration reloaded")
    assert call(calls, "Reload") == {"ok": True, "value": None}
    deadline = time.monotonic() + 10
    while testhost.journal("crio.service").count("Configuration reloaded") == before:
        assert time.monotonic() < deadline, "no reload line in the journal"
        time.sleep(0.05)
    assert busctl_json(testhost, "get-property", DEST, PATH, IFACE, "Version")["data"] == "1.36.0"


def test_unprivileged_reads(calls):
    r = calls([
        dict(method="Get", interface="org.freedesktop.DBus.Properties", signature="ss", args=[IFACE, "Version"]),
        dict(method="GetAll", interface="org.freedesktop.DBus.Properties", signature="s", args=[IFACE]),
        dict(method="GetManagedObjects", interface="org.freedesktop.DBus.ObjectManager"),
        dict(method="Introspect", interface="org.freedesktop.DBus.Introspectable"),
        dict(method="ListPods", signature="sa{ss}", args=["", {}]),
        dict(method="ListContainers", signature="sa{ss}", args=["", {}]),
        dict(method="ListImages", signature="s", args=[""]),
        dict(method="GetPod", signature="s", args=["nginx"]),
        dict(method="GetContainer", signature="s", args=["nginx"]),
    ], user="nobody")
    assert r[0] == {"ok": True, "value": "1.36.0"}
    assert r[1]["ok"] and r[1]["value"]["CgroupManager"] == "systemd"
    assert r[2]["ok"] and isinstance(r[2]["value"], dict)
    assert r[3]["ok"] and "org.crio1.Manager" in r[3]["value"]
    assert all(x["ok"] and isinstance(x["value"], list) for x in r[4:7]), r
    assert [x.get("error") for x in r[7:]] == ["org.crio1.NoSuchPod", "org.crio1.NoSuchContainer"]


def test_unprivileged_mutations_denied(testhost, calls):
    before = testhost.journal("crio.service").count("Configuration reloaded")
    r = calls([
        dict(method="Reload"),
        dict(method="StopPod", signature="s", args=[ID]),
        dict(method="RemovePod", signature="s", args=[ID]),
        dict(method="StopContainer", signature="st", args=[ID, 10]),
        dict(method="RemoveContainer", signature="s", args=[ID]),
        dict(method="KillContainer", signature="si", args=[ID, 9]),
        dict(method="PullImage", signature="sa{sv}", args=["busybox", {}]),
        dict(method="RemoveImage", signature="s", args=["busybox"]),
        # Refused before the arguments are even looked at.
        dict(method="KillContainer", signature="si", args=["bad", 0]),
    ], user="nobody")
    for x in r:
        assert x.get("error") == ACCESS_DENIED, r
        # crio's own refusal, not the bus policy's.
        assert "org.crio1.manage" in x["message"], r
    assert testhost.journal("crio.service").count("Configuration reloaded") == before


POLKIT_RULE = "/etc/polkit-1/rules.d/50-crio-test.rules"


def test_polkit_grants_unprivileged(testhost, calls):
    """With a polkit rule granting org.crio1.manage to nobody, the mutating methods go through."""
    testhost.write_file(POLKIT_RULE, 'polkit.addRule(function(action, subject) {\n'
                        '    if (action.id == "org.crio1.manage" && subject.user == "nobody")\n'
                        '        return polkit.Result.YES;\n'
                        '});\n')
    try:
        # polkitd may be running already: it picks new rules up from inotify, soon but not at once.
        deadline = time.monotonic() + 15
        while True:
            r = calls([dict(method="Reload"), dict(method="KillContainer", signature="si", args=[ID, 9])],
                      user="nobody")
            if r[0].get("ok") or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert r[0] == {"ok": True, "value": None}, r
        # Past the access check, the call is answered like root's.
        assert r[1].get("error") == "org.crio1.NoSuchContainer", r
    finally:
        os.unlink(testhost.path(POLKIT_RULE))


def test_busctl_unprivileged(testhost):
    out = testhost.run([*NOBODY, "busctl", "get-property", DEST, PATH, IFACE, "Version"]).stdout
    assert out.strip() == 's "1.36.0"'
    r = testhost.run([*NOBODY, "busctl", "call", DEST, PATH, IFACE, "Reload"], check=False)
    assert r.returncode != 0 and "Access denied" in r.stderr


def test_flood_and_disconnect_keeps_serving(testhost, crio_socket, calls):
    testhost.write_file("/tmp/crio-dbus-flood.py", FLOOD_SCRIPT)
    for user in ([], NOBODY):
        out = testhost.run([*user, "/usr/bin/python3", "/tmp/crio-dbus-flood.py", "1000"], timeout=120).stdout
        assert "sent 1000" in out
    assert call(calls, "Get", "ss", IFACE, "Version", interface="org.freedesktop.DBus.Properties") == \
        {"ok": True, "value": "1.36.0"}
    with CriClient(crio_socket) as c:
        assert c.runtime.Version(c.pb.VersionRequest(), timeout=5).runtime_name == "cri-o"
    state = testhost.run(["systemctl", "show", "-p", "ActiveState", "--value", "crio.service"]).stdout.strip()
    assert state == "active"
