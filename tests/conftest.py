"""Shared fixtures: a fresh event store in a temporary data directory, and event builders."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from embedded_broker.auth.projects import ProjectDirectory
from embedded_broker.core.model import Project
from embedded_broker.proto.ensign.v1beta1.event_pb2 import Event, Type
from embedded_broker.proto.mimetype.v1beta1 import mimetype_pb2
from embedded_broker.storage.event_store import EventStore
from tests import secret_scan
from workbench.app.qt_environment import prepare_qt_environment

prepare_qt_environment()  # the Qt settings ensign-workbench runs with

# The suite's property tests draw the same examples on every run: a result is reproducible, and
# a build is not failed by the luck of a draw. Exploring new examples is the longer fuzz run's
# job (ENSIGN_FUZZ_EXAMPLES set; see the README), which draws afresh each time.
settings.register_profile("suite", derandomize=True, database=None)
settings.register_profile("explore", database=None)
settings.load_profile("explore" if os.environ.get("ENSIGN_FUZZ_EXAMPLES") else "suite")


def pytest_sessionstart(session: pytest.Session) -> None:
    secret_scan.install()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    secret_scan.check(session)
    if "PySide6.QtWidgets" in sys.modules:  # as the app does before it exits
        from PySide6.QtWidgets import QApplication

        from workbench.views.qt_copy_fields import release_clipboard

        if QApplication.instance() is not None:
            release_clipboard()


def make_event(
    data: bytes | str = b"hello",
    metadata: dict[str, str] | None = None,
    mimetype: int = mimetype_pb2.APPLICATION_OCTET_STREAM,
    type_name: str = "Generic",
    version: tuple[int, int, int] = (1, 0, 0),
) -> Event:
    """Build an ``ensign.v1beta1.Event``."""
    raw = data.encode() if isinstance(data, str) else data
    major, minor, patch = version
    return Event(
        data=raw,
        metadata=metadata or {},
        mimetype=mimetype,
        type=Type(name=type_name, major_version=major, minor_version=minor, patch_version=patch),
    )


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "broker"


@pytest.fixture
def store(data_dir: Path) -> Iterator[EventStore]:
    with EventStore.open(data_dir) as opened:
        yield opened


@pytest.fixture
def projects(data_dir: Path) -> Iterator[ProjectDirectory]:
    directory = ProjectDirectory(data_dir)
    yield directory
    directory.close()


@pytest.fixture
def project(store: EventStore, projects: ProjectDirectory) -> Project:
    return projects.create("demo")
