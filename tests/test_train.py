"""dk.train: optimizers, devices, history, early stopping, progress bar, threads."""

import numpy as np
import pytest
import torch

import dualkit as dk


@pytest.fixture(scope="module")
def setup():
    X, y = dk.data.gaussian(n=25, d=6, seed=2)
    prob = dk.TwoLayerLinear(X, y, 0.2 * np.linalg.norm(X.T @ y))
    return prob, prob.solve()


def test_history_contents(setup):
    prob, sol = setup
    net = prob.network(4, seed=0)
    hist = dk.train(net, prob, steps=400, lr=1e-2, bound=sol.value, record_every=50,
                    progress=False)
    assert list(hist.steps) == [0, 50, 100, 150, 200, 250, 300, 350, 400]
    assert hist.objective.shape == hist.gap.shape == hist.rel_gap.shape == hist.time.shape
    assert np.allclose(hist.gap, hist.objective - sol.value)
    assert np.all(hist.objective >= sol.value * (1 - 1e-12))  # weak duality along the way
    assert hist.objective[-1] < hist.objective[0]
    assert hist.final_objective == pytest.approx(prob.objective(net), rel=1e-12)
    S = hist.singular_values_of(0)
    assert S.shape == (9, 4)
    assert np.allclose(S[-1], dk.diagnostics.singular_values(net.weights()[0]))
    assert hist.device == "cpu" and hist.optimizer == "adam"


def test_without_bound_gap_is_nan(setup):
    prob, _ = setup
    hist = dk.train(prob.network(3), prob, steps=10, progress=False)
    assert np.all(np.isnan(hist.rel_gap)) and hist.bound is None


def test_tol_stops_early(setup):
    prob, sol = setup
    hist = dk.train(prob.network(5, seed=0), prob, steps=500, optimizer="lbfgs", lr=1.0,
                    bound=sol.value, tol=1e-10, progress=False)
    assert hist.converged and hist.steps[-1] < 500 and hist.final_rel_gap <= 1e-10


def test_progress_bar_goes_to_stdout_only_when_asked(setup, capsys):
    prob, _ = setup
    dk.train(prob.network(3), prob, steps=20, progress=False)
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""


def test_threads_restored(setup):
    prob, _ = setup
    before = torch.get_num_threads()
    dk.train(prob.network(3), prob, steps=5, threads=1, progress=False)
    assert torch.get_num_threads() == before


def test_devices(setup):
    prob, _ = setup
    assert dk.train(prob.network(3), prob, steps=3, device="cpu", progress=False).device == "cpu"
    auto = dk.train(prob.network(3), prob, steps=3, device="auto", progress=False)
    assert auto.device == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="torch.cuda.is_available\\(\\) is False"):
            dk.train(prob.network(3), prob, steps=3, device="cuda", progress=False)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_training_matches_cpu(setup):
    prob, sol = setup
    nets = [prob.network(8, seed=0) for _ in range(2)]
    for net, dev in zip(nets, ["cpu", "cuda"], strict=True):
        dk.train(net, prob, steps=60, optimizer="lbfgs", lr=1.0, device=dev, progress=False)
    assert prob.relative_gap(nets[1]) <= 1e-6
    assert prob.objective(nets[1]) == pytest.approx(prob.objective(nets[0]), rel=1e-8)


def test_training_is_deterministic(setup):
    prob, _ = setup
    a, b = prob.network(4, seed=7), prob.network(4, seed=7)
    ha = dk.train(a, prob, steps=200, progress=False)
    hb = dk.train(b, prob, steps=200, progress=False)
    assert np.array_equal(ha.objective, hb.objective)
