"""The generic cvxpy programs of dualkit.solvers.cvxpy_ref, on plain arrays: each checked
against a closed form or its own dual, and the one wrapper's retry and import behaviour."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from dualkit.losses import Hinge, Squared
from dualkit.solvers import group_lasso_single
from dualkit.solvers.cvxpy_ref import (
    CvxpyResult,
    lasso_dual,
    norm_penalized_dual,
    norm_penalized_loss,
    ramp_program,
    relu_cone_program,
    scalar_lasso,
    solve_cvxpy,
)

rng = np.random.default_rng(3)
X = rng.standard_normal((10, 4))
y = rng.standard_normal(10)
Y = rng.standard_normal((10, 3))


def test_cvxpy_ref_does_not_import_cvxpy():
    code = "import sys, dualkit.solvers.cvxpy_ref; assert 'cvxpy' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_norm_penalized_squared_equals_closed_form_and_dual():
    res = norm_penalized_loss(X, y, 0.7, Squared())
    assert isinstance(res, CvxpyResult) and res.status == "optimal" and res.solver == "CLARABEL"
    assert set(res.timings) == {"compile", "solve", "total"}
    w = group_lasso_single(X, y, 0.7)
    assert np.allclose(res.x["w"], w, atol=1e-4)
    assert res.value == pytest.approx(0.5 * np.sum((X @ w - y) ** 2) + 0.7 * np.linalg.norm(w),
                                      rel=1e-7)
    dual = norm_penalized_dual(X, y, 0.7, Squared())
    assert dual.x["lam"].shape == y.shape
    assert dual.value == pytest.approx(res.value, rel=1e-6)


@pytest.mark.parametrize("targets", ["vector", "matrix"])
def test_norm_penalized_strong_duality(targets):
    T = np.sign(y) if targets == "vector" else Y
    loss = Hinge() if targets == "vector" else Squared()
    p = norm_penalized_loss(X, T, 0.5, loss)
    d = norm_penalized_dual(X, T, 0.5, loss)
    assert p.x["w"].shape == ((4,) if targets == "vector" else (4, 3))
    assert d.value == pytest.approx(p.value, rel=1e-6)


def test_min_norm_interpolation_and_its_dual():
    Xw = rng.standard_normal((4, 9))
    yw = rng.standard_normal(4)
    p = norm_penalized_loss(Xw, yw, 0.0, Squared())
    d = norm_penalized_dual(Xw, yw, 0.0, Squared())
    ref = np.linalg.pinv(Xw) @ yw
    assert np.allclose(p.x["w"], ref, atol=1e-6)
    assert p.value == pytest.approx(np.linalg.norm(ref), rel=1e-6)
    assert d.value == pytest.approx(np.linalg.norm(ref), rel=1e-6)


def test_scalar_lasso_is_soft_thresholding_and_its_dual_agrees():
    c = np.abs(rng.standard_normal(10))
    beta = 0.3 * abs(c @ y)
    kappa = np.sign(c @ y) * (abs(c @ y) - beta) / (c @ c)
    p = scalar_lasso(c, y, beta)
    assert p.x["kappa"] == pytest.approx(kappa, rel=1e-6)
    assert lasso_dual(c, y, beta).value == pytest.approx(p.value, rel=1e-6)
    # two rows: the constraint of each holds at the optimum
    C = np.vstack([c, rng.standard_normal(10)])
    lam = lasso_dual(C, y, beta).x["lam"]
    assert np.all(np.abs(C @ lam) <= beta * (1 + 1e-6))


def test_ramp_program_interpolates_and_the_lp_dual_matches():
    xs = np.linspace(0.0, 1.0, 7)
    ys = np.sin(4 * xs)
    res = ramp_program(xs, ys, 0.0)
    al, ga = res.x["alpha"], res.x["gamma"]
    f = (np.maximum(xs[:, None] - xs, 0) @ al + np.maximum(xs - xs[:, None], 0) @ ga
         + res.x["b0"])
    assert np.allclose(f, ys, atol=1e-7)
    lam = res.duals["interpolation"]
    assert lam @ ys == pytest.approx(res.value, rel=1e-6)
    reg = ramp_program(xs, ys, 0.01, omega=np.ones(7), skip=True)
    assert {"alpha", "gamma", "b0", "c"} <= set(reg.x) and reg.solver == "CLARABEL"


def test_relu_cone_program_free_bias_returns_an_offset():
    M = rng.standard_normal((6, 2))
    D = (M @ rng.standard_normal((2, 5)) >= 0)
    res = relu_cone_program(M, D, y[:6], 0.1)
    assert res.x["V"].shape == res.x["W"].shape == (2, 5) and "b0" not in res.x
    free = relu_cone_program(M, D, y[:6], 0.1, anchors=M[:5])
    assert isinstance(free.x["b0"], float)


def _tiny_problem():
    import cvxpy as cp

    w = cp.Variable(4)
    return cp.Problem(cp.Minimize(0.5 * cp.sum_squares(X @ w - y) + cp.norm(w, 2)))


def test_fallback_retries_with_default_options():
    with pytest.raises(RuntimeError, match="CLARABEL .* status"):
        solve_cvxpy(_tiny_problem(), max_iter=1)
    value, timings = solve_cvxpy(_tiny_problem(), max_iter=1, fallback=True)
    assert value == pytest.approx(norm_penalized_loss(X, y, 1.0, Squared()).value, rel=1e-6)
