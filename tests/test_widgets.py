"""Every live experiment, driven over the corners of its controls: no traceback, no NaN plot.

The settings visited for each registered explorer are: all controls at their defaults,
each control alone at each of its extreme values, all controls at their maxima, and (a
property test) combinations in which every control is at its minimum, its default or its
maximum, drawn by hypothesis, where no warning may be emitted. (All 3^k combinations would multiply
the suite's time for little more coverage.)
"""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.collections import PathCollection
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.lines import Line2D

import ufm.widgets as uw


def settings_to_visit(spec):
    yield {}
    for name, values in spec.corners.items():
        for value in values:
            yield {name: value}
    yield dict(spec.maxima)


def has_a_nan_plot(fig):
    """True if a visible axes draws only lines and markers with no finite point."""
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        artists = [a for a in ax.get_children() if isinstance(a, (Line2D, PathCollection))]
        data = []
        for a in artists:
            if not a.get_visible():
                continue
            if isinstance(a, Line2D):
                data.append(np.asarray(a.get_ydata(), dtype=float))
            else:
                data.append(np.asarray(a.get_offsets(), dtype=float).ravel())
        if data and not any(np.isfinite(d).any() for d in data):
            return True
    return False


def test_every_widget_module_is_registered():
    assert uw.REGISTRY, "no explorer is registered; import the chapter modules in ufm.widgets"


def covered_data(fig):
    """Per legend that overlaps its axes: how many points along the data drawn in them it
    covers (vertices, and 20 points along each segment of a line), as drawn last."""
    renderer = fig.canvas.get_renderer()
    out = []
    for i, ax in enumerate(fig.axes):
        legend = ax.get_legend()
        if legend is None or not ax.get_visible():
            continue
        box, frame = legend.get_window_extent(renderer), ax.get_window_extent(renderer)
        if not box.overlaps(frame):
            continue
        points = []
        for line in ax.lines:
            xy = ax.transData.transform(line.get_xydata()) if line.get_visible() else []
            if len(xy) > 1 and line.get_linestyle() not in ("None", "", " "):
                t = np.linspace(0, 1, 20)[:, None, None]
                xy = np.vstack([xy, (xy[:-1] + t * (xy[1:] - xy[:-1])).reshape(-1, 2)])
            points.append(np.reshape(xy, (-1, 2)))
        points += [ax.transData.transform(c.get_offsets()) for c in ax.collections]
        xy = np.vstack(points) if points else np.empty((0, 2))
        inside = (
            (xy[:, 0] >= max(box.x0, frame.x0))
            & (xy[:, 0] <= min(box.x1, frame.x1))
            & (xy[:, 1] >= max(box.y0, frame.y0))
            & (xy[:, 1] <= min(box.y1, frame.y1))
        )
        if inside.any():
            out.append(f"the legend of panel {i} covers {int(inside.sum())} points of its data")
    return out


@pytest.mark.parametrize("name", sorted(uw.REGISTRY))
def test_explorer_callbacks_never_raise_and_never_draw_nan(name):
    spec = uw.REGISTRY[name]
    explorer = spec.factory()
    defaults = explorer.values()
    assert not explorer.message.startswith("Cannot show"), explorer.message
    for setting in settings_to_visit(spec):
        explorer.set(**{**defaults, **setting})
        assert "Traceback" not in explorer.message
        assert "nan" not in explorer.message.lower(), (setting, explorer.message)
        assert not has_a_nan_plot(explorer.figure), (setting, explorer.message)
        # the data reach every corner of the axes at some setting: no legend covers them
        assert not covered_data(explorer.figure), (setting, covered_data(explorer.figure))
    explorer.set(**defaults)
    assert not explorer.message.startswith("Cannot show"), explorer.message


@pytest.mark.parametrize("name", sorted(uw.REGISTRY))
def test_explorers_at_combinations_of_extremes_show_a_message_or_a_valid_figure(name):
    spec = uw.REGISTRY[name]
    explorer = spec.factory()
    defaults = explorer.values()
    choices = {key: [*values, defaults[key]] for key, values in spec.corners.items()}

    @settings(max_examples=5, deadline=None)
    @given(st.fixed_dictionaries({key: st.sampled_from(v) for key, v in choices.items()}))
    def visit(setting):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            explorer.set(**{**defaults, **setting})
        assert not caught, (setting, [str(w.message) for w in caught])
        assert "Traceback" not in explorer.message
        assert "nan" not in explorer.message.lower(), (setting, explorer.message)
        assert not has_a_nan_plot(explorer.figure), (setting, explorer.message)

    visit()


#: Every explorer with these controls reaches at least these values (ε: at most 1e-6).
REACH = {"C": 10, "N": 1000, "p": 64, "steps": 20000}


def slider_range(control):
    """``(min, max)`` of a numeric slider in its own units, or None for other controls."""
    if type(control).__name__ == "FloatLogSlider":
        return control.base**control.min, control.base**control.max
    if hasattr(control, "min") and hasattr(control, "max"):
        return control.min, control.max
    return None


@pytest.mark.parametrize("name", sorted(uw.REGISTRY))
def test_sliders_reach_far_enough_and_corners_are_their_extremes(name):
    spec = uw.REGISTRY[name]
    explorer = spec.factory()
    for key, control in explorer.controls.items():
        bounds = slider_range(control)
        if bounds is None:
            continue
        assert key in spec.corners, f"{key} has no corners"
        np.testing.assert_allclose(spec.corners[key], bounds, rtol=1e-12, err_msg=key)
        if key in REACH:
            assert bounds[1] >= REACH[key], (key, bounds)
        if key == "eps":
            assert bounds[0] <= 1e-6 * (1 + 1e-12), bounds
        if key in spec.maxima:
            assert bounds[0] <= spec.maxima[key] <= bounds[1], (key, spec.maxima[key])


def test_explorer_image_is_the_drawn_canvas():
    from io import BytesIO

    from PIL import Image

    explorer = uw.REGISTRY["results.convergence"].factory()
    explorer.set(C=4)
    png = explorer.png()
    pixels = np.asarray(Image.open(BytesIO(png)).convert("RGB"))
    drawn = np.asarray(explorer.figure.canvas.buffer_rgba())[..., :3]
    np.testing.assert_array_equal(pixels, drawn)


def test_a_displayed_explorer_is_one_output_with_a_widget_view_and_a_static_form():
    import json
    import re

    explorer = uw.REGISTRY["limits.narrow"].factory()
    bundle = explorer._repr_mimebundle_()
    assert "model_id" in bundle["application/vnd.jupyter.widget-view+json"]
    page = bundle["text/html"]
    assert 'data-ufm-explorer="limits.narrow"' in page
    assert page.count("data-ufm-summary") == 1
    spec = json.loads(re.search(r'class="ufm-spec">(.*?)</script>', page).group(1))
    controls = {c["name"]: c for c in spec["controls"]}
    assert list(controls) == list(explorer.controls)
    for name, widget in explorer.controls.items():
        assert controls[name]["value"] == widget.value
        assert (controls[name]["min"], controls[name]["max"]) == (widget.min, widget.max)
    # Moving a control in the notebook redraws the view's image, not a new output.
    before = explorer._image.value
    explorer.set(C=6)
    assert explorer._image.value != before


def test_frozen_layout_keeps_axes_titles_and_labels_in_place():
    explorer = uw.REGISTRY["model.descent"].factory()
    fig = explorer.figure
    renderer = fig.canvas.get_renderer()
    before = [
        (ax.get_position().bounds, ax.title.get_window_extent(renderer).bounds) for ax in fig.axes
    ]
    labels = [ax.xaxis.label.get_window_extent(renderer).bounds for ax in fig.axes]
    explorer.set(C=5, steps=300)
    explorer.set(C=3, steps=4000)
    after = [
        (ax.get_position().bounds, ax.title.get_window_extent(renderer).bounds) for ax in fig.axes
    ]
    assert not isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine)
    assert [b[0] for b in before] == [a[0] for a in after]
    np.testing.assert_allclose([b[1][1] for b in before], [a[1][1] for a in after], atol=0.5)
    np.testing.assert_allclose(
        labels, [ax.xaxis.label.get_window_extent(renderer).bounds for ax in fig.axes], atol=0.5
    )
