"""Build the desktop bundle: ``dist/ensign-workbench/`` and an archive of it.

    python packaging/build.py [--dist DIR] [--work DIR] [--no-archive]

Run it with the Python where the project is installed (``pip install -e .``, as the README's
test command does): the bundle holds that Python and the packages installed there. It installs
PyInstaller into that environment if it is missing. The folder runs on a machine of the same
system (Linux, macOS or Windows) without Python; on Linux it also holds the ``.desktop`` file
and ``install-desktop-entry.sh``. See packaging/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "packaging" / "ensign-workbench.spec"
NAME = "ensign-workbench"
PYINSTALLER = "pyinstaller>=6.10,<7"
"""The freezer, within the major version whose hooks the spec relies on."""


def main(argv: list[str] | None = None) -> int:
    """Build; return the exit status."""
    parser = argparse.ArgumentParser(prog="build.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="output folder")
    parser.add_argument("--work", type=Path, default=ROOT / "build", help="PyInstaller's scratch")
    parser.add_argument("--no-archive", action="store_true", help="only the folder")
    args = parser.parse_args(argv)
    try:
        version = metadata.version(NAME)
    except metadata.PackageNotFoundError:
        print(
            f"build.py: {sys.executable} has no ensign-workbench installed; run it with the"
            " Python where it is (the README's commands make .venv: .venv/bin/python"
            " packaging/build.py)",
            file=sys.stderr,
        )
        return 1
    ensure_pyinstaller()
    started = time.monotonic()
    folder = args.dist / NAME
    subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--clean",
            "--log-level",
            "WARN",
            "--distpath",
            str(args.dist),
            "--workpath",
            str(args.work),
            str(SPEC),
        ],
        check=True,
        cwd=ROOT,
    )
    if sys.platform.startswith("linux"):
        strip_interpreter(folder)
        add_desktop_entry(folder)
    built = time.monotonic() - started
    print(f"bundle: {folder} ({megabytes(tree_size(folder))}, built in {built:.0f} s)")
    if not args.no_archive:
        archive = make_archive(folder, version)
        print(f"archive: {archive} ({megabytes(archive.stat().st_size)})")
    return 0


def ensure_pyinstaller() -> None:
    """Install PyInstaller into this environment if it is not there (or too old or new)."""
    try:
        installed = metadata.version("pyinstaller")
    except metadata.PackageNotFoundError:
        installed = ""
    major_minor = tuple(int(p) for p in installed.split(".")[:2] if p.isdigit())
    if installed and (6, 10) <= major_minor < (7, 0):
        return
    print(f"build.py: installing {PYINSTALLER}")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", PYINSTALLER], check=True)


def strip_interpreter(folder: Path) -> None:
    """Drop the debug information of the bundled interpreter's own libraries (libpython and its
    extension modules), which a Python built from source (pyenv) carries: 23 MB of libpython
    become 6. The packages' libraries are left alone: those that auditwheel patched (numpy's
    OpenBLAS) no longer load once stripped."""
    strip = shutil.which("strip")
    if strip is None:
        print("build.py: no strip here (binutils); the interpreter keeps its debug information")
        return
    internal = folder / "_internal"
    libraries = [*internal.glob("libpython3*.so*"), *internal.glob("python3*/lib-dynload/*.so")]
    subprocess.run([strip, "--strip-debug", *map(str, libraries)], check=True)


def add_desktop_entry(folder: Path) -> None:
    """Put the Linux desktop entry and its installer at the top of the bundle."""
    for name in ("ensign-workbench.desktop", "install-desktop-entry.sh"):
        target = folder / name
        shutil.copy2(ROOT / "packaging" / "linux" / name, target)
    os.chmod(folder / "install-desktop-entry.sh", 0o755)


def make_archive(folder: Path, version: str) -> Path:
    """A .tar.gz (a .zip on Windows) of the bundle folder, named for its version and system."""
    system = {"darwin": "macos", "win32": "windows"}.get(sys.platform, sys.platform)
    base = folder.parent / f"{NAME}-{version}-{system}-{platform.machine().lower()}"
    kind = "zip" if sys.platform == "win32" else "gztar"
    return Path(shutil.make_archive(str(base), kind, folder.parent, folder.name))


def tree_size(folder: Path) -> int:
    """Bytes in a folder's files (links not followed)."""
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def megabytes(size: int) -> str:
    """A size as "123.4 MB" (10^6 bytes)."""
    return f"{size / 1e6:.1f} MB"


if __name__ == "__main__":
    sys.exit(main())
