"""The command palette: a quick switcher for topics and actions (Ctrl+K).

A frameless popup with a search field over a list. Typing ranks the entries with
:mod:`workbench.models.fuzzy_match` and highlights the matched letters; Up/Down move, Enter chooses,
Esc closes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from PySide6.QtCore import (
    QAbstractListModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont, QFontMetrics, QKeyEvent, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFrame,
    QLabel,
    QLineEdit,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from workbench.models.fuzzy_match import rank_matches

MAX_RESULTS = 200
VISIBLE_ROWS = 10
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1
POSITIONS_ROLE = Qt.ItemDataRole.UserRole + 2


@dataclass(frozen=True, slots=True)
class PaletteEntry:
    """Something the palette offers: a topic to open or an action to run."""

    title: str
    subtitle: str = ""
    kind: Literal["action", "topic"] = "action"
    payload: Any = None  # a topic id (bytes) or whatever the action needs


class _PaletteModel(QAbstractListModel):
    """The entries that match the query, best first, with the matched letters."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.results: list[tuple[PaletteEntry, tuple[int, ...]]] = []

    def set_results(self, results: list[tuple[PaletteEntry, tuple[int, ...]]]) -> None:
        """Replace the list."""
        self.beginResetModel()
        self.results = results
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        """The number of matching entries."""
        return 0 if parent.isValid() else len(self.results)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> object:
        """An entry's title, subtitle (as tooltip), entry or matched positions."""
        if not index.isValid() or index.row() >= len(self.results):
            return None
        entry, positions = self.results[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return entry.title
        if role == Qt.ItemDataRole.ToolTipRole:
            return entry.subtitle or None
        if role == ENTRY_ROLE:
            return entry
        if role == POSITIONS_ROLE:
            return positions
        return None


class _PaletteDelegate(QStyledItemDelegate):
    """Paints an entry: kind icon, title with its matched letters bold, subtitle dimmed."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        style = parent.style()
        self._icons = {
            "topic": style.standardIcon(QStyle.StandardPixmap.SP_FileDialogDetailedView),
            "action": style.standardIcon(QStyle.StandardPixmap.SP_CommandLink),
        }

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        """One comfortable line."""
        height = QFontMetrics(option.font).height()
        return QSize(height * 20, int(height * 1.8))

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        """Draw the row."""
        entry = index.data(ENTRY_ROLE)
        if not isinstance(entry, PaletteEntry):
            return
        positions = set(index.data(POSITIONS_ROLE) or ())
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, opt, painter, widget)

        rect: QRect = opt.rect
        palette: QPalette = opt.palette
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        font: QFont = QFont(opt.font)
        metrics = QFontMetrics(font)
        margin = metrics.averageCharWidth()
        icon_size = metrics.height()
        x = rect.left() + margin
        icon = self._icons.get(entry.kind)
        if icon is not None:
            top = rect.top() + (rect.height() - icon_size) // 2
            icon.paint(painter, QRect(x, top, icon_size, icon_size))
        x += icon_size + margin

        painter.save()
        text_color = palette.color(
            QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        )
        match_color = text_color if selected else palette.color(QPalette.ColorRole.Link)
        dim_color = text_color if selected else palette.color(QPalette.ColorRole.PlaceholderText)
        bold = QFont(font)
        bold.setBold(True)
        bold_metrics = QFontMetrics(bold)
        baseline = rect.top() + (rect.height() + metrics.ascent() - metrics.descent()) // 2
        subtitle_width = metrics.horizontalAdvance(entry.subtitle) if entry.subtitle else 0
        title_right = rect.right() - margin - (subtitle_width + 2 * margin if subtitle_width else 0)
        for run, matched in _runs(entry.title, positions):
            run_metrics = bold_metrics if matched else metrics
            width = run_metrics.horizontalAdvance(run)
            if x + width > title_right:
                run = run_metrics.elidedText(run, Qt.TextElideMode.ElideRight, title_right - x)
                width = run_metrics.horizontalAdvance(run)
            painter.setFont(bold if matched else font)
            painter.setPen(match_color if matched else text_color)
            painter.drawText(QPoint(x, baseline), run)
            x += width
            if x >= title_right:
                break
        if entry.subtitle:
            painter.setFont(font)
            painter.setPen(dim_color)
            painter.drawText(
                QPoint(rect.right() - margin - subtitle_width, baseline), entry.subtitle
            )
        painter.restore()


def _runs(text: str, positions: set[int]) -> list[tuple[str, bool]]:
    """Split ``text`` into runs of matched and unmatched characters."""
    runs: list[tuple[str, bool]] = []
    for index, char in enumerate(text):
        matched = index in positions
        if runs and runs[-1][1] == matched:
            runs[-1] = (runs[-1][0] + char, matched)
        else:
            runs.append((char, matched))
    return runs


class QtCommandPalette(QFrame):
    """A quick switcher popup over its parent window."""

    chosen = Signal(object)  # PaletteEntry

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup | Qt.WindowType.FramelessWindowHint)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setFrameShadow(QFrame.Shadow.Raised)
        self.setAutoFillBackground(True)
        self._entries: list[PaletteEntry] = []

        self.search = QLineEdit()
        self.search.setPlaceholderText("Go to a topic or run a command…")
        self.search.setClearButtonEnabled(True)
        self.model = _PaletteModel(self)
        self.list = QListView()
        self.list.setModel(self.model)
        self.list.setItemDelegate(_PaletteDelegate(self.list))
        self.list.setUniformItemSizes(True)
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setFrameShape(QFrame.Shape.NoFrame)
        self.no_matches = QLabel()
        self.no_matches.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.no_matches.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.no_matches.setWordWrap(True)
        self.no_matches.hide()
        self.hint = QLabel("↑↓ to move · Enter to choose · Esc to close")
        self.hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignRight)

        layout = QVBoxLayout(self)
        spacing = self.fontMetrics().averageCharWidth()
        layout.setContentsMargins(spacing, spacing, spacing, spacing // 2)
        layout.setSpacing(spacing // 2)
        layout.addWidget(self.search)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.no_matches, 1)
        layout.addWidget(self.hint)

        self.search.textChanged.connect(self._filter)
        self.search.installEventFilter(self)
        self.list.clicked.connect(self._choose_index)

    # -- API ----------------------------------------------------------------------------------

    def set_entries(self, entries: list[PaletteEntry]) -> None:
        """What the palette offers (shown in this order until the user types)."""
        self._entries = list(entries)
        self._filter(self.search.text())

    def entries(self) -> list[PaletteEntry]:
        """The entries shown now, best match first."""
        return [entry for entry, _ in self.model.results]

    def current_entry(self) -> PaletteEntry | None:
        """The highlighted entry (Enter chooses it)."""
        row = self.list.currentIndex().row()
        return self.model.results[row][0] if 0 <= row < len(self.model.results) else None

    def popup(self) -> None:
        """Show with an empty query, centred on the top third of the parent's window."""
        self.search.clear()
        self._filter("")
        self._place()
        self.show()
        self.raise_()
        self.activateWindow()
        self.search.setFocus(Qt.FocusReason.PopupFocusReason)

    def choose_current(self) -> None:
        """Close and emit :attr:`chosen` for the highlighted entry (if any)."""
        entry = self.current_entry()
        if entry is not None:
            self.hide()
            self.chosen.emit(entry)

    # -- behaviour ----------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Keys typed in the search field move through the list, choose, or close."""
        if watched is self.search and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            key = event.key()
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.choose_current()
                return True
            if key == Qt.Key.Key_Escape:
                self.hide()
                return True
            steps = {
                Qt.Key.Key_Down: 1,
                Qt.Key.Key_Up: -1,
                Qt.Key.Key_PageDown: VISIBLE_ROWS,
                Qt.Key.Key_PageUp: -VISIBLE_ROWS,
            }
            if key in steps:
                self._move(steps[Qt.Key(key)])
                return True
        return super().eventFilter(watched, event)

    def _move(self, step: int) -> None:
        count = self.model.rowCount()
        if count == 0:
            return
        row = self.list.currentIndex().row()
        # Up and Down wrap around; Page Up and Page Down stop at the ends.
        row = (row + step) % count if abs(step) == 1 else max(0, min(count - 1, row + step))
        self.list.setCurrentIndex(self.model.index(row))

    def _filter(self, query: str) -> None:
        matches = rank_matches(query.strip(), self._entries, key=lambda e: e.title)
        self.model.set_results([(entry, m.positions) for entry, m in matches[:MAX_RESULTS]])
        if self.model.rowCount():
            self.list.setCurrentIndex(self.model.index(0))
            self.list.scrollToTop()
        # An empty list looks broken: say that nothing matches instead, in the same place.
        nothing = not self.model.rowCount()
        self.no_matches.setText(
            f"No matches for “{query.strip()}”" if query.strip() else "Nothing to choose"
        )
        self.list.setVisible(not nothing)
        self.no_matches.setVisible(nothing)

    def _choose_index(self, index: QModelIndex) -> None:
        self.list.setCurrentIndex(index)
        self.choose_current()

    def _place(self) -> None:
        metrics = self.fontMetrics()
        row_height = self.list.sizeHintForRow(0) if self.model.rowCount() else metrics.height() * 2
        list_height = row_height * VISIBLE_ROWS + 2 * self.list.frameWidth()
        self.list.setFixedHeight(list_height)
        self.no_matches.setFixedHeight(list_height)
        width = metrics.averageCharWidth() * 90
        parent = self.parentWidget()
        if parent is None:
            self.resize(width, self.sizeHint().height())
            return
        window = parent.window()
        frame = QRect(window.mapToGlobal(QPoint(0, 0)), window.size())
        width = max(min(width, frame.width() - 40), min(frame.width(), 320))
        height = self.sizeHint().height()
        self.resize(width, height)
        left = frame.left() + (frame.width() - width) // 2
        top_third = frame.height() // 3
        top = frame.top() + max(metrics.height() * 3, (top_third - height) // 2)
        self.move(left, top)
