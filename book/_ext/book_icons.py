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

The theme's CSS draws some icons with Font Awesome's webfonts too (admonition titles,
external links, breadcrumbs, downloads, ...: a ``::before`` or ``::after`` with ``font:
var(--fa-font-solid)`` and ``content: var(--pst-icon-...)``), and every page downloads
``fa-solid-900.woff2`` (156 KB) for them. Over the theme's webfonts in
``_static/vendor/fontawesome/webfonts/`` this extension writes subsets of them (a few KB)
with the glyphs that the CSS can ask for: those listed in
``book/_static/vendor/fontawesome/webfonts/CODEPOINTS``, which ``scripts/refresh_vendor.sh``
finds in the themes' CSS (:func:`asked_glyphs`) and makes the subsets of. The build fails
when the built CSS asks a webfont for a codepoint that CODEPOINTS does not list (naming the
codepoint and the CSS rule), or when the theme's webfonts are not those the subsets were made
from.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from collections import defaultdict
from pathlib import Path
from typing import NamedTuple

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


# --- The webfonts: what the theme's CSS can ask them for ---------------------------------
#
# The theme's CSS also draws icons with Font Awesome's webfonts: a ::before or ::after whose
# font is one of them (``font: var(--fa-font-solid)``) and whose ``content`` is a codepoint
# (``var(--pst-icon-admonition-note)``, ``"\f107"``). The subsets of those webfonts that the
# book serves hold the glyphs of :func:`asked_glyphs`, listed in ``webfonts/CODEPOINTS``.
# The CSS is read as a browser would read it, short of matching elements: a rule that sets
# ``content`` is paired with every rule that sets a Font Awesome font and may style the same
# box (same pseudo-element, or its element; one's simple selectors within the other's).

#: The vendored webfont subsets and the codepoints they were made from.
WEBFONTS = VENDOR / "webfonts"
CODEPOINTS = WEBFONTS / "CODEPOINTS"
#: The theme's webfonts, as a folder of the built HTML; the @font-face rules whose sources are
#: in such a folder are Font Awesome's.
SERVED_WEBFONTS = Path("_static") / "vendor" / "fontawesome" / "webfonts"
#: The same, in a theme's static folder.
THEME_WEBFONTS = SERVED_WEBFONTS.relative_to("_static")
FONTAWESOME_URL = re.compile(r"(?:^|/)fontawesome/webfonts/([^/?#]+)$")

_STRING_OR_COMMENT = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|/\*.*?\*/', re.S)
_SIGNIFICANT = re.compile(r"""[{};"'()\\]""")
_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})[ \t\r\n\f]?|\n|(.))", re.S)
#: At-rules that hold rules (the others, @font-face aside, hold none that draws an icon).
GROUPING_AT_RULES = ("@media", "@supports", "@layer", "@container", "@document", "@scope")
#: Pseudo-elements written with one colon.
LEGACY_PSEUDO_ELEMENTS = ("before", "after", "first-line", "first-letter")
#: The per-icon rules of Font Awesome's CSS (``.fa-bars:before{content:"\f0c9"}``).
ICON_CLASS_RULE = re.compile(r"\.fa-[a-z0-9-]+::?before")
PRIVATE_USE = ((0xE000, 0xF8FF), (0xF0000, 0xFFFFD), (0x100000, 0x10FFFD))
_STRING = re.compile(r"\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'", re.S)


def _drop_comment(match: re.Match) -> str:
    return "" if match.group().startswith("/*") else match.group()


def _unescape(text: str) -> str:
    """``text`` with its CSS escapes (``\\f107``, ``\\ ``) replaced by what they stand for."""

    def replace(match):
        if match.group(1):
            code = int(match.group(1), 16)
            return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"
        return match.group(2) or ""

    return _ESCAPE.sub(replace, text)


def _skip(text: str, index: int) -> int:
    """The index after the string or parenthesised group that starts at ``text[index]``."""
    opener = text[index]
    depth = 0
    i = index
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if opener in "\"'":
            if c == opener and i > index:
                return i + 1
        elif c in "\"'":
            i = _skip(text, i)
            continue
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return len(text)


def _split_top(text: str, separators: str) -> list[str]:
    """``text`` cut at each of ``separators`` outside strings and parentheses."""
    parts, start, i = [], 0, 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
        elif c in "\"'(":
            i = _skip(text, i)
        elif c in separators:
            parts.append(text[start:i])
            start = i = i + 1
        else:
            i += 1
    parts.append(text[start:])
    return parts


class Subject(NamedTuple):
    """The box a selector styles, as far as it is known: its element's type (or ``None``),
    its simple selectors (``.class``, ``#id``, ``[attr]``, ``:pseudo-class``), its
    pseudo-element (``before``, ``after``, or ``None`` for the element), and whether the
    selector is this one compound (no ancestor or sibling condition)."""

    type: str | None
    simple: frozenset[str]
    pseudo: str | None
    alone: bool

    @property
    def parts(self) -> frozenset[str]:
        """Its simple selectors and type."""
        return self.simple | {self.type} if self.type else self.simple


_COMPOUND_PART = re.compile(
    r"(::?)((?:\\.|[\w-])+)|([.#])((?:\\.|[\w-])+)|(\[)|((?:\\.|[\w-])+|\*)(?:\|)?", re.S
)


def subject_of(selector: str) -> Subject:
    """The :class:`Subject` of one selector (no comma)."""
    compounds, start, i = [], 0, 0
    text = selector.strip()
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
        elif c in "\"'(":
            i = _skip(text, i)
        elif c == "[":
            i = text.find("]", i) + 1 or len(text)
        elif c in " \t\r\n\f>+~":
            if text[start:i].strip():
                compounds.append(text[start:i])
            start = i = i + 1
        else:
            i += 1
    if text[start:].strip():
        compounds.append(text[start:])
    compound = compounds[-1].strip() if compounds else ""
    kind, simple, pseudo = None, set(), None
    i = 0
    while i < len(compound):
        match = _COMPOUND_PART.match(compound, i)
        if not match:
            i += 1
            continue
        colons, name, sigil, value, bracket, element = match.groups()
        end = match.end()
        if colons:
            name = _unescape(name).lower()
            if end < len(compound) and compound[end] == "(":
                close = _skip(compound, end)
                name += compound[end:close]
                end = close
            if colons == "::" or name in LEGACY_PSEUDO_ELEMENTS:
                pseudo = name
            else:
                simple.add(":" + name)
        elif sigil:
            simple.add(sigil + _unescape(value))
        elif bracket:
            close = compound.find("]", i)
            end = close + 1 if close >= 0 else len(compound)
            simple.add(re.sub(r"\s+", "", compound[i:end]))
        elif element and element != "*":
            kind = _unescape(element).lower()
        i = end
    return Subject(kind, frozenset(simple), pseudo, len(compounds) == 1)


def may_style(rule: Subject, box: Subject) -> bool:
    """Whether a rule's subject may style ``box``: the same pseudo-element (or the element,
    whose font the pseudo-element inherits), types that agree, and the simple selectors of
    one within the other's."""
    if rule.pseudo is not None and rule.pseudo != box.pseudo:
        return False
    return rule.parts <= box.parts or box.parts <= rule.parts


class Rule(NamedTuple):
    """A style rule: its selectors (as written), subjects, declarations and stylesheet."""

    selectors: tuple[str, ...]
    subjects: tuple[Subject, ...]
    declarations: tuple[tuple[str, str], ...]
    source: str

    def values(self, *names: str) -> list[tuple[str, str]]:
        return [(name, value) for name, value in self.declarations if name in names]

    def where(self, index: int) -> str:
        selector = " ".join(self.selectors[index].split())
        return f"{selector[:150]} ({self.source})"


class FontFace(NamedTuple):
    """An @font-face rule: its family (case-folded), its weights and its source files."""

    family: str
    weights: tuple[int, int]
    files: tuple[str, ...]

    @property
    def name(self) -> str:
        """The face's name in CODEPOINTS: its first file without the extension."""
        return self.files[0].rsplit(".", 1)[0]


def _declarations(body: str) -> tuple[tuple[str, str], ...]:
    found = []
    for part in _split_top(body, ";"):
        name, colon, value = part.partition(":")
        name = name.strip()
        if not colon or not name or "{" in part:
            continue
        value = re.sub(r"\s*!\s*important\s*$", "", value.strip(), flags=re.I)
        found.append((name if name.startswith("--") else name.lower(), value))
    return tuple(found)


def _blocks(text: str, start: int = 0):
    """The blocks of a stylesheet without comments, as ``(prelude, body)``, the bodies of
    grouping at-rules opened; stops at an unmatched ``}``. Yields ``(None, end)`` last."""
    i = prelude_start = start
    while True:
        match = _SIGNIFICANT.search(text, i)
        if match is None:
            yield None, len(text)
            return
        i, c = match.start(), match.group()
        if c == "\\":
            i += 2
        elif c in "\"'(":
            i = _skip(text, i)
        elif c == ";":
            i = prelude_start = i + 1
        elif c == "}":
            yield None, i + 1
            return
        elif c == ")":
            i += 1
        else:  # "{"
            prelude = text[prelude_start:i].strip()
            if prelude.lower().startswith(GROUPING_AT_RULES):
                end = len(text)
                for block, value in _blocks(text, i + 1):
                    if block is None:
                        end = value
                    else:
                        yield block, value
                i = end
            else:
                depth, j = 0, i
                while j < len(text):
                    k = _SIGNIFICANT.search(text, j)
                    if k is None:
                        j = len(text)
                        break
                    j, d = k.start(), k.group()
                    if d == "\\":
                        j += 2
                    elif d in "\"'(":
                        j = _skip(text, j)
                    elif d == ")" or d == ";":
                        j += 1
                    elif d == "{":
                        depth += 1
                        j += 1
                    else:
                        depth -= 1
                        j += 1
                        if depth == 0:
                            break
                yield prelude, text[i + 1 : j - 1]
                i = j
            prelude_start = i


def _families(value: str) -> list[str]:
    families = []
    for family in _split_top(value, ","):
        family = family.strip()
        if family[:1] in "\"'":
            family = family[1:-1]
        families.append(" ".join(_unescape(family).split()).casefold())
    return [family for family in families if family]


#: A font size in the ``font`` shorthand (after which come the line height and families).
_FONT_SIZE = re.compile(
    r"(?:[\d.]+(?:[a-z]+|%)|0|(?:xx?x?-)?(?:small|large)|medium|larger|smaller|"
    r"(?:calc|min|max|clamp)\(.*\))(?:/.*)?",
    re.I,
)


WEIGHT_WORDS = ("bold", "bolder", "lighter")


def _weight(token: str) -> int | None:
    """A font weight: a number, ``normal`` or ``bold``; ``None`` for one that depends on the
    parent's (``bolder``, ``lighter``) or is not known."""
    token = token.strip().lower()
    if re.fullmatch(r"\d+(?:\.\d+)?", token) and 1 <= float(token) <= 1000:
        return round(float(token))
    return {"normal": 400, "bold": 700}.get(token)


def _font_shorthand(value: str) -> tuple[list[str], int | None]:
    """The families and weight of a ``font`` value (no families for a system font)."""
    tokens = [t for t in _split_top(" ".join(value.split()), " ") if t]
    for index, token in enumerate(tokens):
        if _FONT_SIZE.fullmatch(token):
            rest = tokens[index + 1 :]
            while rest and rest[0].startswith("/"):
                rest = rest[2:] if rest[0] == "/" else rest[1:]
            weight = 400  # what the shorthand sets when it does not say
            for before in tokens[:index]:
                if before.lower() in WEIGHT_WORDS or re.fullmatch(r"[\d.]+", before):
                    weight = _weight(before)
            return _families(" ".join(rest)), weight
    return [], None


class Stylesheets:
    """Stylesheets read together: their style rules, @font-face rules of Font Awesome's
    webfonts, and custom properties (every value a property is given anywhere, as a browser
    may use any of them). ``sheets`` maps a name for messages to the CSS."""

    def __init__(self, sheets: dict[str, str]):
        self.rules: list[Rule] = []
        self.faces: list[FontFace] = []
        self.properties: dict[str, list[str]] = defaultdict(list)
        for source, css in sorted(sheets.items()):
            text = _STRING_OR_COMMENT.sub(_drop_comment, css)
            for prelude, body in _blocks(text):
                if prelude is None:
                    continue
                declarations = _declarations(body)
                if prelude.lower().startswith("@font-face"):
                    self._add_face(declarations)
                elif not prelude.startswith("@"):
                    selectors = tuple(s.strip() for s in _split_top(prelude, ",") if s.strip())
                    subjects = tuple(subject_of(s) for s in selectors)
                    self.rules.append(Rule(selectors, subjects, declarations, source))
                    for name, value in declarations:
                        if name.startswith("--"):
                            self.properties[name].append(value)
        #: The rules that set a font, with what they set.
        self._font_rules = [
            (rule, self._fonts(rule), self._font_weights(rule))
            for rule in self.rules
            if rule.values("font", "font-family", "font-weight")
        ]
        self._content_rules = [
            (rule, self._characters(rule)) for rule in self.rules if rule.values("content")
        ]

    def _add_face(self, declarations):
        family, weights, files = None, (400, 400), []
        for name, value in declarations:
            if name == "font-family":
                family = next(iter(_families(value)), None)
            elif name == "font-weight":
                found = [_weight(t) for t in value.split()]
                if found and None not in found:
                    weights = (min(found), max(found))
            elif name == "src":
                for url in re.findall(r"url\(\s*(\"[^\"]*\"|'[^']*'|[^)]*?)\s*\)", value):
                    match = FONTAWESOME_URL.search(re.split(r"[?#]", url.strip("\"'"))[0])
                    if match:
                        files.append(match.group(1))
        if family and files:
            self.faces.append(FontFace(family, weights, tuple(files)))

    def expand(self, value: str, seen: frozenset[str] = frozenset()) -> set[str]:
        """Every value ``value`` may take once its ``var()`` are replaced."""
        match = re.search(r"\bvar\(", value)
        if match is None:
            return {value}
        end = _skip(value, match.end() - 1)
        name, comma, fallback = value[match.end() : end - 1].partition(",")
        name = name.strip()
        options = []
        if name in self.properties and name not in seen:
            for given in self.properties[name]:
                options += self.expand(given, seen | {name})
        if comma:
            options += self.expand(fallback.strip(), seen)
        found = set()  # none: invalid at computed-value time, no value from this declaration
        for option in options:
            found |= self.expand(value[: match.start()] + option + value[end:], seen)
            if len(found) > 512:
                break
        return found

    def _fonts(self, rule: Rule) -> tuple[set[str], set[int | None], bool]:
        """The families a rule may set, the weights it may set, and whether it sets one."""
        families, weights, sets_weight = set(), set(), False
        for name, value in rule.values("font", "font-family", "font-weight"):
            for expanded in self.expand(value):
                if name == "font":
                    found, weight = _font_shorthand(expanded)
                    families |= set(found)
                    if found:
                        weights.add(weight)
                        sets_weight = True
                elif name == "font-family":
                    families |= set(_families(expanded))
                else:
                    weights.add(_weight(expanded))
                    sets_weight = True
        return families, weights, sets_weight

    def _font_weights(self, rule: Rule) -> set[int | None]:
        """The weights of a rule's font-weight declarations."""
        return {
            _weight(expanded)
            for _, value in rule.values("font-weight")
            for expanded in self.expand(value)
        }

    def _characters(self, rule: Rule) -> set[str]:
        """The characters of every string a rule's ``content`` may be given."""
        found = set()
        for _, value in rule.values("content"):
            for expanded in self.expand(value):
                for match in _STRING.finditer(expanded):
                    found |= set(_unescape(match.group()[1:-1]))
        return found

    def faces_for(self, box: Subject) -> set[FontFace]:
        """The Font Awesome faces that may draw ``box``: for each rule that may style it with a
        Font Awesome family, the faces of that family for the weights the box may have (all
        of them when a weight is not known)."""
        faces = set()
        families = {face.family for face in self.faces}
        styling = [
            (rule, subject, fonts, weights)
            for rule, fonts, weights in self._font_rules
            for subject in rule.subjects
            if may_style(subject, box)
        ]
        for rule, subject, (found, own_weights, known), _ in styling:
            ours = found & families
            if not ours:
                continue
            # Its own weight, and those of the font-weight declarations of the rules that may
            # style the box too (a font shorthand sets a family of its own: another pairing).
            weights = set(own_weights)
            for other, other_subject, _, other_weights in styling:
                if other is rule or other_subject.pseudo not in (subject.pseudo, box.pseudo):
                    continue
                if other_weights:
                    weights |= other_weights
                    # A rule that styles every box this rule styles: the weight is set.
                    known |= (
                        other_subject.alone
                        and other_subject.pseudo == subject.pseudo
                        and other_subject.parts <= subject.parts
                    )
            for family in ours:
                candidates = [face for face in self.faces if face.family == family]
                if not known or None in weights:
                    faces |= set(candidates)
                else:
                    for weight in weights:
                        faces |= set(_matching_faces(weight, candidates))
        return faces

    def contents(self, box: Subject):
        """The rules that may give ``box`` a ``content``: ``(rule, index of the selector,
        characters)``."""
        for rule, characters in self._content_rules:
            for index, subject in enumerate(rule.subjects):
                if characters and may_style(subject, box):
                    yield rule, index, characters


def _matching_faces(weight: int, faces: list[FontFace]) -> list[FontFace]:
    """The faces that CSS font matching picks among ``faces`` (one family) for ``weight``."""
    exact = [f for f in faces if f.weights[0] <= weight <= f.weights[1]]
    if exact:
        return exact
    lighter = sorted((f for f in faces if f.weights[1] < weight), key=lambda f: -f.weights[1])
    heavier = sorted((f for f in faces if f.weights[0] > weight), key=lambda f: f.weights[0])
    if 400 <= weight <= 500:
        up_to_500 = [f for f in heavier if f.weights[0] <= 500]
        order = up_to_500 + lighter + [f for f in heavier if f.weights[0] > 500]
    elif weight < 400:
        order = lighter + heavier
    else:
        order = heavier + lighter
    return [f for f in order if f.weights == order[0].weights] if order else []


def _private_use(character: str) -> bool:
    return any(low <= ord(character) <= high for low, high in PRIVATE_USE)


def asked_glyphs(
    sheets: Stylesheets, icons: set[tuple[str, str]]
) -> dict[tuple[str, int], list[str]]:
    """Every codepoint that the stylesheets can ask a Font Awesome webfont for, as ``(face
    name, codepoint)``, with where (the rules and their stylesheets):

    - the ``content`` of each rule (but Font Awesome's per-icon rules), in the faces that may
      draw its box; a private-use codepoint that no rule gives a face, in every face;
    - for each icon of ``icons`` (``(style, name)``: ICONS), the ``content`` of the rules that
      may style ``<i class="fa-STYLE fa-NAME">::before``, in the faces that may draw it: the
      icon as Font Awesome's CSS draws it until fontawesome.js replaces the element.
    """
    asked: dict[tuple[str, int], set[str]] = defaultdict(set)
    all_faces = {face.name for face in sheets.faces}
    for rule, characters in sheets._content_rules:
        if not characters or all(ICON_CLASS_RULE.fullmatch(s) for s in rule.selectors):
            continue
        for index, subject in enumerate(rule.subjects):
            faces = {face.name for face in sheets.faces_for(subject)}
            for character in characters:
                for face in faces or (all_faces if _private_use(character) else ()):
                    asked[(face, ord(character))].add(rule.where(index))
    for style, name in sorted(icons):
        box = Subject(None, frozenset({f".fa-{style}", f".fa-{name}"}), "before", True)
        faces = {face.name for face in sheets.faces_for(box)}
        for rule, index, characters in sheets.contents(box):
            for character in characters:
                for face in faces:
                    asked[(face, ord(character))].add(
                        f"{rule.where(index)} for fa-{style} fa-{name} of ICONS"
                    )
    return {key: sorted(value) for key, value in sorted(asked.items())}


def read_icons(path: Path = VENDOR / "ICONS") -> set[tuple[str, str]]:
    """The icons of an ICONS list, as ``(style, name)``."""
    icons = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) == 2:
            icons.add((words[0], words[1]))
    return icons


def read_codepoints(path: Path = CODEPOINTS) -> dict[str, dict[int, str]]:
    """The lines of CODEPOINTS: ``{face name: {codepoint: "served" or "absent"}}``."""
    listed: dict[str, dict[int, str]] = defaultdict(dict)
    for line in path.read_text(encoding="utf-8").splitlines():
        words = line.split(maxsplit=3)
        if words and not line.startswith("#"):
            listed[words[0]][int(words[1].removeprefix("U+"), 16)] = words[2]
    return dict(listed)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _webfont_sources() -> dict[str, str]:
    """The sha256 of each webfont the subsets were made from (VERSIONS)."""
    versions = VENDOR / "VERSIONS"
    text = versions.read_text(encoding="utf-8") if versions.is_file() else ""
    return dict(re.findall(r"^webfont source sha256: (\S+) ([0-9a-f]{64})$", text, re.M))


def theme_stylesheets(static: Path) -> Stylesheets:
    """Every stylesheet under a ``_static`` (or a theme's ``static``) folder, named by its
    path in that folder."""
    return Stylesheets(
        {
            path.relative_to(static).as_posix(): path.read_text(encoding="utf-8", errors="replace")
            for path in sorted(static.rglob("*.css"))
        }
    )


def webfont_plan(outdir: Path, theme_dirs: list[Path] = ()) -> list[tuple[Path, Path]]:
    """The webfonts to serve, as ``(subset, file of the output)``, after checking that the
    subsets hold every glyph the built CSS can ask for and are of the theme's webfonts: the
    files of the theme (``theme_dirs``, child first) or, not found there, of the output."""
    sheets = theme_stylesheets(outdir / "_static")
    folder = outdir / SERVED_WEBFONTS
    if not sheets.faces:
        return []
    if not folder.is_dir():
        logger.warning(
            f"book_icons: the theme's CSS uses Font Awesome's webfonts, but there is no {folder}",
            type="book_icons",
        )
        return []
    if not CODEPOINTS.is_file():
        raise ExtensionError(
            f"book_icons: no webfont subsets in {WEBFONTS} (CODEPOINTS); "
            "run bash scripts/refresh_vendor.sh"
        )
    listed = read_codepoints()
    missing = [
        (face, codepoint, where)
        for (face, codepoint), where in asked_glyphs(sheets, read_icons()).items()
        if codepoint not in listed.get(face, {})
    ]
    if missing:
        lines = [
            f"  U+{codepoint:04X} in {face}: {'; '.join(where[:2])}"
            + (f" (and {len(where) - 2} more)" if len(where) > 2 else "")
            for face, codepoint, where in missing
        ]
        raise ExtensionError(
            "book_icons: the CSS of _static/ can ask Font Awesome's webfonts for codepoints that "
            f"the served subsets ({CODEPOINTS}) lack:\n"
            + "\n".join(lines)
            + "\nrun bash scripts/refresh_vendor.sh, which makes the subsets from the themes' CSS"
        )
    sources = _webfont_sources()
    plan = []
    for face in sheets.faces:
        for name in face.files:
            theme_file, subset = folder / name, WEBFONTS / name
            if not theme_file.is_file():
                continue
            if not subset.is_file():
                raise ExtensionError(
                    f"book_icons: no subset {subset} of the theme's {SERVED_WEBFONTS / name}; "
                    "run bash scripts/refresh_vendor.sh"
                )
            # An output built before holds the subset already (Sphinx leaves a static file
            # that exists): the theme's own file says which webfont the theme has.
            theirs = [d / "static" / THEME_WEBFONTS / name for d in theme_dirs]
            theirs = next((path for path in theirs if path.is_file()), theme_file)
            served_before = theirs == theme_file and _sha256(theme_file) == _sha256(subset)
            if not served_before and sources.get(name) != _sha256(theirs):
                raise ExtensionError(
                    f"book_icons: the theme's {theirs} is not the webfont that {subset} was "
                    "made from (VERSIONS): set VERSION in scripts/refresh_vendor.sh to the "
                    "theme's Font Awesome and run it"
                )
            plan.append((subset, theme_file))
    return sorted(set(plan))


def serve_webfonts(plan: list[tuple[Path, Path]]) -> None:
    """Write the subsets over the theme's webfonts, with their licence."""
    for subset, theme_file in plan:
        shutil.copyfile(subset, theme_file)
    if plan:
        plan[0][1].with_name("LICENSE.txt").write_text(
            "The webfonts of this folder are subsets of Font Awesome Free's (see CODEPOINTS and\n"
            "VERSIONS in book/_static/vendor/fontawesome/webfonts of the book's repository),\n"
            "renamed as the SIL Open Font License asks of modified fonts. Their licence:\n\n"
            + (VENDOR / "LICENSE.txt").read_text(encoding="utf-8"),
            encoding="utf-8",
        )


def serve_subset(app: Sphinx, exception: Exception | None) -> None:
    """Check every icon the pages use against the subset, and every glyph the CSS can ask
    the webfonts for against theirs, then serve the subsets."""
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

    theme_licence = served.with_name(served.name + ".LICENSE.txt")
    if not served.is_file():
        logger.warning(
            f"book_icons: the theme has no {SERVED}; the Font Awesome subset is not served",
            type="book_icons",
        )
    else:
        theme_text = theme_licence.read_text(encoding="utf-8") if theme_licence.is_file() else ""
        theme_major = _major(theme_text) or _major(served.read_text(encoding="utf-8")[:2000])
        if theme_major and theme_major != _major(subset):
            raise ExtensionError(
                f"book_icons: the theme bundles Font Awesome {theme_major}, the subset in "
                f"{VENDOR} is Font Awesome {_major(subset)}: set VERSION in "
                "scripts/refresh_vendor.sh to the theme's version and run it"
            )
    # Every check before any file is written: a failed build leaves the theme's files.
    theme = getattr(app.builder, "theme", None)
    theme_dirs = [Path(d) for d in theme.get_theme_dirs()] if theme is not None else []
    webfonts = webfont_plan(outdir, theme_dirs)

    if served.is_file():
        served.write_text(subset, encoding="utf-8")
        theme_licence.write_text(_licence_note(subset), encoding="utf-8")
        served.with_name(served.name + ".map").unlink(missing_ok=True)
    serve_webfonts(webfonts)


def setup(app: Sphinx) -> dict:
    # Before the other build-finished handlers (priority 500), so that a failure there
    # does not leave the full file in place.
    app.connect("build-finished", serve_subset, priority=400)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
