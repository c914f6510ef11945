"""ipywidgets explorers for live sessions (Jupyter, Colab).

Each explorer wraps a plain plotting function of :mod:`dualkit.plot`, which the book first draws
as a static figure; on the static HTML site a widget shows only its build-time state.

Introduced in :ref:`ch-two-layer-linear`.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from . import plot
from ._validation import as_matrix
from .problems import TwoLayerLinear

__all__ = ["beta_explorer", "depth_explorer", "svt_explorer", "spline_explorer", "rank_one_explorer",
           "relu_explorer"]


def beta_explorer(X, y, betas=None):
    r"""A slider over :math:`\beta` (log scale, from :math:`10^{-4}\beta_{\max}` to
    :math:`10\,\beta_{\max}`) that redraws :func:`dualkit.plot.beta_path` with the chosen value.

    Returns the ``ipywidgets`` object; display it as the last expression of a cell.
    """
    import ipywidgets as widgets

    prob = TwoLayerLinear(X, y, beta=1.0)
    bmax = prob.beta_max
    if bmax == 0.0:
        raise ValueError(
            "X^T y = 0: the optimal network is zero for every beta, so there is nothing to "
            "explore; check that y is not zero or orthogonal to the columns of X."
        )
    if betas is None:
        betas = np.linspace(0.0, 1.5 * bmax, 121)[1:]  # beta=0 is interpolation

    def show(beta: float):
        fig = plot.beta_path(prob, betas=betas, beta=float(beta))
        plt.show()
        return fig

    slider = widgets.FloatLogSlider(
        value=0.5 * bmax, base=10, min=np.log10(bmax) - 4, max=np.log10(bmax) + 1, step=0.05,
        description="beta", readout_format=".3g", continuous_update=False,
    )
    return widgets.interactive(show, beta=slider)


def depth_explorer(X, y, t: float = 1.0):
    r"""Sliders over the depth :math:`L` (2 to 6) and :math:`\beta` that redraw
    :func:`dualkit.plot.formulations_path`: the paper's formulation against weight decay on every
    layer. :math:`\beta` runs on a log scale from :math:`10^{-3}` to :math:`10` times
    :math:`\|X^\top y\|_2`, which is the zero threshold :math:`t^{L-2}\|X^\top y\|_2` of (P2)
    at every depth when ``t=1`` (the default).
    """
    import ipywidgets as widgets

    bmax = TwoLayerLinear(X, y, beta=1.0).beta_max
    if bmax == 0.0:
        raise ValueError(
            "X^T y = 0: the optimal network is zero for every beta and depth; check that y is not "
            "zero or orthogonal to the columns of X."
        )

    def show(depth: int, beta: float):
        fig = plot.formulations_path(X, y, depth=int(depth), t=t, beta=float(beta))
        plt.show()
        return fig

    depth = widgets.IntSlider(value=4, min=2, max=6, description="depth L",
                              continuous_update=False)
    beta = widgets.FloatLogSlider(
        value=0.3 * bmax, base=10, min=np.log10(bmax) - 3, max=np.log10(bmax) + 1, step=0.05,
        description="beta", readout_format=".3g", continuous_update=False,
    )
    return widgets.interactive(show, depth=depth, beta=beta)


def svt_explorer(X, Y):
    r"""A slider over :math:`\beta` (log scale, :math:`10^{-2}\sigma_K` to :math:`2\sigma_1` of
    :math:`X^\top Y`) that redraws :func:`dualkit.plot.svt_spectrum`."""
    import ipywidgets as widgets

    X, Y = as_matrix(X, "X"), as_matrix(Y, "Y")
    if Y.shape[0] != X.shape[0]:
        raise ValueError(f"Y has {Y.shape[0]} rows but X has {X.shape[0]}; one row per sample.")
    sig = np.linalg.svd(X.T @ Y, compute_uv=False)
    if sig[0] == 0.0:
        raise ValueError("X^T Y = 0: the optimum is zero for every beta; nothing to explore.")
    lo = np.log10(max(sig[-1], 1e-3 * sig[0]) / 100)

    def show(beta: float):
        fig = plot.svt_spectrum(X, Y, float(beta))
        plt.show()
        return fig

    slider = widgets.FloatLogSlider(value=float(np.median(sig)), base=10, min=lo,
                                    max=np.log10(2 * sig[0]), step=0.02, description="beta",
                                    readout_format=".3g", continuous_update=False)
    return widgets.interactive(show, beta=slider)


def spline_explorer(x, y, skip: bool = False):
    r"""A slider over :math:`\beta` (log scale, :math:`10^{-5}` to :math:`2\beta_{\max}`) that
    redraws :func:`dualkit.plot.spline_fit` with the optimal 1-D fit, its knots and the linear
    spline.

    Introduced in :ref:`ch-splines-1d`.
    """
    import ipywidgets as widgets

    from .problems.relu_1d import ReLU1D
    from .splines import linear_spline

    bmax = ReLU1D(x, y, 1.0, skip=skip).beta_max
    spline = linear_spline(x, y)

    def show(beta: float):
        sol = ReLU1D(x, y, float(beta), skip=skip).solve()
        fig = plot.spline_fit(x, y, {"linear spline": spline, "optimal network": sol.predict},
                              knots={"optimal network": sol.knots},
                              title=f"β = {beta:.3g}: {len(sol.knots)} knots, "
                                    f"P* = {sol.value:.4g}")
        plt.show()
        return fig

    slider = widgets.FloatLogSlider(
        value=1e-2 * bmax, base=10, min=np.log10(bmax) - 5, max=np.log10(2 * bmax), step=0.05,
        description="beta", readout_format=".3g", continuous_update=False,
    )
    return widgets.interactive(show, beta=slider)


def rank_one_explorer(X, y, depth: int = 4, t: float = 1.0):
    r"""Sliders over :math:`\beta` and :math:`t` for rank-one data: the optimal fit
    :math:`\kappa^\star c` against the targets, as a function of :math:`c`, with and without the
    bias of :ref:`app-rank-one-bias` (then a linear spline in :math:`c`).

    Introduced in :ref:`ch-rank-one-relu`.
    """
    import ipywidgets as widgets

    from .problems.rank_one_relu import RankOneReLU

    base = RankOneReLU(X, y, 1.0, depth=depth, t=t)
    order = np.argsort(base.c)

    def show(beta: float, t: float):
        p = RankOneReLU(X, y, float(beta), depth=depth, t=float(t))
        pb = RankOneReLU(X, y, float(beta), depth=depth, t=float(t), bias=True)
        s, sb = p.solve(), pb.solve()
        fig, ax = plt.subplots(figsize=(6.4, 3.6), layout="constrained")
        ax.plot(p.c, y, "ko", ms=4, label="data")
        ax.plot(p.c[order], s.weights.forward(X)[order], label=f"no bias: P* = {s.value:.4g}")
        ax.plot(p.c[order], sb.weights.forward(X)[order], "--", label=f"with bias: P* = {sb.value:.4g}")
        ax.set(xlabel="$c_i$ (the data's only coordinate)", ylabel="output",
               title=f"β = {beta:.3g}, t = {t:.2g}, κ* = {p.kappa():.4g}")
        ax.legend(fontsize="small")
        plt.show()
        return fig

    bmax = base.beta_max
    return widgets.interactive(
        show,
        beta=widgets.FloatLogSlider(value=0.05 * bmax, base=10, min=np.log10(bmax) - 4,
                                    max=np.log10(2 * bmax), step=0.05, description="beta",
                                    continuous_update=False, readout_format=".3g"),
        t=widgets.FloatSlider(value=t, min=0.5, max=2.0, step=0.05, description="t",
                              continuous_update=False),
    )


def relu_explorer(X, y, bias: str = "free"):
    r"""A slider over :math:`\beta` (log scale, down to :math:`10^{-3}\beta_{\max}`) that solves the
    two-layer ReLU convex program on 2-D data and redraws the optimal network's neurons with
    :func:`dualkit.plot.relu_neurons`.

    Introduced in :ref:`ch-two-layer-relu`.
    """
    import ipywidgets as widgets

    from .problems.two_layer_relu import TwoLayerReLU

    bmax = TwoLayerReLU(X, y, 1.0, bias=bias).beta_max
    if not bmax > 0:
        raise ValueError("the optimal network is zero for every beta (beta_max = 0: y is constant "
                         "with bias='free', or zero); nothing to explore.")

    def show(beta: float):
        sol = TwoLayerReLU(X, y, float(beta), bias=bias).solve()
        fig = plot.relu_neurons(X, y, {f"β = {beta:.3g}, P* = {sol.value:.4g} "
                                       f"(certified: {sol.certified})": sol.weights})
        plt.show()
        return fig

    slider = widgets.FloatLogSlider(
        value=1e-2 * bmax, base=10, min=np.log10(bmax) - 3, max=np.log10(1.2 * bmax), step=0.05,
        description="beta", readout_format=".3g", continuous_update=False,
    )
    return widgets.interactive(show, beta=slider)
