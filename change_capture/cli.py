"""``ensign-broker capture postgres|sqlite``: capture a database's committed changes into topics.

Logs one line when it is capturing, then its position and lag every ``--status-interval``
seconds (with ``--json``, each report is also a JSON object on stdout), and stops cleanly on
SIGTERM or Ctrl-C: what was read is published and confirmed first.

Exit status: 0 after a clean stop; 1 when the capture fails while running (the broker refuses
its events for good); 2 for a usage, connection or set-up problem. Each failure is one line on
stderr that says why.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from change_capture.broker_link import BrokerError, BrokerLink
from change_capture.capture_loop import (
    CaptureFailed,
    CaptureLoop,
    CaptureStatus,
    SetupError,
    Source,
)
from change_capture.change_events import Change
from change_capture.connection import UsageError, add_connection_arguments, broker_address
from embedded_broker.command_line import OneLineErrors

PROG = "ensign-broker capture"
DEFAULT_SLOT = "ensign_capture"
PARENT_CHECK_S = 1.0
SLOT_NAME = re.compile(r"^[a-z0-9_]{1,63}$")
log = logging.getLogger("change_capture")


def add_parser(commands: Any, parents: Sequence[argparse.ArgumentParser] = ()) -> None:
    """Add ``capture`` (with ``postgres`` and ``sqlite``) to ``ensign-broker``'s commands."""
    capture: argparse.ArgumentParser = commands.add_parser(
        "capture",
        help="capture a database's committed changes into topics (change data capture)",
        description="Publish every committed row change of a database's tables as a "
        "ChangeEvent, in commit order, exactly once.",
    )
    sources = capture.add_subparsers(
        dest="source", required=True, metavar="SOURCE", parser_class=OneLineErrors
    )
    postgres = sources.add_parser(
        "postgres",
        help="PostgreSQL, through a logical replication slot (pgoutput)",
        description="Capture PostgreSQL tables through a logical replication slot. The server "
        "needs wal_level = logical, the user REPLICATION, each table a primary key or a "
        "replica identity.",
    )
    postgres.add_argument("--dsn", required=True, help="libpq connection string or URI")
    postgres.add_argument(
        "--table",
        action="append",
        required=True,
        metavar="SCHEMA.TABLE",
        help="a table to capture (repeat it)",
    )
    postgres.add_argument(
        "--slot",
        default=DEFAULT_SLOT,
        help=f"replication slot and publication (default {DEFAULT_SLOT})",
    )
    postgres.add_argument(
        "--snapshot",
        action="store_true",
        help="start a new slot with the tables' existing rows (op 'read')",
    )
    sqlite = sources.add_parser(
        "sqlite",
        help="a SQLite file, through triggers that log changes",
        description="Capture SQLite tables: triggers log each change in the file's "
        "_ensign_changes table, which the capture drains into topics.",
    )
    sqlite.add_argument("--path", required=True, type=Path, help="the SQLite database file")
    sqlite.add_argument(
        "--table", action="append", required=True, metavar="NAME", help="a table (repeat it)"
    )
    for parser in (postgres, sqlite):
        parser.add_argument(
            "--topic",
            help="send every table's changes to this topic (default: one per table, "
            "named SCHEMA.TABLE)",
        )
        parser.add_argument(
            "--status-interval",
            type=float,
            default=10.0,
            metavar="SECONDS",
            help="seconds between status reports (default 10)",
        )
        parser.add_argument("--json", action="store_true", help="also print each report as JSON")
        parser.add_argument(
            "--exit-with-parent",
            action="store_true",
            help="stop cleanly when the process that started this one goes away (for apps)",
        )
        add_connection_arguments(parser)
        parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run ``ensign-broker capture`` as parsed; return the exit status."""
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s capture: %(message)s",
        stream=sys.stderr,
    )
    stop = threading.Event()
    _stop_on_signals(stop.set)
    if args.exit_with_parent:
        _stop_with_parent(stop)
    try:
        address = broker_address(args)
        source, tables = _source(args)
    except UsageError as exc:
        return _fail(str(exc), 2)
    try:
        source.open()
    except SetupError as exc:
        return _fail(str(exc), 2)
    link = BrokerLink(address)
    try:
        topics = {name: _topic(link, name) for name in _topic_names(args, tables)}
    except BrokerError as exc:
        source.close()
        link.close()
        return _fail(f"cannot use the broker at {address.grpc_address}: {exc}", 2)
    report = _reporter(args.json)
    loop = CaptureLoop(
        source, link, topics, _router(args.topic, tables), report, args.status_interval
    )
    log.info(
        "capturing %s into %s from %s (broker %s)",
        ", ".join(tables),
        ", ".join(topics),
        source.describe(),
        address.grpc_address,
    )
    report(loop.status())
    try:
        loop.run(stop)
    except CaptureFailed as exc:
        return _fail(str(exc), 1)
    finally:
        source.close()
        link.close()
    return 0


def _source(args: argparse.Namespace) -> tuple[Source, list[str]]:
    if args.source == "postgres":
        from change_capture.postgres_source import PostgresSource, TableName

        if not SLOT_NAME.match(args.slot):
            raise UsageError(
                "--slot may hold only lower-case letters, digits and underscores (at most 63)"
            )
        try:
            names = [TableName.parse(t) for t in args.table]
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        unique = list(dict.fromkeys(names))
        return PostgresSource(args.dsn, unique, args.slot, args.snapshot), [str(t) for t in unique]
    from change_capture.sqlite_source import SqliteSource

    tables = list(dict.fromkeys(args.table))
    return SqliteSource(args.path, tables), [f"main.{t}" for t in tables]


def _topic_names(args: argparse.Namespace, tables: list[str]) -> list[str]:
    return [args.topic] if args.topic else tables


def _router(topic: str | None, tables: list[str]) -> Callable[[Change], str | None]:
    wanted = set(tables)

    def route(change: Change) -> str | None:
        name = change.qualified_table
        if name not in wanted:
            return None
        return topic or name

    return route


def _topic(link: BrokerLink, name: str) -> bytes:
    topic_id, done = link.ensure_topic(name)
    if done == "created":
        log.info("created topic %s (deduplicated on the change key)", name)
    elif done:
        log.info("topic %s: deduplication set to UNIQUE_KEY on lsn and position", name)
    return topic_id


def _reporter(as_json: bool) -> Callable[[CaptureStatus], None]:
    def report(status: CaptureStatus) -> None:
        log.info("%s", status.line())
        if as_json:
            print(json.dumps(status.to_json()), flush=True)

    return report


def _stop_on_signals(stop: Callable[[], None]) -> None:
    def handler(signum: int, _frame: FrameType | None) -> None:
        log.info("stopping (%s)", signal.Signals(signum).name)
        stop()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def _stop_with_parent(stop: threading.Event) -> None:
    """Set ``stop`` when the parent process goes away (this process is then re-parented)."""
    parent = os.getppid()

    def watch() -> None:
        while not stop.wait(PARENT_CHECK_S):
            if os.getppid() != parent:
                log.info("stopping: the program that started this capture has gone")
                stop.set()

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _fail(reason: str, status: int) -> int:
    print(f"{PROG}: {reason}", file=sys.stderr)
    return status
