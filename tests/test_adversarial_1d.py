"""Issue 21: the 1-D ReLU problem (ReLU1D, its ramp solver) and the rank-one ReLU problem
(RankOneReLU) answer every input: a certified optimum, checked here against an independent
computation (the scale-1 solve mapped by the known scaling, the closed form computed from an
SVD here, or the interpolation cost), or a ValueError that names the argument and the fix.

The scaling used throughout: the problems are homogeneous,
P(a x, b y, a b beta) = b**2 P(x, y, beta) with knots times a (ReLU1D), and the same for
RankOneReLU with X in place of x.
"""

from __future__ import annotations

import numpy as np
import pytest

import dualkit as dk
from dualkit.problems.base import ROUNDING
from dualkit.problems.deep_linear import DeepLinear


def data_1d(n=20, seed=0):
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-1, 1, n))
    return x, np.sin(3 * x) + 0.1 * rng.standard_normal(n)


def data_rank_one(n=20, d=3, seed=0):
    rng = np.random.default_rng(seed)
    c = np.abs(rng.standard_normal(n))
    X = np.outer(c, rng.standard_normal(d))
    return X, np.sin(3 * c) + 0.1 * rng.standard_normal(n)


def rank_one_closed_form(X, y, beta, depth=4, t=1.0):
    """P* of the bias-free rank-one problem, computed here from an SVD of X:
    min_k 1/2 |k c - y|^2 + beta / (t^(L-2) |a|) |k| with X = c a^T, |a| = 1."""
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    c = s[0] * U[:, 0]
    if c.sum() < 0:
        c = -c
    bt = beta / t ** (depth - 2)
    cy = float(c @ y)
    k = np.sign(cy) * max(abs(cy) - bt, 0.0) / float(c @ c)
    return 0.5 * float((k * c - y) @ (k * c - y)) + bt * abs(k)


def assert_certified(sol):
    """Certified, finite, and the gap is >= 0: at most float64's rounding of the two values
    below 0 (one ulp was seen where both are the same number, e.g. the zero network)."""
    assert sol.certified
    assert np.isfinite(sol.value) and np.isfinite(sol.dual_value)
    assert sol.value - sol.dual_value >= -ROUNDING * max(abs(sol.value), abs(sol.dual_value))


# ---------------------------------------------------------------- ReLU1D reproducers
@pytest.mark.parametrize("beta", [1e-300, 1e-100, 1e-20])
def test_relu1d_tiny_beta_is_the_interpolation_limit(beta):
    """ReLU1D(x, y, 1e-300).solve() raised ZeroDivisionError (ramp.py:444). Far below
    beta_max the optimum is beta times the interpolation cost R (up to beta**2): the dual bound
    equals it, and the value is that plus float64's rounding of 1/2|f(x) - y|^2."""
    x, y = data_1d()
    R = dk.ReLU1D(x, y, 0.0).solve().value          # the minimum-norm interpolation cost
    sol = dk.ReLU1D(x, y, beta).solve()
    assert_certified(sol)
    assert sol.dual_value == pytest.approx(beta * R, rel=1e-9)
    assert sol.value <= beta * R + 1e-24
    assert sol.info["shortcut"].startswith("beta far below beta_max")


@pytest.mark.parametrize("method", ["ramp", "cvxpy"])
def test_relu1d_huge_beta_is_the_zero_network_without_a_solver(method, monkeypatch):
    """ReLU1D(x, y, 1e300) raised OverflowError; beta >= beta_max is the zero network (the
    constant mean), certified, and no solver runs (both are replaced by failures here)."""
    import dualkit.problems.relu_1d as mod

    def boom(*args, **kwargs):
        raise AssertionError("no solver may run at beta >= beta_max")

    monkeypatch.setattr(mod, "ramp_lasso", boom)
    monkeypatch.setattr(mod, "ramp_program", boom)
    x, y = data_1d()
    for beta in (1e300, dk.ReLU1D.beta_max_for(x, y)):
        sol = dk.ReLU1D(x, y, beta).solve(method=method)
        assert_certified(sol)
        assert sol.value == pytest.approx(0.5 * float(np.sum((y - y.mean()) ** 2)), rel=1e-12)
        assert np.allclose(sol.predict(x), y.mean(), rtol=1e-12)
        assert "beta >= beta_max" in sol.info["shortcut"]
    # with a skip the zero network is the least-squares line
    sol = dk.ReLU1D(x, y, 1e300, skip=True).solve(method=method)
    line = np.polyval(np.polyfit(x, y, 1), x)
    assert_certified(sol)
    assert sol.value == pytest.approx(0.5 * float(np.sum((y - line) ** 2)), rel=1e-9)


def test_relu1d_targets_whose_square_overflows_are_refused():
    """ReLU1D(x, y * 1e160, .5) raised ZeroDivisionError (ramp.py:485): 1/2|y|^2 = 1e321 is not
    a float64, so neither is the value of any network; a ValueError names y and the
    rescaling."""
    x, y = data_1d()
    with pytest.raises(ValueError, match=r"y: ½‖y‖² .* is infinite \(overflow\) in float64: "
                                         r"rescale the data: ReLU1D\(x \* a, y \* b, beta \* a \* b\)"):
        dk.ReLU1D(x, y * 1e160, 0.5).solve()


def test_relu1d_accepts_tensors_that_require_grad():
    """ReLU1D with a torch tensor that requires grad raised torch's RuntimeError."""
    torch = pytest.importorskip("torch")
    x, y = data_1d()
    ref = dk.ReLU1D(x, y, 0.5).solve()
    xt = torch.tensor(x, requires_grad=True)
    yt = torch.tensor(y, requires_grad=True)
    sol = dk.ReLU1D(xt, yt, 0.5).solve()
    assert_certified(sol)
    assert sol.value == pytest.approx(ref.value, rel=1e-12)
    assert dk.ReLU1D(xt[:, None], yt, 0.5).n == x.size


def test_relu1d_verbose_prints_progress_and_info_keeps_it(capsys):
    x, y = data_1d(200, seed=3)
    sol = dk.ReLU1D(x, y, 0.01).solve(verbose=True)
    out = capsys.readouterr().out
    lines = sol.info["progress"]
    assert len(lines) >= 2 and all(line.startswith("ramp barrier: t=") for line in lines)
    assert all(line in out for line in lines)
    quiet = dk.ReLU1D(x, y, 0.01).solve()
    assert capsys.readouterr().out == "" and quiet.info["progress"] == lines
    sol = dk.ReLU1D(x[:30], y[:30], 0.01).solve(method="cvxpy", verbose=True)
    out = capsys.readouterr().out
    assert "cvxpy program (C5)" in out and "cvxpy done in" in out
    assert [line for line in sol.info["progress"] if "cvxpy" in line] == sol.info["progress"]


# ---------------------------------------------------------------- RankOneReLU reproducers
def test_rank_one_targets_whose_square_overflows_are_refused():
    """RankOneReLU(Xr, y * 1e200, ...) returned value inf silently."""
    X, y = data_rank_one()
    with pytest.raises(ValueError, match=r"y: ½‖y‖² .* infinite \(overflow\) in float64: "
                                         r"rescale the data: RankOneReLU\(X \* a, y \* b"):
        dk.RankOneReLU(X, y * 1e200, 0.5).solve()


def test_rank_one_t_whose_power_overflows_is_refused_as_deep_linear_does():
    """RankOneReLU(..., t=1e300) gave inf (OverflowError at depth 4): t^(L-2) = 1e600 is not a
    float64 (the hidden layers of every such network overflow); refused with DeepLinear's
    message. At depth 3, t^(L-2) = 1e300 is representable and the answer is correct."""
    X, y = data_rank_one()
    with pytest.raises(ValueError) as ours:
        dk.RankOneReLU(X, y, 0.5, t=1e300)
    with pytest.raises(ValueError) as theirs:
        DeepLinear(X, y, 0.5, depth=4, t=1e300)
    assert str(ours.value) == str(theirs.value)
    assert "t^(depth-2)" in str(ours.value)
    sol = dk.RankOneReLU(X, y, 0.5, t=1e300, depth=3).solve()
    assert_certified(sol)
    ref = rank_one_closed_form(X, y, 0.5, depth=3, t=1e300)
    assert sol.value == pytest.approx(ref, rel=1e-9)


@pytest.mark.parametrize("scale", [1e200, 1e-200])
def test_rank_one_huge_and_tiny_inputs(scale):
    """RankOneReLU(Xr * 1e200, ...) returned the zero network, uncertified (|c|^2 overflowed).
    Independent value: P(a X, y, beta) = P(X, y, beta / a), by the closed form on X."""
    X, y = data_rank_one()
    sol = dk.RankOneReLU(X * scale, y, 0.5).solve()
    assert_certified(sol)
    ref = rank_one_closed_form(X, y, 0.5 / scale)
    assert sol.value == pytest.approx(ref, rel=1e-9)
    if scale > 1:      # beta is far below beta_max there: not the zero network
        assert ref < 0.5 * float(y @ y) * 0.99


def test_depth_checks_agree_with_deep_linear():
    """RankOneReLU(depth=3.0) was accepted where DeepLinear refuses: one check for all."""
    X, y = data_rank_one()
    x, y1 = data_1d()
    with pytest.raises(ValueError) as ref:
        DeepLinear(X, y, 0.5, depth=3.0)
    calls = [lambda: dk.RankOneReLU(X, y, 0.5, depth=3.0),
             lambda: dk.RankOneReLU.beta_max_for(X, y, depth=3.0),
             lambda: dk.ReLU1D(np.abs(x), y1, 0.5, depth=3.0),
             lambda: dk.ReLU1D.beta_max_for(np.abs(x), y1, depth=3.0),
             lambda: dk.StandardDeepReLU1D(x, y1, 0.5, depth=3.0)]
    for call in calls:
        with pytest.raises(ValueError) as err:
            call()
        assert str(err.value) == str(ref.value)
    for bad in (True, 1, 2.5):
        with pytest.raises(ValueError, match="depth must be an integer >= 2"):
            dk.RankOneReLU(X, y, 0.5, depth=bad)


def test_rank_one_huge_beta_is_the_zero_network_without_a_solver(monkeypatch):
    """beta >= beta_max: kappa = 0, certified by lambda = y, and cvxpy does not run."""
    import dualkit.problems.rank_one_relu as mod

    def boom(*args, **kwargs):
        raise AssertionError("no solver may run at beta >= beta_max")

    monkeypatch.setattr(mod, "scalar_lasso", boom)
    monkeypatch.setattr(mod, "lasso_dual", boom)
    X, y = data_rank_one()
    for beta in (1e300, dk.RankOneReLU.beta_max_for(X, y)):
        sol = dk.RankOneReLU(X, y, beta).solve(method="cvxpy")
        assert_certified(sol)
        assert sol.value == pytest.approx(0.5 * float(y @ y), rel=1e-12)
        assert sol.info["kappa"] == 0.0


# ---------------------------------------------------------------- property: every scale
SCALES = [(1e-150, 1e-150), (1e-150, 1e150), (1e150, 1e-150), (1e150, 1e150),
          (1e-75, 1e40), (1e100, 1.0)]


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("skip", [False, True])
def test_relu1d_every_scale_matches_the_scale_one_solve(seed, skip):
    """Seeded data at fractions of beta_max, solved at x * a, y * b, beta * a * b for a, b in
    1e-150..1e150: certified, gap >= 0, value b**2 times the scale-1 value, the function
    a, b times (its knots a times)."""
    x, y = data_1d(15, seed)
    frac = (0.02, 0.3)[seed]
    beta = frac * dk.ReLU1D.beta_max_for(x, y, skip=skip)
    ref = dk.ReLU1D(x, y, beta, skip=skip).solve()
    for a, b in SCALES:
        sol = dk.ReLU1D(x * a, y * b, beta * a * b, skip=skip).solve()
        assert_certified(sol)
        assert sol.value / b**2 == pytest.approx(ref.value, rel=1e-6)
        assert sol.dual_value / b**2 == pytest.approx(ref.dual_value, rel=1e-6)
        big = dk.splines.kinks(ref.weights, rtol=1e-6)      # knots a times the scale-1 ones
        assert np.allclose(dk.splines.kinks(sol.weights, rtol=1e-6) / a, big, rtol=1e-9)
        grid = np.linspace(x.min() - 0.5, x.max() + 0.5, 101)
        assert np.allclose(sol.predict(grid * a) / b, ref.predict(grid), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("bias", [False, True])
def test_rank_one_every_scale_matches_the_scale_one_solve(bias):
    X, y = data_rank_one(12, seed=2)
    beta = 0.2 * dk.RankOneReLU.beta_max_for(X, y, depth=3, bias=bias)
    ref = dk.RankOneReLU(X, y, beta, depth=3, bias=bias).solve()
    for a, b in SCALES:
        sol = dk.RankOneReLU(X * a, y * b, beta * a * b, depth=3, bias=bias).solve()
        assert_certified(sol)
        assert sol.value / b**2 == pytest.approx(ref.value, rel=1e-6)
        assert sol.dual_value / b**2 == pytest.approx(ref.dual_value, rel=1e-6)
    if not bias:
        assert ref.value == pytest.approx(rank_one_closed_form(X, y, beta, depth=3), rel=1e-9)


def test_deep_relu1d_at_scale():
    """depth 3 (beta_eff = beta / t): the same scaling, with x >= 0."""
    x, y = data_1d(15, 4)
    x = x - x.min() + 0.1
    beta = 0.1 * dk.ReLU1D.beta_max_for(x, y, depth=3, t=2.0)
    ref = dk.ReLU1D(x, y, beta, depth=3, t=2.0).solve()
    for a, b in [(1e-120, 1e120), (1e120, 1e-100)]:
        sol = dk.ReLU1D(x * a, y * b, beta * a * b, depth=3, t=2.0).solve()
        assert_certified(sol)
        assert sol.value / b**2 == pytest.approx(ref.value, rel=1e-6)


@pytest.mark.parametrize("a, b", [(1e150, 1e150), (1e-150, 1e100)])
def test_rank_one_cvxpy_at_scale_and_verbose(a, b, capsys):
    """The cvxpy reference solves on scaled data too (exact powers of two), and prints and
    keeps progress lines; far below beta_max (X * 1e200 at beta = 0.5) cvxpy's tolerance
    cannot resolve the dual constraint and the closed form is used, said in info."""
    X, y = data_rank_one()
    beta = 0.3 * dk.RankOneReLU.beta_max_for(X, y)
    sol = dk.RankOneReLU(X * a, y * b, beta * a * b).solve(method="cvxpy", verbose=True)
    assert_certified(sol)
    assert sol.value / b**2 == pytest.approx(rank_one_closed_form(X, y, beta), rel=1e-6)
    out = capsys.readouterr().out
    assert len(sol.info["progress"]) == 2 and all(line in out for line in sol.info["progress"])
    sol = dk.RankOneReLU(X * 1e200, y, 0.5).solve(method="cvxpy")
    assert_certified(sol)
    assert sol.value == pytest.approx(rank_one_closed_form(X, y, 0.5e-200), rel=1e-9)
    assert sol.info["shortcut"].startswith("beta far below beta_max")


def test_ramp_lasso_every_scale_and_its_limits():
    """The solver function itself: the same fit at every scale (it scales by powers of two
    inside), and beyond its range a RuntimeError that names the way out (ReLU1D.solve),
    where it raised ZeroDivisionError (beta = 1e-300) and OverflowError (beta = 1e300)."""
    from dualkit.solvers.ramp import ramp_lasso

    x, y = data_1d()
    w = np.ones(x.size)
    ref = ramp_lasso(x, y, 0.05)
    for a, b in [(1e-150, 1e150), (1e100, 1e-100)]:
        fit = ramp_lasso(x * a, y * b, 0.05 * a * b)
        assert fit.objective(y * b, w, 0.05 * a * b) / b**2 == pytest.approx(
            ref.objective(y, w, 0.05), rel=1e-9)
        assert np.allclose(fit.lam / b, ref.lam, rtol=1e-6, atol=1e-9)
    for beta in (1e-300, 1e300):
        with pytest.raises(RuntimeError, match=r"left float64's range .* ReLU1D\(x, y, beta\)"):
            ramp_lasso(x, y, beta)


def test_interpolation_every_scale():
    """beta = 0 (minimum-norm interpolation): the cost scales as b / a, certified at every
    scale (the dual point maps by 1 / a)."""
    x, y = data_1d(12, 5)
    ref = dk.ReLU1D(x, y, 0.0).solve()
    for a, b in [(1e-150, 1e150), (1e120, 1e-100), (1e-150, 1e-150)]:
        sol = dk.ReLU1D(x * a, y * b, 0.0).solve()
        assert_certified(sol)
        assert sol.value * a / b == pytest.approx(ref.value, rel=1e-9)
        assert sol.dual_value * a / b == pytest.approx(ref.dual_value, rel=1e-9)
