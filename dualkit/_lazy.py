"""Modules imported on first use: ``import dualkit`` does not pay for cvxpy (about a second) in
a session that never solves a reference program."""

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
