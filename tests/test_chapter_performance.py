"""The performance chapter's claims, computed as the chapter computes them (no timings: those
are measured by ``python -m benchmarks``, never asserted)."""

import numpy as np
import pytest
import torch

import dualkit as dk


def test_linear_closed_form_is_certified_and_training_reaches_it():
    X, y = dk.data.gaussian(n=1000, d=100, seed=0)
    prob = dk.TwoLayerLinear(X, y, beta=0.1 * np.linalg.norm(X.T @ y))
    sol = prob.solve()
    assert sol.certified and sol.rel_gap <= 1e-12
    h = dk.train(prob.network(10, seed=0), prob, steps=2000, optimizer="lbfgs", schedule=None,
                 tol=1e-10, bound=sol.dual_value, progress=False)
    assert h.converged and h.steps[-1] <= 10          # "a few outer steps" to 1e-10
    assert h.rel_gap[-1] >= -1e-12                    # never below the certificate


def test_relu_1d_training_plateaus_above_the_certified_optimum():
    x, y = dk.data.points_1d(100, seed=0)
    prob = dk.ReLU1D(x, y, 0.01 * dk.ReLU1D(x, y, 1.0).beta_max)
    sol = prob.solve()
    assert sol.certified and sol.rel_gap <= 1e-12
    for opt, lr, steps in [("adam", 1e-2, 3000), ("lbfgs", 1.0, 150)]:
        h = dk.train(prob.network(200, seed=0), prob, steps=steps, optimizer=opt, lr=lr,
                     schedule=None, bound=sol.dual_value, progress=False)
        assert 1e-5 < h.rel_gap.min(), opt           # the plateau the chapter shows
        assert h.rel_gap[-1] < 1e-1, opt             # ... after real progress


def test_path_matches_independent_solves():
    """B2's batched path is the same optimum as one solve per beta, certified each time."""
    X, y = dk.data.gaussian(n=300, d=40, seed=3)
    bmax = np.linalg.norm(X.T @ y)
    betas = np.r_[np.geomspace(1e-6, 1.5, 15) * bmax, bmax]
    sols = dk.TwoLayerLinear(X, y, 1.0).path(betas)
    for b, s in zip(betas, sols, strict=True):
        ref = dk.TwoLayerLinear(X, y, b).solve()
        assert s.certified == ref.certified
        assert abs(s.value - ref.value) <= 1e-12 * abs(ref.value)
        assert abs(s.value - dk.TwoLayerLinear(X, y, b).objective(s.weights)) <= 1e-12 * s.value
        assert s.dual_value <= s.value * (1 + 1e-12)


def test_training_dtype_and_device_path_on_cpu():
    """The GPU code path (dtype, device round trip) runs on the CPU through the same API."""
    x, y = dk.data.points_1d(50, seed=0)
    prob = dk.ReLU1D(x, y, 1e-2)
    net = prob.network(64, seed=0)
    h32 = dk.train(net, prob, steps=50, dtype="float32", device="cpu", progress=False)
    assert h32.info["dtype"] == "float32" and h32.device == "cpu"
    assert all(p.dtype == torch.float64 for p in net.parameters())
    h64 = dk.train(prob.network(64, seed=0), prob, steps=50, progress=False)
    # the same run in float32 follows the float64 one to float32 accuracy
    assert np.allclose(h32.objective, h64.objective, rtol=1e-4)
    with pytest.raises(ValueError, match="dtype"):
        dk.train(prob.network(8), prob, steps=1, dtype="float16", progress=False)


def test_path_on_the_gram_route_handles_interpolation_and_lost_digits():
    """Review findings: beta = 0 and ill-conditioned data on the Gram route (tall data)."""
    rng = np.random.default_rng(0)
    n, d = 1000, 20
    U = np.linalg.qr(rng.standard_normal((n, d)))[0]
    V = np.linalg.qr(rng.standard_normal((d, d)))[0]
    X = (U * np.geomspace(1, 1e-7, d)) @ V.T
    y = X @ rng.standard_normal(d)                    # exactly in the range of X
    prob = dk.TwoLayerLinear(X, y, 1.0)
    assert prob.ridge_path.method == "gram"
    ref = dk.TwoLayerLinear(X, y, 0.0).solve()
    sol = prob.path([0.0])[0]
    assert sol.certified and abs(sol.value - ref.value) <= 1e-9 * ref.value
    y2 = rng.standard_normal(n)                       # not in the range: digits lost on Gram
    bmax = np.linalg.norm(X.T @ y2)
    for b, s in zip(np.geomspace(1e-6, 1, 12) * bmax,
                    dk.TwoLayerLinear(X, y2, 1.0).path(np.geomspace(1e-6, 1, 12) * bmax),
                    strict=True):
        r = dk.TwoLayerLinear(X, y2, b).solve()
        assert s.certified and r.certified
        assert abs(s.value - r.value) <= 1e-9 * r.value


@pytest.mark.parametrize("scale", [1e-140, 1e-100, 1.0, 1e80, 1e140])
def test_vectorized_tau_at_extreme_scales(scale):
    X, y = dk.data.gaussian(n=200, d=20, seed=0)
    rp = dk.solvers.RidgePath(X * scale, y)
    betas = np.geomspace(1e-6, 0.9, 6) * rp.xty_norm
    with np.errstate(all="raise"):
        taus = rp.taus(betas)
    assert np.allclose(taus, [rp.tau(b) for b in betas], rtol=1e-13, atol=0)


@pytest.mark.parametrize("scale", [1e-150, 1e77, 1e150])
def test_rank_one_test_at_extreme_scales_raises_no_warning(scale):
    X, _ = dk.data.rank_one(50, 5, seed=0)
    with np.errstate(all="raise"):
        c, a = dk.problems.rank_one_relu.rank_one_factors(X * scale)
    assert np.allclose(np.outer(c, a), X * scale, rtol=1e-12, atol=1e-12 * scale)


def test_float32_training_refuses_a_tolerance_it_cannot_resolve():
    x, y = dk.data.points_1d(20, seed=0)
    prob = dk.ReLU1D(x, y, 1e-2)
    with pytest.raises(ValueError, match="tol=1e-10 is below what a float32 objective"):
        dk.train(prob.network(8), prob, steps=2, dtype="float32", tol=1e-10, progress=False)
