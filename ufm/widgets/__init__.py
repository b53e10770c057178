"""Live experiments (ipywidgets) for the book's chapters.

Each module builds :class:`Explorer` objects for one chapter; every explorer is listed
in ``REGISTRY`` so that tests and benchmarks can visit them all.
Requires the ``widgets`` extra (ipywidgets).
"""

# Importing the chapter modules (model: the model chapter; results: the main results;
# limits: the discussion) registers their explorers.
from . import limits, literature, model, results
from ._base import REGISTRY, Explorer, ExplorerSpec, register, restore_axes

__all__ = [
    "REGISTRY",
    "Explorer",
    "ExplorerSpec",
    "limits",
    "literature",
    "model",
    "register",
    "restore_axes",
    "results",
]
