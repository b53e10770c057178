"""The book builds as `make book` builds it: every notebook executed, warnings as errors.

Also on the built HTML: the API reference is an overview and short pages that document
every object once, and the bibliography links each cited work back to where it is cited.

Slow (it executes every chapter); deselect with `pytest -m "not build"`. The build is shared
with the other tests of the built HTML (tests/book_build.py).
"""

import re

import pytest
from book_build import toc_documents

import ufm

pytest_plugins = ["book_build"]


@pytest.mark.build
def test_book_builds_without_warnings_and_has_a_page_per_toc_entry(built_book):
    if built_book.returncode is None:
        pytest.skip("UFM_BOOK_HTML names an existing build; this test checks a fresh one")
    assert built_book.returncode == 0, f"jupyter-book build failed:\n{built_book.log}"

    assert (built_book.html / "index.html").is_file()
    documents = list(toc_documents())
    assert {"book/intro", "book/notation", "book/api", "book/bibliography"} <= set(documents)
    missing = [doc for doc in documents if not built_book.page(doc).is_file()]
    assert not missing, f"no HTML page for {missing}"


API = [doc for doc in toc_documents() if doc == "book/api" or doc.startswith("book/api/")]
#: The most objects (functions, classes, methods, constants) one page of the API documents.
MAX_OBJECTS_PER_API_PAGE = 100
OBJECT_ID = re.compile(r'<dt class="sig sig-object py" id="([^"]+)"')
MODULE_ID = re.compile(r'id="module-(ufm[\w.]*)"')


@pytest.mark.build
def test_the_api_reference_is_an_overview_and_short_pages_that_document_each_object_once(
    built_book,
):
    objects, modules = [], []
    for document in API:
        html = built_book.page(document).read_text(encoding="utf-8")
        found = OBJECT_ID.findall(html)
        assert len(found) <= MAX_OBJECTS_PER_API_PAGE, f"{document}: {len(found)} objects"
        objects += found
        modules += MODULE_ID.findall(html)
    assert len(API) >= 5 and not OBJECT_ID.findall(built_book.page("book/api").read_text())
    twice = sorted({name for name in objects if objects.count(name) > 1})
    assert not twice, f"documented more than once: {twice}"
    # Every name the package re-exports is documented, once, under its short name.
    assert {f"ufm.{name}" for name in ufm.__all__} <= set(objects)
    assert not [name for name in objects if name.split(".")[1] in {"model", "collapse"}]
    expected = {"ufm", "ufm.model", "ufm.collapse", "ufm.subspace", "ufm.dynamics", "ufm.plots"}
    assert expected <= set(modules) and len(modules) == len(set(modules)), modules


CITATION = re.compile(r'<span class="bibtex-citation" id="([^"]+)">(.*?)</span>(?!</a>)', re.DOTALL)


def cited_in_line(entry_html):
    match = re.search(r'<p class="ufm-cited-in">(.*?)</p>', entry_html, re.DOTALL)
    return re.findall(r'href="([^"]+)"', match.group(1)) if match else []


@pytest.mark.build
def test_every_entry_of_the_bibliography_links_back_to_each_place_that_cites_it(built_book):
    # Where each work is cited: {"cite-KEY": {"book/observed.html#id3", ...}}.
    places = {}
    for document in toc_documents():
        if document == "book/bibliography":
            continue
        html = built_book.page(document).read_text(encoding="utf-8")
        for ref_id, inner in CITATION.findall(html):
            for entry in re.findall(r'href="bibliography\.html#([^"]+)"', inner):
                places.setdefault(entry, set()).add(f"{document}.html#{ref_id}")
    assert len(places) >= 5, places
    bibliography = built_book.page("book/bibliography").read_text(encoding="utf-8")
    entries = dict(
        re.findall(r'<div class="citation" id="([^"]+)"(.*?)</div>', bibliography, re.DOTALL)
    )
    assert set(places) <= set(entries), set(places) - set(entries)
    for entry, html in entries.items():
        links = {f"book/{href}" for href in cited_in_line(html)}
        assert links == places.get(entry, set()), (entry, links, places.get(entry))
