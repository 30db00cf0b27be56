"""The course's real exercise sets: released copies up to date, solutions full marks, blanks zero."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from emcourse import grade, markup, release

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS, EXERCISES = ROOT / "solutions", ROOT / "exercises"
EXPECTED = ["00_em_in_a_nutshell", "01_jensen_and_the_elbo", "02_kl_decomposition_and_em",
            "03_gaussian_mixtures", "04_topic_models", "05_max_entropy_and_exponential_families",
            "06_incomplete_data"]
NAMES = sorted(p.stem for p in SOLUTIONS.glob("[0-9][0-9]_*.ipynb"))


def test_every_lecture_has_an_exercise_set():
    missing = [name for name in EXPECTED if name not in NAMES]
    assert not missing, f"solutions/ lacks {missing}"


def test_exercises_are_up_to_date_with_solutions():
    stale = release.stale_exercises(SOLUTIONS, EXERCISES)
    assert not stale, f"{stale} differ from a fresh release: run `emcourse release` and commit."
    orphans = {p.stem for p in EXERCISES.glob("*.ipynb")} - set(NAMES)
    assert not orphans, f"exercises/ has notebooks with no solution: {sorted(orphans)}"


def test_the_emcourse_command_is_installed_and_checks_the_release():
    command = shutil.which("emcourse")
    assert command, "the `emcourse` console script is missing: pip install -e . (pyproject.toml)"
    result = subprocess.run([command, "--course", str(ROOT), "release", "--check"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "up to date" in result.stdout, result.stdout + result.stderr


@pytest.mark.parametrize("name", NAMES)
def test_exercise_sets_have_3_to_6_parts_worth_10_to_20_points(name):
    cells = markup.graded_cells(markup.read_notebook(SOLUTIONS / f"{name}.ipynb"))
    assert 3 <= len(cells) <= 6, f"{name}: {len(cells)} graded cells"
    assert 10 <= sum(map(markup.points, cells)) <= 20, name


@pytest.fixture(scope="module")
def graded():
    """Every solution and every blank exercise, graded in one pass, keyed by (kind, name)."""
    reports = grade.grade([SOLUTIONS / f"{name}.ipynb" for name in NAMES]
                          + [EXERCISES / f"{name}.ipynb" for name in NAMES], SOLUTIONS,
                          timeout=120, jobs=4)
    kinds = ["solution"] * len(NAMES) + ["blank"] * len(NAMES)
    return {(kind, report.exercise): report for kind, report in zip(kinds, reports)}


@pytest.mark.parametrize("name", NAMES)
def test_solution_scores_full_marks(graded, name):
    report = graded["solution", name]
    assert report.error is None and not report.notes, (report.error, report.notes)
    lost = [c.grade_id for c in report.cells if c.points != c.max_points]
    assert not lost, f"{name}: the solution loses points in {lost}"


@pytest.mark.parametrize("name", NAMES)
def test_blank_exercise_scores_zero_on_every_graded_cell(graded, name):
    report = graded["blank", name]
    assert report.error is None, report.error
    earned = [c.grade_id for c in report.cells if c.points != 0]
    assert not earned, f"{name}: a blank exercise earns points in {earned}"
    assert report.max_points == graded["solution", name].max_points
