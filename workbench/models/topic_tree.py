"""The topic browser's content without Qt: projects and their topics, with totals and rates.

A :class:`TopicTree` is built from the broker's topic list and the latest per-topic rates of a
metrics sample. :func:`diff` compares two trees so a view can add, remove and update rows in
place instead of rebuilding itself (which would lose the selection, expansion and scrolling).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from workbench.client.records import MetricsSample, TopicRow


@dataclass(frozen=True, slots=True)
class TopicNode:
    """A topic and how fast it is growing."""

    topic: TopicRow
    rate: float = 0.0  # events per second

    @property
    def id(self) -> bytes:
        """The topic's id."""
        return self.topic.id

    @property
    def archived(self) -> bool:
        """True for an archived (read-only) topic."""
        return self.topic.readonly


@dataclass(frozen=True, slots=True)
class ProjectNode:
    """A project, its topics (sorted by name) and their totals."""

    id: bytes
    name: str
    topics: tuple[TopicNode, ...]

    @property
    def events(self) -> int:
        """Events in all of the project's topics."""
        return sum(node.topic.events for node in self.topics)

    @property
    def bytes(self) -> int:
        """Bytes stored in all of the project's topics."""
        return sum(node.topic.bytes for node in self.topics)

    @property
    def rate(self) -> float:
        """Events per second into all of the project's topics."""
        return sum(node.rate for node in self.topics)

    def totals(self) -> tuple[int, int, float, int]:
        """Events, bytes, rate and number of topics: what a project row shows."""
        return self.events, self.bytes, self.rate, len(self.topics)


@dataclass(frozen=True, slots=True)
class TopicTree:
    """Projects (sorted by name), each with its topics."""

    projects: tuple[ProjectNode, ...] = ()

    @classmethod
    def build(
        cls, topics: Iterable[TopicRow], rates: Mapping[bytes, float] | None = None
    ) -> TopicTree:
        """Group ``topics`` by project; ``rates`` maps a topic id to its events per second."""
        rates = rates or {}
        grouped: dict[bytes, list[TopicRow]] = {}
        names: dict[bytes, str] = {}
        for topic in topics:
            grouped.setdefault(topic.project_id, []).append(topic)
            names.setdefault(topic.project_id, topic.project_name)
        projects = [
            ProjectNode(
                project_id,
                names[project_id],
                tuple(
                    TopicNode(t, rates.get(t.id, 0.0))
                    for t in sorted(members, key=lambda t: (t.name.lower(), t.name, t.id))
                ),
            )
            for project_id, members in grouped.items()
        ]
        projects.sort(key=lambda p: (p.name.lower(), p.name, p.id))
        return cls(tuple(projects))

    def with_rates(self, rates: Mapping[bytes, float]) -> TopicTree:
        """The same topics with new rates."""
        return TopicTree.build(self.topic_rows(), rates)

    def topic_rows(self) -> list[TopicRow]:
        """Every topic, project by project."""
        return [node.topic for project in self.projects for node in project.topics]

    def project(self, project_id: bytes) -> ProjectNode | None:
        """A project by id."""
        return next((p for p in self.projects if p.id == project_id), None)

    def topic(self, topic_id: bytes) -> TopicNode | None:
        """A topic by id."""
        for project in self.projects:
            for node in project.topics:
                if node.id == topic_id:
                    return node
        return None

    def rates(self) -> dict[bytes, float]:
        """Each topic's rate, by topic id."""
        return {node.id: node.rate for project in self.projects for node in project.topics}


@dataclass(slots=True)
class TreeDiff:
    """What changed between two trees, in the order a view should apply it.

    Removals first (topics, then projects), then added projects (with their topics), then
    topics added to projects that already existed, then rows whose values changed.
    """

    removed_topics: list[bytes] = field(default_factory=list)
    removed_projects: list[bytes] = field(default_factory=list)
    added_projects: list[ProjectNode] = field(default_factory=list)
    added_topics: list[TopicNode] = field(default_factory=list)
    changed_projects: list[ProjectNode] = field(default_factory=list)
    changed_topics: list[TopicNode] = field(default_factory=list)

    def __bool__(self) -> bool:
        return any(
            (
                self.removed_topics,
                self.removed_projects,
                self.added_projects,
                self.added_topics,
                self.changed_projects,
                self.changed_topics,
            )
        )


def diff(old: TopicTree, new: TopicTree) -> TreeDiff:
    """The smallest set of row changes that turns ``old`` into ``new``.

    A topic that moved to another project (it cannot, in Ensign, but a broker could be
    replaced under the same address) is removed and added.
    """
    changes = TreeDiff()
    old_projects = {p.id: p for p in old.projects}
    new_projects = {p.id: p for p in new.projects}
    old_topics = {n.id: (p.id, n) for p in old.projects for n in p.topics}
    new_topics = {n.id: (p.id, n) for p in new.projects for n in p.topics}

    for topic_id, (project_id, _) in old_topics.items():
        moved = topic_id in new_topics and new_topics[topic_id][0] != project_id
        # a removed project takes its topics' rows with it
        if (topic_id not in new_topics or moved) and project_id in new_projects:
            changes.removed_topics.append(topic_id)
    changes.removed_projects = [pid for pid in old_projects if pid not in new_projects]

    for project in new.projects:
        before = old_projects.get(project.id)
        if before is None:
            changes.added_projects.append(project)
            continue
        if before.name != project.name or before.totals() != project.totals():
            changes.changed_projects.append(project)
        for node in project.topics:
            previous = old_topics.get(node.id)
            if previous is None or previous[0] != project.id:
                changes.added_topics.append(node)
            elif previous[1] != node:
                changes.changed_topics.append(node)
    return changes


def latest_rates(sample: MetricsSample) -> dict[bytes, float]:
    """Events per second of each topic in a metrics sample."""
    return {rate.topic_id: rate.events_per_second for rate in sample.topics}


def format_count(value: int) -> str:
    """``1234567`` as ``1,234,567``."""
    return f"{value:,}"


def format_rate(value: float) -> str:
    """Events per second for people: ``—`` when idle, ``0.4/s``, ``12/s``, ``1,250/s``."""
    if value <= 0:
        return "—"
    if value < 10:
        return f"{value:.1f}/s"
    return f"{round(value):,}/s"
