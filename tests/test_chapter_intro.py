"""The intro's figure (fig-intro, dk.plot.overview): a cheap computation whose left panel is a
certificate and whose right panel is a linear spline with kinks at data inputs."""

import time

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import dualkit as dk  # noqa: E402


def test_intro_figure_is_cheap_and_says_what_its_caption_says():
    t0 = time.perf_counter()
    X, y = dk.data.gaussian(n=50, d=10, seed=0)
    prob = dk.TwoLayerLinear(X, y, beta=0.5)
    net = prob.network(width=10, seed=0)
    hist = dk.train(net, prob, steps=12, optimizer="lbfgs", progress=False)
    x1, y1 = dk.data.zigzag(8, seed=0)
    spline = dk.ReLU1D(x1, y1, beta=1e-2).solve()
    fig = dk.plot.overview(hist, x1, y1, spline)
    elapsed = time.perf_counter() - t0
    assert elapsed < 10  # "a cheap computation" (well under 3 s on a quiet core)
    # left: the relative gap falls to rounding error (certified globally optimal)
    assert hist.bound == pytest.approx(prob.solve().dual_value, rel=1e-14)
    assert abs(hist.final_rel_gap) < 1e-12 and hist.rel_gap[0] > 1
    # right: the optimum is certified and every kink sits on a data input
    assert spline.certified
    assert len(spline.knots) >= 2
    assert np.abs(spline.knots[:, None] - x1[None, :]).min(axis=1).max() < 1e-8
    assert len(fig.axes) == 2
    for ax in fig.axes:
        assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
    plt.close(fig)


def test_overview_needs_a_bound():
    X, y = dk.data.gaussian(n=10, d=3, seed=0)
    prob = dk.TwoLayerLinear(X, y, beta=0.5)
    hist = dk.train(prob.network(3), prob, steps=2, optimizer="lbfgs", bound=None,
                    progress=False)
    x1, y1 = dk.data.zigzag(5, seed=0)
    with pytest.raises(ValueError, match="dual bound"):
        dk.plot.overview(hist, x1, y1, dk.ReLU1D(x1, y1, beta=1e-2).solve())
