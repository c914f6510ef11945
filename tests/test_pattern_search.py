"""Pattern generation (dualkit.solvers.pattern_search): the ascent finds directions that violate
the full program's dual constraint, each value is a proof (a lower bound on the exact cone
support of its pattern), the torch path equals the NumPy one, and generation finds patterns
that a sampled program lacks."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import dualkit as dk
from dualkit.solvers.pattern_search import block_scores, resolve_device, search_patterns
from dualkit.solvers.relu_program import Blocks, cone_support, dual_constraint


def _data(n=200, d=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = np.sin(2 * X[:, 0]) + 0.5 * X[:, 1] + 0.1 * rng.standard_normal(n)
    return X, y, np.column_stack([X, np.ones(n)])


def _value(M, lam, u, sign):
    """sign * lam^T (M u)_+ at the unit direction u, independently of the module."""
    u = u / np.linalg.norm(u)
    return float(sign * (lam @ np.maximum(M @ u, 0.0)))


def _exact_support(M, D, lam, sign):
    """The exact dual constraint of pattern D and sign: ||Pi_K(g)|| by NNLS (cone_support)."""
    A = np.where(D, 1.0, -1.0)[:, None] * M
    return cone_support(A, sign * (M.T @ (D * lam)))[0]


@pytest.fixture(scope="module")
def small():
    X, y, M = _data()
    rng = np.random.default_rng(1)
    starts = rng.standard_normal((M.shape[1], 40))
    return X, y, M, starts


def test_values_are_proofs(small):
    """Every returned gate: its value recomputed in NumPy exceeds beta and equals the reported
    one; its pattern is 1[Mu >= 0]; the exact support of that pattern is >= the value."""
    _, y, M, starts = small
    full = search_patterns(M, y, 1e-9, starts, steps=20, device="numpy")
    beta = 0.7 * full.best
    res = search_patterns(M, y, beta, starts, steps=20, device="numpy")
    assert res.count > 0 and res.found == res.count
    assert np.all(np.diff(res.values) <= 0)                       # best first
    for j in range(res.count):
        u, sg = res.gates[:, j], res.signs[j]
        assert np.linalg.norm(u) == pytest.approx(1.0, abs=1e-14)
        v = _value(M, y, u, sg)
        assert v == pytest.approx(res.values[j], rel=1e-13)
        assert v > beta * (1 + 1e-7)
        assert np.array_equal(res.patterns[:, j], M @ u >= 0)
        assert _exact_support(M, res.patterns[:, j], y, sg) >= v * (1 - 1e-12)


def test_dedupe_and_top(small):
    """The same start given many times gives one pattern; top truncates, found counts all."""
    _, y, M, starts = small
    rep = np.repeat(starts[:, :3], 10, axis=1) * np.linspace(0.5, 2.0, 30)
    res = search_patterns(M, y, 1e-3, rep, steps=10, device="numpy")
    packed = {col.tobytes() for col in np.packbits(res.patterns, axis=0).T}
    assert len(packed) == res.count <= 6                         # 3 starts x 2 signs at most
    many = search_patterns(M, y, 1e-3, starts, steps=10, device="numpy")
    cut = search_patterns(M, y, 1e-3, starts, steps=10, device="numpy", top=3)
    assert many.found > 3 and cut.found == many.found and cut.count == 3
    np.testing.assert_array_equal(cut.values, many.values[:3])
    np.testing.assert_array_equal(cut.patterns, many.patterns[:, :3])
    assert len({col.tobytes() for col in np.packbits(many.patterns, axis=0).T}) == many.count
    # known patterns are left out
    ex = search_patterns(M, y, 1e-3, starts, steps=10, device="numpy", known=many.patterns[:, :2])
    assert ex.found == many.found - 2
    np.testing.assert_array_equal(ex.patterns, many.patterns[:, 2:])


@pytest.mark.medium
def test_beta_max_of_the_full_program():
    """n = 80, d = 2 (every pattern enumerated): below the full program's beta_max the search
    finds violating directions, above it none; and its best value never exceeds beta_max."""
    X, y, M = _data(n=80, d=2, seed=3)
    bmax = dk.TwoLayerReLU(X, y, 1.0, patterns="exact").beta_max    # over every pattern
    starts = np.random.default_rng(0).standard_normal((3, 30))
    below = search_patterns(M, y, 0.95 * bmax, starts, device="numpy")
    above = search_patterns(M, y, bmax * (1 + 1e-6), starts, device="numpy")
    assert below.found >= 1 and above.found == 0
    assert bmax * (1 - 1e-2) <= below.best <= bmax * (1 + 1e-12)      # measured 0.998
    assert above.gates.shape == (3, 0) and above.patterns.shape == (80, 0)


@pytest.mark.medium
def test_generation_beyond_sampled_patterns(small):
    """At the optimum of a program over 50 sampled gates, the ascent from those gates finds
    violating patterns that are not among the 50 (so generation lowers the optimum); the
    sampled program's own patterns satisfy its dual constraint."""
    X, y, M, _ = small
    G = np.random.default_rng(2).standard_normal((M.shape[1], 50))
    bmax = dk.TwoLayerReLU(X, y, 1.0, patterns=G).beta_max
    prob = dk.TwoLayerReLU(X, y, 0.1 * bmax, patterns=G)
    sol = prob.solve()
    lam = y - sol.predict(X)
    sampled = M @ G >= 0
    # the restricted optimum: no sampled pattern violates (to the solver's accuracy)
    assert dual_constraint(prob.blocks, lam)[0] <= prob.beta * (1 + 1e-6)
    res = search_patterns(M, lam, prob.beta, G, steps=20, device="numpy", known=sampled)
    assert res.found >= 5
    new = {c.tobytes() for c in np.packbits(res.patterns, axis=0).T}
    old = {c.tobytes() for c in np.packbits(sampled, axis=0).T}
    assert not new & old
    for j in range(res.count):
        assert _value(M, lam, res.gates[:, j], res.signs[j]) > prob.beta * (1 + 1e-7)
    # adding them lowers the optimum
    G2 = np.hstack([G, res.gates])
    better = dk.TwoLayerReLU(X, y, prob.beta, patterns=G2).solve()
    assert better.value < sol.value * (1 - 1e-4)


def test_torch_cpu_equals_numpy(small):
    pytest.importorskip("torch")
    _, y, M, starts = small
    a = search_patterns(M, y, 1e-2, starts, steps=20, device="numpy", random=20)
    b = search_patterns(M, y, 1e-2, starts, steps=20, device="cpu", random=20)
    assert b.device == "cpu" and a.device == "numpy"
    assert a.found == b.found and a.steps == b.steps
    np.testing.assert_array_equal(a.patterns, b.patterns)
    np.testing.assert_array_equal(a.signs, b.signs)
    np.testing.assert_allclose(b.gates, a.gates, rtol=0, atol=1e-12)
    np.testing.assert_allclose(b.values, a.values, rtol=1e-12, atol=0)


def _blocks_with_anchors(M, X, seed=0):
    rng = np.random.default_rng(seed)
    n = M.shape[0]
    D = rng.random((n, 37)) < 0.5
    anchors = np.where(rng.random(37) < 0.5, rng.integers(0, n, 37), -1)
    return Blocks(X, D, anchors), Blocks(M, D, np.full(37, -1))


def test_block_scores(small):
    """block_scores = the norms of Blocks.grads (with and without anchors); torch-CPU equal."""
    X, y, M, _ = small
    for blocks in _blocks_with_anchors(M, X):
        ref = np.linalg.norm(blocks.grads(y), axis=0)
        direct = np.array([np.linalg.norm(blocks.matrix(j).T @ (blocks.D[:, j] * y))
                           for j in range(blocks.size)])
        np.testing.assert_allclose(ref, direct, rtol=1e-12)
        np.testing.assert_array_equal(block_scores(blocks, y, device="numpy"), ref)
        if _torch():
            np.testing.assert_allclose(block_scores(blocks, y, device="cpu"), ref, rtol=1e-12)


@pytest.mark.medium
def test_numpy_path_does_not_import_torch():
    code = ("import sys, numpy as np\n"
            "from dualkit.solvers.pattern_search import search_patterns, block_scores\n"
            "from dualkit.solvers.relu_program import Blocks\n"
            "M = np.random.default_rng(0).standard_normal((30, 3)); lam = M[:, 0]\n"
            "search_patterns(M, lam, 0.1, M[:4].T, device='numpy')\n"
            "block_scores(Blocks(M, M > 0, np.full(3, -1)), lam, device='numpy')\n"
            "assert 'torch' not in sys.modules\n"
            "import os\n"
            "if not any(map(os.path.exists, ('/proc/driver/nvidia/version', '/dev/nvidiactl'))):\n"
            "    from dualkit.solvers.pattern_search import resolve_device\n"
            "    assert resolve_device('auto') is None and 'torch' not in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_errors(small):
    _, y, M, starts = small
    with pytest.raises(ValueError, match="starts must be an array"):
        search_patterns(M, y, 1.0, starts[:3])
    with pytest.raises(ValueError, match="lam must be a vector"):
        search_patterns(M, y[:5], 1.0, starts)
    with pytest.raises(ValueError, match="beta must be"):
        search_patterns(M, y, 0.0, starts)
    with pytest.raises(ValueError, match="at least one nonzero start"):
        search_patterns(M, y, 1.0, np.zeros((M.shape[1], 2)))
    with pytest.raises(ValueError, match="top must be"):
        search_patterns(M, y, 1.0, starts, top=0)
    with pytest.raises(ValueError, match="device must be"):
        resolve_device("tpu")
    assert resolve_device("numpy") is None


def _cuda():
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


@pytest.mark.skipif(not _cuda(), reason="needs a CUDA device")
def test_cuda_equals_numpy(small):
    X, y, M, starts = small
    a = search_patterns(M, y, 1e-2, starts, steps=20, device="numpy", random=20)
    b = search_patterns(M, y, 1e-2, starts, steps=20, device="cuda", random=20)
    assert b.device.startswith("cuda") and resolve_device("auto").type == "cuda"
    np.testing.assert_array_equal(a.patterns, b.patterns)
    np.testing.assert_allclose(b.gates, a.gates, rtol=0, atol=1e-12)
    np.testing.assert_allclose(b.values, a.values, rtol=1e-12, atol=0)
    for blocks in _blocks_with_anchors(M, X):
        np.testing.assert_allclose(block_scores(blocks, y, device="cuda"),
                                   block_scores(blocks, y, device="numpy"), rtol=1e-12)


def test_chunks_give_the_same_answer(small, monkeypatch):
    """Starts and blocks processed in column chunks (here 7 columns) give the same answer."""
    import dualkit.solvers.pattern_search as ps

    X, y, M, starts = small
    whole = search_patterns(M, y, 1e-2, starts, device="numpy")
    blocks = _blocks_with_anchors(M, X)[0]
    scores = block_scores(blocks, y, device="numpy")
    monkeypatch.setattr(ps, "CHUNK_ENTRIES", 7 * M.shape[0])
    devices = ["numpy"] + (["cpu"] if _torch() else [])
    for dev in devices:
        part = search_patterns(M, y, 1e-2, starts, device=dev)
        np.testing.assert_array_equal(part.patterns, whole.patterns)
        np.testing.assert_allclose(part.values, whole.values, rtol=1e-12)
        np.testing.assert_allclose(block_scores(blocks, y, device=dev), scores, rtol=1e-12)


def _torch():
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True
