"""The book's search finds what a reader sees, and definitions first.

In Chromium, on the built book, with the network blocked (``book/_ext/book_search.py``
makes both true):

- typing ``NC1`` (``NC2``, ``NC3``, ``NC4``) into the search box of a page lists first the
  definition of that measure (``def-nc1``, ...), before the method ``ReducedState.nc1``
  that merely has the name;
- no snippet under a hit shows a line of code from a hidden cell (``hide-input``,
  ``hide-cell``, ``remove-input``, ``remove-cell``);
- no word that a page has only in its hidden code is in the search index for that page.
"""

import re

import nbformat
import pytest
from book_build import ROOT, source_of, toc_documents
from browser import Load, needs_browser

pytest_plugins = ["book_build", "browser"]
pytestmark = [needs_browser, pytest.mark.build]

HIDDEN_TAGS = {"hide-input", "hide-cell", "remove-input", "remove-cell"}
#: Shorter lines of hidden code (``plt.show()``, ``)``) may also be visible prose or code.
MIN_LINE = 20


def defining_document(label):
    """The document whose source defines ``label`` (``:label: def-nc1``)."""
    for document in toc_documents():
        if re.search(rf":label: {label}\b", source_of(document).read_text(encoding="utf-8")):
            return document
    raise LookupError(f"no document of the table of contents defines {label}")


def hidden_code_lines():
    """Every line of code, of at least ``MIN_LINE`` characters, of the chapters' hidden
    cells, with its spaces collapsed (as a snippet shows it)."""
    lines = set()
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code" and HIDDEN_TAGS & set(cell.metadata.get("tags", [])):
                lines |= {" ".join(line.split()) for line in cell.source.splitlines()}
    return {line for line in lines if len(line) >= MIN_LINE}


def search(page, query):
    """Type ``query`` into the page's search box and wait for the hits; their links and
    snippets."""
    page.keyboard.press("Control+k")
    box = page.locator("form.bd-search input[name='q']:visible").first
    box.fill(query)
    box.press("Enter")
    page.wait_for_url(re.compile(r"search\.html\?q="))
    page.wait_for_function(
        "() => document.querySelector('#search-results > p, .search-summary')", timeout=30_000
    )
    page.wait_for_timeout(1500)  # snippets arrive page by page
    hits = page.locator("#search-results ul.search li > a").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    snippets = page.locator("#search-results p.context").all_inner_texts()
    return hits, snippets


@pytest.mark.parametrize("measure", ["NC1", "NC2", "NC3", "NC4"])
def test_a_search_for_a_measure_lists_its_definition_first(
    measure, built_book, serve, browser, network
):
    label = f"def-{measure.lower()}"
    document = defining_document(label)
    visit = Load(browser, network, serve(built_book.html) + "book/intro.html")
    try:
        hits, snippets = search(visit.page, measure)
        assert hits, f"no hit for {measure}"
        assert hits[0].split("?")[0] == f"{document}.html#{label}", hits[:3]
        shown = [" ".join(snippet.split()) for snippet in snippets]
        leaked = [(line, s) for line in hidden_code_lines() for s in shown if line in s]
        assert not leaked, f"snippets show hidden code: {leaked[:3]}"
        assert not visit.errors, visit.errors
        assert not network.blocked, network.blocked
    finally:
        visit.close()


#: For each page with hidden cells: the words of its hidden parts, stemmed as the search
#: stems them, that are nowhere else on the page, and those of them that the index lists for
#: the page.
HIDDEN_WORDS_IN_INDEX = """async () => {
    const index = Search._index;
    const stemmer = new Stemmer();
    const stems = text => new Set((text.toLowerCase().match(/[a-z_][a-z0-9_]{2,}/g) || [])
        .map(word => stemmer.stemWord(word)));
    const found = {};
    for (const [i, docname] of index.docnames.entries()) {
        const html = await (await fetch(`${docname}.html`)).text();
        const page = new DOMParser().parseFromString(html, "text/html");
        const article = page.querySelector("main article, .bd-article");
        const hidden = Array.from(article.querySelectorAll("details.hide"));
        if (!hidden.length) continue;
        const hiddenStems = stems(hidden.map(e => e.textContent).join(" "));
        hidden.forEach(e => e.remove());
        const visible = stems(article.textContent + " " + page.title);
        const only = [...hiddenStems].filter(stem => !visible.has(stem));
        const listed = only.filter(stem => [index.terms[stem], index.titleterms[stem]]
            .flat().includes(i));
        found[docname] = {only: only.length, listed};
    }
    return found;
}"""


def test_the_index_holds_no_word_that_a_page_has_only_in_its_hidden_code(
    built_book, serve, browser, network
):
    visit = Load(browser, network, serve(built_book.html) + "search.html")
    try:
        visit.page.wait_for_function("() => Search.hasIndex()", timeout=30_000)
        found = visit.page.evaluate(HIDDEN_WORDS_IN_INDEX)
        assert sum(entry["only"] for entry in found.values()) >= 10, found  # a real check
        listed = {doc: entry["listed"][:8] for doc, entry in found.items() if entry["listed"]}
        assert not listed, f"words of hidden code in the search index: {listed}"
        assert not visit.errors, visit.errors
    finally:
        visit.close()
