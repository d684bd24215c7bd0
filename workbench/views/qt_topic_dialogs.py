"""Dialogs of the topic browser: a new topic, destroying a topic, a topic's dedup policy.

Each dialog validates as the user types, keeps OK disabled until its input is usable, and
exposes its result through methods; the browser connects ``accepted`` to the action.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from workbench.client.broker_rules import (
    DEDUP_STRATEGIES,
    validate_dedup_policy,
    validate_topic_name,
)
from workbench.client.errors import InvalidInput
from workbench.client.jetstream_settings import STREAM_NAME_HINT, validate_stream_name
from workbench.client.records import ProjectRow, TopicRow
from workbench.models.topic_tree import format_count
from workbench.views.qt_dialog_parts import (
    QtCheckedDialog,
    QtNameDialog,
    QtProjectBox,
    ok_cancel_buttons,
    problem_label,
    set_problem,
    warning_icon,
)

DEDUP_EXPLANATIONS = {
    "NONE": "Keep every event; nothing is treated as a duplicate.",
    "STRICT": "A duplicate has the same data, metadata, mimetype and type as an earlier event.",
    "DATAGRAM": "A duplicate has the same data as an earlier event (metadata may differ).",
    "KEY_GROUPED": "A duplicate has the same data and the same values of the given metadata keys.",
    "UNIQUE_KEY": "A duplicate has the same values of the given metadata keys (data may differ).",
    "UNIQUE_FIELD": "A duplicate has the same values of the given top-level JSON fields.",
}
NEEDS_KEYS = ("KEY_GROUPED", "UNIQUE_KEY")
NEEDS_FIELDS = ("UNIQUE_FIELD",)


def split_names(text: str) -> list[str]:
    """``"a, b,,c "`` as ``["a", "b", "c"]``."""
    return [part.strip() for part in text.split(",") if part.strip()]


class QtNewTopicDialog(QtNameDialog):
    """Asks for a new topic's project and name, checking Ensign's naming rules as the user
    types."""

    HINT = "Starts with a letter; then letters, digits, '.', '-' or '_'."

    def __init__(
        self,
        parent: QWidget | None = None,
        projects: Sequence[ProjectRow] = (),
        project_id: bytes = b"",
        jetstream: bool = False,
    ) -> None:
        """
        Args:
            parent: the window.
            projects: the projects to choose from (an Ensign broker's).
            project_id: the project chosen at first.
            jetstream: a JetStream stream instead: its naming rule, no project, and a
                replication factor.
        """
        if jetstream:
            super().__init__(
                "New stream", "Stream name", validate_stream_name, STREAM_NAME_HINT,
                "e.g. orders", parent,
            )  # fmt: skip
        else:
            super().__init__(
                "New topic", "Topic name", validate_topic_name, self.HINT, "e.g. orders.created",
                parent,
            )  # fmt: skip
        self.project_box = QtProjectBox()
        self.project_box.setToolTip("The project the topic belongs to")
        self.project_box.set_projects(projects, project_id)
        self.replicas_box = QSpinBox()
        self.replicas_box.setRange(1, 5)
        self.replicas_box.setToolTip(
            "Copies of the stream, each on its own server: R3 survives losing one server"
        )
        if jetstream:
            self.form.insertRow(1, "Replicas", self.replicas_box)
        else:
            self.form.insertRow(0, "Project", self.project_box)

    def replicas(self) -> int:
        """The replication factor chosen (1 for an Ensign topic)."""
        return self.replicas_box.value()

    def topic_name(self) -> str:
        """The name typed."""
        return self.name_edit.text()

    def project_id(self) -> bytes:
        """The project picked (empty: the key's own)."""
        return self.project_box.project_id()


class QtDestroyTopicDialog(QtCheckedDialog):
    """Confirms destroying a topic: the user must type its name."""

    def __init__(self, topic_name: str, events: int = 0, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.topic = topic_name
        self.setWindowTitle(f"Destroy {topic_name}")
        icon = warning_icon(self)
        noun = "event" if events == 1 else "events"
        self.explanation = QLabel(
            f"This deletes {format_count(events)} {noun} and the topic's key for good. "
            f"It cannot be undone.\n\nType the topic name to confirm:"
        )
        self.explanation.setWordWrap(True)
        self.name_label = QLabel(topic_name)
        self.name_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.name_label.font()
        font.setBold(True)
        self.name_label.setFont(font)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText(topic_name)
        self.buttons = ok_cancel_buttons(self, "Destroy")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setDefault(True)

        text = QVBoxLayout()
        text.addWidget(self.explanation)
        text.addWidget(self.name_label)
        text.addWidget(self.name_edit)
        top = QHBoxLayout()
        top.addWidget(icon)
        top.addLayout(text, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 64)

        self.name_edit.textChanged.connect(self._validate)

    def confirmed(self) -> bool:
        """True when the typed text is exactly the topic's name."""
        return self.name_edit.text() == self.topic

    def is_valid(self) -> bool:
        """True once the topic's name is typed."""
        return self.confirmed()

    def _validate(self) -> None:
        ok = self.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(self.confirmed())
        ok.setDefault(self.confirmed())


class QtDedupPolicyDialog(QtCheckedDialog):
    """Edits a topic's deduplication policy."""

    def __init__(self, topic: TopicRow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.topic = topic
        self.setWindowTitle(f"Deduplication of {topic.name}")
        self.strategy_box = QComboBox()
        for strategy in DEDUP_STRATEGIES:
            self.strategy_box.addItem(strategy.replace("_", " ").title(), strategy)
            self.strategy_box.setItemData(
                self.strategy_box.count() - 1,
                DEDUP_EXPLANATIONS[strategy],
                Qt.ItemDataRole.ToolTipRole,
            )
        self.explanation = QLabel()
        self.explanation.setWordWrap(True)
        # Wrapped labels do not grow a dialog by themselves: reserve two lines.
        two_lines = self.fontMetrics().lineSpacing() * 2
        self.explanation.setMinimumHeight(two_lines)
        self.keys_edit = QLineEdit(", ".join(topic.dedup_keys))
        self.keys_edit.setPlaceholderText("metadata keys, comma-separated (e.g. customer, region)")
        self.fields_edit = QLineEdit(", ".join(topic.dedup_fields))
        self.fields_edit.setPlaceholderText("JSON fields, comma-separated (e.g. order_id)")
        self.message = problem_label()
        self.message.setMinimumHeight(two_lines)
        self.buttons = ok_cancel_buttons(self, "Apply")

        form = QFormLayout()
        form.addRow("Strategy", self.strategy_box)
        form.addRow("", self.explanation)
        form.addRow("Keys", self.keys_edit)
        form.addRow("Fields", self.fields_edit)
        form.addRow("", self.message)
        note = QLabel("The policy applies to events published from now on.")
        note.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 84)

        index = self.strategy_box.findData(topic.dedup_strategy)
        self.strategy_box.setCurrentIndex(max(index, 0))
        self.strategy_box.currentIndexChanged.connect(self._validate)
        self.keys_edit.textChanged.connect(self._validate)
        self.fields_edit.textChanged.connect(self._validate)
        self._validate()

    def set_strategy(self, strategy: str) -> None:
        """Choose a strategy by its name (``"UNIQUE_KEY"``)."""
        self.strategy_box.setCurrentIndex(self.strategy_box.findData(strategy))

    def strategy(self) -> str:
        """The chosen strategy's name."""
        return str(self.strategy_box.currentData())

    def keys(self) -> list[str]:
        """The metadata keys (empty unless the strategy uses them)."""
        return split_names(self.keys_edit.text()) if self.strategy() in NEEDS_KEYS else []

    def fields(self) -> list[str]:
        """The JSON fields (empty unless the strategy uses them)."""
        return split_names(self.fields_edit.text()) if self.strategy() in NEEDS_FIELDS else []

    def problem(self) -> str:
        """Why the policy is not usable ("" when it is)."""
        strategy = self.strategy()
        title = self.strategy_box.currentText()
        if strategy in NEEDS_KEYS and not self.keys():
            return f"{title} needs at least one metadata key: type them separated by commas."
        if strategy in NEEDS_FIELDS and not self.fields():
            return f"{title} needs at least one JSON field: type them separated by commas."
        try:
            validate_dedup_policy(strategy, self.keys(), self.fields())
        except InvalidInput as exc:
            return str(exc)
        return ""

    def _validate(self) -> None:
        strategy = self.strategy()
        self.explanation.setText(DEDUP_EXPLANATIONS[strategy])
        self.keys_edit.setEnabled(strategy in NEEDS_KEYS)
        self.fields_edit.setEnabled(strategy in NEEDS_FIELDS)
        problem = self.problem()
        set_problem(self.message, problem, "")
        self.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not problem)
