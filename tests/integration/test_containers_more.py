"""More of issue #6 in the systemd test host: privileged containers, CRI devices, hugepage limits,
log_size_max, and the journal's view of a container (its fields, and journalctl -u on its scope).

It reuses test_containers.py's module fixture (registry, busybox image, pause image, drop-in).
"""

import json
import os
import re
import shutil
import subprocess
import time

import grpc
import pytest

from cri_client import CriClient
from test_containers import (LOG_DIR, create, cri, ctr_config, exec_sync, host, proc_status,  # noqa: F401
                             restart_crio, run, run_pod, show, start, status, wait_for)

DROP_IN = "/etc/crio/crio.conf.d/60-containers-more-test.conf"

# Device nodes the runtime makes in every container's /dev: they prove nothing about host devices.
RUNTIME_DEVICES = {"null", "zero", "full", "random", "urandom", "tty", "ptmx", "console"}


def crio_status(host, field):
        out = host.run(["sh", "-c", "cat /proc/$(systemctl show -P MainPID crio)/status"]).stdout
        return next(line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith(field + ":"))


def verbose_spec(cri, ctr_id):
        info = cri.runtime.ContainerStatus(cri.pb.ContainerStatusRequest(container_id=ctr_id, verbose=True)).info
        return json.loads(info["info"])["runtimeSpec"]


def conmon_takes_log_label():
        conmon = shutil.which("conmon") or "/usr/bin/conmon"
        try:
                out = subprocess.run([conmon, "--help"], capture_output=True, text=True, timeout=10).stdout
        except OSError:
                return False
        return "--log-label" in out


@pytest.mark.parametrize("handler", ["", "crun"])
def test_privileged(host, cri, handler):
        if handler == "crun" and not shutil.which("crun"):
                pytest.skip("crun is not installed")
        pb = cri.pb
        pod_id, pod_cfg = run_pod(cri, f"priv{handler}", handler)
        sc = pb.LinuxContainerSecurityContext(privileged=True)
        ctr_id = run(cri, pod_id, pod_cfg, "priv", "sleep 1000", linux=pb.LinuxContainerConfig(security_context=sc))
        assert status(cri, ctr_id).state == pb.CONTAINER_RUNNING

        # Every capability crio has: the test host's bounding set lacks some the kernel knows.
        own = int(crio_status(host, "CapBnd"), 16)
        st = proc_status(cri, ctr_id)
        for field in ("CapEff", "CapPrm", "CapBnd"):
                assert int(st[field], 16) == own, (field, st[field], hex(own))
        assert st["Seccomp"].strip() == "0"
        last_cap = int(host.read_file("/proc/sys/kernel/cap_last_cap"))
        if own != (1 << (last_cap + 1)) - 1:
                dropped = [i for i in range(last_cap + 1) if not own & (1 << i)]
                spec_caps = verbose_spec(cri, ctr_id)["process"]["capabilities"]["bounding"]
                assert len(spec_caps) == last_cap + 1 - len(dropped), spec_caps

        # The host's devices, beyond what every container gets.
        found = host.run(["find", "/dev", "-maxdepth", "1", "(", "-type", "c", "-o", "-type", "b", ")"]).stdout
        host_devs = {os.path.basename(p) for p in found.split()} - RUNTIME_DEVICES
        assert host_devs, "the test host has no device nodes to share"
        listing = exec_sync(cri, ctr_id, ["ls", "/dev"]).stdout.decode().split()
        assert host_devs <= set(listing), sorted(host_devs - set(listing))
        # Writable /sys, as CRI-O mounts it for privileged containers.
        mounts = exec_sync(cri, ctr_id, ["cat", "/proc/mounts"]).stdout.decode().splitlines()
        sys_opts = next(line.split()[3] for line in mounts if line.split()[1] == "/sys")
        assert "rw" in sys_opts.split(","), sys_opts


# Devices runc allows in every container whatever the rules say (/dev/null, zero, full, random,
# urandom, tty, ptmx, net/tun, pts): no use for checking a rule.
RUNC_ALLOWED = {(1, 3), (1, 5), (1, 7), (1, 8), (1, 9), (5, 0), (5, 2), (10, 200)}


def restricted_candidate(host):
        """A character device of the test host that only a rule of ours can allow, or None."""
        for name in ("fuse", "loop-control", "kvm", "hwrng"):
                out = host.run(["stat", "-c", "%F %t %T", f"/dev/{name}"], check=False).stdout.split()
                if out[:2] == ["character", "special"] and (int(out[-2], 16), int(out[-1], 16)) not in RUNC_ALLOWED:
                        return f"/dev/{name}"
        return None


def test_device_mapped_and_usable(host, cri):
        pb = cri.pb
        pod_id, pod_cfg = run_pod(cri, "dev")
        devices = [pb.Device(container_path="/dev/mynull", host_path="/dev/null", permissions="rw")]
        restricted = restricted_candidate(host)
        if restricted:
                devices.append(pb.Device(container_path="/dev/readonly", host_path=restricted, permissions="r"))
        ctr_id = run(cri, pod_id, pod_cfg, "dev", "sleep 1000", devices=devices)
        r = exec_sync(cri, ctr_id, ["ls", "-l", "/dev/mynull"])
        assert r.exit_code == 0 and r.stdout.startswith(b"c") and re.search(rb"\b1,\s+3\b", r.stdout), r
        r = exec_sync(cri, ctr_id, ["sh", "-c", "echo hello > /dev/mynull && wc -c < /dev/mynull"])
        assert (r.exit_code, r.stdout.strip()) == (0, b"0"), r
        spec = verbose_spec(cri, ctr_id)
        rules = spec["linux"]["resources"]["devices"]
        assert rules[0] == {"allow": False, "access": "rwm"}, rules
        assert {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rw"} in rules, rules
        assert any(d["path"] == "/dev/mynull" and (d["major"], d["minor"]) == (1, 3) for d in spec["linux"]["devices"])
        if restricted:
                # "r" only: the device controller refuses an open for writing (exec joins the scope's
                # cgroups, where the runtime wrote the rules).
                r = exec_sync(cri, ctr_id, ["sh", "-c", "echo x > /dev/readonly"])
                assert r.exit_code != 0 and b"not permitted" in r.stderr, r

        # A file that is no device, a missing one, unknown permissions: clear errors, nothing made.
        for bad in (pb.Device(container_path="/dev/x", host_path="/etc/hostname", permissions="rw"),
                    pb.Device(container_path="/dev/x", host_path="/dev/nonexistent", permissions="rw"),
                    pb.Device(container_path="/dev/x", host_path="/dev/null", permissions="rwx")):
                with pytest.raises(grpc.RpcError) as e:
                        create(cri, pod_id, pod_cfg, ctr_config(cri, "baddev", command=["true"], devices=[bad]))
                assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT, e.value.details()
        names = [c.metadata.name for c in cri.runtime.ListContainers(pb.ListContainersRequest()).containers]
        assert "baddev" not in names


def hugepage_sizes(host):
        base = host.path("/sys/kernel/mm/hugepages")
        if not os.path.isdir(base):
                return []
        # "hugepages-2048kB" -> "2MB", CRI's and the kernel cgroup files' notation.
        sizes = []
        for d in sorted(os.listdir(base)):
                kb = int(re.match(r"hugepages-(\d+)kB", d).group(1))
                sizes.append(f"{kb // 1024 // 1024}GB" if kb >= 1024 * 1024 else f"{kb // 1024}MB")
        return sizes


def hugetlb_cgroup_file(host, ctr_id, size):
        """The scope's hugetlb limit file, v2 or v1, or None without a hugetlb controller."""
        cg = show(host, f"crio-{ctr_id}.scope", "ControlGroup")["ControlGroup"]
        for path in (f"/sys/fs/cgroup{cg}/hugetlb.{size}.max", f"/sys/fs/cgroup/unified{cg}/hugetlb.{size}.max",
                     f"/sys/fs/cgroup/hugetlb{cg}/hugetlb.{size}.limit_in_bytes"):
                if os.path.exists(host.path(path)):
                        return path
        return None


def test_hugepage_limits(host, cri):
        pb = cri.pb
        sizes = hugepage_sizes(host)
        if "2MB" not in sizes:
                pytest.skip(f"no 2 MB huge pages on this machine ({sizes})")
        pod_id, pod_cfg = run_pod(cri, "huge")
        limit = 4 * 2 * 1024 * 1024
        res = pb.LinuxContainerResources(hugepage_limits=[pb.HugepageLimit(page_size="2MB", limit=limit)])
        ctr_id = run(cri, pod_id, pod_cfg, "huge", "sleep 1000", linux=pb.LinuxContainerConfig(resources=res))
        spec = verbose_spec(cri, ctr_id)
        assert spec["linux"]["resources"]["hugepageLimits"] == [{"pageSize": "2MB", "limit": limit}], spec
        # ContainerStatus reports them back, as CRI-O does.
        limits = cri.runtime.ContainerStatus(pb.ContainerStatusRequest(container_id=ctr_id)).status \
                .resources.linux.hugepage_limits
        assert [(h.page_size, h.limit) for h in limits] == [("2MB", limit)]
        path = hugetlb_cgroup_file(host, ctr_id, "2MB")
        if path is None:
                # The test host's cgroup hierarchies have no hugetlb controller: config.json is as far
                # as the limit can be followed.
                assert not any(os.path.exists(host.path(f"/sys/fs/cgroup/{d}/cgroup.procs"))
                               and "hugetlb" in d.split(",") for d in os.listdir(host.path("/sys/fs/cgroup")))
                return
        assert int(host.read_file(path).strip()) == limit, path


def test_log_size_max(host, cri):
        pb = cri.pb
        max_size = 16384
        host.write_file(DROP_IN, f"[crio.runtime]\nlog_size_max = {max_size}\n")
        restart_crio(host)
        try:
                with CriClient(host.crio_socket()) as c:
                        pod_id, pod_cfg = run_pod(c, "logmax")
                        # About 100 KiB of output, more than six times the limit.
                        script = "i=0; while [ $i -lt 1500 ]; do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; " \
                                 "i=$((i+1)); done; echo done; sleep 1000"
                        ctr_id = run(c, pod_id, pod_cfg, "chatty", script)
                        log = f"{LOG_DIR}/logmax/chatty.log"
                        wait_for(lambda: "stdout F done" in host.read_file(log), timeout=30, what="the last line")
                        size = os.path.getsize(host.path(log))
                        assert 0 < size <= max_size, size
                        lines = host.read_file(log).splitlines()
                        # conmon starts over: the oldest lines are gone, the file is still CRI's format.
                        assert not any(l.endswith(" line-0-" + "x" * 36) for l in lines), lines[:3]
                        assert all(re.match(r"^\S+ (stdout|stderr) [PF] ", l) for l in lines), lines[:3]
                        c.runtime.StopContainer(pb.StopContainerRequest(container_id=ctr_id, timeout=0), timeout=60)
                        c.runtime.StopPodSandbox(pb.StopPodSandboxRequest(pod_sandbox_id=pod_id), timeout=90)
                        c.runtime.RemovePodSandbox(pb.RemovePodSandboxRequest(pod_sandbox_id=pod_id), timeout=90)
        finally:
                host.run(["rm", "-f", DROP_IN], check=False)
                restart_crio(host)


def journal_entries(host, *matches):
        out = host.run(["journalctl", "--no-pager", "-o", "json", *matches], check=False).stdout
        return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_journal_fields_and_unit(host, cri):
        pod_id, pod_cfg = run_pod(cri, "jrnl")
        ctr_id = run(cri, pod_id, pod_cfg, "talker", "echo said-$((6*7)); sleep 1000")
        name = "k8s_talker_jrnl_test_uid-jrnl_0"

        def said():
                return next((e for e in journal_entries(host, f"CONTAINER_NAME={name}")
                             if str(e.get("MESSAGE")).strip() == "said-42"), None)
        e = wait_for(said, what=f"journal entry of {name}")
        assert e["CONTAINER_ID_FULL"] == ctr_id and e["CONTAINER_TAG"] == name

        if not conmon_takes_log_label():
                pytest.skip("this conmon has no --log-label (containers/conmon#562): its lines carry the "
                            "CONTAINER_* fields only and belong to crio-conmon-<id>.scope")
        assert e["POD_ID"] == pod_id and e["POD_NAME"] == "jrnl" and e["POD_NAMESPACE"] == "test", e
        assert e["OBJECT_SYSTEMD_UNIT"] == f"crio-{ctr_id}.scope", e
        by_unit = journal_entries(host, "-u", f"crio-{ctr_id}.scope")
        assert any(str(x.get("MESSAGE")).strip() == "said-42" for x in by_unit), by_unit


def test_journalctl_unit_matches_object_unit(host):
        """What --log-label relies on, checked against the journalctl the test host runs: a line sent
        by root with OBJECT_SYSTEMD_UNIT=<unit> is shown by journalctl -u <unit>."""
        if not shutil.which("logger"):
                pytest.skip("logger is not installed")
        unit = "crio-0123456789abcdef-journal-probe.scope"
        tag = f"probe-{time.monotonic_ns()}"
        host.run(["logger", "--journald"], input=f"MESSAGE={tag}\nOBJECT_SYSTEMD_UNIT={unit}\n"
                                                 "SYSLOG_IDENTIFIER=crio-test\n")

        def shown():
                return [x for x in journal_entries(host, "-u", unit) if x.get("MESSAGE") == tag]
        entries = wait_for(shown, what="the probe line under journalctl -u")
        assert entries[0]["_UID"] == "0"


def test_zz_no_sanitizer_reports(host):
        """Under an ASan/UBSan build: what this module did (and a stop of crio) reports no error or leak."""
        restart_crio(host)
        text = host.journal("crio.service")
        for marker in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
                assert marker not in text, text[text.index(marker) - 200:][:4000]
