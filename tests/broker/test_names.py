from __future__ import annotations

import pytest

from embedded_broker.auth.projects import ProjectDirectory
from embedded_broker.core.errors import AlreadyExists, InvalidArgument, NotFound
from embedded_broker.core.ids import new_ulid
from embedded_broker.core.model import Project
from embedded_broker.core.names import validate_project_name, validate_topic_name
from embedded_broker.storage.event_store import EventStore


@pytest.mark.parametrize("name", ["a", "orders", "Sensor.readings-v2_raw", "x" * 512])
def test_valid_topic_names(name: str) -> None:
    assert validate_topic_name(name) == name


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "required"),
        ("1orders", "must start with a letter"),
        ("_orders", "must start with a letter"),
        ("örders", r"must start with a letter a-z or A-Z \(not 'ö'\)"),
        ("orders now", r"may contain only letters a-z and A-Z.* \(not ' '\)"),
        ("orders/eu", r"\(not '/'\)"),
        ("ordérs", r"may contain only letters a-z and A-Z, digits 0-9.* \(not 'é'\)"),
        ("x" * 513, "513 characters long; the limit is 512"),
    ],
)
def test_invalid_topic_names_say_which_rule_they_break(name: str, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        validate_topic_name(name)


@pytest.mark.parametrize(("name", "message"), [("  ", "required"), ("a\x00b", "control")])
def test_invalid_project_names(name: str, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        validate_project_name(name)


def test_store_rejects_a_bad_topic_name_and_creates_nothing(
    store: EventStore, project: Project
) -> None:
    with pytest.raises(InvalidArgument, match="must start with a letter"):
        store.create_topic(project.id, "9lives")
    assert store.topics(project.id) == []


def test_topic_names_are_unique_per_project(store: EventStore, project: Project) -> None:
    store.create_topic(project.id, "orders")
    with pytest.raises(AlreadyExists, match="already has a topic named 'orders'"):
        store.create_topic(project.id, "orders")
    other = new_ulid()
    assert store.create_topic(other, "orders").name == "orders"


def test_project_names_are_unique(projects: ProjectDirectory, project: Project) -> None:
    with pytest.raises(AlreadyExists):
        projects.create(project.name)
    assert projects.ensure(project.name) == project
    assert projects.ensure("second").name == "second"
    assert [p.name for p in projects.list()] == ["demo", "second"]
    with pytest.raises(NotFound, match="project 'nope' does not exist"):
        projects.by_name("nope")


def test_unknown_and_malformed_ids_are_reported(store: EventStore, project: Project) -> None:
    with pytest.raises(NotFound, match="does not exist"):
        store.topic("01ARZ3NDEKTSV4RRFFQ69G5FAV")
    with pytest.raises(InvalidArgument, match="not a ULID"):
        store.topic("not-an-id")
