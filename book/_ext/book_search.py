"""What the book's search finds: the prose and the code a reader sees, definitions first.

Two changes to what Sphinx writes into ``searchindex.js``:

- **Hidden code is not indexed.** A cell tagged ``hide-input`` (or ``hide-output``,
  ``hide-cell``) keeps its code behind a "Show code cell source" button; the plotting code of
  the chapters is hidden so that the page reads as prose. Sphinx indexed that code all the
  same, so a search for ``subplots`` listed every chapter. The indexer now reads a copy of
  each page without the hidden parts of its cells (cells tagged ``remove-input`` or
  ``remove-cell`` are not on the page at all). ``book/_static/layout/ufm-layout.js`` leaves
  the same parts out of the snippets under the hits.
- **A definition is found under its name.** Every labelled ``prf:definition`` becomes an
  index entry under its name: the part of its title before a colon (``NC1`` for "NC1:
  variability collapse"), or its whole title. Sphinx's search ranks such an entry above an
  object whose name merely contains the query, so a search for ``NC1`` leads first to the
  definition in the chapter on neural collapse observed, then to ``ReducedState.nc1``.

``tests/test_search.py`` checks both in a browser, on the built book.
"""

from __future__ import annotations

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx

#: What a cell hides, by MyST-NB's ``hide_mode``: its source, its outputs, or both.
HIDDEN_PARTS = {
    "input": {"cell_code_source"},
    "output": {"cell_code_output"},
    "input+output": {"cell_code_source", "cell_code_output"},
    "all": {"cell_code_source", "cell_code_output"},
}
#: The longest name of a definition (the part of its title before a colon) that is indexed
#: alone; a longer one would rank low anyway (Sphinx scores an entry by the share of it
#: that the query covers).
MAX_NAME = 40


def without_hidden_cells(doctree: nodes.document) -> nodes.document:
    """A copy of ``doctree`` without the parts of cells that the page hides."""
    copy = doctree.deepcopy()
    for cell in list(copy.findall(nodes.container)):
        hidden = HIDDEN_PARTS.get(cell.get("hide_mode") or "", set())
        if cell.get("nb_element") != "cell_code" or not hidden:
            continue
        for part in list(cell.findall(nodes.container)):
            if part.get("nb_element") in hidden and part.parent is not None:
                part.parent.remove(part)
    return copy


def definition_name(title: str, title_format: str = "%t") -> str:
    """The name a definition is indexed under: ``"NC1"`` for ``"NC1: variability
    collapse"``, the title itself when it has no colon. ``title`` is as sphinx-proof keeps
    it, in its ``proof_title_format`` (``" (%t)"``: ``" (NC1: variability collapse)"``)."""
    before, _, after = title_format.partition("%t")
    title = title.strip()
    if before.strip() and title.startswith(before.strip()):
        title = title[len(before.strip()) :]
    if after.strip() and title.endswith(after.strip()):
        title = title[: -len(after.strip())]
    name, colon, _ = title.partition(":")
    return name.strip() if colon and name.strip() else title.strip()


def index_definitions(app: Sphinx, doctree: nodes.document) -> None:
    """Add a main index entry, under its name, for every labelled definition."""
    title_format = getattr(app.config, "proof_title_format", "%t")
    for node in list(doctree.findall(nodes.Element)):
        if node.get("realtype") != "definition" or not node.get("ids"):
            continue
        name = definition_name(node.get("title") or "", title_format)
        if not name or len(name) > MAX_NAME:
            continue
        entry = addnodes.index(entries=[("single", name, node["ids"][0], "main", None)])
        node.parent.insert(node.parent.index(node), entry)


def index_what_the_reader_sees(app: Sphinx) -> None:
    """Have the HTML builder index each page without its hidden cell parts."""
    builder = app.builder
    if not hasattr(builder, "index_page"):
        return
    index_page = builder.index_page

    def index_visible(pagename: str, doctree: nodes.document, title: str) -> None:
        index_page(pagename, without_hidden_cells(doctree), title)

    builder.index_page = index_visible


def setup(app: Sphinx) -> dict:
    app.connect("builder-inited", index_what_the_reader_sees)
    app.connect("doctree-read", index_definitions)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
