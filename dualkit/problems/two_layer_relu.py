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

Introduced in :ref:`ch-two-layer-relu`.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np

from .._validation import as_matrix, as_vector, check_beta, check_choice, check_positive_int
from ..solvers.cvxpy_ref import relu_cone_program
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

__all__ = ["TwoLayerReLU"]

#: largest number of candidates visited by exact enumeration (and patterns kept) in "auto" mode
AUTO_MAX_CANDIDATES = 2_000_000
AUTO_MAX_PATTERNS = 20_000
#: sampled directions in "auto" mode when exact enumeration is too large
AUTO_SAMPLES = 2000
BIASES = ("regularized", "free", "none")


class TwoLayerReLU(Problem):
    r"""Regularized two-layer ReLU network on data :math:`X\in\mathbb R^{n\times d}` and its
    convex program (:ref:`app-relu-program`). Introduced in :ref:`ch-two-layer-relu`.

    Parameters
    ----------
    X : array of shape (n, d)
        Inputs.
    y : array of shape (n,)
        Targets.
    beta : float
        Weight decay strength, > 0.
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

    Notes
    -----
    ``sol.certified`` is True only when the dual point passes the *exact* dual constraint
    :math:`\max_{\|u\|\le1}|\lambda^\top(Mu)_+|\le\beta`, which is checked over every
    enumerated pattern; with sampled patterns on data whose patterns cannot be enumerated,
    the solution is an upper bound and ``sol.info["upper_bound"]`` says so.
    """

    #: width of :meth:`network` when none is given
    default_width: int = 100

    def __init__(self, X, y, beta: float, bias: str = "regularized", patterns="auto",
                 seed: int = 0):
        self.beta = check_beta(beta, allow_zero=False)
        self._set_data(X, y, bias, patterns, seed)

    def _set_data(self, X, y, bias, patterns, seed) -> None:
        """Everything that does not depend on beta: the data, the bias convention and the
        activation patterns (shared by :meth:`~dualkit.Problem.with_beta` problems)."""
        self.X = as_matrix(X, "X")
        self.n, self.d = self.X.shape
        self.y = as_vector(y, "y", n=self.n)
        self.bias = check_choice(bias, "bias", BIASES)
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer; got {seed!r}.")
        self.seed = int(seed)
        self.loss = None
        self.M = np.column_stack([self.X, np.ones(self.n)]) if bias == "regularized" else self.X
        self.free = bias == "free"
        self._exact: Blocks | None = None
        self.blocks = self._make_blocks(patterns)

    def __repr__(self) -> str:
        return (f"TwoLayerReLU(n={self.n}, d={self.d}, beta={self.beta:.6g}, bias={self.bias!r}, "
                f"blocks={self.blocks.size}, exact={self.exact})")

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
            return self._sample(AUTO_SAMPLES)
        if isinstance(patterns, (int, np.integer)) and not isinstance(patterns, bool):
            return self._sample(check_positive_int(patterns, "patterns"))
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
        r"""Smallest :math:`\beta` whose optimum is the zero network (the constant mean with a
        free output bias): :math:`\max_{\|u\|\le1}|\lambda_0^\top(Mu)_+|` at
        :math:`\lambda_0=y` (or :math:`y-\bar y`), over the exact patterns when they can be
        enumerated, else over this problem's patterns (then a lower estimate)."""
        lam0 = self.y - self.y.mean() if self.free else self.y
        blocks = self.exact_blocks() or self.blocks
        return float(dual_constraint(blocks, lam0)[0])

    @classmethod
    def beta_max_for(cls, X, y, bias: str = "regularized", patterns="auto", seed: int = 0) -> float:
        """The zero threshold :attr:`beta_max` on data ``X``, ``y`` (with the constructor's
        ``bias``, ``patterns``, ``seed``), from the data alone: the patterns are built as the
        constructor builds them, without a ``beta`` (which must be > 0 in a problem)."""
        data = object.__new__(cls)
        data._set_data(X, y, bias, patterns, seed)
        return data.beta_max

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
        reg = float(np.sum(ws[0] ** 2)) + float(np.sum(ws[1] ** 2))
        if self.bias == "regularized":
            b = ws.biases[0]
            assert b is not None  # _check_weights requires the hidden bias with this bias mode
            reg += float(np.sum(b ** 2))
        return 0.5 * reg

    def objective(self, weights) -> float:
        r"""Primal objective :math:`\tfrac12\|f(X)-y\|^2+\tfrac\beta2(\|W_1\|_F^2+\|w_2\|^2
        [+\|b\|^2])` at a network or its :class:`~dualkit.nets.ReLUWeights`."""
        ws = self._check_weights(weights)
        r = ws.forward(self.X) - self.y
        return 0.5 * float(r @ r) + self.beta * self._reg(ws)

    def dual_constraint(self, lam) -> DualConstraint:
        r"""The constraint that decides whether ``lam`` is dual feasible
        (:class:`~dualkit.problems.base.DualConstraint`), with the slack of
        :meth:`dual_objective`: :math:`\mathbf 1^\top\lambda=0` with a free output bias, then
        :math:`\max_{\|u\|\le1}|\lambda^\top(Mu)_+|\le\beta` over every activation pattern.
        Needs enumerable patterns (else ``RuntimeError``)."""
        lam = as_vector(lam, "lam", n=self.n)
        blocks = self._exact_or_raise()
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
        r""":math:`\lambda^\top y-\tfrac12\|\lambda\|^2` if :math:`\lambda` satisfies the exact
        dual constraint :math:`\max_{\|u\|\le1}|\lambda^\top(Mu)_+|\le\beta` (to a relative
        1e-9; and :math:`\mathbf 1^\top\lambda=0` with a free output bias), else ``-inf``.
        Needs enumerable patterns (else ``RuntimeError``)."""
        lam = as_vector(lam, "lam", n=self.n)
        if not self.dual_constraint(lam).holds:
            return -np.inf
        return float(lam @ self.y) - 0.5 * float(lam @ lam)

    def feasible_dual(self, lam) -> np.ndarray:
        r"""Scale a residual into the exact dual constraint (over every activation pattern):
        :math:`\lambda'=\lambda\min(1,\beta/S(\lambda))` after removing the mean with a free
        output bias. Needs enumerable patterns (else ``RuntimeError``)."""
        return self._scaled_dual(lam, self._exact_or_raise())[0]

    def _scaled_dual(self, lam, blocks: Blocks) -> tuple[np.ndarray, float]:
        """feasible_dual over ``blocks`` (this problem's, possibly sampled, patterns or the
        exact ones), with the dual value of the scaled point over those blocks."""
        lam = as_vector(lam, "lam", n=self.n)
        if self.free:
            lam = lam - lam.mean()
        S = dual_constraint(blocks, lam)[0]
        lam = lam * min(1.0, self.beta / S) if S > 0 else lam
        return lam, float(lam @ self.y) - 0.5 * float(lam @ lam)

    # ------------------------------------------------------------------ solving
    def solve(self, method: str = "auto", width=None, verbose: bool = False,
              solver: str | None = None) -> Solution:
        r"""Optimum of the convex program over this problem's patterns.

        Parameters
        ----------
        method : {"auto", "working_set", "cvxpy"}
            ``"working_set"`` (``"auto"``, the default; None is its old spelling):
            :func:`dualkit.solvers.relu_program.cone_group_lasso` (only the blocks that the
            dual constraint asks for enter an interior-point SOCP); ``"cvxpy"``: the whole
            program of :ref:`app-relu-program` in cvxpy (reference).
        width : int or sequence of int, optional
            Width of the returned network; default the number of active blocks, and at least
            that many.
        verbose : bool
            Print the solver's summary line.
        solver : str, optional
            cvxpy solver for ``method="cvxpy"`` (default Clarabel, tight tolerances).

        Notes
        -----
        ``sol.certified`` follows :func:`~dualkit.problems.base.certify` with the solver's
        tolerance (a relative 1e-6) and the rounding floor of
        :math:`\lambda^\top y-\tfrac12\|\lambda\|^2`, and only where the patterns are
        enumerated (else ``sol.dual_value`` is NaN and ``sol.info["upper_bound"]`` True).
        """
        method = self._method(method, ("working_set", "cvxpy"), auto="working_set")
        t0 = time.perf_counter()
        if method == "working_set":
            fit = cone_group_lasso(self.blocks, self.y, self.beta, free_b0=self.free)
            U, idx, signs, b0, info = fit.U, fit.idx, fit.signs, fit.b0, dict(fit.info)
        else:
            U, idx, signs, b0, info = self._solve_cvxpy(solver)
        weights = self.block_weights(U, idx, signs, b0, width=width)
        value = self.objective(weights)
        lam = self.y - weights.forward(self.X)
        lam_r, restricted = self._scaled_dual(lam, self.blocks)
        info["restricted_dual_value"] = restricted
        info["active_blocks"] = int(np.sum(np.linalg.norm(U, axis=0) > 0))
        info["patterns"] = self.blocks.size
        exact = self.exact_blocks()
        if exact is not None:
            lam_c, dual_value = (lam_r, restricted) if exact is self.blocks else \
                self._scaled_dual(lam, exact)
        else:
            lam_c, dual_value = lam_r, np.nan
        info["upper_bound"] = exact is None
        info["rounding_floor"] = floor = quadratic_dual_floor(lam_c, self.y)
        sol = Solution(value=value, weights=weights, dual=lam_c, dual_value=dual_value,
                       method=method, solve_time=time.perf_counter() - t0,
                       certified=certify(value, dual_value, method, floor),
                       beta=self.beta, info=info)
        if exact is None:        # why an uncertified value is not proved optimal (dk.check)
            info["open"] = (f"the activation patterns of these n={self.n} points cannot be "
                            "enumerated, so no lower bound is certified (the solve over sampled "
                            "patterns is an upper bound)")
        elif not sol.certified and exact is not self.blocks:
            info["open"] = ("this problem's program uses sampled activation patterns, so its "
                            "solution is only an upper bound (patterns='exact' solves it)")
        if verbose:
            print(f"TwoLayerReLU.solve ({info['patterns']} patterns, {info['active_blocks']} "
                  f"active{', sampled: an upper bound' if exact is None else ''}): {sol!r}")
        return sol

    def _solve_cvxpy(self, solver=None):
        B = self.blocks
        P = B.size
        res = relu_cone_program(B.M, B.D, self.y, self.beta,
                                anchors=B.anchor_rows() if self.free else None, solver=solver)
        Vv, Wv = res.x["V"], res.x["W"]
        U = np.hstack([Vv, Wv])
        idx = np.r_[np.arange(P), np.arange(P)]
        signs = np.r_[np.ones(P), -np.ones(P)]
        big = max(np.linalg.norm(U, axis=0).max(), 1e-300)
        keep = np.linalg.norm(U, axis=0) > 1e-8 * big
        return U[:, keep], idx[keep], signs[keep], res.x.get("b0", 0.0), dict(res.timings)

    def block_weights(self, U, idx, signs, b0: float = 0.0, width=None) -> ReLUWeights:
        r"""Network weights from block vectors (:ref:`app-relu-program` weight recovery): block
        :math:`u_j\ne0` of sign :math:`\sigma_j` gives the neuron :math:`u_j/\sqrt{\|u_j\|}`
        (its last entry the bias with ``bias="regularized"``; bias
        :math:`-x_{k_j}^\top u_j/\sqrt{\|u_j\|}` with ``"free"``) and output weight
        :math:`\sigma_j\sqrt{\|u_j\|}`; each costs :math:`\beta\|u_j\|`, so the network's
        objective equals the program's. ``width``: an int (or a sequence of one), default the
        number of active blocks."""
        from ..nets import ReLUWeights
        U = np.asarray(U, dtype=float)
        nrm = np.linalg.norm(U, axis=0)
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
                out_bias.fill_(float(self.y.mean()))
        return net

    def check_network(self, net) -> None:
        """Raise a ``ValueError`` unless ``net`` is a two-layer ReLU network on this input size with
        this problem's bias convention, as :meth:`network` builds."""
        from ..nets import DeepReLUNet
        if not isinstance(net, DeepReLUNet) or net.depth != 2 or net.d != self.d:
            raise ValueError(f"net must be a two-layer DeepReLUNet on {self.d} inputs "
                             "(use prob.network(width)).")
        if (net.bias_mode == "none") != (self.bias == "none") or net.has_output_bias != self.free:
            raise ValueError("net does not have this problem's bias convention; "
                             "use prob.network(width).")

    def torch_objective(self, net, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        r"""Loss plus :math:`\tfrac\beta2(\|W_1\|^2+\|w_2\|^2[+\|b\|^2])` in torch."""
        W1, w2 = net.layer_tensors()
        r = net(X) - y
        reg = (W1**2).sum() + (w2**2).sum()
        if self.bias == "regularized":
            reg = reg + (net.biases["0"] ** 2).sum()
        return 0.5 * (r @ r) + 0.5 * self.beta * reg
