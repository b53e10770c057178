"""The three places that name dependencies (pyproject.toml, environment.yml and the
pre-commit configuration) must not drift apart."""

import re
import sys
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
ENVIRONMENT = yaml.safe_load((ROOT / "environment.yml").read_text())


def as_dict(specs):
    """Map each canonical package name to its version specifiers; a name given twice must agree."""
    out = {}
    for spec in specs:
        req = Requirement(spec)
        name = canonicalize_name(req.name)
        assert out.get(name, req.specifier) == req.specifier, f"{name} is pinned two ways"
        out[name] = req.specifier
    return out


def conda_packages():
    """The packages of environment.yml (conda and its pip sub-list), except python and pip."""
    specs = [d for d in ENVIRONMENT["dependencies"] if isinstance(d, str)]
    for entry in ENVIRONMENT["dependencies"]:
        if isinstance(entry, dict):
            specs += entry.get("pip", [])
    return [d for d in specs if re.split(r"[=<>!~ ]", d, maxsplit=1)[0] not in ("python", "pip")]


def test_environment_yml_lists_exactly_the_core_book_widgets_and_lab_dependencies():
    """Binder and conda users run the notebooks in JupyterLab: the lab extra is theirs too."""
    extras = PYPROJECT["optional-dependencies"]
    expected = as_dict(
        PYPROJECT["dependencies"] + extras["book"] + extras["widgets"] + extras["lab"]
    )
    assert as_dict(conda_packages()) == expected


def test_environment_yml_python_satisfies_requires_python():
    (python,) = [d for d in ENVIRONMENT["dependencies"] if str(d).startswith("python=")]
    version = Version(python.removeprefix("python="))
    assert version in SpecifierSet(PYPROJECT["requires-python"])


def test_no_extra_pulls_in_torch():
    for extra, specs in PYPROJECT["optional-dependencies"].items():
        assert "torch" not in as_dict(specs), f"torch appears in the {extra} extra"


def test_pre_commit_runs_the_ruff_version_pinned_in_the_test_extra():
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    (hook_repo,) = [r for r in config["repos"] if r["repo"].endswith("/ruff-pre-commit")]
    pinned = as_dict(PYPROJECT["optional-dependencies"]["test"])["ruff"]
    assert pinned == SpecifierSet("==" + hook_repo["rev"].removeprefix("v"))
