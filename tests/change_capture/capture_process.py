"""Run ``ensign-broker capture`` as a child process and read what it publishes."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from embedded_broker.proto.admin.v1 import admin_pb2
from embedded_broker.proto.ensign.v1beta1.event_pb2 import Event
from tests.api.client import connect
from tests.serve_process import BrokerProcess, broker_command

WAIT_S = 60.0


@dataclass
class CaptureProcess:
    """A running capture and the status objects it printed (``--json``)."""

    process: subprocess.Popen[str]
    statuses: queue.Queue[dict[str, Any]] = field(default_factory=queue.Queue)
    stderr_lines: list[str] = field(default_factory=list)
    last: dict[str, Any] = field(default_factory=dict)

    def wait_for(
        self, test: Callable[[dict[str, Any]], bool], what: str, timeout: float = WAIT_S
    ) -> dict[str, Any]:
        """Wait for a status report that passes ``test``; return it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if test(self.last):
                return self.last
            try:
                self.last = self.statuses.get(timeout=0.1)
            except queue.Empty:
                if self.process.poll() is not None and self.statuses.empty():
                    break
        raise AssertionError(f"no status with {what}: last {self.last}\n{self.log()}")

    def log(self) -> str:
        return "\n".join(self.stderr_lines)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        code = self.process.wait(timeout)
        time.sleep(0.05)  # the reader threads catch the last lines
        return code


def start_capture(broker: BrokerProcess, key: dict[str, str], *args: str) -> CaptureProcess:
    """``ensign-broker capture ARGS --json --status-interval 0.2`` against ``broker``."""
    env = {
        **os.environ,
        "ENSIGN_CLIENT_ID": key["client_id"],
        "ENSIGN_CLIENT_SECRET": key["client_secret"],
        "PYTHONUNBUFFERED": "1",
    }
    command = broker_command(
        "capture",
        *args,
        "--endpoint",
        broker.grpc_address,
        "--auth-url",
        broker.auth_url,
        "--insecure",
        "--json",
        "--status-interval",
        "0.2",
    )
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    capture = CaptureProcess(process)

    def read_stdout() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            capture.statuses.put(json.loads(line))

    def read_stderr() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            capture.stderr_lines.append(line.rstrip("\n"))

    threading.Thread(target=read_stdout, daemon=True).start()
    threading.Thread(target=read_stderr, daemon=True).start()
    return capture


def run_capture(
    broker: BrokerProcess, key: dict[str, str], *args: str, timeout: float = 60
) -> tuple[int, str]:
    """Run a capture that is expected to stop by itself (a set-up error); its status and stderr."""
    capture = start_capture(broker, key, *args)
    code = capture.process.wait(timeout)
    time.sleep(0.05)
    return code, capture.log()


@dataclass(frozen=True)
class StoredEvent:
    """An event of a topic, as read back."""

    offset: int
    data: dict[str, Any]
    metadata: dict[str, str]
    type_name: str
    version: str
    mimetype: int
    duplicate: bool


def topic_events(broker: BrokerProcess, key: dict[str, str], name: str) -> list[StoredEvent]:
    """Every event of the topic ``name``, duplicates included, in offset order."""
    client = connect(broker, key)
    try:
        topics = client.admin.ListTopics(admin_pb2.ListTopicsRequest(), metadata=client.auth)
        found = [t.topic for t in topics.topics if t.topic.name == name]
        if not found:
            return []
        events: list[StoredEvent] = []
        offset = 1
        while True:
            page = client.admin.ReadEvents(
                admin_pb2.ReadEventsRequest(topic_id=found[0].id, offset=offset, limit=1000),
                metadata=client.auth,
            )
            for wrapper in page.events:
                event = Event.FromString(wrapper.event)
                t = event.type
                events.append(
                    StoredEvent(
                        wrapper.offset,
                        json.loads(event.data),
                        dict(event.metadata),
                        t.name,
                        f"{t.major_version}.{t.minor_version}.{t.patch_version}",
                        int(event.mimetype),
                        wrapper.is_duplicate,
                    )
                )
            if not page.events or page.next_offset > page.last_offset:
                return events
            offset = page.next_offset
    finally:
        client.close()


def originals(events: list[StoredEvent]) -> list[StoredEvent]:
    """The events that are not flagged as duplicates."""
    return [e for e in events if not e.duplicate]


def wait_for_events(
    broker: BrokerProcess, key: dict[str, str], topic: str, count: int, timeout: float = WAIT_S
) -> list[StoredEvent]:
    """Wait until ``topic`` holds ``count`` original events; return all its events."""
    deadline = time.monotonic() + timeout
    events: list[StoredEvent] = []
    while time.monotonic() < deadline:
        events = topic_events(broker, key, topic)
        if len(originals(events)) >= count:
            return events
        time.sleep(0.1)
    raise AssertionError(f"{topic} holds {len(originals(events))} original events, not {count}")


def in_background(work: Callable[[], None]) -> threading.Thread:
    """Run ``work`` on a daemon thread (a database writer)."""
    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread


def ledger_changes(count: int, balance: Callable[[int], object]) -> list[tuple[str, int, object]]:
    """What a ledger writer commits, in order: transaction i inserts row i with ``balance(i)``
    and then sets row i - 1's balance to ``balance(i)`` (one more than it was)."""
    expected: list[tuple[str, int, object]] = []
    for i in range(1, count + 1):
        expected.append(("insert", i, balance(i)))
        if i > 1:
            expected.append(("update", i - 1, balance(i)))
    return expected


def assert_once_in_order(
    events: list[StoredEvent],
    expected: list[tuple[str, int, object]],
    key: Callable[[StoredEvent], tuple[int, int]],
) -> None:
    """The topic's original events are exactly ``expected`` (op, id, balance), in order, with
    distinct increasing keys; every duplicate repeats an original's key."""
    kept = originals(events)
    assert [(e.data["op"], e.data["after"]["id"], e.data["after"]["balance"]) for e in kept] == (
        expected
    )
    keys = [key(e) for e in kept]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    assert {key(e) for e in events} == set(keys)
