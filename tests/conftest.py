"""Test tiers, claims and browser tests (markers described in pyproject.toml).

* ``python -m pytest -m quick``: the edit-and-test loop (< 90 s on 2 cores). ``quick`` is set
  here on every test not marked ``medium``, ``slow`` or ``browser``, so a new test is quick until
  marked; a quick test that takes over ``QUICK_LIMIT_S`` is listed at the end of the session.
* ``python -m pytest``: the README tier, every test but ``slow``, ``browser`` and ``book`` (pyproject's
  ``addopts`` has ``-m 'not slow'``; a ``-m`` on the command line replaces it).
* ``python -m pytest -m slow``: the slow tier, which .ci/run runs after the README tier.
* ``python -m pytest -m browser`` and ``-m book``: after a build of the book (see below).
"""
import sys

import matplotlib
import pytest

matplotlib.use("Agg")


def _one_torch_thread():
    """torch on one thread, once something has imported it (not imported here: a run of tests
    that need no torch does not pay for its import)."""
    torch = sys.modules.get("torch")
    if torch is not None and torch.get_num_threads() != 1:
        torch.set_num_threads(1)


def pytest_collection_finish(session):
    _one_torch_thread()


def pytest_runtest_setup(item):
    _one_torch_thread()


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


# The modules that check what the book claims (each result chapter's numbers, trained networks
# against the convex optimum). .ci/run runs them a second time with torch's and NumPy's portable
# kernels (ATEN_CPU_CAPABILITY=default, NPY_DISABLE_CPU_FEATURES), since non-convex training
# follows the CPU's vector path: a claim must hold on any processor.
CLAIM_MODULES = ("test_chapter_", "test_two_layer_linear", "test_deep_linear", "test_deep_vector",
                 "test_vector_outputs", "test_losses", "test_relu_1d", "test_rank_one_relu",
                 "test_two_layer_relu", "test_train", "test_extreme_points")


#: the tiers' markers: ``quick`` is set here on every test that has none of the others
NOT_QUICK = ("medium", "slow", "browser", "book")

#: markers of tests that need the built book (_build): run only when asked for by name
ON_REQUEST = ("browser", "book")


@pytest.hookimpl(tryfirst=True)     # before ``-m`` selects on the markers set here
def pytest_collection_modifyitems(config, items):
    for it in items:
        if it.module.__name__.rpartition(".")[2].startswith(CLAIM_MODULES):
            it.add_marker(pytest.mark.claim)
        if not any(it.get_closest_marker(m) for m in NOT_QUICK):
            it.add_marker(pytest.mark.quick)
    _deselect_on_request(config, items)


def _deselect_on_request(config, items):
    """Browser tests (marker ``browser``) and the book's glued claims (marker ``book``) need the
    built book: each runs only when asked for by name, ``python -m pytest -m browser`` or
    ``-m book`` (.ci/run does both after the build), whatever other ``-m`` expression is given."""
    asked = config.getoption("markexpr") or ""
    drop = [m for m in ON_REQUEST if m not in asked]
    keep = [it for it in items if not any(it.get_closest_marker(m) for m in drop)]
    if len(keep) != len(items):
        config.hook.pytest_deselected(items=[it for it in items if it not in keep])
        items[:] = keep


#: a quick test (setup, its module's fixtures included, plus call) slower than this is reported
#: at the end of the session: mark it ``medium`` so that the quick tier stays under 90 s
QUICK_LIMIT_S = 2.0
_slow_quick: dict[str, float] = {}


def pytest_runtest_logreport(report):
    if report.when in ("setup", "call") and "quick" in report.keywords:
        total = _slow_quick.get(report.nodeid, 0.0) + report.duration
        _slow_quick[report.nodeid] = total


def pytest_terminal_summary(terminalreporter):
    """Print the quick tests slower than ``QUICK_LIMIT_S``, how many random instances the property
    tests tried per problem class, and how many calls the bad-input sweep made per outcome."""
    over = {k: v for k, v in _slow_quick.items() if v > QUICK_LIMIT_S}
    if over:
        terminalreporter.section(f"quick tests over {QUICK_LIMIT_S:g} s: mark them medium "
                                 "(tests/conftest.py, pyproject's markers)")
        for nodeid, t in sorted(over.items(), key=lambda kv: -kv[1]):
            terminalreporter.write_line(f"{t:6.1f} s  {nodeid}")
    def module(name):
        return sys.modules.get(name) or sys.modules.get(f"tests.{name}")

    counts = getattr(module("test_properties"), "PROPERTY_COUNTS", None)
    if counts:
        terminalreporter.section("property tests: instances per problem class")
        for name in sorted({k[0] for k in counts}):
            parts = ", ".join(f"{what} {n}" for (cls, what), n in sorted(counts.items())
                              if cls == name)
            terminalreporter.write_line(f"{name}: {parts}")
    sweep = getattr(module("test_bad_inputs"), "SWEEP_COUNTS", None)
    if sweep:
        terminalreporter.section("bad-input sweep: calls per outcome")
        for what, n in sorted(sweep.items()):
            terminalreporter.write_line(f"{what}: {n}")
