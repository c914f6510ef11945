"""The preliminaries chapter: the rescaling trick (table and figure) and the checks of its
extreme-point section as computed by dk.diagnostics.extreme_point_check (the section's numbers
are re-derived independently in test_extreme_points.py)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import dualkit as dk  # noqa: E402

CIRCLE = np.stack([np.cos(t := np.linspace(0, 2 * np.pi, 3601)), np.sin(t)])


def _neuron():
    rng = np.random.default_rng(0)
    return rng.standard_normal(5), 3.0          # the chapter's neuron


def test_rescaling_keeps_the_output_and_the_balanced_scale_minimizes_the_penalty():
    """The chapter's table: the output size is ||w1|| |w2| for every alpha; the penalty is
    at least that, with equality at alpha* = sqrt(|w2| / ||w1||)."""
    w1, w2 = _neuron()
    a_star = np.sqrt(abs(w2) / np.linalg.norm(w1))
    target = np.linalg.norm(w1) * abs(w2)
    for alpha in [0.5, 1.0, a_star, 2.0]:
        out = np.linalg.norm(alpha * w1) * abs(w2 / alpha)
        penalty = 0.5 * (alpha**2 * w1 @ w1 + (w2 / alpha) ** 2)
        assert out == pytest.approx(target, rel=1e-14)
        assert penalty >= target * (1 - 1e-14)
    assert 0.5 * (a_star**2 * w1 @ w1 + (w2 / a_star) ** 2) == pytest.approx(target, rel=1e-14)


@pytest.mark.parametrize("w1,w2", [(None, None), (np.array([0.3, -2.0]), -0.7),
                                   (np.array([5.0]), 1e-3)])
def test_rescaling_figure_marks_the_minimum_at_the_balanced_scale(w1, w2):
    """fig-rescaling: the marked point is the minimum of the drawn penalty, its value is
    ||w1|| |w2|, and at its alpha the neuron is balanced: ||alpha w1|| = |w2| / alpha."""
    if w1 is None:
        w1, w2 = _neuron()
    fig = dk.plot.rescaling(w1, w2)
    ax = fig.axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    marked = [line for label, line in lines.items() if label.startswith("balanced")]
    assert len(marked) == 1
    a_mark, p_mark = float(marked[0].get_xdata()[0]), float(marked[0].get_ydata()[0])
    a, b = np.linalg.norm(w1), abs(w2)
    assert p_mark == pytest.approx(a * b, rel=1e-12)
    assert np.linalg.norm(a_mark * w1) == pytest.approx(b / a_mark, rel=1e-12)   # balanced
    penalty = next(line for label, line in lines.items() if label.startswith("penalty"))
    alphas, values = np.asarray(penalty.get_xdata()), np.asarray(penalty.get_ydata())
    assert np.allclose(values, 0.5 * (alphas**2 * a**2 + b**2 / alphas**2), rtol=1e-12)
    assert values.min() >= p_mark * (1 - 1e-12)            # nothing drawn goes below the mark
    assert alphas.min() < a_mark < alphas.max()
    # the output size (flat line) is the minimum: the penalty touches it at the mark
    flat = next(line for label, line in lines.items() if label.startswith("output size"))
    assert np.allclose(flat.get_ydata(), a * b)
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_legend() is not None
    plt.close(fig)


def test_rescaling_rejects_a_dead_neuron():
    with pytest.raises(ValueError, match="w1 != 0 and w2 != 0"):
        dk.plot.rescaling(np.zeros(3), 1.0)
    with pytest.raises(ValueError, match="w1 != 0 and w2 != 0"):
        dk.plot.rescaling(np.ones(3), 0.0)
    with pytest.raises(ValueError, match="alphas must be > 0"):
        dk.plot.rescaling(np.ones(3), 1.0, alphas=[-1.0, 1.0])


def _linear_problem():
    X, y = dk.data.gaussian(n=20, d=2, seed=0)
    X = X @ np.array([[1.5, 0.5], [0.0, 0.6]])
    return dk.TwoLayerLinear(X, y, beta=0.3 * np.linalg.norm(X.T @ y))


def test_extreme_point_check_linear_matches_the_direct_computation():
    prob = _linear_problem()
    sol = prob.solve()
    ep = dk.diagnostics.extreme_point_check(prob, sol, resolution=3601)
    g = prob.X.T @ sol.dual
    assert ep["constraint"] == pytest.approx(np.linalg.norm(g) / prob.beta - 1, abs=1e-15)
    assert abs(ep["constraint"]) < 1e-12                        # "the constraint is active"
    assert np.allclose(ep["u_star"], g / np.linalg.norm(g))
    assert ep["distance"] < 1e-9                                 # solve() returns u*
    assert ep["grid_max"] == pytest.approx((sol.dual @ prob.X @ CIRCLE).max() / prob.beta)
    assert 1 - 1e-6 < ep["grid_max"] <= 1 + 1e-12              # "never exceeds"
    net = prob.network(width=6, seed=0)
    dk.train(net, prob, steps=100, optimizer="lbfgs", progress=False)
    trained = dk.diagnostics.extreme_point_check(prob, sol, weights=net.weights())
    assert trained["distance"] < 1e-4          # every trained neuron lands on u*
    # it displays as a table: one row per check (u* itself is not a row)
    tab = trained.table()
    assert len(tab) == 3 and "<table" in trained._repr_html_()


def test_extreme_point_check_relu_matches_the_chapter():
    Xr, yr = dk.data.sine_features(n=12, d=2, seed=0)
    prob = dk.TwoLayerReLU(Xr, yr, beta=0.1, bias="none")
    sol = prob.solve()
    ep = dk.diagnostics.extreme_point_check(prob, sol, resolution=3601)
    assert sol.certified and ep["rel_gap"] < 1e-9
    # an extreme optimum: at most n + 1 neurons (the optimum is not unique: how many
    # directions it uses depends on the solver, the chapter glues the count)
    assert 1 <= ep["directions"] <= ep["neurons"] <= prob.n + 1
    assert ep["reach"] < 1e-8                                   # every neuron reaches beta
    assert ep["grid_max"] <= 1 + 1e-8                           # dual feasible on the grid
    assert ep["corner"] < 1e-8                                  # corners of the cones
    assert len(ep.table()) == 6


def test_extreme_point_check_rejects_what_it_cannot_check():
    X2, Y2 = dk.data.vector_regression(n=10, d=2, K=3, seed=0)
    with pytest.raises(ValueError, match="scalar-output"):
        dk.diagnostics.extreme_point_check(dk.TwoLayerLinear(X2, Y2, beta=0.1))
    with pytest.raises(ValueError, match="bias='none'"):
        dk.diagnostics.extreme_point_check(dk.TwoLayerReLU(X2, Y2[:, 0], beta=0.1))
    with pytest.raises(ValueError, match="TwoLayerLinear or TwoLayerReLU"):
        dk.diagnostics.extreme_point_check(dk.DeepLinear(X2, Y2[:, 0], beta=0.1, depth=3))
    X1, y1 = dk.data.gaussian(n=4, d=3, seed=0)
    ep = dk.diagnostics.extreme_point_check(dk.TwoLayerLinear(X1, y1, beta=0.1), resolution=500)
    assert ep["grid_max"] <= 1 + 1e-12 and abs(ep["constraint"]) < 1e-9   # d = 3: random grid


@pytest.mark.medium
def test_chapter_dualkit_usage_numbers():
    """'How dualkit is used': the closed form, cvxpy, the objective of sol.weights and the dual
    objective agree; 50 L-BFGS steps give a certified network."""
    X, y = dk.data.gaussian(n=50, d=10, seed=0)
    prob = dk.TwoLayerLinear(X, y, beta=0.5)
    sol, ref = prob.solve(), prob.solve(method="cvxpy")
    assert sol.certified
    assert ref.value == pytest.approx(sol.value, rel=1e-7)
    assert prob.objective(sol.weights) == pytest.approx(sol.value, rel=1e-12)
    assert prob.dual_objective(sol.dual) == pytest.approx(sol.value, rel=1e-12)
    net = prob.network(width=8, seed=0)
    dk.train(net, prob, steps=50, optimizer="lbfgs", progress=False)
    assert abs(prob.gap(net)) <= 1e-10 * sol.value
