"""The claims of the real-data chapter (chapters/real_data.md), computed on its own data, in the
chapter's words: every bound on a trained network holds with a margin, on any CPU."""

import numpy as np
import pytest

import dualkit as dk

NAMES = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]


# ---------------------------------------------------------------- the data loaders
@pytest.mark.medium
def test_digits_loader():
    X, Y, labels = dk.data.digits(n=500, seed=0, return_labels=True)
    assert X.shape == (500, 64) and Y.shape == (500, 10) and labels.shape == (500,)
    assert np.array_equal(Y.argmax(axis=1), labels) and np.all(Y.sum(axis=1) == 1)
    assert np.allclose(X.mean(axis=0), 0, atol=1e-12)
    sd = X.std(axis=0)
    assert np.all((np.abs(sd - 1) < 1e-12) | (sd == 0))
    X2, Y2 = dk.data.digits(n=500, seed=0)
    assert np.array_equal(X, X2) and np.array_equal(Y, Y2)            # seeded
    assert not np.array_equal(dk.data.digits(n=500, seed=1)[0], X)
    assert dk.data.digits()[0].shape == (1797, 64)
    Xw, Yw = dk.data.digits(n=500, seed=0, whiten=True)
    assert np.allclose(Xw.T @ Xw, np.eye(Xw.shape[1]), atol=1e-12)
    assert np.array_equal(Yw, Y)
    # the whitened inputs span the same space as the standardized pixels
    assert np.allclose(Xw @ (Xw.T @ X), X, atol=1e-10)


def test_diabetes_loader():
    X, y = dk.data.diabetes()
    assert X.shape == (442, 10) and y.shape == (442,)
    assert np.allclose(X.mean(axis=0), 0, atol=1e-12) and np.allclose(X.std(axis=0), 1)
    assert abs(y.mean()) < 1e-12 and abs(y.std() - 1) < 1e-12
    Xb, yb = dk.data.diabetes(features=["bmi"])
    assert Xb.shape == (442, 1) and np.allclose(Xb[:, 0], X[:, 2]) and np.allclose(yb, y)
    Xs, ys = dk.data.diabetes(n=100, seed=3)
    assert Xs.shape == (100, 10)
    assert np.array_equal(Xs, dk.data.diabetes(n=100, seed=3)[0])


@pytest.mark.parametrize("call, match", [
    (lambda: dk.data.digits(n=2000), "at most 1797"),
    (lambda: dk.data.digits(n=0), "n"),
    (lambda: dk.data.digits(n=10, seed=-1), "seed"),
    (lambda: dk.data.digits(whiten="yes"), "whiten"),
    (lambda: dk.data.diabetes(n=443), "at most 442"),
    (lambda: dk.data.diabetes(features="bmi"), "list of names"),
    (lambda: dk.data.diabetes(features=["bmi", "weight"]), "names from"),
    (lambda: dk.data.diabetes(features=[]), "non-empty"),
])
def test_loaders_reject_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ---------------------------------------------------------------- digits, whitened
@pytest.mark.medium
def test_digits_rank_follows_beta_and_training_meets_the_optimum():
    Xw, Yw = dk.data.digits(n=500, seed=0, whiten=True)
    assert Xw.shape[1] == 60                                  # rank of the standardized pixels
    sig = np.linalg.svd(Xw.T @ Yw, compute_uv=False)
    assert sig[9] < 1e-12 * sig[0]                       # "the tenth singular value is zero"
    betas = np.r_[sig[8] / 2, (sig[1:9] + sig[:8]) / 2, 1.1 * sig[0]]
    for b in betas:
        p = dk.TwoLayerLinear(Xw, Yw, b)
        s = p.solve()
        assert s.certified
        assert np.linalg.matrix_rank(s.w, 1e-8 * sig[0]) == int(np.sum(sig > b))
        net = p.network(12, seed=0)
        dk.train(net, p, steps=30, optimizer="lbfgs", progress=False)
        rank = dk.diagnostics.numerical_rank(net.weights()[0], atol=1e-4 * np.sqrt(sig[0]))
        assert rank == int(np.sum(sig > b)), b              # "the trained rank equals the prediction"
        gap = (p.objective(net) - s.dual_value) / s.dual_value
        assert -1e-12 < gap < 1e-9, (b, gap)                # "below 1e-9 at every beta"


# ---------------------------------------------------------------- digits, standardized
def test_digits_without_whitening():
    X, Y, labels = dk.data.digits(n=500, seed=0, return_labels=True)
    dig = dk.TwoLayerLinear(X, Y, beta=0.2 * np.linalg.norm(X.T @ Y, 2))
    dsol = dig.solve()
    assert dsol.method == "fista" and dsol.certified and abs(dsol.rel_gap) < 1e-9
    sv_opt = np.linalg.svd(dsol.w, compute_uv=False)
    assert int(np.sum(sv_opt > 1e-6 * sv_opt[0])) == 9                 # "rank 9, at most nine"
    net = dig.network(12, seed=0)
    hist = dk.train(net, dig, steps=30, optimizer="lbfgs", progress=False)
    assert -1e-12 < hist.final_rel_gap < 1e-9
    sv_net = np.linalg.svd(net.end_to_end(), compute_uv=False)
    assert np.abs(sv_net - sv_opt).max() < 1e-6                          # "equal to those of W*"
    # the extra singular values of W1 "decay to zero", the others settle at sqrt(sigma_k(W*))
    sv_W1 = np.linalg.svd(net.weights()[0], compute_uv=False)
    assert np.allclose(sv_W1[:9], np.sqrt(sv_opt[:9]), rtol=1e-5) and sv_W1[9:].max() < 1e-5
    G, sG, _ = np.linalg.svd(X.T @ dsol.dual, full_matrices=False)
    top = G[:, sG >= dig.beta * (1 - 1e-6)]
    assert top.shape[1] == 9 and sG.max() <= dig.beta * (1 + 1e-9)     # "in 9 directions"
    W1 = net.weights()[0]
    assert np.linalg.norm(W1 - top @ (top.T @ W1)) / np.linalg.norm(W1) < 1e-6  # "in their span"
    assert np.mean((X @ dsol.w).argmax(axis=1) == labels) > 0.9         # "a reasonable classifier"


# ---------------------------------------------------------------- diabetes
@pytest.mark.medium
def test_diabetes_scalar_output():
    Xd, yd = dk.data.diabetes()
    dia = dk.TwoLayerLinear(Xd, yd, beta=0.1 * np.linalg.norm(Xd.T @ yd))
    sol, ref = dia.solve(), dia.solve(method="cvxpy")
    assert sol.certified and abs(sol.rel_gap) < 1e-12
    assert abs(sol.value - ref.value) / sol.value < 1e-8
    for seed in (0, 1, 2):                                 # "all three trained networks reach it"
        net = dia.network(width=10, seed=seed)
        dk.train(net, dia, steps=50, optimizer="lbfgs", progress=False)
        assert -1e-12 < dia.relative_gap(net) < 1e-9, seed
    W1, _ = net.weights()
    assert dk.diagnostics.rank_one_ratio(W1) < 1e-6                      # "rank one"
    u_star = Xd.T @ sol.dual / np.linalg.norm(Xd.T @ sol.dual)
    p1, _ = dk.diagnostics.top_singular_vectors(W1)
    assert 1 - dk.diagnostics.alignment(p1, u_star) < 1e-9               # "points along u*"
    top = [NAMES[i] for i in np.argsort(-np.abs(u_star))[:2]]
    assert top == ["bmi", "s5"]                        # "largest entries: bmi and s5"
