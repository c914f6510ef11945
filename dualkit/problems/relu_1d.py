r"""ReLU networks on 1-D data fit linear splines (:ref:`app-ramp-program`).

Primal, a two-layer ReLU network with free biases, a free output bias and weight decay on the
weights (optionally a free linear skip term :math:`c\,x`):

.. math:: P^\star=\min\ \tfrac12\sum_i\big(f(x_i)-y_i\big)^2+\tfrac\beta2\sum_j(w_{1,j}^2+w_{2,j}^2),
          \qquad f(x)=\sum_jw_{2,j}(w_{1,j}x+b_j)_++b_0\,[+\,c\,x].

It is exactly the finite convex program (C5) over ReLU ramps with knots at the data points,

.. math:: &\min_{\alpha,\gamma,b_0}\ \tfrac12\|A\alpha+B\gamma+b_0\mathbf 1-y\|^2
          +\beta(\|\alpha\|_1+\|\gamma\|_1),\\
          &A_{ij}=(x_i-x_j)_+,\ B_{ij}=(x_j-x_i)_+,

whose dual is :math:`\max_\lambda-\tfrac12\|\lambda-y\|^2+\tfrac12\|y\|^2` s.t.
:math:`\mathbf 1^\top\lambda=0` (:math:`x^\top\lambda=0` with a skip),
:math:`|A^\top\lambda|\le\beta`, :math:`|B^\top\lambda|\le\beta`. With ``beta=0`` the problem
is minimum-norm interpolation and its value is the spline cost of :ref:`app-spline-cost`,
:ref:`app-biases-skip`.

Deeper networks (``depth > 2``) use the architecture of :ref:`app-deep-1d`: inputs :math:`x\ge0`, layers
:math:`1..L-2` without biases and with :math:`\|W_l\|_F\le t`, a bias in layer :math:`L-1`
and the output, weight decay on :math:`W_{L-1},w_L`; then
:math:`P^\star_{\rm deep}(\beta)=P^\star_{(C5)}(\beta/t^{L-2})`.

Introduced in :ref:`ch-splines-1d`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, NoReturn

import numpy as np

from .._validation import (
    _as_float_array,
    as_vector,
    check_beta,
    check_positive_float,
    check_positive_int,
    finite_or_raise,
)
from ..solvers.closed_form import pow2_exponent, safe_norm
from ..solvers.cvxpy_ref import ramp_program
from ..solvers.ramp import (
    RampFit,
    ramp_dual_constraint,
    ramp_interpolation,
    ramp_lasso,
    unique_points,
)
from ..splines import PiecewiseLinear, network_function
from .base import (
    CERT_TOL,
    DualConstraint,
    Problem,
    Solution,
    certify,
    hidden_widths,
    last_two_decay_objective,
)
from .deep_linear import DeepLinear, _check_depth

if TYPE_CHECKING:
    import torch

    from ..nets import DeepReLUNet, ReLUWeights
else:
    from .._lazy import torch

__all__ = ["ReLU1D", "SplineSolution", "StandardDeepReLU1D", "NoConvexProgramError"]

#: relative slack allowed in the dual constraints when evaluating a dual point
DUAL_FEAS_TOL = 1e-9
#: interpolation tolerance (relative residual) for beta = 0
INTERP_TOL = 1e-7
CONSTRAINT_TOL = 1e-9
#: below this fraction of beta_max (on data scaled to order 1) solve first tries the
#: minimum-cost interpolant with beta times its dual (the barrier method's constraint radius
#: is then too small to resolve); it is kept only when certified
TINY_BETA = 1e-9


class NoConvexProgramError(RuntimeError):
    """Raised by the methods of a problem that has no convex program or dual in this book
    (:class:`StandardDeepReLU1D`): there is nothing to solve or certify."""


def quadratic_dual_floor(lam, y) -> float:
    r"""The absolute rounding of the dual objective :math:`\lambda^\top y-\tfrac12\|\lambda\|^2`,
    :math:`64\epsilon(\|\lambda\|\|y\|+\tfrac12\|y\|^2)`: the ``floor`` that
    :func:`~dualkit.problems.base.certify` allows the squared-loss ReLU problems, whose optima
    can be near zero."""
    lam, y = np.asarray(lam, dtype=float), np.asarray(y, dtype=float)
    return 64 * float(np.finfo(float).eps) * (float(np.linalg.norm(lam) * np.linalg.norm(y))
                                             + 0.5 * float(y @ y))


@dataclass(repr=False)
class SplineSolution(Solution):
    """A :class:`Solution` of :class:`ReLU1D` that also knows the fitted function.

    ``sol.function`` is the fitted :class:`~dualkit.splines.PiecewiseLinear` (exact for
    :math:`x\\ge0` at depth > 2); ``sol.predict(x_new)``, ``sol.knots``, ``sol.slopes``.
    """

    weights: ReLUWeights  # ReLU1D.solve returns the weights with their biases
    function: PiecewiseLinear | None = None

    def predict(self, x_new) -> np.ndarray:
        """The optimal network's output at new scalar inputs (any shape; an ``(n, 1)`` matrix
        is ``X`` as for every :meth:`Solution.predict`, with output ``(n,)``)."""
        return super().predict(x_new) if np.ndim(x_new) == 2 else ReLU1D._predict(self.weights, x_new)

    def _function(self) -> PiecewiseLinear:
        if self.function is None:
            raise ValueError("this SplineSolution has no fitted function (function=None); "
                             "ReLU1D.solve() returns one, pass function= when building it by hand.")
        return self.function

    @property
    def knots(self) -> np.ndarray:
        """Kink locations of the fitted function (data points, :ref:`app-ramp-program`)."""
        return self._function().knots

    @property
    def slopes(self) -> np.ndarray:
        """Slopes of the fitted function on its pieces, left to right."""
        return self._function().slopes


class ReLU1D(Problem):
    r"""Regularized ReLU network on scalar inputs; its convex program (C5) and dual.
    Introduced in :ref:`ch-splines-1d`.

    Parameters
    ----------
    x : array of shape (n,)
        Scalar inputs (a single column of shape ``(n, 1)`` is accepted too; repeated values are
        allowed: their targets are averaged in the convex program, which changes nothing in the
        objective).
    y : array of shape (n,)
        Targets.
    beta : float
        Weight decay strength, >= 0. ``beta=0`` is minimum-norm interpolation (needs distinct
        inputs, or equal targets at repeated ones).
    depth : int
        2 for the usual two-layer network; ``depth > 2`` for the architecture of :ref:`app-deep-1d`
        (needs :math:`x\ge0`).
    t : float
        Frobenius bound of layers :math:`1..L-2` (depth > 2 only).
    skip : bool
        Add a free linear skip term :math:`c\,x` (:ref:`app-biases-skip`): the interpolation cost becomes
        the interior total variation of the slope.
    """

    #: width of :meth:`network` when none is given (a wide network, so that trained kinks
    #: can reach every knot of the optimum)
    default_width: int = 200

    def __init__(self, x, y, beta: float, depth: int = 2, t: float = 1.0, skip: bool = False):
        self.x, self.y = self._data(x, y)
        self.depth, self.t, self.skip = self._architecture(self.x, depth, t, skip)
        self.X = self.x[:, None]
        self.n = self.x.size
        self.xs, self.ybar, self.omega, self.inverse = unique_points(self.x, self.y)
        self._const = 0.5 * float(np.sum((self.y - self.ybar[self.inverse]) ** 2))
        self.loss = None
        self.beta = check_beta(beta)
        self._set_beta(self.beta)

    @staticmethod
    def _data(x, y) -> tuple[np.ndarray, np.ndarray]:
        x = _as_float_array(x, "x")       # also detaches a torch tensor that requires grad
        if x.ndim == 2 and x.shape[1] == 1:
            x = x[:, 0]
        if x.ndim != 1:
            raise ValueError(f"x must hold scalar inputs, shape (n,) or (n, 1); got {x.shape}.")
        x = as_vector(x, "x")
        return x, as_vector(y, "y", n=x.size, n_name="x")

    @staticmethod
    def _architecture(x, depth, t, skip) -> tuple[int, float, bool]:
        depth_ = _check_depth(depth)                  # the check of DeepLinear
        t = check_positive_float(t, "t")
        DeepLinear._t_power(t, depth_ - 2)            # t^(L-2) representable in float64
        if not isinstance(skip, (bool, np.bool_)):
            raise ValueError(f"skip must be True or False; got {skip!r}.")
        if depth_ > 2 and x.min() < 0:
            raise ValueError(
                f"depth={depth_} uses the deep architecture of the derivations appendix (app-deep-1d), "
                f"which needs inputs "
                f"x >= 0 (min x = {x.min():.4g}); shift them, e.g. x - x.min() + 0.1."
            )
        return depth_, t, bool(skip)

    def _set_beta(self, beta: float) -> None:
        if beta == 0.0 and self._const > INTERP_TOL**2 * max(float(self.y @ self.y), 1e-300):
            raise ValueError("beta=0 asks for an interpolating network, but repeated inputs have "
                             "different targets; use beta > 0.")

    # ------------------------------------------------------------------ basics
    @property
    def _x_size(self) -> float:
        r"""``ptp(x) + max|x|``: the size of the rounding of :math:`A^\top\lambda` and of the
        network's output, per unit of :math:`\|\lambda\|_1` or of slope (it scales with x,
        so that the slack of the dual constraints is the same at every scale of the data)."""
        return float(np.ptp(self.xs) + np.abs(self.xs).max())

    @property
    def value_scale(self) -> float:
        r""":math:`t^{L-2}`: the deep problem is (C5) at :math:`\beta/t^{L-2}` (:ref:`app-deep-1d`)."""
        return self.t ** (self.depth - 2)

    @property
    def beta_eff(self) -> float:
        """The strength of the equivalent two-layer program, ``beta / value_scale``."""
        return self.beta / self.value_scale

    def __repr__(self) -> str:
        return (f"ReLU1D(n={self.n}, beta={self.beta:.6g}, depth={self.depth}, t={self.t:g}, "
                f"skip={self.skip})")

    @property
    def beta_max(self) -> float:
        r"""Smallest :math:`\beta` at which the optimal network has no active neuron. The fit is
        the mean (or, with a skip, the least-squares line) and :math:`\beta_{\rm eff}` exceeds
        :math:`\max(|A^\top r|,|B^\top r|)` for its residual :math:`r`."""
        return self._zero_threshold(self.x, self.y, self.xs, self.inverse, self.skip) * self.value_scale

    @classmethod
    def beta_max_for(cls, x, y, depth: int = 2, t: float = 1.0, skip: bool = False) -> float:
        r"""The zero threshold :attr:`beta_max` of the problem on data ``x``, ``y`` (with the
        constructor's ``depth``, ``t``, ``skip``), from the data alone: no ``beta`` is chosen,
        so it also works on repeated inputs with different targets, where ``beta=0`` is
        refused."""
        x, y = cls._data(x, y)
        depth, t, skip = cls._architecture(x, depth, t, skip)
        xs, _, _, inverse = unique_points(x, y)
        return cls._zero_threshold(x, y, xs, inverse, skip) * t ** (depth - 2)

    @staticmethod
    def _zero_threshold(x, y, xs, inverse, skip: bool) -> float:
        """max(|A^T r|, |B^T r|) for the residual r of the affine fit (the two-layer beta_max),
        computed on x and y scaled by powers of two to entries of order 1 (exact) and scaled
        back: it is homogeneous of degree one in x and in y, so no scale of the data overflows
        an intermediate (an overflowing threshold itself is ``inf``)."""
        ex, ey = pow2_exponent(xs), pow2_exponent(y)
        x, y, xs = np.ldexp(x, -ex), np.ldexp(y, -ey), np.ldexp(xs, -ex)
        with np.errstate(over="ignore"):
            return float(np.ldexp(ReLU1D._unit_threshold(x, y, xs, inverse, skip), ex + ey))

    @staticmethod
    def _unit_threshold(x, y, xs, inverse, skip: bool) -> float:
        if skip and xs.size >= 2:
            M = np.column_stack([np.ones(x.size), x - x.mean()])
            r = y - M @ np.linalg.lstsq(M, y, rcond=None)[0]
        else:
            r = y - y.mean()
        lam = np.bincount(inverse, weights=r, minlength=xs.size)
        a, b = ramp_dual_constraint(xs, lam)
        return float(max(np.abs(a).max(initial=0.0), np.abs(b).max(initial=0.0)))

    # ------------------------------------------------------------------ objectives
    def _check_weights(self, weights) -> ReLUWeights:
        from ..nets import DeepReLUNet, ReLUWeights
        if isinstance(weights, DeepReLUNet):
            self.check_network(weights)
            weights = weights.weights()
        if not isinstance(weights, ReLUWeights):
            raise ValueError("weights must be a ReLUWeights (e.g. sol.weights or net.weights()) or "
                             f"a DeepReLUNet from prob.network(); got {type(weights).__name__}.")
        if len(weights) != self.depth:
            raise ValueError(f"expected {self.depth} layers; got {len(weights)}.")
        if np.shape(weights[0])[0] != 1:
            raise ValueError(f"the first layer must have one input row; got {np.shape(weights[0])}.")
        if any(b is not None for b in weights.biases[: self.depth - 2]):
            raise ValueError("layers 1..L-2 have no biases in this architecture (derivations appendix, "
                             "app-deep-1d).")
        return weights

    def objective(self, weights) -> float:
        r"""Primal objective at a network or its :class:`~dualkit.nets.ReLUWeights`:
        :math:`\tfrac12\|f(x)-y\|^2+\tfrac\beta2(\|W_{L-1}\|_F^2+\|w_L\|^2)`; ``inf`` if a
        constraint :math:`\|W_l\|_F\le t` is violated. With ``beta=0``:
        :math:`\tfrac12(\|W_{L-1}\|_F^2+\|w_L\|^2)` if the network interpolates, else ``inf``."""
        return self._objective(self._check_weights(weights))

    def _objective(self, ws: ReLUWeights, function: PiecewiseLinear | None = None) -> float:
        if any(safe_norm(W) > self.t * (1 + CONSTRAINT_TOL) for W in ws[: self.depth - 2]):
            return np.inf
        reg = 0.5 * (float(np.sum(ws[-2] ** 2)) + float(np.sum(ws[-1] ** 2)))
        pred = self._predict(ws, self.x) if function is None else function(self.x)
        r = pred - self.y
        if self.beta == 0.0:
            # rounding of sum_j z_j (x - k_j)_+ is about eps * sum|z_j| * range per point: with
            # inputs 1e-11 apart the kinks reach 1e10 and that exceeds the relative 1e-7
            rounding = (16 * np.finfo(float).eps * np.sqrt(self.n) * 2 * reg * self.value_scale
                        * self._x_size)
            ok = np.linalg.norm(r) <= INTERP_TOL * max(float(np.linalg.norm(self.y)), 1e-300) + rounding
            return reg if ok else np.inf
        return 0.5 * float(r @ r) + self.beta * reg

    @staticmethod
    def _predict(ws: ReLUWeights, x) -> np.ndarray:
        """The network at inputs x; for wide networks on many points through the piecewise-linear
        function (O((n + m) log m), no n-by-m activations), exact on this problem's inputs."""
        x = np.asarray(x, dtype=float)
        exact = len(ws) == 2 or bool(np.all(x >= 0))   # network_function is exact there
        if x.size * ws[-1].size <= 2_000_000 or not exact:
            return ws.forward(x.reshape(-1, 1)).reshape(x.shape)
        return network_function(ws)(x)

    def _dual_parts(self, lam):
        lam = as_vector(lam, "lam", n=self.n, n_name="x")
        merged = np.bincount(self.inverse, weights=lam, minlength=self.xs.size)
        a, b = ramp_dual_constraint(self.xs, merged)
        viol = float(max(np.abs(a).max(initial=0.0), np.abs(b).max(initial=0.0)))
        # the constraints depend on differences of inputs only: test 1^T lam against |lam| and
        # x^T lam against |x - mean(x)| |lam|, so that shifting x changes nothing
        eq = abs(float(lam.sum())) <= 1e-9 * float(np.abs(lam).sum())
        if self.skip:
            xc = self.x - self.x.mean()
            eq = eq and abs(float(xc @ lam)) <= 1e-9 * float(np.abs(xc) @ np.abs(lam))
        return lam, viol, eq

    def dual_objective(self, lam) -> float:
        r"""Dual objective :math:`\lambda^\top y-\tfrac12\|\lambda\|^2` if
        :math:`\mathbf 1^\top\lambda=0` (and :math:`x^\top\lambda=0` with a skip) and
        :math:`|A^\top\lambda|,|B^\top\lambda|\le\beta_{\rm eff}`, else ``-inf``; with ``beta=0``:
        :math:`\lambda^\top y/t^{L-2}` if the constraints hold with bound 1 (the deep value is the
        two-layer one divided by :math:`t^{L-2}`). The constraints are checked to a relative 1e-9
        (plus float64 rounding), so a finite value is a lower bound on the primal optimum up to
        that slack; :meth:`feasible_dual` first gives a strict certificate."""
        lam, viol, eq = self._dual_parts(lam)
        radius = self.beta_eff if self.beta > 0 else 1.0
        rounding = 64 * np.finfo(float).eps * float(np.abs(lam).sum()) * self._x_size
        if not eq or viol > radius * (1 + DUAL_FEAS_TOL) + rounding:
            return -np.inf
        if self.beta == 0.0:
            return float(lam @ self.y) / self.value_scale
        # lam^T y - |lam|^2/2: the same as |y|^2/2 - |lam - y|^2/2 without its cancellation
        return float(lam @ self.y) - 0.5 * float(lam @ lam)

    def dual_constraint(self, lam) -> DualConstraint:
        r"""The constraint that decides whether ``lam`` is dual feasible
        (:class:`~dualkit.problems.base.DualConstraint`), with the slack of
        :meth:`dual_objective`: the equality :math:`\mathbf 1^\top\lambda=0` (the free output
        bias), then :math:`(x-\bar x)^\top\lambda=0` (with a skip), then
        :math:`\max_j|(A^\top\lambda)_j|,|(B^\top\lambda)_j|\le\beta_{\rm eff}` (bound 1 with
        ``beta=0``)."""
        lam, viol, _ = self._dual_parts(lam)
        absum = float(np.abs(lam).sum())
        eqs = [("|1ᵀλ|", abs(float(lam.sum())), 1e-9 * absum,
                "1ᵀλ = 0 and xᵀλ = 0 (the free output bias and the skip term)" if self.skip
                else "1ᵀλ = 0 (the free output bias)")]
        if self.skip:
            xc = self.x - self.x.mean()
            eqs.append(("|(x − x̄)ᵀλ|", abs(float(xc @ lam)), 1e-9 * float(np.abs(xc) @ np.abs(lam)),
                        "xᵀλ = 0 together with 1ᵀλ = 0 (the skip term and the output bias)"))
        for name, value, slack, cond in eqs:
            if value > slack:
                return DualConstraint(name, value, 0.0, slack, "0", cond)
        radius = self.beta_eff if self.beta > 0 else 1.0
        rounding = 64 * np.finfo(float).eps * absum * self._x_size
        bname = ("1 (β = 0: interpolation)" if self.beta == 0 else
                 "β_eff = β/t^(L−2)" if self.depth > 2 else "β")
        return DualConstraint("max_j |(Aᵀλ)_j|, |(Bᵀλ)_j|", viol, radius,
                              radius * DUAL_FEAS_TOL + rounding, bname)

    def feasible_dual(self, lam) -> np.ndarray:
        r"""Make a residual (e.g. :math:`y-f(x)` of a trained network) a dual certificate: remove
        its mean (and its component along :math:`x` with a skip), then scale it into
        :math:`|A^\top\lambda|,|B^\top\lambda|\le\beta_{\rm eff}`. Only the part that the
        constraints see (the sums over repeated inputs) is scaled; the rest, residuals around
        the mean target of a repeated input, is kept."""
        lam = as_vector(lam, "lam", n=self.n, n_name="x").copy()
        if self.skip and self.xs.size >= 2:
            M = np.column_stack([np.ones(self.n), self.x - self.x.mean()])
            lam = lam - M @ np.linalg.lstsq(M, lam, rcond=None)[0]
        else:
            lam = lam - lam.mean()
        merged = np.bincount(self.inverse, weights=lam, minlength=self.xs.size)
        seen = (merged / self.omega)[self.inverse]          # what the constraints depend on
        rest = lam - seen                                   # sums to zero over each repeated input
        if np.linalg.norm(seen) <= 16 * np.finfo(float).eps * max(float(np.linalg.norm(self.y)), 1e-300):
            return rest                                     # rounding-level: exactly feasible
        _, viol, _ = self._dual_parts(lam)
        radius = self.beta_eff if self.beta > 0 else 1.0
        return lam if viol <= radius else rest + seen * (radius / viol)

    # ------------------------------------------------------------------ solving
    def solve(self, method: str = "auto", width=None, verbose: bool = False, seed: int = 0,
              solver: str | None = None, max_iter: int = 400) -> SplineSolution:
        r"""Global optimum through (C5).

        Parameters
        ----------
        method : {"auto", "ramp", "cvxpy"}
            ``"ramp"`` (``"auto"``, the default; None is its old spelling): the banded
            interior-point solver of :mod:`dualkit.solvers.ramp` (closed form for ``beta=0``);
            ``"cvxpy"``: (C5) with dense ramp matrices (reference; n up to a few thousand).
        width : int or sequence of int, optional
            Hidden widths of the returned network: an int for every hidden layer or a sequence
            of :math:`L-1`; default the number of active ramps. The last must be at least that
            number; extra neurons are zero.
        verbose : bool
            Print progress lines (one per stage of the barrier method, or the start and end of
            the cvxpy solve) and the summary line; ``sol.info["progress"]`` keeps the progress
            lines either way.
        seed : int
            Seeds the non-negative unit vectors :math:`\varphi_l` of the deep construction.
        solver : str, optional
            cvxpy solver for ``method="cvxpy"``; by default HiGHS for the interpolation LP
            (``beta=0``) and Clarabel with tight tolerances otherwise.
        max_iter : int
            Newton-step budget of the banded barrier method.

        Notes
        -----
        Every scale of the data gets the same answer: the solve runs on x and y divided by
        powers of two (exact) to entries of order 1 and maps back, since
        :math:`P^\star(ax,by,ab\beta)=b^2P^\star(x,y,\beta)` with knots times :math:`a`.
        With :math:`\beta\ge\beta_{\max}` the zero network is returned, certified by its
        residual, without running a solver; far below :math:`\beta_{\max}` (a fraction
        ``TINY_BETA``) the minimum-cost interpolant with :math:`\beta` times the interpolation
        dual, when that certifies. A ``ValueError`` says so when the optimal value or weights
        are not representable in float64.

        ``sol.certified`` follows :func:`~dualkit.problems.base.certify` with the solver's
        tolerance (``CERT_TOL["ramp"]`` or ``CERT_TOL["cvxpy"]``, both a relative 1e-6) and the
        rounding floor :math:`64\epsilon(\|\lambda\|\|y\|+\tfrac12\|y\|^2)` of
        :math:`\lambda^\top y-\tfrac12\|\lambda\|^2` for optima near zero.

        Raises
        ------
        ValueError
            When the optimal value, its weights or :math:`\tfrac12\|y\|^2` overflow float64
            (with the rescaling that fixes it).
        RuntimeError
            When the barrier method ends its budget without a certified optimum (relative gap
            above ``CERT_TOL["ramp"]``), with the gap it reached and a hint; or when cvxpy does
            not reach 'optimal'.
        """
        method = self._method(method, ("ramp", "cvxpy"), auto="ramp")
        max_iter = check_positive_int(max_iter, "max_iter")
        with np.errstate(over="ignore"):
            half_yy = 0.5 * float(np.linalg.norm(self.y)) ** 2
        finite_or_raise(half_yy, "y: ½‖y‖² (the objective of the zero network, the scale of "
                        "every value and rounding bound)", self._RESCALE)
        t0 = time.perf_counter()
        progress: list[str] = []
        # solve on x / 2**ex, y / 2**ey (exact: powers of two) at beta_eff / 2**(ex + ey) and
        # map back: P(a x, b y, a b beta) = b**2 P(x, y, beta), knots times a, coefficients
        # (slopes) times b / a, the dual point times b (times 1 / a for beta = 0)
        ex, ey = pow2_exponent(self.xs), pow2_exponent(self.ybar)
        xs, yb, om = np.ldexp(self.xs, -ex), np.ldexp(self.ybar, -ey), self.omega
        with np.errstate(over="ignore", under="ignore"):
            beta_s = float(np.ldexp(self.beta_eff, -(ex + ey)))
        zero = self._unit_threshold(np.ldexp(self.x, -ex), np.ldexp(self.y, -ey), xs,
                                    self.inverse, self.skip)
        fit_s = lam_s = None
        info: dict = {}
        if self.beta > 0 and beta_s >= zero:
            fit_s, lam_s, info = self._zero_fit(xs, yb)
        elif self.beta > 0 and beta_s <= TINY_BETA * zero:
            fit_s, lam_s, info = self._limit_fit(xs, yb, beta_s)
            if not self._finish(fit_s, lam_s, info, method, width, seed, ex, ey,
                                t0).certified:
                fit_s = None        # beta not small enough for the limit: solve after all
        if fit_s is None and method == "ramp":
            if self.beta == 0.0:
                fit_s = ramp_interpolation(xs, yb, skip=self.skip)
                lam_s = self._interpolation_dual(xs, yb)
            elif xs.size == 1:
                fit_s = RampFit(xs, np.zeros(1), np.zeros(1), yb[0])
                lam_s = np.zeros(1)
            else:
                fit_s = ramp_lasso(xs, yb, beta_s, omega=om, skip=self.skip,
                                   max_newton=max_iter, verbose=verbose)
                lam_s = fit_s.lam
            info = dict(fit_s.info)
        elif fit_s is None:
            line = (f"ReLU1D.solve: cvxpy program (C5) with {xs.size} distinct inputs "
                    f"({2 * xs.size} ramps), solver {solver or 'default'} ...")
            progress.append(line)
            if verbose:
                print(line, flush=True)
            fit_s, lam_s, info = self._solve_cvxpy(xs, yb, beta_s, solver)
            line = f"ReLU1D.solve: cvxpy done in {time.perf_counter() - t0:.2f} s"
            progress.append(line)
            if verbose:
                print(line, flush=True)
        info["progress"] = info.get("progress", []) + progress
        sol = self._finish(fit_s, lam_s, info, method, width, seed, ex, ey, t0)
        info = sol.info
        if verbose:
            steps = f" ({info['newton']} Newton steps)" if "newton" in info else ""
            print(f"ReLU1D.solve{steps}: {sol!r}")
        if method == "ramp" and not sol.certified:
            status = ("ended its budget" if not info.get("converged", True) else
                      "converged on its own barrier gap but the certificate does not close")
            raise RuntimeError(
                f"the banded barrier method {status} after {info.get('newton')} Newton steps "
                f"(budget max_iter={max_iter}) at relative duality gap "
                f"{sol.rel_gap if np.isfinite(sol.rel_gap) else float('inf'):.1e} (a "
                f"certificate needs {CERT_TOL['ramp']:g}). Try a larger max_iter, "
                "solve(method='cvxpy') for n up to a few thousand, or rescale x and y.")
        return sol

    _RESCALE = ("rescale the data: ReLU1D(x * a, y * b, beta * a * b) has b**2 times the "
                "optimal value, knots a times these and the same certificate (relative gap); "
                "choose a and b that bring x and y to entries of order 1")

    def _finish(self, fit_s: RampFit, lam_s, info: dict, method: str, width, seed: int,
                ex: int, ey: int, t0: float) -> SplineSolution:
        """The solution from a fit and a dual point on the scaled data (x / 2**ex, y / 2**ey):
        both mapped back, the network built, its value and the certificate computed on the
        original data. A value that float64 cannot represent raises a ``ValueError``."""
        e_slope = ey - ex
        with np.errstate(over="ignore", under="ignore"):
            fit = RampFit(self.xs, np.ldexp(fit_s.alpha, e_slope), np.ldexp(fit_s.gamma, e_slope),
                          float(np.ldexp(fit_s.b0, ey)), float(np.ldexp(fit_s.c, e_slope)))
            lam_u = np.ldexp(lam_s, -ex if self.beta == 0.0 else ey)
        finite_or_raise([fit.alpha, fit.gamma], "the optimal slope changes (ramp coefficients)",
                        self._RESCALE)
        finite_or_raise([fit.b0, fit.c], "the optimal output bias", self._RESCALE)
        weights = self.ramp_weights(fit, width=width, seed=seed)
        function = network_function(weights)
        with np.errstate(over="ignore", invalid="ignore"):
            value = self._objective(weights, function)
            if self.beta > 0:
                finite_or_raise(value, "the optimal value ½‖f(x) − y‖² + β·(slope changes)",
                                self._RESCALE)
            lam = self._expand_dual(lam_u)
            if self.beta > 0:
                # the solver's dual point, and the residual of its primal (the optimal dual is
                # the residual, KKT): both made feasible, the better one kept. The residual
                # saves the certificate when the slope-change parametrization loses digits
                # (inputs of size 1e3 with gaps of 1e-2: 1^T lambda off by 0.1 was seen)
                resid = self.y - function(self.x)
                # (far below beta_max also the limit's point itself, feasible by construction:
                # feasible_dual zeroes a dual point at the rounding level of y, and there that
                # is the whole certificate)
                cands = [self.feasible_dual(lam), self.feasible_dual(resid)]
                lam = max(cands + ([lam] if info.get("limit") else []), key=self.dual_objective)
            dual_value = self.dual_objective(lam)
            floor = quadratic_dual_floor(lam, self.y)
        finite_or_raise(floor, "½‖y‖² (the scale of the certificate's rounding)", self._RESCALE)
        info = dict(info, rounding_floor=floor)
        return SplineSolution(
            value=value, weights=weights, dual=lam, dual_value=dual_value, method=method,
            solve_time=time.perf_counter() - t0,
            certified=certify(value, dual_value, method, floor),
            beta=self.beta, info=info, function=function,
        )

    def _zero_fit(self, xs, yb):
        """beta >= beta_max (on the scaled data): the zero network, i.e. the constant mean (the
        least-squares line with a skip), and its residual as the dual point, feasible there;
        no solver runs."""
        om = self.omega
        if self.skip and xs.size >= 2:
            xc = xs - float(om @ xs) / om.sum()
            M = np.column_stack([np.ones(xs.size), xc]) * np.sqrt(om)[:, None]
            b, c = np.linalg.lstsq(M, yb * np.sqrt(om), rcond=None)[0]
            fit = RampFit(xs, np.zeros(xs.size), np.zeros(xs.size), b - c * (xs - xc)[0], c)
        else:
            fit = RampFit(xs, np.zeros(xs.size), np.zeros(xs.size), float(om @ yb) / om.sum())
        info = {"shortcut": "beta >= beta_max: the zero network (no active neuron) is optimal, "
                            "certified by its residual; no solver ran", "newton": 0,
                "converged": True}
        return fit, om * (yb - fit.at_knots()), info

    def _limit_fit(self, xs, yb, beta_s: float):
        r"""beta far below beta_max (on the scaled data): the minimum-cost interpolant and
        :math:`\beta` times the interpolation dual, optimal up to
        :math:`O(\beta^2\|\lambda\|^2)`; the caller keeps it only when it is certified (the
        barrier method cannot resolve a constraint radius that small)."""
        fit = ramp_interpolation(xs, yb, skip=self.skip)
        info = {"shortcut": "beta far below beta_max: the minimum-cost interpolant, certified "
                            "by beta times the interpolation dual; no solver ran", "newton": 0,
                "converged": True, "limit": True}
        return fit, beta_s * self._interpolation_dual(xs, yb), info

    def _interpolation_dual(self, xs, yb):
        """The LP dual of minimum-norm interpolation in closed form (see the chapter)."""
        n = xs.size
        if n <= 1:
            return np.zeros(n)
        s = np.diff(yb) / np.diff(xs)
        delta = np.diff(s)
        h = np.diff(xs)
        u = np.sign(delta)
        tau = 0.0
        if not self.skip:
            P, N = np.maximum(delta, 0).sum(), np.maximum(-delta, 0).sum()
            if s[0] > N:
                tau = 1.0
            elif s[0] < -P:
                tau = -1.0
            # |u_j| <= 1 and |u_j + tau| <= 1
            u = np.where(delta > 0, 1.0 - max(tau, 0.0), -1.0 - min(tau, 0.0))
            u[delta == 0] = -tau / 2
        lam = np.zeros(n)
        if n > 2:
            lam[:-2] += u / h[:-1]
            lam[1:-1] -= u * (1 / h[:-1] + 1 / h[1:])
            lam[2:] += u / h[1:]
        lam[-1] += tau / h[-1]
        lam[-2] -= tau / h[-1]
        return lam

    def _expand_dual(self, lam_u):
        """A dual point on the original (possibly repeated) inputs from one on the distinct
        inputs: :math:`\\lambda_i=\\lambda_k/\\omega_k+(y_i-\\bar y_k)`, which has the same
        constraint sums and the same dual value up to the constant of the repeated targets."""
        lam_u = np.asarray(lam_u, dtype=float)
        if self.beta == 0.0:
            return (lam_u / self.omega)[self.inverse]
        return (lam_u / self.omega)[self.inverse] + (self.y - self.ybar[self.inverse])

    def _solve_cvxpy(self, xs, yb, beta_eff: float, solver=None):
        """(C5) by cvxpy on the sorted distinct inputs ``xs`` with mean targets ``yb`` (the
        scaled data of :meth:`solve`) at ``beta_eff``: the fit, its dual point, the timings."""
        om = self.omega
        res = ramp_program(xs, yb, beta_eff, omega=om, skip=self.skip, solver=solver)
        alpha, gamma = res.x["alpha"].ravel(), res.x["gamma"].ravel()
        big = max(np.abs(alpha).max(), np.abs(gamma).max(), 1e-300)
        alpha[np.abs(alpha) <= 1e-9 * big] = 0.0
        gamma[np.abs(gamma) <= 1e-9 * big] = 0.0
        fit = RampFit(xs, alpha, gamma, res.x["b0"], res.x.get("c", 0.0))
        if beta_eff == 0.0:
            lam_u = res.duals["interpolation"]
        else:
            lam_u = om * (yb - fit.at_knots())
        return fit, lam_u, dict(res.timings)

    # ------------------------------------------------------------------ networks
    def ramp_weights(self, fit: RampFit, width=None, seed: int = 0) -> ReLUWeights:
        r"""Network weights realizing a ramp expansion (:ref:`app-ramp-program`, and :ref:`app-deep-1d`
        for depth > 2).

        Depth 2: one neuron per non-zero coefficient :math:`z` at knot :math:`x_j` with
        orientation :math:`s=\pm1`: :math:`w_1=s\sqrt{|z|}`, :math:`b=-s\sqrt{|z|}x_j`,
        :math:`w_2=\operatorname{sign}(z)\sqrt{|z|}`. Depth > 2: :math:`W_1=t\varphi_1^\top`,
        :math:`W_l=t\varphi_{l-1}\varphi_l^\top` with non-negative unit :math:`\varphi_l`, and per
        coefficient a column :math:`s\,r\,\varphi_{L-2}` of :math:`W_{L-1}`, bias
        :math:`-s\,r\,t^{L-2}x_j`, output weight :math:`\operatorname{sign}(z)r`,
        :math:`r=\sqrt{|z|/t^{L-2}}`.

        ``width``: an int for every hidden layer or a sequence of :math:`L-1` widths (default
        the number of active ramps); the last must be at least that number.
        """
        from ..weights import ReLUWeights
        idx_a, idx_g = np.flatnonzero(fit.alpha), np.flatnonzero(fit.gamma)
        z = np.concatenate([fit.alpha[idx_a], fit.gamma[idx_g]])
        knots = np.concatenate([fit.x[idx_a], fit.x[idx_g]])
        s = np.concatenate([np.ones(idx_a.size), -np.ones(idx_g.size)])
        k = z.size
        L = self.depth
        widths = hidden_widths(max(k, 1) if width is None else width, L - 1)
        m = widths[-1]
        if m < k:
            raise ValueError(f"width={width} is below the number of active ramps ({k}) of the "
                             "optimum.")
        ts = self.value_scale
        r = np.sqrt(np.abs(z) / ts)
        rng = np.random.default_rng(seed)
        layers: list[np.ndarray] = []
        biases: list[np.ndarray | float | None] = []
        if L == 2:
            w1 = np.zeros((1, m))
            w1[0, :k] = s * r
            b = np.zeros(m)
            b[:k] = -s * r * knots
            layers, biases = [w1], [b]
        else:
            phis = []
            for width_l in widths[:-1]:
                p = np.abs(rng.standard_normal(width_l))
                phis.append(p / np.linalg.norm(p))
            layers.append(self.t * phis[0][None, :])
            biases.append(None)
            for l_ in range(1, L - 2):
                layers.append(self.t * np.outer(phis[l_ - 1], phis[l_]))
                biases.append(None)
            WL1 = np.zeros((widths[-2], m))
            WL1[:, :k] = np.outer(phis[-1], s * r)
            b = np.zeros(m)
            b[:k] = -s * r * ts * knots
            layers.append(WL1)
            biases.append(b)
        wL = np.zeros(m)
        wL[:k] = np.sign(z) * r
        layers.append(wL)
        biases.append(fit.b0)
        return ReLUWeights(layers, biases, fit.c if self.skip else None)

    def network(self, width=None, seed: int = 0, init_scale: float | None = None,
                place_kinks: bool = True) -> DeepReLUNet:
        """The primal network: hidden widths ``width`` (an int for every hidden layer or a
        list, default :attr:`~dualkit.Problem.default_width`), a bias in layer L-1 and the output, the sphere
        constraint on layers 1..L-2 (with non-negative initialization), and kinks initialized
        uniformly inside the data range (see ``DeepReLUNet.place_kinks``).

        ``init_scale`` defaults to 1 at depth 2 and 5 deeper: on the chapter's depth-4 example
        (widths 30-30-200, Adam lr 3e-3, 8000 steps) scale 1 left relative gaps of 30-110%,
        scale 5 gaps of 1-3%."""
        from ..nets import DeepReLUNet
        if init_scale is None:
            init_scale = 1.0 if self.depth == 2 else 5.0
        widths = hidden_widths(self.default_width if width is None else width, self.depth - 1)
        net = DeepReLUNet(1, widths, seed=seed, init_scale=init_scale,
                          sphere_layers=self.depth - 2, radius=self.t, bias="last",
                          output_bias=True, skip=self.skip, nonneg=True)
        if place_kinks:
            net.place_kinks(float(self.x.min()), float(self.x.max()), seed=seed)
        out_bias = net.out_bias
        assert out_bias is not None  # built with output_bias=True (DeepReLUNet's default)
        with torch.no_grad():
            out_bias.fill_(float(self.y.mean()))
        return net

    def check_network(self, net) -> None:
        """Raise a ``ValueError`` unless ``net`` is a 1-D ReLU network of this depth (and skip
        connection as ``skip`` says), as :meth:`network` builds."""
        from ..nets import DeepReLUNet
        if not isinstance(net, DeepReLUNet) or net.d != 1 or net.depth != self.depth:
            raise ValueError(f"net must be a 1-D DeepReLUNet of depth {self.depth} "
                             "(use prob.network(width)).")
        if net.bias_mode != "last" or net.sphere_layers != self.depth - 2 or net.has_skip != self.skip:
            raise ValueError("net does not have this problem's architecture; use prob.network(width).")
        if self.depth > 2 and not np.isclose(net.radius, self.t):
            raise ValueError(f"net.radius={net.radius} differs from t={self.t}.")

    def torch_objective(self, net, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Loss plus weight decay on the last two layers (biases free), in torch."""
        return last_two_decay_objective(net, X, y, self.beta)


class StandardDeepReLU1D(Problem):
    r"""The *standard* deep ReLU network on scalar inputs: biases in every layer, weight decay
    on every weight matrix (biases free),

    .. math:: \min\ \tfrac12\sum_i(f(x_i)-y_i)^2+\tfrac\beta2\sum_{l=1}^L\|W_l\|_F^2 .

    It is here to show where the spline theorem stops (:ref:`app-deep-1d`): its optimum can have kinks
    at *reflections* :math:`2x_j-x_i` of data points (Zeger & Pilanci 2024), so no convex
    program with knots at the data points describes it. ``solve``, the dual methods and
    ``beta_max`` raise :class:`~dualkit.problems.relu_1d.NoConvexProgramError` (a ``RuntimeError``) that
    says so, and
    ``lower_bound()`` is None; :meth:`capped_ramp` builds the explicit interpolant of the
    chapter's example, and :func:`~dualkit.train` trains it (without a gap).

    Introduced in :ref:`ch-splines-1d`.
    """

    #: width of :meth:`network` when none is given
    default_width: int = 20

    def __init__(self, x, y, beta: float, depth: int = 4):
        base = ReLU1D(x, y, beta)
        self.x, self.y, self.X, self.n, self.beta = base.x, base.y, base.X, base.n, base.beta
        self.depth = _check_depth(depth)              # the check of DeepLinear
        self.loss = None

    _WHY = ("the standard deep ReLU network (biases in every layer) has no convex program with "
            "knots at the data points: its optimum can have kinks at reflected points 2x_j - x_i "
            "(derivations appendix, app-deep-1d; Zeger & Pilanci 2024). Use ReLU1D(..., depth=L) "
            "for the architecture "
            "in which the spline theorem holds.")

    @classmethod
    def _refuse(cls, what: str) -> NoReturn:
        raise NoConvexProgramError(f"{what}: {cls._WHY}")

    def solve(self, method: str = "auto", width=None, verbose: bool = False,
              **options) -> Solution:
        """Refused: raises :class:`~dualkit.problems.relu_1d.NoConvexProgramError` (there is no convex
        program to solve;
        train the network with :func:`dualkit.train` and compare objectives)."""
        self._refuse("StandardDeepReLU1D.solve() has nothing to solve")

    def lower_bound(self) -> None:
        """None: no certified lower bound exists for this architecture."""
        return None

    def dual_objective(self, lam) -> float:
        """Refused (:class:`~dualkit.problems.relu_1d.NoConvexProgramError`): this architecture has no
        convex dual."""
        self._refuse("StandardDeepReLU1D has no dual objective")

    def dual_constraint(self, lam) -> DualConstraint:
        """Refused (:class:`~dualkit.problems.relu_1d.NoConvexProgramError`): this architecture has no
        convex dual."""
        self._refuse("StandardDeepReLU1D has no dual constraint")

    def feasible_dual(self, lam) -> np.ndarray:
        """Refused (:class:`~dualkit.problems.relu_1d.NoConvexProgramError`): this architecture has no
        convex dual."""
        self._refuse("StandardDeepReLU1D has no dual feasible set")

    @property
    def beta_max(self) -> float:
        """Refused (:class:`~dualkit.problems.relu_1d.NoConvexProgramError`): the zero threshold of this
        non-convex
        problem is not known (the zero network is a local minimum at every beta for depth >= 3,
        so the threshold is a global question without a formula here)."""
        self._refuse("the zero threshold beta_max of StandardDeepReLU1D is not known")

    @classmethod
    def beta_max_for(cls, x, y, depth: int = 4) -> NoReturn:
        """Refused as :attr:`beta_max` (:class:`~dualkit.problems.relu_1d.NoConvexProgramError`),
        whatever the data and ``depth`` (the constructor's other parameter)."""
        cls._refuse("the zero threshold beta_max of StandardDeepReLU1D is not known")

    def objective(self, weights) -> float:
        """:math:`\\tfrac12\\|f(x)-y\\|^2+\\tfrac\\beta2\\sum_l\\|W_l\\|_F^2` (biases free)."""
        from ..nets import DeepReLUNet, ReLUWeights
        if isinstance(weights, DeepReLUNet):
            weights = weights.weights()
        if not isinstance(weights, ReLUWeights) or len(weights) != self.depth:
            raise ValueError(f"weights must be the ReLUWeights of a depth-{self.depth} network.")
        r = weights.forward(self.X) - self.y
        reg = 0.5 * sum(float(np.sum(W**2)) for W in weights)
        return 0.5 * float(r @ r) + self.beta * reg

    def network(self, width=None, seed: int = 0, init_scale: float = 1.0) -> DeepReLUNet:
        """A standard network (biases in all layers) with first-layer kinks inside the data
        range; ``width`` an int for every hidden layer or a sequence of :math:`L-1` (default
        :attr:`~dualkit.Problem.default_width`)."""
        from ..nets import DeepReLUNet
        widths = hidden_widths(self.default_width if width is None else width, self.depth - 1)
        net = DeepReLUNet(1, widths, seed=seed, init_scale=init_scale, bias="all")
        gen = torch.Generator().manual_seed(int(seed))
        with torch.no_grad():
            w = net.layers[0][0]
            k = float(self.x.min()) + float(np.ptp(self.x)) * torch.rand(
                w.shape[0], generator=gen, dtype=torch.float64)
            net.biases["0"].copy_(-w * k)
            out_bias = net.out_bias
            assert out_bias is not None  # built with output_bias=True (DeepReLUNet's default)
            out_bias.fill_(float(self.y.mean()))
        return net

    def torch_objective(self, net, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Loss plus weight decay on every weight matrix (biases free), in torch."""
        r = net(X) - y
        return 0.5 * (r @ r) + 0.5 * self.beta * sum((W**2).sum() for W in net.layer_tensors())

    def capped_ramp(self, start: float, end: float, low: float, high: float) -> ReLUWeights:
        r"""A width-1 standard network computing the capped ramp from ``(start, low)`` to
        ``(end, high)`` (``start < end``, ``low < high``): layer 1 gives
        :math:`(x-\text{start})_+`, layer 2 caps it, :math:`(\text{end}-\text{start}-h)_+`, the
        remaining layers pass it on, and the output flips it back. Every weight has magnitude
        :math:`\rho=(\text{slope})^{1/L}` (balanced), so the weight decay term is
        :math:`\tfrac L2\,\text{slope}^{2/L}`; its kinks are at ``start`` and ``end``."""
        from ..weights import ReLUWeights
        if not (start < end and low < high):
            raise ValueError("need start < end and low < high.")
        L = self.depth
        if L < 3:
            raise ValueError("a capped ramp needs depth >= 3 in this construction.")
        slope = (high - low) / (end - start)
        rho = slope ** (1.0 / L)
        width = end - start
        layers = [np.array([[rho]])]
        biases: list[np.ndarray | float] = [np.array([-rho * start])]  # h1 = rho (x - start)_+
        layers.append(np.array([[-rho]]))
        biases.append(np.array([rho**2 * width]))     # h2 = rho^2 (width - (x - start)_+)_+
        for _ in range(L - 3):
            layers.append(np.array([[rho]]))
            biases.append(np.array([0.0]))            # pass on (non-negative)
        layers.append(np.array([-rho]))
        # f = -rho^L (width - min(...)) + high = low + slope * clip(x - start, 0, width)
        biases.append(float(high))
        return ReLUWeights(layers, biases)
