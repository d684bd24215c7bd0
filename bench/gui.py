"""GUI benchmarks: event-loop stalls under a full-speed ingest, and opening a 1M-event topic.

1. Responsiveness. The real workbench window (offscreen) shows a topic's live tail while a second
   window shows the live charts, and a separate process floods the broker with batched publishes
   as fast as it accepts them. A 5 ms QTimer probe records how late each tick fires; the figure
   is the p99 and the maximum lateness. Baseline: the same probe, same windows, broker idle.
   Then the window's own generator (Produce → Generate, its starter template with two Faker
   values) runs as fast as the broker acknowledges while the live tail follows its topic: its
   events/s, and the same stall figures.
2. Opening a topic of 1,000,000 events: time from choosing the topic to its last page on screen
   (the virtual table fetches only the visible page). Baseline: one raw ``ReadEvents`` call for
   that page over the same connection, in the same run.
3. The event detail pane moving from a 1 MB one-line event to a small one (a new wrap mode
   lays out the text already shown; the pane empties itself first). Baseline: small to small.

Sizes: ``BENCH_GUI_SECONDS`` (probe time, default 10), ``BENCH_GUI_EVENTS`` (1,000,000).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from bench.report import Row

PROBE_MS = 5
SECONDS = float(os.environ.get("BENCH_GUI_SECONDS", "10"))
BIG_TOPIC_EVENTS = int(os.environ.get("BENCH_GUI_EVENTS", "1000000"))
FLOOD_BATCH = 1000
FLOOD_IN_FLIGHT = 4


def _flood(settings_json: str, topic_hex: str, seconds: float, total: int) -> None:
    """Child process: publish batches as fast as the broker takes them."""
    from workbench.client.broker_client import BrokerClient
    from workbench.client.connection_settings import ConnectionSettings
    from workbench.client.records import NewEvent

    settings = ConnectionSettings(**json.loads(settings_json))
    topic = bytes.fromhex(topic_hex)
    payload = json.dumps({"reading": 21.5, "sensor": "s-01", "status": "ok"}).encode()
    batch = [NewEvent(payload, 50, "Reading", "1.0.0", {"site": "lab"})] * FLOOD_BATCH

    async def flood() -> None:
        client = BrokerClient(settings)
        await client.login()
        sent = 0
        deadline = time.monotonic() + seconds if seconds > 0 else float("inf")

        async def worker() -> None:
            nonlocal sent
            while time.monotonic() < deadline and (total <= 0 or sent < total):
                sent += FLOOD_BATCH
                await client.publish(topic, batch)

        await asyncio.gather(*(worker() for _ in range(FLOOD_IN_FLIGHT)))
        await client.close()
        print(sent, flush=True)

    asyncio.run(flood())


def _start_flood(
    settings: object, topic: bytes, seconds: float, total: int = 0
) -> subprocess.Popen[str]:
    from dataclasses import asdict

    data = asdict(settings)  # type: ignore[call-overload]
    data["ca_certificate"] = None
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.gui",
            "--flood",
            json.dumps(data),
            topic.hex(),
            str(seconds),
            str(total),
        ],
        cwd=Path(__file__).resolve().parents[1],
        stdout=subprocess.PIPE,
        text=True,
    )


class StallProbe:
    """Measures how late a short repeating QTimer fires: the event loop's stalls."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.lateness_ms: list[float] = []
        self._last = time.perf_counter()
        self._timer = QTimer()
        self._timer.setInterval(PROBE_MS)
        self._timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.lateness_ms.append(max(0.0, (now - self._last) * 1000 - PROBE_MS))
        self._last = now

    def start(self) -> None:
        self.lateness_ms.clear()
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> tuple[float, float]:
        """Stop; return (p99, max) lateness in ms."""
        self._timer.stop()
        ordered = sorted(self.lateness_ms) or [0.0]
        return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], ordered[-1]


async def _until(condition: Callable[[], bool], timeout: float = 120) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError("timed out")
        await asyncio.sleep(0.01)


async def _scenario(parts: object, rows: list[Row]) -> None:
    from PySide6.QtCore import Qt

    from workbench.views.qt_charts import QtCharts

    window = parts.window  # type: ignore[attr-defined]
    session = parts.session  # type: ignore[attr-defined]
    await _until(lambda: session.client is not None)
    client = session.client
    settings = parts.broker.settings  # type: ignore[attr-defined]

    # -- responsiveness under a flood ----------------------------------------------------------
    flood_topic = await client.create_topic("flood")
    session.refresh_topics()
    await _until(lambda: session.topic(flood_topic) is not None)
    window.tabs.setCurrentIndex(0)
    window.topics.select_topic(flood_topic)
    charts = QtCharts(session)
    charts.resize(1200, 800)
    charts.show()
    await asyncio.sleep(2)
    probe = StallProbe()
    probe.start()
    await asyncio.sleep(SECONDS)
    idle_p99, idle_max = probe.stop()

    flood = _start_flood(settings, flood_topic, SECONDS + 2)
    await asyncio.sleep(2)  # the flood is at full speed
    probe.start()
    await asyncio.sleep(SECONDS)
    busy_p99, busy_max = probe.stop()
    sent = int((await asyncio.to_thread(flood.communicate))[0].strip() or 0)
    rate = sent / (SECONDS + 2)
    shown = window.events.model.rowCount()
    rows.append(
        Row(
            f"GUI stall p99 during ingest (~{rate:,.0f} events/s)",
            busy_p99,
            "ms",
            idle_p99 or 0.01,
            "broker idle",
            "< 50 ms",
        )
    )
    rows.append(
        Row(
            "GUI stall max during ingest",
            busy_max,
            "ms",
            idle_max or 0.01,
            "broker idle",
            "< 200 ms",
        )
    )
    print(f"live tail showed {shown:,} rows; charts redrew {charts.redraws} times", file=sys.stderr)

    # -- the window's own generator at full speed ----------------------------------------------
    generated = await client.create_topic("generated")
    session.refresh_topics()
    await _until(lambda: session.topic(generated) is not None)
    window.topics.select_topic(generated)
    panel = window.producer.generator
    window.producer.select_topic(generated)
    await _until(lambda: (t := window.producer.target()) is not None and t.id == generated)
    panel.by_duration.setChecked(True)
    panel.duration_spin.setValue(SECONDS + 2)
    panel.rate_spin.setValue(0)
    panel.start()
    await asyncio.sleep(2)  # past the Faker pools' first fill
    probe.start()
    await asyncio.sleep(SECONDS)
    gen_p99, gen_max = probe.stop()
    await _until(lambda: not panel.is_running())
    assert panel.job.generator is not None
    stats = panel.job.generator.stats()
    rows.append(
        Row(
            "generator in the window (template with Faker), as fast as acked",
            stats.events_per_s,
            "events/s",
            rate,
            "the external flood's rate",
            ">= 20,000 events/s",
        )
    )
    rows.append(
        Row(
            "GUI stall p99 while it generates",
            gen_p99,
            "ms",
            idle_p99 or 0.01,
            "broker idle",
            "< 50 ms",
        )
    )
    rows.append(
        Row(
            "GUI stall max while it generates",
            gen_max,
            "ms",
            idle_max or 0.01,
            "broker idle",
            "< 200 ms",
        )
    )
    charts.close()

    # -- opening a 1M-event topic --------------------------------------------------------------
    big = await client.create_topic("million")
    filler = _start_flood(settings, big, 0, BIG_TOPIC_EVENTS)
    await asyncio.to_thread(filler.communicate)
    session.refresh_topics()
    await _until(lambda: (t := session.topic(big)) is not None and t.events >= BIG_TOPIC_EVENTS)
    window.topics.select_topic(flood_topic)
    await asyncio.sleep(1)

    started = time.perf_counter()
    page = await client.read_events(big, from_end=True, limit=200)
    raw_s = time.perf_counter() - started
    assert page.events

    table = window.events
    table.live_action.setChecked(False)
    started = time.perf_counter()
    window.topics.select_topic(big)

    def last_row_shown() -> bool:
        model = table.model
        count = model.rowCount()
        if count < BIG_TOPIC_EVENTS:
            return False
        text = model.index(count - 1, 0).data(Qt.ItemDataRole.DisplayRole)
        return bool(text) and text != "…"

    await _until(last_row_shown, timeout=60)
    open_s = time.perf_counter() - started
    rows.append(
        Row(
            f"open a {BIG_TOPIC_EVENTS:,}-event topic, last page shown",
            open_s * 1000,
            "ms",
            raw_s * 1000,
            "one raw ReadEvents page",
            "< 1,000 ms",
        )
    )


def _detail_switch(rows: list[Row]) -> None:
    """The event detail pane moving from a 1 MB one-line text event to a small one (shown as
    text too), against moving from one small event to another. Both in one process, offscreen.
    """
    from PySide6.QtWidgets import QApplication

    from workbench.client.records import EventRow
    from workbench.views.qt_event_detail import QtEventDetail

    def event(offset: int, data: bytes) -> EventRow:
        return EventRow(
            b"t" * 16, offset, bytes(10), 0, 0, "Note", "1.0.0", 1, data, {}, False, ""
        )  # mimetype 1: text/plain

    def switch_s(first: EventRow, second: EventRow) -> float:
        detail.show_event(first)
        QApplication.processEvents()
        started = time.perf_counter()
        detail.show_event(second)
        QApplication.processEvents()
        return time.perf_counter() - started

    detail = QtEventDetail()
    detail.resize(900, 600)
    detail.show()
    small, other = event(1, b"a short note"), event(2, b"another short note")
    baseline = min(switch_s(small, other) for _ in range(3))
    after_big = switch_s(event(3, b"z" * 1_000_000), small)
    detail.close()
    rows.append(
        Row(
            "detail pane: a small event after a 1 MB one-line one",
            after_big * 1000,
            "ms",
            baseline * 1000,
            "a small event after a small one",
            "< 100 ms",
        )
    )


def run() -> list[Row]:
    """Run the GUI benchmarks with a real workbench and embedded broker."""
    import qasync
    from PySide6.QtWidgets import QApplication

    from workbench.app.parts import Workbench
    from workbench.app.qt_environment import prepare_qt_environment
    from workbench.models.secret_store import FileSecretStore

    prepare_qt_environment()  # as ensign-workbench does
    app = QApplication.instance() or QApplication(sys.argv[:1])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    rows: list[Row] = []
    _detail_switch(rows)
    with tempfile.TemporaryDirectory() as home:
        config = Path(home) / "config"
        parts = Workbench.create(config, Path(home) / "data", FileSecretStore(config / "s.json"))
        parts.window.resize(1440, 880)
        parts.start()  # as ensign-workbench does
        try:
            with loop:
                loop.run_until_complete(_scenario(parts, rows))
                loop.run_until_complete(parts.session.drop_connection("done"))
        finally:
            parts.broker.stop_and_wait()
    return rows


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--flood":
        _flood(sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5]))
    else:
        from bench.report import format_table

        print(format_table(run()))
