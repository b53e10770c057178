"""The book's figures: right panels, one curve per ε, white background, valid input only."""

import numpy as np
import pytest
from matplotlib.figure import Figure

import ufm
from ufm import experiments as ex
from ufm import plots


@pytest.fixture(scope="module")
def sweep():
    return ex.eps_sweep(3, 3, 6, [0.1, 0.01, 0.001], [0, 1], steps=400, record_every=20)


def is_white(fig):
    return fig.get_facecolor() == (1.0, 1.0, 1.0, 1.0)


def test_figure1_has_one_log_panel_per_error_and_one_curve_per_eps(sweep):
    fig = plots.figure1(sweep.steps, sweep.errors[:, 0], sweep.eps)
    assert isinstance(fig, Figure) and is_white(fig) and len(fig.axes) == 3
    for j, ax in enumerate(fig.axes):
        assert ax.get_yscale() == "log" and len(ax.lines) == 3
        np.testing.assert_array_equal(ax.lines[1].get_ydata(), sweep.errors[1, 0, :, j])


def test_figure2_draws_the_distance_from_S_per_eps(sweep):
    fig = plots.figure2(sweep.steps, sweep.distance_to_S[:, 0], sweep.eps)
    (ax,) = fig.axes
    curves = [line for line in ax.lines if line.get_linestyle() == "-"]
    assert is_white(fig) and len(curves) == 3
    np.testing.assert_array_equal(curves[2].get_ydata(), sweep.distance_to_S[2, 0])


def test_eps_scaling_states_the_fitted_slopes_in_its_legend(sweep):
    fig = plots.eps_scaling(sweep)
    legend = [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
    slopes = [fit.slope for fit in sweep.fits()]
    assert len(legend) == 4
    for text, slope in zip(legend, slopes):
        assert text.endswith(f"slope {slope:.2f}")


def test_figures_refuse_arrays_of_the_wrong_shape(sweep):
    with pytest.raises(ValueError, match="expected"):
        plots.figure1(sweep.steps, sweep.errors[:, 0], sweep.eps[:2])
    with pytest.raises(ValueError, match="expected"):
        plots.figure2(sweep.steps[:-1], sweep.distance_to_S[:, 0], sweep.eps)
    with pytest.raises(TypeError, match="EpsSweep"):
        plots.eps_scaling(sweep.final)


def test_eps_label_writes_powers_of_ten():
    assert plots.eps_label(1e-3) == r"$\varepsilon = 10^{-3}$"
    assert plots.eps_label(0.03) == r"$\varepsilon = 3\times 10^{-2}$"


def test_plane_view_draws_the_paths_of_the_classifier_rows():
    start = ufm.random_init(3, 2, 5, 0.01, seed=0)
    run = ex.descent_with_snapshots(start, 1.0, 300)
    view = ex.simplex_plane(run.W, run.class_means, 2)
    fig = plots.plane_view(view)
    ax = fig.axes[0]
    assert is_white(fig)
    paths = [line for line in ax.lines if line.get_linestyle() == "-"][1:]
    np.testing.assert_array_equal(paths[0].get_xdata(), view.W[:, 0, 0])
    with pytest.raises(ValueError, match="classes"):
        plots.update_plane(ax, plots.plane_artists(ax, 4), view)


def test_png_is_a_png_image(sweep):
    data = plots.png(plots.figure2(sweep.steps, sweep.distance_to_S[:, 0], sweep.eps))
    assert data.startswith(b"\x89PNG")
