"""Bad-input sweep: every public entry point, every class of bad input.

For each public callable (problem constructors and methods, data generators, diagnostics,
splines, solvers, training, figures and widgets) and each of its arguments, the sweep replaces
that one argument by each class of bad input and asserts one of two outcomes:

* a ``ValueError`` or ``TypeError`` whose message names the argument; or
* a correct result: for inputs that have an unambiguous meaning (a list, an integer or boolean
  array, a torch tensor, a column vector for a vector) the result must equal the result of the
  same call on the float64 array; for the others (NaN, Inf, empty, complex, strings, None, wrong
  shapes or lengths, negative / NaN / infinite scalars) no result is correct.

Any other exception type, and any silent NaN output, fails. ``SWEEP_COUNTS`` (printed at the
end of the session by conftest) reports how many calls were made.
"""

from __future__ import annotations

import functools
import inspect
import re
import warnings
from collections import Counter

import matplotlib
import numpy as np
import pytest
import torch

import dualkit as dk

matplotlib.use("Agg")
#: calls made per outcome (printed by conftest)
SWEEP_COUNTS: Counter = Counter()

X, Y = dk.data.gaussian(n=8, d=3, seed=0)
YV = dk.data.vector_regression(8, 3, 2, seed=0)[1]
XR, YR = dk.data.rank_one(8, 3, seed=0)
XM, YM = dk.data.rank_one(8, 3, seed=1, mixed_sign=True)
X1, Y1 = dk.data.points_1d(8, seed=0)
X2, Y2 = dk.data.sine_features(8, d=2, seed=0)


# ---------------------------------------------------------------------------- fingerprints
def _numbers(obj, out):
    """Every number a result carries (arrays, floats, solutions, problems, figures' data)."""
    if obj is None or isinstance(obj, (str, bool)):
        return
    if isinstance(obj, (int, float, np.floating, np.integer)):
        out.append(float(obj))
    elif isinstance(obj, np.ndarray):
        if np.issubdtype(obj.dtype, np.number) or obj.dtype == bool:
            out.extend(np.asarray(obj, dtype=float).ravel().tolist())
    elif isinstance(obj, torch.Tensor):
        out.extend(obj.detach().double().ravel().tolist())
    elif isinstance(obj, dict):
        for k in sorted(obj, key=str):
            _numbers(obj[k], out)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            _numbers(v, out)
    elif isinstance(obj, dk.Solution):
        _numbers([obj.value, obj.dual_value, obj.weights], out)
    elif isinstance(obj, dk.Problem):
        try:
            _numbers(obj.solve().value, out)
        except dk.problems.relu_1d.NoConvexProgramError:   # no solver: their data
            _numbers([obj.X if hasattr(obj, "X") else obj.x, obj.y, obj.beta], out)
    elif isinstance(obj, matplotlib.figure.Figure):   # NaN in line data is a gap, not an error
        for ax in obj.axes:
            for line in ax.get_lines():
                out.extend(np.asarray(line.get_xydata(), dtype=float).ravel().tolist())
        matplotlib.pyplot.close(obj)
    elif isinstance(obj, torch.nn.Module):
        for p in obj.parameters():
            _numbers(p, out)
    elif hasattr(obj, "__dict__"):
        for k in sorted(vars(obj)):
            if not k.startswith("_") and k not in ("time", "solve_time", "info"):  # wall times
                _numbers(getattr(obj, k), out)


def fingerprint(result) -> np.ndarray:
    out: list = []
    _numbers(result, out)
    return np.array(out, dtype=float)


# ---------------------------------------------------------------------------- the entry points
P_LIN = dk.TwoLayerLinear(X, Y, 0.5)
P_1D = dk.ReLU1D(X1, Y1, 0.05)
P_R1 = dk.RankOneReLU(XR, YR, 0.5, depth=3)
P_RELU = dk.TwoLayerReLU(X2, Y2, 0.05, patterns="exact")
P_DEEP = dk.DeepLinear(X, Y, 0.5, depth=3)


@functools.cache
def sol(prob):
    return prob.solve()


class Later:
    """A value read from a solve or a training run, computed when a test first needs it, not at
    import (collection stays cheap). ``like`` is a stand-in of the same kind and shape: the
    collected bad-input labels are built from it (``test_stand_ins_have_the_labels_of_their_values``
    checks that they are the labels of the real value)."""

    def __init__(self, make, like):
        self.make, self.like = make, like

    @functools.cached_property
    def value(self):
        return self.make()


def _now(value):
    """``value`` with every ``Later`` in it (a keyword argument, or a dict's entry) computed."""
    if isinstance(value, Later):
        return value.value
    if isinstance(value, dict):
        return {k: _now(v) for k, v in value.items()}
    return value


#: stand-ins for solutions' fields: weights (a list of layers), a dual vector (n = 8)
LAYERS, DUAL = [np.zeros((3, 1)), np.zeros(1)], np.zeros(8)
WEIGHTS = {prob: Later(lambda prob=prob: sol(prob).weights, LAYERS)
           for prob in (P_LIN, P_1D, P_RELU, P_DEEP)}
DUALS = {prob: Later(lambda prob=prob: sol(prob).dual, DUAL) for prob in (P_LIN, P_1D, P_DEEP)}
W_LIN = Later(lambda: sol(P_LIN).w, np.zeros(3))
HIST = Later(lambda: dk.train(P_LIN.network(2, seed=0), P_LIN, steps=3, progress=False), None)

#: name -> (callable, valid keyword arguments)
ENTRY_POINTS = {
    "TwoLayerLinear": (dk.TwoLayerLinear, dict(X=X, y=Y, beta=0.5)),
    "TwoLayerLinear vector": (dk.TwoLayerLinear, dict(X=X, y=YV, beta=0.5)),
    "DeepLinear": (dk.DeepLinear, dict(X=X, y=Y, beta=0.5, depth=3, t=1.0)),
    "DeepLinearWeightDecay": (dk.DeepLinearWeightDecay, dict(X=X, y=Y, beta=0.5, depth=3)),
    "ReLU1D": (dk.ReLU1D, dict(x=X1, y=Y1, beta=0.05)),
    "RankOneReLU": (dk.RankOneReLU, dict(X=XR, y=YR, beta=0.5, depth=3, t=1.0)),
    "RankOneReLUMixed": (dk.RankOneReLUMixed, dict(X=XM, y=YM, beta=0.5)),
    "TwoLayerReLU": (dk.TwoLayerReLU, dict(X=X2, y=Y2, beta=0.05)),
    "StandardDeepReLU1D": (dk.StandardDeepReLU1D, dict(x=X1, y=Y1, beta=0.05)),
    "TwoLayerLinear.objective": (P_LIN.objective, dict(weights=WEIGHTS[P_LIN])),
    "TwoLayerLinear.dual_objective": (P_LIN.dual_objective, dict(lam=DUALS[P_LIN])),
    "TwoLayerLinear.feasible_dual": (P_LIN.feasible_dual, dict(lam=DUALS[P_LIN])),
    "TwoLayerLinear.path": (P_LIN.path, dict(betas=np.array([0.1, 0.5]))),
    "TwoLayerLinear.network": (P_LIN.network, dict(width=3, seed=0)),
    "ReLU1D.objective": (P_1D.objective, dict(weights=WEIGHTS[P_1D])),
    "ReLU1D.dual_objective": (P_1D.dual_objective, dict(lam=DUALS[P_1D])),
    "ReLU1D.feasible_dual": (P_1D.feasible_dual, dict(lam=DUALS[P_1D])),
    "ReLU1D.path": (P_1D.path, dict(betas=np.array([0.05, 0.1]))),
    "RankOneReLU.dual_objective": (P_R1.dual_objective, dict(lam=YR)),
    "TwoLayerReLU.dual_objective": (P_RELU.dual_objective, dict(lam=Y2 * 0.01)),
    "recover_weights": (dk.recover_weights, dict(w=W_LIN, width=2)),
    "deep_weights": (dk.deep_weights, dict(w=W_LIN, widths=2, t=1.0, n_constrained=1)),
    "data.gaussian": (dk.data.gaussian, dict(n=6, d=2, seed=0, noise=0.1)),
    "data.gaussian_inputs": (dk.data.gaussian_inputs, dict(n=6, d=2, seed=0)),
    "data.teacher_targets": (dk.data.teacher_targets, dict(X=X, seed=0, noise=0.1)),
    "data.vector_regression": (dk.data.vector_regression, dict(n=6, d=2, K=2, rank=1, seed=0)),
    "data.zigzag": (dk.data.zigzag, dict(n=6, seed=0)),
    "data.points_1d": (dk.data.points_1d, dict(n=6, seed=0, noise=0.3)),
    "data.rank_one": (dk.data.rank_one, dict(n=6, d=2, seed=0, noise=0.1)),
    "data.sine_features": (dk.data.sine_features, dict(n=6, d=2, seed=0)),
    "diagnostics.singular_values": (dk.diagnostics.singular_values, dict(W=X)),
    "diagnostics.numerical_rank": (dk.diagnostics.numerical_rank, dict(W=X)),
    "diagnostics.rank_one_ratio": (dk.diagnostics.rank_one_ratio, dict(W=X)),
    "diagnostics.alignment": (dk.diagnostics.alignment, dict(a=X[:, 0], b=X[:, 1])),
    "diagnostics.balance": (dk.diagnostics.balance,
                            dict(W1=Later(lambda: sol(P_LIN).weights[0], np.zeros((3, 1))),
                                 w2=Later(lambda: sol(P_LIN).weights[1], np.zeros(1)))),
    "diagnostics.relative_gap": (dk.diagnostics.relative_gap, dict(value=1.5, bound=1.0)),
    "diagnostics.alignment_matrix": (dk.diagnostics.alignment_matrix,
                                     dict(W=X.T[:, :3], W_next=X[:3, :2], k=2)),
    "diagnostics.layer_summary": (dk.diagnostics.layer_summary, dict(weights=WEIGHTS[P_LIN])),
    "splines.linear_spline": (dk.splines.linear_spline, dict(x=X1, y=Y1)),
    "splines.spline_cost": (dk.splines.spline_cost, dict(x=X1, y=Y1)),
    "solvers.RidgePath": (dk.solvers.RidgePath, dict(X=X, y=Y)),
    "solvers.group_lasso_single": (dk.solvers.group_lasso_single, dict(X=X, y=Y, beta=0.5)),
    # a fresh network per call (train works in place); the network and problem arguments are
    # covered by tests/test_validation.py
    "train": (lambda steps=3, lr=None, tol=None, time_limit=None: dk.train(
        P_LIN.network(2, seed=0), P_LIN, steps=steps, lr=lr, tol=tol, time_limit=time_limit,
        progress=False), dict(steps=3, lr=1e-2)),
    "plot.svt_spectrum": (dk.plot.svt_spectrum, dict(X=X, Y=YV, beta=0.5)),
    "plot.spline_fit": (dk.plot.spline_fit, dict(x=X1, y=Y1, fits={})),
    "plot.arrangement": (dk.plot.arrangement, dict(X=X2, resolution=20)),
    "plot.rank_path": (dk.plot.rank_path, dict(betas=np.array([1.0, 2.0]), ranks=np.array([2, 1]),
                                               sigmas=np.array([2.0, 1.0]))),
    "plot.training": (dk.plot.training, dict(hist=HIST)),
    "plot.rank_one_fit": (dk.plot.rank_one_fit, dict(X=XR, y=YR, beta=0.5, depth=3, t=1.0)),
    "TwoLayerLinear loss": (dk.TwoLayerLinear, dict(X=X, y=Y, beta=0.5, loss="absolute")),
    "TwoLayerLinear.solve": (P_LIN.solve, dict(method="closed_form", width=2)),
    "ReLU1D.solve": (P_1D.solve, dict(method="ramp", width=30)),
    "TwoLayerReLU options": (dk.TwoLayerReLU, dict(X=X2, y=Y2, beta=0.05, bias="free",
                                                   patterns="exact", seed=0)),
    "TwoLayerReLU sampled": (dk.TwoLayerReLU, dict(X=X2, y=Y2, beta=0.05, patterns=50)),
    "DeepLinear.objective": (P_DEEP.objective, dict(weights=WEIGHTS[P_DEEP])),
    "DeepLinear.dual_objective": (P_DEEP.dual_objective, dict(lam=DUALS[P_DEEP])),
    "TwoLayerReLU.objective": (P_RELU.objective, dict(weights=WEIGHTS[P_RELU])),
    "losses.get_loss": (dk.losses.get_loss, dict(loss="hinge")),
    "splines.kinks": (dk.splines.kinks, dict(weights=WEIGHTS[P_1D])),
    "splines.network_function": (dk.splines.network_function, dict(weights=WEIGHTS[P_1D])),
    "check.optimal_value": (dk.check.optimal_value,
                            dict(prob=P_LIN, value=Later(lambda: sol(P_LIN).value, 1.0), quiet=True)),
    "check.rank_one": (dk.check.rank_one, dict(W=np.outer(X[:, 0], X[0]), quiet=True)),
    "check.close": (dk.check.close, dict(answer=np.array([1.0, 2.0]),
                                         expected_fn=lambda: np.array([1.0, 2.0]), quiet=True)),
    "plot.knot_path": (dk.plot.knot_path, dict(x=X1, y=Y1, betas=np.array([0.05, 0.1]))),
    "plot.spline_dual_constraint": (dk.plot.spline_dual_constraint,
                                    dict(x=np.sort(X1), lam=DUALS[P_1D],
                                         beta=0.05)),
    "plot.beta_path": (dk.plot.beta_path, dict(prob=P_LIN, betas=np.array([0.1, 0.5]))),
    "plot.pattern_counts": (dk.plot.pattern_counts, dict(ns=np.array([5.0, 10.0]),
                                                         counts={"exact": [8, 20]})),
    "plot.neurons": (dk.plot.neurons, dict(weights=WEIGHTS[P_LIN])),
    "plot.relu_neurons": (dk.plot.relu_neurons, dict(X=X2, y=Y2,
                                                     networks={"optimum": WEIGHTS[P_RELU]})),
    "nets.ReLUWeights": (dk.nets.ReLUWeights, dict(layers=[np.ones((1, 3)), np.ones(3)])),
    "nets.DeepLinearNet": (dk.nets.DeepLinearNet, dict(d=3, widths=2, seed=0, init_scale=1.0)),
    "nets.DeepReLUNet": (dk.nets.DeepReLUNet, dict(d=1, widths=[4], seed=0, init_scale=1.0)),
    "schatten_weights": (dk.schatten_weights, dict(W=np.outer(X[0], [1.0, 2.0]), widths=2,
                                                   t=1.0, depth=3)),
    "diagnostics.top_singular_vectors": (dk.diagnostics.top_singular_vectors, dict(W=X)),
    "diagnostics.layer_alignment": (dk.diagnostics.layer_alignment,
                                    dict(weights=WEIGHTS[P_DEEP])),
    "splines.sorted_points": (dk.splines.sorted_points, dict(x=X1, y=Y1)),
    "widgets.spline_explorer": (dk.widgets.spline_explorer, dict(x=X1, y=Y1)),
    "widgets.svt_explorer": (dk.widgets.svt_explorer, dict(X=X, Y=YV)),
    "widgets.rank_one_explorer": (dk.widgets.rank_one_explorer, dict(X=XR, y=YR, depth=3)),
    "widgets.beta_explorer": (dk.widgets.beta_explorer, dict(X=X, y=Y)),
}


# ---------------------------------------------------------------------------- bad inputs
def _array_variants(a: np.ndarray):
    """(label, value, acceptable reference or None): None means it must be rejected."""
    a = np.asarray(a)
    bad_nan, bad_inf = a.astype(float).copy(), a.astype(float).copy()
    bad_nan.flat[0], bad_inf.flat[-1] = np.nan, np.inf
    yield "NaN", bad_nan, None
    yield "Inf", bad_inf, None
    yield "empty", a[:0], None
    yield "complex", a.astype(complex) + 1j, None
    yield "strings", np.full(a.shape, "a"), None
    yield "None", None, None
    if a.ndim >= 1 and a.shape[0] > 1:
        yield "one row short", a[:-1], "maybe"
    yield "extra axis", a[..., None, None], None
    if a.ndim == 1:
        yield "column vector", a[:, None], a.astype(float)
    a = a.astype(float)
    yield "list", a.tolist(), a
    yield "torch tensor", torch.as_tensor(a), a
    ints = np.round(a * 3).astype(int)
    yield "integer array", ints, ints.astype(float)
    bools = a > np.median(a)
    yield "boolean array", bools, bools.astype(float)


def _scalar_variants(v):
    yield "negative", -abs(v) - 1.0, None
    yield "NaN", float("nan"), None
    yield "Inf", float("inf"), None
    yield "string", "1", None
    yield "None", None, None
    yield "complex", 1j, None
    yield "list", [v], None


def _int_variants(v):
    yield "zero", 0, "maybe"
    yield "negative", -3, None
    yield "fraction", 2.5, None
    yield "string", "3", None
    yield "None", None, None
    yield "NaN", float("nan"), None
    yield "numpy integer", np.int64(v), v


def _string_variants(v):
    yield "unknown choice", v + "-unknown", None
    yield "integer", 3, None
    yield "upper case", v.upper(), v          # accepted only if it means the same


def _layer_list_variants(layers):
    """A list of weight matrices: a NaN or Inf entry, or a string, in one layer."""
    for label, bad in (("NaN in a layer", np.nan), ("Inf in a layer", np.inf)):
        out = [np.array(W, dtype=float) for W in layers]
        out[0].flat[0] = bad
        yield label, out, None
    yield "a string layer", ["a", *layers[1:]], None


def _variants(value):
    if isinstance(value, list) and value and all(isinstance(W, np.ndarray) for W in value):
        return list(_layer_list_variants(value))
    if isinstance(value, str):
        return list(_string_variants(value))
    if isinstance(value, np.ndarray):
        return list(_array_variants(value))
    if isinstance(value, (bool, np.bool_)):
        return []
    if isinstance(value, int):
        return list(_int_variants(value))
    if isinstance(value, float):
        return list(_scalar_variants(value))
    return []


#: (entry point, argument) -> labels that are valid input there (any finite answer is accepted):
#: a relative gap of negative or infinite objective values is well defined
VALID = {("diagnostics.relative_gap", "value"): {"negative", "Inf"},
         ("diagnostics.relative_gap", "bound"): {"negative"},
         ("TwoLayerReLU options", "patterns"): {"integer"}}     # an int: that many samples

def _labels(value) -> list[str]:
    return [label for label, _, _ in _variants(value.like if isinstance(value, Later) else value)]


CASES = [(name, arg, label) for name, (fn, kwargs) in ENTRY_POINTS.items()
         for arg, value in kwargs.items() for label in _labels(value)]


def _call(fn, kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = fn(**kwargs)
        return fingerprint(result), isinstance(result, matplotlib.figure.Figure)


def _default_is_none(fn, arg) -> bool:
    try:
        p = inspect.signature(fn).parameters.get(arg)
    except (TypeError, ValueError):
        return False
    return p is not None and p.default is None


def _names_argument(message: str, arg: str) -> bool:
    return re.search(rf"(?<![A-Za-z_]){re.escape(arg)}(?![A-Za-z_])", message) is not None


@pytest.mark.parametrize("name,arg,label", CASES, ids=[f"{n}-{a}-{lab}" for n, a, lab in CASES])
def test_bad_input(name, arg, label):
    fn, kwargs = ENTRY_POINTS[name]
    kwargs = {k: _now(v) for k, v in kwargs.items()}
    value, reference = next((v, ref) for lab, v, ref in _variants(kwargs[arg]) if lab == label)
    if label == "None" and _default_is_none(fn, arg):
        reference = None, "the documented default"
    if label in VALID.get((name, arg), ()):
        reference = "valid"
    if name.startswith("check."):
        # the checks grade answers: a bad answer is a failed check with a message, not an error
        # (a bad problem or tolerance is an error)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                res = fn(**{**kwargs, arg: value})
            except (ValueError, TypeError) as exc:
                assert _names_argument(str(exc), arg), f"{name}({arg}=<{label}>): {exc}"
                return
        if reference is None:
            assert not res.passed and res.message, f"{name}({arg}=<{label}>) passed"
        SWEEP_COUNTS["a failed check with a message" if not res.passed else "a passed check"] += 1
        return
    try:
        got, figure = _call(fn, {**kwargs, arg: value})
    except (ValueError, TypeError) as exc:
        SWEEP_COUNTS["rejected with a message naming the argument"] += 1
        assert _names_argument(str(exc), arg), \
            f"{name}({arg}=<{label}>) raised {type(exc).__name__} without naming {arg!r}: {exc}"
        return
    # accepted: never a silent NaN (infinities are documented values, e.g. an infeasible dual
    # point has dual objective -inf), and it must be the right answer
    assert figure or not np.any(np.isnan(got)), \
        f"{name}({arg}=<{label}>) returned NaN instead of raising"
    assert reference is not None, f"{name}({arg}=<{label}>) was accepted; it must be rejected"
    if isinstance(reference, str):   # a legitimate input ("maybe" smaller, or VALID): any answer
        SWEEP_COUNTS["accepted: a valid input"] += 1
        return
    if isinstance(reference, tuple):  # None where None is the documented default
        SWEEP_COUNTS["accepted: the documented default"] += 1
        return
    expected, _ = _call(fn, {**kwargs, arg: reference})
    SWEEP_COUNTS["accepted and converted"] += 1
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12, equal_nan=figure,
                               err_msg=f"{name}({arg}=<{label}>) differs from the float64 call")


@pytest.mark.parametrize("loss", ["hinge", "logistic"])
@pytest.mark.parametrize("labels", [[0.0, 1.0], [-1.0, 0.0, 1.0], [0.3, 1.7]],
                         ids=["0-1", "three classes", "continuous"])
def test_classification_losses_reject_wrong_label_sets(loss, labels):
    y = np.resize(np.array(labels), X.shape[0])
    with pytest.raises(ValueError) as err:
        dk.TwoLayerLinear(X, y, 0.5, loss=loss)
    assert _names_argument(str(err.value), "y")
    SWEEP_COUNTS["rejected with a message naming the argument"] += 1


@pytest.mark.parametrize("make", [lambda: X, lambda: XR + 1e-3 * X, lambda: np.vstack([XR, -XR])],
                         ids=["gaussian", "nearly rank one", "mixed signs"])
def test_rank_one_relu_rejects_data_that_is_not_rank_one_with_nonnegative_c(make):
    with pytest.raises(ValueError) as err:
        dk.RankOneReLU(make(), np.resize(YR, make().shape[0]), 0.5, depth=3)
    assert _names_argument(str(err.value), "X") or "rank one" in str(err.value)
    SWEEP_COUNTS["rejected with a message naming the argument"] += 1


@pytest.mark.parametrize("name,arg", [(name, arg) for name, (_, kwargs) in ENTRY_POINTS.items()
                                      for arg, value in kwargs.items() if isinstance(value, Later)],
                         ids=lambda v: v)
def test_stand_ins_have_the_labels_of_their_values(name, arg):
    """The labels collected from a ``Later``'s stand-in are those of the value it computes."""
    value = ENTRY_POINTS[name][1][arg]
    assert _labels(value) == _labels(value.value), f"{name}({arg}=...): update its stand-in"
