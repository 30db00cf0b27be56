"""The grading pipeline end to end, on a tiny course built here (fast) and its failure modes.

Every submission below is graded in one ``emcourse grade`` run (one kernel per notebook, plus one
for the solution's reference run), with a roster, and each test checks one row of the resulting
gradebook. Cheating on the real exercise sets is covered by ``test_emcourse_integrity.py``, the
sets themselves by ``test_emcourse_exercises.py``.
"""

from __future__ import annotations

import csv
import json
import shutil

import nbformat
import pytest

from emcourse import cli, grade, gradebook, markup, release


def _meta(grade_id, *, grade=False, solution=False, locked=False, points=None):
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
            "solution": solution}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def _readonly(grade_id, source, markdown=False):
    new = nbformat.v4.new_markdown_cell if markdown else nbformat.v4.new_code_cell
    return new(source, metadata=_meta(grade_id, locked=True))


def _answer(grade_id, source):
    return nbformat.v4.new_code_cell(source, metadata=_meta(grade_id, solution=True))


def _test(grade_id, points, source):
    return nbformat.v4.new_code_cell(source, metadata=_meta(grade_id, grade=True, locked=True,
                                                            points=points))


def _notebook(cells):
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def tiny_solution():
    """Four graded cells worth 1 + 2 + 1 + 2 points; ``triple-test`` depends on ``double``."""
    return _notebook([
        _readonly("intro", "# A tiny exercise", markdown=True),
        _readonly("setup", "import warnings\nFACTOR = 2"),
        _answer("double", "def double(x):\n    ### BEGIN SOLUTION\n    return FACTOR * x\n"
                          "    ### END SOLUTION"),
        _test("double-test", 1, "assert double(2) == 4, 'double(2) should be 4'\n"
                                "### BEGIN HIDDEN TESTS\n"
                                "assert double(-3) == -6, 'double(-3) should be -6'\n"
                                "### END HIDDEN TESTS"),
        _answer("triple", "def triple(x):\n    ### BEGIN SOLUTION\n    return double(x) + x\n"
                          "    ### END SOLUTION"),
        _test("triple-test", 2, "assert triple(1) == 3, 'triple(1) should be 3'\n"
                                "### BEGIN HIDDEN TESTS\n"
                                "assert triple(5) == 15, 'triple(5) should be 15'\n"
                                "### END HIDDEN TESTS"),
        # a harmless warning on stderr must not cost the student the point
        _test("warning-test", 1, "warnings.warn('a harmless warning')\n"
                                 "assert triple(2) == 6, 'triple(2) should be 6'"),
        # nbgrader's convention: a test whose last value is a number awards that many points
        _test("partial-test", 2, "score = 0.0\n"
                                 "for check in (lambda: double(1) == 2, lambda: triple(10) == 30):\n"
                                 "    try:\n"
                                 "        score += float(check())\n"
                                 "    except Exception:\n"
                                 "        pass\n"
                                 "score"),
    ])


def other_solution():
    return _notebook([
        _readonly("other-intro", "# Another exercise", markdown=True),
        _answer("square", "def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n"
                          "    ### END SOLUTION"),
        _test("square-test", 3, "assert square(3) == 9, 'square(3) should be 9'"),
    ])


def _replace_answer(nb, grade_id, source):
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    cell = next(c for c in nb.cells if markup.grade_id(c) == grade_id)
    cell.source = source
    return nb


def _write(path, nb):
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


TINY, OTHER = "90_tiny", "91_other"


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    _write(root / "solutions" / f"{TINY}.ipynb", tiny_solution())
    _write(root / "solutions" / f"{OTHER}.ipynb", other_solution())
    release.release(root / "solutions", root / "exercises")
    return root


@pytest.fixture(scope="module")
def graded(course):
    """Build one submission per failure mode, grade them all in one CLI run, return the rows."""
    blank = markup.read_notebook(course / "exercises" / f"{TINY}.ipynb")
    subs = course / "submitted"
    files = {}

    def submit(student, nb=None, name=f"{TINY}.ipynb", raw=None):
        path = subs / student / name
        if raw is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(raw)
        else:
            _write(path, nb)
        files[f"{student}/{name}"] = path

    double = "def double(x):\n    return 2 * x"
    triple = "def triple(x):\n    return 3 * x"
    submit("blank", blank)
    submit("solution", markup.read_notebook(course / "solutions" / f"{TINY}.ipynb"))
    submit("half", _replace_answer(blank, "double", double))
    looping = _replace_answer(blank, "double", "while True:\n    pass")
    submit("loop", _replace_answer(looping, "triple", "def triple(x):\n    return 3 * x"))
    submit("raises", _replace_answer(_replace_answer(blank, "double", "def double(x):\n    raise RuntimeError('oops')"),
                                     "triple", triple))
    # deleted the double test and its hidden part; rewrote the triple test to always pass
    tampered = _replace_answer(_replace_answer(blank, "double", "def double(x):\n    return 0"),
                               "triple", "def triple(x):\n    return 0")
    tampered.cells = [c for c in tampered.cells if markup.grade_id(c) != "double-test"]
    tampered = _replace_answer(tampered, "triple-test", "pass")
    tampered = _replace_answer(tampered, "partial-test", "2")
    submit("tamper", tampered)
    # the student added a cell of their own and used it in a later answer
    extra = _replace_answer(_replace_answer(blank, "double", double), "triple",
                            "def triple(x):\n    return HELPER * x")
    extra.cells.insert(3, nbformat.v4.new_code_cell("HELPER = 3"))
    submit("extra", extra)
    # the student deleted an answer cell
    deleted = _replace_answer(blank, "double", double)
    deleted.cells = [c for c in deleted.cells if markup.grade_id(c) != "triple"]
    submit("deleted", deleted)
    # the student's code kills the kernel
    submit("crash", _replace_answer(_replace_answer(blank, "double", double), "triple",
                                    "import os\nos._exit(1)"))
    # two copies of the same exercise: the exactly named one is graded, the copies are noted
    submit("dupe", _replace_answer(_replace_answer(blank, "double", double), "triple", triple))
    submit("dupe", blank, name=f"{TINY} (1).ipynb")
    submit("dupe", blank, name=f"Copy of {TINY}.ipynb")
    submit("text", raw=b"these are my answers, not a notebook")
    submit("json", raw=b'{"cells": [ {"cell_type": ')
    submit("wrong", markup.read_notebook(course / "exercises" / f"{OTHER}.ipynb"))
    submit("foreign", _notebook([nbformat.v4.new_code_cell("1 + 1")]), name="my_work.ipynb")

    hashes = {key: grade.file_hash(path) for key, path in files.items()}
    students = sorted({key.split("/")[0] for key in files} - {"foreign"}) + ["absent"]
    (course / "roster.txt").write_text("# the class\n" + "\n".join(students) + "\n")
    csv_path, summary_path = course / "grades.csv", course / "summary.csv"
    code = cli.main(["--course", str(course), "grade", str(subs), "--csv", str(csv_path),
                     "--summary", str(summary_path), "--roster", str(course / "roster.txt"),
                     "--feedback", str(course / "feedback"), "--timeout", "3", "--jobs", "4"])
    with open(csv_path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        header, table = reader.fieldnames, {}
        for row in reader:
            table.setdefault(row["student"], row)
    with open(summary_path, newline="", encoding="utf-8") as f:
        summary = list(csv.reader(f))
    return {"code": code, "table": table, "files": files, "hashes": hashes, "header": header,
            "summary": summary, "feedback": course / "feedback"}


def _points(row):
    prefix = f"{TINY}:"
    return {key[len(prefix):]: float(value) for key, value in row.items()
            if key.startswith(prefix) and value != ""}


def test_blank_exercise_scores_zero_on_every_graded_cell(graded):
    row = graded["table"]["blank"]
    assert _points(row) == {"double-test": 0, "triple-test": 0, "warning-test": 0, "partial-test": 0}
    assert (row["total"], row["max"]) == ("0", "6")


def test_solution_scores_full_marks_despite_a_warning_on_stderr(graded):
    row = graded["table"]["solution"]
    assert _points(row) == {"double-test": 1, "triple-test": 2, "warning-test": 1, "partial-test": 2}
    assert (row["total"], row["max"]) == ("6", "6")


def test_half_done_scores_the_parts_done_and_partial_credit(graded):
    # double is right, triple is blank: the partial-credit cell returns 1.0 of its 2 points
    assert _points(graded["table"]["half"]) == {"double-test": 1, "triple-test": 0,
                                                "warning-test": 0, "partial-test": 1}


def test_infinite_loop_is_stopped_and_the_rest_is_graded(graded):
    row = graded["table"]["loop"]
    assert "stopped after 3 s" in row["notes"]
    # the loop never defined double, so the tests calling it fail; triple (3 * x) still earns
    assert _points(row) == {"double-test": 0, "triple-test": 2, "warning-test": 1, "partial-test": 1}


def test_a_cell_that_raises_scores_zero_only_for_the_tests_depending_on_it(graded):
    # triple is defined as 3 * x and does not call double: its tests pass, double's fail
    assert _points(graded["table"]["raises"]) == {"double-test": 0, "triple-test": 2,
                                                  "warning-test": 1, "partial-test": 1}


def test_deleted_and_edited_tests_are_restored_from_the_solution(graded):
    # without restoring, the edited tests would pass and the deleted one would not be graded
    row = graded["table"]["tamper"]
    assert _points(row) == {"double-test": 0, "triple-test": 0, "warning-test": 0, "partial-test": 0}
    assert row["max"] == "6"


def test_a_kernel_killed_by_the_student_keeps_the_points_earned_before(graded):
    row = graded["table"]["crash"]
    assert "kernel died" in row["notes"]
    # double-test ran before the crash; later cells never ran and must not get full marks
    assert _points(row) == {"double-test": 1, "triple-test": 0, "warning-test": 0, "partial-test": 0}


def test_student_cells_are_kept_in_place(graded):
    # HELPER, defined in a cell the student added, is used by their triple
    assert graded["table"]["extra"]["total"] == "6"


def test_a_deleted_answer_cell_scores_zero_for_its_tests_and_is_noted(graded):
    row = graded["table"]["deleted"]
    assert _points(row) == {"double-test": 1, "triple-test": 0, "warning-test": 0, "partial-test": 1}
    assert "the answer cell 'triple' is missing (deleted?)" in row["notes"]


def test_the_csv_has_one_column_per_graded_cell_and_the_required_columns(graded):
    header = graded["header"]
    assert header[:3] == ["student", "exercise", "file"] and header[-3:] == ["total", "max", "notes"]
    assert header[3:-3] == [f"{TINY}:{gid}" for gid in
                            ("double-test", "triple-test", "warning-test", "partial-test")]


def test_the_roster_gives_a_missing_student_a_zero_row(graded):
    row = graded["table"]["absent"]
    assert (row["total"], row["max"], row["file"]) == ("0", "6", "-")
    assert row["notes"] == "missing: no submission"
    assert _points(row) == {"double-test": 0, "triple-test": 0, "warning-test": 0, "partial-test": 0}


def test_students_not_on_the_roster_are_noted(graded):
    assert "not on the roster" in graded["table"]["foreign"]["notes"]


def test_duplicates_are_graded_once_and_reported(graded):
    rows = [r for r in graded["table"].values() if r["student"] == "dupe"]
    assert len(rows) == 1
    row = rows[0]
    assert row["file"].endswith(f"dupe/{TINY}.ipynb") and row["total"] == "6"
    assert f"duplicate submissions {TINY} (1).ipynb, Copy of {TINY}.ipynb were not graded" in row["notes"]


def test_the_summary_has_a_row_per_student_and_a_column_per_exercise(graded):
    header, *body = graded["summary"]
    assert header == ["student", TINY, "total", "max"]
    by_student = {row[0]: row for row in body}
    assert by_student["solution"] == ["solution", "6", "6", "6"]
    assert by_student["absent"] == ["absent", "0", "0", "6"]
    assert by_student["text"][1] == "ERROR"     # its file, named like the exercise, is no notebook
    assert by_student["foreign"][1] == ""       # no file of the exercise at all (and not on the roster)


def test_feedback_pages_show_points_and_visible_messages_but_no_test_source(graded):
    page = (graded["feedback"] / "half" / f"{TINY}.html").read_text()
    assert "2 / 6" in page and "triple-test" in page and "NotImplementedError" in page
    assert "double(-3)" not in page and "HIDDEN" not in page and "assert " not in page
    # a failure in the hidden part says so without showing it
    raises = (graded["feedback"] / "tamper" / f"{TINY}.html").read_text()
    assert "double(2) should be 4" in raises
    loop = (graded["feedback"] / "loop" / f"{TINY}.html").read_text()
    assert "stopped after 3 s" in loop
    error = (graded["feedback"] / "text" / f"{TINY}.html").read_text()
    assert "could not be graded: not a notebook" in error


@pytest.mark.parametrize("student, message", [
    ("text", "not a notebook"),
    ("json", "not a notebook"),
    ("wrong", f"named like {TINY} but holds the cells of {OTHER}"),
    ("foreign", "not one of the course's exercises"),
])
def test_bad_files_get_a_clear_error_and_the_others_are_still_graded(graded, student, message):
    row = graded["table"][student]
    assert row["notes"].startswith("ERROR:") and message in row["notes"], row["notes"]
    assert row["total"] == "-" and row["max"] == "-"
    assert graded["table"]["solution"]["total"] == "6"
    assert graded["code"] == 1  # not everything could be graded


def test_submissions_are_never_modified(graded):
    for key, path in graded["files"].items():
        assert grade.file_hash(path) == graded["hashes"][key], key


def test_exit_code_is_zero_when_everything_could_be_graded(course, capsys):
    sub = course / "one" / f"{OTHER}.ipynb"
    sub.parent.mkdir()
    shutil.copy(course / "solutions" / f"{OTHER}.ipynb", sub)
    assert cli.main(["--course", str(course), "grade", str(sub)]) == 0
    out = capsys.readouterr().out
    assert "square-test=3/3" in out and "student" in out.splitlines()[0]


def test_an_unexpected_failure_is_one_error_row_not_a_crash(course, monkeypatch):
    def broken(nb, sandbox, **limits):
        raise RuntimeError("no kernel")
    monkeypatch.setattr(grade.execute, "run", broken)
    exercises = grade.load_exercises(course / "solutions")
    report = grade.grade_file(course / "solutions" / f"{OTHER}.ipynb", "x", exercises)
    assert report.error.startswith("could not be graded (RuntimeError: no kernel)")
    assert report.cells == []


def test_collect_names_students_by_folder(tmp_path):
    for rel in ("submitted/alice/ex/01_a.ipynb", "submitted/bob/01_a.ipynb",
                "submitted/bob/.ipynb_checkpoints/01_a-checkpoint.ipynb", "carol/02_b.ipynb"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("{}")
    found = grade.collect([tmp_path / "submitted", tmp_path / "carol",
                           tmp_path / "carol" / "02_b.ipynb"])
    assert [(s, p.name) for s, p in found] == [("alice", "01_a.ipynb"), ("bob", "01_a.ipynb"),
                                              ("carol", "02_b.ipynb"), ("carol", "02_b.ipynb")]


def test_release_is_nbgraders_student_version(course):
    nb = markup.read_notebook(course / "exercises" / f"{TINY}.ipynb")
    source = "\n".join(c.source for c in nb.cells)
    assert "raise NotImplementedError()" in source and "FACTOR * x" not in source
    assert "HIDDEN TESTS" not in source and "double(-3)" not in source
    assert all(c.get("outputs", []) == [] for c in nb.cells)
    tests = [c for c in nb.cells if markup.is_test(c)]
    assert tests and all(c.metadata.get("editable") is False and c.metadata.get("deletable") is False
                         for c in tests)


def test_release_check_reports_stale_exercises(course, tmp_path, capsys):
    shutil.copytree(course / "solutions", tmp_path / "solutions")
    shutil.copytree(course / "exercises", tmp_path / "exercises")
    assert cli.main(["--course", str(tmp_path), "release", "--check"]) == 0
    solution = markup.read_notebook(tmp_path / "solutions" / f"{OTHER}.ipynb")
    solution.cells[0].source += " (edited)"
    nbformat.write(solution, tmp_path / "solutions" / f"{OTHER}.ipynb")
    assert cli.main(["--course", str(tmp_path), "release", "--check"]) == 1
    assert OTHER in capsys.readouterr().out


@pytest.mark.parametrize("mutate, message", [
    (lambda nb: nb.cells[1].metadata.pop("nbgrader"), "no nbgrader metadata"),
    (lambda nb: nb.cells[3].metadata["nbgrader"].update(grade_id="double"), "Duplicate grade id"),
    (lambda nb: nb.cells[3].metadata["nbgrader"].pop("points"), "invalid nbgrader metadata"),
    (lambda nb: setattr(nb.cells[2], "source", "def double(x):\n    return 2 * x"), "BEGIN SOLUTION"),
])
def test_release_rejects_broken_solution_markup(mutate, message):
    nb = tiny_solution()
    mutate(nb)
    with pytest.raises(ValueError, match=message):
        release.release_notebook(nb, "90_tiny.ipynb")


def test_grade_without_solutions_says_what_to_do(tmp_path, capsys):
    assert cli.main(["--course", str(tmp_path), "grade", str(tmp_path)]) == 2
    assert "pass --course" in capsys.readouterr().err


def test_the_notebook_time_limit_ends_the_kernel_and_keeps_what_ran(tmp_path):
    from emcourse import execute

    def cell(source, trusted):
        return nbformat.v4.new_code_cell(source, metadata={"emcourse": {
            "trusted": trusted, "role": "test" if trusted else "student", "label": source[:10]}})

    nb = _notebook([cell("x = 1", True), cell("import time\ntime.sleep(30)", False),
                    cell("y = 2", True)])
    sandbox = execute.Sandbox(tmp_path, [tmp_path], [], "nb.ipynb", b"{}")
    try:
        run = execute.run(nb, sandbox, timeout=60, notebook_timeout=4)
    finally:
        sandbox.close()
    assert run.cells[0].status == "ok" and run.cells[1].status == "timeout" and 2 not in run.cells
    assert run.notes == ["the notebook's time limit of 4 s ran out during cell 1; later cells did not run"]
    assert run.seconds < 20
