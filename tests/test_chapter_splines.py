"""The numbers the 1-D chapter (chapters/splines_1d.md) shows, on the chapter's own data."""

import numpy as np
import pytest

import dualkit as dk


def test_dual_constraint_touches_beta_only_at_the_optimal_knots():
    x, y = dk.data.zigzag(8, seed=0)
    prob = dk.ReLU1D(x, y, beta=1e-2)
    sol = prob.solve()
    k = np.linspace(x.min() - 0.2, x.max() + 0.2, 4001)
    right = np.abs(np.maximum(x[None, :] - k[:, None], 0) @ sol.dual)
    left = np.abs(np.maximum(k[:, None] - x[None, :], 0) @ sol.dual)
    top = np.maximum(right, left)
    assert top.max() <= prob.beta * (1 + 1e-9)                 # dual feasible over all knots
    # "the two orientations draw one curve here": they differ by lambda*^T x, which vanishes
    assert abs(sol.dual @ x) < 1e-12 and np.abs(right - left).max() < 1e-12
    def at(kk):
        kk = np.atleast_1d(kk)
        r = np.abs(np.maximum(x[None, :] - kk[:, None], 0) @ sol.dual)
        l_ = np.abs(np.maximum(kk[:, None] - x[None, :], 0) @ sol.dual)
        return np.maximum(r, l_)

    # it equals beta at the optimal knots, which are data points ...
    assert sol.knots.size > 0
    assert np.allclose(at(sol.knots), prob.beta, rtol=1e-9)
    # ... and, being piecewise linear in k with breakpoints at the data, peaks next to a data point
    peak = k[np.argmax(top)]
    assert np.abs(peak - x).min() <= k[1] - k[0]


@pytest.mark.slow
def test_deep_network_at_t_not_one_reaches_the_convex_optimum_at_beta_eff():
    """The deep 1-D section at t = 0.8: P*_deep(beta, t) = P*_(C5)(beta / t^(L-2)), and the
    trained depth-4 network comes within 10% of it with every kink at a data point."""
    x, y = dk.data.zigzag(8, seed=0, lo=0.1, hi=2.1)
    t, beta = 0.8, 1e-2 * 0.8 ** 2
    deep = dk.ReLU1D(x, y, beta=beta, depth=4, t=t)
    dsol = deep.solve(width=300)
    at_beta_eff = dk.ReLU1D(x, y, beta=beta / t ** 2).solve()
    at_beta = dk.ReLU1D(x, y, beta=beta).solve()
    assert deep.beta_eff == pytest.approx(1e-2, rel=1e-14)
    assert dsol.value == pytest.approx(at_beta_eff.value, rel=1e-10)
    assert deep.objective(dsol.weights) == pytest.approx(at_beta_eff.value, rel=1e-10)
    assert abs(dsol.value - at_beta.value) > 0.05 * at_beta.value      # the scaling matters
    net = deep.network([30, 30, 200], seed=1)
    dk.train(net, deep, steps=3000, lr=2e-2, progress=False)
    gap = deep.relative_gap(net)
    assert -1e-9 <= gap < 0.10                                       # "within 10%"
    ks = dk.splines.kinks(net, lo=x.min(), hi=x.max())
    assert np.abs(ks[:, None] - x[None, :]).min(axis=1).max() <= 1e-3 * np.diff(x).min()


@pytest.mark.slow
def test_reflection_example():
    xr, yr = dk.data.reflection_example()
    std = dk.StandardDeepReLU1D(xr, yr, beta=1e-3, depth=4)
    capped = std.capped_ramp(5.0, 8.0, 0.0, 3.0)
    assert np.abs(capped.forward(xr[:, None]) - yr).max() < 1e-12     # interpolates
    # its weight decay is L/2 slope^(2/L) = 2, the two-layer spline cost of the same data
    assert std.objective(capped) == pytest.approx(1e-3 * 2.0, rel=1e-12)
    assert dk.ReLU1D(xr, yr, 0.0).solve().value == pytest.approx(2.0, rel=1e-12)
    g = np.linspace(0, 11, 1101)
    f = capped.forward(g[:, None])
    assert np.allclose(f, np.clip(g - 5, 0, 3))                        # kinks at 5 and 8
    with pytest.raises(RuntimeError, match="reflect"):
        std.solve()
    assert std.lower_bound() is None
    for seed in (0, 1):
        net = std.network(20, seed=seed)
        hist = dk.train(net, std, steps=100, optimizer="lbfgs", bound=None, progress=False)
        bends = dk.splines.bends(net, lo=xr.min(), hi=xr.max(), top=3)
        assert np.abs(bends[:, None] - xr[None, :]).min(axis=1).max() > 0.25
        # "neither trained network reaches the capped ramp" (they end at 1.8x and 2.9x it)
        assert hist.final_objective > 1.2 * std.objective(capped)
        # "their objective stops changing well before the last step"
        half = hist.objective[len(hist.objective) // 2]
        assert abs(half - hist.final_objective) <= 1e-6 * hist.final_objective
        print(f"measured: reflection seed {seed}: {hist.final_objective / std.objective(capped):.2f}x")


def test_kinks_between_data_points_can_be_optimal_for_beta_positive():
    """The chapter's wording: there is always an optimal network whose kinks lie at data points;
    when the fit changes slope with the same sign at two neighbouring data points, the dual
    constraint equals beta on the whole interval between them and a kink anywhere there is
    equally optimal (beta > 0 too)."""
    x, y = np.arange(6.0), np.array([1.0, 0.0, 0.0, 1.0, 3.0, 3.5])
    prob = dk.ReLU1D(x, y, beta=0.05)
    sol = prob.solve()
    ref = prob.solve(method="cvxpy")
    assert sol.value == pytest.approx(0.205, rel=1e-10)
    assert ref.value == pytest.approx(0.205, rel=1e-7)
    f = sol.function
    assert np.allclose(f.knots, [1, 2, 3, 4], atol=1e-9)            # the optimum the solver returns
    assert np.allclose(f.kinks, [0.85, 1.15, 0.65, -1.05], atol=1e-9)
    # same sign at the neighbouring data points 2 and 3: the dual constraint is beta on [2, 3]
    k = np.linspace(2.0, 3.0, 1001)
    ratio = np.abs(np.maximum(x[None, :] - k[:, None], 0) @ sol.dual) / prob.beta
    assert np.abs(ratio - 1).max() <= 1e-8
    # one knot replaces the two: d2 (x-2)_+ + d3 (x-3)_+ and (d2+d3)(x-k)_+ agree at every data
    # point when k = (2 d2 + 3 d3) / (d2 + d3); the slope changes, hence the cost, are the same
    d2, d3 = f.kinks[1], f.kinks[2]
    k_new = (2 * d2 + 3 * d3) / (d2 + d3)
    assert k_new == pytest.approx(2.3611, abs=1e-4) and np.abs(k_new - x).min() > 0.3
    merged = dk.splines.PiecewiseLinear(np.array([1.0, k_new, 4.0]),
                                        np.array([f.kinks[0], d2 + d3, f.kinks[3]]),
                                        f.slope_left, f.offset)
    net = dk.splines.ramp_network(merged)
    assert np.allclose(dk.splines.network_function(net).knots, [1.0, k_new, 4.0])
    assert prob.objective(net) == pytest.approx(0.205, rel=1e-12)
    assert prob.objective(net) == pytest.approx(sol.value, rel=1e-12)
