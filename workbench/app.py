"""``ensign-workbench``: build the QApplication on a qasync loop and show the main window."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Start the GUI; return its exit status."""
    from workbench.display import missing_display

    problem = missing_display()
    if problem:
        print(problem, file=sys.stderr)
        return 2

    import asyncio

    import qasync
    from PySide6.QtWidgets import QApplication

    from workbench.qt_main_window import QtMainWindow

    app = QApplication(list(argv) if argv is not None else sys.argv)
    app.setApplicationName("Ensign Workbench")
    app.setOrganizationName("ensign-workbench")
    window = QtMainWindow()
    window.show()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    closed = asyncio.Event()
    app.aboutToQuit.connect(closed.set)
    with loop:
        loop.run_until_complete(closed.wait())
    return 0


if __name__ == "__main__":
    sys.exit(main())
