# SPDX-License-Identifier: Apache-2.0
"""proto/api.proto must describe exactly the CRI runtime.v1 wire format of Kubernetes 1.36.

The reference is shared/cri/wire-v1.36.tsv, which lives beside the repository (CI keeps a copy
of shared/ next to the clone). We compile our .proto with protoc, render the resulting
descriptors into the same table and compare.

Rows are compared in order, not as sets. The table is in descriptor order: top-level messages
in file order, each message's fields in declaration order followed by its nested messages (map
entries) and nested enums, then the top-level enums in file order, then the services and their
RPCs. Field order inside a message does not change the encoding, but keeping the declarations in
upstream order makes our file diffable against upstream and keeps the generated C structs in the
same order as everyone else's. Empty messages have no rows, so they may sit anywhere. On a
mismatch the failure message also lists the rows that differ regardless of order, so a pure
reordering is told apart from a real wire change at a glance.
"""

import difflib
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from google.protobuf import descriptor_pb2

REPO = Path(__file__).resolve().parents[2]
PROTO = REPO / 'proto' / 'api.proto'
TABLE = REPO.parent / 'shared' / 'cri' / 'wire-v1.36.tsv'
PACKAGE = 'runtime.v1'

FDP = descriptor_pb2.FieldDescriptorProto
SCALAR_NAMES = {
        FDP.TYPE_DOUBLE: 'double',
        FDP.TYPE_FLOAT: 'float',
        FDP.TYPE_INT64: 'int64',
        FDP.TYPE_UINT64: 'uint64',
        FDP.TYPE_INT32: 'int32',
        FDP.TYPE_FIXED64: 'fixed64',
        FDP.TYPE_FIXED32: 'fixed32',
        FDP.TYPE_BOOL: 'bool',
        FDP.TYPE_STRING: 'string',
        FDP.TYPE_BYTES: 'bytes',
        FDP.TYPE_UINT32: 'uint32',
        FDP.TYPE_SFIXED32: 'sfixed32',
        FDP.TYPE_SFIXED64: 'sfixed64',
        FDP.TYPE_SINT32: 'sint32',
        FDP.TYPE_SINT64: 'sint64',
}


def relative_name(type_name):
        """'.runtime.v1.PodSandboxConfig.LabelsEntry' -> 'PodSandboxConfig.LabelsEntry'"""
        prefix = '.' + PACKAGE + '.'
        return type_name[len(prefix):] if type_name.startswith(prefix) else type_name.lstrip('.')


def field_type(field):
        if field.type in (FDP.TYPE_MESSAGE, FDP.TYPE_ENUM, FDP.TYPE_GROUP):
                return relative_name(field.type_name)
        return SCALAR_NAMES[field.type]


def field_label(field):
        # proto3 has no 'required'; plain singular fields and proto3 'optional' both come out as
        # LABEL_OPTIONAL, which is all the table records.
        return 'repeated' if field.label == FDP.LABEL_REPEATED else 'optional'


def enum_rows(enum, scope):
        return [['enum', scope, v.name, str(v.number), '', '', ''] for v in enum.value]


def message_rows(message, outer=''):
        scope = outer + message.name
        rows = [['field', scope, f.name, str(f.number), field_label(f), field_type(f), '']
                for f in message.field]
        for nested in message.nested_type:
                rows += message_rows(nested, scope + '.')
        for enum in message.enum_type:
                rows += enum_rows(enum, scope + '.' + enum.name)
        return rows


def rpc_kind(method):
        if method.client_streaming and method.server_streaming:
                return 'bidi_streaming'
        if method.client_streaming:
                return 'client_streaming'
        if method.server_streaming:
                return 'server_streaming'
        return 'unary'


def render_table(file_proto):
        rows = [['# kind', 'scope', 'name', 'number', 'label_or_streaming', 'type', 'extra']]
        for message in file_proto.message_type:
                rows += message_rows(message)
        for enum in file_proto.enum_type:
                rows += enum_rows(enum, enum.name)
        for service in file_proto.service:
                for method in service.method:
                        rows.append(['rpc', service.name, method.name, '', rpc_kind(method),
                                     relative_name(method.input_type),
                                     relative_name(method.output_type)])
        return ['\t'.join(r) for r in rows]


def compile_proto(proto_path, out_dir):
        protoc = shutil.which('protoc')
        if protoc is None:
                pytest.fail('protoc not found (Debian package protobuf-compiler)')
        descriptor_set = Path(out_dir) / 'api.desc'
        subprocess.run([protoc, '--proto_path=' + str(proto_path.parent), '--include_imports',
                        '--descriptor_set_out=' + str(descriptor_set), str(proto_path)],
                       check=True, capture_output=True, text=True)
        fds = descriptor_pb2.FileDescriptorSet.FromString(descriptor_set.read_bytes())
        files = [f for f in fds.file if f.name == proto_path.name]
        assert len(files) == 1, [f.name for f in fds.file]
        return files[0]


def read_table():
        if not TABLE.exists():
                pytest.fail(f'reference table {TABLE} not found: shared/ must sit beside the repository')
        return TABLE.read_text().splitlines()


def compare(expected, actual):
        """Return None if the tables match, else a human-readable explanation."""
        if expected == actual:
                return None
        diff = '\n'.join(difflib.unified_diff(expected, actual, 'wire-v1.36.tsv', 'proto/api.proto',
                                              lineterm=''))
        missing = sorted(set(expected) - set(actual))
        extra = sorted(set(actual) - set(expected))
        if not missing and not extra:
                summary = 'same rows, different order'
        else:
                summary = '\n'.join(['rows missing from api.proto:'] + missing +
                                    ['rows api.proto has but the table lacks:'] + extra)
        return f'{summary}\n\n{diff}'


@pytest.fixture(scope='module')
def compiled(tmp_path_factory):
        return compile_proto(PROTO, tmp_path_factory.mktemp('desc'))


def test_file_options(compiled):
        assert compiled.syntax == 'proto3'
        assert compiled.package == PACKAGE
        assert compiled.options.go_package == 'k8s.io/cri-api/pkg/apis/runtime/v1'
        assert list(compiled.dependency) == []


def test_matches_wire_table(compiled):
        problem = compare(read_table(), render_table(compiled))
        assert problem is None, problem


def test_empty_messages_are_rpc_arguments(compiled):
        # Field-less messages leave no row in the table, so a stray or misnamed one would slip
        # through the comparison above. Upstream only has them as RPC requests and responses.
        used = set()
        for service in compiled.service:
                for method in service.method:
                        used |= {relative_name(method.input_type), relative_name(method.output_type)}
        empty = {m.name for m in compiled.message_type
                 if not m.field and not m.nested_type and not m.enum_type}
        assert len(empty) == 17
        assert empty <= used, sorted(empty - used)


# Each mutation is a small edit of api.proto that changes the wire format; the comparison must
# notice every one of them, or the test above could not fail.
MUTATIONS = [
        # (what, pattern in api.proto, replacement, table scope that must show up in the diff)
        ('field number', r'(message IDMapping \{\s*uint32 host_id = )1;', r'\g<1>4;', 'IDMapping'),
        ('field type', r'(message ContainerMetadata \{[^}]*?)uint32 attempt', r'\1int32 attempt',
         'ContainerMetadata'),
        ('field label', r'repeated string searches = 2;', 'string searches = 2;', 'DNSConfig'),
        ('field name', r'string pod_cidr = 1;', 'string pod_subnet = 1;', 'NetworkConfig'),
        ('enum value', r'SANDBOX_NOTREADY(\s*)= 1;', r'SANDBOX_NOTREADY\1= 2;', 'PodSandboxState'),
        ('map value type', r'(message LinuxPodSandboxConfig \{[^}]*?)map<string, string> sysctls',
         r'\1map<string, bytes> sysctls', 'LinuxPodSandboxConfig.SysctlsEntry'),
        ('rpc streaming', r'returns \(stream ContainerEventResponse\)', 'returns (ContainerEventResponse)',
         'GetContainerEvents'),
]


@pytest.mark.parametrize('what,pattern,replacement,scope', MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_altered_proto_is_caught(tmp_path, what, pattern, replacement, scope):
        altered, count = re.subn(pattern, replacement, PROTO.read_text(), count=1)
        assert count == 1, f'mutation {what!r} no longer applies to api.proto'
        altered_proto = tmp_path / 'api.proto'
        altered_proto.write_text(altered)

        problem = compare(read_table(), render_table(compile_proto(altered_proto, tmp_path)))
        assert problem is not None, f'changing the {what} went unnoticed'
        assert scope in problem


def test_reordering_is_reported_as_such():
        table = read_table()
        shuffled = table[:1] + table[2:3] + table[1:2] + table[3:]
        assert compare(table, shuffled).startswith('same rows, different order')
