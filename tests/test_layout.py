"""Every page fits its column, on a desktop and on a phone, and its dropdowns work.

For every page of the table of contents, at 1280 px (a desktop) and at 390 px (a phone)
wide, in Chromium with the network blocked, once MathJax has typeset the math, one page
load each:

- the page itself never scrolls sideways;
- nothing in the article runs past the column outside a box that scrolls, and no box
  clips what it holds (the theme clips inline math that is too wide);
- at 1280 px no box of the article scrolls sideways: long formulas are broken with
  ``aligned``, code keeps its lines within 88 characters (checked in the sources below);
- at 390 px every box that scrolls sideways says so: a visible hint just before it, and
  a keyboard focus;
- no raw TeX (``\\ones``, ``$x``) and no MyST role (``{eval}`...```) is left in the text;
- a click on the title of every solution and dropdown (on its link, on its text, on its
  button) opens and closes it, and a click on every reference raises nothing (the test stops
  each click's default, following the link, after every handler has run);
- the console stays free of errors throughout.

``book/_static/layout/ufm-layout.js`` puts the hints and the fixes in place.
"""

import re

import nbformat
import pytest
from book_build import ROOT, toc_documents
from browser import launch_context, needs_browser

pytest_plugins = ["book_build", "browser"]
pytestmark = [needs_browser, pytest.mark.build]

DOCUMENTS = list(toc_documents())
WIDTHS = {"desktop": 1280, "phone": 390}
#: The longest code line of the book's own chapters (the column holds about 88 characters).
MAX_CODE_LINE = 88

#: Boxes of the article that overflow: running past the column, clipping, scrolling.
OVERFLOW = """() => {
    const article = document.querySelector("main article, .bd-article");
    const width = document.documentElement.clientWidth;
    const column = Math.min(article.getBoundingClientRect().right, width);
    const scrolls = s => ["auto", "scroll", "hidden", "clip"].includes(s.overflowX);
    const name = e => {
        const text = (e.textContent || "").trim().replace(/\\s+/g, " ").slice(0, 60);
        return `${e.tagName.toLowerCase()} «${text}»`;
    };
    const found = {page: document.documentElement.scrollWidth - width, past: [],
                   clipped: [], scrolling: [], unmarked: []};
    for (const e of article.querySelectorAll("*")) {
        if (e.closest("mjx-assistive-mml")) continue;
        const rect = e.getBoundingClientRect();
        if (!rect.width || !rect.height) continue;
        if (!e.checkVisibility({visibilityProperty: true, opacityProperty: true})) continue;
        const style = getComputedStyle(e);
        if (scrolls(style) && e.clientWidth > 2 && e.scrollWidth > e.clientWidth + 1) {
            const what = `${name(e)}: ${e.scrollWidth} px in ${e.clientWidth} px`;
            if (style.overflowX === "hidden" || style.overflowX === "clip") {
                found.clipped.push(what);
            } else {
                found.scrolling.push(what);
                const hint = e.previousElementSibling;
                const said = hint && hint.classList.contains("ufm-scroll-hint")
                    && hint.checkVisibility({visibilityProperty: true})
                    && hint.textContent.includes("Scroll");
                if (!said || e.tabIndex < 0) found.unmarked.push(what);
            }
        }
        if (rect.right > column + 1) {
            let a = e.parentElement, inside = false;
            for (; a && a !== article; a = a.parentElement) {
                if (scrolls(getComputedStyle(a))) { inside = true; break; }
            }
            if (!inside) found.past.push(`${name(e)}: right edge ${Math.round(rect.right)} px`
                + ` > ${Math.round(column)} px`);
        }
    }
    return found;
}"""

#: The text of the article as a reader sees it: code and typeset math left out.
TEXT = """() => {
    const root = document.querySelector("main article, .bd-article").cloneNode(true);
    root.querySelectorAll("pre, code, script, style, textarea, mjx-container, .highlight")
        .forEach(e => e.remove());
    return root.textContent;
}"""
RAW = re.compile(r"\\[A-Za-z]+|\\[(\[]|(?<!\\)\$(?=[^\s$\d])|\{[a-z:-]+\}`")

#: Clicks every solution's and dropdown's title (its link, its text, its button) and every
#: reference; reports the dropdowns that did not open or close.
CLICKS = """async () => {
    const pause = () => new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
    const stay = e => { if (e.target.closest && e.target.closest("a[href]")) e.preventDefault(); };
    window.addEventListener("click", stay);
    const problems = [];
    const hidden = box => box.classList.contains("toggle-hidden");
    for (const box of document.querySelectorAll(".admonition.toggle")) {
        const title = box.querySelector(":scope > .admonition-title");
        const label = (title.textContent || "").trim().slice(0, 50);
        const parts = [title.querySelector("a[href]"), title, title.querySelector("button")]
            .filter(Boolean);
        for (const part of parts) {
            const before = hidden(box);
            part.click();
            if (hidden(box) === before) {
                problems.push(`${label}: a click on its ${part.tagName.toLowerCase()} `
                    + "does not open or close it");
            }
        }
        if (!hidden(box)) title.click();
    }
    for (const details of document.querySelectorAll("details")) {
        const summary = details.querySelector("summary");
        if (!summary) continue;
        const before = details.open;
        summary.click();
        if (details.open === before) problems.push("a dropdown does not open");
        summary.click();
    }
    const article = document.querySelector("main article, .bd-article");
    for (const link of article.querySelectorAll("a.reference, a[href^='#']")) {
        link.click();
    }
    await pause();
    window.removeEventListener("click", stay);
    return problems;
}"""


def layout_problems(found, width):
    problems = []
    if found["page"] > 0:
        problems.append(f"the page scrolls sideways by {found['page']} px")
    problems += [f"runs past the column: {what}" for what in found["past"][:10]]
    problems += [f"clips its content: {what}" for what in found["clipped"][:10]]
    if width >= 1280:
        problems += [f"scrolls sideways: {what}" for what in found["scrolling"][:10]]
    else:
        problems += [f"scrolls without saying so: {what}" for what in found["unmarked"][:10]]
    return problems


def cases():
    for document in DOCUMENTS:
        for device in WIDTHS:
            yield pytest.param(document, device, id=f"{document}-{device}")


class Load:
    """A page opened once everything it needs is in place (loaded, math typeset,
    explorers drawn, the layout script run), with what went wrong meanwhile.

    Lighter than ``browser.Visit``: it does not wait for the network to fall idle, which
    Chromium does not always report (everything the book loads is local and in by "load").
    """

    def __init__(self, context, network, url):
        self.errors = []
        network.blocked.clear()
        self.page = page = context.new_page()
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
        page.on(
            "response",
            lambda r: r.status >= 400 and self.errors.append(f"HTTP {r.status}: {r.url}"),
        )
        page.goto(url, wait_until="load")
        page.evaluate(READY)

    def close(self):
        self.page.close()


READY = """async () => {
    const mathjax = window.MathJax;
    if (mathjax && mathjax.startup && mathjax.startup.promise) await mathjax.startup.promise;
    await Promise.all(Array.from(document.querySelectorAll("[data-ufm-explorer]"))
        .map(e => e.ufm ? e.ufm.ready : null));
    for (let i = 0; i < 3; i++) await new Promise(r => requestAnimationFrame(r));
    await new Promise(r => setTimeout(r, 50));
    for (let i = 0; i < 2; i++) await new Promise(r => requestAnimationFrame(r));
}"""


@pytest.fixture(scope="module")
def phone(playwright, tmp_path_factory, network):
    """A Chromium context as wide as a phone (390 px), network blocked like ``browser``."""
    context = launch_context(
        playwright,
        tmp_path_factory.mktemp("chromium-phone"),
        viewport={"width": WIDTHS["phone"], "height": 844},
        has_touch=True,
    )
    context.route("**/*", network.route)
    yield context
    context.close()


@pytest.mark.parametrize(("document", "device"), list(cases()))
def test_page_fits_its_column_and_its_dropdowns_open(
    document, device, built_book, serve, browser, phone, network
):
    width = WIDTHS[device]
    context = phone if device == "phone" else browser
    visit = Load(context, network, serve(built_book.html) + f"{document}.html")
    try:
        found = visit.page.evaluate(OVERFLOW)
        problems = layout_problems(found, width)
        text = visit.page.evaluate(TEXT)
        raw = [text[max(0, m.start() - 30) : m.end() + 30] for m in RAW.finditer(text)]
        if raw:
            problems.append(
                f"raw TeX or MyST in the text: {[' '.join(r.split()) for r in raw[:3]]}"
            )
        problems += visit.page.evaluate(CLICKS)
        problems += visit.errors
        problems += [f"request to another host: {url}" for url in network.blocked]
    finally:
        visit.close()
    assert not problems, f"{document} at {width} px:\n" + "\n".join(problems)


@pytest.mark.parametrize("query", ["collapse", "gradient", "json"])
def test_search_snippets_show_no_tex_and_no_hidden_code(query, built_book, serve, browser, network):
    """The snippet under each hit is cut from the page's text without its formulas (raw
    TeX before MathJax, between ``\\(`` and ``\\)``) and without the code of hidden cells
    (``json.loads`` is in the hidden first cell of the speed appendix)."""
    visit = Load(browser, network, serve(built_book.html) + f"search.html?q={query}")
    try:
        page = visit.page
        page.wait_for_function(
            "() => document.querySelector('#search-results > p, .search-summary')",
            timeout=30_000,
        )
        page.wait_for_timeout(1500)  # snippets arrive page by page
        snippets = page.locator("#search-results p.context").all_inner_texts()
        found = page.locator("#search-results ul.search li").count()
        if query == "collapse":
            assert found > 5 and snippets, (found, snippets)
        for snippet in snippets:
            assert not re.search(r"\\[()\[\]]|\$", snippet), snippet
            assert "json.loads" not in snippet, snippet
        # The text snippets are cut from, for a page with hidden code and formulas.
        text = page.evaluate(
            """async () => Search.htmlToText(
                await (await fetch("book/benchmarks.html")).text())"""
        )
        assert "json.loads" not in text and "\\(" not in text and "\\Fnorm" not in text
        assert "Numbers" in text or "numbers" in text  # the visible prose is still there
        assert not visit.errors, visit.errors
    finally:
        visit.close()


CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))


@pytest.mark.parametrize("path", CHAPTERS, ids=[path.stem for path in CHAPTERS])
def test_code_lines_of_the_chapters_fit_the_column(path):
    notebook = nbformat.read(path, as_version=4)
    long = [
        line
        for cell in notebook.cells
        if cell.cell_type == "code"
        for line in cell.source.splitlines()
        if len(line) > MAX_CODE_LINE
    ]
    assert not long, f"{path.name}: code lines over {MAX_CODE_LINE} characters: {long}"
