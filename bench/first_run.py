"""First-run benchmarks: cold launch to a demo scenario's chart moving, and stalls while it runs.

1. Cold launch. A fresh Python process with an empty config and data directory (nothing cached,
   nothing imported) builds the workbench as ``ensign-workbench`` does, starts its embedded broker
   (which makes its keys and databases on this first run), waits for the welcome page, clicks
   "Run a demo scenario" with a real mouse event, and stops the clock when every field chart of
   the scenario's dashboard has drawn at least two values (its lines are moving). Reported: time
   to the welcome page, and time from launch to the moving chart. Baseline: a Qt "hello world"
   (import PySide6, show one label) started cold in the same run.
2. Stalls with a scenario running. In the same process, with the dashboard's charts following
   the scenario's topics, a 5 ms QTimer probe records how late each tick fires (p99 and max).
   Baseline: the same probe and window, after the scenario is stopped.

Sizes: ``BENCH_GUI_SECONDS`` (probe time, default 10).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from bench.report import Row

SECONDS = float(os.environ.get("BENCH_GUI_SECONDS", "10"))
ROOT = Path(__file__).resolve().parents[1]
HELLO = (
    "import sys, time; t0 = float(sys.argv[1]);"
    "from PySide6.QtWidgets import QApplication, QLabel;"
    "app = QApplication(sys.argv[:1]); label = QLabel('hello'); label.show();"
    "app.processEvents(); print(time.time() - t0)"
)


def _child(started: float) -> None:
    """The launched process: the workbench as ``ensign-workbench`` builds it, then one click."""
    import qasync
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from bench.gui import StallProbe
    from embedded_broker.config import default_data_dir
    from workbench.app.parts import Workbench
    from workbench.app.qt_environment import prepare_qt_environment
    from workbench.models.profiles import config_dir

    prepare_qt_environment()
    app = QApplication(sys.argv[:1])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    parts = Workbench.create(config_dir(), default_data_dir())
    parts.window.resize(1280, 720)
    parts.start()
    window = parts.window
    figures: dict[str, float] = {}

    async def until(condition: object, timeout: float = 60) -> None:
        end = time.monotonic() + timeout
        while not condition():  # type: ignore[operator]
            if time.monotonic() > end:
                raise TimeoutError("timed out")
            await asyncio.sleep(0.005)

    async def scenario() -> None:
        await until(lambda: window.pages.currentWidget() is window.welcome)
        figures["welcome_s"] = time.time() - started
        button = window.welcome.demo_button
        QTest.mouseClick(button, Qt.MouseButton.LeftButton, pos=QPoint(20, 20))
        fields = window.demo.fields

        def moving() -> bool:
            shown = fields.series
            return bool(shown) and all(len(fields.drawn_values(s)) >= 2 for s in shown)

        await until(moving)
        figures["moving_s"] = time.time() - started
        figures["charts"] = len(fields.series)
        await asyncio.sleep(2)
        run = window.demo.run

        def acked() -> int:
            return sum(t.generator.stats().acked for t in run.topics) if run is not None else 0

        before = acked()
        probe = StallProbe()
        probe.start()
        await asyncio.sleep(SECONDS)
        figures["busy_p99"], figures["busy_max"] = probe.stop()
        figures["events_per_s"] = (acked() - before) / SECONDS
        window.demo.stop()
        await asyncio.sleep(2)
        probe.start()
        await asyncio.sleep(SECONDS)
        figures["idle_p99"], figures["idle_max"] = probe.stop()
        await parts.session.drop_connection("done")

    try:
        with loop:
            loop.run_until_complete(scenario())
    finally:
        parts.broker.stop_and_wait()
    print(json.dumps(figures), flush=True)


def _fresh_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CACHE_HOME=str(home / "cache"),
        PYTHONDONTWRITEBYTECODE="1",
    )
    for name in ("ENSIGN_BROKER_DATA_DIR", "ENSIGN_WORKBENCH_CONFIG_DIR"):
        env.pop(name, None)
    return env


def _launch(args: list[str], home: Path) -> str:
    started = time.time()
    done = subprocess.run(
        [sys.executable, *args, repr(started)],
        cwd=ROOT,
        env=_fresh_env(home),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{args} failed: {done.stderr.strip()[-2000:]}")
    return done.stdout.strip().splitlines()[-1]


def run() -> list[Row]:
    """Launch cold twice (hello world, then the workbench) and report the figures."""
    with tempfile.TemporaryDirectory() as home:
        hello_s = float(_launch(["-c", HELLO], Path(home) / "hello"))
        figures = json.loads(_launch(["-m", "bench.first_run", "--child"], Path(home) / "wb"))
    print(
        f"{figures['charts']:.0f} field charts moving; the scenario published "
        f"{figures['events_per_s']:,.0f} events/s while probed",
        file=sys.stderr,
    )
    hello_ms = hello_s * 1000
    return [
        Row(
            "cold launch to the welcome page (fresh config and data)",
            figures["welcome_s"] * 1000,
            "ms",
            hello_ms,
            "Qt hello world, cold",
        ),
        Row(
            "cold launch, one click, to a scenario's charts moving",
            figures["moving_s"] * 1000,
            "ms",
            hello_ms,
            "Qt hello world, cold",
            "< 10,000 ms",
        ),
        Row(
            "GUI stall p99 with a scenario and its field charts running",
            figures["busy_p99"],
            "ms",
            figures["idle_p99"] or 0.01,
            "scenario stopped",
            "< 50 ms",
        ),
        Row(
            "GUI stall max with a scenario and its field charts running",
            figures["busy_max"],
            "ms",
            figures["idle_max"] or 0.01,
            "scenario stopped",
            "< 200 ms",
        ),
    ]


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        _child(float(sys.argv[2]))
    else:
        from bench.report import format_table

        print(format_table(run()))
