"""Static scan of a student's code cells for what an honest answer has no reason to do.

The grading kernel already restores and records what it can at run time (``emcourse.kernel``);
this scan reads the source, so it also sees what the kernel cannot — the intent to reach the
interpreter, the file system or the reference implementation — and says so in the instructor's
notes as ``integrity: ...``. It decides nothing: a flagged submission keeps the points it earned.

:func:`scan_cell` looks for

* IPython internals (``get_ipython()``, ``IPython.core``, ``ipykernel``) and magics other than
  harmless ones (``%time``, ``%matplotlib``, ...), shell commands (``!ls``);
* patching: assigning or deleting an attribute of a module (``np.allclose = ...``),
  ``setattr``/``delattr``, namespaces (``globals()``, ``vars()``, ``__dict__``, ``sys.modules``),
  frames and code objects (``__globals__``, ``sys._getframe``, ``inspect``, ``gc``, ``ctypes``),
  ``exec``/``eval``/``compile``, trace functions, signal handlers, threads;
* rebinding a function, class or module that the set-up cells give (``check_close = ...``);
* imports of what the exercise forbids (its solution's ``metadata.emcourse.forbidden``, e.g.
  ``emlib.coins``), also through ``importlib``/``__import__`` strings;
* file and process access (``open``, ``os``, ``pathlib``, ``subprocess``, ``numpy.load``, strings
  naming ``solutions`` or ``/proc``);
* names bound only by the hidden tests (an answer that reads ``_ref`` expects to run inside them).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

# Magics an answer may use without comment.
HARMLESS_MAGICS = {"time", "timeit", "matplotlib", "precision", "who", "whos", "who_ls", "pprint",
                   "xmode", "prun"}
# Modules whose import reaches files, processes or the network.
FILE_MODULES = {"os", "pathlib", "shutil", "glob", "subprocess", "io", "tempfile", "socket",
                "urllib", "http", "requests", "pickle", "shelve", "sqlite3", "zipfile", "tarfile",
                "nbformat", "nbclient", "fileinput", "mmap", "multiprocessing", "pty", "fcntl",
                "runpy", "linecache", "tokenize", "pkgutil"}
# Modules whose import reaches the interpreter's internals.
INTERNAL_MODULES = {"gc", "ctypes", "inspect", "importlib", "builtins", "dis", "marshal", "code",
                    "codeop", "threading", "_thread", "signal", "atexit", "faulthandler", "sys",
                    "ipykernel", "jupyter_client", "zmq", "traitlets", "types", "weakref",
                    "concurrent", "asyncio"}
# ... of which these are only flagged for some attributes.
PARTLY_INTERNAL = {"sys": {"modules", "_getframe", "settrace", "setprofile", "meta_path",
                           "path_hooks", "path_importer_cache", "path", "excepthook",
                           "displayhook", "_current_frames", "setrecursionlimit"},
                   "types": {"FunctionType", "CodeType", "MethodType", "ModuleType", "FrameType"},
                   "asyncio": set(), "concurrent": set(), "weakref": set()}
INTERNAL_BUILTINS = {"exec", "eval", "compile", "globals", "vars", "locals", "setattr", "delattr",
                     "__import__", "breakpoint", "memoryview"}
FILE_BUILTINS = {"open"}
INTERNAL_ATTRIBUTES = {"__globals__", "__code__", "__closure__", "__dict__", "__builtins__",
                       "__import__", "__subclasses__", "__bases__", "__mro__", "__loader__",
                       "__spec__", "__self__", "__func__", "__wrapped__", "f_globals", "f_locals",
                       "f_back", "f_builtins", "f_code", "gi_frame", "cr_frame", "tb_frame",
                       "tb_next", "co_code", "co_consts"}
ASSIGNED_ATTRIBUTES = {"__module__", "__class__", "__defaults__", "__kwdefaults__", "__qualname__",
                       "__name__", "__doc__"}
FILE_ATTRIBUTES = {"load", "loadtxt", "genfromtxt", "fromfile", "memmap", "read_csv", "read_json",
                   "read_pickle", "read_text", "read_bytes", "write_text", "write_bytes", "save",
                   "savez", "savetxt", "tofile"}
FILE_STRINGS = ("solutions", "/proc", ".ipynb", "hidden tests")


@dataclass
class Context:
    """What the course gives a student cell: names, their origins, what is forbidden."""

    given: dict[str, str] = field(default_factory=dict)  # name -> origin, from the set-up cells
    forbidden: tuple[str, ...] = ()
    hidden_names: frozenset[str] = frozenset()


def bindings(tree) -> dict[str, str]:
    """Top-level names a module binds, each with its origin: ``import:scipy.special.logsumexp``,
    ``import:numpy`` (``import numpy as np``), ``def``, ``class`` or ``assign``."""
    found = {}
    for node in _top_level(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    found[alias.asname] = f"import:{alias.name}"
                else:
                    root = alias.name.partition(".")[0]
                    found[root] = f"import:{root}"
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                if alias.name != "*":
                    found[alias.asname or alias.name] = f"import:{node.module}.{alias.name}"
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found[node.name] = "def"
        elif isinstance(node, ast.ClassDef):
            found[node.name] = "class"
        else:
            for name in _assigned_names(node):
                found[name] = "assign"
    return found


def bound_names(tree) -> set[str]:
    """Every name a piece of code binds anywhere (assignments, defs, imports, loop targets, ...)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).partition(".")[0] for a in node.names)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
    return names


def _top_level(tree):
    """Statements executed at module level (through if/for/while/try/with bodies)."""
    stack = list(reversed(tree.body))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith,
                             ast.Try)):
            for block in ("body", "orelse", "finalbody"):
                stack.extend(reversed(getattr(node, block, [])))
            for handler in getattr(node, "handlers", []):
                stack.extend(reversed(handler.body))


def _assigned_names(node) -> list[str]:
    targets = []
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
        targets = [node.target]
    elif isinstance(node, (ast.For, ast.AsyncFor)):
        targets = [node.target]
    elif isinstance(node, (ast.With, ast.AsyncWith)):
        targets = [item.optional_vars for item in node.items if item.optional_vars is not None]
    elif isinstance(node, ast.Delete):
        targets = node.targets
    names = []
    for target in targets:
        names += [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]
    return names


def parse(source: str):
    """The AST of a cell's source, IPython syntax (magics, ``!cmd``) included; None if unparsable."""
    try:
        return ast.parse(source)
    except SyntaxError:
        pass
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return ast.parse(TransformerManager().transform_cell(source))
    except (SyntaxError, ValueError, ImportError):
        return None


def _matches(dotted: str, forbidden) -> str | None:
    for name in forbidden:
        if dotted == name or dotted.startswith(name + "."):
            return name
    return None


class _Scanner(ast.NodeVisitor):
    def __init__(self, context: Context, own_bindings: set[str]):
        self.context = context
        self.found: list[str] = []
        self.own = own_bindings
        # names bound to modules (or module members), from the student's imports and the set-up's
        self.aliases = {name: origin[len("import:"):] for name, origin in context.given.items()
                        if origin.startswith("import:")}
        self.own_imports: dict[str, str] = {}
        self.magic_calls: set[int] = set()
        self.depth = 0          # > 0 inside a function or class body, where names are local
        self.forbidden_seen: set[str] = set()

    def flag(self, text: str) -> None:
        if text not in self.found:
            self.found.append(text)

    def dotted(self, node, own_only=False) -> str | None:
        if isinstance(node, ast.Name):
            return (self.own_imports if own_only else self.aliases).get(node.id)
        if isinstance(node, ast.Attribute):
            base = self.dotted(node.value, own_only)
            return f"{base}.{node.attr}" if base else None
        return None

    # -- imports ----------------------------------------------------------------------------

    def _imported(self, module: str) -> None:
        root = module.partition(".")[0]
        forbidden = _matches(module, self.context.forbidden)
        if forbidden and forbidden not in self.forbidden_seen:
            self.forbidden_seen.add(forbidden)
            self.flag(f"imports {module}, which this exercise forbids")
        if root == "IPython" and not module.startswith("IPython.display"):
            self.flag(f"imports {module} (IPython internals)")
        elif root == "emcourse" and module not in ("emcourse", "emcourse.testing"):
            self.flag(f"imports {module} (the grader's internals)")
        elif root in FILE_MODULES:
            self.flag(f"imports {root} (file or process access)")
        elif root in INTERNAL_MODULES and root not in PARTLY_INTERNAL:
            self.flag(f"imports {root} (the interpreter's internals)")

    def visit_Import(self, node):
        for alias in node.names:
            self._imported(alias.name)
            name = alias.asname or alias.name.partition(".")[0]
            target = alias.name if alias.asname else alias.name.partition(".")[0]
            self.aliases[name] = self.own_imports[name] = target
        self.generic_visit(node)

    def visit_ImportFrom(self, node):
        if node.level == 0 and node.module:
            for alias in node.names:
                full = node.module if alias.name == "*" else f"{node.module}.{alias.name}"
                self._imported(full if _matches(full, self.context.forbidden) else node.module)
                if alias.name == "*":
                    if any(name.startswith(node.module + ".") for name in self.context.forbidden):
                        self.flag(f"imports * from {node.module}, which holds what this "
                                  "exercise forbids")
                    continue
                name = alias.asname or alias.name
                self.aliases[name] = self.own_imports[name] = full
                self._rebinds(name, f"import:{full}")
        self.generic_visit(node)

    # -- bindings ---------------------------------------------------------------------------

    def _rebinds(self, name: str, origin: str, *, anywhere: bool = False) -> None:
        if self.depth and not anywhere:
            return
        given = self.context.given.get(name)
        if given is None or given == "assign" or given == origin:
            return
        self.flag(f"rebinds {name}, which the set-up gives")

    def _scoped(self, node) -> None:
        self.depth += 1
        try:
            self.generic_visit(node)
        finally:
            self.depth -= 1

    def visit_FunctionDef(self, node):
        self._rebinds(node.name, "def")
        self._scoped(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):
        self._rebinds(node.name, "class")
        self._scoped(node)

    def visit_Lambda(self, node):
        self._scoped(node)

    def visit_Global(self, node):
        for name in node.names:
            self._rebinds(name, "global", anywhere=True)

    def _store(self, target, value=None) -> None:
        if isinstance(target, ast.Name):
            self._rebinds(target.id, "assign")
            alias = self.dotted(value) if value is not None else None
            if alias:
                self.aliases[target.id] = alias
        elif isinstance(target, ast.Attribute):
            if target.attr in ASSIGNED_ATTRIBUTES:
                self.flag(f"assigns {target.attr}")
            owner = self.dotted(target.value)
            if owner:
                self.flag(f"patches {owner}.{target.attr}")
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._store(element)
        elif isinstance(target, ast.Starred):
            self._store(target.value)

    def visit_Assign(self, node):
        for target in node.targets:
            self._store(target, node.value if len(node.targets) == 1 else None)
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        self._store(node.target)
        self.generic_visit(node)

    def visit_AnnAssign(self, node):
        self._store(node.target)
        self.generic_visit(node)

    def visit_Delete(self, node):
        for target in node.targets:
            self._store(target)
        self.generic_visit(node)

    # -- uses -------------------------------------------------------------------------------

    def visit_Call(self, node):
        func = node.func
        if (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call)
                and isinstance(func.value.func, ast.Name) and func.value.func.id == "get_ipython"
                and func.attr in ("run_line_magic", "run_cell_magic", "system", "getoutput")):
            self.magic_calls.add(id(func.value.func))
            if func.attr in ("system", "getoutput"):
                self.flag("runs a shell command (file or process access)")
            else:
                magic = node.args[0].value if node.args and isinstance(node.args[0], ast.Constant) else "?"
                if magic not in HARMLESS_MAGICS:
                    self.flag(f"runs the magic %{magic}")
        name = func.id if isinstance(func, ast.Name) else None
        if name in ("__import__",) or self.dotted(func) in ("importlib.import_module",):
            for arg in node.args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    self._imported(arg.value)
        self.generic_visit(node)

    def visit_Name(self, node):
        name = node.id
        if isinstance(node.ctx, ast.Load):
            if name == "get_ipython" and id(node) not in self.magic_calls:
                self.flag("uses get_ipython() (IPython internals)")
            elif name in INTERNAL_BUILTINS and name not in self.own:
                self.flag(f"calls {name}() (the interpreter's internals)")
            elif name in FILE_BUILTINS and name not in self.own:
                self.flag(f"calls {name}() (file access)")
            elif name in ("__builtins__", "__loader__", "__spec__"):
                self.flag(f"uses {name} (the interpreter's internals)")
            elif name == "__file__":
                self.flag("uses __file__ (file access)")
            elif name in self.context.hidden_names and name not in self.own:
                self.flag(f"reads {name}, a name only the hidden tests define")

    def visit_Attribute(self, node):
        if node.attr in INTERNAL_ATTRIBUTES:
            self.flag(f"uses .{node.attr} (the interpreter's internals)")
        elif node.attr == "__file__":
            self.flag("uses __file__ (file access)")
        dotted = self.dotted(node)
        own = self.dotted(node, own_only=True)
        if own:
            forbidden = _matches(own, self.context.forbidden)
            if forbidden and forbidden not in self.forbidden_seen:
                self.forbidden_seen.add(forbidden)
                self.flag(f"uses {own}, which this exercise forbids")
        if dotted:
            module, _, attr = dotted.rpartition(".")
            root = module.partition(".")[0]
            if root in PARTLY_INTERNAL and module == root and attr in PARTLY_INTERNAL[root]:
                self.flag(f"uses {dotted} (the interpreter's internals)")
            elif attr in FILE_ATTRIBUTES and root in ("numpy", "pandas", "pathlib", "scipy", "json"):
                self.flag(f"calls {dotted} (file access)")
        self.generic_visit(node)

    def visit_Constant(self, node):
        if isinstance(node.value, str):
            lowered = node.value.lower()
            for fragment in FILE_STRINGS:
                if fragment in lowered:
                    self.flag(f"mentions {fragment!r} in a string (file access)")
            forbidden = _matches(node.value, self.context.forbidden)
            if forbidden and forbidden not in self.forbidden_seen:
                self.forbidden_seen.add(forbidden)
                self.flag(f"names {node.value} in a string, which this exercise forbids")


def scan_cell(source: str, context: Context) -> list[str]:
    """What a student's code cell does that an honest answer has no reason to (see the module)."""
    tree = parse(source)
    if tree is None:
        return []            # it cannot run either
    scanner = _Scanner(context, bound_names(tree))
    scanner.visit(tree)
    return scanner.found


__all__ = ["Context", "bindings", "bound_names", "parse", "scan_cell"]
