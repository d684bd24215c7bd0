"""Run the benchmarks: ``python bench/run.py [NAME ...]`` (all of them without names)."""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.report import Row, format_table

BENCHMARKS = ("store", "api", "producer", "gui", "first_run", "capture", "jetstream")


def main(argv: list[str] | None = None) -> int:
    """Run the named benchmarks (default: all) and print one table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"one of: {', '.join(BENCHMARKS)}")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    rows: list[Row] = []
    for name in args.names or BENCHMARKS:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        rows.extend(importlib.import_module(f"bench.{name}").run())
    print(format_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
