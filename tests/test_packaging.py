"""dualkit as a package: its wheel and sdist, and the install path of the Colab notebooks.

The done-when test installs the wheel the way every notebook's first cell installs dualkit in
Colab (the cell itself runs, with ``google.colab`` faked and its pip requirement pointing at the
local wheel instead of git) into a fresh virtual environment that, as Colab, already has torch
and ipywidgets 7; pip must leave both alone. A student notebook then runs in a kernel of that
environment: it fails only in its exercise stubs, and its explorer is a live ipywidgets 7 slider.
"""

import copy
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

from dualkit import _kernel_poll, assignments

ROOT = Path(__file__).resolve().parents[1]
#: what the sdist is built from (setuptools adds PKG-INFO, setup.cfg and the egg-info)
SOURCES = ["pyproject.toml", "README.md", "LICENSE", "CITATION.cff", "MANIFEST.in", "dualkit"]
#: Colab's ipywidgets major version (it preinstalls 7.x and imports it when the kernel starts)
COLAB_IPYWIDGETS = "7.8.5"


def _run(cmd, **kw):
    """Run a command; on failure, an AssertionError with its output."""
    run = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    assert run.returncode == 0, f"{cmd}: {run.returncode}\n{run.stdout[-4000:]}\n{run.stderr[-4000:]}"
    return run.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    """The sdist and the wheel built from it (``python -m build``), from a copy of the sources so
    that the worktree gets no build/ or egg-info; without isolation (setuptools of this
    environment, no download)."""
    tmp = tmp_path_factory.mktemp("dist")
    src = tmp / "src"
    src.mkdir()
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(path, src / name)
    _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", tmp / "out", src])
    (wheel,) = (tmp / "out").glob("dualkit-*.whl")
    (sdist,) = (tmp / "out").glob("dualkit-*.tar.gz")
    return wheel, sdist


@pytest.mark.medium
def test_wheel_and_sdist_pass_twine_check_strict_and_hold_what_they_should(dist):
    wheel, sdist = dist
    out = _run([sys.executable, "-m", "twine", "check", "--strict", wheel, sdist])
    assert out.count("PASSED") == 2, out
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        meta = zf.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    tops = {n.split("/")[0] for n in names}
    assert tops == {"dualkit", wheel.name.split("-py3")[0] + ".dist-info"}, tops
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "dualkit/assignments.py" in names and "dualkit/problems/__init__.py" in names
    for line in ["License-Expression: MIT", "Description-Content-Type: text/markdown",
                 "Project-URL: Repository, https://github.com/dualkit/dualkit",
                 "Requires-Dist: ipywidgets>=7.6; extra == \"widgets\""]:
        assert line in meta, line
    assert "Classifier: " in meta and "Keywords: " in meta
    with tarfile.open(sdist) as tf:
        members = {m.name.split("/", 1)[1] for m in tf.getmembers() if "/" in m.name}
    assert {"LICENSE", "CITATION.cff", "README.md", "pyproject.toml", "dualkit/__init__.py"} <= members
    assert not any(m.startswith(("tests/", "chapters/")) for m in members)


@pytest.mark.medium
def test_install_cell_reads_the_config_and_explains_a_failed_pip(tmp_path):
    """The cell's pip requirement is ``repository: install:`` of ``_config.yml`` (else one made
    from the repository's url and branch); a failing pip gives a message saying what to do, not a
    ``CalledProcessError``. Outside Colab the cell does nothing."""
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    spec = config["repository"]["install"]
    assert assignments.install_spec(ROOT) == spec
    assert "[" not in spec.split("@")[0], "no extra: Colab's ipywidgets 7 must stay"
    nb = assignments.colab_notebook(assignments.read_chapter(ROOT / "chapters" / "intro.md"), ROOT)
    assert nb.cells[0].source == assignments.colab_cell(spec)
    (tmp_path / "_config.yml").write_text("repository:\n  url: https://example.org/me/dk\n  branch: dev\n")
    assert assignments.install_spec(tmp_path) == "dualkit @ git+https://example.org/me/dk@dev"
    (tmp_path / "_config.yml").unlink()
    assert assignments.install_spec(tmp_path) == assignments.INSTALL_SPEC
    assert all(len(line) <= 88 for line in assignments.colab_cell(spec).splitlines())

    # outside Colab: nothing happens
    namespace = {}
    exec(assignments.colab_cell("dualkit @ file:///nowhere/dualkit-0.1.0-py3-none-any.whl"), namespace)
    # in Colab, a pip that fails (a wheel that is not there: pip stops before changing anything)
    cell = assignments.colab_cell(f"dualkit @ {(tmp_path / 'dualkit-0.1.0-py3-none-any.whl').as_uri()}")
    fake = "import sys, types; sys.modules['google.colab'] = types.ModuleType('google.colab')\n"
    run = subprocess.run([sys.executable, "-c", fake + cell], capture_output=True, text=True)
    assert run.returncode != 0
    assert "CalledProcessError" not in run.stderr
    assert "No such file" in run.stdout  # pip's own message, printed
    assert "RuntimeError: pip could not install" in run.stderr
    assert "set DUALKIT to another source" in run.stderr


def _venv_python_env() -> dict:
    """The environment of the venv's processes: nothing that points at this worktree or at
    the book build (PYTHONPATH would import dualkit from here; static explorers are the book's)."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"PYTHONPATH", "DUALKIT_STATIC_EXPLORERS", "MPLBACKEND", "PYTHONHOME",
                        "VIRTUAL_ENV", "JUPYTER_PATH"}}
    return env


#: versions and locations of Colab's preinstalled packages, and of every distribution, without
#: importing them (metadata and import specs: a second faster than importing torch and cvxpy)
_PROBE = """
import importlib.metadata as md, importlib.util, json, sys
spec = importlib.util.find_spec
out = {name: [md.version(name), getattr(spec(name), "origin", None)]
       for name in ["torch", "ipywidgets", "numpy", "scipy", "cvxpy", "matplotlib", "dualkit"]}
out["packages"] = sorted({(d.metadata["Name"].lower(), d.version, str(d.locate_file("")))
                          for d in md.distributions()})
if "--import-ipywidgets" in sys.argv:
    import ipywidgets
    out["ipywidgets imported"] = [ipywidgets.__version__, ipywidgets.__file__]
print(json.dumps(out))
"""


@pytest.mark.slow
def test_wheel_installs_like_the_colab_cell_and_a_student_notebook_runs_with_ipywidgets_7(
        dist, tmp_path, monkeypatch):
    t0 = time.perf_counter()
    wheel, _ = dist
    venv = tmp_path / "colab"
    # Colab-like: this environment's torch, numpy, scipy, cvxpy, ... (system site packages),
    # then the ipywidgets 7 that Colab preinstalls (pip too comes from this environment)
    _run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", venv])
    py = venv / "bin" / "python"
    env = _venv_python_env()
    _run([py, "-m", "pip", "install", "-q", f"ipywidgets=={COLAB_IPYWIDGETS}"], env=env)
    before = json.loads(_run([py, "-c", _PROBE, "--import-ipywidgets"], env=env, cwd=tmp_path))
    version, path = before["ipywidgets imported"]
    assert version.startswith("7.") and path.startswith(str(venv)), before["ipywidgets imported"]
    assert not before["torch"][1].startswith(str(venv)), before["torch"]

    # the install cell, as in Colab, with its pip requirement pointing at the wheel
    cell = assignments.colab_cell(f"dualkit @ {wheel.as_uri()}")
    fake = "import sys, types; sys.modules['google.colab'] = types.ModuleType('google.colab')\n"
    out = _run([py, "-c", fake + cell], env=env, cwd=tmp_path)
    assert "dualkit installed from" in out
    after = json.loads(_run([py, "-c", _PROBE], env=env, cwd=tmp_path))
    for name in ["torch", "ipywidgets", "numpy", "scipy", "cvxpy", "matplotlib"]:
        assert after[name] == before[name], (name, before[name], after[name])
    changed = {tuple(p) for p in after["packages"]} ^ {tuple(p) for p in before["packages"]}
    assert {p[0] for p in changed} == {"dualkit"}, changed  # pip installed dualkit, nothing else
    # the wheel's copy, not the editable install of this environment (its finder and .pth are
    # in the system site packages that the venv sees)
    assert after["dualkit"][1].startswith(str(venv / "lib")), after["dualkit"]
    t_install = time.perf_counter() - t0

    # a student notebook in a kernel of the venv (its kernelspec installed into the venv prefix)
    _run([py, "-m", "ipykernel", "install", "--prefix", venv, "--name", "dualkit-colab"], env=env)
    monkeypatch.setenv("JUPYTER_PATH", str(venv / "share" / "jupyter"))
    (student,) = [p for p in assignments.build(ROOT, tmp_path / "nb", chapters=["two_layer_linear"])
                  if p.parent.name == "student"]
    nb = nbformat.read(student, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(
        "import dualkit, ipywidgets, torch\nprint(dualkit.__file__, ipywidgets.__version__, torch.__file__)"))
    from nbclient import NotebookClient

    _kernel_poll.install()
    run = copy.deepcopy(nb)
    NotebookClient(run, timeout=120, kernel_name="dualkit-colab", allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute(env=env)
    t_total = time.perf_counter() - t0
    print(f"install {t_install:.1f} s, install + notebook {t_total:.1f} s")

    errors = [(c.metadata.get("tags", []), o) for c in run.cells if c.cell_type == "code"
              for o in c.get("outputs", []) if o.output_type == "error"]
    stubs = sum("exercise" in c.metadata.get("tags", []) for c in run.cells)
    assert stubs >= 1 and len(errors) == stubs, [(t, o.ename, o.evalue) for t, o in errors]
    for tags, out_ in errors:
        assert out_.ename == "NotImplementedError" and "exercise" in tags
    probe = "".join(o.get("text", "") for o in run.cells[-1].outputs).split()
    assert probe[0].startswith(str(venv / "lib")) and probe[1].startswith("7."), probe
    assert probe[2] == before["torch"][1]
    (explorer,) = [c for c in run.cells if c.cell_type == "code" and "_explorer(" in c.source]
    views = [o for o in explorer.outputs if o.output_type == "display_data"
             and "application/vnd.jupyter.widget-view+json" in o.data]
    assert views, explorer.outputs  # live mode: a widget, not the static HTML frames
    state = run.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    model = state[views[0].data["application/vnd.jupyter.widget-view+json"]["model_id"]]
    assert model["model_name"] == "VBoxModel" and model["model_module_version"] == "1.5.0", model
    assert "SelectionSliderModel" in {m["model_name"] for m in state.values()}
