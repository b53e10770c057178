"""The book's figures: right panels, one curve per ε, white background, valid input only."""

import io

import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

import ufm
from ufm import experiments as ex
from ufm import network, plots
from ufm.experiments.discussion import imbalance_sweep


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
    (figure_legend,) = fig.legends
    legend = [text.get_text() for text in figure_legend.get_texts()]
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


def test_png_records_the_smallest_font_size_and_the_resolution():
    fig, ax = plots.figure(4.0, 3.0)
    ax.plot([0, 1], label="a line")
    ax.legend(fontsize="small")  # 10 pt * 0.833
    picture = Image.open(io.BytesIO(plots.png(fig, dpi=150)))
    assert float(picture.text[plots.TEXT_SIZE_KEY]) == pytest.approx(8.33, abs=0.01)
    assert picture.size == (600, 450) and picture.info["dpi"][0] == pytest.approx(150, abs=0.1)


def test_image_is_shown_at_half_its_resolution_in_jupyter():
    from IPython.core.formatters import DisplayFormatter

    fig, _ = plots.figure(plots.WIDTH, 3.0)
    shown = plots.image(fig)
    data, metadata = DisplayFormatter().format(shown)
    assert metadata == {"image/png": {"width": 520}}
    assert Image.open(io.BytesIO(shown.data)).size == (1040, 600)
    assert len(data["text/plain"]) < 40, "the plain-text form leaves the PNG out"


def book_figures(sweep, run):
    """The figures of the book's pages, with their names."""
    steps, eps = sweep.steps, sweep.eps
    history = {"epoch": run.steps, **{key: run.nc[key] for key in plots.NC_CURVES}}
    imbalance = [imbalance_sweep(loss=loss, steps=200) for loss in ("cross_entropy", "squared")]
    return {
        "figure1": plots.figure1(steps, sweep.errors[:, 0], eps),
        "figure2": plots.figure2(steps, sweep.distance_to_S[:, 0], eps),
        "eps_scaling": plots.eps_scaling(sweep),
        "nc_figure": plots.nc_figure(run, live=run, other=run),
        "nc_history": plots.nc_history(history),
        "triangle_figure": plots.triangle_figure(run),
        "imbalance_figure": plots.imbalance_figure(imbalance),
    }


@pytest.fixture(scope="module")
def figures(sweep):
    return book_figures(sweep, network.load_checkpoints())


FIGURES = [
    "figure1",
    "figure2",
    "eps_scaling",
    "nc_figure",
    "nc_history",
    "triangle_figure",
    "imbalance_figure",
]


@pytest.mark.parametrize("name", FIGURES)
def test_book_figures_are_of_the_book_width_with_no_text_below_10_pt(figures, name):
    """At 342 px, the column of a phone, such a figure's smallest text is 9 CSS px high."""
    fig = figures[name]
    assert fig.get_figwidth() == plots.WIDTH
    assert plots.smallest_text(fig) >= plots.SMALLEST_TEXT
    assert plots.SMALLEST_TEXT * 342 / (72 * plots.WIDTH) >= 9


def data_points(ax):
    """Every drawn point of the lines and markers of ``ax``, in display coordinates."""
    points = [line.get_xydata() for line in ax.lines if line.get_visible()]
    points += [c.get_offsets() for c in ax.collections if c.get_visible()]
    points = [p for p in points if len(p)]
    return ax.transData.transform(np.vstack(points)) if points else np.empty((0, 2))


def legends(fig):
    return [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend())]


@pytest.mark.parametrize("name", FIGURES)
def test_no_legend_of_a_book_figure_covers_its_data(figures, name):
    fig = figures[name]
    renderer = fig.canvas.get_renderer()
    fig.canvas.draw()
    boxes = [legend.get_window_extent(renderer) for legend in legends(fig)]
    assert boxes, "the figure has a legend"
    for ax in fig.axes:
        frame = ax.get_window_extent(renderer)
        for box in boxes:
            assert not box.overlaps(frame), f"a legend of {name} overlaps the axes"
        assert len(data_points(ax)) > 0


def test_the_legend_of_the_triangles_stays_clear_of_them(figures):
    """The bug of issue #13: the legend sat over the bottom of the triangles."""
    fig = figures["triangle_figure"]
    renderer = fig.canvas.get_renderer()
    fig.canvas.draw()
    (ax,) = fig.axes
    (legend,) = legends(fig)
    box = legend.get_window_extent(renderer)
    triangles = [line.get_window_extent(renderer) for line in ax.lines]
    assert triangles
    for triangle in triangles:
        assert not box.overlaps(triangle)
        assert box.y1 < triangle.y0, "the legend is below the triangles"


def test_figure_without_subplot_arguments_has_one_axes_on_an_agg_canvas():
    from matplotlib.axes import Axes
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig, ax = plots.figure(4.0, 3.0)
    assert isinstance(ax, Axes) and fig.axes == [ax]
    assert isinstance(fig.canvas, FigureCanvasAgg) and is_white(fig)
    assert tuple(fig.get_size_inches()) == (4.0, 3.0)
    _, axes = plots.figure(ncols=3)
    assert axes.shape == (3,)


def test_rescale_gives_a_log_axis_at_least_two_decades():
    _, ax = plots.figure()
    ax.semilogy([0, 1], [1.0, 2.0])
    plots.rescale(ax)
    low, high = ax.get_ylim()
    assert high / low == pytest.approx(100.0)


def test_update_plane_up_to_a_snapshot_keeps_the_limits_of_the_whole_view():
    start = ufm.random_init(3, 2, 5, 0.01, seed=0)
    run = ex.descent_with_snapshots(start, 1.0, 300)
    view = ex.simplex_plane(run.W, run.class_means, 2)
    _, ax = plots.figure()
    artists = plots.plane_artists(ax, 3)
    plots.update_plane(ax, artists, view)
    limits = ax.get_xlim(), ax.get_ylim()
    plots.update_plane(ax, artists, view, upto=1)
    assert (ax.get_xlim(), ax.get_ylim()) == limits
    np.testing.assert_array_equal(artists["paths"][0].get_xdata(), view.W[:2, 0, 0])
    np.testing.assert_array_equal(artists["rows"].get_offsets(), view.W[1])
    with pytest.raises(ValueError, match="upto must be a snapshot index below"):
        plots.update_plane(ax, artists, view, upto=view.W.shape[0])


@pytest.fixture(scope="module")
def descent():
    start = ufm.random_init(3, 3, 15, 1e-2, seed=0)
    return ex.descent_with_snapshots(start, 1.0, 300, ex.snapshot_schedule(300, 6))


def test_descent_panels_draw_errors_risk_and_distance_up_to_the_iteration_asked(descent):
    trajectory = descent.trajectory
    panels = plots.descent_panels(10.0, 3.3, cursors=True)
    panels.fit(trajectory, 300)
    assert [ax.get_title() for ax in panels.figure.axes] == [
        "distance from strong collapse",
        "risk and distance from $S$",
        "the plane of the simplex",
    ]
    labels = [t.get_text() for t in panels.errors.get_legend().get_texts()]
    assert labels == list(plots.ERROR_LABELS)
    assert panels.errors.get_xlim() == (0, 300) and panels.errors.get_yscale() == "log"
    limits = panels.errors.get_ylim(), panels.risk.get_ylim()
    panels.show(trajectory, upto=40)
    errors, risk, distance = panels.curves[0], panels.curves[3], panels.curves[4]
    assert errors.get_xdata().max() <= 40
    np.testing.assert_array_equal(risk.get_ydata(), trajectory.risk[trajectory.steps <= 40])
    np.testing.assert_array_equal(distance.get_xdata(), trajectory.steps[trajectory.steps <= 40])
    assert [list(c.get_xdata()) for c in panels.cursors] == [[40, 40], [40, 40]]
    assert (panels.errors.get_ylim(), panels.risk.get_ylim()) == limits, "show keeps the limits"


def test_descent_panels_name_the_snapshots_of_the_plane_or_hide_it(descent):
    panels = plots.descent_panels(12.5, 3.9)
    view = ex.simplex_plane(descent.W, descent.class_means, 3)
    panels.show_plane(view, steps=descent.snapshot_steps)
    assert panels.plane.get_title() == "the plane of the simplex, steps 0–300"
    assert not panels.plane_note.get_visible()
    panels.hide_plane()
    assert panels.plane_note.get_visible() and not panels.plane_artists["rows"].get_visible()
    assert panels.plane.get_title() == "the plane of the simplex"
    two = plots.descent_panels(8.0, 3.3, plane=False)
    assert two.plane is None and len(two.figure.axes) == 2 and not two.cursors
    with pytest.raises(ValueError, match="no plane"):
        two.show_plane(view)


def test_descent_panels_stop_a_diverging_run_at_the_log_ceiling():
    start = ufm.random_init(2, 2, 3, 0.1, seed=0)
    run = ufm.gradient_descent(*start, lr=4.0, steps=300)
    assert run.diverged_at is not None
    panels = plots.descent_panels(8.0, 3.3, plane=False)
    panels.fit(run, 300)
    for ax in (panels.errors, panels.risk):
        low, high = ax.get_ylim()
        assert high == plots.LOG_CEILING and 0 < low < 1
