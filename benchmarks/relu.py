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
"""

from __future__ import annotations

import logging
import time
import warnings

import numpy as np

import dualkit as dk
from benchmarks.common import timed


def make_problem(n: int, d: int, P: int, frac: float = 0.1, seed: int = 0):
    X, y = dk.data.sine_features(n=n, d=d, seed=seed, noise=0.1)
    G = np.random.default_rng(seed + 1).standard_normal((d + 1, P))
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
