"""Pieces the workbench's dialogs share: a problem line under the input, OK and Cancel, a
project picker, a dialog that accepts only usable input, and one that asks for a name."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from workbench.client.errors import InvalidInput
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


def warning_icon(widget: QWidget) -> QLabel:
    """The style's warning sign at message-box size, for the top left of a dialog."""
    icon = QLabel()
    style = widget.style()
    size = style.pixelMetric(QStyle.PixelMetric.PM_MessageBoxIconSize)
    icon.setPixmap(style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning).pixmap(size))
    icon.setAlignment(Qt.AlignmentFlag.AlignTop)
    return icon


class QtCheckedDialog(QDialog):
    """A dialog whose OK closes it only while its input is usable (:meth:`is_valid`).

    Subclasses set :attr:`buttons` and say what is wrong in :meth:`problem`.
    """

    buttons: QDialogButtonBox

    def problem(self) -> str:
        """Why the input is not usable ("" when it is)."""
        return ""

    def is_valid(self) -> bool:
        """True when OK would do what the dialog is for."""
        return not self.problem()

    def accept(self) -> None:
        """Close with OK, only for usable input."""
        if self.is_valid():
            super().accept()

    def button(self, which: QDialogButtonBox.StandardButton) -> QPushButton:
        """One of the dialog's buttons."""
        return self.buttons.button(which)


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


class QtNameDialog(QtCheckedDialog):
    """Asks for a name, checking it against one of the broker's rules as the user types."""

    def __init__(
        self,
        title: str,
        label: str,
        rule: Callable[[str], object],
        hint: str,
        placeholder: str = "",
        parent: QWidget | None = None,
    ) -> None:
        """
        Args:
            title: the window title.
            label: the name field's label.
            rule: raises InvalidInput (with the broker's message) for an unusable name.
            hint: shown, dimmed, while there is no problem.
            placeholder: an example in the empty field.
            parent: the window.
        """
        super().__init__(parent)
        self.setWindowTitle(title)
        self._rule = rule
        self._hint = hint
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText(placeholder)
        self.name_edit.setToolTip(hint)
        self.message = problem_label()
        self.message.setMinimumHeight(self.fontMetrics().lineSpacing() * 2)
        self.buttons = ok_cancel_buttons(self, "Create")
        self.form = QFormLayout()
        self.form.addRow(label, self.name_edit)
        self.form.addRow("", self.message)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 60)
        self.name_edit.textChanged.connect(self._validate)
        self._validate()

    def problem(self) -> str:
        """Why the name is not usable ("" when it is, or while nothing is typed)."""
        name = self.name_edit.text()
        if not name:
            return ""
        try:
            self._rule(name)
        except InvalidInput as exc:
            return str(exc)
        return ""

    def is_valid(self) -> bool:
        """True when OK would create it."""
        return bool(self.name_edit.text()) and not self.problem()

    def _validate(self) -> None:
        set_problem(self.message, self.problem(), self._hint)
        self.button(QDialogButtonBox.StandardButton.Ok).setEnabled(self.is_valid())
