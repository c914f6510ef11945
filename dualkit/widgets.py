"""Explorers: a figure of :mod:`dualkit.plot` that follows a slider.

Every explorer works in two places with the same grid of slider values:

* **live** (Jupyter, Colab): an ``ipywidgets`` slider; each move redraws the figure;
* **static** (the online book, or ``static=True``): the figure is drawn at build time for every
  value of the grid (at least 20 per slider) and embedded as PNG frames, with an HTML range input
  and a few lines of JavaScript that show the frame of the chosen value. Nothing is loaded from
  a server or a CDN, and no kernel is needed.

The book's Sphinx extension sets ``DUALKIT_STATIC_EXPLORERS=1`` for the chapters it executes, so
the same chapter cell gives the static explorer on the web page and the live one in a notebook.

Introduced in :ref:`ch-two-layer-linear`.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import itertools
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import numpy as np
from numpy.typing import ArrayLike

from . import plot
from ._validation import as_matrix
from .problems import TwoLayerLinear
from .problems.deep_linear import formulation_norms

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["Explorer", "Slider", "beta_explorer", "depth_explorer", "svt_explorer",
           "spline_explorer", "rank_one_explorer", "relu_explorer"]

#: resolution of the static frames: 1.6 x the 100-dpi size at which a figure is shown, so that a
#: frame's natural width is at least its displayed width in the book's column
FRAME_DPI = 160
#: colours kept per frame (the figures are line drawings: 64 colours are indistinguishable
#: from the full image and make each frame about four times smaller)
FRAME_COLOURS = 64

#: the static explorer's script: on every move of a range input, show the frame of the chosen
#: values and update the readouts (plain ES5, no library)
_SCRIPT = (
    "(function(){var r=document.getElementById('__ID__');if(!r)return;"
    "var ins=r.querySelectorAll('input[type=range]');"
    "function upd(){var k=[];for(var i=0;i<ins.length;i++){k.push(ins[i].value);"
    "ins[i].nextElementSibling.textContent=JSON.parse(ins[i].dataset.labels)[ins[i].value];}"
    "k=k.join('-');var im=r.querySelectorAll('img[data-key]');"
    "for(var j=0;j<im.length;j++){im[j].style.display=(im[j].dataset.key===k)?'':'none';}}"
    "for(var i=0;i<ins.length;i++){ins[i].addEventListener('input',upd);}})();"
)


@dataclass
class Slider:
    """One slider of an :class:`Explorer`: a name (the keyword of the drawing function), the label
    shown next to it, the grid of values, the index of the initial value and a format."""

    name: str
    label: str
    values: list[Any]
    start: int = 0
    fmt: str = ".3g"

    def text(self, v: Any) -> str:
        """The label of value ``v``: ``format(v, fmt)``."""
        return format(v, self.fmt)


class Explorer:
    """A figure that follows one or more sliders.

    Displayed as the last expression of a cell it shows the live or the static explorer. Use
    :meth:`figure` for one frame, :meth:`widget` for the ipywidgets object and :meth:`html` for
    the static page.

    Parameters
    ----------
    draw : callable
        ``draw(fig, **values) -> Figure``: draws the figure for one value of every slider; ``fig``
        is None for a new figure, or the previous frame's figure to draw into again (its axes are
        cleared first) when ``reuse=True``.
    sliders : list of Slider
    static : bool or None
        None (default) reads ``DUALKIT_STATIC_EXPLORERS`` (set to 1 by the book build).
    alt : str
        What the figure shows, for its alternative text (the slider values are appended).
    reuse : bool
        Draw every static frame into the first frame's figure, with its layout frozen (several
        times faster than a new figure per frame; only for figures whose axes do not change).
    """

    def __init__(self, draw: Callable, sliders: list[Slider], static: bool | None = None,
                 reuse: bool = False, alt: str = "Figure"):
        if not sliders:
            raise ValueError("an explorer needs at least one slider")
        for s in sliders:
            if not len(s.values) or not 0 <= s.start < len(s.values):
                raise ValueError(f"slider {s.name!r}: start must index one of its values")
        self._draw, self.sliders, self.reuse, self.alt = draw, list(sliders), reuse, alt
        self.static = os.environ.get("DUALKIT_STATIC_EXPLORERS") == "1" if static is None else static

    @property
    def start(self) -> dict[str, Any]:
        """The initial value of every slider."""
        return {s.name: s.values[s.start] for s in self.sliders}

    def figure(self, **values: Any) -> Figure:
        """The figure at the given slider values (the others at their initial values)."""
        unknown = set(values) - {s.name for s in self.sliders}
        if unknown:
            raise ValueError(f"unknown slider(s) {sorted(unknown)}; the sliders are "
                             f"{[s.name for s in self.sliders]}")
        return self._draw(None, **{**self.start, **values})

    def widget(self) -> Any:
        """The live explorer: an ``ipywidgets.interactive`` with one selection slider per slider
        (ipywidgets 7.6 or later: Colab's 7.x and Jupyter's 8.x; tests/test_packaging.py runs it
        under 7.8.5 in a kernel)."""
        import ipywidgets as widgets

        def show(**values):
            fig = self._draw(None, **values)
            plt.show()
            return fig

        controls = {
            s.name: widgets.SelectionSlider(
                options=[(s.text(v), v) for v in s.values], value=s.values[s.start],
                description=s.label, continuous_update=False,
                layout=widgets.Layout(width="95%"))
            for s in self.sliders
        }
        return widgets.interactive(show, **controls)

    def frames(self) -> list[tuple[tuple[int, ...], bytes]]:
        """Every frame of the static explorer: (slider indices, PNG bytes)."""
        from PIL import Image

        out, fig = [], None
        for idx in itertools.product(*(range(len(s.values)) for s in self.sliders)):
            values = {s.name: s.values[i] for s, i in zip(self.sliders, idx, strict=True)}
            if fig is not None and self.reuse:
                for ax in fig.axes:
                    ax.cla()
                if fig._suptitle is not None:
                    fig._suptitle.set_text("")
                self._draw(fig, **values)
            else:
                if fig is not None:
                    plt.close(fig)
                fig = self._draw(None, **values)
            fig.set_dpi(FRAME_DPI)
            fig.canvas.draw()
            if self.reuse:
                fig.set_layout_engine("none")  # keep the first frame's layout: no jumping axes
            size = fig.canvas.get_width_height(physical=True)
            img = Image.frombuffer("RGBA", size, fig.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
            img = img.convert("RGB").quantize(colors=FRAME_COLOURS, method=Image.Quantize.FASTOCTREE)
            png = io.BytesIO()
            img.save(png, format="png", compress_level=9)
            out.append((idx, png.getvalue()))
        if fig is not None:
            width = fig.get_figwidth() * 100
            plt.close(fig)
            self._width = width
        return out

    def html(self) -> str:
        """The static explorer: PNG frames, range inputs and a self-contained script."""
        frames = self.frames()
        uid = "dk-explorer-" + hashlib.sha256(b"".join(p for _, p in frames)).hexdigest()[:10]
        start = tuple(s.start for s in self.sliders)
        controls = []
        for s in self.sliders:
            labels = html.escape(json.dumps([s.text(v) for v in s.values]))
            controls.append(
                f'<label class="dk-explorer-control">{html.escape(s.label)} '
                f'<input type="range" name="{s.name}" min="0" max="{len(s.values) - 1}" step="1" '
                f'value="{s.start}" data-labels="{labels}" aria-label="{html.escape(s.label)}">'
                f'<output>{html.escape(s.text(s.values[s.start]))}</output></label>')
        imgs = []
        for idx, png in frames:
            key = "-".join(map(str, idx))
            desc = self.alt + " at " + ", ".join(f"{s.label} = {s.text(s.values[i])}"
                                                 for s, i in zip(self.sliders, idx, strict=True))
            hidden = "" if idx == start else "display:none;"
            imgs.append(
                f'<img data-key="{key}" alt="{html.escape(desc)}" width="{self._width:.0f}" '
                f'style="{hidden}max-width:100%;height:auto" '
                f'src="data:image/png;base64,{base64.b64encode(png).decode()}">')
        script = _SCRIPT.replace("__ID__", uid)
        return (f'<div class="dk-explorer" id="{uid}"><div class="dk-explorer-controls">'
                + "".join(controls) + '</div><div class="dk-explorer-frames">' + "".join(imgs)
                + f"</div><script>{script}</script></div>")

    def _ipython_display_(self):
        from IPython.display import HTML, display

        display(HTML(self.html()) if self.static else self.widget())

    def __repr__(self) -> str:
        sl = ", ".join(f"{s.name}: {len(s.values)} values" for s in self.sliders)
        return f"Explorer({sl}, static={self.static})"


def _log_grid(lo: float, hi: float, n: int = 25) -> list[float]:
    return [float(v) for v in np.geomspace(lo, hi, n)]


def _nearest(values, v) -> int:
    return int(np.argmin(np.abs(np.log(np.asarray(values)) - np.log(v))))


def beta_explorer(X: ArrayLike, y: ArrayLike, betas: ArrayLike | None = None,
                  static: bool | None = None) -> Explorer:
    r"""A slider over :math:`\beta` (25 values, log scale, from :math:`10^{-2}\beta_{\max}` to
    :math:`1.5\,\beta_{\max}`) that redraws :func:`dualkit.plot.beta_path` with the chosen value.

    ``betas`` is the path drawn in every frame (default: 120 values up to
    :math:`1.5\beta_{\max}`). Display the returned :class:`Explorer` as the last expression of a
    cell.
    """
    prob = TwoLayerLinear(X, y, beta=1.0)
    bmax = prob.beta_max
    if bmax == 0.0:
        raise ValueError(
            "X^T y = 0: the optimal network is zero for every beta, so there is nothing to "
            "explore; check that y is not zero or orthogonal to the columns of X."
        )
    if betas is None:
        betas = np.linspace(0.0, 1.5 * bmax, 121)[1:]  # beta=0 is interpolation
    grid = _log_grid(1e-2 * bmax, 1.5 * bmax)

    def draw(fig, beta):
        return plot.beta_path(prob, betas=betas, beta=float(beta),
                              axes=None if fig is None else fig.axes)

    return Explorer(draw, [Slider("beta", "β", grid, _nearest(grid, 0.5 * bmax))], static,
                    reuse=True, alt="Size and value of the optimal two-layer linear network along β")


def depth_explorer(X: ArrayLike, y: ArrayLike, t: float = 1.0, depths: Iterable[int] = range(2, 9),
                   static: bool | None = None) -> Explorer:
    r"""A slider over the depth :math:`L` (2 to 8) that redraws
    :func:`dualkit.plot.formulations_path`: the norm of the global optimum along :math:`\beta` for
    the paper's formulation (P2) and for weight decay on every layer, at that depth.
    """
    bmax = TwoLayerLinear.beta_max_for(X, y)
    if bmax == 0.0:
        raise ValueError(
            "X^T y = 0: the optimal network is zero for every beta and depth; check that y is not "
            "zero or orthogonal to the columns of X."
        )
    depths = [int(d) for d in depths]
    if not depths or min(depths) < 2:
        raise ValueError(f"depths must be integers >= 2, got {depths}")

    def draw(fig, depth):
        return plot.formulations_path(formulation_norms(X, y, depth=int(depth), t=t))

    return Explorer(draw, [Slider("depth", "depth L", depths, min(2, len(depths) - 1), "d")],
                    static, alt="Norm of the deep linear optimum along β, two formulations")


def svt_explorer(X: ArrayLike, Y: ArrayLike, static: bool | None = None) -> Explorer:
    r"""A slider over :math:`\beta` (25 values, log scale, from :math:`10^{-2}\sigma_K` to
    :math:`1.2\,\sigma_1` of :math:`X^\top Y`) that redraws :func:`dualkit.plot.svt_spectrum`."""
    X, Y = as_matrix(X, "X"), as_matrix(Y, "Y")
    if Y.shape[0] != X.shape[0]:
        raise ValueError(f"Y has {Y.shape[0]} rows but X has {X.shape[0]}; one row per sample.")
    sig = np.linalg.svd(X.T @ Y, compute_uv=False)
    if sig[0] == 0.0:
        raise ValueError("X^T Y = 0: the optimum is zero for every beta; nothing to explore.")
    grid = _log_grid(max(sig[-1], 1e-3 * sig[0]) / 100, 1.2 * sig[0])

    def draw(fig, beta):
        return plot.svt_spectrum(X, Y, float(beta), ax=None if fig is None else fig.axes[0])

    return Explorer(draw, [Slider("beta", "β", grid, _nearest(grid, float(np.median(sig))))],
                    static, reuse=True, alt="Singular values of XᵀY and of the soft-thresholded optimum")


def spline_explorer(x: ArrayLike, y: ArrayLike, skip: bool = False,
                    static: bool | None = None) -> Explorer:
    r"""A slider over :math:`\beta` (25 values, log scale, :math:`10^{-5}` to
    :math:`2\beta_{\max}`) that redraws :func:`dualkit.plot.spline_fit` with the optimal 1-D fit,
    its knots and the linear spline.

    Introduced in :ref:`ch-splines-1d`.
    """
    from .problems.relu_1d import ReLU1D
    from .splines import linear_spline

    bmax = ReLU1D.beta_max_for(x, y, skip=skip)
    spline = linear_spline(x, y)
    grid = _log_grid(1e-5 * bmax, 2 * bmax)

    def draw(fig, beta):
        sol = ReLU1D(x, y, float(beta), skip=skip).solve()
        return plot.spline_fit(x, y, {"linear spline": spline, "optimal network": sol.predict},
                               knots={"optimal network": sol.knots},
                               ax=None if fig is None else fig.axes[0], legend="below",
                               title=f"$\\beta$ = {beta:.3g}: {len(sol.knots)} knots, "
                                     f"$P^*$ = {sol.value:.4g}")

    return Explorer(draw, [Slider("beta", "β", grid, _nearest(grid, 1e-2 * bmax))], static,
                    reuse=True, alt="Optimal 1-D network fit, its knots and the linear spline")


def rank_one_explorer(X: ArrayLike, y: ArrayLike, depth: int = 4, t: float = 1.0,
                      static: bool | None = None) -> Explorer:
    r"""A slider over :math:`\beta` (25 values, log scale, :math:`10^{-4}\beta_{\max}` to
    :math:`2\beta_{\max}`) for rank-one data that redraws :func:`dualkit.plot.rank_one_fit`: the
    optimal fit :math:`\kappa^\star c` against the targets, as a function of :math:`c`, and with
    the bias of :ref:`app-rank-one-bias` a linear spline in :math:`c` with its kinks. The fit depends on
    :math:`\beta` and :math:`t` only through :math:`\beta/t^{L-2}`.

    Introduced in :ref:`ch-rank-one-relu`.
    """
    from .problems.rank_one_relu import RankOneReLU

    bmax = RankOneReLU.beta_max_for(X, y, depth=depth, t=t)
    grid = _log_grid(1e-4 * bmax, 2 * bmax)

    def draw(fig, beta):
        return plot.rank_one_fit(X, y, float(beta), depth=depth, t=t,
                                 ax=None if fig is None else fig.axes[0])

    return Explorer(draw, [Slider("beta", "β", grid, _nearest(grid, 0.05 * bmax))], static,
                    reuse=True, alt="Optimal deep ReLU fit on rank-one data, with and without bias")


def relu_explorer(X: ArrayLike, y: ArrayLike, bias: str = "free",
                  static: bool | None = None) -> Explorer:
    r"""A slider over :math:`\beta` (20 values, log scale, :math:`10^{-3}\beta_{\max}` to
    :math:`1.2\beta_{\max}`) that solves the two-layer ReLU convex program on 2-D data and redraws
    the optimal network's neurons with :func:`dualkit.plot.relu_neurons`.

    Introduced in :ref:`ch-two-layer-relu`.
    """
    from .problems.two_layer_relu import TwoLayerReLU

    bmax = TwoLayerReLU.beta_max_for(X, y, bias=bias)
    if not bmax > 0:
        raise ValueError("the optimal network is zero for every beta (beta_max = 0: y is constant "
                         "with bias='free', or zero); nothing to explore.")
    grid = _log_grid(1e-3 * bmax, 1.2 * bmax, 20)

    def draw(fig, beta):
        sol = TwoLayerReLU(X, y, float(beta), bias=bias).solve()
        return plot.relu_neurons(X, y, {f"β = {beta:.3g}, P* = {sol.value:.4g} "
                                        f"(certified: {sol.certified})": sol.weights})

    return Explorer(draw, [Slider("beta", "β", grid, _nearest(grid, 1e-2 * bmax))], static,
                    alt="Neurons of the optimal two-layer ReLU network on 2-D data")
