r"""Diagnostics of layer weights: singular values, rank, alignment, balance, duality gap.

Notation (:ref:`app-deep-structure`): the SVD of a layer is :math:`W_l=\sum_k\sigma_{l,k}p_{l,k}q_{l,k}^\top`.
A layer is *rank one* when :math:`\sigma_{l,2}/\sigma_{l,1}` is tiny, and consecutive layers are
*aligned* when :math:`|\langle q_{l,1},p_{l+1,1}\rangle|=1`.

Introduced in :ref:`ch-two-layer-linear`.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._validation import _as_float_array, as_vector, check_positive_int

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
]


def _as_layer(W, name: str = "W") -> np.ndarray:
    W = _as_float_array(W, name)
    if W.ndim == 1:
        W = W[:, None]
    if W.ndim != 2:
        raise ValueError(f"{name} must be a vector or a matrix; got shape {W.shape}.")
    return W


def singular_values(W) -> np.ndarray:
    r"""Singular values :math:`\sigma_1\ge\sigma_2\ge\dots` of a layer (a vector counts as a column)."""
    return np.linalg.svd(_as_layer(W), compute_uv=False)


def numerical_rank(W, rtol: float = 1e-3, atol: float = 0.0) -> int:
    r"""Number of singular values with :math:`\sigma_k>\mathrm{rtol}\cdot\sigma_1`; 0 when
    :math:`\sigma_1\le` ``atol`` (a layer that has vanished)."""
    s = singular_values(W)
    if s[0] <= atol or s[0] == 0:
        return 0
    return int(np.sum(s > rtol * s[0]))


def rank_one_ratio(W) -> float:
    r""":math:`\sigma_2/\sigma_1` of a layer: 0 for an exactly rank-one layer (and for a vector)."""
    s = singular_values(W)
    if len(s) < 2 or s[0] == 0:
        return 0.0
    return float(s[1] / s[0])


def top_singular_vectors(W) -> tuple[np.ndarray, np.ndarray]:
    r"""The top left and right singular vectors :math:`(p_1, q_1)` of a layer."""
    U, _, Vt = np.linalg.svd(_as_layer(W), full_matrices=False)
    return U[:, 0], Vt[0]


def alignment(a, b) -> float:
    r"""Absolute cosine :math:`|\langle a,b\rangle|/(\|a\|\|b\|)` (0 if either vector is zero)."""
    a = as_vector(a, "a")
    b = as_vector(b, "b")
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same length; got {a.shape} and {b.shape}.")
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0:
        return 0.0
    return float(min(1.0, abs(a @ b) / (na * nb)))


def layer_alignment(weights) -> list[float]:
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


def balance(W1, w2) -> float:
    r"""Largest imbalance :math:`\max_j|\,\|w_{1,j}\|_2-\|w_2^{j}\|_2|` of the neurons of two layers.

    :math:`w_{1,j}` is the :math:`j`-th column of :math:`W_1` (incoming weights of neuron
    :math:`j`) and :math:`w_2^{j}` the :math:`j`-th row (or entry) of the next layer. Every optimum
    of weight-decay training has balance 0 (:ref:`app-rescaling`).
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
    the gap is then ``inf``. NaN is refused."""
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


def alignment_matrix(W, W_next, k: int = 4) -> np.ndarray:
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


def layer_summary(weights, direction=None) -> dict:
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


def layer_report(weights, direction=None) -> str:
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
