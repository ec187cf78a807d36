"""The ImageService RPCs of the daemon against Debian's docker-registry, all inside the test host.

The registry runs inside the host on 127.0.0.1 (its own network namespace), so nothing leaves it.
Test images are built in the host from busybox-static with umoci and pushed with skopeo: a small
image, a multi-layer one with a whiteout and an opaque directory, a multi-arch index, a big random
layer. A registry with Basic auth checks credentials, a tiny Python server that cuts blobs short
plays a registry dying mid-blob.
"""

import concurrent.futures
import hashlib
import json
import os
import shutil
import textwrap
import time

import grpc
import pytest

from cri_client import CriClient

pytestmark = [
        pytest.mark.testhost,
        pytest.mark.skipif(not all(shutil.which(p) for p in ("docker-registry", "umoci", "skopeo"))
                           or not os.path.exists("/bin/busybox"),
                           reason="needs docker-registry, umoci, skopeo and busybox-static"),
]

WORK = "/var/tmp/crio-images-test"
PORT = 5123
AUTH_PORT = 5124
CUT_PORT = 5125
TLS_PORT = 5126
TOKEN_REGISTRY_PORT = 5127
TOKEN_PORT = 5128
MIRRORED_PORT = 5129    # never listening: the mirror serves
BLOCKED_PORT = 5130
SLOW_PORT = 5131
MTLS_PORT = 5132
TLS_HOST = "registry.test"
REG = f"127.0.0.1:{PORT}"
STORE = "/var/lib/containers/storage"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"

# Serves the manifests and config of an OCI layout, and every layer blob cut in half: a registry
# that dies mid-blob, every time.
# An OCI layout image from directories, one gzip layer each (Python's tarfile writes complete
# archives; Debian's umoci 0.4.7 leaves out the end-of-archive blocks).
MKIMAGE = textwrap.dedent('''
        import gzip, hashlib, io, json, os, sys, tarfile
        layout, tag, arch, user, dirs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
        os.makedirs(os.path.join(layout, "blobs", "sha256"), exist_ok=True)
        def put(data):
                d = hashlib.sha256(data).hexdigest()
                open(os.path.join(layout, "blobs", "sha256", d), "wb").write(data)
                return "sha256:" + d, len(data)
        layers, diff_ids = [], []
        for d in dirs:
                raw = io.BytesIO()
                with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
                        for name in sorted(os.listdir(d)):
                                t.add(os.path.join(d, name), arcname=name)
                diff_ids.append("sha256:" + hashlib.sha256(raw.getvalue()).hexdigest())
                if os.environ.get("MKIMAGE_COMPRESSION") == "zstd":
                        import subprocess
                        data = subprocess.run(["zstd", "-q", "-c"], input=raw.getvalue(), stdout=subprocess.PIPE,
                                              check=True).stdout
                        media_type = "application/vnd.oci.image.layer.v1.tar+zstd"
                else:
                        data = gzip.compress(raw.getvalue(), compresslevel=1, mtime=0)
                        media_type = "application/vnd.oci.image.layer.v1.tar+gzip"
                digest, size = put(data)
                layers.append({"mediaType": media_type, "digest": digest, "size": size})
        config = {"architecture": arch, "os": "linux", "rootfs": {"type": "layers", "diff_ids": diff_ids},
                  "config": {"Cmd": ["/bin/sh"], "Labels": {"org.test": "yes"}}}
        if user != "-":
                config["config"]["User"] = user
        cd, cs = put(json.dumps(config).encode())
        manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
                    "layers": layers}
        md, ms = put(json.dumps(manifest).encode())
        index_path = os.path.join(layout, "index.json")
        index = json.load(open(index_path)) if os.path.exists(index_path) else {"schemaVersion": 2, "manifests": []}
        index["manifests"] = [m for m in index["manifests"]
                              if m.get("annotations", {}).get("org.opencontainers.image.ref.name") != tag]
        index["manifests"].append({"mediaType": manifest["mediaType"], "digest": md, "size": ms,
                                   "annotations": {"org.opencontainers.image.ref.name": tag}})
        open(index_path, "w").write(json.dumps(index))
        open(os.path.join(layout, "oci-layout"), "w").write('{"imageLayoutVersion": "1.0.0"}')
''')

CUT_SERVER = textwrap.dedent('''
        import http.server, json, os, sys
        layout, port = sys.argv[1], int(sys.argv[2])
        index = json.load(open(os.path.join(layout, "index.json")))
        def blob(d):
                return open(os.path.join(layout, "blobs", *d.split(":")), "rb").read()
        top = index["manifests"][0]
        manifest = json.loads(blob(top["digest"]))
        class H(http.server.BaseHTTPRequestHandler):
                protocol_version = "HTTP/1.1"
                def log_message(self, *a):
                        pass
                def send(self, code, body, ctype="application/octet-stream", cut=False):
                        self.send_response(code)
                        self.send_header("Content-Type", ctype)
                        self.send_header("Content-Length", str(len(body)))
                        self.end_headers()
                        self.wfile.write(body[:len(body) // 2] if cut else body)
                        if cut:
                                self.wfile.flush()
                                self.close_connection = True
                def do_GET(self):
                        p = self.path.split("?")[0]
                        if p == "/v2/":
                                return self.send(200, b"{}", "application/json")
                        if "/manifests/" in p:
                                return self.send(200, blob(top["digest"]), top["mediaType"])
                        if "/blobs/" in p:
                                d = p.rsplit("/", 1)[1]
                                return self.send(200, blob(d), cut=d != manifest["config"]["digest"])
                        self.send(404, b"")
        http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
''')


def sh(host, script, timeout=120):
        return host.run(["/bin/sh", "-ec", script], timeout=timeout).stdout


def registry_config(root, port, htpasswd=None, tls=None, token=None, client_ca=None):
        auth = f"auth:\n  htpasswd:\n    realm: crio-test\n    path: {htpasswd}\n" if htpasswd else ""
        if token:
                auth = ("auth:\n  token:\n" + "".join(f"    {k}: {v}\n" for k, v in token.items()))
        http_tls = f"  tls:\n    certificate: {tls[0]}\n    key: {tls[1]}\n" if tls else ""
        if client_ca:
                http_tls += f"    clientcas:\n      - {client_ca}\n"
        return ("version: 0.1\n"
                "log:\n  level: info\n  formatter: text\n"
                f"storage:\n  filesystem:\n    rootdirectory: {root}\n  delete:\n    enabled: true\n"
                f"http:\n  addr: 127.0.0.1:{port}\n" + http_tls + auth)


def start_service(host, unit, argv, port):
        host.run(["systemd-run", f"--unit={unit}", "--collect", "--quiet", *argv])
        sh(host, f"for i in $(seq 200); do "
                 f"python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", {port}), 1)' "
                 f"2>/dev/null && exit 0; sleep 0.05; done; exit 1")


def blob_gets(host, unit, repo, digest):
        """GETs of one blob in the registry's access log (its journal)."""
        log = host.run(["journalctl", "--no-pager", "-q", "-o", "cat", "-u", unit], check=False).stdout
        needle = f"/v2/{repo}/blobs/{digest}"
        return sum(1 for line in log.splitlines()
                   if needle in line and "response completed" in line and "method=GET" in line)


def manifest_of(host, repo, ref, accept=OCI_MANIFEST):
        return sh(host, f"python3 -c 'import sys, urllib.request as u; "
                        f"r=u.urlopen(u.Request(\"http://{REG}/v2/{repo}/manifests/{ref}\", "
                        f"headers={{\"Accept\": \"{accept}\"}})); sys.stdout.write(r.read().decode())'")


def store_layers(host):
        try:
                return sorted(os.listdir(host.path(f"{STORE}/overlay")))
        except FileNotFoundError:
                return []


@pytest.fixture(scope="module")
def env(testhost):
        host = testhost
        sh(host, f"rm -rf {WORK} && mkdir -p {WORK}/files/etc/dir {WORK}/files/opaque && "
                 f"cp /bin/busybox {WORK}/files/busybox && echo a > {WORK}/files/etc/a && "
                 f"echo x > {WORK}/files/etc/dir/x && echo y > {WORK}/files/opaque/y && "
                 f"head -c 24M /dev/urandom > {WORK}/files/big")
        host.write_file(f"{WORK}/registry.yml", registry_config(f"{WORK}/storage", PORT))
        start_service(host, "crio-test-registry", ["docker-registry", "serve", f"{WORK}/registry.yml"], PORT)

        L = f"{WORK}/oci"
        host.write_file(f"{WORK}/mkimage.py", MKIMAGE)
        mk = f"python3 {WORK}/mkimage.py {L}"
        F = f"{WORK}/files"
        sh(host, textwrap.dedent(f"""
                mkdir -p {WORK}/l/bb/bin {WORK}/l/etc/etc/dir {WORK}/l/wh/etc {WORK}/l/wh/opaque \
                        {WORK}/l/big {WORK}/l/pause/bin {WORK}/l/corrupt
                cp {F}/busybox {WORK}/l/bb/bin/busybox
                cp {F}/busybox {WORK}/l/pause/bin/pause
                echo a > {WORK}/l/etc/etc/a; echo x > {WORK}/l/etc/etc/dir/x
                mkdir -p {WORK}/l/etc/opaque; echo y > {WORK}/l/etc/opaque/y
                : > {WORK}/l/wh/etc/.wh.a; : > {WORK}/l/wh/opaque/.wh..wh..opq; echo z > {WORK}/l/wh/opaque/z
                cp {F}/big {WORK}/l/big/big
                echo corrupt > {WORK}/l/corrupt/corrupt-me
                {mk} busybox amd64 1234:5 {WORK}/l/bb
                {mk} multi amd64 nobody {WORK}/l/bb {WORK}/l/etc {WORK}/l/wh
                {mk} arm64 arm64 - {WORK}/l/bb
                {mk} big amd64 - {WORK}/l/bb {WORK}/l/big
                {mk} pause amd64 - {WORK}/l/pause
                {mk} corrupt amd64 - {WORK}/l/corrupt
                MKIMAGE_COMPRESSION=zstd {mk} zstd amd64 - {WORK}/l/bb {WORK}/l/etc
                push() {{ skopeo --insecure-policy copy -q --dest-tls-verify=false oci:{L}:$1 docker://{REG}/$2; }}
                push busybox test/busybox:latest
                push busybox test/busybox:v1
                push multi test/multi-layer:latest
                push busybox test/multi:amd64
                push arm64 test/multi:arm64
                push big test/big:latest
                push pause test/pause:latest
                push corrupt test/corrupt:latest
                push zstd test/zstd:latest
                """), timeout=300)

        entries = []
        for tag, arch in (("arm64", "arm64"), ("amd64", "amd64")):
                body = manifest_of(host, "test/multi", tag)
                entries.append({"mediaType": OCI_MANIFEST, "size": len(body.encode()),
                                "digest": "sha256:" + hashlib.sha256(body.encode()).hexdigest(),
                                "platform": {"os": "linux", "architecture": arch}})
        index = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries})
        host.write_file(f"{WORK}/index.json", index)
        sh(host, f"python3 -c 'import urllib.request as u; u.urlopen(u.Request("
                 f"\"http://{REG}/v2/test/multi/manifests/latest\", data=open(\"{WORK}/index.json\", \"rb\").read(), "
                 f"method=\"PUT\", headers={{\"Content-Type\": \"{OCI_INDEX}\"}})).close()'")

        host.write_file("/etc/containers/registries.conf", textwrap.dedent(f"""
                unqualified-search-registries = ["{REG}"]
                [aliases]
                "shorty" = "{REG}/test/busybox"
                """))
        host.write_file("/etc/crio/crio.conf.d/50-images-test.conf", textwrap.dedent(f"""
                [crio.image]
                pause_image = "{REG}/test/pause:latest"
                pinned_images = ["{REG}/test/busybox:v*"]
                # Progress lines every second (a tenth of it), and the check itself.
                pull_progress_timeout = "10s"
                """))
        host.stop_crio()
        host.start_crio()
        yield {"host": host, "entries": entries}
        host.run(["systemctl", "stop", "crio-test-registry", "crio-test-registry-auth", "crio-test-cut",
                  "crio-test-registry-tls", "crio-test-registry-mtls", "crio-test-registry-token", "crio-test-token", "crio-test-slow"],
                 check=False)
        host.run(["rm", "-rf", WORK, "/etc/crio/crio.conf.d/50-images-test.conf"], check=False)


@pytest.fixture
def cri(env, crio_socket):
        with CriClient(crio_socket) as client:
                yield client


def spec(cri, image):
        return cri.pb.ImageSpec(image=image)


def pull(cri, image, auth=None, timeout=120):
        req = cri.pb.PullImageRequest(image=spec(cri, image))
        if auth:
                req.auth.CopyFrom(auth)
        return cri.image.PullImage(req, timeout=timeout).image_ref


def status(cri, image, verbose=False):
        return cri.image.ImageStatus(cri.pb.ImageStatusRequest(image=spec(cri, image), verbose=verbose))


def remove(cri, image):
        cri.image.RemoveImage(cri.pb.RemoveImageRequest(image=spec(cri, image)))


def list_ids(cri, image=None):
        req = cri.pb.ListImagesRequest()
        if image:
                req.filter.image.image = image
        return [i.id for i in cri.image.ListImages(req).images]


def test_empty_status_and_fs_info(cri):
        assert not status(cri, f"{REG}/test/never:latest").HasField("image")
        fs = cri.image.ImageFsInfo(cri.pb.ImageFsInfoRequest())
        assert fs.image_filesystems[0].fs_id.mountpoint == f"{STORE}/overlay-images"
        assert fs.image_filesystems[0].HasField("used_bytes")
        assert fs.image_filesystems[0].inodes_used.value > 0
        assert fs.image_filesystems[0].timestamp > 0
        assert fs.container_filesystems[0].fs_id.mountpoint == fs.image_filesystems[0].fs_id.mountpoint


def test_pull_by_tag_status_list_remove(cri, env):
        ref = pull(cri, f"{REG}/test/busybox:latest")
        assert len(ref) == 64
        st = status(cri, f"{REG}/test/busybox:latest", verbose=True)
        img = st.image
        assert img.id == ref
        assert f"{REG}/test/busybox:latest" in img.repo_tags
        digest = "sha256:" + hashlib.sha256(manifest_of(env["host"], "test/busybox", "latest").encode()).hexdigest()
        assert f"{REG}/test/busybox@{digest}" in img.repo_digests
        assert img.uid.value == 1234 and img.username == ""
        assert img.size > 1000000
        info = json.loads(st.info["info"])
        assert info["labels"]["org.test"] == "yes"
        assert info["imageSpec"]["config"]["User"] == "1234:5"
        # Every way kubelet names it.
        for name in (ref, "sha256:" + ref, ref[:12], f"{REG}/test/busybox", f"{REG}/test/busybox@{digest}"):
                assert status(cri, name).image.id == ref, name
        assert list_ids(cri, f"{REG}/test/busybox:latest") == [ref]
        assert ref in list_ids(cri)
        assert list_ids(cri, f"{REG}/test/nothing:latest") == []
        # Streamed, finished OK.
        streamed = [i.id for r in cri.image.StreamImages(cri.pb.StreamImagesRequest()) for i in r.images]
        assert sorted(streamed) == sorted(list_ids(cri))

        remove(cri, ref)
        assert not status(cri, ref).HasField("image")
        remove(cri, ref)  # idempotent


def test_pull_by_digest_and_short_name(cri, env):
        digest = "sha256:" + hashlib.sha256(manifest_of(env["host"], "test/busybox", "latest").encode()).hexdigest()
        ref = pull(cri, f"{REG}/test/busybox@{digest}")
        img = status(cri, ref).image
        assert list(img.repo_tags) == []
        assert f"{REG}/test/busybox@{digest}" in img.repo_digests
        # The alias names the same image; the search registry qualifies an unknown short name.
        assert pull(cri, "shorty") == ref
        assert f"{REG}/test/busybox:latest" in status(cri, "shorty").image.repo_tags
        assert pull(cri, "test/multi-layer")
        assert status(cri, "test/multi-layer").image.username == "nobody"
        remove(cri, ref)
        remove(cri, f"{REG}/test/multi-layer:latest")


def test_multi_layer_whiteouts(cri, env):
        host = env["host"]
        ref = pull(cri, f"{REG}/test/multi-layer:latest")
        out = sh(host, f"cd {STORE}/overlay && find . -path '*/diff/etc/a' -type c -printf '%p %y\\n'")
        assert "/diff/etc/a c" in out, out
        opaque = []
        for layer in store_layers(host):
                d = host.path(f"{STORE}/overlay/{layer}/diff/opaque")
                if os.path.isdir(d):
                        try:
                                opaque.append(os.getxattr(d, "trusted.overlay.opaque"))
                        except OSError:
                                pass
        assert b"y" in opaque
        remove(cri, ref)


def test_multi_arch_index(cri, env):
        ref = pull(cri, f"{REG}/test/multi:latest")
        img = status(cri, ref).image
        amd64 = [e for e in env["entries"] if e["platform"]["architecture"] == "amd64"][0]
        if os.uname().machine == "x86_64":
                assert f"{REG}/test/multi@{amd64['digest']}" in img.repo_digests
        assert len(img.repo_digests) == 2
        remove(cri, ref)


def test_missing_image(cri):
        with pytest.raises(grpc.RpcError) as e:
                pull(cri, f"{REG}/test/missing:latest")
        assert e.value.code() == grpc.StatusCode.UNKNOWN
        assert "test/missing" in e.value.details() and "not found" in e.value.details().lower()


def test_blocked_or_bad_name(cri):
        with pytest.raises(grpc.RpcError) as e:
                pull(cri, "UPPER/Case::bad")
        assert e.value.code() == grpc.StatusCode.UNKNOWN
        assert "invalid" in e.value.details()


def test_concurrent_pulls_fetch_each_blob_once(cri, env):
        host = env["host"]
        manifest = json.loads(manifest_of(host, "test/big", "latest"))
        before = {l["digest"]: blob_gets(host, "crio-test-registry", "test/big", l["digest"])
                  for l in manifest["layers"]}
        with concurrent.futures.ThreadPoolExecutor(10) as pool:
                refs = list(pool.map(lambda _: pull(cri, f"{REG}/test/big:latest"), range(10)))
        try:
                assert len(set(refs)) == 1
                time.sleep(0.5)  # the access log reaches the journal
                for l in manifest["layers"]:
                        got = blob_gets(host, "crio-test-registry", "test/big", l["digest"]) - before[l["digest"]]
                        assert got == 1, host.journal("crio-test-registry.service")[-3000:]
        finally:
                remove(cri, refs[0])


def test_corrupted_blob_leaves_nothing(cri, env):
        host = env["host"]
        manifest = json.loads(manifest_of(host, "test/corrupt", "latest"))
        layer = manifest["layers"][0]["digest"].split(":")[1]
        path = host.path(f"{WORK}/storage/docker/registry/v2/blobs/sha256/{layer[:2]}/{layer}/data")
        with open(path, "r+b") as f:
                data = bytearray(f.read())
                data[len(data) // 2] ^= 0xff
                f.seek(0)
                f.write(data)
        layers_before = store_layers(host)
        with pytest.raises(grpc.RpcError) as e:
                pull(cri, f"{REG}/test/corrupt:latest")
        assert e.value.code() == grpc.StatusCode.UNKNOWN
        assert layer in e.value.details(), e.value.details()
        assert list_ids(cri, f"{REG}/test/corrupt:latest") == []
        assert store_layers(host) == layers_before
        assert not [n for n in os.listdir(host.path(STORE)) if n.startswith(".tmp-")]


def test_registry_dies_mid_blob(cri, env):
        host = env["host"]
        host.write_file(f"{WORK}/cut.py", CUT_SERVER)
        sh(host, f"skopeo --insecure-policy copy -q oci:{WORK}/oci:big oci:{WORK}/oci-big:big")
        start_service(host, "crio-test-cut", ["python3", f"{WORK}/cut.py", f"{WORK}/oci-big", str(CUT_PORT)],
                      CUT_PORT)
        remove(cri, f"{REG}/test/big:latest")
        layers_before = store_layers(host)
        with pytest.raises(grpc.RpcError) as e:
                pull(cri, f"127.0.0.1:{CUT_PORT}/test/big:latest")
        assert "sha256:" in e.value.details() and f"127.0.0.1:{CUT_PORT}" in e.value.details(), e.value.details()
        assert store_layers(host) == layers_before
        assert list_ids(cri, f"127.0.0.1:{CUT_PORT}/test/big:latest") == []


def test_basic_auth(cri, env):
        host = env["host"]
        htpasswd = sh(host, "htpasswd -Bbn alice s3cret")
        host.write_file(f"{WORK}/htpasswd", htpasswd)
        host.write_file(f"{WORK}/registry-auth.yml",
                        registry_config(f"{WORK}/storage", AUTH_PORT, htpasswd=f"{WORK}/htpasswd"))
        start_service(host, "crio-test-registry-auth",
                      ["docker-registry", "serve", f"{WORK}/registry-auth.yml"], AUTH_PORT)
        image = f"127.0.0.1:{AUTH_PORT}/test/busybox:latest"
        with pytest.raises(grpc.RpcError) as e:
                pull(cri, image)
        assert e.value.code() == grpc.StatusCode.UNKNOWN
        with pytest.raises(grpc.RpcError):
                pull(cri, image, auth=cri.pb.AuthConfig(username="alice", password="wrong"))
        ref = pull(cri, image, auth=cri.pb.AuthConfig(username="alice", password="s3cret"))
        assert image in status(cri, ref).image.repo_tags
        remove(cri, image)


def test_pinned_images(cri):
        pause = pull(cri, f"{REG}/test/pause:latest")
        assert status(cri, pause).image.pinned
        with pytest.raises(grpc.RpcError) as e:
                remove(cri, pause)
        assert e.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert status(cri, pause).image.id == pause
        v1 = pull(cri, f"{REG}/test/busybox:v1")
        assert status(cri, v1).image.pinned
        with pytest.raises(grpc.RpcError):
                remove(cri, f"{REG}/test/busybox:v1")


# A registry reachable only through a slow loopback proxy: pulls last long enough to be watched and
# cancelled.
SLOW_PROXY = textwrap.dedent('''
        import socket, sys, threading, time
        port, target, rate = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
        def pump(a, b, slow):
                try:
                        while True:
                                data = a.recv(16384)
                                if not data:
                                        break
                                b.sendall(data)
                                if slow:
                                        time.sleep(len(data) / rate)
                except OSError:
                        pass
                for s in (a, b):
                        try:
                                s.shutdown(socket.SHUT_RDWR)
                        except OSError:
                                pass
        srv = socket.create_server(("127.0.0.1", port))
        while True:
                c, _ = srv.accept()
                u = socket.create_connection(("127.0.0.1", target))
                threading.Thread(target=pump, args=(c, u, False), daemon=True).start()
                threading.Thread(target=pump, args=(u, c, True), daemon=True).start()
''')

# The token server of docker-registry's "token" auth: Basic credentials in, a JWT signed RS256 out
# (by the openssl command: RSASSA-PKCS1-v1_5 over SHA-256), its certificate in the x5c header (the
# registry trusts it through rootcertbundle).
TOKEN_SERVER = textwrap.dedent('''
        import base64, http.server, json, subprocess, sys, time, uuid, urllib.parse
        port, key, cert = int(sys.argv[1]), sys.argv[2], open(sys.argv[3]).read()
        der = "".join(l for l in cert.splitlines() if "-----" not in l)
        def b64url(data):
                return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
        def sign(claims):
                head = b64url(json.dumps({"alg": "RS256", "typ": "JWT", "x5c": [der]}).encode())
                body = b64url(json.dumps(claims).encode())
                sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=f"{head}.{body}".encode(),
                                     stdout=subprocess.PIPE, check=True).stdout
                return f"{head}.{body}.{b64url(sig)}"
        class H(http.server.BaseHTTPRequestHandler):
                def log_message(self, *a):
                        pass
                def do_GET(self):
                        q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
                        if self.headers.get("Authorization", "") != "Basic " + base64.b64encode(b"alice:s3cret").decode():
                                self.send_response(401)
                                self.send_header("Content-Length", "0")
                                self.end_headers()
                                return
                        access = []
                        for scope in q.get("scope", []):
                                kind, name, actions = scope.split(":")
                                access.append({"type": kind, "name": name, "actions": actions.split(",")})
                        now = int(time.time())
                        token = sign({"iss": "crio-test-issuer", "sub": "alice", "aud": q["service"][0], "exp": now + 300,
                                      "nbf": now - 10, "iat": now, "jti": str(uuid.uuid4()), "access": access})
                        body = json.dumps({"token": token, "expires_in": 300}).encode()
                        self.send_response(200)
                        self.send_header("Content-Type", "application/json")
                        self.send_header("Content-Length", str(len(body)))
                        self.end_headers()
                        self.wfile.write(body)
        http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
''')


def make_cert(host, name, cn, san=None):
        """A self-signed certificate and its key under WORK: (cert, key)."""
        ext = f"-addext subjectAltName=DNS:{san}" if san else ""
        sh(host, f"openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN={cn} {ext} "
                 f"-keyout {WORK}/{name}.key -out {WORK}/{name}.crt 2>/dev/null")
        return f"{WORK}/{name}.crt", f"{WORK}/{name}.key"


def write_registries_dropin(host, name, text):
        host.write_file(f"/etc/containers/registries.conf.d/{name}.conf", textwrap.dedent(text))


def test_tls_registry_with_certs_d(cri, env):
        host = env["host"]
        # Not a loopback name, so TLS is verified as for any real registry.
        sh(host, f"grep -q ' {TLS_HOST}$' /etc/hosts || echo '127.0.0.1 {TLS_HOST}' >> /etc/hosts")
        cert, key = make_cert(host, "tls", TLS_HOST, san=TLS_HOST)
        host.write_file(f"{WORK}/registry-tls.yml",
                        registry_config(f"{WORK}/storage", TLS_PORT, tls=(cert, key)))
        start_service(host, "crio-test-registry-tls", ["docker-registry", "serve", f"{WORK}/registry-tls.yml"],
                      TLS_PORT)
        image = f"{TLS_HOST}:{TLS_PORT}/test/multi-layer:latest"
        certs_d = f"/etc/containers/certs.d/{TLS_HOST}:{TLS_PORT}"
        sh(host, f"rm -rf {certs_d}")
        with pytest.raises(grpc.RpcError) as e:
                pull(cri, image)
        assert f"{TLS_HOST}:{TLS_PORT}" in e.value.details(), e.value.details()
        assert "certificate" in e.value.details().lower() or "ssl" in e.value.details().lower(), e.value.details()
        sh(host, f"mkdir -p {certs_d} && cp {cert} {certs_d}/ca.crt")
        try:
                ref = pull(cri, image)
                assert image in status(cri, ref).image.repo_tags
                remove(cri, image)
        finally:
                sh(host, f"rm -rf {certs_d}")


def test_tls_client_certificate_from_certs_d(cri, env):
        host = env["host"]
        sh(host, f"grep -q ' {TLS_HOST}$' /etc/hosts || echo '127.0.0.1 {TLS_HOST}' >> /etc/hosts")
        cert, key = make_cert(host, "mtls", TLS_HOST, san=TLS_HOST)
        client_cert, client_key = make_cert(host, "client", "crio-test-client")
        host.write_file(f"{WORK}/registry-mtls.yml", registry_config(f"{WORK}/storage", MTLS_PORT, tls=(cert, key),
                                                                     client_ca=client_cert))
        start_service(host, "crio-test-registry-mtls", ["docker-registry", "serve", f"{WORK}/registry-mtls.yml"],
                      MTLS_PORT)
        image = f"{TLS_HOST}:{MTLS_PORT}/test/multi-layer:latest"
        certs_d = f"/etc/containers/certs.d/{TLS_HOST}:{MTLS_PORT}"
        sh(host, f"rm -rf {certs_d} && mkdir -p {certs_d} && cp {cert} {certs_d}/ca.crt")
        try:
                with pytest.raises(grpc.RpcError) as e:
                        pull(cri, image)
                assert f"{TLS_HOST}:{MTLS_PORT}" in e.value.details(), e.value.details()
                sh(host, f"cp {client_cert} {certs_d}/client.cert && cp {client_key} {certs_d}/client.key")
                ref = pull(cri, image)
                assert image in status(cri, ref).image.repo_tags
                remove(cri, image)
        finally:
                sh(host, f"rm -rf {certs_d}")


def test_token_auth(cri, env):
        host = env["host"]
        cert, key = make_cert(host, "token", "crio-test-token")
        host.write_file(f"{WORK}/token.py", TOKEN_SERVER)
        start_service(host, "crio-test-token", ["python3", f"{WORK}/token.py", str(TOKEN_PORT), key, cert],
                      TOKEN_PORT)
        host.write_file(f"{WORK}/registry-token.yml", registry_config(
                f"{WORK}/storage", TOKEN_REGISTRY_PORT,
                token={"realm": f"http://127.0.0.1:{TOKEN_PORT}/token", "service": "crio-test-registry",
                       "issuer": "crio-test-issuer", "rootcertbundle": cert}))
        start_service(host, "crio-test-registry-token",
                      ["docker-registry", "serve", f"{WORK}/registry-token.yml"], TOKEN_REGISTRY_PORT)
        image = f"127.0.0.1:{TOKEN_REGISTRY_PORT}/test/multi-layer:latest"
        with pytest.raises(grpc.RpcError) as e:
                pull(cri, image)
        assert f"127.0.0.1:{TOKEN_REGISTRY_PORT}" in e.value.details(), e.value.details()
        ref = pull(cri, image, auth=cri.pb.AuthConfig(username="alice", password="s3cret"))
        assert image in status(cri, ref).image.repo_tags
        remove(cri, image)


def test_mirror_serves_when_primary_is_down(cri, env):
        write_registries_dropin(env["host"], "50-mirror", f"""
                [[registry]]
                location = "127.0.0.1:{MIRRORED_PORT}"
                [[registry.mirror]]
                location = "{REG}"
                """)
        try:
                image = f"127.0.0.1:{MIRRORED_PORT}/test/multi-layer:latest"
                ref = pull(cri, image)
                assert image in status(cri, ref).image.repo_tags
                remove(cri, image)
        finally:
                env["host"].run(["rm", "-f", "/etc/containers/registries.conf.d/50-mirror.conf"])


def test_blocked_registry_is_named(cri, env):
        write_registries_dropin(env["host"], "50-blocked", f"""
                [[registry]]
                location = "127.0.0.1:{BLOCKED_PORT}"
                blocked = true
                """)
        try:
                with pytest.raises(grpc.RpcError) as e:
                        pull(cri, f"127.0.0.1:{BLOCKED_PORT}/test/busybox:latest")
                assert e.value.code() == grpc.StatusCode.UNKNOWN
                assert f"127.0.0.1:{BLOCKED_PORT}" in e.value.details(), e.value.details()
                assert "blocked" in e.value.details(), e.value.details()
        finally:
                env["host"].run(["rm", "-f", "/etc/containers/registries.conf.d/50-blocked.conf"])


def test_zstd_layers(cri, env):
        host = env["host"]
        manifest = json.loads(manifest_of(host, "test/zstd", "latest"))
        assert {l["mediaType"] for l in manifest["layers"]} == {"application/vnd.oci.image.layer.v1.tar+zstd"}
        ref = pull(cri, f"{REG}/test/zstd:latest")
        out = sh(host, f"cd {STORE}/overlay && ls */diff/etc/dir/x */diff/bin/busybox")
        assert "etc/dir/x" in out and "bin/busybox" in out
        remove(cri, ref)


def fs_usage(cri):
        fs = cri.image.ImageFsInfo(cri.pb.ImageFsInfoRequest()).image_filesystems[0]
        return fs.used_bytes.value, fs.inodes_used.value


def test_fs_info_follows_pulls_and_removes(cri, env):
        before = fs_usage(cri)
        ref = pull(cri, f"{REG}/test/big:latest")
        during = fs_usage(cri)
        assert during[0] >= before[0] + 24 * 2**20 and during[1] > before[1], (before, during)
        remove(cri, ref)
        # Back where it was: nothing of the image (layers, manifest, config) is counted any more.
        assert fs_usage(cri) == before


def start_slow_proxy(host, rate):
        host.write_file(f"{WORK}/slow.py", SLOW_PROXY)
        host.run(["systemctl", "stop", "crio-test-slow"], check=False)
        start_service(host, "crio-test-slow", ["python3", f"{WORK}/slow.py", str(SLOW_PORT), str(PORT), str(rate)],
                      SLOW_PORT)


def test_progress_is_logged_during_a_slow_pull(cri, env):
        host = env["host"]
        start_slow_proxy(host, 8 * 2**20)
        image = f"127.0.0.1:{SLOW_PORT}/test/big:latest"
        since = host.run(["date", "+%Y-%m-%d %H:%M:%S"]).stdout.strip()
        ref = pull(cri, image)
        remove(cri, image)
        del ref
        lines = [json.loads(l) for l in host.run(["journalctl", "--no-pager", "-q", "-o", "json", "-u", "crio",
                                                  "--since", since, f"IMAGE_NAME={image}"]).stdout.splitlines()]
        progress = [l for l in lines if "IMAGE_PULL_BYTES_DONE" in l]
        assert progress, lines
        assert int(progress[-1]["IMAGE_PULL_BYTES_TOTAL"]) > 24 * 2**20
        assert any(int(l["IMAGE_PULL_BYTES_DONE"]) > 0 for l in progress)


def test_cancelled_pull_leaves_nothing(cri, env):
        host = env["host"]
        start_slow_proxy(host, 2 * 2**20)
        image = f"127.0.0.1:{SLOW_PORT}/test/big:latest"
        layers_before = store_layers(host)
        # kubelet gives up: the call ends on the client side, and with it the only waiter.
        with pytest.raises(grpc.RpcError) as e:
                pull(cri, image, timeout=3)
        assert e.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
                journal = host.journal("crio.service")
                if f"Pull of image {image} cancelled" in journal:
                        break
                time.sleep(0.2)
        assert f"Pull of image {image} cancelled" in journal
        time.sleep(0.5)
        assert store_layers(host) == layers_before
        assert list_ids(cri, image) == []
        assert not [n for n in os.listdir(host.path(f"{STORE}/overlay")) if n.startswith(".tmp-")]


def crio_maps(host):
        return host.run(["sh", "-c", "cat /proc/$(systemctl show -P MainPID crio)/maps"]).stdout


def wait_unmapped(host, soname, timeout):
        deadline = time.monotonic() + timeout
        while soname in crio_maps(host):
                assert time.monotonic() < deadline, f"{soname} still mapped after {timeout} s without a pull"
                time.sleep(0.25)


def test_pull_libraries_loaded_only_while_pulling(cri, env):
        """libcurl and libarchive (and the forty libraries behind them) are in crio's memory only
        around pulls: loaded by the first, unloaded 10 s after the last."""
        host = env["host"]
        image = f"{REG}/test/multi-layer:latest"
        for soname in ("libcurl.so", "libarchive.so", "libgnutls.so", "libicuuc.so"):
                wait_unmapped(host, soname, 20)
        remove_if_there = list_ids(cri, image)
        if remove_if_there:
                remove(cri, image)
        assert pull(cri, image)
        maps = crio_maps(host)
        assert "libcurl.so" in maps and "libarchive.so" in maps, "loaded by the pull"
        start = time.monotonic()
        wait_unmapped(host, "libcurl.so", 20)
        wait_unmapped(host, "libarchive.so", 5)
        assert time.monotonic() - start > 5, "unloaded too soon after the pull"
        # Unloaded, everything still answers, and the next pull loads them again.
        assert status(cri, image).image.id
        remove(cri, image)
        assert pull(cri, image)
        assert "libcurl.so" in crio_maps(host)
        assert status(cri, image).image.id
