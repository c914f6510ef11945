"""Speed benchmarks: scripts that print side-by-side tables with ratios (never timed tests)."""
