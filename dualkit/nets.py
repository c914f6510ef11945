r"""Torch modules for the primal (non-convex) architectures.

Layers use the book's row-vector convention: :math:`W_l\in\mathbb R^{m_{l-1}\times m_l}` with
:math:`m_0=d`, and a linear network computes :math:`f(X)=XW_1\cdots W_{L-1}w_L`.
All modules use float64, and their weights can be read back as NumPy arrays with
:meth:`DeepLinearNet.weights`, in the form every problem's ``objective`` accepts.

Introduced in :ref:`ch-two-layer-linear`.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ._validation import check_positive_int

__all__ = ["DeepLinearNet"]


class DeepLinearNet(nn.Module):
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
        training (it is active at every non-zero optimum, MATH.md §2.2).
    radius : float
        The bound :math:`t` of the sphere layers.
    """

    def __init__(self, d: int, widths, out: int = 1, seed: int = 0, init_scale: float = 1.0,
                 sphere_layers: int = 0, radius: float = 1.0):
        super().__init__()
        d = check_positive_int(d, "d")
        if isinstance(widths, (int, np.integer)):
            widths = [widths]
        widths = [check_positive_int(m, "width") for m in widths]
        if not widths:
            raise ValueError("widths must list at least one hidden width (depth >= 2).")
        out = check_positive_int(out, "out")
        gen = torch.Generator().manual_seed(int(seed))
        dims = [d, *widths, out]
        self.d, self.widths, self.out = d, widths, out
        if (isinstance(sphere_layers, bool) or not isinstance(sphere_layers, (int, np.integer))
                or not 0 <= sphere_layers <= len(widths) - 1):
            raise ValueError(
                f"sphere_layers must be between 0 and depth - 2 = {len(widths) - 1}; "
                f"got {sphere_layers}."
            )
        self.sphere_layers = int(sphere_layers)
        if isinstance(radius, bool) or not np.isfinite(radius) or radius <= 0:
            raise ValueError(f"radius must be a finite number > 0; got {radius!r}.")
        self.radius = float(radius)
        self.layers = nn.ParameterList(
            nn.Parameter(
                init_scale
                * torch.randn(dims[i], dims[i + 1], generator=gen, dtype=torch.float64)
                / np.sqrt(dims[i])
            )
            for i in range(len(dims) - 1)
        )

    @property
    def depth(self) -> int:
        """Number of weight layers :math:`L`."""
        return len(self.layers)

    def layer_tensors(self) -> list[torch.Tensor]:
        """The weight matrices used in the forward pass (sphere layers already normalised)."""
        k = self.sphere_layers
        return [self.radius * V / V.norm() for V in self.layers[:k]] + list(self.layers[k:])

    def forward(self, X: torch.Tensor) -> torch.Tensor:
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
