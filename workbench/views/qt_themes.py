"""Light and dark themes (following the system by default) and presentation mode.

Views use palette roles rather than fixed colours, so switching the palette restyles everything.
Presentation mode scales the application font for projectors.
"""

from __future__ import annotations

import enum

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

PRESENTATION_SCALE = 1.5
_BASE_FONTS: dict[int, QFont] = {}


class Theme(enum.Enum):
    """The user's choice."""

    SYSTEM = "system"
    LIGHT = "light"
    DARK = "dark"


def system_prefers_dark() -> bool:
    """True when the desktop asks for a dark appearance."""
    hints = QGuiApplication.styleHints()
    scheme = hints.colorScheme() if hasattr(hints, "colorScheme") else None
    return bool(scheme == Qt.ColorScheme.Dark)


def dark_palette() -> QPalette:
    """A calm dark palette with enough contrast for a projector."""
    palette = QPalette()
    colors = {
        QPalette.ColorRole.Window: "#1f2228",
        QPalette.ColorRole.WindowText: "#e6e6e6",
        QPalette.ColorRole.Base: "#16181d",
        QPalette.ColorRole.AlternateBase: "#1c1f25",
        QPalette.ColorRole.ToolTipBase: "#2b2f37",
        QPalette.ColorRole.ToolTipText: "#e6e6e6",
        QPalette.ColorRole.PlaceholderText: "#8a8f98",
        QPalette.ColorRole.Text: "#e6e6e6",
        QPalette.ColorRole.Button: "#2a2e36",
        QPalette.ColorRole.ButtonText: "#e6e6e6",
        QPalette.ColorRole.BrightText: "#ff6b6b",
        QPalette.ColorRole.Highlight: "#3d7bd9",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: "#6ea8ff",
        QPalette.ColorRole.Mid: "#3a3f48",
        QPalette.ColorRole.Dark: "#121418",
        QPalette.ColorRole.Light: "#3a3f48",
    }
    for role, value in colors.items():
        palette.setColor(role, QColor(value))
    disabled = QColor("#6b7079")
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.WindowText,
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return palette


def light_palette() -> QPalette:
    """The Fusion style's standard light palette, with a clearer selection colour."""
    palette = QApplication.style().standardPalette()
    palette.setColor(QPalette.ColorRole.Highlight, QColor("#2f6fd6"))
    palette.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
    return palette


def palette_is_dark(palette: QPalette) -> bool:
    """True when a palette's window colour is dark (views pick readable colours with it)."""
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def error_color(palette: QPalette) -> QColor:
    """A red that reads well on the palette's window colour."""
    return QColor("#ff7b72" if palette_is_dark(palette) else "#b3261e")


def is_dark(theme: Theme) -> bool:
    """Whether ``theme`` means dark right now."""
    return theme is Theme.DARK or (theme is Theme.SYSTEM and system_prefers_dark())


def apply_theme(app: QApplication, theme: Theme) -> None:
    """Switch the whole application to ``theme``."""
    app.setStyle("Fusion")
    app.setPalette(dark_palette() if is_dark(theme) else light_palette())
    # Widgets with a style sheet keep the palette they were polished with: repolish them.
    for widget in app.allWidgets():
        sheet = widget.styleSheet()
        if sheet:
            widget.setStyleSheet(sheet)


class FontScaler:
    """Remembers the application's normal font so presentation mode can scale it and back."""

    def __init__(self, app: QApplication) -> None:
        self._app = app
        # The first scaler of an application remembers its normal font for every later one.
        self._base = _BASE_FONTS.setdefault(id(app), QFont(app.font()))

    def apply(self, presentation: bool) -> None:
        """Use the normal font, or one ``PRESENTATION_SCALE`` times larger."""
        font = QFont(self._base)
        size = self._base.pointSizeF()
        if size > 0:
            font.setPointSizeF(size * (PRESENTATION_SCALE if presentation else 1.0))
        self._app.setFont(font)
