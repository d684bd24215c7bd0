"""Adding or editing a remote broker's connection profile, with a connection test.

A profile is of one of two kinds, chosen at the top: an Ensign broker (address, auth URL, API
key) or a NATS JetStream cluster (server URLs; anonymous, a user and password, a token, or a
``.creds``/NKey seed file whose text goes to the secret store; a CA for TLS).

OK saves only a profile whose connection test passed: it runs the test (unless the fields
passed one already) and closes when it passes. When it fails, the reason is shown with a
"Save anyway" button, for a broker that is down for now or not reachable from here.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
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

from workbench.client.clients import client_for
from workbench.client.errors import ClientError
from workbench.client.jetstream_settings import parse_servers
from workbench.models.profiles import EMBEDDED, ENSIGN, KINDS, NATS_AUTH, NATS_JETSTREAM, Profile

NATS_AUTH_TEXT = {
    "none": "No credentials",
    "user": "User and password",
    "token": "Token",
    "creds": ".creds file",
    "nkey": "NKey seed file",
}


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

        self.kind = QComboBox()
        self.kind.addItems(list(KINDS))
        self.kind.setCurrentText(profile.kind if profile else ENSIGN)
        self._build_nats_fields(profile)

        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Kind", self.kind)
        self._ensign_rows = [
            ("gRPC address", self.address),
            ("Auth URL", self.auth_url),
            ("ClientID", self.client_id),
            ("ClientSecret", self.client_secret),
            ("", self.tls),
        ]
        self._nats_rows = [
            ("Servers", self.nats_servers),
            ("Log in with", self.nats_auth),
            ("User", self.nats_user),
            ("Password or token", self.nats_secret),
            ("Credentials file", self.creds_row_widget),
        ]
        self._form = form
        for label, widget in self._ensign_rows + self._nats_rows:
            form.addRow(label, widget)
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
        for field in (self.nats_servers, self.nats_user, self.nats_secret, self.creds_file):
            field.textChanged.connect(self._validate)
        self.kind.currentTextChanged.connect(self._show_kind)
        self.nats_auth.currentIndexChanged.connect(self._show_kind)
        self._had_secret = profile is not None
        self._had_auth = (profile.nats_auth, profile.nats_user) if profile else None
        self.test_task: asyncio.Task[bool] | None = None
        self._show_kind()
        self.finished.connect(self._cancel_test)

    def _build_nats_fields(self, profile: Profile | None) -> None:
        nats = profile if profile is not None and profile.is_nats else None
        self.nats_servers = QLineEdit(nats.nats_servers if nats else "")
        self.nats_servers.setPlaceholderText("nats://host1:4222,nats://host2:4222")
        self.nats_auth = QComboBox()
        for key in NATS_AUTH:
            self.nats_auth.addItem(NATS_AUTH_TEXT[key], key)
        self.nats_auth.setCurrentIndex(NATS_AUTH.index(nats.nats_auth) if nats else 0)
        self.nats_user = QLineEdit(nats.nats_user if nats else "")
        self.nats_secret = QLineEdit()
        self.nats_secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.nats_secret.setPlaceholderText("unchanged" if nats else "")
        self.creds_file = QLineEdit(nats.creds_file if nats else "")
        self.creds_file.setPlaceholderText("read into the keyring when saved")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse_creds)
        self.creds_row_widget = QWidget()
        row = QHBoxLayout(self.creds_row_widget)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.creds_file, 1)
        row.addWidget(browse)

    def _browse_creds(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Credentials", "", "NATS credentials (*.creds *.nk *.seed);;All files (*)"
        )
        if path:
            self.creds_file.setText(path)

    def _show_kind(self) -> None:
        nats = self.kind.currentText() == NATS_JETSTREAM
        auth = self.nats_auth.currentData()
        for _, widget in self._ensign_rows:
            self._form.setRowVisible(widget, not nats)
        for _, widget in self._nats_rows:
            self._form.setRowVisible(widget, nats)
        if nats:
            self._form.setRowVisible(self.nats_user, auth == "user")
            self._form.setRowVisible(self.nats_secret, auth in ("user", "token"))
            self._form.setRowVisible(self.creds_row_widget, auth in ("creds", "nkey"))
        self._validate()

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
        if self.kind.currentText() == NATS_JETSTREAM:
            return self._nats_problem()
        host, sep, port = self.address.text().strip().rpartition(":")
        if not sep or not host or not port.isdigit():
            return "The gRPC address must be host:port."
        if not self.auth_url.text().strip().startswith(("http://", "https://")):
            return "The auth URL must start with http:// or https://."
        if not self.client_id.text().strip():
            return "Enter the key's ClientID."
        return ""

    def _nats_problem(self) -> str:
        try:
            parse_servers(self.nats_servers.text())
        except ClientError as exc:
            return f"Servers: {exc}."
        auth = self.nats_auth.currentData()
        if auth == "user" and not self.nats_user.text().strip():
            return "Enter the NATS user."
        unchanged = self._had_auth == (auth, self.nats_user.text().strip())
        if auth in ("user", "token") and not self.nats_secret.text() and not unchanged:
            return "Enter the password." if auth == "user" else "Enter the token."
        if auth in ("creds", "nkey") and not Path(self.creds_file.text()).expanduser().is_file():
            return "Choose the credentials file."
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
        return (self.result_profile(), self.client_secret.text(), self.nats_secret.text())

    def _cancel_test(self) -> None:
        if self.test_task is not None and not self.test_task.done():
            self.test_task.cancel()

    def result_profile(self) -> Profile:
        """The profile as entered."""
        if self.kind.currentText() == NATS_JETSTREAM:
            auth = str(self.nats_auth.currentData())
            return Profile(
                name=self.name.text().strip(),
                kind=NATS_JETSTREAM,
                nats_servers=",".join(parse_servers(self.nats_servers.text()))
                if not self._nats_problem()
                else self.nats_servers.text().strip(),
                nats_auth=auth,
                nats_user=self.nats_user.text().strip() if auth == "user" else "",
                creds_file=self.creds_file.text().strip() if auth in ("creds", "nkey") else "",
                ca_file=self.ca_file.text().strip(),
            )
        return Profile(
            name=self.name.text().strip(),
            grpc_address=self.address.text().strip(),
            auth_url=self.auth_url.text().strip().rstrip("/"),
            client_id=self.client_id.text().strip(),
            tls=self.tls.isChecked(),
            ca_file=self.ca_file.text().strip(),
        )

    def secret(self) -> str | None:
        """The secret to store: the typed ClientSecret, NATS password or token, or the text of
        the chosen ``.creds``/NKey file; None to keep the stored one.

        Raises:
            OSError: if the credentials file cannot be read.
        """
        if self.kind.currentText() == NATS_JETSTREAM:
            auth = self.nats_auth.currentData()
            if auth in ("creds", "nkey"):
                return Path(self.creds_file.text().strip()).expanduser().read_text()
            if auth == "none":
                return ""
            return self.nats_secret.text() or (None if self._had_secret else "")
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
        try:
            typed = self.secret()
            secret = secret or typed or self._stored_secret
            settings = self.result_profile().settings(secret)
        except OSError as exc:
            self.status.setText(f"Cannot read a file: {exc}")
            return False
        except ClientError as exc:
            self.status.setText(str(exc))
            return False
        client = client_for(settings)
        try:
            await client.login()
            topics = await client.topics()
        except ClientError as exc:
            self.status.setText(f"Refused: {exc}")
            return False
        finally:
            await client.close()
        seen = "stream(s) in the account" if client.kind == NATS_JETSTREAM else "topic(s) visible"
        self.status.setText(f"Connected: {len(topics)} {seen} with this key.")
        self._passed = fields
        return True
