"""Test a key: pick or paste a ClientID and ClientSecret, pick a topic, and see for each
operation whether the key may do it, and why not. The check leaves no trace
(:mod:`workbench.models.key_check`)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.client.connection_settings import ConnectionSettings
from workbench.client.records import KeyRow, TopicRow
from workbench.models.key_check import OPERATIONS, CheckResult, check_key
from workbench.views.qt_connect_code import note_label
from workbench.views.qt_themes import error_color

PASSED, FAILED, NOT_TRIED = "✔ pass", "✘ fail", "· not tried"
PASS_COLOR = QColor("#3dae5a")  # the broker panel's "Ready" green: readable on both themes
OPERATION, RESULT, REASON = range(3)


class QtKeyCheckDialog(QDialog):
    """Tries every operation with a key and shows pass or fail with the reason."""

    def __init__(
        self,
        broker: ConnectionSettings,
        keys: Sequence[KeyRow],
        topics: Sequence[TopicRow],
        parent: QWidget | None = None,
    ) -> None:
        """
        Args:
            broker: where to check (its own key fields are not used).
            keys: keys to pick from (their ClientIDs; a secret is always typed or pasted).
            topics: topics to check publishing, subscribing and querying against.
            parent: the window.
        """
        super().__init__(parent)
        self.setWindowTitle("Test a key")
        self._broker = broker
        self._task: asyncio.Task[None] | None = None
        self.client_id_box = QComboBox()
        self.client_id_box.setEditable(True)
        self.client_id_box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        for key in keys:
            if not key.revoked_ms:
                self.client_id_box.addItem(key.client_id)
                self.client_id_box.setItemData(
                    self.client_id_box.count() - 1, key.name, Qt.ItemDataRole.ToolTipRole
                )
        self.client_id_box.setCurrentText("")
        line = self.client_id_box.lineEdit()
        assert line is not None  # the box is editable
        line.setPlaceholderText("pick a key, or paste a ClientID")
        self.secret_edit = QLineEdit()
        self.secret_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret_edit.setPlaceholderText("paste the key's ClientSecret")
        reveal = QCheckBox("Show")
        reveal.toggled.connect(
            lambda on: self.secret_edit.setEchoMode(
                QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password
            )
        )
        secret_row = QHBoxLayout()
        secret_row.addWidget(self.secret_edit, 1)
        secret_row.addWidget(reveal)
        self.topic_box = QComboBox()
        self.topic_box.addItem("(no topic: check the permissions only)", None)
        self._topics = list(topics)
        for topic in self._topics:
            self.topic_box.addItem(f"{topic.project_name} / {topic.name}", topic.name)
        self.run_button = QPushButton("Run the check")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.run_check)

        self.table = QTableWidget(len(OPERATIONS), 3)
        self.table.setHorizontalHeaderLabels(["Operation", "Result", "Reason"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(OPERATION, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(RESULT, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(REASON, QHeaderView.ResizeMode.Stretch)
        self._clear_rows()
        rows = len(OPERATIONS) + 1.5
        self.table.setMinimumHeight(int(self.table.verticalHeader().defaultSectionSize() * rows))

        form = QFormLayout()
        form.addRow("ClientID", self.client_id_box)
        form.addRow("ClientSecret", secret_row)
        form.addRow("Topic", self.topic_box)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.run_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.table, 1)
        layout.addWidget(
            note_label(
                "The check changes nothing: it publishes an empty event and creates a topic with "
                "an invalid name (both refused after the permission check), destroys a topic "
                "that does not exist, and only reads the chosen topic."
            )
        )
        layout.addWidget(buttons)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 110)
        self.finished.connect(self._stop)

    def set_key(self, client_id: str, secret: str) -> None:
        """Fill in the key to check."""
        self.client_id_box.setCurrentText(client_id)
        self.secret_edit.setText(secret)

    def choose_topic(self, name: str) -> None:
        """Check against the topic of this name (as listed)."""
        self.topic_box.setCurrentIndex(max(0, self.topic_box.findData(name)))

    def results(self) -> dict[str, tuple[str, str]]:
        """Each operation's result and reason as shown (empty while not yet checked)."""
        return {
            self._text(row, OPERATION): (self._text(row, RESULT), self._text(row, REASON))
            for row in range(self.table.rowCount())
        }

    def is_running(self) -> bool:
        """True while a check runs."""
        return self._task is not None and not self._task.done()

    def run_check(self) -> asyncio.Task[None] | None:
        """Check the key now (the previous check, if running, is stopped)."""
        client_id = self.client_id_box.currentText().strip()
        secret = self.secret_edit.text().strip()
        if not client_id or not secret:
            self._item(0, REASON).setText("Give a ClientID and its ClientSecret.")
            return None
        self._stop()
        self._clear_rows()
        index = self.topic_box.currentIndex()
        topic = self._topics[index - 1] if index > 0 else None
        self.run_button.setEnabled(False)
        self._task = asyncio.ensure_future(self._check(client_id, secret, topic))
        return self._task

    async def _check(self, client_id: str, secret: str, topic: TopicRow | None) -> None:
        try:
            async for result in check_key(self._broker, client_id, secret, topic):
                self._show(result)
        finally:
            self.run_button.setEnabled(True)

    def _show(self, result: CheckResult) -> None:
        row = OPERATIONS.index(result.operation)
        verdict = self._item(row, RESULT)
        if not result.tried:
            verdict.setText(NOT_TRIED)
            verdict.setForeground(self.palette().placeholderText())
        else:
            verdict.setText(PASSED if result.passed else FAILED)
            color = PASS_COLOR if result.passed else error_color(self.palette())
            verdict.setForeground(QBrush(color))
        reason = self._item(row, REASON)
        reason.setText(result.reason)
        reason.setToolTip(result.reason)

    def _clear_rows(self) -> None:
        for row, operation in enumerate(OPERATIONS):
            for column, text in ((OPERATION, operation), (RESULT, "…"), (REASON, "")):
                self.table.setItem(row, column, QTableWidgetItem(text))

    def _text(self, row: int, column: int) -> str:
        return self._item(row, column).text()

    def _item(self, row: int, column: int) -> QTableWidgetItem:
        item = self.table.item(row, column)
        assert item is not None  # every cell is filled by _clear_rows
        return item

    def _stop(self, *_: object) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
