"""Grade filled-in exercise notebooks against the solutions, in a sandboxed grading kernel.

For each submission:

1. Read its bytes once (the file is never opened for writing).
2. Work out which exercise it is: by file name, confirmed by its nbgrader ``grade_id``s; a
   notebook that holds another exercise's cells, or none of the course's, is reported, not graded.
3. Assemble the notebook to run (:func:`assemble`). **The solution is the only authority**: every
   test and read-only cell, its points and its marking come from the solution (hidden tests
   included); the student's answer cells and added cells are taken as code with their nbgrader
   metadata stripped. Changed markings (an answer re-marked as a 50-point test, an added
   100-point "bonus" cell) are ignored and noted as ``integrity:``. A deleted answer cell is
   *not* replaced by the blank stub — a student who re-typed the answer in a new cell keeps it —
   and an untouched stub is skipped when a cell above it already defines what it would redefine.
4. Scan the student's code cells (``emcourse.scan``).
5. Run it in the grading kernel (``emcourse.execute``, ``emcourse.kernel``): a sandbox with no path
   back to the course folder, per-cell and per-notebook time limits, capped output.
6. Score each of the solution's test cells (:func:`score`): nbgrader's rule
   (``nbgrader.utils.determine_grade``: points when the cell raises nothing; a last value that is
   a number gives partial credit), and then the grader's own checks, outside the kernel:

   * every ``emcourse.testing`` check that passed in the kernel is judged again from its
     recorded values (a patched comparison passes in the kernel but not here);
   * a cell that passed must have made the same checks as the solution's own run (a check
     rebound to a no-op makes none);
   * the values a check compared against must be the solution run's (a replaced reference
     implementation changes them) — flagged, not scored.

   A cell whose result fails these scores 0, and the notes say why. Output on stderr (a harmless
   warning) does not cost points (nbgrader would give 0); a cell that never ran scores 0.

The solution itself is run the same way once per exercise (:func:`reference_run`) to provide the
checks it makes and the values they compare.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import contextlib
import logging
import os
import re
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.utils import determine_grade

from . import execute, markup
from . import scan as scanning
from .release import release_notebook, solution_paths
from .testing import recheck

_QUIET = logging.getLogger("emcourse.grade")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False

DEFAULT_TIMEOUT = 60.0
DEFAULT_NOTEBOOK_TIMEOUT = 600.0


@dataclass
class CellGrade:
    """The grade of one test cell, with what the student's feedback may say about it."""

    grade_id: str
    points: float
    max_points: float
    status: str = "passed"          # passed, partial, failed, timeout, not run, rejected
    message: str | None = None      # the failed visible check's message (never test source)
    hidden: bool = False            # the failure came from the hidden tests
    title: str | None = None        # the part's heading, e.g. "2 · The M-step"


@dataclass
class GradeReport:
    """The grade of one submitted notebook (or one missing); ``error`` when it could not be graded."""

    student: str
    path: Path | None
    exercise: str | None = None
    cells: list[CellGrade] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    missing: bool = False
    seconds: float = 0.0

    @property
    def total(self) -> float:
        return sum(cell.points for cell in self.cells)

    @property
    def max_points(self) -> float:
        return sum(cell.max_points for cell in self.cells)

    @property
    def integrity(self) -> list[str]:
        return [note for note in self.notes if note.startswith("integrity:")]


# ---------------------------------------------------------------------------------------------
# The exercises


@dataclass
class Exercise:
    """One exercise: its solution, the released (blank) version and what grading derives from them."""

    name: str
    solution: nbformat.NotebookNode
    released: nbformat.NotebookNode
    ids: set[str]
    context: scanning.Context = field(default_factory=scanning.Context)
    preload: set[str] = field(default_factory=set)
    titles: dict[str, str] = field(default_factory=dict)
    has_hidden_tests: bool = True

    @property
    def test_ids(self) -> list[str]:
        return [markup.grade_id(c) for c in markup.graded_cells(self.solution)]

    @property
    def max_points(self) -> float:
        return sum(markup.points(c) for c in markup.graded_cells(self.solution))


def _imported_modules(tree) -> set[str]:
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
    return modules


def make_exercise(name: str, solution, released) -> Exercise:
    """An :class:`Exercise` with the scan context, preload list and titles derived from ``solution``."""
    given, visible_names, hidden_names, preload, titles = {}, set(), set(), set(), {}
    title = None
    for cell in solution.cells:
        heading = markup.title(cell)
        if heading:
            title = heading
        if markup.is_test(cell) and title:
            titles[markup.grade_id(cell)] = title
        if cell.cell_type != "code" or markup.is_answer(cell):
            continue
        visible, hidden = markup.split_hidden(cell.source)
        for part, names in ((visible, visible_names), (hidden, hidden_names)):
            tree = scanning.parse(part)
            if tree is not None:
                names.update(scanning.bound_names(tree))
                preload.update(_imported_modules(tree))
        if not markup.is_test(cell):
            tree = scanning.parse(cell.source)
            if tree is not None:
                given.update(scanning.bindings(tree))
    context = scanning.Context(given=given, forbidden=markup.forbidden(solution),
                               hidden_names=frozenset(hidden_names - visible_names))
    has_hidden = any(markup.HIDDEN_BEGIN in c.source for c in markup.graded_cells(solution))
    return Exercise(name, solution, released, markup.grade_ids(solution), context, preload, titles,
                    has_hidden)


def load_exercises(solutions_dir) -> dict[str, Exercise]:
    """Every ``NN_<topic>.ipynb`` of ``solutions_dir``, validated, keyed by its stem."""
    exercises = {}
    for path in solution_paths(Path(solutions_dir)):
        solution = markup.read_notebook(path)
        released = release_notebook(solution, path.name)   # checks the solution's markup first
        exercises[path.stem] = make_exercise(path.stem, solution, released)
    return exercises


_COPY_PATTERNS = (re.compile(r"^copy of\s+", re.I), re.compile(r"\s*\(\d+\)$"),
                  re.compile(r"-copy\d*$", re.I), re.compile(r"\s+copy(\s*\d+)?$", re.I))


def canonical_stem(stem: str) -> str:
    """A file name without the marks of a copy: ``Copy of X``, ``X (1)``, ``X-Copy1``, ``X copy 2``."""
    previous = None
    while previous != stem:
        previous = stem
        for pattern in _COPY_PATTERNS:
            stem = pattern.sub("", stem)
    return stem


def named_exercise(path: Path, exercises) -> str | None:
    """The exercise a file's name names (copies' names included), or None."""
    stem = canonical_stem(path.stem)
    return next((name for name in exercises if stem == name or stem.startswith(name)), None)


def identify(nb, path: Path, exercises: dict[str, Exercise]) -> Exercise:
    """The exercise a submitted notebook belongs to, or ValueError saying why none fits.

    The file name decides when it names an exercise (copies' names included), but the cells must
    agree: a notebook whose ``grade_id``s belong to another exercise is reported rather than
    graded against the wrong one.
    """
    ids = markup.grade_ids(nb)
    overlap = {name: len(ids & exercise.ids) for name, exercise in exercises.items()}
    best = max(overlap, key=overlap.get)
    named = named_exercise(path, exercises)
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


@dataclass
class Assembly:
    """The notebook to run, where its test cells are, and what assembling it found."""

    nb: nbformat.NotebookNode
    tests: dict[str, int]                      # grade_id -> cell index in nb
    notes: list[str] = field(default_factory=list)
    integrity: dict[str, list[str]] = field(default_factory=dict)   # cell label -> findings

    def flag(self, label: str, finding: str) -> None:
        found = self.integrity.setdefault(label, [])
        if finding not in found:
            found.append(finding)


def _course_cell(cell, role: str, label: str):
    cell = copy.deepcopy(cell)
    cell.metadata = {"emcourse": {"trusted": True, "role": role, "label": label}}
    if cell.cell_type == "code":
        cell.outputs, cell.execution_count = [], None
    return cell


def _student_cell(cell, label: str):
    """A student's cell as code only: no outputs and no metadata (nbgrader's included)."""
    source = cell.get("source", "")
    if cell.get("cell_type") == "code":
        new = nbformat.v4.new_code_cell(source)
    elif cell.get("cell_type") == "markdown":
        new = nbformat.v4.new_markdown_cell(source)
    else:
        new = nbformat.v4.new_raw_cell(source)
    new.metadata = {"emcourse": {"trusted": False, "role": "student", "label": label}}
    return new


def _describe_marking(marking: dict) -> str:
    parts = [key for key in ("grade", "solution", "locked", "task") if marking.get(key)]
    if marking.get("grade") and "points" in marking:
        parts.append(f"{marking['points']:g} points")
    return ", ".join(parts) or "unmarked"


def _defined_names(source: str) -> set[str]:
    tree = scanning.parse(source)
    if tree is None:
        return set()
    return {name for name, origin in scanning.bindings(tree).items() if origin in ("def", "class")}


def _normalised(source: str) -> str:
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


def assemble(submission, exercise: Exercise) -> Assembly:
    """The notebook to execute: the solution's cells, with the student's answers and extra cells.

    See the module docstring, step 3. Every cell gets ``metadata.emcourse`` = ``{"trusted",
    "role", "label"}`` for the grading kernel; labels name cells in the notes.
    """
    solution_cells = exercise.solution.cells
    released = {markup.grade_id(c): c for c in exercise.released.cells}
    original = {markup.grade_id(c): c for c in solution_cells}
    answer_ids = {markup.grade_id(c) for c in solution_cells if markup.is_answer(c)}
    course_ids = {markup.grade_id(c) for c in solution_cells} - answer_ids
    assembly = Assembly(nb=nbformat.v4.new_notebook(), tests={})

    answers, extras, seen, anchor = {}, {}, set(), None   # anchor: the course cell last seen
    for index, cell in enumerate(submission.cells):
        gid = markup.grade_id(cell)
        has_marking = "nbgrader" in cell.get("metadata", {})
        if gid in released and gid not in seen:
            seen.add(gid)
            anchor = gid
            wanted, got = markup.marking(released[gid]), markup.marking(cell)
            if got != wanted:
                assembly.flag(f"cell {gid!r}", f"its nbgrader marking was changed to "
                                               f"{_describe_marking(got)} (the solution's is "
                                               f"{_describe_marking(wanted)}, which was used)")
            if gid in answer_ids:
                answers[gid] = cell
            elif (cell.get("cell_type") == "code"
                  and _normalised(cell.get("source", "")) not in (
                      _normalised(released[gid].source), _normalised(original[gid].source))):
                kind = "test" if markup.is_test(released[gid]) else "read-only"
                assembly.notes.append(f"the {kind} cell {gid!r} was edited; the solution's version ran")
            continue
        if has_marking and gid in released:
            assembly.notes.append(f"cell {gid!r} appears twice; the copy ran as an added cell")
        elif has_marking:
            marking = markup.marking(cell)
            if marking.get("grade") or marking.get("solution") or gid:
                assembly.flag(f"added cell {gid or index!r}",
                              f"carries nbgrader metadata ({_describe_marking(marking)}), ignored")
        extras.setdefault(anchor, []).append(cell)

    for gid in sorted(course_ids - seen):
        cell = next(c for c in solution_cells if markup.grade_id(c) == gid)
        if markup.is_test(cell):
            assembly.notes.append(f"the test cell {gid!r} was deleted; the solution's version ran")

    cells = assembly.nb.cells
    defined_above: set[str] = set()

    def add_extras(after):
        for number, cell in enumerate(extras.get(after, []), start=1):
            where = f"after {after!r}" if after else "at the top"
            cells.append(_student_cell(cell, f"added cell {number} {where}"))
            if cell.get("cell_type") == "code":
                defined_above.update(_defined_names(cell.get("source", "")))

    add_extras(None)
    for cell in solution_cells:
        gid = markup.grade_id(cell)
        if gid in answer_ids:
            if gid in answers:
                answer = answers[gid]
                stub_names = _defined_names(released[gid].source)
                untouched = _normalised(answer.get("source", "")) == _normalised(released[gid].source)
                if untouched and stub_names and stub_names <= defined_above:
                    assembly.notes.append(
                        f"the answer cell {gid!r} is still the blank stub; it was not run, because "
                        f"a cell above it already defines {', '.join(sorted(stub_names))}")
                else:
                    cells.append(_student_cell(answer, f"answer cell {gid!r}"))
                    defined_above.update(_defined_names(answer.get("source", "")))
            else:
                wanted = _defined_names(released[gid].source)
                retyped = sorted(wanted & set().union(*(
                    _defined_names(c.get("source", "")) for cs in extras.values() for c in cs
                    if c.get("cell_type") == "code")))
                if retyped:
                    assembly.notes.append(f"the answer cell {gid!r} is missing; "
                                          f"{', '.join(retyped)} is defined in a cell the student "
                                          "added, which was graded as written")
                else:
                    assembly.notes.append(f"the answer cell {gid!r} is missing (deleted?); its "
                                          "tests ran without it")
        else:
            role = "test" if markup.is_test(cell) else "setup"
            if role == "test":
                assembly.tests[gid] = len(cells)
            cells.append(_course_cell(cell, role, gid))
        add_extras(gid)

    assembly.nb.metadata = copy.deepcopy(exercise.solution.metadata)
    assembly.nb.metadata.pop("widgets", None)
    for index, cell in enumerate(cells):   # unique ids: students' copies may clash
        cell["id"] = f"cell-{index}"
    return assembly


def scan_student_cells(assembly: Assembly, exercise: Exercise) -> None:
    """Add what :func:`emcourse.scan.scan_cell` finds in each student code cell to the assembly."""
    for cell in assembly.nb.cells:
        info = cell.metadata["emcourse"]
        if not info["trusted"] and cell.cell_type == "code":
            for finding in scanning.scan_cell(cell.source, exercise.context):
                assembly.flag(info["label"], finding)


# ---------------------------------------------------------------------------------------------
# Scoring


@dataclass
class Reference:
    """What the solution's own run recorded, per test cell: the checks it made (decoded); and the
    run itself, which grading an unchanged copy of the solution reuses."""

    checks: dict[str, list[dict]]
    key: str = ""
    run: execute.NotebookRun | None = None


def assembly_key(assembly: Assembly) -> str:
    """A digest of what an assembled notebook runs: equal digests run the same cells."""
    digest = hashlib.sha256()
    for cell in assembly.nb.cells:
        digest.update(repr((cell.cell_type, cell.source, sorted(cell.metadata["emcourse"].items())))
                      .encode())
    return digest.hexdigest()


def _decoded(check: dict) -> dict:
    return dict(check, values=execute.decode_values(check["values"]))


def _judged(check: dict) -> bool:
    """Whether a check that passed in the kernel passes when judged again here."""
    values = check["values"]
    if check["kind"] == "close" and values.get("actual") is not None:
        if values.get("actual_shape") != values.get("expected_shape"):
            return False
    return recheck(check["kind"], values)


def _same_expected(mine: dict, theirs: dict) -> bool:
    """Whether two recorded checks compared against the same values (within the check's tolerance)."""
    if mine["kind"] != theirs["kind"] or mine["kind"] != "close":
        return mine["kind"] == theirs["kind"]
    a, b = mine["values"], theirs["values"]
    if a.get("expected_shape") != b.get("expected_shape"):
        return False
    rtol, atol = max(a["rtol"], 1e-6), max(a["atol"], 1e-8)
    return recheck("close", {"actual": a["expected"], "expected": b["expected"], "rtol": rtol,
                             "atol": atol})


def _error_message(ename: str, evalue: str) -> str:
    """What a student is told about the error a visible test raised."""
    if ename in ("AssertionError", "CheckFailed") and evalue:
        return evalue
    if ename == "NotImplementedError" and not evalue:
        return "NotImplementedError: not answered yet (the answer still raises NotImplementedError)"
    return f"{ename}: {evalue}" if evalue else ename


def _nbgrader_points(max_points: float, grade_id: str, value_text: str | None) -> float:
    """nbgrader's points for a test cell that raised nothing and whose last value printed ``value_text``."""
    outputs = []
    if value_text is not None:
        outputs.append(nbformat.v4.new_output("execute_result", data={"text/plain": value_text},
                                              execution_count=1))
    cell = nbformat.v4.new_code_cell(outputs=outputs, metadata={"nbgrader": {
        "grade": True, "solution": False, "locked": True, "points": max_points,
        "grade_id": grade_id, "schema_version": markup.SCHEMA_VERSION}})
    try:
        points, _ = determine_grade(cell, _QUIET)
    except ValueError:  # a partial-credit value above the cell's points
        return 0.0
    return float(points or 0.0)


def score(assembly: Assembly, exercise: Exercise, run: execute.NotebookRun,
          reference: Reference | None) -> tuple[list[CellGrade], list[str]]:
    """Points for each of the solution's test cells, and the integrity findings of the scoring."""
    grades, findings = [], []
    points_of = {markup.grade_id(c): markup.points(c) for c in markup.graded_cells(exercise.solution)}
    for gid in exercise.test_ids:
        max_points = points_of[gid]
        grade = CellGrade(gid, 0.0, max_points, title=exercise.titles.get(gid))
        grades.append(grade)
        cell_run = run.cells.get(assembly.tests.get(gid, -1))
        if cell_run is None:
            grade.status = "not run"
            continue
        if cell_run.status == "timeout":
            grade.status, grade.message = "timeout", "the test did not finish within its time limit"
            continue
        summary = cell_run.summary
        if "checks" not in summary:
            grade.status = "rejected"
            findings.append(f"the result of test cell {gid!r} did not come from the grading "
                            "kernel (were its handlers replaced?); it scores 0")
            continue
        if cell_run.status != "ok":
            error = summary.get("error") or {}
            grade.status, grade.hidden = "failed", bool(error.get("hidden"))
            if not grade.hidden:
                ename, evalue = error.get("ename", "Error"), error.get("evalue", "")
                grade.message = _error_message(ename, evalue)
            else:
                grade.message = f"a hidden test failed ({error.get('ename', 'Error')})"
            continue
        checks = [_decoded(c) for c in summary["checks"]]
        overturned = [c for c in checks if c["passed"] and not _judged(c)]
        if overturned:
            grade.status = "rejected"
            lines = ", ".join(str(c["line"]) for c in overturned)
            findings.append(f"test cell {gid!r} passed in the kernel, but its check on line(s) "
                            f"{lines} fails when judged again outside it (were numpy or "
                            "emcourse.testing patched?); it scores 0")
            continue
        if reference is not None and all(c["passed"] for c in checks):
            theirs = reference.checks.get(gid, [])
            if [c["kind"] for c in checks] != [c["kind"] for c in theirs]:
                grade.status = "rejected"
                findings.append(f"test cell {gid!r} made {len(checks)} of the {len(theirs)} checks "
                                "the solution's run makes (were the checks rebound?); it scores 0")
                continue
            differing = [c["line"] for c, t in zip(checks, theirs) if not _same_expected(c, t)]
            if differing:
                findings.append(f"in test cell {gid!r}, the check(s) on line(s) "
                                f"{', '.join(map(str, differing))} compared against other values "
                                "than in the solution's run (was the reference implementation "
                                "replaced?)")
        grade.points = _nbgrader_points(max_points, gid, summary.get("value"))
        grade.status = "passed" if grade.points == max_points else "partial"
    return grades, findings


# ---------------------------------------------------------------------------------------------
# Grading files


def file_hash(path) -> str:
    """SHA-256 of a file's bytes (the grader checks a submission is unchanged)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@dataclass
class Settings:
    """How to grade: the course (whose folder the kernel must not see) and the limits."""

    course_root: Path
    solutions_dir: Path | None = None
    timeout: float = DEFAULT_TIMEOUT
    notebook_timeout: float = DEFAULT_NOTEBOOK_TIMEOUT
    output_limit: int = execute.OUTPUT_LIMIT

    @property
    def hidden(self) -> list[Path]:
        """Folders the kernel must not find: the course root, and the checkout emcourse runs from
        when that is a course too (an editable install of another copy)."""
        folders = {self.course_root.resolve()}
        if self.solutions_dir is not None:
            folders.add(Path(self.solutions_dir).resolve().parent)
        here = Path(__file__).resolve().parent.parent
        if (here / "solutions").is_dir():
            folders.add(here)
        return sorted(folders)


def run_assembly(assembly: Assembly, exercise: Exercise, settings: Settings, name: str,
                 data: bytes) -> execute.NotebookRun:
    """Run an assembled notebook in a fresh sandbox."""
    sandbox = execute.Sandbox(settings.course_root, settings.hidden, exercise.preload, name, data,
                              settings.output_limit)
    try:
        run = execute.run(assembly.nb, sandbox, timeout=settings.timeout,
                          notebook_timeout=settings.notebook_timeout,
                          output_limit=settings.output_limit)
    finally:
        sandbox.close()
    return run


def note_findings(assembly: Assembly, run: execute.NotebookRun) -> None:
    """Add what the kernel reported about each cell of ``run`` to the assembly's notes."""
    for index, cell_run in run.cells.items():
        info = assembly.nb.cells[index].metadata["emcourse"]
        for finding in cell_run.summary.get("findings", []):
            what = finding["what"]
            if finding["integrity"]:
                label = info["label"] if not info["trusted"] else f"before cell {info['label']!r}"
                assembly.flag(label, what)
            else:
                assembly.notes.append(f"{what} (noticed before cell {info['label']!r})")


_REFERENCES: dict[tuple, Reference] = {}
_REFERENCES_LOCK = threading.Lock()


def reference_run(exercise: Exercise, settings: Settings) -> Reference:
    """Run the solution as a submission; its checks are the reference. ValueError if it loses points.

    Kept for the process's lifetime (keyed by the solution's content and the course folder).
    """
    text = nbformat.writes(exercise.solution)
    key = (hashlib.sha256(text.encode()).hexdigest(), str(settings.course_root.resolve()))
    with _REFERENCES_LOCK:
        if key in _REFERENCES:
            return _REFERENCES[key]
    assembly = assemble(exercise.solution, exercise)
    run = run_assembly(assembly, exercise, settings, f"{exercise.name}.ipynb", text.encode())
    note_findings(assembly, run)
    grades, _ = score(assembly, exercise, run, None)
    lost = [g.grade_id for g in grades if g.points != g.max_points]
    if lost:
        raise ValueError(f"the solution of {exercise.name} itself loses points in {', '.join(lost)} "
                         f"({'; '.join(run.notes) or 'its tests fail'}); fix solutions/ first")
    checks = {gid: [_decoded(c) for c in run.cells[index].summary["checks"]]
              for gid, index in assembly.tests.items()}
    with _REFERENCES_LOCK:
        _REFERENCES[key] = Reference(checks, assembly_key(assembly), run)
    return _REFERENCES[key]


def _integrity_notes(assembly: Assembly, scoring: list[str]) -> list[str]:
    notes = [f"integrity: {label}: {', '.join(found)}" for label, found in assembly.integrity.items()]
    return notes + [f"integrity: {finding}" for finding in scoring]


def grade_notebook(submission, report: GradeReport, exercise: Exercise, settings: Settings,
                   data: bytes, reference=None) -> GradeReport:
    """Grade a parsed submission of ``exercise`` into ``report`` (``reference``: None or a callable)."""
    report.exercise = exercise.name
    try:
        assembly = assemble(submission, exercise)
        scan_student_cells(assembly, exercise)
        key = assembly_key(assembly)
        if callable(reference) and key == assembly_key(assemble(exercise.solution, exercise)):
            reference = reference()   # an unchanged copy of the solution: its run is the reference's
        if getattr(reference, "key", None) == key and reference.run is not None:
            run = reference.run
        else:
            run = run_assembly(assembly, exercise, settings, report.path.name, data)
        note_findings(assembly, run)
        ref = reference() if callable(reference) else reference
        report.cells, scoring = score(assembly, exercise, run, ref)
        report.notes = assembly.notes + run.notes + _integrity_notes(assembly, scoring) + report.notes
        report.seconds = run.seconds
    except Exception as error:  # noqa: BLE001 - one broken file must not stop the others
        report.cells = []
        report.error = (f"could not be graded ({type(error).__name__}: {error}); "
                        "grade this file by hand")
    return report


def read_submission(path: Path, student: str, exercises: dict[str, Exercise]):
    """(report, notebook, exercise, bytes): a parsed submission, or a report whose ``error`` says why not."""
    report = GradeReport(student=student, path=path)
    try:
        data = path.read_bytes()
        submission = markup.notebook_from_bytes(data, path.name)
        exercise = identify(submission, path, exercises)
    except OSError as error:
        report.error = f"cannot be read ({error.strerror})"
    except ValueError as error:
        report.error = str(error).removeprefix(f"{path.name}: ")
    if report.error is not None:
        report.exercise = named_exercise(path, exercises)
        return report, None, None, None
    report.exercise = exercise.name
    return report, submission, exercise, data


def grade_file(path, student: str, exercises: dict[str, Exercise], timeout: float = DEFAULT_TIMEOUT,
               *, settings: Settings | None = None, reference=None) -> GradeReport:
    """Grade one submitted notebook; problems with the file become ``report.error``."""
    path = Path(path)
    if settings is None:
        settings = Settings(course_root=path.resolve().parent, timeout=timeout)
    report, submission, exercise, data = read_submission(path, student, exercises)
    if report.error is not None:
        return report
    return grade_notebook(submission, report, exercise, settings, data, reference)


# ---------------------------------------------------------------------------------------------
# Collecting submissions


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


def _preferred(paths: list[Path], exercise: str) -> Path:
    """Of one student's several files for one exercise, the one to grade: the exactly named one,
    else the most recently modified (then the shortest name)."""
    exact = [p for p in paths if p.stem == exercise]
    if exact:
        return exact[0]
    return max(paths, key=lambda p: (p.stat().st_mtime, -len(p.name), str(p)))


def load_roster(path) -> list[str]:
    """Student ids from a roster file: one per line (or the first column of a CSV), ``#`` comments."""
    ids = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        entry = line.split(",")[0].strip().strip('"')
        if entry and not entry.startswith("#") and entry.lower() not in ("student", "id", "student_id"):
            if entry not in ids:
                ids.append(entry)
    if not ids:
        raise ValueError(f"roster: {path} lists no student ids (one per line).")
    return ids


@contextlib.contextmanager
def _neutral_cwd():
    """Work from an empty folder while kernels run: a kernel can read its parent's working
    directory (``/proc/<ppid>/cwd``), which is otherwise the course root. Every path the grader
    needs is absolute by then."""
    previous = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="emcourse-cwd-") as empty:
        os.chdir(empty)
        try:
            yield
        finally:
            os.chdir(previous)


def grade(arguments, solutions_dir, timeout: float = DEFAULT_TIMEOUT, jobs: int = 1, progress=None,
          *, roster=None, exercises_wanted=None, notebook_timeout: float = DEFAULT_NOTEBOOK_TIMEOUT,
          output_limit: int = execute.OUTPUT_LIMIT, course_root=None) -> list[GradeReport]:
    """Grade every submission named by ``arguments`` (files or folders): one report per student
    and exercise, sorted by student.

    A student's duplicates of one exercise (``X (1).ipynb``, ``Copy of X.ipynb``) are graded once
    (:func:`_preferred`) and the others listed in the notes. With ``roster`` (student ids), every
    student on it gets a row for every exercise graded (or in ``exercises_wanted``): 0 points and
    the note ``missing: no submission`` where there is none; students not on it are noted.
    ``jobs`` notebooks run at once, each in its own kernel.
    """
    solutions_dir = Path(solutions_dir).resolve()
    settings = Settings(course_root=Path(course_root or solutions_dir.parent).resolve(),
                        solutions_dir=solutions_dir, timeout=timeout,
                        notebook_timeout=notebook_timeout, output_limit=output_limit)
    exercises = load_exercises(solutions_dir)
    wanted = list(exercises_wanted or [])
    unknown = [name for name in wanted if name not in exercises]
    if unknown:
        raise ValueError(f"--exercise: no solution named {', '.join(unknown)}; "
                         f"expected one of {', '.join(exercises)}.")

    reports, parsed = [], {}
    for student, path in collect(arguments):
        report, submission, exercise, data = read_submission(path, student, exercises)
        if wanted and report.exercise is not None and report.exercise not in wanted:
            continue
        if report.error is not None:
            reports.append(report)
        else:
            parsed.setdefault((student, exercise.name), []).append((report, submission, data))
    chosen = []
    for (student, name), entries in parsed.items():
        path = _preferred([report.path for report, _, _ in entries], name)
        report, submission, data = next(e for e in entries if e[0].path == path)
        others = sorted(str(e[0].path.name) for e in entries if e[0].path != path)
        if others:
            report.notes.append(f"duplicate submissions {', '.join(others)} were not graded; graded "
                                f"{path.name} (grade another by naming its file)")
        chosen.append((report, submission, exercises[name], data))

    with _neutral_cwd(), ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        references = {name: pool.submit(reference_run, exercises[name], settings)
                      for name in sorted({exercise.name for _, _, exercise, _ in chosen})}

        def one(numbered):
            number, (report, submission, exercise, data) = numbered
            if progress is not None:
                progress(f"[{number}/{len(chosen)}] grading {report.path} ({report.student})")
            return grade_notebook(submission, report, exercise, settings, data,
                                  references[exercise.name].result)

        reports += list(pool.map(one, enumerate(chosen, start=1)))

    if roster is not None:
        roster = list(roster)
        names = wanted or sorted({r.exercise for r in reports if r.exercise})
        have = {(r.student, r.exercise) for r in reports}
        for report in reports:
            if report.student not in roster:
                report.notes.append("not on the roster")
        for student in roster:
            for name in names:
                if (student, name) not in have:
                    exercise = exercises[name]
                    cells = [CellGrade(gid, 0.0, markup.points(c), status="not run",
                                       title=exercise.titles.get(gid))
                             for gid, c in zip(exercise.test_ids, markup.graded_cells(exercise.solution))]
                    reports.append(GradeReport(student=student, path=None, exercise=name, cells=cells,
                                               notes=["missing: no submission"], missing=True))
    reports.sort(key=lambda r: (r.student, r.exercise or "", str(r.path or "")))
    return reports


__all__ = ["CellGrade", "GradeReport", "Exercise", "Assembly", "Reference", "Settings",
           "make_exercise", "load_exercises", "canonical_stem", "identify", "assemble",
           "scan_student_cells", "score", "run_assembly", "note_findings", "reference_run",
           "assembly_key", "grade_notebook",
           "read_submission", "grade_file", "collect", "load_roster", "grade", "file_hash"]
