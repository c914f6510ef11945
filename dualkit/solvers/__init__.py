"""Solvers for the convex programs: fast dedicated ones and the generic cvxpy references.

cvxpy is imported by the first reference solve, not here; the submodules (``ramp``,
``relu_program``, ...) are imported on first access, ``dk.solvers.relu_program``.
"""

import importlib

from .closed_form import RidgePath, group_lasso_single
from .cvxpy_ref import solve_cvxpy

__all__ = ["RidgePath", "group_lasso_single", "solve_cvxpy"]



def __getattr__(name: str):
    if not name.startswith("__"):
        try:
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as err:
            if err.name != f"{__name__}.{name}":
                raise
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
