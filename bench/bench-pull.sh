#!/bin/sh
# Pull benchmark: a ~200 MiB image of several gzip layers on a loopback docker-registry inside a
# throw-away test host. Times crio's PullImage (download, verification and unpacking into the
# store) against `skopeo copy docker://... dir:...` (download and verification only) of the same
# image in the same run, and one thread hashing, inflating and hashing again the same layers in memory
# (the per-byte work of a pull, without I/O) as the one-core limit.
#
# Usage (root): bench/bench-pull.sh [build-dir] [layers] [MiB per layer] [runs]
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
export CRIO_BUILD_DIR=$(cd "${1:-$here/build}" && pwd)
export BENCH_LAYERS=${2:-4} BENCH_LAYER_MIB=${3:-50} BENCH_RUNS=${4:-3}
exec /usr/bin/python3 - "$here" <<'PY'
import os, sys, time
repo = sys.argv[1]
sys.path.insert(0, os.path.join(repo, "tests", "integration"))
from testhost import TestHost
from cri_client import CriClient
import test_images as t

layers, mib, runs = (int(os.environ[k]) for k in ("BENCH_LAYERS", "BENCH_LAYER_MIB", "BENCH_RUNS"))
build = os.environ["CRIO_BUILD_DIR"]
W = "/var/tmp/crio-bench-pull"
REG = f"127.0.0.1:{t.PORT}"
IMAGE = f"{REG}/bench/big:latest"

# One thread doing what a pull must do per byte: sha256 of the blob, gunzip, sha256 of the tar
# stream (OpenSSL's sha256 and zlib, as crio uses them). Blobs are read into memory first.
LIMIT = """
import hashlib, os, sys, time, zlib
d, n = sys.argv[1], int(sys.argv[2])
blobs = sorted((os.path.join(d, f) for f in os.listdir(d)), key=os.path.getsize)[-n:]
data = [open(b, "rb").read() for b in blobs]
start = time.monotonic()
for b in data:
        hashlib.sha256(b).digest()
        z, h = zlib.decompressobj(31), hashlib.sha256()
        for i in range(0, len(b), 1 << 20):
                h.update(z.decompress(b[i:i + (1 << 20)]))
        h.update(z.flush())
print(time.monotonic() - start)
"""

def timed(f):
        start = time.monotonic()
        f()
        return time.monotonic() - start

with TestHost() as host:
        host.install_crio(build, repo)
        host.start_crio()
        t.sh(host, f"mkdir -p {W}")
        host.write_file(f"{W}/mkimage.py", t.MKIMAGE)
        host.write_file(f"{W}/limit.py", LIMIT)
        host.write_file(f"{W}/registry.yml", t.registry_config(f"{W}/storage", t.PORT))
        t.start_service(host, "bench-registry", ["docker-registry", "serve", f"{W}/registry.yml"], t.PORT)
        dirs = " ".join(f"{W}/l{i}" for i in range(layers))
        t.sh(host, f"for i in $(seq 0 {layers - 1}); do mkdir -p {W}/l$i; "
                   f"head -c {mib}M /dev/urandom > {W}/l$i/data; done; "
                   f"python3 {W}/mkimage.py {W}/oci big amd64 - {dirs}; "
                   f"skopeo --insecure-policy copy -q --dest-tls-verify=false oci:{W}/oci:big docker://{IMAGE}",
             timeout=600)
        size = int(t.sh(host, f"du -cb {W}/oci/blobs/sha256 | tail -1 | cut -f1"))
        total_mib = size / 2**20
        cri = CriClient(host.crio_socket())
        ours, skopeo, limit, cpu = [], [], [], []
        pid = t.sh(host, "systemctl show -P MainPID crio").strip()
        def crio_cpu():
                f = t.sh(host, f"cat /proc/{pid}/stat").rsplit(")", 1)[1].split()
                return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
        for _ in range(runs):
                before = crio_cpu()
                ours.append(timed(lambda: cri.image.PullImage(cri.pb.PullImageRequest(
                        image=cri.pb.ImageSpec(image=IMAGE)), timeout=600)))
                cpu.append(crio_cpu() - before)
                cri.image.RemoveImage(cri.pb.RemoveImageRequest(image=cri.pb.ImageSpec(image=IMAGE)))
                t.sh(host, f"rm -rf {W}/dir")
                skopeo.append(timed(lambda: t.sh(host, f"skopeo --insecure-policy copy -q --src-tls-verify=false "
                                                       f"docker://{IMAGE} dir:{W}/dir", timeout=600)))
                limit.append(float(t.sh(host, f"python3 {W}/limit.py {W}/oci/blobs/sha256 {layers}", timeout=600)))
        cri.close()
        host.run(["systemctl", "stop", "bench-registry"], check=False)
        print(f"image: {layers} layers x {mib} MiB random data, {total_mib:.1f} MiB of blobs; best of {runs}")
        for name, ts in (("crio PullImage (download+verify+unpack)", ours),
                         ("skopeo copy docker:// dir: (download+verify)", skopeo),
                         ("sha256 + gunzip + sha256, one thread", limit)):
                print(f"{name:46s} {min(ts):6.2f} s  {total_mib / min(ts):7.1f} MiB/s   "
                      f"(runs: {', '.join(f'{x:.2f}' for x in ts)})")
        print(f"crio CPU time per pull (user+system, all threads): {', '.join(f'{x:.2f}' for x in cpu)} s")
PY
