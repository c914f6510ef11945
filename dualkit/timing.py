"""Wall times the book shows: the median of repeated runs, never a single (possibly cold) run.

A single timing of a millisecond solve can be dominated by one-off costs (the first call into a
LAPACK routine, a lazy import, another process taking the core), and a multi-threaded BLAS on a
busy machine makes it far worse: measured once during a book build, a closed-form solve that
takes 3 ms took 178 ms, and with two BLAS threads on two busy cores every repetition took 40
times as long as with one. :func:`timed` follows the benchmark protocol
(``benchmarks/common.py``): one BLAS thread, the median of repeated runs.

Introduced in :ref:`ch-performance`.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any, NamedTuple

from ._validation import check_positive_int

__all__ = ["Timing", "timed"]


class Timing(NamedTuple):
    """The result of :func:`timed`."""

    #: median wall time of the timed runs, in seconds
    seconds: float
    #: what the median run returned (e.g. its :class:`~dualkit.History`)
    value: Any
    #: wall time of every timed run, in seconds, in the order they ran
    times: tuple[float, ...]


def _blas_threads(n: int | None):
    """Limit the BLAS threads (OpenBLAS, MKL) to ``n`` while the context is open, where
    ``threadpoolctl`` is installed (it comes with scikit-learn); otherwise leave them."""
    if n is None:
        return nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - outside the book's environment
        return nullcontext()
    return threadpool_limits(limits=n, user_api="blas")


def timed(fn: Callable[[], Any], repeat: int = 5, warmup: int = 0, single_above: float | None = 1.0,
          blas_threads: int | None = 1) -> Timing:
    """Median wall time of ``fn()`` over ``repeat`` runs, with what the median run returned.

    Parameters
    ----------
    fn : callable
        Called with no arguments; it should build what it times from scratch (e.g.
        ``lambda: dk.TwoLayerLinear(X, y, beta).solve()``, so that the factorization is timed)
        and be deterministic, so that every run returns the same result.
    repeat : int, optional
        Number of timed runs (default 5).
    warmup : int, optional
        Untimed runs before the timed ones (default 0), to pay one-off costs first.
    single_above : float or None, optional
        If the first timed run takes longer than this many seconds, it is the only one (the
        benchmark protocol's rule: a run that long averages over many steps, and repeating it
        costs more than it tells). ``None`` always runs ``repeat`` times.
    blas_threads : int or None, optional
        BLAS threads during the runs (default 1, as in the benchmark protocol: on a machine
        whose cores are busy, extra BLAS threads wait for each other); ``None`` leaves them.
        Torch's threads are :func:`dualkit.train`'s ``threads``.

    Returns
    -------
    Timing
        ``seconds`` (the median), ``value`` (the return value of the run at the median; with
        an even number of runs, the faster of the two middle ones) and ``times`` (every run).

    Examples
    --------
    >>> t = timed(lambda: sum(range(1000)), repeat=3)
    >>> t.value, len(t.times), t.seconds == sorted(t.times)[1]
    (499500, 3, True)
    """
    if not callable(fn):
        raise ValueError(f"fn must be a callable with no arguments; got {type(fn).__name__}.")
    repeat = check_positive_int(repeat, "repeat")
    if not (isinstance(warmup, int) and not isinstance(warmup, bool) and warmup >= 0):
        raise ValueError(f"warmup must be a non-negative integer; got {warmup!r}.")
    if single_above is not None and not (isinstance(single_above, (int, float))
                                         and not isinstance(single_above, bool)
                                         and math.isfinite(single_above) and single_above > 0):
        raise ValueError(f"single_above must be a positive number of seconds or None; "
                         f"got {single_above!r}.")
    if blas_threads is not None:
        blas_threads = check_positive_int(blas_threads, "blas_threads")
    times, values = [], []
    with _blas_threads(blas_threads):
        for _ in range(warmup):
            fn()
        for k in range(repeat):
            t0 = time.perf_counter()
            values.append(fn())
            times.append(time.perf_counter() - t0)
            if k == 0 and single_above is not None and times[0] > single_above:
                break
    order = sorted(range(len(times)), key=times.__getitem__)
    mid = order[(len(times) - 1) // 2]
    return Timing(statistics.median(times), values[mid], tuple(times))
