"""The course-generation workflow as a LangGraph ``StateGraph``.

outline → every chapter in parallel (``Send``) → every requested add-on in parallel →
assemble → commit. Each node asks the job (``JobSteps``) for its step: a step the log already
has comes back from the log, anything else is asked of the model and recorded (its event
appended) before the node returns. A checkpointer keyed by the job id lets a new attempt pick
the graph up where the last one stopped; since every finished step is also in the log, a lost
or stale checkpoint costs no model call either.
"""

from __future__ import annotations

from typing import Annotated, Any, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Send

from application.generated_course import CoursePlan, plan_course
from application.generation_drafts import (
    ADD_ON_DRAFTS,
    ChapterDraft,
    OutlineDraft,
    as_result,
    check_add_on,
    check_outline,
    from_result,
)
from application.generation_prompts import add_on_request, chapter_request, outline_request
from application.generation_steps import JobContext, Result
from domain.generation_jobs import ASSEMBLE_STEP, OUTLINE_STEP, add_on_step, chapter_step


def _merge(left: dict[str, Result], right: dict[str, Result]) -> dict[str, Result]:
    return {**left, **right}


class PipelineState(TypedDict, total=False):
    #: the job's request: subject, format, language_id, outline (titles), add_ons
    brief: dict[str, Any]
    outline: Result
    chapters: Annotated[dict[str, Result], _merge]
    add_ons: Annotated[dict[str, Result], _merge]
    #: a ``Send`` to one chapter or add-on task carries brief, outline and which one
    index: int
    add_on: str


async def _outline(state: PipelineState, *, runtime: Runtime[JobContext]) -> PipelineState:
    ctx, brief = runtime.context, state["brief"]

    async def ask() -> Result:
        draft = await ctx.model.structured(outline_request(brief))
        return as_result(check_outline(draft, list(brief["outline"])))

    return {"outline": await ctx.steps.step(OUTLINE_STEP, ask)}


# The routers are coroutines although they never wait: LangGraph runs a plain function in a
# thread pool, a thread hop (and a GIL hand-over) per job and fan-out for a list comprehension.
async def _to_chapters(state: PipelineState) -> list[Send]:
    return [
        Send("chapter", {"brief": state["brief"], "outline": state["outline"], "index": index})
        for index in range(len(state["outline"]["chapters"]))
    ]


async def _chapter(state: PipelineState, *, runtime: Runtime[JobContext]) -> PipelineState:
    ctx, index = runtime.context, state["index"]

    async def ask() -> Result:
        return as_result(await ctx.model.structured(chapter_request(state["brief"], state["outline"], index)))

    return {"chapters": {str(index): await ctx.steps.step(chapter_step(index), ask)}}


async def _chapters_done(state: PipelineState) -> PipelineState:
    return {}


async def _to_add_ons(state: PipelineState) -> list[Send] | str:
    wanted = state["brief"]["add_ons"]
    if not wanted:
        return "assemble"
    return [
        Send("add_on", {"brief": state["brief"], "outline": state["outline"], "add_on": name})
        for name in wanted
    ]


async def _add_on(state: PipelineState, *, runtime: Runtime[JobContext]) -> PipelineState:
    ctx, name = runtime.context, state["add_on"]
    chapters = len(state["outline"]["chapters"])

    async def ask() -> Result:
        draft = await ctx.model.structured(add_on_request(state["brief"], state["outline"], name))
        return as_result(check_add_on(name, draft, chapters))

    return {"add_ons": {name: await ctx.steps.step(add_on_step(name), ask)}}


def _plan(state: PipelineState, generator: str) -> CoursePlan:
    outline = from_result(state["outline"], OutlineDraft)
    chapters = [
        from_result(state["chapters"][str(i)], ChapterDraft) for i in range(len(outline.chapters))
    ]
    add_ons = {
        name: from_result(result, ADD_ON_DRAFTS[name])
        for name, result in (state.get("add_ons") or {}).items()
    }
    return plan_course(state["brief"]["format"], outline, chapters, add_ons, generator)


async def _assemble(state: PipelineState, *, runtime: Runtime[JobContext]) -> PipelineState:
    ctx = runtime.context
    _plan(state, ctx.model.name)  # a draft that does not fit the layout fails here, not later

    async def nothing_to_ask() -> Result:
        return {}

    await ctx.steps.step(ASSEMBLE_STEP, nothing_to_ask)
    return {}


async def _commit(state: PipelineState, *, runtime: Runtime[JobContext]) -> PipelineState:
    ctx = runtime.context
    await ctx.steps.commit(_plan(state, ctx.model.name))
    return {}


def course_generation_graph() -> StateGraph[PipelineState, JobContext, PipelineState, PipelineState]:
    graph = StateGraph(PipelineState, context_schema=JobContext)
    graph.add_node("outline", _outline)
    graph.add_node("chapter", _chapter)
    graph.add_node("add_on", _add_on)
    graph.add_node("assemble", _assemble)
    graph.add_node("commit", _commit)
    graph.add_edge(START, "outline")
    graph.add_node("chapters_done", _chapters_done)
    graph.add_conditional_edges("outline", _to_chapters, ["chapter"])
    # A plain edge waits for every chapter task; the add-ons fan out once, from there.
    graph.add_edge("chapter", "chapters_done")
    graph.add_conditional_edges("chapters_done", _to_add_ons, ["add_on", "assemble"])
    graph.add_edge("add_on", "assemble")
    graph.add_edge("assemble", "commit")
    graph.add_edge("commit", END)
    return graph
