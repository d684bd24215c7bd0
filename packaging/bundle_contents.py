"""What goes into the desktop bundle and what stays out: the rules the PyInstaller spec applies.

Plain data and functions (no PyInstaller import), so that tests can check them.
"""

from __future__ import annotations

from pathlib import PurePath

EXCLUDED_MODULES = [
    # Qt modules the app never imports (pyqtgraph imports QtSvg and QtTest only if present;
    # it does need QtOpenGL and QtOpenGLWidgets). Most are not in PySide6-Essentials at all;
    # naming them keeps them out should a fuller PySide6 be installed.
    "PySide6.QtSvg",
    "PySide6.QtSvgWidgets",
    "PySide6.QtTest",
    "PySide6.QtDBus",
    "PySide6.QtQml",
    "PySide6.QtQuick",
    "PySide6.QtQuick3D",
    "PySide6.QtQuickControls2",
    "PySide6.QtQuickWidgets",
    "PySide6.QtWebEngineCore",
    "PySide6.QtWebEngineWidgets",
    "PySide6.QtWebEngineQuick",
    "PySide6.QtWebChannel",
    "PySide6.QtWebSockets",
    "PySide6.Qt3DCore",
    "PySide6.Qt3DRender",
    "PySide6.QtMultimedia",
    "PySide6.QtMultimediaWidgets",
    "PySide6.QtCharts",
    "PySide6.QtDataVisualization",
    "PySide6.QtGraphs",
    "PySide6.QtPdf",
    "PySide6.QtPdfWidgets",
    "PySide6.QtPositioning",
    "PySide6.QtLocation",
    "PySide6.QtBluetooth",
    "PySide6.QtSerialPort",
    "PySide6.QtSensors",
    "PySide6.QtSql",
    "PySide6.QtXml",
    "PySide6.QtDesigner",
    "PySide6.QtHelp",
    "PySide6.QtUiTools",
    "PySide6.QtPrintSupport",
    "PySide6.QtConcurrent",
    "PySide6.QtStateMachine",
    "PySide6.QtRemoteObjects",
    "PySide6.QtScxml",
    "PySide6.QtSpatialAudio",
    "PySide6.QtTextToSpeech",
    "PySide6.QtHttpServer",
    # Optional imports of the dependencies that the app does not use.
    "grpc_tools",  # grpc loads .proto files at run time with it; the app ships generated code
    "embedded_broker.proto.generate",
    "pyqtgraph.opengl",
    "pyqtgraph.examples",
    "pyqtgraph.jupyter",
    "tkinter",
    "matplotlib",
    "scipy",
    "pandas",
    "IPython",
    "PyQt5",
    "PyQt6",
    "PySide2",
    # The test tools installed next to the app.
    "pytest",
    "_pytest",
    "pytestqt",
    "hypothesis",
    "mypy",
]

DROPPED_PLUGIN_TYPES = {
    "egldeviceintegrations",  # the eglfs platform, for devices without a window system
    "generic",  # evdev and tslib input, for the same
    "networkinformation",  # the app's only networking in Qt is a local socket
    "tls",
    "sqldrivers",
    "printsupport",
    "qmltooling",
}
DROPPED_PLUGINS = {
    "platforms": {"qeglfs", "qlinuxfb", "qminimalegl", "qvkkhrdisplay", "qvnc", "qdirect2d"},
    "platformthemes": {"qgtk3"},  # it pulls in GTK's cairo and pixman; the portal theme stays
    "imageformats": {"qtiff", "qwebp", "qtga", "qwbmp", "qicns", "qpdf"},
    "wayland-shell-integration": {"ivi-shell", "fullscreen-shell-v1", "wl-shell-plugin"},
}
"""Qt plugins the app does not need, by type and name (without ``lib`` and extension); the
rest of each type is kept, so that what a platform needs is there."""


def keep_qt_plugin(path: str) -> bool:
    """Whether a Qt plugin file (``…/plugins/<type>/<file>``) goes into the bundle."""
    parts = PurePath(path)
    plugin_type = parts.parent.name
    name = parts.name.split(".", 1)[0].removeprefix("lib")
    if plugin_type in DROPPED_PLUGIN_TYPES:
        return False
    return name not in DROPPED_PLUGINS.get(plugin_type, set())


def keep_data(dest: str) -> bool:
    """Whether a data file (by its place in the bundle) goes in: not Qt's translations of its
    own dialogs (the app is in English)."""
    return "/Qt/translations/" not in "/" + PurePath(dest).as_posix() + "/"
