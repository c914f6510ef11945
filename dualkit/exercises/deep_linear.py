"""Exercises of the deep linear chapter ({ref}`ch-deep-linear`)."""

from __future__ import annotations

import numpy as np

from .. import data
from ..problems import DeepLinear
from ._core import Instance, exercise
from ._tests import as_array, as_float, field, rel_err, within

_RUNS = [(L, opt, s) for L in (3, 4) for opt in ("lbfgs", "adam") for s in range(4)]


def _chapter_problem(seed: int, depth: int = 4, t: float = 1.5) -> DeepLinear:
    """Experiment (a)'s problem on the data of ``seed``: β_eff = 0.3‖Xᵀy‖₂."""
    X, y = data.gaussian(n=20, d=10, seed=seed)
    return DeepLinear(X, y, 0.3 * float(np.linalg.norm(X.T @ y)) * t ** (depth - 2),
                      depth=depth, t=t)


# ---------------------------------------------------------------- ex-deep-norms
@exercise("ex-deep-norms", chapter="deep_linear", answer="norms",
          what='a dict with "weights" (the layers [W1, ..., wL] of a network you trained on '
               'ex.prob), "last_two" ([‖W_{L-1}‖_F², ‖w_L‖²] of those layers) and "predicted" '
               "(the theorem's value ‖w*‖/t^(L-2) of both)",
          kind="numerical check", minutes=20, compute="about 2 s on a laptop CPU")
def norms(seed):
    prob = _chapter_problem(seed)
    return Instance(X=prob.X, y=prob.y, beta=prob.beta, t=prob.t, depth=prob.depth,
                    widths=[8, 6, 5], prob=prob)


def _weights(ans, ex):
    ws = field(ans, "weights", "norms")
    if not isinstance(ws, (list, tuple)) or len(ws) != ex.depth:
        raise ValueError(f'norms["weights"] must be the list of the {ex.depth} layers '
                         "[W1, ..., wL] (net.weights()).")
    return [as_array(W, f'norms["weights"][{i}]') for i, W in enumerate(ws)]


@norms.test(points=1, public=True)
def the_network_is_feasible(ans, ex):
    ws = _weights(ans, ex)
    value = ex.prob.objective(ws)      # raises ValueError on shapes that do not chain
    if not np.isfinite(value):
        return False, ('norms["weights"] violates a constraint ‖W_l‖_F ≤ t of (P2): take the '
                       "layers of a network built by ex.prob.network and trained with dk.train.")
    return True, 'norms["weights"] is a feasible network of (P2).'


@norms.test(points=1, public=True)
def last_two_are_the_norms_of_the_weights(ans, ex):
    ws = _weights(ans, ex)
    got = as_array(field(ans, "last_two", "norms"), 'norms["last_two"]', (2,))
    own = [float(np.sum(ws[-2] ** 2)), float(np.sum(ws[-1] ** 2))]
    if rel_err(got, own) <= 1e-9:
        return True, 'norms["last_two"] holds the squared norms of your last two layers.'
    return False, ('norms["last_two"] is not [‖W_{L-1}‖_F², ‖w_L‖²] of your norms["weights"] '
                   "(squared Frobenius norms of the last two layers).")


@norms.test(points=1)
def the_network_is_trained_to_the_optimum(ans, ex):
    ws = _weights(ans, ex)
    # train_best with Adam and tol=1e-8 stops at a relative gap below 1e-8; 1e-6 leaves room
    gap = ex.prob.relative_gap(ws)
    if gap <= 1e-6:
        return True, "your network reaches the optimum of (P2) (relative gap ≤ 1e-6)."
    return False, (f"your network is not at the optimum: relative gap {gap:.1e} > 1e-6. Train "
                   "it (dk.train_best with Adam, as in experiment (a)); a network that stalls "
                   "at the zero network needs another seed.")


@norms.test(points=1)
def predicted_is_the_theorems_value(ans, ex):
    p = as_float(field(ans, "predicted", "norms"), 'norms["predicted"]')
    want = float(np.linalg.norm(ex.prob.solve().w)) / ex.t ** (ex.depth - 2)
    return within(abs(p / want - 1), 1e-8, 'norms["predicted"] (from w* of dk.DeepLinear)')


@norms.test(points=1)
def the_last_two_layers_are_balanced_at_the_prediction(ans, ex):
    got = as_array(field(ans, "last_two", "norms"), 'norms["last_two"]', (2,))
    want = float(np.linalg.norm(ex.prob.solve().w)) / ex.t ** (ex.depth - 2)
    # at relative gap 1e-8 the measured squared norms agree with the theorem to ~1e-5
    err = float(np.max(np.abs(got / want - 1)))
    if err <= 1e-4:
        return True, "the last two layers are balanced at the theorem's norm (to 1e-4)."
    return False, (f"the squared norms of the last two layers differ from the theorem's "
                   f"value by {err:.1e} (relative) > 1e-4: is the network trained to the "
                   "optimum?")


# ---------------------------------------------------------------- ex-deep-beta-eff
@exercise("ex-deep-beta-eff", chapter="deep_linear", answer="deep_values",
          what='a dict with "values" ({L: optimal value of (P2) at depth L} for every L in '
               'ex.depths, from two-layer solves only) and "zero_depth" (the smallest depth '
               "whose optimum is the zero network)",
          kind="derivation + code", minutes=25)
def beta_eff(seed):
    X, y = data.gaussian(n=20, d=10, seed=seed)
    if seed == 0:
        t, k = 0.8, np.log(0.4) / np.log(0.8)
    else:   # the zero depth 2 + ceil(k) lands in 6..10, k at least 0.2 from an integer
        rng = np.random.default_rng(seed)
        t = float(rng.uniform(0.7, 0.9))
        k = float(rng.integers(3, 8) + rng.uniform(0.2, 0.8))
    frac = float(t ** k)                  # β = frac ‖Xᵀy‖₂, with t^k = frac
    beta = frac * float(np.linalg.norm(X.T @ y))
    return Instance(X=X, y=y, beta=beta, t=float(t), depths=list(range(2, 11)))


def _values(ans, ex) -> dict:
    vals = field(ans, "values", "deep_values")
    if not isinstance(vals, dict):
        raise ValueError('deep_values["values"] must be a dict {depth: optimal value}.')
    missing = [L for L in ex.depths if L not in vals]
    if missing:
        raise ValueError(f'deep_values["values"] has no entry for the depths {missing}.')
    return {L: as_float(vals[L], f'deep_values["values"][{L}]') for L in ex.depths}


@beta_eff.test(points=1, public=True)
def values_lie_between_zero_and_the_zero_network(ans, ex):
    vals = _values(ans, ex)
    top = 0.5 * float(ex.y @ ex.y)
    bad = [L for L, v in vals.items() if not -1e-12 * top <= v <= top * (1 + 1e-12)]
    if bad:
        return False, (f"the values at depths {bad} are outside [0, ½‖y‖²]: the zero network "
                       "is feasible, so no optimum exceeds ½‖y‖², and the objective is ≥ 0.")
    return True, "every value lies in [0, ½‖y‖²]."


@beta_eff.test(points=1, public=True)
def zero_depth_agrees_with_the_values(ans, ex):
    vals = _values(ans, ex)
    L0 = as_float(field(ans, "zero_depth", "deep_values"), 'deep_values["zero_depth"]')
    top = 0.5 * float(ex.y @ ex.y)
    at_zero = {L for L, v in vals.items() if abs(v / top - 1) <= 1e-12}
    if at_zero != {L for L in ex.depths if L >= L0}:
        return False, ('deep_values["zero_depth"] does not split your values: the depths from '
                       "it on should have value ½‖y‖² (the zero network), the others less.")
    return True, 'deep_values["zero_depth"] agrees with your values.'


@beta_eff.test(points=1)
def values_are_the_deep_optima(ans, ex):
    vals = _values(ans, ex)
    want = {L: DeepLinear(ex.X, ex.y, ex.beta, depth=L, t=ex.t).solve().value
            for L in ex.depths}
    # both are the closed form of the same two-layer problem: agreement to rounding;
    # 1e-8 also admits a cvxpy solve
    bad = [L for L in ex.depths if abs(vals[L] / want[L] - 1) > 1e-8]
    if bad:
        return False, (f"the values at depths {bad} are not the optima of (P2) with the given "
                       "β and t: which two-layer β has the same value at depth L?")
    return True, "every value is the optimum of (P2) at its depth."


@beta_eff.test(points=1)
def zero_depth_is_the_threshold(ans, ex):
    L0 = as_float(field(ans, "zero_depth", "deep_values"), 'deep_values["zero_depth"]')
    gxy = float(np.linalg.norm(ex.X.T @ ex.y))
    want = min(L for L in ex.depths if ex.beta >= ex.t ** (L - 2) * gxy)
    if L0 == want:
        return True, 'deep_values["zero_depth"] is the first depth whose optimum is zero.'
    return False, ('deep_values["zero_depth"] is not the first depth at which β reaches the '
                   "zero threshold of (P2).")


# ---------------------------------------------------------------- ex-deep-trap
@exercise("ex-deep-trap", chapter="deep_linear", answer="trap",
          what="a dict {(L, optimizer, seed): (relative gap, ‖MᵀXᵀy‖₂/β)} for the 16 runs: "
               'L in (3, 4), optimizer in ("lbfgs", "adam"), seed in 0..3',
          kind="open experiment", minutes=40, compute="about 5 s on a laptop CPU", manual=3,
          rubric="1 point: at the zero network the gradient of every layer vanishes (each "
                 "contains the factor W_{L-1} or w_L), so the first L-2 layers freeze; 1 point: "
                 "with M frozen, growing W_{L-1} = εuvᵀ, w_L = εv changes the objective by "
                 "ε²(β − |yᵀXMu|), so the zero network is a local minimum exactly when "
                 "‖MᵀXᵀy‖₂ ≤ β, and the table's ratios show it (below 1 where runs stalled); "
                 "1 point: from that condition, why a smaller β or a larger init_scale makes "
                 "the escape easier (and what wider layers change).")
def trap(seed):
    X, y = data.gaussian(n=20, d=10, seed=seed)
    t = 1.5
    probs = {L: _chapter_problem(seed, depth=L, t=t) for L in (3, 4)}
    return Instance(X=X, y=y, t=t, width=6, probs=probs)


def _runs(ans) -> dict:
    if not isinstance(ans, dict):
        raise ValueError(f"`trap` must be a dict {{(L, optimizer, seed): (gap, ratio)}}; it is "
                         f"a {type(ans).__name__}.")
    missing = [k for k in _RUNS if k not in ans]
    if missing:
        raise ValueError(f"`trap` has no entry for the runs {missing[:4]}"
                         f"{' ...' if len(missing) > 4 else ''}.")
    return {k: as_array(ans[k], f"trap[{k}]", (2,)) for k in _RUNS}


def _zero_and_optimum(ex, L):
    """(relative gap of the zero network, ratio ‖MᵀXᵀy‖/β at every optimal network)."""
    p = ex.probs[L]
    sol = p.solve()
    zero_gap = (0.5 * float(ex.y @ ex.y) - sol.dual_value) / sol.dual_value
    # at an optimum M = t^(L-2) ρ0 ρᵀ with ρ0 = w*/‖w*‖ and Xᵀλ* = β_eff ρ0 (λ* = y − Xw*):
    # ‖MᵀXᵀy‖/β = w*ᵀXᵀy/(β_eff‖w*‖) = 1 + ‖Xw*‖²/(β_eff‖w*‖)
    Xw = ex.X @ sol.w
    return zero_gap, 1 + float(Xw @ Xw) / (p.beta_eff * float(np.linalg.norm(sol.w)))


@trap.test(points=1, public=True)
def every_run_is_reported(ans, ex):
    runs = _runs(ans)
    bad = [k for k, (g, r) in runs.items() if g < -1e-9 or r < 0]
    if bad:
        return False, (f"the runs {bad[:3]} report a gap < 0 (that would beat the global "
                       "optimum) or a negative ratio (a norm over β).")
    return True, "`trap` reports a gap ≥ 0 and a ratio ≥ 0 for each of the 16 runs."


@trap.test(points=1)
def every_run_ends_at_the_optimum_or_at_the_zero_network(ans, ex):
    runs = _runs(ans)
    bad = []
    for (L, opt, s), (g, _) in runs.items():
        zero_gap, _ = _zero_and_optimum(ex, L)
        if not (g <= 1e-6 or abs(g / zero_gap - 1) <= 1e-6):
            bad.append((L, opt, s))
    if bad:
        return False, (f"the runs {bad[:3]} end neither at the optimum (gap ≤ 1e-6) nor at the "
                       "zero network: train as the exercise says (L-BFGS 10 steps, Adam 1500 "
                       "steps at lr 2e-2, tol=1e-8) and report the relative gap.")
    return True, "every run ends at the optimum or at the zero network."


@trap.test(points=1)
def ratios_match_where_each_run_ended(ans, ex):
    runs = _runs(ans)
    bad = []
    for (L, opt, s), (g, r) in runs.items():
        zero_gap, r_opt = _zero_and_optimum(ex, L)
        # at a gap of 1e-8 the layers are within ~1e-4 of an optimal network: 1e-3 on the ratio
        if g <= 1e-6 and abs(r / r_opt - 1) > 1e-3:
            bad.append((L, opt, s))
        if abs(g / zero_gap - 1) <= 1e-6 and r > 1 + 1e-9:
            bad.append((L, opt, s))
    if bad:
        return False, (f"the ratios ‖MᵀXᵀy‖₂/β of the runs {bad[:3]} do not fit where they "
                       "ended: M is the product W1⋯W_{L-2} of the trained first L-2 layers "
                       "and β that of the run's problem.")
    return True, "every ratio fits where its run ended."
