"""Building the application's parts: secrets, profiles, settings, broker, session, window."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from workbench.app.gc_tuning import freeze_startup_objects, freeze_when_settled
from workbench.models.profiles import ProfileStore
from workbench.models.query_library import QueryLibrary
from workbench.models.secret_store import SecretStore, open_secret_store
from workbench.models.template_library import TemplateLibrary
from workbench.views.qt_app_icon import app_icon
from workbench.views.qt_embedded_broker import QtEmbeddedBroker
from workbench.views.qt_main_window import QtMainWindow
from workbench.views.qt_session import QtSession


@dataclass
class Workbench:
    """Everything ``ensign-workbench`` runs, wired together."""

    secrets: SecretStore
    profiles: ProfileStore
    settings: QSettings
    broker: QtEmbeddedBroker
    session: QtSession
    window: QtMainWindow

    @classmethod
    def create(cls, config: Path, data_dir: Path, secrets: SecretStore | None = None) -> Workbench:
        """Build the parts from a config directory and the broker's data directory."""
        config.mkdir(parents=True, exist_ok=True)
        QApplication.setWindowIcon(app_icon())  # every window's, the dialogs' too
        secrets = secrets or open_secret_store(config / "secrets.json")
        profiles = ProfileStore.open(config, secrets)
        settings = QSettings(str(config / "workbench.ini"), QSettings.Format.IniFormat)
        broker = QtEmbeddedBroker(data_dir, secrets)
        session = QtSession()
        templates = TemplateLibrary(config / "templates")
        window = QtMainWindow(broker, session, profiles, QueryLibrary(config), settings, templates)
        return cls(secrets, profiles, settings, broker, session, window)

    def start(self) -> None:
        """Show the window, start the embedded broker, and keep GC pauses out of the GUI."""
        self.window.show()
        self.broker.start()
        freeze_startup_objects()
        freeze_when_settled(self.session)
