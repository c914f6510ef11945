"""dualkit's benchmarks in one run: python -m benchmarks [--quick | --slow] [--only B1,B6].

Prints one Markdown table (rows B1-B10, see ``benchmarks/suite.py``) as it goes and writes it to
``<out>/<mode>.md`` and ``<out>/<mode>.csv`` with a plot of time vs size per method,
``<out>/<mode>.png``. Protocol in ``benchmarks/common.py``: float64, one torch/BLAS thread,
median of 5 repetitions under 1 s, cvxpy compile and solve reported separately, gaps from
explicitly built dual points, training capped at ``--cap`` seconds per optimizer.

    python -m benchmarks --quick      # CI-sized (under a minute)
    python -m benchmarks              # the issue's sizes (under 10 minutes on 2 cores)
    python -m benchmarks --slow       # plus cvxpy at the large ReLU size and scnn at tol 1e-8
"""

from __future__ import annotations

import argparse
import csv
import datetime
import math
import os
import platform
import sys
import time
from pathlib import Path

import cvxpy
import numpy as np
import torch

from benchmarks.common import fmt
from benchmarks.suite import ALL, run

COLUMNS = ["bench", "size", "method", "time", "compile", "solve", "ratio", "rel_gap", "peak_mb",
           "t_0.01", "t_0.0001", "t_1e-06", "note"]
HEADER = ("| bench | size | method | time (s) | × first row | rel. gap | peak MB | "
          "t→1e-2 (s) | t→1e-4 (s) | t→1e-6 (s) | note |")


def markdown_row(r: dict) -> str:
    note = r["note"]
    if math.isfinite(r["compile"]):
        note = f"compile {r['compile']:.3g} s + solve {r['solve']:.3g} s; " + note
    ratio = fmt(r["ratio"], ".3g")
    if r["method"].startswith("torch") and not math.isfinite(r["t_1e-06"]):
        ratio = ">" + ratio         # a capped run: the time to 1e-6 is longer still
    cells = [r["bench"], r["size"], r["method"], fmt(r["time"], ".3g"), ratio,
             fmt(r["rel_gap"], ".1e"), fmt(r["peak_mb"], ".3g"), fmt(r["t_0.01"], ".3g"),
             fmt(r["t_0.0001"], ".3g"), fmt(r["t_1e-06"], ".3g"), note.replace("|", "/")]
    return "| " + " | ".join(cells) + " |"


def environment() -> str:
    return (f"{datetime.date.today()}, {platform.processor() or platform.machine()}, "
            f"{os.cpu_count()} cores; Python {platform.python_version()}, NumPy {np.__version__}, "
            f"torch {torch.__version__}, cvxpy {cvxpy.__version__}; float64, 1 thread")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--quick", action="store_true", help="CI-sized rows (under a minute)")
    g.add_argument("--slow", action="store_true", help="full plus the multi-minute runs")
    ap.add_argument("--only", default=",".join(ALL), help="comma-separated rows, e.g. B1,B6")
    ap.add_argument("--cap", type=float, default=None,
                    help="seconds per training run (default 2 quick, 15 full)")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results"),
                    help="folder for <mode>.md, <mode>.csv and <mode>.png")
    args = ap.parse_args(argv)
    mode = "quick" if args.quick else "slow" if args.slow else "full"
    cap = args.cap if args.cap is not None else (2.0 if args.quick else 15.0)
    if not cap > 0:
        ap.error(f"--cap must be > 0 seconds; got {cap}")
    names = [s.strip().upper() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in names if s not in ALL]
    if unknown:
        ap.error(f"unknown rows {unknown}; choose from {list(ALL)}")

    # no Markdown heading; the performance chapter reads the first line (the environment) and
    # the last ("Total ... s") of this file, and links it for download
    head = (f"**dualkit benchmarks ({mode})**: {environment()}; training capped at {cap:g} s per "
            f"optimizer (Adam: {cap / 3:.3g} s per learning rate, the time of the learning-rate "
            f"search not counted). '>' marks a training run that did not reach 1e-6 in its cap; "
            f"cvxpy rows solve the primal and the dual program separately (both timed)."
            f"\n\n{HEADER}\n"
            + "|---" * 11 + "|")
    print(head, flush=True)
    lines = [head]
    t0 = time.perf_counter()

    def echo(name, rows, seconds):
        for r in rows:
            lines.append(markdown_row(r))
            print(lines[-1], flush=True)
        print(f"<!-- {name}: {seconds:.1f} s -->", file=sys.stderr, flush=True)

    rows = run(names, mode, cap, echo)
    total = time.perf_counter() - t0
    lines.append(f"\nTotal {total:.0f} s.")
    print(lines[-1])

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{mode}.md").write_text("\n".join(lines) + "\n")
    with open(out / f"{mode}.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(rows)
    import matplotlib
    matplotlib.use("Agg")
    import dualkit as dk
    fig = dk.plot.benchmark(rows)
    fig.savefig(out / f"{mode}.png", dpi=110, bbox_inches="tight")
    print(f"wrote {out / mode}.md, .csv, .png", file=sys.stderr)


if __name__ == "__main__":
    main()
