"""The benchmark rows B1-B10 (issue 8). Each ``bN(mode, cap)`` returns table rows (``common.row``).

``mode`` is ``"quick"`` (CI-sized: under a minute in all), ``"full"`` (the sizes of the issue)
or ``"slow"`` (full plus the runs that take minutes: cvxpy at the large ReLU size, scnn at a
tight tolerance). ``cap`` is the time cap of each training run, in seconds.
"""

from __future__ import annotations

import time

import numpy as np
import torch

import dualkit as dk
from benchmarks.common import (
    NAN,
    finish,
    peak_mb,
    row,
    solver_rows,
    timed,
    train_rows,
)

SOCP_SOLVERS = ("CLARABEL", "SCS")


def _linear(n, d, seed=0):
    X, y = dk.data.gaussian(n=n, d=d, seed=seed)
    return X, y, 0.1 * np.linalg.norm(X.T @ y)


def b1(mode, cap):
    """B1: scalar two-layer linear network (C1); closed form vs cvxpy vs training (width 10)."""
    sizes = [(1000, 100)] if mode == "quick" else [(1000, 100), (5000, 500)]
    out = []
    for i, (n, d) in enumerate(sizes):
        X, y, beta = _linear(n, d)
        size = f"n={n}, d={d}"
        rows, sol = solver_rows("B1 two-layer linear", size, lambda: dk.TwoLayerLinear(X, y, beta),
                                cvxpy_solvers=SOCP_SOLVERS if i == 0 else ("CLARABEL",))
        if i == 0:
            prob = dk.TwoLayerLinear(X, y, beta)
            rows += train_rows("B1 two-layer linear", size, prob, sol.dual_value,
                               lambda: prob.network(10, seed=0), cap)
        out += finish(rows)
    return out


def b2(mode, cap):
    """B2: a path of 20 betas (one factorization) against one solve and against 20 solves."""
    sizes = [(1000, 100)] if mode == "quick" else [(1000, 100), (5000, 500)]
    out = []
    for n, d in sizes:
        X, y, beta = _linear(n, d)
        betas = np.geomspace(1e-3, 1.0, 20) * np.linalg.norm(X.T @ y)
        size = f"n={n}, d={d}, 20 betas"
        t1, _ = timed(lambda: dk.TwoLayerLinear(X, y, beta).solve())
        tp, sols = timed(lambda: dk.TwoLayerLinear(X, y, beta).path(betas))
        t20, _ = timed(lambda: [dk.TwoLayerLinear(X, y, b).solve() for b in betas])
        worst = max(s.rel_gap for s in sols)
        out += finish([
            row("B2 beta path", size, "one solve() (reference)", t1),
            row("B2 beta path", size, "path(betas): one factorization", tp, worst,
                peak_mb=peak_mb(lambda: dk.TwoLayerLinear(X, y, beta).path(betas)),
                note=f"all certified: {all(s.certified for s in sols)}; target <= 1.5x one solve"),
            row("B2 beta path", size, "20 independent solve()", t20),
        ])
    return out


def b3(mode, cap):
    """B3: vector outputs, the nuclear-norm program (C3): FISTA vs cvxpy (SDP)."""
    sizes = [(500, 50, 10, None)] if mode == "quick" else \
        [(500, 50, 10, None), (500, 50, 10, 1e4), (2000, 200, 20, None)]
    out = []
    for n, d, K, cond in sizes:
        X, Y = dk.data.vector_regression(n, d, K, rank=3, seed=0, cond=cond)
        beta = 0.3 * np.linalg.norm(X.T @ Y, 2)
        size = f"n={n}, d={d}, K={K}" + (f", cond(X)={cond:g}" if cond else "")
        large = d > 50
        solvers = ("CLARABEL", "SCS") if not large else ("SCS",) if mode == "slow" else ()
        rows, sol = solver_rows("B3 nuclear norm", size, lambda: dk.TwoLayerLinear(X, Y, beta),
                                cvxpy_solvers=solvers)
        rows[0]["note"] += f", {sol.info.get('iterations', 0)} iterations"
        if large:
            rows.append(row("B3 nuclear norm", size, "cvxpy + CLARABEL", NAN,
                            note="not run: the SDP of normNuc on a 220x220 block ran out of "
                                 "memory on a 24 GB machine"))
            if mode != "slow":
                rows.append(row("B3 nuclear norm", size, "cvxpy + SCS", NAN,
                                note="about 80 s (primal and dual SDPs): run with `--slow`"))
        out += finish(rows)
    return out


def b4(mode, cap):
    """B4: deep linear networks, the paper's formulation (P2, closed form through (C1) at
    beta_eff) and weight decay on all layers (exact optimum on the ridge path), L = 3, 4."""
    sizes = [(1000, 100)] if mode == "quick" else [(1000, 100), (5000, 500)]
    depths = (3,) if mode == "quick" else (3, 4)
    out = []
    for i, (n, d) in enumerate(sizes):
        X, y, beta = _linear(n, d)
        for L in depths:
            size = f"n={n}, d={d}, L={L}"
            make = lambda L=L: dk.DeepLinear(X, y, beta, depth=L, t=1.0)  # noqa: E731
            rows, sol = solver_rows("B4 deep linear (paper)", size, make,
                                    cvxpy_solvers=("CLARABEL",))
            if i == 0:
                prob = make()
                rows += train_rows("B4 deep linear (paper)", size, prob, sol.dual_value,
                                   lambda: prob.network(10, seed=0), cap)
            out += finish(rows)
            wd = dk.DeepLinearWeightDecay(X, y, 0.01 * np.linalg.norm(X.T @ y), depth=L)
            t, sol = timed(lambda: dk.DeepLinearWeightDecay(X, y, wd.beta, depth=L).solve())
            rows = [row("B4 deep linear (weight decay)", size, "solve() [ridge path]", t,
                        note="exact optimum (no dual: non-convex), gaps of training against it",
                        peak_mb=peak_mb(lambda: dk.DeepLinearWeightDecay(X, y, wd.beta, depth=L)
                                        .solve()))]
            if i == 0:
                rows += train_rows("B4 deep linear (weight decay)", size, wd, sol.value,
                                   lambda: wd.network(10, seed=0), cap)
            out += finish(rows)
    return out


def b5(mode, cap):
    """B5: 1-D minimum-norm interpolation (beta = 0): closed form vs cvxpy's LP (HiGHS)."""
    sizes = [(300, True)] if mode == "quick" else [(1000, True), (10**5, False)]
    out = []
    for n, with_cvxpy in sizes:
        x, y = dk.data.points_1d(n, seed=0)
        rows, _ = solver_rows("B5 1-D interpolation", f"n={n}", lambda: dk.ReLU1D(x, y, 0.0),
                              cvxpy_solvers=("HIGHS",) if with_cvxpy else ())
        if not with_cvxpy:
            rows.append(row("B5 1-D interpolation", f"n={n}", "cvxpy + HIGHS", NAN,
                            note="not run: dense n x 2n ramp matrix (160 GB at n=1e5)"))
        out += finish(rows)
    return out


def b6(mode, cap):
    """B6: 1-D regularized ReLU fit (C5): banded barrier solver vs cvxpy's QP vs training
    (width 200, where Adam plateaus above the exact optimum)."""
    sizes = [(100, True, True)] if mode == "quick" else \
        [(100, True, True), (1000, True, True), (10**4, False, False)]
    out = []
    for n, with_cvxpy, with_train in sizes:
        x, y = dk.data.points_1d(n, seed=0)
        beta = 0.01 * dk.ReLU1D(x, y, 1.0).beta_max
        rows, sol = solver_rows("B6 1-D ReLU fit", f"n={n}", lambda: dk.ReLU1D(x, y, beta),
                                cvxpy_solvers=("CLARABEL", "OSQP") if with_cvxpy else ())
        rows[0]["note"] += f", {sol.info['newton']} Newton steps"
        if not with_cvxpy:
            rows.append(row("B6 1-D ReLU fit", f"n={n}", "cvxpy + CLARABEL", NAN,
                            note="not run: dense n x 2n ramp matrix (1.6 GB at n=1e4)"))
        if with_train:
            prob = dk.ReLU1D(x, y, beta)
            rows += train_rows("B6 1-D ReLU fit", f"n={n}", prob, sol.dual_value,
                               lambda: prob.network(200, seed=0), cap)
        out += finish(rows)
    return out


def b7(mode, cap):
    """B7: deep ReLU on rank-one data: closed form kappa* vs cvxpy vs training (widths 10)."""
    depths = (3,) if mode == "quick" else (3, 4)
    X, y = dk.data.rank_one(1000, 50, seed=0)
    out = []
    for L in depths:
        size = f"n=1000, d=50, L={L}"
        beta = 0.1 * dk.RankOneReLU(X, y, 1.0, depth=L).beta_max
        make = lambda L=L: dk.RankOneReLU(X, y, beta, depth=L)  # noqa: E731
        rows, sol = solver_rows("B7 rank-one deep ReLU", size, make, cvxpy_solvers=SOCP_SOLVERS)
        prob = make()
        rows += train_rows("B7 rank-one deep ReLU", size, prob, sol.dual_value,
                           lambda: prob.network(10, seed=0), cap)
        out += finish(rows)
    return out


def b8(mode, cap):
    """B8: two-layer ReLU convex program on sampled patterns (see benchmarks.relu), with a row
    for pattern generation (``solve(generate_patterns=True)``, "not available" until
    ``TwoLayerReLU.solve`` takes it). The beta sweep of issue 22 is its own command,
    ``python -m benchmarks.relu --sweep`` (minutes to hours: not part of this suite)."""
    from benchmarks.relu import rows_for
    sizes = [(200, 10, 100)] if mode != "slow" else [(200, 10, 100), (1000, 20, 400)]
    out = []
    for n, d, P in sizes:
        rows = rows_for(n, d, P, with_scnn=mode != "quick", tight=mode == "slow")
        out += finish([row("B8 two-layer ReLU", f"n={n}, d={d}, patterns={P}", r["method"],
                           r["time"], r["gap"], note=r["note"]) for r in rows])
    return out


def b9(mode, cap):
    """B9: one full-batch Adam step of a two-layer ReLU network (1-D data) at widths 256-8192 and
    n up to 1e5, on the CPU (1 thread) and, where torch sees one, on a GPU (float64 and float32):
    the crossover where the GPU starts to pay. Sizes with n * width > 2e8 are skipped on the CPU
    (the activations alone would need > 1.6 GB)."""
    widths = (256, 2048) if mode == "quick" else (256, 1024, 4096, 8192)
    ns = (1000, 10**4) if mode == "quick" else (1000, 10**4, 10**5)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    out = []
    for n in ns:
        x, y = dk.data.points_1d(n, seed=0)
        prob = dk.ReLU1D(x, y, 1e-3)
        for m in widths:
            size = f"n={n}, width={m}"
            rows = []
            for dev in devices:
                for dtype in (("float64",) if dev == "cpu" else ("float64", "float32")):
                    if dev == "cpu" and n * m > 2e8:
                        rows.append(row("B9 training step", size, f"Adam step on cpu {dtype}", NAN,
                                        note="skipped: activations over 1.6 GB"))
                        continue
                    steps = 5 if n * m <= 1e7 else 2
                    t0 = time.perf_counter()
                    h = dk.train(prob.network(m, seed=0), prob, steps=steps, lr=1e-3,
                                 schedule=None, bound=None, record_every=steps, progress=False,
                                 device=dev, dtype=dtype, threads=1)
                    per_step = float(h.time[-1] - h.time[0]) / steps
                    rows.append(row("B9 training step", size, f"Adam step on {dev} {dtype}",
                                    per_step, note=f"mean of {steps} steps (plus one objective "
                                    f"evaluation); whole call {time.perf_counter() - t0:.2f} s"))
            if len(devices) == 1:
                rows.append(row("B9 training step", size, "Adam step on cuda", NAN,
                                note="no GPU visible to torch on this machine"))
            out += finish(rows)
    return out


def b10(mode, cap):
    """B10: scale. Two-layer linear (closed form) and nuclear norm (FISTA) at n = 1e5, d = 1e3
    (quick: n = 2e4, d = 200): time and peak traced memory; no n x n matrix is ever formed."""
    n, d = (20000, 200) if mode == "quick" else (10**5, 1000)
    X, y = dk.data.gaussian(n=n, d=d, seed=0)
    rng = np.random.default_rng(1)   # a rank-3 teacher with 10 outputs on the same X
    Y = X @ (rng.standard_normal((d, 3)) @ rng.standard_normal((3, 10))) \
        + 0.3 * rng.standard_normal((n, 10))
    out = []
    for name, targets, beta in (
            ("scalar (C1), closed form", y, 0.1 * np.linalg.norm(X.T @ y)),
            ("K=10 (C3), FISTA", Y, 0.3 * np.linalg.norm(X.T @ Y, 2))):
        size = f"n={n}, d={d}"
        t, sol = timed(lambda: dk.TwoLayerLinear(X, targets, beta).solve(), reps=1)
        mem = peak_mb(lambda: dk.TwoLayerLinear(X, targets, beta).solve())
        out.append(row("B10 scale", size, name, t, sol.rel_gap, peak_mb=mem, ratio=1.0,
                       note=f"X itself is {X.nbytes / 1e6:.0f} MB; certified={sol.certified}; "
                            "target < 10 s and < 2 GB"))
    return out


ALL = {"B1": b1, "B2": b2, "B3": b3, "B4": b4, "B5": b5, "B6": b6, "B7": b7, "B8": b8,
       "B9": b9, "B10": b10}


def run(names, mode: str, cap: float, echo=print) -> list[dict]:
    """Run the named rows in order; ``echo`` gets each finished bench's rows as it goes."""
    rows = []
    for name in names:
        t0 = time.perf_counter()
        new = ALL[name](mode, cap)
        rows += new
        echo(name, new, time.perf_counter() - t0)
    return rows
