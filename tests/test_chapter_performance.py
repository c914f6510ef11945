"""The performance chapter's claims, computed as the chapter computes them (no timings: those
are measured by ``python -m benchmarks``, never asserted)."""

import csv
import re
from pathlib import Path

import numpy as np
import pytest
import torch

import dualkit as dk

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = ROOT / "chapters" / "performance.md"
TABLE = ROOT / "benchmarks" / "results" / "full.csv"


def _prose(text):
    return re.sub(r"\s+", " ", text)


def _rows(bench, method, size=None):
    table = list(csv.DictReader(open(TABLE, newline="")))
    return [r for r in table if r["bench"].startswith(bench) and r["method"].startswith(method)
            and (size is None or r["size"] == size) and r["ratio"] != "nan"]


def _ratios(*args):
    return [float(r["ratio"]) for r in _rows(*args)]


def test_every_quoted_number_is_glued_by_a_cell():
    text = CHAPTER.read_text()
    quoted = set(re.findall(r"\{glue:text\}`([a-z0-9_]+)", text))
    glued = set(re.findall(r'glue\("([a-z0-9_]+)"', text)) | set(re.findall(r'"(perf_[a-z0-9_]+)":', text))
    assert quoted and quoted <= glued, quoted - glued


def test_the_landscape_claim_is_limited_to_the_two_layer_problem():
    text = _prose(CHAPTER.read_text())
    assert "no spurious minima" not in text and "{ref}`ch-preliminaries`" not in text
    assert ("the zero network is a saddle whenever the optimum is non-zero "
            "({ref}`ch-two-layer-linear`)") in text
    assert ("with weight decay on every layer it is a strict local minimum for every $\\beta>0$ "
            "({ref}`ch-deep-linear`)") in text


def test_zero_network_is_a_saddle_for_two_layers_and_a_strict_minimum_for_three():
    """B1's two-layer problem and B4's weight-decay rows (n=1000, d=100), at the zero network."""
    X, y = dk.data.gaussian(n=1000, d=100, seed=0)
    g = np.linalg.norm(X.T @ y)
    u = X.T @ y / g
    m = 10
    e = np.eye(m)[0]
    two = dk.TwoLayerLinear(X, y, 0.1 * g)
    deep = dk.DeepLinearWeightDecay(X, y, 0.01 * g, depth=3)
    zero = 0.5 * y @ y
    for eps in (1e-2, 1e-3):
        # two layers: along the aligned direction the objective drops by eps^2 (g - beta) > 0
        assert two.objective([eps * np.outer(u, e), eps * e]) < zero
        # three layers with weight decay on each: the data gain is O(eps^3), the decay eps^2
        assert deep.objective([eps * np.outer(u, e), eps * np.outer(e, e), eps * e]) > zero
    rng = np.random.default_rng(0)
    for _ in range(20):
        W = [rng.standard_normal((100, m)), rng.standard_normal((m, m)), rng.standard_normal(m)]
        W = [1e-3 * w / np.linalg.norm(w) for w in W]
        assert deep.objective(W) > zero
    # ... yet it is not the optimum, so a start near it is a trap
    assert deep.solve().value < zero


def test_the_committed_table_supports_the_reading():
    b1, b3 = _ratios("B1", "cvxpy + CLARABEL"), _ratios("B3", "cvxpy + CLARABEL")
    assert min(b1) > 1 and min(b3) > max(b1)                # "the factor grows" for the SDP
    lbfgs = _rows("B1", "torch L-BFGS") + _rows("B4", "torch L-BFGS")
    assert len(lbfgs) == 5
    for r in lbfgs:                                        # "a few quasi-Newton steps reach 1e-6"
        k = int(re.search(r"reached 1e-6 after (\d+) outer steps", r["note"])[1])
        assert k <= 10 and float(r["ratio"]) > 1            # ... and still slower
    # "not far ahead": B6 at n = 100; B8's column generation is ahead of cvxpy
    assert 1 < _ratios("B6", "cvxpy + CLARABEL", "n=100")[0] < 10
    assert _ratios("B8", "cvxpy")[0] > 1


def test_linear_closed_form_is_certified_and_training_reaches_it():
    X, y = dk.data.gaussian(n=1000, d=100, seed=0)
    prob = dk.TwoLayerLinear(X, y, beta=0.1 * np.linalg.norm(X.T @ y))
    sol = prob.solve()
    assert sol.certified and sol.rel_gap <= 1e-12
    h = dk.train(prob.network(10, seed=0), prob, steps=2000, optimizer="lbfgs", schedule=None,
                 tol=1e-10, bound=sol.dual_value, progress=False)
    assert h.converged and h.steps[-1] <= 10          # "a few outer steps" to 1e-10
    assert h.rel_gap[-1] >= -1e-12                    # never below the certificate


@pytest.mark.medium
def test_relu_1d_training_plateaus_above_the_certified_optimum():
    x, y = dk.data.points_1d(100, seed=0)
    prob = dk.ReLU1D(x, y, 0.01 * dk.ReLU1D.beta_max_for(x, y))
    sol = prob.solve()
    assert sol.certified and sol.rel_gap <= 1e-12
    for opt, lr, steps in [("adam", 1e-2, 2000), ("lbfgs", 1.0, 200)]:
        h = dk.train(prob.network(200, seed=0), prob, steps=steps, optimizer=opt, lr=lr,
                     schedule=None, bound=sol.dual_value, progress=False)
        assert 1e-5 < h.rel_gap.min(), opt           # the plateau the chapter shows
        assert h.rel_gap[-1] < 1e-1, opt             # ... after real progress
        if opt == "adam":                            # "Adam keeps improving, slowly"
            late = h.steps > 0.75 * steps
            assert h.rel_gap[late].min() < h.rel_gap[~late].min()
        if opt == "lbfgs":                           # "L-BFGS stops improving after k steps"
            g = h.rel_gap
            stall = np.flatnonzero(g <= g[-1] * (1 + 1e-9))[0]
            assert h.steps[stall] <= steps // 2
            assert np.all(np.abs(g[stall:] - g[-1]) <= 1e-9 * g[-1])


@pytest.mark.medium
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


def test_timed_reports_the_median_run_and_follows_the_protocol():
    calls = []

    def fn():
        calls.append(len(calls))
        return len(calls)

    t = dk.timing.timed(fn, repeat=5, warmup=2)
    assert len(calls) == 7 and len(t.times) == 5
    assert t.seconds == sorted(t.times)[2]
    assert t.value == 3 + sorted(range(5), key=t.times.__getitem__)[2]   # the median run's output
    slow = dk.timing.timed(lambda: __import__("time").sleep(0.02), repeat=5, single_above=0.01)
    assert len(slow.times) == 1                       # over single_above: timed once
    for bad in [dict(repeat=0), dict(warmup=-1), dict(single_above=0), dict(blas_threads=0)]:
        with pytest.raises(ValueError):
            dk.timing.timed(fn, **bad)


def test_timed_limits_blas_threads_only_while_timing():
    threadpoolctl = pytest.importorskip("threadpoolctl")

    def blas():
        return max(i["num_threads"] for i in threadpoolctl.threadpool_info()
                   if i["user_api"] == "blas")

    before = blas()
    assert dk.timing.timed(blas, repeat=1).value == 1
    assert blas() == before


@pytest.mark.medium
def test_benchmark_figures_and_table_from_the_committed_csv():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = [["B1", "B2", "B3"], ["B4"], ["B5", "B6", "B9"]]
    drawn = []
    for benches in groups:                            # the chapter's three figures
        fig = dk.plot.benchmark(TABLE, benches)
        assert fig.get_size_inches()[0] <= 7.3 + 1e-9          # the column's natural width
        titles = [a.get_title() for a in fig.axes if a.get_title()]
        drawn += [t.split()[0] for t in titles]
        plt.close(fig)
    # every benchmark measured at more than one size is in one of the figures (B7, B8, B10
    # have one size each: they are in the table only)
    assert sorted(set(drawn)) == ["B1", "B2", "B3", "B4", "B5", "B6", "B9"]
    with pytest.raises(ValueError, match="B11"):
        dk.plot.benchmark(TABLE, ["B11"])
    table = dk.plot.benchmark_table(TABLE)
    rows = list(csv.DictReader(open(TABLE, newline="")))
    measured = [r for r in rows if r["time"] != "nan"]
    assert len(table) == len(measured) < len(rows)     # only measured rows
    assert len(table.columns) <= 7
    assert not any("cuda" in r["method"] for r in table.rows)
    for r, m in zip(table.rows, measured, strict=True):
        assert r["method"] == dk.plot._bench_method(m["method"])
        if m["method"].startswith("torch") and m["t_1e-06"] == "nan":
            assert r["× first row"].startswith(">")   # capped run: time to 1e-6 is longer
