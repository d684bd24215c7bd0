"""The EnSQL panel: write a query, run it against the broker, browse and export the results.

Results stream in from the broker and reach the table in batches (every ``BATCH`` rows or
``FLUSH_MS``), never one insertion per event; at most ``max_results`` are kept. Every query that
runs goes into the :class:`QueryLibrary` history; named queries are saved per topic.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path

from PySide6.QtCore import QEvent, QModelIndex, QRegularExpression, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QIntValidator,
    QKeySequence,
    QPalette,
    QShortcut,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStyle,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from workbench.client.errors import ClientError
from workbench.client.records import EventRow, QueryProgress, QueryScope, TopicRow
from workbench.client.stream_client import Capability, StreamClient
from workbench.models.event_export import ExportFormat, iterate, topic_events
from workbench.models.query_library import QueryLibrary
from workbench.models.time_display import parse_time_ms
from workbench.views.qt_event_list_model import (
    COMMITTED,
    MIMETYPE,
    OFFSET,
    SIZE,
    TYPE,
    QtEventListModel,
)
from workbench.views.qt_export import QtExportJob, ask_export_path, run_export
from workbench.views.qt_flow_layout import QtFlowLayout
from workbench.views.qt_glyph_icons import standard_icon
from workbench.views.qt_session import QtSession
from workbench.views.qt_themes import error_color, palette_is_dark

BATCH = 100
"""Rows collected before they are appended to the table (a timer flushes smaller batches)."""
FLUSH_MS = 100
MAX_RESULTS = 100_000
KEYWORDS = (
    *("SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "IS", "NULL", "LIKE", "ILIKE"),
    *("BETWEEN", "TRUE", "FALSE", "OFFSET", "LIMIT", "AS"),
)
_POSITION = re.compile(r"at (?:line (\d+), )?column (\d+)")


def default_query(topic: str) -> str:
    """The query a topic starts with (its name quoted when EnSQL needs that)."""
    needs_quotes = "." in topic or topic.upper() in KEYWORDS
    name = '"' + topic.replace('"', '""') + '"' if needs_quotes else topic
    return f"SELECT * FROM {name} LIMIT 100"


class QtEnSQLHighlighter(QSyntaxHighlighter):
    """Colours EnSQL keywords, strings, quoted names, numbers, parameters and comments."""

    def __init__(self, document: QTextDocument, dark: bool) -> None:
        super().__init__(document)
        self._rules: list[tuple[QRegularExpression, QTextCharFormat]] = []
        self.set_dark(dark)

    def set_dark(self, dark: bool) -> None:
        """Pick the colours for a dark or a light background and highlight again."""
        colors = (
            ("#6cb6ff", "#f0a35e", "#7ee787", "#d2a8ff", "#56d4bc", "#8b949e")
            if dark
            else ("#1a5fb4", "#a2570b", "#1d7a3a", "#7b3fbf", "#08776a", "#6a737d")
        )
        keyword, string, name, number, param, comment = (_format(c) for c in colors)
        keyword.setFontWeight(QFont.Weight.Bold)
        comment.setFontItalic(True)
        insensitive = QRegularExpression.PatternOption.CaseInsensitiveOption
        words = "|".join(KEYWORDS)
        self._rules = [
            (QRegularExpression(rf"\b(?:{words})\b", insensitive), keyword),
            (QRegularExpression(r"(?<![\w.])[+-]?\d+(?:\.\d+)*\b"), number),
            (QRegularExpression(r"[:$@]\w+"), param),
            (QRegularExpression(r"\"(?:[^\"]|\"\")*\"|`[^`]*`"), name),
            (QRegularExpression(r"'(?:[^']|'')*'"), string),
            (QRegularExpression(r"--[^\n]*"), comment),
        ]
        self.rehighlight()

    def highlightBlock(self, text: str) -> None:
        for pattern, text_format in self._rules:
            matches = pattern.globalMatch(text)
            while matches.hasNext():
                match = matches.next()
                self.setFormat(match.capturedStart(), match.capturedLength(), text_format)


def _format(color: str) -> QTextCharFormat:
    text_format = QTextCharFormat()
    text_format.setForeground(QColor(color))
    return text_format


class QtQueryPanel(QWidget):
    """Runs EnSQL queries on the session's broker and shows the events they match."""

    event_selected = Signal(object)  # EventRow

    def __init__(
        self, session: QtSession, library: QueryLibrary, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.max_results = MAX_RESULTS
        self._session = session
        self._library = library
        self._topic: TopicRow | None = None
        self._default = ""
        self._task: asyncio.Task[None] | None = None
        self._run_id = 0
        self._pending: list[EventRow] = []
        self._export_dir = Path.home()
        self._status_error = False
        self._progress: QueryProgress | None = None
        self._flush_timer = QTimer(self)
        self._flush_timer.setInterval(FLUSH_MS)
        self._flush_timer.timeout.connect(self._flush)
        self._build()
        session.connected.connect(self._update_actions)
        session.disconnected.connect(self._on_disconnected)
        session.topics_changed.connect(self._on_topics_changed)
        self._refresh_history()
        self._refresh_saved()
        self._update_actions()

    # -- building -----------------------------------------------------------------------------

    def _build(self) -> None:
        style = self.style()
        self.history_combo = _query_combo("Queries you ran, most recent first")
        self.history_combo.activated.connect(self._history_chosen)
        self.saved_combo = _query_combo("Queries saved for the current topic")
        self.saved_combo.activated.connect(self._saved_chosen)
        self.save_button = QPushButton("Save…")
        self.save_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_DialogSaveButton))
        self.save_button.setToolTip("Save this query under a name, for the current topic")
        self.save_button.clicked.connect(self._ask_name)
        # Flows: on a narrow window (a projector) the rows wrap instead of widening the window.
        library_row = QtFlowLayout()
        library_row.add_group(_buddy("&History:", self.history_combo), self.history_combo)
        self.delete_button = QPushButton("Delete")
        self.delete_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_TrashIcon))
        self.delete_button.setToolTip("Delete one of the queries saved for the current topic")
        self.delete_menu = QMenu(self.delete_button)
        self.delete_menu.aboutToShow.connect(self._fill_delete_menu)
        self.delete_button.setMenu(self.delete_menu)
        library_row.add_group(
            _buddy("Sa&ved:", self.saved_combo),
            self.saved_combo,
            self.save_button,
            self.delete_button,
        )

        self.editor = QPlainTextEdit()
        self.editor.setObjectName("ensqlEditor")
        self.editor.setPlaceholderText(
            "SELECT * FROM topic WHERE metadata.key = 'value' LIMIT 100    (Ctrl+Return runs it)"
        )
        self.editor.setTabChangesFocus(True)
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self._apply_editor_font()
        self._highlighter = QtEnSQLHighlighter(
            self.editor.document(), palette_is_dark(self.palette())
        )

        self.run_button = QPushButton("Run")
        self.run_button.setIcon(standard_icon(self, QStyle.StandardPixmap.SP_MediaPlay))
        self.run_button.setToolTip("Run the query (Ctrl+Return)")
        self.run_button.clicked.connect(lambda: self.run_query())
        self.stop_button = QPushButton("Stop")
        self.stop_button.setIcon(standard_icon(self, QStyle.StandardPixmap.SP_MediaStop))
        self.stop_button.setToolTip("Stop the running query, keeping the events so far (Esc)")
        self.stop_button.clicked.connect(self.stop)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(lambda: self.run_query())
        escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        escape.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        escape.activated.connect(self.stop)
        self.status_label = QLabel()
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.export_results_button = QPushButton("Export results…")
        self.export_results_button.setIcon(
            style.standardIcon(QStyle.StandardPixmap.SP_DialogSaveButton)
        )
        self.export_results_button.setToolTip("Save the events in the table as JSON Lines or CSV")
        self.export_results_button.clicked.connect(lambda: self._ask_export_path(False))
        self.export_topic_button = QPushButton("Export topic…")
        self.export_topic_button.setIcon(
            style.standardIcon(QStyle.StandardPixmap.SP_DialogSaveButton)
        )
        self.export_topic_button.setToolTip(
            "Save every event of the current topic as JSON Lines or CSV"
        )
        self.export_topic_button.clicked.connect(lambda: self._ask_export_path(True))
        run_row = QtFlowLayout()
        run_row.add_group(self.run_button, self.stop_button)
        run_row.addWidget(self.status_label)
        run_row.add_group(self.export_results_button, self.export_topic_button)

        self.model = QtEventListModel(self)
        self.model.set_time_zone(self._session.time_zone)
        self._session.time_zone_changed.connect(self.model.set_time_zone)
        self.table = QTableView()
        self.table.setObjectName("queryResults")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setCornerButtonEnabled(False)
        self.table.setShowGrid(False)
        # room between a right-aligned number and the text beside it
        self.table.setStyleSheet(
            "QTableView::item { padding: 0px 4px; } QHeaderView::section { padding: 0px 6px; }"
        )
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setHighlightSections(False)
        self._size_columns()
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)

        self._build_scope()

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addLayout(library_row)
        top_layout.addWidget(self.editor, 1)
        top_layout.addWidget(self.scope_box)
        top_layout.addLayout(run_row)
        top_layout.addWidget(self.plan_label)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(top)
        splitter.addWidget(self.table)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)

    def _apply_editor_font(self) -> None:
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSizeF(self.font().pointSizeF())
        self.editor.setFont(font)
        lines = self.editor.fontMetrics().lineSpacing()
        self.editor.setMinimumHeight(lines * 3 + 12)

    def _size_columns(self) -> None:
        metrics = self.table.fontMetrics()
        pad = metrics.averageCharWidth() * 3
        widths = {
            OFFSET: metrics.horizontalAdvance("00,000,000") + pad,
            COMMITTED: metrics.horizontalAdvance("0000-00-00 00:00:00.000") + pad,
            TYPE: metrics.horizontalAdvance("SensorReading v1.0.0") + pad,
            MIMETYPE: metrics.horizontalAdvance("application/protobuf") + pad,
            SIZE: metrics.horizontalAdvance("0,000,000") + pad,
        }
        for column, width in widths.items():
            self.table.setColumnWidth(column, width)
        self.table.verticalHeader().setDefaultSectionSize(metrics.height() + 8)

    # -- topic --------------------------------------------------------------------------------

    def set_topic(self, topic: TopicRow | None) -> None:
        """Make ``topic`` the current one (None: no topic chosen).

        The editor gets the topic's default query if it is empty or still holds the previous
        topic's default.
        """
        self._topic = topic
        if topic is not None:
            new_default = default_query(topic.name)
            text = self.editor.toPlainText().strip()
            if not text or text == self._default:
                self.editor.setPlainText(new_default)
            self._default = new_default
        self._refresh_saved()
        self._update_actions()

    def topic(self) -> TopicRow | None:
        """The current topic."""
        return self._topic

    def _on_topics_changed(self, topics: list[TopicRow]) -> None:
        if self._topic is not None:
            fresh = next((t for t in topics if t.id == self._topic.id), None)
            if fresh is not None:
                self._topic = fresh

    # -- running queries ----------------------------------------------------------------------

    def is_running(self) -> bool:
        """True while a query streams results."""
        return self._task is not None

    def run_query(self, text: str | None = None) -> None:
        """Run ``text`` (put into the editor) or the editor's query; results replace the table."""
        if text is not None:
            self.editor.setPlainText(text)
        query = self.editor.toPlainText().strip()
        client = self._session.client
        if not query:
            self._show_status("Write a query first, e.g. " + (self._default or "SELECT * FROM t"))
            return
        if client is None:
            self._show_status("Not connected to a broker", error=True)
            return
        try:
            scope = self.query_scope() if self._scoped(client) else None
        except ValueError as exc:
            self._show_status(str(exc), error=True)
            return
        if scope is not None:
            try:
                plan = client.query_plan(query, scope)
            except ClientError as exc:
                self._show_status(str(exc), error=True)
                self._point_at_error(str(exc))
                return
            self.plan_label.setText(
                f"On the servers: {plan.server}.  Here: {plan.client or 'nothing more'}."
            )
        self.plan_label.setVisible(scope is not None)
        self.stop()
        self._run_id += 1
        self._pending = []
        self._progress = None
        self.model.clear()
        self._remember(query)
        self._show_status("Running…")
        self._flush_timer.start()
        self._task = self._session.run(
            self._stream(client, query, self._run_id, scope), what="query"
        )
        self._update_actions()

    def stop(self) -> None:
        """Cancel the running query (the events already received stay in the table)."""
        if self._task is not None:
            self._task.cancel()

    async def _stream(
        self, client: StreamClient, query: str, run_id: int, scope: QueryScope | None = None
    ) -> None:
        started = time.monotonic()
        count, note, failure = 0, "", ""

        def progress(report: QueryProgress) -> None:
            if run_id == self._run_id:
                self._progress = report

        try:
            rows = (
                client.query(query, scope, progress) if scope is not None else client.query(query)
            )
            try:
                async for row in rows:
                    self._pending.append(row)
                    count += 1
                    if count >= self.max_results:
                        note = (
                            f" — stopped at {self.max_results:,}; add a LIMIT or a WHERE, "
                            "or use Export topic… for everything"
                        )
                        break
                    if len(self._pending) >= BATCH:
                        self._flush()
            finally:
                await _close(rows)
        except asyncio.CancelledError:
            note = " — stopped"
            raise
        except ClientError as exc:
            failure = str(exc)
        finally:
            if run_id == self._run_id:
                self._finish(count, time.monotonic() - started, note, failure)
        if failure and run_id == self._run_id:
            self._point_at_error(failure)

    def _finish(self, count: int, seconds: float, note: str, failure: str) -> None:
        self._flush_timer.stop()
        self._flush()
        self._task = None
        if failure:
            self._show_status(failure, error=True)
        else:
            noun = "event" if count == 1 else "events"
            scanned = self._progress
            read = f", {scanned.scanned:,} scanned here" if scanned is not None else ""
            self._show_status(f"{count:,} {noun} in {seconds:.2f} s{read}{note}")
        self._update_actions()

    def _flush(self) -> None:
        report = self._progress
        if report is not None and self._task is not None:
            self._show_status(
                f"Scanning… {report.scanned:,} of {report.total:,} events here, "
                f"{report.matched:,} matched"
            )
        if self._pending:
            rows, self._pending = self._pending, []
            self.model.append(rows)
            if self.model.rowCount() == len(rows):
                self._update_actions()

    def _point_at_error(self, message: str) -> None:
        """Put the editor's cursor where the broker says the query went wrong."""
        match = _POSITION.search(message)
        if match is None:
            return
        line = int(match.group(1) or 1)
        column = int(match.group(2))
        block = self.editor.document().findBlockByNumber(line - 1)
        if not block.isValid():
            return
        cursor = QTextCursor(block)
        cursor.movePosition(
            QTextCursor.MoveOperation.Right,
            QTextCursor.MoveMode.MoveAnchor,
            min(column - 1, block.length() - 1),
        )
        self.editor.setTextCursor(cursor)

    def _on_disconnected(self, _reason: str) -> None:
        self.stop()
        self._run_id += 1  # results still on their way belong to that broker
        self._task = None
        self._flush_timer.stop()
        self._pending = []
        self.model.clear()
        self.set_topic(None)
        self._show_status("Not connected to a broker")
        self._update_actions()

    # -- history and saved queries ------------------------------------------------------------

    def _remember(self, query: str) -> None:
        try:
            self._library.record(query)
        except OSError as exc:
            self._session.error.emit(f"Cannot save the query history: {exc}")
        self._refresh_history()

    def save_current_query(self, name: str) -> None:
        """Save the editor's query as ``name`` for the current topic."""
        if self._topic is None:
            self._show_status("Choose a topic to save queries for", error=True)
            return
        try:
            self._library.save(self._topic.name, name, self.editor.toPlainText())
        except (ValueError, OSError) as exc:
            self._show_status(f"Cannot save the query: {exc}", error=True)
            return
        self._refresh_saved()
        self._show_status(f"Saved as “{name.strip()}” for {self._topic.name}")

    def delete_saved_query(self, name: str) -> None:
        """Forget the query saved as ``name`` for the current topic."""
        if self._topic is None:
            return
        try:
            self._library.delete(self._topic.name, name)
        except OSError as exc:
            self._show_status(f"Cannot delete the query: {exc}", error=True)
            return
        self._refresh_saved()
        self._show_status(f"Deleted “{name}” from the queries saved for {self._topic.name}")

    def _fill_delete_menu(self) -> None:
        self.delete_menu.clear()
        saved = self._library.saved(self._topic.name) if self._topic is not None else {}
        for name in saved:
            action = self.delete_menu.addAction(f"Delete “{name}”")
            action.triggered.connect(lambda _checked=False, n=name: self.delete_saved_query(n))

    def _ask_name(self) -> None:
        if self._topic is None:
            return
        dialog = QInputDialog(self)
        dialog.setWindowTitle("Save query")
        dialog.setLabelText(f"Name for this query on {self._topic.name}:")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.textValueSelected.connect(self.save_current_query)
        dialog.open()

    def _refresh_history(self) -> None:
        history = self._library.history()
        _fill(self.history_combo, [(_one_line(q), q) for q in history])
        count = len(history)
        self.history_combo.setPlaceholderText(
            f"{count} recent {'query' if count == 1 else 'queries'}" if count else "No queries yet"
        )
        self.history_combo.setEnabled(bool(history))

    def _refresh_saved(self) -> None:
        saved = self._library.saved(self._topic.name) if self._topic is not None else {}
        _fill(self.saved_combo, list(saved.items()))
        if self._topic is None:
            self.saved_combo.setPlaceholderText("Saved queries (choose a topic)")
        elif saved:
            self.saved_combo.setPlaceholderText(f"{len(saved)} saved for {self._topic.name}")
        else:
            self.saved_combo.setPlaceholderText(f"None saved for {self._topic.name} yet")
        self.saved_combo.setEnabled(bool(saved))
        self.delete_button.setEnabled(bool(saved))

    def _history_chosen(self, index: int) -> None:
        self._take_query(self.history_combo, index)

    def _saved_chosen(self, index: int) -> None:
        self._take_query(self.saved_combo, index)

    def _take_query(self, combo: QComboBox, index: int) -> None:
        query = combo.itemData(index, Qt.ItemDataRole.UserRole)
        combo.setCurrentIndex(-1)
        if isinstance(query, str):
            self.editor.setPlainText(query)
            self.editor.setFocus()

    # -- export -------------------------------------------------------------------------------

    def export_results(
        self, path: Path | str, fmt: ExportFormat, show_progress: bool = True
    ) -> QtExportJob:
        """Write the events in the table to ``path``."""
        rows = self.model.rows()
        job = run_export(self, lambda: iterate(rows), path, fmt, len(rows), show_progress)
        self._watch(job)
        return job

    def export_topic(
        self, path: Path | str, fmt: ExportFormat, show_progress: bool = True
    ) -> QtExportJob | None:
        """Write every event of the current topic to ``path`` (None: no topic or broker)."""
        client, topic = self._session.client, self._topic
        if client is None or topic is None:
            self._show_status("Connect and choose a topic to export it", error=True)
            return None
        topic_id = topic.id
        job = run_export(
            self, lambda: topic_events(client, topic_id), path, fmt, topic.events, show_progress
        )
        self._watch(job)
        return job

    def _watch(self, job: QtExportJob) -> None:
        name = job.path.name
        self._show_status(f"Exporting to {name}…")
        job.finished.connect(
            lambda count: self._show_status(f"Exported {count:,} events to {job.path}")
        )
        job.failed.connect(lambda message: self._show_status(message, error=True))
        job.cancelled.connect(
            lambda: self._show_status(f"Export to {name} cancelled; no file was written")
        )

    def _ask_export_path(self, whole_topic: bool) -> None:
        base = self._topic.name if self._topic is not None else "events"
        what = "topic" if whole_topic else "results"

        def chosen(path: Path, fmt: ExportFormat) -> None:
            self._export_dir = path.parent
            if whole_topic:
                self.export_topic(path, fmt)
            else:
                self.export_results(path, fmt)

        name = f"{base}{'' if whole_topic else '-results'}.{ExportFormat.JSONL.suffix}"
        ask_export_path(self, f"Export {what}", self._export_dir, name, chosen)

    # -- state --------------------------------------------------------------------------------

    def _build_scope(self) -> None:
        """The range an engine without EnSQL scans on its servers (JetStream): a subject
        filter and offsets; hidden for an Ensign broker, which runs the whole query."""
        self.subject_edit = QLineEdit()
        self.subject_edit.setPlaceholderText("all subjects (or e.g. orders.eu.*)")
        self.subject_edit.setToolTip("A NATS subject filter the servers apply (* and > allowed)")
        self.first_edit = QLineEdit()
        self.first_edit.setPlaceholderText("first")
        self.last_edit = QLineEdit()
        self.last_edit.setPlaceholderText("last")
        for edit in (self.first_edit, self.last_edit):
            edit.setValidator(QIntValidator(1, 2**31 - 1, edit))
            edit.setMaximumWidth(self.fontMetrics().averageCharWidth() * 12)
        self.after_edit = QLineEdit()
        self.after_edit.setPlaceholderText("from (YYYY-MM-DD HH:MM)")
        self.after_edit.setToolTip("Only events committed after this time (in the views' zone)")
        self.before_edit = QLineEdit()
        self.before_edit.setPlaceholderText("until")
        self.before_edit.setToolTip("Only events committed before this time")
        for edit in (self.after_edit, self.before_edit):
            edit.setMaximumWidth(self.fontMetrics().averageCharWidth() * 24)
        row = QtFlowLayout()
        row.add_group(_buddy("Su&bject:", self.subject_edit), self.subject_edit)
        row.add_group(_buddy("O&ffsets:", self.first_edit), self.first_edit, QLabel("to"),
                      self.last_edit)  # fmt: skip
        row.add_group(_buddy("T&ime:", self.after_edit), self.after_edit, QLabel("to"),
                      self.before_edit)  # fmt: skip
        self.scope_box = QWidget()
        self.scope_box.setLayout(row)
        self.scope_box.setToolTip(
            "What the servers deliver; the WHERE clause, type, OFFSET and LIMIT run here"
        )
        self.scope_box.hide()
        self.plan_label = QLabel()
        self.plan_label.setWordWrap(True)
        self.plan_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.plan_label.hide()

    def query_scope(self) -> QueryScope:
        """The server-side range as entered.

        Raises:
            ValueError: if a time is not one (the message says what to write).
        """
        first, last = self.first_edit.text(), self.last_edit.text()
        after, before = self.after_edit.text().strip(), self.before_edit.text().strip()
        zone = self._session.time_zone
        return QueryScope(
            subject=self.subject_edit.text().strip(),
            first_offset=int(first) if first else None,
            last_offset=int(last) if last else None,
            after_ms=parse_time_ms(after, zone) if after else None,
            before_ms=parse_time_ms(before, zone) if before else None,
        )

    def _scoped(self, client: StreamClient | None) -> bool:
        return client is not None and Capability.SERVER_QUERY not in client.capabilities

    def _update_actions(self, *_: object) -> None:
        self.scope_box.setVisible(self._scoped(self._session.client))
        connected = self._session.client is not None
        running = self._task is not None
        self.run_button.setEnabled(connected and not running)
        self.stop_button.setEnabled(running)
        self.save_button.setEnabled(self._topic is not None)
        self.export_results_button.setEnabled(not running and self.model.rowCount() > 0)
        self.export_topic_button.setEnabled(connected and self._topic is not None)

    def _show_status(self, text: str, error: bool = False) -> None:
        self._status_error = error
        self.status_label.setText(text)
        self.status_label.setToolTip(text)
        self._color_status()

    def _color_status(self) -> None:
        palette = self.status_label.palette()
        role = QPalette.ColorRole.WindowText
        if self._status_error:
            palette.setColor(role, error_color(self.palette()))
        else:
            palette.setColor(role, self.palette().color(role))
        self.status_label.setPalette(palette)

    def _row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        event = self.model.row_at(current)
        if event is not None:
            self.event_selected.emit(event)

    def changeEvent(self, event: QEvent) -> None:
        kind = event.type()
        if not hasattr(self, "table"):
            pass  # still being built
        elif kind == QEvent.Type.PaletteChange:
            self._highlighter.set_dark(palette_is_dark(self.palette()))
            self._color_status()
        elif kind == QEvent.Type.FontChange:
            self._apply_editor_font()
            self._size_columns()
        super().changeEvent(event)


async def _close(rows: AsyncIterator[EventRow]) -> None:
    """End the broker's stream at once (an abandoned async generator would linger)."""
    aclose = getattr(rows, "aclose", None)
    if aclose is not None:
        await aclose()


def _query_combo(tip: str) -> QComboBox:
    combo = QComboBox()
    combo.setToolTip(tip)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(12)
    combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    return combo


def _buddy(text: str, widget: QWidget) -> QLabel:
    label = QLabel(text)
    label.setBuddy(widget)
    return label


def _fill(combo: QComboBox, items: list[tuple[str, str]]) -> None:
    combo.clear()
    for text, query in items:
        combo.addItem(text, query)
        combo.setItemData(combo.count() - 1, query, Qt.ItemDataRole.ToolTipRole)
    combo.setCurrentIndex(-1)


def _one_line(query: str, limit: int = 100) -> str:
    text = " ".join(query.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
