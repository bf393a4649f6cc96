"""The offline language model: deterministic, no network, the embedded default.

It answers the course-generation questions from their briefs alone (subject, layout, chapter
titles, add-ons) with a structured, readable course that says plainly it is a template written
without a language model. The same brief always gives the same course, which tests rely on.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

from application.generation_prompts import brief_of
from application.language_model import ModelBadOutput, StructuredRequest

T = TypeVar("T")
NAME = "offline:deterministic-v1"


def _clip(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _default_titles(subject: str) -> list[str]:
    s = _clip(subject, 100)
    return [
        f"Why {s} matters",
        f"Core ideas of {s}",
        f"{s} in practice",
        f"Common mistakes with {s}",
        f"Next steps with {s}",
    ]


class OfflineCourseWriter:
    """``LanguageModel`` without a model."""

    @property
    def name(self) -> str:
        return NAME

    async def structured(self, request: StructuredRequest[T]) -> T:
        try:
            brief = brief_of(request.prompt)
        except ValueError as exc:
            raise ModelBadOutput(str(exc)) from None
        writer = _WRITERS.get(request.tool_name)
        if writer is None:
            raise ModelBadOutput(f"the offline writer cannot answer {request.tool_name}")
        return msgspec.convert(writer(brief), request.output)

    async def check_key(self) -> None:
        return None


def _outline(b: dict[str, Any]) -> dict[str, Any]:
    subject = _clip(b["subject"])
    titles = list(b.get("titles") or []) or _default_titles(b["subject"])
    return {
        "name": _clip(f"{subject}: a practical course", 200),
        "headline": f"Learn the essentials of {subject} in {len(titles)} short chapters.",
        "description": (
            f"This course introduces {subject} step by step: {', '.join(titles)}. "
            "It was written by learnstream's offline course writer, a structured template "
            "produced without a language model; review and extend it before publishing."
        ),
        "learnings": [f"Explain the key points of “{t}”" for t in titles[:8]],
        "chapters": [
            {"title": _clip(t, 200), "summary": f"What {subject} means for “{t}”, with examples."}
            for t in titles
        ],
    }


def _chapter(b: dict[str, Any]) -> dict[str, Any]:
    title = b["chapter"]["title"]
    subject = _clip(b["subject"])
    position = f"chapter {b['index'] + 1} of {len(b['chapters'])}"
    return {
        "lessons": [
            {
                "title": _clip(f"Understanding {title}", 200),
                "markdown": (
                    f"This lesson opens {position} of *{b['course']}*.\n\n"
                    f"## What “{title}” covers\n\n{b['chapter']['summary']}\n\n"
                    f"## Why it matters\n\n- It connects {subject} to everyday work.\n"
                    "- It prepares the next chapter.\n\n"
                    f"## Key points\n\n- Name the main ideas of “{title}”.\n"
                    "- Check local rules and practice before applying them."
                ),
            },
            {
                "title": _clip(f"{title} in practice", 200),
                "markdown": (
                    f"## A worked example\n\nA small team applies “{title}” to a real task "
                    f"about {subject}, step by step.\n\n"
                    "1. Describe the situation.\n2. Apply the idea.\n3. Review the result.\n\n"
                    "## Key points\n\n- Practise on a small case first."
                ),
            },
        ]
    }


def _exercises(b: dict[str, Any]) -> dict[str, Any]:
    return {
        "exercises": [
            {
                "title": _clip(f"Exercise: {t}", 200),
                "instructions": f"Apply the ideas of “{t}” to a situation from your own work. "
                "Write down the steps you took and what you would change next time.",
                "solution": f"A good answer names the main ideas of “{t}”, applies them in "
                "order and explains one improvement.",
            }
            for t in b["chapters"]
        ]
    }


def _assessment(b: dict[str, Any]) -> dict[str, Any]:
    return {
        "quizzes": [
            {
                "questions": [
                    {
                        "question": f"What is the first thing to do when applying “{t}”?",
                        "options": [
                            "Understand the situation and its risks",
                            "Skip straight to the last step",
                            "Ignore local rules",
                            "Wait for someone else to act",
                        ],
                        "answer_index": 0,
                        "explanation": "Every chapter starts from understanding the situation.",
                    },
                    {
                        "question": f"Which habit helps most with “{t}”?",
                        "options": [
                            "Reviewing the result and improving it",
                            "Never asking questions",
                            "Working without a plan",
                        ],
                        "answer_index": 0,
                        "explanation": "Reviewing and improving is how practice gets better.",
                    },
                ]
            }
            for t in b["chapters"]
        ]
    }


def _wrapup(b: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": _clip(f"Wrap-up: {b['course']}", 200),
        "summary": f"You worked through {len(b['chapters'])} chapters of {_clip(b['subject'])}.",
        "takeaways": [f"Remember the key points of “{t}”." for t in b["chapters"][:10]],
    }


def _articles(b: dict[str, Any]) -> dict[str, Any]:
    subject = _clip(b["subject"], 80)
    return {
        "articles": [
            {
                "title": _clip(f"Further reading: {t}", 200),
                "summary": f"Background on “{t}” for learners of {subject}.",
                "search_query": _clip(f"{subject} {t}", 200),
            }
            for t in b["chapters"][:6]
        ]
    }


def _videos(b: dict[str, Any]) -> dict[str, Any]:
    subject = _clip(b["subject"], 80)
    return {
        "title": _clip(f"{subject} in five minutes", 200),
        "script": " ".join(f"Chapter {i + 1}: {t}." for i, t in enumerate(b["chapters"])),
        "search_terms": [_clip(f"{subject} {t}", 200) for t in b["chapters"][:8]],
    }


def _agreement(b: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": "Acknowledgement",
        "statement": f"I confirm that I completed {b['course']} and understood its content.",
    }


_WRITERS = {
    "write_outline": _outline,
    "write_chapter": _chapter,
    "write_practical_exercises": _exercises,
    "write_assessment": _assessment,
    "write_wrapup": _wrapup,
    "write_articles": _articles,
    "write_videos": _videos,
    "write_agreement": _agreement,
}


def written(tool_name: str, prompt: str) -> dict[str, Any]:
    """What the offline writer answers to a prompt (a fake model server reuses it)."""
    return _WRITERS[tool_name](brief_of(prompt))
