"""Exercise set 09: each typical mistake loses the points of its part, and only those.

Graded in process (cheap): the solution's setup and answers are executed with one answer
replaced by a plausible wrong one, then every test cell — visible and hidden parts — is run;
exactly the tests of the broken part must fail. The mistakes: E[log θ] computed as log E[θ]
(in the digamma expectations, and inside the coordinate sweep) and the ELBO without the
entropy of q(Π), q(Θ).
"""

from __future__ import annotations

import contextlib
import io
import warnings
from pathlib import Path

import nbformat
import numpy as np
import pytest

SOLUTION = Path(__file__).resolve().parents[1] / "solutions" / "09_variational_inference.ipynb"
CELLS = {cell.metadata["nbgrader"]["grade_id"]: cell.source
         for cell in nbformat.read(SOLUTION, as_version=4).cells if cell.cell_type == "code"}
ANSWERS = ["setup", "expected-log", "update", "elbo"]
TESTS = ["expected-log-test", "update-test", "elbo-test"]

MISTAKES = [
    ("E[log x] as log E[x]", "expected-log-test",
     [("expected-log", "digamma(concentration) - digamma(concentration.sum(axis=1, keepdims=True))",
       "np.log(concentration / concentration.sum(axis=1, keepdims=True))")]),
    ("the sweep's E[log pi] as log E[pi]", "update-test",
     [("update", "elog_pi = digamma(gamma) - digamma(gamma.sum(axis=1, keepdims=True))",
       "elog_pi = np.log(gamma / gamma.sum(axis=1, keepdims=True))")]),
    ("the sweep with the MAP pseudo-count alpha - 1", "update-test",
     [("update", "return alpha + weighted.sum(axis=1)", "return alpha - 1 + weighted.sum(axis=1)")]),
    ("the ELBO without the entropy of q(pi) and q(theta)", "elbo-test",
     [("elbo", "- np.sum(gammaln(gamma.sum(axis=1)) - gammaln(gamma).sum(axis=1))\n"
               "            + np.sum((alpha - gamma) * elog_pi))",
       "+ np.sum((alpha - 1) * elog_pi))"),
      ("elbo", "- np.sum(gammaln(lam.sum(axis=1)) - gammaln(lam).sum(axis=1))\n"
               "               + np.sum((beta - lam) * elog_theta))",
       "+ np.sum((beta - 1) * elog_theta))")]),
]


def _failing_tests(edits) -> set[str]:
    namespace = {}
    unused = list(edits)
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for grade_id in ANSWERS:
            source = CELLS[grade_id]
            for edit in edits:
                if edit[0] == grade_id:
                    assert edit[1] in source, f"mutant edit not found in {grade_id}: {edit[1]!r}"
                    source = source.replace(edit[1], edit[2])
                    unused.remove(edit)
            exec(compile(source, grade_id, "exec"), namespace)
        assert not unused
        failing = set()
        for test_id in TESTS:
            try:
                exec(compile(CELLS[test_id], test_id, "exec"), dict(namespace))
            except AssertionError:
                failing.add(test_id)
    return failing


def test_the_solution_passes_every_test_in_process():
    assert _failing_tests([]) == set()


@pytest.mark.parametrize("name, loses, edits", MISTAKES, ids=[m[0] for m in MISTAKES])
def test_each_mistake_loses_exactly_its_part(name, loses, edits):
    assert _failing_tests(edits) == {loses}


def test_the_missing_entropy_overshoots_the_exact_evidence():
    """What the ELBO test's bound check is for: without the entropy, L(q) > log p(W)."""
    namespace = {}
    with contextlib.redirect_stdout(io.StringIO()):
        for grade_id in ANSWERS:
            source = CELLS[grade_id]
            for target, old, new in MISTAKES[-1][2]:
                if target == grade_id:
                    source = source.replace(old, new)
            exec(compile(source, grade_id, "exec"), namespace)
    lda = namespace["lda"]
    fitted = lda.fit(namespace["counts"], 2, alpha=0.5, beta=0.7, max_iter=30, tol=0.0,
                     random_state=1)
    wrong = namespace["elbo"](namespace["counts"], *fitted.params, 0.5, 0.7)
    assert wrong > lda.exact_log_evidence(namespace["counts"], 2, alpha=0.5, beta=0.7)
    assert np.isfinite(wrong)
