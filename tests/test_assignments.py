"""Course assignments: student/instructor notebooks, Colab copies, and the student checks."""

import copy
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

import dualkit as dk
from dualkit import _kernel_poll, assignments

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("assignments")
    paths = assignments.build(ROOT, out)
    return out, paths


@pytest.mark.medium
def test_build_writes_student_and_instructor_notebooks_for_every_result_chapter(built):
    out, paths = built
    assert len(paths) == 2 * len(assignments.EXERCISE_CHAPTERS)
    for name in assignments.EXERCISE_CHAPTERS:
        student = nbformat.read(out / "student" / f"{name}.ipynb", as_version=4)
        teacher = nbformat.read(out / "instructor" / f"{name}.ipynb", as_version=4)
        stubs = [c for c in student.cells if "exercise" in c.metadata.get("tags", [])]
        assert len(stubs) >= 2                                    # >= 2 exercises per chapter
        for c in stubs:
            assert "NotImplementedError" in c.source
            assert not set(c.metadata["tags"]) & {"remove-cell", "skip-execution"}
        text_s = "\n".join(c.source for c in student.cells)
        text_t = "\n".join(c.source for c in teacher.cells)
        assert "solution-start" not in text_s and "Solution to" not in text_s
        assert not any("solution" in c.metadata.get("tags", []) for c in student.cells)
        solved = set(re.findall(r"Solution to (Exercise \d+\.\d+)", text_t))
        assert len(solved) == len(stubs)                          # one solution per exercise
        assert solved == set(re.findall(r"^### \[(Exercise \d+\.\d+)\]", text_s, flags=re.M))
        assert not any("exercise" in c.metadata.get("tags", []) for c in teacher.cells)
        assert sum("solution" in c.metadata.get("tags", []) for c in teacher.cells) >= len(stubs)
        assert "{exercise-start}" not in text_s + text_t           # directives turned into text
        assert not any("macros" in c.metadata.get("tags", []) for c in student.cells)
        # an answer cell for the words of each open experiment, after its check
        explain = [i for i, c in enumerate(student.cells)
                   if "explanation" in c.metadata.get("tags", [])]
        assert len(explain) == sum(e.manual > 0 for e in dk.exercises.for_chapter(name))
        assert all("check" in student.cells[i - 1].metadata["tags"] for i in explain)


def test_every_exercise_has_one_stub_and_a_tagged_solution():
    for name in assignments.EXERCISE_CHAPTERS:
        text = (ROOT / "chapters" / f"{name}.md").read_text()
        blocks = text.split("```{exercise-start}")[1:]
        assert len(blocks) >= 2
        for block in blocks:                     # each exercise, up to the next one
            stub, _, solution = block.partition("```{solution-start}")
            assert stub.count(":tags: [exercise, remove-cell, skip-execution]") == 1
            assert "raise NotImplementedError" in stub
            assert solution.split("```{solution-end}")[0].count(":tags: [solution]") >= 1


@pytest.mark.medium
def test_colab_copies_are_in_sync_with_the_sources():
    assert assignments.colab_out_of_date(ROOT) == [], (
        "run: python -m dualkit.assignments colab")
    for name in assignments.NOTEBOOK_CHAPTERS:
        nb = nbformat.read(ROOT / "chapters" / f"{name}.ipynb", as_version=4)
        assert "google.colab" in nb.cells[0].source and "pip" in nb.cells[0].source
        assert not any("exercise" in c.metadata.get("tags", []) for c in nb.cells)


@pytest.mark.medium
def test_colab_check_detects_a_stale_copy(tmp_path):
    (tmp_path / "chapters").mkdir()
    for name in ("_config.yml", "_toc.yml", "references.bib"):    # the label index, the macros
        (tmp_path / name).write_text((ROOT / name).read_text())
    for src in (ROOT / "chapters").glob("*.md"):      # all of them: the links need every label
        (tmp_path / "chapters" / src.name).write_text(src.read_text())
    assignments.write_colab(tmp_path)
    assert assignments.colab_out_of_date(tmp_path) == []
    src = tmp_path / "chapters" / "intro.md"
    src.write_text(src.read_text() + "\nOne more sentence.\n")
    assert assignments.colab_out_of_date(tmp_path) == ["intro"]
    assert assignments.main(["check-colab", "--root", str(tmp_path)]) == 1


def test_unclosed_solution_block_is_an_error():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("```{solution-start} ex\n```\ntext")])
    with pytest.raises(ValueError, match="never closed"):
        assignments.student_notebook(nb, ROOT)


_kernel_poll.install()  # a missed ZeroMQ wake-up costs a second, not the cell timeout


def _execute(nb, tries: int = 2):
    """Run a notebook; a kernel that stops answering costs one cell timeout (120 s: no cell of
    a chapter takes a minute) and one retry with a new kernel, not the whole run."""
    for attempt in range(tries):
        run = copy.deepcopy(nb)
        try:
            NotebookClient(run, timeout=120, kernel_name="python3", allow_errors=True,
                           resources={"metadata": {"path": str(ROOT / "chapters")}}).execute()
            return run
        except (CellTimeoutError, DeadKernelError):
            if attempt == tries - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


@pytest.mark.slow
@pytest.mark.parametrize("name", assignments.EXERCISE_CHAPTERS)
def test_student_notebook_fails_only_with_not_implemented_in_exercise_cells(built, name):
    out, _ = built
    nb = _execute(nbformat.read(out / "student" / f"{name}.ipynb", as_version=4))
    errors = [(c.metadata.get("tags", []), o) for c in nb.cells if c.cell_type == "code"
              for o in c.get("outputs", []) if o.output_type == "error"]
    stubs = sum("exercise" in c.metadata.get("tags", []) for c in nb.cells)
    assert len(errors) == stubs
    for tags, out_ in errors:
        assert out_.ename == "NotImplementedError" and "exercise" in tags


# ---------------------------------------------------------------- dk.check
def test_check_dual_point_accepts_and_rejects_with_reason(capsys):
    X, y = dk.data.gaussian(n=20, d=5, seed=0)
    prob = dk.TwoLayerLinear(X, y, beta=0.5 * np.linalg.norm(X.T @ y))
    sol = prob.solve()
    assert dk.check.dual_point(prob, sol.dual)
    assert "dual feasible" in capsys.readouterr().out
    bad = dk.check.dual_point(prob, 3 * sol.dual)
    assert not bad and "‖Xᵀλ‖₂ = " in bad.message and "exceeds β" in bad.message
    assert not dk.check.dual_point(prob, sol.dual[:-1], quiet=True)
    assert not dk.check.dual_point(prob, np.full_like(sol.dual, np.nan), quiet=True)
    # the other problems
    x, y1 = dk.data.zigzag(8)
    p1 = dk.ReLU1D(x, y1, 0.1)
    s1 = p1.solve()
    assert dk.check.dual_point(p1, s1.dual, quiet=True)
    assert not dk.check.dual_point(p1, s1.dual + 1.0, quiet=True)       # 1^T lam != 0
    assert not dk.check.dual_point(p1, 5 * s1.dual, quiet=True)
    Xr, yr = dk.data.rank_one(10, 3)
    pr = dk.RankOneReLU(Xr, yr, 0.5, depth=3)
    sr = pr.solve()
    assert dk.check.dual_point(pr, sr.dual, quiet=True)
    assert not dk.check.dual_point(pr, 2 * sr.dual, quiet=True)
    pd = dk.DeepLinear(X, y, 1.0, depth=3, t=1.5)
    assert dk.check.dual_point(pd, pd.solve().dual, quiet=True)


def test_check_value_weights_rank_and_close_never_print_the_answer(capsys):
    X, y = dk.data.gaussian(n=20, d=5, seed=1)
    prob = dk.TwoLayerLinear(X, y, beta=1.0)
    sol = prob.solve()
    assert dk.check.optimal_value(prob, sol.value)
    wrong = dk.check.optimal_value(prob, 1.01 * sol.value)
    assert not wrong and "too high" in wrong.message
    low = dk.check.optimal_value(prob, 0.9 * sol.value)
    assert not low and "too low" in low.message
    printed = capsys.readouterr().out
    assert f"{sol.value:.10g}" not in printed.replace(f"{sol.value:.10g} is the optimal", "")
    assert dk.check.optimal_weights(prob, sol.weights)
    net = prob.network(4, seed=0)
    assert not dk.check.optimal_weights(prob, net, quiet=True)
    assert not dk.check.optimal_weights(prob, [np.ones((3, 2)), np.ones(2)], quiet=True)
    assert dk.check.rank_one(np.outer([1.0, 2.0], [3.0, 1.0]), quiet=True)
    assert not dk.check.rank_one(np.eye(2), quiet=True)
    ok = dk.check.close([1.0, 2.0], lambda: np.array([1.0, 2.0 + 1e-9]), quiet=True)
    assert ok
    off = dk.check.close([1.0, 2.5], lambda: np.array([1.0, 2.0]), name="kappa", quiet=True)
    assert not off and "2.0" not in off.message
    assert not dk.check.optimal_value(prob, "twelve", quiet=True)


def test_every_notebook_page_has_a_colab_copy():
    pages = sorted(p.stem for p in (ROOT / "chapters").glob("*.md") if "kernelspec:" in p.read_text())
    assert pages == sorted(assignments.NOTEBOOK_CHAPTERS)


def test_check_edge_cases_found_in_review():
    X, y = dk.data.gaussian(n=20, d=5, seed=2)
    Xs, ys = dk.data.gaussian(n=5, d=10, seed=2)               # n < d: interpolation possible
    deep0 = dk.DeepLinear(Xs, ys, 0.0, depth=3, t=1.5)        # beta = 0: bound 1, not 0
    assert dk.check.dual_point(deep0, deep0.solve().dual, quiet=True)
    yl = np.where(y > 0, 1.0, -1.0)
    hinge = dk.TwoLayerLinear(X, yl, 2.0, loss="hinge")
    lam = hinge.solve().dual
    assert dk.check.dual_point(hinge, lam, quiet=True)
    outside = dk.check.dual_point(hinge, -lam, quiet=True)     # norm fine, conjugate domain not
    assert not outside and "domain" in outside.message
    prob = dk.TwoLayerLinear(X, y, 1.0)
    assert dk.check.dual_point(prob, np.zeros_like(y), quiet=True)              # feasible ...
    assert not dk.check.dual_point(prob, np.zeros_like(y), optimal=True, quiet=True)  # ... not optimal
    assert dk.check.dual_point(prob, prob.solve().dual, optimal=True, quiet=True)
    x = np.array([0.5, 1.0, 2.0, 3.5])
    zero = dk.ReLU1D(x, 2 * x, 0.0, skip=True)                 # optimum exactly 0
    assert dk.check.optimal_value(zero, 1e-15, quiet=True)
    assert not dk.check.optimal_value(zero, 0.1, quiet=True)
    wrong = dk.check.optimal_value(prob, 2 * prob.solve().value, hint=False, quiet=True)
    assert not wrong and "too" not in wrong.message
    assert dk.check.close([1e-17, 1.0], lambda: np.array([0.0, 1.0]), quiet=True)
    assert not dk.check.rank_one(np.zeros((3, 2)), quiet=True)
    bad = dk.check.dual_point(dk.ReLU1D(x, x**2, 0.1, skip=True), np.ones(4), quiet=True)
    assert not bad and "xᵀλ" in bad.message


def test_the_command_finds_the_book_root_or_says_how(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(ROOT / "chapters")                   # inside the repository: found
    assert assignments.find_root() == ROOT
    monkeypatch.chdir(tmp_path)                            # outside it: a message, not a traceback
    assert assignments.main(["build"]) == 2
    assert "--root" in capsys.readouterr().err
    assert assignments.main(["check-colab", "--root", str(tmp_path)]) == 2
