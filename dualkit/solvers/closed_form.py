r"""Closed form of the single-group lasso (MATH.md §1.6): one thin SVD and a scalar root.

.. math:: \min_{w\in\mathbb R^d}\ \tfrac12\|Xw-y\|_2^2+\beta\|w\|_2 \tag{C1}

For :math:`\|X^\top y\|_2>\beta` the solution lies on the ridge path,
:math:`w^\star=\sum_i\frac{\sigma_ic_i}{\sigma_i^2+\beta/\tau^\star}v_i` with :math:`c=U^\top y`, where
:math:`\tau^\star=\|w^\star\|_2` is the unique root in :math:`(0,\|X^\dagger y\|_2)` of the strictly
decreasing function :math:`h(\tau)=\sum_i\sigma_i^2c_i^2/(\sigma_i^2\tau+\beta)^2=1`.
Otherwise :math:`w^\star=0` (MATH.md §1.7).

Introduced in :ref:`ch-two-layer-linear`.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq

__all__ = ["RidgePath", "group_lasso_single"]


class RidgePath:
    r"""The SVD of :math:`X` and :math:`c=U^\top y`, computed once and reused for any :math:`\beta`.

    ``RidgePath(X, y).solve(beta)`` returns :math:`w^\star(\beta)` of (C1); solving a whole path
    of betas costs one SVD plus one scalar root per beta.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray):
        U, s, Vt = np.linalg.svd(X, full_matrices=False)
        tol = s[0] * max(X.shape) * np.finfo(float).eps if s.size and s[0] > 0 else 0.0
        r = int(np.sum(s > tol))
        self.U, self.s, self.Vt = U[:, :r], s[:r], Vt[:r]
        self.c = self.U.T @ y
        #: :math:`\|X^\top y\|_2`, the zero threshold of :math:`\beta`
        self.xty_norm = float(np.linalg.norm(X.T @ y))
        #: :math:`\|X^\dagger y\|_2`, the norm of the minimum-norm least-squares solution
        self.pinv_norm = float(np.linalg.norm(self.c / self.s)) if r else 0.0

    def tau(self, beta: float) -> float:
        r""":math:`\tau^\star=\|w^\star(\beta)\|_2` (0 when :math:`\beta\ge\|X^\top y\|`)."""
        # within rounding of the threshold the exact tau is O(eps) and the objective O(eps^2)
        # away from the zero solution: return exactly zero
        if beta >= self.xty_norm * (1 - 1e-12):
            return 0.0
        if beta == 0.0:
            return self.pinv_norm
        s2c2 = (self.s * self.c) ** 2
        s2 = self.s**2

        def h(tau: float) -> float:
            return float(np.sum(s2c2 / (s2 * tau + beta) ** 2)) - 1.0

        hi = self.pinv_norm
        return float(brentq(h, 0.0, hi, xtol=1e-16 * max(hi, 1.0), rtol=4 * np.finfo(float).eps,
                            maxiter=500))

    def solve(self, beta: float) -> np.ndarray:
        r"""The solution :math:`w^\star(\beta)` of (C1)."""
        tau = self.tau(beta)
        if tau == 0.0:
            return np.zeros(self.Vt.shape[1])
        if beta == 0.0:
            coef = self.c / self.s
        else:
            coef = self.s * self.c / (self.s**2 + beta / tau)
        return self.Vt.T @ coef


def group_lasso_single(X: np.ndarray, y: np.ndarray, beta: float) -> np.ndarray:
    r"""Solve :math:`\min_w\tfrac12\|Xw-y\|^2+\beta\|w\|_2` by the closed form of MATH.md §1.6."""
    return RidgePath(X, y).solve(beta)
