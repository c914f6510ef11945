r"""Deep linear networks with scalar output (:ref:`app-deep-linear`).

Two formulations, which must not be confused:

* :class:`DeepLinear` — the formulation (P2), the book's reading of the paper's: Frobenius-norm
  bound :math:`t` on layers :math:`1..L-2`, weight decay on the last two layers,

  .. math:: P^\star=\min\ \ell(XW_1\cdots W_{L-1}w_L)+\tfrac\beta2\big(\|W_{L-1}\|_F^2+\|w_L\|_2^2\big)
            \ \text{ s.t. }\ \|W_l\|_F\le t\ (l\le L-2).

  Its dual is the two-layer dual (D1) with :math:`\beta_{\rm eff}=\beta/t^{L-2}`, and strong
  duality holds: depth changes only the effective regularization.
* :class:`DeepLinearWeightDecay` — standard weight decay on every layer (:ref:`app-deep-weight-decay`),
  :math:`\tfrac\beta2\sum_l\|W_l\|_F^2`. Its end-to-end problem
  :math:`\min_w\tfrac12\|Xw-y\|^2+\tfrac{\beta L}2\|w\|_2^{2/L}` is **non-convex** for
  :math:`L\ge3`: the origin is a strict local minimum and there is no zero-gap convex dual in
  general.

Introduced in :ref:`ch-deep-linear`.
"""

from __future__ import annotations

import numbers
import time
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from scipy.optimize import brentq, minimize_scalar

from .._validation import (
    as_matrix,
    as_targets,
    as_vector,
    check_beta,
    check_betas,
    check_positive_float,
    finite_or_raise,
)
from ..losses import Loss, Squared
from ..solvers.closed_form import RidgePath, outside_unit_band, pow2_scale
from .base import (
    DualConstraint,
    Problem,
    Solution,
    certify,
    hidden_widths,
    penalized_value,
    sum_squares,
)
from .two_layer_linear import TwoLayerLinear, _norm

if TYPE_CHECKING:
    import torch

    from ..nets import DeepLinearNet

__all__ = ["DeepLinear", "DeepLinearWeightDecay", "FormulationNorms", "deep_weights",
           "formulation_norms", "schatten_weights"]

#: relative slack on the Frobenius constraints ||W_l||_F <= t when evaluating given weights
CONSTRAINT_TOL = 1e-9


def _check_depth(depth) -> int:
    if isinstance(depth, bool) or not isinstance(depth, numbers.Integral) or depth < 2:
        raise ValueError(
            f"depth must be an integer >= 2 (the number of weight layers L); got {depth!r}."
        )
    return int(depth)


def schatten_weights(W, widths, t: float, depth: int) -> list[np.ndarray]:
    r"""Deep weights of (P2) with product :math:`W` whose cost is
    :math:`\beta\|W\|_{S_{2/L}}/t^{L-2}` (vector outputs, :ref:`app-deep-vector`).

    With :math:`W=P\,\mathrm{diag}(\varsigma)\,Q^\top` of rank :math:`r`, the constrained layers are
    :math:`W_l=t\,U_{l-1}\mathrm{diag}(\mu^{1/(L-2)})U_l^\top` with
    :math:`\mu_k\propto\varsigma_k^{(L-2)/L}`, :math:`\sum_k\mu_k^{2/(L-2)}=1` (so
    :math:`\|W_l\|_F=t`), and the last two are the balanced factorization of
    :math:`Z=\mathrm{diag}(\varsigma/(t^{L-2}\mu))`: this choice of :math:`\mu` minimizes the
    nuclear norm of :math:`Z`, which gives the Schatten-:math:`2/L` cost (Schatten–Hölder equality).
    Every hidden width must be at least :math:`r`.
    """
    W = as_matrix(W, "W")
    L = _check_depth(depth)
    widths = hidden_widths(widths, L - 1, "widths")
    t = check_positive_float(t, "t")
    P, s, Qt = np.linalg.svd(W, full_matrices=False)
    r = int(np.sum(s > 1e-9 * s[0])) if s.size and s[0] > 0 else 0
    if r > min(widths):
        raise ValueError(f"every hidden width must be at least rank(W) = {r}; got {widths}.")
    d, K = W.shape
    dims = [d, *widths, K]
    layers = [np.zeros((dims[i], dims[i + 1])) for i in range(L)]
    nc = L - 2
    if nc:
        q = 2.0 / nc
        mu = s[:r] ** (1.0 / (q + 1)) if r else np.ones(1)
        mu = mu / np.sum(mu**q) ** (1 / q)
        U_prev = P[:, :r] if r else np.eye(d, 1)
        k = max(r, 1)
        for i in range(nc):
            U_next = np.eye(dims[i + 1], k)
            layers[i] = t * (U_prev * mu[:k] ** (1.0 / nc)) @ U_next.T
            U_prev = U_next
    else:
        mu, U_prev = np.ones(r), P[:, :r]
    if r:
        z = s[:r] / (t**nc * mu[:r]) if nc else s[:r]
        R = np.eye(dims[L - 1], r)
        layers[L - 2] = (U_prev[:, :r] * np.sqrt(z)) @ R.T
        layers[L - 1] = (R * np.sqrt(z)) @ Qt[:r]
    return layers


def _whitened(X: np.ndarray) -> bool:
    return bool(np.allclose(X.T @ X, np.eye(X.shape[1]), rtol=0, atol=1e-10))


def _wd_constant(L: int) -> float:
    r"""The constant :math:`\frac{2/L}{2-p}\big(\frac{2(1-p)}{2-p}\big)^{1-p}`, :math:`p=2/L`, of
    the zero threshold of weight decay on every layer (:meth:`DeepLinearWeightDecay.beta_max_for`)."""
    p = 2.0 / L
    return (p / (2 - p)) * (2 * (1 - p) / (2 - p)) ** (1 - p)


def _wd_threshold_whitened(X: np.ndarray, Y: np.ndarray, L: int) -> float:
    """The zero threshold on whitened data: the constant times sigma_1(X^T Y)^(2 - 2/L)."""
    G = X.T @ Y
    sigma = float(np.linalg.norm(G, 2)) if G.ndim == 2 else float(np.linalg.norm(G))
    return _wd_constant(L) * sigma ** (2 - 2.0 / L)


def _wd_threshold(rp: RidgePath, L: int, grid: int = 2000) -> float:
    r"""The zero threshold of weight decay on every layer (scalar output): the constant times
    :math:`\max_{\mu>0}(y^\top Xu)^{2-p}/\|Xu\|^{2(1-p)}` along the ridge path
    :math:`u(\mu)\propto(X^\top X+\mu I)^{-1}X^\top y`, on a log grid of ``grid`` points
    spanning the spectrum (and 12 decades on either side), refined by a bounded 1-D search."""
    if rp.rank == 0 or not np.any(rp.b):
        return 0.0
    p = 2.0 / L
    if L == 2:
        return rp.xty_norm
    b2, s2 = rp.b**2, rp.s2

    def neg_log_ratio(log_mu):
        q = 1.0 / (s2 + np.exp(np.atleast_1d(log_mu))[:, None])
        ww = np.sum(b2 * q * q, axis=1)            # ||w||^2
        a = np.sum(b2 * q, axis=1) / np.sqrt(ww)   # y^T X u
        bb = np.sum(s2 * b2 * q * q, axis=1) / ww  # ||X u||^2
        return -((2 - p) * np.log(a) - (1 - p) * np.log(bb))

    lo, hi = np.log(s2.min()) - 12 * np.log(10.0), np.log(s2.max()) + 12 * np.log(10.0)
    pts = np.linspace(lo, hi, grid)
    vals = neg_log_ratio(pts)
    i = int(np.argmin(vals))
    best = -float(vals[i])
    res = minimize_scalar(lambda z: float(neg_log_ratio(z)[0]),
                          bounds=(pts[max(i - 1, 0)], pts[min(i + 1, grid - 1)]), method="bounded",
                          options={"xatol": 1e-12})
    best = max(best, -float(res.fun))
    return _wd_constant(L) * float(np.exp(best))


def _power_shrink(sigma: float, beta: float, L: int) -> float:
    r""":math:`\arg\min_{s\ge0}\tfrac12(s-\sigma)^2+\tfrac{\beta L}2s^{2/L}` (:ref:`app-deep-vector-wd`).

    For :math:`L=2` this is soft-thresholding. For :math:`L\ge3` the stationarity function
    :math:`h(s)=s+\beta s^{2/L-1}-\sigma` is convex with its minimum at
    :math:`s_0=(\beta(1-2/L))^{L/(2L-2)}`: if :math:`h(s_0)\ge0` the answer is 0, otherwise the
    larger root of :math:`h` (the local minimum) is compared with :math:`s=0`.
    """
    if L == 2:
        return max(sigma - beta, 0.0)
    if sigma <= 0:
        return 0.0
    a = 2.0 / L - 1.0
    s0 = (beta * (1 - 2.0 / L)) ** (L / (2 * L - 2))

    def h(s: float) -> float:
        return s + beta * s**a - sigma

    if h(s0) >= 0:
        return 0.0
    hi = max(sigma, s0 * 2)
    s = brentq(h, s0, hi, xtol=1e-300, rtol=4 * np.finfo(float).eps)
    g = 0.5 * (s - sigma) ** 2 + 0.5 * beta * L * s ** (2.0 / L)
    return s if g < 0.5 * sigma**2 else 0.0


def deep_weights(w, widths, t: float, n_constrained: int, seed: int | None = None) -> list[np.ndarray]:
    r"""Rank-one, aligned deep weights whose product is :math:`w`.

    With :math:`\rho_0=w/\|w\|` and unit vectors :math:`\rho_l\in\mathbb R^{m_l}`:
    :math:`W_l=t\,\rho_{l-1}\rho_l^\top` for the first ``n_constrained`` layers, then the balanced
    pair :math:`W_{L-1}=\rho_{L-2}r^\top`, :math:`w_L=r` with
    :math:`\|r\|_2^2=\|w\|_2/t^{\,n_{\rm constrained}}` (:ref:`app-deep-structure`). The :math:`\rho_l` are
    arbitrary: ``seed=None`` takes :math:`\mathbf 1/\sqrt{m_l}` and an equal split of :math:`r`; a
    seed draws random directions (every choice is optimal).
    """
    w = as_vector(w, "w")
    if isinstance(n_constrained, bool) or not isinstance(n_constrained, numbers.Integral) \
            or n_constrained < 0:
        raise ValueError(f"n_constrained must be an integer >= 0; got {n_constrained!r}.")
    widths = hidden_widths(widths, int(n_constrained) + 1, "widths")
    if isinstance(t, bool) or not isinstance(t, numbers.Real) or not np.isfinite(t) or t < 0:
        raise ValueError(f"t must be a finite number >= 0; got {t!r}.")
    norm = _norm(w)
    rng = None if seed is None else np.random.default_rng(seed)

    def unit(m: int) -> np.ndarray:
        v = np.ones(m) if rng is None else rng.standard_normal(m)
        return v / np.linalg.norm(v)

    if norm == 0.0:
        dims = [w.size, *widths]
        zeros = [np.zeros((dims[i], dims[i + 1])) for i in range(len(widths))]
        # constrained layers stay on their sphere; the last two carry the zero
        for i in range(n_constrained):
            zeros[i] = t * np.outer(unit(dims[i]), unit(dims[i + 1]))
        return [*zeros, np.zeros(widths[-1])]
    rho = [w / norm] + [unit(m) for m in widths[:n_constrained]]
    layers = [t * np.outer(rho[i], rho[i + 1]) for i in range(n_constrained)]
    a = unit(widths[-1]) * np.sqrt(norm / t**n_constrained)
    return [*layers, np.outer(rho[n_constrained], a), a]


class _DeepLinearBase(Problem):
    """Shared data handling and weight checks of the two deep linear formulations."""

    loss: Loss  # both formulations set a Loss object (the convex problem's, or Squared())

    def _setup(self, X, y, beta, depth, loss, vector_ok: bool = False):
        self.X = as_matrix(X, "X")
        self.n, self.d = self.X.shape
        self.y = as_targets(y, "y", n=self.n) if vector_ok else as_vector(y, "y", n=self.n)
        self.K = 1 if self.y.ndim == 1 else self.y.shape[1]
        self.beta = check_beta(beta)
        self.depth = _check_depth(depth)
        self._x_fro = _norm(self.X)
        # powers of two of X and y, computed once (the data never change; with_beta shares them)
        self._scales = (pow2_scale(self.X) if self.K == 1 else 1.0, pow2_scale(self.y))

    def _check_weights(self, weights) -> list[np.ndarray]:
        ws = self._weights_of(weights)
        L = self.depth
        if len(ws) != L:
            raise ValueError(f"weights must list depth = {L} layers [W1, ..., wL]; got {len(ws)}.")
        mats = [as_matrix(W, f"weights[{i}] (W{i + 1})") for i, W in enumerate(ws[:-1])]
        if self.K > 1:
            last = as_matrix(ws[-1], f"weights[{L - 1}] (W{L})")
            if last.shape[1] != self.K:
                raise ValueError(f"W{L} must have K={self.K} columns; got shape {last.shape}.")
        else:
            last = as_vector(ws[-1], f"weights[{L - 1}] (w{L})")
        prev = self.d
        for i, W in enumerate(mats):
            if W.shape[0] != prev:
                raise ValueError(
                    f"W{i + 1} must have {prev} rows to chain with the previous layer; "
                    f"got shape {W.shape}."
                )
            prev = W.shape[1]
        if last.shape[0] != prev:
            raise ValueError(f"w{L} must have {prev} entries; got {last.shape[0]}.")
        return [*mats, last]

    @staticmethod
    def _product(ws) -> np.ndarray:
        M = ws[0]
        for W in ws[1:]:
            M = M @ W
        return M

    #: hidden width of :meth:`network` when none is given (:meth:`solve` returns the smallest
    #: widths that represent the optimum: 1, or the rank for vector outputs)
    default_width: int = 10

    def _net_kwargs(self) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    def network(self, width=None, seed: int = 0, init_scale: float = 1.0, *,
                widths=None) -> DeepLinearNet:
        """A randomly initialised torch network of this architecture; ``width`` is an int (all
        hidden layers) or a list of depth - 1 hidden widths, default :attr:`~dualkit.Problem.default_width`
        (``widths=`` is its deprecated old name)."""
        from ..nets import DeepLinearNet
        width = self._width(width, widths, self.default_width)
        return DeepLinearNet(self.d, hidden_widths(width, self.depth - 1), out=self.K, seed=seed,
                             init_scale=init_scale, **self._net_kwargs())

    def check_network(self, net) -> None:
        """Raise ValueError unless ``net`` has this problem's architecture."""
        from ..nets import DeepLinearNet
        want = self._net_kwargs()
        ok = (isinstance(net, DeepLinearNet) and net.depth == self.depth and net.d == self.d
              and net.out == self.K and net.sphere_layers == want.get("sphere_layers", 0)
              and (net.sphere_layers == 0 or net.radius == want.get("radius")))
        if not ok:
            got = (f"depth={net.depth}, d={net.d}, out={net.out}, sphere_layers={net.sphere_layers}"
                   if isinstance(net, DeepLinearNet) else type(net).__name__)
            raise ValueError(
                f"net must be a depth-{self.depth} linear network with d={self.d} inputs and one "
                f"output as made by prob.network(width, seed) ({want}); got {got}."
            )


class DeepLinear(_DeepLinearBase):
    r"""The deep linear formulation (P2): the book's reading of the paper's (:ref:`app-deep-linear`).

    Layers :math:`1..L-2` carry the constraint :math:`\|W_l\|_F\le t`, the last two weight decay.

    * Convex program and dual: (C1)/(D1) at :math:`\beta_{\rm eff}=\beta/t^{L-2}`; strong
      duality holds.
    * Every optimum is rank one and aligned: :math:`W_l=t\rho_{l-1}\rho_l^\top`,
      :math:`W_{L-1}=\rho_{L-2}r^\top`, :math:`w_L=r` with
      :math:`\rho_0=X^\top\lambda^\star/\|X^\top\lambda^\star\|`; the constraints are active.
    * Zero threshold: :math:`w^\star=0\iff t^{L-2}\|X^\top y\|_2\le\beta`.
    * ``beta=0`` is minimum-norm interpolation, with value :math:`\|X^\dagger y\|_2/t^{L-2}`.
    * Vector targets :math:`Y\in\mathbb R^{n\times K}`: for depth >= 3 the nuclear-norm dual is
      only a lower bound and ``solve()`` reports the gap instead of claiming optimality
      (:ref:`app-deep-vector`).

    Introduced in :ref:`ch-deep-linear`.

    Parameters
    ----------
    X : array of shape (n, d)
        Inputs.
    y : array of shape (n,) or (n, K)
        Targets.
    beta : float
        Weight decay of the last two layers, :math:`\beta\ge0` (``0``: min-norm interpolation).
    depth : int
        Number of weight layers :math:`L\ge2` (``depth=2`` is the two-layer network).
    t : float
        Frobenius bound of layers :math:`1..L-2` (> 0).
    loss : Loss or str
        A convex loss; the closed form needs ``"squared"`` (default).
    """

    methods = TwoLayerLinear.methods

    def __init__(self, X, y, beta: float, depth: int = 3, t: float = 1.0, loss="squared"):
        self._setup(X, y, beta, depth, loss, vector_ok=True)
        self.t = check_positive_float(t, "t")
        #: number of Frobenius-constrained layers, L - 2
        self.n_constrained = self.depth - 2
        self.t_power = self._t_power(self.t, self.n_constrained)
        self.convex = TwoLayerLinear(self.X, self.y, self._beta_eff(self.beta), loss)
        self.loss = self.convex.loss
        self.y = self.convex.y
        self._set_beta(self.beta)

    @staticmethod
    def _t_power(t: float, n_constrained: int) -> float:
        with np.errstate(over="ignore", under="ignore"):
            #: t^(L-2), the gain of the constrained layers
            t_power = float(np.float64(t) ** n_constrained)
        if not np.isfinite(t_power) or t_power == 0.0:
            raise ValueError(
                f"t^(depth-2) = {t}^{n_constrained} is not representable in float64; "
                "choose t closer to 1 (only beta / t^(depth-2) matters)."
            )
        return t_power

    def _beta_eff(self, beta: float) -> float:
        beta_eff = beta / self.t_power
        if not np.isfinite(beta_eff):
            raise ValueError(
                f"beta / t^(depth-2) = {beta} / {self.t_power} overflows; choose t closer to 1."
            )
        return beta_eff

    def _set_beta(self, beta: float) -> None:
        """The effective strength and the two-layer problem at it (sharing its factorization)."""
        #: effective regularization of the equivalent two-layer problem, beta / t^(L-2)
        self.beta_eff = self._beta_eff(beta)
        if self.convex.beta != self.beta_eff:
            self.convex = self.convex.with_beta(self.beta_eff)
        # with beta = 0 the cost is ||a||^2 = ||w|| / t^(L-2), not ||w||
        self._value_scale = 1.0 / self.t_power if beta == 0 else 1.0

    @property
    def beta_max(self) -> float:
        r"""Zero threshold :math:`t^{L-2}\|X^\top y\|_2`. The optimum is zero if and only if
        :math:`\beta` is at least this value."""
        return self.convex.beta_max * self.t_power

    @classmethod
    def beta_max_for(cls, X, y, depth: int = 3, t: float = 1.0, loss="squared") -> float:
        r"""The zero threshold :math:`t^{L-2}\|X^\top(-\nabla\ell(0))\|_2` of data ``X``, ``y``
        from the data alone (:meth:`TwoLayerLinear.beta_max_for` times :math:`t^{L-2}`)."""
        power = cls._t_power(check_positive_float(t, "t"), _check_depth(depth) - 2)
        return TwoLayerLinear.beta_max_for(X, y, loss) * power

    def objective(self, weights) -> float:
        r"""Objective of (P2) at ``[W1, ..., wL]`` or a network; ``inf`` if a constraint
        :math:`\|W_l\|_F\le t` (l <= L-2) is violated by more than a relative 1e-9.
        With ``beta=0``: :math:`\tfrac12(\|W_{L-1}\|_F^2+\|w_L\|^2)` if the weights interpolate.
        Never NaN: ``inf`` where the weight decay exceeds float64's range, a ``ValueError``
        where only the prediction overflows (``dualkit.problems.base.penalized_value``);
        the product is formed with the constrained layers divided by :math:`t`, so any
        :math:`t` with :math:`t^{L-2}` in float64's range works (e.g. ``t=1e300``, depth 3)."""
        ws = self._check_weights(weights)
        nc, t = self.n_constrained, self.t
        # ||W_l / t|| <= 1: no overflow at t = 1e300 (||W_l||^2 would read inf)
        if any(_norm(W / t) > 1 + CONSTRAINT_TOL for W in ws[:nc]):
            return np.inf
        reg = 0.5 * sum_squares(ws[-2:])
        with np.errstate(over="ignore", invalid="ignore"):
            # the product with the constrained layers normalized by t, times t^(L-2) at the end:
            # the layers of norm t and the last two of norm ~ t^(-(L-2)/2) meet at the scale of w
            v = ws[-2] @ ws[-1]
            for W in reversed(ws[:nc]):
                v = (W / t) @ v
            w = v * self.t_power
        if self.beta == 0.0:
            # interpolation decides (the two-layer objective of w is finite exactly then)
            return reg if np.isfinite(self.convex.convex_objective(w)) else np.inf
        with np.errstate(over="ignore"):
            penalty = self.beta * reg
        return penalized_value(lambda: self.loss.value(self.X @ w, self.y), penalty,
                               "the prediction X W1 ... wL")

    def dual_objective(self, lam) -> float:
        r"""Dual objective of (D2): :math:`-\ell^*(-\lambda)` if
        :math:`\|X^\top\lambda\|_2\le\beta/t^{L-2}`, else ``-inf`` (a lower bound on (P2)).
        With ``beta=0``: :math:`\lambda^\top y/t^{L-2}` if :math:`\|X^\top\lambda\|_2\le1`."""
        return self.convex.dual_objective(lam) * self._value_scale

    def dual_constraint(self, lam) -> DualConstraint:
        r"""The constraint of (D2) that decides whether ``lam`` is dual feasible: the two-layer
        one (:meth:`TwoLayerLinear.dual_constraint`) at :math:`\beta_{\rm eff}=\beta/t^{L-2}`."""
        c = self.convex.dual_constraint(lam)
        if c.condition or self.beta == 0:
            return c
        return c._replace(bound_name="β_eff = β/t^(L−2)" if self.depth > 2 else "β")

    def feasible_dual(self, lam) -> np.ndarray:
        r"""Scale ``lam`` into the dual feasible set of (D2), that of the two-layer problem at
        :math:`\beta_{\rm eff}` (:meth:`TwoLayerLinear.feasible_dual`)."""
        return self.convex.feasible_dual(lam)

    def solve(self, method: str = "auto", width=None, verbose: bool = False, *,
              seed: int | None = None, solver: str | None = None, widths=None) -> Solution:
        r"""Global optimum of (P2) through the two-layer convex program at :math:`\beta_{\rm eff}`.

        ``width`` (an int or depth - 1 ints; default 1, or the rank for vector outputs) sets the
        shape of the returned optimal weights, built by :func:`deep_weights` (``seed`` picks the
        arbitrary unit vectors :math:`\rho_l`); ``widths=`` is its deprecated old name.
        ``method`` is that of :meth:`TwoLayerLinear.solve` (``"auto"``: the closed form for the
        squared loss), ``solver`` its cvxpy solver; ``verbose`` prints the two-layer solve's line
        and a summary line.
        ``sol.certified`` follows :func:`~dualkit.problems.base.certify` with the two-layer
        solver's tolerance, for scalar and vector outputs alike.

        **Vector outputs, depth >= 3** (:ref:`app-deep-vector`): the nuclear-norm dual at
        :math:`\beta_{\rm eff}` is only a lower bound, because (P2) equals the non-convex
        Schatten problem :math:`\min_W\ell(XW)+\beta_{\rm eff}\|W\|_{S_{2/L}}` with
        :math:`\|W\|_{S_{2/L}}=(\sum_k\sigma_k^{2/L})^{L/2}\ge\|W\|_*`. The solution then holds
        that dual bound and the best primal point found (the nuclear-norm solution or the best
        rescaled rank-one truncation, realized by :func:`schatten_weights`), with
        ``certified=True`` only when the two meet, which needs a rank-one optimum; otherwise
        ``info["open"]`` says why the value is not proved optimal and ``info["dual_optimal"]``
        whether the dual value is the optimum of the nuclear-norm dual.
        """
        t0 = time.perf_counter()
        width = self._width(width, widths)
        conv = self.convex.solve(method=method, solver=solver, verbose=verbose)
        sol = self._deepen(conv, width, seed, t0)
        if verbose:
            print(f"DeepLinear.solve: {sol!r}")
        return sol

    def _deepen(self, conv: Solution, width, seed, t0: float) -> Solution:
        """The solution of (P2) from that of the two-layer problem at beta_eff."""
        if self.K > 1:
            return self._solve_vector(conv, width, t0)
        widths = hidden_widths(1 if width is None else width, self.depth - 1)
        weights = deep_weights(conv.w, widths, self.t, self.n_constrained, seed)
        value = self.objective(weights)
        dual_value = conv.dual_value * self._value_scale
        return Solution(
            value=value, weights=weights, dual=conv.dual, dual_value=dual_value,
            method=conv.method, solve_time=time.perf_counter() - t0,
            certified=certify(value, dual_value, conv.method,
                              conv.info.get("rounding_floor", 0.0) * self._value_scale),
            beta=self.beta, w=conv.w, info={**conv.info, "beta_eff": self.beta_eff},
        )

    def schatten_objective(self, W) -> float:
        r"""(P2)'s value as a function of the end-to-end map (vector outputs):
        :math:`\ell(XW)+\beta_{\rm eff}\|W\|_{S_{2/L}}` (:ref:`app-deep-vector`)."""
        W = as_matrix(W, "W")
        s = np.linalg.svd(W, compute_uv=False)
        # rounding-level singular values are zeros: s^(2/L) would inflate them (1e-16 -> 4e-7)
        s = s[s > 1e-12 * s[0]] if s.size and s[0] > 0 else s[:0]
        quasi = float(np.sum(s ** (2 / self.depth)) ** (self.depth / 2)) if s.size else 0.0
        return self.loss.value(self.X @ W, self.y) + self.beta_eff * quasi

    def _best_rank_one(self, W0: np.ndarray, iters: int = 200) -> np.ndarray:
        r"""A rank-one :math:`W=wv^\top` (:math:`\|v\|=1`) by alternating minimization of
        :math:`\tfrac12\|XW-Y\|^2+\beta_{\rm eff}\|W\|` (all Schatten norms agree at rank one):
        for fixed :math:`v` it is the single-group lasso with targets :math:`Yv` (closed form of
        :ref:`app-closed-form`); for fixed :math:`w`, :math:`v\propto Y^\top Xw`. Starts from the top
        singular pair of ``W0``; each step cannot increase the objective."""
        rp = RidgePath(self.X, self.y[:, 0], method="svd")
        _, _, Qt = np.linalg.svd(W0, full_matrices=False)
        v = Qt[0]
        w = np.zeros(self.d)
        prev = np.inf
        for _ in range(iters):
            w = rp.with_targets(self.y @ v).solve(self.beta_eff)
            if not np.any(w):
                break
            g = self.y.T @ (self.X @ w)
            v = g / np.linalg.norm(g)
            val = self.schatten_objective(np.outer(w, v))
            if prev - val <= 1e-15 * abs(val):
                break
            prev = val
        return np.outer(w, v)

    def _solve_vector(self, conv: Solution, width, t0: float) -> Solution:
        W_nuc = conv.w
        # the nuclear-norm solve of TwoLayerLinear always returns its end-to-end matrix w
        assert W_nuc is not None, "TwoLayerLinear.solve returned no end-to-end matrix w"
        cands = [W_nuc, np.zeros_like(W_nuc)]
        if np.any(W_nuc) and isinstance(self.loss, Squared) and self.depth > 2:
            cands.append(self._best_rank_one(W_nuc))
        vals = [self.schatten_objective(W) for W in cands]
        W = cands[int(np.argmin(vals))]
        rank = (int(np.linalg.matrix_rank(W, 1e-9 * max(float(np.linalg.norm(W, 2)), 1e-300)))
                if np.any(W) else 0)
        widths = hidden_widths(max(rank, 1) if width is None else width, self.depth - 1)
        weights = schatten_weights(W, widths, self.t, self.depth)
        value = self.objective(weights)
        dual_value = conv.dual_value
        certified = certify(value, dual_value, conv.method, conv.info.get("rounding_floor", 0.0))
        open_ = {} if certified else {
            "open": "deep linear networks with vector outputs have a duality gap here "
                    "(app-deep-vector): the nuclear-norm dual is only a lower bound, and the best "
                    "network known is not proved optimal",
            "dual_optimal": conv.certified}
        return Solution(
            value=value, weights=weights, dual=conv.dual, dual_value=dual_value,
            method=conv.method, solve_time=time.perf_counter() - t0, certified=certified,
            beta=self.beta, w=W,
            info={**conv.info, "beta_eff": self.beta_eff, "nuclear_value": conv.value,
                  "candidates": {"nuclear": vals[0], "zero": vals[1],
                                 **({"rank_one": vals[2]} if len(vals) > 2 else {})},
                  "note": "vector outputs at depth >= 3: the dual is a lower bound (derivations "
                          "appendix, app-deep-vector); "
                          "the primal is the best point found, not a certified optimum",
                  **open_},
        )

    def path(self, betas, width=None, *, widths=None) -> list[Solution]:
        """Solutions for many betas: the two-layer path at the betas / t^(L-2)
        (:meth:`TwoLayerLinear.path`, one factorization of X, batched for the squared loss),
        each made deep as :meth:`solve` does (``widths=``: deprecated old name of ``width``)."""
        t0 = time.perf_counter()
        width = self._width(width, widths)
        betas = check_betas(betas)
        convs = self.convex.path([self._beta_eff(b) for b in betas], width=None)
        return [self.with_beta(b)._deepen(conv, width, None, t0)
                for b, conv in zip(betas, convs, strict=True)]

    def _net_kwargs(self) -> dict:
        return {"sphere_layers": self.n_constrained, "radius": self.t}

    def torch_objective(self, net, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        r"""(P2) of a torch network: loss plus weight decay on the last two layers (the first
        :math:`L-2` layers are on the Frobenius sphere by construction)."""
        if self.beta == 0.0:
            raise ValueError(
                "beta=0 is the constrained interpolation problem and cannot be trained by "
                "penalised gradient descent; train at a small beta > 0 instead."
            )
        self.check_network(net)
        ws = net.layer_tensors()
        reg = (ws[-2] ** 2).sum() + (ws[-1] ** 2).sum()
        return self.loss.torch_value(net(X), y) + 0.5 * self.beta * reg

    def __repr__(self) -> str:
        return (f"DeepLinear(n={self.n}, d={self.d}, beta={self.beta:.6g}, depth={self.depth}, "
                f"t={self.t:g}, beta_eff={self.beta_eff:.6g}, loss={self.loss.name!r})")


class DeepLinearWeightDecay(_DeepLinearBase):
    r"""Deep linear network with standard weight decay on every layer (:ref:`app-deep-weight-decay`).

    .. math:: P^\star&=\min\ \tfrac12\|XW_1\cdots w_L-y\|^2+\tfrac\beta2\sum_{l=1}^L\|W_l\|_F^2\\
              &=\min_w\ \tfrac12\|Xw-y\|^2+\tfrac{\beta L}2\|w\|_2^{2/L}

    by AM–GM, with equality for balanced rank-one aligned layers of equal norms
    :math:`\|W_l\|_F=\|w^\star\|^{1/L}`. For :math:`L\ge3` this is **non-convex** in :math:`w`:
    the origin is a strict local minimum for every :math:`\beta>0`, :math:`w^\star(\beta)` jumps
    to zero discontinuously, and there is no zero-gap convex dual in general. ``solve()`` finds
    the global optimum exactly anyway: every non-zero stationary point lies on the ridge path
    :math:`w(\mu)=(X^\top X+\mu I)^{-1}X^\top y` with :math:`\mu=\beta\|w\|^{2/L-2}`, a scalar
    equation whose roots are all bracketed on a fine log grid and refined; the best of them is
    compared with :math:`w=0`. The result is exact but **not** a duality certificate for
    :math:`L\ge3`: :meth:`~dualkit.Problem.lower_bound` is this exactly computed optimum.

    **The Lagrangian dual** (:meth:`dual_objective`): with :math:`z=Xw`,
    :math:`\inf_w\tfrac{\beta L}2\|w\|^{2/L}+\lambda^\top Xw` is :math:`-\infty` unless
    :math:`X^\top\lambda=0` when :math:`2/L<1`, so for :math:`L\ge3` the dual is
    :math:`\max\{\lambda^\top y-\tfrac12\|\lambda\|^2: X^\top\lambda=0\}
    =\tfrac12\|(I-XX^\dagger)y\|^2`, the least-squares residual: a valid lower bound that
    does not see :math:`\beta`, strictly below :math:`P^\star` whenever the optimum uses
    :math:`X` (the duality gap of the non-convex problem). For :math:`L=2` it is (D1) of
    :class:`TwoLayerLinear`, :math:`\|X^\top\lambda\|_2\le\beta`, with strong duality, and
    ``solve()`` is certified. ``sol.dual`` is this dual's optimum, ``sol.dual_value`` its value.

    Introduced in :ref:`ch-deep-linear`.
    """

    methods = ("ridge_path",)

    def __init__(self, X, y, beta: float, depth: int = 3):
        self._setup(X, y, beta, depth, "squared", vector_ok=True)
        self.loss = Squared()
        if self.K > 1 and not _whitened(self.X):
            raise ValueError(
                "vector outputs with weight decay on every layer are solved only for whitened "
                "data, X^T X = I (the closed form of the derivations appendix, app-deep-vector-wd); "
                "whiten X, or use DeepLinear."
            )
        # no certificate to catch an inaccurate Gram factorization here: always the SVD (shared
        # by with_beta; vector outputs need none)
        # (built when first needed outside the band of data solved as given, where the solve
        # works on the data at unit scale)
        self._path = (RidgePath(self.X, self.y, method="svd")
                      if self.K == 1 and self._unit_scales() is None else None)
        self._set_beta(self.beta)

    def _set_beta(self, beta: float) -> None:
        if beta == 0.0:
            raise ValueError("beta must be > 0 for the weight-decay formulation; got 0.")

    @property
    def ridge_path(self) -> RidgePath:
        """The SVD of X (scalar outputs) that every solve along beta reuses."""
        if self.K > 1:
            raise ValueError("vector outputs (whitened X) need no ridge path.")
        if self._path is None:
            self._path = RidgePath(self.X, self.y, method="svd")
        return self._path

    # ------------------------------------------------------------------ the zero threshold
    @property
    def beta_max(self) -> float:
        r"""The zero threshold, the least :math:`\beta` at which :math:`w^\star=0`
        (:meth:`beta_max_for`)."""
        scales = self._unit_scales()
        if scales is not None:
            # beta_max(aX, cy) = c^(2 - 2/L) a^(2/L) beta_max(X, y) (see _unit_beta)
            a, c = scales
            L = self.depth
            log = np.log(self._unit().beta_max) + (2 - 2 / L) * np.log(c) + (2 / L) * np.log(a)
            with np.errstate(over="ignore"):
                return finite_or_raise(float(np.exp(log)), "beta_max at this scale of X and y",
                                       "rescale X and y")
        if self.K > 1:
            return _wd_threshold_whitened(self.X, self.y, self.depth)
        return _wd_threshold(self.ridge_path, self.depth)

    # ------------------------------------------------------------------ any scale of the data
    def _unit_scales(self) -> tuple[float, float] | None:
        """``(a, c)``: powers of two with ``X / a`` and ``y / c`` of entries of order 1, where X
        or y lies outside the band solved as given
        (:func:`~dualkit.solvers.closed_form.outside_unit_band`); None inside it. Whitened X
        (vector outputs) is not rescaled (``a = 1``)."""
        a, c = self._scales
        return (a, c) if outside_unit_band(a, c) else None

    def _unit_beta(self) -> float:
        r"""The strength of the problem at unit scale: with :math:`X=aX'`, :math:`y=cy'` and
        :math:`w=(c/a)v`,

        .. math:: \tfrac12\|Xw-y\|^2+\tfrac{\beta L}2\|w\|^{2/L}
                  =c^2\big(\tfrac12\|X'v-y'\|^2+\tfrac{\beta'L}2\|v\|^{2/L}\big),\quad
                  \beta'=\beta\,c^{2/L-2}a^{-2/L},

        computed in logarithms; capped at 1e300 (far above the zero threshold at unit scale,
        where the answer is the zero network either way). A ValueError where it underflows."""
        a, c = self._unit_scales()  # type: ignore[misc]
        L = self.depth
        log = np.log(self.beta) + (2 / L - 2) * np.log(c) - (2 / L) * np.log(a)
        if log < np.log(np.finfo(float).tiny):
            raise ValueError(
                f"beta = {self.beta:g} is below float64's range relative to the scale of X and y "
                f"(the equivalent strength at unit scale, beta c^(2/L-2) a^(-2/L), is "
                f"exp({log:.0f})); use a larger beta or rescale X and y.")
        return float(np.exp(min(log, np.log(1e300))))

    def _unit(self) -> DeepLinearWeightDecay:
        """The problem on ``X / a``, ``y / c`` at ``_unit_beta`` (cached, its SVD shared by
        :meth:`~dualkit.Problem.with_beta`)."""
        a, c = self._unit_scales()  # type: ignore[misc]
        beta_u = self._unit_beta()
        unit = getattr(self, "_unit_problem", None)
        if unit is None:
            unit = DeepLinearWeightDecay(self.X / a, self.y / c, beta_u, self.depth)
        elif unit.beta != beta_u:
            unit = unit.with_beta(beta_u)
        self._unit_problem = unit
        return unit

    def _solve_rescaled(self, width, seed, t0: float) -> Solution:
        """:meth:`solve` on the data at unit scale, mapped back: every layer times
        :math:`(c/a)^{1/L}` (balanced layers stay balanced), the dual point times :math:`c`;
        value and dual value evaluated again at the original scale. A ValueError where the
        optimal value :math:`c^2P'` overflows float64."""
        a, c = self._unit_scales()  # type: ignore[misc]
        ref = self._unit().solve(width=width, seed=seed)
        L = self.depth
        k = float(np.exp((np.log(c) - np.log(a)) / L))
        weights = [W * k for W in ref.weights]
        assert ref.w is not None and ref.dual is not None
        w = ref.w * (c / a)
        value = finite_or_raise(self.objective(weights), "the optimal value at this scale of y "
                                "(c^2 times that at unit scale)", "rescale y")
        lam = ref.dual * c
        dual_value = self.dual_objective(lam)
        floor = self._rounding_floor(lam)
        return Solution(
            value=value, weights=weights, dual=lam, dual_value=dual_value, method=ref.method,
            solve_time=time.perf_counter() - t0,
            certified=certify(value, dual_value, "closed_form", floor), beta=self.beta, w=w,
            info={**ref.info, "dual_optimal": True, "rounding_floor": floor,
                  "rescaled": {"a": a, "c": c, "beta": self._unit_beta(),
                               "values_at_unit_scale": True}})

    @classmethod
    def beta_max_for(cls, X, y, depth: int = 3) -> float:
        r"""The zero threshold from the data alone. Zero is optimal iff
        :math:`\tfrac{\beta L}2\|w\|^{2/L}\ge y^\top Xw-\tfrac12\|Xw\|^2` for every
        :math:`w`; maximizing over the scale of :math:`w=su` (:math:`p=2/L`) gives

        .. math:: \beta_{\max}=\frac{2/L}{2-p}\Big(\frac{2(1-p)}{2-p}\Big)^{1-p}
                  \sup_{\|u\|=1}\frac{(y^\top Xu)^{2-p}}{\|Xu\|^{2(1-p)}},

        whose maximizer lies on the ridge path :math:`u\propto(X^\top X+\mu I)^{-1}X^\top y`
        (its stationarity condition), so the supremum is a 1-D search over :math:`\mu>0`.
        :math:`L=2` gives :math:`\|X^\top y\|_2`; whitened data (and vector outputs, over the
        singular values of :math:`X^\top Y`) give the constant times
        :math:`\sigma_1(X^\top Y)^{2-p}`. Above it :math:`w^\star` is zero; just below it
        :math:`w^\star` jumps to a non-zero point (:ref:`app-deep-weight-decay`)."""
        X = as_matrix(X, "X")
        y = as_targets(y, "y", n=X.shape[0])
        L = _check_depth(depth)
        if y.ndim == 2:
            if not _whitened(X):
                raise ValueError("vector outputs need whitened data, X^T X = I.")
            return _wd_threshold_whitened(X, y, L)
        return _wd_threshold(RidgePath(X, y, method="svd"), L)

    def objective(self, weights) -> float:
        r""":math:`\tfrac12\|XW_1\cdots w_L-y\|^2+\tfrac\beta2\sum_l\|W_l\|_F^2`; never NaN:
        ``inf`` where the weight decay exceeds float64's range (the objective really is that
        large), a ``ValueError`` where only the prediction overflows
        (``dualkit.problems.base.penalized_value``)."""
        ws = self._check_weights(weights)
        with np.errstate(over="ignore"):
            penalty = 0.5 * self.beta * sum_squares(ws)

        def fit():
            return self.loss.value(self.X @ self._product(ws), self.y)

        return penalized_value(fit, penalty, "the prediction X W1 ... wL")

    def end_to_end_objective(self, w) -> float:
        r"""The reduced objective :math:`\tfrac12\|Xw-y\|^2+\tfrac{\beta L}2\|w\|_2^{2/L}`
        (vector outputs: :math:`\tfrac{\beta L}2\sum_k\sigma_k(W)^{2/L}`)."""
        L = self.depth
        if self.K > 1:
            W = as_matrix(w, "W")
            sv = np.linalg.svd(W, compute_uv=False)
            sv = sv[sv > 1e-12 * sv[0]] if sv.size and sv[0] > 0 else sv[:0]
            return self.loss.value(self.X @ W, self.y) + 0.5 * self.beta * L * float(np.sum(sv ** (2 / L)))
        w = as_vector(w, "w")
        return self.loss.value(self.X @ w, self.y) + 0.5 * self.beta * L * float(np.linalg.norm(w)) ** (2 / L)

    # ------------------------------------------------------------------ the Lagrangian dual
    def _check_dual(self, lam) -> np.ndarray:
        lam = as_targets(lam, "lam", n=self.n)
        if lam.shape != self.y.shape:
            raise ValueError(f"lam must have the shape of y, {self.y.shape}; got {lam.shape}.")
        return lam

    def _two_layer(self) -> TwoLayerLinear:
        """Depth 2 is the two-layer problem (D1), strong duality included."""
        return TwoLayerLinear(self.X, self.y, self.beta)

    def _range(self) -> np.ndarray:
        """An orthonormal basis of the range of X (U of the SVD; X itself when whitened)."""
        if self.K > 1:
            return self.X
        if self._unit_scales() is not None:   # the same U as the data at unit scale
            return self._unit()._range()
        U = self.ridge_path.U
        # the ridge path of this class is built with method="svd", which always forms U
        assert U is not None, "the SVD ridge path has no left singular vectors U"
        return U

    def dual_objective(self, lam) -> float:
        r"""The Lagrangian dual :math:`\lambda^\top y-\tfrac12\|\lambda\|^2` where
        :meth:`dual_constraint` holds (:math:`X^\top\lambda=0` for :math:`L\ge3`, up to float64
        rounding; :math:`\|X^\top\lambda\|_2\le\beta` for :math:`L=2`), else ``-inf``: a lower
        bound on the optimum by weak duality, strictly below it for :math:`L\ge3` whenever the
        optimal network is not zero (the duality gap of the non-convex problem; see the class
        docstring)."""
        if self.depth == 2:
            return self._two_layer().dual_objective(lam)
        lam = self._check_dual(lam)
        if not self.dual_constraint(lam).holds:
            return -np.inf
        return float(np.sum(lam * self.y)) - 0.5 * float(np.sum(lam * lam))

    def dual_constraint(self, lam) -> DualConstraint:
        r"""The constraint of the Lagrangian dual: :math:`X^\top\lambda=0` for :math:`L\ge3`
        (value :math:`\|X^\top\lambda\|`, bound 0, slack the float64 rounding
        :math:`16\varepsilon\|X\|_F\|\lambda\|`); for :math:`L=2` that of
        :meth:`TwoLayerLinear.dual_constraint`."""
        if self.depth == 2:
            return self._two_layer().dual_constraint(lam)
        lam = self._check_dual(lam)
        slack = 16 * np.finfo(float).eps * self._x_fro * _norm(lam)
        return DualConstraint("‖Xᵀλ‖", _norm(self.X.T @ lam), 0.0, slack, "0",
                              "Xᵀλ = 0 (the Lagrangian dual of weight decay on every layer, "
                              "depth ≥ 3, which has a duality gap)")

    def feasible_dual(self, lam) -> np.ndarray:
        r"""A dual-feasible point from ``lam``: its projection onto the null space of
        :math:`X^\top`, :math:`(I-XX^\dagger)\lambda` (depth >= 3), or ``lam`` scaled into
        :math:`\|X^\top\lambda\|_2\le\beta` (depth 2)."""
        if self.depth == 2:
            return self._two_layer().feasible_dual(lam)
        lam = self._check_dual(lam)
        U = self._range()
        for _ in range(2):   # a second pass removes the rounding of the first
            lam = lam - U @ (U.T @ lam)
        return lam

    def _rounding_floor(self, lam: np.ndarray) -> float:
        """The ``floor`` of :func:`~dualkit.problems.base.certify`: that of the two-layer problem at depth
        2; the
        rounding of evaluating the dual objective of the projected point otherwise."""
        if self.depth == 2:
            return self._two_layer().rounding_floor(lam)
        return 64 * np.finfo(float).eps * (abs(float(np.sum(lam * self.y)))
                                           + float(np.sum(lam * lam)))

    def _dual_optimum(self, w) -> np.ndarray:
        """The dual optimum: (I - XX^+) y for depth >= 3; the scaled residual for depth 2."""
        if self.depth == 2:
            return self.feasible_dual(self.y - self.X @ w)
        return self.feasible_dual(self.y)

    def stationary_points(self, grid: int = 4000) -> list[np.ndarray]:
        r"""The non-zero stationary points :math:`w(\mu)` on the ridge path: the roots of
        :math:`\varphi(\mu)=\log\mu-\log\beta-(2/L-2)\log\|w(\mu)\|`, bracketed on a log grid of
        ``grid`` points and refined.

        The grid starts below :math:`\beta\|X^\dagger y\|^{2/L-2}` (no stationary point lies
        lower) and ends past the far root of the large-:math:`\mu` asymptote
        :math:`\|w(\mu)\|\approx\|X^\top y\|/\mu`. Along the path the objective decreases
        exactly where :math:`\varphi<0`, so two roots closer than one grid cell can only hide a
        dip no deeper than the change of the objective across that cell.
        """
        if isinstance(grid, bool) or not isinstance(grid, numbers.Integral) or grid < 10:
            raise ValueError(f"grid must be an integer >= 10; got {grid!r}.")
        scales = self._unit_scales()
        if scales is not None:   # found at unit scale, mapped back by w = (c/a) v
            return [v * (scales[1] / scales[0]) for v in self._unit().stationary_points(grid)]
        rp = self.ridge_path
        if rp.rank == 0 or np.linalg.norm(rp.b) == 0:
            return []
        L, beta = self.depth, self.beta
        s2 = rp.s2

        abs_b = np.abs(rp.b)
        log_b_norm = np.log(_norm(abs_b))

        def phi(log_mu):
            log_mu = np.atleast_1d(log_mu)
            # log ||w(mu)|| from the ratios |b_i| / (s2_i + mu), scaled by their largest: no
            # overflow of (s2 + mu)^2 nor underflow of the ratios; past mu = e^700 (beyond
            # float64 near 1e308) the asymptote ||w(mu)|| = ||b|| / mu, exact to s2 / mu
            big = log_mu > 700.0
            r = abs_b / (s2 + np.exp(np.where(big, 0.0, log_mu))[:, None])
            m = np.max(r, axis=1)
            ok = ~big & (m > 0)
            m = np.where(ok, m, 1.0)
            r /= m[:, None]
            log_norm = np.where(ok, np.log(m) + 0.5 * np.log(np.einsum("ij,ij->i", r, r)),
                                log_b_norm - log_mu)
            return log_mu - np.log(beta) - (2 / L - 2) * log_norm

        # mu >= beta ||X^+ y||^(2/L - 2) at any stationary point (||w|| <= ||X^+ y||); the grid
        # spans 40 decades above that bound and above the spectrum
        lo = np.log(beta) + (2 / L - 2) * np.log(rp.pinv_norm)
        hi = max(lo, np.log(s2.max()))
        if L > 2:  # phi -> (2/L - 1) log mu - log beta - (2/L - 2) log||X^T y||: its root
            far = ((2 - 2 / L) * np.log(rp.xty_norm) - np.log(beta)) / (1 - 2 / L)
            hi = max(hi, far)
        hi += 10 * np.log(10.0)
        grid_pts = np.linspace(lo - 1.0, hi, grid)
        vals = phi(grid_pts)
        roots = []
        for i in np.flatnonzero(np.sign(vals[:-1]) != np.sign(vals[1:])):
            r = brentq(lambda z: float(phi(z)[0]), grid_pts[i], grid_pts[i + 1],
                       xtol=1e-14, rtol=4 * np.finfo(float).eps)
            with np.errstate(over="ignore"):   # a root past 1e308 (tiny beta): w(mu) = 0
                roots.append(rp.Vt.T @ (rp.b / (s2 + np.exp(r))))
        return roots

    def solve(self, method: str = "auto", width=None, verbose: bool = False, *,
              seed: int | None = None, widths=None) -> Solution:
        r"""Global optimum: the best of :math:`w=0` and the stationary points on the ridge path
        (``method="auto"`` or ``"ridge_path"``; whitened vector outputs: the closed form of
        :ref:`app-deep-vector-wd`).

        Optimal layers: :math:`W_l=\|w^\star\|^{1/L}\rho_{l-1}\rho_l^\top`, all with Frobenius and
        operator norm :math:`\|w^\star\|^{1/L}`; ``width`` (an int or depth - 1 ints, default 1
        or the rank; ``widths=`` is its deprecated old name) sets their shape and ``seed`` the
        arbitrary unit vectors :math:`\rho_l`. ``verbose`` prints a summary line.

        ``sol.dual`` is the optimum of the Lagrangian dual (see the class docstring) and
        ``sol.certified`` follows :func:`~dualkit.problems.base.certify`: True at depth 2, False
        for :math:`L\ge3` unless the optimum is zero with :math:`X^\top y=0`. The value is the
        global optimum either way (``info["exact"]`` says by which argument).

        Data whose largest entry lies outside :math:`[2^{-30},2^{30}]` are solved at unit scale
        (divided by powers of two, ``_unit_beta`` gives the equivalent strength) and mapped
        back (``info["rescaled"]``): the search on the ridge path would over- or underflow
        there (at :math:`X\cdot10^{80}` it returned the zero network, above a balanced
        least-squares network)."""
        width = self._width(width, widths)
        self._method(method, self.methods, "ridge_path")
        t0 = time.perf_counter()
        if self._unit_scales() is not None:
            sol = self._solve_rescaled(width, seed, t0)
            if verbose:
                print(f"DeepLinearWeightDecay.solve: {sol!r}")
            return sol
        if self.K > 1:
            w, weights, method, info = self._solve_whitened_vector(width)
        else:
            widths_ = hidden_widths(1 if width is None else width, self.depth - 1)
            cands = [np.zeros(self.d), *self.stationary_points()]
            vals = [self.end_to_end_objective(w) for w in cands]
            k = int(np.argmin(vals))
            w = cands[k]
            L = self.depth
            scale = float(np.linalg.norm(w)) ** (1 / L)
            # layers of radius ||w||^(1/L); then ||a||^2 = ||w|| / scale^(L-2) makes the last two
            # layers' norms ||w||^(1/L) as well: all L layers share one norm
            weights = deep_weights(w, widths_, scale, L - 2, seed)
            method = "ridge_path"
            info = {"stationary_values": vals[1:], "zero_value": vals[0], "global_is_zero": k == 0,
                    "exact": "the optimum is found exactly by the search over every stationary "
                             "point on the ridge path (derivations appendix, "
                             "app-deep-weight-decay); the Lagrangian dual has a gap here"}
        value = self.objective(weights)
        lam = self._dual_optimum(w)
        dual_value = self.dual_objective(lam)
        floor = self._rounding_floor(lam)
        sol = Solution(
            value=value, weights=weights, dual=lam, dual_value=dual_value, method=method,
            solve_time=time.perf_counter() - t0,
            certified=certify(value, dual_value, "closed_form", floor), beta=self.beta, w=w,
            info={**info, "dual_optimal": True, "rounding_floor": floor},
        )
        if verbose:
            print(f"DeepLinearWeightDecay.solve: {sol!r}")
        return sol

    def _solve_whitened_vector(self, width):
        r""":ref:`app-deep-vector-wd`: with :math:`X^\top X=I` the problem decouples over the singular values
        :math:`\sigma_k` of :math:`X^\top Y`, :math:`s_k^\star=\arg\min_{s\ge0}\tfrac12(s-\sigma_k)^2
        +\tfrac{\beta L}2s^{2/L}`, and every layer has the singular values :math:`s^{\star1/L}`."""
        L, beta = self.depth, self.beta
        P, sig, Qt = np.linalg.svd(self.X.T @ self.y, full_matrices=False)
        s_opt = np.array([_power_shrink(float(sk), beta, L) for sk in sig])
        r = int(np.count_nonzero(s_opt))
        widths = hidden_widths(max(r, 1) if width is None else width, L - 1)
        if r > min(widths):
            raise ValueError(f"every hidden width must be at least the optimal rank {r}; got {widths}.")
        root = s_opt[:r] ** (1 / L)
        bases = [P[:, :r], *[np.eye(m, r) for m in widths], Qt[:r].T]
        weights = [(bases[i] * root) @ bases[i + 1].T for i in range(L)]
        W = (P[:, :r] * s_opt[:r]) @ Qt[:r]
        info = {"singular_values": s_opt, "layer_singular_values": root,
                "exact": "the optimum is found exactly by the closed form of the derivations "
                         "appendix (app-deep-vector-wd)"}
        return W, weights, "whitened_closed_form", info

    def lower_bound(self) -> float:
        """The global optimum from :meth:`solve`, exact up to rounding (a gap may read -1e-17):
        found by the exhaustive 1-D search of :meth:`stationary_points` (or the closed form
        for whitened vector outputs), which proves it a lower bound on every network's
        objective. It is not the dual value: for depth >= 3 the Lagrangian dual
        (:meth:`dual_objective`) lies strictly below it (a duality gap), at depth 2 the two
        agree."""
        bound = self._bound_cache
        if not self._bound_known or bound is None:
            bound = float(self.solve().value)
            self._bound_cache, self._bound_known = bound, True
        return bound

    def _net_kwargs(self) -> dict:
        return {}

    def torch_objective(self, net, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Loss plus weight decay on every layer."""
        self.check_network(net)
        reg = sum((W**2).sum() for W in net.layer_tensors())
        return self.loss.torch_value(net(X), y) + 0.5 * self.beta * reg

    def __repr__(self) -> str:
        return f"DeepLinearWeightDecay(n={self.n}, d={self.d}, beta={self.beta:.6g}, depth={self.depth})"


class FormulationNorms(NamedTuple):
    r""":math:`\|w^\star(\beta)\|_2` of the two deep linear formulations along ``betas``
    (:func:`formulation_norms`), for :func:`dualkit.plot.formulations_path`."""

    betas: np.ndarray
    #: the paper's formulation (P2), :class:`DeepLinear`
    paper: np.ndarray
    #: weight decay on every layer, :class:`DeepLinearWeightDecay`
    weight_decay: np.ndarray
    #: the zero threshold of (P2), :math:`t^{L-2}\|X^\top y\|_2`
    beta_max: float
    depth: int
    t: float


def formulation_norms(X, y, depth: int = 4, t: float = 1.0, betas=None) -> FormulationNorms:
    r"""The norm of the global optimum :math:`\|w^\star(\beta)\|_2` of :class:`DeepLinear`
    (which shrinks continuously to zero at :math:`t^{L-2}\|X^\top y\|_2`) and of
    :class:`DeepLinearWeightDecay` (which jumps to zero for :math:`L\ge3`) along ``betas``
    (default: 79 values up to :math:`1.3` times the threshold of (P2)); each is one
    :meth:`~dualkit.Problem.path` (one factorization of X each)."""
    bmax = DeepLinear.beta_max_for(X, y, depth=depth, t=t)
    if betas is None:
        betas = np.linspace(0.0, 1.3 * bmax, 80)[1:]
    betas = np.asarray(check_betas(betas), dtype=float)
    paper = DeepLinear(X, y, float(betas[0]), depth=depth, t=t).path(betas)
    wd = DeepLinearWeightDecay(X, y, float(betas[0]), depth=depth).path(betas)

    def w_norm(sol: Solution) -> float:
        # the solve of both classes always sets sol.w, the end-to-end vector
        assert sol.w is not None, "a deep linear solve returned no end-to-end vector w"
        return float(np.linalg.norm(sol.w))

    return FormulationNorms(betas, np.array([w_norm(s) for s in paper]),
                            np.array([w_norm(s) for s in wd]), float(bmax),
                            int(depth), float(t))
