r"""A dedicated solver for the 1-D ramp program (C5) of :ref:`app-ramp-program`.

The two-layer ReLU network with biases on scalar inputs is exactly the lasso over ReLU ramps with
knots at the (sorted, distinct) data points :math:`x_1<\dots<x_n`:

.. math:: &\min_{\alpha,\gamma,b_0}\ \tfrac12\|A\alpha+B\gamma+b_0\mathbf 1-y\|_\omega^2
          +\beta(\|\alpha\|_1+\|\gamma\|_1),\\
          &A_{ij}=(x_i-x_j)_+,\ B_{ij}=(x_j-x_i)_+ ,

where :math:`\|r\|_\omega^2=\sum_i\omega_ir_i^2` (``omega`` counts repeated inputs). Its dual is

.. math:: \max_\lambda\ \lambda^\top y-\tfrac12\lambda^\top\Omega^{-1}\lambda
          \quad\text{s.t.}\quad \mathbf 1^\top\lambda=0,\ |A^\top\lambda|\le\beta,\ |B^\top\lambda|\le\beta .

The dictionary is dense (:math:`n\times2n`), but the dual constraint has a banded structure. Every
:math:`\lambda\perp\mathbf 1` is :math:`\lambda=D^\top u+\tau q` with :math:`D` the
:math:`(n-2)\times n` operator of slope changes at the interior points (three non-zeros per row),
:math:`q=(e_n-e_{n-1})/(x_n-x_{n-1})` and :math:`\tau=x^\top\lambda`; then
:math:`(A^\top\lambda)_j=u_j+\tau` and :math:`(B^\top\lambda)_j=u_j` at interior knots,
:math:`(A^\top\lambda)_1=\tau`, :math:`(B^\top\lambda)_n=-\tau`. So the dual is a QP in
:math:`(u,\tau)` with a pentadiagonal Hessian :math:`D\Omega^{-1}D^\top` bordered by one row and
column, and the constraints :math:`|u_j|\le\beta`, :math:`|u_j+\tau|\le\beta`, :math:`|\tau|\le\beta`.
With an unregularized linear skip term (:ref:`app-biases-skip`) the extra constraint
:math:`x^\top\lambda=0` removes
:math:`\tau`.

:func:`ramp_lasso` solves that QP by a log-barrier interior-point method: every Newton step is one
banded Cholesky solve (``scipy.linalg.solveh_banded``), O(n) time and memory, and no
:math:`n\times n` matrix is ever formed. The primal coefficients are the barrier multipliers
:math:`1/(t\,s_i)` of the dual constraints (the lasso's :math:`\alpha,\gamma` are the Lagrange
multipliers of the dual), so the duality gap on the central path is ``(number of
constraints)/t``: the method stops when it is below ``rtol`` times the dual value.

Interpolation (``beta = 0``) needs no iterations: :ref:`app-spline-cost`, :ref:`app-biases-skip` give
the cost in closed form,
:func:`ramp_interpolation`.

Introduced in :ref:`ch-splines-1d`.
"""

from __future__ import annotations

import time

import numpy as np
from scipy.linalg import solve_banded, solveh_banded

from .closed_form import pow2_exponent

__all__ = ["RampFit", "ramp_lasso", "ramp_interpolation", "ramp_dual_constraint", "unique_points"]


class RampFit:
    r"""Coefficients of a ramp expansion on sorted distinct knots ``x``.

    :math:`f(t)=b_0+c\,t+\sum_j\alpha_j(t-x_j)_++\sum_j\gamma_j(x_j-t)_+` with cost
    :math:`\|\alpha\|_1+\|\gamma\|_1` (``c`` is zero unless there is a skip term).
    """

    def __init__(self, x, alpha, gamma, b0, c=0.0, lam=None, info=None):
        self.x, self.alpha, self.gamma = x, alpha, gamma
        self.b0, self.c = float(b0), float(c)
        self.lam = lam
        self.info = {} if info is None else info

    def __call__(self, t) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        out = self.b0 + self.c * t
        ia, ig = np.flatnonzero(self.alpha), np.flatnonzero(self.gamma)
        if ia.size:
            out = out + np.maximum(t[..., None] - self.x[ia], 0.0) @ self.alpha[ia]
        if ig.size:
            out = out + np.maximum(self.x[ig] - t[..., None], 0.0) @ self.gamma[ig]
        return out

    def at_knots(self) -> np.ndarray:
        """:math:`f(x_j)` at the (sorted) knots in O(n) by prefix and suffix sums."""
        x, a, g = self.x, self.alpha, self.gamma
        left = x * np.cumsum(a) - np.cumsum(a * x)
        right = np.cumsum((g * x)[::-1])[::-1] - x * np.cumsum(g[::-1])[::-1]
        return self.b0 + self.c * x + left + right

    def objective(self, y, w, beta) -> float:
        r""":math:`\tfrac12\sum_j w_j(f(x_j)-y_j)^2+\beta\,\mathrm{cost}` of this fit."""
        r = self.at_knots() - y
        return 0.5 * float(r @ (w * r)) + beta * self.cost

    @property
    def cost(self) -> float:
        r"""The regularization :math:`\|\alpha\|_1+\|\gamma\|_1` (the slope changes)."""
        return float(np.abs(self.alpha).sum() + np.abs(self.gamma).sum())


def unique_points(x, y):
    """Sort ``x``, merge repeated inputs: returns ``xs, ybar, omega, inverse``.

    ``ybar`` is the mean target of each distinct input and ``omega`` its count, so that
    :math:`\\tfrac12\\sum_i(f(x_i)-y_i)^2=\\tfrac12\\sum_k\\omega_k(f(x_k)-\\bar y_k)^2+\\text{const}`.
    Neighbours within 8 ulps of their own size count as repeated: float64 cannot place a kink
    between them, and treating them as distinct made the banded systems lose every digit
    (inputs that were equal up to one rounding, from ``X a``, gave a 6% wrong optimum). The
    tolerance is local: 0 and 1e-10 stay distinct next to 3e6.
    """
    x = np.asarray(x, dtype=float)
    order = np.argsort(x, kind="stable")
    xsorted = x[order]
    size = np.maximum(np.abs(xsorted[:-1]), np.abs(xsorted[1:]))
    first = np.r_[True, np.diff(xsorted) > 8 * np.finfo(float).eps * size]
    group = np.cumsum(first) - 1
    inverse = np.empty(x.size, dtype=int)
    inverse[order] = group
    xs = xsorted[first]
    counts = np.bincount(group, minlength=xs.size)
    ybar = np.bincount(inverse, weights=y, minlength=xs.size) / counts
    return xs, ybar, counts.astype(float), inverse


def _check_points(x, y, beta=None, allow_zero=False):
    """Sorted, distinct, finite inputs and finite targets (and beta > 0, or >= 0)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.ndim != 1 or y.shape != x.shape or x.size == 0:
        raise ValueError(f"x and y must be non-empty 1-D arrays of one length; got {x.shape}, {y.shape}.")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("x and y must be finite (no NaN or Inf).")
    if np.any(np.diff(x) <= 0):
        raise ValueError("x must be sorted with distinct values (see unique_points).")
    if beta is not None and not (np.isfinite(beta) and (beta > 0 or (allow_zero and beta == 0))):
        raise ValueError(f"beta must be a finite number {'>=' if allow_zero else '>'} 0; got {beta}.")
    return x, y


def _slope_change_operator(x):
    """Bands of D (rows = interior knots 1..n-2): D[j, j-1], D[j, j], D[j, j+1]."""
    h = np.diff(x)
    left, right = 1.0 / h[:-1], 1.0 / h[1:]
    return left, -(left + right), right


def _apply_DT(u, bands, n):
    left, mid, right = bands
    lam = np.zeros(n)
    lam[:-2] += left * u
    lam[1:-1] += mid * u
    lam[2:] += right * u
    return lam


def _apply_D(v, bands):
    left, mid, right = bands
    return left * v[:-2] + mid * v[1:-1] + right * v[2:]


def _gram_bands(bands, winv):
    """Upper banded storage (3, m) of D diag(winv) D^T (pentadiagonal)."""
    left, mid, right = bands
    m = left.size
    ab = np.zeros((3, m))
    ab[2] = left**2 * winv[:-2] + mid**2 * winv[1:-1] + right**2 * winv[2:]
    if m > 1:
        # row j, column j+1: D[j, j] D[j+1, j] w_j + D[j, j+1] D[j+1, j+1] w_{j+1}
        ab[1, 1:] = mid[:-1] * left[1:] * winv[1:-2] + right[:-1] * mid[1:] * winv[2:-1]
    if m > 2:
        ab[0, 2:] = right[:-2] * left[2:] * winv[2:-2]
    return ab


def _line_search(step, t, dlam, r, wdl, pairs):
    """A step in (0, step] at which the barrier function, convex along the Newton direction, has
    (nearly) stopped decreasing: a safeguarded Newton iteration on its directional derivative
    (comparing function values would lose all precision once ``t * f`` is ~1e12 times larger than
    the decrease)."""

    def slope(a):
        g = t * float(dlam @ (r + a * wdl))
        h = t * float(dlam @ wdl)
        for s, ds in pairs:
            q = ds / (s + a * ds)
            g -= float(q.sum())
            h += float(q @ q)
        return g, h

    g, h = slope(step)
    if g <= 0:
        return step
    g0 = abs(slope(0.0)[0])
    lo, hi, a = 0.0, step, step
    for _ in range(30):
        a_new = a - g / h if h > 0 else 0.5 * (lo + hi)
        a = a_new if lo < a_new < hi else 0.5 * (lo + hi)
        g, h = slope(a)
        if g <= 0:
            lo = a
        else:
            hi = a
        if abs(g) <= 1e-8 * g0:
            break
    # Newton from the right end approaches the root from above (g > 0): a point just past the
    # root still decreases the function, one far past it may not
    return a if abs(g) <= 1e-3 * g0 else lo


def _newton_solve(bands, winv, gram, t, du, rhs):
    r"""Solve :math:`(t\,DWD^\top+\operatorname{diag}(du))X=\text{rhs}`: banded Cholesky of the
    pentadiagonal matrix (fast), checked by its residual computed from D itself; when inputs a
    hair apart make the formed matrix lose its digits, the augmented form below instead."""
    ab = t * gram
    ab[2] = ab[2] + du
    try:
        X = solveh_banded(ab, rhs, check_finite=False)
    except np.linalg.LinAlgError:
        return _augmented_solve(bands, winv, t, du, rhs)
    n = bands[0].size + 2
    Xc = X.reshape(X.shape[0], -1)
    R = rhs.reshape(rhs.shape[0], -1).copy()
    for k in range(Xc.shape[1]):
        R[:, k] -= t * _apply_D(winv * _apply_DT(Xc[:, k], bands, n), bands) + du * Xc[:, k]
    if np.abs(R).max() <= 1e-9 * np.abs(rhs).max():
        return X
    return _augmented_solve(bands, winv, t, du, rhs)


def _augmented_solve(bands, winv, t, du, rhs):
    r"""Solve :math:`(t\,DWD^\top+\operatorname{diag}(du))X=\text{rhs}` without forming
    :math:`DWD^\top`: through the augmented system
    :math:`\begin{pmatrix}(tW)^{-1}&-D^\top\\D&\operatorname{diag}(du)\end{pmatrix}
    \begin{pmatrix}p\\X\end{pmatrix}=\begin{pmatrix}0\\\text{rhs}\end{pmatrix}`, with
    unknowns interleaved so that it is banded (3 sub- and super-diagonals), by LU with partial
    pivoting. Forming :math:`DWD^\top` squares the entries :math:`1/h` of D: with two inputs
    1e-8 apart that loses every other digit of the Newton system, the augmented form does not."""
    left, mid, right = bands
    m = left.size
    n = m + 2
    N = n + m
    pos_l = np.concatenate([[0], 2 * np.arange(1, n) - 1])
    pos_u = 2 * np.arange(m) + 2
    ab = np.zeros((7, N))
    ab[3, pos_l] = 1.0 / (t * winv)
    ab[3, pos_u] = du
    j = np.arange(m)
    for k_off, val in ((0, left), (1, mid), (2, right)):
        pl, pu = pos_l[j + k_off], pos_u
        ab[3 + pl - pu, pu] = -val   # row lambda_k, column u_j: -D[j, k]
        ab[3 + pu - pl, pl] = val    # row u_j, column lambda_k: D[j, k]
    b = np.zeros((N,) + rhs.shape[1:])
    b[pos_u] = rhs
    return solve_banded((3, 3), ab, b, check_finite=False)[pos_u]


def ramp_dual_constraint(x, lam):
    r"""``a = A^T lam`` and ``x^T lam`` for sorted knots ``x`` in O(n).

    :math:`a_j=\sum_i(x_i-x_j)_+\lambda_i` and
    :math:`(B^\top\lambda)_j=a_j-x^\top\lambda+x_j\mathbf 1^\top\lambda`.
    """
    # a_j = sum_{i>j} (x_i - x_j) lam_i = S1_j - x_j S0_j with suffix sums over i > j
    s0 = np.concatenate([np.cumsum(lam[::-1])[::-1][1:], [0.0]])
    s1 = np.concatenate([np.cumsum((x * lam)[::-1])[::-1][1:], [0.0]])
    a = s1 - x * s0
    b = a - float(x @ lam) + x * float(lam.sum())
    return a, b


def ramp_interpolation(x, y, skip: bool = False) -> RampFit:
    r"""Minimum-cost ramp interpolant of distinct sorted points (``beta = 0``), in closed form.

    With slopes :math:`s_i` of the linear spline and interior slope changes
    :math:`\delta_j=s_j-s_{j-1}`, let :math:`S_+=\sum_j(\delta_j)_+` and
    :math:`S_-=\sum_j(-\delta_j)_+` (the magnitude of the negative sum). The cost is
    :math:`\mathrm{TV}=S_++S_-` with a skip term and
    :math:`\mathrm{TV}+\operatorname{dist}(s_1,[-S_+,S_-])` without (:ref:`app-spline-cost`,
    :ref:`app-biases-skip`; this equals
    Savarese et al.'s :math:`R` minimized over the extrapolation slopes). The returned
    coefficients attain it: interior kinks split between :math:`\alpha` and :math:`\gamma` so that
    the linear part needs the least extra ramp :math:`(x-x_1)_+`.
    """
    x, y = _check_points(x, y)
    n = x.size
    alpha, gamma = np.zeros(n), np.zeros(n)
    if n == 1:
        return RampFit(x, alpha, gamma, y[0], info={"iterations": 0})
    s = np.diff(y) / np.diff(x)
    fit = _from_kinks(x, y[0], s[0], np.concatenate([[0.0], np.diff(s), [0.0]]), skip)
    fit.info["iterations"] = 0
    return fit


def _from_kinks(x, f1, s1, delta, skip) -> RampFit:
    """The cheapest ramp coefficients of the function with value ``f1`` and slope ``s1`` at x_1
    and slope changes ``delta`` (length n, zero at the ends) at the knots."""
    n = x.size
    alpha, gamma = np.zeros(n), np.zeros(n)
    if skip:
        alpha[:] = delta
        return RampFit(x, alpha, gamma, f1 - s1 * x[0], c=s1)
    # gamma_j in [min(0, delta_j), max(0, delta_j)] costs |delta_j| in all; their sum G must
    # cancel the first slope: s_1 = alpha_1 - G (the ramps (x_j - t)_+ slope down on the left)
    P, N = np.maximum(delta, 0).sum(), np.maximum(-delta, 0).sum()
    G = float(np.clip(-s1, -N, P))
    side = delta > 0 if G > 0 else delta < 0
    total = np.abs(delta[side]).sum()
    if total > 0:
        gamma[side] = delta[side] * (abs(G) / total)
    alpha[:] = delta - gamma
    alpha[0] += s1 + G
    # f(x_1) = b0 + sum_j gamma_j (x_j - x_1)
    return RampFit(x, alpha, gamma, f1 - float(gamma @ (x - x[0])))


def _polish(x, y, w, beta, skip, active, sign, tau_state, pin=False):
    """Exact minimizer over functions with kinks only at the ``active`` interior knots, of signs
    ``sign``: a tridiagonal least-squares problem in the values at the knots (hat basis).

    Without a skip the cost also has the term dist(s_1, [-P, N]) (see ``ramp_interpolation``):
    ``tau_state`` = +1 / -1 charges it as s_1 - N / -P - s_1 (the dual's |tau| = beta), 0 drops
    it; ``pin=True`` instead constrains that expression to 0 (s_1 on the end of the interval, the
    degenerate case), through one bordered solve."""
    n = x.size
    K = np.concatenate([[0], np.flatnonzero(active), [n - 1]])
    xk = x[K]
    g = np.diff(xk)
    seg = np.clip(np.searchsorted(xk, x, side="right") - 1, 0, K.size - 2)
    th = (x - xk[seg]) / g[seg]
    # normal matrix H^T W H (tridiagonal) and right-hand side H^T W y
    nk = K.size
    d0 = np.bincount(seg, w * (1 - th) ** 2, nk) + np.bincount(seg + 1, w * th**2, nk)
    d1 = np.bincount(seg, w * (1 - th) * th, nk)[:-1]
    rhs = np.bincount(seg, w * (1 - th) * y, nk) + np.bincount(seg + 1, w * th * y, nk)

    def kink_functional(coef):
        # l^T c = sum_p coef_p delta_p, delta_p = (c_{p+1} - c_p)/g_p - (c_p - c_{p-1})/g_{p-1}
        ell = np.zeros(nk)
        ell[2:] += coef / g[1:]
        ell[1:-1] -= coef * (1 / g[1:] + 1 / g[:-1])
        ell[:-2] += coef / g[:-1]
        return ell

    ell_sig = kink_functional(np.asarray(sign, dtype=float))
    ell_tau = np.zeros(nk)
    if tau_state > 0:    # s_1 - N with N = -sum_{sign<0} delta
        ell_tau = kink_functional(np.where(sign < 0, 1.0, 0.0))
    elif tau_state < 0:  # -s_1 - P with P = sum_{sign>0} delta
        ell_tau = -kink_functional(np.where(sign > 0, 1.0, 0.0))
    if tau_state:
        ell_tau[1] += tau_state / g[0]
        ell_tau[0] -= tau_state / g[0]
    ab = np.zeros((2, nk))
    ab[1] = d0
    ab[0, 1:] = d1
    if pin and tau_state:
        sol = solveh_banded(ab, np.column_stack([rhs - beta * ell_sig, ell_tau]), check_finite=False)
        mu = float(ell_tau @ sol[:, 0]) / float(ell_tau @ sol[:, 1])
        c = sol[:, 0] - mu * sol[:, 1]
    else:
        c = solveh_banded(ab, rhs - beta * (ell_sig + ell_tau), check_finite=False)
    sl = np.diff(c) / g
    delta = np.zeros(n)
    delta[K[1:-1]] = np.diff(sl)
    return _from_kinks(x, c[0], sl[0], delta, skip)


def ramp_lasso(x, y, beta: float, omega=None, skip: bool = False, rtol: float = 1e-9,
               max_newton: int = 400, coef_rtol: float = 1e-9, verbose: bool = False) -> RampFit:
    r"""Solve (C5) for sorted distinct ``x`` by the banded barrier method described above.

    Parameters
    ----------
    x, y : ndarray
        Sorted distinct inputs and their (mean) targets.
    beta : float
        Regularization strength, > 0 (use :func:`ramp_interpolation` for 0).
    omega : ndarray, optional
        Weight of each point (the count of a repeated input); default all ones.
    skip : bool
        Add an unregularized linear term :math:`c\,x` (:ref:`app-biases-skip`).
    rtol : float
        Stop when the central-path duality gap is below ``rtol`` times the dual value.
    coef_rtol : float
        Coefficients below ``coef_rtol`` times the largest are set to zero at the end.
    verbose : bool
        Print one progress line per barrier stage (``t``, Newton steps so far, the
        central-path gap against its target); the lines are kept in ``info["progress"]``
        either way.

    Returns
    -------
    RampFit
        With ``lam`` (a strictly dual-feasible point) and ``info`` (``newton``, ``t``,
        ``barrier_gap``, ``converged``, ``progress``).

    Notes
    -----
    The parts: ``_BandedDual`` holds the QP in :math:`(u,\tau)`; ``_barrier`` follows
    the central path (``_center``: ``_barrier_gradient``, ``_newton_direction``,
    ``_damped_step``); ``_primal_candidates`` turns the dual point into fits, the best
    is kept; ``_better_dual`` picks the dual point returned in ``lam``.
    """
    t_start = time.perf_counter()
    x, y = _check_points(x, y, beta)
    w = _check_omega(omega, x)
    # solve on x / 2**ex, y / 2**ey (exact) at beta / 2**(ex + ey) and map back: (C5) is
    # homogeneous (coefficients times 2**(ey - ex), the dual point times 2**ey)
    ex, ey = pow2_exponent(x), pow2_exponent(y)
    x_s, y_s = np.ldexp(x, -ex), np.ldexp(y, -ey)
    with np.errstate(over="ignore", under="ignore"):
        beta_s = float(np.ldexp(beta, -(ex + ey)))
    fit = _ramp_lasso_unit(x_s, y_s, beta_s, w, skip, rtol, max_newton, coef_rtol, verbose)
    fit.x = x
    with np.errstate(over="ignore", under="ignore"):
        fit.alpha, fit.gamma = np.ldexp(fit.alpha, ey - ex), np.ldexp(fit.gamma, ey - ex)
        fit.b0, fit.c = float(np.ldexp(fit.b0, ey)), float(np.ldexp(fit.c, ey - ex))
        fit.lam = np.ldexp(fit.lam, ey)
    fit.info["time"] = time.perf_counter() - t_start
    return fit


def _ramp_lasso_unit(x, y, beta, w, skip, rtol, max_newton, coef_rtol, verbose) -> RampFit:
    """:func:`ramp_lasso` on data scaled to entries of order 1."""
    qp = _BandedDual(x, y, w, beta, skip)
    scale = 0.5 * float(y @ (w * y))
    fit = _trivial_fit(qp, scale)
    if fit is not None:
        return fit
    progress: list[str] = []
    try:
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            u, tau, t, newton, converged = _barrier(qp, scale, rtol, max_newton, progress,
                                                    verbose)
        if not (np.all(np.isfinite(u)) and np.isfinite(tau)):
            raise OverflowError("a non-finite iterate")
    except (ZeroDivisionError, OverflowError) as exc:
        raise RuntimeError(
            f"the banded barrier method left float64's range ({exc}) at beta = {beta:.3g} on "
            "data scaled to entries of order 1: the dual constraints |u| <= beta are too "
            "narrow (or too wide) to resolve. ReLU1D(x, y, beta).solve() answers every beta "
            "(the zero network at beta >= beta_max, the interpolation limit far below it)."
        ) from exc
    lam = qp.lam_of(u, tau)
    info = {"newton": newton, "t": t, "barrier_gap": qp.ncons / t, "converged": converged,
            "progress": progress}
    cands = _primal_candidates(qp, u, tau, t, coef_rtol)
    vals = [f.objective(y, w, beta) for f in cands]
    best = cands[int(np.argmin(vals))]
    best.info = info
    best.lam = _better_dual(qp, best, lam)
    return best


def _check_omega(omega, x) -> np.ndarray:
    """The weights of the points: all ones by default, else one finite positive per point."""
    w = np.ones(x.size) if omega is None else np.asarray(omega, dtype=float)
    if w.shape != x.shape or not np.all(np.isfinite(w)) or np.any(w <= 0):
        raise ValueError("omega must hold one finite positive weight per point.")
    return w


class _BandedDual:
    r"""The dual of (C5) in the variables :math:`(u,\tau)` of the module docstring.

    :math:`\lambda=D^\top u+\tau q` (``lam_of``; :math:`\tau` is absent with a skip), the
    objective to minimise is :math:`f(u,\tau)=\tfrac12\lambda^\top\Omega^{-1}\lambda-\lambda^\top y`
    (``fval``) and the constraints are the ``ncons`` positive slacks (``slacks``)
    :math:`\beta\mp u_j`, and without a skip :math:`\beta\mp(u_j+\tau)` and
    :math:`\beta\mp\tau`. Precomputed: the bands of :math:`D` and of the pentadiagonal
    :math:`D\Omega^{-1}D^\top` (``gram``), :math:`D\Omega^{-1}q` (``Dwq``) and
    :math:`q^\top\Omega^{-1}q` (``qwq``).
    """

    def __init__(self, x, y, w, beta, skip):
        n = x.size
        self.x, self.y, self.w, self.beta, self.skip = x, y, w, beta, skip
        self.n = n
        self.winv = 1.0 / w
        self.use_tau = not skip
        self.m = m = max(n - 2, 0)
        self.bands = _slope_change_operator(x) if m else None
        q = np.zeros(n)
        if n >= 2:
            q[-1], q[-2] = 1.0 / (x[-1] - x[-2]), -1.0 / (x[-1] - x[-2])
        self.q = q
        wq = self.winv * q
        self.gram = _gram_bands(self.bands, self.winv) if m else None
        self.Dwq = _apply_D(wq, self.bands) if m else np.zeros(0)
        self.qwq = float(q @ wq)
        self.ncons = 2 * m + (2 * m + 2 if self.use_tau else 0)

    def lam_of(self, u, tau):
        """The dual point :math:`\\lambda=D^\\top u+\\tau q` (no :math:`\\tau` with a skip)."""
        lam = _apply_DT(u, self.bands, self.n) if self.m else np.zeros(self.n)
        return lam + tau * self.q if self.use_tau else lam

    def fval(self, u, tau):
        r""":math:`f=\tfrac12\lambda^\top\Omega^{-1}\lambda-\lambda^\top y`, the negated dual
        objective: ``-fval`` is the dual value (a lower bound on (C5) at a feasible point)."""
        lam = self.lam_of(u, tau)
        return 0.5 * float(lam @ (self.winv * lam)) - float(lam @ self.y)

    def slacks(self, u, tau):
        r""":math:`[\beta-u,\beta+u]`, and :math:`[\beta-u-\tau,\beta+u+\tau,
        (\beta-\tau,\beta+\tau)]` with :math:`\tau`."""
        beta = self.beta
        s = [beta - u, beta + u]
        if self.use_tau:
            s += [beta - u - tau, beta + u + tau, np.array([beta - tau, beta + tau])]
        return s


def _trivial_fit(qp: _BandedDual, scale: float) -> RampFit | None:
    """The fits that need no iterations, or None: no dual constraint (n <= 2 with a skip, the
    fit is exact) and y = 0 (the zero network, with lambda = 0). ``info`` lacks ``time``."""
    n = qp.n
    if qp.ncons == 0:
        fit = ramp_interpolation(qp.x, qp.y, skip=True)
        fit.lam = np.zeros(n)
        fit.info = {"newton": 0, "t": np.inf, "barrier_gap": 0.0, "converged": True}
        return fit
    if scale == 0.0:
        fit = RampFit(qp.x, np.zeros(n), np.zeros(n), 0.0, lam=np.zeros(n))
        fit.info = {"newton": 0, "t": 0.0, "barrier_gap": 0.0, "converged": True}
        return fit
    return None


def _barrier(qp: _BandedDual, scale: float, rtol: float, max_newton: int,
             progress: list[str] | None = None, verbose: bool = False):
    r"""The barrier method: minimise :math:`t\,f(u,\tau)-\sum_i\log s_i` by damped Newton
    (:func:`_center`) for :math:`t=\text{ncons}/\tfrac12\|y\|_\omega^2,\ 50\times,\dots`
    until the central-path gap :math:`\text{ncons}/t` is at most ``rtol`` times the dual
    value (with a floor at ``rtol`` :math:`\cdot10^{-6}\cdot\tfrac12\|y\|_\omega^2` for
    optima at or near 0), or the Newton budget is spent. One line per stage is appended to
    ``progress`` (and printed with ``verbose``). Returns ``u, tau, t, newton, converged``."""
    u, tau = np.zeros(qp.m), 0.0
    t = qp.ncons / scale
    mu = 50.0
    newton = 0
    converged = False
    while True:
        u, tau, newton = _center(qp, u, tau, t, newton, max_newton)
        dual_value = -qp.fval(u, tau)
        gap = qp.ncons / t
        # relative to the dual value, with a floor at rtol * |y|^2/2 for optima at (or near) 0:
        # a stopping rule of the barrier method, not the certificate's relative gap
        target = rtol * max(abs(dual_value), 1e-6 * scale)
        line = (f"ramp barrier: t={t:.3e}  Newton steps {newton:4d}  dual value "
                f"{dual_value:.10e}  central-path gap {gap:.2e} (target {target:.2e})")
        if progress is not None:
            progress.append(line)
        if verbose:
            print(line, flush=True)
        if gap <= target:
            converged = True
            break
        if newton >= max_newton or t > 1e30 / scale:
            break
        t *= mu
    return u, tau, t, newton, converged


def _center(qp: _BandedDual, u, tau, t: float, newton: int, max_newton: int):
    """Up to 50 damped Newton steps on the barrier function at ``t`` from ``(u, tau)``: stop
    when half the Newton decrement is at most 1e-6 or the budget ``max_newton`` is spent.
    Returns ``u, tau, newton`` (the running count of Newton steps)."""
    for _ in range(50):
        s = qp.slacks(u, tau)
        r, gu, du, tau_terms = _barrier_gradient(qp, u, tau, t, s)
        dU, dtau = _newton_direction(qp, t, gu, du, tau_terms)
        dec = -(gu @ dU + (tau_terms[0] * dtau if qp.use_tau else 0.0))
        newton += 1
        if dec / 2 <= 1e-6:
            break
        u, tau = _damped_step(qp, u, tau, t, dU, dtau, r, s)
        if newton >= max_newton:
            break
    return u, tau, newton


def _barrier_gradient(qp: _BandedDual, u, tau, t: float, s):
    r"""Gradient and Hessian of :math:`t\,f(u,\tau)-\sum_i\log s_i` at the slacks ``s``.

    Returns ``r`` :math:`=\Omega^{-1}\lambda-y` (the gradient of f in :math:`\lambda`),
    ``gu`` :math:`=t\,Dr+\sum\pm1/s` (gradient in u), ``du`` (the diagonal the slacks add to
    the u-block :math:`t\,D\Omega^{-1}D^\top`) and, with :math:`\tau`,
    ``(gt, htt, hut)``: the gradient in :math:`\tau`, the :math:`\tau\tau` entry and the
    :math:`u\tau` column of the Hessian (None without :math:`\tau`)."""
    m, beta = qp.m, qp.beta
    lam = qp.lam_of(u, tau)
    r = qp.winv * lam - qp.y                      # gradient of f w.r.t. lam
    su1, su2 = s[0], s[1]
    gu = t * (_apply_D(r, qp.bands) if m else np.zeros(0)) + 1 / su1 - 1 / su2
    du = 1 / su1**2 + 1 / su2**2
    if not qp.use_tau:
        return r, gu, du, (None, None, None)
    sa1, sa2 = s[2], s[3]
    st1, st2 = beta - tau, beta + tau
    gu = gu + 1 / sa1 - 1 / sa2
    e = 1 / sa1**2 + 1 / sa2**2
    du = du + e
    gt = t * float(qp.q @ r) + float((1 / sa1 - 1 / sa2).sum()) + 1 / st1 - 1 / st2
    htt = t * qp.qwq + float(e.sum()) + 1 / st1**2 + 1 / st2**2
    hut = t * qp.Dwq + e
    return r, gu, du, (gt, htt, hut)


def _newton_direction(qp: _BandedDual, t: float, gu, du, tau_terms):
    r"""The Newton direction ``(dU, dtau)``: the u-block
    :math:`t\,D\Omega^{-1}D^\top+\operatorname{diag}(du)` is solved banded
    (:func:`_newton_solve`) for :math:`-g_u` and the :math:`u\tau` column, and the bordered
    row eliminated (Schur complement in :math:`\tau`)."""
    gt, htt, hut = tau_terms
    if not qp.m:
        return np.zeros(0), -gt / htt
    if not qp.use_tau:
        return _newton_solve(qp.bands, qp.winv, qp.gram, t, du, -gu), 0.0
    sol = _newton_solve(qp.bands, qp.winv, qp.gram, t, du, np.column_stack([-gu, hut]))
    x1, x2 = sol[:, 0], sol[:, 1]
    dtau = (-gt - hut @ x1) / (htt - hut @ x2)
    return x1 - x2 * dtau, dtau


def _damped_step(qp: _BandedDual, u, tau, t: float, dU, dtau, r, s):
    """The next point along ``(dU, dtau)``: the largest step keeping every slack positive
    (times 0.99), then a line search on the directional derivative (the barrier function is
    convex along the line; comparing its values would lose all precision once t * f is ~1e12
    times larger than the decrease), halved while rounding at the boundary of a very
    ill-conditioned step leaves a slack non-positive."""
    ds = [-dU, dU]
    if qp.use_tau:
        ds += [-dU - dtau, dU + dtau, np.array([-dtau, dtau])]
    pairs = list(zip(s, ds, strict=True))
    step = 1.0
    for sl, d in pairs:
        neg = d < 0
        if neg.any():
            step = min(step, 0.99 * float((-sl[neg] / d[neg]).min()))
    dlam = qp.lam_of(dU, dtau)
    step = _line_search(step, t, dlam, r, qp.winv * dlam, pairs)
    while True:
        un, tn = u + step * dU, tau + step * dtau
        if min(float(sl.min(initial=np.inf)) for sl in qp.slacks(un, tn)) > 0 or step == 0:
            return un, tn
        step *= 0.5


def _primal_candidates(qp: _BandedDual, u, tau, t: float, coef_rtol: float) -> list[RampFit]:
    r"""Primal fits from the dual point: the barrier multipliers :math:`1/(t\,s_i)` (and zero
    multipliers: the best constant fit, affine with a skip), and exact fits on the active sets
    that the dual point exposes at a few tolerances (:func:`_active_set_fits`); the caller
    keeps the best."""
    mult = [1.0 / (t * s) for s in qp.slacks(u, tau)]
    x, y, w, skip = qp.x, qp.y, qp.w, qp.skip
    cands = [_multiplier_fit(x, y, w, mult, skip, coef_rtol),
             _multiplier_fit(x, y, w, [np.zeros_like(v) for v in mult], skip, coef_rtol)]
    for eps in (1e-12, 1e-10, 1e-8, 1e-6, 1e-4, 1e-2):
        cands += _active_set_fits(qp, u, tau, eps)
    return cands


def _active_set_fits(qp: _BandedDual, u, tau, eps: float) -> list[RampFit]:
    r"""Exact fits (:func:`_polish`) with kinks where a dual constraint is active to within
    ``eps``: :math:`|u_j|\ge\beta(1-\varepsilon)` or :math:`|u_j+\tau|\ge\beta(1-\varepsilon)`,
    of the sign of the larger; the end slope's state from :math:`|\tau|`, and when it is
    inactive (degenerate) also pinned to either end. Fits whose systems are singular are
    skipped."""
    beta = qp.beta
    on_g = np.abs(u) >= beta * (1 - eps)
    score = np.abs(u)
    sign = np.sign(u)
    tau_state = 0
    if qp.use_tau:
        on_a = np.abs(u + tau) >= beta * (1 - eps)
        sign = np.where(on_a & (np.abs(u + tau) > score), np.sign(u + tau), sign)
        on_g = on_g | on_a
        tau_state = int(np.sign(tau)) if abs(tau) >= beta * (1 - eps) else 0
    active = np.zeros(qp.n, dtype=bool)
    active[1:-1] = on_g
    variants = [(tau_state, False)]
    if qp.use_tau and tau_state == 0:  # degenerate end slope: try it pinned to either end
        variants += [(1, True), (-1, True)]
    fits = []
    for state, pin in variants:
        try:
            fits.append(_polish(qp.x, qp.y, qp.w, beta, qp.skip, active, sign[on_g], state, pin))
        except (np.linalg.LinAlgError, ValueError, ZeroDivisionError):
            continue
    return fits


def _better_dual(qp: _BandedDual, best: RampFit, lam):
    r"""Of two dual points, the one with the larger dual value
    :math:`\lambda^\top y-\tfrac12\lambda^\top\Omega^{-1}\lambda`: the barrier point
    ``lam`` (strictly feasible) and the weighted residual :math:`\Omega(y-f(x))` of the fit
    ``best``, scaled into :math:`|A^\top\lambda|,|B^\top\lambda|\le\beta` when it satisfies
    the equality constraints (:math:`\mathbf 1^\top\lambda=0`, and :math:`x^\top\lambda=0`
    with a skip) to 1e-12 relative."""
    x, y, w, beta = qp.x, qp.y, qp.w, qp.beta
    lam_fit = w * (y - best.at_knots())
    a, b = ramp_dual_constraint(x, lam_fit)
    viol = max(np.abs(a).max(initial=0.0), np.abs(b).max(initial=0.0))
    ok = abs(lam_fit.sum()) <= 1e-12 * np.abs(lam_fit).sum() and (
        not qp.skip or abs(x @ lam_fit) <= 1e-12 * np.abs(x * lam_fit).sum())
    if ok and viol > 0:
        lam_fit = lam_fit * min(1.0, beta / viol)

        def dval(lm):
            return float(lm @ y) - 0.5 * float(lm @ (lm / w))

        if dval(lam_fit) > dval(lam):
            return lam_fit
    return lam


def _multiplier_fit(x, y, w, mult, skip, coef_rtol) -> RampFit:
    """The lasso coefficients as the barrier multipliers of the dual constraints."""
    n = x.size
    alpha, gamma = np.zeros(n), np.zeros(n)
    if skip:
        alpha[1:-1] = mult[0] - mult[1]  # the kink at x_j: one ramp with a skip
    else:
        gamma[1:-1] = mult[0] - mult[1]
        alpha[1:-1] = mult[2] - mult[3]
        alpha[0] = mult[4][0] - mult[4][1]
    big = max(np.abs(alpha).max(initial=0.0), np.abs(gamma).max(initial=0.0))
    alpha[np.abs(alpha) <= coef_rtol * big] = 0.0
    gamma[np.abs(gamma) <= coef_rtol * big] = 0.0
    fit = RampFit(x, alpha, gamma, 0.0, 0.0)
    resid = y - fit.at_knots()
    if skip and n >= 2:
        M = np.column_stack([np.ones(n), x - x.mean()]) * np.sqrt(w)[:, None]
        coef = np.linalg.lstsq(M, resid * np.sqrt(w), rcond=None)[0]
        fit.b0, fit.c = float(coef[0] - coef[1] * x.mean()), float(coef[1])
    else:
        fit.b0 = float(w @ resid / w.sum())
    return fit
