"""The numbers the two-layer ReLU chapter shows (chapters/two_layer_relu.md), recomputed.

The training claims are worded to what holds on any CPU (best of five seeds, bounds with a
margin); run these tests also with ``ATEN_CPU_CAPABILITY=default`` and ``=avx2``.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch

import dualkit as dk
from dualkit.solvers.relu_program import enumerate_patterns, pattern_count, sample_patterns

CHAPTER = Path(__file__).resolve().parents[1] / "chapters" / "two_layer_relu.md"

# The chapter's qualitative sentences, word for word; the tests below assert each clause.
TRAINING_CLAIM = (
    "With the best of five seeds per width: the best networks of widths 25 and 200 come within "
    "a fraction of a percent of the certified optimum; the best of width 10 stays more than one "
    "percent above; no run goes below the certificate."
)
GROWTH_CLAIM = "close to $2^{r-1}=4$ and far from $2^r=8$."


def _prose(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_the_chapter_states_the_claims_the_tests_check():
    text = _prose(CHAPTER.read_text())
    assert TRAINING_CLAIM in text
    assert GROWTH_CLAIM in text
    assert "grows like $n^{r-1}$ for data of rank $r$" in text
    assert "like $n^r$" not in text


def test_every_quoted_number_is_glued_by_a_cell():
    text = CHAPTER.read_text()
    quoted = set(re.findall(r"\{glue:text\}`([a-z0-9_]+)", text))
    glued = set(re.findall(r'glue\(f?"([a-z0-9_{}]+)"', text))
    glued |= {f"relu_best_{m}" for m in (10, 25, 200) if "relu_best_{m}" in glued}
    assert quoted and quoted <= glued, quoted - glued


@pytest.mark.medium
def test_pattern_counts_table():
    ns = [5, 10, 20, 40, 80, 160]
    counts = []
    for n in ns:
        Xn, _ = dk.data.sine_features(n=n, d=2, seed=1)
        M = np.column_stack([Xn, np.ones(n)])
        D = enumerate_patterns(M)
        assert D.shape[1] == pattern_count(n, 3) == 2 * sum(math.comb(n - 1, k) for k in range(3))
        S, _ = sample_patterns(M, 10_000, seed=0)
        assert S.shape[1] <= D.shape[1]
        counts.append(D.shape[1])
    growth = counts[-1] / counts[-2]
    # "close to 2^(r-1) = 4 and far from 2^r = 8": rank 3 grows like n^2, not n^3
    assert abs(growth - 4) < 0.1 and abs(growth - 4) < abs(growth - 8) / 10


@pytest.fixture(scope="module")
def example():
    X, y = dk.data.sine_features(n=20, d=2, seed=0)
    prob = dk.TwoLayerReLU(X, y, beta=1e-2, bias="regularized")
    return prob, prob.solve()


def test_recovered_neurons_are_extreme_points(example):
    """The neurons that carry weight attain beta on their pattern cone; the others are tiny."""
    prob, sol = example
    assert prob.blocks.size == pattern_count(20, 3)
    W = sol.weights
    U = np.vstack([W[0], W.biases[0]])
    assert U.shape[1] == sol.info["active_blocks"]
    share = np.abs(W[1]) * np.linalg.norm(W[0], axis=0)
    drawn = share > 1e-3 * share.max()
    assert 1 <= drawn.sum() <= 21                          # Carathéodory's n + 1
    assert (share[~drawn] / share.max()).max(initial=0) < 1e-5
    reach = np.abs(sol.dual @ np.maximum(prob.M @ U, 0)) / (prob.beta * np.linalg.norm(U, axis=0))
    assert np.abs(reach[drawn] - 1).max() < 1e-6
    assert reach.max() <= 1 + 1e-8                         # dual feasible: no neuron exceeds beta


@pytest.mark.slow
def test_trained_widths_against_the_certificate(example):
    torch.set_num_threads(1)
    prob, sol = example
    assert sol.certified
    best = {}
    for m in (10, 25, 200):
        net, _, finals = dk.train_best(prob, m, seeds=range(5), steps=25, optimizer="lbfgs",
                                       progress=False)
        gaps = [(v - sol.dual_value) / sol.dual_value for v in finals.values()]
        assert len(gaps) == 5
        # "no run goes below the certificate": weak duality, a theorem
        assert min(gaps) >= -1e-9
        assert prob.objective(net) >= sol.value * (1 - 1e-6)
        best[m] = min(gaps)
        assert prob.relative_gap(net) == pytest.approx(best[m], rel=1e-6, abs=1e-12)
    print("best relative gaps:", {m: f"{g:.2e}" for m, g in best.items()})
    # "the best networks of widths 25 and 200 come within a fraction of a percent"
    assert best[25] < 1e-2 and best[200] < 1e-2
    # "the best of width 10 stays more than one percent above"
    assert best[10] > 1e-2


@pytest.mark.medium
@pytest.mark.parametrize("bias", ["regularized", "free"])
def test_sampled_values_decrease_to_the_optimum(example, bias):
    prob, sol = example
    exact = sol if bias == "regularized" else dk.TwoLayerReLU(prob.X, prob.y, 1e-2, bias=bias).solve()
    values = [dk.TwoLayerReLU(prob.X, prob.y, 1e-2, bias=bias, patterns=s, seed=0).solve().value
              for s in (10, 30, 100, 300, 1000)]
    assert all(b <= a * (1 + 1e-9) for a, b in zip(values[:-1], values[1:], strict=True))
    assert all(v >= exact.value * (1 - 1e-9) for v in values)
