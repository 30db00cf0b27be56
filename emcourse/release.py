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

:func:`student_copy` (``emcourse release --to DIR``) writes what students may see: the course's
files without ``solutions/`` and without the git history (which holds them), with a fresh
``exercises/``, and checks that no notebook in it still carries a solution or hidden tests.
"""

from __future__ import annotations

import copy
import shutil
import subprocess
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
    try:
        markup.forbidden(nb)
    except ValueError as error:
        raise ValueError(f"{name}: {error}") from error


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


# Never copied to a student copy: the answers, and what git or tools keep beside the files.
_WITHHELD = ("solutions",)
_JUNK = {".git", "__pycache__", ".ipynb_checkpoints", ".pytest_cache", ".hypothesis", "build",
         "dist", ".benchmarks", ".venv", "venv"}
_LEAK_MARKERS = ("### BEGIN SOLUTION", "### BEGIN HIDDEN TESTS")


def _course_files(course_root: Path) -> list[Path]:
    """The course's files, relative to its root: git's (tracked and untracked but not ignored)
    when it is a checkout, else every file outside tool folders."""
    try:
        listed = subprocess.run(["git", "-C", str(course_root), "ls-files", "--cached", "--others",
                                 "--exclude-standard", "-z"], capture_output=True, check=True,
                                timeout=60).stdout.decode().split("\0")
        files = [Path(name) for name in listed if name]
    except (OSError, subprocess.SubprocessError):
        files = [path.relative_to(course_root) for path in course_root.rglob("*") if path.is_file()]
    return sorted({f for f in files if not (_JUNK & set(f.parts)) and not f.name.endswith(".egg-info")
                   and (course_root / f).is_file()})


def leaked_answers(folder) -> list[str]:
    """Notebooks under ``folder`` that still hold a solution region or hidden tests."""
    leaks = []
    for path in sorted(Path(folder).rglob("*.ipynb")):
        text = path.read_text(encoding="utf-8", errors="replace")
        if any(marker in text for marker in _LEAK_MARKERS):
            leaks.append(str(path.relative_to(folder)))
    return leaks


def student_copy(course_root, target) -> list[Path]:
    """Write the students' copy of the course to ``target`` (new or empty); return the files written.

    Everything but ``solutions/`` (and git's history, which holds it) is copied; ``exercises/`` is
    released afresh from the solutions. ValueError if ``target`` is not empty, lies inside the
    course, or if a copied notebook still holds answers or hidden tests.
    """
    course_root, target = Path(course_root).resolve(), Path(target).resolve()
    if target == course_root or course_root in target.parents:
        raise ValueError(f"--to: {target} is inside the course folder; choose a folder outside it.")
    if target.exists() and any(target.iterdir()):
        raise ValueError(f"--to: {target} is not empty; choose a new folder or empty it first.")
    solutions = course_root / "solutions"
    written = []
    for relative in _course_files(course_root):
        if relative.parts[0] in _WITHHELD or relative.parts[0] == "exercises":
            continue
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(course_root / relative, destination)
        written.append(destination)
    written += release(solutions, target / "exercises")
    readme = course_root / "exercises" / "README.md"
    if readme.is_file():
        shutil.copy2(readme, target / "exercises" / "README.md")
        written.append(target / "exercises" / "README.md")
    leaks = leaked_answers(target)
    if leaks:
        raise ValueError(f"the student copy in {target} still holds answers or hidden tests in "
                         f"{', '.join(leaks)}; remove them from the course or keep them out of it.")
    return written
