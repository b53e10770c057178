"""The experiments of the book, one module per chapter.

This layer sits between the concept modules (:mod:`ufm.model`, :mod:`ufm.collapse`,
:mod:`ufm.subspace`, :mod:`ufm.dynamics`, :mod:`ufm.reduced`, :mod:`ufm.spectrum`,
:mod:`ufm.extensions`, :mod:`ufm.network`) and the views (:mod:`ufm.plots`,
:mod:`ufm.widgets`, :mod:`ufm.animation`). Each function runs or measures one experiment
of a chapter and returns numbers, so that a reader can repeat it outside the book and
every number in a chapter's prose comes from here. No module of this package imports
ipywidgets or matplotlib.

- :mod:`ufm.experiments.model`: the sweep over the start size ``ε`` (Figures 1 and 2),
  log–log fits, descent with snapshots and the plane of the simplex;
- :mod:`ufm.experiments.results`: perturbations of strong collapse, the parts of a state
  in and off S, the gradient flow integrated numerically;
- :mod:`ufm.experiments.discussion`: large starts, narrow features, step sizes near the
  stability limit, weight decay, cross-entropy and unequal classes;
- :mod:`ufm.experiments.literature`: the closed-form minimisers with weight decay that
  other papers proved, checked against gradient descent;
- ``ufm.experiments.prose``: the numbers a chapter quotes, for MyST's ``{eval}`` role.

The names of the chapter modules are re-exported here (``ufm.experiments.eps_sweep``).
"""

from .discussion import (
    DecayRun,
    ImbalanceRun,
    ImbalanceSweep,
    InitSweep,
    NarrowRun,
    StepSweep,
    decay_run,
    imbalance_run,
    imbalance_sweep,
    init_run,
    init_size_sweep,
    narrow_run,
    step_run,
    step_size_sweep,
)
from .literature import (
    DecayCheck,
    DecayPrediction,
    collapsed_objective,
    decay_check,
    decay_prediction,
    decay_threshold,
    margin_closed_form,
    score_margin,
)
from .model import (
    EpsSweep,
    LoglogFit,
    PlaneView,
    SnapshotRun,
    descent_with_snapshots,
    eps_sweep,
    fit_loglog_slope,
    simplex_plane,
    snapshot_schedule,
)
from .prose import Prose
from .results import (
    class_mean_flow,
    collapse_measures,
    gradient_flow,
    gram_eigenvalues,
    in_row_space,
    perturb,
    random_direction,
    split_by_S,
)

__all__ = [
    "DecayCheck",
    "DecayPrediction",
    "DecayRun",
    "EpsSweep",
    "ImbalanceRun",
    "ImbalanceSweep",
    "InitSweep",
    "LoglogFit",
    "NarrowRun",
    "PlaneView",
    "Prose",
    "SnapshotRun",
    "StepSweep",
    "class_mean_flow",
    "collapse_measures",
    "collapsed_objective",
    "decay_check",
    "decay_prediction",
    "decay_run",
    "decay_threshold",
    "descent_with_snapshots",
    "eps_sweep",
    "fit_loglog_slope",
    "gradient_flow",
    "gram_eigenvalues",
    "imbalance_run",
    "imbalance_sweep",
    "in_row_space",
    "init_run",
    "init_size_sweep",
    "margin_closed_form",
    "narrow_run",
    "perturb",
    "random_direction",
    "score_margin",
    "simplex_plane",
    "snapshot_schedule",
    "split_by_S",
    "step_run",
    "step_size_sweep",
]
