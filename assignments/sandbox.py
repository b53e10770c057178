"""Run a command confined to a scratch folder: the grader starts each student kernel with it.

Usage::

    python sandbox.py --root SCRATCH [--cpu SECONDS] [--memory BYTES] [--read DIR ...] -- CMD ...

The command runs with ``SCRATCH`` as its working folder and ``HOME`` (and ``TMPDIR``, the
Jupyter, IPython and matplotlib folders inside it), in an environment that keeps only the
caller's locale, ``PATH`` and ``JPY_*`` variables (no tokens or keys of the teacher's shell);
this process then *becomes* the command (``exec``), so the limits below hold for it and for
everything it starts.

What local grading prevents (Linux with Landlock, kernel 5.13 or later):

- **Writes** anywhere but the scratch folder (and ``/dev/null``): a student's notebook cannot
  change the grader, the hidden checks, the gradebook, another submission or the teacher's
  files.
- **Reads** anywhere but the system and Python folders (``/usr``, ``/lib*``, ``/etc``,
  ``/proc``, ``/sys``, ``/dev``, the Python installation and its site-packages), the folders
  given with ``--read`` and the scratch folder: the notebook cannot read the hidden checks,
  the other submissions or the grading folder.
- **TCP** (Landlock ABI 4, Linux 6.7): no connection and no listening socket; the kernel
  talks to the grader through Unix sockets in the scratch folder.
- **Signals and abstract Unix sockets** (ABI 6, Linux 6.12): no signal to, and no
  connection with, a process outside the sandbox.
- **Ptrace**: no inspection of the grader's memory or of ``/proc/<pid>/environ`` of a
  process outside the sandbox (Landlock forbids it at every ABI).
- **Runaway resources**: CPU seconds (``RLIMIT_CPU``), address space (``RLIMIT_AS``), the size
  of any one file (``RLIMIT_FSIZE``), core dumps, and the number of processes of the user
  (``RLIMIT_NPROC``, which does not apply to root). The command dies with its parent.

What it does not prevent, and a container or a separate machine (Gradescope runs each
submission in its own container) does in addition: UDP traffic (DNS lookups included), the
disk filling up with many files within the size limit, reading world-readable files of the
system folders, the load put on a machine shared with other users, and attacks on the Linux
kernel itself. Without Landlock (an older or non-Linux kernel) only the resource limits and
the working folder apply: reads and writes are *not* confined. The grader then says so, and
``UFM_REQUIRE_SANDBOX=1`` (or ``--require``) makes that an error instead.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import resource
import shutil
import signal
import site
import sys

#: Folders the command may read and execute from, besides those of the Python installation.
SYSTEM_READ = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc", "/proc", "/sys", "/dev")

# Landlock (include/uapi/linux/landlock.h); the system call numbers are the same on every
# architecture that has them.
_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
_EXECUTE, _WRITE_FILE, _READ_FILE, _READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_TRUNCATE, _IOCTL_DEV = 1 << 14, 1 << 15
#: Access rights on files and folders known at each ABI (``ABI: all rights``).
_FS_RIGHTS = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 5: (1 << 16) - 1}
_NET_BIND_TCP, _NET_CONNECT_TCP = 1 << 0, 1 << 1
_SCOPE_ABSTRACT_UNIX_SOCKET, _SCOPE_SIGNAL = 1 << 0, 1 << 1
_PR_SET_NO_NEW_PRIVS, _PR_SET_PDEATHSIG = 38, 1


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


class SandboxUnavailable(RuntimeError):
    """Landlock is missing and the caller required it."""


def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def landlock_abi() -> int:
    """The Landlock ABI version of the running Linux kernel, 0 if it has none (or is not Linux)."""
    if not sys.platform.startswith("linux"):
        return 0
    abi = _libc().syscall(_CREATE_RULESET, None, ctypes.c_size_t(0), _CREATE_RULESET_VERSION)
    return max(int(abi), 0)


def python_folders() -> list[str]:
    """The folders of the running Python: its prefixes and site-packages (user site included)."""
    folders = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    folders.update(site.getsitepackages())
    folders.add(site.getusersitepackages())
    return sorted(f for f in folders if os.path.isdir(f))


def _fs_rights(abi: int) -> int:
    return _FS_RIGHTS[max(level for level in _FS_RIGHTS if level <= abi)]


def confine(root: str, read: list[str], abi: int) -> None:
    """Restrict this process and its future children with Landlock: reads and executes only
    below ``read`` and ``root``, writes only below ``root`` (and to ``/dev/null``), no TCP.

    Raises
    ------
    OSError
        If a Landlock system call fails.
    """
    libc = _libc()
    handled = _fs_rights(abi)
    attr = _RulesetAttr(handled, 0, 0)
    size = 8
    if abi >= 4:
        attr.handled_access_net, size = _NET_BIND_TCP | _NET_CONNECT_TCP, 16
    if abi >= 6:
        attr.scoped, size = _SCOPE_ABSTRACT_UNIX_SOCKET | _SCOPE_SIGNAL, 24
    ruleset = libc.syscall(_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), 0)
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset failed")
    read_rights = _EXECUTE | _READ_FILE | _READ_DIR
    file_rights = _EXECUTE | _WRITE_FILE | _READ_FILE | (_TRUNCATE | _IOCTL_DEV) & handled
    rules = [(path, read_rights) for path in read] + [(root, handled)]
    rules += [("/dev/null", file_rights & ~_EXECUTE)]
    try:
        for path, rights in rules:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except FileNotFoundError:
                continue
            if not os.path.isdir(path):
                rights &= file_rights
            try:
                rule = _PathBeneathAttr(rights & handled, fd)
                if libc.syscall(_ADD_RULE, ruleset, _RULE_PATH_BENEATH, ctypes.byref(rule), 0):
                    raise OSError(ctypes.get_errno(), f"landlock_add_rule failed for {path}")
            finally:
                os.close(fd)
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0):
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
        if libc.syscall(_RESTRICT_SELF, ruleset, 0):
            raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")
    finally:
        os.close(ruleset)


def _user_processes() -> int:
    """How many processes (threads included) the real user runs now."""
    uid, count = os.getuid(), 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    count += len(os.listdir(f"/proc/{entry.name}/task"))
            except OSError:
                pass
    return count


def limit_resources(cpu: int, memory: int, file_size: int, processes: int) -> None:
    """Hard limits for this process and its children: CPU seconds, bytes of address space,
    bytes per file, no core dumps, and at most ``processes`` more processes of the user."""
    limits = {
        resource.RLIMIT_CPU: cpu,
        resource.RLIMIT_AS: memory,
        resource.RLIMIT_FSIZE: file_size,
        resource.RLIMIT_CORE: 0,
    }
    if sys.platform.startswith("linux"):
        limits[resource.RLIMIT_NPROC] = _user_processes() + processes
    for which, value in limits.items():
        _, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, value))


def die_with_parent() -> None:
    """Ask Linux to kill this process when its parent ends (no orphaned kernels)."""
    if sys.platform.startswith("linux"):
        parent = os.getppid()
        _libc().prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:
            os._exit(1)


def scratch_environment(root: str) -> dict[str, str]:
    """The environment of the command: the locale, ``PATH`` and Jupyter's ``JPY_*`` variables
    of the caller (none of its tokens or keys), every per-user folder inside ``root``, and one
    thread per numerical library unless the caller chose otherwise."""
    keep = ("PATH", "LANG", "LANGUAGE", "TZ", "TERM")
    env = {k: v for k, v in os.environ.items() if k in keep or k.startswith(("LC_", "JPY_"))}
    for threads in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[threads] = os.environ.get(threads, "1")
    folders = {
        "HOME": "",
        "TMPDIR": "tmp",
        "IPYTHONDIR": ".ipython",
        "MPLCONFIGDIR": ".matplotlib",
        "JUPYTER_CONFIG_DIR": ".jupyter",
        "JUPYTER_DATA_DIR": ".local/share/jupyter",
        "JUPYTER_RUNTIME_DIR": ".local/share/jupyter/runtime",
        "XDG_CACHE_HOME": ".cache",
        "XDG_CONFIG_HOME": ".config",
    }
    for name, sub in folders.items():
        env[name] = os.path.join(root, sub) if sub else root
        os.makedirs(env[name], exist_ok=True)
    env["PYTHONNOUSERSITE"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Run a command confined to a scratch folder (Landlock and rlimits).",
        usage="%(prog)s --root SCRATCH [options] -- CMD ...",
    )
    parser.add_argument("--root", required=True, help="the scratch folder (must exist)")
    parser.add_argument("--cpu", type=int, default=600, help="CPU seconds (default 600)")
    parser.add_argument(
        "--memory", type=int, default=4 << 30, help="bytes of address space (default 4 GiB)"
    )
    parser.add_argument(
        "--file-size", type=int, default=256 << 20, help="bytes per file (default 256 MiB)"
    )
    parser.add_argument(
        "--processes", type=int, default=256, help="more processes allowed (default 256)"
    )
    parser.add_argument("--read", action="append", default=[], help="another folder to read")
    parser.add_argument(
        "--require",
        action="store_true",
        default=os.environ.get("UFM_REQUIRE_SANDBOX") == "1",
        help="fail when Landlock is unavailable (default: UFM_REQUIRE_SANDBOX=1)",
    )
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then the command")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given: put it after --")
    root = os.path.realpath(args.root)
    if not os.path.isdir(root):
        parser.error(f"--root {args.root}: no such folder")
    for name in ("cpu", "memory", "file_size", "processes"):
        if getattr(args, name) <= 0:
            parser.error(f"--{name.replace('_', '-')} must be positive")
    program = shutil.which(command[0])
    if program is None:
        parser.error(f"{command[0]}: no such program")
    program = os.path.abspath(program)
    env = scratch_environment(root)
    abi = landlock_abi()
    if abi:
        read = [*SYSTEM_READ, *python_folders(), *map(os.path.realpath, args.read)]
        confine(root, read, abi)
    elif args.require:
        raise SandboxUnavailable(
            "Landlock is unavailable (Linux 5.13 or later with Landlock enabled is needed), "
            "so reads and writes cannot be confined; UFM_REQUIRE_SANDBOX=1 requires them"
        )
    else:
        print("sandbox: Landlock unavailable: reads and writes are NOT confined", file=sys.stderr)
    limit_resources(args.cpu, args.memory, args.file_size, args.processes)
    die_with_parent()
    os.chdir(root)
    os.execve(program, [program, *command[1:]], env)


if __name__ == "__main__":
    main()
