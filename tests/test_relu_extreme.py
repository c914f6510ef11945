"""An extreme optimum of the two-layer ReLU program (issue 22): ``TwoLayerReLU.solve()`` reduces
its answer to at most rank [V; 1^T] <= n + 1 neurons (Caratheodory). Every claim computes both
sides: the count against the rank of the unreduced network's [outputs; costs] computed from its
weights, the objective of the reduced network against the unreduced one's, the certificate,
every reduced block against its cone matrix, and neurons that must collapse into one."""

from __future__ import annotations

import numpy as np
import pytest

import dualkit as dk
from dualkit.solvers.extreme import extreme_blocks
from dualkit.solvers.relu_program import Blocks, cone_group_lasso

BIASES = ("none", "regularized", "free")


def neuron_table(prob, weights):
    """(outputs (n, m), costs (m,), unit directions (p, m), output signs (m,)) of the network's
    neurons with a non-zero weight decay share, computed from the weights alone."""
    W1, w2 = np.asarray(weights[0]), np.asarray(weights[1])
    b = weights.biases[0]
    pre = prob.X @ W1 + (0.0 if b is None else np.asarray(b)[None, :])
    out = np.maximum(pre, 0.0) * w2[None, :]
    U = np.vstack([W1, np.asarray(b)[None, :]]) if prob.bias == "regularized" else W1
    cost = np.linalg.norm(U, axis=0) * np.abs(w2)
    used = cost > 0
    dirs = U[:, used] / np.linalg.norm(U[:, used], axis=0)
    return out[:, used], cost[used], dirs, np.sign(w2[used])


def rank_bound(prob, weights) -> int:
    """rank [V; 1^T] = rank [c_j v_j; c_j] (scaling columns keeps the rank), from the weights."""
    out, cost, _, _ = neuron_table(prob, weights)
    A = np.vstack([out, cost[None, :] * np.linalg.norm(out, axis=0).max() / cost.max()])
    sv = np.linalg.svd(A, compute_uv=False)
    return int(np.sum(sv > 1e-12 * sv[0]))


def check_reduced(prob, full, red):
    n = prob.n
    k_full, k_red = full.info["active_blocks"], red.info["active_blocks"]
    assert red.info["neurons_before_reduction"] == k_full
    assert "extreme" not in full.info and "reason" not in red.info["extreme"]
    # the count: at most rank [V; 1^T] of the unreduced network, at most n + 1
    r = rank_bound(prob, full.weights)
    out_r, cost_r, dirs_r, sgn_r = neuron_table(prob, red.weights)
    assert k_red == cost_r.size <= r <= n + 1
    assert k_red <= k_full
    # the same objective, loss and regularizer, and the certificate where the original had one
    f_full, f_red = prob.objective(full.weights), prob.objective(red.weights)
    assert f_red == pytest.approx(f_full, rel=1e-9)
    assert red.value == pytest.approx(full.value, rel=1e-9)
    out_f, cost_f, dirs_f, sgn_f = neuron_table(prob, full.weights)
    scale = np.sum(cost_f * np.linalg.norm(out_f, axis=0))
    assert np.linalg.norm(out_r.sum(axis=1) - out_f.sum(axis=1)) <= 1e-10 * scale
    assert cost_r.sum() == pytest.approx(cost_f.sum(), rel=1e-10)
    if full.certified:
        assert red.certified
    # every reduced neuron is one of the original neurons, rescaled (so in the same cone)
    cos = (dirs_r.T @ dirs_f) * (sgn_r[:, None] == sgn_f[None, :])
    assert np.all(cos.max(axis=1) > 1 - 1e-12)


@pytest.mark.medium
@pytest.mark.parametrize("bias", BIASES)
@pytest.mark.parametrize("seed, beta", [(0, 1e-2), (1, 3e-2), (2, 1e-3)])
def test_squared_loss_reduces_to_at_most_n_plus_1_neurons(bias, seed, beta):
    X, y = dk.data.sine_features(n=20, d=2, seed=seed, noise=0.1)
    prob = dk.TwoLayerReLU(X, y, beta=beta, bias=bias)
    full, red = prob.solve(extreme=False), prob.solve()
    assert full.certified
    check_reduced(prob, full, red)


@pytest.mark.medium
@pytest.mark.parametrize("loss", ("hinge", "logistic"))
@pytest.mark.parametrize("bias", BIASES)
def test_classification_losses_via_cvxpy(loss, bias):
    X, y = dk.data.sine_features(10, d=2, seed=0)
    labels = np.where(y >= 0, 1.0, -1.0)
    prob = dk.TwoLayerReLU(X, labels, 0.05, bias=bias, loss=loss)
    full, red = prob.solve(extreme=False), prob.solve()
    assert full.method == red.method == "cvxpy"
    check_reduced(prob, full, red)


def cone_ok(blocks, U, idx, tol=1e-9) -> bool:
    """A_j u_j >= -tol ||A_j|| ||u_j|| for every block, with the block's cone matrix."""
    for j, u in zip(idx, U.T, strict=True):
        A = blocks.cone_matrix(int(j))
        if A.size and np.min(A @ u) < -tol * np.abs(A).max() * np.linalg.norm(u):
            return False
    return True


@pytest.mark.medium
@pytest.mark.parametrize("bias", ("regularized", "free"))
def test_reduced_blocks_stay_in_their_cones(bias):
    X, y = dk.data.sine_features(n=20, d=2, seed=0, noise=0.1)
    prob = dk.TwoLayerReLU(X, y, beta=1e-2, bias=bias)
    fit = cone_group_lasso(prob.blocks, prob.y, prob.beta, free_b0=prob.free)
    assert cone_ok(prob.blocks, fit.U, fit.idx)
    U, idx, signs, info = extreme_blocks(prob.blocks, fit.U, fit.idx, fit.signs)
    assert "reason" not in info and info["after"] == U.shape[1] <= info["rank"] <= prob.n + 1
    assert info["before"] == int(np.sum(np.linalg.norm(fit.U, axis=0) > 0)) > info["after"]
    assert cone_ok(prob.blocks, U, idx)
    assert info["pred_error"] <= 1e-12 and info["sum_error"] <= 1e-12
    # the same predictions and cost, computed through the network weights
    w_full = prob.block_weights(fit.U, fit.idx, fit.signs, fit.b0)
    w_red = prob.block_weights(U, idx, signs, fit.b0)
    assert prob.objective(w_red) == pytest.approx(prob.objective(w_full), rel=1e-12)


def test_split_neurons_collapse_into_one():
    """One block split into pieces of the same direction (halves, and 7 uneven parts plus a
    copy with the other sign's partner absent) is one neuron after the reduction."""
    X, y = dk.data.sine_features(n=20, d=2, seed=0, noise=0.1)
    prob = dk.TwoLayerReLU(X, y, beta=1e-2, bias="regularized")
    fit = cone_group_lasso(prob.blocks, prob.y, prob.beta)
    j = int(np.argmax(np.linalg.norm(fit.U, axis=0)))
    u, b, s = fit.U[:, j], fit.idx[j], fit.signs[j]
    for parts in (np.array([0.5, 0.5]), np.array([0.1, 0.3, 0.05, 0.2, 0.15, 0.12, 0.08])):
        U = u[:, None] * parts[None, :]
        k = parts.size
        U2, idx2, signs2, info = extreme_blocks(prob.blocks, U, np.full(k, b), np.full(k, s))
        assert info["rank"] == 1 and U2.shape[1] == 1 and "reason" not in info
        np.testing.assert_allclose(U2[:, 0], u, rtol=1e-13, atol=1e-15 * np.abs(u).max())
        assert idx2[0] == b and signs2[0] == s
    # every block of the optimum duplicated in halves: back to at most the rank
    U = np.hstack([fit.U / 2, fit.U / 2])
    idx, signs = np.r_[fit.idx, fit.idx], np.r_[fit.signs, fit.signs]
    U2, idx2, signs2, info = extreme_blocks(prob.blocks, U, idx, signs)
    _, _, _, info1 = extreme_blocks(prob.blocks, fit.U, fit.idx, fit.signs)
    assert U2.shape[1] <= info1["rank"] == info["rank"]
    w_full = prob.block_weights(fit.U, fit.idx, fit.signs)
    w_red = prob.block_weights(U2, idx2, signs2)
    assert prob.objective(w_red) == pytest.approx(prob.objective(w_full), rel=1e-12)


def test_trivial_and_bad_inputs():
    X, y = dk.data.sine_features(n=12, d=2, seed=0)
    prob = dk.TwoLayerReLU(X, y, beta=10 * dk.TwoLayerReLU(X, y, 1.0).beta_max)
    sol = prob.solve()                 # the zero network: nothing to reduce
    assert sol.info["neurons_before_reduction"] == sol.info["active_blocks"] == 0
    U = np.ones((3, 2))
    with pytest.raises(ValueError, match="extreme_blocks needs U of shape"):
        extreme_blocks(prob.blocks, U, np.zeros(3, int), np.ones(2))


def test_independent_neurons_are_kept_as_they_are():
    """Tall [V; 1^T] of full column rank (random neurons on 200 points; the Gram test) and an
    extreme optimum reduced again: nothing changes."""
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((200, 3)), rng.standard_normal(200)
    prob = dk.TwoLayerReLU(X, y, beta=1.0, patterns=50, seed=0)
    B = prob.blocks
    k = 30
    W = rng.standard_normal((B.M.shape[1], k))
    D = B.M @ W >= 0
    own = Blocks(B.M, D, -np.ones(k, int))
    signs = rng.choice([-1.0, 1.0], k)
    U2, idx2, signs2, info = extreme_blocks(own, W, np.arange(k), signs)
    assert info["after"] == info["before"] == info["rank"] == k
    np.testing.assert_array_equal(U2, W)
    X, y = dk.data.sine_features(n=20, d=2, seed=0, noise=0.1)
    prob = dk.TwoLayerReLU(X, y, beta=1e-2, bias="free")
    fit = cone_group_lasso(prob.blocks, prob.y, prob.beta, free_b0=True)
    U, idx, signs, info = extreme_blocks(prob.blocks, fit.U, fit.idx, fit.signs)
    U2, idx2, signs2, info2 = extreme_blocks(prob.blocks, U, idx, signs)
    assert info2["after"] == info2["before"] == info["after"]
    np.testing.assert_allclose(U2, U, rtol=1e-12, atol=1e-14 * np.abs(U).max())
