"""The Markdown export of a session (``GET /api/assessment/{id}/export``).

Four sections, always in this order and always present: Proficiency Scores, Knowledge Map,
Knowledge Gaps, Learning Plan. A completed session renders its recorded report; an unfinished
one renders the live knowledge graph, and every section without data says why in a sentence.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from application.assessment_schemas import KnowledgeGraphOut
from application.report_schemas import AssessmentReport
from domain.assessment import ACTIVE, Assessment

TITLE = "# Assessment Report"
SECTIONS = ("Proficiency Scores", "Knowledge Map", "Knowledge Gaps", "Learning Plan")

NO_SCORES = "_No proficiency scores yet: they are given when the assessment completes._"
NO_NODES = "_No concept has been assessed yet._"
NO_GAPS_YET = "_Gaps are analysed when the assessment completes._"
NO_PLAN_YET = "_A learning plan is written when the assessment completes._"
NO_GAPS = "_No gaps: every skill assessed meets its target._"
NO_PHASES = "_Nothing to study: there are no gaps._"


def export_filename(session_id: str) -> str:
    return f"assessment-{session_id[:8]}.md"


def cell(value: object) -> str:
    """Text safe inside a table cell: one line, pipes escaped."""
    return " ".join(str(value).split()).replace("|", "\\|")


def table(head: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    out.extend("| " + " | ".join(cell(v) for v in row) + " |" for row in rows)
    return out


def _header(session_id: str, agg: Assessment, role_name: str) -> list[str]:
    status = {ACTIVE: "in progress", "timed_out": "timed out"}.get(agg.status, agg.status)
    lines = [
        TITLE, "",
        f"- Session: `{session_id}`",
        f"- Role: {role_name} (`{agg.role_id}`)",
        f"- Target level: {agg.target_level}",
        f"- Status: {status}",
        f"- Started: {agg.created_on.strftime('%Y-%m-%dT%H:%M:%SZ')}",
    ]
    if agg.overall_readiness is not None:
        lines.append(f"- Overall readiness: {agg.overall_readiness}/100")
    return lines


def _graph(graph: KnowledgeGraphOut) -> list[str]:
    if not graph.nodes:
        return [NO_NODES]
    return table(("Concept", "Confidence", "Bloom level", "Prerequisites"), (
        (f"`{n.concept}`", f"{n.confidence:.2f}", n.bloom_level,
         ", ".join(f"`{p}`" for p in n.prerequisites) or "none")
        for n in graph.nodes
    ))


def _section(name: str, body: list[str]) -> list[str]:
    return ["", f"## {name}", "", *body]


def render_report(session_id: str, agg: Assessment, role_name: str, report: AssessmentReport) -> str:
    scores = table(("Skill", "Score", "Confidence", "Reasoning"), (
        (f"{s.skill_name} (`{s.skill_id}`)", s.score, f"{s.confidence:.2f}", s.reasoning)
        for s in report.proficiency_scores
    )) if report.proficiency_scores else [NO_SCORES]
    analysis = report.gap_analysis
    gaps = [analysis.summary, ""]
    if analysis.gaps:
        gaps += table(("Skill", "Current", "Target", "Gap", "Priority"), (
            (f"{g.skill_name} (`{g.skill_id}`)", g.current_level, g.target_level, g.gap,
             g.priority)
            for g in analysis.gaps
        ))
        gaps += ["", *(f"- **{g.skill_name}** ({g.priority}): {cell(g.recommendation)}"
                       for g in analysis.gaps)]
    else:
        gaps.append(NO_GAPS)
    plan = report.learning_plan
    steps = [f"{plan.summary}", "", f"Total: {plan.total_hours:g} hours."]
    for phase in plan.phases:
        steps += ["", f"### Phase {phase.phase_number}: {phase.title} ({phase.estimated_hours:g} h)",
                  "", "Concepts: " + ", ".join(f"`{c}`" for c in phase.concepts), "",
                  phase.rationale]
        if phase.resources:
            steps += ["", "Resources:", *(
                f"- [{r.title}]({r.url}) ({r.type})" if r.url else f"- {r.title} ({r.type})"
                for r in phase.resources
            )]
    if not plan.phases:
        steps += ["", NO_PHASES]
    lines = _header(session_id, agg, role_name)
    lines += _section(SECTIONS[0], scores)
    lines += _section(SECTIONS[1], _graph(report.knowledge_graph))
    lines += _section(SECTIONS[2], gaps)
    lines += _section(SECTIONS[3], steps)
    return "\n".join(lines) + "\n"


def render_unfinished(
    session_id: str, agg: Assessment, role_name: str, graph: KnowledgeGraphOut
) -> str:
    lines = _header(session_id, agg, role_name)
    lines += _section(SECTIONS[0], [NO_SCORES])
    lines += _section(SECTIONS[1], _graph(graph))
    lines += _section(SECTIONS[2], [NO_GAPS_YET])
    lines += _section(SECTIONS[3], [NO_PLAN_YET])
    return "\n".join(lines) + "\n"
