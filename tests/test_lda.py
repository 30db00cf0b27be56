"""emlib.lda against independent references, and each check failing on a wrong implementation.

References: the exact log-evidence of a tiny corpus by enumerating every topic assignment
(``lda.exact_log_evidence``: closed-form Dirichlet–multinomial integrals, no digamma), a Monte
Carlo ELBO drawn with scipy.stats (``lda.elbo_monte_carlo``), a dense full ELBO L(φ, γ, λ) written
here from scipy.stats.dirichlet's entropy, and scikit-learn's LatentDirichletAllocation; for the
fitted hyperparameters, scipy.optimize's derivative-free scalar maximiser and corpora sampled
with a known α.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize, sparse, stats
from scipy.special import digamma, gammaln, logsumexp, polygamma
from sklearn.decomposition import LatentDirichletAllocation

from em_contract import check_monotone
from emlib import em, lda, topics

TINY = sparse.csr_array(np.array([[2.0, 1.0, 0.0, 0.0], [0.0, 0.0, 2.0, 1.0],
                                  [1.0, 0.0, 1.0, 1.0]]))            # 9 tokens, 2**9 assignments
ALPHA, BETA = 0.5, 0.7


# --------------------------------------------------------------------------------------------
# A dense reference: the full ELBO L(φ, γ, λ) for any φ (not only the optimal one)
# --------------------------------------------------------------------------------------------
def _elog(a):
    return digamma(a) - digamma(a.sum(axis=1, keepdims=True))


def full_elbo(counts, phi, gamma, lam, alpha=ALPHA, beta=BETA):
    """E_q[log p(W, C, Π, Θ)] + H[q], φ (nnz, K) at the non-zeros in CSR order; Dirichlet
    entropies from scipy.stats, the priors' expectations written out."""
    counts = sparse.csr_array(counts)
    rows = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))
    cols, n = counts.indices, counts.data
    K, V = lam.shape
    elog_pi, elog_theta = _elog(gamma), _elog(lam)
    words = n @ (phi * (elog_pi[rows] + elog_theta.T[cols] - np.log(phi))).sum(axis=1)

    from scipy.special import gammaln
    doc_prior = gamma.shape[0] * (gammaln(K * alpha) - K * gammaln(alpha)) \
        + (alpha - 1) * elog_pi.sum()
    topic_prior = K * (gammaln(V * beta) - V * gammaln(beta)) + (beta - 1) * elog_theta.sum()
    entropy = sum(stats.dirichlet(g).entropy() for g in gamma) \
        + sum(stats.dirichlet(l).entropy() for l in lam)
    return float(words + doc_prior + topic_prior + entropy)


def _phi_update(counts, gamma, lam):
    return lda.responsibilities(counts, gamma, lam)


def _phi_update_log_mean(counts, gamma, lam):
    """Wrong: exp(E log π) replaced by E π = γ / Σγ (log E[θ] for E[log θ])."""
    counts = sparse.csr_array(counts)
    rows = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))
    p = (gamma / gamma.sum(1, keepdims=True))[rows] * (lam / lam.sum(1, keepdims=True)).T[
        counts.indices]
    return p / p.sum(axis=1, keepdims=True)


def _gamma_update(counts, phi, alpha=ALPHA):
    counts = sparse.csr_array(counts)
    rows = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))
    out = np.full((counts.shape[0], phi.shape[1]), alpha)
    np.add.at(out, rows, counts.data[:, None] * phi)
    return out


def _lambda_update(counts, phi, n_words, beta=BETA):
    counts = sparse.csr_array(counts)
    out = np.full((phi.shape[1], n_words), beta)
    np.add.at(out.T, counts.indices, counts.data[:, None] * phi)
    return out


def check_coordinate_step(before, after, what):
    """A coordinate update never decreases L."""
    if after < before - 1e-10 * max(1.0, abs(before)):
        raise AssertionError(f"the {what} update decreased L from {before!r} to {after!r}")


# --------------------------------------------------------------------------------------------
# The exact bound
# --------------------------------------------------------------------------------------------
def _elbo_wrong_log_mean(counts, gamma, lam, alpha=ALPHA, beta=BETA):
    """Wrong ELBO: in the words' term E[log π_dk] + E[log θ_kv] computed as log E[π_dk] +
    log E[θ_kv] (log(γ/Σγ), log(λ/Σλ)); the Dirichlet terms as they should be."""
    counts = sparse.csr_array(counts)
    rows = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))

    def word_term(log_pi, log_theta):
        return counts.data @ logsumexp(log_pi[rows] + log_theta.T[counts.indices], axis=1)
    right = word_term(_elog(gamma), _elog(lam))
    wrong = word_term(np.log(gamma / gamma.sum(1, keepdims=True)),
                      np.log(lam / lam.sum(1, keepdims=True)))
    return lda.elbo(counts, gamma, lam, alpha=alpha, beta=beta) - right + wrong


def _elbo_no_entropy(counts, gamma, lam, alpha=ALPHA, beta=BETA):
    """Wrong ELBO: the entropy of q(Π) and q(Θ) left out (only E_q[log p])."""
    entropy = sum(stats.dirichlet(g).entropy() for g in gamma) \
        + sum(stats.dirichlet(l).entropy() for l in lam)
    return lda.elbo(counts, gamma, lam, alpha=alpha, beta=beta) - entropy


@pytest.fixture(scope="module")
def tiny_run():
    log_evidence = lda.exact_log_evidence(TINY, 2, alpha=ALPHA, beta=BETA)
    history = []
    result = lda.fit(TINY, 2, alpha=ALPHA, beta=BETA, max_iter=30, tol=0.0, random_state=1,
                     callback=lambda t, params, objective: history.append(params))
    return log_evidence, result, history


def test_exact_evidence_by_an_independent_enumeration():
    """log p(W) of one document, one word type: Dirichlet–multinomial closed form for K = 1."""
    counts = np.array([[3.0, 1.0]])
    # K = 1: p(W) = Γ(2β)/Γ(2β + 4) Γ(β + 3)Γ(β + 1)/Γ(β)² (the topic proportions are trivial)
    from scipy.special import gammaln
    expected = gammaln(2 * BETA) - gammaln(2 * BETA + 4) + gammaln(BETA + 3) + gammaln(BETA + 1) \
        - 2 * gammaln(BETA)
    assert lda.exact_log_evidence(counts, 1, alpha=ALPHA, beta=BETA) == pytest.approx(expected)
    # K = 2 by a plain loop over the 2**4 assignments
    tokens = [0, 0, 0, 1]
    terms = []
    for code in range(16):
        c = [(code >> i) & 1 for i in range(4)]
        ndk = np.bincount(c, minlength=2)
        nkv = np.zeros((2, 2))
        for ci, w in zip(c, tokens):
            nkv[ci, w] += 1
        terms.append(gammaln(2 * ALPHA) - gammaln(2 * ALPHA + 4)
                     + (gammaln(ALPHA + ndk) - gammaln(ALPHA)).sum()
                     + (2 * gammaln(2 * BETA) - gammaln(2 * BETA + nkv.sum(1)).sum()
                        + (gammaln(BETA + nkv) - gammaln(BETA)).sum()))
    assert lda.exact_log_evidence(counts, 2, alpha=ALPHA, beta=BETA) == \
        pytest.approx(logsumexp(terms), rel=1e-12)


def test_every_iterate_is_below_the_exact_evidence(tiny_run):
    log_evidence, result, _ = tiny_run
    lda.check_elbo_bound(log_evidence, result.objectives)
    assert result.objectives[-1] > result.objectives[0] + 1.0      # it did climb


def test_gap_is_the_kl_to_the_posterior(tiny_run):
    """log p(W) − L(q) = KL(q ‖ p(C, Π, Θ | W)) >= 0, with L(q) estimated independently by
    Monte Carlo at an iterate before convergence (at the fixed point the estimator is exact)."""
    log_evidence, result, history = tiny_run
    params = history[1]
    elbo = lda.elbo(TINY, *params, alpha=ALPHA, beta=BETA)
    estimate, stderr = lda.elbo_monte_carlo(TINY, *params, alpha=ALPHA, beta=BETA,
                                            n_samples=150, random_state=0)
    assert abs(estimate - elbo) < 5 * stderr + 1e-9
    assert log_evidence - elbo > 0


def test_bound_check_fails_on_a_missing_entropy(tiny_run):
    log_evidence, result, _ = tiny_run
    wrong = [_elbo_no_entropy(TINY, *result.params)]
    with pytest.raises(AssertionError, match="not a lower bound"):
        lda.check_elbo_bound(log_evidence, wrong)


@pytest.mark.parametrize("t", [1, -1])
def test_monte_carlo_check_fails_on_log_of_the_mean(tiny_run, t):
    _, _, history = tiny_run
    params = history[t]
    estimate, stderr = lda.elbo_monte_carlo(TINY, *params, alpha=ALPHA, beta=BETA,
                                            n_samples=150, random_state=0)
    assert abs(estimate - lda.elbo(TINY, *params, alpha=ALPHA, beta=BETA)) < 5 * stderr + 1e-9
    assert abs(estimate - _elbo_wrong_log_mean(TINY, *params)) > 5 * stderr + 1e-9
    assert abs(estimate - _elbo_no_entropy(TINY, *params)) > 5 * stderr + 1e-9


def test_bound_check_fails_on_a_decreasing_sequence():
    with pytest.raises(AssertionError, match="fell"):
        lda.check_elbo_bound(0.0, [-3.0, -2.0, -2.5])


# --------------------------------------------------------------------------------------------
# Coordinate updates
# --------------------------------------------------------------------------------------------
def test_optimal_phi_gives_the_collapsed_elbo():
    gamma, lam = lda.init_params(TINY, 2, alpha=ALPHA, random_state=3)
    phi = _phi_update(TINY, gamma, lam)
    assert full_elbo(TINY, phi, gamma, lam) == pytest.approx(
        lda.elbo(TINY, gamma, lam, alpha=ALPHA, beta=BETA), rel=1e-12)


def test_each_coordinate_update_never_decreases_the_elbo():
    rng = np.random.default_rng(0)
    gamma, lam = lda.init_params(TINY, 2, alpha=ALPHA, random_state=0)
    phi = rng.dirichlet(np.ones(2), size=TINY.nnz)
    current = full_elbo(TINY, phi, gamma, lam)
    for _ in range(5):
        phi = _phi_update(TINY, gamma, lam)
        new = full_elbo(TINY, phi, gamma, lam)
        check_coordinate_step(current, new, "φ")
        current = new
        gamma = _gamma_update(TINY, phi)
        new = full_elbo(TINY, phi, gamma, lam)
        check_coordinate_step(current, new, "γ")
        current = new
        lam = _lambda_update(TINY, phi, TINY.shape[1])
        new = full_elbo(TINY, phi, gamma, lam)
        check_coordinate_step(current, new, "λ")
        current = new
    # each update is the maximiser of its block: a perturbation lowers L
    for _ in range(5):
        other = np.abs(gamma * np.exp(0.1 * rng.normal(size=gamma.shape)))
        assert full_elbo(TINY, phi, other, lam) < current


def test_coordinate_check_fails_on_log_of_the_mean_update():
    gamma, lam = lda.init_params(TINY, 2, alpha=ALPHA, random_state=0)
    phi = _phi_update(TINY, gamma, lam)
    before = full_elbo(TINY, phi, gamma, lam)
    after = full_elbo(TINY, _phi_update_log_mean(TINY, gamma, lam), gamma, lam)
    with pytest.raises(AssertionError, match="decreased"):
        check_coordinate_step(before, after, "φ")


def test_fit_step_is_the_public_e_and_m_step():
    start = lda.init_params(TINY, 2, alpha=ALPHA, random_state=0)
    statistics, objective = lda.e_step(TINY, *start, alpha=ALPHA, beta=BETA)
    phi = _phi_update(TINY, *start)
    np.testing.assert_allclose(statistics.doc_topic_counts, _gamma_update(TINY, phi, 0.0),
                               rtol=1e-12)
    new = lda.m_step(statistics, alpha=ALPHA, beta=BETA)
    fitted = lda.fit(TINY, 2, alpha=ALPHA, beta=BETA, max_iter=1, tol=0.0, init=start,
                     doc_iter=1)
    np.testing.assert_allclose(fitted.topic_word, _lambda_update(TINY, phi, 4), rtol=1e-12)
    np.testing.assert_allclose(fitted.doc_topic, new.doc_topic, rtol=1e-12)
    assert fitted.objectives[0] == pytest.approx(objective, rel=1e-14)


# --------------------------------------------------------------------------------------------
# scikit-learn
# --------------------------------------------------------------------------------------------
def _corpus(seed=0, n_docs=30, n_words=30, n_topics=3):
    rng = np.random.default_rng(seed)
    topic_word = rng.dirichlet(np.full(n_words, 0.1), size=n_topics)
    doc_topic = rng.dirichlet(np.full(n_topics, 0.3), size=n_docs)
    return topics.sample_corpus(doc_topic, topic_word, 60, random_state=rng).astype(float)


def _sklearn(counts, components, alpha, beta, **options):
    """scikit-learn's model with components_ = λ (fitted once, briefly, so that its attributes
    exist, then λ and exp(E log θ) overwritten)."""
    model = LatentDirichletAllocation(n_components=components.shape[0], doc_topic_prior=alpha,
                                      topic_word_prior=beta, max_iter=1, random_state=0,
                                      **options).fit(counts)
    model.components_ = components.copy()
    model.exp_dirichlet_component_ = np.exp(_elog(components))
    return model


TRANSFORM_TOL = 1e-9


def test_document_e_step_equals_sklearn_transform():
    """fold_in with λ fixed = scikit-learn's transform (both from γ = 1, both run to the fixed
    point: mean_change_tol 1e-13) to 1e-9; the ELBO equals sklearn's _approx_bound."""
    counts = _corpus()
    lam = np.random.default_rng(1).gamma(100, 0.01, size=(3, counts.shape[1])) + 0.5
    model = _sklearn(counts, lam, 0.2, 0.3, mean_change_tol=1e-13, max_doc_update_iter=2000)
    reference = model.transform(counts)
    ours = lda.transform(counts, lam, alpha=0.2, max_iter=2000, tol=0.0)
    assert np.abs(ours - reference).max() < TRANSFORM_TOL
    gamma = lda.fold_in(counts, lam, alpha=0.2, max_iter=2000, tol=0.0)
    assert lda.elbo(counts, gamma, lam, alpha=0.2, beta=0.3) == pytest.approx(
        model._approx_bound(counts, gamma, sub_sampling=False), rel=1e-8)


def test_transform_comparison_fails_on_log_of_the_mean():
    counts = _corpus()
    lam = np.random.default_rng(1).gamma(100, 0.01, size=(3, counts.shape[1])) + 0.5
    reference = _sklearn(counts, lam, 0.2, 0.3, mean_change_tol=1e-13,
                         max_doc_update_iter=2000).transform(counts)
    gamma = np.ones((counts.shape[0], 3))
    for _ in range(300):                     # the fixed point of the wrong (log E) update
        phi = _phi_update_log_mean(counts, gamma, lam)
        gamma = _gamma_update(counts, phi, 0.2)
    wrong = gamma / gamma.sum(1, keepdims=True)
    assert np.abs(wrong - reference).max() > 100 * TRANSFORM_TOL


def test_converged_perplexity_is_sklearns():
    """Same corpus, same priors. (1) Our perplexity bound of scikit-learn's fitted λ is its own
    ``perplexity`` (1e-8): the same objective. (2) Started at scikit-learn's solution, our fit
    stays there (0.1 %): the same fixed point. (3) From each one's random starts (3 seeds), the
    best perplexities agree to 2 % (both find local optima; the starts differ)."""
    counts = _corpus(seed=2)
    options = dict(doc_topic_prior=0.2, topic_word_prior=0.1, learning_method="batch",
                   max_iter=60, evaluate_every=0)
    best_theirs, best_mine = np.inf, np.inf
    for seed in range(3):
        sk = LatentDirichletAllocation(3, random_state=seed, **options).fit(counts)
        theirs = sk.perplexity(counts)
        gamma = lda.fold_in(counts, sk.components_, alpha=0.2, max_iter=500, tol=1e-10)
        assert lda.perplexity(counts, gamma, sk.components_, alpha=0.2, beta=0.1) == \
            pytest.approx(theirs, rel=1e-8)
        if seed == 0:
            warm = lda.fit(counts, 3, alpha=0.2, beta=0.1, max_iter=100, tol=1e-9,
                           init=(gamma, sk.components_), doc_iter=5)
            again = lda.fold_in(counts, warm.topic_word, alpha=0.2, max_iter=500, tol=1e-10)
            stayed = lda.perplexity(counts, again, warm.topic_word, alpha=0.2, beta=0.1)
            assert stayed <= theirs * (1 + 1e-9) and stayed > theirs * (1 - 1e-3)
        ours = lda.fit(counts, 3, alpha=0.2, beta=0.1, max_iter=300, tol=1e-8,
                       random_state=seed, doc_iter=5)
        gamma = lda.fold_in(counts, ours.topic_word, alpha=0.2, max_iter=500, tol=1e-10)
        mine = lda.perplexity(counts, gamma, ours.topic_word, alpha=0.2, beta=0.1)
        best_theirs, best_mine = min(best_theirs, theirs), min(best_mine, mine)
    assert abs(best_mine / best_theirs - 1) < 0.02, (best_mine, best_theirs)


# --------------------------------------------------------------------------------------------
# Sparse work, MAP-EM limit, fold-in
# --------------------------------------------------------------------------------------------
def test_never_builds_a_dense_array():
    """D = V = 20000 and K = 50: D·V·K doubles would be 160 GB; nnz = 20000 runs in moments."""
    rng = np.random.default_rng(0)
    n = 20_000
    counts = sparse.csr_array((np.ones(n), (np.arange(n), rng.integers(0, n, n))), shape=(n, n))
    result = lda.fit(counts, 50, max_iter=2, tol=0.0, random_state=0)
    assert result.doc_topic.shape == (n, 50) and np.all(np.diff(result.objectives) >= 0)


def test_dense_and_sparse_input_agree():
    a = lda.fit(TINY, 2, max_iter=5, tol=0.0, random_state=0)
    b = lda.fit(TINY.toarray(), 2, max_iter=5, tol=0.0, random_state=0)
    np.testing.assert_array_equal(a.objectives, b.objectives)


def _map_distance(scale):
    counts = TINY * scale
    alpha, beta = 2.0, 2.0
    em = topics.fit(counts, 2, alpha=alpha, beta=beta, max_iter=2000, tol=1e-13, random_state=0)
    statistics = em.statistics
    start = (alpha + statistics.doc_topic_counts, beta + statistics.word_topic_counts.T)
    vi = lda.fit(counts, 2, alpha=alpha, beta=beta, max_iter=2000, tol=1e-13, init=start)
    mean_pi, mean_theta = lda.mean_params(vi.doc_topic, vi.topic_word)
    return max(np.abs(mean_pi - em.doc_topic).max(), np.abs(mean_theta - em.topic_word).max())


def test_map_em_is_the_limit_of_point_masses():
    distances = [_map_distance(s) for s in (1, 10, 100, 1000)]
    assert np.all(np.diff(distances) < 0) and distances[-1] < 1e-3, distances


def test_fold_in_of_empty_documents_is_the_prior():
    gamma = lda.fold_in(np.zeros((2, 4)), np.ones((3, 4)), alpha=0.3)
    np.testing.assert_array_equal(gamma, np.full((2, 3), 0.3))


def test_dirichlet_expected_log_is_below_log_mean():
    a = np.array([[0.5, 2.0, 3.0]])
    assert np.all(lda.dirichlet_expected_log(a) < np.log(a / a.sum()))
    samples = np.random.default_rng(0).dirichlet(a[0], size=200_000)
    np.testing.assert_allclose(np.log(samples).mean(0), lda.dirichlet_expected_log(a)[0],
                               atol=0.02)


# --------------------------------------------------------------------------------------------
# Variational EM with the hyperparameters fitted (fit_alpha, fit_beta)
# --------------------------------------------------------------------------------------------
def _alpha_terms(alpha, concentration, expected_log=_elog):
    """The terms of L in a symmetric concentration α, written out: Σ_r E_q[log Dir(x_r | α)]
    = R[log Γ(Jα) − J log Γ(α)] + (α − 1) Σ E[log x]."""
    n_rows, size = concentration.shape
    return n_rows * (gammaln(size * alpha) - size * gammaln(alpha)) \
        + (alpha - 1) * expected_log(concentration).sum()


def _log_mean(concentration):
    """Wrong: log E[x] = log(a / Σa) for E[log x]."""
    return np.log(concentration / concentration.sum(axis=1, keepdims=True))


def _reference_maximiser(concentration, expected_log=_elog):
    """arg max of ``_alpha_terms`` by scipy's bounded Brent search in log α (no derivatives)."""
    found = optimize.minimize_scalar(lambda u: -_alpha_terms(np.exp(u), concentration,
                                                             expected_log),
                                     bounds=(np.log(1e-6), np.log(1e6)), method="bounded",
                                     options={"xatol": 1e-10})
    return float(np.exp(found.x))


def _newton_without_k_factor(concentration, start=1.0, steps=50):
    """Wrong: f'(α) with d/dα log Γ(Kα) taken as ψ(Kα) (the chain rule's K dropped), and the
    curvature to match; otherwise Newton in log α like lda.concentration_update."""
    n_rows, size = concentration.shape
    mean, u = _elog(concentration).sum() / n_rows, np.log(start)
    for _ in range(steps):
        a = np.exp(u)
        gradient = digamma(size * a) - size * digamma(a) + mean
        curvature = size * polygamma(1, size * a) - size * polygamma(1, a)
        u = np.clip(u - a * gradient / (a * gradient + a * a * curvature), -13.8, 13.8)
    return float(np.exp(u))


def _newton_wrong_sign(concentration, start=1.0, steps=3):
    """Wrong: Newton in α with the sign flipped, α ← α + f'/f'' (a step towards the minimum
    of the quadratic model), kept inside [1e-6, 1e6]."""
    n_rows, size = concentration.shape
    mean, a = _elog(concentration).sum() / n_rows, start
    for _ in range(steps):
        gradient = size * (digamma(size * a) - digamma(a)) + mean
        curvature = size * (size * polygamma(1, size * a) - polygamma(1, a))
        a = float(np.clip(a + gradient / curvature, 1e-6, 1e6))
    return a


@pytest.fixture(scope="module")
def fitted_priors():
    counts = _corpus(seed=5, n_docs=30, n_words=30, n_topics=3)
    result = lda.fit(counts, 3, alpha=1.0, beta=1.0, fit_alpha=True, fit_beta=True,
                     max_iter=60, tol=1e-7, random_state=0)
    return counts, result


def test_concentration_update_is_the_argmax_of_its_terms(fitted_priors):
    """lda.concentration_update (Newton in log α) = scipy's derivative-free maximiser of the
    written-out α-terms, for γ (the α-update) and λ (the β-update), from starts on both sides."""
    _, result = fitted_priors
    for concentration in (result.doc_topic, result.topic_word):
        reference = _reference_maximiser(concentration)
        for start in (1e-3, 1.0, 100.0):
            assert lda.concentration_update(concentration, start=start) == \
                pytest.approx(reference, rel=1e-5)
    assert lda.concentration_update(np.ones((3, 1)), start=0.7) == 0.7      # J = 1: constant


def test_fitted_alpha_and_beta_maximise_the_elbo(fitted_priors):
    """The α, β fit returns maximise the ELBO at its final γ, λ (the other one fixed), by
    scipy.optimize on lda.elbo itself; the history is the ELBO at each iterate's own α, β."""
    counts, result = fitted_priors
    assert isinstance(result.params, lda.LDAHyperParams)
    assert (result.alpha, result.beta) == (result.params.alpha, result.params.beta)
    assert result.alpha != 1.0 and result.beta != 1.0
    lda.check_concentration_optimum(counts, result.doc_topic, result.topic_word,
                                    alpha=result.alpha, beta=result.beta)
    assert result.objectives[-1] == pytest.approx(
        lda.elbo(counts, result.doc_topic, result.topic_word, alpha=result.alpha,
                 beta=result.beta), rel=1e-12)


@pytest.mark.parametrize("wrong", [_newton_without_k_factor, _newton_wrong_sign],
                         ids=["no-K-factor", "wrong-sign"])
@pytest.mark.parametrize("which", ["alpha", "beta"])
def test_optimum_check_fails_on_a_wrong_update(fitted_priors, wrong, which):
    counts, result = fitted_priors
    rows = result.doc_topic if which == "alpha" else result.topic_word
    priors = {"alpha": result.alpha, "beta": result.beta, which: wrong(rows)}
    assert abs(_reference_maximiser(rows) / priors[which] - 1) > 1e-2       # a real difference
    with pytest.raises(AssertionError, match=f"{which} = .* does not maximise"):
        lda.check_concentration_optimum(counts, result.doc_topic, result.topic_word, **priors)


class _WrongSignModel(lda.LDAModel):
    """The driver's model with the wrong-sign Newton as its α-update."""

    def m_step(self, statistics, params):
        new = super().m_step(statistics, params)
        return new._replace(alpha=_newton_wrong_sign(new.doc_topic, start=params.alpha))


def test_monotone_check_fails_on_a_wrong_alpha_update(fitted_priors):
    """The contract's 'never decreases' (tests/contract_cases/lda.py, lda-fitted-priors) fails
    on the driver run with the wrong-sign α-update."""
    counts, _ = fitted_priors
    counts = sparse.csr_array(counts)
    start = lda.LDAHyperParams(*lda.init_params(counts, 3, alpha=1.0, random_state=0), 1.0, 1.0)
    model = _WrongSignModel(counts, 3, alpha=1.0, beta=1.0, doc_iter=5, fit_alpha=True)
    with pytest.raises(AssertionError, match="fell"):
        check_monotone(em.run(model, start, max_iter=10, tol=0.0), 1e-10)


def _sampled(alpha, seed=0, n_docs=60, n_words=40, n_topics=4):
    rng = np.random.default_rng(seed)
    topic_word = rng.dirichlet(np.full(n_words, 0.1), size=n_topics)
    doc_topic = rng.dirichlet(np.full(n_topics, alpha), size=n_docs)
    return topics.sample_corpus(doc_topic, topic_word, 60, random_state=rng)


def check_recovers_alpha(fitted, true):
    """Fitted α's in the order of the sampling α's, each within a factor 2 of it."""
    fitted, true = np.asarray(fitted), np.asarray(true)
    order = np.argsort(true)
    if not np.all(np.diff(fitted[order]) > 0):
        raise AssertionError(f"fitted α {fitted} not in the order of the true α {true}")
    ratio = fitted / true
    if not np.all((ratio > 0.5) & (ratio < 2.0)):
        raise AssertionError(f"fitted α {fitted} not within a factor 2 of the true α {true}")


TRUE_ALPHAS = (0.1, 1.0)


@pytest.fixture(scope="module")
def sampled_fits():
    return {(alpha, fit_alpha): lda.fit(_sampled(alpha), 4, alpha=0.5, beta=0.1,
                                        fit_alpha=fit_alpha, max_iter=40, tol=1e-5,
                                        random_state=0)
            for alpha in TRUE_ALPHAS for fit_alpha in (True, False)}


def test_fitted_alpha_recovers_the_sampling_alpha(sampled_fits):
    """Corpora drawn from LDA with α = 0.1 and α = 1 (topics.sample_corpus, K = 4, 60
    documents of 60 tokens): the fitted α is below 1 for the sparse one, about 1 for the other."""
    check_recovers_alpha([sampled_fits[a, True].alpha for a in TRUE_ALPHAS], TRUE_ALPHAS)


def test_recovery_check_fails_when_alpha_is_not_fitted(sampled_fits):
    """Wrong: the option not wired through (α stays at its start 0.5 for both corpora)."""
    with pytest.raises(AssertionError, match="not in the order"):
        check_recovers_alpha([sampled_fits[a, False].alpha for a in TRUE_ALPHAS], TRUE_ALPHAS)


@pytest.mark.parametrize("wrong, message", [
    (lambda gamma: _reference_maximiser(gamma, _log_mean), "factor 2"),
    (_newton_wrong_sign, "not in the order")], ids=["log-mean", "wrong-sign"])
def test_recovery_check_fails_on_a_wrong_update(sampled_fits, wrong, message):
    """Wrong α-updates applied at the same final γ: with log E[π] for E[log π] (α = 0.21 for
    the α = 0.1 corpus), and the wrong-sign Newton step (α = 1e6 and 0.62)."""
    values = [wrong(sampled_fits[a, True].doc_topic) for a in TRUE_ALPHAS]
    with pytest.raises(AssertionError, match=message):
        check_recovers_alpha(values, TRUE_ALPHAS)


def test_prior_burn_in_keeps_the_start_values():
    hist = []
    lda.fit(TINY, 2, alpha=0.5, beta=0.7, fit_alpha=True, fit_beta=True, prior_burn_in=3,
            max_iter=6, tol=0.0, random_state=0,
            callback=lambda t, params, objective: hist.append((params.alpha, params.beta)))
    assert hist[:4] == [(0.5, 0.7)] * 4 and all(h != (0.5, 0.7) for h in hist[4:])
