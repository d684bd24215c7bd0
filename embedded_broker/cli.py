"""``ensign-broker``: run the broker headless and manage its data directory."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path

from change_capture import cli as capture_cli
from embedded_broker import __version__
from embedded_broker.auth.api_keys import ApiKey, KeyStore
from embedded_broker.auth.permissions import Permission
from embedded_broker.auth.projects import AUTH_DATABASE_FILE, ProjectDirectory
from embedded_broker.command_line import OneLineErrors, closed_output_quiet
from embedded_broker.config import default_data_dir, passphrase_from_env
from embedded_broker.core.dedup import DedupPolicy, DedupStrategy
from embedded_broker.core.errors import BrokerError
from embedded_broker.core.ids import now_ms, ulid_str
from embedded_broker.core.model import Topic
from embedded_broker.core.time_text import time_ago
from embedded_broker.crypto.master_key import MASTER_KEY_FILE
from embedded_broker.storage.backup import backup_data_dir, restore_data_dir
from embedded_broker.storage.event_store import EventStore
from embedded_broker.storage.group_offsets import GROUPS_DATABASE_FILE
from embedded_broker.storage.integrity import check_data_dir
from embedded_broker.storage.integrity import describe as describe_check


def _parser() -> OneLineErrors:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        type=Path,
        default=argparse.SUPPRESS,
        help="data directory (default: $ENSIGN_BROKER_DATA_DIR or the user data directory)",
    )
    top = OneLineErrors(
        prog="ensign-broker",
        description="The embedded Ensign-compatible broker.",
        parents=[common],
    )
    # Typed as the base class: its subcommands' parsers are OneLineErrors too (argparse makes
    # them of the parent's class), which the stubs cannot say.
    parser: argparse.ArgumentParser = top
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser(
        "serve", parents=[common], help="serve the Ensign gRPC API and the auth endpoint"
    )
    serve.add_argument("--listen", default=None, help="gRPC address (default 127.0.0.1:5356)")
    serve.add_argument(
        "--auth-listen", default=None, help="auth endpoint address (default 127.0.0.1:5357)"
    )
    serve.add_argument(
        "--tls",
        action="store_true",
        help="serve TLS on loopback too (always on for other addresses)",
    )
    serve.add_argument(
        "--free-port-if-taken",
        action="store_true",
        help="if a --listen or --auth-listen port is taken, listen on a free port instead",
    )
    serve.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING or ERROR")
    serve.add_argument(
        "--exit-with-parent",
        action="store_true",
        help="stop cleanly when the process that started this one goes away (for apps)",
    )

    commands.add_parser("init", parents=[common], help="create the data directory and master key")
    commands.add_parser(
        "check",
        parents=[common],
        help="verify every stored block (safe while the broker serves); exit 1 on damage",
    )
    backup = commands.add_parser(
        "backup",
        parents=[common],
        help="copy the data directory consistently while the broker serves (no master key)",
    )
    backup.add_argument("dest", type=Path, help="a new directory for the backup")
    restore = commands.add_parser(
        "restore", parents=[common], help="make a new data directory (--data-dir) from a backup"
    )
    restore.add_argument("source", type=Path, help="a directory made by 'backup'")
    restore.add_argument(
        "--master-key",
        type=Path,
        default=None,
        help="the master.key kept apart from the backup (not needed with a passphrase)",
    )

    projects = commands.add_parser("projects", parents=[common], help="list or create projects")
    project_commands = projects.add_subparsers(dest="action", required=True)
    project_commands.add_parser("list", parents=[common], help="list projects")
    create_project = project_commands.add_parser("create", parents=[common], help="create one")
    create_project.add_argument("name")

    _add_key_commands(commands, common)
    _add_topic_commands(commands, common)
    capture_cli.add_parser(commands)
    return top


def _add_key_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
) -> None:
    keys = commands.add_parser(
        "keys", parents=[common], help="create, list or revoke API keys (works while serving)"
    )
    key_commands = keys.add_subparsers(dest="action", required=True)
    create = key_commands.add_parser("create", parents=[common], help="create an API key")
    create.add_argument("--project", required=True, help="project name (created if needed)")
    create.add_argument(
        "--permission",
        action="append",
        required=True,
        choices=[p.value for p in Permission] + ["all"],
        help="a permission to grant (repeat it); 'all' grants every one",
    )
    create.add_argument("--name", default="", help="a label for the key")
    create.add_argument("--json", action="store_true", help="print JSON")
    listing = key_commands.add_parser("list", parents=[common], help="list keys (no secrets)")
    listing.add_argument("--project", default=None, help="only this project's keys")
    listing.add_argument("--json", action="store_true", help="print JSON")
    revoke = key_commands.add_parser("revoke", parents=[common], help="revoke a key at once")
    revoke.add_argument("client_id")
    revoke.add_argument("--json", action="store_true", help="print JSON")


def _add_topic_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
) -> None:
    topics = commands.add_parser(
        "topics", parents=[common], help="list, create, archive or destroy topics"
    )
    topic_commands = topics.add_subparsers(dest="action", required=True)
    for action, text in (
        ("list", "list a project's topics"),
        ("create", "create a topic"),
        ("info", "show a topic and its statistics"),
        ("archive", "make a topic read-only"),
        ("destroy", "destroy a topic and its data key (irreversible)"),
    ):
        sub = topic_commands.add_parser(action, parents=[common], help=text)
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 success, 1 failure, 2 usage error).

    A failure is one line on stderr, never a traceback: the broker's own errors, and a data
    directory that cannot be used (read-only, full, missing) as the OS or SQLite reports it.
    Output to a reader that went away (``ensign-broker topics list | head -1``) ends the command
    with status 1 and no traceback.
    """
    return closed_output_quiet(lambda: _main(argv))


def _main(argv: Sequence[str] | None) -> int:
    args = _parser().parse_command_line(argv)
    if args.command == "capture":  # a client of the broker, not a part of it
        status: int = args.run(args)
        return status
    data_dir = getattr(args, "data_dir", None) or default_data_dir()
    try:
        if args.command == "serve":
            return _serve(args, data_dir)
        if args.command == "keys":
            return _keys(args, data_dir)
        if args.command == "projects":
            return _projects(args, data_dir)
        if args.command in ("check", "backup", "restore"):
            return _operations(args, Path(data_dir))
        with EventStore.open(data_dir, passphrase=passphrase_from_env()) as store:
            if args.command == "init":
                print(f"data directory: {store.data_dir}")
                return 0
            return _topics(store, args)
    except BrokerError as exc:
        print(f"ensign-broker: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        raise  # the reader went away: closed_output_quiet ends the command quietly
    except OSError as exc:  # the data directory's lock or files (a read-only directory)
        where = exc.filename or data_dir
        print(f"ensign-broker: cannot use {where}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except sqlite3.Error as exc:
        print(f"ensign-broker: cannot use the data directory {data_dir}: {exc}", file=sys.stderr)
        return 1


def _serve(args: argparse.Namespace, data_dir: Path) -> int:
    from embedded_broker.api.listen_address import DEFAULT_AUTH, DEFAULT_GRPC, ListenAddress
    from embedded_broker.api.server import ServeOptions, serve

    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    options = ServeOptions(
        data_dir=data_dir,
        listen=ListenAddress.parse(args.listen or DEFAULT_GRPC),
        auth_listen=ListenAddress.parse(args.auth_listen or DEFAULT_AUTH),
        tls=args.tls,
        passphrase=passphrase_from_env(),
        exit_with_parent=args.exit_with_parent,
        free_port_if_taken=args.free_port_if_taken,
    )
    try:
        asyncio.run(serve(options))
    except OSError as exc:
        print(f"ensign-broker: cannot serve: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # a second Ctrl-C while stopping
        return 130
    return 0


def _operations(args: argparse.Namespace, data_dir: Path) -> int:
    if args.command == "check":
        report = check_data_dir(data_dir, passphrase_from_env())
        print(describe_check(report, data_dir))
        return 0 if report.intact else 1
    if args.command == "backup":
        manifest = backup_data_dir(data_dir, args.dest, [GROUPS_DATABASE_FILE, AUTH_DATABASE_FILE])
        size = sum(manifest.files.values())
        print(
            f"backed up {data_dir} into {args.dest}: {', '.join(manifest.files)} ({size:,} bytes)"
        )
        if manifest.master_key == "file":
            print(
                f"the master key is not in the backup: keep {data_dir / MASTER_KEY_FILE} apart "
                "from it; restore with --master-key"
            )
        else:
            print("the restored directory opens only with ENSIGN_BROKER_PASSPHRASE")
        return 0
    restore_data_dir(args.source, data_dir, args.master_key, passphrase_from_env())
    report = check_data_dir(data_dir, passphrase_from_env())
    print(f"restored {args.source} into {data_dir}")
    print(describe_check(report, data_dir))
    return 0 if report.intact else 1


def _keys(args: argparse.Namespace, data_dir: Path) -> int:
    projects = ProjectDirectory(data_dir)
    keys = KeyStore(data_dir)
    try:
        if args.action == "create":
            project = projects.ensure(args.project)
            chosen = args.permission
            granted = [p.value for p in Permission] if "all" in chosen else chosen
            key, secret = keys.create(project.id, granted, args.name)
            if args.json:
                print(
                    json.dumps(
                        {
                            "client_id": key.client_id,
                            "client_secret": secret,
                            "project_id": project.id_str,
                        }
                    )
                )
            else:
                print(f"ClientID:     {key.client_id}")
                print(f"ClientSecret: {secret}")
                print(f"Project:      {project.name} ({project.id_str})")
                print("The secret is shown only this once: store it now.")
            return 0
        if args.action == "list":
            project_id = projects.by_name(args.project).id if args.project else None
            names = {p.id: p.name for p in projects.list()}
            listed = keys.list(project_id)
            if args.json:
                print(json.dumps([k.to_json() for k in listed], indent=2))
            else:
                print(_key_table(listed, names, now_ms()))
            return 0
        revoked = keys.revoke(args.client_id)
        if args.json:
            print(json.dumps(revoked.to_json()))
        else:
            print(f"revoked {revoked.client_id}: its tokens stop working now")
        return 0
    finally:
        keys.close()
        projects.close()


KEY_COLUMNS = ("CLIENT ID", "NAME", "PROJECT", "STATUS", "CREATED", "LAST USED", "PERMISSIONS")


def _key_table(keys: list[ApiKey], project_names: dict[bytes, str], now: int) -> str:
    """Keys as an aligned table under a header line; times as ages ("3 min ago")."""
    rows = [KEY_COLUMNS] + [
        (
            key.client_id,
            key.name or "-",
            project_names.get(key.project_id, ulid_str(key.project_id)),
            "active" if key.active else "revoked",
            time_ago(key.created_ms, now),
            time_ago(key.last_used_ms, now),
            ",".join(sorted(key.permissions)),
        )
        for key in keys
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(KEY_COLUMNS) - 1)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
        + "  "
        + row[-1]
        for row in rows
    )


def _projects(args: argparse.Namespace, data_dir: Path) -> int:
    projects = ProjectDirectory(data_dir)
    try:
        if args.action == "create":
            project = projects.create(args.name)
            print(f"{project.id_str}  {project.name}")
        else:
            for project in projects.list():
                print(f"{project.id_str}  {project.name}")
        return 0
    finally:
        projects.close()


def _topics(store: EventStore, args: argparse.Namespace) -> int:
    with_projects = ProjectDirectory(store.data_dir)
    try:
        project = with_projects.by_name(args.project)
    finally:
        with_projects.close()
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
        if not args.yes and _typed_answer(topic.name) != topic.name:
            print(
                f"ensign-broker: topic {topic.name!r} not destroyed (the name was not typed; "
                "--yes destroys without asking)",
                file=sys.stderr,
            )
            return 1
        store.destroy_topic(topic.id)
        print(f"topic {topic.name!r} destroyed")
    return 0


def _typed_answer(name: str) -> str | None:
    """What the user typed to confirm destroying topic ``name``; None if standard input ended
    (``< /dev/null``, a script without ``--yes``) or the user pressed Ctrl-C: not a yes."""
    try:
        return input(f"Type the topic name to destroy {name!r} for good: ").strip()
    except (EOFError, KeyboardInterrupt):
        print()  # end the prompt's line (input() wrote it to standard output)
        return None


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
