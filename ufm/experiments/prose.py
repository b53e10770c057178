"""The numbers a chapter quotes in its text, shown by MyST's ``{eval}`` role.

A chapter keeps each number it quotes, ``prose.keep("slope_e1", fit.slope)``, and its
Markdown shows it with a format spec, ``{eval}`prose["slope_e1:.2f"]```. The same role is
evaluated by MyST-NB when the book is built (``execute_notebooks: inline``) and by
jupyterlab-myst in a running notebook, so the page and the notebook show the same number,
computed by the cell above it.
"""

from __future__ import annotations

import numbers

import numpy as np


class Shown(str):
    """Text whose ``repr`` is the text itself, so an ``{eval}`` role shows it without
    quotes (both renderers show the ``text/plain`` form of the result)."""

    def __repr__(self) -> str:
        return str(self)


class Prose:
    """The numbers (and short texts) quoted in one chapter.

    Examples
    --------
    >>> prose = Prose()
    >>> prose.keep("slope", np.float64(1.98765))
    >>> prose["slope:.2f"]
    1.99
    >>> prose["slope"]
    1.98765
    """

    def __init__(self):
        self._values: dict[str, object] = {}

    def keep(self, name: str, value) -> None:
        """Keep ``value`` under ``name`` (a numpy scalar is stored as a Python number)."""
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"name must be a Python identifier; got {name!r}")
        if isinstance(value, np.generic):
            value = value.item()
        if not isinstance(value, (numbers.Number, str)) or isinstance(value, bool):
            raise TypeError(
                f"value for {name!r} must be a number or a str; got {type(value).__name__}"
            )
        self._values[name] = value

    def __getitem__(self, key: str) -> Shown:
        """``"name"`` or ``"name:spec"``: the kept value, formatted with ``spec``."""
        name, _, spec = key.partition(":")
        if name not in self._values:
            raise KeyError(f"no number kept under {name!r}; kept: {', '.join(self._values)}")
        return Shown(format(self._values[name], spec))

    def __contains__(self, name: str) -> bool:
        return name in self._values
