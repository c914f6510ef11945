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


# The modules that check what the book claims (each result chapter's numbers, trained networks
# against the convex optimum). .ci/run runs them a second time with torch's and NumPy's portable
# kernels (ATEN_CPU_CAPABILITY=default, NPY_DISABLE_CPU_FEATURES), since non-convex training
# follows the CPU's vector path: a claim must hold on any processor.
CLAIM_MODULES = ("test_chapter_", "test_two_layer_linear", "test_deep_linear", "test_deep_vector",
                 "test_vector_outputs", "test_losses", "test_relu_1d", "test_rank_one_relu",
                 "test_two_layer_relu", "test_train", "test_extreme_points")


def pytest_collection_modifyitems(config, items):
    for it in items:
        if it.module.__name__.rpartition(".")[2].startswith(CLAIM_MODULES):
            it.add_marker(pytest.mark.claim)
    _deselect_browser(config, items)


def _deselect_browser(config, items):
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
