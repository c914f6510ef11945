"""Speed benchmarks: ``python -m benchmarks`` prints side-by-side tables with ratios (never
timed tests). One BLAS/OpenMP thread is set here, before NumPy is first imported by any row."""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"      # the protocol: one thread (the table's header says so)
