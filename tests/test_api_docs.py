"""Every public name has a docstring and complete type hints (issue 20, item 7).

A public name is one in a module's ``__all__``; for a class, also its methods and properties not
starting with ``_``. A method documented in a dualkit base class counts as documented (Sphinx
shows the inherited docstring). Complete hints: every parameter but ``self``/``cls`` and the
return (``__init__`` excepted). ``python -m mypy`` (``.ci/run``) checks that the hints are right.
"""

from __future__ import annotations

import importlib
import inspect

import pytest

# the modules whose public API is documented and typed; add a module once it is
MODULES = ["dualkit.losses", "dualkit.data", "dualkit.nets", "dualkit.weights", "dualkit.certificate",
           "dualkit.diagnostics",
           "dualkit.splines", "dualkit.book", "dualkit.timing", "dualkit.widgets",
           "dualkit.solvers.closed_form", "dualkit.solvers.proximal", "dualkit.exercises",
           "dualkit.solvers.pattern_search", "dualkit.solvers.extreme",
           "dualkit.exercises._core"]
# the modules whose public names are documented (all of them; the type hints are still partial)
DOC_MODULES = MODULES + [
    "dualkit.problems.base", "dualkit.problems.two_layer_linear", "dualkit.problems.deep_linear",
    "dualkit.problems.relu_1d", "dualkit.problems.rank_one_relu", "dualkit.problems.two_layer_relu",
    "dualkit.solvers.ramp", "dualkit.solvers.relu_program", "dualkit.solvers.cvxpy_ref",
    "dualkit.train", "dualkit.check", "dualkit.plot", "dualkit.assignments"]


def public_callables(module):
    """``(qualified name, function, is_method)`` for the public functions, classes' ``__init__``
    and methods defined in ``module`` (properties by their getter), and the classes."""
    out = []
    for name in module.__all__:
        obj = getattr(module, name)
        if not callable(obj) or not getattr(obj, "__module__", "").startswith(module.__name__):
            continue
        if inspect.isfunction(obj):
            out.append((name, obj, False))
            continue
        if not inspect.isclass(obj):
            continue
        out.append((name, obj, False))
        for attr, value in vars(obj).items():
            if attr.startswith("_") and attr != "__init__":
                continue
            fn = value.fget if isinstance(value, property) else getattr(value, "__func__", value)
            if inspect.isfunction(fn):
                out.append((f"{name}.{attr}", fn, True))
    return out


def docstring(module, qualname: str, obj) -> str | None:
    if "." not in qualname:
        return obj.__doc__
    cls_name, attr = qualname.split(".", 1)
    cls = getattr(module, cls_name)
    member = inspect.getattr_static(cls, attr)
    if isinstance(member, property):
        return member.__doc__
    return inspect.getdoc(getattr(cls, attr))      # inherited from a base class's method


def annotated(fn, is_method: bool) -> bool:
    params = list(inspect.signature(fn).parameters.values())
    if is_method and params and params[0].name in ("self", "cls"):
        params = params[1:]
    hints = fn.__annotations__
    return all(p.name in hints for p in params) and (fn.__name__ == "__init__" or "return" in hints)


@pytest.mark.parametrize("name", DOC_MODULES)
def test_public_names_have_docstrings(name):
    module = importlib.import_module(name)
    missing = [q for q, obj, _ in public_callables(module)
               if not q.endswith("__init__") and not (docstring(module, q, obj) or "").strip()]
    assert not missing, f"{name}: public names without a docstring: {missing}"


@pytest.mark.parametrize("name", MODULES)
def test_public_callables_have_type_hints(name):
    module = importlib.import_module(name)
    missing = [q for q, obj, is_method in public_callables(module)
               if inspect.isfunction(obj) and not annotated(obj, is_method)]
    assert not missing, f"{name}: public callables without complete type hints: {missing}"
