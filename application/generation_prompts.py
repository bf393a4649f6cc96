"""The questions a course generation asks, one per step.

Every prompt ends with a ``<brief>`` holding the step's inputs as JSON: the model reads it as
part of the question, and the offline writer reads only it (so both answer the same question).
The system prompt is long and the same for every call, so the Anthropic adapter caches it.
"""

from __future__ import annotations

import json
import re
from typing import Any

from application.generation_drafts import ADD_ON_DRAFTS, ChapterDraft, OutlineDraft
from application.language_model import StructuredRequest

SYSTEM_PROMPT = """You are the course writer of a learning platform. You write complete, \
accurate, well-structured online courses for adult learners, in the language the brief names \
(a BCP 47 locale such as en-US or pt-BR). Every answer is a call of the tool you are given, \
with every required field filled; never answer in prose.

How to write:
- Audience: motivated adults new to the subject. Explain terms the first time they appear.
- Be concrete: prefer a worked example, a checklist or a short scenario to a general claim.
- Lessons are Markdown: a short introduction, two to four sections with level-2 headings, \
lists where they help, and a closing "Key points" list. No front matter, no HTML.
- Keep facts conservative. When practice differs between countries or organisations, say so \
and tell the learner what to check locally instead of inventing a rule.
- Never include personal data, links you are not sure exist, or promotional text.
- Titles are short (under 80 characters), specific and in sentence case.
- Quiz questions test understanding, not recall of wording: four options where possible, one \
clearly correct, the others plausible; the explanation says why the answer is right.
- Exercises are hands-on tasks a learner can do in 10 to 30 minutes, with a model solution.
- Summaries and headlines are one or two plain sentences.

The brief:
- Each request ends with a <brief> element holding JSON: the course subject, the layout \
("onepage": one long page with a section per chapter; "classic": a chapter per title with \
lessons), the locale, the chapter plan where one exists, and what this step must produce.
- When the brief lists chapter titles given by the requester, keep them exactly, in order, \
and write one entry per title.
"""


def brief_of(prompt: str) -> dict[str, Any]:
    """The JSON brief at the end of a prompt (the offline writer's only input)."""
    found = re.search(r"<brief>(.*)</brief>\s*$", prompt, re.DOTALL)
    if found is None:
        raise ValueError("the prompt carries no <brief>")
    return dict(json.loads(found.group(1)))


def _ask(task: str, brief: dict[str, Any]) -> str:
    return f"{task}\n\n<brief>{json.dumps(brief, ensure_ascii=False)}</brief>"


def _course(job: dict[str, Any]) -> dict[str, Any]:
    return {
        "subject": job["subject"], "format": job["format"], "language": job["language_id"],
    }


def outline_request(job: dict[str, Any]) -> StructuredRequest[OutlineDraft]:
    brief = {**_course(job), "step": "outline", "titles": job["outline"]}
    task = (
        "Plan the course: its name, a one-sentence headline, a description of a paragraph, "
        "what learners will be able to do, and its chapters (3 to 6 when no titles are given), "
        "each with a one-sentence summary."
    )
    return StructuredRequest(
        system=SYSTEM_PROMPT, prompt=_ask(task, brief), output=OutlineDraft,
        tool_name="write_outline", tool_description="Record the course plan.",
    )


def chapter_request(
    job: dict[str, Any], outline: dict[str, Any], index: int
) -> StructuredRequest[ChapterDraft]:
    chapter = outline["chapters"][index]
    brief = {
        **_course(job), "step": "chapter", "course": outline["name"], "index": index,
        "chapter": chapter, "chapters": [c["title"] for c in outline["chapters"]],
    }
    task = (
        f"Write chapter {index + 1}, \"{chapter['title']}\": its lessons (one to three), each a "
        "title and a Markdown body."
    )
    return StructuredRequest(
        system=SYSTEM_PROMPT, prompt=_ask(task, brief), output=ChapterDraft,
        tool_name="write_chapter", tool_description="Record one chapter's lessons.",
    )


_ADD_ON_TASKS = {
    "practical-exercises": "Write one practical exercise per chapter, in chapter order, each "
    "with instructions and a model solution.",
    "wrapup": "Write the closing summary of the course: a title, a summary and the key "
    "takeaways.",
    "assessment": "Write one quiz per chapter, in chapter order: three to five questions each, "
    "with options, the index of the correct option and an explanation.",
    "articles": "Suggest supporting reading: three to six articles, each a title, a summary "
    "and the search query that finds it.",
    "videos": "Write a short video for the course: its title, a narration script and the "
    "search terms that find related videos.",
    "agreement": "Write the sign-off agreement a learner acknowledges at the end: a title and "
    "the statement.",
}


def add_on_request(job: dict[str, Any], outline: dict[str, Any], name: str) -> StructuredRequest[Any]:
    brief = {
        **_course(job), "step": name, "course": outline["name"],
        "chapters": [c["title"] for c in outline["chapters"]],
    }
    return StructuredRequest(
        system=SYSTEM_PROMPT, prompt=_ask(_ADD_ON_TASKS[name], brief),
        output=ADD_ON_DRAFTS[name], tool_name="write_" + name.replace("-", "_"),
        tool_description=f"Record the {name} block.",
    )
