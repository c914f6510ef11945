r"""Closed form of the single-group lasso (:ref:`app-closed-form`): one thin SVD and a scalar root.

.. math:: \min_{w\in\mathbb R^d}\ \tfrac12\|Xw-y\|_2^2+\beta\|w\|_2 \tag{C1}

For :math:`\|X^\top y\|_2>\beta` the solution lies on the ridge path,
:math:`w^\star=\sum_i\frac{\sigma_i\eta_i}{\sigma_i^2+\beta/\tau^\star}v_i` with :math:`\eta=U^\top y`, where
:math:`\tau^\star=\|w^\star\|_2` is the unique root in :math:`(0,\|X^\dagger y\|_2)` of the strictly
decreasing function :math:`h(\tau)=\sum_i\sigma_i^2\eta_i^2/(\sigma_i^2\tau+\beta)^2=1`.
Otherwise :math:`w^\star=0` (:ref:`app-zero-threshold`).

Introduced in :ref:`ch-two-layer-linear`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import brentq

from .._validation import as_matrix, as_vector, check_beta, check_choice

__all__ = ["RidgePath", "group_lasso_single", "pow2_exponent", "pow2_scale", "outside_unit_band",
           "safe_norm", "UNIT_BAND"]

#: data whose largest entry lies in [2**-UNIT_BAND, 2**UNIT_BAND] are solved as given; outside it
#: the linear problems solve on data rescaled by powers of two (see :func:`pow2_scale`)
UNIT_BAND = 30


def pow2_exponent(A: ArrayLike) -> int:
    """The exponent e with max|A| in [2**(e-1), 2**e) (0 for a zero or non-finite array):
    dividing by 2**e (``np.ldexp(A, -e)``) scales A to entries of order 1 without rounding. The
    one helper behind every problem's solve on rescaled data."""
    m = float(np.max(np.abs(A))) if np.size(A) else 0.0
    return int(np.frexp(m)[1]) if m > 0 and np.isfinite(m) else 0


def pow2_scale(A: ArrayLike) -> float:
    r"""The power of two :math:`2^e` just above the largest entry of ``A`` in magnitude (1 for a
    zero array): dividing by it is exact in float64 (no rounding, except for entries that
    become subnormal), so a problem solved on ``A / pow2_scale(A)`` and mapped back is what the
    solve at scale would give if float64 had an unbounded exponent range.
    The linear problems are homogeneous (with :math:`X=aX'`, :math:`y=cy'` the squared-loss
    optimum is :math:`c^2` times that of :math:`X',y'` at a rescaled :math:`\beta`), and use it
    to answer data at any scale."""
    return float(np.ldexp(1.0, pow2_exponent(A)))


def outside_unit_band(*scales: float) -> bool:
    """Whether one of ``scales`` (from :func:`pow2_scale`) lies outside
    ``[2**-UNIT_BAND, 2**UNIT_BAND]``, where the linear problems solve on rescaled data."""
    return any(not (2.0**-UNIT_BAND <= s <= 2.0**UNIT_BAND) for s in scales)


def safe_norm(A: ArrayLike) -> float:
    """The Euclidean (Frobenius) norm of an array, computed on ``A / max|A|`` so that it neither
    overflows nor underflows unless the norm itself does (``np.linalg.norm`` squares the
    entries: 1e-200 reads 0 and 1e200 reads inf)."""
    A = np.asarray(A, dtype=float)
    m = float(np.max(np.abs(A))) if A.size else 0.0
    if m == 0.0 or not np.isfinite(m):
        return m
    with np.errstate(over="ignore"):
        return m * float(np.linalg.norm(A / m))


class RidgePath:
    r"""The spectral data of :math:`X` needed by the closed form, computed once for any :math:`\beta`.

    Stores :math:`\sigma_i^2`, the right singular vectors :math:`v_i` and
    :math:`b_i=\sigma_i\eta_i=v_i^\top X^\top y`; every formula of :ref:`app-closed-form` needs only these.
    ``RidgePath(X, y).solve(beta)`` returns :math:`w^\star(\beta)` of (C1); a whole path of betas
    costs one factorization plus one scalar root per beta.

    Parameters
    ----------
    method : {"auto", "svd", "gram"}
        ``"svd"``: thin SVD of :math:`X` (most accurate). ``"gram"``: eigendecomposition of the
        smaller Gram matrix :math:`X^\top X` or :math:`XX^\top` (several times faster for large
        :math:`X`; eigenvalues below :math:`\sigma_1^2\max(n,d)\,\varepsilon` count as zero).
        ``"auto"`` uses the Gram route when :math:`nd\ge 2\cdot10^5`, or when
        :math:`nd\ge 2\cdot10^4` and one side is at least four times the other. Either way the returned
        solution is certified by its duality gap, so a loss of accuracy cannot go unnoticed.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.standard_normal((20, 5)), rng.standard_normal(20)
    >>> path = RidgePath(X, y)               # one factorization for every beta
    >>> w, lam = path.solve(0.5), path.dual(0.5)
    >>> bool(np.allclose(lam, y - X @ w))
    True
    >>> bool(np.isclose(np.linalg.norm(w), path.tau(0.5)))
    True
    """

    def __init__(self, X: ArrayLike, y: ArrayLike, method: str = "auto"):
        X = as_matrix(X, "X", copy=False)   # only read, not copied: do not modify X afterwards
        y = as_vector(y, "y", n=X.shape[0])
        check_choice(method, "method", {"auto", "svd", "gram"})
        n, d = X.shape
        if method == "auto":
            # the Gram route costs n d min(n, d) for the product and min(n, d)^3 for eigh,
            # against about 4 n d min(n, d) for the SVD: worth it on large or tall/wide data
            method = "gram" if n * d >= 200_000 or (n * d >= 20_000 and
                                                    max(n, d) >= 4 * min(n, d)) else "svd"
        eps = np.finfo(float).eps
        if method == "svd":
            U, s, Vt = np.linalg.svd(X, full_matrices=False)
            tol = s[0] * max(n, d) * eps if s.size and s[0] > 0 else 0.0
            r = int(np.sum(s > tol))
            s2, Vt, U = s[:r] ** 2, Vt[:r], U[:, :r]
            b = s[:r] * (U.T @ y)
        elif method == "gram":
            if n >= d:
                lam, V = np.linalg.eigh(X.T @ X)
                keep = lam > lam[-1] * max(n, d) * eps
                s2, Vt = lam[keep][::-1], V[:, keep][:, ::-1].T
                b = Vt @ (X.T @ y)
                U = None  # not formed: n x r would cost as much as the SVD saves
            else:
                lam, U = np.linalg.eigh(X @ X.T)
                keep = lam > lam[-1] * max(n, d) * eps
                s2, U = lam[keep][::-1], U[:, keep][:, ::-1]
                sig = np.sqrt(s2)
                Vt = (X.T @ U / sig).T
                b = sig * (U.T @ y)
        self.method = method
        self.X, self.y = X, y
        #: left singular vectors (None on the Gram route with n >= d)
        self.U = U
        #: squared singular values :math:`\sigma_i^2` (descending) and right singular vectors
        self.s2, self.Vt = s2, Vt
        #: :math:`b_i=\sigma_i\eta_i=v_i^\top X^\top y`
        self.b = b
        #: :math:`\|X^\top y\|_2`, the zero threshold of :math:`\beta`
        self.xty_norm = safe_norm(X.T @ y)
        #: :math:`\|X^\dagger y\|_2`, the norm of the minimum-norm least-squares solution
        self.pinv_norm = safe_norm(b / s2) if s2.size else 0.0

    def with_targets(self, y: ArrayLike) -> RidgePath:
        """The same factorization of X with other targets (no new SVD); SVD route only."""
        if self.U is None:
            raise ValueError("with_targets needs the SVD route (method='svd').")
        y = as_vector(y, "y", n=self.X.shape[0])
        other = object.__new__(RidgePath)
        other.__dict__.update(self.__dict__)
        other.y = y
        c = self.U.T @ y
        other.b = np.sqrt(self.s2) * c
        other.xty_norm = float(np.linalg.norm(self.X.T @ y))
        other.pinv_norm = float(np.linalg.norm(other.b / self.s2)) if self.s2.size else 0.0
        return other

    @property
    def rank(self) -> int:
        """Numerical rank of :math:`X`."""
        return int(self.s2.size)

    def pinv_solution(self) -> np.ndarray:
        r""":math:`X^\dagger y`, the minimum-norm least-squares solution."""
        return self.Vt.T @ (self.b / self.s2)

    def min_norm_dual(self) -> np.ndarray:
        r"""Dual optimum of minimum-norm interpolation, :math:`(XX^\top)^\dagger y/\|X^\dagger y\|_2`
        (:ref:`app-min-norm`), computed as :math:`XV\,\mathrm{diag}(\sigma^{-4})\,b/\|X^\dagger y\|`."""
        if self.pinv_norm == 0.0:
            return np.zeros(self.X.shape[0])
        if self.U is not None:
            return self.U @ (self.b / np.sqrt(self.s2) / self.s2) / self.pinv_norm
        return self.X @ (self.Vt.T @ (self.b / self.s2**2)) / self.pinv_norm

    def dual(self, beta: float) -> np.ndarray:
        r"""The dual optimum :math:`\lambda^\star=y-Xw^\star(\beta)` of (D1), without cancellation.

        Computed as
        :math:`(I-UU^\top)y+U\,\mathrm{diag}\big(\tfrac{\mu}{\sigma^2+\mu}\big)U^\top y`
        with :math:`\mu=\beta/\tau^\star` (through :math:`U=XV\Sigma^{-1}` on the Gram route):
        forming :math:`y-Xw^\star` directly loses all digits when :math:`\beta\ll\|X^\top y\|`
        and :math:`X` interpolates (measured: 1e-4 relative error at
        :math:`\beta=10^{-12}\|X^\top y\|`). The first term is exactly zero when :math:`X` has
        full row rank.
        """
        tau = self.tau(beta)
        if tau == 0.0:
            return self.y.copy()
        if beta == 0.0:
            return self.min_norm_dual()
        mu = beta / tau
        n = self.X.shape[0]
        shrink = mu / (self.s2 + mu)
        if self.U is not None:
            c = self.U.T @ self.y
            return self._perp(c) + self.U @ (c * shrink)
        perp = np.zeros(n) if self.rank == n else self.y - self.X @ self.pinv_solution()
        return perp + self.X @ (self.Vt.T @ (self.b * shrink / self.s2))

    def _perp(self, c: np.ndarray) -> np.ndarray:
        r""":math:`(I-UU^\top)y` (``c`` is :math:`U^\top y`), projected twice: one pass leaves
        :math:`U^\top` of it at the rounding of :math:`y` (:math:`\varepsilon\|y\|`), which
        exceeds :math:`\beta` when :math:`\beta\ll\|X^\top y\|` (measured: 2.6e-15 at
        :math:`\beta=10^{-201}`); the second pass leaves the rounding of the residual itself."""
        assert self.U is not None
        if self.rank == self.X.shape[0]:
            return np.zeros(self.X.shape[0])
        perp = self.y - self.U @ c
        return perp - self.U @ (self.U.T @ perp)

    def path_arrays(self, betas: Sequence[float] | np.ndarray,
                    taus: ArrayLike | None = None) -> tuple[np.ndarray, np.ndarray]:
        r"""Primal solutions and dual optima for many :math:`\beta>0` at once: ``(W, Lam)`` with
        columns :math:`w^\star(\beta_k)` (d x B) and
        :math:`\lambda^\star(\beta_k)` (n x B), the same formulas as :meth:`solve` and
        :meth:`dual` with the n-dimensional products done as one matrix product for all betas.
        ``taus`` (the values of :meth:`tau`) may be passed when already computed."""
        taus = np.array([self.tau(b) for b in betas] if taus is None else taus, dtype=float)
        if np.any(np.asarray(betas) <= 0.0):
            raise ValueError("path_arrays needs beta > 0 for every beta.")
        zero = taus == 0.0                                  # at or past the zero threshold
        mu = np.asarray(betas, dtype=float) / np.where(zero, 1.0, taus)          # (B,)
        W = self.Vt.T @ (self.b[:, None] / (self.s2[:, None] + mu[None, :]))
        shrink = mu[None, :] / (self.s2[:, None] + mu[None, :])        # (r, B)
        W[:, zero], shrink[:, zero] = 0.0, 1.0              # w* = 0 and lambda* = y there
        n = self.X.shape[0]
        if self.U is not None:
            c = self.U.T @ self.y
            Lam = self._perp(c)[:, None] + self.U @ (c[:, None] * shrink)
        else:
            perp = np.zeros(n) if self.rank == n else self.y - self.X @ self.pinv_solution()
            Lam = perp[:, None] + self.X @ (self.Vt.T @ (self.b[:, None] * shrink
                                                       / self.s2[:, None]))
        return W, Lam

    def taus(self, betas: ArrayLike) -> np.ndarray:
        r""":meth:`tau` for many betas at once: Newton's method on
        :math:`h(\tau)=\sum_i b_i^2/(\sigma_i^2\tau+\beta)^2-1`, vectorized over the betas.
        :math:`h` is convex and decreasing, so Newton's iterates from :math:`\tau=0` (where
        :math:`h>0`) increase monotonically to the root and never overshoot it; each beta stops
        when its step is below 4 eps relative. Betas where :meth:`tau` has a special case (zero,
        or at or past the zero threshold) are handed to it."""
        betas = np.asarray(betas, dtype=float)
        out = np.zeros(betas.shape)
        b_norm = float(np.linalg.norm(self.b))
        inner = (betas > 0) & (betas < self.xty_norm * (1 - 1e-12)) & (betas < b_norm)
        for k in np.flatnonzero(~inner):
            out[k] = self.tau(float(betas[k]))
        if not inner.any():
            return out
        beta = betas[inner]
        s2 = self.s2[:, None]
        # start at a lower bound of the root: h(tau) >= b_i^2 / (s_i^2 tau + beta)^2 - 1 for
        # each i, and >= ||b||^2 / (s_1^2 tau + beta)^2 - 1 (s_1 the largest)
        tau = np.maximum(np.max((np.abs(self.b)[:, None] - beta) / s2, axis=0),
                         (b_norm - beta) / self.s2[0])
        tau = np.maximum(tau, 0.0)
        active = np.ones(beta.shape, dtype=bool)
        for _ in range(200):
            den = s2 * tau[active] + beta[active]
            t2 = (self.b[:, None] / den) ** 2     # ratios of size O(1): no overflow at any scale
            h = t2.sum(axis=0) - 1.0
            dh = -2.0 * (t2 * (s2 / den)).sum(axis=0)
            step = -h / dh
            new = tau[active] + step
            idx = np.flatnonzero(active)
            tau[idx] = new
            active[idx[step <= 4 * np.finfo(float).eps * new]] = False
            if not active.any():
                break
        else:  # pragma: no cover - not seen (at most 13 iterations measured); brentq as a fallback
            for k in np.flatnonzero(active):
                tau[k] = self.tau(float(beta[k]))
        out[inner] = tau
        return out

    def tau(self, beta: float) -> float:
        r""":math:`\tau^\star=\|w^\star(\beta)\|_2` (0 when :math:`\beta\ge\|X^\top y\|`)."""
        # within rounding of the threshold the exact tau is O(eps) and the objective O(eps^2)
        # away from the zero solution: return exactly zero
        beta = check_beta(beta)
        # h(0) = ||b||^2 / beta^2 with b the part of X^T y on the numerical range of X
        if beta >= self.xty_norm * (1 - 1e-12) or beta >= np.linalg.norm(self.b):
            return 0.0
        if beta == 0.0:
            return self.pinv_norm
        b, s2 = self.b, self.s2

        def h(tau: float) -> float:
            # ratios first (as in taus): no underflow of beta^2 at tiny beta; h(0) may read inf
            with np.errstate(over="ignore", divide="ignore"):
                return float(np.sum((b / (s2 * tau + beta)) ** 2)) - 1.0

        hi = self.pinv_norm
        if h(hi) >= 0.0:
            # beta far below the threshold: the root is within rounding of ||X^+ y|| (measured
            # at beta = 1e-19 ||X^T y||, where h(||X^+ y||) rounds to +1e-16)
            return hi
        # a purely relative tolerance: tau may be 1e-100 or 1e100 depending on the data's scale
        return float(brentq(h, 0.0, hi, xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=1000))

    def solve(self, beta: float) -> np.ndarray:
        r"""The solution :math:`w^\star(\beta)` of (C1)."""
        tau = self.tau(beta)
        if tau == 0.0:
            return np.zeros(self.Vt.shape[1])
        if beta == 0.0:
            return self.pinv_solution()
        return self.Vt.T @ (self.b / (self.s2 + beta / tau))


def group_lasso_single(X: ArrayLike, y: ArrayLike, beta: float) -> np.ndarray:
    r"""Solve :math:`\min_w\tfrac12\|Xw-y\|^2+\beta\|w\|_2` by the closed form of :ref:`app-closed-form`.

    ``beta=0`` returns the minimum-norm least-squares solution :math:`X^\dagger y`.

    Examples
    --------
    The optimality condition :math:`X^\top(y-Xw^\star)=\beta\,w^\star/\|w^\star\|_2`:

    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.standard_normal((20, 5)), rng.standard_normal(20)
    >>> w = group_lasso_single(X, y, beta=0.5)
    >>> bool(np.allclose(X.T @ (y - X @ w), 0.5 * w / np.linalg.norm(w)))
    True
    >>> bool(np.all(group_lasso_single(X, y, beta=np.linalg.norm(X.T @ y)) == 0))
    True
    """
    return RidgePath(X, y).solve(check_beta(beta))
