"""The column-generation solver of the two-layer ReLU program (the derivations appendix,
app-relu-solver): the non-negative lasso over neurons, the loop's certificate and bounds, and
pattern generation."""

import numpy as np
import pytest

import dualkit as dk
from dualkit.solvers.relu_program import (
    Blocks,
    cone_group_lasso,
    cone_support,
    nonneg_lasso,
    sample_patterns,
)


def _kkt(Q, b, beta, c):
    g = Q @ c - b + beta
    return float(np.abs(g[c > 0]).max(initial=0.0)), float(-g[c == 0].min(initial=0.0))


@pytest.mark.medium
@pytest.mark.parametrize("seed", range(4))
def test_nonneg_lasso_meets_its_kkt_conditions_and_cvxpy(seed):
    rng = np.random.default_rng(seed)
    Phi = rng.standard_normal((40, 25 + 10 * seed))      # more columns than rows for seed 2, 3
    y = rng.standard_normal(40)
    Q, b = Phi.T @ Phi, Phi.T @ y
    beta = 0.1 * np.abs(b).max()
    c = nonneg_lasso(Q, b, beta)
    on, off = _kkt(Q, b, beta, c)
    assert (c >= 0).all() and on <= 1e-9 * np.abs(b).max() and off <= 1e-9 * np.abs(b).max()
    import cvxpy as cp
    x = cp.Variable(Phi.shape[1], nonneg=True)
    ref = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(Phi @ x - y) + beta * cp.sum(x)))
    ref.solve(solver="CLARABEL")
    mine = 0.5 * np.sum((Phi @ c - y) ** 2) + beta * c.sum()
    assert mine <= ref.value + 1e-7 * abs(ref.value)


def test_nonneg_lasso_warm_start_gives_the_same_answer():
    rng = np.random.default_rng(7)
    Phi = rng.standard_normal((30, 20))
    y = rng.standard_normal(30)
    Q, b = Phi.T @ Phi, Phi.T @ y
    beta = 0.05 * np.abs(b).max()
    cold = nonneg_lasso(Q, b, beta)
    warm = nonneg_lasso(Q, b, beta, c0=rng.uniform(0, 1, 20))
    np.testing.assert_allclose(warm, cold, atol=1e-10)


def _problem(n=60, d=3, P=40, frac=0.05, seed=0, bias="regularized"):
    X, y = dk.data.sine_features(n=n, d=d, seed=seed, noise=0.1)
    prob = dk.TwoLayerReLU(X, y, 1.0, bias=bias, patterns=P, seed=seed)
    return dk.TwoLayerReLU(X, y, frac * prob.beta_max, bias=bias, patterns=P, seed=seed)


@pytest.mark.medium
@pytest.mark.parametrize("bias, frac", [("none", 0.03), ("regularized", 0.03), ("free", 0.3)])
def test_column_generation_matches_the_socp_working_set_and_cvxpy(bias, frac):
    prob = _problem(n=25, d=2, P=15, bias=bias, frac=frac) if bias == "free" else \
        _problem(n=50, d=3, P=30, bias=bias, frac=frac)
    B, y, beta = prob.blocks, prob.y, prob.beta
    cg = cone_group_lasso(B, y, beta, free_b0=prob.free)
    socp = cone_group_lasso(B, y, beta, free_b0=prob.free, method="socp")
    value = lambda fit: (0.5 * np.sum((y - fit.pred) ** 2)            # noqa: E731
                         + beta * np.linalg.norm(fit.U, axis=0).sum())
    assert cg.info["solver"] == "column generation"
    assert value(cg) == pytest.approx(value(socp), rel=1e-7)
    ref = prob.solve(method="cvxpy")
    assert value(cg) == pytest.approx(ref.value, rel=1e-6)
    # every block vector lies in its cone (the network is exactly the program's point)
    for u, j in zip(cg.U.T, cg.idx, strict=True):
        A = B.cone_matrix(int(j))
        assert (A @ u).min() >= -1e-9 * np.linalg.norm(u) * np.linalg.norm(A, axis=1).max()


def test_every_round_reports_a_valid_lower_bound_and_the_last_closes_the_gap():
    prob = _problem(n=120, d=4, P=60, frac=0.02)
    sol = prob.solve()
    rounds = sol.info["progress"]
    assert rounds[-1]["final"]
    for r in rounds:
        assert r["bound"] <= sol.value * (1 + 1e-12)
        assert r["value"] >= sol.restricted_value if hasattr(sol, "restricted_value") else True
    assert rounds[-1]["gap"] <= 1e-6 * sol.value
    # the dual point certifies the sampled program: its dual constraint holds over every block
    lam = prob.y - sol.weights.forward(prob.X)
    from dualkit.solvers.relu_program import dual_constraint
    worst, _ = dual_constraint(prob.blocks, lam)
    assert worst <= prob.beta * (1 + 1e-6)


def test_the_carried_bound_never_misses_a_violating_block():
    """Bounds carried by non-expansiveness are upper bounds on the exact cone supports."""
    X, y = dk.data.sine_features(n=50, d=3, seed=3)
    M = np.c_[X, np.ones(50)]
    D, _ = sample_patterns(M, 30, seed=1)
    B = Blocks(M, D, -np.ones(D.shape[1], dtype=int))
    rng = np.random.default_rng(0)
    lam, lam2 = rng.standard_normal(50), None
    lam2 = lam + 0.05 * rng.standard_normal(50)
    G, G2 = B.grads(lam), B.grads(lam2)
    for j in range(B.size):
        A = B.cone_matrix(j)
        for s in (1.0, -1.0):
            v1, _ = cone_support(A, s * G[:, j])
            v2, _ = cone_support(A, s * G2[:, j])
            assert v2 <= v1 + np.linalg.norm(G2[:, j] - G[:, j]) + 1e-12


def test_pattern_generation_lowers_the_sampled_optimum_and_reports_its_rounds():
    prob = _problem(n=150, d=4, P=20, frac=0.02, seed=1)
    fixed = prob.solve()
    grown = prob.solve(generate_patterns=3)
    assert grown.info["generated_patterns"] > 0
    assert grown.info["patterns"] == prob.blocks.size + grown.info["generated_patterns"]
    # a network, scored as one: below the fixed-sample optimum
    assert prob.objective(grown.weights) < prob.objective(fixed.weights) * (1 - 1e-3)
    assert prob.objective(grown.weights) == pytest.approx(grown.value, rel=1e-10)
    searches = [r for r in grown.info["progress"] if r["generated"]]
    assert 1 <= len(searches) <= 3
    # the bound reported at a search is that program's (before it grows): below its value
    assert all(r["bound"] <= r["value"] * (1 + 1e-12) for r in searches)
    assert not grown.certified and np.isnan(grown.dual_value)


def test_pattern_generation_is_refused_for_the_free_bias_and_a_no_op_when_enumerated():
    prob = _problem(n=20, d=2, P=10, bias="free")
    with pytest.raises(ValueError, match="generate_patterns"):
        prob.solve(generate_patterns=True)
    X, y = dk.data.sine_features(n=15, d=2, seed=0)
    exact = dk.TwoLayerReLU(X, y, 0.05)
    a, b = exact.solve(), exact.solve(generate_patterns=True)
    assert b.info["generated_patterns"] == 0 and b.certified
    assert a.value == pytest.approx(b.value, rel=1e-12)


def test_unknown_method_is_refused():
    M = np.random.default_rng(0).standard_normal((10, 3))
    B = Blocks(M, sample_patterns(M, 5)[0], -np.ones(5, dtype=int))
    with pytest.raises(ValueError, match="method"):
        cone_group_lasso(B, np.ones(10), 0.1, method="admm")


def test_the_torch_path_gives_the_numpy_answer():
    """device="cpu" runs each scan's block products and the pattern search in torch (the path a
    CUDA device takes under device="auto"); the answer is NumPy's to rounding."""
    pytest.importorskip("torch")
    from dualkit.solvers.pattern_search import block_grads
    prob = _problem(n=40, d=2, P=10, frac=0.05, seed=2)
    lam = np.random.default_rng(0).standard_normal(prob.n)
    np.testing.assert_allclose(block_grads(prob.blocks, lam, "cpu"), prob.blocks.grads(lam),
                               rtol=1e-12, atol=1e-12)
    a = prob.solve(device="numpy", generate_patterns=1)
    b = prob.solve(device="cpu", generate_patterns=1)
    assert b.value == pytest.approx(a.value, rel=1e-9)
    assert b.info["generated_patterns"] == a.info["generated_patterns"]


@pytest.mark.skipif("not __import__('torch').cuda.is_available()", reason="needs a CUDA device")
def test_cuda_gives_the_numpy_answer():
    prob = _problem(n=200, d=4, P=40, frac=0.03, seed=2)
    a = prob.solve(device="numpy", generate_patterns=2)
    b = prob.solve(device="cuda", generate_patterns=2)
    assert b.value == pytest.approx(a.value, rel=1e-8)
