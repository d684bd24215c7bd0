"""Query history and saved queries: ordering, bounds, per-topic saving and persistence."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.models.query_library import FILE_NAME, QueryLibrary


def test_history_is_most_recent_first_without_repeats(tmp_path: Path) -> None:
    library = QueryLibrary(tmp_path)
    library.record("SELECT * FROM a")
    library.record("SELECT * FROM b")
    library.record("  SELECT *   FROM a  ")  # the same query, reformatted
    library.record("   ")
    assert library.history() == ["SELECT *   FROM a", "SELECT * FROM b"]


def test_history_is_bounded(tmp_path: Path) -> None:
    library = QueryLibrary(tmp_path, history_limit=5)
    for n in range(12):
        library.record(f"SELECT * FROM t LIMIT {n}")
    assert library.history() == [f"SELECT * FROM t LIMIT {n}" for n in range(11, 6, -1)]
    assert len(QueryLibrary(tmp_path, history_limit=5).history()) == 5


def test_history_and_saved_queries_persist(tmp_path: Path) -> None:
    library = QueryLibrary(tmp_path / "config")  # created on first write
    library.record("SELECT * FROM orders WHERE total > 10")
    library.save("orders", "big orders", "SELECT * FROM orders WHERE total > 100")
    library.save("orders", "all", "SELECT * FROM orders")
    library.save("payments", "refunds", "SELECT * FROM payments WHERE kind = 'refund'")

    again = QueryLibrary(tmp_path / "config")
    assert again.history() == ["SELECT * FROM orders WHERE total > 10"]
    assert again.saved("orders") == {
        "all": "SELECT * FROM orders",
        "big orders": "SELECT * FROM orders WHERE total > 100",
    }
    assert list(again.saved("payments")) == ["refunds"]
    assert again.saved("unknown") == {}


def test_saving_under_an_existing_name_replaces_it_and_delete_forgets(tmp_path: Path) -> None:
    library = QueryLibrary(tmp_path)
    library.save("t", "mine", "SELECT * FROM t LIMIT 1")
    library.save("t", "mine", "SELECT * FROM t LIMIT 2")
    assert library.saved("t") == {"mine": "SELECT * FROM t LIMIT 2"}
    library.delete("t", "mine")
    library.delete("t", "never saved")
    assert QueryLibrary(tmp_path).saved("t") == {}


def test_blank_names_and_queries_are_refused(tmp_path: Path) -> None:
    library = QueryLibrary(tmp_path)
    with pytest.raises(ValueError, match="name"):
        library.save("t", "  ", "SELECT * FROM t")
    with pytest.raises(ValueError, match="no query"):
        library.save("t", "empty", " \n ")


@pytest.mark.parametrize(
    "content",
    ["{not json", "[1, 2]", '{"history": "nope", "saved": []}', '{"saved": {"t": {"x": 3}}}'],
)
def test_a_corrupt_file_starts_an_empty_library(tmp_path: Path, content: str) -> None:
    (tmp_path / FILE_NAME).write_text(content)
    library = QueryLibrary(tmp_path)
    assert library.history() == []
    assert library.saved("t") == {}
    library.record("SELECT * FROM t")  # and it can be written again
    assert QueryLibrary(tmp_path).history() == ["SELECT * FROM t"]


def test_writes_leave_no_temporary_files(tmp_path: Path) -> None:
    library = QueryLibrary(tmp_path)
    for n in range(3):
        library.record(f"SELECT * FROM t LIMIT {n}")
    assert [p.name for p in tmp_path.iterdir()] == [FILE_NAME]
