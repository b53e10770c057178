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

The theme's CSS draws other icons with Font Awesome's webfonts (admonition titles, external
links, ...); the extension serves subsets of them, made by ``scripts/refresh_vendor.sh`` with
the glyphs of ``book/_static/vendor/fontawesome/webfonts/CODEPOINTS``. Checked here:

- the reading of CSS that finds what the CSS can ask the webfonts for (on made-up CSS), and
  that CODEPOINTS lists what the installed themes' CSS asks for; the vendored subsets hold
  exactly the glyphs listed (their cmap, read with fontTools) and are small;
- the extension serves the subsets, and fails the build on a codepoint the CSS asks for
  outside them, or on webfonts of the theme that the subsets were not made from;
- on the built book: the served webfonts are the subsets, and hold every glyph the built CSS
  can ask for;
- in Chromium: each of those glyphs draws as with the theme's full webfonts; an admonition
  title's icon is drawn with Font Awesome's font, as with the full font; and before
  fontawesome.js replaces the ``<i>`` icons (here: never), Font Awesome's CSS draws them with
  the subsets as with the full fonts.

The browser tests are skipped without Playwright or Chromium, unless ``UFM_REQUIRE_BROWSER``
is set (as .ci/run does): there they fail.
"""

import hashlib
import importlib.util
import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pydata_sphinx_theme
import pytest
import sphinx_book_theme
from book_build import ROOT, page_tags, source_of, toc_documents
from browser import launch_context, needs_browser, settle
from fontTools.ttLib import TTFont
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
#: The webfont subsets, and the theme's full webfonts.
WEBFONTS = VENDOR / "webfonts"
SERVED_WEBFONTS = Path("_static") / "vendor" / "fontawesome" / "webfonts"
FULL_WEBFONTS = THEME_STATIC / "vendor" / "fontawesome" / "webfonts"
MAX_WEBFONT_BYTES = 20_000


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


def made_up_build(folder: Path, body: str, css: str = "") -> SimpleNamespace:
    """An output folder with the theme's scripts, stylesheets (and ``css`` after them) and
    webfonts, and one page; and a Sphinx app of it."""
    scripts = folder / "_static" / "scripts"
    scripts.mkdir(parents=True)
    for name in ("fontawesome.js", "fontawesome.js.LICENSE.txt", "fontawesome.js.map"):
        shutil.copy(THEME_STATIC / "scripts" / name, scripts / name)
    shutil.copytree(THEME_STATIC / "styles", folder / "_static" / "styles")
    shutil.copytree(FULL_WEBFONTS, folder / SERVED_WEBFONTS)
    (folder / "_static" / "book.css").write_text(css)
    (folder / "page.html").write_text(f"<!doctype html><html><body>{body}</body></html>")
    return SimpleNamespace(outdir=str(folder), builder=SimpleNamespace(format="html"))


def theme_files(folder: Path) -> dict[str, bytes]:
    """The theme's Font Awesome files in an output folder (script and webfonts)."""
    files = [folder / SERVED, *sorted((folder / SERVED_WEBFONTS).iterdir())]
    return {path.name: path.read_bytes() for path in files}


def test_the_extension_serves_the_subset_with_its_licence(tmp_path):
    app = made_up_build(tmp_path, '<i class="fa-solid fa-bars fa-lg"></i><i class="fab fa-github">')
    book_icons.serve_subset(app, None)
    assert (tmp_path / SERVED).read_bytes() == SUBSET.read_bytes()
    licence = (tmp_path / SERVED).with_name("fontawesome.js.LICENSE.txt").read_text()
    assert "Font Awesome Free 6." in licence and "Font Awesome Free License" in licence
    assert not (tmp_path / SERVED).with_name("fontawesome.js.map").exists()
    # The webfonts: the subsets, with their licence.
    for font in FULL_WEBFONTS.iterdir():
        assert (tmp_path / SERVED_WEBFONTS / font.name).read_bytes() == (
            WEBFONTS / font.name
        ).read_bytes()
    licence = (tmp_path / SERVED_WEBFONTS / "LICENSE.txt").read_text()
    assert "SIL OPEN FONT LICENSE" in licence.upper() and "subsets" in licence


def test_the_extension_fails_the_build_on_an_icon_outside_the_subset(tmp_path):
    app = made_up_build(tmp_path, '<i class="fa-solid fa-bars"></i><i class="fa-solid fa-cat">')
    with pytest.raises(ExtensionError, match=r"(?s)fa-cat \(solid\): page\.html.*ICONS"):
        book_icons.serve_subset(app, None)
    # The theme's file is left as it was.
    assert (tmp_path / SERVED).read_bytes() == FULL.read_bytes()


def test_the_extension_fails_the_build_on_a_glyph_outside_the_webfont_subsets(tmp_path):
    # The paw (U+F1B0) in an admonition title of a made-up type: drawn with the admonition
    # title's font, Font Awesome's solid.
    css = '.admonition.paw>.admonition-title:after{content:"\\f1b0"}'
    app = made_up_build(tmp_path, '<i class="fa-solid fa-bars"></i>', css)
    before = theme_files(tmp_path)
    with pytest.raises(
        ExtensionError,
        match=r"(?s)U\+F1B0 in fa-solid-900: \.admonition\.paw>\.admonition-title:after "
        r"\(book\.css\).*refresh_vendor\.sh",
    ):
        book_icons.serve_subset(app, None)
    assert theme_files(tmp_path) == before  # nothing written


def test_the_extension_serves_the_subsets_over_those_of_a_build_before(tmp_path):
    # Sphinx leaves a static file of the output that exists: a second build into the same
    # folder finds the subsets there.
    app = made_up_build(tmp_path, '<i class="fa-solid fa-bars"></i>')
    book_icons.serve_subset(app, None)
    book_icons.serve_subset(app, None)
    assert (tmp_path / SERVED_WEBFONTS / "fa-solid-900.woff2").read_bytes() == (
        WEBFONTS / "fa-solid-900.woff2"
    ).read_bytes()


def test_the_extension_fails_the_build_on_other_webfonts_than_those_of_the_subsets(tmp_path):
    app = made_up_build(tmp_path, '<i class="fa-solid fa-bars"></i>')
    (tmp_path / SERVED_WEBFONTS / "fa-solid-900.ttf").write_bytes(b"another font")
    before = theme_files(tmp_path)
    with pytest.raises(ExtensionError, match=r"fa-solid-900\.ttf is not the webfont"):
        book_icons.serve_subset(app, None)
    assert theme_files(tmp_path) == before


def test_the_extension_reads_icon_classes_not_utility_classes():
    classes = "theme-switch fa-solid fa-sun fa-lg fa-fw fa-spin fa-2x"
    assert book_icons.icons_of_classes(classes) == {("solid", "sun")}
    assert book_icons.icons_of_classes("fab fa-github") == {("brands", "github")}
    assert book_icons.icons_of_classes("fa fa-house") == {(None, "house")}


# --- The webfonts, without a build -------------------------------------------------------

MADE_UP_CSS = r"""
/* Font Awesome's faces, as the theme declares them; the comment has a { and a "quote. */
@font-face{font-family:Font Awesome\ 6 Free;font-weight:900;
  src:url(../vendor/fontawesome/webfonts/fa-solid-900.woff2) format("woff2"),
      url(../vendor/fontawesome/webfonts/fa-solid-900.ttf) format("truetype")}
@font-face{font-family:"Font Awesome 6 Free";font-weight:400;
  src:url("../vendor/fontawesome/webfonts/fa-regular-400.woff2")}
@font-face{font-family:Other;src:url(other.woff2)}
:root{--fa-font-solid:normal 900 1em/1 "Font Awesome 6 Free";--a:"\f06a";--b:var(--a)}
html[data-theme=dark]{--a:"\f0eb"}
.x:after{content:var(--b);font:var(--fa-font-solid)}
.x.y:after{content:"\f303"}
div.z:before{content:"\f1b0 \F2"; font-family:'Font Awesome 6 Free'}
.w:before{content:"\f0c9";font-family:Font Awesome\ 6 Free;font-weight:bold}
.t:before{content:"\2014"}
.u:before{content:"\e000"}
@media (min-width:1px){@supports (display:grid){.m>.n:after{content:"\f00d";
  font:var(--fa-font-solid)}}}
.fa-bars:before{content:"\f0c9"}
.fa-solid{font-family:Font Awesome\ 6 Free}
.fa-solid,.fas{font-weight:900}
"""


def test_the_css_reading_finds_what_the_css_asks_each_webfont_for():
    sheets = book_icons.Stylesheets({"made-up.css": MADE_UP_CSS})
    assert [face.name for face in sheets.faces] == ["fa-solid-900", "fa-regular-400"]
    assert sheets.faces[0].files == ("fa-solid-900.woff2", "fa-solid-900.ttf")
    asked = {key: where for key, where in book_icons.asked_glyphs(sheets, set()).items()}
    assert set(asked) == {
        # Through two custom properties, each value the property is given anywhere.
        ("fa-solid-900", 0xF06A),
        ("fa-solid-900", 0xF0EB),
        # A rule with the content only: the font of .x:after.
        ("fa-solid-900", 0xF303),
        # A font family without a weight: each face of the family.
        ("fa-solid-900", 0xF1B0),
        ("fa-regular-400", 0xF1B0),
        ("fa-solid-900", 0xF2),
        ("fa-regular-400", 0xF2),
        # Bold: the nearest heavier face.
        ("fa-solid-900", 0xF0C9),
        # A private-use codepoint without a font: every face.
        ("fa-solid-900", 0xE000),
        ("fa-regular-400", 0xE000),
        # Inside @media and @supports.
        ("fa-solid-900", 0xF00D),
    }
    assert asked[("fa-solid-900", 0xF303)] == [".x.y:after (made-up.css)"]
    # The icon of an <i class="fa-solid fa-bars">, drawn by Font Awesome's per-icon rule.
    icons = book_icons.asked_glyphs(sheets, {("solid", "bars")})
    assert icons[("fa-solid-900", 0xF0C9)] == [
        ".fa-bars:before (made-up.css) for fa-solid fa-bars of ICONS",
        ".w:before (made-up.css)",
    ]


def test_the_css_reading_pairs_the_rules_that_may_style_one_box():
    subject = book_icons.subject_of
    title = subject(".admonition.note > .admonition-title::after")
    assert title == book_icons.Subject(None, frozenset({".admonition-title"}), "after", False)
    assert subject("li.breadcrumb-item:not(.breadcrumb-home):before").simple == {
        ".breadcrumb-item",
        ":not(.breadcrumb-home)",
    }
    assert subject('a[href^="http"]:hover').parts == {"a", '[href^="http"]', ":hover"}
    may_style = book_icons.may_style
    assert may_style(subject(".admonition>.admonition-title:after"), title)
    assert may_style(subject(".admonition-title"), title)  # inherited from the element
    assert not may_style(subject(".admonition-title:before"), title)
    assert not may_style(subject(".other:after"), title)
    assert not may_style(subject("a:after"), title)
    assert may_style(subject("a:before"), subject("a.github:before"))


def test_codepoints_lists_what_the_themes_css_asks_for():
    """CODEPOINTS is what the installed themes' CSS asks for, as scripts/refresh_vendor.sh
    found it; served: the full font has the glyph."""
    stylesheets = {}
    for package in (pydata_sphinx_theme, sphinx_book_theme):
        for static in Path(package.__file__).parent.glob("theme/*/static"):
            for path in static.rglob("*.css"):
                stylesheets[path.relative_to(static).as_posix()] = path.read_text()
    sheets = book_icons.Stylesheets(stylesheets)
    asked = book_icons.asked_glyphs(sheets, book_icons.read_icons())
    listed = book_icons.read_codepoints()
    assert {(face, cp) for face, cps in listed.items() for cp in cps} == set(asked)
    for face in sheets.faces:
        cmap = set(TTFont(FULL_WEBFONTS / f"{face.name}.ttf").getBestCmap())
        for codepoint, status in listed.get(face.name, {}).items():
            assert status == ("served" if codepoint in cmap else "absent"), (face, codepoint)
    # What the theme draws with the solid font: admonition titles (bell, circles, triangle,
    # lightbulb, share, pencil), external links, breadcrumbs, downloads, the search's
    # "hide matches", sphinx-book-theme's "on this page"; and the brands' GitHub, GitLab.
    solid = {cp for cp, status in listed["fa-solid-900"].items() if status == "served"}
    assert {0xF0F3, 0xF06A, 0xF071, 0xF057, 0xF05A, 0xF0EB, 0xF064, 0xF303} <= solid
    assert {0xF35D, 0xF105, 0xF019, 0xF010, 0xF107} <= solid
    assert {0xF09B, 0xF296} <= set(listed["fa-brands-400"])


def test_every_icon_property_of_the_theme_used_as_content_is_listed():
    """Without the CSS reading of the extension: every private-use codepoint of a --pst-*
    property of the theme (an icon) that a content uses is listed as served in a webfont."""
    css = (THEME_STATIC / "styles" / "pydata-sphinx-theme.css").read_text()
    values = dict(re.findall(r"(--pst-[\w-]+):\s*([^;}]+)", css))
    used = set(re.findall(r"content:\s*var\((--pst-[\w-]+)\)", css))

    def codepoints(name, depth=0):
        value = values.get(name, "").strip()
        reference = re.fullmatch(r"var\((--[\w-]+)\)", value)
        if reference and depth < 10:
            return codepoints(reference.group(1), depth + 1)
        escaped = {int(code, 16) for code in re.findall(r"\\([0-9a-fA-F]{4,6})", value)}
        return escaped | {ord(c) for c in value if 0xE000 <= ord(c) <= 0xF8FF}

    wanted = {cp for name in used for cp in codepoints(name)}
    served = {
        cp
        for cps in book_icons.read_codepoints().values()
        for cp, status in cps.items()
        if status == "served"
    }
    assert "--pst-breadcrumb-divider" in used and "--pst-icon-admonition-note" in used
    assert len(wanted) >= 12
    assert wanted <= served, sorted(f"U+{cp:04X}" for cp in wanted - served)


def _base128(data: bytes, pos: int) -> tuple[int, int]:
    value = 0
    for index in range(5):
        byte = data[pos + index]
        value = value << 7 | byte & 0x7F
        if not byte & 0x80:
            return value, pos + index + 1
    raise ValueError("bad UIntBase128")


def woff2_cmap(path: Path) -> set[int]:
    """The codepoints of a woff2 font, read with fontTools. Without the brotli module (which
    the book does not need; fontTools needs it to open a woff2), node's zlib decompresses the
    font's tables and fontTools reads its cmap table."""
    from fontTools.ttLib import newTable
    from fontTools.ttLib.woff2 import haveBrotli, woff2KnownTags

    if haveBrotli:
        return set(TTFont(path).getBestCmap() or ())
    node = shutil.which("node")
    if node is None:
        pytest.fail("reading a woff2 needs the brotli module or node")
    data = path.read_bytes()
    assert data[:4] == b"wOF2"
    count = int.from_bytes(data[12:14], "big")
    compressed = int.from_bytes(data[20:24], "big")
    pos, entries = 48, []
    for _ in range(count):  # the table directory: tag, length (transformed or not)
        flags = data[pos]
        pos += 1
        if flags & 0x3F == 0x3F:
            tag, pos = data[pos : pos + 4].decode(), pos + 4
        else:
            tag = woff2KnownTags[flags & 0x3F]
        length, pos = _base128(data, pos)
        if (flags >> 6 == 0) == (tag in ("glyf", "loca")):
            length, pos = _base128(data, pos)
        entries.append((tag, length))
    script = (
        "process.stdout.write(require('zlib').brotliDecompressSync(require('fs').readFileSync(0)))"
    )
    stream = subprocess.run(
        [node, "-e", script], input=data[pos : pos + compressed], capture_output=True, check=True
    ).stdout
    tables, offset = {}, 0
    for tag, length in entries:
        tables[tag], offset = stream[offset : offset + length], offset + length
    font = TTFont()
    font.setGlyphOrder([f"glyph{i}" for i in range(int.from_bytes(tables["maxp"][4:6], "big"))])
    cmap = newTable("cmap")
    cmap.decompile(tables["cmap"], font)
    font["cmap"] = cmap
    return set(font.getBestCmap() or ())


def test_the_vendored_webfonts_hold_exactly_the_listed_glyphs():
    listed = book_icons.read_codepoints()
    versions = (VENDOR / "VERSIONS").read_text(encoding="utf-8")
    fonts = sorted([*WEBFONTS.glob("*.woff2"), *WEBFONTS.glob("*.ttf")])
    assert {font.name for font in fonts} == {font.name for font in FULL_WEBFONTS.iterdir()}
    for font in fonts:
        face = font.name.rsplit(".", 1)[0]
        served = {cp for cp, status in listed.get(face, {}).items() if status == "served"}
        cmap = woff2_cmap(font) if font.suffix == ".woff2" else set(TTFont(font).getBestCmap())
        assert cmap == served, font.name
        assert font.stat().st_size < MAX_WEBFONT_BYTES
        assert f"webfont sha256: {font.name} {hashlib.sha256(font.read_bytes()).hexdigest()}" in (
            versions
        )
        full = FULL_WEBFONTS / font.name
        assert (
            f"webfont source sha256: {font.name} {hashlib.sha256(full.read_bytes()).hexdigest()}"
            in (versions)
        )
        # Renamed: "Font Awesome" is a Reserved Font Name of the SIL OFL.
        names = TTFont(font)["name"] if font.suffix == ".ttf" else None
        if names is not None:
            for record in names.names:
                if record.nameID in (1, 3, 4, 6, 16):
                    assert "awesome" not in record.toUnicode().lower()
            assert "Open Font License" in names.getDebugName(13)


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


@pytest.mark.build
def test_the_served_webfonts_are_the_small_subsets(built_book):
    folder = built_book.html / SERVED_WEBFONTS
    sheets = book_icons.theme_stylesheets(built_book.html / "_static")
    referenced = {name for face in sheets.faces for name in face.files}
    assert {"fa-solid-900.woff2", "fa-solid-900.ttf"} <= referenced
    for name in sorted(referenced):
        served = folder / name
        size = served.stat().st_size
        full = (FULL_WEBFONTS / name).stat().st_size
        assert size < MAX_WEBFONT_BYTES, f"{name} is {size} bytes (the theme's has {full})"
        assert served.read_bytes() == (WEBFONTS / name).read_bytes()
    licence = (folder / "LICENSE.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE" in licence.upper()


@pytest.mark.build
def test_the_served_webfonts_hold_every_glyph_the_built_css_can_ask_for(built_book):
    sheets = book_icons.theme_stylesheets(built_book.html / "_static")
    asked = book_icons.asked_glyphs(sheets, book_icons.read_icons())
    folder = built_book.html / SERVED_WEBFONTS
    cmaps = {}
    for face in sheets.faces:
        full = set(TTFont(FULL_WEBFONTS / f"{face.name}.ttf").getBestCmap())
        for name in face.files:
            served = folder / name
            cmap = woff2_cmap(served) if served.suffix == ".woff2" else TTFont(served).getBestCmap()
            cmaps[name] = (set(cmap or ()), full)
    missing = [
        f"U+{codepoint:04X} in {name}: {where[0]}"
        for (face, codepoint), where in asked.items()
        for name, (cmap, full) in cmaps.items()
        if name.startswith(face + ".") and codepoint in full and codepoint not in cmap
    ]
    assert len(asked) > 20
    assert not missing, "glyphs the CSS can ask for, missing from the served webfonts:\n" + (
        "\n".join(missing)
    )


# --- In the browser ----------------------------------------------------------------------

#: The two pages: the root page (Markdown) and the first chapter notebook.
DOCUMENTS = list(toc_documents())
PAGES = [DOCUMENTS[0]] + [d for d in DOCUMENTS if source_of(d).suffix == ".ipynb"][:1]


@pytest.fixture(scope="module")
def site(built_book, serve):
    """The base URL of a local server of the built book."""
    return serve(built_book.html)


@pytest.fixture(scope="module")
def chromium(playwright, tmp_path_factory):
    context = launch_context(playwright, tmp_path_factory.mktemp("chromium-profile"))
    yield context
    context.close()


WEBFONT_URL = re.compile(r"/_static/vendor/fontawesome/webfonts/([\w.-]+)(?:\?|$)")
FULL_URL = re.compile(r"/full-webfonts/([\w.-]+)$")


def visit(chromium, url, full=False, fonts="served", script=True, fetched=None):
    """Open ``url`` in the light theme with the network blocked; with ``full``, the theme's
    whole Font Awesome script is served in place of the subset. ``fonts``: the webfonts
    served (the subsets), ``"full"`` (the theme's), or ``"none"`` (empty files, which the
    browser rejects); ``/full-webfonts/NAME`` is the theme's. Without ``script``,
    fontawesome.js is empty (Font Awesome's CSS draws the icons). ``fetched`` (a list)
    collects the webfonts fetched. Returns the page and a list that collects what went
    wrong."""
    problems = []
    page = chromium.new_page()

    def route(route):
        request = route.request.url
        webfont = WEBFONT_URL.search(request)
        theirs = FULL_URL.search(request)
        if fetched is not None and (webfont or theirs):
            fetched.append((webfont or theirs).group(1))
        if full and re.search(r"/_static/scripts/fontawesome\.js(\?|$)", request):
            route.fulfill(body=FULL.read_bytes(), content_type="text/javascript")
        elif not script and re.search(r"/_static/scripts/fontawesome\.js(\?|$)", request):
            route.fulfill(body="", content_type="text/javascript")
        elif theirs or (webfont and fonts == "full"):
            font = FULL_WEBFONTS / (theirs or webfont).group(1)
            route.fulfill(body=font.read_bytes(), content_type="font/" + font.suffix[1:])
        elif webfont and fonts == "none":
            route.fulfill(body=b"", content_type="font/woff2")
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
    settle(page)
    page.evaluate("() => document.fonts.ready.then(() => true)")
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


#: In a page: each codepoint drawn on a canvas with a font, and with another (as pixels),
#: and whether the two are the same and the first draws something.
DRAW_GLYPHS = """async ({faces, codepoints}) => {
    const loaded = {};
    for (const [family, url] of faces) {
        const face = new FontFace(family, `url(${url})`);
        document.fonts.add(face);
        loaded[family] = await face.load().then(() => "loaded", e => String(e));
    }
    const draw = (family, codepoint) => {
        const canvas = document.createElement("canvas");
        canvas.width = canvas.height = 72;
        const context = canvas.getContext("2d");
        context.font = `48px "${family}"`;
        context.fillText(String.fromCodePoint(codepoint), 8, 56);
        return Array.from(context.getImageData(0, 0, 72, 72).data);
    };
    const drawn = {};
    for (const [codepoint, family, other] of codepoints) {
        const a = draw(family, codepoint), b = draw(other, codepoint);
        drawn[`${family} ${codepoint}`] = {
            same: a.every((v, i) => v === b[i]),
            ink: a.some((v, i) => i % 4 === 3 && v > 0),
        };
    }
    return {loaded, drawn};
}"""


@needs_browser
@pytest.mark.build
def test_every_glyph_the_css_can_ask_for_draws_as_with_the_full_webfonts(
    built_book, site, chromium
):
    listed = book_icons.read_codepoints()
    faces, codepoints = [], []
    for font in sorted(FULL_WEBFONTS.iterdir()):
        face = font.name.rsplit(".", 1)[0]
        ours, theirs = f"served {font.name}", f"full {font.name}"
        faces += [
            (ours, f"/{SERVED_WEBFONTS.as_posix()}/{font.name}"),
            (theirs, f"/full-webfonts/{font.name}"),
        ]
        served = [cp for cp, status in listed.get(face, {}).items() if status == "served"]
        codepoints += [(cp, ours, theirs) for cp in served]
    # Checks that the check can fail: a glyph the subset does not have (a paw) draws
    # otherwise, with another font.
    codepoints.append((0xF1B0, "served fa-solid-900.woff2", "full fa-solid-900.woff2"))
    page, problems = visit(chromium, site + f"{PAGES[0]}.html")
    try:
        result = page.evaluate(DRAW_GLYPHS, {"faces": faces, "codepoints": codepoints})
    finally:
        page.close()
    assert not problems, "\n".join(problems)
    assert set(result["loaded"].values()) == {"loaded"}, result["loaded"]
    paw = result["drawn"].pop(f"served fa-solid-900.woff2 {0xF1B0}")
    assert not paw["same"]
    assert len(result["drawn"]) == len(codepoints) - 1 > 40
    unlike = [key for key, drawn in result["drawn"].items() if not drawn["same"]]
    blank = [key for key, drawn in result["drawn"].items() if not drawn["ink"]]
    assert not unlike, f"glyphs drawn otherwise than with the full webfonts: {unlike}"
    assert not blank, f"glyphs drawn blank: {blank}"


def admonition_page(built_book) -> str:
    """The first document of the table of contents with an admonition title."""
    for document in DOCUMENTS:
        if 'class="admonition-title"' in built_book.page(document).read_text(encoding="utf-8"):
            return document
    pytest.fail("no page of the book has an admonition title")


#: The first admonition title: its ::after (the icon), the faces of Font Awesome's font, and
#: whether the font has the icon's glyph.
ADMONITION_ICON = """() => {
    const title = document.querySelector(".admonition > .admonition-title");
    title.scrollIntoView();
    const after = getComputedStyle(title, "::after");
    const faces = [];
    document.fonts.forEach(f => faces.push([f.family.replace(/"/g, ""), f.weight, f.status]));
    const font = `${after.fontWeight} 16px ${after.fontFamily}`;
    return {content: after.content, family: after.fontFamily, weight: after.fontWeight, faces,
            check: document.fonts.check(font, JSON.parse(after.content))};
}"""


@needs_browser
@pytest.mark.build
def test_an_admonition_icon_is_drawn_with_the_font_awesome_subset(built_book, site, chromium):
    url = site + f"{admonition_page(built_book)}.html"
    shots, icons, fetched = {}, {}, {}
    for fonts in ("served", "full", "none"):
        fetched[fonts] = []
        page, problems = visit(chromium, url, fonts=fonts, fetched=fetched[fonts])
        try:
            icons[fonts] = page.evaluate(ADMONITION_ICON)
            shots[fonts] = page.locator(".admonition > .admonition-title").first.screenshot()
        finally:
            page.close()
        assert not problems, f"{fonts}:\n" + "\n".join(problems)
    icon = icons["served"]
    assert icon["family"] == '"Font Awesome 6 Free"' and icon["weight"] == "900"
    codepoint = ord(icon["content"].strip('"'))
    assert book_icons.read_codepoints()["fa-solid-900"][codepoint] == "served"
    assert ["Font Awesome 6 Free", "900", "loaded"] in icon["faces"]
    assert icon["check"]
    # The page fetched the subset (and no other webfont), and draws the title as with the
    # full font; without the font, it draws it otherwise.
    assert fetched["served"] == ["fa-solid-900.woff2"]
    assert shots["served"] == shots["full"]
    assert shots["none"] != shots["served"]


@needs_browser
@pytest.mark.build
@pytest.mark.parametrize("document", PAGES)
def test_before_fontawesome_js_the_css_icons_look_as_with_the_full_webfonts(
    document, built_book, site, chromium
):
    """Until fontawesome.js replaces them (here: never, the script is empty), Font Awesome's
    CSS draws the <i class="fa-..."> icons with the webfonts: with the subsets as with the
    full fonts."""
    url = site + f"{document}.html"
    shots = {}
    for fonts in ("served", "full", "none"):
        page, problems = visit(chromium, url, fonts=fonts, script=False)
        try:
            assert page.locator(".bd-header-article i.fa-solid").count() > 3
            shots[fonts] = page.locator(".bd-header-article").screenshot()
        finally:
            page.close()
        assert not problems, f"{fonts}:\n" + "\n".join(problems)
    assert shots["served"] == shots["full"]
    assert shots["none"] != shots["served"]
