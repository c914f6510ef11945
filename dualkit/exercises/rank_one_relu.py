r"""Exercises of the rank-one deep ReLU chapter ({ref}`ch-rank-one-relu`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .. import data
from ..problems import RankOneReLU, RankOneReLUMixed
from ._core import Instance, exercise
from ._tests import as_float, field, within

if TYPE_CHECKING:
    from ..weights import ReLUWeights

#: the depths and the layer bound of ex-rank-one-threshold
_DEPTHS = (3, 4, 5, 6)
_T_THRESHOLD = 1.3
#: the scale factors the grader of ex-rank-one-scaling tries (not shown to the student)
_SCALES = (0.37, 2.9)
#: the target ratios of ex-rank-one-mixed
_RHOS = (-1.0, -0.5, 0.0, 0.5, 1.0)


def _experiment_data(seed: int):
    """The chapter's five-layer experiment data (seed 0: ``rank_one(n=50, d=10, seed=1)``)."""
    return data.rank_one(n=50, d=10, seed=seed + 1)


# ---------------------------------------------------------------- ex-rank-one-threshold
@exercise("ex-rank-one-threshold", chapter="rank_one_relu", answer="threshold",
          what='a dict {L: {"beta_max": the zero threshold, "below": κ* at 0.999 beta_max, '
               '"above": κ* at 1.001 beta_max}} for the depths L = 3, 4, 5, 6 at t = ex.t '
               "(κ* is sol.info[\"kappa\"] of dk.RankOneReLU)",
          kind="numerical check", minutes=15)
def rank_one_threshold(seed):
    r"""The experiment's data ``X``, ``y`` (seed 0: the chapter's), ``depths`` 3 to 6 and
    ``t`` = 1.3, so that the threshold :math:`t^{L-2}\norm{a}|c^\top y|` changes with the depth."""
    X, y = _experiment_data(seed)
    return Instance(X=X, y=y, depths=_DEPTHS, t=_T_THRESHOLD)


def _threshold_answer(ans):
    if not isinstance(ans, dict):
        raise ValueError("`threshold` must be a dict {L: {\"beta_max\": ..., \"below\": ..., "
                         f"\"above\": ...}}}}; it is a {type(ans).__name__}.")
    missing = [L for L in _DEPTHS if L not in ans]
    if missing:
        raise ValueError(f"`threshold` has no entry for the depths {missing}.")
    return {L: {k: as_float(field(ans[L], k, f"threshold[{L}]"), f'threshold[{L}]["{k}"]')
                for k in ("beta_max", "below", "above")} for L in _DEPTHS}


@rank_one_threshold.test(points=1, public=True)
def the_network_is_zero_exactly_above(ans, ex):
    a = _threshold_answer(ans)
    bad = [L for L in _DEPTHS if a[L]["beta_max"] <= 0]
    if bad:
        return False, f'threshold[L]["beta_max"] must be positive (L = {bad}).'
    # "zero": below a millionth of the least-squares slope |cᵀy|/‖c‖² (κ* at 0.999 times the
    # threshold is a thousandth of it; the closed form gives exactly 0 above, cvxpy ~1e-10)
    probe = RankOneReLU(ex.X, ex.y, 1.0, depth=3, t=ex.t)
    tiny = 1e-6 * abs(float(probe.c @ ex.y)) / float(probe.c @ probe.c)
    wrong = [L for L in _DEPTHS if abs(a[L]["above"]) > tiny or abs(a[L]["below"]) <= tiny]
    if wrong:
        return False, (f"for L = {wrong} your κ* is not zero just above your threshold, or zero "
                       "just below it: the threshold is where the optimal network vanishes.")
    return True, "κ* is zero just above your thresholds and non-zero just below them."


@rank_one_threshold.test(points=1)
def thresholds_are_right(ans, ex):
    a = _threshold_answer(ans)
    err = max(abs(a[L]["beta_max"] / RankOneReLU.beta_max_for(ex.X, ex.y, depth=L, t=ex.t) - 1)
              for L in _DEPTHS)
    return within(err, 1e-9, 'threshold[L]["beta_max"], at every depth,')


@rank_one_threshold.test(points=1)
def kappa_below_is_right(ans, ex):
    a = _threshold_answer(ans)
    err = 0.0
    for L in _DEPTHS:
        bmax = RankOneReLU.beta_max_for(ex.X, ex.y, depth=L, t=ex.t)
        kappa = RankOneReLU(ex.X, ex.y, 0.999 * bmax, depth=L, t=ex.t).kappa()
        err = max(err, abs(a[L]["below"] / kappa - 1))
    return within(err, 1e-6, 'threshold[L]["below"] (κ* at 0.999 times the threshold)')


# ---------------------------------------------------------------- ex-rank-one-scaling
def _value(X, y, beta, depth, t) -> float:
    return RankOneReLU(X, y, beta, depth=depth, t=t).solve().value


@exercise("ex-rank-one-scaling", chapter="rank_one_relu", answer="scaling",
          what='a dict of exponents: "data" (p with P*(sX, y, s^p β, t) = P*(X, y, β, t)), '
               '"bound" (q with P*(X, y, s^q β, s t) = P*(X, y, β, t)) and "targets" (a pair '
               "(q', r) with P*(X, s y, s^q' β, t) = s^r P*(X, y, β, t)), for every s > 0 at "
               "depth ex.depth",
          kind="derivation + code", minutes=30)
def rank_one_scaling(seed):
    r"""The experiment's problem ``prob`` (seed 0: the chapter's ``rank_one(n=50, d=10,
    seed=1)``, depth 5, :math:`t=1`, :math:`\beta` at 5% of the zero threshold), with ``X``,
    ``y``, ``beta``, ``depth``, ``t``."""
    X, y = _experiment_data(seed)
    depth, t = 5, 1.0
    beta = 0.05 * RankOneReLU.beta_max_for(X, y, depth=depth, t=t)
    return Instance(X=X, y=y, beta=beta, depth=depth, t=t,
                    prob=RankOneReLU(X, y, beta, depth=depth, t=t))


def _exponent(ans, key):
    return as_float(field(ans, key, "scaling"), f'scaling["{key}"]')


def _targets(ans):
    pair = field(ans, "targets", "scaling")
    if not isinstance(pair, (tuple, list)) or len(pair) != 2:
        raise ValueError('scaling["targets"] must be a pair (q\', r) of exponents.')
    return (as_float(pair[0], 'scaling["targets"][0]'),
            as_float(pair[1], 'scaling["targets"][1]'))


@rank_one_scaling.test(points=1, public=True)
def exponents_are_numbers(ans, ex):
    _exponent(ans, "data")
    _exponent(ans, "bound")
    _targets(ans)
    return True, ('`scaling` has the exponents "data", "bound" and "targets"; check them '
                  "yourself by solving a scaled problem.")


# The closed form is exact to rounding, so a right exponent gives equal values to ~1e-12; a
# wrong one moves β by a factor s^(±1) or more, which changes P* by far more than 1e-9.
@rank_one_scaling.test(points=1)
def data_exponent_is_right(ans, ex):
    p = _exponent(ans, "data")
    base = ex.prob.solve().value
    err = max(abs(_value(s * ex.X, ex.y, s**p * ex.beta, ex.depth, ex.t) / base - 1)
              for s in _SCALES)
    return within(err, 1e-9, 'P* with the data scaled (your scaling["data"]), compared with P*,')


@rank_one_scaling.test(points=1)
def bound_exponent_is_right(ans, ex):
    q = _exponent(ans, "bound")
    base = ex.prob.solve().value
    err = max(abs(_value(ex.X, ex.y, s**q * ex.beta, ex.depth, s * ex.t) / base - 1)
              for s in _SCALES)
    return within(err, 1e-9, 'P* with the bound t scaled (your scaling["bound"]), compared with '
                  "P*,")


@rank_one_scaling.test(points=1)
def target_exponents_are_right(ans, ex):
    q, r = _targets(ans)
    base = ex.prob.solve().value
    err = max(abs(_value(ex.X, s * ex.y, s**q * ex.beta, ex.depth, ex.t) / (s**r * base) - 1)
              for s in _SCALES)
    return within(err, 1e-9, 'P* with the targets scaled (your scaling["targets"]), compared '
                  "with s^r P*,")


# ---------------------------------------------------------------- ex-rank-one-mixed
def _mixed_network(prob: RankOneReLUMixed, alpha: float, gamma: float) -> ReLUWeights:
    r"""A three-layer network that outputs :math:`\alpha c_++\gamma c_-` on the data of ``prob``
    with :math:`\norm{W_1}_F=t` and weight decay :math:`\beta\,C(\alpha,\gamma)/t` (the least
    possible, :ref:`app-rank-one-mixed`), so that its objective is an upper bound on
    :math:`P^\star` that needs no dual.

    The first layer has two neurons, :math:`t\cos\theta\,a` and :math:`-t\sin\theta\,a`; they
    see :math:`t\cos\theta\,c_+` and :math:`t\sin\theta\,c_-`. Equal signs: one balanced
    second-layer neuron adds both, at cost
    :math:`\sqrt{\alpha^2/\cos^2\theta+\gamma^2/\sin^2\theta}/t`, least
    (:math:`(|\alpha|+|\gamma|)/t`) at :math:`\tan^2\theta=|\gamma/\alpha|`. Opposite signs: one
    balanced path each, at cost :math:`(|\alpha|/\cos\theta+|\gamma|/\sin\theta)/t`, least
    (the :math:`\ell_{2/3}` expression) at :math:`\tan^3\theta=|\gamma/\alpha|` (Hölder).
    """
    from ..weights import ReLUWeights
    t, a, A, G = prob.t, prob.a, abs(alpha), abs(gamma)
    if alpha * gamma >= 0:
        theta = np.arctan2(np.sqrt(G), np.sqrt(A))
        W1 = t * np.column_stack([np.cos(theta) * a, -np.sin(theta) * a])
        w = np.sqrt(A + G) * np.array([np.sqrt(A), np.sqrt(G)])    # |α|/cos θ, |γ|/sin θ
        v = (0.0 if A + G == 0 else 1.0 if alpha + gamma > 0 else -1.0) / t
        k = np.sqrt(np.linalg.norm(w) / abs(v)) if A + G > 0 else 1.0  # balance ‖w‖ = |v|
        return ReLUWeights([W1, (w / k)[:, None], np.array([v * k])])
    theta = np.arctan2(G ** (1 / 3), A ** (1 / 3))
    W1 = t * np.column_stack([np.cos(theta) * a, -np.sin(theta) * a])
    gains = np.array([A / (t * np.cos(theta)), G / (t * np.sin(theta))])
    return ReLUWeights([W1, np.diag(np.sqrt(gains)), np.sqrt(gains) * np.sign([alpha, gamma])])


@exercise("ex-rank-one-mixed", chapter="rank_one_relu", answer="mixed_gap",
          what='a dict {rho: {"primal": P*, "dual": D*}} for rho = -1, -0.5, 0, 0.5, 1 (P* by '
               "the ℓ_2/3 formula, solve().value; D* the Lagrangian dual, lower_bound())",
          kind="open experiment", minutes=30, compute="about 10 s on a laptop CPU", manual=3,
          rubric="1 point: a plot or table of the relative gap (P* - D*)/D* against rho; "
                 "1 point: the gap vanishes for rho >= 0 because the fit needs equal signs "
                 "(alpha ~ 1, gamma ~ rho) and there the true cost is the l1 cost the dual "
                 "sees; 1 point: it is positive for rho < 0 and grows with |rho|, because the "
                 "l_2/3 and l1 costs differ most for equal magnitudes |alpha| = |gamma|.")
def rank_one_mixed(seed):
    r"""The mixed-sign example (seed 0: the chapter's ``rank_one(n=20, d=5, seed=0,
    mixed_sign=True)``): ``X``, ``c_plus``, ``c_minus`` (of ``RankOneReLUMixed``, whose
    :math:`a` has norm 1), the noise ``eps`` (0.05 times Gaussian), ``rhos`` and ``t`` = 1. The
    targets are :math:`y_\rho=c_++\rho\,c_-+\varepsilon` and :math:`\beta_\rho=0.05\,|c^\top
    y_\rho|`."""
    X, y = data.rank_one(n=20, d=5, seed=seed, mixed_sign=True)
    probe = RankOneReLUMixed(X, y, beta=1.0)
    eps = 0.05 * np.random.default_rng(seed).standard_normal(probe.n)
    return Instance(X=X, c=probe.c, c_plus=probe.c_plus, c_minus=probe.c_minus, eps=eps,
                    rhos=_RHOS, t=1.0)


def _mixed_problem(ex, rho: float) -> RankOneReLUMixed:
    y = ex.c_plus + rho * ex.c_minus + ex.eps
    return RankOneReLUMixed(ex.X, y, beta=0.05 * abs(float(ex.c @ y)), t=ex.t)


def _mixed_reference(ex):
    r"""P* and D* per rho, computed once per instance. P* is certified from above by the
    objective of an explicit network (:func:`_mixed_network`); for rho >= 0 also from below by
    the dual (strong duality holds when the fit needs equal signs), never otherwise."""
    if "_reference" not in ex:
        ref = {}
        for rho in ex.rhos:
            prob = _mixed_problem(ex, rho)
            sol = prob.solve()
            value, alpha, gamma = sol.value, sol.info["alpha"], sol.info["gamma"]
            attained = prob.objective(_mixed_network(prob, alpha, gamma))
            if abs(attained - value) > 1e-9 * value:
                raise RuntimeError(f"ex-rank-one-mixed, rho = {rho}: the network of the l_2/3 "
                                   "formula does not attain its value; report this seed.")
            ref[rho] = {"primal": value, "dual": prob.lower_bound(),
                        "equal_signs": alpha * gamma >= 0}
        ex["_reference"] = ref
    return ex["_reference"]


def _mixed_answer(ans):
    if not isinstance(ans, dict):
        raise ValueError("`mixed_gap` must be a dict {rho: {\"primal\": ..., \"dual\": ...}}; it "
                         f"is a {type(ans).__name__}.")
    missing = [r for r in _RHOS if r not in ans]
    if missing:
        raise ValueError(f"`mixed_gap` has no entry for rho = {missing}.")
    return {r: {k: as_float(field(ans[r], k, f"mixed_gap[{r}]"), f'mixed_gap[{r}]["{k}"]')
                for k in ("primal", "dual")} for r in _RHOS}


@rank_one_mixed.test(points=1, public=True)
def primal_is_not_below_dual(ans, ex):
    a = _mixed_answer(ans)
    below = [r for r in _RHOS if a[r]["primal"] < a[r]["dual"] * (1 - 1e-6)]
    if below:
        return False, (f"for rho = {below} your P* is below your D*: weak duality forbids it "
                       "(D* ≤ P* for every problem).")
    return True, "P* ≥ D* for every rho, as weak duality says."


# P* is a two-variable minimization (grid + Nelder-Mead, to ~1e-12); D* a conic program solved
# by Clarabel, accurate to ~1e-8 relative: 1e-6 leaves room for either.
@rank_one_mixed.test(points=1)
def primal_values_are_right(ans, ex):
    a, ref = _mixed_answer(ans), _mixed_reference(ex)
    err = max(abs(a[r]["primal"] / ref[r]["primal"] - 1) for r in _RHOS)
    return within(err, 1e-6, "P* (the least objective of a three-layer network), at every rho,")


@rank_one_mixed.test(points=1)
def dual_values_are_right(ans, ex):
    a, ref = _mixed_answer(ans), _mixed_reference(ex)
    err = max(abs(a[r]["dual"] / ref[r]["dual"] - 1) for r in _RHOS)
    return within(err, 1e-6, "D* (the Lagrangian dual), at every rho,")
