r"""Checks that students can run on their answers: right or wrong, with a reason, never the answer.

Every check returns a :class:`CheckResult` (true when the answer is right) and prints one line,
``✓ ...`` or ``✗ ...``, that says what was checked and, when wrong, what is off, e.g.
``✗ your λ is not dual feasible: ‖Xᵀλ‖₂ = 1.3 > β = 1``. The expected value is never printed.

    import dualkit as dk
    prob = dk.TwoLayerLinear(X, y, beta=0.5)
    dk.check.dual_point(prob, lam)          # is lam a dual certificate?
    dk.check.optimal_value(prob, 12.34)     # is 12.34 the optimal value?
    dk.check.optimal_weights(prob, weights) # do these weights reach the optimum?
    dk.check.rank_one(W)                    # is W rank one?

Introduced in :ref:`ch-instructors`.
"""

from __future__ import annotations

import textwrap

import numpy as np

from .diagnostics import rank_one_ratio

__all__ = ["CheckResult", "dual_point", "optimal_value", "optimal_weights", "rank_one", "close"]


class CheckResult:
    """The outcome of a check: truthy when passed; ``message`` says why."""

    def __init__(self, passed: bool, message: str, quiet: bool = False):
        self.passed = bool(passed)
        self.message = message
        if not quiet:
            # wrapped to the width of a notebook's (and the book's) column
            print(textwrap.fill(("✓ " if self.passed else "✗ ") + message, width=88,
                                subsequent_indent="  ", break_on_hyphens=False))

    def __bool__(self) -> bool:
        return self.passed

    def _ipython_display_(self) -> None:
        """Shown as the last expression of a notebook cell: nothing more, since the check
        has already printed its line."""

    def __repr__(self) -> str:
        return f"CheckResult(passed={self.passed}, message={self.message!r})"


def _constraint(prob, lam):
    """(name of the dual constraint, its value at lam, its bound) for the book's problems."""
    from .problems import DeepLinear, RankOneReLU, ReLU1D, TwoLayerLinear

    lam = np.asarray(lam, dtype=float)
    if isinstance(prob, DeepLinear):
        name, value, bound = _constraint(prob.convex, lam)
        return name + " (of the convex program at β_eff)", value, bound
    if isinstance(prob, TwoLayerLinear):
        name = "‖Xᵀλ‖₂" if lam.ndim == 1 else "‖XᵀΛ‖₂ (spectral norm)"
        return name, prob._dual_norm(prob.X.T @ lam), prob.beta if prob.beta > 0 else 1.0
    if isinstance(prob, RankOneReLU) and not prob.bias:
        return "|cᵀλ|", abs(float(prob.c @ lam)), prob.beta_tilde
    if isinstance(prob, ReLU1D):
        _, viol, eq = prob._dual_parts(lam)
        if not eq:
            what = f"1ᵀλ = 0 (here {lam.sum():.3g})"
            if prob.skip:
                what += f" and xᵀλ = 0 (here {float(prob.x @ lam):.3g})"
            return f"the equalities {what}", np.inf, 0.0
        return "max_j |(Aᵀλ)_j|, |(Bᵀλ)_j|", viol, prob.beta_eff if prob.beta > 0 else 1.0
    if isinstance(prob, RankOneReLU):
        return _constraint(prob._one_d, lam)
    raise ValueError(f"dual_point does not know the dual constraint of {type(prob).__name__}.")


def dual_point(prob, lam, optimal: bool = False, rtol: float = 1e-6, quiet: bool = False) -> CheckResult:
    r"""Is ``lam`` dual feasible for ``prob`` (its dual objective is then a lower bound)? With
    ``optimal=True`` also: is it a dual *optimum* (its dual objective equals the optimal value to a
    relative ``rtol``)? Feasibility alone is easy (λ = 0 is feasible); grade with ``optimal=True``."""
    try:
        lam = np.asarray(lam, dtype=float)
    except (TypeError, ValueError):
        return CheckResult(False, f"λ must be an array of numbers; got {type(lam).__name__}.", quiet)
    if lam.shape != np.shape(prob.y):
        return CheckResult(False, f"λ must have the shape of y, {np.shape(prob.y)}; got {lam.shape}.",
                           quiet)
    if not np.all(np.isfinite(lam)):
        return CheckResult(False, "λ contains NaN or Inf.", quiet)
    name, value, bound = _constraint(prob, lam)
    dual = prob.dual_objective(lam)
    if not np.isfinite(dual):
        if value <= bound * (1 + rtol):   # the norm constraint holds: the loss's domain does not
            return CheckResult(False, "your λ is outside the domain of the loss's conjugate "
                                      "(e.g. for the hinge loss −y_iλ_i must lie in [0, 1]).", quiet)
        if not np.isfinite(value):
            return CheckResult(False, f"your λ is not dual feasible: it must satisfy {name}.", quiet)
        return CheckResult(False, f"your λ is not dual feasible: {name} = {value:.4g} > {bound:.4g}. "
                                  "Scale it down (prob.feasible_dual does that) or re-derive it.", quiet)
    if optimal:
        best = prob.solve().value
        if abs(dual - best) > rtol * max(abs(best), _scale(prob)):
            return CheckResult(False, "λ is dual feasible but not optimal: its dual objective is "
                                      "below the optimum.", quiet)
        return CheckResult(True, f"λ is a dual optimum ({name} = {value:.4g} ≤ {bound:.4g}).", quiet)
    return CheckResult(True, f"λ is dual feasible: {name} = {value:.4g} ≤ {bound:.4g}.", quiet)


def _scale(prob) -> float:
    """A natural size of the objective, ½‖y‖², so that optima at 0 can be checked."""
    y = np.asarray(prob.y, dtype=float)
    return max(0.5 * float(np.sum(y * y)), 1e-300) * 1e-9


def optimal_value(prob, value, rtol: float = 1e-6, hint: bool = True,
                  quiet: bool = False) -> CheckResult:
    """Is ``value`` the optimal value of ``prob`` (to a relative ``rtol``, or 1e-9 of ½‖y‖² for
    optima at zero)? With ``hint`` it says whether a wrong value is too high or too low (never by
    how much); ``hint=False`` for graded use, where repeated tries could bisect."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return CheckResult(False, f"the value must be a number; got {type(value).__name__}.", quiet)
    if not np.isfinite(value):
        return CheckResult(False, f"the value must be finite; got {value}.", quiet)
    best = prob.solve().value
    if abs(value - best) <= rtol * max(abs(best), _scale(prob)):
        return CheckResult(True, f"{value:.10g} is the optimal value (to a relative {rtol:g}).", quiet)
    if not hint:
        return CheckResult(False, f"{value:.10g} is not the optimal value.", quiet)
    side = "too high: a better network exists" if value > best else \
        "too low: no network reaches it (it is below the dual bound)"
    return CheckResult(False, f"{value:.10g} is {side}.", quiet)


def optimal_weights(prob, weights, rtol: float = 1e-6, quiet: bool = False) -> CheckResult:
    """Do ``weights`` (or a network) reach the optimal value of ``prob``? Reports the relative
    gap, which the student can also compute with ``prob.relative_gap``."""
    try:
        obj = prob.objective(weights)
    except (ValueError, TypeError, IndexError) as exc:
        return CheckResult(False, f"these weights do not fit the problem: {exc}", quiet)
    if not np.isfinite(obj):
        return CheckResult(False, "the weights violate a constraint (objective is inf).", quiet)
    gap = prob.relative_gap(weights)
    if gap <= rtol:
        return CheckResult(True, f"the weights are optimal: relative gap {gap:.1e} ≤ {rtol:g}.", quiet)
    return CheckResult(False, f"the weights are not optimal yet: relative gap {gap:.1e} > {rtol:g}.",
                       quiet)


def _numeric(value):
    """``value`` as a float array, or None for anything that is not real numbers (strings,
    complex, None, ragged lists)."""
    if value is None or isinstance(value, (str, bytes)):
        return None
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):
        return None
    if np.iscomplexobj(arr) or not (np.issubdtype(arr.dtype, np.number)
                                    or arr.dtype == np.bool_):
        return None
    return arr.astype(float)


def rank_one(W, rtol: float = 1e-4, quiet: bool = False) -> CheckResult:
    r"""Is the matrix ``W`` rank one (:math:`\sigma_2/\sigma_1\le` ``rtol``)?"""
    A = _numeric(W)
    if A is None or A.ndim > 2 or not np.all(np.isfinite(A)):
        return CheckResult(False, "W must be a finite real matrix (a layer's weights).", quiet)
    sv = np.linalg.svd(np.atleast_2d(A), compute_uv=False)
    if sv.size == 0 or sv[0] == 0:
        return CheckResult(False, "W is zero (a dead layer), not a rank-one layer.", quiet)
    ratio = rank_one_ratio(A)
    if ratio <= rtol:
        return CheckResult(True, f"W is rank one: σ₂/σ₁ = {ratio:.1e} ≤ {rtol:g}.", quiet)
    return CheckResult(False, f"W is not rank one: σ₂/σ₁ = {ratio:.1e} > {rtol:g}.", quiet)


def close(answer, expected_fn, name: str = "answer", rtol: float = 1e-6, atol: float = 1e-12,
          quiet: bool = False) -> CheckResult:
    """Generic numeric check: ``|answer - expected| <= atol + rtol * |expected|`` elementwise,
    with ``expected_fn()`` a callable, so that the expected value never sits in the student's
    notebook."""
    a = _numeric(answer)
    if a is None:
        return CheckResult(False, f"{name} must be real numbers; got {type(answer).__name__}"
                           f" {answer!r:.60}.", quiet)
    if not np.all(np.isfinite(a)):
        return CheckResult(False, f"{name} contains NaN or Inf.", quiet)
    e = np.asarray(expected_fn(), dtype=float)
    if a.shape != e.shape:
        return CheckResult(False, f"{name} has shape {a.shape}, expected {e.shape}.", quiet)
    excess = np.abs(a - e) - (atol + rtol * np.abs(e))
    if not np.any(excess > 0):
        return CheckResult(True, f"{name} is right (to rtol {rtol:g}, atol {atol:g}).", quiet)
    bad = int(np.sum(excess > 0))
    return CheckResult(False, f"{name} is off in {bad} of {e.size} entries (rtol {rtol:g}).", quiet)
