"""Every value the book glues, as text, to compare two versions of the code.

    python scripts/glued_values.py --write scripts/glued_values.json   # record a baseline
    python scripts/glued_values.py --check scripts/glued_values.json   # compare with it

Each chapter notebook is executed on a fresh kernel (as the book build does) and the
``text/plain`` form of every ``glue(...)`` output is collected. ``--check`` prints every
name whose text differs, every name added or removed, and exits 1 if there is any. The
benchmarks page is left out: its glued values are timings of the machine that ran it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ("observed", "model", "results", "discussion")


def glued(name: str) -> dict[str, str]:
    """The glued values of one chapter: glue name -> its ``text/plain`` output."""
    path = ROOT / "book" / f"{name}.ipynb"
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, resources={"metadata": {"path": str(path.parent)}}).execute()
    values = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            record = output.get("metadata", {}).get("scrapbook")
            if record:
                data = output.get("data", {})
                text = next((v for k, v in data.items() if k.endswith("text/plain")), None)
                values[f"{name}:{record['name']}"] = text
    return values


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", type=Path, help="record the glued values in this JSON file")
    group.add_argument("--check", type=Path, help="compare the glued values with this file")
    args = parser.parse_args()
    now = {}
    for name in CHAPTERS:
        now.update(glued(name))
    if args.write:
        args.write.write_text(json.dumps(now, indent=1, sort_keys=True) + "\n")
        print(f"{len(now)} glued values written to {args.write}")
        return 0
    before = json.loads(args.check.read_text())
    changed = sorted(k for k in before.keys() & now.keys() if before[k] != now[k])
    for key in changed:
        print(f"changed {key}: {before[key]!r} -> {now[key]!r}")
    for key in sorted(before.keys() - now.keys()):
        print(f"removed {key}")
    for key in sorted(now.keys() - before.keys()):
        print(f"added {key}: {now[key]!r}")
    same = len(before.keys() & now.keys()) - len(changed)
    print(f"{same} of {len(before)} glued values identical")
    return 1 if changed or before.keys() != now.keys() else 0


if __name__ == "__main__":
    sys.exit(main())
