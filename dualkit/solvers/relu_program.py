r"""The two-layer ReLU convex program (MATH.md §7): activation patterns, the exact dual
constraint, and a working-set solver of the cone-constrained group lasso.

A *block* is a pair (matrix :math:`M_j`, pattern :math:`D_j`): it stands for the neurons
:math:`u` with :math:`\mathbb 1[M_ju\ge0]=D_j`, i.e. the closed polyhedral cone
:math:`K_j=\{u:(2D_j-1)\odot M_ju\ge0\}`, on which :math:`(M_ju)_+=D_j\odot M_ju` is linear.
All blocks share :math:`M_j=M-\mathbf 1a_j^\top` for one base matrix :math:`M` and an *anchor*
:math:`a_j` (zero for the regularized-bias program, a data point :math:`x_k` for the free-bias
one, whose neurons' hyperplanes pass through :math:`x_k`). The program is

.. math:: \min_{u_j\in K_j,\,b_0}\ \tfrac12\Big\|\sum_j\sigma_jD_j\odot M_ju_j+b_0\mathbf 1-y\Big\|^2
          +\beta\sum_j\|u_j\|_2,

:math:`\sigma_j=\pm1`, and its dual constraint for a block is
:math:`\max_{u\in K_j,\|u\|\le1}\sigma_j\lambda^\top D_jM_ju=\|\Pi_{K_j}(g_j)\|\le\beta`,
:math:`g_j=\sigma_jM_j^\top D_j\lambda` (the support function of a cone intersected with the
ball is the norm of the projection on the cone; by Moreau's decomposition it is the residual
of the non-negative least-squares problem :math:`\min_{\mu\ge0}\|g_j+A_j^\top\mu\|`,
:math:`A_j=(2D_j-1)\odot M_j`, which :func:`scipy.optimize.nnls` solves exactly).

Introduced in :ref:`ch-two-layer-relu`.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.optimize import nnls

__all__ = ["Blocks", "enumerate_patterns", "sample_patterns", "pattern_count", "cone_support",
           "dual_constraint", "cone_group_lasso", "ConeLassoFit"]

#: relative threshold below which a singular value (or a row) counts as zero
RANK_TOL = 1e-10


def pattern_count(n: int, r: int) -> int:
    r"""Number of activation patterns of n points in general position whose matrix has rank r:
    :math:`2\sum_{k=0}^{r-1}\binom{n-1}{k}` (MATH.md §7.1)."""
    return 2 * sum(math.comb(n - 1, k) for k in range(r))


def _row_space(M: np.ndarray):
    """Coordinates of the rows of M in an orthonormal basis of its row space, and the rank."""
    if M.size == 0 or not np.any(M):
        return np.zeros((M.shape[0], 0)), 0
    _, s, Vt = np.linalg.svd(M, full_matrices=False)
    r = int(np.sum(s > RANK_TOL * s[0]))
    return M @ Vt[:r].T, r


def _enumeration_size(n_rows: int, r: int) -> int:
    return math.comb(max(n_rows, 0), max(r - 1, 0)) * 2 ** r


def enumerate_patterns(M, max_candidates: int = 4_000_000) -> np.ndarray:
    r"""Every activation pattern :math:`\mathbb 1[Mu\ge0]` of the rows of ``M`` (n, d), as the
    columns of a boolean array (n, P).

    Each cell of the central arrangement :math:`\{u: m_i^\top u=0\}` (in the row space, of
    dimension r) is a pointed cone with an extreme ray on which r - 1 independent rows vanish;
    the cells around that ray take every sign on the rows that vanish there. So the patterns are
    found by visiting every ray spanned by r - 1 rows, :math:`\binom{n}{r-1}` of them. On
    degenerate data (more rows vanish on a ray) a superset of the cells is returned, which is
    harmless: every returned pattern's closed cone lies inside its cell's closure or is a face.

    Raises ``ValueError`` when more than ``max_candidates`` candidate patterns would be visited
    (use :func:`sample_patterns` then).
    """
    M = np.asarray(M, dtype=float)
    n = M.shape[0]
    Z, r = _row_space(M)
    norms = np.linalg.norm(Z, axis=1) if r else np.zeros(n)
    live = norms > RANK_TOL * (norms.max() if r else 1.0)
    if r == 0:
        return np.ones((n, 1), dtype=bool)
    size = _enumeration_size(int(live.sum()), r)
    if size > max_candidates:
        raise ValueError(
            f"exact enumeration of the activation patterns would visit {size:,} candidates "
            f"(n={int(live.sum())} rows of rank {r}); use sampled patterns instead.")
    Zn = np.zeros_like(Z)
    Zn[live] = Z[live] / norms[live, None]
    rows = np.flatnonzero(live)
    tol = 1e-9
    found = []
    if r == 1:
        s = Zn[:, 0]
        for sign in (1.0, -1.0):
            found.append((sign * s > tol) | ~live)
        return _unique_columns(np.array(found).T)
    combos = np.array(list(itertools.product([False, True], repeat=r - 1)), dtype=bool)
    for chunk in _chunks(itertools.combinations(rows, r - 1), 20000):
        S = np.array(chunk)                                   # (c, r-1) row indices
        sub = Zn[S]                                           # (c, r-1, r)
        _, sv, Vt = np.linalg.svd(sub)
        ok = sv[:, -1] > 1e-8                                  # independent rows only
        S, w = S[ok], Vt[ok, -1, :]                           # the ray's direction
        vals = Zn @ w.T                                       # (n, c)
        for sign in (1.0, -1.0):
            v = sign * vals
            zero = np.abs(v) <= tol
            base = (v > tol) | ~live[:, None]
            generic = zero.sum(axis=0) == r - 1
            # generic rays: every sign on the r - 1 rows of the subset
            if generic.any():
                Sg, bg = S[generic], base[:, generic]
                for c in combos:
                    P = bg.copy()
                    P[Sg, np.arange(len(Sg))[:, None]] = c[None, :]
                    found.append(P)
            # degenerate rays (more rows vanish): every sign on all of them
            for j in np.flatnonzero(~generic):
                zrows = np.flatnonzero(zero[:, j])
                if zrows.size > 16:
                    raise ValueError(f"{zrows.size} hyperplanes meet on one ray: the data are too "
                                     "degenerate for exact enumeration; use sampled patterns.")
                for c in itertools.product([False, True], repeat=zrows.size):
                    P = base[:, j].copy()
                    P[zrows] = c
                    found.append(P[:, None])
    return _unique_columns(np.concatenate(found, axis=1)) if found else np.ones((n, 1), bool)


def _chunks(iterable, size):
    it = iter(iterable)
    while True:
        chunk = list(itertools.islice(it, size))
        if not chunk:
            return
        yield chunk


def _unique_columns(P: np.ndarray) -> np.ndarray:
    """Unique boolean columns, in a deterministic (lexicographic) order."""
    packed = np.packbits(P, axis=0)
    _, idx = np.unique(packed.T, axis=0, return_index=True)
    return P[:, np.sort(idx)]


def sample_patterns(M, n_samples: int, seed: int = 0):
    r"""Patterns :math:`\mathbb 1[Mg\ge0]` of ``n_samples`` Gaussian directions :math:`g`
    (MATH.md §7.2); returns ``(patterns (n, P), gates (d, P))``, unique columns only."""
    M = np.asarray(M, dtype=float)
    rng = np.random.default_rng(seed)
    G = rng.standard_normal((M.shape[1], int(n_samples)))
    P = (M @ G) >= 0
    packed = np.packbits(P, axis=0)
    _, idx = np.unique(packed.T, axis=0, return_index=True)
    idx = np.sort(idx)
    return P[:, idx], G[:, idx]


@dataclass
class Blocks:
    r"""A list of blocks sharing the base matrix ``M`` (n, p): block j is pattern
    ``D[:, j]`` with anchor ``anchors[j]`` (a row index of ``M``, or -1 for none), so that
    :math:`M_j=M-\mathbf 1M_{k_j}^\top`. Both signs :math:`\sigma=\pm1` of every pattern are
    used by the program."""

    M: np.ndarray
    D: np.ndarray
    anchors: np.ndarray

    @property
    def size(self) -> int:
        return self.D.shape[1]

    def anchor_rows(self, idx=None) -> np.ndarray:
        """(k, p) anchor vectors :math:`a_j` (zeros where there is no anchor)."""
        anc = self.anchors if idx is None else self.anchors[idx]
        A = np.zeros((anc.size, self.M.shape[1]))
        has = anc >= 0
        A[has] = self.M[anc[has]]
        return A

    def matrix(self, j: int) -> np.ndarray:
        k = self.anchors[j]
        return self.M if k < 0 else self.M - self.M[k]

    def grads(self, lam: np.ndarray) -> np.ndarray:
        r""":math:`M_j^\top D_j\lambda` for every block, shape (p, P)."""
        Dl = self.D * lam[:, None]
        return self.M.T @ Dl - self.anchor_rows().T * Dl.sum(axis=0)[None, :]

    def cone_matrix(self, j: int) -> np.ndarray:
        """:math:`(2D_j-1)\\odot M_j` without its zero rows (the anchor's own row)."""
        Mj = self.matrix(j)
        keep = np.any(Mj != 0, axis=1)
        return (np.where(self.D[:, j], 1.0, -1.0)[:, None] * Mj)[keep]

    def take(self, idx) -> Blocks:
        return Blocks(self.M, self.D[:, idx], self.anchors[idx])


def cone_support(A: np.ndarray, g: np.ndarray) -> float:
    r""":math:`\max\{g^\top u: Au\ge0,\ \|u\|_2\le1\}=\|\Pi_K(g)\|=\min_{\mu\ge0}\|g+A^\top\mu\|`."""
    if A.shape[0] == 0:
        return float(np.linalg.norm(g))
    try:
        _, rnorm = nnls(A.T, -g, maxiter=50 * A.shape[0])
    except RuntimeError:  # pragma: no cover - NNLS did not finish: fall back to the bound
        return float(np.linalg.norm(g))
    return float(rnorm)


def dual_constraint(blocks: Blocks, lam: np.ndarray, above: float = 0.0, limit: int | None = None):
    r"""The dual constraint value :math:`\max_j\max_{u\in K_j,\|u\|\le1}|\lambda^\top D_jM_ju|`
    over the blocks (both signs), and the per-block values that were computed.

    Blocks are visited in decreasing order of the bound :math:`\|g_j\|`; the scan stops once the
    bound falls to the running maximum, or to ``above`` (then only blocks that may exceed it
    are computed: the returned maximum is exact whenever it exceeds ``above``, else it is at
    most ``above``). Returns ``(value, viol)`` where ``viol`` is a list of
    ``(support, j, sign)`` with support > ``above``, and ``limit`` stops after that many.
    With ``above > 0`` a returned value below ``above`` only says that the maximum is at most
    ``above``.
    """
    G = blocks.grads(lam)
    ub = np.linalg.norm(G, axis=0)
    best = 0.0
    viol = []
    for j in np.argsort(-ub, kind="stable"):
        if ub[j] <= max(best if limit is None else 0.0, above):
            break
        A = blocks.cone_matrix(j)
        for sign in (1.0, -1.0):
            v = cone_support(A, sign * G[:, j])
            best = max(best, v)
            if v > above:
                viol.append((v, int(j), sign))
        if limit is not None and len(viol) >= limit:
            break
    return best, viol


@dataclass
class ConeLassoFit:
    """Solution of the cone-constrained group lasso on a working set of blocks."""

    U: np.ndarray            # (p, k) block vectors u_j
    idx: np.ndarray          # block indices
    signs: np.ndarray        # sigma_j
    b0: float
    pred: np.ndarray
    info: dict = field(default_factory=dict)


def _restricted_socp(blocks: Blocks, idx, signs, y, beta, free_b0, tol):
    """Solve the program on the working set by Clarabel (SOCP: residual e, norms t, u)."""
    import clarabel

    n, p = blocks.M.shape
    k = len(idx)
    sub = blocks.take(np.asarray(idx, dtype=int))
    F_cols, cone_blocks, sizes = [], [], []
    for j in range(k):
        Mj = sub.matrix(j)
        F_cols.append(signs[j] * (sub.D[:, j][:, None] * Mj))
        A = sub.cone_matrix(j)
        cone_blocks.append(sp.csr_matrix(A))
        sizes.append(A.shape[0])
    nb = 1 if free_b0 else 0
    nu, nt = k * p, k
    nx = nu + nt + n + nb
    F = np.hstack(F_cols) if k else np.zeros((n, 0))
    # zero cone: -F u + e - b0 = -y
    rows = [sp.hstack([sp.csr_matrix(-F), sp.csr_matrix((n, nt)), sp.eye(n),
                       sp.csr_matrix(-np.ones((n, nb)))])]
    b = [-y]
    cones = [clarabel.ZeroConeT(n)]
    # non-negative cone: A_j u_j >= 0
    if k:
        Acone = sp.block_diag(cone_blocks)
        rows.append(sp.hstack([-Acone, sp.csr_matrix((Acone.shape[0], nt + n + nb))]))
        b.append(np.zeros(Acone.shape[0]))
        cones.append(clarabel.NonnegativeConeT(Acone.shape[0]))
    # second-order cones (t_j, u_j)
    for j in range(k):
        S = sp.lil_matrix((p + 1, nx))
        S[0, nu + j] = -1.0
        for i in range(p):
            S[1 + i, j * p + i] = -1.0
        rows.append(S.tocsr())
        b.append(np.zeros(p + 1))
        cones.append(clarabel.SecondOrderConeT(p + 1))
    A = sp.vstack(rows).tocsc()
    q = np.zeros(nx)
    q[nu:nu + nt] = beta
    Pm = sp.diags(np.r_[np.zeros(nu + nt), np.ones(n), np.zeros(nb)]).tocsc()
    st = clarabel.DefaultSettings()
    st.verbose = False
    st.tol_gap_abs = st.tol_gap_rel = st.tol_feas = tol
    st.max_iter = 200
    solver = clarabel.DefaultSolver(Pm, q, A, np.concatenate(b), cones, st)
    res = solver.solve()
    status = str(res.status)
    x = np.asarray(res.x)
    if "Solved" not in status:
        raise RuntimeError(f"Clarabel ended the restricted ReLU program with status {status} "
                           f"({k} blocks); try method='cvxpy' or rescale X and y.")
    U = x[:nu].reshape(k, p).T if k else np.zeros((p, 0))
    b0 = float(x[-1]) if free_b0 else 0.0
    return U, b0, status, int(res.iterations)


def _predict(blocks: Blocks, idx, signs, U, b0):
    sub = blocks.take(np.asarray(idx, dtype=int))
    Z = blocks.M @ U - (sub.anchor_rows() * U.T).sum(axis=1)[None, :]
    return (sub.D * Z) @ signs + b0


def cone_group_lasso(blocks: Blocks, y, beta: float, free_b0: bool = False, tol: float = 1e-9,
                     batch: int | None = None, max_rounds: int = 100) -> ConeLassoFit:
    r"""Global solution of the cone-constrained group lasso over ``blocks`` (both signs of each
    pattern) by a working set: solve the program on a few blocks (Clarabel, an interior-point
    SOCP solver, to ``tol``), compute the dual constraint of every other block at the residual
    :math:`\lambda=y-\hat y` (exactly, by NNLS, in decreasing order of the bound
    :math:`\|g_j\|`), add the most violated ones, repeat. It stops when no block violates
    :math:`\|\Pi_{K_j}(g_j)\|\le\beta(1+10^{-7})`: then :math:`\lambda` is dual feasible for the
    whole program and the working-set optimum is the optimum. Only the active blocks
    (at most n + 1 at an extreme optimum) ever enter the SOCP.
    """
    y = np.asarray(y, dtype=float)
    n = y.size
    t0 = time.perf_counter()
    batch = batch or max(8, min(64, n // 4))
    ws: list[tuple[int, float]] = []
    in_ws: set = set()
    lam = y - y.mean() if free_b0 else y.copy()
    U = np.zeros((blocks.M.shape[1], 0))
    b0 = float(y.mean()) if free_b0 else 0.0
    rounds, status, iters = 0, "no blocks needed", 0
    slack = 1e-7
    for rounds in range(1, max_rounds + 1):
        _, viol = dual_constraint(blocks, lam, above=beta * (1 + slack), limit=4 * batch)
        new = [(j, s) for v, j, s in sorted(viol, reverse=True) if (j, s) not in in_ws][:batch]
        if not new:
            break
        # drop blocks that are zero (keeps the SOCP small), keep the rest
        if U.shape[1]:
            keep = np.linalg.norm(U, axis=0) > 1e-9 * max(np.linalg.norm(U, axis=0).max(), 1e-300)
            ws = [w for w, kp in zip(ws, keep, strict=True) if kp]
            U = U[:, keep]
        ws += new
        in_ws = set(ws)
        idx = np.array([j for j, _ in ws])
        signs = np.array([s for _, s in ws])
        U, b0, status, it = _restricted_socp(blocks, idx, signs, y, beta, free_b0, tol)
        iters += it
        lam = y - _predict(blocks, idx, signs, U, b0)
    else:
        raise RuntimeError(f"the working-set solver did not converge in {max_rounds} rounds "
                           f"({len(ws)} blocks); increase max_rounds or use method='cvxpy'.")
    idx = np.array([j for j, _ in ws], dtype=int)
    signs = np.array([s for _, s in ws], dtype=float)
    pred = _predict(blocks, idx, signs, U, b0) if ws else np.full(n, b0)
    info = {"rounds": rounds, "working_set": len(ws), "socp_iterations": iters,
            "status": status, "time": time.perf_counter() - t0}
    return ConeLassoFit(U, idx, signs, b0, pred, info)
