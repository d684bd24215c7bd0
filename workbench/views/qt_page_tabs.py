"""The main window's tabs, each page able to scroll rather than make the window grow.

A ``QTabWidget`` is as large as its largest page's minimum, hidden pages included: with
presentation mode's larger fonts on a 1280x720 projector, one dense page (a form, a row of
controls) was enough to push the window past the screen's edge, cutting every other page. Here
each page sits in a :class:`QtPageScroll` that gives the page all the room there is and shows a
scroll bar only when the window is smaller than that page needs.

The tab widget's API speaks of the pages themselves: ``widget(i)``, ``currentWidget()``,
``indexOf(page)`` and ``setCurrentWidget(page)`` take and return the page, not its scroll area.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QFrame, QScrollArea, QStyle, QTabWidget, QWidget


class QtPageScroll(QScrollArea):
    """A frameless scroll area giving its page the whole viewport, and never less than the
    page's minimum size (then a scroll bar shows).

    Not ``setWidgetResizable``: that sizes a page with height-for-width contents (wrapping rows,
    wrapping labels) to its *preferred* height, so a page that fits would scroll anyway.
    """

    def __init__(self, page: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"{page.objectName() or type(page).__name__}Scroll")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWidget(page)
        page.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self._fit()
        return False

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        page = self.widget()
        if page is None:
            return
        needed = page.minimumSizeHint().expandedTo(page.minimumSize())
        room = self.maximumViewportSize()
        bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        wide, tall = needed.width() > room.width(), needed.height() > room.height()
        if wide:
            room.setHeight(room.height() - bar)
            tall = needed.height() > room.height()
        if tall:
            room.setWidth(room.width() - bar)
            if not wide and needed.width() > room.width():
                room.setHeight(room.height() - bar)
        page.resize(needed.expandedTo(room))


class QtPageTabs(QTabWidget):
    """Tabs whose pages scroll when the window is too small for them."""

    def addTab(self, page: QWidget, title: str) -> int:  # type: ignore[override]
        return super().addTab(QtPageScroll(page), title)

    def widget(self, index: int) -> QWidget | None:
        scroll = super().widget(index)
        return scroll.widget() if isinstance(scroll, QScrollArea) else scroll

    def currentWidget(self) -> QWidget:
        return self.widget(self.currentIndex())  # type: ignore[return-value]

    def indexOf(self, page: QWidget) -> int:
        for index in range(self.count()):
            if self.widget(index) is page:
                return index
        return super().indexOf(page)

    def setCurrentWidget(self, page: QWidget) -> None:
        index = self.indexOf(page)
        if index >= 0:
            self.setCurrentIndex(index)
