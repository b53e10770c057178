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

On a chapter, hovering over a reference to a result or over a citation shows a preview of
what it points to (sphinx-tippy with the vendored tippy.js, ``book/_ext/book_previews.py``).

``book/_static/layout/ufm-layout.js`` puts the hints and the fixes in place.

And the text of every figure reads at both widths: its smallest text is at least
``LEGIBLE[device]`` CSS px high as the page shows it. For a PNG (made by
:func:`ufm.plots.png`, which records the figure's smallest font size in the image), that is
the font size in points × the image's pixels per inch / 72 × its shown width / its width
in pixels; for the explorers' SVG (``ufm/js/plot.js``), the computed font size of each text
× the scale of the SVG on the screen.
"""

import base64
import io
import re
from urllib.parse import unquote, urlparse

import nbformat
import pytest
from book_build import ROOT, toc_documents
from browser import Load, launch_context, needs_browser

from ufm import plots

pytest_plugins = ["book_build", "browser"]
pytestmark = [needs_browser, pytest.mark.build]

DOCUMENTS = list(toc_documents())
WIDTHS = {"desktop": 1280, "phone": 390}
#: The smallest legible text on a figure, in CSS px, on each device: 9 px on a phone, which
#: is held close, 10 px on a desktop.
LEGIBLE = {"desktop": 10.0, "phone": 9.0}
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


#: The figures of the article as shown: every visible image (its address, its width in
#: pixels and as shown) and every SVG with text, outside formulas (the smallest text as
#: shown: computed font size times the SVG's scale on the screen).
FIGURES = """() => {
    const article = document.querySelector("main article, .bd-article");
    const shown = e => e.checkVisibility({visibilityProperty: true, opacityProperty: true})
        && e.getBoundingClientRect().width > 0;
    const place = e => {
        const explorer = e.closest("[data-ufm-explorer]");
        const figure = e.closest("figure[id]");
        return explorer ? `explorer ${explorer.dataset.ufmExplorer}`
            : figure ? `figure ${figure.id}` : (e.alt || "").slice(0, 40) || "an image";
    };
    const images = Array.from(article.querySelectorAll("img")).filter(shown).map(img => ({
        name: place(img), src: img.currentSrc, natural: img.naturalWidth,
        width: img.getBoundingClientRect().width,
    }));
    const svgs = [];
    for (const svg of article.querySelectorAll("svg")) {
        if (svg.closest("mjx-container") || !shown(svg)) continue;
        let smallest = Infinity, text = "";
        for (const t of svg.querySelectorAll("text")) {
            if (!t.textContent.trim() || !t.getBoundingClientRect().height) continue;
            const m = t.getScreenCTM();
            const size = parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b);
            if (size < smallest) { smallest = size; text = t.textContent.trim(); }
        }
        if (smallest < Infinity) svgs.push({name: place(svg), smallest, text});
    }
    return {images, svgs};
}"""


def png_bytes(src, html):
    """The bytes of an image of the built book, from its ``data:`` or local address."""
    if src.startswith("data:"):
        return base64.b64decode(src.split(",", 1)[1])
    return (html / unquote(urlparse(src).path).lstrip("/")).read_bytes()


def text_height(image, html):
    """The height in CSS px of the smallest text of an image as shown, or None if the
    image does not record its smallest font size."""
    from PIL import Image

    picture = Image.open(io.BytesIO(png_bytes(image["src"], html)))
    points = getattr(picture, "text", {}).get(plots.TEXT_SIZE_KEY)
    if points is None or "dpi" not in picture.info:
        return None
    pixels = float(points) * picture.info["dpi"][0] / 72
    return pixels * image["width"] / image["natural"]


def has_figures(html_page):
    text = html_page.read_text(encoding="utf-8")
    return any(tag in text for tag in ("<img", "<svg", "data-ufm-explorer"))


@pytest.mark.parametrize(("document", "device"), list(cases()))
def test_the_text_of_every_figure_is_legible(
    document, device, built_book, serve, browser, phone, network
):
    """Every figure of the page, as shown, has no text smaller than ``LEGIBLE[device]``."""
    page_file = built_book.page(document)
    if not has_figures(page_file):
        return  # no image, no SVG, no explorer: nothing to read
    context = phone if device == "phone" else browser
    visit = Load(context, network, serve(built_book.html) + f"{document}.html")
    try:
        found = visit.page.evaluate(FIGURES)
    finally:
        visit.close()
    least = LEGIBLE[device]
    problems = []
    for image in found["images"]:
        height = text_height(image, built_book.html)
        if height is None:
            problems.append(
                f"{image['name']}: the image does not record its smallest font size "
                "(make it with ufm.plots.png or ufm.plots.image)"
            )
        elif height < least:
            problems.append(
                f"{image['name']}: smallest text {height:.1f} px (shown {image['width']:.0f} "
                f"px wide, drawn {image['natural']} px wide)"
            )
    for svg in found["svgs"]:
        if svg["smallest"] < least:
            problems.append(f"{svg['name']}: text «{svg['text']}» {svg['smallest']:.1f} px")
    assert not problems, f"{document} at {WIDTHS[device]} px, below {least} px:\n" + "\n".join(
        problems
    )


#: Links whose preview the test opens: a reference to a numbered result and a citation.
PREVIEWED = {
    "result": ", ".join(
        f"article a.reference[href*='#{kind}-']" for kind in ("def", "thm", "lem", "cor")
    ),
    "citation": "article a.reference[href*='bibliography.html#cite-']",
}
#: The text of a link's target, as its page has it (spaces collapsed), and the preview.
TARGET_TEXT = """async link => {
    const url = new URL(link.href);
    const page = new DOMParser().parseFromString(await (await fetch(url)).text(), "text/html");
    const target = page.getElementById(decodeURIComponent(url.hash.slice(1)));
    return target ? target.textContent.replace(/\\s+/g, " ").trim() : null;
}"""


@pytest.mark.parametrize("kind", list(PREVIEWED))
def test_hovering_a_reference_or_a_citation_shows_what_it_points_to(
    kind, built_book, serve, browser, network
):
    """sphinx-tippy's previews, shown by the vendored tippy.js: the first words of the
    target (the title of the result, the authors of the work), its math typeset, no error
    and no request to another host."""
    visit = Load(browser, network, serve(built_book.html) + "book/results.html")
    try:
        page = visit.page
        link = page.locator(PREVIEWED[kind]).first
        expected = link.evaluate(TARGET_TEXT)
        assert expected, f"the {kind} link points to no element"
        link.scroll_into_view_if_needed()
        link.hover()
        tip = page.locator("[data-tippy-root] .tippy-content")
        tip.wait_for(state="visible", timeout=5_000)
        page.wait_for_timeout(500)  # MathJax typesets the preview as it opens
        shown = " ".join(tip.inner_text().split())
        assert expected[:25] in shown, (expected[:80], shown[:200])
        assert tip.locator(".math").count() == tip.locator(".math mjx-container").count()
        assert not RAW.search(
            tip.evaluate(
                """tip => { const copy = tip.cloneNode(true);
                copy.querySelectorAll("mjx-container").forEach(e => e.remove());
                return copy.textContent; }"""
            )
        )
        assert not visit.errors, visit.errors
        assert not network.blocked, network.blocked
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
