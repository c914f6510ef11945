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
from typing import TYPE_CHECKING

import numpy as np
from scipy.optimize import brentq

from .._validation import (
    as_matrix,
    as_targets,
    as_vector,
    check_beta,
    check_betas,
    check_positive_float,
    check_positive_int,
)
from ..losses import Squared
from ..solvers.closed_form import RidgePath
from .base import DualConstraint, Problem, Solution
from .two_layer_linear import TwoLayerLinear

if TYPE_CHECKING:
    import torch

    from ..nets import DeepLinearNet

__all__ = ["DeepLinear", "DeepLinearWeightDecay", "deep_weights", "schatten_weights"]

#: relative slack on the Frobenius constraints ||W_l||_F <= t when evaluating given weights
CONSTRAINT_TOL = 1e-9


def _check_depth(depth) -> int:
    if isinstance(depth, bool) or not isinstance(depth, numbers.Integral) or depth < 2:
        raise ValueError(
            f"depth must be an integer >= 2 (the number of weight layers L); got {depth!r}."
        )
    return int(depth)


def _check_widths(widths, depth: int) -> list[int]:
    if isinstance(widths, (numbers.Integral, np.integer)) and not isinstance(widths, bool):
        widths = [int(widths)] * (depth - 1)
    if not isinstance(widths, (list, tuple, np.ndarray)):
        raise ValueError(
            f"widths must be an int or a list of depth - 1 = {depth - 1} hidden widths; got {widths!r}."
        )
    widths = [check_positive_int(m, f"widths[{i}]") for i, m in enumerate(widths)]
    if len(widths) != depth - 1:
        raise ValueError(
            f"widths must list depth - 1 = {depth - 1} hidden widths; got {len(widths)}: {widths}."
        )
    return widths


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
    widths = _check_widths(widths, L)
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
    widths = _check_widths(widths, int(n_constrained) + 2)
    if isinstance(t, bool) or not isinstance(t, numbers.Real) or not np.isfinite(t) or t < 0:
        raise ValueError(f"t must be a finite number >= 0; got {t!r}.")
    norm = float(np.linalg.norm(w))
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

    def _setup(self, X, y, beta, depth, loss, vector_ok: bool = False):
        self.X = as_matrix(X, "X")
        self.n, self.d = self.X.shape
        self.y = as_targets(y, "y", n=self.n) if vector_ok else as_vector(y, "y", n=self.n)
        self.K = 1 if self.y.ndim == 1 else self.y.shape[1]
        self.beta = check_beta(beta)
        self.depth = _check_depth(depth)

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

    def _net_kwargs(self) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    def network(self, widths=10, seed: int = 0, init_scale: float = 1.0, *,
                width: int | None = None) -> DeepLinearNet:
        """A randomly initialised torch network of this architecture; ``widths`` is an int (all
        hidden layers) or a list of depth - 1 hidden widths (``width=`` is accepted as an alias)."""
        from ..nets import DeepLinearNet
        widths = _check_widths(widths if width is None else width, self.depth)
        return DeepLinearNet(self.d, widths, out=self.K, seed=seed, init_scale=init_scale,
                             **self._net_kwargs())

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
                f"output as made by prob.network(widths, seed) ({want}); got {got}."
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
        with np.errstate(over="ignore", under="ignore"):
            #: t^(L-2), the gain of the constrained layers
            self.t_power = float(np.float64(self.t) ** self.n_constrained)
        if not np.isfinite(self.t_power) or self.t_power == 0.0:
            raise ValueError(
                f"t^(depth-2) = {self.t}^{self.n_constrained} is not representable in float64; "
                "choose t closer to 1 (only beta / t^(depth-2) matters)."
            )
        #: effective regularization of the equivalent two-layer problem, beta / t^(L-2)
        self.beta_eff = self.beta / self.t_power
        if not np.isfinite(self.beta_eff):
            raise ValueError(
                f"beta / t^(depth-2) = {self.beta} / {self.t_power} overflows; choose t closer to 1."
            )
        self.convex = TwoLayerLinear(self.X, self.y, self.beta_eff, loss)
        self.loss = self.convex.loss
        self.y = self.convex.y
        # with beta = 0 the cost is ||a||^2 = ||w|| / t^(L-2), not ||w||
        self._value_scale = 1.0 / self.t_power if self.beta == 0 else 1.0

    @property
    def beta_max(self) -> float:
        r"""Zero threshold :math:`t^{L-2}\|X^\top y\|_2`. The optimum is zero if and only if
        :math:`\beta` is at least this value."""
        return self.convex.beta_max * self.t_power

    def objective(self, weights) -> float:
        r"""Objective of (P2) at ``[W1, ..., wL]`` or a network; ``inf`` if a constraint
        :math:`\|W_l\|_F\le t` (l <= L-2) is violated by more than a relative 1e-9.
        With ``beta=0``: :math:`\tfrac12(\|W_{L-1}\|_F^2+\|w_L\|^2)` if the weights interpolate."""
        ws = self._check_weights(weights)
        if any(np.linalg.norm(W) > self.t * (1 + CONSTRAINT_TOL) for W in ws[: self.n_constrained]):
            return np.inf
        reg = 0.5 * (float(np.sum(ws[-2] ** 2)) + float(np.sum(ws[-1] ** 2)))
        w = self._product(ws)
        if self.beta == 0.0:
            return reg if self.convex._interpolates(self.X @ w - self.y) else np.inf
        return self.loss.value(self.X @ w, self.y) + self.beta * reg

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

    def solve(self, method: str | None = None, widths=None, seed: int | None = None,
              solver: str | None = None, *, width: int | None = None) -> Solution:
        r"""Global optimum of (P2) through the two-layer convex program at :math:`\beta_{\rm eff}`.

        ``widths`` (an int or depth - 1 ints; default 1, or the rank for vector outputs) sets the
        shape of the returned optimal weights, built by :func:`deep_weights` (``seed`` picks the
        arbitrary unit vectors :math:`\rho_l`).

        **Vector outputs, depth >= 3** (:ref:`app-deep-vector`): the nuclear-norm dual at
        :math:`\beta_{\rm eff}` is only a lower bound, because (P2) equals the non-convex
        Schatten problem :math:`\min_W\ell(XW)+\beta_{\rm eff}\|W\|_{S_{2/L}}` with
        :math:`\|W\|_{S_{2/L}}=(\sum_k\sigma_k^{2/L})^{L/2}\ge\|W\|_*`. The solution then holds
        that dual bound and the best primal point found (the nuclear-norm solution or the best
        rescaled rank-one truncation, realized by :func:`schatten_weights`), with
        ``certified=True`` only when the two meet, which needs a rank-one optimum.
        ``method`` is ``"closed_form"`` (default) or ``"cvxpy"``. ``width=`` is an alias of
        ``widths``.
        """
        t0 = time.perf_counter()
        conv = self.convex.solve(method=method, solver=solver)
        if self.K > 1:
            return self._solve_vector(conv, widths if width is None else width, t0)
        widths = _check_widths(1 if widths is None and width is None else
                               (widths if width is None else width), self.depth)
        weights = deep_weights(conv.w, widths, self.t, self.n_constrained, seed)
        value = self.objective(weights)
        dual_value = conv.dual_value * self._value_scale
        tol = 1e-9 if conv.method == "closed_form" else 1e-6
        certified = bool(np.isfinite(value - dual_value)
                         and value - dual_value <= tol * max(abs(value), np.finfo(float).tiny))
        return Solution(
            value=value, weights=weights, dual=conv.dual, dual_value=dual_value,
            method=conv.method, solve_time=time.perf_counter() - t0, certified=certified,
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

    def _solve_vector(self, conv: Solution, widths, t0: float) -> Solution:
        W_nuc = conv.w
        cands = [W_nuc, np.zeros_like(W_nuc)]
        if np.any(W_nuc) and isinstance(self.loss, Squared) and self.depth > 2:
            cands.append(self._best_rank_one(W_nuc))
        vals = [self.schatten_objective(W) for W in cands]
        W = cands[int(np.argmin(vals))]
        rank = int(np.linalg.matrix_rank(W, 1e-9 * max(np.linalg.norm(W, 2), 1e-300))) if np.any(W) else 0
        widths = _check_widths(max(rank, 1) if widths is None else widths, self.depth)
        weights = schatten_weights(W, widths, self.t, self.depth)
        value = self.objective(weights)
        dual_value = conv.dual_value
        gap = value - dual_value
        certified = bool(np.isfinite(gap) and gap <= 1e-6 * max(abs(value), np.finfo(float).tiny))
        return Solution(
            value=value, weights=weights, dual=conv.dual, dual_value=dual_value,
            method=conv.method, solve_time=time.perf_counter() - t0, certified=certified,
            beta=self.beta, w=W,
            info={**conv.info, "beta_eff": self.beta_eff, "nuclear_value": conv.value,
                  "candidates": {"nuclear": vals[0], "zero": vals[1],
                                 **({"rank_one": vals[2]} if len(vals) > 2 else {})},
                  "note": "vector outputs at depth >= 3: the dual is a lower bound (derivations "
                          "appendix, app-deep-vector); "
                          "the primal is the best point found, not a certified optimum"},
        )

    def path(self, betas, widths=None) -> list[Solution]:
        """Solutions for many betas, reusing one factorization of X."""
        betas = check_betas(betas)
        out = []
        for b in betas:
            sub = DeepLinear(self.X, self.y, b, self.depth, self.t, self.loss)
            if self.K > 1:
                sub.convex._gram = self.convex._gram_matrices()
            else:
                sub.convex._path = self.convex.ridge_path
            out.append(sub.solve(widths=widths))
        return out

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
    compared with :math:`w=0`. The result is exact but **not** a duality certificate:
    ``sol.certified`` is False and ``sol.dual`` is None.

    Introduced in :ref:`ch-deep-linear`.
    """

    methods = ("ridge_path",)

    def __init__(self, X, y, beta: float, depth: int = 3):
        self._setup(X, y, beta, depth, "squared", vector_ok=True)
        if self.beta == 0.0:
            raise ValueError("beta must be > 0 for the weight-decay formulation; got 0.")
        self.loss = Squared()
        self._path: RidgePath | None = None
        if self.K > 1 and not np.allclose(self.X.T @ self.X, np.eye(self.d), rtol=0, atol=1e-10):
            raise ValueError(
                "vector outputs with weight decay on every layer are solved only for whitened "
                "data, X^T X = I (the closed form of the derivations appendix, app-deep-vector-wd); "
                "whiten X, or use DeepLinear."
            )

    @property
    def ridge_path(self) -> RidgePath:
        if self._path is None:
            # no certificate to catch an inaccurate Gram factorization here: always the SVD
            self._path = RidgePath(self.X, self.y, method="svd")
        return self._path

    def objective(self, weights) -> float:
        r""":math:`\tfrac12\|XW_1\cdots w_L-y\|^2+\tfrac\beta2\sum_l\|W_l\|_F^2`."""
        ws = self._check_weights(weights)
        reg = sum(float(np.sum(W**2)) for W in ws)
        return self.loss.value(self.X @ self._product(ws), self.y) + 0.5 * self.beta * reg

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
        return self.loss.value(self.X @ w, self.y) + 0.5 * self.beta * L * np.linalg.norm(w) ** (2 / L)

    def dual_objective(self, lam) -> float:
        raise NotImplementedError(
            "standard weight decay on every layer has no zero-gap convex dual for depth >= 3 "
            "(derivations appendix, app-deep-weight-decay); use DeepLinear for the paper's "
            "formulation with a dual."
        )

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
        rp = self.ridge_path
        if rp.rank == 0 or np.linalg.norm(rp.b) == 0:
            return []
        L, beta = self.depth, self.beta
        b2, s2 = rp.b**2, rp.s2

        def phi(log_mu):
            log_mu = np.atleast_1d(log_mu)
            norm = np.sqrt(np.sum(b2 / (s2 + np.exp(log_mu)[:, None]) ** 2, axis=1))
            return log_mu - np.log(beta) - (2 / L - 2) * np.log(norm)

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
            roots.append(rp.Vt.T @ (rp.b / (s2 + np.exp(r))))
        return roots

    def solve(self, method: str | None = None, widths=None, seed: int | None = None) -> Solution:
        r"""Global optimum: the best of :math:`w=0` and the stationary points on the ridge path.

        Optimal layers: :math:`W_l=\|w^\star\|^{1/L}\rho_{l-1}\rho_l^\top`, all with Frobenius and
        operator norm :math:`\|w^\star\|^{1/L}`."""
        if method not in (None, "auto", "ridge_path"):
            raise ValueError(f"method must be one of {list(self.methods)}; got {method!r}.")
        if self.K > 1:
            return self._solve_whitened_vector(widths)
        widths = _check_widths(1 if widths is None else widths, self.depth)
        t0 = time.perf_counter()
        cands = [np.zeros(self.d), *self.stationary_points()]
        vals = [self.end_to_end_objective(w) for w in cands]
        k = int(np.argmin(vals))
        w = cands[k]
        L = self.depth
        scale = float(np.linalg.norm(w)) ** (1 / L)
        # layers of radius ||w||^(1/L); then ||a||^2 = ||w|| / scale^(L-2) makes the last two
        # layers' norms ||w||^(1/L) as well: all L layers share one norm
        weights = deep_weights(w, widths, scale, L - 2, seed)
        value = self.objective(weights)
        return Solution(
            value=value, weights=weights, dual=None, dual_value=float("nan"), method="ridge_path",
            solve_time=time.perf_counter() - t0, certified=False, beta=self.beta, w=w,
            info={"stationary_values": vals[1:], "zero_value": vals[0],
                  "global_is_zero": k == 0},
        )

    def _solve_whitened_vector(self, widths) -> Solution:
        r""":ref:`app-deep-vector-wd`: with :math:`X^\top X=I` the problem decouples over the singular values
        :math:`\sigma_k` of :math:`X^\top Y`, :math:`s_k^\star=\arg\min_{s\ge0}\tfrac12(s-\sigma_k)^2
        +\tfrac{\beta L}2s^{2/L}`, and every layer has the singular values :math:`s^{\star1/L}`."""
        t0 = time.perf_counter()
        L, beta = self.depth, self.beta
        P, sig, Qt = np.linalg.svd(self.X.T @ self.y, full_matrices=False)
        s_opt = np.array([_power_shrink(float(sk), beta, L) for sk in sig])
        r = int(np.count_nonzero(s_opt))
        widths = _check_widths(max(r, 1) if widths is None else widths, L)
        if r > min(widths):
            raise ValueError(f"every hidden width must be at least the optimal rank {r}; got {widths}.")
        root = s_opt[:r] ** (1 / L)
        bases = [P[:, :r], *[np.eye(m, r) for m in widths], Qt[:r].T]
        weights = [(bases[i] * root) @ bases[i + 1].T for i in range(L)]
        W = (P[:, :r] * s_opt[:r]) @ Qt[:r]
        return Solution(
            value=self.objective(weights), weights=weights, dual=None, dual_value=float("nan"),
            method="whitened_closed_form", solve_time=time.perf_counter() - t0, certified=False,
            beta=beta, w=W, info={"singular_values": s_opt, "layer_singular_values": root},
        )

    def lower_bound(self) -> float:
        """The global optimum from :meth:`solve`: exact up to rounding (a gap may read -1e-17),
        but found by a 1-D search, not certified by a dual bound (there is none here)."""
        if self._bound_cache is None:
            self._bound_cache = float(self.solve().value)
        return self._bound_cache

    def _net_kwargs(self) -> dict:
        return {}

    def torch_objective(self, net, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Loss plus weight decay on every layer."""
        self.check_network(net)
        reg = sum((W**2).sum() for W in net.layer_tensors())
        return self.loss.torch_value(net(X), y) + 0.5 * self.beta * reg

    def __repr__(self) -> str:
        return f"DeepLinearWeightDecay(n={self.n}, d={self.d}, beta={self.beta:.6g}, depth={self.depth})"
