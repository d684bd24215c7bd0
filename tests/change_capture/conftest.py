"""A PostgreSQL cluster for the whole session, a broker per module, and a database per test."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator

import psycopg2
import pytest

from tests.postgres_cluster import PostgresCluster, server_binaries
from tests.serve_process import BrokerProcess, create_key, start_broker

_databases = itertools.count(1)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    """A cluster with wal_level=logical on a loopback port (skipped only where PostgreSQL is
    not installed and this is not CI, which installs it)."""
    if server_binaries() is None:
        reason = "PostgreSQL is not installed: apt-get install postgresql (as .ci/run does)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    cluster = PostgresCluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture
def database(postgres: PostgresCluster) -> Iterator[str]:
    """A new, empty database of the cluster; its DSN."""
    name = f"capture_{next(_databases)}"
    admin = psycopg2.connect(postgres.dsn())
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name}")
    yield postgres.dsn(name)
    with admin.cursor() as cur:
        cur.execute(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
            "WHERE database = %s AND NOT active",
            (name,),
        )
        cur.execute(f"DROP DATABASE {name} WITH (FORCE)")
    admin.close()


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerProcess]:
    process = start_broker(tmp_path_factory.mktemp("capture") / "broker")
    yield process
    process.stop()


@pytest.fixture(scope="module")
def key(broker: BrokerProcess) -> dict[str, str]:
    """A key with what a capture needs, and reads for the tests."""
    return create_key(
        broker.data_dir,
        "capture",
        "publisher",
        "subscriber",
        "topics:create",
        "topics:read",
        "topics:edit",
    )
