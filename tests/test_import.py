"""``import dualkit`` is cheap: torch, cvxpy and matplotlib are imported when first used.

Each check runs in a fresh interpreter (this test process has imported them all already).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import dualkit as dk

ROOT = Path(dk.__file__).resolve().parent.parent
HEAVY = ("torch", "cvxpy", "matplotlib")


def _run(code: str) -> dict:
    """Run ``code`` in a fresh interpreter that imports this checkout's dualkit; it prints one
    JSON object as its last line, which is returned."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_loads_no_heavy_module():
    got = _run(
        "import json, sys\n"
        "import dualkit\n"
        f"print(json.dumps({{'file': dualkit.__file__, "
        f"'loaded': [m for m in {HEAVY!r} if m in sys.modules]}}))"
    )
    assert Path(got["file"]).resolve() == Path(dk.__file__).resolve()
    assert got["loaded"] == []


def test_every_public_name_resolves_and_is_listed():
    got = _run(
        "import json\n"
        "import dualkit as dk\n"
        "missing = [n for n in dk.__all__ if getattr(dk, n, None) is None]\n"
        "print(json.dumps({'missing': missing, 'unlisted': sorted(set(dk.__all__) - set(dir(dk))),"
        " 'train': callable(dk.train) and dk.train.__module__ == 'dualkit.train',"
        " 'solvers': dk.solvers.relu_program.__name__}))"
    )
    assert got == {"missing": [], "unlisted": [], "train": True,
                   "solvers": "dualkit.solvers.relu_program"}


def test_public_names_are_the_submodules_objects():
    # the lazy names are the very objects of their modules (one class, one function)
    import importlib

    problems = importlib.import_module("dualkit.problems")
    for name in ["TwoLayerLinear", "ReLU1D", "Problem", "Solution", "recover_weights"]:
        assert getattr(dk, name) is getattr(problems, name)
    train = importlib.import_module("dualkit.train")
    assert dk.train is train.train and dk.train_best is train.train_best
    assert dk.History.__module__ == "dualkit.train"
    assert dk.plot.__name__ == "dualkit.plot" and dk.nets.__name__ == "dualkit.nets"


def test_train_stays_the_function_when_its_module_is_imported_first():
    got = _run(
        "import json\n"
        "import dualkit.train\n"
        "from dualkit.train import History\n"
        "import dualkit as dk\n"
        "print(json.dumps({'train': dk.train.__name__, 'callable': callable(dk.train),"
        " 'History': dk.History is History}))"
    )
    assert got == {"train": "train", "callable": True, "History": True}


def test_unknown_name_is_an_attribute_error():
    assert not hasattr(dk, "no_such_name")


def test_closed_form_two_layer_linear_needs_neither_torch_nor_cvxpy():
    got = _run(
        "import json, sys\n"
        "import dualkit as dk\n"
        "X, y = dk.data.gaussian(n=30, d=6, seed=0)\n"
        "prob = dk.TwoLayerLinear(X, y, beta=0.1)\n"
        "sol = prob.solve()\n"
        "prob.objective(sol.weights)\n"
        "print(json.dumps({'method': sol.method, 'certified': bool(sol.certified),"
        f" 'loaded': [m for m in {HEAVY!r} if m in sys.modules]}}))"
    )
    assert got == {"method": "closed_form", "certified": True, "loaded": []}


def test_a_network_imports_torch_when_asked_for():
    got = _run(
        "import json, sys\n"
        "import dualkit as dk\n"
        "X, y = dk.data.gaussian(n=30, d=6, seed=0)\n"
        "net = dk.TwoLayerLinear(X, y, beta=0.1).network(width=4, seed=0)\n"
        "print(json.dumps({'type': type(net).__name__, 'torch': 'torch' in sys.modules}))"
    )
    assert got == {"type": "DeepLinearNet", "torch": True}
