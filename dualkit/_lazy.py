"""Modules imported on first use: ``import dualkit`` pays neither for cvxpy (about a second)
nor for torch (two to three seconds) in a session that never solves a reference program or
builds a network.

A module that needs one of them at run time imports the stand-in, and the real module for the
type checker (its annotations are strings, ``from __future__ import annotations``)::

    from typing import TYPE_CHECKING

    if TYPE_CHECKING:
        import torch
    else:
        from .._lazy import torch
"""

from __future__ import annotations

import importlib
from types import ModuleType


class LazyModule(ModuleType):
    """Stands for a module and imports it at the first attribute access."""

    def __init__(self, name: str):
        super().__init__(name)
        self._lazy_name = name

    def __getattr__(self, attr: str):
        module = importlib.import_module(self._lazy_name)
        self.__dict__.update(module.__dict__)
        return getattr(module, attr)


cvxpy = LazyModule("cvxpy")
torch = LazyModule("torch")
