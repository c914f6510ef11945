r"""The book's exercises as assignments: your data, your answer, its checks.

Every exercise of the book names a variable for its answer and comes with checks::

    import dualkit as dk
    ex = dk.exercises.load("ex-two-layer-kkt")   # your data: ex.X, ex.y, ex.beta, ex.prob
    kkt = {...}                                  # your answer, in the variable the exercise names
    dk.exercises.check("ex-two-layer-kkt", kkt)  # ✓/✗ per public check, with the reason

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
           "current_seed", "exercise", "get", "load", "set_seed", "for_chapter"]

#: the chapters with exercises, in book order (one module each in this package)
CHAPTERS = ["preliminaries", "two_layer_linear", "deep_linear", "vector_outputs_and_losses",
            "two_layer_relu", "rank_one_relu", "splines_1d"]


def _load_all() -> None:
    """Import every chapter's exercise module (they register themselves)."""
    for name in CHAPTERS:
        try:
            importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise


def for_chapter(chapter: str) -> list[Exercise]:
    """The exercises of ``chapter`` (a chapter file's stem), in book order."""
    _load_all()
    return [ex for ex in EXERCISES.values() if ex.chapter == chapter]
