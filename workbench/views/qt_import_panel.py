"""Import a JSON Lines or CSV file into the producer's topic, with a preview and a mapping.

Choosing a file shows its first records and offers its fields for the mapping: which is the data
(or the whole record), which become metadata, and where type, mimetype and creation time come
from. Import publishes in batches as fast as the broker acknowledges. A bad line stops the import
there (the events before it are sent, nothing after it) unless "Skip bad lines" is ticked; the
summary names the line and counts what was skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.client.errors import InvalidInput
from workbench.client.records import TopicRow
from workbench.models import json_exact
from workbench.models.event_generator import EventGenerator, GeneratorSettings, GeneratorStats
from workbench.models.event_import import BadLine, FieldMapping, ImportSource, Record, preview
from workbench.models.payload_formats import cell_value, shown_text
from workbench.views.qt_flow_layout import fit_combo
from workbench.views.qt_run_status import QtGeneratorJob, QtRunStatus
from workbench.views.qt_session import QtSession

WHOLE_RECORD = "(the whole record, as JSON)"
NONE = "(none)"
REFRESH_MS = 200
MIMETYPES = ("application/json", "text/plain", "text/csv", "application/octet-stream")


class QtImportPanel(QWidget):
    """The Import page."""

    def __init__(
        self,
        session: QtSession,
        target: Callable[[], TopicRow | None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._session = session
        self._target = target
        self._source: ImportSource | None = None
        self.job = QtGeneratorJob(session, REFRESH_MS, self)
        self.job.progressed.connect(self._refresh)
        self.job.finished.connect(self._finished)
        self._build()

    def _build(self) -> None:
        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText("a .jsonl or .csv file")
        self.path_edit.editingFinished.connect(lambda: self.load(Path(self.path_edit.text())))
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._choose)
        file_row = QHBoxLayout()
        file_row.addWidget(QLabel("File:"))
        file_row.addWidget(self.path_edit, 1)
        file_row.addWidget(browse)
        self.preview_table = QTableWidget(0, 0)
        self.preview_table.setObjectName("importPreview")
        self.preview_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.preview_table.verticalHeader().hide()
        self.preview_table.setMaximumHeight(self.fontMetrics().height() * 9)

        self.data_combo = QComboBox()
        self.metadata_list = QListWidget()
        self.metadata_list.setMaximumHeight(self.fontMetrics().height() * 6)
        self.metadata_list.setToolTip("Tick the fields to copy into each event's metadata")
        self.type_combo = QComboBox()
        self.type_combo.setToolTip("A field holding the type: Name or Name:1.2.3")
        self.mimetype_field_combo = QComboBox()
        self.created_combo = QComboBox()
        self.created_combo.setToolTip("A field holding the creation time: RFC 3339 or epoch ms")
        self.mimetype_combo = QComboBox()
        self.mimetype_combo.setEditable(True)
        self.mimetype_combo.addItems(MIMETYPES)
        self.type_edit = QLineEdit("Imported:1.0.0")
        self.type_edit.setToolTip("The type when no field gives one: Name or Name:1.2.3")
        for combo in (
            self.data_combo,
            self.type_combo,
            self.mimetype_field_combo,
            self.created_combo,
            self.mimetype_combo,
        ):
            fit_combo(combo, 10)
        self.skip_check = QCheckBox("Skip bad lines (and count them) instead of stopping")
        # Two columns: the whole mapping fits a 720-pixel screen in presentation mode.
        fields = QFormLayout()
        fields.addRow("Data:", self.data_combo)
        fields.addRow("Metadata fields:", self.metadata_list)
        fallbacks = QFormLayout()
        fallbacks.addRow("Type field:", self.type_combo)
        fallbacks.addRow("Mimetype field:", self.mimetype_field_combo)
        fallbacks.addRow("Created time field:", self.created_combo)
        fallbacks.addRow("Mimetype otherwise:", self.mimetype_combo)
        fallbacks.addRow("Type otherwise:", self.type_edit)
        form = QHBoxLayout()
        form.addLayout(fields, 1)
        form.addSpacing(self.fontMetrics().averageCharWidth() * 2)
        form.addLayout(fallbacks, 1)

        self.import_button = QPushButton("Import")
        self.import_button.clicked.connect(self.start)
        self.status = QtRunStatus(can_pause=True)
        self.status.pause_toggled.connect(self.job.pause)
        self.status.stop_requested.connect(self.stop)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        run_row = QHBoxLayout()
        run_row.addWidget(self.import_button, 0, Qt.AlignmentFlag.AlignTop)
        run_row.addWidget(self.status, 1)

        layout = QVBoxLayout(self)
        layout.addLayout(file_row)
        layout.addWidget(self.preview_table)
        layout.addLayout(form)
        layout.addWidget(self.skip_check)
        layout.addLayout(run_row)
        layout.addWidget(self.summary)
        layout.addStretch(1)
        self._fill_fields([])

    # -- the file -----------------------------------------------------------------------------

    def _choose(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Import events", "", "Events (*.jsonl *.ndjson *.json *.csv);;All files (*)"
        )
        if path:
            self.load(Path(path))

    def load(self, path: Path) -> bool:
        """Show a file's first records and offer its fields; False if it cannot be read."""
        self.path_edit.setText(str(path))
        try:
            records, names = preview(path)
        except (OSError, InvalidInput) as exc:
            self.summary.setText(f"Cannot read {path.name}: {exc}")
            self._fill_fields([])
            self.preview_table.setRowCount(0)
            return False
        self._fill_fields(names)
        self._show_preview(records, names)
        self.summary.setText(f"{path.name}: choose the mapping, then Import.")
        return True

    def _fill_fields(self, names: list[str]) -> None:
        self.data_combo.clear()
        self.data_combo.addItem(WHOLE_RECORD)
        self.data_combo.addItems(names)
        for combo in (self.type_combo, self.mimetype_field_combo, self.created_combo):
            combo.clear()
            combo.addItem(NONE)
            combo.addItems(names)
        self.metadata_list.clear()
        for name in names:
            item = QListWidgetItem(name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.metadata_list.addItem(item)

    def _show_preview(self, records: list[Record | BadLine], names: list[str]) -> None:
        columns = ["Line", *names] if names else ["Line", "Record"]
        self.preview_table.setColumnCount(len(columns))
        self.preview_table.setHorizontalHeaderLabels(columns)
        self.preview_table.setRowCount(len(records))
        for row, record in enumerate(records):
            self.preview_table.setItem(row, 0, QTableWidgetItem(str(record.line)))
            if isinstance(record, BadLine):
                self.preview_table.setItem(row, 1, QTableWidgetItem(f"bad line: {record.reason}"))
                continue
            fields = record.fields if isinstance(record.fields, dict) else {"Record": record.fields}
            for column, name in enumerate(columns[1:], 1):
                value = fields.get(name, "")
                text = shown_text(value) if isinstance(value, str) else json_exact.dumps(value)
                shown, tip = cell_value(text)
                item = QTableWidgetItem(shown)
                item.setToolTip(tip)
                self.preview_table.setItem(row, column, item)
        self.preview_table.resizeColumnsToContents()

    def mapping(self) -> FieldMapping:
        """The mapping the form describes."""

        def chosen(combo: QComboBox, none: str = NONE) -> str | None:
            text = combo.currentText()
            return None if text in (none, "") else text

        name, _, version = self.type_edit.text().strip().partition(":")
        metadata = tuple(
            self.metadata_list.item(i).text()
            for i in range(self.metadata_list.count())
            if self.metadata_list.item(i).checkState() == Qt.CheckState.Checked
        )
        return FieldMapping(
            data=chosen(self.data_combo, WHOLE_RECORD),
            metadata=metadata,
            type_field=chosen(self.type_combo),
            mimetype_field=chosen(self.mimetype_field_combo),
            created_field=chosen(self.created_combo),
            mimetype=self.mimetype_combo.currentText().strip() or "application/json",
            type_name=name or "Imported",
            type_version=version or "1.0.0",
        )

    # -- the import ---------------------------------------------------------------------------

    def start(self) -> None:
        """Import the file into the producer's topic."""
        topic, client = self._target(), self._session.client
        path = Path(self.path_edit.text())
        if topic is None or client is None or not path.is_file():
            self.summary.setText(
                "Choose a file and a topic first." if client else "Not connected to a broker."
            )
            return
        if self.is_running():
            return
        self._source = ImportSource(path, self.mapping(), skip_bad=self.skip_check.isChecked())
        self.import_button.setEnabled(False)
        self.summary.setText(f"Importing {path.name} into {topic.name}…")
        generator = EventGenerator(client, self._source, GeneratorSettings(topic.id))
        self.job.start(generator, "importing")

    def is_running(self) -> bool:
        """True while an import runs."""
        return self.job.is_running()

    def stop(self) -> None:
        """Send nothing more (batches in flight are still answered)."""
        self.job.stop()

    def _refresh(self) -> None:
        if self.job.generator is not None:
            self.status.show_stats(self.job.generator.stats())

    def _finished(self, stats: GeneratorStats) -> None:
        self.status.show_stats(stats)
        self.import_button.setEnabled(True)
        self._session.refresh_topics()
        skipped = self._source.skipped if self._source is not None else []
        text = f"Imported {stats.acked:,} events"
        if stats.nacked:
            text += f"; the broker refused {stats.nacked:,}"
        if skipped:
            text += f"; skipped {len(skipped):,} bad lines (first: {skipped[0]})"
        if stats.unstored:
            text += f"; {stats.unstored:,} sent were not stored"
        if stats.lost:
            text += f"; {stats.lost:,} sent got no answer (counted when the broker is back)"
        if stats.failure:
            text += f". Stopped at {stats.failure}: nothing after it was sent."
        self.summary.setText(text + ("" if text.endswith(".") else "."))
