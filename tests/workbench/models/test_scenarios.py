"""The shipped scenarios: each loads, and produces valid events into its topics, with the fields
its dashboard charts."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.serve_process import BrokerProcess, create_key
from tests.workbench.conftest import running_broker, settings_for
from workbench.client.broker_client import BrokerClient
from workbench.client.records import EventRow
from workbench.models.event_export import topic_events
from workbench.models.field_paths import MISSING, lookup
from workbench.models.scenario_run import ScenarioRun
from workbench.models.scenarios import (
    ScenarioError,
    find_scenario,
    load_scenario,
    load_scenarios,
    scenarios_dir,
)

SCENARIOS = load_scenarios([scenarios_dir()]).scenarios


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerProcess]:
    with running_broker(tmp_path_factory, "scenarios") as process:
        yield process


def test_at_least_the_four_stories_are_shipped() -> None:
    assert {"delivery", "workout", "bank", "iot"} <= {s.name for s in SCENARIOS}
    for scenario in SCENARIOS:
        assert scenario.title and scenario.description and scenario.topics


@pytest.mark.parametrize("name", [s.name for s in SCENARIOS])
def test_each_scenario_produces_valid_events_with_its_charted_fields(
    broker: BrokerProcess, name: str
) -> None:
    scenario = next(s for s in SCENARIOS if s.name == name)

    async def main() -> dict[str, list[EventRow]]:
        client = BrokerClient(settings_for(broker, create_key(broker.data_dir, "demo", "all")))
        await client.login()
        try:
            run = ScenarioRun(client, scenario, duration_s=2.5)
            await run.start()
            stats = await run.wait()
            assert all(s.acked > 0 and not s.nacked and not s.failure for s in stats), stats
            return {t.name: [r async for r in topic_events(client, t.topic_id)] for t in run.topics}
        finally:
            await client.close()

    stored = asyncio.run(main())
    for spec in scenario.topics:
        rows = stored[spec.topic]
        assert rows, spec.topic
        for row in rows:
            document = json.loads(row.data)
            assert row.mimetype == 50 and row.type_name == spec.template.type.split(":")[0]
            for path in spec.charts:
                assert lookup(document, path) is not MISSING, (path, document)


def test_running_a_scenario_again_continues_its_topics(broker: BrokerProcess) -> None:
    scenario = next(s for s in SCENARIOS if s.name == "iot")

    async def main() -> list[int]:
        client = BrokerClient(settings_for(broker, create_key(broker.data_dir, "again", "all")))
        await client.login()
        try:
            counts = []
            for _ in range(2):
                run = ScenarioRun(client, scenario, duration_s=1.0)
                await run.start()
                await run.wait()
                counts.append(
                    next(t.events for t in await client.topics() if t.name == "sensors.readings")
                )
            return counts
        finally:
            await client.close()

    first, second = asyncio.run(main())
    assert 0 < first < second


def test_a_broken_scenario_names_its_file_and_problem(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "scenario.json").write_text(
        json.dumps({"title": "x", "topics": [{"topic": "t", "template": "t.json", "speed": 3}]})
    )
    with pytest.raises(ScenarioError, match=r"scenario.json: topics\[0\] unknown key\(s\) speed"):
        load_scenario(folder)
    (folder / "scenario.json").write_text(
        json.dumps({"topics": [{"topic": "t", "template": "t.json"}]})
    )
    (folder / "t.json").write_text('{"body": {"x": "{{ nope() }}"}}')
    with pytest.raises(ScenarioError, match="template"):
        load_scenario(folder)


def test_a_users_copy_replaces_the_shipped_one_and_a_broken_one_hides_no_other(
    tmp_path: Path,
) -> None:
    mine = tmp_path / "mine"
    shutil.copytree(scenarios_dir() / "iot", mine / "iot")
    document = json.loads((mine / "iot" / "scenario.json").read_text())
    document["title"] = "My sensors"
    (mine / "iot" / "scenario.json").write_text(json.dumps(document))
    (mine / "broken").mkdir()
    (mine / "broken" / "scenario.json").write_text("{not json")
    shelf = load_scenarios([scenarios_dir(), mine])
    titles = {s.name: s.title for s in shelf.scenarios}
    assert titles["iot"] == "My sensors" and "workout" in titles
    assert list(shelf.problems) == ["broken"]
    assert "broken/scenario.json" in str(shelf.problems["broken"])
    with pytest.raises(ScenarioError, match=r"broken/scenario\.json"):
        find_scenario("broken", [scenarios_dir(), mine])
    assert find_scenario(str(mine / "iot")).title == "My sensors"
    with pytest.raises(ScenarioError, match="no scenario 'nope'; the scenarios are: bank, "):
        find_scenario("nope", [scenarios_dir(), mine])
