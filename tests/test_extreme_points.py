"""The extreme-point statement of the preliminaries (sec-extreme-points), computed on its data:
the optimal neuron returned by solve() is the extreme point exposed by the dual solution."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import dualkit as dk  # noqa: E402

CIRCLE = np.stack([np.cos(t := np.linspace(0, 2 * np.pi, 3601)), np.sin(t)])


def _linear_problem():
    X, y = dk.data.gaussian(n=20, d=2, seed=0)
    X = X @ np.array([[1.5, 0.5], [0.0, 0.6]])
    return dk.TwoLayerLinear(X, y, beta=0.3 * np.linalg.norm(X.T @ y))


def _relu_problem():
    Xr, yr = dk.data.sine_features(n=12, d=2, seed=0)
    return dk.TwoLayerReLU(Xr, yr, beta=0.1, bias="none")


def _used(weights):
    W1, w2 = np.asarray(weights[0]), np.asarray(weights[1])
    cost = np.linalg.norm(W1, axis=0) * np.abs(w2)
    used = cost > 1e-8 * cost.sum()
    return W1[:, used] / np.linalg.norm(W1[:, used], axis=0), np.sign(w2[used])


@pytest.mark.parametrize("seed", range(6))
def test_linear_optimal_neuron_is_the_exposed_extreme_point(seed):
    """u from solve() equals X^T lam*/||X^T lam*||, ||X^T lam*|| = beta, and u maximizes the
    linear function lam*^T X u over the unit ball (checked against a grid and Cauchy-Schwarz)."""
    if seed == 0:
        prob = _linear_problem()
    else:
        rng = np.random.default_rng(seed)
        X, y = dk.data.gaussian(n=15 + seed, d=2 + seed % 3, seed=seed)
        prob = dk.TwoLayerLinear(X, y, beta=rng.uniform(0.05, 0.9) * np.linalg.norm(X.T @ y))
    sol = prob.solve()
    assert sol.certified
    g = prob.X.T @ sol.dual
    assert abs(np.linalg.norm(g) / prob.beta - 1) < 1e-9
    u_star = g / np.linalg.norm(g)
    dirs, signs = _used(sol.weights)
    assert np.max(np.linalg.norm(dirs * signs - u_star[:, None], axis=0)) < 1e-9
    # no unit vector does better than u*: lam^T X u <= ||X^T lam|| (and the grid agrees)
    if prob.d == 2:
        assert (sol.dual @ prob.X @ CIRCLE).max() <= prob.beta * (1 + 1e-12)
    rng = np.random.default_rng(seed + 100)
    V = rng.standard_normal((prob.d, 2000))
    V /= np.linalg.norm(V, axis=0)
    assert (sol.dual @ prob.X @ V).max() < sol.dual @ prob.X @ u_star * (1 + 1e-12)


def test_chapter_linear_numbers_and_trained_network():
    prob = _linear_problem()
    sol = prob.solve()
    g = prob.X.T @ sol.dual
    assert abs(np.linalg.norm(g) / prob.beta - 1) < 1e-12          # "the dual constraint is active"
    grid_max = (sol.dual @ prob.X @ CIRCLE).max() / prob.beta
    assert 1 - 1e-6 < grid_max <= 1 + 1e-12                          # "never exceeds"
    net = prob.network(width=6, seed=0)
    dk.train(net, prob, steps=100, optimizer="lbfgs", progress=False)
    V1, v2 = net.weights()
    spread = np.linalg.norm(np.sign(v2) * V1 / np.linalg.norm(V1, axis=0)
                            - (g / np.linalg.norm(g))[:, None], axis=0).max()
    assert spread < 1e-4                                  # "every one of its neurons lands on u*"


def test_relu_optimal_neurons_reach_the_bound_at_corners():
    prob = _relu_problem()
    sol = prob.solve()
    assert sol.certified and sol.rel_gap < 1e-9
    dirs, signs = _used(sol.weights)
    reach = signs * (sol.dual @ np.maximum(prob.X @ dirs, 0)) / prob.beta
    assert np.abs(reach - 1).max() < 1e-8                     # every used neuron reaches beta
    c = sol.dual @ np.maximum(prob.X @ CIRCLE, 0) / prob.beta
    assert np.abs(c).max() <= 1 + 1e-8                                    # dual feasible
    ang = np.sort(np.arctan2(dirs[1], dirs[0]))
    n_dirs = 1 + int(np.sum(np.diff(ang) > 1e-6))
    # "the neurons point in ... directions" (glued): an extreme optimum has at most n + 1
    assert 1 <= n_dirs <= prob.n + 1
    corner = (np.abs(prob.X @ dirs) / np.linalg.norm(prob.X, axis=1)[:, None]).min(axis=0)
    assert corner.max() < 1e-8                            # "each is orthogonal to a data point"
    # "the constraint also reaches 1 at one direction that the optimum leaves unused":
    # a fine search near each local peak of |c| (peaks are kinks at x_i^T u = 0)
    kinks = np.arctan2(prob.X[:, 0], -prob.X[:, 1])
    kinks = np.concatenate([kinks, kinks + np.pi])
    U = np.stack([np.cos(kinks), np.sin(kinks)])
    ck = np.abs(sol.dual @ np.maximum(prob.X @ U, 0)) / prob.beta
    touching = np.mod(kinks[ck > 1 - 1e-8], 2 * np.pi)
    used_ang = np.mod(np.arctan2(dirs[1], dirs[0]), 2 * np.pi)
    # every used direction is among the kinks where the constraint reaches 1, and (the
    # figure's caption) it reaches 1 at directions that this optimum leaves unused
    assert all(np.min(np.abs(np.angle(np.exp(1j * (touching - a))))) < 1e-6 for a in used_ang)
    unused = [a for a in touching
              if np.min(np.abs(np.angle(np.exp(1j * (used_ang - a))))) > 1e-6]
    assert len(np.unique(np.round(unused, 6))) >= 1


@pytest.mark.parametrize("make", [_linear_problem, _relu_problem])
def test_extreme_points_plot(make):
    prob = make()
    fig = dk.plot.extreme_points(prob)
    assert len(fig.axes) == 2
    for ax in fig.axes:
        assert ax.get_xlabel() and ax.get_ylabel() and ax.get_legend() is not None
    plt.close(fig)


def test_extreme_points_plot_rejects_what_it_cannot_draw():
    X, y = dk.data.gaussian(n=10, d=3, seed=0)
    with pytest.raises(ValueError, match="2-D inputs"):
        dk.plot.extreme_points(dk.TwoLayerLinear(X, y, beta=0.1))
    X2, Y2 = dk.data.vector_regression(n=10, d=2, K=3, seed=0)
    with pytest.raises(ValueError, match="scalar-output"):
        dk.plot.extreme_points(dk.TwoLayerLinear(X2, Y2, beta=0.1))
    with pytest.raises(ValueError, match="bias='none'"):
        dk.plot.extreme_points(dk.TwoLayerReLU(X2, Y2[:, 0], beta=0.1))
    with pytest.raises(ValueError, match="TwoLayerLinear or TwoLayerReLU"):
        dk.plot.extreme_points(dk.DeepLinear(X2, Y2[:, 0], beta=0.1, depth=3))
    with pytest.raises(ValueError, match="beta > 0"):
        X1, y1 = dk.data.gaussian(n=2, d=2, seed=0)
        dk.plot.extreme_points(dk.TwoLayerLinear(X1, y1, beta=0))
