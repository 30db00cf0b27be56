"""Exercise set 08: the typical mistakes lose the points of their part (one graded run).

One submission carries both mistakes of the issue: a step size that does not decay (η = 0.5 at
every t) in ``stepwise_update`` — which also breaks ``stepwise_em``, built on it — and a
``replace_block`` that forgets to subtract the block's old statistics.
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
import pytest

from emcourse import grade

SOLUTIONS = Path(__file__).resolve().parents[1] / "solutions"
NAME = "08_em_at_scale"

CONSTANT_STEP = '''def stepwise_update(s, s_hat, t, alpha, scale):
    eta = 0.5
    blended = s_hat * (eta * scale)
    return blended if s is None else s * (1.0 - eta) + blended'''
NO_SUBTRACTION = '''def replace_block(s, block_stats, b, new):
    block_stats_new = list(block_stats)
    block_stats_new[b] = new
    return s + new, block_stats_new'''
SUBMISSION = {"stepwise": CONSTANT_STEP, "incremental": NO_SUBTRACTION}
LOSES = {"stepwise-test", "incremental-test", "loop-test"}


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    submission = copy.deepcopy(nbformat.read(SOLUTIONS / f"{NAME}.ipynb", as_version=4))
    for cell in submission.cells:
        cell.source = SUBMISSION.get(cell.metadata["nbgrader"]["grade_id"], cell.source)
    folder = tmp_path_factory.mktemp("submission")
    nbformat.write(submission, folder / f"{NAME}.ipynb")
    return grade.grade([folder / f"{NAME}.ipynb"], SOLUTIONS, timeout=120, jobs=1)[0]


def test_each_mistake_loses_its_parts(report):
    assert report.error is None, report.error
    lost = {c.grade_id for c in report.cells if c.points < c.max_points}
    assert lost == LOSES, f"lost {lost}, expected {LOSES}"
    assert all(c.points == 0 for c in report.cells if c.grade_id in LOSES)
