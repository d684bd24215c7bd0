"""The welcome page: what the workbench is, and three ways to get going in one click.

Shown when the connected broker has no topics yet (and from Help → Welcome): Run a demo scenario
(one click starts the chosen story and opens its dashboard), Send a test event (a topic and an
example event ready in the composer), Connect your code (the broker's addresses and a key).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from workbench.models.scenarios import Scenario
from workbench.views.qt_flow_layout import QtFlowLayout
from workbench.views.qt_page_tabs import QtPageScroll

FEATURED = "workout"
"""The scenario the big button runs unless another is chosen."""


class QtWelcome(QWidget):
    """The first-run page."""

    run_scenario = Signal(str)  # the scenario's name
    send_test_event = Signal()
    connect_code = Signal()
    dismissed = Signal()

    def __init__(self, scenarios: list[Scenario], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcome")
        title = QLabel("Ensign Workbench")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title.setFont(_scaled(self.font(), 2.2, bold=True))
        line = QLabel(
            "See and drive event streams on your desktop, with an Ensign-compatible broker "
            "already running."
        )
        line.setAlignment(Qt.AlignmentFlag.AlignCenter)
        line.setWordWrap(True)
        line.setFont(_scaled(self.font(), 1.2))

        self.demo_button = _big_button("Run a demo scenario", "Start a story moving on screen")
        self.scenario_combo = QComboBox()
        for scenario in scenarios:
            self.scenario_combo.addItem(scenario.title, scenario.name)
        featured = self.scenario_combo.findData(FEATURED)
        self.scenario_combo.setCurrentIndex(max(featured, 0))
        self.scenario_combo.setToolTip("The scenario to run")
        self.demo_button.clicked.connect(self._run)
        self.event_button = _big_button("Send a test event", "Compose one and see the ack")
        self.event_button.clicked.connect(self.send_test_event)
        self.code_button = _big_button("Connect your code", "Addresses, a key and a snippet")
        self.code_button.clicked.connect(self.connect_code)
        self.skip_button = QPushButton("Go to the topics")
        self.skip_button.setFlat(True)
        self.skip_button.clicked.connect(self.dismissed)

        demo = QWidget()  # the big button with its scenario below it
        demo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        demo_column = QVBoxLayout(demo)
        demo_column.setContentsMargins(0, 0, 0, 0)
        demo_column.addWidget(self.demo_button)
        demo_column.addWidget(self.scenario_combo)
        actions = QtFlowLayout()  # side by side, or wrapped on a narrow window
        actions.setSpacing(self.fontMetrics().averageCharWidth() * 3)
        for widget in (demo, self.event_button, self.code_button):
            actions.addWidget(widget)
            actions.setAlignment(widget, Qt.AlignmentFlag.AlignTop)
        column = QVBoxLayout()
        column.addStretch(2)
        column.addWidget(title)
        column.addWidget(line)
        column.addSpacing(self.fontMetrics().height() * 2)
        column.addLayout(actions)
        column.addSpacing(self.fontMetrics().height())
        column.addWidget(self.skip_button, 0, Qt.AlignmentFlag.AlignHCenter)
        column.addStretch(3)
        content = QWidget()
        inner = QVBoxLayout(content)
        inner.setContentsMargins(24, 24, 24, 24)
        inner.addLayout(column)
        # Scrolls rather than widening the window when three big buttons do not fit (a
        # projector's 1280 pixels with presentation mode's fonts).
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(QtPageScroll(content))

    def chosen_scenario(self) -> str:
        """The name of the scenario the big button runs."""
        return str(self.scenario_combo.currentData() or FEATURED)

    def _run(self) -> None:
        self.run_scenario.emit(self.chosen_scenario())


def _big_button(text: str, hint: str) -> QPushButton:
    button = QPushButton(f"{text}\n{hint}")
    button.setFont(_scaled(button.font(), 1.25))
    button.setMinimumHeight(button.fontMetrics().height() * 4)
    button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    return button


def _scaled(font: QFont, factor: float, bold: bool = False) -> QFont:
    scaled = QFont(font)
    scaled.setPointSizeF(font.pointSizeF() * factor)
    scaled.setBold(bold)
    return scaled
