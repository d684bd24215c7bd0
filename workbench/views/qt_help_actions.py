"""The Help menu's actions beyond Welcome: keyboard shortcuts, the README, About."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QTabWidget

from workbench.client.records import BrokerInfo
from workbench.models.about import APP_NAME, readme_location
from workbench.views.qt_about_dialog import QtAboutDialog
from workbench.views.qt_session import QtSession
from workbench.views.qt_shortcuts_dialog import QtShortcutsDialog


class QtHelpActions(QObject):
    """Help → Keyboard shortcuts (Ctrl+/), README (F1) and About, for one window."""

    def __init__(
        self,
        window: QMainWindow,
        tabs: QTabWidget,
        session: QtSession,
        data_dir: Path,
        config_dir: Path,
    ) -> None:
        """
        Args:
            window: the main window (the actions are its own, so their keys work anywhere).
            tabs: its tabs, to tell which tab a shortcut works in.
            session: the connection, whose broker About asks for its version.
            data_dir: the embedded broker's data directory.
            config_dir: the workbench's config directory.
        """
        super().__init__(window)
        self._window = window
        self._tabs = tabs
        self._session = session
        self._dirs = (data_dir, config_dir)
        self._about: QtAboutDialog | None = None
        self.shortcuts_action = self._action("Keyboard shortcuts…", "Ctrl+/", self.show_shortcuts)
        self.readme_action = self._action(
            "README", QKeySequence.StandardKey.HelpContents, self.open_readme
        )
        self.about_action = self._action(f"About {APP_NAME}", None, self.show_about)
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)

    def _action(
        self, text: str, keys: str | QKeySequence.StandardKey | None, slot: object
    ) -> QAction:
        act = QAction(text, self._window)
        if keys is not None:
            act.setShortcut(QKeySequence(keys))
        act.triggered.connect(slot)
        self._window.addAction(act)
        return act

    def add_to(self, menu: QMenu) -> None:
        """Append the actions to the Help menu."""
        menu.addSeparator()
        for act in (self.shortcuts_action, self.readme_action):
            menu.addAction(act)
        menu.addSeparator()
        menu.addAction(self.about_action)

    def show_shortcuts(self) -> QtShortcutsDialog:
        """Open the list of keyboard shortcuts, as the window has them now."""
        dialog = QtShortcutsDialog(self._window, self._tabs)
        dialog.open()
        return dialog

    def open_readme(self) -> str:
        """Open the README (the shipped file, else the project's page); return what was opened
        ("" when there is none, which the status bar then says)."""
        location = readme_location()
        if not location:
            self._window.statusBar().showMessage("This installation has no README.", 5000)
            return ""
        url = QUrl(location) if "://" in location else QUrl.fromLocalFile(location)
        QDesktopServices.openUrl(url)
        return location

    def show_about(self) -> QtAboutDialog:
        """Open About (one dialog, brought forward again), asking the broker its version."""
        if self._about is None:
            self._about = QtAboutDialog(*self._dirs, self._window)
        about = self._about
        client = self._session.client
        name = self._session.profile_name if client is not None else ""
        about.show_broker(name, None)
        if client is not None:

            def answered(info: BrokerInfo) -> None:
                if self._session.client is client:
                    about.show_broker(name, info)

            self._session.run(client.broker_info(), answered, "asking the broker its version")
        about.show()
        about.raise_()
        return about
