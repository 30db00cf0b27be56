"""The grading kernel: an IPython kernel that runs the course's cells out of the answers' reach.

``emcourse.execute`` copies this package's ``kernel.py`` and ``testing.py`` into a sandbox folder
and starts::

    python <sandbox>/lib/emcourse_kernel.py <config.json> -f <connection file>

It is never imported by the course itself. Student cells (answers and cells a student added) run
exactly as in Jupyter, through IPython. The course's cells — set-up, read-only and test cells,
marked ``{"emcourse": {"trusted": true}}`` in the execute request's metadata, which only the
grader writes — take another path:

1. **Restore.** Module attributes of numpy, scipy, emlib, emcourse, builtins, math, ... (a
   snapshot taken before any student cell ran), the names the course's cells bound in the user
   namespace, the trace and profile functions and SIGINT handling are put back as they were.
2. **Run outside IPython's input machinery.** The source is compiled and executed here, so input
   transformers, AST transformers, pre/post-run callbacks and custom exception handlers that an
   answer registered never see it. The hidden tests run in a *copy* of the user namespace: an
   answer cannot read their variables (the reference results) from its globals.
3. **Record.** Every ``emcourse.testing`` check the cell itself makes (its kind, verdict, line,
   and the values it compared), the text of the cell's last value (nbgrader's partial credit),
   the error and whether it came from the visible or the hidden part, and what the restore
   found, go back in the execute reply's ``emcourse`` field. The grader judges the checks again
   there, outside the kernel.

After every student cell the kernel also reports (in that cell's reply) what the cell changed:
patched module attributes, rebound set-up names, IPython hooks, a trace function.

All of this runs in the student's process, so code that digs into the interpreter (frames,
``gc``, ``ctypes``, this module's globals) can still defeat it; the grader's static scan
(``emcourse.scan``) flags such code. What cannot be prevented in-process is said in the README.
"""

from __future__ import annotations

import ast
import binascii
import json
import os
import signal
import sys
import traceback
import types

# Top-level packages whose module attributes are snapshotted and restored.
WATCHED = ("numpy", "scipy", "emlib", "emcourse", "builtins", "math", "cmath", "operator",
           "functools", "itertools", "statistics", "random", "json", "binascii", "base64")
# Always imported before the first cell, so that their snapshot is pristine.
PRELOAD = ("numpy", "numpy.testing", "numpy.linalg", "numpy.random", "scipy.special", "math",
           "emcourse.testing")
# A recorded array with more entries is recorded at this many evenly spaced positions.
MAX_RECORDED = 20_000
# Event callbacks registered by these packages are the course's tools, not an answer's.
BENIGN_CALLBACK_MODULES = ("IPython", "ipykernel", "matplotlib", "matplotlib_inline", "ipywidgets",
                           "emcourse")
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"

_MISSING = object()
# Bound before any cell runs.
_b2a_base64 = binascii.b2a_base64
_getsignal, _setsignal, _default_int_handler = signal.getsignal, signal.signal, signal.default_int_handler
_gettrace, _settrace, _getprofile, _setprofile = sys.gettrace, sys.settrace, sys.getprofile, sys.setprofile
_exec, _eval, _compile = exec, eval, compile


def forget_course(hidden) -> None:
    """Drop every import route into the ``hidden`` folders (the course root) from this process.

    Removes ``sys.path`` entries inside them, and setuptools' editable-install finders whose
    mapping points into them or into any course checkout (a folder beside ``solutions/``), so
    that neither ``sys.path`` nor a module's ``__file__`` nor a finder leads back.
    """
    hidden = [os.path.realpath(path) for path in hidden]

    def inside(path: str) -> bool:
        real = os.path.realpath(path)
        return any(real == root or real.startswith(root + os.sep) for root in hidden)

    def course_checkout(path: str) -> bool:
        return inside(path) or os.path.isdir(os.path.join(os.path.dirname(path), "solutions"))

    for name, module in list(sys.modules.items()):
        mapping = getattr(module, "MAPPING", None) if name.startswith("__editable__") else None
        if isinstance(mapping, dict) and any(course_checkout(str(p)) for p in mapping.values()):
            sys.meta_path[:] = [f for f in sys.meta_path
                                if getattr(f, "__module__", type(f).__module__) != name]
            sys.path_hooks[:] = [h for h in sys.path_hooks
                                 if getattr(h, "__module__", None) != name]
            placeholder = getattr(module, "PATH_PLACEHOLDER", None)
            sys.path[:] = [p for p in sys.path if p != placeholder]
            del sys.modules[name]
    sys.path[:] = [p for p in sys.path if not (p and inside(p))]
    for path in list(sys.path_importer_cache):
        if path and inside(path):
            del sys.path_importer_cache[path]


def _guarded(value) -> bool:
    """Module attributes worth guarding: functions, classes and modules (not data or caches)."""
    return value is not None and (isinstance(value, types.ModuleType) or callable(value))


def _callable_or_module(value) -> bool:
    return isinstance(value, (types.ModuleType, type)) or callable(value)


class ModuleSnapshot:
    """The functions, classes and submodules of every watched module, as first seen."""

    def __init__(self):
        self.modules: dict[str, tuple[types.ModuleType, dict]] = {}

    def take(self) -> None:
        """Snapshot the watched modules imported since the last call."""
        for name, module in list(sys.modules.items()):
            if (name in self.modules or not isinstance(module, types.ModuleType)
                    or name.partition(".")[0] not in WATCHED):
                continue
            try:
                items = list(vars(module).items())
            except TypeError:
                continue
            self.modules[name] = (module, {key: value for key, value in items if _guarded(value)})

    def changes(self, restore: bool) -> list[str]:
        """Names (``numpy.allclose``) that differ from the snapshot; put them back if ``restore``."""
        changed = []
        for name, (module, saved) in self.modules.items():
            if sys.modules.get(name, module) is not module:
                changed.append(f"sys.modules[{name!r}]")
                if restore:
                    sys.modules[name] = module
            namespace = vars(module)
            for key, value in saved.items():
                if namespace.get(key, _MISSING) is not value:
                    changed.append(f"{name}.{key}")
                    if restore:
                        namespace[key] = value
        return changed


def _callback_module(callback) -> str:
    function = getattr(callback, "__func__", callback)
    return str(getattr(function, "__module__", "") or "")


def _hooks(kernel) -> dict[str, list]:
    """What an answer could register to rewrite or hide later cells, by a name for the notes."""
    shell = kernel.shell
    manager = shell.input_transformer_manager
    hooks = {
        "an IPython input transformer": [manager, *shell.input_transformers_cleanup,
                                         *shell.input_transformers_post,
                                         *manager.cleanup_transforms, *manager.line_transforms,
                                         *manager.token_transformers],
        "an IPython AST transformer": list(shell.ast_transformers),
        "a custom exception handler": [shell.CustomTB, *tuple(shell.custom_exceptions or ())],
        "a replaced method of the IPython shell or kernel": (
            [shell.__dict__.get(name) for name in ("run_cell", "run_cell_async", "transform_cell",
                                                   "run_ast_nodes", "run_code", "showtraceback",
                                                   "_showtraceback")]
            + [kernel.__dict__.get(name) for name in ("do_execute", "execute_request")]
            + list(kernel.shell_handlers.values())),
        "a replaced sys.excepthook or sys.displayhook": [sys.excepthook, sys.displayhook],
    }
    for event, callbacks in shell.events.callbacks.items():
        hooks[f"an IPython {event} callback"] = [
            cb for cb in callbacks if not _callback_module(cb).startswith(BENIGN_CALLBACK_MODULES)]
    return hooks


def _encode_array(array) -> dict:
    """A float64 array as JSON: shape, and the (evenly sampled, if large) entries in base64."""
    flat = array.reshape(-1)
    size = flat.size
    sampled = size > MAX_RECORDED
    if sampled:
        flat = flat[[i * (size - 1) // (MAX_RECORDED - 1) for i in range(MAX_RECORDED)]]
    data = flat.astype("<f8").tobytes()
    return {"shape": list(array.shape), "sampled": sampled,
            "data": _b2a_base64(data, newline=False).decode("ascii")}


def _encode_values(values: dict) -> dict:
    encoded = {}
    for key, value in values.items():
        if value is None or isinstance(value, (bool, int, float, str)):
            encoded[key] = value
        elif isinstance(value, (list, tuple)):
            encoded[key] = [int(v) for v in value]
        else:
            encoded[key] = _encode_array(value)
    return encoded


def _segments(source: str) -> list[tuple[str, int, bool]]:
    """(code, index of its first line, hidden?) for the parts of a test cell around its hidden tests."""
    segments, lines, start, hidden = [], [], 0, False
    for number, line in enumerate(source.split("\n")):
        marker = line.strip()
        if marker in (HIDDEN_BEGIN, HIDDEN_END):
            segments.append(("\n".join(lines), start, hidden))
            lines, start, hidden = [], number + 1, marker == HIDDEN_BEGIN
        else:
            lines.append(line)
    segments.append(("\n".join(lines), start, hidden))
    return [segment for segment in segments if segment[0].strip()]


class Guard:
    """Everything the kernel keeps between cells: the snapshot, protected names, the recorder."""

    def __init__(self, kernel):
        from IPython.core.formatters import PlainTextFormatter
        from IPython.core.inputtransformer2 import TransformerManager

        self.kernel = kernel
        self.snapshot = ModuleSnapshot()
        self.protected: dict[str, tuple[object, str, str]] = {}  # name -> (value, cell, role)
        self.hooks = {}
        self.trace = (_gettrace(), _getprofile())
        self.transformer = TransformerManager()      # a pristine one, for magics in course cells
        self.formatter = PlainTextFormatter()        # a pristine one, for partial-credit values
        self.stdout, self.stderr = sys.stdout, sys.stderr
        self.checks: list[dict] = []
        self.reported: set[str] = set()
        self.output_limit, self.written, self.capped = None, 0, False
        self.filename: str | None = None
        self.hidden_lines: set[int] = set()

    # -- set-up -----------------------------------------------------------------------------

    def prepare(self, preload, output_limit=None) -> None:
        """Import ``preload``, snapshot the watched modules and the hooks, install the recorder,
        and cap what a cell may print at ``output_limit`` characters."""
        import importlib

        self.output_limit = output_limit
        if output_limit:
            for stream in (self.stdout, self.stderr):
                self._cap(stream)

        for name in (*PRELOAD, *preload):
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - the cell that imports it will say what is wrong
                pass
        testing = sys.modules.get("emcourse.testing")
        if testing is not None:
            testing._recorder = self.record
        self.snapshot.take()
        self.hooks = {key: {id(item) for item in items} for key, items in _hooks(self.kernel).items()}

    def _cap(self, stream) -> None:
        """Drop what a cell writes to ``stream`` beyond the limit, in the kernel already: ipykernel
        sends 0.2 s of output as one message, and a printing loop fills hundreds of megabytes."""
        write = stream.write

        def capped_write(string):
            if self.written < self.output_limit:
                self.written += len(string)
                return write(string)
            if not self.capped:
                self.capped = True
                write(f"\n[emcourse: output beyond {self.output_limit:,} characters was not sent]\n")
            return len(string)

        stream.write = capped_write

    def new_cell(self) -> None:
        self.written, self.capped = 0, False

    def record(self, kind, passed, values, caller) -> None:
        """``emcourse.testing._recorder``: keep a check made by the running course cell itself."""
        if self.filename is None or caller is None or caller.f_code.co_filename != self.filename:
            return
        line = caller.f_lineno
        self.checks.append({"kind": kind, "passed": bool(passed), "line": line,
                            "hidden": line in self.hidden_lines, "values": _encode_values(values)})

    # -- what student code changed ----------------------------------------------------------

    def findings(self, restore: bool) -> list[dict]:
        """What differs from the course's state and was not reported yet, as ``{"what", "integrity"}``.

        With ``restore``, everything that differs is also put back.
        """
        found = [{"what": f"replaced {name}", "integrity": True}
                 for name in self.snapshot.changes(restore)]
        user_ns = self.kernel.shell.user_ns
        for name, (value, origin, role) in self.protected.items():
            if user_ns.get(name, _MISSING) is not value:
                if _callable_or_module(value):
                    found.append({"what": f"rebinds {name}, given by cell {origin!r}",
                                  "integrity": True})
                elif role == "setup":
                    found.append({"what": f"rebinds {name}, defined by cell {origin!r} (the tests "
                                          "used the set-up's value)", "integrity": False})
                if restore:
                    user_ns[name] = value
        if (_gettrace(), _getprofile()) != self.trace:
            found.append({"what": "set a trace or profile function", "integrity": True})
            if restore:
                _settrace(self.trace[0])
                _setprofile(self.trace[1])
        for key, items in _hooks(self.kernel).items():
            known = self.hooks.get(key, set())
            if any(id(item) not in known for item in items if item is not None):
                found.append({"what": f"registered {key}", "integrity": True})
                known.update(id(item) for item in items)
        new = [f for f in found if f["what"] not in self.reported]
        self.reported.update(f["what"] for f in new)
        return new

    def before_student_cell(self) -> None:
        self.snapshot.take()       # modules the course's cells imported since the last one

    def after_student_cell(self) -> list[dict]:
        return self.findings(restore=False)

    # -- the course's cells -----------------------------------------------------------------

    def _compile(self, code: str, first_line: int, filename: str):
        try:
            tree = ast.parse(code, filename)
        except SyntaxError:
            tree = ast.parse(self.transformer.transform_cell(code), filename)  # magics
        ast.increment_lineno(tree, first_line)
        return tree

    def run_course_cell(self, code: str, info: dict) -> dict:
        """Run one of the course's cells (see the module docstring); return the execute reply."""
        kernel, shell = self.kernel, self.kernel.shell
        self.new_cell()
        findings = self.findings(restore=True)
        label = str(info.get("label") or "cell")
        self.filename = f"<emcourse {label}>"
        self.checks = []
        segments = _segments(code)
        self.hidden_lines = {first + 1 + offset for text, first, hidden in segments if hidden
                             for offset in range(text.count("\n") + 1)}
        names_before = dict(shell.user_ns)
        count = shell.execution_count
        value_text, error = None, None
        previous_sigint = _getsignal(signal.SIGINT)
        try:
            _setsignal(signal.SIGINT, _default_int_handler)
        except ValueError:  # not the main thread: interrupts then cannot be delivered anyway
            previous_sigint = None
        try:
            with shell.builtin_trap:
                for number, (text, first, hidden) in enumerate(segments):
                    tree = self._compile(text, first, self.filename)
                    namespace = dict(shell.user_ns) if hidden else shell.user_ns
                    last = (number == len(segments) - 1 and tree.body
                            and isinstance(tree.body[-1], ast.Expr)
                            and not text.rstrip().endswith(";"))
                    body = ast.Module(body=tree.body[:-1] if last else tree.body, type_ignores=[])
                    _exec(_compile(body, self.filename, "exec"), namespace)
                    if last:
                        expression = ast.Expression(body=tree.body[-1].value)
                        value = _eval(_compile(expression, self.filename, "eval"), namespace)
                        if value is not None:
                            value_text = self.formatter(value)
        except BaseException as exc:  # noqa: BLE001 - the student's code may raise anything
            error = exc
        finally:
            self.filename = None
            if previous_sigint is not None:
                _setsignal(signal.SIGINT, previous_sigint)
        self.stdout.flush()
        self.stderr.flush()

        for name, value in shell.user_ns.items():  # names this cell bound are now the course's
            if not name.startswith("_") and names_before.get(name, _MISSING) is not value:
                self.protected[name] = (value, label, str(info.get("role", "")))
        shell.execution_count = count + 1
        reply = {"status": "ok", "execution_count": count, "user_expressions": {}, "payload": []}
        summary = {"checks": self.checks, "value": value_text, "error": None, "findings": findings}
        parent = kernel.get_parent("shell")
        if error is not None:
            line = None
            for frame in traceback.extract_tb(error.__traceback__):
                if frame.filename == f"<emcourse {label}>":
                    line = frame.lineno
            stb = _student_traceback(error)
            content = {"ename": type(error).__name__, "evalue": str(error), "traceback": stb}
            reply.update(status="error", **content)
            summary["error"] = {"ename": content["ename"], "evalue": content["evalue"],
                                "line": line, "hidden": line in self.hidden_lines}
            kernel.session.send(kernel.iopub_socket, "error", content, parent=parent,
                                ident=kernel._topic("error"))
        elif value_text is not None:
            kernel.session.send(kernel.iopub_socket, "execute_result",
                                {"execution_count": count, "data": {"text/plain": value_text},
                                 "metadata": {}},
                                parent=parent, ident=kernel._topic("execute_result"))
        reply["emcourse"] = summary
        return reply


def _student_traceback(error: BaseException) -> list[str]:
    """What the cell's error output shows: the message of a failed check, or the traceback of an
    error without this module's or emcourse.testing's frames. The course cell's own lines are not
    in ``linecache``, so no test source is printed."""
    lines = traceback.format_exception_only(type(error), error)
    if isinstance(error, AssertionError):
        return lines
    ours = (os.path.join("emcourse", "testing.py"), os.path.join("emcourse", "kernel.py"))
    frames = [frame for frame in traceback.extract_tb(error.__traceback__)
              if not frame.filename.endswith(ours)]
    return ["Traceback (most recent call last):\n", *traceback.format_list(frames), *lines]


def make_kernel_class():
    """The ``IPythonKernel`` subclass (built lazily, so the grader can import this module cheaply)."""
    from ipykernel.ipkernel import IPythonKernel

    class GradingKernel(IPythonKernel):
        """An IPython kernel that runs cells marked trusted by the grader through :class:`Guard`."""

        guard: Guard | None = None

        async def do_execute(self, code, silent, store_history=True, user_expressions=None,
                             allow_stdin=False, *, cell_meta=None, cell_id=None):
            info = (cell_meta or {}).get("emcourse") or {}
            if info.get("trusted"):
                return self.guard.run_course_cell(code, info)
            self.guard.new_cell()
            self.guard.before_student_cell()
            reply = await super().do_execute(code, silent, store_history, user_expressions,
                                             allow_stdin, cell_meta=cell_meta, cell_id=cell_id)
            reply = dict(reply)
            reply["emcourse"] = {"findings": self.guard.after_student_cell()}
            return reply

    return GradingKernel


# What a zygote imports once for all the kernels it forks: the kernel's own machinery and the
# libraries every exercise uses. Not matplotlib: it reads MPLBACKEND, which ipykernel sets, when
# imported. Nothing from the course: each kernel imports that from its own sandbox.
ZYGOTE_IMPORTS = ("ipykernel.kernelapp", "ipykernel.ipkernel", "IPython.core.formatters",
                  "IPython.core.inputtransformer2", "numpy", "numpy.testing", "numpy.linalg",
                  "numpy.random", "scipy.special", "scipy.stats", "scipy.optimize", "scipy.linalg",
                  "scipy.sparse")


def zygote_main(argv) -> None:
    """Import a kernel's libraries once, then fork one kernel per request (Linux only).

    ``argv``: ``["grading"]`` for grading kernels (:data:`ZYGOTE_IMPORTS`; each child runs
    :func:`main` from its sandbox), or ``["ipython", module, ...]`` for plain IPython kernels
    with those modules imported (the test suite's nbval kernels; each child is what
    ``python -m ipykernel_launcher`` would be). Requests come one JSON line at a time on stdin
    (``{"lib", "cwd", "env", "argv"}``, ``argv`` the kernel's arguments); each reply is the forked
    kernel's process id. At the end of stdin (the grader is gone) every kernel forked is killed.
    Saves each kernel the second or two its imports cost; the kernel is still a process of its
    own, with a copy of memory in which no cell has run.
    """
    import importlib

    kind, imports = argv[0], argv[1:]
    if kind == "grading":
        forget_course([])  # editable installs of course checkouts; each kernel drops its own
        imports = ZYGOTE_IMPORTS
    else:
        # what ipykernel sets before any cell runs, and matplotlib reads when imported
        os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
        imports = ("ipykernel.kernelapp", *imports)
    for name in imports:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - not a module (from x import function), or broken:
            pass           # the kernel that imports it will say so
    _setsignal(signal.SIGCHLD, signal.SIG_IGN)   # the system reaps the kernels that end
    requests, replies = os.fdopen(0, "rb"), os.fdopen(1, "wb", buffering=0)
    replies.write(b"ready\n")
    children = []
    for line in requests:
        request = json.loads(line)
        zygote = os.getpid()
        pid = os.fork()
        if pid == 0:
            _forked_kernel(request, zygote, kind)
        children.append(pid)
        replies.write(f"{pid}\n".encode())
    for pid in children:
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
    os._exit(0)


def _forked_kernel(request, zygote: int, kind: str) -> None:
    """In a child of the zygote: become a kernel as it would start in a new process."""
    try:
        import ctypes

        # killed with the zygote (PR_SET_PDEATHSIG), so that no kernel outlives the grading
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)
        if os.getppid() != zygote:
            os._exit(1)
        os.setsid()                                # its own process group, interrupted alone
        _setsignal(signal.SIGCHLD, signal.SIG_DFL)  # so that an answer's subprocess can be waited
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):                       # never the zygote's request and reply pipes
            os.dup2(devnull, fd)
        os.close(devnull)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        import importlib

        if "numpy" in sys.modules:
            sys.modules["numpy"].random.seed()     # not the zygote's state, shared by every kernel
        if kind == "grading":
            sys.path[0] = request["lib"]
            sys.argv = [os.path.join(request["lib"], "emcourse_kernel.py"), *request["argv"]]
            # emcourse from the sandbox, as in a kernel started on its own: forget the zygote's
            for name in [name for name in sys.modules if name.partition(".")[0] == "emcourse"]:
                del sys.modules[name]
            importlib.import_module("emcourse.kernel").main(request["argv"])
        else:
            del sys.path[0]                        # the zygote's folder (IPython adds the cwd)
            sys.argv = ["ipykernel_launcher", *request["argv"]]
            importlib.import_module("ipykernel.kernelapp").launch_new_instance(argv=request["argv"])
        code = 0
    except SystemExit as exit:
        code = exit.code if isinstance(exit.code, int) else 1
    except BaseException:  # noqa: BLE001 - nothing to report to: stderr is closed
        code = 1
    os._exit(code)


def main(argv=None) -> None:
    """Start the grading kernel: ``CONFIG.json`` (read, then deleted) and ipykernel's arguments."""
    argv = list(sys.argv[1:] if argv is None else argv)
    config_path = argv.pop(0)
    with open(config_path, encoding="utf-8") as f:
        config = json.load(f)
    os.remove(config_path)
    forget_course(config.get("hide", []))

    from ipykernel.kernelapp import IPKernelApp

    app = IPKernelApp.instance(kernel_class=make_kernel_class())
    app.initialize(argv)
    app.kernel.guard = Guard(app.kernel)
    app.kernel.guard.prepare(config.get("preload", []), config.get("output_limit"))
    del config
    app.start()
