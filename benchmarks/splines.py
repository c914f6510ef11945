"""1-D ReLU networks (C5): the banded ramp solver vs cvxpy vs torch training.

Rows: B5, minimum-norm interpolation (``beta = 0``: closed form vs cvxpy's LP), and B6, the
regularized fit (``beta = 0.01 beta_max``: the banded barrier solver vs cvxpy's QP on the dense
ramp matrices, and a width-200 network trained with Adam (best of lr 1e-3, 1e-2, 1e-1) and
L-BFGS for a fixed time, to show where gradient training plateaus against the exact optimum).
Data: ``dk.data.points_1d`` (uniform random inputs in [-1, 1], sin(6x) plus noise). float64,
one thread, median of 5 repetitions for anything under 1 s; cvxpy compile and solve reported
separately; every gap is measured against the ramp solver's dual certificate.

    python -m benchmarks.splines            # n = 100, 1000, 10^4 (10^5 for interpolation)
    python -m benchmarks.splines --quick    # n = 300 (interpolation), 100 and 1000 (CI)
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import torch  # noqa: E402

import dualkit as dk  # noqa: E402
from benchmarks.linear import timed  # noqa: E402

torch.set_num_threads(1)


def _cvxpy_note(info):
    return f"compile {info['compile']:.3f}s + solve {info['solve']:.3f}s"


def interpolation_rows(n: int, with_cvxpy: bool) -> list[dict]:
    x, y = dk.data.points_1d(n, seed=0)
    t_cf, sol = timed(lambda: dk.ReLU1D(x, y, 0.0).solve())
    rows = [dict(method="solve() closed form", time=t_cf, gap=sol.rel_gap,
                 note=f"{len(sol.knots)} knots, certified={sol.certified}")]
    if with_cvxpy:
        t_c, ref = timed(lambda: dk.ReLU1D(x, y, 0.0).solve(method="cvxpy"), reps=1)
        rows.append(dict(method="solve('cvxpy') LP, HiGHS", time=t_c,
                         gap=abs(ref.value - sol.value) / sol.value, note=_cvxpy_note(ref.info)))
    return rows


def regularized_rows(n: int, with_cvxpy: bool, train_cap: float | None) -> list[dict]:
    x, y = dk.data.points_1d(n, seed=0)
    beta = 0.01 * dk.ReLU1D(x, y, 1.0).beta_max
    prob = dk.ReLU1D(x, y, beta)
    t_r, sol = timed(lambda: dk.ReLU1D(x, y, beta).solve())
    rows = [dict(method="solve() banded barrier", time=t_r, gap=sol.rel_gap,
                 note=f"{sol.info['newton']} Newton steps, {len(sol.knots)} knots")]
    if with_cvxpy:
        t_c, ref = timed(lambda: prob.solve(method="cvxpy"), reps=1)
        rows.append(dict(method="solve('cvxpy') QP, Clarabel", time=t_c,
                         gap=abs(ref.value - sol.value) / sol.value, note=_cvxpy_note(ref.info)))
    if train_cap:
        best = None
        for lr in (1e-3, 1e-2, 1e-1):
            net = prob.network(200, seed=0)
            t0 = time.perf_counter()
            hist = dk.train(net, prob, steps=10**7, lr=lr, schedule=None, bound=sol.dual_value,
                            progress=False, threads=1, time_limit=train_cap)
            cand = (hist.final_rel_gap, time.perf_counter() - t0, lr, int(hist.steps[-1]))
            best = cand if best is None or cand[0] < best[0] else best
        rows.append(dict(method="Adam, width 200", time=best[1], gap=best[0],
                         note=f"best lr {best[2]:g}, {best[3]} steps in the time cap"))
        net = prob.network(200, seed=0)
        t0 = time.perf_counter()
        hist = dk.train(net, prob, steps=10**5, optimizer="lbfgs", bound=sol.dual_value,
                        progress=False, threads=1, time_limit=train_cap)
        rows.append(dict(method="L-BFGS, width 200", time=time.perf_counter() - t0,
                         gap=hist.final_rel_gap, note=f"{int(hist.steps[-1])} outer steps"))
    for r in rows:
        r["ratio"] = r["time"] / t_r if r is not rows[0] else 1.0
    return rows


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="n = 100 and 1000 only (CI)")
    args = ap.parse_args(argv)
    cap = 2.0 if args.quick else 30.0
    print(f"torch {torch.__version__}, 1 thread, float64; data: points_1d (random x in [-1, 1]); "
          f"regularized rows at beta = 0.01 beta_max; training capped at {cap:g} s\n")
    print("| problem | n | method | time (s) | × dedicated | rel. gap / diff | note |")
    print("|---|---|---|---|---|---|---|")
    interp = [(300, True)] if args.quick else [(1000, True), (10**5, False)]
    for n, cvx in interp:
        rows = interpolation_rows(n, cvx)
        for r in rows:
            r["ratio"] = r["time"] / rows[0]["time"]
            print(f"| B5 interpolation | {n} | {r['method']} | {r['time']:.4g} | {r['ratio']:.3g} | "
                  f"{r['gap']:.1e} | {r['note']} |", flush=True)
    reg = [(100, True, cap), (1000, True, None)] if args.quick else \
        [(100, True, cap), (1000, True, cap), (10**4, False, None)]
    for n, cvx, tcap in reg:
        for r in regularized_rows(n, cvx, tcap):
            print(f"| B6 regularized | {n} | {r['method']} | {r['time']:.4g} | {r['ratio']:.3g} | "
                  f"{r['gap']:.1e} | {r['note']} |", flush=True)


if __name__ == "__main__":
    main()
