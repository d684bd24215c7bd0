"""Build the desktop bundle in a clean directory and smoke-run it where no Python can run.

    python packaging/smoke_test.py [--bundle DIR] [--keep] [--starts N]

It builds with build.py into a new temporary directory (or takes the folder ``--bundle``
names), then runs the bundle's programs with every Python installation of the machine hidden:
on Linux as root, in a private mount namespace (``unshare``) with empty folders mounted over
the interpreters' libraries, the project's virtual environment and its source tree, so that
``python3`` itself fails there. Elsewhere it runs them in a bare environment and says so.

What it checks:

1. ``ensign-workbench --version`` and ``ensign-broker --version`` print the package's version;
2. the bundle's ``ensign-broker serve`` takes a publish from the unmodified pyensign (in the
   interop tests' virtual environment, outside the namespace) and serves it back to a query;
3. the bundle's app, offscreen, starts its broker (the bundle's ``ensign-broker``), shows its
   window, connects, and quits, leaving no process behind; twice, timing the first (cold: new
   data directory, and the page cache dropped when allowed) and the second start; `--starts N`
   times each N times and keeps the medians.

It prints what it saw, then the figures as one JSON line; the exit status is 0 when every
check passed.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from statistics import median
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tests.interop.pyensign_env, the interop tests' pyensign
from tests.serve_process import process_alive  # noqa: E402


def _load(name: str) -> ModuleType:
    """A module of this folder (not a package), by file: ``build`` names a PyPI package too."""
    spec = importlib.util.spec_from_file_location(
        f"packaging_{name}", ROOT / "packaging" / f"{name}.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = _load("build")
READY = re.compile(r"ensign-workbench: ready after [0-9.]+ s .*broker pid (\d+)\)")
START_TIMEOUT_S = 90


class SmokeFailure(Exception):
    """A check failed (the message says which and what was seen)."""


def main(argv: list[str] | None = None) -> int:
    """Build (unless given a bundle), run the checks; return the exit status."""
    parser = argparse.ArgumentParser(prog="smoke_test.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--bundle", type=Path, help="a built ensign-workbench folder to check")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument(
        "--starts", type=int, default=1, help="time this many app starts (the median is kept)"
    )
    args = parser.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="ensign-bundle-smoke-"))
    figures: dict[str, object] = {"date": time.strftime("%Y-%m-%d")}
    try:
        folder = args.bundle.resolve() if args.bundle else _build(scratch, figures)
        figures["bundle_mb"] = round(build.tree_size(folder) / 1e6, 1)
        isolation = Isolation(folder)
        print(f"isolation: {isolation.describe()}")
        figures["no_python"] = isolation.hides_python
        _versions(folder, isolation)
        _pyensign_publish(folder, isolation, scratch)
        cold, warm = [], []
        for run in range(args.starts):
            home = scratch / f"app-home-{run}"
            seconds, figures["page_cache_dropped"] = _app(folder, isolation, home, cold=True)
            cold.append(seconds)
            warm.append(_app(folder, isolation, home, cold=False)[0])
        figures["cold_start_s"], figures["second_start_s"] = median(cold), median(warm)
        if args.starts > 1:
            figures["cold_starts_s"], figures["second_starts_s"] = cold, warm
    except (SmokeFailure, subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        print(f"FAILED: {exc}")
        print(json.dumps(figures))
        return 1
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    print("all checks passed")
    print(json.dumps(figures))
    return 0


def _build(scratch: Path, figures: dict[str, object]) -> Path:
    started = time.monotonic()
    status = build.main(["--dist", str(scratch / "dist"), "--work", str(scratch / "build")])
    if status != 0:
        raise SmokeFailure(f"build.py exited with {status}")
    figures["build_s"] = round(time.monotonic() - started)
    archives = list((scratch / "dist").glob("ensign-workbench-*.*"))
    if archives:
        figures["archive_mb"] = round(archives[0].stat().st_size / 1e6, 1)
    shutil.rmtree(scratch / "build")
    return scratch / "dist" / "ensign-workbench"


class Isolation:
    """Runs the bundle's programs where no Python installation can be used."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.hidden = self._pythons() if self._can_hide() else []
        self.hides_python = False
        if self.hidden and not self._works():
            self.hidden = []  # mounting is not allowed here after all
        if self.hidden:
            probe = subprocess.run(
                self.command(["python3", "-c", "print('python runs')"]),
                env=self.env(folder),
                capture_output=True,
                text=True,
                timeout=30,
            )
            self.hides_python = probe.returncode != 0 and "python runs" not in probe.stdout

    def describe(self) -> str:
        if self.hides_python:
            return f"no Python runs ({len(self.hidden)} folders hidden: {', '.join(self.hidden)})"
        return "a bare environment (Python folders not hidden: needs Linux, root and unshare)"

    @staticmethod
    def _can_hide() -> bool:
        return (
            sys.platform.startswith("linux") and os.geteuid() == 0 and bool(shutil.which("unshare"))
        )

    def _works(self) -> bool:
        done = subprocess.run(self.command(["true"]), env=self.env(self.folder), timeout=30)
        return done.returncode == 0

    def _pythons(self) -> list[str]:
        """The folders to hide: every interpreter's library folder, this environment, the
        source tree (unless the bundle is inside it)."""
        found = {Path(sys.base_prefix), Path(sys.prefix), Path.home() / ".pyenv"}
        for pattern in ("/usr/lib/python3*", "/usr/local/lib/python3*", "/opt/python*"):
            found.update(Path("/").glob(pattern.lstrip("/")))
        if not self.folder.is_relative_to(ROOT):
            found.add(ROOT)
        existing = sorted(p.resolve() for p in found if p.is_dir())
        outermost = [
            p for p in existing if not any(p != q and p.is_relative_to(q) for q in existing)
        ]
        return [str(p) for p in outermost if not self.folder.is_relative_to(p)]

    def command(self, argv: list[str]) -> list[str]:
        """``argv`` run with the Python folders hidden (as is, if they cannot be)."""
        if not self.hidden:
            return argv
        script = (
            'n=$1; shift; while [ "$n" -gt 0 ]; do mount -t tmpfs none "$1" || exit 97; '
            'shift; n=$((n - 1)); done; exec "$@"'
        )
        return [
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            script,
            "sh",
            str(len(self.hidden)),
            *self.hidden,
            *argv,
        ]

    @staticmethod
    def env(home: Path, **extra: str) -> dict[str, str]:
        """A bare environment: no PYTHON* variables, no virtual environment on the PATH."""
        return {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8", **extra}


def _versions(folder: Path, isolation: Isolation) -> None:
    version = metadata.version("ensign-workbench")
    for program in ("ensign-workbench", "ensign-broker"):
        done = subprocess.run(
            isolation.command([str(folder / program), "--version"]),
            env=isolation.env(folder),
            capture_output=True,
            text=True,
            timeout=60,
        )
        if done.returncode != 0 or done.stdout != f"{program} {version}\n":
            raise SmokeFailure(f"{program} --version: {done.returncode} {done.stdout!r}")
        print(f"ok: {done.stdout.strip()}")


def _pyensign_publish(folder: Path, isolation: Isolation, scratch: Path) -> None:
    from tests.interop.pyensign_env import pyensign_python

    data = scratch / "broker-data"
    broker = str(folder / "ensign-broker")
    env = isolation.env(scratch)
    created = subprocess.run(
        isolation.command(
            [
                broker,
                "keys",
                "create",
                "--data-dir",
                str(data),
                "--project",
                "smoke",
                "--permission",
                "all",
                "--json",
            ]
        ),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    key = json.loads(created.stdout)
    serve = [
        broker,
        "serve",
        "--data-dir",
        str(data),
        "--listen",
        "127.0.0.1:0",
        "--auth-listen",
        "127.0.0.1:0",
    ]
    with _running(isolation.command(serve), env, scratch / "broker.log") as process:
        info = _wait_served(data, scratch / "broker.log", process)
        exe = os.readlink(f"/proc/{process.pid}/exe") if sys.platform.startswith("linux") else ""
        if exe and Path(exe) != folder / "ensign-broker":
            raise SmokeFailure(f"the broker runs {exe}, not the bundle's ensign-broker")
        config = {
            "endpoint": info["grpc_address"],
            "auth_url": info["auth_url"],
            "client_id": key["client_id"],
            "client_secret": key["client_secret"],
        }
        published = subprocess.run(
            [
                str(pyensign_python()),
                str(ROOT / "packaging" / "smoke_publish.py"),
                json.dumps(config),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if published.returncode != 0:
            raise SmokeFailure(f"pyensign failed:\n{published.stderr}")
        seen = json.loads(published.stdout)
        if not (seen["acked"] and seen["rows"] == 1 and seen["read_back"]):
            raise SmokeFailure(f"pyensign saw {seen}")
        process.send_signal(signal.SIGTERM)
        if process.wait(30) != 0:
            raise SmokeFailure(f"the broker exited with {process.returncode} on SIGTERM")
    print(
        f"ok: pyensign published to the bundled broker at {info['grpc_address']} (acked, "
        f"committed {seen['committed']}, read back by a query); it stopped cleanly"
    )


def _app(folder: Path, isolation: Isolation, home: Path, cold: bool) -> tuple[float, bool]:
    """Start the app in ``home`` (``cold``: the first time there); its seconds to ready and
    whether the page cache was dropped before."""
    env = isolation.env(
        home,
        QT_QPA_PLATFORM="offscreen",
        ENSIGN_WORKBENCH_CONFIG_DIR=str(home / "config"),
        ENSIGN_BROKER_DATA_DIR=str(home / "data"),
        ENSIGN_WORKBENCH_NO_KEYRING="1",
        ENSIGN_WORKBENCH_QUIT_WHEN_READY="1",
    )
    dropped = cold and _drop_page_cache()
    started = time.monotonic()
    process = subprocess.Popen(
        isolation.command([str(folder / "ensign-workbench")]),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    ready_s, broker_pid, broker_exe = 0.0, 0, ""
    assert process.stdout is not None
    for line in process.stdout:
        output.append(line)
        found = READY.search(line)
        if found and not ready_s:
            ready_s = time.monotonic() - started
            broker_pid = int(found.group(1))
            try:
                broker_exe = os.readlink(f"/proc/{broker_pid}/exe")
            except OSError:
                broker_exe = "(gone before it could be read)"
    status = process.wait(START_TIMEOUT_S)
    log = "".join(output)
    if status != 0 or not ready_s:
        raise SmokeFailure(f"the app exited with {status} (ready: {bool(ready_s)}):\n{log}")
    if broker_exe.startswith("/") and Path(broker_exe) != folder / "ensign-broker":
        raise SmokeFailure(f"the app's broker ran {broker_exe}, not the bundle's")
    left = _bundle_processes(folder)
    if process_alive(broker_pid) or left:
        alive = process_alive(broker_pid)
        raise SmokeFailure(f"left behind: broker {broker_pid} (alive: {alive}), {left}")
    which = "cold start, page cache dropped" if dropped else "cold start" if cold else "again"
    print(
        f"ok: app ready in {ready_s:.2f} s ({which}): window shown, broker {broker_exe} "
        "ready and connected; it quit and left no process"
    )
    return round(ready_s, 2), dropped


def _drop_page_cache() -> bool:
    """Empty the page cache (root on Linux, where allowed) for an honest cold start."""
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError:
        return False
    return True


@contextmanager
def _running(argv: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        process = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def _wait_served(data: Path, log: Path, process: subprocess.Popen[bytes]) -> dict[str, str]:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SmokeFailure(f"the broker exited ({process.returncode}):\n{log.read_text()}")
        if (data / "serve.json").exists() and "ready:" in log.read_text(errors="replace"):
            served: dict[str, str] = json.loads((data / "serve.json").read_text())
            return served
        time.sleep(0.05)
    raise SmokeFailure(f"the broker was not ready in {START_TIMEOUT_S} s:\n{log.read_text()}")


def _bundle_processes(folder: Path) -> list[str]:
    """Processes still running one of the bundle's executables (Linux; [] elsewhere)."""
    left = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            exe = os.readlink(proc / "exe")
        except OSError:
            continue
        if exe.startswith(str(folder) + os.sep):
            left.append(f"{proc.name} {exe}")
    return left


if __name__ == "__main__":
    sys.exit(main())
