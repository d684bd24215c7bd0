"""Exports to JSON Lines and CSV: what the files hold, binary data, and all-or-nothing writes."""

from __future__ import annotations

import asyncio
import base64
import csv
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from workbench.client.records import EventPage, EventRow
from workbench.models.event_export import (
    CSV_COLUMNS,
    DATA_COLUMNS,
    ExportCancelled,
    ExportFormat,
    ExportWriter,
    export_events,
    iso_utc,
    iterate,
    json_record,
    record_text,
    topic_events,
)

JSON, TEXT, OCTETS = 50, 1, 0
COMMITTED_MS = 1_714_564_800_123  # 2024-05-01T12:00:00.123Z


def _row(offset: int, data: bytes, mimetype: int = JSON, **metadata: str) -> EventRow:
    return EventRow(
        topic_id=b"t" * 16,
        offset=offset,
        id=offset.to_bytes(16, "big"),
        committed_ms=COMMITTED_MS + offset,
        created_ms=COMMITTED_MS if offset % 2 else 0,
        type_name="Reading",
        type_version="1.2.0",
        mimetype=mimetype,
        data=data,
        metadata=dict(metadata),
    )


ROWS = [
    _row(1, b'{"temp": 21.5, "city": "Z\xc3\xbcrich"}', region="eu"),
    _row(2, 'plain text, "quoted", café\nand a newline'.encode(), TEXT),
    _row(3, bytes(range(256)), OCTETS, kind="binary"),
    _row(4, b"", TEXT),
]


def _export(rows: list[EventRow], path: Path, fmt: ExportFormat) -> list[int]:
    seen: list[int] = []
    count = asyncio.run(export_events(iterate(rows), path, fmt, seen.append, lambda: False))
    assert count == len(rows)
    return seen


def test_json_lines_hold_one_event_per_line(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    progress = _export(ROWS, path, ExportFormat.JSONL)
    assert progress[-1] == len(ROWS)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines == [record_text(row) for row in ROWS]
    assert list(json.loads(lines[0])) == list(json_record(ROWS[0]))
    first = json.loads(lines[0])
    assert first["data"] == {"temp": 21.5, "city": "Zürich"}
    assert first["data_encoding"] == "json"
    assert first["metadata"] == {"region": "eu"}
    assert json.loads(lines[1])["data_encoding"] == "utf-8"
    assert json.loads(lines[2])["data_encoding"] == "base64"
    assert base64.b64decode(json.loads(lines[2])["data"]["base64"]) == bytes(range(256))


def test_csv_round_trips_text_and_binary_data(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    _export(ROWS, path, ExportFormat.CSV)
    with path.open(newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file)
        assert tuple(reader.fieldnames or ()) == (
            *CSV_COLUMNS,
            "metadata.kind",
            "metadata.region",
            *DATA_COLUMNS,
        )
        records = list(reader)
    assert [int(r["offset"]) for r in records] == [1, 2, 3, 4]
    for record, row in zip(records, ROWS, strict=True):
        assert record["id"] == row.id.hex()
        assert record["type"] == "Reading" and record["version"] == "1.2.0"
        assert record["mimetype"] == row.mimetype_text
        assert int(record["size"]) == len(row.data)
        metadata = {k: record[f"metadata.{k}"] for k in ("kind", "region")}
        assert {k: v for k, v in metadata.items() if v} == row.metadata
        if record["data_encoding"] == "base64":
            assert base64.b64decode(record["data"]) == row.data
        else:
            assert record["data_encoding"] == "utf-8"
            assert record["data"].encode("utf-8") == row.data
    assert records[0]["committed"] == "2024-05-01T12:00:00.124Z"
    assert records[0]["committed_ms"] == str(COMMITTED_MS + 1)
    assert records[0]["created"] == "2024-05-01T12:00:00.123Z"
    assert records[0]["created_ms"] == str(COMMITTED_MS)
    assert records[1]["created"] == records[1]["created_ms"] == ""
    assert records[2]["data_encoding"] == "base64"


def test_iso_utc_keeps_milliseconds() -> None:
    assert iso_utc(0) == "1970-01-01T00:00:00.000Z"
    assert iso_utc(COMMITTED_MS) == "2024-05-01T12:00:00.123Z"


def test_a_cancelled_export_leaves_no_file_and_keeps_an_old_one(tmp_path: Path) -> None:
    rows = [_row(n, b"{}") for n in range(1, 2001)]
    path = tmp_path / "out.jsonl"
    path.write_text("the previous export\n")
    seen: list[int] = []

    with pytest.raises(ExportCancelled):
        asyncio.run(
            export_events(iterate(rows), path, ExportFormat.JSONL, seen.append, lambda: bool(seen))
        )
    assert seen and seen[-1] < len(rows)
    assert path.read_text() == "the previous export\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]


def test_a_cancelled_task_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"

    async def endless() -> AsyncIterator[EventRow]:
        offset = 0
        while True:
            offset += 1
            yield _row(offset, b"{}")
            if offset % 100 == 0:
                await asyncio.sleep(0)

    async def run_and_cancel() -> None:
        started = asyncio.Event()
        task = asyncio.ensure_future(
            export_events(endless(), path, ExportFormat.CSV, lambda n: started.set(), lambda: False)
        )
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(run_and_cancel())
    assert list(tmp_path.iterdir()) == []


def test_a_failing_source_leaves_no_file(tmp_path: Path) -> None:
    async def broken() -> AsyncIterator[EventRow]:
        yield _row(1, b"{}")
        raise ConnectionError("the broker went away")

    path = tmp_path / "out.jsonl"
    with pytest.raises(ConnectionError):
        asyncio.run(export_events(broken(), path, ExportFormat.JSONL, print, lambda: False))
    assert list(tmp_path.iterdir()) == []


def test_the_writer_is_incremental_and_discards_on_error(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    with ExportWriter(path, ExportFormat.JSONL) as writer:
        writer.write(ROWS[:2])
        writer.write(ROWS[2:])
        assert not path.exists()  # nothing appears until the export completes
    assert writer.count == len(ROWS)
    assert len(path.read_text().splitlines()) == len(ROWS)

    other = tmp_path / "other.csv"
    with pytest.raises(RuntimeError), ExportWriter(other, ExportFormat.CSV) as writer:
        writer.write(ROWS)
        raise RuntimeError("something went wrong")
    assert not other.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]


def test_formats_follow_file_names() -> None:
    assert ExportFormat.for_path("x.CSV") is ExportFormat.CSV
    assert ExportFormat.for_path("x.jsonl") is ExportFormat.JSONL
    assert ExportFormat.for_path("x.ndjson") is ExportFormat.JSONL
    for unknown in ("x.txt", "x", "csv", "x.csv.bak", "x.json"):
        assert ExportFormat.for_path(unknown) is None, unknown
    assert ExportFormat.CSV.name_filter == "CSV (*.csv)"
    assert ExportFormat.JSONL.name_filter == "JSON Lines (*.jsonl *.ndjson)"


def test_both_formats_write_the_same_times_whatever_the_local_zone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        _export(ROWS, tmp_path / "out.csv", ExportFormat.CSV)
        _export(ROWS, tmp_path / "out.jsonl", ExportFormat.JSONL)
    finally:
        monkeypatch.undo()
        time.tzset()
    with (tmp_path / "out.csv").open(newline="", encoding="utf-8") as file:
        records = list(csv.DictReader(file))
    lines = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    for record, line, row in zip(records, lines, ROWS, strict=True):
        assert record["committed"] == line["committed"] == iso_utc(row.committed_ms)
        assert int(record["committed_ms"]) == line["committed_ms"] == row.committed_ms
        assert record["created"] == (line["created"] or "")
    assert lines[0]["committed"] == "2024-05-01T12:00:00.124Z"


def _ignore(_count: int) -> None:
    pass


def test_a_big_csv_export_gives_the_loop_turns_while_it_writes_its_rows(tmp_path: Path) -> None:
    rows = [_row(n, b"{}", **{f"k{n % 3}": "v"}) for n in range(1, 3001)]
    turns = 0

    async def count_turns(done: asyncio.Future[int]) -> None:
        nonlocal turns
        while not done.done():
            turns += 1
            await asyncio.sleep(0)

    async def run() -> int:
        export = asyncio.ensure_future(
            export_events(iterate(rows), tmp_path / "big.csv", ExportFormat.CSV, _ignore, bool)
        )
        await asyncio.gather(export, count_turns(export))
        return export.result()

    assert asyncio.run(run()) == len(rows)
    assert turns >= 2 * len(rows) // 500
    header = (tmp_path / "big.csv").read_text().splitlines()[0]
    assert "metadata.k0,metadata.k1,metadata.k2" in header
    assert [p.name for p in tmp_path.iterdir()] == ["big.csv"]


class _FakeTopic:
    """Pages of a topic as ReadEvents serves them (offsets 1..last)."""

    def __init__(self, last: int) -> None:
        self.last = last
        self.requests: list[tuple[int, int]] = []

    async def read_events(
        self,
        topic_id: bytes,
        offset: int | None = None,
        after_ms: int | None = None,
        from_end: bool = False,
        limit: int = 200,
    ) -> EventPage:
        start = offset or 1
        self.requests.append((start, limit))
        end = min(self.last, start + limit - 1)
        rows = [_row(n, b"{}") for n in range(start, end + 1)]
        last, self.last = self.last, self.last + 7  # events keep arriving meanwhile
        return EventPage(rows, end + 1 if rows else start, last)


def test_topic_events_reads_the_topic_as_of_the_first_page() -> None:
    topic = _FakeTopic(2500)

    async def collect() -> list[int]:
        return [row.offset async for row in topic_events(topic, b"t", page_size=1000)]

    assert asyncio.run(collect()) == list(range(1, 2501))
    assert topic.requests == [(1, 1000), (1001, 1000), (2001, 1000)]
