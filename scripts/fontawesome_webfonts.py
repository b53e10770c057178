"""Make the Font Awesome webfonts that the book serves: subsets with the glyphs the theme's
CSS can ask for.

    python scripts/fontawesome_webfonts.py PACKAGE_DIR OUTPUT_DIR VERSIONS_FILE

Run by scripts/refresh_vendor.sh. PACKAGE_DIR is an unpacked @fortawesome/fontawesome-free
(its webfonts/ folder), OUTPUT_DIR an empty folder for the subsets and CODEPOINTS, and
VERSIONS_FILE where to write the lines of VERSIONS about them. Needs fontTools and brotli
(for woff2), and the themes installed: their CSS says what to keep.

What is kept: every codepoint that the stylesheets of pydata-sphinx-theme and
sphinx-book-theme can ask one of Font Awesome's webfonts for (the ``content`` of a
``::before`` or ``::after`` drawn with it, through ``--pst-icon-*`` and other custom
properties), and the glyph of each icon of ICONS in its style (as Font Awesome's CSS draws
an ``<i class="fa-solid fa-bars">`` until fontawesome.js replaces it): ``asked_glyphs`` of
book/_ext/book_icons.py, which checks the built CSS against CODEPOINTS in every build.
A codepoint the full font has no glyph for is listed as absent, and kept out.

Each subset is made from the package's file of the same name (woff2 from woff2, ttf from
ttf), and renamed: "Font Awesome" is a Reserved Font Name of their SIL Open Font License,
which modified versions may not use as their font name (the pages' CSS still calls them
by the family name of its @font-face rules). The same inputs give the same bytes.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import re
import sys
from pathlib import Path

import brotli
import fontTools
from fontTools import subset
from fontTools.ttLib import TTFont
from fontTools.ttLib.tables._c_m_a_p import CmapSubtable

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "book" / "_static" / "vendor" / "fontawesome"
#: The themes whose stylesheets the subsets serve, parent first (a child theme's file of the
#: same name replaces its parent's, as in a build).
THEMES = ("pydata_sphinx_theme", "sphinx_book_theme")
#: Where a theme keeps its webfonts, in its static folder.
THEME_WEBFONTS = Path("vendor") / "fontawesome" / "webfonts"
#: The name the subsets go by, in place of the Reserved Font Name.
FAMILY = "UFM Book Icons"
#: Name table entries that name the font: family, unique id, full name, PostScript name,
#: typographic family, compatible full name, WWS family.
FONT_NAME_IDS = (1, 3, 4, 6, 16, 18, 21)
RESERVED = re.compile(r"font\s*awesome", re.I)


def load_book_icons():
    path = ROOT / "book" / "_ext" / "book_icons.py"
    spec = importlib.util.spec_from_file_location("book_icons", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fail(message: str):
    sys.exit(f"fontawesome_webfonts: {message}")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def theme_static_folders() -> list[Path]:
    folders = []
    for name in THEMES:
        try:
            package = importlib.import_module(name)
        except ImportError:
            fail(f"the theme {name} is not installed: its CSS says which glyphs to keep")
        folders += sorted(Path(package.__file__).parent.glob("theme/*/static"))
    return folders


def rename(font: TTFont, face: str, version: str) -> None:
    """Give the subset a name of its own, and say what it is and under which licence."""
    table = font["name"]
    for record in table.names:
        if record.nameID in FONT_NAME_IDS:
            text = record.toUnicode()
            # The PostScript name (6) has no spaces.
            family = FAMILY.replace(" ", "") if record.nameID == 6 else FAMILY
            text = re.sub(r"Font\s*Awesome\s*6", family, text)
            record.string = text
            if RESERVED.search(text):
                fail(f"{face}: name {record.nameID} still reads {text!r}")
    platforms = sorted({(r.platformID, r.platEncID, r.langID) for r in table.names})
    notes = {
        10: f"A subset of {face} of Font Awesome Free {version}: the glyphs that the book's "
        "theme CSS uses (book/_static/vendor/fontawesome/webfonts/CODEPOINTS).",
        13: "Copyright (c) 2024 Fonticons, Inc. (https://fontawesome.com), with Reserved Font "
        'Name "Font Awesome". Modified (subset and renamed). This Font Software is licensed '
        "under the SIL Open Font License, Version 1.1.",
        14: "https://openfontlicense.org",
    }
    for name_id, text in notes.items():
        for platform, encoding, language in platforms:
            table.setName(text, name_id, platform, encoding, language)


def make_subset(source: Path, target: Path, codepoints: list[int], face: str, version: str):
    options = subset.Options()
    options.flavor = "woff2" if source.suffix == ".woff2" else None
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.name_legacy = True
    options.recalc_timestamp = False
    font = subset.load_font(str(source), options, dontLoadGlyphNames=True)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=codepoints)
    subsetter.subset(font)
    if not font["cmap"].tables:
        # A font no rule asks a glyph of: an empty Unicode map, as browsers reject a font
        # without one.
        table = CmapSubtable.newSubtable(4)
        table.platformID, table.platEncID, table.language, table.cmap = 3, 1, 0, {}
        font["cmap"].tables = [table]
    rename(font, face, version)
    subset.save_font(font, str(target), options)
    kept = set(TTFont(str(target)).getBestCmap() or ())
    if kept != set(codepoints):
        fail(f"{target.name} maps {sorted(kept ^ set(codepoints))} unlike asked")


def main(package: Path, output: Path, versions: Path) -> None:
    book_icons = load_book_icons()
    version = re.search(r'"version":\s*"([^"]+)"', (package / "package.json").read_text())[1]
    statics = theme_static_folders()
    stylesheets = {}
    for static in statics:
        for path in sorted(static.rglob("*.css")):
            stylesheets[path.relative_to(static).as_posix()] = path.read_text(encoding="utf-8")
    sheets = book_icons.Stylesheets(stylesheets)
    if not sheets.faces:
        fail(f"no @font-face of Font Awesome's webfonts in the CSS of {', '.join(THEMES)}")
    asked = book_icons.asked_glyphs(sheets, book_icons.read_icons(VENDOR / "ICONS"))

    lines, version_lines, report = [], [], []
    for face in sorted(sheets.faces, key=lambda face: face.name):
        sources = [package / "webfonts" / name for name in face.files]
        for source in sources:
            if not source.is_file():
                fail(f"the CSS uses {source.name}, which {package} does not have")
            theirs = [s / THEME_WEBFONTS / source.name for s in statics]
            theirs = [path for path in theirs if path.is_file()]
            if theirs and sha256(theirs[-1]) != sha256(source):
                fail(
                    f"the theme's {theirs[-1]} is not {source.name} of Font Awesome {version}: "
                    "set VERSION in scripts/refresh_vendor.sh to the theme's"
                )
        cmap = set(TTFont(str(sources[0])).getBestCmap())
        for other in sources[1:]:
            if set(TTFont(str(other)).getBestCmap()) != cmap:
                fail(f"{other.name} and {sources[0].name} do not have the same glyphs")
        mine = {cp: where for (name, cp), where in asked.items() if name == face.name}
        served = sorted(cp for cp in mine if cp in cmap)
        for codepoint, where in sorted(mine.items()):
            status = "served" if codepoint in cmap else "absent"
            more = f" (and {len(where) - 1} more)" if len(where) > 1 else ""
            lines.append(f"{face.name} U+{codepoint:04X} {status} {where[0]}{more}")
        for source in sources:
            target = output / source.name
            make_subset(source, target, served, face.name, version)
            version_lines.append(f"webfont source sha256: {source.name} {sha256(source)}")
            version_lines.append(f"webfont sha256: {source.name} {sha256(target)}")
            report.append(
                f"{source.name} {source.stat().st_size} -> {target.stat().st_size} bytes "
                f"({len(served)} glyphs)"
            )

    header = [
        "# Made by scripts/refresh_vendor.sh (scripts/fontawesome_webfonts.py); do not edit.",
        "# The glyphs of the Font Awesome webfonts that the book serves (subsets, next to this",
        "# file): every codepoint that the CSS of the themes can ask each font for, found by",
        "# book/_ext/book_icons.py (asked_glyphs), which checks the built CSS against this list.",
        "# One a line: FONT CODEPOINT STATUS WHERE. STATUS is served, or absent when the full",
        "# font has no glyph for it either (another font draws it, as with the full font).",
        "# WHERE is a CSS rule that asks for it (and its stylesheet); the rules of ICONS draw",
        "# its icons until fontawesome.js replaces them with SVG.",
    ]
    (output / "CODEPOINTS").write_text("\n".join(header + lines) + "\n", encoding="utf-8")
    tools = f"fonttools {fontTools.version}, brotli {brotli.__version__}"
    versions.write_text(
        "webfonts: webfonts/*.woff2 and *.ttf, subsets of the package's webfonts/ to the "
        f"codepoints of webfonts/CODEPOINTS\n  (scripts/fontawesome_webfonts.py; {tools})\n"
        + "\n".join(version_lines)
        + "\n",
        encoding="utf-8",
    )
    print("\n".join(f"fontawesome_webfonts: {line}" for line in report))


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*(Path(argument) for argument in sys.argv[1:]))
