"""The numbers the vector-outputs chapter states, computed on its own data."""

import numpy as np

import dualkit as dk


def test_rank_follows_the_singular_values_at_the_chapters_betas():
    Xw, Yw = dk.data.vector_regression(n=100, d=20, K=5, rank=3, seed=0, whiten=True)
    sig = np.linalg.svd(Xw.T @ Yw, compute_uv=False)
    betas = np.sort(np.r_[np.geomspace(0.3 * sig[-1], 1.3 * sig[0], 8), (sig[1:] + sig[:-1]) / 2])
    for b in betas:
        p = dk.TwoLayerLinear(Xw, Yw, b)
        net = p.network(50, seed=0)
        dk.train(net, p, steps=150, optimizer="lbfgs", progress=False)
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


def test_deep_gap_ranks_as_stated():
    X, Y = dk.data.vector_regression(n=30, d=10, K=4, rank=3, seed=0)
    beta = 0.3 * np.linalg.norm(X.T @ Y, 2)
    assert np.linalg.matrix_rank(dk.TwoLayerLinear(X, Y, beta).solve().w, 1e-8) == 2
    deep = dk.DeepLinear(X, Y, beta, depth=3, t=1.0).solve()
    assert np.linalg.matrix_rank(deep.w, 1e-8) == 1 and not deep.certified
    assert deep.rel_gap > 0.1  # "well above the nuclear-norm bound"


def test_exercise_gap_reappears_for_small_beta():
    X1, Y1 = dk.data.vector_regression(n=30, d=10, K=4, rank=1, noise=1.0, seed=0)
    for frac, certified, rank in [(0.5, True, 1), (0.1, True, 1), (0.03, False, 4)]:
        p1 = dk.DeepLinear(X1, Y1, frac * np.linalg.norm(X1.T @ Y1, 2), depth=4, t=1.2)
        assert p1.solve().certified is certified
        assert np.linalg.matrix_rank(p1.convex.solve().w, 1e-8) == rank
