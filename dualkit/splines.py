r"""Linear splines and the functions that 1-D ReLU networks compute (:ref:`app-ramp-program`).

A two-layer ReLU network with biases on scalar inputs,
:math:`f(x)=\sum_jw_{2,j}(w_{1,j}x+b_j)_++b_0`, is a continuous piecewise-linear function: a
:class:`PiecewiseLinear`. Savarese et al. showed that the least weight decay
:math:`\min\tfrac12\sum_j(w_{1,j}^2+w_{2,j}^2)` that represents :math:`f` is

.. math:: R(f)=\max\Big(\int|f''(x)|\,dx,\ |f'(-\infty)+f'(+\infty)|\Big),

and hence that a minimum-norm interpolant of 1-D data is a linear spline.

Introduced in :ref:`ch-splines-1d`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import numpy as np
from numpy.typing import ArrayLike

from ._validation import as_vector, check_positive_float
from .solvers.ramp import ramp_interpolation

if TYPE_CHECKING:
    from .nets import DeepReLUNet, ReLUWeights

__all__ = ["PiecewiseLinear", "linear_spline", "spline_cost", "network_function", "kinks",
           "bends", "sorted_points", "ramp_network"]


@dataclass
class PiecewiseLinear:
    r""":math:`f(x)=\text{offset}+\text{slope\_left}\cdot x+\sum_k\text{kinks}_k\,(x-\text{knots}_k)_+`.

    Attributes
    ----------
    knots : ndarray
        Sorted kink locations.
    kinks : ndarray
        Slope change at each knot (:math:`f'` jumps by ``kinks[k]`` at ``knots[k]``).
    slope_left : float
        :math:`f'(-\infty)`.
    offset : float
        Value of the affine part at 0.
    """

    knots: np.ndarray
    kinks: np.ndarray
    slope_left: float
    offset: float

    def __call__(self, x: ArrayLike) -> np.ndarray:
        r"""Evaluate in O((n + k) log k), without an n-by-k matrix.

        The values at the knots are accumulated outward from 0 and each point is evaluated from
        its nearer neighbouring knot, so that knots far away (the kink of a dead neuron with
        :math:`s_j\approx0` sits at :math:`-b_j/s_j\approx\pm10^{100}`) cost no precision."""
        x = np.asarray(x, dtype=float)
        if self.knots.size == 0:
            return self.offset + self.slope_left * x
        k, slopes = self.knots, self.slopes
        K = k.size
        pos = int(np.searchsorted(k, 0.0, side="right"))          # knots k[:pos] <= 0 < k[pos:]
        f0 = self.offset + float(self.kinks[:pos] @ (-k[:pos]))
        v = np.empty(K)
        if pos < K:
            v[pos:] = f0 + np.cumsum(slopes[pos:K] * np.diff(np.concatenate([[0.0], k[pos:]])))
        if pos > 0:
            steps = slopes[1:pos + 1] * np.diff(np.concatenate([k[:pos], [0.0]]))
            v[:pos] = f0 - np.cumsum(steps[::-1])[::-1]
        idx = np.searchsorted(k, x, side="right")
        left, right = np.maximum(idx - 1, 0), np.minimum(idx, K - 1)
        use_left = (idx >= 1) & ((idx >= K) | (x - k[left] <= k[right] - x))
        from_left = v[left] + slopes[idx] * (x - k[left])
        from_right = v[right] - slopes[idx] * (k[right] - x)
        return np.where(use_left, from_left, from_right)

    @property
    def slope_right(self) -> float:
        r""":math:`f'(+\infty)`."""
        return float(self.slope_left + self.kinks.sum())

    @property
    def slopes(self) -> np.ndarray:
        """Slopes on the ``len(knots) + 1`` pieces, left to right."""
        return self.slope_left + np.concatenate([[0.0], np.cumsum(self.kinks)])

    @property
    def total_variation(self) -> float:
        r""":math:`\int|f''|=\sum_k|\text{kinks}_k|`."""
        return float(np.abs(self.kinks).sum())

    @property
    def savarese_norm(self) -> float:
        r"""Savarese et al.'s :math:`R(f)=\max(\int|f''|,\ |f'(-\infty)+f'(+\infty)|)`, the least
        :math:`\tfrac12\sum_j(w_{1,j}^2+w_{2,j}^2)` of a two-layer network (biases free) equal
        to :math:`f`."""
        return max(self.total_variation, abs(self.slope_left + self.slope_right))

    def merged(self, tol: float = 4 * np.finfo(float).eps) -> PiecewiseLinear:
        """The same function with coincident knots merged (within ``tol`` relative to the knots'
        size: rounding of ``-b/w``; relative at every scale, so that knots 1e-150 apart from
        inputs of that size stay apart) and exactly cancelling kinks dropped."""
        if self.knots.size == 0:
            return self
        scale = np.maximum(np.maximum(np.abs(self.knots[1:]), np.abs(self.knots[:-1])),
                           np.finfo(float).tiny)
        groups = np.concatenate([[0], np.cumsum(np.diff(self.knots) > tol * scale)])
        counts = np.bincount(groups)
        knots = np.bincount(groups, weights=self.knots) / counts
        kinks = np.bincount(groups, weights=self.kinks)
        keep = kinks != 0
        return PiecewiseLinear(knots[keep], kinks[keep], self.slope_left, self.offset)


def sorted_points(x: ArrayLike, y: ArrayLike, name_x: str = "x",
                  name_y: str = "y") -> tuple[np.ndarray, np.ndarray]:
    """Validate 1-D data and return it sorted by ``x``."""
    x = as_vector(x, name_x)
    y = as_vector(y, name_y, n=x.size, n_name=name_x)
    order = np.argsort(x, kind="stable")
    return x[order], y[order]


def linear_spline(x: ArrayLike, y: ArrayLike) -> PiecewiseLinear:
    r"""The linear-spline interpolant of distinct points (``np.interp`` inside the data range),
    extended linearly with the end slopes :math:`s_1`, :math:`s_{n-1}` outside it.

    Examples
    --------
    >>> f = linear_spline([0.0, 1.0, 2.0], [0.0, 1.0, 0.0])
    >>> f(np.array([0.5, 1.0, 3.0]))
    array([ 0.5,  1. , -1. ])
    >>> f.knots, f.kinks, f.total_variation
    (array([1.]), array([-2.]), 2.0)

    Introduced in :ref:`ch-splines-1d`.
    """
    x, y = sorted_points(x, y)
    if np.any(np.diff(x) <= 0):
        raise ValueError("x must have distinct values to interpolate; average repeated inputs.")
    if x.size == 1:
        return PiecewiseLinear(np.zeros(0), np.zeros(0), 0.0, float(y[0]))
    s = np.diff(y) / np.diff(x)
    return PiecewiseLinear(x[1:-1].copy(), np.diff(s), float(s[0]), float(y[0] - s[0] * x[0]))


def spline_cost(x: ArrayLike, y: ArrayLike, skip: bool = False) -> float:
    r"""Least weight decay :math:`\min\tfrac12\sum_j(w_{1,j}^2+w_{2,j}^2)` of a two-layer ReLU
    network with free biases that interpolates the points (:ref:`app-spline-cost`, :ref:`app-biases-skip`).

    With a skip term it is the interior total variation :math:`\sum_{i=2}^{n-1}|s_i-s_{i-1}|`
    of the spline's slopes; without, Savarese's :math:`R` minimized over the extrapolation
    slopes, :math:`\mathrm{TV}+\operatorname{dist}(s_1,[-P,N])` with :math:`P`, :math:`N` the
    sums of the positive and negative slope changes.

    Examples
    --------
    The slopes of the spline through these points are 1 and 2:

    >>> x, y = [0.0, 1.0, 2.0], [0.0, 1.0, 3.0]
    >>> spline_cost(x, y, skip=True)    # |2 - 1|
    1.0
    >>> spline_cost(x, y)               # TV + dist(s_1, [-P, N]) = 1 + dist(1, [-1, 0])
    2.0

    Introduced in :ref:`ch-splines-1d`.
    """
    x, y = sorted_points(x, y)
    if np.any(np.diff(x) <= 0):
        raise ValueError("x must have distinct values to interpolate; average repeated inputs.")
    return ramp_interpolation(x, y, skip=bool(skip)).cost


def ramp_network(f: PiecewiseLinear) -> ReLUWeights:
    r"""A two-layer ReLU network (biases free, an output bias) that computes ``f`` with weight
    decay :math:`\tfrac12\sum_j(w_{1,j}^2+w_{2,j}^2)=\int|f''|` (the total variation of the slope).

    One neuron per knot and orientation: the slope change :math:`\delta_k` at knot :math:`k` is
    split into a ramp rising right, :math:`\alpha_k(x-k)_+`, and one rising left,
    :math:`\gamma_k(k-x)_+`, both of the sign of :math:`\delta_k`, with
    :math:`\sum_k\gamma_k=-f'(-\infty)`. Such a split exists iff :math:`f'(-\infty)` lies in
    :math:`[-S_+,S_-]`, with :math:`S_+` the sum of the positive slope changes and :math:`S_-` the
    magnitude of the sum of the negative ones; otherwise no network reaches the cost
    :math:`\int|f''|` and a ``ValueError`` is raised.

    Returns
    -------
    ReLUWeights
        Weights ``[w1 (1 x m), w2]`` with biases ``[b, b0]``.

    Introduced in :ref:`ch-splines-1d`.
    """
    from .weights import ReLUWeights

    d, k = np.asarray(f.kinks, dtype=float), np.asarray(f.knots, dtype=float)
    s_plus, s_minus = float(d[d > 0].sum()), float(-d[d < 0].sum())
    need = -float(f.slope_left)                                   # sum of the gammas
    tol = 8 * np.finfo(float).eps * max(s_plus + s_minus, abs(need), 1.0)
    if not -s_minus - tol <= need <= s_plus + tol:
        raise ValueError(f"the left slope {f.slope_left:.6g} is outside [-S+, S-] = "
                         f"[{-s_plus:.6g}, {s_minus:.6g}]: no network computes f at cost TV(f').")
    if need > 0 and s_plus > 0:
        gamma = np.where(d > 0, d, 0.0) * min(need / s_plus, 1.0)
    elif need < 0 and s_minus > 0:
        gamma = np.where(d < 0, d, 0.0) * min(-need / s_minus, 1.0)
    else:
        gamma = np.zeros_like(d)
    alpha = d - gamma
    z = np.concatenate([alpha, gamma])
    knots = np.concatenate([k, k])
    orient = np.concatenate([np.ones(k.size), -np.ones(k.size)])
    keep = z != 0
    z, knots, orient = z[keep], knots[keep], orient[keep]
    r = np.sqrt(np.abs(z))
    # sum alpha (x-k)_+ + sum gamma (k-x)_+ = sum d (x-k)_+ + f'(-inf) x + sum gamma k
    b0 = float(f.offset) - float(gamma @ k)
    return ReLUWeights([(orient * r)[None, :], np.sign(z) * r], [-orient * r * knots, b0])


def _relu_weights(weights: ReLUWeights | DeepReLUNet) -> ReLUWeights:
    """The :class:`~dualkit.nets.ReLUWeights` of a network (or the weights themselves)."""
    if hasattr(weights, "weights") and callable(weights.weights):
        return weights.weights()
    return cast("ReLUWeights", weights)


def network_function(weights: ReLUWeights | DeepReLUNet) -> PiecewiseLinear:
    r"""The piecewise-linear function computed by a 1-D ReLU network with a bias in layer
    :math:`L-1` only (depth 2, or the architecture of :ref:`app-deep-1d` on inputs :math:`x\ge0`).

    Neuron :math:`j` of layer :math:`L-1` computes :math:`w_j(s_jx+b_j)_+` with :math:`s_j`
    its slope through the bias-free earlier layers (:math:`h(x)=x\,h(1)` for :math:`x\ge0` by
    positive homogeneity); its kink is at :math:`-b_j/s_j`. Deeper networks are exact only for
    :math:`x\ge0`.

    Introduced in :ref:`ch-splines-1d`.
    """
    weights = _relu_weights(weights)
    biases = getattr(weights, "biases", None)
    if biases is None or len(weights) < 2 or np.shape(weights[0])[0] != 1:
        raise ValueError("weights must be the ReLUWeights of a 1-D ReLU network (e.g. sol.weights of "
                         "ReLU1D); got " + type(weights).__name__ + ".")
    if any(b is not None for b in biases[:-2]):
        raise ValueError("network_function covers networks with a bias in layer L-1 only "
                         "(biases in earlier layers create kinks at reflected points; derivations appendix, "
                         "app-deep-1d).")
    h = np.ones(1)
    for W in weights[:-2]:
        h = np.maximum(h @ W, 0.0)
    s = h @ weights[-2]
    b = biases[-2] if biases[-2] is not None else np.zeros_like(s)
    w = np.asarray(weights[-1])
    b0 = 0.0 if biases[-1] is None else float(biases[-1])
    c = 0.0 if weights.skip is None else weights.skip
    slope_left, offset = c, b0
    active = (s != 0) & (w != 0)
    # flat neurons (s = 0) add the constant w (b)_+
    offset += float((w[~active] * np.maximum(b[~active], 0.0)).sum())
    s, b, w = s[active], b[active], w[active]
    k = -b / s
    amp = w * np.abs(s)           # kink size at k
    neg = s < 0                   # w |s| (k - x)_+ = w |s| ((x - k)_+ - (x - k))
    slope_left -= float(amp[neg].sum())
    offset += float((amp[neg] * k[neg]).sum())
    order = np.argsort(k, kind="stable")  # timsort: fast on the presorted runs of a solution
    return PiecewiseLinear(k[order], amp[order], float(slope_left), float(offset)).merged()


def kinks(weights: ReLUWeights | DeepReLUNet, rtol: float = 1e-3, lo: float | None = None,
          hi: float | None = None) -> np.ndarray:
    r"""Locations of the active kinks of a 1-D ReLU network: knots of :func:`network_function`
    whose slope change is above ``rtol`` times the largest, optionally only inside ``[lo, hi]``.

    Introduced in :ref:`ch-splines-1d`.
    """
    rtol = check_positive_float(rtol, "rtol")
    f = network_function(weights)
    big = np.abs(f.kinks).max(initial=0.0)
    keep = np.abs(f.kinks) > rtol * big
    if lo is not None:
        keep &= f.knots >= lo
    if hi is not None:
        keep &= f.knots <= hi
    return f.knots[keep]


def bends(weights: ReLUWeights | DeepReLUNet, lo: float, hi: float, top: int = 3,
          resolution: int = 4001) -> np.ndarray:
    r"""Where any 1-D ReLU network (biases in every layer allowed) bends most on ``[lo, hi]``:
    the ``top`` grid points with the largest :math:`|\Delta^2 f|`, at least 2% of the range
    apart. For networks outside :func:`network_function`'s class, e.g. the standard deep
    networks of the :ref:`app-deep-1d` caveat.

    Introduced in :ref:`ch-splines-1d`.
    """
    weights = _relu_weights(weights)
    g = np.linspace(lo, hi, resolution)
    curv = np.abs(np.diff(weights.forward(g[:, None]), 2))
    order = np.argsort(curv)[::-1]
    picked: list[float] = []
    for i in order:
        if all(abs(g[i + 1] - p) > 0.02 * (hi - lo) for p in picked):
            picked.append(g[i + 1])
        if len(picked) == top:
            break
    return np.sort(np.array(picked))
