"""The book serves a small Font Awesome, and the icons look as they did with the full one.

pydata-sphinx-theme loads ``_static/scripts/fontawesome.js`` on every page: 1.5 MB of Font
Awesome with every icon. ``book/_ext/book_icons.py`` writes over it Font Awesome's SVG core
with only the icons of ``book/_static/vendor/fontawesome/ICONS`` (made by
``scripts/refresh_vendor.sh``). Checked here:

- the icon list names every icon the two themes can write (templates, Python, scripts), and
  the vendored script defines exactly those icons (without a build);
- the extension fails the build on an icon outside the subset, and otherwise serves the
  subset with its licence (on a made-up output folder, without a build);
- on the built book: the served script is the subset and is small, and it defines every
  icon that a page or a script of ``_static`` uses;
- in Chromium (network blocked, as in test_browser.py), on two pages: every icon element has
  become an ``<svg>`` with a path, the same markup and the same pixels as with the theme's
  full Font Awesome, with no console error; the theme switcher's icon changes on a click.

The browser tests are skipped without Playwright or Chromium, unless ``UFM_REQUIRE_BROWSER``
is set (as .ci/run does): there they fail.
"""

import hashlib
import importlib.util
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import pydata_sphinx_theme
import pytest
import sphinx_book_theme
from book_build import ROOT, page_tags, source_of, toc_documents
from browser import CHROMIUM, CHROMIUM_ARGS, MISSING, needs_browser
from sphinx.errors import ExtensionError

pytest_plugins = ["book_build", "browser"]

VENDOR = ROOT / "book" / "_static" / "vendor" / "fontawesome"
SUBSET = VENDOR / "fontawesome.js"
SERVED = Path("_static") / "scripts" / "fontawesome.js"
#: The theme's own Font Awesome (every icon), as the theme ships it.
THEME_STATIC = (
    Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "static"
)
FULL = THEME_STATIC / "scripts" / "fontawesome.js"
MAX_BYTES = 150_000
PREFIXES = {"fas": "solid", "far": "regular", "fab": "brands"}


def _load_extension():
    spec = importlib.util.spec_from_file_location("book_icons", ROOT / "book/_ext/book_icons.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


book_icons = _load_extension()


def listed_icons() -> set[tuple[str, str]]:
    """The ``(style, name)`` lines of ICONS."""
    icons = set()
    for line in (VENDOR / "ICONS").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            style, name = line.split()
            icons.add((style, name))
    return icons


def script_icons(script: str) -> dict[str, dict[str, list[str]]]:
    """The icon tables of a Font Awesome script, by style: ``{style: {name: aliases}}``.

    Each icon pack ends by registering its table, ``defineIcons("fas", table)``; the text
    between one pack's registration and the next holds the next pack's table.
    """
    tables = {}
    start = 0
    for call in re.finditer(r'\("(fas|far|fab)",', script):
        entries = re.findall(
            r'"([a-z0-9-]+)":\[\d+,\d+,\[([^\]]*)\],"', script[start : call.start()]
        )
        if entries:
            tables[PREFIXES[call.group(1)]] = {
                name: re.findall(r'"([a-z0-9-]+)"', aliases) for name, aliases in entries
            }
            start = call.end()
    return tables


def defines(tables, style, name) -> bool:
    """Whether the tables define the icon (by its name or an alias); no style: any."""
    styles = [style] if style else list(tables)
    return any(
        name in table or any(name in aliases for aliases in table.values())
        for table in (tables.get(s, {}) for s in styles)
    )


def theme_icons() -> set[tuple[str, str]]:
    """Every icon the themes' templates, Python and scripts write: ``style fa-NAME``."""
    written = re.compile(r"\b(fa-solid|fa-regular|fa-brands|fas|far|fab)\s+fa-([a-z0-9-]+)")
    files = []
    for package in (pydata_sphinx_theme, sphinx_book_theme):
        folder = Path(package.__file__).parent
        files += [*folder.rglob("*.html"), *folder.rglob("*.py")]
        files += [p for p in folder.rglob("*.js") if p.name != "fontawesome.js"]
    icons = set()
    for path in files:
        for style, name in written.findall(path.read_text(encoding="utf-8", errors="replace")):
            icons.add((book_icons.STYLE_CLASSES[style], name))
    # sphinx-book-theme writes the repository's brand as f"fab fa-{provider.lower()}", the
    # providers being those of its get_repo_parts.
    icons |= {("brands", provider) for provider in ("github", "gitlab", "bitbucket")}
    return icons


# --- Without a build ---------------------------------------------------------------------


def test_the_icon_list_names_every_icon_the_themes_can_write():
    tables = script_icons(SUBSET.read_text(encoding="utf-8"))
    icons = theme_icons()
    assert ("solid", "sun") in icons and ("solid", "xmark") in icons  # the scan finds them
    missing = sorted(icon for icon in icons if not defines(tables, *icon))
    assert not missing, f"icons the themes write, missing from {VENDOR / 'ICONS'}: {missing}"


def test_the_vendored_script_defines_exactly_the_listed_icons():
    script = SUBSET.read_text(encoding="utf-8")
    tables = script_icons(script)
    listed = listed_icons()
    assert not [icon for icon in listed if not defines(tables, *icon)]
    # No icon beyond the list: each icon of the tables is named, or aliased, in the list.
    for style, table in tables.items():
        names = {name for s, name in listed if s == style}
        extra = [icon for icon, aliases in table.items() if not names & {icon, *aliases}]
        assert not extra, f"{style} icons not in ICONS: {extra}"
    assert set(tables) == {style for style, _ in listed}
    assert script.startswith("/*!\n * Font Awesome Free 6.")
    versions = (VENDOR / "VERSIONS").read_text(encoding="utf-8")
    assert f"fontawesome.js sha256: {hashlib.sha256(SUBSET.read_bytes()).hexdigest()}" in versions
    assert "Font Awesome Free License" in (VENDOR / "LICENSE.txt").read_text(encoding="utf-8")


def test_the_subset_is_of_the_theme_major_version():
    banner = (THEME_STATIC / "scripts" / "fontawesome.js.LICENSE.txt").read_text()
    theme = re.search(r"Font Awesome Free (\d+)\.", banner).group(1)
    ours = re.search(r"Font Awesome Free (\d+)\.", SUBSET.read_text(encoding="utf-8")).group(1)
    assert ours == theme


def made_up_build(folder: Path, body: str) -> SimpleNamespace:
    """An output folder with the theme's scripts and one page, and a Sphinx app of it."""
    scripts = folder / "_static" / "scripts"
    scripts.mkdir(parents=True)
    for name in ("fontawesome.js", "fontawesome.js.LICENSE.txt", "fontawesome.js.map"):
        shutil.copy(THEME_STATIC / "scripts" / name, scripts / name)
    (folder / "page.html").write_text(f"<!doctype html><html><body>{body}</body></html>")
    return SimpleNamespace(outdir=str(folder), builder=SimpleNamespace(format="html"))


def test_the_extension_serves_the_subset_with_its_licence(tmp_path):
    app = made_up_build(tmp_path, '<i class="fa-solid fa-bars fa-lg"></i><i class="fab fa-github">')
    book_icons.serve_subset(app, None)
    assert (tmp_path / SERVED).read_bytes() == SUBSET.read_bytes()
    licence = (tmp_path / SERVED).with_name("fontawesome.js.LICENSE.txt").read_text()
    assert "Font Awesome Free 6." in licence and "Font Awesome Free License" in licence
    assert not (tmp_path / SERVED).with_name("fontawesome.js.map").exists()


def test_the_extension_fails_the_build_on_an_icon_outside_the_subset(tmp_path):
    app = made_up_build(tmp_path, '<i class="fa-solid fa-bars"></i><i class="fa-solid fa-cat">')
    with pytest.raises(ExtensionError, match=r"(?s)fa-cat \(solid\): page\.html.*ICONS"):
        book_icons.serve_subset(app, None)
    # The theme's file is left as it was.
    assert (tmp_path / SERVED).read_bytes() == FULL.read_bytes()


def test_the_extension_reads_icon_classes_not_utility_classes():
    classes = "theme-switch fa-solid fa-sun fa-lg fa-fw fa-spin fa-2x"
    assert book_icons.icons_of_classes(classes) == {("solid", "sun")}
    assert book_icons.icons_of_classes("fab fa-github") == {("brands", "github")}
    assert book_icons.icons_of_classes("fa fa-house") == {(None, "house")}


# --- On the built book -------------------------------------------------------------------


def used_icons(html: Path) -> dict[tuple, list[str]]:
    """Every icon used by a page (its ``class`` attributes) or a script of ``_static``."""
    used = {}
    skip = {"_static", "_sources", "_images"}
    for page in sorted(html.rglob("*.html")):
        if skip & set(page.relative_to(html).parts):
            continue
        tags, _ = page_tags(page)
        for _, attributes in tags:
            for icon in book_icons.icons_of_classes(attributes.get("class", "")):
                used.setdefault(icon, []).append(str(page.relative_to(html)))
    for script in [*html.glob("_static/*.js"), *html.glob("_static/scripts/*.js")]:
        if script.name != "fontawesome.js":
            for icon in book_icons.icons_of_script(script.read_text(errors="replace")):
                used.setdefault(icon, []).append(str(script.relative_to(html)))
    return used


@pytest.mark.build
def test_the_served_fontawesome_is_the_small_subset(built_book):
    served = built_book.html / SERVED
    size = served.stat().st_size
    assert size < MAX_BYTES, f"{SERVED} is {size} bytes (the theme's has {FULL.stat().st_size})"
    assert served.read_bytes() == SUBSET.read_bytes()
    licence = served.with_name("fontawesome.js.LICENSE.txt").read_text(encoding="utf-8")
    assert "Font Awesome Free 6." in licence and "Font Awesome Free License" in licence
    assert not served.with_name("fontawesome.js.map").exists()


@pytest.mark.build
def test_every_icon_the_built_book_uses_is_defined_in_the_served_script(built_book):
    tables = script_icons((built_book.html / SERVED).read_text(encoding="utf-8"))
    used = used_icons(built_book.html)
    assert ("solid", "bars") in used and ("solid", "xmark") in used
    missing = {icon: pages[:3] for icon, pages in used.items() if not defines(tables, *icon)}
    assert not missing, f"icons used but not served: {missing}"


# --- In the browser ----------------------------------------------------------------------

#: The two pages: the root page (Markdown) and the first chapter notebook.
DOCUMENTS = list(toc_documents())
PAGES = [DOCUMENTS[0]] + [d for d in DOCUMENTS if source_of(d).suffix == ".ipynb"][:1]


@pytest.fixture(scope="module")
def site(built_book, serve):
    """The base URL of a local server of the built book."""
    return serve(built_book.html)


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    if MISSING:
        pytest.fail(f"UFM_REQUIRE_BROWSER is set, but {MISSING}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
            service_workers="block",
        )
        yield context
        context.close()


def visit(chromium, url, full=False):
    """Open ``url`` in the light theme with the network blocked; with ``full``, the theme's
    whole Font Awesome is served in place of the subset. Returns the page and a list that
    collects what went wrong."""
    problems = []
    page = chromium.new_page()

    def route(route):
        request = route.request.url
        if full and re.search(r"/_static/scripts/fontawesome\.js(\?|$)", request):
            route.fulfill(body=FULL.read_bytes(), content_type="text/javascript")
        elif re.match(r"(https?://127\.0\.0\.1:\d+/|data:|blob:|about:)", request):
            route.continue_()
        else:
            problems.append(f"request to another host: {request}")
            route.abort()

    # The book has no favicon; the browser asks for /favicon.ico all the same.
    def console(message):
        where = message.location.get("url", "")
        if message.type == "error" and not where.endswith("/favicon.ico"):
            problems.append(f"console error: {message.text} ({where})")

    def response(response):
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            problems.append(f"HTTP {response.status}: {response.url}")

    page.route("**/*", route)
    page.on("console", console)
    page.on("response", response)
    page.on("pageerror", lambda error: problems.append(f"uncaught exception: {error}"))
    page.add_init_script(
        "try { localStorage.setItem('mode', 'light'); localStorage.setItem('theme', 'light'); }"
        " catch (error) {}"
    )
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    return page, problems


#: The icons Font Awesome has drawn: their markup (the random ids of <title> made equal),
#: whether each has its path (not the placeholder of a missing icon), and the elements with
#: an icon class not yet replaced.
DRAWN = """names => {
    const icon = e => Array.from(e.classList).some(c => names.includes(c));
    return {
        left: Array.from(document.querySelectorAll("[class*='fa-']"))
            .filter(e => e.tagName.toLowerCase() !== "svg" && icon(e))
            .map(e => e.outerHTML.slice(0, 120)),
        svgs: Array.from(document.querySelectorAll("svg.svg-inline--fa")).map(s => ({
            markup: s.outerHTML.replace(/svg-inline--fa-title-[\\w-]+/g, "TITLE"),
            // A path of the icon, not Font Awesome's placeholder for a missing icon.
            path: !s.querySelector(".missing") && Array.from(s.querySelectorAll("path"))
                .some(p => (p.getAttribute("d") || "").length > 10),
        })),
    };
}"""
RESOLVES = """icons => icons.filter(([prefix, name]) =>
    !(window.FontAwesome && window.FontAwesome.findIconDefinition({prefix, iconName: name})))"""


def icon_elements(page_file: Path) -> tuple[int, list[str]]:
    """How many elements of a built page have an icon class, and those classes."""
    tags, _ = page_tags(page_file)
    count, names = 0, set()
    for _, attributes in tags:
        icons = book_icons.icons_of_classes(attributes.get("class", ""))
        count += bool(icons)
        names |= {f"fa-{name}" for _, name in icons}
    return count, sorted(names)


@needs_browser
@pytest.mark.build
@pytest.mark.parametrize("document", PAGES)
def test_every_icon_is_drawn_as_with_the_full_font_awesome(document, built_book, site, chromium):
    count, names = icon_elements(built_book.page(document))
    assert count > 10, f"{document}: only {count} icon elements in the built page"
    url = site + f"{document}.html"
    page, problems = visit(chromium, url)
    try:
        drawn = page.evaluate(DRAWN, names)
        prefixes = {v: k for k, v in PREFIXES.items()}
        wanted = [[prefixes[style or "solid"], name] for style, name in used_icons(built_book.html)]
        unresolved = page.evaluate(RESOLVES, wanted)
        header = page.locator(".bd-header-article").screenshot()
    finally:
        page.close()
    full_page, full_problems = visit(chromium, url, full=True)
    try:
        full_drawn = full_page.evaluate(DRAWN, names)
        full_header = full_page.locator(".bd-header-article").screenshot()
    finally:
        full_page.close()

    assert not problems, f"{document}:\n" + "\n".join(problems)
    assert not drawn["left"], f"{document}: icon elements not replaced: {drawn['left'][:5]}"
    assert len(drawn["svgs"]) >= count
    pathless = [svg["markup"][:160] for svg in drawn["svgs"] if not svg["path"]]
    assert not pathless, f"{document}: icons drawn without their path: {pathless}"
    assert not unresolved, f"icons the served Font Awesome does not know: {unresolved}"
    assert not full_problems, "\n".join(full_problems)
    assert [s["markup"] for s in drawn["svgs"]] == [s["markup"] for s in full_drawn["svgs"]]
    assert header == full_header, f"{document}: the header looks different with the subset"


@needs_browser
@pytest.mark.build
def test_the_theme_switcher_changes_its_icon(built_book, site, chromium):
    page, problems = visit(chromium, site + f"{PAGES[-1]}.html")
    shown = """() => Array.from(document.querySelectorAll(".theme-switch-button svg.theme-switch"))
        .filter(s => s.getBoundingClientRect().width > 0)
        .map(s => (s.querySelector(".missing") || !s.querySelector("path[d]") ? "missing " : "")
            + s.dataset.icon)"""
    try:
        icons = [page.evaluate(shown)]
        for _ in range(3):
            page.locator(".theme-switch-button").first.click()
            page.wait_for_timeout(100)
            icons.append(page.evaluate(shown))
        mode = page.evaluate("() => document.documentElement.dataset.mode")
    finally:
        page.close()
    assert not problems, "\n".join(problems)
    assert all(len(shown) == 1 for shown in icons), icons
    sequence = [shown[0] for shown in icons]
    assert all(a != b for a, b in zip(sequence, sequence[1:])), sequence
    assert set(sequence) == {"sun", "moon", "circle-half-stroke"}, sequence
    assert (sequence[0], sequence[-1], mode) == ("sun", "sun", "light")
