r"""Checks that students can run on their answers: right or wrong, with a reason, never the answer.

Every check returns a :class:`CheckResult` (true when the answer is right) and prints one line
that says what was checked and, when it does not pass, why, e.g.
``✗ your λ is not dual feasible: ‖Xᵀλ‖₂ = 1.3 exceeds β = 1 by 3.0e-01 relative ...``.
The expected value is never printed.

    import dualkit as dk
    prob = dk.TwoLayerLinear(X, y, beta=0.5)
    dk.check.dual_point(prob, lam)          # is lam a dual certificate?
    dk.check.optimal_value(prob, 12.34)     # is 12.34 the optimal value?
    dk.check.optimal_weights(prob, weights) # do these weights reach the optimum?
    dk.check.rank_one(W)                    # is W rank one?

Outcomes (``result.status``):

* ``"pass"`` (``✓``, truthy): proved right, by a dual certificate or, where the problem has a
  duality gap, by an exact argument of the book (the two-variable reduction of the mixed-sign
  rank-one network, the exhaustive 1-D search of weight decay on every layer);
* ``"fail"`` (``✗``): proved wrong, e.g. below a certified lower bound, above a known network;
* ``"undecided"`` (``?``, falsy): the truth is not known. Only on problems with a duality gap
  whose optimum the library cannot prove (deep linear networks with vector outputs, two-layer
  ReLU networks whose patterns cannot be enumerated): a value between the certified lower bound
  and the best known network, or weights as good as the best known network. Graders who want
  to give credit for reaching the best known network accept ``result.status == "undecided"``;
* ``"refused"`` (``✗``): the check does not apply to this problem (the sentence says why and
  what to use instead), e.g. ``dual_point`` on a problem without a dual.

A reference that the library cannot certify is never used as the truth.

Introduced in :ref:`ch-instructors`.
"""

from __future__ import annotations

import math
import textwrap
import weakref

import numpy as np

from .diagnostics import rank_one_ratio

__all__ = ["CheckResult", "dual_point", "optimal_value", "optimal_weights", "rank_one", "close"]

#: relative excess over a bound below which it is float64 rounding, not worth a sentence
_ROUNDING = 1e-12
_MARKS = {"pass": "✓ ", "fail": "✗ ", "undecided": "? ", "refused": "✗ "}


class CheckResult:
    """The outcome of a check: truthy when passed; ``message`` says why, ``status`` is one of
    ``"pass"``, ``"fail"``, ``"undecided"``, ``"refused"`` (see the module docstring)."""

    def __init__(self, passed: bool, message: str, quiet: bool = False, status: str | None = None):
        self.passed = bool(passed)
        self.status = status or ("pass" if self.passed else "fail")
        if self.passed != (self.status == "pass"):
            raise ValueError(f"passed={passed} contradicts status={status!r}.")
        self.message = message
        if not quiet:
            # wrapped to the width of a notebook's (and the book's) column
            print(textwrap.fill(_MARKS[self.status] + message, width=88,
                                subsequent_indent="  ", break_on_hyphens=False))

    def __bool__(self) -> bool:
        return self.passed

    def _ipython_display_(self) -> None:
        """Shown as the last expression of a notebook cell: nothing more, since the check
        has already printed its line."""

    def __repr__(self) -> str:
        return f"CheckResult(passed={self.passed}, status={self.status!r}, message={self.message!r})"


class _Refused(Exception):
    """Raised inside a check when it does not apply to the problem; becomes a "refused" result."""


def _refused(check: str, prob, why: str, quiet: bool) -> CheckResult:
    return CheckResult(False, f"dk.check.{check} cannot check a {type(prob).__name__}: {why}",
                       quiet, status="refused")


# ---------------------------------------------------------------- what is known about a problem
class _Known:
    """What the library knows about the optimum of a problem.

    ``best``: the objective of the best network it knows; ``exact``: whether ``best`` is proved
    to be the optimum (``how``: by what); ``lower``: a certified lower bound or None;
    ``dual_opt``: the optimum of the dual program where it is known (for ``dual_point``);
    ``why_open``: why ``best`` is not proved optimal (when ``exact`` is False)."""

    def __init__(self, best, exact, lower=None, dual_opt=None, how="", why_open="",
                 certified=False):
        self.best, self.exact, self.lower = float(best), bool(exact), lower
        self.dual_opt, self.how, self.why_open = dual_opt, how, why_open
        #: proved by a dual point (then ``lower`` equals ``best`` to the solver's tolerance)
        self.certified = bool(certified)


_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _known(prob) -> _Known:
    """The solve of ``prob``, once per problem (and beta), as a :class:`_Known`."""
    key = (getattr(prob, "beta", None), getattr(prob, "t", None))
    try:
        hit = _CACHE.get(prob)
    except TypeError:
        hit = None
    if hit is not None and hit[0] == key:
        return hit[1]
    known = _compute_known(prob)
    try:
        _CACHE[prob] = (key, known)
    except TypeError:
        pass
    return known


def _compute_known(prob) -> _Known:
    """What ``prob.solve()`` proves, read from the problem contract: ``sol.certified`` (a dual
    certificate), ``sol.dual_value`` (a lower bound where finite) and the solver's own account
    in ``sol.info``: ``"exact"`` (by what argument the value is the optimum without a
    certificate), ``"open"`` (why it is not proved optimal) and ``"dual_optimal"`` (whether
    ``dual_value`` is the optimum of the dual program)."""
    try:
        sol = prob.solve()
    except (RuntimeError, ValueError, NotImplementedError) as exc:
        raise _Refused(f"the reference solve failed ({exc})") from exc
    lower = float(sol.dual_value) if np.isfinite(sol.dual_value) else None
    if sol.certified:
        return _Known(sol.value, True, lower=lower, dual_opt=lower, certified=True)
    dual_opt = lower if sol.info.get("dual_optimal") else None
    if sol.info.get("exact"):
        return _Known(sol.value, True, lower=lower, dual_opt=dual_opt, how=sol.info["exact"])
    why = sol.info.get("open") or (f"the solver did not certify its answer (relative duality "
                                   f"gap {sol.rel_gap:.1e})")
    return _Known(sol.value, False, lower=lower, dual_opt=dual_opt, why_open=why)


def _scale(prob) -> float:
    """A natural size of the objective, ½‖y‖², so that optima at 0 can be checked."""
    y = np.asarray(prob.y, dtype=float)
    return max(0.5 * float(np.sum(y * y)), 1e-300) * 1e-9


def _digits(value: float, bound: float) -> int:
    """Significant digits that show ``value`` and ``bound`` apart."""
    rel = abs(value - bound) / max(abs(bound), abs(value), 1e-300)
    return int(min(17, max(4, math.ceil(-math.log10(rel)) + 2))) if rel > 0 else 17


def _repair(prob) -> str:
    return "repair it with prob.feasible_dual(lam)"


# ---------------------------------------------------------------- the checks
def dual_point(prob, lam, optimal: bool = False, rtol: float = 1e-6, quiet: bool = False) -> CheckResult:
    r"""Is ``lam`` dual feasible for ``prob`` (its dual objective is then a lower bound)? With
    ``optimal=True`` also: is it a dual *optimum* (its dual objective equals the optimum of the
    dual program to a relative ``rtol``)? Feasibility alone is easy (λ = 0 is feasible); grade
    with ``optimal=True``.

    Feasibility is decided by ``prob.dual_constraint(lam)`` with the tolerance of
    ``prob.dual_objective`` (a relative 1e-9 plus float64 rounding), so the check passes exactly
    when the dual objective is finite. That tolerance keeps the dual objective a lower bound up
    to a relative 1e-9, far inside ``rtol``; a looser one would let an infeasible λ pass as a
    dual optimum. A λ computed in float32 (relative error about 1e-7) therefore fails, with
    the exact excess; ``prob.feasible_dual(lam)`` scales it into the set at a cost of about that
    excess in its dual objective, and then passes ``optimal=True`` when the excess is below
    ``rtol``. A violation is reported with the constraint, its value, the bound and the relative
    excess; the loss's domain is named only when that is what is violated.

    On problems with a duality gap the dual optimum lies below the primal optimum; ``optimal=True``
    compares with the dual optimum (the nuclear-norm dual of deep vector outputs, the Lagrangian
    duals of the mixed-sign rank-one network and of weight decay on every layer). Refused (a
    ``"refused"`` result that says why) where ``prob.dual_constraint`` cannot be evaluated:
    problems without a dual (:class:`~dualkit.StandardDeepReLU1D`) and a
    :class:`~dualkit.TwoLayerReLU` whose activation patterns cannot be enumerated.
    """
    arr = _numeric(lam)
    if arr is None:
        return CheckResult(False, f"λ must be an array of numbers; got {type(lam).__name__}.", quiet)
    lam = arr
    if lam.shape != np.shape(prob.y):
        return CheckResult(False, f"λ must have the shape of y, {np.shape(prob.y)}; got {lam.shape}.",
                           quiet)
    if not np.all(np.isfinite(lam)):
        return CheckResult(False, "λ contains NaN or Inf.", quiet)
    try:
        con = prob.dual_constraint(lam)
    except (RuntimeError, ValueError, NotImplementedError) as exc:
        # a problem without a dual, or whose dual constraint cannot be evaluated here
        return _refused("dual_point", prob, str(exc), quiet)
    if not con.holds:
        return CheckResult(False, _violation(prob, con), quiet)
    dual = prob.dual_objective(lam)
    if not np.isfinite(dual):   # dual_constraint and dual_objective disagree: a library bug
        return CheckResult(False, f"your λ is not dual feasible (its dual objective is {dual}), "
                           "although its constraint holds: please report this.", quiet)
    excess = (con.value - con.bound) / con.bound if con.bound > 0 else 0.0
    p = _digits(con.value, con.bound) if excess > _ROUNDING else 4
    holds = f"{con.name} = {con.value:.{p}g} ≤ {con.bound_name}" + (
        f" = {con.bound:.{p}g}" if con.bound_name not in ("0", "1") else "")
    if excess > _ROUNDING:
        holds += (f" (it exceeds the bound by {excess:.1e} relative, within the tolerance "
                  f"{con.slack / con.bound:.1e} of prob.dual_objective: accepted, and its dual "
                  "objective is a lower bound up to about that relative amount)")
    if not optimal:
        return CheckResult(True, f"λ is dual feasible: {holds}; its dual objective is a lower "
                                 "bound on the optimal value.", quiet)
    try:
        known = _known(prob)
    except _Refused as exc:
        return _refused("dual_point", prob, str(exc), quiet)
    if known.dual_opt is None:
        return CheckResult(False, f"λ is dual feasible ({holds}), but whether it is a dual "
                           "optimum cannot be decided: the optimum of the dual program is not "
                           f"known here ({known.why_open}).", quiet, status="undecided")
    target = known.dual_opt
    tol = rtol * max(abs(target), _scale(prob))
    if abs(dual - target) <= tol:
        extra = "" if known.exact and known.lower is not None and abs(known.best - target) <= tol \
            else " The problem has a duality gap, so this dual optimum lies below the primal " \
                 "optimum: it is the best lower bound, not the optimal value."
        return CheckResult(True, f"λ is a dual optimum: {holds}, and its dual objective equals "
                                 f"the optimum of the dual to a relative {rtol:g}.{extra}", quiet)
    if dual < target:
        return CheckResult(False, f"λ is dual feasible ({holds}) but not optimal: its dual "
                                  "objective is below the optimum of the dual.", quiet)
    return CheckResult(False, f"λ is dual feasible ({holds}) and its dual objective is above the "
                              "optimum of the dual computed here; this should not happen: "
                              "please report it.", quiet, status="undecided")


def _violation(prob, con) -> str:
    """The message for a λ that violates ``con`` (a DualConstraint)."""
    if con.bound == 0:
        return (f"your λ is not dual feasible: it must satisfy {con.condition}, but {con.name} = "
                f"{con.value:.3g} (allowed: {con.slack:.1e} of rounding). Re-derive it, or "
                f"{_repair(prob)}, which gives a feasible point whose dual objective is a valid "
                "lower bound.")
    p = _digits(con.value, con.bound)
    excess = (con.value - con.bound) / con.bound
    what = f" ({con.condition})" if con.condition else ""
    msg = (f"your λ is not dual feasible: {con.name} = {con.value:.{p}g} exceeds {con.bound_name}"
           f"{'' if con.bound_name == '1' else f' = {con.bound:.{p}g}'} by {excess:.1e} relative"
           f"{what}; this check and prob.dual_objective allow {con.slack / con.bound:.1e}.")
    if excess < 1e-4:
        return msg + (" So small an excess comes from rounding (float32 arithmetic gives "
                      "about 1e-7) or an inexact solve: compute in float64, or "
                      f"{_repair(prob)}, which scales it into the set and lowers its dual "
                      "objective by about that relative amount.")
    return msg + f" Re-derive it, or {_repair(prob)} (a valid lower bound, but a lower one)."


def optimal_value(prob, value, rtol: float = 1e-6, hint: bool = True,
                  quiet: bool = False) -> CheckResult:
    """Is ``value`` the optimal value of ``prob`` (to a relative ``rtol``, or 1e-9 of ½‖y‖² for
    optima at zero)? With ``hint`` it says whether a wrong value is too high or too low (never by
    how much); ``hint=False`` for graded use, where repeated tries could bisect.

    Only what is proved is said: "too low: ... below the dual bound" only below a certified
    lower bound, "too high" only above a network the library has. Where the optimum is not
    proved (a duality gap: deep vector outputs, two-layer ReLU networks with sampled patterns) a
    value between the lower bound and the best known network is ``"undecided"``: not a pass."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return CheckResult(False, f"the value must be a number; got {type(value).__name__}.", quiet)
    if not np.isfinite(value):
        return CheckResult(False, f"the value must be finite; got {value}.", quiet)
    try:
        k = _known(prob)
    except _Refused as exc:
        return _refused("optimal_value", prob, str(exc), quiet)
    tol = rtol * max(abs(k.best), _scale(prob))
    v = f"{value:.10g}"
    below_bound = k.lower is not None and value < k.lower - tol
    if k.exact:
        if abs(value - k.best) <= tol:
            how = "" if k.certified else f"; {k.how}"
            return CheckResult(True, f"{v} is the optimal value (to a relative {rtol:g}){how}.",
                               quiet)
        if not hint:
            return CheckResult(False, f"{v} is not the optimal value.", quiet)
        if value > k.best:
            return CheckResult(False, f"{v} is too high: a better network exists.", quiet)
        why = "it is below the dual bound" if below_bound else k.how
        return CheckResult(False, f"{v} is too low: no network reaches it ({why}).", quiet)
    # the optimum is not proved: only bounds are facts
    if not hint:
        status = "fail" if below_bound or value > k.best + tol else "undecided"
        return CheckResult(False, f"{v} cannot be certified optimal here: {k.why_open}.", quiet,
                           status=status)
    if below_bound:
        return CheckResult(False, f"{v} is too low: no network reaches it (it is below the dual "
                                  "bound).", quiet)
    if value > k.best + tol:
        return CheckResult(False, f"{v} is too high: a better network is known.", quiet)
    if value >= k.best - tol:
        return CheckResult(False, f"{v} is the objective of the best network known here, but it "
                                  f"cannot be certified optimal: {k.why_open}.", quiet,
                           status="undecided")
    where = ("between the certified lower bound and the best network known, and"
             if k.lower is not None else "below the best network known, and")
    return CheckResult(False, f"{v} cannot be decided: it lies {where} {k.why_open}.",
                       quiet, status="undecided")


def optimal_weights(prob, weights, rtol: float = 1e-6, quiet: bool = False) -> CheckResult:
    """Do ``weights`` (or a network) reach the optimal value of ``prob`` (to a relative
    ``rtol``)? Reports the relative gap to the certified lower bound, which the student can also
    compute with ``prob.relative_gap``.

    Where the optimum is proved (a dual certificate, or an exact argument of the book: the
    mixed-sign rank-one network, weight decay on every layer) the weights pass when their
    objective is within ``rtol`` of it. Where it is not (deep vector outputs, sampled ReLU
    patterns) weights as good as the best known network, or better, are ``"undecided"`` (not a
    pass): global optimality cannot be certified; worse ones fail ("a better network is
    known")."""
    try:
        obj = float(prob.objective(weights))
    except (ValueError, TypeError, IndexError) as exc:
        return CheckResult(False, f"these weights do not fit the problem: {exc}", quiet)
    if not np.isfinite(obj):
        return CheckResult(False, "the weights violate a constraint of the problem (the "
                                  "objective is inf): a norm bound ‖W_l‖_F ≤ t on a constrained "
                                  "layer, or interpolation when β = 0.", quiet)
    try:
        k = _known(prob)
    except _Refused as exc:
        return _refused("optimal_weights", prob, str(exc), quiet)
    tol = rtol * max(abs(k.best), _scale(prob))
    # the gap to the certified lower bound where there is one and it is what the optimum is
    # known by (or all that is known); to the exactly known optimum otherwise
    use_bound = k.lower is not None and (k.certified or not k.exact)
    ref, against = (k.lower, "the dual bound") if use_bound else (k.best, "the optimum")
    gap = (obj - ref) / max(abs(ref), 1e-300)
    g = f"relative gap {gap:.1e} to {against}"
    if k.exact:
        how = "" if k.certified else f"; {k.how}"
        if abs(obj - k.best) <= tol:
            return CheckResult(True, f"the weights are optimal: {g} ≤ {rtol:g}{how}.", quiet)
        if obj > k.best:
            return CheckResult(False, f"the weights are not optimal yet: {g} > {rtol:g}.", quiet)
        return CheckResult(False, "the weights' objective is below the optimum computed here; "
                                  "this should not happen: please report it.", quiet,
                           status="undecided")
    if obj > k.best + tol:
        known_gap = f" ({g})" if k.lower is not None else ""
        return CheckResult(False, f"the weights are not optimal: a better network is "
                                  f"known{known_gap}.", quiet)
    level = "as good as" if obj >= k.best - tol else "better than"
    return CheckResult(False, f"the weights are {level} the best network known here, but global "
                              f"optimality cannot be certified: {k.why_open}.", quiet,
                       status="undecided")


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
