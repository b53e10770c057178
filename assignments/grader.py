"""The grading engine: runs students' notebooks confined, then grades them from outside.

For each submission the engine

1. starts a Python kernel through ``sandbox.py`` (writes only in a fresh scratch folder, reads
   only in the system and Python folders, no TCP, limits on CPU, memory, file size), with the
   private module ``_grading`` injected and the functions that the questions forbid
   (``FORBIDDEN`` of the hidden checks) replaced by ones that raise ``ForbiddenCall``;
2. runs the notebook once, top to bottom, with nbclient; a cell that raises does not stop the
   run, a cell that runs too long is interrupted;
3. runs each question's hidden check *here*, in the grader's process: the check drives the
   student's kernel through :class:`Student` (which only ever gets data back, through
   ``.npy`` files read with ``allow_pickle=False``) and compares with its own computation;
4. scans the student's code for references to the forbidden functions: a question whose
   function the notebook borrows from ``ufm`` scores 0, with a message saying so.

Feedback is the checks' messages, never a traceback, an assert line or an expected value.

Hidden checks (``hidden/<name>.py``, next to this file in an autograder zip)::

    from grader import Fail, Kernel

    FORBIDDEN = {"q1": ["ufm.risk", "ufm.model.risk"]}

    def q1(student, rng, params):
        got = student.call("risk", H, W, b)      # runs in the student's kernel
        if not np.isclose(got, reference):
            raise Fail("risk is off by a constant factor: did you forget the 1/(2CN)?")
        return 1.0                               # the fraction of the points earned

Command line::

    python grader.py ASSIGNMENT SUBMISSION... [--out gradebook.csv]   # a batch, one process each
    python grader.py --gradescope                                     # in Gradescope's container

``ASSIGNMENT`` is an assignment's name (its master and hidden checks in this repository), a
folder holding ``questions.json`` and ``hidden/<name>.py`` (an unpacked autograder), or an
autograder zip. A ``SUBMISSION`` is a notebook, a zip with a notebook inside (what the export
cell makes) or a folder of them (a sub-folder per student also works).
"""

from __future__ import annotations

import argparse
import ast
import csv
import hashlib
import importlib
import importlib.util
import io
import json
import math
import os
import re
import secrets
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import types
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

if __name__ == "__main__":
    # nbformat validates notebooks with jsonschema, whose optional IRI checker (rfc3987_syntax,
    # unused by notebooks' schema) compiles a grammar for over a second at import: a grading
    # process (one per submission) skips it.
    sys.modules.setdefault("rfc3987_syntax", None)
import nbformat  # noqa: E402
from jupyter_client.kernelspec import KernelSpec  # noqa: E402
from jupyter_client.manager import AsyncKernelManager  # noqa: E402
from nbclient import NotebookClient  # noqa: E402
from nbclient.exceptions import DeadKernelError  # noqa: E402

HERE = Path(__file__).resolve().parent
SANDBOX = HERE / "sandbox.py"
#: The tag of the export cell that generate.py appends; the grader does not run it.
EXPORT_TAG = "ufm-export"
#: A Gradescope container's root (``/autograder``), or another for tests.
GRADESCOPE_ROOT = Path(os.environ.get("UFM_AUTOGRADER_ROOT", "/autograder"))
#: The largest notebook taken out of a zip, in bytes.
MAX_NOTEBOOK = 100 << 20
#: Names in a student's code that reach into the grader's machinery.
RESERVED = ("_grading", "importlib.reload")


# ---------------------------------------------------------------------------------------------
# What hidden checks use


class Fail(Exception):
    """Raised by a check: the question earns ``score`` (a fraction, default 0) and the student
    reads ``message``, which names the mistake and gives a hint."""

    def __init__(self, message: str, score: float = 0.0):
        super().__init__(message)
        self.message = message
        self.score = score


@dataclass(frozen=True)
class Kernel:
    """An argument evaluated in the student's kernel, e.g. ``Kernel("_grading.reference.risk")``
    (``_grading.reference`` is the engine's unpoisoned copy of ``ufm``)."""

    expression: str


def _what(type_name: str) -> str:
    """A value of this type, in words (``...`` is the placeholder of the student version)."""
    if type_name == "ellipsis":
        return "still `...` (put your answer in its place)"
    return f"an object of type {type_name}"


class Student:
    """The student's kernel, as a hidden check sees it. Every method raises :class:`Fail`
    with a plain message when the student's side goes wrong."""

    def __init__(self, session: _Session):
        self._session = session

    def call(self, name: str, *args, timeout: float = 30, replace: dict | None = None):
        """Call the student's top-level function ``name`` on ``args`` in their kernel.

        Arguments and results are numbers, strings, numpy arrays, and tuples or lists of them;
        an argument may be a :class:`Kernel` expression. ``replace`` rebinds the student's
        globals for the duration of the call (say, to the reference for an earlier question).
        """
        request = {"op": "call", "name": name, "args": list(args), "replace": replace or {}}
        answer = self._session.request(request, timeout, f"`{name}`")
        status = answer["status"]
        if status == "missing":
            raise Fail(f"Your notebook defines no `{name}`: did the cell that defines it run?")
        if status == "not_callable":
            raise Fail(f"`{name}` is {_what(answer['type'])}, not a function.")
        if status == "raised":
            raise Fail(f"`{name}` raised {answer['type']}: {answer['message']}")
        if status == "unsendable":
            raise Fail(
                f"`{name}` returned an object of type {answer['type']}; return numbers or "
                "numpy arrays (or a tuple of them)."
            )
        return answer["value"]

    def value(self, name: str):
        """The value of the student's variable ``name`` (numbers, strings, arrays, tuples or
        lists of them)."""
        answer = self._session.request({"op": "value", "name": name}, 30, f"`{name}`")
        if answer["status"] == "missing":
            raise Fail(f"Your notebook defines no `{name}`: did the cell that defines it run?")
        if answer["status"] == "unsendable":
            raise Fail(f"`{name}` is {_what(answer['type'])}; it should be a number or an array.")
        return answer["value"]

    def defines(self, name: str) -> bool:
        """Whether the student's notebook defines ``name``."""
        return self._session.request({"op": "defines", "name": name}, 30, f"`{name}`")["value"]


# ---------------------------------------------------------------------------------------------
# Inside the student's kernel: the module ``_grading`` (sent as text, run before their code)

KERNEL_SIDE = r'''
"""The grader's helper in a student's kernel: unpoisoned references, poisoned forbidden
functions, and answers to the grader's requests through files (JSON and .npy only)."""
import importlib, json, os, sys, types
import numpy as np
from IPython import get_ipython


class ForbiddenCall(Exception):
    """The student's code called a function that a question asks them to write."""


hits = []
reference = None
_user = get_ipython().user_ns


class _Unsendable(Exception):
    pass


def _snapshot(module, seen):
    if module.__name__ not in seen:
        copy = seen[module.__name__] = types.SimpleNamespace()
        for key, value in list(vars(module).items()):
            if isinstance(value, types.ModuleType) and value.__name__.startswith("ufm."):
                value = _snapshot(value, seen)
            setattr(copy, key, value)
    return seen[module.__name__]


def _poisoned(original, message):
    def poisoned(*args, **kwargs):
        caller = sys._getframe(1).f_globals.get("__name__") or ""
        if caller == "ufm" or caller.startswith("ufm."):
            return original(*args, **kwargs)
        hits.append(message)
        raise ForbiddenCall(message)

    poisoned.__name__ = original.__name__
    poisoned.__qualname__ = original.__qualname__
    poisoned.__doc__ = original.__doc__
    return poisoned


def setup(forbidden):
    """Keep a copy of ufm as it is, then poison every alias of the forbidden functions."""
    global reference
    import ufm
    for dotted in forbidden:
        importlib.import_module(dotted.rpartition(".")[0])
    reference = _snapshot(ufm, {})
    targets = {}
    for dotted, message in forbidden.items():
        module, _, name = dotted.rpartition(".")
        function = getattr(sys.modules[module], name)
        targets.setdefault(id(function), (function, _poisoned(function, message)))
    for module_name, module in list(sys.modules.items()):
        if module_name == "ufm" or module_name.startswith("ufm."):
            for key, value in list(vars(module).items()):
                entry = targets.get(id(value))
                if entry is not None and entry[0] is value:
                    setattr(module, key, entry[1])


def _decode(item, folder):
    (kind, value), = item.items()
    if kind == "py":
        return value
    if kind in ("npy", "scalar"):
        array = np.load(os.path.join(folder, value), allow_pickle=False)
        return array[()] if kind == "scalar" else array
    if kind == "kernel":
        return eval(value, dict(_user, _grading=sys.modules[__name__]))
    items = [_decode(v, folder) for v in value]
    return tuple(items) if kind == "tuple" else items


def _encode(value, folder, depth=0):
    if value is None or isinstance(value, (bool, int, float, str)):
        if isinstance(value, str) and len(value) > 100_000:
            raise _Unsendable("very long string")
        return {"py": value}
    if isinstance(value, (np.ndarray, np.generic)) and not np.asarray(value).dtype.hasobject:
        name = f"{len(os.listdir(folder))}.npy"
        np.save(os.path.join(folder, name), np.asarray(value), allow_pickle=False)
        return {"scalar" if isinstance(value, np.generic) else "npy": name}
    if isinstance(value, (tuple, list)) and depth < 8 and len(value) <= 10_000:
        kind = "tuple" if isinstance(value, tuple) else "list"
        return {kind: [_encode(v, folder, depth + 1) for v in value]}
    raise _Unsendable(type(value).__name__)


def _call(request, folder):
    name = request["name"]
    if name not in _user:
        return {"status": "missing"}
    function = _user[name]
    if not callable(function):
        return {"status": "not_callable", "type": type(function).__name__}
    try:
        args = [_decode(a, folder) for a in request["args"]]
        replace = {k: _decode(v, folder) for k, v in request["replace"].items()}
    except Exception as error:
        return {"status": "bad_request", "message": f"{type(error).__name__}: {error}"}
    saved = {k: _user[k] for k in replace if k in _user}
    _user.update(replace)
    try:
        result = function(*args)
    finally:
        for k in replace:
            if k in saved:
                _user[k] = saved[k]
            else:
                _user.pop(k, None)
    return {"status": "ok", "value": _encode(result, folder)}


def _value(request, folder):
    if request["name"] not in _user:
        return {"status": "missing"}
    return {"status": "ok", "value": _encode(_user[request["name"]], folder)}


def _defines(request, folder):
    return {"status": "ok", "value": {"py": request["name"] in _user}}


def serve(folder):
    """Answer the request in folder/request.json with folder/answer.json (+ .npy files)."""
    hits.clear()
    with open(os.path.join(folder, "request.json")) as f:
        request = json.load(f)
    op = {"call": _call, "value": _value, "defines": _defines}[request["op"]]
    try:
        answer = op(request, folder)
    except _Unsendable as error:
        answer = {"status": "unsendable", "type": str(error)}
    except BaseException as error:
        try:
            message = str(error)[:500]
        except BaseException:
            message = ""
        answer = {"status": "raised", "type": type(error).__name__, "message": message}
    answer["forbidden"] = list(hits)
    with open(os.path.join(folder, "answer.json"), "w") as f:
        json.dump(answer, f)
'''


def _forbidden_message(question: str, dotted: str, how: str) -> str:
    """What a student reads when their ``how`` (``code calls``, ``notebook uses``) ``dotted``."""
    function = dotted.rpartition(".")[2]
    return f"{question} asks you to write {function} yourself; your {how} {dotted}"


def _setup_code(forbidden: dict[str, list[str]]) -> str:
    """The code that creates ``_grading`` in the kernel and poisons the forbidden functions,
    leaving no name in the student's namespace."""
    messages = {}
    for question, names in forbidden.items():
        for dotted in names:
            messages.setdefault(dotted, _forbidden_message(question, dotted, "code calls"))
    return (
        "__import__('sys').modules['_grading'] = __import__('types').ModuleType('_grading')\n"
        f"exec({KERNEL_SIDE!r}, __import__('sys').modules['_grading'].__dict__)\n"
        f"__import__('_grading').setup({messages!r})\n"
    )


# ---------------------------------------------------------------------------------------------
# Data through files: the grader writes arguments, reads answers (never a pickle, never a link)


def _encode(value, save: Callable[[str, bytes], None]):
    """A grader-side argument as JSON; ``save(name, data)`` stores its arrays as .npy files."""
    if isinstance(value, Kernel):
        return {"kernel": value.expression}
    if value is None or isinstance(value, (bool, int, float, str)):
        return {"py": value}
    if isinstance(value, (np.ndarray, np.generic)):
        data = io.BytesIO()
        np.save(data, np.asarray(value), allow_pickle=False)
        name = f"arg{secrets.token_hex(4)}.npy"
        save(name, data.getvalue())
        return {"scalar" if isinstance(value, np.generic) else "npy": name}
    if isinstance(value, (tuple, list)):
        kind = "tuple" if isinstance(value, tuple) else "list"
        return {kind: [_encode(v, save) for v in value]}
    raise TypeError(f"a {type(value).__name__} cannot be sent to the student's kernel")


def _write(folder_fd: int, name: str, data: bytes) -> None:
    """Create ``name`` in the folder; never through a link, never over an existing file."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    with os.fdopen(os.open(name, flags, 0o644, dir_fd=folder_fd), "wb") as f:
        f.write(data)


def _read(folder_fd: int, name: str, limit: int) -> bytes:
    """The bytes of ``name`` in the folder, refusing links and anything but regular files."""
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=folder_fd)
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise ValueError(f"{name} is not a regular file")
        data = f.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"{name} is larger than {limit} bytes")
    return data


def _decode(item, folder_fd: int, depth: int = 0):
    """A value the kernel sent (see ``_encode`` in :data:`KERNEL_SIDE`)."""
    if not isinstance(item, dict) or len(item) != 1 or depth > 8:
        raise ValueError("malformed answer")
    ((kind, value),) = item.items()
    if kind == "py" and (value is None or isinstance(value, (bool, int, float, str))):
        return value
    if kind in ("npy", "scalar") and isinstance(value, str) and re.fullmatch(r"\d+\.npy", value):
        array = np.load(io.BytesIO(_read(folder_fd, value, 1 << 30)), allow_pickle=False)
        return array[()] if kind == "scalar" else array
    if kind in ("tuple", "list") and isinstance(value, list):
        items = [_decode(v, folder_fd, depth + 1) for v in value]
        return tuple(items) if kind == "tuple" else items
    raise ValueError("malformed answer")


# ---------------------------------------------------------------------------------------------
# One submission: a sandboxed kernel driven by nbclient


@dataclass
class Limits:
    """Time and memory limits, in seconds and bytes."""

    cell_timeout: float = 60
    notebook_timeout: float = 300
    timeout: float = 600
    memory: int = 4 << 30


class _Client(NotebookClient):
    """nbclient's NotebookClient, remembering whether the last cell timed out and keeping no
    output but errors (a notebook that prints without end must not fill the grader's memory)."""

    timed_out = False

    async def _async_handle_timeout(self, timeout, cell=None):
        self.timed_out = True
        return await super()._async_handle_timeout(timeout, cell)

    def output(self, outs, msg, display_id, cell_index):
        if msg["msg_type"] == "error":
            return super().output(outs, msg, display_id, cell_index)
        return None


class _SandboxedKernelManager(AsyncKernelManager):
    """Starts the kernel with the command of its ``spec`` (sandbox.py, then ipykernel)."""

    spec: KernelSpec | None = None

    @property
    def kernel_spec(self) -> KernelSpec | None:
        return self.spec


def _kernel_manager(scratch: Path, limits: Limits, read: list[str]) -> AsyncKernelManager:
    """A kernel manager that starts ipykernel through sandbox.py, talking over Unix sockets in
    the scratch folder (the sandbox forbids TCP)."""
    argv = [sys.executable, str(SANDBOX), "--root", str(scratch)]
    argv += [f"--cpu={math.ceil(limits.timeout)}", f"--memory={limits.memory}"]
    argv += [f"--read={folder}" for folder in read]
    argv += ["--", sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    manager = _SandboxedKernelManager(
        kernel_name="python3",
        transport="ipc",
        ip=str(scratch / "kernel"),
        connection_file=str(scratch / "kernel.json"),
    )
    manager.spec = KernelSpec(argv=argv, display_name="sandboxed Python", language="python")
    return manager


class _Session:
    """A student's notebook in a sandboxed kernel, and the grader's requests to it."""

    def __init__(self, client, scratch: Path):
        self.client, self.scratch = client, scratch
        self.broken: str | None = None  # why the kernel can no longer answer, for the student
        self.status: str | None = None  # the same, for the gradebook
        self.forbidden_hits: list[str] = []
        # Every file operation in the scratch folder goes through this descriptor and refuses
        # links: the student's code can write there, not make the grader write elsewhere.
        self.scratch_fd = os.open(scratch, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)

    def run(self, source: str, timeout: float, store_history: bool = False):
        """Run ``source`` in the kernel; return the cell (with its outputs) or None if it
        timed out. Raises DeadKernelError if the kernel dies."""
        cell = nbformat.v4.new_code_cell(source)
        self.client.nb.cells.append(cell)
        self.client.timeout = max(1, math.ceil(timeout))
        self.client.timed_out = False
        try:
            self.client.execute_cell(cell, len(self.client.nb.cells) - 1, store_history)
        finally:
            self.client.nb.cells.pop()
        return None if self.client.timed_out else cell

    def stop(self, status: str, message: str) -> None:
        """Give up on the kernel: every later request fails with ``message``."""
        self.status = self.status or status
        self.broken = self.broken or message

    def responsive(self) -> bool:
        """Whether the kernel answers again after a timeout (the interrupt worked)."""
        return self.run("pass", 10) is not None

    def request(self, request: dict, timeout: float, what: str) -> dict:
        """Send a request to ``_grading.serve``; return its answer with values decoded."""
        if self.broken:
            raise Fail(self.broken)
        token = secrets.token_hex(8)
        os.mkdir(token, 0o755, dir_fd=self.scratch_fd)
        fd = os.open(token, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=self.scratch_fd)
        try:
            return self._exchange(fd, str(self.scratch / token), request, timeout, what)
        finally:
            os.close(fd)

    def _exchange(self, fd: int, folder: str, request: dict, timeout: float, what: str) -> dict:
        """Write the request into the folder ``fd``, have the kernel serve it, read the answer."""
        request = dict(request)

        def save(name: str, data: bytes) -> None:
            _write(fd, name, data)

        if "args" in request:
            request["args"] = [_encode(a, save) for a in request["args"]]
            request["replace"] = {k: _encode(v, save) for k, v in request["replace"].items()}
        _write(fd, "request.json", json.dumps(request).encode())
        try:
            done = self.run(f"__import__('_grading').serve({folder!r})", timeout)
        except DeadKernelError:
            self.stop(
                "crashed: the kernel died during a check",
                f"Not graded: your notebook's kernel stopped (out of memory or CPU time?) while "
                f"running {what}.",
            )
            raise Fail(self.broken) from None
        if done is None:
            if not self.responsive():
                self.stop(
                    f"timed out: a check's call ran over {timeout:g} s and did not stop",
                    f"Not graded: {what} ran over {timeout:g} s and could not be stopped, so "
                    "your notebook's kernel no longer answers.",
                )
            raise Fail(f"{what} did not finish within {timeout:g} s: is there an endless loop?")
        try:
            sent = json.loads(_read(fd, "answer.json", 1 << 24))
            if not isinstance(sent, dict):
                raise ValueError("malformed answer")
            answer = {key: str(sent.get(key, ""))[:500] for key in ("status", "type", "message")}
            if answer["status"] == "ok":
                answer["value"] = _decode(sent.get("value"), fd)
        except (OSError, ValueError) as error:
            raise Fail(f"The grader got no usable answer from {what}.") from error
        hits = sent.get("forbidden")
        self.forbidden_hits += [str(m)[:500] for m in hits[:10]] if isinstance(hits, list) else []
        if answer["status"] == "raised" and answer["type"] == "ForbiddenCall":
            raise Fail(answer["message"])
        if answer["status"] == "bad_request":
            raise RuntimeError(f"the check's request failed in the kernel: {answer['message']}")
        return answer


# ---------------------------------------------------------------------------------------------
# Static scan of the student's code


def _code_of(source: str) -> ast.Module | None:
    """The syntax tree of a cell (IPython magics turned into Python first), None if invalid."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        return ast.parse(TransformerManager().transform_cell(source))
    except (SyntaxError, ValueError):
        return None


def _dotted(node: ast.AST, aliases: dict[str, str]) -> str | None:
    """The dotted name an expression like ``u.model.risk`` stands for, with import aliases."""
    if isinstance(node, ast.Name):
        return aliases.get(node.id, node.id)
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value, aliases)
        return base and f"{base}.{node.attr}"
    return None


def scan(sources: list[str]) -> list[tuple[str, str, bool]]:
    """Every dotted name the code refers to, with the first line of its cell and whether it is
    only a string: attribute chains (``ufm.model.risk`` through any import alias),
    ``from ufm import risk``, ``getattr(ufm, "risk")``, and string constants (as in
    ``sys.modules["_grading"]``)."""
    trees = [(_code_of(source), source.strip().splitlines()[0]) for source in sources]
    trees = [(tree, first) for tree, first in trees if tree is not None]
    aliases: dict[str, str] = {}
    for tree, _ in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    top = alias.name.split(".")[0]
                    aliases[alias.asname or top] = alias.name if alias.asname else top
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    found = []
    for tree, first in trees:
        for node in ast.walk(tree):
            names, string = [], isinstance(node, ast.Constant)
            if isinstance(node, (ast.Name, ast.Attribute)):
                names.append(_dotted(node, aliases))
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names += [f"{node.module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                names += [alias.name for alias in node.names]
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                names.append(node.value)
            if (
                isinstance(node, ast.Call)
                and _dotted(node.func, aliases) == "getattr"
                and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant)
                and isinstance(node.args[1].value, str)
            ):
                base = _dotted(node.args[0], aliases)
                names.append(base and f"{base}.{node.args[1].value}")
            found += [(name, first, string) for name in names if name]
    return found


def forbidden_aliases(forbidden: dict[str, list[str]]) -> dict[str, tuple[str, str]]:
    """Every dotted name in ``ufm`` that is one of the forbidden functions (``ufm.risk`` is
    ``ufm.model.risk`` is ``ufm.check._risk``...) -> (question, the name listed)."""
    objects: dict[int, tuple[str, str]] = {}
    for question, names in forbidden.items():
        for dotted in names:
            module = importlib.import_module(dotted.rpartition(".")[0])
            objects.setdefault(id(getattr(module, dotted.rpartition(".")[2])), (question, dotted))
    aliases = {}
    for question, names in forbidden.items():
        aliases.update({dotted: (question, dotted) for dotted in names})
    for module_name, module in list(sys.modules.items()):
        if module_name == "ufm" or module_name.startswith("ufm."):
            for key, value in list(vars(module).items()):
                if id(value) in objects:
                    aliases.setdefault(f"{module_name}.{key}", objects[id(value)])
    return aliases


# ---------------------------------------------------------------------------------------------
# Assignments and submissions


@dataclass
class Question:
    name: str
    points: float
    manual: bool = False


@dataclass
class Assignment:
    """What the engine needs: the questions (from the master) and the hidden checks."""

    name: str
    questions: list[Question]
    checks: str
    title: str = ""
    student_parameters: bool = False

    @classmethod
    def from_json(cls, data: dict) -> Assignment:
        data = dict(data)
        questions = [Question(**q) for q in data.pop("questions")]
        return cls(questions=questions, **data)


def load_assignment(spec: str, workdir: Path) -> Assignment:
    """The assignment ``spec``: a folder with ``questions.json`` and ``hidden/<name>.py``, an
    autograder zip (unpacked into ``workdir``), or the name of a master in this repository.

    Raises
    ------
    ValueError
        If ``spec`` is none of these.
    """
    path = Path(spec)
    if path.suffix == ".zip" and path.is_file():
        with zipfile.ZipFile(path) as archive:
            archive.extractall(workdir / "autograder")
        path = workdir / "autograder"
    if (path / "questions.json").is_file():
        table = json.loads((path / "questions.json").read_text())
        table["checks"] = str((path / "hidden" / f"{table['name']}.py").resolve())
        return Assignment.from_json(table)
    master = HERE / "masters" / f"{spec}.ipynb"
    if re.fullmatch(r"[\w-]+", spec) and master.is_file():
        generate = _load_module("generate", HERE / "generate.py")
        table = generate.question_table(generate.read_master(master))
        table["checks"] = str(HERE / "hidden" / f"{spec}.py")
        return Assignment.from_json(table)
    known = ", ".join(sorted(p.stem for p in (HERE / "masters").glob("*.ipynb")))
    raise ValueError(
        f"ASSIGNMENT {spec!r} is not a folder with questions.json, an autograder zip or the "
        f"name of a master (known: {known or 'none'})"
    )


def _load_module(name: str, path: Path) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    module = sys.modules[name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _load_checks(path: str) -> types.ModuleType:
    """The hidden checks, whose ``from grader import Fail, Kernel`` must get *this* module."""
    sys.modules.setdefault("grader", sys.modules[__name__])
    if sys.modules["grader"].Fail is not Fail:
        raise RuntimeError("another module called grader is loaded; the checks need this one")
    return _load_module("_hidden_checks", Path(path))


def find_submissions(paths: list[str], assignment: str) -> list[tuple[str, Path]]:
    """(identity, path) of each submission. A folder argument stands for its notebooks, zips
    and sub-folders; the identity is the file's stem, or its folder's name when the file is
    named after the assignment (``ada/gradients.ipynb`` is ada's).

    Raises
    ------
    ValueError
        If a path does not exist, is not a notebook, zip or folder, or two submissions have
        the same identity.
    """
    found: list[tuple[str, Path]] = []
    for argument in paths:
        path = Path(argument)
        if not path.exists():
            raise ValueError(f"SUBMISSION {argument}: no such file or folder")
        entries = sorted(path.iterdir()) if path.is_dir() else [path]
        entries = [e for e in entries if e.is_dir() or e.suffix in (".ipynb", ".zip")]
        entries = [e for e in entries if not e.name.startswith(".")]
        if not entries and path.is_dir():
            raise ValueError(f"SUBMISSION {argument}: the folder has no notebook, zip or folder")
        if path.is_file() and path.suffix not in (".ipynb", ".zip"):
            raise ValueError(f"SUBMISSION {argument}: expected a .ipynb, a .zip or a folder")
        for entry in entries:
            stem = entry.stem if entry.is_file() else entry.name
            if stem == assignment:
                stem = entry.resolve().parent.name
            found.append((stem, entry))
    seen: dict[str, Path] = {}
    for identity, entry in found:
        if identity in seen:
            raise ValueError(f"two submissions for {identity}: {seen[identity]} and {entry}")
        seen[identity] = entry
    return found


def notebook_of(path: Path, workdir: Path, assignment: str) -> Path:
    """The notebook of a submission: the file itself, the one in a zip (extracted into
    ``workdir``) or in a folder. Raises ValueError if there is none, or several."""
    if path.is_dir():
        candidates = sorted(p for p in path.rglob("*") if p.suffix in (".ipynb", ".zip"))
        candidates = [p for p in candidates if ".ipynb_checkpoints" not in p.parts]
        notebooks = [p for p in candidates if p.suffix == ".ipynb"] or candidates
        return notebook_of(_one(notebooks, assignment, path), workdir, assignment)
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.endswith(".ipynb")]
            names = [n for n in names if "checkpoint" not in n and "__MACOSX" not in n]
            chosen = _one([Path(n) for n in names], assignment, path)
            name = next(n for n in names if Path(n) == chosen)
            if archive.getinfo(name).file_size > MAX_NOTEBOOK:
                raise ValueError(f"{name} in {path.name} is larger than {MAX_NOTEBOOK} bytes")
            target = workdir / "submitted.ipynb"
            target.write_bytes(archive.read(name))
            return target
    return path


def _one(paths: list[Path], assignment: str, where: Path) -> Path:
    """The only path, or the only one named after the assignment."""
    named = [p for p in paths if p.stem == assignment]
    if len(paths) == 1:
        return paths[0]
    if len(named) == 1:
        return named[0]
    if not paths:
        raise ValueError(f"{where.name} holds no notebook")
    raise ValueError(f"{where.name} holds several notebooks and none is {assignment}.ipynb")


# ---------------------------------------------------------------------------------------------
# Grading one submission (in its own process)


def _rng(secret: str, identity: str, question: str) -> np.random.Generator:
    digest = hashlib.sha256(f"{secret}\0{identity}\0{question}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:16], "big"))


def _first_line(source: str) -> str:
    line = source.strip().splitlines()[0] if source.strip() else ""
    return line if len(line) <= 50 else line[:47] + "..."


def _read_folders() -> list[str]:
    """Folders the kernel must read besides the Python installation: ufm's (an editable
    install lives in a source tree)."""
    spec = importlib.util.find_spec("ufm")
    return [str(Path(spec.origin).parent)] if spec and spec.origin else []


def grade_notebook(
    assignment: Assignment,
    notebook: Path,
    identity: str,
    secret: str,
    limits: Limits,
    workdir: Path | None = None,
) -> dict:
    """Run one notebook in a sandboxed kernel (its scratch folder made in ``workdir``) and
    grade it.

    Returns
    -------
    dict
        ``student``, ``status`` (``ok``, ``timed out: ...``, ``crashed: ...``), ``notes`` and
        ``questions`` (``name``, ``points``, ``manual``, ``score``, ``message``) for the
        student; ``errors`` for the teacher (checks that failed for another reason).

    Raises
    ------
    ValueError
        If ``notebook`` is not a readable notebook.
    """
    checks = _load_checks(assignment.checks)
    forbidden = getattr(checks, "FORBIDDEN", {})
    forbidden_aliases(forbidden)  # a misspelt name fails here, before any grading
    result = {"student": identity, "status": "ok", "notes": [], "errors": [], "questions": []}
    try:
        nb = nbformat.read(notebook, as_version=4)
    except Exception as error:
        raise ValueError(f"{notebook.name} is not a readable notebook") from error
    sources = [
        cell.source
        for cell in nb.cells
        if cell.cell_type == "code"
        and cell.source.strip()
        and EXPORT_TAG not in cell.metadata.get("tags", [])
    ]
    scratch = Path(tempfile.mkdtemp(prefix="scratch-", dir=workdir))
    shutil.copyfile(notebook, scratch / f"{assignment.name}.ipynb")
    client = _Client(
        nbformat.v4.new_notebook(),
        km=_kernel_manager(scratch, limits, _read_folders()),
        allow_errors=True,
        interrupt_on_timeout=True,
        error_on_timeout={"ename": "TimeoutError", "evalue": "cell timed out", "traceback": []},
        iopub_timeout=2,
        shutdown_kernel="immediate",
    )
    session = None
    try:
        with open(scratch / "kernel.log", "wb") as log:
            with client.setup_kernel(cleanup_kc=True, stdout=log, stderr=log):
                session = _Session(client, scratch)
                _set_up(session, forbidden)
                _run_cells(session, sources, limits, result)
                _grade_questions(assignment, checks, session, identity, secret, result)
                result["status"] = session.status or result["status"]
    except DeadKernelError:
        result["status"] = "crashed: the kernel died while grading"
    finally:
        if session is not None:
            os.close(session.scratch_fd)
        shutil.rmtree(scratch, ignore_errors=True)
    _apply_scan(sources, forbidden, result)
    return result


def _set_up(session: _Session, forbidden: dict[str, list[str]]) -> None:
    """Inject ``_grading`` and poison the forbidden functions, before the student's code.

    Raises
    ------
    RuntimeError
        If that fails in the kernel (ufm missing from the grading environment, say).
    """
    cell = session.run(_setup_code(forbidden), 60)
    errors = [o for o in (cell.outputs if cell else []) if o.output_type == "error"]
    if cell is None or errors:
        why = f"{errors[0].ename}: {errors[0].evalue}" if errors else "it timed out"
        raise RuntimeError(f"the grader's set-up failed in the student's kernel: {why}")


def _run_cells(session: _Session, sources: list[str], limits: Limits, result: dict) -> None:
    """Run the notebook's code cells in order, within the cell and notebook time limits."""
    from nbclient.exceptions import DeadKernelError

    deadline = time.monotonic() + limits.notebook_timeout
    for source in sources:
        left = deadline - time.monotonic()
        if left <= 0:
            result["status"] = f"timed out: the notebook ran over {limits.notebook_timeout:g} s"
            result["notes"].append(
                f"Your notebook ran over {limits.notebook_timeout:g} s; its last cells did not run."
            )
            return
        try:
            done = session.run(source, min(limits.cell_timeout, left), store_history=True)
        except DeadKernelError:
            session.stop(
                "crashed: the kernel died running a cell",
                "Not graded: your notebook's kernel stopped (out of memory or CPU time?).",
            )
            result["notes"].append(
                f"The kernel stopped while running the cell that starts with "
                f"`{_first_line(source)}` (out of memory or CPU time?); later cells did not run."
            )
            return
        if done is None:
            seconds = min(limits.cell_timeout, left)
            result["status"] = f"timed out: a cell ran over {seconds:g} s"
            result["notes"].append(
                f"The cell that starts with `{_first_line(source)}` ran over {seconds:g} s and "
                "was stopped."
            )
            if not session.responsive():
                session.stop(
                    f"timed out: a cell ran over {seconds:g} s and did not stop",
                    "Not graded: your notebook did not stop after a cell ran too long.",
                )
                return


def _identity_note(student: Student, identity: str) -> str | None:
    """A note when the notebook's ``STUDENT`` is not the submission's identity."""
    try:
        if not student.defines("STUDENT"):
            return None
        claimed = student.value("STUDENT")
    except Fail:
        claimed = None
    if isinstance(claimed, str) and claimed.strip() == identity:
        return None
    said = f"says STUDENT = {claimed.strip()!r}" if isinstance(claimed, str) else "sets no STUDENT"
    return f"Your notebook {said}, but this submission is {identity!r}: it was graded as such."


def _grade_questions(assignment, checks, session, identity, secret, result) -> None:
    """Run each autograded question's check; record its score and message."""
    student = Student(session)
    params = {}
    if assignment.student_parameters:
        from ufm import check

        params = check.parameters(assignment.name, identity)
    note = None if session.broken else _identity_note(student, identity)
    if note:
        result["notes"].insert(0, note)
    for question in assignment.questions:
        entry = {**asdict(question), "score": None, "message": ""}
        result["questions"].append(entry)
        if question.manual:
            entry["message"] = f"Graded by your teacher ({question.points:g} points)."
            continue
        entry["score"], entry["message"] = 0.0, ""
        check = getattr(checks, question.name, None)
        if check is None:
            entry["message"] = "This question has no automatic check; your teacher grades it."
            result["errors"].append(f"{question.name}: the hidden checks define no function")
            continue
        session.forbidden_hits.clear()
        rng = _rng(secret, identity, question.name)
        try:
            fraction = check(student, rng, params)
            message = "Right." if fraction == 1 else "Partly right."
            if isinstance(fraction, bool) or not isinstance(fraction, (int, float)):
                raise TypeError(f"the check returned {fraction!r}, not a fraction of the points")
        except Fail as failure:
            fraction, message = failure.score, failure.message
        except Exception as error:  # a bug in the check, or an answer it did not expect
            fraction = 0.0
            message = "This question could not be graded automatically; your teacher will."
            result["errors"].append(f"{question.name}: {type(error).__name__}: {error}")
        if session.forbidden_hits:
            fraction, message = 0.0, session.forbidden_hits[0]
        fraction = float(fraction) if isinstance(fraction, (int, float)) else 0.0
        fraction = min(max(fraction, 0.0), 1.0) if math.isfinite(fraction) else 0.0
        entry["score"], entry["message"] = round(fraction * question.points, 6), message


def _apply_scan(sources: list[str], forbidden: dict, result: dict) -> None:
    """Zero the questions whose forbidden functions the code refers to; zero all of them if
    the code reaches into the grader (``_grading``, ``importlib.reload``)."""
    aliases = forbidden_aliases(forbidden)
    by_question: dict[str, str] = {}
    reserved = None
    for name, first, string in scan(sources):
        if name in aliases and not string:
            question, _ = aliases[name]
            by_question.setdefault(
                question,
                _forbidden_message(question, name, "notebook uses")
                + f" (in the cell that starts with `{_first_line(first)}`)",
            )
        elif reserved is None and any(name == r or name.startswith(r + ".") for r in RESERVED):
            reserved = name
    for entry in result["questions"]:
        if entry["manual"]:
            continue
        message = by_question.get(entry["name"])
        if reserved is not None:
            message = f"Your notebook uses {reserved}, which is reserved for the grader."
        if message:
            entry["score"], entry["message"] = 0.0, message


# ---------------------------------------------------------------------------------------------
# Reports: feedback text, gradebook, Gradescope's results.json


def totals(result: dict) -> tuple[float, float, float]:
    """(points autograded, autograded points possible, manual points pending)."""
    auto = [q for q in result["questions"] if not q["manual"]]
    manual = [q for q in result["questions"] if q["manual"]]
    return (
        sum(q["score"] or 0 for q in auto),
        sum(q["points"] for q in auto),
        sum(q["points"] for q in manual),
    )


def feedback_text(result: dict) -> str:
    """What the student reads: notes, one line per question, the totals."""
    lines = [f"Feedback for {result['student']}"]
    lines += [f"Note: {note}" for note in result["notes"]]
    lines.append("")
    for q in result["questions"]:
        score = "manual" if q["manual"] else f"{q['score']:g} / {q['points']:g}"
        lines.append(f"{q['name']}: {score}. {q['message']}".rstrip())
    got, possible, manual = totals(result)
    lines += ["", f"Total: {got:g} of {possible:g} autograded; {manual:g} manual pending"]
    return "\n".join(lines) + "\n"


def write_gradebook(path: Path, assignment: Assignment, results: list[dict]) -> None:
    """The CSV gradebook: student, one column per question (blank for manual), autograded,
    autograded_max, manual_pending, status."""
    names = [q.name for q in assignment.questions]
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(
            ["student", *names, "autograded", "autograded_max", "manual_pending", "status"]
        )
        for result in results:
            scores = {q["name"]: q["score"] for q in result["questions"]}
            got, _, _ = totals(result)
            row = [result["student"]]
            row += [
                "" if q.manual or scores.get(q.name) is None else f"{scores[q.name]:g}"
                for q in assignment.questions
            ]
            possible = sum(q.points for q in assignment.questions if not q.manual)
            manual = sum(q.points for q in assignment.questions if q.manual)
            writer.writerow([*row, f"{got:g}", f"{possible:g}", f"{manual:g}", result["status"]])


def gradescope_results(result: dict, assignment: Assignment) -> dict:
    """Gradescope's results.json for one submission.

    Manual questions appear as tests with ``max_score`` 0 and an output saying that the
    teacher grades them: Gradescope adds the tests' ``max_score`` up into the autograder's
    total, and its users grade written answers as separate questions of the assignment's
    outline, so the autograder's total must hold the autograded points only, while the
    student still sees every question listed next to the others.
    """
    by_name = {q["name"]: q for q in result["questions"]}
    tests = []
    for question in assignment.questions:
        entry = by_name.get(question.name)
        if question.manual:
            score, max_score = 0.0, 0.0
            output = f"Graded by your teacher ({question.points:g} points), not by the autograder."
        else:
            score, max_score = (entry or {}).get("score") or 0.0, question.points
            output = entry["message"] if entry else f"Not graded: {result['status']}."
        tests.append(
            {
                "name": question.name,
                "score": score,
                "max_score": max_score,
                "output": output,
                "visibility": "visible",
            }
        )
    header = "\n".join(result["notes"])
    got, possible, manual = totals(result)
    summary = f"{got:g} of {possible:g} autograded; {manual:g} manual pending"
    return {
        "output": f"{header}\n{summary}".strip(),
        "tests": tests,
        "visibility": "visible",
        "stdout_visibility": "hidden",
    }


# ---------------------------------------------------------------------------------------------
# Processes: one per submission, a batch around them


def run_child(job: dict, limit: float) -> dict:
    """Grade one submission in a fresh process of this file; a row that says so when it times
    out or crashes."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child"]
    # The child works in a folder of ours, removed even when the child had to be killed.
    with tempfile.TemporaryDirectory(prefix="ufm-grade-") as workdir:
        try:
            done = subprocess.run(
                command,
                input=json.dumps({**job, "workdir": workdir}),
                capture_output=True,
                text=True,
                timeout=limit,
                start_new_session=True,
            )
        except subprocess.TimeoutExpired:
            return _unfinished(job, f"timed out: over {limit:g} s, not graded")
    lines = done.stdout.strip().splitlines()
    try:
        result = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        error = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return _unfinished(job, f"crashed: exit code {done.returncode}", [error])
    return result


def _unfinished(job: dict, status: str, errors: list[str] = ()) -> dict:
    assignment = Assignment.from_json(dict(job["assignment"]))
    questions = [
        {**asdict(q), "score": None if q.manual else 0.0, "message": f"Not graded: {status}."}
        for q in assignment.questions
    ]
    return {
        "student": job["identity"],
        "status": status,
        "notes": [f"Your submission was not graded ({status})."],
        "errors": list(errors),
        "questions": questions,
    }


def child_main() -> None:
    """Grade the job given on standard input; print the result as one JSON line."""
    job = json.loads(sys.stdin.read())
    assignment = Assignment.from_json(job["assignment"])
    limits, workdir = Limits(**job["limits"]), Path(job["workdir"])
    try:
        notebook = notebook_of(Path(job["submission"]), workdir, assignment.name)
        result = grade_notebook(
            assignment, notebook, job["identity"], job["secret"], limits, workdir
        )
    except (ValueError, zipfile.BadZipFile) as error:
        result = _unfinished(job, f"error: {error}")
    print(json.dumps(result))


def grade_batch(
    assignment: Assignment,
    submissions: list[tuple[str, Path]],
    out: Path,
    limits: Limits,
    secret: str,
    jobs: int = 1,
    progress: Callable[[dict], None] = lambda result: None,
) -> list[dict]:
    """Grade every submission in its own process; write the gradebook ``out`` and a feedback
    file per student in ``out``'s folder/feedback. Return the results, in order."""

    def one(item):
        identity, path = item
        job = {
            "assignment": asdict(assignment),
            "submission": str(path.resolve()),
            "identity": identity,
            "secret": secret,
            "limits": asdict(limits),
        }
        result = run_child(job, limits.timeout)
        progress(result)
        return result

    with ThreadPoolExecutor(max(1, jobs)) as pool:
        results = list(pool.map(one, submissions))
    write_gradebook(out, assignment, results)
    feedback = out.parent / "feedback"
    feedback.mkdir(parents=True, exist_ok=True)
    for result in results:
        name = re.sub(r"[^\w.@-]", "_", result["student"])
        (feedback / f"{name}.txt").write_text(feedback_text(result))
    return results


def gradescope_main(limits: Limits, secret: str) -> Path:
    """Grade ``<root>/submission`` as Gradescope lays it out; write ``<root>/results/results.json``
    (``<root>`` is ``/autograder``, or ``UFM_AUTOGRADER_ROOT``)."""
    root = GRADESCOPE_ROOT
    assignment = load_assignment(str(HERE), HERE)
    identity = "submission"
    metadata = root / "submission_metadata.json"
    if metadata.is_file():
        users = json.loads(metadata.read_text()).get("users") or [{}]
        identity = str(users[0].get("sid") or users[0].get("email") or identity)
    job = {
        "assignment": asdict(assignment),
        "submission": str(root / "submission"),
        "identity": identity,
        "secret": secret,
        "limits": asdict(limits),
    }
    result = run_child(job, limits.timeout)
    for error in result["errors"]:
        print(f"{identity}: {error}")
    results = root / "results" / "results.json"
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps(gradescope_results(result, assignment), indent=1))
    return results


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be positive")
    return value


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Grade notebooks: each runs confined, then hidden checks call its functions.",
        usage="%(prog)s ASSIGNMENT SUBMISSION... [options]  |  %(prog)s --gradescope",
    )
    parser.add_argument("assignment", nargs="?", help="a name, an autograder folder or zip")
    parser.add_argument("submissions", nargs="*", help="notebooks, zips or folders of them")
    parser.add_argument(
        "--out", type=Path, help="the gradebook (default grades/NAME/gradebook.csv)"
    )
    parser.add_argument(
        "--gradescope", action="store_true", help="grade as Gradescope's run_autograder"
    )
    parser.add_argument(
        "--timeout", type=_positive, default=600, help="seconds per submission (600)"
    )
    parser.add_argument(
        "--notebook-timeout", type=_positive, default=300, help="seconds to run a notebook (300)"
    )
    parser.add_argument("--cell-timeout", type=_positive, default=60, help="seconds per cell (60)")
    parser.add_argument(
        "--memory", type=_positive, default=4 << 30, help="bytes per kernel (4 GiB)"
    )
    parser.add_argument("--jobs", type=int, default=1, help="submissions graded at once (1)")
    parser.add_argument("--seed", type=int, help="fix the checks' random inputs (for tests)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child_main()
    limits = Limits(args.cell_timeout, args.notebook_timeout, args.timeout, int(args.memory))
    secret = f"seed:{args.seed}" if args.seed is not None else secrets.token_hex(16)
    if not _load_module("sandbox", SANDBOX).landlock_abi():
        if os.environ.get("UFM_REQUIRE_SANDBOX") == "1":
            parser.error("Landlock is unavailable and UFM_REQUIRE_SANDBOX=1 requires it")
        print(
            "warning: Landlock unavailable: notebooks' reads and writes are NOT confined",
            file=sys.stderr,
        )
    if args.gradescope:
        print(f"results: {gradescope_main(limits, secret)}")
        return
    if not args.assignment or not args.submissions:
        parser.error("give ASSIGNMENT and at least one SUBMISSION (a notebook, a zip or a folder)")
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    with tempfile.TemporaryDirectory(prefix="ufm-assignment-") as workdir:
        try:
            assignment = load_assignment(args.assignment, Path(workdir))
            submissions = find_submissions(args.submissions, assignment.name)
        except ValueError as error:
            parser.error(str(error))
        out = args.out or Path("grades") / assignment.name / "gradebook.csv"

        def progress(result):
            got, possible, manual = totals(result)
            print(
                f"{result['student']}: {got:g} of {possible:g} autograded; {manual:g} manual "
                f"pending ({result['status']})",
                flush=True,
            )
            for error in result["errors"]:
                print(f"{result['student']}: {error}", file=sys.stderr)

        grade_batch(assignment, submissions, out, limits, secret, args.jobs, progress)
    print(f"gradebook: {out}\nfeedback:  {out.parent / 'feedback'}")


if __name__ == "__main__":
    main()
