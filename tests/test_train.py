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


def test_bound_defaults_to_the_certified_dual_value(setup):
    prob, sol = setup
    hist = dk.train(prob.network(3), prob, steps=10, progress=False)
    assert hist.bound == prob.lower_bound() == pytest.approx(sol.dual_value, rel=1e-14)
    assert np.allclose(hist.gap, hist.objective - sol.dual_value)
    none = dk.train(prob.network(3), prob, steps=10, bound=None, progress=False)
    assert np.all(np.isnan(none.rel_gap)) and none.bound is None


def test_tol_stops_early(setup):
    prob, sol = setup
    hist = dk.train(prob.network(5, seed=0), prob, steps=500, optimizer="lbfgs", lr=1.0,
                    bound=sol.value, tol=1e-10, progress=False)
    assert hist.converged and hist.steps[-1] < 500 and hist.final_rel_gap <= 1e-10
    assert hist.info["stopped"] == "tol"


def test_time_limit_stops_and_records_the_last_step(setup):
    prob, _ = setup
    net = prob.network(5)
    hist = dk.train(net, prob, steps=10**7, time_limit=0.3, record_every=10**6, progress=False)
    assert hist.info["stopped"] == "time_limit" and not hist.converged
    assert 0 < hist.steps[-1] < 10**7 and hist.time[-1] < 5.0
    assert hist.final_objective == pytest.approx(prob.objective(net), rel=1e-12)



@pytest.mark.medium
def test_progress_bar_goes_to_stdout_only_when_asked(setup, capsys):
    prob, _ = setup
    dk.train(prob.network(3), prob, steps=20, progress=False)
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""
    # a run longer than the bar's one-second delay shows it, on stdout only
    dk.train(prob.network(3), prob, steps=10**7, time_limit=1.6, record_every=10**6)
    out = capsys.readouterr()
    assert "adam on cpu" in out.out and out.err == ""


def test_threads_set_during_training_and_restored(setup, monkeypatch):
    prob, _ = setup
    seen = []
    orig = prob.torch_objective

    def spy(net, X, y):
        seen.append(torch.get_num_threads())
        return orig(net, X, y)

    monkeypatch.setattr(prob, "torch_objective", spy)
    torch.set_num_threads(2)
    try:
        dk.train(prob.network(3), prob, steps=3, progress=False)  # small problem: 1 thread
        assert set(seen) == {1} and torch.get_num_threads() == 2
        seen.clear()
        dk.train(prob.network(3), prob, steps=3, threads=2, progress=False)
        assert set(seen) == {2} and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(1)


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
