"""The deterministic rules of an adaptive assessment: which topics, which question next, how an
evaluated answer moves the knowledge graph, and what the final scores are.

Pure: no I/O, no clock, no model. A model (or the offline evaluator) only judges one answer; every
number here comes from these rules, so a session replays to the same graph and scores.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from domain.errors import InvalidInput
from domain.knowledge import BloomLevel, Concept, Level

#: the knowledge-graph update: 0.7 x what we believed + 0.3 x what the new answer shows
OLD_WEIGHT = 0.7
NEW_WEIGHT = 0.3
#: an answer at or above this confidence demonstrates its concept (and lends its prerequisites
#: half its confidence)
DEMONSTRATED = 0.6
#: at or above: go deeper on the topic; below WEAK: step down or move on; between: probe
STRONG = 0.7
WEAK = 0.4
MAX_TOPICS = 10


class Thoroughness(StrEnum):
    QUICK = "quick"
    STANDARD = "standard"
    THOROUGH = "thorough"

    @classmethod
    def parse(cls, name: str) -> Thoroughness:
        try:
            return cls(name)
        except ValueError:
            allowed = ", ".join(t.value for t in cls)
            raise InvalidInput(
                f"thoroughness: must be one of {allowed}", field="thoroughness"
            ) from None

    @property
    def questions_per_topic(self) -> int:
        return {"quick": 2, "standard": 4, "thorough": 6}[self.value]

    @property
    def planned_topics(self) -> int:
        """Topics chosen at calibration; stepping down to prerequisites may add more, up to
        ``MAX_TOPICS``."""
        return {"quick": 5, "standard": 8, "thorough": 10}[self.value]

    @property
    def expected_per_topic(self) -> int:
        return {"quick": 2, "standard": 3, "thorough": 4}[self.value]


class Move(StrEnum):
    CALIBRATE = "calibrate"  # the first question of the session
    DEEPER = "deeper"  # same topic, a higher Bloom level
    PROBE = "probe"  # same topic, about the same level, to be surer
    PIVOT = "pivot"  # another topic (the next one, or a prerequisite of a weak one)
    CONCLUDE = "conclude"


@dataclass(frozen=True, slots=True)
class Node:
    """What the session believes about one concept."""

    confidence: float
    bloom: BloomLevel
    #: True once an answer was judged on this concept (not only inferred from another)
    assessed: bool
    answers: int = 0


@dataclass(frozen=True, slots=True)
class Decision:
    move: Move
    concept_id: str | None = None
    question_index: int | None = None
    #: the concept is a prerequisite stepped down to: it joins the topics after the current one
    adds_topic: bool = False


@dataclass(frozen=True, slots=True)
class Asked:
    concept_id: str
    question_index: int
    bloom: BloomLevel


def blend(old: float, new: float) -> float:
    return round(OLD_WEIGHT * old + NEW_WEIGHT * new, 4)


def update_graph(
    graph: Mapping[str, Node], concept: Concept, confidence: float, bloom: BloomLevel
) -> dict[str, Node]:
    """The nodes that change after one judged answer on ``concept`` (the caller merges them).

    The first direct evidence replaces an inferred belief; later answers blend 0.7/0.3. A
    demonstrated concept lends each prerequisite not assessed directly half its confidence
    (never lowering what is already believed).
    """
    confidence = min(1.0, max(0.0, confidence))
    old = graph.get(concept.id)
    if old is None or not old.assessed:
        node = Node(round(confidence, 4), bloom, True, 1)
    else:
        shown = bloom if confidence >= DEMONSTRATED and bloom > old.bloom else old.bloom
        node = Node(blend(old.confidence, confidence), shown, True, old.answers + 1)
    changes = {concept.id: node}
    if node.confidence >= DEMONSTRATED:
        lent = round(node.confidence / 2, 4)
        for prerequisite in concept.prerequisites:
            before = graph.get(prerequisite)
            if before is not None and before.assessed:
                continue
            if before is None:
                changes[prerequisite] = Node(lent, BloomLevel.REMEMBER, False)
            elif lent > before.confidence:
                changes[prerequisite] = replace(before, confidence=lent)
    return changes


def plan_topics(
    pool: Sequence[Concept], target: Level, skill_ids: Sequence[str], count: int
) -> list[str]:
    """Calibration: up to ``count`` topics from the pool (prerequisites-first order), those at
    the target level first, then the levels below; concepts evidencing a chosen skill before
    others. The chosen topics keep the pool's order, so prerequisites are asked first."""
    wanted = set(skill_ids)
    position = {c.id: i for i, c in enumerate(pool)}

    def rank(c: Concept) -> tuple[bool, int, int, int]:
        # Above the target (a pool should not hold any) comes last.
        return (c.level > target, abs(target - c.level),
                0 if wanted.intersection(c.skills) else 1, position[c.id])

    chosen = {c.id for c in sorted(pool, key=rank)[: min(count, MAX_TOPICS)]}
    return [c.id for c in pool if c.id in chosen]


def opening_question(concept: Concept) -> int:
    """The bank question that opens a topic: the highest Bloom level at or below the target
    (the knowledge base guarantees one exists), first in file order."""
    at_or_below = [i for i, q in enumerate(concept.questions) if q.bloom <= concept.bloom_target]
    if not at_or_below:
        return min(range(len(concept.questions)), key=lambda i: concept.questions[i].bloom)
    return max(at_or_below, key=lambda i: (concept.questions[i].bloom, -i))


def _unasked(concept: Concept, asked: Sequence[Asked]) -> list[int]:
    done = {a.question_index for a in asked if a.concept_id == concept.id}
    return [i for i in range(len(concept.questions)) if i not in done]


def route(
    *,
    topics: Sequence[str],
    concepts: Mapping[str, Concept],
    asked: Sequence[Asked],
    graph: Mapping[str, Node],
    last_confidence: float | None,
    questions_per_topic: int,
) -> Decision:
    """The next move after the last judged answer (``last_confidence`` None: nothing asked yet).

    deeper: strong answer and a higher-level question left; probe: a middling answer, or a weak
    one with a lower-level question left; pivot: the topic's cap is reached, nothing fits, or a
    weak answer steps down to an unassessed prerequisite; conclude: no topic left. A session
    never asks past its last topic.
    """
    if not asked:
        if not topics:
            return Decision(Move.CONCLUDE)
        first = concepts[topics[0]]
        return Decision(Move.CALIBRATE, first.id, opening_question(first))
    last = asked[-1]
    concept = concepts[last.concept_id]
    on_topic = sum(1 for a in asked if a.concept_id == concept.id)
    confidence = last_confidence if last_confidence is not None else 0.0
    if on_topic < questions_per_topic:
        left = _unasked(concept, asked)
        if confidence >= STRONG:
            higher = sorted((i for i in left if concept.questions[i].bloom > last.bloom),
                            key=lambda i: (concept.questions[i].bloom, i))
            if higher:
                return Decision(Move.DEEPER, concept.id, higher[0])
        elif confidence >= WEAK:
            if left:
                nearest = min(left, key=lambda i: (abs(concept.questions[i].bloom - last.bloom),
                                                   concept.questions[i].bloom, i))
                return Decision(Move.PROBE, concept.id, nearest)
        else:
            step_down = _prerequisite_to_visit(concept, topics, concepts, graph)
            if step_down is not None:
                return Decision(Move.PIVOT, step_down.id, opening_question(step_down), True)
            lower = sorted((i for i in left if concept.questions[i].bloom < last.bloom),
                           key=lambda i: (-concept.questions[i].bloom, i))
            if lower:
                return Decision(Move.PROBE, concept.id, lower[0])
    return _next_topic(concept.id, topics, concepts)


def _prerequisite_to_visit(
    concept: Concept, topics: Sequence[str], concepts: Mapping[str, Concept],
    graph: Mapping[str, Node],
) -> Concept | None:
    if len(topics) >= MAX_TOPICS:
        return None
    for prerequisite in concept.prerequisites:
        node = graph.get(prerequisite)
        if prerequisite in concepts and prerequisite not in topics and not (node and node.assessed):
            return concepts[prerequisite]
    return None


def _next_topic(current: str, topics: Sequence[str], concepts: Mapping[str, Concept]) -> Decision:
    i = topics.index(current)
    if i + 1 >= len(topics):
        return Decision(Move.CONCLUDE)
    following = concepts[topics[i + 1]]
    return Decision(Move.PIVOT, following.id, opening_question(following))


def with_topic(topics: Sequence[str], current: str, added: str) -> list[str]:
    """The topic list once a stepped-down prerequisite joins, right after the current topic."""
    out = list(topics)
    out.insert(out.index(current) + 1, added)
    return out


def max_questions(topics: int, pool: int, thoroughness: Thoroughness) -> int:
    """The most a session can ask: every topic it may reach, each to its cap."""
    reachable = min(MAX_TOPICS, max(pool, topics))
    return reachable * thoroughness.questions_per_topic


def estimated_questions(topics: int, thoroughness: Thoroughness) -> int:
    return topics * thoroughness.expected_per_topic


@dataclass(frozen=True, slots=True)
class Score:
    concept_id: str
    name: str
    score: int
    confidence: float
    reasoning: str


def scores(topics: Sequence[str], concepts: Mapping[str, Concept], graph: Mapping[str, Node]) -> list[Score]:
    """One score per topic that was answered, in topic order (score = confidence as 0-100)."""
    out = []
    for topic in topics:
        node = graph.get(topic)
        if node is None or not node.assessed:
            continue
        c = concepts[topic]
        verdict = "meets" if node.confidence >= c.target_confidence else "is below"
        out.append(Score(
            topic, c.name, round(node.confidence * 100), node.confidence,
            f"{node.answers} answer(s); demonstrated up to '{node.bloom.label}' (target"
            f" '{c.bloom_target.label}'); confidence {node.confidence:.2f} {verdict} the"
            f" {c.level.label} target {c.target_confidence:.2f}.",
        ))
    return out


def readiness(topics: Sequence[str], concepts: Mapping[str, Concept], graph: Mapping[str, Node]) -> int | None:
    """0-100: how close the answered topics are to their targets on average (each capped at
    its target). None when nothing was answered."""
    ratios = [
        min(1.0, graph[t].confidence / concepts[t].target_confidence)
        if concepts[t].target_confidence > 0 else 1.0
        for t in topics if t in graph and graph[t].assessed
    ]
    return round(100 * sum(ratios) / len(ratios)) if ratios else None
