r"""Diagnostics of layer weights: singular values, rank, alignment, balance, duality gap.

Notation (:ref:`app-deep-structure`): the SVD of a layer is :math:`W_l=\sum_k\sigma_{l,k}p_{l,k}q_{l,k}^\top`.
A layer is *rank one* when :math:`\sigma_{l,2}/\sigma_{l,1}` is tiny, and consecutive layers are
*aligned* when :math:`|\langle q_{l,1},p_{l+1,1}\rangle|=1`.

Introduced in :ref:`ch-two-layer-linear`.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from ._validation import _as_float_array, as_vector, check_positive_int

if TYPE_CHECKING:
    from .book import Table
    from .problems import Solution, TwoLayerLinear, TwoLayerReLU

__all__ = [
    "singular_values",
    "numerical_rank",
    "rank_one_ratio",
    "top_singular_vectors",
    "alignment",
    "layer_alignment",
    "balance",
    "relative_gap",
    "alignment_matrix",
    "layer_summary",
    "layer_report",
    "layer_table",
    "extreme_point_check",
    "ExtremePointCheck",
]


def _as_layer(W, name: str = "W") -> np.ndarray:
    W = _as_float_array(W, name)
    if W.ndim == 1:
        W = W[:, None]
    if W.ndim != 2:
        raise ValueError(f"{name} must be a vector or a matrix; got shape {W.shape}.")
    return W


def singular_values(W: ArrayLike) -> np.ndarray:
    r"""Singular values :math:`\sigma_1\ge\sigma_2\ge\dots` of a layer (a vector counts as a column)."""
    return np.linalg.svd(_as_layer(W), compute_uv=False)


def numerical_rank(W: ArrayLike, rtol: float = 1e-3, atol: float = 0.0) -> int:
    r"""Number of singular values with :math:`\sigma_k>\mathrm{rtol}\cdot\sigma_1`; 0 when
    :math:`\sigma_1\le` ``atol`` (a layer that has vanished).

    Examples
    --------
    >>> W = np.outer([1.0, 2.0], [3.0, 4.0, 5.0])
    >>> numerical_rank(W), rank_one_ratio(W) < 1e-12
    (1, True)
    """
    s = singular_values(W)
    if s[0] <= atol or s[0] == 0:
        return 0
    return int(np.sum(s > rtol * s[0]))


def rank_one_ratio(W: ArrayLike) -> float:
    r""":math:`\sigma_2/\sigma_1` of a layer: 0 for an exactly rank-one layer (and for a vector)."""
    s = singular_values(W)
    if len(s) < 2 or s[0] == 0:
        return 0.0
    return float(s[1] / s[0])


def top_singular_vectors(W: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    r"""The top left and right singular vectors :math:`(p_1, q_1)` of a layer."""
    U, _, Vt = np.linalg.svd(_as_layer(W), full_matrices=False)
    return U[:, 0], Vt[0]


def alignment(a: ArrayLike, b: ArrayLike) -> float:
    r"""Absolute cosine :math:`|\langle a,b\rangle|/(\|a\|\|b\|)` (0 if either vector is zero).

    Examples
    --------
    >>> alignment([1.0, 0.0], [-2.0, 0.0]), alignment([1.0, 0.0], [0.0, 3.0])
    (1.0, 0.0)
    """
    a = as_vector(a, "a")
    b = as_vector(b, "b")
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same length; got {a.shape} and {b.shape}.")
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0:
        return 0.0
    return float(min(1.0, abs(a @ b) / (na * nb)))


def layer_alignment(weights: Sequence[ArrayLike]) -> list[float]:
    r"""Alignment of consecutive layers, :math:`|\langle q_{l,1},p_{l+1,1}\rangle|` for each pair.

    For a vector last layer :math:`w_L` the last entry is :math:`|\langle q_{L-1,1},w_L\rangle|/\|w_L\|`.
    All entries equal 1 for the aligned rank-one optimum of the book's linear networks. An entry
    is NaN when either layer is zero (its singular vectors are then arbitrary).
    """
    layers = [_as_layer(W, f"weights[{i}]") for i, W in enumerate(weights)]
    out = []
    for i in range(len(layers) - 1):
        if not np.any(layers[i]) or not np.any(layers[i + 1]):
            out.append(float("nan"))
            continue
        _, q = top_singular_vectors(layers[i])
        p, _ = top_singular_vectors(layers[i + 1])
        if q.shape != p.shape:
            raise ValueError(
                f"weights[{i}] has {layers[i].shape[1]} columns but weights[{i + 1}] has "
                f"{layers[i + 1].shape[0]} rows; consecutive layers must chain."
            )
        out.append(alignment(q, p))
    return out


def balance(W1: ArrayLike, w2: ArrayLike) -> float:
    r"""Largest imbalance :math:`\max_j|\,\|w_{1,j}\|_2-\|w_2^{j}\|_2|` of the neurons of two layers.

    :math:`w_{1,j}` is the :math:`j`-th column of :math:`W_1` (incoming weights of neuron
    :math:`j`) and :math:`w_2^{j}` the :math:`j`-th row (or entry) of the next layer. Every optimum
    of weight-decay training has balance 0 (:ref:`app-rescaling`).

    Examples
    --------
    >>> balance(np.array([[3.0], [4.0]]), np.array([5.0]))   # |5 - 5|
    0.0
    """
    W1 = _as_layer(W1, "W1")
    W2 = _as_layer(w2, "w2")
    if W1.shape[1] != W2.shape[0]:
        raise ValueError(
            f"W1 has {W1.shape[1]} neurons (columns) but w2 has {W2.shape[0]} rows; "
            "they must match."
        )
    return float(np.max(np.abs(np.linalg.norm(W1, axis=0) - np.linalg.norm(W2, axis=1))))


def relative_gap(value: float, bound: float) -> float:
    r"""Relative gap :math:`(P-D)/|D|` of a primal value :math:`P` over a lower bound :math:`D`.

    An infeasible dual point has :math:`D=-\infty` and an infeasible network :math:`P=+\infty`:
    the gap is then ``inf``. NaN is refused.

    Examples
    --------
    >>> relative_gap(1.5, 1.0), relative_gap(1.0, -float("inf"))
    (0.5, inf)
    """
    for v, name in ((value, "value"), (bound, "bound")):
        if isinstance(v, (bool, str, bytes)) or not isinstance(v, (numbers.Real, np.ndarray)) \
                or np.size(v) != 1 or np.isnan(float(np.asarray(v, dtype=float).ravel()[0])):
            raise ValueError(f"{name} must be a real number (not NaN); got {v!r}.")
    value, bound = float(np.asarray(value, dtype=float).ravel()[0]), \
        float(np.asarray(bound, dtype=float).ravel()[0])
    if bound == np.inf:
        raise ValueError("bound must be a lower bound below +inf; got inf.")
    if bound == -np.inf or value == np.inf:
        return float("inf")
    return (value - bound) / max(abs(bound), np.finfo(float).tiny)


def alignment_matrix(W: ArrayLike, W_next: ArrayLike, k: int = 4) -> np.ndarray:
    r"""The :math:`k\times k` matrix :math:`|\langle q_{l,i},p_{l+1,j}\rangle|` between the right
    singular vectors of a layer and the left singular vectors of the next one.

    For aligned rank-one layers its (1, 1) entry is 1; the rest of its first row and column is 0
    (the other singular directions carry no weight). ``k`` is capped by the shared dimension.
    """
    A, B = _as_layer(W, "W"), _as_layer(W_next, "W_next")
    if A.shape[1] != B.shape[0]:
        raise ValueError(
            f"W has {A.shape[1]} columns but W_next has {B.shape[0]} rows; they must chain."
        )
    _, _, Vt = np.linalg.svd(A, full_matrices=False)
    U, _, _ = np.linalg.svd(B, full_matrices=False)
    k = min(check_positive_int(k, "k"), Vt.shape[0], U.shape[1])
    return np.abs(Vt[:k] @ U[:, :k])


def layer_summary(weights: Sequence[ArrayLike], direction: ArrayLike | None = None) -> dict[str, Any]:
    r"""Per-layer diagnostics of a list of layers :math:`[W_1,\dots,W_L]` as arrays.

    Returns a dict with ``singular_values`` (list of arrays), ``rank_one_ratio``
    (:math:`\sigma_2/\sigma_1`), ``rank`` (numerical, rtol 1e-3), ``frobenius``
    (:math:`\|W_l\|_F`), ``operator`` (:math:`\|W_l\|_2`), ``alignment`` (consecutive layers,
    :func:`layer_alignment`) and, when ``direction`` is given (e.g. :math:`X^\top\lambda^\star`),
    ``first_layer_alignment`` :math:`|\langle p_{1,1},\text{direction}\rangle|`.
    """
    layers = [_as_float_array(W, f"weights[{i}]") for i, W in enumerate(weights)]
    svals = [singular_values(W) for W in layers]
    out = {
        "singular_values": svals,
        "rank_one_ratio": np.array([rank_one_ratio(W) for W in layers]),
        "rank": np.array([numerical_rank(W) for W in layers]),
        "frobenius": np.array([float(np.linalg.norm(W)) for W in layers]),
        "operator": np.array([float(s[0]) for s in svals]),
        "alignment": np.array(layer_alignment(layers)),
    }
    if direction is not None:
        out["first_layer_alignment"] = alignment(top_singular_vectors(layers[0])[0], direction)
    return out


def layer_report(weights: Sequence[ArrayLike], direction: ArrayLike | None = None) -> str:
    r"""A text table with one row per layer: shape, :math:`\|W_l\|_F`, :math:`\|W_l\|_2`,
    :math:`\sigma_2/\sigma_1`, numerical rank, alignment with the next layer, and (for the first
    layer) :math:`|\langle p_{1,1}, \text{direction}\rangle|` when a direction is given.
    """
    summ = layer_summary(weights, direction)
    layers = [np.asarray(W) for W in weights]
    al = list(summ["alignment"]) + [float("nan")]
    head = f"{'layer':>5} {'shape':>10} {'||W||_F':>10} {'||W||_2':>10} {'s2/s1':>9} "
    head += f"{'rank':>4} {'align next':>10}"
    if direction is not None:
        head += f" {'align dir':>9}"
    rows = [head]
    for i, W in enumerate(layers):
        row = (
            f"{i + 1:>5} {str(W.shape):>10} {summ['frobenius'][i]:10.4g} {summ['operator'][i]:10.4g} "
            f"{summ['rank_one_ratio'][i]:9.2e} {summ['rank'][i]:>4} {al[i]:10.6f}"
        )
        if direction is not None and i == 0:
            row += f" {summ['first_layer_alignment']:9.6f}"
        rows.append(row)
    return "\n".join(rows)


def layer_table(weights: Sequence[ArrayLike], direction: ArrayLike | None = None) -> Table:
    r""":func:`layer_report` as a small table (:func:`dualkit.book.table`): one row per layer
    with its shape, :math:`\|W_l\|_F`, :math:`\|W_l\|_2`, :math:`\sigma_2/\sigma_1`, the numerical
    rank, the misalignment :math:`1-|\langle q_{l,1},p_{l+1,1}\rangle|` with the next layer and,
    when ``direction`` is given, :math:`1-|\langle p_{1,1},\text{direction}\rangle|` of the
    first layer. Misalignments are shown as ``1.2e-15``: the distance to perfect alignment is
    the number that carries the point, not ``0.999999999999999``.
    """
    from .book import table

    summ = layer_summary(weights, direction)
    layers = [np.asarray(W) for W in weights]
    al = list(summ["alignment"]) + [None]
    rows = []
    for i, W in enumerate(layers):
        row = {
            "layer": i + 1,
            "shape": "×".join(str(k) for k in W.shape),
            r"$\|W_l\|_F$": summ["frobenius"][i],
            r"$\|W_l\|_2$": summ["operator"][i],
            r"$\sigma_2/\sigma_1$": f"{summ['rank_one_ratio'][i]:.1e}",
            "rank": int(summ["rank"][i]),
            r"$1-|\langle q_l,p_{l+1}\rangle|$": "—" if al[i] is None else f"{1 - al[i]:.1e}",
        }
        if direction is not None:
            row[r"$1-|\langle p_1,\mathrm{dir}\rangle|$"] = (
                f"{1 - summ['first_layer_alignment']:.1e}" if i == 0 else "—")
        rows.append(row)
    return table(rows)


def _unit_grid(d: int, resolution: int) -> np.ndarray:
    """``resolution`` unit vectors of R^d: the circle for d = 2, seeded random ones otherwise."""
    if d == 2:
        th = np.linspace(0.0, 2 * np.pi, resolution)
        return np.stack([np.cos(th), np.sin(th)])
    V = np.random.default_rng(0).standard_normal((d, resolution))
    return V / np.linalg.norm(V, axis=0)


def _used_neurons(weights, rtol: float = 1e-8):
    W1 = _as_float_array(weights[0], "weights[0]")
    w2 = _as_float_array(weights[1], "weights[1]").reshape(W1.shape[1], -1)[:, 0]
    norms = np.linalg.norm(W1, axis=0)
    cost = norms * np.abs(w2)
    keep = np.flatnonzero(cost > rtol * max(float(cost.sum()), 1e-300))
    return W1[:, keep] / norms[keep], np.sign(w2[keep])


class ExtremePointCheck(dict):
    """The result of :func:`extreme_point_check`: a dict of numbers that displays as a small
    table (one row per check, with what the value should be) in Jupyter and in the book."""

    _ROWS = {
        "constraint": (r"dual constraint: $\|X^\top\lambda^\star\|_2/\beta-1$", "0: active", ".1e"),
        "distance": (r"neurons: $\max_j\|\mathrm{sign}(\alpha_j)\,u_j/\|u_j\|-u^\star\|_2$",
                     r"0: all at $u^\star$", ".1e"),
        "rel_gap": ("relative duality gap", "0: certified", ".1e"),
        "neurons": ("neurons that carry weight decay", "", "d"),
        "directions": ("their distinct directions", "", "d"),
        "reach": (r"$\max_j|\mathrm{sign}(\alpha_j)\,\lambda^{\star\top}(Xu_j)_+/\beta-1|$",
                  r"0: all reach $\beta$", ".1e"),
        "corner": (r"$\max_j\min_i|x_i^\top u_j|/\|x_i\|$", "0: corners of cones", ".1e"),
    }

    def table(self) -> Table:
        """The checks as a :func:`dualkit.book.table`."""
        from .book import table

        rows = []
        for key, value in self.items():
            if key == "u_star":
                continue
            if key == "grid_max":
                relu = "reach" in self
                label = (r"$\max_u|\lambda^{\star\top}(Xu)_+|/\beta$" if relu
                         else r"$\max_u\lambda^{\star\top}Xu/\beta$") + " on the grid"
                rows.append({"check": label, "value": f"{value:.9f}", "should be": "at most 1"})
                continue
            label, target, fmt = self._ROWS[key]
            rows.append({"check": label, "value": format(value, fmt), "should be": target})
        return table(rows)

    def _repr_html_(self) -> str:
        return self.table()._repr_html_()



def extreme_point_check(prob: TwoLayerLinear | TwoLayerReLU, sol: Solution | None = None,
                        weights: Sequence[ArrayLike] | None = None, resolution: int = 3601
                        ) -> ExtremePointCheck:
    r"""Check that the optimal neurons of a two-layer problem are the extreme points exposed by
    the dual solution (:ref:`sec-extreme-points`), as numbers.

    ``prob`` is a scalar-output :class:`~dualkit.TwoLayerLinear` or a
    :class:`~dualkit.TwoLayerReLU` with ``bias="none"``; ``sol`` defaults to ``prob.solve()``,
    ``weights`` (the neurons checked, e.g. a trained network's ``[W1, w2]``) to ``sol.weights``.
    Only neurons that carry more than :math:`10^{-8}` of the weight decay
    :math:`\sum_j\|u_j\|\,|\alpha_j|` count. ``resolution`` unit vectors (the circle for
    :math:`d=2`, seeded random directions otherwise) form the grid on which the dual constraint
    is evaluated.

    Returns an :class:`ExtremePointCheck`, a dict that displays as a table; for the linear
    network it holds:

    * ``constraint``: :math:`\|X^\top\lambda^\star\|_2/\beta-1` (0: the constraint is active);
    * ``u_star``: the exposed extreme point :math:`X^\top\lambda^\star/\|X^\top\lambda^\star\|_2`;
    * ``distance``: :math:`\max_j\|\operatorname{sign}(\alpha_j)u_j/\|u_j\|-u^\star\|_2`;
    * ``grid_max``: :math:`\max_u\lambda^{\star\top}Xu/\beta` over the grid (at most 1);

    and for the ReLU network:

    * ``rel_gap``: the certified relative duality gap of ``sol``;
    * ``neurons`` and ``directions``: the number of used neurons and of distinct unit
      directions among them;
    * ``reach``: :math:`\max_j|\operatorname{sign}(\alpha_j)\lambda^{\star\top}(Xu_j)_+/\beta-1|`
      (0: every neuron reaches the bound);
    * ``grid_max``: :math:`\max_u|\lambda^{\star\top}(Xu)_+|/\beta` over the grid (at most 1);
    * ``corner``: :math:`\max_j\min_i|x_i^\top u_j|/\|x_i\|` (0: every neuron's hyperplane
      passes through a data point, a corner of its activation cone).

    Introduced in :ref:`ch-preliminaries`.
    """
    from .problems import TwoLayerLinear, TwoLayerReLU

    resolution = check_positive_int(resolution, "resolution")
    if isinstance(prob, TwoLayerLinear):
        if prob.vector:
            raise ValueError("extreme_point_check takes a scalar-output TwoLayerLinear; "
                             f"got K={prob.K}.")
        relu = False
    elif isinstance(prob, TwoLayerReLU):
        if prob.bias != "none":
            raise ValueError("extreme_point_check takes a TwoLayerReLU with bias='none'; "
                             f"got bias={prob.bias!r}.")
        relu = True
    else:
        raise ValueError("extreme_point_check takes a TwoLayerLinear or TwoLayerReLU problem; "
                         f"got {type(prob).__name__}.")
    if prob.beta <= 0:
        raise ValueError("extreme_point_check needs beta > 0 (the dual constraint's radius).")
    sol = prob.solve() if sol is None else sol
    weights = sol.weights if weights is None else weights
    X, lam, beta = np.asarray(prob.X, dtype=float), np.asarray(sol.dual, dtype=float), prob.beta
    dirs, signs = _used_neurons(weights)
    grid = _unit_grid(X.shape[1], resolution)
    if not relu:
        g = X.T @ lam
        u_star = g / np.linalg.norm(g)
        dist = np.linalg.norm(dirs * signs - u_star[:, None], axis=0)
        return ExtremePointCheck({
            "constraint": float(np.linalg.norm(g) / beta - 1),
            "u_star": u_star,
            "distance": float(dist.max()) if dist.size else float("nan"),
            "grid_max": float((lam @ X @ grid).max() / beta),
        })
    reach = signs * (lam @ np.maximum(X @ dirs, 0.0)) / beta
    corner = (np.abs(X @ dirs) / np.linalg.norm(X, axis=1)[:, None]).min(axis=0)
    distinct: list[np.ndarray] = []
    for u in dirs.T:
        if all(np.linalg.norm(u - v) > 1e-6 for v in distinct):
            distinct.append(u)
    return ExtremePointCheck({
        "rel_gap": float(sol.rel_gap),
        "neurons": int(dirs.shape[1]),
        "directions": len(distinct),
        "reach": float(np.abs(reach - 1).max()) if reach.size else float("nan"),
        "grid_max": float(np.abs(lam @ np.maximum(X @ grid, 0.0)).max() / beta),
        "corner": float(corner.max()) if corner.size else float("nan"),
    })
