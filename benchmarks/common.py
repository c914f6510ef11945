"""The benchmark protocol shared by every row: timing, peak memory, cvxpy timings, training.

* float64 everywhere; one torch thread (here) and one BLAS thread (``benchmarks/__init__.py``,
  before NumPy is first imported);
* ``timed``: median of 5 repetitions for anything under 1 s, a single run otherwise;
* ``peak_mb``: peak of the NumPy/Python allocations traced by :mod:`tracemalloc` during one
  extra, untimed run (LAPACK's internal workspace is not traced);
* ``cvxpy_times``: cvxpy's compile (canonicalisation) and solver times, reported separately;
* ``train_rows``: full-batch Adam (best of lr 1e-3, 1e-2, 1e-1) and L-BFGS (strong Wolfe) from
  ``dk.train``, with the wall time at which the relative gap against the dedicated solver's
  certified dual value first reaches 1e-2, 1e-4 and 1e-6, each run capped in time.
"""

from __future__ import annotations

import math
import tracemalloc

import numpy as np
import torch

import dualkit as dk

torch.set_num_threads(1)
NAN = float("nan")
THRESHOLDS = (1e-2, 1e-4, 1e-6)
ADAM_LRS = (1e-3, 1e-2, 1e-1)


def fmt(v, spec: str) -> str:
    """A table cell: a float formatted with ``spec`` (a dash for NaN and inf), anything else
    as ``str``."""
    if isinstance(v, float):
        return format(v, spec) if math.isfinite(v) else "—"
    return str(v)


def timed(fn, reps: int = 5):
    """Median wall time of fn() over reps runs (a single run if the first takes more than 1 s),
    and the result of the median run: :func:`dualkit.timing.timed`, the one timing rule of the
    book and the benchmarks."""
    t = dk.timing.timed(fn, repeat=reps, single_above=1.0, blas_threads=1)
    return t.seconds, t.value


def peak_mb(fn) -> float:
    """Peak traced memory (MB) of one run of fn(), above what was allocated before it."""
    tracemalloc.start()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 1e6


def cvxpy_times(info: dict) -> tuple[float, float]:
    """(compile, solve) seconds from a cvxpy solution's info, summing primal and dual programs."""
    parts = [info[k] for k in ("primal_time", "dual_time") if k in info] or [info]
    return (sum(p.get("compile", NAN) for p in parts), sum(p.get("solve", NAN) for p in parts))


def row(bench: str, size: str, method: str, time: float, gap: float = NAN, **extra) -> dict:
    """One table row; missing columns are NaN (or empty for the note)."""
    r = dict(bench=bench, size=size, method=method, time=time, compile=NAN, solve=NAN,
             ratio=NAN, rel_gap=gap, peak_mb=NAN, **{f"t_{t:g}": NAN for t in THRESHOLDS},
             note="")
    r.update(extra)
    return r


def solver_rows(bench: str, size: str, make, *, cvxpy_solvers=("CLARABEL",), memory=True,
                cvxpy_kwargs=None, name="solve() dedicated") -> tuple[list[dict], object]:
    """Rows for the dedicated solver (``make().solve()``: a fresh problem each repetition, so the
    problem's construction and any factorization are timed) and for
    ``make().solve(method="cvxpy", solver=s)`` for each s (timed the same way: median of 5 under
    1 s; it solves the primal and the dual program separately, both timed); the gap of each is
    its own duality gap, from the dual point it builds. Returns (rows, dedicated solution)."""
    t, sol = timed(lambda: make().solve())
    rows = [row(bench, size, f"{name} [{sol.method}]", t, sol.rel_gap,
                peak_mb=peak_mb(lambda: make().solve()) if memory else NAN,
                note=f"certified={sol.certified}")]
    for s in cvxpy_solvers:
        try:
            tc, ref = timed(lambda: make().solve(method="cvxpy", solver=s,
                                                 **(cvxpy_kwargs or {})))
        except (RuntimeError, ValueError) as exc:       # a solver that fails is a result too
            rows.append(row(bench, size, f"cvxpy + {s}", NAN, note=f"failed: {exc}"[:160]))
            continue
        comp, solve = cvxpy_times(ref.info)
        rows.append(row(bench, size, f"cvxpy + {s}", tc, ref.rel_gap, compile=comp, solve=solve,
                        note=f"value differs from dedicated by "
                             f"{abs(ref.value - sol.value) / abs(sol.value):.1e}"))
    return rows, sol


def _time_to(hist, thr: float) -> float:
    hit = np.flatnonzero(hist.rel_gap <= thr)
    return float(hist.time[hit[0]]) if hit.size else NAN


def train_rows(bench: str, size: str, prob, bound: float, make_net, cap: float) -> list[dict]:
    """Adam (best of three learning rates, each run capped at cap/3 s) and L-BFGS (capped at cap s)
    from ``make_net()``; records every 10 Adam steps and every L-BFGS step, stops at 1e-6."""
    best = None
    for lr in ADAM_LRS:
        hist = dk.train(make_net(), prob, steps=10**8, lr=lr, optimizer="adam", schedule=None,
                        bound=bound, tol=THRESHOLDS[-1], record_every=10, progress=False,
                        threads=1, time_limit=cap / len(ADAM_LRS))
        key = (not hist.converged, _time_to(hist, THRESHOLDS[-1]) if hist.converged
               else hist.rel_gap.min())
        if best is None or key < best[0]:
            best = (key, lr, hist)
    _, lr, hist = best
    out = []
    for name, h, budget, extra in (
            (f"torch Adam (best lr {lr:g})", hist, cap / len(ADAM_LRS), "steps"),
            ("torch L-BFGS (strong Wolfe)", None, cap, "outer steps")):
        if h is None:
            h = dk.train(make_net(), prob, steps=10**6, optimizer="lbfgs", bound=bound,
                         tol=THRESHOLDS[-1], record_every=1, progress=False, threads=1,
                         time_limit=cap)
        reached = h.converged
        out.append(row(bench, size, name, float(h.time[-1]), float(np.min(h.rel_gap)),
                       **{f"t_{t:g}": _time_to(h, t) for t in THRESHOLDS},
                       note=(f"reached 1e-6 after {int(h.steps[-1])} {extra}" if reached else
                             f"1e-6 not reached in the {budget:.3g} s cap "
                             f"({int(h.steps[-1])} {extra})")))
    return out


def finish(rows: list[dict]) -> list[dict]:
    """Ratio of each row's time to the first row's (the dedicated solver) of its bench and size.
    A training row uses its time to 1e-6 when it got there, else its (capped) run time."""
    ref = rows[0]["time"]
    for r in rows:
        t = r["t_1e-06"] if math.isfinite(r["t_1e-06"]) else r["time"]
        r["ratio"] = t / ref if math.isfinite(t) and ref > 0 else NAN
    return rows
