"""Fail if any executed chapter holds an error output or an error printed to stderr.

Errors raised in matplotlib's post-execute hook (e.g. a bad mathtext label) are stored in the
executed notebook but do not fail ``jupyter-book build``; this check makes them fail CI.
"""

import sys
from pathlib import Path

import nbformat

bad = []
for path in sorted(Path("_build/jupyter_execute").rglob("*.ipynb")):
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            text = out.get("text", "") if out.output_type == "stream" else ""
            if out.output_type == "error" or (out.get("name") == "stderr" and "Error" in text):
                bad.append(f"{path}: cell {i}: {out.get('ename', '')} {out.get('evalue', text)[:300]}")
if bad:
    print("Executed chapters contain errors:\n" + "\n".join(bad))
    sys.exit(1)
print(f"no error outputs in {len(list(Path('_build/jupyter_execute').rglob('*.ipynb')))} executed notebooks")
