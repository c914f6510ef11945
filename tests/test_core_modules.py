"""data, losses, nets, diagnostics, plot, widgets."""

import io

import cvxpy as cp
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

import dualkit as dk
from dualkit import diagnostics as dg


def test_data_is_seeded_and_shaped():
    X1, y1 = dk.data.gaussian(n=7, d=3, seed=5)
    X2, y2 = dk.data.gaussian(n=7, d=3, seed=5)
    X3, _ = dk.data.gaussian(n=7, d=3, seed=6)
    assert X1.shape == (7, 3) and y1.shape == (7,)
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2) and not np.array_equal(X1, X3)
    Xr, yr = dk.data.gaussian(n=50, d=3, seed=0, teacher="relu", noise=0.0, width=4)
    assert np.isfinite(yr).all() and yr.std() > 0
    y0 = dk.data.teacher_targets(X1, noise=0.0, seed=1)
    assert np.linalg.matrix_rank(np.c_[X1, y0]) == 3  # noiseless linear teacher: y in range(X)


def test_squared_loss_three_forms_and_conjugate():
    rng = np.random.default_rng(0)
    y, z, v = rng.standard_normal((3, 9))
    loss = dk.losses.Squared()
    assert loss.value(z, y) == pytest.approx(0.5 * np.sum((z - y) ** 2))
    assert float(loss.torch_value(torch.tensor(z), torch.tensor(y))) == pytest.approx(loss.value(z, y))
    assert loss.cvxpy_value(cp.Constant(z), y).value == pytest.approx(loss.value(z, y))
    # Fenchel-Young: l(z) + l*(v) >= v.z, with equality at v = grad l(z) = z - y
    assert loss.value(z, y) + loss.conjugate(v, y) >= v @ z - 1e-12
    g = z - y
    assert loss.value(z, y) + loss.conjugate(g, y) == pytest.approx(g @ z)
    # the dual objective and its cvxpy form agree; KKT map is the residual
    lam = cp.Variable(9)
    expr, cons = loss.cvxpy_dual(lam, y)
    lam.value = v
    assert expr.value == pytest.approx(loss.dual_value(v, y)) and cons == []
    assert np.allclose(loss.dual_point(z, y), y - z)
    assert isinstance(dk.losses.get_loss("squared"), dk.losses.Squared)
    assert isinstance(dk.losses.get_loss(dk.losses.Squared), dk.losses.Squared)


def test_deep_linear_net_any_depth():
    net = dk.nets.DeepLinearNet(5, [4, 3, 2], seed=0)
    assert net.depth == 4
    ws = net.weights()
    assert [w.shape for w in ws] == [(5, 4), (4, 3), (3, 2), (2,)]
    X = torch.randn(6, 5, dtype=torch.float64)
    assert torch.allclose(net(X), X @ torch.as_tensor(net.end_to_end()))
    vec = dk.nets.DeepLinearNet(5, 4, out=3)
    assert vec.weights()[-1].shape == (4, 3) and vec(X).shape == (6, 3)


def test_diagnostics_on_known_matrices():
    u, v = np.array([3.0, 4.0]), np.array([1.0, 0.0, 0.0])
    R1 = np.outer(u, v)
    assert dg.rank_one_ratio(R1) == 0.0 and dg.numerical_rank(R1) == 1
    assert dg.numerical_rank(np.eye(3)) == 3 and dg.numerical_rank(np.zeros((2, 2))) == 0
    assert np.allclose(dg.singular_values(np.diag([3.0, 1.0])), [3, 1])
    assert dg.rank_one_ratio(np.diag([2.0, 1.0])) == 0.5
    p, q = dg.top_singular_vectors(R1)
    assert dg.alignment(p, u) == pytest.approx(1) and dg.alignment(q, v) == pytest.approx(1)
    assert dg.alignment([1, 0], [0, 1]) == 0 and dg.alignment([1, 0], [0, 0]) == 0
    assert dg.layer_alignment([R1, np.outer(v, [1.0, 1.0]), np.array([1.0, -1.0])]) == pytest.approx(
        [1.0, 0.0])
    assert dg.balance(np.array([[3.0], [4.0]]), np.array([5.0])) == 0
    assert dg.balance(np.array([[3.0], [4.0]]), np.array([2.0])) == 3
    assert dg.relative_gap(1.1, 1.0) == pytest.approx(0.1)
    report = dg.layer_report([R1, v], direction=u)
    assert "s2/s1" in report and len(report.splitlines()) == 3


@pytest.mark.medium
def test_plots_have_labels():
    X, y = dk.data.gaussian(n=15, d=4, seed=0)
    prob = dk.TwoLayerLinear(X, y, 1.0)
    sol = prob.solve()
    net = prob.network(5)
    hist = dk.train(net, prob, steps=30, bound=sol.value, progress=False)
    figs = [
        dk.plot.training(hist),
        dk.plot.singular_values(hist),
        dk.plot.beta_path(prob, beta=2.0),
        dk.plot.neurons(net.weights(), direction=sol.w),
        dk.plot.training(dk.train(prob.network(3), prob, steps=3, progress=False)),
    ]
    for fig in figs:
        assert isinstance(fig, plt.Figure)
        fig.savefig(io.BytesIO(), format="png")  # renders every label (mathtext errors surface here)
        for ax in fig.axes:
            if ax.get_label() == "<colorbar>":
                continue
            assert ax.get_xlabel() and ax.get_ylabel()


@pytest.mark.parametrize("where", [0, -1])
def test_widget_function_works_at_extreme_slider_values(where):
    pytest.importorskip("ipywidgets")
    X, y = dk.data.gaussian(n=15, d=4, seed=0)
    ex = dk.widgets.beta_explorer(X, y, static=False)
    w = ex.widget()
    slider = w.children[0]
    slider.value = ex.sliders[0].values[where]  # redraws through the plain function dk.plot.beta_path
    fig = w.result
    assert isinstance(fig, plt.Figure)
    assert f"{slider.value:.4g}" in fig.get_suptitle()


@pytest.mark.slow
def test_static_explorer_frames_follow_the_slider(monkeypatch):
    """The book's explorers: one PNG frame per slider value, each a different figure, the
    initial one shown, a range input per slider and nothing loaded from elsewhere."""
    X, y = dk.data.gaussian(n=15, d=4, seed=0)
    monkeypatch.setenv("DUALKIT_STATIC_EXPLORERS", "1")
    ex = dk.widgets.beta_explorer(X, y)
    assert ex.static and len(ex.sliders[0].values) >= 20
    frames = ex.frames()
    assert len(frames) == len(ex.sliders[0].values)
    assert len({png for _, png in frames}) == len(frames)       # every value draws a new figure
    page = ex.html()
    assert page.count("<img ") == len(frames)
    assert page.count('type="range"') == 1
    assert page.count("display:none") == len(frames) - 1        # only the initial frame shows
    assert "://" not in page and "<script>" in page    # base64 has no ":"
    monkeypatch.setenv("DUALKIT_STATIC_EXPLORERS", "0")
    assert not dk.widgets.beta_explorer(X, y).static
    with pytest.raises(ValueError, match="unknown slider"):
        ex.figure(gamma=1.0)


@pytest.mark.medium
def test_deep_plots_render_with_labels():
    X, y = dk.data.gaussian(n=15, d=5, seed=0)
    prob = dk.DeepLinear(X, y, 1.0, depth=4, t=1.2)
    net = prob.network([4, 3, 2], seed=0)
    hist = dk.train(net, prob, steps=50, progress=False)
    zero = dk.DeepLinear(X, y, 2 * prob.beta_max, depth=4, t=1.2).solve(width=[4, 3, 2])
    figs = [
        dk.plot.singular_values(hist, layer=None),
        dk.plot.alignment_matrices(net.weights(), title="t"),
        dk.plot.layer_structure({"a": net.weights(), "zero": zero.weights}),
        dk.plot.formulations_path(dk.problems.deep_linear.formulation_norms(
            X, y, depth=3, t=1.0, betas=[0.1, 1.0, 50.0]), beta=1.0),
    ]
    for fig in figs:
        fig.savefig(io.BytesIO(), format="png")
        for ax in fig.axes:
            if ax.get_label() != "<colorbar>":
                assert ax.get_xlabel() and ax.get_ylabel()
    # the vanished last two layers of the zero optimum are drawn at rank 0 (plus the offset)
    rank_line = figs[2].axes[0].lines[1]
    assert np.all(rank_line.get_ydata()[2:] < 0.5)


@pytest.mark.parametrize("depth", [2, 4, 8])
def test_depth_widget_at_extreme_values(depth):
    X, y = dk.data.gaussian(n=15, d=4, seed=0)
    ex = dk.widgets.depth_explorer(X, y)
    assert depth in ex.sliders[0].values
    fig = ex.figure(depth=depth)
    assert isinstance(fig, plt.Figure)
    assert f"depth $L={depth}$" in fig.axes[0].get_title()


@pytest.mark.medium
def test_vector_plots_widget_and_data():
    X, Y = dk.data.vector_regression(n=40, d=6, K=3, seed=0, whiten=True)
    assert np.allclose(X.T @ X, np.eye(6), atol=1e-12)
    sig = np.linalg.svd(X.T @ Y, compute_uv=False)
    for fig in (dk.plot.rank_path([0.1, 1.0, 10.0], [3, 2, 0], sig),
                dk.plot.svt_spectrum(X, Y, beta=float(sig[1]))):
        fig.savefig(io.BytesIO(), format="png")
        assert fig.axes[0].get_xlabel() and fig.axes[0].get_ylabel()
    pytest.importorskip("ipywidgets")
    ex = dk.widgets.svt_explorer(X, Y, static=False)
    w = ex.widget()
    for value in (ex.sliders[0].values[0], ex.sliders[0].values[-1]):
        w.children[0].value = value
        assert isinstance(w.result, plt.Figure)
    with pytest.raises(ValueError, match="whiten=True needs n >= d"):
        dk.data.vector_regression(n=3, d=6, K=2, whiten=True)
    with pytest.raises(ValueError, match="cond must be a finite number >= 1"):
        dk.data.vector_regression(n=10, d=6, K=2, cond=0.5)


@pytest.mark.medium
def test_spline_and_rank_one_plots_and_widgets():
    x, y = dk.data.zigzag(8, seed=1)
    prob = dk.ReLU1D(x, y, 0.05)
    sol = prob.solve()
    net = prob.network(20, seed=0)
    X1, y1 = dk.data.rank_one(15, 4, seed=0)
    p1 = dk.RankOneReLU(X1, y1, 0.5, depth=3)
    n1 = p1.network([5, 4], seed=1)
    h1 = dk.train(n1, p1, steps=30, progress=False)
    figs = [
        dk.plot.spline_fit(x, y, {"fit": sol.predict, "net": dk.splines.network_function(net)},
                           knots={"fit": sol.knots}),
        dk.plot.knot_path(x, y, [1e-3, 0.1, 10.0]),
        dk.plot.rank_history(h1),
        dk.plot.ramp_function(p1, n1.weights()),
        dk.plot.rank_one_fit(X1, y1, 0.05 * p1.beta_max, depth=3),
    ]
    for fig in figs:
        fig.savefig(io.BytesIO(), format="png")
        for ax in fig.axes:
            assert ax.get_xlabel() and ax.get_ylabel()
    ex = dk.widgets.spline_explorer(x, y)
    for value in (ex.sliders[0].values[0], ex.sliders[0].values[-1]):     # extreme slider values
        fig = ex.figure(beta=value)
        assert isinstance(fig, plt.Figure)
        assert "knots" in fig.axes[0].get_title()
    ex = dk.widgets.rank_one_explorer(X1, y1, depth=3)
    for value in (ex.sliders[0].values[0], ex.sliders[0].values[-1]):
        assert isinstance(ex.figure(beta=value), plt.Figure)
    plt.close("all")


def test_relu_data_sets_are_seeded_and_well_formed():
    x1, y1 = dk.data.zigzag(9, seed=3)
    x2, y2 = dk.data.zigzag(9, seed=3)
    assert np.array_equal(x1, x2) and np.array_equal(y1, y2)
    assert np.all(np.diff(x1) > 0)
    s = np.diff(y1) / np.diff(x1)
    assert np.all(np.diff(s)[:-1] * np.diff(s)[1:] < 0)       # slope changes alternate in sign
    x, y = dk.data.points_1d(30, seed=1, lo=0.1, hi=2.1)
    assert x.min() >= 0.1 and x.max() <= 2.1 and np.all(np.diff(x) >= 0)
    X, y = dk.data.rank_one(12, 5, seed=2)
    assert np.linalg.matrix_rank(X) == 1
    Xm, _ = dk.data.rank_one(12, 5, seed=2, mixed_sign=True)
    _, s_, vt = np.linalg.svd(Xm)
    u = Xm @ vt[0]
    assert (u > 0).any() and (u < 0).any()
    with pytest.raises(ValueError, match="jitter"):
        dk.data.zigzag(5, jitter=0.7)


def test_book_glue_stores_python_numbers():
    # {glue:text}`name:.2e` formats the stored text with float(): "np.float64(0.5)" would fail
    for value in (np.float64(0.5), np.int64(3), torch.tensor(2.0)):
        out = dk.book.glue("x", value)
        assert type(out) in (float, int) and out == value.item()
    arr = np.arange(3.0)
    assert dk.book.glue("x", arr) is arr
    with pytest.raises(ValueError, match="name"):
        dk.book.glue("", 1.0)
