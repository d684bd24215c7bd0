"""The desktop bundle's recipe: what it keeps out, its Linux desktop entry, and (when asked
with ENSIGN_BUNDLE_SMOKE=1, as CI does) building it and smoke-running it."""

from __future__ import annotations

import configparser
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
# packaging/ is a folder of scripts, not a package: load its rules by file.
_spec = importlib.util.spec_from_file_location("bundle_contents", PACKAGING / "bundle_contents.py")
assert _spec is not None and _spec.loader is not None
bundle_contents = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bundle_contents)
EXCLUDED_MODULES = bundle_contents.EXCLUDED_MODULES
keep_data, keep_qt_plugin = bundle_contents.keep_data, bundle_contents.keep_qt_plugin


def test_the_bundle_keeps_the_qt_plugins_a_desktop_needs_and_drops_the_rest() -> None:
    plugins = "PySide6/Qt/plugins"
    for kept in (
        "platforms/libqxcb.so",
        "platforms/libqwayland.so",
        "platforms/libqoffscreen.so",
        "platforms/qwindows.dll",
        "platforms/libqcocoa.dylib",
        "xcbglintegrations/libqxcb-glx-integration.so",
        "imageformats/libqsvg.so",
        "platformthemes/libqxdgdesktopportal.so",
        "wayland-shell-integration/libxdg-shell.so",
    ):
        assert keep_qt_plugin(f"{plugins}/{kept}"), kept
    for dropped in (
        "platforms/libqeglfs.so",
        "platforms/libqvnc.so",
        "platformthemes/libqgtk3.so",
        "egldeviceintegrations/libqeglfs-kms-integration.so",
        "tls/libqopensslbackend.so",
        "imageformats/libqtiff.so",
    ):
        assert not keep_qt_plugin(f"{plugins}/{dropped}"), dropped
    assert not keep_data("PySide6/Qt/translations/qtbase_de.qm")
    assert keep_data("resources/scenarios/bank/scenario.json")


def test_the_excluded_modules_are_none_the_app_imports() -> None:
    probe = (
        "import sys\n"
        "import workbench.app.parts, workbench.views.qt_main_window, embedded_broker.api.server\n"
        "print('\\n'.join(sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    imported = set(done.stdout.split())
    # grpc and pyqtgraph import these if present, and do without them
    allowed = {"grpc_tools", "PySide6.QtSvg", "PySide6.QtTest"}
    assert imported & set(EXCLUDED_MODULES) <= allowed


def test_the_desktop_entry_names_the_program_and_the_icon() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]
    entry.read(PACKAGING / "linux" / "ensign-workbench.desktop")
    section = entry["Desktop Entry"]
    assert section["Type"] == "Application" and section["Name"] == "Ensign Workbench"
    assert section["Exec"] == "ensign-workbench" and section["Icon"] == "ensign-workbench"
    assert section["StartupWMClass"] == "ensign-workbench"
    assert section["Categories"].endswith(";")
    validate = shutil.which("desktop-file-validate")
    if validate:
        desktop = PACKAGING / "linux" / "ensign-workbench.desktop"
        subprocess.run([validate, str(desktop)], check=True)


@pytest.mark.skipif(sys.platform != "linux", reason="a Linux desktop entry")
def test_install_desktop_entry_points_the_menu_at_the_bundle(tmp_path: Path) -> None:
    bundle = tmp_path / "ensign-workbench"
    shutil.copytree(ROOT / "resources" / "icons", bundle / "_internal" / "resources" / "icons")
    for name in ("ensign-workbench.desktop", "install-desktop-entry.sh"):
        shutil.copy2(PACKAGING / "linux" / name, bundle / name)
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path)}
    subprocess.run(["sh", str(bundle / "install-desktop-entry.sh")], env=env, check=True)
    installed = (tmp_path / "applications" / "ensign-workbench.desktop").read_text()
    assert f'Exec="{bundle}/ensign-workbench"' in installed
    for size in (16, 48, 256, 512):
        assert (tmp_path / f"icons/hicolor/{size}x{size}/apps/ensign-workbench.png").is_file()
    assert (tmp_path / "icons/hicolor/scalable/apps/ensign-workbench.svg").is_file()
    subprocess.run(
        ["sh", str(bundle / "install-desktop-entry.sh"), "--uninstall"], env=env, check=True
    )
    assert not (tmp_path / "applications" / "ensign-workbench.desktop").exists()


@pytest.mark.skipif(
    os.environ.get("ENSIGN_BUNDLE_SMOKE") != "1",
    reason="builds the bundle (about 2 minutes): set ENSIGN_BUNDLE_SMOKE=1",
)
@pytest.mark.timeout(900)
def test_the_bundle_builds_and_runs_without_python() -> None:
    done = subprocess.run(
        [sys.executable, str(PACKAGING / "smoke_test.py")],
        capture_output=True,
        text=True,
        timeout=880,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert "all checks passed" in done.stdout
