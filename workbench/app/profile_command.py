"""``ensign-workbench profile``: a topic's inferred JSON structure and its drift, with no display.

Reads the topic's last ``--limit`` events, or the whole topic as it was when the command
started, into a :class:`~workbench.models.topic_profile.TopicProfiler`; prints a table of field
paths and the drift found, or with ``--json`` one object: ``{"topic", "events", "objects",
"not_json", "not_object", "first_offset", "last_offset", "fields": [{"path", "types",
"missing", "min", "max", "mean", …}], "drift": [{"path", "change", "offset", "from", "to"}]}``.
The connection flags are ``produce``'s (:mod:`~workbench.app.command_connection`).

Exit status: 0 when the topic was read; 1 when a read failed part-way or was interrupted; 2 for
a usage or connection error (no such topic included). Each failure says why in one line on
stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TextIO

from workbench.app.command_connection import (
    UsageError,
    add_connection_arguments,
    connection_settings,
    fail,
    open_topic,
)
from workbench.client.clients import AnySettings
from workbench.client.errors import ClientError
from workbench.models.embedded_connection import NotRunning
from workbench.models.profile_reading import Progress, read_topic
from workbench.models.profile_text import drift_text, number_text, percent, top_text, types_text
from workbench.models.topic_profile import ProfileSnapshot, TopicProfiler

COLUMNS = ("PATH", "TYPES", "MISSING", "NULL", "MIN", "MAX", "MEAN", "TOP VALUES")


def add_parser(commands: Any) -> None:
    """Add ``profile`` to ``ensign-workbench``'s subcommands."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "profile",
        help="a topic's JSON fields, their types and figures, and drift (no display needed)",
        description="Profile a topic's JSON events: each field path with its types, missing and "
        "null shares, number ranges and frequent strings, and the fields that appeared, "
        "disappeared or changed type. Exit status: 0 when the topic was read, 1 when reading "
        "failed part-way, 2 for a usage or connection error.",
    )
    parser.add_argument("--topic", required=True, help="topic name")
    parser.add_argument(
        "--limit", type=_positive, metavar="N", help="profile the last N events (default: all)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    add_connection_arguments(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run ``profile`` with parsed arguments; return the exit status."""
    try:
        settings = connection_settings(args)
        return asyncio.run(_profile(args, settings))
    except (UsageError, NotRunning) as exc:
        return fail("profile", str(exc), 2)
    except ClientError as exc:
        return fail("profile", f"reading {args.topic!r} failed: {exc}", 1)
    except KeyboardInterrupt:
        return fail("profile", "interrupted", 1)


async def _profile(args: argparse.Namespace, settings: AnySettings) -> int:
    client, topic_id = await open_topic(settings, args.topic)
    profiler = TopicProfiler()
    try:
        show = not args.json and sys.stderr.isatty()
        await _with_progress(
            lambda progress: read_topic(client, topic_id, profiler, args.limit, progress), show
        )
    finally:
        await client.close()
    snapshot = profiler.snapshot()
    if args.json:
        print(json.dumps({"topic": args.topic, **snapshot.to_json()}, ensure_ascii=False))
    else:
        _print_table(args.topic, snapshot, sys.stdout)
    return 0


async def _with_progress(read: Callable[[Progress | None], Awaitable[int]], show: bool) -> None:
    """Run ``read(progress)``, with a progress bar on stderr when ``show``."""
    if not show:
        await read(None)
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(
        TextColumn("[bold]profiling"),
        BarColumn(),
        MofNCompleteColumn(),
        transient=True,
        console=Console(stderr=True),
    ) as bar:
        task = bar.add_task("profile", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        await read(update)


def _print_table(topic: str, snap: ProfileSnapshot, out: TextIO) -> None:
    skipped = [
        f"{count:,} {what}"
        for count, what in (
            (snap.not_json, "not JSON"),
            (snap.not_object, "not an object"),
            (snap.duplicates, "stored duplicates left out"),
        )
        if count
    ]
    span = f", offsets {snap.first_offset:,} to {snap.last_offset:,}" if snap.events else ""
    print(
        f"{topic}: {snap.events:,} events read, {snap.objects:,} JSON objects"
        + (f" ({', '.join(skipped)})" if skipped else "")
        + span,
        file=out,
    )
    if snap.untracked_values:
        print(f"{snap.untracked_values:,} values at paths beyond the first 1,000", file=out)
    rows = [COLUMNS] + [
        (
            f.path,
            types_text(f),
            percent(f.missing, snap.objects),
            percent(f.nulls, f.values),
            number_text(f.minimum),
            number_text(f.maximum),
            number_text(f.mean),
            top_text(f),
        )
        for f in snap.fields
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    print(file=out)
    for row in rows:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        print("  ".join(cells).rstrip(), file=out)
    print(file=out)
    if not snap.drift:
        print("No drift.", file=out)
        return
    print("Drift:", file=out)
    for drift in snap.drift:
        print(f"  {drift_text(drift)}", file=out)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value
