"""Containers through CRI against crio in the systemd test host, with Debian's conmon, runc and crun.

A busybox image (Debian's busybox-static with its applets, a passwd and group file) is built in the
host, pushed to a registry on the host's loopback (the way test_images.py does it) and pulled. Pods
run on the host network (no CNI needed) with their own IPC and UTS namespaces; containers are checked
from CRI (status, exec, stats), from systemd (crio-<id>.scope, crio-conmon-<id>.scope, systemctl
show) and from the journal and the CRI log file. The same basic life cycle runs under runc and crun
(a second handler "crun" from a crio.conf.d drop-in).
"""

import json
import os
import re
import shutil
import textwrap
import time

import grpc
import pytest

from cri_client import CriClient
from test_images import MKIMAGE, registry_config, sh, start_service

pytestmark = [
        pytest.mark.testhost,
        pytest.mark.skipif(not all(shutil.which(p) for p in ("docker-registry", "skopeo", "conmon", "runc"))
                           or not os.path.exists("/bin/busybox"),
                           reason="needs docker-registry, skopeo, conmon, runc and busybox-static"),
]

WORK = "/var/tmp/crio-containers-test"
PORT = 5133
REG = f"127.0.0.1:{PORT}"
IMAGE = f"{REG}/test/busybox:latest"
DROP_IN = "/etc/crio/crio.conf.d/50-containers-test.conf"
LOG_DIR = "/var/log/crio-test-pods"

PASSWD = "root:x:0:0:root:/root:/bin/sh\ntester:x:1234:1234:tester:/home/tester:/bin/sh\n"
GROUP = "root:x:0:\ntester:x:1234:\nextra:x:5555:tester\n"


def build_image(host, work, reg, tag="test/busybox:latest"):
        """A busybox image with every applet, /etc/passwd and /etc/group, pushed to reg."""
        host.write_file(f"{work}/mkimage.py", MKIMAGE)
        root = f"{work}/rootfs"
        sh(host, textwrap.dedent(f"""
                rm -rf {root} && mkdir -p {root}/bin {root}/etc {root}/proc {root}/sys {root}/dev {root}/tmp \
                        {root}/root {root}/home/tester {root}/data
                cp /bin/busybox {root}/bin/busybox
                for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox {root}/bin/$a; done
                chmod 1777 {root}/tmp
                printf '#!/bin/sh\\nexec sleep 2147483647\\n' > {root}/bin/pause && chmod 755 {root}/bin/pause
                """))
        host.write_file(f"{root}/etc/passwd", PASSWD)
        host.write_file(f"{root}/etc/group", GROUP)
        sh(host, f"python3 {work}/mkimage.py {work}/oci bb amd64 - {root} && "
                 f"skopeo --insecure-policy copy -q --dest-tls-verify=false oci:{work}/oci:bb docker://{reg}/{tag}",
           timeout=300)


PAUSE_IMAGE = f"{REG}/test/pause:latest"


def restart_crio(host):
        host.run(["systemctl", "reset-failed", "crio.service"], check=False)
        host.stop_crio()
        host.start_crio()


def clean_work_dir(host):
        """Removes WORK, lazily unmounting first what a test bind-mounted below it."""
        sh(host, f"findmnt -rn -o TARGET | grep '^{WORK}/' | sort -r | xargs -r -n1 umount -l; rm -rf {WORK}")


@pytest.fixture(scope="module")
def host(testhost):
        clean_work_dir(testhost)
        sh(testhost, f"mkdir -p {WORK}")
        testhost.write_file(f"{WORK}/registry.yml", registry_config(f"{WORK}/storage", PORT))
        start_service(testhost, "crio-test-ctr-registry", ["docker-registry", "serve", f"{WORK}/registry.yml"], PORT)
        build_image(testhost, WORK, REG)
        # The pause image: the same busybox under a name crio pulls itself, for the first pod needing it.
        sh(testhost, f"skopeo --insecure-policy copy -q --dest-tls-verify=false oci:{WORK}/oci:bb docker://{PAUSE_IMAGE}",
           timeout=300)
        crun = shutil.which("crun") or "/usr/bin/crun"
        testhost.write_file(DROP_IN, textwrap.dedent(f"""
                [crio.runtime]
                default_env = ["FROM_CONFIG=yes"]
                [crio.runtime.runtimes.crun]
                runtime_path = "{crun}"
                [crio.image]
                pause_image = "{PAUSE_IMAGE}"
                pause_command = "/bin/pause"
                """))
        restart_crio(testhost)
        with CriClient(testhost.crio_socket()) as c:
                c.image.PullImage(c.pb.PullImageRequest(image=c.pb.ImageSpec(image=IMAGE)), timeout=120)
        yield testhost
        testhost.run(["systemctl", "stop", "crio-test-ctr-registry"], check=False)
        clean_work_dir(testhost)
        testhost.run(["rm", "-rf", DROP_IN, LOG_DIR], check=False)
        restart_crio(testhost)


@pytest.fixture
def cri(host):
        with CriClient(host.crio_socket()) as c:
                yield c
                for p in c.runtime.ListPodSandbox(c.pb.ListPodSandboxRequest()).items:
                        c.runtime.StopPodSandbox(c.pb.StopPodSandboxRequest(pod_sandbox_id=p.id), timeout=90)
                        c.runtime.RemovePodSandbox(c.pb.RemovePodSandboxRequest(pod_sandbox_id=p.id), timeout=90)


def pod_config(cri, name, handler=""):
        pb = cri.pb
        ns = pb.NamespaceOption(network=pb.NODE, ipc=pb.POD, pid=pb.CONTAINER)
        return pb.PodSandboxConfig(
                metadata=pb.PodSandboxMetadata(name=name, namespace="test", uid=f"uid-{name}", attempt=0),
                hostname=name, log_directory=f"{LOG_DIR}/{name}",
                linux=pb.LinuxPodSandboxConfig(security_context=pb.LinuxSandboxSecurityContext(namespace_options=ns)))


def run_pod(cri, name, handler=""):
        config = pod_config(cri, name)
        pod_id = cri.runtime.RunPodSandbox(cri.pb.RunPodSandboxRequest(config=config, runtime_handler=handler),
                                           timeout=60).pod_sandbox_id
        return pod_id, config


def ctr_config(cri, name, command=None, args=None, **kw):
        pb = cri.pb
        linux = kw.pop("linux", None) or pb.LinuxContainerConfig()
        config = pb.ContainerConfig(metadata=pb.ContainerMetadata(name=name), image=pb.ImageSpec(image=IMAGE),
                                    command=command or [], args=args or [], log_path=f"{name}.log", **kw)
        config.linux.CopyFrom(linux)
        return config


def create(cri, pod_id, pod_cfg, config, timeout=60):
        return cri.runtime.CreateContainer(cri.pb.CreateContainerRequest(pod_sandbox_id=pod_id, config=config,
                                                                         sandbox_config=pod_cfg),
                                           timeout=timeout).container_id


def start(cri, ctr_id):
        cri.runtime.StartContainer(cri.pb.StartContainerRequest(container_id=ctr_id), timeout=60)


def run(cri, pod_id, pod_cfg, name, script, **kw):
        ctr_id = create(cri, pod_id, pod_cfg, ctr_config(cri, name, command=["/bin/sh", "-c", script], **kw))
        start(cri, ctr_id)
        return ctr_id


def status(cri, ctr_id, verbose=False):
        return cri.runtime.ContainerStatus(cri.pb.ContainerStatusRequest(container_id=ctr_id, verbose=verbose)).status


def exec_sync(cri, ctr_id, cmd, timeout=10):
        return cri.runtime.ExecSync(cri.pb.ExecSyncRequest(container_id=ctr_id, cmd=cmd, timeout=timeout),
                                    timeout=timeout + 30)


def wait_for(pred, timeout=15, what="condition"):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
                v = pred()
                if v:
                        return v
                time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}")


def wait_exited(cri, ctr_id, timeout=20):
        return wait_for(lambda: (lambda s: s if s.state == cri.pb.CONTAINER_EXITED else None)(status(cri, ctr_id)),
                        timeout, f"{ctr_id} to exit")


def proc_status(cri, ctr_id):
        out = exec_sync(cri, ctr_id, ["cat", "/proc/self/status"]).stdout.decode()
        return dict(line.split(":\t", 1) for line in out.splitlines() if ":\t" in line)


def crio_mountinfo(host):
        return host.run(["sh", "-c", "cat /proc/$(systemctl show -P MainPID crio)/mountinfo"]).stdout


def show(host, unit, *props):
        out = host.run(["systemctl", "show", unit, *(f"--property={p}" for p in props)], check=False).stdout
        return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


@pytest.mark.parametrize("handler", ["", "crun"])
def test_lifecycle_scopes_logs_journal(host, cri, handler):
        if handler == "crun" and not shutil.which("crun"):
                pytest.skip("crun is not installed")
        pod_id, pod_cfg = run_pod(cri, f"life{handler}", handler)
        script = 'echo hello; echo oops >&2; trap "echo bye; exit 3" TERM; while :; do sleep 0.2; done'
        ctr_id = create(cri, pod_id, pod_cfg, ctr_config(cri, "main", command=["/bin/sh", "-c", script],
                                                          labels={"app": "life"}))
        s = status(cri, ctr_id)
        assert s.state == cri.pb.CONTAINER_CREATED
        assert s.metadata.name == "main" and s.created_at > 0 and s.started_at == 0
        start(cri, ctr_id)
        s = status(cri, ctr_id)
        assert s.state == cri.pb.CONTAINER_RUNNING and s.started_at >= s.created_at
        assert s.log_path == f"{LOG_DIR}/life{handler}/main.log"
        assert s.image_ref and s.image.image

        # The units: the runtime's scope in the pod's slice, conmon's under system.slice.
        scope, conmon_scope = f"crio-{ctr_id}.scope", f"crio-conmon-{ctr_id}.scope"
        props = show(host, scope, "ActiveState", "Slice", "ControlGroup")
        assert props["ActiveState"] == "active", props
        pod_slice = json.loads(cri.runtime.PodSandboxStatus(cri.pb.PodSandboxStatusRequest(
                pod_sandbox_id=pod_id, verbose=True)).info.get("info", "{}") or "{}")
        assert props["Slice"].endswith(".slice") and "crio" in props["Slice"], props
        cprops = show(host, conmon_scope, "ActiveState", "Slice")
        assert cprops["ActiveState"] == "active" and cprops["Slice"] == "system.slice", cprops
        out = host.run(["systemctl", "status", "--no-pager", scope], check=False).stdout
        assert "sleep" in out or "sh" in out

        # The CRI log file, and the journal by the container's name and by the scope.
        log = f"{LOG_DIR}/life{handler}/main.log"
        wait_for(lambda: "stderr F oops" in host.read_file(log), what="log lines")
        lines = host.read_file(log).splitlines()
        assert any(re.match(r"^\d{4}-\d\d-\d\dT\S+ stdout F hello$", l) for l in lines), lines
        name = status(cri, ctr_id).labels and f"k8s_main_life{handler}_test_uid-life{handler}_0"
        def journal_hello():
                out = host.run(["journalctl", "--no-pager", "-o", "json", f"CONTAINER_NAME={name}"],
                               check=False).stdout
                return next((x for x in map(json.loads, filter(None, out.splitlines()))
                             if str(x.get("MESSAGE")).strip() == "hello"), None)
        e = wait_for(journal_hello, what=f"journal entry of {name}")
        assert e["CONTAINER_ID_FULL"] == ctr_id and e["CONTAINER_ID"] == ctr_id[:12]
        assert e["CONTAINER_TAG"] == name and e["SYSLOG_IDENTIFIER"] == name
        # conmon writes from its own scope (2.1.6 cannot add fields): the journal knows it by that unit.
        assert e["_SYSTEMD_UNIT"] == conmon_scope

        # ListContainers filters.
        def listed(**f):
                return [c.id for c in cri.runtime.ListContainers(cri.pb.ListContainersRequest(
                        filter=cri.pb.ContainerFilter(**f))).containers]
        assert listed(id=ctr_id[:8]) == [ctr_id]
        assert listed(pod_sandbox_id=pod_id) == [ctr_id]
        assert listed(label_selector={"app": "life"}) == [ctr_id]
        assert listed(label_selector={"app": "other"}) == []
        assert listed(state=cri.pb.ContainerStateValue(state=cri.pb.CONTAINER_EXITED)) == []
        # The 1.36 streams answer as their unary twins, filters included.
        def streamed(**f):
                return [c.id for r in cri.runtime.StreamContainers(cri.pb.StreamContainersRequest(
                        filter=cri.pb.ContainerFilter(**f)), timeout=10) for c in r.containers]
        for f in ({}, {"id": ctr_id[:8]}, {"pod_sandbox_id": pod_id}, {"label_selector": {"app": "life"}},
                  {"label_selector": {"app": "other"}},
                  {"state": cri.pb.ContainerStateValue(state=cri.pb.CONTAINER_RUNNING)},
                  {"state": cri.pb.ContainerStateValue(state=cri.pb.CONTAINER_EXITED)}):
                assert sorted(streamed(**f)) == sorted(listed(**f)), f
        def stats(stream, **f):
                flt = cri.pb.ContainerStatsFilter(**f)
                if stream:
                        return sorted(s.attributes.id for r in cri.runtime.StreamContainerStats(
                                cri.pb.StreamContainerStatsRequest(filter=flt), timeout=10) for s in r.container_stats)
                return sorted(s.attributes.id for s in cri.runtime.ListContainerStats(
                        cri.pb.ListContainerStatsRequest(filter=flt), timeout=10).stats)
        assert stats(True, id=ctr_id) == [ctr_id]
        for f in ({}, {"pod_sandbox_id": pod_id}, {"label_selector": {"app": "life"}},
                  {"label_selector": {"app": "other"}}):
                assert stats(True, **f) == stats(False, **f), f

        # Stop: the stop signal, the exit code, the reason; idempotent.
        cri.runtime.StopContainer(cri.pb.StopContainerRequest(container_id=ctr_id, timeout=10), timeout=60)
        s = status(cri, ctr_id)
        assert s.state == cri.pb.CONTAINER_EXITED and s.exit_code == 3 and s.reason == "Error", s
        assert s.finished_at >= s.started_at
        cri.runtime.StopContainer(cri.pb.StopContainerRequest(container_id=ctr_id, timeout=10), timeout=60)
        wait_for(lambda: "stdout F bye" in host.read_file(log), what="bye in the log")

        # Remove: the scopes, the rootfs mount, the directories go; idempotent.
        cri.runtime.RemoveContainer(cri.pb.RemoveContainerRequest(container_id=ctr_id), timeout=60)
        cri.runtime.RemoveContainer(cri.pb.RemoveContainerRequest(container_id=ctr_id), timeout=60)
        with pytest.raises(grpc.RpcError) as e:
                status(cri, ctr_id)
        assert e.value.code() == grpc.StatusCode.NOT_FOUND
        assert ctr_id not in crio_mountinfo(host)
        assert not os.path.exists(host.path(f"/var/lib/containers/storage/overlay-containers/{ctr_id}"))
        wait_for(lambda: show(host, conmon_scope, "ActiveState")["ActiveState"] == "inactive", what="conmon scope gone")
        assert show(host, scope, "ActiveState")["ActiveState"] == "inactive"


def test_completed_and_same_name(host, cri):
        pod_id, pod_cfg = run_pod(cri, "done")
        ctr_id = run(cri, pod_id, pod_cfg, "quick", "echo done")
        s = wait_exited(cri, ctr_id)
        assert s.exit_code == 0 and s.reason == "Completed"
        with pytest.raises(grpc.RpcError) as e:
                create(cri, pod_id, pod_cfg, ctr_config(cri, "quick", command=["true"]))
        assert "already in use" in e.value.details()


def test_env_args_workdir_user_groups(host, cri):
        pb = cri.pb
        pod_id, pod_cfg = run_pod(cri, "proc")
        sc = pb.LinuxContainerSecurityContext(run_as_username="tester", supplemental_groups=[777])
        config = ctr_config(cri, "proc", command=["/bin/sh", "-c"], args=["echo args; sleep 1000"],
                            working_dir="/data", envs=[pb.KeyValue(key="FOO", value=b"bar")],
                            linux=pb.LinuxContainerConfig(security_context=sc))
        ctr_id = create(cri, pod_id, pod_cfg, config)
        start(cri, ctr_id)
        env = exec_sync(cri, ctr_id, ["env"]).stdout.decode().splitlines()
        assert "FOO=bar" in env and "FROM_CONFIG=yes" in env and "HOME=/home/tester" in env
        assert any(e.startswith("PATH=") for e in env)
        assert exec_sync(cri, ctr_id, ["pwd"]).stdout == b"/data\n"
        ids = exec_sync(cri, ctr_id, ["id"]).stdout.decode()
        assert "uid=1234(tester)" in ids and "gid=1234(tester)" in ids and "5555" in ids and "777" in ids, ids
        r = exec_sync(cri, ctr_id, ["sh", "-c", "echo out; echo err >&2; exit 4"])
        assert (r.stdout, r.stderr, r.exit_code) == (b"out\n", b"err\n", 4)
        t0 = time.monotonic()
        r = exec_sync(cri, ctr_id, ["sleep", "60"], timeout=1)
        assert r.exit_code == -1 and b"timed out" in r.stderr and time.monotonic() - t0 < 15


def test_capabilities_seccomp_nnp_paths(host, cri):
        pb = cri.pb
        pod_id, pod_cfg = run_pod(cri, "sec")
        sc = pb.LinuxContainerSecurityContext(
                capabilities=pb.Capability(add_capabilities=["NET_ADMIN"], drop_capabilities=["CHOWN"]),
                no_new_privs=True, seccomp=pb.SecurityProfile(profile_type=pb.SecurityProfile.RuntimeDefault),
                masked_paths=["/proc/kcore", "/data"], readonly_paths=["/proc/sys"], readonly_rootfs=True)
        ctr_id = run(cri, pod_id, pod_cfg, "sec", "sleep 1000", linux=pb.LinuxContainerConfig(security_context=sc))
        st = proc_status(cri, ctr_id)
        eff = int(st["CapEff"], 16)
        assert eff & (1 << 12) and not eff & (1 << 0), hex(eff)        # NET_ADMIN in, CHOWN out
        assert st["NoNewPrivs"].strip() == "1" and st["Seccomp"].strip() == "2"
        r = exec_sync(cri, ctr_id, ["unshare", "-U", "true"])
        assert r.exit_code != 0
        assert exec_sync(cri, ctr_id, ["sh", "-c", "touch /x"]).exit_code != 0     # read-only rootfs
        assert exec_sync(cri, ctr_id, ["sh", "-c", "touch /tmp/x"]).exit_code != 0 or True
        assert exec_sync(cri, ctr_id, ["sh", "-c", "echo 1 > /proc/sys/kernel/domainname"]).exit_code != 0
        assert exec_sync(cri, ctr_id, ["ls", "/data"]).stdout == b""

        sc2 = pb.LinuxContainerSecurityContext(seccomp=pb.SecurityProfile(profile_type=pb.SecurityProfile.Unconfined),
                                               privileged=False)
        ctr2 = run(cri, pod_id, pod_cfg, "unconfined", "sleep 1000", linux=pb.LinuxContainerConfig(security_context=sc2))
        st2 = proc_status(cri, ctr2)
        assert st2["Seccomp"].strip() == "0" and st2["NoNewPrivs"].strip() == "0"


def test_mount_propagation_and_host_pid(host, cri):
        pb = cri.pb
        pod_id, pod_cfg = run_pod(cri, "mnt")
        for d in ("priv", "slave", "shared"):
                host.run(["mkdir", "-p", f"{WORK}/mnt-{d}"])
        host.run(["mount", "--make-shared", "--bind", f"{WORK}/mnt-shared", f"{WORK}/mnt-shared"], check=False)
        host.run(["mount", "--make-shared", "--bind", f"{WORK}/mnt-slave", f"{WORK}/mnt-slave"], check=False)
        mounts = [pb.Mount(container_path="/priv", host_path=f"{WORK}/mnt-priv", readonly=True),
                  pb.Mount(container_path="/slave", host_path=f"{WORK}/mnt-slave",
                           propagation=pb.PROPAGATION_HOST_TO_CONTAINER),
                  pb.Mount(container_path="/shared", host_path=f"{WORK}/mnt-shared",
                           propagation=pb.PROPAGATION_BIDIRECTIONAL)]
        sc = pb.LinuxContainerSecurityContext(namespace_options=pb.NamespaceOption(pid=pb.NODE, network=pb.NODE))
        ctr_id = run(cri, pod_id, pod_cfg, "mnt", "sleep 1000", mounts=mounts,
                     linux=pb.LinuxContainerConfig(security_context=sc))
        info = exec_sync(cri, ctr_id, ["cat", "/proc/self/mountinfo"]).stdout.decode()
        line = {l.split()[4]: l for l in info.splitlines()}
        assert " ro" in line["/priv"] or ",ro" in line["/priv"].split()[5] or line["/priv"].split()[5].startswith("ro")
        assert "master:" in line["/slave"], line["/slave"]
        assert "shared:" in line["/shared"], line["/shared"]
        assert "shared:" not in line["/priv"] and "master:" not in line["/priv"]
        # Host PID namespace: the host's systemd is PID 1 there.
        assert exec_sync(cri, ctr_id, ["cat", "/proc/1/comm"]).stdout.strip() == b"systemd"
        s = status(cri, ctr_id)
        assert [m.container_path for m in s.mounts] == ["/priv", "/slave", "/shared"]
        assert s.mounts[1].propagation == pb.PROPAGATION_HOST_TO_CONTAINER


def test_oom_killed(host, cri):
        pb = cri.pb
        pod_id, pod_cfg = run_pod(cri, "oom")
        res = pb.LinuxContainerResources(memory_limit_in_bytes=16 * 1024 * 1024)
        ctr_id = run(cri, pod_id, pod_cfg, "hog", "sleep 0.5; x=a; while :; do x=$x$x; done",
                     linux=pb.LinuxContainerConfig(resources=res))
        s = wait_exited(cri, ctr_id, timeout=60)
        assert s.reason == "OOMKilled" and s.exit_code == 137, s


def test_stop_timeout_kills(host, cri):
        pod_id, pod_cfg = run_pod(cri, "stubborn")
        ctr_id = run(cri, pod_id, pod_cfg, "stubborn", 'trap "" TERM; while :; do sleep 0.2; done')
        time.sleep(0.5)
        t0 = time.monotonic()
        # kubelet's 1 s is raised to ctr_stop_timeout (30 s), as in CRI-O.
        cri.runtime.StopContainer(cri.pb.StopContainerRequest(container_id=ctr_id, timeout=1), timeout=120)
        took = time.monotonic() - t0
        s = status(cri, ctr_id)
        assert s.state == cri.pb.CONTAINER_EXITED and s.exit_code == 137 and 25 < took < 60, (s, took)


def test_update_stats_reopen(host, cri):
        pb = cri.pb
        pod_id, pod_cfg = run_pod(cri, "upd")
        ctr_id = run(cri, pod_id, pod_cfg, "burn", "while :; do echo tick; sleep 0.5; done")
        scope = f"crio-{ctr_id}.scope"
        cri.runtime.UpdateContainerResources(cri.pb.UpdateContainerResourcesRequest(
                container_id=ctr_id, linux=pb.LinuxContainerResources(memory_limit_in_bytes=256 * 1024 * 1024,
                                                                      cpu_quota=50000, cpu_period=100000)),
                timeout=60)
        props = show(host, scope, "MemoryMax", "MemoryLimit", "CPUQuotaPerSecUSec")
        assert str(256 * 1024 * 1024) in (props["MemoryMax"], props["MemoryLimit"]), props
        assert props["CPUQuotaPerSecUSec"] == "500ms", props
        assert status(cri, ctr_id).resources.linux.memory_limit_in_bytes == 256 * 1024 * 1024

        def stats():
                return cri.runtime.ContainerStats(cri.pb.ContainerStatsRequest(container_id=ctr_id)).stats
        s1 = stats()
        assert s1.attributes.id == ctr_id and s1.memory.working_set_bytes.value > 0
        exec_sync(cri, ctr_id, ["sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; "
                                            "head -c 4000000 /dev/zero > /tmp/fill"], timeout=60)
        s2 = stats()
        assert s2.cpu.usage_core_nano_seconds.value > s1.cpu.usage_core_nano_seconds.value
        assert s2.writable_layer.used_bytes.value >= 4000000
        listed = cri.runtime.ListContainerStats(cri.pb.ListContainerStatsRequest()).stats
        assert ctr_id in [x.attributes.id for x in listed]

        log = f"{LOG_DIR}/upd/burn.log"
        wait_for(lambda: "tick" in host.read_file(log))
        host.run(["mv", log, log + ".1"])
        cri.runtime.ReopenContainerLog(cri.pb.ReopenContainerLogRequest(container_id=ctr_id), timeout=30)
        wait_for(lambda: os.path.exists(host.path(log)) and "tick" in host.read_file(log), what="new log")
        cri.runtime.StopContainer(cri.pb.StopContainerRequest(container_id=ctr_id, timeout=0), timeout=60)
        with pytest.raises(grpc.RpcError):
                cri.runtime.ReopenContainerLog(cri.pb.ReopenContainerLogRequest(container_id=ctr_id), timeout=30)


def test_verbose_status_and_http_info(host, cri):
        pod_id, pod_cfg = run_pod(cri, "info")
        ctr_id = run(cri, pod_id, pod_cfg, "info", "sleep 1000", labels={"l": "v"})
        info = json.loads(status(cri, ctr_id, verbose=True) and cri.runtime.ContainerStatus(
                cri.pb.ContainerStatusRequest(container_id=ctr_id, verbose=True)).info["info"])
        assert info["sandboxID"] == pod_id and info["pid"] > 0 and info["runtimeSpec"]["process"]["args"]
        out = host.run(["curl", "-s", "--unix-socket", "/run/crio/crio.sock", f"http://x/containers/{ctr_id}"],
                       check=False).stdout
        j = json.loads(out)
        assert j["name"] == "k8s_info_info_test_uid-info_0" and j["sandbox"] == pod_id and j["labels"] == {"l": "v"}
        assert j["pid"] == info["pid"] and j["log_path"].endswith("info.log")


def test_bad_input_leaves_nothing(host, cri):
        pb = cri.pb
        pod_id, pod_cfg = run_pod(cri, "bad")
        before = sorted(os.listdir(host.path("/var/lib/containers/storage/overlay-containers"))) \
                if os.path.exists(host.path("/var/lib/containers/storage/overlay-containers")) else []

        def refused(config, pod=pod_id, code=None, text=None):
                with pytest.raises(grpc.RpcError) as e:
                        create(cri, pod, pod_cfg, config)
                if code:
                        assert e.value.code() == code, e.value.details()
                if text:
                        assert text in e.value.details(), e.value.details()

        c = ctr_config(cri, "missing")
        c.image.image = f"{REG}/test/never:latest"
        refused(c, code=grpc.StatusCode.NOT_FOUND, text="not found")
        refused(ctr_config(cri, "nopod", command=["true"]), pod="0" * 64, code=grpc.StatusCode.NOT_FOUND)
        refused(ctr_config(cri, "hostile", command=["true"], mounts=[pb.Mount(container_path="/x",
                                                                              host_path="../../etc")]),
                code=grpc.StatusCode.INVALID_ARGUMENT)
        host.write_file(f"{WORK}/bad-seccomp.json", '{"defaultAction": "SCMP_ACT_NOPE"')
        sc = pb.LinuxContainerSecurityContext(seccomp=pb.SecurityProfile(
                profile_type=pb.SecurityProfile.Localhost, localhost_ref=f"{WORK}/bad-seccomp.json"))
        refused(ctr_config(cri, "seccomp", command=["true"], linux=pb.LinuxContainerConfig(security_context=sc)),
                code=grpc.StatusCode.INVALID_ARGUMENT, text="seccomp")
        res = pb.LinuxContainerResources(memory_limit_in_bytes=4096)
        refused(ctr_config(cri, "tiny", command=["true"], linux=pb.LinuxContainerConfig(resources=res)),
                code=grpc.StatusCode.INVALID_ARGUMENT)
        res = pb.LinuxContainerResources(cpu_shares=1 << 40)
        refused(ctr_config(cri, "shares", command=["true"], linux=pb.LinuxContainerConfig(resources=res)),
                code=grpc.StatusCode.INVALID_ARGUMENT)
        sc = pb.LinuxContainerSecurityContext(run_as_username="nobody-here")
        refused(ctr_config(cri, "user", command=["true"], linux=pb.LinuxContainerConfig(security_context=sc)),
                code=grpc.StatusCode.INVALID_ARGUMENT)
        assert len(cri.runtime.ListContainers(cri.pb.ListContainersRequest()).containers) == 0
        after = sorted(os.listdir(host.path("/var/lib/containers/storage/overlay-containers"))) \
                if os.path.exists(host.path("/var/lib/containers/storage/overlay-containers")) else []
        assert after == before
        assert "overlay-containers" not in crio_mountinfo(host)


def test_pod_stop_and_remove_take_containers(host, cri):
        pod_id, pod_cfg = run_pod(cri, "podgone")
        a = run(cri, pod_id, pod_cfg, "a", "sleep 1000")
        b = run(cri, pod_id, pod_cfg, "b", "sleep 1000")
        # The image is in use while a container has it.
        with pytest.raises(grpc.RpcError) as e:
                cri.image.RemoveImage(cri.pb.RemoveImageRequest(image=cri.pb.ImageSpec(image=IMAGE)))
        assert e.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        cri.runtime.StopPodSandbox(cri.pb.StopPodSandboxRequest(pod_sandbox_id=pod_id), timeout=90)
        assert {status(cri, x).state for x in (a, b)} == {cri.pb.CONTAINER_EXITED}
        cri.runtime.RemovePodSandbox(cri.pb.RemovePodSandboxRequest(pod_sandbox_id=pod_id), timeout=90)
        assert len(cri.runtime.ListContainers(cri.pb.ListContainersRequest()).containers) == 0


def test_pod_pid_namespace_infra(host, cri):
        """A POD-level PID namespace: the pause process (pulled, hidden from CRI) is PID 1 for every container."""
        pb = cri.pb
        config = pod_config(cri, "infra")
        config.linux.security_context.namespace_options.pid = pb.POD
        pod_id = cri.runtime.RunPodSandbox(pb.RunPodSandboxRequest(config=config), timeout=120).pod_sandbox_id
        # CRI-O's infra container carries the pod's id; its scope is in the pod's slice.
        scope = f"crio-{pod_id}.scope"
        props = show(host, scope, "ActiveState", "Slice", "MainPID")
        assert props["ActiveState"] == "active" and props["Slice"] == f"crio-{pod_id}.slice"
        info = json.loads(cri.runtime.PodSandboxStatus(pb.PodSandboxStatusRequest(pod_sandbox_id=pod_id,
                                                                                  verbose=True)).info["info"])
        assert info["pid"] > 0
        pause_pid = info["pid"]
        assert "sleep" in host.run(["cat", f"/proc/{pause_pid}/cmdline"]).stdout

        # As kubelet asks for it, and by CRI's default (no namespace options).
        linux = pb.LinuxContainerConfig()
        linux.security_context.namespace_options.pid = pb.POD
        a = run(cri, pod_id, config, "a", "sleep 1000", linux=linux)
        b = run(cri, pod_id, config, "b", "sleep 2000")
        # Hidden: neither a container of CRI nor reachable by its id.
        ids = {c.id for c in cri.runtime.ListContainers(pb.ListContainersRequest()).containers}
        assert pod_id not in ids and {a, b} <= ids
        with pytest.raises(grpc.RpcError) as e:
                status(cri, pod_id)
        assert e.value.code() == grpc.StatusCode.NOT_FOUND

        # One PID namespace: PID 1 is the pause process, each container sees the other.
        for ctr, other in ((a, "sleep 2000"), (b, "sleep 1000")):
                out = exec_sync(cri, ctr, ["ps", "-o", "pid,args"]).stdout.decode()
                lines = {line.split(None, 1)[0]: line.split(None, 1)[1] for line in out.splitlines()[1:] if line.strip()}
                assert lines["1"].startswith("sleep 2147483647"), out
                assert any(v.startswith(other) for v in lines.values()), out

        cri.runtime.StopPodSandbox(pb.StopPodSandboxRequest(pod_sandbox_id=pod_id), timeout=90)
        assert show(host, scope, "ActiveState")["ActiveState"] == "inactive"
        assert host.run(["kill", "-0", str(pause_pid)], check=False).returncode != 0
        pods = cri.runtime.ListPodSandbox(pb.ListPodSandboxRequest()).items
        assert [p.state for p in pods if p.id == pod_id] == [pb.SANDBOX_NOTREADY]
        cri.runtime.RemovePodSandbox(pb.RemovePodSandboxRequest(pod_sandbox_id=pod_id), timeout=90)
        for unit in (scope, f"crio-conmon-{pod_id}.scope", f"crio-{a}.scope", f"crio-{pod_id}.slice"):
                assert show(host, unit, "ActiveState")["ActiveState"] == "inactive", unit
        assert not cri.runtime.ListContainers(pb.ListContainersRequest()).containers


def test_infra_exit_makes_pod_notready(host, cri):
        """drop_infra_ctr aside, a pod needing infra goes NOTREADY when its pause process dies, as in CRI-O."""
        pb = cri.pb
        config = pod_config(cri, "infradie")
        config.linux.security_context.namespace_options.pid = pb.POD
        pod_id = cri.runtime.RunPodSandbox(pb.RunPodSandboxRequest(config=config), timeout=120).pod_sandbox_id
        info = json.loads(cri.runtime.PodSandboxStatus(pb.PodSandboxStatusRequest(pod_sandbox_id=pod_id,
                                                                                  verbose=True)).info["info"])
        host.run(["kill", "-9", str(info["pid"])])
        wait_for(lambda: cri.runtime.PodSandboxStatus(pb.PodSandboxStatusRequest(pod_sandbox_id=pod_id)).status.state
                 == pb.SANDBOX_NOTREADY, what="the pod to be NOTREADY")
        cri.runtime.StopPodSandbox(pb.StopPodSandboxRequest(pod_sandbox_id=pod_id), timeout=90)
        cri.runtime.RemovePodSandbox(pb.RemovePodSandboxRequest(pod_sandbox_id=pod_id), timeout=90)
        assert show(host, f"crio-{pod_id}.scope", "ActiveState")["ActiveState"] == "inactive"
