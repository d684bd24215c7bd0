"""Writing events to JSON Lines or CSV files, incrementally and all-or-nothing.

An export goes to a temporary file beside the target and is renamed into place only when it
completes, so a cancelled or failed export never leaves a partial file behind.

JSON Lines holds one :meth:`EventRow.to_json` object per line. CSV has the columns of
:data:`CSV_COLUMNS`: times in ISO-8601 UTC, metadata as a JSON object, and the data as UTF-8
text (``data_encoding`` ``utf-8``) or, when it is not valid UTF-8, as base64 (``base64``).
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
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import IO, Protocol

from workbench.client.records import EventPage, EventRow
from workbench.models.event_pages import utc_text

CSV_COLUMNS = (
    "offset",
    "id",
    "committed",
    "created",
    "type",
    "version",
    "mimetype",
    "size",
    "metadata",
    "data",
    "data_encoding",
)
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

    @classmethod
    def for_path(cls, path: Path | str) -> ExportFormat:
        """The format a file name suggests (JSON Lines unless it ends in ``.csv``)."""
        return cls.CSV if str(path).lower().endswith(".csv") else cls.JSONL


class ExportCancelled(Exception):
    """The export was cancelled; no file was written."""


def iso_utc(ms: int) -> str:
    """Milliseconds since the epoch as ISO-8601 UTC, e.g. ``2024-05-01T12:00:00.123Z``
    (any value: years beyond 9999 in the expanded form, ``+55800-…``)."""
    return utc_text(ms) + "Z"


def csv_record(row: EventRow) -> list[str]:
    """One event as the values of :data:`CSV_COLUMNS`."""
    try:
        data, encoding = row.data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        data, encoding = base64.b64encode(row.data).decode("ascii"), "base64"
    return [
        str(row.offset),
        row.id.hex(),
        iso_utc(row.committed_ms),
        iso_utc(row.created_ms) if row.created_ms else "",
        row.type_name,
        row.type_version,
        row.mimetype_text,
        str(row.size),
        json.dumps(row.metadata, ensure_ascii=False, sort_keys=True),
        data,
        encoding,
    ]


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
        self._csv = csv.writer(self._file) if fmt is ExportFormat.CSV else None
        if self._csv is not None:
            self._csv.writerow(CSV_COLUMNS)

    def write(self, rows: Iterable[EventRow]) -> None:
        """Append rows to the export.

        Raises:
            OSError: if writing fails.
            ValueError: if the export is already closed.
        """
        if self._file is None:
            raise ValueError(f"the export to {self.path} is closed")
        if self._csv is not None:
            for row in rows:
                self._csv.writerow(csv_record(row))
                self.count += 1
            return
        for row in rows:
            self._file.write(json.dumps(row.to_json(), ensure_ascii=False) + "\n")
            self.count += 1

    def close(self) -> None:
        """Finish the export: the file appears at ``path`` (replacing one that was there).

        Raises:
            OSError: if the file cannot be completed (nothing is left behind then).
        """
        if self._file is None:
            return
        file, self._file = self._file, None
        try:
            file.flush()
            os.fsync(file.fileno())
            file.close()
            os.replace(self._temp, self.path)
        except BaseException:
            file.close()
            self._temp.unlink(missing_ok=True)
            raise

    def abort(self) -> None:
        """Give up: delete what was written so far."""
        if self._file is None:
            return
        file, self._file = self._file, None
        with contextlib.suppress(OSError):
            file.close()
        self._temp.unlink(missing_ok=True)

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
    """What :func:`topic_events` needs of a client (``BrokerClient`` has it)."""

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
