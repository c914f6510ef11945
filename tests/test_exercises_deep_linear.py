"""The deep-linear chapter's exercises: a stub scores nothing, the plausible mistakes lose points,
and the chapter's solutions score everything, for the book's data (seed 0) and another variant."""

import numpy as np
import pytest

import dualkit as dk

NA = dk.exercises.NOT_ANSWERED


def score(label, answer, seed=0):
    results = dk.exercises.get(label).run(answer, seed=seed)
    return sum(r.earned for r in results), sum(r.points for r in results)


# ---------------------------------------------------------------- ex-deep-norms
def _norms_answer(ws, ex):
    return {"weights": ws, "last_two": [np.sum(ws[-2] ** 2), np.sum(ws[-1] ** 2)],
            "predicted": np.linalg.norm(ex.prob.solve().w) / ex.t ** (ex.depth - 2)}


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 7])
def test_norms_solution_scores_everything(seed):
    ex = dk.exercises.load("ex-deep-norms", seed=seed)
    net, _, _ = dk.train_best(ex.prob, ex.widths, seeds=(0, 1), steps=2000, lr=2e-2,
                              tol=1e-8, progress=False)   # the chapter's solution
    got, total = score("ex-deep-norms", _norms_answer(net.weights(), ex), seed)
    assert got == total == 5


def test_norms_untrained_network_fails_although_its_constrained_norms_are_t():
    """The old exercise asked for ‖W_l‖_F = t: true of every network, trained or not."""
    ex = dk.exercises.load("ex-deep-norms")
    ws = ex.prob.network(ex.widths, seed=0).weights()
    assert all(abs(np.linalg.norm(W) / ex.t - 1) <= 1e-12 for W in ws[: ex.depth - 2])
    results = dk.exercises.get("ex-deep-norms").run(_norms_answer(ws, ex))
    failed = {r.test for r in results if not r.passed}
    assert failed == {"the network is trained to the optimum",
                      "the last two layers are balanced at the prediction"}
    assert all(r.passed for r in results if r.public)   # the student sees form checks pass


def test_norms_prediction_without_the_depth_factor_fails():
    ex = dk.exercises.load("ex-deep-norms")
    sol = ex.prob.solve(width=ex.widths)                # the exact optimal layers
    ans = _norms_answer(sol.weights, ex)
    assert score("ex-deep-norms", ans) == (5, 5)
    ans["predicted"] = np.linalg.norm(sol.w)             # forgot the 1/t^(L-2)
    assert score("ex-deep-norms", ans)[0] == 4
    ans = _norms_answer(sol.weights, ex)
    ans["last_two"] = [1.0, 1.0]                         # not the network's norms
    assert score("ex-deep-norms", ans)[0] == 3


# ---------------------------------------------------------------- ex-deep-beta-eff
def _beta_eff_answer(ex, scale):
    values = {L: dk.TwoLayerLinear(ex.X, ex.y, ex.beta * scale(L)).solve().value
              for L in ex.depths}
    ratio = ex.beta / np.linalg.norm(ex.X.T @ ex.y)
    return {"values": values, "zero_depth": 2 + int(np.ceil(np.log(ratio) / np.log(ex.t)))}


@pytest.mark.parametrize("seed", [0, 7])
def test_beta_eff_solution_scores_everything(seed):
    ex = dk.exercises.load("ex-deep-beta-eff", seed=seed)
    ans = _beta_eff_answer(ex, lambda L: 1 / ex.t ** (L - 2))   # the chapter's solution
    assert score("ex-deep-beta-eff", ans, seed) == (4, 4)
    # the zero depth is inside the range of depths, so the question has content
    assert ex.depths[0] < ans["zero_depth"] <= ex.depths[-1]


@pytest.mark.parametrize("wrong", [lambda t, L: 1.0, lambda t, L: t ** (L - 2)],
                         ids=["depth ignored", "beta times t^(L-2)"])
def test_beta_eff_wrong_scaling_fails(wrong):
    ex = dk.exercises.load("ex-deep-beta-eff")
    ans = _beta_eff_answer(ex, lambda L: wrong(ex.t, L))
    results = dk.exercises.get("ex-deep-beta-eff").run(ans)
    assert not next(r for r in results if r.test == "values are the deep optima").passed


def test_beta_eff_wrong_zero_depth_fails():
    ex = dk.exercises.load("ex-deep-beta-eff")
    ans = _beta_eff_answer(ex, lambda L: 1 / ex.t ** (L - 2))
    ans["zero_depth"] += 1                                       # off by one (floor + 2)
    assert score("ex-deep-beta-eff", ans)[0] == 2


# ---------------------------------------------------------------- ex-deep-trap
def _trap_answer(ex):
    trap = {}
    for L, p in ex.probs.items():                                 # the chapter's solution
        for opt, kw in [("lbfgs", dict(steps=10)), ("adam", dict(steps=1500, lr=2e-2))]:
            for s in range(4):
                n_ = p.network(ex.width, seed=s)
                h_ = dk.train(n_, p, optimizer=opt, tol=1e-8, progress=False, **kw)
                M = np.linalg.multi_dot([np.eye(p.d), *n_.weights()[: L - 2]])
                trap[(L, opt, s)] = (h_.final_rel_gap, np.linalg.norm(M.T @ ex.X.T @ ex.y) / p.beta)
    return trap


@pytest.fixture(scope="module")
def trap0():
    return _trap_answer(dk.exercises.load("ex-deep-trap", seed=0))


@pytest.mark.slow
def test_trap_solution_scores_everything(trap0):
    assert score("ex-deep-trap", trap0) == (3, 3)
    ex7 = dk.exercises.load("ex-deep-trap", seed=7)
    assert score("ex-deep-trap", _trap_answer(ex7), seed=7) == (3, 3)


@pytest.mark.slow
def test_trap_ratio_over_beta_eff_fails(trap0):
    """Dividing by β_eff instead of the run's β scales the depth-4 ratios by t²."""
    ex = dk.exercises.load("ex-deep-trap")
    wrong = {k: (g, r * (ex.t ** (k[0] - 2))) for k, (g, r) in trap0.items()}
    assert score("ex-deep-trap", wrong)[0] == 2
    missing = {k: v for k, v in trap0.items() if k[0] == 4}      # depth 3 left out
    assert score("ex-deep-trap", missing)[0] == 0
