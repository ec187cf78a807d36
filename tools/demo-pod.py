#!/usr/bin/python3
"""The container part of tools/demo.sh, run inside the test host: a registry on loopback seeded with
a busybox image (Debian's busybox-static), the image pulled through CRI, a pod with two containers
whose output goes to the CRI log and the journal. Prints the ids; demo.sh shows the units and logs."""

import os
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))

from cri_client import CriClient                       # noqa: E402
import test_containers as t                             # noqa: E402
from test_images import registry_config, start_service  # noqa: E402


class LocalHost:
        """What the test helpers ask of a host, on this machine (we are inside the test host)."""

        def run(self, cmd, check=True, timeout=60, **kw):
                return subprocess.run(cmd, check=check, timeout=timeout, capture_output=True, text=True)

        def write_file(self, path, text, mode=0o644):
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w") as f:
                        f.write(text)
                os.chmod(path, mode)


def main():
        host = LocalHost()
        os.makedirs(t.WORK, exist_ok=True)
        host.write_file(f"{t.WORK}/registry.yml", registry_config(f"{t.WORK}/storage", t.PORT))
        start_service(host, "demo-registry", ["docker-registry", "serve", f"{t.WORK}/registry.yml"], t.PORT)
        t.build_image(host, t.WORK, t.REG)
        with CriClient("/run/crio/crio.sock") as cri:
                pb = cri.pb
                ref = cri.image.PullImage(pb.PullImageRequest(image=pb.ImageSpec(image=t.IMAGE)), timeout=120).image_ref
                print(f"pulled {t.IMAGE} -> {ref}")
                pod_id, pod_cfg = t.run_pod(cri, "demo")
                print(f"pod {pod_id}")
                web = t.run(cri, pod_id, pod_cfg, "web", "echo web is up; while :; do echo tick; sleep 1; done")
                job = t.run(cri, pod_id, pod_cfg, "job", "echo job ran as $(id -un) in $(pwd); exit 0")
                time.sleep(1.5)
                for ctr in (web, job):
                        s = t.status(cri, ctr)
                        print(f"container {s.metadata.name}: {ctr}\n  state={pb.ContainerState.Name(s.state)} "
                              f"exit_code={s.exit_code} reason={s.reason or '-'} log={s.log_path}")
                out = t.exec_sync(cri, web, ["sh", "-c", "echo exec says hi from $(hostname)"]).stdout.decode()
                print(f"ExecSync in web: {out.strip()}")
                with open("/tmp/demo-ids", "w") as f:
                        f.write(f"{pod_id} {web} {job}\n")


if __name__ == "__main__":
        main()
