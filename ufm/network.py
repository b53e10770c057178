"""Neural collapse in a real network: a small MLP trained on handwritten digits.

The data are scikit-learn's handwritten digits (1797 images of 8 x 8 pixels, 10 classes),
which ship inside scikit-learn, so nothing is downloaded. The network is

    x ∈ R^64  ->  [linear -> ReLU] x depth  ->  h ∈ R^p  ->  W h + b ∈ R^C,

with last-layer features ``h`` (after the ReLU, as in the networks of Papyan, Han and
Donoho), trained on the book's squared loss ``1/(2n) ||W H + b 1^T - Y||_F^2`` with one-hot
targets, by full-batch gradient descent with heavy-ball momentum and weight decay on every
parameter. Everything is plain numpy and seeded, so a run is reproducible.

The run shown in the book takes minutes, so its checkpoints are shipped in
``ufm/data/digits_checkpoints.npz``, with those of the same run without weight decay in
``ufm/data/digits_checkpoints_no_decay.npz``; regenerate both with ``python -m ufm.network``.
"""

from __future__ import annotations

import argparse
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from . import _checks
from .collapse import nc_metrics

#: Where the checkpoints of the book's run are shipped.
CHECKPOINTS = Path(__file__).resolve().parent / "data" / "digits_checkpoints.npz"
#: Where the checkpoints of the same run without weight decay are shipped.
NO_DECAY_CHECKPOINTS = CHECKPOINTS.with_name("digits_checkpoints_no_decay.npz")

#: The neural-collapse measures recorded at each checkpoint (keys of :func:`ufm.nc_metrics`).
NC_KEYS = ("nc1", "nc2_equinorm", "nc2_equiangular", "nc2_maxangle", "nc3", "nc4")

#: Length of the book's run, in full-batch steps.
BOOK_STEPS = 4000

#: Checkpoints per decade of steps (the schedule does not depend on the length of the run).
PER_DECADE = 10


@dataclass(frozen=True)
class DigitsSetup:
    """Hyper-parameters of a training run (the defaults are the book's run).

    Attributes
    ----------
    width : int
        Width of the hidden layers before the feature layer.
    depth : int
        Number of ``linear -> ReLU`` layers; the last one outputs the features.
    p : int
        Feature dimension.
    lr : float
        Step size after the warm-up.
    warmup : int
        The step size grows linearly from ``lr/warmup`` to ``lr`` over this many steps.
    momentum : float
        Heavy-ball momentum ``m``: ``v <- m v - η (∇L + λ θ)``, ``θ <- θ + v``.
    weight_decay : float
        ``λ``, applied to every weight and bias.
    test_fraction : float
        Fraction of each class held out as a test set.
    seed : int
        Seeds the train/test split and the initialisation.
    """

    width: int = 256
    depth: int = 3
    p: int = 64
    lr: float = 0.1
    warmup: int = 300
    momentum: float = 0.9
    weight_decay: float = 5e-4
    test_fraction: float = 0.25
    seed: int = 0

    def __post_init__(self):
        for name in ("width", "depth", "p", "warmup"):  # 0-d arrays become ints
            object.__setattr__(self, name, _checks.positive_int(getattr(self, name), name))
        _checks.positive_float(self.lr, "lr")
        object.__setattr__(self, "seed", _checks.seed_or_none(self.seed))
        for name in ("momentum", "weight_decay", "test_fraction"):
            object.__setattr__(self, name, _checks.real(getattr(self, name), name))
        if not 0 <= self.momentum < 1:
            raise ValueError(f"momentum must be in [0, 1); got {self.momentum}")
        _checks.nonnegative_float(self.weight_decay, "weight_decay")
        if not 0 < self.test_fraction < 1:
            raise ValueError(f"test_fraction must be in (0, 1); got {self.test_fraction}")


@dataclass(frozen=True)
class DigitsRun:
    """Checkpoints of a training run on the digits.

    Attributes
    ----------
    setup : DigitsSetup
    steps : ndarray of int, shape (T,)
        Checkpointed steps: ``0``, about :data:`PER_DECADE` per decade, the first step with
        zero training error, and the last step.
    lr : ndarray, shape (T,)
        Step size in use at each checkpoint.
    loss : ndarray, shape (T,)
        Squared loss on the training set (without the weight-decay term).
    train_error : ndarray, shape (T,)
        Fraction of misclassified training images.
    test_error : ndarray, shape (T,)
        Fraction of misclassified test images.
    nc : dict of str to ndarray, shape (T,)
        The measures of :func:`ufm.nc_metrics` on the training features (keys
        :data:`NC_KEYS`), with the global mean taken as the mean of the class means; NaN
        ("no value") where the class means coincide (for example when every ReLU is dead).
    zero_error_step : int or None
        First step with zero training error (None if never reached).
    zero_error_from : int or None
        First step from which the training error stays zero until the end.
    mean_gram : ndarray, shape (T, C, C)
        Gram matrix ``μ_c^T μ_c'`` of the class means of the training features.
    diverged_at : int or None
        The step at which training diverged (the loss or the class-mean Gram matrix of the
        features stopped being finite), or None. A diverged run stops there:
        its checkpoints, features and classifier are the last finite ones.
    features : ndarray, shape (p, n)
        Last-layer training features at the last step (not shipped in the checkpoint file).
    labels : ndarray of int, shape (n,)
        Their labels.
    W : ndarray, shape (C, p)
        Classifier at the last step.
    b : ndarray, shape (C,)
        Bias at the last step.
    """

    setup: DigitsSetup
    steps: np.ndarray
    lr: np.ndarray
    loss: np.ndarray
    train_error: np.ndarray
    test_error: np.ndarray
    nc: dict
    zero_error_step: int | None
    zero_error_from: int | None
    mean_gram: np.ndarray
    diverged_at: int | None = None
    features: np.ndarray | None = field(default=None, repr=False)
    labels: np.ndarray | None = field(default=None, repr=False)
    W: np.ndarray | None = field(default=None, repr=False)
    b: np.ndarray | None = field(default=None, repr=False)


def load_digits_split(test_fraction: float = 0.25, seed: int = 0):
    """scikit-learn's digits, split per class into training and test sets, standardised.

    Each class is shuffled (seeded) and its first ``round(test_fraction * N_c)`` images go
    to the test set. Pixels are divided by 16, then centred and scaled with the training
    set's per-pixel mean and standard deviation (plus 0.1, so that pixels that are nearly
    always blank are not blown up).

    Returns
    -------
    X_train : ndarray, shape (64, n_train)
    y_train : ndarray of int, shape (n_train,)
    X_test : ndarray, shape (64, n_test)
    y_test : ndarray of int, shape (n_test,)
        Images as columns, sorted by class.
    """
    from sklearn.datasets import load_digits

    seed = DigitsSetup(test_fraction=test_fraction, seed=seed).seed  # validates both
    digits = load_digits()
    X, y = digits.data / 16.0, digits.target.astype(np.int64)
    rng = np.random.default_rng(seed)
    train, test = [], []
    for c in range(10):
        members = rng.permutation(np.flatnonzero(y == c))
        cut = int(round(test_fraction * members.size))
        if not 0 < cut < members.size:
            raise ValueError(
                f"test_fraction = {test_fraction} leaves class {c} ({members.size} images) "
                f"with {'no test' if cut == 0 else 'no training'} image; expected a fraction "
                f"in [{0.5 / members.size:.4f}, {1 - 0.5 / members.size:.4f}]"
            )
        test.append(np.sort(members[:cut]))
        train.append(np.sort(members[cut:]))
    train, test = np.concatenate(train), np.concatenate(test)
    mean = X[train].mean(axis=0)
    scale = X[train].std(axis=0) + 0.1
    return ((X[train] - mean) / scale).T, y[train], ((X[test] - mean) / scale).T, y[test]


def checkpoint_schedule(steps: int) -> np.ndarray:
    """Steps ``0``, ``round(10^(k/PER_DECADE))`` for ``k = 0, 1, …`` up to ``steps``, and
    ``steps`` itself; a longer run's schedule starts with a shorter run's."""
    steps = _checks.positive_int(steps, "steps", maximum=2**53)
    k = np.arange(int(np.floor(PER_DECADE * np.log10(steps))) + 1)
    grid = np.round(10.0 ** (k / PER_DECADE)).astype(np.int64)
    return np.unique(np.r_[0, grid[grid <= steps], steps])


def train_digits(steps: int = BOOK_STEPS, setup: DigitsSetup | None = None) -> DigitsRun:
    """Train the MLP on the digits and record neural-collapse measures at checkpoints.

    Parameters
    ----------
    steps : int
        Number of full-batch steps.
    setup : DigitsSetup, optional
        Hyper-parameters; default :class:`DigitsSetup()` (the book's run).

    Returns
    -------
    DigitsRun

    Notes
    -----
    The run is deterministic given ``setup.seed``; the first ``k`` steps of a long run equal
    a run of ``k`` steps, so a short run reproduces the beginning of the shipped file.
    Linear algebra runs on one thread (``threadpoolctl``, which scikit-learn installs):
    on a small machine shared with other work that is faster than two threads, and the
    sums are then added in the same order whatever the number of cores.
    """
    from threadpoolctl import threadpool_limits

    steps = _checks.positive_int(steps, "steps")
    setup = DigitsSetup() if setup is None else setup
    if not isinstance(setup, DigitsSetup):
        raise TypeError(f"setup must be a DigitsSetup; got {type(setup).__name__}")
    with threadpool_limits(1):
        return _train(steps, setup)


def _train(steps: int, setup: DigitsSetup) -> DigitsRun:
    """The training loop of :func:`train_digits` (single-threaded linear algebra)."""
    X, y, X_test, y_test = load_digits_split(setup.test_fraction, setup.seed)
    n, C = y.size, 10
    Y = np.eye(C)[:, y]
    params = _init_params(setup, X.shape[0], C)
    velocity = [np.zeros_like(q) for q in params]
    schedule = set(checkpoint_schedule(steps).tolist())

    records = {key: [] for key in ("steps", "lr", "loss", "train_error", "test_error", "gram")}
    nc = {key: [] for key in NC_KEYS}
    zero_step = diverged_at = None
    last_error_step = -1
    for k in range(steps + 1):
        eta = setup.lr * min(1.0, (k + 1) / setup.warmup)
        with np.errstate(all="ignore"):  # a step size or decay too large: see diverged_at
            layers, out = _forward(params, X, setup.depth)
            means = np.stack([layers[-1][:, y == c].mean(axis=1) for c in range(C)], axis=1)
            gram = means.T @ means
            residual = out - Y
            loss = float(np.vdot(residual, residual) / (2 * n))
        if not (np.isfinite(loss) and np.isfinite(gram).all()):
            diverged_at = k
            break
        H = layers[-1]
        W, b = params[-2].copy(), params[-1].copy()
        wrong = np.count_nonzero(out.argmax(axis=0) != y)
        if wrong:
            last_error_step = k
        elif zero_step is None:
            zero_step = k
        if k in schedule or k == zero_step:
            records["steps"].append(k)
            records["lr"].append(eta)
            records["loss"].append(loss)
            records["train_error"].append(wrong / n)
            _, out_test = _forward(params, X_test, setup.depth)
            records["test_error"].append(float(np.mean(out_test.argmax(axis=0) != y_test)))
            try:
                metrics = nc_metrics(H, y, W, b[:, 0])
            except ValueError:  # class means that coincide (dead features): 0/0, no value
                metrics = dict.fromkeys(NC_KEYS, np.nan)
            for key in NC_KEYS:
                nc[key].append(metrics[key])
            records["gram"].append(gram)
        if k == steps:
            break
        with np.errstate(all="ignore"):
            grads = _backward(params, layers, out, Y, setup.depth)
            for q, g, v in zip(params, grads, velocity):
                v *= setup.momentum
                v -= eta * (g + setup.weight_decay * q)
                q += v

    return DigitsRun(
        setup=setup,
        steps=np.array(records["steps"], dtype=np.int64),
        lr=np.array(records["lr"]),
        loss=np.array(records["loss"]),
        train_error=np.array(records["train_error"]),
        test_error=np.array(records["test_error"]),
        nc={key: np.array(values) for key, values in nc.items()},
        zero_error_step=zero_step,
        zero_error_from=(
            last_error_step + 1 if last_error_step < steps and diverged_at is None else None
        ),
        mean_gram=np.array(records["gram"]),
        diverged_at=diverged_at,
        features=H,
        labels=y,
        W=W,
        b=b[:, 0],
    )


def save_checkpoints(run: DigitsRun, path=CHECKPOINTS) -> Path:
    """Write a run's checkpoints (not its final features) to a compressed ``.npz`` file."""
    if not isinstance(run, DigitsRun):
        raise TypeError(f"run must be a DigitsRun; got {type(run).__name__}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    setup = asdict(run.setup)
    np.savez_compressed(
        path,
        setup_names=np.array(list(setup)),
        setup_values=np.array([float(v) for v in setup.values()]),
        steps=run.steps,
        lr=run.lr,
        loss=run.loss,
        train_error=run.train_error,
        test_error=run.test_error,
        mean_gram=run.mean_gram,
        zero_error=np.array(
            [-1 if s is None else s for s in (run.zero_error_step, run.zero_error_from)]
        ),
        **{f"nc_{key}": run.nc[key] for key in NC_KEYS},
    )
    return path


def load_checkpoints(path=CHECKPOINTS) -> DigitsRun:
    """Read checkpoints written by :func:`save_checkpoints` (default: the shipped run).

    Returns
    -------
    DigitsRun
        Without final features, labels or classifier (those fields are None).

    Raises
    ------
    FileNotFoundError
        If the file does not exist; regenerate it with ``python -m ufm.network``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"no checkpoint file at {path}; regenerate it with `python -m ufm.network`"
        )
    if not zipfile.is_zipfile(path):
        raise ValueError(
            f"path {path} is not a checkpoint file written by save_checkpoints (an .npz archive)"
        )
    with np.load(path, allow_pickle=False) as data:
        needed = {"setup_names", "setup_values", "steps", "zero_error", "mean_gram"}
        missing = sorted(needed - set(data.files))
        if missing:
            raise ValueError(
                f"path {path} is not a checkpoint file written by save_checkpoints: "
                f"it lacks {', '.join(missing)}"
            )
        values = dict(zip(data["setup_names"].tolist(), data["setup_values"].tolist()))
        ints = {"width", "depth", "p", "warmup", "seed"}
        setup = DigitsSetup(**{k: int(v) if k in ints else v for k, v in values.items()})
        zero = [None if s < 0 else int(s) for s in data["zero_error"]]
        return DigitsRun(
            setup=setup,
            steps=data["steps"],
            lr=data["lr"],
            loss=data["loss"],
            train_error=data["train_error"],
            test_error=data["test_error"],
            nc={key: data[f"nc_{key}"] for key in NC_KEYS},
            zero_error_step=zero[0],
            zero_error_from=zero[1],
            mean_gram=data["mean_gram"],
        )


def _check_run(run, name: str = "run") -> None:
    """Refuse anything but a :class:`DigitsRun` (TypeError naming the argument)."""
    if not isinstance(run, DigitsRun):
        raise TypeError(
            f"{name} must be a DigitsRun (from load_checkpoints or train_digits); "
            f"got {type(run).__name__}"
        )


def triangle(mean_gram, classes=(0, 1, 2)) -> np.ndarray:
    """Three class means drawn in their own plane, from the Gram matrix of the means.

    The three points keep their pairwise distances; they are centred at their centroid,
    scaled so that their mean distance from it is 1, and turned so that the first class
    points straight up (and the second lies to its left). A regular 2-simplex (an
    equilateral triangle) is what NC2 predicts for any three classes.

    Parameters
    ----------
    mean_gram : array_like, shape (C, C) or (T, C, C)
        Gram matrix ``μ_c^T μ_c'`` of the class means (the ``mean_gram`` of a
        :class:`DigitsRun`).
    classes : sequence of 3 int
        The classes to draw.

    Returns
    -------
    ndarray, shape (3, 2) or (T, 3, 2)
        Plane coordinates of the three means.
    """
    G = _checks.as_array(mean_gram, "mean_gram", (2, 3))
    C = G.shape[-1]
    if G.shape[-2] != C:
        raise ValueError(f"mean_gram has shape {G.shape}; expected square C x C matrices")
    if isinstance(classes, (str, bytes)) or not hasattr(classes, "__iter__"):
        raise TypeError(f"classes must be a sequence of 3 class indices; got {classes!r}")
    classes = [_checks.positive_int(c, "classes", 0) for c in classes]
    if len(classes) != 3 or len(set(classes)) != 3 or max(classes) >= C:
        raise ValueError(f"classes must be 3 different classes in 0, …, {C - 1}; got {classes}")
    sub = G[..., classes, :][..., :, classes]
    center = np.eye(3) - 1.0 / 3
    centred = center @ sub @ center
    values, vectors = np.linalg.eigh(centred)
    coords = vectors[..., :, 1:] * np.sqrt(np.clip(values[..., None, 1:], 0, None))
    radius = np.linalg.norm(coords, axis=-1).mean(axis=-1)
    size = np.sqrt(np.abs(np.diagonal(sub, axis1=-2, axis2=-1)).max(axis=-1))
    if not (radius > 1e-10 * size).all():
        raise ValueError(
            "mean_gram: the three class means coincide, so their triangle has no shape"
        )
    coords = coords / radius[..., None, None]
    turn = np.pi / 2 - np.arctan2(coords[..., 0, 1], coords[..., 0, 0])
    cos, sin = np.cos(turn)[..., None], np.sin(turn)[..., None]
    x, y = coords[..., 0], coords[..., 1]
    coords = np.stack([cos * x - sin * y, sin * x + cos * y], axis=-1)
    coords[..., 0] *= np.where(coords[..., 1, 0] > 0, -1.0, 1.0)[..., None]
    return coords


def _init_params(setup: DigitsSetup, d: int, C: int):
    """He-normal hidden layers, ``N(0, 1/p)`` classifier, zero biases (seeded)."""
    rng = np.random.default_rng(setup.seed)
    dims = [d] + [setup.width] * (setup.depth - 1) + [setup.p]
    weights = [
        rng.standard_normal((dims[i + 1], dims[i])) * np.sqrt(2.0 / dims[i])
        for i in range(setup.depth)
    ]
    biases = [np.zeros((dims[i + 1], 1)) for i in range(setup.depth)]
    W = rng.standard_normal((C, setup.p)) / np.sqrt(setup.p)
    return [*weights, *biases, W, np.zeros((C, 1))]


def _forward(params, X, depth):
    """Activations of every layer (input first, features last) and the outputs."""
    layers = [X]
    for i in range(depth):
        layers.append(np.maximum(params[i] @ layers[-1] + params[depth + i], 0.0))
    return layers, params[-2] @ layers[-1] + params[-1]


def _backward(params, layers, out, Y, depth):
    """Gradients of ``1/(2n) ||out - Y||_F^2`` for every parameter, in the order of params."""
    n = Y.shape[1]
    G = (out - Y) / n
    dW, db = G @ layers[-1].T, G.sum(axis=1, keepdims=True)
    g = params[-2].T @ G
    weights, biases = [None] * depth, [None] * depth
    for i in reversed(range(depth)):
        g = g * (layers[i + 1] > 0)
        weights[i] = g @ layers[i].T
        biases[i] = g.sum(axis=1, keepdims=True)
        if i:
            g = params[i].T @ g
    return [*weights, *biases, dW, db]


def shipped_runs() -> dict:
    """The shipped runs: name -> (checkpoint file, set-up)."""
    return {
        "book": (CHECKPOINTS, DigitsSetup()),
        "no_decay": (NO_DECAY_CHECKPOINTS, DigitsSetup(weight_decay=0.0)),
    }


def main(argv=None) -> None:
    """``python -m ufm.network [--run NAME] [--steps S] [--out-dir DIR]``: regenerate the
    shipped checkpoints (both runs by default; a few minutes each)."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--run", choices=[*shipped_runs(), "all"], default="all")
    parser.add_argument("--steps", type=int, default=BOOK_STEPS)
    parser.add_argument("--out-dir", type=Path, default=CHECKPOINTS.parent)
    args = parser.parse_args(argv)
    for name, (path, setup) in shipped_runs().items():
        if args.run not in (name, "all"):
            continue
        run = train_digits(args.steps, setup)
        written = save_checkpoints(run, args.out_dir / path.name)
        print(
            f"wrote {written}: {run.steps.size} checkpoints, zero training error from step "
            f"{run.zero_error_from}, NC1 {run.nc['nc1'][0]:.3g} -> {run.nc['nc1'][-1]:.3g}"
        )


if __name__ == "__main__":
    main()
