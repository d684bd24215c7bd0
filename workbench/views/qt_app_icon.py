"""The application icon, from the PNG sizes in ``resources/icons`` (no SVG plugin needed)."""

from __future__ import annotations

from PySide6.QtGui import QIcon

from workbench.models.scenarios import resources_dir

ICON_NAME = "ensign-workbench"
"""The icon's name: its files' stem and, on Linux desktops, its name in the icon theme."""


def app_icon() -> QIcon:
    """The app's icon in every size shipped (an empty icon if the files are missing)."""
    icon = QIcon()
    for png in sorted((resources_dir() / "icons").glob(f"{ICON_NAME}-*.png")):
        icon.addFile(str(png))
    return icon
