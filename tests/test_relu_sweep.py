"""The beta-sweep harness of ``benchmarks.relu`` (issue 22) at tiny sizes: its rows, the capped
subprocess (a killed run is reported at its cap, as a lower bound, with no objective) and the
files the performance chapter reads. No timing is asserted."""

import csv
import math
from pathlib import Path

import numpy as np
import pytest

import dualkit as dk
from benchmarks import relu

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


@pytest.mark.medium          # a subprocess that imports dualkit
def test_a_run_killed_at_its_cap_is_a_lower_bound_without_objective():
    X, y, G = relu.problem_data(300, 10, 50)
    beta = 0.01 * dk.TwoLayerReLU(X, y, 1.0, patterns=G).beta_max
    seconds, ws, status = relu.run_capped("cvxpy", 300, 10, 50, beta, cap=0.01)
    assert (seconds, ws, status) == (0.01, None, "capped")


@pytest.mark.medium          # solves and a cvxpy subprocess
def test_sweep_scores_every_answer_as_a_network_of_the_same_problem(tmp_path):
    relu.sweep_main(["--sweep", "--n", "80", "--d", "10", "--fracs", "0.1", "--patterns", "10",
                     "--no-scnn", "--out", str(tmp_path)])
    rows = list(csv.DictReader(open(tmp_path / "relu_sweep.csv", newline="")))
    assert list(rows[0]) == relu.SWEEP_COLUMNS
    by = {r["method"]: r for r in rows}
    assert set(by) == {relu.FIXED, relu.GENERATE, relu.CVXPY}
    fixed, cvx = by[relu.FIXED], by[relu.CVXPY]
    assert float(fixed["rel_to_fixed"]) == 0.0 and float(fixed["ratio"]) == 1.0
    # both sides recomputed: the networks' objectives on the same problem
    X, y, G = relu.problem_data(80, 10, 10)
    prob = dk.TwoLayerReLU(X, y, float(fixed["beta"]), patterns=G)
    sol = prob.solve()
    # (the harness solves with one BLAS thread, this test with any: rounding differs)
    assert float(fixed["objective"]) == pytest.approx(prob.objective(sol.weights), rel=1e-9)
    assert cvx["status"] == "ok"
    ref = prob.solve(method="cvxpy", solver="CLARABEL")
    assert float(cvx["objective"]) == pytest.approx(prob.objective(ref.weights), rel=1e-7)
    # the same sampled program: cvxpy's network lands on dualkit's optimum
    assert abs(float(cvx["rel_to_fixed"])) < 1e-6
    rel = (float(cvx["objective"]) - float(fixed["objective"])) / float(fixed["objective"])
    assert float(cvx["rel_to_fixed"]) == pytest.approx(rel, rel=1e-9, abs=1e-15)
    gen = by[relu.GENERATE]
    if relu.has_generation():
        assert gen["status"] == "ok" and math.isfinite(float(gen["objective"]))
    else:
        assert gen["status"] == "not available" and gen["objective"] == "nan"
    md = (tmp_path / "relu_sweep.md").read_text()
    assert md.startswith("**dualkit ReLU beta sweep** (n=80, d=10, patterns=10")
    assert md.count("\n| 80 | 10 | 10 | 0.1 |") == 3
    assert (tmp_path / "relu_sweep.png").stat().st_size > 0


def test_cvxpy_is_skipped_outside_its_sizes_and_said_so():
    rows = relu.sweep_rows(80, 10, 10, (0.1,), with_scnn=False, cvxpy_max_n=50)
    cvx = [r for r in rows if r["method"] == relu.CVXPY]
    assert len(cvx) == 1 and cvx[0]["status"] == "skipped" and "n <= 50" in cvx[0]["note"]
    assert math.isnan(cvx[0]["objective"])


def test_the_worker_refuses_an_unknown_method():
    with pytest.raises(ValueError, match="use 'scnn' or 'cvxpy'"):
        relu.worker("adam", 20, 3, 4, 0.1, "/nonexistent/answer.npz")


def test_the_committed_sweep_has_the_columns_the_chapter_reads():
    path = RESULTS / "relu_sweep.csv"
    rows = list(csv.DictReader(open(path, newline="")))
    assert rows and list(rows[0]) == relu.SWEEP_COLUMNS
    assert {r["method"] for r in rows} >= {relu.FIXED, relu.GENERATE}
    assert (RESULTS / "relu_sweep.md").read_text().startswith("**dualkit ReLU beta sweep**")
    for r in rows:                     # a killed run: its time is the cap, no objective
        if r["status"] == "capped":
            assert r["lower_bound"] == "True" and np.isnan(float(r["objective"]))


def test_the_committed_sweep_supports_the_page():
    """The performance page's reading of relu_sweep.csv: every scnn run took at least ten times
    dualkit's fixed-sample time (the issue's bar), pattern generation lowers the network's
    objective below the fixed-sample optimum at every size and beta, more as beta falls, cvxpy
    lands on dualkit's optimum, and n = 20000, d = 10, beta = 0.01 beta_max took under 60 s."""
    rows = list(csv.DictReader(open(RESULTS / "relu_sweep.csv", newline="")))
    scnn = [r for r in rows if r["method"] == relu.SCNN]
    assert scnn and min(float(r["ratio"]) for r in scnn) >= 10 * (1 - 1e-9)
    for r in scnn:                       # a finished scnn network is no better than dualkit's
        if r["status"] == "ok":
            assert float(r["rel_to_fixed"]) >= -1e-6
    gen = [r for r in rows if r["method"] == relu.GENERATE and r["status"] == "ok"]
    assert gen and all(float(r["rel_to_fixed"]) < 0 for r in gen)
    for size in {(r["n"], r["d"]) for r in gen}:
        gains = [-float(r["rel_to_fixed"]) for r in
                 sorted((r for r in gen if (r["n"], r["d"]) == size), key=lambda r: -float(r["frac"]))]
        assert gains == sorted(gains)                                 # "grows as beta falls"
    for r in rows:
        if r["method"] == relu.CVXPY and r["status"] == "ok":
            assert abs(float(r["rel_to_fixed"])) <= 1e-6
    big = [r for r in rows if r["method"] == relu.FIXED and (r["n"], r["d"]) == ("20000", "10")
           and float(r["frac"]) == 0.01]
    assert len(big) == 1 and float(big[0]["time"]) < 60
