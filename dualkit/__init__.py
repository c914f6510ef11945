"""dualkit: convex duality of deep neural networks, computed.

The library behind the book *Convex Duality of Deep Neural Networks*. Each result of the book is a
problem class (``TwoLayerLinear``, ...) that solves the convex program of a weight-decay-
regularized network, returns optimal layer weights with a dual certificate, builds the primal
torch network and measures how far a trained network is from the global optimum::

    import dualkit as dk
    X, y = dk.data.gaussian(n=50, d=10, seed=0)
    prob = dk.TwoLayerLinear(X, y, beta=0.1)
    sol = prob.solve()
    net = prob.network(width=10, seed=0)
    hist = dk.train(net, prob, steps=100, optimizer="lbfgs")
    prob.gap(net)

A network of your own (``nn.Linear`` and ``nn.ReLU`` layers, trained with any optimizer's
``weight_decay``) is certified by ``dk.certify(model, X, y, optimizer=opt)``.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from . import (
        book,
        certificate,
        check,
        data,
        diagnostics,
        exercises,
        losses,
        nets,
        plot,
        solvers,
        splines,
        timing,
        widgets,
    )
    from .certificate import CONVENTIONS, CertifyReport, certify
    from .problems import (
        DeepLinear,
        DeepLinearWeightDecay,
        Problem,
        RankOneReLU,
        RankOneReLUMixed,
        ReLU1D,
        SampledPatternsWarning,
        Solution,
        SplineSolution,
        StandardDeepReLU1D,
        TwoLayerLinear,
        TwoLayerReLU,
        deep_weights,
        recover_weights,
        schatten_weights,
    )
    from .train import History, train, train_best

__version__ = "0.1.0"

__all__ = [
    "book",
    "check",
    "exercises",
    "data",
    "diagnostics",
    "losses",
    "nets",
    "plot",
    "solvers",
    "widgets",
    "splines",
    "timing",
    "Problem",
    "Solution",
    "TwoLayerLinear",
    "recover_weights",
    "DeepLinear",
    "DeepLinearWeightDecay",
    "deep_weights",
    "schatten_weights",
    "ReLU1D",
    "SplineSolution",
    "StandardDeepReLU1D",
    "RankOneReLU",
    "RankOneReLUMixed",
    "TwoLayerReLU",
    "SampledPatternsWarning",
    "History",
    "train",
    "train_best",
    "certificate",
    "certify",
    "CertifyReport",
    "CONVENTIONS",
    "__version__",
]

# Every public name is imported on first use (PEP 562): ``import dualkit`` loads neither torch,
# cvxpy nor matplotlib (it took 4 s when it did); ``dk.plot`` imports matplotlib, ``dk.train``
# and ``prob.network()`` import torch, a cvxpy solve imports cvxpy.
_SUBMODULES = frozenset({
    "book", "certificate", "check", "data", "diagnostics", "exercises", "losses", "nets", "plot", "problems",
    "solvers", "splines", "timing", "widgets",
})
_FROM_SUBMODULE = {
    **dict.fromkeys(
        ["Problem", "Solution", "TwoLayerLinear", "recover_weights", "DeepLinear",
         "DeepLinearWeightDecay", "deep_weights", "schatten_weights", "ReLU1D", "SplineSolution",
         "StandardDeepReLU1D", "RankOneReLU", "RankOneReLUMixed", "TwoLayerReLU",
         "SampledPatternsWarning"],
        "problems",
    ),
    **dict.fromkeys(["History", "train", "train_best"], "train"),
    **dict.fromkeys(["certify", "CertifyReport", "CONVENTIONS"], "certificate"),
}


def __getattr__(name: str):
    """A public name not yet imported: import its module (PEP 562)."""
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")  # the import binds it here
    if name in _FROM_SUBMODULE:
        value = getattr(importlib.import_module(f"{__name__}.{_FROM_SUBMODULE[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    """The names bound so far and every public name, imported or not."""
    return sorted(set(globals()) | set(__all__) | _SUBMODULES)


class _Package(types.ModuleType):
    """The package's module type. Importing the submodule ``dualkit.train`` binds the module to
    the package's name ``train``, which is the function ``dualkit.train.train``: whichever of
    ``dk.train`` and ``import dualkit.train`` comes first, ``dk.train`` stays the function."""

    def __setattr__(self, name: str, value) -> None:
        if name == "train" and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
