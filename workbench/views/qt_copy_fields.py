"""Copying: text a user copies into their own code (a value with a Copy button, a block of
code), and a payload's exact bytes with a text form beside them."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QMimeData, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import Shiboken

from workbench.models.payload_copy import PayloadCopy
from workbench.views.qt_fixed_fonts import use_fixed_font

MAX_FIELD_CHARS = 72
MAX_CODE_COLUMNS = 100
MAX_CODE_LINES = 24


def copy_to_clipboard(text: str) -> None:
    """Put ``text`` on the clipboard."""
    QGuiApplication.clipboard().setText(text)


def copy_payload(copy: PayloadCopy) -> None:
    """Put a payload on the clipboard: its text form and its bytes under each media type."""
    data = QMimeData()
    data.setText(copy.text)
    for media_type, raw in copy.formats.items():
        data.setData(media_type, QByteArray(raw))
    QGuiApplication.clipboard().setMimeData(data)


def release_clipboard() -> None:
    """Before the program exits: hand the clipboard a copy Qt made itself of what we put there.

    A ``QMimeData`` made here (:func:`copy_payload`) has a Python wrapper. Qt's default
    clipboard (the offscreen and minimal platforms') is a static object destroyed after the
    interpreter, and deleting the data then calls into a finalized Python: a segmentation fault
    at exit (PySide6 6.11). The text stays on the clipboard; the raw byte formats go with us.
    """
    clipboard = QGuiApplication.clipboard()
    data = clipboard.mimeData()
    if data is None or not Shiboken.createdByPython(data):
        return
    text = data.text()
    clipboard.clear()
    if text:
        clipboard.setText(text)


class QtCopyField(QWidget):
    """A read-only value in a fixed-width font, with a button that copies it."""

    copied = Signal()

    def __init__(self, text: str, button_text: str = "Copy", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit(text)
        self.edit.setReadOnly(True)
        use_fixed_font(self, self.edit)
        self.edit.setCursorPosition(0)
        # Room for the whole value (a 64-character secret included) without scrolling.
        shown = min(len(text), MAX_FIELD_CHARS) + 2
        self.edit.setMinimumWidth(self.edit.fontMetrics().horizontalAdvance("M" * shown))
        self.button = QPushButton(button_text)
        self.button.clicked.connect(self.copy)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.button)

    def text(self) -> str:
        """The value."""
        return self.edit.text()

    def set_text(self, text: str) -> None:
        """Show another value."""
        self.edit.setText(text)
        self.edit.setCursorPosition(0)

    def copy(self) -> None:
        """Copy the value to the clipboard."""
        copy_to_clipboard(self.text())
        self.copied.emit()


class QtCodeBlock(QWidget):
    """A read-only block of code in a fixed-width font, with a button that copies it whole."""

    copied = Signal()

    def __init__(self, code: str, button_text: str = "Copy", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = QPlainTextEdit(code)
        self.view.setReadOnly(True)
        self.view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        use_fixed_font(self, self.view)
        # Room for the whole snippet, up to a size that still fits a laptop's screen.
        metrics = self.view.fontMetrics()
        lines = code.rstrip("\n").splitlines() or [""]
        widest = min(max(len(line) for line in lines), MAX_CODE_COLUMNS) + 4
        self.view.setMinimumWidth(metrics.horizontalAdvance("M" * widest))
        self.view.setMinimumHeight(metrics.lineSpacing() * (min(len(lines), MAX_CODE_LINES) + 2))
        self.button = QPushButton(button_text)
        self.button.clicked.connect(self.copy)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addLayout(row)

    def code(self) -> str:
        """The code shown."""
        return self.view.toPlainText()

    def copy(self) -> None:
        """Copy the code to the clipboard."""
        copy_to_clipboard(self.code())
        self.copied.emit()
