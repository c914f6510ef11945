"""The examples in dualkit's docstrings run and print what they show (quick tier: no training).

Every module of the package whose source has a ``>>>`` example is found from the files (nothing is
imported to find them) and run with :func:`doctest.testmod`, under NumPy's default print options
(a chapter's ``dk.book.setup`` changes them for the process).
"""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import numpy as np
import pytest

import dualkit

PACKAGE = Path(dualkit.__file__).parent
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def modules_with_examples() -> list[str]:
    """Dotted names of the package's modules whose source contains a ``>>>`` example."""
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if ">>>" not in path.read_text(encoding="utf-8"):
            continue
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


MODULES = modules_with_examples()


def test_examples_are_found():
    # the Loss interface, the data sets and the two-layer linear problem show examples
    assert {"dualkit.losses", "dualkit.data", "dualkit.problems.two_layer_linear"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    with np.printoptions(precision=8, suppress=False, linewidth=75, threshold=1000,
                         edgeitems=3, floatmode="maxprec", sign="-"):
        result = doctest.testmod(module, optionflags=FLAGS, report=True, verbose=False)
    assert result.attempted > 0, f"{name} has '>>>' in its source but doctest found no example"
    assert result.failed == 0, (f"{result.failed} of {result.attempted} examples of {name} fail "
                                "(the report above shows which and what they printed)")
