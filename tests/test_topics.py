"""Tests for emlib.topics against an independent dense reference (D×V×K responsibilities),
hand-computed MAP updates, scipy's Dirichlet density and brute force."""

import itertools
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse
from scipy.stats import dirichlet

from emlib import topics


# --------------------------------------------------------------------------------------------
# The reference: textbook EM with the full (D, V, K) array of responsibilities
# --------------------------------------------------------------------------------------------
def dense_em(counts, doc_topic, topic_word, n_iter, alpha=1.0, beta=1.0):
    """Straightforward EM: γ_dvk = π_dk θ_kv / Σ_j π_dj θ_jv, then normalised expected counts
    (an empty document, whose row of expected counts is 0 under maximum likelihood, gets 1/K).
    Returns Π, Θ and the log-likelihoods of the n_iter + 1 iterates."""
    counts = np.asarray(counts, dtype=float)
    log_likelihoods = []
    for t in range(n_iter + 1):
        joint = doc_topic[:, None, :] * topic_word.T[None, :, :]           # (D, V, K)
        marginal = joint.sum(axis=2)                                         # (D, V)
        observed = counts > 0
        log_likelihoods.append(np.sum(counts[observed] * np.log(marginal[observed])))
        if t == n_iter:
            break
        resp = joint / np.where(observed, marginal, 1.0)[:, :, None]         # γ_dvk
        expected = counts[:, :, None] * resp                                 # n_dv γ_dvk
        doc_topic = expected.sum(axis=1) + alpha - 1
        doc_topic[doc_topic.sum(axis=1) == 0] = 1.0
        doc_topic /= doc_topic.sum(axis=1, keepdims=True)
        topic_word = expected.sum(axis=0).T + beta - 1
        topic_word /= topic_word.sum(axis=1, keepdims=True)
    return doc_topic, topic_word, np.array(log_likelihoods)


def dense_hard_em(counts, doc_topic, topic_word, n_iter, alpha=1.0, beta=1.0):
    """Hard EM with explicit (D, V, K) one-hot assignments of every observed (d, v)."""
    counts = np.asarray(counts, dtype=float)
    for _ in range(n_iter):
        joint = doc_topic[:, None, :] * topic_word.T[None, :, :]
        onehot = np.zeros_like(joint)
        d, v = np.nonzero(counts)
        onehot[d, v, joint[d, v].argmax(axis=1)] = 1.0
        expected = counts[:, :, None] * onehot
        doc_topic = expected.sum(axis=1) + alpha - 1
        doc_topic /= doc_topic.sum(axis=1, keepdims=True)
        topic_word = expected.sum(axis=0).T + beta - 1
        topic_word /= topic_word.sum(axis=1, keepdims=True)
    return doc_topic, topic_word


def random_corpus(rng, n_docs, n_words, density, max_count=6):
    counts = rng.integers(1, max_count, size=(n_docs, n_words)) * (rng.random((n_docs, n_words))
                                                                    < density)
    counts[:, 0] += counts.sum(axis=1) == 0          # no empty documents unless asked for
    return counts.astype(float)


def random_start(rng, n_docs, n_words, n_topics):
    return (rng.dirichlet(np.ones(n_topics), size=n_docs),
            rng.dirichlet(np.ones(n_words), size=n_topics))


def assert_relative(actual, expected, rtol=1e-12):
    actual, expected = np.asarray(actual), np.asarray(expected)
    scale = np.max(np.abs(expected))
    assert np.max(np.abs(actual - expected)) <= rtol * scale, \
        f"max relative difference {np.max(np.abs(actual - expected)) / scale:.3g} > {rtol}"


@pytest.fixture
def small():
    rng = np.random.default_rng(0)
    counts = random_corpus(rng, 12, 15, 0.4)
    doc_topic, topic_word = random_start(rng, 12, 15, 3)
    return counts, doc_topic, topic_word


# --------------------------------------------------------------------------------------------
# Agreement with the dense reference
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("alpha, beta", [(1.0, 1.0), (1.5, 1.0), (1.0, 2.0), (2.5, 1.2)])
@pytest.mark.parametrize("as_sparse", [True, False])
def test_fit_agrees_with_dense_reference(alpha, beta, as_sparse):
    rng = np.random.default_rng(1)
    counts = random_corpus(rng, 30, 40, 0.2)
    start = random_start(rng, 30, 40, 4)
    given_counts = sparse.csr_array(counts) if as_sparse else counts
    result = topics.fit(given_counts, 4, alpha=alpha, beta=beta, init=start, max_iter=25, tol=0)
    doc_topic, topic_word, log_likelihoods = dense_em(counts, *start, 25, alpha, beta)
    assert result.n_iter == 25 and not result.converged
    assert_relative(result.doc_topic, doc_topic)
    assert_relative(result.topic_word, topic_word)
    assert_relative(result.log_likelihoods, log_likelihoods)
    assert result.doc_topic.shape == (30, 4) and result.topic_word.shape == (4, 40)
    np.testing.assert_allclose(result.doc_topic.sum(axis=1), 1.0, rtol=1e-14)
    np.testing.assert_allclose(result.topic_word.sum(axis=1), 1.0, rtol=1e-14)


def test_fit_agrees_with_dense_reference_across_many_blocks(monkeypatch):
    """Blocks of 256 non-zeros split documents between blocks; nothing may change."""
    monkeypatch.setattr(topics, "_BLOCK_BYTES", 1)
    rng = np.random.default_rng(2)
    counts = random_corpus(rng, 40, 300, 0.3)             # ~3,600 non-zeros, ~90 per document
    start = random_start(rng, 40, 300, 3)
    result = topics.fit(sparse.csr_array(counts), 3, init=start, max_iter=10, tol=0)
    doc_topic, topic_word, log_likelihoods = dense_em(counts, *start, 10)
    assert_relative(result.doc_topic, doc_topic)
    assert_relative(result.topic_word, topic_word)
    assert_relative(result.log_likelihoods, log_likelihoods)


def test_e_step_ratio_gives_the_dense_expected_counts(small):
    counts, doc_topic, topic_word = small
    ratio, total = topics.e_step(sparse.csr_array(counts), doc_topic, topic_word)
    assert sparse.issparse(ratio) and ratio.shape == counts.shape
    joint = doc_topic[:, None, :] * topic_word.T[None, :, :]
    resp = joint / joint.sum(axis=2, keepdims=True)
    expected = counts[:, :, None] * resp                                   # n_dv γ̃_dvk
    # n_dv γ̃_dvk = R_dv π_dk θ_kv at every (d, v), hence both M-step sums
    assert_relative(ratio.toarray()[:, :, None] * joint, expected)
    np.testing.assert_array_equal(ratio.toarray() > 0, counts > 0)
    assert total == pytest.approx(dense_em(counts, doc_topic, topic_word, 0)[2][0], rel=1e-13)


def test_m_step_after_e_step_is_one_dense_iteration(small):
    counts, doc_topic, topic_word = small
    ratio, _ = topics.e_step(counts, doc_topic, topic_word)
    new_doc, new_word = topics.m_step(ratio, doc_topic, topic_word, alpha=1.3, beta=1.7)
    ref_doc, ref_word, _ = dense_em(counts, doc_topic, topic_word, 1, alpha=1.3, beta=1.7)
    assert_relative(new_doc, ref_doc)
    assert_relative(new_word, ref_word)
    fitted = topics.fit(counts, 3, init=(doc_topic, topic_word), alpha=1.3, beta=1.7,
                        max_iter=1, tol=0)
    assert_relative(fitted.doc_topic, new_doc, 1e-15)
    assert_relative(fitted.topic_word, new_word, 1e-15)


@pytest.mark.parametrize("alpha, beta", [(1.0, 1.0), (2.0, 1.5)])
def test_hard_em_agrees_with_dense_one_hot_reference(alpha, beta):
    rng = np.random.default_rng(3)
    counts = random_corpus(rng, 25, 30, 0.3)
    start = random_start(rng, 25, 30, 3)
    for n_iter in (1, 2, 6):
        result = topics.fit(counts, 3, init=start, max_iter=n_iter, tol=0, hard=True,
                            alpha=alpha, beta=beta)
        if result.n_iter < n_iter:           # converged early: assignments stopped changing
            assert result.converged
            n_iter = result.n_iter
        doc_topic, topic_word = dense_hard_em(counts, *start, n_iter, alpha, beta)
        assert_relative(result.doc_topic, doc_topic)
        assert_relative(result.topic_word, topic_word)
        joint = doc_topic[:, None, :] * topic_word.T[None, :, :]
        complete = np.sum(counts * np.log(np.where(counts > 0, joint.max(axis=2), 1.0)))
        prior = 0.0
        if alpha != 1 or beta != 1:
            prior = (sum(dirichlet(np.full(3, alpha)).logpdf(p) for p in doc_topic)
                     + sum(dirichlet(np.full(30, beta)).logpdf(t) for t in topic_word))
        assert result.objectives[-1] == pytest.approx(complete + prior, rel=1e-12)


# --------------------------------------------------------------------------------------------
# Closed forms and hand computations
# --------------------------------------------------------------------------------------------
def test_one_topic_is_the_smoothed_word_frequency_in_one_step():
    counts = np.array([[3.0, 0.0, 1.0, 0.0], [0.0, 2.0, 2.0, 0.0]])
    start = (np.ones((2, 1)), np.full((1, 4), 0.25))
    result = topics.fit(counts, 1, init=start, beta=2.0, max_iter=1, tol=0)
    # θ_v = (Σ_d n_dv + β − 1) / (N + V(β − 1)) = (3+1, 2+1, 3+1, 0+1) / (8 + 4)
    np.testing.assert_allclose(result.topic_word, [[4 / 12, 3 / 12, 4 / 12, 1 / 12]],
                               rtol=1e-15)
    np.testing.assert_array_equal(result.doc_topic, [[1.0], [1.0]])


def test_map_pseudo_counts_by_hand():
    """Topics on disjoint words make γ̃ 0 or 1, so the M-step is countable by hand."""
    counts = np.array([[3.0, 1.0, 0.0, 2.0],       # 4 words of topic 0, 2 of topic 1
                       [0.0, 0.0, 5.0, 0.0]])      # 5 words of topic 1
    topic_word = np.array([[0.5, 0.5, 0.0, 0.0], [0.0, 0.0, 0.5, 0.5]])
    doc_topic = np.full((2, 2), 0.5)
    new_doc, new_word = topics.m_step(topics.e_step(counts, doc_topic, topic_word)[0],
                                      doc_topic, topic_word, alpha=3.0, beta=2.0)
    # π_dk = (n_dk + α − 1)/(n_d + K(α − 1)): d=0: (4+2, 2+2)/(6+4); d=1: (0+2, 5+2)/(5+4)
    np.testing.assert_allclose(new_doc, [[6 / 10, 4 / 10], [2 / 9, 7 / 9]], rtol=1e-15)
    # θ_kv = (n_kv + β − 1)/(n_k + V(β − 1)): topic 0 has (3, 1, 0, 0), topic 1 (0, 0, 5, 2)
    np.testing.assert_allclose(new_word, [[4 / 8, 2 / 8, 1 / 8, 1 / 8],
                                          [1 / 11, 1 / 11, 6 / 11, 3 / 11]], rtol=1e-15)
    # and maximum likelihood gives the plain fractions
    ml_doc, ml_word = topics.m_step(topics.e_step(counts, doc_topic, topic_word)[0],
                                    doc_topic, topic_word)
    np.testing.assert_allclose(ml_doc, [[4 / 6, 2 / 6], [0.0, 1.0]], rtol=1e-15)
    np.testing.assert_allclose(ml_word, [[3 / 4, 1 / 4, 0, 0], [0, 0, 5 / 7, 2 / 7]],
                               rtol=1e-15)


def test_log_posterior_is_likelihood_plus_scipy_dirichlet_log_densities(small):
    counts, doc_topic, topic_word = small
    expected = (dense_em(counts, doc_topic, topic_word, 0)[2][0]
                + sum(dirichlet(np.full(3, 1.7)).logpdf(p) for p in doc_topic)
                + sum(dirichlet(np.full(15, 2.5)).logpdf(t) for t in topic_word))
    value = topics.log_posterior(counts, doc_topic, topic_word, alpha=1.7, beta=2.5)
    assert value == pytest.approx(expected, rel=1e-12)


def test_map_objectives_are_the_log_posterior():
    rng = np.random.default_rng(4)
    counts = random_corpus(rng, 10, 12, 0.5)
    result = topics.fit(counts, 2, alpha=1.5, beta=1.1, max_iter=3, tol=0, random_state=0,
                        callback=None)
    assert result.objectives[-1] == pytest.approx(
        topics.log_posterior(counts, result.doc_topic, result.topic_word, alpha=1.5, beta=1.1),
        rel=1e-12)
    assert np.all(result.objectives < result.log_likelihoods + 1e3)   # finite, different
    ml = topics.fit(counts, 2, max_iter=3, tol=0, random_state=0)
    np.testing.assert_array_equal(ml.objectives, ml.log_likelihoods)


def test_log_likelihood_zero_probability_and_empty_corpus():
    counts = np.array([[1.0, 2.0], [0.0, 1.0]])
    doc_topic = np.array([[1.0, 0.0], [0.5, 0.5]])
    topic_word = np.array([[0.0, 1.0], [0.5, 0.5]])     # document 0 cannot produce word 0
    assert topics.log_likelihood(counts, doc_topic, topic_word) == -np.inf
    assert topics.perplexity(counts, doc_topic, topic_word) == np.inf
    assert topics.log_likelihood(np.zeros((2, 2)), doc_topic, topic_word) == 0.0
    counts[0, 0] = 0.0
    assert topics.log_likelihood(counts, doc_topic, topic_word) == pytest.approx(
        2 * np.log(1.0) + np.log(0.5 * 1.0 + 0.5 * 0.5))


# --------------------------------------------------------------------------------------------
# Monotonicity (property tests)
# --------------------------------------------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_docs=st.integers(1, 6), n_words=st.integers(1, 8),
       n_topics=st.integers(1, 4), alpha=st.sampled_from([1.0, 1.01, 2.0]),
       beta=st.sampled_from([1.0, 1.5, 10.0]), hard=st.booleans(),
       density=st.floats(0.1, 1.0))
def test_objective_never_decreases(seed, n_docs, n_words, n_topics, alpha, beta, hard, density):
    rng = np.random.default_rng(seed)
    counts = random_corpus(rng, n_docs, n_words, density)
    result = topics.fit(counts, n_topics, alpha=alpha, beta=beta, hard=hard, max_iter=15,
                        tol=0, random_state=seed)
    steps = np.diff(result.objectives)
    assert np.all(steps >= -1e-10 * np.maximum(1.0, np.abs(result.objectives[1:]))), steps
    if not hard:
        assert np.all(np.isfinite(result.log_likelihoods))
        if alpha == beta == 1.0:                   # maximum likelihood: the log-likelihood
            np.testing.assert_array_equal(result.objectives, result.log_likelihoods)


# --------------------------------------------------------------------------------------------
# Edge cases: empty documents and words, convergence, callback, input formats
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("alpha, beta", [(1.0, 1.0), (2.0, 3.0)])
def test_empty_documents_get_the_prior_and_unseen_words_the_pseudo_count(alpha, beta):
    rng = np.random.default_rng(5)
    counts = random_corpus(rng, 8, 6, 0.6)
    counts[[2, 5]] = 0.0                           # two empty documents
    counts[:, 4] = 0.0                             # a word that occurs nowhere
    result = topics.fit(counts, 3, alpha=alpha, beta=beta, max_iter=20, random_state=0)
    np.testing.assert_array_equal(result.doc_topic[[2, 5]], np.full((2, 3), 1 / 3))
    if beta == 1.0:
        np.testing.assert_array_equal(result.topic_word[:, 4], 0.0)
    else:
        assert np.all(result.topic_word[:, 4] > 0)
    assert np.all(np.isfinite(result.doc_topic)) and np.all(np.isfinite(result.topic_word))
    _, _, reference = dense_em(counts, *topics.init_params(counts, 3, random_state=0),
                               result.n_iter, alpha, beta)
    assert_relative(result.log_likelihoods, reference)


def test_a_topic_without_words_keeps_its_distribution():
    counts = np.array([[2.0, 1.0], [1.0, 3.0]])
    doc_topic = np.array([[1.0, 0.0], [1.0, 0.0]])            # topic 1 is never used
    topic_word = np.array([[0.5, 0.5], [0.9, 0.1]])
    result = topics.fit(counts, 2, init=(doc_topic, topic_word), max_iter=3, tol=0)
    np.testing.assert_array_equal(result.topic_word[1], [0.9, 0.1])
    np.testing.assert_array_equal(result.doc_topic[:, 1], 0.0)
    np.testing.assert_allclose(result.topic_word[0], [3 / 7, 4 / 7], rtol=1e-15)


def test_convergence_and_n_iter():
    rng = np.random.default_rng(6)
    counts = random_corpus(rng, 20, 25, 0.3)
    result = topics.fit(counts, 2, tol=1e-4, max_iter=500, random_state=1)
    assert result.converged and result.n_iter < 500
    assert len(result.log_likelihoods) == result.n_iter + 1
    assert abs(result.objectives[-1] - result.objectives[-2]) < 1e-4 * counts.sum()
    none = topics.fit(counts, 2, max_iter=0, random_state=1)
    assert none.n_iter == 0 and not none.converged and len(none.log_likelihoods) == 1
    start = topics.init_params(counts, 2, random_state=1)
    np.testing.assert_array_equal(none.doc_topic, start[0])
    np.testing.assert_array_equal(none.topic_word, start[1])


def test_callback_sees_every_iterate_and_may_keep_it(small):
    counts, doc_topic, topic_word = small
    seen = []
    result = topics.fit(counts, 3, init=(doc_topic, topic_word), max_iter=4, tol=0,
                        callback=lambda t, params, objective: seen.append((t, *params, objective)))
    assert [t for t, *_ in seen] == [0, 1, 2, 3, 4]
    np.testing.assert_array_equal(seen[0][1], doc_topic)
    np.testing.assert_array_equal(seen[0][2], topic_word)
    np.testing.assert_array_equal(seen[-1][1], result.doc_topic)
    np.testing.assert_array_equal(seen[-1][2], result.topic_word)
    assert [ll for *_, ll in seen] == list(result.log_likelihoods)
    with pytest.raises(ValueError):
        seen[1][1][0, 0] = 1.0                    # read-only: EM's state cannot be corrupted
    with pytest.raises(ValueError):
        seen[1][2][0, 0] = 1.0


def test_input_formats_agree_and_input_is_not_modified(small):
    counts, doc_topic, topic_word = small
    start = (doc_topic, topic_word)
    reference = topics.fit(counts, 3, init=start, max_iter=5, tol=0)
    coo = sparse.coo_matrix(counts)
    duplicated = sparse.coo_array((np.concatenate([coo.data - 1, np.ones(coo.nnz)]),
                                   (np.concatenate([coo.row, coo.row]),
                                    np.concatenate([coo.col, coo.col]))), shape=counts.shape)
    csr = sparse.csr_array(counts)
    before = csr.data.copy()
    for given in (counts.tolist(), counts.astype(int), sparse.csc_matrix(counts), coo,
                  duplicated, csr):
        result = topics.fit(given, 3, init=start, max_iter=5, tol=0)
        assert_relative(result.doc_topic, reference.doc_topic, 1e-14)
        assert_relative(result.topic_word, reference.topic_word, 1e-14)
    np.testing.assert_array_equal(csr.data, before)
    np.testing.assert_array_equal(start[0], doc_topic)


def test_fit_never_builds_a_dense_documents_by_words_array():
    """On sparse input, everything fit allocates is far smaller than one dense D×V array."""
    rng = np.random.default_rng(7)
    n_docs, n_words = 400, 2000
    counts = sparse.random_array((n_docs, n_words), density=0.005, format="csr", rng=rng,
                                 data_sampler=lambda size: rng.integers(1, 4, size)) * 1.0
    counts = sparse.csr_array(counts)
    topics.fit(counts, 5, max_iter=1, random_state=0)        # warm-up (imports, caches)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        topics.fit(counts, 5, max_iter=3, tol=0, random_state=0)
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    dense_bytes = n_docs * n_words * 8
    assert peak < dense_bytes / 5, f"fit used {peak} bytes; a dense D×V is {dense_bytes}"


def test_init_params_reproducible_and_valid():
    counts = np.ones((4, 6))
    a = topics.init_params(counts, 3, random_state=5)
    b = topics.init_params(counts, 3, random_state=5)
    np.testing.assert_array_equal(a[0], b[0])
    assert a[0].shape == (4, 3) and a[1].shape == (3, 6)
    np.testing.assert_allclose(a[0].sum(axis=1), 1.0)
    np.testing.assert_allclose(a[1].sum(axis=1), 1.0)
    assert np.all(a[0] > 0) and np.all(a[1] > 0)


# --------------------------------------------------------------------------------------------
# Held-out documents
# --------------------------------------------------------------------------------------------
def dense_fold_in(counts, topic_word, n_iter, alpha=1.0):
    doc_topic = np.full((counts.shape[0], topic_word.shape[0]), 1.0 / topic_word.shape[0])
    for _ in range(n_iter):
        joint = doc_topic[:, None, :] * topic_word.T[None, :, :]
        marginal = joint.sum(axis=2, keepdims=True)
        expected = (counts[:, :, None] * joint / np.where(marginal > 0, marginal, 1)).sum(1)
        doc_topic = expected + alpha - 1
        doc_topic /= doc_topic.sum(axis=1, keepdims=True)
    return doc_topic


@pytest.mark.parametrize("alpha", [1.0, 1.8])
def test_fold_in_is_em_over_doc_topic_with_topics_fixed(alpha):
    rng = np.random.default_rng(8)
    counts = random_corpus(rng, 7, 10, 0.5)
    topic_word = rng.dirichlet(np.ones(10), size=3)
    doc_topic = topics.fold_in(counts, topic_word, alpha=alpha, max_iter=12, tol=0)
    assert_relative(doc_topic, dense_fold_in(counts, topic_word, 12, alpha))


def test_fold_in_reaches_the_likelihood_of_the_fitted_proportions():
    """With Θ fixed, each π_d has a concave log-likelihood: fold-in from 1/K climbs to the value
    the fitted Π attains (a stationary point of the joint problem maximises the π part)."""
    rng = np.random.default_rng(9)
    counts = random_corpus(rng, 15, 12, 0.6)
    fitted = topics.fit(counts, 2, max_iter=3000, tol=0, random_state=0)
    folded = topics.fold_in(counts, fitted.topic_word, max_iter=3000, tol=0)
    target = topics.log_likelihood(counts, fitted.doc_topic, fitted.topic_word)
    reached = topics.log_likelihood(counts, folded, fitted.topic_word)
    start = topics.log_likelihood(counts, np.full((15, 2), 0.5), fitted.topic_word)
    assert start < target - 1.0
    assert reached == pytest.approx(target, abs=1e-6)


def test_fold_in_skips_words_no_topic_produces():
    topic_word = np.array([[0.5, 0.5, 0.0], [0.2, 0.8, 0.0]])      # word 2: probability 0
    with_unseen = np.array([[1.0, 3.0, 4.0], [0.0, 0.0, 2.0]])
    result = topics.fold_in(with_unseen, topic_word, max_iter=50, tol=0)
    np.testing.assert_allclose(result[0], topics.fold_in(with_unseen[:1, :2], topic_word[:, :2]
                                                         / topic_word[:, :2].sum(axis=1)[:, None],
                                                         max_iter=50, tol=0)[0], rtol=1e-15)
    np.testing.assert_array_equal(result[1], [0.5, 0.5])      # nothing informative: 1/K
    assert topics.log_likelihood(with_unseen, result, topic_word) == -np.inf


def test_perplexity():
    counts = np.array([[2.0, 1.0, 0.0, 1.0]])
    uniform = np.full((1, 4), 0.25)
    assert topics.perplexity(counts, np.ones((1, 1)), uniform) == pytest.approx(4.0, rel=1e-15)
    doc_topic, topic_word = np.array([[0.3, 0.7]]), np.array([[0.1, 0.2, 0.3, 0.4],
                                                                [0.4, 0.3, 0.2, 0.1]])
    p = doc_topic @ topic_word
    expected = np.exp(-(2 * np.log(p[0, 0]) + np.log(p[0, 1]) + np.log(p[0, 3])) / 4)
    assert topics.perplexity(counts, doc_topic, topic_word) == pytest.approx(expected, rel=1e-14)


def test_split_tokens():
    rng = np.random.default_rng(10)
    counts = sparse.csr_array(random_corpus(rng, 50, 40, 0.3, max_count=20))
    first, second = topics.split_tokens(counts, 0.3, random_state=0)
    np.testing.assert_array_equal((first + second).toarray(), counts.toarray())
    assert first.data.min() > 0 and second.data.min() > 0            # no stored zeros
    assert first.sum() / counts.sum() == pytest.approx(0.3, abs=0.02)
    again, _ = topics.split_tokens(counts, 0.3, random_state=0)
    np.testing.assert_array_equal(again.toarray(), first.toarray())
    everything, nothing = topics.split_tokens(counts, 1.0, random_state=0)
    assert nothing.nnz == 0 and (everything != counts).nnz == 0


# --------------------------------------------------------------------------------------------
# Reading topics
# --------------------------------------------------------------------------------------------
def test_top_words():
    topic_word = np.array([[0.1, 0.5, 0.4, 0.0], [0.25, 0.25, 0.25, 0.25]])
    words = ["a", "b", "c", "d"]
    assert topics.top_words(topic_word, words, 2) == [["b", "c"], ["a", "b"]]
    assert topics.top_words(topic_word, np.array(words), 4)[0] == ["b", "c", "a", "d"]


def test_match_topics_finds_the_best_permutation_by_brute_force():
    rng = np.random.default_rng(11)
    reference = rng.dirichlet(np.ones(30) * 0.3, size=5)
    estimated = rng.dirichlet(np.ones(30) * 0.3, size=5)
    order, distances = topics.match_topics(estimated, reference)

    def total(perm):
        return sum(0.5 * np.abs(estimated[perm[j]] - reference[j]).sum() for j in range(5))

    best = min(itertools.permutations(range(5)), key=total)
    assert tuple(order) == best
    assert distances.sum() == pytest.approx(total(best), rel=1e-13)
    shuffled = reference[[3, 0, 4, 1, 2]]
    order, distances = topics.match_topics(shuffled, reference)
    np.testing.assert_array_equal(shuffled[order], reference)
    np.testing.assert_array_equal(distances, 0.0)


# --------------------------------------------------------------------------------------------
# Bad input: a clear error naming the argument, for every public function
# --------------------------------------------------------------------------------------------
GOOD_COUNTS = np.array([[1.0, 0.0, 2.0], [0.0, 3.0, 1.0]])
GOOD_DOC = np.full((2, 2), 0.5)
GOOD_WORD = np.full((2, 3), 1 / 3)


@pytest.mark.parametrize("counts, error, message", [
    (np.array([[1.0, -1.0, 0.0], [0.0, 1.0, 0.0]]), ValueError,
     r"counts must be non-negative.*\[0, 1\]"),
    (np.array([[1.0, np.nan, 0.0], [0.0, 1.0, 0.0]]), ValueError, "counts must be finite"),
    (sparse.csr_array(np.array([[1.0, np.inf, 0.0], [0.0, 1.0, 0.0]])), ValueError,
     r"counts must be finite, but counts\[0, 1\] = inf"),
    (sparse.csr_array(np.array([[1.0, -2.0, 0.0], [0.0, 1.0, 0.0]])), ValueError,
     r"non-negative.*counts\[0, 1\] = -2"),
    (np.zeros((2, 3)), ValueError, "all zero"),
    (sparse.csr_array((2, 3)), ValueError, "all zero"),
    (np.ones(3), ValueError, "2-D"),
    (np.ones((0, 3)), ValueError, "empty"),
    (sparse.csr_array((0, 3)), ValueError, "empty"),
    ("counts", TypeError, "array of numbers"),
    (sparse.csr_array(np.array([[1j, 0, 0], [0, 1, 0]])), TypeError, "array of numbers"),
])
def test_fit_rejects_bad_counts(counts, error, message):
    with pytest.raises(error, match=message):
        topics.fit(counts, 2)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"n_topics": 0}, ValueError, "n_topics must be at least 1"),
    ({"n_topics": 2.5}, TypeError, "n_topics must be an integer"),
    ({"alpha": 0.5}, ValueError, "alpha must be >= 1.*pseudo-count"),
    ({"beta": 0.99}, ValueError, "beta must be >= 1"),
    ({"alpha": np.nan}, ValueError, "alpha must be finite"),
    ({"beta": "1"}, TypeError, "beta must be a real number"),
    ({"max_iter": -1}, ValueError, "max_iter"),
    ({"tol": -1.0}, ValueError, "tol"),
    ({"callback": 3}, TypeError, "callback must be callable"),
    ({"hard": "yes"}, TypeError, "hard must be True or False"),
    ({"random_state": "seed"}, TypeError, "random_state"),
    ({"init": "random"}, TypeError, "init must be None or a pair"),
    ({"init": (GOOD_DOC,)}, TypeError, "init must be None or a pair"),
    ({"init": (np.full((3, 2), 0.5), GOOD_WORD)}, ValueError, r"init\[0\].*3 rows.*2 documents"),
    ({"init": (np.full((2, 3), 1 / 3), GOOD_WORD)}, ValueError, r"init\[0\].*3 columns.*2 topics"),
    ({"init": (GOOD_DOC, np.full((2, 4), 0.25))}, ValueError, r"init\[1\].*4 columns.*3 words"),
    ({"init": (GOOD_DOC, np.full((3, 3), 1 / 3))}, ValueError, r"init\[1\].*3 rows.*2 topics"),
    ({"init": (np.full((2, 2), 0.6), GOOD_WORD)}, ValueError, r"init\[0\].*sum to 1"),
    ({"init": (GOOD_DOC, np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]]))}, ValueError,
     r"init give probability 0 to word 2 of document 0"),
    ({"init": (GOOD_DOC, np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]])), "hard": True},
     ValueError, r"init give probability 0"),
])
def test_fit_rejects_bad_arguments(kwargs, error, message):
    arguments = {"n_topics": 2} | kwargs
    with pytest.raises(error, match=message):
        topics.fit(GOOD_COUNTS, **arguments)


@pytest.mark.parametrize("call, error, message", [
    (lambda: topics.e_step(GOOD_COUNTS, GOOD_DOC[:1], GOOD_WORD), ValueError,
     "doc_topic has 1 rows"),
    (lambda: topics.e_step(GOOD_COUNTS, GOOD_DOC, GOOD_WORD[:, :2]), ValueError,
     "topic_word has 2 columns but counts has 3"),
    (lambda: topics.e_step(GOOD_COUNTS, GOOD_DOC, np.full((3, 3), 1 / 3)), ValueError,
     "doc_topic has 2 columns but there are 3 topics"),
    (lambda: topics.e_step(GOOD_COUNTS, GOOD_DOC, np.array([[1.0, 0, 0], [1.0, 0, 0]])),
     ValueError, "probability 0 to word 2"),
    (lambda: topics.e_step(-GOOD_COUNTS, GOOD_DOC, GOOD_WORD), ValueError, "non-negative"),
    (lambda: topics.m_step(-GOOD_COUNTS, GOOD_DOC, GOOD_WORD), ValueError,
     "ratio must be non-negative"),
    (lambda: topics.m_step(GOOD_COUNTS, GOOD_DOC, GOOD_WORD, alpha=0.0), ValueError, "alpha"),
    (lambda: topics.m_step(GOOD_COUNTS, GOOD_DOC * 2, GOOD_WORD), ValueError, "sum to 1"),
    (lambda: topics.m_step(GOOD_COUNTS[:1], GOOD_DOC, GOOD_WORD), ValueError,
     "doc_topic has 2 rows"),
    (lambda: topics.log_likelihood(GOOD_COUNTS, GOOD_DOC, GOOD_WORD.T), ValueError, "topic_word"),
    (lambda: topics.log_likelihood(GOOD_COUNTS, -GOOD_DOC, GOOD_WORD), ValueError,
     "doc_topic must be non-negative"),
    (lambda: topics.log_posterior(GOOD_COUNTS, GOOD_DOC, GOOD_WORD, beta=0.5), ValueError, "beta"),
    (lambda: topics.fold_in(GOOD_COUNTS, GOOD_WORD[:, :2]), ValueError,
     "topic_word has 2 columns"),
    (lambda: topics.fold_in(GOOD_COUNTS, GOOD_WORD, alpha=0.9), ValueError, "alpha"),
    (lambda: topics.fold_in(GOOD_COUNTS, GOOD_WORD, max_iter=-1), ValueError, "max_iter"),
    (lambda: topics.fold_in([[np.inf, 0, 0]], GOOD_WORD), ValueError, "finite"),
    (lambda: topics.perplexity(np.zeros((2, 3)), GOOD_DOC, GOOD_WORD), ValueError, "all zero"),
    (lambda: topics.split_tokens(GOOD_COUNTS, 1.5), ValueError, "fraction must be at most 1"),
    (lambda: topics.split_tokens(GOOD_COUNTS, -0.1), ValueError, "fraction"),
    (lambda: topics.split_tokens(GOOD_COUNTS * 0.5, 0.5), ValueError, "whole numbers"),
    (lambda: topics.init_params(GOOD_COUNTS, 0), ValueError, "n_topics"),
    (lambda: topics.init_params(np.ones((2, 2, 2)), 2), ValueError, "2-D"),
    (lambda: topics.top_words(GOOD_WORD, ["a", "b"]), ValueError, "vocabulary has shape"),
    (lambda: topics.top_words(GOOD_WORD, "abc"), TypeError, "vocabulary must be a sequence"),
    (lambda: topics.top_words(GOOD_WORD, ["a", "b", "c"], 4), ValueError,
     "n_words must be at most 3"),
    (lambda: topics.match_topics(GOOD_WORD, GOOD_WORD[:, :2] * 1.5), ValueError, "shape"),
    (lambda: topics.match_topics(GOOD_WORD, GOOD_WORD * 2), ValueError, "reference"),
])
def test_public_functions_reject_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()
