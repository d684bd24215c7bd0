"""``ensign-workbench produce``: send test events from a script or CI, with no display.

One body source: ``--template FILE`` (rendered per event), ``--body TEXT`` (the same event each
time) or ``--file PATH.jsonl|.csv`` (an import, with ``--map-*`` flags). A count or a duration, a
rate and a shape pace the run (the event generator of the window). With no ``--endpoint`` the
command uses this user's running embedded broker and the workbench's own key; otherwise it logs
in with ``ENSIGN_CLIENT_ID``/``ENSIGN_CLIENT_SECRET`` or ``--cred-path`` (the names and file
pyensign reads).

Exit status: 0 when every event sent was acknowledged; 1 when any was refused or lost, or the
run failed part-way (a bad line in ``--file``); 2 for a usage or connection error. Each failure
says why in one line on stderr.

A run that loses its broker has sent events it never heard back about. The command asks the
broker again for a short while (it may be restarting) which of them it stored: those count as
acknowledged (``settled`` of them), the others as ``unstored``; only when it cannot tell are
they reported ``lost``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from workbench.app import scenario_commands
from workbench.app.command_connection import (
    UsageError,
    add_connection_arguments,
    connection_settings,
    fail,
    open_topic,
)
from workbench.client.broker_client import BrokerClient, encode_event
from workbench.client.broker_rules import mimetype_number, type_version_parts
from workbench.client.clients import AnySettings
from workbench.client.connection_settings import ConnectionSettings
from workbench.client.errors import ClientError, InvalidInput
from workbench.client.jetstream_client import JetStreamClient, SubjectPublisher
from workbench.client.jetstream_settings import subject_matches
from workbench.client.records import NewEvent
from workbench.client.stream_client import StreamClient
from workbench.models.embedded_connection import NotRunning
from workbench.models.event_generator import (
    EventGenerator,
    GeneratorSettings,
    GeneratorStats,
    Publisher,
    RunState,
)
from workbench.models.event_import import BadLine, FieldMapping, ImportSource, file_format
from workbench.models.event_templates import TemplateError, TemplateRenderer, load_template
from workbench.models.rate_shapes import RateShape, ShapeKind
from workbench.models.reconnect import backoff_s
from workbench.models.scenarios import ScenarioError
from workbench.models.template_source import Overrides, TemplateSource

PROGRESS_EVERY_S = 0.1
SETTLE_FOR_S = 15.0
"""How long a run that lost its broker keeps asking it which unanswered events it stored."""
JSON_MIMETYPES = frozenset({50, 51, 52})


def add_parser(commands: Any) -> None:
    """Add ``produce`` to ``ensign-workbench``'s subcommands."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "produce",
        help="send test events (no display needed)",
        description="Send test events from a script or CI, with no display. Exit status: 0 "
        "when every event was acknowledged, 1 when any was refused or lost, 2 for a usage or "
        "connection error.",
    )
    what = parser.add_argument_group("what to send")
    what.add_argument("--topic", help="topic name (not with --scenario)")
    body = what.add_mutually_exclusive_group(required=True)
    body.add_argument("--template", type=Path, metavar="FILE", help="a template (.json)")
    body.add_argument("--body", metavar="TEXT", help="the event's data, as text")
    body.add_argument("--file", type=Path, metavar="PATH", help="events from .jsonl or .csv")
    body.add_argument(
        "--scenario",
        metavar="NAME",
        help="a demo scenario, by name (see: ensign-workbench scenarios) or folder",
    )
    what.add_argument("--mimetype", help="e.g. application/json (default: text/plain for --body)")
    what.add_argument("--type", metavar="NAME:1.2.3", help="event type and version")
    what.add_argument(
        "--meta", action="append", default=[], metavar="KEY=VALUE", help="metadata (repeatable)"
    )
    what.add_argument("--create-topic", action="store_true", help="create the topic if missing")
    what.add_argument(
        "--subject", help="with --nats: publish to this subject of the stream (default: its own)"
    )
    what.add_argument(
        "--replicas",
        type=int,
        choices=range(1, 6),
        default=1,
        metavar="N",
        help="with --nats --create-topic: copies of the stream (1-5, default 1)",
    )
    what.add_argument("--seed", type=int, help="make a template's values reproducible")

    mapping = parser.add_argument_group("--file mapping")
    mapping.add_argument("--map-data", metavar="FIELD", help="the data field (default: the record)")
    mapping.add_argument("--map-meta", action="append", default=[], metavar="FIELD")
    mapping.add_argument("--map-type", metavar="FIELD", help="type name (Name or Name:1.2.3)")
    mapping.add_argument("--map-mimetype", metavar="FIELD")
    mapping.add_argument("--map-created", metavar="FIELD", help="RFC 3339 or epoch ms")
    mapping.add_argument("--skip-bad-lines", action="store_true", help="skip and count bad lines")

    pace = parser.add_argument_group("how many, how fast")
    pace.add_argument(
        "--count", type=_count, metavar="N", help="events to send (default: 1; a --file: all)"
    )
    pace.add_argument("--duration", type=_seconds, metavar="SECONDS", help="send for this long")
    pace.add_argument(
        "--rate", type=_rate, default=0.0, metavar="EVENTS_PER_S", help="0: as fast as acked"
    )
    pace.add_argument("--shape", choices=[k.value for k in ShapeKind], default="constant")
    pace.add_argument("--to-rate", type=_rate, default=0.0, help="a ramp's final rate")
    pace.add_argument(
        "--period", type=_seconds, default=1.0, help="ramp length, burst or sine period"
    )
    pace.add_argument("--amplitude", type=_rate, default=0.0, help="a sine's amplitude")
    pace.add_argument("--burst", type=_count, default=0, metavar="N", help="events per burst")
    pace.add_argument("--stop-on-nack", action="store_true", help="stop at the first refusal")
    pace.add_argument("--json", action="store_true", help="print one JSON summary on stdout")

    add_connection_arguments(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run ``produce`` with parsed arguments; return the exit status."""
    if args.scenario is not None:
        return _run_scenario(args)
    if not args.topic:
        return fail("produce", "--topic NAME is required (except with --scenario)", 2)
    if (args.subject or args.replicas != 1) and not args.nats:
        return fail("produce", "--subject and --replicas need --nats (a JetStream cluster)", 2)
    try:
        settings = connection_settings(args)
        source, count = _source(args)
        shape = _shape(args)
    except (UsageError, InvalidInput, NotRunning, ClientError) as exc:
        return fail("produce", str(exc), 2)
    try:
        return asyncio.run(_produce(args, settings, source, count, shape))
    except UsageError as exc:
        return fail("produce", str(exc), 2)
    except KeyboardInterrupt:
        return fail("produce", "interrupted", 1)


async def _produce(
    args: argparse.Namespace,
    settings: AnySettings,
    source: Callable[[int], list[bytes]],
    count: int | None,
    shape: RateShape,
) -> int:
    client, topic_id = await open_topic(
        settings, args.topic, bool(args.create_topic), args.replicas
    )
    publisher: Publisher = client
    try:
        if args.subject:
            publisher = await _subject_publisher(client, topic_id, args.subject)
        generator = EventGenerator(
            publisher,
            source,
            GeneratorSettings(
                topic_id, count, args.duration, shape, stop_on_nack=args.stop_on_nack
            ),
        )
        with _stop_on_interrupt(generator):
            stats = await _with_progress(generator, show=not args.json and sys.stderr.isatty())
    finally:
        await client.close()
    if generator.unsettled:
        stats = await _settle(generator, settings, _rediscover(args))
    skipped = getattr(source, "skipped", [])
    _report(args, stats, skipped, sys.stdout)
    if stats.failure:
        print(f"ensign-workbench produce: {stats.failure}", file=sys.stderr)
    elif stats.state is RunState.STOPPED:
        print("ensign-workbench produce: interrupted (the counts are final)", file=sys.stderr)
    ok = stats.state is RunState.DONE and not stats.nacked and not stats.lost
    return 0 if ok else 1


@contextmanager
def _stop_on_interrupt(generator: EventGenerator) -> Iterator[None]:
    """Ctrl-C (SIGINT) stops ``generator`` as its Stop button does: nothing more is sent, the
    events in flight are answered and counted, and the summary is printed. A second Ctrl-C
    interrupts at once (Python's default)."""
    loop = asyncio.get_running_loop()

    def interrupted() -> None:
        generator.stop()
        loop.remove_signal_handler(signal.SIGINT)  # the next one is KeyboardInterrupt

    try:
        loop.add_signal_handler(signal.SIGINT, interrupted)
    except (NotImplementedError, RuntimeError):  # no signal handlers here (Windows, a thread)
        yield
        return
    try:
        yield
    finally:
        loop.remove_signal_handler(signal.SIGINT)


def _rediscover(args: argparse.Namespace) -> Callable[[], AnySettings] | None:
    """How to find the embedded broker again when no address was given: the workbench that
    runs it restarts it after a crash, on other ports when its own are taken (``serve.json``
    says where). None when ``--endpoint`` or ``--nats`` named the broker."""
    if args.endpoint or getattr(args, "nats", None):
        return None
    return lambda: connection_settings(args)


async def _settle(
    generator: EventGenerator,
    settings: AnySettings,
    rediscover: Callable[[], AnySettings] | None = None,
) -> GeneratorStats:
    """Ask the broker, on a new connection, which unanswered events it stored; try again with
    the reconnection backoff for up to ``SETTLE_FOR_S`` seconds (it may be restarting, and with
    ``rediscover``, be found again on new ports).

    On JetStream there is nothing to ask: each event carries a ``Nats-Msg-Id``, and the
    generator's own retries are stored once; what stayed unanswered is reported as lost.
    """
    if not isinstance(settings, ConnectionSettings):
        return generator.stats()
    attempt, waited = 0, 0.0
    while True:
        if rediscover is not None and attempt:
            try:
                found = await asyncio.to_thread(rediscover)
            except (UsageError, NotRunning, ClientError):
                found = settings  # not back yet: keep trying where it was
            if isinstance(found, ConnectionSettings):
                settings = found
        client = BrokerClient(settings)
        try:
            await client.login()
            return await generator.settle(client)
        except ClientError:
            attempt += 1
            delay = backoff_s(attempt)
            if waited + delay > SETTLE_FOR_S:
                return generator.stats()
        finally:
            await client.close()
        waited += delay
        await asyncio.sleep(delay)


async def _subject_publisher(client: StreamClient, topic_id: bytes, subject: str) -> Publisher:
    """A publisher to ``subject`` of the stream.

    Raises:
        UsageError: if the stream does not take the subject.
    """
    if not isinstance(client, JetStreamClient):
        raise UsageError("--subject needs --nats (a JetStream cluster)")
    subjects = await client.stream_subjects(topic_id)
    if not any(subject_matches(pattern, subject) for pattern in subjects):
        raise UsageError(
            f"stream {_stream_name(topic_id)} does not take subject {subject!r}; "
            f"its subjects: {', '.join(subjects)}"
        )
    return SubjectPublisher(client, subject)


def _stream_name(topic_id: bytes) -> str:
    """A stream's name from its topic id."""
    return topic_id.decode("utf-8", "replace")


def _run_scenario(args: argparse.Namespace) -> int:
    try:
        scenario = scenario_commands.scenario_for(args.scenario)
    except ScenarioError as exc:
        return fail("produce", str(exc), 2)
    given = [
        option
        for option, present in (
            ("--topic", bool(args.topic)),
            ("--count", args.count is not None),
            ("--rate", bool(args.rate)),
            ("--shape", args.shape != "constant"),
        )
        if present
    ]
    if given:
        dropped = ", ".join(given)
        return fail("produce", f"--scenario sets its own topics and rates: drop {dropped}", 2)
    if args.duration is None:
        return fail("produce", "--scenario needs --duration SECONDS", 2)
    try:
        settings = connection_settings(args)
    except (UsageError, ScenarioError, NotRunning, ClientError) as exc:
        return fail("produce", str(exc), 2)
    try:
        stats, topics = asyncio.run(scenario_commands.run_scenario(args, settings, scenario))
    except (ClientError, TemplateError) as exc:
        return fail("produce", f"cannot run {scenario.name}: {exc}", 2)
    except KeyboardInterrupt:
        return fail("produce", "interrupted", 1)
    _report(args, stats, [], sys.stdout, {"scenario": scenario.name, "topics": topics})
    if stats.failure:
        print(f"ensign-workbench produce: {stats.failure}", file=sys.stderr)
    return 0 if scenario_commands.succeeded(stats) else 1


async def _with_progress(generator: EventGenerator, show: bool) -> GeneratorStats:
    if not show:
        return await generator.run()
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

    target = generator.settings.count
    columns = [
        TextColumn("[bold]producing"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[line]}"),
    ]
    with Progress(*columns, transient=True, console=Console(stderr=True)) as progress:
        task = progress.add_task("produce", total=target, line="")
        run = asyncio.ensure_future(generator.run())
        while not run.done():
            stats = generator.stats()
            line = (
                f"{stats.acked:,} acked, {stats.nacked:,} nacked, "
                f"{stats.events_per_s:,.0f}/s, {stats.elapsed_s:.1f} s"
            )
            progress.update(task, completed=stats.answered, line=line)
            await asyncio.wait({run}, timeout=PROGRESS_EVERY_S)
        return run.result()


def _report(
    args: argparse.Namespace,
    stats: GeneratorStats,
    skipped: list[BadLine],
    out: TextIO,
    extra: dict[str, Any] | None = None,
) -> None:
    errors = [{"code": r.code, "reason": r.reason, "events": r.events} for r in stats.refusals]
    if args.json:
        summary = {
            "sent": stats.sent,
            "acked": stats.acked,
            "nacked": stats.nacked,
            "lost": stats.lost,
            "unstored": stats.unstored,
            "settled": stats.settled,
            "seconds": round(stats.elapsed_s, 3),
            "events_per_s": round(stats.events_per_s, 1),
            "first_errors": errors,
            "state": stats.state.value,
            "skipped_lines": [{"line": b.line, "reason": b.reason} for b in skipped],
        }
        if stats.failure:
            summary["failure"] = stats.failure
        summary.update(extra or {})
        print(json.dumps(summary), file=out)
        return
    line = (
        f"sent {stats.sent:,}, acked {stats.acked:,}, nacked {stats.nacked:,} in "
        f"{stats.elapsed_s:.2f} s ({stats.events_per_s:,.0f} events/s)"
    )
    if stats.settled:
        line += f" ({stats.settled:,} of the acked found stored after the broker answered again)"
    if stats.unstored:
        line += f", not stored {stats.unstored:,}"
    if stats.lost:
        line += f", lost {stats.lost:,}"
    if skipped:
        line += f", skipped {len(skipped):,} bad line{'' if len(skipped) == 1 else 's'}"
    if errors:
        first = errors[0]
        line += f"; first refusal: {first['code']}: {first['reason']}"
    print(line, file=out)


# -- what to send -----------------------------------------------------------------------------


def _source(args: argparse.Namespace) -> tuple[Callable[[int], list[bytes]], int | None]:
    """The events to send, and how many (None: until the source or the duration ends)."""
    count = args.count
    if args.file is not None:
        if not args.file.is_file():
            what = "a folder, not a file" if args.file.is_dir() else "no such file"
            raise UsageError(f"--file {args.file}: {what}")
        file_format(args.file)
        if args.mimetype:
            mimetype_number(args.mimetype)
        mapping = FieldMapping(
            data=args.map_data,
            metadata=tuple(args.map_meta),
            type_field=args.map_type,
            mimetype_field=args.map_mimetype,
            created_field=args.map_created,
            mimetype=args.mimetype or "application/json",
            type_name=_type(args.type, "Imported")[0],
            type_version=_type(args.type)[1],
        )
        return ImportSource(args.file, mapping, skip_bad=args.skip_bad_lines), count
    if count is None and args.duration is None:
        count = 1
    metadata = _metadata(args.meta)
    if args.template is not None:
        return _template_source(args, metadata), count
    mimetype = mimetype_number(args.mimetype or "text/plain")
    data = _utf8("--body", args.body).encode("utf-8")
    if mimetype in JSON_MIMETYPES:
        try:
            json.loads(data)
        except ValueError as exc:
            raise UsageError(f"--body is not valid JSON for {args.mimetype}: {exc}") from None
    type_name, type_version = _type(args.type)
    encoded = encode_event(NewEvent(data, mimetype, type_name, type_version, metadata))
    return (lambda n: [encoded] * n), count


def _template_source(
    args: argparse.Namespace, metadata: dict[str, str]
) -> Callable[[int], list[bytes]]:
    try:
        template = load_template(args.template)
        if args.seed is not None:
            template = replace(template, seed=args.seed)
        renderer = TemplateRenderer(template)
    except OSError as exc:
        raise UsageError(f"cannot read --template {args.template}: {exc.strerror}") from None
    except TemplateError as exc:
        raise UsageError(f"--template: {exc}") from None
    if args.mimetype:
        mimetype_number(args.mimetype)
    type_name, type_version = _type(args.type) if args.type else (None, None)
    overrides = Overrides(args.mimetype, type_name, type_version, metadata)
    return TemplateSource(renderer, overrides)


def _metadata(pairs: Sequence[str]) -> dict[str, str]:
    metadata = {}
    for pair in pairs:
        key, equals, value = pair.partition("=")
        if not equals or not key:
            raise UsageError(f"--meta {pair!r}: write KEY=VALUE")
        if key in metadata:
            raise UsageError(f"--meta {key!r} is given twice; a metadata key holds one value")
        metadata[_utf8("--meta", key)] = _utf8("--meta", value)
    return metadata


def _utf8(option: str, text: str) -> str:
    """``text`` if it is UTF-8 text; raises UsageError naming ``option`` if the command line
    held bytes that are not (Python passes each such byte on as a lone surrogate, PEP 383)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError(f"{option} {text!r} holds bytes that are not UTF-8 text") from None
    return text


def _type(text: str | None, default: str = "Generic") -> tuple[str, str]:
    """``--type``'s (name, version): ``Name`` or ``Name:1.2.3`` (version 1.0.0 by default)."""
    if text is None:
        return default, "1.0.0"
    name, colon, version = _utf8("--type", text).partition(":")
    try:
        parts = type_version_parts(version) if colon else (1, 0, 0)
    except InvalidInput as exc:
        raise UsageError(f"--type {text!r}: write Name or Name:1.2.3 ({exc})") from None
    if not name:
        raise UsageError(f"--type {text!r}: write Name or Name:1.2.3")
    return name, ".".join(map(str, parts))


def _shape(args: argparse.Namespace) -> RateShape:
    kind = ShapeKind(args.shape)
    try:
        return RateShape(
            kind,
            rate=args.rate,
            to_rate=args.to_rate,
            period_s=args.period,
            amplitude=args.amplitude,
            burst=args.burst,
        )
    except ValueError as exc:
        raise UsageError(f"--shape {kind}: {exc}") from None


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError("must be a number of seconds above 0")
    return value


def _rate(text: str) -> float:
    value = float(text)
    if not (value >= 0 and math.isfinite(value)):  # NaN fails both comparisons
        raise argparse.ArgumentTypeError("must be a number, 0 or more")
    return value
