r"""The book's figures: one function per kind of figure, one consistent look.

Every function takes the objects the chapters already have (a :class:`~dualkit.train.History`,
a problem, layer weights), draws on a new figure unless ``ax`` is given, labels its axes with
units, and returns the matplotlib ``Figure``.

Introduced in :ref:`ch-two-layer-linear`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np

from ._validation import (
    _as_float_array,
    as_matrix,
    as_vector,
    check_beta,
    check_betas,
    check_positive_float,
    check_positive_int,
)
from .diagnostics import alignment, alignment_matrix, layer_summary
from .splines import sorted_points

if TYPE_CHECKING:
    from .problems.relu_1d import SplineSolution

__all__ = [
    "training",
    "singular_values",
    "beta_path",
    "neurons",
    "alignment_matrices",
    "layer_structure",
    "formulations_path",
    "rank_path",
    "svt_spectrum",
    "spline_fit",
    "knot_path",
    "rank_history",
    "ramp_function",
    "arrangement",
    "pattern_counts",
    "relu_neurons",
    "benchmark",
    "extreme_points",
    "solver_vs_training",
    "benchmark_table",
    "rank_one_fit",
    "spline_dual_constraint",
    "rescaling",
    "overview",
]

FIGSIZE = (6.4, 3.6)
#: floor used on log axes so that exact zeros (a gap of 0.0) stay visible
LOG_FLOOR = 1e-17
#: colours after the ten of matplotlib's cycle (black, gold, navy, teal, ...), for figures with
#: more than ten curves
_EXTRA_COLOURS = ["k", "#d4a017", "#000080", "#008080", "#8b0000", "#556b2f"]


def _axes(ax, figsize=FIGSIZE):
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax.figure, ax


def training(hist, ax=None, label: str | None = None, x: str = "step"):
    r"""Relative gap :math:`(P(\theta_k)-D^\star)/D^\star` against the iteration (``x="step"``)
    or the wall time in seconds (``x="time"``), on a log scale.

    Gaps at or below zero (rounding: no network can beat the dual bound) are drawn at
    ``LOG_FLOOR``. Without a bound in the history the primal objective itself is drawn.
    """
    if x not in ("step", "time"):
        raise ValueError(f"x must be 'step' or 'time'; got {x!r}.")
    fig, ax = _axes(ax)
    label = label or f"{hist.optimizer} ({hist.device})"
    xs = hist.steps if x == "step" else hist.time
    if hist.bound is None:
        ax.plot(xs, hist.objective, label=label)
        ax.set_ylabel("primal objective $P(\\theta_k)$")
    else:
        ax.semilogy(xs, np.maximum(hist.rel_gap, LOG_FLOOR), label=label)
        ax.axhline(np.finfo(float).eps, color="gray", ls=":", lw=1,
                   label="float64 rounding ($2.2\\times10^{-16}$)")
        ax.set_ylabel("relative gap $(P(\\theta_k)-D^*)/D^*$")
    ax.set_xlabel("iteration $k$" if x == "step" else "wall time (s)")
    ax.set_title("Training objective against the dual optimum")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    return fig


def singular_values(hist, layer: int | None = 0, ax=None, top: int | None = 6,
                    highlight: int | None = None):
    r"""The largest singular values :math:`\sigma_1\ge\sigma_2\ge\dots` of a layer during training.

    ``layer`` is 0-based (``0`` is :math:`W_1`); ``layer=None`` draws every matrix layer side by
    side, with one legend below the panels. ``top`` singular values are drawn (``None``: all of
    them). With ``highlight=k`` the first ``k`` are drawn in colour and all the others in grey
    with a single legend entry, so that the legend stays small and the figure says "k survive,
    the rest die" whatever the layer's size. A rank-one optimum shows as one curve staying up
    while the others fall to zero.
    """
    if top is not None:
        top = check_positive_int(top, "top")
    if highlight is not None:
        highlight = check_positive_int(highlight, "highlight")
    if layer is None:
        n_layers = len(hist.singular_values[0])
        fig, axes = plt.subplots(1, n_layers, figsize=(min(2.7 * n_layers + 0.4, 8.4), 3.3),
                                 sharey=True, layout="constrained", squeeze=False)
        for i, a in enumerate(axes[0]):
            singular_values(hist, layer=i, ax=a, top=top, highlight=highlight)
            a.set_title(f"Layer {i + 1}")
            a.get_legend().remove()
        handles, labels = axes[0][0].get_legend_handles_labels()
        if highlight is not None and len(labels) > highlight:
            # the layers differ in size: name the grey curves without a last index
            labels[highlight] = (f"$\\sigma_{{{highlight + 1}}},\\sigma_{{{highlight + 2}}},"
                                 "\\dots$ (the others)")
        fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 6),
                   frameon=False)
        fig.suptitle("Every layer becomes rank one")
        return fig
    fig, ax = _axes(ax)
    S = hist.singular_values_of(layer)
    count = S.shape[1] if top is None else min(top, S.shape[1])
    for k in range(count):
        if highlight is not None and k >= highlight:
            rest = (f"$\\sigma_{{{highlight + 1}}}$" if count == highlight + 1 else
                    f"$\\sigma_{{{highlight + 1}}},\\dots,\\sigma_{{{count}}}$")
            ax.semilogy(hist.steps, np.maximum(S[:, k], LOG_FLOOR), color="0.55", lw=1,
                        label=rest if k == highlight else None)
        else:
            # beyond the ten colours of the cycle: other colours, dashed, so no two look alike
            style: dict[str, Any] = ({"color": f"C{k}"} if k < 10 else
                     {"color": _EXTRA_COLOURS[(k - 10) % len(_EXTRA_COLOURS)], "ls": "--"})
            if highlight:
                style = {"lw": 2, "color": f"C{k % 10}"}
            ax.semilogy(hist.steps, np.maximum(S[:, k], LOG_FLOOR),
                        label=f"$\\sigma_{{{k + 1}}}$", **style)
    ax.set_xlabel("iteration $k$")
    ax.set_ylabel(f"singular values of $W_{layer + 1}$")
    ax.set_title(f"Layer {layer + 1} becomes rank one")
    ax.grid(True, which="both", alpha=0.3)
    if highlight is not None:
        ax.legend(loc="center right")
    else:
        ax.legend(ncol=2, fontsize="small")
    return fig


def beta_path(prob, betas=None, beta: float | None = None, axes=None):
    r"""The optimum along :math:`\beta`: the norm :math:`\|w^\star(\beta)\|_2` of the end-to-end map
    and the optimal value :math:`P^\star(\beta)`, with the zero threshold
    :math:`\beta_{\max}=\|X^\top y\|_2` marked (:ref:`app-zero-threshold`).

    ``beta`` highlights one value (used by the widget). Works at any :math:`\beta\ge0`.
    """
    bmax = prob.beta_max
    if betas is None:
        betas = np.linspace(0.0, 1.5 * bmax, 121)[1:]  # beta=0 is interpolation
    betas = check_betas(betas)
    sols = prob.path(betas)
    norms = np.array([np.linalg.norm(s.w) for s in sols])
    values = np.array([s.value for s in sols])
    if axes is None:
        # about the column's width (7.6 in at 100 dpi), so that the fonts are not shrunk
        fig, axes = plt.subplots(1, 2, figsize=(7.6, 3.4), layout="constrained")
    fig = axes[0].figure
    axes[0].plot(betas, norms, color="C0")
    axes[0].set_ylabel("$\\|W_1 w_2\\|_2 = \\|w^*\\|_2$")
    axes[0].set_title("Size of the optimal network")
    axes[1].plot(betas, values, color="C1", label="$P^*(\\beta)$")
    axes[1].axhline(0.5 * float(prob.y @ prob.y), color="gray", ls=":",
                    label="$\\frac{1}{2}\\|y\\|^2$ (zero network)")
    axes[1].set_ylabel("optimal objective $P^*(\\beta)$")
    axes[1].set_title("Optimal value")
    axes[1].legend(loc="lower right", fontsize="small")
    for ax in axes:
        ax.axvline(bmax, color="k", ls="--", lw=1)
        ax.set_xlabel("weight decay $\\beta$")
        ax.grid(True, alpha=0.3)
    axes[0].annotate("$\\beta=\\|X^\\top y\\|_2$", (bmax, norms.max() * 0.9),
                     xytext=(5, 0), textcoords="offset points")
    if beta is not None:
        s = prob.path([beta])[0]
        axes[0].plot([beta], [np.linalg.norm(s.w)], "o", color="C3")
        axes[1].plot([beta], [s.value], "o", color="C3")
        fig.suptitle(f"$\\beta={beta:.4g}$: $\\|w^*\\|={np.linalg.norm(s.w):.4g}$, "
                     f"$P^*={s.value:.6g}$")
    return fig


def neurons(weights, direction=None, ax=None):
    r"""Each hidden neuron as a point :math:`(\|w_{1,j}\|_2,\ |w_{2,j}|)`: balanced neurons lie on
    the diagonal (:ref:`app-rescaling`). With ``direction`` (e.g. :math:`w^\star`), the colour is the
    alignment :math:`|\cos(w_{1,j},\text{direction})|`.
    """
    if not isinstance(weights, (list, tuple)) or len(weights) < 2:
        raise ValueError("weights must be the list [W1, w2] of a two-layer network.")
    W1 = _as_float_array(weights[0], "weights[0]")
    W2 = _as_float_array(weights[1], "weights[1]")
    fig, ax = _axes(ax, figsize=(4.8, 4.2))
    W2 = W2[:, None] if W2.ndim == 1 else W2
    a = np.linalg.norm(W1, axis=0)
    b = np.linalg.norm(W2, axis=1)
    if direction is None:
        ax.scatter(a, b, s=30)
    else:
        c = [alignment(W1[:, j], direction) if a[j] > 0 else 0.0 for j in range(W1.shape[1])]
        sc = ax.scatter(a, b, c=c, vmin=0, vmax=1, cmap="viridis", s=30)
        fig.colorbar(sc, ax=ax, label="$|\\cos(w_{1,j}, w^*)|$")
    hi = max(float(a.max()), float(b.max()), 1e-12) * 1.1
    ax.plot([0, hi], [0, hi], color="gray", ls=":", label="balanced: $\\|w_{1,j}\\|=|w_{2,j}|$")
    ax.set_xlim(0, hi)
    ax.set_ylim(0, hi)
    ax.set_xlabel("incoming norm $\\|w_{1,j}\\|_2$")
    ax.set_ylabel("outgoing weight $|w_{2,j}|$")
    ax.set_title("Neurons of the trained network")
    ax.legend(fontsize="small", loc="upper left")
    return fig



def alignment_matrices(weights, k: int = 4, title: str | None = None, rtol: float = 1e-3):
    r"""One heatmap per pair of consecutive layers: :math:`|\langle q_{l,i},p_{l+1,j}\rangle|`
    for the top ``k`` singular directions (:func:`dualkit.diagnostics.alignment_matrix`).

    Directions whose singular value is below ``rtol`` times the layer's largest carry no weight
    (their singular vectors are arbitrary) and are greyed out. Aligned rank-one layers leave a
    single bright (1, 1) entry: the output direction of each layer is the input direction of the
    next.
    """
    mats = [np.asarray(W, dtype=float) for W in weights]
    mats[-1] = mats[-1][:, None] if mats[-1].ndim == 1 else mats[-1]
    pairs = len(mats) - 1
    fig, axes = plt.subplots(1, pairs, figsize=(min(2.6 * pairs + 0.9, 8.4), 3.1),
                             layout="constrained",
                             squeeze=False)
    cmap = plt.get_cmap("viridis").with_extremes(bad="0.85")
    for i, ax in enumerate(axes[0]):
        A = alignment_matrix(mats[i], mats[i + 1], k=k)
        s_in = np.linalg.svd(mats[i], compute_uv=False)[: A.shape[0]]
        s_out = np.linalg.svd(mats[i + 1], compute_uv=False)[: A.shape[1]]
        dead = (s_in[:, None] <= rtol * s_in[0]) | (s_out[None, :] <= rtol * s_out[0])
        im = ax.imshow(np.ma.masked_array(A, dead), vmin=0, vmax=1, cmap=cmap)
        for (r, c), v in np.ndenumerate(A):
            if not dead[r, c]:
                ax.text(c, r, f"{v:.2f}", ha="center", va="center", fontsize="small",
                        color="k" if v > 0.5 else "w")
        ax.set_xticks(range(A.shape[1]), [f"$p_{{{i + 2},{j + 1}}}$" for j in range(A.shape[1])])
        ax.set_yticks(range(A.shape[0]), [f"$q_{{{i + 1},{j + 1}}}$" for j in range(A.shape[0])])
        ax.set_xlabel(f"left singular vectors of $W_{i + 2}$")
        ax.set_ylabel(f"right singular vectors of $W_{i + 1}$")
        ax.set_title(f"layers {i + 1} → {i + 2}")
    fig.colorbar(im, ax=axes[0].tolist(), label="$|\\langle q, p\\rangle|$ (grey: $\\sigma\\approx0$)")
    if title:
        fig.suptitle(title)
    return fig


def layer_structure(runs: dict):
    r"""Per-layer structure of several networks (the paper's Figure 2b/3a analogue).

    ``runs`` maps a label (e.g. ``"β = 0.3"``) to a list of layers. Left: the numerical rank of
    each layer (:func:`dualkit.diagnostics.numerical_rank`; 0 for a layer whose norm is below
    1e-6 of the largest layer's, i.e. one that has vanished) on an integer axis; runs that
    coincide stay visible as nested open markers (one marker and size per run). Right: Frobenius
    norm (solid) and operator norm (dashed) of each layer. One legend below both panels.
    """
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    fig, (ax_r, ax_n) = plt.subplots(1, 2, figsize=(7.6, 3.9), layout="constrained")
    markers = ["o", "s", "^", "D", "v", "P"]
    sizes = np.linspace(12, 5, len(runs)) if len(runs) > 1 else [8]
    handles, top = [], 1
    for i, (label, weights) in enumerate(runs.items()):
        summ = layer_summary(weights)
        layers = np.arange(1, len(summ["rank"]) + 1)
        # a layer that has vanished next to the others counts as rank 0
        rank = np.where(summ["frobenius"] <= 1e-6 * summ["frobenius"].max(), 0, summ["rank"])
        top = max(top, int(rank.max()))
        style: dict[str, Any] = {"color": f"C{i}", "marker": markers[i % len(markers)],
                                 "ms": sizes[i], "mfc": "none", "mew": 1.6}
        ax_r.plot(layers, rank, "-", lw=1.2, **style)
        ax_n.plot(layers, summ["frobenius"], "-", lw=1.5, **style)
        ax_n.plot(layers, summ["operator"], "--", lw=1.5, **(style | {"ms": 0.6 * sizes[i]}))
        handles.append(Line2D([], [], ls="-", label=label, **style))
    handles += [Line2D([], [], color="0.3", ls="-", label="$\\|W_l\\|_F$ (solid)"),
                Line2D([], [], color="0.3", ls="--", label="$\\|W_l\\|_2$ (dashed)")]
    for ax in (ax_r, ax_n):
        ax.set_xlabel("layer $l$")
        ax.set_xticks(layers)
        ax.grid(True, alpha=0.3)
    ax_r.set_ylabel("numerical rank ($\\sigma_k > 10^{-3}\\sigma_1$)")
    ax_r.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax_r.set_ylim(-0.4, top + 0.6)
    ax_r.set_title("Rank of every layer")
    ax_n.set_ylabel("norm of $W_l$")
    ax_n.set_title("Frobenius and operator norms")
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 4),
               frameon=False)
    return fig


def formulations_path(norms, beta: float | None = None, ax=None):
    r""":math:`\|w^\star(\beta)\|_2` of the two deep linear formulations against :math:`\beta`,
    from ``norms = dk.problems.deep_linear.formulation_norms(X, y, depth, t)`` (which solves).

    The paper's formulation (:class:`~dualkit.DeepLinear`, a convex problem in disguise) shrinks
    continuously to zero at :math:`t^{L-2}\|X^\top y\|_2`; standard weight decay on every layer
    (:class:`~dualkit.DeepLinearWeightDecay`, non-convex for :math:`L\ge3`) jumps to zero.
    ``beta`` marks one value (used by the widget).
    """
    betas, n_paper, n_wd = norms.betas, norms.paper, norms.weight_decay
    bmax, depth, t = norms.beta_max, norms.depth, norms.t
    fig, ax = _axes(ax)
    ax.plot(betas, n_paper, label=f"(P2): $\\|W_l\\|_F\\leq t={t:g}$, decay on the last two")
    ax.plot(betas, n_wd, label="weight decay on all layers")
    ax.axvline(bmax, color="k", ls="--", lw=1,
               label="zero threshold of (P2), $t^{L-2}\\|X^\\top y\\|_2$")
    ax.set_xlabel("weight decay $\\beta$")
    ax.set_ylabel("$\\|W_1\\cdots w_L\\|_2 = \\|w^*\\|_2$")
    ax.set_title(f"Global optimum along $\\beta$, depth $L={depth}$")
    ax.grid(True, alpha=0.3)
    if beta is not None:
        ax.axvline(beta, color="C3", lw=1)
        ax.set_title(f"depth $L={depth}$, $\\beta={beta:.4g}$")
    ax.legend(loc="upper right", fontsize="small")
    return fig


def rank_path(betas, ranks, sigmas, ax=None):
    r"""Rank of the trained first layer against :math:`\beta` (the paper's Fig. 2a analogue), with
    the prediction :math:`\#\{k:\sigma_k(X^\top Y)>\beta\}` and dashed lines at the
    :math:`\sigma_k(X^\top Y)`: on whitened data the rank drops exactly when :math:`\beta` crosses
    one of them."""
    betas = as_vector(betas, "betas")
    if np.any(betas <= 0):
        raise ValueError("betas must be > 0 (drawn on a log axis).")
    ranks = as_vector(ranks, "ranks", n=betas.size, n_name="betas")
    sigmas = as_vector(sigmas, "sigmas")
    fig, ax = _axes(ax)
    grid = np.geomspace(betas.min(), betas.max(), 400)
    ax.plot(grid, [np.sum(sigmas > b) for b in grid], color="gray",
            drawstyle="steps-post", label="prediction $\\#\\{k:\\sigma_k(X^\\top Y)>\\beta\\}$")
    ax.plot(betas, ranks, "o", color="C0", label="trained rank of $W_1$", zorder=3)
    for s in sigmas:
        ax.axvline(s, color="C3", ls="--", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("weight decay $\\beta$ (dashed: singular values of $X^\\top Y$)")
    ax.set_ylabel("rank of $W_1$")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title("Rank of the first layer against $\\beta$")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower left")
    return fig


def svt_spectrum(X, Y, beta: float, ax=None):
    r"""The singular values :math:`\sigma_k` of :math:`X^\top Y` and those of the optimum
    :math:`(\sigma_k-\beta)_+` on whitened data (singular-value soft-thresholding, :ref:`app-vector`)."""
    X = as_matrix(X, "X")
    Y = as_matrix(Y, "Y")
    if Y.shape[0] != X.shape[0]:
        raise ValueError(f"Y has {Y.shape[0]} rows but X has {X.shape[0]}; one row per sample.")
    beta = check_beta(beta)
    fig, ax = _axes(ax)
    sig = np.linalg.svd(X.T @ Y, compute_uv=False)
    k = np.arange(1, sig.size + 1)
    ax.bar(k - 0.2, sig, width=0.4, label="$\\sigma_k(X^\\top Y)$", color="C7")
    ax.bar(k + 0.2, np.maximum(sig - beta, 0), width=0.4, label="$\\sigma_k(W^*)=(\\sigma_k-\\beta)_+$",
           color="C0")
    ax.axhline(beta, color="C3", ls="--", lw=1, label="$\\beta$")
    ax.set_xticks(k)
    ax.set_xlabel("index $k$")
    ax.set_ylabel("singular value")
    ax.set_title(f"$\\beta$ = {beta:.3g}: rank of the optimum = {int(np.sum(sig > beta))}")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1))
    return fig


def spline_fit(x, y, fits: dict, knots: dict | None = None, ax=None, margin: float = 0.15,
               title: str | None = None, legend: str = "best"):
    r"""1-D data, fitted functions and their kinks (:ref:`app-ramp-program`).

    Parameters
    ----------
    x, y : array
        The data (drawn as black dots; dotted vertical lines at the inputs).
    fits : dict
        ``label -> callable`` (a :class:`~dualkit.splines.PiecewiseLinear`, ``sol.predict``,
        ``np.interp``-style lambdas, ...), drawn over the data range plus ``margin``.
    knots : dict, optional
        ``label -> kink locations`` drawn as markers on the matching curve.
    legend : str, optional
        ``"below"`` puts the legend under the axes, where it cannot cover the data; any other
        value is a matplotlib ``loc`` inside the axes (default ``"best"``).
    """
    x, y = sorted_points(x, y)
    margin = check_positive_float(margin, "margin") if margin != 0 else 0.0
    fig, ax = _axes(ax)
    span = np.ptp(x) if x.size > 1 else 1.0
    grid = np.linspace(x.min() - margin * span, x.max() + margin * span, 1201)
    styles = ["-", "--", "-.", ":"]
    for i, (label, f) in enumerate(fits.items()):
        ax.plot(grid, f(grid), styles[i % 4], lw=2.2 - 0.4 * (i % 3), label=label, color=f"C{i}")
        if knots and label in knots and len(knots[label]):
            k = np.asarray(knots[label], float)
            ax.plot(k, f(k), "v", ms=8, color=f"C{i}", mfc="none", label=f"kinks: {label}")
    for xi in x:
        ax.axvline(xi, color="gray", lw=0.5, ls=":")
    ax.plot(x, y, "ko", ms=5, label="data", zorder=5)
    ax.set_xlabel("input $x$")
    ax.set_ylabel("output $f(x)$")
    ax.set_title(title or "Fits on 1-D data (dotted: data inputs)")
    ax.grid(True, alpha=0.3)
    if legend == "below":
        _legend_below(ax)
    else:
        ax.legend(fontsize="small", loc=legend)
    return fig


def _legend_below(ax, ncols: int = 2, offset: float = 0.16):
    """A legend under the axes (below the x label), where it cannot cover the data; a
    constrained layout makes room for it."""
    return ax.legend(loc="upper center", bbox_to_anchor=(0.5, -offset), ncols=ncols,
                     frameon=False)


def knot_path(x, y, betas, skip: bool = False, axes=None, shown: int = 5):
    r"""The regularization path of the 1-D problem, in two rows: the optimal fits at a few
    :math:`\beta` (top; ``shown`` of them, spread over ``betas``) and the number of knots of the
    optimum against :math:`\beta` (bottom, with :math:`\beta_{\max}` marked). Every knot is a
    data point, and the count falls to zero at :math:`\beta_{\max}`, where the optimal fit is
    the mean. The fits drawn on top are circled, in their colour, on the bottom curve.

    Introduced in :ref:`ch-splines-1d`.
    """
    from matplotlib.ticker import MaxNLocator

    from .problems.relu_1d import ReLU1D

    if axes is None:
        fig, axes = plt.subplots(2, 1, figsize=(7.2, 7.0), layout="constrained",
                                 height_ratios=(1.3, 1))
    else:
        fig = axes[0].figure
    betas = np.sort(check_betas(betas))
    shown = check_positive_int(shown, "shown")
    prob = ReLU1D(x, y, float(betas[0]), skip=skip)
    # ReLU1D.solve, which path calls, returns SplineSolutions (Problem.path says Solution)
    sols = cast("list[SplineSolution]", prob.path(betas))
    counts = np.array([len(s.knots) for s in sols])
    x = np.asarray(x, float)
    grid = np.linspace(x.min(), x.max(), 801)
    picks = np.unique(np.round(np.linspace(0, len(betas) - 1, min(shown, len(betas))))).astype(int)
    colors = plt.cm.viridis(np.linspace(0.0, 0.85, picks.size))
    axes[0].plot(x, y, "ko", ms=4, label="data", zorder=5)
    for c, i in zip(colors, picks, strict=True):
        axes[0].plot(grid, sols[i].predict(grid), color=c, lw=1.6,
                     label=f"$\\beta$ = {betas[i]:.2g}: {counts[i]} knots")
    axes[0].set_xlabel("input $x$")
    axes[0].set_ylabel("optimal fit $f^*(x)$")
    axes[0].set_title("Optimal fits along the path")
    _legend_below(axes[0], ncols=3, offset=0.2)
    axes[0].grid(True, alpha=0.3)
    axes[1].semilogx(betas, counts, "o-", color="0.35", ms=4)
    axes[1].scatter(betas[picks], counts[picks], s=110, facecolors="none", edgecolors=colors,
                    linewidths=2, zorder=5)
    bmax = prob.beta_max
    axes[1].axvline(bmax, color="C3", ls="--", lw=1)
    axes[1].annotate("$\\beta_{\\max}$", (bmax, 0.95), xycoords=("data", "axes fraction"),
                     xytext=(-4, 0), textcoords="offset points", ha="right", va="top",
                     color="C3")
    axes[1].yaxis.set_major_locator(MaxNLocator(integer=True))
    axes[1].set_xlabel("weight decay $\\beta$")
    axes[1].set_ylabel("knots of the optimum")
    axes[1].set_title("Fewer knots as $\\beta$ grows")
    axes[1].grid(True, which="both", alpha=0.3)
    return fig


def rank_history(hist, ax=None, names=None):
    r"""The rank-one ratio :math:`\sigma_2/\sigma_1` of every weight matrix during training (the
    paper's Fig. 3b analogue): on rank-one data with :math:`c\ge0` every layer of
    an optimum is rank one (:ref:`app-rank-one`), so every curve falls to rounding level."""
    fig, ax = _axes(ax)
    n_layers = len(hist.singular_values[0])
    for l_ in range(n_layers):
        sv = hist.singular_values_of(l_)
        ratio = sv[:, 1] / np.maximum(sv[:, 0], np.finfo(float).tiny)
        label = names[l_] if names else f"$W_{l_ + 1}$"
        ax.semilogy(hist.steps, np.maximum(ratio, LOG_FLOOR), label=label)
    ax.axhline(1e-4, color="gray", ls=":", lw=1, label="rank-one test $10^{-4}$")
    ax.set_xlabel("iteration $k$")
    ax.set_ylabel("$\\sigma_2(W_l)/\\sigma_1(W_l)$")
    ax.set_title("Every layer becomes rank one")
    ax.grid(True, which="both", alpha=0.3)
    # the curves start near 1 and fall: the lower left corner stays free
    ax.legend(fontsize="small", ncol=2, loc="lower left")
    return fig


def ramp_function(prob, weights, n_points: int = 400, seed: int = 0, ax=None, label="trained network"):
    r"""A network on new inputs :math:`\hat x=s\,\hat a+z` (:math:`z\perp\hat a` random) against
    :math:`\hat a^\top\hat x`, with the single ramp :math:`\tfrac{\kappa^\star}{\|a\|}(\hat a^\top\hat x)_+`
    of the optimum (:ref:`app-rank-one`)."""
    fig, ax = _axes(ax)
    rng = np.random.default_rng(seed)
    s = np.linspace(-3, 3, n_points)
    Z = rng.standard_normal((n_points, prob.d))
    Z -= np.outer(Z @ prob.a_hat, prob.a_hat)
    Xn = np.outer(s, prob.a_hat) + Z
    kappa = prob.kappa()
    ax.plot(s, kappa / np.linalg.norm(prob.a) * np.maximum(s, 0), color="C3", lw=3, alpha=0.5,
            label="single ramp $\\kappa^*(\\hat a^\\top x)_+/\\|a\\|$")
    ax.plot(s, weights.forward(Xn), ".", ms=3, color="C0", label=f"{label} at random inputs")
    ax.set_xlabel("projection $\\hat a^\\top x$ of a new input")
    ax.set_ylabel("network output $f(x)$")
    ax.set_title("The learned function is one ramp along $a$")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    return fig


def arrangement(X, extent: float = 3.0, resolution: int = 400, axes=None):
    r"""The activation patterns of 2-D data with a bias, :math:`\mathbb 1[Xu+b\mathbf 1\ge0]`,
    over the neuron parameters :math:`(u_1,u_2)` on the two slices :math:`b=+1` and
    :math:`b=-1` of :math:`(u,b)` space. The black lines are the hyperplanes
    :math:`x_i^\top u+b=0`, one per data point; each cell between them is one pattern. A cell's
    colour is the number of points on the neuron's active side, :math:`\sum_i\mathbb
    1[x_i^\top u+b\ge0]` (colour bar): crossing one line switches exactly one point, so
    neighbouring cells always differ by one. Each title counts the patterns visible in it.

    Introduced in :ref:`ch-two-layer-relu`.
    """
    from matplotlib.colors import BoundaryNorm

    X = as_matrix(X, "X")
    if X.shape[1] != 2:
        raise ValueError(f"arrangement draws 2-D data, X of shape (n, 2); got {X.shape}.")
    extent = check_positive_float(extent, "extent")
    resolution = check_positive_int(resolution, "resolution")
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(7.2, 3.7), layout="constrained", sharey=True)
    fig = axes[0].figure
    n = X.shape[0]
    g = np.linspace(-extent, extent, resolution)
    U1, U2 = np.meshgrid(g, g)
    cmap = plt.get_cmap("viridis", n + 1)
    norm = BoundaryNorm(np.arange(-0.5, n + 1), cmap.N)
    for ax, b in zip(axes, (1.0, -1.0), strict=True):
        act = (X[:, 0, None, None] * U1 + X[:, 1, None, None] * U2 + b) >= 0   # (n, r, r)
        codes = np.packbits(act, axis=0).reshape(-1, resolution * resolution)
        patterns = np.unique(codes.T, axis=0).shape[0]
        im = ax.imshow(act.sum(axis=0), origin="lower", cmap=cmap, norm=norm,
                       extent=(-extent, extent, -extent, extent), interpolation="nearest",
                       aspect="equal")
        for x in X:                                       # x1 u1 + x2 u2 + b = 0
            if abs(x[1]) > abs(x[0]):
                ax.plot(g, -(b + x[0] * g) / x[1], color="k", lw=0.7)
            else:
                ax.plot(-(b + x[1] * g) / x[0], g, color="k", lw=0.7)
        ax.set_xlim(-extent, extent)
        ax.set_ylim(-extent, extent)
        ticks = np.arange(-np.floor(extent), np.floor(extent) + 1)
        ticks = ticks[np.abs(ticks) < 0.9 * extent]    # none at the edges, where panels meet
        ax.set_xticks(ticks)
        ax.set_yticks(ticks)
        ax.set_xlabel("$u_1$ (weight on $x_1$)")
        ax.set_title(f"slice $b={b:+g}$: {patterns} patterns")
    axes[0].set_ylabel("$u_2$ (weight on $x_2$)")
    ticks = np.unique(np.linspace(0, n, min(n + 1, 7)).round().astype(int))
    fig.colorbar(im, ax=list(axes), ticks=ticks, shrink=0.85,
                 label="active points $\\#\\{i: x_i^\\top u+b\\geq 0\\}$")
    return fig


def pattern_counts(ns, counts: dict, ax=None):
    """Number of activation patterns against the number of points n, one line per entry of
    ``counts`` (label: list of counts), on log-log axes.

    Introduced in :ref:`ch-two-layer-relu`.
    """
    from matplotlib.ticker import NullLocator

    ns = as_vector(ns, "ns")
    if not isinstance(counts, dict):
        raise ValueError(f"counts must be a dict label -> list of counts; got {type(counts).__name__}.")
    counts = {label: as_vector(c, f"counts[{label!r}]", n=ns.size, n_name="ns")
              for label, c in counts.items()}

    fig, ax = _axes(ax)
    # the first series as large open markers, the others as lines over it: series that agree
    # (enumeration and the formula) stay visible
    for i, (label, c) in enumerate(counts.items()):
        if i == 0:
            ax.loglog(ns, c, "o", ms=11, mfc="none", mew=1.8, label=label, color="C0")
        else:
            ax.loglog(ns, c, marker="s^vD<>"[(i - 1) % 6], ms=4, label=label, color=f"C{i}")
    ax.set_xticks(ns, [f"{n:g}" for n in ns])           # the computed sizes, as integers
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlabel("number of data points $n$")
    ax.set_ylabel("activation patterns $N_D$")
    ax.legend(loc="upper left")
    ax.grid(True, which="major", alpha=0.3)
    return fig


def relu_neurons(X, y, networks: dict, axes=None, extent: float | None = None,
                 rtol: float = 1e-3):
    r"""Neurons of two-layer ReLU networks on 2-D data: each neuron :math:`\alpha(u^\top x+b)_+`
    is drawn as its hyperplane :math:`u^\top x+b=0` in data space, with line width and opacity
    proportional to its share of the weight decay :math:`|\alpha|\|u\|`, red for
    :math:`\alpha>0` and blue for :math:`\alpha<0`; neurons below ``rtol`` of the largest share
    are not drawn, and each title says how many of the network's neurons are drawn. The data
    points are coloured by their target :math:`y_i` (colour bar). ``networks`` maps a title to
    :class:`~dualkit.nets.ReLUWeights` (the neurons of the convex optimum against trained ones).

    Introduced in :ref:`ch-two-layer-relu`.
    """
    from matplotlib.lines import Line2D

    X = as_matrix(X, "X")
    y = as_vector(y, "y", n=X.shape[0])
    k = len(networks)
    own = axes is None
    if own:
        fig, axes = plt.subplots(1, k, figsize=(3.3 * k + 1.0, 4.1), layout="constrained",
                                 squeeze=False)
        axes = axes[0]
    fig = axes[0].figure
    ext = extent or 1.15 * float(np.abs(X).max())
    g = np.linspace(-ext, ext, 50)
    for ax, (title, ws) in zip(axes, networks.items(), strict=True):
        W1, w2 = np.asarray(ws[0]), np.asarray(ws[1])
        b = ws.biases[0] if ws.biases[0] is not None else np.zeros(W1.shape[1])
        size = np.abs(w2) * np.linalg.norm(W1, axis=0)
        big = max(float(size.max()), 1e-300)
        drawn = np.flatnonzero(size > rtol * big)
        for j in drawn:
            u, bj, wgt = W1[:, j], b[j], size[j] / big
            col = "C3" if w2[j] > 0 else "C0"
            lw, alpha = 0.5 + 2.5 * wgt, 0.2 + 0.8 * wgt
            if abs(u[1]) > abs(u[0]):
                ax.plot(g, -(bj + u[0] * g) / u[1], color=col, lw=lw, alpha=alpha)
            else:
                ax.plot(-(bj + u[1] * g) / u[0], g, color=col, lw=lw, alpha=alpha)
        sc = ax.scatter(X[:, 0], X[:, 1], c=y, cmap="viridis", s=28, edgecolor="k", lw=0.4,
                        zorder=3)
        ax.set_xlim(-ext, ext)
        ax.set_ylim(-ext, ext)
        ax.set_aspect("equal")
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
        ax.set_title(f"{title}\n{drawn.size} of {W1.shape[1]} neurons drawn", fontsize="medium")
    fig.colorbar(sc, ax=list(axes), shrink=0.8, label="target $y_i$")
    handles = [Line2D([], [], color="C3", lw=2, label="$\\alpha>0$"),
               Line2D([], [], color="C0", lw=2, label="$\\alpha<0$")]
    if own:
        fig.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False)
    return fig


def _benchmark_rows(rows) -> list[dict]:
    """Rows as dicts with float numbers: a list of dicts, or the path of a benchmark CSV."""
    if isinstance(rows, (str, bytes)) or hasattr(rows, "__fspath__"):
        import csv
        with open(rows, newline="") as f:
            rows = list(csv.DictReader(f))
    out = []
    for r in rows:
        r = dict(r)
        for k in ("time", "ratio", "rel_gap", "peak_mb", "t_1e-06"):
            try:
                r[k] = float(r.get(k, "nan"))
            except (TypeError, ValueError):
                r[k] = float("nan")
        out.append(r)
    return out


def _bench_id(bench: str) -> str:
    """``"B4 deep linear (paper)"`` -> ``"B4"``."""
    return bench.split()[0] if bench.split() else bench


def _select_benches(rows: list[dict], benches) -> list[dict]:
    if benches is None:
        return rows
    if isinstance(benches, str):
        benches = [benches]
    want = {str(b).strip().upper() for b in benches}
    known = {_bench_id(r["bench"]).upper() for r in rows}
    if not want <= known:
        raise ValueError(f"benches {sorted(want - known)} are not in these rows; "
                         f"choose from {sorted(known, key=lambda b: (len(b), b))}.")
    return [r for r in rows if _bench_id(r["bench"]).upper() in want]


def _bench_family(method: str) -> str:
    """One legend entry (and colour) per kind of method, across benchmarks."""
    low = method.strip().lower()
    if low.startswith("cvxpy") and "+" in method:
        return "cvxpy + " + method.split("+", 1)[1].split("(")[0].strip().upper()
    if low.startswith("torch adam"):
        return "torch Adam (best of 3 lr)"
    if "l-bfgs" in low:
        return "torch L-BFGS"
    if low.startswith("path("):
        return "path(betas): one factorization"
    if low.startswith("20 independent"):
        return "20 independent solve()"
    if low.startswith("adam step"):
        return "one Adam step" + method.strip()[len("Adam step"):]
    if "solve()" in low or "closed form" in low or "fista" in low:
        return "dualkit solve()"
    return method.strip()


_BENCH_COLORS = {
    "dualkit solve()": "tab:blue",
    "path(betas): one factorization": "tab:cyan",
    "20 independent solve()": "tab:gray",
    "cvxpy + CLARABEL": "tab:red",
    "cvxpy + SCS": "tab:orange",
    "cvxpy + HIGHS": "tab:brown",
    "cvxpy + OSQP": "tab:pink",
    "torch Adam (best of 3 lr)": "tab:green",
    "torch L-BFGS": "tab:purple",
    "one Adam step on cpu float64": "tab:olive",
}
#: line style and marker of the runs of one benchmark that differ by a parameter other than
#: the x axis (the depth L, the condition number, n for the training-step rows)
_BENCH_STYLES = [("-", "o"), ("--", "s"), (":", "^"), ("-.", "D")]


def _bench_variant_key(extra: str):
    nums = [float(v) for v in
            (p.split("=", 1)[1] for p in extra.split(", ") if "=" in p) if _is_number(v)]
    return (extra != "", extra.split("=")[0], nums, extra)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _tick_label(x: float) -> str:
    k = np.log10(x)
    return f"$10^{{{int(round(k))}}}$" if x >= 1e4 and abs(k - round(k)) < 1e-9 else f"{x:g}"


def benchmark(rows, benches=None, axes=None, ncols: int = 2):
    r"""Wall time against problem size, one panel per benchmark with several sizes: the figures
    of :ref:`ch-performance` and of ``python -m benchmarks``.

    ``rows`` is the list of row dicts of ``benchmarks.suite`` or the path of the CSV it wrote;
    ``benches`` (e.g. ``["B1", "B2", "B3"]``) picks the benchmarks to draw, in the order of the
    rows (default: every benchmark measured at two sizes or more). One colour per kind of method,
    the same in every panel and figure; where a benchmark also varies a parameter that is not on
    the x axis (the depth ``L``, the condition number, ``n`` for the training-step rows), each
    value gets its own line style and marker. Training runs (open markers) are drawn at their
    time to a relative gap of :math:`10^{-6}` when they got there and at their capped run time
    (a cross) when they did not. The x axis is the number of samples :math:`n` (the width for the
    training-step rows; the other dimensions are in the size column of the table).

    The panels fill a grid of ``ncols`` columns, 7.3 in wide (the book's column at its natural
    size); the legend takes a free cell of the grid, or a row below it.

    Introduced in :ref:`ch-performance`.
    """
    from matplotlib.lines import Line2D

    ncols = check_positive_int(ncols, "ncols")
    rows = _select_benches(_benchmark_rows(rows), benches)

    def params(size: str) -> dict:
        return dict(p.strip().split("=", 1) for p in size.split(",") if "=" in p)

    def xkey(p: dict) -> str:
        return "width" if "width" in p else "n"

    groups: dict = {}
    for r in rows:
        if np.isfinite(r["time"]):
            groups.setdefault(r["bench"], []).append(r)
    # a panel needs at least two sizes on its x axis (B7 varies the depth only: no panel)
    panels = [b for b, rs in groups.items()
              if len({params(x["size"]).get(xkey(params(x["size"]))) for x in rs}) > 1]
    if not panels:
        raise ValueError("no benchmark in these rows has more than one size to plot.")

    def variant(p: dict) -> str:
        return ", ".join(f"{k}={v}" for k, v in p.items()
                         if k not in (xkey(p), "d", "K", "patterns") and not k[0].isdigit())

    variants = sorted({variant(params(r["size"])) for b in panels for r in groups[b]},
                      key=_bench_variant_key)
    # the values of one parameter (L=3, L=4) take the styles in turn, after the plain style
    # when a panel also has lines without that parameter (B3: cond(X) given or not)
    shared = {v.split("=")[0] for b in panels
              if "" in (vs := {variant(params(r["size"])) for r in groups[b]})
              for v in vs if v}
    styles = {"": _BENCH_STYLES[0]}
    for key in dict.fromkeys(v.split("=")[0] for v in variants if v):
        values = [v for v in variants if v and v.split("=")[0] == key]
        for k, v in enumerate(values, start=int(key in shared)):
            styles[v] = _BENCH_STYLES[k % len(_BENCH_STYLES)]
    families = list(dict.fromkeys(_bench_family(r["method"]) for b in panels for r in groups[b]))
    tab10 = plt.get_cmap("tab10")
    spare = [tab10(k) for k in range(tab10.N)]     # its 10 colours (RGBA)
    colors = {f: _BENCH_COLORS.get(f, spare[k % 10]) for k, f in enumerate(families)}

    legend_ax = None
    if axes is None:
        cols = min(ncols, len(panels))
        nrows = -(-len(panels) // cols)
        fig, grid = plt.subplots(nrows, cols, figsize=(7.3, 2.75 * nrows + 0.2),
                                 layout="constrained", squeeze=False)
        axes = list(grid.ravel())
        for ax in axes[len(panels):]:
            ax.set_axis_off()
        if len(axes) > len(panels):
            legend_ax = axes[len(panels)]
    else:
        axes = list(np.atleast_1d(axes).ravel())
        if len(axes) < len(panels):
            raise ValueError(f"{len(panels)} panels to draw, but {len(axes)} axes given.")
        fig = axes[0].figure
    capped = False
    for ax, bench in zip(axes, panels, strict=False):
        lines: dict = {}
        for r in groups[bench]:
            p = params(r["size"])
            reached = np.isfinite(r["t_1e-06"])
            t = r["t_1e-06"] if reached else r["time"]
            lines.setdefault((_bench_family(r["method"]), variant(p)), []).append(
                (float(p[xkey(p)]), t, reached or "torch" not in r["method"]))
        for (family, var), pts in lines.items():
            pts.sort()
            ls, marker = styles[var]
            ax.plot([q[0] for q in pts], [q[1] for q in pts], color=colors[family], ls=ls, lw=1.2)
            for x, t, ok in pts:
                ax.plot(x, t, marker=marker if ok else "x", color=colors[family], ms=5.5,
                        mew=1.5, mfc="none" if family.startswith("torch") else None)
                capped |= not ok
        ax.set_xscale("log")
        ax.set_yscale("log")
        xs_all = sorted({float(params(r["size"])[xkey(params(r["size"]))]) for r in groups[bench]})
        ax.set_xticks(xs_all, [_tick_label(x) for x in xs_all])
        ax.minorticks_off()
        ax.set_title(bench)
        ax.set_xlabel("width (neurons)" if xkey(params(groups[bench][0]["size"])) == "width"
                      else "number of samples $n$")
        ax.set_ylabel("wall time (s)")
        ax.grid(True, which="major", alpha=0.3)
    # training runs (torch) get open markers: they stay visible over a solver's point
    handles = [Line2D([], [], color=colors[f], marker="o", ms=5.5, mew=1.5, lw=1.2, label=f,
                      mfc="none" if f.startswith("torch") else None) for f in families]
    handles += [Line2D([], [], color="0.35", ls=styles[v][0], marker=styles[v][1], ms=5, lw=1.2,
                       label=v) for v in variants if v]
    if capped:
        handles.append(Line2D([], [], color="0.35", ls="none", marker="x", ms=6, mew=1.5,
                              label="training: $10^{-6}$ not reached\n(capped run time)"))
    if legend_ax is not None:
        legend_ax.legend(handles=handles, loc="center", frameon=False)
    elif type(fig.get_layout_engine()).__name__ == "ConstrainedLayoutEngine":
        fig.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False)
    else:
        fig.legend(handles=handles, loc="lower center", ncols=2, frameon=False)
    return fig


def _active_directions(weights, rtol: float = 1e-8):
    r"""Unit first-layer directions and output signs of the neurons of ``[W1, w2]`` that carry
    more than ``rtol`` of the weight decay :math:`\sum_j\|w_{1,j}\||w_{2,j}|`."""
    W1 = np.asarray(weights[0], dtype=float)
    w2 = np.asarray(weights[1], dtype=float).reshape(W1.shape[1], -1)[:, 0]
    norms = np.linalg.norm(W1, axis=0)
    cost = norms * np.abs(w2)
    keep = np.flatnonzero(cost > rtol * max(float(cost.sum()), 1e-300))
    return W1[:, keep] / norms[keep], np.sign(w2[keep])


def extreme_points(prob, sol=None, weights=None, axes=None, resolution: int = 721):
    r"""Optimal neurons as the extreme points exposed by the dual solution, for a two-layer
    problem on 2-D inputs (``d = 2``).

    For :class:`~dualkit.TwoLayerLinear` (scalar output) the left panel is neuron space: the
    unit disk :math:`\{u:\|u\|_2\le1\}`, the level lines of the linear function
    :math:`u\mapsto\lambda^{\star\top}Xu/\beta`, the dual direction :math:`X^\top\lambda^\star/\beta`
    and the extreme point it exposes, :math:`u^\star=X^\top\lambda^\star/\|X^\top\lambda^\star\|`.
    The right panel is output space: the convex set :math:`\{Xu:\|u\|\le1\}\subset\mathbb R^n`,
    an ellipse drawn exactly in the plane :math:`\operatorname{range}X`, with the supporting
    lines :math:`\lambda^{\star\top}z=\pm\beta` and the extreme point :math:`Xu^\star`.

    For :class:`~dualkit.TwoLayerReLU` with ``bias="none"`` the left panel draws, in neuron
    space, the polar curve :math:`c(u)\,u` of :math:`c(u)=|\lambda^{\star\top}(Xu)_+|/\beta` over
    the unit circle (inside the disk where the dual is feasible, on the circle at the optimal
    neurons), with the cone boundaries :math:`x_i^\top u=0`; the right panel draws the signed
    constraint :math:`\lambda^{\star\top}(Xu_\theta)_+/\beta` against the angle :math:`\theta` of
    :math:`u_\theta=(\cos\theta,\sin\theta)`.

    Neurons of ``weights`` (default ``sol.weights``; ``sol`` defaults to ``prob.solve()``) that
    carry weight decay are marked by their unit direction, times the sign of their outgoing
    weight for the linear network.

    Introduced in :ref:`ch-preliminaries`.
    """
    from .problems import TwoLayerLinear, TwoLayerReLU

    resolution = check_positive_int(resolution, "resolution")
    if isinstance(prob, TwoLayerLinear):
        if prob.d != 2 or prob.vector:
            raise ValueError("extreme_points draws a scalar-output TwoLayerLinear on 2-D inputs; "
                             f"got d={prob.d}, K={prob.K}.")
        relu = False
    elif isinstance(prob, TwoLayerReLU):
        if prob.M.shape[1] != 2 or prob.bias != "none":
            raise ValueError("extreme_points draws a TwoLayerReLU with bias='none' on 2-D inputs; "
                             f"got d={prob.d}, bias={prob.bias!r}.")
        relu = True
    else:
        raise ValueError("extreme_points takes a TwoLayerLinear or TwoLayerReLU problem; got "
                         f"{type(prob).__name__}.")
    if prob.beta <= 0:
        raise ValueError("extreme_points needs beta > 0 (the dual constraint's radius).")
    sol = prob.solve() if sol is None else sol
    weights = sol.weights if weights is None else weights
    lam, beta, X = np.asarray(sol.dual, dtype=float), prob.beta, prob.X
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(8.0, 5.2), layout="constrained")
    fig = axes[0].figure
    th = np.linspace(0.0, 2 * np.pi, resolution)
    circle = np.stack([np.cos(th), np.sin(th)])             # (2, resolution)
    dirs, signs = _active_directions(weights)
    ax = axes[0]
    ax.fill(circle[0], circle[1], color="0.92", zorder=0)
    ax.plot(circle[0], circle[1], color="0.4", lw=1, label="unit circle $\\|u\\|_2=1$")
    if not relu:
        g = X.T @ lam / beta
        ustar = g / np.linalg.norm(g)
        perp = np.array([-ustar[1], ustar[0]])
        for level in np.linspace(-1, 1, 9):                 # lines g^T u = level * ||g||
            seg = level * ustar[:, None] + np.outer(perp, [-1.3, 1.3])
            ax.plot(seg[0], seg[1], color="C0", lw=0.7, ls="--", alpha=0.5)
        ax.plot([], [], color="C0", lw=0.7, ls="--", alpha=0.5,
                label="level lines of $\\lambda^{*\\top}Xu$")
        ax.annotate("", xy=g, xytext=(0, 0), arrowprops={"arrowstyle": "-|>", "color": "C3", "lw": 1.5})
        ax.plot([], [], color="C3", lw=1.5, label="dual direction $X^\\top\\lambda^*/\\beta$")
        ax.plot(*ustar, "*", color="C3", ms=16, mec="k", zorder=4,
                label="extreme point $u^*$")
        pts = dirs * signs
        ax.plot(pts[0], pts[1], "o", mfc="none", mec="C1", mew=2, ms=20, zorder=5,
                label="neurons, $\\mathrm{sign}(w_{2,j})\\,u_j/\\|u_j\\|$")
        ax.set_title("Neuron space: a linear function\non the unit disk", fontsize="medium")
        # output space: the ellipse {Xu} in range(X), basis e1 along the projection of lambda
        Q, _ = np.linalg.qr(X)
        p = Q @ (Q.T @ lam)
        e1 = p / np.linalg.norm(p)
        e2 = Q[:, 0] - e1 * (e1 @ Q[:, 0])
        if np.linalg.norm(e2) < 1e-8:
            e2 = Q[:, 1] - e1 * (e1 @ Q[:, 1])
        e2 /= np.linalg.norm(e2)
        E = X @ circle
        ax2 = axes[1]
        ax2.fill(e1 @ E, e2 @ E, color="0.92", zorder=0)
        ax2.plot(e1 @ E, e2 @ E, color="0.4", lw=1, label="$\\{Xu:\\|u\\|_2\\leq1\\}$ (in range $X$)")
        c = beta / np.linalg.norm(p)                          # lambda^T z = beta at e1^T z = c
        ylim = 1.15 * float(np.abs(e2 @ E).max())
        xlim = max(1.6 * c, 1.15 * float(np.abs(e1 @ E).max()))
        for sgn in (1, -1):
            ax2.plot([sgn * c, sgn * c], [-ylim, ylim], color="C0", lw=1, ls="--",
                     label="$\\lambda^{*\\top}z=\\pm\\beta$" if sgn == 1 else None)
        zs = X @ ustar
        ax2.annotate("", xy=(0.6 * c, 0), xytext=(0, 0),
                     arrowprops={"arrowstyle": "-|>", "color": "C3", "lw": 1.5})
        ax2.plot([], [], color="C3", lw=1.5, label="direction of $\\lambda^*$")
        ax2.plot(e1 @ zs, e2 @ zs, "*", color="C3", ms=16, mec="k", zorder=4,
                 label="extreme point $Xu^*$")
        ax2.set_xlim(-xlim, xlim)
        ax2.set_ylim(-ylim, ylim)
        ax2.set_xlabel("$z$ along $\\lambda^*$ (projected on range $X$)")
        ax2.set_ylabel("$z$ across $\\lambda^*$ (in range $X$)")
        ax2.set_title("Output space: the set touches\n$\\lambda^{*\\top}z=\\beta$ once",
                      fontsize="medium")
    else:
        c_signed = lam @ np.maximum(X @ circle, 0.0) / beta
        r = np.abs(c_signed)
        ext = 1.3
        for x in X:                                          # cone boundaries x^T u = 0
            t = np.array([-x[1], x[0]]) / np.linalg.norm(x)
            ax.plot([-ext * t[0], ext * t[0]], [-ext * t[1], ext * t[1]], color="0.7", lw=0.5)
        ax.plot([], [], color="0.7", lw=0.5, label="cone boundaries $x_i^\\top u=0$")
        ax.plot(r * circle[0], r * circle[1], color="C0", lw=1.5,
                label="$c(u)\\,u$, $c(u)=|\\lambda^{*\\top}(Xu)_+|/\\beta$")
        for s_, col, name in ((1, "C3", "$w_{2j}>0$"), (-1, "C0", "$w_{2j}<0$")):
            pts = dirs[:, signs == s_]
            ax.plot(pts[0], pts[1], "*", color=col, ms=13, mec="k", zorder=5,
                    label=f"optimal neurons $u_j/\\|u_j\\|$, {name}")
        ax.set_xlim(-ext, ext)
        ax.set_ylim(-ext, ext)
        ax.set_title("Neuron space: the constraint touches the circle", fontsize="medium")
        ax2 = axes[1]
        ax2.plot(np.degrees(th), c_signed, color="C0", lw=1.2,
                 label="$\\lambda^{*\\top}(Xu_\\theta)_+/\\beta$")
        for sgn in (1, -1):
            ax2.axhline(sgn, color="k", lw=0.8, ls="--",
                        label="$\\pm1$ (the bound $\\beta$)" if sgn == 1 else None)
        ang = np.degrees(np.mod(np.arctan2(dirs[1], dirs[0]), 2 * np.pi))
        vals = lam @ np.maximum(X @ dirs, 0.0) / beta
        for s_, col, name in ((1, "C3", "$w_{2j}>0$"), (-1, "C0", "$w_{2j}<0$")):
            ax2.plot(ang[signs == s_], vals[signs == s_], "*", color=col, ms=12, mec="k", zorder=5,
                     label=f"optimal neurons, {name}")
        ax2.set_xlabel("angle $\\theta$ of $u_\\theta=(\\cos\\theta,\\sin\\theta)$ (degrees)")
        ax2.set_ylabel("dual constraint $/\\beta$")
        ax2.set_xticks(np.arange(0, 361, 90))
        ax2.set_title("The optimal neurons reach $\\pm\\beta$", fontsize="medium")
        ax2.grid(True, alpha=0.3)
    ax.set_aspect("equal")
    ax.set_xlabel("$u_1$ (first-layer weight on $x_1$)")
    ax.set_ylabel("$u_2$ (first-layer weight on $x_2$)")
    if not relu:
        ax2.set_aspect("equal")
    for a in (ax, ax2):
        a.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), fontsize="small", ncol=1,
                 frameon=False, markerscale=0.6)
    return fig


def solver_vs_training(runs: dict, solver_time: float, solver_gap: float | None = None,
                       solver_label: str = "convex solver", ax=None):
    r"""Relative gap of training runs against wall time, and where the convex solver stands.

    Each :class:`~dualkit.train.History` of ``runs`` (label to history, recorded with a bound)
    is drawn as its relative gap :math:`(P(\theta_k)-D^\star)/D^\star` against wall time, both
    on log scales (gaps at or below zero at ``LOG_FLOOR``). The solver's time ``solver_time``
    (seconds; the book passes the median of repeated solves, :func:`dualkit.timing.timed`) is
    a dashed vertical line, and its own certified relative gap ``solver_gap``, if given, a star
    on that line. The legend sits to the right of the axes, off the data.

    Introduced in :ref:`ch-performance`.
    """
    solver_time = check_positive_float(solver_time, "solver_time")
    if not isinstance(runs, dict) or not runs:
        raise ValueError("runs must be a non-empty dict of label -> History.")
    if any(h.bound is None for h in runs.values()):
        raise ValueError("every history needs a bound (train with bound=...) to have a gap.")
    fig, ax = _axes(ax, figsize=(7.3, 3.3))
    for label, h in runs.items():
        ax.plot(h.time, np.maximum(h.rel_gap, LOG_FLOOR), lw=1.5, label=label)
    ax.axhline(np.finfo(float).eps, color="gray", ls=":", lw=1,
               label="float64 rounding\n($2.2\\times10^{-16}$)")
    ax.axvline(solver_time, color="k", ls="--", lw=1, label=f"{solver_label}:\nits wall time")
    if solver_gap is not None:
        ax.plot(solver_time, max(float(solver_gap), LOG_FLOOR), "*", color="k", ms=12,
                label=f"{solver_label}:\nits certified gap")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("wall time (s)")
    ax.set_ylabel("relative gap")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), borderaxespad=0, frameon=False)
    return fig


def _bench_number(v: float, digits: int = 3) -> str:
    """``digits`` significant digits, without an exponent from 1e-4 to 1e6 (``16400``,
    ``0.00179``, ``5``); NaN as a dash."""
    if not np.isfinite(v):
        return "—"
    if v == 0:
        return "0"
    r = float(f"{v:.{digits}g}")
    if not 1e-4 <= abs(r) < 1e6:
        mant, exp = f"{v:.{digits - 1}e}".split("e")
        return f"{mant}e{int(exp)}"
    text = f"{r:.{max(digits - 1 - int(np.floor(np.log10(abs(r)))), 0)}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


_BENCH_SHORT = {
    "solve() dedicated [closed_form]": "solve(): closed form",
    "solve() dedicated [fista]": "solve(): FISTA",
    "solve() dedicated [ramp]": "solve(): banded IPM",
    "solve() [ridge path]": "solve(): ridge path",
    "dualkit solve() (working set)": "solve(): working set",
    "one solve() (reference)": "one solve()",
    "path(betas): one factorization": "path(betas)",
    "20 independent solve()": "20 × solve()",
    "torch L-BFGS (strong Wolfe)": "L-BFGS",
    "cvxpy + Clarabel (whole program)": "cvxpy + CLARABEL",
    "Adam step on cpu float64": "Adam step, CPU",
}


def _bench_method(method: str) -> str:
    """A short name for the table: ``"torch Adam (best lr 0.01)"`` -> ``"Adam (lr 0.01)"``."""
    if method in _BENCH_SHORT:
        return _BENCH_SHORT[method]
    if method.startswith("torch Adam (best lr "):
        return "Adam (lr " + method[len("torch Adam (best lr "):]
    if method.startswith("scnn") and "(tol " in method:
        return "scnn (tol " + f"{float(method.split('(tol ')[1].rstrip(')')):g})"
    return method


def _minus(text: str) -> str:
    """Typographic minus signs, which a browser does not break a line at (``1.9e−16``)."""
    return text.replace("-", "\u2212")


def benchmark_table(rows, benches=None, caption: str | None = None):
    r"""The benchmark results as a compact table (a :class:`dualkit.book.Table`): the rows that
    were measured (a finite time) and the columns that carry the comparison.

    Columns: the benchmark and the size (each written once, on the first row of its block), the
    method (a short name: ``solve(): closed form`` for ``solve() dedicated [closed_form]``,
    ``Adam (lr 0.01)`` for ``torch Adam (best lr 0.01)``, ...), the wall time in seconds
    (median of 5 runs under a second), "× first row" (the time over that of the first row of
    the block, the dedicated solver; a training row uses its time
    to a relative gap of :math:`10^{-6}`, or its capped run time marked ">" when it did not get
    there), the relative duality gap and the peak memory traced during one run. The compile and
    solve times of cvxpy, the times to :math:`10^{-2}` and :math:`10^{-4}` and the notes are in
    the CSV that ``python -m benchmarks`` writes. ``rows``: row dicts or the path of that CSV;
    ``benches`` as in :func:`benchmark`.

    Introduced in :ref:`ch-performance`.
    """
    from .book import table

    rows = [r for r in _select_benches(_benchmark_rows(rows), benches) if np.isfinite(r["time"])]
    if not rows:
        raise ValueError("no measured rows (a finite time) to show.")
    out, last_bench, last_size = [], None, None
    for r in rows:
        ratio = _bench_number(r["ratio"])
        if r["method"].startswith("torch") and not np.isfinite(r["t_1e-06"]) and ratio != "—":
            ratio = ">" + ratio
        gap = r["rel_gap"]
        new_bench = r["bench"] != last_bench
        out.append({
            "bench": r["bench"] if new_bench else "",
            "size": r["size"] if new_bench or r["size"] != last_size else "",
            "method": _bench_method(r["method"]),
            "time (s)": _minus(_bench_number(r["time"])),
            "× first row": _minus(ratio),
            "rel. gap": "—" if not np.isfinite(gap) else "0" if gap == 0 else _minus(f"{gap:.1e}"),
            "peak MB": _minus(_bench_number(r["peak_mb"])),
        })
        last_bench, last_size = r["bench"], r["size"]
    return table(out, caption=caption)


def rank_one_fit(X, y, beta: float, depth: int = 4, t: float = 1.0, ax=None):
    r"""Rank-one data :math:`X=c\,a^\top` as 1-D data in :math:`c`: the targets :math:`y_i`
    against :math:`c_i` (grey dots) and two optimal deep ReLU networks at the same
    :math:`\beta` and :math:`t`: without biases, the line :math:`\kappa^\star c`
    (:ref:`app-rank-one`), and with a bias in layer :math:`L-1`, a linear spline in :math:`c`
    (:ref:`app-rank-one-bias`) whose kinks are drawn on top of everything (red triangles on the
    curve, dotted vertical lines down to the axis), so that they stay visible among the data.

    Returns the Figure.

    Introduced in :ref:`ch-rank-one-relu`.
    """
    from .problems.rank_one_relu import RankOneReLU

    beta = check_beta(beta)
    plain = RankOneReLU(X, y, beta, depth=depth, t=t)
    spline = RankOneReLU(X, y, beta, depth=depth, t=t, bias=True).solve().info["one_d"]
    c, yv = plain.c, plain.y
    kappa = plain.kappa()
    fig, ax = _axes(ax)
    span = float(np.ptp(c)) if c.size > 1 else 1.0
    grid = np.linspace(c.min() - 0.05 * span, c.max() + 0.05 * span, 1201)
    knots = np.asarray(spline.knots, dtype=float)
    for k in knots:
        ax.axvline(k, color="C3", ls=":", lw=1.2, zorder=1)
    ax.plot(c, yv, "o", color="0.45", ms=4.5, zorder=2, label="data $(c_i, y_i)$")
    ax.plot(grid, spline.predict(grid), "-", color="C0", lw=2.4, zorder=3,
            label="bias in layer $L-1$: a linear spline")
    # dashed on top, so that the line stays visible where the two fits coincide
    ax.plot(grid, kappa * grid, "--", color="C1", lw=2, zorder=4,
            label="no bias: the line $\\kappa^* c$")
    if knots.size:
        ax.plot(knots, spline.predict(knots), "v", color="C3", mec="k", ms=10, zorder=6,
                label="its kinks (at data values of $c$)")
    ax.set_xlabel("$c$ (the data's only coordinate)")
    ax.set_ylabel("network output")
    ax.set_title(f"$\\beta$ = {beta:.3g}, $t$ = {t:g}: $\\kappa^*$ = {kappa:.4g}, "
                 f"{knots.size} kink{'s' if knots.size != 1 else ''}")
    ax.grid(True, alpha=0.3)
    # the fits run from the lower (upper) left to the upper (lower) right for kappa* >= 0 (< 0)
    ax.legend(loc="lower right" if kappa >= 0 else "upper right")
    return fig


def spline_dual_constraint(x, lam, beta: float, ax=None, pad: float = 0.2):
    r"""The dual constraint of the 1-D program (C5) as a function of the knot :math:`k`:
    :math:`|\lambda^\top(x-k\mathbf 1)_+|` (ramps rising right) and
    :math:`|\lambda^\top(k\mathbf 1-x)_+|` (ramps rising left), with the bound :math:`\beta`
    (dashed) and the data inputs (dotted). Both are piecewise linear in :math:`k` with
    breakpoints at the data; at a dual optimum :math:`\lambda^\star` they reach :math:`\beta`
    only where an optimal neuron may sit (:ref:`app-ramp-program`).

    Parameters
    ----------
    x : array
        The data inputs.
    lam : array
        A dual point, e.g. ``sol.dual``.
    beta : float
        The weight decay.
    pad : float
        How far beyond the data range the knot axis extends.

    Notes
    -----
    Introduced in :ref:`ch-splines-1d`.
    """
    x = as_vector(x, "x")
    lam = as_vector(lam, "lam", n=x.size, n_name="x")
    beta = check_beta(beta)
    fig, ax = _axes(ax)
    k = np.linspace(x.min() - pad, x.max() + pad, 2001)
    right = np.abs(np.maximum(x[None, :] - k[:, None], 0) @ lam)
    left = np.abs(np.maximum(k[:, None] - x[None, :], 0) @ lam)
    for xi in x:
        ax.axvline(xi, color="gray", lw=0.5, ls=":")
    ax.plot(k, right, color="C0", lw=2.2, label="$|\\lambda^\\top(x-k)_+|$, ramps rising right")
    ax.plot(k, left, "--", color="C1", lw=1.6, label="$|\\lambda^\\top(k-x)_+|$, ramps rising left")
    ax.axhline(beta, color="C3", ls="--", lw=1, label="the bound $\\beta$")
    ax.set_xlabel("knot $k$")
    ax.set_ylabel("dual constraint")
    ax.set_title("Where a neuron may sit")
    ax.grid(True, alpha=0.3)
    _legend_below(ax, ncols=2)
    return fig


def rescaling(w1, w2, alphas=None, ax=None):
    r"""The rescaling trick for one neuron (:ref:`app-rescaling`): the weight-decay penalty
    :math:`\tfrac12(\alpha^2\|w_1\|_2^2+w_2^2/\alpha^2)` of the rescaled neuron
    :math:`(\alpha w_1,\ w_2/\alpha)` against :math:`\alpha>0` (log axis), with its two terms.

    The output :math:`(\alpha w_1)(w_2/\alpha)=w_1w_2` does not depend on :math:`\alpha`; its size
    :math:`\|w_1\|_2|w_2|` is drawn as a flat line, which the penalty touches at the balanced
    scale :math:`\alpha^\star=\sqrt{|w_2|/\|w_1\|_2}` (marked, label ``"balanced"``): there
    :math:`\|\alpha^\star w_1\|_2=|w_2|/\alpha^\star` and the penalty equals :math:`\|w_1\|_2|w_2|`
    (the inequality of arithmetic and geometric means). ``alphas`` defaults to a log grid over
    :math:`[\alpha^\star/8,\,8\alpha^\star]`.

    Introduced in :ref:`ch-preliminaries`.
    """
    w1 = as_vector(w1, "w1")
    w2 = float(np.asarray(w2, dtype=float).reshape(-1)[0]) if np.size(w2) == 1 else None
    if w2 is None or not np.isfinite(w2):
        raise ValueError("w2 must be one finite number: the neuron's outgoing weight.")
    a, b = float(np.linalg.norm(w1)), abs(w2)
    if a == 0.0 or b == 0.0:
        raise ValueError("rescaling needs a neuron with w1 != 0 and w2 != 0 (otherwise the "
                         "penalty has no minimum over alpha > 0).")
    a_star = np.sqrt(b / a)
    if alphas is None:
        alphas = a_star * np.logspace(-np.log10(8.0), np.log10(8.0), 401)
    alphas = as_vector(alphas, "alphas")
    if np.any(alphas <= 0):
        raise ValueError("alphas must be > 0 (the rescaling is by a positive factor).")

    def penalty(al):
        return 0.5 * (al**2 * a**2 + b**2 / al**2)

    fig, ax = _axes(ax, figsize=(6.4, 4.6))
    ax.loglog(alphas, penalty(alphas), color="C0", lw=2,
              label="penalty $\\frac{1}{2}(\\alpha^2\\|w_1\\|^2+w_2^2/\\alpha^2)$")
    ax.loglog(alphas, 0.5 * alphas**2 * a**2, color="C0", ls="--", lw=1,
              label="$\\frac{1}{2}\\alpha^2\\|w_1\\|^2$ (first layer)")
    ax.loglog(alphas, 0.5 * b**2 / alphas**2, color="C0", ls=":", lw=1.2,
              label="$\\frac{1}{2} w_2^2/\\alpha^2$ (second layer)")
    ax.axhline(a * b, color="C1", lw=1.2,
               label="output size $\\|(\\alpha w_1)(w_2/\\alpha)\\|=\\|w_1\\|\\,|w_2|$, any $\\alpha$")
    ax.plot([a_star], [penalty(a_star)], "o", color="C3", ms=8, zorder=5,
            label="balanced: $\\alpha^*=\\sqrt{|w_2|/\\|w_1\\|}$")
    ax.annotate(f"$\\alpha^*={a_star:.3g}$: $\\|\\alpha^* w_1\\|=|w_2|/\\alpha^*$,\n"
                f"penalty $=\\|w_1\\|\\,|w_2|={a * b:.3g}$",
                (a_star, penalty(a_star)), xytext=(a_star, 6 * penalty(a_star)),
                ha="center", va="center", fontsize="small",
                arrowprops={"arrowstyle": "-|>", "color": "0.3", "lw": 0.8})
    lo = min(float(penalty(alphas).min()), a * b)
    ax.set_ylim(lo / 3, float(penalty(alphas).max()) * 1.5)
    ax.set_xlabel("rescaling factor $\\alpha$")
    ax.set_ylabel("weight decay of the neuron")
    ax.set_title("One neuron rescaled: same output, penalty smallest when balanced")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize="small", ncols=2,
              frameon=False)
    return fig


def overview(hist, x, y, spline, axes=None):
    r"""The book in two panels (the figure of :ref:`ch-intro`).

    Left, the **certificate**: the relative gap :math:`(P(\theta_k)-D^\star)/D^\star` between
    the training objective of a network (a :class:`~dualkit.train.History` recorded against a
    dual bound) and the dual optimum falls to rounding level: the network is then certified
    globally optimal, since no network of any width goes below
    :math:`D^\star` (weak duality). Right, the **structure** of an
    optimum: the certified optimal two-layer ReLU network on 1-D data ``x, y`` (``spline``, a
    :class:`~dualkit.SplineSolution` of :class:`~dualkit.ReLU1D`) is a linear spline whose kinks
    (triangles) sit on data inputs (dotted lines).
    """
    if hist.bound is None:
        raise ValueError("overview needs a History recorded against a dual bound "
                         "(dk.train(net, prob) records prob.lower_bound()).")
    x, y = sorted_points(x, y)
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(8.0, 4.6), layout="constrained")
    fig = axes[0].figure
    ax = axes[0]
    gap = np.maximum(np.asarray(hist.rel_gap, dtype=float), LOG_FLOOR)
    ax.semilogy(hist.steps, gap, "o-", ms=4, color="C0")
    ax.set_ylim(min(float(gap.min()) / 30, 1e-15), float(gap.max()) * 30)
    ax.set_xlabel("training iteration $k$")
    ax.set_ylabel("relative gap $(P(\\theta_k)-D^*)/D^*$")
    ax.set_title("Certificate: training meets the dual optimum")
    ax.grid(True, which="major", alpha=0.3)
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.annotate(f"{hist.final_rel_gap:.0e}: rounding error,\nthe network is optimal",
                (hist.steps[-1], gap[-1]), xytext=(0, 40), textcoords="offset points",
                ha="right", va="bottom", arrowprops={"arrowstyle": "-|>", "lw": 0.8})
    ax = axes[1]
    span = float(np.ptp(x)) if x.size > 1 else 1.0
    grid = np.linspace(x.min() - 0.1 * span, x.max() + 0.1 * span, 801)
    for xi in x:
        ax.axvline(xi, color="gray", lw=0.5, ls=":")
    ax.plot(grid, spline.predict(grid), color="C0", lw=2, label="optimal ReLU network")
    k = np.asarray(spline.knots, dtype=float)
    ax.plot(k, spline.predict(k), "v", ms=9, color="C1", mec="k", zorder=4,
            label="its kinks: on data inputs")
    ax.plot(x, y, "ko", ms=5, zorder=5, label="data")
    ax.set_xlabel("input $x$")
    ax.set_ylabel("output $f(x)$")
    ax.set_title("Structure: the optimum is a linear spline")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.17), ncols=2, frameon=False)
    return fig
