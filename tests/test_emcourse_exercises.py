"""The course's real exercise sets: released copies up to date, solutions full marks, blanks zero."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from emcourse import grade, markup, release

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS, EXERCISES = ROOT / "solutions", ROOT / "exercises"
EXPECTED = ["00_em_in_a_nutshell", "01_jensen_and_the_elbo", "02_kl_decomposition_and_em",
            "03_gaussian_mixtures", "04_topic_models", "05_max_entropy_and_exponential_families",
            "06_incomplete_data"]
NAMES = sorted(p.stem for p in SOLUTIONS.glob("[0-9][0-9]_*.ipynb"))

# A students' copy of the course (emcourse release --to) has no solutions to test.
pytestmark = pytest.mark.skipif(not SOLUTIONS.is_dir(), reason="no solutions/ in a student copy")


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


@pytest.mark.parametrize("name", NAMES)
def test_solutions_are_stored_without_outputs(name):
    """nbval does not run solutions/ (the grader does, below), so a stored output could go stale."""
    stored = [markup.grade_id(c) for c in markup.read_notebook(SOLUTIONS / f"{name}.ipynb").cells
              if c.cell_type == "code" and (c.outputs or c.execution_count is not None)]
    assert not stored, f"{name}: clear the outputs of {stored} (Jupyter: Edit > Clear Outputs of All Cells)"


@pytest.fixture(scope="module")
def graded():
    """Every solution and every blank exercise, graded in one pass, keyed by (kind, name)."""
    reports = grade.grade([SOLUTIONS / f"{name}.ipynb" for name in NAMES]
                          + [EXERCISES / f"{name}.ipynb" for name in NAMES], SOLUTIONS,
                          timeout=120, jobs=4)
    kinds = {"solutions": "solution", "exercises": "blank"}   # the student is the folder's name
    return {(kinds[report.student], report.exercise): report for report in reports}


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


@pytest.mark.parametrize("name", NAMES)
def test_every_visible_test_ends_by_saying_it_passed(name):
    for cell in markup.graded_cells(markup.read_notebook(EXERCISES / f"{name}.ipynb")):
        last = cell.source.strip().splitlines()[-1]
        assert last.startswith("passed("), f"{name}, {markup.grade_id(cell)}: end the visible part " \
                                           f"with passed(\"<function>\") (it ends with {last!r})"


@pytest.mark.parametrize("name", NAMES)
def test_every_set_names_the_reference_students_must_not_import(name):
    forbidden = markup.forbidden(markup.read_notebook(SOLUTIONS / f"{name}.ipynb"))
    assert forbidden and all(f.startswith(("emlib.", "scipy.", "sklearn.")) for f in forbidden), forbidden


def test_in_jupyter_a_passing_test_says_so_and_a_failing_one_shows_only_the_message():
    """What a student sees, running the released set 00 with a right e_step and a wrong m_step."""
    from nbclient import NotebookClient

    nb = markup.read_notebook(EXERCISES / "00_em_in_a_nutshell.ipynb")
    solution = {markup.grade_id(c): c.source for c in markup.read_notebook(
        SOLUTIONS / "00_em_in_a_nutshell.ipynb").cells}
    for cell in nb.cells:
        if markup.grade_id(cell) == "e-step":
            cell.source = solution["e-step"]
        if markup.grade_id(cell) == "m-step":
            cell.source = "def m_step(heads, n_tosses, resp):\n    return np.array([0.5, 0.5])"
    nb.cells = nb.cells[:8]            # up to the M-step's test
    NotebookClient(nb, timeout=60, allow_errors=True, kernel_name="python3").execute()
    outputs = {markup.grade_id(c): c.outputs for c in nb.cells if c.cell_type == "code"}
    assert [o.text for o in outputs["e-step-test"]] == ["✓ e_step passes the visible tests.\n"]
    error = outputs["m-step-test"][0]
    shown = "\n".join(error.traceback)
    assert error.output_type == "error" and "testing.py" not in shown and "_report" not in shown
    lines = [line.strip() for line in error.evalue.splitlines()]
    assert lines[1:3] == ["expected [0.71, 0.58]", "got [0.5, 0.5]"], lines


# The typical wrong answer to each re-tasked part of sets 01 and 05, and the points it must keep.
MISTAKES = {
    "01_jensen_and_the_elbo": ({
        "jensen": (  # the shift taken over every value, also those of probability 0
            "def log_mean_exp(log_values, probs):\n"
            "    log_values, probs = np.asarray(log_values, float), np.asarray(probs, float)\n"
            "    shift = np.max(log_values)\n"
            "    return float(shift + np.log(np.sum(probs * np.exp(log_values - shift))))\n\n"
            "def jensen_sides(log_values, probs):\n"
            "    return log_mean_exp(log_values, probs), float(np.dot(probs, log_values))"),
        "tight-q": (  # p(x, z) / sum p(x, z) straight from the formula: 0/0 below -745
            "def tight_q(log_joint):\n"
            "    p = np.exp(np.asarray(log_joint, float))\n"
            "    return p / p.sum()"),
    }, {"entropy-test": 3, "jensen-test": 0, "elbo-test": 4, "tight-q-test": 0}),
    "05_max_entropy_and_exponential_families": ({
        "dice": (  # a bracket that happens to work for Jaynes' die only
            "def max_entropy_die(mean, n_faces=6):\n"
            "    s = np.arange(1.0, n_faces + 1.0)\n"
            "    p = lambda lam: np.exp(lam * s - log_partition([lam], s[:, None]))\n"
            "    lam = brentq(lambda lam: p(lam) @ s - mean, -1.0, 1.0, xtol=1e-14)\n"
            "    return p(lam), float(lam)"),
        "gradient": (  # the one-sided quotient, error of order h
            "def log_partition_gradient_fd(theta, features, h=1e-5):\n"
            "    theta = np.asarray(theta, float)\n"
            "    base = log_partition(theta, features)\n"
            "    return np.array([(log_partition(theta + e, features) - base) / h\n"
            "                     for e in h * np.eye(theta.size)])"),
        "m-step": (  # S1 / S0 broadcast along the wrong axis
            "def m_step_from_statistics(S0, S1, S2):\n"
            "    S0, S1, S2 = (np.asarray(a, float) for a in (S0, S1, S2))\n"
            "    means = S1 / S0\n"
            "    return S0 / S0.sum(), means, S2 / S0[:, None, None] - means[:, :, None] * means[:, None, :]"),
    }, {"log-partition-test": 3, "gradient-test": 0, "dice-test": 0, "statistics-test": 3,
        "m-step-test": 0}),
}


def test_typical_mistakes_in_the_retasked_sets_lose_the_points_of_their_part(tmp_path):
    for name, (answers, _) in MISTAKES.items():
        nb = markup.read_notebook(EXERCISES / f"{name}.ipynb")
        solution = {markup.grade_id(c): c.source for c in markup.read_notebook(
            SOLUTIONS / f"{name}.ipynb").cells}
        for cell in nb.cells:
            gid = markup.grade_id(cell)
            if markup.is_answer(cell):
                cell.source = answers.get(gid, solution[gid])
        (tmp_path / "student").mkdir(exist_ok=True)
        nbformat.write(nb, tmp_path / "student" / f"{name}.ipynb")
    reports = grade.grade([tmp_path / "student"], SOLUTIONS, timeout=60, jobs=2)
    for report in reports:
        expected = MISTAKES[report.exercise][1]
        assert {c.grade_id: c.points for c in report.cells} == expected, (
            report.exercise, report.error, report.notes)
