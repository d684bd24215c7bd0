"""Running a scenario: its topics made (or found), one generator per topic, stopped together.

Topics are looked up by name in the key's project and created when missing, so running a
scenario again continues its topics. Each topic's template renders with a fresh run (counters,
walks and curves start over), paced by the topic's rate shape, until the run is stopped or its
duration ends.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Protocol

from workbench.client.records import PublishResult, TopicRow
from workbench.models.event_generator import (
    MAX_ERRORS,
    EventGenerator,
    GeneratorSettings,
    GeneratorStats,
    RefusalCount,
    RunState,
)
from workbench.models.event_templates import TemplateRenderer
from workbench.models.scenarios import Scenario
from workbench.models.template_source import TemplateSource


class ScenarioClient(Protocol):
    """What a scenario run needs of a client (a ``StreamClient`` has it)."""

    async def topics(self, all_projects: bool = False) -> list[TopicRow]: ...

    async def create_topic(self, name: str) -> bytes: ...

    async def publish_encoded(
        self, topic_id: bytes, events: list[bytes], with_ids: bool = False
    ) -> PublishResult: ...


@dataclass(frozen=True, slots=True)
class TopicRun:
    """One topic of a running scenario."""

    name: str
    topic_id: bytes
    generator: EventGenerator


class ScenarioRun:
    """A scenario's generators. ``await start()``, then ``await wait()`` or ``stop()``.

    Args:
        client: the broker connection (its key's project gets the topics).
        scenario: what to run.
        duration_s: stop by itself after this long (None: until stopped).
    """

    def __init__(
        self, client: ScenarioClient, scenario: Scenario, duration_s: float | None = None
    ) -> None:
        self.client = client
        self.scenario = scenario
        self.duration_s = duration_s
        self.topics: list[TopicRun] = []
        self._tasks: list[asyncio.Task[GeneratorStats]] = []

    async def start(self) -> list[TopicRun]:
        """Find or create the topics and start every generator.

        Raises:
            ClientError: if a topic cannot be listed or created.
            TemplateError: if a template does not compile.
        """
        known = {t.name: t.id for t in await self.client.topics()}
        runs = []
        for spec in self.scenario.topics:
            topic_id = known.get(spec.topic) or await self.client.create_topic(spec.topic)
            source = TemplateSource(TemplateRenderer(spec.template))
            settings = GeneratorSettings(topic_id, None, self.duration_s, spec.shape)
            runs.append(
                TopicRun(spec.topic, topic_id, EventGenerator(self.client, source, settings))
            )
        self.topics = runs
        self._tasks = [asyncio.ensure_future(run.generator.run()) for run in runs]
        return runs

    @property
    def running(self) -> bool:
        """True while any generator runs."""
        return any(not task.done() for task in self._tasks)

    def stop(self) -> None:
        """Stop every generator (batches in flight are still answered)."""
        for run in self.topics:
            run.generator.stop()

    async def wait(self) -> list[GeneratorStats]:
        """Wait for every generator to end; their final counters, in topic order."""
        return list(await asyncio.gather(*self._tasks))

    def stats(self) -> list[GeneratorStats]:
        """Every topic's counters now, in topic order."""
        return [run.generator.stats() for run in self.topics]


def combined(stats: list[GeneratorStats]) -> GeneratorStats:
    """Several generators' counters as one: sums, the longest time, the first refusals, and
    the worst state (failed, then stopped, then running, then done)."""
    order = [RunState.FAILED, RunState.STOPPED, RunState.STOPPING, RunState.PAUSED,
             RunState.RUNNING, RunState.DONE]  # fmt: skip
    state = min((s.state for s in stats), key=order.index, default=RunState.DONE)
    refusals: dict[tuple[str, str], int] = {}
    for one in stats:
        for refusal in one.refusals:
            key = (refusal.code, refusal.reason)
            refusals[key] = refusals.get(key, 0) + refusal.events
    return GeneratorStats(
        state=state,
        sent=sum(s.sent for s in stats),
        acked=sum(s.acked for s in stats),
        nacked=sum(s.nacked for s in stats),
        lost=sum(s.lost for s in stats),
        elapsed_s=max((s.elapsed_s for s in stats), default=0.0),
        target=None,
        refusals=tuple(RefusalCount(c, r, n) for (c, r), n in list(refusals.items())[:MAX_ERRORS]),
        failure="; ".join(s.failure for s in stats if s.failure),
        settled=sum(s.settled for s in stats),
        unstored=sum(s.unstored for s in stats),
    )
