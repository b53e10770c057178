"""The NC measures of ufm beside those of three public codebases: names, formulas, mappings.

Public code for neural collapse does not agree on every convention, so the same name can
mean different numbers. :data:`CONVENTIONS` lists, for each measure of
:func:`ufm.nc_metrics` (``variants=True`` included), :func:`ufm.ncc_mismatch` and
:class:`ufm.NCAccumulator`, its formula in the book's notation and what each project calls
it, with the exact relation between the two values. :data:`PITFALLS` lists what the
projects' code does that ufm does not, each with the test of ``tests/test_conventions.py``
that shows ufm does not. :func:`conventions_table` and :func:`pitfalls_list` write them as
Markdown for the appendix ``book/measure.ipynb``; the same tests check every relation of
the table numerically.

The projects, as read (each entry names the file and function it comes from):

- the notebook that accompanies Papyan, Han and Donoho (2020),
  ``github.com/neuralcollapse/neuralcollapse``, ``neuralcollapse.ipynb``, function
  ``analysis`` (the NC measures) and the forward hook before it;
- ``rhubarbwu/neural-collapse`` (commit ``c05a0b8``): ``neural_collapse/measure.py``,
  ``accumulate.py``, ``kernels.py``, ``README.md`` and ``examples/mnist.py``;
- ``tding1/Neural-Collapse`` (commit ``04ef586``), the code of Zhu et al. (2021):
  ``validate_NC.py``, ``plot.py`` and ``datasets.py``.

Notation: ``μ_c`` the class means, ``μ_G`` their mean, ``M = [μ_1 - μ_G, …, μ_C - μ_G]``,
``Σ_W`` the within-class covariance over the ``n`` samples, ``Σ_B = M M^T / C``,
``P = I_C - 11^T/C``, ``w_c`` row ``c`` of ``W``, ``σ_c^2`` the mean of ``||h - μ_c||^2``
over class ``c``, ``cos_cc'`` the cosine of ``μ_c - μ_G`` and ``μ_c' - μ_G``.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The three projects: key -> (title, short label in the table, where the code is).
PROJECTS = {
    "papyan": (
        "Papyan–Han–Donoho notebook",
        "Notebook",
        "neuralcollapse/neuralcollapse, neuralcollapse.ipynb",
    ),
    "rhubarbwu": (
        "rhubarbwu/neural-collapse",
        "rhubarbwu",
        "rhubarbwu/neural-collapse @ c05a0b8",
    ),
    "tding1": ("tding1/Neural-Collapse", "tding1", "tding1/Neural-Collapse @ 04ef586"),
}


@dataclass(frozen=True)
class Name:
    """A measure in one project.

    ``name`` is what the project's code calls it (``None``: the project has no such
    measure), ``mapping`` how its value relates to ufm's (Markdown with TeX), ``source``
    the file and function that compute it.
    """

    name: str | None
    mapping: str
    source: str = ""


@dataclass(frozen=True)
class Convention:
    """One row of the table: a measure of ufm and its names in the three projects.

    ``key`` is the key of ufm's result (or the name of the function or class), ``formula``
    its definition in TeX with the book's macros (``\\Fnorm``, ``\\tr``, ``\\abs``, …).
    """

    key: str
    formula: str
    papyan: Name
    rhubarbwu: Name
    tding1: Name


@dataclass(frozen=True)
class Pitfall:
    """Something a project's code does that gives a different or wrong number.

    ``project`` is a key of :data:`PROJECTS`, ``source`` the file and function that show
    it, ``what`` what happens and ``ufm`` what ufm does instead (Markdown), ``test`` the
    test of ``tests/test_conventions.py`` that shows it.
    """

    project: str
    source: str
    what: str
    ufm: str
    test: str


_NOTEBOOK = "neuralcollapse.ipynb: analysis"
_MEASURE = "neural_collapse/measure.py"
_ACCUMULATE = "neural_collapse/accumulate.py"
_VALIDATE = "validate_NC.py"

_NONE = Name(None, "none")

#: One :class:`Convention` per measure of ufm, in the order of the table.
CONVENTIONS = (
    Convention(
        "global mean",
        r"$\mu_G = \frac{1}{C} \sum_c \mu_c$; $\Sigma_W$ over the $n$ samples, "
        r"$\Sigma_B = \frac{1}{C} M M^\top$",
        Name("muG", "the same", _NOTEBOOK),
        Name(
            "mG",
            "the same by default; `compute(weighted=True)` gives the sample mean",
            f"{_ACCUMULATE}: Accumulator.compute",
        ),
        Name(
            "mu_G",
            r"the **sample** mean $\frac{1}{n} \sum_i h_i$, the same only for classes of "
            "equal sizes",
            f"{_VALIDATE}: compute_info",
        ),
    ),
    Convention(
        "nc1",
        r"$\frac{1}{C} \tr(\Sigma_W \Sigma_B^\dagger)$",
        Name(
            "Sw_invSb",
            r"$C$ × `nc1`; $\Sigma_B^\dagger$ from the $C - 1$ largest singular values",
            _NOTEBOOK,
        ),
        Name(
            "covariance_ratio",
            '= `nc1`; with `metric="svd"`, $\\Sigma_B^\\dagger$ from the $C - 1$ largest '
            "singular values",
            f"{_MEASURE}: covariance_ratio",
        ),
        Name(
            "collapse_metric",
            r"= `nc1` with the sample mean as $\mu_G$",
            f"{_VALIDATE}: main, compute_Sigma_B",
        ),
    ),
    Convention(
        "nc1_trace_ratio",
        r"$\tr \Sigma_W / \tr \Sigma_B$",
        _NONE,
        Name(
            "covariance_ratio",
            'with `metric="quotient"` = `nc1_trace_ratio`',
            f"{_MEASURE}: covariance_ratio",
        ),
        _NONE,
    ),
    Convention(
        "nc1_cdnv",
        r"mean over $c < c'$ of $\frac{\sigma_c^2 + \sigma_{c'}^2}"
        r"{2 \norm{\mu_c - \mu_{c'}}^2}$",
        _NONE,
        Name(
            "variability_cdnv", "= `nc1_cdnv`", "neural_collapse/kernels.py: class_dist_norm_vars"
        ),
        _NONE,
    ),
    Convention(
        "nc2_equinorm",
        r"std over mean, across $c$, of $\norm{\mu_c - \mu_G}$ (the std divides by $C$)",
        Name(
            "norm_M_CoV",
            r"$\sqrt{C/(C-1)}$ × `nc2_equinorm` (`torch.std` divides by $C - 1$)",
            _NOTEBOOK,
        ),
        Name(
            "mean_norms",
            r"the norms $\norm{\mu_c - \mu_G}$ only; no ratio",
            f"{_MEASURE}: mean_norms",
        ),
        _NONE,
    ),
    Convention(
        "nc2_equiangular",
        r"mean over $c \ne c'$ of $\abs{\cos_{c c'} + \frac{1}{C-1}}$",
        Name("cos_M", "= `nc2_equiangular`", f"{_NOTEBOOK}, coherence"),
        Name(
            None,
            "none (`kernel_stats` measures the spread of distances between the normalised "
            "means instead)",
        ),
        _NONE,
    ),
    Convention(
        "nc2_maxangle",
        r"mean over $c$ of $\max_{c' \ne c} \abs{\cos_{c c'} + \frac{1}{C-1}}$",
        _NONE,
        _NONE,
        _NONE,
    ),
    Convention(
        "nc2_cos_std",
        r"std over $c < c'$ of $\cos_{c c'}$",
        _NONE,
        _NONE,
        _NONE,
    ),
    Convention(
        "nc2_etf",
        r"$\Fnorm{\frac{M^\top M}{\Fnorm{M^\top M}} - \frac{P}{\sqrt{C-1}}}$",
        _NONE,
        Name("simplex_etf_error", "= `nc2_etf`", f"{_MEASURE}: structure_error"),
        _NONE,
    ),
    Convention(
        "nc2_equinorm_W",
        r"std over mean, across $c$, of $\norm{w_c}$",
        Name("norm_W_CoV", r"$\sqrt{C/(C-1)}$ × `nc2_equinorm_W`", _NOTEBOOK),
        _NONE,
        _NONE,
    ),
    Convention(
        "nc2_equiangular_W",
        r"mean over $c \ne c'$ of $\abs{\cos(w_c, w_{c'}) + \frac{1}{C-1}}$",
        Name("cos_W", "= `nc2_equiangular_W`", f"{_NOTEBOOK}, coherence"),
        _NONE,
        _NONE,
    ),
    Convention(
        "nc2_cos_std_W",
        r"std over $c < c'$ of $\cos(w_c, w_{c'})$",
        _NONE,
        _NONE,
        _NONE,
    ),
    Convention(
        "nc2_etf_W",
        r"$\Fnorm{\frac{W W^\top}{\Fnorm{W W^\top}} - \frac{P}{\sqrt{C-1}}}$",
        _NONE,
        _NONE,
        Name("ETF_metric", "= `nc2_etf_W`; plotted as NC2", f"{_VALIDATE}: compute_ETF"),
    ),
    Convention(
        "nc3",
        r"$\Fnorm{\frac{W^\top}{\Fnorm{W}} - \frac{M}{\Fnorm{M}}}^2$",
        Name("W_M_dist", "= `nc3`", _NOTEBOOK),
        Name(
            None,
            "none (`distance_norms` normalises each class on its own)",
        ),
        _NONE,
    ),
    Convention(
        "nc3_etf",
        r"$\Fnorm{\frac{W M}{\Fnorm{W M}} - \frac{P}{\sqrt{C-1}}}$",
        _NONE,
        Name("self_duality_error", "= `nc3_etf`", f"{_MEASURE}: structure_error"),
        Name(
            "WH_relation_metric",
            r"= `nc3_etf` with the sample mean as $\mu_G$; plotted as NC3",
            f"{_VALIDATE}: compute_W_H_relation",
        ),
    ),
    Convention(
        "nc3_cos_mean",
        r"mean over $c$ of $\cos(w_c, \mu_c - \mu_G)$; 1 at collapse",
        _NONE,
        Name(
            "similarities",
            "with `cos=True`, averaged over the classes, = `nc3_cos_mean`",
            f"{_MEASURE}: similarities",
        ),
        _NONE,
    ),
    Convention(
        "bias_collapse",
        r"$\norm{W \mu_G + b}$",
        _NONE,
        _NONE,
        Name(
            "Wh_b_relation_metric",
            r"= `bias_collapse` with the sample mean as $\mu_G$; plotted as **NC4**",
            f"{_VALIDATE}: compute_Wh_b_relation",
        ),
    ),
    Convention(
        "nc4",
        r"fraction of samples where $\argmax_c (W h + b)_c$ and $\argmin_c \norm{h - \mu_c}$ "
        "differ",
        Name("NCC_mismatch", "= `nc4`", _NOTEBOOK),
        Name(
            "clf_ncc_agreement",
            r"$1 -$ `nc4` computed **without** $b$; `weighted=False` averages over the "
            "classes instead of the samples",
            f"{_ACCUMULATE}: DecAccumulator.accumulate",
        ),
        Name(None, "none (its NC4 is `bias_collapse`)"),
    ),
    Convention(
        "nc4_agreement",
        r"$1 -$ `nc4`; 1 at collapse",
        Name(None, r"$1 -$ `NCC_mismatch`"),
        Name(
            "clf_ncc_agreement",
            r"= `nc4_agreement` when $b = 0$",
            f"{_MEASURE}: clf_ncc_agreement",
        ),
        _NONE,
    ),
    Convention(
        "ncc_mismatch",
        r"`nc4` of held-out samples, with the training means $\mu_c$",
        _NONE,
        Name(
            "clf_ncc_agreement",
            r"on the test loader (its example): $1 -$ `mismatch` when $b = 0$",
            "examples/mnist.py",
        ),
        _NONE,
    ),
    Convention(
        "NCAccumulator",
        r"NC1–NC3 in one pass over the batches (pairwise update of means and $\Sigma_W$), "
        "NC4 in a second pass with the final means",
        Name(None, "two passes: the means, then $\\Sigma_W$ and NC4 with them", _NOTEBOOK),
        Name(
            None,
            "`MeanAccumulator`, then `CovarAccumulator`, `VarNormAccumulator` and "
            "`DecAccumulator` with the means: two passes",
            _ACCUMULATE,
        ),
        Name(
            None,
            "`compute_info`, then `compute_Sigma_W`: two passes",
            _VALIDATE,
        ),
    ),
)


#: What the projects' code does that ufm does not, one :class:`Pitfall` each.
PITFALLS = (
    Pitfall(
        "tding1",
        f"{_VALIDATE}: compute_info, compute_Sigma_B",
        r"$\Sigma_B$, NC3 and the bias term use the sample mean as $\mu_G$, on MNIST, "
        r"whose classes differ in size (`MNIST_TRAIN_SAMPLES`): $\Sigma_B$ then gains the "
        r"term $(\bar\mu - \mu_G)(\bar\mu - \mu_G)^\top$, $\bar\mu$ the mean of the class "
        "means, and NC1 changes.",
        r"$\mu_G$ is the mean of the class means, whatever the class sizes.",
        "test_sigma_B_is_centred_at_the_mean_of_the_class_means_for_unequal_classes",
    ),
    Pitfall(
        "rhubarbwu",
        f"{_ACCUMULATE}: DecAccumulator.accumulate",
        "The classifier's decision is `(X @ W.mT).argmax(dim=-1)`: the bias is left out, so "
        "the NCC agreement of a layer with a bias is that of another classifier.",
        r"NC4 uses $\argmax_c (W h + b)_c$, with $b$ when it is given.",
        "test_nc4_decides_with_the_bias",
    ),
    Pitfall(
        "tding1",
        f"{_VALIDATE}: compute_info",
        "The first sample of each class is stored as a view, `mu_c_dict[y] = "
        "features[b, :]`, and the later ones are added into it in place: the sum is "
        "written into the batch tensor, and changes if that batch is overwritten (its own "
        "script makes a new tensor for every batch; a loader that refills one buffer "
        "does not).",
        "`NCAccumulator.update` copies what it needs and never writes into a batch.",
        "test_accumulator_keeps_no_reference_to_a_batch",
    ),
    Pitfall(
        "papyan",
        f"{_NOTEBOOK}; {_MEASURE}: covariance_ratio",
        r"`svds(Sb, k=C-1)` inverts the $C - 1$ largest singular values of $\Sigma_B$ "
        'whatever its rank (so does rhubarbwu\'s `covariance_ratio` with `metric="svd"`): '
        r"when the class means span fewer than $C - 1$ directions it divides by rounding "
        r"errors, and `svds` fails when $p \le C - 1$.",
        "the pseudo-inverse keeps only the singular values above the rounding level.",
        "test_nc1_ignores_directions_the_class_means_do_not_span",
    ),
    Pitfall(
        "tding1",
        f"{_VALIDATE}: compute_info, compute_Sigma_W; datasets.py: make_dataset",
        "Class sizes are constants (`MNIST_TRAIN_SAMPLES`, `CIFAR10_TRAIN_SAMPLES`), "
        "while `--sample_size` trains and measures on a subset: every mean and "
        r"$\Sigma_W$ is then divided by the wrong count.",
        "class sizes are counted from the labels.",
        "test_class_sizes_are_counted_from_the_labels",
    ),
)


def _cell(entry: Name) -> str:
    if entry.name is None:
        return entry.mapping
    joint = " " if entry.mapping.startswith(("=", "with")) else ": "
    return f"`{entry.name}`{joint}{entry.mapping}"


def conventions_table() -> str:
    """The table of :data:`CONVENTIONS` as MyST Markdown (a ``list-table``; the TeX in
    ``$…$`` uses the book's macros). Two columns, so that it fits the book's column: the
    measure of ufm (its key, then its formula), and a list of its name and mapping in each
    project of :data:`PROJECTS`."""
    *first, last = (title for title, _, _ in PROJECTS.values())
    titles = f"the {', '.join(first)} and {last}"
    lines = [
        "```{list-table}",
        ":header-rows: 1",
        "",
        "* - In `ufm`",
        f"  - Name and relation in {titles}",
    ]
    for row in CONVENTIONS:
        key = row.key if " " in row.key else f"`{row.key}`"
        lines += [f"* - {key}", "", f"    {row.formula}"]
        items = [
            f"**{PROJECTS[project][1]}**: {_cell(getattr(row, project))}" for project in PROJECTS
        ]
        lines.append(f"  - + {items[0]}")
        lines += [f"    + {item}" for item in items[1:]]
    lines.append("```")
    return "\n".join(lines)


def pitfalls_list() -> str:
    """:data:`PITFALLS` as a Markdown list: the project and the code that shows each one,
    what happens, what ufm does, and the test that checks it."""
    items = []
    for pitfall in PITFALLS:
        title = PROJECTS[pitfall.project][0]
        items.append(
            f"- **{title}** (`{pitfall.source}`). {pitfall.what} In `ufm`, {pitfall.ufm} "
            f"(test: `{pitfall.test}`)"
        )
    return "\n".join(items)
