"""Solvers for the convex programs: fast dedicated ones and the generic cvxpy references."""

from .closed_form import RidgePath, group_lasso_single
from .cvxpy_ref import solve_cvxpy

__all__ = ["RidgePath", "group_lasso_single", "solve_cvxpy"]
