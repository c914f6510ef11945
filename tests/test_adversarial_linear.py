"""Issue 21: the linear problems and dk.train answer every input.

Each reproducer of the issue for the linear problems is a test: the correct answer, checked
against an independent computation (least squares by ``np.linalg.lstsq``, the problem at unit
scale through the homogeneity of the problems), or a ValueError that names what to do. Never a
silent inf/NaN, a negative gap, a foreign exception or a solver run where the answer is trivial.
"""

import numpy as np
import pytest
import torch

import dualkit as dk
from dualkit.problems.deep_linear import deep_weights


@pytest.fixture(scope="module")
def data():
    return dk.data.gaussian(n=20, d=5, seed=0)


def _least_squares(X, y):
    """Independent: the least-squares solution and the residual value 1/2 ||(I - XX^+) y||^2."""
    w = np.linalg.lstsq(X, y, rcond=None)[0]
    return w, 0.5 * float(np.sum((y - X @ w) ** 2))


# ---------------------------------------------------------------- DeepLinearWeightDecay at 1e80
@pytest.mark.parametrize("depth", [3, 4, 6])
@pytest.mark.parametrize("scale", [1e75, 1e80, 1e120])
def test_weight_decay_every_layer_at_large_scale_of_x(data, depth, scale):
    # the issue: at X * 1e80 solve() returned the zero network (5.43) while balanced
    # least-squares weights gave 3.87, a negative gap of -1.56
    X, y = data
    p = dk.DeepLinearWeightDecay(X * scale, y, 0.5, depth=depth)
    sol = p.solve()
    # beta / scale^(2/L) is ~1e-50 at unit scale: the optimum is within rounding of least squares
    w_ls, resid = _least_squares(X * scale, y)
    ls_weights = deep_weights(w_ls, [1] * (depth - 1), float(np.linalg.norm(w_ls)) ** (1 / depth),
                              depth - 2)
    assert not sol.info["global_is_zero"]
    assert sol.value == pytest.approx(resid, rel=1e-9)
    assert p.gap(ls_weights) >= -1e-12 * resid
    assert p.objective(ls_weights) >= sol.value * (1 - 1e-12)
    # beta_max scales as scale^(2/L) (homogeneity), the unit-scale threshold computed alone
    unit = dk.DeepLinearWeightDecay.beta_max_for(X, y, depth=depth)
    assert p.beta_max == pytest.approx(unit * scale ** (2 / depth), rel=1e-9)


# ---------------------------------------------------------------- DeepLinear at t = 1e300
def test_deep_linear_huge_t_has_a_finite_certified_value(data):
    X, y = data
    sol = dk.DeepLinear(X, y, 0.5, depth=3, t=1e300).solve()
    # beta_eff = 5e-301: least squares to rounding, as the dual already said
    _, resid = _least_squares(X, y)
    assert np.isfinite(sol.value) and sol.certified
    assert sol.value == pytest.approx(resid, rel=1e-9)
    assert sol.dual_value == pytest.approx(resid, rel=1e-9)


# ---------------------------------------------------------------- TwoLayerLinear at extreme scales
@pytest.mark.parametrize("a, c", [(1e30, 1e-12), (1e200, 1.0), (1e-200, 1.0), (1.0, 1e-150),
                                  (1e100, 1e100)])
def test_two_layer_linear_at_extreme_scales(data, a, c):
    # the issue: SciPy's "f(a) and f(b) must have different signs" (1e30, 1e-12) and "The
    # function value at x=0.0 is NaN" (1e200)
    X, y = data
    sol = dk.TwoLayerLinear(X * a, y * c, 0.5).solve()
    # homogeneity: P(aX, cy, beta) = c^2 P(X, y, beta / (a c)), solved at unit scale
    ref = dk.TwoLayerLinear(X, y, 0.5 / (a * c)).solve()
    assert sol.certified
    assert sol.value == pytest.approx(c * c * ref.value, rel=1e-9)
    assert sol.value - sol.dual_value >= -1e-12 * sol.value
    # solved at unit scale, or the zero network above the threshold (X * 1e-200)
    assert "rescaled" in sol.info or "zero_threshold" in sol.info


def test_paths_at_extreme_scale(data):
    X, y = data
    betas = [0.1, 0.5, 2.0]
    ref = dk.TwoLayerLinear(X, y, 0.1).path(betas)
    for p in (dk.TwoLayerLinear(X * 1e120, y * 1e-90, 0.1),
              dk.DeepLinear(X * 1e120, y * 1e-90, 0.1, depth=3)):
        sols = p.path([b * 1e30 for b in betas])
        assert all(s.certified for s in sols)
        for s, r in zip(sols, ref, strict=True):
            assert s.value == pytest.approx(1e-180 * r.value, rel=1e-9)


def test_every_class_above_threshold_without_a_solver(data):
    X, y = data
    Y = np.c_[y, X[:, 0]]
    for p in (dk.DeepLinearWeightDecay(X, y, 1e300, depth=3),
              dk.DeepLinearWeightDecay(X * 1e200, y, 1e300, depth=4),
              dk.DeepLinear(X, Y, 1e300, depth=3), dk.TwoLayerLinear(X * 1e200, Y, 1e300)):
        sol = p.solve()
        assert not np.any(sol.w)
        assert sol.value == pytest.approx(0.5 * np.sum(p.y**2), rel=1e-15)
        assert sol.value >= sol.dual_value


def test_two_layer_linear_optimum_beyond_float64_is_a_value_error(data):
    X, y = data
    # the optimum is 1e400 times that of (X, y) at beta 5e-201: not representable in float64
    with pytest.raises(ValueError, match="optimal value .* is infinite .*rescale y"):
        dk.TwoLayerLinear(X, y * 1e200, 0.5).solve()


def test_two_layer_linear_tiny_beta_at_unit_scale(data):
    # the bracket of the scalar root rounds to the same sign at beta = 1e-19 ||X^T y||
    X, y = data
    p = dk.TwoLayerLinear(X / 4, y / 2, 0.5 / 2**62)
    sol = p.solve()
    assert sol.certified
    assert sol.value == pytest.approx(_least_squares(X / 4, y / 2)[1], rel=1e-9)


# ---------------------------------------------------------------- objectives never NaN
def test_objective_of_huge_weights_is_an_honest_inf(data):
    X, y = data
    p = dk.TwoLayerLinear(X, y, 0.5)
    # weight decay of 1e160 weights is beyond float64: the objective really is that large
    assert p.objective([np.full((5, 1), 1e160), np.full(1, 1e160)]) == np.inf
    assert p.gap(p.network(init_scale=1e300)) == np.inf
    assert p.relative_gap(p.network(init_scale=1e300)) == np.inf
    for q in (dk.DeepLinear(X, y, 0.5, depth=3), dk.DeepLinearWeightDecay(X, y, 0.5, depth=3)):
        assert q.objective(q.network(init_scale=1e300)) == np.inf


def test_objective_whose_prediction_overflows_is_a_value_error(data):
    X, y = data
    p = dk.TwoLayerLinear(X * 1e300, y, 0.5)
    with pytest.raises(ValueError, match="the prediction X W1 w2 overflows"):
        p.objective([np.full((5, 1), 1e10), np.full(1, 1e10)])


# ---------------------------------------------------------------- trivial answers
@pytest.mark.parametrize("loss", ["squared", "hinge", "logistic", "absolute"])
def test_beta_above_threshold_is_the_certified_zero_network(data, loss):
    # the issue: TwoLayerLinear(X, sign(y), 1e300, loss="hinge").solve() raised cvxpy's failure
    X, y = data
    yl = np.sign(y) if loss in ("hinge", "logistic") else y
    p = dk.TwoLayerLinear(X, yl, 1e300, loss=loss)
    sol = p.solve()
    zero = p.loss.value(np.zeros_like(yl), yl)          # the loss of the zero network
    assert sol.certified and not np.any(sol.w)
    assert sol.value == zero and sol.dual_value == pytest.approx(zero, rel=1e-12)
    assert "zero_threshold" in sol.info
    deep = dk.DeepLinear(X, yl, 1e300, depth=3, loss=loss).solve()
    assert deep.certified and deep.value == zero


def test_vector_outputs_above_threshold(data):
    X, y = data
    Y = np.c_[y, X[:, 0]]
    sol = dk.TwoLayerLinear(X, Y, 1e300).solve(method="fista")
    assert sol.certified and sol.value == pytest.approx(0.5 * np.sum(Y * Y), rel=1e-15)


# ---------------------------------------------------------------- dk.train refuses what it cannot train
def test_train_refuses_foreign_and_mismatched_networks(data):
    X, y = data
    p = dk.TwoLayerLinear(X, y, 0.5)
    seq = torch.nn.Sequential(torch.nn.Linear(5, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    with pytest.raises(ValueError, match=r"plain Sequential.*dk\.certify\(model, X, y"):
        dk.train(seq, p, steps=1, progress=False)
    with pytest.raises(ValueError, match=r"net must be a network from prob\.network.*NoneType"):
        dk.train(None, p, steps=1, progress=False)
    with pytest.raises(ValueError, match="prob must be a dualkit problem"):
        dk.train(p.network(), None, steps=1, progress=False)
    with pytest.raises(ValueError, match="net must be a two-layer DeepReLUNet"):
        dk.train(p.network(), dk.TwoLayerReLU(X, y, 0.5, patterns=200), steps=1, progress=False)
    with pytest.raises(ValueError, match="net must be a depth-3 linear network"):
        dk.train(p.network(), dk.DeepLinearWeightDecay(X, y, 0.5, depth=3), steps=1,
                 progress=False)


# ---------------------------------------------------------------- verbose progress
def test_fista_progress_is_printed_and_kept(data, capsys):
    X, y = data
    Y = np.c_[y, X[:, 0] + 0.1 * y]
    sol = dk.TwoLayerLinear(X, Y, 0.5).solve(verbose=True)
    out = capsys.readouterr().out
    assert sol.method == "fista" and sol.info["progress"]
    assert sol.info["progress"][-1].startswith("FISTA stopped after")
    for line in sol.info["progress"]:
        assert f"TwoLayerLinear.solve: {line}" in out
    quiet = dk.TwoLayerLinear(X, Y, 0.5).solve()
    assert capsys.readouterr().out == "" and quiet.info["progress"]


# ---------------------------------------------------------------- property: any scale
def test_scale_property(data):
    """P(aX, cy) at the homogeneous beta is c^2 P(X, y): values, certificates and gaps >= 0 for
    scales 1e-150..1e150 (seeded draws of (a, c))."""
    X, y = data
    rng = np.random.default_rng(21)
    exps = [-150, -80, -30, -5, 0, 5, 30, 80, 150]
    pairs = [(-150, -150), (150, 150), (-150, 150), (150, -150)]
    pairs += [tuple(int(e) for e in rng.choice(exps, 2)) for _ in range(6)]
    beta = 0.3
    two = dk.TwoLayerLinear(X, y, beta).solve()
    deep = dk.DeepLinear(X, y, beta, depth=4, t=1.0).solve()
    wd = {L: dk.DeepLinearWeightDecay(X, y, beta, depth=L).solve() for L in (2, 3)}
    for ea, ec in pairs:
        a, c = 10.0**ea, 10.0**ec
        Xs, ys = X * a, y * c
        for sol, ref in ((dk.TwoLayerLinear(Xs, ys, beta * a * c).solve(), two),
                         (dk.DeepLinear(Xs, ys, beta * a * c, depth=4).solve(), deep)):
            assert sol.certified, (ea, ec)
            assert sol.value == pytest.approx(c * c * ref.value, rel=1e-9), (ea, ec)
            assert sol.value - sol.dual_value >= -1e-12 * sol.value, (ea, ec)
        for L, ref in wd.items():
            p = dk.DeepLinearWeightDecay(Xs, ys, beta * c ** (2 - 2 / L) * a ** (2 / L), depth=L)
            sol = p.solve()
            assert sol.value == pytest.approx(c * c * ref.value, rel=1e-9), (ea, ec, L)
            assert sol.value >= sol.dual_value * (1 - 1e-12), (ea, ec, L)
            # the optimum at unit scale, mapped back, is no better than the solve's
            mapped = [W * (c / a) ** (1 / L) for W in ref.weights]
            assert p.gap(mapped) >= -1e-9 * sol.value, (ea, ec, L)


def test_edge_scales_answer_or_refuse(data):
    X, y = data
    # the equivalent strength at unit scale is 1e-200: answered, equal to the unit-scale solve
    sol = dk.DeepLinearWeightDecay(X * 1e150, y * 1e-150, 1e-300, depth=3).solve()
    ref = dk.DeepLinearWeightDecay(X, y, 1e-200, depth=3).solve()
    assert sol.value == pytest.approx(1e-300 * ref.value, rel=1e-9)
    # beta / (max|X| max|y|) below float64's range: refused, naming beta
    with pytest.raises(ValueError, match=r"beta = 1e-300 is below float64's range"):
        dk.TwoLayerLinear(X * 1e150, y * 1e150, 1e-300).solve()
    # vector outputs whose optimum is ~1e400
    Y = np.c_[y[:5], y[5:10]] * 1e200
    with pytest.raises(ValueError, match="optimal value .* infinite .*rescale y"):
        dk.DeepLinearWeightDecay(np.eye(5), Y, 0.5, depth=3).solve()
