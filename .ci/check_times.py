"""Fail if a chapter's execution took more than twice its usual time.

The usual times (seconds on CI's 2-core machine) are in .ci/notebook_times.json; MyST-NB records
each notebook's run time in the Sphinx environment during the build. A notebook that took more
than max(2 x usual, usual + FLOOR) seconds fails the run with its name and both times: a stalled
kernel connection or a regression in a solver shows up here instead of as a slow, green build.
A chapter missing from the table fails too, so that new chapters get a usual time.
"""

import json
import pickle
import sys
from pathlib import Path

FLOOR = 20.0  # seconds: short notebooks vary by more than 2x on a loaded machine

usual = json.loads(Path(".ci/notebook_times.json").read_text())
with open("_build/.doctrees/environment.pickle", "rb") as f:
    env = pickle.load(f)
data = getattr(env, "nb_metadata", {})
rows, bad = [], []
for doc in sorted(data):
    exec_data = data[doc].get("exec_data")
    if not exec_data:
        continue
    took = float(exec_data["runtime"])
    ref = usual.get(doc)
    if ref is None:
        bad.append(f"{doc}: ran {took:.1f} s but has no usual time in .ci/notebook_times.json; add it")
        continue
    limit = max(2 * ref, ref + FLOOR)
    rows.append(f"{doc:40s} {took:7.1f} s  (usual {ref:5.1f} s, limit {limit:5.1f} s)")
    if took > limit:
        bad.append(f"{doc}: took {took:.1f} s, more than twice its usual {ref:.1f} s "
                   "(a stalled kernel connection, or a slower solver: see the execution table)")
print("\n".join(rows))
if not rows:
    bad.append("no execution times found in _build/.doctrees/environment.pickle")
if bad:
    print("Notebook execution times out of bounds:\n" + "\n".join(bad))
    sys.exit(1)
print(f"all {len(rows)} executed notebooks within twice their usual time")
