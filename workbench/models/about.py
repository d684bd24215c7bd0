"""What the app says about itself: its name in titles, its README, and the components it ships
with their licences (read from the installed packages' metadata, which a bundle carries too)."""

from __future__ import annotations

import platform
import re
from dataclasses import dataclass
from importlib import metadata

from workbench import DISTRIBUTION
from workbench.models.scenarios import resources_dir

APP_NAME = "Ensign Workbench"

QT_NOTICE = (
    "Qt {qt_version} is © The Qt Company Ltd. and other contributors, used under the GNU Lesser "
    "General Public License version 3 (LGPL-3.0). Its libraries are linked dynamically: they are "
    "separate files in the application's folder, which you may replace with your own build of "
    "the same Qt version. Qt's source code is at https://code.qt.io/ and "
    "https://download.qt.io/. PySide6 and Shiboken6 (Qt for Python, © The Qt Company Ltd.) are "
    "used under the LGPL-3.0 too; their source is at https://code.qt.io/cgit/pyside/"
    "pyside-setup.git/. The LGPL-3.0 text: https://www.gnu.org/licenses/lgpl-3.0.html."
)
"""The notice the LGPL asks for, with ``{qt_version}`` to fill in."""

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_LICENSE_CLASSIFIER = "License :: OSI Approved :: "


def window_title(broker: str = "", address: str = "") -> str:
    """The main window's title: the app's name and the broker it is connected to, if any."""
    if not broker:
        return f"{APP_NAME} — not connected"
    return f"{APP_NAME} — {broker} ({address})" if address else f"{APP_NAME} — {broker}"


def readme_location() -> str:
    """The README to open: the file shipped beside ``resources/`` (in the source tree or the
    bundle), else the project's URL from its metadata, else ""."""
    readme = resources_dir().parent / "README.md"
    if readme.is_file():
        return str(readme)
    try:
        urls = metadata.metadata(DISTRIBUTION).get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        return ""
    return urls[0].partition(",")[2].strip() if urls else ""


@dataclass(frozen=True, slots=True)
class Component:
    """A component the app ships: its name, version and licence (an SPDX expression when its
    metadata gives one)."""

    name: str
    version: str
    licence: str


def bundled_components() -> list[Component]:
    """The app's runtime dependencies, all the way down, as installed; the Python interpreter
    first (Qt itself is a native library: see :data:`QT_NOTICE`)."""
    found: dict[str, Component] = {}
    _walk(DISTRIBUTION, found)
    found.pop(_key(DISTRIBUTION), None)
    python = Component("Python", platform.python_version(), "PSF-2.0")
    return [python, *sorted(found.values(), key=lambda c: c.name.lower())]


def _walk(name: str, found: dict[str, Component]) -> None:
    if _key(name) in found:
        return
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:  # an optional or other-platform requirement
        return
    found[_key(name)] = Component(dist.metadata["Name"] or name, dist.version, licence_of(dist))
    for requirement in dist.requires or []:
        if "extra ==" in requirement.partition(";")[2]:
            continue  # an optional extra: installed or not, not a requirement
        match = _NAME.match(requirement)
        if match:
            _walk(match.group(), found)


def licence_of(dist: metadata.Distribution) -> str:
    """A distribution's licence: its SPDX ``License-Expression``, a short ``License`` field, or
    its licence classifiers; "see its licence file" when it says none of these."""
    meta = dist.metadata
    expression = (meta.get_all("License-Expression") or [""])[0]
    if expression:
        return str(expression)
    text = str((meta.get_all("License") or [""])[0]).strip()
    if text and "\n" not in text and len(text) <= 80:  # not a licence's whole text
        return text
    classifiers = [
        c.removeprefix(_LICENSE_CLASSIFIER).removeprefix("License :: ")
        for c in meta.get_all("Classifier") or []
        if c.startswith("License :: ")
    ]
    return " / ".join(classifiers) or "see its licence file"


def _key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()
