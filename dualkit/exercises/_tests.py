"""Building blocks for the exercises' tests: read an answer, compare, say why not."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..check import _numeric


def as_array(answer: Any, name: str, shape: tuple | None = None) -> np.ndarray:
    """``answer`` as a finite float array (of ``shape``), or ``ValueError`` saying what is wrong.

    The exercise framework turns the ``ValueError`` into a lost point with its message.
    """
    a = _numeric(answer)
    if a is None:
        raise ValueError(f"`{name}` must hold real numbers; it holds {type(answer).__name__}.")
    if shape is not None and a.shape != tuple(shape):
        raise ValueError(f"`{name}` has shape {a.shape}; it should have shape {tuple(shape)}.")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"`{name}` contains NaN or Inf.")
    return a


def as_float(answer: Any, name: str) -> float:
    """``answer`` as one finite number, or ``ValueError``."""
    a = as_array(answer, name)
    if a.size != 1:
        raise ValueError(f"`{name}` must be one number; it has {a.size} entries.")
    return float(a.reshape(()))


def field(answer: Any, key: str, name: str) -> Any:
    """``answer[key]`` for a dict answer, or ``ValueError`` naming the missing key."""
    if not isinstance(answer, dict):
        raise ValueError(f"`{name}` must be a dict with the key {key!r}; it is a "
                         f"{type(answer).__name__}.")
    if key not in answer:
        raise ValueError(f"`{name}` has no key {key!r} (it has {', '.join(map(repr, answer))}).")
    return answer[key]


def rel_err(a, b) -> float:
    """``‖a − b‖ / max(‖b‖, tiny)``: the relative error of ``a`` against ``b``."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.linalg.norm(a - b) / max(float(np.linalg.norm(b)), 1e-300))


def within(err: float, tol: float, what: str) -> tuple[bool, str]:
    """(passed, message) for a relative error ``err`` of ``what`` against tolerance ``tol``."""
    if err <= tol:
        return True, f"{what} is right (relative error {err:.1e} ≤ {tol:g})."
    return False, f"{what} is off: relative error {err:.1e} > {tol:g}."
