r"""Layer weights of a ReLU network as NumPy arrays: :class:`ReLUWeights`.

NumPy only (no torch): a solution's weights, a saved solution loaded back
(:meth:`dualkit.Solution.load`) and their predictions need no torch import.
:mod:`dualkit.nets` re-exports the class, so ``from dualkit.nets import ReLUWeights`` keeps
working and names the same class.

Introduced in :ref:`ch-splines-1d`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ._validation import _as_float_array

__all__ = ["ReLUWeights"]


def _finite_float(v: Any, name: str) -> float:
    scalar = not isinstance(v, (bool, str, bytes)) and np.isscalar(v)
    if not scalar or not np.isfinite(float(v)):
        raise ValueError(f"{name} must be a finite number; got {v!r}.")
    return float(v)


class ReLUWeights(list):
    r"""Layer weights of a ReLU network: a list :math:`[W_1,\dots,W_{L-1},w_L]` (so every
    function that takes a list of layers works on it) that also carries the biases.

    Attributes
    ----------
    biases : list
        ``biases[l]`` is the bias vector of layer ``l + 1`` or None; ``biases[-1]`` is the
        output bias (a float) or None.
    skip : float or None
        Coefficient :math:`c` of an unregularized linear skip term :math:`c\,x` (1-D inputs).

    Notes
    -----
    Introduced in :ref:`ch-splines-1d`.
    """

    def __init__(self, layers: Iterable[ArrayLike],
                 biases: Sequence[ArrayLike | None] | None = None, skip: float | None = None):
        super().__init__(_as_float_array(W, f"layers[{i}]") for i, W in enumerate(layers))
        if biases is None:
            biases = [None] * len(self)
        if len(biases) != len(self):
            raise ValueError(f"biases must have one entry per layer ({len(self)}); got {len(biases)}.")
        self.biases = [None if b is None else _as_float_array(b, f"biases[{i}]")
                       for i, b in enumerate(biases)]
        self.skip = None if skip is None else _finite_float(skip, "skip")

    def forward(self, X: ArrayLike) -> np.ndarray:
        """The network's output on inputs ``X`` of shape (n, d) (NumPy)."""
        A = np.asarray(X, dtype=np.float64)
        for W, b in zip(self[:-1], self.biases[:-1], strict=True):
            A = A @ W
            if b is not None:
                A = A + b
            A = np.maximum(A, 0.0)
        out = A @ self[-1]
        if self.biases[-1] is not None:
            out = out + self.biases[-1]
        if self.skip is not None:
            out = out + self.skip * np.asarray(X, dtype=np.float64)[:, 0]
        return out

    def __repr__(self) -> str:
        return (f"ReLUWeights(shapes={[W.shape for W in self]}, "
                f"biases={[None if b is None else b.shape for b in self.biases]}, skip={self.skip})")
