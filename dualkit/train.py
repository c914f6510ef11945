r"""Full-batch training of a primal network on a problem's objective.

``train(net, prob, ...)`` minimises ``prob.torch_objective`` (the non-convex primal, weight decay
included) over the parameters of ``net`` and records a :class:`History`: the objective, its gap
to a given lower bound (e.g. the dual optimum), and the singular values of every layer.

Introduced in :ref:`ch-two-layer-linear`.
"""

from __future__ import annotations

import contextlib
import math
import sys
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from tqdm import tqdm

from ._validation import check_choice, check_positive_float, check_positive_int
from .diagnostics import relative_gap, singular_values

if TYPE_CHECKING:
    import torch
else:
    from ._lazy import torch

__all__ = ["train", "train_best", "History", "resolve_device"]

OPTIMIZERS = {"adam", "lbfgs", "gd"}
DEFAULT_LR = {"adam": 1e-2, "lbfgs": 1.0, "gd": 1e-3}


@dataclass
class History:
    """What happened during training, one entry per recorded step.

    Attributes
    ----------
    steps : ndarray
        Iteration numbers of the records.
    objective : ndarray
        Primal objective at those steps.
    gap, rel_gap : ndarray
        ``objective - bound`` and ``(objective - bound) / |bound|`` (NaN without a bound).
    singular_values : list of list of ndarray
        ``singular_values[k][l]``: singular values of layer ``l + 1`` at record ``k``
        (matrices only; a vector last layer is left out).
    time : ndarray
        Seconds since the start of training.
    bound : float or None
        The lower bound used for the gap.
    optimizer, device : str
        What ran.
    converged : bool
        True when the run stopped early because ``rel_gap <= tol``.
    info : dict
        ``lr``, ``threads`` and ``stopped``: why the run ended (``"steps"``, ``"tol"`` or
        ``"time_limit"``).
    """

    steps: np.ndarray
    objective: np.ndarray
    gap: np.ndarray
    rel_gap: np.ndarray
    singular_values: list
    time: np.ndarray
    bound: float | None
    optimizer: str
    device: str
    converged: bool = False
    info: dict = field(default_factory=dict)

    @property
    def final_objective(self) -> float:
        """The last recorded objective."""
        return float(self.objective[-1])

    @property
    def final_rel_gap(self) -> float:
        """The last recorded relative gap (NaN without a bound)."""
        return float(self.rel_gap[-1])

    def singular_values_of(self, layer: int = 0) -> np.ndarray:
        """Array of shape (records, k) with the singular values of one layer (0-based)."""
        return np.array([sv[layer] for sv in self.singular_values])

    def __repr__(self) -> str:
        return (
            f"History(optimizer={self.optimizer!r}, device={self.device!r}, "
            f"steps={int(self.steps[-1])}, objective={self.final_objective:.10g}, "
            f"rel_gap={self.final_rel_gap:.2e}, time={self.time[-1]:.3g}s, "
            f"converged={self.converged})"
        )

    def _repr_html_(self) -> str:
        """A one-row table in Jupyter and in the book."""
        from .book import table

        return table({"optimizer": self.optimizer, "device": self.device,
                      "steps": int(self.steps[-1]), "objective": self.final_objective,
                      "relative gap": f"{self.final_rel_gap:.1e}",
                      "time (s)": f"{self.time[-1]:.2g}",
                      "hit tol": self.converged}, digits=8, caption="History")._repr_html_()


def resolve_device(device: str = "auto") -> torch.device:
    """``"auto"`` gives CUDA when available, else the CPU; ``"cuda"`` without a GPU is an error."""
    if isinstance(device, torch.device):
        device = str(device)
    if not isinstance(device, str) or device.split(":")[0] not in {"auto", "cpu", "cuda"}:
        raise ValueError(f"device must be 'auto', 'cpu' or 'cuda'; got {device!r}.")
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(
            "device='cuda' was requested but torch.cuda.is_available() is False "
            "(a CPU build of torch or no GPU); use device='auto' or 'cpu'."
        )
    return torch.device(device)


@contextlib.contextmanager
def _torch_threads(n: int | None):
    if n is None:
        yield
        return
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def _layer_svals(net) -> list[np.ndarray]:
    out = []
    for W in net.layer_tensors():
        if W.ndim == 2 and min(W.shape) > 1:
            out.append(singular_values(W.detach().cpu().numpy()))
    return out


def train(
    net,
    prob,
    steps: int = 2000,
    lr: float | None = None,
    optimizer: str = "adam",
    device: str = "auto",
    bound: float | str | None = "auto",
    tol: float | None = None,
    schedule: str | None = "cosine",
    record_every: int | None = None,
    progress: bool = True,
    threads: int | None = None,
    time_limit: float | None = None,
    dtype: str = "float64",
) -> History:
    r"""Train ``net`` on ``prob``'s primal objective with full-batch Adam, L-BFGS or GD.

    Parameters
    ----------
    net : torch.nn.Module
        A network from ``prob.network(width, seed)``; trained in place and left on the CPU.
    prob : Problem
        Supplies the data and ``torch_objective`` (loss plus weight decay).
    steps : int
        Number of iterations (for L-BFGS: outer steps of up to 20 inner iterations, each with a
        strong-Wolfe line search).
    lr : float, optional
        Learning rate; default 1e-2 for Adam, 1.0 for L-BFGS (its initial step length) and
        1e-3 for GD.
    optimizer : {"adam", "lbfgs", "gd"}
        Full-batch Adam, L-BFGS (history 50, strong Wolfe) or plain gradient descent.
    device : {"auto", "cpu", "cuda"}
        Where to train; ``"auto"`` picks CUDA when torch sees a GPU. The chapters do not change:
        the data and the network move to the device for the run and come back to the CPU.
    bound : float, "auto" or None
        A lower bound on the optimum for the gap ``objective - bound`` in the history.
        ``"auto"`` (default) uses ``prob.lower_bound()``: the certified dual value where the
        problem has a dual, otherwise the problem's exactly computed optimum (e.g.
        :class:`~dualkit.DeepLinearWeightDecay`); a number (e.g. ``sol.dual_value``) is used as
        given; ``None`` records no gap.
    tol : float, optional
        Stop as soon as the relative gap is at most ``tol`` (needs ``bound``).
    schedule : {"cosine", None}
        Learning-rate schedule for Adam and GD (ignored by L-BFGS).
    record_every : int, optional
        Record every this many steps (default: about 200 records per run).
    progress : bool
        Show a tqdm progress bar (on stdout, and only for runs longer than a second).
    threads : int, optional
        torch CPU threads during training; default 1 for small problems (n·d ≤ 10⁶), where
        two threads on a 2-core machine measured up to 20× slower per step.
    time_limit : float, optional
        Stop after this many seconds of training (the last step is recorded).
    dtype : {"float64", "float32"}
        Precision of the run. float64 (default) reaches relative gaps near 1e-15; float32 is
        faster on most GPUs but its objective is rounded at about 1e-7 relative, so gaps below
        ~1e-6 are not reachable. The network returns to float64 either way, and the recorded
        objectives are evaluated in the run's precision.

    Returns
    -------
    History

    Introduced in :ref:`ch-two-layer-linear`.
    """
    _check_net_and_problem(net, prob)
    run = _RunSettings.checked(prob, steps, lr, optimizer, schedule, dtype, threads, bound,
                               time_limit, tol, record_every)
    dev = resolve_device(device)
    if run.threads is None and dev.type == "cpu" and prob.X.size <= 10**6:
        run.threads = 1

    with _torch_threads(run.threads if dev.type == "cpu" else None):
        tdtype = torch.float64 if run.dtype == "float64" else torch.float32
        net.to(device=dev, dtype=tdtype)
        X = torch.as_tensor(prob.X, dtype=tdtype, device=dev)
        y = torch.as_tensor(prob.y, dtype=tdtype, device=dev)
        opt, sched = _make_optimizer(net, run)

        def closure():
            opt.zero_grad()
            obj = prob.torch_objective(net, X, y)
            obj.backward()
            return obj

        rec = _Recorder(net, prob, X, y, run.lr)
        bar = tqdm(total=run.steps, disable=not progress, file=sys.stdout, delay=1.0,
                   desc=f"{run.optimizer} on {dev.type}", leave=False)
        try:
            converged, stopped = _run_steps(opt, sched, closure, rec, bar, run)
        finally:
            bar.close()
            net.to(device="cpu", dtype=torch.float64)
    return _history(rec, run, dev.type, converged, stopped)


@dataclass
class _RunSettings:
    """The checked arguments of one :func:`train` run, and its stopping rule.

    A run takes ``steps`` optimizer steps; step :math:`k` is recorded when it is *due*
    (:math:`k` a multiple of ``record_every``, the last step, or the time is up), and the run
    stops early once the relative gap :math:`(f_k-D)/|D|` of the objective :math:`f_k` over
    the bound :math:`D` is at most ``tol`` (:func:`~dualkit.diagnostics.relative_gap`).
    """

    steps: int
    lr: float
    optimizer: str
    schedule: str | None
    dtype: str
    threads: int | None
    bound: float | None
    time_limit: float | None
    tol: float | None
    record_every: int

    @classmethod
    def checked(cls, prob, steps, lr, optimizer, schedule, dtype, threads, bound, time_limit,
                tol, record_every) -> _RunSettings:
        """Validate :func:`train`'s arguments (in this order), with clear messages."""
        steps = check_positive_int(steps, "steps")
        check_choice(optimizer, "optimizer", OPTIMIZERS)
        lr = DEFAULT_LR[optimizer] if lr is None else check_positive_float(lr, "lr")
        check_choice(schedule, "schedule", {"cosine", None})
        check_choice(dtype, "dtype", {"float64", "float32"})
        if threads is not None:
            threads = check_positive_int(threads, "threads")
        bound = _resolve_bound(prob, bound)
        if time_limit is not None:
            time_limit = check_positive_float(time_limit, "time_limit")
        tol = _check_tol(tol, bound, dtype)
        record_every = (max(1, steps // 200) if record_every is None
                        else check_positive_int(record_every, "record_every"))
        return cls(steps, lr, optimizer, schedule, dtype, threads, bound, time_limit, tol,
                   record_every)

    def out_of_time(self, elapsed: float) -> bool:
        """Whether ``elapsed`` seconds exceed the time limit (never without one)."""
        return self.time_limit is not None and elapsed > self.time_limit

    def due(self, k: int, out_of_time: bool) -> bool:
        """Whether step ``k`` is recorded whatever its objective."""
        return k % self.record_every == 0 or k == self.steps or out_of_time

    def reached(self, obj: float) -> bool:
        """Whether the objective ``obj`` is within ``tol`` of the bound (relative gap)."""
        return (self.tol is not None and self.bound is not None
                and relative_gap(obj, self.bound) <= self.tol)


def _check_net_and_problem(net, prob) -> None:
    """What :func:`train` accepts, checked before anything runs: a dualkit problem and a network
    from its ``prob.network()`` (the problem's ``check_network``). A plain PyTorch module is
    pointed to ``dk.certify``, which measures a network trained the usual PyTorch way."""
    from .nets import _Layers
    from .problems.base import Problem

    if not isinstance(prob, Problem):
        raise ValueError(
            "prob must be a dualkit problem, e.g. dk.TwoLayerLinear(X, y, beta); got "
            f"{type(prob).__name__}. Call dk.train(prob.network(width), prob).")
    if not isinstance(net, _Layers) or not isinstance(net, torch.nn.Module):
        if isinstance(net, torch.nn.Module):
            raise ValueError(
                f"dk.train trains a network from prob.network(width, seed); got a plain "
                f"{type(net).__name__}. To measure how far a PyTorch network you trained "
                "yourself is from the global optimum, use dk.certify(model, X, y, ...) "
                "instead.")
        raise ValueError(
            f"net must be a network from prob.network(width, seed) (a torch module that "
            f"dualkit builds); got {type(net).__name__}.")
    check = getattr(prob, "check_network", None)   # every problem of dualkit has one
    if check is not None:
        check(net)


def _resolve_bound(prob, bound) -> float | None:
    """The lower bound of the gap: ``"auto"`` asks ``prob.lower_bound()`` (None where the
    problem has none), a number must be finite, None stays None."""
    if isinstance(bound, str):
        check_choice(bound, "bound", {"auto"})
        try:
            bound = prob.lower_bound()
        except NotImplementedError:
            bound = None
    if bound is not None:
        bound = float(bound)
        if not math.isfinite(bound):
            raise ValueError(f"bound must be a finite number; got {bound}.")
    return bound


def _check_tol(tol, bound: float | None, dtype: str) -> float | None:
    """``tol`` is positive, needs a bound, and is resolvable in ``dtype`` (float32 rounds the
    objective at about 1e-7 relative, so it needs ``tol >= 1e-6``)."""
    if tol is None:
        return None
    tol = check_positive_float(tol, "tol")
    if bound is None:
        raise ValueError("tol stops training at a relative gap, so it needs bound=...")
    if dtype == "float32" and tol < 1e-6:
        raise ValueError(
            f"tol={tol:g} is below what a float32 objective can resolve (it is rounded at "
            "about 1e-7 relative and can read below the dual bound); use tol >= 1e-6 with "
            "dtype='float32', or dtype='float64'.")
    return tol


def _make_optimizer(net, run: _RunSettings):
    """The torch optimizer over ``net``'s trainable parameters, and its learning-rate
    scheduler (cosine annealing over ``run.steps`` for Adam and GD; None otherwise)."""
    params = [p for p in net.parameters() if p.requires_grad]
    opt: torch.optim.Optimizer
    if run.optimizer == "adam":
        opt = torch.optim.Adam(params, lr=run.lr)
    elif run.optimizer == "gd":
        opt = torch.optim.SGD(params, lr=run.lr)
    else:
        # max_iter=1 stalls torch's L-BFGS (measured: stuck at 2.6x the optimum), so each
        # outer step runs up to 20 inner iterations; zero tolerances let it reach 1e-15.
        opt = torch.optim.LBFGS(params, lr=run.lr, max_iter=20, history_size=50,
                                line_search_fn="strong_wolfe", tolerance_grad=0.0,
                                tolerance_change=0.0)
    sched = None
    if run.schedule == "cosine" and run.optimizer != "lbfgs":
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=run.steps)
    return opt, sched


class _Recorder:
    """Evaluates the objective of ``net`` on ``(X, y)`` and keeps the records of one run:
    step, objective, singular values of every layer, seconds since the recorder was made."""

    def __init__(self, net, prob, X, y, lr: float):
        self.net, self.prob, self.X, self.y, self.lr = net, prob, X, y, lr
        self.steps: list[int] = []
        self.objective: list[float] = []
        self.svals: list[list[np.ndarray]] = []
        self.time: list[float] = []
        self.t0 = time.perf_counter()

    def elapsed(self) -> float:
        """Seconds since the recorder was made (the start of training)."""
        return time.perf_counter() - self.t0

    def evaluate(self, k: int) -> float:
        """The objective after step ``k``; a non-finite one is a divergence (RuntimeError)."""
        with torch.no_grad():
            obj = float(self.prob.torch_objective(self.net, self.X, self.y))
        if not math.isfinite(obj):
            raise RuntimeError(
                f"training diverged by step {k} (objective {obj}); lower lr (now {self.lr}) "
                "or use optimizer='lbfgs'."
            )
        return obj

    def record(self, k: int, obj: float) -> None:
        """Keep step ``k``: its objective ``obj``, the layers' singular values, the time."""
        self.steps.append(k)
        self.objective.append(obj)
        self.svals.append(_layer_svals(self.net))
        self.time.append(self.elapsed())


def _run_steps(opt, sched, closure, rec: _Recorder, bar, run: _RunSettings) -> tuple[bool, str]:
    """Step 0 is recorded, then up to ``run.steps`` optimizer steps. The objective is evaluated
    at due steps (and at every step when ``tol`` is set, to stop as soon as it is reached).
    Returns ``(converged, stopped)`` with ``stopped`` one of ``"steps"``, ``"tol"``,
    ``"time_limit"``."""
    rec.record(0, rec.evaluate(0))
    for k in range(1, run.steps + 1):
        opt.step(closure)
        if sched is not None:
            sched.step()
        bar.update(1)
        out_of_time = run.out_of_time(rec.elapsed())
        due = run.due(k, out_of_time)
        if due or run.tol is not None:
            obj = rec.evaluate(k)
            reached = run.reached(obj)
            if due or reached:
                rec.record(k, obj)
                bar.set_postfix(objective=f"{obj:.6g}", refresh=False)
            if reached:
                return True, "tol"
        if out_of_time:
            return False, "time_limit"
    return False, "steps"


def _history(rec: _Recorder, run: _RunSettings, device: str, converged: bool,
             stopped: str) -> History:
    """The :class:`History` of a finished run: gaps ``f_k - D`` and relative gaps
    :math:`(f_k-D)/|D|` (:func:`~dualkit.diagnostics.relative_gap`), NaN without a bound."""
    objective = np.array(rec.objective)
    bound = run.bound
    if bound is None:
        gap = rel = np.full_like(objective, np.nan)
    else:
        gap = objective - bound
        rel = np.array([relative_gap(f, bound) for f in rec.objective])
    return History(
        steps=np.array(rec.steps), objective=objective, gap=gap, rel_gap=rel,
        singular_values=rec.svals, time=np.array(rec.time), bound=bound,
        optimizer=run.optimizer, device=device, converged=converged,
        info={"lr": run.lr, "threads": run.threads, "stopped": stopped, "dtype": run.dtype},
    )


def train_best(prob, widths=10, seeds=(0, 1, 2, 3, 4), **train_kwargs):
    r"""Train one network per seed and keep the best: the remedy for spurious stationary points.

    Deep networks can stall at the *zero network* (:math:`W_{L-1}=0`, :math:`w_L=0`, objective
    :math:`\tfrac12\|y\|^2`): its gradient vanishes, and a random start near it may never leave
    (L-BFGS from random starts fell into it on (P2) with L = 4 for each of 3 seeds; see
    :ref:`app-certificates`). Restarting from
    several seeds and keeping the lowest objective is the standard cure.

    Parameters
    ----------
    prob : Problem
        The problem; ``prob.network(widths, seed)`` builds each start.
    widths : int or list of int
        Hidden width(s) passed to ``prob.network``.
    seeds : iterable of int
        One training run per seed.
    **train_kwargs
        Passed to :func:`train` (``steps``, ``lr``, ``optimizer``, ...).

    Returns
    -------
    net, hist, finals
        The best network, its :class:`History`, and ``finals``: a dict seed -> final objective
        of every run (runs ending at :math:`\tfrac12\|y\|^2` stalled at the zero network;
        ``inf`` for a run that diverged).

    Introduced in :ref:`ch-deep-linear`.
    """
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds must contain at least one seed.")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct; got {seeds}.")
    best = None
    finals = {}
    errors = []
    for seed in seeds:
        net = prob.network(widths, seed=seed)
        try:
            hist = train(net, prob, **train_kwargs)
        except RuntimeError as exc:  # a diverged run is one failed restart, not the end
            finals[seed] = float("inf")
            errors.append(f"seed {seed}: {exc}")
            continue
        finals[seed] = hist.final_objective
        if best is None or hist.final_objective < best[1].final_objective:
            best = (net, hist)
    if best is None:
        raise RuntimeError("every training run failed:\n" + "\n".join(errors))
    return best[0], best[1], finals
