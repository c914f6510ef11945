r"""The book's exercises as assignments: your data, your answer, its checks.

Every exercise of the book names a variable for its answer and comes with checks::

    import dualkit as dk
    ex = dk.exercises.load("ex-two-layer-kkt")   # your data: ex.X, ex.y, ex.beta, ...
    kkt = {...}                                  # your answer, in the variable named
    dk.exercises.check("ex-two-layer-kkt", kkt)  # ✓/✗ per public check, with why

``load`` builds the exercise's data from your variant seed (:func:`set_seed`; 0 is the book's).
``check`` runs the public checks; the grader (``python -m dualkit.assignments grade``) runs
those and hidden, stricter ones against the data of each student's own seed. No check prints
the expected answer.

Introduced in :ref:`ch-instructors`.
"""

from __future__ import annotations

import importlib

from ._core import (
    EXERCISES,
    NOT_ANSWERED,
    Exercise,
    Instance,
    Result,
    check,
    current_seed,
    exercise,
    get,
    load,
    set_seed,
)

__all__ = ["EXERCISES", "NOT_ANSWERED", "Exercise", "Instance", "Result", "check",
           "current_seed", "exercise", "get", "load", "set_seed", "for_chapter", "number",
           "catalogue", "markdown_table", "markdown_rubrics"]

#: the chapters with exercises, in book order (one module each in this package)
CHAPTERS = ["preliminaries", "two_layer_linear", "deep_linear", "vector_outputs_and_losses",
            "two_layer_relu", "rank_one_relu", "splines_1d"]


def _load_all() -> None:
    """Import every chapter's exercise module (they register themselves)."""
    for name in CHAPTERS:
        importlib.import_module(f"{__name__}.{name}")


def for_chapter(chapter: str) -> list[Exercise]:
    """The exercises of ``chapter`` (a chapter file's stem), in book order."""
    _load_all()
    return [ex for ex in EXERCISES.values() if ex.chapter == chapter]


def number(label: str) -> str:
    """The exercise's number as the book shows it, e.g. ``"2.1"`` (chapter number: its place
    among the numbered chapters, which lists the chapters with exercises first)."""
    ex = get(label)
    chapter = CHAPTERS.index(ex.chapter) + 1
    return f"{chapter}.{for_chapter(ex.chapter).index(ex) + 1}"


def catalogue() -> list[dict]:
    """One row per exercise, in book order: number, label, chapter, kind, answer variable,
    automatic and hand-graded points, minutes and compute."""
    _load_all()
    return [{"number": number(e.label), "label": e.label, "chapter": e.chapter, "kind": e.kind,
             "answer": e.answer, "points": e.points, "manual": e.manual,
             "minutes": e.minutes, "compute": e.compute, "rubric": e.rubric}
            for name in CHAPTERS for e in for_chapter(name)]


def markdown_table() -> str:
    """The catalogue as a MyST Markdown table whose exercise names link to the exercises
    (for the book's instructors page, through ``{glue:md}``)."""
    lines = ["| exercise | kind | answer | points (auto + by hand) | time | compute |",
             "|---|---|---|---|---|---|"]
    for r in catalogue():
        pts = f"{r['points']:g}" + (f" + {r['manual']:g}" if r["manual"] else "")
        lines.append(f"| {{numref}}`Exercise %s <{r['label']}>` | {r['kind']} | "
                     f"`{r['answer']}` | {pts} | {r['minutes']} min | {r['compute']} |")
    return "\n".join(lines)


def markdown_rubrics() -> str:
    """The rubrics of the points given by hand, as a MyST Markdown list (instructors' page)."""
    return "\n".join(f"* {{numref}}`Exercise %s <{r['label']}>` ({r['manual']:g} points): "
                     f"{r['rubric']}" for r in catalogue() if r["manual"])
