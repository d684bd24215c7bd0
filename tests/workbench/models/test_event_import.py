"""Importing JSON Lines and CSV: mappings, line-exact errors, and nothing sent past a bad line."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.serve_process import BrokerProcess, create_key
from tests.workbench.conftest import running_broker, settings_for
from workbench.client.broker_client import BrokerClient
from workbench.client.errors import InvalidInput
from workbench.models.event_generator import EventGenerator, GeneratorSettings, RunState
from workbench.models.event_import import (
    BadLine,
    FieldMapping,
    ImportSource,
    Record,
    file_format,
    preview,
    to_event,
)
from workbench.models.json_exact import JsonNumber


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerProcess]:
    with running_broker(tmp_path_factory, "import") as process:
        yield process


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_json_lines_record_maps_to_data_metadata_type_and_time(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "orders.jsonl",
        '{"order": {"id": 7, "total": 9.5}, "region": "eu", "kind": "Order:2.1", '
        '"at": "2026-11-29T12:00:00.250Z"}\n\n{"order": "plain text", "region": 3, '
        '"kind": "Order", "at": 1795953600000}\n',
    )
    records, names = preview(path)
    assert names == ["order", "region", "kind", "at"]
    mapping = FieldMapping(
        data="order", metadata=("region",), type_field="kind", created_field="at"
    )
    first, second = (to_event(r, mapping) for r in records if isinstance(r, Record))
    assert json.loads(first.data) == {"id": 7, "total": 9.5}
    assert (first.type_name, first.type_version, first.metadata) == (
        "Order",
        "2.1.0",
        {"region": "eu"},
    )
    assert first.created_ms == 1795953600250 and first.mimetype == 50
    # Under application/json a text that is not JSON becomes a JSON string; JSON text stays.
    assert second.data == b'"plain text"' and second.metadata == {"region": "3"}
    data_only = FieldMapping(data="order")
    as_text = FieldMapping(data="order", mimetype="text/plain")
    assert to_event(Record(1, {"order": "plain text"}), as_text).data == b"plain text"
    assert to_event(Record(1, {"order": '{"id": 8}'}), data_only).data == b'{"id": 8}'
    assert json.loads(to_event(Record(1, {"order": 'say "hi"'}), data_only).data) == 'say "hi"'
    assert (second.type_version, second.created_ms) == ("1.0.0", 1795953600000)
    assert [r.line for r in records if isinstance(r, Record)] == [1, 3]


def test_a_csv_row_maps_and_a_whole_record_can_be_the_data(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "readings.csv",
        'sensor,value,note\ns1,20.5,"multi\nline"\ns2,21,ok\n',
    )
    records, names = preview(path)
    assert names == ["sensor", "value", "note"]
    assert [r.line for r in records if isinstance(r, Record)] == [2, 4]
    event = to_event(records[0], FieldMapping(metadata=("sensor",), mimetype="text/csv"))  # type: ignore[arg-type]
    assert json.loads(event.data) == {"sensor": "s1", "value": "20.5", "note": "multi\nline"}
    assert event.mimetype == 2 and event.metadata == {"sensor": "s1"}


@pytest.mark.parametrize(
    ("text", "mapping", "line", "words"),
    [
        ('{"a": 1}\n{"a": \n', FieldMapping(), 2, "not valid JSON"),
        ('{"a": 1}\n{"b": 2}\n', FieldMapping(data="a"), 2, "no field 'a'"),
        ('{"t": "X:one"}\n', FieldMapping(type_field="t"), 1, "not a version"),
        ('{"m": "image/gif"}\n', FieldMapping(mimetype_field="m"), 1, "unknown mimetype"),
        ('{"c": "yesterday"}\n', FieldMapping(created_field="c"), 1, "is not a time"),
        ('{"c": "2026-11-29T12:00:00"}\n', FieldMapping(created_field="c"), 1, "no time zone"),
        ("[1, 2]\n", FieldMapping(data="a"), 1, "not a JSON object"),
    ],
)
def test_a_bad_line_is_named_by_its_number(
    tmp_path: Path, text: str, mapping: FieldMapping, line: int, words: str
) -> None:
    source = ImportSource(_write(tmp_path / "bad.jsonl", text), mapping)
    with pytest.raises(BadLine) as bad:
        while source(10):
            pass
    assert bad.value.line == line and words in bad.value.reason


def test_csv_rows_with_the_wrong_number_of_columns_are_bad_lines(tmp_path: Path) -> None:
    path = _write(tmp_path / "short.csv", "a,b\n1,2\n3\n4,5\n")
    source = ImportSource(path, FieldMapping(), skip_bad=True)
    assert len(source(10)) == 2
    assert [(b.line, b.reason) for b in source.skipped] == [(3, "1 columns where the header has 2")]


def test_a_csv_header_that_names_a_column_twice_is_refused_before_any_row(
    tmp_path: Path,
) -> None:
    path = tmp_path / "twice.csv"
    path.write_text("id,id,payload\n1,2,a\n")
    source = ImportSource(path, FieldMapping())
    with pytest.raises(BadLine, match="line 1: the header names 'id' more than once"):
        source(10)


@pytest.mark.parametrize(
    ("name", "content", "fields"),
    [
        ("excel.csv", "id,payload\r\n1,a\r\n", {"id": "1", "payload": "a"}),
        ("lines.jsonl", '{"id": "x"}\n', {"id": "x"}),
    ],
)
def test_a_leading_byte_order_mark_is_not_part_of_the_first_field(
    tmp_path: Path, name: str, content: str, fields: dict[str, object]
) -> None:
    path = tmp_path / name
    path.write_bytes(b"\xef\xbb\xbf" + content.encode())
    records, names = preview(path)
    assert [r.fields for r in records if isinstance(r, Record)] == [fields]
    assert names == list(fields)


def test_unknown_file_types_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"\.jsonl"):
        file_format(tmp_path / "events.xml")


def _run_import(
    broker: BrokerProcess, source: ImportSource, topic: str
) -> tuple[object, list[bytes]]:
    async def main() -> tuple[object, list[bytes]]:
        client = BrokerClient(settings_for(broker, create_key(broker.data_dir, "demo", "all")))
        await client.login()
        try:
            topic_id = await client.create_topic(topic)
            stats = await EventGenerator(
                client, source, GeneratorSettings(topic_id, batch_max=4)
            ).run()
            page = await client.read_events(topic_id, offset=1, limit=100)
            return stats, [e.data for e in page.events]
        finally:
            await client.close()

    return asyncio.run(main())


def test_an_import_stops_at_a_bad_line_and_sends_nothing_after_it(
    broker: BrokerProcess, tmp_path: Path
) -> None:
    lines = [json.dumps({"n": i}) for i in range(10)]
    lines[6] = '{"n": 6,'
    path = _write(tmp_path / "broken.jsonl", "\n".join(lines) + "\n")
    stats, stored = _run_import(broker, ImportSource(path, FieldMapping(data="n")), "stops")
    assert stats.state is RunState.FAILED  # type: ignore[attr-defined]
    assert stats.failure.startswith("line 7: not valid JSON")  # type: ignore[attr-defined]
    assert stored == [str(i).encode() for i in range(6)]

    skipping = ImportSource(path, FieldMapping(data="n"), skip_bad=True)
    stats, stored = _run_import(broker, skipping, "skips")
    assert stats.state is RunState.DONE and stats.acked == 9  # type: ignore[attr-defined]
    assert [b.line for b in skipping.skipped] == [7]
    assert stored == [str(i).encode() for i in range(10) if i != 6]


def test_events_read_before_a_bad_line_are_all_sent_even_when_one_is_refused(
    broker: BrokerProcess, tmp_path: Path
) -> None:
    """The oversized event goes in a publish call of its own, so the batch is several calls;
    the bad line after it must not cancel the calls still to make."""
    lines = [
        json.dumps({"p": "small0"}),
        json.dumps({"p": "x" * 4_194_300}),
        json.dumps({"p": "small1"}),
        "not json",
    ]
    path = _write(tmp_path / "refused-then-bad.jsonl", "\n".join(lines) + "\n")
    stats, stored = _run_import(broker, ImportSource(path, FieldMapping(data="p")), "refused")
    assert stats.state is RunState.FAILED  # type: ignore[attr-defined]
    assert stats.failure.startswith("line 4: not valid JSON")  # type: ignore[attr-defined]
    assert (stats.sent, stats.acked, stats.nacked) == (3, 2, 1)  # type: ignore[attr-defined]
    assert "MAX_EVENT_SIZE_EXCEEDED" in str(stats.refusals)  # type: ignore[attr-defined]
    assert stored == [b'"small0"', b'"small1"']


def test_imported_values_are_sent_as_written(tmp_path: Path) -> None:
    line = (
        '{"n": 12345678901234567890, "total": 0.10000000000000000555, "x": 1.0E+2, '
        '"z": -0, "twice": 1, "twice": 2, "lone": "\\ud800", "long": ' + "9" * 5000 + "}"
    )
    path = _write(tmp_path / "exact.jsonl", line + "\n")
    (record,), _names = preview(path)
    assert isinstance(record, Record)
    whole = to_event(record, FieldMapping())
    assert whole.data == line.replace(", ", ",").replace(": ", ":").encode()
    assert to_event(record, FieldMapping(data="total")).data == b"0.10000000000000000555"
    assert to_event(record, FieldMapping(metadata=("n",))).metadata == {"n": "12345678901234567890"}
    for written in ("1795953600250.0", "1.79595360025E12"):
        timed = Record(1, {"at": JsonNumber(written)})
        assert to_event(timed, FieldMapping(created_field="at")).created_ms == 1795953600250
    for wrong in ("1e999999999", "NaN"):
        with pytest.raises(BadLine, match="not a time"):
            to_event(Record(1, {"at": JsonNumber(wrong)}), FieldMapping(created_field="at"))


def test_a_deep_line_is_a_bad_line_and_a_huge_csv_field_is_data(tmp_path: Path) -> None:
    deep = "[" * 5000 + "]" * 5000
    path = _write(tmp_path / "deep.jsonl", '{"ok": 1}\n' + deep + "\n")
    records, _names = preview(path)
    assert isinstance(records[0], Record) and isinstance(records[1], BadLine)
    assert records[1].line == 2 and "5,000 levels deep" in records[1].reason

    huge = "x" * 1_000_000
    path = _write(tmp_path / "huge.csv", f"id,data\n1,{huge}\n")
    (record,), _names = preview(path)
    assert isinstance(record, Record)
    assert to_event(record, FieldMapping(data="data", mimetype="text/plain")).data == huge.encode()


@pytest.mark.parametrize(
    "mapping",
    [
        FieldMapping(created_field=""),  # a column may be named "" (found by fuzzing)
        FieldMapping(version_field="0"),
        FieldMapping(mimetype_field="x"),
    ],
)
def test_a_mapping_that_names_fields_refuses_a_line_that_is_not_an_object(
    mapping: FieldMapping,
) -> None:
    with pytest.raises(BadLine, match="not a JSON object"):
        to_event(Record(1, "0"), mapping)


def test_bytes_that_are_not_utf8_make_a_bad_line_with_its_number(tmp_path: Path) -> None:
    good = "".join(f'{{"n": {n}, "pad": "{"x" * 2000}"}}\n' for n in range(6))
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(good.encode() + b'{"n": "caf\xe9"}\n{"n": 7}\n')
    (records, _names) = preview(path)
    assert all(isinstance(r, Record) for r in records)  # the first five read
    source = ImportSource(path, FieldMapping(data="n"))
    assert len(source(6)) == 6
    with pytest.raises(BadLine, match=r"line 7: not UTF-8 text \(the byte 0xe9 at character 11\)"):
        source(10)

    csv_path = tmp_path / "mixed.csv"
    csv_path.write_bytes(b"id,name\n1,ok\n2,caf\xe9\n")
    records, _names = preview(csv_path)
    assert isinstance(records[0], Record) and isinstance(records[1], BadLine)
    assert records[1].line == 3 and "0xe9" in records[1].reason


@pytest.mark.parametrize(
    ("line", "mapping", "why"),
    [
        (b'{"t": 253402300800000}', FieldMapping(created_field="t"), "outside years 1 to 9999"),
        (b'{"t": -62135596800001}', FieldMapping(created_field="t"), "outside years 1 to 9999"),
        (b'{"v": "4294967296"}', FieldMapping(version_field="v"), "above 4,294,967,295"),
        # JSON can write half of a surrogate pair; an event's text fields (UTF-8) cannot hold it
        (b'{"m": "\\ud800"}', FieldMapping(metadata=("m",)), "metadata value '\\ud800'"),
        (b'{"t": "T\\udfff"}', FieldMapping(type_field="t"), "type name 'T\\udfff'"),
        (  # (as JSON data it is the JSON string "\\udc00", which holds it)
            b'{"d": "\\udc00"}',
            FieldMapping(data="d", mimetype="text/plain"),
            "the data '\\udc00' is not Unicode",
        ),
    ],
)
def test_a_time_or_version_an_event_cannot_hold_is_a_bad_line_not_a_crash(
    tmp_path: Path, line: bytes, mapping: FieldMapping, why: str
) -> None:
    path = tmp_path / "odd.jsonl"
    path.write_bytes(b'{"t": 0, "v": "1.2.3", "m": "", "d": ""}\n' + line + b"\n")
    source = ImportSource(path, mapping)
    assert len(source(10)) == 1, "the good line before it is imported"
    with pytest.raises(BadLine) as bad:
        source(10)
    assert bad.value.line == 2 and why in str(bad.value)
