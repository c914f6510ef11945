"""The preliminaries chapter's exercises: stubs lose every point, plausible mistakes lose
points, the chapter's solutions earn every point on the book's data and on another variant."""

from pathlib import Path

import numpy as np
import pytest

import dualkit as dk

ROOT = Path(__file__).resolve().parents[1]
LABELS = ["ex-prelim-rescaling", "ex-prelim-zero"]


def earned(label, answer, seed=0):
    return dk.exercises.get(label).score(answer, seed)


def full(label):
    return dk.exercises.get(label).points


def failed(label, answer, seed=0, public=None):
    return dk.exercises.get(label).failed(answer, seed, public)


# ---------------------------------------------------------------- the chapter's solutions
def rescaling_solution(ex):
    alphas = np.sqrt(np.abs(ex.w2) / np.linalg.norm(ex.W1, axis=0))
    W1b, w2b = ex.W1 * alphas, ex.w2 / alphas
    return {"W1": W1b, "w2": w2b, "penalty": 0.5 * (np.sum(W1b**2) + w2b @ w2b)}


def zero_solution(ex):
    g = np.linalg.norm(ex.X.T @ ex.y)
    t = min(1.0, ex.beta / g)
    return {"t": t, "bound": ex.prob.dual_objective(t * ex.y), "beta_zero": g}


SOLUTIONS = {"ex-prelim-rescaling": rescaling_solution, "ex-prelim-zero": zero_solution}


def test_exercises_are_registered_in_book_order_with_their_chapter():
    exs = dk.exercises.for_chapter("preliminaries")
    assert [e.label for e in exs] == LABELS
    for e in exs:
        assert e.kind in ("numerical check", "derivation + code") and e.minutes > 0
        assert any(t.public for t in e.tests) and any(not t.public for t in e.tests)


@pytest.mark.parametrize("label", LABELS)
@pytest.mark.parametrize("seed", [0, 7])
def test_the_chapters_solution_earns_every_point(label, seed):
    ex = dk.exercises.load(label, seed=seed)
    assert earned(label, SOLUTIONS[label](ex), seed) == full(label)


def test_seed_zero_is_the_chapters_data():
    X, y = dk.data.gaussian(n=50, d=10, seed=0)
    ex = dk.exercises.load("ex-prelim-zero", seed=0)
    assert np.array_equal(ex.X, X) and np.array_equal(ex.y, y) and ex.beta == 0.5
    assert np.array_equal(dk.exercises.load("ex-prelim-rescaling", seed=0).X, X)


# ---------------------------------------------------------------- plausible mistakes
def test_rescaling_one_alpha_for_the_whole_network_fails_the_hidden_tests():
    ex = dk.exercises.load("ex-prelim-rescaling")
    a = np.sqrt(np.linalg.norm(ex.w2) / np.linalg.norm(ex.W1))   # balances only the layers
    W1, w2 = a * ex.W1, ex.w2 / a
    ans = {"W1": W1, "w2": w2, "penalty": 0.5 * (np.sum(W1**2) + w2 @ w2)}
    assert failed("ex-prelim-rescaling", ans, public=True) == set()   # looks fine to the student
    assert set(failed("ex-prelim-rescaling", ans)) == {"every neuron is balanced",
                                                       "penalty is the group penalty"}


def test_rescaling_unit_neurons_change_the_function():
    ex = dk.exercises.load("ex-prelim-rescaling")
    n = np.linalg.norm(ex.W1, axis=0)
    ans = {"W1": ex.W1 / n, "w2": ex.w2, "penalty": 1.0}     # normalised, w2 not compensated
    assert "every neuron is a positive rescaling" in failed("ex-prelim-rescaling", ans)
    assert earned("ex-prelim-rescaling", ans) == 0


def test_rescaling_malformed_answer_costs_points_not_a_crash():
    assert earned("ex-prelim-rescaling", {"W1": np.zeros(3), "w2": 1, "penalty": "x"}) == 0
    assert earned("ex-prelim-rescaling", [1, 2, 3]) == 0


def test_zero_t_one_ignores_the_constraint_and_fails():
    ex = dk.exercises.load("ex-prelim-zero")
    ans = {"t": 1.0, "bound": 0.5 * ex.y @ ex.y, "beta_zero": np.linalg.norm(ex.X.T @ ex.y)}
    assert "t gives a dual feasible point" in failed("ex-prelim-zero", ans, public=True)
    assert earned("ex-prelim-zero", ans) < full("ex-prelim-zero")


def test_zero_wrong_norm_for_the_threshold_fails():
    ex = dk.exercises.load("ex-prelim-zero")
    ans = zero_solution(ex)
    ans["beta_zero"] = np.abs(ex.X.T @ ex.y).max()          # ∞-norm: the lasso's threshold
    assert failed("ex-prelim-zero", ans) == {"beta zero is the dual norm of y"}
    ans = zero_solution(ex)
    ans["t"] = 0.5 * ans["t"]                                # feasible but not the best
    ans["bound"] = ex.prob.dual_objective(ans["t"] * ex.y)
    assert failed("ex-prelim-zero", ans) == {"t is the best scaling"}


def test_zero_bound_is_a_lower_bound_and_beta_zero_is_beta_max():
    for seed in (0, 7):
        ex = dk.exercises.load("ex-prelim-zero", seed=seed)
        ans = zero_solution(ex)
        assert ans["bound"] <= ex.prob.solve().value
        assert abs(ans["beta_zero"] / ex.prob.beta_max - 1) < 1e-12
        above = dk.TwoLayerLinear(ex.X, ex.y, beta=ans["beta_zero"] * (1 + 1e-6)).solve()
        assert np.linalg.norm(above.w) == 0 or np.linalg.norm(above.w) < 1e-9
