"""Imported files, random and mutated: every record is read, mapped to an event or named as a bad
line with a reason; an import run hands out events or ends with that reason; the Import page
shows a preview or what is wrong, and stays usable."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.workbench.fuzz.conftest import fuzz_settings, shown
from workbench.models.event_import import BadLine, FieldMapping, ImportSource, Record, preview
from workbench.views.qt_import_panel import QtImportPanel
from workbench.views.qt_session import QtSession

FIELDS = ["id", "data", "kind", "at", "region", "mime", "", "é"]
scalars = (
    st.integers()
    | st.floats()
    | st.text(max_size=12)
    | st.booleans()
    | st.none()
    | st.sampled_from(
        ["Order:1.2", "Order:x", "2026-11-29T12:00:00Z", "2026-11-29T12:00:00", "text/plain"]
    )
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(FIELDS), inner),
    max_leaves=6,
)
records = st.dictionaries(st.sampled_from(FIELDS), values, max_size=6) | values
LITERAL_LINES = [
    '{"n": 12345678901234567890, "f": 0.10000000000000000555, "x": 1.0E+2, "x": -0}',
    '{"bad": NaN, "worse": -Infinity}',
    '{"lone": "\\ud800", "digits": ' + "9" * 5000 + "}",
    "[" * 3000 + "]" * 3000,
    '{"unterminated": "',
    "\ufeff{}",
    "\x00\x01\x02",
]
mappings = st.builds(
    FieldMapping,
    data=st.none() | st.sampled_from(FIELDS),
    metadata=st.lists(st.sampled_from(FIELDS), max_size=2, unique=True).map(tuple),
    type_field=st.none() | st.sampled_from(FIELDS),
    version_field=st.none() | st.sampled_from(FIELDS),
    mimetype_field=st.none() | st.sampled_from(FIELDS),
    created_field=st.none() | st.sampled_from(FIELDS),
)


@st.composite
def jsonl_files(draw: st.DrawFn) -> bytes:
    lines = draw(
        st.lists(
            st.builds(lambda r: json.dumps(r, ensure_ascii=False), records)
            | st.sampled_from(LITERAL_LINES)
            | st.just(""),
            max_size=8,
        )
    )
    return _mutate(draw, "\n".join(lines).encode("utf-8", "surrogatepass"))


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    header = draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=5))
    cell = st.text(max_size=10) | st.sampled_from(['"', '""', "a,b", "x\ny", "\r", "1e3", "é"])
    rows = draw(st.lists(st.lists(cell, max_size=6), max_size=6))
    text = "\n".join(",".join(row) for row in [header, *rows])
    return _mutate(draw, text.encode("utf-8", "surrogatepass"))


def _mutate(draw: st.DrawFn, content: bytes) -> bytes:
    """Sometimes flip, cut or insert bytes (invalid UTF-8, broken quotes and brackets)."""
    data = bytearray(content)
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(data)))
        piece = draw(st.sampled_from([b"\xff", b"\xc3", b'"', b"{", b"\n", b"\r", b"\x00", b""]))
        data[at : at + draw(st.integers(0, 2))] = piece
    return bytes(data)


def _write(content: bytes, suffix: str) -> Path:
    file = tempfile.NamedTemporaryFile(suffix=suffix, delete=False)  # noqa: SIM115
    with file:
        file.write(content)
    return Path(file.name)


def _import_all(path: Path, mapping: FieldMapping, skip_bad: bool) -> None:
    """Preview the file, then drain an import of it: events, or a bad line with a reason."""
    found, _names = preview(path)
    for item in found:
        assert isinstance(item, Record | BadLine)
        if isinstance(item, BadLine):
            assert item.line >= 1 and item.reason
    source = ImportSource(path, mapping, skip_bad=skip_bad)
    try:
        while source(50):
            pass
    except BadLine as bad:
        assert not skip_bad and bad.line >= 1 and bad.reason
    finally:
        source.close()
    assert all(bad.reason for bad in source.skipped)


files = jsonl_files().map(lambda content: (content, ".jsonl")) | csv_files().map(
    lambda content: (content, ".csv")
)


@fuzz_settings(500)
@given(file=files, mapping=mappings, skip_bad=st.booleans())
def test_a_file_imports_or_names_its_bad_lines(
    file: tuple[bytes, str], mapping: FieldMapping, skip_bad: bool
) -> None:
    path = _write(*file)
    try:
        _import_all(path, mapping, skip_bad)
    finally:
        path.unlink()


@pytest.fixture(scope="module")
def panel(qapp: Any) -> Iterator[QtImportPanel]:
    with shown(QtImportPanel(QtSession(), lambda: None)) as widget:
        yield widget


@fuzz_settings(80)
@given(content=jsonl_files() | csv_files(), suffix=st.sampled_from([".jsonl", ".csv", ".txt"]))
def test_the_import_page_previews_a_file_or_says_why_it_cannot(
    panel: QtImportPanel, content: bytes, suffix: str
) -> None:
    path = _write(content, suffix)
    try:
        if not panel.load(path):
            assert panel.summary.text().startswith(f"Cannot read {path.name}: ")
        panel.grab()
    finally:
        path.unlink()
    good = _write(b'{"id": 1}\n', ".jsonl")  # still usable
    try:
        assert panel.load(good)
        assert panel.preview_table.rowCount() == 1
    finally:
        good.unlink()
