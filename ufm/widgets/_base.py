"""The machinery every live experiment of the book shares.

An :class:`Explorer` is a set of ipywidgets controls and one matplotlib figure that is
built once. Moving a control calls a *draw* function that recomputes and updates the
figure's artists in place; the figure is then re-rendered into the same image, so the
page never accumulates figures. A draw function may return a short message (for example
"diverged at step 14"), and any error it raises becomes a message too: a reader never
sees a traceback or an empty plot.

A displayed explorer is one output with two forms: the ipywidgets view, which a running
notebook shows, and the static page's form (:func:`ufm.webview.static_html`), which the
book shows and which the explorer's JavaScript twin in ``ufm/js`` brings to life.
"""

from __future__ import annotations

import functools
import html
import io
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from matplotlib.figure import Figure

#: The output form of an ipywidgets view.
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

#: Every explorer factory, by name, with the settings its tests and benchmarks visit.
REGISTRY: dict[str, ExplorerSpec] = {}


@dataclass(frozen=True)
class ExplorerSpec:
    """A registered explorer: its factory and the control values worth visiting.

    ``corners`` maps each control to its extreme values (the test suite drives every
    callback over them); ``maxima`` is the heaviest setting (timed by the benchmarks).
    """

    name: str
    factory: Callable[[], Explorer]
    corners: dict[str, tuple]
    maxima: dict[str, object]


def register(name: str, corners: dict[str, tuple], maxima: dict[str, object]):
    """Decorator recording an explorer factory in ``REGISTRY`` under ``name``; the
    explorers it makes carry that name (the static page finds their JavaScript twin by it).
    """

    def wrap(factory):
        @functools.wraps(factory)
        def named(*args, **kwargs):
            explorer = factory(*args, **kwargs)
            explorer.name = name
            return explorer

        REGISTRY[name] = ExplorerSpec(name, named, corners, maxima)
        return named

    return wrap


@dataclass
class Explorer:
    """Controls, a figure, and the function that redraws the figure from the controls.

    Parameters
    ----------
    controls : dict of str to ipywidgets widget
        Named controls; their ``value`` s are passed to ``draw`` as keyword arguments.
    figure : matplotlib.figure.Figure
        Built once; ``draw`` updates its artists.
    draw : callable
        ``draw(**values) -> str | None``: updates the figure, returns a message or None.
    alt : str
        Alternative text for the figure (what it shows).
    freeze : bool
        Make redraws cheap (default): minor ticks are turned off before the first render,
        and after it the layout, the titles and the axis labels stay where that render put
        them (see ``freeze_layout``). Draw functions then change titles with
        ``ax.title.set_text`` (``ax.set_title`` would re-enable their automatic placement).
    data : dict
        What the static page needs besides the controls and does not depend on them (for
        example a sweep drawn behind the live run), as JSON-ready values.
    name : str
        The name in ``REGISTRY`` (set by :func:`register`).
    """

    controls: dict
    figure: Figure
    draw: Callable[..., str | None]
    alt: str = ""
    freeze: bool = True
    data: dict = field(default_factory=dict)
    name: str = ""
    message: str = ""
    timing: dict = field(default_factory=dict)

    def __post_init__(self):
        import ipywidgets as widgets

        self._status = widgets.HTML()
        self._image = None
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        if self.freeze:
            for ax in self.figure.axes:
                ax.minorticks_off()
        self.update()
        if self.freeze:
            freeze_layout(self.figure)

    def values(self) -> dict:
        """The current value of every control."""
        return {name: control.value for name, control in self.controls.items()}

    def set(self, **values) -> None:
        """Set several controls at once and redraw once."""
        unknown = set(values) - set(self.controls)
        if unknown:
            raise ValueError(
                f"unknown controls {sorted(unknown)}; expected some of {sorted(self.controls)}"
            )
        for name, value in values.items():
            control = self.controls[name]
            control.unobserve(self._on_change, names="value")
            try:
                control.value = value
            finally:
                control.observe(self._on_change, names="value")
        self.update()

    def _on_change(self, _change) -> None:
        self.update()

    def update(self) -> str:
        """Recompute and redraw from the controls; return the message shown (may be empty).

        ``timing`` afterwards holds ``compute`` (the draw function) and ``render`` (drawing
        the Agg canvas) in seconds.
        """
        start = time.perf_counter()
        try:
            message = self.draw(**self.values()) or ""
        except Exception as exc:  # a reader must never see a traceback
            message = f"Cannot show this setting: {exc}"
            _show_message_only(self.figure, message)
        computed = time.perf_counter()
        self.figure.canvas.draw()
        self.timing = {"compute": computed - start, "render": time.perf_counter() - computed}
        self.message = message
        self._status.value = f"<p><strong>{html.escape(message)}</strong></p>" if message else ""
        if self._image is not None:
            self._image.value = self.png()
        return message

    def png(self) -> bytes:
        """The figure as last drawn, as PNG bytes (encoded from the Agg canvas buffer, so
        the figure is not rendered a second time)."""
        from PIL import Image as PILImage

        pixels = np.asarray(self.figure.canvas.buffer_rgba())
        buffer = io.BytesIO()
        # The figure is opaque (white background), so the alpha channel carries nothing.
        PILImage.fromarray(pixels[..., :3]).save(buffer, format="png")
        return buffer.getvalue()

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        """One output, two forms: the ipywidgets view (controls, the summary line, the
        figure) for a running notebook, and the static page's form (``ufm.webview``)."""
        import ipywidgets as widgets

        from .. import webview

        self.figure.canvas.draw()  # in case the figure was changed since the last update
        if self._image is None:
            self._image = widgets.Image(
                value=self.png(),
                format="png",
                layout=widgets.Layout(max_width="100%", height="auto"),
            )
        view = widgets.VBox([*self.controls.values(), self._status, self._image])
        return webview.mime_bundle(self, view._repr_mimebundle_()[WIDGET_VIEW])


def _show_message_only(fig: Figure, message: str) -> None:
    """Replace the figure's content by a message (used when a setting cannot be drawn)."""
    for ax in fig.axes:
        ax.set_visible(False)
    for text in list(fig.texts):
        text.remove()
    fig.text(0.5, 0.5, message, ha="center", va="center", wrap=True, fontsize=12)


def freeze_layout(fig: Figure) -> None:
    """Keep everything the last render placed where it is, so that later renders skip the
    work of placing it again (about as costly as drawing the figure).

    Call it after a render. The layout engine is switched off (axes keep their
    positions), titles stay at the top of their axes, and axis labels stay where they are
    (an empty label too: placing it measures every tick label again). A y-axis label with
    text is left free, because the width of its tick labels changes with the data.
    """
    fig.set_layout_engine("none")
    for ax in fig.axes:
        title = ax.title
        if title.get_text():
            # An explicit y turns off the automatic placement above the decorations.
            ax.set_title(
                title.get_text(),
                y=title.get_position()[1],
                fontsize=title.get_fontsize(),
                fontweight=title.get_fontweight(),
            )
        to_axes = ax.transAxes.inverted()
        x, y = ax.xaxis.label.get_position()
        ax.xaxis.set_label_coords(x, to_axes.transform((0.0, y))[1])
        if not ax.yaxis.label.get_text():
            x, y = ax.yaxis.label.get_position()
            ax.yaxis.set_label_coords(to_axes.transform((x, 0.0))[0], y)


def restore_axes(fig: Figure) -> None:
    """Show the axes again (after a message replaced them) before drawing a valid setting."""
    for ax in fig.axes:
        ax.set_visible(True)
    for text in list(fig.texts):
        text.remove()


#: Summary lines quote measured values below this bound by the bound (see :func:`bounded`).
ROUNDING = 1e-12


def bounded(value: float, spec: str, level: float) -> str:
    """``value`` formatted with ``spec`` for a summary line, or ``"below <level>"`` if it is
    below ``level``: for quantities that are zero but for rounding. Their digits are noise,
    which differs from machine to machine and between ``ufm`` and its JavaScript twin, so
    the line states the bound, which holds on every machine (``"below 1e-12"``)."""
    value = float(value)
    return format(value, spec) if value >= level else f"below {level:.0e}"


def slider(kind, value, minimum, maximum, step, description, **extra):
    """An ipywidgets slider of class ``kind`` that reports only released values."""
    return kind(
        value=value,
        min=minimum,
        max=maximum,
        step=step,
        description=description,
        continuous_update=False,
        style={"description_width": "initial"},
        **extra,
    )


def log_slider(value, low, high, description):
    """A slider on a log scale from ``10^low`` to ``10^high`` (quarter decades)."""
    import ipywidgets as widgets

    return slider(
        widgets.FloatLogSlider, value, low, high, 0.25, description, base=10, readout_format=".1e"
    )
