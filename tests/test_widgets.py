"""Every live experiment, driven over the corners of its controls: no traceback, no NaN plot.

The settings visited for each registered explorer are: all controls at their defaults,
each control alone at each of its extreme values, and all controls at their maxima.
(All 2^k combinations would multiply the suite's time for little more coverage.)
"""

import numpy as np
import pytest
from matplotlib.collections import PathCollection
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
    explorer.set(**defaults)
    assert not explorer.message.startswith("Cannot show"), explorer.message
