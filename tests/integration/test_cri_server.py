"""The CRI gRPC server of the daemon, through real clients, inside the systemd test host."""

import os
import socket
import stat
import struct
import subprocess
import time

import grpc
import pytest

import h2raw
from cri_client import CriClient, load_stubs

pytestmark = pytest.mark.testhost

MiB = 1024 * 1024


def crio_pid(host):
    return int(host.run(["systemctl", "show", "-p", "MainPID", "--value", "crio.service"]).stdout.strip())


def crio_rss_kib(host):
    status = host.run(["cat", f"/proc/{crio_pid(host)}/status"]).stdout
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS in /proc/PID/status")


@pytest.fixture
def cri(crio_socket):
    with CriClient(crio_socket, max_message=200 * MiB) as client:
        yield client


@pytest.fixture
def still_serving(testhost, crio_socket):
    """After the test: crio answers Version, is the same process, and its memory has not grown."""
    pid = crio_pid(testhost)
    with CriClient(crio_socket) as c:  # warm up allocator pools before measuring
        for _ in range(50):
            c.runtime.Version(c.pb.VersionRequest(), timeout=5)
    rss_before = crio_rss_kib(testhost)
    yield
    with CriClient(crio_socket) as c:
        v = c.runtime.Version(c.pb.VersionRequest(), timeout=5)
        assert v.runtime_name == "cri-o"
    assert crio_pid(testhost) == pid, "crio restarted during the test"
    assert testhost.run(["systemctl", "is-active", "crio.service"], check=False).stdout.strip() == "active"
    rss_after = crio_rss_kib(testhost)
    assert rss_after - rss_before < 2048, f"RSS grew from {rss_before} KiB to {rss_after} KiB"


def test_version(cri):
    v = cri.runtime.Version(cri.pb.VersionRequest(version="v1"), timeout=5)
    assert (v.version, v.runtime_name, v.runtime_version, v.runtime_api_version) == \
        ("0.1.0", "cri-o", "1.36.0", "v1")


def test_status_conditions(cri):
    s = cri.runtime.Status(cri.pb.StatusRequest(), timeout=5)
    conds = {c.type: c for c in s.status.conditions}
    assert conds["RuntimeReady"].status is True
    assert conds["NetworkReady"].status is False
    assert conds["NetworkReady"].reason == "NetworkPluginNotReady"
    assert "CNI" in conds["NetworkReady"].message
    assert not s.info, "info is only filled when verbose"
    assert [h.name for h in s.runtime_handlers] == ["", "runc"]
    assert s.features.supplemental_groups_policy


def test_status_verbose_info_is_json(cri):
    import json
    s = cri.runtime.Status(cri.pb.StatusRequest(verbose=True), timeout=5)
    config = json.loads(s.info["config"])
    assert config["runtime"]["default_runtime"] == "runc"
    assert config["api"]["grpc_max_recv_msg_size"] == 80 * MiB


def test_runtime_config_cgroup_driver(cri):
    r = cri.runtime.RuntimeConfig(cri.pb.RuntimeConfigRequest(), timeout=5)
    assert r.linux.cgroup_driver == cri.pb.SYSTEMD


# The RPCs no issue has implemented yet. An issue that implements one removes it here; every other RPC
# must then answer something other than UNIMPLEMENTED.
NOT_YET_IMPLEMENTED = set()


def all_rpcs():
    pb, _ = load_stubs()
    for service in pb.DESCRIPTOR.services_by_name.values():
        for method in service.methods:
            yield service, method


def call_with_empty_request(cri, service, method):
    """Returns the grpc.StatusCode and details of an RPC called with an empty request."""
    path = f"/{service.full_name}/{method.name}"
    request = getattr(cri.pb, method.input_type.name)()
    try:
        if method.server_streaming:
            list(cri.channel.unary_stream(path, request_serializer=lambda m: m.SerializeToString())(
                request, timeout=5))
        else:
            cri.channel.unary_unary(path, request_serializer=lambda m: m.SerializeToString())(request, timeout=5)
    except grpc.RpcError as e:
        return e.code(), e.details()
    return grpc.StatusCode.OK, ""


def test_unimplemented_rpcs_say_so_by_name(cri):
    names = {m.name for _, m in all_rpcs()}
    assert NOT_YET_IMPLEMENTED <= names, NOT_YET_IMPLEMENTED - names
    for service, method in all_rpcs():
        code, details = call_with_empty_request(cri, service, method)
        if method.name in NOT_YET_IMPLEMENTED:
            assert code == grpc.StatusCode.UNIMPLEMENTED, method.name
            assert method.name in details, method.name
        else:
            assert code != grpc.StatusCode.UNIMPLEMENTED, f"{method.name} is listed as implemented"


def test_unknown_method(cri, still_serving):
    call = cri.channel.unary_unary("/runtime.v1.RuntimeService/NoSuchThing")
    with pytest.raises(grpc.RpcError) as e:
        call(b"", timeout=5)
    assert e.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert "NoSuchThing" in e.value.details()


def test_malformed_protobuf_is_invalid_argument(cri, still_serving):
    call = cri.channel.unary_unary("/runtime.v1.RuntimeService/Version")
    with pytest.raises(grpc.RpcError) as e:
        call(b"\xff\xff\xff\xff", timeout=5)
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "VersionRequest" in e.value.details()


def test_oversize_message_is_resource_exhausted(cri, still_serving):
    big = cri.pb.VersionRequest(version="x" * (81 * MiB))
    with pytest.raises(grpc.RpcError) as e:
        cri.runtime.Version(big, timeout=30)
    assert e.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


def test_large_message_under_limit_is_served(cri, still_serving):
    # 8 MiB crosses many HTTP/2 flow-control windows in both directions of the request.
    v = cri.runtime.Version(cri.pb.VersionRequest(version="y" * (8 * MiB)), timeout=30)
    assert v.runtime_version == "1.36.0"


def test_compressed_message_is_unimplemented(cri, still_serving):
    with pytest.raises(grpc.RpcError) as e:
        cri.runtime.Version(cri.pb.VersionRequest(version="z" * 1000), timeout=5,
                            compression=grpc.Compression.Gzip)
    assert e.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert "gzip" in e.value.details()


def test_deadline_header_is_honoured(cri):
    # A generous deadline: the call succeeds and the grpc-timeout header is parsed without harm.
    v = cri.runtime.Version(cri.pb.VersionRequest(), timeout=3)
    assert v.runtime_api_version == "v1"


def test_many_concurrent_streams(cri):
    futures = [cri.runtime.Version.future(cri.pb.VersionRequest(), timeout=10) for _ in range(500)]
    assert all(f.result().runtime_name == "cri-o" for f in futures)


def test_socket_mode(testhost):
    st = os.stat(testhost.path("/run/crio/crio.sock"))
    assert stat.S_ISSOCK(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o660


# Bad input on the raw socket.

def test_random_bytes(crio_socket, still_serving):
    for seed in range(20):
        s = h2raw.connect(crio_socket)
        s.sendall(os.urandom(64 + seed * 97))
        h2raw.read_frames(s)  # the server must close, not hang
        s.close()


def test_bad_http2_preface(crio_socket, still_serving):
    s = h2raw.connect(crio_socket)
    s.sendall(b"PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n" + h2raw.frame(h2raw.SETTINGS, 0, 0))
    frames = h2raw.read_frames(s)
    s.close()
    assert all(f[0] != h2raw.HEADERS for f in frames)


def test_truncated_frame(crio_socket, still_serving):
    s = h2raw.connect(crio_socket)
    h2raw.start(s)
    # A HEADERS frame header announcing 1000 bytes, then only 10 of them, then the client goes.
    s.sendall(struct.pack(">I", 1000)[1:] + bytes([h2raw.HEADERS, h2raw.END_HEADERS]) +
              struct.pack(">I", 1) + b"0123456789")
    s.close()


def test_client_gone_mid_message(crio_socket, still_serving):
    pb, _ = load_stubs()
    body = h2raw.grpc_message(pb.VersionRequest(version="a" * 10000).SerializeToString())
    for _ in range(50):
        s = h2raw.connect(crio_socket)
        h2raw.start(s)
        s.sendall(h2raw.frame(h2raw.HEADERS, h2raw.END_HEADERS, 1,
                              h2raw.hpack_literal(h2raw.grpc_headers("/runtime.v1.RuntimeService/Version"))))
        s.sendall(h2raw.frame(h2raw.DATA, 0, 1, body[:5000]))
        s.close()


def test_client_process_killed_mid_call(crio_socket, still_serving):
    # A separate client process starts a call and is killed with SIGKILL before it completes.
    script = (
        "import sys, time; sys.path.insert(0, %r)\n"
        "import h2raw\n"
        "s = h2raw.connect(%r); h2raw.start(s)\n"
        "s.sendall(h2raw.frame(h2raw.HEADERS, h2raw.END_HEADERS, 1, h2raw.hpack_literal("
        "h2raw.grpc_headers('/runtime.v1.RuntimeService/Version'))))\n"
        "s.sendall(h2raw.frame(h2raw.DATA, 0, 1, h2raw.grpc_message(b'x' * 100)[:50]))\n"
        "print('sent', flush=True); time.sleep(60)\n"
    ) % (os.path.dirname(__file__), crio_socket)
    p = subprocess.Popen(["/usr/bin/python3", "-c", script], stdout=subprocess.PIPE)
    assert p.stdout.readline().strip() == b"sent"
    p.kill()
    p.wait()


def test_raw_grpc_call_and_trailers(crio_socket):
    """A hand-made unary call: the answer is HEADERS, DATA, then trailers with grpc-status 0."""
    pb, _ = load_stubs()
    s = h2raw.connect(crio_socket)
    h2raw.start(s)
    s.sendall(h2raw.frame(h2raw.HEADERS, h2raw.END_HEADERS, 1,
                          h2raw.hpack_literal(h2raw.grpc_headers("/runtime.v1.RuntimeService/Version"))))
    s.sendall(h2raw.frame(h2raw.DATA, h2raw.END_STREAM, 1,
                          h2raw.grpc_message(pb.VersionRequest().SerializeToString())))
    frames = h2raw.read_frames(s, until=lambda fs: any(f[0] == h2raw.HEADERS and f[1] & h2raw.END_STREAM
                                                       for f in fs))
    s.close()
    headers = [h for sid, h in h2raw.decode_headers(frames) if sid == 1]
    assert headers[0][":status"] == "200"
    assert headers[0]["content-type"].startswith("application/grpc")
    assert headers[-1]["grpc-status"] == "0"
    data = b"".join(f[3] for f in frames if f[0] == h2raw.DATA and f[2] == 1)
    assert data[0] == 0 and int.from_bytes(data[1:5], "big") == len(data) - 5
    assert pb.VersionResponse.FromString(data[5:]).runtime_name == "cri-o"


def test_thousand_connections_dropped(crio_socket, still_serving):
    for i in range(1000):
        s = h2raw.connect(crio_socket)
        if i % 2:
            h2raw.start(s)
        s.close()


# The same socket speaks HTTP/1.1 for cAdvisor.

def http_get(path, sock_path, raw=None):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(sock_path)
    s.sendall(raw or f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
    data = b""
    while True:
        try:
            chunk = s.recv(65536)
        except (socket.timeout, ConnectionResetError):
            # The server may answer and close before reading all we sent: the kernel then resets.
            break
        if not chunk:
            break
        data += chunk
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1]) if head.startswith(b"HTTP/1.") else None
    return status, head.decode(errors="replace"), body


def test_http_info(crio_socket):
    import json
    status, _, body = http_get("/info", crio_socket)
    assert status == 200
    info = json.loads(body)
    assert info["cgroup_driver"] == "systemd"
    assert info["storage_driver"] == "overlay"
    assert info["default_id_mappings"]["uids"][0]["size"] == 4294967295


def test_http_config_is_toml(crio_socket):
    import tomllib
    status, head, body = http_get("/config", crio_socket)
    assert status == 200
    conf = tomllib.loads(body.decode())
    assert conf["crio"]["api"]["listen"] == "/var/run/crio/crio.sock"
    assert conf["crio"]["runtime"]["cgroup_manager"] == "systemd"


def test_http_unknown_paths_are_404(crio_socket):
    assert http_get("/nope", crio_socket)[0] == 404
    assert http_get("/containers/0123abcd", crio_socket)[0] == 404


def test_http_malformed_request(crio_socket, still_serving):
    status, _, _ = http_get(None, crio_socket, raw=b"GET /info\r\nthis is not http\r\n\r\n")
    assert status in (400, None)
    status, _, _ = http_get(None, crio_socket, raw=b"GET /" + b"a" * 100000 + b" HTTP/1.1\r\n\r\n")
    assert status in (400, 414, 431, None)
