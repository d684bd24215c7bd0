"""Hardening faults, proved with the unmodified pyensign 0.12.1b0 against ``ensign-broker serve``.

- The largest event the broker admits reaches pyensign (its default 4 MiB receive limit) by
  query and by subscription; one byte more is refused at publish, naming the limit.
- Four fresh clients joining a new consumer group at once get each event once among them.
- An event refused on one publish path is refused on the other, and pyensign still queries the
  topic (an undefined mimetype once made its query fail: "unparseable event in query result").
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from embedded_broker.core.model import MAX_EVENT_SIZE
from embedded_broker.proto.admin.v1 import admin_pb2
from embedded_broker.proto.ensign.v1beta1.ensign_pb2 import Nack
from tests.api.client import connect, event, wrap
from tests.interop.pyensign_env import run_json
from tests.serve_process import BrokerProcess, create_key, start_broker

pytestmark = pytest.mark.timeout(240)

SCENARIOS = Path(__file__).with_name("pyensign_hardening.py")


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerProcess]:
    process = start_broker(tmp_path_factory.mktemp("pyensign-hardening") / "broker")
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module")
def key(broker: BrokerProcess) -> dict[str, str]:
    return create_key(broker.data_dir, "hardening", "all")


def play(scenario: str, broker: BrokerProcess, config: dict[str, Any]) -> dict[str, Any]:
    config = {"endpoint": broker.grpc_address, "auth_url": broker.auth_url, **config}
    result = run_json(SCENARIOS, scenario, json.dumps(config), timeout=200)
    assert isinstance(result, dict) and "fatal" not in result, result
    return result


def test_the_largest_event_reaches_pyensign_by_query_and_subscription(
    broker: BrokerProcess, key: dict[str, str]
) -> None:
    seen = play(
        "largest", broker, {"key": key, "topic": "largest", "max_event_size": MAX_EVENT_SIZE}
    )
    assert seen["sent"] == MAX_EVENT_SIZE and "ok" in seen["ack"], seen["ack"]
    assert seen["subscribed"] == [MAX_EVENT_SIZE], seen["subscriber_error"]
    assert seen["queried"] == [MAX_EVENT_SIZE] and seen["query"]["rows"] == 1
    refused = seen["over"]["error"]
    assert refused["code_name"] == "MAX_EVENT_SIZE_EXCEEDED"
    assert f"the limit is {MAX_EVENT_SIZE:,} bytes" in refused["message"]


def test_four_clients_joining_a_new_group_at_once_get_each_event_once(
    broker: BrokerProcess, key: dict[str, str]
) -> None:
    config = {"key": key, "topic": "jobs", "group": "replicas", "trials": 4, "events": 50}
    seen = play("group_join", broker, config)
    for trial in seen["trials"]:
        assert (trial["distinct"], trial["twice"], trial["errors"]) == (50, 0, []), trial


def test_an_undefined_mimetype_is_refused_on_both_paths_and_the_topic_stays_queryable(
    broker: BrokerProcess, key: dict[str, str]
) -> None:
    client = connect(broker, key)
    try:
        topic = client.create_topic("mimes-" + uuid.uuid4().hex[:6])
        bad = event("odd", mimetype=999).SerializeToString()
        good = event("fine").SerializeToString()
        batch = admin_pb2.PublishBatchRequest(topic_id=topic.id, events=[good, bad])
        with pytest.raises(grpc.RpcError) as refused:
            client.admin.PublishBatch(batch, metadata=client.auth)
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "event 1 has an unknown mimetype (999)" in (refused.value.details() or "")
        replies = client.publish(topic.id, [wrap(topic.id, bad), wrap(topic.id, good)])
        nack, ack = replies[1], replies[2]
        assert nack.nack.code == Nack.Code.UNHANDLED_MIMETYPE and "(999)" in nack.nack.error
        assert ack.HasField("ack")
        client.admin.PublishBatch(
            admin_pb2.PublishBatchRequest(topic_id=topic.id, events=[good]), metadata=client.auth
        )
    finally:
        client.close()
    query = {"label": "all", "query": f"SELECT * FROM {topic.name}"}
    seen = play("query", broker, {"key": key, "queries": [query]})
    assert seen["queries"]["all"] == {"rows": 2, "seqs": [None, None]}
