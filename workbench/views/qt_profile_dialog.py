"""Adding or editing a remote broker's connection profile, with a connection test.

OK saves only a profile whose connection test passed: it runs the test (unless the fields
passed one already) and closes when it passes. When it fails, the reason is shown with a
"Save anyway" button, for a broker that is down for now or not reachable from here.
"""

from __future__ import annotations

import asyncio

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from workbench.client.broker_client import BrokerClient
from workbench.client.errors import ClientError
from workbench.models.profiles import EMBEDDED, Profile


class QtProfileDialog(QDialog):
    """The fields of a remote profile; ``result_profile()`` and ``secret()`` after accept."""

    def __init__(
        self,
        profile: Profile | None = None,
        parent: QWidget | None = None,
        stored_secret: str | None = None,
        title: str = "",
    ) -> None:
        """
        Args:
            profile: the profile to edit (or copy); None for a new one.
            parent: the window.
            stored_secret: the profile's stored ClientSecret, for the connection test while
                the secret field is left empty ("unchanged").
            title: the window title (default: "Remote broker", or "Edit <name>").
        """
        super().__init__(parent)
        self.setWindowTitle(
            title or ("Remote broker" if profile is None else f"Edit {profile.name}")
        )
        self._stored_secret = stored_secret or ""
        self._passed: tuple[object, ...] | None = None  # the fields that passed the test
        self.name = QLineEdit(profile.name if profile else "")
        self.address = QLineEdit(profile.grpc_address if profile else "")
        self.address.setPlaceholderText("host:port, e.g. broker.example.com:5356")
        self.auth_url = QLineEdit(profile.auth_url if profile else "")
        self.auth_url.setPlaceholderText("https://broker.example.com:5357")
        self.client_id = QLineEdit(profile.client_id if profile else "")
        self.client_secret = QLineEdit()
        self.client_secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.client_secret.setPlaceholderText(
            "unchanged" if profile else "shown once when the key was created"
        )
        self.tls = QCheckBox("Use TLS")
        self.tls.setChecked(profile.tls if profile else True)
        self.ca_file = QLineEdit(profile.ca_file if profile else "")
        self.ca_file.setPlaceholderText("trust the system's certificates")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        ca_row = QHBoxLayout()
        ca_row.addWidget(self.ca_file, 1)
        ca_row.addWidget(browse)

        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("gRPC address", self.address)
        form.addRow("Auth URL", self.auth_url)
        form.addRow("ClientID", self.client_id)
        form.addRow("ClientSecret", self.client_secret)
        form.addRow("", self.tls)
        form.addRow("CA certificate", ca_row)

        self.status = QLabel()
        self.status.setWordWrap(True)
        self.test_button = QPushButton("Test connection")
        self.test_button.clicked.connect(self._start_test)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.buttons.addButton(self.test_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.save_anyway_button = QPushButton("Save anyway")
        self.save_anyway_button.setToolTip("Save the profile although its connection test failed")
        self.save_anyway_button.clicked.connect(self._save)
        self.buttons.addButton(self.save_anyway_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.save_anyway_button.hide()

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        for field in (self.name, self.address, self.auth_url, self.client_id, self.client_secret):
            field.textChanged.connect(self._validate)
        self.ca_file.textChanged.connect(self._validate)
        self.tls.toggled.connect(self._validate)
        self._had_secret = profile is not None
        self.test_task: asyncio.Task[bool] | None = None
        self._validate()
        self.finished.connect(self._cancel_test)

    @property
    def ok_button(self) -> QPushButton:
        """OK: test, then save."""
        return self.buttons.button(QDialogButtonBox.StandardButton.Ok)

    def accept(self) -> None:
        """Close with OK once the connection test has passed for these fields (run it if not)."""
        if self.problem():
            return
        if self._passed == self._fields():
            super().accept()
        elif self.test_task is None or self.test_task.done():
            self._start_test(accept_if_passed=True)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "CA certificate", "", "PEM (*.pem *.crt)")
        if path:
            self.ca_file.setText(path)

    def problem(self) -> str:
        """What is missing or wrong, or ''."""
        if not self.name.text().strip():
            return "Give the profile a name."
        if self.name.text().strip() == EMBEDDED:
            return f"{EMBEDDED!r} is the built-in profile; choose another name."
        host, sep, port = self.address.text().strip().rpartition(":")
        if not sep or not host or not port.isdigit():
            return "The gRPC address must be host:port."
        if not self.auth_url.text().strip().startswith(("http://", "https://")):
            return "The auth URL must start with http:// or https://."
        if not self.client_id.text().strip():
            return "Enter the key's ClientID."
        return ""

    def _validate(self) -> None:
        problem = self.problem()
        if self._passed is not None and self._passed != self._fields():
            self._passed = None
        self._cancel_test()
        self.save_anyway_button.hide()
        self.status.setText(problem)
        self.ok_button.setEnabled(not problem)
        self.test_button.setEnabled(not problem)

    def _fields(self) -> tuple[object, ...]:
        return (self.result_profile(), self.client_secret.text())

    def _cancel_test(self) -> None:
        if self.test_task is not None and not self.test_task.done():
            self.test_task.cancel()

    def result_profile(self) -> Profile:
        """The profile as entered."""
        return Profile(
            name=self.name.text().strip(),
            grpc_address=self.address.text().strip(),
            auth_url=self.auth_url.text().strip().rstrip("/"),
            client_id=self.client_id.text().strip(),
            tls=self.tls.isChecked(),
            ca_file=self.ca_file.text().strip(),
        )

    def secret(self) -> str | None:
        """The typed ClientSecret, or None to keep the stored one."""
        text = self.client_secret.text()
        return text if text or not self._had_secret else None

    def _start_test(self, accept_if_passed: bool = False) -> None:
        self._cancel_test()
        self.save_anyway_button.hide()
        self.status.setText("Connecting…")
        work = self._test_then_save() if accept_if_passed else self.test_connection()
        self.test_task = asyncio.ensure_future(work)

    async def _test_then_save(self) -> bool:
        passed = await self.test_connection()
        if passed:
            self._save()
        else:
            self.save_anyway_button.show()
        return passed

    def _save(self) -> None:
        QDialog.accept(self)

    async def test_connection(self, secret: str | None = None) -> bool:
        """Log in and list topics; show the outcome. Returns True on success."""
        fields = self._fields()
        secret = secret or self.client_secret.text() or self._stored_secret
        try:
            settings = self.result_profile().settings(secret)
        except OSError as exc:
            self.status.setText(f"Cannot read the CA certificate: {exc}")
            return False
        client = BrokerClient(settings)
        try:
            await client.login()
            topics = await client.topics()
        except ClientError as exc:
            self.status.setText(f"Refused: {exc}")
            return False
        finally:
            await client.close()
        self.status.setText(f"Connected: {len(topics)} topic(s) visible with this key.")
        self._passed = fields
        return True
