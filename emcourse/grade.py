"""Grade filled-in exercise notebooks against the solutions, in a fresh kernel.

For each submission:

1. Read its bytes once (the file is never opened for writing) and work on a copy in a temporary
   folder.
2. Work out which exercise it is: by file name, confirmed by its nbgrader ``grade_id``s; a
   notebook that holds another exercise's cells, or none of the course's, is reported, not graded.
3. Assemble the notebook to run from the *solution*: every test and read-only cell comes from the
   solution source (hidden tests included), so a deleted or edited test is restored and a student
   cannot mark their own work; every answer cell comes from the submission (a deleted answer
   becomes the blank stub and scores 0); cells the student added stay where they were, after the
   cell they followed.
4. Execute it with nbclient: per-cell timeout, errors allowed, so one failing or looping cell
   costs only the tests that depend on it.
5. A test cell earns its points when it ran and raised no error (``nbgrader.utils.determine_grade``,
   so a test whose last value is a number awards that many points). Output on stderr (a harmless
   warning) does not cost points; a cell that never ran because the kernel died scores 0.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import logging
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from nbgrader.utils import determine_grade

from . import markup
from .release import check_solution, release_notebook, solution_paths

TIMEOUT_ERROR = "CellTimeoutError"

# nbclient logs timeouts and interrupts as errors; the table's notes already say what happened
_QUIET = logging.getLogger("emcourse.grade.nbclient")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False


@dataclass
class CellGrade:
    """The grade of one test cell."""

    grade_id: str
    points: float
    max_points: float


@dataclass
class GradeReport:
    """The grade of one submitted notebook; ``error`` is set when it could not be graded."""

    student: str
    path: Path
    exercise: str | None = None
    cells: list[CellGrade] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def total(self) -> float:
        return sum(cell.points for cell in self.cells)

    @property
    def max_points(self) -> float:
        return sum(cell.max_points for cell in self.cells)


# ---------------------------------------------------------------------------------------------
# The solutions


@dataclass
class Exercise:
    """One exercise: its solution notebook, the released (blank) version and its grade_ids."""

    name: str
    solution: nbformat.NotebookNode
    released: nbformat.NotebookNode
    ids: set[str]


def load_exercises(solutions_dir) -> dict[str, Exercise]:
    """Every ``NN_<topic>.ipynb`` of ``solutions_dir``, validated, keyed by its stem."""
    exercises = {}
    for path in solution_paths(Path(solutions_dir)):
        solution = markup.read_notebook(path)
        check_solution(solution, path.name)
        exercises[path.stem] = Exercise(path.stem, solution, release_notebook(solution, path.name),
                                        markup.grade_ids(solution))
    return exercises


def identify(nb, path: Path, exercises: dict[str, Exercise]) -> Exercise:
    """The exercise a submitted notebook belongs to, or ValueError saying why none fits.

    The file name decides when it names an exercise, but the cells must agree: a notebook whose
    ``grade_id``s belong to another exercise is reported rather than graded against the wrong one.
    """
    ids = markup.grade_ids(nb)
    overlap = {name: len(ids & exercise.ids) for name, exercise in exercises.items()}
    best = max(overlap, key=overlap.get)
    named = next((name for name in exercises if path.stem == name or path.stem.startswith(name)), None)
    if named is not None:
        if overlap[named] == 0 and overlap[best] > 0:
            raise ValueError(f"the file is named like {named} but holds the cells of {best}; "
                             "submit the right notebook.")
        if overlap[named] == 0:
            raise ValueError(f"the file is named like {named} but has none of its exercise cells "
                             "(no nbgrader metadata); start again from exercises/"
                             f"{named}.ipynb and copy your answers in.")
        return exercises[named]
    if overlap[best] == 0:
        raise ValueError("not one of the course's exercises (no cell matches a solution's grade_id); "
                         f"expected one of: {', '.join(exercises)}.")
    return exercises[best]


# ---------------------------------------------------------------------------------------------
# Assembling the notebook to run


def _clean(cell) -> nbformat.NotebookNode:
    cell = copy.deepcopy(cell)
    if cell.cell_type == "code":
        cell.outputs = []
        cell.execution_count = None
    return cell


def assemble(submission, exercise: Exercise) -> nbformat.NotebookNode:
    """The notebook to execute: the solution's cells, with the student's answers and extra cells.

    Test and read-only cells are taken from the solution (hidden tests included); each answer cell
    is the student's cell with the same ``grade_id`` (the first one, if duplicated) or, when the
    student deleted it, the blank stub. A student's own cells are kept after the course cell they
    followed. Student copies of test or read-only cells are dropped: the solution's version runs.
    """
    solution_cells = exercise.solution.cells
    answer_ids = {markup.grade_id(c) for c in solution_cells if markup.is_answer(c)}
    restored_ids = {markup.grade_id(c) for c in solution_cells} - answer_ids

    answers, extras = {}, {}  # grade_id -> student's answer cell; anchor grade_id -> extra cells
    anchor = None
    for cell in submission.cells:
        gid = markup.grade_id(cell)
        if gid in answer_ids and gid not in answers:
            answers[gid] = cell
            anchor = gid
        elif gid in restored_ids:
            anchor = gid
        else:
            extras.setdefault(anchor, []).append(cell)

    blanks = {markup.grade_id(c): c for c in exercise.released.cells}
    cells = [_clean(c) for c in extras.get(None, [])]
    for cell in solution_cells:
        gid = markup.grade_id(cell)
        if gid in answer_ids:
            cells.append(_clean(answers.get(gid, blanks[gid])))
        else:
            cells.append(_clean(cell))
        cells.extend(_clean(c) for c in extras.get(gid, []))

    nb = nbformat.v4.new_notebook(cells=cells, metadata=copy.deepcopy(exercise.solution.metadata))
    nb.metadata.pop("widgets", None)
    for index, cell in enumerate(nb.cells):  # unique ids; students' copies may clash
        cell["id"] = f"cell-{index}"
    return nb


# ---------------------------------------------------------------------------------------------
# Executing and scoring


def execute(nb, workdir: Path, timeout: float) -> tuple[dict[int, str], list[str]]:
    """Run ``nb`` in place in a fresh python3 kernel; return {cell index: reply status} and notes.

    A cell running longer than ``timeout`` seconds is interrupted and recorded as an error, and
    execution goes on with the next cell. (A loop that catches KeyboardInterrupt keeps the kernel
    busy: every later cell then waits ``timeout`` too and scores 0, so the time is still bounded
    by ``timeout`` per cell.) If the kernel dies, the cells that did not run are missing from the
    returned statuses.
    """
    statuses, notes = {}, []

    def on_cell_executed(cell, cell_index, execute_reply):
        content = execute_reply["content"] if execute_reply else {"status": "error"}
        statuses[cell_index] = content["status"]
        if content.get("ename") == TIMEOUT_ERROR:
            notes.append(f"cell {cell_index} stopped after {timeout:g} s")

    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", allow_errors=True, interrupt_on_timeout=True,
        error_on_timeout={"ename": TIMEOUT_ERROR,
                          "evalue": f"the cell ran longer than {timeout:g} s and was stopped",
                          "traceback": []},
        record_timing=False, store_widget_state=False, on_cell_executed=on_cell_executed, log=_QUIET,
        resources={"metadata": {"path": str(workdir)}})
    try:
        # the kernel process's own log (not the cells' output) would only clutter the table
        client.execute(stderr=subprocess.DEVNULL)
    except DeadKernelError:
        notes.append(f"the kernel died after cell {max(statuses, default=-1)}; "
                     "later cells did not run")
    return statuses, notes


def score(nb, statuses: dict[int, str]) -> list[CellGrade]:
    """Points for each test cell of an executed notebook (0 for a cell that did not run)."""
    grades = []
    for index, cell in enumerate(nb.cells):
        if not markup.is_test(cell):
            continue
        max_points = markup.points(cell)
        if statuses.get(index) != "ok":
            points = 0.0
        else:
            # stderr (a warning) is not a failure here; nbgrader's rule would give it 0
            quiet = copy.deepcopy(cell)
            quiet.outputs = [o for o in quiet.outputs
                             if not (o.output_type == "stream" and o.name == "stderr")]
            try:
                points, max_points = determine_grade(quiet)
            except ValueError:  # a partial-credit value above the cell's points
                points = 0.0
            points = float(points or 0.0)
        grades.append(CellGrade(markup.grade_id(cell), points, max_points))
    return grades


# ---------------------------------------------------------------------------------------------
# Grading files


def file_hash(path) -> str:
    """SHA-256 of a file's bytes (the grader checks a submission is unchanged)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def grade_file(path, student: str, exercises: dict[str, Exercise], timeout: float = 60) -> GradeReport:
    """Grade one submitted notebook; problems with the file become ``report.error``."""
    path = Path(path)
    report = GradeReport(student=student, path=path)
    try:
        data = path.read_bytes()
        submission = markup.notebook_from_bytes(data, path.name)
        exercise = identify(submission, path, exercises)
    except OSError as error:
        report.error = f"cannot be read ({error.strerror})"
        return report
    except ValueError as error:
        report.error = str(error).removeprefix(f"{path.name}: ")
        return report
    report.exercise = exercise.name
    try:
        nb = assemble(submission, exercise)
        with tempfile.TemporaryDirectory(prefix="emcourse-grade-") as workdir:
            (Path(workdir) / path.name).write_bytes(data)  # the student's copy, beside the run
            statuses, report.notes = execute(nb, Path(workdir), timeout)
        report.cells = score(nb, statuses)
    except Exception as error:  # noqa: BLE001 - one broken file must not stop the others
        report.cells = []
        report.error = (f"could not be graded ({type(error).__name__}: {error}); "
                        "grade this file by hand")
    return report


def collect(arguments) -> list[tuple[str, Path]]:
    """(student, notebook path) for each file or folder argument.

    A file's student is the name of its folder. A folder holds either one student's notebooks
    (``alice/03_gaussian_mixtures.ipynb``: the student is the folder's name) or one folder per
    student (``submitted/alice/...``, as nbgrader lays them out: the student is the first folder
    below it). Checkpoint folders are skipped. Non-notebook files inside folders are ignored;
    a file named on the command line is always graded (and reported if it is not a notebook).
    """
    found = []
    for argument in arguments:
        root = Path(argument)
        if root.is_dir():
            for path in sorted(root.rglob("*.ipynb")):
                relative = path.relative_to(root)
                if ".ipynb_checkpoints" in relative.parts:
                    continue
                student = relative.parts[0] if len(relative.parts) > 1 else root.resolve().name
                found.append((student, path))
        else:
            found.append((root.resolve().parent.name, root))
    return found


def grade(arguments, solutions_dir, timeout: float = 60, jobs: int = 1,
          progress=None) -> list[GradeReport]:
    """Grade every submission named by ``arguments`` (files or folders); one report per file.

    ``jobs`` notebooks run at once, each in its own kernel (most of a small notebook's time is
    kernel start-up, so a few jobs help even on two cores). Reports keep the order of the files.
    """
    exercises = load_exercises(solutions_dir)
    submissions = collect(arguments)

    def one(numbered):
        number, (student, path) = numbered
        if progress is not None:
            progress(f"[{number}/{len(submissions)}] grading {path} ({student})")
        return grade_file(path, student, exercises, timeout)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(one, enumerate(submissions, start=1)))


# ---------------------------------------------------------------------------------------------
# The table

COLUMNS = ("student", "exercise", "file", "points", "total", "max", "notes")


def _number(value: float) -> str:
    return f"{value:g}"


def rows(reports) -> list[dict[str, str]]:
    """One row per submission: the per-cell points as ``grade_id=points/max`` pairs."""
    table = []
    for report in reports:
        graded = report.error is None
        table.append({
            "student": report.student,
            "exercise": report.exercise or "-",
            "file": str(report.path),
            "points": " ".join(f"{c.grade_id}={_number(c.points)}/{_number(c.max_points)}"
                               for c in report.cells),
            "total": _number(report.total) if graded else "-",
            "max": _number(report.max_points) if graded else "-",
            "notes": f"ERROR: {report.error}" if not graded else "; ".join(report.notes),
        })
    return table


def format_table(reports) -> str:
    """The grades as an aligned plain-text table."""
    table = rows(reports)
    widths = {c: max([len(c)] + [len(row[c]) for row in table]) for c in COLUMNS}
    lines = ["  ".join(c.ljust(widths[c]) for c in COLUMNS).rstrip()]
    lines.append("  ".join("-" * widths[c] for c in COLUMNS))
    lines += ["  ".join(row[c].ljust(widths[c]) for c in COLUMNS).rstrip() for row in table]
    return "\n".join(lines)


def write_csv(reports, path) -> None:
    """The same table as ``format_table``, as CSV."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows(reports))


__all__ = ["CellGrade", "GradeReport", "Exercise", "load_exercises", "identify", "assemble",
           "execute", "score", "grade_file", "collect", "grade", "rows", "format_table",
           "write_csv", "file_hash"]
