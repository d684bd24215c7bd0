"""The suite's watch for leaked secrets: every log line it produces, checked against every secret
and token it saw issued.

Loaded by ``tests/conftest.py``. It records each ClientSecret a key store creates, each token pair
an issuer signs (in this process), and what the helpers that start brokers in child processes get
back from them (``create_key``'s secrets, logins' tokens); it collects every log record of this
process (INFO and up) and, at the end, reads every broker child's log file. If any secret or token
appears in any of them, the session fails and names the log (never the secret).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

MIN_SECRET_CHARS = 16
"""Shorter strings (test passwords like "nope") are not what is watched for."""

issued: set[str] = set()
lines: list[str] = []


def remember(*values: object) -> None:
    """Watch for ``values`` (strings; others are ignored) in every log."""
    for value in values:
        if isinstance(value, str) and len(value) >= MIN_SECRET_CHARS:
            issued.add(value)


class _Collector(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # a record with bad arguments still has its template
            text = str(record.msg)
        if record.exc_info and record.exc_info[1] is not None:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        lines.append(f"{record.name}: {text}")


def _wrap(owner: Any, name: str, watch: Callable[[Any], None]) -> None:
    original = getattr(owner, name)

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        watch(result)
        return result

    setattr(owner, name, wrapped)


def install() -> None:
    """Start watching (once, at the start of the session)."""
    from embedded_broker.auth.api_keys import KeyStore
    from embedded_broker.auth.tokens import TokenIssuer
    from tests import serve_process
    from tests.api import client

    _wrap(KeyStore, "create", lambda made: remember(made[1]))
    _wrap(TokenIssuer, "issue", lambda pair: remember(*pair))
    _wrap(serve_process, "create_key", lambda key: remember(key["client_secret"]))
    _wrap(client, "login", remember)
    from workbench.client import broker_client

    original_keep = broker_client.BrokerClient._keep

    def keep(self: Any, access: str, refresh: str) -> None:
        remember(access, refresh)
        original_keep(self, access, refresh)

    broker_client.BrokerClient._keep = keep  # type: ignore[method-assign]
    root = logging.getLogger()
    root.addHandler(_Collector(logging.INFO))
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)


def leaks(log_files: list[Path]) -> list[str]:
    """Where any watched value appears: "this process's log" or a child's log file name."""
    found = []
    text = "\n".join(lines)
    if any(secret in text for secret in issued):
        found.append("this process's log")
    for path in log_files:
        content = path.read_text(errors="replace")
        if any(secret in content for secret in issued):
            found.append(str(path))
    return found


def check(session: pytest.Session) -> None:
    """Fail the session if a secret or token reached a log."""
    base = session.config._tmp_path_factory.getbasetemp()  # type: ignore[attr-defined]
    log_files = sorted(Path(base).rglob("*-broker-*.log"))
    found = leaks(log_files)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    summary = (
        f"secret scan: {len(issued)} secrets and tokens issued; {len(lines)} log lines of this "
        f"process and {len(log_files)} broker logs checked"
    )
    if reporter is not None:
        reporter.write_line(summary + (": none leaked" if not found else ""))
    if found:
        if reporter is not None:
            reporter.write_line(f"SECRET SCAN FAILED: a secret or token is in {', '.join(found)}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
