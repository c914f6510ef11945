r"""Two-layer linear network, scalar (:ref:`app-two-layer-dual`) or vector output (:ref:`app-vector`).

Primal (P1), non-convex in :math:`(W_1, w_2)`:

.. math:: P^\star=\min_{W_1,w_2}\ \ell(XW_1w_2)+\tfrac\beta2\big(\|W_1\|_F^2+\|w_2\|_2^2\big)

Convex program (C1) and dual (D1), with strong duality for every width :math:`m\ge1`:

.. math:: P^\star=\min_w\ \ell(Xw)+\beta\|w\|_2=\max_\lambda\ -\ell^*(-\lambda)
          \ \text{ s.t. }\ \|X^\top\lambda\|_2\le\beta .

With vector targets :math:`Y\in\mathbb R^{n\times K}` the norm :math:`\|w\|_2` becomes the
nuclear norm :math:`\|W\|_*` and the dual constraint the spectral norm
:math:`\|X^\top\Lambda\|_2\le\beta` (C3)/(D3).

With :math:`\beta=0` the problem is minimum-norm interpolation (:ref:`app-min-norm`):
:math:`\min\tfrac12(\|W_1\|_F^2+\|w_2\|^2)` s.t. :math:`XW_1w_2=y`, whose value is
:math:`\|X^\dagger y\|_2=\max\{\lambda^\top y:\|X^\top\lambda\|_2\le1\}`.

Introduced in :ref:`ch-two-layer-linear`.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np

from .._validation import (
    as_matrix,
    as_targets,
    as_vector,
    check_beta,
    check_betas,
    check_positive_int,
    finite_or_raise,
)
from ..losses import Loss, Squared, get_loss
from ..solvers.closed_form import RidgePath, outside_unit_band, pow2_scale, safe_norm
from ..solvers.cvxpy_ref import norm_penalized_dual, norm_penalized_loss
from ..solvers.proximal import nuclear_fista, svt
from .base import (
    CERT_TOL,
    DualConstraint,
    Problem,
    Solution,
    certify,
    hidden_widths,
    penalized_value,
    sum_squares,
)

if TYPE_CHECKING:
    import torch

    from ..nets import DeepLinearNet

__all__ = ["TwoLayerLinear", "recover_weights", "balanced_factorization"]

#: relative slack allowed in the dual constraint when evaluating a dual point
DUAL_FEAS_TOL = 1e-9
#: relative residual ||XW1w2 - y|| / ||y|| below which weights count as interpolating (beta = 0)
INTERP_TOL = 1e-7


class ProgressLog:
    """The progress lines of a solve: kept in ``lines`` (``sol.info["progress"]``) and printed
    as they come, prefixed by ``who``, when ``verbose``."""

    def __init__(self, who: str, verbose: bool):
        self.who, self.verbose = who, bool(verbose)
        self.lines: list[str] = []

    def __call__(self, line: str) -> None:
        self.lines.append(line)
        if self.verbose:
            print(f"{self.who}: {line}", flush=True)


#: the overflow-safe norm of the linear problems
_norm = safe_norm


def _at_beta(k: int, beta: float, make):
    """``make()``, with ``betas[k]`` named in any ValueError (e.g. beta = 0 where y is not in
    the range of X)."""
    try:
        return make()
    except ValueError as exc:
        raise ValueError(f"betas[{k}] = {beta:g}: {exc}") from exc


def recover_weights(w, width: int = 1, seed: int | None = None) -> list[np.ndarray]:
    r"""Optimal two-layer weights of any width from the end-to-end solution :math:`w^\star`.

    Returns :math:`[W_1, w_2]` with :math:`W_1=u^\star r^\top`, :math:`w_2=r`,
    :math:`u^\star=w^\star/\|w^\star\|` and :math:`\|r\|_2^2=\|w^\star\|_2` (:ref:`app-extreme-points`):
    rank one,
    aligned with :math:`w^\star`, every neuron balanced (:math:`\|w_{1,j}\|=|w_{2,j}|`), and
    :math:`W_1w_2=w^\star`. With ``seed=None`` the neurons share the norm equally; with a seed,
    :math:`r` points in a random direction (every such choice is optimal).

    Introduced in :ref:`ch-two-layer-linear`.
    """
    w = as_vector(w, "w")
    width = check_positive_int(width, "width")
    norm = _norm(w)
    if norm == 0.0:
        return [np.zeros((w.size, width)), np.zeros(width)]
    if seed is None:
        a = np.full(width, np.sqrt(norm / width))
    else:
        a = np.random.default_rng(seed).standard_normal(width)
        a *= np.sqrt(norm) / _norm(a)
    return [np.outer(w / norm, a), a]


def balanced_factorization(W, width: int | None = None, rtol: float = 1e-9) -> list[np.ndarray]:
    r"""Optimal two-layer weights :math:`[W_1, W_2]` with :math:`W_1W_2=W` for vector outputs.

    With the thin SVD :math:`W=P\,\mathrm{diag}(\varsigma)\,Q^\top` (singular values above
    ``rtol`` times the largest), :math:`W_1=P\,\mathrm{diag}(\varsigma)^{1/2}R^\top` and
    :math:`W_2=R\,\mathrm{diag}(\varsigma)^{1/2}Q^\top` with :math:`R` the first columns of the
    identity, so that :math:`W_1^\top W_1=W_2W_2^\top` (balanced) and
    :math:`\tfrac12(\|W_1\|_F^2+\|W_2\|_F^2)=\|W\|_*` (:ref:`app-vector`). ``width`` must be at least
    the rank; by default it is the rank (at least 1).
    """
    W = as_matrix(W, "W")
    P, s, Qt = np.linalg.svd(W, full_matrices=False)
    r = int(np.sum(s > rtol * s[0])) if s.size and s[0] > 0 else 0
    width = max(r, 1) if width is None else check_positive_int(width, "width")
    if width < r:
        raise ValueError(
            f"width must be at least rank(W*) = {r} to represent the optimum; got {width}."
        )
    root = np.sqrt(s[:r])
    W1 = np.zeros((W.shape[0], width))
    W2 = np.zeros((width, W.shape[1]))
    W1[:, :r] = P[:, :r] * root
    W2[:r] = root[:, None] * Qt[:r]
    return [W1, W2]


class TwoLayerLinear(Problem):
    r"""Weight-decay-regularized two-layer linear network :math:`f(X)=XW_1w_2` (:ref:`app-two-layer-dual`).

    Parameters
    ----------
    X : array of shape (n, d)
        Inputs.
    y : array of shape (n,) or (n, K)
        Targets; a matrix with K >= 2 columns gives the vector-output network :math:`XW_1W_2`
        (:ref:`app-vector`); a single column ``(n, 1)`` is treated as the scalar problem.
    beta : float
        Weight-decay strength :math:`\beta\ge0`; ``beta=0`` means minimum-norm interpolation
        (scalar outputs only; then :math:`y` must lie in the range of :math:`X`).
    loss : Loss or str
        A convex loss; ``"squared"`` (default) is the only one with the closed form.

    Example
    -------
    >>> import dualkit as dk
    >>> X, y = dk.data.gaussian(n=50, d=10, seed=0)
    >>> prob = dk.TwoLayerLinear(X, y, beta=0.1)
    >>> sol = prob.solve()
    >>> gap = prob.objective(sol.weights) - prob.dual_objective(sol.dual)
    >>> abs(gap) < 1e-8 * sol.value
    True

    Introduced in :ref:`ch-two-layer-linear`.
    """

    methods = ("closed_form", "fista", "cvxpy")
    #: hidden width of :meth:`network` when none is given (:meth:`solve` returns the smallest
    #: width that represents the optimum: 1, or the rank for vector outputs)
    default_width: int = 10
    loss: Loss  # always a Loss object here (get_loss), never None

    def __init__(self, X, y, beta: float, loss="squared"):
        self.X = as_matrix(X, "X")
        self.n, self.d = self.X.shape
        self.y = as_targets(y, "y", n=self.n)
        #: number of outputs K (1 for a scalar output)
        self.K = 1 if self.y.ndim == 1 else self.y.shape[1]
        self.vector = self.y.ndim == 2
        self._x_fro = _norm(self.X)
        self.loss = get_loss(loss)
        self.y = self.loss.check_targets(self.y, "y")
        self._path: RidgePath | None = None
        self._gram: tuple[np.ndarray, np.ndarray, float] | None = None
        self.beta = check_beta(beta)
        self._set_beta(self.beta)

    def _set_beta(self, beta: float) -> None:
        """Check that ``beta = 0`` (minimum-norm interpolation) applies here; the factorizations
        of X (``ridge_path``, the Gram matrices) do not depend on beta and are shared by
        :meth:`~dualkit.Problem.with_beta`."""
        if self.vector and beta == 0.0:
            raise ValueError("beta=0 (minimum-norm interpolation) is for scalar outputs; use beta > 0.")
        if beta == 0.0:
            if not isinstance(self.loss, Squared):
                raise ValueError("beta=0 (minimum-norm interpolation) needs the squared loss.")
            if self._path is None or self._path.method != "svd":
                self._path = RidgePath(self.X, self.y, method="svd")
            resid = self.y - self.X @ self.ridge_path.pinv_solution()
            if not self._interpolates(resid):
                raise ValueError(
                    "beta=0 asks for exact interpolation XW1w2 = y, but y is not in the range of X "
                    f"(residual {np.linalg.norm(resid):.3g}); use beta > 0, or n <= d with "
                    "full-row-rank X."
                )

    # ------------------------------------------------------------------ data facts
    @property
    def ridge_path(self) -> RidgePath:
        """The SVD of X reused by every closed-form solve (computed once)."""
        if self._path is None:
            self._path = RidgePath(self.X, self.y)
        return self._path

    @property
    def beta_max(self) -> float:
        r"""Zero threshold :math:`\|X^\top(-\nabla\ell(0))\|_2` (:math:`\|X^\top y\|_2` for the squared
        loss; the spectral norm :math:`\|X^\top Y\|_2` for vector outputs): the optimal weights
        are zero iff :math:`\beta\ge` this value (:ref:`app-zero-threshold`, :ref:`app-vector`). For a
        non-smooth loss
        this uses one subgradient at 0, so it is an upper bound on the threshold. Computed once
        (the data never change; :meth:`~dualkit.Problem.with_beta` shares it)."""
        if getattr(self, "_beta_max", None) is None:
            self._beta_max = self._threshold(self.X, self.y, self.loss)
        return self._beta_max

    @classmethod
    def beta_max_for(cls, X, y, loss="squared") -> float:
        r"""The zero threshold :attr:`beta_max` of data ``X``, ``y`` (and ``loss``), from the data
        alone: :math:`\|X^\top(-\nabla\ell(0))\|_2` (no beta is chosen, so it works for vector
        outputs too, where ``beta=0`` is refused)."""
        X = as_matrix(X, "X")
        loss = get_loss(loss)
        y = loss.check_targets(as_targets(y, "y", n=X.shape[0]), "y")
        return cls._threshold(X, y, loss)

    @classmethod
    def _threshold(cls, X: np.ndarray, y: np.ndarray, loss) -> float:
        lam0 = loss.dual_point(np.zeros(y.shape), y)
        return cls._dual_norm(X.T @ lam0)

    @staticmethod
    def _dual_norm(G: np.ndarray) -> float:
        """Euclidean norm of a vector, spectral norm of a matrix: the dual of the penalty
        (computed on ``G / max|G|``, so that it overflows only where the norm does)."""
        m = float(np.max(np.abs(G))) if G.size else 0.0
        if m == 0.0 or not np.isfinite(m):
            return m
        G = G / m
        with np.errstate(over="ignore"):
            return m * (float(np.linalg.norm(G, 2)) if G.ndim == 2 else _norm(G))

    @property
    def whitened(self) -> bool:
        r"""Whether :math:`X^\top X=I` (to 1e-10), where (C3) is solved by SVT in closed form."""
        if outside_unit_band(pow2_scale(self.X)):
            return False   # whitened columns have unit norm: no entry outside the band
        G = self._gram_matrices()[0]
        return bool(np.allclose(G, np.eye(self.d), rtol=0, atol=1e-10))

    def _gram_matrices(self):
        if self._gram is None:
            Y = self.y if self.vector else self.y[:, None]
            self._gram = (self.X.T @ self.X, self.X.T @ Y, float(np.sum(Y * Y)))
        return self._gram

    # ------------------------------------------------------------------ objectives
    def _interpolates(self, resid: np.ndarray) -> bool:
        return bool(_norm(resid) <= INTERP_TOL * _norm(self.y))

    def _check_weights(self, weights) -> tuple[np.ndarray, np.ndarray]:
        ws = self._weights_of(weights)
        if len(ws) != 2:
            raise ValueError(
                f"weights must be [W1, w2] for a two-layer network; got {len(ws)} arrays."
            )
        W1 = as_matrix(ws[0], "weights[0] (W1)")
        if self.vector:
            w2 = as_matrix(ws[1], "weights[1] (W2)")
            if w2.shape[1] != self.K:
                raise ValueError(f"W2 must have K={self.K} columns; got shape {w2.shape}.")
        else:
            w2 = as_vector(ws[1], "weights[1] (w2)")
        if W1.shape[0] != self.d:
            raise ValueError(f"W1 must have d={self.d} rows; got shape {W1.shape}.")
        if W1.shape[1] != w2.shape[0]:
            raise ValueError(
                f"W1 has {W1.shape[1]} columns (neurons) but w2 has {w2.shape[0]} entries."
            )
        return W1, w2

    def objective(self, weights) -> float:
        r"""Primal objective :math:`\ell(XW_1w_2)+\tfrac\beta2(\|W_1\|_F^2+\|w_2\|^2)` of
        ``[W1, w2]`` or of a network. With ``beta=0``: :math:`\tfrac12(\|W_1\|_F^2+\|w_2\|^2)`
        if the weights interpolate (relative residual below 1e-7), else ``inf``.

        Never NaN: weights whose weight decay exceeds float64's range give ``inf`` (the
        objective really is that large); a prediction that overflows while the weights do not
        raises a ``ValueError`` (``dualkit.problems.base.penalized_value``)."""
        W1, w2 = self._check_weights(weights)
        reg = 0.5 * sum_squares([W1, w2])
        if self.beta == 0.0:
            with np.errstate(over="ignore", invalid="ignore"):
                pred = self.X @ (W1 @ w2)
            return reg if self._interpolates(pred - self.y) else np.inf
        with np.errstate(over="ignore"):
            penalty = self.beta * reg
        return penalized_value(lambda: self.loss.value(self.X @ (W1 @ w2), self.y), penalty,
                               "the prediction X W1 w2")

    def convex_objective(self, w) -> float:
        r"""Objective of the convex program (C1), :math:`\ell(Xw)+\beta\|w\|_2`, or (C3),
        :math:`\ell(XW)+\beta\|W\|_*`, for vector outputs."""
        if self.vector:
            W = as_matrix(w, "W")
            if W.shape != (self.d, self.K):
                raise ValueError(f"W must have shape (d, K) = {(self.d, self.K)}; got {W.shape}.")
            nuc = float(np.linalg.svd(W, compute_uv=False).sum())
            return self.loss.value(self.X @ W, self.y) + self.beta * nuc
        w = as_vector(w, "w", n=None)
        if w.shape[0] != self.d:
            raise ValueError(f"w must have d={self.d} entries; got {w.shape[0]}.")
        if self.beta == 0.0:
            return _norm(w) if self._interpolates(self.X @ w - self.y) else np.inf
        return self.loss.value(self.X @ w, self.y) + self.beta * _norm(w)

    def dual_objective(self, lam) -> float:
        r"""Dual objective of (D1): :math:`-\ell^*(-\lambda)` if :math:`\|X^\top\lambda\|_2\le\beta`
        (to a relative 1e-9 plus float64 rounding of :math:`X^\top\lambda`), else ``-inf``.
        With ``beta=0``: :math:`\lambda^\top y` if :math:`\|X^\top\lambda\|_2\le1`.
        Any finite value is a lower bound on the primal optimum (weak duality), up to that
        relative 1e-9 slack: use :meth:`feasible_dual` first for a strict certificate."""
        lam = self._check_dual(lam)
        if self._dual_norm(self.X.T @ lam) > self._radius_with_slack(lam):
            return -np.inf
        if self.beta == 0.0:
            return float(lam @ self.y)
        return float(self.loss.dual_value(lam, self.y))

    def dual_constraint(self, lam) -> DualConstraint:
        r"""The constraint of (D1)/(D3) that decides whether ``lam`` is dual feasible
        (:class:`~dualkit.problems.base.DualConstraint`): the loss's domain when ``lam`` is
        outside it (hinge, logistic, absolute, cross-entropy), else
        :math:`\|X^\top\lambda\|_2\le\beta` (spectral norm for vector outputs; bound 1 with
        ``beta=0``), with the slack of :meth:`dual_objective`, which is finite exactly when
        the constraint holds."""
        lam = self._check_dual(lam)
        if self.beta > 0:
            dom = self.loss.domain_violation(lam, self.y)
            if dom is not None and dom[1] > dom[2] + dom[3]:
                return DualConstraint(*dom[:3], dom[3], "0" if dom[2] == 0 else f"{dom[2]:g}",
                                      dom[4])
        radius = self.beta if self.beta > 0 else 1.0
        name = "‖XᵀΛ‖₂ (spectral norm)" if self.vector else "‖Xᵀλ‖₂"
        return DualConstraint(name, self._dual_norm(self.X.T @ lam), radius,
                              self._radius_with_slack(lam) - radius,
                              "β" if self.beta > 0 else "1 (β = 0: minimum-norm interpolation)")

    def _check_dual(self, lam) -> np.ndarray:
        lam = as_targets(lam, "lam", n=self.n)
        if lam.shape != self.y.shape:
            raise ValueError(f"lam must have the shape of y, {self.y.shape}; got {lam.shape}.")
        return lam

    def _radius_with_slack(self, lam: np.ndarray) -> float:
        # float64 cannot evaluate ||X^T lam|| more accurately than 16 eps ||X||_F ||lam||
        # (cancellation in X^T lam), which matters when beta is tiny
        radius = self.beta if self.beta > 0 else 1.0
        rounding = 16 * np.finfo(float).eps * self._x_fro * _norm(lam)
        return radius * (1 + DUAL_FEAS_TOL) + rounding

    def rounding_floor(self, lam) -> float:
        r"""The rounding floor of :func:`~dualkit.problems.base.certify` for the dual point
        ``lam``: a point accepted by :meth:`feasible_dual` may exceed the radius by the rounding
        of :math:`X^\top\lambda`, :math:`\delta=16\varepsilon\|X\|_F\|\lambda\|/\beta`, and scaling it by
        :math:`1/(1+\delta)` would move its dual value by up to
        :math:`\delta(|\lambda^\top y|+\|\lambda\|^2)`: below that a dual value above the primal
        one is rounding, not a violation of weak duality (it matters when :math:`\beta` is tiny
        against :math:`\|X^\top y\|`)."""
        lam = self._check_dual(lam)
        radius = self.beta if self.beta > 0 else 1.0
        with np.errstate(over="ignore"):
            delta = 16 * np.finfo(float).eps * self._x_fro * _norm(lam) / radius
            # scaling by 1/(1+delta) moves the dual value by at most delta/(1+delta) < min(delta, 1)
            # times |lam^T y| + ||lam||^2: no larger floor is meaningful (delta > 1 when beta is
            # below the rounding of X^T lam, e.g. beta = 1e-200 ||X^T y||)
            return min(delta, 1.0) * (abs(float(np.sum(lam * self.y))) + _norm(lam) ** 2)

    def feasible_dual(self, lam) -> np.ndarray:
        r"""Scale :math:`\lambda` into the dual feasible set: :math:`\lambda\min(1,\beta/\|X^\top\lambda\|)`,
        after projecting it onto the loss's conjugate domain (``loss.project_dual``).

        Turns any residual (e.g. :math:`y-f(X)` of a trained network) into a valid certificate.
        """
        lam = self.loss.project_dual(self._check_dual(lam), self.y)
        radius = self.beta if self.beta > 0 else 1.0
        g = self._dual_norm(self.X.T @ lam)
        if g <= self._radius_with_slack(lam) - radius * DUAL_FEAS_TOL:
            return lam  # feasible to float64 rounding: scaling would only add rounding
        return lam * (radius / g)

    # ------------------------------------------------------------------ solving
    def solve(self, method: str = "auto", width=None, verbose: bool = False, *,
              solver: str | None = None, max_iter: int | None = None) -> Solution:
        r"""Global optimum of (P1) with its dual certificate.

        Parameters
        ----------
        method : {"auto", "closed_form", "fista", "cvxpy"}
            ``"auto"`` (default; None is its old spelling) picks ``"closed_form"`` for the
            squared loss: one factorization and a scalar root (:ref:`app-closed-form`); other
            losses use ``"cvxpy"``: the generic convex program (C1) and its dual (D1), solved
            separately. For vector outputs ``"closed_form"`` is singular-value soft-thresholding
            and needs whitened data (:math:`X^\top X=I`); ``"fista"`` (their ``"auto"`` otherwise)
            is accelerated proximal gradient with SVT and a duality-gap stopping rule.
        width : int or [int], optional
            Width :math:`m` of the returned optimal weights: any :math:`m\ge1` for a scalar output
            (default 1), :math:`m\ge\operatorname{rank}W^\star` for vector outputs (default the rank).
        verbose : bool
            Print progress lines as the solve runs (FISTA's iteration, objective and gap about
            every second and when it stops; cvxpy's stages; the fallback to cvxpy; a rescaling
            of the data) and a summary line. The progress lines are kept in
            ``sol.info["progress"]`` whether printed or not.
        solver : str, optional
            cvxpy solver name for ``method="cvxpy"`` (default Clarabel).
        max_iter : int, optional
            Iteration budget of FISTA (default 20,000); the other methods have none.

        Notes
        -----
        ``sol.certified`` follows :func:`~dualkit.problems.base.certify` with the solver's
        tolerance (``CERT_TOL``: 1e-9 for the closed forms, FISTA's and cvxpy's own).

        Any scale of the data is answered: at :math:`\beta\ge\beta_{\max}` the zero network is
        returned, certified, without running a solver (``info["zero_threshold"]``); data whose
        largest entry lies outside :math:`[2^{-30},2^{30}]` are solved at unit scale (divided
        by powers of two) and mapped back by homogeneity (``info["rescaled"]``, see
        ``_solve_rescaled``), then certified again at their own scale. A ``ValueError`` only
        where float64 cannot represent the answer (an optimal value beyond 1e308, or
        :math:`\beta/(\max|X|\max|y|)` below 1e-308).

        Raises
        ------
        RuntimeError
            When FISTA ends its budget without a certified optimum (relative duality gap
            ``CERT_TOL["fista"]``). With ``method="auto"`` a small problem (``n K <= 20,000``
            and ``d + K <= 60``) then falls back to cvxpy's primal at unit scale (``solver``),
            certified by the same dual points, and says so in ``info["fallback"]``;
            an explicit ``method="fista"``, or a larger problem, raises with the gap reached
            and a hint. cvxpy ending with a status other than optimal raises too.
        """
        auto = method in (None, "auto")
        if not isinstance(self.loss, Squared):
            default = "cvxpy"
        elif self.vector:
            default = "closed_form" if self.whitened else "fista"
        else:
            default = "closed_form"
        method = self._method(method, self.methods, default)
        width = None if width is None else hidden_widths(width, 1)[0]
        log = ProgressLog("TwoLayerLinear.solve", verbose)
        if self.beta > 0 and self.beta >= self.beta_max:
            sol = self._zero_solution(width)
        elif self._unit_scales() is not None:
            sol = self._solve_rescaled(method, width, auto, solver, max_iter, log)
        else:
            sol = self._solve(method, width, auto, solver, max_iter, log)
        if log.lines:
            sol.info["progress"] = log.lines
        if verbose:
            print(f"TwoLayerLinear.solve: {sol!r}")
        return sol

    def _zero_solution(self, width) -> Solution:
        r"""The trivial answer at :math:`\beta\ge\beta_{\max}`: the zero network, certified by
        the dual point :math:`\lambda_0=-\nabla\ell(0)` (:ref:`app-zero-threshold`), which is
        feasible there and whose dual value is :math:`\ell(0)` (Fenchel's equality at 0),
        without running a solver."""
        t0 = time.perf_counter()
        lam0 = self.loss.dual_point(np.zeros(self.y.shape), self.y)
        w = np.zeros((self.d, self.K)) if self.vector else np.zeros(self.d)
        return self._finish(w, self.feasible_dual(lam0), "closed_form", t0, width, "closed_form",
                            {"zero_threshold": "beta >= beta_max: the zero network is optimal "
                                               "(no solver run)"})

    def _unit_scales(self) -> tuple[float, float] | None:
        """``(a, c)``, powers of two with ``X / a`` and ``y / c`` of entries of order 1, where
        X or y lies outside the band that is solved as given
        (:func:`~dualkit.solvers.closed_form.outside_unit_band`); None inside it. ``c = 1``
        for the losses other than the squared loss (labels are not rescaled)."""
        if getattr(self, "_scales", None) is None:   # computed once: X and y never change
            self._scales = (pow2_scale(self.X),
                            pow2_scale(self.y) if isinstance(self.loss, Squared) else 1.0)
        a, c = self._scales
        return (a, c) if outside_unit_band(a, c) else None

    def _solve_rescaled(self, method, width, auto, solver, max_iter, log) -> Solution:
        r"""Solve on the data at unit scale and map back: with :math:`X=aX'`, :math:`y=cy'`
        (powers of two, so the division is exact) and :math:`w=(c/a)v`,

        .. math:: \ell(Xw)+\beta\|w\|=c^2\big(\tfrac12\|X'v-y'\|^2+\tfrac{\beta}{ac}\|v\|\big)

        for the squared loss (the dual point scales as :math:`\lambda=c\lambda'`); for the
        other losses :math:`c=1` and :math:`\lambda=\lambda'`. The mapped answer is certified
        again at the original scale. A ValueError where :math:`\beta/(ac)` underflows or the
        optimal value :math:`c^2P'` overflows float64 (no float64 answer exists)."""
        t0 = time.perf_counter()
        a, c = self._unit_scales()  # type: ignore[misc]
        beta_u = self.beta / (a * c)
        if self.beta > 0 and beta_u < np.finfo(float).tiny:
            raise ValueError(
                f"beta = {self.beta:g} is below float64's range relative to the scale of the "
                f"data (beta / (max|X| max|y|) ~ {beta_u:.1e} underflows); use a larger beta, "
                "or beta=0 (minimum-norm interpolation) if that is what you mean.")
        unit = getattr(self, "_unit", None)
        if unit is None:
            unit = TwoLayerLinear(self.X / a, self.y / c, beta_u, self.loss)
        elif unit.beta != beta_u:
            unit = unit.with_beta(beta_u)
        self._unit = unit
        log(f"data rescaled by powers of two (X / {a:g}, y / {c:g}), solving at "
            f"beta / (a c) = {beta_u:.6g}")
        ref = unit._solve(method, width, auto, solver, max_iter, log)
        assert ref.w is not None and ref.dual is not None
        scale = c * c if isinstance(self.loss, Squared) else c
        with np.errstate(over="ignore"):
            finite_or_raise(scale * ref.value, f"the optimal value (c^2 = {scale:.1e} times that "
                            f"at unit scale, {ref.value:.6g})",
                            "rescale y; the optimum exceeds float64's range")
        with np.errstate(over="ignore"):
            w = ref.w * (c / a)
            lam = ref.dual * (c if isinstance(self.loss, Squared) else 1.0)
        finite_or_raise(w, "the optimal end-to-end weights (c/a) w' at this scale of X and y",
                        "rescale X and y (the optimum itself is not representable)")
        finite_or_raise(lam, "the dual point of this scale of y",
                        "rescale y (the optimum itself is not representable)")
        rule = "svt" if ref.info.get("solver") == "svt" else ref.method
        sol = self._finish(w, self.feasible_dual(lam), ref.method, t0, width, rule,
                           {**ref.info, "rescaled": {"a": a, "c": c, "beta": beta_u}})
        finite_or_raise(sol.value, f"the optimal value (c^2 = {c * c:.1e} times that at unit "
                        "scale)", "rescale y; the optimum exceeds float64's range")
        return sol

    def _solve(self, method, width, auto, solver, max_iter, log) -> Solution:
        if method == "cvxpy":
            return self._solve_cvxpy(width, solver, log)
        if not isinstance(self.loss, Squared):
            raise ValueError(
                f"the {method} solver needs the squared loss; for loss={self.loss.name!r} use "
                "solve(method='cvxpy')."
            )
        if method == "fista":
            # cvxpy can take over when FISTA stalls, on problems whose SDP stays small
            small = self.n * self.K <= 20_000 and self.d + self.K <= 60
            return self._solve_fista(
                width, max_iter=20_000 if max_iter is None else check_positive_int(max_iter,
                                                                                   "max_iter"),
                fallback=auto and small, solver=solver, log=log)
        if self.vector:
            return self._solve_svt(width)
        return self._solve_closed_form(width)

    def _finish(self, w, lam, method, t0, width, rule, info) -> Solution:
        """The Solution of the end-to-end map ``w`` and the dual point ``lam``, certified by
        :func:`~dualkit.problems.base.certify` with the tolerance of ``rule`` (a key of ``CERT_TOL``)."""
        if self.vector:
            weights = balanced_factorization(w, width)
        else:
            weights = recover_weights(w, 1 if width is None else width)
        value = self.objective(weights)
        dual_value = self.dual_objective(lam)
        return Solution(
            value=value, weights=weights, dual=lam, dual_value=dual_value, method=method,
            solve_time=time.perf_counter() - t0,
            certified=certify(value, dual_value, rule, self.rounding_floor(lam)),
            beta=self.beta, w=w, info={**info, "rounding_floor": self.rounding_floor(lam)},
        )

    def _solve_closed_form(self, width: int, t0: float | None = None) -> Solution:
        if not isinstance(self.loss, Squared):
            raise ValueError(
                f"the closed form needs the squared loss; for loss={self.loss.name!r} use "
                "solve(method='cvxpy')."
            )
        t0 = time.perf_counter() if t0 is None else t0
        rp = self.ridge_path
        w = rp.solve(self.beta)
        info = {"tau": rp.tau(self.beta), "rank": rp.rank, "factorization": rp.method}
        lam = self.feasible_dual(rp.dual(self.beta))
        sol = self._finish(w, lam, "closed_form", t0, width, "closed_form", info)
        if not sol.certified and rp.method == "gram":
            # the Gram route squares the condition number; the SVD route is the accurate one
            self._path = RidgePath(self.X, self.y, method="svd")
            return self._solve_closed_form(width, t0)
        return sol

    def _solve_svt(self, width) -> Solution:
        if not self.whitened:
            raise ValueError(
                "the closed form for vector outputs (SVT) needs whitened data, X^T X = I; "
                "use solve(method='fista') or whiten X first."
            )
        t0 = time.perf_counter()
        W = svt(self._gram_matrices()[1], self.beta)
        lam = self.feasible_dual(self._polished_dual(W))
        return self._finish(W, lam, "closed_form", t0, width, "svt", {"solver": "svt"})

    def _solve_fista(self, width, tol: float = 1e-10, max_iter: int = 20_000,
                     fallback: bool = False, solver: str | None = None,
                     log: ProgressLog | None = None) -> Solution:
        t0 = time.perf_counter()
        if self.beta == 0.0:
            raise ValueError("beta=0 is minimum-norm interpolation; use solve() (closed form).")
        G, B, yy = self._gram_matrices()
        log = ProgressLog("TwoLayerLinear.solve", False) if log is None else log
        W, info = nuclear_fista(G, B, yy, self.beta, tol=tol, max_iter=max_iter, progress=log)
        w = W if self.vector else W[:, 0]
        # the polished dual is second-order accurate, but on ill-conditioned X its least-squares
        # correction can lose digits: keep the better of it and the scaled residual
        R = self.y - self.X @ W if self.vector else self.y - self.X @ w
        lams = [self.feasible_dual(self._polished_dual(w)), self.feasible_dual(R)]
        lam = max(lams, key=self.dual_objective)
        sol = self._finish(w, lam, "fista", t0, width, "fista", info)
        if sol.certified:
            return sol
        gap = sol.rel_gap
        why = (f"FISTA ended after {info['iterations']} iterations at relative duality gap "
               f"{gap if np.isfinite(gap) else float('inf'):.1e} (a certificate needs "
               f"{CERT_TOL['fista']:g})")
        if fallback:
            log(f"{why}; falling back to cvxpy")
            try:
                ref = self._solve_cvxpy_unit_scale(width, solver)
            except RuntimeError as exc:       # the fallback failed too: say both
                why += f"; cvxpy's fallback failed too ({exc})"
                ref = None
            if ref is not None and ref.certified:
                ref.info.update(iterations=info["iterations"], fista_gap=gap,
                                fallback=why + "; solved by cvxpy instead")
                ref.solve_time = time.perf_counter() - t0
                return ref
        cond = np.linalg.cond(self.X)
        raise RuntimeError(
            f"{why}. X has condition number {cond:.1e}; ill-conditioned data make the proximal "
            "gradient method slow. Try solve(method='cvxpy') (small problems), a larger "
            "max_iter, a larger beta, or better-conditioned (e.g. whitened) features.")

    def _solve_cvxpy_unit_scale(self, width, solver: str | None = None) -> Solution:
        """The primal (C3) by cvxpy on X / ||X||_2 and Y / ||Y||_F (conic solvers work best at
        unit scale), mapped back (with X = aX', Y = cY' the optimum is W = (c/a) W'' of the
        problem at beta / (a c)), and certified by the same dual points as FISTA's answer (the
        dual program (D3) is what cvxpy's solvers fail on for ill-conditioned X)."""
        t0 = time.perf_counter()
        a = float(np.linalg.norm(self.X, 2)) or 1.0
        c = float(np.linalg.norm(self.y)) or 1.0
        res = norm_penalized_loss(self.X / a, self.y / c, self.beta / (a * c), Squared(), solver,
                                  what="primal (C3) at unit scale")
        w = res.x["w"] * (c / a)
        R = self.y - self.X @ w
        lam = max([self.feasible_dual(self._polished_dual(w)), self.feasible_dual(R)],
                  key=self.dual_objective)
        return self._finish(w, lam, "cvxpy", t0, width, "cvxpy", {"primal_time": res.timings})

    def _polished_dual(self, w) -> np.ndarray:
        r"""Dual point for the squared loss from an approximate primal :math:`W`.

        The scaled residual is first-order sensitive to the error in :math:`W`; instead correct
        the residual :math:`R=Y-XW` to :math:`\Lambda=R+X\delta` with
        :math:`X^\top\Lambda=\beta P_rQ_r^\top+(I-P_rP_r^\top)X^\top R(I-Q_rQ_r^\top)`
        (:math:`W=P\Sigma Q^\top` at its numerical rank :math:`r`): on the active subspaces it is the
        subgradient of :math:`\beta\|W\|_*`, outside them it keeps what the residual has. The dual
        value is then off only to second order. Falls back to :math:`R` when :math:`W=0`.
        """
        W = w if self.vector else w[:, None]
        R = (self.y if self.vector else self.y[:, None]) - self.X @ W
        if not np.any(W):
            return R if self.vector else R[:, 0]
        P, s, Qt = np.linalg.svd(W, full_matrices=False)
        r = int(np.sum(s > 1e-9 * s[0]))
        P, Qt = P[:, :r], Qt[:r]
        G, B, _ = self._gram_matrices()
        M = B - G @ W  # X^T R
        # the subgradient beta (P Q^T + T): keep the part of X^T R outside the active subspaces
        T = M - P @ (P.T @ M)
        T = T - (T @ Qt.T) @ Qt
        delta = np.linalg.lstsq(G, self.beta * (P @ Qt) + T - M, rcond=None)[0]
        lam = R + self.X @ delta
        return lam if self.vector else lam[:, 0]

    def _solve_cvxpy(self, width, solver: str | None, log: ProgressLog | None = None) -> Solution:
        t0 = time.perf_counter()
        log = ProgressLog("TwoLayerLinear.solve", False) if log is None else log
        log(f"cvxpy: solving the primal (C1) (n={self.n}, d={self.d}, K={self.K}, "
            f"loss={self.loss.name!r})")
        primal = norm_penalized_loss(self.X, self.y, self.beta, self.loss, solver)
        log(f"cvxpy: primal solved by {primal.solver} in {time.perf_counter() - t0:.2g} s; "
            "solving the dual (D1)")
        dual = norm_penalized_dual(self.X, self.y, self.beta, self.loss, solver)
        log(f"cvxpy: dual solved in {time.perf_counter() - t0:.2g} s in all")
        info = {"primal_time": primal.timings, "dual_time": dual.timings, "solver": primal.solver}
        lam_val = self.feasible_dual(dual.x["lam"])
        return self._finish(primal.x["w"], lam_val, "cvxpy", t0, width, "cvxpy", info)

    def path(self, betas, width=None, *, widths=None) -> list[Solution]:
        r"""Solutions for many betas, reusing one factorization of :math:`X` (scalar outputs) or
        the Gram matrices (vector outputs): each is the solve of
        :meth:`~dualkit.Problem.with_beta`, and for the squared loss with scalar outputs the whole
        path is evaluated in batches (below). ``widths=`` is the deprecated old name of
        ``width``.

        Returns one :class:`Solution` per beta, each solved at that beta.
        """
        betas = check_betas(betas)
        width = self._width(width, widths)
        width = None if width is None else hidden_widths(width, 1)[0]
        if not self.vector and isinstance(self.loss, Squared) and self._unit_scales() is None:
            return self._path_closed_form(betas, width)
        # (data outside the band solved as given: one solve per beta, each at unit scale)
        if self.vector:
            self._gram_matrices()   # computed once, shared by every with_beta problem
        return [_at_beta(k, b, lambda b=b: self.with_beta(b)).solve(width=width)
                for k, b in enumerate(betas)]

    def _path_closed_form(self, betas, width) -> list[Solution]:
        """Scalar outputs, squared loss: every n-dimensional product of the path (the duals, the
        predictions and X^T lambda, 32 betas at a time) is one matrix product and the objectives
        are evaluated for all betas at once, so a path of 20 betas costs little more than the
        factorization. beta = 0 (interpolation) needs the SVD route; a beta whose batched answer
        on the Gram route is not certified moves the whole path to the SVD route, like solve().
        A beta whose batched answer is not certified on the SVD route either is solved alone
        (``with_beta(beta).solve()``)."""
        t0 = time.perf_counter()
        width = 1 if width is None else width
        bs = np.asarray(betas, dtype=float)
        if np.any(bs == 0) and self.ridge_path.method == "gram":
            self._path = RidgePath(self.X, self.y, method="svd")
        rp = self.ridge_path
        taus = rp.taus(bs)
        sols: list = [None] * len(bs)
        inner = np.flatnonzero(bs > 0)
        for start in range(0, inner.size, 32):
            chunk = inner[start:start + 32]
            if not self._path_chunk(rp, bs, taus, chunk, width, t0, sols):
                if rp.method == "gram":   # the Gram route lost digits: redo it all on the SVD
                    self._path = RidgePath(self.X, self.y, method="svd")
                    return self._path_closed_form(betas, width)
        for k, b in enumerate(bs):
            if sols[k] is None:   # beta = 0, or not certified on the SVD route either
                sols[k] = _at_beta(k, b, lambda b=b: self.with_beta(float(b))).solve(width=width)
        return sols

    def _path_chunk(self, rp, bs, taus, chunk, width, t0, sols) -> bool:
        """Solutions for the betas ``bs[chunk]`` into ``sols``; False if one is not certified."""
        beta = bs[chunk]
        W, Lam = rp.path_arrays(beta, taus[chunk])
        R = self.X @ W - self.y[:, None]
        g = np.linalg.norm(self.X.T @ Lam, axis=0)
        lam_norm = np.linalg.norm(Lam, axis=0)
        slack = beta * (1 + DUAL_FEAS_TOL) + 16 * np.finfo(float).eps * self._x_fro * lam_norm
        Lam = Lam * np.where(g > slack - beta * DUAL_FEAS_TOL, beta / np.maximum(g, 1e-300), 1.0)
        w_norm = np.linalg.norm(W, axis=0)
        safe = np.where(w_norm > 0, w_norm, 1.0)
        # balanced recovered weights: (||W1||^2 + ||w2||^2) / 2 = ||w||
        values = 0.5 * np.sum(R * R, axis=0) + beta * w_norm
        duals = 0.5 * float(self.y @ self.y) - 0.5 * np.sum((Lam - self.y[:, None])**2, axis=0)
        floors = [self.rounding_floor(Lam[:, j]) for j in range(len(chunk))]
        ok = [certify(v, g, "closed_form", f) for v, g, f in zip(values, duals, floors, strict=True)]
        for j, k in enumerate(chunk):
            if not ok[j]:
                continue                     # left to the careful one-beta route
            w = W[:, j].copy()
            a = np.full(width, np.sqrt(w_norm[j] / width))
            sols[k] = Solution(
                value=float(values[j]), weights=[np.outer(w / safe[j], a), a],
                dual=Lam[:, j].copy(), dual_value=float(duals[j]), method="closed_form",
                solve_time=time.perf_counter() - t0, certified=True, beta=float(beta[j]),
                w=w, info={"tau": float(taus[k]), "rank": rp.rank,
                           "factorization": rp.method, "path": True,
                           "rounding_floor": floors[j]})
        return all(ok)

    # ------------------------------------------------------------------ the network
    def network(self, width=None, seed: int = 0, init_scale: float = 1.0) -> DeepLinearNet:
        """A randomly initialised torch network :math:`XW_1w_2` (or :math:`XW_1W_2` with K
        outputs) of hidden width ``width`` (an int or a one-element list; default
        :attr:`~dualkit.Problem.default_width`)."""
        from ..nets import DeepLinearNet
        widths = hidden_widths(self.default_width if width is None else width, 1)
        return DeepLinearNet(self.d, widths, out=self.K, seed=seed, init_scale=init_scale)

    def check_network(self, net) -> None:
        """Raise ValueError unless ``net`` is a two-layer linear network on d inputs, one output."""
        from ..nets import DeepLinearNet
        if (not isinstance(net, DeepLinearNet) or net.depth != 2 or net.d != self.d
                or net.out != self.K or net.sphere_layers):
            got = (f"depth={net.depth}, d={net.d}, out={net.out}"
                   if isinstance(net, DeepLinearNet) else type(net).__name__)
            raise ValueError(
                f"net must be a two-layer linear network with d={self.d} inputs and K={self.K} "
                "output(s) "
                f"(from prob.network(width)); got {got}."
            )

    def torch_objective(self, net, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        r"""The primal objective (P1) of a torch network, for training."""
        if self.beta == 0.0:
            raise ValueError(
                "beta=0 is the constrained interpolation problem and cannot be trained by "
                "penalised gradient descent; train at a small beta > 0 instead."
            )
        self.check_network(net)
        reg = sum((W**2).sum() for W in net.layer_tensors())
        return self.loss.torch_value(net(X), y) + 0.5 * self.beta * reg

    def __repr__(self) -> str:
        return (
            f"TwoLayerLinear(n={self.n}, d={self.d}, K={self.K}, beta={self.beta:.6g}, "
            f"loss={self.loss.name!r}, beta_max={self.beta_max:.6g})"
        )
