r"""Two-layer ReLU networks on general data are convex programs (:ref:`app-relu-program`; Pilanci &
Ergen 2020).

Primal, any width :math:`m\ge m^\star`:

.. math:: P^\star=\min\ \tfrac12\Big\|\sum_{j=1}^m\alpha_j(Xu_j+b_j\mathbf 1)_++b_0\mathbf 1-y\Big\|^2
          +\tfrac\beta2\sum_j\big(\|u_j\|^2+\alpha_j^2\,[+\,b_j^2]\big).

Three bias conventions:

* ``"regularized"`` (Pilanci & Ergen's code): a column of ones is appended to :math:`X`, the
  hidden bias is part of the decayed weight, no output bias;
* ``"free"`` (as in the 1-D chapter): free hidden biases :math:`b_j` and a free output bias
  :math:`b_0`; by positive homogeneity the cost of a neuron is :math:`\beta\|u_j\||\alpha_j|`
  and the optimal hyperplanes may be taken through data points (the dual constraint
  :math:`\lambda^\top(Xu+b\mathbf 1)_+` is piecewise linear in :math:`b` with constant tails,
  so its maximum sits at a breakpoint :math:`b=-x_k^\top u`);
* ``"none"``: no biases at all.

Convex program: a group lasso over activation patterns :math:`D_i`, with cone constraints

.. math:: \min\ \tfrac12\Big\|\sum_iD_iM_i(v_i-w_i)[+b_0\mathbf 1]-y\Big\|^2+\beta\sum_i(\|v_i\|+\|w_i\|)
          \quad\text{s.t.}\quad(2D_i-I)M_iv_i\ge0,\ (2D_i-I)M_iw_i\ge0,

with :math:`M_i=[X\ \mathbf 1]` (regularized), :math:`X` (none), or :math:`X-\mathbf 1x_{k_i}^\top`
(free: patterns of the hyperplanes through the data point :math:`x_{k_i}`). Dual:
:math:`\max_\lambda\lambda^\top y-\tfrac12\|\lambda\|^2` s.t.
:math:`\max_{\|u\|\le1}|\lambda^\top(M u)_+|\le\beta` (and :math:`\mathbf 1^\top\lambda=0` with
a free output bias).

Classification: with ``loss="hinge"`` or ``"logistic"`` the squared loss becomes
:math:`\ell` in the primal and the program, and the dual objective :math:`-\ell^*(-\lambda)`
under the same constraint (:class:`TwoLayerReLU`). The program is homogeneous, so it is solved
at unit scale and mapped back (``TwoLayerReLU._unit``).

Introduced in :ref:`ch-two-layer-relu`.
"""

from __future__ import annotations

import copy
import time
import warnings
from typing import TYPE_CHECKING

import numpy as np

from .._validation import (
    as_matrix,
    as_vector,
    check_beta,
    check_choice,
    check_positive_int,
    finite_or_raise,
)
from ..losses import Hinge, Logistic, Loss, Squared, get_loss
from ..solvers.closed_form import pow2_scale
from ..solvers.cvxpy_ref import relu_cone_program
from ..solvers.extreme import extreme_blocks
from ..solvers.relu_program import (
    Blocks,
    _enumeration_size,
    _row_space,
    cone_group_lasso,
    dual_constraint,
    enumerate_patterns,
    pattern_count,
    sample_patterns,
)
from .base import DualConstraint, Problem, Solution, certify, hidden_widths
from .relu_1d import quadratic_dual_floor

if TYPE_CHECKING:
    import torch

    from ..nets import DeepReLUNet, ReLUWeights
else:
    from .._lazy import torch

__all__ = ["TwoLayerReLU", "SampledPatternsWarning"]

#: largest number of candidates visited by exact enumeration (and patterns kept) in "auto" mode
AUTO_MAX_CANDIDATES = 2_000_000
AUTO_MAX_PATTERNS = 20_000
#: sampled directions in "auto" mode when exact enumeration is too large
AUTO_SAMPLES = 2000
BIASES = ("regularized", "free", "none")
#: the losses of :class:`TwoLayerReLU` (scalar outputs)
LOSSES = ("squared", "hinge", "logistic")
#: smallest beta / beta_max solved: below it the weight decay is lost in the rounding of the loss
BETA_RESOLUTION = 1e-13
#: largest program (patterns x columns of M) that solve() hands to cvxpy when the working-set
#: solver ends uncertified
CVXPY_FALLBACK_SIZE = 20_000


class SampledPatternsWarning(UserWarning):
    """Issued by :class:`TwoLayerReLU` when ``patterns="auto"`` cannot enumerate the activation
    patterns and samples them instead: the solution is then the optimum over the sampled
    patterns, an upper bound on the network's optimum, and is not certified. Pass
    ``patterns=<int>`` (a number of samples, chosen knowingly: no warning) or
    ``patterns="exact"``, or silence it with
    ``warnings.simplefilter("ignore", SampledPatternsWarning)``."""


def _half_squared_norm(r: np.ndarray) -> float:
    r""":math:`\tfrac12\|r\|^2` without overflow in the intermediate squares (inf only when
    the result itself exceeds float64)."""
    m = float(np.max(np.abs(r), initial=0.0))
    if m == 0.0 or not np.isfinite(m):
        return 0.0 if m == 0.0 else float("inf")
    with np.errstate(over="ignore"):
        return 0.5 * m * m * float(np.sum((r / m) ** 2))


def _pow2(x: float) -> float:
    """1 when ``x`` (a max-abs entry) is in [1e-3, 1e3] (ordinary data are not touched), else
    :func:`~dualkit.solvers.closed_form.pow2_scale` of it (scaling by it is exact in float64)."""
    if x == 0.0 or not np.isfinite(x) or 1e-3 <= x <= 1e3:
        return 1.0
    return pow2_scale(x)


class TwoLayerReLU(Problem):
    r"""Regularized two-layer ReLU network on data :math:`X\in\mathbb R^{n\times d}` and its
    convex program (:ref:`app-relu-program`). Introduced in :ref:`ch-two-layer-relu`.

    Parameters
    ----------
    X : array of shape (n, d)
        Inputs.
    y : array of shape (n,)
        Targets (labels in {-1, +1} for the hinge and logistic losses).
    beta : float
        Weight decay strength, > 0. At :math:`\beta\ge` :attr:`beta_max` the zero network
        is optimal and :meth:`solve` returns it certified without a solver; a ``beta`` below
        ``1e-13 * beta_max`` (the weight decay lost in the rounding of the loss) is refused
        with a ``ValueError``.
    bias : {"regularized", "free", "none"}
        The bias convention (see the module docstring).
    patterns : "auto", "exact", int or array
        Which activation patterns the program uses. ``"exact"``: all of them, enumerated
        (possible when the rank r of the data matrix is small: about :math:`n^{r-1}`
        hyperplane intersections are visited); ``int``: that many random directions are
        sampled (:ref:`app-relu-sampling`) and the program is a restriction, an upper bound;
        an array of shape (p, P): gate vectors :math:`g` giving patterns
        :math:`\mathbb 1[Mg\ge0]` (p = d + 1 for the regularized bias, d for none; not for
        ``"free"``); ``"auto"``: exact when at most 20,000 patterns and 2,000,000 candidates,
        else 2000 samples.
    seed : int
        Seed of the sampled patterns.
    loss : {"squared", "hinge", "logistic"} or Loss
        The loss :math:`\ell` of the primal, :math:`\ell(f(X))+\tfrac\beta2\sum_j(\|u_j\|^2
        +\alpha_j^2[+b_j^2])` (default the squared loss
        :math:`\tfrac12\|f(X)-y\|^2`; hinge :math:`\sum_i(1-y_if(x_i))_+`, logistic
        :math:`\sum_i\log(1+e^{-y_if(x_i)})`, :mod:`dualkit.losses`). The convex program
        is the same group lasso over the patterns with :math:`\ell` in place of
        :math:`\tfrac12\|\cdot-y\|^2`,

        .. math:: \min\ \ell\Big(\sum_iD_iM_i(v_i-w_i)[+b_0\mathbf 1]\Big)
                  +\beta\sum_i(\|v_i\|+\|w_i\|)\quad\text{s.t. the cone constraints,}

        and its dual :math:`\max_\lambda-\ell^*(-\lambda)` s.t.
        :math:`\max_{\|u\|\le1}|\lambda^\top(Mu)_+|\le\beta` (and
        :math:`\mathbf 1^\top\lambda=0` with a free output bias); for the hinge and logistic
        losses :math:`-\ell^*(-\lambda)` is :math:`\sum_iy_i\lambda_i` and
        :math:`\sum_iH(y_i\lambda_i)` on :math:`0\le y_i\lambda_i\le1`. The dual point of
        a solution is :math:`\lambda=-\nabla\ell(f(X))` (``loss.dual_point``) scaled into the
        constraint. These losses are solved by cvxpy (``method="cvxpy"``, their ``"auto"``);
        the working-set solver is for the squared loss. Vector outputs (the cross-entropy)
        are not supported: a ``ValueError`` says so.

    Warns
    -----
    SampledPatternsWarning
        With ``patterns="auto"`` when the patterns cannot be enumerated and are sampled
        (then the solution is an upper bound, not certified).

    Notes
    -----
    ``sol.certified`` is True only when the dual point passes the *exact* dual constraint
    :math:`\max_{\|u\|\le1}|\lambda^\top(Mu)_+|\le\beta`, which is checked over every
    enumerated pattern; with sampled patterns on data whose patterns cannot be enumerated,
    the solution is an upper bound and ``sol.info["upper_bound"]`` says so.
    """

    #: width of :meth:`network` when none is given
    default_width: int = 100

    loss: Loss  # always a Loss object here (get_loss)

    def __init__(self, X, y, beta: float, bias: str = "regularized", patterns="auto",
                 seed: int = 0, loss="squared"):
        self.beta = check_beta(beta, allow_zero=False)
        self._set_data(X, y, bias, patterns, seed, loss)

    def _set_data(self, X, y, bias, patterns, seed, loss="squared") -> None:
        """Everything that does not depend on beta: the data, the loss, the bias convention
        and the activation patterns (shared by :meth:`~dualkit.Problem.with_beta` problems)."""
        self.X = as_matrix(X, "X")
        self.n, self.d = self.X.shape
        self.loss = get_loss(loss)
        if self.loss.name not in LOSSES:
            raise ValueError(
                f"TwoLayerReLU supports the losses {', '.join(map(repr, LOSSES))} (scalar "
                f"outputs); got loss={self.loss.name!r}. For vector outputs (cross-entropy) use "
                "one problem per output or the linear networks (dk.TwoLayerLinear).")
        if np.ndim(y) == 2 and np.shape(y)[1] > 1:
            raise ValueError(f"TwoLayerReLU has a scalar output: y must have shape (n,); got "
                             f"{np.shape(y)}. Vector outputs are not supported.")
        self.y = self.loss.check_targets(as_vector(y, "y", n=self.n), "y")
        self.bias = check_choice(bias, "bias", BIASES)
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer; got {seed!r}.")
        self.seed = int(seed)
        if self.bias == "free" and isinstance(self.loss, Logistic) and abs(self.y.sum()) == self.n:
            raise ValueError("the logistic loss with bias='free' needs both labels in y: with one "
                             "class the free output bias runs off to infinity (no optimum).")
        self.M = np.column_stack([self.X, np.ones(self.n)]) if bias == "regularized" else self.X
        self.free = bias == "free"
        self._exact: Blocks | None = None
        self._bmax_unit: float | None = None
        self.blocks = self._make_blocks(patterns)

    def __repr__(self) -> str:
        loss = "" if isinstance(self.loss, Squared) else f", loss={self.loss.name!r}"
        return (f"TwoLayerReLU(n={self.n}, d={self.d}, beta={self.beta:.6g}, bias={self.bias!r}, "
                f"blocks={self.blocks.size}, exact={self.exact}{loss})")

    # ------------------------------------------------------------------ patterns
    def _free_matrices(self):
        return [self.X - self.X[k] for k in range(self.n)]

    def enumeration_size(self) -> int:
        """Candidates that exact enumeration visits (the cost of ``patterns="exact"``)."""
        if self.free:
            return sum(_enumeration_size(self.n - 1, _row_space(M)[1]) for M in self._free_matrices())
        return _enumeration_size(self.n, _row_space(self.M)[1])

    @property
    def rank(self) -> int:
        """Rank r of the data matrix whose hyperplane arrangement gives the patterns."""
        return _row_space(self.M)[1]

    def max_patterns(self) -> int:
        r"""Upper bound on the number of patterns (blocks): :math:`2\sum_{k<r}\binom{n-1}{k}`
        (times n anchors for the free bias, whose arrangements have rank at most d)."""
        if self.free:
            if self.n == 1:
                return 1
            return self.n * pattern_count(self.n - 1, min(self.d, self.n - 1) or 1)
        return pattern_count(self.n, self.rank)

    def _enumerate(self) -> Blocks:
        if self.free:
            Ds, anchors = [], []
            for k, Mk in enumerate(self._free_matrices()):
                D = enumerate_patterns(Mk, max_candidates=10 * AUTO_MAX_CANDIDATES)
                D[k] = True
                Ds.append(D)
                anchors.append(np.full(D.shape[1], k))
            return Blocks(self.X, np.concatenate(Ds, axis=1), np.concatenate(anchors))
        D = enumerate_patterns(self.M, max_candidates=10 * AUTO_MAX_CANDIDATES)
        return Blocks(self.M, D, np.full(D.shape[1], -1))

    def _sample(self, n_samples: int) -> Blocks:
        if self.free:
            # nested like sample_patterns: two streams, each extended by more samples
            G = np.random.default_rng(self.seed).standard_normal((n_samples, self.d)).T
            k = np.random.default_rng([self.seed, 1]).integers(0, self.n, n_samples)
            D = (self.X @ G - np.einsum("ij,ji->i", self.X[k], G)[None, :]) >= 0
            D[k, np.arange(n_samples)] = True
            key = np.vstack([np.packbits(D, axis=0), k.astype(np.uint64).view(np.uint8).reshape(-1, 8).T])
            _, idx = np.unique(key.T, axis=0, return_index=True)
            idx = np.sort(idx)
            return Blocks(self.X, D[:, idx], k[idx])
        D, _ = sample_patterns(self.M, n_samples, seed=self.seed)
        return Blocks(self.M, D, np.full(D.shape[1], -1))

    def _make_blocks(self, patterns) -> Blocks:
        if isinstance(patterns, str):
            check_choice(patterns, "patterns", ("auto", "exact"))
            if patterns == "exact" or (self.enumeration_size() <= AUTO_MAX_CANDIDATES
                                       and self.max_patterns() <= AUTO_MAX_PATTERNS):
                self._exact = self._enumerate()
                return self._exact
            blocks = self._sample(AUTO_SAMPLES)
            size = self.enumeration_size()
            why, cert = (
                (f"has up to {self.max_patterns():,} activation patterns, more than the "
                 f"{AUTO_MAX_PATTERNS:,} that patterns='auto' solves over",
                 "certified only if its dual point passes every pattern (sol.certified says "
                 "so; the patterns are enumerated for that check)")
                if size <= AUTO_MAX_CANDIDATES else
                (f"has activation patterns that cannot be enumerated here ({size:,} candidates "
                 f"to visit, up to {self.max_patterns():,} patterns)", "not certified"))
            warnings.warn(SampledPatternsWarning(
                f"patterns='auto': these n={self.n} points (rank {self.rank}) {why}, so "
                f"{blocks.size} patterns were sampled from {AUTO_SAMPLES} random directions "
                f"(seed={self.seed}): solve() returns the optimum over them, an upper bound on "
                f"the network's optimum, {cert}. For the exact program use fewer points or a "
                "lower dimension, or patterns='exact' (enumerates whatever it costs); pass "
                "patterns=<number of samples> to sample knowingly, or silence this with "
                "warnings.simplefilter('ignore', dk.SampledPatternsWarning)."), stacklevel=4)
            return blocks
        if isinstance(patterns, (int, np.integer)) and not isinstance(patterns, bool):
            return self._sample(check_positive_int(patterns, "patterns"))
        if np.ndim(patterns) != 2 or isinstance(patterns, bool):
            raise ValueError(
                "patterns must be 'auto', 'exact', a positive int (a number of sampled "
                "directions) or gate vectors, an array of shape (p, P) with p = "
                f"{self.M.shape[1]}; got {patterns!r}.")
        G = as_matrix(patterns, "patterns")
        if self.free:
            raise ValueError("gate vectors define patterns of [X 1] or X; with bias='free' pass "
                             "patterns='auto', 'exact' or a number of samples.")
        if G.shape[0] != self.M.shape[1]:
            raise ValueError(f"patterns (gate vectors) must have {self.M.shape[1]} rows "
                             f"(d{' + 1' if self.bias == 'regularized' else ''}); got {G.shape}.")
        D = (self.M @ G) >= 0
        packed = np.packbits(D, axis=0)
        _, idx = np.unique(packed.T, axis=0, return_index=True)
        idx = np.sort(idx)
        return Blocks(self.M, D[:, idx], np.full(idx.size, -1))

    @property
    def exact(self) -> bool:
        """True when the program uses every activation pattern (then it equals the network)."""
        return self._exact is not None and self.blocks is self._exact

    def exact_blocks(self) -> Blocks | None:
        """All patterns, enumerated on first use when affordable (else None)."""
        if self._exact is None and self.enumeration_size() <= AUTO_MAX_CANDIDATES:
            self._exact = self._enumerate()
        return self._exact

    @property
    def beta_max(self) -> float:
        r"""Smallest :math:`\beta` whose optimum is the zero network (the best constant with a
        free output bias): :math:`\max_{\|u\|\le1}|\lambda_0^\top(Mu)_+|` at
        :math:`\lambda_0=-\nabla\ell(\hat y_0)`, the dual point of the zero network's
        predictions :math:`\hat y_0` (:math:`\lambda_0=y` or :math:`y-\bar y` for the
        squared loss, :math:`y` or :math:`y/2` at :math:`\hat y_0=0` for the hinge and
        logistic losses), over the exact patterns when they can be enumerated, else over this
        problem's patterns (then a lower estimate). Computed at unit scale (exact powers of
        two) and mapped back. With the hinge loss, a free output bias and unequal classes the
        zero network's subgradient is not unique; the one used (minority class
        :math:`\lambda_i=y_i`, majority :math:`\lambda_i=y_i\,n_{\min}/n_{\max}`) makes
        this an upper bound on the threshold."""
        unit, s, t = self._unit()
        return s * t * self._unit_beta_max(unit)

    def _unit_beta_max(self, unit: TwoLayerReLU) -> float:
        """beta_max of the unit-scale problem ``unit`` (cached: it does not depend on beta)."""
        bmax = getattr(self, "_bmax_unit", None)
        if bmax is None:
            blocks = unit.exact_blocks() or unit.blocks
            bmax = self._bmax_unit = float(dual_constraint(blocks, unit._lam0()[0])[0])
        return bmax

    def _lam0(self) -> tuple[np.ndarray, float]:
        """The zero network's dual point and its output bias :math:`b_0` (0 without a free
        output bias; the best constant with one)."""
        y = self.y
        if isinstance(self.loss, Squared):
            b0 = float(y.mean()) if self.free else 0.0
            return y - b0, b0
        if not self.free:
            return self.loss.dual_point(np.zeros(self.n), y), 0.0
        n_pos, n_neg = int(np.sum(y > 0)), int(np.sum(y < 0))
        if isinstance(self.loss, Hinge):
            b0 = float(np.sign(n_pos - n_neg))
            if b0 == 0:
                return y.copy(), 0.0
            n_min, n_max = min(n_pos, n_neg), max(n_pos, n_neg)
            minority = y != b0
            return np.where(minority, y, y * n_min / n_max), b0
        b0 = float(np.log(n_pos / n_neg))          # logistic: the constant's optimum
        return self._zero_sum(self.loss.dual_point(np.full(self.n, b0), y)), b0

    @staticmethod
    def _zero_sum(lam: np.ndarray) -> np.ndarray:
        r"""A point with :math:`\mathbf 1^\top\lambda=0` (the free output bias) that stays in
        the hinge and logistic losses' domain :math:`0\le y_i\lambda_i\le1`: the entries of
        the sign of the excess are scaled down, by :math:`1-s/\sum` of them."""
        lam = np.array(lam, dtype=float)
        total = float(lam.sum())
        side = lam > 0 if total > 0 else lam < 0
        mass = float(np.abs(lam[side]).sum())
        if total != 0 and mass > 0:
            lam[side] *= max(1.0 - abs(total) / mass, 0.0)
        return lam

    @classmethod
    def beta_max_for(cls, X, y, bias: str = "regularized", patterns="auto", seed: int = 0,
                     loss="squared") -> float:
        """The zero threshold :attr:`beta_max` on data ``X``, ``y`` (with the constructor's
        ``bias``, ``patterns``, ``seed``, ``loss``), from the data alone: the patterns are built
        as the constructor builds them, without a ``beta`` (which must be > 0 in a problem)."""
        data = object.__new__(cls)
        data._set_data(X, y, bias, patterns, seed, loss)
        return data.beta_max

    def _unit(self) -> tuple[TwoLayerReLU, float, float]:
        r"""This problem at unit scale and the scales ``(s, t)``: the program is homogeneous,
        :math:`P^\star(sX, ty, \beta)=t^2P^\star(X, y, \beta/(st))` for the squared loss (with
        :math:`u=(t/s)v`: :math:`\tfrac12\|\sum_iD_isM_iv_i\,t/s-ty\|^2
        +\beta\sum_i\|v_i\|t/s=t^2[\tfrac12\|\sum_iD_iM_iv_i-y\|^2
        +\tfrac{\beta}{st}\sum_i\|v_i\|]`) and :math:`P^\star(sX, y, \beta)=P^\star(X, y,
        \beta/s)` for the classification losses (``t = 1``); :math:`s=1` with the regularized
        bias, whose column of ones does not scale. ``s`` and ``t`` are powers of two (exact),
        1 for entries of ordinary size (1e-3 to 1e3: such data are solved as given)."""
        s = 1.0 if self.bias == "regularized" else _pow2(float(np.max(np.abs(self.X), initial=0)))
        t = _pow2(float(np.max(np.abs(self.y), initial=0))) if isinstance(self.loss, Squared) \
            else 1.0
        if s == 1.0 and t == 1.0:
            return self, 1.0, 1.0
        exact = self.exact_blocks()
        unit = copy.copy(self)
        unit.X, unit.y, unit.M = self.X / s, self.y / t, self.M / s
        unit.beta = self.beta / (s * t)
        unit.blocks = Blocks(self.blocks.M / s, self.blocks.D, self.blocks.anchors)
        unit._exact = None if exact is None else unit.blocks if exact is self.blocks else \
            Blocks(exact.M / s, exact.D, exact.anchors)
        return unit, s, t

    def _set_beta(self, beta: float) -> None:
        check_beta(beta, allow_zero=False)

    def lower_bound(self) -> float | None:
        """The certified dual value (cached), or None when the patterns cannot be enumerated:
        a sampled program gives an upper bound, and no lower bound is certified (``dk.train``
        then records no gap)."""
        if self.exact_blocks() is None:
            return None
        return super().lower_bound()

    # ------------------------------------------------------------------ objectives
    def _check_weights(self, weights) -> ReLUWeights:
        from ..nets import DeepReLUNet, ReLUWeights
        if isinstance(weights, DeepReLUNet):
            self.check_network(weights)
            weights = weights.weights()
        if not isinstance(weights, ReLUWeights) or len(weights) != 2:
            raise ValueError("weights must be two-layer ReLUWeights (sol.weights or "
                             "net.weights()) or a network from prob.network().")
        if np.shape(weights[0])[0] != self.d:
            raise ValueError(f"the first layer must have {self.d} rows; got {np.shape(weights[0])}.")
        has_b, has_b0 = weights.biases[0] is not None, weights.biases[1] is not None
        want_b, want_b0 = self.bias != "none", self.free
        if has_b != want_b or has_b0 != want_b0:
            raise ValueError(f"bias={self.bias!r} needs a hidden bias: {want_b}, an output bias: "
                             f"{want_b0}; the weights have {has_b}, {has_b0}.")
        return weights

    def _reg(self, ws: ReLUWeights) -> float:
        parts = [np.ravel(ws[0]), np.ravel(ws[1])]
        if self.bias == "regularized":
            b = ws.biases[0]
            assert b is not None  # _check_weights requires the hidden bias with this bias mode
            parts.append(np.ravel(b))
        return _half_squared_norm(np.concatenate(parts))

    def objective(self, weights) -> float:
        r"""Primal objective :math:`\ell(f(X))+\tfrac\beta2(\|W_1\|_F^2+\|w_2\|^2
        [+\|b\|^2])` (:math:`\ell(\hat y)=\tfrac12\|\hat y-y\|^2` for the squared loss) at a
        network or its :class:`~dualkit.nets.ReLUWeights`. A ``ValueError`` when it overflows
        float64 (never a silent inf or NaN)."""
        ws = self._check_weights(weights)
        with np.errstate(over="ignore", invalid="ignore"):
            pred = ws.forward(self.X)
            fit = _half_squared_norm(pred - self.y) if isinstance(self.loss, Squared) else \
                self.loss.value(pred, self.y)
            value = fit + self.beta * self._reg(ws)
        return float(finite_or_raise(
            value, "the objective of these weights",
            "their outputs or weights are too large; rescale X and y (the optimum scales as "
            "t**2 when y and beta are multiplied by t) or the weights"))

    def dual_constraint(self, lam) -> DualConstraint:
        r"""The constraint that decides whether ``lam`` is dual feasible
        (:class:`~dualkit.problems.base.DualConstraint`), with the slack of
        :meth:`dual_objective`: :math:`\mathbf 1^\top\lambda=0` with a free output bias, then
        :math:`\max_{\|u\|\le1}|\lambda^\top(Mu)_+|\le\beta` over every activation pattern.
        Needs enumerable patterns (else ``RuntimeError``)."""
        lam = as_vector(lam, "lam", n=self.n)
        blocks = self._exact_or_raise()
        dom = self.loss.domain_violation(lam, self.y)
        if dom is not None and dom[1] > dom[2] + dom[3]:
            return DualConstraint(*dom[:3], dom[3], "0" if dom[2] == 0 else f"{dom[2]:g}", dom[4])
        if self.free:
            s, slack = abs(float(lam.sum())), 1e-9 * float(np.abs(lam).sum())
            if s > slack:
                return DualConstraint("|1ᵀλ|", s, 0.0, slack, "0", "1ᵀλ = 0 (the free output bias)")
        S = float(dual_constraint(blocks, lam)[0])
        return DualConstraint("max_{‖u‖≤1} |λᵀ(Mu)₊| (over every activation pattern)", S,
                              self.beta, self.beta * 1e-9, "β")

    def _exact_or_raise(self) -> Blocks:
        blocks = self.exact_blocks()
        if blocks is None:
            raise RuntimeError(
                f"the dual constraint needs every activation pattern, and those of n={self.n} "
                f"points of rank {self.rank} cannot be enumerated here "
                f"({self.enumeration_size():,} candidates); only sampled restrictions can be "
                "solved (an upper bound). Use fewer points or a lower dimension, or check the "
                "weights instead.")
        return blocks

    def dual_objective(self, lam) -> float:
        r""":math:`-\ell^*(-\lambda)` (:math:`\lambda^\top y-\tfrac12\|\lambda\|^2` for the
        squared loss) if :math:`\lambda` is in the loss's domain and satisfies the exact
        dual constraint :math:`\max_{\|u\|\le1}|\lambda^\top(Mu)_+|\le\beta` (to a relative
        1e-9; and :math:`\mathbf 1^\top\lambda=0` with a free output bias), else ``-inf``.
        Needs enumerable patterns (else ``RuntimeError``)."""
        lam = as_vector(lam, "lam", n=self.n)
        if not self.dual_constraint(lam).holds:
            return -np.inf
        return self._dual_value(lam)

    def _dual_value(self, lam: np.ndarray) -> float:
        if isinstance(self.loss, Squared):
            return float(lam @ self.y) - 0.5 * float(lam @ lam)
        return float(self.loss.dual_value(lam, self.y))

    def _dual_floor(self, lam: np.ndarray, dual_value: float) -> float:
        """The absolute rounding of the dual objective (``floor`` of ``certify``)."""
        if isinstance(self.loss, Squared):
            return quadratic_dual_floor(lam, self.y)
        return 64 * float(np.finfo(float).eps) * (self.n + abs(dual_value))

    def feasible_dual(self, lam) -> np.ndarray:
        r"""Scale a residual (a dual point :math:`-\nabla\ell`) into the exact dual constraint
        (over every activation pattern): :math:`\lambda'=\lambda\min(1,\beta/S(\lambda))`
        after projecting it on the loss's domain (``loss.project_dual``) and, with a free
        output bias, onto :math:`\mathbf 1^\top\lambda=0` (removing the mean for the squared
        loss; scaling down the entries of the excess sign for the hinge and logistic losses,
        which keeps the domain). Needs enumerable patterns (else ``RuntimeError``)."""
        return self._scaled_dual(lam, self._exact_or_raise())[0]

    def _scaled_dual(self, lam, blocks: Blocks) -> tuple[np.ndarray, float]:
        """feasible_dual over ``blocks`` (this problem's, possibly sampled, patterns or the
        exact ones), with the dual value of the scaled point over those blocks."""
        lam = as_vector(lam, "lam", n=self.n)
        squared = isinstance(self.loss, Squared)
        if not squared:
            lam = self.loss.project_dual(lam, self.y)
        if self.free:
            lam = lam - lam.mean() if squared else self._zero_sum(lam)
        S = dual_constraint(blocks, lam)[0]
        lam = lam * min(1.0, self.beta / S) if S > 0 else lam
        return lam, self._dual_value(lam)

    # ------------------------------------------------------------------ solving
    def solve(self, method: str = "auto", width=None, verbose: bool = False,
              solver: str | None = None, extreme: bool = True,
              generate_patterns: bool | int = False, device="auto") -> Solution:
        r"""Optimum of the convex program over this problem's patterns.

        Parameters
        ----------
        method : {"auto", "working_set", "cvxpy"}
            ``"working_set"`` (``"auto"`` for the squared loss; None is its old spelling):
            :func:`dualkit.solvers.relu_program.cone_group_lasso` (column generation: only
            the neurons that the dual constraint asks for enter a non-negative lasso, solved
            warm from round to round); ``"cvxpy"`` (``"auto"`` for the hinge and logistic
            losses): the whole program of :ref:`app-relu-program` in cvxpy (reference).
        width : int or sequence of int, optional
            Width of the returned network; default the number of active blocks, and at least
            that many.
        verbose : bool
            Print the progress of the working-set rounds (neurons and active blocks, neurons
            added, patterns and patterns generated, the restricted program's value, a lower
            bound on it from weak duality and the gap, time) and the solver's summary line.
            ``sol.info["progress"]`` keeps the rounds either way; each round's bound is a
            valid lower bound on that round's program (its residual scaled by bounds on every
            pattern's dual constraint), tight at the last round.
        solver : str, optional
            cvxpy solver for ``method="cvxpy"`` (default Clarabel, tight tolerances).
        extreme : bool
            Reduce the solution to an extreme point of the optimal set (default): with
            :math:`c_j=\|u_j\|` and block outputs :math:`v_j`, any :math:`c'\ge0` with
            :math:`\sum_jc'_jv_j=\sum_jc_jv_j` and :math:`\sum_jc'_j=\sum_jc_j` is optimal,
            and a vertex of that polytope has at most :math:`\operatorname{rank}
            [V;\mathbf 1^\top]\le n+1` neurons (:func:`dualkit.solvers.extreme.extreme_blocks`).
            ``sol.info["neurons_before_reduction"]`` and ``sol.info["active_blocks"]`` give
            both counts, ``sol.info["extreme"]`` the details. False keeps the solver's answer.
        generate_patterns : bool or int
            Pattern generation (working-set method, ``bias`` "none" or "regularized", sampled
            patterns): once no pattern of the program violates the dual constraint, search
            for activation patterns outside it that do (local ascent on
            :math:`\pm\lambda^\top(Mu)_+` from the current neurons and random directions,
            :func:`dualkit.solvers.pattern_search.search_patterns`), add them and go on; True
            allows 10 searches, an int that many. The answer is the optimum over the grown
            set of patterns: never above the fixed-sample optimum, still an upper bound on the
            network's optimum. ``sol.info["generated_patterns"]`` counts them and the rounds
            in ``sol.info["progress"]`` give the patterns and the restricted bound after each.
            With enumerated (exact) patterns there is nothing to generate.
        device : "auto", "numpy", "cpu", "cuda" or torch.device
            Where the pattern search runs
            (:func:`~dualkit.solvers.pattern_search.resolve_device`: "auto" is torch on a
            CUDA device when one is present, else NumPy).

        Notes
        -----
        ``sol.certified`` follows :func:`~dualkit.problems.base.certify` with the solver's
        tolerance (a relative 1e-6) and the rounding floor of the dual objective, and only
        where the patterns are enumerated (else ``sol.dual_value`` is NaN and
        ``sol.info["upper_bound"]`` True).

        The program is solved at unit scale (``_unit``: X and y divided by powers of two
        when their entries are outside [1e-3, 1e3]) and mapped back, so data of any scale
        get the same relative accuracy. At :math:`\beta\ge` :attr:`beta_max` (over every
        pattern) the zero network is returned, certified, without a solver.

        Raises
        ------
        ValueError
            When ``beta < 1e-13 * beta_max`` (the weight decay is below the rounding of the
            loss), when the optimal value or weights overflow float64 (rescale y), or for a
            method that does not apply to the loss.
        """
        squared = isinstance(self.loss, Squared)
        auto = method == "auto"
        method = self._method(method, ("working_set", "cvxpy"),
                              auto="working_set" if squared else "cvxpy")
        if method == "working_set" and not squared:
            raise ValueError(f"the working-set solver is for the squared loss; for "
                             f"loss={self.loss.name!r} use solve(method='cvxpy') (its 'auto').")
        t0 = time.perf_counter()
        unit, s, t = self._unit()
        exact = unit.exact_blocks()
        beta_max = self._unit_beta_max(unit)
        progress: list = []
        if exact is not None and unit.beta >= beta_max:
            lam0, b0 = unit._lam0()
            U, idx, signs = np.zeros((unit.M.shape[1], 0)), np.zeros(0, int), np.zeros(0)
            info: dict = {"trivial": f"beta >= beta_max = {s * t * beta_max:.6g}: the zero network "
                               "is optimal (no solver)"}
        else:
            lam0 = None
            if unit.beta < BETA_RESOLUTION * beta_max:
                raise ValueError(
                    f"beta={self.beta:g} is {unit.beta / beta_max:.1e} times beta_max = "
                    f"{s * t * beta_max:.6g}: below {BETA_RESOLUTION:g} beta_max the weight "
                    "decay is lost in the float64 rounding of the loss, so no optimum can be "
                    f"certified. Use beta >= {BETA_RESOLUTION * s * t * beta_max:.3g} (beta is "
                    "relative to the size of X and y: it scales as |X| |y|).")
            callback = None
            if verbose:
                print(f"TwoLayerReLU.solve: {method} on {unit.blocks.size} patterns, n={self.n}"
                      f", beta/beta_max = {unit.beta / beta_max:.3g}")

                def callback(rec):
                    if "neurons" in rec:
                        gen = f" (+{rec['generated']} generated)" if rec["generated"] else ""
                        size = (f"{rec['neurons']:4d} neurons ({rec['active']} blocks), "
                                f"+{rec['added']}, {rec['patterns']} patterns{gen}")
                    else:
                        size = (f"{rec['blocks']:4d} blocks ({rec['active']} active), "
                                f"{rec['rows']:5d} cone rows")
                    print(f"  round {rec['round']:3d}: {size}, value "
                          f"{rec['value'] * t * t:.10g}, bound {rec['bound'] * t * t:.10g}, gap "
                          f"{rec['gap'] * t * t:.2e}, {rec['time']:.2f}s")
            b0 = 0.0
            if method == "working_set":
                if generate_patterns and self.free:
                    raise ValueError("generate_patterns needs bias='none' or 'regularized': the "
                                     "free-bias program's patterns are anchored at data points.")
                gen = generate_patterns if exact is None else False
                fit = cone_group_lasso(unit.blocks, unit.y, unit.beta, free_b0=unit.free,
                                       callback=callback, exact_bound=verbose, generate=gen,
                                       device=device, seed=self.seed)
                U, idx, signs, b0, info = fit.U, fit.idx, fit.signs, fit.b0, dict(fit.info)
                progress = info.pop("progress", [])
                if fit.blocks is not None and fit.blocks.size != unit.blocks.size:
                    unit = copy.copy(unit)          # the program grew: solve over its blocks
                    unit.blocks = fit.blocks
            else:
                U, idx, signs, b0, info = unit._solve_cvxpy(solver)
        info["progress"] = [{**r, "value": r["value"] * t * t, "bound": r["bound"] * t * t,
                             "gap": r["gap"] * t * t} for r in progress]
        if s != 1.0 or t != 1.0:
            info["scales"] = {"X": s, "y": t}
        sol = self._finish(unit, s, t, (U, idx, signs, b0), lam0, method, width, info, t0,
                           extreme)
        if (auto and method == "working_set" and not sol.certified and exact is unit.blocks
                and exact.size * unit.M.shape[1] <= CVXPY_FALLBACK_SIZE):
            sol = self._cvxpy_fallback(unit, s, t, sol, width, solver, t0, verbose, extreme)
        if verbose:
            print(f"TwoLayerReLU.solve ({info['patterns']} patterns, {info['active_blocks']} "
                  f"active{', sampled: an upper bound' if exact is None else ''}): {sol!r}")
        return sol

    def _cvxpy_fallback(self, unit, s, t, sol, width, solver, t0, verbose,
                        extreme: bool = True) -> Solution:
        """The whole program in cvxpy when the working-set solver ends uncertified (near
        interpolation, beta below about 1e-2 beta_max, its restricted SOCPs end
        'AlmostSolved'); the solution with the smaller gap is kept, and ``info["fallback"]``
        says what happened."""
        why = f"the working-set solver ended at relative gap {sol.rel_gap:.1e}, not certified"
        if verbose:
            print(f"TwoLayerReLU.solve: {why}; trying cvxpy on the whole program")
        try:
            U, idx, signs, b0, info = unit._solve_cvxpy(solver)
            ref = self._finish(unit, s, t, (U, idx, signs, b0), None, "cvxpy", width, info, t0,
                               extreme)
        except (RuntimeError, ValueError) as exc:
            sol.info["fallback"] = f"{why}; cvxpy failed too ({exc})"
            return sol
        if ref.certified or ref.rel_gap < sol.rel_gap:
            ref.info["fallback"] = f"{why}; solved by cvxpy instead (relative gap {ref.rel_gap:.1e})"
            ref.info["progress"] = sol.info["progress"]
            return ref
        sol.info["fallback"] = f"{why}; cvxpy did no better (relative gap {ref.rel_gap:.1e})"
        return sol

    def _finish(self, unit: TwoLayerReLU, s: float, t: float, fit, lam0, method: str, width,
                info: dict, t0: float, extreme: bool = True) -> Solution:
        """The :class:`Solution` from the unit-scale program's block vectors ``fit = (U, idx,
        signs, b0)``: value, dual point (``lam0`` for the zero network, else
        :math:`-\\nabla\\ell` scaled into the constraint) and certificate computed at unit
        scale, then mapped back (value and bound times :math:`t^2`, dual point times t, block
        vectors times t / s, output bias times t); a ``ValueError`` where that overflows."""
        U, idx, signs, b0 = fit
        info["neurons_before_reduction"] = int(np.sum(np.linalg.norm(U, axis=0) > 0))
        if extreme:
            U, idx, signs, info["extreme"] = extreme_blocks(unit.blocks, U, idx, signs)
        uw = unit.block_weights(U, idx, signs, b0, width=width)
        value = unit.objective(uw)
        # candidates: -grad loss at the predictions, and the cvxpy program's multiplier (for
        # the hinge loss the gradient misses the fractional subgradient at margin 1)
        cands = [unit.loss.dual_point(uw.forward(unit.X), unit.y)] if lam0 is None else [lam0]
        cands += info.pop("dual_candidates", [])
        exact = unit.exact_blocks()
        best = None
        for lam in cands:
            lam_r, restricted = unit._scaled_dual(lam, unit.blocks)
            if exact is not None:
                lam_c, dual_value = (lam_r, restricted) if exact is unit.blocks else \
                    unit._scaled_dual(lam, exact)
            else:
                lam_c, dual_value = lam_r, np.nan
            key = dual_value if exact is not None else restricted
            if best is None or key > best[0]:
                best = (key, lam_c, dual_value, restricted)
        assert best is not None
        _, lam_c, dual_value, restricted = best
        floor = unit._dual_floor(lam_c, dual_value)
        certified = certify(value, dual_value, method, floor)
        fix = (f"y has entries up to {np.max(np.abs(self.y)):.3g}; divide y by t (the optimum "
               "is t**2 times that of y / t at beta / t)")
        with np.errstate(over="ignore"):
            value, dual_value, floor = t * t * value, t * t * dual_value, t * t * floor
            finite_or_raise(value, "the optimal value", fix)
            finite_or_raise(floor, "the rounding of the optimal value", fix)
            weights = self.block_weights(U * (t / s), idx, signs, b0 * t, width=width)
        for W in (*weights, *(b for b in weights.biases if b is not None)):
            finite_or_raise(W, "the optimal weights", fix)
        info["restricted_dual_value"] = t * t * restricted
        info["active_blocks"] = int(np.sum(np.linalg.norm(U, axis=0) > 0))
        info["patterns"] = unit.blocks.size
        info["upper_bound"] = exact is None
        info["rounding_floor"] = floor
        sol = Solution(value=value, weights=weights, dual=t * lam_c, dual_value=dual_value,
                       method=method, solve_time=time.perf_counter() - t0, certified=certified,
                       beta=self.beta, info=info)
        if exact is None:        # why an uncertified value is not proved optimal (dk.check)
            info["open"] = (f"the activation patterns of these n={self.n} points cannot be "
                            "enumerated, so no lower bound is certified (the solve over sampled "
                            "patterns is an upper bound)")
        elif not sol.certified and exact is not unit.blocks:
            info["open"] = ("this problem's program uses sampled activation patterns, so its "
                            "solution is only an upper bound (patterns='exact' solves it)")
        return sol

    def _solve_cvxpy(self, solver=None):
        B = self.blocks
        P = B.size
        res = relu_cone_program(B.M, B.D, self.y, self.beta,
                                anchors=B.anchor_rows() if self.free else None, solver=solver,
                                loss=None if isinstance(self.loss, Squared) else self.loss)
        Vv, Wv = res.x["V"], res.x["W"]
        U = np.hstack([Vv, Wv])
        idx = np.r_[np.arange(P), np.arange(P)]
        signs = np.r_[np.ones(P), -np.ones(P)]
        big = max(np.linalg.norm(U, axis=0).max(), 1e-300)
        keep = np.linalg.norm(U, axis=0) > 1e-8 * big
        info = dict(res.timings)
        if "pred" in res.duals:       # the program's multiplier of z = yhat, either sign
            nu = res.duals["pred"].ravel()
            info["dual_candidates"] = [nu, -nu]
        return U[:, keep], idx[keep], signs[keep], res.x.get("b0", 0.0), info

    def block_weights(self, U, idx, signs, b0: float = 0.0, width=None) -> ReLUWeights:
        r"""Network weights from block vectors (:ref:`app-relu-program` weight recovery): block
        :math:`u_j\ne0` of sign :math:`\sigma_j` gives the neuron :math:`u_j/\sqrt{\|u_j\|}`
        (its last entry the bias with ``bias="regularized"``; bias
        :math:`-x_{k_j}^\top u_j/\sqrt{\|u_j\|}` with ``"free"``) and output weight
        :math:`\sigma_j\sqrt{\|u_j\|}`; each costs :math:`\beta\|u_j\|`, so the network's
        objective equals the program's. ``width``: an int (or a sequence of one), default the
        number of active blocks."""
        from ..weights import ReLUWeights
        U = np.asarray(U, dtype=float)
        a = float(np.max(np.abs(U), initial=0.0)) or 1.0
        nrm = a * np.linalg.norm(U / a, axis=0)         # no overflow in the squares
        act = np.flatnonzero(nrm > 0)
        k = act.size
        m = max(k, 1) if width is None else hidden_widths(width, 1)[0]
        if m < k:
            raise ValueError(f"width={m} is below the number of active blocks ({k}) of the optimum.")
        r = np.sqrt(nrm[act])
        Ua = U[:, act] / r
        W1 = np.zeros((self.d, m))
        W1[:, :k] = Ua[: self.d]
        b = None
        if self.bias == "regularized":
            b = np.zeros(m)
            b[:k] = Ua[self.d]
        elif self.free:
            b = np.zeros(m)
            b[:k] = -np.einsum("ij,ji->i", self.blocks.anchor_rows(np.asarray(idx)[act]), Ua)
        w2 = np.zeros(m)
        w2[:k] = np.asarray(signs)[act] * r
        return ReLUWeights([W1, w2], [b, float(b0) if self.free else None])

    # ------------------------------------------------------------------ networks
    def network(self, width=None, seed: int = 0, init_scale: float = 1.0) -> DeepReLUNet:
        """The primal two-layer network (float64) with this problem's bias convention; ``width``
        an int (or a sequence of one), default :attr:`~dualkit.Problem.default_width`."""
        from ..nets import DeepReLUNet
        net = DeepReLUNet(self.d, hidden_widths(self.default_width if width is None else width, 1),
                          seed=seed,
                          init_scale=init_scale, bias="none" if self.bias == "none" else "last",
                          output_bias=self.free)
        if self.free:
            out_bias = net.out_bias
            assert out_bias is not None  # built with output_bias=self.free, True here
            with torch.no_grad():
                out_bias.fill_(self._lam0()[1])      # the best constant
        return net

    def check_network(self, net) -> None:
        """Raise a ``ValueError`` unless ``net`` is a two-layer ReLU network on this input size with
        this problem's bias convention, as :meth:`network` builds."""
        from ..nets import DeepReLUNet
        if not isinstance(net, DeepReLUNet) or net.depth != 2 or net.d != self.d:
            got = (f"depth={net.depth}, d={net.d}" if isinstance(net, DeepReLUNet)
                   else type(net).__name__)
            raise ValueError(f"net must be a two-layer DeepReLUNet on {self.d} inputs "
                             f"(use prob.network(width)); got {got}.")
        if (net.bias_mode == "none") != (self.bias == "none") or net.has_output_bias != self.free:
            raise ValueError("net does not have this problem's bias convention; "
                             "use prob.network(width).")

    def torch_objective(self, net, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        r"""Loss plus :math:`\tfrac\beta2(\|W_1\|^2+\|w_2\|^2[+\|b\|^2])` in torch (a
        ``ValueError`` from :meth:`check_network` for any other network)."""
        self.check_network(net)
        W1, w2 = net.layer_tensors()
        reg = (W1**2).sum() + (w2**2).sum()
        if self.bias == "regularized":
            reg = reg + (net.biases["0"] ** 2).sum()
        return self.loss.torch_value(net(X), y) + 0.5 * self.beta * reg
