"""The numbers the vector-outputs chapter states, computed on its own data."""

import numpy as np
import pytest

import dualkit as dk


@pytest.mark.medium
def test_rank_follows_the_singular_values_at_the_chapters_betas():
    Xw, Yw = dk.data.vector_regression(n=100, d=20, K=5, rank=3, seed=0, whiten=True)
    sig = np.linalg.svd(Xw.T @ Yw, compute_uv=False)
    betas = np.sort(np.r_[np.geomspace(0.3 * sig[-1], 1.3 * sig[0], 8), (sig[1:] + sig[:-1]) / 2])
    for b in betas:
        p = dk.TwoLayerLinear(Xw, Yw, b)
        net = p.network(50, seed=0)
        dk.train(net, p, steps=30, optimizer="lbfgs", progress=False)
        rank = dk.diagnostics.numerical_rank(net.weights()[0], atol=1e-4 * np.sqrt(sig[0]))
        assert rank == int(np.sum(sig > b)), b


def test_losses_on_the_chapters_data():
    Xc, yc = dk.data.gaussian(n=30, d=5, seed=0)
    labels = np.sign(yc + 0.3 * np.random.default_rng(1).standard_normal(30))
    classes = np.eye(3)[np.digitize(yc, np.quantile(yc, [1 / 3, 2 / 3]))]
    for loss, target in [("squared", yc), ("absolute", yc), ("hinge", labels),
                         ("logistic", labels), ("cross_entropy", classes)]:
        s = dk.TwoLayerLinear(Xc, target, beta=1.0, loss=loss).solve()
        assert s.certified and abs(s.value - s.dual_value) <= 1e-6 * s.value
        w = s.w if s.w.ndim == 2 else s.w[:, None]
        kkt = np.sum((Xc.T @ s.dual).reshape(w.shape) * w) / np.linalg.svd(w, compute_uv=False).sum()
        assert abs(kkt - 1.0) <= 1e-5  # <X^T lam*, W*> = beta ||W*||_* with beta = 1


def _rank(W):
    return dk.diagnostics.numerical_rank(W, rtol=1e-8)  # the chapter's rank rule


def test_gap_is_decided_by_the_rank_of_the_nuclear_norm_optimum():
    """The chapter's example: the best deep point is rank one, yet the nuclear-norm optimum at
    beta_eff is rank two, so there is a gap (the proposition), well above the bound."""
    X, Y = dk.data.vector_regression(n=30, d=10, K=4, rank=3, seed=0)
    deep = dk.DeepLinear(X, Y, 0.3 * np.linalg.norm(X.T @ Y, 2), depth=3, t=1.0)
    sol = deep.solve()
    nuc = deep.convex.solve()
    assert _rank(nuc.w) == 2 and _rank(sol.w) == 1 and not sol.certified
    assert sol.dual_value == pytest.approx(nuc.value, rel=1e-8)  # D* is the value of (C3)
    assert sol.rel_gap > 0.1  # measured 17.9 %, glued in the chapter
    # both sides of the proposition: at the rank-two nuclear optimum the deep objective (S3) is
    # strictly above the nuclear one, so the bound is not attained there
    assert deep.schatten_objective(nuc.w) > nuc.value * (1 + 1e-3)
    # X has full column rank: the nuclear-norm optimum is unique, so no rank-one solution exists
    assert np.linalg.matrix_rank(X) == X.shape[1]


def test_rank_one_nuclear_optimum_closes_the_gap_and_rank_four_opens_it():
    """Exercise ex-vector-gap: certified exactly while the nuclear-norm optimum is rank one;
    at 0.03 ||X^T Y|| it has rank four and the gap is positive, the best deep point rank one."""
    X1, Y1 = dk.data.vector_regression(n=30, d=10, K=4, rank=1, noise=1.0, seed=0)
    for frac, certified, rank in [(0.5, True, 1), (0.1, True, 1), (0.03, False, 4)]:
        p1 = dk.DeepLinear(X1, Y1, frac * np.linalg.norm(X1.T @ Y1, 2), depth=4, t=1.2)
        s1, nuc = p1.solve(), p1.convex.solve()
        assert s1.certified is certified and _rank(nuc.w) == rank
        if certified:  # rank one: the two objectives agree at the nuclear optimum, zero gap
            assert abs(s1.rel_gap) <= 1e-9
            assert p1.schatten_objective(nuc.w) == pytest.approx(nuc.value, rel=1e-12)
        else:
            assert s1.rel_gap > 1e-3 and _rank(s1.w) == 1


def test_parallel_network_attains_the_nuclear_bound():
    """The paper's rank-K claim is about parallel networks: one aligned rank-one path per
    singular pair of the nuclear optimum, each with its own budget t, attains D* (zero gap), and
    the layers stacked across sub-networks have the nuclear optimum's rank, aligned with it."""
    X, Y = dk.data.vector_regression(n=30, d=10, K=4, rank=3, seed=0)
    t, L, m = 1.3, 4, 3
    deep = dk.DeepLinear(X, Y, 0.3 * np.linalg.norm(X.T @ Y, 2) * t ** (L - 2), depth=L, t=t)
    nuc = deep.convex.solve()
    Phi, vs, Psit = np.linalg.svd(nuc.w, full_matrices=False)
    r = _rank(nuc.w)
    rng = np.random.default_rng(0)
    subnets = []
    for k in range(r):  # sub-network k: W_l = t rho_{l-1} rho_l^T, then rho v^T, v psi_k^T
        rhos = [Phi[:, k]] + [rng.standard_normal(m) for _ in range(L - 2)]
        rhos = [x / np.linalg.norm(x) for x in rhos]
        layers = [t * np.outer(rhos[i], rhos[i + 1]) for i in range(L - 2)]
        v = np.full(m, np.sqrt(vs[k] / t ** (L - 2) / m))
        layers += [np.outer(rhos[-1], v), np.outer(v, Psit[k])]
        subnets.append(layers)
    for layers in subnets:  # each sub-network is feasible for (P2): ||W_l||_F <= t
        assert all(np.linalg.norm(W) <= t * (1 + 1e-12) for W in layers[: L - 2])
    W = sum(np.linalg.multi_dot(layers) for layers in subnets)
    reg = sum(0.5 * (np.sum(ls[-2] ** 2) + np.sum(ls[-1] ** 2)) for ls in subnets)
    value = 0.5 * np.sum((X @ W - Y) ** 2) + deep.beta * reg
    assert np.allclose(W, nuc.w, atol=1e-12 * np.linalg.norm(nuc.w))
    assert value == pytest.approx(nuc.value, rel=1e-10)  # attains the dual bound D*
    first = np.hstack([ls[0] for ls in subnets])  # the first layers stacked across sub-networks
    assert _rank(first) == r == 2
    assert np.allclose(first @ first.T, Phi[:, :r] @ Phi[:, :r].T * t**2, atol=1e-12)
    # one shared chain (P2) cannot: its best point stays strictly above the same bound
    assert deep.solve().rel_gap > 1e-3
