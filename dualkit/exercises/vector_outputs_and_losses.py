"""Exercises of the vector-output chapter ({ref}`ch-vector-outputs`)."""

from __future__ import annotations

import numpy as np

from .. import data
from ..diagnostics import numerical_rank
from ..losses import Hinge
from ..problems import DeepLinear, TwoLayerLinear
from ._core import Instance, exercise
from ._tests import as_array, as_float, field, rel_err, within

#: the rank rule of the chapter: singular values below 1e-8 σ₁ count as zero
_RTOL = 1e-8


# ---------------------------------------------------------------- ex-vector-svt
@exercise("ex-vector-svt", chapter="vector_outputs_and_losses", answer="svt",
          what='a dict with "W" (the d × K soft-thresholded matrix) and "rank" (its rank)',
          kind="numerical check", minutes=15)
def svt(seed):
    Xw, Yw = data.vector_regression(n=100, d=20, K=5, rank=3, seed=seed, whiten=True)
    beta = float(np.linalg.svd(Xw.T @ Yw, compute_uv=False)[2])
    return Instance(Xw=Xw, Yw=Yw, beta=beta, prob=TwoLayerLinear(Xw, Yw, beta))


def _svt_W(ans, ex):
    return as_array(field(ans, "W", "svt"), 'svt["W"]', (ex.Xw.shape[1], ex.Yw.shape[1]))


@svt.test(points=1, public=True)
def rank_is_the_rank_of_W(ans, ex):
    W = _svt_W(ans, ex)
    r = as_float(field(ans, "rank", "svt"), 'svt["rank"]')
    if r == numerical_rank(W, rtol=_RTOL):
        return True, 'svt["rank"] is the rank of your svt["W"].'
    return False, ('svt["rank"] is not the rank of your svt["W"] (singular values below '
                   "1e-8 σ₁ count as zero).")


@svt.test(points=2)
def W_is_the_exact_optimum(ans, ex):
    W = _svt_W(ans, ex)
    # the proximal map is non-expansive: rounding in XᵀY (~1e-15 relative) moves W by as much;
    # 1e-9 admits any exact computation and rejects cvxpy (~1e-4) and hard thresholding
    return within(rel_err(W, ex.prob.solve().w), 1e-9,
                  'svt["W"], against the exact solution prob.solve(),')


@svt.test(points=1)
def rank_is_the_number_of_singular_values_above_beta(ans, ex):
    r = as_float(field(ans, "rank", "svt"), 'svt["rank"]')
    if r == numerical_rank(ex.prob.solve().w, rtol=_RTOL):
        return True, 'svt["rank"] is the rank of the optimum.'
    return False, ('svt["rank"] is not the rank of the optimum: which singular values of XᵀY '
                   "survive a shrinkage by β = σ₃?")


# ---------------------------------------------------------------- ex-vector-hinge
@exercise("ex-vector-hinge", chapter="vector_outputs_and_losses", answer="hinge",
          what='a dict with "conjugate" (ℓ*(v) of each row v of ex.V, from your formula, '
               'np.inf outside the domain) and "fenchel_young" (ℓ(z)+ℓ*(v)−vᵀz for each row z '
               "of ex.Z at v = −dk.losses.Hinge().dual_point(z, ex.y))",
          kind="derivation + code", minutes=25)
def hinge(seed):
    Xc, yc = data.gaussian(n=30, d=5, seed=seed)
    n = len(yc)
    labels = np.sign(yc + 0.3 * np.random.default_rng(seed + 1).standard_normal(n))
    labels[labels == 0] = 1.0
    Z = np.random.default_rng(seed + 2).standard_normal((5, n))   # seed 0: the chapter's z first
    rng = np.random.default_rng(seed + 3)
    inside = lambda u: -labels * u                                 # y_i v_i = -u_i  # noqa: E731
    V = [inside(rng.uniform(0, 1, n)) for _ in range(3)]
    V += [np.zeros(n), -labels.copy()]                             # the two ends of the domain
    for bad in (-0.2, 1.3):                                        # one entry outside each end
        u = rng.uniform(0, 1, n)
        u[rng.integers(n)] = bad
        V.append(inside(u))
    V.append(labels * (rng.uniform(0, 1, n) < 0.5))                # the sign error: +dual point
    return Instance(y=labels, Z=Z, V=np.array(V))


def _conjugates(ans, ex):
    c = np.asarray(field(ans, "conjugate", "hinge"), dtype=float)
    if c.shape != (len(ex.V),):
        raise ValueError(f'hinge["conjugate"] has shape {c.shape}; it should have one value per '
                         f"row of ex.V, shape ({len(ex.V)},).")
    if np.any(np.isnan(c)) or np.any(c == -np.inf):
        raise ValueError('hinge["conjugate"] contains NaN or -inf (a conjugate is a supremum: '
                         "finite or +inf).")
    return c


@hinge.test(points=1, public=True)
def conjugate_has_one_value_per_row(ans, ex):
    _conjugates(ans, ex)
    return True, 'hinge["conjugate"] has one value (or +inf) per row of ex.V.'


@hinge.test(points=1, public=True)
def fenchel_young_residuals_are_not_negative(ans, ex):
    fy = field(ans, "fenchel_young", "hinge")
    r = np.asarray(fy, dtype=float)
    if r.shape != (len(ex.Z),):
        raise ValueError(f'hinge["fenchel_young"] has shape {r.shape}; it should have one value '
                         f"per row of ex.Z, shape ({len(ex.Z)},).")
    if not np.all(np.isfinite(r)):
        return False, ('hinge["fenchel_young"] has an infinite residual: that v lies outside the '
                       "conjugate's domain; check the sign of v.")
    r = as_array(r, 'hinge["fenchel_young"]')
    if np.min(r) < -1e-9:
        return False, ('hinge["fenchel_young"] has a negative residual, which the Fenchel–Young '
                       "inequality ℓ(z)+ℓ*(v) ≥ vᵀz forbids.")
    return True, 'hinge["fenchel_young"]: every residual is ≥ 0 (Fenchel–Young inequality).'


@hinge.test(points=2)
def conjugate_is_right_inside_and_outside_the_domain(ans, ex):
    c = _conjugates(ans, ex)
    loss = Hinge()
    want = np.array([loss.conjugate(v, ex.y) for v in ex.V])
    if not np.array_equal(np.isinf(c), np.isinf(want)):
        return False, ('hinge["conjugate"] is +inf for the wrong rows of ex.V: which slopes v '
                       "keep sup_z vᵀz − ℓ(z) finite?")
    fin = np.isfinite(want)
    # sums of 30 terms of size ≤ 1: rounding is ~1e-14
    if np.max(np.abs(c[fin] - want[fin]), initial=0.0) > 1e-9:
        return False, 'hinge["conjugate"] has the wrong value on some rows inside the domain.'
    return True, 'hinge["conjugate"] is right on every row, inside and outside the domain.'


@hinge.test(points=1)
def fenchel_young_holds_with_equality(ans, ex):
    r = as_array(field(ans, "fenchel_young", "hinge"), 'hinge["fenchel_young"]', (len(ex.Z),))
    loss = Hinge()
    want = []
    for z in ex.Z:
        v = -loss.dual_point(z, ex.y)
        want.append(loss.value(z, ex.y) + loss.conjugate(v, ex.y) - v @ z)
    if np.max(np.abs(r - np.array(want))) <= 1e-9:
        return True, 'hinge["fenchel_young"]: the equality holds at the dual point.'
    return False, ('hinge["fenchel_young"] is not ℓ(z)+ℓ*(v)−vᵀz at v = −dual_point(z, y) for '
                   "every row z of ex.Z.")


# ---------------------------------------------------------------- ex-vector-gap
@exercise("ex-vector-gap", chapter="vector_outputs_and_losses", answer="gap_table",
          what='a dict {fraction: {"certified": bool, "rel_gap": float, "rank_nuc": int}} for '
               "every fraction in ex.fracs (β = fraction·‖XᵀY‖₂)",
          kind="open experiment", minutes=30, compute="under a second on a laptop CPU",
          manual=2,
          rubric="1 point: the table shows the proposition: certified exactly where the "
                 "nuclear-norm optimum at β_eff has rank ≤ 1, whatever the rank of the best "
                 "deep point; 1 point: why the gap reappears as β shrinks (the noise "
                 "directions of XᵀY pass the threshold β_eff, the nuclear-norm optimum gains "
                 "rank, and (S3) charges a rank-two map more than the nuclear norm does).")
def gap(seed):
    X1, Y1 = data.vector_regression(n=30, d=10, K=4, rank=1, noise=1.0, seed=seed)
    return Instance(X=X1, Y=Y1, depth=4, t=1.2, fracs=[0.5, 0.2, 0.1, 0.05, 0.03, 0.01])


def _table(ans, ex) -> dict:
    if not isinstance(ans, dict):
        raise ValueError("`gap_table` must be a dict {fraction: {...}}; it is a "
                         f"{type(ans).__name__}.")
    missing = [f for f in ex.fracs if f not in ans]
    if missing:
        raise ValueError(f"`gap_table` has no entry for the fractions {missing}.")
    out = {}
    for f in ex.fracs:
        name = f"gap_table[{f}]"
        c = field(ans[f], "certified", name)
        if not isinstance(c, (bool, np.bool_)):
            raise ValueError(f'{name}["certified"] must be True or False.')
        out[f] = (bool(c), as_float(field(ans[f], "rel_gap", name), f'{name}["rel_gap"]'),
                  as_float(field(ans[f], "rank_nuc", name), f'{name}["rank_nuc"]'))
    return out


def _solve(ex, f):
    p = DeepLinear(ex.X, ex.Y, f * float(np.linalg.norm(ex.X.T @ ex.Y, 2)), depth=ex.depth,
                   t=ex.t)
    return p.solve(), p.convex.solve()


@gap.test(points=1, public=True)
def certified_agrees_with_the_rank(ans, ex):
    tab = _table(ans, ex)
    # rank ≤ 1: zero gap, so certified; uncertified: rank ≥ 2. (A rank-two optimum whose second
    # singular value is tiny can leave a gap below solve()'s tolerance 1e-6 and be certified.)
    bad = [f for f, (c, g, r) in tab.items()
           if (r <= 1 and not (c and abs(g) <= 1e-8)) or g < -1e-9]
    if bad:
        return False, (f"at the fractions {bad} your entries contradict the proposition (or "
                       "report a gap below 0): where the nuclear-norm optimum has rank ≤ 1 the "
                       "gap is zero and solve() certifies it.")
    return True, "your table agrees with the proposition at every fraction."


@gap.test(points=1)
def ranks_are_those_of_the_nuclear_norm_optima(ans, ex):
    tab = _table(ans, ex)
    bad = [f for f in ex.fracs if tab[f][2] != numerical_rank(_solve(ex, f)[1].w, rtol=_RTOL)]
    if bad:
        return False, (f"at the fractions {bad} rank_nuc is not the rank of the nuclear-norm "
                       "optimum at β_eff (prob.convex.solve().w; rtol 1e-8).")
    return True, "every rank_nuc is the rank of the nuclear-norm optimum."


@gap.test(points=1)
def gaps_are_those_of_solve(ans, ex):
    tab = _table(ans, ex)
    bad = []
    for f in ex.fracs:
        s = _solve(ex, f)[0]
        c, g, _ = tab[f]
        # the primal point is a deterministic closed form / alternating minimization: the
        # gaps agree to rounding; 1e-9 absolute covers the certified (zero-gap) entries
        if c != s.certified or abs(g - s.rel_gap) > 1e-6 * abs(s.rel_gap) + 1e-9:
            bad.append(f)
    if bad:
        return False, (f"at the fractions {bad} certified or rel_gap is not what "
                       "DeepLinear(...).solve() reports.")
    return True, "certified and rel_gap are those of DeepLinear.solve() at every fraction."
