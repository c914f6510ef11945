"""Two-layer ReLU classification (issue 21): ``TwoLayerReLU(..., loss="hinge" | "logistic")``
is certified like the squared loss. Every claim computes both sides: the solve against an
independent cvxpy program of the primal restricted to independently found activation patterns,
against weak duality (random and trained networks stay above the dual bound), and the zero
threshold ``beta_max`` from both sides. Also the sampling warning and the verbose progress of
the working-set solver."""

from __future__ import annotations

import warnings

import cvxpy as cp
import numpy as np
import pytest

import dualkit as dk
from dualkit.losses import get_loss
from dualkit.problems.two_layer_relu import SampledPatternsWarning

LOSSES = ("hinge", "logistic")
BIASES = ("regularized", "free", "none")


@pytest.fixture(scope="module")
def data():
    X, y = dk.data.sine_features(8, d=2, seed=0)
    labels = np.where(y >= 0, 1.0, -1.0)
    assert labels.sum() == 0            # balanced classes: beta_max is exact for every bias
    return X, labels


def sampled_patterns(M: np.ndarray, samples: int = 200_000) -> np.ndarray:
    """Activation patterns 1[M g >= 0] of many Gaussian directions: independent of dualkit's
    enumeration (on 8 points in the plane they find every cell)."""
    G = np.random.default_rng(123).standard_normal((M.shape[1], samples))
    D = (M @ G) >= 0
    return np.unique(D.T, axis=0).T


def reference_value(X, y, beta, bias, loss) -> float:
    r"""The convex program written from scratch in cvxpy: with :math:`M=[X\ 1]` (regularized
    and free) or X (none) and every pattern of M, min loss(sum_i D_i M (v_i - w_i) [+ b0]) +
    beta sum_i (|v_i| + |w_i|) s.t. (2D_i - 1) M v_i >= 0, same for w_i; with a free hidden bias
    only the X-part of v_i is penalised (a neuron alpha (x'u + b)_+ costs beta |u| |alpha|) and
    b0 is free."""
    n, d = X.shape
    M = X if bias == "none" else np.column_stack([X, np.ones(n)])
    D = sampled_patterns(M).astype(float)
    P = D.shape[1]
    V, W = cp.Variable((M.shape[1], P)), cp.Variable((M.shape[1], P))
    pred = cp.sum(cp.multiply(D, M @ (V - W)), axis=1)
    pen = V if bias != "free" else V[:d, :]
    penw = W if bias != "free" else W[:d, :]
    if bias == "free":
        b0 = cp.Variable()
        pred = pred + b0
    reg = cp.sum(cp.norm(pen, 2, axis=0)) + cp.sum(cp.norm(penw, 2, axis=0))
    cons = [cp.multiply(2 * D - 1, M @ V) >= 0, cp.multiply(2 * D - 1, M @ W) >= 0]
    prob = cp.Problem(cp.Minimize(get_loss(loss).cvxpy_value(pred, y) + beta * reg), cons)
    prob.solve(solver="CLARABEL")
    assert prob.status == cp.OPTIMAL
    return float(prob.value)


@pytest.mark.medium
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("bias", BIASES)
def test_certified_and_equal_to_an_independent_program(data, loss, bias):
    X, y = data
    prob = dk.TwoLayerReLU(X, y, 0.1, bias=bias, loss=loss)
    assert prob.exact
    sol = prob.solve()
    assert sol.method == "cvxpy" and sol.certified
    assert sol.value >= sol.dual_value - 1e-12 * abs(sol.value)
    ref = reference_value(X, y, 0.1, bias, loss)
    assert sol.value == pytest.approx(ref, rel=1e-6)
    # the returned network attains the value, and its dual point is feasible
    assert prob.objective(sol.weights) == pytest.approx(sol.value, rel=1e-12)
    assert prob.dual_objective(sol.dual) == pytest.approx(sol.dual_value, rel=1e-12)
    # the patterns the reference found independently are the ones dualkit enumerated
    if bias != "free":
        # (sampling may miss a thin cell, which the equal values show does not matter here)
        ref_patterns = {tuple(c) for c in sampled_patterns(prob.M).T}
        enumerated = {tuple(c) for c in prob.blocks.D.T}
        assert ref_patterns <= enumerated and len(ref_patterns) >= 0.9 * len(enumerated)


@pytest.mark.medium
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("bias", BIASES)
def test_weak_duality_for_random_and_trained_networks(data, loss, bias):
    X, y = data
    prob = dk.TwoLayerReLU(X, y, 0.1, bias=bias, loss=loss)
    bound = prob.solve().dual_value
    for seed in range(5):
        net = prob.network(width=20, seed=seed)
        assert prob.objective(net) >= bound
    net = prob.network(width=30, seed=0)
    hist = dk.train(net, prob, steps=600, lr=1e-2, progress=False)
    assert hist.bound == pytest.approx(bound, rel=1e-12)
    assert np.all(hist.objective >= bound * (1 - 1e-12))
    assert np.all(hist.gap >= -1e-12 * abs(bound))
    # training gets close: the bound is not loose
    assert hist.final_objective <= bound * 1.2 + 1e-3


@pytest.mark.medium
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("bias", BIASES)
def test_beta_max_from_both_sides(data, loss, bias):
    X, y = data
    bm = dk.TwoLayerReLU.beta_max_for(X, y, bias=bias, loss=loss)
    prob = dk.TwoLayerReLU(X, y, bm, bias=bias, loss=loss)
    assert prob.beta_max == pytest.approx(bm, rel=1e-12)
    ell = get_loss(loss)
    # the zero network's value: loss at the best constant (free output bias) or at 0
    if bias == "free":
        zero = min(ell.value(np.full(len(y), c), y) for c in np.linspace(-3, 3, 60001))
    else:
        zero = ell.value(np.zeros(len(y)), y)
    above = prob.with_beta(bm * 1.001).solve()
    assert above.certified and "trivial" in above.info
    assert not np.any(above.weights[0]) and not np.any(above.weights[1])
    assert above.value == pytest.approx(zero, rel=1e-6)
    assert reference_value(X, y, bm * 1.001, bias, loss) == pytest.approx(zero, rel=1e-6)
    below = prob.with_beta(bm * 0.95).solve()
    assert below.certified and "trivial" not in below.info
    assert np.any(below.weights[1])
    ref = reference_value(X, y, bm * 0.95, bias, loss)
    assert below.value == pytest.approx(ref, rel=1e-6)
    assert ref < zero * (1 - 1e-6)          # a nonzero network is strictly better


@pytest.mark.medium
def test_squared_loss_beta_max_from_both_sides(data):
    X, _ = data
    y = dk.data.sine_features(8, d=2, seed=0)[1]
    prob = dk.TwoLayerReLU(X, y, 1.0)
    bm = prob.beta_max
    above = prob.with_beta(bm * 1.001).solve()
    assert above.certified and "trivial" in above.info
    assert above.value == pytest.approx(0.5 * float(y @ y), rel=1e-12)
    below = prob.with_beta(bm * 0.95).solve()
    assert below.certified and below.value < 0.5 * float(y @ y) * (1 - 1e-6)


def test_losses_refused_with_a_clear_message(data):
    X, y = data
    with pytest.raises(ValueError, match="supports the losses 'squared', 'hinge', 'logistic'"):
        dk.TwoLayerReLU(X, np.eye(2)[(y > 0).astype(int)], 0.1, loss="cross_entropy")
    with pytest.raises(ValueError, match="labels in"):
        dk.TwoLayerReLU(X, (y + 1) / 2, 0.1, loss="hinge")
    with pytest.raises(ValueError, match="working-set solver is for the squared loss"):
        dk.TwoLayerReLU(X, y, 0.1, loss="hinge").solve(method="working_set")
    with pytest.raises(ValueError, match="needs both labels"):
        dk.TwoLayerReLU(X, np.ones(len(y)), 0.1, bias="free", loss="logistic")


def test_dual_constraint_names_the_loss_domain(data):
    X, y = data
    prob = dk.TwoLayerReLU(X, y, 0.1, loss="hinge")
    c = prob.dual_constraint(-y)            # y_i lam_i = -1: outside [0, 1]
    assert not c.holds and "hinge" in c.condition
    assert prob.dual_objective(-y) == -np.inf


@pytest.mark.medium
def test_auto_sampling_warns_and_explicit_sampling_does_not():
    X, y = dk.data.sine_features(300, d=6, seed=0)
    with pytest.warns(SampledPatternsWarning) as rec:
        prob = dk.TwoLayerReLU(X, y, 0.1)
    msg = str(rec[0].message)
    assert f"{prob.blocks.size} patterns were sampled" in msg
    for part in ("upper bound", "not certified", "patterns='exact'", "simplefilter"):
        assert part in msg
    assert not prob.exact
    assert issubclass(SampledPatternsWarning, UserWarning)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dk.TwoLayerReLU(X, y, 0.1, patterns=500)
        dk.TwoLayerReLU(X[:8, :2], y[:8], 0.1)            # enumerated: no warning


@pytest.mark.medium
def test_verbose_prints_the_rounds_and_info_keeps_them(capsys):
    X, y = dk.data.sine_features(20, d=2, seed=0)
    prob = dk.TwoLayerReLU(X, y, 1e-2)
    quiet = prob.solve()
    assert capsys.readouterr().out == ""
    rounds = quiet.info["progress"]
    assert len(rounds) == quiet.info["rounds"]
    # without verbose the bound is the cheap one (carried cone-support bounds): still a valid
    # lower bound, and the last round's is the solution's
    assert all(r["bound"] <= quiet.value * (1 + 1e-12) for r in rounds)
    assert rounds[-1]["final"] and rounds[-1]["gap"] <= 1e-6 * quiet.value
    loud = prob.solve(verbose=True)
    out = capsys.readouterr().out
    lines = [ln for ln in out.splitlines() if ln.lstrip().startswith("round")]
    assert len(lines) == len(loud.info["progress"]) >= 2
    for key in ("neurons", "blocks", "patterns", "value", "bound", "gap"):
        assert key in lines[0]
    last = loud.info["progress"][-1]
    # the last round's value and bound are the solution's (to the solver's tolerance), and
    # every bound is a valid lower bound
    assert last["value"] == pytest.approx(loud.value, rel=1e-6)
    assert last["gap"] <= 1e-6 * loud.value
    assert all(r["bound"] <= loud.value * (1 + 1e-12) for r in loud.info["progress"])
    assert loud.value == pytest.approx(quiet.value, rel=1e-12)
