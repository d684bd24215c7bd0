"""Capture from a database…: the dialog, the capture child process, its status in the panel."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from pytestqt.qtbot import QtBot

from tests.change_capture.capture_process import topic_events
from tests.change_capture.conftest import postgres  # noqa: F401 - the session's cluster
from tests.postgres_cluster import PostgresCluster
from tests.serve_process import BrokerProcess, create_key
from tests.workbench.conftest import QLoop, connected_session, running_broker, settings_for
from workbench.models.capture_job import POSTGRES, SQLITE, CaptureSpec
from workbench.models.chart_series import ACK_P50, CAPTURE_LAG
from workbench.views.qt_capture import COLUMNS, QtCaptureDialog, QtCapturesPanel
from workbench.views.qt_charts import QtCharts
from workbench.views.qt_session import QtSession


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerProcess]:
    with running_broker(tmp_path_factory, "captures") as process:
        yield process


@pytest.fixture(scope="module")
def key(broker: BrokerProcess) -> dict[str, str]:
    return create_key(broker.data_dir, "local", "all")


@pytest.fixture
def session(qloop: QLoop, broker: BrokerProcess, key: dict[str, str]) -> Iterator[QtSession]:
    with connected_session(qloop, settings_for(broker, key)) as connected:
        yield connected


def cell(panel: QtCapturesPanel, row: int, column: str) -> str:
    item = panel.table.item(row, COLUMNS.index(column))
    return item.text() if item is not None else ""


def fill(dialog: QtCaptureDialog, source: str, location: str, tables: str = "") -> None:
    dialog.source.setCurrentIndex(dialog.source.findData(source))
    dialog.location.setText(location)
    if tables:
        dialog.tables.setText(tables)


def test_a_sqlite_capture_started_from_the_dialog_shows_its_status(
    qtbot: QtBot, qloop: QLoop, session: QtSession, tmp_path: Path
) -> None:
    path = tmp_path / "app.db"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("CREATE TABLE ledger (id INTEGER PRIMARY KEY, balance REAL)")
    panel = QtCapturesPanel(session)
    qtbot.addWidget(panel)
    dialog = panel.ask()
    assert dialog is not None
    ok = dialog.buttons.button(dialog.buttons.StandardButton.Ok)
    fill(dialog, SQLITE, str(path))
    assert not ok.isEnabled() and dialog.problem.text() == "Name at least one table"
    dialog.tables.setText("ledger")
    assert ok.isEnabled() and dialog.problem.text() == "Publishes to main.ledger"
    assert not dialog.snapshot.isEnabled() and not dialog.bank.isEnabled()
    ok.click()
    capture = panel.captures[0]
    qloop.until(lambda: capture.state == "capturing", 60, "the capture running")
    for i in range(3):
        db.execute("INSERT INTO ledger VALUES (?, ?)", (i, i * 1.5))
    qloop.until(lambda: cell(panel, 0, "Changes") == "3", 30, "three changes in the panel")
    assert cell(panel, 0, "Capture") == "SQLite: ledger"
    assert cell(panel, 0, "Topics") == "main.ledger"
    assert cell(panel, 0, "State") == "capturing"
    assert cell(panel, 0, "Position").startswith("change ")
    assert cell(panel, 0, "Lag").endswith("changes behind")
    panel.stop_button.click()
    qloop.until(lambda: capture.state == "stopped", 30, "the capture stopped")
    assert panel.stop_button.text() == "Remove"
    assert any("capturing main.ledger" in line for line in capture.log.lines())
    panel.stop_button.click()
    assert panel.captures == []
    db.close()


def test_a_capture_draws_its_lag_on_the_charts_latency_plot(
    qtbot: QtBot, qloop: QLoop, session: QtSession, broker: BrokerProcess, tmp_path: Path
) -> None:
    path = tmp_path / "app.db"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("CREATE TABLE ledger (id INTEGER PRIMARY KEY, balance REAL)")
    panel = QtCapturesPanel(session)
    charts = QtCharts(session)
    qtbot.addWidget(panel)
    qtbot.addWidget(charts)
    panel.lag_reported.connect(charts.add_capture_lag)  # as the main window wires them
    charts.show()
    assert session.client is not None
    capture = panel.start(CaptureSpec(SQLITE, str(path), ("ledger",)), session.client.settings)
    key = (CAPTURE_LAG, "SQLite: ledger")
    try:
        for i in range(20):
            db.execute("INSERT INTO ledger VALUES (?, ?)", (i, i * 1.5))
        qloop.until(lambda: key in charts.series, 60, "the capture's lag in the charts")
        qloop.until(lambda: charts.series.points(key) >= 3, 30, "three reports")
        charts._redraw()
        curve = charts.curve(key)
        assert curve is not None and curve.isVisible()
        assert curve in charts.plot_of(ACK_P50).listDataItems(), "on the latency plot, in ms"
        _, lags_ms = charts.series.window(key, 60, time.time() + 1)
        assert capture.report is not None
        assert lags_ms[-1] == pytest.approx(capture.report.lag_s * 1000)
        item = charts.legend_item(key)
        assert item is not None and item.text(0) == "SQLite: ledger lag"
        charts.set_topic_filter("main.ledger")  # its one topic: still shown
        assert not item.isHidden()
        charts.set_topic_filter("orders")
        assert item.isHidden()
    finally:
        capture.stop_and_wait()
        db.close()


def test_a_set_up_mistake_is_shown_and_not_retried(
    qtbot: QtBot, qloop: QLoop, session: QtSession, tmp_path: Path
) -> None:
    path = tmp_path / "app.db"
    sqlite3.connect(path).execute("CREATE TABLE other (id INTEGER)").connection.close()
    panel = QtCapturesPanel(session)
    qtbot.addWidget(panel)
    assert session.client is not None
    from workbench.models.capture_job import CaptureSpec

    capture = panel.start(CaptureSpec(SQLITE, str(path), ("missing",)), session.client.settings)
    qloop.until(lambda: capture.state == "failed", 60, "the capture failing")
    assert "has no table 'missing'" in capture.problem
    assert capture.crashes == 0
    assert "failed: " in cell(panel, 0, "State")


def test_the_bank_demo_runs_against_a_real_postgresql(
    qtbot: QtBot,
    qloop: QLoop,
    session: QtSession,
    postgres: PostgresCluster,  # noqa: F811
    broker: BrokerProcess,
    key: dict[str, str],
) -> None:
    admin = psycopg2.connect(postgres.dsn())
    admin.autocommit = True
    admin.cursor().execute("CREATE DATABASE bank")
    admin.close()
    dsn = postgres.dsn("bank")
    panel = QtCapturesPanel(session)
    qtbot.addWidget(panel)
    dialog = panel.ask()
    assert dialog is not None
    fill(dialog, POSTGRES, dsn)
    dialog.bank.setChecked(True)
    assert dialog.tables.text() == "public.accounts" and dialog.tables.isReadOnly()
    dialog.slot.setText("bank_demo")
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    capture = panel.captures[0]
    qloop.until(lambda: capture.report is not None and capture.report.changes >= 6, 60, "transfers")
    assert cell(panel, 0, "Position").count("/") == 1
    assert cell(panel, 0, "Lag").endswith("behind")
    capture.stop()
    qloop.until(lambda: capture.state == "stopped", 30, "the capture stopped")
    assert capture.bank is not None and capture.bank.transactions >= 3
    events = topic_events(broker, key, "public.accounts")
    assert len(events) >= 6
    first = events[0].data
    assert first["op"] == "update" and first["table"] == "accounts"
    assert set(first["after"]) == {"id", "owner", "balance", "updated_at"}
    # A transfer is one transaction: two updates that keep the total.
    pairs = [events[i : i + 2] for i in range(0, len(events) - 1, 2)]
    for debit, credit in pairs:
        assert debit.data["xid"] == credit.data["xid"]
