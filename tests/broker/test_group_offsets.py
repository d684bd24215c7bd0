from __future__ import annotations

import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from embedded_broker.core.errors import InvalidArgument, NotFound, StoreClosed
from embedded_broker.core.group_delivery import DEFAULT_DELIVERY_TIMEOUT_S, TopicDelivery
from embedded_broker.core.ids import ULID_SIZE, new_ulid
from embedded_broker.storage.group_offsets import GROUPS_DATABASE_FILE, GroupOffsets

PROJECT = new_ulid()
OTHER_PROJECT = new_ulid()
TOPIC_A = new_ulid()
TOPIC_B = new_ulid()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[GroupOffsets]:
    offsets = GroupOffsets(tmp_path)
    yield offsets
    offsets.close()


def test_ensure_group_creates_once_and_updates_the_timeout(store: GroupOffsets) -> None:
    group, created = store.ensure_group(PROJECT, "workers")
    assert created
    assert len(group.id) == ULID_SIZE and len(group.id_str) == 26
    assert (group.project_id, group.name) == (PROJECT, "workers")
    assert group.delivery_timeout_s == DEFAULT_DELIVERY_TIMEOUT_S
    again, created = store.ensure_group(PROJECT, "workers")
    assert not created and again == group
    updated, created = store.ensure_group(PROJECT, "workers", 5.0)
    assert not created
    assert updated.id == group.id and updated.delivery_timeout_s == 5.0
    assert store.ensure_group(PROJECT, "workers")[0].delivery_timeout_s == 5.0
    other, created = store.ensure_group(OTHER_PROJECT, "workers", 2)
    assert created and other.id != group.id and other.delivery_timeout_s == 2.0


def test_ensure_group_validates(store: GroupOffsets) -> None:
    with pytest.raises(InvalidArgument):
        store.ensure_group(PROJECT, "")
    for timeout in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(InvalidArgument, match="timeout"):
            store.ensure_group(PROJECT, "g", timeout)
    assert store.groups() == []


def test_groups_lists_by_project_oldest_first(store: GroupOffsets) -> None:
    a = store.ensure_group(PROJECT, "a")[0]
    b = store.ensure_group(OTHER_PROJECT, "b")[0]
    c = store.ensure_group(PROJECT, "c")[0]
    assert store.groups(PROJECT) == [a, c]
    assert store.groups(OTHER_PROJECT) == [b]
    assert store.groups(new_ulid()) == []
    assert sorted(store.groups(), key=lambda g: g.name) == [a, b, c]


def test_offsets_persist_across_reopen(tmp_path: Path) -> None:
    store = GroupOffsets(tmp_path)
    group = store.ensure_group(PROJECT, "workers", 7.5)[0]
    assert store.load(group.id) == {}
    store.save(group.id, {TOPIC_A: 3, TOPIC_B: 9})
    store.save(group.id, {})
    store.close()
    store.close()  # idempotent
    with pytest.raises(StoreClosed):
        store.load(group.id)

    reopened = GroupOffsets(tmp_path)
    try:
        assert reopened.groups() == [group]
        assert reopened.load(group.id) == {TOPIC_A: 3, TOPIC_B: 9}
        # A restarted broker resumes after the committed offset and redelivers the rest.
        delivery = TopicDelivery(reopened.load(group.id)[TOPIC_A])
        assert delivery.claim("c", end_offset=5, limit=10, now=0, timeout_s=1) == [4, 5]
    finally:
        reopened.close()


def test_saved_offsets_never_move_backwards(store: GroupOffsets) -> None:
    group = store.ensure_group(PROJECT, "g")[0]
    store.save(group.id, {TOPIC_A: 10, TOPIC_B: 2})
    store.save(group.id, {TOPIC_A: 4, TOPIC_B: 6})
    assert store.load(group.id) == {TOPIC_A: 10, TOPIC_B: 6}
    with pytest.raises(InvalidArgument):
        store.save(group.id, {TOPIC_A: -1})
    assert store.load(group.id) == {TOPIC_A: 10, TOPIC_B: 6}


def test_saving_for_an_unknown_group_fails_whole(store: GroupOffsets) -> None:
    with pytest.raises(NotFound):
        store.save(new_ulid(), {TOPIC_A: 1})
    assert store.load(new_ulid()) == {}


def test_groups_are_separate(store: GroupOffsets) -> None:
    g1 = store.ensure_group(PROJECT, "one")[0]
    g2 = store.ensure_group(PROJECT, "two")[0]
    store.save(g1.id, {TOPIC_A: 5})
    store.save(g2.id, {TOPIC_A: 1, TOPIC_B: 2})
    assert store.load(g1.id) == {TOPIC_A: 5}
    assert store.load(g2.id) == {TOPIC_A: 1, TOPIC_B: 2}


def test_forget_topic_drops_it_from_every_group(store: GroupOffsets) -> None:
    g1 = store.ensure_group(PROJECT, "one")[0]
    g2 = store.ensure_group(OTHER_PROJECT, "two")[0]
    store.save(g1.id, {TOPIC_A: 5, TOPIC_B: 7})
    store.save(g2.id, {TOPIC_A: 1})
    store.forget_topic(TOPIC_A)
    store.forget_topic(new_ulid())
    assert store.load(g1.id) == {TOPIC_B: 7}
    assert store.load(g2.id) == {}
    store.save(g1.id, {TOPIC_A: 1})  # a fresh start, not held back by the old offset
    assert store.load(g1.id) == {TOPIC_A: 1, TOPIC_B: 7}


def test_two_instances_share_one_file(tmp_path: Path) -> None:
    first, second = GroupOffsets(tmp_path), GroupOffsets(tmp_path)
    try:
        group, created = first.ensure_group(PROJECT, "shared")
        assert created
        same, created = second.ensure_group(PROJECT, "shared", 3.0)
        assert not created and same.id == group.id
        assert first.groups() == [same]
        first.save(group.id, {TOPIC_A: 8})
        second.save(group.id, {TOPIC_A: 5, TOPIC_B: 1})
        assert first.load(group.id) == second.load(group.id) == {TOPIC_A: 8, TOPIC_B: 1}
        second.forget_topic(TOPIC_B)
        assert first.load(group.id) == {TOPIC_A: 8}
    finally:
        first.close()
        second.close()


def test_concurrent_saves_keep_the_highest_offset(tmp_path: Path) -> None:
    stores = [GroupOffsets(tmp_path) for _ in range(2)]
    group = stores[0].ensure_group(PROJECT, "busy")[0]

    def run(store: GroupOffsets, start: int) -> None:
        for offset in range(start, 200, 2):
            store.save(group.id, {TOPIC_A: offset})

    threads = [
        threading.Thread(target=run, args=(store, start)) for store in stores for start in (0, 1)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert stores[1].load(group.id) == {TOPIC_A: 199}
    finally:
        for store in stores:
            store.close()


def test_database_file_is_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "new" / "dir"
    store = GroupOffsets(data_dir)
    try:
        group = store.ensure_group(PROJECT, "g")[0]
        store.save(group.id, {TOPIC_A: 1})
        files = list(data_dir.glob(GROUPS_DATABASE_FILE + "*"))
        assert data_dir / GROUPS_DATABASE_FILE in files
        for path in files:
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    finally:
        store.close()
