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
* ``dual_point(yhat, y)`` — the KKT map :math:`\lambda=-\nabla\ell(\hat y)`;
* ``domain_violation(lam, y)`` — how far :math:`-\lambda` is outside the conjugate's domain
  (``None`` where the domain is everything), for the messages of ``dk.check``.

With these, every two-layer or deep linear problem has the dual (:ref:`app-losses`)

.. math:: \max_\lambda\ -\ell^*(-\lambda)\quad\text{s.t.}\quad \|X^\top\lambda\|_2\le\beta .

Scaling: losses are unnormalised (no :math:`1/n`), as everywhere in the book.

Introduced in :ref:`ch-preliminaries`; the squared loss is used from
:ref:`ch-two-layer-linear` on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

if TYPE_CHECKING:
    import cvxpy as cp
    import torch

__all__ = ["Loss", "Squared", "Absolute", "Hinge", "Logistic", "CrossEntropy", "get_loss"]

#: what :meth:`Loss.domain_violation` returns: ``(name, value, bound, slack, condition)``
DomainViolation = tuple[str, float, float, float, str]


class Loss:
    r"""Base class of the convex losses: the interface every problem class calls.

    A loss is a convex function :math:`\ell(\hat y)` of the predictions with the targets
    :math:`y` fixed, summed over the samples (no :math:`1/n`). Subclasses implement
    :meth:`value`, :meth:`torch_value`, :meth:`cvxpy_value`, :meth:`conjugate`,
    :meth:`cvxpy_dual` and :meth:`dual_point`; :meth:`check_targets`, :meth:`domain_violation`
    and :meth:`project_dual` have defaults for a conjugate whose domain is everything (the
    squared loss).

    Conventions shared by every method:

    * ``yhat`` and ``y`` have the same shape: ``(n,)`` for a scalar output, ``(n, K)`` for a
      vector output (the cross-entropy needs ``(n, K)``, the hinge and logistic losses ``(n,)``);
    * a dual variable ``lam`` (:math:`\lambda`, or :math:`\Lambda` for vector outputs) has the
      shape of ``y``; the dual objective of a network problem is :math:`-\ell^*(-\lambda)`
      (:ref:`app-losses`), so the conjugate is always evaluated at :math:`-\lambda`;
    * NumPy methods take array-likes and return Python floats or float64 arrays; the torch
      and cvxpy methods take and return the objects of their library.

    Examples
    --------
    >>> import numpy as np
    >>> loss = get_loss("squared")
    >>> yhat, y = np.array([1.0, 2.0]), np.array([0.0, 2.0])
    >>> loss.value(yhat, y)
    0.5
    >>> lam = loss.dual_point(yhat, y)     # the residual y - yhat
    >>> lam
    array([-1.,  0.])
    >>> # Fenchel-Young holds with equality at lam = -grad l(yhat)
    >>> bool(np.isclose(loss.dual_value(lam, y), loss.value(yhat, y) + lam @ yhat))
    True
    """

    #: short name used in messages and ``loss="..."`` strings
    name: str = "loss"

    def check_targets(self, y: np.ndarray, name: str = "y") -> np.ndarray:
        r"""Validate targets for this loss and return them.

        Parameters
        ----------
        y : ndarray
            The targets.
        name : str, optional
            The argument's name in error messages.

        Returns
        -------
        ndarray
            The targets (labels in :math:`\{-1,+1\}` for the hinge and logistic losses,
            one-hot rows for the cross-entropy).

        Raises
        ------
        ValueError
            If the targets are not of the form the loss needs (the message says how to fix
            them, e.g. ``2*y - 1`` for 0/1 labels).
        """
        return y

    def value(self, yhat: ArrayLike, y: ArrayLike) -> float:  # pragma: no cover - abstract
        r"""The loss :math:`\ell(\hat y)=\sum_i\ell_i(\hat y_i)` on NumPy arrays.

        Parameters
        ----------
        yhat : array-like of shape (n,) or (n, K)
            Predictions.
        y : array-like
            Targets, of the shape of ``yhat``.

        Returns
        -------
        float
        """
        raise NotImplementedError

    def torch_value(self, yhat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:  # pragma: no cover
        r"""The loss :math:`\ell(\hat y)` as a differentiable torch scalar (training the network).

        Parameters
        ----------
        yhat : torch.Tensor of shape (n,) or (n, K)
            Predictions of the network.
        y : torch.Tensor
            Targets, of the shape of ``yhat``.

        Returns
        -------
        torch.Tensor
            A 0-dimensional tensor.
        """
        raise NotImplementedError

    def cvxpy_value(self, yhat: cp.Expression, y: ArrayLike) -> cp.Expression:  # pragma: no cover
        r"""The loss :math:`\ell(\hat y)` as a convex cvxpy expression (the reference programs).

        Parameters
        ----------
        yhat : cvxpy.Expression of shape (n,) or (n, K)
            Affine predictions of the convex program.
        y : array-like
            Targets, of the shape of ``yhat``.

        Returns
        -------
        cvxpy.Expression
            A convex scalar expression.
        """
        raise NotImplementedError

    def conjugate(self, v: ArrayLike, y: ArrayLike) -> float:  # pragma: no cover - abstract
        r"""The Fenchel conjugate :math:`\ell^*(v)=\sup_z\ v^\top z-\ell(z)`.

        Parameters
        ----------
        v : array-like of the shape of ``y``
            The point at which the conjugate is evaluated (the dual objective uses
            :math:`v=-\lambda`).
        y : array-like
            Targets.

        Returns
        -------
        float
            :math:`\ell^*(v)`, or ``inf`` when :math:`v` is outside the conjugate's domain
            (beyond a slack of ``DOMAIN_TOL`` for float64 rounding).
        """
        raise NotImplementedError

    def dual_value(self, lam: ArrayLike, y: ArrayLike) -> float:
        r"""The dual objective :math:`-\ell^*(-\lambda)`.

        Parameters
        ----------
        lam : array-like of the shape of ``y``
            Dual variable :math:`\lambda`.
        y : array-like
            Targets.

        Returns
        -------
        float
            :math:`-\ell^*(-\lambda)`; ``-inf`` outside the conjugate's domain. For any
            :math:`\lambda` and :math:`\hat y`, :math:`-\ell^*(-\lambda)\le\ell(\hat y)+
            \lambda^\top\hat y` (Fenchel–Young).
        """
        return -self.conjugate(-np.asarray(lam, dtype=float), y)

    def cvxpy_dual(self, lam: cp.Expression,
                   y: ArrayLike) -> tuple[cp.Expression, list[cp.Constraint]]:  # pragma: no cover
        r"""The dual objective :math:`-\ell^*(-\lambda)` as a concave cvxpy expression.

        Parameters
        ----------
        lam : cvxpy.Variable of the shape of ``y``
            Dual variable of the convex program.
        y : array-like
            Targets.

        Returns
        -------
        objective : cvxpy.Expression
            Concave in ``lam``; equal to :meth:`Loss.dual_value` on the domain.
        constraints : list of cvxpy.Constraint
            The domain of :math:`-\ell^*(-\lambda)` (empty when it is everything).
        """
        raise NotImplementedError

    def dual_point(self, yhat: ArrayLike, y: ArrayLike) -> np.ndarray:  # pragma: no cover
        r"""The KKT map :math:`\lambda=-\nabla\ell(\hat y)` (a subgradient where
        :math:`\ell` is not differentiable).

        At the optimal predictions :math:`\hat y^\star` of a network problem this is the dual
        optimum :math:`\lambda^\star`; at any predictions it is a candidate dual point that a
        problem scales into its dual constraint (``feasible_dual``).

        Parameters
        ----------
        yhat : array-like of shape (n,) or (n, K)
            Predictions.
        y : array-like
            Targets, of the shape of ``yhat``.

        Returns
        -------
        ndarray of the shape of ``y``
            A point in the conjugate's domain.
        """
        raise NotImplementedError

    def domain_violation(self, lam: ArrayLike, y: ArrayLike) -> DomainViolation | None:
        r"""The domain condition of :math:`-\ell^*(-\lambda)` that ``lam`` violates most, for
        the messages of :func:`dualkit.check.dual_point`.

        Parameters
        ----------
        lam : array-like of the shape of ``y``
            Dual variable :math:`\lambda`.
        y : array-like
            Targets.

        Returns
        -------
        tuple or None
            ``(name, value, bound, slack, condition)``: the dual objective is finite exactly
            when ``value <= bound + slack`` for every condition; ``name`` and ``condition``
            are readable text. ``None`` when the domain is everything (the squared loss).
        """
        return None

    def project_dual(self, lam: ArrayLike, y: ArrayLike) -> np.ndarray:
        """A point of the conjugate's domain close to ``lam`` (by clipping), to repair solver
        round-off before a dual point is certified.

        The domain always contains 0 and is convex, so scaling the result toward 0 (as
        ``feasible_dual`` does for the norm constraint) keeps it inside.

        Parameters
        ----------
        lam : array-like of the shape of ``y``
            Dual variable, e.g. from a solver.
        y : array-like
            Targets.

        Returns
        -------
        ndarray of the shape of ``y``
        """
        return np.asarray(lam, dtype=float)

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

    def value(self, yhat: ArrayLike, y: ArrayLike) -> float:
        r = np.asarray(yhat, dtype=float) - np.asarray(y, dtype=float)
        return 0.5 * float(np.sum(r * r))

    def torch_value(self, yhat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return 0.5 * ((yhat - y) ** 2).sum()

    def cvxpy_value(self, yhat: cp.Expression, y: ArrayLike) -> cp.Expression:
        import cvxpy as cp

        return 0.5 * cp.sum_squares(yhat - y)

    def conjugate(self, v: ArrayLike, y: ArrayLike) -> float:
        v = np.asarray(v, dtype=float)
        return 0.5 * float(np.sum(v * v)) + float(np.sum(v * np.asarray(y, dtype=float)))

    def cvxpy_dual(self, lam: cp.Expression,
                   y: ArrayLike) -> tuple[cp.Expression, list[cp.Constraint]]:
        import cvxpy as cp

        return cp.sum(cp.multiply(lam, y)) - 0.5 * cp.sum_squares(lam), []

    def dual_point(self, yhat: ArrayLike, y: ArrayLike) -> np.ndarray:
        return np.asarray(y, dtype=float) - np.asarray(yhat, dtype=float)


#: slack allowed on the conjugate's domain (|y_i lam_i| <= 1 etc.) for float64 rounding
DOMAIN_TOL = 1e-12


def _check_pm1(y: ArrayLike, name: str, loss: str) -> np.ndarray:
    y = np.asarray(y, dtype=float)
    bad = ~np.isin(y, (-1.0, 1.0))
    if y.ndim != 1 or bad.any():
        vals = np.unique(y[bad])[:5] if y.ndim == 1 else f"shape {y.shape}"
        raise ValueError(
            f"{name} must be a vector of labels in {{-1, +1}} for the {loss} loss; got values {vals}. "
            "Map {0, 1} labels with 2*y - 1."
        )
    return y


def _unit_interval_violation(lam: ArrayLike, y: ArrayLike, loss: str) -> DomainViolation:
    """The domain 0 <= y_i lam_i <= 1 of the hinge and logistic duals, as domain_violation."""
    p = np.asarray(y, float) * np.asarray(lam, float)
    out = float(np.max(np.maximum(-p, p - 1), initial=0.0))
    return ("max_i distance of y_iλ_i from [0, 1]", max(out, 0.0), 0.0, DOMAIN_TOL,
            f"0 ≤ y_iλ_i ≤ 1 for every i (the domain of the {loss} loss's conjugate)")


def _neg_entropy(p: np.ndarray) -> float:
    """sum p log p with 0 log 0 = 0 (p already clipped to its domain)."""
    from scipy.special import xlogy

    return float(np.sum(xlogy(p, p)))


class Absolute(Loss):
    r"""Absolute loss :math:`\ell(\hat y)=\|\hat y-y\|_1`.

    * Conjugate: :math:`\ell^*(v)=v^\top y` if :math:`\|v\|_\infty\le1`, else :math:`+\infty`.
    * Dual objective: :math:`\lambda^\top y` with :math:`\|\lambda\|_\infty\le1`.
    * KKT: :math:`\lambda^\star\in\operatorname{sign}(y-\hat y^\star)` (a subgradient).
    """

    name = "absolute"

    def value(self, yhat: ArrayLike, y: ArrayLike) -> float:
        return float(np.sum(np.abs(np.asarray(yhat, float) - np.asarray(y, float))))

    def torch_value(self, yhat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return (yhat - y).abs().sum()

    def cvxpy_value(self, yhat: cp.Expression, y: ArrayLike) -> cp.Expression:
        import cvxpy as cp

        return cp.sum(cp.abs(yhat - y))

    def conjugate(self, v: ArrayLike, y: ArrayLike) -> float:
        v = np.asarray(v, float)
        if np.max(np.abs(v), initial=0.0) > 1 + DOMAIN_TOL:
            return np.inf
        return float(np.sum(v * np.asarray(y, float)))

    def cvxpy_dual(self, lam: cp.Expression,
                   y: ArrayLike) -> tuple[cp.Expression, list[cp.Constraint]]:
        import cvxpy as cp

        # entrywise |lam| <= 1 (cp.norm(., "inf") of a matrix would be the max row sum)
        return cp.sum(cp.multiply(lam, y)), [cp.abs(lam) <= 1]

    def domain_violation(self, lam: ArrayLike, y: ArrayLike) -> DomainViolation:
        return ("max_i |λ_i|", float(np.max(np.abs(lam), initial=0.0)), 1.0, DOMAIN_TOL,
                "|λ_i| ≤ 1 for every i (the domain of the absolute loss's conjugate)")

    def project_dual(self, lam: ArrayLike, y: ArrayLike) -> np.ndarray:
        return np.clip(np.asarray(lam, float), -1.0, 1.0)

    def dual_point(self, yhat: ArrayLike, y: ArrayLike) -> np.ndarray:
        return np.sign(np.asarray(y, float) - np.asarray(yhat, float))


class Hinge(Loss):
    r"""Hinge loss :math:`\ell(\hat y)=\sum_i(1-y_i\hat y_i)_+` with labels :math:`y_i\in\{\pm1\}`.

    * Conjugate: :math:`\ell^*(v)=\sum_iy_iv_i` if :math:`-1\le y_iv_i\le0`, else :math:`+\infty`.
    * Dual objective: :math:`\sum_iy_i\lambda_i` with :math:`0\le y_i\lambda_i\le1`.
    * KKT: :math:`\lambda^\star_i=y_i` on margin violators (:math:`y_i\hat y_i<1`), 0 beyond.
    """

    name = "hinge"

    def check_targets(self, y: ArrayLike, name: str = "y") -> np.ndarray:
        return _check_pm1(y, name, self.name)

    def value(self, yhat: ArrayLike, y: ArrayLike) -> float:
        return float(np.sum(np.maximum(1 - np.asarray(y, float) * np.asarray(yhat, float), 0)))

    def torch_value(self, yhat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        import torch

        return torch.clamp(1 - y * yhat, min=0).sum()

    def cvxpy_value(self, yhat: cp.Expression, y: ArrayLike) -> cp.Expression:
        import cvxpy as cp

        return cp.sum(cp.pos(1 - cp.multiply(y, yhat)))

    def conjugate(self, v: ArrayLike, y: ArrayLike) -> float:
        yv = np.asarray(y, float) * np.asarray(v, float)
        if np.any(yv > DOMAIN_TOL) or np.any(yv < -1 - DOMAIN_TOL):
            return np.inf
        return float(np.sum(yv))

    def cvxpy_dual(self, lam: cp.Expression,
                   y: ArrayLike) -> tuple[cp.Expression, list[cp.Constraint]]:
        import cvxpy as cp

        p = cp.multiply(y, lam)
        return cp.sum(p), [p >= 0, p <= 1]

    def domain_violation(self, lam: ArrayLike, y: ArrayLike) -> DomainViolation:
        return _unit_interval_violation(lam, y, self.name)

    def project_dual(self, lam: ArrayLike, y: ArrayLike) -> np.ndarray:
        y = np.asarray(y, float)
        return y * np.clip(y * np.asarray(lam, float), 0.0, 1.0)

    def dual_point(self, yhat: ArrayLike, y: ArrayLike) -> np.ndarray:
        y = np.asarray(y, float)
        return y * (y * np.asarray(yhat, float) < 1)


class Logistic(Loss):
    r"""Logistic loss :math:`\ell(\hat y)=\sum_i\log(1+e^{-y_i\hat y_i})`, labels :math:`\pm1`.

    * Conjugate: :math:`\ell^*(v)=\sum_i[p_i\log p_i+(1-p_i)\log(1-p_i)]` with
      :math:`p_i=-y_iv_i\in[0,1]`, else :math:`+\infty`.
    * Dual objective: :math:`\sum_iH(y_i\lambda_i)`, :math:`H(p)=-p\log p-(1-p)\log(1-p)`.
    * KKT: :math:`\lambda^\star_i=y_i\,\sigma(-y_i\hat y_i^\star)` (:math:`\sigma` the sigmoid).

    On separable data with a tiny :math:`\beta` the optimum has a huge norm and the exponential
    cone solve is inaccurate (measured: relative gap 6e-3 at :math:`\beta=10^{-6}`); the solution
    then reports ``certified=False``.
    """

    name = "logistic"

    def check_targets(self, y: ArrayLike, name: str = "y") -> np.ndarray:
        return _check_pm1(y, name, self.name)

    def value(self, yhat: ArrayLike, y: ArrayLike) -> float:
        return float(np.sum(np.logaddexp(0.0, -np.asarray(y, float) * np.asarray(yhat, float))))

    def torch_value(self, yhat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        import torch

        return torch.nn.functional.softplus(-y * yhat).sum()

    def cvxpy_value(self, yhat: cp.Expression, y: ArrayLike) -> cp.Expression:
        import cvxpy as cp

        return cp.sum(cp.logistic(-cp.multiply(y, yhat)))

    def conjugate(self, v: ArrayLike, y: ArrayLike) -> float:
        p = -np.asarray(y, float) * np.asarray(v, float)
        if np.any(p < -DOMAIN_TOL) or np.any(p > 1 + DOMAIN_TOL):
            return np.inf
        p = np.clip(p, 0.0, 1.0)
        return _neg_entropy(p) + _neg_entropy(1 - p)

    def cvxpy_dual(self, lam: cp.Expression,
                   y: ArrayLike) -> tuple[cp.Expression, list[cp.Constraint]]:
        import cvxpy as cp

        p = cp.multiply(y, lam)
        return cp.sum(cp.entr(p) + cp.entr(1 - p)), []

    def domain_violation(self, lam: ArrayLike, y: ArrayLike) -> DomainViolation:
        return _unit_interval_violation(lam, y, self.name)

    def project_dual(self, lam: ArrayLike, y: ArrayLike) -> np.ndarray:
        y = np.asarray(y, float)
        return y * np.clip(y * np.asarray(lam, float), 0.0, 1.0)

    def dual_point(self, yhat: ArrayLike, y: ArrayLike) -> np.ndarray:
        from scipy.special import expit

        y = np.asarray(y, float)
        return y * expit(-y * np.asarray(yhat, float))


class CrossEntropy(Loss):
    r"""Multiclass cross-entropy
    :math:`\ell(\hat Y)=\sum_i[\operatorname{lse}(\hat Y_i)-\langle Y_i,\hat Y_i\rangle]`
    with one-hot targets :math:`Y\in\{0,1\}^{n\times K}` (vector outputs).

    * Conjugate: :math:`\ell^*(V)=\sum_{i,k}q_{ik}\log q_{ik}` with rows
      :math:`q_i=V_i+Y_i` in the simplex :math:`\Delta_K`, else :math:`+\infty`.
    * Dual objective: :math:`\sum_iH(q_i)` with :math:`Q=Y-\Lambda` row-stochastic.
    * KKT: :math:`\Lambda^\star=Y-\operatorname{softmax}(\hat Y^\star)`.
    """

    name = "cross_entropy"

    def check_targets(self, y: ArrayLike, name: str = "Y") -> np.ndarray:
        Y = np.asarray(y, dtype=float)
        if Y.ndim != 2 or Y.shape[1] < 2:
            raise ValueError(
                f"{name} must be one-hot targets of shape (n, K) with K >= 2 for the "
                f"cross-entropy loss; got shape {Y.shape}."
            )
        if not np.isin(Y, (0.0, 1.0)).all() or not np.all(Y.sum(axis=1) == 1):
            raise ValueError(
                f"{name} must be one-hot: entries 0/1 with exactly one 1 per row "
                "(e.g. np.eye(K)[labels])."
            )
        return Y

    def value(self, yhat: ArrayLike, y: ArrayLike) -> float:
        from scipy.special import logsumexp

        Z = np.asarray(yhat, float)
        return float(np.sum(logsumexp(Z, axis=1)) - np.sum(np.asarray(y, float) * Z))

    def torch_value(self, yhat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        import torch

        return torch.logsumexp(yhat, dim=1).sum() - (y * yhat).sum()

    def cvxpy_value(self, yhat: cp.Expression, y: ArrayLike) -> cp.Expression:
        import cvxpy as cp

        return cp.sum(cp.log_sum_exp(yhat, axis=1)) - cp.sum(cp.multiply(y, yhat))

    def conjugate(self, v: ArrayLike, y: ArrayLike) -> float:
        Q = np.asarray(v, float) + np.asarray(y, float)
        if np.any(Q < -DOMAIN_TOL) or np.any(np.abs(Q.sum(axis=1) - 1) > 1e-9):
            return np.inf
        return _neg_entropy(np.clip(Q, 0.0, 1.0))

    def cvxpy_dual(self, lam: cp.Expression,
                   y: ArrayLike) -> tuple[cp.Expression, list[cp.Constraint]]:
        import cvxpy as cp

        Q = y - lam
        return cp.sum(cp.entr(Q)), [Q >= 0, cp.sum(Q, axis=1) == 1]

    def domain_violation(self, lam: ArrayLike, y: ArrayLike) -> DomainViolation:
        Q = np.asarray(y, float) - np.asarray(lam, float)
        neg = float(max(-Q.min(initial=0.0), 0.0))
        rows = float(np.max(np.abs(Q.sum(axis=1) - 1), initial=0.0))
        if neg > DOMAIN_TOL or rows <= 1e-9:
            return ("max_ik (Λ − Y)_ik", neg, 0.0, DOMAIN_TOL,
                    "every entry of Y − Λ ≥ 0 (its rows are probability vectors: the domain "
                    "of the cross-entropy's conjugate)")
        return ("max_i |Σ_k Λ_ik|", rows, 0.0, 1e-9,
                "every row of Λ sums to 0 (the rows of Y − Λ are probability vectors: the "
                "domain of the cross-entropy's conjugate)")

    def project_dual(self, lam: ArrayLike, y: ArrayLike) -> np.ndarray:
        Y = np.asarray(y, float)
        Q = np.clip(Y - np.asarray(lam, float), 0.0, None)
        sums = Q.sum(axis=1, keepdims=True)
        # clip and renormalise each row of Q = Y - lam; a row with nothing left falls back to
        # Q_i = Y_i (lam_i = 0), which is in the simplex
        Q = np.where(sums > 0, Q / np.where(sums > 0, sums, 1.0), Y)
        return Y - Q

    def dual_point(self, yhat: ArrayLike, y: ArrayLike) -> np.ndarray:
        from scipy.special import softmax

        return np.asarray(y, float) - softmax(np.asarray(yhat, float), axis=1)


_LOSSES = {
    "squared": Squared,
    "absolute": Absolute,
    "hinge": Hinge,
    "logistic": Logistic,
    "cross_entropy": CrossEntropy,
}


def get_loss(loss: Loss | type[Loss] | str | None) -> Loss:
    """The :class:`Loss` named by ``loss``: every problem's ``loss=`` argument goes through it.

    Parameters
    ----------
    loss : Loss, type, str or None
        An instance (returned as is), a class (instantiated), a name (``"squared"``,
        ``"absolute"``, ``"hinge"``, ``"logistic"`` or ``"cross_entropy"``, any case) or
        ``None`` (the squared loss).

    Returns
    -------
    Loss

    Raises
    ------
    ValueError
        For any other value; the message lists the names.

    Examples
    --------
    >>> get_loss("hinge")
    Hinge()
    >>> get_loss(None).name
    'squared'
    """
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
