"""The exercises of the two-layer ReLU chapter: unanswered, wrong and right answers."""

import numpy as np
import pytest

import dualkit as dk
from dualkit.solvers.relu_program import enumerate_patterns, pattern_count


def earned(label, answer, seed=0):
    return dk.exercises.get(label).score(answer, seed)


def failed(label, answer, seed=0, public=None):
    return dk.exercises.get(label).failed(answer, seed, public)


LABELS = ["ex-relu-count", "ex-relu-rescale", "ex-relu-sampling"]


# ---------------------------------------------------------------- ex-relu-count
def sweep_count(P):
    """The chapter's solution: one direction inside each arc between crossings."""
    normal = np.arctan2(P[:, 1], P[:, 0])
    cross = np.sort(np.mod(np.r_[normal, normal + np.pi] + np.pi / 2, 2 * np.pi))
    ends = np.r_[cross[1:], cross[0] + 2 * np.pi]
    mid = ((cross + ends) / 2)[ends - cross > 1e-12]
    on = P @ np.vstack([np.cos(mid), np.sin(mid)]) >= 0
    return len({col.tobytes() for col in on.T})


def count_solution(seed):
    ex = dk.exercises.load("ex-relu-count", seed=seed)
    return {"enumerated": {n: enumerate_patterns(P).shape[1] for n, P in ex.points.items()},
            "sweep": sweep_count(ex.points[10]), "collinear": sweep_count(ex.X_collinear)}


@pytest.mark.parametrize("seed", [0, 7])
def test_count_solution_gets_full_points(seed):
    ans = count_solution(seed)
    assert ans["enumerated"] == {n: 2 * n for n in range(3, 31)}
    assert ans["collinear"] == 18
    assert earned("ex-relu-count", ans, seed) == 4


def test_count_seed_zero_is_the_chapters_data():
    ex = dk.exercises.load("ex-relu-count", seed=0)
    assert np.array_equal(ex.points[10], dk.data.sine_features(10, 2, seed=3)[0])


def test_count_wrong_answers_lose_points():
    right = count_solution(0)
    # the formula with a bias column (rank 3) instead of rank 2
    with_bias = {**right, "enumerated": {n: pattern_count(n, 3) for n in range(3, 31)}}
    assert "enumerated counts are right" in failed("ex-relu-count", with_bias)
    # sweeping half a turn meets n + 1 patterns, not 2n
    half = {**right, "sweep": 11}
    assert failed("ex-relu-count", half) == {"sweep meets every pattern"}
    # the formula applied to points that are not in general position
    blind = {**right, "collinear": 20}
    assert failed("ex-relu-count", blind) == {"collinear count is right"}
    # malformed: a missing n costs points instead of crashing
    short = {**right, "enumerated": {n: 2 * n for n in range(3, 20)}}
    assert earned("ex-relu-count", short) <= 2


# ---------------------------------------------------------------- ex-relu-rescale
def rescale_solution(seed, with_bias=True):
    ex = dk.exercises.load("ex-relu-rescale", seed=seed)
    W, j = ex.weights, ex.j
    u = np.r_[W[0][:, j], W.biases[0][j]] if with_bias else W[0][:, j]
    alpha = W[1][j]
    s = np.sqrt(abs(alpha) / np.linalg.norm(u))
    V = dk.nets.ReLUWeights([W[0].copy(), W[1].copy()], [W.biases[0].copy(), W.biases[1]])
    V[0][:, j] *= s
    if with_bias:
        V.biases[0][j] *= s
    V[1][j] /= s
    return {"s_best": s, "decay_best": 0.5 * ex.beta * (s**2 * u @ u + alpha**2 / s**2),
            "output_change": np.abs(V.forward(ex.X) - W.forward(ex.X)).max()}


@pytest.mark.medium
@pytest.mark.parametrize("seed", [0, 7])
def test_rescale_solution_gets_full_points(seed):
    assert earned("ex-relu-rescale", rescale_solution(seed), seed) == 4


def test_rescale_seed_zero_is_the_chapters_problem_with_an_unbalanced_neuron():
    ex = dk.exercises.load("ex-relu-rescale", seed=0)
    X, y = dk.data.sine_features(n=20, d=2, seed=0)
    assert np.array_equal(ex.X, X) and ex.beta == 1e-2 and ex.prob.bias == "regularized"
    assert np.allclose(ex.weights.forward(X), ex.sol.weights.forward(X), rtol=0, atol=1e-12)
    assert abs(rescale_solution(0)["s_best"] - 1) > 0.3          # the answer is not s = 1


def test_rescale_without_the_bias_loses_points():
    """The old wording left open whether the bias is rescaled and decayed: without it the
    minimum moves (to s = 1.17 for the balanced neuron) and the output changes."""
    wrong = rescale_solution(0, with_bias=False)
    assert failed("ex-relu-rescale", wrong) == {
        "outputs do not change", "decay best is the decay at s best",
        "s best minimizes the decay", "decay best is the block cost"}
    # the old answer "s = 1 is best" (true for the balanced network only)
    ex = dk.exercises.load("ex-relu-rescale", seed=0)
    u = np.r_[ex.weights[0][:, ex.j], ex.weights.biases[0][ex.j]]
    alpha = ex.weights[1][ex.j]
    at_one = {"s_best": 1.0, "decay_best": 0.5 * ex.beta * (u @ u + alpha**2),
              "output_change": 0.0}
    assert failed("ex-relu-rescale", at_one) == {"s best minimizes the decay",
                                                 "decay best is the block cost"}


# ---------------------------------------------------------------- ex-relu-sampling
def sampling_solution(seed):
    ex = dk.exercises.load("ex-relu-sampling", seed=seed)
    out = {}
    for n in ex.ns:
        X, y = ex.data[n]
        k = 4
        while (dk.TwoLayerReLU(X, y, ex.beta, patterns=k, seed=ex.sample_seed).solve().value
               > ex.optimum[n] * (1 + 1e-6)):
            k *= 2
        out[n] = k
    return out


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 7])
def test_sampling_solution_gets_full_points_and_wrong_ones_do_not(seed):
    ans = sampling_solution(seed)
    assert earned("ex-relu-sampling", ans, seed) == 3
    # one doubling too many: reaches the optimum but is not the smallest
    late = {**ans, 30: 2 * ans[30]}
    assert failed("ex-relu-sampling", late, seed) == {"each count is the smallest"}
    # one doubling too few
    early = {**ans, 20: ans[20] // 2}
    # (a count that reaches nothing is not "the smallest" either: no point for a guess)
    assert failed("ex-relu-sampling", early, seed) == {"each count reaches the optimum",
                                                       "each count is the smallest"}
    guess = {n: 4 for n in ans}
    assert earned("ex-relu-sampling", guess, seed) <= 1
    # the number of patterns instead of the number of directions
    patterns = {n: pattern_count(n, 3) for n in (10, 20, 30)}
    assert earned("ex-relu-sampling", patterns, seed) == 0


def test_sampling_seed_zero_is_the_chapters_data_and_optimum_is_certified():
    ex = dk.exercises.load("ex-relu-sampling", seed=0)
    X, y = dk.data.sine_features(n=20, d=2, seed=0)
    assert np.array_equal(ex.data[20][0], X) and ex.beta == 1e-2
    assert ex.optimum[20] == pytest.approx(dk.TwoLayerReLU(X, y, 1e-2).solve().value, rel=1e-9)
