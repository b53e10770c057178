"""The layers of ``ufm`` (CONTRIBUTING.md, "Architecture"): each imports only those below it.

core concept modules < experiments (one module per chapter) < plots < views (widgets,
animation, check) < the book. And the chapters' computations run without ipywidgets.
"""

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "ufm"

CORE = {
    "_checks",
    "_descent",
    "model",
    "collapse",
    "subspace",
    "dynamics",
    "reduced",
    "spectrum",
    "extensions",
    "network",
    "streaming",
    "conventions",
}
LAYERS = {"core": 0, "experiments": 1, "plots": 2, "views": 3}


def layer(module: str) -> str:
    """The layer of ``ufm.<module>`` (a dotted name below ``ufm``)."""
    top = module.split(".")[0]
    if top in CORE:
        return "core"
    if top == "experiments":
        return "experiments"
    if top == "plots":
        return "plots"
    return "views"  # widgets, animation, check


def modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts:
            yield ".".join(parts), path


def imports(name: str, path: Path):
    """``(imported ufm module, third-party top-level name)`` pairs of one module, including
    imports inside functions."""
    package = name.split(".")[:-1] if path.name != "__init__.py" else name.split(".")
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
                if node.module is None:
                    for alias in node.names:
                        yield ".".join([*base, alias.name]), None
                elif target:
                    yield target, None
            elif node.module and node.module.split(".")[0] == "ufm":
                rest = node.module.split(".")[1:]
                if rest:
                    yield ".".join(rest), None
                else:
                    for alias in node.names:
                        yield alias.name, None
            elif node.module:
                yield None, node.module.split(".")[0]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield None, alias.name.split(".")[0]


MODULES = dict(modules())


@pytest.mark.parametrize("name", sorted(MODULES))
def test_each_module_imports_only_its_own_layer_or_those_below(name):
    mine = LAYERS[layer(name)]
    for target, third_party in imports(name, MODULES[name]):
        if target is not None:
            assert LAYERS[layer(target)] <= mine, f"ufm.{name} imports ufm.{target}"
        elif layer(name) in ("core", "experiments"):
            assert third_party not in {"ipywidgets", "IPython"}, f"ufm.{name} imports it"
            if layer(name) == "experiments":
                assert third_party != "matplotlib", f"ufm.{name} draws; plots do that"


def test_the_layer_map_knows_every_module():
    assert {"experiments.model", "experiments.results", "experiments.discussion"} <= set(MODULES)
    assert {layer(name) for name in MODULES} == set(LAYERS)


def test_every_chapter_computation_runs_with_ipywidgets_unimportable():
    script = textwrap.dedent(
        """
        import sys
        sys.modules["ipywidgets"] = None  # any "import ipywidgets" now raises ImportError
        import numpy as np
        import ufm
        from ufm import animation, check, network, plots
        from ufm.experiments import discussion, model, results

        sweep = model.eps_sweep(3, 3, 6, [1e-2, 1e-1], [0, 1], steps=50)
        assert sweep.errors.shape[:2] == (2, 2)
        snaps = model.descent_with_snapshots(ufm.random_init(3, 3, 6, 0.1, seed=0), 1.0, 50)
        assert snaps.trajectory.steps[-1] == 50
        H, W, b = ufm.strong_collapse(3, 2, 4)
        assert results.collapse_measures(*results.perturb(H, W, b, 1e-3, seed=0))["risk"] > 0
        assert discussion.narrow_run(5, 2, steps=100).risk.size > 0
        assert discussion.init_run(0.1).steps[-1] == discussion.INIT_STEPS
        assert discussion.step_size_sweep(lrs=[1.0, 2.5]).diverged_at[-1] > 0
        assert np.isfinite(discussion.decay_run("squared", 1e-3, steps=50).norm_W).all()
        assert discussion.imbalance_sweep(ratios=(1, 2), steps=50).ratios.size == 2
        run = network.load_checkpoints()
        assert run.steps.size > 0
        try:
            import ufm.widgets  # noqa: F401
        except ImportError:
            print("widgets need ipywidgets, and only they do")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert "only they do" in done.stdout


BOOK = PACKAGE.parent / "book"
TESTS = PACKAGE.parent / "tests"


def test_every_result_of_the_chapters_is_named_in_the_code_that_checks_it_and_in_a_test():
    """``grep -rn thm-invariance`` leads from the statement to its function and its test."""
    import re

    labels = set()
    for chapter in BOOK.glob("*.ipynb"):
        labels |= set(re.findall(r":label: ((?:thm|lem|cor)-[\w-]+)", chapter.read_text()))
    assert len(labels) >= 9, labels
    code = "\n".join(p.read_text() for p in PACKAGE.rglob("*.py"))
    tests = "\n".join(p.read_text() for p in TESTS.glob("test_*.py") if p.name != "test_layers.py")
    missing = {label for label in labels if label not in code or label not in tests}
    assert not missing, f"labels named nowhere in ufm/ or tests/: {sorted(missing)}"
