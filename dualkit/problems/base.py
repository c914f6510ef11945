"""The problem API shared by every result of the book (see DESIGN.md, "The problem API")."""

from __future__ import annotations

import abc
import copy
import json
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

import numpy as np

from .._validation import (
    _as_float_array,
    check_beta,
    check_betas,
    check_positive_int,
    finite_or_raise,
)
from ..diagnostics import relative_gap
from ..weights import ReLUWeights

if TYPE_CHECKING:
    from typing import Self  # Python >= 3.11; annotations only (requires-python is 3.10)

    from torch import nn

    from ..losses import Loss

__all__ = ["Solution", "Problem", "DualConstraint", "CERT_TOL", "ROUNDING", "SOLUTION_FORMAT",
           "certify", "hidden_widths", "last_two_decay_objective", "sum_squares",
           "penalized_value"]

#: The relative duality gap at which a solve is *certified*, per kind of solver: the one
#: tolerance table of dualkit, used by :func:`~dualkit.problems.base.certify`. Closed forms are
#: accurate to rounding; interior-point solvers (cvxpy, the working-set SOCP), the ramp active-set solver and
#: first-order methods to their own stopping tolerance.
CERT_TOL: dict[str, float] = {
    "closed_form": 1e-9,
    "svt": 1e-9,
    "fista": 1e-8,   # the proximal solver stops at 1e-10, and falls back to cvxpy above 1e-8
    "cvxpy": 1e-6,
    "ramp": 1e-6,
    "working_set": 1e-6,
}

#: Relative rounding allowed in evaluating an objective (a few hundred float64 ulps): a primal
#: value below a dual bound by more than this, plus the problem's own rounding floor, violates
#: weak duality.
ROUNDING = 256 * float(np.finfo(float).eps)


def certify(value: float, dual_value: float, method: str, floor: float = 0.0) -> bool:
    r"""Whether ``dual_value`` certifies ``value`` as optimal: the one rule of dualkit.

    With :math:`P` = ``value`` (the primal objective of the returned weights),
    :math:`D` = ``dual_value`` (the dual objective at a feasible dual point, a lower bound on
    the optimum by weak duality) and :math:`s=\max(|P|,|D|)`, the solve is certified when

    .. math:: |P-D|\le \mathrm{tol}\cdot s+\epsilon_{\rm round}\,s+\mathrm{floor},

    with tol = ``CERT_TOL[method]``, :math:`\epsilon_{\rm round}` = ``ROUNDING`` and ``floor``
    the absolute rounding of the problem's objective evaluation (e.g. the cancellation in
    :math:`\lambda^\top y-\tfrac12\|\lambda\|^2` when the optimum is near zero; 0 by default).
    The rule is two-sided and relative (data may be scaled by 1e-20 or 1e20). A non-finite
    value or bound is never certified.

    Raises
    ------
    RuntimeError
        When :math:`P<D` beyond rounding (:math:`D-P>\epsilon_{\rm round}\,s+\mathrm{floor}`):
        a primal value below a dual bound violates weak duality, so one of the two is wrong.
    ValueError
        When ``method`` is not a key of :data:`CERT_TOL`.
    """
    if method not in CERT_TOL:
        raise ValueError(f"method must be one of {sorted(CERT_TOL)}; got {method!r}.")
    value, dual_value = float(value), float(dual_value)
    if not (np.isfinite(value) and np.isfinite(dual_value)):
        return False
    scale = max(abs(value), abs(dual_value), float(np.finfo(float).tiny))
    rounding = ROUNDING * scale + float(floor)
    gap = value - dual_value
    if gap < -rounding:
        raise RuntimeError(
            f"weak duality violated: the primal value {value!r} is below the dual bound "
            f"{dual_value!r} (gap {gap:.3e}, rounding allows {rounding:.1e}); one of them is "
            "wrong. This is a bug in dualkit: please report it with the data that produced it.")
    return bool(abs(gap) <= CERT_TOL[method] * scale + rounding)


def sum_squares(arrays: list) -> float:
    r""":math:`\sum_l\|W_l\|_F^2` of a list of arrays in float64, ``inf`` (without a warning)
    when it exceeds float64's range: a sum of non-negative terms that overflows is truly above
    the largest float, so ``inf`` is its honest value."""
    with np.errstate(over="ignore"):
        return float(sum(float(np.sum(np.square(W))) for W in arrays))


def penalized_value(fit: Callable[[], float], penalty: float, what: str) -> float:
    r"""``fit() + penalty``, an objective of weights evaluated in float64, never NaN.

    ``penalty`` (the weight-decay term, :math:`\ge0`) is a lower bound on the objective, so
    where it is ``inf`` (it overflows: the weights are huge) the objective is honestly ``inf``
    whatever ``fit()`` rounds to (``X @ W`` of huge weights can read ``inf - inf = NaN``). A
    NaN fit with a finite penalty means the prediction overflowed although the weights did
    not: a ``ValueError`` naming ``what`` (e.g. ``"the prediction X W1 w2"``) and the fix."""
    with np.errstate(over="ignore", invalid="ignore"):
        total = float(fit()) + float(penalty)
    if np.isnan(total):
        if penalty == np.inf:
            return np.inf
        raise ValueError(
            f"the objective of these weights is undefined (NaN) in float64: {what} overflows "
            "(entries beyond 1e308) although the weights are finite. Rescale the weights, or "
            "X and y, to entries of moderate size.")
    return total


def hidden_widths(width, n_hidden: int, name: str = "width") -> list[int]:
    """``width`` as a list of ``n_hidden`` hidden widths: an int for every hidden layer, or a
    sequence of that many ints (each >= 1; bools, floats with a fraction and strings refused
    with a ``ValueError``). The one reading of ``width=`` in ``network`` and ``solve``."""
    def one(m) -> int:
        if isinstance(m, (bool, np.bool_)):
            raise ValueError(f"{name} must be an integer >= 1; got {m!r}.")
        return check_positive_int(m, name)

    if isinstance(width, (str, bytes)) or not np.iterable(width):
        return [one(width)] * n_hidden
    widths = [one(m) for m in width]
    if len(widths) != n_hidden:
        raise ValueError(f"{name} needs {n_hidden} hidden width(s) (one per hidden layer) or one "
                         f"int; got {widths}.")
    return widths


class DualConstraint(NamedTuple):
    r"""The dual constraint that decides whether a point :math:`\lambda` is dual feasible, as
    returned by ``prob.dual_constraint(lam)``.

    :math:`\lambda` is feasible, and ``prob.dual_objective(lam)`` finite, exactly when
    ``value <= bound + slack``. When :math:`\lambda` violates a constraint this is the one it
    violates (equalities and the loss's domain first); otherwise it is the problem's main
    constraint (e.g. :math:`\|X^\top\lambda\|_2\le\beta`).

    Attributes
    ----------
    name : str
        The constrained quantity, e.g. ``"‖Xᵀλ‖₂"``.
    value : float
        Its value at :math:`\lambda`.
    bound : float
        Its upper bound (0 for an equality, written as an absolute value).
    slack : float
        The tolerance ``dual_objective`` allows above ``bound`` (a relative 1e-9 of the bound
        plus float64 rounding of ``value``).
    bound_name : str
        How the book writes the bound, e.g. ``"β"``, ``"β_eff = β/t^(L−2)"``, ``"0"``.
    condition : str
        The constraint in words, e.g. ``"0 ≤ y_iλ_i ≤ 1 for every i (the hinge loss's domain)"``;
        empty for the problem's main constraint.
    """

    name: str
    value: float
    bound: float
    slack: float
    bound_name: str
    condition: str = ""

    @property
    def holds(self) -> bool:
        """Whether the constraint holds within its slack."""
        return bool(self.value <= self.bound + self.slack)


#: version of the file format of :meth:`~dualkit.Solution.save`; :meth:`~dualkit.Solution.load` reads this one
SOLUTION_FORMAT = 1
_FORMAT_NAME = "dualkit.Solution"


def _encode(v: Any) -> Any:
    """A JSON-ready scalar: non-finite floats as ``{"__float__": "nan"}`` (strict JSON has no
    NaN or Infinity), NumPy scalars as Python ones."""
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        f = float(v)
        return f if np.isfinite(f) else {"__float__": repr(f)}
    return v


def _decode_hook(obj: dict) -> Any:
    if set(obj) == {"__float__"} and obj["__float__"] in ("nan", "inf", "-inf"):
        return float(obj["__float__"])
    return obj


def _dumps(obj: Any) -> str:
    return json.dumps(obj, allow_nan=False, sort_keys=True)


def _jsonable(v: Any) -> Any:
    """``v`` as JSON data, or ``TypeError`` when it is not (arrays, objects)."""
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, (bool, np.bool_, int, np.integer, float, np.floating)):
        return _encode(v)
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict) and all(isinstance(k, str) for k in v):
        if set(v) == {"__float__"}:
            raise TypeError("a dict with the single key '__float__' is reserved")
        return {k: _jsonable(x) for k, x in v.items()}
    raise TypeError(f"{type(v).__name__} is not JSON data")


def _json_info(info: dict) -> tuple[dict, list[str]]:
    """The JSON-serializable entries of ``info`` (converted) and the keys left out."""
    kept, dropped = {}, []
    for k, v in info.items():
        try:
            if not isinstance(k, str):
                raise TypeError("not a string key")
            kept[k] = _jsonable(v)
        except TypeError:
            dropped.append(str(k))
    return kept, dropped


def _scalars(sol: Solution) -> dict:
    """The scalar fields of a solution, NaN made comparable (``repr`` of non-finite floats)."""
    out = {}
    for name in ("value", "dual_value", "solve_time", "beta"):
        f = float(getattr(sol, name))
        out[name] = f if np.isfinite(f) else repr(f)
    out["method"], out["certified"] = str(sol.method), bool(sol.certified)
    return out


def _same_array(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    if a.dtype.kind in "fc" or b.dtype.kind in "fc":
        return bool(np.array_equal(a, b, equal_nan=True))
    return bool(np.array_equal(a, b))


def _same_weights(a: list, b: list) -> bool:
    """Same layer arrays, and for ReLU weights the same biases and skip."""
    if isinstance(a, ReLUWeights) != isinstance(b, ReLUWeights) or len(a) != len(b):
        return False
    if not all(_same_array(x, y) for x, y in zip(a, b, strict=True)):
        return False
    if isinstance(a, ReLUWeights) and isinstance(b, ReLUWeights):
        return (len(a.biases) == len(b.biases)
                and all(_same_array(x, y) for x, y in zip(a.biases, b.biases, strict=True))
                and _same_array(a.skip, b.skip))
    return True


def _skip_through_relus(mats: list[np.ndarray], biases: list, c: float) -> tuple[list, list]:
    r"""Layers that add :math:`c\,x` to a 1-D ReLU network's output with ReLUs only:
    :math:`c\,x=c(x)_+-c(-x)_+`, the two extra neurons carried through every hidden layer by
    an identity block (their values are >= 0, so the ReLUs pass them unchanged)."""
    if mats[0].shape[0] != 1:
        raise ValueError("a skip term c*x is defined for scalar inputs only; these weights have "
                         f"{mats[0].shape[0]} input rows.")
    out_m, out_b = [], []
    for i, (W, b) in enumerate(zip(mats, biases, strict=True)):
        if i == 0:
            W = np.hstack([W, [[1.0, -1.0]]])
        if 0 < i:
            rows = np.zeros((2, W.shape[1]))
            if i == len(mats) - 1:
                rows[:, 0] = [c, -c]
            W = np.vstack([W, rows])
        if i < len(mats) - 1:
            if i > 0:
                W = np.hstack([W, np.vstack([np.zeros((W.shape[0] - 2, 2)), np.eye(2)])])
            b = None if b is None else np.concatenate([b, [0.0, 0.0]])
        out_m.append(W)
        out_b.append(b)
    return out_m, out_b


def _spline_function(weights: Any) -> Any:
    from ..splines import network_function
    return network_function(weights)


#: fields of Solution subclasses that are derived from the weights, not saved, and rebuilt on
#: :meth:`~dualkit.Solution.load` (as the solve builds them)
_DERIVED = {"function": _spline_function}


@dataclass(eq=False)
class Solution:
    """The global optimum of a problem, with its dual certificate.

    Attributes
    ----------
    value : float
        Primal objective at ``weights`` (the optimal value when ``certified``).
    weights : list of ndarray
        Optimal layer weights, in the form ``prob.objective`` accepts.
    dual : ndarray or None
        A dual-feasible point :math:`\\lambda`; ``prob.dual_objective(dual)`` is a lower bound.
        None for a problem without a dual (then ``dual_value`` is NaN). Where the dual cannot
        be evaluated (a two-layer ReLU program whose sampled patterns cannot be enumerated) it
        is the restricted program's dual point, and ``dual_value`` is NaN.
    dual_value : float
        ``prob.dual_objective(dual)``.
    method : str
        The solver that produced it (``"closed_form"``, ``"cvxpy"``, ...).
    solve_time : float
        Wall-clock seconds of the solve.
    certified : bool
        True only when :func:`~dualkit.problems.base.certify` accepts ``value`` and ``dual_value``
        (two-sided, within
        the solver's ``CERT_TOL``), so that the dual bound proves ``value`` optimal.
    beta : float
        The regularization strength it was solved at.
    w : ndarray or None
        The end-to-end linear map :math:`W_1\\cdots w_L` where the network is linear; None
        for a ReLU network.
    info : dict
        Solver-specific details (timings, iterations, ...). Keys with one meaning in every
        class, read by :mod:`dualkit.check`: ``"exact"`` (a sentence: by what argument
        ``value`` is the optimum although it is not certified by the dual, e.g. an exhaustive
        1-D search), ``"open"`` (a sentence: why an uncertified ``value`` is not proved
        optimal), ``"dual_optimal"`` (True when ``dual_value`` is the optimum of the dual
        program, e.g. where strong duality fails) and ``"rounding_floor"`` (the ``floor``
        passed to :func:`~dualkit.problems.base.certify`).

    Notes
    -----
    The optimal network is usable outside dualkit: :meth:`predict` evaluates it on new inputs
    (NumPy only), :meth:`to_module` returns it as a plain ``torch.nn.Sequential``, and
    :meth:`save` / :meth:`load` write and read it (with its certificate) in a portable,
    pickle-free ``.npz`` + JSON format. The architecture is read from the weights: a list of
    arrays is a linear network, :class:`~dualkit.weights.ReLUWeights` a ReLU network with its
    biases and skip term. ``s1 == s2`` compares every field (arrays by value, NaN equal to NaN,
    ``info`` on its saved part) and never raises; a Solution is not hashable.
    """

    value: float
    weights: list
    dual: np.ndarray | None
    dual_value: float
    method: str
    solve_time: float
    certified: bool
    beta: float
    w: np.ndarray | None = None
    info: dict = field(default_factory=dict)

    @property
    def gap(self) -> float:
        """Duality gap ``value - dual_value`` (>= 0 up to rounding)."""
        return self.value - self.dual_value

    @property
    def rel_gap(self) -> float:
        """Relative duality gap ``(value - dual_value) / |dual_value|``; NaN when the solution
        has no dual value (e.g. the non-convex weight-decay problem), inf for an infeasible one."""
        if np.isnan(self.value) or np.isnan(self.dual_value):
            return float("nan")
        return relative_gap(self.value, self.dual_value)

    def __repr__(self) -> str:
        shapes = [np.shape(W) for W in self.weights]
        return (
            f"Solution(value={self.value:.10g}, dual_value={self.dual_value:.10g}, "
            f"rel_gap={self.rel_gap:.2e}, certified={self.certified}, method={self.method!r}, "
            f"solve_time={self.solve_time:.3g}s, beta={self.beta:.6g}, weights={shapes})"
        )

    def _repr_html_(self) -> str:
        """A one-row table in Jupyter and in the book (the full-precision values stay in
        ``repr`` and in the attributes)."""
        from ..book import table

        return table({"$P$ (value)": self.value, "dual value": self.dual_value,
                      "relative gap": f"{self.rel_gap:.1e}", "certified": self.certified,
                      "method": self.method, "time (s)": f"{self.solve_time:.2g}",
                      r"$\beta$": self.beta},
                     digits=8, caption="Solution")._repr_html_()

    # ------------------------------------------------------------------ equality
    #: a Solution holds arrays and is mutable: it is not hashable
    __hash__: ClassVar[None] = None  # type: ignore[assignment]

    #: every Solution class by name, for :meth:`load` (filled by ``__init_subclass__``)
    _classes: ClassVar[dict[str, type]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        Solution._classes[cls.__name__] = cls
        # ``@dataclass`` on a subclass would write a field-tuple ``__eq__`` that raises on
        # arrays ("truth value of an array is ambiguous"); it keeps one found in the class
        if "__eq__" not in cls.__dict__:
            cls.__eq__ = Solution.__eq__  # type: ignore[method-assign]
            cls.__hash__ = None

    def __eq__(self, other: object) -> bool:
        """Equal solutions: the same class, the same scalars (``value``, ``dual_value``,
        ``method``, ``solve_time``, ``certified``, ``beta``; NaN equals NaN), the same arrays
        (the weights with their biases and skip, ``dual`` and ``w``, compared with
        ``np.array_equal`` and NaN positions equal) and the same *saved part* of ``info``
        (its JSON-serializable entries, as :meth:`save` writes them). Never raises; fields a
        subclass derives from the weights (``SplineSolution.function``) are not compared."""
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, Solution)
        try:
            return (_scalars(self) == _scalars(other)
                    and _same_weights(self.weights, other.weights)
                    and _same_array(self.dual, other.dual) and _same_array(self.w, other.w)
                    and _dumps(_json_info(self.info)[0]) == _dumps(_json_info(other.info)[0]))
        except (TypeError, ValueError):     # weights that are not arrays: not comparable
            return False

    # ------------------------------------------------------------------ the optimal network
    def predict(self, X: Any) -> np.ndarray:
        r"""The optimal network's output on inputs ``X`` (NumPy only, no torch import).

        ``X`` has shape ``(n, d)`` (a vector of ``n`` scalar inputs where ``d = 1``). For a
        linear network (a list of layer arrays) it is :math:`X(W_1\cdots W_{L-1}w_L)`, the
        end-to-end map first, as ``prob.objective`` computes it; for a ReLU network
        (:class:`~dualkit.weights.ReLUWeights`) :math:`A_l=(A_{l-1}W_l+b_l)_+`,
        :math:`f=A_{L-1}w_L+b_L\,[+\,c\,x]`. The output has shape ``(n,)`` (``(n, K)`` for
        vector outputs); ``predict(prob.X)`` is the fit that ``prob.objective(sol.weights)``
        scores.

        Raises
        ------
        ValueError
            When ``X`` is not a finite numeric array with ``d`` columns, or when the output
            overflows float64 (rescale ``X``).
        """
        ws = self.weights
        d = int(np.shape(ws[0])[0])
        A = _as_float_array(X, "X")
        vector_in = A.ndim == 1 and d == 1
        if vector_in:
            A = A.reshape(-1, 1)
        if A.ndim != 2 or A.shape[1] != d:
            raise ValueError(f"X must have shape (n, {d}) (the solution's input dimension d = {d}"
                             f"{', or (n,) for scalar inputs' if d == 1 else ''}); "
                             f"got shape {np.shape(X)}.")
        with np.errstate(over="ignore", invalid="ignore"):
            if isinstance(ws, ReLUWeights):
                out = ws.forward(A)
            else:
                M = np.asarray(ws[0], dtype=float)
                for W in ws[1:]:
                    M = M @ np.asarray(W, dtype=float)
                out = A @ M
        return finite_or_raise(out, "the prediction", "the optimal network's output at X "
                               "exceeds float64; rescale X (the network is positively "
                               "homogeneous) and scale the prediction back")

    def to_module(self) -> nn.Sequential:
        r"""The optimal network as a plain ``torch.nn.Sequential`` of ``nn.Linear`` and
        ``nn.ReLU`` (float64), in PyTorch's layout: ``Linear.weight`` is :math:`W_l^\top`
        (dualkit's layers are row-vector :math:`W_l\in\mathbb R^{m_{l-1}\times m_l}`), with a
        bias exactly where the solution has one (hidden biases, the output bias). Its output
        on a float64 tensor ``X`` of shape ``(n, d)`` has shape ``(n, 1)`` (``(n, K)`` for
        vector outputs) and equals :meth:`predict` up to rounding: ``module(X)[:, 0]``.

        How it relates to ``prob.network()``: that one is dualkit's trainable
        :class:`~dualkit.nets.DeepLinearNet`/:class:`~dualkit.nets.DeepReLUNet` (random
        weights, row-vector layout, sphere layers parametrized as :math:`tV/\|V\|_F`, read by
        ``prob.objective`` and :func:`dualkit.train`); ``to_module`` is the solution's own
        network, sphere layers already normalised, for use outside dualkit (inference,
        export, fine-tuning). A linear network becomes bias-free ``Linear`` layers without
        ``ReLU``. A 1-D network with a skip term :math:`c\,x` (``ReLU1D(skip=True)``) carries
        it through two extra neurons per hidden layer, :math:`c\,x=c(x)_+-c(-x)_+`: the same
        function, two more neurons than ``sol.weights``. Imports torch.

        Raises
        ------
        ValueError
            When the weights are not a network of this form (a skip term on inputs with more
            than one column).
        """
        import torch
        from torch import nn

        ws = self.weights
        rw = ws if isinstance(ws, ReLUWeights) else None
        relu = rw is not None
        mats = [np.asarray(W, dtype=np.float64) for W in ws]
        if mats[-1].ndim == 1:
            mats[-1] = mats[-1][:, None]
        biases: list[np.ndarray | None] = [None if b is None else np.asarray(b, dtype=np.float64).reshape(-1)
                                           for b in (rw.biases if rw is not None else [None] * len(ws))]
        skip = rw.skip if rw is not None else None
        if skip is not None:
            mats, biases = _skip_through_relus(mats, biases, skip)
        modules: list[nn.Module] = []
        for i, (W, b) in enumerate(zip(mats, biases, strict=True)):
            lin = nn.Linear(W.shape[0], W.shape[1], bias=b is not None, dtype=torch.float64)
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(np.ascontiguousarray(W.T)))
                if b is not None:
                    assert lin.bias is not None
                    lin.bias.copy_(torch.from_numpy(b))
            modules.append(lin)
            if relu and i < len(mats) - 1:
                modules.append(nn.ReLU())
        return nn.Sequential(*modules)

    # ------------------------------------------------------------------ saving
    def save(self, path: str | os.PathLike) -> Path:
        """Write the solution to ``path`` (a ``.npz`` file, written at exactly that name).

        The format (version :data:`~dualkit.problems.base.SOLUTION_FORMAT`) is portable and
        pickle-free: a NumPy ``.npz`` archive of plain arrays (``weight_0, ...``, ``bias_<l>``
        for the layers that have one, ``dual``, ``w``) and one string array ``meta`` holding a
        JSON document: the format name and version, the class name, the architecture
        (``"linear"`` or ``"relu"``, depth, which layers have biases, the skip coefficient), the
        scalars (``value``, ``dual_value``, ``method``, ``solve_time``, ``certified``, ``beta``;
        non-finite floats as ``{"__float__": "nan"}``) and the JSON-serializable part of
        ``info``. Not saved: ``info`` entries that are not JSON (arrays, objects; their keys are
        listed under ``info_not_saved``; tuples come back as lists, NumPy scalars as Python
        ones) and fields a subclass derives from the weights (``SplineSolution.function`` is
        rebuilt on :meth:`load`). Returns the path written.
        """
        path = Path(os.fspath(path))
        ws = self.weights
        rw = ws if isinstance(ws, ReLUWeights) else None
        arrays: dict[str, np.ndarray] = {f"weight_{i}": np.asarray(W) for i, W in enumerate(ws)}
        if rw is not None:
            arrays.update({f"bias_{i}": np.asarray(b) for i, b in enumerate(rw.biases)
                           if b is not None})
        for name in ("dual", "w"):
            value = getattr(self, name)
            if value is not None:
                arrays[name] = np.asarray(value)
        info, dropped = _json_info(self.info)
        meta = {
            "format": _FORMAT_NAME, "version": SOLUTION_FORMAT, "class": type(self).__name__,
            "architecture": {"kind": "linear" if rw is None else "relu", "depth": len(ws),
                             "biases": [] if rw is None else [b is not None for b in rw.biases],
                             "skip": None if rw is None else _encode(rw.skip)},
            "scalars": {k: _encode(v) for k, v in _scalars(self).items()},
            "info": info, "info_not_saved": dropped,
        }
        arrays["meta"] = np.array(_dumps(meta))
        with open(path, "wb") as fh:
            np.savez(fh, allow_pickle=False, **arrays)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> Solution:
        """Read a solution written by :meth:`save` (without pickle); a saved
        ``SplineSolution`` comes back as one (its ``function`` rebuilt from the weights, as
        ``ReLU1D.solve`` builds it). The round trip is exact: the arrays bitwise, the scalars
        equal, ``info`` its saved part (so ``Solution.load(p) == sol``).

        Raises
        ------
        ValueError
            When the file is missing, is not a readable ``.npz`` archive of a saved solution
            (corrupt, truncated, another kind of file), was written in another format version,
            or holds another class than the one ``load`` is called on.
        """
        path = Path(os.fspath(path))
        if not path.is_file():
            raise ValueError(f"cannot load a Solution from {str(path)!r}: no such file. Save one "
                             "with sol.save(path) first, or check the path.")
        try:
            with np.load(path, allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
        except Exception as exc:  # corrupt zip, truncated member, pickled data, not npz
            raise ValueError(f"cannot load a Solution from {str(path)!r}: not a readable .npz "
                             f"archive ({type(exc).__name__}: {exc}). The file is corrupt or "
                             "was not written by Solution.save.") from exc
        try:
            meta = json.loads(str(arrays.pop("meta")), object_hook=_decode_hook)
            assert isinstance(meta, dict)
            kind = meta.get("format")
        except Exception as exc:
            raise ValueError(f"cannot load a Solution from {str(path)!r}: the archive has no "
                             "readable 'meta' JSON part, so it was not written by "
                             "Solution.save (or is corrupt).") from exc
        if kind != _FORMAT_NAME:
            raise ValueError(f"cannot load a Solution from {str(path)!r}: its meta names the "
                             f"format {kind!r}, not {_FORMAT_NAME!r}.")
        if meta.get("version") != SOLUTION_FORMAT:
            raise ValueError(f"cannot load a Solution from {str(path)!r}: it was written in "
                             f"format version {meta.get('version')!r}, and this dualkit reads "
                             f"version {SOLUTION_FORMAT}. Load it with the dualkit that saved "
                             "it and save it again, or solve the problem again.")
        try:
            return cls._from_saved(meta, arrays)
        except (KeyError, TypeError, IndexError) as exc:
            raise ValueError(f"cannot load a Solution from {str(path)!r}: the file is incomplete "
                             f"or inconsistent ({type(exc).__name__}: {exc}).") from exc

    @classmethod
    def _from_saved(cls, meta: dict, arrays: dict) -> Solution:
        """The solution of a parsed ``meta`` JSON and the arrays of a saved file."""
        name = meta["class"]
        if name not in Solution._classes:
            import dualkit.problems  # noqa: F401 - registers every Solution class
        target = Solution._classes.get(name)
        if target is None or not issubclass(target, cls):
            raise ValueError(f"the file holds a {name!r}, which is not a {cls.__name__}; "
                             f"load it with Solution.load.")
        arch = meta["architecture"]
        layers = [arrays.pop(f"weight_{i}") for i in range(int(arch["depth"]))]
        weights: list
        if arch["kind"] == "relu":
            biases = [arrays.pop(f"bias_{i}") if has else None
                      for i, has in enumerate(arch["biases"])]
            weights = ReLUWeights(layers, biases, arch["skip"])
        elif arch["kind"] == "linear":
            weights = layers
        else:
            raise TypeError(f"unknown architecture kind {arch['kind']!r}")
        sc = meta["scalars"]
        kwargs = dict(value=sc["value"], weights=weights, dual=arrays.pop("dual", None),
                      dual_value=sc["dual_value"], method=sc["method"],
                      solve_time=sc["solve_time"], certified=sc["certified"], beta=sc["beta"],
                      w=arrays.pop("w", None), info=dict(meta["info"]))
        own = {f.name for f in fields(Solution)}
        for f in fields(target):
            if f.name not in own and f.name in _DERIVED:
                kwargs[f.name] = _DERIVED[f.name](weights)
        return target(**kwargs)


Solution._classes["Solution"] = Solution


class Problem(abc.ABC):
    r"""The contract every problem of the book keeps (the *problem API*).

    A problem holds data ``X`` (n × d), targets ``y``, a regularization strength ``beta`` >= 0
    and a ``loss``; it is the training problem of one architecture with weight decay,

    .. math:: P^\star=\min_{\theta}\ \mathcal L(f_\theta(X),y)+\beta\,R(\theta),

    and, where the book proves one, its convex dual :math:`D^\star=\max_\lambda g(\lambda)` with
    :math:`D^\star\le P^\star` (weak duality) and equality (strong duality).

    Subclasses implement the abstract methods; the base class supplies :meth:`~dualkit.Problem.with_beta`,
    :meth:`path`, :meth:`~dualkit.Problem.lower_bound`, :meth:`gap` and :meth:`relative_gap` on top of them.
    ``tests/test_contract.py`` checks every subclass against this contract.

    Attributes
    ----------
    default_width : int
        Hidden width of :meth:`network` when no ``width`` is given. :meth:`solve` without a
        ``width`` returns the width its class documents (the linear networks: the smallest
        that represents the optimum, 1 or the rank).
    """

    default_width: int = 10
    _bound_cache: float | None = None
    _bound_known: bool = False

    # Set by every subclass's constructor (declared here for the type checker): the data, its
    # size, the regularization strength and the loss (None where the class fixes the squared
    # loss without a Loss object).
    X: np.ndarray
    y: np.ndarray
    n: int
    d: int
    beta: float
    loss: Loss | None

    # ------------------------------------------------------------------ the primal
    @abc.abstractmethod
    def objective(self, weights) -> float:
        """The primal objective :math:`\\mathcal L(f_\\theta(X),y)+\\beta R(\\theta)` of layer
        weights (``sol.weights``, a list of arrays) or of a network from :meth:`network`."""

    @abc.abstractmethod
    def network(self, width=None, seed: int = 0, init_scale: float = 1.0):
        """A randomly initialised torch network of this architecture (a ``dualkit.nets``
        module), ready for :func:`dualkit.train`.

        ``width`` is an int (every hidden layer) or a sequence of hidden widths, default
        :attr:`~dualkit.Problem.default_width`; ``seed`` makes the initialisation deterministic."""

    @abc.abstractmethod
    def torch_objective(self, net, X, y):
        """The primal objective of ``net`` on torch tensors, differentiable (what
        :func:`dualkit.train` minimises)."""

    # ------------------------------------------------------------------ the dual
    @abc.abstractmethod
    def dual_objective(self, lam) -> float:
        """The dual objective :math:`g(\\lambda)`; ``-inf`` where ``lam`` is dual infeasible
        (see :meth:`dual_constraint`), so its value is always a lower bound on the optimum.
        A ``RuntimeError`` where feasibility cannot be decided (a two-layer ReLU program whose
        activation patterns cannot be enumerated)."""

    @abc.abstractmethod
    def dual_constraint(self, lam) -> DualConstraint:
        """The constraint that decides whether ``lam`` is dual feasible (name, value, bound,
        slack), as :func:`dualkit.check` reports it."""

    @abc.abstractmethod
    def feasible_dual(self, lam) -> np.ndarray:
        """A dual-feasible point made from ``lam`` (scaled or projected into the feasible set),
        as an array of ``y``'s shape: ``dual_objective(feasible_dual(lam))`` is a valid lower
        bound for any ``lam``."""

    @property
    @abc.abstractmethod
    def beta_max(self) -> float:
        """The zero threshold, above which (``beta >= beta_max``) the zero network is optimal (see
        :meth:`beta_max_for` to compute it from data alone)."""

    @classmethod
    @abc.abstractmethod
    def beta_max_for(cls, X, y) -> float:
        """The zero threshold :attr:`beta_max` of the problem on data ``X``, ``y`` (subclasses
        add the constructor's other parameters as keywords with defaults), without choosing a
        ``beta`` first."""

    # ------------------------------------------------------------------ solving
    @abc.abstractmethod
    def solve(self, method: str = "auto", width=None, verbose: bool = False) -> Solution:
        """The global optimum with its dual certificate, as a :class:`Solution`.

        ``method="auto"`` picks the fastest exact solver for this problem; each class lists
        its other methods (``"cvxpy"`` is the reference everywhere it exists) and may add its
        own keyword options (with defaults). ``width`` sets the hidden width of the returned
        weights (an int or a sequence, as :meth:`network`); ``verbose=True`` prints a
        summary line (method, values, relative gap, time), preceded by one line per inner
        stage where the solve has stages. ``sol.certified`` follows the one rule of
        :func:`~dualkit.problems.base.certify`."""

    def with_beta(self, beta: float) -> Self:
        """The same problem at another regularization strength ``beta``, sharing the data and
        every factorization that does not depend on ``beta`` (a solve along a path of betas
        costs no refactorization)."""
        beta = check_beta(beta)
        new = copy.copy(self)
        new.beta = beta
        new._bound_cache, new._bound_known = None, False
        new._set_beta(beta)
        return new

    def _set_beta(self, beta: float) -> None:  # noqa: B027 - an optional hook
        """Recompute what depends on ``beta`` after :meth:`~dualkit.Problem.with_beta` (subclasses with
        derived
        strengths, e.g. an effective beta, override it)."""

    def path(self, betas, width=None, *, widths=None) -> list[Solution]:
        """Solutions along several regularization strengths (one
        :meth:`~dualkit.Problem.with_beta` problem each, solved with ``method="auto"``);
        ``widths=`` is the deprecated old name of ``width``."""
        width = self._width(width, widths)
        return [self.with_beta(float(b)).solve(width=width) for b in check_betas(betas)]

    # ------------------------------------------------------------------ certificates
    def lower_bound(self) -> float | None:
        """The best certified lower bound on the primal optimum (the dual value of
        :meth:`solve`, cached), or None when this problem has no certified bound (e.g. a
        two-layer ReLU program whose sampled patterns cannot be enumerated, or an architecture
        without a convex dual)."""
        if not self._bound_known:
            sol = self.solve()
            self._bound_cache = float(sol.dual_value) if np.isfinite(sol.dual_value) else None
            self._bound_known = True
        return self._bound_cache

    def _bound_or_raise(self) -> float:
        bound = self.lower_bound()
        if bound is None:
            raise ValueError(
                f"{type(self).__name__} has no certified lower bound here, so the gap of a "
                "network is not defined; compare objective(net) values instead.")
        return bound

    def gap(self, net) -> float:
        """Certified suboptimality ``objective(net) - lower_bound()`` of a network or weights
        (a ``ValueError`` when :meth:`~dualkit.Problem.lower_bound` is None)."""
        bound = self._bound_or_raise()
        return self.objective(net) - bound

    def relative_gap(self, net) -> float:
        """``gap(net) / |lower_bound()|``: the book's "relative gap"."""
        bound = self._bound_or_raise()
        return relative_gap(self.objective(net), bound)

    # ------------------------------------------------------------------ helpers for subclasses
    @staticmethod
    def _method(method: str | None, choices: tuple[str, ...], auto: str) -> str:
        """Resolve ``method``: ``"auto"`` (or None, its old spelling) becomes ``auto``; other
        values must be one of ``choices``."""
        if method is None:
            warnings.warn('method=None is deprecated; pass method="auto" (the default).',
                          DeprecationWarning, stacklevel=3)
            return auto
        if method == "auto":
            return auto
        if method not in choices:
            names = ", ".join(repr(m) for m in ("auto", *choices))
            raise ValueError(f"method must be one of {names}; got {method!r}.")
        return method

    @staticmethod
    def _width(width, widths, default=None) -> Any:
        """The ``width`` argument, accepting the old keyword ``widths=`` with a
        DeprecationWarning."""
        if widths is not None:
            if width is not None:
                raise TypeError("pass width= only (widths= is its old name).")
            warnings.warn("widths= is deprecated; pass width= (an int or a sequence).",
                          DeprecationWarning, stacklevel=3)
            width = widths
        return default if width is None else width

    @staticmethod
    def _weights_of(weights) -> list:
        """Accept a torch module with ``.weights()`` or a list of arrays."""
        if hasattr(weights, "weights") and callable(weights.weights):
            return weights.weights()
        if isinstance(weights, (list, tuple)):
            return list(weights)
        raise ValueError(
            "weights must be a list of layer arrays (e.g. sol.weights) or a dualkit network; "
            f"got {type(weights).__name__}."
        )


def last_two_decay_objective(net, X, y, beta: float):
    r"""Torch objective of the formulations with weight decay on the last two layers only:
    :math:`\tfrac12\|f(X)-y\|^2+\tfrac\beta2(\|W_{L-1}\|_F^2+\|w_L\|^2)` (biases and sphere
    layers free of decay). ``beta=0`` is refused: it is a constrained interpolation problem."""
    if beta == 0.0:
        raise ValueError("beta=0 is a constrained (interpolation) problem; train with beta > 0.")
    Ws = net.layer_tensors()
    r = net(X) - y
    return 0.5 * (r @ r) + 0.5 * beta * ((Ws[-2] ** 2).sum() + (Ws[-1] ** 2).sum())
