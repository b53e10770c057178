"""The chapters' sources: what a notebook shows in JupyterLab matches the built page.

The numbers in the text are ``{eval}`` roles (MyST-NB and jupyterlab-myst both evaluate
them; the build fails on one that does not resolve); the TeX macros reach JupyterLab
through each chapter's front-matter cell, a copy of ``_config.yml`` kept by
``book/_ext/frontmatter.py``.
"""

import importlib.util
import re
from pathlib import Path

import nbformat
import pytest

from ufm.experiments import Prose

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("frontmatter", ROOT / "book/_ext/frontmatter.py")
frontmatter = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(frontmatter)


@pytest.mark.parametrize("name", frontmatter.CHAPTERS)
def test_each_chapter_carries_the_books_macros_in_a_hidden_front_matter_cell(name):
    cells = nbformat.read(ROOT / "book" / f"{name}.ipynb", as_version=4).cells
    first = cells[0]
    assert first.source == frontmatter.frontmatter_source(), (
        "out of date: run python book/_ext/frontmatter.py"
    )
    assert first.metadata.get("tags") == ["remove-cell"]
    assert sum(frontmatter.is_frontmatter(c) for c in cells) == 1


def test_the_front_matter_holds_every_macro_of_the_config():
    macros = frontmatter.macros()
    assert {"\\RR", "\\Fnorm", "\\Risk", "\\proj"} <= set(macros)
    assert macros["\\Fnorm"] == "\\left\\lVert #1 \\right\\rVert_{F}"


@pytest.mark.parametrize("name", [*frontmatter.CHAPTERS, "benchmarks"])
def test_numbers_in_the_text_are_eval_roles_not_glue(name):
    """``{glue:text}`` shows as raw markup in JupyterLab; ``{eval}`` is rendered there."""
    nb = nbformat.read(ROOT / "book" / f"{name}.ipynb", as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "{glue:text}" not in text
    assert re.search(r"\{eval\}`prose\[\"\w+(:[^\"]*)?\"\]`", text)


def test_prose_formats_kept_numbers_and_shows_them_without_quotes():
    prose = Prose()
    prose.keep("slope", 1.98765)
    prose.keep("label", "exactly")
    assert repr(prose["slope:.2f"]) == "1.99" and repr(prose["label"]) == "exactly"
    with pytest.raises(KeyError, match="no number kept under 'other'"):
        prose["other:.2f"]
    with pytest.raises(ValueError, match="name must be a Python identifier"):
        prose.keep("gap_0.4", 1.0)
    with pytest.raises(TypeError, match="must be a number or a str"):
        prose.keep("flag", True)
