"""The Fields tab: pick a topic and a field of its JSON data, and watch its values live.

The path box offers the fields found in the topic's latest events (numbers first); any path can be
typed (``position.lat``, ``items[0].qty``). Several fields and topics share the chart below.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from workbench.client.records import TopicRow
from workbench.models.field_paths import PathError, leaf_paths, parse_path
from workbench.models.json_exact import parse_plain
from workbench.views.qt_field_chart import QtFieldChart
from workbench.views.qt_flow_layout import QtFlowLayout, fit_combo
from workbench.views.qt_session import QtSession

SAMPLE_EVENTS = 50


class QtFieldsPanel(QWidget):
    """Field charts with pickers for topic and field."""

    def __init__(self, session: QtSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self.topic_combo = QComboBox()
        fit_combo(self.topic_combo, 14)
        self.topic_combo.currentIndexChanged.connect(self._suggest)
        self.path_combo = QComboBox()
        self.path_combo.setEditable(True)
        fit_combo(self.path_combo, 16)
        path_edit = self.path_combo.lineEdit()
        assert path_edit is not None
        path_edit.setPlaceholderText("a field, e.g. position.lat")
        path_edit.returnPressed.connect(self.add_current)
        self.add_button = QPushButton("Add to chart")
        self.add_button.clicked.connect(self.add_current)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self._remove_selected)
        self.problem = QLabel()
        picker = QtFlowLayout()
        picker.add_group(QLabel("Topic:"), self.topic_combo)
        picker.add_group(QLabel("Field:"), self.path_combo, self.add_button)
        self.series_list = QListWidget()
        self.series_list.setMaximumHeight(self.fontMetrics().height() * 5)
        self.chart = QtFieldChart(session)
        self.chart.series_changed.connect(self._list_series)
        listed = QHBoxLayout()
        listed.addWidget(self.series_list, 1)
        listed.addWidget(self.remove_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.addLayout(picker)
        layout.addWidget(self.problem)
        layout.addLayout(listed)
        layout.addWidget(self.chart, 1)
        session.topics_changed.connect(self._fill_topics)
        self._fill_topics(session.topics)
        self.problem.hide()

    def _fill_topics(self, topics: list[TopicRow]) -> None:
        current = self.topic_combo.currentData(Qt.ItemDataRole.UserRole)
        self.topic_combo.blockSignals(True)
        self.topic_combo.clear()
        for topic in sorted(topics, key=lambda t: (t.project_name, t.name)):
            self.topic_combo.addItem(topic.name, topic.id.hex())
        self.topic_combo.blockSignals(False)
        index = self.topic_combo.findData(current, Qt.ItemDataRole.UserRole)
        self.topic_combo.setCurrentIndex(max(index, 0))
        if index < 0:
            self._suggest()

    def selected_topic(self) -> TopicRow | None:
        """The topic chosen in the picker."""
        topic_hex = self.topic_combo.currentData(Qt.ItemDataRole.UserRole)
        return self._session.topic(bytes.fromhex(topic_hex)) if topic_hex else None

    def _suggest(self, *_: object) -> None:
        topic, client = self.selected_topic(), self._session.client
        if topic is None or client is None:
            return

        def suggest(page: object) -> None:
            paths: dict[str, bool] = {}
            for row in getattr(page, "events", []):
                try:
                    document = parse_plain(row.data)
                except ValueError:  # not JSON, or nested too deep to suggest fields from
                    continue
                for path, value in leaf_paths(document):
                    numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
                    paths[path] = paths.get(path, False) or numeric
            text = self.path_combo.currentText()
            self.path_combo.clear()
            ordered = sorted(paths, key=lambda p: (not paths[p], p))
            self.path_combo.addItems(ordered)
            self.path_combo.setEditText(text or (ordered[0] if ordered else ""))

        self._session.run(
            client.read_events(topic.id, from_end=True, limit=SAMPLE_EVENTS), suggest, "sampling"
        )

    def add_current(self) -> None:
        """Chart the chosen topic's chosen field."""
        topic, path = self.selected_topic(), self.path_combo.currentText().strip()
        if topic is None:
            self._show_problem("Choose a topic.")
            return
        try:
            parse_path(path)
        except PathError as exc:
            self._show_problem(f"Not a field path: {exc}")
            return
        if any(s.topic_id == topic.id and s.path == path for s in self.chart.series):
            self._show_problem(f"{topic.name} · {path} is on the chart already.")
            return
        self.problem.hide()
        self.chart.add_series(topic.id, topic.name, path)

    def _show_problem(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.show()

    def _list_series(self) -> None:
        self.series_list.clear()
        for series in self.chart.series:
            self.series_list.addItem(QListWidgetItem(series.label))

    def _remove_selected(self) -> None:
        row = self.series_list.currentRow()
        if 0 <= row < len(self.chart.series):
            self.chart.remove_series(self.chart.series[row])
