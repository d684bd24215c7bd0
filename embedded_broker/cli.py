"""``ensign-broker``: manage the broker's data directory from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from embedded_broker import __version__
from embedded_broker.config import default_data_dir, passphrase_from_env
from embedded_broker.core.dedup import DedupPolicy, DedupStrategy
from embedded_broker.core.errors import BrokerError
from embedded_broker.core.model import Topic
from embedded_broker.storage.event_store import EventStore


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ensign-broker", description="The embedded Ensign-compatible broker."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="data directory (default: $ENSIGN_BROKER_DATA_DIR or the user data directory)",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("init", help="create the data directory and its master key")

    projects = commands.add_parser("projects", help="list or create projects")
    project_commands = projects.add_subparsers(dest="action", required=True)
    project_commands.add_parser("list", help="list projects")
    create_project = project_commands.add_parser("create", help="create a project")
    create_project.add_argument("name")

    topics = commands.add_parser("topics", help="list, create, archive or destroy topics")
    topic_commands = topics.add_subparsers(dest="action", required=True)
    for action, text in (
        ("list", "list a project's topics"),
        ("create", "create a topic"),
        ("info", "show a topic and its statistics"),
        ("archive", "make a topic read-only"),
        ("destroy", "destroy a topic and its data key (irreversible)"),
    ):
        sub = topic_commands.add_parser(action, help=text)
        sub.add_argument("--project", required=True, help="project name")
        if action != "list":
            sub.add_argument("topic", help="topic name")
        if action == "create":
            sub.add_argument(
                "--dedup",
                choices=[s.name for s in DedupStrategy],
                default="NONE",
                help="deduplication policy",
            )
            sub.add_argument("--key", action="append", default=[], help="metadata key (dedup)")
            sub.add_argument("--field", action="append", default=[], help="JSON field (dedup)")
        if action == "destroy":
            sub.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = _parser().parse_args(argv)
    data_dir = args.data_dir or default_data_dir()
    try:
        with EventStore.open(data_dir, passphrase=passphrase_from_env()) as store:
            return _run(store, args)
    except BrokerError as exc:
        print(f"ensign-broker: {exc}", file=sys.stderr)
        return 1


def _run(store: EventStore, args: argparse.Namespace) -> int:
    if args.command == "init":
        print(f"data directory: {store.data_dir}")
        return 0
    if args.command == "projects":
        if args.action == "create":
            project = store.create_project(args.name)
            print(f"{project.id_str}  {project.name}")
        else:
            for project in store.projects():
                print(f"{project.id_str}  {project.name}")
        return 0
    project = store.project_by_name(args.project)
    if args.action == "list":
        for topic in store.topics(project.id):
            stats = topic.stats
            print(
                f"{topic.id_str}  {topic.name:<32} {topic.state.value:<9} {stats.events:>10} events"
            )
        return 0
    if args.action == "create":
        policy = DedupPolicy(DedupStrategy[args.dedup], keys=args.key, fields=args.field)
        topic = store.create_topic(project.id, args.topic, policy)
        print(f"{topic.id_str}  {topic.name}")
        return 0
    topic = store.topic_by_name(project.id, args.topic)
    if args.action == "info":
        print(json.dumps(_describe(topic), indent=2))
    elif args.action == "archive":
        store.archive_topic(topic.id)
        print(f"topic {topic.name!r} is now read-only")
    else:
        if not args.yes:
            answer = input(f"Type the topic name to destroy {topic.name!r} for good: ")
            if answer.strip() != topic.name:
                print("not destroyed", file=sys.stderr)
                return 1
        store.destroy_topic(topic.id)
        print(f"topic {topic.name!r} destroyed")
    return 0


def _describe(topic: Topic) -> dict[str, object]:
    stats = topic.stats
    return {
        "id": topic.id_str,
        "name": topic.name,
        "state": topic.state.value,
        "deduplication": json.loads(topic.dedup.to_json()),
        "events": stats.events,
        "bytes": stats.bytes,
        "duplicates": stats.duplicates,
        "first_offset": stats.first_offset,
        "last_offset": stats.last_offset,
        "first_ms": stats.first_ms,
        "last_ms": stats.last_ms,
        "types": [
            {"name": n, "version": f"{ma}.{mi}.{pa}", "events": count}
            for (n, ma, mi, pa), count in sorted(stats.types.items())
        ],
    }


if __name__ == "__main__":
    sys.exit(main())
