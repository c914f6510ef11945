"""Deep ReLU networks with rank-one data (the derivations appendix, app-rank-one to
app-rank-one-mixed): the closed form in kappa, trained networks reach it with rank-one
non-negative layers, and mixed signs leave a duality gap."""

import numpy as np
import pytest

import dualkit as dk
from dualkit.diagnostics import rank_one_ratio, top_singular_vectors


def make(depth=4, t=1.3, frac=0.05, seed=0, n=20, d=6, bias=False):
    X, y = dk.data.rank_one(n, d, seed=seed)
    base = dk.RankOneReLU(X, y, 1.0, depth=depth, t=t)
    return X, y, dk.RankOneReLU(X, y, frac * base.beta_max, depth=depth, t=t, bias=bias)


# ---------------------------------------------------------------- closed form, dual, weights
@pytest.mark.parametrize("depth", [3, 4, 5, 6])
def test_closed_form_equals_cvxpy_and_constructed_weights(depth):
    X, y, prob = make(depth=depth)
    sol = prob.solve(width=7)
    ref = prob.solve(method="cvxpy")
    assert sol.certified and abs(sol.rel_gap) < 1e-12
    assert sol.value == pytest.approx(ref.value, rel=1e-7)
    assert ref.dual_value == pytest.approx(sol.value, rel=1e-7)
    assert prob.objective(sol.weights) == pytest.approx(sol.value, rel=1e-12)
    assert prob.dual_objective(sol.dual) == pytest.approx(sol.dual_value, rel=1e-12)
    # kappa* closed form, written out independently
    c, beff = prob.c, prob.beta / (prob.t ** (depth - 2) * np.linalg.norm(prob.a))
    kappa = np.sign(c @ y) * max(abs(c @ y) - beff, 0) / (c @ c)
    assert sol.info["kappa"] == pytest.approx(kappa, rel=1e-12) and sol.w is None
    assert sol.value == pytest.approx(0.5 * np.sum((kappa * c - y) ** 2) + beff * abs(kappa), rel=1e-12)
    # the optimal network on new inputs is a single ramp along a
    Z = np.random.default_rng(3).standard_normal((9, X.shape[1]))
    ramp = kappa / np.linalg.norm(prob.a) * np.maximum(Z @ prob.a_hat, 0)
    assert np.abs(sol.weights.forward(Z) - ramp).max() < 1e-12
    # and on the data it computes kappa c
    assert np.allclose(sol.weights.forward(X), kappa * c, atol=1e-12)


def test_factorization_is_invariant_to_scaling_of_c_and_a():
    X, y, prob = make()
    c, a = prob.c, prob.a
    assert np.allclose(np.outer(c, a), X) and np.linalg.norm(a) == pytest.approx(1.0)
    assert (c >= 0).all()
    flipped = dk.RankOneReLU(-X, y, prob.beta, depth=4, t=1.3)   # c <= 0: global sign detected
    assert flipped.solve().value == pytest.approx(prob.solve().value, rel=1e-12)


def test_zero_threshold():
    X, y, prob = make()
    bmax = prob.beta_max
    above = dk.RankOneReLU(X, y, 1.001 * bmax, depth=4, t=1.3).solve()
    below = dk.RankOneReLU(X, y, 0.999 * bmax, depth=4, t=1.3).solve()
    assert above.info["kappa"] == 0.0 and above.value == pytest.approx(0.5 * y @ y)
    assert below.info["kappa"] != 0.0 and below.value < 0.5 * y @ y


@pytest.mark.parametrize("depth", [3, 4, 5])
def test_bias_variant_is_the_one_dimensional_problem_in_c(depth):
    X, y, prob = make(depth=depth, bias=True, frac=0.02)
    sol = prob.solve(width=12)
    one = dk.ReLU1D(prob.c, y, prob.beta / prob.scale).solve()
    ref = dk.ReLU1D(prob.c, y, prob.beta / prob.scale).solve(method="cvxpy")
    assert sol.value == pytest.approx(one.value, rel=1e-10)
    assert sol.value == pytest.approx(ref.value, rel=1e-6)
    assert prob.objective(sol.weights) == pytest.approx(sol.value, rel=1e-12)
    assert sol.certified
    # the network is a linear spline in c with kinks at data points of c
    assert np.allclose(sol.weights.forward(X), one.predict(prob.c), atol=1e-10)
    # with the bias the fit is never worse than without it
    no_bias = dk.RankOneReLU(X, y, prob.beta, depth=depth, t=1.3).solve()
    assert sol.value <= no_bias.value * (1 + 1e-12)


# ---------------------------------------------------------------- training: value and rank-one layers
@pytest.fixture(scope="module")
def trained():
    X, y, prob = make(depth=4, t=1.3)
    net, hist, finals = dk.train_best(prob, widths=[10, 8, 6], seeds=range(5), steps=4000, lr=2e-2,
                                      tol=1e-12, progress=False)
    return prob, prob.solve(), net, hist, finals


@pytest.mark.medium
def test_4a_trained_reaches_kappa_closed_form(trained):
    prob, sol, net, hist, finals = trained
    print(f"measured: depth-4 rank-one relative gap {prob.relative_gap(net):.3e}")
    assert -1e-12 <= prob.relative_gap(net) <= 1e-6
    assert min(finals.values()) == pytest.approx(hist.final_objective)


@pytest.mark.medium
def test_4b_rank_one_nonnegative_aligned(trained):
    prob, sol, net, hist, finals = trained
    ws = net.weights()
    assert max(rank_one_ratio(W) for W in ws[:-1]) < 1e-4
    p11, _ = top_singular_vectors(ws[0])
    assert abs(p11 @ prob.a_hat) >= 1 - 1e-6                       # first layer along a
    for W in ws[:-1]:
        _, q = top_singular_vectors(W)
        q = q * np.sign(q.sum())                                    # fix the sign
        assert q.min() >= -1e-6                                     # non-negative: ReLU = identity
    for W in ws[: prob.depth - 2]:
        assert np.linalg.norm(W) == pytest.approx(prob.t, rel=1e-9)  # constraints active


# ---------------------------------------------------------------- mixed signs: a duality gap
@pytest.fixture(scope="module")
def mixed():
    X, y = dk.data.rank_one(20, 5, seed=0, mixed_sign=True)
    probe = dk.RankOneReLUMixed(X, y, 1.0)
    prob = dk.RankOneReLUMixed(X, y, 0.05 * abs(probe.c @ y))
    net, hist, finals = dk.train_best(prob, widths=10, seeds=range(4), steps=500, lr=1e-2,
                                      progress=False)                 # as the chapter
    dk.train(net, prob, steps=200, optimizer="lbfgs", progress=False)
    return prob, net


@pytest.mark.medium
def test_4c_mixed_sign_gap_matches_l23_formula(mixed):
    prob, net = mixed
    sol = prob.solve()
    P, alpha, gamma, D = sol.value, sol.info["alpha"], sol.info["gamma"], prob.lower_bound()
    assert not sol.certified and sol.info["exact"] and D == sol.dual_value
    assert D == pytest.approx(prob.solve(method="cvxpy").dual_value, rel=1e-7)
    assert prob.objective(sol.weights) == pytest.approx(P, rel=1e-12)
    with pytest.warns(DeprecationWarning):
        assert prob.primal_value()[0] == pytest.approx(P, rel=1e-12)
    with pytest.warns(DeprecationWarning):
        assert prob.dual_value() == D
    trained = prob.objective(net)
    assert alpha * gamma < 0                                  # the fit needs opposite signs
    print(f"measured: mixed trained/formula - 1 = {trained / P - 1:.2e}, gap {(P - D) / D:.3f}")
    assert trained == pytest.approx(P, rel=1e-8)              # the l_{2/3} formula
    assert trained - D > 0.1 * D                              # a real duality gap
    # the l1 (dual) reduced problem is what the dual computes
    assert D == pytest.approx(prob._minimize(exact=False)[0], rel=1e-7)


def test_mixed_cost_formula_cases():
    C = dk.RankOneReLUMixed.cost
    assert C(2.0, 3.0) == 5.0 and C(-2.0, -1.0) == 3.0
    assert C(1.0, -1.0) == pytest.approx(2 ** 1.5)
    assert C(1.0, -1.0) > abs(1.0) + abs(-1.0)                # dearer than the dual's l1


# ---------------------------------------------------------------- validation
def test_validation():
    X, y = dk.data.rank_one(10, 4, seed=1)
    with pytest.raises(ValueError, match="not rank one"):
        dk.RankOneReLU(dk.data.gaussian_inputs(10, 4), y, 0.1)
    Xm, ym = dk.data.rank_one(10, 4, seed=1, mixed_sign=True)
    with pytest.raises(ValueError, match="mixed signs.*Mixed signs"):
        dk.RankOneReLU(Xm, ym, 0.1)
    with pytest.raises(ValueError, match="zero"):
        dk.RankOneReLU(np.zeros((5, 3)), np.ones(5), 0.1)
    with pytest.raises(ValueError, match="beta"):
        dk.RankOneReLU(X, y, 0.0)
    with pytest.raises(ValueError, match="beta"):
        dk.RankOneReLU(X, y, -1.0, bias=True)
    with pytest.raises(ValueError, match="depth"):
        dk.RankOneReLU(X, y, 0.1, depth=1)
    with pytest.raises(ValueError, match="y"):
        dk.RankOneReLU(X, y[:-1], 0.1)
    with pytest.raises(ValueError, match="X"):
        dk.RankOneReLU(np.where(X > 0, np.nan, X), y, 0.1)
    prob = dk.RankOneReLU(X, y, 0.1, depth=3)
    with pytest.raises(ValueError, match="width"):
        prob.solve(width=[3])
    with pytest.warns(DeprecationWarning, match="widths"):
        assert prob.solve(widths=5).value == pytest.approx(prob.solve().value, rel=1e-12)
    with pytest.raises(ValueError, match="method"):
        prob.solve(method="fista")
    with pytest.raises(ValueError, match="architecture"):
        prob.check_network(dk.RankOneReLU(X, y, 0.1, depth=3, bias=True).network(4))
    with pytest.raises(ValueError, match="biases"):
        prob.objective(dk.RankOneReLU(X, y, 0.1, depth=3, bias=True).solve(width=4).weights)


@pytest.mark.parametrize("t", [0.5, 2.0])
def test_bias_interpolation_value_scales_with_t(t):
    X, y = dk.data.rank_one(12, 4, seed=0)
    prob = dk.RankOneReLU(X, y, 0.0, depth=4, t=t, bias=True)
    sol = prob.solve()
    assert sol.certified and sol.value == pytest.approx(sol.dual_value, rel=1e-9)
    base = dk.ReLU1D(prob.c, y, 0.0).solve().value
    assert sol.value == pytest.approx(base / t**2, rel=1e-9)


@pytest.mark.parametrize("bias", [False, True])
def test_beta_max_is_the_zero_threshold_from_data_alone(bias):
    """beta_max_for needs no beta; with a bias the threshold is that of the 1-D problem in c
    (scaled by t^(L-2)||a||), above which the optimum is the constant mean."""
    X, y = dk.data.rank_one(15, 4, seed=0)
    bmax = dk.RankOneReLU.beta_max_for(X, y, depth=4, t=1.5, bias=bias)
    prob = dk.RankOneReLU(X, y, 0.5 * bmax, depth=4, t=1.5, bias=bias)
    assert prob.beta_max == pytest.approx(bmax, rel=1e-12)
    zero = 0.5 * float(np.sum((y - y.mean()) ** 2)) if bias else 0.5 * float(y @ y)
    assert prob.with_beta(1.001 * bmax).solve().value == pytest.approx(zero, rel=1e-9)
    assert prob.with_beta(0.99 * bmax).solve().value < zero * (1 - 1e-6)


@pytest.mark.parametrize("rho", [-1.0, 0.5])
def test_mixed_solve_weights_attain_the_exact_cost(rho):
    """solve() realises (alpha, gamma) with the least weight decay: the l_2/3 cost for opposite
    signs, the l1 cost (one neuron adding both paths) for equal signs, where the closed-form
    Lagrangian dual then certifies it; the dual point is the cvxpy dual's optimum."""
    X, _ = dk.data.rank_one(20, 5, seed=0, mixed_sign=True)
    c, _ = dk.problems.rank_one_relu.rank_one_factors(X, allow_mixed=True)
    y = np.maximum(c, 0) + rho * np.maximum(-c, 0)
    prob = dk.RankOneReLUMixed(X, y, 0.05 * abs(c @ y))
    sol = prob.solve(width=[3, 4])
    al, ga = sol.info["alpha"], sol.info["gamma"]
    assert (al * ga < 0) == (rho < 0)
    assert sol.value == pytest.approx(prob._reduced((al, ga), exact=True), rel=1e-12)
    assert sol.certified == (rho > 0)
    ref = prob.solve(method="cvxpy")
    assert ref.dual_value == pytest.approx(sol.dual_value, rel=1e-7)
    assert prob.beta_max == pytest.approx(dk.RankOneReLUMixed.beta_max_for(X, y), rel=1e-12)
