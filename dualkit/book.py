"""Helpers for the book's executed chapters.

The chapters quote numbers from the cells that computed them, never typed by hand: a cell calls
:func:`glue` and the text cites the value with MyST-NB's ``{glue:text}`name:.3g``` role, so text
and output cannot drift apart.
"""

from __future__ import annotations

from typing import Any

__all__ = ["glue"]


def glue(name: str, value: Any, display: bool = False) -> Any:
    """Record ``value`` under ``name`` for the book's text, and return it.

    In a book build (MyST-NB installed) this is ``myst_nb.glue``: the value is stored in the
    cell's output, hidden unless ``display=True``, and the chapter text cites it with
    ``{glue:text}`name``` (or ``{glue:text}`name:.2e``` with a format). Where MyST-NB is not
    installed (Colab, a plain Jupyter), nothing is recorded and nothing is shown.

    Parameters
    ----------
    name : str
        Key the text cites; unique within a chapter.
    value : object
        The number (or any object) to quote; NumPy and torch scalars are stored as Python
        numbers, so that a format such as ``:.2e`` applies.
    display : bool, optional
        Also show the value in the cell's output.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string, got {name!r}")
    if getattr(value, "ndim", None) == 0 and hasattr(value, "item"):
        # a NumPy (or torch) scalar: its text would be "np.float64(...)", which the
        # {glue:text}`name:.2e` format cannot read
        value = value.item()
    try:
        from myst_nb import glue as _glue
    except ImportError:  # pragma: no cover - outside the book's environment
        return value
    _glue(name, value, display=display)
    return value
