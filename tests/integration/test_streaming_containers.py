# SPDX-License-Identifier: Apache-2.0
"""Exec, Attach and PortForward against real containers and pods: crio in the systemd test host with
conmon and runc, the busybox image of test_containers.py, the CRI URLs spoken to over SPDY
(spdy_client.py) and WebSocket (Debian's python3-websocket).

The streaming server listens on the host's loopback, inside its network namespace: a small relay on
our loopback connects into that namespace for each client connection.
"""

import ctypes
import json
import os
import socket
import struct
import sys
import threading
import time
import urllib.parse

import grpc
import pytest

sys.path.insert(0, os.path.dirname(__file__))
import spdy_client  # noqa: E402
from cri_client import CriClient  # noqa: E402
from test_containers import (ctr_config, create, exec_sync, host, pod_config, start,  # noqa: E402,F401
                             wait_exited, wait_for)

websocket = pytest.importorskip("websocket")

CLONE_NEWNET = 0x40000000
CNI_PLUGIN_DIR = "/usr/lib/cni"
CNI_CONF = "/etc/cni/net.d/10-streaming-test.conf"
CNI_DROP_IN = "/etc/crio/crio.conf.d/60-streaming-test.conf"
_libc = ctypes.CDLL(None, use_errno=True)


def connect_in_netns(pid, port):
        """A TCP connection to 127.0.0.1:port in the network namespace of pid, made by a thread that
        enters it (the rest of the test process stays where it is)."""
        result = {}

        def run():
                fd = os.open(f"/proc/{pid}/ns/net", os.O_RDONLY)
                try:
                        if _libc.setns(fd, CLONE_NEWNET) != 0:
                                result["error"] = OSError(ctypes.get_errno(), "setns")
                                return
                finally:
                        os.close(fd)
                try:
                        result["sock"] = socket.create_connection(("127.0.0.1", port), timeout=30)
                except OSError as e:
                        result["error"] = e

        t = threading.Thread(target=run)
        t.start()
        t.join()
        if "error" in result:
                raise result["error"]
        return result["sock"]


class Relay:
        """Our loopback port → the streaming server in the host's namespace, byte for byte."""

        def __init__(self, pid, port):
                self.pid, self.port = pid, port
                self.sock = socket.socket()
                self.sock.bind(("127.0.0.1", 0))
                self.sock.listen(16)
                self.local_port = self.sock.getsockname()[1]
                threading.Thread(target=self.accept, daemon=True).start()

        def accept(self):
                while True:
                        try:
                                outer, _ = self.sock.accept()
                        except OSError:
                                return
                        try:
                                inner = connect_in_netns(self.pid, self.port)
                        except OSError:
                                outer.close()
                                continue
                        inner.settimeout(None)
                        for a, b in ((outer, inner), (inner, outer)):
                                threading.Thread(target=self.pump, args=(a, b), daemon=True).start()

        @staticmethod
        def pump(a, b):
                try:
                        while True:
                                data = a.recv(1 << 17)
                                if not data:
                                        break
                                b.sendall(data)
                except OSError:
                        pass
                try:
                        b.shutdown(socket.SHUT_WR)
                except OSError:
                        pass

        def url(self, url):
                u = urllib.parse.urlsplit(url)
                assert u.port == self.port, url
                return urllib.parse.urlunsplit(u._replace(netloc=f"127.0.0.1:{self.local_port}"))

        def close(self):
                self.sock.close()


@pytest.fixture(scope="module")
def relays(host):
        made = {}

        def get(url):
                port = urllib.parse.urlsplit(url).port
                if port not in made:
                        made[port] = Relay(host.pid, port)
                return made[port].url(url)
        yield get
        for r in made.values():
                r.close()


def remove_pod(cri, pod_id):
        # The last test restarts crio, which may not know the pod any more.
        try:
                cri.runtime.StopPodSandbox(cri.pb.StopPodSandboxRequest(pod_sandbox_id=pod_id), timeout=90)
                cri.runtime.RemovePodSandbox(cri.pb.RemovePodSandboxRequest(pod_sandbox_id=pod_id), timeout=90)
        except grpc.RpcError:
                pass


@pytest.fixture(scope="module")
def shost(host):
        """The host of test_containers.py, with a loopback-only CNI network for pods of their own."""
        host.cni = os.access(os.path.join(CNI_PLUGIN_DIR, "loopback"), os.X_OK)
        if host.cni:
                host.write_file(CNI_CONF, json.dumps({"cniVersion": "1.0.0", "name": "stream-lo",
                                                      "type": "loopback"}))
                host.write_file(CNI_DROP_IN, f"[crio.network]\nplugin_dirs = [\"{CNI_PLUGIN_DIR}\"]\n")
                host.run(["systemctl", "reset-failed", "crio.service"], check=False)
                host.stop_crio()
                host.start_crio()
        yield host
        host.run(["rm", "-f", CNI_CONF, CNI_DROP_IN], check=False)


@pytest.fixture(scope="module")
def box(shost):
        """A host-network pod with a long-running container (working directory /tmp, env FOO=bar)."""
        with CriClient(shost.crio_socket()) as cri:
                cfg = pod_config(cri, "stream")
                pod_id = cri.runtime.RunPodSandbox(cri.pb.RunPodSandboxRequest(config=cfg), timeout=60).pod_sandbox_id
                ctr_id = create(cri, pod_id, cfg, ctr_config(cri, "sleeper", command=["/bin/sleep", "100000"],
                                                             working_dir="/tmp",
                                                             envs=[cri.pb.KeyValue(key="FOO", value=b"bar")]))
                start(cri, ctr_id)
                yield cri, pod_id, cfg, ctr_id
                remove_pod(cri, pod_id)


def exec_url(cri, relays, ctr_id, cmd, tty=False, stdin=False, stdout=True, stderr=True):
        url = cri.runtime.Exec(cri.pb.ExecRequest(container_id=ctr_id, cmd=cmd, tty=tty, stdin=stdin, stdout=stdout,
                                                  stderr=stderr and not tty)).url
        return relays(url)


def spdy_exec(cri, relays, ctr_id, cmd, stdin_data=None, tty=False, resize=None):
        url = exec_url(cri, relays, ctr_id, cmd, tty=tty, stdin=stdin_data is not None)
        c = spdy_client.SpdyClient(url)
        ids = spdy_client.exec_streams(c, stdin=stdin_data is not None, tty=tty)
        if resize:
                c.send_data(ids["resize"], json.dumps({"Width": resize[0], "Height": resize[1]}).encode())
        if stdin_data is not None:
                c.send_data(ids["stdin"], stdin_data, fin=True)
        c.read_until_closed()
        c.close()
        return {k: bytes(c.streams[v].data) for k, v in ids.items()}


def exit_code(status_json):
        status = json.loads(status_json)
        if status["status"] == "Success":
                return 0
        return int(status["details"]["causes"][0]["message"])


def test_exec_spdy_stdin_exit_code(box, relays):
        cri, _, _, ctr_id = box
        out = spdy_exec(cri, relays, ctr_id, ["/bin/sh", "-c", "cat; echo err >&2; exit 3"], stdin_data=b"hello\n")
        assert out["stdout"] == b"hello\n"
        assert out["stderr"] == b"err\n"
        assert exit_code(out["error"]) == 3
        out = spdy_exec(cri, relays, ctr_id, ["/bin/true"])
        assert exit_code(out["error"]) == 0


def test_exec_has_the_containers_process_and_cgroup(box, relays):
        cri, _, _, ctr_id = box
        out = spdy_exec(cri, relays, ctr_id, ["/bin/sh", "-c", "pwd; echo $FOO; id -u; cat /proc/self/cgroup"])
        lines = out["stdout"].decode().splitlines()
        assert lines[:3] == ["/tmp", "bar", "0"]
        expected = exec_sync(cri, ctr_id, ["cat", "/proc/self/cgroup"]).stdout.decode().splitlines()
        assert lines[3:] == expected


def test_exec_tty_resize(box, relays):
        cri, _, _, ctr_id = box
        out = spdy_exec(cri, relays, ctr_id, ["/bin/sh", "-c", "sleep 1; stty size; tty"], tty=True,
                        resize=(100, 40))
        text = out["stdout"].decode()
        assert "40 100" in text, text
        assert "/dev/pts/" in text
        assert "stderr" not in out
        assert exit_code(out["error"]) == 0


def test_exec_missing_command(box, relays):
        cri, _, _, ctr_id = box
        out = spdy_exec(cri, relays, ctr_id, ["/no/such/command"])
        assert exit_code(out["error"]) != 0
        assert b"/no/such/command" in out["stderr"], out


def ws_exec(cri, relays, ctr_id, cmd, protocol, stdin_data=None, tty=False):
        url = exec_url(cri, relays, ctr_id, cmd, tty=tty, stdin=stdin_data is not None).replace("http://", "ws://")
        ws = websocket.create_connection(url, subprotocols=[protocol])
        assert ws.getsubprotocol() == protocol
        if stdin_data is not None:
                ws.send_binary(b"\x00" + stdin_data)
                ws.send_binary(b"\xff\x00")     # v5: stdin closed
        out = {}
        while True:
                try:
                        op, data = ws.recv_data()
                except websocket.WebSocketConnectionClosedException:
                        break
                if op == websocket.ABNF.OPCODE_CLOSE:
                        break
                if data:
                        out[data[0]] = out.get(data[0], b"") + data[1:]
        ws.close()
        return out


def test_exec_websocket(box, relays):
        cri, _, _, ctr_id = box
        out = ws_exec(cri, relays, ctr_id, ["/bin/sh", "-c", "cat; echo e >&2; exit 7"], "v5.channel.k8s.io",
                      stdin_data=b"through websocket\n")
        assert out[1] == b"through websocket\n"
        assert out[2] == b"e\n"
        assert exit_code(out[3]) == 7
        out = ws_exec(cri, relays, ctr_id, ["/bin/sh", "-c", "tty"], "v4.channel.k8s.io", tty=True)
        assert out[1].startswith(b"/dev/pts/")


def test_exec_100mib(box, relays):
        cri, _, _, ctr_id = box
        size = 100 * 1024 * 1024
        c = spdy_client.SpdyClient(exec_url(cri, relays, ctr_id, ["/bin/cat"], stdin=True))
        ids = spdy_client.exec_streams(c, stdin=True)
        reader = c.start_reader()
        block = os.urandom(1024 * 1024)
        start_time = time.monotonic()
        for _ in range(size // len(block)):
                c.send_data(ids["stdin"], block)
        c.send_data(ids["stdin"], b"", fin=True)
        reader.join(180)
        c.close()
        data = c.streams[ids["stdout"]].data
        assert len(data) == size
        assert data[:len(block)] == block and data[-len(block):] == block
        assert exit_code(c.streams[ids["error"]].data) == 0
        print(f"100 MiB through exec in {time.monotonic() - start_time:.1f} s")


def exec_leftovers(host):
        """The runtime's exec processes and crio's files for them (crio's /tmp, through its root)."""
        procs = [line for line in host.run(["pgrep", "-a", "runc"], check=False).stdout.splitlines()
                 if " exec " in line]
        files = host.run("ls -d /proc/$(systemctl show -P MainPID crio)/root/tmp/crio-exec-* 2>/dev/null || true",
                         check=False).stdout.split()
        return procs + files


def test_client_disconnect_kills_exec(host, box, relays):
        cri, _, _, ctr_id = box
        assert exec_leftovers(host) == []
        c = spdy_client.SpdyClient(exec_url(cri, relays, ctr_id, ["/bin/sleep", "4242"], stdin=True))
        spdy_client.exec_streams(c, stdin=True)

        def sleeping():
                return "sleep 4242" in exec_sync(cri, ctr_id, ["ps", "-o", "pid,args"]).stdout.decode()
        wait_for(sleeping, 20, "the exec'd sleep")
        assert len(exec_leftovers(host)) == 2       # the runtime's exec, the directory of its files
        c.close()
        wait_for(lambda: not sleeping(), 20, "the exec'd sleep to be killed")
        wait_for(lambda: exec_leftovers(host) == [], 20, "the runtime's exec and its files to go")


def test_exec_refused_for_missing_and_stopped(box):
        cri, pod_id, cfg, _ = box
        with pytest.raises(grpc.RpcError) as e:
                cri.runtime.Exec(cri.pb.ExecRequest(container_id="nope", cmd=["true"], stdout=True))
        assert e.value.code() == grpc.StatusCode.NOT_FOUND
        ctr_id = create(cri, pod_id, cfg, ctr_config(cri, "quick", command=["/bin/true"]))
        start(cri, ctr_id)
        wait_exited(cri, ctr_id)
        with pytest.raises(grpc.RpcError) as e:
                cri.runtime.Exec(cri.pb.ExecRequest(container_id=ctr_id, cmd=["true"], stdout=True))
        assert e.value.code() == grpc.StatusCode.FAILED_PRECONDITION


def test_attach_to_shell(box, relays):
        cri, pod_id, cfg, _ = box
        ctr_id = create(cri, pod_id, cfg, ctr_config(cri, "shell", command=["/bin/sh"], stdin=True,
                                                     stdin_once=True))
        start(cri, ctr_id)
        url = relays(cri.runtime.Attach(cri.pb.AttachRequest(container_id=ctr_id, stdin=True, stdout=True,
                                                             stderr=True)).url)
        c = spdy_client.SpdyClient(url)
        ids = spdy_client.exec_streams(c, stdin=True)
        c.send_data(ids["stdin"], b"echo attached; echo to-stderr >&2; exit 4\n", fin=True)
        reader = c.start_reader()
        reader.join(30)
        c.close()
        assert c.streams[ids["stdout"]].data == b"attached\n"
        assert c.streams[ids["stderr"]].data == b"to-stderr\n"
        assert exit_code(c.streams[ids["error"]].data) == 0     # an attach that ran to the end, as CRI-O
        assert wait_exited(cri, ctr_id).exit_code == 4


def test_attach_tty_resize(box, relays):
        cri, pod_id, cfg, _ = box
        ctr_id = create(cri, pod_id, cfg, ctr_config(cri, "tty-shell", command=["/bin/sh"], stdin=True, tty=True))
        start(cri, ctr_id)
        url = relays(cri.runtime.Attach(cri.pb.AttachRequest(container_id=ctr_id, stdin=True, stdout=True,
                                                             tty=True)).url)
        c = spdy_client.SpdyClient(url)
        ids = spdy_client.exec_streams(c, stdin=True, tty=True)
        reader = c.start_reader()
        c.send_data(ids["resize"], json.dumps({"Width": 123, "Height": 45}).encode())
        time.sleep(0.5)
        c.send_data(ids["stdin"], b"stty size\n")
        assert c.wait(lambda: b"45 123" in c.streams[ids["stdout"]].data, 20), c.streams[ids["stdout"]].data
        # Detaching leaves the container running.
        c.close()
        reader.join(10)
        time.sleep(0.5)
        assert cri.runtime.ContainerStatus(cri.pb.ContainerStatusRequest(container_id=ctr_id)).status.state == \
                cri.pb.CONTAINER_RUNNING


def http_through_port_forward(cri, relays, pod_id, port):
        url = relays(cri.runtime.PortForward(cri.pb.PortForwardRequest(pod_sandbox_id=pod_id, port=[port])).url)
        c = spdy_client.SpdyClient(url, protocols=("portforward.k8s.io",))
        reader = c.start_reader()
        err = c.open_stream({"streamType": "error", "port": port, "requestID": 0})
        c.send_data(err, b"", fin=True)
        data = c.open_stream({"streamType": "data", "port": port, "requestID": 0})
        c.send_data(data, b"GET /hello.txt HTTP/1.0\r\n\r\n", fin=True)
        assert c.wait(lambda: c.streams[data].fin or c.streams[err].fin and c.streams[err].data, 20)
        c.wait(lambda: c.streams[data].fin, 5)
        c.close()
        reader.join(10)
        return bytes(c.streams[data].data), bytes(c.streams[err].data)


def serve_http(cri, pod_id, cfg, port):
        ctr_id = create(cri, pod_id, cfg, ctr_config(
                cri, f"httpd-{port}", command=["/bin/sh", "-c",
                                               f"mkdir -p /tmp/www && echo hello from {port} > /tmp/www/hello.txt && "
                                               f"exec httpd -f -p {port} -h /tmp/www"]))
        start(cri, ctr_id)
        wait_for(lambda: f":{port}" in exec_sync(cri, ctr_id, ["netstat", "-ltn"]).stdout.decode(), 20,
                 "httpd to listen")
        return ctr_id


def test_port_forward_host_network(box, relays):
        cri, pod_id, cfg, _ = box
        serve_http(cri, pod_id, cfg, 18080)
        body, err = http_through_port_forward(cri, relays, pod_id, 18080)
        assert b"200 OK" in body and b"hello from 18080" in body, (body, err)
        body, err = http_through_port_forward(cri, relays, pod_id, 18081)
        assert b"error forwarding port 18081" in err


@pytest.fixture(scope="module")
def cni_pod(shost):
        if not shost.cni:
                pytest.skip("the CNI loopback plugin is missing (containernetworking-plugins)")
        with CriClient(shost.crio_socket()) as cri:
                cfg = pod_config(cri, "stream-cni")
                cfg.linux.security_context.namespace_options.network = cri.pb.POD
                pod_id = cri.runtime.RunPodSandbox(cri.pb.RunPodSandboxRequest(config=cfg), timeout=60).pod_sandbox_id
                yield cri, pod_id, cfg
                remove_pod(cri, pod_id)


def test_port_forward_cni_pod(shost, cni_pod, relays):
        cri, pod_id, cfg = cni_pod
        serve_http(cri, pod_id, cfg, 8080)
        # The port is the pod's, not the host's.
        assert ":8080 " not in shost.run(["ss", "-ltn"], check=False).stdout
        body, err = http_through_port_forward(cri, relays, pod_id, 8080)
        assert b"hello from 8080" in body, (body, err)
        # WebSocket port forwarding: data channel 0, error channel 1, each starting with the port.
        url = relays(cri.runtime.PortForward(cri.pb.PortForwardRequest(pod_sandbox_id=pod_id, port=[8080])).url)
        ws = websocket.create_connection(url.replace("http://", "ws://") + "?ports=8080",
                                         subprotocols=["portforward.k8s.io"])
        first = {}
        while len(first) < 2:
                data = ws.recv()
                first[data[0]] = data[1:]
        assert first[0] == struct.pack("<H", 8080)
        ws.send_binary(b"\x00GET /hello.txt HTTP/1.0\r\n\r\n")
        got = b""
        while b"hello from 8080" not in got:
                data = ws.recv()
                if not data:
                        break
                assert data[0] == 0
                got += data[1:]
        ws.close()
        assert b"hello from 8080" in got


def test_port_forward_100mib_echo(cni_pod, relays):
        cri, pod_id, cfg = cni_pod
        ctr_id = create(cri, pod_id, cfg, ctr_config(cri, "echo", command=["nc", "-l", "-p", "9000", "-e", "cat"]))
        start(cri, ctr_id)
        wait_for(lambda: ":9000" in exec_sync(cri, ctr_id, ["netstat", "-ltn"]).stdout.decode(), 20, "nc to listen")
        url = relays(cri.runtime.PortForward(cri.pb.PortForwardRequest(pod_sandbox_id=pod_id, port=[9000])).url)
        c = spdy_client.SpdyClient(url, protocols=("portforward.k8s.io",))
        reader = c.start_reader()
        err = c.open_stream({"streamType": "error", "port": 9000, "requestID": 0})
        c.send_data(err, b"", fin=True)
        data = c.open_stream({"streamType": "data", "port": 9000, "requestID": 0})
        block = os.urandom(1024 * 1024)
        for _ in range(100):
                c.send_data(data, block)
        c.send_data(data, b"", fin=True)
        assert c.wait(lambda: c.streams[data].fin, 120)
        c.close()
        reader.join(10)
        got = c.streams[data].data
        assert len(got) == 100 * len(block), (len(got), bytes(c.streams[err].data))
        assert got[:len(block)] == block and got[-len(block):] == block


def test_port_forward_concurrent_connections(cni_pod, relays):
        cri, pod_id, cfg = cni_pod
        ctr_id = create(cri, pod_id, cfg, ctr_config(cri, "echo-many",
                                                     command=["nc", "-ll", "-p", "9001", "-e", "cat"]))
        start(cri, ctr_id)
        wait_for(lambda: ":9001" in exec_sync(cri, ctr_id, ["netstat", "-ltn"]).stdout.decode(), 20, "nc to listen")
        url = relays(cri.runtime.PortForward(cri.pb.PortForwardRequest(pod_sandbox_id=pod_id)).url)
        c = spdy_client.SpdyClient(url, protocols=("portforward.k8s.io",))
        reader = c.start_reader()
        pairs = []
        for rid in range(4):
                port = 9001 if rid < 3 else 9002       # the last: nobody listens
                err = c.open_stream({"streamType": "error", "port": port, "requestID": rid})
                c.send_data(err, b"", fin=True)
                pairs.append((err, c.open_stream({"streamType": "data", "port": port, "requestID": rid})))
        for i, (_, data) in enumerate(pairs[:3]):
                c.send_data(data, f"connection {i}\n".encode() * 10000, fin=True)
        for i, (err, data) in enumerate(pairs[:3]):
                assert c.wait(lambda: c.streams[data].fin, 30)
                assert c.streams[data].data == f"connection {i}\n".encode() * 10000
                assert c.streams[err].data == b""
        err = pairs[3][0]
        assert c.wait(lambda: c.streams[err].fin, 30)
        assert b"error forwarding port 9002" in c.streams[err].data
        c.close()
        reader.join(10)


@pytest.mark.parametrize("tty", [False, True])
def test_exec_under_crun(box, relays, tty):
        cri, pod_id, _, _ = box
        cfg = pod_config(cri, f"stream-crun-{int(tty)}")
        crun_pod = cri.runtime.RunPodSandbox(cri.pb.RunPodSandboxRequest(config=cfg, runtime_handler="crun"),
                                             timeout=60).pod_sandbox_id
        try:
                ctr_id = create(cri, crun_pod, cfg, ctr_config(cri, "sleeper", command=["/bin/sleep", "100000"]))
                start(cri, ctr_id)
                out = spdy_exec(cri, relays, ctr_id, ["/bin/sh", "-c", "sleep 0.5; [ -t 1 ] && stty size; cat; exit 5"],
                                # On a tty, closing stdin is no EOF: ^D at the start of a line is.
                                stdin_data=b"via crun\n\x04" if tty else b"via crun\n", tty=tty,
                                resize=(90, 30) if tty else None)
                assert b"via crun" in out["stdout"]
                assert (b"30 90" in out["stdout"]) == tty, out
                assert exit_code(out["error"]) == 5
        finally:
                remove_pod(cri, crun_pod)


def test_zz_no_sanitizer_reports(shost, box, relays):
        """Under an ASan/UBSan build: crio stopped with an exec session open reports no error or leak."""
        cri, _, _, ctr_id = box
        c = spdy_client.SpdyClient(exec_url(cri, relays, ctr_id, ["/bin/sleep", "4343"], stdin=True))
        spdy_client.exec_streams(c, stdin=True)
        wait_for(lambda: "sleep 4343" in exec_sync(cri, ctr_id, ["ps", "-o", "args"]).stdout.decode(), 20, "the sleep")
        shost.run(["systemctl", "reset-failed", "crio.service"], check=False)
        shost.stop_crio()
        c.close()
        text = shost.journal("crio.service")
        for marker in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
                assert marker not in text, text[text.index(marker) - 200:][:4000]
        # The exec went with crio's stop: the runtime's exec and the process in the container.
        assert exec_leftovers(shost) == []
        assert shost.run(["pgrep", "-f", "sleep 4343"], check=False).stdout == ""
        shost.start_crio()



TLS_DROP_IN = "/etc/crio/crio.conf.d/61-streaming-tls.conf"
TLS_DIR = "/etc/crio/stream-tls"


def test_tls_exec_port_forward_and_rotation(shost, relays, tmp_path):
        """stream_enable_tls with a CA: https:// URLs, client certificates required, exec and
        port-forward over TLS into a real container and pod, a rotated pair taken without restart."""
        from test_streaming import Certs, der, refused
        certs = Certs(tmp_path)
        for name in ("server-1", "server-2"):
                certs.make_pair(name)
        certs.make_pair("client", server=False)

        def put(src, dst):
                with open(certs.path(src), "rb") as f:
                        shost.write_file(f"{TLS_DIR}/{dst}", f.read(), mode=0o600)
        put("server-1.crt", "tls.crt")
        put("server-1.key", "tls.key")
        put("ca.crt", "ca.crt")
        shost.write_file(TLS_DROP_IN, f"[crio.api]\nstream_enable_tls = true\nstream_tls_cert = \"{TLS_DIR}/tls.crt\"\n"
                                      f"stream_tls_key = \"{TLS_DIR}/tls.key\"\nstream_tls_ca = \"{TLS_DIR}/ca.crt\"\n")
        shost.run(["systemctl", "reset-failed", "crio.service"], check=False)
        shost.stop_crio()
        shost.start_crio()
        ctx = certs.client_context("client")
        try:
                with CriClient(shost.crio_socket()) as cri:
                        cfg = pod_config(cri, "stream-tls")
                        pod_id = cri.runtime.RunPodSandbox(cri.pb.RunPodSandboxRequest(config=cfg),
                                                           timeout=60).pod_sandbox_id
                        try:
                                ctr_id = create(cri, pod_id, cfg, ctr_config(cri, "sleeper",
                                                                             command=["/bin/sleep", "100000"]))
                                start(cri, ctr_id)

                                def exec_echo(context, word):
                                        url = cri.runtime.Exec(cri.pb.ExecRequest(container_id=ctr_id, cmd=["echo", word],
                                                                                  stdout=True, stderr=True)).url
                                        assert url.startswith("https://"), url
                                        c = spdy_client.SpdyClient(relays(url), ssl_context=context, flow_control=False)
                                        ids = spdy_client.exec_streams(c)
                                        c.read_until_closed()
                                        c.close()
                                        assert exit_code(c.streams[ids["error"]].data) == 0
                                        return bytes(c.streams[ids["stdout"]].data)

                                assert exec_echo(ctx, "secure") == b"secure\n"
                                assert refused(lambda: exec_echo(certs.client_context(), "anonymous"))

                                # Port-forward over TLS to httpd in the (host-network) pod.
                                serve_http(cri, pod_id, cfg, 18090)
                                url = cri.runtime.PortForward(cri.pb.PortForwardRequest(pod_sandbox_id=pod_id,
                                                                                        port=[18090])).url
                                assert url.startswith("https://"), url
                                c = spdy_client.SpdyClient(relays(url), protocols=("portforward.k8s.io",),
                                                           ssl_context=ctx, flow_control=False)
                                err = c.open_stream({"streamType": "error", "port": 18090, "requestID": 0})
                                c.send_data(err, b"", fin=True)
                                data = c.open_stream({"streamType": "data", "port": 18090, "requestID": 0})
                                c.send_data(data, b"GET /hello.txt HTTP/1.0\r\n\r\n", fin=True)
                                assert c.read_until(lambda: c.streams[data].fin)
                                c.close()
                                assert b"hello from 18090" in c.streams[data].data, bytes(c.streams[err].data)

                                # Rotation: the new pair is shown to the next connection, crio keeps running.
                                pid = shost.run(["systemctl", "show", "-P", "MainPID", "crio"]).stdout.strip()
                                probe_url = relays(url)
                                port = urllib.parse.urlsplit(probe_url).port
                                put("server-2.crt", "tls.crt")
                                put("server-2.key", "tls.key")

                                def shows_server_2():
                                        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
                                                with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
                                                        return s.getpeercert(binary_form=True) == \
                                                                der(certs.path("server-2.crt"))
                                wait_for(shows_server_2, 20, "the rotated certificate")
                                assert exec_echo(ctx, "rotated") == b"rotated\n"
                                assert shost.run(["systemctl", "show", "-P", "MainPID", "crio"]).stdout.strip() == pid
                                assert "Reloaded the TLS certificate" in shost.journal("crio.service")
                        finally:
                                remove_pod(cri, pod_id)
        finally:
                shost.run(["rm", "-rf", TLS_DROP_IN, TLS_DIR], check=False)
                shost.run(["systemctl", "reset-failed", "crio.service"], check=False)
                shost.stop_crio()
                text = shost.journal("crio.service")
                shost.start_crio()
        # Under an ASan/UBSan build: the TLS server and its reloads left no report either.
        for marker in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
                assert marker not in text, text[text.index(marker) - 200:][:4000]
