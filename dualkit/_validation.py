"""Input checks shared by every public function.

Each check raises :class:`ValueError` with a message that names the argument, says what was
wrong and what is expected, so that a reader of a traceback knows how to fix the call.
"""

from __future__ import annotations

import math
import numbers

import numpy as np


def _as_float_array(a, name: str, copy: bool = True) -> np.ndarray:
    if a is None:
        raise ValueError(f"{name} is None; expected a numeric array.")
    if isinstance(a, np.ma.MaskedArray):
        if np.ma.is_masked(a):
            raise ValueError(
                f"{name} is a masked array with {int(np.ma.count_masked(a))} masked entries; "
                "dualkit has no notion of missing values. Drop those rows, or fill them "
                f"({name}.filled(value)), first.")
        a = a.data
    try:
        # torch tensors and other array-likes
        if hasattr(a, "detach"):
            a = a.detach().cpu().numpy()
        arr = np.asarray(a)
    except Exception as exc:  # pragma: no cover - exotic objects
        raise ValueError(f"{name} could not be converted to an array: {exc}") from exc
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)
    ):
        raise ValueError(
            f"{name} must be a numeric array (float64 is used inside dualkit); "
            f"got an array of dtype {arr.dtype}."
        )
    if np.iscomplexobj(arr):
        raise ValueError(f"{name} must be real-valued; got a complex array.")
    arr = arr.astype(np.float64, copy=copy)
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}); expected at least one entry.")
    # a finite sum proves every entry finite without an n x d boolean temporary; an overflowing
    # (or NaN/Inf) sum falls back to the entrywise check
    with np.errstate(over="ignore", invalid="ignore"):
        total = arr.sum()
    if not np.isfinite(total) and not np.all(np.isfinite(arr)):
        bad = "NaN" if np.isnan(arr).any() else "Inf"
        raise ValueError(
            f"{name} contains {bad} values; expected finite numbers. "
            "Remove or impute the non-finite entries first."
        )
    return arr


def as_matrix(X, name: str = "X", copy: bool = True) -> np.ndarray:
    """Return ``X`` as a finite float64 matrix of shape ``(n, d)``: a copy, unless ``copy=False``
    and ``X`` is already a float64 array (for internal use on arrays already validated)."""
    arr = _as_float_array(X, name, copy=copy)
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array of shape (n, d); got {arr.ndim}-D shape {arr.shape}. "
            "Reshape a single feature with x.reshape(-1, 1)."
        )
    return arr


def as_vector(y, name: str = "y", n: int | None = None, n_name: str = "X") -> np.ndarray:
    """Return ``y`` as a finite float64 vector of shape ``(n,)``.

    A column vector of shape ``(n, 1)`` is accepted and flattened. ``n_name`` names the array
    whose length ``n`` is (for the error message).
    """
    arr = _as_float_array(y, name)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(
            f"{name} must be a vector of shape (n,); got shape {arr.shape}. "
            "Vector outputs of shape (n, K) are not supported by this function."
        )
    if n is not None and arr.shape[0] != n:
        raise ValueError(
            f"{name} has {arr.shape[0]} entries but {n_name} has {n}; expected one per entry "
            f"of {n_name}."
        )
    return arr


def as_targets(y, name: str = "y", n: int | None = None) -> np.ndarray:
    """Return targets as a vector ``(n,)`` or a matrix ``(n, K)`` (``(n, 1)`` becomes a vector)."""
    arr = _as_float_array(y, name)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim not in (1, 2):
        raise ValueError(
            f"{name} must have shape (n,) for scalar outputs or (n, K) for vector outputs; "
            f"got shape {arr.shape}."
        )
    if n is not None and arr.shape[0] != n:
        raise ValueError(
            f"{name} has {arr.shape[0]} rows but X has {n}; expected one target per row of X."
        )
    return arr


def check_beta(beta, name: str = "beta", allow_zero: bool = True) -> float:
    """Return ``beta`` as a float after checking that it is a finite real number >= 0."""
    if isinstance(beta, (bool, str, bytes)) or not isinstance(beta, (numbers.Real, np.ndarray)):
        raise ValueError(
            f"{name} must be a real number >= 0; got {beta!r} of type {type(beta).__name__}."
        )
    if isinstance(beta, np.ndarray):
        if beta.size != 1 or not np.issubdtype(beta.dtype, np.number):
            raise ValueError(f"{name} must be a single real number >= 0; got an array {beta!r}.")
        beta = beta.item()
    beta = float(beta)
    if not np.isfinite(beta):
        raise ValueError(f"{name} must be finite; got {beta}.")
    if beta < 0:
        raise ValueError(f"{name} is the regularization strength and must be >= 0; got {beta}.")
    if beta == 0 and not allow_zero:
        raise ValueError(f"{name} must be > 0 here; got 0.")
    return beta


def check_betas(betas, allow_zero: bool = True) -> np.ndarray:
    """Return a sequence of regularization strengths as a 1-D float array, each entry checked
    like ``check_beta`` and named ``betas[k]`` in the message."""
    betas = np.atleast_1d(_as_float_array(betas, "betas"))
    if betas.ndim == 2 and betas.shape[1] == 1:
        betas = betas[:, 0]
    if betas.ndim != 1:
        raise ValueError(f"betas must be a 1-D sequence of numbers; got shape {betas.shape}.")
    for k, b in enumerate(betas):
        check_beta(b, f"betas[{k}]", allow_zero=allow_zero)
    return betas


def check_positive_int(value, name: str) -> int:
    """Return ``value`` as an int after checking that it is an integer >= 1 (a float with no
    fraction is accepted; bools are refused)."""
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be an integer >= 1; got the bool {value!r}.")
    if not isinstance(value, numbers.Integral):
        if isinstance(value, numbers.Real) and math.isfinite(value) and float(value).is_integer():
            value = int(float(value))
        else:
            raise ValueError(f"{name} must be an integer >= 1; got {value!r}.")
    value = int(value)
    if value < 1:
        raise ValueError(f"{name} must be an integer >= 1; got {value}.")
    return value


#: the largest seed: torch's generators take a signed 64-bit integer
MAX_SEED = 2**63 - 1


def check_seed(seed, name: str = "seed") -> int:
    """Return ``seed`` as an int after checking that it is an integer in ``[0, 2**63 - 1]``
    (NumPy and torch generators are seeded with it)."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or int(seed) < 0:
        raise ValueError(f"{name} must be a non-negative integer; got {seed!r}.")
    if int(seed) > MAX_SEED:
        raise ValueError(f"{name} must be at most 2**63 - 1 (torch seeds are signed 64-bit "
                         f"integers); got {seed}. Use seed % 2**63.")
    return int(seed)


#: the most parameters a network dualkit builds may have (8 GB of float64); above it ``network``
#: refuses instead of allocating until the process is killed
MAX_PARAMETERS = 10**9


def check_parameter_count(count: int, what: str) -> None:
    """Refuse a network of more than :data:`MAX_PARAMETERS` parameters with a ``ValueError``
    (``what`` describes the request, e.g. ``"width=10**9 with d=5"``)."""
    if count > MAX_PARAMETERS:
        raise ValueError(
            f"{what} asks for {count:.3g} parameters, more than dualkit builds "
            f"({MAX_PARAMETERS:.0e}, {8 * MAX_PARAMETERS / 1e9:.0f} GB in float64); choose a "
            "smaller width. The optimal networks of the book need at most n + 1 neurons.")


def finite_or_raise(value, what: str, fix: str):
    """Return ``value`` (a number or an array) if every entry is finite; otherwise raise a
    ``ValueError`` saying that ``what`` overflowed or is undefined in float64 and how to fix it
    (``fix``, e.g. ``"rescale X and y to entries of order 1"``). The one guard against silent
    inf/NaN results."""
    arr = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(arr)):
        bad = "NaN (undefined)" if np.isnan(arr).any() else "infinite (overflow)"
        raise ValueError(f"{what} is {bad} in float64: {fix}.")
    return value


def check_positive_float(value, name: str) -> float:
    """Return ``value`` as a float after checking that it is finite and > 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number > 0; got {value!r}.")
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0; got {value}.")
    return value


def check_choice(value, name: str, choices) -> str:
    """Check that ``value`` is one of ``choices`` (strings)."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {sorted(map(repr, choices))}; got {value!r}.")
    return value
