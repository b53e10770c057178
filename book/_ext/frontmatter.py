"""Give each chapter notebook the book's TeX macros, for JupyterLab.

The macros are defined once, in ``_config.yml`` (``mathjax3_config``), which the built book
reads. jupyterlab-myst reads macros only from a notebook's front matter: a first Markdown
cell holding YAML between ``---`` lines, with a ``math:`` key. This script writes that cell
into each chapter, copied from ``_config.yml`` and tagged ``remove-cell`` so that the built
page does not show it; ``tests/test_book_sources.py`` fails when a copy is out of date.

Usage, from the repository root: ``python book/_ext/frontmatter.py`` (rewrites the cells).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = ["intro", "observed", "model", "results", "discussion", "measure", "literature"]
TAG = "remove-cell"


def macros() -> dict[str, str]:
    """The macros of ``_config.yml`` as MyST front matter wants them: ``{"\\RR": "..."}``
    (an argument is written ``#1``; MyST counts the arguments itself)."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    table = config["sphinx"]["config"]["mathjax3_config"]["tex"]["macros"]
    return {
        "\\" + name: (body[0] if isinstance(body, list) else body) for name, body in table.items()
    }


def frontmatter_source() -> str:
    """The source of the front-matter cell."""
    body = yaml.safe_dump({"math": macros()}, sort_keys=False, allow_unicode=True, width=1000)
    return f"---\n{body}---"


def is_frontmatter(cell) -> bool:
    return cell.cell_type == "markdown" and cell.source.startswith("---\n")


def sync(path: Path) -> bool:
    """Write the front-matter cell into the notebook at ``path``; True if it changed."""
    nb = nbformat.read(path, as_version=4)
    cell = nbformat.v4.new_markdown_cell(frontmatter_source())
    cell.metadata["tags"] = [TAG]
    if nb.cells and is_frontmatter(nb.cells[0]):
        old = nb.cells[0]
        if old.source == cell.source and old.metadata.get("tags") == [TAG]:
            return False
        cell.id = old.get("id", cell.id)
        nb.cells[0] = cell
    else:
        nb.cells.insert(0, cell)
    nbformat.write(nb, path)
    return True


if __name__ == "__main__":
    for name in CHAPTERS:
        changed = sync(ROOT / "book" / f"{name}.ipynb")
        print(f"book/{name}.ipynb: {'updated' if changed else 'up to date'}")
