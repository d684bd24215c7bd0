"""A `created` time no calendar shows: refused at publish, and harmless where it is stored."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from google.protobuf.timestamp_pb2 import Timestamp

from embedded_broker.api.convert import event_wrapper
from embedded_broker.core.timestamps import MAX_SECONDS, MIN_SECONDS, timestamp_problem
from embedded_broker.engine.publishing import PublishPipeline, publish_batch
from embedded_broker.engine.queries import prepare_query, run_query
from embedded_broker.engine.reads import ReadFrom, read_page
from embedded_broker.proto.ensign.v1beta1.event_pb2 import Event
from tests.conftest import make_event
from tests.engine.conftest import Engine, RecordedReplies, Scenario, Wrapper, stream_of
from workbench.client.broker_client import event_row
from workbench.models.event_export import csv_record, iso_utc, record_text
from workbench.models.event_pages import Column, cell_text, format_ms

MS_AS_SECONDS = 1_700_000_000_000
"""A producer's milliseconds in the seconds field: year ~55,800."""


def _created(seconds: int, nanos: int = 0, data: str = "x") -> Event:
    event = make_event(data)
    event.created.CopyFrom(Timestamp(seconds=seconds, nanos=nanos))
    return event


def test_the_reason_names_the_value_the_range_and_the_likely_mistake() -> None:
    problem = timestamp_problem(MS_AS_SECONDS, 0)
    assert problem is not None
    assert f"seconds={MS_AS_SECONDS}" in problem and "milliseconds written as seconds" in problem
    assert timestamp_problem(MAX_SECONDS + 1, 0) is not None
    assert timestamp_problem(MIN_SECONDS - 1, 0) is not None
    assert timestamp_problem(0, -1) is not None and timestamp_problem(0, 10**9) is not None
    assert timestamp_problem(MAX_SECONDS, 999_999_999) is None
    assert timestamp_problem(MIN_SECONDS, 0) is None


def test_an_odd_event_already_stored_poisons_no_read_query_or_export(
    engine: Callable[[Scenario], None],
) -> None:
    """Stored before the publish rule (the store itself takes any event): its neighbours and
    itself still read, query and export."""

    async def scenario(e: Engine) -> None:
        broker = e.broker
        topic = await e.create_topic("times")
        events = [
            _created(1_700_000_000, data="before"),
            _created(MS_AS_SECONDS, data="odd"),
            _created(-MS_AS_SECONDS, data="odd, negative"),
            _created(MAX_SECONDS, 999_999_999, data="last second of 9999"),
            _created(MIN_SECONDS, data="first second of year 1"),
            _created(1_700_000_001, data="after"),
        ]
        broker.store.publish(topic.id, events).result()
        caller = e.caller()

        query, found = prepare_query(
            broker, caller, "SELECT * FROM times WHERE created > '2000-01-01T00:00:00Z'", {}
        )
        rows = [record.event.data async for record, _ in run_query(broker, query, found)]
        assert rows == [b"before", b"odd", b"last second of 9999", b"after"]

        page = await read_page(broker, caller, topic.id, ReadFrom.OFFSET, 1, 200)
        shown = [event_row(event_wrapper(record)) for record in page.records]
        assert [row.data for row in shown] == [event.data for event in events]
        assert shown[1].created_ms == MS_AS_SECONDS * 1000
        for row in shown:  # every column of the table, and both export formats
            assert all(cell_text(row, column) for column in Column)
            assert csv_record(row) and record_text(row)
        written = io.StringIO()
        csv.writer(written).writerows(csv_record(row) for row in shown)
        assert "+55840-" in written.getvalue()

    engine(scenario)


def test_times_beyond_the_calendar_are_shown_as_they_are() -> None:
    assert iso_utc(0) == "1970-01-01T00:00:00.000Z"
    assert iso_utc(1_700_000_000_123) == "2023-11-14T22:13:20.123Z"
    assert iso_utc(MS_AS_SECONDS * 1000) == "+55840-11-08T22:13:20.000Z"
    assert iso_utc(MAX_SECONDS * 1000 + 999) == "9999-12-31T23:59:59.999Z"
    assert iso_utc(MIN_SECONDS * 1000) == "0001-01-01T00:00:00.000Z"
    assert iso_utc(MIN_SECONDS * 1000 - 1) == "+0000-12-31T23:59:59.999Z"
    assert iso_utc(-MS_AS_SECONDS * 1000) == "-51901-02-22T01:46:40.000Z"
    assert format_ms(MS_AS_SECONDS * 1000) == "+55840-11-08 22:13:20.000 UTC"
    assert format_ms(MAX_SECONDS * 1000 + 999)  # local time may pass year 9999: still text
    assert format_ms(MIN_SECONDS * 1000)


def test_the_first_and_last_moments_of_the_calendar_are_admitted_on_both_paths(
    engine: Callable[[Scenario], None],
) -> None:
    async def scenario(e: Engine) -> None:
        broker = e.broker
        topic = await e.create_topic("edges")
        edges = [
            _created(MIN_SECONDS).SerializeToString(),
            _created(MAX_SECONDS, 999_999_999).SerializeToString(),
        ]
        replies = RecordedReplies()
        await PublishPipeline(broker, e.caller(), replies).run(
            stream_of([Wrapper(topic.id, body) for body in edges])
        )
        assert [kind for kind, _, _ in replies.outcomes] == ["ack", "ack"]
        await publish_batch(broker, e.caller(), topic.id, edges)
        assert broker.store.topic(topic.id).stats.events == 4

    engine(scenario)


def test_a_read_from_any_time_answers(engine: Callable[[Scenario], None]) -> None:
    """ReadEvents 'after' a Timestamp whose milliseconds pass SQLite's 64-bit integers answered
    UNKNOWN (an OverflowError)."""

    async def scenario(e: Engine) -> None:
        broker = e.broker
        topic = await e.create_topic("times")
        broker.store.publish(topic.id, [make_event("only")]).result()
        for at, found in ((2**63 * 1000, 0), (-(2**70), 1), (2**64, 0)):
            page = await read_page(broker, e.caller(), topic.id, ReadFrom.TIME, at, 10)
            assert len(page.records) == found

    engine(scenario)
