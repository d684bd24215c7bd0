"""A change data capture the workbench runs: what to capture, its command line, its reports.

The workbench runs ``ensign-broker capture`` as a child process (``python -m embedded_broker
capture …``) against the broker it is connected to, with the session's key in the child's
environment (``ENSIGN_CLIENT_ID``/``ENSIGN_CLIENT_SECRET``, never on the command line), and
reads the status objects the capture prints with ``--json`` once a second.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from workbench.client.connection_settings import ConnectionSettings

POSTGRES = "postgres"
SQLITE = "sqlite"
DEFAULT_SLOT = "ensign_capture"
STATUS_INTERVAL_S = 1.0
_SLOT = re.compile(r"^[a-z0-9_]{1,63}$")


def parse_tables(text: str) -> tuple[str, ...]:
    """Table names written one per line or separated by commas or spaces, each once."""
    return tuple(dict.fromkeys(t for t in re.split(r"[\s,]+", text) if t))


@dataclass(frozen=True, slots=True)
class CaptureSpec:
    """What to capture, and where to.

    Attributes:
        source: :data:`POSTGRES` or :data:`SQLITE`.
        location: a libpq DSN (PostgreSQL) or a file path (SQLite).
        tables: ``schema.table`` names (PostgreSQL; ``public`` if no schema) or table names.
        topic: one topic for every table; "" for a topic per table, named ``schema.table``.
        slot: the PostgreSQL replication slot (and publication).
        snapshot: start a new PostgreSQL slot with the tables' existing rows.
    """

    source: str
    location: str
    tables: tuple[str, ...]
    topic: str = ""
    slot: str = DEFAULT_SLOT
    snapshot: bool = False

    def problem(self) -> str:
        """What is wrong with the spec ("" when nothing is)."""
        if not self.location.strip():
            return "Give a connection string" if self.source == POSTGRES else "Choose a file"
        if not self.tables:
            return "Name at least one table"
        if self.source == POSTGRES and not _SLOT.match(self.slot):
            return "A slot name holds lower-case letters, digits and underscores (at most 63)"
        return ""

    def topics(self) -> list[str]:
        """The topics the capture publishes to."""
        if self.topic:
            return [self.topic]
        if self.source == SQLITE:
            return [f"main.{t}" for t in self.tables]
        return [t if "." in t else f"public.{t}" for t in self.tables]

    def title(self) -> str:
        """A short name for lists: ``PostgreSQL: public.accounts`` (never the DSN, which may
        hold a password)."""
        kind = "PostgreSQL" if self.source == POSTGRES else "SQLite"
        return f"{kind}: {', '.join(self.tables)}"

    def arguments(self, settings: ConnectionSettings) -> list[str]:
        """The arguments of ``ensign-broker`` (see ``frozen_app.broker_command``): ``capture …``."""
        args = ["capture", self.source]
        if self.source == POSTGRES:
            args += ["--dsn", self.location, "--slot", self.slot]
            if self.snapshot:
                args.append("--snapshot")
        else:
            args += ["--path", self.location]
        for table in self.tables:
            args += ["--table", table]
        if self.topic:
            args += ["--topic", self.topic]
        args += ["--endpoint", settings.grpc_address, "--auth-url", settings.auth_url]
        if not settings.tls:
            args.append("--insecure")
        elif settings.ca_file:
            args += ["--ca-file", settings.ca_file]
        return [*args, "--json", "--status-interval", str(STATUS_INTERVAL_S), "--exit-with-parent"]


def capture_environment(settings: ConnectionSettings) -> dict[str, str]:
    """The variables that carry the key to the child process."""
    return {"ENSIGN_CLIENT_ID": settings.client_id, "ENSIGN_CLIENT_SECRET": settings.client_secret}


@dataclass(frozen=True, slots=True)
class CaptureReport:
    """One status object a capture printed.

    Attributes:
        state: ``capturing``, ``waiting for the broker``, ``reconnecting`` or ``stopped``.
        position: where it has confirmed up to (``0/1537800``, ``change 42``).
        changes: changes the broker acknowledged.
        duplicates: of them, replays the broker already had.
        lag_s: seconds since the commit of the oldest change not yet acknowledged.
        behind: how far the confirmed position is behind the database, in ``behind_unit``.
        behind_unit: ``bytes`` or ``changes``.
        problem: why it is not capturing ("" when it is).
    """

    state: str
    position: str = ""
    changes: int = 0
    duplicates: int = 0
    lag_s: float = 0.0
    behind: int = 0
    behind_unit: str = ""
    problem: str = ""

    @classmethod
    def from_line(cls, line: str) -> CaptureReport | None:
        """A report from a line of the capture's output (None if it is not one)."""
        try:
            doc = json.loads(line)
            return cls(
                str(doc["state"]),
                str(doc.get("position", "")),
                int(doc.get("changes", 0)),
                int(doc.get("duplicates", 0)),
                float(doc.get("lag_s", 0.0)),
                int(doc.get("behind", 0)),
                str(doc.get("behind_unit", "")),
                str(doc.get("problem", "")),
            )
        except (ValueError, KeyError, TypeError):
            return None

    def lag_text(self) -> str:
        """``0.2 s, 1.5 kB behind`` or ``0.0 s, 3 changes behind``."""
        if self.behind_unit == "bytes":
            behind = _size(self.behind)
        else:
            behind = f"{self.behind:,} {self.behind_unit or 'changes'}"
        return f"{self.lag_s:.1f} s, {behind} behind"


def _size(count: int) -> str:
    value = float(count)
    for unit in ("B", "kB", "MB"):
        if value < 1000:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"
