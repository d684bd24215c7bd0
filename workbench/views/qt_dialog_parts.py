"""Pieces the workbench's dialogs share: a problem line under the input, OK and Cancel, a
project picker."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QLabel, QWidget

from workbench.client.records import ProjectRow
from workbench.views.qt_themes import error_color


def problem_label() -> QLabel:
    """A wrapped plain-text label for what is wrong with a dialog's input."""
    label = QLabel()
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def set_problem(label: QLabel, problem: str, hint: str) -> None:
    """Show ``problem`` in the error colour, or ``hint`` dimmed when there is none."""
    label.setText(problem or hint)
    if problem:
        palette = label.palette()
        palette.setColor(QPalette.ColorRole.WindowText, error_color(palette))
        label.setPalette(palette)
        label.setForegroundRole(QPalette.ColorRole.WindowText)
    else:
        label.setForegroundRole(QPalette.ColorRole.PlaceholderText)


def ok_cancel_buttons(dialog: QDialog, ok_text: str) -> QDialogButtonBox:
    """OK (named ``ok_text``, disabled until the input is usable) and Cancel for ``dialog``."""
    box = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
    )
    ok = box.button(QDialogButtonBox.StandardButton.Ok)
    ok.setText(ok_text)
    ok.setEnabled(False)
    box.accepted.connect(dialog.accept)
    box.rejected.connect(dialog.reject)
    return box


class QtProjectBox(QComboBox):
    """Picks a project by name; keeps its choice when the list is refreshed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ids: list[bytes] = []  # by index (bytes in a QVariant do not compare reliably)

    def set_projects(self, projects: Sequence[ProjectRow], selected: bytes = b"") -> None:
        """Offer ``projects`` (by name); select ``selected``, else keep the current choice,
        else the first."""
        keep = selected or self.project_id()
        ordered = sorted(projects, key=lambda p: p.name.lower())
        self.clear()
        self._ids = [p.id for p in ordered]
        self.addItems([p.name for p in ordered])
        self.setCurrentIndex(self._ids.index(keep) if keep in self._ids else 0)

    def project_id(self) -> bytes:
        """The chosen project's id (empty when there is none: the key's own project)."""
        index = self.currentIndex()
        return self._ids[index] if 0 <= index < len(self._ids) else b""
