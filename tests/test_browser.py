"""The built pages in a real browser, with the network blocked.

Headless Chromium (Debian's ``chromium`` package, ``/usr/bin/chromium``; ``UFM_CHROMIUM``
names another) driven by Playwright, with a fresh profile. The built HTML is served on
127.0.0.1; every request to any other address is aborted and fails the test. For every page
of the table of contents:

- it loads with no console error, no uncaught exception and no failed request;
- MathJax 3 has typeset every formula (MathJax output inside every math element) and no
  raw ``$...$``, ``\\(...\\)`` or ``\\begin{...}`` is left in the text;
- it has as many theorem, lemma, definition, proof, ... boxes as its source has
  ``prf:`` directives;
- every image has loaded;
- every explorer on it is live (its JavaScript twin mounted, with its controls);
- every animation's controls change its frame, and every switch shows the chosen view;
- it transfers at most 3 MB, everything it loads included;
- every solution starts collapsed.

With ``UFM_SCREENSHOTS=1``, a screenshot of each page, in the light and in the dark theme,
goes to ``_build/screenshots/`` (taken once the math is typeset and the explorers are
drawn), to look at them as a reader would; full-page screenshots of every page take a
minute, so the suite leaves them out by default.
The module is skipped, with the reason in the test summary, when Playwright or Chromium
is missing, except where ``UFM_REQUIRE_BROWSER`` is set (as .ci/run does): there it fails.
"""

import os
import re

import nbformat
import pytest
from book_build import ROOT, source_of, toc_documents
from browser import Visit, needs_browser

from ufm import animation

pytest_plugins = ["book_build", "browser"]
pytestmark = needs_browser
SCREENSHOTS = ROOT / "_build" / "screenshots"

#: The boxes of sphinx-proof, by directive name (a box has the classes ``proof NAME``;
#: a proof has ``proof`` only).
PROOF_KINDS = (
    "algorithm",
    "assumption",
    "axiom",
    "conjecture",
    "corollary",
    "criterion",
    "definition",
    "example",
    "lemma",
    "notation",
    "observation",
    "property",
    "proposition",
    "remark",
    "theorem",
)
DIRECTIVE = re.compile(r"^\s*(?:`{3,}|:{3,})\{prf:(\w+)\}", re.MULTILINE)
#: TeX that MathJax did not typeset, in the text outside code: a control sequence
#: (``\beta``, ``\(``, ``\[``), or a dollar sign opening math (``$x``).
RAW_TEX = re.compile(r"\\[A-Za-z]+|\\[(\[]|(?<!\\)\$(?=[^\s$\d])")


def screenshot(visit, document, theme):
    """With UFM_SCREENSHOTS=1, the whole page as a PNG in _build/screenshots/."""
    if os.environ.get("UFM_SCREENSHOTS") != "1":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{document.replace('/', '-')}-{theme}.png"
    visit.page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 0


def source_text(document):
    """The text an author wrote: a notebook's Markdown cells, or a Markdown page."""
    source = source_of(document)
    if source.suffix == ".ipynb":
        notebook = nbformat.read(source, as_version=4)
        return "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    return source.read_text(encoding="utf-8")


def math_problems(page):
    problems = []
    elements = page.locator("span.math, div.math").count()
    if not elements:
        return problems
    version = page.evaluate("() => window.MathJax && window.MathJax.version")
    if not str(version).startswith("3."):
        return [f"{elements} math elements but MathJax 3 is not loaded (version {version})"]
    untypeset = page.evaluate(
        "() => Array.from(document.querySelectorAll('span.math, div.math'))"
        ".filter(e => !e.querySelector('mjx-container')).map(e => e.textContent.slice(0, 80))"
    )
    if untypeset:
        problems.append(f"math not typeset by MathJax: {untypeset[:5]}")
    text = page.evaluate(
        """() => {
            const root = (document.querySelector("article") || document.body).cloneNode(true);
            root.querySelectorAll("pre, code, script, style, textarea, mjx-container, .highlight")
                .forEach(e => e.remove());
            return root.textContent;
        }"""
    )
    raw = [
        " ".join(text[max(0, m.start() - 40) : m.end() + 40].split())
        for m in RAW_TEX.finditer(text)
    ]
    if raw:
        problems.append(f"raw TeX left in the text ({len(raw)} places), e.g. {raw[:3]}")
    return problems


def box_problems(page, document):
    wanted = {}
    for kind in DIRECTIVE.findall(source_text(document)):
        wanted[kind] = wanted.get(kind, 0) + 1
    kinds = page.evaluate(
        "kinds => Array.from(document.querySelectorAll('div.proof.admonition'))"
        ".map(e => kinds.find(k => e.classList.contains(k)) || 'proof')",
        list(PROOF_KINDS),
    )
    shown = {}
    for kind in kinds:
        shown[kind] = shown.get(kind, 0) + 1
    return [] if shown == wanted else [f"prf boxes {shown} != directives in the source {wanted}"]


def image_problems(page):
    broken = page.evaluate(
        "() => Array.from(document.images)"
        ".filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src.slice(0, 100))"
    )
    return [f"images not loaded: {broken}"] if broken else []


def explorer_problems(page):
    """Every explorer on the page is live: its JavaScript twin mounted, with its controls."""
    dead = page.evaluate(
        """() => Array.from(document.querySelectorAll('[data-ufm-explorer]'))
            .filter(e => !(e.ufm && e.querySelector('[data-ufm-control]')))
            .map(e => e.dataset.ufmExplorer)"""
    )
    return [f"explorers not live: {dead}"] if dead else []


def solution_problems(page):
    shown = page.evaluate(
        """() => Array.from(document.querySelectorAll(".solution")).filter(s =>
            Array.from(s.children).some(c => !c.classList.contains("admonition-title")
                && c.getBoundingClientRect().height > 0
                && c.checkVisibility({opacityProperty: true, visibilityProperty: true})))
            .map(s => s.id)"""
    )
    return [f"solutions shown before the reader opens them: {shown}"] if shown else []


def player_problems(page):
    problems = []
    players = page.locator(".ufm-player")
    for i in range(players.count()):
        player = players.nth(i)
        if not player.is_visible() or int(player.get_attribute("data-frames")) < 2:
            continue
        image = player.locator(".ufm-player-frame")
        caption = player.locator(".ufm-player-caption")
        last = image.get_attribute("src")
        player.locator("[data-action=first]").click()
        first, first_caption = image.get_attribute("src"), caption.text_content()
        player.locator("[data-action=next]").click()
        second = image.get_attribute("src")
        slider = player.locator("input[type=range]")
        slider.focus()
        page.keyboard.press("End")
        end = image.get_attribute("src")
        player.locator("[data-action=play]").click()
        try:
            page.wait_for_function(
                "([img, last]) => img.getAttribute('src') !== last",
                arg=[image.element_handle(), end],
                timeout=5_000,
            )
            played = True
        except Exception:
            played = False
        pause_label = player.locator("[data-action=play]").text_content()
        player.locator("[data-action=play]").click()
        if not (first != last and second != first and end == last):
            problems.append(f"animation {i}: First/Next/slider do not change the frame")
        if caption.text_content() == first_caption and first == second:
            problems.append(f"animation {i}: the caption does not follow the frame")
        if not played or pause_label != "Pause":
            problems.append(f"animation {i}: Play does not play")
    return problems


#: What a page may transfer when it is opened, everything it loads included (bytes).
MAX_TRANSFER = 3_000_000


def weight_problems(page):
    """The bytes of the page and of everything it loaded (scripts, styles, fonts, images),
    as the browser's resource timing reports them (cached resources count too)."""
    total = page.evaluate(
        """() => performance.getEntriesByType("navigation").concat(
            performance.getEntriesByType("resource"))
            .reduce((sum, e) => sum + (e.encodedBodySize || 0), 0)"""
    )
    return [f"the page transfers {total:,} bytes (at most {MAX_TRANSFER:,})"] * (
        total > MAX_TRANSFER
    )


def switch_problems(page):
    problems = []
    switches = page.locator(".ufm-switch")
    for i in range(switches.count()):
        switch = switches.nth(i)
        if not switch.is_visible():
            continue
        radios = switch.locator(":scope > fieldset input[type=radio]")
        panels = switch.locator(":scope > .ufm-switch-view")
        for j in range(radios.count()):
            radios.nth(j).check()
            visible = [k for k in range(panels.count()) if panels.nth(k).is_visible()]
            if visible != [j]:
                problems.append(f"switch {i}: choice {j} shows views {visible}")
        radios.nth(0).check()
    return problems


DOCUMENTS = list(toc_documents())


@pytest.mark.build
@pytest.mark.parametrize("document", DOCUMENTS)
def test_page_reads_offline_in_the_light_theme(document, built_book, serve, browser, network):
    visit = Visit(browser, network, serve(built_book.html) + f"{document}.html", "light")
    try:
        screenshot(visit, document, "light")
        page = visit.page
        problems = [
            *math_problems(page),
            *box_problems(page, document),
            *image_problems(page),
            *explorer_problems(page),
            *solution_problems(page),
        ]
        problems += player_problems(page) + switch_problems(page) + weight_problems(page)
        problems += visit.errors
        problems += [f"request to another host: {url}" for url in network.blocked]
    finally:
        visit.close()
    assert not problems, f"{document}:\n" + "\n".join(problems)


@pytest.mark.build
@pytest.mark.parametrize("document", DOCUMENTS)
def test_page_reads_offline_in_the_dark_theme(document, built_book, serve, browser, network):
    visit = Visit(browser, network, serve(built_book.html) + f"{document}.html", "dark")
    try:
        theme = visit.page.evaluate("() => document.documentElement.dataset.theme")
        screenshot(visit, document, "dark")
        problems = visit.errors + [f"request to another host: {u}" for u in network.blocked]
        problems += image_problems(visit.page)
    finally:
        visit.close()
    assert theme == "dark"
    assert not problems, f"{document}:\n" + "\n".join(problems)


def test_animation_and_switch_controls_work_in_the_browser(tmp_path, serve, browser, network):
    first = animation.animate_descent(steps=60, frames=4)
    second = animation.animate_descent(steps=60, frames=4, seed=1)
    switch = animation.switchable({"seed 0": first, "seed 1": second}, legend="seed")
    (tmp_path / "index.html").write_text(
        f"<!doctype html><html><head><meta charset='utf-8'></head><body>{switch.html}</body>"
        "</html>",
        encoding="utf-8",
    )
    visit = Visit(browser, network, serve(tmp_path) + "index.html")
    try:
        problems = player_problems(visit.page) + switch_problems(visit.page)
        visit.page.locator(".ufm-switch input[type=radio]").nth(1).check()
        problems += player_problems(visit.page)
        problems += visit.errors + [f"request to another host: {u}" for u in network.blocked]
    finally:
        visit.close()
    assert not problems, "\n".join(problems)


def test_a_request_to_another_host_is_blocked_and_recorded(tmp_path, serve, browser, network):
    (tmp_path / "index.html").write_text(
        "<!doctype html><html><body><img alt='x' src='https://example.org/x.png'></body></html>"
    )
    visit = Visit(browser, network, serve(tmp_path) + "index.html")
    try:
        blocked = list(network.blocked)
    finally:
        visit.close()
    assert blocked == ["https://example.org/x.png"]
