"""A real broker process shared by a test module, and clients logged in to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.client import Client, connect
from tests.serve_process import BrokerProcess, create_key, start_broker


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerProcess]:
    process = start_broker(tmp_path_factory.mktemp("api") / "broker")
    yield process
    assert process.stop() == 0, process.log()


@pytest.fixture(scope="module")
def admin_key(broker: BrokerProcess) -> dict[str, str]:
    return create_key(broker.data_dir, "demo", "all")


@pytest.fixture
def client(broker: BrokerProcess, admin_key: dict[str, str]) -> Iterator[Client]:
    opened = connect(broker, admin_key)
    yield opened
    opened.close()


def data_dir_of(broker: BrokerProcess) -> Path:
    return broker.data_dir
