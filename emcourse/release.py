"""``exercises/`` generated from ``solutions/``, the single source of every exercise.

A solution notebook ``solutions/NN_<topic>.ipynb`` becomes ``exercises/NN_<topic>.ipynb`` through
nbgrader's own release preprocessors, which need no gradebook database:

1. ``ClearSolutions`` — code between ``### BEGIN SOLUTION`` / ``### END SOLUTION`` becomes
   ``# YOUR CODE HERE`` / ``raise NotImplementedError()``; Markdown answers become "YOUR ANSWER HERE".
2. ``ClearHiddenTests`` — ``### BEGIN HIDDEN TESTS`` … ``### END HIDDEN TESTS`` is removed.
3. ``ClearOutput`` — outputs and execution counts are cleared.
4. ``LockCells`` — test and read-only cells are marked non-editable and non-deletable.

The solution's metadata is validated first (nbgrader's ``MetadataValidator``, plus unique
``grade_id``s), so a malformed solution fails at release rather than at grading time.
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
from nbgrader.nbgraderformat import MetadataValidator, ValidationError
from nbgrader.preprocessors import ClearHiddenTests, ClearOutput, ClearSolutions, LockCells

from . import markup

# Notebook metadata the exercises do not need: stored widget state belongs to executed solutions.
_DROPPED_METADATA = ("widgets", "celltoolbar")
# Cell metadata ClearOutput removes: its defaults plus execution timings recorded by nbclient.
_CLEARED_CELL_METADATA = {"collapsed", "scrolled", "execution", "ExecuteTime"}


def check_solution(nb, name: str = "solution") -> None:
    """Raise ValueError when a solution notebook's nbgrader markup is unusable.

    Checks nbgrader's schema (points on every grade cell, ...), that every cell carries nbgrader
    metadata (so the grader can restore every cell but the answers; nbgrader's validator already
    rejects duplicate ``grade_id``s) and that every answer cell has a ``### BEGIN SOLUTION``
    region or is Markdown.
    """
    try:
        MetadataValidator().validate_nb(nb)
    except ValidationError as error:
        raise ValueError(f"{name}: invalid nbgrader metadata: {error}") from error
    for index, cell in enumerate(nb.cells):
        gid = markup.grade_id(cell)
        if gid is None:
            raise ValueError(f"{name}: cell {index} has no nbgrader metadata; mark it read-only "
                             "(locked) so the grader can restore it.")
        if (markup.is_answer(cell) and cell.cell_type == "code"
                and "### BEGIN SOLUTION" not in cell.source):
            raise ValueError(f"{name}: answer cell {gid!r} has no '### BEGIN SOLUTION' region.")
    if not markup.graded_cells(nb):
        raise ValueError(f"{name}: no test cells (grade: true, solution: false); nothing to grade.")


def release_notebook(solution, name: str = "solution") -> nbformat.NotebookNode:
    """The student version of one solution notebook (the input is not modified)."""
    check_solution(solution, name)
    nb = copy.deepcopy(solution)
    resources = {}
    clear_output = ClearOutput(remove_metadata_fields=_CLEARED_CELL_METADATA)
    for preprocessor in (ClearSolutions(), ClearHiddenTests(), clear_output, LockCells()):
        nb, resources = preprocessor.preprocess(nb, resources)
    for key in _DROPPED_METADATA:
        nb.metadata.pop(key, None)
    return nb


def solution_paths(solutions_dir: Path) -> list[Path]:
    """The ``NN_<topic>.ipynb`` notebooks of ``solutions_dir``, sorted; ValueError when there are none."""
    if not solutions_dir.is_dir():
        raise ValueError(f"solutions_dir: {solutions_dir} is not a folder; run from the course root "
                         "or pass --course.")
    paths = sorted(solutions_dir.glob("[0-9][0-9]_*.ipynb"))
    if not paths:
        raise ValueError(f"solutions_dir: {solutions_dir} has no NN_<topic>.ipynb solution notebooks.")
    return paths


def _released_text(path: Path) -> str:
    return nbformat.writes(release_notebook(markup.read_notebook(path), path.name)) + "\n"


def release(solutions_dir, exercises_dir) -> list[Path]:
    """Regenerate every ``exercises/NN_<topic>.ipynb`` from ``solutions/``; return the paths written."""
    solutions_dir, exercises_dir = Path(solutions_dir), Path(exercises_dir)
    exercises_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in solution_paths(solutions_dir):
        target = exercises_dir / path.name
        target.write_text(_released_text(path), encoding="utf-8")
        written.append(target)
    return written


def stale_exercises(solutions_dir, exercises_dir) -> list[str]:
    """Names of exercise notebooks that are missing or differ from a fresh release (empty: up to date)."""
    solutions_dir, exercises_dir = Path(solutions_dir), Path(exercises_dir)
    stale = []
    for path in solution_paths(solutions_dir):
        target = exercises_dir / path.name
        if not target.is_file() or target.read_text(encoding="utf-8") != _released_text(path):
            stale.append(path.name)
    return stale
