"""Seeded synthetic data sets.

Every data set of the book is made here from an integer seed, so that a chapter, a test and a
student's notebook see exactly the same numbers. Nothing is downloaded.

Introduced in :ref:`ch-preliminaries`.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_matrix, check_choice, check_positive_int, check_seed

__all__ = ["gaussian", "gaussian_inputs", "teacher_targets", "vector_regression", "zigzag",
           "points_1d", "rank_one", "reflection_example", "sine_features"]


def _check_noise(noise) -> float:
    if isinstance(noise, (str, bytes, bool)):
        raise ValueError(f"noise must be a real number >= 0; got {noise!r}.")
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
    rng = np.random.default_rng(check_seed(seed))
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
    X = as_matrix(X, "X", copy=False)  # only read
    check_choice(teacher, "teacher", {"linear", "relu"})
    width = check_positive_int(width, "width")
    noise = _check_noise(noise)
    rng = np.random.default_rng(check_seed(seed))
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
    seed = check_seed(seed)
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
    seed = check_seed(seed)
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


def zigzag(n: int = 8, seed: int = 0, lo: float = -1.0, hi: float = 1.0,
           jitter: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    r"""1-D zig-zag data: ``n`` sorted inputs in ``[lo, hi]`` (an even grid moved by up to
    ``jitter`` of a spacing) and targets that alternate up and down, so that the slope changes
    of the linear spline alternate in sign and the minimum-norm interpolant is unique
    (:ref:`app-spline-cost`).

    Introduced in :ref:`ch-splines-1d`.
    """
    n = check_positive_int(n, "n")
    seed = check_seed(seed)
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"need finite lo < hi; got lo={lo}, hi={hi}.")
    if not 0 <= jitter < 0.5:
        raise ValueError(f"jitter must be in [0, 0.5); got {jitter}.")
    rng = np.random.default_rng(seed)
    x = np.linspace(lo, hi, n)
    if n > 1:
        x = x + jitter * (x[1] - x[0]) * rng.uniform(-1, 1, n)
    y = np.where(np.arange(n) % 2 == 0, -1.0, 1.0) * rng.uniform(0.5, 1.5, n)
    return x, y


def points_1d(n: int, seed: int = 0, lo: float = -1.0, hi: float = 1.0, noise: float = 0.3,
              grid: bool = False) -> tuple[np.ndarray, np.ndarray]:
    r"""1-D regression data :math:`y=\sin(6x)+\text{noise}`: ``n`` sorted inputs, uniform at
    random in ``[lo, hi]`` (or an even grid with ``grid=True``).

    Introduced in :ref:`ch-splines-1d`.
    """
    n = check_positive_int(n, "n")
    noise = _check_noise(noise)
    rng = np.random.default_rng(check_seed(seed))
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"need finite lo < hi; got lo={lo}, hi={hi}.")
    x = np.linspace(lo, hi, n) if grid else np.sort(rng.uniform(lo, hi, n))
    return x, np.sin(6 * (x - lo) / (hi - lo) * 2 - 6) + noise * rng.standard_normal(n)


def reflection_example() -> tuple[np.ndarray, np.ndarray]:
    """The data of the caveat in :ref:`app-deep-1d` (Zeger & Pilanci 2024): ``x = (0, 4, 5, 7, 10, 11)``,
    ``y = (0, 0, 0, 2, 3, 3)``.

    Introduced in :ref:`ch-splines-1d`.
    """
    return np.array([0.0, 4.0, 5.0, 7.0, 10.0, 11.0]), np.array([0.0, 0.0, 0.0, 2.0, 3.0, 3.0])


def rank_one(n: int, d: int, seed: int = 0, mixed_sign: bool = False, noise: float = 0.1,
             teacher_scale: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    r"""Rank-one inputs :math:`X=c\,a^\top` and targets :math:`y=\text{teacher\_scale}\cdot c+\text{noise}`.

    :math:`c=|g|` with :math:`g\sim\mathcal N(0,I_n)` (so :math:`c\ge0`, :ref:`app-rank-one`), or
    :math:`c=g` of mixed sign with ``mixed_sign=True`` (the caveat of :ref:`app-rank-one-mixed`);
    :math:`a\sim\mathcal N(0,I_d)`.

    Introduced in :ref:`ch-rank-one-relu`.
    """
    n, d = check_positive_int(n, "n"), check_positive_int(d, "d")
    noise = _check_noise(noise)
    rng = np.random.default_rng(check_seed(seed))
    g = rng.standard_normal(n)
    c = g if mixed_sign else np.abs(g)
    a = rng.standard_normal(d)
    return np.outer(c, a), teacher_scale * c + noise * rng.standard_normal(n)


def sine_features(n: int, d: int = 2, seed: int = 0, noise: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    r"""Gaussian inputs :math:`X\in\mathbb R^{n\times d}` (d >= 2) and targets
    :math:`y=\sin(2x_1)+0.5\,x_2+\text{noise}` (the example of :ref:`ch-two-layer-relu`).

    Introduced in :ref:`ch-two-layer-relu`.
    """
    n, d = check_positive_int(n, "n"), check_positive_int(d, "d")
    if d < 2:
        raise ValueError(f"d must be >= 2 (the target uses two features); got {d}.")
    noise = _check_noise(noise)
    rng = np.random.default_rng(check_seed(seed))
    X = rng.standard_normal((n, d))
    return X, np.sin(2 * X[:, 0]) + 0.5 * X[:, 1] + noise * rng.standard_normal(n)
