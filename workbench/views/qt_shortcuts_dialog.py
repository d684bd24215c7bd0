"""Help → Keyboard shortcuts: every shortcut the window has, read from its actions, shortcuts
and buttons (so the list is never out of date), grouped by where they work."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractButton,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QMainWindow,
    QMenu,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.models.shortcut_list import (
    Shortcut,
    clean_text,
    names_keys,
    return_key,
    shortcut_rows,
)

EVERYWHERE = "Everywhere"
NATIVE = QKeySequence.SequenceFormat.NativeText


def window_shortcuts(window: QMainWindow, tabs: QTabWidget) -> list[Shortcut]:
    """The shortcuts of ``window``, each in its area: the menu that holds its action, else the
    tab or dock panel it works in, else "Everywhere". One whose description cannot be found
    has an empty one (a test keeps there being none)."""
    menus = _menu_titles(window)
    found: list[Shortcut] = []
    for obj in window.findChildren(QObject):
        keys = _keys(obj)
        if not keys:
            continue
        area, view = _area(obj, window, tabs)
        found.append(Shortcut(menus.get(obj) or area, keys, _description(obj, keys, view)))
    orders = [*dict.fromkeys(menus.values()), *(tabs.tabText(i) for i in range(tabs.count()))]
    return shortcut_rows(found, [*orders, EVERYWHERE])


def _keys(obj: QObject) -> str:
    if isinstance(obj, QAction | QShortcut):
        sequence = obj.shortcut() if isinstance(obj, QAction) else obj.key()
    elif isinstance(obj, QAbstractButton):
        sequence = obj.shortcut()
    else:
        return ""
    return sequence.toString(NATIVE)


def _menu_titles(window: QMainWindow) -> dict[QObject, str]:
    """Each action in the menu bar, with its top menu's title."""
    titles: dict[QObject, str] = {}

    def visit(menu: QMenu, title: str) -> None:
        for act in menu.actions():
            sub = act.menu()
            if isinstance(sub, QMenu):
                visit(sub, title)
            elif not act.isSeparator():
                titles.setdefault(act, title)

    for top in window.menuBar().actions():
        menu = top.menu()
        if isinstance(menu, QMenu):
            visit(menu, clean_text(top.text()))
    return titles


def _owner(obj: QObject) -> QWidget | None:
    if isinstance(obj, QWidget):
        return obj
    parent = obj.parent()
    while parent is not None and not isinstance(parent, QWidget):
        parent = parent.parent()
    return parent


def _area(obj: QObject, window: QMainWindow, tabs: QTabWidget) -> tuple[str, QWidget]:
    """The tab or dock panel an object lives in, and its page ("Everywhere" and the window for
    the window's own)."""
    widget = _owner(obj)
    pages = {tabs.widget(i): tabs.tabText(i) for i in range(tabs.count())}
    while widget is not None and widget is not window:
        if widget in pages:
            return pages[widget], widget
        if widget.parentWidget() is window and widget.windowTitle():
            return widget.windowTitle(), widget  # a dock: "Topics"
        widget = widget.parentWidget()
    return EVERYWHERE, window


def _description(obj: QObject, keys: str, view: QWidget) -> str:
    """What a shortcut does: its What's This, its tooltip or text; for a bare shortcut, the
    tooltip of a control in the same view that names its keys ("Run the query (Ctrl+Return)")."""
    if isinstance(obj, QAction | QShortcut | QWidget) and obj.whatsThis():
        return clean_text(obj.whatsThis())
    if isinstance(obj, QAction | QAbstractButton):
        told = obj.toolTip() or obj.text()
        if told:
            return clean_text(told)
    wanted = {keys, return_key(keys)}
    for candidate in [view, *view.findChildren(QWidget)]:
        tip = candidate.toolTip()
        if any(names_keys(tip, k) for k in wanted):
            return clean_text(tip)
    return ""


class QtShortcutsDialog(QDialog):
    """The window's shortcuts in a table, grouped by area."""

    def __init__(self, window: QMainWindow, tabs: QTabWidget) -> None:
        super().__init__(window)
        self.setWindowTitle("Keyboard shortcuts")
        self.shortcuts = window_shortcuts(window, tabs)
        self.table = QTreeWidget()
        self.table.setHeaderLabels(["Keys", "Action"])
        self.table.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        groups: dict[str, QTreeWidgetItem] = {}
        for shortcut in self.shortcuts:
            group = groups.get(shortcut.area)
            if group is None:
                group = groups[shortcut.area] = QTreeWidgetItem(self.table, [shortcut.area])
                group.setFirstColumnSpanned(True)
                font = group.font(0)
                font.setBold(True)
                group.setFont(0, font)
            item = QTreeWidgetItem(group, [shortcut.keys, shortcut.description])
            item.setToolTip(1, shortcut.description)  # in full, should the column cut it
        self.table.expandAll()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(self.fontMetrics().averageCharWidth() * 100, self.fontMetrics().height() * 36)
