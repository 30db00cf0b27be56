"""Time per iteration of emlib.lda.fit against scikit-learn's batch LDA, side by side.

Both run mean-field variational inference for LDA with the same priors (α = doc_topic_prior,
β = topic_word_prior) and the same work per iteration: ``doc_iter`` = 5 document sweeps
(φ, γ at fixed λ) then the λ-update. scikit-learn is told to do exactly that
(``max_doc_update_iter=5``, ``mean_change_tol=0``: every document 5 sweeps, no early exit),
``learning_method="batch"``, ``evaluate_every=0``. One BLAS thread (threadpoolctl), one process.

* ms/iter: emlib, the median interval between consecutive callbacks of a (1 + m)-iteration fit
  (one M-step and one E-step each); scikit-learn, which has no callback, the difference between
  a (1 + m)- and a 1-iteration fit over m (cancels its set-up). The two run alternately,
  ``--repeats`` times; the ratio emlib / scikit-learn is reported as min / median / max over the
  repeats (< 1: emlib faster). On a shared machine single repeats are noisy.
* floor ms/iter: the least data movement of an iteration — gathering the two K-vectors of every
  non-zero (np.take of nnz rows of Θᵀ and of Π, in cache-sized blocks) once per sweep, timed on
  this machine; a sweep that touches every non-zero's K responsibilities cannot be faster.
* perplexity: after the (1 + m)-iteration fits, both scored by scikit-learn's own ``perplexity``
  (its transform and bound; for emlib, components_ set to emlib's λ), and their relative
  difference. The starts differ (both random), so this says "the same objective reaches the same
  level", not "the same iterate".

Corpora: BBC News (``emlib.datasets.bbc_news``, all 2,225 articles, words in >= 5 articles) and
a synthetic corpus (``emlib.topics.sample_corpus``) of about 10⁶ non-zeros.

    python benchmarks/bench_lda.py            # the README table
    python benchmarks/bench_lda.py --quick    # small, for a smoke test
"""

from __future__ import annotations

import argparse
import copy
import time
import warnings

import numpy as np
from scipy import sparse
from sklearn.decomposition import LatentDirichletAllocation
from threadpoolctl import threadpool_limits

from emlib import datasets, lda, topics

ALPHA, BETA, DOC_ITER = 0.1, 0.05, 5


def synthetic_corpus(n_docs, n_words, n_topics, length, seed=0):
    rng = np.random.default_rng(seed)
    doc_topic = rng.dirichlet(np.full(n_topics, 0.3), size=n_docs)
    topic_word = rng.dirichlet(np.full(n_words, 0.05), size=n_topics)
    counts = topics.sample_corpus(doc_topic, topic_word, length, random_state=seed)
    return sparse.csr_array(counts, dtype=np.float64)


def bbc_corpus():
    texts, _ = datasets.bbc_news()
    counts, _ = datasets.count_matrix(texts, min_df=5, max_df=0.5)
    return sparse.csr_array(counts, dtype=np.float64)


def _sklearn(n_topics, n_iter):
    return LatentDirichletAllocation(n_topics, doc_topic_prior=ALPHA, topic_word_prior=BETA,
                                     learning_method="batch", max_iter=n_iter,
                                     max_doc_update_iter=DOC_ITER, mean_change_tol=0.0,
                                     evaluate_every=0, random_state=0)


def _time(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def floor_per_iteration(counts, n_topics, repeats=5, block=8192):
    """DOC_ITER × the time to gather the rows of Θᵀ (V, K) and Π (D, K) at every non-zero, in
    cache-sized blocks into reused buffers (as emlib.topics' engine does)."""
    rng = np.random.default_rng(0)
    words_topic = rng.random((counts.shape[1], n_topics))
    doc_topic = rng.random((counts.shape[0], n_topics))
    rows = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))
    cols = counts.indices.astype(np.intp)
    out_w = np.empty((block, n_topics))
    out_d = np.empty((block, n_topics))

    def gather():
        for start in range(0, cols.size, block):
            stop = min(start + block, cols.size)
            np.take(words_topic, cols[start:stop], axis=0, out=out_w[:stop - start], mode="clip")
            np.take(doc_topic, rows[start:stop], axis=0, out=out_d[:stop - start], mode="clip")
    return DOC_ITER * min(_time(gather)[0] for _ in range(repeats))


def compare(counts, n_topics, m, repeats):
    ours, theirs = [], []
    for _ in range(repeats):                                   # alternate the two
        stamps = []
        fitted = lda.fit(counts, n_topics, alpha=ALPHA, beta=BETA, max_iter=1 + m, tol=0.0,
                         random_state=0, doc_iter=DOC_ITER,
                         callback=lambda t, params, objective: stamps.append(time.perf_counter()))
        # callback t runs after the E-step of θ^(t): consecutive stamps are one full iteration
        # (M-step + E-step) apart; the first interval also holds no set-up
        ours.append(float(np.median(np.diff(stamps))))
        s1, _ = _time(lambda: _sklearn(n_topics, 1).fit(counts))
        sn, reference = _time(lambda: _sklearn(n_topics, 1 + m).fit(counts))
        theirs.append((sn - s1) / m)
    ours, theirs = np.array(ours), np.array(theirs)
    ratios = ours / theirs
    scorer = copy.deepcopy(reference)
    scorer.components_ = np.array(fitted.topic_word)
    scorer.exp_dirichlet_component_ = np.exp(lda.dirichlet_expected_log(fitted.topic_word))
    perplexities = (scorer.perplexity(counts), reference.perplexity(counts))
    return ours, theirs, ratios, perplexities


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one small synthetic corpus")
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args()
    if args.quick:
        cases = [("synthetic-small", lambda: synthetic_corpus(300, 500, 5, 60), 5, 2)]
        repeats = args.repeats or 2
    else:
        cases = [("BBC News", bbc_corpus, 20, 6),
                 ("synthetic", lambda: synthetic_corpus(20_000, 10_000, 20, 60), 20, 4)]
        repeats = args.repeats or 3
    print(f"{'corpus':>16} {'D':>7} {'V':>7} {'nnz':>9} {'K':>3} {'emlib ms':>9} "
          f"{'sklearn ms':>10} {'ratio min':>9} {'median':>7} {'max':>7} {'floor ms':>8} "
          f"{'perp emlib':>10} {'perp sklearn':>12} {'rel diff':>8}")
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, make, n_topics, m in cases:
            counts = make()
            ours, theirs, ratios, (p_ours, p_theirs) = compare(counts, n_topics, m, repeats)
            floor = floor_per_iteration(counts, n_topics)
            print(f"{name:>16} {counts.shape[0]:>7} {counts.shape[1]:>7} {counts.nnz:>9} "
                  f"{n_topics:>3} {1e3 * np.median(ours):9.1f} {1e3 * np.median(theirs):10.1f} "
                  f"{ratios.min():9.3f} {np.median(ratios):7.3f} {ratios.max():7.3f} "
                  f"{1e3 * floor:8.1f} {p_ours:10.1f} {p_theirs:12.1f} "
                  f"{abs(p_ours / p_theirs - 1):8.4f}", flush=True)


if __name__ == "__main__":
    main()
