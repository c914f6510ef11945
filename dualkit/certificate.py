r"""Certify your own PyTorch network: :func:`~dualkit.certify` and the table of
:data:`~dualkit.certificate.CONVENTIONS`.

A network trained the usual PyTorch way minimises (up to the optimizer's stopping point)

.. math:: J(\theta)=\mathcal L_{\rm torch}(f_\theta(X),y)
          +\sum_{p\in\theta}\tfrac{\mathrm{wd}_p}2\|p\|^2 ,

where :math:`\mathrm{wd}_p` is the ``weight_decay`` of the optimizer's parameter group holding
:math:`p` (0 for a parameter that is not decayed). :func:`~dualkit.certify` recognises :math:`f_\theta`,
maps :math:`J` to the objective of one of dualkit's problems and compares the network with that
problem's certified optimum. The derivations:

**Loss scale.** Every torch loss used here is a positive multiple of a dualkit loss,
:math:`\mathcal L_{\rm torch}=a\,\ell`:

* ``nn.MSELoss()`` (mean over the :math:`nK` entries of an :math:`n\times K` output):
  :math:`\frac1{nK}\sum r^2=\frac2{nK}\cdot\frac12\sum r^2`, so :math:`a=2/(nK)`;
  ``reduction="sum"``: :math:`a=2`; the string ``"squared"`` is dualkit's
  :math:`\tfrac12\sum r^2` itself, :math:`a=1`;
* ``nn.BCEWithLogitsLoss()`` with 0/1 targets :math:`t`:
  :math:`-t\log\sigma(z)-(1-t)\log(1-\sigma(z))=\log(1+e^{-sz})` with :math:`s=2t-1`, the
  logistic loss with labels :math:`\pm1`, so :math:`a=1/n` (mean) or 1 (sum);
* ``nn.CrossEntropyLoss()`` with class indices :math:`c_i`:
  :math:`-\log\operatorname{softmax}(z_i)_{c_i}=\operatorname{lse}(z_i)-\langle e_{c_i},z_i\rangle`,
  dualkit's cross-entropy with one-hot targets: :math:`a=1/n` (mean) or 1 (sum).

**Coupled weight decay.** SGD, Adam, RMSprop, Adagrad, ... add :math:`\mathrm{wd}\cdot p` to the
gradient, the gradient of :math:`\frac{\mathrm{wd}}2\|p\|^2`: their fixed points are the
stationary points of :math:`J`. If every weight matrix has the same decay :math:`\mathrm{wd}`,

.. math:: J=a\Big(\ell+\tfrac{\mathrm{wd}}{2a}\sum_l\|W_l\|_F^2\Big)=a\,P_\beta(\theta),
          \qquad\beta=\mathrm{wd}/a ,

e.g. :math:`\beta=nK\,\mathrm{wd}/2` for the mean MSE. **Different decays per layer**
:math:`\mathrm{wd}_1,\dots,\mathrm{wd}_L` (parameter groups): by positive homogeneity of the
linear and ReLU layers, :math:`W_l=c_lV_l` with :math:`\prod_lc_l=1` (hidden biases scale with
:math:`c_1\cdots c_l`) leaves :math:`f` unchanged, and :math:`c_l^2=g/\mathrm{wd}_l` with
:math:`g=(\prod_l\mathrm{wd}_l)^{1/L}` (their product is 1) turns every penalty into
:math:`\frac g2\|V_l\|^2`. This change of variables is a bijection, so
:math:`\min J=a\,P^\star_{\beta}` with :math:`\beta=g/a` exactly (a decayed hidden bias keeps
the bias convention only if its decay equals its layer's, :math:`\mathrm{wd}_{b_1}=\mathrm{wd}_1`).
A weight matrix without decay makes the infimum the unregularized loss, not attained in
general: refused. **AdamW** (decoupled decay) shrinks :math:`p` by
:math:`\eta\,\mathrm{wd}\,p` outside the adaptive step; its fixed points depend on the
step-size normalisation and minimise no fixed objective, so :func:`~dualkit.certify` needs an explicit
``beta=`` (the certified objective is then :math:`\ell+\frac\beta2\sum\|p\|^2` over the decayed
parameters).

**Biases.** With :math:`h` the hidden and :math:`o` the output bias of a two-layer ReLU
network: neither → ``bias="none"``; :math:`h` decayed like :math:`W_1`, no :math:`o` →
``"regularized"`` (:math:`h` is a row of the decayed weight); :math:`h,o` both undecayed →
``"free"`` (``ReLU1D`` on 1-D inputs). These three are exact: the bound is the optimum of the
user's own objective. Any other combination (PyTorch's default: both biases present and
decayed) is *relaxed* to ``"free"``: a bias that is decayed, or absent, is replaced by a free
one; the relaxed family contains the user's networks and its penalty is at most theirs, so for
every :math:`\theta`

.. math:: J_{\rm user}(\theta)/a\ \ge\ P_{\rm relaxed}(\theta)\ \ge\ P^\star_{\rm relaxed},

a valid lower bound, not tight in general (the report says ``exact=False``). Linear networks:
:math:`f=XW_1\cdots W_L+\mathbf 1c^\top` where :math:`c` collects every bias's contribution; a
free output bias makes :math:`c` arbitrary (the hidden biases, free, change nothing), and
:math:`\min_c\frac12\|XW+\mathbf 1c^\top-y\|^2=\frac12\|X_cW-y_c\|^2` with centred
:math:`X_c=X-\mathbf 1\bar x^\top`, :math:`y_c=y-\bar y` (at :math:`c=\bar y-W^\top\bar x`), so
the problem on centred data is exact; other bias settings are relaxed to it (a bound).

**Problems.** Linear–Linear → :class:`~dualkit.TwoLayerLinear` (strong duality: certified);
:math:`\ge3` Linear → :class:`~dualkit.DeepLinearWeightDecay` (weight decay on every layer): its
optimum is computed exactly along the ridge path, but for depth :math:`\ge3` that is not a
duality certificate: the Lagrangian dual bound is valid and tight only at depth 2;
Linear–ReLU–Linear → :class:`~dualkit.ReLU1D` (1-D inputs, free biases) or
:class:`~dualkit.TwoLayerReLU`; deeper ReLU networks → no certificate (the objective is still
reported). :class:`~dualkit.RankOneReLU` constrains :math:`\|W_l\|_F\le t` in its first
:math:`L-2` layers, a convention that optimizer weight decay never produces, so it is not used.

**The optimal network** is written into a deep copy of the user's module: layer :math:`l` gets
:math:`c_l` times the problem's optimal :math:`W_l` (the inverse of the rescaling above), zero
neurons fill a larger width; a width below the optimum's number of neurons gives a wider copy
(the report says so).
"""

from __future__ import annotations

import copy
import math
import numbers
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from ._validation import finite_or_raise

if TYPE_CHECKING:
    import torch
    from torch import nn

    from .problems.base import Problem


__all__ = ["certify", "CertifyReport", "CONVENTIONS"]

#: The conventions :func:`~dualkit.certify` maps, one row each: the PyTorch setting, the dualkit loss or
#: problem it maps to, :math:`\beta` (with :math:`\mathrm{wd}` the optimizer's weight decay, n
#: samples, K outputs), and whether the bound is the optimum of the user's own objective
#: (``"exact"``), a valid lower bound (``"bound"``) or refused. ``tests/test_certify.py`` checks
#: each row numerically.
CONVENTIONS: list[dict[str, str]] = [
    {"PyTorch": "nn.MSELoss() (mean)", "dualkit": "squared loss ½Σr², a = 2/(nK)",
     "β": "nK·wd/2", "result": "exact"},
    {"PyTorch": 'nn.MSELoss(reduction="sum")', "dualkit": "squared loss ½Σr², a = 2",
     "β": "wd/2", "result": "exact"},
    {"PyTorch": 'loss="squared" (½Σr²)', "dualkit": "squared loss, a = 1", "β": "wd",
     "result": "exact"},
    {"PyTorch": "nn.BCEWithLogitsLoss() (mean), 0/1 targets",
     "dualkit": "logistic loss, labels 2t−1, a = 1/n (linear and two-layer ReLU networks)",
     "β": "n·wd",
     "result": "exact"},
    {"PyTorch": "nn.CrossEntropyLoss() (mean), class indices",
     "dualkit": "cross-entropy, one-hot targets, a = 1/n (linear networks)", "β": "n·wd",
     "result": "exact"},
    {"PyTorch": "SGD / Adam / RMSprop / Adagrad, weight_decay=wd",
     "dualkit": "coupled L2 penalty (wd/2)‖θ‖²", "β": "wd/a", "result": "exact"},
    {"PyTorch": "per-layer weight decay wd₁, …, wd_L (parameter groups)",
     "dualkit": "rescaled layers, equal penalty", "β": "(wd₁⋯wd_L)^(1/L)/a", "result": "exact"},
    {"PyTorch": "AdamW(weight_decay=wd) (decoupled)", "dualkit": "no fixed objective",
     "β": "pass beta= explicitly", "result": "refused without beta="},
    {"PyTorch": "a weight matrix with weight_decay=0", "dualkit": "infimum not attained",
     "β": "—", "result": "refused"},
    {"PyTorch": "Linear–ReLU–Linear, bias=False everywhere", "dualkit": 'TwoLayerReLU(bias="none")',
     "β": "as above", "result": "exact"},
    {"PyTorch": "hidden bias decayed like W₁, output bias=False",
     "dualkit": 'TwoLayerReLU(bias="regularized")', "β": "as above", "result": "exact"},
    {"PyTorch": "hidden and output bias not decayed (their group has weight_decay=0)",
     "dualkit": 'TwoLayerReLU(bias="free"); ReLU1D for 1-D inputs', "β": "as above",
     "result": "exact"},
    {"PyTorch": "default: hidden and output bias both decayed (any other bias setting)",
     "dualkit": 'relaxed to bias="free"', "β": "as above", "result": "bound (valid, not tight)"},
    {"PyTorch": "linear layers, no biases", "dualkit": "TwoLayerLinear / DeepLinearWeightDecay",
     "β": "as above", "result": "exact"},
    {"PyTorch": "linear layers, free output bias (hidden biases free or absent)",
     "dualkit": "the same on centred X, y", "β": "as above", "result": "exact"},
    {"PyTorch": "linear layers, other bias settings (e.g. decayed)",
     "dualkit": "relaxed: centred X, y", "β": "as above", "result": "bound (valid, not tight)"},
    {"PyTorch": "≥ 3 Linear layers", "dualkit": "DeepLinearWeightDecay",
     "β": "as above", "result": "exact optimum; dual bound tight only at depth 2"},
    {"PyTorch": "deeper ReLU networks", "dualkit": "none", "β": "as above",
     "result": "no certificate (objective reported)"},
]

#: optimizers whose ``weight_decay`` adds wd·p to the gradient (the coupled L2 penalty)
_COUPLED = ("SGD", "Adam", "RMSprop", "Adagrad", "Adamax", "NAdam", "RAdam", "ASGD", "Adadelta",
            "SparseAdam")


@dataclass
class CertifyReport:
    r"""What :func:`~dualkit.certify` found about a network: its objective, the certified lower bound,
    the gap and the optimal network.

    Attributes
    ----------
    problem : Problem or None
        The dualkit problem the network was mapped to (None where no certificate exists).
    beta : float or None
        Its regularization strength.
    scale : float
        :math:`a`: the user's objective is :math:`J=a\cdot` (the problem's objective).
    mapping : list of str
        The conventions used, one sentence each.
    objective : float
        The network's objective in the problem's units, :math:`J/a` (the user's own objective:
        decayed biases included).
    objective_torch : float
        :math:`J`, in PyTorch's units (loss plus :math:`\sum\frac{\mathrm{wd}}2\|p\|^2`).
    lower_bound : float or None
        A certified lower bound on :math:`\min J/a` (None where there is none).
    optimal_value : float or None
        The optimum of the (possibly relaxed) problem.
    exact : bool
        True when ``optimal_value`` is the optimum of the user's own objective (the convention
        matches a problem exactly); False for a relaxation (a valid, not tight, bound).
    certified : bool
        Whether the problem's solve was certified by its dual, or proved optimal by an exact
        argument (``solution.info["exact"]``, e.g. the ridge-path search of
        :class:`~dualkit.DeepLinearWeightDecay`).
    optimal_network : torch.nn.Module or None
        A deep copy of the model holding the optimal weights (a wider copy if the model is too
        narrow; see ``mapping``).
    optimal_network_objective : float or None
        The user's objective (problem units) of ``optimal_network``; equals ``optimal_value``
        when ``exact``.
    note : str
        Why there is no certificate, or what the bound means, in a sentence.
    solution : Solution or None
        The problem's solution.
    """

    problem: Any
    beta: float | None
    scale: float
    mapping: list[str]
    objective: float
    objective_torch: float
    lower_bound: float | None
    optimal_value: float | None
    exact: bool
    certified: bool
    optimal_network: Any = None
    optimal_network_objective: float | None = None
    note: str = ""
    solution: Any = field(default=None, repr=False)

    @property
    def gap(self) -> float | None:
        """``objective - lower_bound`` (problem units; >= 0), None without a bound."""
        if self.lower_bound is None:
            return None
        return self.objective - self.lower_bound

    @property
    def gap_torch(self) -> float | None:
        """The gap in PyTorch's units, ``scale * gap``."""
        gap = self.gap
        return None if gap is None else self.scale * gap

    @property
    def rel_gap(self) -> float | None:
        """``gap / |lower_bound|`` (None without a bound)."""
        if self.lower_bound is None:
            return None
        from .diagnostics import relative_gap
        return relative_gap(self.objective, self.lower_bound)

    def __repr__(self) -> str:
        name = "none" if self.problem is None else repr(self.problem)
        if self.lower_bound is None:
            bound = "lower_bound=None"
        else:
            bound = (f"lower_bound={self.lower_bound:.10g}, gap={self.gap:.4g}, "
                     f"rel_gap={self.rel_gap:.2e}")
        beta = "None" if self.beta is None else f"{self.beta:.6g}"
        return (f"CertifyReport(problem={name}, beta={beta}, objective={self.objective:.10g}, "
                f"{bound}, exact={self.exact}, certified={self.certified})")

    def _repr_html_(self) -> str:
        """A one-row table, then the mapping as a list (as ``Solution``'s table)."""
        import html

        from .book import table
        row = {"problem": "none" if self.problem is None else type(self.problem).__name__,
               r"$\beta$": "—" if self.beta is None else self.beta,
               "objective": self.objective,
               "lower bound": "—" if self.lower_bound is None else self.lower_bound,
               "relative gap": "—" if self.rel_gap is None else f"{self.rel_gap:.1e}",
               "exact": self.exact}
        items = "".join(f"<li>{html.escape(s)}</li>" for s in [*self.mapping, self.note] if s)
        return table(row, digits=8, caption="CertifyReport")._repr_html_() + f"<ul>{items}</ul>"


# ---------------------------------------------------------------------- the architecture
@dataclass
class _Arch:
    linears: list          # the nn.Linear modules, in call order
    kind: str              # "linear", "relu2", "deep_relu", "other"
    names: dict            # id(parameter) -> its name in the model
    lnames: list           # the Linear modules' names in the model, in call order
    relu_after: list       # whether a ReLU follows each Linear


def _architecture(model, Xt) -> _Arch:
    """The model's Linear and ReLU layers in call order, checked to reproduce ``model(X)``."""
    import torch
    from torch import nn

    calls: list = []
    hooks = []
    leaves = [(name, m) for name, m in model.named_modules() if not list(m.children())]
    for name, m in leaves:
        if isinstance(m, nn.Dropout) or isinstance(m, nn.modules.dropout._DropoutNd):
            if m.training and m.p > 0:
                raise ValueError(f"model: {name or 'the model'} is Dropout in train mode (a random "
                                 "map); call model.eval() before dk.certify.")
            continue
        if isinstance(m, (nn.Identity, nn.Flatten)):
            continue
        if not isinstance(m, (nn.Linear, nn.ReLU)):
            raise ValueError(f"model: module {name or '(the model itself)'} is "
                             f"{type(m).__name__}; dk.certify recognises networks made of "
                             "nn.Linear and nn.ReLU layers only.")
        hooks.append(m.register_forward_hook(lambda mod, i, o: calls.append(mod)))
    try:
        with torch.no_grad():
            out = model(Xt)
    finally:
        for h in hooks:
            h.remove()
    linears = [m for m in calls if isinstance(m, nn.Linear)]
    if not linears:
        raise ValueError("model: no nn.Linear layer was called in model(X).")
    if len({id(m) for m in linears}) != len(linears):
        raise ValueError("model: an nn.Linear layer is called twice (shared weights); dk.certify "
                         "needs each layer once.")
    names = {id(p): n for n, p in model.named_parameters()}
    owned = {id(p) for m in linears for p in m.parameters()}
    for pid, n in names.items():
        if pid not in owned:
            raise ValueError(f"model: parameter {n} belongs to no nn.Linear called in model(X); "
                             "dk.certify recognises networks made of nn.Linear and nn.ReLU only.")
    # rebuild the map in float64 and compare with the model's own output (skip connections,
    # functional calls in forward, ... do not reproduce it)
    X = Xt.detach().cpu().double().numpy()
    A, S = X, np.abs(X)
    for m in calls:
        if isinstance(m, nn.Linear):
            W = m.weight.detach().cpu().double().numpy()
            A, S = A @ W.T, S @ np.abs(W.T)
            if m.bias is not None:
                b = m.bias.detach().cpu().double().numpy()
                A, S = A + b, S + np.abs(b)
        else:
            A = np.maximum(A, 0.0)
    got = out.detach().cpu().double().numpy().reshape(A.shape) if out.numel() == A.size else None
    eps = float(torch.finfo(out.dtype).eps) if out.dtype.is_floating_point else 1.0
    fan = sum(m.in_features + 1 for m in linears)
    if got is None or np.any(np.abs(got - A) > 8 * eps * fan * (S + np.abs(got).max(initial=0))):
        raise ValueError("model: model(X) is not the composition of its nn.Linear and nn.ReLU "
                         "modules in call order (a skip connection, a functional activation such "
                         "as F.relu, or another operation in forward); write the network as "
                         "nn.Linear and nn.ReLU modules.")
    pattern = ["L" if isinstance(m, nn.Linear) else "R" for m in calls]
    # consecutive ReLUs are one ReLU (idempotent)
    squeezed = "".join(c for i, c in enumerate(pattern) if not (c == "R" and i and pattern[i - 1] == "R"))
    if "R" not in squeezed:
        kind = "linear"
    elif squeezed == "LRL":
        kind = "relu2"
    elif squeezed == "LR" * (len(linears) - 1) + "L":
        kind = "deep_relu"
    else:
        kind = "other"
    mod_names = {id(m): name for name, m in model.named_modules()}
    relu_after = [pattern[i + 1:i + 2] == ["R"] for i, c in enumerate(pattern) if c == "L"]
    return _Arch(linears, kind, names, [mod_names[id(m)] for m in linears], relu_after)


# ---------------------------------------------------------------------- the loss
def _loss_map(loss, n: int, K: int, y: np.ndarray) -> tuple[str, float, np.ndarray, str]:
    """(dualkit loss name, scale a, targets in dualkit's form, sentence)."""
    from torch import nn
    if isinstance(loss, str):
        if loss == "mse":
            loss = nn.MSELoss()
        elif loss == "squared":
            return "squared", 1.0, y, "loss='squared': dualkit's ½Σr² itself (a = 1)."
        else:
            raise ValueError(f"loss must be an nn.MSELoss, nn.BCEWithLogitsLoss or "
                             f"nn.CrossEntropyLoss instance, 'mse' or 'squared'; got {loss!r}.")
    if isinstance(loss, type) or not isinstance(loss, nn.Module):
        what = (f"the class {loss.__name__}; pass an instance, {loss.__name__}()"
                if isinstance(loss, type) else
                f"{type(loss).__name__} {getattr(loss, '__name__', '')}".rstrip()
                + "; pass the loss module, e.g. nn.MSELoss() for F.mse_loss")
        raise ValueError(f"loss must be an nn.MSELoss, nn.BCEWithLogitsLoss or "
                         f"nn.CrossEntropyLoss instance, 'mse' or 'squared'; got {what}.")
    red = getattr(loss, "reduction", None)
    if red not in ("mean", "sum"):
        raise ValueError(f"loss: reduction={red!r} is not a scalar objective; use 'mean' or 'sum'.")
    mean = red == "mean"
    if type(loss) is nn.MSELoss:
        a = 2.0 / (n * K) if mean else 2.0
        what = (f"nn.MSELoss() averages the n·K = {n * K} squared residuals: (1/(nK))Σr² = "
                f"(2/(nK))·(½Σr²), a = {a:.6g}" if mean else
                "nn.MSELoss(reduction='sum') is Σr² = 2·(½Σr²), a = 2")
        return "squared", a, y, what + "."
    if type(loss) is nn.BCEWithLogitsLoss:
        if loss.weight is not None or loss.pos_weight is not None:
            raise ValueError("loss: BCEWithLogitsLoss with weight= or pos_weight= is not mapped; "
                             "use the unweighted loss.")
        t = y.reshape(-1)
        if K != 1 or not np.all((t == 0) | (t == 1)):
            raise ValueError("y: nn.BCEWithLogitsLoss is mapped for one output and 0/1 targets.")
        a = 1.0 / n if mean else 1.0
        return "logistic", a, 2 * t - 1, (
            f"nn.BCEWithLogitsLoss({red}) with 0/1 targets t is the logistic loss "
            f"Σlog(1+exp(−s·z)) with labels s = 2t−1, times a = {a:.6g}.")
    if type(loss) is nn.CrossEntropyLoss:
        if loss.weight is not None or getattr(loss, "label_smoothing", 0.0) != 0.0:
            raise ValueError("loss: CrossEntropyLoss with weight= or label_smoothing is not mapped.")
        t = y.reshape(-1)
        if y.ndim != 1 or K < 2 or not np.all((t == np.round(t)) & (t >= 0) & (t < K)):
            raise ValueError(f"y: nn.CrossEntropyLoss is mapped for class indices 0..{K - 1} "
                             "(shape (n,)) and K >= 2 outputs.")
        a = 1.0 / n if mean else 1.0
        return "cross_entropy", a, np.eye(K)[t.astype(int)], (
            f"nn.CrossEntropyLoss({red}) with class indices is dualkit's cross-entropy with "
            f"one-hot targets, times a = {a:.6g}.")
    raise ValueError(f"loss: {type(loss).__name__} is not mapped; use nn.MSELoss, "
                     "nn.BCEWithLogitsLoss or nn.CrossEntropyLoss (see dk.certificate.CONVENTIONS).")


# ---------------------------------------------------------------------- weight decay
def _decays(model, arch: _Arch, weight_decay, optimizer, beta, a: float) -> tuple[dict, list[str]]:
    """Weight decay per parameter (id -> wd in PyTorch's units) and the sentences saying so."""
    params = [p for m in arch.linears for p in m.parameters()]
    for name, value, low in (("weight_decay", weight_decay, "finite number >= 0"),
                             ("beta", beta, "finite number > 0")):
        if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Real)
                                  or not math.isfinite(value) or value < 0
                                  or (name == "beta" and value == 0)):
            hint = ("" if isinstance(value, numbers.Real) else
                    f" (a Python float: pass float({name}))")
            raise ValueError(f"{name} must be a {low}{hint}; got {value!r}.")
    if beta is not None and weight_decay is not None:
        raise ValueError("pass either weight_decay= (PyTorch's units, mapped to beta) or beta= "
                         "(dualkit's units), not both.")
    if optimizer is not None:
        if weight_decay is not None:
            raise ValueError("pass either optimizer= (its weight_decay is read) or weight_decay=, "
                             "not both.")
        kind = type(optimizer).__name__
        decoupled = kind == "AdamW" or any(g.get("decoupled_weight_decay") for g in
                                           optimizer.param_groups)
        if kind not in _COUPLED and kind != "AdamW":
            if beta is None:
                raise ValueError(f"optimizer: {kind}'s weight decay is not mapped; pass beta= "
                                 "(the weight-decay strength of dualkit's objective).")
        wd = {}
        for g in optimizer.param_groups:
            for p in g["params"]:
                # an optimizer without a coupled decay (LBFGS, ...) with beta=: all decayed
                known = kind in _COUPLED or kind == "AdamW"
                wd[id(p)] = float(g.get("weight_decay", 0.0)) if known else 1.0
        missing = [arch.names[id(p)] for p in params if id(p) not in wd]
        frozen = [arch.names[id(p)] for p in params if id(p) not in wd and not p.requires_grad]
        if frozen:
            raise ValueError(f"optimizer: parameter(s) {frozen} are frozen (requires_grad=False) "
                             "and not in its param_groups; a fixed parameter matches no "
                             "convention of dk.certificate.CONVENTIONS. Train it (with "
                             "weight_decay=0 for a free bias), or pass weight_decay= or beta= "
                             "to certify as if every parameter were trained.")
        if missing:
            raise ValueError(f"optimizer: parameter(s) {missing} are not in its param_groups; pass "
                             "the optimizer that trained this model.")
        if decoupled and beta is None:
            raise ValueError(
                f"beta: {kind} uses decoupled weight decay (it shrinks p by lr·wd·p outside the "
                "adaptive step), which minimises no fixed objective; pass beta= (the weight-decay "
                "strength of dualkit's objective ℓ + β/2·Σ‖p‖²) to certify against it.")
        source = (f"the weight_decay of {kind}'s parameter groups "
                  f"({sorted({round(v, 12) for v in wd.values()})})")
    elif weight_decay is not None:
        w = float(weight_decay)
        wd = {id(p): w for p in params}
        source = f"weight_decay={w:g} on every parameter (the optimizer's default)"
    elif beta is None:
        raise ValueError("weight_decay: pass the optimizer's weight_decay=, the optimizer= itself, "
                         "or beta= (the strength of dualkit's objective).")
    else:
        wd = {id(p): 1.0 for p in params}
        source = "every parameter decayed"
    notes = []
    if beta is not None:
        b = float(beta)
        wd = {k: (a * b if v > 0 else 0.0) for k, v in wd.items()}
        notes.append(f"beta={b:g} given: the certified objective is ℓ + (β/2)Σ‖p‖² over the "
                     f"decayed parameters ({source}); in PyTorch's units each has weight decay "
                     f"a·β = {a * b:.6g}.")
    else:
        notes.append(f"Weight decay: {source}; coupled L2 (SGD/Adam add wd·p to the gradient), "
                     "so PyTorch's objective is loss + Σ(wd/2)‖p‖².")
    return wd, notes


# ---------------------------------------------------------------------- certify
def _np(t) -> np.ndarray:
    return t.detach().cpu().double().numpy()


def _to_float(a, name: str) -> np.ndarray:
    """``a`` (a tensor or an array-like) in float64, or a ValueError naming ``name``."""
    import torch
    if isinstance(a, torch.Tensor):
        return _np(a)
    try:
        arr = np.asarray(a)
    except ValueError as err:       # ragged nested lists
        raise ValueError(f"{name} could not be read as an array ({err}); pass an (n, d) array "
                         "or tensor with rows of equal length.") from err
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number)
                                   or np.issubdtype(arr.dtype, np.bool_)):
        raise ValueError(f"{name} must be a numeric array or tensor (got {type(a).__name__} of "
                         f"dtype {arr.dtype}); pass numbers, e.g. np.asarray({name}, dtype=float).")
    if np.iscomplexobj(arr):
        raise ValueError(f"{name} must be real-valued; got a complex array.")
    return arr.astype(np.float64)


def certify(model: nn.Module, X: ArrayLike | torch.Tensor, y: ArrayLike | torch.Tensor, *,
            loss: Any = "mse", weight_decay: float | None = None,
            optimizer: torch.optim.Optimizer | None = None, beta: float | None = None,
            patterns: Any = "auto", seed: int = 0) -> CertifyReport:
    r"""How far a PyTorch network is from the global optimum of its own training objective.

    The model (made of ``nn.Linear`` and ``nn.ReLU`` modules, Sequential or custom, any float
    dtype and device; computed here in float64 on the CPU) is recognised, its training
    objective

    .. math:: J(\theta)=\mathcal L_{\rm torch}(f_\theta(X),y)+\sum_p\tfrac{\mathrm{wd}_p}2\|p\|^2

    is mapped to a dualkit problem (:data:`~dualkit.certificate.CONVENTIONS`; the derivations
    are in the module docstring of ``dualkit.certificate``), and compared with its certified
    optimum.

    Parameters
    ----------
    model : torch.nn.Module
        Linear–Linear(–…), Linear–ReLU–Linear, or a deeper ReLU network (no certificate).
    X : array or tensor of shape (n, d)
        Inputs.
    y : array or tensor
        Targets as the loss takes them: (n,) or (n, K) for MSE, 0/1 for BCE, class indices for
        cross-entropy.
    loss : nn.MSELoss, nn.BCEWithLogitsLoss, nn.CrossEntropyLoss, "mse" or "squared"
        The training loss (default ``"mse"``: ``nn.MSELoss()``, mean reduction).
    weight_decay : float, optional
        The optimizer's ``weight_decay``, applied to every parameter.
    optimizer : torch.optim.Optimizer, optional
        The optimizer that trained the model: its parameter groups say which parameters are
        decayed and how much (``AdamW`` needs ``beta=``).
    beta : float, optional
        Certify against :math:`\ell+\frac\beta2\sum\|p\|^2` (decayed parameters) directly.
    patterns, seed :
        Passed to :class:`~dualkit.TwoLayerReLU`.

    Returns
    -------
    CertifyReport

    Raises
    ------
    ValueError
        For a module that is not made of Linear and ReLU layers, a loss or optimizer that is
        not mapped, AdamW without ``beta=``, a weight matrix without decay, or data that do
        not fit the model; the message says what to do.

    Examples
    --------
    ::

        net = nn.Sequential(nn.Linear(2, 20), nn.ReLU(), nn.Linear(20, 1))
        opt = torch.optim.Adam(net.parameters(), lr=1e-2, weight_decay=1e-3)
        ...  # train with nn.MSELoss()
        report = dk.certify(net, X, y, optimizer=opt)
        report.rel_gap, report.exact
    """
    import torch
    from torch import nn

    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch nn.Module; got {type(model).__name__}.")
    first = next((m for m in model.modules() if isinstance(m, nn.Linear)), None)
    if first is None:
        raise ValueError("model: it has no nn.Linear layer.")
    dev, dtype = first.weight.device, first.weight.dtype
    Xn = _to_float(X, "X")
    if Xn.ndim == 1:
        Xn = Xn[:, None]
    if Xn.ndim != 2 or Xn.shape[0] == 0:
        raise ValueError(f"X must have shape (n, d) with n >= 1; got {Xn.shape}.")
    finite_or_raise(Xn, "X", "pass finite inputs")
    n = Xn.shape[0]
    if Xn.shape[1] != first.in_features:
        raise ValueError(f"X has {Xn.shape[1]} columns but the model's first layer takes "
                         f"{first.in_features} inputs.")
    arch = _architecture(model, torch.as_tensor(Xn, dtype=dtype, device=dev))
    K = arch.linears[-1].out_features
    yn = _to_float(y, "y")
    if yn.ndim == 0:
        raise ValueError(f"y is a scalar; pass one target per row of X: shape (n,) or (n, K) "
                         f"with n = {n}.")
    if yn.shape[0] != n:
        raise ValueError(f"y has {yn.shape[0]} rows, X has {n}.")
    finite_or_raise(yn, "y", "pass finite targets")
    lname, a, yd, loss_sentence = _loss_map(loss, n, K, yn.astype(float))
    if lname == "squared":
        if yd.size != n * K:
            raise ValueError(f"y must have n·K = {n * K} entries (the model has {K} outputs); "
                             f"got shape {yn.shape}.")
        yd = yd.reshape(n) if K == 1 else yd.reshape(n, K)
    wd, mapping = _decays(model, arch, weight_decay, optimizer, beta, a)
    mapping.insert(0, loss_sentence)
    from .losses import get_loss
    ell = get_loss(lname)

    # the user's objective in problem units, from the parameters in float64
    Ws = [_np(m.weight).T for m in arch.linears]                        # dualkit layout (in, out)
    bs = [None if m.bias is None else _np(m.bias) for m in arch.linears]
    pred = _forward(arch, Ws, bs, Xn)
    pred = pred.reshape(n) if K == 1 else pred
    pen = sum(wd[id(p)] * float(np.sum(_np(p) ** 2)) for m in arch.linears for p in m.parameters())
    J_torch = a * ell.value(pred, yd) + 0.5 * pen
    finite_or_raise(J_torch, "the model's objective", "rescale X and y to entries of order 1")
    objective = J_torch / a

    base = dict(scale=a, mapping=mapping, objective=objective, objective_torch=J_torch)
    wdW = [wd[id(m.weight)] for m in arch.linears]
    if arch.kind in ("deep_relu", "other"):
        why = ("a deep ReLU network (no convex program certifies weight decay on every layer)"
               if arch.kind == "deep_relu" else
               "linear and ReLU layers mixed in a pattern dualkit has no problem for")
        return CertifyReport(problem=None, beta=None, lower_bound=None, optimal_value=None,
                             exact=False, certified=False,
                             note=f"No certificate: the model is {why}; its objective is reported.",
                             **base)
    zero = [arch.names[id(m.weight)] for m, w in zip(arch.linears, wdW, strict=True) if w == 0]
    if zero:
        raise ValueError(
            f"weight_decay: {zero} are not decayed; with a weight matrix free, rescaling the layers "
            "drives the penalty to 0, so the objective's infimum is the unregularized loss and is "
            "not attained. Decay every weight matrix (or pass beta=).")
    g = float(np.exp(np.mean(np.log(wdW))))                             # geometric mean
    beta_p = float(beta) if beta is not None else g / a    # beta=: exactly the given value
    c = [math.sqrt(g / w) for w in wdW]                                 # W_user = c_l * W_problem
    if len(set(wdW)) > 1:
        mapping.append(f"Per-layer weight decay {wdW}: rescaling layer l by c_l = √(g/wd_l) "
                       f"(∏c_l = 1) gives every layer the geometric mean g = {g:.6g}.")
    mapping.append(f"β = g/a = {g:.6g}/{a:.6g} = {beta_p:.6g}.")
    relu_logistic = arch.kind != "linear" and lname == "logistic"
    if lname != "squared" and not relu_logistic and (arch.kind != "linear"
                                                     or any(b is not None for b in bs)):
        what = "a ReLU network" if arch.kind != "linear" else "biases"
        raise ValueError(f"loss: the {lname} loss is certified for linear networks without "
                         f"biases and, as the logistic loss (nn.BCEWithLogitsLoss), for two-layer "
                         f"ReLU networks (this model has {what}); use nn.MSELoss, or bias=False "
                         "in a linear network.")

    # biases: free (not decayed), decayed (wd), absent (None)
    state = ["absent" if m.bias is None else ("free" if wd[id(m.bias)] == 0 else "decayed")
             for m in arch.linears]
    # the decay of each layer's weight and bias in problem units (for the optimal network)
    base["_decay"] = ([w / a for w in wdW],
                      [0.0 if m.bias is None else wd[id(m.bias)] / a for m in arch.linears])
    if arch.kind == "linear":
        return _certify_linear(model, arch, Xn, yd, lname, beta_p, c, state, base)
    if K != 1:
        base.pop("_decay")
        return CertifyReport(problem=None, beta=None, lower_bound=None, optimal_value=None,
                             exact=False, certified=False,
                             note=f"No certificate: a two-layer ReLU network with {K} outputs "
                                  "(TwoLayerReLU has scalar outputs); its objective is reported.",
                             **base)
    wdb1 = wd[id(arch.linears[0].bias)] if arch.linears[0].bias is not None else 0.0
    return _certify_relu(model, arch, Xn, yd, beta_p, c, state, wdW[0] == wdb1, base,
                         patterns, seed, lname)


def _forward(arch: _Arch, Ws, bs, X) -> np.ndarray:
    A = X
    for W, b, relu in zip(Ws, bs, arch.relu_after, strict=True):
        A = A @ W
        if b is not None:
            A = A + b
        if relu:
            A = np.maximum(A, 0.0)
    return A


def _net_objective(net, arch: _Arch, X, y, lname: str, decay) -> float:
    """The user's objective (problem units) of ``net``, a copy of the model (same module
    names), with the model's decay per layer: ``decay = (weights', biases')`` in problem units."""
    from .losses import get_loss
    lin = [net.get_submodule(name) for name in arch.lnames]
    Ws = [_np(m.weight).T for m in lin]
    bs = [None if m.bias is None else _np(m.bias) for m in lin]
    wd_problem, wdb_problem = decay
    pred = _forward(arch, Ws, bs, X)
    pred = pred.reshape(y.shape)
    pen = sum(w * float(np.sum(W ** 2)) for w, W in zip(wd_problem, Ws, strict=True))
    pen += sum(w * float(np.sum(b ** 2)) for w, b in zip(wdb_problem, bs, strict=True) if b is not None)
    return get_loss(lname).value(pred, y) + 0.5 * pen


def _write(model, arch: _Arch, Ws: list, bs: list, mapping: list) -> Any:
    """A deep copy of ``model`` holding the weights ``Ws`` (dualkit layout) and biases ``bs``,
    zero-padded; layers replaced by wider ones where the model is too narrow."""
    import torch
    from torch import nn
    new = copy.deepcopy(model).double()   # float64: its objective is the optimum to rounding
    index = {id(m): i for i, m in enumerate(arch.linears)}
    by_name = {name: m for name, m in model.named_modules()}
    widened = False
    for name, m in by_name.items():
        if id(m) not in index:
            continue
        i = index[id(m)]
        W = np.asarray(Ws[i], dtype=float).reshape(-1, Ws[i].shape[-1] if Ws[i].ndim == 2 else 1)
        rows = max(W.shape[0], m.in_features) if i else m.in_features
        cols = max(W.shape[1], m.out_features) if i < len(arch.linears) - 1 else m.out_features
        target = new.get_submodule(name)
        add_bias = m.bias is None and bs[i] is not None and bool(np.any(bs[i]))
        if (rows, cols) != (m.in_features, m.out_features) or add_bias:
            widened = widened or (rows, cols) != (m.in_features, m.out_features)
            if add_bias:
                mapping.append(f"optimal_network adds a bias to layer {name!r}, which the model "
                               "lacks (the relaxation has free biases).")
            target = nn.Linear(rows, cols, bias=m.bias is not None or add_bias,
                               device=m.weight.device, dtype=torch.float64)
            parent, _, attr = name.rpartition(".")
            setattr(new.get_submodule(parent) if parent else new, attr, target)
        Wp = np.zeros((rows, cols))
        Wp[: W.shape[0], : W.shape[1]] = W
        with torch.no_grad():
            target.weight.copy_(torch.as_tensor(Wp.T))
            if target.bias is not None:
                bp = np.zeros(cols)
                if bs[i] is not None:
                    b = np.atleast_1d(np.asarray(bs[i], dtype=float))
                    bp[: b.size] = b
                target.bias.copy_(torch.as_tensor(bp))
    mapping.append("optimal_network: a float64 deep copy of the model holding the optimal "
                   "weights (call .to(dtype) for the model's dtype).")
    if widened:
        mapping.append("The model is narrower than the optimum: optimal_network is a wider copy.")
    return new


def _report(prob, sol, bound, exact, note, mapping, base, opt_net, opt_obj) -> CertifyReport:
    base = {k: v for k, v in base.items() if not k.startswith("_")}
    if bound is not None:
        bound = float(bound)
        if base["objective"] < bound:
            # the dual point is feasible within the solver's tolerance (CERT_TOL): a network
            # at the optimum may sit below it by that much; never report a negative gap
            from .problems.base import CERT_TOL, ROUNDING
            tol = (CERT_TOL.get(sol.method, 1e-6) + ROUNDING) * max(abs(bound), 1e-300)
            if bound - base["objective"] > tol:
                raise RuntimeError(f"the model's objective {base['objective']!r} is below the "
                                   f"certified bound {bound!r}; this is a bug in dualkit, please "
                                   "report it with the model and data.")
            bound = base["objective"]
    certified = bool(sol.certified or sol.info.get("exact"))
    if not certified and "not certified" not in note:
        note += (" The solve is not certified: lower_bound is the dual value, a valid bound, and "
                 "optimal_value an upper bound on the optimum.")
    return CertifyReport(problem=prob, beta=prob.beta, lower_bound=bound,
                         optimal_value=float(sol.value), exact=exact and certified,
                         certified=certified,
                         optimal_network=opt_net, optimal_network_objective=opt_obj, note=note,
                         solution=sol, **base)


def _certify_linear(model, arch, X, y, lname, beta, c, state, base) -> CertifyReport:
    from .problems import DeepLinearWeightDecay, TwoLayerLinear
    mapping = base["mapping"]
    L = len(arch.linears)
    has_bias = any(s != "absent" for s in state)
    exact = (not has_bias) or (state[-1] == "free" and all(s != "decayed" for s in state[:-1]))
    if has_bias:
        xbar, ybar = X.mean(axis=0), y.mean(axis=0)
        Xp, yp = X - xbar, y - ybar
        mapping.append("Biases: a free output bias c makes min_c ½‖XW + 1cᵀ − y‖² = ½‖X_cW − y_c‖² "
                       "(centred X, y); " + ("exact (output bias not decayed, hidden biases free "
                                            "or absent)." if exact else
                                            "the model's biases are decayed or have no free output "
                                            "bias, so they are relaxed to free: a valid bound, "
                                            "not tight."))
    else:
        Xp, yp = X, y
        mapping.append("No biases: the problem is the model's own objective (exact).")
    prob: Problem
    if L == 1:
        base.pop("_decay")
        return CertifyReport(problem=None, beta=None, lower_bound=None, optimal_value=None,
                             exact=False, certified=False,
                             note="No certificate: a single nn.Linear layer is ridge regression, "
                                  "not a network; its objective is reported.", **base)
    if L == 2:
        prob = TwoLayerLinear(Xp, yp, beta, loss=lname)
        note = "Two-layer linear network: strong duality, the bound is a dual certificate."
    else:
        try:
            prob = DeepLinearWeightDecay(Xp, yp, beta, depth=L)
        except ValueError as err:
            base.pop("_decay")
            return CertifyReport(problem=None, beta=None, lower_bound=None, optimal_value=None,
                                 exact=False, certified=False,
                                 note=f"No certificate: DeepLinearWeightDecay refuses these data "
                                      f"({err})", **base)
        note = (f"Depth {L}: weight decay on every layer is DeepLinearWeightDecay; its optimum is "
                "computed exactly along the ridge path (the lower bound), which is not a duality "
                "certificate: the Lagrangian dual bound sol.dual_value is valid but tight only at "
                "depth 2.")
    sol = prob.solve()
    bound = prob.lower_bound()
    Wopt = [np.asarray(W, dtype=float) for W in sol.weights]
    Wopt = [W if W.ndim == 2 else W.reshape(-1, 1) for W in Wopt]
    Wopt = [ci * W for ci, W in zip(c, Wopt, strict=True)]
    bopt: list = [None] * L
    if has_bias:
        # the output bias absorbs ybar - xbar^T W (hidden biases zero)
        prod = Wopt[0]
        for W in Wopt[1:]:
            prod = prod @ W
        b_out = np.atleast_1d(ybar - xbar @ prod)
        bopt = [np.zeros(W.shape[1]) for W in Wopt]
        bopt[-1] = b_out
    mapping.append(f"Problem: {prob!r}.")
    opt_net = _write(model, arch, Wopt, bopt, mapping)
    opt_obj = _net_objective(opt_net, arch, X, y, lname, base["_decay"])
    return _report(prob, sol, bound, exact, note, mapping, base, opt_net, opt_obj)




def _certify_relu(model, arch, X, y, beta, c, state, same_decay: bool, base, patterns,
                  seed, lname: str = "squared") -> CertifyReport:
    from .problems import ReLU1D, TwoLayerReLU
    mapping = base["mapping"]
    h, o = state
    if h == "absent" and o == "absent":
        conv, exact = "none", True
    elif h == "decayed" and same_decay and o == "absent":
        conv, exact = "regularized", True
    else:
        conv, exact = "free", h == "free" and o == "free"
    words = {"none": "no biases: bias='none' (exact)",
             "regularized": "hidden bias decayed like W₁, no output bias: bias='regularized' "
                            "(exact)"}
    if conv in words:
        mapping.append("Biases: " + words[conv] + ".")
    elif exact:
        mapping.append("Biases: hidden and output bias not decayed: bias='free' (exact).")
    else:
        mapping.append(f"Biases: hidden {h}, output {o}; relaxed to free biases (bias='free'): a "
                       "decayed or absent bias replaced by a free one can only lower the optimum, "
                       "so the bound is valid but not tight.")
    d = X.shape[1]
    prob: Problem
    if conv == "free" and d == 1 and lname == "squared":
        prob = ReLU1D(X[:, 0], y, beta)
    else:
        try:
            prob = TwoLayerReLU(X, y, beta, bias=conv, patterns=patterns, seed=seed, loss=lname)
        except ValueError as err:       # e.g. beta numerically zero against beta_max
            base.pop("_decay")
            return CertifyReport(problem=None, beta=None, lower_bound=None, optimal_value=None,
                                 exact=False, certified=False,
                                 note=f"No certificate: TwoLayerReLU refuses this problem ({err})",
                                 **base)
    mapping.append(f"Problem: {prob!r}.")
    try:
        sol = prob.solve()
    except RuntimeError as err:     # the interior-point solver failed (cvxpy, logistic loss)
        base.pop("_decay")
        return CertifyReport(problem=prob, beta=prob.beta, lower_bound=None, optimal_value=None,
                             exact=False, certified=False,
                             note=f"No certificate: the solve of {type(prob).__name__} failed "
                                  f"({err}); the model's objective is reported, and "
                                  "report.problem can be solved again by hand.", **base)
    bound = prob.lower_bound()
    if bound is None:
        note = ("No certified bound: the activation patterns of these data cannot be enumerated, "
                "so the solve is an upper bound only (optimal_value); the objective is reported.")
        exact = False
    elif not sol.certified:
        note = ("The solve is not certified (sampled patterns, or the solver's tolerance): "
                "lower_bound is the dual value, a valid bound, and optimal_value an upper bound "
                "on the optimum.")
        exact = False
    else:
        note = ("The bound is the certified optimum of the model's own objective." if exact else
                "The bound is the certified optimum of the relaxed problem: valid, not tight.")
    ws = sol.weights
    biases = list(getattr(ws, "biases", [None, None]))     # ReLUWeights carry the biases
    W1, w2 = np.asarray(ws[0], dtype=float), np.asarray(ws[1], dtype=float).reshape(-1, 1)
    b1 = None if biases[0] is None else c[0] * np.asarray(biases[0], dtype=np.float64)
    b0 = biases[1]
    opt_net = _write(model, arch, [c[0] * W1, c[1] * w2], [b1, b0], mapping)
    opt_obj = _net_objective(opt_net, arch, X, y, lname, base["_decay"])
    return _report(prob, sol, bound, exact, note, mapping, base, opt_net, opt_obj)
