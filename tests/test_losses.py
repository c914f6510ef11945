"""Convex losses: three forms agree, Fenchel conjugates are right, duals match."""

import cvxpy as cp
import numpy as np
import pytest
import torch

import dualkit as dk
from dualkit import losses as L

RNG = np.random.default_rng(0)
X, _ = dk.data.gaussian(n=30, d=5, seed=0)
Y_REAL = X @ RNG.standard_normal(5) + 0.3 * RNG.standard_normal(30)
Y_PM1 = np.sign(Y_REAL + 0.5 * RNG.standard_normal(30))
Y_ONEHOT = np.eye(3)[RNG.integers(0, 3, size=30)]
SCALAR = [(L.Squared(), Y_REAL), (L.Absolute(), Y_REAL), (L.Hinge(), Y_PM1), (L.Logistic(), Y_PM1)]
ALL = [*SCALAR, (L.CrossEntropy(), Y_ONEHOT)]
IDS = ["squared", "absolute", "hinge", "logistic", "cross_entropy"]


@pytest.mark.parametrize("loss,y", ALL, ids=IDS)
def test_three_forms_agree(loss, y):
    z = RNG.standard_normal(y.shape)
    v = loss.value(z, y)
    assert float(loss.torch_value(torch.tensor(z), torch.tensor(y))) == pytest.approx(v, rel=1e-12)
    assert loss.cvxpy_value(cp.Constant(z), y).value == pytest.approx(v, rel=1e-9)


@pytest.mark.parametrize("loss,y", ALL, ids=IDS)
def test_fenchel_young(loss, y):
    """l(z) + l*(v) >= <v, z> for all v, with equality at v in the subdifferential of l at z."""
    for _ in range(20):
        z = 2 * RNG.standard_normal(y.shape)
        lam = loss.dual_point(z, y)  # = -gradient (or a subgradient)
        v = -lam
        assert loss.value(z, y) + loss.conjugate(v, y) == pytest.approx(np.sum(v * z), abs=1e-9)
        # a random point of the conjugate's domain: the inequality
        w = loss.project_dual(loss.dual_point(3 * RNG.standard_normal(y.shape), y), y)
        assert loss.value(z, y) + loss.conjugate(-w, y) >= np.sum(-w * z) - 1e-9
        # dual_value is -l*(-lam), and cvxpy's dual expression computes the same number
        lv = cp.Variable(y.shape)
        expr, cons = loss.cvxpy_dual(lv, y)
        lv.value = lam
        assert expr.value == pytest.approx(loss.dual_value(lam, y), rel=1e-9, abs=1e-9)
        assert all(c.value() for c in cons) if cons else True


@pytest.mark.parametrize("loss,y", SCALAR, ids=IDS[:4])
def test_3g_3h_primal_equals_dual_and_alignment(loss, y):
    prob = dk.TwoLayerLinear(X, y, beta=1.0, loss=loss)
    sol = prob.solve()  # cvxpy for all but the squared loss
    assert sol.certified
    assert abs(sol.value - sol.dual_value) / sol.value <= 1e-6
    g = X.T @ sol.dual
    assert g @ sol.w / (np.linalg.norm(g) * np.linalg.norm(sol.w)) > 1 - 1e-6  # positive cosine
    # Fenchel-Young equality at the optimum: l(Xw*) + l*(-lam*) = <-lam*, Xw*>
    yhat = X @ sol.w
    fy = loss.value(yhat, y) + loss.conjugate(-sol.dual, y) + sol.dual @ yhat
    assert abs(fy) <= 1e-5 * sol.value
    # the KKT condition ||X^T lam*|| = beta (the constraint is active)
    assert np.linalg.norm(g) == pytest.approx(1.0, rel=1e-5)


def test_3g_cross_entropy_nuclear_norm_primal_equals_dual():
    loss, Y, beta = L.CrossEntropy(), Y_ONEHOT, 1.0
    W = cp.Variable((5, 3))
    primal = cp.Problem(cp.Minimize(loss.cvxpy_value(X @ W, Y) + beta * cp.normNuc(W)))
    lam = cp.Variable((30, 3))
    expr, cons = loss.cvxpy_dual(lam, Y)
    dual = cp.Problem(cp.Maximize(expr), [cp.sigma_max(X.T @ lam) <= beta, *cons])
    p, _ = dk.solvers.solve_cvxpy(primal, what="CE primal")
    d, _ = dk.solvers.solve_cvxpy(dual, what="CE dual")
    assert abs(p - d) / p <= 1e-4  # exponential cone, observed 4e-6
    lam_v = loss.project_dual(lam.value, Y)
    assert loss.dual_value(lam_v, Y) == pytest.approx(d, rel=1e-5)


def test_logistic_training_reaches_the_dual():
    prob = dk.TwoLayerLinear(X, Y_PM1, beta=1.0, loss="logistic")
    net = prob.network(8, seed=0)
    hist = dk.train(net, prob, steps=100, optimizer="lbfgs", progress=False)
    assert 0 <= hist.final_rel_gap + 1e-9 and hist.final_rel_gap <= 1e-6


def test_label_validation():
    for loss in ("hinge", "logistic"):
        with pytest.raises(ValueError, match=r"labels in \{-1, \+1\}.*2\*y - 1"):
            dk.TwoLayerLinear(X, (Y_PM1 > 0).astype(float), 1.0, loss=loss)
    with pytest.raises(ValueError, match="one-hot targets of shape"):
        dk.TwoLayerLinear(X, Y_REAL, 1.0, loss="cross_entropy")
    with pytest.raises(ValueError, match="must be one-hot"):
        L.CrossEntropy().check_targets(Y_ONEHOT * 2)
    with pytest.raises(ValueError, match="loss must be"):
        L.get_loss("huber")
    for name in IDS:
        assert L.get_loss(name).name == name


def test_non_squared_losses_refuse_the_closed_form_and_interpolation():
    prob = dk.TwoLayerLinear(X, Y_PM1, 1.0, loss="hinge")
    with pytest.raises(ValueError, match="closed_form solver needs the squared loss"):
        prob.solve(method="closed_form")
    with pytest.raises(ValueError, match="needs the squared loss"):
        dk.TwoLayerLinear(X[:3], Y_PM1[:3], 0.0, loss="hinge")


@pytest.mark.parametrize("loss,y", ALL, ids=IDS)
def test_project_dual_lands_in_the_domain(loss, y):
    far = 5 * RNG.standard_normal(y.shape)
    lam = loss.project_dual(far, y)
    assert np.all(np.isfinite(lam)) and np.isfinite(loss.dual_value(lam, y))
    assert np.isfinite(loss.dual_value(0.5 * lam, y))  # the domain is convex and holds 0


def test_cross_entropy_projection_of_an_empty_row():
    lam = L.CrossEntropy().project_dual(np.array([[2.0, 0.0, 0.0]]), np.array([[1.0, 0.0, 0.0]]))
    assert np.all(np.isfinite(lam)) and np.allclose(lam, 0.0)


@pytest.mark.parametrize("loss,y", SCALAR[1:], ids=IDS[1:4])
def test_losses_above_the_threshold_give_zero(loss, y):
    prob = dk.TwoLayerLinear(X, y, 1.0, loss=loss)
    sol = dk.TwoLayerLinear(X, y, 1.01 * prob.beta_max, loss=loss).solve()
    assert sol.certified and np.linalg.norm(sol.w) <= 1e-6
