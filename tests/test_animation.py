"""Precomputed views (ufm.animation): what they embed, and that they embed nothing remote.

How the controls behave in a browser is checked in tests/test_browser.py.
"""

import base64
import importlib.resources
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

import ufm
from ufm import animation, plots

DATA_URI = re.compile(r"data:image/png;base64,[A-Za-z0-9+/=]+")


def line_figure(facecolor="white"):
    fig = Figure(figsize=(3, 2), facecolor=facecolor)
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    (line,) = ax.plot([0, 1], [0, 0])
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 4)
    return fig, line


def decode(uri):
    return Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))


def frames_of(view):
    """The frames of a player, in order, as data URIs (the shown one comes from the img)."""
    shown = re.search(r'<img class="ufm-player-frame" src="([^"]+)"', view.html).group(1)
    stored = json.loads(
        re.search(r"var frames = (\[.*?\]), captions", view.html).group(1).replace("<\\/", "</")
    )
    return [shown if uri is None else uri for uri in stored]


def captions_of(view):
    return json.loads(re.search(r"captions = (\[.*?\]);", view.html).group(1))


def test_png_frame_is_an_opaque_palette_png_of_the_figure_size_even_if_the_figure_is_transparent():
    fig, _ = line_figure(facecolor="none")
    image = Image.open(io.BytesIO(animation.png_frame(fig, dpi=50, colors=16)))
    assert image.format == "PNG" and image.mode == "P"
    assert image.size == (150, 100)
    rgba = np.asarray(image.convert("RGBA"))
    assert (rgba[..., 3] == 255).all()
    assert (rgba[0, 0, :3] == 255).all(), "the transparent background must become white"
    assert fig.dpi == 100, "the figure's own dpi is left as it was"


@pytest.mark.parametrize("colors", [1, 257, 2.5])
def test_png_frame_rejects_a_palette_size_outside_2_to_256(colors):
    fig, _ = line_figure()
    with pytest.raises((ValueError, TypeError), match="colors"):
        animation.png_frame(fig, colors=colors)


def test_player_shows_the_last_frame_first_and_stores_each_frame_once():
    pngs = [animation.png_frame(line_figure()[0], dpi=20 + i) for i in range(3)]
    view = animation.player(pngs, ["a", "b", "c"], alt="three frames")
    uris = [animation._data_uri(png) for png in pngs]
    assert frames_of(view) == uris
    for uri in uris:
        assert view.html.count(uri) == 1
    assert re.search(r'<img class="ufm-player-frame" src="([^"]+)"', view.html).group(1) == uris[2]
    assert 'alt="three frames"' in view.html
    assert view.size == len(view.html.encode()) and view._repr_html_() == view.html


def test_player_has_play_step_and_scrub_controls():
    pngs = [animation.png_frame(line_figure()[0]) for _ in range(4)]
    view = animation.player(pngs, list("abcd"), alt="x", start=1)
    for action in ("first", "back", "play", "next", "last"):
        assert f'data-action="{action}"' in view.html
    assert re.search(r'type="range"[^>]*min="0" max="3" step="1" value="1"', view.html)
    assert '<span class="ufm-player-caption" style="margin-left:0.6em">b</span>' in view.html


@pytest.mark.parametrize(
    "frames, captions, alt, match",
    [
        ([], [], "x", "frames is empty"),
        ([animation.PNG_SIGNATURE], ["a", "b"], "x", "captions must be a sequence of 1"),
        ([animation.PNG_SIGNATURE], [1], "x", "captions must be a sequence of 1 strings"),
        ([animation.PNG_SIGNATURE], None, "x", "captions must be a sequence"),
        ([animation.PNG_SIGNATURE], ["a"], " ", "alt must be a non-empty string"),
        (["not bytes"], ["a"], "x", "frames must be a sequence of PNG images"),
        ([b"not a png"], ["a"], "x", "frames must be a sequence of PNG images"),
        (None, ["a"], "x", "frames must be a sequence of PNG images"),
    ],
)
def test_player_rejects_bad_input_with_a_message_naming_it(frames, captions, alt, match):
    with pytest.raises((ValueError, TypeError), match=match):
        animation.player(frames, captions, alt)


def test_captions_and_alt_text_are_escaped_so_they_cannot_break_the_page():
    view = animation.player([animation.png_frame(line_figure()[0])], ["</script>"], alt='"<b>')
    assert "</script>" not in view.html.replace("})();</script>", "")
    assert 'alt="&quot;&lt;b&gt;"' in view.html


@pytest.mark.parametrize("blit", [False, True])
def test_animate_draws_every_frame_and_leaves_the_figure_as_it_found_it(blit):
    fig, line = line_figure()
    layout = fig.get_layout_engine()
    drawn = []

    def draw(i):
        drawn.append(i)
        line.set_ydata([i, i])

    view = animation.animate(
        fig,
        draw,
        4,
        [f"y = {i}" for i in range(4)],
        "a line rising",
        animated=[line] if blit else [],
    )
    assert drawn == [0, 1, 2, 3]
    frames = frames_of(view)
    assert len(frames) == 4 and len(set(frames)) == 4, "each frame shows a different line"
    assert captions_of(view) == ["y = 0", "y = 1", "y = 2", "y = 3"]
    assert fig.dpi == 100 and fig.get_layout_engine() is layout
    assert not line.get_animated()


def test_blitted_frames_match_fully_redrawn_frames_when_only_the_animated_artist_changes():
    def frames(blit):
        fig, line = line_figure()
        view = animation.animate(
            fig,
            lambda i: line.set_ydata([i + 0.5, i + 1.5]),
            3,
            ["a", "b", "c"],
            "x",
            animated=[line] if blit else [],
        )
        return [np.asarray(decode(uri).convert("RGB"), dtype=int) for uri in frames_of(view)]

    for fast, full in zip(frames(True), frames(False)):
        differ = np.abs(fast - full).max(axis=2) > 48
        assert differ.mean() < 1e-3, "the same picture, up to the palette and a few edge pixels"


def test_animate_descent_has_a_frame_per_snapshot_and_ends_at_the_last_step():
    view = animation.animate_descent(steps=200, frames=6)
    captions = captions_of(view)
    assert captions[0] == "iteration 0 of 200" and captions[-1] == "iteration 200 of 200"
    assert len(frames_of(view)) == len(captions) >= 5
    image = decode(frames_of(view)[-1])
    assert image.size == (800, 264), "three panels, 10 x 3.3 inches at 80 dpi"
    assert "plane of the simplex" in view.html


def test_animate_descent_says_when_descent_diverged_and_draws_two_panels_without_C_3():
    view = animation.animate_descent(C=2, N=2, p=3, eps=0.1, lr=4.0, steps=300, frames=5)
    assert "diverged at step" in captions_of(view)[-1]
    assert decode(frames_of(view)[0]).size == (640, 264), "two panels, 8 x 3.3 inches"
    assert "plane of the simplex" not in view.html


def image_view(text):
    fig, _ = line_figure()
    fig.suptitle(text)
    return animation.image_view(animation.png_frame(fig, dpi=20), f"a figure saying {text}")


def test_switchable_shows_the_selected_view_and_hides_the_others():
    view = animation.switchable(
        {"ε = 0.1": image_view("a"), "ε = 0.01": image_view("b")},
        legend="size of the random start",
        selected="ε = 0.01",
    )
    panels = re.findall(r'<div class="ufm-switch-view" data-index="(\d)"( hidden)?>', view.html)
    assert panels == [("0", " hidden"), ("1", "")]
    assert re.search(r'value="1" checked> ε = 0.01</label>', view.html)
    assert "<legend" in view.html and "size of the random start" in view.html


def test_switchable_can_hold_animations():
    player = animation.player([animation.png_frame(line_figure()[0])], ["only"], alt="x")
    view = animation.switchable({"one": player, "two": image_view("b")}, legend="choice")
    assert view.html.count('class="ufm-player"') == 1


@pytest.mark.parametrize(
    "views, selected, match",
    [
        ({}, None, "non-empty mapping"),
        ({"a": b"png"}, None, "expected a StaticView"),
        ({"a": animation.StaticView("<p>a</p>")}, "b", "selected is 'b'"),
    ],
)
def test_switchable_rejects_bad_input_with_a_message_naming_it(views, selected, match):
    with pytest.raises((ValueError, TypeError), match=match):
        animation.switchable(views, legend="choice", selected=selected)


def test_explorer_switch_has_a_view_per_value_with_the_explorer_alt_text():
    pytest.importorskip("ipywidgets")
    view = animation.explorer_switch(
        "model.descent", "eps", [1e-1, 1e-3], "size of the random start", "ε = {:g}"
    )
    assert view.html.count('class="ufm-switch-view"') == 2
    assert "ε = 0.1" in view.html and "ε = 0.001" in view.html
    alts = re.findall(r'<img src="data:[^"]+" alt="([^"]+)"', view.html)
    assert len(alts) == 2 and all(a.endswith(("ε = 0.1.", "ε = 0.001.")) for a in alts)
    assert alts[0].startswith("Three panels.")


@pytest.mark.parametrize(
    "name, control, match",
    [("no.such", "eps", "no explorer named 'no.such'"), ("model.descent", "rank", "no control")],
)
def test_explorer_switch_names_what_does_not_exist(name, control, match):
    pytest.importorskip("ipywidgets")
    with pytest.raises(ValueError, match=match):
        animation.explorer_switch(name, control, [1], "legend")


def test_views_load_nothing_from_another_host():
    view = animation.switchable(
        {"a": animation.animate_descent(steps=50, frames=3), "b": image_view("b")}, legend="x"
    )
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', view.html)
    assert "<link" not in view.html
    images = DATA_URI.findall(view.html)
    assert images, "the images are embedded"


@pytest.mark.parametrize("name", ["player.js", "switch.js"])
def test_the_scripts_are_package_data_inlined_whole_into_the_views(name):
    shipped = importlib.resources.files("ufm").joinpath("js", name)
    assert shipped.is_file()
    pyproject = (Path(__file__).parents[1] / "pyproject.toml").read_text(encoding="utf-8")
    data = re.search(r"\[tool\.setuptools\.package-data\]\s*ufm = \[([^\]]*)\]", pyproject)
    assert '"js/*.js"' in data.group(1)
    text = shipped.read_text(encoding="utf-8")
    assert animation.script_text(name) == text
    assert "</" not in text and "<!--" not in text, "the text must not end its <script>"
    player = animation.player([animation.png_frame(line_figure()[0])], ["a"], alt="x")
    view = player if name == "player.js" else animation.switchable({"a": player}, legend="x")
    assert view.html.count(text) == 1
    scripts = re.findall(r"<script>(.*?)</script>", view.html, flags=re.S)
    assert len(scripts) == (1 if name == "player.js" else 2)


def test_each_view_runs_its_script_on_its_own_element_once():
    player = animation.player([animation.png_frame(line_figure()[0])] * 2, ["a", "b"], alt="x")
    element = re.search(r'<div class="ufm-player" id="([^"]+)"', player.html).group(1)
    assert f'ufmPlayer(document.getElementById("{element}"), frames, captions, 1, 150);' in (
        player.html
    )
    switch = animation.switchable({"a": player}, legend="x")
    element = re.search(r'<div class="ufm-switch" id="([^"]+)"', switch.html).group(1)
    assert f'ufmSwitch(document.getElementById("{element}"));' in switch.html
    assert 'root.getAttribute("data-ready")' in animation.script_text("player.js")
    assert 'root.getAttribute("data-ready")' in animation.script_text("switch.js")


def test_the_animation_draws_the_panels_of_the_live_experiment(monkeypatch):
    pytest.importorskip("ipywidgets")
    from ufm.widgets import model

    made = []
    original = plots.descent_panels

    def recorded(*args, **kwargs):
        made.append(original(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(plots, "descent_panels", recorded)
    animation.animate_descent(steps=200, frames=4)
    model.descent_explorer()
    replay, live = made
    trajectory = ufm.gradient_descent(*ufm.random_init(3, 3, 15, 1e-2, seed=0), lr=1.0, steps=200)
    for panels in made:
        panels.fit(trajectory, 200)

    def looks(panels):
        return [
            (
                ax.get_title(),
                ax.get_xlabel(),
                ax.get_xscale(),
                ax.get_yscale(),
                ax.get_xlim(),
                ax.get_ylim(),
                [t.get_text() for t in ax.get_legend().get_texts()],
            )
            for ax in (panels.errors, panels.risk)
        ] + [line.get_color() for line in panels.curves]

    assert looks(replay) == looks(live)
    assert replay.plane is not None and live.plane is not None
