"""``ensign-workbench``: the QApplication on a qasync loop, the embedded broker, the window.

:func:`main` is the entry point (``workbench.app:main``, ``python -m workbench``); the modules
beside it prepare the process before Qt starts (display, X11 libraries, Qt environment, GC) and
wire the application's parts together (:mod:`~workbench.app.parts`).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Start the GUI; return its exit status."""
    from workbench.app.display import missing_display
    from workbench.app.qt_libraries import missing_libraries_message, missing_xcb_libraries

    problem = missing_display()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    packages = missing_xcb_libraries()
    if packages:
        print(missing_libraries_message(packages), file=sys.stderr)
        return 2

    import asyncio

    import qasync
    from PySide6.QtWidgets import QApplication

    from embedded_broker.config import default_data_dir
    from workbench.app.parts import Workbench
    from workbench.app.qt_environment import prepare_qt_environment
    from workbench.models.profiles import EMBEDDED, config_dir

    prepare_qt_environment()
    app = QApplication(list(argv) if argv is not None else sys.argv)
    app.setApplicationName("Ensign Workbench")
    app.setOrganizationName("ensign-workbench")
    app.setDesktopFileName("ensign-workbench")
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)

    parts = Workbench.create(config_dir(), default_data_dir())
    window, broker, session = parts.window, parts.broker, parts.session
    parts.start()
    if window.current_profile_name() != EMBEDDED:
        window.switch_to(window.current_profile_name())

    closed = asyncio.Event()
    app.aboutToQuit.connect(closed.set)
    with loop:
        loop.run_until_complete(closed.wait())
        loop.run_until_complete(session.drop_connection("quitting"))
    broker.stop_and_wait()
    return 0
