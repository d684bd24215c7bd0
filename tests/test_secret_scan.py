"""The secret scan itself: it finds a watched value in a log line or a broker's log file."""

from __future__ import annotations

import logging
from pathlib import Path

from tests import secret_scan


def test_the_scan_finds_a_secret_in_a_log_line_and_in_a_log_file(tmp_path: Path) -> None:
    secret = "s3cr3t-" + "x" * 30
    secret_scan.remember(secret, "short")
    assert "short" not in secret_scan.issued
    before = len(secret_scan.lines)
    logging.getLogger("embedded_broker.test").warning("oops %s", secret)
    try:
        assert secret_scan.leaks([]) == ["this process's log"]
    finally:
        del secret_scan.lines[before:]  # this test's own leak must not fail the session
    log_file = tmp_path / "x-broker-1.log"
    log_file.write_text(f"INFO something {secret}\n")
    assert secret_scan.leaks([log_file]) == [str(log_file)]
    secret_scan.issued.discard(secret)
    assert secret_scan.leaks([log_file]) == []
