"""The exercise contract: every exercise of the book is registered, named, numbered as the book
numbers it, tells the student its answer variable and its check, and has a check cell."""

import pickle
import re
from pathlib import Path

import pytest
import yaml

import dualkit as dk
from dualkit.exercises import _core

ROOT = Path(__file__).resolve().parents[1]


def _labels_in_source(chapter: str) -> list[str]:
    text = (ROOT / "chapters" / f"{chapter}.md").read_text(encoding="utf-8")
    return re.findall(r"```\{exercise-start\}\n:label: (\S+)", text)


def test_every_exercise_of_the_book_is_registered_in_book_order():
    chapters = [p.stem for p in sorted((ROOT / "chapters").glob("*.md"))]
    for chapter in chapters:
        labels = _labels_in_source(chapter)
        registered = [e.label for e in dk.exercises.for_chapter(chapter)]
        assert labels == registered, chapter
        if labels:
            assert chapter in dk.exercises.CHAPTERS
    assert len(dk.exercises.catalogue()) == sum(len(_labels_in_source(c)) for c in chapters)


def test_exercise_numbers_follow_the_books_chapter_numbers():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    numbered = [c["file"].split("/")[-1] for part in toc["parts"] for c in part["chapters"]]
    for label, ex in dk.exercises.EXERCISES.items():
        chapter_number = numbered.index(ex.chapter) + 1
        k = [e.label for e in dk.exercises.for_chapter(ex.chapter)].index(label) + 1
        assert dk.exercises.number(label) == f"{chapter_number}.{k}"


def test_every_exercise_names_its_answer_its_data_and_its_check():
    for chapter in dk.exercises.CHAPTERS:
        text = (ROOT / "chapters" / f"{chapter}.md").read_text(encoding="utf-8")
        for ex in dk.exercises.for_chapter(chapter):
            body = text.split(f":label: {ex.label}\n", 1)[1].split("```{exercise-end}", 1)[0]
            call = f'dk.exercises.check("{ex.label}", {ex.answer})'
            assert f"`{ex.answer}" in body, (ex.label, "answer variable not named")
            assert call in " ".join(body.split()), (ex.label, "check call not named")
            assert f'dk.exercises.load("{ex.label}")' in body, (ex.label, "data not named")
            after = text.split(f"```{{solution-start}} {ex.label}", 1)[1]
            after = after.split("```{solution-end}\n```", 1)[1].lstrip()
            assert after.startswith("```{code-cell} ipython3\n:tags: [check]\n" + call), ex.label
            stub = text.split(f":label: {ex.label}\n", 1)[1].split("```{solution-start}")[0]
            assert f"{ex.answer} = dk.exercises.NOT_ANSWERED" in stub, ex.label
            assert ex.kind in {"numerical check", "derivation + code", "open experiment"}
            assert ex.points > 0 and ex.minutes > 0 and ex.what
            assert (ex.manual > 0) == bool(ex.rubric)
            assert any(t.public for t in ex.tests) and any(not t.public for t in ex.tests)


def test_not_answered_loses_every_point_with_one_reason():
    for ex in dk.exercises.EXERCISES.values():
        results = ex.run(dk.exercises.NOT_ANSWERED)
        assert sum(r.earned for r in results) == 0
        assert all("not answered yet" in r.message and f"`{ex.answer}`" in r.message
                   for r in results)


def test_check_prints_each_reason_once_and_never_raises_for_a_student(capsys):
    res = dk.exercises.check("ex-two-layer-kkt", dk.exercises.NOT_ANSWERED)
    out = capsys.readouterr().out
    assert not res and out.count("not answered yet") == 1
    res = dk.exercises.check("ex-two-layer-kkt", "a string")
    assert not res and "must be a dict" in capsys.readouterr().out


@pytest.mark.medium
def test_a_long_reason_reaches_the_student_whole(capsys):
    # the doubling-sequence message of ex-relu-sampling is longer than 160 characters
    res = dk.exercises.check("ex-relu-sampling", {10: 92, 20: 382, 30: 872})
    out = " ".join(capsys.readouterr().out.split())
    assert not res and "not the number of patterns they found.)." in out


def test_book_build_refuses_a_solution_that_fails(monkeypatch):
    monkeypatch.setenv("DUALKIT_STATIC_EXPLORERS", "1")
    with pytest.raises(RuntimeError, match="the book's solution of ex-two-layer-kkt fails"):
        dk.exercises.check("ex-two-layer-kkt", {"lam": 0, "tightness": 0, "cosine": 1},
                           quiet=True)


def test_seeds_instances_and_errors():
    with pytest.raises(ValueError, match="seed must be an integer"):
        dk.exercises.set_seed(-1)
    with pytest.raises(ValueError, match="seed must be an integer"):
        dk.exercises.set_seed(2.0)
    with pytest.raises(ValueError, match="unknown exercise 'ex-nope'"):
        dk.exercises.load("ex-nope")
    try:
        dk.exercises.set_seed(5)
        assert dk.exercises.load("ex-two-layer-kkt").seed == 5
    finally:
        dk.exercises.set_seed(0)
    ex = dk.exercises.load("ex-two-layer-kkt")
    assert ex.seed == 0 and ex is dk.exercises.load("ex-two-layer-kkt", seed=0)
    with pytest.raises(AttributeError, match="has no 'Z'"):
        _ = ex.Z
    assert "ex.X: ndarray of shape (40, 10)" in repr(ex)
    assert pickle.loads(pickle.dumps(dk.exercises.NOT_ANSWERED)) is dk.exercises.NOT_ANSWERED
    with pytest.raises(ValueError, match="registered twice"):
        _core.exercise("ex-two-layer-kkt", chapter="x", answer="a", what="w", kind="k",
                       minutes=1)(lambda seed: {})
