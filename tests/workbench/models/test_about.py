"""What the app says about itself, and how shortcuts are described and listed (no Qt)."""

from __future__ import annotations

from email.message import Message
from importlib import metadata
from typing import Any, cast

from workbench.models.about import APP_NAME, bundled_components, licence_of, window_title
from workbench.models.shortcut_list import Shortcut, clean_text, names_keys, shortcut_rows


class _Dist(metadata.Distribution):
    def __init__(self, **fields: Any) -> None:
        self._meta = Message()
        for name, values in fields.items():
            for value in values if isinstance(values, list) else [values]:
                self._meta[name.replace("_", "-")] = value

    @property
    def metadata(self) -> Any:
        return self._meta

    def read_text(self, filename: str) -> str | None:
        return None

    def locate_file(self, path: Any) -> Any:
        return path


def test_window_title_names_the_app_and_the_broker() -> None:
    assert window_title() == f"{APP_NAME} — not connected"
    assert window_title("prod", "broker:443") == f"{APP_NAME} — prod (broker:443)"


def test_a_licence_is_the_spdx_expression_a_short_field_or_the_classifiers() -> None:
    assert licence_of(cast(metadata.Distribution, _Dist(License_Expression="MIT"))) == "MIT"
    assert licence_of(cast(metadata.Distribution, _Dist(License="BSD-2-Clause"))) == "BSD-2-Clause"
    whole_text = "Copyright (c) someone\n\nPermission is hereby granted…"
    classified = _Dist(
        License=whole_text, Classifier=["License :: OSI Approved :: MIT License", "Other :: X"]
    )
    assert licence_of(cast(metadata.Distribution, classified)) == "MIT License"
    assert licence_of(cast(metadata.Distribution, _Dist())) == "see its licence file"


def test_the_components_are_the_installed_requirements_all_the_way_down() -> None:
    names = [c.name.lower().replace("_", "-") for c in bundled_components()]
    assert names[0] == "python"
    for direct in ("pyside6-essentials", "pyqtgraph", "grpcio", "faker", "keyring"):
        assert direct in names
    assert "shiboken6" in names and "markupsafe" in names, "requirements of requirements"
    assert "ensign-workbench" not in names and "pytest" not in names, "no test extra"


def test_descriptions_are_cleaned_of_mnemonics_ellipses_keys_and_later_sentences() -> None:
    assert clean_text("&New topic…") == "New topic"
    assert clean_text("Run the query (Ctrl+Return)") == "Run the query"
    assert clean_text("Delete the selected topic (Delete)") == "Delete the selected topic"
    assert clean_text("Show matches (in type or id). Others are not searched. (Ctrl+F)") == (
        "Show matches (in type or id)"
    )
    assert clean_text("Freeze; data keeps coming (P)") == "Freeze; data keeps coming"
    assert names_keys("Run the query (Ctrl+Return)", "Ctrl+Return")
    assert not names_keys("Run the query", "Ctrl+Return")


def test_rows_fold_keypad_enter_drop_duplicates_and_follow_the_areas_order() -> None:
    found = [
        Shortcut("Query", "Ctrl+Return", "Run"),
        Shortcut("Query", "Ctrl+Enter", "Run"),
        Shortcut("Query", "Esc", "Stop"),
        Shortcut("Zed", "F9", "Other"),
        Shortcut("File", "Ctrl+N", "New"),
        Shortcut("File", "", "no keys, not listed"),
    ]
    assert shortcut_rows(found, ["File", "Query"]) == [
        Shortcut("File", "Ctrl+N", "New"),
        Shortcut("Query", "Esc", "Stop"),
        Shortcut("Query", "Ctrl+Return", "Run"),
        Shortcut("Zed", "F9", "Other"),
    ]
