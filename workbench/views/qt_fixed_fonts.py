"""Fixed-pitch text (JSON, templates, hex) at the size of the text around it.

A widget given its own font keeps that font's size when the application's font changes, so an
editor set to the system's fixed font at start-up stayed small in presentation mode while every
label around it grew 1.5 times. :func:`use_fixed_font` sets the font and keeps it following the
owner's size.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QWidget


class _FixedFontFollower(QObject):
    def __init__(self, owner: QWidget, widgets: tuple[QWidget, ...]) -> None:
        super().__init__(owner)
        self._owner = owner
        self._widgets = widgets

    def apply(self) -> None:
        fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        fixed.setPointSizeF(self._owner.font().pointSizeF())
        for widget in self._widgets:
            widget.setFont(fixed)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._owner and event.type() == QEvent.Type.FontChange:
            self.apply()
        return False


def use_fixed_font(owner: QWidget, *widgets: QWidget) -> None:
    """Give ``widgets`` the system's fixed-pitch font at ``owner``'s point size, now and each
    time ``owner``'s font changes (presentation mode, a theme)."""
    follower = _FixedFontFollower(owner, widgets)
    owner.installEventFilter(follower)
    follower.apply()
