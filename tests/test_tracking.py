"""NCTracker: the NC measures of a training run, every few epochs, in either layout."""

import numpy as np
import pytest
from matplotlib.figure import Figure

import ufm
from ufm import plots


def features_of(epoch, C=3, N=20, p=5, seed=0):
    """Features that collapse as the epochs go by: class means plus shrinking noise."""
    rng = np.random.default_rng(seed)
    means = rng.standard_normal((p, C)) * 3
    noise = rng.standard_normal((p, C * N)) / (1 + epoch) ** 2
    labels = np.repeat(np.arange(C), N)
    return means[:, labels] + noise, labels, means.T - means.T.mean(axis=0)


def test_a_tracker_records_on_its_epochs_what_nc_metrics_gives():
    tracker = ufm.NCTracker(every=3, layout="samples_by_features")
    due = [epoch for epoch in range(10) if tracker.due(epoch)]
    assert due == [0, 3, 6, 9]
    for epoch in due:
        H, y, W = features_of(epoch)
        got = tracker.record(epoch, H.T, y, W, np.zeros(3))  # (n, p), as PyTorch gives them
        assert got == ufm.nc_metrics(H, y, W, np.zeros(3))
    history = tracker.history()
    assert list(history["epoch"]) == due and len(tracker) == 4
    assert np.all(np.diff(history["nc1"]) < 0)  # the features collapse
    other = ufm.NCTracker(layout="features_by_samples")
    H, y, W = features_of(2)
    other.record(2, H, y, W)
    assert other.history()["nc1"][0] == ufm.nc_metrics(H, y, W)["nc1"]


def test_tensors_are_read_without_a_framework():
    class Tensor:  # what torch gives: .detach().cpu().numpy()
        def __init__(self, array):
            self.array = array

        def detach(self):
            return self

        def cpu(self):
            return self

        def numpy(self):
            return self.array

    H, y, W = features_of(1)
    tracker = ufm.NCTracker(layout="samples_by_features")
    got = tracker.record(0, Tensor(H.T), Tensor(y), Tensor(W))
    assert got == ufm.nc_metrics(H, y, W)


def test_history_marks_missing_measures_and_accepts_accumulated_ones():
    tracker = ufm.NCTracker(layout="features_by_samples", variants=True)
    H, y, W = features_of(0)
    tracker.record(0, H, y)  # without W: no nc3, nc4
    tracker.record(1, *features_of(1))
    acc = ufm.NCAccumulator(C=3, p=5, layout="features_by_samples")
    H2, y2, W2 = features_of(2)
    acc.update(H2, y2)
    tracker.add(2, acc.metrics(W2))
    history = tracker.history()
    assert np.isnan(history["nc3"][0]) and np.isfinite(history["nc3"][1:]).all()
    assert "nc1_cdnv" in history
    fig = tracker.figure()
    assert isinstance(fig, Figure) and len(fig.axes) == 4


@pytest.mark.parametrize(
    "make, error, name",
    [
        (lambda: ufm.NCTracker(every=0, layout="samples_by_features"), ValueError, "every"),
        (lambda: ufm.NCTracker(layout="rows"), ValueError, "layout"),
        (lambda: ufm.NCTracker(layout="samples_by_features", variants=1), TypeError, "variants"),
    ],
)
def test_bad_settings_are_refused_naming_the_argument(make, error, name):
    with pytest.raises(error, match=rf"^{name}\b"):
        make()


def test_bad_records_are_refused_naming_the_argument():
    tracker = ufm.NCTracker(layout="features_by_samples")
    H, y, W = features_of(0)
    tracker.record(5, H, y, W)
    with pytest.raises(ValueError, match="^epoch must increase"):
        tracker.record(5, H, y, W)
    with pytest.raises(ValueError, match="^epoch"):
        tracker.due(-1)
    with pytest.raises(ValueError, match="^features"):
        tracker.record(6, H[0], y, W)
    with pytest.raises(TypeError, match="^metrics"):
        tracker.add(7, [0.1])
    with pytest.raises(ValueError, match="^history has no records"):
        plots.nc_history({"epoch": []})
