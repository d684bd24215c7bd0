"""Broker → Connect your code…: where the current broker listens, and code that reaches it."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from workbench.client.connection_settings import ConnectionSettings
from workbench.models.connect_code import pyensign_snippet, shell_exports, tls_mode
from workbench.views.qt_copy_fields import QtCodeBlock, QtCopyField


def note_label(text: str) -> QLabel:
    """A wrapped label in the dimmed colour of hints."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    return label


class QtConnectCodeDialog(QDialog):
    """The endpoint, auth URL, TLS mode and CA file of a broker, with copyable snippets and a
    button to create a key for it."""

    create_key_requested = Signal()

    def __init__(
        self,
        settings: ConnectionSettings,
        broker_name: str,
        notice: str = "",
        project_note: str = "",
        parent: QWidget | None = None,
    ) -> None:
        """
        Args:
            settings: the broker (its key fields are not shown).
            broker_name: the profile's name, for the title.
            notice: why the broker is not where code expects it ("" when it is).
            project_note: which project keys and topics belong to, in a sentence.
            parent: the window.
        """
        super().__init__(parent)
        self.setWindowTitle(f"Connect your code to {broker_name}")
        self.endpoint = QtCopyField(settings.grpc_address)
        self.auth_url = QtCopyField(settings.auth_url)
        self.tls_label = QLabel(tls_mode(settings))
        self.ca_file = QtCopyField(settings.ca_file or "—")
        self.ca_file.button.setEnabled(bool(settings.ca_file))
        form = QFormLayout()
        form.addRow("Endpoint (gRPC)", self.endpoint)
        form.addRow("Auth URL", self.auth_url)
        form.addRow("TLS", self.tls_label)
        form.addRow("CA file", self.ca_file)

        self.notice = QLabel(notice)
        self.notice.setWordWrap(True)
        self.notice.setVisible(bool(notice))
        self.notice.setTextFormat(Qt.TextFormat.PlainText)
        self.pyensign = QtCodeBlock(pyensign_snippet(settings), "Copy snippet")
        self.environment = QtCodeBlock(shell_exports(settings), "Copy variables")
        self.snippets = QTabWidget()
        self.snippets.addTab(self.pyensign, "pyensign")
        self.snippets.addTab(self.environment, "Environment variables")
        explanation = note_label(
            "pyensign reads ENSIGN_CLIENT_ID and ENSIGN_CLIENT_SECRET from the environment; "
            "the endpoint and auth URL are passed to Ensign(). "
            + (project_note + " " if project_note else "")
            + "A key's secret is shown once, when it is created."
        )

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.create_key_button = self.buttons.addButton(
            "Create a key for it…", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.create_key_button.clicked.connect(self._create_key)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.notice)
        layout.addWidget(self.snippets, 1)
        layout.addWidget(explanation)
        layout.addWidget(self.buttons)

    def _create_key(self) -> None:
        self.accept()
        self.create_key_requested.emit()
