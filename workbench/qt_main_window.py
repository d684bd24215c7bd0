"""The main window."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMainWindow, QWidget

from embedded_broker.config import default_data_dir
from workbench import __version__


class QtMainWindow(QMainWindow):
    """The workbench's main window."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Ensign Workbench")
        self.resize(1100, 700)
        welcome = QLabel(
            f"<h1>Ensign Workbench</h1><p>Version {__version__}</p>"
            f"<p>Broker data directory: <code>{default_data_dir()}</code></p>",
            self,
        )
        welcome.setAlignment(Qt.AlignmentFlag.AlignCenter)
        welcome.setObjectName("welcome")
        self.setCentralWidget(welcome)
        self.statusBar().showMessage("Ready")
