"""``ensign-workbench``: the QApplication on a qasync loop, the embedded broker, the window.

:func:`main` is the entry point (``workbench.app:main``, ``python -m workbench``); the modules
beside it prepare the process before Qt starts (display, X11 libraries, Qt environment, GC) and
wire the application's parts together (:mod:`~workbench.app.parts`).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence

from embedded_broker.command_line import OneLineErrors, closed_output_quiet


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``ensign-workbench``: a headless subcommand if one is named, else the GUI.

    Args:
        argv: the arguments after the program name (default: ``sys.argv[1:]``).

    Returns:
        The exit status: 0 success, 1 a failed operation, 2 a usage error.
    """
    started = time.monotonic()
    args = _parser().parse_command_line(argv)
    if args.command is not None:
        status: int = closed_output_quiet(lambda: args.run(args))
        return status
    return _gui(started)


def _parser() -> OneLineErrors:
    from workbench import __version__
    from workbench.app import produce_command, profile_command, scenario_commands

    parser = OneLineErrors(
        prog="ensign-workbench",
        description="A desktop workbench for event streams, with its own embedded broker. "
        "Without a command it opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    produce_command.add_parser(commands)
    scenario_commands.add_parser(commands)
    profile_command.add_parser(commands)
    return parser


def _gui(started: float) -> int:
    """Start the GUI (``started``: when the program began, ``time.monotonic()``); return its
    exit status."""
    from workbench.app.display import missing_display
    from workbench.app.qt_libraries import missing_libraries_message, missing_xcb_libraries
    from workbench.models.frozen_app import restore_library_path

    restore_library_path()  # for the programs the app starts, not for the app itself
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
    from workbench.app import ready_probe
    from workbench.app.parts import Workbench
    from workbench.app.qt_environment import prepare_qt_environment
    from workbench.app.qt_single_instance import QtSingleInstance, instance_name
    from workbench.models.profiles import EMBEDDED, config_dir
    from workbench.views.qt_copy_fields import release_clipboard

    prepare_qt_environment()
    app = QApplication(sys.argv[:1])
    app.setApplicationName("Ensign Workbench")
    app.setOrganizationName("ensign-workbench")
    app.setDesktopFileName("ensign-workbench")
    # Before anything touches the data directory: a second workbench leaves it to the first.
    data_dir = default_data_dir()
    instance = QtSingleInstance(instance_name(data_dir))
    try:
        running = instance.claim()
    except OSError as exc:
        print(f"ensign-workbench: {exc}", file=sys.stderr)
        return 1
    if running is not None:
        process = f" (process {running})" if running else ""
        print(f"ensign-workbench is already running{process}: its window is brought to the front")
        return 0

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)

    parts = Workbench.create(config_dir(), data_dir)
    window, broker, session = parts.window, parts.broker, parts.session
    instance.activate_requested.connect(window.bring_to_front)
    parts.start()
    if ready_probe.wanted():
        ready_probe.quit_when_ready(parts, started)
    if window.current_profile_name() != EMBEDDED:
        window.switch_to(window.current_profile_name())

    closed = asyncio.Event()
    app.aboutToQuit.connect(closed.set)
    with loop:
        loop.run_until_complete(closed.wait())
        loop.run_until_complete(session.drop_connection("quitting"))
    window.captures.stop_all_and_wait()  # before the broker, so that they publish what they read
    broker.stop_and_wait()
    instance.release()
    release_clipboard()
    return 0
