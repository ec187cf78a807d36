#!/bin/sh
# Pull benchmark: a ~200 MiB image of several gzip layers on a loopback docker-registry inside a
# throw-away test host. Times crio's PullImage (download, verification and unpacking into the
# store) against `skopeo copy docker://... dir:...` (download and verification only) of the same
# image in the same run, and one core's `gzip -dc | sha256sum` over the same layers as the limit.
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

def timed(f):
        start = time.monotonic()
        f()
        return time.monotonic() - start

with TestHost() as host:
        host.install_crio(build, repo)
        host.start_crio()
        t.sh(host, f"mkdir -p {W}")
        host.write_file(f"{W}/mkimage.py", t.MKIMAGE)
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
        ours, skopeo, limit = [], [], []
        for _ in range(runs):
                ours.append(timed(lambda: cri.image.PullImage(cri.pb.PullImageRequest(
                        image=cri.pb.ImageSpec(image=IMAGE)), timeout=600)))
                cri.image.RemoveImage(cri.pb.RemoveImageRequest(image=cri.pb.ImageSpec(image=IMAGE)))
                t.sh(host, f"rm -rf {W}/dir")
                skopeo.append(timed(lambda: t.sh(host, f"skopeo --insecure-policy copy -q --src-tls-verify=false "
                                                       f"docker://{IMAGE} dir:{W}/dir", timeout=600)))
                limit.append(timed(lambda: t.sh(host, f"for f in $(ls -S {W}/oci/blobs/sha256 | head -{layers}); do "
                                                      f"gzip -dc {W}/oci/blobs/sha256/$f; done | sha256sum",
                                                timeout=600)))
        cri.close()
        host.run(["systemctl", "stop", "bench-registry"], check=False)
        print(f"image: {layers} layers x {mib} MiB random data, {total_mib:.1f} MiB of blobs; best of {runs}")
        for name, ts in (("crio PullImage (download+verify+unpack)", ours),
                         ("skopeo copy docker:// dir: (download+verify)", skopeo),
                         ("gzip -dc | sha256sum, one core", limit)):
                print(f"{name:46s} {min(ts):6.2f} s  {total_mib / min(ts):7.1f} MiB/s   "
                      f"(runs: {', '.join(f'{x:.2f}' for x in ts)})")
PY
