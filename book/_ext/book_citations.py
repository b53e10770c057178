"""Each entry of the bibliography links back to where the book cites it.

sphinxcontrib-bibtex links a citation (``{cite}`mixon2022neural```) to its entry on the
bibliography page, and links an entry back to its citations only when both are on the same
page, which in this book they never are. This extension adds, under every entry that the
book cites, a line "Cited in: Neural collapse, observed (1, 2); The unconstrained features
model." Each page title links to the first place the page cites the work, each number to
one place; pages come in the order of the table of contents. An entry the book lists only
for further reading (``:all:``) gets no such line.

The entries keep stable anchors, ``bibliography.html#cite-KEY`` (``bibtex_cite_id`` in
``_config.yml``). ``tests/test_book_build.py`` checks that every back-link lands on a
citation of its entry.
"""

from __future__ import annotations

from docutils import nodes
from sphinx.application import Sphinx

#: The class of the line of back-links (``book/_static/layout/ufm-layout.css`` styles it).
CITED_IN = "ufm-cited-in"


def toc_order(env, root: str) -> list[str]:
    """The documents of the table of contents, depth first, from ``root``."""
    order, stack = [], [root]
    while stack:
        docname = stack.pop()
        if docname in order:
            continue
        order.append(docname)
        stack.extend(reversed(env.toctree_includes.get(docname, [])))
    return order


def places_by_key(env) -> dict[str, list[tuple[str, str]]]:
    """For each cited key, where it is cited: ``(docname, id of the citation)``."""
    domain = env.get_domain("cite")
    places: dict[str, list[tuple[str, str]]] = {}
    for ref in domain.citation_refs:
        for target in ref.targets:
            places.setdefault(target.key, []).append((ref.docname, ref.citation_ref_id))
    rank = {docname: i for i, docname in enumerate(toc_order(env, env.config.root_doc))}
    for found in places.values():
        found.sort(key=lambda place: rank.get(place[0], len(rank)))
    return places


def cited_in(app: Sphinx, docname: str, places: list[tuple[str, str]]) -> nodes.paragraph:
    """The line "Cited in: ..." for the places of one entry, as seen from ``docname``."""
    line = nodes.paragraph(classes=[CITED_IN])
    line += nodes.Text("Cited in: ")
    pages: dict[str, list[str]] = {}
    for page, ref_id in places:
        pages.setdefault(page, []).append(ref_id)
    for i, (page, ref_ids) in enumerate(pages.items()):
        if i:
            line += nodes.Text("; ")
        uri = app.builder.get_relative_uri(docname, page)
        title = app.env.titles[page].astext() if page in app.env.titles else page
        line += nodes.reference("", title, internal=True, refuri=f"{uri}#{ref_ids[0]}")
        if len(ref_ids) > 1:
            line += nodes.Text(" (")
            for n, ref_id in enumerate(ref_ids, start=1):
                if n > 1:
                    line += nodes.Text(", ")
                link = nodes.reference("", str(n), internal=True, refuri=f"{uri}#{ref_id}")
                link["reftitle"] = f"{title}, citation {n}"
                line += link
            line += nodes.Text(")")
    line += nodes.Text(".")
    return line


def add_back_links(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Under each entry of a bibliography on ``docname``, the places that cite it."""
    domain = app.env.get_domain("cite")
    keys_by_id = {
        node["ids"][0]: key
        for bib_key, bibliography in domain.bibliographies.items()
        if bib_key.docname == docname
        for key, node in bibliography.citation_nodes.items()
        if node["ids"]
    }
    if not keys_by_id:
        return
    places = places_by_key(app.env)
    for entry in doctree.findall(nodes.citation):
        key = keys_by_id.get(entry["ids"][0]) if entry["ids"] else None
        found = [place for place in places.get(key, []) if place[0] != docname]
        if found:
            entry += cited_in(app, docname, found)


def setup(app: Sphinx) -> dict:
    app.connect("doctree-resolved", add_back_links)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
