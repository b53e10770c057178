"""Input validation shared by every public function of :mod:`ufm`.

Each check raises a :class:`ValueError` or :class:`TypeError` whose message names the
argument and says what was expected, so that a reader who passes the wrong thing learns
what to pass instead.
"""

from __future__ import annotations

import numbers
import os

import numpy as np

#: Default for the largest amount of memory (bytes) one call may allocate: 2 GiB. Set the
#: environment variable ``UFM_MEMORY_LIMIT`` (a number of bytes, read at each call) to
#: change it.
MEMORY_LIMIT = 2 * 2**30
#: The largest number of samples per class ``N`` that a formula in ``sqrt(N)`` takes (numpy
#: computes with it as a 64-bit integer).
MAX_N = 2**63 - 1


def to_numpy(x):
    """An array-like as a numpy array, without importing any framework.

    Duck typing for tensors: ``.detach()`` if present (drops autograd), then ``.cpu()`` if
    present (leaves the GPU), then ``.numpy()``; anything else goes through
    :func:`numpy.asarray`.
    """
    if hasattr(x, "detach"):
        x = x.detach()
    if hasattr(x, "cpu"):
        x = x.cpu()
    if hasattr(x, "numpy") and not isinstance(x, np.ndarray):
        return np.asarray(x.numpy())
    return np.asarray(x)


def _read(x, name: str, what: str) -> np.ndarray:
    """``x`` as a numpy array (:func:`to_numpy`), or a TypeError saying that ``name`` must
    be ``what``: for a string, None, or what numpy cannot read (a ragged list)."""
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be {what}, not {type(x).__name__}")
    try:
        return to_numpy(x)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be {what} ({exc})") from None


def as_array(
    x, name: str, ndim: int | tuple[int, ...], finite: bool = True, empty: bool = False
) -> np.ndarray:
    """Return ``x`` as a float64 array with the given number of dimensions.

    ``x`` may be any array-like, a PyTorch tensor included (:func:`to_numpy`); ``empty``
    allows an array with no entries.

    Raises
    ------
    TypeError
        If ``x`` cannot be read as an array of real numbers.
    ValueError
        If ``x`` has the wrong number of dimensions, is empty, or (with ``finite``)
        has a NaN or infinite entry.
    """
    arr = _read(x, name, "an array of real numbers")
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be an array of real numbers; got dtype {arr.dtype}")
    arr = arr.astype(np.float64, copy=False)
    allowed = (ndim,) if isinstance(ndim, int) else ndim
    if arr.ndim not in allowed:
        want = " or ".join(str(d) for d in allowed)
        raise ValueError(f"{name} must be a {want}-dimensional array; got shape {arr.shape}")
    if arr.size == 0 and not empty:
        raise ValueError(f"{name} is empty (shape {arr.shape}); expected a non-empty array")
    if finite and not np.isfinite(arr).all():
        raise ValueError(f"{name} has NaN or infinite entries; expected finite numbers")
    return arr


def labels(x, name: str, n: int, samples: str = "") -> np.ndarray:
    """Class labels: ``n`` integers (floats with integral values accepted) as int64.

    ``samples`` says where the ``n`` samples were read from (for example "the columns of
    features"), for the message when the lengths differ.

    Their range is checked by :func:`labels_below` once the number of classes is known.

    Raises
    ------
    TypeError
        If ``x`` is not numeric or has a non-integral value.
    ValueError
        If ``x`` does not have shape ``(n,)``, or has a NaN, infinite or huge entry.
    """
    y = _read(x, name, "integers 0, …, C-1")
    if y.shape != (n,):
        where = f" ({samples})" if samples else ""
        raise ValueError(f"{name} has shape {y.shape}; expected ({n},), one per sample{where}")
    if y.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be integers 0, …, C-1; got dtype {y.dtype}")
    if y.dtype.kind == "f":
        if not np.isfinite(y).all() or (np.abs(y) > 2**53).any():
            bad = y[~np.isfinite(y) | (np.abs(y) > 2**53)][0]
            raise ValueError(f"{name} must be integers 0, …, C-1; got {bad}")
        if (y != y.round()).any():
            raise TypeError(f"{name} must be integers 0, …, C-1; got {y[y != y.round()][0]}")
    return y.astype(np.int64)


def labels_below(y: np.ndarray, name: str, C: int, source: str = "") -> None:
    """Check that the labels ``y`` (from :func:`labels`) lie in ``0, …, C-1``; ``source``
    says where ``C`` comes from (for example "the rows of W"), for the message."""
    if y.size and (y.min() < 0 or y.max() >= C):
        where = f" (C = {C} is {source})" if source else ""
        raise ValueError(
            f"{name} must lie in 0, …, {C - 1}{where}; got values {y.min()} … {y.max()}"
        )


def positive_int(x, name: str, minimum: int = 1, maximum: int | None = None) -> int:
    """Return ``x`` as an ``int``, checking that it is an integer ``>= minimum`` (and
    ``<= maximum`` when given). A bool is refused; a 0-d integer array is accepted."""
    if isinstance(x, np.ndarray) and x.ndim == 0:
        x = x[()]
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, numbers.Integral):
        raise TypeError(f"{name} must be an integer; got {x!r} of type {type(x).__name__}")
    if x < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {x}")
    if maximum is not None and x > maximum:
        raise ValueError(f"{name} must be an integer <= {maximum}; got {x}")
    return int(x)


def _as_float(x, name: str, what: str) -> float:
    """``x`` as a ``float`` (``inf`` for an integer too large), or a TypeError saying that
    ``name`` must be ``what``. A bool, a string, a complex number is refused; a 0-d real
    array is accepted."""
    if isinstance(x, np.ndarray) and x.ndim == 0 and x.dtype.kind in "iuf":
        x = x[()]
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name} must be {what}; got {x!r} of type {type(x).__name__}")
    try:
        return float(x)
    except OverflowError:
        return float("inf")


def instance(x, kind, name: str, what: str):
    """Return ``x`` if it is an instance of ``kind`` (a type or a tuple of types), else raise
    a TypeError saying that ``name`` must be ``what`` (for example "a PlaneView (from
    ufm.experiments.simplex_plane)")."""
    if not isinstance(x, kind):
        raise TypeError(f"{name} must be {what}; got {type(x).__name__}")
    return x


def is_scalar(x) -> bool:
    """Whether ``x`` stands for one value rather than an array: not a list or tuple, and of
    dimension 0 if it has a dimension. Unlike ``np.ndim`` it never raises (a ragged list
    makes numpy raise an error that names no argument)."""
    return not isinstance(x, (list, tuple)) and getattr(x, "ndim", 0) == 0


def real(x, name: str) -> float:
    """Return ``x`` as a finite ``float`` (see :func:`_as_float` for what is refused)."""
    value = _as_float(x, name, "a real number")
    if not np.isfinite(value):
        raise ValueError(f"{name} must be a finite real number; got {x}")
    return value


def positive_float(x, name: str) -> float:
    """Return ``x`` as a ``float``, checking that it is finite and strictly positive."""
    x = _as_float(x, name, "a positive number")
    if not np.isfinite(x) or x <= 0:
        raise ValueError(f"{name} must be a finite number > 0; got {x}")
    return x


def nonnegative_float(x, name: str) -> float:
    """Return ``x`` as a ``float``, checking that it is finite and ``>= 0``."""
    x = _as_float(x, name, "a number >= 0")
    if not np.isfinite(x) or x < 0:
        raise ValueError(f"{name} must be a finite number >= 0; got {x}")
    return x


def memory_limit() -> int:
    """The largest number of bytes one call may allocate: ``UFM_MEMORY_LIMIT`` from the
    environment when set (read at each call), else :data:`MEMORY_LIMIT` (2 GiB)."""
    value = os.environ.get("UFM_MEMORY_LIMIT")
    if value is None:
        return MEMORY_LIMIT
    try:
        limit = int(float(value))
    except (ValueError, OverflowError):
        limit = -1
    if limit <= 0:
        raise ValueError(f"UFM_MEMORY_LIMIT must be a number of bytes > 0; got {value!r}")
    return limit


def fits_in_memory(nbytes, name: str) -> None:
    """Refuse, before anything is allocated, a call that would need ``nbytes`` bytes
    (because of the argument(s) ``name``) above :func:`memory_limit`.

    Raises
    ------
    ValueError
        Naming ``name``, the memory needed and the limit.
    """
    limit = memory_limit()
    if nbytes > limit:
        need = float(nbytes) / 2**30 if nbytes < 2**1000 else float("inf")
        raise ValueError(
            f"{name} would need {need:.3g} GiB of memory, above the limit of "
            f"{limit / 2**30:.3g} GiB (UFM_MEMORY_LIMIT); use smaller sizes, or raise the "
            "limit by setting the environment variable UFM_MEMORY_LIMIT to a number of bytes"
        )


def sizes(C, N, p) -> tuple[int, int, int]:
    """Check the sizes of the model: ``C >= 2`` classes, ``N >= 1``, ``p >= 1``."""
    return positive_int(C, "C", 2), positive_int(N, "N"), positive_int(p, "p")


def seed_or_none(seed, name: str = "seed"):
    """Check that ``seed`` is ``None``, a non-negative integer or a numpy ``Generator``."""
    if seed is None or isinstance(seed, np.random.Generator):
        return seed
    return positive_int(seed, name, 0)


def triple(H, W, b, batch: bool = False):
    """Check a state ``(H, W, b)`` of the model and read its sizes from the shapes.

    A single state has ``H`` of shape ``(p, C*N)``, ``W`` of shape ``(C, p)`` and ``b`` of
    shape ``(C,)``. With ``batch=True`` a stack of ``K`` states is also accepted: shapes
    ``(K, p, C*N)``, ``(K, C, p)`` and ``(K, C)``.

    Returns
    -------
    H, W, b : ndarray
        float64 arrays.
    C, N, p : int
        Number of classes, samples per class and feature dimension.
    batched : bool
        Whether the input was a stack of states.
    """
    W = as_array(W, "W", (2, 3) if batch else 2)
    batched = W.ndim == 3
    try:
        H = as_array(H, "H", W.ndim)
    except ValueError:
        if batch and np.ndim(H) == 5 - W.ndim:  # a single state mixed with a batch
            raise ValueError(
                f"W has shape {np.shape(W)} but H has shape {np.shape(H)}; expected a single "
                "state (H and W 2-D, b 1-D) or a batch (H and W 3-D, b 2-D), not a mix"
            ) from None
        raise
    b = as_array(b, "b", W.ndim - 1)
    C, p = W.shape[-2:]
    if C < 2:
        raise ValueError(f"W has {C} row; expected one row per class and C >= 2 classes")
    if H.shape[-2] != p:
        raise ValueError(f"H has {H.shape[-2]} rows; expected p = {p} (the number of columns of W)")
    if H.shape[-1] % C:
        raise ValueError(
            f"H has {H.shape[-1]} columns; expected C*N columns for C={C} classes "
            f"(a multiple of {C}, samples ordered class by class)"
        )
    N = H.shape[-1] // C
    if b.shape[-1] != C:
        raise ValueError(f"b has {b.shape[-1]} entries; expected C = {C} (one per class)")
    if batched:
        K = W.shape[0]
        if H.shape[0] != K or b.shape[0] != K:
            raise ValueError(
                f"batch sizes differ: H has {H.shape[0]} runs, W has {K}, b has {b.shape[0]}"
            )
    return H, W, b, C, N, p, batched
