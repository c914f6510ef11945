"""The autograder: variants per student, and grades for right, wrong, blank, crashing and
wrong-variant submissions of one chapter."""

import csv
import shutil
from pathlib import Path

import jupytext
import nbformat
import pytest

import dualkit as dk
from dualkit import _grading, assignments

pytestmark = pytest.mark.slow          # executes notebooks: the slow tier
ROOT = Path(__file__).resolve().parents[1]
CHAPTER = "two_layer_linear"


def solution_code(chapter: str) -> dict[str, str]:
    """The code of each exercise's solution cells in the chapter source, by label."""
    nb = jupytext.read(ROOT / "chapters" / f"{chapter}.md")
    code, label = {}, None
    for cell in nb.cells:
        if cell.cell_type == "markdown" and "{exercise-start}" in cell.source:
            label = cell.source.split(":label:", 1)[1].split()[0]
        if cell.cell_type == "code" and "solution" in cell.metadata.get("tags", []):
            code[label] = code.get(label, "") + cell.source + "\n"
    return code


def _stub_label(cell) -> str:
    return cell.source.split('dk.exercises.load("', 1)[1].split('"', 1)[0]


def _submission(src: Path, dst: Path, answers: dict[str, str], seed: int | None = None):
    """Copy a student notebook, replacing each exercise's stub by ``answers[label]``."""
    nb = nbformat.read(src, as_version=4)
    for cell in nb.cells:
        if "exercise" in cell.metadata.get("tags", []):
            cell.source = answers.get(_stub_label(cell), cell.source)
        if seed is not None and "variant-seed" in cell.metadata.get("tags", []):
            cell.source = cell.source.replace("set_seed(", f"set_seed({seed}) #", 1)
    dst.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dst)


WRONG = {
    "ex-two-layer-kkt": 'ex = dk.exercises.load("ex-two-layer-kkt")\n'
                        'kkt = {"lam": ex.y, "tightness": 0.0, "cosine": -1.0}',
    "ex-two-layer-minnorm": 'ex = dk.exercises.load("ex-two-layer-minnorm")\n'
                            'minnorm = {"value": float(ex.y @ ex.y), "lam": 2 * ex.y}',
    "ex-two-layer-width": 'width_gaps = {1: 0.5, 2: 0.2, 10: 0.1}',
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("grading")
    roster = tmp / "roster.csv"
    roster.write_text("student,seed\nalice,11\nbob,12\ncarol,13\ndave,14\nerin,15\n")
    assignments.build(ROOT, tmp / "out", chapters=[CHAPTER], variants=roster)
    right = solution_code(CHAPTER)
    crash = dict(right, **{"ex-two-layer-minnorm": "1 / 0\n" + right["ex-two-layer-minnorm"]})
    subs = tmp / "submissions"

    def student(name):
        return tmp / "out" / "student" / name / f"{CHAPTER}.ipynb"

    _submission(student("alice"), subs / "alice" / f"{CHAPTER}.ipynb", right)
    _submission(student("bob"), subs / "bob" / f"{CHAPTER}.ipynb", WRONG)
    shutil.copy(student("carol"), subs / "carol.ipynb")
    (subs / "carol.ipynb").parent.mkdir(exist_ok=True)
    _submission(student("dave"), subs / "dave.ipynb", crash)
    # erin copied alice's notebook: alice's seed, right answers for alice's data
    _submission(student("alice"), subs / "erin.ipynb", right)
    out = tmp / "grades.csv"
    assert assignments.main(["grade", str(subs), "--out", str(out), "--roster", str(roster),
                             "--jobs", "2", "--timeout", "300"]) == 0
    with out.open() as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    return rows, out


@pytest.mark.slow
def test_grades_of_right_wrong_blank_crashing_and_wrong_variant_submissions(graded):
    rows, out = graded
    print(out.read_text())
    total = sum(e.points for e in dk.exercises.for_chapter(CHAPTER))
    assert set(rows) == {"alice", "bob", "carol", "dave", "erin"}
    for r in rows.values():
        assert float(r["max_points"]) == total
    # fully right: every point, no reason
    assert float(rows["alice"]["points"]) == total and rows["alice"]["reasons"] == ""
    assert rows["alice"]["seed"] == "11" and rows["alice"]["notebook_seed"] == "11"
    # fully wrong: nothing, with a reason per lost point and no expected value in them
    assert float(rows["bob"]["points"]) == 0
    assert rows["bob"]["reasons"].count("ex-two-layer-") >= 6
    assert "not dual feasible" in rows["bob"]["reasons"]
    assert "no entry for the widths [100]" in rows["bob"]["reasons"]
    # blank: nothing, "not answered"
    assert float(rows["carol"]["points"]) == 0
    assert rows["carol"]["reasons"].count("not answered") == 3
    # crashing: the exercise whose cell raised loses its points, the others keep theirs
    assert float(rows["dave"]["ex-two-layer-minnorm"]) == 0
    assert float(rows["dave"]["ex-two-layer-kkt"]) == dk.exercises.get("ex-two-layer-kkt").points
    assert "ZeroDivisionError" in rows["dave"]["reasons"]
    assert "`minnorm` is not defined" in rows["dave"]["reasons"]
    # wrong variant: alice's notebook handed in by erin is graded on erin's data
    assert rows["erin"]["seed"] == "15" and rows["erin"]["notebook_seed"] == "11"
    assert "uses the data of seed 11" in rows["erin"]["reasons"]
    assert float(rows["erin"]["ex-two-layer-kkt"]) < dk.exercises.get("ex-two-layer-kkt").points
    assert float(rows["erin"]["ex-two-layer-minnorm"]) == 0


def test_a_dead_kernel_costs_the_answers_not_the_grading(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell('import dualkit as dk\nex = dk.exercises.load("ex-two-layer-kkt")'),
        nbformat.v4.new_code_cell("import os\nos._exit(1)")])
    nb.metadata["dualkit"] = {"chapter": CHAPTER, "seed": 0}
    nbformat.write(nb, tmp_path / "frank.ipynb")
    row = _grading.grade_notebook(tmp_path / "frank.ipynb", timeout=60)
    assert row["points"] == 0 and "kernel died" in row["reasons"]


def test_roster_and_bad_inputs(tmp_path):
    (tmp_path / "r.csv").write_text("student\nann\nben\n")
    seeds = _grading.read_roster(tmp_path / "r.csv")
    assert seeds == {"ann": _grading.seed_for("ann"), "ben": _grading.seed_for("ben")}
    assert seeds["ann"] != seeds["ben"]
    (tmp_path / "bad.csv").write_text("name,seed\nann,1\n")
    with pytest.raises(ValueError, match="'student' column"):
        _grading.read_roster(tmp_path / "bad.csv")
    (tmp_path / "dup.csv").write_text("student,seed\nann,1\nann,2\n")
    with pytest.raises(ValueError, match="twice"):
        _grading.read_roster(tmp_path / "dup.csv")
    # the command says what is wrong with the roster, without a traceback
    assert assignments.main(["build", "--root", str(ROOT), "--out", str(tmp_path / "a"),
                             "--variants", str(tmp_path / "bad.csv")]) == 2
    assert not (tmp_path / "a").exists()
    with pytest.raises(ValueError, match="not a folder"):
        _grading.grade(tmp_path / "nowhere")
    (tmp_path / "subs").mkdir()
    with pytest.raises(ValueError, match="no .ipynb"):
        _grading.grade(tmp_path / "subs")
    (tmp_path / "subs" / "zed.ipynb").write_text("{not json")
    row = _grading.grade(tmp_path / "subs")[0]
    assert row["points"] == 0 and "not a readable notebook" in row["reasons"]


def test_variant_notebooks_load_their_own_data(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("student,seed\nann,3\nben,4\n")
    paths = assignments.build(ROOT, tmp_path / "out", chapters=[CHAPTER], variants=roster)
    ann = nbformat.read(tmp_path / "out" / "student" / "ann" / f"{CHAPTER}.ipynb", as_version=4)
    assert "dk.exercises.set_seed(3)" in ann.cells[1].source
    assert ann.metadata["dualkit"] == {"chapter": CHAPTER, "seed": 3}
    assert (tmp_path / "out" / "roster_seeds.csv").read_text().splitlines()[1:] == ["ann,3", "ben,4"]
    assert len(paths) == 3                       # two students + the instructor notebook
    a, b = (dk.exercises.load("ex-two-layer-kkt", seed=s) for s in (3, 4))
    assert a.X.shape == b.X.shape and not (a.X == b.X).all()


@pytest.mark.slow
def test_a_hanging_cell_is_interrupted_and_the_rest_graded(tmp_path):
    right = solution_code(CHAPTER)["ex-two-layer-kkt"]
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import numpy as np\nimport dualkit as dk"),
        nbformat.v4.new_code_cell("import time\ntime.sleep(600)"),
        nbformat.v4.new_code_cell(right)])
    nb.metadata["dualkit"] = {"chapter": CHAPTER, "seed": 0}
    nbformat.write(nb, tmp_path / "gus.ipynb")
    row = _grading.grade_notebook(tmp_path / "gus.ipynb", timeout=10)
    assert row["ex-two-layer-kkt"] == dk.exercises.get("ex-two-layer-kkt").points
    assert "`minnorm` is not defined" in row["reasons"]
