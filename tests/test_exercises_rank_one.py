"""The exercises of the rank-one deep ReLU chapter: unanswered, wrong and right answers."""

import numpy as np
import pytest

import dualkit as dk
from dualkit.exercises.rank_one_relu import _mixed_network, _mixed_reference


def earned(label, answer, seed=0):
    return dk.exercises.get(label).score(answer, seed)


def failed(label, answer, seed=0, public=None):
    return dk.exercises.get(label).failed(answer, seed, public)


LABELS = ["ex-rank-one-threshold", "ex-rank-one-scaling", "ex-rank-one-mixed"]


# ---------------------------------------------------------------- ex-rank-one-threshold
def threshold_solution(seed, power=-2):
    """The chapter's solution; ``power=-1`` is the mistake t^(L-1)."""
    ex = dk.exercises.load("ex-rank-one-threshold", seed=seed)
    U, S, Vt = np.linalg.svd(ex.X, full_matrices=False)
    c, a = S[0] * U[:, 0], Vt[0]
    out = {}
    for L in ex.depths:
        bmax = ex.t ** (L + power) * np.linalg.norm(a) * abs(c @ ex.y)
        out[L] = {"beta_max": bmax, **{
            side: dk.RankOneReLU(ex.X, ex.y, f * bmax, depth=L, t=ex.t).solve().info["kappa"]
            for side, f in (("below", 0.999), ("above", 1.001))}}
    return out


@pytest.mark.parametrize("seed", [0, 7])
def test_threshold_solution_gets_full_points(seed):
    assert earned("ex-rank-one-threshold", threshold_solution(seed), seed) == 3


def test_threshold_seed_zero_is_the_experiments_data():
    ex = dk.exercises.load("ex-rank-one-threshold", seed=0)
    X, y = dk.data.rank_one(n=50, d=10, seed=1)
    assert np.array_equal(ex.X, X) and np.array_equal(ex.y, y) and ex.t == 1.3


def test_threshold_wrong_power_of_t_loses_every_point():
    assert earned("ex-rank-one-threshold", threshold_solution(0, power=-1)) == 0
    # right thresholds, but κ* read from a solve at the threshold itself (zero) as "below"
    right = threshold_solution(0)
    zero_below = {L: {**v, "below": 0.0} for L, v in right.items()}
    assert failed("ex-rank-one-threshold", zero_below) == {
        "the network is zero exactly above", "kappa below is right"}


# ---------------------------------------------------------------- ex-rank-one-scaling
RIGHT_SCALING = {"data": 1, "bound": 3, "targets": (1, 2)}


@pytest.mark.parametrize("seed", [0, 7])
def test_scaling_solution_gets_full_points(seed):
    ex = dk.exercises.load("ex-rank-one-scaling", seed=seed)
    ans = {"data": 1, "bound": ex.depth - 2, "targets": (1, 2)}
    assert ans == RIGHT_SCALING
    assert earned("ex-rank-one-scaling", ans, seed) == 4


def test_scaling_seed_zero_is_the_experiments_problem():
    ex = dk.exercises.load("ex-rank-one-scaling", seed=0)
    X, y = dk.data.rank_one(n=50, d=10, seed=1)
    bmax = dk.RankOneReLU.beta_max_for(X, y, depth=5, t=1.0)
    assert np.array_equal(ex.X, X) and ex.depth == 5 and ex.t == 1.0
    assert ex.beta == pytest.approx(0.05 * bmax, rel=1e-12)


def test_scaling_old_answer_and_wrong_derivations_lose_points():
    """The old exercise compared P* for X built from (μc, a/μ): one matrix, so the values were
    equal by construction and any answer passed. Its conclusion, 'the scale does not matter',
    is the exponent p = 0, and it now fails; so do the usual slips."""
    old = [{r"$\mu$": mu, r"$P^\star$": 1.0} for mu in (0.1, 1.0, 7.0)]
    assert earned("ex-rank-one-scaling", old) == 0
    assert failed("ex-rank-one-scaling", {**RIGHT_SCALING, "data": 0}) == {
        "data exponent is right"}
    assert failed("ex-rank-one-scaling", {**RIGHT_SCALING, "data": 2}) == {
        "data exponent is right"}
    assert failed("ex-rank-one-scaling", {**RIGHT_SCALING, "bound": 4}) == {   # L - 1
        "bound exponent is right"}
    assert failed("ex-rank-one-scaling", {**RIGHT_SCALING, "targets": (2, 2)}) == {
        "target exponents are right"}
    assert failed("ex-rank-one-scaling", {**RIGHT_SCALING, "targets": (1, 1)}) == {
        "target exponents are right"}


# ---------------------------------------------------------------- ex-rank-one-mixed
def mixed_solution(seed):
    ex = dk.exercises.load("ex-rank-one-mixed", seed=seed)
    out = {}
    for rho in ex.rhos:
        y_rho = ex.c_plus + rho * ex.c_minus + ex.eps
        p = dk.RankOneReLUMixed(ex.X, y_rho, beta=0.05 * abs(ex.c @ y_rho), t=ex.t)
        out[rho] = {"primal": p.solve().value, "dual": p.lower_bound()}
    return out


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 7])
def test_mixed_solution_gets_full_points_and_the_dual_as_primal_does_not(seed):
    ans = mixed_solution(seed)
    assert earned("ex-rank-one-mixed", ans, seed) == 3
    # the Lagrangian dual taken for the primal: no gap anywhere, wrong where signs differ
    dual_only = {r: {"primal": v["dual"], "dual": v["dual"]} for r, v in ans.items()}
    assert failed("ex-rank-one-mixed", dual_only, seed) == {"primal values are right"}
    # a primal below the dual breaks weak duality (public check)
    swapped = {r: {"primal": v["dual"] * 0.9, "dual": v["dual"]} for r, v in ans.items()}
    assert "primal is not below dual" in failed("ex-rank-one-mixed", swapped, seed)


def test_mixed_seed_zero_is_the_chapters_example():
    ex = dk.exercises.load("ex-rank-one-mixed", seed=0)
    X, y = dk.data.rank_one(n=20, d=5, seed=0, mixed_sign=True)
    chapter = dk.RankOneReLUMixed(X, y, beta=1.0)
    assert np.array_equal(ex.X, X) and np.array_equal(ex.c_plus, chapter.c_plus)
    assert np.array_equal(ex.eps, 0.05 * np.random.default_rng(0).standard_normal(20))


def test_mixed_reference_is_certified_without_the_dual():
    """The grader's P* is the objective of an explicit network (an upper bound needing no
    dual); the dual certifies it only where strong duality holds (rho >= 0 here), and the
    gap is real where the fit needs opposite signs."""
    ex = dk.exercises.load("ex-rank-one-mixed", seed=0)
    ref = _mixed_reference(ex)
    for rho, v in ref.items():
        gap = (v["primal"] - v["dual"]) / v["dual"]
        assert gap >= -1e-7                                 # weak duality
        assert (gap <= 1e-6) if rho >= 0 else (gap >= 0.05)


@pytest.mark.parametrize("alpha,gamma", [(1.0, 0.5), (-1.0, -0.3), (0.0, -2.0), (1.0, -0.5),
                                         (-0.2, 3.0), (0.0, 0.0)])
def test_mixed_network_outputs_and_costs_what_the_formula_says(alpha, gamma):
    ex = dk.exercises.load("ex-rank-one-mixed", seed=0)
    prob = dk.RankOneReLUMixed(ex.X, ex.c_plus + ex.eps, beta=0.3, t=1.7)
    W = _mixed_network(prob, alpha, gamma)
    assert np.linalg.norm(W[0]) == pytest.approx(prob.t, rel=1e-12)
    assert np.allclose(W.forward(prob.X), alpha * prob.c_plus + gamma * prob.c_minus,
                       rtol=0, atol=1e-12)
    decay = 0.5 * (np.sum(W[1] ** 2) + np.sum(W[2] ** 2))
    assert decay == pytest.approx(prob.cost(alpha, gamma) / prob.t, rel=1e-12, abs=1e-15)
