r"""Deep linear networks with scalar output (MATH.md §2).

Two formulations, which must not be confused:

* :class:`DeepLinear` — the paper's formulation (P2): Frobenius-norm bound :math:`t` on layers
  :math:`1..L-2`, weight decay on the last two layers,

  .. math:: P^\star=\min\ \ell(XW_1\cdots W_{L-1}w_L)+\tfrac\beta2\big(\|W_{L-1}\|_F^2+\|w_L\|_2^2\big)
            \ \text{ s.t. }\ \|W_l\|_F\le t\ (l\le L-2).

  Its dual is the two-layer dual (D1) with :math:`\beta_{\rm eff}=\beta/t^{L-2}`, and strong
  duality holds: depth changes only the effective regularization.
* :class:`DeepLinearWeightDecay` — standard weight decay on every layer (§2.4),
  :math:`\tfrac\beta2\sum_l\|W_l\|_F^2`. Its end-to-end problem
  :math:`\min_w\tfrac12\|Xw-y\|^2+\tfrac{\beta L}2\|w\|_2^{2/L}` is **non-convex** for
  :math:`L\ge3`: the origin is a strict local minimum and there is no zero-gap convex dual in
  general.

Introduced in :ref:`ch-deep-linear`.
"""

from __future__ import annotations

import numbers
import time

import numpy as np
import torch
from scipy.optimize import brentq

from .._validation import (
    _as_float_array,
    as_matrix,
    as_vector,
    check_beta,
    check_positive_float,
    check_positive_int,
)
from ..losses import Squared
from ..nets import DeepLinearNet
from ..solvers.closed_form import RidgePath
from .base import Problem, Solution
from .two_layer_linear import TwoLayerLinear

__all__ = ["DeepLinear", "DeepLinearWeightDecay", "deep_weights"]

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
    widths = [check_positive_int(m, "width") for m in widths]
    if len(widths) != depth - 1:
        raise ValueError(
            f"widths must list depth - 1 = {depth - 1} hidden widths; got {len(widths)}: {widths}."
        )
    return widths


def _check_betas(betas) -> np.ndarray:
    betas = np.atleast_1d(_as_float_array(betas, "betas"))
    if betas.ndim != 1:
        raise ValueError(f"betas must be a 1-D sequence of numbers; got shape {betas.shape}.")
    return betas


def deep_weights(w, widths, t: float, n_constrained: int, seed: int | None = None) -> list[np.ndarray]:
    r"""Rank-one, aligned deep weights whose product is :math:`w`.

    With :math:`\rho_0=w/\|w\|` and unit vectors :math:`\rho_l\in\mathbb R^{m_l}`:
    :math:`W_l=t\,\rho_{l-1}\rho_l^\top` for the first ``n_constrained`` layers, then the balanced
    pair :math:`W_{L-1}=\rho_{L-2}a^\top`, :math:`w_L=a` with
    :math:`\|a\|_2^2=\|w\|_2/t^{\,n_{\rm constrained}}` (MATH.md §2.2). The :math:`\rho_l` are
    arbitrary: ``seed=None`` takes :math:`\mathbf 1/\sqrt{m_l}` and an equal split of :math:`a`; a
    seed draws random directions (every choice is optimal).
    """
    w = as_vector(w, "w")
    if isinstance(n_constrained, bool) or not isinstance(n_constrained, numbers.Integral):
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

    def _setup(self, X, y, beta, depth, loss):
        self.X = as_matrix(X, "X")
        self.n, self.d = self.X.shape
        self.y = as_vector(y, "y", n=self.n)
        self.beta = check_beta(beta)
        self.depth = _check_depth(depth)

    def _check_weights(self, weights) -> list[np.ndarray]:
        ws = self._weights_of(weights)
        L = self.depth
        if len(ws) != L:
            raise ValueError(f"weights must list depth = {L} layers [W1, ..., wL]; got {len(ws)}.")
        mats = [as_matrix(W, f"W{i + 1}") for i, W in enumerate(ws[:-1])]
        last = as_vector(ws[-1], f"w{L}")
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
        widths = _check_widths(widths if width is None else width, self.depth)
        return DeepLinearNet(self.d, widths, out=1, seed=seed, init_scale=init_scale,
                             **self._net_kwargs())

    def check_network(self, net) -> None:
        """Raise ValueError unless ``net`` has this problem's architecture."""
        want = self._net_kwargs()
        ok = (isinstance(net, DeepLinearNet) and net.depth == self.depth and net.d == self.d
              and net.out == 1 and net.sphere_layers == want.get("sphere_layers", 0)
              and (net.sphere_layers == 0 or net.radius == want.get("radius")))
        if not ok:
            got = (f"depth={net.depth}, d={net.d}, out={net.out}, sphere_layers={net.sphere_layers}"
                   if isinstance(net, DeepLinearNet) else type(net).__name__)
            raise ValueError(
                f"net must be a depth-{self.depth} linear network with d={self.d} inputs and one "
                f"output as made by prob.network(widths, seed) ({want}); got {got}."
            )


class DeepLinear(_DeepLinearBase):
    r"""The paper's deep linear formulation (P2), MATH.md §2.1.

    Layers :math:`1..L-2` carry the constraint :math:`\|W_l\|_F\le t`, the last two weight decay.

    * Convex program and dual: (C1)/(D1) at :math:`\beta_{\rm eff}=\beta/t^{L-2}`; strong
      duality holds.
    * Every optimum is rank one and aligned: :math:`W_l=t\rho_{l-1}\rho_l^\top`,
      :math:`W_{L-1}=\rho_{L-2}a^\top`, :math:`w_L=a` with
      :math:`\rho_0=X^\top\lambda^\star/\|X^\top\lambda^\star\|`; the constraints are active.
    * Zero threshold: :math:`w^\star=0\iff t^{L-2}\|X^\top y\|_2\le\beta`.
    * ``beta=0`` is minimum-norm interpolation, with value :math:`\|X^\dagger y\|_2/t^{L-2}`.

    Introduced in :ref:`ch-deep-linear`.

    Parameters
    ----------
    X : array of shape (n, d)
        Inputs.
    y : array of shape (n,)
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
        self._setup(X, y, beta, depth, loss)
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
        r"""Zero threshold :math:`t^{L-2}\|X^\top y\|_2`: the optimum is zero iff beta >= it."""
        return self.convex.beta_max * self.t_power

    def objective(self, weights) -> float:
        r"""Objective of (P2) at ``[W1, ..., wL]`` or a network; ``inf`` if a constraint
        :math:`\|W_l\|_F\le t` (l <= L-2) is violated by more than a relative 1e-9.
        With ``beta=0``: :math:`\tfrac12(\|W_{L-1}\|_F^2+\|w_L\|^2)` if the weights interpolate."""
        ws = self._check_weights(weights)
        if any(np.linalg.norm(W) > self.t * (1 + CONSTRAINT_TOL) for W in ws[: self.n_constrained]):
            return np.inf
        reg = 0.5 * (float(np.sum(ws[-2] ** 2)) + float(ws[-1] @ ws[-1]))
        w = self._product(ws)
        if self.beta == 0.0:
            return reg if self.convex._interpolates(self.X @ w - self.y) else np.inf
        return self.loss.value(self.X @ w, self.y) + self.beta * reg

    def dual_objective(self, lam) -> float:
        r"""Dual objective of (D2): :math:`-\ell^*(-\lambda)` if
        :math:`\|X^\top\lambda\|_2\le\beta/t^{L-2}`, else ``-inf`` (a lower bound on (P2)).
        With ``beta=0``: :math:`\lambda^\top y/t^{L-2}` if :math:`\|X^\top\lambda\|_2\le1`."""
        return self.convex.dual_objective(lam) * self._value_scale

    def solve(self, method: str | None = None, widths=1, seed: int | None = None,
              solver: str | None = None, *, width: int | None = None) -> Solution:
        r"""Global optimum of (P2) through the two-layer convex program at :math:`\beta_{\rm eff}`.

        ``widths`` (an int or depth - 1 ints) sets the shape of the returned optimal weights, built
        by :func:`deep_weights` (``seed`` picks the arbitrary unit vectors :math:`\rho_l`).
        ``method`` is ``"closed_form"`` (default) or ``"cvxpy"``. ``width=`` is an alias of
        ``widths``.
        """
        widths = _check_widths(widths if width is None else width, self.depth)
        t0 = time.perf_counter()
        conv = self.convex.solve(method=method, solver=solver)
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

    def path(self, betas, widths=1) -> list[Solution]:
        """Solutions for many betas, reusing one factorization of X."""
        betas = _check_betas(betas)
        out = []
        for b in betas:
            sub = DeepLinear(self.X, self.y, b, self.depth, self.t, self.loss)
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
    r"""Deep linear network with standard weight decay on every layer (MATH.md §2.4).

    .. math:: P^\star=\min\ \tfrac12\|XW_1\cdots w_L-y\|^2+\tfrac\beta2\sum_{l=1}^L\|W_l\|_F^2
              =\min_w\ \tfrac12\|Xw-y\|^2+\tfrac{\beta L}2\|w\|_2^{2/L}

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
        self._setup(X, y, beta, depth, "squared")
        if self.beta == 0.0:
            raise ValueError("beta must be > 0 for the weight-decay formulation; got 0.")
        self.loss = Squared()
        self._path: RidgePath | None = None

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
        r"""The reduced objective :math:`\tfrac12\|Xw-y\|^2+\tfrac{\beta L}2\|w\|_2^{2/L}`."""
        w = as_vector(w, "w")
        L = self.depth
        return self.loss.value(self.X @ w, self.y) + 0.5 * self.beta * L * np.linalg.norm(w) ** (2 / L)

    def dual_objective(self, lam) -> float:
        raise NotImplementedError(
            "standard weight decay on every layer has no zero-gap convex dual for depth >= 3 "
            "(MATH.md §2.4); use DeepLinear for the paper's formulation with a dual."
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

    def solve(self, method: str | None = None, widths=1, seed: int | None = None) -> Solution:
        r"""Global optimum: the best of :math:`w=0` and the stationary points on the ridge path.

        Optimal layers: :math:`W_l=\|w^\star\|^{1/L}\rho_{l-1}\rho_l^\top`, all with Frobenius and
        operator norm :math:`\|w^\star\|^{1/L}`."""
        if method not in (None, "auto", "ridge_path"):
            raise ValueError(f"method must be one of {list(self.methods)}; got {method!r}.")
        widths = _check_widths(widths, self.depth)
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
