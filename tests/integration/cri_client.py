"""A real CRI client for tests: gRPC stubs generated from our proto/api.proto at test time.

Usage:
    cri = CriClient("/proc/<pid>/root/run/crio/crio.sock")
    cri.runtime.Version(cri.pb.VersionRequest())

Also a tiny crictl-like CLI: `cri_client.py --socket PATH version|info|runtime-config`.
"""

import argparse
import importlib
import json
import os
import sys
import tempfile

import grpc
from grpc_tools import protoc

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_STUBS = None


def load_stubs():
    """Compile proto/api.proto into Python modules once per process; returns (pb2, pb2_grpc)."""
    global _STUBS
    if _STUBS is None:
        out = tempfile.mkdtemp(prefix="crio-stubs-")
        proto_dir = os.path.join(REPO, "proto")
        rc = protoc.main([
            "grpc_tools.protoc",
            f"--proto_path={proto_dir}",
            f"--python_out={out}",
            f"--grpc_python_out={out}",
            os.path.join(proto_dir, "api.proto"),
        ])
        if rc != 0:
            raise RuntimeError("protoc failed on proto/api.proto")
        sys.path.insert(0, out)
        _STUBS = (importlib.import_module("api_pb2"), importlib.import_module("api_pb2_grpc"))
    return _STUBS


class CriClient:
    def __init__(self, socket_path, max_message=None, timeout=10):
        self.pb, self.pb_grpc = load_stubs()
        # A channel of its own: after a restart of crio, a new client connects at once instead of
        # sharing the reconnect backoff of an older channel to the same socket.
        options = [("grpc.use_local_subchannel_pool", 1)]
        if max_message:
            options += [("grpc.max_send_message_length", max_message),
                        ("grpc.max_receive_message_length", max_message)]
        self.channel = grpc.insecure_channel(f"unix://{socket_path}", options=options)
        grpc.channel_ready_future(self.channel).result(timeout=timeout)
        self.runtime = self.pb_grpc.RuntimeServiceStub(self.channel)
        self.image = self.pb_grpc.ImageServiceStub(self.channel)

    def close(self):
        self.channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _main():
    ap = argparse.ArgumentParser(description="minimal crictl-like client for crio tests")
    ap.add_argument("--socket", default="/run/crio/crio.sock")
    ap.add_argument("command", choices=["version", "info", "runtime-config"])
    args = ap.parse_args()
    from google.protobuf import json_format

    with CriClient(args.socket) as cri:
        pb = cri.pb
        if args.command == "version":
            v = cri.runtime.Version(pb.VersionRequest(), timeout=5)
            print(f"Version:  {v.version}\nRuntimeName:  {v.runtime_name}\n"
                  f"RuntimeVersion:  {v.runtime_version}\nRuntimeApiVersion:  {v.runtime_api_version}")
        elif args.command == "info":
            s = cri.runtime.Status(pb.StatusRequest(verbose=True), timeout=5)
            out = {"status": json_format.MessageToDict(s.status, including_default_value_fields=True)}
            for k, v in s.info.items():
                out[k] = json.loads(v)
            print(json.dumps(out, indent=2))
        else:
            r = cri.runtime.RuntimeConfig(pb.RuntimeConfigRequest(), timeout=5)
            print(json.dumps(json_format.MessageToDict(r, including_default_value_fields=True), indent=2))


if __name__ == "__main__":
    _main()
