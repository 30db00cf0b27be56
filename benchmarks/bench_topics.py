"""Time and memory of emlib.topics.fit against a straightforward dense EM, side by side.

The dense implementation is the textbook one: the (D, V, K) array of responsibilities
γ_dvk = π_dk θ_kv / (ΠΘ)_dv (in place, so one such array), then its sums. Both run on the same
synthetic corpus (``emlib.topics.sample_corpus``; D = 2,000 documents, V = 5,000 words,
K = 20 topics) at about 1 %, 2 % and 4 % non-zeros, from the same start, with one BLAS thread.

* emlib ms/it: the difference between a 22- and a 2-iteration ``fit`` (tol = 0) over 20,
  which cancels the set-up; median of the repeats.
* dense ms/it: one dense iteration, timed on its own; median of the repeats (three chained
  iterations, whose result is also the agreement check).
* sklearn LDA ms/it: scikit-learn's ``LatentDirichletAllocation(learning_method="batch")``
  per iteration (difference of a 6- and a 1-iteration fit, over 5) on the same counts — a
  different algorithm (variational Bayes for LDA), for context only.
* memory: tracemalloc. "per it" is the peak allocated during one EM iteration above what was
  allocated when it began (emlib: measured between consecutive callbacks; dense: around one
  iteration). emlib's set-up (index arrays, the reused (nnz,) ratio buffer and the (block, K)
  gather buffers, allocated once per fit) is reported separately.
* max rel diff: largest difference between emlib and dense after three iterations (Π, Θ and the
  log-likelihoods), relative to the largest entry of each.

    python benchmarks/bench_topics.py            # the README cases
    python benchmarks/bench_topics.py --quick    # small, for a smoke test
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
import warnings

import numpy as np
from scipy import sparse
from scipy.special import xlogy
from sklearn.decomposition import LatentDirichletAllocation
from threadpoolctl import threadpool_limits

from emlib import topics
from emlib.topics import sample_corpus

FULL = {"n_docs": 2000, "n_words": 5000, "n_topics": 20}
QUICK = {"n_docs": 100, "n_words": 300, "n_topics": 5}
DENSITIES = (0.01, 0.02, 0.04)


def make_corpus(n_docs, n_words, n_topics, density, seed=0):
    """A corpus drawn from random topics, with document lengths tuned so that about
    ``density`` of the (d, v) pairs occur; float64 CSR, as fit uses it."""
    rng = np.random.default_rng(seed)
    doc_topic = rng.dirichlet(np.full(n_topics, 0.5), size=n_docs)
    topic_word = rng.dirichlet(np.full(n_words, 0.5), size=n_topics)
    target = density * n_docs * n_words
    length = max(1, int(density * n_words))
    for _ in range(6):                     # distinct words grow sub-linearly with length
        counts = sample_corpus(doc_topic, topic_word, length, random_state=seed)
        length = max(1, int(round(length * target / counts.nnz)))
    counts = sample_corpus(doc_topic, topic_word, length, random_state=seed)
    return sparse.csr_array(counts, dtype=np.float64)


def dense_iteration(counts, doc_topic, topic_word):
    """One textbook EM iteration with the full (D, V, K) responsibilities."""
    resp = doc_topic[:, None, :] * topic_word.T[None, :, :]        # π_dk θ_kv, (D, V, K)
    marginal = resp.sum(axis=2)                                     # (ΠΘ)_dv, (D, V)
    log_likelihood = float(xlogy(counts, marginal).sum())
    # (ΠΘ)_dv = 0 only for a word the corpus never uses (θ_kv = 0 after one iteration); its
    # n_dv γ_dvk are 0 whatever γ is.
    resp /= np.where(marginal > 0, marginal, 1.0)[:, :, None]      # γ_dvk
    resp *= counts[:, :, None]                                      # n_dv γ_dvk
    doc_topic = resp.sum(axis=1)
    doc_topic /= doc_topic.sum(axis=1, keepdims=True)
    topic_word = resp.sum(axis=0).T
    topic_word /= topic_word.sum(axis=1, keepdims=True)
    return doc_topic, topic_word, log_likelihood


def dense_log_likelihood(counts, doc_topic, topic_word):
    return float(xlogy(counts, doc_topic @ topic_word).sum())


def emlib_per_iteration(counts, n_topics, start, short=2, long_=22):
    t0 = time.perf_counter()
    topics.fit(counts, n_topics, init=start, max_iter=short, tol=0)
    t1 = time.perf_counter()
    topics.fit(counts, n_topics, init=start, max_iter=long_, tol=0)
    t2 = time.perf_counter()
    return ((t2 - t1) - (t1 - t0)) / (long_ - short)


def dense_chain(dense_counts, start, n_iter=3):
    """n_iter dense iterations from ``start``: their times, Π, Θ and log-likelihoods."""
    doc_topic, topic_word = start
    times, log_likelihoods = [], []
    for _ in range(n_iter):
        t0 = time.perf_counter()
        doc_topic, topic_word, value = dense_iteration(dense_counts, doc_topic, topic_word)
        times.append(time.perf_counter() - t0)
        log_likelihoods.append(value)
    log_likelihoods.append(dense_log_likelihood(dense_counts, doc_topic, topic_word))
    return times, doc_topic, topic_word, np.array(log_likelihoods)


def lda_per_iteration(counts, n_topics, short=1, long_=6):
    def run(n_iter):
        model = LatentDirichletAllocation(n_components=n_topics, learning_method="batch",
                                          max_iter=n_iter, evaluate_every=-1, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(counts)

    t0 = time.perf_counter()
    run(short)
    t1 = time.perf_counter()
    run(long_)
    t2 = time.perf_counter()
    return ((t2 - t1) - (t1 - t0)) / (long_ - short)


def emlib_memory(counts, n_topics, start, n_iter=4):
    """(set-up bytes, largest per-iteration bytes) of fit, from tracemalloc at each callback."""
    marks = []

    def callback(t, params, objective):
        current, peak = tracemalloc.get_traced_memory()
        marks.append((current, peak))
        tracemalloc.reset_peak()

    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        topics.fit(counts, n_topics, init=start, max_iter=n_iter, tol=0, callback=callback)
    finally:
        tracemalloc.stop()
    setup = marks[0][1] - before
    per_iteration = max(marks[t][1] - marks[t - 1][0] for t in range(1, len(marks)))
    return setup, per_iteration


def dense_memory(dense_counts, start):
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        result = dense_iteration(dense_counts, *start)
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    del result
    return peak


def relative_difference(ours, theirs):
    pairs = [(ours.doc_topic, theirs[1]), (ours.topic_word, theirs[2]),
             (ours.log_likelihoods, theirs[3])]
    return max(np.max(np.abs(a - b)) / np.max(np.abs(b)) for a, b in pairs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small corpus, few repeats")
    parser.add_argument("--repeats", type=int, default=5, help="emlib timing repeats")
    parser.add_argument("--dense-repeats", type=int, default=2,
                        help="dense chains of three iterations")
    parser.add_argument("--no-lda", action="store_true", help="skip scikit-learn's LDA")
    args = parser.parse_args()
    shape = QUICK if args.quick else FULL
    repeats = 2 if args.quick else args.repeats
    dense_repeats = 1 if args.quick else args.dense_repeats
    n_docs, n_words, n_topics = shape["n_docs"], shape["n_words"], shape["n_topics"]

    print(f"D = {n_docs}, V = {n_words}, K = {n_topics}; one thread; times in ms per iteration, "
          "memory in MB")
    print(f"{'density':>7} {'nnz':>8}  {'emlib':>7} {'dense':>9} {'speed-up':>8}  "
          f"{'LDA':>8}  {'emlib set-up':>12} {'emlib/it':>8} {'dense/it':>9} {'mem ratio':>9}  "
          f"{'max rel diff':>12}")
    with threadpool_limits(limits=1):
        for density in DENSITIES:
            counts = make_corpus(n_docs, n_words, n_topics, density)
            dense_counts = counts.toarray()
            start = topics.init_params(counts, n_topics, random_state=1)
            emlib_per_iteration(counts, n_topics, start, 1, 2)        # warm-up
            ours, dense_times = [], []
            chain = None
            for repeat in range(max(repeats, dense_repeats)):   # alternate to share any drift
                if repeat < repeats:
                    ours.append(emlib_per_iteration(counts, n_topics, start))
                if repeat < dense_repeats:
                    chain = dense_chain(dense_counts, start)
                    dense_times.extend(chain[0])
            t_ours, t_dense = np.median(ours), np.median(dense_times)
            t_lda = np.nan if args.no_lda else lda_per_iteration(counts, n_topics)
            setup, per_iteration = emlib_memory(counts, n_topics, start)
            dense_bytes = dense_memory(dense_counts, start)
            fitted = topics.fit(counts, n_topics, init=start, max_iter=3, tol=0)
            diff = relative_difference(fitted, chain)
            print(f"{density:>7.0%} {counts.nnz:>8}  {1e3 * t_ours:>7.2f} {1e3 * t_dense:>9.1f} "
                  f"{t_dense / t_ours:>7.0f}x  {1e3 * t_lda:>8.1f}  {setup / 1e6:>12.2f} "
                  f"{per_iteration / 1e6:>8.2f} {dense_bytes / 1e6:>9.1f} "
                  f"{dense_bytes / per_iteration:>8.0f}x  {diff:>12.1e}", flush=True)


if __name__ == "__main__":
    main()
