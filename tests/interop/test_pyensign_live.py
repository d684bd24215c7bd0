"""The unmodified official SDK (pyensign 0.12.1b0) against a real ``ensign-broker serve`` process.

pyensign runs in its own virtual environment (``pyensign_env.py``): ``pyensign_scenarios.py``
plays two scenarios with it, ``main`` (the happy path of a key with every permission) and
``refusals`` (what users see when the broker says no), and prints what it observed as JSON.
The tests below judge those observations. One broker process serves the whole module; the last
test stops it with SIGTERM and expects a clean exit.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.interop.pyensign_env import run_json
from tests.serve_process import BrokerProcess, broker_command, create_key, start_broker

pytestmark = pytest.mark.timeout(180)

SCENARIOS = Path(__file__).with_name("pyensign_scenarios.py")
PROJECT = "interop"
TOPIC = "interop-main"
GROUP_TOPIC = "interop-group"
REFUSALS_TOPIC = "interop-refusals"
FILLER_TOPICS = 105  # with the two topics above: two pages of ListTopics (100 a page)

# The events of the main scenario: event ``seq`` has kind KINDS[seq % 6] (which decides its
# mimetype and schema name) and version VERSIONS[(seq // 6) % 3]; see ``make_event``.
KINDS = ("order", "note", "blob", "row", "tick", "pack")
VERSIONS = ("1.0.0", "1.4.2", "2.0.0")
SCHEMAS = {
    "order": "Order",
    "note": "Note",
    "blob": "Blob",
    "row": "Row",
    "tick": "Tick",
    "pack": "Pack",
}
MIMETYPES = {
    "order": "application/json",
    "note": "text/plain",
    "blob": "application/octet-stream",
    "row": "text/csv",
    "tick": "application/protobuf",
    "pack": "application/msgpack",
}
N_BULK = 1200
N_LIVE = 150
N_GROUP = 300
GROUP_FIRST_SEQ = 100_000  # the group scenario's events are numbered from here
GROUP_FIRST_ACKS = 120


def kind(seq: int) -> str:
    return KINDS[seq % len(KINDS)]


def version(seq: int) -> str:
    return VERSIONS[(seq // len(KINDS)) % len(VERSIONS)]


def seqs(keep: Callable[[int], bool]) -> list[int]:
    return [seq for seq in range(N_BULK) if keep(seq)]


ORDERS = seqs(lambda s: kind(s) == "order")
NOTES = seqs(lambda s: kind(s) == "note")

# label -> (query, params, the seq of every row in order)
QUERIES: dict[str, tuple[str, dict[str, Any] | None, list[int]]] = {
    "metadata_key": ("SELECT * FROM {t} WHERE kind = 'order'", None, ORDERS),
    "metadata_dotted": ("SELECT * FROM {t} WHERE metadata.seq = '777'", None, [777]),
    "json_dotted": ("SELECT * FROM {t} WHERE data.n > 990", None, [s for s in ORDERS if s > 990]),
    "json_bare": ("SELECT * FROM {t} WHERE n >= 1100", None, [s for s in ORDERS if s >= 1100]),
    "params_str": (
        "SELECT * FROM {t} WHERE kind = :kind AND version = $version",
        {"kind": "row", "version": "2.0.0"},
        seqs(lambda s: kind(s) == "row" and version(s) == "2.0.0"),
    ),
    "params_int": (
        "SELECT * FROM {t} WHERE data.n BETWEEN @lo AND @hi",
        {"lo": 100, "hi": 200},
        [s for s in ORDERS if 100 <= s <= 200],
    ),
    "params_float": (
        "SELECT * FROM {t} WHERE data.price > :p",
        {"p": 1700.25},
        [s for s in ORDERS if s * 1.5 > 1700.25],
    ),
    "type_and_version": (
        "SELECT * FROM {t} WHERE type = 'Row' AND version >= '1.4'",
        None,
        seqs(lambda s: kind(s) == "row" and version(s) != "1.0.0"),
    ),
    "from_type_version": (
        "SELECT * FROM {t}.Tick.v2",
        None,
        seqs(lambda s: kind(s) == "tick" and version(s) == "2.0.0"),
    ),
    "mimetype": (
        "SELECT * FROM {t} WHERE mimetype = 'text/csv'",
        None,
        seqs(lambda s: kind(s) == "row"),
    ),
    "like_unicode": (
        "SELECT * FROM {t} WHERE label LIKE 'évènement %99'",
        None,
        seqs(lambda s: s % 100 == 99),
    ),
    "in_and_parity": (  # blobs are all even, packs all odd
        "SELECT * FROM {t} WHERE kind IN ('blob', 'pack') AND parity = 'odd'",
        None,
        seqs(lambda s: kind(s) == "pack"),
    ),
    "or_and_offset": (  # offsets count from 1: offset 1191 holds seq 1190
        "SELECT * FROM {t} WHERE (kind = 'tick' OR kind = 'note') AND offset > 1190",
        None,
        seqs(lambda s: s >= 1190 and kind(s) in ("tick", "note")),
    ),
    "offset_field": ("SELECT * FROM {t} WHERE offset <= 5", None, [0, 1, 2, 3, 4]),
    "limit": ("SELECT * FROM {t} LIMIT 3", None, [0, 1, 2]),
    "where_offset_limit": (
        "SELECT * FROM {t} WHERE kind = 'order' OFFSET 10 LIMIT 5",
        None,
        ORDERS[10:15],
    ),
    "offset_tail": ("SELECT * FROM {t} OFFSET 1197", None, [1197, 1198, 1199]),
    "limit_param": ("SELECT * FROM {t} WHERE kind = 'note' LIMIT :n", {"n": 4}, NOTES[:4]),
    "projection": ("SELECT seq, n FROM {t} WHERE kind = 'order' LIMIT 2", None, ORDERS[:2]),
}
# label -> (query, params, the exception class pyensign raises, words its message must hold)
FAILING_QUERIES: dict[str, tuple[str, dict[str, Any] | None, str, tuple[str, ...]]] = {
    "no_rows": ("SELECT * FROM {t} WHERE kind = 'nothing'", None, "QueryNoRows", ("no result",)),
    "syntax_truncated": ("SELECT * FROM {t} WHERE", None, "InvalidQueryError", ("end",)),
    "syntax_keyword": ("SELEKT * FROM {t}", None, "InvalidQueryError", ("SELECT",)),
    "unbound_param": (
        "SELECT * FROM {t} WHERE kind = :kind",
        None,
        "InvalidQueryError",
        (":kind",),
    ),
    "unknown_topic": (
        "SELECT * FROM no_such_topic",
        None,
        "EnsignRPCError",
        ("NOT_FOUND", "no_such_topic"),
    ),
}


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerProcess]:
    process = start_broker(tmp_path_factory.mktemp("pyensign-live") / "broker")
    try:
        yield process
    finally:
        if process.process.poll() is None:
            process.stop()


@pytest.fixture(scope="module")
def keys(broker: BrokerProcess) -> dict[str, dict[str, str]]:
    grants = {
        "admin": ("all",),
        "revocable": ("subscriber", "topics:read"),
        "subscriber_only": ("subscriber",),
        "publisher_only": ("publisher",),
    }
    return {name: create_key(broker.data_dir, PROJECT, *perms) for name, perms in grants.items()}


def play(scenario: str, broker: BrokerProcess, config: dict[str, Any]) -> dict[str, Any]:
    config = {"endpoint": broker.grpc_address, "auth_url": broker.auth_url, **config}
    result = run_json(SCENARIOS, scenario, json.dumps(config), timeout=150)
    assert isinstance(result, dict)
    return result


@pytest.fixture(scope="module")
def main_run(broker: BrokerProcess, keys: dict[str, dict[str, str]]) -> dict[str, Any]:
    queries: list[dict[str, Any]] = [
        {"label": label, "query": query.format(t=TOPIC), "params": params}
        for label, (query, params, _) in QUERIES.items()
    ]
    queries += [
        {"label": label, "query": query.format(t=TOPIC), "params": params}
        for label, (query, params, _, _) in FAILING_QUERIES.items()
    ]
    next(q for q in queries if q["label"] == "projection")["show_data"] = True
    return play(
        "main",
        broker,
        {
            "key": keys["admin"],
            "topic": TOPIC,
            "group_topic": GROUP_TOPIC,
            "group_name": "interop-workers",
            "kinds": KINDS,
            "versions": VERSIONS,
            "n_bulk": N_BULK,
            "n_live": N_LIVE,
            "n_group": N_GROUP,
            "group_first_seq": GROUP_FIRST_SEQ,
            "group_first_acks": GROUP_FIRST_ACKS,
            "filler_topics": FILLER_TOPICS,
            "queries": queries,
        },
    )


@pytest.fixture(scope="module")
def refusals_run(broker: BrokerProcess, keys: dict[str, dict[str, str]]) -> dict[str, Any]:
    revoke = broker_command(
        "keys", "revoke", keys["revocable"]["client_id"], "--data-dir", str(broker.data_dir)
    )
    return play(
        "refusals",
        broker,
        {
            "admin": keys["admin"],
            "revocable": keys["revocable"],
            "subscriber_only": keys["subscriber_only"],
            "publisher_only": keys["publisher_only"],
            "topic": REFUSALS_TOPIC,
            "revoke_command": revoke,
        },
    )


def part(run: dict[str, Any], name: str) -> Any:
    """One section of a scenario's observations; a scenario that died shows its traceback."""
    if name not in run:
        pytest.fail(f"the {run['scenario']} scenario stopped before {name!r}:\n{run.get('fatal')}")
    return run[name]


def refused(outcome: dict[str, Any], cls: str, status: str, *words: str) -> dict[str, Any]:
    """Assert a step failed with exception ``cls`` and gRPC ``status``, naming ``words``."""
    assert "error" in outcome, f"expected {cls}({status}), the call succeeded: {outcome}"
    error: dict[str, Any] = outcome["error"]
    assert error["class"] == cls, error
    assert error.get("name") == status, error
    for word in words:
        assert word.lower() in error["message"].lower(), error
    return error


# --- the happy path ------------------------------------------------------------------------------


def test_main_scenario_ran_to_the_end(main_run: dict[str, Any]) -> None:
    assert "fatal" not in main_run, main_run["fatal"]
    assert main_run["seconds"] < 60


def test_status_is_healthy_and_reports_a_version(main_run: dict[str, Any]) -> None:
    status = part(main_run, "status")
    assert status["status"] == 1  # ServiceState.HEALTHY
    assert status["version"]
    assert status["uptime_s"] > 0


def test_topics_are_created_found_and_resolved_across_list_pages(main_run: dict[str, Any]) -> None:
    topics = part(main_run, "topics")
    assert topics["exists_before"] is False
    assert len(topics["created_id"]) == 26
    assert topics["exists_after"] is True
    assert topics["exists_unknown"] is False
    refused(topics["create_again"], "EnsignRPCError", "ALREADY_EXISTS", TOPIC)
    # The last filler topic sorts onto the second page of ListTopics.
    last = topics["last_filler"]
    assert last["resolved_id"] == last["created_id"]
    assert topics["resolved_id"] == topics["created_id"]
    assert topics["resolve_unknown"]["error"]["class"] == "EnsignTopicNotFoundError"
    listed = topics["listed"]
    assert listed["count"] == FILLER_TOPICS + 2
    assert {TOPIC, GROUP_TOPIC, f"page-{FILLER_TOPICS - 1:03d}"} <= set(listed["names"])
    assert listed["ids_match"]
    assert len(listed["projects"]) == 1
    assert listed["states"] == ["TopicState.READY"]


def test_every_published_event_is_acked(main_run: dict[str, Any]) -> None:
    publish = part(main_run, "publish")
    assert publish["count"] == N_BULK
    assert publish["acked"] == N_BULK, publish
    assert publish["nacked"] == 0, publish["nacks"]
    assert publish["callback_acks"] == N_BULK
    assert publish["callback_nacks"] == 0
    assert publish["distinct_ack_ids"] == N_BULK
    # Ack.committed is set (not 1970) and no earlier than the scenario began.
    assert publish["committed_min"] >= main_run["started"] - 5
    assert publish["committed_max"] < main_run["started"] + 120


def test_a_query_reads_every_event_back_intact(main_run: dict[str, Any]) -> None:
    found = part(main_run, "query_all")
    assert found["rows"] == N_BULK
    assert found["distinct"] == N_BULK
    assert found["duplicates"] == 0
    assert found["missing_count"] == 0, found["missing"]
    assert found["unexpected"] == []
    assert found["mismatch_count"] == 0, found["mismatches"]  # data, mimetype, type, meta, created
    assert found["in_order"]
    assert found["distinct_ids"] == N_BULK
    per_kind = N_BULK // len(KINDS)
    assert found["mimetypes"] == {MIMETYPES[k]: per_kind for k in KINDS}


@pytest.mark.parametrize("label", list(QUERIES))
def test_where_offset_limit_and_params(main_run: dict[str, Any], label: str) -> None:
    query, params, expected = QUERIES[label]
    found = part(main_run, "queries")[label]
    assert "error" not in found, f"{query} {params}: {found['error']}"
    assert found["seqs"] == [str(s) for s in expected], query
    assert found["rows"] == len(expected)
    if label == "projection":
        assert [json.loads(d) for d in found["data"]] == [{"n": s} for s in expected]
        assert found["mimetypes"] == ["application/json"] * len(expected)


@pytest.mark.parametrize("label", list(FAILING_QUERIES))
def test_failing_queries_raise_what_pyensign_documents(
    main_run: dict[str, Any], label: str
) -> None:
    query, _, cls, words = FAILING_QUERIES[label]
    found = part(main_run, "queries")[label]
    assert "error" in found, f"{query} returned {found}"
    assert found["error"]["class"] == cls, found["error"]
    for word in words:
        assert word.lower() in found["error"]["message"].lower(), found["error"]


def test_a_subscriber_gets_every_event_published_after_it_started(main_run: dict[str, Any]) -> None:
    sub = part(main_run, "subscribe")
    assert sub["error"] is None
    assert sub["close_error"] is None
    assert sub["publish"]["acked"] == N_LIVE
    assert sub["bulk_received"] == 0  # published before the subscription: not delivered
    assert 1 <= sub["markers_received"] <= sub["markers_published"]
    check = sub["check"]
    assert check["distinct"] == N_LIVE
    assert check["duplicates"] == 0
    assert check["missing_count"] == 0, check["missing"]
    assert check["mismatch_count"] == 0, check["mismatches"]
    assert check["in_order"]
    assert sub["acked"] == N_LIVE


def test_a_consumer_group_resumes_after_a_reconnect(main_run: dict[str, Any]) -> None:
    group = part(main_run, "group")
    assert group["publish"]["acked"] == N_GROUP
    first, second, third = group["first"], group["second"], group["third"]
    assert first["error"] is None
    assert first["close_error"] is None
    assert first["received"] == N_GROUP
    assert first["acked"] == GROUP_FIRST_ACKS
    # The second member gets exactly the events the first left unacked, intact.
    assert second["error"] is None
    assert second["close_error"] is None
    assert second["missing"] == 0
    assert second["redelivered_acked"] == 0
    assert second["distinct"] == N_GROUP - GROUP_FIRST_ACKS
    assert second["received"] == second["distinct"]
    assert second["markers_received"] == 0  # the first member acked them
    assert second["check"]["mismatch_count"] == 0, second["check"]["mismatches"]
    # A third member: everything is acked, so only newly published events arrive.
    assert third["error"] is None
    assert third["close_error"] is None
    assert third["work_received"] == 0
    assert third["old_markers_received"] == 0
    assert third["tail_received"] >= 1


def test_info_counts_the_events_of_every_topic(main_run: dict[str, Any]) -> None:
    info = part(main_run, "info")
    topics, sub, group = part(main_run, "topics"), main_run["subscribe"], main_run["group"]
    main_events = N_BULK + sub["markers_published"] + N_LIVE
    group_events = group["markers_published"] + N_GROUP + group["third"]["tail_markers"]
    counts = info["topics"]
    assert counts[topics["created_id"]] == main_events
    assert counts[topics["group_topic_id"]] == group_events
    assert info["num_topics"] == FILLER_TOPICS + 2
    assert len(counts) == FILLER_TOPICS + 2
    assert sum(counts.values()) == main_events + group_events
    assert info["events"] == main_events + group_events
    assert info["data_size_bytes"] > part(main_run, "publish")["bytes"]
    assert info["filtered"] == {
        "num_topics": 1,
        "events": main_events,
        "topics": [topics["created_id"]],
    }
    # Per-type counts, by schema name and version.
    types = info["types"]
    assert type_counts(types[topics["created_id"]]) == expected_types(
        range(N_BULK + N_LIVE), sub["markers_published"]
    )
    group_markers = group["markers_published"] + group["third"]["tail_markers"]
    assert type_counts(types[topics["group_topic_id"]]) == expected_types(
        range(GROUP_FIRST_SEQ, GROUP_FIRST_SEQ + N_GROUP), group_markers
    )


def test_info_type_counts_carry_mimetype_and_size(main_run: dict[str, Any]) -> None:
    info, topics = part(main_run, "info"), part(main_run, "topics")
    mimetype_of = {SCHEMAS[k]: MIMETYPES[k] for k in KINDS} | {"Marker": "application/json"}
    for entry in info["types"][topics["created_id"]]:
        assert entry["mimetype"] == mimetype_of[entry["type"].split()[0]], entry
        assert entry["data_size_bytes"] > 0, entry


def type_counts(entries: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entry in entries:
        counts[entry["type"]] = counts.get(entry["type"], 0) + entry["events"]
    return counts


def expected_types(numbers: range, markers: int) -> dict[str, int]:
    counts = {"Marker v1.0.0": markers}
    for seq in numbers:
        name = f"{SCHEMAS[kind(seq)]} v{version(seq)}"
        counts[name] = counts.get(name, 0) + 1
    return counts


# --- refusals ------------------------------------------------------------------------------------


def test_refusals_scenario_ran_to_the_end(refusals_run: dict[str, Any]) -> None:
    assert "fatal" not in refusals_run, refusals_run["fatal"]


def test_a_wrong_secret_is_refused(refusals_run: dict[str, Any]) -> None:
    wrong = part(refusals_run, "wrong_secret")
    # pyensign turns the auth endpoint's HTTP 401 into UNAUTHENTICATED before any gRPC call.
    refused(wrong["topic_exists"], "EnsignRPCError", "UNAUTHENTICATED", "authenticate", "401")
    refused(wrong["publish"], "EnsignRPCError", "UNAUTHENTICATED", "401")
    unknown = part(refusals_run, "unknown_client")
    refused(unknown["topic_exists"], "EnsignRPCError", "UNAUTHENTICATED", "401")


def test_a_revoked_key_stops_working_even_with_a_valid_token(refusals_run: dict[str, Any]) -> None:
    revoked = part(refusals_run, "revoked")
    assert revoked["before"] == {"ok": True}
    assert revoked["query_before"].get("ok", 0) >= 1
    assert revoked["revoke"]["returncode"] == 0, revoked["revoke"]["stderr"]
    # The client keeps its cached access token; the broker refuses it by itself.
    assert revoked["token_reused"]
    refused(revoked["topic_exists_after"], "EnsignRPCError", "UNAUTHENTICATED", "revoked")
    refused(revoked["query_after"], "EnsignRPCError", "UNAUTHENTICATED", "revoked")
    refused(revoked["new_client"], "EnsignRPCError", "UNAUTHENTICATED", "401")
    # A Publish stream opened with the revoked token is refused at once, with the reason. (The
    # broker reads the client's first message before refusing: ending the call while pyensign
    # is still writing it made the SDK report "RPC already finished" instead.)
    refused(revoked["publish_after"], "EnsignRPCError", "UNAUTHENTICATED", "revoked")
    # A subscription opened before the revocation receives nothing published after it.
    assert revoked["published_after"]["acked"] == 5
    assert revoked["stream"]["received_before"] >= 1
    assert revoked["stream"]["received_after"] == 0
    # pyensign keeps reconnecting the refused stream in the background, and its reconnect loop
    # only catches AioRpcError: when a reconnect hits a finished call, the stream's task dies
    # with InvalidStateError and Ensign.close() re-raises it. Closing such a client was also
    # seen to hang once in ~30 runs (TimeoutError; its message lists the waiting tasks). Both
    # are the SDK's shutdown of a stream it was refused, after the refusal checked above.
    close_error = revoked["stream"]["close_error"]
    assert close_error is None or close_error["class"] in (
        "InvalidStateError",
        "TimeoutError",
    ), close_error


def test_a_subscriber_only_key_cannot_publish(refusals_run: dict[str, Any]) -> None:
    sub_only = part(refusals_run, "subscriber_only")
    publish = sub_only["publish"]
    assert publish["acked"] == 0
    assert publish["nacked"] == 3  # one nack per event; the stream stays up
    for nack in publish["nacks"]:
        assert nack["class"] == "NackError"
        assert nack["code_name"] == "PERMISSION_DENIED"
        assert "publisher" in nack["message"]
    refused(sub_only["create_topic"], "EnsignRPCError", "PERMISSION_DENIED", "topics:create")
    assert sub_only["query"].get("ok", 0) >= 1  # reading is what it may do


def test_a_publisher_only_key_can_only_publish(refusals_run: dict[str, Any]) -> None:
    pub_only = part(refusals_run, "publisher_only")
    assert pub_only["publish"]["acked"] == 1
    refused(pub_only["create_topic"], "EnsignRPCError", "PERMISSION_DENIED", "topics:create")
    refused(pub_only["topic_exists"], "EnsignRPCError", "PERMISSION_DENIED", "topics:read")
    refused(pub_only["query"], "EnsignRPCError", "PERMISSION_DENIED", "subscriber")
    refused(pub_only["subscribe"], "EnsignRPCError", "PERMISSION_DENIED", "subscriber")
    refused(pub_only["info"], "EnsignRPCError", "PERMISSION_DENIED", "topics:read")


def test_unknown_topics_are_reported(refusals_run: dict[str, Any]) -> None:
    unknown = part(refusals_run, "unknown_topic")
    refused(unknown["query"], "EnsignRPCError", "NOT_FOUND", "no_such_topic")
    refused(unknown["subscribe"], "EnsignRPCError", "NOT_FOUND", "no-such-topic")
    # pyensign decides this one itself, from the topics the Publish stream's ready lists.
    assert unknown["publish"]["error"]["class"] == "UnknownTopicError"


# --- the end -------------------------------------------------------------------------------------


def test_the_broker_exits_cleanly_on_sigterm(
    broker: BrokerProcess, main_run: dict[str, Any], refusals_run: dict[str, Any]
) -> None:
    code = broker.stop(signal.SIGTERM)
    log = broker.log()
    assert code == 0, log
    assert "Traceback" not in log, log
    assert "internal error" not in log, log
