r"""Exercises of the preliminaries chapter ({ref}`ch-preliminaries`)."""

from __future__ import annotations

import numpy as np

from .. import data
from ..problems import TwoLayerLinear
from ._core import Instance, exercise
from ._tests import as_array, as_float, field, rel_err, within


# ---------------------------------------------------------------- ex-prelim-rescaling
@exercise("ex-prelim-rescaling", chapter="preliminaries", answer="balanced",
          what='a dict with "W1" and "w2" (the network ex.W1, ex.w2 with every neuron '
               'rescaled to balance, ‖w₁ⱼ‖₂ = |w₂ⱼ|) and "penalty" (½(‖W1‖²_F + ‖w2‖²) '
               "of the balanced network)",
          kind="numerical check", minutes=15)
def rescaling(seed):
    X, _ = data.gaussian(n=50, d=10, seed=seed)     # seed 0: the chapter's inputs
    rng = np.random.default_rng(seed)
    m = 5
    # neurons of very different scales (factors e^{±1.5}), so no common α balances them all
    W1 = rng.standard_normal((X.shape[1], m)) * np.exp(rng.uniform(-1.5, 1.5, m))
    w2 = rng.standard_normal(m) * np.exp(rng.uniform(-1.5, 1.5, m))
    return Instance(X=X, W1=W1, w2=w2)


def _balanced(ans, ex) -> tuple[np.ndarray, np.ndarray]:
    W1 = as_array(field(ans, "W1", "balanced"), 'balanced["W1"]', ex.W1.shape)
    w2 = as_array(field(ans, "w2", "balanced"), 'balanced["w2"]', ex.w2.shape)
    return W1, w2


@rescaling.test(points=1, public=True)
def every_neuron_is_a_positive_rescaling(ans, ex):
    W1, w2 = _balanced(ans, ex)
    alpha = np.linalg.norm(W1, axis=0) / np.linalg.norm(ex.W1, axis=0)
    same_dir = rel_err(W1, ex.W1 * alpha) <= 1e-9
    # each neuron's contribution w₁ⱼw₂ⱼ must not move (rounding: a few eps of it)
    same_out = rel_err(W1 * w2, ex.W1 * ex.w2) <= 1e-9
    if same_dir and same_out and np.all(alpha > 0):
        return True, ("every neuron of your network is the original one rescaled by some "
                      "α > 0: the network computes the same function.")
    return False, ("some neuron is not the original rescaled by α > 0 (w₁ⱼ → αw₁ⱼ, "
                   "w₂ⱼ → w₂ⱼ/α): each neuron's product w₁ⱼw₂ⱼ must not change.")


@rescaling.test(points=1, public=True)
def penalty_is_the_weight_decay_of_the_answer(ans, ex):
    W1, w2 = _balanced(ans, ex)
    p = as_float(field(ans, "penalty", "balanced"), 'balanced["penalty"]')
    own = 0.5 * (float(np.sum(W1**2)) + float(w2 @ w2))
    if abs(p - own) <= 1e-9 * own:
        return True, 'balanced["penalty"] is ½(‖W1‖²_F + ‖w2‖²) of your weights.'
    return False, 'balanced["penalty"] is not ½(‖W1‖²_F + ‖w2‖²) of your balanced["W1"], ["w2"].'


@rescaling.test(points=1)
def every_neuron_is_balanced(ans, ex):
    W1, w2 = _balanced(ans, ex)
    err = rel_err(np.linalg.norm(W1, axis=0), np.abs(w2))
    if err <= 1e-9:
        return True, "every neuron is balanced: ‖w₁ⱼ‖₂ = |w₂ⱼ|."
    return False, ("not every neuron is balanced (‖w₁ⱼ‖₂ ≠ |w₂ⱼ|): each neuron needs its "
                   "own α (one α for the whole network balances only the layer norms).")


@rescaling.test(points=1)
def penalty_is_the_group_penalty(ans, ex):
    p = as_float(field(ans, "penalty", "balanced"), 'balanced["penalty"]')
    group = float(np.sum(np.linalg.norm(ex.W1, axis=0) * np.abs(ex.w2)))
    return within(abs(p / group - 1), 1e-9, 'balanced["penalty"], the least penalty,')


# ---------------------------------------------------------------- ex-prelim-zero
@exercise("ex-prelim-zero", chapter="preliminaries", answer="zero",
          what='a dict with "t" (the best t ≥ 0 for the dual point λ = t·y), "bound" (its '
               'dual value, a lower bound on P*) and "beta_zero" (the smallest β at which '
               "this bound proves the zero network optimal)",
          kind="derivation + code", minutes=30)
def zero(seed):
    X, y = data.gaussian(n=50, d=10, seed=seed)     # seed 0: the chapter's data and β
    # β = 0.5 is far below ‖Xᵀy‖₂ (19 to 106 on seeds 0-199), so the constraint binds
    return Instance(X=X, y=y, beta=0.5, prob=TwoLayerLinear(X, y, beta=0.5))


def _t(ans) -> float:
    return as_float(field(ans, "t", "zero"), 'zero["t"]')


@zero.test(points=1, public=True)
def t_gives_a_dual_feasible_point(ans, ex):
    t = _t(ans)
    if t < 0:
        return False, 'zero["t"] must be ≥ 0.'
    if np.isfinite(ex.prob.dual_objective(t * ex.y)):
        return True, 'λ = zero["t"]·y is dual feasible: ‖Xᵀλ‖₂ ≤ β.'
    return False, ('λ = zero["t"]·y is not dual feasible: ‖Xᵀλ‖₂ > β. The dual constraint '
                   "limits how large t can be.")


@zero.test(points=1, public=True)
def bound_is_the_dual_value_of_t_y(ans, ex):
    b = as_float(field(ans, "bound", "zero"), 'zero["bound"]')
    own = ex.prob.dual_objective(_t(ans) * ex.y)
    if not np.isfinite(own):
        return False, 'λ = zero["t"]·y is not dual feasible, so it bounds nothing.'
    # dual values are O(‖y‖²) sums: rounding stays far below 1e-9 of ‖y‖²
    if abs(b - own) <= 1e-9 * float(ex.y @ ex.y):
        return True, 'zero["bound"] is the dual value ½‖y‖² − ½‖λ − y‖² at λ = t·y.'
    return False, 'zero["bound"] is not prob.dual_objective(t * y) for your zero["t"].'


@zero.test(points=1)
def t_is_the_best_scaling(ans, ex):
    best = min(1.0, ex.beta / float(np.linalg.norm(ex.X.T @ ex.y)))
    return within(abs(_t(ans) / best - 1), 1e-9, 'zero["t"], the best feasible scaling,')


@zero.test(points=1)
def beta_zero_is_the_dual_norm_of_y(ans, ex):
    bz = as_float(field(ans, "beta_zero", "zero"), 'zero["beta_zero"]')
    return within(abs(bz / float(np.linalg.norm(ex.X.T @ ex.y)) - 1), 1e-9,
                  'zero["beta_zero"]')
