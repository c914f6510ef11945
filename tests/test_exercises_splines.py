"""The 1-D spline chapter's exercises: stubs lose every point, plausible mistakes lose
points, the chapter's solutions earn every point on the book's data and on another variant."""

from pathlib import Path

import numpy as np
import pytest

import dualkit as dk

ROOT = Path(__file__).resolve().parents[1]
LABELS = ["ex-splines-certificate", "ex-splines-collinear", "ex-splines-width"]


def earned(label, answer, seed=0):
    return dk.exercises.get(label).score(answer, seed)


def full(label):
    return dk.exercises.get(label).points


def failed(label, answer, seed=0, public=None):
    return dk.exercises.get(label).failed(answer, seed, public)


# ---------------------------------------------------------------- the chapter's solutions
def certificate_solution(ex):
    f_net = ex.net.weights().forward(ex.prob.X).ravel()
    lam = ex.prob.feasible_dual(ex.y - f_net)
    return {"lam": lam,
            "certified_gap": ex.prob.objective(ex.net) - ex.prob.dual_objective(lam),
            "exact_gap": ex.prob.gap(ex.net)}


def collinear_solution(ex):
    lam = np.zeros_like(ex.x)
    lam[[0, -1]] = np.array([-1.0, 1.0]) / (ex.x[-1] - ex.x[0])
    return {"no_skip": [dk.ReLU1D(ex.x, mu * ex.x, 0.0).solve().value for mu in ex.mus],
            "skip": [dk.ReLU1D(ex.x, mu * ex.x, 0.0, skip=True).solve().value
                     for mu in ex.mus],
            "lam": lam}


def width_solution(ex, train=True):
    gaps = {}
    for width in ex.widths:
        runs = []
        for s in ex.seeds:
            net = ex.prob.network(width, seed=s)
            if train:
                dk.train(net, ex.prob, steps=ex.steps, lr=ex.lr, progress=False)
            runs.append(ex.prob.relative_gap(net))
        gaps[width] = min(runs)
    return gaps


def test_exercises_are_registered_in_book_order_with_their_chapter():
    exs = dk.exercises.for_chapter("splines_1d")
    assert [e.label for e in exs] == LABELS
    assert [e.kind for e in exs] == ["numerical check", "derivation + code", "open experiment"]
    assert exs[2].manual > 0 and exs[2].rubric
    for e in exs:
        assert any(t.public for t in e.tests) and any(not t.public for t in e.tests)


@pytest.mark.parametrize("seed", [0, pytest.param(7, marks=pytest.mark.slow)])
def test_certificate_solution_earns_every_point(seed):
    ex = dk.exercises.load("ex-splines-certificate", seed=seed)
    ans = certificate_solution(ex)
    assert earned("ex-splines-certificate", ans, seed) == full("ex-splines-certificate")
    assert ans["certified_gap"] > ans["exact_gap"] > 0     # the question's answer: larger


@pytest.mark.parametrize("seed", [0, 7])
def test_collinear_solution_earns_every_point(seed):
    ex = dk.exercises.load("ex-splines-collinear", seed=seed)
    assert earned("ex-splines-collinear", collinear_solution(ex), seed) == full(
        "ex-splines-collinear")


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 7])
def test_width_solution_earns_every_point(seed):
    ex = dk.exercises.load("ex-splines-width", seed=seed)
    assert earned("ex-splines-width", width_solution(ex), seed) == full("ex-splines-width")


def test_seed_zero_is_the_chapters_data():
    x, y = dk.data.zigzag(8, seed=0)
    for label in ("ex-splines-certificate", "ex-splines-width"):
        ex = dk.exercises.load(label, seed=0)
        assert np.array_equal(ex.x, x) and np.array_equal(ex.y, y) and ex.prob.beta == 1e-2
    ex = dk.exercises.load("ex-splines-collinear", seed=0)
    assert np.array_equal(ex.x, [0.5, 1.0, 2.0, 3.5]) and np.array_equal(ex.mus, [-2, 0.5, 3])


def test_other_seeds_give_valid_collinear_instances():
    for seed in range(1, 30):
        ex = dk.exercises.load("ex-splines-collinear", seed=seed)
        assert np.all(np.diff(ex.x) >= 0.2) and 4 <= ex.x.size <= 7
        assert (ex.mus < 0).sum() == 1 and np.abs(ex.mus).min() >= 0.3


# ---------------------------------------------------------------- plausible mistakes
def test_certificate_raw_residual_is_not_feasible():
    ex = dk.exercises.load("ex-splines-certificate")
    ans = certificate_solution(ex)
    ans["lam"] = ex.y - ex.net.weights().forward(ex.prob.X).ravel()   # forgot feasible_dual
    assert "lam is dual feasible" in failed("ex-splines-certificate", ans, public=True)


def test_certificate_from_the_exact_dual_is_not_the_networks_own():
    ex = dk.exercises.load("ex-splines-certificate")
    lam = ex.prob.solve().dual                                    # the solver's λ*, not the net's
    ans = {"lam": lam, "exact_gap": ex.prob.gap(ex.net),
           "certified_gap": ex.prob.objective(ex.net) - ex.prob.dual_objective(lam)}
    assert failed("ex-splines-certificate", ans) == {"lam comes from the network residual"}


def test_certificate_relative_gaps_instead_of_absolute_fail():
    ex = dk.exercises.load("ex-splines-certificate")
    ans = certificate_solution(ex)
    ans["exact_gap"] = ex.prob.relative_gap(ex.net)
    assert "exact gap is the gap to the dual optimum" in failed("ex-splines-certificate", ans)
    ans = certificate_solution(ex)
    ans["certified_gap"] /= ex.prob.dual_objective(ans["lam"])
    assert "certified gap is computed from lam" in failed("ex-splines-certificate", ans,
                                                          public=True)


def test_collinear_signed_slope_and_swapped_costs_fail():
    ex = dk.exercises.load("ex-splines-collinear")
    ans = collinear_solution(ex)
    ans["no_skip"] = list(ex.mus)                             # μ instead of |μ|
    assert "costs have the right form" in failed("ex-splines-collinear", ans, public=True)
    assert "no skip costs are abs mu" in failed("ex-splines-collinear", ans)
    ans = collinear_solution(ex)
    ans["no_skip"], ans["skip"] = ans["skip"], ans["no_skip"]
    assert {"costs have the right form", "no skip costs are abs mu", "skip costs vanish"} <= set(
        failed("ex-splines-collinear", ans))


def test_collinear_dual_points_that_a_student_might_try_fail():
    ex = dk.exercises.load("ex-splines-collinear")
    ans = collinear_solution(ex)
    ans["lam"] = ex.x / (ex.x @ ex.x)                         # λᵀx = 1 but 1ᵀλ ≠ 0
    assert "lam is dual feasible" in failed("ex-splines-collinear", ans, public=True)
    ans["lam"] = 0.5 * collinear_solution(ex)["lam"]          # feasible, value 1/2 only
    assert failed("ex-splines-collinear", ans) == {"lam certifies cost one"}


def test_width_untrained_networks_or_string_keys_fail():
    ex = dk.exercises.load("ex-splines-width")
    untrained = width_solution(ex, train=False)                # forgot dk.train
    assert "the widest network comes close" in failed("ex-splines-width", untrained)
    assert earned("ex-splines-width", {str(w): 0.1 for w in ex.widths}) == 0
    assert earned("ex-splines-width", {10: 0.05, 50: 0.2, 200: 1.5}) == 1   # reversed
    assert "the widest network comes close" in failed("ex-splines-width",
                                                      {10: 0.05, 50: 0.2, 200: 1.5})


# ---------------------------------------------------------------- the chapter side
def test_every_exercise_has_one_stub_a_tagged_solution_and_a_check_cell():
    text = (ROOT / "chapters" / "splines_1d.md").read_text()
    blocks = text.split("```{exercise-start}")[1:]
    assert len(blocks) == len(LABELS)
    for label, block in zip(LABELS, blocks, strict=True):
        assert f":label: {label}" in block.split("```{exercise-end}")[0]
        stub, _, solution = block.partition("```{solution-start}")
        assert stub.count(":tags: [exercise, remove-cell, skip-execution]") == 1
        assert "raise NotImplementedError" in stub
        answer = dk.exercises.get(label).answer
        assert f"{answer} = dk.exercises.NOT_ANSWERED" in stub
        sol, _, after = solution.partition("```{solution-end}")
        assert sol.count(":tags: [solution]") >= 1 and f'dk.exercises.load("{label}")' in sol
        check = after.split("```{code-cell} ipython3", 1)[1].split("```", 1)[0]
        assert f'dk.exercises.check("{label}", {answer})' in check and "[check]" in check
