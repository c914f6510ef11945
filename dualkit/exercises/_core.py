r"""The exercise contract: an instance per seed, a named answer, public and hidden tests.

An :class:`Exercise` is registered once (in the module of its chapter) with

* ``label``: the label the chapter gives it (``ex-two-layer-kkt``);
* ``answer``: the name of the variable the student's answer goes in (``lam_kkt``) and ``what``,
  a sentence saying what that variable must hold;
* an *instance* function ``make(seed) -> Instance``: the exercise's data for one variant. Seed 0
  is the book's; a course gives every student their own seed (``build --variants``), and the
  grader checks each answer against the student's own instance;
* *tests* ``fn(answer, ex) -> (passed, message)``, each worth some points. Public tests are what
  ``check`` runs for the student; hidden tests (``public=False``) run only when grading. A
  message says what is wrong and never states the expected value.

Open experiments also carry ``manual`` points, graded by hand with the ``rubric``.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from ..check import CheckResult

#: a test function ``fn(answer, ex) -> (passed, message)`` (what :meth:`Exercise.test` decorates)
TestFn = TypeVar("TestFn", bound=Callable[[Any, "Instance"], tuple[bool, str]])

__all__ = ["Instance", "Exercise", "Result", "exercise", "EXERCISES", "get", "load", "check",
           "set_seed", "current_seed", "NOT_ANSWERED"]

#: every registered exercise, by label, in registration (book) order
EXERCISES: dict[str, Exercise] = {}

_SEED = 0
#: in the book's build, a failing check raises (a solution must pass its exercise); the
#: instructors' page, which shows wrong answers on purpose, turns this off
BOOK_STRICT = True


class _NotAnswered:
    """The placeholder a stub assigns to its answer variable."""

    def __repr__(self) -> str:
        return "NOT_ANSWERED"

    def __reduce__(self):
        return (_not_answered, ())


def _not_answered() -> _NotAnswered:
    return NOT_ANSWERED


#: what a stub puts in its answer variable until the student replaces it
NOT_ANSWERED = _NotAnswered()


def set_seed(seed: int) -> None:
    """Choose the variant: every later :func:`load` builds its data from ``seed``.

    Student notebooks set it in their first cell (0, or the student's own number in a course
    built with ``python -m dualkit.assignments build --variants roster.csv``); keep that cell
    as it is, since the grader checks your answers against the data of your own seed.
    """
    global _SEED
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32:
        raise ValueError(f"seed must be an integer in [0, 2**32); got {seed!r}.")
    _SEED = int(seed)


def current_seed() -> int:
    """The variant seed :func:`load` uses (0 unless :func:`set_seed` changed it)."""
    return _SEED


class Instance(dict):
    """The data of one exercise variant: a dict whose keys are also attributes (``ex.X``)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(
                f"this exercise's data has no {name!r}; it has {', '.join(self)}.") from None

    def __repr__(self) -> str:
        lines = []
        for k, v in self.items():
            shape = getattr(v, "shape", None)
            if isinstance(v, bool) or isinstance(v, (int, str)):
                what = repr(v)
            elif isinstance(v, float):
                what = f"{v:.4g}"
            elif shape is not None and len(shape):
                what = f"{type(v).__name__} of shape {tuple(shape)}"
            else:
                what = type(v).__name__
            lines.append(f"  ex.{k}: {what}")
        return "exercise data (fields):\n" + "\n".join(lines)


@dataclass
class Result:
    """One test's outcome."""

    test: str
    points: float
    earned: float
    message: str
    public: bool = True

    @property
    def passed(self) -> bool:
        """Whether the test gave all its points."""
        return self.earned >= self.points


@dataclass
class _Test:
    name: str
    points: float
    public: bool
    fn: Callable[[Any, Instance], tuple[bool, str]]


@dataclass
class Exercise:
    """One exercise of the book: its data per seed, its answer variable, its tests."""

    label: str
    chapter: str
    answer: str
    what: str
    kind: str
    minutes: int
    make: Callable[[int], Instance]
    compute: str = "seconds"
    manual: float = 0.0
    rubric: str = ""
    tests: list[_Test] = field(default_factory=list)
    _cache: dict = field(default_factory=dict, repr=False)

    # ---------------------------------------------------------------- definition
    def test(self, points: float = 1.0, public: bool = False,
             name: str | None = None) -> Callable[[TestFn], TestFn]:
        """Decorator adding a test ``fn(answer, ex) -> (passed, message)``."""
        def deco(fn: TestFn) -> TestFn:
            self.tests.append(_Test(name or fn.__name__.replace("_", " "), float(points),
                                    bool(public), fn))
            return fn
        return deco

    @property
    def points(self) -> float:
        """Points the tests give (the automatic part of the grade)."""
        return sum(t.points for t in self.tests)

    # ---------------------------------------------------------------- use
    def instance(self, seed: int | None = None) -> Instance:
        """The data of variant ``seed`` (default: :func:`current_seed`), built once per seed."""
        seed = current_seed() if seed is None else seed
        if seed not in self._cache:
            inst = self.make(seed)
            if not isinstance(inst, Instance):
                inst = Instance(inst)
            inst["seed"] = seed
            self._cache[seed] = inst
        return self._cache[seed]

    def run(self, answer: Any, seed: int | None = None, hidden: bool = True) -> list[Result]:
        """Run the tests (the public ones only with ``hidden=False``) on ``answer``."""
        tests = [t for t in self.tests if t.public or hidden]
        if answer is NOT_ANSWERED or answer is Ellipsis:
            return [Result(t.name, t.points, 0.0,
                           f"not answered yet: put {self.what} in `{self.answer}`.", t.public)
                    for t in tests]
        ex = self.instance(seed)
        out = []
        for t in tests:
            try:
                passed, message = t.fn(answer, ex)
            except Exception as exc:   # a malformed answer must cost points, not crash grading
                why = str(exc)
                if len(why) > 400:      # our ValueErrors are shorter: keep them whole
                    why = why[:400] + "…"
                passed, message = False, (f"the test could not use your `{self.answer}` "
                                          f"({type(exc).__name__}: {why}).")
            out.append(Result(t.name, t.points, t.points if passed else 0.0, message, t.public))
        return out


    def score(self, answer: Any, seed: int | None = None) -> float:
        """The points ``answer`` earns on variant ``seed`` (public and hidden tests)."""
        return sum(r.earned for r in self.run(answer, seed))

    def failed(self, answer: Any, seed: int | None = None,
               public: bool | None = None) -> set[str]:
        """The names of the tests ``answer`` fails (only public or hidden ones if asked)."""
        return {r.test for r in self.run(answer, seed)
                if not r.passed and (public is None or r.public == public)}


def exercise(label: str, *, chapter: str, answer: str, what: str, kind: str, minutes: int,
             compute: str = "seconds", manual: float = 0.0,
             rubric: str = "") -> Callable[[Callable[[int], Instance]], Exercise]:
    """Decorator registering an exercise whose decorated function makes the instance of a seed."""
    def deco(make: Callable[[int], Instance]) -> Exercise:
        if label in EXERCISES:
            raise ValueError(f"exercise {label!r} is registered twice.")
        ex = Exercise(label, chapter, answer, what, kind, minutes, make, compute, manual, rubric)
        EXERCISES[label] = ex
        return ex
    return deco


def get(label: str) -> Exercise:
    """The registered exercise ``label``."""
    from . import _load_all

    _load_all()
    try:
        return EXERCISES[label]
    except KeyError:
        raise ValueError(f"unknown exercise {label!r}; the book's exercises are: "
                         f"{', '.join(EXERCISES)}.") from None


def load(label: str, seed: int | None = None) -> Instance:
    """The data of exercise ``label`` for your variant (see :func:`set_seed`).

    Returns an :class:`Instance`: read its fields as attributes, e.g. ``ex.X``, ``ex.prob``.
    """
    return get(label).instance(seed)


def _in_book_build() -> bool:
    return BOOK_STRICT and os.environ.get("DUALKIT_STATIC_EXPLORERS") == "1"


def _print(line: str) -> None:
    print(textwrap.fill(line, width=88, subsequent_indent="  ", break_on_hyphens=False))


def check(label: str, answer: Any, quiet: bool = False) -> CheckResult:
    """Run the public tests of exercise ``label`` on ``answer`` and print one line per test.

    Returns a :class:`dualkit.check.CheckResult`, true when every public test passes. The
    hidden tests of the grader are stricter versions of these; passing the public ones means
    the answer has the right form and passes the checks a student can see.

    In the book's own build the solutions must pass every test, public and hidden: a failure
    there raises ``RuntimeError`` (so the book cannot show a solution that fails its exercise).
    """
    from ..check import CheckResult

    ex = get(label)
    book = _in_book_build()
    results = ex.run(answer, hidden=book)
    if book:
        failed = [r for r in results if not r.passed]
        if failed:
            raise RuntimeError(f"the book's solution of {label} fails its tests: "
                               + "; ".join(f"{r.test}: {r.message}" for r in failed))
        results = [r for r in results if r.public]
    if not quiet:
        seen = set()
        for r in results:
            if r.message not in seen:           # "not answered yet" once, not per check
                seen.add(r.message)
                _print(("✓ " if r.passed else "✗ ") + r.message)
    passed = all(r.passed for r in results)
    hidden = sum(t.points for t in ex.tests if not t.public)
    if not quiet and hidden and not book:
        # the public checks decide only part of the grade: say so, so that a ✓ is not read as
        # "right" (the hidden tests compare with values the student is asked to find)
        public = sum(t.points for t in ex.tests if t.public)
        _print(f"  (checked here: {public:g} of {ex.points:g} points; the rest are checked "
               "when the notebook is graded"
               + (f", and {ex.manual:g} more points are given by hand" if ex.manual else "")
               + ".)")
    summary = (f"{label}: all {len(results)} public checks pass." if passed else
               f"{label}: {sum(not r.passed for r in results)} of {len(results)} public "
               "checks fail.")
    return CheckResult(passed, summary, quiet=True)
