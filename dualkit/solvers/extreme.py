r"""An extreme optimum of the two-layer ReLU program: at most :math:`n+1` neurons.

At a solution of the cone-constrained group lasso (:ref:`app-relu-program`, solver in
:mod:`dualkit.solvers.relu_program`) block :math:`j` (pattern :math:`D_j`, sign
:math:`\sigma_j`, matrix :math:`M_j`) has :math:`u_j\in K_j`. Write :math:`c_j=\|u_j\|_2`, the
direction :math:`w_j=u_j/c_j` and the block's output
:math:`v_j=\sigma_jD_j\odot M_jw_j=\sigma_j(M_jw_j)_+\in\mathbb R^n` (equal on :math:`K_j`).
The predictions are :math:`\sum_jc_jv_j` (plus the output bias) and the regularizer is
:math:`\beta\sum_jc_j`. Every :math:`c'\ge0` with

.. math:: \begin{bmatrix}V\\ \mathbf 1^\top\end{bmatrix}c'=
          \begin{bmatrix}V\\ \mathbf 1^\top\end{bmatrix}c,\qquad V=[v_1,\dots,v_k],

keeps the predictions (so the loss, whatever the loss), the regularizer, and keeps every
:math:`u'_j=c'_jw_j` in its cone :math:`K_j`: it is optimal too. The set of such :math:`c'` is a
polytope; at a vertex the columns of :math:`A=[V;\mathbf 1^\top]` on the support are linearly
independent, so it has at most :math:`\operatorname{rank}A\le n+1` non-zeros (Carathéodory).
A network with at most :math:`n+1` neurons is optimal: an extreme point of the optimal set
(the framing of Ergen & Pilanci; the chapter :ref:`ch-two-layer-relu`).

The reduction works on the neurons' columns :math:`B=[c_jv_j;c_j]_j` (outputs and costs, the
row of costs scaled to the largest output) and coefficients :math:`c'_j=c_je_j`, starting from
:math:`e=\mathbf 1`, so that a singular value of B bounds how far a step along its vector moves
the predictions. One SVD (after a QR factorization when B is tall; nothing is done when a
Cholesky factor of :math:`B^\top B-\tau I` already proves full column rank) gives a basis N of the null
space (singular values below ``rank_tol`` times the largest). For each null vector z in turn
(already zero on the dropped columns), :math:`e\leftarrow e+tz` with the smallest
:math:`|t|` that sends a coefficient :math:`e_i` to zero (so :math:`e\ge0` stays; both signs
occur in z, whose cost row gives :math:`c^\top z=0`); the remaining null vectors are made
zero at i by one elimination step (:math:`O(kr)` each). In all :math:`O(nk^2)`. Finally the
coefficients on the support are refit by least squares to :math:`B\mathbf 1` (exact to
rounding when the support's columns are independent) and the result is checked: predictions
and :math:`\sum c` equal to the original to ``check_tol`` relative (of
:math:`\sum_jc_j\|v_j\|` and :math:`\sum_jc_j`), no negative coefficient; otherwise the
original is kept and ``info["reason"]`` says why.
"""

from __future__ import annotations

import time

import numpy as np
from numpy.typing import ArrayLike

from .relu_program import Blocks

__all__ = ["block_outputs", "extreme_blocks"]

#: a tall [V; 1^T] whose Gram matrix has eigenvalues above this times its trace has full
#: column rank (singular values above 1e-5 times the largest): nothing to reduce
GRAM_FULL_RANK = 1e-10


def block_outputs(blocks: Blocks, W: np.ndarray, idx: ArrayLike) -> np.ndarray:
    r"""The outputs :math:`(M_{j}w)_+` (n, k) of the directions ``W`` (p, k), column j in
    block ``idx[j]`` (:math:`M_j=M-\mathbf 1a_j^\top`), without their signs."""
    Z = blocks.M @ W
    Z -= np.einsum("kp,pk->k", blocks.anchor_rows(np.asarray(idx, dtype=int)), W)[None, :]
    return np.maximum(Z, 0.0)


def extreme_blocks(blocks: Blocks, U: ArrayLike, idx: ArrayLike, signs: ArrayLike,
                   rank_tol: float = 1e-12, check_tol: float = 1e-11,
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    r"""Reduce the block vectors ``U`` (p, k) of blocks ``idx`` with signs ``signs`` to an
    extreme point of the optimal set (see the module docstring): same predictions, same
    :math:`\sum_j\|u_j\|`, same directions, at most :math:`\operatorname{rank}[V;\mathbf
    1^\top]\le n+1` non-zero blocks.

    Returns ``(U, idx, signs, info)`` with only the non-zero blocks kept; ``info`` has
    ``before`` and ``after`` (non-zero blocks), ``rank`` (numerical rank of
    :math:`[V;\mathbf 1^\top]`, the bound on ``after``), ``pred_error`` and ``sum_error``
    (relative changes), ``time`` (s) and, where the reduction was not kept, ``reason``.
    """
    t0 = time.perf_counter()
    U = np.asarray(U, dtype=float)
    idx = np.asarray(idx, dtype=int)
    signs = np.asarray(signs, dtype=float)
    if U.ndim != 2 or idx.shape != (U.shape[1],) or signs.shape != (U.shape[1],):
        raise ValueError(f"extreme_blocks needs U of shape (p, k) with k block indices and k "
                         f"signs; got U {U.shape}, idx {idx.shape}, signs {signs.shape}.")
    a = float(np.max(np.abs(U), initial=0.0)) or 1.0
    c0 = a * np.linalg.norm(U / a, axis=0)               # no overflow in the squares
    act = np.flatnonzero(c0 > 0)
    U, idx, signs, c0 = U[:, act], idx[act], signs[act], c0[act]
    k = act.size
    info: dict = {"before": k, "after": k, "rank": k, "pred_error": 0.0, "sum_error": 0.0}
    if k <= 1:
        info["time"] = time.perf_counter() - t0
        return U, idx, signs, info
    W = U / c0
    V = block_outputs(blocks, W, idx) * signs[None, :]
    vn = np.linalg.norm(V, axis=0)
    # the columns c_j [v_j; 1] (the neurons' outputs and costs, the row of costs scaled to the
    # largest output): a step e -> e + t z from e = 1 changes the predictions by t B z, so
    # singular values below rank_tol sigma_max move them by about rank_tol only
    B = np.vstack([V, np.ones((1, k))]) * c0[None, :]
    B[-1] *= (float(np.max(vn * c0)) or 1.0) / float(c0.max())
    if B.shape[0] > k:
        # tall (the usual n >> k): the Gram matrix G (n k^2 in one product) proves full
        # column rank when G - tau I, tau = GRAM_FULL_RANK trace(G) >= GRAM_FULL_RANK
        # lambda_max, has a Cholesky factor (far above its rounding: sigma ratio > 1e-5);
        # only otherwise the slower, accurate B = Q R, whose R has the null space of B
        G = B.T @ B
        G[np.diag_indices(k)] -= GRAM_FULL_RANK * np.trace(G)
        try:
            np.linalg.cholesky(G)
        except np.linalg.LinAlgError:
            B_or_R = np.linalg.qr(B, mode="r")
        else:
            info["time"] = time.perf_counter() - t0
            return U, idx, signs, info
    else:
        B_or_R = B
    _, sv, Vt = np.linalg.svd(B_or_R, full_matrices=True)
    rank = int(np.sum(sv > rank_tol * sv[0])) if sv.size else 0
    info["rank"] = rank
    N = Vt[rank:].T.copy()                               # (k, r) null vectors of B
    e = np.ones(k)
    alive = np.ones(k, bool)
    for m in range(N.shape[1]):
        z = N[:, m]
        zn = float(np.max(np.abs(z)))
        if zn <= 1e-8:                                   # dependent on the earlier ones
            continue
        z = z / zn
        neg = np.flatnonzero((z < -1e-12) & alive)
        pos = np.flatnonzero((z > 1e-12) & alive)
        if neg.size == 0 and pos.size == 0:
            continue
        # step along +z (ratio over the negative entries) or -z, whichever drops a
        # coefficient at the smaller move (both exist: the row of costs makes c^T z = 0)
        tp = np.min(e[neg] / -z[neg]) if neg.size else np.inf
        tm = np.min(e[pos] / z[pos]) if pos.size else np.inf
        if tp <= tm:
            t, i0 = tp, neg[np.argmin(e[neg] / -z[neg])]
        else:
            t, i0 = -tm, pos[np.argmin(e[pos] / z[pos])]
        e = e + t * z
        alive[i0] = False
        e[~alive] = 0.0
        np.maximum(e, 0.0, out=e)
        rest = N[:, m + 1:]
        if rest.size:
            rest -= np.outer(z, rest[i0] / z[i0])
            rest[i0] = 0.0
    alive &= e > 1e-15
    S = np.flatnonzero(alive)
    # refit on the support: B_S e_S = B 1 (exact to rounding when B_S has full column rank)
    target = B.sum(axis=1)
    es, *_ = np.linalg.lstsq(B[:, S], target, rcond=None)
    if np.all(es >= 0) and (np.linalg.norm(B[:, S] @ es - target)
                            <= np.linalg.norm(B[:, S] @ e[S] - target)):
        e[S] = es
    keep = S[e[S] > 0]
    c = c0 * e
    scale_pred = float(np.sum(c0 * vn)) or 1.0           # the size of the sum's rounding
    pred_err = float(np.linalg.norm(V[:, keep] @ c[keep] - V @ c0)) / scale_pred
    sum_err = abs(float(c[keep].sum() - c0.sum())) / float(c0.sum())
    info.update(pred_error=pred_err, sum_error=sum_err)
    why = None
    if np.any(e < 0):
        why = "a coefficient came out negative"
    elif max(pred_err, sum_err) > check_tol:
        why = (f"the reduced network changed the predictions by {pred_err:.1e} or the sum of "
               f"norms by {sum_err:.1e} (relative), above {check_tol:g}")
    if why is not None:
        info["reason"] = why + "; the original solution is kept"
        info["time"] = time.perf_counter() - t0
        return U, idx, signs, info
    info["after"] = int(keep.size)
    info["time"] = time.perf_counter() - t0
    return W[:, keep] * c[keep], idx[keep], signs[keep], info
