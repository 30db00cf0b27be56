"""Run an assembled notebook in the grading kernel, in a sandbox with no path back to the course.

The sandbox is a fresh temporary folder::

    lib/emcourse/{__init__,testing,kernel}.py   what the kernel needs of emcourse, copied
    lib/emlib/ ...                              the course's own packages, copied
    lib/emcourse_kernel.py                      the launcher (sys.path[0] is lib/)
    work/<submission>.ipynb                     the kernel's working directory

The kernel (``emcourse.kernel``) starts there with an environment from which every variable
pointing into the course folder is removed (``PWD``, ``PYTHONPATH`` entries, ...), drops the
course folder from ``sys.path`` and editable-install finders, and so finds ``emcourse.__file__``,
``emlib.__file__`` and its working directory all inside the sandbox.

On Linux the kernel is forked from a *zygote* (:class:`_Zygote`): a process started once per
grader, from a folder deleted as soon as it is ready, that has imported ipykernel, numpy and
scipy (``emcourse.kernel.ZYGOTE_IMPORTS``) and nothing of the course, and has run no student
code. A kernel then starts in half a second instead of two. The forked kernel leads a session of
its own, closes the zygote's pipes, takes its sandbox's working directory, environment and
``sys.path``, reseeds numpy, imports emcourse and the course from its sandbox, and is killed with
the zygote. ``EMCOURSE_FORK=0`` starts every kernel as a new Python process instead. Kernels
talk to the grader over Unix sockets in their sandbox (POSIX), not TCP ports.

Cells run one at a time (:func:`run`) through ``jupyter_client``, with the cell's role in the
execute request's metadata (the kernel runs the course's cells apart from the student's), and
four limits, each of which ends in a note rather than a crash:

* a per-cell time limit: the cell is interrupted and the next one runs;
* a cell that ignores the interrupt (a loop catching ``KeyboardInterrupt``) within ``GRACE``
  seconds ends the kernel: the cells after it are not run, instead of each waiting its timeout;
* a per-notebook time limit: the kernel is ended and what ran is graded;
* a cap on the output stored per cell (a printing loop costs no memory beyond it).

nbclient runs cells one at a time too, but sends no per-cell metadata and cannot tell a cell that
swallowed its interrupt from a slow one; this loop is the part of it the grader needs.
"""

from __future__ import annotations

import base64
import json
import logging
import atexit
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import numpy as np
import zmq
from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpecManager

KERNEL_NAME = "emcourse-grading"
# Seconds an interrupted cell may take to stop before the kernel is ended. A kernel flooding its
# output on a loaded 2-core machine was seen to need more than 3 s to answer the interrupt.
GRACE = 6.0
# Seconds the kernel may take to start (imports of numpy, scipy and the course's packages).
STARTUP_TIMEOUT = 60.0
# Seconds to wait for a finished cell's last output after its reply.
IOPUB_GRACE = 2.0
# Characters of output stored per cell (and sent by the kernel, which caps it too).
OUTPUT_LIMIT = 100_000
# Messages the grader's sockets queue before zmq drops output (a reply is never dropped).
RECEIVE_QUEUE = 64
# The files of emcourse the kernel needs; the rest of the grader stays out of the sandbox.
_KERNEL_FILES = ("testing.py", "kernel.py")
_LAUNCHER = "import sys\nfrom emcourse.kernel import main\n\nmain(sys.argv[1:])\n"
_ZYGOTE_LAUNCHER = "import sys\nfrom emcourse.kernel import zygote_main\n\nzygote_main(sys.argv[1:])\n"
# Fork kernels from a zygote that has imported their libraries once (Linux; EMCOURSE_FORK=0
# starts each kernel as a new Python process instead).
FORK = sys.platform.startswith("linux") and os.environ.get("EMCOURSE_FORK", "1") != "0"
_STUB_INIT = '"""emcourse, as the grading kernel sees it: only emcourse.testing."""\n'

_LOG = logging.getLogger("emcourse.execute")
_LOG.addHandler(logging.NullHandler())
_LOG.propagate = False


@dataclass
class CellRun:
    """What one cell did: ``status`` is "ok", "error" or "timeout"."""

    status: str
    outputs: list = field(default_factory=list)
    summary: dict = field(default_factory=dict)     # the kernel's "emcourse" field of the reply
    ename: str | None = None
    evalue: str | None = None


@dataclass
class NotebookRun:
    """The cells that ran (by index in the notebook) and what stopped the others."""

    cells: dict[int, CellRun] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


# ---------------------------------------------------------------------------------------------
# The sandbox


def _inside(path, roots) -> bool:
    real = os.path.realpath(path)
    return any(real == root or real.startswith(root + os.sep) for root in roots)


def course_packages(course_root: Path) -> list[Path]:
    """The importable packages in the course root (``emlib``), except the grader itself."""
    if not course_root.is_dir():
        return []
    return sorted(path for path in course_root.iterdir()
                  if (path / "__init__.py").is_file() and path.name != "emcourse")


def kernel_environment(hidden) -> dict[str, str]:
    """This process's environment without a trace of the ``hidden`` folders.

    ``PWD``/``OLDPWD`` go; search paths (``PYTHONPATH``, ``PATH``, ...) lose their entries inside
    a hidden folder; any other variable whose value names one is dropped.
    """
    roots = [os.path.realpath(path) for path in hidden]
    env = {}
    for key, value in os.environ.items():
        if key in ("PWD", "OLDPWD"):
            continue
        if not any(root in value for root in roots):
            env[key] = value
        elif key.endswith("PATH"):
            kept = [part for part in value.split(os.pathsep) if part and not _inside(part, roots)]
            if kept:
                env[key] = os.pathsep.join(kept)
    return env


class Sandbox:
    """A temporary folder holding what the grading kernel may see (see the module docstring)."""

    def __init__(self, course_root, hidden, preload, notebook_name: str, notebook_bytes: bytes,
                 output_limit: int = OUTPUT_LIMIT):
        self.root = Path(tempfile.mkdtemp(prefix="emcourse-grade-"))
        lib, self.work = self.root / "lib", self.root / "work"
        self.lib = lib
        self.work.mkdir()
        _write_kernel_files(lib, _LAUNCHER)
        for package in course_packages(Path(course_root)):
            shutil.copytree(package, lib / package.name,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "*.egg-info"))
        (self.work / notebook_name).write_bytes(notebook_bytes)   # the student's own copy
        self.config = self.root / "config.json"
        self.config.write_text(json.dumps({"hide": [str(p) for p in hidden],
                                           "preload": sorted(preload),
                                           "output_limit": output_limit}), encoding="utf-8")
        spec_dir = self.root / "kernels" / KERNEL_NAME
        spec_dir.mkdir(parents=True)
        (spec_dir / "kernel.json").write_text(json.dumps({
            "argv": [sys.executable, str(lib / "emcourse_kernel.py"),
                     *self.kernel_arguments("{connection_file}")],
            "display_name": "emcourse grading kernel", "language": "python",
            "interrupt_mode": "signal"}), encoding="utf-8")
        self.hidden = hidden

    def kernel_arguments(self, connection_file: str) -> list[str]:
        """What :func:`emcourse.kernel.main` takes (the kernel spec's argv without the launcher)."""
        return [str(self.config), "-f", connection_file, "--HistoryManager.enabled=False"]

    def kernel_manager(self) -> KernelManager:
        specs = KernelSpecManager(kernel_dirs=[str(self.root / "kernels")], ensure_native_kernel=False)
        # few queued messages per socket: a flood of output beyond them is dropped by zmq, not kept
        context = zmq.Context()
        context.setsockopt(zmq.RCVHWM, RECEIVE_QUEUE)
        # Unix sockets in the sandbox, not TCP ports: a port chosen free can be taken by another
        # kernel (nbval's, a second grading job) before this one binds it, and the kernel dies.
        # (zmq has no Unix sockets on Windows: TCP there.)
        sockets = {"transport": "ipc", "ip": str(self.root / "socket")} if os.name == "posix" else {}
        manager, extra = (_SandboxKernelManager, {"sandbox": self}) if FORK else (KernelManager, {})
        return manager(kernel_name=KERNEL_NAME, kernel_spec_manager=specs, log=_LOG,
                       context=context, **sockets, **extra)

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def _write_kernel_files(lib: Path, launcher: str) -> None:
    """``lib/emcourse/{__init__,testing,kernel}.py`` and ``lib/emcourse_kernel.py`` (``launcher``)."""
    (lib / "emcourse").mkdir(parents=True)
    here = Path(__file__).resolve().parent
    for name in _KERNEL_FILES:
        shutil.copy2(here / name, lib / "emcourse" / name)
    (lib / "emcourse" / "__init__.py").write_text(_STUB_INIT, encoding="utf-8")
    (lib / "emcourse_kernel.py").write_text(launcher, encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# Forked kernels


# Variables that change while the grader runs (pytest's, per test) and do not matter to what a
# zygote imports: set in each kernel, not part of which zygote forks it.
_PER_KERNEL_VARIABLES = ("PYTEST_CURRENT_TEST",)


class _Zygote:
    """A process that has imported the kernel's libraries and forks a kernel on request
    (``kind`` and ``imports``: see :func:`emcourse.kernel.zygote_main`).

    Started with the kernels' environment (:func:`kernel_environment`, without
    ``_PER_KERNEL_VARIABLES``) from a folder of its own, deleted once it is ready: nothing a
    kernel could find and rewrite for the next one. Each kernel then drops the routes to its own
    hidden folders (:func:`emcourse.kernel.forget_course`) and takes its exact environment.
    """

    def __init__(self, environment: dict[str, str], kind: str = "grading", imports=()):
        folder = Path(tempfile.mkdtemp(prefix="emcourse-zygote-"))
        try:
            _write_kernel_files(folder, _ZYGOTE_LAUNCHER)
            self.process = subprocess.Popen(
                [sys.executable, str(folder / "emcourse_kernel.py"), kind, *imports],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                cwd=folder, env=environment)
            ready = self._reply()
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        if ready != "ready":
            self.close()
            raise RuntimeError("the kernel zygote did not start")
        self.lock = threading.Lock()

    def _reply(self) -> str:
        stdout = self.process.stdout
        if not select.select([stdout], [], [], STARTUP_TIMEOUT)[0]:
            return ""
        return stdout.readline().decode().strip()

    def alive(self) -> bool:
        return self.process.poll() is None

    def fork(self, lib, cwd, arguments: list[str], environment: dict[str, str]) -> int:
        """The process id of a new kernel started with ``arguments`` in ``cwd`` (``lib``: a
        grading kernel's sandbox library, first on its ``sys.path``)."""
        request = json.dumps({"lib": str(lib), "cwd": str(cwd), "argv": arguments,
                              "env": environment})
        with self.lock:
            try:
                self.process.stdin.write(request.encode() + b"\n")
                self.process.stdin.flush()
            except OSError as error:
                raise RuntimeError(f"the kernel zygote is gone ({error})") from error
            reply = self._reply()
        if not reply.isdigit():
            raise RuntimeError("the kernel zygote did not fork a kernel")
        return int(reply)

    def close(self) -> None:
        """End the zygote; it kills the kernels it forked."""
        try:
            self.process.stdin.close()
            self.process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()


_ZYGOTES: dict[tuple, _Zygote] = {}
_ZYGOTES_LOCK = threading.Lock()


def _zygote(environment: dict[str, str], kind: str, imports: tuple,
            failed: _Zygote | None = None) -> _Zygote:
    """The zygote for ``kind`` kernels with this ``environment`` (one for the process's life: the
    grader's environment does not change; a new one if it has ended, or is the one that
    ``failed``)."""
    startup = {k: v for k, v in environment.items() if k not in _PER_KERNEL_VARIABLES}
    key = (kind, imports, tuple(sorted(startup.items())))
    with _ZYGOTES_LOCK:
        zygote = _ZYGOTES.get(key)
        if zygote is None or zygote is failed or not zygote.alive():
            if zygote is not None:
                zygote.close()
            zygote = _ZYGOTES[key] = _Zygote(startup, kind, imports)
        return zygote


def fork_kernel(cwd, arguments: list[str], environment: dict[str, str], *, kind: str = "grading",
                imports: tuple = (), lib=None) -> int:
    """The process id of a kernel forked by the zygote for ``kind`` and ``environment`` (started
    on first use), running in ``cwd`` with ``arguments`` (``lib``: a grading kernel's sandbox)."""
    zygote = _zygote(environment, kind, imports)
    try:
        return zygote.fork(lib or "", cwd, arguments, environment)
    except RuntimeError:   # killed, by an earlier kernel perhaps: start another, once
        zygote = _zygote(environment, kind, imports, failed=zygote)
        return zygote.fork(lib or "", cwd, arguments, environment)


@atexit.register
def _close_zygotes() -> None:
    with _ZYGOTES_LOCK:
        for zygote in _ZYGOTES.values():
            zygote.close()
        _ZYGOTES.clear()


class ForkedKernelManager(KernelManager):
    """A ``KernelManager`` whose kernel a zygote forks (:meth:`fork`) instead of a new process.

    ``KernelManager`` still writes the connection file and makes the client (whose liveness
    checks come here); the process is signalled here: interrupted and killed as a process group
    (it leads a session of its own), and alive while its id exists (the zygote has the system
    reap it when it ends).
    """

    _pid = None
    _launch: dict = {}

    def fork(self, connection_file: str, **launch) -> int:
        """Fork the kernel for ``connection_file``; its process id. ``launch``: start_kernel's."""
        raise NotImplementedError

    @property
    def has_kernel(self) -> bool:
        return self._pid is not None

    def start_kernel(self, **launch) -> None:
        self.write_connection_file()
        self._launch = launch
        self._pid = self.fork(self.connection_file, **launch)

    def restart_kernel(self, now: bool = True, newports: bool = False, **launch) -> None:
        self.shutdown_kernel(now=True, restart=True)
        self.start_kernel(**(launch or self._launch))

    def _signal(self, signum) -> None:
        try:
            os.killpg(self._pid, signum)
        except OSError:
            pass

    def interrupt_kernel(self) -> None:
        self._signal(signal.SIGINT)

    def is_alive(self) -> bool:
        if self._pid is None:
            return False
        try:
            os.kill(self._pid, 0)
        except ProcessLookupError:
            return False
        except OSError:
            return True
        return True

    async def _async_is_alive(self) -> bool:      # what the client's wait_for_ready asks
        return self.is_alive()

    def shutdown_kernel(self, now: bool = True, restart: bool = False) -> None:
        if self._pid is not None:
            self._signal(signal.SIGKILL)
            self._pid = None
        if not restart:
            self.cleanup_connection_file()
            if self.transport == "ipc":
                self.cleanup_ipc_files()


class _SandboxKernelManager(ForkedKernelManager):
    """A grading kernel forked into ``sandbox``: its working directory, ``lib`` and environment."""

    def __init__(self, sandbox: Sandbox, **kwargs):
        super().__init__(**kwargs)
        self._sandbox = sandbox
        self.connection_file = str(sandbox.root / "connection.json")

    def fork(self, connection_file: str, **_ignored) -> int:
        sandbox = self._sandbox
        return fork_kernel(sandbox.work, sandbox.kernel_arguments(connection_file),
                           kernel_environment(sandbox.hidden), lib=sandbox.lib)


# ---------------------------------------------------------------------------------------------
# Running cells


def _output_size(output) -> int:
    if output.output_type == "stream":
        return len(output.text)
    if output.output_type == "error":
        return sum(map(len, output.traceback)) + len(output.evalue)
    return sum(len(str(value)) for value in output.get("data", {}).values())


class _Outputs:
    """A cell's outputs, merged like Jupyter's and capped at ``limit`` characters."""

    def __init__(self, limit: int):
        self.items, self.size, self.limit, self.truncated = [], 0, limit, False

    def add(self, msg) -> None:
        kind = msg["header"]["msg_type"]
        if kind == "clear_output":
            self.items, self.size = [], 0
            return
        if kind not in ("stream", "display_data", "execute_result", "error") or self.truncated:
            return
        output = nbformat.v4.output_from_msg(msg)
        size = _output_size(output)
        if self.size + size > self.limit:
            self.truncated = True
            if output.output_type == "stream":
                output.text = output.text[: max(0, self.limit - self.size)]
                self._append(output)
            self._append(nbformat.v4.new_output(
                "stream", name="stderr",
                text=f"\n[emcourse: output beyond {self.limit:,} characters was not kept]\n"))
            return
        self.size += size
        self._append(output)

    def _append(self, output) -> None:
        last = self.items[-1] if self.items else None
        if (output.output_type == "stream" and last is not None and last.output_type == "stream"
                and last.name == output.name):
            last.text += output.text
        else:
            self.items.append(output)


class _Kernel:
    """One grading kernel and the loop that runs a cell in it."""

    def __init__(self, sandbox: Sandbox):
        self.km = sandbox.kernel_manager()
        self.km.start_kernel(cwd=str(sandbox.work), env=kernel_environment(sandbox.hidden),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.kc = self.km.client()
        self.kc.start_channels()
        try:
            self.kc.wait_for_ready(timeout=STARTUP_TIMEOUT)
        except RuntimeError:
            self.close()
            raise
        self.poller = zmq.Poller()
        self.poller.register(self.kc.iopub_channel.socket, zmq.POLLIN)
        self.poller.register(self.kc.shell_channel.socket, zmq.POLLIN)

    def close(self) -> None:
        try:
            self.kc.stop_channels()
        finally:
            self.km.shutdown_kernel(now=True)
            self.km.context.destroy(linger=0)

    def run_cell(self, source: str, metadata: dict, deadline: float, limit: int):
        """Run one cell; return (CellRun or None if the kernel had to be ended, what happened)."""
        msg = self.kc.session.msg("execute_request", {
            "code": source, "silent": False, "store_history": True, "user_expressions": {},
            "allow_stdin": False, "stop_on_error": False}, metadata={"emcourse": metadata})
        msg_id = msg["header"]["msg_id"]
        self.kc.shell_channel.send(msg)
        outputs, reply, idle = _Outputs(limit), None, False
        interrupted_at, replied_at = None, None
        while reply is None or not idle:
            now = time.monotonic()
            if reply is None and interrupted_at is None and now >= deadline:
                self.km.interrupt_kernel()
                interrupted_at = now
            if interrupted_at is not None and reply is None and now >= interrupted_at + GRACE:
                return None, "ignored"
            if replied_at is not None and now >= replied_at + IOPUB_GRACE:
                break
            if not self.km.is_alive():
                return None, "died"
            wake = deadline if interrupted_at is None else interrupted_at + GRACE
            self.poller.poll(max(1, min(200, int(1000 * (wake - now)))))
            while self.kc.iopub_channel.msg_ready():
                message = self.kc.iopub_channel.get_msg(timeout=0)
                if message["parent_header"].get("msg_id") != msg_id:
                    continue
                if (message["header"]["msg_type"] == "status"
                        and message["content"]["execution_state"] == "idle"):
                    idle = True
                else:
                    outputs.add(message)
            while self.kc.shell_channel.msg_ready():
                message = self.kc.shell_channel.get_msg(timeout=0)
                if message["parent_header"].get("msg_id") == msg_id:
                    reply, replied_at = message["content"], time.monotonic()
        status = "timeout" if interrupted_at is not None else reply.get("status", "error")
        return CellRun(status=status, outputs=outputs.items, summary=reply.get("emcourse") or {},
                       ename=reply.get("ename"), evalue=reply.get("evalue")), "ran"


def run(nb, sandbox: Sandbox, *, timeout: float, notebook_timeout: float,
        output_limit: int = OUTPUT_LIMIT) -> NotebookRun:
    """Run the code cells of ``nb`` (each with ``metadata.emcourse``) in a grading kernel.

    ``nb`` is not modified: outputs are returned in :class:`NotebookRun`, by cell index.
    """
    result = NotebookRun()
    start = time.monotonic()
    notebook_deadline = start + notebook_timeout
    try:
        kernel = _Kernel(sandbox)
    except RuntimeError as error:
        raise RuntimeError(f"the grading kernel did not start ({error})") from error
    try:
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or not cell.source.strip():
                continue
            if time.monotonic() >= notebook_deadline:
                result.notes.append(f"the notebook's time limit of {notebook_timeout:g} s ran out "
                                    f"before cell {index}; it and the later cells did not run")
                break
            deadline = min(time.monotonic() + timeout, notebook_deadline)
            cell_run, what = kernel.run_cell(cell.source, dict(cell.metadata.get("emcourse", {})),
                                             deadline, output_limit)
            if what == "died":
                result.notes.append(f"the kernel died during cell {index}; later cells did not run")
                break
            if what == "ignored":
                result.cells[index] = CellRun(status="timeout")
                result.notes.append(f"cell {index} did not stop when interrupted after its time "
                                    "limit (does it catch KeyboardInterrupt?); the kernel was "
                                    "ended and later cells did not run")
                break
            result.cells[index] = cell_run
            if cell_run.status == "timeout":
                if time.monotonic() >= notebook_deadline - 1e-3 and deadline == notebook_deadline:
                    result.notes.append(f"the notebook's time limit of {notebook_timeout:g} s ran "
                                        f"out during cell {index}; later cells did not run")
                    break
                result.notes.append(f"cell {index} stopped after {timeout:g} s")
    finally:
        kernel.close()
        result.seconds = time.monotonic() - start
    return result


# ---------------------------------------------------------------------------------------------
# Reading the kernel's records


def decode_values(values: dict) -> dict:
    """A recorded check's values with its arrays decoded (see ``emcourse.kernel._encode_array``)."""
    decoded = {}
    for key, value in values.items():
        if isinstance(value, dict) and "data" in value:
            flat = np.frombuffer(base64.b64decode(value["data"]), dtype="<f8")
            decoded[key] = flat if value["sampled"] else flat.reshape(value["shape"])
            decoded[f"{key}_shape"] = tuple(value["shape"])
        else:
            decoded[key] = value
    return decoded


__all__ = ["CellRun", "NotebookRun", "Sandbox", "run", "decode_values", "kernel_environment",
           "course_packages", "OUTPUT_LIMIT", "GRACE"]
