"""Tests for emlib.plotting.topics with the Agg backend: what is drawn, labels, input checks."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from emlib.plotting.topics import plot_doc_topics, plot_topic_words  # noqa: E402

TOPIC_WORD = np.array([[0.1, 0.5, 0.05, 0.35], [0.25, 0.25, 0.4, 0.1]])
VOCABULARY = ["ant", "bee", "cat", "dog"]
DOC_TOPIC = np.array([[0.8, 0.2], [0.3, 0.7], [0.5, 0.5]])


@pytest.fixture
def ax():
    figure, axes = plt.subplots()
    yield axes
    plt.close(figure)


def test_plot_topic_words_draws_the_top_words_largest_on_top(ax):
    assert plot_topic_words(TOPIC_WORD, VOCABULARY, topic=0, n_words=3, ax=ax) is ax
    bars = ax.patches
    assert len(bars) == 3
    widths = [bar.get_width() for bar in bars]
    heights = [bar.get_y() + bar.get_height() / 2 for bar in bars]
    assert widths == [0.5, 0.35, 0.1]
    assert heights[0] > heights[1] > heights[2]                  # most probable at the top
    labels = {tick.get_text() for tick in ax.get_yticklabels()}
    assert labels == {"bee", "dog", "ant"}
    assert "topic 0" in ax.get_title() and "95.0%" in ax.get_title()
    assert ax.get_xlabel()


def test_plot_topic_words_other_topic_and_default_axes():
    plt.figure()
    try:
        ax = plot_topic_words(TOPIC_WORD, np.array(VOCABULARY), topic=1, n_words=1)
        assert ax is plt.gca()
        assert [bar.get_width() for bar in ax.patches] == [0.4]
        assert [t.get_text() for t in ax.get_yticklabels()] == ["cat"]
    finally:
        plt.close("all")


def test_plot_doc_topics(ax):
    assert plot_doc_topics(DOC_TOPIC, doc=1, ax=ax, topic_labels=["bee dog", "cat ant"]) is ax
    assert [bar.get_height() for bar in ax.patches] == [0.3, 0.7]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["bee dog", "cat ant"]
    assert ax.get_ylim() == (0.0, 1.0)
    assert "document 1" in ax.get_title()
    plot_doc_topics(DOC_TOPIC, ax=ax, title="mine")
    assert ax.get_title() == "mine"


@pytest.mark.parametrize("call, error, message", [
    (lambda ax: plot_topic_words(TOPIC_WORD, VOCABULARY, topic=2, ax=ax), ValueError,
     r"topic must be at most 1 \(there are 2 topics"),
    (lambda ax: plot_topic_words(TOPIC_WORD, VOCABULARY, topic=-1, ax=ax), ValueError, "topic"),
    (lambda ax: plot_topic_words(TOPIC_WORD, VOCABULARY, n_words=5, ax=ax), ValueError,
     "n_words must be at most 4"),
    (lambda ax: plot_topic_words(TOPIC_WORD, VOCABULARY[:3], ax=ax), ValueError, "vocabulary"),
    (lambda ax: plot_topic_words(TOPIC_WORD * 2, VOCABULARY, ax=ax), ValueError, "sum to 1"),
    (lambda ax: plot_topic_words(TOPIC_WORD, VOCABULARY, n_words=2, ax="ax"), TypeError,
     "ax must be"),
    (lambda ax: plot_doc_topics(DOC_TOPIC, doc=3, ax=ax), ValueError, "doc must be at most 2"),
    (lambda ax: plot_doc_topics(DOC_TOPIC, doc=1.0, ax=ax), TypeError, "doc must be an integer"),
    (lambda ax: plot_doc_topics(DOC_TOPIC, ax=ax, topic_labels=["a"]), ValueError,
     "topic_labels has 1 entries"),
    (lambda ax: plot_doc_topics(DOC_TOPIC, ax=ax, topic_labels="ab"), TypeError, "topic_labels"),
    (lambda ax: plot_doc_topics(DOC_TOPIC, ax=ax, title=3), TypeError, "title"),
    (lambda ax: plot_doc_topics(DOC_TOPIC[0], ax=ax), ValueError, "2-D"),
])
def test_plotting_topics_rejects_bad_input(ax, call, error, message):
    with pytest.raises(error, match=message):
        call(ax)
