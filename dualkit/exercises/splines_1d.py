r"""Exercises of the 1-D spline chapter ({ref}`ch-splines-1d`)."""

from __future__ import annotations

import numpy as np

from .. import data
from ..problems import ReLU1D
from ..train import train
from ._core import Instance, exercise
from ._tests import as_array, as_float, field, rel_err, within

#: the chapter's weight decay on its zig-zag data
_BETA = 1e-2


def _zigzag(seed: int) -> tuple[np.ndarray, np.ndarray, ReLU1D]:
    x, y = data.zigzag(8, seed=seed)            # seed 0: the chapter's data
    return x, y, ReLU1D(x, y, beta=_BETA)


# ---------------------------------------------------------------- ex-splines-certificate
@exercise("ex-splines-certificate", chapter="splines_1d", answer="cert",
          what='a dict with "lam" (the network\'s residual y − f(x) made dual feasible), '
               '"certified_gap" (prob.objective(net) minus the dual objective of that point) '
               'and "exact_gap" (prob.gap(net), the gap to the exact dual optimum)',
          kind="numerical check", minutes=15, compute="about 1 s on a laptop CPU")
def certificate(seed):
    x, y, prob = _zigzag(seed)
    # a width-200 network trained by Adam, as in the chapter's experiment but a shorter run
    # (1000 steps instead of 3000); on the CPU, whose float64 runs agree to ~1e-13 across
    # processors, so that the grader's network is the student's
    net = prob.network(width=200, seed=seed + 2)      # seed 0: the experiment's start (seed 2)
    train(net, prob, steps=1000, lr=1e-2, progress=False, device="cpu")
    return Instance(x=x, y=y, beta=_BETA, prob=prob, net=net)


def _cert_lam(ans, ex) -> np.ndarray:
    return as_array(field(ans, "lam", "cert"), 'cert["lam"]', ex.y.shape)


@certificate.test(points=1, public=True)
def lam_is_dual_feasible(ans, ex):
    lam = _cert_lam(ans, ex)
    if np.isfinite(ex.prob.dual_objective(lam)):
        return True, 'cert["lam"] is dual feasible (1ᵀλ = 0, |Aᵀλ|, |Bᵀλ| ≤ β).'
    return False, ('cert["lam"] is not dual feasible: the raw residual is not, in general; '
                   "make it feasible with prob.feasible_dual.")


@certificate.test(points=1, public=True)
def certified_gap_is_computed_from_lam(ans, ex):
    lam = _cert_lam(ans, ex)
    g = as_float(field(ans, "certified_gap", "cert"), 'cert["certified_gap"]')
    own = ex.prob.objective(ex.net) - ex.prob.dual_objective(lam)
    if not np.isfinite(own):
        return False, 'cert["lam"] is not dual feasible, so it certifies no gap.'
    # the two objectives are O(1) sums of a few terms: rounding is far below 1e-9 of them
    if abs(g - own) <= 1e-9 * abs(ex.prob.objective(ex.net)):
        return True, 'cert["certified_gap"] is prob.objective(net) − prob.dual_objective(lam).'
    return False, ('cert["certified_gap"] is not prob.objective(ex.net) − '
                   'prob.dual_objective(cert["lam"]) (an absolute gap, not a relative one).')


@certificate.test(points=1, public=True)
def the_certified_gap_is_not_below_the_exact_one(ans, ex):
    c = as_float(field(ans, "certified_gap", "cert"), 'cert["certified_gap"]')
    e = as_float(field(ans, "exact_gap", "cert"), 'cert["exact_gap"]')
    # the exact dual optimum is certified to a relative 1e-6 (the ramp solver's tolerance)
    if c >= e - 2e-6 * abs(ex.prob.lower_bound()):
        return True, ('cert["certified_gap"] ≥ cert["exact_gap"], as it must be: no dual '
                      "point bounds better than the dual optimum.")
    return False, ('cert["certified_gap"] < cert["exact_gap"]: no dual point can give a '
                   "larger lower bound than the dual optimum; recheck both gaps.")


@certificate.test(points=1)
def lam_comes_from_the_network_residual(ans, ex):
    lam = _cert_lam(ans, ex)
    resid = ex.y - ex.net.weights().forward(ex.prob.X).ravel()
    # the residual and its scaling are the same float64 computation up to ~1e-13
    return within(rel_err(lam, ex.prob.feasible_dual(resid)), 1e-6,
                  'cert["lam"], the residual of ex.net made feasible,')


@certificate.test(points=1)
def exact_gap_is_the_gap_to_the_dual_optimum(ans, ex):
    e = as_float(field(ans, "exact_gap", "cert"), 'cert["exact_gap"]')
    bound = ex.prob.lower_bound()
    # the solver's optimum is certified to a relative 1e-6: objective − P* and objective − D*
    # may differ by that much of the optimum, nothing more
    if abs(e - ex.prob.gap(ex.net)) <= 2e-6 * abs(bound):
        return True, 'cert["exact_gap"] is the gap of ex.net to the exact dual optimum.'
    return False, ('cert["exact_gap"] is not prob.gap(ex.net), the absolute gap between '
                   "the network's objective and the optimum of the dual.")


# ---------------------------------------------------------------- ex-splines-collinear
@exercise("ex-splines-collinear", chapter="splines_1d", answer="collinear",
          what='a dict with "no_skip" and "skip" (the β = 0 optimal values for y = μx, one '
               'per slope μ of ex.mus, without and with the skip term) and "lam" (a dual point '
               "of the interpolation problem for y = x whose dual value is 1)",
          kind="derivation + code", minutes=30)
def collinear(seed):
    if seed == 0:                                   # the data of the book's solution
        x, mus = np.array([0.5, 1.0, 2.0, 3.5]), np.array([-2.0, 0.5, 3.0])
    else:
        rng = np.random.default_rng(seed)
        n = int(rng.integers(4, 8))
        x = -1.0 + np.cumsum(rng.uniform(0.2, 1.5, n))   # sorted, spacings >= 0.2
        mus = rng.uniform(0.3, 3.0, 3) * rng.permutation([-1.0, 1.0, 1.0])
    return Instance(x=x, mus=mus)


def _costs(ans, ex, key: str) -> np.ndarray:
    return as_array(field(ans, key, "collinear"), f'collinear["{key}"]', ex.mus.shape)


@collinear.test(points=1, public=True)
def costs_have_the_right_form(ans, ex):
    a, b = _costs(ans, ex, "no_skip"), _costs(ans, ex, "skip")
    # a cost is ½(Σ w₁² + w₂²) ≥ 0; the solvers return it to ~1e-15
    if min(a.min(), b.min()) < -1e-12:
        return False, ("a cost below 0: the β = 0 value is ½ Σ (w₁ⱼ² + w₂ⱼ²) ≥ 0; "
                       "report the solver's value (sol.value), not a slope.")
    if np.any(b > a * (1 + 1e-9) + 1e-12):
        return False, ('collinear["skip"] exceeds collinear["no_skip"] for some μ: a free skip '
                       "term can only lower the cost. Are the two swapped?")
    return True, "one cost per slope, ≥ 0, and the skip term never costs more."


@collinear.test(points=1)
def no_skip_costs_are_abs_mu(ans, ex):
    # the closed-form interpolant is exact: the solver's value is |μ| to ~1e-15
    return within(rel_err(_costs(ans, ex, "no_skip"), np.abs(ex.mus)), 1e-9,
                  'collinear["no_skip"]')


@collinear.test(points=1)
def skip_costs_vanish(ans, ex):
    b = _costs(ans, ex, "skip")
    if np.abs(b).max() <= 1e-9 * np.abs(ex.mus).max():
        return True, 'collinear["skip"]: with a skip term the line costs nothing.'
    return False, 'collinear["skip"] is not the β = 0 optimum of dk.ReLU1D(..., skip=True).'


def _lam_problem(ex) -> ReLU1D:
    return ReLU1D(ex.x, ex.x, beta=0.0)


@collinear.test(points=1, public=True, name="lam is dual feasible")
def line_lam_is_dual_feasible(ans, ex):
    lam = as_array(field(ans, "lam", "collinear"), 'collinear["lam"]', ex.x.shape)
    if np.isfinite(_lam_problem(ex).dual_objective(lam)):
        return True, 'collinear["lam"] is dual feasible (1ᵀλ = 0, |Aᵀλ|, |Bᵀλ| ≤ 1).'
    return False, ('collinear["lam"] is not dual feasible for β = 0: it needs 1ᵀλ = 0 and '
                   "|Aᵀλ|, |Bᵀλ| ≤ 1 (check with dk.check.dual_point).")


@collinear.test(points=1)
def lam_certifies_cost_one(ans, ex):
    lam = as_array(field(ans, "lam", "collinear"), 'collinear["lam"]', ex.x.shape)
    v = _lam_problem(ex).dual_objective(lam)
    if not np.isfinite(v):
        return False, 'collinear["lam"] is not dual feasible, so it certifies nothing.'
    return within(abs(v - 1.0), 1e-9, 'the dual value λᵀx of collinear["lam"], against 1,')


# ---------------------------------------------------------------- ex-splines-width
@exercise("ex-splines-width", chapter="splines_1d", answer="width_gaps",
          what="a dict {width: best relative gap over the training seeds} for every width "
               "of ex.widths",
          kind="open experiment", minutes=30, compute="about 5 s on a laptop CPU", manual=3,
          rubric="1 point: the table shows the gap shrinking with the width although the "
                 "optimum has only a few knots; 1 point: gradient descent moves kinks "
                 "continuously, so a kink must travel to an optimal knot and can die on the "
                 "way (its ramp leaves the data); 1 point: extra width puts more kinks near "
                 "every knot the optimum needs from the start.")
def width(seed):
    x, y, prob = _zigzag(seed)
    return Instance(x=x, y=y, beta=_BETA, prob=prob, widths=(10, 50, 200), seeds=(0, 1),
                    steps=800, lr=3e-2)


def _width_gaps(ans, ex) -> dict:
    if not isinstance(ans, dict):
        raise ValueError(f"`width_gaps` must be a dict {{width: gap}}; it is a "
                         f"{type(ans).__name__}.")
    missing = [w for w in ex.widths if w not in ans]
    if missing:
        raise ValueError(f"`width_gaps` has no entry for the widths {missing}.")
    return {w: as_float(ans[w], f"width_gaps[{w}]") for w in ex.widths}


@width.test(points=1, public=True)
def every_width_is_reported(ans, ex):
    gaps = _width_gaps(ans, ex)
    if min(gaps.values()) < -1e-9:
        return False, ("a relative gap below 0 would beat the global optimum (weak duality): "
                       "compute it with prob.relative_gap(net).")
    return True, f"`width_gaps` reports a gap ≥ 0 for each of the widths {list(ex.widths)}."


@width.test(points=1)
def the_widest_network_comes_close(ans, ex):
    gaps = _width_gaps(ans, ex)
    # measured on data seeds 0-19: the widest network's best gap after ex.steps Adam steps
    # lies in [0.05, 0.14]; 0.5 leaves room for other processors
    if gaps[max(ex.widths)] <= 0.5:
        return True, "the widest network comes within 50% of the optimum."
    return False, (f"the widest network (width {max(ex.widths)}) ends more than 50% above the "
                   f"optimum: train {ex.steps} Adam steps with lr={ex.lr} from "
                   "prob.network(width, seed=s) and keep the best seed.")


@width.test(points=1)
def width_helps(ans, ex):
    gaps = _width_gaps(ans, ex)
    # measured on data seeds 0-19: the narrowest network's best gap is 3.4 to 50 times the
    # widest one's
    if gaps[max(ex.widths)] < gaps[min(ex.widths)]:
        return True, "the widest network ends closer to the optimum than the narrowest."
    return False, (f"width {min(ex.widths)} ends at least as close to the optimum as width "
                   f"{max(ex.widths)}: are the entries of `width_gaps` under the right widths?")
