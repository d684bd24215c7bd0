"""The app's identity: its icon, a title naming the broker, and Help's shortcuts, README and
About (versions, data directory, licences with Qt's LGPL notice)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices, QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.workbench.app.conftest import App
from tests.workbench.conftest import QLoop
from workbench import __version__
from workbench.models.about import APP_NAME, window_title
from workbench.models.profiles import EMBEDDED
from workbench.models.scenarios import resources_dir
from workbench.models.shortcut_list import Shortcut
from workbench.views.qt_shortcuts_dialog import EVERYWHERE

ICONS = resources_dir() / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def test_the_icon_has_an_svg_source_and_every_png_size() -> None:
    assert (ICONS / "ensign-workbench.svg").read_text().lstrip().startswith("<?xml")
    for size in SIZES:
        image = QImage(str(ICONS / f"ensign-workbench-{size}.png"))
        assert (image.width(), image.height()) == (size, size)
        assert image.hasAlphaChannel()


def test_the_window_has_the_icon_and_a_title_naming_the_broker(app: App, qloop: QLoop) -> None:
    icon = QApplication.windowIcon()
    assert sorted(s.width() for s in icon.availableSizes()) == list(SIZES)
    assert not app.window.windowIcon().isNull()
    assert app.window.windowTitle() == f"{APP_NAME} — not connected"
    app.start(qloop)
    client = app.session.client
    assert client is not None
    assert app.window.windowTitle() == window_title(EMBEDDED, client.settings.grpc_address)
    assert APP_NAME in app.window.windowTitle() and client.settings.grpc_address in (
        app.window.windowTitle()
    )
    app.quit(qloop)
    assert app.window.windowTitle() == f"{APP_NAME} — not connected"


def test_help_lists_every_shortcut_of_the_window_described(qtbot: QtBot, app: App) -> None:
    dialog = app.window.help.show_shortcuts()
    qtbot.addWidget(dialog)
    rows = dialog.shortcuts
    undescribed = [row for row in rows if not row.description]
    assert undescribed == []
    assert Shortcut("View", "Ctrl+K", "Command palette") in rows
    assert Shortcut("File", "Ctrl+N", "New topic") in rows
    assert Shortcut("Help", "Ctrl+/", "Keyboard shortcuts") in rows
    assert Shortcut("Query", "Ctrl+Return", "Run the query") in rows
    assert Shortcut("Produce", "Ctrl+Return", "Publish this event to the topic") in rows
    assert Shortcut("Charts", "1", "Show the last 1 min") in rows
    assert Shortcut("Events", "Ctrl+G", "Go to an offset: type it and press Enter") in rows
    assert all(row.keys != "Ctrl+Enter" for row in rows), "keypad Enter is folded into Return"
    assert not any(row.area == EVERYWHERE for row in rows if row.keys.startswith("Ctrl+1"))
    shown = dialog.table.topLevelItemCount()
    assert shown == len({row.area for row in rows})


def test_a_new_action_with_a_shortcut_appears_in_the_list(qtbot: QtBot, app: App) -> None:
    extra = app.window.menuBar().actions()[0].menu()
    assert extra is not None
    act = extra.addAction("Frobnicate")
    act.setShortcut("Ctrl+Alt+F")
    dialog = app.window.help.show_shortcuts()
    qtbot.addWidget(dialog)
    assert Shortcut("File", "Ctrl+Alt+F", "Frobnicate") in dialog.shortcuts


def test_readme_opens_the_shipped_file(monkeypatch: pytest.MonkeyPatch, app: App) -> None:
    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    location = app.window.help.open_readme()
    assert Path(location).name == "README.md" and Path(location).is_file()
    assert [url.toLocalFile() for url in opened] == [location]


def test_about_tells_versions_data_directory_and_licences(
    qtbot: QtBot, app: App, qloop: QLoop, tmp_path: Path
) -> None:
    about = app.window.help.show_about()
    assert about.version_label.text() == __version__
    assert about.broker_label.text() == "not connected"
    assert about.data_dir_label.text() == str(tmp_path / "data")
    licences = {name.lower(): licence for name, _version, licence in about.components_shown()}
    assert licences["qt"] == "LGPL-3.0-only"
    assert "LGPL-3.0" in licences["pyside6_essentials"]
    assert licences["pyqtgraph"] == "MIT"
    assert licences["grpcio"] == "Apache-2.0"
    assert "python" in licences and "numpy" in licences and "faker" in licences
    assert "see its licence file" not in licences.values()
    notice = about.qt_notice.text()
    assert "GNU Lesser General Public License" in notice and "replace" in notice
    assert "PySide6" in notice

    app.start(qloop)
    again = app.window.help.show_about()
    assert again is about, "one About dialog, brought forward"
    qloop.until(lambda: "version" in about.broker_label.text(), 10, "the broker's version")
    assert about.broker_label.text().startswith(f"{EMBEDDED}: version {__version__}, at ")
    app.quit(qloop)
