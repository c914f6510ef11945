"""1-D ReLU networks and linear splines (the derivations appendix, app-ramp-program to
app-deep-1d): interpolation values, (C5) against trained networks, kinks at data points, and the
deep construction."""

import cvxpy as cp
import numpy as np
import pytest
from scipy.optimize import linprog

import dualkit as dk
from dualkit.splines import linear_spline, network_function, spline_cost


def savarese_min_over_slopes(x, y):
    """Savarese's R of the interpolant, minimized over the extrapolation slopes, as an LP in
    (s_minus, s_plus, r, e1, e2): independent of the library's closed form."""
    s = np.diff(y) / np.diff(x)
    tv = np.abs(np.diff(s)).sum()
    # variables v = [sm, sp, r, e1, e2]; minimize r
    # r >= tv + e1 + e2, e1 >= |s1 - sm|, e2 >= |sp - s_last|, r >= |sm + sp|
    A = [[0, 0, -1, 1, 1],
         [-1, 0, 0, -1, 0], [1, 0, 0, -1, 0],
         [0, 1, 0, 0, -1], [0, -1, 0, 0, -1],
         [1, 1, -1, 0, 0], [-1, -1, -1, 0, 0]]
    b = [-tv, -s[0], s[0], s[-1], -s[-1], 0, 0]
    res = linprog([0, 0, 1, 0, 0], A_ub=A, b_ub=b, bounds=[(None, None)] * 5)
    assert res.status == 0
    return res.fun


def at_data(knots, x, tol=1e-10):
    """Every knot is a data point (to rounding)."""
    return knots.size == 0 or np.abs(knots[:, None] - x[None, :]).min(axis=1).max() <= tol


def raw_c5_cvxpy(x, y, beta, skip=False):
    """(C5) on the raw data (repeated inputs kept), solved by cvxpy with tight tolerances."""
    n = x.size
    A = np.maximum(x[:, None] - x[None, :], 0)
    B = np.maximum(x[None, :] - x[:, None], 0)
    al, ga, b0 = cp.Variable(n), cp.Variable(n), cp.Variable()
    pred = A @ al + B @ ga + b0
    if skip:
        c = cp.Variable()
        pred = pred + c * x
    p = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(pred - y) + beta * (cp.norm1(al) + cp.norm1(ga))))
    p.solve(solver="CLARABEL", tol_gap_abs=1e-11, tol_gap_rel=1e-11, tol_feas=1e-11)
    return p.value


# ---------------------------------------------------------------- interpolation values
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_5a_interpolation_equals_spline_cost_and_savarese(seed):
    x, y = dk.data.zigzag(8, seed=seed)
    no_skip = dk.ReLU1D(x, y, 0.0).solve()
    with_skip = dk.ReLU1D(x, y, 0.0, skip=True).solve()
    s = np.diff(y) / np.diff(x)
    interior_tv = np.abs(np.diff(s)).sum()
    assert with_skip.value == pytest.approx(interior_tv, rel=1e-6)
    assert no_skip.value == pytest.approx(savarese_min_over_slopes(x, y), rel=1e-6)
    # both certified by a dual point of the interpolation LP, and equal to the LP by cvxpy
    for sol, skip in ((no_skip, False), (with_skip, True)):
        assert sol.certified and abs(sol.rel_gap) < 1e-12
        ref = dk.ReLU1D(x, y, 0.0, skip=skip).solve(method="cvxpy")
        assert sol.value == pytest.approx(ref.value, rel=1e-6)
        # the optimal network interpolates, with kinks only at data points
        assert np.allclose(sol.predict(x), y, atol=1e-9)
        assert at_data(sol.knots, x)
    # zig-zag data: the optimum on [x1, xn] is the linear spline (unique where slope changes
    # alternate, app-spline-cost)
    grid = np.linspace(x.min(), x.max(), 501)
    assert np.abs(no_skip.predict(grid) - np.interp(grid, x, y)).max() < 1e-9
    assert spline_cost(x, y) == pytest.approx(no_skip.value, rel=1e-12)


def test_interpolation_special_cases():
    x = np.array([1.0, 2.0, 3.0, 5.0])
    # collinear data cost |s| without a skip (one ramp) and 0 with one (app-biases-skip)
    assert dk.ReLU1D(x, -2 * x + 1, 0.0).solve().value == pytest.approx(2.0, rel=1e-12)
    assert dk.ReLU1D(x, -2 * x + 1, 0.0, skip=True).solve().value == pytest.approx(0.0, abs=1e-12)
    # non-uniqueness on a convex run (app-spline-cost): TV = 2, and 2 (x - 1.5)_+ is also optimal
    x, y = np.array([0.0, 1.0, 2.0, 3.0]), np.array([0.0, 0.0, 1.0, 3.0])
    prob = dk.ReLU1D(x, y, 0.0)
    sol = prob.solve()
    assert sol.value == pytest.approx(2.0, rel=1e-12) and sol.certified
    other = dk.nets.ReLUWeights([np.array([[np.sqrt(2)]]), np.array([np.sqrt(2)])],
                                [np.array([-1.5 * np.sqrt(2)]), 0.0])
    assert prob.objective(other) == pytest.approx(sol.value, rel=1e-12)
    assert network_function(other).knots[0] == pytest.approx(1.5)  # between data points
    # one or two points
    assert dk.ReLU1D([0.3], [2.0], 0.0).solve().value == 0.0
    two = dk.ReLU1D([0.0, 2.0], [1.0, 0.0], 0.0).solve()
    assert two.value == pytest.approx(0.5) and two.certified


def test_savarese_norm_of_a_network_is_its_least_cost():
    # R(f) of the optimal interpolant equals the cost of the network that realizes it
    x, y = dk.data.zigzag(6, seed=3)
    sol = dk.ReLU1D(x, y, 0.0).solve()
    assert sol.function.savarese_norm == pytest.approx(sol.value, rel=1e-9)
    assert linear_spline(x, y)(x) == pytest.approx(y)


# ---------------------------------------------------------------- the solver
@pytest.mark.parametrize("skip", [False, True])
@pytest.mark.parametrize("seed", [0, 1])
def test_ramp_solver_matches_cvxpy(skip, seed):
    x, y = dk.data.points_1d(25, seed=seed)
    prob0 = dk.ReLU1D(x, y, 1.0, skip=skip)
    for frac in (1e-3, 0.05, 0.3, 0.9, 1.2):
        prob = dk.ReLU1D(x, y, frac * prob0.beta_max, skip=skip)
        sol = prob.solve()
        ref = prob.solve(method="cvxpy")
        assert sol.certified, (frac, sol)
        assert sol.value == pytest.approx(ref.value, rel=1e-6)
        assert prob.objective(sol.weights) == pytest.approx(sol.value, rel=1e-12)
        assert prob.dual_objective(sol.dual) == pytest.approx(sol.dual_value, rel=1e-12)
        assert sol.dual_value <= sol.value * (1 + 1e-12)
        assert ref.dual_value <= sol.value * (1 + 1e-9)  # weak duality across solvers
        assert at_data(sol.knots, x)                  # knots at data points


def test_knots_thin_out_as_beta_grows_and_vanish_at_beta_max():
    x, y = dk.data.points_1d(40, seed=4)
    prob = dk.ReLU1D(x, y, 1.0)
    bmax = prob.beta_max
    counts = [len(s.knots) for s in prob.path(bmax * np.array([1e-3, 1e-2, 0.1, 0.5, 1.01]))]
    assert counts[-1] == 0 and counts[0] > counts[2] > 0
    below = dk.ReLU1D(x, y, 0.95 * bmax).solve()
    assert len(below.knots) > 0 and below.value < 0.5 * np.sum((y - y.mean()) ** 2)


def test_repeated_inputs_match_raw_c5():
    x, y = dk.data.points_1d(12, seed=5)
    x = np.concatenate([x, x[[2, 2, 7]]])
    y = np.concatenate([y, y[[2, 2, 7]] + np.array([0.3, -0.5, 0.2])])
    for skip in (False, True):
        prob = dk.ReLU1D(x, y, 0.2, skip=skip)
        sol = prob.solve()
        assert sol.certified
        assert sol.value == pytest.approx(raw_c5_cvxpy(x, y, 0.2, skip), rel=1e-6)
        assert prob.dual_objective(sol.dual) == pytest.approx(sol.dual_value, rel=1e-12)
    with pytest.raises(ValueError, match="repeated inputs"):
        dk.ReLU1D(x, y, 0.0)


def test_weight_recovery_any_width():
    x, y = dk.data.zigzag(8, seed=1)
    prob = dk.ReLU1D(x, y, 0.05)
    sol = prob.solve()
    k = sol.weights[0].shape[1]
    wide = prob.solve(width=k + 7)
    assert wide.weights[0].shape == (1, k + 7)
    assert prob.objective(wide.weights) == pytest.approx(sol.value, rel=1e-12)
    with pytest.raises(ValueError, match="width"):
        prob.solve(width=max(k - 1, 1) if k > 1 else 0)
    # balanced neurons: |w1| = |w2| for every active neuron
    w1, w2 = wide.weights[0][0], wide.weights[1]
    assert np.allclose(np.abs(w1), np.abs(w2))


# ---------------------------------------------------------------- deep construction
@pytest.mark.parametrize("depth", [3, 4, 5])
@pytest.mark.parametrize("skip", [False, True])
def test_5e_deep_construction_equals_two_layer_at_beta_eff(depth, skip):
    x, y = dk.data.zigzag(8, seed=0, lo=0.1, hi=2.1)
    t, beta = 1.3, 0.02
    deep = dk.ReLU1D(x, y, beta, depth=depth, t=t, skip=skip)
    two = dk.ReLU1D(x, y, beta / t ** (depth - 2), skip=skip).solve()
    sol = deep.solve(width=12, seed=3)
    assert sol.value == pytest.approx(two.value, rel=1e-10)
    assert deep.objective(sol.weights) == pytest.approx(two.value, rel=1e-10)
    assert sol.certified
    for W in sol.weights[: depth - 2]:
        assert np.linalg.norm(W) == pytest.approx(t, rel=1e-12)
        assert np.linalg.matrix_rank(W, tol=1e-10 * np.abs(W).max()) == 1
    # the deep network computes the two-layer fit on x >= 0
    grid = np.linspace(0.0, 2.5, 200)
    assert np.abs(sol.predict(grid) - two.predict(grid)).max() < 1e-10
    # interpolation: value scales by 1/t^(L-2)
    interp = dk.ReLU1D(x, y, 0.0, depth=depth, t=t, skip=skip).solve()
    base = dk.ReLU1D(x, y, 0.0, skip=skip).solve()
    assert interp.value == pytest.approx(base.value / t ** (depth - 2), rel=1e-12)


# ---------------------------------------------------------------- training: gap, kinks, function
@pytest.fixture(scope="module")
def trained_zigzag():
    x, y = dk.data.zigzag(8, seed=0)
    prob = dk.ReLU1D(x, y, 1e-2)
    net = prob.network(200, seed=2)
    hist = dk.train(net, prob, steps=3000, lr=1e-2, progress=False)     # as in the chapter
    return x, y, prob, prob.solve(), net, hist


@pytest.mark.medium
def test_5b_trained_two_layer_reaches_c5(trained_zigzag):
    x, y, prob, sol, net, hist = trained_zigzag
    gap = prob.relative_gap(net)
    print(f"measured: two-layer zigzag relative gap {gap:.3e}")
    assert -1e-9 <= gap <= 1e-2
    assert hist.final_rel_gap == pytest.approx(gap, abs=1e-12)


@pytest.mark.medium
def test_5c_trained_kinks_sit_at_data_points(trained_zigzag):
    x, y, prob, sol, net, hist = trained_zigzag
    ks = dk.splines.kinks(net, rtol=1e-3, lo=x.min(), hi=x.max())
    assert ks.size > 0
    dist = np.abs(ks[:, None] - x[None, :]).min(axis=1).max()
    print(f"measured: kink distance / min spacing {dist / np.diff(x).min():.2e}")
    assert dist <= 1e-3 * np.diff(x).min()


@pytest.mark.medium
def test_5d_trained_function_equals_convex_fit(trained_zigzag):
    x, y, prob, sol, net, hist = trained_zigzag
    grid = np.linspace(x.min(), x.max(), 1001)
    f_nn = network_function(net)(grid)
    assert np.abs(f_nn - sol.predict(grid)).max() <= 1e-2
    # and, as beta -> 0, the convex fit approaches the linear spline
    dists = [np.abs(s.predict(grid) - np.interp(grid, x, y)).max()
             for s in prob.path([1e-2, 1e-3, 1e-4, 1e-5])]
    assert all(a > b for a, b in zip(dists, dists[1:], strict=False)) and dists[-1] < 1e-3


# ---------------------------------------------------------------- splines and networks
def test_network_function_matches_forward():
    rng = np.random.default_rng(0)
    for seed in range(3):
        net = dk.nets.DeepReLUNet(1, [9], seed=seed, skip=True)
        w = net.weights()
        w.skip = 0.4
        grid = np.linspace(-4, 4, 301)
        assert np.abs(network_function(w)(grid) - w.forward(grid[:, None])).max() < 1e-12
        deep = dk.nets.DeepReLUNet(1, [4, 5, 6], seed=seed, sphere_layers=2, radius=1.2)
        deep.place_kinks(0.2, 1.5, seed=seed)
        wd = deep.weights()
        grid = np.linspace(0, 3, 301)
        assert np.abs(network_function(wd)(grid) - wd.forward(grid[:, None])).max() < 1e-12
        k = network_function(wd).knots
        inside = k[(k >= 0.2 - 1e-12) & (k <= 1.5 + 1e-12)]
        assert inside.size == k.size or rng is None


def test_place_kinks_inside_range():
    x, y = dk.data.zigzag(10, seed=2)
    net = dk.ReLU1D(x, y, 0.1).network(50, seed=1)
    k = network_function(net).knots
    assert k.min() >= x.min() - 1e-12 and k.max() <= x.max() + 1e-12


# ---------------------------------------------------------------- validation
def test_validation_messages():
    x, y = dk.data.zigzag(6)
    with pytest.raises(ValueError, match="x >= 0"):
        dk.ReLU1D(x, y, 0.1, depth=3)
    with pytest.raises(ValueError, match="beta"):
        dk.ReLU1D(x, y, -1.0)
    with pytest.raises(ValueError, match="scalar inputs"):
        dk.ReLU1D(np.ones((6, 2)), y, 0.1)
    with pytest.raises(ValueError, match="y"):
        dk.ReLU1D(x, y[:-1], 0.1)
    with pytest.raises(ValueError, match="x"):
        dk.ReLU1D(np.where(np.arange(6) == 2, np.nan, x), y, 0.1)
    with pytest.raises(ValueError, match="method"):
        dk.ReLU1D(x, y, 0.1).solve(method="lars")
    with pytest.raises(ValueError, match="skip"):
        dk.ReLU1D(x, y, 0.1, skip="yes")
    prob = dk.ReLU1D(x, y, 0.0)
    with pytest.raises(ValueError, match="beta > 0"):
        prob.torch_objective(prob.network(5), None, None)
    with pytest.raises(ValueError, match="architecture|DeepReLUNet"):
        dk.ReLU1D(x, y, 0.1, skip=True).check_network(prob.network(5))
    with pytest.raises(ValueError, match="ReLUWeights"):
        prob.objective([np.ones((1, 3)), np.ones(3)])


# ---------------------------------------------------------------- edge cases found in review
def test_dual_check_does_not_depend_on_shifting_x():
    x = 1e9 + np.array([0.0, 1.0, 2.0])
    prob = dk.ReLU1D(x, [1.0, 2.0, 1.0], 1.0)
    assert prob.dual_objective(np.full(3, 1 / 3)) == -np.inf      # 1^T lam = 1 != 0
    sol = prob.solve()
    assert sol.certified and sol.dual_value <= sol.value * (1 + 1e-12)


@pytest.mark.parametrize("y, skip", [([1.0, 1.0, 1.0], False), ([0.0, 0.0, 0.0], False),
                                     ([1.0, 3.0, 5.0], True)])
def test_zero_optimum_is_solved_and_certified(y, skip):
    sol = dk.ReLU1D([0.0, 1.0, 2.0], y, 0.5, skip=skip).solve()
    assert sol.value == pytest.approx(0.0, abs=1e-12) and sol.certified


def test_tiny_optimum_is_not_lost_to_cancellation():
    y = 1 + 1e-10 * np.random.default_rng(0).standard_normal(6)
    sol = dk.ReLU1D(np.arange(6.0), y, 0.1).solve()
    # the dual was 1.8e-15 against a value of 1.7e-20 when computed as |y|^2/2 - |lam - y|^2/2;
    # the residuals (1e-10 of y ~ 1) themselves carry a relative rounding of ~1e-6
    assert abs(sol.value - sol.dual_value) <= 1e-5 * sol.value and sol.certified


def test_ramp_solver_rejects_bad_input():
    from dualkit.solvers.ramp import ramp_interpolation, ramp_lasso
    with pytest.raises(ValueError, match="sorted"):
        ramp_lasso(np.array([1.0, 0.0, 2.0]), np.ones(3), 1.0)
    with pytest.raises(ValueError, match="sorted"):
        ramp_interpolation(np.array([1.0, 0.0, 2.0]), np.ones(3))
    with pytest.raises(ValueError, match="beta"):
        ramp_lasso(np.arange(3.0), np.ones(3), -1.0)
    with pytest.raises(ValueError, match="finite"):
        ramp_lasso(np.arange(3.0), np.array([1.0, np.nan, 0.0]), 1.0)


def test_knots_a_hair_apart_keep_their_kinks():
    x = np.array([0.0, 1e-11, 1.0, 2.0, 3.0])
    y = np.array([0.0, 1.0, 1.0, 1.02, 1.0])
    sol = dk.ReLU1D(x, y, 0.0).solve()
    assert sol.certified and np.isfinite(sol.value)
    assert sol.function(2.0) == pytest.approx(1.02, abs=1e-4)


@pytest.mark.medium
def test_deep_predictions_do_not_depend_on_batch_size():
    x, y = dk.data.zigzag(8, seed=0, lo=0.1, hi=2.1)
    sol = dk.ReLU1D(x, y, 0.01, depth=4).solve(width=3000)
    assert sol.predict(np.full(5, -1.0))[0] == sol.predict(np.full(700, -1.0))[0]
    assert sol.predict(np.full(700, 1.0))[0] == pytest.approx(sol.predict(np.full(5, 1.0))[0], rel=1e-12)


def test_ramp_network_realizes_a_function_at_its_total_variation():
    rng = np.random.default_rng(5)
    grid = np.linspace(-4, 4, 801)
    for _ in range(20):
        knots = np.sort(rng.uniform(-3, 3, 5))
        kinks = rng.standard_normal(5)
        s_plus, s_minus = kinks[kinks > 0].sum(), -kinks[kinks < 0].sum()
        f = dk.splines.PiecewiseLinear(knots, kinks, rng.uniform(-s_plus, s_minus), rng.standard_normal())
        net = dk.splines.ramp_network(f)
        assert np.abs(net.forward(grid[:, None]) - f(grid)).max() < 1e-12
        cost = 0.5 * (np.sum(net[0] ** 2) + np.sum(net[1] ** 2))
        assert cost == pytest.approx(f.total_variation, rel=1e-12)
    # a left slope outside [-S+, S-] has no such network
    f = dk.splines.PiecewiseLinear(np.array([0.0, 1.0]), np.array([1.0, -0.5]), 0.6, 0.0)
    with pytest.raises(ValueError, match="outside"):
        dk.splines.ramp_network(f)


@pytest.mark.parametrize("seed", range(6))
def test_interpolation_cost_is_tv_plus_distance_of_first_slope(seed):
    """Without a skip term: TV + dist(s_1, [-S+, S-]), S+ the sum of the positive interior slope
    changes and S- the magnitude of the sum of the negative ones."""
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(0, 4, 7))
    noise = 1.0 if seed % 2 else 0.05                            # a strong trend makes dist > 0
    y = noise * rng.standard_normal(7) + rng.uniform(-6, 6) * x
    s = np.diff(y) / np.diff(x)
    d = np.diff(s)
    s_plus, s_minus = d[d > 0].sum(), -d[d < 0].sum()
    dist = max(-s_plus - s[0], s[0] - s_minus, 0.0)
    value = dk.ReLU1D(x, y, 0.0).solve().value
    assert value == pytest.approx(np.abs(d).sum() + dist, rel=1e-9)
    if seed % 2 == 0:
        assert dist > 0.1                                        # the distance term is exercised


def test_beta_max_for_needs_no_beta_and_with_beta_keeps_the_rules():
    """Repeated inputs with different targets refuse beta=0 (no interpolant), but their zero
    threshold comes from the data alone; with_beta shares the merged inputs."""
    x = np.array([0.0, 1.0, 1.0, 2.0, 3.0])
    y = np.array([0.0, 1.0, -1.0, 2.0, 0.5])
    with pytest.raises(ValueError, match="repeated inputs"):
        dk.ReLU1D(x, y, 0.0)
    bmax = dk.ReLU1D.beta_max_for(x, y)
    prob = dk.ReLU1D(x, y, 0.3 * bmax)
    assert prob.beta_max == pytest.approx(bmax, rel=1e-12)
    other = prob.with_beta(0.6 * bmax)
    assert other.xs is prob.xs and other.beta == 0.6 * bmax
    assert other.solve().value == pytest.approx(dk.ReLU1D(x, y, 0.6 * bmax).solve().value,
                                                rel=1e-12)
    with pytest.raises(ValueError, match="repeated inputs"):
        prob.with_beta(0.0)
    deep = dk.ReLU1D.beta_max_for(x + 1, y, depth=3, t=2.0)       # t^(L-2) times the 2-layer one
    assert deep == pytest.approx(2.0 * dk.ReLU1D.beta_max_for(x + 1, y), rel=1e-12)
    assert deep == pytest.approx(dk.ReLU1D(x + 1, y, 1.0, depth=3, t=2.0).beta_max, rel=1e-12)


def test_standard_deep_network_refuses_without_not_implemented():
    x, y = dk.data.zigzag(8)
    std = dk.StandardDeepReLU1D(x, y, 0.1, depth=3)
    assert std.lower_bound() is None
    for call in (std.solve, lambda: std.dual_objective(y), lambda: std.feasible_dual(y),
                 lambda: std.dual_constraint(y), lambda: std.beta_max):
        with pytest.raises(RuntimeError, match="ReLU1D"):
            call()
    with pytest.raises(ValueError, match="lower bound"):
        std.gap(std.network(3))
