"""Random instances of the 1-D and rank-one ReLU problems (hypothesis): weak duality, certified
optima that the returned weights attain, and agreement with cvxpy on small instances."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dualkit as dk

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def one_d(draw):
    n = draw(st.integers(1, 25))
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    x = rng.standard_normal(n) * 10 ** draw(st.floats(-3, 3))
    if n > 2 and draw(st.booleans()):
        x[rng.integers(0, n, 2)] = x[0]                     # repeated inputs
    y = rng.standard_normal(n) * 10 ** draw(st.floats(-3, 3))
    depth = draw(st.sampled_from([2, 2, 3, 4]))
    if depth > 2:
        x = np.abs(x)
    return x, y, draw(st.booleans()), depth, draw(st.floats(-4, 0.5))


@FAST
@given(one_d())
def test_relu1d_random_instances_are_certified(case):
    x, y, skip, depth, log_frac = case
    bmax = dk.ReLU1D(x, y, 1.0, depth=depth, skip=skip).beta_max
    beta = 10**log_frac * bmax if bmax > 0 else 1.0
    prob = dk.ReLU1D(x, y, beta, depth=depth, t=1.3, skip=skip)
    sol = prob.solve()
    floor = 1e-12 * 0.5 * float(y @ y)
    assert sol.certified
    assert sol.dual_value <= sol.value * (1 + 1e-9) + floor                  # weak duality
    assert abs(prob.objective(sol.weights) - sol.value) <= 1e-9 * abs(sol.value) + floor
    assert prob.dual_objective(sol.dual) == pytest.approx(sol.dual_value, rel=1e-9, abs=floor)
    if x.size <= 10 and depth == 2:
        ref = prob.solve(method="cvxpy")
        assert abs(ref.value - sol.value) <= 1e-5 * abs(sol.value) + 1e-9 * 0.5 * float(y @ y)


@st.composite
def rank_one(draw):
    n, d = draw(st.integers(1, 25)), draw(st.integers(1, 8))
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    c = np.abs(rng.standard_normal(n)) * 10 ** draw(st.floats(-2, 2))
    a = rng.standard_normal(d) * 10 ** draw(st.floats(-2, 2))
    sign = draw(st.sampled_from([1.0, -1.0]))
    y = rng.standard_normal(n) * 10 ** draw(st.floats(-2, 2))
    return sign * np.outer(c, a), y, draw(st.integers(2, 6)), 10 ** draw(st.floats(-0.5, 0.5)), \
        draw(st.booleans()), draw(st.floats(-4, 0.5))


@FAST
@given(rank_one())
def test_rank_one_random_instances_are_certified(case):
    X, y, depth, t, bias, log_frac = case
    base = dk.RankOneReLU(X, y, 1.0, depth=depth, t=t)
    beta = 10**log_frac * max(base.beta_max, 1e-12)
    prob = dk.RankOneReLU(X, y, beta, depth=depth, t=t, bias=bias)
    sol = prob.solve()
    floor = 1e-12 * 0.5 * float(y @ y)
    assert sol.certified
    assert sol.dual_value <= sol.value * (1 + 1e-9) + floor
    assert abs(prob.objective(sol.weights) - sol.value) <= 1e-8 * abs(sol.value) + floor
