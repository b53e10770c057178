"""Serve a small Font Awesome: the theme's icons, without the 1.5 MB of every other icon.

pydata-sphinx-theme loads ``_static/scripts/fontawesome.js`` on every page: Font Awesome's
SVG framework with all of its icons (1.5 MB), which turns each ``<i class="fa-solid
fa-bars">`` into an inline ``<svg>``. The pages use a few dozen of those icons. At the end of
an HTML build this extension writes, over that file, Font Awesome's own SVG core with only
the icons listed in ``book/_static/vendor/fontawesome/ICONS`` (about 80 KB;
``scripts/refresh_vendor.sh`` builds it from the npm package, licence included). The pages
keep their markup and load the same path, so they look the same.

The build fails with a clear message when

- a page (any ``class="... fa-NAME ..."``) or a script of ``_static`` (``"fa-solid
  fa-NAME"``, as the theme's JavaScript writes its icons) uses an icon the subset does not
  define: add it to ``ICONS`` and run ``bash scripts/refresh_vendor.sh``;
- the subset is missing, or is of another major version of Font Awesome than the theme's.

``_static/scripts/fontawesome.js.LICENSE.txt`` is rewritten for the file served, and the
theme's source map (of the full file) is removed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

#: The vendored Font Awesome subset (``scripts/refresh_vendor.sh``), next to this folder.
VENDOR = Path(__file__).resolve().parents[1] / "_static" / "vendor" / "fontawesome"
SUBSET = VENDOR / "fontawesome.js"
#: The theme's Font Awesome script, as a path in the built HTML.
SERVED = Path("_static") / "scripts" / "fontawesome.js"

#: Class names that choose a style, and the style they choose.
STYLE_CLASSES = {
    "fa-solid": "solid",
    "fas": "solid",
    "fa-regular": "regular",
    "far": "regular",
    "fa-brands": "brands",
    "fab": "brands",
}
#: The icon packs' prefixes in the script (``defineIcons("fas", ...)``).
PACK_PREFIXES = {"fas": "solid", "far": "regular", "fab": "brands"}
#: ``fa-`` classes that are no icon: Font Awesome 6's RESERVED_CLASSES (sizes, animations,
#: rotations, stacks, lists, duotone layers, families and other styles), its screen-reader
#: and layer-position classes, and the classes of the styles themselves.
UTILITY_CLASSES = frozenset(
    ["fa", "fa-classic", "fa-sharp", "fa-light", "fa-thin", "fa-duotone", "fa-kit"]
    + [
        f"fa-{name}"
        for name in (
            "2xs xs sm lg xl 2xl beat border fade beat-fade bounce flip-both flip-horizontal "
            "flip-vertical flip fw inverse layers-counter layers-text layers li pull-left "
            "pull-right pulse rotate-180 rotate-270 rotate-90 rotate-by shake spin-pulse "
            "spin-reverse spin stack-1x stack-2x stack ul group swap-opacity primary secondary "
            "sr-only sr-only-focusable layers-top-left layers-top-right layers-bottom-left "
            "layers-bottom-right"
        ).split()
    ]
    + [f"fa-{n}x" for n in range(1, 11)]
    + [f"fa-w-{n}" for n in range(1, 21)]
    + list(STYLE_CLASSES)
)

CLASS_ATTRIBUTE = re.compile(r"""(?<![\w-])class\s*=\s*(?:"([^"]*)"|'([^']*)')""")
#: An icon as a script writes it: a style class, then the icon's class.
SCRIPT_ICON = re.compile(r"\b(fa-solid|fa-regular|fa-brands|fas|far|fab)\s+(fa-[a-z0-9-]+)\b")
#: An entry of an icon table: "NAME":[WIDTH,HEIGHT,[ALIASES...],"UNICODE","PATH"].
ICON_ENTRY = re.compile(r'"([a-z0-9-]+)":\[\d+,\d+,\[([^\]]*)\],"[0-9a-f]*","')
#: The call that registers an icon pack under its prefix, after its table.
PACK_CALL = re.compile(r'\("(fas|far|fab)",')
VERSION = re.compile(r"Font Awesome Free (\d+)\.\d+\.\d+")


def icons_of_classes(classes: str) -> set[tuple[str | None, str]]:
    """The icons that one ``class`` attribute asks for, as ``(style, name)``: ``style`` is
    ``solid``, ``regular``, ``brands`` or ``None`` (none given), ``name`` without ``fa-``."""
    tokens = classes.split()
    styles = {STYLE_CLASSES[token] for token in tokens if token in STYLE_CLASSES}
    style = styles.pop() if len(styles) == 1 else None
    return {
        (style, token[3:])
        for token in tokens
        if token.startswith("fa-") and token not in UTILITY_CLASSES
    }


def icons_of_page(html: str) -> set[tuple[str | None, str]]:
    """Every icon that a page's ``class`` attributes ask for."""
    found = set()
    for match in CLASS_ATTRIBUTE.finditer(html):
        found |= icons_of_classes(match.group(1) or match.group(2) or "")
    return found


def icons_of_script(script: str) -> set[tuple[str | None, str]]:
    """Every icon that a script writes as ``"fa-solid fa-NAME"`` (or ``fas``, ...)."""
    return {(STYLE_CLASSES[s], name[3:]) for s, name in SCRIPT_ICON.findall(script)}


def defined_icons(script: str) -> dict[str, set[str]]:
    """The names (with aliases) of the icons a Font Awesome script defines, by style."""
    defined = defaultdict(set)
    for entry in ICON_ENTRY.finditer(script):
        call = PACK_CALL.search(script, entry.end())
        if call is None:
            continue
        names = {entry.group(1)}
        names |= {alias.strip('"') for alias in entry.group(2).split(",") if '"' in alias}
        defined[PACK_PREFIXES[call.group(1)]] |= names
    return dict(defined)


def is_defined(icon: tuple[str | None, str], defined: dict[str, set[str]]) -> bool:
    style, name = icon
    if style is None:
        return any(name in names for names in defined.values())
    return name in defined.get(style, set())


def _pages(outdir: Path):
    skip = {"_static", "_sources", "_images"}
    for page in sorted(outdir.rglob("*.html")):
        if not skip & set(page.relative_to(outdir).parts):
            yield page


def _scripts(outdir: Path):
    static = outdir / "_static"
    for script in sorted([*static.glob("*.js"), *static.glob("scripts/*.js")]):
        if script.name != SERVED.name:
            yield script


def _major(text: str) -> str | None:
    match = VERSION.search(text)
    return match.group(1) if match else None


def _licence_note(subset: str) -> str:
    banner = subset[: subset.index("*/") + 2] if subset.startswith("/*!") else ""
    return (
        f"{banner}\n\n"
        "fontawesome.js is Font Awesome Free's SVG core (js/fontawesome.min.js) with only the\n"
        "icons that this book uses, from the npm package @fortawesome/fontawesome-free (see\n"
        "book/_static/vendor/fontawesome/VERSIONS in the book's repository). Its licence:\n\n"
        + (VENDOR / "LICENSE.txt").read_text(encoding="utf-8")
    )


def serve_subset(app: Sphinx, exception: Exception | None) -> None:
    """Check every icon the pages use against the subset, then serve the subset."""
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    served = outdir / SERVED
    if not SUBSET.is_file() or not (VENDOR / "LICENSE.txt").is_file():
        raise ExtensionError(
            f"book_icons: no Font Awesome subset in {VENDOR} (fontawesome.js and LICENSE.txt); "
            "run bash scripts/refresh_vendor.sh"
        )
    subset = SUBSET.read_text(encoding="utf-8")
    defined = defined_icons(subset)
    if not defined:
        raise ExtensionError(f"book_icons: {SUBSET} defines no icon; run scripts/refresh_vendor.sh")

    used: dict[tuple[str | None, str], list[str]] = defaultdict(list)
    for page in _pages(outdir):
        for icon in icons_of_page(page.read_text(encoding="utf-8")):
            used[icon].append(str(page.relative_to(outdir)))
    for script in _scripts(outdir):
        for icon in icons_of_script(script.read_text(encoding="utf-8", errors="replace")):
            used[icon].append(str(script.relative_to(outdir)))
    missing = sorted(
        (icon for icon in used if not is_defined(icon, defined)), key=lambda i: (i[0] or "", i[1])
    )
    if missing:
        lines = [
            f"  fa-{name} ({style or 'no style class'}): {', '.join(used[(style, name)][:3])}"
            + (" ..." if len(used[(style, name)]) > 3 else "")
            for style, name in missing
        ]
        raise ExtensionError(
            "book_icons: the served Font Awesome subset lacks icons that the book uses:\n"
            + "\n".join(lines)
            + f"\nadd each as 'STYLE NAME' (STYLE solid, regular or brands) to {VENDOR / 'ICONS'}"
            " and run bash scripts/refresh_vendor.sh"
        )

    if not served.is_file():
        logger.warning(
            f"book_icons: the theme has no {SERVED}; the Font Awesome subset is not served",
            type="book_icons",
        )
        return
    theme_licence = served.with_name(served.name + ".LICENSE.txt")
    theme_text = theme_licence.read_text(encoding="utf-8") if theme_licence.is_file() else ""
    theme_major = _major(theme_text) or _major(served.read_text(encoding="utf-8")[:2000])
    if theme_major and theme_major != _major(subset):
        raise ExtensionError(
            f"book_icons: the theme bundles Font Awesome {theme_major}, the subset in {VENDOR} "
            f"is Font Awesome {_major(subset)}: set VERSION in scripts/refresh_vendor.sh to the "
            "theme's version and run it"
        )
    served.write_text(subset, encoding="utf-8")
    theme_licence.write_text(_licence_note(subset), encoding="utf-8")
    served.with_name(served.name + ".map").unlink(missing_ok=True)


def setup(app: Sphinx) -> dict:
    # Before the other build-finished handlers (priority 500), so that a failure there
    # does not leave the full file in place.
    app.connect("build-finished", serve_subset, priority=400)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
