"""Command-line conventions both programs (``ensign-broker``, ``ensign-workbench``) and the
capture command share: a usage error is one line on stderr and exit status 2, an unknown first
option is named as such, and output to a reader that went away ends quietly with status 1.

Plain ``argparse`` and ``sys``: it imports nothing of the broker, so every program may use it.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn


class OneLineErrors(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line on stderr, then exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")

    def parse_command_line(self, argv: Sequence[str] | None = None) -> argparse.Namespace:
        """Parse ``argv`` (default: ``sys.argv[1:]``), refusing first an option this parser does
        not know: argparse would otherwise report the command after it as missing or invalid
        (``ensign-broker --bogus`` said "the following arguments are required: command")."""
        given = list(sys.argv[1:] if argv is None else argv)
        first = given[0].partition("=")[0] if given else ""
        options = {option for action in self._actions for option in action.option_strings}
        if first.startswith("-") and first not in options:
            self.error(f"unrecognized arguments: {given[0]}")
        return self.parse_args(given)


def closed_output_quiet(run: Callable[[], int]) -> int:
    """``run()``'s exit status, or 1 if its reader went away (``… | head -1``): no traceback.

    Standard output is pointed at ``os.devnull`` then, so the interpreter's last flush at exit
    does not raise again (the recipe of Python's documentation on ``SIGPIPE``).
    """
    try:
        status = run()
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return status
