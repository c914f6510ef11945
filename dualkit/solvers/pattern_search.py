r"""Pattern generation for the two-layer ReLU program (:ref:`app-relu-program`): a search for
directions that violate the dual constraint of the *full* program, and the block scores, each
with a torch path used on a CUDA device.

The full program's dual constraint is :math:`\max_{\|u\|\le1}\sigma\lambda^\top(Mu)_+\le\beta`
over every direction :math:`u` and sign :math:`\sigma=\pm1`. A restricted program (sampled or
generated patterns) only enforces it on its own cells; :func:`search_patterns` looks for unit
directions with :math:`\sigma\lambda^\top(Mu)_+>\beta` by local ascent. Such a value is a *lower
bound* on the exact constraint of the pattern :math:`D=\mathbb 1[Mu\ge0]`: :math:`u` lies in its
own cell :math:`K=\{v:(2D-1)\odot Mv\ge0\}`, on which
:math:`\sigma\lambda^\top(Mv)_+=g^\top v` with :math:`g=\sigma M^\top D\lambda`, so

.. math:: \sigma\lambda^\top(Mu)_+=g^\top u\le\max_{v\in K,\|v\|\le1}g^\top v=\|\Pi_K(g)\|,

and a value above :math:`\beta(1+10^{-7})` proves that the pattern violates the dual constraint
(no NNLS needed): adding it to the program lowers the optimum.

Torch is imported only when a torch device is asked for (``device="cpu"``, ``"cuda"``, a
``torch.device``), or by ``device="auto"`` on a machine with an NVIDIA driver; ``"numpy"`` and
``"auto"`` elsewhere never import it.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from dualkit.solvers.relu_program import SLACK_TOL, Blocks

__all__ = ["search_patterns", "PatternSearch", "block_grads", "block_scores", "resolve_device"]

#: entries of one (n, columns) work matrix (float64) in NumPy or torch-CPU, and on a CUDA device:
#: the starts (and the blocks of :func:`block_scores`) are processed in column chunks of that size
CHUNK_ENTRIES = 1 << 23
CUDA_CHUNK_ENTRIES = 1 << 27


def _chunk(n: int, dev) -> int:
    size = CUDA_CHUNK_ENTRIES if dev is not None and dev.type == "cuda" else CHUNK_ENTRIES
    return max(1, size // max(n, 1))


def _cuda_present() -> bool:
    """Whether torch sees a CUDA device, importing torch only where an NVIDIA driver exists
    (so that a CPU-only machine never pays for the import)."""
    if "torch" not in sys.modules:
        if importlib.util.find_spec("torch") is None:
            return False
        if not (os.path.exists("/proc/driver/nvidia/version") or os.path.exists("/dev/nvidiactl")):
            return False
    import torch

    return bool(torch.cuda.is_available())


def resolve_device(device: Any = "auto") -> Any:
    """The device of the kernels: ``None`` for NumPy, else a ``torch.device``.

    ``"auto"`` is CUDA when torch sees a CUDA device, else NumPy; ``"numpy"`` is NumPy;
    ``"cpu"``, ``"cuda"``, ``"cuda:1"`` or a ``torch.device`` are torch on that device."""
    if isinstance(device, str):
        name = device.strip().lower()
        if name == "numpy":
            return None
        if name == "auto":
            if not _cuda_present():
                return None
            name = "cuda"
        device = name
    elif device is None:
        return None
    try:
        import torch
    except ImportError as err:
        raise ValueError(f"device={device!r} needs torch, which is not installed; use "
                         f"device='numpy' (or 'auto').") from err
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise ValueError(f"device must be 'auto', 'numpy', 'cpu', 'cuda' or a torch.device; "
                         f"got {device!r}.") from err
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} but torch sees no CUDA device; use device='auto' "
                         f"(CUDA when present, else NumPy) or 'numpy'.")
    return dev


@dataclass
class PatternSearch:
    r"""The result of :func:`search_patterns`: the violating directions, best first.

    ``gates`` (p, k) unit directions :math:`u`, ``signs`` (k,) :math:`\sigma`, ``values`` (k,)
    :math:`\sigma\lambda^\top(Mu)_+` (computed in NumPy from the returned gates), ``patterns``
    (n, k) :math:`\mathbb 1[Mu\ge0]`, distinct; ``found`` is the number of distinct violating
    patterns before truncation to ``top``; ``best`` the largest value seen (violating or not,
    a lower bound on the full program's dual constraint :math:`\max_{\|u\|\le1}
    |\lambda^\top(Mu)_+|`); ``starts``, ``steps`` (ascent steps run), ``device``, ``time``."""

    gates: np.ndarray
    signs: np.ndarray
    values: np.ndarray
    patterns: np.ndarray
    found: int
    best: float
    starts: int
    steps: int
    device: str
    time: float

    @property
    def count(self) -> int:
        """The number of directions returned (at most ``top``)."""
        return int(self.values.size)


def _check_inputs(M: ArrayLike, lam: ArrayLike, beta: float, starts: ArrayLike, steps: int,
                  top: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    M = np.asarray(M, dtype=float)
    lam = np.asarray(lam, dtype=float)
    if M.ndim != 2:
        raise ValueError(f"M must be a 2-D array (n, p); got shape {M.shape}.")
    n, p = M.shape
    if lam.shape != (n,):
        raise ValueError(f"lam must be a vector of the {n} rows of M; got shape {lam.shape}.")
    if not (np.all(np.isfinite(M)) and np.all(np.isfinite(lam))):
        raise ValueError("M and lam must be finite (no NaN or inf).")
    if not (isinstance(beta, (int, float, np.number)) and np.isfinite(beta) and beta > 0):
        raise ValueError(f"beta must be a finite number > 0; got {beta!r}.")
    S = np.asarray(starts, dtype=float)
    if S.ndim == 1:
        S = S[:, None]
    if S.ndim != 2 or S.shape[0] != p:
        raise ValueError(f"starts must be an array (p, m) of directions with p = {p} rows (the "
                         f"columns of M); got shape {np.shape(starts)}.")
    if not np.all(np.isfinite(S)):
        raise ValueError("starts must be finite (no NaN or inf).")
    if not (isinstance(steps, (int, np.integer)) and steps >= 0):
        raise ValueError(f"steps must be an integer >= 0; got {steps!r}.")
    if top is not None and not (isinstance(top, (int, np.integer)) and top >= 1):
        raise ValueError(f"top must be None or an integer >= 1; got {top!r}.")
    return M, lam, S


def _ascent_numpy(M, lam, U, s, steps):
    r"""Best point of each trajectory :math:`u\leftarrow\mathrm{normalize}(\sigma M^\top
    (\mathbb 1[Mu\ge0]\odot\lambda))` (columns of U, signs s), its value, and the number of
    steps run.

    Per step: :math:`Z^\top=U^\top M^\top`, :math:`H^\top=\mathbb 1[Z^\top\ge0]` (as floats),
    :math:`G=(M\odot\lambda)^\top H`, whose column j is :math:`M^\top(D_j\lambda)`, so the value
    of column j is :math:`\sigma_j u_j^\top G_j=\sigma_j\lambda^\top(Mu_j)_+`; transposed, in
    buffers whose leading rows stay contiguous as trajectories stop. A trajectory stops when its
    next point equals the current one (to 1e-14: its pattern repeated, a fixed point)."""
    MT = M.T.copy()
    Ml = (M * lam[:, None]).T.copy()
    best_v = np.full(U.shape[1], -np.inf)
    best_u = U.copy()
    live = np.arange(U.shape[1])
    Zb, Hb = np.empty((U.shape[1], M.shape[0])), np.empty((U.shape[1], M.shape[0]))
    ran = 0
    for t in range(steps + 1):
        k = U.shape[1]
        Z = np.matmul(U.T, MT, out=Zb[:k])
        H = np.greater_equal(Z, 0.0, out=Hb[:k])               # floats: no bool -> float pass
        G = (Ml @ H.T) * s
        v = np.einsum("ij,ij->j", U, G)
        better = v > best_v[live]
        best_v[live[better]] = v[better]
        best_u[:, live[better]] = U[:, better]
        if t == steps:
            break
        nrm = np.linalg.norm(G, axis=0)
        Un = np.where(nrm > 0, G / np.where(nrm > 0, nrm, 1.0), U)
        moving = np.max(np.abs(Un - U), axis=0) > 1e-14
        ran = t + 1
        if not moving.all():
            live, Un, s = live[moving], Un[:, moving], s[moving]
            if not live.size:
                break
        U = Un
    return best_u, best_v, ran


def _ascent_torch(M, lam, U, s, steps, dev):
    """:func:`_ascent_numpy` in torch (float64) on ``dev``; NumPy results."""
    import torch

    def f64(a):
        return torch.as_tensor(a, dtype=torch.float64, device=dev)

    MT = f64(M.T.copy())
    Ml = f64((M * lam[:, None]).T.copy())
    U, s = f64(U), f64(s)
    Zb = torch.empty((U.shape[1], M.shape[0]), dtype=torch.float64, device=dev)
    Hb = torch.empty_like(Zb)
    best_v = torch.full((U.shape[1],), -torch.inf, dtype=torch.float64, device=dev)
    best_u = U.clone()
    live = torch.arange(U.shape[1], device=dev)
    ran = 0
    for t in range(steps + 1):
        k = U.shape[1]
        Z = torch.matmul(U.T, MT, out=Zb[:k])
        H = torch.ge(Z, 0.0, out=Hb[:k])
        G = (Ml @ H.T) * s
        v = (U * G).sum(dim=0)
        better = v > best_v[live]
        idx = live[better]
        best_v[idx] = v[better]
        best_u[:, idx] = U[:, better]
        if t == steps:
            break
        nrm = torch.linalg.vector_norm(G, dim=0)
        Un = torch.where(nrm > 0, G / torch.where(nrm > 0, nrm, torch.ones_like(nrm)), U)
        moving = (Un - U).abs().amax(dim=0) > 1e-14
        ran = t + 1
        if not bool(moving.all()):
            live, Un, s = live[moving], Un[:, moving], s[moving]
            if not live.numel():
                break
        U = Un
    return best_u.cpu().numpy(), best_v.cpu().numpy(), ran


def search_patterns(M: ArrayLike, lam: ArrayLike, beta: float, starts: ArrayLike, *,
                    steps: int = 20, top: int | None = None, random: int = 0,
                    known: ArrayLike | None = None, device: Any = "auto", seed: int = 0,
                    slack: float = SLACK_TOL) -> PatternSearch:
    r"""Directions :math:`u` (unit) and signs :math:`\sigma` with
    :math:`\sigma\lambda^\top(Mu)_+>\beta(1+\text{slack})`: activation patterns
    :math:`\mathbb 1[Mu\ge0]` that violate the dual constraint of the full two-layer ReLU
    program at the dual point ``lam`` (see the module's docstring for why the value proves it).

    From each start (a column of ``starts``, normalized) and each sign, local ascent on
    :math:`f(u)=\sigma\lambda^\top(Mu)_+`: :math:`u\leftarrow\mathrm{normalize}(\sigma M^\top
    (D\odot\lambda))`, :math:`D=\mathbb 1[Mu\ge0]`, the gradient of f at u (on u's cell f is
    linear, :math:`f(v)=g^\top v`, and :math:`g/\|g\|` maximizes it over the ball; the
    step leaves the cell when that maximizer lies outside it). All starts move together, one
    matrix product per step; a trajectory stops when its pattern repeats (a fixed point), and
    its best point is kept (f need not increase along it).

    Parameters
    ----------
    M : array-like of shape (n, p)
        The base matrix: :math:`[X\ \mathbf 1]` for ``bias="regularized"``, :math:`X` for
        ``"none"`` (for the free bias, :math:`X-\mathbf 1x_k^\top` for an anchor k).
    lam : array-like of shape (n,)
        The dual point, e.g. the residual :math:`y-\hat y` of a restricted solve.
    beta : float
        The weight decay, > 0.
    starts : array-like of shape (p, m)
        Start directions (e.g. the active neurons, the top-scored gates); any nonzero scale.
    steps : int
        Ascent steps per start (0: only the starts themselves are scored).
    top : int or None
        At most this many directions are returned (the best); None: all.
    random : int
        Extra Gaussian starts drawn with ``seed``.
    known : array-like of shape (n, P), optional
        Patterns already in the program (booleans): they are not returned (nor counted in
        ``found``).
    device : "auto", "numpy", "cpu", "cuda" or torch.device
        Where the ascent runs (:func:`resolve_device`); float64 everywhere. The values and
        patterns returned are recomputed in NumPy from the returned gates.
    slack : float
        Relative margin: a value counts as violating above ``beta * (1 + slack)``.

    Returns
    -------
    PatternSearch
        Distinct violating patterns, best first, with their gates, signs, values, and ``found``.
    """
    t0 = time.perf_counter()
    Ma, la, S = _check_inputs(M, lam, beta, starts, steps, top)
    n, p = Ma.shape
    if random:
        if not (isinstance(random, (int, np.integer)) and random >= 0):
            raise ValueError(f"random must be an integer >= 0; got {random!r}.")
        S = np.hstack([S, np.random.default_rng(seed).standard_normal((p, int(random)))])
    nrm = np.linalg.norm(S, axis=0)
    S = S[:, nrm > 0] / nrm[nrm > 0]
    m = S.shape[1]
    if m == 0:
        raise ValueError("search_patterns needs at least one nonzero start direction: pass starts "
                         "(p, m) with a nonzero column, or random=k for k Gaussian starts.")
    if known is not None:
        K = np.asarray(known, dtype=bool)
        if K.ndim != 2 or K.shape[0] != n:
            raise ValueError(f"known must be a boolean array (n, P) of patterns with n = {n} rows; "
                             f"got shape {np.shape(known)}.")
    dev = resolve_device(device)
    U = np.hstack([S, S])
    s = np.r_[np.ones(m), -np.ones(m)]
    chunk = _chunk(n, dev)
    best_u = np.empty_like(U)
    ran = 0
    for a in range(0, 2 * m, chunk):
        b = min(a + chunk, 2 * m)
        if dev is None:
            bu, _, r = _ascent_numpy(Ma, la, U[:, a:b], s[a:b], steps)
        else:
            bu, _, r = _ascent_torch(Ma, la, U[:, a:b], s[a:b], steps, dev)
        best_u[:, a:b] = bu
        ran = max(ran, r)
    # the answer in NumPy: unit gates, their patterns and exact values
    nb = np.linalg.norm(best_u, axis=0)
    best_u = best_u / np.where(nb > 0, nb, 1.0)
    Z = Ma @ best_u
    vals = s * (la @ np.maximum(Z, 0.0))
    best = float(vals.max())
    ok = np.flatnonzero(vals > beta * (1 + slack))
    ok = ok[np.argsort(-vals[ok], kind="stable")]
    D = Z[:, ok] >= 0
    packed = np.packbits(D, axis=0).T
    _, first = np.unique(packed, axis=0, return_index=True)
    keep = np.sort(first)                           # the best of each pattern, best first
    if known is not None and keep.size:
        seen = {row.tobytes() for row in np.packbits(K, axis=0).T}
        keep = np.array([i for i in keep if packed[i].tobytes() not in seen], dtype=int)
    found = int(keep.size)
    keep = keep[:top] if top is not None else keep
    sel = ok[keep]
    return PatternSearch(gates=best_u[:, sel], signs=s[sel], values=vals[sel], patterns=D[:, keep],
                         found=found, best=best, starts=m, steps=ran,
                         device="numpy" if dev is None else str(dev),
                         time=time.perf_counter() - t0)


def block_grads(blocks: Blocks, lam: ArrayLike, device: Any = "auto") -> np.ndarray:
    r""":math:`g_j=M_j^\top D_j\lambda=M^\top(D_j\odot\lambda)-a_j\,\mathbf 1^\top
    (D_j\odot\lambda)` of every block
    (:meth:`~dualkit.solvers.relu_program.Blocks.grads`), as a NumPy array (p, P): the large
    matrix product of a scan of the two-layer ReLU program. On a torch ``device``
    (:func:`resolve_device`) the patterns travel in column chunks, as booleans."""
    la = np.asarray(lam, dtype=float)
    n = blocks.M.shape[0]
    if la.shape != (n,):
        raise ValueError(f"lam must be a vector of the {n} rows of blocks.M; got shape {la.shape}.")
    dev = resolve_device(device)
    if dev is None:
        return blocks.grads(la)
    import torch

    Mt = torch.as_tensor(blocks.M, dtype=torch.float64, device=dev)
    lt = torch.as_tensor(la, dtype=torch.float64, device=dev)[:, None]
    out = np.empty((blocks.M.shape[1], blocks.size))
    chunk = _chunk(n, dev)
    for a in range(0, blocks.size, chunk):
        b = min(a + chunk, blocks.size)
        Dl = torch.as_tensor(np.ascontiguousarray(blocks.D[:, a:b]), device=dev) * lt
        G = Mt.T @ Dl
        anc = blocks.anchors[a:b]
        if np.any(anc >= 0):
            At = torch.as_tensor(blocks.anchor_rows(np.arange(a, b)), dtype=torch.float64, device=dev)
            G = G - At.T * Dl.sum(dim=0)[None, :]
        out[:, a:b] = G.cpu().numpy()
    return out


def block_scores(blocks: Blocks, lam: ArrayLike, device: Any = "auto") -> np.ndarray:
    r"""The scores :math:`\|M_j^\top D_j\lambda\|_2` of every block (an upper bound on its dual
    constraint :math:`\|\Pi_{K_j}(\pm g_j)\|`), the column norms of :func:`block_grads`, as a
    NumPy array (P,)."""
    return np.linalg.norm(block_grads(blocks, lam, device), axis=0)
