"""ENSIGN_WORKBENCH_QUIT_WHEN_READY: the app says when it is ready, quits, and leaves nothing."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.serve_process import process_alive
from tests.workbench.app.test_single_instance import workbench_env
from workbench.app.ready_probe import QUIT_WHEN_READY_ENV, READY_LINE

READY = re.compile(re.escape(READY_LINE) + r" after ([0-9.]+) s \(.*broker pid (\d+)\)")


@pytest.mark.timeout(120)
def test_the_app_reports_ready_then_quits_and_stops_its_broker(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "workbench"],
        env={**workbench_env(tmp_path), QUIT_WHEN_READY_ENV: "1"},
        capture_output=True,
        text=True,
        timeout=100,
    )
    assert done.returncode == 0, done.stderr
    found = READY.search(done.stdout)
    assert found is not None, done.stdout + done.stderr
    assert 0 < float(found.group(1)) < 90
    assert not process_alive(int(found.group(2))), "the broker is gone with the app"
    assert not (tmp_path / "data" / "serve.json").exists()
