"""Solutions you can use, save and compare (issue 21): ``sol.predict``, ``sol.to_module``,
``sol.save`` / ``Solution.load``, ``==`` that never raises, and networks that refuse to allocate
more than 1e9 parameters.

Every problem class of dualkit has a case below (with its architectures: vector outputs, other
losses, the three bias conventions, depth, skip); each check runs on a solve at 0.3 beta_max and
on the zero solution at 1.5 beta_max.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch  # the ReLU solves import it (through dualkit.nets): paid at collection
from torch import nn

import dualkit as dk
from dualkit.problems.base import SOLUTION_FORMAT, Solution
from dualkit.weights import ReLUWeights

ROOT = Path(dk.__file__).resolve().parent.parent


def _sq_reg(ws) -> float:
    """Weight decay on the last two layers, (|W_{L-1}|^2 + |w_L|^2) / 2."""
    return 0.5 * (float(np.sum(np.asarray(ws[-2]) ** 2)) + float(np.sum(np.asarray(ws[-1]) ** 2)))


def _all_reg(ws) -> float:
    return 0.5 * sum(float(np.sum(np.asarray(W) ** 2)) for W in ws)


def _bias_reg(ws) -> float:
    return _sq_reg(ws) + 0.5 * float(np.sum(ws.biases[0] ** 2))


def _cases():
    X, y = dk.data.gaussian(n=20, d=5, seed=0)
    Xv, Yv = dk.data.vector_regression(n=20, d=5, K=3, seed=0)
    Xw, Yw = dk.data.vector_regression(n=20, d=5, K=3, seed=0, whiten=True)
    x1, y1 = dk.data.points_1d(n=12, seed=0)
    Xr, yr = dk.data.rank_one(n=15, d=4, seed=0)
    Xm, ym = dk.data.rank_one(n=15, d=4, seed=0, mixed_sign=True)
    X2, y2 = dk.data.gaussian(n=8, d=2, seed=1)
    # (name, class, data, keywords, regularizer of the objective)
    return [
        ("linear", dk.TwoLayerLinear, (X, y), {}, _sq_reg),
        ("linear-vector", dk.TwoLayerLinear, (Xv, Yv), {}, _sq_reg),
        ("linear-hinge", dk.TwoLayerLinear, (X, np.sign(y)), {"loss": "hinge"}, _sq_reg),
        ("linear-logistic", dk.TwoLayerLinear, (X, np.sign(y)), {"loss": "logistic"}, _sq_reg),
        ("deep-linear", dk.DeepLinear, (X, y), {"depth": 3}, _sq_reg),
        ("deep-linear-vector", dk.DeepLinear, (Xv, Yv), {"depth": 4}, _sq_reg),
        ("deep-wd", dk.DeepLinearWeightDecay, (X, y), {"depth": 3}, _all_reg),
        ("deep-wd-vector", dk.DeepLinearWeightDecay, (Xw, Yw), {"depth": 3}, _all_reg),
        ("relu-none", dk.TwoLayerReLU, (X2, y2), {"bias": "none"}, _sq_reg),
        ("relu-regularized", dk.TwoLayerReLU, (X2, y2), {"bias": "regularized"}, _bias_reg),
        ("relu-free", dk.TwoLayerReLU, (X2, y2), {"bias": "free"}, _sq_reg),
        ("spline", dk.ReLU1D, (x1, y1), {}, _sq_reg),
        ("spline-deep", dk.ReLU1D, (x1 - x1.min() + 0.1, y1), {"depth": 3}, _sq_reg),
        ("spline-skip", dk.ReLU1D, (x1, y1), {"skip": True}, _sq_reg),
        ("rank-one", dk.RankOneReLU, (Xr, yr), {"depth": 4}, _sq_reg),
        ("rank-one-bias", dk.RankOneReLU, (Xr, yr), {"depth": 4, "bias": True}, _sq_reg),
        ("rank-one-mixed", dk.RankOneReLUMixed, (Xm, ym), {}, _sq_reg),
    ]


CASES = _cases()
FRACS = [0.3, 1.5]
_SOLVED: dict = {}


def solved(name: str, frac: float):
    """``(prob, sol, reg)`` of a case, solved once per test session."""
    if (name, frac) not in _SOLVED:
        _, cls, data, kw, reg = next(c for c in CASES if c[0] == name)
        prob = cls(*data, beta=frac * cls.beta_max_for(*data, **kw), **kw)
        _SOLVED[name, frac] = prob, prob.solve(), reg
    return _SOLVED[name, frac]


PARAMS = [pytest.param(c[0], f, id=f"{c[0]}-{f}") for c in CASES for f in FRACS]


def test_every_problem_class_has_a_case():
    covered = {c[1] for c in CASES}
    solvable = {cls for cls in (dk.TwoLayerLinear, dk.DeepLinear, dk.DeepLinearWeightDecay,
                                dk.TwoLayerReLU, dk.ReLU1D, dk.RankOneReLU, dk.RankOneReLUMixed)}
    assert solvable <= covered
    assert {"none", "regularized", "free"} == {c[3]["bias"] for c in CASES
                                              if c[1] is dk.TwoLayerReLU}


# ---------------------------------------------------------------------------- predict
@pytest.mark.parametrize(("name", "frac"), PARAMS)
def test_predict_is_the_fit_the_objective_scores(name, frac):
    prob, sol, reg = solved(name, frac)
    pred = sol.predict(prob.X)
    assert pred.shape == np.shape(prob.y)
    # the objective recomputed from predict's output and the weights' regularizer
    loss = (prob.loss.value(pred, prob.y) if prob.loss is not None
            else 0.5 * float(np.sum((pred - prob.y) ** 2)))
    value = loss + prob.beta * reg(sol.weights)
    assert value == pytest.approx(prob.objective(sol.weights), rel=1e-12, abs=1e-14)
    assert value == pytest.approx(sol.value, rel=1e-12, abs=1e-14)


@pytest.mark.parametrize(("name", "frac"), PARAMS)
def test_predict_matches_an_independent_forward_pass(name, frac):
    prob, sol, _ = solved(name, frac)
    Xn = np.random.default_rng(1).standard_normal((7, prob.X.shape[1]))
    if name == "spline-deep":
        Xn = np.abs(Xn)                    # the deep 1-D architecture is for x >= 0
    ws = sol.weights
    if isinstance(ws, ReLUWeights):
        A = Xn
        for W, b in zip(ws[:-1], ws.biases[:-1], strict=True):
            A = np.maximum(A @ W + (0.0 if b is None else b), 0.0)
        want = A @ ws[-1] + (0.0 if ws.biases[-1] is None else ws.biases[-1])
        want = want + (0.0 if ws.skip is None else ws.skip * Xn[:, 0])
    else:
        want = Xn
        for W in ws:
            want = want @ W
    np.testing.assert_allclose(sol.predict(Xn), want, rtol=1e-12, atol=1e-13)
    if name.startswith("spline"):      # SplineSolution.predict(x) on scalar inputs, same answer
        np.testing.assert_allclose(sol.predict(Xn[:, 0]), want, rtol=1e-12, atol=1e-13)


def test_predict_refuses_bad_inputs():
    prob, sol, _ = solved("linear", 0.3)
    with pytest.raises(ValueError, match=r"X must have shape \(n, 5\)"):
        sol.predict(np.ones((3, 4)))
    with pytest.raises(ValueError, match="NaN"):
        sol.predict(np.full((2, 5), np.nan))
    # an output beyond float64 is a ValueError that says what to do, never a silent inf
    huge = replace(sol, weights=[np.full((5, 1), 1e200), np.array([1e200])])
    with pytest.raises(ValueError, match=r"prediction is infinite \(overflow\).*rescale X"):
        huge.predict(np.ones((2, 5)))
    _, rsol, _ = solved("relu-free", 0.3)
    with pytest.raises(ValueError, match=r"X must have shape \(n, 2\)"):
        rsol.predict(np.ones(2))


@pytest.mark.medium      # a fresh interpreter: 2.5 s
def test_predict_after_load_needs_no_torch(tmp_path):
    prob, sol, _ = solved("relu-regularized", 0.3)
    path = sol.save(tmp_path / "relu.npz")
    np.save(tmp_path / "X.npy", prob.X)
    code = ("import json, sys\nimport numpy as np\nimport dualkit as dk\n"
            f"sol = dk.Solution.load({str(path)!r})\n"
            f"p = sol.predict(np.load({str(tmp_path / 'X.npy')!r}))\n"
            "from dualkit.weights import ReLUWeights\n"
            "print(json.dumps({'pred': p.tolist(), 'torch': 'torch' in sys.modules}))")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["torch"] is False
    assert np.array_equal(np.array(got["pred"]), sol.predict(prob.X))


def test_relu_weights_is_one_class_in_both_modules():
    from dualkit.nets import ReLUWeights as FromNets

    assert FromNets is ReLUWeights
    assert ReLUWeights.__module__ == "dualkit.weights"


# ---------------------------------------------------------------------------- to_module
@pytest.mark.parametrize(("name", "frac"), PARAMS)
def test_to_module_is_a_plain_sequential_equal_to_predict(name, frac):
    prob, sol, _ = solved(name, frac)
    module = sol.to_module()
    assert isinstance(module, nn.Sequential)
    assert all(type(m) in (nn.Linear, nn.ReLU) for m in module)
    assert all(p.dtype == torch.float64 for p in module.parameters())
    Xn = np.abs(np.random.default_rng(2).standard_normal((6, prob.X.shape[1]))) + 0.1
    for inputs in (prob.X, Xn):
        out = module(torch.from_numpy(inputs)).detach().numpy()
        pred = sol.predict(inputs)
        np.testing.assert_allclose(out[:, 0] if pred.ndim == 1 else out, pred, rtol=1e-12,
                                   atol=1e-13)
    linears = [m for m in module if isinstance(m, nn.Linear)]
    ws = sol.weights
    relu = isinstance(ws, ReLUWeights)
    assert (len(linears) == len(ws)) and (relu == any(isinstance(m, nn.ReLU) for m in module)
                                          or len(ws) == 1)
    if relu and ws.skip is not None:
        # c x = c (x)_+ - c (-x)_+: two more neurons in every hidden layer
        assert [lin.out_features for lin in linears[:-1]] == [W.shape[1] + 2 for W in ws[:-1]]
        return
    for lin, W, b in zip(linears, ws, ws.biases if relu else [None] * len(ws), strict=True):
        W = np.asarray(W)
        assert np.array_equal(lin.weight.detach().numpy(), (W[:, None] if W.ndim == 1 else W).T)
        assert (lin.bias is None) == (b is None)
        if b is not None:
            assert np.array_equal(lin.bias.detach().numpy(), np.reshape(b, -1))


# ---------------------------------------------------------------------------- save / load
def _bitwise(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.mark.parametrize(("name", "frac"), PARAMS)
def test_save_load_round_trip_is_exact(name, frac, tmp_path):
    prob, sol, _ = solved(name, frac)
    path = sol.save(tmp_path / "sol.npz")
    assert path == tmp_path / "sol.npz" and path.is_file()
    back = Solution.load(path)
    assert type(back) is type(sol)              # a SplineSolution comes back as one
    assert back == sol
    for a, b in zip(back.weights, sol.weights, strict=True):
        assert _bitwise(a, b)
    assert type(back.weights) is type(sol.weights)
    if isinstance(sol.weights, ReLUWeights):
        assert all(_bitwise(a, b) for a, b in zip(back.weights.biases, sol.weights.biases,
                                                   strict=True))
        assert back.weights.skip == sol.weights.skip
    assert _bitwise(back.dual, sol.dual) and _bitwise(back.w, sol.w)
    for f in ("value", "dual_value", "solve_time", "beta", "method", "certified"):
        a, b = getattr(back, f), getattr(sol, f)
        assert a == b or (np.isnan(a) and np.isnan(b)), f
    assert np.array_equal(back.predict(prob.X), sol.predict(prob.X))
    assert prob.objective(back.weights) == prob.objective(sol.weights)
    if isinstance(sol, dk.SplineSolution):
        assert np.array_equal(back.knots, sol.knots) and np.array_equal(back.slopes, sol.slopes)
        assert type(back).load(path) == sol
    # the archive holds plain arrays and JSON: readable without pickle
    with np.load(path, allow_pickle=False) as z:
        meta = json.loads(str(z["meta"]))
    assert meta["version"] == SOLUTION_FORMAT and meta["class"] == type(sol).__name__


def test_info_saves_its_json_part(tmp_path):
    _, sol, _ = solved("linear", 0.3)
    sol = replace(sol, info={**sol.info, "array": np.arange(3.0), "nan": float("nan"),
                             "pair": (1, np.float64(2.5)), "flag": np.bool_(True)})
    back = Solution.load(sol.save(tmp_path / "s.npz"))
    assert "array" not in back.info
    assert back.info["pair"] == [1, 2.5] and back.info["flag"] is True
    assert np.isnan(back.info["nan"])
    assert back == sol                         # info compared on its saved part
    with np.load(tmp_path / "s.npz", allow_pickle=False) as z:
        assert json.loads(str(z["meta"]))["info_not_saved"] == ["array"]


def _rewrite_meta(src: Path, dst: Path, **changes) -> None:
    with np.load(src, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(str(arrays["meta"]))
    meta.update(changes)
    arrays["meta"] = np.array(json.dumps(meta))
    with open(dst, "wb") as fh:
        np.savez(fh, **arrays)


def test_load_refuses_what_it_cannot_read(tmp_path):
    _, sol, _ = solved("relu-free", 0.3)
    good = sol.save(tmp_path / "good.npz")
    with pytest.raises(ValueError, match="no such file"):
        Solution.load(tmp_path / "missing.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a solution at all" * 10)
    with pytest.raises(ValueError, match=r"not a readable \.npz"):
        Solution.load(tmp_path / "junk.npz")
    (tmp_path / "cut.npz").write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(ValueError, match="cannot load a Solution"):
        Solution.load(tmp_path / "cut.npz")
    np.savez(tmp_path / "plain.npz", a=np.ones(3))
    with pytest.raises(ValueError, match="no readable 'meta'"):
        Solution.load(tmp_path / "plain.npz")
    np.save(tmp_path / "pickled.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match=r"not a readable \.npz"):
        Solution.load(tmp_path / "pickled.npy")
    _rewrite_meta(good, tmp_path / "v2.npz", version=SOLUTION_FORMAT + 1)
    with pytest.raises(ValueError, match="format version 2.*reads version 1"):
        Solution.load(tmp_path / "v2.npz")
    _rewrite_meta(good, tmp_path / "other.npz", format="something.else")
    with pytest.raises(ValueError, match="names the format 'something.else'"):
        Solution.load(tmp_path / "other.npz")
    with zipfile.ZipFile(tmp_path / "holes.npz", "w") as zf:     # a weight array missing
        with np.load(good, allow_pickle=False) as z:
            for k in z.files:
                if k != "weight_1":
                    with zf.open(f"{k}.npy", "w") as fh:
                        np.lib.format.write_array(fh, z[k], allow_pickle=False)
    with pytest.raises(ValueError, match="incomplete or inconsistent"):
        Solution.load(tmp_path / "holes.npz")
    with pytest.raises(ValueError, match="holds a 'Solution', which is not a SplineSolution"):
        dk.SplineSolution.load(good)


# ---------------------------------------------------------------------------- equality
@pytest.mark.parametrize("name", ["linear", "deep-wd", "relu-regularized", "spline-skip"])
def test_equality_never_raises(name):
    _, sol, _ = solved(name, 0.3)
    twin = replace(sol)                          # a new object with the same fields
    assert twin is not sol and twin == sol and not (twin != sol)
    assert sol != replace(sol, value=sol.value + 1.0)
    assert sol != replace(sol, method="cvxpy")
    assert sol != replace(sol, info={**sol.info, "extra": 1})
    assert sol != "a string" and sol != None  # noqa: E711 - comparing to None must not raise
    ws = sol.weights
    changed = ReLUWeights([W + 1.0 for W in ws], ws.biases, ws.skip) if isinstance(
        ws, ReLUWeights) else [W + 1.0 for W in ws]
    assert sol != replace(sol, weights=changed)
    with pytest.raises(TypeError, match="unhashable"):
        hash(sol)


def test_equality_treats_nan_as_equal():
    _, sol, _ = solved("linear", 0.3)
    a = replace(sol, dual_value=float("nan"), dual=np.array([np.nan, 1.0]))
    b = replace(sol, dual_value=float("nan"), dual=np.array([np.nan, 1.0]))
    assert a == b
    assert a != replace(b, dual=np.array([1.0, np.nan]))
    assert a != replace(b, dual=None)


# ---------------------------------------------------------------------------- networks
@pytest.mark.parametrize("name", [c[0] for c in CASES])
def test_network_refuses_a_billion_neurons(name):
    prob, _, _ = solved(name, 0.3)
    with pytest.raises(ValueError, match="parameters, more than dualkit builds"):
        prob.network(width=10**9)
    with pytest.raises(ValueError, match="width.*got True"):
        prob.network(width=True)


def test_nets_check_widths_and_size_themselves():
    from dualkit.nets import DeepLinearNet, DeepReLUNet

    for cls in (DeepLinearNet, DeepReLUNet):
        for bad in (True, float("inf"), 2.5, 0):
            with pytest.raises(ValueError, match="integer >= 1"):
                cls(3, bad)
        with pytest.raises(ValueError, match=r"layer sizes \[3, 3, 1000000, 1000000, 1\]"):
            cls(3, [3, 10**6, 10**6])
