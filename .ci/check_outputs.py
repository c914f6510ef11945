"""Fail if an executed chapter shows something a reader should not see.

* an error output, or an error printed to stderr (errors raised in matplotlib's post-execute hook,
  e.g. a bad mathtext label, are stored in the executed notebook but do not fail
  ``jupyter-book build``);
* a text output line wider than the page's column (88 characters): results go in tables
  (``dk.book.table``), not in long printed lines;
* a figure without a caption (``mystnb: figure: caption`` in the cell's metadata): the caption
  numbers the figure and gives its image its alternative text.
"""

import sys
from pathlib import Path

import nbformat

WIDTH = 88
bad = []
paths = sorted(Path("_build/jupyter_execute").rglob("*.ipynb"))
for path in paths:
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        captioned = bool(cell.get("metadata", {}).get("mystnb", {}).get("figure", {}).get("caption"))
        for out in cell.get("outputs", []):
            text = out.get("text", "") if out.output_type == "stream" else ""
            if out.output_type == "error" or (out.get("name") == "stderr" and "Error" in text):
                bad.append(f"{path}: cell {i}: {out.get('ename', '')} {out.get('evalue', text)[:300]}")
            data = out.get("data", {})
            if "text/plain" in data and not any(k in data for k in ("text/html", "image/png",
                                                                      "image/svg+xml")):
                text += data["text/plain"]
            if out.get("name") != "stderr":
                for line in text.splitlines():
                    if len(line) > WIDTH:
                        bad.append(f"{path}: cell {i}: output line of {len(line)} characters "
                                   f"(> {WIDTH}): {line[:100]}")
            if any(k in data for k in ("image/png", "image/svg+xml")) and not captioned:
                bad.append(f"{path}: cell {i}: a figure without a caption (mystnb: figure: caption)")
if bad:
    print("Executed chapters show what a reader should not see:\n" + "\n".join(bad))
    sys.exit(1)
print(f"no errors, long output lines or uncaptioned figures in {len(paths)} executed notebooks")
