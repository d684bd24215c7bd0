"""The template library: named templates as files; save, list, load, delete, export and import."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workbench.models.event_templates import EventTemplate, TemplateError, load_template
from workbench.models.template_library import TemplateLibrary

ORDERS = EventTemplate({"id": "{{ counter() }}"}, type="Order:1.0.0", seed=1)
LINES = EventTemplate("line {{ counter() }}", mimetype="text/plain")


def test_saved_templates_are_listed_loaded_and_kept(tmp_path: Path) -> None:
    library = TemplateLibrary(tmp_path / "templates")  # created on first save
    assert library.names() == []
    library.save("orders", ORDERS)
    library.save("  Lines ", LINES)
    library.save("älter", ORDERS)

    again = TemplateLibrary(tmp_path / "templates")
    assert again.names() == ["Lines", "orders", "älter"]  # case-insensitive order
    assert again.load("orders") == EventTemplate(**{**ORDERS.__dict__, "name": "orders"})
    assert again.load("Lines").name == "Lines"
    assert "orders" in again and "nothing" not in again and "a/b" not in again
    assert (tmp_path / "templates" / "orders.json").is_file()


def test_saving_under_an_existing_name_replaces_it_and_delete_forgets(tmp_path: Path) -> None:
    library = TemplateLibrary(tmp_path)
    library.save("t", ORDERS)
    library.save("t", LINES)
    assert library.load("t").mimetype == "text/plain"
    library.delete("t")
    library.delete("never saved")
    assert library.names() == []
    with pytest.raises(FileNotFoundError):
        library.load("t")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("  ", "needs a name"),
        ("orders/../../escape", "may not contain '/'"),
        ("a\\b", "may not contain"),
        ("what?", "may not contain '?'"),
        (".hidden", "may not start with '.'"),
        ("tab\there", "may not contain"),
        ("x" * 101, "at most 100 characters"),
    ],
)
def test_names_that_cannot_be_file_names_are_refused(
    tmp_path: Path, name: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        TemplateLibrary(tmp_path).save(name, ORDERS)
    assert list(tmp_path.iterdir()) == []


def test_export_and_import_share_templates_as_files(tmp_path: Path) -> None:
    mine = TemplateLibrary(tmp_path / "mine")
    mine.save("orders", ORDERS)
    shared = tmp_path / "shared" / "orders-template.json"
    shared.parent.mkdir()
    mine.export("orders", shared)
    assert load_template(shared) == mine.load("orders")

    theirs = TemplateLibrary(tmp_path / "theirs")
    assert theirs.import_file(shared) == "orders"  # the template's own name
    assert theirs.import_file(shared, name="copy") == "copy"
    unnamed = tmp_path / "shared" / "from-file.json"
    unnamed.write_text(json.dumps({"body": {}}))
    assert theirs.import_file(unnamed) == "from-file"  # else the file's name
    assert theirs.names() == ["copy", "from-file", "orders"]
    assert theirs.load("copy").body == ORDERS.body


def test_a_bad_file_is_not_imported_and_a_corrupt_one_names_itself(tmp_path: Path) -> None:
    library = TemplateLibrary(tmp_path / "library")
    bad = tmp_path / "bad.json"
    bad.write_text('{"body": {"x": "{{ nope }}"}}')
    with pytest.raises(TemplateError, match="'nope' is undefined"):
        library.import_file(bad)
    assert library.names() == []

    library.save("broken", ORDERS)
    library.path_of("broken").write_text("{not json")
    with pytest.raises(TemplateError) as error:
        library.load("broken")
    assert error.value.file == library.path_of("broken")


def test_writes_leave_no_temporary_files(tmp_path: Path) -> None:
    library = TemplateLibrary(tmp_path)
    for name in ("a", "b", "a"):
        library.save(name, ORDERS)
    (tmp_path / "notes.txt").write_text("not a template")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "b.json", "notes.txt"]
    assert library.names() == ["a", "b"]
