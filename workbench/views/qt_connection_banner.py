"""The bar above the views that says the workbench is not connected, why, and what to do: Retry
now, Edit profile, or wait: when the workbench tries again by itself, the bar counts down."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QHideEvent, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStyle,
    QWidget,
)

from workbench.views.qt_themes import error_color


class QtConnectionBanner(QFrame):
    """ "Not connected to <profile>: <why>", with Retry and Edit profile; hidden while connected."""

    retry = Signal()
    edit_profile = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("connectionBanner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self._coloring = False
        style = self.style()
        icon = QLabel()
        size = style.pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        icon.setPixmap(style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning).pixmap(size))
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.retry_button = QPushButton("Retry")
        self.retry_button.setToolTip("Connect to this broker again")
        self.retry_button.clicked.connect(self.retry)
        self.edit_button = QPushButton("Edit profile…")
        self.edit_button.setToolTip("Change the broker's address, key or TLS settings")
        self.edit_button.clicked.connect(self.edit_profile)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(icon)
        layout.addWidget(self.message, 1)
        layout.addWidget(self.retry_button)
        layout.addWidget(self.edit_button)
        self._problem = ""
        self._seconds_left = 0
        self._countdown = QTimer(self)
        self._countdown.setInterval(1000)
        self._countdown.timeout.connect(self._tick)
        self._color()
        self.hide()

    def show_problem(
        self, profile: str, why: str, editable: bool, retry_in_s: float | None = None
    ) -> None:
        """Say that the workbench is not connected to ``profile`` and why.

        Args:
            profile: the connection profile's name.
            why: what went wrong, in words a user can act on.
            editable: whether the profile can be edited (the embedded broker's cannot).
            retry_in_s: seconds until the workbench tries again by itself (None: it does not).
        """
        self._problem = f"Not connected to {profile}: {why}"
        self._seconds_left = round(retry_in_s) if retry_in_s is not None else 0
        if retry_in_s is None:
            self._countdown.stop()
        else:
            self._countdown.start()
        self._say()
        self.edit_button.setVisible(editable)
        self.show()

    def hideEvent(self, event: QHideEvent) -> None:
        """A hidden bar counts nothing down."""
        self._countdown.stop()
        super().hideEvent(event)

    def _tick(self) -> None:
        self._seconds_left = max(0, self._seconds_left - 1)
        self._say()

    def _say(self) -> None:
        text = self._problem
        if self._countdown.isActive():
            text += "" if text.endswith((".", "…")) else "."
            text += (
                f" Trying again in {self._seconds_left} s…"
                if self._seconds_left
                else " Trying again…"
            )
        self.message.setText(text)

    def _color(self) -> None:
        """A background tinted with the theme's error colour."""
        base = QApplication.palette()
        window, red = base.color(QPalette.ColorRole.Window), error_color(base)
        share = 0.18
        tint = QColor.fromRgbF(
            window.redF() * (1 - share) + red.redF() * share,
            window.greenF() * (1 - share) + red.greenF() * share,
            window.blueF() * (1 - share) + red.blueF() * share,
        )
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Window, tint)
        self._coloring = True
        try:
            self.setPalette(palette)
        finally:
            self._coloring = False

    def changeEvent(self, event: QEvent) -> None:
        """Follow the theme."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and not self._coloring:
            self._color()
