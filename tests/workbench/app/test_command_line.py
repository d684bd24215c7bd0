"""Command-line conventions of both programs: --help lists the subcommands, --version tells the
distribution's version (the same for both), and an unknown option is a one-line error, exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from tests.workbench.app.test_single_instance import workbench_env

PROGRAMS = {
    "ensign-workbench": [sys.executable, "-m", "workbench"],
    "ensign-broker": [sys.executable, "-m", "embedded_broker"],
}


def _run(program: str, *args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PROGRAMS[program], *args],
        env=workbench_env(home),  # a display is there: nothing may open on it
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_help_lists_the_headless_subcommands(tmp_path: Path) -> None:
    done = _run("ensign-workbench", "--help", home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: ensign-workbench")
    for command in ("produce", "scenarios", "profile"):
        assert f"\n    {command}" in done.stdout, f"--help does not list {command}"
    assert "--version" in done.stdout
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("program", PROGRAMS)
def test_version_is_the_distributions_and_the_same_for_both_programs(
    program: str, tmp_path: Path
) -> None:
    done = _run(program, "--version", home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{program} {metadata.version('ensign-workbench')}\n"
    assert done.stderr == ""
    assert list(tmp_path.iterdir()) == [], "--version touches no data directory"


@pytest.mark.parametrize("program", PROGRAMS)
@pytest.mark.parametrize("args", [["--frobnicate"], ["--versionx"], ["-Z", "serve"]])
def test_an_unknown_option_is_a_one_line_error_and_exit_status_2(
    program: str, args: list[str], tmp_path: Path
) -> None:
    done = _run(program, *args, home=tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"{program}: error: ") and f"{program} --help" in lines[0]
    assert args[0] in lines[0], "the error names the unknown option"
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_option_of_a_subcommand_is_one_line_too(tmp_path: Path) -> None:
    for program, args in (
        ("ensign-workbench", ["scenarios", "--frobnicate"]),
        ("ensign-broker", ["serve", "--frobnicate"]),
    ):
        done = _run(program, *args, home=tmp_path)
        assert done.returncode == 2
        assert len(done.stderr.splitlines()) == 1, done.stderr
        assert "--frobnicate" in done.stderr


@pytest.mark.parametrize("form", [["--data-dir", "{dir}"], ["--data-dir={dir}"]])
def test_an_option_usage_shows_before_the_command_works_there(
    form: list[str], tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    args = [arg.format(dir=data_dir) for arg in form]
    done = _run("ensign-broker", *args, "init", home=tmp_path / "home")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"data directory: {data_dir}\n"
    assert any(data_dir.iterdir()), "the directory given before the command is the one used"


@pytest.mark.parametrize(
    ("program", "args"),
    [("ensign-workbench", ["scenarios"]), ("ensign-broker", ["keys", "list", "--data-dir", "{}"])],
)
def test_a_reader_that_went_away_ends_the_command_without_a_traceback(
    program: str, args: list[str], tmp_path: Path
) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # as `… | head -1` does once it has its line
    try:
        done = subprocess.run(
            [*PROGRAMS[program], *(a.format(tmp_path / "data") for a in args)],
            env=workbench_env(tmp_path / "home"),
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    finally:
        os.close(write_end)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr, done.stderr
