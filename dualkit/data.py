"""Seeded synthetic data sets.

Every data set of the book is made here from an integer seed, so that a chapter, a test and a
student's notebook see exactly the same numbers. Nothing is downloaded.

Introduced in :ref:`ch-preliminaries`.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_matrix, check_choice, check_positive_int

__all__ = ["gaussian", "gaussian_inputs", "teacher_targets", "vector_regression"]


def _check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer; got {seed!r}.")
    return int(seed)


def _check_noise(noise) -> float:
    try:
        noise = float(noise)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"noise must be a real number >= 0; got {noise!r}.") from exc
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be a finite number >= 0; got {noise}.")
    return noise


def gaussian_inputs(n: int, d: int, seed: int = 0) -> np.ndarray:
    r"""Gaussian inputs :math:`X\in\mathbb R^{n\times d}` with i.i.d. :math:`\mathcal N(0,1)` entries.

    Parameters
    ----------
    n, d : int
        Number of samples and of features (both >= 1).
    seed : int
        Seed of the NumPy generator.
    """
    n = check_positive_int(n, "n")
    d = check_positive_int(d, "d")
    rng = np.random.default_rng(_check_seed(seed))
    return rng.standard_normal((n, d))


def teacher_targets(
    X,
    teacher: str = "linear",
    width: int = 5,
    noise: float = 0.1,
    seed: int = 0,
) -> np.ndarray:
    r"""Targets :math:`y = f_{\rm teacher}(X) + \text{noise}` from a random teacher network.

    Parameters
    ----------
    X : array of shape (n, d)
        Inputs.
    teacher : {"linear", "relu"}
        ``"linear"``: :math:`y = X w_0` with :math:`w_0\sim\mathcal N(0, I_d/d)`.
        ``"relu"``: a two-layer ReLU teacher :math:`y = (X W_0)_+ v_0` of the given width,
        with :math:`W_0` columns uniform on the unit sphere and :math:`v_0\sim\mathcal N(0,I/m)`.
    width : int
        Width of the ReLU teacher (ignored for ``"linear"``).
    noise : float
        Standard deviation of the additive Gaussian noise.
    seed : int
        Seed of the NumPy generator (the teacher and the noise are drawn from it).
    """
    X = as_matrix(X, "X")
    check_choice(teacher, "teacher", {"linear", "relu"})
    width = check_positive_int(width, "width")
    noise = _check_noise(noise)
    rng = np.random.default_rng(_check_seed(seed))
    n, d = X.shape
    if teacher == "linear":
        w0 = rng.standard_normal(d) / np.sqrt(d)
        f = X @ w0
    else:
        W0 = rng.standard_normal((d, width))
        W0 /= np.linalg.norm(W0, axis=0, keepdims=True)
        v0 = rng.standard_normal(width) / np.sqrt(width)
        f = np.maximum(X @ W0, 0.0) @ v0
    return f + noise * rng.standard_normal(n)


def gaussian(
    n: int,
    d: int,
    seed: int = 0,
    teacher: str = "linear",
    noise: float = 0.1,
    width: int = 5,
) -> tuple[np.ndarray, np.ndarray]:
    r"""A regression data set: Gaussian inputs and teacher-network targets.

    Returns ``(X, y)`` with ``X`` of shape ``(n, d)`` from :func:`gaussian_inputs` and ``y`` of
    shape ``(n,)`` from :func:`teacher_targets`. The inputs use ``seed`` and the teacher and noise
    use ``seed + 1``, so two calls with the same arguments return identical arrays.

    Example
    -------
    >>> X, y = gaussian(n=50, d=10, seed=0)
    >>> X.shape, y.shape
    ((50, 10), (50,))
    """
    seed = _check_seed(seed)
    X = gaussian_inputs(n, d, seed=seed)
    y = teacher_targets(X, teacher=teacher, width=width, noise=noise, seed=seed + 1)
    return X, y


def vector_regression(
    n: int, d: int, K: int, rank: int = 3, noise: float = 0.3, seed: int = 0,
    whiten: bool = False, cond: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Vector-output regression data: :math:`Y=XA B+\text{noise}` with a rank-``rank`` teacher.

    ``X`` comes from :func:`gaussian_inputs`; with ``whiten=True`` it is replaced by the Q factor
    of its QR decomposition, so that :math:`X^\top X=I_d` (needs :math:`n\ge d`); with ``cond``
    its singular values are set to a geometric sequence from 1 to ``1/cond``. :math:`A`, :math:`B`
    and the noise are standard Gaussian from the same ``seed``.

    Introduced in :ref:`ch-vector-outputs`.
    """
    n, d, K = (check_positive_int(v, name) for v, name in ((n, "n"), (d, "d"), (K, "K")))
    rank = check_positive_int(rank, "rank")
    noise = _check_noise(noise)
    seed = _check_seed(seed)
    rng = np.random.default_rng(seed)
    X = gaussian_inputs(n, d, seed=seed)
    if whiten:
        if n < d:
            raise ValueError(f"whiten=True needs n >= d so that X^T X = I; got n={n}, d={d}.")
        X, _ = np.linalg.qr(X)
    elif cond is not None:
        if not np.isfinite(cond) or cond < 1:
            raise ValueError(f"cond must be a finite number >= 1; got {cond}.")
        U, _, Vt = np.linalg.svd(X, full_matrices=False)
        X = U @ np.diag(np.logspace(0, -np.log10(cond), min(n, d))) @ Vt
    Y = X @ rng.standard_normal((d, rank)) @ rng.standard_normal((rank, K))
    return X, Y + noise * rng.standard_normal((n, K))
