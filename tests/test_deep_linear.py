"""Deep linear networks with scalar output: the formulation (P2), its dual (D2) at
beta_eff = beta / t^(L-2), the rank-one aligned optimum, weight decay on every layer, and the
claims of the deep-linear chapter."""

import numpy as np
import pytest

import dualkit as dk
from dualkit.diagnostics import alignment, layer_summary, top_singular_vectors

WIDTHS = [8, 6, 5]  # the chapter's widths 10-8-6-5 with d = 10
T = 1.5


@pytest.fixture(scope="module")
def deep():
    X, y = dk.data.gaussian(n=20, d=10, seed=0)
    beta = 0.3 * np.linalg.norm(X.T @ y) * T**2  # beta_eff = 0.3 ||X^T y|| (the chapter)
    prob = dk.DeepLinear(X, y, beta, depth=4, t=T)
    sol = prob.solve(width=WIDTHS)
    net, hist, finals = dk.train_best(prob, WIDTHS, seeds=(0, 1, 2), steps=2000, lr=2e-2,
                                      progress=False)
    return X, y, prob, sol, net, hist, finals


@pytest.mark.medium
def test_done_when_closed_form_matches_cvxpy(deep):
    X, y, prob, sol, *_ = deep
    ref = prob.solve(method="cvxpy", width=WIDTHS)
    assert abs(sol.value - ref.value) / sol.value <= 1e-7
    assert sol.certified and ref.certified
    assert abs(prob.objective(sol.weights) - sol.value) <= 1e-12 * sol.value
    assert abs(prob.dual_objective(sol.dual) - sol.value) <= 1e-8 * sol.value


@pytest.mark.medium
def test_depth_only_changes_beta_eff(deep):
    X, y, prob, sol, *_ = deep
    two_eff = dk.TwoLayerLinear(X, y, 2.0).solve().value
    for L in range(2, 7):  # the deep chapter: depth enters only through beta_eff
        v = dk.DeepLinear(X, y, 2.0 * 1.3 ** (L - 2), depth=L, t=1.3).solve().value
        assert v == pytest.approx(two_eff, rel=1e-12)
    two = dk.TwoLayerLinear(X, y, prob.beta / T**2).solve()
    assert prob.beta_eff == pytest.approx(prob.beta / T**2)
    assert sol.value == pytest.approx(two.value, rel=1e-12)
    assert np.allclose(sol.dual, two.dual, rtol=0, atol=1e-12 * np.linalg.norm(y))


@pytest.mark.medium
def test_2a_trained_equals_dual(deep):
    X, y, prob, sol, net, hist, finals = deep
    rel = (prob.objective(net) - sol.dual_value) / sol.dual_value
    assert -1e-12 <= rel <= 1e-6
    assert abs(hist.final_rel_gap) <= 1e-13  # the chapter: "to the precision of float64"
    # the chapter: "from the same three seeds [Adam] reached the optimum every time"
    assert all(abs(v - sol.value) <= 1e-6 * sol.value for v in finals.values())


@pytest.mark.medium
def test_2b_rank_one_every_layer(deep):
    *_, net, hist, finals = deep
    assert max(layer_summary(net.weights())["rank_one_ratio"]) <= 1e-4


@pytest.mark.medium
def test_2c_alignment(deep):
    X, y, prob, sol, net, *_ = deep
    summ = layer_summary(net.weights(), direction=X.T @ sol.dual)
    assert np.all(1 - summ["alignment"] <= 1e-6)
    assert 1 - summ["first_layer_alignment"] <= 1e-6
    assert 1 - alignment(top_singular_vectors(net.weights()[0])[0], sol.w) <= 1e-6


@pytest.mark.medium
def test_2d_norms_and_product(deep):
    X, y, prob, sol, net, *_ = deep
    ws = net.weights()
    for W in ws[: prob.n_constrained]:
        assert abs(np.linalg.norm(W) - T) <= 1e-6
    assert np.linalg.norm(net.end_to_end() - sol.w) <= 1e-6 * np.linalg.norm(sol.w)
    assert dk.diagnostics.balance(ws[-2], ws[-1]) <= 1e-5


@pytest.mark.medium
def test_2e_standard_weight_decay():
    X, y = dk.data.gaussian(n=20, d=10, seed=0)
    prob = dk.DeepLinearWeightDecay(X, y, beta=0.05, depth=4)
    sol = prob.solve(width=WIDTHS)
    net = prob.network(WIDTHS, seed=0)
    hist = dk.train(net, prob, steps=100, optimizer="lbfgs", progress=False)  # the chapter
    assert abs(hist.final_rel_gap) <= 1e-12
    assert abs(prob.objective(net) - sol.value) / sol.value <= 1e-8
    target = np.linalg.norm(sol.w) ** (1 / 4)
    for W in net.weights():
        assert abs(np.linalg.norm(W) - target) <= 1e-5
        assert abs(np.linalg.norm(np.atleast_2d(W), 2) - target) <= 1e-5  # operator norm too
    for W in sol.weights:
        assert abs(np.linalg.norm(W) - target) <= 1e-12


def test_weight_decay_depth_two_is_the_group_lasso():
    X, y = dk.data.gaussian(n=20, d=10, seed=0)
    for beta in (0.05, 1.0, 20.0):
        wd = dk.DeepLinearWeightDecay(X, y, beta, depth=2).solve()
        assert wd.value == pytest.approx(dk.TwoLayerLinear(X, y, beta).solve().value, rel=1e-12)


@pytest.mark.medium
def test_weight_decay_origin_is_a_trap_and_optimum_jumps():
    """The book's warning: for L >= 3 the origin is a local minimum, and w*(beta) jumps to 0."""
    X, y = dk.data.gaussian(n=20, d=10, seed=0)
    prob = dk.DeepLinearWeightDecay(X, y, beta=0.05, depth=4)
    sol = prob.solve()
    assert sol.value < 0.5 * y @ y and not sol.info["global_is_zero"]
    # two stationary points on the ridge path: the minimum and a barrier just above (1/2)||y||^2
    stat = sol.info["stationary_values"]
    assert len(stat) == 2 and min(stat) == pytest.approx(sol.value)
    assert 0.5 * y @ y < max(stat) < 0.5 * y @ y * (1 + 1e-3)
    net = prob.network(WIDTHS, seed=0, init_scale=0.05)
    dk.train(net, prob, steps=50, optimizer="lbfgs", progress=False)  # the chapter
    assert prob.objective(net) == pytest.approx(0.5 * y @ y, rel=1e-6)  # stuck at the origin
    # the global optimum's size jumps: no small non-zero optimum along the path
    betas = np.linspace(0.05, 4.0, 160)
    norms = np.array([np.linalg.norm(dk.DeepLinearWeightDecay(X, y, b, 4).solve().w) for b in betas])
    last_nonzero = norms[norms > 0][-1]
    assert norms[0] > 0 and norms[-1] == 0 and last_nonzero > 0.2 * norms[0]
    jump = betas[norms > 0][-1]
    # the paper's formulation instead shrinks continuously to zero at t^(L-2) ||X^T y||
    paper = dk.DeepLinear(X, y, 1.0, depth=4, t=1.0)
    near = [np.linalg.norm(s.w) for s in paper.path(paper.beta_max * np.array([0.99, 0.999]))]
    assert near[1] < near[0] < 0.02 * np.linalg.norm(paper.path([0.05])[0].w)
    assert jump < 0.5 * paper.beta_max  # "jumps to zero well before" the (P2) threshold


def test_weight_decay_lagrangian_dual_has_a_gap_at_depth_3():
    X, y = dk.data.gaussian(n=20, d=10, seed=0)
    prob = dk.DeepLinearWeightDecay(X, y, beta=0.05, depth=3)
    sol = prob.solve()
    assert sol.certified is False and sol.info["exact"]
    # the Lagrangian dual: max lam^T y - |lam|^2 / 2 s.t. X^T lam = 0, i.e. the least-squares
    # residual, a lower bound that does not see beta
    resid = y - X @ np.linalg.lstsq(X, y, rcond=None)[0]
    assert sol.dual_value == pytest.approx(0.5 * resid @ resid, rel=1e-9)
    assert np.allclose(sol.dual, resid, atol=1e-12 * np.linalg.norm(y))
    assert sol.dual_value < 0.9 * sol.value                           # the duality gap
    assert prob.dual_objective(y) == -np.inf and not prob.dual_constraint(y).holds
    assert prob.dual_constraint(prob.feasible_dual(y)).holds
    assert prob.lower_bound() == pytest.approx(sol.value)              # the exact optimum
    # depth 2 is the two-layer problem: strong duality, certified
    two = dk.DeepLinearWeightDecay(X, y, beta=0.05, depth=2).solve()
    ref = dk.TwoLayerLinear(X, y, 0.05).solve()
    assert two.certified and two.value == pytest.approx(ref.value, rel=1e-9)


@pytest.mark.parametrize("depth", [2, 3, 5])
def test_weight_decay_zero_threshold_from_data(depth):
    """beta_max_for is where the global optimum jumps to zero: just above it zero is optimal,
    just below it a non-zero point of the ridge path is strictly better."""
    X, y = dk.data.gaussian(n=15, d=6, seed=depth)
    bmax = dk.DeepLinearWeightDecay.beta_max_for(X, y, depth=depth)
    prob = dk.DeepLinearWeightDecay(X, y, bmax, depth=depth)
    assert prob.beta_max == bmax
    if depth == 2:
        assert bmax == pytest.approx(np.linalg.norm(X.T @ y), rel=1e-12)
    assert prob.with_beta(bmax * (1 + 1e-6)).solve().info["global_is_zero"]
    below = prob.with_beta(bmax * (1 - 1e-6)).solve()
    assert not below.info["global_is_zero"] and below.value < 0.5 * y @ y


@pytest.mark.parametrize("depth", [2, 3, 4, 5, 6])
def test_constructed_weights_are_optimal_for_random_widths(depth):
    X, y = dk.data.gaussian(n=15, d=6, seed=depth)
    rng = np.random.default_rng(depth)
    for trial in range(3):
        widths = list(rng.integers(1, 9, size=depth - 1))
        t = float(rng.uniform(0.5, 2.0))
        prob = dk.DeepLinear(X, y, beta=0.2 * np.linalg.norm(X.T @ y) * t ** (depth - 2),
                             depth=depth, t=t)
        sol = prob.solve(width=widths, seed=trial)
        assert [np.shape(W)[-1] for W in sol.weights[:-1]] == widths
        assert abs(prob.objective(sol.weights) - sol.value) <= 1e-12 * sol.value
        assert sol.certified and abs(sol.value - sol.dual_value) <= 1e-9 * sol.value
        ws = sol.weights
        assert np.allclose(ws[0] @ np.linalg.multi_dot(ws[1:]) if depth > 2 else ws[0] @ ws[1],
                           sol.w)
        for W in ws[: depth - 2]:
            assert np.linalg.norm(W) == pytest.approx(t, rel=1e-12)
        wd = dk.DeepLinearWeightDecay(X, y, beta=0.1, depth=depth)
        wsol = wd.solve(width=widths, seed=trial)
        assert abs(wd.objective(wsol.weights) - wd.end_to_end_objective(wsol.w)) <= 1e-12 * wsol.value


def test_zero_threshold_and_min_norm():
    X, y = dk.data.gaussian(n=20, d=10, seed=0)
    prob = dk.DeepLinear(X, y, 1.0, depth=4, t=2.0)
    assert prob.beta_max == pytest.approx(4.0 * np.linalg.norm(X.T @ y))
    above = dk.DeepLinear(X, y, 1.01 * prob.beta_max, depth=4, t=2.0).solve(width=3)
    assert np.all(above.w == 0) and above.value == pytest.approx(0.5 * y @ y)
    assert np.isfinite(dk.DeepLinear(X, y, 1.01 * prob.beta_max, 4, 2.0).objective(above.weights))
    Xs, ys = dk.data.gaussian(n=8, d=15, seed=1)
    interp = dk.DeepLinear(Xs, ys, 0.0, depth=5, t=1.5).solve(width=4)
    target = np.linalg.norm(np.linalg.pinv(Xs) @ ys) / 1.5**3
    assert interp.value == pytest.approx(target, rel=1e-7)
    assert interp.dual_value == pytest.approx(target, rel=1e-7)


@pytest.mark.medium
def test_sphere_layers_stay_feasible_during_training():
    X, y = dk.data.gaussian(n=20, d=10, seed=0)
    prob = dk.DeepLinear(X, y, 2.0, depth=5, t=0.7)
    net = prob.network([6, 5, 4, 3], seed=1)
    raw0 = [V.detach().clone() for V in net.layers[:3]]
    hist = dk.train(net, prob, steps=300, lr=5e-2, record_every=30, progress=False)
    for V0, V, W in zip(raw0, net.layers[:3], net.weights()[:3], strict=True):
        assert not np.isclose(float(V.detach().norm()), 0.7)  # the raw parameters are unconstrained...
        assert float((V.detach() - V0).norm()) > 1e-3  # ...and were trained
        assert np.linalg.norm(W) == pytest.approx(0.7, rel=1e-12)  # the layers are on the sphere
    assert np.isfinite(prob.objective(net))  # feasible for the NumPy objective's own check
    assert hist.objective[-1] < hist.objective[0]


@pytest.mark.medium
def test_train_best_reports_every_seed_and_keeps_the_best():
    X, y = dk.data.gaussian(n=20, d=10, seed=0)
    prob = dk.DeepLinear(X, y, 3.0, depth=4, t=1.5)
    net, hist, finals = dk.train_best(prob, 5, seeds=(0, 1), steps=100, optimizer="lbfgs",
                                      progress=False)
    assert set(finals) == {0, 1}
    assert hist.final_objective == min(finals.values())
    assert prob.objective(net) == pytest.approx(hist.final_objective, rel=1e-12)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(depth=1), "depth must be an integer >= 2"),
        (dict(depth=2.5), "depth must be an integer >= 2"),
        (dict(depth=True), "depth must be an integer >= 2"),
        (dict(t=0.0), "t must be a finite number > 0"),
        (dict(t=-1.0), "t must be a finite number > 0"),
        (dict(t=np.inf), "t must be a finite number > 0"),
        (dict(beta=-1.0), "beta is the regularization strength"),
    ],
)
def test_deep_linear_bad_input(kwargs, match):
    X, y = dk.data.gaussian(n=10, d=4, seed=0)
    args = dict(beta=1.0, depth=3, t=1.0) | kwargs
    with pytest.raises(ValueError, match=match):
        dk.DeepLinear(X, y, **args)


def test_deep_linear_bad_widths_weights_and_nets():
    X, y = dk.data.gaussian(n=10, d=4, seed=0)
    prob = dk.DeepLinear(X, y, 1.0, depth=4, t=1.0)
    for widths, match in [([3, 3], r"width needs 3 hidden width\(s\)"),
                          ([3, 0, 2], "width must be an integer >= 1; got 0"),
                          ("wide", "width must be an integer >= 1; got 'wide'"),
                          (0, "width must be an integer >= 1; got 0")]:
        with pytest.raises(ValueError, match=match):
            prob.network(widths)
        with pytest.raises(ValueError, match=match):
            prob.solve(width=widths)
    with pytest.raises(ValueError, match="weights must list depth = 4 layers"):
        prob.objective([np.ones((4, 2)), np.ones(2)])
    with pytest.raises(ValueError, match="W2 must have 2 rows"):
        prob.objective([np.ones((4, 2)), np.ones((3, 2)), np.ones((2, 2)), np.ones(2)])
    with pytest.raises(ValueError, match="w4 must have 2 entries"):
        prob.objective([np.ones((4, 2)), np.ones((2, 2)), np.ones((2, 2)), np.ones(3)])
    # a constrained layer outside its Frobenius ball is infeasible
    assert prob.objective([np.eye(4, 2) * 5, np.eye(2), np.eye(2), np.ones(2)]) == np.inf
    for wrong in (dk.TwoLayerLinear(X, y, 1.0).network(3),
                  dk.DeepLinearWeightDecay(X, y, 1.0, depth=4).network(3)):
        with pytest.raises(ValueError, match="depth-4 linear network"):
            dk.train(wrong, prob, steps=1, progress=False)
    with pytest.raises(ValueError, match="beta must be > 0"):
        dk.DeepLinearWeightDecay(X, y, 0.0, depth=3)
    with pytest.raises(ValueError, match="method must be one of"):
        dk.DeepLinearWeightDecay(X, y, 1.0, depth=3).solve(method="cvxpy")


@pytest.mark.medium
def test_chapter_trap_claims():
    """Chapter (a) and exercise 3: L-BFGS stalls at the zero network at depth 4 from every start,
    each stalled run has ||M^T X^T y|| < beta (frozen first layers); Adam escapes; depth 3 is fine.
    The exercise stops a run once its relative gap is below 1e-8."""
    X, y = dk.data.gaussian(n=20, d=10, seed=0)
    t = 1.5
    for L in (3, 4):
        p = dk.DeepLinear(X, y, 0.3 * np.linalg.norm(X.T @ y) * t ** (L - 2), depth=L, t=t)
        for opt, kw in [("lbfgs", dict(steps=10)), ("adam", dict(steps=1500, lr=2e-2))]:
            for s in range(4):
                net = p.network(6, seed=s)
                h = dk.train(net, p, optimizer=opt, tol=1e-8, progress=False, **kw)
                M = np.linalg.multi_dot([np.eye(10), *net.weights()[: L - 2]])
                ratio = np.linalg.norm(M.T @ X.T @ y) / p.beta
                if L == 4 and opt == "lbfgs":
                    assert h.final_objective == pytest.approx(0.5 * y @ y, rel=1e-9)
                    assert ratio < 1
                else:
                    assert h.final_rel_gap <= 1e-6
    prob = dk.DeepLinear(X, y, 0.3 * np.linalg.norm(X.T @ y) * t**2, depth=4, t=t)
    for seed in range(3):  # the chapter's first cell of experiment (a): 10 outer steps
        h = dk.train(prob.network(WIDTHS, seed=seed), prob, steps=10, optimizer="lbfgs",
                     progress=False)
        assert h.final_objective == pytest.approx(0.5 * y @ y, rel=1e-9)


@pytest.mark.slow
def test_chapter_beta_sweep_claims():
    """Chapter (b): below the threshold every trained layer is rank one, constrained layers have
    norm t and the last two are balanced; above it the last two layers vanish."""
    X, y = dk.data.gaussian(n=20, d=10, seed=0)
    t = 1.5
    base = dk.DeepLinear(X, y, 1.0, depth=4, t=t)
    last_norms = []
    for frac in (0.1, 0.4, 0.8, 1.1):
        p = dk.DeepLinear(X, y, frac * base.beta_max, depth=4, t=t)
        net, hist, _ = dk.train_best(p, WIDTHS, seeds=(0, 1), steps=1500, lr=2e-2,
                                     progress=False)
        summ = layer_summary(net.weights())
        assert hist.final_rel_gap <= 1e-6
        if frac < 1:
            assert np.all(summ["rank"] == 1) and np.all(summ["rank_one_ratio"] <= 1e-4)
            assert np.allclose(summ["frobenius"][:2], t, rtol=1e-12)
            assert summ["frobenius"][2] == pytest.approx(summ["frobenius"][3], rel=1e-5)
            last_norms.append(summ["frobenius"][2])
        else:  # the figure's rule for a vanished layer: below 1e-6 of the largest layer norm
            assert np.all(summ["frobenius"][2:] <= 1e-6 * summ["frobenius"].max())
    assert np.all(np.diff(last_norms) < 0)  # "a norm that shrinks with beta"


def _brute_force_weight_decay(X, y, beta, L, points=200_000):
    """Minimum over w = 0 and a dense log grid of the ridge path (no root finding)."""
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    keep = s > s[0] * max(X.shape) * np.finfo(float).eps
    s, Vt, c = s[keep], Vt[keep], U[:, keep].T @ y
    mus = np.logspace(-30, 30, points) * s[0] ** 2
    best = 0.5 * y @ y
    for chunk in np.array_split(mus, 50):
        coef = s * c / (s**2 + chunk[:, None])
        resid2 = y @ y - c @ c + np.sum((c - s * coef) ** 2, axis=1)
        vals = 0.5 * resid2 + 0.5 * beta * L * np.linalg.norm(coef, axis=1) ** (2 / L)
        best = min(best, float(vals.min()))
    return best


@pytest.mark.parametrize("case", range(8))
def test_weight_decay_optimum_matches_brute_force(case):
    rng = np.random.default_rng(case)
    n, d = int(rng.integers(3, 30)), int(rng.integers(2, 15))
    U, _ = np.linalg.qr(rng.standard_normal((n, n)))
    V, _ = np.linalg.qr(rng.standard_normal((d, d)))
    r = min(n, d)
    X = U[:, :r] @ np.diag(np.logspace(0, -float(rng.uniform(0, 6)), r)) @ V[:, :r].T
    y = rng.standard_normal(n) * 10 ** rng.uniform(-3, 3)
    L = int(rng.integers(2, 7))
    beta = float(10 ** rng.uniform(-6, 1)) * np.linalg.norm(X.T @ y) ** (2 - 2 / L)
    sol = dk.DeepLinearWeightDecay(X, y, beta, depth=L).solve()
    brute = _brute_force_weight_decay(X, y, beta, L)
    assert sol.value <= brute * (1 + 1e-9) + 1e-300


@pytest.mark.medium
def test_weight_decay_ill_conditioned_large_uses_the_svd():
    """Review finding: the Gram route silently lost the optimum (4.57 instead of 7.5e-8)."""
    rng = np.random.default_rng(0)
    U, _ = np.linalg.qr(rng.standard_normal((2000, 100)))
    V, _ = np.linalg.qr(rng.standard_normal((100, 100)))
    X = U @ np.diag(np.logspace(0, -7, 100)) @ V.T
    y = U @ rng.standard_normal(100)
    prob = dk.DeepLinearWeightDecay(X, y, 1e-12, depth=3)
    assert prob.ridge_path.method == "svd"
    assert prob.solve().value <= _brute_force_weight_decay(X, y, 1e-12, 3, points=20_000) * (1 + 1e-9)


def test_robustness_and_validation_from_review():
    X, y = dk.data.gaussian(n=10, d=4, seed=0)
    for t in (1e-200, 1e200):
        with pytest.raises(ValueError, match="choose t closer to 1"):
            dk.DeepLinear(X, y, 1.0, depth=6, t=t)
    prob = dk.DeepLinear(X, y, 1.0, depth=3, t=2.0)
    assert prob.network(width=4).widths == [4, 4]  # DESIGN's `width=` keyword works too
    assert [np.shape(W) for W in prob.solve(width=2).weights] == [(4, 2), (2, 2), (2,)]
    with pytest.raises(ValueError, match="betas must be a 1-D sequence"):
        prob.path(np.ones((2, 2)))
    with pytest.raises(ValueError, match="grid must be an integer >= 10"):
        dk.DeepLinearWeightDecay(X, y, 1.0, depth=3).stationary_points(grid=1)
    with pytest.raises(ValueError, match="t must be a finite number >= 0"):
        dk.deep_weights(np.ones(4), [2, 2], -1.0, 1)
    with pytest.raises(ValueError, match=r"widths needs 3 hidden width\(s\)"):
        dk.deep_weights(np.ones(4), [2, 2], 1.0, 2)
    with pytest.raises(ValueError, match="radius must be a finite number > 0"):
        dk.nets.DeepLinearNet(4, [3, 3], sphere_layers=1, radius=-1.0)
    with pytest.raises(ValueError, match="sphere_layers must be between"):
        dk.nets.DeepLinearNet(4, [3, 3], sphere_layers=1.5)
    zero = dk.DeepLinear(X, y, 10 * prob.beta_max, depth=3, t=2.0).solve(width=3).weights
    assert np.isnan(dk.diagnostics.layer_alignment(zero)[-1])  # a zero layer has no direction


@pytest.mark.medium
def test_train_best_survives_a_diverging_seed(monkeypatch):
    X, y = dk.data.gaussian(n=20, d=10, seed=0)
    prob = dk.DeepLinear(X, y, 3.0, depth=3, t=1.0)
    real_train = dk.train_best.__globals__["train"]

    def flaky(net, p, **kw):
        if flaky.calls == 0:
            flaky.calls += 1
            raise RuntimeError("training diverged by step 3")
        flaky.calls += 1
        return real_train(net, p, **kw)

    flaky.calls = 0
    monkeypatch.setitem(dk.train_best.__globals__, "train", flaky)
    net, hist, finals = dk.train_best(prob, 4, seeds=(0, 1), steps=50, optimizer="lbfgs",
                                      progress=False)
    assert finals[0] == np.inf and np.isfinite(finals[1])
    with pytest.raises(ValueError, match="seeds must be distinct"):
        dk.train_best(prob, 4, seeds=(1, 1))


def test_layer_table_and_structure_figure():
    """The chapter's layer tables (dk.diagnostics.layer_table) and the rank panel of
    dk.plot.layer_structure: an integer axis from 0, not 0.88 to 1.12 with offset labels."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    X, y = dk.data.gaussian(n=20, d=10, seed=0)
    prob = dk.DeepLinear(X, y, 0.3 * np.linalg.norm(X.T @ y) * T**2, depth=4, t=T)
    sol = prob.solve(width=WIDTHS)
    tab = dk.diagnostics.layer_table(sol.weights, direction=X.T @ sol.dual)
    assert len(tab) == 4 and tab.cells()[0][1] == "10×8" and tab.cells()[3][1] == "5"
    assert [r["rank"] for r in tab.rows] == [1, 1, 1, 1]
    assert all(float(r[r"$1-|\langle q_l,p_{l+1}\rangle|$"]) < 1e-12 for r in tab.rows[:3])
    assert "<table" in tab._repr_html_()
    fig = dk.plot.layer_structure({"a": sol.weights, "b": sol.weights})
    ax_r = fig.axes[0]
    lo, hi = ax_r.get_ylim()
    assert lo < 0 < 1 < hi <= 1.6
    ticks = [t for t in ax_r.get_yticks() if lo <= t <= hi]
    assert all(float(t).is_integer() for t in ticks) and {0.0, 1.0} <= set(ticks)
    assert fig.legends and not ax_r.get_legend()          # one legend, outside the panels
    plt.close(fig)


def test_singular_value_figure_highlights_the_survivor():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    X, y = dk.data.gaussian(n=20, d=10, seed=0)
    prob = dk.DeepLinear(X, y, 1.0, depth=4, t=T)
    hist = dk.train(prob.network(WIDTHS, seed=0), prob, steps=5, progress=False)
    fig = dk.plot.singular_values(hist, layer=None, top=None, highlight=1)
    panels = [ax for ax in fig.axes]
    # every singular value of every matrix layer is drawn: 8, 6 and 5 of them
    assert [len(ax.get_lines()) for ax in panels] == [8, 6, 5]
    assert [t.get_text() for t in fig.legends[0].get_texts()] == [
        "$\\sigma_{1}$", "$\\sigma_{2},\\sigma_{3},\\dots$ (the others)"]
    plt.close(fig)
    fig = dk.plot.singular_values(hist, layer=0, top=None, highlight=1)
    assert len(fig.axes[0].get_lines()) == 8 and len(fig.axes[0].get_legend().get_texts()) == 2
    plt.close(fig)
