import matplotlib
import pytest
import torch

matplotlib.use("Agg")
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def pytest_collection_modifyitems(config, items):
    """Browser tests (marker ``browser``) need the built book: they run only when asked for by
    name, ``python -m pytest -m browser`` (.ci/run does it after the build), whatever other
    ``-m`` expression is given."""
    if "browser" in (config.getoption("markexpr") or ""):
        return
    keep = [it for it in items if it.get_closest_marker("browser") is None]
    if len(keep) != len(items):
        config.hook.pytest_deselected(items=[it for it in items if it not in keep])
        items[:] = keep


def pytest_terminal_summary(terminalreporter):
    """Print how many random instances the property tests tried per problem class, and how many
    calls the bad-input sweep made per outcome."""
    import sys

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
