"""Help → About: the app's version, the broker's version, where data lives, and the licences
of everything the app ships (Qt's LGPL notice among them)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench import __version__
from workbench.client.records import BrokerInfo
from workbench.models.about import APP_NAME, QT_NOTICE, bundled_components
from workbench.views.qt_app_icon import app_icon
from workbench.views.qt_connect_code import note_label
from workbench.views.qt_eliding_label import QtElidingLabel

NOT_CONNECTED = "not connected"
ASKING = "asking the broker…"


class QtAboutDialog(QDialog):
    """The app, its broker and its components, with their licences."""

    def __init__(self, data_dir: Path, config_dir: Path, parent: QWidget | None = None) -> None:
        """
        Args:
            data_dir: the embedded broker's data directory.
            config_dir: the workbench's config directory (profiles, settings, templates).
            parent: the window.
        """
        super().__init__(parent)
        self.setWindowTitle(f"About {APP_NAME}")
        logo = QLabel()
        logo.setPixmap(app_icon().pixmap(96, 96))
        title = QLabel(f"<h2>{APP_NAME}</h2>")
        title.setTextFormat(Qt.TextFormat.RichText)
        summary = note_label(
            "A desktop workbench for event streams, with its own embedded broker that serves "
            "Ensign's public API. Licensed under the Apache License 2.0. An independent "
            "implementation, not affiliated with the makers of Ensign."
        )
        heading = QVBoxLayout()
        heading.addWidget(title)
        heading.addWidget(summary)
        top = QHBoxLayout()
        top.addWidget(logo, 0, Qt.AlignmentFlag.AlignTop)
        top.addLayout(heading, 1)

        self.version_label = QLabel(__version__)
        self.broker_label = QLabel(NOT_CONNECTED)
        self.data_dir_label = QtElidingLabel(str(data_dir), Qt.TextElideMode.ElideMiddle)
        self.config_dir_label = QtElidingLabel(str(config_dir), Qt.TextElideMode.ElideMiddle)
        for label in (self.version_label, self.broker_label):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form = QFormLayout()
        form.addRow("Version", self.version_label)
        form.addRow("Broker", self.broker_label)
        form.addRow("Data directory", self.data_dir_label)
        form.addRow("Settings", self.config_dir_label)
        form.addRow("Qt", QLabel(f"{qVersion()} (PySide6)"))

        self.components = QTreeWidget()
        self.components.setRootIsDecorated(False)
        self.components.setHeaderLabels(["Component", "Version", "Licence"])
        self.components.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.components.header().setStretchLastSection(True)
        rows = [("Qt", qVersion(), "LGPL-3.0-only")]
        rows += [(c.name, c.version, c.licence) for c in bundled_components()]
        for row in rows:
            QTreeWidgetItem(self.components, list(row))
        self.qt_notice = note_label(QT_NOTICE.format(qt_version=qVersion()))
        self.qt_notice.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(form)
        layout.addWidget(QLabel("Bundled components and their licences:"))
        layout.addWidget(self.components, 1)
        layout.addWidget(self.qt_notice)
        layout.addWidget(buttons)
        self.resize(self.fontMetrics().averageCharWidth() * 90, self.fontMetrics().height() * 40)

    def components_shown(self) -> list[tuple[str, str, str]]:
        """The rows of the components table: (name, version, licence)."""
        root = self.components.invisibleRootItem()
        items = [root.child(i) for i in range(root.childCount())]
        return [(i.text(0), i.text(1), i.text(2)) for i in items if i is not None]

    def show_broker(self, name: str, info: BrokerInfo | None) -> None:
        """Tell the connected broker's version (``info`` None: still asking)."""
        if not name:
            self.broker_label.setText(NOT_CONNECTED)
        elif info is None:
            self.broker_label.setText(f"{name}: {ASKING}")
        else:
            self.broker_label.setText(f"{name}: version {info.version}, at {info.grpc_address}")
