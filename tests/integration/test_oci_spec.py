"""config.json from the OCI spec builder (src/oci) run by real runc and crun inside the test host.

A busybox-static rootfs and a bundle are made under the build directory (visible inside the host);
tests/oci-spec-gen writes config.json; the container's output shows what the spec made of it.
"""

import os
import shutil
import subprocess
import uuid

import pytest

BUSYBOX = "/bin/busybox"
RUNTIMES = ["runc", "crun"]
# CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE: CRI-O's defaults.
DEFAULT_CAPEFF = "00000000000005fb"


@pytest.fixture(scope="module")
def gen(build_dir):
        path = os.path.join(build_dir, "tests", "oci-spec-gen")
        if not os.access(path, os.X_OK):
                pytest.fail(f"{path} is not built", pytrace=False)
        if not os.path.exists(BUSYBOX):
                pytest.skip("busybox-static is not installed")
        return path


@pytest.fixture(scope="module")
def rootfs(build_dir):
        root = os.path.join(build_dir, "oci-spec-test", "rootfs")
        shutil.rmtree(root, ignore_errors=True)
        for d in ("bin", "etc", "proc", "sys", "dev", "tmp", "home/app"):
                os.makedirs(os.path.join(root, d), exist_ok=True)
        os.chmod(os.path.join(root, "tmp"), 0o1777)
        shutil.copy(BUSYBOX, os.path.join(root, "bin", "busybox"))
        for applet in ("sh", "id", "cat", "env", "pwd", "touch", "unshare", "grep", "wc", "ls", "echo", "true"):
                os.symlink("busybox", os.path.join(root, "bin", applet))
        with open(os.path.join(root, "etc", "passwd"), "w") as f:
                f.write("root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n")
        with open(os.path.join(root, "etc", "group"), "w") as f:
                f.write("root:x:0:\napp:x:1000:\nextra:x:3000:app\n")
        yield root
        shutil.rmtree(os.path.dirname(root), ignore_errors=True)


def run_container(host, runtime, gen, rootfs, script, *options):
        """Builds a bundle with the given oci-spec-gen options, runs /bin/sh -c script, returns the result."""
        ident = f"ocitest-{uuid.uuid4().hex[:12]}"
        bundle = os.path.join(os.path.dirname(rootfs), ident)
        os.makedirs(bundle)
        try:
                subprocess.run([gen, "--bundle", bundle, "--rootfs", rootfs, "--id", ident, *options, "--",
                                "/bin/sh", "-c", script], check=True)
                return host.run([runtime, "--root", f"/run/oci-spec-test-{runtime}", "run", "--bundle", bundle,
                                 ident], check=False, timeout=60)
        finally:
                host.run([runtime, "--root", f"/run/oci-spec-test-{runtime}", "delete", "--force", ident],
                         check=False)
                shutil.rmtree(bundle, ignore_errors=True)


def lines(result, quiet=True):
        assert result.returncode == 0, f"status {result.returncode}\n{result.stdout}\n{result.stderr}"
        if quiet:
                assert result.stderr == "", result.stderr
        return dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_identity_env_cwd_caps(bare_host, gen, rootfs, runtime):
        out = lines(run_container(bare_host, runtime, gen, rootfs,
                                  "echo uid=$(id -u); echo gid=$(id -g); echo groups=$(id -G); "
                                  "echo cwd=$(pwd); echo greeting=$GREETING; echo home=$HOME; "
                                  "echo host=$HOSTNAME; echo capeff=$(grep CapEff /proc/self/status | "
                                  "busybox awk '{print $2}')",
                                  "--user", "app", "--cwd", "/tmp", "--env", "GREETING=hello"))
        assert (out["uid"], out["gid"]) == ("1000", "1000")
        assert set(out["groups"].split()) == {"1000", "3000"}
        assert out["cwd"] == "/tmp"
        assert out["greeting"] == "hello"
        assert out["home"] == "/home/app"
        assert out["host"] == "oci-test"
        # A non-root user keeps no effective capabilities: CRI-O sets no ambient ones.
        assert out["capeff"] == "0000000000000000"


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_root_caps_masks_readonly(bare_host, gen, rootfs, runtime):
        out = lines(run_container(bare_host, runtime, gen, rootfs,
                                  "echo capeff=$(grep CapEff /proc/self/status | busybox awk '{print $2}'); "
                                  "echo timers=$(wc -c < /proc/timer_list); echo firmware=$(ls /sys/firmware | wc -l); "
                                  "touch /written 2>/dev/null && echo rootfs=rw || echo rootfs=ro; "
                                  "echo sysrq=$(echo x 2>/dev/null > /proc/sysrq-trigger && echo rw || echo ro)",
                                  "--readonly"))
        assert out["capeff"] == DEFAULT_CAPEFF
        # Masked: a file reads as /dev/null, a directory is an empty tmpfs.
        assert out["timers"] == "0"
        assert out["firmware"] == "0"
        assert out["rootfs"] == "ro"
        assert out["sysrq"] == "ro"


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_seccomp_default_blocks_unshare(bare_host, gen, rootfs, runtime):
        blocked = run_container(bare_host, runtime, gen, rootfs, "unshare -U true; echo status=$?")
        assert "Function not implemented" in blocked.stderr + blocked.stdout
        assert lines(blocked, quiet=False)["status"] != "0"
        unconfined = run_container(bare_host, runtime, gen, rootfs, "unshare -U true; echo status=$?",
                                   "--seccomp", "unconfined")
        assert "Function not implemented" not in unconfined.stderr + unconfined.stdout
        lines(unconfined, quiet=False)
        # CAP_SYS_ADMIN lifts the default profile's rule.
        admin = run_container(bare_host, runtime, gen, rootfs, "unshare -U true; echo status=$?",
                              "--cap-add", "SYS_ADMIN")
        assert lines(admin)["status"] == "0", admin.stderr
