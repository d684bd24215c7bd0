"""Writing events to JSON Lines or CSV files, incrementally and all-or-nothing.

An export goes to a temporary file beside the target and is renamed into place only when it
completes, so a cancelled or failed export never leaves a partial file behind.

Both formats say the same about an event, with times written one way whatever the workbench's
display zone: RFC 3339 in UTC with milliseconds (``2024-05-01T12:00:00.123Z``), and the same
moment as milliseconds since the epoch beside it (``committed`` and ``committed_ms``).
JSON Lines holds one :func:`json_record` object per line. CSV has the columns of
:data:`CSV_COLUMNS`, then one ``metadata.<key>`` column per metadata key found in the export
(sorted), then the data as UTF-8 text (``data_encoding`` ``utf-8``) or, when it is not valid
UTF-8, as base64 (``base64``). As the metadata keys are known only at the end, CSV rows wait in
an unnamed spool file until then.

Both carry exactly what is stored. In JSON Lines (and Copy as JSON) the ``data`` of a JSON event
is its document, written token for token as stored (every number as written, repeated keys kept:
see :mod:`workbench.models.json_exact`), with ``data_encoding`` ``json``; JSON that is not JSON
proper (``NaN``), does not parse, or nests deeper than :data:`json_exact.MAX_DEPTH` is written as
its text (``utf-8``), as is any other UTF-8 payload; anything else is ``{"base64": …}``
(``base64``).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import csv
import enum
import json
import os
import tempfile
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Protocol

from workbench.client.records import EventPage, EventRow
from workbench.models import json_exact
from workbench.models.time_display import utc_text

CSV_COLUMNS = (
    "offset",
    "id",
    "committed",
    "committed_ms",
    "created",
    "created_ms",
    "type",
    "version",
    "mimetype",
    "size",
    "duplicate",
)
"""The CSV columns before the metadata columns."""
METADATA_PREFIX = "metadata."
"""A metadata key's CSV column is named ``metadata.<key>``."""
DATA_COLUMNS = ("data", "data_encoding")
"""The CSV columns after the metadata columns."""
PROGRESS_EVERY = 500
"""Rows between progress reports (and between yields to the event loop)."""
TOPIC_PAGE = 1000
"""Events per request when exporting a whole topic (the broker's maximum)."""


class ExportFormat(enum.Enum):
    """A file format events can be exported to."""

    JSONL = "jsonl"
    CSV = "csv"

    @property
    def label(self) -> str:
        """The name a user sees, e.g. in a file dialog's filter."""
        return "JSON Lines" if self is ExportFormat.JSONL else "CSV"

    @property
    def suffix(self) -> str:
        """The usual file name suffix, without the dot."""
        return self.value

    @property
    def suffixes(self) -> tuple[str, ...]:
        """Every file name suffix that means this format, without the dot."""
        return ("jsonl", "ndjson") if self is ExportFormat.JSONL else ("csv",)

    @property
    def name_filter(self) -> str:
        """A file dialog's filter for this format, e.g. ``CSV (*.csv)``."""
        return f"{self.label} ({' '.join('*.' + s for s in self.suffixes)})"

    @classmethod
    def for_path(cls, path: Path | str) -> ExportFormat | None:
        """The format a file name's extension names, or None for any other extension (or none).

        The extension decides, whatever filter a file dialog had selected: ``orders.csv`` is
        CSV. An unknown one (``orders.txt``) is for the user to decide.
        """
        suffix = Path(path).suffix.lower().lstrip(".")
        return next((f for f in cls if suffix in f.suffixes), None)


class ExportCancelled(Exception):
    """The export was cancelled; no file was written."""


def iso_utc(ms: int) -> str:
    """Milliseconds since the epoch as RFC 3339 in UTC with milliseconds, e.g.
    ``2024-05-01T12:00:00.123Z`` (RFC 3339 section 5.6; ``Z`` is the zone). Any value: years
    beyond 9999 in ISO 8601's expanded form, ``+55800-…``."""
    return utc_text(ms) + "Z"


def json_record(row: EventRow) -> dict[str, object]:
    """One event as a JSON Lines export (and Copy as JSON) writes it."""
    return {
        "offset": row.offset,
        "id": row.id.hex(),
        "committed": iso_utc(row.committed_ms),
        "committed_ms": row.committed_ms,
        "created": iso_utc(row.created_ms) if row.created_ms else None,
        "created_ms": row.created_ms or None,
        "type": row.type_name,
        "version": row.type_version,
        "mimetype": row.mimetype_text,
        "size": row.size,
        "duplicate": row.is_duplicate,
        "metadata": dict(row.metadata),
        **_data_fields(row),
    }


def record_text(row: EventRow, indent: int | None = None) -> str:
    """:func:`json_record` as JSON text: one line, or ``indent`` spaces a level (Copy as JSON)."""
    return json_exact.dumps(json_record(row), indent=indent)


JSON_DATA_MIMETYPES = frozenset({"application/json", "application/ld+json"})
"""The mimetypes whose data a JSON record holds as a JSON document (when it is one)."""


def _data_fields(row: EventRow) -> dict[str, object]:
    """``data`` and ``data_encoding`` of a JSON record (see the module docstring)."""
    try:
        text = row.data.decode("utf-8")
    except UnicodeDecodeError:
        encoded = base64.b64encode(row.data).decode("ascii")
        return {"data": {"base64": encoded}, "data_encoding": "base64"}
    if row.mimetype_text in JSON_DATA_MIMETYPES:
        try:
            return {"data": json_exact.parse(text, constants=False), "data_encoding": "json"}
        except ValueError:  # not JSON proper, or too deep: its text says it exactly
            pass
    return {"data": text, "data_encoding": "utf-8"}


def csv_record(row: EventRow) -> tuple[list[str], dict[str, str], list[str]]:
    """One event as CSV values: those of :data:`CSV_COLUMNS`, its metadata, and the values of
    :data:`DATA_COLUMNS`."""
    try:
        data, encoding = row.data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        data, encoding = base64.b64encode(row.data).decode("ascii"), "base64"
    fixed = [
        str(row.offset),
        row.id.hex(),
        iso_utc(row.committed_ms),
        str(row.committed_ms),
        iso_utc(row.created_ms) if row.created_ms else "",
        str(row.created_ms) if row.created_ms else "",
        row.type_name,
        row.type_version,
        row.mimetype_text,
        str(row.size),
        "true" if row.is_duplicate else "false",
    ]
    return fixed, dict(row.metadata), [data, encoding]


class ExportWriter:
    """Writes rows to a temporary file; :meth:`close` renames it to ``path``.

    Use it as a context manager: leaving the block with an exception discards the file.
    """

    def __init__(self, path: Path | str, fmt: ExportFormat) -> None:
        """Start an export.

        Raises:
            OSError: if the target's directory cannot be written.
        """
        self.path = Path(path)
        self.format = fmt
        self.count = 0
        handle, temp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        self._temp = Path(temp)
        self._file: IO[str] | None = os.fdopen(handle, "w", encoding="utf-8", newline="")
        self._spool: IO[str] | None = None
        self._metadata_keys: set[str] = set()
        if fmt is ExportFormat.CSV:
            try:
                self._spool = tempfile.TemporaryFile(  # noqa: SIM115 (closed by finish or abort)
                    "w+", encoding="utf-8", newline="", dir=self.path.parent
                )
            except BaseException:
                self.abort()
                raise

    def write(self, rows: Iterable[EventRow]) -> None:
        """Append rows to the export.

        Raises:
            OSError: if writing fails.
            ValueError: if the export is already closed.
        """
        if self._file is None:
            raise ValueError(f"the export to {self.path} is closed")
        if self._spool is not None:
            for row in rows:
                fixed, metadata, data = csv_record(row)
                self._metadata_keys.update(metadata)
                self._spool.write(json.dumps([fixed, metadata, data], ensure_ascii=False) + "\n")
                self.count += 1
            return
        for row in rows:
            self._file.write(record_text(row) + "\n")
            self.count += 1

    def finish(self) -> Iterator[int]:
        """Complete the export step by step: the file appears at ``path`` at the end.

        A CSV export writes its rows now that its metadata columns are known, yielding the
        number written so far every :data:`PROGRESS_EVERY` rows (so a caller can let other
        work run); JSON Lines yields nothing.

        Raises:
            OSError: if the file cannot be completed (nothing is left behind then).
        """
        if self._file is None:
            return
        try:
            if self._spool is not None:
                yield from self._write_csv(self._file, self._spool)
            file, self._file = self._file, None
            file.flush()
            os.fsync(file.fileno())
            file.close()
            os.replace(self._temp, self.path)
            self._close_spool()
        except BaseException:
            self.abort()
            raise

    def _write_csv(self, file: IO[str], spool: IO[str]) -> Iterator[int]:
        keys = sorted(self._metadata_keys)
        writer = csv.writer(file)
        writer.writerow([*CSV_COLUMNS, *(METADATA_PREFIX + k for k in keys), *DATA_COLUMNS])
        spool.seek(0)
        for written, line in enumerate(spool, start=1):
            fixed, metadata, data = json.loads(line)
            writer.writerow([*fixed, *(metadata.get(k, "") for k in keys), *data])
            if written % PROGRESS_EVERY == 0:
                yield written

    def close(self) -> None:
        """Finish the export at once (see :meth:`finish`).

        Raises:
            OSError: if the file cannot be completed (nothing is left behind then).
        """
        for _ in self.finish():
            pass

    def abort(self) -> None:
        """Give up: delete what was written so far."""
        self._close_spool()
        if self._file is None:
            return
        file, self._file = self._file, None
        with contextlib.suppress(OSError):
            file.close()
        self._temp.unlink(missing_ok=True)

    def _close_spool(self) -> None:
        spool, self._spool = self._spool, None
        if spool is not None:
            with contextlib.suppress(OSError):
                spool.close()  # an unnamed file: closing it deletes it

    def __enter__(self) -> ExportWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()


async def export_events(
    source: AsyncIterator[EventRow],
    path: Path | str,
    fmt: ExportFormat,
    progress: Callable[[int], None],
    cancelled: Callable[[], bool],
) -> int:
    """Write every event ``source`` yields to ``path``; return how many were written.

    ``progress`` is called with the running count every :data:`PROGRESS_EVERY` rows and once at
    the end; the loop gets a turn at least that often, even when the source never waits.

    Raises:
        ExportCancelled: if ``cancelled()`` turned true (no file is written).
        asyncio.CancelledError: if the task was cancelled (no file is written).
        OSError: if the file cannot be written (no partial file is left).
    """
    batch: list[EventRow] = []
    try:
        with ExportWriter(path, fmt) as writer:
            async for row in source:
                batch.append(row)
                if len(batch) >= PROGRESS_EVERY:
                    writer.write(batch)
                    batch.clear()
                    progress(writer.count)
                    await asyncio.sleep(0)
                    if cancelled():
                        raise ExportCancelled(f"the export to {path} was cancelled")
            writer.write(batch)
            if cancelled():
                raise ExportCancelled(f"the export to {path} was cancelled")
            count = writer.count
            for _ in writer.finish():  # CSV: the rows, now that the metadata columns are known
                await asyncio.sleep(0)
                if cancelled():
                    raise ExportCancelled(f"the export to {path} was cancelled")
    finally:
        closer = getattr(source, "aclose", None)
        if closer is not None:
            await closer()
    progress(count)
    return count


async def iterate(rows: Iterable[EventRow]) -> AsyncIterator[EventRow]:
    """Rows already in memory as an async source for :func:`export_events`."""
    for row in rows:
        yield row


class EventReader(Protocol):
    """What :func:`topic_events` needs of a client (a ``StreamClient`` has it)."""

    async def read_events(
        self,
        topic_id: bytes,
        offset: int | None = None,
        after_ms: int | None = None,
        from_end: bool = False,
        limit: int = 200,
    ) -> EventPage: ...


async def topic_events(
    client: EventReader, topic_id: bytes, page_size: int = TOPIC_PAGE
) -> AsyncIterator[EventRow]:
    """Every event of a topic as it was when the first page came, read a page at a time."""
    offset, end = 1, None
    while True:
        page = await client.read_events(topic_id, offset=offset, limit=page_size)
        end = page.last_offset if end is None else end
        for row in page.events:
            if row.offset > end:
                return
            yield row
        if not page.events or page.next_offset > end:
            return
        offset = page.next_offset
