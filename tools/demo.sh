#!/bin/bash
# The main job: install what is needed, build, then boot a throwaway systemd host, start crio.service
# in it and talk to it with a real CRI client. Nothing it does inside the host reaches this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

if [ "$(id -u)" != 0 ]; then
        echo "tools/demo.sh must run as root (it boots a systemd test host)." >&2
        exit 1
fi

bash tools/install-deps.sh
[ -f build/build.ninja ] || meson setup build
ninja -C build

client="/usr/bin/python3 $repo/tests/integration/cri_client.py --socket /run/crio/crio.sock"
exec /usr/bin/python3 tests/integration/testhost.py run --build-dir build -- bash -c "
        set -e
        echo '\$ crictl version';        $client version;        echo
        echo '\$ crictl info';           $client info;           echo
        echo '\$ crictl runtime-config'; $client runtime-config; echo
        echo '\$ systemctl status crio'; systemctl status --no-pager crio.service || true; echo
        echo '== a pod with two containers from a busybox image on a loopback registry'
        /usr/bin/python3 $repo/tools/demo-pod.py; echo
        read pod web job < /tmp/demo-ids
        slice=\$(systemctl show -P Slice crio-\$web.scope)
        echo \"\\$ systemctl status \$slice\";    systemctl status --no-pager \$slice || true; echo
        echo \"\\$ systemctl status crio-\$web.scope crio-conmon-\$web.scope\"
        systemctl status --no-pager crio-\$web.scope crio-conmon-\$web.scope || true; echo
        echo '\$ journalctl CONTAINER_NAME=k8s_web_demo_test_uid-demo_0'
        journalctl --no-pager -o short CONTAINER_NAME=k8s_web_demo_test_uid-demo_0 | head -5; echo
        echo '\$ journalctl CONTAINER_NAME=k8s_job_demo_test_uid-demo_0'
        journalctl --no-pager -o short CONTAINER_NAME=k8s_job_demo_test_uid-demo_0; echo
        echo \"\\$ cat /var/log/crio-test-pods/demo/web.log\"; head -3 /var/log/crio-test-pods/demo/web.log; echo
        echo '\$ journalctl -u crio';    journalctl --no-pager -u crio.service | tail -20
"
