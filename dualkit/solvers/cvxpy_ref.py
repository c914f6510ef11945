"""Generic cvxpy formulations: the reference every dedicated solver is checked against."""

from __future__ import annotations

import time
import warnings

import numpy as np

from .._lazy import cvxpy as cp

__all__ = ["solve_cvxpy", "DEFAULT_SOLVER"]

#: Interior-point conic solver shipped with cvxpy; accurate to about 1e-8 on the book's problems.
DEFAULT_SOLVER = "CLARABEL"


def solve_cvxpy(problem: cp.Problem, solver: str | None = None, what: str = "problem", **kwargs):
    """Solve a cvxpy problem and insist on an optimal status.

    Returns ``(value, timings)`` with ``timings = {"compile": s, "solve": s, "total": s}``
    (cvxpy's canonicalisation and the solver's own time, reported separately).
    Raises :class:`RuntimeError` naming the status and the solver when the solver does not reach
    ``optimal`` (``optimal_inaccurate`` included): try another ``solver=`` or rescale the data.
    """
    solver = DEFAULT_SOLVER if solver is None else solver
    if solver not in cp.installed_solvers():
        raise ValueError(
            f"solver {solver!r} is not installed; installed cvxpy solvers: {cp.installed_solvers()}."
        )
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings():
            # an inaccurate solution is turned into the RuntimeError below
            warnings.filterwarnings("ignore", message="Solution may be inaccurate")
            problem.solve(solver=solver, **kwargs)
    except cp.error.SolverError as exc:
        raise RuntimeError(
            f"cvxpy solver {solver} failed on the {what}: {exc}. "
            "Try another solver (solver='SCS' or 'ECOS') or rescale X and y."
        ) from exc
    total = time.perf_counter() - t0
    if problem.status != cp.OPTIMAL:
        reached = problem.value
        where = (f"objective reached {float(reached):.6g}, no certified gap" if reached is not None
                 and np.isfinite(reached) else "no objective value")
        raise RuntimeError(
            f"cvxpy solver {solver} ended the {what} with status {problem.status!r}, not 'optimal' "
            f"({where}). Try another solver= (e.g. 'SCS'), rescale X and y to unit size, or use "
            "the problem's dedicated solve()."
        )
    stats = problem.solver_stats
    solve_t = float(stats.solve_time) if stats is not None and stats.solve_time else float("nan")
    compile_t = float(getattr(problem, "compilation_time", None) or float("nan"))
    return float(problem.value), {"compile": compile_t, "solve": solve_t, "total": total}
