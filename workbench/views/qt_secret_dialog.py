"""A new key's secret, shown once: copy it, save it as ``.env`` or credentials JSON, or take a
ready-to-run pyensign snippet. Closing without keeping it asks first.

The ClientSecret lives only in this dialog (the broker keeps an Argon2id hash, the key manager
never holds it), so once the dialog closes it is gone for good.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from workbench.client.connection_settings import ConnectionSettings
from workbench.client.records import KeyRow
from workbench.models.connect_code import pyensign_snippet, save_credentials_json, save_env_file
from workbench.models.key_presets import describe_permissions
from workbench.views.qt_connect_code import note_label
from workbench.views.qt_copy_fields import QtCodeBlock, QtCopyField
from workbench.views.qt_dialog_parts import warning_icon


def file_stem(name: str) -> str:
    """A key's name as part of a file name ("orders service" -> "orders-service")."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "ensign"


class QtSecretDialog(QDialog):
    """Shows a key's ClientID and ClientSecret exactly once, with ways to keep them."""

    def __init__(
        self,
        key: KeyRow,
        secret: str,
        broker: ConnectionSettings,
        project_name: str,
        parent: QWidget | None = None,
    ) -> None:
        """
        Args:
            key: the new key.
            secret: its ClientSecret (held by this dialog only).
            broker: where the key works (for the .env file and the snippet).
            project_name: the key's project, named in the .env file.
            parent: the window.
        """
        super().__init__(parent)
        self.key = key
        self._secret = secret
        self._broker = broker
        self._about = f"API key {key.name!r} of project {project_name!r} on {broker.grpc_address}"
        self.kept = False
        """True once the secret was copied or saved: closing no longer asks."""
        self.confirmation: QMessageBox | None = None
        self.setWindowTitle(f"Key {key.name} created: its secret is shown only now")

        icon = warning_icon(self)
        warning = QLabel(
            "<b>This is the only time the ClientSecret is shown.</b> The broker keeps only a "
            "hash of it: copy it or save it now. If it is lost, create a new key and revoke "
            "this one."
        )
        warning.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(icon)
        top.addWidget(warning, 1)

        self.client_id = QtCopyField(key.client_id, "Copy ClientID")
        self.client_secret = QtCopyField(secret, "Copy ClientSecret")
        self.client_secret.copied.connect(self._mark_kept)
        form = QFormLayout()
        what = describe_permissions(key.permissions)
        form.addRow("Key", QLabel(f"{key.name} · {what} · project {project_name}"))
        form.addRow("ClientID", self.client_id)
        form.addRow("ClientSecret", self.client_secret)

        self.save_env_button = QPushButton("Save as .env…")
        self.save_env_button.setToolTip(
            "ENSIGN_CLIENT_ID, ENSIGN_CLIENT_SECRET, this broker's endpoint and auth URL (0600)"
        )
        self.save_json_button = QPushButton("Save credentials JSON…")
        self.save_json_button.setToolTip(
            'The file pyensign reads with Ensign(cred_path=…): {"ClientID", "ClientSecret"} (0600)'
        )
        self.save_env_button.clicked.connect(self._ask_env_path)
        self.save_json_button.clicked.connect(self._ask_json_path)
        saving = QHBoxLayout()
        saving.addWidget(self.save_env_button)
        saving.addWidget(self.save_json_button)
        saving.addStretch(1)
        self.saved_label = note_label("Files are written readable by you only (mode 0600).")

        snippet = pyensign_snippet(broker, key.client_id, secret, key.permissions)
        self.snippet = QtCodeBlock(snippet, "Copy snippet")
        self.snippet.copied.connect(self._mark_kept)
        snippet_box = QGroupBox("Ready-to-run pyensign snippet (it holds the secret)")
        QVBoxLayout(snippet_box).addWidget(self.snippet)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(form)
        layout.addLayout(saving)
        layout.addWidget(self.saved_label)
        layout.addWidget(snippet_box, 1)
        layout.addWidget(self.buttons)

    # -- keeping the secret -------------------------------------------------------------------

    def save_env(self, path: Path) -> bool:
        """Save the key and this broker's addresses as a ``.env`` file (0600); say in the
        dialog where it went, or why it could not be written. Returns True if it was saved."""
        return self._saved(
            path,
            lambda: save_env_file(
                path, self._broker, self.key.client_id, self._secret, self._about
            ),
        )

    def save_credentials(self, path: Path) -> bool:
        """Save the key as the JSON file pyensign's ``cred_path`` reads (0600); as
        :meth:`save_env`."""
        return self._saved(
            path, lambda: save_credentials_json(path, self.key.client_id, self._secret)
        )

    def _saved(self, path: Path, write: Callable[[], None]) -> bool:
        try:
            write()
        except OSError as exc:
            self.saved_label.setText(f"Not saved: {exc}")
            return False
        self.saved_label.setText(f"Saved {path} (readable by you only).")
        self._mark_kept()
        return True

    def _ask_env_path(self) -> None:
        self._ask_path("Save as .env", ".env", "Environment files (*.env .env)", self.save_env)

    def _ask_json_path(self) -> None:
        name = f"{file_stem(self.key.name)}-credentials.json"
        self._ask_path("Save credentials JSON", name, "JSON (*.json)", self.save_credentials)

    def _ask_path(self, title: str, name: str, filters: str, save: Callable[[Path], bool]) -> None:
        chosen, _ = QFileDialog.getSaveFileName(self, title, str(Path.home() / name), filters)
        if chosen:
            save(Path(chosen))

    def _mark_kept(self) -> None:
        self.kept = True

    # -- closing ------------------------------------------------------------------------------

    def reject(self) -> None:
        """Close; if the secret was neither copied nor saved, ask first."""
        if self.kept:
            self._forget()
            super().reject()
            return
        if self.confirmation is not None and self.confirmation.isVisible():
            return
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Close without saving the secret?",
            "The ClientSecret has not been copied or saved. Once this window closes it cannot "
            "be shown again: the key is then of no use, and you would create another one.",
            QMessageBox.StandardButton.Cancel,
            self,
        )
        box.button(QMessageBox.StandardButton.Cancel).setText("Keep it open")
        close = box.addButton("Close anyway", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        close.clicked.connect(self._close_anyway)
        self.confirmation = box
        box.open()

    def closeEvent(self, event: QCloseEvent) -> None:
        """The window's close button asks too."""
        if self.kept:
            super().closeEvent(event)
            return
        event.ignore()
        self.reject()

    def _close_anyway(self) -> None:
        self.kept = True  # the user chose to let it go
        self.reject()

    def _forget(self) -> None:
        self._secret = ""
        self.client_secret.set_text("")
        self.snippet.view.clear()
