"""Precomputed views that play in the browser alone: no kernel, no network.

A live experiment (:mod:`ufm.widgets`) needs a running kernel; most readers read the static
pages. For them a chapter adds, next to each live experiment, views computed when the book
is built:

- :func:`animate` turns a figure and a function that draws frame ``i`` into an animation
  with Play/Pause, First, Back, Next and Last buttons and a slider to scrub through the
  frames; :func:`animate_descent` animates gradient descent from a random start.
- :func:`switchable` shows one of a few precomputed views at a time, with a radio button per
  view (one per ``ε``, one per rank of ``W_0``); :func:`explorer_switch` makes such a set
  from a registered live experiment (``ufm.widgets.REGISTRY``), at a few values of one
  of its controls.

Each returns a :class:`StaticView`: a block of HTML with its own small script (the text of
``ufm/js/player.js`` or ``ufm/js/switch.js``, inlined: a page needs no network) and its
images embedded as PNG data, which a notebook displays as HTML and the book's static page
keeps as it is. Frames are reduced to a palette of at most 256 colours so pages stay light
(the 23 frames of :func:`animate_descent` take about 0.5 MB). Every image is opaque
(transparent parts are put on white), so figures read in the dark theme too, and carries
the alternative text given.

In a chapter, one cell (tagged ``hide-input``) per view::

    from ufm import animation

    animation.animate_descent()      # gradient descent at the defaults of Figure 1

    animation.explorer_switch(
        "model.descent", "eps", [1e-1, 1e-2, 1e-3], "size of the random start", "ε = {:g}"
    )

A notebook shows a :class:`StaticView` as HTML: the controls work there too, once the
notebook is trusted (JupyterLab runs the scripts of outputs it has computed itself).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import importlib.resources
import itertools
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from . import _checks

#: The first bytes of every PNG file.
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

#: Numbers the views made in this process, so that two identical views on one page (or in
#: one JupyterLab window) still get different element ids.
_serial = itertools.count(1)

#: Style of the player's and the switch's controls: they take the page's colours, so they
#: read in light and dark themes alike.
_BUTTON_STYLE = (
    "font:inherit;color:inherit;background:transparent;border:1px solid currentColor;"
    "border-radius:4px;padding:0.1em 0.6em;margin:0 0.25em 0.25em 0;cursor:pointer"
)


@dataclass(frozen=True)
class StaticView:
    """A block of HTML that runs in the browser alone (its script and images are inline).

    Attributes
    ----------
    html : str
        The HTML: elements, then one ``<script>`` that wires them up.
    """

    html: str

    def _repr_html_(self) -> str:
        return self.html

    @property
    def size(self) -> int:
        """The size of the HTML in bytes (UTF-8), which the view adds to a page."""
        return len(self.html.encode("utf-8"))


def _alt_text(alt, name: str = "alt") -> str:
    if not isinstance(alt, str) or not alt.strip():
        raise ValueError(f"{name} must be a non-empty string saying what the images show")
    return alt.strip()


def _script_json(value) -> str:
    """``value`` as JSON that can sit inside a ``<script>`` element."""
    return json.dumps(value).replace("</", "<\\/")


@functools.cache
def script_text(name: str) -> str:
    """The text of the JavaScript file ``ufm/js/<name>`` (package data), which a view inlines.

    Raises
    ------
    ValueError
        If the text could end the ``<script>`` element it is inlined into.
    """
    text = importlib.resources.files("ufm").joinpath("js", name).read_text(encoding="utf-8")
    if "</" in text or "<!--" in text:
        raise ValueError(f"ufm/js/{name} contains '</' or '<!--', which would break its <script>")
    return text


def _script(name: str, call: str) -> str:
    """A ``<script>`` holding ``ufm/js/<name>`` and ``call`` (which runs it), in a scope of
    their own, so that several views on a page do not share names."""
    return f"<script>(function () {{\n{script_text(name)}{call}\n}})();</script>"


def _element_id(kind: str, content: str) -> str:
    digest = hashlib.sha256(content.encode("utf-8")).hexdigest()[:12]
    return f"ufm-{kind}-{digest}-{next(_serial)}"


def png_frame(fig, dpi: float = 60, colors: int = 128) -> bytes:
    """The figure as an opaque PNG with a palette of at most ``colors`` colours.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        A figure with an Agg canvas.
    dpi : float
        Resolution; the image is ``figsize * dpi`` pixels.
    colors : int
        Palette size, 2 to 256. Line plots keep their look with 64 to 128 colours at a
        third to a half of the size of a full-colour PNG.

    Returns
    -------
    bytes
        PNG data (mode ``P``, no transparency: transparent parts are put on white).
    """
    dpi = _checks.positive_float(dpi, "dpi")
    colors = _palette_size(colors)
    original = fig.dpi
    fig.set_dpi(dpi)
    try:
        fig.canvas.draw()
        return _encode(fig, colors)
    finally:
        fig.set_dpi(original)


def _palette_size(colors) -> int:
    return _checks.positive_int(colors, "colors", 2, 256)


def _encode(fig, colors: int) -> bytes:
    """What the figure's Agg canvas holds now, as an opaque palette PNG."""
    from .plots import palette_png

    return palette_png(np.asarray(fig.canvas.buffer_rgba()), colors)


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def player(
    frames: Sequence[bytes],
    captions: Sequence[str],
    alt: str,
    interval: float = 0.15,
    start: int | None = None,
) -> StaticView:
    """An animation of PNG frames with Play/Pause, First, Back, Next, Last and a slider.

    Parameters
    ----------
    frames : sequence of bytes
        PNG images, all of the same size.
    captions : sequence of str
        One line of text per frame, shown under the controls (for example the iteration).
    alt : str
        Alternative text of the image: what the animation shows.
    interval : float
        Seconds between frames when playing.
    start : int, optional
        Frame shown before the reader presses anything; default the last one, so that
        the page (and its printout) shows where the animation ends. Play starts from the
        first frame when the last one is shown.

    Returns
    -------
    StaticView
    """
    if isinstance(frames, (bytes, str)) or not isinstance(frames, Sequence):
        raise TypeError(f"frames must be a sequence of PNG images (bytes); got {frames!r:.60}")
    if not all(isinstance(f, bytes) and f.startswith(PNG_SIGNATURE) for f in frames):
        raise TypeError("frames must be a sequence of PNG images (bytes starting b'\\x89PNG')")
    count = len(frames)
    if count == 0:
        raise ValueError("frames is empty; expected at least one PNG image")
    if (
        isinstance(captions, str)
        or not isinstance(captions, Sequence)
        or len(captions) != count
        or not all(isinstance(c, str) for c in captions)
    ):
        raise TypeError(f"captions must be a sequence of {count} strings, one per frame")
    captions = list(captions)
    alt = _alt_text(alt)
    interval = _checks.positive_float(interval, "interval")
    if interval > 3600:
        raise ValueError(f"interval must be at most 3600 seconds between frames; got {interval}")
    start = count - 1 if start is None else _checks.positive_int(start, "start", 0)
    if start >= count:
        raise ValueError(f"start must be a frame index below {count}; got {start}")

    uris = [_data_uri(f) for f in frames]
    shown = uris[start]
    uris[start] = None  # the script takes it from the image, so it is stored once
    element = _element_id("player", "".join(u or shown for u in uris))
    button = f'<button type="button" style="{_BUTTON_STYLE}"'
    last = count - 1
    markup = (
        f'<div class="ufm-player" id="{element}" data-frames="{count}">'
        f'<img class="ufm-player-frame" src="{shown}" alt="{html.escape(alt)}" '
        'style="display:block;max-width:100%;height:auto;background:white">'
        '<div class="ufm-player-controls" role="group" aria-label="animation controls" '
        'style="margin-top:0.4em">'
        f'{button} data-action="first" aria-label="first frame">First</button>'
        f'{button} data-action="back" aria-label="previous frame">Back</button>'
        f'{button} data-action="play" aria-pressed="false">Play</button>'
        f'{button} data-action="next" aria-label="next frame">Next</button>'
        f'{button} data-action="last" aria-label="last frame">Last</button>'
        f'<input type="range" class="ufm-player-slider" min="0" max="{last}" step="1" '
        f'value="{start}" aria-label="frame" style="vertical-align:middle;width:12em">'
        f'<span class="ufm-player-caption" style="margin-left:0.6em">'
        f"{html.escape(captions[start])}</span>"
        "</div></div>"
    )
    script = _script(
        "player.js",
        f"var frames = {_script_json(uris)}, captions = {_script_json(captions)};\n"
        f'ufmPlayer(document.getElementById("{element}"), frames, captions, {start}, '
        f"{round(interval * 1000)});",
    )
    return StaticView(markup + script)


def animate(
    fig,
    draw: Callable[[int], object],
    count: int,
    captions: Sequence[str],
    alt: str,
    animated: Sequence = (),
    interval: float = 0.15,
    dpi: float = 60,
    colors: int = 128,
) -> StaticView:
    """Render ``count`` frames of a figure into an animation that plays in the browser.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        A figure with an Agg canvas, built once; ``draw`` updates its artists. The layout
        of the first frame is kept for all frames.
    draw : callable
        ``draw(i)`` updates the figure to frame ``i`` (``0 <= i < count``).
    count : int
        Number of frames. Each adds one PNG to the page (5 to 15 kB at the default ``dpi``).
    captions : sequence of str
        One line per frame, shown next to the controls.
    alt : str
        Alternative text: what the animation shows.
    animated : sequence of matplotlib artists
        The artists that ``draw`` changes, if it changes nothing else (no axis limits, no
        ticks): then the rest of the figure is drawn once and only these are redrawn per
        frame, in the order given, on top of it (several times faster). Empty: every frame
        draws the whole figure.
    interval, dpi, colors
        See :func:`player` and :func:`png_frame`.

    Returns
    -------
    StaticView
    """
    count = _checks.positive_int(count, "count")
    if not callable(draw):
        raise TypeError(f"draw must be a function of the frame index; got {type(draw).__name__}")
    dpi = _checks.positive_float(dpi, "dpi")
    colors = _palette_size(colors)
    animated = list(animated)
    layout, original_dpi = fig.get_layout_engine(), fig.dpi
    frames = []
    fig.set_dpi(dpi)
    try:
        draw(0)
        for artist in animated:
            artist.set_animated(True)
        fig.canvas.draw()
        # Keep the first frame's layout: the axes stay put and the layout runs once.
        fig.set_layout_engine("none")
        background = fig.canvas.copy_from_bbox(fig.bbox) if animated else None
        for i in range(count):
            if i:
                draw(i)
            if animated:
                fig.canvas.restore_region(background)
                for artist in animated:
                    fig.draw_artist(artist)
            elif i:
                fig.canvas.draw()
            frames.append(_encode(fig, colors))
    finally:
        for artist in animated:
            artist.set_animated(False)
        fig.set_dpi(original_dpi)
        fig.set_layout_engine(layout)
    return player(frames, captions, alt, interval=interval)


def animate_descent(
    C: int = 3,
    N: int = 3,
    p: int = 15,
    eps: float = 1e-2,
    lr: float = 1.0,
    steps: int = 4000,
    seed: int = 0,
    frames: int = 24,
) -> StaticView:
    """Gradient descent from a random start of size ``ε``, as an animation.

    The defaults are the set-up of the paper's figures (``C = N = 3``, ``p = 15``,
    ``η = 1``) and of the live experiment ``model.descent``. Frames are taken at steps
    spaced geometrically (``ufm.experiments.snapshot_schedule``): the geometry forms
    early. Each frame shows, up to its step, the three strong-collapse errors and the risk
    with the relative distance from S; for ``C = 3`` also the classifier rows and scaled
    class means in the plane of the simplex.

    Parameters
    ----------
    C, N, p : int
        Classes, samples per class, feature dimension.
    eps : float
        Size of the random start (:func:`ufm.random_init`).
    lr : float
        Step size ``η``.
    steps : int
        Number of steps.
    seed : int
        Seed of the random start.
    frames : int
        About this many frames (at least 2).

    Returns
    -------
    StaticView
    """
    from . import experiments, plots
    from .model import random_init

    C, N, p = _checks.sizes(C, N, p)
    steps = _checks.positive_int(steps, "steps")
    frames = _checks.positive_int(frames, "frames", 2)
    start = random_init(C, N, p, eps, seed=seed)
    marks = experiments.snapshot_schedule(steps, frames)
    run = experiments.descent_with_snapshots(
        start, lr=lr, steps=steps, snapshot_steps=marks, record_every=max(1, steps // 500)
    )
    trajectory, kept = run.trajectory, run.snapshot_steps

    # The panels of the live experiment model.descent, with a cursor at the frame's step.
    plane = C == 3
    if plane:
        panels = plots.descent_panels(10.0, 3.3, width_ratios=(1.2, 1.2, 1.0), cursors=True)
        view = experiments.simplex_plane(run.W, run.class_means, N)
    else:
        panels = plots.descent_panels(8.0, 3.3, plane=False, cursors=True)
    panels.fit(trajectory, steps)

    def draw(i):
        panels.show(trajectory, upto=kept[i])
        if plane:
            panels.show_plane(view, upto=i)

    note = ""
    if trajectory.diverged_at is not None:
        note = f" (diverged at step {trajectory.diverged_at})"
    captions = [f"iteration {s} of {steps}{note}" for s in kept]
    described = (
        "Left: the three distances from strong collapse per iteration, on a log scale, drawn "
        "up to the current frame. Middle: the risk and the relative distance from S. Right: "
        "the paths of the classifier rows and of the scaled class means in the plane of the "
        "simplex; at strong collapse the rows form an equilateral triangle."
        if plane
        else "Left: the three distances from strong collapse per iteration, on a log scale, "
        "drawn up to the current frame. Right: the risk and the relative distance from S."
    )
    alt = (
        f"Animation of gradient descent for C = {C} classes, N = {N} samples per class, "
        f"p = {p}, from a random start of size ε = {eps:g} with step size η = {lr:g}. {described}"
    )
    return animate(
        panels.figure, draw, len(kept), captions, alt, animated=panels.animated, dpi=80, colors=64
    )


def image_view(png: bytes, alt: str, caption: str = "") -> StaticView:
    """One PNG image, with its alternative text and an optional caption under it.

    Parameters
    ----------
    png : bytes
        The image (for example from :func:`png_frame`).
    alt : str
        What the image shows.
    caption : str
        A line of text shown under the image (for example a message of a live experiment).

    Returns
    -------
    StaticView
    """
    if not isinstance(png, bytes) or not png.startswith(PNG_SIGNATURE):
        raise TypeError(f"png must be PNG data (bytes starting b'\\x89PNG'); got {png!r:.40}")
    if not isinstance(caption, str):
        raise TypeError(
            f"caption must be a string; got {caption!r} of type {type(caption).__name__}"
        )
    text = f'<p style="margin:0.3em 0">{html.escape(caption)}</p>' if caption else ""
    return StaticView(
        f'<img src="{_data_uri(png)}" alt="{html.escape(_alt_text(alt))}" '
        f'style="display:block;max-width:100%;height:auto;background:white">{text}'
    )


def switchable(
    views: Mapping[str, StaticView], legend: str, selected: str | None = None
) -> StaticView:
    """Show one of a few precomputed views at a time, chosen with radio buttons.

    Parameters
    ----------
    views : mapping of str to StaticView
        Label of each choice (for example ``"ε = 0.01"``) and its view (an animation,
        an :func:`image_view`, ...).
    legend : str
        What the choices are (for example ``"size of the random start"``).
    selected : str, optional
        The label shown first; default the first one.

    Returns
    -------
    StaticView
        Without JavaScript, the selected view is shown.
    """
    if not isinstance(views, Mapping) or len(views) == 0:
        raise ValueError("views must be a non-empty mapping of labels to views")
    labels = [str(label) for label in views]
    if len(set(labels)) != len(labels):
        raise ValueError(f"two views have the same label: {labels}")
    legend = _alt_text(legend, "legend")
    selected = labels[0] if selected is None else str(selected)
    if selected not in labels:
        raise ValueError(f"selected is {selected!r}; expected one of {labels}")
    for label, view in zip(labels, views.values()):
        if not isinstance(view, StaticView):
            raise TypeError(
                f"views[{label!r}] is a {type(view).__name__}; expected a StaticView "
                "(wrap a PNG image with image_view)"
            )
    bodies = [view.html for view in views.values()]
    element = _element_id("switch", legend + "".join(labels) + "".join(bodies))
    choices = "".join(
        f'<label style="margin-right:1em;white-space:nowrap"><input type="radio" '
        f'name="{element}" value="{i}"{" checked" if label == selected else ""}> '
        f"{html.escape(label)}</label>"
        for i, label in enumerate(labels)
    )
    panels = "".join(
        f'<div class="ufm-switch-view" data-index="{i}"'
        f"{'' if label == selected else ' hidden'}>{body}</div>"
        for i, (label, body) in enumerate(zip(labels, bodies))
    )
    markup = (
        f'<div class="ufm-switch" id="{element}">'
        '<fieldset style="border:none;padding:0;margin:0 0 0.4em 0">'
        '<legend style="font:inherit;font-weight:bold;float:none;width:auto;padding:0;'
        'margin:0 0 0.2em 0">'
        f"{html.escape(legend)}</legend>"
        f"{choices}</fieldset>{panels}</div>"
    )
    script = _script("switch.js", f'ufmSwitch(document.getElementById("{element}"));')
    return StaticView(markup + script)


def explorer_switch(
    name: str,
    control: str,
    values: Sequence,
    legend: str,
    label: str = "{}",
    dpi: float = 72,
    colors: int = 128,
) -> StaticView:
    """The figure of a registered live experiment at a few values of one control, switchable.

    A fresh explorer is made from ``ufm.widgets.REGISTRY`` (an explorer shown elsewhere
    on the page is left as it is). Every other control keeps its default. Each view is the
    explorer's figure with its alternative text, and the explorer's message, if any, as a
    caption.

    Parameters
    ----------
    name : str
        Registered name of the explorer (for example ``"model.descent"``).
    control : str
        The control to vary (for example ``"eps"`` or ``"rank"``).
    values : sequence
        Its values, one view each; the first is shown first.
    legend : str
        What the choices are (for example ``"size of the random start ε"``).
    label : str
        Format of each choice's label, filled with the value (for example ``"ε = {:g}"``).
    dpi, colors
        See :func:`png_frame`.

    Returns
    -------
    StaticView

    Raises
    ------
    ValueError
        If the explorer or the control does not exist, or a value cannot be drawn.
    """
    explorer = _explorer(name)
    if control not in explorer.controls:
        raise ValueError(
            f"the explorer {name!r} has no control {control!r}; "
            f"expected one of {sorted(explorer.controls)}"
        )
    if isinstance(values, str) or len(values) == 0:
        raise ValueError("values must be a non-empty sequence of control values")
    alt = _alt_text(explorer.alt, f"the alt text of the explorer {name!r}")
    views = {}
    for value in values:
        settings = {**explorer.values(), control: value}
        message = explorer.draw(**settings) or ""
        views[label.format(value)] = image_view(
            png_frame(explorer.figure, dpi=dpi, colors=colors),
            f"{alt} Shown for {label.format(value)}.",
            message,
        )
    if len(views) != len(values):
        raise ValueError(f"the label {label!r} gives the same text to two of the values {values}")
    return switchable(views, legend)


def _explorer(name: str):
    """A fresh explorer from the registry, after importing every chapter's module."""
    import importlib
    import pkgutil

    import ufm.widgets
    from ufm.widgets import REGISTRY

    for module in pkgutil.iter_modules(ufm.widgets.__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"ufm.widgets.{module.name}")
    if name not in REGISTRY:
        raise ValueError(f"no explorer named {name!r}; expected one of {sorted(REGISTRY)}")
    return REGISTRY[name].factory()
