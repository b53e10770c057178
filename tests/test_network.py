"""The MLP on scikit-learn's digits and its shipped checkpoints."""

import subprocess
import sys

import numpy as np
import pytest

import ufm
from ufm import network as nw
from ufm import plots

#: A short run: long enough to pass through several checkpoints, short enough for a test.
SHORT = 40


@pytest.fixture(scope="module")
def shipped():
    return nw.load_checkpoints()


@pytest.fixture(scope="module")
def short_run():
    return nw.train_digits(SHORT)


def test_importing_ufm_does_not_import_scikit_learn():
    code = "import sys, ufm, ufm.network; print('sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_short_run_reproduces_the_beginning_of_the_shipped_checkpoints(shipped, short_run):
    """Regenerating with `python -m ufm.network` gives the shipped file: checked on the
    checkpoints of the first SHORT steps (the whole run takes minutes)."""
    assert shipped.setup == nw.DigitsSetup()
    common = np.intersect1d(shipped.steps, short_run.steps)
    assert common.size >= 12
    mine = np.isin(short_run.steps, common)
    theirs = np.isin(shipped.steps, common)
    for name in ("lr", "loss", "train_error", "test_error", "mean_gram"):
        np.testing.assert_allclose(
            getattr(short_run, name)[mine], getattr(shipped, name)[theirs], rtol=1e-7, err_msg=name
        )
    for key in nw.NC_KEYS:
        np.testing.assert_allclose(
            short_run.nc[key][mine], shipped.nc[key][theirs], rtol=1e-7, atol=1e-12, err_msg=key
        )


def test_the_shipped_run_is_the_books_run_and_reaches_zero_training_error(shipped):
    assert shipped.steps[0] == 0 and shipped.steps[-1] == nw.BOOK_STEPS
    np.testing.assert_array_equal(shipped.steps, np.unique(shipped.steps))
    assert shipped.zero_error_from is not None
    after = shipped.steps >= shipped.zero_error_from
    assert not shipped.train_error[after].any()
    assert shipped.train_error[~after].all()


def test_checkpoint_files_are_small():
    for path, _ in nw.shipped_runs().values():
        assert path.stat().st_size < 1_000_000


def test_checkpoint_schedule_of_a_short_run_starts_that_of_a_long_run():
    short, long = nw.checkpoint_schedule(300), nw.checkpoint_schedule(4000)
    np.testing.assert_array_equal(short[:-1], long[: short.size - 1])
    assert short[0] == 0 and short[-1] == 300 and long[-1] == 4000
    assert nw.checkpoint_schedule(1).tolist() == [0, 1]


def test_save_and_load_round_trip(tmp_path, short_run):
    path = nw.save_checkpoints(short_run, tmp_path / "run.npz")
    back = nw.load_checkpoints(path)
    assert back.setup == short_run.setup
    np.testing.assert_array_equal(back.steps, short_run.steps)
    np.testing.assert_array_equal(back.mean_gram, short_run.mean_gram)
    for key in nw.NC_KEYS:
        np.testing.assert_array_equal(back.nc[key], short_run.nc[key])
    assert (back.zero_error_step, back.zero_error_from) == (
        short_run.zero_error_step,
        short_run.zero_error_from,
    )


def test_regeneration_command_writes_the_shipped_files(tmp_path):
    nw.main(["--steps", "3", "--out-dir", str(tmp_path)])
    for path, setup in nw.shipped_runs().values():
        run = nw.load_checkpoints(tmp_path / path.name)
        assert run.steps.tolist() == [0, 1, 2, 3] and run.setup == setup


def test_the_run_without_weight_decay_reproduces_its_shipped_beginning():
    path, setup = nw.shipped_runs()["no_decay"]
    shipped = nw.load_checkpoints(path)
    assert shipped.setup == setup and shipped.setup.weight_decay == 0
    short = nw.train_digits(16, setup)
    common = np.isin(shipped.steps, short.steps)
    np.testing.assert_allclose(short.loss, shipped.loss[common], rtol=1e-7)
    np.testing.assert_allclose(short.nc["nc1"], shipped.nc["nc1"][common], rtol=1e-7)


def test_a_missing_file_says_how_to_regenerate_it(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"python -m ufm.network"):
        nw.load_checkpoints(tmp_path / "missing.npz")


def test_the_split_is_stratified_standardised_and_reproducible():
    X, y, X_test, y_test = nw.load_digits_split()
    assert X.shape[0] == 64 and X.shape[1] + X_test.shape[1] == 1797
    counts, test_counts = np.bincount(y), np.bincount(y_test)
    np.testing.assert_allclose(test_counts / (counts + test_counts), 0.25, atol=0.01)
    np.testing.assert_allclose(X.mean(axis=1), 0.0, atol=1e-12)
    again = nw.load_digits_split()
    assert all(np.array_equal(a, b) for a, b in zip((X, y, X_test, y_test), again))


def test_backpropagation_matches_finite_differences():
    setup = nw.DigitsSetup(width=5, depth=3, p=4)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((6, 7))
    Y = np.eye(3)[:, rng.integers(0, 3, 7)]
    params = nw._init_params(setup, 6, 3)
    for q in params:
        q += 0.1 * rng.standard_normal(q.shape)  # nonzero biases, no ReLU kinks at 0

    def loss(ps):
        out = nw._forward(ps, X, setup.depth)[1]
        return np.sum((out - Y) ** 2) / (2 * X.shape[1])

    layers, out = nw._forward(params, X, setup.depth)
    grads = nw._backward(params, layers, out, Y, setup.depth)
    h = 1e-6
    for q, g in zip(params, grads):
        assert g.shape == q.shape
        for idx in np.ndindex(q.shape):
            old = q[idx]
            q[idx] = old + h
            plus = loss(params)
            q[idx] = old - h
            minus = loss(params)
            q[idx] = old
            assert np.isclose(g[idx], (plus - minus) / (2 * h), rtol=1e-5, atol=1e-8)


def test_features_are_the_last_relu_layer_and_recorded_measures_are_nc_metrics(short_run):
    assert short_run.features.shape == (64, short_run.labels.size)
    assert (short_run.features >= 0).all()
    again = ufm.nc_metrics(short_run.features, short_run.labels, short_run.W, short_run.b)
    for key in nw.NC_KEYS:
        assert again[key] == short_run.nc[key][-1]


def test_triangle_of_a_simplex_is_equilateral_with_the_first_class_on_top():
    _, W, _ = ufm.strong_collapse(10, 1, 12, seed=3)
    # Adding 5 to every entry of the Gram matrix moves all means by a common vector.
    coords = nw.triangle(W @ W.T + 5.0, classes=(4, 7, 1))
    sides = np.linalg.norm(coords - np.roll(coords, 1, axis=0), axis=1)
    np.testing.assert_allclose(sides, np.sqrt(3), rtol=1e-12)
    np.testing.assert_allclose(coords[0], [0, 1], atol=1e-12)
    assert coords[1, 0] < 0 < coords[2, 0]


def test_triangle_keeps_pairwise_distances_up_to_scale():
    rng = np.random.default_rng(2)
    means = rng.standard_normal((5, 4))
    coords = nw.triangle(means.T @ means, classes=(0, 2, 3))
    chosen = means[:, [0, 2, 3]]
    d_true = [np.linalg.norm(chosen[:, i] - chosen[:, j]) for i, j in ((0, 1), (1, 2), (0, 2))]
    d_plane = [np.linalg.norm(coords[i] - coords[j]) for i, j in ((0, 1), (1, 2), (0, 2))]
    np.testing.assert_allclose(np.array(d_plane) / np.array(d_true), d_plane[0] / d_true[0])


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"width": 0}, ValueError, r"width must be an integer >= 1; got 0"),
        ({"lr": -1.0}, ValueError, r"lr must be a finite number > 0"),
        ({"momentum": 1.0}, ValueError, r"momentum must be in \[0, 1\); got 1.0"),
        ({"weight_decay": -0.1}, ValueError, r"weight_decay must be a finite number >= 0"),
        ({"test_fraction": 0.0}, ValueError, r"test_fraction must be in \(0, 1\)"),
        ({"momentum": "high"}, TypeError, r"momentum must be a real number"),
        ({"seed": -3}, ValueError, r"seed must be an integer >= 0"),
    ],
)
def test_setup_refuses_bad_hyper_parameters(kwargs, error, message):
    with pytest.raises(error, match=message):
        nw.DigitsSetup(**kwargs)


def test_training_refuses_bad_arguments():
    with pytest.raises(ValueError, match=r"steps must be an integer >= 1; got 0"):
        nw.train_digits(0)
    with pytest.raises(TypeError, match=r"setup must be a DigitsSetup"):
        nw.train_digits(5, setup={"width": 3})


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((np.eye(4), (0, 1)), r"classes must be 3 different classes in 0, …, 3"),
        ((np.eye(4), (0, 1, 1)), r"classes must be 3 different classes"),
        ((np.eye(4), (0, 1, 4)), r"classes must be 3 different classes"),
        ((np.ones((4, 3)), (0, 1, 2)), r"mean_gram has shape \(4, 3\); expected square"),
        ((np.ones((4, 4)), (0, 1, 2)), r"the three class means coincide"),
    ],
)
def test_triangle_refuses_bad_input(args, message):
    with pytest.raises(ValueError, match=message):
        nw.triangle(*args)


def test_figures_are_white_agg_figures_of_the_book_size(shipped):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    for fig, size in (
        (plots.nc_figure(shipped), (plots.WIDTH, 9.0)),
        (plots.triangle_figure(shipped), (plots.WIDTH, 5.8)),
    ):
        assert isinstance(fig.canvas, FigureCanvasAgg)
        assert fig.get_facecolor() == (1.0, 1.0, 1.0, 1.0)
        assert tuple(fig.get_size_inches()) == size
