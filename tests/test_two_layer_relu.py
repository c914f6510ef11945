"""Two-layer ReLU networks are convex programs (the derivations appendix, app-relu-program and
app-relu-sampling): the recovered network attains the program's value, and trained networks stay
above it."""

from __future__ import annotations

import itertools
import math

import cvxpy as cp
import numpy as np
import pytest
import torch

import dualkit as dk
from dualkit.solvers.relu_program import (
    Blocks,
    cone_support,
    dual_constraint,
    enumerate_patterns,
    pattern_count,
    sample_patterns,
)


@pytest.fixture(scope="module")
def data():
    return dk.data.sine_features(20, 2, seed=0)


@pytest.fixture(scope="module")
def solved(data):
    X, y = data
    out = {}
    for bias in ("regularized", "free", "none"):
        prob = dk.TwoLayerReLU(X, y, 1e-2, bias=bias)
        out[bias] = (prob, prob.solve(), prob.solve(method="cvxpy"))
    return out


def _sphere_max(M, lam, n_dirs=200_000, seed=0):
    """An independent lower estimate of max_{|u|<=1} |lam^T (M u)_+| by random directions."""
    rng = np.random.default_rng(seed)
    U = rng.standard_normal((M.shape[1], n_dirs))
    U /= np.linalg.norm(U, axis=0)
    V = lam @ np.maximum(M @ U, 0.0)
    return float(np.abs(V).max())


# ---------------------------------------------------------------- patterns
@pytest.mark.medium
@pytest.mark.parametrize("n,d,bias", [(5, 1, True), (12, 2, True), (30, 2, True), (9, 3, True),
                                      (15, 2, False), (8, 4, False), (7, 1, False), (160, 2, True)])
def test_enumeration_count_equals_formula(n, d, bias):
    rng = np.random.default_rng(n * 10 + d)
    X = rng.standard_normal((n, d))
    M = np.column_stack([X, np.ones(n)]) if bias else X
    r = np.linalg.matrix_rank(M)
    D = enumerate_patterns(M)
    assert D.shape[1] == pattern_count(n, r)
    # every pattern is realized by some direction: the sampled ones are a subset
    S, _ = sample_patterns(M, 20_000, seed=1)
    enum = {c.tobytes() for c in D.T}
    assert {c.tobytes() for c in S.T} <= enum


def test_enumeration_matches_brute_force_in_2d():
    rng = np.random.default_rng(3)
    M = rng.standard_normal((10, 2))
    th = np.linspace(0, 2 * np.pi, 200_001)
    brute = {c.tobytes() for c in ((M @ np.vstack([np.cos(th), np.sin(th)])) >= 0).T}
    assert {c.tobytes() for c in enumerate_patterns(M).T} == brute


def test_enumeration_of_degenerate_data_covers_every_cell():
    # repeated points and a collinear triple: a superset of the cells is fine, a missing one not
    X = np.array([[0, 0], [1, 0], [2, 0], [1, 0], [0, 1], [1, 1.5]], dtype=float)
    M = np.column_stack([X, np.ones(len(X))])
    D = {c.tobytes() for c in enumerate_patterns(M).T}
    S, _ = sample_patterns(M, 50_000, seed=0)
    assert {c.tobytes() for c in S.T} <= D


def test_cone_support_matches_an_socp():
    rng = np.random.default_rng(0)
    for _ in range(5):
        A, g = rng.standard_normal((rng.integers(2, 12), 4)), rng.standard_normal(4)
        u = cp.Variable(4)
        p = cp.Problem(cp.Maximize(g @ u), [A @ u >= 0, cp.norm(u) <= 1])
        p.solve(solver="CLARABEL")
        v, direction = cone_support(A, g)
        assert v == pytest.approx(p.value, rel=1e-6, abs=1e-7)
        assert np.all(A @ direction >= -1e-10 * np.linalg.norm(direction))


# ---------------------------------------------------------------- program vs recovered network
@pytest.mark.medium
@pytest.mark.parametrize("bias", ["regularized", "free", "none"])
def test_solve_certified_and_agrees_with_cvxpy(solved, bias):
    prob, sol, ref = solved[bias]
    assert prob.exact and sol.certified
    assert sol.rel_gap <= 1e-6
    assert abs(sol.value - ref.value) <= 1e-6 * ref.value
    # the recovered network's objective equals the value (to 1e-8)
    assert abs(prob.objective(sol.weights) - sol.value) <= 1e-8 * sol.value
    # the certificate passes the exact dual check, and an independent sampled check
    assert prob.dual_objective(sol.dual) == pytest.approx(sol.dual_value, rel=1e-12)
    lam = sol.dual
    if bias == "free":
        assert abs(lam.sum()) <= 1e-9 * np.abs(lam).sum()
        worst = max(_sphere_max(prob.X - prob.X[k], lam, 20_000, seed=k) for k in range(prob.n))
    else:
        worst = _sphere_max(prob.M, lam)
    assert worst <= prob.beta * (1 + 1e-9)
    # weak duality for the reference's value
    assert sol.dual_value <= ref.value * (1 + 1e-12)


@pytest.mark.medium
def test_value_of_regularized_example(solved):
    # sampling 344 of the 382 patterns gives an upper bound; the exact value is lower
    prob, sol, _ = solved["regularized"]
    assert prob.blocks.size == 382
    few = dk.TwoLayerReLU(prob.X, prob.y, prob.beta, patterns=60, seed=0).solve()
    assert few.value >= sol.dual_value * (1 - 1e-9)
    assert not few.info["upper_bound"]   # n = 20, rank 3: the exact check is still affordable


@pytest.mark.medium
def test_recovered_network_width_and_forward(solved):
    prob, sol, _ = solved["free"]
    k = sol.info["active_blocks"]
    wide = prob.solve(width=k + 7)
    assert wide.weights[0].shape == (2, k + 7)
    assert prob.objective(wide.weights) == pytest.approx(sol.value, rel=1e-9)
    with pytest.raises(ValueError, match="below the number of active blocks"):
        prob.solve(width=max(k - 1, 1))
    # the torch network with these weights computes the same objective
    net = prob.network(k + 7)
    with torch.no_grad():
        net.layers[0].copy_(torch.as_tensor(wide.weights[0]))
        net.layers[1].copy_(torch.as_tensor(wide.weights[1])[:, None])
        net.biases["0"].copy_(torch.as_tensor(wide.weights.biases[0]))
        net.out_bias.fill_(float(wide.weights.biases[1]))
    X, y = torch.as_tensor(prob.X), torch.as_tensor(prob.y)
    assert float(prob.torch_objective(net, X, y).detach()) == pytest.approx(sol.value, rel=1e-10)


# ---------------------------------------------------------------- the 1-D link
@pytest.mark.parametrize("beta", [1e-3, 1e-2, 0.1, 1.0])
def test_free_bias_in_1d_equals_relu1d(beta):
    x, y = dk.data.points_1d(25, seed=1)
    a = dk.ReLU1D(x, y, beta).solve()
    b = dk.TwoLayerReLU(x[:, None], y, beta, bias="free").solve()
    assert b.certified
    assert abs(a.value - b.value) <= 1e-6 * a.value


# ---------------------------------------------------------------- trained networks vs the program
@pytest.mark.medium
def test_trained_network_never_beats_the_certified_optimum(data):
    torch.set_num_threads(1)
    X, y = data
    prob = dk.TwoLayerReLU(X, y, 1e-2)
    opt = prob.solve()
    assert opt.certified
    net = prob.network(200, seed=0)
    dk.train(net, prob, steps=40, optimizer="lbfgs", progress=False)
    p_nn = prob.objective(net)
    assert p_nn >= opt.value * (1 - 1e-6)
    assert (p_nn - opt.value) / opt.value < 0.02
    assert prob.gap(net) >= -1e-6 * opt.value


# ---------------------------------------------------------------- more
def test_zero_network_from_beta_max(data):
    X, y = data
    for bias in ("regularized", "free"):
        prob = dk.TwoLayerReLU(X, y, 1.0, bias=bias)
        bm = prob.beta_max
        at = dk.TwoLayerReLU(X, y, 1.001 * bm, bias=bias).solve()
        base = y - y.mean() if bias == "free" else y
        assert at.value == pytest.approx(0.5 * base @ base, rel=1e-12)
        below = dk.TwoLayerReLU(X, y, 0.9 * bm, bias=bias).solve()
        assert below.value < 0.5 * base @ base and below.certified


@pytest.mark.medium
def test_sampled_patterns_on_high_rank_data_are_an_upper_bound():
    X, y = dk.data.sine_features(40, 10, seed=2)
    prob = dk.TwoLayerReLU(X, y, 0.5, patterns=200, seed=0)
    assert not prob.exact and prob.exact_blocks() is None
    sol = prob.solve()
    assert not sol.certified and sol.info["upper_bound"] and np.isnan(sol.dual_value)
    # the restricted program itself is solved: its dual bound meets its value
    assert abs(sol.value - sol.info["restricted_dual_value"]) <= 1e-6 * sol.value
    with pytest.raises(RuntimeError, match="upper bound"):
        prob.dual_objective(sol.dual)
    assert prob.lower_bound() is None
    with pytest.raises(ValueError, match="no certified lower bound"):
        prob.gap(sol.weights)
    # more patterns can only lower the value (the set of 400 contains the 200: same seed stream)
    ref = prob.solve(method="cvxpy")
    assert abs(ref.value - sol.value) <= 1e-6 * sol.value


@pytest.mark.medium
def test_gate_vectors_give_the_same_program_as_cvxpy():
    X, y = dk.data.sine_features(30, 3, seed=4)
    G = np.random.default_rng(0).standard_normal((4, 40))
    prob = dk.TwoLayerReLU(X, y, 0.2, patterns=G)
    a, b = prob.solve(), prob.solve(method="cvxpy")
    assert abs(a.value - b.value) <= 1e-6 * b.value


def test_dual_constraint_is_the_max_over_blocks():
    rng = np.random.default_rng(5)
    M = np.column_stack([rng.standard_normal((8, 2)), np.ones(8)])
    D = enumerate_patterns(M)
    blocks = Blocks(M, D, np.full(D.shape[1], -1))
    lam = rng.standard_normal(8)
    S, _ = dual_constraint(blocks, lam)
    assert S >= _sphere_max(M, lam) * (1 - 1e-12)
    assert S <= _sphere_max(M, lam) * (1 + 1e-3)


@pytest.mark.parametrize("kwargs,match", [
    ({"beta": 0.0}, "beta"), ({"beta": -1.0}, "beta"), ({"beta": float("nan")}, "beta"),
    ({"bias": "both"}, "bias"), ({"patterns": "some"}, "patterns"),
    ({"patterns": np.ones((5, 3))}, "patterns"), ({"patterns": 0}, "patterns"),
    ({"seed": -1}, "seed"), ({"seed": 1.5}, "seed"),
])
def test_bad_inputs(data, kwargs, match):
    X, y = data
    args = {"beta": 0.1, **kwargs}
    with pytest.raises(ValueError, match=match):
        dk.TwoLayerReLU(X, y, **args)


def test_bad_data_and_gates_for_free_bias(data):
    X, y = data
    with pytest.raises(ValueError, match="X"):
        dk.TwoLayerReLU(X[:, 0], y, 0.1)
    with pytest.raises(ValueError, match="y"):
        dk.TwoLayerReLU(X, y[:-1], 0.1)
    Xn = X.copy()
    Xn[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        dk.TwoLayerReLU(Xn, y, 0.1)
    with pytest.raises(ValueError, match="free"):
        dk.TwoLayerReLU(X, y, 0.1, bias="free", patterns=np.ones((3, 4)))
    prob = dk.TwoLayerReLU(X, y, 0.1)
    with pytest.raises(ValueError, match="method"):
        prob.solve(method="adam")
    with pytest.raises(ValueError, match="bias"):
        prob.objective(dk.TwoLayerReLU(X, y, 0.1, bias="none").solve().weights)


def test_pattern_count_formula():
    assert pattern_count(20, 3) == 382           # 2 (1 + 19 + 171), n = 20, rank 3
    assert pattern_count(5, 1) == 2
    for n, r in itertools.product(range(2, 9), range(1, 5)):
        if r > n - 1:                           # n points of rank >= n: every pattern occurs
            assert pattern_count(n, r) == 2 ** n


def _regions(n, r, memo={}):  # noqa: B006 - a cache on purpose
    """Regions of n central hyperplanes in general position in dimension r, by the recursion
    C(n, r) = C(n-1, r) + C(n-1, r-1) (the n-th hyperplane splits the regions its n-1 traces cut
    it into), C(1, r) = 2, C(n, 1) = 2: an independent route to the closed form."""
    if n == 1 or r == 1:
        return 2
    if (n, r) not in memo:
        memo[n, r] = _regions(n - 1, r) + _regions(n - 1, r - 1)
    return memo[n, r]


def test_pattern_count_matches_the_recursion_and_its_bound():
    for n, r in itertools.product(range(1, 40), range(1, 8)):
        assert pattern_count(n, r) == _regions(n, r), (n, r)
        assert pattern_count(n, r) == 2 * sum(math.comb(n - 1, k) for k in range(r))
        if 2 <= r <= n:
            assert pattern_count(n, r) <= 2 * (math.e * (n - 1) / (r - 1)) ** (r - 1)


@pytest.mark.parametrize("r", [1, 2, 3, 4, 6, 11])
def test_pattern_count_grows_like_n_to_the_rank_minus_one(r):
    """Rank r: N_D = 2 n^(r-1) / (r-1)! (1 + O(1/n)), so doubling n multiplies it by 2^(r-1)."""
    n = 10**5
    lead = 2 * n ** (r - 1) / math.factorial(r - 1)
    assert abs(pattern_count(n, r) / lead - 1) < r * r / n
    slope = math.log2(pattern_count(2 * n, r) / pattern_count(n, r))
    assert abs(slope - (r - 1)) < 1e-3                       # not r
    # the same exponent from the enumerated counts of small rank-r data
    if r <= 3:
        rng = np.random.default_rng(r)
        counts = [enumerate_patterns(rng.standard_normal((m, r))).shape[1] for m in (40, 80)]
        assert counts == [pattern_count(40, r), pattern_count(80, r)]
        assert abs(math.log2(counts[1] / counts[0]) - (r - 1)) < 0.1


# ---------------------------------------------------------------- from the review
@pytest.mark.medium
@pytest.mark.parametrize("name", ["duplicated", "grid", "binary", "scaled_columns"])
def test_enumeration_on_degenerate_data_is_complete(name):
    rng = np.random.default_rng(0)
    M = {"duplicated": np.column_stack([np.repeat(rng.standard_normal((8, 3)), 2, 0), np.ones(16)]),
         "grid": np.column_stack([np.array(np.meshgrid(*[np.arange(3.0)] * 3)).reshape(3, -1).T,
                                  np.ones(27)]),
         "binary": np.array(np.meshgrid(*[[-1.0, 1.0]] * 4)).reshape(4, -1).T,
         "scaled_columns": rng.standard_normal((6, 3)) * np.array([1e-5, 1.0, 1e5])}[name]
    D = {c.tobytes() for c in enumerate_patterns(M).T}
    S, _ = sample_patterns(M / np.linalg.norm(M, axis=0), 100_000, seed=1)
    assert {c.tobytes() for c in S.T} <= D


@pytest.mark.medium
@pytest.mark.parametrize("bias", ["regularized", "free", "none"])
def test_scaling_y_and_beta_scales_the_value(data, bias):
    X, y = data
    ref = dk.TwoLayerReLU(X, y, 1e-2, bias=bias).solve()
    for s in (1e-8, 1e8):
        sol = dk.TwoLayerReLU(X, s * y, s * 1e-2, bias=bias).solve()
        assert sol.certified
        assert sol.value / s**2 == pytest.approx(ref.value, rel=1e-7)


def test_single_point_and_zero_targets(data):
    one = dk.TwoLayerReLU([[1.0, 2.0]], [1.5], 0.1, bias="free").solve()
    assert one.value == 0.0 and one.certified
    X, y = data
    zero = dk.TwoLayerReLU(X, 0 * y, 0.1).solve()
    assert zero.value == 0.0 and zero.certified


def test_feasible_dual_is_an_array_and_with_beta_shares_the_patterns():
    X, y = dk.data.sine_features(12, d=2, seed=0)
    prob = dk.TwoLayerReLU(X, y, 0.1, bias="free")
    lam = prob.feasible_dual(3 * y)
    assert isinstance(lam, np.ndarray) and lam.shape == y.shape
    assert prob.dual_constraint(lam).holds and np.isfinite(prob.dual_objective(lam))
    other = prob.with_beta(0.2)
    assert other.blocks is prob.blocks and other.beta == 0.2 and prob.beta == 0.1
    assert other.solve().value == pytest.approx(
        dk.TwoLayerReLU(X, y, 0.2, bias="free").solve().value, rel=1e-9)
    assert dk.TwoLayerReLU.beta_max_for(X, y, bias="free") == pytest.approx(prob.beta_max,
                                                                            rel=1e-12)
    with pytest.raises(ValueError, match="beta"):
        prob.with_beta(0.0)
