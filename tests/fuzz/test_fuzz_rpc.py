"""Every RPC of both services, fed random and mutated request bytes on a real broker process: it
answers each call with a status that says what was wrong (never INTERNAL or UNKNOWN), never hangs,
stays up, and its memory stays bounded."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor, MethodDescriptor
from hypothesis import given
from hypothesis import strategies as st

from embedded_broker.core.ids import ulid_str
from embedded_broker.proto.admin.v1 import admin_pb2
from embedded_broker.proto.ensign.v1beta1 import ensign_pb2
from tests.api.client import Client, connect, event
from tests.fuzz.conftest import fuzz_settings
from tests.serve_process import BrokerProcess, create_key, start_broker

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmRSS")

CALL_TIMEOUT_S = 10.0
ALLOWED = {
    grpc.StatusCode.OK,
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.ALREADY_EXISTS,
    grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.UNAUTHENTICATED,
    grpc.StatusCode.OUT_OF_RANGE,
    grpc.StatusCode.UNIMPLEMENTED,
}
METHODS: list[tuple[str, MethodDescriptor]] = [
    (service.full_name, method)
    for service in (
        ensign_pb2.DESCRIPTOR.services_by_name["Ensign"],
        admin_pb2.DESCRIPTOR.services_by_name["BrokerAdmin"],
    )
    for method in service.methods
    if method.name not in ("RevokeKey",)  # the fuzzer's own key must keep working
]
UNARY = [m for m in METHODS if not m[1].client_streaming]
STREAMS = [m for m in METHODS if m[1].client_streaming]


class Target:
    """The broker under fuzzing, a logged-in client, and what the fuzzer knows of it."""

    def __init__(self, broker: BrokerProcess, client: Client) -> None:
        self.broker = broker
        self.client = client
        topic = client.create_topic("fuzz")
        self.topic_ids = [topic.id]
        self.strings = ["fuzz", "SELECT * FROM fuzz", "SELECT * FROM fuzz WHERE a > 1", "all"]
        self.strings.append(ulid_str(topic.id))
        wrapper_event = event("seed").SerializeToString()
        client.admin.PublishBatch(
            admin_pb2.PublishBatchRequest(topic_id=topic.id, events=[wrapper_event] * 5),
            metadata=client.auth,
        )
        self.rss_start = rss_kib(broker.process.pid)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    broker = start_broker(tmp_path_factory.mktemp("fuzz-rpc") / "broker")
    client = connect(broker, create_key(broker.data_dir, "fuzz", "all"))
    try:
        yield Target(broker, client)
    finally:
        client.close()
        assert broker.stop() == 0, broker.log()


def _values(field: FieldDescriptor, target: Target, depth: int) -> st.SearchStrategy[Any]:
    kind = field.type
    if kind == FieldDescriptor.TYPE_MESSAGE:
        return _message(field.message_type, target, depth + 1)
    if kind == FieldDescriptor.TYPE_BYTES:
        return st.binary(max_size=40) | st.sampled_from(target.topic_ids) | st.just(os.urandom(16))
    if kind == FieldDescriptor.TYPE_STRING:
        return st.text(max_size=40) | st.sampled_from(target.strings)
    if kind == FieldDescriptor.TYPE_BOOL:
        return st.booleans()
    if kind in (FieldDescriptor.TYPE_FLOAT, FieldDescriptor.TYPE_DOUBLE):
        return st.floats(width=32 if kind == FieldDescriptor.TYPE_FLOAT else 64)
    if kind == FieldDescriptor.TYPE_ENUM:
        return st.integers(-2, 2**31 - 1) | st.sampled_from(
            [v.number for v in field.enum_type.values]
        )
    unsigned = kind in (
        FieldDescriptor.TYPE_UINT32,
        FieldDescriptor.TYPE_UINT64,
        FieldDescriptor.TYPE_FIXED32,
        FieldDescriptor.TYPE_FIXED64,
    )
    wide = kind in (
        FieldDescriptor.TYPE_INT64,
        FieldDescriptor.TYPE_UINT64,
        FieldDescriptor.TYPE_SINT64,
        FieldDescriptor.TYPE_FIXED64,
        FieldDescriptor.TYPE_SFIXED64,
    )
    bits = 64 if wide else 32
    low = 0 if unsigned else -(2 ** (bits - 1))
    high = 2**bits - 1 if unsigned else 2 ** (bits - 1) - 1
    return st.integers(low, high) | st.sampled_from([0, 1, 5, high])


def _message(descriptor: Descriptor, target: Target, depth: int = 0) -> st.SearchStrategy[bytes]:
    """A valid encoded message of ``descriptor`` with random fields (nesting bounded)."""
    cls = message_factory.GetMessageClass(descriptor)
    if depth > 2:
        return st.just(cls())

    @st.composite
    def build(draw: st.DrawFn) -> Any:
        message = cls()
        for field in descriptor.fields:
            if not draw(st.booleans()):
                continue
            values = _values(field, target, depth)
            if field.message_type is not None and field.message_type.GetOptions().map_entry:
                key_field, value_field = field.message_type.fields
                entries = draw(
                    st.dictionaries(
                        _values(key_field, target, depth),
                        _values(value_field, target, depth),
                        max_size=3,
                    )
                )
                getattr(message, field.name).update(entries)
            elif field.is_repeated:
                getattr(message, field.name).extend(draw(st.lists(values, max_size=3)))
            elif field.message_type is not None:
                getattr(message, field.name).CopyFrom(draw(values))
            else:
                setattr(message, field.name, draw(values))
        return message

    return build()


def _request_bytes(method: MethodDescriptor, target: Target) -> st.SearchStrategy[bytes]:
    valid = _message(method.input_type, target).map(lambda m: m.SerializeToString())

    @st.composite
    def mutated(draw: st.DrawFn) -> bytes:
        raw = bytearray(draw(valid))
        for _ in range(draw(st.integers(1, 4))):
            where = draw(st.integers(0, len(raw)))
            action = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
            if action == "flip" and raw:
                raw[min(where, len(raw) - 1)] ^= 1 << draw(st.integers(0, 7))
            elif action == "insert":
                raw[where:where] = draw(st.binary(min_size=1, max_size=4))
            elif action == "delete" and raw:
                del raw[min(where, len(raw) - 1)]
            else:
                del raw[where:]
        return bytes(raw)

    return valid | mutated() | st.binary(max_size=64)


def _check(code: grpc.StatusCode, details: str, method: str) -> None:
    assert code in ALLOWED, f"{method}: {code.name} {details!r}"
    if code is not grpc.StatusCode.OK:
        assert details, f"{method}: {code.name} without a reason"


@fuzz_settings(300)
@given(data=st.data())
def test_every_unary_rpc_answers_any_request_bytes_with_a_reason(
    target: Target, data: st.DataObject
) -> None:
    service, method = data.draw(st.sampled_from(UNARY))
    path = f"/{service}/{method.name}"
    request = data.draw(_request_bytes(method, target))
    authed = data.draw(st.integers(0, 9)) > 0
    metadata = target.client.auth if authed else []
    channel = target.client.channel
    try:
        if method.server_streaming:
            call = channel.unary_stream(path)(request, metadata=metadata, timeout=CALL_TIMEOUT_S)
            for _, _ in zip(range(3), call, strict=False):  # a stream may go on: read a little
                pass
            call.cancel()
        else:
            channel.unary_unary(path)(request, metadata=metadata, timeout=CALL_TIMEOUT_S)
    except grpc.RpcError as error:
        if error.code() is grpc.StatusCode.CANCELLED and method.server_streaming:
            return
        _check(error.code(), error.details() or "", path)


@fuzz_settings(120)
@given(data=st.data())
def test_the_publish_and_subscribe_streams_answer_any_messages_with_a_reason(
    target: Target, data: st.DataObject
) -> None:
    service, method = data.draw(st.sampled_from(STREAMS))
    path = f"/{service}/{method.name}"
    messages = data.draw(st.lists(_request_bytes(method, target), min_size=1, max_size=5))
    call = target.client.channel.stream_stream(path)(
        iter(messages), metadata=target.client.auth, timeout=3.0
    )
    try:
        for reply in call:
            if method.name == "Publish":
                parsed = ensign_pb2.PublisherReply.FromString(reply)
                if parsed.HasField("nack"):
                    assert parsed.nack.error, parsed
    except grpc.RpcError as error:
        if error.code() is grpc.StatusCode.DEADLINE_EXCEEDED and method.name == "Subscribe":
            return  # a good subscription waits for events until the client goes
        _check(error.code(), error.details() or "", path)


def test_the_broker_is_up_and_answers_after_the_fuzzing(target: Target) -> None:
    status = target.client.ensign.Status(ensign_pb2.HealthCheck(), timeout=CALL_TIMEOUT_S)
    assert status.status == ensign_pb2.ServiceState.HEALTHY
    time.sleep(0.2)
    growth_mib = (rss_kib(target.broker.process.pid) - target.rss_start) / 1024
    assert growth_mib < 150, f"the broker grew by {growth_mib:.0f} MiB while fuzzed"
