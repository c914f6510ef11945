"""One module per result of the book; each defines a problem class with the common API."""

from .base import DualConstraint, Problem, Solution
from .deep_linear import DeepLinear, DeepLinearWeightDecay, deep_weights, schatten_weights
from .rank_one_relu import RankOneReLU, RankOneReLUMixed, rank_one_factors
from .relu_1d import ReLU1D, SplineSolution, StandardDeepReLU1D
from .two_layer_linear import TwoLayerLinear, recover_weights
from .two_layer_relu import SampledPatternsWarning, TwoLayerReLU

__all__ = [
    "Problem",
    "Solution",
    "DualConstraint",
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
    "rank_one_factors",
    "TwoLayerReLU",
    "SampledPatternsWarning",
]
