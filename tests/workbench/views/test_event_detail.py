"""The event detail view: payloads shown as what they are, metadata, raw bytes, copy as JSON."""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QTreeWidgetItem
from pytestqt.qtbot import QtBot

from tests.serve_process import BrokerProcess, create_key
from tests.workbench.conftest import QLoop, running_broker, settings_for
from workbench.client.broker_client import BrokerClient
from workbench.client.records import EventRow, NewEvent
from workbench.models.json_highlight import TokenKind, json_colours, json_tokens
from workbench.views.qt_event_detail import PayloadKind, QtEventDetail, hex_dump, parse_csv

JSON, CSV, TEXT, OCTET = 50, 2, 1, 0
ORDER = {
    "order": 1042,
    "customer": {"name": "Ada", "vip": True},
    "items": [{"sku": "A-1", "qty": 2}, {"sku": "B-7", "qty": 1}],
    "note": None,
}


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerProcess]:
    with running_broker(tmp_path_factory, "detail") as process:
        yield process


@pytest.fixture
def client(qloop: QLoop, broker: BrokerProcess) -> Iterator[BrokerClient]:
    key = create_key(broker.data_dir, "demo", "all")
    connected = BrokerClient(settings_for(broker, key))
    qloop.run(connected.login())
    yield connected
    qloop.run(connected.close())


@pytest.fixture
def detail(qtbot: QtBot) -> QtEventDetail:
    widget = QtEventDetail()
    qtbot.addWidget(widget)
    widget.resize(900, 600)
    widget.show()
    return widget


def _stored(qloop: QLoop, client: BrokerClient, *events: NewEvent) -> list[EventRow]:
    """Publish events to a new topic and read them back as the broker stored them."""
    topic = qloop.run(client.create_topic(f"detail-{time.monotonic_ns()}"))
    qloop.run(client.publish(topic, list(events)))
    return qloop.run(client.read_events(topic, offset=1, limit=len(events))).events


def _children(item: QTreeWidgetItem) -> dict[str, QTreeWidgetItem]:
    return {item.child(i).text(0): item.child(i) for i in range(item.childCount())}


def test_json_becomes_a_tree_and_highlighted_pretty_text(
    qloop: QLoop, client: BrokerClient, detail: QtEventDetail, tmp_path: Path
) -> None:
    (event,) = _stored(
        qloop,
        client,
        NewEvent(
            json.dumps(ORDER).encode(), JSON, "OrderPlaced", "2.1.0", {"region": "eu", "src": "web"}
        ),
    )
    detail.show_event(event)
    assert detail.tabs.currentIndex() == detail.tree_tab
    root = detail.tree.topLevelItem(0)
    keys = _children(root)
    assert list(keys) == ["order", "customer", "items", "note"]
    assert (keys["order"].text(1), keys["order"].text(2)) == ("1042", "number")
    assert keys["customer"].isExpanded()
    assert _children(keys["customer"])["vip"].text(1) == "true"
    assert _children(keys["items"])["[1]"].text(2) == "object"
    assert keys["note"].text(2) == "null"
    assert json.loads(detail.text.toPlainText()) == ORDER
    assert detail.text.toPlainText().startswith('{\n  "order": 1042')
    assert detail.highlighter.document() is detail.text.document()
    assert detail._header_values["Type"].text() == "OrderPlaced v2.1.0"
    assert detail._header_values["Id"].text() == event.id.hex()
    assert not detail.duplicate_badge.isVisibleTo(detail)
    detail.grab().save(str(tmp_path / "detail-json.png"))


def test_metadata_and_headers_are_listed(
    qloop: QLoop, client: BrokerClient, detail: QtEventDetail
) -> None:
    (event,) = _stored(
        qloop, client, NewEvent(b"{}", JSON, "Ping", "1.0.0", {"region": "eu", "src": "web"})
    )
    detail.show_event(event)
    headers = _children(detail.metadata.topLevelItem(0))
    assert headers["offset"].text(1) == "1"
    assert headers["type"].text(1) == "Ping"
    assert headers["mimetype"].text(1) == "application/json"
    assert headers["id"].text(1) == event.id.hex()
    metadata = detail.metadata.topLevelItem(1)
    assert metadata.text(0) == "Metadata (2)"
    assert {k: v.text(1) for k, v in _children(metadata).items()} == {"region": "eu", "src": "web"}


def test_csv_becomes_a_table(
    qloop: QLoop, client: BrokerClient, detail: QtEventDetail, tmp_path: Path
) -> None:
    body = 'city;temperature;wind\nOslo;3.5;12\nParis;12.0;4\n"Rio; Brazil";29.1;7\n'
    (event,) = _stored(qloop, client, NewEvent(body.encode(), CSV, "Weather"))
    detail.show_event(event)
    assert detail.tabs.currentIndex() == detail.table_tab
    table = detail.table
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert headers == ["city", "temperature", "wind"]
    assert table.rowCount() == 3
    assert [table.item(2, c).text() for c in range(3)] == ["Rio; Brazil", "29.1", "7"]
    assert not detail.tabs.isTabVisible(detail.tree_tab)
    detail.grab().save(str(tmp_path / "detail-csv.png"))


def test_binary_shows_a_hex_dump_and_text_shows_text(
    qloop: QLoop, client: BrokerClient, detail: QtEventDetail, tmp_path: Path
) -> None:
    blob = bytes(range(256)) * 2
    binary, text = _stored(
        qloop,
        client,
        NewEvent(blob, OCTET, "Blob"),
        NewEvent("Ship it — café 🚀\nsecond line".encode(), TEXT, "Note"),
    )
    detail.show_event(binary)
    assert detail.tabs.currentIndex() == detail.hex_tab
    assert not detail.tabs.isTabVisible(detail.text_tab)
    lines = detail.hex.toPlainText().splitlines()
    assert len(lines) == 32
    assert lines[4] == (
        "00000040  40 41 42 43 44 45 46 47  48 49 4a 4b 4c 4d 4e 4f  |@ABCDEFGHIJKLMNO|"
    )
    detail.grab().save(str(tmp_path / "detail-hex.png"))

    detail.show_event(text)
    assert detail.tabs.currentIndex() == detail.text_tab
    assert detail.text.toPlainText() == "Ship it — café 🚀\nsecond line"


def test_raw_shows_the_exact_bytes_and_bad_json_falls_back_to_text(
    qloop: QLoop, client: BrokerClient, detail: QtEventDetail
) -> None:
    compact = b'{"a":1,"b":[true,false]}'
    good, bad = _stored(
        qloop, client, NewEvent(compact, JSON), NewEvent(b'{"a": 1, oops', JSON, "Broken")
    )
    detail.show_event(good)
    assert detail.text.toPlainText() != compact.decode()  # pretty
    detail.raw_button.setChecked(True)
    assert detail.tabs.currentIndex() == detail.text_tab
    assert detail.text.toPlainText() == compact.decode()
    detail.raw_button.setChecked(False)

    detail.show_event(bad)
    assert detail.payload is not None and detail.payload.kind is PayloadKind.TEXT
    assert detail.tabs.currentIndex() == detail.text_tab
    assert detail.text.toPlainText() == '{"a": 1, oops'
    assert not detail.tabs.isTabVisible(detail.tree_tab)


def test_copy_as_json_puts_the_event_on_the_clipboard(
    qloop: QLoop, client: BrokerClient, detail: QtEventDetail
) -> None:
    (event,) = _stored(qloop, client, NewEvent(json.dumps(ORDER).encode(), JSON, "OrderPlaced"))
    detail.show_event(event)
    QApplication.clipboard().clear()
    detail.copy_button.click()
    copied = json.loads(QApplication.clipboard().text())
    assert copied["offset"] == 1
    assert copied["id"] == event.id.hex()
    assert copied["type"] == "OrderPlaced"
    assert copied["data"] == ORDER


def test_nothing_selected_shows_a_hint(detail: QtEventDetail) -> None:
    detail.show_event(None)
    assert detail.stack.currentWidget() is detail.empty


def test_hex_dump_and_csv_helpers() -> None:
    assert hex_dump(b"AB\x00") == "00000000  41 42 00" + " " * 40 + "  |AB.|"
    assert hex_dump(b"x" * 64, limit=32).endswith("… first 32 B of 64 B shown")
    assert parse_csv("1,2\n3,4\n") == (["Column 1", "Column 2"], [["1", "2"], ["3", "4"]])


def test_a_long_csv_is_read_whole_with_the_dialect_of_its_first_rows() -> None:
    """The delimiter and header are guessed from the first rows (a few KB), every row is read."""
    text = "id;name\n" + "".join(f"{i};name {i}\n" for i in range(5000))
    headers, rows = parse_csv(text)
    assert headers == ["id", "name"]
    assert len(rows) == 5000 and rows[-1] == ["4999", "name 4999"]


def test_json_tokens_tell_keys_from_strings() -> None:
    line = '  "name": "Ada \\"the\\" first", "n": -1.5e3, "ok": true, "x": null'
    kinds = [(line[t.start : t.start + t.length], t.kind) for t in json_tokens(line)]
    assert kinds == [
        ('"name"', TokenKind.KEY),
        ('"Ada \\"the\\" first"', TokenKind.STRING),
        ('"n"', TokenKind.KEY),
        ("-1.5e3", TokenKind.NUMBER),
        ('"ok"', TokenKind.KEY),
        ("true", TokenKind.LITERAL),
        ('"x"', TokenKind.KEY),
        ("null", TokenKind.LITERAL),
    ]
    assert json_colours(dark=True) != json_colours(dark=False)


def test_a_csv_event_the_csv_reader_refuses_is_shown_as_its_text(
    qloop: QLoop, client: BrokerClient, detail: QtEventDetail
) -> None:
    text = "id,blob\n1," + "x" * 200_000 + "\n"
    (row,) = _stored(qloop, client, NewEvent(text.encode(), CSV, "Wide"))
    limit = csv.field_size_limit(131_072)  # Python's default (an import may have raised it)
    try:
        detail.show_event(row)
    finally:
        csv.field_size_limit(limit)
    assert detail.payload is not None and detail.payload.kind is not PayloadKind.CSV
    assert detail.notice.text().startswith("Not readable as CSV (field larger than field limit")
    assert detail.payload.raw() == text, "the whole text, as stored"
