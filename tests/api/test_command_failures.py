"""``ensign-broker`` where the data directory cannot be written: a read-only directory, a full
disk, no answer at a prompt. Each command ends in one line on stderr and exit status 1, never a
traceback; a login on a full disk still succeeds.

The read-only directory and the full disk are real: a read-only bind mount and a small tmpfs,
each in a mount namespace of the command's own (see ``tests/confined_mounts.py`` for why).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import time
import urllib.error
from pathlib import Path

import pytest

from tests.api.client import login
from tests.confined_mounts import READ_ONLY, SMALL_DISK, confined, fill, seen_by
from tests.serve_process import READY_TIMEOUT_S, broker_command


def _one_line_failure(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and "Error:" not in done.stderr, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("ensign-broker: "), done.stderr
    return lines[0]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory with a project ``local`` and a topic ``orders``."""
    path = tmp_path_factory.mktemp("commands") / "data"
    for args in (("projects", "create", "local"), ("topics", "create", "--project", "local")):
        extra = ("orders",) if args[0] == "topics" else ()
        subprocess.run(
            broker_command("--data-dir", str(path), *args, *extra), check=True, capture_output=True
        )
    return path


@pytest.mark.parametrize(
    ("command", "names"),
    [
        (("keys", "list"), "auth.db"),
        (("keys", "create", "--project", "local", "--permission", "all"), "auth.db"),
        (("keys", "revoke", "NoSuchClientId"), "auth.db"),
        (("projects", "list"), "auth.db"),
        (("topics", "list", "--project", "local"), "broker.lock"),
        (("topics", "destroy", "--project", "local", "orders", "--yes"), "broker.lock"),
        (("init",), "broker.lock"),
        (("check",), "events.db"),
    ],
)
def test_a_read_only_data_directory_is_one_line_and_status_1(
    data_dir: Path, command: tuple[str, ...], names: str
) -> None:
    done = subprocess.run(
        confined(READ_ONLY, data_dir, *broker_command("--data-dir", str(data_dir), *command)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    line = _one_line_failure(done)
    assert str(data_dir / names) in line, line
    assert "check" not in command or "DAMAGED" not in done.stdout  # unreadable is not damaged


def test_destroy_without_an_answer_is_not_destroyed(data_dir: Path) -> None:
    done = subprocess.run(
        broker_command(
            "--data-dir", str(data_dir), "topics", "destroy", "--project", "local", "orders"
        ),
        input="",  # standard input at its end, as with < /dev/null
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "not destroyed" in _one_line_failure(done)
    listed = subprocess.run(
        broker_command("--data-dir", str(data_dir), "topics", "list", "--project", "local"),
        capture_output=True,
        text=True,
        check=True,
    )
    assert " orders " in listed.stdout


def test_keys_create_on_a_full_disk_is_one_line_and_status_1(tmp_path: Path) -> None:
    """``auth.db`` exists (a project was created), then the disk fills up."""
    disk = tmp_path / "disk"
    disk.mkdir()
    data = disk / "data"
    steps = " && ".join(
        [
            '"$@" --data-dir "$0/data" projects create local >/dev/null',
            '(cat /dev/zero > "$0/filler" 2>/dev/null; true)',
            'exec "$@" --data-dir "$0/data" keys create --project local --permission all',
        ]
    )
    done = subprocess.run(
        confined(SMALL_DISK, disk, "sh", "-c", steps, str(disk), *broker_command()),
        env={**os.environ, "SMALL_DISK_SIZE": str(4 << 20)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    line = _one_line_failure(done)
    assert str(data / "auth.db") in line and "full" in line, line
    assert "ClientSecret" not in done.stdout


@pytest.mark.timeout(120)
def test_a_login_succeeds_on_a_full_disk_and_warns_once(tmp_path: Path) -> None:
    """The broker serves from a 16 MiB tmpfs that the test then fills: recording a key's
    last-used time fails with SQLITE_FULL (auth.db-wal cannot grow), as on a real full disk."""
    disk, out = tmp_path / "disk", tmp_path / "out"
    disk.mkdir()
    out.mkdir()
    data = disk / "data"
    steps = " && ".join(
        [
            '"$@" --data-dir "$0/data" keys create --project local --permission all --json'
            f" > {shlex.quote(str(out / 'key.json'))}",
            'exec "$@" --data-dir "$0/data" serve --listen 127.0.0.1:0 --auth-listen'
            " 127.0.0.1:0 --exit-with-parent",
        ]
    )
    log_path = tmp_path / "broker.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            confined(SMALL_DISK, disk, "sh", "-c", steps, str(disk), *broker_command()),
            env={**os.environ, "SMALL_DISK_SIZE": str(16 << 20), "PYTHONUNBUFFERED": "1"},
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        inside = seen_by(process.pid, data)
        deadline = time.monotonic() + READY_TIMEOUT_S
        while "ready:" not in log_path.read_text() or not (inside / "serve.json").exists():
            assert process.poll() is None and time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.05)
        auth_url = json.loads((inside / "serve.json").read_text())["auth_url"]
        key = json.loads((out / "key.json").read_text())

        assert fill(seen_by(process.pid, disk)) > 0
        for _ in range(2):
            try:
                token = login(auth_url, key)
            except urllib.error.HTTPError as exc:
                pytest.fail(f"login on a full disk answered HTTP {exc.code}: {exc.read()!r}")
            assert token.count(".") == 2  # a JWT
        log = log_path.read_text()
        warnings = [line for line in log.splitlines() if "last-used time was not recorded" in line]
        assert len(warnings) == 1, log
        assert key["client_id"] in warnings[0] and "full" in warnings[0]
        assert key["client_secret"] not in log and token not in log

        (seen_by(process.pid, disk) / "filler").unlink()  # space freed: use is recorded again
        login(auth_url, key)
        copy = tmp_path / "copy"  # SQLite resolves /proc/PID/root to /: read a copy outside
        copy.mkdir()
        for name in ("auth.db", "auth.db-wal"):
            shutil.copyfile(inside / name, copy / name)
        listed = subprocess.run(
            broker_command("--data-dir", str(copy), "keys", "list", "--json"),
            capture_output=True,
            text=True,
        )
        assert listed.returncode == 0, listed.stderr
        assert json.loads(listed.stdout)[0]["last_used_ms"] is not None
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)
