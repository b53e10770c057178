"""Neural collapse along a training run: the NC measures every few epochs of any loop.

:class:`NCTracker` records :func:`ufm.nc_metrics` of the last-layer features at the epochs
it is due, with the features in either layout (PyTorch gives batches as ``(n, p)``; pass
tensors as they are: they are read without importing any framework), and gives the history
as arrays and as a figure (:func:`ufm.plots.nc_history`)::

    tracker = ufm.NCTracker(every=5, layout="samples_by_features")
    for epoch in range(epochs):
        train_one_epoch(model)
        if tracker.due(epoch):
            features, labels = last_layer_features(model, train_data)
            tracker.record(epoch, features, labels, model.fc.weight, model.fc.bias)
    tracker.history()["nc1"]          # one value per recorded epoch
    tracker.figure()                  # NC1–NC4 against the epoch

For data larger than memory, measure each epoch with :class:`ufm.NCAccumulator` and pass
its result to :meth:`ufm.NCTracker.add`.
"""

from __future__ import annotations

import numpy as np

from . import _checks
from .collapse import nc_metrics
from .streaming import _layout


class NCTracker:
    """The NC measures of a training run, recorded every ``every`` epochs.

    Parameters
    ----------
    every : int
        Record at the epochs ``0, every, 2 every, …`` (see :meth:`due`).
    layout : {"samples_by_features", "features_by_samples"}
        How :meth:`record` reads features: ``(n, p)`` (PyTorch's batches) or ``(p, n)``
        (the layout of :func:`ufm.nc_metrics`). Never guessed.
    variants : bool
        Also record the variant measures of :func:`ufm.nc_metrics`.
    """

    def __init__(self, every: int = 1, *, layout: str, variants: bool = False):
        self.every = _checks.positive_int(every, "every")
        self.layout = _layout(layout)
        if not isinstance(variants, bool):
            raise TypeError(f"variants must be True or False; got {variants!r}")
        self.variants = variants
        self._epochs: list[int] = []
        self._records: list[dict[str, float]] = []

    def due(self, epoch: int) -> bool:
        """Whether :meth:`record` should run at ``epoch`` (a multiple of ``every``)."""
        return _checks.positive_int(epoch, "epoch", minimum=0) % self.every == 0

    def record(self, epoch: int, features, labels, W=None, b=None) -> dict[str, float]:
        """Measure the features of ``epoch`` (in the tracker's layout) and keep the result.

        ``features``, ``labels``, ``W`` and ``b`` may be numpy arrays or tensors of any
        framework (read with ``.detach().cpu().numpy()`` when they have those methods).

        Returns
        -------
        dict
            What :func:`ufm.nc_metrics` returns for these features.
        """
        features = _checks.as_array(features, "features", 2)
        if self.layout == "samples_by_features":
            features = features.T
        labels = _checks.labels(
            labels,
            "labels",
            features.shape[1],
            f"the samples of features, layout {self.layout!r}",
        )
        metrics = nc_metrics(features, labels, W, b, variants=self.variants)
        self.add(epoch, metrics)
        return metrics

    def add(self, epoch: int, metrics: dict[str, float]) -> None:
        """Keep measures computed elsewhere (for example by :class:`ufm.NCAccumulator`)."""
        epoch = _checks.positive_int(epoch, "epoch", minimum=0)
        if self._epochs and epoch <= self._epochs[-1]:
            raise ValueError(
                f"epoch must increase from one record to the next; got {epoch} after "
                f"{self._epochs[-1]}"
            )
        if not isinstance(metrics, dict) or not all(isinstance(k, str) for k in metrics):
            raise TypeError(f"metrics must be a dict of measures by name; got {metrics!r}")
        self._epochs.append(epoch)
        self._records.append({key: float(value) for key, value in metrics.items()})

    def history(self) -> dict[str, np.ndarray]:
        """``"epoch"`` and one array per measure, in the order recorded; a measure missing
        from a record (``nc3`` without ``W``, say) is NaN there."""
        keys = list(dict.fromkeys(key for record in self._records for key in record))
        out = {"epoch": np.array(self._epochs, dtype=np.int64)}
        for key in keys:
            out[key] = np.array([record.get(key, np.nan) for record in self._records])
        return out

    def figure(self):
        """NC1–NC4 against the epoch (:func:`ufm.plots.nc_history`)."""
        from . import plots

        return plots.nc_history(self.history())

    def __len__(self) -> int:
        return len(self._epochs)
