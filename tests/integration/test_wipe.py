"""crio wipe, crio check, internal_wipe, internal_repair and crio-wipe.service in the systemd test host.

Uses the registry and busybox image of test_containers.py. crio runs here on a storage of its own (root,
runroot and the version and clean-shutdown stamps under test directories, from a drop-in), so that
wiping it leaves the other modules' images alone. A reboot is played by removing version_file (which
lives on a tmpfs), an upgrade by an older version_file_persist, an unclean shutdown by SIGKILL.
Every test ends with no container, pod, mount or unit of its own left on the host.
"""

import json
import os
import re

import grpc
import pytest

from test_containers import IMAGE, create, ctr_config, host, run_pod, start, status, wait_for  # noqa: F401
from testhost import rewrite_exec_paths
from cri_client import CriClient

pytestmark = [pytest.mark.testhost]

CRIO = "/usr/local/bin/crio"
ROOT = "/var/lib/containers/wipe-test/storage"
RUNROOT = "/run/crio-wipe-test/storage"
VERSION = "/run/crio-wipe-test/version"
STAMPS = "/var/lib/crio/wipe-test"
VERSION_PERSIST = f"{STAMPS}/version"
CLEAN = f"{STAMPS}/clean.shutdown"
MARKER = "/run/crio/crio-wipe-done"
DROP_IN = "/etc/crio/crio.conf.d/60-wipe-test.conf"
WIPE_UNIT = "/etc/systemd/system/crio-wipe.service"
POD_DIR = "/run/crio/pods"


def write_drop_in(h, internal_wipe=False, internal_repair=True):
        h.write_file(DROP_IN, f"""[crio]
root = "{ROOT}"
runroot = "{RUNROOT}"
version_file = "{VERSION}"
version_file_persist = "{VERSION_PERSIST}"
clean_shutdown_file = "{CLEAN}"
internal_wipe = {str(internal_wipe).lower()}
internal_repair = {str(internal_repair).lower()}
""")


SANITIZER_MARKERS = ("AddressSanitizer", "LeakSanitizer", "runtime error:")


def crio(h, *args):
        """The crio command line in the host; its log lines go to stderr."""
        r = h.run([CRIO, *args], check=False, timeout=120)
        for marker in SANITIZER_MARKERS:
                assert marker not in r.stderr, r.stderr
        return r


def client(h):
        # Generous: the test machines are shared and often loaded.
        return CriClient(h.crio_socket(), timeout=30)


def start_crio(h):
        h.run(["systemctl", "reset-failed", "crio.service"], check=False)
        h.start_crio()


def stop_crio(h):
        h.run(["systemctl", "stop", "crio.service"], timeout=60)


def kill_crio(h):
        """SIGKILL, then a stop so that Restart= does not bring it back: an unclean shutdown."""
        h.run(["systemctl", "kill", "-s", "KILL", "crio.service"])
        wait_for(lambda: h.run(["systemctl", "is-active", "crio.service"], check=False).stdout.strip()
                 in ("failed", "inactive", "activating"), 10, "crio to die")
        stop_crio(h)


def ids(h, path):
        out = h.run(f"ls {path} 2>/dev/null || true").stdout.split()
        return sorted(x for x in out if re.fullmatch(r"[0-9a-f]{64}", x))


def mounts(h):
        return h.run(["cat", "/proc/self/mountinfo"]).stdout


def active(h, unit):
        return h.run(["systemctl", "is-active", unit], check=False).stdout.strip()


def exists(h, path):
        return os.path.lexists(h.path(path))


def images(c):
        return sorted(t for i in c.image.ListImages(c.pb.ListImagesRequest()).images for t in i.repo_tags)


def pull(c):
        c.image.PullImage(c.pb.PullImageRequest(image=c.pb.ImageSpec(image=IMAGE)), timeout=120)


def clear(h):
        """Removes every pod through CRI (crio running). The host is shared: a pod another module left
        behind may refuse to go (its CNI plugin gone, say); that is not this module's failure."""
        with client(h) as c:
                for p in c.runtime.ListPodSandbox(c.pb.ListPodSandboxRequest()).items:
                        try:
                                c.runtime.StopPodSandbox(c.pb.StopPodSandboxRequest(pod_sandbox_id=p.id), timeout=90)
                                c.runtime.RemovePodSandbox(c.pb.RemovePodSandboxRequest(pod_sandbox_id=p.id),
                                                           timeout=90)
                        except grpc.RpcError as e:
                                print(f"pod {p.id} ({p.metadata.name}) left: {e.details()}")


def nothing_left(h, ctr_ids=(), pod_ids=()):
        """No trace of these containers and pods: directories, mounts, units, pins."""
        m = mounts(h)
        for cid in ctr_ids:
                assert cid not in ids(h, f"{ROOT}/overlay-containers"), cid
                assert cid not in ids(h, f"{RUNROOT}/overlay-containers"), cid
                assert cid not in m, f"mount of {cid} left"
                assert active(h, f"crio-{cid}.scope") != "active"
                assert active(h, f"crio-conmon-{cid}.scope") != "active"
                assert not exists(h, f"/run/runc/{cid}")
        for pid in pod_ids:
                assert pid not in m, f"mount of pod {pid} left"
                assert not exists(h, f"{POD_DIR}/{pid}")
                for ns in ("ipcns", "utsns", "netns"):
                        assert not exists(h, f"/var/run/{ns}/{pid}")


@pytest.fixture(scope="module")
def wipe_host(host):
        seen = len(host.journal().splitlines())
        write_drop_in(host)
        host.run(["rm", "-rf", VERSION_PERSIST, CLEAN, CLEAN + ".supported", MARKER])
        # The image store makes its root, not the parents.
        host.run(["mkdir", "-p", ROOT])
        stop_crio(host)
        start_crio(host)
        yield host
        host.run(["rm", "-f", DROP_IN, WIPE_UNIT, MARKER])
        host.run(["systemctl", "daemon-reload"])
        start_crio(host)
        clear(host)
        stop_crio(host)
        # The storage of this module: nothing may be mounted below it any more.
        assert ROOT not in mounts(host) and RUNROOT not in mounts(host)
        host.run(["rm", "-rf", "/var/lib/containers/wipe-test", "/run/crio-wipe-test", STAMPS])
        start_crio(host)
        # What this module's crio and crio wipe logged (under ASan, their reports too).
        journal = "\n".join(host.journal().splitlines()[seen:])
        for marker in SANITIZER_MARKERS:
                assert marker not in journal


@pytest.fixture
def cri(wipe_host):
        start_crio(wipe_host)
        with client(wipe_host) as c:
                pull(c)
                yield c
        write_drop_in(wipe_host)
        wipe_host.run(["rm", "-f", MARKER])
        start_crio(wipe_host)
        clear(wipe_host)


def running_container(c, name):
        """A pod (host network, own IPC and UTS) with a running container; returns (pod id, ctr id)."""
        pod_id, pod_cfg = run_pod(c, name)
        ctr_id = create(c, pod_id, pod_cfg, ctr_config(c, "main", command=["sleep", "1000"]))
        start(c, ctr_id)
        assert status(c, ctr_id).state == c.pb.CONTAINER_RUNNING
        return pod_id, ctr_id


def stamp(h, path):
        return json.loads(h.read_file(path))


def test_stamps_and_clean_shutdown(wipe_host, cri):
        h = wipe_host
        for path in (VERSION, VERSION_PERSIST):
                v = stamp(h, path)
                assert re.fullmatch(r"1\.36\.\d+(\+[0-9a-f]+)?", v), v
        assert not exists(h, CLEAN) and exists(h, CLEAN + ".supported")
        stop_crio(h)
        assert exists(h, CLEAN), "no clean-shutdown file after a clean stop"
        start_crio(h)
        assert not exists(h, CLEAN), "the clean-shutdown file outlived the start"
        kill_crio(h)
        assert not exists(h, CLEAN), "a killed crio wrote the clean-shutdown file"


def test_wipe_refused_while_crio_runs(wipe_host, cri):
        r = crio(wipe_host, "wipe", "--force")
        assert r.returncode != 0
        assert "running crio" in r.stderr


def test_reboot_wipes_containers_keeps_images(wipe_host, cri):
        h = wipe_host
        pod_id, ctr_id = running_container(cri, "reboot")
        stop_crio(h)
        assert active(h, f"crio-{ctr_id}.scope") == "active", "containers outlive crio"

        # Versions unchanged: nothing to do.
        r = crio(h, "wipe")
        assert r.returncode == 0 and "no wipe needed" in r.stderr, r.stderr
        assert ctr_id in ids(h, f"{ROOT}/overlay-containers")

        h.run(["rm", "-f", VERSION])
        r = crio(h, "wipe")
        assert r.returncode == 0, r.stderr
        nothing_left(h, [ctr_id], [pod_id])

        start_crio(h)
        with client(h) as c:
                assert IMAGE in images(c), "a reboot does not wipe images"
                assert not c.runtime.ListContainers(c.pb.ListContainersRequest()).containers
                assert not c.runtime.ListPodSandbox(c.pb.ListPodSandboxRequest()).items


def test_upgrade_wipes_images(wipe_host, cri):
        h = wipe_host
        pod_id, ctr_id = running_container(cri, "upgrade")
        stop_crio(h)
        h.write_file(VERSION_PERSIST, '"1.35.2+0123abcd"')

        # An upgrade without a reboot: crio wipe leaves it to the daemon (CRI-O's legacy rule).
        r = crio(h, "wipe")
        assert r.returncode == 0 and "did not reboot" in r.stderr, r.stderr
        assert ctr_id in ids(h, f"{ROOT}/overlay-containers")

        h.run(["rm", "-f", VERSION])
        r = crio(h, "wipe")
        assert r.returncode == 0, r.stderr
        assert "Wiped image" in r.stderr, r.stderr
        nothing_left(h, [ctr_id], [pod_id])
        start_crio(h)
        assert stamp(h, VERSION_PERSIST).startswith("1.36."), "the persistent stamp is rewritten at start"
        with client(h) as c:
                assert IMAGE not in images(c), "the image of the wiped container is gone"


def test_internal_wipe_at_start(wipe_host, cri):
        h = wipe_host
        pod_id, ctr_id = running_container(cri, "internal")
        stop_crio(h)
        write_drop_in(h, internal_wipe=True)
        h.write_file(VERSION_PERSIST, '"1.30.0"')
        # With internal_wipe the command leaves everything to the daemon.
        r = crio(h, "wipe")
        assert r.returncode == 0 and "internal_wipe" in r.stderr, r.stderr
        assert ctr_id in ids(h, f"{ROOT}/overlay-containers")

        start_crio(h)
        nothing_left(h, [ctr_id], [pod_id])
        with client(h) as c:
                assert IMAGE not in images(c)
                assert not c.runtime.ListContainers(c.pb.ListContainersRequest()).containers
                pull(c)
                pod2, ctr2 = running_container(c, "internal2")

        # A reboot alone: containers go, the image stays.
        stop_crio(h)
        h.run(["rm", "-f", VERSION])
        start_crio(h)
        nothing_left(h, [ctr2], [pod2])
        with client(h) as c:
                assert IMAGE in images(c)


def test_force(wipe_host, cri):
        h = wipe_host
        pod_id, ctr_id = running_container(cri, "force")
        stop_crio(h)
        write_drop_in(h, internal_wipe=True)
        r = crio(h, "wipe", "-f")
        assert r.returncode == 0, r.stderr
        nothing_left(h, [ctr_id], [pod_id])
        start_crio(h)
        with client(h) as c:
                assert IMAGE not in images(c), "--force wipes the images of the containers too"


def test_unclean_shutdown_then_reboot(wipe_host, cri):
        h = wipe_host
        pod_id, ctr_id = running_container(cri, "unclean")
        kill_crio(h)
        assert not exists(h, CLEAN) and exists(h, CLEAN + ".supported")
        h.run(["rm", "-f", VERSION, MARKER])

        r = crio(h, "wipe")
        assert r.returncode == 0, r.stderr
        assert "did not stop cleanly" in r.stderr, r.stderr
        nothing_left(h, [ctr_id], [pod_id])
        assert sorted(os.listdir(h.path(ROOT))) == ["storage.lock"], "the whole storage is wiped"
        assert exists(h, MARKER)
        # Once per boot.
        r = crio(h, "wipe")
        assert r.returncode == 0 and "earlier crio wipe" in r.stderr, r.stderr

        start_crio(h)
        with client(h) as c:
                assert IMAGE not in images(c)


def store_file(h, name):
        return h.path(f"{ROOT}/{name}")


def test_check_and_repair(wipe_host, cri):
        h = wipe_host
        r = crio(h, "check")
        assert r.returncode == 0, r.stderr
        stop_crio(h)

        # An image record that does not parse, beside the good one.
        path = store_file(h, "overlay-images/images.json")
        good = open(path).read()
        with open(path, "w") as f:
                f.write('[{"digest": 42},' + good.lstrip()[1:])
        r = crio(h, "check")
        assert r.returncode == 1, r.stderr
        assert "does not parse" in r.stderr and "1 image errors" in r.stderr, r.stderr
        r = crio(h, "check", "--repair")
        assert r.returncode == 0, r.stderr
        assert crio(h, "check").returncode == 0
        assert json.load(open(path)) == json.loads(good), "the good record is kept as it was"
        start_crio(h)
        with client(h) as c:
                assert IMAGE in images(c)

        # A layer without its directory: the layer and the image go.
        stop_crio(h)
        layer = json.load(open(path))[0]["layers"][-1].split(":")[1]
        h.run(["rm", "-rf", f"{ROOT}/overlay/{layer}"])
        r = crio(h, "check", "--quick")
        assert r.returncode == 1 and "is missing" in r.stderr, r.stderr
        assert "1 layer errors" in r.stderr and "1 image errors" in r.stderr, r.stderr
        assert crio(h, "check", "--repair").returncode == 0
        assert crio(h, "check").returncode == 0
        assert json.load(open(path)) == []
        start_crio(h)
        with client(h) as c:
                assert IMAGE not in images(c)


def test_check_container_damage_needs_force(wipe_host, cri):
        h = wipe_host
        pod_id, ctr_id = running_container(cri, "damaged")
        stop_crio(h)
        h.write_file(f"{ROOT}/overlay-containers/{ctr_id}/state.json", '{"id": ')
        r = crio(h, "check")
        assert r.returncode == 1 and "1 container errors" in r.stderr, r.stderr
        r = crio(h, "check", "--repair")
        assert r.returncode == 1, "without --force a damaged container stays an error"
        assert ctr_id in ids(h, f"{ROOT}/overlay-containers")
        r = crio(h, "check", "--repair", "--force")
        assert r.returncode == 0, r.stderr
        nothing_left(h, [ctr_id])
        assert crio(h, "check").returncode == 0


def test_internal_repair_after_unclean_shutdown(wipe_host, cri):
        h = wipe_host
        kill_crio(h)
        # An index that does not parse at all would keep crio from starting, without the repair.
        path = store_file(h, "overlay-images/images.json")
        with open(path, "w") as f:
                f.write('[{"digest": "sha256:')
        start_crio(h)
        journal = h.journal("crio.service")
        assert "because of unclean shutdown" in journal
        with client(h) as c:
                assert IMAGE not in images(c)
                pull(c)
                assert IMAGE in images(c)
        assert crio(h, "check").returncode == 0


def monotonic(h, unit, prop):
        return int(h.run(["systemctl", "show", "-P", prop, unit]).stdout.strip() or 0)


def test_crio_wipe_service_runs_first(wipe_host, cri, build_dir):
        h = wipe_host
        pod_id, ctr_id = running_container(cri, "service")
        unit = open(os.path.join(build_dir, "units", "crio-wipe.service")).read()
        h.write_file(WIPE_UNIT, rewrite_exec_paths(unit))
        h.run(["systemctl", "daemon-reload"])
        try:
                stop_crio(h)
                h.run(["rm", "-f", VERSION])
                start_crio(h)
                started = monotonic(h, "crio.service", "ExecMainStartTimestampMonotonic")
                wiped = monotonic(h, "crio-wipe.service", "ExecMainExitTimestampMonotonic")
                assert h.run(["systemctl", "show", "-P", "Result", "crio-wipe.service"]).stdout.strip() == "success"
                assert 0 < wiped <= started, (wiped, started)
                assert "Wiped container" in h.journal("crio-wipe.service")
                nothing_left(h, [ctr_id], [pod_id])
                with client(h) as c:
                        assert IMAGE in images(c)
        finally:
                h.run(["rm", "-f", WIPE_UNIT])
                h.run(["systemctl", "daemon-reload"])
                h.run(["systemctl", "reset-failed", "crio-wipe.service"], check=False)
        assert active(h, "crio-wipe.service") in ("inactive", "unknown")
