"""Every number the book quotes, as text, to compare two versions of the code.

    python scripts/glued_values.py --write scripts/glued_values.json   # record a baseline
    python scripts/glued_values.py --check scripts/glued_values.json   # compare with it

Each chapter notebook is executed on a fresh kernel (as the book build does) and every
value it keeps for its text (``prose.keep(...)``, see :mod:`ufm.experiments.prose`) is
collected. ``--check`` compares each value twice: as the page shows it (formatted with the
spec of its ``{eval}`prose["name:spec"]``` role, such as ``:.2f``) and raw (its
``repr``). It prints every difference and exits 1 if a value differs as shown, or a value
was added or removed. Timings (``TIMINGS``) and the benchmarks page (``MEASUREMENTS``) are
left out: they measure the machine that ran them.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
#: Pages that quote values measured on the machine that built them, not computed by ufm.
MEASUREMENTS = {"benchmarks"}
#: Every page of book/ whose text quotes a kept value (``{eval}`prose[...]```).
CHAPTERS = tuple(
    path.stem
    for path in sorted((ROOT / "book").glob("*.ipynb"))
    if path.stem not in MEASUREMENTS and "prose[" in path.read_text(encoding="utf-8")
)
#: Glued wall-clock times, which differ from run to run.
TIMINGS = {"observed:live_seconds"}
ROLE = re.compile(r'\{eval\}`prose\["([A-Za-z0-9_]+)(?::([^"]*))?"\]`')


def shown(key: str, raw: str, specs: dict[str, set[str]]) -> str:
    """The value as the page shows it: formatted with each spec its roles use."""
    try:
        value = ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        return raw
    formats = sorted(specs.get(key, set()))
    if not formats:
        return str(value)
    return " | ".join(format(value, spec) for spec in formats)


def format_specs() -> dict[str, set[str]]:
    """``chapter:name`` -> the format specs of its ``{eval}`` roles in the chapters."""
    specs: dict[str, set[str]] = {}
    for name in CHAPTERS:
        nb = nbformat.read(ROOT / "book" / f"{name}.ipynb", as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                for key, spec in ROLE.findall(cell.source):
                    specs.setdefault(f"{name}:{key}", set()).add(spec)
    return specs


def glued(name: str) -> dict[str, str]:
    """The kept values of one chapter: name -> its ``repr``."""
    path = ROOT / "book" / f"{name}.ipynb"
    nb = nbformat.read(path, as_version=4)
    dump = "import json\nprint(json.dumps({k: repr(v) for k, v in prose._values.items()}))"
    nb.cells.append(nbformat.v4.new_code_cell(dump))
    NotebookClient(nb, timeout=600, resources={"metadata": {"path": str(path.parent)}}).execute()
    kept = json.loads(nb.cells[-1].outputs[0]["text"])
    return {f"{name}:{key}": text for key, text in kept.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", type=Path, help="record the quoted values in this JSON file")
    group.add_argument("--check", type=Path, help="compare the quoted values with this file")
    args = parser.parse_args()
    now = {}
    for name in CHAPTERS:
        now.update(glued(name))
    if args.write:
        args.write.write_text(json.dumps(now, indent=1, sort_keys=True) + "\n")
        print(f"{len(now)} quoted values written to {args.write}")
        return 0
    before = json.loads(args.check.read_text())
    specs = format_specs()
    common = sorted((before.keys() & now.keys()) - TIMINGS)
    shown_diff = [k for k in common if shown(k, before[k], specs) != shown(k, now[k], specs)]
    raw_diff = [k for k in common if before[k] != now[k] and k not in shown_diff]
    for key in shown_diff:
        print(f"differs as shown  {key}: {before[key]!r} -> {now[key]!r}")
    for key in raw_diff:
        print(f"differs raw only  {key}: {before[key]!r} -> {now[key]!r}")
    added, removed = sorted(now.keys() - before.keys()), sorted(before.keys() - now.keys())
    for key in removed:
        print(f"removed {key}")
    for key in added:
        print(f"added {key}: {now[key]!r}")
    print(
        f"{len(common)} quoted values compared ({len(TIMINGS)} timing left out): "
        f"{len(common) - len(shown_diff)} identical as shown, "
        f"{len(common) - len(shown_diff) - len(raw_diff)} identical raw"
    )
    return 1 if shown_diff or added or removed else 0


if __name__ == "__main__":
    sys.exit(main())
