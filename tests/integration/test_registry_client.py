"""The registry client (src/registry/) against Debian's docker-registry on loopback.

Builds small images from Debian's busybox-static with umoci, pushes them with skopeo, and pulls them
with tests/registry-fetch (our client on an sd-event loop): plain HTTP, a digest-pinned pull, a
multi-arch index, a missing tag, Basic auth, a registry killed mid-blob (failure without retries,
resume with them), and the progress deadline. Only loopback traffic; everything lives in a temp dir.
"""

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

import pytest

BUILD_DIR = os.environ.get("CRIO_BUILD_DIR",
                           os.path.join(os.path.dirname(__file__), "..", "..", "build"))
FETCH = os.path.join(BUILD_DIR, "tests", "registry-fetch")
BUSYBOX = "/bin/busybox"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"

pytestmark = pytest.mark.skipif(
        not all(shutil.which(p) for p in ("docker-registry", "umoci", "skopeo")) or not os.path.exists(BUSYBOX),
        reason="needs docker-registry, umoci, skopeo and busybox-static")


def free_port():
        with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                return s.getsockname()[1]


class Registry:
        def __init__(self, root, htpasswd=None):
                self.root = root
                self.port = free_port()
                self.addr = f"127.0.0.1:{self.port}"
                self.config = os.path.join(root, f"config-{self.port}.yml")
                auth = ""
                if htpasswd:
                        auth = f"auth:\n  htpasswd:\n    realm: crio-test\n    path: {htpasswd}\n"
                with open(self.config, "w") as f:
                        f.write("version: 0.1\n"
                                "log:\n  level: error\n  accesslog:\n    disabled: true\n"
                                f"storage:\n  filesystem:\n    rootdirectory: {root}/storage-{self.port}\n"
                                f"http:\n  addr: {self.addr}\n" + auth)
                self.proc = None
                self.start()

        def start(self):
                self.proc = subprocess.Popen(["docker-registry", "serve", self.config],
                                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                deadline = time.time() + 15
                while time.time() < deadline:
                        try:
                                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                                        return
                        except OSError:
                                time.sleep(0.05)
                raise RuntimeError("docker-registry did not start")

        def stop(self):
                if self.proc and self.proc.poll() is None:
                        self.proc.send_signal(signal.SIGKILL)
                        self.proc.wait()


def run(*args, **kw):
        return subprocess.run(args, check=True, capture_output=True, text=True, **kw)


def build_image(layout, tag, files, arch=None):
        """An OCI image in layout:tag with the given {path in image: host path} added as layers."""
        if not os.path.exists(os.path.join(layout, "index.json")):
                run("umoci", "init", "--layout", layout)
        run("umoci", "new", "--image", f"{layout}:{tag}")
        for dest, src in files.items():
                run("umoci", "insert", "--image", f"{layout}:{tag}", src, dest)
        cfg = ["umoci", "config", "--image", f"{layout}:{tag}", "--config.cmd", "/bin/sh"]
        if arch:
                cfg += ["--architecture", arch]
        run(*cfg)


def push(layout, tag, dest, creds=None):
        cmd = ["skopeo", "--insecure-policy", "copy", "-q", "--dest-tls-verify=false"]
        if creds:
                cmd += ["--dest-creds", creds]
        run(*cmd, f"oci:{layout}:{tag}", f"docker://{dest}")


def fetch(*args, timeout=120):
        p = subprocess.run([FETCH, *args], capture_output=True, text=True, timeout=timeout)
        return p.returncode, p.stdout.splitlines(), p.stderr


def get_manifest(registry, repo, ref, accept):
        req = urllib.request.Request(f"http://{registry.addr}/v2/{repo}/manifests/{ref}", headers={"Accept": accept})
        with urllib.request.urlopen(req) as r:
                return r.read(), r.headers["Content-Type"]


@pytest.fixture(scope="module")
def env():
        tmp = tempfile.mkdtemp(prefix="crio-registry-test.")
        registries = []
        try:
                layout = os.path.join(tmp, "oci")
                bin_dir = os.path.join(tmp, "files")
                os.mkdir(bin_dir)
                shutil.copy(BUSYBOX, os.path.join(bin_dir, "busybox"))
                with open(os.path.join(bin_dir, "big"), "wb") as f:
                        f.write(os.urandom(48 * 1024 * 1024))
                build_image(layout, "busybox", {"/bin/busybox": os.path.join(bin_dir, "busybox")})
                build_image(layout, "arm64", {"/bin/busybox": os.path.join(bin_dir, "busybox")}, arch="arm64")
                build_image(layout, "big", {"/big": os.path.join(bin_dir, "big")})

                registry = Registry(tmp)
                registries.append(registry)
                push(layout, "busybox", f"{registry.addr}/test/busybox:latest")
                push(layout, "busybox", f"{registry.addr}/test/multi:amd64")
                push(layout, "arm64", f"{registry.addr}/test/multi:arm64")
                push(layout, "big", f"{registry.addr}/test/big:latest")

                # A multi-arch index over the two single-arch manifests.
                entries = []
                for tag, arch in (("arm64", "arm64"), ("amd64", "amd64")):
                        body, ctype = get_manifest(registry, "test/multi", tag, OCI_MANIFEST)
                        entries.append({"mediaType": ctype, "size": len(body),
                                        "digest": "sha256:" + hashlib.sha256(body).hexdigest(),
                                        "platform": {"os": "linux", "architecture": arch}})
                index = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}).encode()
                req = urllib.request.Request(f"http://{registry.addr}/v2/test/multi/manifests/latest", data=index,
                                             method="PUT", headers={"Content-Type": OCI_INDEX})
                urllib.request.urlopen(req).close()

                yield {"tmp": tmp, "layout": layout, "registry": registry, "registries": registries,
                       "multi": {e["platform"]["architecture"]: e["digest"] for e in entries}}
        finally:
                for r in registries:
                        r.stop()
                shutil.rmtree(tmp, ignore_errors=True)


def blobs_of(lines):
        return [line.split()[1] for line in lines if line.startswith("blob ")]


def test_pull_plain_http(env):
        out = os.path.join(env["tmp"], "out-plain")
        os.mkdir(out)
        rc, lines, err = fetch("--insecure", "--out", out, f"{env['registry'].addr}/test/busybox:latest")
        assert rc == 0, (lines, err)
        assert lines[-1] == "ok"
        assert lines[0].startswith("manifest " + OCI_MANIFEST)
        blobs = blobs_of(lines)
        assert len(blobs) == 2  # config and the busybox layer
        for digest in blobs:
                with open(os.path.join(out, digest.split(":")[1]), "rb") as f:
                        assert "sha256:" + hashlib.sha256(f.read()).hexdigest() == digest


def test_pull_by_digest(env):
        rc, lines, _ = fetch("--insecure", f"{env['registry'].addr}/test/busybox:latest")
        digest = lines[0].split()[2]
        rc, lines, err = fetch("--insecure", f"{env['registry'].addr}/test/busybox@{digest}")
        assert rc == 0, (lines, err)
        assert lines[0].split()[2] == digest


def test_multi_arch_index(env):
        addr = env["registry"].addr
        rc, lines, err = fetch("--insecure", "--platform", "linux/amd64", f"{addr}/test/multi:latest")
        assert rc == 0, (lines, err)
        assert lines[0].startswith("manifest " + OCI_INDEX)
        assert lines[1] == "chose " + env["multi"]["amd64"]
        rc, lines, err = fetch("--insecure", "--platform", "linux/arm64/v8", f"{addr}/test/multi:latest")
        assert rc == 0, (lines, err)
        assert lines[1] == "chose " + env["multi"]["arm64"]
        rc, lines, _ = fetch("--insecure", "--platform", "linux/s390x", f"{addr}/test/multi:latest")
        assert rc == 1 and lines[-1].startswith("error ENOENT")


def test_missing_tag_and_repo(env):
        addr = env["registry"].addr
        rc, lines, _ = fetch("--insecure", f"{addr}/test/busybox:nope")
        assert rc == 1 and lines[-1].startswith("error ENOENT") and "404" in lines[-1]
        rc, lines, _ = fetch("--insecure", f"{addr}/no/such:latest")
        assert rc == 1 and lines[-1].startswith("error ENOENT")


def test_secure_against_plain_http_fails(env):
        rc, lines, _ = fetch("--retries", "0", f"{env['registry'].addr}/test/busybox:latest")
        assert rc == 1 and lines[-1].startswith("error EPROTO")


def test_basic_auth(env):
        if not shutil.which("htpasswd"):
                pytest.skip("htpasswd (apache2-utils) missing")
        tmp = env["tmp"]
        htpasswd = os.path.join(tmp, "htpasswd")
        with open(htpasswd, "w") as f:
                f.write(run("htpasswd", "-Bbn", "alice", "s3cret").stdout)
        registry = Registry(tmp, htpasswd=htpasswd)
        env["registries"].append(registry)
        push(env["layout"], "busybox", f"{registry.addr}/private/busybox:1", creds="alice:s3cret")

        rc, lines, _ = fetch("--insecure", f"{registry.addr}/private/busybox:1")
        assert rc == 1 and lines[-1].startswith("error EACCES")
        rc, lines, _ = fetch("--insecure", "--user", "alice:wrong", f"{registry.addr}/private/busybox:1")
        assert rc == 1 and lines[-1].startswith("error EACCES")
        rc, lines, err = fetch("--insecure", "--user", "alice:s3cret", f"{registry.addr}/private/busybox:1")
        assert rc == 0, (lines, err)
        assert len(blobs_of(lines)) == 2
        registry.stop()


def test_paused_transfers_resume(env):
        # Every other piece is refused and the transfer paused, then resumed: the blobs still arrive
        # whole (their digests are checked), each byte once.
        out = os.path.join(env["tmp"], "paused")
        os.makedirs(out, exist_ok=True)
        rc, lines, err = fetch("--insecure", "--pause", "--out", out, f"{env['registry'].addr}/test/big:latest",
                               timeout=120)
        assert rc == 0 and lines[-1] == "ok", (lines, err)
        for name in os.listdir(out):
                with open(os.path.join(out, name), "rb") as f:
                        assert hashlib.sha256(f.read()).hexdigest() == name


def start_slow_fetch(env, retries):
        p = subprocess.Popen([FETCH, "--insecure", "--slow", "--retries", str(retries), "--timeout", "10",
                              f"{env['registry'].addr}/test/big:latest"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # Wait until the big layer (the last blob) is under way.
        seen = []
        for line in p.stdout:
                seen.append(line.strip())
                if line.startswith("progress ") and sum(1 for s in seen if s.startswith("blob ")) == 1:
                        break
        time.sleep(0.5)
        return p, seen


def test_registry_killed_mid_blob(env):
        registry = env["registry"]
        p, seen = start_slow_fetch(env, retries=0)
        registry.stop()
        try:
                out, _ = p.communicate(timeout=120)
        finally:
                registry.start()
        lines = seen + out.splitlines()
        assert p.returncode == 1, lines
        assert lines[-1].startswith("error ")
        assert "ok" not in lines


def test_registry_restarted_mid_blob_resumes(env):
        registry = env["registry"]
        p, seen = start_slow_fetch(env, retries=5)
        registry.stop()
        time.sleep(0.3)
        registry.start()
        out, err = p.communicate(timeout=180)
        lines = seen + out.splitlines()
        assert p.returncode == 0, (lines, err)
        assert lines[-1] == "ok"
        assert len(blobs_of(lines)) == 2


def test_progress_deadline():
        # A server that accepts and never answers.
        with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                s.listen(8)
                port = s.getsockname()[1]
                start = time.time()
                rc, lines, _ = fetch("--insecure", "--retries", "0", "--timeout", "2", f"127.0.0.1:{port}/a/b:c",
                                     timeout=30)
                elapsed = time.time() - start
        assert rc == 1 and lines[-1].startswith("error ETIMEDOUT"), lines
        assert elapsed < 10
