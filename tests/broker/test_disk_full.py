"""A full disk fails the batch with a clear error and loses nothing already acknowledged."""

from __future__ import annotations

import sqlite3

import pytest

from embedded_broker.core.errors import StorageFull
from embedded_broker.core.model import Project
from embedded_broker.storage.event_store import EventStore
from tests.conftest import make_event


def _limit_database_pages(store: EventStore, pages: int | None) -> None:
    # SQLite reports SQLITE_FULL when the database reaches max_page_count, exactly as when the
    # disk fills up; this is how the test fills the "disk" without a special filesystem.
    def set_limit(conn: sqlite3.Connection) -> None:
        current = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count={current + 2 if pages is None else pages}")

    store._writer.submit(set_limit).result()


def test_full_disk_refuses_the_batch_and_keeps_what_was_acknowledged(
    store: EventStore, project: Project
) -> None:
    topic = store.create_topic(project.id, "t")
    store.publish(topic.id, [make_event(f"kept-{i}") for i in range(20)]).result()
    _limit_database_pages(store, None)

    with pytest.raises(StorageFull, match="disk holding the event log is full"):
        store.publish(topic.id, [make_event(b"x" * 200_000) for _ in range(10)]).result()

    assert store.topic(topic.id).stats.events == 20
    assert [r.event.data for r in store.read(topic.id)] == [f"kept-{i}".encode() for i in range(20)]

    _limit_database_pages(store, 1_000_000_000)  # space freed
    receipt = store.publish(topic.id, [make_event("after")]).result()
    assert receipt.first_offset == 21  # still gapless
    assert store.read(topic.id, 21)[0].event.data == b"after"


def test_a_topic_that_could_not_be_created_does_not_appear(
    store: EventStore, project: Project
) -> None:
    store.create_topic(project.id, "first")

    def no_room(conn: sqlite3.Connection) -> None:
        current = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count={current}")

    store._writer.submit(no_room).result()
    with pytest.raises(StorageFull):
        for i in range(100):  # fill the last free page, then fail
            store.create_topic(project.id, f"topic{i:03d}" + "x" * 400)
    listed = {t.name for t in store.topics(project.id)}
    conn = sqlite3.connect(store.data_dir / "events.db")
    on_disk = {name for (name,) in conn.execute("SELECT name FROM topics")}
    conn.close()
    assert listed == on_disk  # the failed one is in neither

    _limit_database_pages(store, 1_000_000_000)
    assert store.create_topic(project.id, "after").name in {t.name for t in store.topics()}
