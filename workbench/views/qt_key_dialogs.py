"""Dialogs of the key manager: a new project, and a new key with its permissions.

Each dialog validates as the user types, keeps OK disabled until its input is usable, and
exposes its result through methods; the key manager connects ``accepted`` to the action.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from workbench.client.broker_rules import (
    PERMISSION_TEXT,
    PERMISSIONS,
    validate_project_name,
)
from workbench.client.records import ProjectRow
from workbench.models.key_presets import CUSTOM, PRESETS, ordered, preset, preset_name
from workbench.views.qt_connect_code import note_label
from workbench.views.qt_dialog_parts import (
    QtCheckedDialog,
    QtNameDialog,
    QtProjectBox,
    ok_cancel_buttons,
    problem_label,
    set_problem,
)

OK = QDialogButtonBox.StandardButton.Ok


class QtNewProjectDialog(QtNameDialog):
    """Asks for a new project's name."""

    HINT = "Projects keep topics and keys apart: a key sees only its own project's topics."

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            "New project", "Project name", validate_project_name, self.HINT, "e.g. billing", parent
        )

    def project_name(self) -> str:
        """The name typed, stripped."""
        return self.name_edit.text().strip()


class QtNewKeyDialog(QtCheckedDialog):
    """Asks for a new key's name, project and permissions (a preset, or any set of them)."""

    def __init__(
        self,
        projects: Sequence[ProjectRow],
        project_id: bytes = b"",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("New API key")
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("what the key is for, e.g. orders-service")
        self.project_box = QtProjectBox()
        self.project_box.set_projects(projects, project_id)
        self.preset_box = QComboBox()
        for choice in PRESETS:
            self.preset_box.addItem(choice.name)
        self.preset_box.addItem(CUSTOM)
        self.purpose = note_label("")
        self.checks: dict[str, QCheckBox] = {}
        grid = QGridLayout()
        for row, permission in enumerate(PERMISSIONS):
            check = QCheckBox(permission)
            check.setToolTip(PERMISSION_TEXT[permission])
            check.toggled.connect(self._checks_changed)
            self.checks[permission] = check
            grid.addWidget(check, row, 0)
            grid.addWidget(note_label(PERMISSION_TEXT[permission]), row, 1)
        grid.setColumnStretch(1, 1)
        permissions = QGroupBox("Permissions")
        permissions.setLayout(grid)
        self.message = problem_label()
        self.buttons = ok_cancel_buttons(self, "Create key")

        form = QFormLayout()
        form.addRow("Name", self.name_edit)
        form.addRow("Project", self.project_box)
        form.addRow("Preset", self.preset_box)
        form.addRow("", self.purpose)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(permissions)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 100)

        self.name_edit.textChanged.connect(self._validate)
        self.preset_box.currentTextChanged.connect(self.choose_preset)
        self.choose_preset(PRESETS[0].name)

    def choose_preset(self, name: str) -> None:
        """Tick exactly the preset's permissions (:data:`CUSTOM` leaves them as they are)."""
        if name != CUSTOM:
            granted = set(preset(name).permissions)
            for permission, check in self.checks.items():
                check.blockSignals(True)
                check.setChecked(permission in granted)
                check.blockSignals(False)
        self._checks_changed()

    def key_name(self) -> str:
        """The name typed, stripped."""
        return self.name_edit.text().strip()

    def project_id(self) -> bytes:
        """The project picked."""
        return self.project_box.project_id()

    def permissions(self) -> list[str]:
        """The permissions ticked."""
        return list(ordered(p for p, check in self.checks.items() if check.isChecked()))

    def problem(self) -> str:
        """What is missing before the key can be created ("" when nothing is)."""
        if not self.key_name():
            return "Give the key a name: it is how you will recognise it in the list."
        if not self.permissions():
            return "Tick at least one permission."
        return ""

    def _checks_changed(self) -> None:
        name = preset_name(self.permissions())
        self.preset_box.blockSignals(True)
        self.preset_box.setCurrentText(name)
        self.preset_box.blockSignals(False)
        self.purpose.setText(
            preset(name).purpose if name != CUSTOM else "the permissions ticked below"
        )
        self._validate()

    def _validate(self) -> None:
        problem = self.problem() if self.name_edit.text() or not self.permissions() else ""
        set_problem(self.message, problem, "The secret is shown once, when the key is created.")
        self.button(OK).setEnabled(not self.problem())
