"""Exercises of the two-layer linear chapter ({ref}`ch-two-layer-linear`)."""

from __future__ import annotations

import numpy as np

from .. import data
from ..problems import TwoLayerLinear
from ._core import Instance, exercise
from ._tests import as_array, as_float, field, rel_err, within


def _kkt_instance(seed: int) -> Instance:
    X, y = data.gaussian(n=40, d=10, seed=seed)
    beta = 0.1 * float(np.linalg.norm(X.T @ y))
    prob = TwoLayerLinear(X, y, beta=beta)
    return Instance(X=X, y=y, beta=beta, prob=prob, sol=prob.solve())


# ---------------------------------------------------------------- ex-two-layer-kkt
@exercise("ex-two-layer-kkt", chapter="two_layer_linear", answer="kkt",
          what='a dict with "lam" (λ* = y − Xw*), "tightness" (‖Xᵀλ*‖₂/β − 1) and '
               '"cosine" (the cosine between Xᵀλ* and w*)',
          kind="numerical check", minutes=15)
def kkt(seed):
    return _kkt_instance(seed)


@kkt.test(points=1, public=True)
def lam_is_dual_feasible(ans, ex):
    lam = as_array(field(ans, "lam", "kkt"), 'kkt["lam"]', ex.y.shape)
    excess = np.linalg.norm(ex.X.T @ lam) / ex.beta - 1
    if excess <= 1e-6:
        return True, 'kkt["lam"] is dual feasible: ‖Xᵀλ‖₂ ≤ β.'
    ratio = f"{1 + excess:.4g}" if excess > 1e-3 else f"1 + {excess:.1e}"
    return False, (f'kkt["lam"] is not dual feasible: ‖Xᵀλ‖₂/β = {ratio} > 1. '
                   "λ* is the residual of the optimal network.")


@kkt.test(points=1)
def lam_is_the_dual_optimum(ans, ex):
    lam = as_array(field(ans, "lam", "kkt"), 'kkt["lam"]', ex.y.shape)
    return within(rel_err(lam, ex.sol.dual), 1e-6, 'kkt["lam"] (λ*)')


@kkt.test(points=1, public=True)
def tightness_is_computed_from_lam(ans, ex):
    lam = as_array(field(ans, "lam", "kkt"), 'kkt["lam"]', ex.y.shape)
    t = as_float(field(ans, "tightness", "kkt"), 'kkt["tightness"]')
    own = np.linalg.norm(ex.X.T @ lam) / ex.beta - 1
    if abs(t - own) > 1e-9:
        return False, 'kkt["tightness"] is not ‖Xᵀλ‖₂/β − 1 of your kkt["lam"].'
    if abs(t) > 1e-6:
        return False, (f'kkt["tightness"] = {t:.1e}: at λ* the constraint is tight (|value| ≤ '
                       "1e-6); is your λ the optimal one?")
    return True, 'kkt["tightness"]: the dual constraint is active at your λ.'


@kkt.test(points=1)
def cosine_is_plus_one(ans, ex):
    c = as_float(field(ans, "cosine", "kkt"), 'kkt["cosine"]')
    if abs(c - 1) <= 1e-6:
        return True, 'kkt["cosine"]: Xᵀλ* points along w*.'
    return False, 'kkt["cosine"] is not the cosine between Xᵀλ* and w* (to 1e-6).'


# ---------------------------------------------------------------- ex-two-layer-minnorm
@exercise("ex-two-layer-minnorm", chapter="two_layer_linear", answer="minnorm",
          what='a dict with "value" (the optimal value at β = 0) and "lam" (a dual point: '
               '‖Xᵀλ‖₂ ≤ 1 with λᵀy equal to the value)',
          kind="derivation + code", minutes=30)
def minnorm(seed):
    X, y = data.gaussian(n=10, d=20, seed=seed + 1)   # seed 0: the book's data (seed 1)
    return Instance(X=X, y=y)


@minnorm.test(points=1, public=True)
def value_is_the_solver_optimum(ans, ex):
    v = as_float(field(ans, "value", "minnorm"), 'minnorm["value"]')
    return within(abs(v - TwoLayerLinear(ex.X, ex.y, beta=0).solve().value) / abs(v or 1),
                  1e-6, 'minnorm["value"], the optimum of dk.TwoLayerLinear at β = 0,')


@minnorm.test(points=1)
def value_is_the_pseudo_inverse_norm(ans, ex):
    v = as_float(field(ans, "value", "minnorm"), 'minnorm["value"]')
    return within(abs(v / float(np.linalg.norm(np.linalg.pinv(ex.X) @ ex.y)) - 1), 1e-8,
                  'minnorm["value"]')


@minnorm.test(points=1, public=True)
def lam_is_feasible(ans, ex):
    lam = as_array(field(ans, "lam", "minnorm"), 'minnorm["lam"]', ex.y.shape)
    norm = float(np.linalg.norm(ex.X.T @ lam))
    if norm <= 1 + 1e-8:
        return True, f'minnorm["lam"] is feasible: ‖Xᵀλ‖₂ = {norm:.6f} ≤ 1.'
    return False, f'minnorm["lam"] is not feasible: ‖Xᵀλ‖₂ = {norm:.6f} > 1.'


@minnorm.test(points=1)
def lam_certifies_the_value(ans, ex):
    lam = as_array(field(ans, "lam", "minnorm"), 'minnorm["lam"]', ex.y.shape)
    best = float(np.linalg.norm(np.linalg.pinv(ex.X) @ ex.y))
    if np.linalg.norm(ex.X.T @ lam) > 1 + 1e-8:
        return False, 'minnorm["lam"] is not feasible, so it certifies nothing.'
    return within(abs(float(lam @ ex.y) / best - 1), 1e-8,
                  'the dual value λᵀy of minnorm["lam"], compared with the optimum,')


# ---------------------------------------------------------------- ex-two-layer-width
@exercise("ex-two-layer-width", chapter="two_layer_linear", answer="width_gaps",
          what="a dict {width: relative gap after training} for the widths 1, 2, 10 and 100",
          kind="open experiment", minutes=30, compute="about 10 s on a laptop CPU", manual=3,
          rubric="1 point: the optimum does not depend on the width (the theorem), and the "
                 "table shows it; 1 point: the saddle of a single neuron at W1 = 0, w2 = 0 "
                 "explains slow or failed width-1 runs; 1 point: why wider networks escape it "
                 "(many random neurons, one of them well aligned).")
def width(seed):
    return _kkt_instance(seed)


@width.test(points=1, public=True)
def every_width_is_reported(ans, ex):
    if not isinstance(ans, dict):
        return False, f"`width_gaps` must be a dict {{width: gap}}; it is a {type(ans).__name__}."
    missing = sorted({1, 2, 10, 100} - set(ans))
    if missing:
        return False, f"`width_gaps` has no entry for the widths {missing}."
    gaps = {w: as_float(ans[w], f"width_gaps[{w}]") for w in (1, 2, 10, 100)}
    if min(gaps.values()) < -1e-9:
        return False, ("a relative gap below 0 would beat the global optimum (weak duality): "
                       "compute it with prob.relative_gap(net) or History.final_rel_gap.")
    return True, "`width_gaps` reports a gap ≥ 0 for each of the widths 1, 2, 10, 100."


@width.test(points=1)
def the_optimum_is_reached(ans, ex):
    if not isinstance(ans, dict) or not ans:
        return False, "`width_gaps` must be a non-empty dict {width: gap}."
    best = min(as_float(g, f"width_gaps[{w}]") for w, g in ans.items())
    if best <= 1e-4:
        return True, "at least one width reaches the global optimum (relative gap ≤ 1e-4)."
    return False, ("no width reaches the optimum to 1e-4: train longer (L-BFGS, 30+ steps) "
                   "before comparing widths.")
