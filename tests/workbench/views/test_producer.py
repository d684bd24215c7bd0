"""The producer console against a real broker: compose, send, answers in place, history."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.serve_process import BrokerProcess, create_key
from tests.workbench.conftest import QLoop, connected_session, running_broker, settings_for
from workbench.client.broker_client import BrokerClient
from workbench.client.broker_rules import MAX_EVENT_BYTES
from workbench.client.connection_settings import ConnectionSettings
from workbench.client.records import EventRow
from workbench.models.composed_event import BodyMode
from workbench.models.event_export import topic_events
from workbench.views.qt_producer import COMPOSE, QtProducer
from workbench.views.qt_session import QtSession


@pytest.fixture(scope="module")
def broker(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[BrokerProcess, ConnectionSettings]]:
    with running_broker(tmp_path_factory, "producer") as process:
        yield process, settings_for(process, create_key(process.data_dir, "demo", "all"))


@pytest.fixture
def session(qloop: QLoop, broker: tuple[BrokerProcess, ConnectionSettings]) -> Iterator[QtSession]:
    with connected_session(qloop, broker[1]) as connected:
        yield connected


@pytest.fixture
def producer(qtbot: QtBot, session: QtSession) -> QtProducer:
    widget = QtProducer(session)
    qtbot.addWidget(widget)
    widget.resize(1100, 700)
    widget.show()
    return widget


def _stored(qloop: QLoop, settings: ConnectionSettings, topic_id: bytes) -> list[EventRow]:
    async def read() -> list[EventRow]:
        client = BrokerClient(settings)
        try:
            return [row async for row in topic_events(client, topic_id)]
        finally:
            await client.close()

    return qloop.run(read())


def _new_topic(qloop: QLoop, producer: QtProducer, session: QtSession, name: str) -> bytes:
    producer.create_topic(name)
    errors: list[str] = []
    session.error.connect(errors.append)
    qloop.until(lambda: producer.target() is not None and producer.target().name == name)  # type: ignore[union-attr]
    topic = producer.target()
    assert topic is not None, errors
    return topic.id


def test_a_composed_event_arrives_byte_exact_with_its_type_and_metadata(
    qloop: QLoop,
    producer: QtProducer,
    session: QtSession,
    broker: tuple[BrokerProcess, ConnectionSettings],
) -> None:
    topic_id = _new_topic(qloop, producer, session, "composed")
    composer = producer.composer
    body = '{\n  "id": 7,\n  "note": "say \\"hi\\" ✓"\n}'
    composer.set_body(BodyMode.JSON, body)
    composer.type_edit.setText("Order")
    composer.version_edit.setText("2.1")
    composer.add_metadata("region", "eu")
    composer.add_metadata("  ", "ignored: no key")
    composer.send()
    qloop.until(lambda: composer.result_label.text().startswith("Acked"), what="the ack")
    assert "offset 1" in composer.result_label.text()
    (row,) = _stored(qloop, broker[1], topic_id)
    assert row.data == body.encode("utf-8")
    assert (row.type_name, row.type_version, row.mimetype) == ("Order", "2.1.0", 50)
    assert row.metadata == {"region": "eu"}
    assert row.id.hex() in composer.result_label.text()

    # Send again from the history: the same event, once more.
    composer.history_list.setCurrentRow(0)
    composer.send_selected_again()
    qloop.until(lambda: len(composer.history) == 2, what="the second send")
    assert [r.data for r in _stored(qloop, broker[1], topic_id)] == [body.encode()] * 2


def test_bad_bodies_are_caught_before_sending_and_point_at_the_mistake(
    qloop: QLoop, producer: QtProducer, session: QtSession
) -> None:
    _new_topic(qloop, producer, session, "checked")
    composer = producer.composer
    composer.set_body(BodyMode.JSON, '{"a": 1,\n "b": }')
    assert "line 2, column 7" in composer.body_status.text()
    composer.send()
    assert composer.result_label.text().startswith("Not sent: not valid JSON")
    assert composer.editor.textCursor().blockNumber() == 1
    composer.set_body(BodyMode.HEX, "de ad be ef 0")
    assert "pairs of hex digits" in composer.body_status.text()
    composer.set_body(BodyMode.HEX, "de ad\nbe ef")
    assert composer.body_status.text() == "hex, 4 bytes"
    assert len(composer.history) == 0  # nothing was sent


def test_a_nack_shows_its_code_and_reason_in_place(
    qloop: QLoop, producer: QtProducer, session: QtSession, tmp_path: object
) -> None:
    topic_id = _new_topic(qloop, producer, session, "frozen")
    qloop.run(session.client.archive_topic(topic_id))  # type: ignore[union-attr]
    composer = producer.composer
    composer.set_body(BodyMode.TEXT, "hello")
    composer.send()
    qloop.until(lambda: composer.result_label.text().startswith("Nacked"), what="the nack")
    assert "TOPIC_ARCHIVED" in composer.result_label.text()
    assert "is archived (read-only)" in composer.result_label.text()
    assert composer.result_label.styleSheet()  # shown in the error colour

    _new_topic(qloop, producer, session, "roomy")
    big = tmp_path / "big.bin"  # type: ignore[operator]
    big.write_bytes(b"\x00" * (MAX_EVENT_BYTES - 10))  # fits as data; not with its envelope
    composer.set_body(BodyMode.FILE, str(big))
    composer.mimetype_combo.setCurrentText("application/octet-stream")
    composer.send()  # refused before sending, with the size the broker would have counted
    said = composer.result_label.text()
    assert said.startswith("Not sent: the event is 4,194,2") and said.endswith(
        f"the broker takes at most {MAX_EVENT_BYTES:,}"
    ), said
    assert len(composer.history) == 1, "only the first send went out"


def test_two_metadata_rows_with_one_key_are_refused_before_sending(
    qloop: QLoop, producer: QtProducer, session: QtSession
) -> None:
    _new_topic(qloop, producer, session, "twice")
    composer = producer.composer
    composer.set_body(BodyMode.TEXT, "hello")
    composer.add_metadata("k", "one")
    composer.add_metadata("k", "two")
    sent = len(composer.history)
    composer.send()
    assert composer.result_label.text() == (
        "Not sent: the metadata key 'k' is in two rows; a key holds one value"
    )
    assert len(composer.history) == sent


def test_produce_from_this_event_fills_the_composer(
    qloop: QLoop,
    producer: QtProducer,
    session: QtSession,
    broker: tuple[BrokerProcess, ConnectionSettings],
) -> None:
    topic_id = _new_topic(qloop, producer, session, "source")
    producer.composer.set_body(BodyMode.JSON, json.dumps({"x": 1}))
    producer.composer.add_metadata("k", "v")
    producer.composer.send()
    qloop.until(lambda: len(producer.composer.history) == 1)
    (row,) = _stored(qloop, broker[1], topic_id)
    _new_topic(qloop, producer, session, "elsewhere")
    fresh = QtProducer(session)
    fresh.compose_from(row)
    qloop.until(lambda: fresh.target() is not None)
    assert fresh.target().id == topic_id  # type: ignore[union-attr]
    assert fresh.pages.currentIndex() == COMPOSE
    assert fresh.composer.composed_event().data == row.data
    assert fresh.composer.metadata() == {"k": "v"}
    assert fresh.composer.mode is BodyMode.JSON


def test_an_import_with_a_mapping_stops_at_a_bad_line(
    qloop: QLoop,
    producer: QtProducer,
    session: QtSession,
    broker: tuple[BrokerProcess, ConnectionSettings],
    tmp_path: Path,
) -> None:
    topic_id = _new_topic(qloop, producer, session, "imported")
    path = tmp_path / "orders.jsonl"
    lines = [json.dumps({"id": i, "region": "eu", "kind": "Order:1.1.0"}) for i in range(6)]
    lines[4] = '{"id": 4, "region": '
    path.write_text("\n".join(lines) + "\n")
    importer = producer.importer
    assert importer.load(path)
    assert importer.preview_table.rowCount() == 5
    assert "bad line" in importer.preview_table.item(4, 1).text()  # type: ignore[union-attr]
    importer.data_combo.setCurrentText("id")
    importer.type_combo.setCurrentText("kind")
    importer.metadata_list.item(1).setCheckState(Qt.CheckState.Checked)  # type: ignore[union-attr]
    importer.start()
    qloop.until(lambda: not importer.is_running(), what="the import")
    assert "Stopped at line 5: not valid JSON" in importer.summary.text()
    rows = _stored(qloop, broker[1], topic_id)
    assert [r.data for r in rows] == [b"0", b"1", b"2", b"3"]
    assert rows[0].metadata == {"region": "eu"} and rows[0].type_version == "1.1.0"

    importer.skip_check.setChecked(True)
    importer.start()
    qloop.until(lambda: not importer.is_running(), what="the second import")
    assert "Imported 5 events; skipped 1 bad lines (first: line 5" in importer.summary.text()


def test_a_replay_copies_a_topic_into_the_chosen_one(
    qloop: QLoop,
    producer: QtProducer,
    session: QtSession,
    broker: tuple[BrokerProcess, ConnectionSettings],
) -> None:
    source = _new_topic(qloop, producer, session, "replay-from")
    for i in range(3):
        producer.composer.set_body(BodyMode.TEXT, f"event {i}")
        producer.composer.send()
        qloop.until(lambda i=i: len(producer.composer.history) >= i + 1)  # type: ignore[misc]
    target = _new_topic(qloop, producer, session, "replay-to")
    replayer = producer.replayer
    qloop.until(lambda: replayer.source_combo.count() >= 2)
    replayer.choose_source(source)
    replayer.start()
    qloop.until(lambda: not replayer.is_running(), what="the replay")
    assert replayer.summary.text().startswith("Done: published 3 of 3")
    assert [r.data for r in _stored(qloop, broker[1], target)] == [
        b"event 0",
        b"event 1",
        b"event 2",
    ]

    replayer.from_query.setChecked(True)
    replayer.query_edit.setText("SELEKT * FROM replay-from")
    replayer.start()
    qloop.until(lambda: not replayer.is_running(), what="the failed replay")
    said = replayer.summary.text()
    assert said.startswith("Failed: published 0 of 0 events read. "), said
    assert len(_stored(qloop, broker[1], target)) == 3


def test_a_template_previews_five_events_and_a_run_reaches_its_count(
    qloop: QLoop,
    producer: QtProducer,
    session: QtSession,
    broker: tuple[BrokerProcess, ConnectionSettings],
) -> None:
    topic_id = _new_topic(qloop, producer, session, "generated")
    panel = producer.generator
    shown = panel.preview()
    assert len(shown) == 5
    bodies = [json.loads(text.split("\n", 1)[1]) for text in shown]
    assert [b["id"] for b in bodies] == [1, 2, 3, 4, 5]
    assert _stored(qloop, broker[1], topic_id) == []  # a preview sends nothing
    panel.count_spin.setValue(2_500)
    panel.rate_spin.setValue(0)
    panel.start()
    qloop.until(lambda: not panel.is_running(), what="the run")
    assert "acked 2,500" in panel.status.counters.text()
    rows = _stored(qloop, broker[1], topic_id)
    assert len(rows) == 2_500 and rows[0].type_name == "Order"
    assert json.loads(rows[-1].data)["id"] == 2_500
    assert rows[0].metadata["region"] in {"eu-west", "us-east", "ap-south"}


def test_template_mistakes_and_escapes_are_shown_not_run(
    qloop: QLoop,
    producer: QtProducer,
    session: QtSession,
    broker: tuple[BrokerProcess, ConnectionSettings],
) -> None:
    topic_id = _new_topic(qloop, producer, session, "guarded")
    panel = producer.generator
    panel.editor.setPlainText('{"body": {"x": "{{ counter( }}"}}')
    assert panel.check_template() is None
    assert "body.x" in panel.template_status.text()
    panel.editor.setPlainText(
        '{"body": "{{ \'\'.__class__.__mro__[1].__subclasses__() }}", "mimetype": "text/plain"}'
    )
    assert panel.check_template() is None
    assert "not available" in panel.template_status.text()
    panel.start()
    assert not panel.is_running() and _stored(qloop, broker[1], topic_id) == []


def test_templates_are_saved_by_name_and_loaded_again(
    qloop: QLoop, session: QtSession, qtbot: QtBot, tmp_path: Path
) -> None:
    from workbench.models.template_library import TemplateLibrary

    library = TemplateLibrary(tmp_path / "templates")
    producer = QtProducer(session, library)
    qtbot.addWidget(producer)
    panel = producer.generator
    text = '{"name": "pings", "mimetype": "text/plain", "body": "ping {{ counter() }}"}'
    panel.editor.setPlainText(text)
    assert panel.save_as("pings")
    assert library.names() == ["pings"]
    panel.editor.setPlainText("{}")
    panel.template_combo.setCurrentText("pings")
    panel._template_chosen(panel.template_combo.currentIndex())
    template = panel.check_template()
    assert template is not None and template.body == "ping {{ counter() }}"
