"""The problem API shared by every result of the book (see DESIGN.md, "The problem API")."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from ..diagnostics import relative_gap

__all__ = ["Solution", "Problem", "DualConstraint", "last_two_decay_objective"]


class DualConstraint(NamedTuple):
    r"""The dual constraint that decides whether a point :math:`\lambda` is dual feasible, as
    returned by ``prob.dual_constraint(lam)``.

    :math:`\lambda` is feasible, and ``prob.dual_objective(lam)`` finite, exactly when
    ``value <= bound + slack``. When :math:`\lambda` violates a constraint this is the one it
    violates (equalities and the loss's domain first); otherwise it is the problem's main
    constraint (e.g. :math:`\|X^\top\lambda\|_2\le\beta`).

    Attributes
    ----------
    name : str
        The constrained quantity, e.g. ``"‖Xᵀλ‖₂"``.
    value : float
        Its value at :math:`\lambda`.
    bound : float
        Its upper bound (0 for an equality, written as an absolute value).
    slack : float
        The tolerance ``dual_objective`` allows above ``bound`` (a relative 1e-9 of the bound
        plus float64 rounding of ``value``).
    bound_name : str
        How the book writes the bound, e.g. ``"β"``, ``"β_eff = β/t^(L−2)"``, ``"0"``.
    condition : str
        The constraint in words, e.g. ``"0 ≤ y_iλ_i ≤ 1 for every i (the hinge loss's domain)"``;
        empty for the problem's main constraint.
    """

    name: str
    value: float
    bound: float
    slack: float
    bound_name: str
    condition: str = ""

    @property
    def holds(self) -> bool:
        """Whether the constraint holds within its slack."""
        return bool(self.value <= self.bound + self.slack)


@dataclass
class Solution:
    """The global optimum of a problem, with its dual certificate.

    Attributes
    ----------
    value : float
        Primal objective at ``weights`` (the optimal value when ``certified``).
    weights : list of ndarray
        Optimal layer weights, in the form ``prob.objective`` accepts.
    dual : ndarray or None
        A dual-feasible point :math:`\\lambda`; ``prob.dual_objective(dual)`` is a lower bound.
        None for a problem without a zero-gap dual (then ``dual_value`` is NaN).
    dual_value : float
        ``prob.dual_objective(dual)``.
    method : str
        The solver that produced it (``"closed_form"``, ``"cvxpy"``, ...).
    solve_time : float
        Wall-clock seconds of the solve.
    certified : bool
        True only when ``value - dual_value`` is within the solver's tolerance, so that the dual
        bound proves ``value`` optimal.
    beta : float
        The regularization strength it was solved at.
    w : ndarray or None
        The end-to-end linear map :math:`W_1\\cdots w_L` where the network is linear.
    info : dict
        Solver-specific details (timings, iterations, ...).
    """

    value: float
    weights: list
    dual: np.ndarray
    dual_value: float
    method: str
    solve_time: float
    certified: bool
    beta: float
    w: np.ndarray | None = None
    info: dict = field(default_factory=dict)

    @property
    def gap(self) -> float:
        """Duality gap ``value - dual_value`` (>= 0 up to rounding)."""
        return self.value - self.dual_value

    @property
    def rel_gap(self) -> float:
        """Relative duality gap ``(value - dual_value) / |dual_value|``; NaN when the solution
        has no dual value (e.g. the non-convex weight-decay problem), inf for an infeasible one."""
        if np.isnan(self.value) or np.isnan(self.dual_value):
            return float("nan")
        return relative_gap(self.value, self.dual_value)

    def __repr__(self) -> str:
        shapes = [np.shape(W) for W in self.weights]
        return (
            f"Solution(value={self.value:.10g}, dual_value={self.dual_value:.10g}, "
            f"rel_gap={self.rel_gap:.2e}, certified={self.certified}, method={self.method!r}, "
            f"solve_time={self.solve_time:.3g}s, beta={self.beta:.6g}, weights={shapes})"
        )

    def _repr_html_(self) -> str:
        """A one-row table in Jupyter and in the book (the full-precision values stay in
        ``repr`` and in the attributes)."""
        from ..book import table

        return table({"$P$ (value)": self.value, "dual value": self.dual_value,
                      "relative gap": f"{self.rel_gap:.1e}", "certified": self.certified,
                      "method": self.method, "time (s)": f"{self.solve_time:.2g}",
                      r"$\beta$": self.beta},
                     digits=8, caption="Solution")._repr_html_()


class Problem:
    """Base class of the book's problems.

    Subclasses set ``X``, ``y``, ``beta``, ``loss`` and implement ``objective``,
    ``dual_objective``, ``solve``, ``network`` and ``torch_objective``. The base class supplies
    the certified lower bound and the gap of a trained network.
    """

    _bound_cache: float | None = None

    def objective(self, weights) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def dual_objective(self, lam) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def solve(self, method: str | None = None, **kwargs) -> Solution:  # pragma: no cover
        raise NotImplementedError

    def network(self, width: int, seed: int = 0):  # pragma: no cover - abstract
        raise NotImplementedError

    def torch_objective(self, net, X, y):  # pragma: no cover - abstract
        raise NotImplementedError

    def lower_bound(self) -> float:
        """The best certified lower bound on the primal optimum (cached after the first call)."""
        if self._bound_cache is None:
            self._bound_cache = float(self.solve().dual_value)
        return self._bound_cache

    def gap(self, net) -> float:
        """Certified suboptimality ``objective(net) - lower_bound()`` of a network or weights."""
        return self.objective(net) - self.lower_bound()

    def relative_gap(self, net) -> float:
        """``gap(net) / |lower_bound()|``: the book's "relative gap"."""
        return relative_gap(self.objective(net), self.lower_bound())

    @staticmethod
    def _weights_of(weights) -> list:
        """Accept a torch module with ``.weights()`` or a list of arrays."""
        if hasattr(weights, "weights") and callable(weights.weights):
            return weights.weights()
        if isinstance(weights, (list, tuple)):
            return list(weights)
        raise ValueError(
            "weights must be a list of layer arrays (e.g. sol.weights) or a dualkit network; "
            f"got {type(weights).__name__}."
        )


def last_two_decay_objective(net, X, y, beta: float):
    r"""Torch objective of the formulations with weight decay on the last two layers only:
    :math:`\tfrac12\|f(X)-y\|^2+\tfrac\beta2(\|W_{L-1}\|_F^2+\|w_L\|^2)` (biases and sphere
    layers free of decay). ``beta=0`` is refused: it is a constrained interpolation problem."""
    if beta == 0.0:
        raise ValueError("beta=0 is a constrained (interpolation) problem; train with beta > 0.")
    Ws = net.layer_tensors()
    r = net(X) - y
    return 0.5 * (r @ r) + 0.5 * beta * ((Ws[-2] ** 2).sum() + (Ws[-1] ** 2).sum())
