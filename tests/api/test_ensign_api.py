"""The Ensign service over real gRPC against a real broker process: every RPC's error paths."""

from __future__ import annotations

import base64
import json
import subprocess
import uuid
from collections.abc import Iterator

import grpc
import pytest

from embedded_broker.auth.tokens import TokenIssuer
from embedded_broker.proto.ensign.v1beta1 import ensign_pb2, query_pb2, topic_pb2
from embedded_broker.proto.mimetype.v1beta1 import mimetype_pb2
from tests.api.client import Client, connect, event, wrap
from tests.serve_process import BrokerProcess, broker_command, create_key

Code = ensign_pb2.Nack.Code


def _name() -> str:
    return "t" + uuid.uuid4().hex[:12]


def _rpc_error(call: object) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        if callable(call):
            result = call()
            if hasattr(result, "__iter__") and not isinstance(result, bytes):
                list(result)  # type: ignore[call-overload]
    return caught.value


def test_status_and_health_need_no_token(client: Client) -> None:
    state = client.ensign.Status(ensign_pb2.HealthCheck())
    assert state.status == ensign_pb2.ServiceState.HEALTHY
    assert state.version
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    health = health_pb2_grpc.HealthStub(client.channel)
    reply = health.Check(health_pb2.HealthCheckRequest(service="ensign.v1beta1.Ensign"))
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


def test_calls_without_a_token_are_unauthenticated(client: Client) -> None:
    error = _rpc_error(lambda: client.ensign.ListTopics(ensign_pb2.PageInfo()))
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "authenticate" in error.details()


def _forge(
    token: str, claims_change: dict[str, object] | None = None, alg: str | None = None
) -> str:
    header, claims, signature = token.split(".")

    def decode(part: str) -> dict[str, object]:
        return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))

    def encode(doc: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(doc).encode()).rstrip(b"=").decode()

    head, body = decode(header), decode(claims)
    if alg is not None:
        head["alg"] = alg
    body.update(claims_change or {})
    return f"{encode(head)}.{encode(body)}.{'' if alg == 'none' else signature}"


@pytest.mark.parametrize(
    ("forgery", "message"),
    [
        ({"claims": {"permissions": ["broker:admin"]}}, "signature"),
        ({"alg": "none"}, "algorithm"),
        ({"alg": "HS256"}, "algorithm"),
        ({"raw": "not-a-token"}, "malformed"),
    ],
)
def test_forged_tokens_are_refused(client: Client, forgery: dict, message: str) -> None:
    if "raw" in forgery:
        token = forgery["raw"]
    else:
        token = _forge(client.token, forgery.get("claims"), forgery.get("alg"))
    error = _rpc_error(
        lambda: client.ensign.ListTopics(
            ensign_pb2.PageInfo(), metadata=[("authorization", f"Bearer {token}")]
        )
    )
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    assert message in error.details()


def test_expired_tokens_are_refused(broker: BrokerProcess, client: Client) -> None:
    from embedded_broker.auth.api_keys import KeyStore

    keys = KeyStore(broker.data_dir)
    try:
        key = keys.list()[0]
    finally:
        keys.close()
    expired, _ = TokenIssuer(broker.data_dir).issue(key, now=1_000_000_000)
    error = _rpc_error(
        lambda: client.ensign.ListTopics(
            ensign_pb2.PageInfo(), metadata=[("authorization", f"Bearer {expired}")]
        )
    )
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "expired" in error.details()


def test_publish_nacks_each_bad_event_with_ensign_codes_and_keeps_going(client: Client) -> None:
    topic = client.create_topic(_name())
    archived = client.create_topic(_name())
    client.ensign.DeleteTopic(
        topic_pb2.TopicMod(
            id=_ulid(archived.id),
            operation=topic_pb2.TopicMod.ARCHIVE,
        ),
        metadata=client.auth,
    )
    good = wrap(topic.id, event("fine"))
    cases = [
        (wrap(b"\x01" * 16, event("x")), Code.TOPIC_UNKNOWN, "unknown topic"),
        (wrap(archived.id, event("x")), Code.TOPIC_ARCHIVED, "archived"),
        (
            wrap(topic.id, event(b"x" * (5 * 1024 * 1024 + 1))),
            Code.MAX_EVENT_SIZE_EXCEEDED,
            "limit",
        ),
        (wrap(topic.id, b"\xff\xff\xff"), Code.UNPROCESSED, "malformed event"),
        (wrap(topic.id, event(b"")), Code.UNPROCESSED, "no data"),
        (wrap(topic.id, event("x", mimetype=777)), Code.UNHANDLED_MIMETYPE, "mimetype"),
    ]
    replies = client.publish(topic.id, [c[0] for c in cases] + [good])
    assert replies[0].WhichOneof("embed") == "ready"
    assert replies[0].ready.topics[topic.name] == topic.id
    by_id = {r.nack.id if r.HasField("nack") else r.ack.id: r for r in replies[1:]}
    for wrapper, code, message in cases:
        nack = by_id[wrapper.local_id].nack
        assert (nack.code, message in nack.error) == (code, True), nack
    ack = by_id[good.local_id].ack
    assert ack.committed.seconds > 0
    info = client.ensign.Info(ensign_pb2.InfoRequest(topics=[topic.id]), metadata=client.auth)
    assert info.events == 1  # only the good event was stored


def _ulid(raw: bytes) -> str:
    from embedded_broker.core.ids import ulid_str

    return ulid_str(raw)


def test_a_key_without_publisher_gets_permission_denied_nacks(
    broker: BrokerProcess, client: Client
) -> None:
    topic = client.create_topic(_name())
    reader = connect(broker, create_key(broker.data_dir, "demo", "subscriber", "topics:read"))
    try:
        wrapper = wrap(topic.id, event("x"))
        replies = reader.publish(topic.id, [wrapper])
        nack = replies[1].nack
        assert nack.id == wrapper.local_id
        assert nack.code == Code.PERMISSION_DENIED
        assert "'publisher' permission" in nack.error
        error = _rpc_error(lambda: reader.create_topic(_name()))
        assert error.code() == grpc.StatusCode.PERMISSION_DENIED
        assert "topics:create" in error.details()
    finally:
        reader.close()


def test_topic_management_errors(client: Client) -> None:
    name = _name()
    client.create_topic(name)
    duplicate = _rpc_error(lambda: client.create_topic(name))
    assert duplicate.code() == grpc.StatusCode.ALREADY_EXISTS
    invalid = _rpc_error(lambda: client.create_topic("9 lives"))
    assert invalid.code() == grpc.StatusCode.INVALID_ARGUMENT
    unknown = _rpc_error(
        lambda: client.ensign.RetrieveTopic(topic_pb2.Topic(id=b"\x02" * 16), metadata=client.auth)
    )
    assert unknown.code() == grpc.StatusCode.NOT_FOUND
    bad_id = _rpc_error(
        lambda: client.ensign.DeleteTopic(
            topic_pb2.TopicMod(id="nope", operation=topic_pb2.TopicMod.DESTROY),
            metadata=client.auth,
        )
    )
    assert bad_id.code() == grpc.StatusCode.NOT_FOUND
    noop = _rpc_error(
        lambda: client.ensign.DeleteTopic(topic_pb2.TopicMod(id="x"), metadata=client.auth)
    )
    assert noop.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_archive_then_destroy(client: Client) -> None:
    topic = client.create_topic(_name())
    client.publish(topic.id, [wrap(topic.id, event("kept"))])
    mod = topic_pb2.TopicMod(id=_ulid(topic.id), operation=topic_pb2.TopicMod.ARCHIVE)
    assert client.ensign.DeleteTopic(mod, metadata=client.auth).state == topic_pb2.READONLY
    retrieved = client.ensign.RetrieveTopic(topic_pb2.Topic(id=topic.id), metadata=client.auth)
    assert retrieved.readonly and retrieved.status == topic_pb2.READONLY
    mod.operation = topic_pb2.TopicMod.DESTROY
    assert client.ensign.DeleteTopic(mod, metadata=client.auth).state == topic_pb2.DELETING
    exists = client.ensign.TopicExists(topic_pb2.TopicName(name=topic.name), metadata=client.auth)
    assert not exists.exists


def test_list_topics_pages_end_with_an_empty_token(broker: BrokerProcess) -> None:
    key = create_key(broker.data_dir, "paging-" + uuid.uuid4().hex[:6], "all")
    client = connect(broker, key)
    try:
        names = sorted(_name() for _ in range(5))
        for name in names:
            client.create_topic(name)
        seen, token, pages = [], "", 0
        while True:
            page = client.ensign.ListTopics(
                ensign_pb2.PageInfo(page_size=2, next_page_token=token), metadata=client.auth
            )
            pages += 1
            seen += [t.name for t in page.topics]
            assert all(len(t.project_id) == 16 and len(t.id) == 16 for t in page.topics)
            token = page.next_page_token
            if not token:
                break
        assert (seen, pages) == (names, 3)
        listed = client.ensign.TopicNames(ensign_pb2.PageInfo(page_size=10), metadata=client.auth)
        assert sorted(t.name for t in listed.topic_names) == names
    finally:
        client.close()


@pytest.mark.parametrize("rpc", ["ListTopics", "TopicNames"])
def test_a_topic_that_exists_throughout_is_listed_once_while_others_come_and_go(
    broker: BrokerProcess, rpc: str
) -> None:
    """Paging 250 topics 100 at a time while another client destroys one on the first page
    (a position in the live list skipped a topic) and then creates one before the last page
    (which repeated one)."""
    key = create_key(broker.data_dir, "churn-" + uuid.uuid4().hex[:6], "all")
    client = connect(broker, key)
    try:
        created = {f"t{i:03d}": client.create_topic(f"t{i:03d}") for i in range(250)}

        def names(page: object) -> list[str]:
            entries = getattr(page, "topics", None) or getattr(page, "topic_names", [])
            return [t.name for t in entries]

        call = getattr(client.ensign, rpc)
        first = call(ensign_pb2.PageInfo(page_size=100), metadata=client.auth)
        seen = names(first)
        victim = created[seen[10]]
        mod = topic_pb2.TopicMod(id=_ulid(victim.id), operation=topic_pb2.TopicMod.DESTROY)
        client.ensign.DeleteTopic(mod, metadata=client.auth)
        token, pages = first.next_page_token, 1
        while token:
            page = call(
                ensign_pb2.PageInfo(page_size=100, next_page_token=token), metadata=client.auth
            )
            seen += names(page)
            token, pages = page.next_page_token, pages + 1
            if pages == 2:
                client.create_topic("a-new-first")  # before every page: not listed now
                client.create_topic("t249z")  # after every page so far: listed
        throughout = set(created) - {victim.name}
        assert all(seen.count(name) == 1 for name in throughout)
        assert "t249z" in seen and seen.count("t249z") == 1
    finally:
        client.close()


def test_a_forged_page_token_is_an_invalid_argument(client: Client) -> None:
    for token in ("Mg==", "not base64!", base64.urlsafe_b64encode(b"v1:zz:x").decode()):
        error = _rpc_error(
            lambda token=token: client.ensign.ListTopics(
                ensign_pb2.PageInfo(next_page_token=token), metadata=client.auth
            )
        )
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "page token" in (error.details() or "")


def test_projects_do_not_see_each_other(broker: BrokerProcess, client: Client) -> None:
    mine = client.create_topic(_name())
    other = connect(broker, create_key(broker.data_dir, "other-" + uuid.uuid4().hex[:6], "all"))
    try:
        error = _rpc_error(
            lambda: other.ensign.RetrieveTopic(topic_pb2.Topic(id=mine.id), metadata=other.auth)
        )
        assert error.code() == grpc.StatusCode.NOT_FOUND
        exists = other.ensign.TopicExists(topic_pb2.TopicName(name=mine.name), metadata=other.auth)
        assert not exists.exists
        nack = other.publish(mine.id, [wrap(mine.id, event("x"))])[1].nack
        assert nack.code == Code.TOPIC_UNKNOWN
    finally:
        other.close()


def test_ensql_errors_and_empty_results(client: Client) -> None:
    topic = client.create_topic(_name())
    client.publish(topic.id, [wrap(topic.id, event("a", {"k": "1"}))])
    bad = _rpc_error(
        lambda: client.ensign.EnSQL(query_pb2.Query(query="SELEKT * FROM x"), metadata=client.auth)
    )
    assert bad.code() == grpc.StatusCode.INVALID_ARGUMENT
    unknown = _rpc_error(
        lambda: client.ensign.EnSQL(
            query_pb2.Query(query="SELECT * FROM nowhere"), metadata=client.auth
        )
    )
    assert unknown.code() == grpc.StatusCode.NOT_FOUND
    empty = client.ensign.EnSQL(
        query_pb2.Query(query=f"SELECT * FROM {topic.name} WHERE k = '2'"), metadata=client.auth
    )
    assert list(empty) == []
    rows = list(
        client.ensign.EnSQL(
            query_pb2.Query(
                query=f"SELECT * FROM {topic.name} WHERE k = :k",
                params=[query_pb2.Parameter(name="k", s="1")],
            ),
            metadata=client.auth,
        )
    )
    assert [len(r.id) for r in rows] == [10]
    explained = _rpc_error(
        lambda: client.ensign.Explain(query_pb2.Query(query="SELECT"), metadata=client.auth)
    )
    assert explained.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_subscribe_refusals_come_before_ready(broker: BrokerProcess, client: Client) -> None:
    def subscribe(c: Client, *topics: str) -> list[ensign_pb2.SubscribeReply]:
        sub = ensign_pb2.Subscription(client_id="t", topics=list(topics))
        return list(
            c.ensign.Subscribe(
                iter([ensign_pb2.SubscribeRequest(subscription=sub)]), metadata=c.auth, timeout=10
            )
        )

    unknown = _rpc_error(lambda: subscribe(client, "no-such-topic"))
    assert unknown.code() == grpc.StatusCode.NOT_FOUND
    assert "no-such-topic" in unknown.details()
    topic = client.create_topic(_name())
    publisher = connect(broker, create_key(broker.data_dir, "demo", "publisher"))
    try:
        denied = _rpc_error(lambda: subscribe(publisher, topic.name))
        assert denied.code() == grpc.StatusCode.PERMISSION_DENIED
    finally:
        publisher.close()


def test_a_revoked_keys_tokens_stop_working_at_once(broker: BrokerProcess) -> None:
    key = create_key(broker.data_dir, "demo", "topics:read")
    client = connect(broker, key)
    try:
        client.ensign.ListTopics(ensign_pb2.PageInfo(), metadata=client.auth)
        subprocess.run(
            broker_command("keys", "revoke", key["client_id"], "--data-dir", str(broker.data_dir)),
            check=True,
            capture_output=True,
        )
        error = _rpc_error(
            lambda: client.ensign.ListTopics(ensign_pb2.PageInfo(), metadata=client.auth)
        )
        assert error.code() == grpc.StatusCode.UNAUTHENTICATED
        assert "revoked" in error.details()
    finally:
        client.close()


def test_set_topic_policy_and_info(client: Client) -> None:
    topic = client.create_topic(_name())
    policy = topic_pb2.TopicPolicy(
        id=_ulid(topic.id),
        deduplication_policy=topic_pb2.Deduplication(strategy=topic_pb2.Deduplication.DATAGRAM),
    )
    status = client.ensign.SetTopicPolicy(policy, metadata=client.auth)
    assert status.state == topic_pb2.READY
    client.publish(topic.id, [wrap(topic.id, event("same")), wrap(topic.id, event("same"))])
    info = client.ensign.Info(ensign_pb2.InfoRequest(topics=[topic.id]), metadata=client.auth)
    assert (info.events, info.duplicates, len(info.project_id)) == (2, 1, 16)
    sharded = _rpc_error(
        lambda: client.ensign.SetTopicPolicy(
            topic_pb2.TopicPolicy(id=_ulid(topic.id), sharding_strategy=topic_pb2.RANDOM),
            metadata=client.auth,
        )
    )
    assert sharded.code() == grpc.StatusCode.INVALID_ARGUMENT
    # A JSON event type round trip through the mimetype enum.
    json_event = wrap(topic.id, event('{"a": 1}', mimetype=mimetype_pb2.APPLICATION_JSON))
    assert client.publish(topic.id, [json_event])[1].HasField("ack")


def test_undecodable_requests_are_refused_and_the_broker_carries_on(client: Client) -> None:
    raw_list = client.channel.unary_unary("/ensign.v1beta1.Ensign/ListTopics")
    error = _rpc_error(lambda: raw_list(b"\xff\xff\xff\xff", metadata=client.auth))
    assert error.code() != grpc.StatusCode.OK
    raw_publish = client.channel.stream_stream("/ensign.v1beta1.Ensign/Publish")
    error = _rpc_error(lambda: list(raw_publish(iter([b"\x12\xff\xff"]), metadata=client.auth)))
    assert error.code() != grpc.StatusCode.OK
    state = client.ensign.Status(ensign_pb2.HealthCheck())
    assert state.status == ensign_pb2.ServiceState.HEALTHY


def test_a_publisher_that_half_closes_gets_every_ack_then_the_stream_ends(client: Client) -> None:
    topic = client.create_topic(_name())
    wrappers = [wrap(topic.id, event(f"e{i}")) for i in range(300)]

    def requests() -> Iterator[ensign_pb2.PublisherRequest]:
        yield ensign_pb2.PublisherRequest(open_stream=ensign_pb2.OpenStream(client_id="t"))
        for wrapper in wrappers:
            yield ensign_pb2.PublisherRequest(event=wrapper)

    replies = list(client.ensign.Publish(requests(), metadata=client.auth, timeout=30))
    acked = {r.ack.id for r in replies if r.HasField("ack")}
    assert acked == {w.local_id for w in wrappers}


def test_an_undefined_dedup_strategy_is_an_invalid_argument(client: Client) -> None:
    """Found by tests/fuzz: it answered UNKNOWN ("-1 is not a valid DedupStrategy")."""
    for strategy, offset in ((-1, 0), (99, 0), (1, 77)):
        policy = topic_pb2.Deduplication(strategy=strategy, offset=offset)  # type: ignore[arg-type]
        error = _rpc_error(
            lambda policy=policy: client.ensign.CreateTopic(
                topic_pb2.Topic(name=_name(), deduplication=policy), metadata=client.auth
            )
        )
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "unknown deduplication strategy" in (error.details() or "")
