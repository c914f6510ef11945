"""The reproducers of issue 21 for :class:`dualkit.TwoLayerReLU`, each a test: an input gets a
correct answer with an honest certificate (checked against an independent computation: the
same problem at another scale, solved as given, or cvxpy), or a ValueError that names the
argument and says what to do; never a silent inf/NaN, overflow warnings, a foreign exception or
a solver's RuntimeError.

The program is homogeneous: with :math:`u=(t/s)v`,
:math:`P^\\star(sX, ty, \\beta)=t^2P^\\star(X, y, \\beta/(st))` (``bias="none"`` and ``"free"``;
``s = 1`` with the regularized bias, whose column of ones does not scale)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import dualkit as dk

X2, Y2 = dk.data.sine_features(8, d=2, seed=0)
BETA = 0.05


def no_runtime_warnings(f):
    """Call ``f`` and fail on any RuntimeWarning (overflow, invalid value) it emits."""
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        out = f()
    bad = [str(w.message) for w in rec if issubclass(w.category, RuntimeWarning)]
    assert not bad, bad
    return out


@pytest.fixture(scope="module")
def base():
    """The unscaled problems, solved as given (s = t = 1), for each bias."""
    return {bias: dk.TwoLayerReLU(X2, Y2, BETA, bias=bias).solve()
            for bias in ("regularized", "free", "none")}


def test_huge_y_is_refused_naming_beta_without_overflow_warnings():
    # issue: silent inf/NaN plus hundreds of overflow warnings. beta = 0.05 against |y| ~ 1e200
    # is 1e-202 beta_max: the weight decay is below the rounding of the loss
    prob = no_runtime_warnings(lambda: dk.TwoLayerReLU(X2, Y2 * 1e200, BETA))
    with pytest.raises(ValueError, match=r"beta=0\.05 is .* times beta_max") as exc:
        no_runtime_warnings(prob.solve)
    assert "Use beta >=" in str(exc.value)


@pytest.mark.medium
@pytest.mark.parametrize("bias", ["regularized", "free", "none"])
def test_huge_y_with_beta_to_match_is_solved_exactly(base, bias):
    # y -> 1e150 y, beta -> 1e150 beta: the optimum is 1e300 times the unscaled one
    sol = no_runtime_warnings(
        lambda: dk.TwoLayerReLU(X2, Y2 * 1e150, BETA * 1e150, bias=bias).solve())
    assert sol.certified and np.isfinite(sol.value)
    assert sol.value == pytest.approx(1e300 * base[bias].value, rel=1e-10)
    assert sol.dual_value <= sol.value


def test_an_optimum_beyond_float64_is_refused():
    # y -> 1e200 y, beta -> 1e200 beta: the optimum would be 1e400 times the unscaled one
    with pytest.raises(ValueError, match="the optimal value is infinite .* divide y by t"):
        no_runtime_warnings(lambda: dk.TwoLayerReLU(X2, Y2 * 1e200, BETA * 1e200).solve())


@pytest.mark.medium
def test_tiny_x_huge_y_is_honest_and_near_optimal():
    # issue: 1.6e23 where 8.0e19 is achievable, uncertified, no error. Now solved at unit scale:
    # equal (to the solver's accuracy) to the same program solved as given at beta / (s t)
    prob = dk.TwoLayerReLU(X2 * 1e-6, Y2 * 1e12, BETA, bias="none")
    sol = no_runtime_warnings(prob.solve)
    assert np.isfinite(sol.value) and np.isfinite(sol.dual_value)
    assert sol.dual_value <= sol.value            # an honest bound, whatever the certificate
    unit = dk.TwoLayerReLU(X2, Y2, BETA / (1e-6 * 1e12), bias="none")
    ref = unit.solve(method="cvxpy")              # the reference, at unit scale
    # a valid bound on each side: the dual values are below both primal values
    assert sol.dual_value <= 1e24 * ref.value * (1 + 1e-9)
    assert 1e24 * ref.dual_value <= sol.value * (1 + 1e-9)
    assert sol.value == pytest.approx(1e24 * ref.value, rel=2e-2)
    assert sol.certified == (sol.rel_gap <= 1e-6)
    # and the returned network attains the reported value
    assert prob.objective(sol.weights) == pytest.approx(sol.value, rel=1e-9)


@pytest.mark.medium
@pytest.mark.parametrize("bias", ["free", "none"])
@pytest.mark.parametrize("s, t", [(2.0**-20, 2.0**40), (1e-6, 1e12), (1e200, 1.0),
                                  (1e-150, 1e-150)])
def test_homogeneity_x_and_y_scales(base, bias, s, t):
    # P*(sX, ty, beta s t) = t^2 P*(X, y, beta)
    prob = dk.TwoLayerReLU(X2 * s, Y2 * t, BETA * s * t, bias=bias)
    sol = no_runtime_warnings(prob.solve)
    assert sol.certified
    assert sol.value == pytest.approx(t * t * base[bias].value, rel=1e-9)
    assert prob.objective(sol.weights) == pytest.approx(sol.value, rel=1e-9)


def test_tiny_beta_is_refused_naming_beta():
    # issue: a solver RuntimeError
    prob = dk.TwoLayerReLU(X2, Y2, 1e-300)
    with pytest.raises(ValueError, match=r"beta=1e-300 is .* beta_max .* Use beta >="):
        prob.solve()


def test_beta_at_or_above_beta_max_needs_no_solver():
    for beta in (1e300, dk.TwoLayerReLU(X2, Y2, 1.0).beta_max):
        for method in ("working_set", "cvxpy"):
            sol = dk.TwoLayerReLU(X2, Y2, beta).solve(method=method)
            assert sol.certified and "trivial" in sol.info
            assert sol.value == pytest.approx(0.5 * float(Y2 @ Y2), rel=1e-15)
            assert not np.any(sol.weights[1])
    free = dk.TwoLayerReLU(X2, Y2, 1e300, bias="free").solve()
    assert free.certified
    assert free.value == pytest.approx(0.5 * float(np.sum((Y2 - Y2.mean()) ** 2)), rel=1e-12)
    assert free.weights.biases[1] == pytest.approx(Y2.mean())


@pytest.mark.parametrize("patterns", [1.5, 2.0, True, np.float64(3.0), "many"])
def test_patterns_of_the_wrong_type_get_a_message_about_patterns(patterns):
    # issue: patterns=1.5 got a message about X's shape
    with pytest.raises(ValueError, match="patterns must be"):
        dk.TwoLayerReLU(X2, Y2, BETA, patterns=patterns)


@pytest.mark.medium
def test_train_refuses_a_network_of_another_problem():
    # issue: torch_objective never called check_network -> a shape RuntimeError
    prob = dk.TwoLayerReLU(X2, Y2, BETA)
    linear = dk.TwoLayerLinear(X2, Y2, BETA).network(width=4)
    with pytest.raises(ValueError, match="two-layer DeepReLUNet on 2 inputs .* DeepLinearNet"):
        dk.train(linear, prob, steps=3, progress=False)
    no_bias = dk.TwoLayerReLU(X2, Y2, BETA, bias="none").network(width=4)
    with pytest.raises(ValueError, match="bias convention"):
        dk.train(no_bias, prob, steps=3, progress=False)


def test_objective_of_huge_weights_is_a_value_error_not_inf_or_nan():
    prob = dk.TwoLayerReLU(X2, Y2, BETA)
    net = prob.network(width=10, init_scale=1e160)
    with pytest.raises(ValueError, match="objective of these weights is infinite"):
        no_runtime_warnings(lambda: prob.objective(net))
    with pytest.raises(ValueError, match="objective of these weights is infinite"):
        prob.gap(prob.network(width=10, init_scale=1e300))
    # large but representable: the value, not an overflow in the squares
    big = prob.network(width=10, init_scale=1e76)
    value = no_runtime_warnings(lambda: prob.objective(big))
    assert np.isfinite(value) and value > 1e150


@pytest.mark.medium
def test_auto_falls_back_to_cvxpy_where_the_working_set_ends_uncertified():
    # near interpolation (beta ~ 3e-8 beta_max) the working set's SOCPs end 'AlmostSolved'
    prob = dk.TwoLayerReLU(X2, Y2, 1e-7, bias="none")
    ws = prob.solve(method="working_set")
    sol = prob.solve()
    assert not ws.certified and "fallback" not in ws.info
    assert sol.certified and sol.method == "cvxpy"
    assert "solved by cvxpy instead" in sol.info["fallback"]
    # both are honest: each bound is below the other's value
    assert sol.dual_value <= ws.value and ws.dual_value <= sol.value
    assert sol.value <= ws.value
