"""Compose one event and send it: mimetype, type, metadata and a body, with the broker's answer.

The body is JSON (highlighted and checked as you type), plain text, hex or a file. Send
(Ctrl+Return) publishes to the producer's topic and shows the ack (event id, offset, commit time)
or the nack (Ensign's code and the reason) in place. Sent events are listed newest first: send
one again as it was, or load it into the editor to change and send.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QTextCursor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.client.broker_client import encode_event
from workbench.client.broker_rules import (
    MAX_EVENT_BYTES,
    mimetype_number,
    mimetype_text,
    topic_id_text,
    type_version_parts,
)
from workbench.client.errors import InvalidInput, Refused
from workbench.client.records import EventRow, NewEvent, PublishResult, TopicRow
from workbench.models.composed_event import (
    BodyError,
    BodyMode,
    SendHistory,
    SentEvent,
    body_bytes,
    body_text,
    new_event_from,
)
from workbench.models.time_display import stamp_ms
from workbench.views.qt_fixed_fonts import use_fixed_font
from workbench.views.qt_glyph_icons import standard_icon
from workbench.views.qt_json_highlighter import QtJsonHighlighter
from workbench.views.qt_long_text import editor_text, show_text
from workbench.views.qt_session import QtSession
from workbench.views.qt_themes import error_color, palette_is_dark

MIMETYPES = (
    "application/json",
    "text/plain",
    "text/csv",
    "application/xml",
    "application/octet-stream",
    "application/msgpack",
    "application/protobuf",
)
CHECK_DELAY_MS = 250


class QtComposer(QWidget):
    """The composer: one event, its send, and the history of sends.

    Args:
        session: the broker connection.
        target: the topic to send to (the producer's topic picker), or None.
    """

    sent = Signal(object)  # SentEvent

    def __init__(
        self,
        session: QtSession,
        target: Callable[[], TopicRow | None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._session = session
        self._target = target
        self.history = SendHistory()
        self._check_timer = QTimer(self)
        self._check_timer.setSingleShot(True)
        self._check_timer.setInterval(CHECK_DELAY_MS)
        self._check_timer.timeout.connect(self.check_body)
        self._sending = False
        self._build()
        self.set_body(BodyMode.JSON, '{\n  "id": 1,\n  "status": "created"\n}\n')

    # -- building -----------------------------------------------------------------------------

    def _build(self) -> None:
        self.mimetype_combo = QComboBox()
        self.mimetype_combo.setEditable(True)
        self.mimetype_combo.addItems(MIMETYPES)
        self.mimetype_combo.setToolTip("The event's mimetype (any of Ensign's MIME values)")
        self.type_edit = QLineEdit("Generic")
        self.type_edit.setToolTip("The event type's name")
        self.version_edit = QLineEdit("1.0.0")
        self.version_edit.setMaximumWidth(self.fontMetrics().horizontalAdvance("00.00.000") * 2)
        self.version_edit.setToolTip("The type's version: major.minor.patch")
        type_row = QHBoxLayout()
        type_row.addWidget(self.type_edit, 1)
        type_row.addWidget(QLabel("version"))
        type_row.addWidget(self.version_edit)

        self.metadata_table = QTableWidget(0, 2)
        self.metadata_table.setHorizontalHeaderLabels(["Key", "Value"])
        self.metadata_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.metadata_table.verticalHeader().hide()
        self.metadata_table.setMaximumHeight(self.fontMetrics().height() * 7)
        self.add_meta_button = QPushButton("Add")
        self.add_meta_button.setToolTip("Add a metadata key and value")
        self.add_meta_button.clicked.connect(lambda: self.add_metadata("", ""))
        self.remove_meta_button = QPushButton("Remove")
        self.remove_meta_button.clicked.connect(self._remove_metadata)
        meta_buttons = QVBoxLayout()
        meta_buttons.addWidget(self.add_meta_button)
        meta_buttons.addWidget(self.remove_meta_button)
        meta_buttons.addStretch(1)
        meta_row = QHBoxLayout()
        meta_row.addWidget(self.metadata_table, 1)
        meta_row.addLayout(meta_buttons)

        type_label = QLabel("&Type:")
        type_label.setBuddy(self.type_edit)
        form = QFormLayout()
        form.addRow("&Mimetype:", self.mimetype_combo)
        form.addRow(type_label, type_row)
        form.addRow("Metadata:", meta_row)

        self.mode_combo = QComboBox()
        self.mode_combo.addItems([m.value for m in BodyMode])
        self.mode_combo.setToolTip("How the body is written: JSON, text, hex digits, or a file")
        self.mode_combo.currentTextChanged.connect(self._mode_changed)
        self.body_status = QLabel()
        self.body_status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        body_label = QLabel("&Body:")
        body_label.setBuddy(self.mode_combo)
        body_row = QHBoxLayout()
        body_row.addWidget(body_label)
        body_row.addWidget(self.mode_combo)
        body_row.addWidget(self.body_status, 1)
        self.editor = QPlainTextEdit()
        self.editor.setObjectName("composerBody")
        self.editor.setTabChangesFocus(True)
        use_fixed_font(self, self.editor)
        self.editor.textChanged.connect(self._check_timer.start)
        self._highlighter = QtJsonHighlighter(
            self.editor.document(), palette_is_dark(self.palette())
        )
        self.file_edit = QLineEdit()
        self.file_edit.setPlaceholderText("a file whose bytes are the body")
        self.file_edit.textChanged.connect(self._check_timer.start)
        self.browse_button = QPushButton("Choose…")
        self.browse_button.clicked.connect(self._choose_file)
        self.file_row = QWidget()
        file_layout = QHBoxLayout(self.file_row)
        file_layout.setContentsMargins(0, 0, 0, 0)
        file_layout.addWidget(self.file_edit, 1)
        file_layout.addWidget(self.browse_button)

        self.send_button = QPushButton("Send")
        self.send_button.setIcon(standard_icon(self, QStyle.StandardPixmap.SP_MediaPlay))
        self.send_button.setToolTip("Publish this event to the topic (Ctrl+Return)")
        self.send_button.clicked.connect(self.send)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(self.send)
        self.result_label = QLabel("Not sent yet.")
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        send_row = QHBoxLayout()
        send_row.addWidget(self.send_button)
        send_row.addWidget(self.result_label, 1)

        editor_side = QWidget()
        editor_layout = QVBoxLayout(editor_side)
        editor_layout.setContentsMargins(0, 0, 0, 0)
        editor_layout.addLayout(form)
        editor_layout.addLayout(body_row)
        editor_layout.addWidget(self.editor, 1)
        editor_layout.addWidget(self.file_row)
        editor_layout.addLayout(send_row)

        self.history_list = QListWidget()
        self.history_list.setObjectName("sentHistory")
        self.history_list.setWordWrap(True)
        self.history_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.history_list.setAlternatingRowColors(True)
        self.history_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.history_list.currentRowChanged.connect(lambda _: self._update_history_buttons())
        self.history_list.itemDoubleClicked.connect(lambda _: self.edit_selected())
        self.again_button = QPushButton("Send again")
        self.again_button.setToolTip("Send the selected event again, as it was")
        self.again_button.clicked.connect(self.send_selected_again)
        self.edit_button = QPushButton("Edit and send…")
        self.edit_button.setToolTip("Load the selected event into the editor")
        self.edit_button.clicked.connect(self.edit_selected)
        history_buttons = QHBoxLayout()
        history_buttons.addWidget(self.again_button)
        history_buttons.addWidget(self.edit_button)
        history_buttons.addStretch(1)
        history_side = QWidget()
        history_layout = QVBoxLayout(history_side)
        history_layout.setContentsMargins(0, 0, 0, 0)
        history_layout.addWidget(QLabel("Sent (newest first):"))
        history_layout.addWidget(self.history_list, 1)
        history_layout.addLayout(history_buttons)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(editor_side)
        splitter.addWidget(history_side)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self._mode_changed(self.mode_combo.currentText())
        self._update_history_buttons()

    # -- the event ----------------------------------------------------------------------------

    @property
    def mode(self) -> BodyMode:
        """How the body is written now."""
        return BodyMode(self.mode_combo.currentText())

    def set_body(self, mode: BodyMode, text: str) -> None:
        """Show ``text`` (a path for ``FILE``) in the body editor, read as ``mode``."""
        self.mode_combo.setCurrentText(mode.value)
        if mode is BodyMode.FILE:
            self.file_edit.setText(text)
        else:
            show_text(self.editor, text)
        self.check_body()

    def add_metadata(self, key: str, value: str) -> None:
        """Add a metadata row."""
        row = self.metadata_table.rowCount()
        self.metadata_table.insertRow(row)
        key_item = QTableWidgetItem(key)
        self.metadata_table.setItem(row, 0, key_item)
        self.metadata_table.setItem(row, 1, QTableWidgetItem(value))
        if not key:
            self.metadata_table.editItem(key_item)

    def metadata(self) -> dict[str, str]:
        """The metadata table as a dict, keys and values as typed (rows whose key is empty or
        only spaces are left out).

        Raises:
            InvalidInput: if two rows have the same key (an event's metadata holds one value
                per key; sending would drop one of them).
        """
        out: dict[str, str] = {}
        for row in range(self.metadata_table.rowCount()):
            key_item, value_item = (
                self.metadata_table.item(row, 0),
                self.metadata_table.item(row, 1),
            )
            key = key_item.text() if key_item else ""
            if not key.strip():
                continue
            if key in out:
                raise InvalidInput(
                    f"the metadata key {key!r} is in two rows; a key holds one value"
                )
            out[key] = value_item.text() if value_item else ""
        return out

    def load(self, event: NewEvent) -> None:
        """Fill the editor from an event (its created time is not kept: a send is new)."""
        self.mimetype_combo.setCurrentText(mimetype_text(event.mimetype))
        self.type_edit.setText(event.type_name)
        self.version_edit.setText(event.type_version)
        self.metadata_table.setRowCount(0)
        for key, value in event.metadata.items():
            self.add_metadata(key, value)
        mode, text = body_text(event.data, mimetype_text(event.mimetype))
        self.set_body(mode, text)

    def load_stored(self, row: EventRow) -> None:
        """Fill the editor from a stored event ("Produce from this event")."""
        self.load(new_event_from(row))
        self.result_label.setText(
            f"Loaded event {row.offset:,} of its topic. Change what you like, then Send."
        )
        self._color_result(None)

    def composed_event(self) -> NewEvent:
        """The event the editor describes.

        Raises:
            BodyError: the body cannot be read in its mode.
            InvalidInput: the mimetype or version is not one Ensign knows, a metadata key is
                in two rows, or the encoded event is larger than the broker takes.
        """
        data = body_bytes(self.mode, self._body_source())
        if not data:
            raise BodyError("the body is empty: an event needs data")
        mimetype = mimetype_number(self.mimetype_combo.currentText())
        version = ".".join(
            map(str, type_version_parts(self.version_edit.text().strip() or "1.0.0"))
        )
        name = self.type_edit.text().strip() or "Generic"
        event = NewEvent(data, mimetype, name, version, self.metadata())
        size = len(encode_event(event))
        if size > MAX_EVENT_BYTES:
            raise InvalidInput(
                f"the event is {size:,} bytes with its type, metadata and times; "
                f"the broker takes at most {MAX_EVENT_BYTES:,}"
            )
        return event

    def _body_source(self) -> str:
        if self.mode is BodyMode.FILE:
            return self.file_edit.text()
        return editor_text(self.editor)

    def check_body(self) -> bool:
        """Check the body now; show what is wrong (JSON: where); return True if it reads."""
        self._check_timer.stop()
        try:
            data = body_bytes(self.mode, self._body_source())
        except BodyError as error:
            where = f"line {error.line}, column {error.column}: " if error.line else ""
            self._set_body_status(f"{where}{error}", problem=True)
            return False
        what = {BodyMode.JSON: "valid JSON", BodyMode.HEX: "hex", BodyMode.FILE: "file"}
        label = what.get(self.mode, "text")
        self._set_body_status(f"{label}, {len(data):,} bytes", problem=False)
        return True

    def _set_body_status(self, text: str, problem: bool) -> None:
        self.body_status.setText(text)
        self.body_status.setProperty("problem", problem)
        color = error_color(self.palette()).name() if problem else ""
        self.body_status.setStyleSheet(f"color: {color};" if color else "")

    def _mode_changed(self, text: str) -> None:
        mode = BodyMode(text)
        self.editor.setVisible(mode is not BodyMode.FILE)
        self.file_row.setVisible(mode is BodyMode.FILE)
        self._highlighter.setDocument(self.editor.document() if mode is BodyMode.JSON else None)
        self.check_body()

    def _choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose the body's file")
        if path:
            self.file_edit.setText(path)

    def _remove_metadata(self) -> None:
        rows = sorted({i.row() for i in self.metadata_table.selectedIndexes()}, reverse=True)
        if not rows and self.metadata_table.rowCount():
            rows = [self.metadata_table.rowCount() - 1]
        for row in rows:
            self.metadata_table.removeRow(row)

    # -- sending ------------------------------------------------------------------------------

    def send(self) -> None:
        """Publish the editor's event to the producer's topic; show the answer in place."""
        topic = self._target()
        if topic is None:
            self._show_result("Choose a topic (or create one) above first.", ok=False)
            return
        try:
            event = self.composed_event()
        except (BodyError, InvalidInput) as exc:
            self._show_result(f"Not sent: {exc}", ok=False)
            if isinstance(exc, BodyError) and exc.line:
                self._point_at(exc.line, exc.column)
            return
        self._send(topic, event)

    def send_selected_again(self) -> None:
        """Send the selected history entry again, as it was, to the topic it went to."""
        sent = self._selected()
        if sent is not None:
            topic = self._session.topic(sent.topic_id)
            if topic is None:
                self._show_result(f"Topic {sent.topic_name!r} is gone.", ok=False)
                return
            self._send(topic, sent.event)

    def edit_selected(self) -> None:
        """Load the selected history entry into the editor."""
        sent = self._selected()
        if sent is not None:
            self.load(sent.event)
            self.editor.setFocus()

    def _send(self, topic: TopicRow, event: NewEvent) -> None:
        client = self._session.client
        if client is None or self._sending:
            if client is None:
                self._show_result("Not connected to a broker.", ok=False)
            return
        self._sending = True
        self.send_button.setEnabled(False)
        self.result_label.setText(f"Sending to {topic.name}…")
        self._color_result(None)
        task = self._session.run(client.publish(topic.id, [event], with_ids=True))

        def done(_: object) -> None:
            self._sending = False
            self.send_button.setEnabled(True)
            if task.cancelled():
                return
            error = task.exception()
            self._record(topic, event, task.result() if error is None else None, error)

        task.add_done_callback(done)

    def _record(
        self,
        topic: TopicRow,
        event: NewEvent,
        result: PublishResult | None,
        error: BaseException | None,
    ) -> None:
        if result is not None:
            event_id = result.ids[0].hex() if result.ids else ""
            outcome = f"acked: offset {result.first_offset:,}, id {event_id}" + (
                " (a duplicate by the topic's policy)" if result.duplicates else ""
            )
            ok = True
        elif isinstance(error, Refused):
            outcome, ok = f"nacked: {error.code} — {error.reason}", False
        else:
            outcome, ok = f"failed: {error}", False
        sent = SentEvent(
            topic.id, topic.name, event, result.committed_ms if result else 0, outcome, ok
        )
        self.history.add(sent)
        zone = self._session.time_zone  # the list keeps this zone: each entry says which
        when = stamp_ms(result.committed_ms, zone)[11:] if result else "not stored"
        item = QListWidgetItem(
            f"{'✓' if ok else '✗'} {when} · {topic.name} · {event.type_name} "
            f"v{event.type_version} · {len(event.data):,} bytes\n{outcome}"
        )
        item.setToolTip(f"topic {topic.name} ({topic_id_text(topic.id)})\n{outcome}")
        if not ok:
            item.setForeground(error_color(self.palette()))
        self.history_list.insertItem(0, item)
        if self.history_list.count() > len(self.history):
            self.history_list.takeItem(self.history_list.count() - 1)
        committed = f", committed {stamp_ms(result.committed_ms, zone)}" if result else ""
        self._show_result(outcome[0].upper() + outcome[1:] + committed, ok=ok)
        self._session.refresh_topics()
        self.sent.emit(sent)
        self._update_history_buttons()

    def _show_result(self, text: str, ok: bool | None) -> None:
        self.result_label.setText(text)
        self._color_result(ok)

    def _color_result(self, ok: bool | None) -> None:
        if ok is False:
            self.result_label.setStyleSheet(f"color: {error_color(self.palette()).name()};")
        else:
            self.result_label.setStyleSheet("")

    def _point_at(self, line: int, column: int) -> None:
        block = self.editor.document().findBlockByLineNumber(line - 1)
        cursor = QTextCursor(block)
        cursor.movePosition(
            QTextCursor.MoveOperation.Right, n=max(0, min(column - 1, block.length() - 1))
        )
        self.editor.setTextCursor(cursor)
        self.editor.setFocus()

    def _selected(self) -> SentEvent | None:
        row = self.history_list.currentRow()
        return self.history[row] if 0 <= row < len(self.history) else None

    def _update_history_buttons(self) -> None:
        chosen = self._selected() is not None
        self.again_button.setEnabled(chosen)
        self.edit_button.setEnabled(chosen)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._highlighter.set_dark(palette_is_dark(self.palette()))
        super().changeEvent(event)
