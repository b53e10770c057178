"""ufm: the unconstrained features model of neural collapse, in plain numpy.

The model, its risk and gradients (:mod:`ufm.model`); strong neural collapse and the
NC1–NC4 measures (:mod:`ufm.collapse`); the invariant subspace S (:mod:`ufm.subspace`);
gradient descent and the exact flow on S (:mod:`ufm.dynamics`); the Hessian, the
stability limit of the step size and the linearisation at rest (:mod:`ufm.spectrum`);
the chapters' experiments (:mod:`ufm.experiments`), figures (:mod:`ufm.plots`) and live
experiments (:mod:`ufm.widgets`). Notation follows the
book's notation page: ``C`` classes, ``N`` samples per class, feature dimension ``p``,
features ``H`` (``p x CN``), classifier ``W`` (``C x p``) and bias ``b``.
"""

from .collapse import (
    centering,
    class_summary,
    nc_metrics,
    simplex_basis,
    strong_collapse,
    strong_collapse_errors,
)
from .dynamics import Trajectory, flow_on_S, gradient_descent
from .model import gradients, random_init, risk, stack, targets
from .reduced import ReducedState
from .spectrum import hessian, hessian_vector_product, largest_stable_step, linearization_at_rest
from .streaming import NC4Pass, NCAccumulator, ncc_mismatch
from .subspace import distance_to_S, norm_E, project_S, random_point_in_S, risk_parts_on_S
from .tracking import NCTracker

__version__ = "0.1.0"

__all__ = [
    "NC4Pass",
    "NCAccumulator",
    "NCTracker",
    "ReducedState",
    "Trajectory",
    "centering",
    "class_summary",
    "distance_to_S",
    "flow_on_S",
    "gradient_descent",
    "gradients",
    "hessian",
    "hessian_vector_product",
    "largest_stable_step",
    "linearization_at_rest",
    "nc_metrics",
    "ncc_mismatch",
    "norm_E",
    "project_S",
    "random_init",
    "random_point_in_S",
    "risk",
    "risk_parts_on_S",
    "simplex_basis",
    "stack",
    "strong_collapse",
    "strong_collapse_errors",
    "targets",
]
