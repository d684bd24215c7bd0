"""A throwaway PostgreSQL cluster on a loopback port, for tests and benchmarks.

It uses Debian's server binaries (``apt-get install postgresql``; ``.ci/run`` installs them),
found under ``/usr/lib/postgresql/<version>/bin`` or on ``PATH``. PostgreSQL refuses to run as
root, so as root the cluster is made and run as the ``postgres`` user (in a directory it owns).
The cluster trusts local connections, has ``wal_level=logical`` unless asked otherwise, and skips
fsync: it is for tests, and dies with them.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

PG_ROOT = Path("/usr/lib/postgresql")
START_TIMEOUT_S = 60


def server_binaries() -> Path | None:
    """The directory of the newest installed ``initdb``/``pg_ctl``, or None."""
    versions = sorted(
        (p for p in PG_ROOT.glob("*/bin") if (p / "initdb").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if versions:
        return versions[-1]
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class PostgresCluster:
    """A running cluster: its directory, port and superuser."""

    bin_dir: Path
    root: Path
    port: int
    user: str = "postgres"
    wal_level: str = "logical"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def dsn(self, dbname: str = "postgres", user: str | None = None) -> str:
        """A libpq connection string to a database of this cluster (over TCP, loopback)."""
        return f"host=127.0.0.1 port={self.port} user={user or self.user} dbname={dbname}"

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        done = subprocess.run(
            [*prefix, *command], capture_output=True, text=True, timeout=START_TIMEOUT_S
        )
        if done.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{command[0]} failed: {done.stderr or done.stdout}\n{tail}")

    @classmethod
    def start(cls, wal_level: str = "logical") -> PostgresCluster:
        """initdb and start a new cluster on a free loopback port.

        Raises:
            RuntimeError: if the server binaries are missing or the server does not start.
        """
        bin_dir = server_binaries()
        if bin_dir is None:
            raise RuntimeError("PostgreSQL's server is not installed (apt-get install postgresql)")
        root = Path(tempfile.mkdtemp(prefix="capture-pg-"))
        if os.geteuid() == 0:
            shutil.chown(root, "postgres", "postgres")
        cluster = cls(bin_dir, root, _free_port(), wal_level=wal_level)
        cluster._run(
            str(bin_dir / "initdb"),
            "-D",
            str(cluster.data_dir),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        options = " ".join(
            f"-c {setting}"
            for setting in (
                f"wal_level={wal_level}",
                "listen_addresses=127.0.0.1",
                f"port={cluster.port}",
                f"unix_socket_directories={root}",
                "fsync=off",
                "full_page_writes=off",
                "max_wal_senders=20",
                "max_replication_slots=20",
                "wal_sender_timeout=60s",
            )
        )
        cluster._run(
            str(bin_dir / "pg_ctl"),
            "-D",
            str(cluster.data_dir),
            "-l",
            str(root / "server.log"),
            "-o",
            options,
            "-w",
            "-t",
            str(START_TIMEOUT_S),
            "start",
        )
        return cluster

    def stop(self) -> None:
        """Stop the server at once and remove its files."""
        try:
            self._run(
                str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "stop"
            )
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
