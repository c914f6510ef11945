r"""Deep ReLU networks on rank-one data :math:`X=c\,a^\top` (:ref:`app-rank-one`).

The network has a ReLU after every hidden layer, no biases in layers :math:`1..L-2`, the
Frobenius bound :math:`\|W_l\|_F\le t` on those layers and weight decay on the last two:

.. math:: P^\star=\min\ \tfrac12\|A_{L-1}w_L-y\|^2+\tfrac\beta2\big(\|W_{L-1}\|_F^2+\|w_L\|^2\big),
          \qquad A_l=(A_{l-1}W_l)_+,\ A_0=X=c\,a^\top .

For :math:`c\ge0` every hidden layer equals :math:`c\,h_l^\top` with :math:`h_l\ge0`, because
:math:`(c\,g^\top)_+=c\,g_+^\top`; the ReLUs act linearly on the path, and with
:math:`\tilde\beta=\beta/(t^{L-2}\|a\|)` (the book keeps :math:`\beta_{\rm eff}` for :math:`\beta/t^{L-2}`)

.. math:: P^\star=\min_\kappa\ \tfrac12\|\kappa c-y\|^2+\tilde\beta|\kappa|
          =\max_\lambda\ \tfrac12\|y\|^2-\tfrac12\|\lambda-y\|^2
          \ \text{ s.t. }\ |c^\top\lambda|\le\tilde\beta,

:math:`\kappa^\star=\operatorname{sign}(c^\top y)(|c^\top y|-\tilde\beta)_+/\|c\|^2`. With a bias in
layer :math:`L-1` and the output (:ref:`app-rank-one-bias`) the problem is exactly the two-layer 1-D
problem of
:class:`~dualkit.ReLU1D` in the variable :math:`c`. With :math:`c` of mixed sign strong duality
fails (:ref:`app-rank-one-mixed`): :class:`RankOneReLUMixed`.

Introduced in :ref:`ch-rank-one-relu`.
"""

from __future__ import annotations

import time
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.optimize import minimize

from .._validation import (
    as_matrix,
    as_vector,
    check_beta,
    check_positive_float,
    finite_or_raise,
)
from ..solvers.closed_form import pow2_exponent, safe_norm
from ..solvers.cvxpy_ref import lasso_dual, scalar_lasso
from .base import DualConstraint, Problem, Solution, certify, hidden_widths, last_two_decay_objective
from .deep_linear import DeepLinear, _check_depth
from .relu_1d import TINY_BETA, ReLU1D, quadratic_dual_floor

if TYPE_CHECKING:
    import torch

    from ..nets import DeepReLUNet, ReLUWeights
else:
    from .._lazy import torch

__all__ = ["RankOneReLU", "RankOneReLUMixed", "rank_one_factors"]

#: relative size of the second singular value below which X counts as rank one
RANK_TOL = 1e-10
#: relative size of a negative entry of c below which it counts as rounding
SIGN_TOL = 1e-12
CONSTRAINT_TOL = 1e-9
DUAL_FEAS_TOL = 1e-9
CAVEAT = "see the section 'Mixed signs: where strong duality fails' of the rank-one chapter"
#: why RankOneReLUMixed.solve's value is the optimum without a certificate (sol.info["exact"])
EXACT_MIXED = ("the optimum is the minimum of the two-variable problem in (α, γ) that the "
               "derivations appendix (app-rank-one-mixed) proves equal to the network's; the "
               "Lagrangian dual lies below it (strong duality fails for mixed signs)")


def rank_one_factors(X, allow_mixed: bool = False):
    r"""Factor a rank-one matrix as :math:`X=c\,a^\top` with :math:`\|a\|_2=1` and
    :math:`c\ge0` (the global sign is chosen so).

    Raises ``ValueError`` when :math:`X` is not rank one (:math:`\sigma_2>10^{-10}\sigma_1`) or,
    unless ``allow_mixed``, when its rows are not non-negative multiples of one vector. Within
    that tolerance the returned factors describe the rank-one part of :math:`X`.

    Introduced in :ref:`ch-rank-one-relu`.
    """
    X = as_matrix(X, "X")
    # fast path, O(nd): two power steps from the longest row; sigma_2 <= ||X - c a^T||_F and
    # sigma_1 >= ||c||, so a small residual proves the rank-one test below without an SVD
    scale = float(np.abs(X).max())
    if scale > 0:                         # work on X / max|X|: no overflow at any scale
        Xs = X / scale
        row = Xs[int(np.argmax(np.einsum("ij,ij->i", Xs, Xs)))]
        a = Xs.T @ (Xs @ row)
        a_norm = np.linalg.norm(a)
        if a_norm > 0:
            a = a / a_norm
            c = Xs @ a
            if np.linalg.norm(Xs - np.outer(c, a)) <= 0.5 * RANK_TOL * np.linalg.norm(c):
                return _signed_factors(c * scale, a, allow_mixed)
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    if s[0] == 0:
        raise ValueError("X is zero: it has no rank-one factorization c a^T with a != 0.")
    if s.size > 1 and s[1] > RANK_TOL * s[0]:
        raise ValueError(
            f"X is not rank one: sigma_2 / sigma_1 = {s[1] / s[0]:.2e} > {RANK_TOL:g}. "
            "RankOneReLU needs X = c a^T (e.g. dk.data.rank_one); for general X see TwoLayerReLU "
            "or the linear chapters."
        )
    return _signed_factors(s[0] * U[:, 0], Vt[0], allow_mixed)


def _signed_factors(c, a, allow_mixed: bool):
    """The sign convention (c sums to >= 0) and the non-negativity check of rank_one_factors."""
    if c.sum() < 0:
        c, a = -c, -a
    tiny = SIGN_TOL * np.abs(c).max()
    if (c < -tiny).any():
        if not allow_mixed:
            raise ValueError(
                "X = c a^T has rows that are negative multiples of a (c has mixed signs: "
                f"{int((c < -tiny).sum())} negative, {int((c > tiny).sum())} positive entries). "
                "Strong duality needs c >= 0; " + CAVEAT + " (RankOneReLUMixed computes that case)."
            )
        return c, a
    return np.maximum(c, 0.0), a


class RankOneReLU(Problem):
    r"""Deep ReLU network on rank-one data with :math:`c\ge0`: closed form, dual, optimal layers.
    Introduced in :ref:`ch-rank-one-relu`.

    An :math:`X` within :math:`10^{-10}` (relative :math:`\sigma_2/\sigma_1`) of rank one is
    treated as its rank-one part :math:`c\,a^\top`: the objective uses :math:`X` itself, the dual
    bound is exact for :math:`c\,a^\top`.

    Parameters
    ----------
    X : array (n, d)
        Rank-one inputs :math:`c\,a^\top` with :math:`c\ge0` up to a global sign (detected).
    y : array (n,)
        Targets.
    beta : float
        Weight decay on the last two layers, > 0 (>= 0 with ``bias=True``).
    depth : int
        Number of layers :math:`L\ge2`.
    t : float
        Frobenius bound of layers :math:`1..L-2`.
    bias : bool
        A free bias in layer :math:`L-1` and at the output (:ref:`app-rank-one-bias`): the problem is then the
        two-layer 1-D problem in :math:`c` at :math:`\tilde\beta`, solved by the
        1-D solver of ``ReLU1D``.
    """

    #: width of every hidden layer of :meth:`network` when none is given
    default_width: int = 10

    def __init__(self, X, y, beta: float, depth: int = 4, t: float = 1.0, bias: bool = False):
        self.X = as_matrix(X, "X")
        self.n, self.d = self.X.shape
        self.y = as_vector(y, "y", n=self.n)
        if not isinstance(bias, (bool, np.bool_)):
            raise ValueError(f"bias must be True or False; got {bias!r}.")
        self.bias = bool(bias)
        self.beta = check_beta(beta, allow_zero=self.bias)
        self.depth = _check_depth(depth)                   # the check of DeepLinear
        self.t = check_positive_float(t, "t")
        self.t_power = DeepLinear._t_power(self.t, self.depth - 2)   # t^(L-2), representable
        self.c, self.a = rank_one_factors(self.X)
        self.a_hat = self.a / np.linalg.norm(self.a)
        self.loss = None
        self._one_d = ReLU1D(self.c, self.y, self.beta_tilde) if self.bias else None
        self._set_beta(self.beta)

    def _set_beta(self, beta: float) -> None:
        check_beta(beta, allow_zero=self.bias)
        if self.bias:
            # the 1-D problem in c at beta_tilde, sharing its sorted inputs
            self._one_d = self._one_d_problem().with_beta(self.beta_tilde)
        # with beta = 0 the deep cost is the two-layer one divided by T = t^(L-2) ||a||
        self._one_d_scale = 1.0 / self.scale if beta == 0.0 else 1.0

    def _one_d_problem(self) -> ReLU1D:
        """The 1-D problem in :math:`c` of ``bias=True`` (only called when ``self.bias``)."""
        # the constructor builds it exactly when bias=True, and bias never changes
        assert self._one_d is not None, "the 1-D problem exists only with bias=True"
        return self._one_d

    @property
    def scale(self) -> float:
        r""":math:`t^{L-2}\|a\|`, the largest value of :math:`\|h_{L-2}\|` (:ref:`app-rank-one`)."""
        return self.t_power * float(np.linalg.norm(self.a))

    @property
    def beta_eff(self) -> float:
        r""":math:`\beta_{\rm eff}=\beta/t^{L-2}`, as in every deep chapter of the book."""
        return self.beta / self.t_power

    @property
    def beta_tilde(self) -> float:
        r""":math:`\tilde\beta=\beta_{\rm eff}/\|a\|=\beta/(t^{L-2}\|a\|)`, the weight of
        :math:`|\kappa|` in the one-variable lasso, and the bound on :math:`|c^\top\lambda|`."""
        return self.beta / self.scale

    @property
    def beta_max(self) -> float:
        r"""The zero threshold, :math:`t^{L-2}\|a\|\,|c^\top y|` without bias
        (:math:`\kappa^\star=0` iff :math:`\beta` is at least this); with ``bias=True``
        :math:`t^{L-2}\|a\|` times the threshold of the 1-D problem in :math:`c`
        (:attr:`ReLU1D.beta_max`), above which the optimum is the constant mean."""
        return self._zero_threshold(self.c, self.y, self.scale, self.bias)

    @classmethod
    def beta_max_for(cls, X, y, depth: int = 4, t: float = 1.0, bias: bool = False) -> float:
        """The zero threshold :attr:`beta_max` on data ``X``, ``y`` (with the constructor's
        ``depth``, ``t``, ``bias``), from the data alone (``beta=0`` is refused without a
        bias)."""
        X = as_matrix(X, "X")
        y = as_vector(y, "y", n=X.shape[0])
        depth = _check_depth(depth)
        t = check_positive_float(t, "t")
        if not isinstance(bias, (bool, np.bool_)):
            raise ValueError(f"bias must be True or False; got {bias!r}.")
        c, a = rank_one_factors(X)
        scale = DeepLinear._t_power(t, depth - 2) * float(np.linalg.norm(a))
        return cls._zero_threshold(c, y, scale, bool(bias))

    @staticmethod
    def _zero_threshold(c, y, scale: float, bias: bool) -> float:
        with np.errstate(over="ignore"):
            if bias:
                return scale * ReLU1D.beta_max_for(c, y)
            ec, ey = pow2_exponent(c), pow2_exponent(y)     # c^T y without overflow: c / 2**ec, y / 2**ey
            return scale * float(np.ldexp(abs(float(np.ldexp(c, -ec) @ np.ldexp(y, -ey))),
                                          ec + ey))

    def __repr__(self) -> str:
        return (f"RankOneReLU(n={self.n}, d={self.d}, beta={self.beta:.6g}, depth={self.depth}, "
                f"t={self.t:g}, bias={self.bias})")

    # ------------------------------------------------------------------ closed form
    def kappa(self) -> float:
        r""":math:`\kappa^\star=\operatorname{sign}(c^\top y)\,(|c^\top y|-\tilde\beta)_+/\|c\|^2`,
        computed on :math:`c/2^{e_c}`, :math:`y/2^{e_y}` (powers of two, exact) at
        :math:`\tilde\beta/2^{e_c+e_y}` and scaled back by :math:`2^{e_y-e_c}`, so that no
        scale of X or y overflows :math:`c^\top y` or :math:`\|c\|^2` (a ``ValueError`` when
        :math:`\kappa^\star` itself is not representable)."""
        ec, ey = pow2_exponent(self.c), pow2_exponent(self.y)
        c, y = np.ldexp(self.c, -ec), np.ldexp(self.y, -ey)
        with np.errstate(over="ignore", under="ignore"):
            beta_s = float(np.ldexp(self.beta_tilde, -(ec + ey)))
            cy = float(c @ y)
            k = float(np.ldexp(np.sign(cy) * max(abs(cy) - beta_s, 0.0) / float(c @ c), ey - ec))
        return finite_or_raise(k, "the optimal output scale kappa = c^T y / ||c||^2",
                               self._RESCALE)

    _RESCALE = ("rescale the data: RankOneReLU(X * a, y * b, beta * a * b) has b**2 times the "
                "optimal value and the same certificate (relative gap); choose a and b that "
                "bring X and y to entries of order 1")

    # ------------------------------------------------------------------ objectives
    def _check_weights(self, weights) -> ReLUWeights:
        from ..nets import DeepReLUNet, ReLUWeights
        if isinstance(weights, DeepReLUNet):
            self.check_network(weights)
            weights = weights.weights()
        if not isinstance(weights, ReLUWeights):
            raise ValueError("weights must be a ReLUWeights (sol.weights, net.weights()) or a "
                             f"DeepReLUNet from prob.network(); got {type(weights).__name__}.")
        if len(weights) != self.depth or np.shape(weights[0])[0] != self.d:
            raise ValueError(f"expected {self.depth} layers with a first layer of {self.d} rows; "
                             f"got shapes {[np.shape(W) for W in weights]}.")
        if any(b is not None for b in weights.biases[: self.depth - 2]):
            raise ValueError("layers 1..L-2 have no biases in this architecture (derivations appendix, "
                             "app-rank-one).")
        if not self.bias and any(b is not None for b in weights.biases[-2:]):
            raise ValueError("this problem has no biases (bias=False); use bias=True for a bias in layer L-1 "
                             "(derivations appendix, app-rank-one-bias).")
        return weights

    def objective(self, weights) -> float:
        r""":math:`\tfrac12\|f(X)-y\|^2+\tfrac\beta2(\|W_{L-1}\|_F^2+\|w_L\|^2)`; ``inf`` if a
        constraint :math:`\|W_l\|_F\le t` is violated (relative 1e-9)."""
        ws = self._check_weights(weights)
        if any(safe_norm(W) > self.t * (1 + CONSTRAINT_TOL) for W in ws[: self.depth - 2]):
            return np.inf
        reg = 0.5 * (float(np.sum(ws[-2] ** 2)) + float(np.sum(ws[-1] ** 2)))
        r = ws.forward(self.X) - self.y
        if self.beta == 0.0:
            return reg if np.linalg.norm(r) <= 1e-7 * max(float(np.linalg.norm(self.y)), 1e-300) else np.inf
        return 0.5 * float(r @ r) + self.beta * reg

    def dual_objective(self, lam) -> float:
        r""":math:`\tfrac12\|y\|^2-\tfrac12\|\lambda-y\|^2` if :math:`|c^\top\lambda|\le\tilde\beta`
        (relative 1e-9), else ``-inf``; with ``bias=True`` the dual of the 1-D problem in
        :math:`c` (:meth:`ReLU1D.dual_objective`)."""
        if self.bias:
            return self._one_d_problem().dual_objective(lam) * self._one_d_scale
        lam = as_vector(lam, "lam", n=self.n)
        rounding = 16 * np.finfo(float).eps * float(np.abs(self.c) @ np.abs(lam))
        if abs(float(self.c @ lam)) > self.beta_tilde * (1 + DUAL_FEAS_TOL) + rounding:
            return -np.inf
        return float(lam @ self.y) - 0.5 * float(lam @ lam)  # = |y|^2/2 - |lam - y|^2/2

    def dual_constraint(self, lam) -> DualConstraint:
        r"""The constraint that decides whether ``lam`` is dual feasible
        (:class:`~dualkit.problems.base.DualConstraint`), with the slack of
        :meth:`dual_objective`: :math:`|c^\top\lambda|\le\tilde\beta`; with ``bias=True``
        those of the 1-D problem in :math:`c` (:meth:`ReLU1D.dual_constraint`) at
        :math:`\tilde\beta`."""
        bname = "β̃ = β/(t^(L−2)‖a‖)"
        if self.bias:
            con = self._one_d_problem().dual_constraint(lam)
            return con if con.condition or self.beta == 0 else con._replace(bound_name=bname)
        lam = as_vector(lam, "lam", n=self.n)
        rounding = 16 * np.finfo(float).eps * float(np.abs(self.c) @ np.abs(lam))
        return DualConstraint("|cᵀλ|", abs(float(self.c @ lam)), self.beta_tilde,
                              self.beta_tilde * DUAL_FEAS_TOL + rounding, bname)

    def feasible_dual(self, lam) -> np.ndarray:
        r"""Scale a residual into the dual feasible set :math:`|c^\top\lambda|\le\tilde\beta`."""
        if self.bias:
            return self._one_d_problem().feasible_dual(lam)
        lam = as_vector(lam, "lam", n=self.n)
        g = abs(float(self.c @ lam))
        # within the rounding of c^T lam (for X of size 1e200 it exceeds beta_tilde itself)
        rounding = 16 * np.finfo(float).eps * float(np.abs(self.c) @ np.abs(lam))
        return lam if g <= self.beta_tilde + rounding else lam * (self.beta_tilde / g)

    # ------------------------------------------------------------------ solving
    def solve(self, method: str = "auto", width=None, verbose: bool = False, seed: int = 0,
              solver: str | None = None, widths=None) -> Solution:
        r"""Global optimum: the closed form :math:`\kappa^\star` (``method="closed_form"``,
        what ``"auto"`` picks) or cvxpy (``method="cvxpy"``: the scalar primal and the dual
        program, solved separately, by ``solver``, default Clarabel); with ``bias=True`` the
        1-D solver of :class:`~dualkit.ReLU1D` in the variable :math:`c` (its ramp solver, or
        its cvxpy program with ``method="cvxpy"``).

        ``width`` (an int for every hidden layer, or a sequence of :math:`L-1` widths; the old
        keyword ``widths=`` still works, deprecated) sets the shape of the returned optimal
        weights; ``seed`` picks the non-negative unit vectors :math:`\varphi_l`; ``verbose``
        prints the summary line. ``sol.info["kappa"]`` holds :math:`\kappa^\star` (no bias;
        ``sol.w`` is None, as for every ReLU network); with a bias ``sol.info["one_d"]`` is the
        1-D solution. ``sol.certified`` follows :func:`~dualkit.problems.base.certify` with
        the solver's tolerance and the rounding floor of
        :math:`\lambda^\top y-\tfrac12\|\lambda\|^2`.
        """
        method = self._method(method, ("closed_form", "cvxpy"), auto="closed_form")
        width = self._width(width, widths)
        with np.errstate(over="ignore"):
            half_yy = 0.5 * float(np.linalg.norm(self.y)) ** 2
        finite_or_raise(half_yy, "y: ½‖y‖² (the objective of the zero network, the scale of "
                        "every value and rounding bound)", self._RESCALE)
        t0 = time.perf_counter()
        if self.bias:
            sol1 = self._one_d_problem().solve(                          # the 1-D stage
                method="auto" if method == "closed_form" else "cvxpy", verbose=verbose, solver=solver)
            weights = self.bias_weights(sol1.weights, width, seed)
            value = self.objective(weights)
            dual_value = sol1.dual_value * self._one_d_scale
            floor = quadratic_dual_floor(sol1.dual, self.y) * self._one_d_scale
            sol = Solution(value=value, weights=weights, dual=sol1.dual, dual_value=dual_value,
                           method=sol1.method, solve_time=time.perf_counter() - t0,
                           certified=certify(value, dual_value, sol1.method, floor),
                           beta=self.beta, info={"one_d": sol1, "rounding_floor": floor})
        else:
            info: dict[str, Any] = {}
            beta_max = self.beta_max
            if (method == "closed_form" or self.beta >= beta_max
                    or self.beta <= TINY_BETA * beta_max):
                # beta >= beta_max: kappa = 0, the zero network, certified by lambda = y
                # without running a solver; far below beta_max cvxpy's tolerance cannot
                # resolve |c^T lam| <= beta_tilde (kappa to a relative beta / beta_max)
                if method != "closed_form":
                    info["shortcut"] = (
                        "beta >= beta_max: the zero network is optimal, certified by "
                        "lambda = y; no solver ran" if self.beta >= beta_max else
                        "beta far below beta_max: cvxpy's tolerance cannot resolve the dual "
                        "constraint there; the closed form kappa* is used")
                kappa = self.kappa()
                lam = self.y - kappa * self.c
            else:
                progress = [f"RankOneReLU.solve: cvxpy, the scalar lasso and its dual on "
                            f"n={self.n} points, solver {solver or 'default'} ..."]
                if verbose:
                    print(progress[-1], flush=True)
                # on c / 2**ec, y / 2**ey (exact) at beta_tilde / 2**(ec + ey), mapped back
                ec, ey = pow2_exponent(self.c), pow2_exponent(self.y)
                c_s, y_s = np.ldexp(self.c, -ec), np.ldexp(self.y, -ey)
                with np.errstate(over="ignore", under="ignore"):
                    beta_s = float(np.ldexp(self.beta_tilde, -(ec + ey)))
                primal = scalar_lasso(c_s, y_s, beta_s, solver)
                dual = lasso_dual(c_s, y_s, beta_s, solver, what="rank-one dual program")
                info["primal_time"], info["dual_time"] = primal.timings, dual.timings
                with np.errstate(over="ignore", under="ignore"):
                    kappa = float(np.ldexp(float(primal.x["kappa"]), ey - ec))
                    lam = np.ldexp(np.asarray(dual.x["lam"], dtype=float).ravel(), ey)
                progress.append(f"RankOneReLU.solve: cvxpy done in "
                                f"{time.perf_counter() - t0:.2f} s")
                if verbose:
                    print(progress[-1], flush=True)
                info["progress"] = progress
            info["kappa"] = kappa
            lam = self.feasible_dual(lam)
            weights = self.optimal_weights(kappa, width, seed)
            with np.errstate(over="ignore", invalid="ignore"):
                value = self.objective(weights)
                finite_or_raise(value, "the optimal value ½‖f(X) − y‖² + β/2 (‖W_{L−1}‖² + "
                                "‖w_L‖²) of the network", self._RESCALE)
                dual_value = self.dual_objective(lam)
                info["rounding_floor"] = floor = quadratic_dual_floor(lam, self.y)
            sol = Solution(value=value, weights=weights, dual=lam, dual_value=dual_value,
                           method=method, solve_time=time.perf_counter() - t0,
                           certified=certify(value, dual_value, method, floor),
                           beta=self.beta, info=info)
        if verbose:
            print(f"RankOneReLU.solve: {sol!r}")
        return sol

    def _widths(self, width):
        return [1] * (self.depth - 1) if width is None else hidden_widths(width, self.depth - 1)

    def _path_layers(self, widths, rng):
        """Layers 1..L-2 of an optimum: W_1 = t a_hat phi_1^T, W_l = t phi_{l-1} phi_l^T, phi >= 0."""
        phis = []
        for m in widths[: self.depth - 2]:
            p = np.abs(rng.standard_normal(m)) + 1e-3
            phis.append(p / np.linalg.norm(p))
        layers, prev = [], self.a_hat
        for p in phis:
            layers.append(self.t * np.outer(prev, p))
            prev = p
        return layers, prev

    def optimal_weights(self, kappa: float, width=None, seed: int = 0) -> ReLUWeights:
        r"""The rank-one optimum of :ref:`app-rank-one` for a given :math:`\kappa`:
        :math:`W_1=t\hat a\varphi_1^\top`, :math:`W_l=t\varphi_{l-1}\varphi_l^\top`,
        :math:`W_{L-1}=\varphi_{L-2}r^\top`, :math:`w_L=\operatorname{sign}(\kappa)r` with
        non-negative unit :math:`\varphi_l`, :math:`r\ge0` and
        :math:`\|r\|^2=|\kappa|/(t^{L-2}\|a\|)`; the network computes :math:`\kappa c` on the data
        and :math:`\tfrac{\kappa}{\|a\|}(\hat a^\top x)_+` on a new input :math:`x`.
        ``width``: an int for every hidden layer or a sequence of :math:`L-1` (default 1)."""
        widths = self._widths(width)
        from ..weights import ReLUWeights
        rng = np.random.default_rng(seed)
        layers, prev = self._path_layers(widths, rng)
        r = np.abs(rng.standard_normal(widths[-1])) + 1e-3
        r *= np.sqrt(abs(kappa) / self.scale) / np.linalg.norm(r)
        layers += [np.outer(prev, r), np.sign(kappa) * r]
        return ReLUWeights(layers)

    def bias_weights(self, weights_1d: ReLUWeights, width=None, seed: int = 0) -> ReLUWeights:
        r"""Deep weights with a bias in layer :math:`L-1` and the output from an optimal
        two-layer 1-D network in :math:`c` (:ref:`app-rank-one-bias`): layers :math:`1..L-2` as in
        :meth:`optimal_weights`, then per ramp :math:`z\,(s(c-c_j))_+` a neuron with column
        :math:`s\rho\varphi_{L-2}`, bias :math:`-s\rho T c_j` and output weight
        :math:`\operatorname{sign}(z)\rho`, :math:`\rho^2=|z|/T`, :math:`T=t^{L-2}\|a\|`.
        ``width``: an int or :math:`L-1` widths (default 1 on the path and one neuron per
        ramp in layer :math:`L-1`)."""
        from ..weights import ReLUWeights
        w1, b1, w2 = weights_1d[0][0], weights_1d.biases[0], weights_1d[1]
        if b1 is None:
            raise ValueError("weights_1d must be a two-layer 1-D network with a hidden bias (the "
                             "sol.weights of ReLU1D.solve()); its hidden bias is None.")
        active = (w1 != 0) & (w2 != 0)
        z = np.abs(w1[active] * w2[active]) * np.sign(w2[active])
        s = np.sign(w1[active])
        knots = -b1[active] / w1[active]
        k = z.size
        # default: width 1 on the path, one neuron per active ramp in layer L-1
        widths = self._widths(width) if width is not None else [1] * (self.depth - 2) + [max(k, 1)]
        m = widths[-1]
        if m < k:
            raise ValueError(f"width={width} gives {m} neurons in layer L-1, below the number of "
                             f"active ramps ({k}) of the optimum.")
        rng = np.random.default_rng(seed)
        layers, prev = self._path_layers(widths, rng)
        T = self.scale
        rho = np.sqrt(np.abs(z) / T)
        WL1 = np.zeros((prev.size, m))
        WL1[:, :k] = np.outer(prev, s * rho)
        b = np.zeros(m)
        b[:k] = -s * rho * T * knots
        wL = np.zeros(m)
        wL[:k] = np.sign(z) * rho
        return ReLUWeights(layers + [WL1, wL], [None] * (self.depth - 2) + [b, weights_1d.biases[-1]])

    # ------------------------------------------------------------------ networks
    def network(self, width=None, seed: int = 0, init_scale: float = 1.0,
                widths=None) -> DeepReLUNet:
        """The primal torch network: sphere layers 1..L-2 of radius t (non-negative
        initialization), no biases (or a bias in layer L-1 and the output with ``bias=True``);
        ``width`` an int for every hidden layer or a sequence of :math:`L-1` (default
        :attr:`~dualkit.Problem.default_width`; ``widths=`` is its deprecated old name)."""
        from ..nets import DeepReLUNet
        widths = self._widths(self._width(width, widths, self.default_width))
        net = DeepReLUNet(self.d, widths, seed=seed, init_scale=init_scale,
                          sphere_layers=self.depth - 2, radius=self.t,
                          bias="last" if self.bias else "none", output_bias=self.bias, nonneg=True)
        if self.bias:
            out_bias = net.out_bias
            assert out_bias is not None  # built with output_bias=self.bias, True here
            with torch.no_grad():
                out_bias.fill_(float(self.y.mean()))
        return net

    def check_network(self, net) -> None:
        """Raise a ``ValueError`` unless ``net`` is a deep ReLU network of this architecture (depth,
        input size, sphere layers of radius t, biases as ``bias`` says), as :meth:`network`
        builds."""
        from ..nets import DeepReLUNet
        if (not isinstance(net, DeepReLUNet) or net.d != self.d or net.depth != self.depth
                or net.sphere_layers != self.depth - 2 or net.has_skip
                or net.bias_mode != ("last" if self.bias else "none")
                or net.has_output_bias != self.bias):
            raise ValueError("net does not have this problem's architecture; use prob.network(width).")
        if self.depth > 2 and not np.isclose(net.radius, self.t):
            raise ValueError(f"net.radius={net.radius} differs from t={self.t}.")

    def torch_objective(self, net, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Loss plus weight decay on the last two layers, in torch."""
        return last_two_decay_objective(net, X, y, self.beta)


class RankOneReLUMixed(Problem):
    r"""Three-layer ReLU network on rank-one data with :math:`c` of **mixed sign**: strong duality
    fails (:ref:`app-rank-one-mixed`).

    The network outputs :math:`\alpha c_++\gamma c_-` (:math:`c_\pm=\max(\pm c,0)`). With
    :math:`\|W_1\|_F\le t`, :math:`\|a\|=1` and weight decay on :math:`W_2,w_3`, the least
    weight decay that produces :math:`(\alpha,\gamma)` is :math:`C(\alpha,\gamma)/t` with
    :math:`C=|\alpha|+|\gamma|` if :math:`\alpha\gamma\ge0` and
    :math:`C=(|\alpha|^{2/3}+|\gamma|^{2/3})^{3/2}` if :math:`\alpha\gamma<0`, so

    .. math:: P^\star=\min_{\alpha,\gamma}\ \tfrac12\|\alpha c_++\gamma c_--y\|^2
              +\tfrac\beta t C(\alpha,\gamma),

    while the Lagrangian dual is the same problem with :math:`C=|\alpha|+|\gamma|` always: a lower
    bound that is strictly smaller whenever the fit needs opposite signs.

    :meth:`solve` returns the exact optimum :math:`P^\star` (its weights realise the
    minimiser of the two-variable problem) with the optimum of the Lagrangian dual as its dual
    point: ``sol.certified`` is False exactly when the gap is open, and
    ``sol.info["exact"]`` says why ``sol.value`` is the optimum nonetheless (by the reduction
    of :ref:`app-rank-one-mixed`, not by the dual). :meth:`~dualkit.Problem.lower_bound` is the Lagrangian
    dual
    optimum :math:`D^\star`.

    Introduced in :ref:`ch-rank-one-relu`.
    """

    depth = 3
    #: width of both hidden layers of :meth:`network` when none is given
    default_width: int = 10

    def __init__(self, X, y, beta: float, t: float = 1.0):
        self.X = as_matrix(X, "X")
        self.n, self.d = self.X.shape
        self.y = as_vector(y, "y", n=self.n)
        self.beta = check_beta(beta, allow_zero=False)
        self.t = check_positive_float(t, "t")
        c, a = rank_one_factors(self.X, allow_mixed=True)
        self.c, self.a = c, a            # ||a|| = 1
        self.c_plus, self.c_minus = np.maximum(c, 0.0), np.maximum(-c, 0.0)
        self.loss = None

    def _set_beta(self, beta: float) -> None:
        check_beta(beta, allow_zero=False)

    def __repr__(self) -> str:
        return f"RankOneReLUMixed(n={self.n}, d={self.d}, beta={self.beta:.6g}, t={self.t:g})"

    @property
    def beta_max(self) -> float:
        r"""The zero threshold :math:`t\max(|c_+^\top y|,|c_-^\top y|)`: the same for the
        network and for its Lagrangian dual, since :math:`C(\alpha,\gamma)\ge|\alpha|+|\gamma|`
        with equality when one of them is zero."""
        return self._zero_threshold(self.c, self.y, self.t)

    @classmethod
    def beta_max_for(cls, X, y, t: float = 1.0) -> float:
        """The zero threshold :attr:`beta_max` on data ``X``, ``y`` (and ``t``), from the data
        alone (``beta=0`` is refused)."""
        X = as_matrix(X, "X")
        y = as_vector(y, "y", n=X.shape[0])
        c, _ = rank_one_factors(X, allow_mixed=True)
        return cls._zero_threshold(c, y, check_positive_float(t, "t"))

    @staticmethod
    def _zero_threshold(c, y, t: float) -> float:
        return t * max(abs(float(np.maximum(c, 0.0) @ y)), abs(float(np.maximum(-c, 0.0) @ y)))

    @staticmethod
    def cost(alpha: float, gamma: float) -> float:
        r""":math:`C(\alpha,\gamma)`: :math:`|\alpha|+|\gamma|` for equal signs, the
        :math:`\ell_{2/3}` expression :math:`(|\alpha|^{2/3}+|\gamma|^{2/3})^{3/2}` otherwise."""
        if alpha * gamma >= 0:
            return abs(alpha) + abs(gamma)
        return (abs(alpha) ** (2 / 3) + abs(gamma) ** (2 / 3)) ** 1.5

    def _reduced(self, v, exact: bool) -> float:
        alpha, gamma = v
        r = alpha * self.c_plus + gamma * self.c_minus - self.y
        C = self.cost(alpha, gamma) if exact else abs(alpha) + abs(gamma)
        return 0.5 * float(r @ r) + self.beta / self.t * C

    def _minimize(self, exact: bool):
        # two variables: a grid over both signs, then a local polish from the best points
        cp_, cm = self.c_plus, self.c_minus
        scale = max(abs(float(cp_ @ self.y)) / max(float(cp_ @ cp_), 1e-300),
                    abs(float(cm @ self.y)) / max(float(cm @ cm), 1e-300), 1e-12)
        g = np.linspace(-2 * scale, 2 * scale, 81)
        vals = np.array([[self._reduced((a_, b_), exact) for b_ in g] for a_ in g])
        best = None
        for idx in np.argsort(vals, axis=None)[:8]:
            i, j = np.unravel_index(idx, vals.shape)
            res = minimize(lambda v: self._reduced(v, exact), [g[i], g[j]], method="Nelder-Mead",
                           options={"xatol": 1e-14, "fatol": 1e-15, "maxiter": 20000, "maxfev": 40000})
            if best is None or res.fun < best.fun:
                best = res
        assert best is not None  # the loop above ran over 8 grid points (81 x 81 of them)
        return float(best.fun), best.x

    def solve(self, method: str = "auto", width=None, verbose: bool = False) -> Solution:
        r"""The optimum :math:`P^\star` by the :math:`\ell_{2/3}` formula (a grid over both
        signs of :math:`(\alpha,\gamma)` polished by Nelder-Mead), its weights
        (:meth:`optimal_weights`), and the optimum of the Lagrangian dual as ``sol.dual``:
        in closed form (``method="closed_form"``, what ``"auto"`` picks: the two constraints
        have disjoint supports, so :math:`\lambda^\star` soft-thresholds :math:`c_\pm^\top y`)
        or by cvxpy (``method="cvxpy"``).

        ``sol.certified`` is False where strong duality fails (the fit needs opposite signs);
        ``sol.info`` holds ``"alpha"``, ``"gamma"``, ``"exact"`` (the sentence that says why
        ``sol.value`` is :math:`P^\star` nonetheless: the reduction of
        :ref:`app-rank-one-mixed`) and ``"dual_optimal"`` (True: ``sol.dual_value`` is
        :math:`D^\star`). ``width``: an int for
        both hidden layers or a sequence of two (at least 2 each; default 2).
        """
        method = self._method(method, ("closed_form", "cvxpy"), auto="closed_form")
        t0 = time.perf_counter()
        _, (alpha, gamma) = self._minimize(exact=True)
        weights = self.optimal_weights(alpha, gamma, width)
        value = self.objective(weights)
        lam = self._dual_optimum() if method == "closed_form" else self._dual_cvxpy()
        lam = self.feasible_dual(lam)
        dual_value = self.dual_objective(lam)
        floor = quadratic_dual_floor(lam, self.y)
        sol = Solution(value=value, weights=weights, dual=lam, dual_value=dual_value,
                       method=method, solve_time=time.perf_counter() - t0,
                       certified=certify(value, dual_value, method, floor),
                       beta=self.beta,
                       info={"alpha": float(alpha), "gamma": float(gamma), "exact": EXACT_MIXED,
                             "dual_optimal": True, "rounding_floor": floor})
        if verbose:
            print(f"RankOneReLUMixed.solve: {sol!r}")
        return sol

    def _dual_optimum(self) -> np.ndarray:
        """The Lagrangian dual optimum: y projected onto the two slabs |c_pm^T lam| <= beta/t,
        whose normals c_+ and c_- have disjoint supports (so the projections commute)."""
        lam = self.y.copy()
        b = self.beta / self.t
        for c in (self.c_plus, self.c_minus):
            cc = float(c @ c)
            if cc > 0:
                cy = float(c @ self.y)
                lam -= c * np.sign(cy) * max(abs(cy) - b, 0.0) / cc
        return lam

    def _dual_cvxpy(self) -> np.ndarray:
        """The Lagrangian dual optimum by cvxpy (the reference of :meth:`_dual_optimum`)."""
        return lasso_dual(np.vstack([self.c_plus, self.c_minus]), self.y, self.beta / self.t,
                          what="mixed-sign rank-one dual").x["lam"]

    def optimal_weights(self, alpha: float, gamma: float, width=None) -> ReLUWeights:
        r"""Weights of the least weight decay that output :math:`\alpha c_++\gamma c_-`
        (:ref:`app-rank-one-mixed`): :math:`W_1=a\,[p,\,-q]` with :math:`p^2+q^2=t^2` gives
        the hidden layer :math:`[p\,c_+,\ q\,c_-]`. Opposite signs: two paths,
        :math:`p\propto|\alpha|^{1/3}`, :math:`q\propto|\gamma|^{1/3}`, cost
        :math:`(|\alpha|^{2/3}+|\gamma|^{2/3})^{3/2}/t`; equal signs: one neuron in layer 2
        that adds both, :math:`p\propto|\alpha|^{1/2}`, :math:`q\propto|\gamma|^{1/2}`, cost
        :math:`(|\alpha|+|\gamma|)/t`. Extra neurons (``width`` above 2) are zero."""
        from ..weights import ReLUWeights
        m1, m2 = hidden_widths(2 if width is None else width, 2)
        if m1 < 2 or m2 < 2:
            raise ValueError(f"width={width} is below 2 neurons per hidden layer, which the "
                             "optimum of the mixed-sign network uses.")
        A, G = abs(float(alpha)), abs(float(gamma))
        W1, W2, w3 = np.zeros((self.d, m1)), np.zeros((m1, m2)), np.zeros(m2)
        if A == 0 and G == 0:
            W1[:, 0] = self.t * self.a
            return ReLUWeights([W1, W2, w3])
        e = 1 / 3 if alpha * gamma < 0 else 1 / 2
        pa, qg = A**e, G**e
        p, q = self.t * pa / np.hypot(pa, qg), self.t * qg / np.hypot(pa, qg)
        W1[:, 0], W1[:, 1] = p * self.a, -q * self.a
        ratio = np.array([A / p if p > 0 else 0.0, G / q if q > 0 else 0.0])
        if alpha * gamma < 0:                       # two paths, balanced
            u = np.sqrt(ratio)
            W2[0, 0], W2[1, 1] = u
            w3[:2] = np.sign([alpha, gamma]) * u
        else:                                       # one neuron adds both, balanced
            r = float(np.linalg.norm(ratio))
            W2[:2, 0] = ratio / np.sqrt(r)
            w3[0] = np.sign(alpha if A > 0 else gamma) * np.sqrt(r)
        return ReLUWeights([W1, W2, w3])

    def primal_value(self):
        r"""Deprecated: ``(sol.value, (sol.info["alpha"], sol.info["gamma"]))`` of
        :meth:`solve`, :math:`P^\star` by the :math:`\ell_{2/3}` formula."""
        warnings.warn("RankOneReLUMixed.primal_value() is deprecated; use sol = prob.solve(): "
                      "sol.value, sol.info['alpha'], sol.info['gamma'].", DeprecationWarning,
                      stacklevel=2)
        return self._minimize(exact=True)

    def dual_value(self) -> float | None:
        r"""Deprecated: :meth:`~dualkit.Problem.lower_bound`, the Lagrangian dual optimum :math:`D^\star`."""
        warnings.warn("RankOneReLUMixed.dual_value() is deprecated; use prob.lower_bound() (or "
                      "prob.solve().dual_value).", DeprecationWarning, stacklevel=2)
        return self.lower_bound()

    def dual_constraint(self, lam) -> DualConstraint:
        r"""The constraint of the Lagrangian dual that decides whether ``lam`` is feasible:
        :math:`\max(|c_+^\top\lambda|,|c_-^\top\lambda|)\le\beta/t` (relative 1e-9 plus
        float64 rounding, as :meth:`dual_objective`)."""
        lam = as_vector(lam, "lam", n=self.n)
        bound = self.beta / self.t
        rounding = 16 * np.finfo(float).eps * float(np.abs(self.c) @ np.abs(lam))
        value = max(abs(float(self.c_plus @ lam)), abs(float(self.c_minus @ lam)))
        return DualConstraint("max(|c₊ᵀλ|, |c₋ᵀλ|)", value, bound,
                              bound * DUAL_FEAS_TOL + rounding, "β/t")

    def dual_objective(self, lam) -> float:
        r"""The Lagrangian dual objective :math:`\lambda^\top y-\tfrac12\|\lambda\|^2` if
        :math:`|c_\pm^\top\lambda|\le\beta/t`, else ``-inf``: a lower bound on
        :math:`D^\star`, hence on :math:`P^\star` (strictly below it when the fit needs
        opposite signs)."""
        if not self.dual_constraint(lam).holds:
            return -np.inf
        lam = as_vector(lam, "lam", n=self.n)
        return float(lam @ self.y) - 0.5 * float(lam @ lam)

    def feasible_dual(self, lam) -> np.ndarray:
        r"""Scale ``lam`` into :math:`|c_\pm^\top\lambda|\le\beta/t`."""
        lam = as_vector(lam, "lam", n=self.n)
        g = self.dual_constraint(lam).value
        bound = self.beta / self.t
        return lam if g <= bound else lam * (bound / g)

    def objective(self, weights) -> float:
        r""":math:`\tfrac12\|f(X)-y\|^2+\tfrac\beta2(\|W_2\|_F^2+\|w_3\|^2)`; ``inf`` if
        :math:`\|W_1\|_F>t`."""
        from ..nets import DeepReLUNet, ReLUWeights
        if isinstance(weights, DeepReLUNet):
            weights = weights.weights()
        if (not isinstance(weights, ReLUWeights) or len(weights) != 3
                or np.shape(weights[0])[0] != self.d or any(b is not None for b in weights.biases)
                or weights.skip is not None):
            raise ValueError(f"weights must be the ReLUWeights of a bias-free 3-layer network with "
                             f"{self.d} inputs (prob.network(width)).")
        if np.linalg.norm(weights[0]) > self.t * (1 + CONSTRAINT_TOL):
            return np.inf
        r = weights.forward(self.X) - self.y
        return 0.5 * float(r @ r) + 0.5 * self.beta * (float(np.sum(weights[1] ** 2))
                                                       + float(np.sum(weights[2] ** 2)))

    def network(self, width=None, seed: int = 0, init_scale: float = 1.0,
                widths=None) -> DeepReLUNet:
        """The primal torch network: a sphere layer of radius t, then two layers with weight
        decay, no biases; ``width`` an int for both hidden layers or a sequence of two
        (default :attr:`~dualkit.Problem.default_width`; ``widths=`` is its deprecated old name)."""
        from ..nets import DeepReLUNet
        widths = hidden_widths(self._width(width, widths, self.default_width), 2)
        return DeepReLUNet(self.d, widths, seed=seed, init_scale=init_scale, sphere_layers=1,
                           radius=self.t, bias="none", output_bias=False)

    def torch_objective(self, net, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Loss plus weight decay on the last two layers, in torch."""
        return last_two_decay_objective(net, X, y, self.beta)
