"""Two-layer ReLU convex program (the derivations appendix, app-relu-program): dualkit's
working-set solver vs cvxpy vs scnn.

Row B8: the cone-constrained group lasso on sampled activation patterns, at
(n, d, patterns) = (200, 10, 100) and (1000, 20, 400); Gaussian inputs with a column of ones
(the regularized bias, Pilanci & Ergen's convention), y = sin(2 x_1) + 0.5 x_2 + noise,
beta = 0.1 beta_max of the sampled program. Every method solves the *same* program: the same
gate vectors, float64, and the same objective scaling (scnn minimizes the loss divided by 2n,
so it is given lambda = beta / n). Every method's answer is turned into its ReLU network by the
same weight recovery and scored by ``prob.objective``; the relative gap is measured against
dualkit's dual certificate of the sampled program. That bound holds for every solution of the
sampled program; a network whose neurons violate the cone constraints by a hair (cvxpy's, by its
feasibility tolerance) uses patterns outside the sampled set and may land below it by as much.

scnn is optional and never required by dualkit. Install it for this benchmark only, without
its torchvision/scikit-learn dependencies (which scnn does not import):

    pip install --no-deps pyscnn==0.0.10 linalg-backends==0.0.1b0 opt_einsum

Run through the entry point: ``python -m benchmarks --only B8`` (the small size with scnn),
``--slow`` (adds the large size, cvxpy there takes about 10 minutes on a 2-core box, and scnn
at a tight tolerance), ``--quick`` (the small size without scnn).

The beta sweep (issue 22): ``python -m benchmarks.relu --sweep`` solves the program at
beta = f beta_max for f in {0.1, 0.03, 0.01, 0.003, 0.001}, n in {1000, 5000, 20000}, d in {10, 20}
(200 patterns at d = 10, 400 at d = 20) with dualkit's ``solve()`` (fixed sample), dualkit with
pattern generation (``solve(generate_patterns=True)``, where that keyword exists), scnn's AL on
the same gates and cvxpy + Clarabel (n <= 1000, d = 10 only). Every answer is turned into a
ReLU network and scored by ``prob.objective``. scnn and cvxpy run in a subprocess (one thread)
that is killed after ``cap_factor`` times dualkit's time of the same row (cvxpy: after
``--cvxpy-cap`` seconds), counted from the moment the solver starts (imports and the
problem's construction are not counted); a killed run is reported at its cap, as a lower bound,
with a NaN objective. See :func:`sweep_main` for the options.
"""

from __future__ import annotations

import argparse
import csv
import inspect
import logging
import math
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

os.environ["RAYON_NUM_THREADS"] = "1"      # Clarabel's parallel KKT: one thread too

import numpy as np

import dualkit as dk
from benchmarks.common import fmt, timed


def problem_data(n: int, d: int, P: int, seed: int = 0):
    """The benchmark's data (X, y) and gate vectors G ((d + 1) x P, the last row the bias)."""
    X, y = dk.data.sine_features(n=n, d=d, seed=seed, noise=0.1)
    G = np.random.default_rng(seed + 1).standard_normal((d + 1, P))
    return X, y, G


def make_problem(n: int, d: int, P: int, frac: float = 0.1, seed: int = 0):
    X, y, G = problem_data(n, d, P, seed)
    bmax = dk.TwoLayerReLU(X, y, 1.0, patterns=G).beta_max
    return dk.TwoLayerReLU(X, y, frac * bmax, patterns=G), G


def scnn_solve(prob, G, tol: float):
    """scnn's augmented Lagrangian on the same gates; returns (U, signs) of its blocks."""
    from scnn.metrics import Metrics
    from scnn.models import ConvexReLU
    from scnn.optimize import optimize_model
    from scnn.regularizers import NeuronGL1
    from scnn.solvers import AL

    model = ConvexReLU(G)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model, _ = optimize_model(model, AL(model, tol=tol, constraint_tol=tol), Metrics(),
                                  prob.M, prob.y[:, None], regularizer=NeuronGL1(prob.beta / prob.n),
                                  unitize_data=False, dtype="float64", return_convex=True)
    V, W = model.parameters[0][0], model.parameters[1][0]          # (P, p) each
    U = np.hstack([V.T, W.T])
    signs = np.r_[np.ones(V.shape[0]), -np.ones(W.shape[0])]
    return U, signs


def rows_for(n: int, d: int, P: int, with_scnn: bool, tight: bool, with_cvxpy: bool = True) -> list[dict]:
    prob, G = make_problem(n, d, P)
    t_ws, sol = timed(lambda: prob.solve())
    bound = sol.info["restricted_dual_value"]

    def gap(value):
        return (value - bound) / abs(bound)

    rows = [dict(method="dualkit solve() (working set)", time=t_ws, gap=gap(sol.value),
                 note=f"{sol.info['rounds']} rounds, {sol.info['active_blocks']} active blocks of "
                      f"{2 * prob.blocks.size}")]
    if has_generation():
        X, y, _ = problem_data(n, d, P)
        t_g, gsol = timed(lambda: dk.TwoLayerReLU(X, y, prob.beta, patterns=G).solve(
            generate_patterns=True))
        value = prob.objective(gsol.weights)
        rows.append(dict(method="dualkit solve() + pattern generation", time=t_g,
                         gap=gap(value),
                         note=f"{_generated(gsol.info)} generated patterns; its network's "
                              f"objective {value:.10g} against the sampled program's optimum "
                              f"{sol.value:.10g} (the gap is against the fixed sample's bound)"))
    else:
        rows.append(dict(method="dualkit solve() + pattern generation", time=float("nan"),
                         gap=float("nan"), note="not available: TwoLayerReLU.solve has no "
                                                "generate_patterns keyword yet"))
    if with_cvxpy:
        t_c, ref = timed(lambda: prob.solve(method="cvxpy", solver="CLARABEL"), reps=1)
        rows.append(dict(method="cvxpy + Clarabel (whole program)", time=t_c, gap=gap(ref.value),
                         note=f"compile {ref.info['compile']:.2f}s + solve {ref.info['solve']:.2f}s"))
    else:
        rows.append(dict(method="cvxpy + Clarabel (whole program)", time=float("nan"),
                         gap=float("nan"), note="skipped (about 10 minutes): run with `--slow`"))
    if with_scnn:
        try:
            import scnn  # noqa: F401
        except ImportError:
            rows.append(dict(method="scnn", time=float("nan"), gap=float("nan"),
                             note="not installed (see the module docstring)"))
        else:
            logging.getLogger("scnn").setLevel(logging.ERROR)
            for tol in ((1e-6, 1e-8) if tight else (1e-6,)):
                t0 = time.perf_counter()
                U, signs = scnn_solve(prob, G, tol)
                t_s = time.perf_counter() - t0
                ws = prob.block_weights(U, np.zeros(U.shape[1], dtype=int), signs)
                rows.append(dict(method=f"scnn AL (tol {tol:g})", time=t_s,
                                 gap=gap(prob.objective(ws)),
                                 note="its convex solution mapped to a ReLU network"))
    for r in rows:
        r["ratio"] = r["time"] / t_ws
    return rows


# ---------------------------------------------------------------------------------------------
# The beta sweep (issue 22)

FRACS = (0.1, 0.03, 0.01, 0.003, 0.001)
SWEEP_NS = (1000, 5000, 20000)
SWEEP_DS = (10, 20)
PATTERNS = {10: 200, 20: 400}          # the numbers of sampled gates per d
NAN = float("nan")
FIXED = "dualkit solve()"
GENERATE = "dualkit solve(generate_patterns=True)"
SCNN = "scnn AL (tol 1e-6)"
CVXPY = "cvxpy + Clarabel"
SWEEP_COLUMNS = ["n", "d", "patterns", "frac", "beta", "method", "status", "time", "lower_bound",
                 "objective", "rel_to_fixed", "ratio", "active_neurons", "rounds", "generated",
                 "note"]


def has_generation() -> bool:
    """Whether ``TwoLayerReLU.solve`` takes ``generate_patterns`` (pattern generation)."""
    return "generate_patterns" in inspect.signature(dk.TwoLayerReLU.solve).parameters


def _generated(info: dict):
    """Number of generated patterns from a generation solve's info (NaN when not reported)."""
    for key in ("generated_patterns", "patterns_generated", "generated"):
        v = info.get(key)
        if isinstance(v, (int, np.integer, float)):
            return int(v)
        if isinstance(v, (list, tuple, np.ndarray)):
            return len(v)
    return NAN


def active_neurons(ws) -> int:
    """Neurons of a two-layer network with a non-zero output weight."""
    return int(np.count_nonzero(np.asarray(ws[1]).ravel()))


def _save_weights(path, ws, seconds: float) -> None:
    b, b0 = ws.biases
    np.savez(path, W1=ws[0], w2=ws[1], b=np.empty(0) if b is None else b,
             has_b=b is not None, b0=NAN if b0 is None else float(b0), has_b0=b0 is not None,
             seconds=seconds)


def _load_weights(path):
    from dualkit.weights import ReLUWeights
    z = np.load(path)
    biases = [z["b"] if bool(z["has_b"]) else None, float(z["b0"]) if bool(z["has_b0"]) else None]
    return ReLUWeights([z["W1"], z["w2"]], biases), float(z["seconds"])


def worker(method: str, n: int, d: int, P: int, beta: float, out: str) -> None:
    """Child process of :func:`run_capped`: build the same problem, touch ``out + '.start'``
    right before the solver starts, solve, save the network and the solve time to ``out``."""
    import torch
    torch.set_num_threads(1)
    X, y, G = problem_data(n, d, P)
    prob = dk.TwoLayerReLU(X, y, beta, patterns=G)
    if method == "scnn":
        import scnn  # noqa: F401  (imported before the clock starts)
        logging.getLogger("scnn").setLevel(logging.ERROR)

        def solve():
            U, signs = scnn_solve(prob, G, 1e-6)
            return prob.block_weights(U, np.zeros(U.shape[1], dtype=int), signs)
    elif method == "cvxpy":
        import cvxpy  # noqa: F401

        def solve():
            return prob.solve(method="cvxpy", solver="CLARABEL").weights
    else:
        raise ValueError(f"unknown worker method {method!r}; use 'scnn' or 'cvxpy'.")
    Path(out + ".start").write_text(repr(time.time()))
    t0 = time.perf_counter()
    ws = solve()
    _save_weights(out, ws, time.perf_counter() - t0)


def run_capped(method: str, n: int, d: int, P: int, beta: float, cap: float,
               startup: float = 120.0):
    """Run ``method`` ("scnn" or "cvxpy") on the sweep's problem in a one-thread subprocess and
    kill it ``cap`` seconds after its solver started (``startup`` seconds allowed before that).
    Returns (seconds, weights or None, status): status "ok", "capped" (seconds = cap, a lower
    bound) or "failed: ..." (the child's last error line)."""
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               RAYON_NUM_THREADS="1")
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "answer.npz")
        cmd = [sys.executable, "-m", "benchmarks.relu", "--worker", method, "--n", str(n),
               "--d", str(d), "--patterns", str(P), "--beta", repr(float(beta)), "--out", out]
        with open(os.path.join(tmp, "stderr"), "w+") as err:
            proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err, cwd=root)
            t_launch, started, killed = time.time(), None, False
            try:
                while proc.poll() is None:
                    time.sleep(0.02)
                    if started is None and os.path.exists(out + ".start"):
                        started = float(Path(out + ".start").read_text() or time.time())
                    now = time.time()
                    if (started is not None and now - started > cap) or \
                            (started is None and now - t_launch > startup):
                        break
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
                    killed = True
            if killed:
                if started is None:
                    return NAN, None, f"failed: no start within {startup:g} s"
                return cap, None, "capped"
            if proc.returncode != 0 or not os.path.exists(out):
                err.seek(0)
                last = [ln for ln in err.read().splitlines() if ln.strip()][-1:] or ["no output"]
                return NAN, None, f"failed: {last[0][:150]}"
            ws, seconds = _load_weights(out)
    return seconds, ws, "ok"


def sweep_rows(n: int, d: int, P: int, fracs=FRACS, *, with_scnn: bool = True,
               with_cvxpy: bool = True, cap_factor: float = 10.0, cvxpy_cap: float = 600.0,
               cvxpy_max_n: int = 1000, cvxpy_ds=(10,), echo=None,
               generate: bool | int = True) -> list[dict]:
    """The sweep's rows at one size: for each beta = f beta_max (beta_max of the sampled program
    at this size) dualkit fixed, dualkit with pattern generation, scnn and cvxpy, each scored as a
    ReLU network by ``prob.objective``; ``rel_to_fixed`` = (objective - fixed's) / |fixed's|,
    ``ratio`` = time / dualkit fixed's time. ``echo(row)`` is called as each row is done."""
    X, y, G = problem_data(n, d, P)
    bmax = dk.TwoLayerReLU(X, y, 1.0, patterns=G).beta_max
    gen = has_generation()
    rows = []
    for f in fracs:
        beta = f * bmax
        prob = dk.TwoLayerReLU(X, y, beta, patterns=G)

        def make():
            return dk.TwoLayerReLU(X, y, beta, patterns=G)

        def add(method, status, seconds, ws=None, lower=False, **extra):
            obj = prob.objective(ws) if ws is not None else NAN
            r = dict(n=n, d=d, patterns=P, frac=f, beta=beta, method=method, status=status,
                     time=seconds, lower_bound=lower, objective=obj, rel_to_fixed=NAN, ratio=NAN,
                     active_neurons=active_neurons(ws) if ws is not None else NAN, rounds=NAN,
                     generated=NAN, note="")
            r.update(extra)
            if rows_f:
                ref = rows_f[0]
                r["rel_to_fixed"] = (obj - ref["objective"]) / abs(ref["objective"])
                r["ratio"] = seconds / ref["time"]
            else:
                r["rel_to_fixed"], r["ratio"] = 0.0, 1.0
            rows_f.append(r)
            if echo is not None:
                echo(r)

        rows_f: list[dict] = []
        t_fix, sol = timed(lambda: make().solve())
        add(FIXED, "ok", t_fix, sol.weights, rounds=sol.info["rounds"],
            note=f"program value {sol.value:.10g}; {sol.info['active_blocks']} active blocks")
        if gen:
            t_gen, gsol = timed(lambda: make().solve(generate_patterns=generate))
            add(GENERATE, "ok", t_gen, gsol.weights, rounds=gsol.info.get("rounds", NAN),
                generated=_generated(gsol.info),
                note=f"{gsol.info.get('pattern_searches', 0)} searches; fixed-sample optimum "
                     f"{sol.value:.10g}, this network "
                     f"{prob.objective(gsol.weights):.10g}")
        else:
            add(GENERATE, "not available", NAN,
                note="TwoLayerReLU.solve has no generate_patterns keyword yet")
        if with_scnn:
            try:
                import scnn  # noqa: F401
            except ImportError:
                add(SCNN, "not installed", NAN, note="see the module docstring")
            else:
                cap = cap_factor * t_fix
                t_s, ws, status = run_capped("scnn", n, d, P, beta, cap)
                note = {"ok": "its convex solution mapped to a ReLU network",
                        "capped": f"did not finish in {cap_factor:g}x dualkit's time "
                                  f"({cap:.3g} s)"}.get(status, status)
                add(SCNN, status, t_s, ws, lower=status == "capped", note=note)
        if with_cvxpy and n <= cvxpy_max_n and d in cvxpy_ds:
            t_c, ws, status = run_capped("cvxpy", n, d, P, beta, cvxpy_cap)
            note = {"ok": "whole sampled program, its answer mapped to a ReLU network",
                    "capped": f"did not finish in {cvxpy_cap:g} s"}.get(status, status)
            add(CVXPY, status, t_c, ws, lower=status == "capped", note=note)
        elif with_cvxpy:
            add(CVXPY, "skipped", NAN, note=f"run only at n <= {cvxpy_max_n} and d in "
                                            f"{list(cvxpy_ds)} (minutes per solve above)")
        rows += rows_f
    return rows


SWEEP_HEADER = ("| n | d | patterns | β/β_max | method | time (s) | × dualkit | objective | "
                "vs dualkit fixed (rel.) | active neurons | rounds | generated | note |")


def sweep_markdown_row(r: dict) -> str:
    t = (">" if r["lower_bound"] else "") + fmt(r["time"], ".3g")
    ratio = (">" if r["lower_bound"] else "") + fmt(r["ratio"], ".3g")
    note = r["note"] if r["status"] in ("ok", "capped") else f"{r['status']}: {r['note']}"
    cells = [r["n"], r["d"], r["patterns"], fmt(r["frac"], "g"), r["method"], t, ratio,
             fmt(r["objective"], ".8g"), fmt(r["rel_to_fixed"], ".2e"),
             fmt(r["active_neurons"], ".0f") if isinstance(r["active_neurons"], float)
             else r["active_neurons"], fmt(r["rounds"], ".0f") if isinstance(r["rounds"], float)
             else r["rounds"], fmt(r["generated"], ".0f") if isinstance(r["generated"], float)
             else r["generated"], str(note).replace("|", "/")]
    return "| " + " | ".join(str(c) for c in cells) + " |"


def plot_sweep(rows, path=None):
    """Time against beta / beta_max (log-log), one line per method and size; a run killed at its
    cap is drawn as an open marker at the cap (a lower bound). Returns the figure."""
    import matplotlib
    if path is not None:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7.3, 4.2))
    colors = {FIXED: "C0", GENERATE: "C2", SCNN: "C3", CVXPY: "C1"}
    sizes = sorted({(int(r["n"]), int(r["d"])) for r in rows})
    styles = ["-", "--", ":", "-.", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1))]
    for method, color in colors.items():
        for k, (n, d) in enumerate(sizes):
            rs = sorted((r for r in rows if r["method"] == method and int(r["n"]) == n
                         and int(r["d"]) == d and math.isfinite(float(r["time"]))),
                        key=lambda r: float(r["frac"]))
            if not rs:
                continue
            f = [float(r["frac"]) for r in rs]
            t = [float(r["time"]) for r in rs]
            ax.plot(f, t, color=color, ls=styles[k % len(styles)], marker="o",
                    label=f"{method}, n={n}, d={d}")
            low = [(a, b) for a, b, r in zip(f, t, rs, strict=True) if str(r["lower_bound"]) == "True"]
            if low:
                ax.plot(*zip(*low, strict=True), ls="none", marker="^", ms=9, mfc="white", color=color)
    ax.set_xscale("log")
    ax.set_yscale("log")
    from matplotlib.ticker import FormatStrFormatter, LogLocator
    for axis in (ax.xaxis, ax.yaxis):           # plain numbers at 1, 2, 5 x 10^k
        axis.set_major_formatter(FormatStrFormatter("%g"))
        axis.set_minor_locator(LogLocator(subs=(2.0, 5.0)))
        axis.set_minor_formatter(FormatStrFormatter("%g"))
    ax.set_xlabel(r"$\beta/\beta_{\max}$ (sampled program)")
    ax.set_ylabel("wall time (s), 1 thread")
    ax.set_title("Two-layer ReLU program: time against the regularization\n"
                 "(open triangles: killed at the cap, a lower bound)", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
    if path is not None:
        fig.savefig(path, dpi=110, bbox_inches="tight")
    return fig


def _ints(text: str) -> list[int]:
    return [int(float(s)) for s in text.split(",") if s.strip()]


def _floats(text: str) -> list[float]:
    return [float(s) for s in text.split(",") if s.strip()]


def sweep_main(argv=None) -> None:
    """``python -m benchmarks.relu --sweep [--n 1000,5000] [--d 10] [--fracs 0.1,0.01]
    [--patterns P] [--no-scnn] [--no-cvxpy] [--cap-factor 10] [--cvxpy-cap 600]
    [--out benchmarks/results]``: prints a Markdown table as it goes and writes relu_sweep.csv,
    relu_sweep.md and relu_sweep.png to ``--out``."""
    import platform

    ap = argparse.ArgumentParser(prog="python -m benchmarks.relu",
                                 description="The two-layer ReLU program across beta (issue 22).")
    ap.add_argument("--sweep", action="store_true", help="run the beta sweep")
    ap.add_argument("--n", default=",".join(map(str, SWEEP_NS)), help="sample sizes, e.g. 1000,5000")
    ap.add_argument("--d", default=",".join(map(str, SWEEP_DS)), help="input dimensions, e.g. 10")
    ap.add_argument("--fracs", default=",".join(map(str, FRACS)), help="beta / beta_max values")
    ap.add_argument("--patterns", type=int, default=None,
                    help="sampled gates at every d (default 200 at d=10, 400 at d=20, else 20 d)")
    ap.add_argument("--no-scnn", action="store_true", help="skip scnn")
    ap.add_argument("--generate", type=int, default=0,
                    help="pattern searches of the generation rows (0: solve's default, True)")
    ap.add_argument("--no-cvxpy", action="store_true", help="skip cvxpy")
    ap.add_argument("--cap-factor", type=float, default=10.0,
                    help="kill scnn after this many times dualkit's time of the row (default 10)")
    ap.add_argument("--cvxpy-cap", type=float, default=600.0, help="seconds per cvxpy solve")
    ap.add_argument("--cvxpy-max-n", type=int, default=1000, help="largest n for cvxpy")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results"),
                    help="folder for relu_sweep.csv/.md/.png")
    ap.add_argument("--worker", choices=["scnn", "cvxpy"], help=argparse.SUPPRESS)
    ap.add_argument("--beta", type=float, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker(args.worker, int(args.n), int(args.d), args.patterns, args.beta, args.out)
        return
    if not args.sweep:
        ap.error("pass --sweep (the B8 rows run through python -m benchmarks --only B8)")
    ns, ds, fracs = _ints(args.n), _ints(args.d), _floats(args.fracs)
    if not ns or not ds or not fracs or min(ns) < 2 or min(ds) < 2:
        ap.error("--n, --d and --fracs need at least one value each; n and d >= 2")
    if not all(0 < f <= 1 for f in fracs):
        ap.error(f"--fracs must lie in (0, 1]; got {fracs}")
    if not args.cap_factor > 0 or not args.cvxpy_cap > 0:
        ap.error("--cap-factor and --cvxpy-cap must be > 0")
    import cvxpy
    import torch
    env = (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
           f"Python {platform.python_version()}, NumPy {np.__version__}, torch {torch.__version__}, "
           f"cvxpy {cvxpy.__version__}; float64, 1 thread per solver")
    pats = {d: args.patterns or PATTERNS.get(d, 20 * d) for d in ds}
    head = (f"**dualkit ReLU beta sweep** (n={args.n}, d={args.d}, patterns="
            f"{','.join(str(pats[d]) for d in ds)}, fracs={args.fracs}): {env}; "
            f"scnn killed after {args.cap_factor:g}x dualkit's time, cvxpy after "
            f"{args.cvxpy_cap:g} s ('>' marks a killed run: its time is a lower bound)."
            f"\n\n{SWEEP_HEADER}\n" + "|---" * 13 + "|")
    print(head, flush=True)
    lines = [head]

    def echo(r):
        lines.append(sweep_markdown_row(r))
        print(lines[-1], flush=True)

    t0 = time.perf_counter()
    rows = []
    for d in ds:
        for n in ns:
            rows += sweep_rows(n, d, pats[d], fracs, with_scnn=not args.no_scnn,
                               with_cvxpy=not args.no_cvxpy, cap_factor=args.cap_factor,
                               cvxpy_cap=args.cvxpy_cap, cvxpy_max_n=args.cvxpy_max_n, echo=echo,
                               generate=args.generate or True)
    lines.append(f"\nTotal {time.perf_counter() - t0:.0f} s.")
    print(lines[-1])
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "relu_sweep.md").write_text("\n".join(lines) + "\n")
    with open(out / "relu_sweep.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=SWEEP_COLUMNS)
        w.writeheader()
        w.writerows(rows)
    plot_sweep(rows, out / "relu_sweep.png")
    print(f"wrote {out}/relu_sweep.csv, .md, .png", file=sys.stderr)


if __name__ == "__main__":
    sweep_main()
