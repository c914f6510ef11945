"""Property tests over random instances of every problem class (hypothesis).

For each class: random shapes (n 1-60, d 1-30, K 1-5, depths 2-6 within what the class
allows), random data including rank-deficient X, n < d, duplicated rows, ill-conditioned X and
scales from 1e-6 to 1e6, and beta from 0 (where allowed) through the zero threshold to far past
it. Every instance asserts

* weak duality: ``sol.dual_value <= sol.value`` (to rounding);
* where ``sol.certified``: ``objective(sol.weights) == sol.value`` and
  ``dual_objective(sol.dual) == sol.dual_value`` (relative 1e-9, plus 1e-12 of the zero
  network's objective for values that round to zero);
* on every fifth instance (every instance in the long profile) of moderate scale (1e+-2; half
  of the scales are drawn there): the dedicated solver's value equals cvxpy's (relative 1e-5
  when cvxpy certifies itself, else it must lie in cvxpy's [dual, primal] bracket).

Tiers and profiles: each property is two tests, ``[small]`` (``SMALL`` = 50 instances per
class, in the README's ``python -m pytest``) and ``[full]`` (1000 instances per class, marked
``slow``: ``python -m pytest -m slow``), both with derandomized draws (the same instances on every
run). ``DUALKIT_PROPERTIES=long python -m pytest -m slow tests/test_properties.py`` makes the
full runs 5000 per class with fresh random draws and cvxpy on every moderate-scale instance
(``DUALKIT_PROPERTY_EXAMPLES=N`` overrides the full count). The counts of every run are printed
at the end of the pytest session (``PROPERTY_COUNTS``).
"""

from __future__ import annotations

import os
import warnings
from collections import Counter

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dualkit as dk

LONG = os.environ.get("DUALKIT_PROPERTIES", "fast") == "long"
EXAMPLES = int(os.environ.get("DUALKIT_PROPERTY_EXAMPLES", 5000 if LONG else 1000))
SMALL = 50
CVXPY_EVERY = 1 if LONG else 5
PROFILE = settings(deadline=None, derandomize=not LONG, database=None,
                   suppress_health_check=list(HealthCheck))
#: instances tried, certified, compared with cvxpy, per class (printed by conftest)
PROPERTY_COUNTS: Counter = Counter()
REL = 1e-9


def property_test(body):
    """The test of a property ``body(data)`` (hypothesis' ``st.data()`` draws): ``[small]``, SMALL
    instances, in the README tier; ``[full]``, EXAMPLES instances, in the slow tier."""
    @pytest.mark.parametrize("examples", [
        pytest.param(min(SMALL, EXAMPLES), id="small", marks=pytest.mark.medium),
        pytest.param(EXAMPLES, id="full", marks=pytest.mark.slow)])
    def test(examples):
        settings(PROFILE, max_examples=examples)(given(st.data())(body))()

    test.__name__, test.__qualname__, test.__doc__ = body.__name__, body.__qualname__, body.__doc__
    return test


# ---------------------------------------------------------------------------- data strategies
@st.composite
def matrices(draw, n_max=60, d_max=30):
    """(X, rng, moderate): Gaussian, rank-deficient, duplicated-row or ill-conditioned X at a
    random scale; ``moderate`` is False when X or the targets are scaled beyond 1e+-2."""
    n, d = draw(st.integers(1, n_max)), draw(st.integers(1, d_max))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kind = draw(st.sampled_from(["gaussian", "rank_deficient", "duplicated", "ill"]))
    X = rng.standard_normal((n, d))
    if kind == "rank_deficient" and min(n, d) > 1:
        r = draw(st.integers(1, min(n, d) - 1))
        X = rng.standard_normal((n, r)) @ rng.standard_normal((r, d))
    elif kind == "duplicated" and n > 1:
        X[rng.integers(0, n, n // 2 + 1)] = X[rng.integers(0, n)]
    elif kind == "ill" and min(n, d) > 1:
        U, _, Vt = np.linalg.svd(X, full_matrices=False)
        X = U @ np.diag(np.logspace(0, -8, min(n, d))) @ Vt
    x_exp = float(scale_exponent(rng))
    return X * 10**x_exp, rng, abs(x_exp) <= 2


def scale_exponent(rng, size=None):
    """Half of the draws in [-2, 2] (moderate: compared with cvxpy), half in [-6, 6]."""
    wide = rng.random(size) < 0.5
    return np.where(wide, rng.uniform(-6, 6, size), rng.uniform(-2, 2, size))


def targets(draw, rng, n, K=1):
    y_exp = float(scale_exponent(rng))
    y = rng.standard_normal((n, K) if K > 1 else n) * 10**y_exp
    return y, abs(y_exp) <= 2


def beta_fraction(draw, rng=None, allow_zero=False):
    """0 (where allowed), exactly the zero threshold, or 1e-6 .. 10 times it (log-uniform from
    the instance's generator: hypothesis' own float draws favour 0.0, i.e. the threshold)."""
    kind = draw(st.sampled_from(["zero", "threshold", "log", "log", "log", "log"]))
    if kind == "zero" and allow_zero:
        return 0.0
    if kind == "threshold":
        return 1.0
    return 10 ** (rng.uniform(-6, 1) if rng is not None else draw(st.floats(-6, 1)))


def check_certificate(name, prob, sol, zero_value):
    """Weak duality always; the objective and dual objective of the returned points when
    certified. ``zero_value`` is the objective of the zero network (the scale of 'zero')."""
    floor = 1e-12 * max(zero_value, 0.0)
    PROPERTY_COUNTS[name, "instances"] += 1
    assert np.isfinite(sol.value)
    assert sol.dual_value <= sol.value * (1 + REL) + floor, (sol.value, sol.dual_value)
    if sol.certified:
        PROPERTY_COUNTS[name, "certified"] += 1
        assert abs(prob.objective(sol.weights) - sol.value) <= REL * abs(sol.value) + floor
        assert prob.dual_objective(sol.dual) == pytest.approx(sol.dual_value, rel=REL, abs=floor)


def compare_cvxpy(name, prob, sol, zero_value, draw, moderate, **kw):
    """Every CVXPY_EVERY-th instance of moderate scale: cvxpy's value equals the solver's."""
    if not moderate or draw(st.integers(0, CVXPY_EVERY - 1)) != 0:
        return
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = prob.solve(method="cvxpy", **kw)
    except RuntimeError:           # cvxpy's solver did not reach 'optimal': counted, not hidden
        PROPERTY_COUNTS[name, "cvxpy not optimal"] += 1
        return
    PROPERTY_COUNTS[name, "cvxpy compared"] += 1
    slack = 1e-8 * zero_value
    if ref.certified:      # cvxpy's own certificate holds (relative 1e-6): the values agree
        assert abs(ref.value - sol.value) <= 1e-5 * abs(sol.value) + slack, (ref.value, sol.value)
    else:                  # cvxpy is inaccurate here: the optimum lies in its bracket
        PROPERTY_COUNTS[name, "cvxpy inaccurate, bracket checked"] += 1
        assert ref.dual_value * (1 - 1e-6) - slack <= sol.value, (ref.dual_value, sol.value)
        if sol.certified:  # a certified optimum lies inside the bracket
            assert sol.value <= ref.value * (1 + 1e-6) + slack, (sol.value, ref.value)
        else:              # neither is certified: weak duality is all that binds both
            assert sol.dual_value <= ref.value * (1 + 1e-6) + slack, (sol.dual_value, ref.value)
            if sol.value > ref.value * (1 + 1e-6) + slack:
                PROPERTY_COUNTS[name, "uncertified and above cvxpy's uncertified primal"] += 1


# ---------------------------------------------------------------------------- linear problems
@property_test
def test_two_layer_linear_scalar(data):
    X, rng, moderate = data.draw(matrices())
    n, d = X.shape
    y, mod_y = targets(data.draw, rng, n)
    bmax = dk.TwoLayerLinear.beta_max_for(X, y)
    frac = beta_fraction(data.draw, rng, allow_zero=n <= d and np.linalg.matrix_rank(X) == n)
    if bmax == 0:
        frac = max(frac, 1e-3)
    beta = frac * bmax if bmax > 0 else frac
    prob = dk.TwoLayerLinear(X, y, beta)
    sol = prob.solve()
    zero = 0.5 * float(y @ y)
    if beta == 0.0:   # interpolation: value = ||X^+ y||, no zero network to compare with
        zero = sol.value
    check_certificate("TwoLayerLinear (scalar)", prob, sol, zero)
    assert sol.certified, "the closed form always certifies"
    compare_cvxpy("TwoLayerLinear (scalar)", prob, sol, zero, data.draw, moderate and mod_y)


@property_test
def test_two_layer_linear_vector(data):
    X, rng, moderate = data.draw(matrices(n_max=40, d_max=15))
    K = data.draw(st.integers(2, 5))
    Y, mod_y = targets(data.draw, rng, X.shape[0], K)
    bmax = dk.TwoLayerLinear.beta_max_for(X, Y)
    beta = beta_fraction(data.draw, rng) * bmax
    prob = dk.TwoLayerLinear(X, Y, beta)
    try:
        sol = prob.solve()
    except RuntimeError as exc:
        # FISTA, then cvxpy, could not certify: allowed only on ill-conditioned X, and loudly
        assert "FISTA ended" in str(exc) and np.linalg.cond(X) > 1e6, str(exc)
        PROPERTY_COUNTS["TwoLayerLinear (K outputs)", "instances"] += 1
        PROPERTY_COUNTS["TwoLayerLinear (K outputs)", "declined (RuntimeError, cond > 1e6)"] += 1
        return
    zero = 0.5 * float(np.sum(Y * Y))
    check_certificate("TwoLayerLinear (K outputs)", prob, sol, zero)
    if "fallback" in sol.info:
        PROPERTY_COUNTS["TwoLayerLinear (K outputs)", "FISTA stalled, cvxpy took over"] += 1
    compare_cvxpy("TwoLayerLinear (K outputs)", prob, sol, zero, data.draw, moderate and mod_y)


@property_test
def test_two_layer_linear_other_losses(data):
    """Absolute, hinge and logistic losses: solved by cvxpy (the reference is the solver)."""
    X, rng, _ = data.draw(matrices(n_max=30, d_max=10))
    X = X / max(np.abs(X).max(), 1e-300)         # cvxpy's conic solvers at unit scale
    loss = data.draw(st.sampled_from(["absolute", "hinge", "logistic"]))
    n = X.shape[0]
    y = rng.standard_normal(n) if loss == "absolute" else np.where(rng.random(n) < 0.5, -1.0, 1.0)
    prob0 = dk.TwoLayerLinear(X, y, 1.0, loss=loss)
    beta = beta_fraction(data.draw, rng) * prob0.beta_max or 1e-3
    prob = dk.TwoLayerLinear(X, y, beta, loss=loss)
    zero = prob.loss.value(np.zeros(n), y)
    try:
        sol = prob.solve()
    except RuntimeError:
        PROPERTY_COUNTS[f"TwoLayerLinear ({loss})", "cvxpy not optimal"] += 1
        return
    check_certificate(f"TwoLayerLinear ({loss})", prob, sol, zero)
    assert sol.value <= zero * (1 + 1e-6) + 1e-12     # never worse than 0 (to cvxpy's accuracy)


@property_test
def test_deep_linear(data):
    X, rng, moderate = data.draw(matrices(n_max=40, d_max=20))
    K = data.draw(st.sampled_from([1, 1, 2, 3]))
    y, mod_y = targets(data.draw, rng, X.shape[0], K)
    depth = data.draw(st.integers(2, 6))
    t = 10 ** data.draw(st.floats(-0.5, 0.5))
    bmax = dk.DeepLinear.beta_max_for(X, y, depth=depth, t=t)
    beta = beta_fraction(data.draw, rng) * bmax if bmax > 0 else 1.0
    prob = dk.DeepLinear(X, y, beta, depth=depth, t=t)
    try:
        sol = prob.solve(width=data.draw(st.integers(1, 4)) if K == 1 else None)
    except RuntimeError as exc:
        # vector outputs go through the two-layer FISTA (test_two_layer_linear_vector): on
        # ill-conditioned X it may not certify, and then says so
        assert K > 1 and "FISTA ended" in str(exc) and np.linalg.cond(X) > 1e6, str(exc)
        PROPERTY_COUNTS["DeepLinear", "declined (RuntimeError, K > 1, cond > 1e6)"] += 1
        return
    zero = 0.5 * float(np.sum(y * y))
    check_certificate("DeepLinear", prob, sol, zero)
    assert sol.certified or K > 1, "the scalar closed form always certifies"
    compare_cvxpy("DeepLinear", prob, sol, zero, data.draw, moderate and mod_y)


@property_test
def test_deep_linear_weight_decay(data):
    """No dual for depth >= 3 (non-convex): the optimum must be at least as good as the zero
    network and as every point of the ridge path on an independent grid; depth 2 equals (C1)."""
    X, rng, _ = data.draw(matrices(n_max=30, d_max=15))
    y, _ = targets(data.draw, rng, X.shape[0])
    depth = data.draw(st.integers(2, 6))
    bmax = np.linalg.norm(X.T @ y)
    beta = beta_fraction(data.draw, rng) * bmax if bmax > 0 else 1.0
    prob = dk.DeepLinearWeightDecay(X, y, beta, depth=depth)
    sol = prob.solve()
    zero = 0.5 * float(y @ y)
    name = "DeepLinearWeightDecay"
    PROPERTY_COUNTS[name, "instances"] += 1
    floor = 1e-12 * zero
    assert abs(prob.objective(sol.weights) - sol.value) <= REL * abs(sol.value) + floor
    assert sol.value <= zero * (1 + REL) + floor
    rp = dk.solvers.closed_form.RidgePath(X, y, method="svd")
    for mu in np.geomspace(1e-8, 1e8, 60) * max(rp.s2[0], 1e-300):
        w = rp.Vt.T @ (rp.b / (rp.s2 + mu))
        assert prob.end_to_end_objective(w) >= sol.value * (1 - 1e-9) - floor
    if depth == 2:
        ref = dk.TwoLayerLinear(X, y, beta).solve()
        assert abs(ref.value - sol.value) <= 1e-9 * abs(ref.value) + floor


# ---------------------------------------------------------------------------- ReLU problems
@property_test
def test_relu_1d(data):
    n = data.draw(st.integers(1, 60))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    x_exp, y_exp = scale_exponent(rng, 2)
    x = rng.standard_normal(n) * 10**x_exp
    if n > 2 and data.draw(st.booleans()):
        x[rng.integers(0, n, 2)] = x[0]                          # repeated inputs
    y = rng.standard_normal(n) * 10**y_exp
    skip = data.draw(st.booleans())
    depth = data.draw(st.sampled_from([2, 2, 3, 4, 5, 6]))
    if depth > 2:
        x = np.abs(x)
    bmax = dk.ReLU1D(x, y, 1.0, depth=depth, skip=skip).beta_max
    # beta = 0 (interpolation) needs distinct inputs: repeated ones with different targets
    # cannot be interpolated, and ReLU1D says so (tests/test_relu_1d.py)
    frac = beta_fraction(data.draw, rng, allow_zero=np.unique(x).size == n)
    beta = frac * bmax if bmax > 0 else max(frac, 1e-3)
    prob = dk.ReLU1D(x, y, beta, depth=depth, t=1.3, skip=skip)
    sol = prob.solve()
    zero = 0.5 * float(y @ y) if beta > 0 else sol.value
    check_certificate("ReLU1D", prob, sol, zero)
    assert sol.certified
    if depth == 2 and n <= 30:
        compare_cvxpy("ReLU1D", prob, sol, zero, data.draw,
                      abs(x_exp) <= 2 and abs(y_exp) <= 2)


@property_test
def test_rank_one_relu(data):
    n, d = data.draw(st.integers(1, 60)), data.draw(st.integers(1, 30))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    c_exp, a_exp, y_exp = scale_exponent(rng, 3)
    c = np.abs(rng.standard_normal(n)) * 10**c_exp
    if n > 2 and data.draw(st.booleans()):
        c[rng.integers(0, n, 2)] = c[0]                          # duplicated rows
    a = rng.standard_normal(d) * 10**a_exp
    X = data.draw(st.sampled_from([1.0, -1.0])) * np.outer(c, a)
    y = rng.standard_normal(n) * 10**y_exp
    depth, bias = data.draw(st.integers(2, 6)), data.draw(st.booleans())
    t = 10 ** data.draw(st.floats(-0.5, 0.5))
    bmax = dk.RankOneReLU(X, y, 1.0, depth=depth, t=t, bias=bias).beta_max
    frac = beta_fraction(data.draw, rng)
    beta = frac * bmax if bmax > 0 else frac
    prob = dk.RankOneReLU(X, y, beta, depth=depth, t=t, bias=bias)
    sol = prob.solve()
    zero = 0.5 * float(y @ y)
    check_certificate("RankOneReLU", prob, sol, zero)
    assert sol.certified
    moderate = max(abs(c_exp), abs(a_exp), abs(y_exp)) <= 2 and (not bias or n <= 30)
    compare_cvxpy("RankOneReLU", prob, sol, zero, data.draw, moderate)


@property_test
def test_two_layer_relu(data):
    """Exact patterns on data small enough to enumerate (n <= 12, d <= 3)."""
    n, d = data.draw(st.integers(1, 12)), data.draw(st.integers(1, 3))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    x_exp, y_exp = scale_exponent(rng, 2)
    X = rng.standard_normal((n, d))
    if n > 2 and data.draw(st.booleans()):
        X[rng.integers(0, n, 2)] = X[0]                          # duplicated rows
    X = X * 10**x_exp
    y = rng.standard_normal(n) * 10**y_exp
    bias = data.draw(st.sampled_from(["regularized", "free", "none"]))
    bmax = dk.TwoLayerReLU(X, y, 1.0, bias=bias, patterns="exact").beta_max
    frac = beta_fraction(data.draw, rng)
    beta = frac * bmax if bmax > 0 else max(frac, 1e-3)
    prob = dk.TwoLayerReLU(X, y, beta, bias=bias, patterns="exact")
    try:
        sol = prob.solve()
    except RuntimeError as exc:      # Clarabel stopped ('InsufficientProgress'): loud, counted
        assert "Clarabel ended" in str(exc), str(exc)
        PROPERTY_COUNTS[f"TwoLayerReLU ({bias} bias)", "instances"] += 1
        PROPERTY_COUNTS[f"TwoLayerReLU ({bias} bias)", "declined (RuntimeError)"] += 1
        return
    zero = 0.5 * float(y @ y)
    check_certificate(f"TwoLayerReLU ({bias} bias)", prob, sol, zero)
    if not sol.certified:
        # exact patterns close the certificate except near interpolation (beta below 1e-2 of
        # the threshold: Clarabel ends the restricted SOCP 'AlmostSolved', issue 11's known
        # limit) or at extreme data scales: counted, and weak duality held above
        assert frac < 1e-2 or max(abs(x_exp), abs(y_exp)) > 3, \
            "exact patterns: the certificate closes"
        PROPERTY_COUNTS[f"TwoLayerReLU ({bias} bias)",
                        "not certified (beta < 1e-2 beta_max or scale beyond 1e+-3)"] += 1
    compare_cvxpy(f"TwoLayerReLU ({bias} bias)", prob, sol, zero, data.draw,
                  abs(x_exp) <= 2 and abs(y_exp) <= 2)
