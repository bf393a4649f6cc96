"""Assessment read model: sessions, their questions, answers (numbers and sealed text only),
knowledge-graph nodes and final scores — what the session routes and the reports read.

Answer text stays sealed here as in the log; the session's data key lives elsewhere
(``infrastructure.session_keys``), so destroying it shreds the text in both places.
"""

from __future__ import annotations

import json
from datetime import datetime

from domain.assessment import Assessment as A
from infrastructure.event_store import LoggedEvent
from infrastructure.read_store import Tx
from projections.engine.framework import Handler, Projection
from projections.identity import oid


def z(logged: LoggedEvent) -> str:
    """The event's time as ``2026-03-20T10:30:00Z`` (the seed's form)."""
    when: datetime = logged.event.timestamp  # type: ignore[attr-defined]
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


class AssessmentsProjection(Projection):
    name = "assessments"
    version = 1
    tables = {
        "sessions": (
            "session_id TEXT PRIMARY KEY, id BIGINT NOT NULL UNIQUE, user_uuid TEXT NOT NULL,"
            " org_uuid TEXT, status TEXT NOT NULL, skill_ids TEXT NOT NULL,"
            " target_level TEXT NOT NULL, role_id TEXT, resolved_role_id TEXT NOT NULL,"
            " thoroughness TEXT NOT NULL, topics TEXT NOT NULL, max_questions INTEGER NOT NULL,"
            " estimated_questions INTEGER NOT NULL, total_questions INTEGER NOT NULL,"
            " answered INTEGER NOT NULL, topics_evaluated INTEGER NOT NULL,"
            " evaluator TEXT NOT NULL, created_at TEXT NOT NULL, last_activity_at TEXT NOT NULL,"
            " completed_at TEXT, overall_readiness INTEGER"
        ),
        "questions": (
            "session_id TEXT NOT NULL, number INTEGER NOT NULL, concept_id TEXT NOT NULL,"
            " bloom TEXT NOT NULL, text TEXT NOT NULL, move TEXT NOT NULL,"
            " asked_at TEXT NOT NULL, PRIMARY KEY (session_id, number)"
        ),
        "answers": (
            "session_id TEXT NOT NULL, number INTEGER NOT NULL, concept_id TEXT NOT NULL,"
            " confidence REAL NOT NULL, bloom TEXT NOT NULL, covered TEXT NOT NULL,"
            " evaluator TEXT NOT NULL, sealed TEXT NOT NULL, answered_at TEXT NOT NULL,"
            " PRIMARY KEY (session_id, number)"
        ),
        "nodes": (
            "session_id TEXT NOT NULL, concept_id TEXT NOT NULL, confidence REAL NOT NULL,"
            " bloom TEXT NOT NULL, assessed INTEGER NOT NULL, answers INTEGER NOT NULL,"
            " PRIMARY KEY (session_id, concept_id)"
        ),
        "scores": (
            "session_id TEXT NOT NULL, ord INTEGER NOT NULL, skill_id TEXT NOT NULL,"
            " skill_name TEXT NOT NULL, score INTEGER NOT NULL, confidence REAL NOT NULL,"
            " reasoning TEXT NOT NULL, PRIMARY KEY (session_id, ord)"
        ),
    }
    indexes = ("CREATE INDEX IF NOT EXISTS {sessions}_user ON {sessions} (user_uuid, id)",)

    def handlers(self) -> dict[type, Handler]:
        return {
            A.AssessmentStarted: self._started,
            A.QuestionAsked: self._asked,
            A.AssessmentAnswered: self._answered,
            A.AssessmentCompleted: self._completed,
            A.AssessmentTimedOut: self._timed_out,
            A.AssessmentDeleted: self._deleted,
        }

    def _started(self, tx: Tx, logged: LoggedEvent) -> None:
        e = logged.event
        tx.execute(
            f"INSERT INTO {self.table('sessions')} (session_id, id, user_uuid, org_uuid, status,"
            " skill_ids, target_level, role_id, resolved_role_id, thoroughness, topics,"
            " max_questions, estimated_questions, total_questions, answered, topics_evaluated,"
            " evaluator, created_at, last_activity_at, completed_at, overall_readiness)"
            " VALUES (?, ?, ?, ?, 'active', ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, ?, ?, ?, NULL, NULL)",
            (
                oid(logged), logged.position, e.user_id, e.org_id, json.dumps(e.skill_ids),  # type: ignore[attr-defined]
                e.target_level, e.requested_role_id, e.role_id, e.thoroughness,  # type: ignore[attr-defined]
                json.dumps(e.topics), e.max_questions, e.estimated_questions,  # type: ignore[attr-defined]
                e.evaluator, z(logged), z(logged),  # type: ignore[attr-defined]
            ),
        )

    def _asked(self, tx: Tx, logged: LoggedEvent) -> None:
        e = logged.event
        sessions = self.table("sessions")
        if e.adds_topic:  # type: ignore[attr-defined]
            row = tx.fetchone(
                f"SELECT s.topics, q.concept_id FROM {sessions} s JOIN {self.table('questions')} q"
                " ON q.session_id = s.session_id WHERE s.session_id = ? ORDER BY q.number DESC"
                " LIMIT 1",
                (oid(logged),),
            )
            if row is not None:
                topics = json.loads(row["topics"])
                topics.insert(topics.index(row["concept_id"]) + 1, e.concept_id)  # type: ignore[attr-defined]
                tx.execute(f"UPDATE {sessions} SET topics = ? WHERE session_id = ?",
                           (json.dumps(topics), oid(logged)))
        tx.execute(
            f"INSERT INTO {self.table('questions')} (session_id, number, concept_id, bloom, text,"
            " move, asked_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (oid(logged), e.number, e.concept_id, e.bloom, e.text, e.move, z(logged)),  # type: ignore[attr-defined]
        )
        tx.execute(
            f"UPDATE {sessions} SET total_questions = ?, last_activity_at = ? WHERE session_id = ?",
            (e.number, z(logged), oid(logged)),  # type: ignore[attr-defined]
        )

    def _answered(self, tx: Tx, logged: LoggedEvent) -> None:
        e = logged.event
        sid = oid(logged)
        tx.execute(
            f"INSERT INTO {self.table('answers')} (session_id, number, concept_id, confidence,"
            " bloom, covered, evaluator, sealed, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (sid, e.number, e.concept_id, e.confidence, e.bloom,  # type: ignore[attr-defined]
             json.dumps(e.covered_key_points), e.evaluator, e.sealed, z(logged)),  # type: ignore[attr-defined]
        )
        for node in e.graph:  # type: ignore[attr-defined]
            tx.execute(
                f"INSERT INTO {self.table('nodes')} (session_id, concept_id, confidence, bloom,"
                " assessed, answers) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (session_id, concept_id)"
                " DO UPDATE SET confidence = excluded.confidence, bloom = excluded.bloom,"
                " assessed = excluded.assessed, answers = excluded.answers",
                (sid, node["concept"], node["confidence"], node["bloom"], int(node["assessed"]),
                 node["answers"]),
            )
        tx.execute(
            f"UPDATE {self.table('sessions')} SET answered = ?, last_activity_at = ?,"
            f" topics_evaluated = (SELECT COUNT(DISTINCT concept_id) FROM {self.table('answers')}"
            " WHERE session_id = ?) WHERE session_id = ?",
            (e.number, z(logged), sid, sid),  # type: ignore[attr-defined]
        )

    def _completed(self, tx: Tx, logged: LoggedEvent) -> None:
        e = logged.event
        sid = oid(logged)
        tx.execute(
            f"UPDATE {self.table('sessions')} SET status = 'completed', completed_at = ?,"
            " last_activity_at = ?, overall_readiness = ? WHERE session_id = ?",
            (z(logged), z(logged), e.overall_readiness, sid),  # type: ignore[attr-defined]
        )
        for i, s in enumerate(e.scores):  # type: ignore[attr-defined]
            tx.execute(
                f"INSERT INTO {self.table('scores')} (session_id, ord, skill_id, skill_name,"
                " score, confidence, reasoning) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (sid, i, s["skillId"], s["skillName"], s["score"], s["confidence"],
                 s["reasoning"]),
            )

    def _timed_out(self, tx: Tx, logged: LoggedEvent) -> None:
        tx.execute(
            f"UPDATE {self.table('sessions')} SET status = 'timed_out' WHERE session_id = ?",
            (oid(logged),),
        )

    def _deleted(self, tx: Tx, logged: LoggedEvent) -> None:
        for logical in self.tables:
            tx.execute(f"DELETE FROM {self.table(logical)} WHERE session_id = ?", (oid(logged),))
