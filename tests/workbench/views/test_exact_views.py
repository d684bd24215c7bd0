"""Views and copies never change or lose data, and the filter finds what they show: events
published to a real broker, shown in the event table and the detail view offscreen, copied
through their menus and buttons, exported, filtered."""

from __future__ import annotations

import base64
import csv
import json
import time
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QTimer
from PySide6.QtWidgets import QApplication, QMenu, QWidget
from pytestqt.qtbot import QtBot

from tests.serve_process import BrokerProcess, create_key
from tests.workbench.conftest import QLoop, connected_session, running_broker, settings_for
from workbench.client.records import EventRow, NewEvent, TopicRow
from workbench.models.event_export import ExportFormat, export_events, iterate
from workbench.models.event_pages import Column
from workbench.views.qt_composer import QtComposer
from workbench.views.qt_event_detail import QtEventDetail
from workbench.views.qt_event_table import PLACEHOLDER, QtEventTable
from workbench.views.qt_session import QtSession

OCTETS, TEXT, JSON = 0, 1, 50
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c63f8cfc0f01f0005050202a7d7b1a80000000049454e44ae426082"
)
"""A 1x1 PNG: its signature and chunks are full of bytes that are not UTF-8."""
DEPTH = 5_000
DEEP = ("[" * DEPTH + "]" * DEPTH).encode()
EXACT = (
    b'{"big": 12345678901234567890, "precise": 0.10000000000000000555, "exp": 1.0E+2, '
    b'"tiny": 5e-324, "huge": 1e400, "negzero": -0, "twice": 1, "twice": 2, '
    b'"escaped": "\\u6771\\u4eac \\ud83d\\ude00", "lone": "\\ud800"}'
)
"""JSON whose values Python's json module would change: digits beyond a float's precision,
spellings of numbers, an overflow to infinity, -0, a duplicate key, and a lone surrogate."""


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerProcess]:
    with running_broker(tmp_path_factory, "exact") as process:
        yield process


@pytest.fixture
def session(qloop: QLoop, broker: BrokerProcess) -> Iterator[QtSession]:
    key = create_key(broker.data_dir, "demo", "all")
    with connected_session(qloop, settings_for(broker, key)) as connected:
        yield connected


@pytest.fixture
def table(qtbot: QtBot, session: QtSession) -> QtEventTable:
    widget = QtEventTable(session)
    qtbot.addWidget(widget)
    widget.resize(1200, 500)
    widget.show()
    return widget


@pytest.fixture
def detail(qtbot: QtBot) -> QtEventDetail:
    widget = QtEventDetail()
    qtbot.addWidget(widget)
    widget.resize(900, 600)
    widget.show()
    return widget


def _shown(qloop: QLoop, session: QtSession, table: QtEventTable, *events: NewEvent) -> TopicRow:
    """Publish events to a new topic and show it in the table, every row loaded."""
    client = session.client
    assert client is not None
    name = f"exact-{time.monotonic_ns()}"
    topic_id = qloop.run(client.create_topic(name))
    qloop.run(client.publish(topic_id, list(events)))
    session.refresh_topics()
    qloop.until(lambda: session.topic(topic_id) is not None, what=f"topic {name}")
    topic = session.topic(topic_id)
    assert topic is not None
    table.show_topic(topic)
    last = len(events) - 1
    qloop.until(
        lambda: (
            table.model.rowCount() == len(events)
            and table.model.data(table.model.index(last, Column.PREVIEW)) != PLACEHOLDER
        ),
        what="the rows",
    )
    return topic


def _stored(table: QtEventTable, row: int) -> EventRow:
    event = table.model.event_at(row)
    assert event is not None
    return event


def _choose_in_context_menu(table: QtEventTable, row: int, choose: Callable[[QMenu], None]) -> None:
    """Open the row's context menu as a right click does and let ``choose`` act on it."""
    seen: list[QMenu] = []

    def act() -> None:
        menu = QApplication.activePopupWidget()
        assert isinstance(menu, QMenu), "the context menu is open"
        seen.append(menu)
        try:
            choose(menu)
        finally:
            menu.close()

    QTimer.singleShot(50, act)
    rect = table.view.visualRect(table.model.index(row, Column.PREVIEW))
    table.view.customContextMenuRequested.emit(rect.center() + QPoint(1, 1))
    assert seen, "the context menu opened"


def _trigger(menu: QMenu, starts: str) -> str:
    action = next((a for a in menu.actions() if a.text().startswith(starts)), None)
    assert action is not None, f"{starts!r} in {[a.text() for a in menu.actions()]}"
    action.trigger()
    return action.text()


def _grab(widget: QWidget, path: Path) -> None:
    """Save a picture of ``widget`` once its layout has settled."""
    QApplication.processEvents()
    widget.grab().save(str(path))


def _clipboard() -> tuple[str, dict[str, bytes]]:
    data = QApplication.clipboard().mimeData()
    return data.text(), {f: bytes(data.data(f).data()) for f in data.formats()}


def test_copy_payload_of_a_png_puts_its_exact_bytes_on_the_clipboard(
    qloop: QLoop, session: QtSession, table: QtEventTable, tmp_path: Path
) -> None:
    _shown(qloop, session, table, NewEvent(PNG, OCTETS, "Snapshot"))
    labels: list[str] = []
    _choose_in_context_menu(table, 0, lambda menu: labels.append(_trigger(menu, "Copy payload")))
    text, formats = _clipboard()
    assert "base64" in labels[0], "the menu says what form the text takes"
    assert base64.b64decode(text, validate=True) == PNG
    assert formats["application/octet-stream"] == PNG
    assert formats["image/png"] == PNG  # pasted into an image editor: the picture

    _choose_in_context_menu(table, 0, lambda menu: _trigger(menu, "Copy payload (hex)"))
    assert bytes.fromhex(QApplication.clipboard().text()) == PNG

    text_event = "Grüße, 東京 — line\nand a tab\t".encode()
    _shown(qloop, session, table, NewEvent(text_event, TEXT, "Note"))
    _choose_in_context_menu(table, 0, lambda menu: _trigger(menu, "Copy payload"))
    text, formats = _clipboard()
    assert text.encode("utf-8") == text_event, "text is copied as the text itself"
    assert formats["application/octet-stream"] == text_event
    _grab(table, tmp_path / "table-binary.png")


def test_a_json_event_nested_thousands_deep_is_shown_copied_and_exported(
    qloop: QLoop,
    session: QtSession,
    table: QtEventTable,
    detail: QtEventDetail,
    tmp_path: Path,
) -> None:
    _shown(qloop, session, table, NewEvent(DEEP, JSON, "Deep"), NewEvent(b'{"ok": 1}', JSON))
    deep = _stored(table, 0)
    detail.show_event(_stored(table, 1))
    detail.show_event(deep)  # a RecursionError here left the previous event on screen
    assert detail.current_event is deep
    assert detail.notice.isVisibleTo(detail)
    assert "too deep" in detail.notice.text() and f"{DEPTH:,}" in detail.notice.text()
    assert not detail.tabs.isTabVisible(detail.tree_tab)
    assert detail.tabs.currentIndex() == detail.text_tab
    assert detail.text.toPlainText().encode() == DEEP
    _grab(detail, tmp_path / "detail-deep.png")

    detail.copy_button.click()
    copied = json.loads(QApplication.clipboard().text())
    assert copied["data"].encode() == DEEP and copied["data_encoding"] == "utf-8"
    _choose_in_context_menu(table, 0, lambda menu: _trigger(menu, "Copy as JSON"))
    assert json.loads(QApplication.clipboard().text())["data"].encode() == DEEP

    path = tmp_path / "deep.jsonl"
    qloop.run(export_events(iterate([deep]), path, ExportFormat.JSONL, lambda n: None, bool))
    assert json.loads(path.read_text(encoding="utf-8"))["data"].encode() == DEEP


def _strict(text: str) -> object:
    """Parse JSON as RFC 8259 does: NaN and Infinity are not JSON."""

    def refuse(name: str) -> object:
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


def test_json_values_are_shown_copied_and_exported_as_written(
    qloop: QLoop,
    session: QtSession,
    table: QtEventTable,
    detail: QtEventDetail,
    tmp_path: Path,
) -> None:
    _shown(qloop, session, table, NewEvent(EXACT, JSON, "Exact"))
    event = _stored(table, 0)
    detail.show_event(event)
    root = detail.tree.topLevelItem(0)
    shown = [(root.child(i).text(0), root.child(i).text(1)) for i in range(root.childCount())]
    assert shown == [
        ("big", "12345678901234567890"),
        ("precise", "0.10000000000000000555"),
        ("exp", "1.0E+2"),
        ("tiny", "5e-324"),
        ("huge", "1e400"),
        ("negzero", "-0"),
        ("twice", "1"),
        ("twice", "2"),
        ("escaped", "東京 😀"),
        ("lone", "\\ud800"),  # a lone surrogate is no character: shown as its escape
    ]
    pretty = detail.text.toPlainText()
    for literal in ("12345678901234567890", "0.10000000000000000555", "1.0E+2", "1e400", "-0"):
        assert f": {literal}" in pretty
    assert '"escaped": "東京 😀"' in pretty and '"lone": "\\ud800"' in pretty
    _grab(detail, tmp_path / "detail-exact.png")

    detail.copy_button.click()
    copied = QApplication.clipboard().text()
    assert '"big": 12345678901234567890' in copied and '"precise": 0.10000000000000000555' in copied
    assert copied.count('"twice"') == 2

    jsonl, csv_path = tmp_path / "exact.jsonl", tmp_path / "exact.csv"
    for path, fmt in ((jsonl, ExportFormat.JSONL), (csv_path, ExportFormat.CSV)):
        qloop.run(export_events(iterate([event]), path, fmt, lambda n: None, bool))
    line = jsonl.read_text(encoding="utf-8")
    record = _strict(line)  # valid JSON, with the values as written
    assert isinstance(record, dict) and record["data_encoding"] == "json"
    for literal in ("12345678901234567890", "0.10000000000000000555", "1.0E+2", "1e400"):
        assert f": {literal}" in line
    assert line.count('"twice"') == 2
    with csv_path.open(encoding="utf-8", newline="") as file:
        (row,) = list(csv.DictReader(file))
    assert row["data"].encode() == EXACT and row["data_encoding"] == "utf-8"


def test_what_json_cannot_hold_is_exported_as_its_text(
    qloop: QLoop, session: QtSession, table: QtEventTable, detail: QtEventDetail, tmp_path: Path
) -> None:
    not_strict = b'{"ratio": NaN, "limit": Infinity, "floor": -Infinity}'
    not_utf8 = b"caf\xe9 au lait"  # Latin-1 bytes sent as text/plain
    _shown(
        qloop,
        session,
        table,
        NewEvent(not_strict, JSON, "Odd"),
        NewEvent(not_utf8, TEXT, "Latin1"),
    )
    odd, latin = _stored(table, 0), _stored(table, 1)
    path = tmp_path / "odd.jsonl"
    qloop.run(export_events(iterate([odd, latin]), path, ExportFormat.JSONL, lambda n: None, bool))
    first, second = (_strict(line) for line in path.read_text(encoding="utf-8").splitlines())
    assert isinstance(first, dict) and isinstance(second, dict)
    assert first["data"].encode() == not_strict and first["data_encoding"] == "utf-8"
    assert second["data_encoding"] == "base64"
    assert base64.b64decode(second["data"]["base64"]) == not_utf8

    detail.show_event(odd)
    assert "NaN" in detail.text.toPlainText()
    detail.show_event(latin)
    assert detail.tabs.currentIndex() == detail.hex_tab
    assert detail.notice.isVisibleTo(detail) and "not valid utf-8" in detail.notice.text().lower()
    _grab(detail, tmp_path / "detail-latin1.png")
    _choose_in_context_menu(table, 1, lambda menu: _trigger(menu, "Copy payload"))
    _text, formats = _clipboard()
    assert formats["application/octet-stream"] == not_utf8


def test_a_huge_string_is_shown_at_once_and_copied_whole(
    qloop: QLoop, session: QtSession, table: QtEventTable, detail: QtEventDetail, tmp_path: Path
) -> None:
    huge = "x" * 3_000_000
    payload = json.dumps({"blob": huge, "after": 1}).encode()
    _shown(qloop, session, table, NewEvent(payload, JSON, "Huge"))
    event = _stored(table, 0)
    started = time.monotonic()
    detail.show_event(event)
    detail.grab()
    assert time.monotonic() - started < 5.0
    blob = detail.tree.topLevelItem(0).child(0)
    assert blob.text(0) == "blob"
    assert len(blob.text(1)) < 10_000, "the tree shows the start of a huge value"
    assert "3,000,000 characters" in blob.toolTip(1)
    _grab(detail, tmp_path / "detail-huge.png")
    detail.copy_button.click()
    assert json.loads(QApplication.clipboard().text())["data"]["blob"] == huge


def test_ctrl_c_on_a_row_copies_the_values_as_written(
    qloop: QLoop, session: QtSession, table: QtEventTable
) -> None:
    _shown(qloop, session, table, NewEvent(EXACT, JSON, "Exact"))
    table.view.selectRow(0)
    table.copy_selected()
    copied = QApplication.clipboard().text()
    assert '"precise": 0.10000000000000000555' in copied


def _visible_rows(table: QtEventTable) -> list[int]:
    model = table.model
    return [model.event_at(r).offset for r in range(model.rowCount())]  # type: ignore[union-attr]


def test_the_filter_finds_what_the_views_show(
    qloop: QLoop, session: QtSession, table: QtEventTable, detail: QtEventDetail, tmp_path: Path
) -> None:
    escaped = json.dumps({"city": "東京", "greeting": "привет", "path": "a/b"}).replace("/", "\\/")
    nfd = unicodedata.normalize("NFD", "Café Müller")
    _shown(
        qloop,
        session,
        table,
        NewEvent(json.dumps({"city": "大阪"}, ensure_ascii=False).encode(), JSON, "Osaka"),
        NewEvent(escaped.encode(), JSON, "Tokyo"),  # \uXXXX escapes, as json.dumps writes them
        NewEvent(nfd.encode(), TEXT, "Decomposed", metadata={"Straße": "Hauptstraße"}),
        NewEvent(PNG, OCTETS, "Image"),
    )
    detail.show_event(_stored(table, 1))
    assert "東京" in detail.text.toPlainText() and "привет" in detail.text.toPlainText()

    cases = {
        "大阪": [1],
        "東京": [2],
        "привет": [2],
        "ПРИВЕТ": [2],  # case folding beyond ASCII
        '"city": "東京"': [2],  # as the pretty text shows it
        "a/b": [2],  # \/ is a plain /
        "\\u6771": [2],  # the raw text still matches
        "café müller": [3],  # NFC typed, NFD stored
        "STRASSE": [3],  # ß folds to ss
        "89 50 4e 47": [4],  # the preview of binary data
        "png": [4],  # its hex dump's text column
        "1 → tokyo": [],
    }
    for needle, offsets in cases.items():
        table.set_filter(needle)
        assert _visible_rows(table) == offsets, needle
    table.set_filter("привет")
    _grab(table, tmp_path / "table-filter.png")


def test_a_long_line_is_shown_without_freezing_the_window(
    qloop: QLoop, session: QtSession, table: QtEventTable, detail: QtEventDetail
) -> None:
    """Qt wraps a line with no place to break in time that grows with its square: a text event
    of 409,600 hex digits took 11 s to show."""
    line = (bytes(range(256)).hex() * 800).encode()
    _shown(qloop, session, table, NewEvent(line, TEXT, "Log"))
    event = _stored(table, 0)
    for raw in (False, True):
        detail.raw_button.setChecked(raw)
        started = time.monotonic()
        detail.show_event(event)
        detail.grab()
        assert time.monotonic() - started < 2.0
        assert detail.text.toPlainText().encode() == line
    detail.raw_button.setChecked(False)


def test_produce_from_this_event_sends_the_same_bytes_again(
    qtbot: QtBot, qloop: QLoop, session: QtSession, table: QtEventTable
) -> None:
    """A text editor turns \\r\\n, \\r, U+2028 and U+2029 into \\n and drops a leading byte
    order mark: loaded as text, such an event was sent again changed."""
    payloads = [
        (b"id,name\r\n1,Ada\r\n", 2),
        ('{"sep": "a\u2028b"}'.encode(), JSON),
        (b"\xef\xbb\xbfid,name\n1,Ada\n", 2),
        (PNG, OCTETS),
    ]
    _shown(qloop, session, table, *(NewEvent(data, mime, "Again") for data, mime in payloads))
    composer = QtComposer(session, lambda: None)
    qtbot.addWidget(composer)
    client = session.client
    assert client is not None
    for row, (data, _mime) in enumerate(payloads):
        composer.load_stored(_stored(table, row))
        again = composer.composed_event()
        assert again.data == data
        topic_id = _stored(table, row).topic_id
        result = qloop.run(client.publish(topic_id, [again]))
        (echo,) = qloop.run(
            client.read_events(topic_id, offset=result.first_offset, limit=1)
        ).events
        assert echo.data == data
