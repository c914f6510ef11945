"""The numbers the rank-one chapter (chapters/rank_one_relu.md) shows, on the chapter's data."""

import numpy as np
import pytest

import dualkit as dk
from dualkit.diagnostics import rank_one_ratio, top_singular_vectors


@pytest.fixture(scope="module")
def five_layer():
    X, y = dk.data.rank_one(n=50, d=10, seed=1)
    bmax = dk.RankOneReLU.beta_max_for(X, y, depth=5, t=1.0)
    prob = dk.RankOneReLU(X, y, beta=0.05 * bmax, depth=5, t=1.0)
    net, hist, finals = dk.train_best(prob, widths=[50, 40, 30, 20], seeds=(0, 1, 2), steps=3000,
                                      lr=1e-2, tol=1e-13, progress=False)
    return X, y, bmax, prob, net, hist, finals


@pytest.mark.slow
def test_five_layer_network_reaches_closed_form_with_rank_one_layers(five_layer):
    X, y, bmax, prob, net, hist, finals = five_layer
    print(f"measured: five-layer relative gap {prob.relative_gap(net):.3e}")
    assert -1e-12 <= prob.relative_gap(net) <= 1e-6
    ws = net.weights()
    assert max(rank_one_ratio(W) for W in ws[:-1]) < 1e-4          # Fig. 3b: every layer rank one
    for W in ws[:-1]:
        _, q = top_singular_vectors(W)
        assert (q * np.sign(q.sum())).min() >= -1e-6                # non-negative right vectors
    p1, _ = top_singular_vectors(ws[0])
    assert abs(p1 @ prob.a_hat) >= 1 - 1e-6                         # the first layer points along a
    # the curves of the rank figure end below the 1e-4 line
    for layer in range(4):
        sv = hist.singular_values_of(layer)[-1]
        assert sv[1] / sv[0] < 1e-4
    # the learned function on new inputs is the single ramp
    rng = np.random.default_rng(0)
    Z = rng.standard_normal((400, prob.d))
    Z -= np.outer(Z @ prob.a_hat, prob.a_hat)
    Xn = np.outer(np.linspace(-3, 3, 400), prob.a_hat) + Z
    ramp = prob.kappa() / np.linalg.norm(prob.a) * np.maximum(Xn @ prob.a_hat, 0)
    assert np.abs(ws.forward(Xn) - ramp).max() <= 1e-4 * np.abs(ramp).max()
    # a seed that stalls at the zero network is what train_best guards against
    assert max(finals.values()) <= 0.5 * y @ y * (1 + 1e-9)


def test_bias_variant_spline_in_c():
    X, y = dk.data.rank_one(n=50, d=10, seed=1)
    bmax = dk.RankOneReLU.beta_max_for(X, y, depth=5, t=1.0)
    pb = dk.RankOneReLU(X, y, beta=0.01 * bmax, depth=5, t=1.0, bias=True)
    sb = pb.solve(width=[50, 40, 30, 20])
    one_d = dk.ReLU1D(pb.c, y, beta=pb.beta_tilde).solve()
    assert sb.certified and sb.value == pytest.approx(one_d.value, rel=1e-10)
    assert len(one_d.knots) > 0
    assert np.abs(one_d.knots[:, None] - pb.c[None, :]).min(axis=1).max() < 1e-10


def test_beta_eff_and_beta_tilde():
    """beta_eff = beta / t^(L-2) as in the deep chapters; beta_tilde = beta_eff / ||a||."""
    X, y = dk.data.rank_one(n=50, d=10, seed=1)
    prob = dk.RankOneReLU(X, y, beta=0.3, depth=5, t=1.3)
    assert prob.beta_eff == pytest.approx(0.3 / 1.3 ** 3, rel=1e-14)
    assert prob.beta_tilde == pytest.approx(prob.beta_eff / np.linalg.norm(prob.a), rel=1e-14)
    kappa = prob.kappa()
    cy = prob.c @ y
    assert kappa == pytest.approx(np.sign(cy) * (abs(cy) - prob.beta_tilde) / (prob.c @ prob.c),
                                  rel=1e-12)
    sol = prob.solve()
    lasso = 0.5 * np.sum((kappa * prob.c - y) ** 2) + prob.beta_tilde * abs(kappa)
    assert sol.value == pytest.approx(lasso, rel=1e-12)


def test_bias_figure_labels_c_and_draws_the_kinks_above_the_data():
    """The bias figure: the axis is c (the data's only coordinate), and the kinks of the optimal
    spline are markers at the data values of c, drawn above the data dots."""
    X, y = dk.data.rank_one(n=50, d=10, seed=1)
    bmax = dk.RankOneReLU.beta_max_for(X, y, depth=5, t=1.0)
    pb = dk.RankOneReLU(X, y, beta=0.01 * bmax, depth=5, t=1.0, bias=True)
    one_d = dk.ReLU1D(pb.c, y, beta=pb.beta_tilde).solve()
    ax = dk.plot.rank_one_fit(X, y, pb.beta, depth=5, t=1.0).axes[0]
    assert ax.get_xlabel().startswith("$c$")
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    kinks = next(ln for label, ln in lines.items() if label.startswith("its kinks"))
    data = next(ln for label, ln in lines.items() if label.startswith("data"))
    assert np.allclose(np.sort(kinks.get_xdata()), np.sort(one_d.knots))
    assert kinks.get_zorder() > max(ln.get_zorder() for ln in ax.get_lines() if ln is not kinks)
    assert data.get_zorder() < kinks.get_zorder()
