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
"""

from . import (
    book,
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
from .problems import (
    DeepLinear,
    DeepLinearWeightDecay,
    Problem,
    RankOneReLU,
    RankOneReLUMixed,
    ReLU1D,
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
    "History",
    "train",
    "train_best",
    "__version__",
]
