r"""Torch modules for the primal (non-convex) architectures.

Layers use the book's row-vector convention: :math:`W_l\in\mathbb R^{m_{l-1}\times m_l}` with
:math:`m_0=d`, and a linear network computes :math:`f(X)=XW_1\cdots W_{L-1}w_L`.
All modules use float64, and their weights can be read back as NumPy arrays with
:meth:`DeepLinearNet.weights`, in the form every problem's ``objective`` accepts.
:class:`ReLUWeights` lives in the NumPy-only :mod:`dualkit.weights` and is re-exported here.
Every constructor refuses a network of more than ``MAX_PARAMETERS`` (1e9) parameters with a
``ValueError`` before allocating it.

Introduced in :ref:`ch-two-layer-linear`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from ._validation import check_parameter_count, check_positive_float, check_positive_int, check_seed
from .weights import ReLUWeights  # NumPy only; re-exported here, where it was defined first

__all__ = ["DeepLinearNet", "DeepReLUNet", "ReLUWeights"]


class _Layers:
    """What every network of the book shares: the depth and the layer matrices of the forward
    pass, with the first ``sphere_layers`` on the Frobenius sphere of radius ``radius``."""

    layers: nn.ParameterList
    sphere_layers: int
    radius: float

    @property
    def depth(self) -> int:
        """Number of weight layers :math:`L`."""
        return len(self.layers)

    def layer_tensors(self) -> list[torch.Tensor]:
        """The weight matrices used in the forward pass (sphere layers already normalised)."""
        k = self.sphere_layers
        # list() first: slicing an nn.ParameterList builds a new module, which cost about a
        # quarter of a small network's training step
        layers = list(self.layers)
        return [self.radius * V / V.norm() for V in layers[:k]] + layers[k:]

    @staticmethod
    def _check_shape(d: int, widths: int | np.integer | Sequence[int | np.integer] | np.ndarray,
                     sphere_layers: int, radius: float) -> tuple[int, list[int], int, float]:
        """Validated ``d``, hidden ``widths`` (a list), ``sphere_layers`` and ``radius``."""
        d = check_positive_int(d, "d")
        if isinstance(widths, (int, np.integer, bool, np.bool_, float, np.floating)):
            widths = [check_positive_int(widths, "widths")]    # refuses bools, inf, 2.5
        if not isinstance(widths, (list, tuple, np.ndarray)):
            raise ValueError(f"widths must be an int or a list of hidden widths; got {widths!r}.")
        hidden = [check_positive_int(m, f"widths[{i}]") for i, m in enumerate(widths)]
        if not hidden:
            raise ValueError("widths must list at least one hidden width (depth >= 2).")
        if (isinstance(sphere_layers, bool) or not isinstance(sphere_layers, (int, np.integer))
                or not 0 <= sphere_layers <= len(hidden) - 1):
            raise ValueError(f"sphere_layers must be between 0 and depth - 2 = {len(hidden) - 1}; "
                             f"got {sphere_layers}.")
        if isinstance(radius, bool) or not np.isfinite(radius) or radius <= 0:
            raise ValueError(f"radius must be a finite number > 0; got {radius!r}.")
        return d, hidden, int(sphere_layers), float(radius)

    @staticmethod
    def _check_size(dims: list[int]) -> None:
        """Refuse (``ValueError``) a network whose layers ``dims[i] x dims[i+1]`` (plus one
        bias per hidden neuron) exceed ``MAX_PARAMETERS``, before anything is allocated."""
        count = sum(a * b for a, b in zip(dims[:-1], dims[1:], strict=False)) + sum(dims[1:])
        check_parameter_count(count, f"a network of layer sizes {dims}")


class DeepLinearNet(_Layers, nn.Module):
    r"""Deep linear network :math:`f(X)=XW_1\cdots W_{L-1}W_L`.

    Parameters
    ----------
    d : int
        Input dimension.
    widths : list of int
        Hidden widths :math:`m_1,\dots,m_{L-1}`; the depth is ``L = len(widths) + 1``.
    out : int
        Output dimension :math:`K`. With ``out=1`` the network returns a vector of shape ``(n,)``
        and its last layer is read back as a vector :math:`w_L`.
    seed : int
        Seed of the initialisation, :math:`(W_l)_{ij}\sim\mathcal N(0,\,s^2/m_{l-1})`.
    init_scale : float
        The factor :math:`s` above.
    sphere_layers : int
        The first ``sphere_layers`` layers live on the Frobenius sphere of radius ``radius``:
        they are parametrized as :math:`W_l=t\,V_l/\|V_l\|_F`, so the constraint
        :math:`\|W_l\|_F\le t` of the paper's deep formulation (P2) holds exactly during
        training (it is active at every non-zero optimum, :ref:`app-deep-structure`).
    radius : float
        The bound :math:`t` of the sphere layers.

    Examples
    --------
    >>> net = DeepLinearNet(d=3, widths=[4, 4], seed=0)
    >>> [W.shape for W in net.weights()]
    [(3, 4), (4, 4), (4,)]
    >>> X = torch.ones(2, 3, dtype=torch.float64)
    >>> bool(np.allclose(net(X).detach().numpy(), X.numpy() @ net.end_to_end()))
    True
    """

    def __init__(self, d: int, widths: int | np.integer | Sequence[int | np.integer] | np.ndarray,
                 out: int = 1, seed: int = 0, init_scale: float = 1.0, sphere_layers: int = 0,
                 radius: float = 1.0):
        super().__init__()
        d, widths, self.sphere_layers, self.radius = self._check_shape(d, widths, sphere_layers, radius)
        out = check_positive_int(out, "out")
        init_scale = check_positive_float(init_scale, "init_scale")
        gen = torch.Generator().manual_seed(check_seed(seed))
        dims = [d, *widths, out]
        self._check_size(dims)
        self.d, self.widths, self.out = d, widths, out
        self.layers = nn.ParameterList(
            nn.Parameter(
                init_scale
                * torch.randn(dims[i], dims[i + 1], generator=gen, dtype=torch.float64)
                / np.sqrt(dims[i])
            )
            for i in range(len(dims) - 1)
        )

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        r"""The predictions :math:`XW_1\cdots W_L` on inputs ``X`` of shape ``(n, d)`` (float64):
        shape ``(n,)`` when ``out=1``, else ``(n, out)``. Call the module, ``net(X)``."""
        M = X
        for W in self.layer_tensors():
            M = M @ W
        return M[:, 0] if self.out == 1 else M

    def weights(self) -> list[np.ndarray]:
        """Layer weights as float64 NumPy arrays; the last one is a vector when ``out=1``."""
        ws = [W.detach().cpu().numpy().astype(np.float64) for W in self.layer_tensors()]
        if self.out == 1:
            ws[-1] = ws[-1][:, 0]
        return ws

    def end_to_end(self) -> np.ndarray:
        r"""The end-to-end linear map :math:`W_1\cdots W_L` (a vector when ``out=1``)."""
        ws = self.weights()
        M = ws[0]
        for W in ws[1:]:
            M = M @ W
        return M

    def extra_repr(self) -> str:
        sphere = f", sphere_layers={self.sphere_layers}, radius={self.radius:g}"
        return f"d={self.d}, widths={self.widths}, out={self.out}" + (sphere if self.sphere_layers else "")


class DeepReLUNet(_Layers, nn.Module):
    r"""Deep ReLU network :math:`A_0=X`, :math:`A_l=(A_{l-1}W_l+b_l)_+`, :math:`f=A_{L-1}w_L+b_L`.
    Introduced in :ref:`ch-splines-1d`.

    Parameters
    ----------
    d : int
        Input dimension.
    widths : int or list of int
        Hidden widths :math:`m_1,\dots,m_{L-1}`; the depth is ``L = len(widths) + 1``.
    seed, init_scale :
        As for :class:`DeepLinearNet` (He-style :math:`\mathcal N(0, s^2/m_{l-1})`).
    sphere_layers : int
        The first ``sphere_layers`` layers are parametrized on the Frobenius sphere of radius
        ``radius`` (the constraint :math:`\|W_l\|_F\le t` of :ref:`app-rank-one` and :ref:`app-deep-1d`).
    radius : float
        The bound :math:`t`.
    bias : {"none", "last", "all"}
        Which hidden layers have a (free) bias: none (:ref:`app-rank-one`), only layer :math:`L-1`
        (:ref:`app-rank-one-bias`, :ref:`app-deep-1d`; for depth 2 this is the usual two-layer network
        with biases), or all
        (the standard deep network of the :ref:`app-deep-1d` caveat).
    output_bias : bool
        A free output bias :math:`b_L`.
    skip : bool
        A free linear skip term :math:`c\,x_1` added to the output (1-D inputs, :ref:`app-biases-skip`).
    nonneg : bool
        Initialise the sphere layers with non-negative entries, so that training the deep 1-D
        architecture of :ref:`app-deep-1d` starts with no ReLU cutting the path.
    """

    def __init__(self, d: int, widths: int | np.integer | Sequence[int | np.integer] | np.ndarray,
                 seed: int = 0, init_scale: float = 1.0,
                 sphere_layers: int = 0, radius: float = 1.0, bias: str = "last",
                 output_bias: bool = True, skip: bool = False, nonneg: bool = False):
        super().__init__()
        d, widths, self.sphere_layers, self.radius = self._check_shape(d, widths, sphere_layers, radius)
        if skip and d != 1:
            raise ValueError(f"skip=True adds c*x for scalar inputs only; got d={d}.")
        if bias not in ("none", "last", "all"):
            raise ValueError(f"bias must be 'none', 'last' or 'all'; got {bias!r}.")
        init_scale = check_positive_float(init_scale, "init_scale")
        gen = torch.Generator().manual_seed(check_seed(seed))
        dims = [d, *widths, 1]
        self._check_size(dims)
        self.d, self.widths = d, widths
        self.bias_mode, self.has_output_bias, self.has_skip = bias, bool(output_bias), bool(skip)
        layers = []
        for i in range(len(dims) - 1):
            W = init_scale * torch.randn(dims[i], dims[i + 1], generator=gen,
                                         dtype=torch.float64) / np.sqrt(dims[i])
            if nonneg and i < self.sphere_layers:
                W = W.abs()
            layers.append(nn.Parameter(W))
        self.layers = nn.ParameterList(layers)
        L = len(widths) + 1
        self.bias_layers = {"none": [], "last": [L - 2], "all": list(range(L - 1))}[bias]
        self.biases = nn.ParameterDict({
            str(i): nn.Parameter(0.1 * torch.randn(dims[i + 1], generator=gen, dtype=torch.float64))
            for i in self.bias_layers
        })
        self.out_bias = nn.Parameter(torch.zeros((), dtype=torch.float64)) if output_bias else None
        self.skip = nn.Parameter(torch.zeros((), dtype=torch.float64)) if skip else None

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """The predictions, shape ``(n,)``, on inputs ``X`` of shape ``(n, d)`` (float64). Call
        the module, ``net(X)``; :meth:`weights` gives the same network in NumPy."""
        A = X
        Ws = self.layer_tensors()
        for i, W in enumerate(Ws[:-1]):
            # addmm fuses the bias into the product: one pass less over the n x m activations
            A = torch.addmm(self.biases[str(i)], A, W) if str(i) in self.biases else A @ W
            A = torch.relu_(A)      # A is a fresh product: rectify it in place
        out = (A @ Ws[-1])[:, 0]
        if self.out_bias is not None:
            out = out + self.out_bias
        if self.skip is not None:
            out = out + self.skip * X[:, 0]
        return out

    @torch.no_grad()
    def place_kinks(self, lo: float, hi: float, seed: int = 0) -> None:
        r"""Set the biases of layer :math:`L-1` so that the kinks of a 1-D network lie uniformly
        at random in ``[lo, hi]`` (the data range).

        On inputs :math:`x\ge0` (or any :math:`x` at depth 2) neuron :math:`j` of layer
        :math:`L-1` computes :math:`(s_jx+b_j)_+` with :math:`s_j` its slope through the earlier
        layers; :math:`b_j=-s_jk_j` puts its kink at :math:`k_j`. On un-centred inputs (:math:`x\in[1,3]`)
        the default bias initialization left a 19-57% gap after training; kinks placed uniformly
        inside the data range cut it to 1-3%.
        """
        if self.d != 1 or (self.depth - 2) not in self.bias_layers:
            raise ValueError("place_kinks needs a 1-D network with a bias in layer L-1.")
        if not (np.isfinite(lo) and np.isfinite(hi) and lo <= hi):
            raise ValueError(f"need finite lo <= hi; got lo={lo}, hi={hi}.")
        Ws = self.layer_tensors()
        h = torch.ones(1, 1, dtype=torch.float64)
        for W in Ws[:-2]:
            h = torch.relu(h @ W)
        s = (h @ Ws[-2])[0]
        gen = torch.Generator().manual_seed(check_seed(seed))
        k = lo + (hi - lo) * torch.rand(s.shape[0], generator=gen, dtype=torch.float64)
        self.biases[str(self.depth - 2)].copy_(-s * k)

    def weights(self) -> ReLUWeights:
        """Weights and biases as float64 NumPy arrays (:class:`ReLUWeights`)."""
        ws = [W.detach().cpu().numpy().astype(np.float64) for W in self.layer_tensors()]
        ws[-1] = ws[-1][:, 0]
        biases = [self.biases[str(i)].detach().cpu().numpy().copy() if str(i) in self.biases
                  else None for i in range(self.depth - 1)]
        biases.append(float(self.out_bias.detach()) if self.out_bias is not None else None)
        return ReLUWeights(ws, biases, float(self.skip.detach()) if self.skip is not None else None)

    def extra_repr(self) -> str:
        return (f"d={self.d}, widths={self.widths}, bias={self.bias_mode!r}, "
                f"output_bias={self.has_output_bias}, skip={self.has_skip}, "
                f"sphere_layers={self.sphere_layers}, radius={self.radius:g}")
