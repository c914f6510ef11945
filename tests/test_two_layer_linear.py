"""Two-layer linear network, scalar output: the convex program (C1), its dual (D1), the
structure of trained networks, and the claims of the two-layer chapter."""

import numpy as np
import pytest

import dualkit as dk
from dualkit.diagnostics import alignment, balance, rank_one_ratio, top_singular_vectors


@pytest.fixture(scope="module")
def small():
    X, y = dk.data.gaussian(n=20, d=10, seed=0)
    beta = 0.1 * np.linalg.norm(X.T @ y)
    prob = dk.TwoLayerLinear(X, y, beta)
    return X, y, beta, prob, prob.solve(), prob.solve(method="cvxpy")


def test_1a_closed_form_matches_cvxpy(small):
    X, y, beta, prob, cf, cvx = small
    assert abs(cf.value - cvx.value) / cf.value <= 1e-7
    assert np.linalg.norm(cf.w - cvx.w) / np.linalg.norm(cf.w) <= 1e-4


def test_1b_strong_duality_in_cvxpy(small):
    X, y, beta, prob, cf, cvx = small
    assert abs(cvx.value - cvx.dual_value) / cvx.value <= 1e-6
    assert cvx.certified


def test_1c_kkt(small):
    X, y, beta, prob, cf, cvx = small
    # the cvxpy dual solution is the residual of the closed-form primal
    assert np.linalg.norm(cvx.dual - (y - X @ cf.w)) <= 1e-4 * max(1.0, np.linalg.norm(y))
    assert abs(np.linalg.norm(X.T @ cvx.dual) / beta - 1) <= 1e-4
    assert abs(np.linalg.norm(X.T @ cf.dual) / beta - 1) <= 1e-8


@pytest.fixture(scope="module")
def trained(small):
    X, y, beta, prob, cf, cvx = small
    net = prob.network(width=10, seed=0)
    hist = dk.train(net, prob, steps=100, lr=1.0, optimizer="lbfgs", bound=cf.value,
                    progress=False)
    return net, hist


def test_1d_training_reaches_dual(small, trained):
    X, y, beta, prob, cf, cvx = small
    net, hist = trained
    rel = (prob.objective(net) - cf.dual_value) / cf.dual_value
    assert rel <= 1e-6
    assert rel >= -1e-12  # weak duality: no network beats the dual bound
    assert hist.final_rel_gap <= 1e-6


@pytest.mark.medium
@pytest.mark.parametrize("optimizer,lr,steps", [("adam", 1e-2, 3000), ("gd", None, 3000)])
def test_1d_first_order_training_reaches_dual(small, optimizer, lr, steps):
    X, y, beta, prob, cf, cvx = small
    lr = lr or 0.5 / np.linalg.norm(X, 2) ** 2
    net = prob.network(width=10, seed=0)
    dk.train(net, prob, steps=steps, lr=lr, optimizer=optimizer, bound=cf.value,
             schedule=None if optimizer == "gd" else "cosine", progress=False)
    assert prob.relative_gap(net) <= 1e-6


def test_1e_rank_one(trained):
    net, _ = trained
    assert rank_one_ratio(net.weights()[0]) <= 1e-4


def test_1f_alignment(small, trained):
    X, y, beta, prob, cf, cvx = small
    net, _ = trained
    p1, _ = top_singular_vectors(net.weights()[0])
    assert 1 - alignment(p1, cf.w) <= 1e-6
    assert 1 - alignment(p1, X.T @ cvx.dual) <= 1e-6


def test_1g_balance(trained):
    net, _ = trained
    W1, w2 = net.weights()
    assert balance(W1, w2) <= 1e-5


def test_1h_zero_threshold():
    X, y = dk.data.gaussian(n=20, d=10, seed=0)
    thr = np.linalg.norm(X.T @ y)
    above = dk.TwoLayerLinear(X, y, 1.05 * thr)
    net = above.network(width=10, seed=0)
    dk.train(net, above, steps=100, lr=1.0, optimizer="lbfgs", progress=False)
    assert np.linalg.norm(net.end_to_end()) <= 1e-6
    assert np.linalg.norm(above.solve().w) == 0.0
    below = dk.TwoLayerLinear(X, y, 0.95 * thr)
    net = below.network(width=10, seed=0)
    dk.train(net, below, steps=100, lr=1.0, optimizer="lbfgs", progress=False)
    assert below.objective(net) < 0.5 * y @ y
    assert np.linalg.norm(net.end_to_end()) > 1e-3
    assert below.solve().value < 0.5 * y @ y


@pytest.mark.parametrize("method", ["closed_form", "cvxpy"])
def test_1i_min_norm_interpolation(method):
    X, y = dk.data.gaussian(n=10, d=20, seed=0)
    sol = dk.TwoLayerLinear(X, y, beta=0).solve(method=method)
    target = np.linalg.norm(np.linalg.pinv(X) @ y)
    assert abs(sol.dual_value - target) / target <= 1e-7
    assert abs(sol.value - target) / target <= 1e-7
    W1, w2 = sol.weights
    assert np.linalg.norm(X @ W1 @ w2 - y) <= 1e-7 * np.linalg.norm(y)


@pytest.mark.medium
def test_chapter_experiment_claims():
    """The numbers the two-layer chapter shows: its data, beta, width, optimizer and steps."""
    X, y = dk.data.gaussian(n=40, d=10, seed=0)
    beta = 0.1 * np.linalg.norm(X.T @ y)
    prob = dk.TwoLayerLinear(X, y, beta)
    sol = prob.solve()
    net = prob.network(width=10, seed=0)
    hist = dk.train(net, prob, steps=1500, lr=2e-2, optimizer="adam", bound=sol.value,
                    progress=False)
    W1, w2 = net.weights()
    assert hist.bound == pytest.approx(sol.dual_value, rel=1e-14)  # default: the dual value
    # the figure's caption: the gap reaches the rounding level of float64 (measured -9e-16)
    assert abs(hist.final_rel_gap) <= 1e-14
    assert rank_one_ratio(W1) <= 1e-4
    assert 1 - alignment(top_singular_vectors(W1)[0], X.T @ sol.dual) <= 1e-6
    assert balance(W1, w2) <= 1e-5
    # the singular values of the first layer start full rank and end rank one
    S = hist.singular_values_of(0)
    assert S[0, 1] / S[0, 0] > 0.1 and S[-1, 1] / S[-1, 0] <= 1e-4


@pytest.mark.medium
def test_chapter_lbfgs_and_width_claims():
    """The chapter: L-BFGS reaches the optimum in 50 outer steps; widths 1, 2, 10, 100 all do
    (exercise, 30 outer steps)."""
    X, y = dk.data.gaussian(n=40, d=10, seed=0)
    prob = dk.TwoLayerLinear(X, y, 0.1 * np.linalg.norm(X.T @ y))
    sol = prob.solve()
    hist = dk.train(prob.network(width=10, seed=1), prob, steps=50, lr=1.0, optimizer="lbfgs",
                    bound=sol.value, progress=False)
    assert abs(hist.final_rel_gap) <= 1e-6
    for width in [1, 2, 10, 100]:
        h = dk.train(prob.network(width=width, seed=0), prob, steps=30, lr=1.0,
                     optimizer="lbfgs", bound=sol.value, progress=False)
        assert abs(h.final_rel_gap) <= 1e-6, width


@pytest.mark.medium
def test_chapter_zero_threshold_claims():
    """The chapter's data: just below ||X^T y|| the trained network is small but non-zero,
    just above it it vanishes (L-BFGS, 100 outer steps, width 10)."""
    X, y = dk.data.gaussian(n=40, d=10, seed=0)
    thr = np.linalg.norm(X.T @ y)
    norms = {}
    for factor in [0.95, 1.05]:
        p = dk.TwoLayerLinear(X, y, factor * thr)
        net = p.network(width=10, seed=0)
        h = dk.train(net, p, steps=100, optimizer="lbfgs", progress=False)
        norms[factor] = np.linalg.norm(net.end_to_end())
        if factor < 1:
            assert h.final_objective < 0.5 * y @ y
        else:  # "just above it, it is (1/2)||y||^2 to rounding"
            assert h.final_objective == pytest.approx(0.5 * y @ y, rel=1e-12)
    assert 1e-3 < norms[0.95] < 0.2 * np.linalg.norm(dk.TwoLayerLinear(X, y, 0.1 * thr).solve().w)
    assert norms[1.05] <= 1e-6


def test_chapter_exercise_kkt_sign_of_alignment():
    """Exercise 1: X^T lambda* = beta w*/||w*||, with cosine +1 (not -1), for the squared loss."""
    X, y = dk.data.gaussian(n=40, d=10, seed=0)
    beta = 0.1 * np.linalg.norm(X.T @ y)
    sol = dk.TwoLayerLinear(X, y, beta).solve()
    g = X.T @ (y - X @ sol.w)
    assert np.linalg.norm((y - X @ sol.w) - sol.dual) <= 1e-12 * np.linalg.norm(y)
    assert abs(np.linalg.norm(g) / beta - 1) <= 1e-12
    assert g @ sol.w / (np.linalg.norm(g) * np.linalg.norm(sol.w)) > 1 - 1e-12
