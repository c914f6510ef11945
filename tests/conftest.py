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
