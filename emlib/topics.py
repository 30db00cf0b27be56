r"""EM for a topic model: K topics shared by D documents, on a sparse document–word count matrix.

The model (the topic-model lecture, ``notebooks/04_topic_models.ipynb``; it is probabilistic latent
semantic analysis, T. Hofmann, "Probabilistic latent semantic indexing", *SIGIR* 1999). Topic k
is a distribution :math:`\theta_k` over a vocabulary of V words, document d has topic weights
:math:`\pi_d`, and each word of document d is drawn by first drawing its topic, then the word:

.. math::
    c_{di} \sim \mathrm{Categorical}(\pi_d), \qquad
    w_{di} \mid c_{di} = k \sim \mathrm{Categorical}(\theta_k).

The parameters are Π (D×K, ``doc_topic``) and Θ (K×V, ``topic_word``), rows summing to 1; the
assignments C are latent. With :math:`n_{dv}` the number of times word v occurs in document d
(``counts``), summing each :math:`c_{di}` out gives the log-likelihood

.. math::
    \ell(\Pi, \Theta) = \sum_{d, v} n_{dv} \log \sum_k \pi_{dk} \theta_{kv}
                      = \sum_{d, v} n_{dv} \log (\Pi\Theta)_{dv} .

**E-step.** The posterior of the topic of an occurrence of word v in document d,

.. math::
    \tilde\gamma_{dvk} = \frac{\pi_{dk}\theta_{kv}}{(\Pi\Theta)_{dv}} .

**M-step** (Lagrange multipliers for :math:`\sum_k \pi_{dk} = 1` and :math:`\sum_v \theta_{kv} = 1`;
MAP with symmetric Dirichlet priors Dir(α) on every π_d and Dir(β) on every θ_k adds the
pseudo-counts α − 1 and β − 1):

.. math::
    \pi_{dk} \propto \sum_v n_{dv}\tilde\gamma_{dvk} + \alpha - 1, \qquad
    \theta_{kv} \propto \sum_d n_{dv}\tilde\gamma_{dvk} + \beta - 1 .

**Without the D×V×K array.** Write :math:`R_{dv} = n_{dv} / (\Pi\Theta)_{dv}`, a sparse matrix
with the non-zeros of the counts (``e_step`` returns it). Then

.. math::
    \sum_v n_{dv}\tilde\gamma_{dvk} = \pi_{dk} \sum_v R_{dv}\theta_{kv}
                                    = \pi_{dk}(R\Theta^\top)_{dk},
    \qquad
    \sum_d n_{dv}\tilde\gamma_{dvk} = \theta_{kv} \sum_d \pi_{dk} R_{dv}
                                    = \theta_{kv}(\Pi^\top R)_{kv},

so R carries everything the M-step needs from γ̃, and the M-step is the multiplicative update
Π ← Π ⊙ (RΘᵀ) + α − 1, Θ ← Θ ⊙ (ΠᵀR) + β − 1, rows normalised (``m_step``). (ΠΘ)_dv is needed
only where n_dv > 0 — a word that does not occur contributes 0 · log(…) = 0 — so an iteration
costs O(nnz · K) time and O(nnz + (D + V) · K) memory, nnz being the number of non-zero counts.
``fit`` evaluates (ΠΘ)_dv at the non-zeros block by block (some thousands at a time, so that the
gathered rows of Π and Θᵀ stay in cache, in buffers reused by every block and iteration), then
does the two products with scipy.sparse; it never builds a D×V×K array, nor a dense D×V one from
sparse input.

**Hard EM** (``fit(..., hard=True)``) replaces γ̃ by the indicator of its arg-max topic: every
occurrence of word v in document d gets c_dv = argmax_k π_dk θ_kv, and the M-step counts words:
π_dk ∝ Σ_v n_dv [c_dv = k] + α − 1, θ_kv ∝ Σ_d n_dv [c_dv = k] + β − 1. It never decreases the
complete-data log-likelihood Σ_dv n_dv max_k log(π_dk θ_kv) (plus the log prior for MAP).

**Why alpha, beta >= 1.** The M-step is the *mode* of a Dirichlet posterior with parameters
(expected count + α). For α >= 1 that mode is (count + α − 1)/(total + K(α − 1)), non-negative.
For α < 1 the pseudo-count α − 1 is negative: an unused topic would get a negative "probability",
and the true mode lies on the boundary of the simplex (the density is unbounded there), so the
formula is not the maximiser and MAP-EM is not defined by it. Use α = β = 1 (flat priors) for
maximum likelihood; α, β < 1 belong to variational or sampling methods for LDA, not to this EM.

Counts are non-negative and finite; they need not be integers (the formulas hold for weights).
Empty documents are allowed: they get the prior's mode, the uniform π_d = 1/K. A word that occurs
nowhere gets θ_kv = (β − 1)/(…), i.e. 0 under maximum likelihood.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, NamedTuple

import numpy as np
from scipy import sparse
from scipy.optimize import linear_sum_assignment
from scipy.special import gammaln, xlogy

from ._validation import (as_float_array, check_allocation, check_bool, check_doc_topic, check_int,
                          check_real_dtype, check_random_state, check_real, check_topic_word,
                          check_vocabulary)
from .em import EMResult, SufficientStatistics, check_em_arguments, run

__all__ = [
    "TopicModelParams",
    "TopicStatistics",
    "TopicModel",
    "TopicModelResult",
    "init_params",
    "e_step",
    "hard_e_step",
    "m_step",
    "log_likelihood",
    "log_posterior",
    "fit",
    "fold_in",
    "perplexity",
    "split_tokens",
    "top_words",
    "match_topics",
    "sample_corpus",
]

# Non-zeros per block ≈ this many bytes / (2 gathered rows · K · 8 bytes): the two (block, K)
# buffers (2 MB) stay in the L2/L3 caches, and a few dozen blocks keep Python's per-block
# overhead small.
_BLOCK_BYTES = 2**21
_MIN_BLOCK = 256
_FLOAT_MAX = float(np.finfo(np.float64).max)
# The most tokens Σ n_dv whose log-likelihood Σ n_dv log (ΠΘ)_dv is always a float: every
# |log (ΠΘ)_dv| is at most −log(5e-324) < 745.
_MAX_TOKENS = _FLOAT_MAX / 746.0
# Counts above this are not all whole numbers in float64 (2**53 + 1 is not a float).
_MAX_EXACT_COUNT = 2.0**53


# --------------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------------
def _position(matrix: sparse.csr_array, index: int) -> tuple[int, int]:
    """(d, v) of the index-th stored entry of a CSR matrix."""
    row = int(np.searchsorted(matrix.indptr, index, side="right") - 1)
    return row, int(matrix.indices[index])


def _check_counts(counts, name: str = "counts", *, bound_total: bool = True) -> sparse.csr_array:
    """``counts`` as a canonical float64 CSR array (sorted indices, no duplicates or stored
    zeros), non-negative and finite. Sparse input in canonical float64 CSR form is not copied
    (its arrays are shared, never written); a dense array is converted, which is O(D·V) only
    because the caller gave O(D·V)."""
    if sparse.issparse(counts):
        if counts.ndim != 2:
            raise ValueError(f"{name} must be 2-D (documents × words), got shape {counts.shape}")
        check_real_dtype(counts, name)
        matrix = sparse.csr_array(counts)            # shares the arrays of a CSR input
        if (matrix.dtype != np.float64 or not matrix.has_canonical_format):
            matrix = sparse.csr_array(matrix, dtype=np.float64, copy=True)
            matrix.sum_duplicates()                  # also sorts the indices
        if min(matrix.shape) < 1:
            raise ValueError(f"{name} is empty (shape {matrix.shape}); it needs at least one "
                             "document and one word")
    else:
        dense = as_float_array(counts, name, ndim=2)
        matrix = sparse.csr_array(dense)
    data = matrix.data
    if not np.all(np.isfinite(data)):
        d, v = _position(matrix, int(np.flatnonzero(~np.isfinite(data))[0]))
        raise ValueError(f"{name} must be finite, but {name}[{d}, {v}] = {matrix[d, v]}")
    if np.any(data < 0):
        d, v = _position(matrix, int(np.flatnonzero(data < 0)[0]))
        raise ValueError(f"{name} must be non-negative, but "
                         f"{name}[{d}, {v}] = {matrix[d, v]}")
    if np.any(data == 0):                            # stored zeros: drop them, on a copy
        matrix = matrix.copy()
        matrix.eliminate_zeros()
    if bound_total:
        with np.errstate(over="ignore"):
            total = float(np.sum(matrix.data))
        if not total <= _MAX_TOKENS:
            raise ValueError(
                f"{name} add up to {total:.3g} tokens, more than the {_MAX_TOKENS:.3g} emlib's "
                "topic model can take: each token adds up to 745 nats (−log of the smallest "
                "float) to the log-likelihood, which must stay below float64's 1.8e308. Divide "
                "the counts by a constant (maximum-likelihood Π and Θ do not change)")
    return matrix


def _check_concentration(value, name: str) -> float:
    value = check_real(value, name)
    if value < 1.0:
        raise ValueError(
            f"{name} must be >= 1 (got {value}): the M-step adds the pseudo-count {name} − 1, "
            f"which would be negative, and the Dirichlet mode it computes does not exist below 1. "
            f"Use {name}=1 for maximum likelihood, {name}>1 for a smoothing prior.")
    if value > _MAX_EXACT_COUNT:
        raise ValueError(
            f"{name} must be at most 2**53 = {_MAX_EXACT_COUNT:.6g} (got {value:.6g}): a larger "
            f"pseudo-count swamps every expected count in float64 (E + {name} − 1 rounds to "
            f"{name} − 1), so the estimate would not depend on the data, and the log prior "
            "overflows")
    return value


def _check_n_topics(n_topics, shape) -> int:
    """K >= 1, small enough that Π (D, K), Θ (K, V) and the E-step's statistics and buffers fit
    in memory (about four copies of the (D + V)·K parameters)."""
    n_topics = check_int(n_topics, "n_topics", minimum=1)
    check_allocation(4 * (shape[0] + shape[1]) * n_topics, "n_topics",
                     f"{n_topics} topics for {shape[0]} documents and {shape[1]} words")
    return n_topics


_check_doc_topic = check_doc_topic
_check_topic_word = check_topic_word


def _check_model(counts, doc_topic, topic_word):
    """counts (CSR), Π (D, K) and Θ (K, V) with matching shapes."""
    counts = _check_counts(counts)
    n_docs, n_words = counts.shape
    topic_word = _check_topic_word(topic_word, n_words=n_words)
    doc_topic = _check_doc_topic(doc_topic, n_docs=n_docs, n_topics=topic_word.shape[0])
    return counts, doc_topic, topic_word


# --------------------------------------------------------------------------------------------
# The blocked E-step and the M-step
# --------------------------------------------------------------------------------------------
class _ZeroProbability(Exception):
    """An observed word has (ΠΘ)_dv = 0: log-likelihood -inf, EM undefined."""

    def __init__(self, doc: int, word: int):
        super().__init__(doc, word)
        self.doc, self.word = doc, word


class _TinyProbability(_ZeroProbability):
    """An observed word has (ΠΘ)_dv > 0 so small that R_dv = n_dv / (ΠΘ)_dv overflows float64."""

    def __init__(self, doc: int, word: int, probability: float, count: float):
        super().__init__(doc, word)
        self.probability, self.count = probability, count


class _Corpus:
    """The counts laid out for blocked evaluation at the non-zeros, with reusable buffers.

    Set-up (once per fit, O(nnz)): the row d and column v of every non-zero as index arrays, and
    the (D, V) ratio matrix R, whose values are rewritten in place by every E-step and whose
    index arrays are the counts'. The non-zeros are processed in blocks of ``self.block``, with
    two (block, K) gather buffers reused by every block and iteration. Per iteration only the new
    (D + V)·K parameters and block-sized temporaries are allocated.
    """

    def __init__(self, counts: sparse.csr_array, n_topics: int):
        self.shape = counts.shape
        self.data = counts.data
        self.rows = np.repeat(np.arange(counts.shape[0], dtype=np.intp), np.diff(counts.indptr))
        self.cols = counts.indices.astype(np.intp, copy=False)
        self.total = float(self.data.sum())
        self.ratio = np.empty_like(self.data)      # R_dv = n_dv / (ΠΘ)_dv at the non-zeros
        self.ratio_matrix = sparse.csr_array((self.ratio, counts.indices, counts.indptr),
                                             shape=counts.shape, copy=False)
        self.block = min(max(_MIN_BLOCK, _BLOCK_BYTES // (16 * n_topics)), max(1, self.data.size))
        self.blocks = [(start, min(start + self.block, self.data.size))
                       for start in range(0, self.data.size, self.block)]
        self._words = np.empty((self.block, n_topics))     # Θᵀ[v] of the block's non-zeros
        self._docs = np.empty((self.block, n_topics))      # Π[d] of the block's non-zeros
        self._logs = np.empty(self.block)
        self._ones = np.ones(n_topics)

    def _probabilities(self, start, stop, doc_topic, words_topic):
        """Gather the block's rows of Π and Θᵀ and write (ΠΘ)_dv into ratio[start:stop]; the
        returned ``docs`` then holds the products π_dk θ_kv of each non-zero (block, K)."""
        size = stop - start
        words, docs = self._words[:size], self._docs[:size]
        # mode="clip" skips numpy's bounds check; the indices are valid by construction.
        np.take(words_topic, self.cols[start:stop], axis=0, out=words, mode="clip")
        np.take(doc_topic, self.rows[start:stop], axis=0, out=docs, mode="clip")
        probability = self.ratio[start:stop]
        # (ΠΘ)_dv = Σ_k π_dk θ_kv: the products, then the sum over k as one BLAS matrix-vector
        # product with ones (about 1.4x faster than np.vecdot, which loops row by row)
        np.multiply(docs, words, out=docs)
        np.matmul(docs, self._ones, out=probability)
        return words, docs, probability

    def _raise_zero(self):
        """Raise _ZeroProbability for the first non-zero whose (ΠΘ)_dv, in self.ratio, is 0."""
        first = int(np.flatnonzero(~(self.ratio > 0))[0])
        raise _ZeroProbability(int(self.rows[first]), int(self.cols[first]))

    def e_step(self, doc_topic, words_topic, *, ratio: bool = True) -> float:
        """Fill ``self.ratio`` with R = n / (ΠΘ) at the non-zeros and return Σ n log(ΠΘ).

        doc_topic (D, K) and words_topic = Θᵀ (V, K) must be C-contiguous. Raises
        _ZeroProbability if an observed word has (ΠΘ)_dv = 0 (then the log-likelihood is -inf),
        and, when the ratio is wanted, _TinyProbability if some R_dv overflows. (The total is
        finite: _check_counts bounds Σ n_dv, and each |log (ΠΘ)_dv| is at most 745.)
        """
        total = 0.0
        with np.errstate(divide="ignore", over="ignore"):   # log 0 and overflow: detected below
            for start, stop in self.blocks:
                _, _, probability = self._probabilities(start, stop, doc_topic, words_topic)
                counts = self.data[start:stop]
                total += float(counts @ np.log(probability, out=self._logs[:stop - start]))
                if total == -np.inf:
                    self._raise_zero()
                np.divide(counts, probability, out=probability)     # R_dv
        if ratio and self.ratio.size and not self.ratio.max() < np.inf:
            self._raise_tiny()
        return total

    def ratios(self, doc_topic, words_topic) -> None:
        """Fill ``self.ratio`` with R = n / (ΠΘ) at the non-zeros and skip Σ n log(ΠΘ): for a
        caller that needs R only and whose (ΠΘ)_dv are bounded away from 0 (``emlib.lda``'s
        floored exponents, (AB)_dv >= 1e-200), so that R is finite without the checks."""
        for start, stop in self.blocks:
            _, _, probability = self._probabilities(start, stop, doc_topic, words_topic)
            np.divide(self.data[start:stop], probability, out=probability)

    def _raise_tiny(self):
        """Raise _TinyProbability for the first non-zero whose R_dv overflowed."""
        first = int(np.flatnonzero(np.isinf(self.ratio))[0])
        count = float(self.data[first])
        raise _TinyProbability(int(self.rows[first]), int(self.cols[first]),
                               count / _FLOAT_MAX, count)

    def hard_e_step(self, doc_topic, words_topic, assignments) -> tuple[float, float]:
        """c_dv = argmax_k π_dk θ_kv into ``assignments``; return (Σ n log max_k π_dk θ_kv,
        Σ n log (ΠΘ)_dv)."""
        complete = marginal = 0.0
        for start, stop in self.blocks:
            _, docs, probability = self._probabilities(start, stop, doc_topic, words_topic)
            if not probability.min() > 0:
                self._raise_zero()
            counts = self.data[start:stop]
            logs = self._logs[:stop - start]
            marginal += float(counts @ np.log(probability, out=logs))
            best = docs.argmax(axis=1)
            assignments[start:stop] = best
            joint = docs[np.arange(stop - start), best]
            complete += float(counts @ np.log(joint, out=logs))
        return complete, marginal

    def doc_sums(self, words_topic) -> np.ndarray:
        """(D, K) array RΘᵀ from the current ``self.ratio``: one sparse-dense product, which
        reads R row by row and adds R_dv θ_v· into row d, O(nnz · K), no temporaries."""
        return self.ratio_matrix @ words_topic

    def word_sums(self, doc_topic) -> np.ndarray:
        """(V, K) array (ΠᵀR)ᵀ = RᵀΠ from the current ``self.ratio``, likewise."""
        return self.ratio_matrix.T @ doc_topic


def _doc_topic_from_counts(expected, alpha):
    """π_dk = (E_dk + α − 1) / Σ_j (E_dj + α − 1), in place, from the expected counts
    E_dk = Σ_v n_dv γ̃_dvk (D, K). An empty document (a zero row, α = 1) gets the flat prior's
    mean 1/K."""
    if alpha != 1.0:
        expected += alpha - 1.0
    totals = expected.sum(axis=1, keepdims=True)
    empty = totals[:, 0] <= 0
    if np.any(empty):
        expected[empty] = 1.0
        totals[empty] = expected.shape[1]
    expected /= totals
    return expected


def _words_topic_from_counts(expected, words_topic, beta):
    """θ_kv = (E_vk + β − 1) / Σ_u (E_uk + β − 1) on the (V, K) layout, in place in E. A topic
    with no expected words (possible only for β = 1) keeps its θ_k from ``words_topic``: the
    expected complete-data log-likelihood does not depend on it."""
    if beta != 1.0:
        expected += beta - 1.0
    totals = expected.sum(axis=0)
    empty = totals <= 0
    if np.any(empty):
        expected[:, empty] = words_topic[:, empty]
        totals[empty] = words_topic[:, empty].sum(axis=0)
    expected /= totals
    return expected


def _hard_counts(corpus: _Corpus, assignments, n_topics):
    """(D, K) and (V, K) word counts per topic from the arg-max assignments."""
    n_docs, n_words = corpus.shape
    doc_counts = np.bincount(corpus.rows * n_topics + assignments, weights=corpus.data,
                             minlength=n_docs * n_topics).reshape(n_docs, n_topics)
    word_counts = np.bincount(corpus.cols * n_topics + assignments, weights=corpus.data,
                              minlength=n_words * n_topics).reshape(n_words, n_topics)
    return doc_counts, word_counts


def _log_dirichlet(x, concentration):
    """Σ over rows of log Dir(x_row | concentration · 1): normaliser plus (a − 1) Σ log x."""
    n_rows, size = x.shape
    normaliser = gammaln(size * concentration) - size * gammaln(concentration)
    return float(n_rows * normaliser + xlogy(concentration - 1.0, x).sum())


def _log_prior(doc_topic, topic_word, alpha, beta):
    return _log_dirichlet(doc_topic, alpha) + _log_dirichlet(topic_word, beta)


# --------------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------------
class TopicModelParams(NamedTuple):
    """θ = (Π, Θ) of the topic model.

    doc_topic : (D, K) Π, rows summing to 1.
    topic_word : (K, V) Θ, rows summing to 1.
    """

    doc_topic: np.ndarray
    topic_word: np.ndarray


@dataclass(frozen=True, eq=False)
class TopicStatistics(SufficientStatistics):
    """The expected sufficient statistics of the topic model under θ^(t), and its log-likelihood.

    doc_topic_counts : (D, K) E_dk = Σ_v n_dv γ̃_dvk = π_dk (RΘᵀ)_dk, the words of document d
        credited to topic k (for hard EM: the counts of the arg-max assignments).
    word_topic_counts : (V, K) E_vk = Σ_d n_dv γ̃_dvk = θ_kv (ΠᵀR)_kv, the occurrences of word v
        credited to topic k, stored word-major (the transpose of Θ's layout) because the sparse
        E-step gathers rows of it; None when the topics are held fixed (``fold_in``).
    log_likelihood : Σ n_dv log (ΠΘ)_dv at θ^(t).

    All three are sums over the observed tokens, so statistics of two disjoint parts of a corpus
    add up to those of the whole.
    """

    doc_topic_counts: np.ndarray
    word_topic_counts: np.ndarray | None
    log_likelihood: float


class TopicModel:
    """The topic model bound to its counts, for ``emlib.em.run``: the sparse E-step and the
    M-step with Dirichlet pseudo-counts.

    Parameters: counts, a canonical CSR array (``_check_counts``); n_topics; alpha, beta >= 1;
    hard : arg-max assignments instead of responsibilities (hard EM); fit_topics : False keeps Θ
    fixed and updates only Π (``fold_in``). ``objective_name`` says what ``e_step`` returns and EM
    never decreases: the log-likelihood, the log-posterior (a prior on a fitted part has
    concentration > 1), or hard EM's complete-data version of either. ``log_likelihoods`` records
    log p(W | θ) at every E-step, in order.
    """

    def __init__(self, counts, n_topics, *, alpha=1.0, beta=1.0, hard=False, fit_topics=True):
        self.corpus = _Corpus(counts, n_topics)
        self.n_topics, self.alpha, self.beta = n_topics, alpha, beta
        self.hard, self.fit_topics = hard, fit_topics
        self.n_items = self.corpus.total
        self.use_prior = alpha != 1.0 or (fit_topics and beta != 1.0)
        kind = "log_posterior" if self.use_prior else "log_likelihood"
        self.objective_name = f"complete_{kind}" if hard else kind
        self.assignments = np.empty(counts.nnz, dtype=np.intp) if hard else None
        self.log_likelihoods = []

    def log_prior(self, params) -> float:
        prior = _log_dirichlet(params.doc_topic, self.alpha)
        if self.fit_topics:
            prior += _log_dirichlet(params.topic_word, self.beta)
        return prior

    def e_step(self, params):
        """The expected counts at θ = (Π, Θ) and the objective; raises _ZeroProbability when an
        observed word has probability 0."""
        doc_topic = params.doc_topic
        words_topic = np.ascontiguousarray(params.topic_word.T)         # Θᵀ (V, K): rows gathered
        corpus = self.corpus
        if self.hard:
            objective, marginal = corpus.hard_e_step(doc_topic, words_topic, self.assignments)
            doc_counts, word_counts = _hard_counts(corpus, self.assignments, self.n_topics)
        else:
            objective = marginal = corpus.e_step(doc_topic, words_topic)      # fills R
            doc_counts = corpus.doc_sums(words_topic)                  # π_dk (RΘᵀ)_dk
            doc_counts *= doc_topic
            word_counts = None
            if self.fit_topics:
                word_counts = corpus.word_sums(doc_topic)              # θ_kv (ΠᵀR)_kv
                word_counts *= words_topic
        if not self.fit_topics:
            word_counts = None
        self.log_likelihoods.append(marginal)
        if self.use_prior:
            objective += self.log_prior(params)
        return TopicStatistics(doc_counts, word_counts, marginal), objective

    def m_step(self, statistics, params):
        """Π (and Θ) from the expected counts plus the pseudo-counts α − 1 (β − 1), each row
        normalised; read-only arrays, so a callback may keep them."""
        doc_topic = _doc_topic_from_counts(statistics.doc_topic_counts.copy(), self.alpha)
        if self.fit_topics:
            words_topic = _words_topic_from_counts(statistics.word_topic_counts.copy(),
                                                   np.ascontiguousarray(params.topic_word.T),
                                                   self.beta)
            topic_word = words_topic.T                                  # a view, no copy
        else:
            topic_word = params.topic_word
        return _read_only(TopicModelParams(doc_topic, topic_word))


def _read_only(params: TopicModelParams) -> TopicModelParams:
    for array in params:
        array.setflags(write=False)
    return params


@dataclass(frozen=True, eq=False)
class TopicModelResult(EMResult):
    """What ``fit`` returns: an ``emlib.em.EMResult`` whose params are ``TopicModelParams``, plus

    log_likelihoods : (n_iter + 1,) log p(W | Π^(t), Θ^(t)) = Σ n_dv log (ΠΘ)_dv for t = 0 (the
        start) to n_iter (the final parameters).

    ``objectives`` holds what this EM never decreases (``objective_name``): the log-likelihood
    itself for maximum likelihood (alpha = beta = 1); ``log_posterior`` for MAP; for hard EM the
    complete-data log-likelihood Σ n_dv max_k log(π_dk θ_kv) (plus the log prior for MAP).
    ``doc_topic`` (D, K) and ``topic_word`` (K, V) are the final Π and Θ.
    """

    log_likelihoods: np.ndarray

    @property
    def doc_topic(self) -> np.ndarray:
        return self.params.doc_topic

    @property
    def topic_word(self) -> np.ndarray:
        return self.params.topic_word


def init_params(counts, n_topics: int, *, random_state=None) -> tuple[np.ndarray, np.ndarray]:
    """A random start (Π⁰, Θ⁰): every π_d ~ Dir(1_K) and every θ_k ~ Dir(1_V), uniform on the
    simplex. All entries are positive (almost surely), so every observed word has probability
    > 0.

    Parameters: counts (D, V), only its shape is used; n_topics K >= 1; random_state (None, a
    seed or a Generator). Returns doc_topic (D, K) and topic_word (K, V).
    """
    counts = _check_counts(counts)
    n_topics = _check_n_topics(n_topics, counts.shape)
    rng = check_random_state(random_state)
    n_docs, n_words = counts.shape
    doc_topic = rng.dirichlet(np.ones(n_topics), size=n_docs)
    topic_word = rng.dirichlet(np.ones(n_words), size=n_topics)
    return doc_topic, topic_word


def _zero_probability_error(zero: _ZeroProbability, what: str) -> ValueError:
    if isinstance(zero, _TinyProbability):
        return ValueError(
            f"{what} give word {zero.word} of document {zero.doc} a probability below "
            f"{zero.probability:.3g}, so small beside its count (counts[{zero.doc}, {zero.word}] "
            f"= {zero.count:.6g}) that the E-step's ratio n_dv / Σ_k π_dk θ_kv overflows "
            "float64; give observed words more probability (e.g. smooth the topics), or divide "
            "the counts by a constant")
    return ValueError(
        f"{what} give probability 0 to word {zero.word} of document {zero.doc}, which occurs "
        f"there (counts[{zero.doc}, {zero.word}] > 0): Σ_k π_dk θ_kv must be > 0 for every "
        "observed word, or the log-likelihood is -inf")


def _e_step_or_raise(corpus, doc_topic, words_topic, what="doc_topic and topic_word"):
    try:
        return corpus.e_step(doc_topic, words_topic)
    except _ZeroProbability as zero:
        raise _zero_probability_error(zero, what) from None


def e_step(counts, doc_topic, topic_word) -> tuple[sparse.csr_array, float]:
    r"""E-step: the ratio matrix R and the log-likelihood.

    Parameters
    ----------
    counts : (D, V) word counts n_dv (scipy.sparse or dense).
    doc_topic : (D, K) Π, rows summing to 1.
    topic_word : (K, V) Θ, rows summing to 1.

    Returns
    -------
    ratio : (D, V) scipy.sparse CSR array, R_dv = n_dv / (ΠΘ)_dv at the non-zeros of counts.
    log_likelihood : Σ_dv n_dv log (ΠΘ)_dv.

    R is the E-step in compressed form. The responsibilities are
    γ̃_dvk = π_dk θ_kv / (ΠΘ)_dv, and the M-step needs only their count-weighted sums
    Σ_v n_dv γ̃_dvk = π_dk (RΘᵀ)_dk and Σ_d n_dv γ̃_dvk = θ_kv (ΠᵀR)_kv, so for one observed
    (d, v) the K values n_dv γ̃_dvk are R_dv · π_dk θ_kv. Storing R (nnz numbers) instead of γ̃
    (nnz·K, or D·V·K dense) loses nothing. Raises ValueError if an observed word has
    (ΠΘ)_dv = 0.
    """
    counts, doc_topic, topic_word = _check_model(counts, doc_topic, topic_word)
    corpus = _Corpus(counts, doc_topic.shape[1])
    total = _e_step_or_raise(corpus, doc_topic, np.ascontiguousarray(topic_word.T))
    ratio = sparse.csr_array((corpus.ratio, counts.indices.copy(), counts.indptr.copy()),
                             shape=counts.shape)
    return ratio, total


def m_step(ratio, doc_topic, topic_word, *, alpha: float = 1.0,
           beta: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    r"""M-step from the ratio matrix R of ``e_step``: the multiplicative update.

    .. math::
        \pi_{dk} \propto \pi_{dk} (R\Theta^\top)_{dk} + \alpha - 1
                 = \sum_v n_{dv}\tilde\gamma_{dvk} + \alpha - 1, \qquad
        \theta_{kv} \propto \theta_{kv} (\Pi^\top R)_{kv} + \beta - 1
                 = \sum_d n_{dv}\tilde\gamma_{dvk} + \beta - 1,

    each row normalised — the Lagrange-multiplier solution of the lecture, with the Dirichlet
    pseudo-counts α − 1, β − 1 for MAP (alpha = beta = 1: maximum likelihood).

    Parameters
    ----------
    ratio : (D, V) sparse (or dense) R from ``e_step``, non-negative.
    doc_topic : (D, K) Π used in that E-step; topic_word : (K, V) Θ used in it.
    alpha, beta : Dirichlet concentrations, >= 1 (see the module docstring for why not below).

    Returns
    -------
    doc_topic (D, K) and topic_word (K, V), new arrays with rows summing to 1. An empty document
    gets π_d = 1/K; a topic with no expected words (only possible for beta = 1) keeps its θ_k.
    """
    ratio = _check_counts(ratio, "ratio", bound_total=False)
    n_docs, n_words = ratio.shape
    topic_word = _check_topic_word(topic_word, n_words=n_words)
    doc_topic = _check_doc_topic(doc_topic, n_docs=n_docs, n_topics=topic_word.shape[0])
    alpha = _check_concentration(alpha, "alpha")
    beta = _check_concentration(beta, "beta")
    words_topic = np.ascontiguousarray(topic_word.T)
    with np.errstate(over="ignore", invalid="ignore"):       # detected below
        expected_doc = doc_topic * (ratio @ words_topic)      # Σ_v n_dv γ̃_dvk = π_dk (RΘᵀ)_dk
        expected_words = words_topic * (ratio.T @ doc_topic)  # Σ_d n_dv γ̃_dvk = θ_kv (ΠᵀR)_kv
    if not (np.all(np.isfinite(expected_doc)) and np.all(np.isfinite(expected_words))):
        raise ValueError("the expected counts π_dk (RΘᵀ)_dk and θ_kv (ΠᵀR)_kv overflow float64: "
                         "ratio is too large (its values are n_dv / (ΠΘ)_dv, see e_step); divide "
                         "the counts by a constant")
    new_doc = _doc_topic_from_counts(expected_doc, alpha)
    new_words = _words_topic_from_counts(expected_words, words_topic, beta)
    return new_doc, np.ascontiguousarray(new_words.T)


def hard_e_step(counts, doc_topic, topic_word) -> tuple[np.ndarray, np.ndarray, float]:
    r"""Hard E-step: every occurrence of word v in document d goes wholly to its arg-max topic,
    :math:`c_{dv} = \arg\max_k \pi_{dk}\theta_{kv}`, and the words are counted per topic.

    Parameters: counts (D, V) sparse or dense; doc_topic (D, K) Π; topic_word (K, V) Θ.

    Returns
    -------
    doc_topic_counts : (D, K) Σ_v n_dv [c_dv = k].
    topic_word_counts : (K, V) Σ_d n_dv [c_dv = k].
    complete_log_likelihood : Σ_dv n_dv log max_k π_dk θ_kv, the objective hard EM never
        decreases (``fit(..., hard=True)`` without priors).

    These are exactly the statistics ``fit(..., hard=True)`` hands to its M-step (the counts
    plus α − 1, β − 1, normalised). Raises ValueError if an observed word has (ΠΘ)_dv = 0.
    """
    counts, doc_topic, topic_word = _check_model(counts, doc_topic, topic_word)
    model = TopicModel(counts, doc_topic.shape[1], hard=True)
    try:
        statistics, complete = model.e_step(TopicModelParams(doc_topic, topic_word))
    except _ZeroProbability as zero:
        raise _zero_probability_error(zero, "the parameters") from None
    return statistics.doc_topic_counts, statistics.word_topic_counts.T.copy(), float(complete)


def log_likelihood(counts, doc_topic, topic_word) -> float:
    """Σ_dv n_dv log Σ_k π_dk θ_kv (a total over documents, not a mean).

    Parameters: counts (D, V) sparse or dense; doc_topic (D, K); topic_word (K, V). Returns a
    float: -inf if some observed word has probability 0 (possible under maximum likelihood for a
    word the model never saw), 0.0 for an all-zero corpus.
    """
    counts, doc_topic, topic_word = _check_model(counts, doc_topic, topic_word)
    return _log_likelihood(counts, doc_topic, topic_word)


def _log_likelihood(counts, doc_topic, topic_word) -> float:
    corpus = _Corpus(counts, doc_topic.shape[1])
    try:
        return corpus.e_step(doc_topic, np.ascontiguousarray(topic_word.T), ratio=False)
    except _ZeroProbability:
        return -np.inf


def log_posterior(counts, doc_topic, topic_word, *, alpha: float = 1.0,
                  beta: float = 1.0) -> float:
    r"""The MAP objective: log p(W | Π, Θ) + Σ_d log Dir(π_d | α) + Σ_k log Dir(θ_k | β).

    .. math::
        \log \mathrm{Dir}(x \mid a\mathbf 1_n) = \log\Gamma(na) - n\log\Gamma(a)
                                                + (a - 1)\sum_i \log x_i .

    This is the log posterior up to the constant log p(W); MAP-EM (``fit`` with alpha or
    beta > 1) never decreases it. With alpha = beta = 1 it is the log-likelihood plus the
    constant D log Γ(K) + K log Γ(V). Parameters as in ``log_likelihood``; alpha, beta >= 1.
    """
    counts, doc_topic, topic_word = _check_model(counts, doc_topic, topic_word)
    alpha = _check_concentration(alpha, "alpha")
    beta = _check_concentration(beta, "beta")
    return (_log_likelihood(counts, doc_topic, topic_word)
            + _log_prior(doc_topic, topic_word, alpha, beta))


def _check_init(init, n_docs, n_words, n_topics):
    if isinstance(init, (str, bytes)) or not isinstance(init, (tuple, list)) or len(init) != 2:
        raise TypeError("init must be None or a pair (doc_topic, topic_word), got "
                        f"{type(init).__name__}")
    doc_topic = _check_doc_topic(init[0], n_docs, n_topics, name="init[0] (doc_topic)")
    topic_word = _check_topic_word(init[1], n_words, n_topics, name="init[1] (topic_word)")
    return doc_topic, topic_word


def fit(counts, n_topics: int, *, alpha: float = 1.0, beta: float = 1.0, max_iter: int = 100,
        tol: float = 1e-6, random_state=None, init=None,
        callback: Callable[[int, TopicModelParams, float], None] | None = None,
        hard: bool = False) -> TopicModelResult:
    """Fit a K-topic model to a document–word count matrix by EM (or hard EM).

    Parameters
    ----------
    counts : (D, V) word counts n_dv, a scipy.sparse matrix/array (any format; CSR is used as is)
        or a dense array. Non-negative, finite, not all zero. Empty documents are allowed.
    n_topics : K >= 1.
    alpha, beta : symmetric Dirichlet concentrations of the priors on π_d and θ_k, >= 1.
        alpha = beta = 1 (default) is maximum likelihood; > 1 gives MAP-EM with pseudo-counts
        alpha − 1 and beta − 1. Below 1 is rejected (see the module docstring).
    max_iter : most EM iterations (M-steps); 0 only evaluates the start.
    tol : stop when the objective rises by less than ``tol`` per word token (tol · Σ n_dv).
        tol = 0 runs exactly ``max_iter`` iterations.
    random_state : seed or numpy Generator for the random start (``init_params``).
    init : None for a random start, or a pair (doc_topic (D, K), topic_word (K, V)) of row
        distributions that give every observed word probability > 0.
    callback : called as ``callback(t, params, objective)`` for t = 0 … n_iter with θ^(t) as
        ``TopicModelParams`` (read-only Π^(t) (D, K) and Θ^(t) (K, V), never modified afterwards,
        so a callback may keep them) and its objective (see ``TopicModelResult``).
    hard : False for EM; True for hard EM (each observed (d, v) wholly to its arg-max topic).

    Returns
    -------
    TopicModelResult with doc_topic, topic_word, log_likelihoods and objectives (length
    n_iter + 1), n_iter and converged. Runs on the driver ``emlib.em.run`` with ``TopicModel``.

    Cost per iteration: O(nnz · K) time and O(nnz + (D + V) · K) memory (see the module
    docstring); the result agrees with alternating ``e_step`` and ``m_step`` to rounding.
    """
    counts = _check_counts(counts)
    n_docs, n_words = counts.shape
    n_topics = _check_n_topics(n_topics, counts.shape)
    alpha = _check_concentration(alpha, "alpha")
    beta = _check_concentration(beta, "beta")
    max_iter, tol = check_em_arguments(max_iter, tol, callback)
    hard = check_bool(hard, "hard")
    if counts.nnz == 0:
        raise ValueError("counts is all zero: there are no words to fit topics to")
    if init is None:
        doc_topic, topic_word = init_params(counts, n_topics, random_state=random_state)
    else:
        doc_topic, topic_word = _check_init(init, n_docs, n_words, n_topics)
    start = _read_only(TopicModelParams(doc_topic.copy(), topic_word.copy()))
    model = TopicModel(counts, n_topics, alpha=alpha, beta=beta, hard=hard)
    result = _run_or_explain(model, start, max_iter, tol, callback)
    final = TopicModelParams(np.array(result.params.doc_topic),
                             np.ascontiguousarray(result.params.topic_word))
    return replace(result, params=final).extend(
        TopicModelResult, log_likelihoods=np.array(model.log_likelihoods))


def _run_or_explain(model, start, max_iter, tol, callback):
    """em.run, turning a word of probability 0 into an error that says at which iterate."""
    try:
        return run(model, start, max_iter=max_iter, tol=tol, callback=callback)
    except _ZeroProbability as zero:
        t = len(model.log_likelihoods)
        raise _zero_probability_error(zero, "init" if t == 0 else
                                      f"the parameters of iteration {t}") from None


# --------------------------------------------------------------------------------------------
# Held-out documents
# --------------------------------------------------------------------------------------------
def fold_in(counts, topic_word, *, alpha: float = 1.0, max_iter: int = 100,
            tol: float = 1e-6) -> np.ndarray:
    r"""Topic proportions Π of new documents with the topics Θ fixed: EM over Π only.

    The E-step is ``fit``'s; the M-step updates only π_d,
    π_dk ∝ π_dk (RΘᵀ)_dk + α − 1, starting from the uniform π_d = 1/K (``TopicModel`` with
    ``fit_topics=False`` on the driver ``emlib.em.run``; the objective is the log-likelihood, or
    with alpha > 1 the log-posterior of Π). Each document is a
    separate concave problem (the log-likelihood is concave in π_d), so the start does not matter
    and EM converges to its maximum.

    Parameters
    ----------
    counts : (D, V) word counts of the new documents, sparse or dense (an all-zero matrix is
        allowed: every document then gets 1/K).
    topic_word : (K, V) fixed Θ, e.g. ``fit(...).topic_word``.
    alpha : Dirichlet concentration of the prior on π_d, >= 1 (1: maximum likelihood).
    max_iter : most EM iterations (M-steps); tol : stop when the objective changes by less than
        tol per token.

    Returns
    -------
    doc_topic : (D, K), rows summing to 1.

    A word with θ_kv = 0 in every topic has probability 0 whatever π_d is; it says nothing about
    π_d and is left out of the fit (it still makes ``log_likelihood`` -inf, and ``perplexity``
    inf, for any document that contains it).
    """
    counts = _check_counts(counts)
    n_docs, n_words = counts.shape
    topic_word = _check_topic_word(topic_word, n_words=n_words)
    alpha = _check_concentration(alpha, "alpha")
    max_iter, tol = check_em_arguments(max_iter, tol, None)
    n_topics = topic_word.shape[0]
    seen = topic_word.sum(axis=0) > 0
    keep = seen[counts.indices]
    if not np.all(keep):                            # drop the words no topic can produce
        rows = np.repeat(np.arange(n_docs), np.diff(counts.indptr))
        indptr = np.concatenate(([0], np.cumsum(np.bincount(rows[keep], minlength=n_docs))))
        counts = sparse.csr_array((counts.data[keep], counts.indices[keep], indptr),
                                  shape=counts.shape)
    doc_topic = np.full((n_docs, n_topics), 1.0 / n_topics)
    if counts.nnz == 0:
        return doc_topic
    model = TopicModel(counts, n_topics, alpha=alpha, fit_topics=False)
    start = _read_only(TopicModelParams(doc_topic, np.array(topic_word)))
    result = _run_or_explain(model, start, max_iter, tol, None)
    return np.array(result.params.doc_topic)


def perplexity(counts, doc_topic, topic_word) -> float:
    """exp(−log-likelihood / number of tokens) = exp(−Σ n_dv log (ΠΘ)_dv / Σ n_dv).

    The geometric mean of 1 / p(word) over the tokens: a model that spreads probability
    uniformly over V words has perplexity V; lower is better. inf when some observed word has
    probability 0. Parameters as in ``log_likelihood``; counts must not be all zero.
    """
    counts, doc_topic, topic_word = _check_model(counts, doc_topic, topic_word)
    total = float(counts.data.sum())
    if total <= 0:
        raise ValueError("counts is all zero: perplexity is a mean over tokens and needs some")
    return float(np.exp(-_log_likelihood(counts, doc_topic, topic_word) / total))


def split_tokens(counts, fraction: float = 0.5, *,
                 random_state=None) -> tuple[sparse.csr_array, sparse.csr_array]:
    """Split every document's tokens at random into two parts, for document completion.

    Each of the n_dv tokens of word v in document d goes to the first part with probability
    ``fraction``, independently: the first part's count is Binomial(n_dv, fraction), the second
    gets the rest. Fold a held-out document in on one part (``fold_in``) and score the other
    (``perplexity``) — the words used to estimate π_d are never the ones scored.

    Parameters: counts (D, V) of non-negative integers; fraction in [0, 1]; random_state.
    Returns two (D, V) CSR float arrays summing to counts.
    """
    counts = _check_counts(counts)
    fraction = check_real(fraction, "fraction", minimum=0.0)
    if fraction > 1.0:
        raise ValueError(f"fraction must be at most 1, got {fraction}")
    if np.any(counts.data != np.round(counts.data)):
        d, v = _position(counts, int(np.flatnonzero(counts.data != np.round(counts.data))[0]))
        raise ValueError("counts must be whole numbers of tokens to split them, but "
                         f"counts[{d}, {v}] = {counts[d, v]}")
    if counts.nnz and counts.data.max() > _MAX_EXACT_COUNT:
        d, v = _position(counts, int(np.argmax(counts.data)))
        raise ValueError(f"counts[{d}, {v}] = {counts[d, v]:.6g} is too many tokens to split one "
                         f"by one: above 2**53 = {_MAX_EXACT_COUNT:.6g} float64 does not hold "
                         "every whole number, so the two parts could not add up to counts "
                         "exactly")
    rng = check_random_state(random_state)
    first = rng.binomial(counts.data.astype(np.int64), fraction).astype(np.float64)
    parts = []
    for data in (first, counts.data - first):
        part = sparse.csr_array((data, counts.indices.copy(), counts.indptr.copy()),
                                shape=counts.shape)
        part.eliminate_zeros()
        parts.append(part)
    return parts[0], parts[1]


# --------------------------------------------------------------------------------------------
# Reading the topics
# --------------------------------------------------------------------------------------------
def top_words(topic_word, vocabulary, n_words: int = 10) -> list[list[str]]:
    """The ``n_words`` most probable words of every topic, most probable first.

    Parameters: topic_word (K, V) with rows summing to 1; vocabulary, V words (e.g. the
    ``vocabulary`` of ``emlib.datasets.count_matrix``); n_words between 1 and V.
    Returns K lists of words (ties broken by vocabulary order).
    """
    topic_word = _check_topic_word(topic_word)
    vocabulary = check_vocabulary(vocabulary, topic_word.shape[1])
    n_words = check_int(n_words, "n_words", minimum=1, maximum=topic_word.shape[1],
                        maximum_reason=" (the vocabulary size)")
    order = np.argsort(-topic_word, axis=1, kind="stable")[:, :n_words]
    return [[str(vocabulary[v]) for v in row] for row in order]


def match_topics(topic_word, reference) -> tuple[np.ndarray, np.ndarray]:
    """Pair estimated topics with reference topics, minimising the total variation distance.

    Topics are only identified up to a permutation: EM's topic 3 may be the reference's
    topic 0. With the (K, K) cost C_ij = ½ Σ_v |θ̂_iv − θ_jv| (total variation, in [0, 1]),
    ``scipy.optimize.linear_sum_assignment`` finds the permutation with the smallest total cost
    (the Hungarian algorithm; H. W. Kuhn, *Naval Research Logistics Quarterly* 2, 83–97, 1955).

    Parameters: topic_word (K, V) estimated; reference (K, V), e.g. the Θ a corpus was drawn
    from. Returns ``order`` (K,) such that ``topic_word[order[j]]`` is matched with
    ``reference[j]``, and ``distances`` (K,), the total variation of each matched pair.
    """
    topic_word = _check_topic_word(topic_word)
    reference = _check_topic_word(reference, name="reference")
    if reference.shape != topic_word.shape:
        raise ValueError(f"reference has shape {reference.shape} but topic_word has "
                         f"{topic_word.shape}; they must match")
    cost = np.array([0.5 * np.abs(row - reference).sum(axis=1) for row in topic_word])
    rows, cols = linear_sum_assignment(cost)
    order = np.empty(len(rows), dtype=np.intp)
    order[cols] = rows
    return order, cost[order, np.arange(len(cols))]


# --------------------------------------------------------------------------------------------
# Sampling a corpus from known topics
# --------------------------------------------------------------------------------------------
def _check_doc_lengths(doc_lengths, n_docs: int) -> np.ndarray:
    lengths = np.full(n_docs, doc_lengths) if np.ndim(doc_lengths) == 0 else doc_lengths
    lengths = as_float_array(lengths, "doc_lengths", ndim=1)
    if lengths.shape != (n_docs,):
        raise ValueError(f"doc_lengths has {lengths.size} entries but doc_topic has {n_docs} "
                         "rows (documents); give one length per document, or one for all")
    if np.any(lengths < 0) or np.any(lengths != np.round(lengths)):
        bad = int(np.flatnonzero((lengths < 0) | (lengths != np.round(lengths)))[0])
        raise ValueError("doc_lengths must be non-negative whole numbers of words, but "
                         f"doc_lengths[{bad}] = {lengths[bad]}")
    # Every token is drawn and stored (its document, word and topic: 3 int64), so the total
    # says what memory the corpus needs; it also keeps every length within int64.
    with np.errstate(over="ignore"):
        total = float(lengths.sum())
    check_allocation(3 * total, "doc_lengths", f"a corpus of {total:.3g} tokens")
    return lengths.astype(np.int64)


def sample_corpus(doc_topic, topic_word, doc_lengths, random_state=None, *,
                        return_topic_counts: bool = False):
    """Draw a corpus from the topic model with known Π and Θ.

    For each document d and each of its n_d words i: the topic c_di ~ Categorical(π_d), then
    the word w_di ~ Categorical(θ_{c_di}). Drawn in bulk: the topic counts of document d are
    Multinomial(n_d, π_d), and the words of all tokens with topic k are drawn from θ_k at once
    (the tokens are exchangeable, so this is the same distribution).

    Parameters
    ----------
    doc_topic : (D, K) Π, rows summing to 1.
    topic_word : (K, V) Θ, rows summing to 1.
    doc_lengths : number of words n_d of each document: an int for all, or (D,) ints >= 0.
    random_state : None, an int seed or a numpy Generator; the same seed gives the same corpus.
    return_topic_counts : also return the complete-data counts (what EM never sees).

    Returns
    -------
    counts : (D, V) scipy.sparse CSR array of int64, n_dv.
    With ``return_topic_counts``, also doc_topic_counts (D, K), the number of words of document
    d drawn from topic k, and topic_word_counts (K, V), the number of times topic k produced
    word v — the sufficient statistics of the complete data (W, C).
    """
    topic_word = _check_topic_word(topic_word)
    n_topics, n_words = topic_word.shape
    doc_topic = _check_doc_topic(doc_topic, n_topics=n_topics)
    n_docs = doc_topic.shape[0]
    lengths = _check_doc_lengths(doc_lengths, n_docs)
    return_topic_counts = check_bool(return_topic_counts, "return_topic_counts")
    rng = check_random_state(random_state)
    # Rows sum to 1 within 1e-8; the samplers want it to rounding.
    doc_topic = doc_topic / doc_topic.sum(axis=1, keepdims=True)
    topic_word = topic_word / topic_word.sum(axis=1, keepdims=True)
    doc_topic_counts = rng.multinomial(lengths, doc_topic)                  # (D, K)
    docs, words, topics = [], [], []
    for k in range(n_topics):
        tokens = doc_topic_counts[:, k]
        docs.append(np.repeat(np.arange(n_docs), tokens))
        words.append(rng.choice(n_words, size=int(tokens.sum()), p=topic_word[k]))
        topics.append(np.full(int(tokens.sum()), k))
    docs, words, topics = (np.concatenate(parts) for parts in (docs, words, topics))
    counts = sparse.coo_array((np.ones(docs.size, dtype=np.int64), (docs, words)),
                              shape=(n_docs, n_words)).tocsr()
    counts.sum_duplicates()
    if not return_topic_counts:
        return counts
    topic_word_counts = np.bincount(topics * n_words + words,
                                    minlength=n_topics * n_words).reshape(n_topics, n_words)
    return counts, doc_topic_counts, topic_word_counts
