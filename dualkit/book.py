"""Helpers for the book's executed chapters.

The chapters quote numbers from the cells that computed them, never typed by hand: a cell calls
:func:`glue` and the text cites the value with MyST-NB's ``{glue:text}`name:.3g``` role, so text
and output cannot drift apart. Results are shown as small tables (:func:`table`), not long printed
lines, and every chapter starts with a hidden cell that calls :func:`setup`.
"""

from __future__ import annotations

import html
import math
import numbers
import os
import re
from collections.abc import Iterable
from typing import Any

__all__ = ["glue", "setup", "table", "Table"]

#: set to "1" by the book's Sphinx extension (dualkit/_book_assets.py) for the kernels that
#: execute the chapters: :func:`glue` then records values for MyST-NB instead of printing them
BOOK_BUILD_ENV = "DUALKIT_BOOK_BUILD"

#: matplotlib settings of the book's figures: fonts that stay readable when a figure is scaled to
#: the page's column (about 730 px at 1280 px, 350 px on a phone)
RC: dict[str, Any] = {
    "font.size": 11,
    "axes.titlesize": 11,
    "axes.labelsize": 11,
    "legend.fontsize": 9.5,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "figure.dpi": 100,
    "savefig.dpi": 200,
    "legend.framealpha": 0.9,
}


def setup(threads: int | None = 1) -> None:
    """Set up a chapter: sharp figures, short printouts and one compute thread.

    * matplotlib draws with ``dualkit.book.RC``; in IPython, inline figures are 2x PNGs ("retina"), so
      they stay sharp on high-resolution screens and are shown at their 1x size;
    * NumPy prints 4 significant digits (``np.set_printoptions(precision=4)``): the digits that
      carry the point, not 16;
    * ``threads`` (default 1): torch's and the BLAS library's thread counts. One thread makes the
      chapter's training independent of the machine's core count, and it is the fastest choice
      for the book's small problems when other work shares the cores (measured: a closed-form
      solve took 330 ms with two BLAS threads on a busy two-core machine, 8 ms with one).
      ``None`` leaves both as they are.

    The book calls it in a hidden first cell of every chapter; a notebook runs it too.
    """
    import matplotlib as mpl
    import numpy as np

    mpl.rcParams.update(RC)  # type: ignore[arg-type]  # matplotlib types the keys as literals
    np.set_printoptions(precision=4, suppress=False, linewidth=88)
    if threads is not None:
        import torch
        from threadpoolctl import threadpool_limits

        if isinstance(threads, bool) or not (isinstance(threads, numbers.Integral) and threads >= 1):
            raise ValueError(f"threads must be a positive integer or None, got {threads!r}")
        torch.set_num_threads(int(threads))
        threadpool_limits(int(threads), user_api="blas")
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - plain Python
        return
    if get_ipython() is not None:
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("retina")


def glue(name: str, value: Any, display: bool = False) -> Any:
    """Record ``value`` under ``name`` for the book's text, and return it.

    In a book build (the book's Sphinx extension sets ``DUALKIT_BOOK_BUILD=1`` for the kernels
    that execute the chapters) this is ``myst_nb.glue``: the value is stored in the cell's
    output, hidden unless ``display=True``, and the chapter text cites it with
    ``{glue:text}`name``` (or ``{glue:text}`name:.2e``` with a format). Everywhere else (Colab,
    Jupyter, the generated notebooks, whose text shows the code span ```name``` in that place)
    a notebook prints the line ``name = value`` (4 significant digits) in the cell's output, so
    the reader sees the number the text refers to; plain Python prints nothing.

    Parameters
    ----------
    name : str
        Key the text cites; unique within a chapter.
    value : object
        The number (or any object) to quote; NumPy and torch scalars are stored as Python
        numbers, so that a format such as ``:.2e`` applies.
    display : bool, optional
        In a book build, also show the value in the cell's output.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string, got {name!r}")
    value = _scalar(value)
    if os.environ.get(BOOK_BUILD_ENV) != "1":
        if _in_ipython():
            print(f"{name} = {_fmt(value, 4)}")
        return value
    try:
        from myst_nb import glue as _glue
    except ImportError:  # pragma: no cover - the book's environment has MyST-NB
        return value
    _glue(name, value, display=display)
    return value


def _in_ipython() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - plain Python
        return False
    return get_ipython() is not None


def _scalar(value: Any) -> Any:
    if getattr(value, "ndim", None) == 0 and hasattr(value, "item"):
        # a NumPy (or torch) scalar: its text would be "np.float64(...)", which the
        # {glue:text}`name:.2e` format cannot read
        return value.item()
    return value


def _fmt(value: Any, digits: int) -> str:
    value = _scalar(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        v = float(value)
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "∞" if v > 0 else "−∞"
        if v == 0.0:
            return "0"
        if 10 ** (digits - 1) <= abs(v) < 1e6:       # 1520 with 3 digits: "1520", not 1.52e+03
            return f"{v:.0f}"
        if 1e-4 <= abs(v) < 1e6:
            return f"{v:.{digits}g}"
        mant, exp = f"{v:.{max(digits - 2, 1)}e}".split("e")
        return f"{mant}e{int(exp)}"
    return "—" if value is None else str(value)


_MATH = re.compile(r"\$([^$]+)\$")


#: characters of a table row that fit the book's column; a one-row table wider than this is
#: shown turned on its side (one line per column: name, value)
ROW_WIDTH = 80


class Table:
    """A small table of results: rendered as HTML in the book and in Jupyter, as aligned text
    elsewhere. Made by :func:`table`. A single row too wide for the column is shown as a list of
    (name, value) lines."""

    def __init__(self, rows: list[dict[str, Any]], columns: list[str], digits: int, caption: str | None):
        self.rows, self.columns, self.digits, self.caption = rows, columns, digits, caption

    def cells(self) -> list[list[str]]:
        """The formatted cells, row by row (without the header)."""
        return [[_fmt(r.get(c), self.digits) for c in self.columns] for r in self.rows]

    def __len__(self) -> int:
        return len(self.rows)

    def _turned(self) -> bool:
        if len(self.rows) != 1:
            return False
        cells = self.cells()[0]
        width = sum(max(len(_MATH.sub(r"\1", c)), len(v)) + 3
                    for c, v in zip(self.columns, cells, strict=True))
        return width > ROW_WIDTH

    def _sideways(self) -> Table:
        cells = self.cells()[0]
        return Table([{"": c, "value": v} for c, v in zip(self.columns, cells, strict=True)],
                     ["", "value"], self.digits, self.caption)

    def __repr__(self) -> str:
        if self._turned():
            return repr(self._sideways())
        head = [_MATH.sub(r"\1", c) for c in self.columns]
        body = self.cells()
        widths = [max(len(h), *(len(r[j]) for r in body)) if body else len(h)
                  for j, h in enumerate(head)]
        lines = ["  ".join(h.rjust(w) for h, w in zip(head, widths, strict=True))]
        lines += ["  ".join(v.rjust(w) for v, w in zip(r, widths, strict=True)) for r in body]
        if self.caption:
            lines.insert(0, self.caption)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        if self._turned():
            return self._sideways()._repr_html_()

        def cell(text: str) -> str:
            # $...$ in a header or cell is typeset by the page's MathJax (class mathjax_process)
            return _MATH.sub(lambda m: r"\(" + m.group(1) + r"\)", html.escape(text, quote=False))

        head = "".join(f"<th>{cell(c)}</th>" for c in self.columns)
        body = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in r) + "</tr>"
                       for r in self.cells())
        cap = f"<caption>{cell(self.caption)}</caption>" if self.caption else ""
        return (f'<table class="dk-table mathjax_process">{cap}<thead><tr>{head}</tr></thead>'
                f"<tbody>{body}</tbody></table>")


def table(rows: dict[str, Any] | Iterable[dict[str, Any]], columns: list[str] | None = None, digits: int = 4,
          caption: str | None = None) -> Table:
    """A small results table for a chapter (the last expression of a cell displays it).

    Parameters
    ----------
    rows : list of dict, or dict
        One dict per row (column name to value), or a single dict for a one-row table.
    columns : list of str, optional
        Column order (default: the keys of the first row, then any new keys of later rows).
        ``$...$`` in a name is typeset as math in the book.
    digits : int, optional
        Significant digits of floats (default 4); very large or small ones in ``1.234e-09``
        form; booleans as yes/no; None as a dash.
    caption : str, optional
        A line above the table.

    Returns
    -------
    Table

    Examples
    --------
    >>> table([{"beta": 0.1, "gap": 1.5e-12, "certified": True},
    ...        {"beta": 1.0, "gap": 0.0, "certified": False}])
    beta       gap  certified
     0.1  1.50e-12        yes
       1         0         no
    """
    if isinstance(rows, dict):
        rows = [rows]
    rows = list(rows)
    if not all(isinstance(r, dict) for r in rows):
        raise ValueError("rows must be a dict or a list of dicts (column name -> value).")
    if not (isinstance(digits, numbers.Integral) and 1 <= digits <= 17):
        raise ValueError(f"digits must be an integer from 1 to 17, got {digits!r}")
    if columns is None:
        columns = []
        for r in rows:
            columns += [k for k in r if k not in columns]
    return Table(rows, [str(c) for c in columns], int(digits), caption)
