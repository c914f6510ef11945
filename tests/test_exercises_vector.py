"""The vector-output chapter's exercises: a stub scores nothing, the plausible mistakes lose
points, and the chapter's solutions score everything, for the book's data (seed 0) and another
variant."""

import numpy as np
import pytest

import dualkit as dk

NA = dk.exercises.NOT_ANSWERED
LABELS = ["ex-vector-svt", "ex-vector-hinge", "ex-vector-gap"]


def score(label, answer, seed=0):
    results = dk.exercises.get(label).run(answer, seed=seed)
    return sum(r.earned for r in results), sum(r.points for r in results)


def failed(label, answer, seed=0, public=None):
    return dk.exercises.get(label).failed(answer, seed, public)


# ---------------------------------------------------------------- ex-vector-svt
def _svt(ex, keep):
    U, s, Vt = np.linalg.svd(ex.Xw.T @ ex.Yw, full_matrices=False)
    W = (U * keep(s, ex.beta)) @ Vt
    return {"W": W, "rank": dk.diagnostics.numerical_rank(W, rtol=1e-8)}


@pytest.mark.parametrize("seed", [0, 7])
def test_svt_solution_scores_everything(seed):
    ex = dk.exercises.load("ex-vector-svt", seed=seed)
    ans = _svt(ex, lambda s, b: np.maximum(s - b, 0))       # the chapter's solution
    assert ans["rank"] == 2
    assert score("ex-vector-svt", ans, seed) == (4, 4)


def test_svt_cvxpy_solution_fails_the_exact_check():
    """The old exercise compared with cvxpy, accurate to ~1e-4 here: now the reference is the
    closed form, and cvxpy's W (the answer the old text suggested) is not exact."""
    ex = dk.exercises.load("ex-vector-svt")
    W = ex.prob.solve(method="cvxpy").w
    exact = ex.prob.solve().w
    assert 1e-5 < np.linalg.norm(W - exact) / np.linalg.norm(exact) < 1e-3  # 'about 1e-4'
    assert "W is the exact optimum" in failed("ex-vector-svt", {"W": W, "rank": 2})


def test_svt_hard_thresholding_and_wrong_rank_fail():
    ex = dk.exercises.load("ex-vector-svt")
    hard = _svt(ex, lambda s, b: s * (s > b))                # kept, not shrunk
    assert "W is the exact optimum" in failed("ex-vector-svt", hard)
    ans = _svt(ex, lambda s, b: np.maximum(s - b, 0))
    ans["rank"] = 3                                          # counted sigma_k >= beta
    assert failed("ex-vector-svt", ans) == {"rank is the rank of W",
                                           "rank is the number of singular values above beta"}


# ---------------------------------------------------------------- ex-vector-hinge
def _hinge(ex, conj, sign=-1):
    loss = dk.losses.Hinge()
    fy = []
    for z in ex.Z:
        v = sign * loss.dual_point(z, ex.y)
        fy.append(loss.value(z, ex.y) + conj(v, ex.y) - v @ z)
    return {"conjugate": [conj(v, ex.y) for v in ex.V], "fenchel_young": fy}


def _conj(v, y):                                             # the chapter's solution
    yv = y * v
    return yv.sum() if np.all((yv >= -1) & (yv <= 0)) else np.inf


@pytest.mark.parametrize("seed", [0, 7])
def test_hinge_solution_scores_everything(seed):
    ex = dk.exercises.load("ex-vector-hinge", seed=seed)
    assert score("ex-vector-hinge", _hinge(ex, _conj), seed) == (5, 5)
    conj = _hinge(ex, _conj)["conjugate"]                    # both kinds of rows are tested
    assert np.isinf(conj).sum() >= 2 and np.isfinite(conj).sum() >= 4


def test_hinge_instance_is_the_chapters_data():
    ex = dk.exercises.load("ex-vector-hinge")
    Xc, yc = dk.data.gaussian(n=30, d=5, seed=0)
    assert np.array_equal(ex.y, np.sign(yc + 0.3 * np.random.default_rng(1).standard_normal(30)))
    assert np.array_equal(ex.Z[0], np.random.default_rng(2).standard_normal(30))


def test_hinge_plausible_mistakes_fail():
    ex = dk.exercises.load("ex-vector-hinge")
    no_domain = _hinge(ex, lambda v, y: float(y @ v))       # forgot the domain
    assert "conjugate is right inside and outside the domain" in failed("ex-vector-hinge",
                                                                        no_domain)
    wrong_sign = _hinge(ex, lambda v, y: -_conj(v, y))       # sign error in the value
    assert score("ex-vector-hinge", wrong_sign)[0] <= 2
    plus = _hinge(ex, _conj, sign=+1)                        # v = +dual_point: outside
    assert {"fenchel young residuals are not negative",
            "fenchel young holds with equality"} <= failed("ex-vector-hinge", plus)


# ---------------------------------------------------------------- ex-vector-gap
def _gap(ex):
    table = {}
    for f in ex.fracs:                                       # the chapter's solution
        p1 = dk.DeepLinear(ex.X, ex.Y, f * np.linalg.norm(ex.X.T @ ex.Y, 2), depth=ex.depth,
                           t=ex.t)
        s1 = p1.solve()
        table[f] = {"certified": s1.certified, "rel_gap": s1.rel_gap,
                    "rank_nuc": dk.diagnostics.numerical_rank(p1.convex.solve().w, rtol=1e-8)}
    return table


@pytest.mark.parametrize("seed", [0, 7])
def test_gap_solution_scores_everything(seed):
    ex = dk.exercises.load("ex-vector-gap", seed=seed)
    table = _gap(ex)
    assert score("ex-vector-gap", table, seed) == (3, 3)
    # the question has content: the gap is closed at the largest beta and open at the smallest
    assert table[ex.fracs[0]]["certified"] and not table[ex.fracs[-1]]["certified"]


def test_gap_chapter_claims():
    """The solution's text: certified down to 0.1 ||X^T Y||, a gap from 0.05 on (glued)."""
    table = _gap(dk.exercises.load("ex-vector-gap"))
    assert [f for f, r in table.items() if not r["certified"]] == [0.05, 0.03, 0.01]
    assert table[0.03]["rank_nuc"] == 4


@pytest.mark.medium
def test_gap_rank_of_the_deep_point_loses_points():
    """The mistake the proposition warns about: the rank of the best deep point, not of the
    nuclear-norm optimum (rank one at every fraction, so 'certified' contradicts it)."""
    ex = dk.exercises.load("ex-vector-gap")
    table = _gap(ex)
    for f in ex.fracs:
        p1 = dk.DeepLinear(ex.X, ex.Y, f * np.linalg.norm(ex.X.T @ ex.Y, 2), depth=ex.depth,
                           t=ex.t)
        table[f]["rank_nuc"] = dk.diagnostics.numerical_rank(p1.solve().w, rtol=1e-8)
    assert failed("ex-vector-gap", table) == {"certified agrees with the rank",
                                             "ranks are those of the nuclear norm optima"}
    always = {f: dict(r, certified=True, rel_gap=0.0, rank_nuc=1) for f, r in _gap(ex).items()}
    assert score("ex-vector-gap", always)[0] == 1            # "always certified": only consistent
