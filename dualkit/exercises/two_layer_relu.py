r"""Exercises of the two-layer ReLU chapter ({ref}`ch-two-layer-relu`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .. import data
from ..problems import TwoLayerReLU
from ..solvers.relu_program import enumerate_patterns
from ._core import Instance, exercise
from ._tests import as_float, field, within

if TYPE_CHECKING:
    from ..weights import ReLUWeights

#: the numbers of points of ex-relu-count
_COUNT_NS = tuple(range(3, 31))
#: the numbers of points of ex-relu-sampling, its weight decay and its doubling sequence
_SAMPLING_NS = (10, 20, 30)
_SAMPLING_BETA = 1e-2
_SAMPLING_START = 4


def _as_count(value, name: str) -> int:
    """A pattern count: a positive integer (an int, or a float that is one)."""
    v = as_float(value, name)
    if v != round(v) or v < 1:
        raise ValueError(f"`{name}` must be a positive whole number of patterns; got {v!r}.")
    return int(round(v))


# ---------------------------------------------------------------- ex-relu-count
@exercise("ex-relu-count", chapter="two_layer_relu", answer="relu_count",
          what='a dict with "enumerated" ({n: number of patterns of ex.points[n]} for '
               'n = 3..30, by enumerate_patterns), "sweep" (the number of patterns of '
               'ex.points[10] met by a sweep of directions) and "collinear" (the same count '
               "for ex.X_collinear)",
          kind="numerical check", minutes=20)
def relu_count(seed):
    r"""Points in the plane without a bias (rank 2): ``points[n]`` for n = 3..30 (seed 0: the
    chapter's ``sine_features(n, 2, seed=3)``), and ``X_collinear``, the ten points of
    ``points[10]`` with the last one replaced by :math:`-1.5\,x_1`: two points on one line
    through the origin, so :math:`2(n-1)` patterns, not :math:`2n`."""
    points = {n: data.sine_features(n, 2, seed=seed + 3)[0] for n in _COUNT_NS}
    Xc = points[10].copy()
    Xc[-1] = -1.5 * Xc[0]
    return Instance(points=points, ns=_COUNT_NS, X_collinear=Xc)


def _count_answer(ans):
    counts = field(ans, "enumerated", "relu_count")
    if not isinstance(counts, dict):
        raise ValueError('relu_count["enumerated"] must be a dict {n: count}; it is a '
                         f"{type(counts).__name__}.")
    missing = [n for n in _COUNT_NS if n not in counts]
    if missing:
        raise ValueError(f'relu_count["enumerated"] has no entry for n = {missing[:5]}'
                         f"{' ...' if len(missing) > 5 else ''} (it needs n = 3..30).")
    return {n: _as_count(counts[n], f'relu_count["enumerated"][{n}]') for n in _COUNT_NS}


@relu_count.test(points=1, public=True)
def every_count_is_reported_and_even(ans, ex):
    counts = _count_answer(ans)
    _as_count(field(ans, "sweep", "relu_count"), 'relu_count["sweep"]')
    _as_count(field(ans, "collinear", "relu_count"), 'relu_count["collinear"]')
    odd = [n for n, k in counts.items() if k % 2]
    if odd:
        return False, (f'relu_count["enumerated"] has odd counts (n = {odd[:5]}): patterns come '
                       "in pairs, the pattern of u and its complement, the pattern of -u.")
    return True, "relu_count reports every count, and the enumerated counts are even."


@relu_count.test(points=1)
def enumerated_counts_are_right(ans, ex):
    counts = _count_answer(ans)
    wrong = [n for n in _COUNT_NS
             if counts[n] != enumerate_patterns(ex.points[n]).shape[1]]
    if wrong:
        return False, (f'relu_count["enumerated"] is wrong for n = {wrong[:5]}: count the '
                       "patterns of ex.points[n] itself, without a bias column.")
    return True, 'relu_count["enumerated"] is right for every n.'


@relu_count.test(points=1)
def sweep_meets_every_pattern(ans, ex):
    k = _as_count(field(ans, "sweep", "relu_count"), 'relu_count["sweep"]')
    if k == enumerate_patterns(ex.points[10]).shape[1]:
        return True, 'relu_count["sweep"]: the sweep meets every pattern of the ten points.'
    return False, ('relu_count["sweep"] is not the number of patterns of ex.points[10]: sweep '
                   "the whole circle of directions, finely enough to enter every cell.")


@relu_count.test(points=1)
def collinear_count_is_right(ans, ex):
    k = _as_count(field(ans, "collinear", "relu_count"), 'relu_count["collinear"]')
    if k == enumerate_patterns(ex.X_collinear).shape[1]:
        return True, 'relu_count["collinear"] is right: two points share a line.'
    return False, ('relu_count["collinear"] is wrong: these points are not in general position '
                   "(count the distinct lines through the origin that the sweep crosses).")


# ---------------------------------------------------------------- ex-relu-rescale
def _neuron(W: ReLUWeights, j: int):
    """(u, alpha) of neuron j, u = (u_j, b_j) with the bias: the decayed weight."""
    b = W.biases[0]
    assert b is not None  # the exercise's weights come from bias="regularized": a hidden bias
    return np.r_[W[0][:, j], b[j]], float(W[1][j])


@exercise("ex-relu-rescale", chapter="two_layer_relu", answer="rescale",
          what='a dict with "s_best" (the s > 0 that minimizes the weight decay of neuron ex.j '
               'of ex.weights under (u_j, b_j, α_j) → (s u_j, s b_j, α_j / s)), '
               '"decay_best" (that smallest weight decay) and "output_change" (the largest '
               "change of the network's outputs on ex.X under that rescaling)",
          kind="derivation + code", minutes=25)
def relu_rescale(seed):
    r"""The chapter's problem (seed 0: ``sine_features(n=20, d=2, seed=0)``, regularized bias,
    :math:`\beta=10^{-2}`), its solution ``sol`` and ``weights``: the recovered network with its
    largest neuron ``j`` (largest share :math:`|\alpha_j|\norm{(u_j,b_j)}` among the neurons with
    a bias of at least a tenth of :math:`\norm{(u_j,b_j)}`) unbalanced by a factor
    :math:`s_0\in[1.5,2.5]` or its inverse. The outputs are those of ``sol.weights``."""
    from ..weights import ReLUWeights
    X, y = data.sine_features(n=20, d=2, seed=seed)
    prob = TwoLayerReLU(X, y, beta=1e-2, bias="regularized")
    sol = prob.solve()
    W = sol.weights
    # TwoLayerReLU.solve returns ReLUWeights, with a hidden bias for bias="regularized"
    assert isinstance(W, ReLUWeights) and W.biases[0] is not None
    b = W.biases[0]
    share = np.abs(W[1]) * np.hypot(np.linalg.norm(W[0], axis=0), b)
    biased = np.abs(b) >= 0.1 * np.hypot(np.linalg.norm(W[0], axis=0), b)
    j = int(np.argmax(np.where(biased, share, -1.0)) if biased.any() else np.argmax(share))
    rng = np.random.default_rng(seed)
    s0 = float(rng.uniform(1.5, 2.5)) ** (1 if rng.random() < 0.5 else -1)
    V = ReLUWeights([W[0].copy(), W[1].copy()], [b.copy(), W.biases[1]])
    vb = V.biases[0]
    assert vb is not None  # built from b just above
    V[0][:, j] *= s0
    vb[j] *= s0
    V[1][j] /= s0
    return Instance(X=X, y=y, beta=prob.beta, prob=prob, sol=sol, weights=V, j=j)


def _decay(ex, s: float) -> float:
    u, alpha = _neuron(ex.weights, ex.j)
    return 0.5 * ex.beta * (s**2 * float(u @ u) + alpha**2 / s**2)


@relu_rescale.test(points=1, public=True)
def outputs_do_not_change(ans, ex):
    change = as_float(field(ans, "output_change", "rescale"), 'rescale["output_change"]')
    scale = float(np.abs(ex.weights.forward(ex.X)).max())
    if abs(change) <= 1e-9 * scale:        # rounding of a few products
        return True, 'rescale["output_change"]: the outputs do not change.'
    return False, ('rescale["output_change"] is not zero to rounding: rescale the incoming '
                   "weights and the bias of the neuron by s, and its outgoing weight by 1/s.")


@relu_rescale.test(points=1, public=True)
def decay_best_is_the_decay_at_s_best(ans, ex):
    s = as_float(field(ans, "s_best", "rescale"), 'rescale["s_best"]')
    d = as_float(field(ans, "decay_best", "rescale"), 'rescale["decay_best"]')
    if s <= 0:
        return False, 'rescale["s_best"] must be positive.'
    if abs(d - _decay(ex, s)) <= 1e-9 * abs(d):
        return True, ('rescale["decay_best"] is the weight decay (β/2)(s²‖(u,b)‖² + α²/s²) at '
                      'your s_best.')
    return False, ('rescale["decay_best"] is not (β/2)(s²‖(u,b)‖² + α²/s²) at your s_best; with '
                   "the regularized bias, the decayed weight u of the neuron includes its bias.")


@relu_rescale.test(points=1)
def s_best_minimizes_the_decay(ans, ex):
    s = as_float(field(ans, "s_best", "rescale"), 'rescale["s_best"]')
    u, alpha = _neuron(ex.weights, ex.j)
    return within(abs(s / np.sqrt(abs(alpha) / np.linalg.norm(u)) - 1), 1e-8,
                  'rescale["s_best"]')


@relu_rescale.test(points=1)
def decay_best_is_the_block_cost(ans, ex):
    d = as_float(field(ans, "decay_best", "rescale"), 'rescale["decay_best"]')
    u, alpha = _neuron(ex.sol.weights, ex.j)
    return within(abs(d / (ex.beta * np.linalg.norm(u) * abs(alpha)) - 1), 1e-8,
                  'rescale["decay_best"], compared with the block cost β‖u‖|α| of the '
                  "convex program,")


# ---------------------------------------------------------------- ex-relu-sampling
@exercise("ex-relu-sampling", chapter="two_layer_relu", answer="samples_needed",
          what="a dict {n: the smallest number of sampled directions in 4, 8, 16, ... whose "
               "restricted value is within 1e-6 (relative) of the certified optimum} for "
               "n = 10, 20, 30",
          kind="open experiment", minutes=30, compute="about 10 s on a laptop CPU", manual=2,
          rubric="1 point: compares the directions needed with the number of patterns "
                 "(pattern_count(n, 3)) and says why sampling needs more (a pattern is found "
                 "with probability proportional to its cell's solid angle, and optimal cells "
                 "can be thin); 1 point: for data of higher rank the count grows like n^(r-1), "
                 "there is no exact check, so sampled programs are reported as upper bounds.")
def relu_sampling(seed):
    r"""Data ``data[n] = (X, y)`` for n = 10, 20, 30 (seed 0: the chapter's
    ``sine_features(n, 2, seed=0)``), :math:`\beta=10^{-2}`, the regularized bias, and
    ``optimum[n]``, the certified optimum of the exact program (all patterns enumerated); sample
    directions with ``patterns=k, seed=ex.sample_seed``."""
    sets = {n: data.sine_features(n=n, d=2, seed=seed) for n in _SAMPLING_NS}
    optimum = {}
    for n, (X, y) in sets.items():
        sol = TwoLayerReLU(X, y, _SAMPLING_BETA).solve()
        if not sol.certified:       # the exercise compares with this value: it must be exact
            raise RuntimeError(f"ex-relu-sampling, seed {seed}: the exact program for n = {n} "
                               "is not certified; report this seed to the course's instructor.")
        optimum[n] = sol.value
    return Instance(data=sets, ns=_SAMPLING_NS, beta=_SAMPLING_BETA, sample_seed=0,
                    optimum=optimum)


def _sampled_value(ex, n: int, k: int) -> float:
    cache = ex.setdefault("_values", {})
    if (n, k) not in cache:
        X, y = ex.data[n]
        cache[n, k] = TwoLayerReLU(X, y, ex.beta, patterns=k, seed=ex.sample_seed).solve().value
    return cache[n, k]


def _samples_answer(ans):
    if not isinstance(ans, dict):
        raise ValueError("`samples_needed` must be a dict {n: number of directions}; it is a "
                         f"{type(ans).__name__}.")
    missing = [n for n in _SAMPLING_NS if n not in ans]
    if missing:
        raise ValueError(f"`samples_needed` has no entry for n = {missing}.")
    return {n: _as_count(ans[n], f"samples_needed[{n}]") for n in _SAMPLING_NS}


_DOUBLING = tuple(_SAMPLING_START * 2**i for i in range(15))   # 4, 8, ..., 65536


def _samples_in_sequence(ans):
    """The answer, every count in the doubling sequence (else ValueError: no point is earned
    by a number of patterns, or by any other count, that the exercise did not ask for)."""
    k = _samples_answer(ans)
    off = [n for n in _SAMPLING_NS if k[n] not in _DOUBLING]
    if off:
        raise ValueError(f"samples_needed[n] for n = {off} is not in the doubling sequence 4, "
                         "8, 16, ..., 65536: report the number of sampled directions "
                         "(patterns=k), not the number of patterns they found.")
    return k


@relu_sampling.test(points=1, public=True)
def counts_are_in_the_doubling_sequence(ans, ex):
    _samples_in_sequence(ans)
    return True, "`samples_needed` reports a number of directions 4, 8, 16, ... for each n."


@relu_sampling.test(points=1)
def each_count_reaches_the_optimum(ans, ex):
    k = _samples_in_sequence(ans)
    short = [n for n in _SAMPLING_NS
             if _sampled_value(ex, n, k[n]) > ex.optimum[n] * (1 + 1e-6)]
    if short:
        return False, (f"for n = {short} the restricted value at your number of directions is "
                       "not within 1e-6 of the certified optimum (sample with "
                       "seed=ex.sample_seed).")
    return True, "each number of directions reaches the certified optimum to 1e-6."


@relu_sampling.test(points=1)
def each_count_is_the_smallest(ans, ex):
    k = _samples_in_sequence(ans)
    short = [n for n in _SAMPLING_NS
             if _sampled_value(ex, n, k[n]) > ex.optimum[n] * (1 + 1e-6)]
    if short:   # "the smallest" of counts that reach nothing is no answer (a guess earns 0)
        return False, (f"for n = {short} your number of directions does not reach the optimum "
                       "yet, so it cannot be the smallest that does.")
    late = [n for n in _SAMPLING_NS if k[n] > _SAMPLING_START
            and _sampled_value(ex, n, k[n] // 2) <= ex.optimum[n] * (1 + 1e-6)]
    if late:
        return False, (f"for n = {late} half your number of directions already reaches the "
                       "optimum: report the first number of the sequence that does.")
    return True, "each number of directions is the first of the sequence that reaches it."
