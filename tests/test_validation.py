"""Bad input gets a ValueError (or RuntimeError for solver failure) that names the argument."""

import numpy as np
import pytest
import torch

import dualkit as dk

X, y = dk.data.gaussian(n=12, d=4, seed=0)


def _with(a, idx, value):
    a = a.copy()
    a[idx] = value
    return a


@pytest.mark.parametrize(
    "args,match",
    [
        ((X, y[:-1], 1.0), "y has 11 rows but X has 12"),
        ((X[0], y, 1.0), "X must be a 2-D array"),
        ((X, np.ones((12, 2, 2)), 1.0), r"y must have shape \(n,\) .* or \(n, K\)"),
        ((X, np.c_[y, y], 0.0), "beta=0 .* is for scalar outputs"),
        ((_with(X, (0, 0), np.nan), y, 1.0), "X contains NaN"),
        ((X, _with(y, 3, np.inf), 1.0), "y contains Inf"),
        ((X, y, -0.1), "beta .* must be >= 0"),
        ((X, y, np.nan), "beta must be finite"),
        ((X, y, "big"), "beta must be a real number"),
        ((X, y, "2"), "beta must be a real number"),
        ((X, y, True), "beta must be a real number"),
        ((X, y, [1.0]), "beta must be a real number"),
        ((np.zeros((0, 3)), np.zeros(0), 1.0), "X is empty"),
        ((np.array([["a", "b"], ["c", "d"]]), y[:2], 1.0), "X must be a numeric array"),
        ((X, y, 1.0, "cubic"), "loss must be"),
        ((X[:, :3] @ np.ones((3, 6)), y, 0.0), "y is not in the range of X"),
    ],
)
def test_two_layer_linear_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        dk.TwoLayerLinear(*args)


def test_bad_width_method_weights():
    prob = dk.TwoLayerLinear(X, y, 1.0)
    for width in (0, -3, 2.5, "ten"):
        with pytest.raises(ValueError, match="width"):
            prob.network(width=width)
        with pytest.raises(ValueError, match="width"):
            prob.solve(width=width)
    with pytest.raises(ValueError, match="method must be one of"):
        prob.solve(method="magic")
    with pytest.raises(ValueError, match="weights must be \\[W1, w2\\]"):
        prob.objective([np.ones((4, 2))])
    with pytest.raises(ValueError, match="W1 must have d=4 rows"):
        prob.objective([np.ones((5, 2)), np.ones(2)])
    with pytest.raises(ValueError, match="2 columns .* but w2 has 3"):
        prob.objective([np.ones((4, 2)), np.ones(3)])
    with pytest.raises(ValueError, match=r"\(W1\) contains NaN"):
        prob.objective([np.full((4, 2), np.nan), np.ones(2)])
    with pytest.raises(ValueError, match="lam has 3 rows but X has 12"):
        prob.dual_objective(np.ones(3))
    with pytest.raises(ValueError, match="weights must be a list"):
        prob.objective("W")


def test_cvxpy_failure_is_a_runtime_error():
    prob = dk.TwoLayerLinear(X, y, 1.0)
    # one iteration cannot reach an optimal status: the error names the status and solver
    with pytest.raises(RuntimeError, match="CLARABEL .* status"):
        dk.solvers.solve_cvxpy(_tiny_problem(), max_iter=1)
    with pytest.raises(ValueError, match="not installed"):
        prob.solve(method="cvxpy", solver="NO_SUCH_SOLVER")


def _tiny_problem():
    import cvxpy as cp

    w = cp.Variable(4)
    return cp.Problem(cp.Minimize(0.5 * cp.sum_squares(X @ w - y) + cp.norm(w, 2)))


def test_train_bad_input():
    prob = dk.TwoLayerLinear(X, y, 1.0)
    net = prob.network(3)
    with pytest.raises(ValueError, match="optimizer must be one of"):
        dk.train(net, prob, optimizer="sgd-ish")
    with pytest.raises(ValueError, match="steps must be an integer >= 1"):
        dk.train(net, prob, steps=0)
    with pytest.raises(ValueError, match="lr must be a finite number > 0"):
        dk.train(net, prob, lr=-1.0)
    with pytest.raises(ValueError, match="device must be"):
        dk.train(net, prob, device="tpu")
    with pytest.raises(ValueError, match="needs bound"):
        dk.train(net, prob, tol=1e-6, bound=None)
    with pytest.raises(ValueError, match="schedule must be one of"):
        dk.train(net, prob, schedule="linear")
    with pytest.raises(ValueError, match="threads must be an integer >= 1"):
        dk.train(net, prob, threads=0)
    with pytest.raises(ValueError, match="bound must be one of"):
        dk.train(net, prob, bound="best")
    with pytest.raises(ValueError, match="time_limit must be"):
        dk.train(net, prob, time_limit=-1.0)
    for wrong in (dk.nets.DeepLinearNet(4, [3, 3]), dk.nets.DeepLinearNet(5, [3]),
                  dk.nets.DeepLinearNet(4, [3], out=2)):
        with pytest.raises(ValueError, match="net must be a two-layer linear network"):
            dk.train(wrong, prob, steps=2, progress=False)
    with pytest.raises(ValueError, match=r"a plain Linear\. .*dk\.certify\(model, X, y"):
        dk.train(torch.nn.Linear(4, 1), prob, steps=2, progress=False)
    with pytest.raises(ValueError, match="bound must be a finite"):
        dk.train(net, prob, bound=np.nan)
    interp = dk.TwoLayerLinear(*dk.data.gaussian(n=3, d=5, seed=0), beta=0)
    with pytest.raises(ValueError, match="beta=0 is the constrained interpolation"):
        dk.train(interp.network(2), interp, steps=1, progress=False)


def test_train_diverging_is_a_runtime_error():
    prob = dk.TwoLayerLinear(X * 100, y, 1.0)
    with pytest.raises(RuntimeError, match="diverged"):
        dk.train(prob.network(3), prob, optimizer="gd", lr=10.0, steps=200, progress=False)


def test_data_and_diagnostics_bad_input():
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        dk.data.gaussian(n=0, d=3)
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        dk.data.gaussian(n=3, d=3, seed=-1)
    with pytest.raises(ValueError, match="teacher must be one of"):
        dk.data.gaussian(n=3, d=3, teacher="tree")
    with pytest.raises(ValueError, match="noise must be"):
        dk.data.gaussian(n=3, d=3, noise=-1)
    with pytest.raises(ValueError, match="same length"):
        dk.diagnostics.alignment(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="must match"):
        dk.diagnostics.balance(np.ones((3, 2)), np.ones(3))
    with pytest.raises(ValueError, match="consecutive layers must chain"):
        dk.diagnostics.layer_alignment([np.ones((3, 2)), np.ones((4, 1))])
    with pytest.raises(ValueError, match="w must have d=4 entries"):
        dk.TwoLayerLinear(X, y, 1.0).convex_objective(np.ones(3))
    with pytest.raises(ValueError, match="width must be an integer"):
        dk.recover_weights(np.ones(3), width=0)
    with pytest.raises(ValueError, match="betas contains NaN"):
        dk.TwoLayerLinear(X, y, 1.0).path([1.0, np.nan])
    with pytest.raises(ValueError, match="betas must be a numeric array"):
        dk.TwoLayerLinear(X, y, 1.0).path(["a"])
    with pytest.raises(ValueError, match=r"betas\[1\] is the regularization strength"):
        dk.TwoLayerLinear(X, y, 1.0).path([1.0, -2.0])
    with pytest.raises(ValueError, match="beta is the regularization strength"):
        dk.solvers.group_lasso_single(X, y, -1.0)
    with pytest.raises(ValueError, match="y has 11 entries"):
        dk.solvers.RidgePath(X, y[:-1])
    with pytest.raises(ValueError, match="method must be one of"):
        dk.solvers.RidgePath(X, y, method="qr")


def test_widget_with_zero_signal():
    pytest.importorskip("ipywidgets")
    with pytest.raises(ValueError, match=r"X\^T y = 0"):
        dk.widgets.beta_explorer(X, np.zeros(12))
