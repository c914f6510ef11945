r"""Generic cvxpy formulations: the reference every dedicated solver is checked against.

Each program takes plain arrays (and a :class:`~dualkit.losses.Loss` where the loss is free)
and returns a :class:`CvxpyResult` of plain values: the problem classes build the data of the
program, call one of these, and keep the mathematics (weights, dual points, certificates).

* :func:`norm_penalized_loss` / :func:`norm_penalized_dual`: :math:`\min_W\ell(XW)+\beta\|W\|`
  (Euclidean norm of a vector, nuclear norm of a matrix) and its dual (C1)/(D1), (C3)/(D3);
  with :math:`\beta=0`, minimum-norm interpolation and its dual.
* :func:`ramp_program`: the 1-D ramp program (C5), weighted lasso or interpolation LP.
* :func:`scalar_lasso` / :func:`lasso_dual`: one-feature lasso and the lasso dual
  :math:`\max\tfrac12\|y\|^2-\tfrac12\|\lambda-y\|^2` s.t. :math:`|c_j^\top\lambda|\le\beta`.
* :func:`relu_cone_program`: the two-layer ReLU cone group lasso (the whole program).

All of them solve through :func:`solve_cvxpy`, the one place that chooses the solver, retries
and turns a failed solve into a :class:`RuntimeError`. ``cvxpy`` is imported inside the
functions only: importing this module does not load it.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import cvxpy as cp

__all__ = [
    "solve_cvxpy",
    "DEFAULT_SOLVER",
    "CvxpyResult",
    "norm_penalized_loss",
    "norm_penalized_dual",
    "ramp_program",
    "scalar_lasso",
    "lasso_dual",
    "relu_cone_program",
]

#: Interior-point conic solver shipped with cvxpy; accurate to about 1e-8 on the book's problems.
DEFAULT_SOLVER = "CLARABEL"


@dataclass
class CvxpyResult:
    """What a reference program returns: plain numbers, no problem or solution objects.

    Attributes
    ----------
    value : float
        The optimal value cvxpy reports.
    x : dict
        Optimal primal variables by name (arrays, or floats for scalar variables).
    duals : dict
        Dual values of the named constraints (empty when the caller needs none).
    status : str
        cvxpy's status (always ``"optimal"``: anything else raises).
    solver : str
        The solver that produced it.
    timings : dict
        ``{"compile": s, "solve": s, "total": s}`` as returned by :func:`solve_cvxpy`.
    """

    value: float
    x: dict = field(default_factory=dict)
    duals: dict = field(default_factory=dict)
    status: str = "optimal"
    solver: str = DEFAULT_SOLVER
    timings: dict = field(default_factory=dict)


def _solve_once(problem, solver: str, what: str, **kwargs):
    import cvxpy as cp

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


def solve_cvxpy(problem: cp.Problem, solver: str | None = None, what: str = "problem", *,
                fallback: bool = False, **kwargs):
    """Solve a cvxpy problem and insist on an optimal status.

    Returns ``(value, timings)`` with ``timings = {"compile": s, "solve": s, "total": s}``
    (cvxpy's canonicalisation and the solver's own time, reported separately).
    Raises :class:`RuntimeError` naming the status and the solver when the solver does not reach
    ``optimal`` (``optimal_inaccurate`` included): try another ``solver=`` or rescale the data.
    ``solver`` defaults to ``DEFAULT_SOLVER``; ``kwargs`` go to the solver. With
    ``fallback=True`` a solve with ``kwargs`` that fails is retried once with the solver's
    default options (tight tolerances can end 'optimal_inaccurate' on degenerate data).
    """
    solver = DEFAULT_SOLVER if solver is None else solver
    try:
        return _solve_once(problem, solver, what, **kwargs)
    except RuntimeError:
        if not (fallback and kwargs):
            raise
        # warm_start=False: a warm start would reuse the cached solver with the failed options
        return _solve_once(problem, solver, what, warm_start=False)


def _tight(solver: str, tol: float, max_iter: int) -> dict:
    """Clarabel options for a tighter solve than its defaults (none for other solvers)."""
    if solver != "CLARABEL":
        return {}
    return {"tol_gap_abs": tol, "tol_gap_rel": tol, "tol_feas": tol, "max_iter": max_iter}


def _run(prob, solver, what, variables, constraints=None, **kwargs) -> CvxpyResult:
    """Solve ``prob`` by :func:`solve_cvxpy` and read the named variables and constraint duals."""
    solver = DEFAULT_SOLVER if solver is None else solver
    value, timings = solve_cvxpy(prob, solver, what=what, **kwargs)
    x = {name: (float(v.value) if v.ndim == 0 else np.asarray(v.value, dtype=float))
         for name, v in variables.items()}
    duals = {name: np.asarray(c.dual_value, dtype=float)
             for name, c in (constraints or {}).items()}
    return CvxpyResult(value=value, x=x, duals=duals, status=prob.status, solver=solver,
                       timings=timings)


# ---------------------------------------------------------------------- linear networks
def norm_penalized_loss(X, Y, beta: float, loss, solver: str | None = None,
                        what: str = "primal (C1)") -> CvxpyResult:
    r"""The convex program of a two-layer linear network (C1)/(C3).

    .. math:: \min_W\ \ell(XW)+\beta\|W\|,

    :math:`\|W\|` the Euclidean norm for a vector ``Y`` of shape (n,) (variable :math:`w` of
    shape (d,)) and the nuclear norm :math:`\|W\|_*` for a matrix ``Y`` of shape (n, K)
    (:math:`W` of shape (d, K)). With vector ``Y`` and ``beta == 0``: minimum-norm
    interpolation :math:`\min\|w\|_2` s.t. :math:`Xw=y` (``loss`` is not used).
    ``loss`` is a :class:`~dualkit.losses.Loss` (its ``cvxpy_value``). Returns ``x["w"]``.
    """
    import cvxpy as cp

    vector = np.ndim(Y) == 2
    w = cp.Variable((X.shape[1], Y.shape[1]) if vector else X.shape[1])
    if vector:
        prob = cp.Problem(cp.Minimize(loss.cvxpy_value(X @ w, Y) + beta * cp.normNuc(w)))
    elif beta == 0.0:
        prob = cp.Problem(cp.Minimize(cp.norm(w, 2)), [X @ w == Y])
    else:
        prob = cp.Problem(cp.Minimize(loss.cvxpy_value(X @ w, Y) + beta * cp.norm(w, 2)))
    return _run(prob, solver, what, {"w": w})


def norm_penalized_dual(X, Y, beta: float, loss, solver: str | None = None,
                        what: str = "dual (D1)") -> CvxpyResult:
    r"""The dual (D1)/(D3) of :func:`norm_penalized_loss`.

    .. math:: \max_\Lambda\ -\ell^*(-\Lambda)\ \text{ s.t. }\ \|X^\top\Lambda\|\le\beta,

    the Euclidean norm for a vector ``Y`` and the spectral norm for a matrix ``Y`` (the dual
    norms of the primal's). With vector ``Y`` and ``beta == 0``:
    :math:`\max\lambda^\top y` s.t. :math:`\|X^\top\lambda\|_2\le1` (the value is
    :math:`\|X^\dagger y\|_2`). ``-ℓ*(-Λ)`` and its domain come from ``loss.cvxpy_dual``.
    Returns ``x["lam"]`` with the shape of ``Y``.
    """
    import cvxpy as cp

    lam = cp.Variable(np.shape(Y))
    if np.ndim(Y) == 2:
        dual_expr, dual_cons = loss.cvxpy_dual(lam, Y)
        prob = cp.Problem(cp.Maximize(dual_expr), [cp.sigma_max(X.T @ lam) <= beta, *dual_cons])
    elif beta == 0.0:
        prob = cp.Problem(cp.Maximize(lam @ Y), [cp.norm(X.T @ lam, 2) <= 1.0])
    else:
        dual_expr, dual_cons = loss.cvxpy_dual(lam, Y)
        prob = cp.Problem(cp.Maximize(dual_expr), [cp.norm(X.T @ lam, 2) <= beta, *dual_cons])
    return _run(prob, solver, what, {"lam": lam})


# ---------------------------------------------------------------------- ReLU networks
def ramp_program(xs, ys, beta: float, omega=None, skip: bool = False,
                 solver: str | None = None) -> CvxpyResult:
    r"""The 1-D ramp program (C5) on sorted distinct inputs ``xs`` with targets ``ys``.

    Fits :math:`f(x_i)=\sum_j\alpha_j(x_i-x_j)_++\gamma_j(x_j-x_i)_++b_0\ (+\,c\,x_i)`
    (:math:`c` only with ``skip``) by

    .. math:: \min\ \tfrac12\sum_i\omega_i(f(x_i)-y_i)^2+\beta(\|\alpha\|_1+\|\gamma\|_1)

    (weights ``omega``, required when ``beta > 0``), or with ``beta == 0`` the interpolation LP
    :math:`\min\|\alpha\|_1+\|\gamma\|_1` s.t. :math:`f(x_i)=y_i`. Solver by default: HiGHS for
    the LP when installed (the LP defeats Clarabel from n ~ 200), else Clarabel with tight
    tolerances (1e-11). Returns ``x["alpha"]``, ``x["gamma"]``, ``x["b0"]`` (and ``x["c"]``
    with ``skip``); for the LP also ``duals["interpolation"]``, the LP dual
    :math:`\lambda` of :math:`\max\lambda^\top y` over the same constraints, signed so that
    :math:`\lambda^\top y\ge0`.
    """
    import cvxpy as cp

    n = xs.size
    A = np.maximum(xs[:, None] - xs[None, :], 0.0)
    B = np.maximum(xs[None, :] - xs[:, None], 0.0)
    al, ga, b0 = cp.Variable(n), cp.Variable(n), cp.Variable()
    variables = {"alpha": al, "gamma": ga, "b0": b0}
    pred = A @ al + B @ ga + b0
    if skip:
        variables["c"] = c = cp.Variable()
        pred = pred + c * xs
    constraints = {}
    if beta == 0.0:
        constraints["interpolation"] = cons = pred == ys
        prob = cp.Problem(cp.Minimize(cp.norm1(al) + cp.norm1(ga)), [cons])
    else:
        prob = cp.Problem(cp.Minimize(
            0.5 * cp.sum(cp.multiply(omega, cp.square(pred - ys)))
            + beta * (cp.norm1(al) + cp.norm1(ga))))
    if solver is None:
        solver = "HIGHS" if beta == 0.0 and "HIGHS" in cp.installed_solvers() else DEFAULT_SOLVER
    res = _run(prob, solver, "(C5) 1-D ramp program", variables, constraints,
               **_tight(solver, 1e-11, 500))
    if beta == 0.0:
        lam = -res.duals["interpolation"].ravel()
        res.duals["interpolation"] = -lam if lam @ ys < 0 else lam
    return res


def scalar_lasso(c, y, beta: float, solver: str | None = None,
                 what: str = "rank-one primal (scalar kappa)") -> CvxpyResult:
    r"""The one-feature lasso :math:`\min_\kappa\tfrac12\|\kappa c-y\|^2+\beta|\kappa|`.

    Returns ``x["kappa"]`` (a float). Its dual is :func:`lasso_dual` with the one row ``c``.
    """
    import cvxpy as cp

    k = cp.Variable()
    prob = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(k * c - y) + beta * cp.abs(k)))
    return _run(prob, solver, what, {"kappa": k})


def lasso_dual(C, y, beta: float, solver: str | None = None,
               what: str = "lasso dual program") -> CvxpyResult:
    r"""The lasso dual :math:`\max_\lambda\tfrac12\|y\|^2-\tfrac12\|\lambda-y\|^2` s.t.
    :math:`|c_j^\top\lambda|\le\beta` for every row :math:`c_j` of ``C`` (shape (m, n), or
    one row of shape (n,)): the dual of :math:`\min_k\tfrac12\|C^\top k-y\|^2+\beta\|k\|_1`.
    Returns ``x["lam"]``."""
    import cvxpy as cp

    lam = cp.Variable(y.size)
    rows = [C] if np.ndim(C) == 1 else list(C)
    prob = cp.Problem(cp.Maximize(0.5 * float(y @ y) - 0.5 * cp.sum_squares(lam - y)),
                      [cp.abs(c @ lam) <= beta for c in rows])
    return _run(prob, solver, what, {"lam": lam})


def relu_cone_program(M, D, y, beta: float, anchors=None,
                      solver: str | None = None, loss=None) -> CvxpyResult:
    r"""The two-layer ReLU cone group lasso over the patterns ``D`` (n, P), whole, in cvxpy.

    With block matrices :math:`M_j=M` (or :math:`M-\mathbf 1a_j^\top` when ``anchors`` (P, p)
    gives the rows :math:`a_j`, the free-bias form, which also adds a free offset :math:`b_0`):

    .. math::

       \begin{aligned}
       \min_{v_j,w_j}\ &\tfrac12\Big\|\sum_jD_jM_j(v_j-w_j)\,(+\,b_0)-y\Big\|^2\\
       &+\beta\sum_j(\|v_j\|_2+\|w_j\|_2)\\
       \text{s.t. }\ &(2D_j-I)M_jv_j\ge0,\\
       &(2D_j-I)M_jw_j\ge0 .
       \end{aligned}

    With a :class:`~dualkit.losses.Loss` ``loss`` (default the squared loss) the first term is
    :math:`\ell(\hat y)` (``loss.cvxpy_value``) at the same predictions :math:`\hat y`,
    written as a variable :math:`z=\hat y`, and ``duals["pred"]`` is the multiplier of that
    equality: :math:`\pm\lambda=\mp\nabla\ell(z)`, the dual point of the program (for a
    non-smooth loss such as the hinge, the subgradient the program picks; its sign follows
    the solver's convention, so callers try both).
    Clarabel with tight tolerances (1e-10), retried with its defaults when that fails.
    Returns ``x["V"]``, ``x["W"]`` (p, P) (and ``x["b0"]`` with ``anchors``).
    """
    import cvxpy as cp

    n, p = M.shape
    P = D.shape[1]
    D = D.astype(float)
    V, W = cp.Variable((p, P)), cp.Variable((p, P))

    def Z(U):
        out = M @ U
        if anchors is not None:
            out = out - np.ones((n, 1)) @ cp.reshape(cp.sum(cp.multiply(anchors.T, U), axis=0),
                                                     (1, P), order="C")
        return out

    ZV, ZW = Z(V), Z(W)
    pred = cp.sum(cp.multiply(D, ZV - ZW), axis=1)
    variables = {"V": V, "W": W}
    if anchors is not None:
        variables["b0"] = b0 = cp.Variable()
        pred = pred + b0
    constraints = {}
    if loss is None:
        fit = 0.5 * cp.sum_squares(pred - y)
    else:
        z = cp.Variable(n)
        constraints["pred"] = z == pred
        fit = loss.cvxpy_value(z, y)
    obj = fit + beta * (
        cp.sum(cp.norm(V, 2, axis=0)) + cp.sum(cp.norm(W, 2, axis=0)))
    cons = [cp.multiply(2 * D - 1, ZV) >= 0, cp.multiply(2 * D - 1, ZW) >= 0]
    prob = cp.Problem(cp.Minimize(obj), cons + list(constraints.values()))
    solver = DEFAULT_SOLVER if solver is None else solver
    return _run(prob, solver, "two-layer ReLU convex program", variables, constraints,
                fallback=True, **_tight(solver, 1e-10, 300))
