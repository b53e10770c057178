"""The built book reads with no network: it loads nothing from another host.

Every page is scanned for scripts, style sheets, fonts, images and frames whose address
names another host (plain links and launch buttons are fine: they load nothing). MathJax 3,
RequireJS and the ipywidgets HTML manager must be served from the book itself. Every image
has alternative text and an opaque background (readable in the dark theme), and pages stay
light. What a browser actually requests is checked in tests/test_browser.py.
"""

import base64
import io
import re
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from book_build import page_tags, toc_documents
from PIL import Image

pytest_plugins = ["book_build"]
pytestmark = pytest.mark.build

#: ``rel`` values of a ``<link>`` that make the browser fetch (or contact) its address.
FETCHING_RELS = {
    "stylesheet",
    "preload",
    "modulepreload",
    "prefetch",
    "preconnect",
    "dns-prefetch",
    "icon",
    "shortcut",
    "apple-touch-icon",
    "mask-icon",
    "manifest",
}
#: Attributes that make the browser fetch their address, by tag.
FETCHING_ATTRIBUTES = {
    "script": ("src",),
    "img": ("src", "srcset"),
    "iframe": ("src",),
    "frame": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "source": ("src", "srcset"),
    "video": ("src", "poster"),
    "audio": ("src",),
    "track": ("src",),
    "input": ("src",),
}
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)|@import\s+['"]([^'"]+)""")
#: Largest HTML document of a page (its embedded figures, animations and widget state).
MAX_DOCUMENT_BYTES = 3_000_000
#: Largest page with what it loads when opened (scripts, style sheets, images), much of it
#: shared by every page (MathJax, the theme, the explorers' script).
MAX_PAGE_BYTES = 3_000_000


def is_remote(address: str) -> bool:
    """Whether an address names another host (``https://...``, ``//host/...``)."""
    parts = urlsplit(address.strip())
    return bool(parts.netloc) or parts.scheme in ("http", "https", "ftp", "ws", "wss")


def fetched_addresses(page: Path):
    """Every address the page makes the browser fetch, as ``(what, address)``."""
    tags, styles = page_tags(page)
    for tag, attributes in tags:
        if tag == "link":
            rels = set(attributes.get("rel", "").lower().split())
            if rels & FETCHING_RELS and attributes.get("href"):
                yield f"<link rel={attributes['rel']}>", attributes["href"]
        for name in FETCHING_ATTRIBUTES.get(tag, ()):
            value = attributes.get(name)
            if value:
                for address in value.split(",") if name == "srcset" else [value]:
                    yield f"<{tag} {name}>", address.strip().split(" ")[0]
    for css in styles:
        for match in CSS_URL.finditer(css):
            yield "CSS url()", match.group(1) or match.group(2)


def local_file(html_root: Path, page: Path, address: str) -> Path | None:
    """The file of the build that a page's relative address names, if any."""
    if address.startswith(("data:", "#", "javascript:", "mailto:")) or is_remote(address):
        return None
    base = "/" + page.relative_to(html_root).as_posix()
    path = unquote(urlsplit(urljoin(base, address)).path).lstrip("/")
    return html_root / path


def test_no_page_loads_a_script_style_sheet_font_or_image_from_another_host(built_book):
    found = [
        f"{page.relative_to(built_book.html)}: {what} {address}"
        for page in built_book.pages()
        for what, address in fetched_addresses(page)
        if is_remote(address)
    ]
    assert not found, "resources from another host:\n" + "\n".join(found)


def test_no_style_sheet_of_the_book_imports_from_another_host(built_book):
    found = []
    for sheet in sorted((built_book.html / "_static").rglob("*.css")):
        for match in CSS_URL.finditer(sheet.read_text(encoding="utf-8", errors="replace")):
            address = match.group(1) or match.group(2)
            if is_remote(address):
                found.append(f"{sheet.relative_to(built_book.html)}: {address}")
    assert not found, "style sheets loading from another host:\n" + "\n".join(found)


def test_every_local_resource_of_every_page_exists(built_book):
    missing = []
    for page in built_book.pages():
        for what, address in fetched_addresses(page):
            path = local_file(built_book.html, page, address)
            if path is not None and not path.is_file():
                missing.append(f"{page.relative_to(built_book.html)}: {what} {address}")
    assert not missing, "missing files:\n" + "\n".join(missing)


def test_mathjax_3_is_served_from_the_book(built_book):
    pages_with_math = [
        page for page in built_book.pages() if 'class="math' in page.read_text(encoding="utf-8")
    ]
    assert pages_with_math, "no page has math; the notation page should"
    mathjax = built_book.html / "_static" / "mathjax" / "tex-chtml.js"
    version = re.search(r'\.VERSION="(\d+)\.', mathjax.read_text(encoding="utf-8"))
    assert version and version.group(1) == "3", "MathJax 3 (_config.yml configures MathJax 3)"
    for page in pages_with_math:
        scripts = [a for tag, a in fetched_addresses(page) if tag == "<script src>"]
        assert any(a.endswith("_static/mathjax/tex-chtml.js") for a in scripts), page


def test_explorer_pages_load_the_bundled_explorers_and_no_widget_manager(built_book):
    explorer_pages = []
    for page in built_book.pages():
        text = page.read_text(encoding="utf-8")
        scripts = [a.split("?")[0] for tag, a in fetched_addresses(page) if tag == "<script src>"]
        assert "application/vnd.jupyter.widget-view+json" not in text, page
        assert "application/vnd.jupyter.widget-state+json" not in text, page
        assert not any("require" in a or "html-manager" in a for a in scripts), page
        loads = any(a.endswith("_static/ufm-explorers.js") for a in scripts)
        assert loads == ("data-ufm-explorer" in text), page
        if loads:
            explorer_pages.append(page)
    names = {p.stem for p in explorer_pages}
    assert {"model", "results", "discussion"} <= names, names
    bundle = (built_book.html / "_static" / "ufm-explorers.js").read_text(encoding="utf-8")
    modules = [line for line in bundle.splitlines() if line.startswith(("export ", "import "))]
    assert not modules, f"module syntax left in the classic script: {modules[:3]}"


def test_every_image_has_alternative_text(built_book):
    missing = []
    for page in built_book.pages():
        tags, _ = page_tags(page)
        for tag, attributes in tags:
            if tag == "img" and not attributes.get("alt", "").strip():
                missing.append(f"{page.relative_to(built_book.html)}: {attributes.get('src')}")
    assert not missing, "images without alt text:\n" + "\n".join(m[:200] for m in missing)


def image_bytes(built_book, page, address):
    if address.startswith("data:image/"):
        header, _, data = address.partition(",")
        return base64.b64decode(data) if header.endswith(";base64") else None
    path = local_file(built_book.html, page, address)
    return path.read_bytes() if path is not None and path.is_file() else None


def test_every_figure_has_an_opaque_background_so_it_reads_in_the_dark_theme(built_book):
    transparent = []
    for page in built_book.pages():
        tags, _ = page_tags(page)
        for tag, attributes in tags:
            address = attributes.get("src", "")
            if tag != "img" or address.split("?")[0].lower().endswith(".svg"):
                continue
            data = image_bytes(built_book, page, address)
            if not data or data.lstrip().startswith(b"<"):
                continue
            image = Image.open(io.BytesIO(data))
            alpha = image.convert("RGBA").getchannel("A")
            if alpha.getextrema()[0] < 255:
                transparent.append(f"{page.relative_to(built_book.html)}: {address[:80]}")
    assert not transparent, "figures with transparent pixels:\n" + "\n".join(transparent)


def page_weight(built_book, page):
    """Bytes of the page and of every local script, style sheet and image it loads."""
    files = {page}
    for _, address in fetched_addresses(page):
        path = local_file(built_book.html, page, address)
        if path is not None and path.is_file():
            files.add(path)
    return sum(path.stat().st_size for path in files)


def test_pages_stay_light(built_book):
    weights = {
        page.relative_to(built_book.html).as_posix(): (
            page.stat().st_size,
            page_weight(built_book, page),
        )
        for page in built_book.pages()
    }
    heaviest = max(weights, key=lambda name: weights[name][1])
    print(
        f"largest page: {heaviest}, {weights[heaviest][1] / 1e6:.2f} MB with what it loads "
        f"(document {weights[heaviest][0] / 1e6:.2f} MB)"
    )
    heavy = {n: w for n, w in weights.items() if w[0] > MAX_DOCUMENT_BYTES or w[1] > MAX_PAGE_BYTES}
    assert not heavy, f"pages above {MAX_DOCUMENT_BYTES} / {MAX_PAGE_BYTES} bytes: {heavy}"


def chapter_documents():
    return [
        doc for doc in toc_documents() if (Path(__file__).parents[1] / f"{doc}.ipynb").is_file()
    ]


def test_the_chapters_carry_no_precomputed_view_that_repeats_a_live_explorer(built_book):
    chapters = chapter_documents()
    if not chapters:
        pytest.skip("no chapter notebook in _toc.yml yet")
    text = "".join(built_book.page(doc).read_text(encoding="utf-8") for doc in chapters)
    # A switch between precomputed settings of an explorer repeats what its live controls
    # do, and a replay of descent what its steps slider does; each explorer is live.
    assert 'class="ufm-switch"' not in text and 'class="ufm-player"' not in text
    assert text.count("data-ufm-explorer=") >= 11
