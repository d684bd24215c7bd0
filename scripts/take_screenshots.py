"""Take the README's screenshots from the real application with sample data.

Runs the whole workbench (its embedded broker included) offscreen in a temporary home, loads
demo topics, keeps them publishing for a while so the charts have history, and saves each view
to ``resources/screenshots/`` in the light and dark themes.

    python scripts/take_screenshots.py [--seconds 40]
"""

from __future__ import annotations

import argparse
import asyncio
import faulthandler
import json
import os
import random
import signal
import sys
import tempfile
from collections.abc import Callable, Coroutine
from dataclasses import replace
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import qasync  # noqa: E402
from PySide6.QtGui import QPainter, QPixmap  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from workbench.app.parts import Workbench  # noqa: E402
from workbench.app.qt_environment import prepare_qt_environment  # noqa: E402
from workbench.client.authentication import authenticate  # noqa: E402
from workbench.client.broker_client import BrokerClient  # noqa: E402
from workbench.models.composed_event import BodyMode  # noqa: E402
from workbench.models.key_presets import preset  # noqa: E402
from workbench.models.rate_shapes import ShapeKind  # noqa: E402
from workbench.models.sample_data import GENERATORS  # noqa: E402
from workbench.models.secret_store import FileSecretStore  # noqa: E402
from workbench.views.qt_main_window import QtMainWindow  # noqa: E402
from workbench.views.qt_secret_dialog import QtSecretDialog  # noqa: E402
from workbench.views.qt_themes import Theme  # noqa: E402

OUT = ROOT / "resources" / "screenshots"
RATES = {"orders": 40, "sensor-readings": 15, "app-logs": 90, "telemetry": 5}


async def until(condition: Callable[[], bool], timeout: float = 60) -> None:
    """Wait (processing Qt events) until ``condition()`` holds."""
    end = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > end:
            raise TimeoutError("the application did not get there in time")
        await asyncio.sleep(0.05)


async def publish_forever(client: BrokerClient, topics: dict[str, bytes]) -> None:
    """Keep every demo topic publishing at its own, slightly wandering rate."""
    rng = random.Random(7)
    counters = dict.fromkeys(topics, 1)
    while True:
        for name, topic_id in topics.items():
            count = max(1, int(RATES[name] * rng.uniform(0.6, 1.4) / 4))
            events = GENERATORS[name](count, rng, counters[name])
            counters[name] += count
            await client.publish(topic_id, events)
        await asyncio.sleep(0.25)


async def consume_slowly(client: BrokerClient, topic: str, group: str) -> None:
    """A consumer group that keeps up with only part of the flow, so its lag grows."""
    async for _event in client.tail(topic, group=group, ack=True):
        await asyncio.sleep(0.04)


def save(widget: QWidget, name: str, popup: QWidget | None = None) -> None:
    """Grab a widget (and a popup over it) to ``OUT/name``."""
    image = widget.grab()
    if popup is not None and popup.isVisible():
        painter = QPainter(image)
        painter.drawPixmap(popup.mapTo(widget, popup.rect().topLeft()), popup.grab())
        painter.end()
    path = OUT / name
    QPixmap(image).save(str(path))
    print(f"saved {path.relative_to(ROOT)}")


async def scenario(parts: Workbench, seconds: float) -> None:
    window, session = parts.window, parts.session
    await until(lambda: session.client is not None)
    client = session.client
    assert client is not None
    topics = {name: await client.create_topic(name) for name in GENERATORS}
    rng = random.Random(1)
    for name, topic_id in topics.items():  # a history to browse
        for start in range(1, 2001, 500):
            await client.publish(topic_id, GENERATORS[name](500, rng, start))
    publisher = asyncio.ensure_future(publish_forever(client, topics))
    consumer = asyncio.ensure_future(consume_slowly(client, "orders", "billing"))
    session.refresh_topics()
    await until(lambda: len(session.topics) == len(topics))
    await asyncio.sleep(seconds)

    for theme, suffix in ((Theme.LIGHT, ""), (Theme.DARK, "-dark")):
        window.set_theme(theme)
        window.tabs.setCurrentWidget(window.event_split)
        window.topics.select_topic(topics["orders"])
        await asyncio.sleep(1.5)
        window.events.go_to_offset(1995)
        await asyncio.sleep(1.0)
        save(window, f"events{suffix}.png")
        window.tabs.setCurrentWidget(window.charts)
        window.topics.select_topic(topics["orders"])
        window.charts.set_topic_filter(None)
        window.charts.set_window_seconds(60)
        await asyncio.sleep(1.0)
        save(window, f"charts{suffix}.png")
    window.set_theme(Theme.LIGHT)

    window.tabs.setCurrentWidget(window.event_split)
    window.topics.select_topic(topics["sensor-readings"])
    await asyncio.sleep(1.5)
    window.events.go_to_offset(40)
    await asyncio.sleep(1.0)
    save(window, "events-csv.png")

    window.topics.select_topic(topics["telemetry"])
    await asyncio.sleep(1.5)
    window.events.go_to_offset(12)
    await asyncio.sleep(1.0)
    save(window, "events-binary.png")

    window.tabs.setCurrentWidget(window.query)
    window.topics.select_topic(topics["orders"])
    query = window.query
    query.run_query("SELECT * FROM orders WHERE region = 'eu-west' AND data.total > 400 LIMIT 200")
    await until(lambda: not query.is_running())
    await asyncio.sleep(0.5)
    save(window, "query.png")

    window.tabs.setCurrentWidget(window.broker_panel)
    await asyncio.sleep(1.0)
    save(window, "broker.png")
    await keys_and_code(parts)

    window.tabs.setCurrentWidget(window.event_split)
    window.show_palette()
    palette = window.palette_popup
    from PySide6.QtTest import QTest

    QTest.keyClicks(palette.findChild(type(palette.focusWidget())) or palette, "ord")
    await asyncio.sleep(0.5)
    save(window, "palette.png", palette)
    palette.hide()

    window.presentation_action.trigger()
    window.tabs.setCurrentWidget(window.charts)
    await asyncio.sleep(1.0)
    save(window, "presentation.png")
    window.presentation_action.trigger()
    await producer_shots(window, topics)
    await profile_shots(window, client)
    await projector_shots(window)
    publisher.cancel()
    consumer.cancel()


async def producer_shots(window: QtMainWindow, topics: dict[str, bytes]) -> None:
    """The producer console: a composed event with its ack, a template preview, a running
    generator."""
    window.tabs.setCurrentWidget(window.producer)
    producer = window.producer
    producer.select_topic(topics["orders"])
    composer = producer.composer
    composer.type_edit.setText("Order")
    composer.version_edit.setText("1.2.0")
    composer.add_metadata("region", "eu-west")
    composer.add_metadata("channel", "web")
    order = {"id": 20417, "customer": "Ada Lovelace", "items": [{"sku": "A-1", "qty": 2}]}
    composer.set_body(BodyMode.JSON, json.dumps({**order, "total": 99.5}, indent=2))
    for _ in range(3):
        composer.send()
        await until(lambda: "Acked" in composer.result_label.text())
        composer.result_label.setText("")
        await asyncio.sleep(0.3)
    composer.send()
    await until(lambda: "Acked" in composer.result_label.text())
    save(window, "producer-compose.png")

    producer.pages.setCurrentWidget(producer.generator)
    generator = producer.generator
    generator.preview()
    await asyncio.sleep(0.3)
    save(window, "producer-preview.png")
    generator.by_duration.setChecked(True)
    generator.duration_spin.setValue(30)
    generator.rate_spin.setValue(2_000)
    generator.shape_combo.setCurrentText("sine")
    generator.amplitude_spin.setValue(1_500)
    generator.periods[ShapeKind.SINE].setValue(10)
    generator.start()
    await asyncio.sleep(6)
    save(window, "producer-generator.png")
    generator.stop()
    await until(lambda: not generator.is_running())


async def profile_shots(window: QtMainWindow, client: BrokerClient) -> None:
    """The Profile tab at 1280x720 in presentation mode, light and dark, following a topic
    whose ``amount`` turns from numbers into strings while it is watched: the drift notice."""
    from workbench.client.broker_rules import APPLICATION_JSON
    from workbench.client.records import NewEvent
    from workbench.models.sample_data import PRODUCTS

    rng = random.Random(5)

    def payments(first: int, count: int, text_amount: bool) -> list[NewEvent]:
        events = []
        for n in range(first, first + count):
            amount = round(rng.uniform(3, 900), 2)
            body: dict[str, object] = {
                "id": f"pay-{n:06d}",
                "amount": f"{amount:.2f}" if text_amount else amount,
                "currency": rng.choice(["EUR", "EUR", "USD", "GBP"]),
                "method": rng.choice(["card", "card", "sepa", "paypal"]),
                "customer": {"id": f"cus-{rng.randint(1, 300):04d}", "vip": rng.random() < 0.1},
                "items": [{"sku": rng.choice(PRODUCTS), "qty": rng.randint(1, 4)}],
                "refund_of": None if rng.random() < 0.9 else f"pay-{rng.randint(1, n):06d}",
            }
            if n > 380:
                body["risk_score"] = round(rng.random(), 3)
            events.append(NewEvent(json.dumps(body).encode(), APPLICATION_JSON, "Payment"))
        return events

    topic_id = await client.create_topic("payments")
    await client.publish(topic_id, payments(1, 400, text_amount=False))
    session = window.session
    session.refresh_topics()
    await until(lambda: session.topic(topic_id) is not None)
    window.resize(1280, 720)
    window.presentation_action.trigger()
    window.tabs.setCurrentWidget(window.profile_view)
    window.topics.select_topic(topic_id)
    view = window.profile_view
    view.follow_box.setChecked(True)
    await until(view.is_following)
    await client.publish(topic_id, payments(401, 40, text_amount=True))
    await until(lambda: "amount changed type" in view.banner.label.text())
    for theme, suffix in ((Theme.LIGHT, ""), (Theme.DARK, "-dark")):
        window.set_theme(theme)
        window.resize(1280, 720)
        await asyncio.sleep(1.5)
        save(window, f"profile{suffix}.png")
    window.set_theme(Theme.LIGHT)
    window.presentation_action.trigger()
    window.resize(1440, 880)


async def projector_shots(window: QtMainWindow) -> None:
    """At 1280x720 in presentation mode, light and dark: the welcome page, and a demo
    scenario's dashboard after one click on it."""
    window.resize(1280, 720)
    window.presentation_action.trigger()
    window.show_welcome()
    for theme, suffix in ((Theme.LIGHT, ""), (Theme.DARK, "-dark")):
        window.set_theme(theme)
        await asyncio.sleep(1.0)
        save(window, f"welcome{suffix}.png")
    window.set_theme(Theme.LIGHT)
    window.welcome.demo_button.click()
    demo = window.demo
    await until(lambda: demo.run is not None and demo.run.running)
    await asyncio.sleep(25)  # the warm-up, on every chart
    for theme, suffix in ((Theme.LIGHT, ""), (Theme.DARK, "-dark")):
        window.set_theme(theme)
        await asyncio.sleep(1.5)
        save(window, f"demo{suffix}.png")
    window.set_theme(Theme.LIGHT)
    demo.stop()
    window.presentation_action.trigger()
    window.resize(1440, 880)


async def keys_and_code(parts: Workbench) -> None:
    """The key manager with keys in use, a new key's show-once dialog, Connect your code."""
    window, client = parts.window, parts.session.client
    assert client is not None
    made = {}
    for name, kind in (
        ("orders-service", "Publisher"),
        ("billing-dashboard", "Read-only"),
        ("analytics-consumer", "Subscriber"),
        ("old-importer", "Full access"),
    ):
        made[name] = await client.create_key(name, list(preset(kind).permissions))
    for name in ("orders-service", "analytics-consumer", "old-importer"):
        key, secret = made[name]
        await asyncio.to_thread(
            authenticate, replace(client.settings, client_id=key.client_id, client_secret=secret)
        )
    await client.revoke_key(made["old-importer"][0].client_id)
    keys = window.keys_view
    window.tabs.setCurrentWidget(keys)
    keys.refresh_projects()
    await until(lambda: len(keys.listed_keys()) == 5)
    keys.select_key(made["orders-service"][0].client_id)
    await asyncio.sleep(0.5)
    save(window, "keys.png")

    shown: list[QtSecretDialog] = []
    keys.secret_shown.connect(shown.append)
    keys.create_key("ci-pipeline", list(preset("Full access").permissions))
    await until(lambda: bool(shown))
    await asyncio.sleep(0.5)
    save(shown[0], "key-secret.png")
    shown[0].client_secret.copy()
    shown[0].reject()

    dialog = window.show_connect_code()
    assert dialog is not None
    await asyncio.sleep(0.5)
    save(dialog, "connect-code.png")
    dialog.reject()


def run_in_workbench(
    scenario: Callable[[Workbench], Coroutine[Any, Any, None]], embedded_broker: bool = True
) -> None:
    """Run ``scenario`` in a real workbench window (1440 by 880, offscreen) in a temporary home,
    with its embedded broker started (``embedded_broker``) and stopped afterwards."""
    prepare_qt_environment()
    app = QApplication(sys.argv)
    app.setApplicationName("Ensign Workbench")
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with tempfile.TemporaryDirectory() as home:
        config = Path(home) / "config"
        parts = Workbench.create(
            config, Path(home) / "data", FileSecretStore(config / "secrets.json")
        )
        parts.window.resize(1440, 880)
        parts.window.show()
        if embedded_broker:
            parts.broker.start()
        try:
            with loop:
                loop.run_until_complete(scenario(parts))
                loop.run_until_complete(parts.session.drop_connection("done"))
        finally:
            if embedded_broker:
                parts.broker.stop_and_wait()


def main() -> int:
    faulthandler.register(signal.SIGUSR1)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=75, help="publishing time for charts")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    run_in_workbench(lambda parts: scenario(parts, args.seconds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
