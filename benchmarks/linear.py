"""Linear networks, scalar output: closed form vs cvxpy vs torch training.

Two problems: the two-layer network (``TwoLayerLinear``, width 10) and the paper's deep
formulation (``DeepLinear``, depth 4, t = 1, widths 10-10-10). For each size it prints the time
of ``prob.solve()`` (closed form), of ``prob.solve("cvxpy")`` (primal and dual programs, compile
and solve reported separately), and of training to a relative gap of 1e-6 with Adam (best of
lr 1e-3, 1e-2, 1e-1) and with L-BFGS, side by side with ratios to the closed form. float64, one
torch/BLAS thread, median of 5 repetitions for anything under 1 s.

    python -m benchmarks.linear            # n=200, d=50 and n=5000, d=500
    python -m benchmarks.linear --quick    # n=200, d=50 only, short caps (CI)
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

import dualkit as dk  # noqa: E402

torch.set_num_threads(1)
TARGET = 1e-6


def timed(fn, reps: int = 5):
    """Median wall time of fn() over reps runs (a single run if it takes more than 1 s)."""
    t0 = time.perf_counter()
    out = fn()
    first = time.perf_counter() - t0
    if first > 1.0:
        return first, out
    times = [first]
    for _ in range(reps - 1):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def train_to_target(prob, bound, optimizer, lr, cap):
    net = prob.network(10, seed=0)
    steps = 10**7 if optimizer == "adam" else 10**5
    t0 = time.perf_counter()
    hist = dk.train(net, prob, steps=steps, lr=lr, optimizer=optimizer, bound=bound, tol=TARGET,
                    schedule=None, progress=False, threads=1, time_limit=cap)
    return time.perf_counter() - t0, hist


PROBLEMS = {
    "two-layer": lambda X, y, b: dk.TwoLayerLinear(X, y, b),
    "deep L=4": lambda X, y, b: dk.DeepLinear(X, y, b, depth=4, t=1.0),
}


def run(name: str, n: int, d: int, cap: float) -> list[dict]:
    X, y = dk.data.gaussian(n=n, d=d, seed=0)
    make = PROBLEMS[name]
    beta = 0.1 * np.linalg.norm(X.T @ y)  # with t = 1, beta_eff = beta for the deep problem
    prob = make(X, y, beta)
    rows = []

    t_cf, sol = timed(lambda: make(X, y, beta).solve())
    rows.append(dict(method="solve() closed form", time=t_cf, gap=sol.rel_gap, note=""))

    t_cvx, ref = timed(lambda: prob.solve(method="cvxpy"))
    tp, td = ref.info["primal_time"], ref.info["dual_time"]
    note = (f"primal compile {tp['compile']:.3f}s + solve {tp['solve']:.3f}s; "
            f"dual compile {td['compile']:.3f}s + solve {td['solve']:.3f}s")
    rows.append(dict(method="solve('cvxpy') Clarabel", time=t_cvx,
                     gap=abs(ref.value - sol.value) / sol.value, note=note))

    best = None
    for lr in (1e-3, 1e-2, 1e-1):
        t, hist = train_to_target(prob, sol.value, "adam", lr, cap)
        cand = (not hist.converged, t, lr, hist)
        if best is None or cand[:2] < best[:2]:
            best = cand
    _, t, lr, hist = best
    rows.append(dict(method=f"train Adam (lr={lr:g})", time=t, gap=hist.final_rel_gap,
                     note=("reached 1e-6" if hist.converged else f"NOT reached in {cap:g}s cap")
                     + f", {int(hist.steps[-1])} steps"))

    t, hist = train_to_target(prob, sol.value, "lbfgs", 1.0, cap)
    rows.append(dict(method="train L-BFGS (strong Wolfe)", time=t, gap=hist.final_rel_gap,
                     note=("reached 1e-6" if hist.converged else f"NOT reached in {cap:g}s cap")
                     + f", {int(hist.steps[-1])} outer steps"))
    for r in rows:
        r["ratio"] = r["time"] / t_cf
    return rows


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small size only, short caps (CI)")
    args = ap.parse_args(argv)
    sizes = [(200, 50)] if args.quick else [(200, 50), (5000, 500)]
    cap = 10.0 if args.quick else 60.0
    print(f"torch {torch.__version__}, 1 thread, float64; beta = 0.1 ||X^T y||; widths 10; "
          f"training target: relative gap {TARGET:g}, cap {cap:g} s\n")
    print("| problem | n | d | method | time (s) | × closed form | rel. gap / diff | note |")
    print("|---|---|---|---|---|---|---|---|")
    for name in PROBLEMS:
        for n, d in sizes:
            for r in run(name, n, d, cap):
                print(f"| {name} | {n} | {d} | {r['method']} | {r['time']:.4g} | "
                      f"{r['ratio']:.3g} | {r['gap']:.1e} | {r['note']} |", flush=True)


if __name__ == "__main__":
    main()
