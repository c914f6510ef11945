"""The numbers the two-layer ReLU chapter shows (chapters/two_layer_relu.md), recomputed."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import dualkit as dk
from dualkit.solvers.relu_program import enumerate_patterns, pattern_count, sample_patterns


def test_pattern_counts_table():
    for n in [5, 10, 20, 40, 80, 160]:
        Xn, _ = dk.data.sine_features(n=n, d=2, seed=1)
        M = np.column_stack([Xn, np.ones(n)])
        D = enumerate_patterns(M)
        assert D.shape[1] == pattern_count(n, 3)
        S, _ = sample_patterns(M, 10_000, seed=0)
        assert S.shape[1] <= D.shape[1]


@pytest.fixture(scope="module")
def example():
    X, y = dk.data.sine_features(n=20, d=2, seed=0)
    prob = dk.TwoLayerReLU(X, y, beta=1e-2, bias="regularized")
    return prob, prob.solve()


def test_trained_widths_against_the_certificate(example):
    torch.set_num_threads(1)
    prob, sol = example
    assert sol.certified
    gaps = {}
    for m in (10, 25, 200):
        net = prob.network(m, seed=0)
        dk.train(net, prob, steps=300, optimizer="lbfgs", progress=False)
        value = prob.objective(net)
        assert value >= sol.value * (1 - 1e-6)              # never below the certified optimum
        gaps[m] = prob.relative_gap(net)
    assert gaps[25] < 1e-2 and gaps[200] < 1e-2             # "within a fraction of a percent"
    assert gaps[10] > 1e-2                                   # "width 10 stops several percent above"


@pytest.mark.parametrize("bias", ["regularized", "free"])
def test_sampled_values_decrease_to_the_optimum(example, bias):
    prob, sol = example
    exact = sol if bias == "regularized" else dk.TwoLayerReLU(prob.X, prob.y, 1e-2, bias=bias).solve()
    values = [dk.TwoLayerReLU(prob.X, prob.y, 1e-2, bias=bias, patterns=s, seed=0).solve().value
              for s in (10, 30, 100, 300, 1000)]
    assert all(b <= a * (1 + 1e-9) for a, b in zip(values[:-1], values[1:], strict=True))
    assert all(v >= exact.value * (1 - 1e-9) for v in values)
