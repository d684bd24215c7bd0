"""``ensign-workbench scenarios`` lists the demo scenarios; ``produce --scenario NAME`` runs one.

A scenario run creates its topics if missing (a rerun continues them) and runs one generator per
topic at its rate shape, for ``--duration`` seconds (or until interrupted), with ``produce``'s
connection flags, progress, ``--json`` summary and exit status.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from workbench.client.clients import AnySettings, client_for
from workbench.models.event_generator import GeneratorStats, RunState
from workbench.models.scenario_run import ScenarioRun, combined
from workbench.models.scenarios import (
    Scenario,
    find_scenario,
    load_scenarios,
    user_scenarios_dir,
)

PROGRESS_EVERY_S = 0.5


def add_parser(commands: Any) -> None:
    """Add ``scenarios`` to ``ensign-workbench``'s subcommands."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "scenarios",
        help="list the demo scenarios (run one with: produce --scenario NAME)",
        description="List the demo scenarios: the shipped ones and your own, in "
        f"{user_scenarios_dir()} (copy a shipped one there to change it). Run one with "
        "ensign-workbench produce --scenario NAME --duration SECONDS (NAME may be a folder).",
    )
    parser.add_argument("--json", action="store_true", help="one JSON list on stdout")
    parser.set_defaults(run=list_scenarios)


def list_scenarios(args: argparse.Namespace) -> int:
    """Print the scenarios (``--json``: a list of ``{"name", "title", "topics", …}``)."""
    shelf = load_scenarios()
    scenarios = shelf.scenarios
    for problem in shelf.problems.values():
        print(f"ensign-workbench scenarios: skipped {problem}", file=sys.stderr)
    if args.json:
        print(json.dumps([s.to_json() for s in scenarios]))
        return 0
    width = max((len(s.name) for s in scenarios), default=0)
    for scenario in scenarios:
        topics = ", ".join(t.topic for t in scenario.topics)
        print(f"{scenario.name:<{width}}  {scenario.title}  ({topics})")
    return 1 if shelf.problems else 0


def scenario_for(name: str) -> Scenario:
    """The named scenario (for ``produce --scenario``).

    Raises:
        ScenarioError: if there is no such scenario or it cannot be loaded.
    """
    return find_scenario(name)


async def run_scenario(
    args: argparse.Namespace, settings: AnySettings, scenario: Scenario
) -> tuple[GeneratorStats, list[dict[str, Any]]]:
    """Run a scenario for ``args.duration`` seconds; its combined counters and one summary per
    topic.

    Raises:
        ClientError: if the broker cannot be used.
        TemplateError: if a template does not compile.
    """
    client = client_for(settings)
    try:
        await client.login()
        run = ScenarioRun(client, scenario, args.duration)
        await run.start()
        show = not args.json and sys.stderr.isatty()
        while run.running:
            await asyncio.sleep(PROGRESS_EVERY_S)
            if show:
                total = combined(run.stats())
                print(
                    f"\r{scenario.name}: {total.acked:,} acked, {total.nacked:,} nacked, "
                    f"{total.elapsed_s:.0f} s",
                    end="",
                    file=sys.stderr,
                    flush=True,
                )
        if show:
            print(file=sys.stderr)
        each = await run.wait()
    finally:
        await client.close()
    topics = [
        {"topic": t.name, "sent": s.sent, "acked": s.acked, "nacked": s.nacked}
        for t, s in zip(run.topics, each, strict=True)
    ]
    return combined(each), topics


def succeeded(stats: GeneratorStats) -> bool:
    """Every event sent was acknowledged and the run ended as planned."""
    return stats.state is RunState.DONE and not stats.nacked and not stats.lost
