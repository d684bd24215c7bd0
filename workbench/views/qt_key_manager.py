"""The key manager: projects and their API keys. Create projects and keys (the secret shown
once), revoke keys (at once, open streams included), and test what a key may do.

Managing keys needs a ``broker:admin`` key, as the workbench's own key for its embedded broker
is. Key rows refresh every few seconds while the view is shown, so "last used" stays current.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.client.errors import ClientError
from workbench.client.records import KeyRow, ProjectRow
from workbench.client.stream_client import Capability, StreamClient
from workbench.models.key_listing import COLUMNS, PERMISSIONS, KeyLine, key_line
from workbench.models.key_presets import ADMIN
from workbench.views.qt_connect_code import note_label
from workbench.views.qt_flow_layout import QtFlowLayout
from workbench.views.qt_key_check_dialog import QtKeyCheckDialog
from workbench.views.qt_key_dialogs import QtNewKeyDialog, QtNewProjectDialog
from workbench.views.qt_secret_dialog import QtSecretDialog
from workbench.views.qt_session import QtSession

T = TypeVar("T")
KEY_REFRESH_MS = 5_000


class QtKeyManager(QWidget):
    """Projects on the left; the selected project's keys on the right, with their actions."""

    secret_shown = Signal(object)  # QtSecretDialog, once a new key's secret is on screen

    def __init__(self, session: QtSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._projects: list[ProjectRow] = []
        self._keys: list[KeyRow] = []
        self._lines: list[KeyLine] = []
        self._pending_project: bytes = b""
        self.secret_dialog: QtSecretDialog | None = None

        self.project_list = QListWidget()
        self.project_list.currentRowChanged.connect(lambda _row: self.refresh_keys())
        self.new_project_button = QPushButton("New project…")
        self.new_project_button.clicked.connect(self.ask_new_project)
        projects = QWidget()
        left = QVBoxLayout(projects)
        left.setContentsMargins(0, 0, 0, 0)
        left.addWidget(QLabel("<b>Projects</b>"))
        left.addWidget(self.project_list, 1)
        left.addWidget(self.new_project_button)

        self.keys_title = QLabel()
        self.new_key_button = QPushButton("New key…")
        self.revoke_button = QPushButton("Revoke…")
        self.test_button = QPushButton("Test a key…")
        self.refresh_button = QPushButton("Refresh")
        self.new_key_button.clicked.connect(self.ask_new_key)
        self.revoke_button.clicked.connect(lambda: self.ask_revoke())
        self.test_button.clicked.connect(self.ask_test_key)
        self.refresh_button.clicked.connect(self.refresh_projects)
        self.new_key_button.setToolTip("Create an API key; its secret is shown once")
        self.revoke_button.setToolTip("Stop the selected key at once, open streams included")
        self.test_button.setToolTip("Check what a key may do, without changing anything")
        bar = QtFlowLayout()  # wraps on a narrow window instead of widening it
        bar.addWidget(self.keys_title)
        bar.add_stretch()
        bar.add_group(
            self.new_key_button, self.revoke_button, self.test_button, self.refresh_button
        )

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(PERMISSIONS, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_actions)
        self.hint = note_label("")

        keys = QWidget()
        right = QVBoxLayout(keys)
        right.setContentsMargins(0, 0, 0, 0)
        right.addLayout(bar)
        right.addWidget(self.table, 1)
        right.addWidget(self.hint)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(projects)
        split.addWidget(keys)
        split.setStretchFactor(1, 1)
        split.setSizes([self.fontMetrics().averageCharWidth() * 28, 1000])
        layout = QVBoxLayout(self)
        layout.addWidget(split)

        session.connected.connect(lambda _client: self.refresh_projects())
        session.disconnected.connect(self._disconnected)
        session.time_zone_changed.connect(lambda _zone: self._show_keys(self._keys))
        self._ticker = QTimer(self)
        self._ticker.timeout.connect(self._tick)
        self._ticker.start(KEY_REFRESH_MS)
        if session.client is not None:
            self.refresh_projects()
        else:
            self._disconnected("")
        self._update_actions()

    # -- what is shown ------------------------------------------------------------------------

    def selected_project(self) -> ProjectRow | None:
        """The project whose keys are shown."""
        row = self.project_list.currentRow()
        return self._projects[row] if 0 <= row < len(self._projects) else None

    def select_project(self, project_id: bytes) -> None:
        """Show a project's keys (once it is listed)."""
        ids = [p.id for p in self._projects]
        if project_id in ids:
            self.project_list.setCurrentRow(ids.index(project_id))
        else:
            self._pending_project = project_id

    def listed_keys(self) -> list[KeyRow]:
        """The shown project's keys, as last listed (never their secrets)."""
        return list(self._keys)

    def selected_key(self) -> KeyRow | None:
        """The key selected in the table."""
        rows = self.table.selectionModel().selectedRows()
        return self._keys[rows[0].row()] if rows and rows[0].row() < len(self._keys) else None

    def select_key(self, client_id: str) -> None:
        """Select a key's row."""
        for row, key in enumerate(self._keys):
            if key.client_id == client_id:
                self.table.selectRow(row)

    def cell(self, client_id: str, column: int) -> tuple[str, str]:
        """A key's cell as shown: its text and its tooltip."""
        for row, line in enumerate(self._lines):
            if line.client_id == client_id:
                item = self.table.item(row, column)
                return (item.text(), item.toolTip()) if item is not None else ("", "")
        raise KeyError(client_id)

    # -- loading ------------------------------------------------------------------------------

    def refresh_projects(self) -> asyncio.Task[list[ProjectRow]] | None:
        """List the projects again (then the shown project's keys)."""
        client = self._admin_client()
        if client is None:
            return None
        return self._run(client.projects(), self._show_projects, "listing projects")

    def refresh_keys(self) -> asyncio.Task[list[KeyRow]] | None:
        """List the shown project's keys again."""
        client, project = self._admin_client(), self.selected_project()
        if client is None or project is None:
            self._show_keys([])
            return None
        self.keys_title.setText(f"<b>Keys of project {project.name}</b>")
        return self._run(client.keys(project.id), self._show_keys, "listing keys")

    def _show_projects(self, projects: list[ProjectRow]) -> None:
        current = self.selected_project()
        wanted = self._pending_project or (current.id if current else b"")
        client = self._session.client
        if not wanted and client is not None:
            wanted = client.project_id
        self._pending_project = b""
        self._projects = sorted(projects, key=lambda p: p.name.lower())
        self.project_list.blockSignals(True)
        self.project_list.clear()
        for project in self._projects:
            item = QListWidgetItem(project.name)
            item.setToolTip(f"Project {project.name}")
            self.project_list.addItem(item)
        ids = [p.id for p in self._projects]
        self.project_list.setCurrentRow(ids.index(wanted) if wanted in ids else 0)
        self.project_list.blockSignals(False)
        self.refresh_keys()

    def _show_keys(self, keys: list[KeyRow]) -> None:
        selected = self.selected_key()
        client = self._session.client
        settings = client.ensign_settings if client is not None else None
        own = settings.client_id if settings is not None else ""
        now = int(time.time() * 1000)
        self._keys = keys
        zone = self._session.time_zone
        self._lines = [key_line(k, now, own, zone) for k in keys]
        dimmed = QBrush(self.palette().color(QPalette.ColorRole.PlaceholderText))
        self.table.setRowCount(len(self._lines))
        for row, line in enumerate(self._lines):
            for column, (text, tip) in enumerate(zip(line.cells, line.tooltips, strict=True)):
                item = QTableWidgetItem(text)
                item.setToolTip(tip)
                if not line.active:
                    item.setForeground(dimmed)
                self.table.setItem(row, column, item)
        if selected is not None:
            self.select_key(selected.client_id)
        self._update_actions()

    def _tick(self) -> None:
        if self.isVisible() and self._session.client is not None and self._projects:
            self.refresh_keys()

    def _disconnected(self, _reason: str) -> None:
        self._projects, self._keys, self._lines = [], [], []
        self.project_list.clear()
        self.table.setRowCount(0)
        self.keys_title.setText("<b>Keys</b>")
        self.hint.setText("Not connected to a broker.")
        self._update_actions()

    # -- actions ------------------------------------------------------------------------------

    def ask_new_project(self) -> QtNewProjectDialog | None:
        """Ask for a project's name, then create it."""
        if self._admin_client() is None:
            return None
        dialog = QtNewProjectDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.create_project(dialog.project_name()))
        dialog.open()
        return dialog

    def create_project(self, name: str) -> asyncio.Task[ProjectRow] | None:
        """Create a project and show it."""
        client = self._admin_client()
        if client is None:
            return None

        def created(project: ProjectRow) -> None:
            self._pending_project = project.id
            self.refresh_projects()

        return self._run(client.create_project(name), created, f"creating project {name}")

    def ask_new_key(self) -> QtNewKeyDialog | None:
        """Ask for a key's name, project and permissions, then create it."""
        if self._admin_client() is None:
            return None
        project = self.selected_project()
        dialog = QtNewKeyDialog(self._projects, project.id if project else b"", self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(
            lambda: self.create_key(dialog.key_name(), dialog.permissions(), dialog.project_id())
        )
        dialog.open()
        return dialog

    def create_key(
        self, name: str, permissions: list[str], project_id: bytes = b""
    ) -> asyncio.Task[tuple[KeyRow, str]] | None:
        """Create a key, then show its secret (once) in a dialog."""
        client = self._admin_client()
        if client is None:
            return None
        work = client.create_key(name, permissions, project_id)
        return self._run(work, self._show_secret, f"creating key {name}")

    def _show_secret(self, created: tuple[KeyRow, str]) -> None:
        key, secret = created
        client = self._session.client
        if client is None or client.ensign_settings is None:
            return
        project = next((p.name for p in self._projects if p.id == key.project_id), "")
        dialog = QtSecretDialog(key, secret, client.ensign_settings, project, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(self._secret_dialog_gone)
        self.secret_dialog = dialog
        self._pending_project = key.project_id
        self.refresh_projects()
        dialog.open()
        self.secret_shown.emit(dialog)

    def _secret_dialog_gone(self) -> None:
        self.secret_dialog = None

    def ask_revoke(self, key: KeyRow | None = None) -> QMessageBox | None:
        """Ask before revoking a key (the selected one by default)."""
        key = key or self.selected_key()
        if key is None or key.revoked_ms or self._admin_client() is None:
            return None
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            f"Revoke {key.name or key.client_id}",
            f"Revoke the key {key.name or ''} ({key.client_id})?\n\nEvery program using it "
            "stops at once, open streams included. This cannot be undone.",
            QMessageBox.StandardButton.Cancel,
            self,
        )
        box.addButton("Revoke", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.accepted.connect(lambda: self.revoke(key))
        box.open()
        return box

    def revoke(self, key: KeyRow) -> asyncio.Task[None] | None:
        """Revoke a key now (no confirmation)."""
        client = self._admin_client()
        if client is None:
            return None
        work = client.revoke_key(key.client_id)
        return self._run(work, self._revoked, f"revoking {key.name or 'the key'}")

    def _revoked(self, _result: None) -> None:
        self.refresh_keys()

    def ask_test_key(self) -> QtKeyCheckDialog | None:
        """Open the key check, with the selected key's ClientID filled in."""
        client = self._session.client
        if client is None or client.ensign_settings is None:
            return None
        project = self.selected_project()
        topics = sorted(
            self._session.topics,
            key=lambda t: (project is None or t.project_id != project.id, t.project_name, t.name),
        )
        dialog = QtKeyCheckDialog(client.ensign_settings, self._keys, topics, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        key = self.selected_key()
        if key is not None and not key.revoked_ms:
            dialog.client_id_box.setCurrentText(key.client_id)
        if topics and project is not None and topics[0].project_id == project.id:
            dialog.choose_topic(topics[0].name)
        dialog.open()
        return dialog

    # -- helpers ------------------------------------------------------------------------------

    def _admin_client(self) -> StreamClient | None:
        client = self._session.client
        if client is None:
            return None
        if Capability.KEY_ADMIN not in client.capabilities:
            self.hint.setText(
                f"{client.kind}: what this connection's account allows, read-only. Its users "
                "are managed in the servers' configuration (or with nsc), not here."
            )
            return client
        if ADMIN not in client.permissions:
            self.hint.setText(
                f"Managing keys needs a {ADMIN} key; the key of {self._session.profile_name} "
                f"has {', '.join(client.permissions) or 'no permissions'}. The workbench's own "
                "key for its embedded broker is one."
            )
            return None
        return client

    def _run(
        self, work: Coroutine[Any, Any, T], on_done: Callable[[T], None], what: str
    ) -> asyncio.Task[T]:
        def report(done: asyncio.Task[T]) -> None:
            failure = None if done.cancelled() else done.exception()
            if isinstance(failure, ClientError):
                self.hint.setText(f"{what} failed: {failure}")
            elif failure is None and not done.cancelled() and self._manages_keys():
                self.hint.setText(
                    "A key's secret is shown once, when it is created; the broker keeps only a "
                    "hash of it. Revoking a key stops it at once, open streams included."
                )

        task = self._session.run(work, on_done, what)
        task.add_done_callback(report)
        return task

    def _manages_keys(self) -> bool:
        client = self._session.client
        return client is not None and Capability.KEY_ADMIN in client.capabilities

    def _update_actions(self) -> None:
        client = self._session.client
        admin = (
            client is not None
            and Capability.KEY_ADMIN in client.capabilities
            and ADMIN in client.permissions
        )
        key = self.selected_key()
        own = key is not None and any(
            line.own and line.client_id == key.client_id for line in self._lines
        )
        for widget in (self.new_project_button, self.new_key_button):
            widget.setEnabled(admin)
        read_only = client is not None and Capability.KEY_ADMIN not in client.capabilities
        self.refresh_button.setEnabled(admin or read_only)
        self.test_button.setEnabled(client is not None and client.ensign_settings is not None)
        self.revoke_button.setEnabled(admin and key is not None and not key.revoked_ms and not own)
        if own:
            self.revoke_button.setToolTip("The workbench is connected with this key: it stays")
        else:
            self.revoke_button.setToolTip("Stop the selected key at once, open streams included")
