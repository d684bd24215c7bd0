"""A virtual environment with the unmodified official SDK, pyensign, kept apart from ours.

pyensign pins older grpcio and protobuf releases, and its generated modules register the same
``ensign.v1beta1`` names as ours, so it never shares an interpreter with this project's code.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

PYENSIGN = "pyensign==0.12.1b0"
ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DIR = ROOT / ".venv-pyensign"


def pyensign_python() -> Path:
    """Return the interpreter of a venv holding pyensign, creating the venv on first use."""
    directory = Path(os.environ.get("PYENSIGN_VENV", DEFAULT_DIR))
    python = directory / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    marker = directory / ".installed"
    if not marker.exists() or marker.read_text() != PYENSIGN:
        venv.create(directory, with_pip=True, clear=True)
        subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                PYENSIGN,
            ],
            check=True,
        )
        marker.write_text(PYENSIGN)
    return python


def run_json(script: Path, *args: str, timeout: float = 120) -> object:
    """Run ``script`` with pyensign's interpreter and parse the JSON it prints."""
    result = subprocess.run(
        [str(pyensign_python()), str(script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(f"{script.name} failed:\n{result.stderr}")
    return json.loads(result.stdout)
