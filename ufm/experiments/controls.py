"""The ranges of the experiments' settings, declared once.

The explorers' sliders (:mod:`ufm.widgets`), the corners their tests visit and the
heaviest settings the benchmarks time are all derived from these ranges, and a static
page offers the same ones. Each range is ``(low, high)``, both included.
"""

from __future__ import annotations

#: Model sizes: classes ``C``, samples per class ``N`` and feature dimension ``p``.
SIZES = {"C": (2, 10), "N": (1, 1000), "p": (1, 64)}
#: Seeds of the random starts.
SEED = (0, 99)
#: The settings of gradient descent from a random start (model chapter): start size ``ε``,
#: step size ``η`` and number of steps.
DESCENT = {"eps": (1e-6, 1.0), "lr": (0.05, 2.5), "steps": (100, 20000)}

#: The discussion chapter (:mod:`ufm.experiments.discussion`): the start size of a large
#: initialisation, the sizes of the narrow case ``p < C - 1``, the step size around the
#: stability limit and the ratio of the class sizes. Its weight-decay values are the lists
#: ``DECAY_VALUES`` and ``IMBALANCE_DECAY_VALUES`` of that module.
INIT_EPS = (1e-6, 10.0)
NARROW = {"C": (3, SIZES["C"][1]), "p": SIZES["p"]}
NARROW_SEED = (0, 9)
STEP_LR = (0.5, 2.2)
IMBALANCE_RATIO = (1, 100)

#: The appendix on other papers' results (:mod:`ufm.experiments.literature`): the values
#: its explorer offers for the weight decay ``λ = sqrt(λ_W λ_H)`` and for the ratio
#: ``λ_H/λ_W`` (the runs converge within their 1500 steps from ``λ = 3e-3`` on).
LIT_LAMBDAS = (3e-3, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.12, 0.14)
LIT_RATIOS = (0.25, 0.5, 1.0, 2.0, 4.0)


def corners(*groups: dict, **single: tuple) -> dict[str, tuple]:
    """The extremes of each setting of ``groups`` and ``single`` (for the explorer tests)."""
    out = {}
    for group in groups:
        out.update(group)
    out.update(single)
    return out


def maxima(*groups: dict, **single) -> dict[str, object]:
    """The heaviest setting: each size at its largest (for the benchmarks)."""
    out = {key: high for group in groups for key, (_, high) in group.items()}
    out.update(single)
    return out
