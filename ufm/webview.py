"""The static page's form of an explorer: its spec, its HTML, and the script that runs it.

A live explorer (:class:`ufm.widgets.Explorer`) needs a kernel. For the book's static pages
each registered explorer also has a JavaScript twin (``ufm/js``, see ``ufm/js/README.md``)
that recomputes in the reader's browser. This module writes what that twin needs:

- :func:`spec`: the explorer's controls (names, ranges, defaults, labels, the same ones as
  the ipywidgets controls) and its fixed data, as JSON-ready values;
- :func:`static_html`: the placeholder the page carries: the spec, the figure at the
  defaults as an image (what a reader without JavaScript sees) and the summary line;
- :func:`bundle`: the modules of ``ufm/js`` as one classic script, so that the pages also
  work when opened from disk (browsers refuse ES modules on ``file://``).

A notebook displays an explorer as its ipywidgets view and, in the same output, as
:func:`static_html`; JupyterLab shows the first, the book (``nb_mime_priority_overrides`` in
``_config.yml``) the second.
"""

from __future__ import annotations

import base64
import html
import importlib.resources
import json
import math
import re
from collections.abc import Mapping
from pathlib import Path

#: The folder of the JavaScript modules (package data).
JS = importlib.resources.files("ufm").joinpath("js")
#: The module the bundle starts from: it imports, directly or not, every module it needs.
ENTRY = "main.js"
#: Resolution and palette of the image a static page shows where JavaScript is off.
FALLBACK_DPI = 72
FALLBACK_COLORS = 128

_IMPORT = re.compile(r'^import\s*\{([^}]*)\}\s*from\s*"(\.\.?/[\w/.-]+\.js)";\s*$')
_EXPORT = re.compile(r"^export\s+(?:async\s+)?(function\*?|class|const|let)\s+([A-Za-z_$][\w$]*)")


def control_spec(name: str, widget) -> dict:
    """One control as the static page builds it: ``{"name", "kind", "label", ...}``.

    ``kind`` is ``"int"``, ``"float"``, ``"log"`` (``FloatLogSlider``: ``min``, ``max`` and
    ``step`` are exponents of ``base``), ``"select"`` (``Dropdown``) or ``"choice"``
    (``SelectionSlider``); the last two carry ``options``, a list of ``[label, value]``.

    Raises
    ------
    TypeError
        If the widget is of another kind.
    """
    import ipywidgets as widgets

    out = {"name": name, "label": widget.description, "value": _json_value(widget.value)}
    if isinstance(widget, widgets.FloatLogSlider):
        out.update(kind="log", base=widget.base, min=widget.min, max=widget.max)
        out["step"] = widget.step
    elif isinstance(widget, (widgets.IntSlider, widgets.FloatSlider)):
        kind = "int" if isinstance(widget, widgets.IntSlider) else "float"
        out.update(kind=kind, min=widget.min, max=widget.max, step=widget.step)
    elif isinstance(widget, (widgets.Dropdown, widgets.SelectionSlider)):
        kind = "select" if isinstance(widget, widgets.Dropdown) else "choice"
        options = [[label, _json_value(value)] for label, value in widget._options_full]
        out.update(kind=kind, options=options)
    else:
        raise TypeError(
            f"control {name!r} is a {type(widget).__name__}; expected an IntSlider, "
            "FloatSlider, FloatLogSlider, Dropdown or SelectionSlider"
        )
    return out


def spec(explorer) -> dict:
    """The JSON-ready description of ``explorer`` that its JavaScript twin reads.

    ``{"name": ..., "controls": [control_spec, ...], "data": explorer.data}``.
    """
    return {
        "name": explorer.name,
        "controls": [control_spec(n, w) for n, w in explorer.controls.items()],
        "data": explorer.data,
    }


def static_html(explorer) -> str:
    """The explorer as the static page carries it (see ``ufm/js/README.md``).

    The image is the figure as last drawn, at ``FALLBACK_DPI`` with a palette of
    ``FALLBACK_COLORS`` colours (:func:`ufm.animation.png_frame`): what a reader without
    JavaScript sees, a fifth of the bytes of a full-colour image.

    Parameters
    ----------
    explorer : ufm.widgets.Explorer
        A registered explorer (its ``name`` is set).
    """
    from . import animation

    png = animation.png_frame(explorer.figure, FALLBACK_DPI, FALLBACK_COLORS)
    explorer.figure.canvas.draw()  # back to the figure's own resolution
    text = json.dumps(spec(explorer), allow_nan=False, separators=(",", ":"))
    # Inside <script>, "</" would end the element early.
    text = text.replace("</", "<\\/")
    image = base64.b64encode(png).decode("ascii")
    summary = html.escape(explorer.message)
    return (
        f'<div class="ufm-explorer" data-ufm-explorer="{html.escape(explorer.name)}">'
        f'<script type="application/json" class="ufm-spec">{text}</script>'
        f'<figure class="ufm-figure"><img alt="{html.escape(explorer.alt)}" '
        f'src="data:image/png;base64,{image}"></figure>'
        f'<p class="ufm-summary" data-ufm-summary aria-live="polite">{summary}</p>'
        '<p class="ufm-note"><em>The figure shows the default settings. With JavaScript on, '
        "the controls appear here and recompute it in your browser.</em></p>"
        "</div>"
    )


def _json_value(value):
    """A control value as JSON has it (numpy scalars become Python numbers)."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"control value {value!r} is not finite; JSON cannot carry it")
    return value


def bundle(entry: str = ENTRY, root=JS) -> str:
    """The module ``ufm/js/<entry>`` and every module it imports, as one classic script.

    Each module runs in a function scope of its own and hands its exports to the modules
    that import it. Only the module syntax documented in ``ufm/js/README.md`` is understood.

    Parameters
    ----------
    entry : str
        The first module, as a path inside ``root``.
    root : path-like or importlib Traversable
        The folder of the modules (default: ``ufm/js``).

    Raises
    ------
    ValueError
        If a module uses other module syntax, or the imports form a cycle.
    """
    order: list[str] = []
    parsed: dict[str, tuple[list[tuple[list[str], str]], list[str], str]] = {}

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in path:
            raise ValueError(f"ufm/js: modules import each other in a cycle: {' -> '.join(path)}")
        if name in parsed:
            return
        parsed[name] = _parse(root, name)
        for _, dependency in parsed[name][0]:
            visit(dependency, (*path, name))
        order.append(name)

    visit(entry, ())
    ids = {name: f"__ufm_{re.sub(r'[^A-Za-z0-9]', '_', name[:-3])}" for name in order}
    parts = ['"use strict";']
    for name in order:
        imports, exports, body = parsed[name]
        head = "".join(
            f"const {{ {', '.join(names)} }} = {ids[dependency]};\n"
            for names, dependency in imports
        )
        parts.append(
            f"// ufm/js/{name}\nconst {ids[name]} = (() => {{\n{head}{_compact(body)}\n"
            f"return {{ {', '.join(exports)} }};\n}})();"
        )
    return "(() => {\n" + "\n".join(parts) + "\n})();\n"


def _compact(body: str) -> str:
    """The module without its comment lines and indentation (about a quarter of its bytes;
    the page loads the bundle, a reader reads ``ufm/js``). A line inside a template literal
    that spans lines is kept as it is; a comment after code on a line is kept."""
    out, in_template, in_comment = [], False, False
    for line in body.splitlines():
        if in_template:
            out.append(line)
        else:
            line = line.strip()
            if in_comment:
                if "*/" not in line:
                    continue
                line, in_comment = line.split("*/", 1)[1].strip(), False
            if line.startswith("/*"):
                if "*/" not in line:
                    in_comment = True
                    continue
                line = line.split("*/", 1)[1].strip()
            if not line or line.startswith("//"):
                continue
            out.append(line)
        if len(re.findall(r"(?<!\\)`", line)) % 2:
            in_template = not in_template
    return "\n".join(out)


def _parse(root, name: str) -> tuple[list[tuple[list[str], str]], list[str], str]:
    """The imports ``[(names, module)]``, the exported names and the body of one module."""
    path = (root if hasattr(root, "joinpath") else Path(root)).joinpath(name)
    if not path.is_file():
        raise ValueError(f"ufm/js/{name} does not exist")
    imports, exports, lines = [], [], []
    folder = name.rpartition("/")[0]
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("import ") or stripped.startswith("import{"):
            match = _IMPORT.match(stripped)
            if not match:
                raise ValueError(
                    f"ufm/js/{name}:{number}: write imports as "
                    '`import { a, b } from "./x.js";` (or "../x.js") on one line'
                )
            names = [n.strip() for n in match.group(1).split(",") if n.strip()]
            if any(" as " in n for n in names):
                raise ValueError(f"ufm/js/{name}:{number}: `import {{ a as b }}` is not supported")
            target = _resolve(folder, match.group(2))
            imports.append((names, target))
            lines.append("")
            continue
        if line.startswith("export "):
            match = _EXPORT.match(line)
            if not match:
                raise ValueError(
                    f"ufm/js/{name}:{number}: write exports as `export function|class|const "
                    "NAME`; default exports and export lists are not supported"
                )
            exports.append(match.group(2))
            line = line[len("export ") :]
        elif re.match(r"^\s*export\b", line):
            raise ValueError(f"ufm/js/{name}:{number}: exports must start their line")
        lines.append(line)
    return imports, exports, "\n".join(lines)


def _resolve(folder: str, relative: str) -> str:
    """The module a relative import names, as a path inside ``ufm/js``."""
    parts = [p for p in folder.split("/") if p]
    for piece in relative.split("/"):
        if piece == "..":
            if not parts:
                raise ValueError(f"import ./{relative} leaves ufm/js")
            parts.pop()
        elif piece != ".":
            parts.append(piece)
    return "/".join(parts)


def mime_bundle(explorer, widget_view: Mapping) -> dict:
    """The output of a displayed explorer: the ipywidgets view and the static form."""
    return {
        "application/vnd.jupyter.widget-view+json": dict(widget_view),
        "text/html": static_html(explorer),
        "text/plain": f"<explorer {explorer.name}>",
    }
