"""Exercise set 06: each typical mistake loses the points of its part (and only those).

The submissions are the solution with one answer replaced by a plausible wrong one: the
marginal instead of the conditional mean, Σ_mm instead of the Schur complement, an M-step
without the conditional covariances, PPCA's posterior without the prior's identity, and a rate
taken as the median over every iteration (rounding noise included).
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
import pytest

from emcourse import grade

SOLUTIONS = Path(__file__).resolve().parents[1] / "solutions"
NAME = "06_incomplete_data"

CONDITIONAL = """def conditional_gaussian(x, mean, cov):
    x = np.asarray(x, dtype=float)
    m, o = np.isnan(x), ~np.isnan(x)
    x_hat, C_full = x.copy(), np.zeros((x.size, x.size))
    if not m.any():
        return x_hat, C_full
    regression = np.linalg.solve(cov[np.ix_(o, o)], cov[np.ix_(o, m)]).T
    x_hat[m] = {mean}
    C_full[np.ix_(m, m)] = {covariance}
    return x_hat, C_full"""
RIGHT_MEAN = "mean[m] + regression @ (x[o] - mean[o])"
RIGHT_COVARIANCE = "cov[np.ix_(m, m)] - regression @ cov[np.ix_(o, m)]"

POSTERIOR_WITHOUT_PRIOR = '''def ppca_e_step(X, mean, W, sigma2):
    G = np.linalg.inv(W.T @ W / sigma2)
    return (X - mean) @ W @ G / sigma2, G'''
RATE_OVER_ALL_ITERATIONS = '''def convergence_rate(iterates, fixed_point):
    errors = np.linalg.norm(np.asarray(iterates) - fixed_point, axis=1)
    return float(np.median(errors[1:] / errors[:-1]))'''
M_STEP_WITHOUT_C = '''def m_step(x_hats, C_fulls):
    mean = x_hats.mean(axis=0)
    return mean, x_hats.T @ x_hats / len(x_hats) - np.outer(mean, mean)'''

# One submission per row; the parts are graded independently (except that the M-step test runs
# EM with the student's E-step), so mistakes in separate parts can share a submission.
SUBMISSIONS = {
    "marginal-mean, posterior-without-prior, rate-over-all-iterations": {
        "conditional": CONDITIONAL.format(mean="mean[m]", covariance=RIGHT_COVARIANCE),
        "ppca": POSTERIOR_WITHOUT_PRIOR, "rate": RATE_OVER_ALL_ITERATIONS},
    "marginal-covariance": {
        "conditional": CONDITIONAL.format(mean=RIGHT_MEAN, covariance="cov[np.ix_(m, m)]")},
    "m-step-without-C": {"m-step": M_STEP_WITHOUT_C},
}
# The tests a wrong answer must fail (an E-step mistake also breaks the M-step test).
LOSES = {"conditional": {"conditional-test", "m-step-test"}, "m-step": {"m-step-test"},
         "ppca": {"ppca-test"}, "rate": {"rate-test"}}


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    solution = nbformat.read(SOLUTIONS / f"{NAME}.ipynb", as_version=4)
    paths = []
    for index, answers in enumerate(SUBMISSIONS.values()):
        submission = copy.deepcopy(solution)
        for cell in submission.cells:
            cell.source = answers.get(cell.metadata["nbgrader"]["grade_id"], cell.source)
        folder = tmp_path_factory.mktemp(f"submission{index}")
        nbformat.write(submission, folder / f"{NAME}.ipynb")
        paths.append(folder / f"{NAME}.ipynb")
    return dict(zip(SUBMISSIONS, grade.grade(paths, SOLUTIONS, timeout=120, jobs=2)))


@pytest.mark.parametrize("submission", list(SUBMISSIONS))
def test_each_mistake_loses_exactly_its_parts(reports, submission):
    report = reports[submission]
    assert report.error is None, report.error
    lost = {c.grade_id for c in report.cells if c.points < c.max_points}
    expected = set().union(*(LOSES[grade_id] for grade_id in SUBMISSIONS[submission]))
    assert lost == expected, f"{submission}: lost {lost}, expected {expected}"
