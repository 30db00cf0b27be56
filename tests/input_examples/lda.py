"""Input-contract rows for emlib.lda (mean-field variational inference for LDA)."""

from __future__ import annotations

import numpy as np
import pytest

from emlib import lda
from input_contract import Example, noop


def _counts():
    return np.array([[3, 0, 1, 2, 0, 1], [0, 4, 0, 1, 2, 0], [1, 1, 5, 0, 0, 2],
                     [2, 0, 0, 3, 1, 1]])


def _tiny():
    return np.array([[2, 1, 0], [0, 1, 2]])


def _params():
    return lda.init_params(_counts(), 2, alpha=0.3, random_state=0)


def _statistics():
    return lda.e_step(_counts(), *_params(), alpha=0.3, beta=0.2)[0]


def _check_pair(result, kw):
    for array in result:
        assert np.all(np.asarray(array) > 0), "variational parameters must be positive"


def _check_rows(result, kw):
    np.testing.assert_allclose(np.asarray(result).sum(axis=1), 1.0, rtol=1e-10)


def _check_bound(result, kw):
    result <= 0 or pytest.fail(f"the ELBO of integer counts {result} > 0")


def _check_objectives(result, kw):
    assert np.all(np.diff(result.objectives) >= -1e-9 * np.abs(result.objectives).max())


def _check_concentration(result, kw):
    assert 1e-6 <= result <= 1e6, f"concentration {result} outside [1e-6, 1e6]"
    again = lda.concentration_update(kw["concentration"], start=result)
    assert abs(again - result) <= 1e-6 * result, f"{result} is no fixed point: {again}"


def _args(**extra):
    doc_topic, topic_word = _params()
    return lambda: dict(counts=_counts(), doc_topic=doc_topic.copy(),
                        topic_word=topic_word.copy(), **extra)


PAIR = {"counts": "counts", "doc_topic": "array", "topic_word": "array"}
PRIORS = {"alpha": "real", "beta": "real"}

EXAMPLES = {
    "lda.dirichlet_expected_log": Example(
        lambda: dict(concentration=np.array([[0.5, 2.0, 3.0], [1.0, 1.0, 1.0]])),
        {"concentration": "array"}, check=lambda r, kw: np.all(r < 0) or pytest.fail("E log x >= 0")),
    "lda.init_params": Example(
        lambda: dict(counts=_counts(), n_topics=2, alpha=0.3, random_state=0),
        {"counts": "counts", "n_topics": "int", "alpha": "real", "random_state": "seed"},
        check=_check_pair),
    "lda.responsibilities": Example(_args(), PAIR, check=_check_rows),
    "lda.e_step": Example(_args(alpha=0.3, beta=0.2), {**PAIR, **PRIORS},
                          check=lambda r, kw: _check_bound(r[1], kw)),
    "lda.m_step": Example(lambda: dict(statistics=_statistics(), alpha=0.3, beta=0.2),
                          {"statistics": "object", **PRIORS}, check=_check_pair),
    "lda.elbo": Example(_args(alpha=0.3, beta=0.2), {**PAIR, **PRIORS}, check=_check_bound),
    "lda.fit": Example(
        lambda: dict(counts=_counts(), n_topics=2, alpha=0.3, beta=0.2, max_iter=20, tol=1e-6,
                     random_state=0, callback=noop, doc_iter=2, fit_alpha=True, fit_beta=False,
                     prior_burn_in=1),      # α and β both fitted on 4 documents drift to
                                            # "no structure" (α, β ~ 1e3) over ~500 iterations
        {"counts": "counts", "n_topics": "int", "alpha": "real", "beta": "real",
         "max_iter": "int", "tol": "real", "random_state": "seed", "callback": "callable",
         "doc_iter": "int", "init": "object", "fit_alpha": "flag", "fit_beta": "flag",
         "prior_burn_in": "int"},
        check=_check_objectives),
    "lda.concentration_update": Example(
        lambda: dict(concentration=np.array([[0.5, 2.0, 3.0], [4.0, 0.2, 1.0]]), start=1.0),
        {"concentration": "array", "start": "real"}, check=_check_concentration),
    "lda.fold_in": Example(
        lambda: dict(counts=_counts(), topic_word=_params()[1], alpha=0.3, max_iter=20, tol=1e-6,
                     doc_topic=np.ones((4, 2))),
        {"counts": "counts", "topic_word": "array", "alpha": "real", "max_iter": "int",
         "tol": "real", "doc_topic": "array"}, check=lambda r, kw: _check_pair([r], kw)),
    "lda.transform": Example(
        lambda: dict(counts=_counts(), topic_word=_params()[1], alpha=0.3, max_iter=20, tol=1e-6),
        {"counts": "counts", "topic_word": "array", "alpha": "real", "max_iter": "int",
         "tol": "real"}, check=_check_rows),
    "lda.perplexity": Example(_args(alpha=0.3, beta=0.2), {**PAIR, **PRIORS}),
    "lda.mean_params": Example(
        lambda: dict(doc_topic=_params()[0], topic_word=_params()[1]),
        {"doc_topic": "array", "topic_word": "array"},
        check=lambda r, kw: [_check_rows(x, kw) for x in r]),
    "lda.exact_log_evidence": Example(
        lambda: dict(counts=_tiny(), n_topics=2, alpha=0.5, beta=0.5),
        {"counts": "counts", "n_topics": "int", **PRIORS}, check=_check_bound),
    "lda.elbo_monte_carlo": Example(
        lambda: dict(counts=_tiny(), doc_topic=np.ones((2, 2)), topic_word=np.ones((2, 3)),
                     alpha=0.5, beta=0.5, n_samples=3, random_state=0),
        {**PAIR, **PRIORS, "n_samples": "int", "random_state": "seed"}),
    "lda.topics_needed": Example(
        lambda: dict(doc_topic=np.array([[0.7, 0.2, 0.1], [0.34, 0.33, 0.33]]), mass=0.9),
        {"doc_topic": "array", "mass": "real"},
        check=lambda r, kw: np.all((r >= 1) & (r <= 3)) or pytest.fail(f"{r} outside 1 … K")),
    "plotting.lda.plot_dirichlet_sparsity": Example(
        lambda: dict(alpha=0.1, n_topics=5, n_docs=4, mass=0.9, random_state=0),
        {"alpha": "real", "n_topics": "int", "n_docs": "int", "mass": "real",
         "random_state": "seed"}),
}

SKIPPED = {
    "lda.LDAParams": "parameter record", "lda.LDAStatistics": "statistics record",
    "lda.LDAResult": "result record",
    "lda.LDAModel": "built from checked data by lda.fit and lda.fold_in",
    "lda.check_elbo_bound": "an assertion helper: AssertionError is its answer (tests/test_lda.py)",
    "lda.check_concentration_optimum": "an assertion helper: AssertionError is its answer "
                                       "(tests/test_lda.py)",
    "lda.LDAHyperParams": "parameter record",
}
