"""``emcourse release --to``: the students' copy of the course holds no answers."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from emcourse import cli, release

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def student_copy(tmp_path_factory):
    target = tmp_path_factory.mktemp("student") / "em-course"
    assert cli.main(["--course", str(ROOT), "release", "--check", "--to", str(target)]) == 0
    return target


def test_the_student_copy_has_everything_but_the_solutions(student_copy):
    assert not (student_copy / "solutions").exists() and not (student_copy / ".git").exists()
    for kept in ("README.md", "requirements.txt", "pyproject.toml", "emlib/__init__.py",
                 "emcourse/testing.py", "notebooks", "tests"):
        assert (student_copy / kept).exists(), kept
    released = sorted(p.name for p in (student_copy / "exercises").glob("*.ipynb"))
    assert released == sorted(p.name for p in (ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
    assert release.leaked_answers(student_copy) == []
    text = "".join(p.read_text() for p in (student_copy / "exercises").glob("*.ipynb"))
    assert "BEGIN HIDDEN TESTS" not in text and "_coins.e_step(_heads" not in text


def test_the_copy_refuses_to_overwrite_or_to_land_inside_the_course(student_copy, capsys):
    assert cli.main(["--course", str(ROOT), "release", "--to", str(student_copy)]) == 2
    assert cli.main(["--course", str(ROOT), "release", "--to", str(ROOT / "build" / "x")]) == 2
    err = capsys.readouterr().err
    assert "is not empty" in err and "inside the course folder" in err


def test_a_solution_left_elsewhere_in_the_course_stops_the_copy(tmp_path):
    course = tmp_path / "course"
    for part in ("solutions", "exercises", "notebooks"):
        (course / part).mkdir(parents=True)
    shutil.copy(ROOT / "solutions" / "00_em_in_a_nutshell.ipynb", course / "solutions")
    shutil.copy(ROOT / "solutions" / "00_em_in_a_nutshell.ipynb", course / "notebooks" / "answers.ipynb")
    with pytest.raises(ValueError, match="still holds answers or hidden tests in notebooks/answers.ipynb"):
        release.student_copy(course, tmp_path / "out")
