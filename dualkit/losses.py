r"""Convex losses in the three forms the book needs.

A loss :math:`\ell(\hat y)` is convex in the prediction :math:`\hat y` (the targets :math:`y`
are fixed). Every loss class provides

* ``value(yhat, y)`` — the loss on NumPy arrays;
* ``torch_value(yhat, y)`` — the same in torch, for training the non-convex network;
* ``cvxpy_value(yhat, y)`` — the same as a cvxpy expression, for the reference convex program;
* ``conjugate(v, y)`` — the Fenchel conjugate :math:`\ell^*(v)=\sup_z v^\top z-\ell(z)`,
  ``+inf`` outside its domain;
* ``dual_value(lam, y)`` — the dual objective :math:`-\ell^*(-\lambda)`;
* ``cvxpy_dual(lam, y)`` — that dual objective as a cvxpy expression plus the domain constraints;
* ``dual_point(yhat, y)`` — the KKT map :math:`\lambda=-\nabla\ell(\hat y)`.

With these, every two-layer or deep linear problem has the dual (MATH.md §3.4)

.. math:: \max_\lambda\ -\ell^*(-\lambda)\quad\text{s.t.}\quad \|X^\top\lambda\|_2\le\beta .

Scaling: losses are unnormalised (no :math:`1/n`), as everywhere in the book.

Introduced in :ref:`ch-preliminaries`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Loss", "Squared", "get_loss"]


class Loss:
    """Base class of the convex losses. Subclasses implement every method below."""

    #: short name used in messages and ``loss="..."`` strings
    name: str = "loss"

    def check_targets(self, y: np.ndarray, name: str = "y") -> np.ndarray:
        """Validate targets for this loss (e.g. labels in {-1, +1}); return them."""
        return y

    def value(self, yhat, y) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def torch_value(self, yhat, y):  # pragma: no cover - abstract
        raise NotImplementedError

    def cvxpy_value(self, yhat, y):  # pragma: no cover - abstract
        raise NotImplementedError

    def conjugate(self, v, y) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def dual_value(self, lam, y) -> float:
        r"""Dual objective :math:`-\ell^*(-\lambda)`; ``-inf`` outside the conjugate's domain."""
        return -self.conjugate(-np.asarray(lam, dtype=float), y)

    def cvxpy_dual(self, lam, y):  # pragma: no cover - abstract
        raise NotImplementedError

    def dual_point(self, yhat, y) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Squared(Loss):
    r"""Squared loss :math:`\ell(\hat y)=\tfrac12\|\hat y-y\|_2^2` (Frobenius for matrices).

    * Conjugate: :math:`\ell^*(v)=\tfrac12\|v\|^2+v^\top y` (domain: everything).
    * Dual objective: :math:`-\ell^*(-\lambda)=\lambda^\top y-\tfrac12\|\lambda\|^2
      =\tfrac12\|y\|^2-\tfrac12\|\lambda-y\|^2`.
    * KKT: :math:`\lambda^\star=y-\hat y^\star`, the residual.

    Introduced in :ref:`ch-two-layer-linear`.
    """

    name = "squared"

    def value(self, yhat, y) -> float:
        r = np.asarray(yhat, dtype=float) - np.asarray(y, dtype=float)
        return 0.5 * float(np.sum(r * r))

    def torch_value(self, yhat, y):
        return 0.5 * ((yhat - y) ** 2).sum()

    def cvxpy_value(self, yhat, y):
        import cvxpy as cp

        return 0.5 * cp.sum_squares(yhat - y)

    def conjugate(self, v, y) -> float:
        v = np.asarray(v, dtype=float)
        return 0.5 * float(np.sum(v * v)) + float(np.sum(v * np.asarray(y, dtype=float)))

    def cvxpy_dual(self, lam, y):
        import cvxpy as cp

        return cp.sum(cp.multiply(lam, y)) - 0.5 * cp.sum_squares(lam), []

    def dual_point(self, yhat, y) -> np.ndarray:
        return np.asarray(y, dtype=float) - np.asarray(yhat, dtype=float)


_LOSSES = {"squared": Squared}


def get_loss(loss) -> Loss:
    """Return a :class:`Loss` from an instance, a class or a name such as ``"squared"``."""
    if loss is None:
        return Squared()
    if isinstance(loss, Loss):
        return loss
    if isinstance(loss, type) and issubclass(loss, Loss):
        return loss()
    if isinstance(loss, str) and loss.lower() in _LOSSES:
        return _LOSSES[loss.lower()]()
    raise ValueError(
        f"loss must be a dualkit.losses.Loss or one of {sorted(_LOSSES)}; got {loss!r}."
    )
