r"""The two-layer ReLU convex program (:ref:`app-relu-program`): activation patterns, the exact dual
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
:math:`A_j=(2D_j-1)\odot M_j`, which ``scipy.optimize.nnls`` solves exactly).

Introduced in :ref:`ch-two-layer-relu`.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.linalg import cho_factor, cho_solve
from scipy.optimize import nnls

__all__ = ["Blocks", "enumerate_patterns", "sample_patterns", "pattern_count", "cone_support",
           "dual_constraint", "cone_group_lasso", "nonneg_lasso", "ConeLassoFit"]

#: relative threshold below which a singular value (or a row) counts as zero
RANK_TOL = 1e-10


def pattern_count(n: int, r: int) -> int:
    r"""Number of activation patterns of n points in general position whose matrix has rank r:
    :math:`2\sum_{k=0}^{r-1}\binom{n-1}{k}` (:ref:`app-relu-program`)."""
    return 2 * sum(math.comb(n - 1, k) for k in range(r))


def _row_space(M: np.ndarray):
    """Coordinates of the rows of M in an orthonormal basis of its row space, and the rank."""
    if M.size == 0 or not np.any(M):
        return np.zeros((M.shape[0], 0)), 0
    a = float(np.max(np.abs(M)))        # the rank does not change with scale: no overflow
    _, s, Vt = np.linalg.svd(M / a, full_matrices=False)
    r = int(np.sum(s > RANK_TOL * s[0]))
    return M @ Vt[:r].T, r


def _enumeration_size(n_rows: int, r: int) -> int:
    return math.comb(max(n_rows, 0), max(r - 1, 0)) * 2 ** r


def enumerate_patterns(M, max_candidates: int = 4_000_000, return_reps: bool = False):
    r"""Every activation pattern :math:`\mathbb 1[Mu\ge0]` of the rows of ``M`` (n, d), as the
    columns of a boolean array (n, P); with ``return_reps`` also a direction strictly inside
    each cell (d, P), :math:`\mathbb 1[M\,\text{rep}\ge0]` being the pattern.

    Each cell of the central arrangement :math:`\{u: m_i^\top u=0\}` (in the row space, of
    dimension r) is a pointed cone with an extreme ray on which r - 1 independent rows vanish;
    the cells around that ray take every sign on the rows that vanish there. So the patterns are
    found by visiting every ray spanned by r - 1 rows, :math:`\binom{n}{r-1}` of them, and
    stepping off it: :math:`w+\varepsilon v` with :math:`m_i^\top v=\pm1` on those rows. On
    degenerate data (more rows vanish on a ray) the cells around the ray are the cells of the
    vanishing rows' own arrangement, found by the same method one dimension lower.

    Raises ``ValueError`` when more than ``max_candidates`` candidate patterns would be visited
    (use :func:`sample_patterns` then).
    """
    M0 = np.asarray(M, dtype=float)
    n = M0.shape[0]
    amax = float(np.max(np.abs(M0), initial=0.0))
    if amax > 0:                        # patterns do not change under positive scaling
        M0 = M0 / amax
    # patterns do not change under M -> M S (S invertible): equal column scales keep the rank
    # decision of the SVD meaningful when columns differ by orders of magnitude
    cn = np.linalg.norm(M0, axis=0)
    colscale = np.where(cn > 0, 1.0 / np.where(cn > 0, cn, 1.0), 1.0)
    M = M0 * colscale
    Z, r = _row_space(M)
    if r == 0:
        D = np.ones((n, 1), dtype=bool)
        return (D, np.zeros((M.shape[1], 1))) if return_reps else D
    _, _, Vt = np.linalg.svd(M, full_matrices=False)
    Q = Vt[:r].T                                            # row space basis: u = Q z
    norms = np.linalg.norm(Z, axis=1)
    live = norms > RANK_TOL * norms.max()
    size = _enumeration_size(int(live.sum()), r)
    if size > max_candidates:
        raise ValueError(
            f"exact enumeration of the activation patterns would visit {size:,} candidates "
            f"(n={int(live.sum())} rows of rank {r}); use sampled patterns instead.")
    Zn = np.zeros_like(Z)
    Zn[live] = Z[live] / norms[live, None]
    # repeated rows (and rows that are positive multiples of each other) are one hyperplane
    _, first = np.unique(np.round(Zn, 12), axis=0, return_index=True)
    keep = np.zeros(n, dtype=bool)
    keep[first] = True
    reps = _cell_reps(Zn[keep], live[keep], r)              # (r, many) in row-space coordinates
    D = ((Zn @ reps) > 0) | ~live[:, None]
    packed = np.packbits(D, axis=0)
    _, idx = np.unique(packed.T, axis=0, return_index=True)
    idx = np.sort(idx)
    D, reps = D[:, idx], colscale[:, None] * (Q @ reps[:, idx])
    return (D, reps) if return_reps else D


def _cell_reps(Zn: np.ndarray, live: np.ndarray, r: int) -> np.ndarray:
    """Directions strictly inside every cell of the arrangement of the unit rows Zn (in R^r)."""
    rows = np.flatnonzero(live)
    if r == 1:
        return np.array([[1.0, -1.0]])
    tol = 1e-13                         # rounding level: nearly meeting planes stay generic
    combos = np.array(list(itertools.product([-1.0, 1.0], repeat=r - 1)))   # (2^(r-1), r-1)
    out = []
    seen: set = set()                 # degenerate rays already visited (their vanishing rows)
    for chunk in _chunks(itertools.combinations(rows, r - 1), 20000):
        S = np.array(chunk)                                   # (c, r-1) row indices
        sub = Zn[S]                                           # (c, r-1, r)
        _, sv, Vt = np.linalg.svd(sub)
        ok = sv[:, -1] > 1e-8                                  # independent rows only
        S, sub, w = S[ok], sub[ok], Vt[ok, -1, :]             # the ray's direction
        if not len(S):
            continue
        pinv = np.linalg.pinv(sub)                            # (c, r, r-1)
        vals = Zn @ w.T                                       # (n, c)
        zero = (np.abs(vals) <= tol) & live[:, None]
        generic = zero.sum(axis=0) == r - 1
        for sign in (1.0, -1.0):
            wg = sign * w[generic]
            vg = vals[:, generic] * sign
            # generic rays: step off along v with sub v = every sign combination
            for c in combos:
                v = pinv[generic] @ c                          # (cg, r)
                vv = Zn @ v.T                                  # (n, cg)
                ratio = np.where(zero[:, generic] | ~live[:, None], np.inf,
                                 np.abs(vg) / np.maximum(np.abs(vv), 1e-300))
                eps = 0.5 * np.minimum(ratio.min(axis=0), 1.0)
                out.append((wg + eps[:, None] * v).T)
            # degenerate rays: the cells of the vanishing rows, one dimension lower
            for j in np.flatnonzero(~generic):
                zrows = np.flatnonzero(zero[:, j])
                if (sign, tuple(zrows)) in seen:    # both orientations were visited already
                    continue
                seen.add((sign, tuple(zrows)))
                wj = sign * w[j]
                Zz = Zn[zrows] - np.outer(Zn[zrows] @ wj, wj)
                _, sub_reps = enumerate_patterns(Zz, return_reps=True)
                for v in sub_reps.T:
                    vv = Zn @ v
                    others = live & ~np.isin(np.arange(Zn.shape[0]), zrows)
                    ratio = np.abs(Zn[others] @ wj) / np.maximum(np.abs(vv[others]), 1e-300)
                    eps = 0.5 * min(ratio.min(initial=np.inf), 1.0) / max(np.linalg.norm(v), 1e-300)
                    out.append((wj + eps * v)[:, None])
    return np.concatenate(out, axis=1) if out else np.eye(r)[:, :1]


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
    (:ref:`app-relu-sampling`); returns ``(patterns (n, P), gates (d, P))``, unique columns only. The
    directions for ``n_samples`` extend those for any smaller number (same seed), so the
    sampled programs are nested and their values decrease."""
    M = np.asarray(M, dtype=float)
    rng = np.random.default_rng(seed)
    G = rng.standard_normal((int(n_samples), M.shape[1])).T   # nested: more samples extend fewer
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
        """The number of blocks (patterns)."""
        return self.D.shape[1]

    def anchor_rows(self, idx=None) -> np.ndarray:
        """(k, p) anchor vectors :math:`a_j` (zeros where there is no anchor)."""
        anc = self.anchors if idx is None else self.anchors[idx]
        A = np.zeros((anc.size, self.M.shape[1]))
        has = anc >= 0
        A[has] = self.M[anc[has]]
        return A

    def matrix(self, j: int) -> np.ndarray:
        r"""The matrix :math:`M_j=M-\mathbf 1M_{k_j}^\top` of block ``j`` (``M`` without an
        anchor)."""
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
        """The blocks ``idx`` (an index array or slice), sharing ``M``."""
        return Blocks(self.M, self.D[:, idx], self.anchors[idx])


def cone_support(A: np.ndarray, g: np.ndarray, rows=None, tol: float = 1e-12,
                 below: float | None = None, extra_rows=None):
    r""":math:`\max\{g^\top u: Au\ge0,\ \|u\|_2\le1\}=\|\Pi_K(g)\|=\min_{\mu\ge0}\|g+A^\top\mu\|`,
    and the maximizing direction :math:`\Pi_K(g)` (unnormalized).

    Exact, by row generation: NNLS on a subset R of the rows (a larger cone, so an upper bound)
    gives :math:`p=g+A_R^\top\mu`; if :math:`Ap\ge0` (to ``tol``) then :math:`p\in K` and the
    bound is attained; else the most violated rows join R. ``rows`` is the starting subset
    (default: the rows closest to the boundary in the direction of g). With ``below``, it stops
    as soon as the upper bound is at most ``below`` (and returns that bound)."""
    n = A.shape[0]
    gn = float(np.linalg.norm(g))
    if n == 0 or gn == 0.0:
        return gn, g.copy()
    rn = np.linalg.norm(A, axis=1)
    rn[rn == 0] = 1.0
    if rows is None:
        slack = (A @ g) / rn
        k = min(n, 2 * A.shape[1])
        rows = np.argpartition(slack, k - 1)[:k] if k < n else np.arange(n)
    if extra_rows is not None:
        rows = np.r_[np.asarray(rows, dtype=int), np.asarray(extra_rows, dtype=int)]
    R = np.unique(np.asarray(rows, dtype=int))
    for _ in range(n + 1):
        AR = A[R]
        try:
            mu, rnorm = nnls(AR.T, -g, maxiter=50 * max(len(R), 10))
        except RuntimeError:  # pragma: no cover - NNLS did not finish: the bound is still valid
            return gn, g.copy()
        p = g + AR.T @ mu
        if below is not None and rnorm <= below:
            return float(rnorm), p
        pn = float(np.linalg.norm(p))
        slack = (A @ p) / rn
        bad = np.flatnonzero(slack < -tol * max(pn, 1e-300))
        if pn <= 1e3 * np.finfo(float).eps * gn:       # g lies in the polar cone
            return float(rnorm), np.zeros_like(p)
        if bad.size == 0:
            return float(rnorm), p
        worst = bad[np.argsort(slack[bad])[: A.shape[1]]]
        R = np.union1d(R, worst)
    return float(rnorm), p  # pragma: no cover


def dual_constraint(blocks: Blocks, lam: np.ndarray, above: float = 0.0, limit: int | None = None,
                    skip=frozenset()):
    r"""The dual constraint value :math:`\max_j\max_{u\in K_j,\|u\|\le1}|\lambda^\top D_jM_ju|`
    over the blocks (both signs), and the blocks that exceed ``above``.

    Blocks are visited in decreasing order of the bound :math:`\|g_j\|`; the scan stops once the
    bound falls to the running maximum, or to ``above`` (then only blocks that may exceed it
    are computed: the returned maximum is exact whenever it exceeds ``above``). Returns
    ``(value, viol)`` where ``viol`` lists ``(support, j, sign, direction)`` with support >
    ``above``; ``limit`` stops after that many; pairs ``(j, sign)`` in ``skip`` are not
    computed. With ``above > 0`` a returned value below ``above`` only says that the maximum
    is at most ``above``.
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
            if (int(j), sign) in skip:
                continue
            v, u = cone_support(A, sign * G[:, j], below=max(best if limit is None else 0.0, above))
            best = max(best, v)
            if v > above:
                viol.append((v, int(j), sign, u))
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
    blocks: Blocks | None = None     # the blocks idx refers to (grown by pattern generation)


#: Clarabel's KKT factorization: the supernodal 'faer' (dense kernels) suits the dense F'F block;
#: 'qdldl' when this Clarabel has no faer
KKT_METHOD = "faer"


def _restricted_socp(blocks: Blocks, idx, signs, rows, cones_A, y, beta, free_b0, tol):
    """Solve the program on the working set by Clarabel: variables (u_j, t_j, b0), objective
    |F u + b0 - y|^2 / 2 + beta sum t_j with the quadratic as the dense Gram matrix F'F (size
    k p; factored by Clarabel's supernodal 'faer' method, 4x faster than a residual variable
    e = F u - y with QDLDL at n = 1000, k p = 1176), (t_j, u_j) in second-order cones, and the
    rows ``rows[j]`` of each block's cone constraint. Returns ``U, b0, status, iterations``."""
    import clarabel

    p = blocks.M.shape[1]
    k = len(idx)
    Pm, q, A, n_rows = _socp_data(blocks, idx, signs, rows, cones_A, y, beta, free_b0)
    b = np.zeros(n_rows + k * (p + 1))
    cones = [clarabel.NonnegativeConeT(n_rows)]
    cones += [clarabel.SecondOrderConeT(p + 1)] * k
    st = clarabel.DefaultSettings()
    st.verbose = False
    st.tol_gap_abs = st.tol_gap_rel = st.tol_feas = tol
    st.max_iter = 200
    st.max_threads = 1          # the parallel KKT factorization is slower on these sizes
    st.direct_solve_method = KKT_METHOD
    try:
        solver = clarabel.DefaultSolver(Pm, q, A, b, cones, st)
    except Exception:  # pragma: no cover - a Clarabel build without faer
        st.direct_solve_method = "qdldl"
        solver = clarabel.DefaultSolver(Pm, q, A, b, cones, st)
    res = solver.solve()
    status = str(res.status)
    if "Solved" not in status:
        raise RuntimeError(f"Clarabel ended the restricted ReLU program with status {status} "
                           f"({k} blocks); try method='cvxpy' or rescale X and y.")
    x = np.asarray(res.x)
    U = x[:k * p].reshape(k, p).T
    b0 = float(x[-1]) if free_b0 else 0.0
    return U, b0, status, int(res.iterations)


def _socp_data(blocks: Blocks, idx, signs, rows, cones_A, y, beta, free_b0):
    r"""Clarabel's data :math:`(P, q, A)` of the restricted program in :math:`x=(u, t, b_0)`:
    :math:`\tfrac12x^\top Px+q^\top x` with :math:`P=F^\top F` on :math:`(u, b_0)` (upper
    triangle), :math:`q=-F^\top y` there and :math:`\beta` on :math:`t`, where the columns
    of :math:`F` are :math:`\sigma_jD_j\odot M_j` (and :math:`\mathbf 1` for a free
    :math:`b_0`); :math:`A` holds first :math:`-A_j[\text{rows}_j]` on each :math:`u_j` (the
    slack :math:`A_j[\text{rows}_j]u_j\ge0`, ``n_rows`` rows), then :math:`-I` on each
    :math:`(t_j, u_j)` (the slack in a second-order cone), with a zero right-hand side. Returns
    ``P, q, A, n_rows``."""
    n, p = blocks.M.shape
    k = len(idx)
    sub = blocks.take(np.asarray(idx, dtype=int))
    nb = 1 if free_b0 else 0
    nu, nt = k * p, k
    nx = nu + nt + nb
    F = np.empty((n, nu + nb))
    for j in range(k):
        F[:, j * p:(j + 1) * p] = signs[j] * (sub.D[:, j][:, None] * sub.matrix(j))
    if nb:
        F[:, nu] = 1.0
    H = F.T @ F
    Pm = np.zeros((nx, nx))
    zi = np.r_[np.arange(nu), nx - 1] if nb else np.arange(nu)
    Pm[np.ix_(zi, zi)] = H
    Pm = sp.csc_matrix(np.triu(Pm))
    q = np.zeros(nx)
    q[zi] = -(F.T @ y)
    q[nu:nu + nt] = beta
    Ac = sp.block_diag([-cones_A[j][rows[j]] for j in range(k)], format="csr")
    mid = sp.hstack([Ac, sp.csr_matrix((Ac.shape[0], nt + nb))])
    jj = np.repeat(np.arange(k), p + 1)
    ii = np.tile(np.arange(p + 1), k)
    r_soc = jj * (p + 1) + ii
    c_soc = np.where(ii == 0, nu + jj, jj * p + ii - 1)
    bot = sp.csr_matrix((-np.ones(r_soc.size), (r_soc, c_soc)), shape=(k * (p + 1), nx))
    A = sp.vstack([mid, bot]).tocsc()
    return Pm, q, A, Ac.shape[0]


def _predict(blocks: Blocks, idx, signs, U, b0):
    sub = blocks.take(np.asarray(idx, dtype=int))
    Z = blocks.M @ U - (sub.anchor_rows() * U.T).sum(axis=1)[None, :]
    return (sub.D * Z) @ signs + b0


def _initial_rows(A: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Rows of a block's cone constraint to start with: the 2p closest to the boundary at the
    direction u through which the block enters (the active ones among them)."""
    rn = np.linalg.norm(A, axis=1)
    slack = (A @ u) / np.where(rn > 0, rn, 1.0)
    k = min(A.shape[0], 2 * A.shape[1])
    return np.sort(np.argpartition(slack, k - 1)[:k]) if k < A.shape[0] else np.arange(A.shape[0])



# ---------------------------------------------------------------------- column generation
#: the default solver of :func:`cone_group_lasso`: "neurons" (column generation of neurons with
#: a warm-started non-negative lasso) or "socp" (working sets of blocks and cone rows, each
#: restricted program a cold Clarabel solve; also the fallback)
DEFAULT_METHOD = "neurons"

#: cone matrices kept in memory by the column-generation solver (float64 entries)
CONE_CACHE_ENTRIES = 20_000_000


def nonneg_lasso(Q: np.ndarray, b: np.ndarray, beta: float, c0: np.ndarray | None = None,
                 max_iter: int | None = None) -> np.ndarray:
    r""":math:`\min_{c\ge0}\tfrac12c^\top Qc-b^\top c+\beta\mathbf 1^\top c` (Q positive
    semidefinite, the Gram matrix of the neurons' outputs) by an active-set method warm-started
    at ``c0``: the coefficients with a negative gradient join the support, the problem is
    solved on the support by a Cholesky factorization, and where that makes a coefficient
    negative the step stops at the first one that reaches zero (which leaves), as in
    Lawson--Hanson's NNLS. Stops when :math:`Qc-b+\beta\ge0` off the support and
    :math:`=0` on it (to rounding): the KKT conditions. Where that does not settle within
    ``max_iter`` steps (default 50 + 2k; singular Q near interpolation can make it cycle) the
    problem is handed to Lawson--Hanson's NNLS itself (``scipy.optimize.nnls``, a finite
    method) as :math:`\min_{c\ge0}\|Rc-R^{-\top}(b-\beta\mathbf 1)\|` with
    :math:`R^\top R=Q+\epsilon I`."""
    k = b.size
    max_iter = 50 + 2 * k if max_iter is None else max_iter
    c = np.zeros(k) if c0 is None else np.maximum(np.asarray(c0, dtype=float), 0.0)
    scale = max(float(np.abs(b).max(initial=0.0)), beta, 1e-300)
    ridge = 1e-13 * max(float(np.trace(Q)) / max(k, 1), 1e-300)
    for _ in range(max_iter):
        g = Q @ c - b + beta
        S = c > 0
        bad = (~S) & (g < -1e-12 * scale)
        if not bad.any() and np.abs(g[S]).max(initial=0.0) <= 1e-9 * scale:
            return c
        S[bad] = True
        for _ in range(4 * k + 10):
            idx = np.flatnonzero(S)
            QS = Q[np.ix_(idx, idx)]
            try:
                z = cho_solve(cho_factor(QS + ridge * np.eye(idx.size)), b[idx] - beta)
            except np.linalg.LinAlgError:
                z = np.linalg.lstsq(QS, b[idx] - beta, rcond=None)[0]
            if (z > 0).all():
                c[:] = 0.0
                c[idx] = z
                break
            cur = c[idx]
            new = cur == 0
            if (new & (z <= 0)).any() and (new & (z > 0)).any():
                S[idx[new & (z <= 0)]] = False        # entering coefficients that go negative
                continue
            if new.all():                              # none helps alone: the best one enters
                S[:] = False
                S[idx[int(np.argmax(z))]] = True
                continue
            neg = z <= 0
            al = float(np.min(cur[neg] / (cur[neg] - z[neg])))
            step = cur + min(max(al, 0.0), 1.0) * (z - cur)
            step[neg & (step <= 1e-14 * max(float(step.max()), 1e-300))] = 0.0
            step[step < 0] = 0.0
            c[:] = 0.0
            c[idx] = step
            S = c > 0
            if not S.any():
                break
    return _nnls_lasso(Q, b, beta, ridge)


def _nnls_lasso(Q: np.ndarray, b: np.ndarray, beta: float, ridge: float) -> np.ndarray:
    """:func:`nonneg_lasso` by ``scipy.optimize.nnls`` on the Cholesky factor of Q + ridge I
    (a ``RuntimeError`` where that fails too: the caller falls back to the SOCP solver)."""
    from scipy.linalg import cholesky, solve_triangular
    try:
        R = cholesky(Q + max(ridge, 1e-12 * float(np.abs(np.diag(Q)).max(initial=1.0)))
                     * np.eye(b.size))
        rhs = solve_triangular(R, b - beta, trans="T")
        c, _ = nnls(R, rhs, maxiter=50 * max(b.size, 10))
    except (np.linalg.LinAlgError, RuntimeError, ValueError) as exc:
        raise RuntimeError(f"the non-negative lasso of the column-generation solver failed "
                           f"({exc}); use solve(method='cvxpy').") from exc
    return c


class _Neurons:
    r"""State of the column-generation solver (:func:`cone_group_lasso`, at unit
    :math:`\|y\|`): unit neurons :math:`w_r` in the cones of their blocks ``keys[r] = (j,
    sign)``, their outputs :math:`\phi_r=\sigma D_j\odot M_jw_r` (centred for a free output
    bias), the Gram matrix :math:`Q=\Phi^\top\Phi`, :math:`b=\Phi^\top y`, the coefficients
    :math:`c\ge0`, and for every block and sign an upper bound on its dual constraint
    :math:`\|\Pi_{K_j}(\sigma g_j)\|` (exact where it was last computed, carried to a new
    :math:`\lambda` by :math:`\|\Pi_K(g')\|\le\|\Pi_K(g)\|+\|g'-g\|`, Moreau's projection being
    non-expansive)."""

    def __init__(self, blocks: Blocks, y, beta: float, free_b0: bool, device="auto"):
        from .pattern_search import resolve_device
        self.blocks, self.beta, self.free = blocks, beta, free_b0
        self.device = resolve_device(device)        # None: NumPy
        self.y = y - y.mean() if free_b0 else y
        self.y_raw = y
        n, p = blocks.M.shape
        self.W = np.zeros((p, 0))
        self.keys: list[tuple[int, float]] = []
        self.Phi = np.zeros((n, 0))
        self.Q = np.zeros((0, 0))
        self.b = np.zeros(0)
        self.c = np.zeros(0)
        self.lam = self.y.copy()
        self.G_prev: np.ndarray | None = None
        self.S_ub = np.full((blocks.size, 2), np.inf)
        self.cones: dict[int, np.ndarray] = {}
        self.cached = 0
        self.nnls_calls = 0
        self.rows: dict[tuple[int, int], np.ndarray] = {}

    def cone(self, j: int) -> np.ndarray:
        """The cone rows of pattern j (:meth:`Blocks.cone_matrix`), cached within a budget."""
        A = self.cones.get(j)
        if A is None:
            A = self.blocks.cone_matrix(j)
            if self.cached + A.size <= CONE_CACHE_ENTRIES:
                self.cones[j] = A
                self.cached += A.size
        return A

    def scan(self, above: float, limit: int | None = None):
        r"""Blocks and signs whose dual constraint at ``lam`` exceeds ``above``, as
        ``(support, j, sign, direction)`` with the exact support and :math:`\Pi_K(\sigma g_j)`,
        most violated first; only pairs whose bound exceeds ``above`` are computed (NNLS).
        Returns ``(violators, max_bound)``: every block's constraint is at most
        ``max_bound``."""
        if self.device is None:
            G = self.blocks.grads(self.lam)
        else:                                       # the large product on the torch device
            from .pattern_search import block_grads
            G = block_grads(self.blocks, self.lam, self.device)
        gn = np.linalg.norm(G, axis=0)
        if self.G_prev is not None and self.G_prev.shape == G.shape:
            moved = np.linalg.norm(G - self.G_prev, axis=0)
            ub = np.minimum(gn[:, None], self.S_ub + moved[:, None])
        else:
            ub = np.repeat(gn[:, None], 2, axis=1)
        self.G_prev = G
        viol = []
        order = np.argsort(-ub.max(axis=1), kind="stable")
        for j in order:
            if ub[j].max() <= above:
                break
            A = None
            for si, sign in enumerate((1.0, -1.0)):
                if ub[j, si] <= above:
                    continue
                A = self.cone(int(j)) if A is None else A
                v, u = cone_support(A, sign * G[:, j], below=above,
                                    extra_rows=self.rows.get((int(j), si)))
                self.nnls_calls += 1
                ub[j, si] = v
                un = float(np.linalg.norm(u))
                if un > 0:         # the rows active at the projection start the next check
                    rn = np.linalg.norm(A, axis=1)
                    Au = A @ u
                    self.rows[int(j), si] = np.flatnonzero(Au <= 1e-9 * un * rn)
                    # a neuron joins only if it lies in its cone (cone_support's NNLS could
                    # stop early; its value is still a valid bound)
                    if v > above and Au.min(initial=0.0) >= -1e-9 * un * rn.max(initial=1.0):
                        viol.append((v, int(j), sign, u))
            if limit is not None and len(viol) >= limit:
                break
        self.S_ub = ub
        viol.sort(key=lambda t: -t[0])
        return viol, float(ub.max(initial=0.0))

    def add(self, new) -> None:
        """Neurons ``(support, j, sign, direction)`` join (the direction normalized)."""
        if not new:
            return
        Wn = np.array([u / np.linalg.norm(u) for _, _, _, u in new]).T
        keys = [(j, s) for _, j, s, _ in new]
        Pn = np.empty((self.blocks.M.shape[0], len(keys)))
        for i, (j, s) in enumerate(keys):
            Pn[:, i] = s * self.blocks.D[:, j] * (self.blocks.matrix(j) @ Wn[:, i])
        if self.free:
            Pn -= Pn.mean(axis=0)
        cross = self.Phi.T @ Pn
        self.Q = np.block([[self.Q, cross], [cross.T, Pn.T @ Pn]])
        self.b = np.r_[self.b, Pn.T @ self.y]
        self.Phi = np.hstack([self.Phi, Pn])
        self.W = np.hstack([self.W, Wn])
        self.keys += keys
        self.c = np.r_[self.c, np.zeros(len(keys))]

    def solve(self) -> None:
        """The restricted program over the neurons (:func:`nonneg_lasso`, warm-started); the
        neurons with a zero coefficient leave; ``lam`` is the new residual."""
        self.c = nonneg_lasso(self.Q, self.b, self.beta, self.c)
        keep = self.c > 0
        self.Phi, self.W, self.c = self.Phi[:, keep], self.W[:, keep], self.c[keep]
        self.Q, self.b = self.Q[np.ix_(keep, keep)], self.b[keep]
        self.keys = [k for k, kp in zip(self.keys, keep, strict=True) if kp]
        self.lam = self.y - self.Phi @ self.c

    def value(self) -> float:
        return 0.5 * float(self.lam @ self.lam) + self.beta * float(self.c.sum())

    def bound(self, max_ub: float) -> float:
        r"""Weak duality over the current blocks: :math:`\lambda'=\lambda\min(1,\beta/S)` with
        S a bound on every block's dual constraint is dual feasible, and its dual value
        :math:`\lambda'^\top y-\tfrac12\|\lambda'\|^2` bounds the restricted program below."""
        lam = self.lam * min(1.0, self.beta / max_ub) if max_ub > 0 else self.lam
        return float(lam @ self.y) - 0.5 * float(lam @ lam)

    def blocks_out(self):
        """The block vectors: the neurons of one block and sign summed,
        :math:`u_j=\\sum_rc_rw_r` (in the block's cone, and :math:`\\|u_j\\|\\le\\sum_rc_r`:
        the merged network is at least as good)."""
        pairs = sorted(set(self.keys))
        pos = {k: i for i, k in enumerate(pairs)}
        U = np.zeros((self.W.shape[0], len(pairs)))
        for r, k in enumerate(self.keys):
            U[:, pos[k]] += self.c[r] * self.W[:, r]
        idx = np.array([j for j, _ in pairs], dtype=int)
        signs = np.array([s for _, s in pairs], dtype=float)
        return U, idx, signs

    def grow(self, D_new: np.ndarray) -> None:
        """Generated patterns join the blocks (no anchor)."""
        self.blocks = Blocks(self.blocks.M, np.hstack([self.blocks.D, D_new]),
                             np.r_[self.blocks.anchors, -np.ones(D_new.shape[1], dtype=int)])
        self.S_ub = np.vstack([self.S_ub, np.full((D_new.shape[1], 2), np.inf)])
        self.G_prev = None


def _column_generation(blocks: Blocks, y, beta: float, free_b0: bool, batch, max_rounds: int,
                       callback, exact_bound: bool, scale: float, t0: float, generate,
                       device="auto", seed: int = 0):
    """The column-generation loop of :func:`cone_group_lasso` (see there); returns the fit and
    the (possibly grown) blocks."""
    st = _Neurons(blocks, y, beta, free_b0, device)
    above = beta * (1 + SLACK_TOL)
    # at most this many neurons join per round (the first scan of a large exact program can
    # find tens of thousands of violating blocks)
    limit = batch or min(max(256, 2 * y.size), 2048)
    progress: list[dict] = []
    gen_rounds = int(generate) if not isinstance(generate, bool) else (GENERATE_ROUNDS if generate
                                                                       else 0)
    generated = 0
    searches = 0
    rounds = since = 0
    while since < max_rounds:          # max_rounds rounds at most between two searches
        rounds += 1
        since += 1
        new, max_ub = st.scan(above, limit)
        bound = st.bound(max_ub)          # valid for this round's program at this residual
        if not new and searches < gen_rounds:
            # the program is solved: its bound first, then the search may grow it
            rec = _cg_record(st, rounds, bound, 0, generated, scale, t0, exact_bound)
            searches += 1
            D_new, new = _generate(st, y, beta, device, seed + searches)
            found = D_new.shape[1]
            rec["generated"] = found
            rec["generated_total"] = generated = generated + found
            progress.append(rec)
            if callback is not None:
                callback(rec)
            if found:
                st.grow(D_new)
                st.add(new)
                try:
                    st.solve()
                except RuntimeError:
                    return None, st.blocks
                since = 0
                continue
        if not new:
            rec = _cg_record(st, rounds, bound, 0, generated, scale, t0, exact_bound,
                             final=True)
            progress.append(rec)
            if callback is not None:
                callback(rec)
            break
        st.add(new)
        try:
            st.solve()
        except RuntimeError:
            return None, st.blocks
        rec = _cg_record(st, rounds, bound, len(new), generated, scale, t0, exact_bound,
                         violation=new[0][0] / beta)
        progress.append(rec)
        if callback is not None:
            callback(rec)
    else:
        return None, st.blocks
    U, idx, signs = st.blocks_out()
    b0 = 0.0
    if free_b0:        # the raw outputs' mean was removed from Phi: b0 = mean(y - raw outputs)
        raw = _predict(st.blocks, idx, signs, U, 0.0)
        b0 = float(np.mean(st.y_raw - raw))
    U, b0 = U * scale, b0 * scale
    pred = _predict(st.blocks, idx, signs, U, b0) if idx.size else np.full(y.size, b0)
    info = {"rounds": rounds, "neurons": len(st.keys), "working_set": len(st.keys),
            "cone_checks": st.nnls_calls, "status": "optimal", "solver": "column generation",
            "generated_patterns": generated, "pattern_searches": searches,
            "time": time.perf_counter() - t0, "progress": progress}
    return ConeLassoFit(U, idx, signs, b0, pred, info), st.blocks


#: pattern-generation searches per solve when ``generate_patterns=True``
GENERATE_ROUNDS = 10


def _generate(st: _Neurons, y, beta: float, device, seed: int):
    """One pattern search (:func:`~dualkit.solvers.pattern_search.search_patterns`) from the
    current neurons and random directions: the violating patterns it finds (new ones only) and
    their neurons, as ``(D_new, new)`` with ``new`` in :meth:`_Neurons.scan`'s format (block
    indices after the current blocks)."""
    from .pattern_search import search_patterns
    M = st.blocks.M
    starts = st.W if st.W.shape[1] else np.ones((M.shape[1], 1))
    res = search_patterns(M, st.lam, beta, starts, steps=20, random=max(64, M.shape[1] * 8),
                          top=64, known=st.blocks.D, device=device, seed=seed)
    P0 = st.blocks.size
    new = [(float(v), P0 + i, float(s), res.gates[:, i].copy())
           for i, (v, s) in enumerate(zip(res.values, res.signs, strict=True))]
    return res.patterns.astype(bool), new


def _cg_record(st: _Neurons, round_: int, bound: float, added: int, generated: int,
               scale: float, t0: float, exact_bound: bool, violation: float = 1.0,
               final: bool = False) -> dict:
    """A round's progress record (see :func:`cone_group_lasso`), values at the scale of y:
    ``bound`` is the round's scan's (the residual before the round's re-solve, scaled by the
    carried bounds; a lower bound on the round's program), or with ``exact_bound`` the exact
    one at the new residual."""
    value = st.value()
    if exact_bound and final:     # (at the last round the carried bound is already tight)
        bound = st.bound(dual_constraint(st.blocks, st.lam)[0])
    nrm = np.linalg.norm(st.blocks_out()[0], axis=0)
    return {"round": round_, "neurons": len(st.keys), "blocks": int(np.sum(nrm > 0)),
            "active": int(np.sum(nrm > 0)), "added": added, "patterns": st.blocks.size,
            "generated": 0, "generated_total": generated,
            "value": value * scale**2, "violation": violation,
            "bound": bound * scale**2, "gap": (value - bound) * scale**2,
            "time": time.perf_counter() - t0, "cone_checks": st.nnls_calls, "final": final}

def cone_group_lasso(blocks: Blocks, y, beta: float, free_b0: bool = False, tol: float = 1e-12,
                     batch: int | None = None, max_rounds: int = 500,
                     callback=None, exact_bound: bool = False, method: str | None = None,
                     generate: bool | int = False, device="auto", seed: int = 0) -> ConeLassoFit:
    r"""Global solution of the cone-constrained group lasso over ``blocks`` (both signs of each
    pattern).

    ``method="neurons"`` (the default): **column generation of neurons.** The program equals
    the non-negative lasso :math:`\min_{c\ge0}\tfrac12\|\sum_rc_r\phi_r-y\|^2+\beta
    \sum_rc_r` over the *neurons* :math:`w_r` (unit vectors in the cones :math:`K_j`), with
    outputs :math:`\phi_r=\sigma D_j\odot M_jw_r`: a block vector :math:`u_j\in K_j` is the
    neuron :math:`u_j/\|u_j\|` with coefficient :math:`\|u_j\|`, and neurons of one block
    merge into :math:`u_j=\sum c_rw_r` with :math:`\|u_j\|\le\sum c_r`. Each round

    1. scans every block at the residual :math:`\lambda`: the best neuron of block j and sign
       :math:`\sigma` is :math:`\Pi_{K_j}(\sigma g_j)` and its dual constraint
       :math:`\|\Pi_{K_j}(\sigma g_j)\|` (exact, by NNLS, :func:`cone_support`); only pairs
       whose bound exceeds :math:`\beta` are computed, the bounds carried from round to round
       by :math:`\|\Pi_K(g')\|\le\|\Pi_K(g)\|+\|g'-g\|`;
    2. adds the best neuron of every violating pair (up to ``batch``) and re-solves the
       non-negative lasso over the neurons (:func:`nonneg_lasso`, warm-started, a Cholesky
       factorization of the support: at most about n + 1 neurons);
    3. with ``generate`` (True: up to 10 searches; an int: that many), once no block
       violates, searches for patterns outside ``blocks`` that violate the dual constraint
       (:func:`~dualkit.solvers.pattern_search.search_patterns` from the current neurons and
       random directions, on ``device``) and adds them, so that the program grows towards the
       full one; the grown blocks are in ``fit.blocks``.

    ``device`` ("auto": torch on a CUDA device when one is present, else NumPy;
    :func:`~dualkit.solvers.pattern_search.resolve_device`) also computes each scan's
    :math:`g_j` for every block (:func:`~dualkit.solvers.pattern_search.block_grads`).

    It stops when no block violates :math:`\|\Pi_{K_j}(\sigma g_j)\|\le\beta(1+10^{-7})`:
    :math:`\lambda` is then dual feasible over ``blocks`` to that slack, which certifies the
    optimum (weak duality). Patterns with anchors (the free-bias program) are scanned the same
    way; ``generate`` needs blocks without anchors.

    ``method="socp"``: working sets of blocks *and* of cone rows, each restricted program a
    Clarabel interior-point solve (the fallback when column generation does not finish in
    ``max_rounds`` rounds):

    1. Blocks: at the residual :math:`\lambda=y-\hat y` the dual constraint of every block is
       computed exactly (:func:`dual_constraint`, in decreasing order of the bound
       :math:`\|g_j\|`); the most violated blocks join the working set.
    2. Rows: a block enters with the 2p rows of its cone constraint nearest the boundary; after
       each solve, rows that the block's vector violates are added and the program re-solved.
       Fewer rows is a relaxation, so a solution that satisfies every row is the optimum of
       the working set.
    3. Each program is an SOCP solved by Clarabel (an interior-point method) to ``tol``.

    It stops when the solution satisfies every row of its blocks and no block violates
    :math:`\|\Pi_{K_j}(g_j)\|\le\beta(1+10^{-7})`: then :math:`\lambda` is dual feasible for
    the whole program (to that slack), which certifies the optimum. Only active blocks (at most
    n + 1 at an extreme optimum) and their active rows ever enter an SOCP.

    Progress: after each round a record is appended to ``info["progress"]`` and passed to
    ``callback`` (if given), values at the scale of ``y``. Column generation's records hold
    ``"round"``, ``"neurons"`` (in the lasso), ``"blocks"`` and ``"active"`` (non-zero blocks
    once merged), ``"added"`` (neurons added this round), ``"patterns"`` (in the program),
    ``"generated"`` (patterns a search added this round) and ``"generated_total"``,
    ``"value"`` (the restricted program's objective, an upper bound), ``"violation"`` (the
    largest dual constraint found, over beta), ``"bound"``, ``"gap"``, ``"time"``,
    ``"cone_checks"`` (NNLS checks so far) and ``"final"``. ``"bound"`` is the dual value of
    the residual scaled into the dual constraint over every block of the program at that
    round (weak duality: a lower bound on it; at a search, the program before it grows) and
    ``"gap"`` = value - bound: the scaling uses the carried bounds (at the last round, with
    ``exact_bound=True``, the exact maximum). The SOCP working set's records hold
    ``"round"``, ``"blocks"``, ``"active"``, ``"rows"`` (cone rows in the SOCP), ``"value"``,
    ``"violation"``, ``"bound"``, ``"gap"`` and ``"time"``, its bound computed only with
    ``exact_bound=True`` (else NaN).
    """
    y = np.asarray(y, dtype=float)
    n = y.size
    p = blocks.M.shape[1]
    t0 = time.perf_counter()
    # the program is homogeneous: (y, beta) -> (y, beta) / s scales u by 1/s and the value by
    # 1/s^2, so solve at unit |y| (interior-point tolerances are absolute)
    scale = float(np.linalg.norm(y))
    if scale == 0.0:
        return ConeLassoFit(np.zeros((p, 0)), np.zeros(0, dtype=int), np.zeros(0), 0.0,
                            np.zeros(n), {"rounds": 0, "status": "y = 0"})
    method = method or DEFAULT_METHOD
    if method not in ("neurons", "socp"):
        raise ValueError(f"method must be 'neurons' or 'socp'; got {method!r}.")
    if generate and np.any(blocks.anchors >= 0):
        raise ValueError("pattern generation searches patterns of M u (no anchor); the "
                         "free-bias program's blocks have anchors: use generate=False.")
    fallback = None
    if method == "neurons":
        fit, blocks = _column_generation(blocks, y / scale, beta / scale, free_b0, batch,
                                         max_rounds, callback, exact_bound, scale, t0, generate,
                                         device, seed)
        if fit is not None:
            fit.blocks = blocks
            return fit
        fallback = (f"column generation did not finish in {max_rounds} rounds; the program "
                    "was solved by working sets of Clarabel SOCPs")
    state = _WorkingSet(blocks, y / scale, beta / scale, free_b0, tol)
    batch = batch or max(8, min(64, n // 4))
    for round_ in range(1, max_rounds + 1):
        state.rounds = round_
        # blocks whose dual constraint the residual violates join (scored even while rows are
        # still being added: it halves the number of rounds)
        new = state.violating_blocks(batch)
        if not new and not state.rows_added and state.done_or_tighten():
            break
        if new and state.U.shape[1]:
            state.drop_zero_blocks()
        state.add_blocks(new)
        state.solve()
        state.add_violated_rows()
        rec = state.progress_record(new, scale, time.perf_counter() - t0, exact_bound)
        if callback is not None:
            callback(rec)
    else:
        raise state.not_converged(max_rounds, scale)
    fit = state.fit(scale, time.perf_counter() - t0)
    fit.blocks = blocks
    if fallback:
        fit.info["solver_fallback"] = fallback
    return fit


#: a block counts as violating when its dual constraint exceeds beta * (1 + SLACK_TOL)
SLACK_TOL = 1e-7


class _WorkingSet:
    r"""The state of :func:`cone_group_lasso` (at unit :math:`\|y\|`): the working set ``ws`` of
    blocks ``(j, sign)``, the cone rows ``rows[i]`` of each, the last restricted solution
    ``(U, b0)`` and its residual ``lam`` :math:`=y-\hat y` (the dual candidate), and counters.
    Starts from the empty network: :math:`\hat y=b_0\mathbf 1` with :math:`b_0=\bar y` for a
    free bias, 0 otherwise."""

    def __init__(self, blocks: Blocks, y, beta: float, free_b0: bool, tol: float):
        self.blocks, self.y, self.beta, self.free_b0 = blocks, y, beta, free_b0
        self.ws: list[tuple[int, float]] = []
        self.rows: list[np.ndarray] = []
        self.cone_cache: dict[int, np.ndarray] = {}
        self.lam = y - y.mean() if free_b0 else y.copy()
        self.U = np.zeros((blocks.M.shape[1], 0))
        self.b0 = float(y.mean()) if free_b0 else 0.0
        self.idx = np.zeros(0, dtype=int)
        self.rounds, self.status, self.iters, self.row_rounds = 0, "no blocks needed", 0, 0
        self.cur_tol = tol
        self.rows_added = False
        self.progress: list[dict] = []

    def violating_blocks(self, batch: int) -> list:
        r"""Up to ``batch`` blocks outside the working set whose dual constraint
        :math:`\|\Pi_{K_j}(g_j)\|` exceeds :math:`\beta(1+10^{-7})` at ``lam``, most violated
        first, as ``(support, j, sign, direction)`` (:func:`dual_constraint`)."""
        _, viol = dual_constraint(self.blocks, self.lam, above=self.beta * (1 + SLACK_TOL),
                                  limit=4 * batch, skip=set(self.ws))
        return [v for v in sorted(viol, key=lambda v: -v[0])][:batch]

    def done_or_tighten(self) -> bool:
        """With no new block and no new row: True when the working set's own blocks satisfy
        the dual constraint too (``lam`` is then dual feasible: the optimum), or the tolerance
        is already 1e-13; otherwise (an inaccurate solve leaves some of its blocks above beta)
        the SOCP tolerance is divided by 100, for one more solve, and False."""
        worst = 0.0
        if self.ws:
            sub = self.blocks.take(np.array([j for j, _ in self.ws], dtype=int))
            worst, _ = dual_constraint(sub, self.lam, above=self.beta * (1 + SLACK_TOL))
        if worst <= self.beta * (1 + SLACK_TOL) or self.cur_tol <= 1e-13:
            return True
        self.cur_tol = max(self.cur_tol * 1e-2, 1e-13)
        return False

    def drop_zero_blocks(self) -> None:
        """Blocks whose vector is zero (below 1e-9 of the largest) leave the working set."""
        nrm = np.linalg.norm(self.U, axis=0)
        keep = nrm > 1e-9 * max(nrm.max(), 1e-300)
        self.ws = [w for w, kp in zip(self.ws, keep, strict=True) if kp]
        self.rows = [r for r, kp in zip(self.rows, keep, strict=True) if kp]

    def add_blocks(self, new) -> None:
        """New blocks join with the 2p cone rows nearest the boundary at the direction through
        which they enter (:func:`_initial_rows`)."""
        for _, j, sgn, u in new:
            if j not in self.cone_cache:
                self.cone_cache[j] = self.blocks.cone_matrix(j)
            self.ws.append((j, sgn))
            self.rows.append(_initial_rows(self.cone_cache[j], u))

    def solve(self) -> None:
        """The restricted SOCP on the working set and its rows (:func:`_restricted_socp`), and
        the new residual ``lam``."""
        self.idx = idx = np.array([j for j, _ in self.ws])
        signs = np.array([sg for _, sg in self.ws])
        self.U, self.b0, self.status, it = _restricted_socp(
            self.blocks, idx, signs, self.rows, [self.cone_cache[j] for j in idx], self.y,
            self.beta, self.free_b0, self.cur_tol)
        self.iters += it
        self.lam = self.y - _predict(self.blocks, idx, signs, self.U, self.b0)

    def add_violated_rows(self) -> None:
        r"""Cone rows that a block's vector :math:`u` violates (:math:`a^\top u/\|a\|<-10^{-9}
        \|u\|`), up to 2p most violated per block, join that block; ``rows_added`` says
        whether any did."""
        p = self.blocks.M.shape[1]
        self.rows_added = False
        for i, j in enumerate(self.idx):
            u = self.U[:, i]
            un = np.linalg.norm(u)
            if un == 0:
                continue
            A = self.cone_cache[j]
            rn = np.linalg.norm(A, axis=1)
            sl = (A @ u) / np.where(rn > 0, rn, 1.0)
            bad = np.setdiff1d(np.flatnonzero(sl < -1e-9 * un), self.rows[i])
            if bad.size:
                self.rows[i] = np.union1d(self.rows[i], bad[np.argsort(sl[bad])[: 2 * p]])
                self.rows_added = True
        self.row_rounds += self.rows_added

    def progress_record(self, new, scale: float, elapsed: float, exact_bound: bool) -> dict:
        """The round's progress record (see :func:`cone_group_lasso`), appended to
        ``self.progress``; values at the scale of the original ``y`` (times ``scale**2``)."""
        value = 0.5 * float(self.lam @ self.lam) + self.beta * float(
            np.linalg.norm(self.U, axis=0).sum())
        bound = np.nan
        if exact_bound:
            worst, _ = dual_constraint(self.blocks, self.lam)
            lam_f = self.lam * min(1.0, self.beta / worst) if worst > 0 else self.lam
            bound = float(lam_f @ self.y) - 0.5 * float(lam_f @ lam_f)
        rec = {"round": self.rounds, "blocks": len(self.ws),
               "active": int(np.sum(np.linalg.norm(self.U, axis=0) > 0)),
               "rows": int(sum(r.size for r in self.rows)), "value": value * scale**2,
               "violation": max((v[0] for v in new), default=0.0) / self.beta,
               "bound": bound * scale**2, "gap": (value - bound) * scale**2, "time": elapsed}
        self.progress.append(rec)
        return rec

    def not_converged(self, max_rounds: int, scale: float) -> RuntimeError:
        """The error when the rounds run out, with how far the last restricted solution is from
        optimal: its residual scaled into the dual feasible set gives a lower bound on the
        program (weak duality)."""
        beta, y, lam = self.beta, self.y, self.lam
        worst, _ = dual_constraint(self.blocks, lam)
        lam_f = lam * min(1.0, beta / worst) if worst > 0 else lam
        dual = float(lam_f @ y) - 0.5 * float(lam_f @ lam_f)
        return RuntimeError(
            f"the working-set solver did not converge in {max_rounds} rounds ({len(self.ws)} "
            f"blocks; last restricted SOCP status {self.status!r}; its residual violates the "
            f"dual constraint by a factor {worst / beta:.3g}, so the dual bound it gives is "
            f"{dual * scale**2:.6g}). Increase max_rounds or use method='cvxpy'.")

    def fit(self, scale: float, elapsed: float) -> ConeLassoFit:
        """The solution at the original scale of ``y``: ``U`` and ``b0`` times ``scale``."""
        idx = np.array([j for j, _ in self.ws], dtype=int)
        signs = np.array([sg for _, sg in self.ws], dtype=float)
        U, b0 = self.U * scale, self.b0 * scale
        pred = _predict(self.blocks, idx, signs, U, b0) if self.ws else np.full(self.y.size, b0)
        info = {"rounds": self.rounds, "row_rounds": self.row_rounds,
                "working_set": len(self.ws), "rows": int(sum(r.size for r in self.rows)),
                "socp_iterations": self.iters, "status": self.status, "tol": self.cur_tol,
                "time": elapsed, "progress": self.progress}
        return ConeLassoFit(U, idx, signs, b0, pred, info)
