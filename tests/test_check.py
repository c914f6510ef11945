"""dk.check never states a falsehood: every problem class, right and wrong answers, exact
reasons for infeasible dual points, and honest answers on problems with a duality gap."""

import numpy as np
import pytest

import dualkit as dk
from dualkit.nets import ReLUWeights

BELOW = "below the dual bound"


def _no_expected(result, *values):
    """The message shows none of the expected values (at 4 and 10 significant digits)."""
    for v in values:
        for fmt in (".4g", ".6g", ".10g"):
            assert format(v, fmt) not in result.message, (format(v, fmt), result.message)


def _gauss(seed=0):
    return dk.data.gaussian(n=20, d=5, seed=seed)


def _relu1d():
    x, y = dk.data.zigzag(8)
    return dk.ReLU1D(x, y, 0.1)


def _rank_one(bias=False):
    X, y = dk.data.rank_one(10, 3)
    return dk.RankOneReLU(X, y, 0.5, depth=3, bias=bias)


def _relu():
    X, y = dk.data.gaussian(n=12, d=2, seed=0)
    return dk.TwoLayerReLU(X, y, 0.5)


def _problems():
    X, y = _gauss()
    yl = np.where(y > 0, 1.0, -1.0)
    Xv, Yv = dk.data.vector_regression(n=30, d=10, K=4, rank=3, seed=0)
    Yc = np.eye(3)[np.arange(20) % 3]
    Xs, ys = dk.data.gaussian(n=5, d=10, seed=2)
    return {
        "squared": dk.TwoLayerLinear(X, y, 0.3 * np.linalg.norm(X.T @ y)),
        "beta0": dk.TwoLayerLinear(Xs, ys, 0.0),
        "hinge": dk.TwoLayerLinear(X, yl, 2.0, loss="hinge"),
        "logistic": dk.TwoLayerLinear(X, yl, 2.0, loss="logistic"),
        "absolute": dk.TwoLayerLinear(X, y, 2.0, loss="absolute"),
        "cross_entropy": dk.TwoLayerLinear(X, Yc, 1.0, loss="cross_entropy"),
        "vector": dk.TwoLayerLinear(Xv, Yv, 0.3 * np.linalg.norm(Xv.T @ Yv, 2)),
        "deep": dk.DeepLinear(X, y, 1.0, depth=3, t=1.5),
        "deep_beta0": dk.DeepLinear(Xs, ys, 0.0, depth=3, t=1.5),
        "relu1d": _relu1d(),
        "relu1d_skip": dk.ReLU1D(*dk.data.zigzag(8), 0.1, skip=True),
        "rank_one": _rank_one(),
        "rank_one_bias": _rank_one(bias=True),
        "relu": _relu(),
        "relu_free": dk.TwoLayerReLU(*dk.data.gaussian(n=12, d=2, seed=0), 0.5, bias="free"),
    }


PROBLEMS = _problems()


@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_certified_problems_right_and_wrong_answers(name):
    prob = PROBLEMS[name]
    sol = prob.solve()
    assert sol.certified
    # dual point: the library's certificate is a dual optimum; a wrong one fails with a reason
    assert dk.check.dual_point(prob, sol.dual, optimal=True, quiet=True)
    wrong = 3 * sol.dual if not np.allclose(sol.dual, 0) else sol.dual + 1.0
    bad = dk.check.dual_point(prob, wrong, quiet=True)
    assert not bad and bad.status == "fail" and "not dual feasible" in bad.message
    assert not np.isfinite(prob.dual_objective(wrong))
    assert "feasible_dual" in bad.message
    # the loss's domain is named only when it is what is violated
    con = prob.dual_constraint(wrong)
    assert ("domain" in bad.message) == ("domain" in con.condition)
    # value: right, too high, too low (below the certified bound, which equals the optimum)
    assert dk.check.optimal_value(prob, sol.value, quiet=True)
    high = dk.check.optimal_value(prob, sol.value * 1.1 + 1e-3, quiet=True)
    assert not high and "too high" in high.message
    low = dk.check.optimal_value(prob, sol.dual_value * 0.9 - 1e-3, quiet=True)
    assert not low and BELOW in low.message
    for r in (high, low, bad):
        _no_expected(r, sol.value)
    # weights: the optimum passes, a perturbed network fails
    assert dk.check.optimal_weights(prob, sol.weights, quiet=True)
    if isinstance(sol.weights, ReLUWeights):
        worse = ReLUWeights([W * 1.3 for W in sol.weights], sol.weights.biases, sol.weights.skip)
    else:
        worse = [W * 1.3 for W in sol.weights]
    r = dk.check.optimal_weights(prob, worse, quiet=True)
    assert not r and r.status == "fail"


@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_dual_point_agrees_with_dual_objective_at_every_size_of_violation(name):
    prob = PROBLEMS[name]
    lam0 = prob.solve().dual
    con0 = prob.dual_constraint(lam0)
    if con0.bound == 0 or con0.value == 0:
        pytest.skip("the optimum does not touch a norm constraint")
    for delta in (-1e-3, 0.0, 3e-10, 3e-9, 3e-8, 1e-6, 3e-5, 1e-3, 1.0):
        lam = lam0 * (1 + delta)
        con = prob.dual_constraint(lam)
        finite = bool(np.isfinite(prob.dual_objective(lam)))
        r = dk.check.dual_point(prob, lam, quiet=True)
        assert con.holds == finite == r.passed, (delta, con, r)
        if not finite and "domain" not in con.condition:
            # exact reason: value, bound and relative excess, and what to do
            assert "domain" not in r.message
            assert f"{(con.value - con.bound) / con.bound:.1e} relative" in r.message
            assert "exceeds" in r.message and "feasible_dual" in r.message


def test_float32_rounded_optimum_passes_or_fails_with_the_exact_excess():
    seen = set()
    for seed in range(6):
        X, y = dk.data.gaussian(n=30, d=8, seed=seed)
        prob = dk.TwoLayerLinear(X, y, 0.3 * np.linalg.norm(X.T @ y))
        sol = prob.solve()
        lam = y - X @ sol.w.astype(np.float32).astype(float)   # a student's float32 w*
        excess = np.linalg.norm(X.T @ lam) / prob.beta - 1
        r = dk.check.dual_point(prob, lam, quiet=True)
        assert r.passed == bool(np.isfinite(prob.dual_objective(lam)))
        assert "domain" not in r.message
        if r.passed:
            seen.add("pass")
            if excess > 1e-12:
                assert "accepted" in r.message and "tolerance" in r.message
        else:
            seen.add("fail")
            assert "exceeds β = " in r.message and f"{excess:.1e} relative" in r.message
            assert "float64" in r.message and "prob.feasible_dual(lam)" in r.message
            # the digits show the excess: value and bound print differently
            value, bound = r.message.split("‖Xᵀλ‖₂ = ")[1].split(" exceeds β = ")
            assert value != bound.split(" ")[0]
        # the advice works: scaled into the set, it is a dual optimum to 1e-6
        assert dk.check.dual_point(prob, prob.feasible_dual(lam), optimal=True, quiet=True)
    assert seen == {"pass", "fail"}


def test_old_review_cases_give_exact_reasons():
    X, y = _gauss(0)
    prob = PROBLEMS["squared"]
    lam = prob.solve().dual
    # 1e-9 .. 1e-6: the old check said "outside the domain of the loss's conjugate"
    r = dk.check.dual_point(prob, lam * (1 + 1e-7), quiet=True)
    assert not r and "domain" not in r.message and "1.0e-07 relative" in r.message
    # 1e-6 .. 1e-4: the old check printed "3.825 > 3.825"
    r = dk.check.dual_point(prob, lam * (1 + 3e-6), quiet=True)
    assert not r and "3.0e-06 relative" in r.message
    value, bound = r.message.split("‖Xᵀλ‖₂ = ")[1].split(" exceeds β = ")
    assert value != bound.split(" ")[0]
    # hinge: the domain, with the hinge loss's own condition
    hinge = PROBLEMS["hinge"]
    r = dk.check.dual_point(hinge, -hinge.solve().dual, quiet=True)
    assert not r and "0 ≤ y_iλ_i ≤ 1" in r.message and "hinge" in r.message
    absolute = PROBLEMS["absolute"]
    r = dk.check.dual_point(absolute, 2 * np.sign(y), quiet=True)
    assert not r and "|λ_i| ≤ 1" in r.message


def _deep_vector():
    # the vector chapter's experiment (a) at depth 3
    X, Y = dk.data.vector_regression(n=30, d=10, K=4, rank=3, seed=0)
    return dk.DeepLinear(X, Y, beta=0.3 * np.linalg.norm(X.T @ Y, 2), depth=3, t=1.0)


def test_deep_vector_outputs_with_a_duality_gap():
    deep = _deep_vector()
    sol = deep.solve()
    assert not sol.certified
    assert sol.dual_value == pytest.approx(368.95, abs=0.01)
    assert sol.value == pytest.approx(434.94, abs=0.01)
    mid = dk.check.optimal_value(deep, 401.94, quiet=True)
    assert not mid and mid.status == "undecided" and BELOW not in mid.message
    assert "cannot be decided" in mid.message and "duality gap" in mid.message
    low = dk.check.optimal_value(deep, 360.0, quiet=True)
    assert not low and low.status == "fail" and BELOW in low.message
    high = dk.check.optimal_value(deep, 440.0, quiet=True)
    assert not high and "a better network is known" in high.message
    best = dk.check.optimal_value(deep, sol.value, quiet=True)
    assert not best and best.status == "undecided" and "best network known" in best.message
    silent = dk.check.optimal_value(deep, 401.94, hint=False, quiet=True)
    assert not silent and "too" not in silent.message
    for r in (mid, low, high, silent):
        _no_expected(r, sol.value, sol.dual_value)
    w = dk.check.optimal_weights(deep, sol.weights, quiet=True)
    assert not w and w.status == "undecided" and "as good as the best network known" in w.message
    assert "cannot be certified" in w.message
    net = deep.network(4, seed=0)
    w = dk.check.optimal_weights(deep, net, quiet=True)
    assert not w and w.status == "fail" and "a better network is known" in w.message
    # the dual side is a convex program solved to optimality: its optimum can be checked
    d = dk.check.dual_point(deep, sol.dual, optimal=True, quiet=True)
    assert d and "duality gap" in d.message
    assert not dk.check.dual_point(deep, 0.5 * sol.dual, optimal=True, quiet=True)


def test_below_the_dual_bound_is_said_only_below_a_certified_bound():
    deep = _deep_vector()
    sol = deep.solve()
    for v in np.linspace(0.8 * sol.dual_value, 1.2 * sol.value, 41):
        r = dk.check.optimal_value(deep, v, quiet=True)
        assert (BELOW in r.message) == (v < sol.dual_value * (1 - 1e-6)), v
        assert (r.status == "undecided") == (sol.dual_value * (1 - 1e-6) <= v
                                             <= sol.value * (1 + 1e-6)), v


def _mixed():
    Xm, ym = dk.data.rank_one(n=20, d=5, seed=0, mixed_sign=True)
    probe = dk.RankOneReLUMixed(Xm, ym, beta=1.0)
    return dk.RankOneReLUMixed(Xm, ym, beta=0.05 * abs(probe.c @ ym), t=1.0)


def _mixed_weights(prob, alpha, gamma):
    """Three-layer weights that output alpha c_+ + gamma c_- at the least weight decay for
    alpha gamma < 0 (app-rank-one-mixed): W1 = a g^T with g = (p, -q), p^2 + q^2 = t^2,
    one neuron per sign, balanced."""
    assert alpha * gamma < 0
    A, G = abs(alpha) ** (1 / 3), abs(gamma) ** (1 / 3)
    p, q = prob.t * A / np.hypot(A, G), prob.t * G / np.hypot(A, G)
    W1 = np.outer(prob.a, [p, -q])
    u = np.sqrt([abs(alpha) / p, abs(gamma) / q])
    return ReLUWeights([W1, np.diag(u), np.sign([alpha, gamma]) * u])


def test_rank_one_mixed_signs_is_graded_by_its_exact_primal():
    prob = _mixed()
    sol = prob.solve()
    P, alpha, gamma, D = sol.value, sol.info["alpha"], sol.info["gamma"], prob.lower_bound()
    assert P > 1.1 * D
    assert dk.check.optimal_value(prob, P, quiet=True)
    between = dk.check.optimal_value(prob, 0.5 * (P + D), quiet=True)
    assert not between and "too low" in between.message and BELOW not in between.message
    below = dk.check.optimal_value(prob, 0.9 * D, quiet=True)
    assert not below and BELOW in below.message
    high = dk.check.optimal_value(prob, 1.1 * P, quiet=True)
    assert not high and "too high" in high.message
    for r in (between, below, high):
        _no_expected(r, P, D)
    weights = _mixed_weights(prob, alpha, gamma)
    assert prob.objective(weights) == pytest.approx(P, rel=1e-9)
    ok = dk.check.optimal_weights(prob, weights, quiet=True)
    assert ok and "app-rank-one-mixed" in ok.message
    assert not dk.check.optimal_weights(prob, prob.network(3, seed=0), quiet=True)
    # the Lagrangian dual: separable, its optimum by soft-thresholding c_+^T y and c_-^T y
    b = prob.beta / prob.t
    lam = prob.y.copy()
    for c in (prob.c_plus, prob.c_minus):
        cy = c @ prob.y
        lam -= c * np.sign(cy) * max(abs(cy) - b, 0.0) / (c @ c)
    assert prob.dual_objective(lam) == pytest.approx(D, rel=1e-6)
    d = dk.check.dual_point(prob, lam, optimal=True, quiet=True)
    assert d and "duality gap" in d.message
    bad = dk.check.dual_point(prob, 3 * prob.y, quiet=True)
    assert not bad and "β/t" in bad.message and "feasible_dual" in bad.message
    assert dk.check.dual_point(prob, prob.feasible_dual(3 * prob.y), quiet=True)


def test_weight_decay_on_every_layer_exact_with_a_gap():
    X, y = _gauss(0)
    prob = dk.DeepLinearWeightDecay(X, y, 0.5, depth=3)
    sol = prob.solve()
    assert not sol.certified and sol.dual_value < sol.value
    ok = dk.check.optimal_value(prob, sol.value, quiet=True)
    assert ok and "app-deep-weight-decay" in ok.message
    low = dk.check.optimal_value(prob, 0.9 * sol.value, quiet=True)
    assert not low and "too low" in low.message
    assert (BELOW in low.message) == (0.9 * sol.value < sol.dual_value)
    assert dk.check.optimal_weights(prob, sol.weights, quiet=True)
    assert not dk.check.optimal_weights(prob, [1.1 * W for W in sol.weights], quiet=True)
    # its Lagrangian dual (X^T lam = 0, a lower bound with a gap) is checked like any dual
    r = dk.check.dual_point(prob, y, quiet=True)
    assert not r and r.status == "fail" and "Xᵀλ = 0" in r.message and "feasible_dual" in r.message
    d = dk.check.dual_point(prob, sol.dual, optimal=True, quiet=True)
    assert d and "duality gap" in d.message
    assert dk.check.dual_point(prob, prob.feasible_dual(y), quiet=True)


@pytest.mark.medium
def test_two_layer_relu_sampled_patterns_and_refusals():
    X, y = dk.data.gaussian(n=40, d=8, seed=0)
    prob = dk.TwoLayerReLU(X, y, 0.5, patterns=200)
    assert prob.exact_blocks() is None
    r = dk.check.dual_point(prob, y, quiet=True)
    assert not r and r.status == "refused" and "enumerat" in r.message
    sol = prob.solve()
    best = dk.check.optimal_value(prob, sol.value, quiet=True)
    assert not best and best.status == "undecided"
    low = dk.check.optimal_value(prob, 0.5 * sol.value, quiet=True)
    assert not low and low.status == "undecided" and BELOW not in low.message
    high = dk.check.optimal_value(prob, 1.5 * sol.value, quiet=True)
    assert not high and "better network is known" in high.message
    w = dk.check.optimal_weights(prob, sol.weights, quiet=True)
    assert not w and w.status == "undecided"
    x, y1 = dk.data.zigzag(8)
    sd = dk.StandardDeepReLU1D(x, y1, 0.1)
    for r in (dk.check.dual_point(sd, y1, quiet=True), dk.check.optimal_value(sd, 1.0, quiet=True),
              dk.check.optimal_weights(sd, sd.network(3).weights(), quiet=True)):
        assert not r and r.status == "refused" and "ReLU1D" in r.message


def test_check_result_marks(capsys):
    prob = PROBLEMS["squared"]
    dk.check.optimal_value(prob, prob.solve().value)
    dk.check.optimal_value(_deep_vector(), 401.94)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("✓ ") and any(line.startswith("? ") for line in out[1:])
    with pytest.raises(ValueError):
        dk.check.CheckResult(True, "x", quiet=True, status="fail")
