"""Generate events from a template: edit, preview five, then run at a rate and shape.

The template (the format in ``models.event_templates``) is checked as you type; Preview renders
five events without sending anything. A run sends a count of events or for a duration, at a
target rate (0: as fast as the broker acknowledges) shaped constant, as a ramp, in bursts or as a
sine, with live progress, achieved rate, acknowledged and refused counters and the first distinct
refusal reasons; it can pause, resume and stop, and stop at the first refusal if asked. Templates
are saved by name, and exported and imported as files.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from workbench.client.records import TopicRow
from workbench.models import json_exact
from workbench.models.event_generator import EventGenerator, GeneratorSettings, GeneratorStats
from workbench.models.event_templates import (
    EventTemplate,
    TemplateError,
    TemplateRenderer,
    template_from_json,
    template_to_json,
)
from workbench.models.rate_shapes import RateShape, ShapeKind
from workbench.models.template_library import TemplateLibrary
from workbench.models.template_source import TemplateSource
from workbench.views.qt_fixed_fonts import use_fixed_font
from workbench.views.qt_flow_layout import QtFlowLayout
from workbench.views.qt_glyph_icons import standard_icon
from workbench.views.qt_json_highlighter import QtJsonHighlighter
from workbench.views.qt_long_text import editor_text, show_text
from workbench.views.qt_run_status import QtGeneratorJob, QtRunStatus
from workbench.views.qt_session import QtSession
from workbench.views.qt_themes import error_color, palette_is_dark

PREVIEW_EVENTS = 5
REFRESH_MS = 200
CHECK_DELAY_MS = 300
STARTER = {
    "name": "orders",
    "mimetype": "application/json",
    "type": "Order:1.0.0",
    "metadata": {"region": "{{ choice(['eu-west', 'us-east', 'ap-south']) }}"},
    "body": {
        "id": "{{ counter() }}",
        "customer": "{{ faker.name() }}",
        "email": "{{ faker.email() }}",
        "total": "{{ uniform(5, 500) | round(2) }}",
        "items": "{{ randint(1, 5) }}",
        "placed_at": "{{ now() }}",
    },
}


class QtGeneratorPanel(QWidget):
    """The Generate page.

    Args:
        session: the broker connection.
        target: the producer's topic.
        library: where named templates are kept (None: saving is unavailable).
    """

    def __init__(
        self,
        session: QtSession,
        target: Callable[[], TopicRow | None],
        library: TemplateLibrary | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._session = session
        self._target = target
        self._library = library
        self.job = QtGeneratorJob(session, REFRESH_MS, self)
        self.job.progressed.connect(self._refresh)
        self.job.finished.connect(self._finished)
        self._check = QTimer(self)
        self._check.setSingleShot(True)
        self._check.setInterval(CHECK_DELAY_MS)
        self._check.timeout.connect(self.check_template)
        self._build()
        self.editor.setPlainText(json.dumps(STARTER, indent=2, ensure_ascii=False))
        self._fill_library()
        self.check_template()

    # -- building -----------------------------------------------------------------------------

    def _build(self) -> None:
        self.template_combo = QComboBox()
        self.template_combo.setMinimumContentsLength(8)
        self.template_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.template_combo.setToolTip("Your saved templates")
        self.template_combo.activated.connect(self._template_chosen)
        self.save_button = QPushButton("Save…")
        self.save_button.setToolTip("Save this template under a name")
        self.save_button.clicked.connect(self.ask_save)
        self.more_button = QPushButton("More")
        more = QMenu(self.more_button)
        more.addAction("Import from a file…", self._ask_import)
        more.addAction("Export to a file…", self._ask_export)
        more.addSeparator()
        more.addAction("Delete the saved template…", self._ask_delete)
        self.more_button.setMenu(more)
        self.seed_edit = QLineEdit()
        self.seed_edit.setPlaceholderText("none")
        self.seed_edit.setMaximumWidth(self.fontMetrics().horizontalAdvance("0000000000") * 2)
        self.seed_edit.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.seed_edit.setToolTip("A whole number makes every value repeat run after run")
        self.seed_edit.textChanged.connect(self._check.start)
        library_row = QtFlowLayout()  # wraps on a narrow window instead of widening it
        library_row.add_group(QLabel("Template:"), self.template_combo)
        library_row.add_group(self.save_button, self.more_button)

        self.editor = QPlainTextEdit()
        self.editor.setObjectName("templateEditor")
        self.editor.setTabChangesFocus(True)
        self.editor.textChanged.connect(self._check.start)
        self._highlighter = QtJsonHighlighter(
            self.editor.document(), palette_is_dark(self.palette())
        )
        self.template_status = QLabel()
        self.template_status.setWordWrap(True)
        self.template_status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.preview_button = QPushButton("Preview")
        self.preview_button.setToolTip(f"Render {PREVIEW_EVENTS} events without sending them")
        self.preview_button.clicked.connect(self.preview)
        self.preview_text = QPlainTextEdit()
        self.preview_text.setObjectName("templatePreview")
        self.preview_text.setReadOnly(True)
        use_fixed_font(self, self.editor, self.preview_text)
        self.preview_text.setPlaceholderText(f"Preview shows {PREVIEW_EVENTS} events, sends none.")
        self._preview_highlighter = QtJsonHighlighter(
            self.preview_text.document(), palette_is_dark(self.palette())
        )

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(library_row)
        left_layout.addWidget(self.editor, 1)
        left_layout.addWidget(self.template_status)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self._run_form())
        preview_row = QHBoxLayout()
        preview_row.addWidget(self.preview_button)
        preview_row.addStretch(1)
        right_layout.addLayout(preview_row)
        right_layout.addWidget(self.preview_text, 1)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

    def _run_form(self) -> QWidget:
        self.by_count = QRadioButton("Count:")
        self.by_duration = QRadioButton("Duration:")
        self.by_count.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.by_count)
        group.addButton(self.by_duration)
        self.count_spin = QSpinBox()
        self.count_spin.setRange(1, 2_000_000_000)
        self.count_spin.setValue(10_000)
        self.count_spin.setGroupSeparatorShown(True)
        self.count_spin.setSuffix(" events")
        self.duration_spin = _seconds_spin(60.0)
        self.rate_spin = _rate_spin(1_000.0)
        self.rate_spin.setSpecialValueText("unlimited")
        self.rate_spin.setToolTip("Events per second; 0: as fast as the broker acknowledges")
        self.shape_combo = QComboBox()
        self.shape_combo.addItems([k.value for k in ShapeKind])
        self.shape_combo.currentTextChanged.connect(self._shape_changed)
        self.to_rate_spin = _rate_spin(5_000.0)
        self.amplitude_spin = _rate_spin(500.0)
        # One period box per shape: a widget can sit in one row only.
        self.periods = {
            ShapeKind.RAMP: _seconds_spin(60.0),
            ShapeKind.BURST: _seconds_spin(1.0),
            ShapeKind.SINE: _seconds_spin(30.0),
        }
        self.burst_spin = QSpinBox()
        self.burst_spin.setRange(1, 1_000_000)
        self.burst_spin.setValue(500)
        self.burst_spin.setSuffix(" events")
        self.shape_params = QStackedWidget()
        self.shape_params.addWidget(QLabel("The same rate all along."))
        self.shape_params.addWidget(
            _form(("To:", self.to_rate_spin), ("Over:", self.periods[ShapeKind.RAMP]))
        )
        self.shape_params.addWidget(
            _form(("Burst of:", self.burst_spin), ("Every:", self.periods[ShapeKind.BURST]))
        )
        self.shape_params.addWidget(
            _form(("Amplitude:", self.amplitude_spin), ("Period:", self.periods[ShapeKind.SINE]))
        )
        self.stop_on_nack = QCheckBox("Stop at the first refused event")
        self.start_button = QPushButton("Start")
        self.start_button.setIcon(standard_icon(self, QStyle.StandardPixmap.SP_MediaPlay))
        self.start_button.clicked.connect(self.start)
        self.status = QtRunStatus()
        self.status.pause_toggled.connect(self.job.pause)
        self.status.stop_requested.connect(self.stop)

        form_widget = QWidget()
        form = QFormLayout(form_widget)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Seed:", self.seed_edit)
        form.addRow(self.by_count, self.count_spin)
        form.addRow(self.by_duration, self.duration_spin)
        form.addRow("Rate:", self.rate_spin)
        form.addRow("Shape:", self.shape_combo)
        form.addRow("", self.shape_params)
        form.addRow("", self.stop_on_nack)
        form.addRow(self.start_button)
        form.addRow(self.status)
        return form_widget

    # -- the template -------------------------------------------------------------------------

    def template(self) -> EventTemplate:
        """The template in the editor, with the seed field applied.

        Raises:
            TemplateError: for a template that does not load (path and reason).
        """
        template = template_from_json(editor_text(self.editor))
        seed = self.seed_edit.text().strip()
        if seed:
            if not seed.lstrip("-").isdigit():
                raise TemplateError("seed", "the seed must be a whole number")
            template = replace(template, seed=int(seed))
        return template

    def check_template(self) -> EventTemplate | None:
        """Check the editor's template now; show what is wrong; return it when it loads."""
        self._check.stop()
        try:
            template = self.template()
        except TemplateError as exc:
            self._status(str(exc), problem=True)
            return None
        kind = "JSON" if template.is_json else "text"
        self._status(f"A {kind} template of {template.type} events ({template.mimetype}).")
        return template

    def _status(self, text: str, problem: bool = False) -> None:
        self.template_status.setText(text)
        self.template_status.setProperty("problem", problem)
        color = error_color(self.palette()).name() if problem else ""
        self.template_status.setStyleSheet(f"color: {color};" if color else "")

    def preview(self) -> list[str]:
        """Render ``PREVIEW_EVENTS`` events with a fresh run and show them; send nothing."""
        template = self.check_template()
        if template is None:
            return []
        try:
            events = TemplateRenderer(template).render_batch(PREVIEW_EVENTS)
        except TemplateError as exc:
            self._status(str(exc), problem=True)
            return []
        shown = []
        for number, event in enumerate(events, 1):
            body = event.data.decode("utf-8", "replace")
            if template.is_json:
                body = _pretty_json(body)
            meta = json.dumps(event.metadata, ensure_ascii=False)
            shown.append(
                f"// {number}: {event.type_name} v{event.type_version}, {event.mimetype}, "
                f"metadata {meta}\n{body}"
            )
        show_text(self.preview_text, "\n\n".join(shown))
        return shown

    # -- the library --------------------------------------------------------------------------

    def _fill_library(self, select: str = "") -> None:
        self.template_combo.clear()
        names = self._library.names() if self._library is not None else []
        self.template_combo.addItems(names)
        self.template_combo.setCurrentIndex(names.index(select) if select in names else -1)
        self.template_combo.setPlaceholderText("(unsaved)" if names else "(none saved)")
        self.save_button.setEnabled(self._library is not None)
        self.more_button.setEnabled(self._library is not None)

    def _template_chosen(self, index: int) -> None:
        name = self.template_combo.itemText(index)
        if self._library is None or not name:
            return
        try:
            template = self._library.load(name)
        except (OSError, TemplateError) as exc:
            self._status(f"Cannot load {name!r}: {exc}", problem=True)
            return
        self.editor.setPlainText(template_to_json(template))
        self.seed_edit.clear()

    def save_as(self, name: str) -> bool:
        """Save the editor's template under ``name``; False (with the reason shown) if not."""
        template = self.check_template()
        if template is None or self._library is None:
            return False
        try:
            self._library.save(name, template)
        except (OSError, ValueError) as exc:
            self._status(f"Not saved: {exc}", problem=True)
            return False
        self._fill_library(name)
        self._status(f"Saved as {name!r}.")
        return True

    def ask_save(self) -> None:
        """Ask for a name and save the template."""
        current = self.template_combo.currentText()
        template = self.check_template()
        suggested = current or (template.name if template and template.name else "")
        name, ok = QInputDialog.getText(self, "Save template", "Name:", text=suggested)
        if ok and name.strip():
            self.save_as(name.strip())

    def _ask_delete(self) -> None:
        name = self.template_combo.currentText()
        if self._library is None or not name:
            return
        answer = QMessageBox.question(self, "Delete template", f"Delete the template {name!r}?")
        if answer == QMessageBox.StandardButton.Yes:
            self._library.delete(name)
            self._fill_library()

    def _ask_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import a template", "", "Templates (*.json)")
        if path and self._library is not None:
            try:
                name = self._library.import_file(Path(path))
            except (OSError, TemplateError, ValueError) as exc:
                self._status(f"Not imported: {exc}", problem=True)
                return
            self._fill_library(name)
            self._template_chosen(self.template_combo.currentIndex())

    def _ask_export(self) -> None:
        template = self.check_template()
        if template is None:
            return
        path, _ = QFileDialog.getSaveFileName(
            self, "Export the template", f"{template.name or 'template'}.json", "Templates (*.json)"
        )
        if path:
            try:
                Path(path).write_text(template_to_json(template), encoding="utf-8")
            except OSError as exc:
                self._status(f"Not exported: {exc.strerror}", problem=True)

    # -- the run ------------------------------------------------------------------------------

    def shape(self) -> RateShape:
        """The rate shape the form describes.

        Raises:
            ValueError: for a shape that cannot be (e.g. a sine around 0).
        """
        kind = ShapeKind(self.shape_combo.currentText())
        period = self.periods.get(kind)
        return RateShape(
            kind,
            rate=self.rate_spin.value(),
            to_rate=self.to_rate_spin.value(),
            period_s=period.value() if period is not None else 1.0,
            amplitude=self.amplitude_spin.value(),
            burst=self.burst_spin.value(),
        )

    def start(self) -> None:
        """Start generating into the producer's topic."""
        topic, client = self._target(), self._session.client
        if client is None or topic is None:
            self.status.show_problems(["Choose a topic (above) on a connected broker first."])
            return
        if self.is_running():
            return
        template = self.check_template()
        if template is None:
            return
        try:
            shape = self.shape()
            renderer = TemplateRenderer(template)
        except (ValueError, TemplateError) as exc:
            self.status.show_problems([str(exc)])
            return
        count = self.count_spin.value() if self.by_count.isChecked() else None
        duration = self.duration_spin.value() if self.by_duration.isChecked() else None
        settings = GeneratorSettings(
            topic.id, count, duration, shape, stop_on_nack=self.stop_on_nack.isChecked()
        )
        self.start_button.setEnabled(False)
        self.job.start(EventGenerator(client, TemplateSource(renderer), settings), "generating")

    def is_running(self) -> bool:
        """True while a run goes on."""
        return self.job.is_running()

    def stop(self) -> None:
        """Send nothing more (batches in flight are still answered)."""
        self.job.stop()

    def _refresh(self) -> None:
        if self.job.generator is not None:
            generator = self.job.generator
            self.status.show_stats(generator.stats(), generator.settings.duration_s)

    def _finished(self, stats: GeneratorStats) -> None:
        generator = self.job.generator
        self.status.show_stats(stats, generator.settings.duration_s if generator else None)
        self.start_button.setEnabled(True)
        self._session.refresh_topics()

    def _shape_changed(self, text: str) -> None:
        self.shape_params.setCurrentIndex(list(ShapeKind).index(ShapeKind(text)))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            dark = palette_is_dark(self.palette())
            self._highlighter.set_dark(dark)
            self._preview_highlighter.set_dark(dark)
        super().changeEvent(event)


def _pretty_json(text: str) -> str:
    """A rendered JSON body indented, every value as rendered; too deep to indent: as it is."""
    try:
        return json_exact.dumps(json_exact.parse(text), indent=2)
    except ValueError:
        return text


def _rate_spin(value: float) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(0, 10_000_000)
    spin.setDecimals(0)
    spin.setGroupSeparatorShown(True)
    spin.setSuffix(" events/s")
    spin.setValue(value)
    return spin


def _seconds_spin(value: float) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(0.1, 7 * 24 * 3600)
    spin.setDecimals(1)
    spin.setSuffix(" s")
    spin.setValue(value)
    return spin


def _form(*rows: tuple[str, QWidget]) -> QWidget:
    widget = QWidget()
    layout = QFormLayout(widget)
    layout.setContentsMargins(0, 0, 0, 0)
    for label, field in rows:
        layout.addRow(label, field)
    return widget
