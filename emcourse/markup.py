"""nbgrader's cell markup, read the way the course uses it.

Every cell of a solution notebook carries nbgrader metadata (schema version 3)::

    {"nbgrader": {"grade": bool, "solution": bool, "locked": bool,
                  "grade_id": str, "points": float (grade cells only), "schema_version": 3}}

Three kinds of cell occur:

* **answer** cells (``solution: true``): the student writes here; the code between
  ``### BEGIN SOLUTION`` and ``### END SOLUTION`` is replaced on release.
* **test** cells (``grade: true, solution: false``): worth ``points``; the part between
  ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS`` is removed on release.
* **read-only** cells (``locked: true``): instructions and set-up that the grader restores.

The predicates here wrap ``nbgrader.utils`` so the rules are nbgrader's own.

The course adds one optional key of its own, in the solution's *notebook* metadata::

    {"emcourse": {"forbidden": ["emlib.coins"]}}

the modules (or module members) an exercise asks students to write themselves; the grader flags
answers that import them (``emcourse.scan``). It is released with the exercise, so students
(and ``emcourse validate``) can see it.
"""

from __future__ import annotations

import nbformat
from nbgrader import utils as nbgrader_utils

SCHEMA_VERSION = 3
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
# The nbgrader keys that decide how a cell is graded; a submission may not change them.
MARKING_KEYS = ("grade", "solution", "locked", "points", "task")


def grade_id(cell) -> str | None:
    """The cell's nbgrader ``grade_id``, or None for a cell without nbgrader metadata."""
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def is_answer(cell) -> bool:
    """True for a cell the student writes in (nbgrader ``solution`` cell)."""
    return "nbgrader" in cell.get("metadata", {}) and nbgrader_utils.is_solution(cell)


def is_test(cell) -> bool:
    """True for an autograded test cell: a code cell worth points that is not an answer."""
    return (cell.cell_type == "code" and "nbgrader" in cell.get("metadata", {})
            and nbgrader_utils.is_grade(cell) and not nbgrader_utils.is_solution(cell))


def points(cell) -> float:
    """The points a test cell is worth."""
    return float(cell.metadata["nbgrader"]["points"])


def graded_cells(nb) -> list:
    """The test cells of a notebook, in order."""
    return [cell for cell in nb.cells if is_test(cell)]


def marking(cell) -> dict:
    """The keys of a cell's nbgrader metadata that decide its grading (``points`` for grade cells)."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    found = {key: meta[key] for key in MARKING_KEYS if key in meta}
    if not found.get("grade"):
        found.pop("points", None)
    found["cell_type"] = cell.get("cell_type")
    return found


def forbidden(nb) -> tuple[str, ...]:
    """The modules or members an exercise forbids (notebook ``metadata.emcourse.forbidden``)."""
    names = nb.get("metadata", {}).get("emcourse", {}).get("forbidden", [])
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise ValueError("metadata.emcourse.forbidden must be a list of module names such as "
                         f"'emlib.coins', got {names!r}.")
    return tuple(names)


def split_hidden(source: str) -> tuple[str, str]:
    """(visible, hidden) parts of a test cell's source; hidden is "" when there are no hidden tests."""
    visible, hidden, inside = [], [], False
    for line in source.split("\n"):
        marker = line.strip()
        if marker in (HIDDEN_BEGIN, HIDDEN_END):
            inside = marker == HIDDEN_BEGIN
        else:
            (hidden if inside else visible).append(line)
    return "\n".join(visible), "\n".join(hidden)


def title(cell) -> str | None:
    """A Markdown cell's first heading without '#' and a trailing "(N points)", or None."""
    if cell.get("cell_type") != "markdown":
        return None
    for line in cell.source.splitlines():
        if line.startswith("#"):
            text = line.lstrip("#").strip()
            if text.endswith(")") and "point" in text.rpartition("(")[2]:
                text = text.rpartition("(")[0].strip()
            return text or None
    return None


def grade_ids(nb) -> set[str]:
    """All ``grade_id``s of a notebook's nbgrader cells."""
    return {gid for gid in map(grade_id, nb.cells) if gid is not None}


def read_notebook(path) -> nbformat.NotebookNode:
    """Read a notebook as nbformat v4, raising ValueError that names the file when it is not one."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as error:
        raise ValueError(f"{path}: cannot be read ({error.strerror}).") from error
    return notebook_from_bytes(data, path)


def notebook_from_bytes(data: bytes, path) -> nbformat.NotebookNode:
    """Parse a notebook from its bytes (the caller never reopens the file)."""
    try:
        nb = nbformat.reads(data.decode("utf-8"), as_version=4)
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: not a notebook (the file is not UTF-8 text).") from error
    except Exception as error:  # nbformat raises JSONDecodeError, NotJSONError, KeyError, ...
        raise ValueError(f"{path}: not a notebook (the file is not valid notebook JSON: "
                         f"{type(error).__name__}).") from error
    if not isinstance(nb.get("cells"), list):
        raise ValueError(f"{path}: not a notebook (it has no list of cells).")
    return nb
