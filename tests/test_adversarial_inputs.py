"""Issue 21's lax-validation reproducers that the shared checks of ``dualkit._validation``
answer: seeds beyond torch's 64-bit range, masked arrays, bools as widths. Each gets a
ValueError naming the argument and the fix, or the answer of the unmasked data."""

import numpy as np
import pytest

import dualkit as dk


@pytest.mark.medium                      # imports torch
def test_seed_beyond_64_bits_is_refused_with_the_fix():
    X, y = dk.data.gaussian(n=10, d=3, seed=0)
    with pytest.raises(ValueError, match=r"seed must be at most 2\*\*63 - 1.*seed % 2\*\*63"):
        dk.data.gaussian(n=10, d=3, seed=2**70)
    prob = dk.TwoLayerLinear(X, y, 0.1)
    with pytest.raises(ValueError, match=r"seed must be at most 2\*\*63 - 1"):
        prob.network(width=3, seed=2**70)
    assert prob.network(width=3, seed=2**63 - 1) is not None        # the largest seed
    assert dk.data.gaussian(n=10, d=3, seed=2**63 - 1)[0].shape == (10, 3)


def test_masked_entries_are_refused_and_an_unmasked_array_is_its_data():
    X, y = dk.data.gaussian(n=10, d=3, seed=0)
    mask = np.zeros_like(X, dtype=bool)
    mask[2, 1] = True
    with pytest.raises(ValueError, match=r"X is a masked array with 1 masked entries.*filled"):
        dk.TwoLayerLinear(np.ma.masked_array(X, mask), y, 0.1)
    with pytest.raises(ValueError, match=r"y is a masked array"):
        dk.TwoLayerLinear(X, np.ma.masked_array(y, np.arange(10) == 3), 0.1)
    plain = dk.TwoLayerLinear(X, y, 0.1).solve()
    nomask = dk.TwoLayerLinear(np.ma.masked_array(X), np.ma.masked_array(y), 0.1).solve()
    assert nomask.value == plain.value


@pytest.mark.parametrize("width", [True, np.True_, 2.5, float("inf"), 0])
def test_widths_that_are_not_positive_integers_are_refused(width):
    X, y = dk.data.gaussian(n=10, d=3, seed=0)
    with pytest.raises(ValueError, match="width must be an integer >= 1"):
        dk.TwoLayerLinear(X, y, 0.1).network(width=width)
