"""Seeded data sets: synthetic ones, and two real ones that ship inside scikit-learn.

Every data set of the book is made here from an integer seed, so that a chapter, a test and a
student's notebook see exactly the same numbers. Nothing is downloaded: :func:`digits` and
:func:`diabetes` read the copies bundled with scikit-learn.

Introduced in :ref:`ch-preliminaries`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from ._validation import MAX_SEED, as_matrix, check_choice, check_positive_int, check_seed

__all__ = ["gaussian", "gaussian_inputs", "teacher_targets", "vector_regression", "zigzag",
           "points_1d", "rank_one", "reflection_example", "sine_features", "digits", "diabetes"]


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
    X: ArrayLike,
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
    use ``seed + 1`` (0 after the largest seed, ``2**63 - 1``), so two calls with the same
    arguments return identical arrays.

    Examples
    --------
    >>> X, y = gaussian(n=50, d=10, seed=0)
    >>> X.shape, y.shape
    ((50, 10), (50,))
    """
    seed = check_seed(seed)
    X = gaussian_inputs(n, d, seed=seed)
    y = teacher_targets(X, teacher=teacher, width=width, noise=noise,
                        seed=(seed + 1) % (MAX_SEED + 1))
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

    Examples
    --------
    >>> X, Y = vector_regression(n=30, d=5, K=3, whiten=True, seed=0)
    >>> X.shape, Y.shape, bool(np.allclose(X.T @ X, np.eye(5)))
    ((30, 5), (30, 3), True)

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

    Examples
    --------
    >>> x, y = zigzag(n=6, seed=0)
    >>> bool(np.all(np.diff(x) > 0)), np.sign(y).tolist()
    (True, [-1.0, 1.0, -1.0, 1.0, -1.0, 1.0])

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


def _sklearn_datasets():
    """``sklearn.datasets``, or an ImportError that says how to install it."""
    try:
        import sklearn.datasets
    except ImportError as exc:  # pragma: no cover - scikit-learn is in the book's environment
        raise ImportError(
            "the real data sets ship inside scikit-learn (nothing is downloaded); install it with "
            "pip install scikit-learn, or pip install 'dualkit[data]'."
        ) from exc
    return sklearn.datasets


def _subsample(n, total: int, seed) -> np.ndarray:
    """Sorted row indices: all ``total`` rows for ``n=None``, else ``n`` of them drawn without
    replacement by a generator seeded with ``seed``."""
    seed = check_seed(seed)
    if n is None:
        return np.arange(total)
    n = check_positive_int(n, "n")
    if n > total:
        raise ValueError(f"n must be at most {total} (the size of the data set); got {n}.")
    return np.sort(np.random.default_rng(seed).choice(total, size=n, replace=False))


def _standardize(X: np.ndarray) -> np.ndarray:
    """Columns to zero mean and unit variance; constant columns become zero."""
    X = X - X.mean(axis=0)
    sd = X.std(axis=0)
    return X / np.where(sd > 0, sd, 1.0)


def digits(n: int | None = None, seed: int = 0, whiten: bool = False,
           return_labels: bool = False) -> tuple[np.ndarray, ...]:
    r"""The handwritten digits of scikit-learn (UCI optical recognition, 1797 images of 8x8
    pixels, 10 classes), as a vector-output regression: inputs :math:`X\in\mathbb R^{n\times d}`
    and one-hot targets :math:`Y\in\{0,1\}^{n\times10}`.

    The data ship inside scikit-learn; nothing is downloaded.

    Parameters
    ----------
    n : int, optional
        Number of images, drawn at random without replacement (sorted by their index in the
        data set); ``None`` keeps all 1797.
    seed : int
        Seed of the subsample.
    whiten : bool
        ``False``: the 64 pixel intensities standardized to zero mean and unit variance over the
        sample (pixels that are constant in the sample become zero columns), ``d = 64``.
        ``True``: those columns replaced by an orthonormal basis of their span (the left singular
        vectors with singular value above ``1e-10`` times the largest), so that
        :math:`X^\top X=I_d` with ``d`` the rank of the standardized pixels.
    return_labels : bool
        Also return the class labels ``0..9``, shape ``(n,)``.

    Returns
    -------
    ``(X, Y)`` or ``(X, Y, labels)``.

    Introduced in :ref:`ch-real-data`.
    """
    if not isinstance(whiten, (bool, np.bool_)):
        raise ValueError(f"whiten must be True or False; got {whiten!r}.")
    data = _sklearn_datasets().load_digits()
    rows = _subsample(n, data.data.shape[0], seed)
    X = _standardize(np.asarray(data.data, dtype=float)[rows])
    labels = np.asarray(data.target, dtype=int)[rows]
    if whiten:
        U, s, _ = np.linalg.svd(X, full_matrices=False)
        X = U[:, s > 1e-10 * s[0]]
    Y = np.eye(10)[labels]
    return (X, Y, labels) if return_labels else (X, Y)


def diabetes(n: int | None = None, seed: int = 0,
             features: Sequence[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
    r"""The diabetes data of scikit-learn (Efron et al. 2004): 442 patients, ten baseline
    variables (age, sex, body mass index, blood pressure and six blood serum measurements) and a
    measure of disease progression one year later, as a scalar regression.

    Every feature and the target are standardized to zero mean and unit variance over the
    sample (so no bias is needed). The data ship inside scikit-learn; nothing is downloaded.

    Parameters
    ----------
    n : int, optional
        Number of patients, drawn at random without replacement (sorted); ``None`` keeps all 442.
    seed : int
        Seed of the subsample.
    features : list of str, optional
        Columns to keep, by scikit-learn's names ``"age", "sex", "bmi", "bp", "s1"`` ... ``"s6"``;
        default all ten. One name gives ``X`` of shape ``(n, 1)``.

    Returns
    -------
    ``(X, y)`` with ``X`` of shape ``(n, len(features))`` and ``y`` of shape ``(n,)``.

    Introduced in :ref:`ch-real-data`.
    """
    data = _sklearn_datasets().load_diabetes(scaled=False)
    names = list(data.feature_names)
    if features is None:
        cols = list(range(len(names)))
    else:
        if isinstance(features, str) or not hasattr(features, "__iter__"):
            raise ValueError(f"features must be a list of names from {names}; got {features!r}.")
        features = list(features)
        bad = [f for f in features if f not in names]
        if bad or not features:
            raise ValueError(f"features must be a non-empty list of names from {names}; "
                             f"got {features!r}.")
        cols = [names.index(f) for f in features]
    rows = _subsample(n, data.data.shape[0], seed)
    X = _standardize(np.asarray(data.data, dtype=float)[np.ix_(rows, np.asarray(cols, dtype=int))])
    y = np.asarray(data.target, dtype=float)[rows]
    y = y - y.mean()
    sd = y.std()
    return X, (y / sd if sd > 0 else y)
