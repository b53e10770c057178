"""Neural-collapse measures of data larger than memory: one batch at a time.

:class:`NCAccumulator` reads features batch by batch (as a PyTorch ``DataLoader`` gives
them) and keeps, per class, the number of samples and the mean, plus one ``p x p``
within-class scatter summed over the classes. Its memory is ``O(p^2 + C p)`` whatever the
number of samples. From these it gives NC1, NC2 and NC3 (and their variants) exactly as
:func:`ufm.nc_metrics` would on all the data at once. NC4 compares every sample with the
*final* class means, so it needs a second pass over the data:
:meth:`ufm.NCAccumulator.nc4_pass`; :func:`ufm.ncc_mismatch` does the same for held-out
samples, with the training means.

Book: ``def-nc-statistics`` and ``def-nc1`` to ``def-nc4`` (``book/observed.ipynb``).

Example
-------
>>> acc = NCAccumulator(C=10, p=512, layout="samples_by_features")  # doctest: +SKIP
>>> for x, y in loader:                                               # doctest: +SKIP
...     acc.update(model.features(x), y)
>>> out = acc.metrics(W=model.fc.weight, b=model.fc.bias)            # doctest: +SKIP
>>> second = acc.nc4_pass(W=model.fc.weight, b=model.fc.bias)        # doctest: +SKIP
>>> for x, y in loader:                                               # doctest: +SKIP
...     second.update(model.features(x), y)
>>> out["nc4"] = second.result()                                      # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np

from . import _checks
from .collapse import _decisions, _nc1, _nc2, _nc3, _nc_variants

#: The two accepted layouts of a batch of features.
LAYOUTS = ("samples_by_features", "features_by_samples")


def _layout(layout) -> str:
    if not isinstance(layout, str):
        raise TypeError(
            f"layout must be one of {LAYOUTS}; got {layout!r} of type {type(layout).__name__}"
        )
    if layout not in LAYOUTS:
        raise ValueError(
            f"layout must be 'samples_by_features' (batches of shape (n, p), as PyTorch "
            f"gives them) or 'features_by_samples' (shape (p, n), as ufm.nc_metrics takes "
            f"them); got {layout!r}"
        )
    return layout


def _batch(
    features,
    labels,
    layout: str,
    C: int,
    p: int,
    labels_needed: bool = True,
    names: tuple[str, str] = ("features_batch", "labels_batch"),
):
    """A checked batch: features as ``(p, m)`` float64 and labels as ``(m,)`` int64; the
    messages call them by ``names``."""
    X = _checks.as_array(features, names[0], 2, empty=True)
    if layout == "samples_by_features":
        X = X.T
    if X.shape[0] != p:
        by_rows = layout == "samples_by_features"
        shape, axis = (X.shape[::-1], "columns") if by_rows else (X.shape, "rows")
        raise ValueError(
            f"{names[0]} has shape {shape}, so {X.shape[0]} {axis}; expected p = {p} "
            f"features per sample (layout {layout!r})"
        )
    if labels is None and not labels_needed:
        return X, None
    y = _checks.labels(
        labels, names[1], X.shape[1], f"the samples of {names[0]}, layout {layout!r}"
    )
    _checks.labels_below(y, names[1], C)
    return X, y


def _classifier(W, b, C: int, p: int):
    """``W`` (``(C, p)``) and ``b`` (``(C,)``, zero when ``None``) as float64 arrays."""
    W = _checks.as_array(W, "W", 2)
    if W.shape != (C, p):
        raise ValueError(f"W has shape {W.shape}; expected (C, p) = ({C}, {p})")
    if b is None:
        return W, np.zeros(C)
    b = _checks.as_array(b, "b", 1)
    if b.shape != (C,):
        raise ValueError(f"b has {b.shape[0]} entries; expected C = {C} (one per class)")
    return W, b


def _sq_columns(X) -> np.ndarray:
    """The squared norms of the columns of ``X``."""
    return np.einsum("ij,ij->j", X, X)


def _class_sums(rows, y, C: int) -> np.ndarray:
    """``(C, p)``: row ``c`` is the sum of the rows ``i`` of ``rows`` (``(m, p)``) with
    ``y[i] = c``; one ``bincount`` over all entries, in the order ``np.add.at`` would add
    them, several times faster."""
    m, p = rows.shape
    at = (y * p)[:, None] + np.arange(p)
    return np.bincount(at.ravel(), weights=rows.ravel(), minlength=C * p).reshape(C, p)


class NCAccumulator:
    """Streaming NC1–NC3 (and NC4 by a second pass) of features seen batch by batch.

    The state is, per class ``c``, the count ``n_c``, the mean ``μ_c`` and the sum of
    squares ``s_c = Σ_{y_i = c} ||h_i - μ_c||^2``, and the within-class scatter
    ``Σ = Σ_i (h_i - μ_{y_i})(h_i - μ_{y_i})^T`` summed over all classes:
    ``2 C + C p + p^2`` numbers in float64, **independent of the number of samples**.
    Each batch is merged with the pairwise update of Chan, Golub and LeVeque (Welford's
    for one sample): with batch count ``m_c``, mean ``ν_c`` and scatter ``Σ_b``,

    ``μ_c ← μ_c + (m_c/(n_c+m_c)) δ_c``,
    ``Σ ← Σ + Σ_b + Σ_c (n_c m_c/(n_c+m_c)) δ_c δ_c^T``, ``δ_c = ν_c - μ_c``,
    ``s_c ← s_c + s_{b,c} + (n_c m_c/(n_c+m_c)) ||δ_c||^2``,

    where the batch is first shifted by the current means, so no raw second moment (which
    would lose the spread of features with a large common offset) is ever formed.

    Conventions are those of :func:`ufm.nc_metrics` (global mean = mean of the class
    means, ``Σ_W`` averaged over the ``n`` samples, ``Σ_B`` over the ``C`` classes).

    Parameters
    ----------
    C : int
        Number of classes (``>= 2``); labels lie in ``0, …, C-1``.
    p : int
        Feature dimension (``>= 1``).
    layout : {"samples_by_features", "features_by_samples"}
        Required, never guessed: ``"samples_by_features"`` for batches of shape ``(m, p)``
        (one row per sample, as PyTorch gives them), ``"features_by_samples"`` for shape
        ``(p, m)`` (one column per sample, as :func:`ufm.nc_metrics` takes them).

    Attributes
    ----------
    counts : ndarray, shape (C,)
        Samples seen per class.
    means : ndarray, shape (p, C)
        Class means of the samples seen (column ``c``; zero for a class not seen yet).
    scatter : ndarray, shape (p, p)
        Within-class scatter ``Σ`` of the samples seen (a sum, not an average).
    within : ndarray, shape (C,)
        Per class, the sum of squares ``s_c = Σ_{y_i = c} ||h_i - μ_c||^2`` (the trace of
        that class's part of ``Σ``), which the CDNV needs.

    Notes
    -----
    Batches may be numpy arrays, nested lists or tensors (anything with ``.numpy()``,
    after ``.detach()`` and ``.cpu()`` when present); torch is never imported. Input of
    any real dtype (float32 included) is accumulated in float64, and no reference to a
    batch is kept.
    """

    def __init__(self, C: int, p: int, layout: str):
        self.C = _checks.positive_int(C, "C", 2)
        self.p = _checks.positive_int(p, "p", 1)
        self.layout = _layout(layout)
        C, p = self.C, self.p
        _checks.fits_in_memory(8 * (2 * C + C * p + p * p), f"NCAccumulator(C={C}, p={p})")
        self.counts = np.zeros(self.C, dtype=np.int64)
        self.means = np.zeros((self.p, self.C))
        self.scatter = np.zeros((self.p, self.p))
        self.within = np.zeros(self.C)

    @property
    def n(self) -> int:
        """Number of samples seen."""
        return int(self.counts.sum())

    def __repr__(self) -> str:
        return f"NCAccumulator(C={self.C}, p={self.p}, layout={self.layout!r}, n={self.n})"

    def update(self, features_batch, labels_batch) -> NCAccumulator:
        """Add a batch of samples.

        Parameters
        ----------
        features_batch : array_like, shape (m, p) or (p, m) as set by ``layout``
            Real, finite features (numpy array, list or tensor); ``m = 0`` is a no-op.
        labels_batch : array_like of int, shape (m,)
            Class of each sample, in ``0, …, C-1`` (integral floats are accepted).
            A batch need not contain every class.

        Returns
        -------
        NCAccumulator
            ``self``, so that updates can be chained.

        Raises
        ------
        TypeError, ValueError
            Naming the argument, on complex, NaN or infinite features, a batch of the wrong
            width, labels that are not integers in ``0, …, C-1`` or not one per sample.
        """
        X, y = _batch(features_batch, labels_batch, self.layout, self.C, self.p)
        if y.size == 0:
            return self
        m = np.bincount(y, minlength=self.C)
        seen = m > 0
        # One row per sample, (m, p), contiguous: rows of the class means are then gathered
        # and summed quickly (a copy only for features given as (p, m)).
        rows = np.ascontiguousarray(X.T)
        # Shift by a reference per class: the current mean, or for a class new to the
        # accumulator the first of its samples in this batch.
        ref = self.means.T.copy()  # (C, p)
        new = seen & (self.counts == 0)
        if new.any():
            classes, first = np.unique(y, return_index=True)  # first sample of each class
            at = np.full(self.C, -1)
            at[classes] = first
            ref[new] = rows[at[new]]
        D = rows - ref[y]
        delta = _class_sums(D, y, self.C)
        delta[seen] /= m[seen, None]  # δ_c = ν_c - ref_c, row c
        D -= delta[y]  # h_i - ν_{y_i}
        total = self.counts + m
        weight = np.zeros(self.C)
        weight[seen] = self.counts[seen] * m[seen] / total[seen]  # n_c m_c/(n_c + m_c)
        share = np.zeros(self.C)
        share[seen] = m[seen] / total[seen]  # 1 for a new class: μ_c = ref_c + δ_c
        corr = delta * np.sqrt(weight)[:, None]
        self.scatter += D.T @ D + corr.T @ corr
        squares = np.bincount(y, weights=np.einsum("ij,ij->i", D, D), minlength=self.C)
        self.within += squares + np.einsum("ij,ij->i", corr, corr)
        self.means = np.ascontiguousarray((ref + delta * share[:, None]).T)
        self.counts = total
        return self

    def merge(self, other: NCAccumulator) -> NCAccumulator:
        """Add the samples of another accumulator (for example one per worker).

        Same pairwise update as :meth:`update`, with ``other``'s counts, means and scatter
        as the batch. ``other`` is not changed.

        Returns
        -------
        NCAccumulator
            ``self``.
        """
        if not isinstance(other, NCAccumulator):
            raise TypeError(f"other must be an NCAccumulator; got {type(other).__name__}")
        if (other.C, other.p) != (self.C, self.p):
            raise ValueError(
                f"other has C = {other.C}, p = {other.p}; expected C = {self.C}, p = {self.p}"
            )
        m = other.counts
        seen = m > 0
        total = self.counts + m
        delta = other.means - self.means
        weight = np.zeros(self.C)
        weight[seen] = self.counts[seen] * m[seen] / total[seen]
        share = np.zeros(self.C)
        share[seen] = m[seen] / total[seen]
        corr = delta * np.sqrt(weight)
        self.scatter = self.scatter + other.scatter + corr @ corr.T
        self.within = self.within + other.within + _sq_columns(corr)
        self.means = self.means + delta * share
        self.counts = total
        return self

    def _check_classes(self) -> None:
        empty = np.flatnonzero(self.counts == 0).tolist()
        if empty:
            raise ValueError(
                f"classes {empty} have no sample; every class 0, …, {self.C - 1} needs at "
                "least 2 before metrics() can be computed"
            )
        single = np.flatnonzero(self.counts == 1).tolist()
        if single:
            raise ValueError(
                f"classes {single} have a single sample; every class needs at least 2 for "
                "a within-class scatter"
            )

    def metrics(self, W=None, b=None, *, variants: bool = False) -> dict[str, float]:
        """NC1, NC2 and (with ``W``) NC3 of all the samples seen, and their variants.

        The same numbers as :func:`ufm.nc_metrics` on the concatenated batches (up to
        rounding), computed from the accumulated means and scatter only:

        - ``nc1``: ``tr(Σ_W Σ_B^†)/C`` (variability collapse), by ``ufm.collapse._nc1``
          with ``Σ_W = Σ/n``;
        - ``nc2_equinorm``: std/mean of the norms of the centred class means
          ``μ_c - μ_G`` (``μ_G`` the mean of the class means);
        - ``nc2_equiangular``: mean over ``c ≠ c'`` of ``|cos(μ_c - μ_G, μ_c' - μ_G) + 1/(C-1)|``;
        - ``nc2_maxangle``: mean over ``c`` of ``max_{c' ≠ c} |cos + 1/(C-1)|``;
        - ``nc3`` (needs ``W``): ``||W^T/||W||_F - M/||M||_F||_F^2`` (self-duality).

        NC2 and NC3 depend on the class means alone, so they are those of
        :func:`ufm.nc_metrics` on all the samples (the same functions compute them).

        With ``variants=True``, also the variant keys of :func:`ufm.nc_metrics` (formulas,
        names in other public code and values under collapse are listed there), from the
        same function and the accumulated counts, means and sums of squares ``within``:
        ``nc1_trace_ratio``, ``nc1_cdnv``, ``nc2_cos_std``, ``nc2_etf`` and, with ``W``,
        ``nc2_equinorm_W``, ``nc2_equiangular_W``, ``nc2_cos_std_W``, ``nc2_etf_W``,
        ``nc3_etf``, ``nc3_cos_mean`` and, with ``W`` and ``b``, ``bias_collapse``.

        NC4 is not here: it needs every sample again, with these final means; use
        :meth:`nc4_pass` (``nc4 = result()``, ``nc4_agreement = 1 - result()``).

        Parameters
        ----------
        W : array_like, shape (C, p), optional
            Last-layer classifier (a tensor such as ``model.fc.weight`` is accepted).
        b : array_like, shape (C,), optional
            Its bias. Only NC4 and ``bias_collapse`` use it; it is accepted (and checked)
            without them so that a call can mirror :func:`ufm.nc_metrics`.
        variants : bool, default False
            Whether to add the variant keys.

        Returns
        -------
        dict of float
            Keys ``nc1``, ``nc2_equinorm``, ``nc2_equiangular``, ``nc2_maxangle`` and, with
            ``W``, ``nc3``; with ``variants``, the variant keys above.

        Raises
        ------
        ValueError
            Naming the classes, if a class has no sample or a single one; if all class
            means coincide (every measure is 0/0); on a malformed ``W`` or ``b``. With
            ``variants``, as :func:`ufm.nc_metrics`.
        """
        self._check_classes()
        given = b is not None
        if W is not None:
            W, b = _classifier(W, b, self.C, self.p)
        elif given:
            _checks.as_array(b, "b", 1)  # checked; like ufm.nc_metrics, b is unused without W
        M = self.means - self.means.mean(axis=1, keepdims=True)
        nc2 = _nc2(M)  # refuses means that coincide, before NC1 divides by them
        out = {"nc1": float(_nc1(self.means, self.n, Sigma=self.scatter)), **nc2}
        if W is not None:
            out["nc3"] = _nc3(W, M)
        if variants:
            bias = b if W is not None and given else None  # bias_collapse needs W and b
            out |= _nc_variants(self.means, self.within, self.counts, W, bias)
        return out

    def nc4_pass(self, W, b=None) -> NC4Pass:
        """Start the second pass that measures NC4 with the final class means.

        NC4 is the fraction of samples on which the classifier's decision
        ``argmax_c (W h + b)_c`` disagrees with the nearest class mean
        ``argmin_c ||h - μ_c||``. The means must be those of all the data, so, once every
        batch has gone through :meth:`update`, feed the same batches again to the returned
        object's ``update`` and read ``result()``. The means, ``W`` and ``b`` are copied
        now: later updates of this accumulator do not change the pass.

        Parameters
        ----------
        W : array_like, shape (C, p)
        b : array_like, shape (C,), optional
            Zero when not given, as in :func:`ufm.nc_metrics`.

        Returns
        -------
        NC4Pass
        """
        self._check_classes()
        W, b = _classifier(W, b, self.C, self.p)
        return NC4Pass(self.means, W, b, self.layout)


class NC4Pass:
    """Second pass over the data for NC4, made by :meth:`ufm.NCAccumulator.nc4_pass`.

    Holds copies of the final class means, ``W`` and ``b``, and counts the samples seen and
    those on which ``argmax_c (W h + b)_c`` differs from ``argmin_c ||h - μ_c||``. Memory
    ``O(C p)``, independent of the number of samples.
    """

    def __init__(self, means, W, b, layout: str):
        self.means = np.array(means, dtype=np.float64)
        self.W = np.array(W, dtype=np.float64)
        self.b = np.array(b, dtype=np.float64)
        self.layout = _layout(layout)
        self.p, self.C = self.means.shape
        # Nearest mean from the means and samples shifted by the global mean μ_G, so a
        # large common offset does not enter ||h||^2 - 2 μ_c·h + ||μ_c||^2.
        self._centre = self.means.mean(axis=1)
        centred = self.means - self._centre[:, None]
        self._centred = centred
        self._sq = (centred * centred).sum(axis=0)
        self.n = 0
        self.disagreements = 0

    def update(self, features_batch, labels_batch=None) -> NC4Pass:
        """Add a batch: same layout as the accumulator; labels (optional, NC4 does not use
        them) are checked when given, so the first pass's loop can be reused unchanged.

        Returns
        -------
        NC4Pass
            ``self``.
        """
        X, _ = _batch(
            features_batch, labels_batch, self.layout, self.C, self.p, labels_needed=False
        )
        if X.shape[1] == 0:
            return self
        decision = _decisions(self.W, X, self.b)
        nearest = self._nearest(X)
        self.n += X.shape[1]
        self.disagreements += int(np.count_nonzero(decision != nearest))
        return self

    def _nearest(self, X) -> np.ndarray:
        """``argmin_c ||x - μ_c||`` for the columns ``x`` of ``X`` (``p x m``)."""
        Xc = X - self._centre[:, None]
        return np.argmin(self._sq[:, None] - 2 * self._centred.T @ Xc, axis=0)

    def result(self) -> float:
        """NC4: the fraction of the samples seen on which the two decisions disagree."""
        if self.n == 0:
            raise ValueError("no sample has been passed to update(); NC4 is 0/0")
        return self.disagreements / self.n


def ncc_mismatch(features, labels, means, W, b=None, *, layout: str) -> dict[str, float]:
    """NC4 on held-out samples: the nearest class mean of the *training* data against the
    classifier, and against the labels.

    For each sample ``h`` the classifier decides ``argmax_c (W h + b)_c`` and the
    nearest-class-mean classifier (NCC) decides ``argmin_c ||h - μ_c||``, with ``μ_c`` the
    given means, for example ``NCAccumulator.means`` after a pass over the training
    set. On the samples the means were computed from, ``mismatch`` is ``nc4`` of
    :func:`ufm.nc_metrics` (up to rounding at a tie). The nearest mean is found as in
    :class:`ufm.NC4Pass`, from the means and samples shifted by ``μ_G``.

    Parameters
    ----------
    features : array_like, shape (n, p) or (p, n) as set by ``layout``
        Held-out features: real and finite, ``n >= 1``.
    labels : array_like of int, shape (n,)
        Their classes, in ``0, …, C-1``.
    means : array_like, shape (p, C)
        Class means of the training features (column ``c`` for class ``c``), ``C >= 2``.
    W : array_like, shape (C, p)
    b : array_like, shape (C,), optional
        Zero when not given, as in :func:`ufm.nc_metrics`.
    layout : {"samples_by_features", "features_by_samples"}
        Required, as for :class:`ufm.NCAccumulator`.

    Returns
    -------
    dict of float
        ``mismatch``: the fraction of samples on which the two decisions differ (0 when the
        classifier decides like the nearest training mean); ``ncc_accuracy``: the fraction
        whose nearest training mean is that of their label.

    Raises
    ------
    TypeError, ValueError
        Naming the argument, on malformed features, labels, means, ``W`` or ``b``, shapes
        that do not fit together, or no sample.
    """
    layout = _layout(layout)
    means = _checks.as_array(means, "means", 2)
    p, C = means.shape
    if C < 2:
        raise ValueError(f"means has {C} column; expected one column per class, C >= 2")
    W, b = _classifier(W, b, C, p)
    X, y = _batch(features, labels, layout, C, p, names=("features", "labels"))
    if X.shape[1] == 0:
        raise ValueError("features has no sample, so the fractions are 0/0")
    nearest = NC4Pass(means, W, b, layout)._nearest(X)
    return {
        "mismatch": float(np.mean(_decisions(W, X, b) != nearest)),
        "ncc_accuracy": float(np.mean(nearest == y)),
    }
