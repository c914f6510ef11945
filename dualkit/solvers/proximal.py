r"""Nuclear-norm regression by accelerated proximal gradient (:ref:`app-vector`).

.. math:: \min_{W\in\mathbb R^{d\times K}}\ \tfrac12\|XW-Y\|_F^2+\beta\|W\|_* \tag{C3}

FISTA with singular-value soft-thresholding (SVT) as the proximal map, gradient-based adaptive
restart, and a duality-gap stopping rule: the residual :math:`Y-XW` scaled into
:math:`\{\Lambda:\|X^\top\Lambda\|_2\le\beta\}` is a dual point of (D3). Everything runs on the
Gram quantities :math:`X^\top X` and :math:`X^\top Y`, so an iteration costs
:math:`O(d^2K)` plus one SVD of a :math:`d\times K` matrix, whatever :math:`n` is. A scalar
output is the case :math:`K=1`, where SVT is the group soft-threshold of the single-group lasso.

Introduced in :ref:`ch-two-layer-linear`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["svt", "nuclear_fista"]


def svt(V: np.ndarray, tau: float) -> np.ndarray:
    r"""Singular-value soft-thresholding :math:`\sum_k(\sigma_k-\tau)_+p_kq_k^\top`, the proximal
    map of :math:`\tau\|\cdot\|_*`.

    Examples
    --------
    >>> svt(np.diag([3.0, 1.0]), 2.0)
    array([[1., 0.],
           [0., 0.]])
    """
    U, s, Vt = np.linalg.svd(V, full_matrices=False)
    s = np.maximum(s - tau, 0.0)
    r = int(np.count_nonzero(s))
    return (U[:, :r] * s[:r]) @ Vt[:r]


def nuclear_fista(G: np.ndarray, B: np.ndarray, yy: float, beta: float, tol: float = 1e-10,
                  max_iter: int = 20_000, W0: np.ndarray | None = None,
                  progress: Callable[[str], None] | None = None, every: float = 1.0
                  ) -> tuple[np.ndarray, dict[str, Any]]:
    r"""Solve (C3) from :math:`G=X^\top X`, :math:`B=X^\top Y` and :math:`\|Y\|_F^2`.

    Returns ``(W, info)``: the solution and a dict with ``iterations``, ``gap`` (primal minus
    dual of the scaled residual, an estimate from the Gram quantities) and ``restarts``. Stops
    when that gap is below ``tol`` times the primal value, or after ``max_iter`` iterations. The
    caller builds and checks the actual certificate. ``progress``, if given, receives a line
    (iteration, objective, relative gap estimate) about every ``every`` seconds and one when
    the iterations end.
    """
    if beta <= 0:
        raise ValueError(f"beta must be > 0 for the proximal solver; got {beta}.")
    d, K = B.shape
    lip = float(np.linalg.eigvalsh(G)[-1])
    if lip == 0.0:
        return np.zeros((d, K)), {"iterations": 0, "gap": 0.0, "restarts": 0}
    step = 1.0 / lip
    W = np.zeros((d, K)) if W0 is None else np.array(W0, dtype=float)
    Z, t = W.copy(), 1.0
    restarts, gap = 0, np.inf

    def primal_gap(W):
        GW = G @ W
        XtR = B - GW  # X^T (Y - XW)
        resid2 = max(yy - 2 * float(np.sum(W * B)) + float(np.sum(W * GW)), 0.0)  # ||Y - XW||^2
        nuc = float(np.linalg.svd(W, compute_uv=False).sum()) if np.any(W) else 0.0
        P = 0.5 * resid2 + beta * nuc
        spec = float(np.linalg.norm(XtR, 2))
        c = 1.0 if spec <= beta else beta / spec
        # P - D for Lam = c R, written without the cancellation of P - D:
        # 1/2 (1-c)^2 ||R||^2 + beta ||W||_* - c <W, X^T R>
        gap = 0.5 * (1 - c) ** 2 * resid2 + beta * nuc - c * float(np.sum(W * XtR))
        # X^T R = B - G W cancels; its rounding bounds how small this estimate can get
        noise = 64 * np.finfo(float).eps * np.linalg.norm(W) * (np.linalg.norm(B) + np.linalg.norm(GW))
        return P, max(gap - noise, 0.0)

    it = 0
    last = time.perf_counter()
    P = np.nan
    for it in range(1, max_iter + 1):
        W_new = svt(Z - step * (G @ Z - B), step * beta)
        # gradient-based restart (O'Donoghue & Candes): momentum pointing uphill is reset
        if np.sum((Z - W_new) * (W_new - W)) > 0:
            t, restarts = 1.0, restarts + 1
            Z = W_new
        else:
            t_new = 0.5 * (1 + np.sqrt(1 + 4 * t * t))
            Z = W_new + ((t - 1) / t_new) * (W_new - W)
            t = t_new
        W = W_new
        if it % 5 == 0 or it == max_iter:
            P, gap = primal_gap(W)
            if gap <= tol * max(P, np.finfo(float).tiny):
                break
            if progress is not None and time.perf_counter() - last >= every:
                last = time.perf_counter()
                progress(f"FISTA iteration {it}: objective {P:.10g}, relative gap "
                         f"{gap / max(P, np.finfo(float).tiny):.1e} (target {tol:g})")
    if progress is not None:
        progress(f"FISTA stopped after {it} iterations ({restarts} restarts): objective "
                 f"{P:.10g}, relative gap {gap / max(P, np.finfo(float).tiny):.1e}")
    return W, {"iterations": it, "gap": gap, "restarts": restarts}
