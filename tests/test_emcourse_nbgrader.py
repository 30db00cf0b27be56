"""Honest submissions score the same, cell by cell, under ``emcourse grade`` and real nbgrader.

nbgrader 0.9.6 runs in this process through its Python API (``generate_assignment`` from the
solution, then ``autograde``), on a course folder of its own with its gradebook database; the two
submissions are set 00 filled in with typical mistakes, so that visible and hidden tests both
pass and fail. (The one documented difference, a warning on stderr — 0 points under nbgrader,
full points here — does not occur in the course's sets.)
"""

from __future__ import annotations

import logging
import shutil
import warnings
from pathlib import Path

import nbformat
import pytest

from emcourse import grade

from test_emcourse_integrity import NAME, ROOT, TESTS, filled

MISTAKES = {
    # m_step divides by the number of sets instead of the expected number of tosses; and the
    # log-likelihood forgets the binomial coefficient
    "slips": {
        "m-step": ("def m_step(heads, n_tosses, resp):\n"
                   "    resp = np.asarray(resp, dtype=float)\n"
                   "    return (resp * np.asarray(heads)[:, None]).sum(axis=0) / (n_tosses * len(heads))"),
        "log-likelihood": ("def log_likelihood(heads, n_tosses, theta):\n"
                           "    heads = np.asarray(heads, dtype=float)\n"
                           "    theta = np.asarray(theta, dtype=float)\n"
                           "    kernel = heads[:, None] * np.log(theta) + (n_tosses - heads)[:, None] * np.log1p(-theta)\n"
                           "    return float(np.sum(np.log(0.5) + logsumexp(kernel, axis=1)))"),
    },
    # the E-step straight from the formula: right on the paper's data, 0/0 for 2000 tosses
    "underflow": {
        "e-step": ("def e_step(heads, n_tosses, theta):\n"
                   "    heads = np.asarray(heads, dtype=float)[:, None]\n"
                   "    n = np.broadcast_to(np.asarray(n_tosses, dtype=float), heads.shape[:1])[:, None]\n"
                   "    kernel = np.asarray(theta) ** heads * (1 - np.asarray(theta)) ** (n - heads)\n"
                   "    return kernel / kernel.sum(axis=1, keepdims=True)"),
    },
}


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    nbgrader = pytest.importorskip("nbgrader.apps")
    from nbgrader.api import Gradebook
    from traitlets.config import Config

    root = tmp_path_factory.mktemp("nbgrader")
    (root / "source" / "ps00").mkdir(parents=True)
    shutil.copy(ROOT / "solutions" / f"{NAME}.ipynb", root / "source" / "ps00")
    for student, answers in MISTAKES.items():
        folder = root / "submitted" / student / "ps00"
        folder.mkdir(parents=True)
        nbformat.write(filled(answers), folder / f"{NAME}.ipynb")
    config = Config()
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.db_url = f"sqlite:///{root / 'gradebook.db'}"
    api = nbgrader.NbGraderAPI(config=config)
    api.log.setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert api.generate_assignment("ps00", force=True)["success"]
        for student in MISTAKES:
            assert api.autograde("ps00", student, force=True, create=True)["success"]
        with Gradebook(config.CourseDirectory.db_url) as gradebook:
            theirs = {student: {g.name: g.auto_score for g in gradebook.find_submission_notebook(
                NAME, "ps00", student).grades} for student in MISTAKES}
    ours = {report.student: {c.grade_id: c.points for c in report.cells} for report in grade.grade(
        [root / "submitted"], ROOT / "solutions", timeout=30, jobs=2)}
    return ours, theirs


@pytest.mark.parametrize("student", sorted(MISTAKES))
def test_emcourse_and_nbgrader_agree_on_every_cell(both, student):
    ours, theirs = both
    assert set(theirs[student]) == set(TESTS)
    assert ours[student] == theirs[student]


def test_the_submissions_lose_points_in_visible_and_hidden_tests(both):
    ours, _ = both
    assert ours["slips"] == {"e-step-test": 4, "m-step-test": 0, "log-likelihood-test": 0, "run-em-test": 0}
    assert ours["underflow"] == {"e-step-test": 0, "m-step-test": 3, "log-likelihood-test": 3, "run-em-test": 4}
