"""``emcourse validate``: a student's check of a notebook before handing it in.

Like ``nbgrader validate``, it runs the notebook the way the grader will — test cells restored
from the released exercise, in the grading kernel — but with the *visible* tests only (a student's
copy of the course has no hidden tests), and says:

* which visible tests pass and the message of each that fails;
* which answer cells are missing, re-typed elsewhere, or still the blank stub;
* what the grader will flag for the instructor (an import the exercise forbids, patching, ...).
"""

from __future__ import annotations

from pathlib import Path

from . import markup
from .grade import GradeReport, Settings, grade_notebook, make_exercise, read_submission


def find_course(notebook: Path, course: Path | None) -> Path:
    """The course root holding ``exercises/``: ``course`` if given, else the current folder or the
    notebook's folder or its parent. ValueError saying what to pass when there is none."""
    candidates = [course] if course is not None else [Path.cwd(), notebook.resolve().parent,
                                                      notebook.resolve().parent.parent]
    for candidate in candidates:
        if (Path(candidate) / "exercises").is_dir():
            return Path(candidate)
    raise ValueError("cannot find the course's exercises/ folder; run from the course folder or "
                     "pass --course DIR.")


def load_released(exercises_dir: Path) -> dict:
    """The released exercises, as :class:`emcourse.grade.Exercise`\\ s whose only tests are visible."""
    exercises = {}
    for path in sorted(exercises_dir.glob("[0-9][0-9]_*.ipynb")):
        released = markup.read_notebook(path)
        exercises[path.stem] = make_exercise(path.stem, released, released)
    if not exercises:
        raise ValueError(f"{exercises_dir} has no NN_<topic>.ipynb exercises.")
    return exercises


def validate(path, course_root, *, timeout: float = 60.0, notebook_timeout: float = 600.0) -> GradeReport:
    """Grade ``path`` against the released exercise (visible tests only)."""
    path = Path(path)
    exercises = load_released(Path(course_root) / "exercises")
    settings = Settings(course_root=Path(course_root).resolve(), timeout=timeout,
                        notebook_timeout=notebook_timeout)
    report, submission, exercise, data = read_submission(path, "you", exercises)
    if report.error is not None:
        return report
    return grade_notebook(submission, report, exercise, settings, data)


def format_validation(report: GradeReport) -> tuple[str, bool]:
    """The lines ``emcourse validate`` prints, and whether every visible test passed."""
    if report.error is not None:
        return f"✗ {report.path}: {report.error}", False
    lines = [f"{report.path}: {report.exercise} (visible tests only; the grader also runs hidden "
             "tests on other inputs)"]
    for cell in report.cells:
        part = f"{cell.title} ({cell.grade_id}, {cell.max_points:g} points)" if cell.title else (
            f"{cell.grade_id} ({cell.max_points:g} points)")
        if cell.points == cell.max_points:
            lines.append(f"  ✓ {part}")
        else:
            message = cell.message or {"not run": "did not run", "timeout": "did not finish in time",
                                       "rejected": "not accepted"}.get(cell.status, cell.status)
            lines.append(f"  ✗ {part}: " + message.replace("\n", "\n      "))
    for note in report.notes:
        lines.append(f"warning: {note}" + (" (the grader will flag this for your instructor)"
                                           if note.startswith("integrity:") else ""))
    passed = sum(c.points == c.max_points for c in report.cells)
    lines.append(f"{passed} of {len(report.cells)} visible tests pass.")
    return "\n".join(lines), passed == len(report.cells)


__all__ = ["find_course", "load_released", "validate", "format_validation"]
