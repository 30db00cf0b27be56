"""Test-suite set-up shared by tests/ and notebooks/: one BLAS thread.

The suite does thousands of small linear-algebra operations. Extra BLAS threads only add
overhead there, and on a busy two-core machine they oversubscribe the cores: fits on Old Faithful
were measured 80x slower. The environment variables reach every kernel that nbval and the
grader start (they inherit this process's environment); threadpoolctl limits this process,
whose BLAS may already be loaded. Benchmarks set their own limits. Hypothesis runs derandomized.
"""

import os
import sys

from hypothesis import settings
from threadpoolctl import threadpool_limits

# Property tests draw the same examples on every run and keep no example database: a failure
# is reproducible on any machine, and the suite never passes or fails by luck.
settings.register_profile("course", derandomize=True, database=None)
settings.load_profile("course")

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

# The suite starts about a hundred Python processes (kernels, workers, command-line runs), each
# importing emlib, emcourse and the test modules. With PYTHONDONTWRITEBYTECODE set (as on this
# project's machines) each of them compiles those from source again; caching the bytecode
# (in the git-ignored __pycache__ folders) saves about half a second per process.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False

_BLAS_LIMIT = threadpool_limits(limits=1, user_api="blas")

# nbval does not compare slider cells (NBVAL_IGNORE_OUTPUT), so the kernels it starts skip
# pre-rendering their frames for the website (emcourse.widgets.records_frames).
os.environ.setdefault("EMCOURSE_FRAMES", "0")


# nbval's kernels are forked from a zygote that has imported what the lectures import
# (emcourse.execute.fork_kernel, as the grader's are): each notebook then starts in half a second
# instead of spending two to four on its kernel and its first cell's imports. The kernel is still
# a process of its own whose memory no cell has touched; EMCOURSE_FORK=0 starts new Pythons.
def _lecture_imports() -> tuple[str, ...]:
    """The modules imported by the lectures' code cells (the zygote ignores any that fail)."""
    import ast
    import pathlib

    import nbformat

    names = set()
    for path in sorted((pathlib.Path(__file__).parent / "notebooks").glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "code":
                continue
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:           # IPython magics: their cell's imports are found elsewhere
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names.update(alias.name for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    names.add(node.module)    # and what may be a submodule (from emlib import gmm)
                    names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return tuple(sorted(names))


def _fork_nbval_kernels() -> None:
    import tempfile
    import uuid

    import nbval.kernel

    from emcourse import execute

    if not execute.FORK:
        return
    imports = _lecture_imports()

    class NbvalKernelManager(execute.ForkedKernelManager):
        def __init__(self, **kwargs):
            # Unix sockets, not TCP ports another kernel could take between choice and bind
            ip = os.path.join(tempfile.gettempdir(), f"emcourse-nbval-{uuid.uuid4().hex}")
            super().__init__(transport="ipc", ip=ip, **kwargs)

        def fork(self, connection_file, cwd=None, **_ignored):
            return execute.fork_kernel(cwd or os.getcwd(), ["-f", connection_file],
                                       dict(os.environ), kind="ipython", imports=imports)

    nbval.kernel.KernelManager = NbvalKernelManager


_fork_nbval_kernels()


# Scheduling: the suite runs on two workers that each take whole modules (--dist loadscope), so a
# long module handed out last finishes alone while the other worker idles. The modules that
# start kernels or a browser (the website, the grader, the notebooks under nbval)
# are by far the longest; collecting them first lets the many short unit-test modules fill the
# gaps at the end (longest-first scheduling). The order inside each module is kept. pytest-xdist
# 3.x would otherwise reorder the modules by their number of tests (its loadscope reorder), which
# sent the 12-test website module, the longest, out last: pyproject.toml passes
# --no-loadscope-reorder so that this order is the one the workers get.
_LONG_FIRST = ("tests/test_site.py", "tests/test_emcourse_", "tests/test_exercises_",
               "notebooks/", "tests/test_lecture_")


def _schedule_rank(item) -> int:
    path = item.nodeid.split("::", 1)[0]
    for rank, prefix in enumerate(_LONG_FIRST):
        if path.startswith(prefix):
            return rank
    return len(_LONG_FIRST)


def pytest_collection_modifyitems(session, config, items):
    items.sort(key=_schedule_rank)  # stable: each module keeps its order and stays together
