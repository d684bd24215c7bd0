"""The EnSQL panel against a real broker: results, errors, stop, history, saved queries, export."""

from __future__ import annotations

import base64
import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QLineEdit, QMessageBox, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from tests.serve_process import BrokerProcess, create_key
from tests.workbench.conftest import QLoop, connected_session, running_broker, settings_for
from workbench.client.broker_client import BrokerClient
from workbench.client.connection_settings import ConnectionSettings
from workbench.client.records import EventRow, NewEvent, TopicRow
from workbench.models.event_export import ExportFormat, iso_utc
from workbench.models.query_library import QueryLibrary
from workbench.views.qt_event_list_model import SIZE
from workbench.views.qt_export import QtExportJob
from workbench.views.qt_query_panel import QtQueryPanel, default_query, error_color
from workbench.views.qt_session import QtSession

JSON, OCTETS = 50, 0
ORDERS = 300
BIG = 5_000


@dataclass
class Broker:
    process: BrokerProcess
    settings: ConnectionSettings
    published: dict[str, list[NewEvent]] = field(default_factory=dict)


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    with running_broker(tmp_path_factory, "query") as process:
        key = create_key(process.data_dir, "demo", "all")
        yield Broker(process, settings_for(process, key))


def _order(n: int) -> NewEvent:
    region = "eu" if n % 2 == 0 else "us"
    if n % 50 == 7:  # some binary payloads too
        return NewEvent(
            bytes([n % 256, 0xFF, 0x00, 0xC3]), OCTETS, "Blob", "2.0.0", {"region": region}
        )
    body = {"n": n, "kind": "big" if n % 3 == 0 else "small", "note": f'order {n}, "quoted"'}
    return NewEvent(json.dumps(body).encode(), JSON, "Order", "1.0.0", {"region": region})


@pytest.fixture
def published(qloop: QLoop, broker: Broker) -> dict[str, list[NewEvent]]:
    """Topics ``orders`` (300 mixed events) and ``big`` (5,000), published once per module."""
    if not broker.published:

        async def publish() -> None:
            client = BrokerClient(broker.settings)
            try:
                orders = [_order(n) for n in range(ORDERS)]
                await client.publish(await client.create_topic("orders"), orders)
                big_id = await client.create_topic("big")
                big = [NewEvent(json.dumps({"i": i}).encode(), JSON) for i in range(BIG)]
                for start in range(0, BIG, 1000):
                    await client.publish(big_id, big[start : start + 1000])
            finally:
                await client.close()
            broker.published.update(orders=orders, big=big)

        qloop.run(publish())
    return broker.published


@pytest.fixture
def session(
    qloop: QLoop, broker: Broker, published: dict[str, list[NewEvent]]
) -> Iterator[QtSession]:
    with connected_session(qloop, broker.settings) as connected:
        yield connected


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    return tmp_path / "config"


@pytest.fixture
def panel(qtbot: QtBot, session: QtSession, config_dir: Path) -> QtQueryPanel:
    widget = QtQueryPanel(session, QueryLibrary(config_dir))
    qtbot.addWidget(widget)
    widget.resize(1200, 700)
    widget.show()
    widget.set_topic(_topic(session, "orders"))
    return widget


def _topic(session: QtSession, name: str) -> TopicRow:
    return next(t for t in session.topics if t.name == name)


def _run(qloop: QLoop, panel: QtQueryPanel, query: str) -> None:
    panel.run_query(query)
    qloop.until(lambda: not panel.is_running(), what=f"the query {query!r} to finish")


def _wait(qloop: QLoop, job: QtExportJob) -> None:
    qloop.until(lambda: job.done, what=f"the export to {job.path}")


def _expected(published: list[NewEvent], region: str, kind: str) -> list[int]:
    """Offsets (1-based, in publishing order) of JSON orders with this region and kind."""
    return [
        n + 1
        for n, event in enumerate(published)
        if event.mimetype == JSON
        and event.metadata["region"] == region
        and json.loads(event.data)["kind"] == kind
    ]


WHERE = "SELECT * FROM orders WHERE metadata.region = 'eu' AND data.kind = 'big'"


def test_a_where_query_shows_exactly_the_matching_events(
    qloop: QLoop, qtbot: QtBot, panel: QtQueryPanel, published: dict[str, list[NewEvent]]
) -> None:
    assert panel.editor.toPlainText() == "SELECT * FROM orders LIMIT 100"
    _run(qloop, panel, WHERE)

    expected = _expected(published["orders"], "eu", "big")
    rows = panel.model.rows()
    assert [row.offset for row in rows] == expected
    assert all(row.metadata["region"] == "eu" for row in rows)
    assert all(json.loads(row.data)["kind"] == "big" for row in rows)
    assert panel.status_label.text().startswith(f"{len(expected)} events in ")
    assert panel.run_button.isEnabled() and not panel.stop_button.isEnabled()
    assert panel.export_results_button.isEnabled()
    first = panel.model.index(0, SIZE)
    assert first.data() == f"{rows[0].size} B", "sizes read as in the event table"
    assert first.data(Qt.ItemDataRole.ToolTipRole) == f"{rows[0].size:,} bytes"

    with qtbot.waitSignal(panel.event_selected) as selected:
        panel.table.selectRow(2)
    event = selected.args[0]
    assert isinstance(event, EventRow) and event.offset == expected[2]


def test_ctrl_return_runs_the_query(qloop: QLoop, qtbot: QtBot, panel: QtQueryPanel) -> None:
    panel.activateWindow()
    qtbot.waitUntil(panel.isActiveWindow)
    panel.editor.setFocus()
    panel.editor.setPlainText("SELECT * FROM orders LIMIT 7")
    qtbot.keyClick(panel.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert panel.is_running()
    qloop.until(lambda: not panel.is_running(), what="the query to finish")
    assert panel.model.rowCount() == 7
    assert panel.editor.toPlainText() == "SELECT * FROM orders LIMIT 7"  # no newline typed


def test_results_arrive_in_batches_and_stop_at_the_cap(qloop: QLoop, panel: QtQueryPanel) -> None:
    inserts: list[int] = []
    panel.model.rowsInserted.connect(lambda _parent, first, last: inserts.append(last - first + 1))
    panel.max_results = 1_234
    _run(qloop, panel, "SELECT * FROM big")
    assert panel.model.rowCount() == 1_234
    assert len(inserts) < 1_234 / 50  # never one insertion per event
    assert "stopped at 1,234" in panel.status_label.text()


def test_a_bad_query_shows_the_brokers_error_and_no_rows(qloop: QLoop, panel: QtQueryPanel) -> None:
    _run(qloop, panel, "SELECT * FROM orders LIMIT 5")
    assert panel.model.rowCount() == 5

    _run(qloop, panel, "SELECT * FORM orders")
    status = panel.status_label.text()
    assert "column 10" in status and "expected" in status.lower()
    assert panel.model.rowCount() == 0
    color = panel.status_label.palette().color(panel.status_label.foregroundRole())
    assert color == error_color(panel.palette())
    assert panel.editor.textCursor().positionInBlock() == 9  # the cursor points at the mistake

    _run(qloop, panel, "SELECT * FROM orders LIMIT 1")
    assert panel.status_label.text().startswith("1 event in ")
    assert panel.status_label.palette().color(panel.status_label.foregroundRole()) != color


def test_stop_cancels_a_long_query(qloop: QLoop, panel: QtQueryPanel) -> None:
    panel.model.rowsInserted.connect(lambda *_: panel.stop())  # stop as soon as rows show
    panel.run_query("SELECT * FROM big")
    assert panel.is_running() and panel.stop_button.isEnabled()
    qloop.until(lambda: not panel.is_running(), what="the query to stop")

    shown = panel.model.rowCount()
    assert 0 < shown < BIG
    assert "stopped" in panel.status_label.text()
    assert panel.run_button.isEnabled() and not panel.stop_button.isEnabled()
    assert [row.offset for row in panel.model.rows()] == list(range(1, shown + 1))


def test_history_records_queries_and_persists(
    qloop: QLoop, qtbot: QtBot, panel: QtQueryPanel, session: QtSession, config_dir: Path
) -> None:
    _run(qloop, panel, "SELECT * FROM orders LIMIT 3")
    _run(qloop, panel, WHERE)
    _run(qloop, panel, "SELECT * FROM orders LIMIT 3")  # a repeat moves to the top
    assert [panel.history_combo.itemData(i) for i in range(panel.history_combo.count())] == [
        "SELECT * FROM orders LIMIT 3",
        WHERE,
    ]
    assert QueryLibrary(config_dir).history() == ["SELECT * FROM orders LIMIT 3", WHERE]

    fresh = QtQueryPanel(session, QueryLibrary(config_dir))
    qtbot.addWidget(fresh)
    assert fresh.history_combo.count() == 2
    fresh.history_combo.activated.emit(1)  # as when the user picks it
    assert fresh.editor.toPlainText() == WHERE
    assert fresh.history_combo.currentIndex() == -1


def test_saved_queries_belong_to_their_topic(
    panel: QtQueryPanel, session: QtSession, config_dir: Path
) -> None:
    assert not panel.saved_combo.isEnabled()
    panel.editor.setPlainText(WHERE)
    panel.save_current_query("big eu orders")
    assert panel.saved_combo.count() == 1 and panel.saved_combo.itemText(0) == "big eu orders"

    panel.set_topic(_topic(session, "big"))
    assert panel.saved_combo.count() == 0  # nothing saved for this topic
    assert panel.editor.toPlainText() == WHERE  # the user's query is kept

    panel.editor.clear()
    panel.set_topic(_topic(session, "big"))
    assert panel.editor.toPlainText() == default_query("big")
    panel.set_topic(_topic(session, "orders"))  # a default follows the topic
    assert panel.editor.toPlainText() == default_query("orders")
    panel.saved_combo.activated.emit(0)
    assert panel.editor.toPlainText() == WHERE

    library = QueryLibrary(config_dir)
    assert library.saved("orders") == {"big eu orders": WHERE}
    assert library.saved("big") == {}


def test_default_queries_quote_names_that_need_it() -> None:
    assert default_query("orders") == "SELECT * FROM orders LIMIT 100"
    assert default_query("sensors.eu") == 'SELECT * FROM "sensors.eu" LIMIT 100'
    assert default_query("limit") == 'SELECT * FROM "limit" LIMIT 100'


def _published_row(event: NewEvent) -> tuple[bytes, dict[str, str], str]:
    return event.data, event.metadata, event.type_name


def test_results_export_to_json_lines_and_csv(
    qloop: QLoop, panel: QtQueryPanel, tmp_path: Path, published: dict[str, list[NewEvent]]
) -> None:
    _run(qloop, panel, "SELECT * FROM orders WHERE metadata.region = 'us'")
    orders = published["orders"]
    expected = [n + 1 for n, e in enumerate(orders) if e.metadata["region"] == "us"]
    assert [row.offset for row in panel.model.rows()] == expected

    jsonl = tmp_path / "us.jsonl"
    job = panel.export_results(jsonl, ExportFormat.JSONL, show_progress=False)
    _wait(qloop, job)
    lines = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    assert [line["offset"] for line in lines] == expected
    for line in lines:
        event = orders[line["offset"] - 1]
        assert line["metadata"] == event.metadata and line["type"] == event.type_name
        if event.mimetype == JSON:
            assert line["data"] == json.loads(event.data)
        else:
            assert base64.b64decode(line["data"]["base64"]) == event.data
    assert f"Exported {len(expected)} events" in panel.status_label.text()

    table = tmp_path / "us.csv"
    job = panel.export_results(table, ExportFormat.CSV, show_progress=False)
    _wait(qloop, job)
    with table.open(newline="", encoding="utf-8") as file:
        records = list(csv.DictReader(file))
    assert [int(r["offset"]) for r in records] == expected
    for record in records:
        event = orders[int(record["offset"]) - 1]
        data = (
            base64.b64decode(record["data"])
            if record["data_encoding"] == "base64"
            else record["data"].encode()
        )
        metadata = {"region": record["metadata.region"]}
        assert (data, metadata, record["type"]) == _published_row(event)


def test_a_whole_topic_exports_with_progress_to_the_total(
    qloop: QLoop, panel: QtQueryPanel, session: QtSession, tmp_path: Path
) -> None:
    panel.set_topic(_topic(session, "big"))
    path = tmp_path / "big.jsonl"
    job = panel.export_topic(path, ExportFormat.JSONL)
    assert job is not None and job.dialog is not None and job.total == BIG
    progress: list[int] = []
    job.progress.connect(progress.append)
    _wait(qloop, job)

    assert progress[-1] == BIG and progress == sorted(progress) and len(progress) > 2
    assert job.count == BIG
    lines = path.read_text().splitlines()
    assert [json.loads(line)["data"]["i"] for line in lines] == list(range(BIG))
    assert [json.loads(line)["offset"] for line in lines[:3]] == [1, 2, 3]


def test_cancelling_an_export_midway_leaves_no_file(
    qloop: QLoop, qtbot: QtBot, panel: QtQueryPanel, session: QtSession, tmp_path: Path
) -> None:
    panel.set_topic(_topic(session, "big"))
    path = tmp_path / "out" / "big.csv"
    path.parent.mkdir()
    job = panel.export_topic(path, ExportFormat.CSV)
    assert job is not None and job.dialog is not None
    cancel = job.dialog.findChild(QPushButton)
    assert cancel is not None and cancel.text() == "Cancel"
    job.progress.connect(lambda _count: qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton))
    cancelled: list[bool] = []
    job.cancelled.connect(lambda: cancelled.append(True))
    _wait(qloop, job)

    assert cancelled == [True] and 0 < job.count < BIG
    assert list(path.parent.iterdir()) == []
    assert "cancelled" in panel.status_label.text()


def test_a_saved_query_can_be_deleted_from_the_delete_menu(
    panel: QtQueryPanel, config_dir: Path
) -> None:
    panel.editor.setPlainText(WHERE)
    panel.save_current_query("eu orders")
    panel.save_current_query("keep me")
    assert panel.delete_button.isEnabled()

    panel.delete_menu.aboutToShow.emit()
    actions = {a.text(): a for a in panel.delete_menu.actions()}
    assert set(actions) == {"Delete “eu orders”", "Delete “keep me”"}
    actions["Delete “eu orders”"].trigger()
    assert [panel.saved_combo.itemText(i) for i in range(panel.saved_combo.count())] == ["keep me"]
    assert QueryLibrary(config_dir).saved("orders") == {"keep me": WHERE}

    panel.delete_saved_query("keep me")
    assert panel.saved_combo.count() == 0
    assert not panel.delete_button.isEnabled() and not panel.saved_combo.isEnabled()


def _save_dialog(qtbot: QtBot, owner: QWidget) -> QFileDialog:
    dialog = owner.findChild(QFileDialog)
    assert dialog is not None, "the save dialog is open"
    qtbot.waitExposed(dialog)
    return dialog


def _type_file_name(qtbot: QtBot, dialog: QFileDialog, path: Path) -> None:
    """Go to the file's folder and type its name into the file name field, as a user does."""
    dialog.setDirectory(str(path.parent))
    edit = dialog.findChild(QLineEdit, "fileNameEdit")
    assert edit is not None
    edit.clear()
    qtbot.keyClicks(edit, path.name)


def test_the_typed_extension_decides_the_export_format_and_the_filter_follows(
    qloop: QLoop, qtbot: QtBot, panel: QtQueryPanel, tmp_path: Path
) -> None:
    _run(qloop, panel, "SELECT * FROM orders WHERE metadata.region = 'us' LIMIT 20")
    rows = panel.model.rows()
    assert len(rows) == 20

    # orders.csv typed while the JSON Lines filter is selected: a CSV file
    qtbot.mouseClick(panel.export_results_button, Qt.MouseButton.LeftButton)
    dialog = _save_dialog(qtbot, panel)
    assert dialog.selectedNameFilter().startswith("JSON Lines")
    _type_file_name(qtbot, dialog, tmp_path / "orders.csv")
    dialog.accept()
    table = tmp_path / "orders.csv"
    qloop.until(table.exists, what="the CSV export")
    with table.open(newline="", encoding="utf-8") as file:
        records = list(csv.DictReader(file))
    assert [int(r["offset"]) for r in records] == [row.offset for row in rows]

    # the filter follows the name as it is typed
    qtbot.mouseClick(panel.export_results_button, Qt.MouseButton.LeftButton)
    dialog = _save_dialog(qtbot, panel)
    _type_file_name(qtbot, dialog, tmp_path / "again.csv")
    assert dialog.selectedNameFilter().startswith("CSV")
    _type_file_name(qtbot, dialog, tmp_path / "again.jsonl")
    assert dialog.selectedNameFilter().startswith("JSON Lines")
    dialog.accept()
    lines = tmp_path / "again.jsonl"
    qloop.until(lines.exists, what="the JSON Lines export")

    # an extension that is neither asks which format to write
    qtbot.mouseClick(panel.export_results_button, Qt.MouseButton.LeftButton)
    dialog = _save_dialog(qtbot, panel)
    _type_file_name(qtbot, dialog, tmp_path / "orders.txt")
    dialog.accept()
    question = next(box for box in panel.findChildren(QMessageBox) if box.isVisible())
    assert "orders.txt" in question.text()
    choices = {button.text(): button for button in question.buttons()}
    assert {"JSON Lines", "CSV", "Cancel"} <= set(choices)
    qtbot.mouseClick(choices["CSV"], Qt.MouseButton.LeftButton)
    text = tmp_path / "orders.txt"
    qloop.until(text.exists, what="the export the user chose")
    assert text.read_text(encoding="utf-8").splitlines()[0].startswith("offset,")


def test_csv_and_json_lines_exports_share_times_and_csv_has_metadata_columns(
    qloop: QLoop, panel: QtQueryPanel, tmp_path: Path
) -> None:
    _run(qloop, panel, "SELECT * FROM orders LIMIT 10")
    rows = panel.model.rows()
    for path, fmt in (
        (tmp_path / "o.csv", ExportFormat.CSV),
        (tmp_path / "o.jsonl", ExportFormat.JSONL),
    ):
        _wait(qloop, panel.export_results(path, fmt, show_progress=False))
    with (tmp_path / "o.csv").open(newline="", encoding="utf-8") as file:
        records = list(csv.DictReader(file))
    lines = [json.loads(line) for line in (tmp_path / "o.jsonl").read_text().splitlines()]
    for record, line, row in zip(records, lines, rows, strict=True):
        assert record["committed"] == line["committed"] == iso_utc(row.committed_ms)
        assert line["committed"].endswith("Z") and "." in line["committed"]
        assert int(record["committed_ms"]) == line["committed_ms"] == row.committed_ms
        assert record["metadata.region"] == line["metadata"]["region"] == row.metadata["region"]
    assert "metadata" not in records[0], "each metadata key has its own column instead"


def test_query_results_show_metadata_keys_as_columns(qloop: QLoop, panel: QtQueryPanel) -> None:
    _run(qloop, panel, "SELECT * FROM orders WHERE metadata.region = 'eu' LIMIT 5")
    model = panel.model
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert "region" in headers, headers
    column = headers.index("region")
    assert [model.data(model.index(r, column)) for r in range(model.rowCount())] == ["eu"] * 5
    assert headers[-1] == "Preview", "the preview stays last, taking the room left"
    assert not panel.table.isColumnHidden(column)
