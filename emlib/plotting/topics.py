"""Pictures of a topic model: a topic's most probable words, a document's topic proportions.

A topic θ_k is a distribution over V words, far too many to draw; what a reader can take in is
its head, the few words with the largest θ_kv. A document is summarised by its K proportions π_d.
Every function draws into ``ax`` (the current Axes when None), returns that Axes and never calls
``plt.show()``. The functions behind the widgets of ``notebooks/04_topic_models.ipynb``.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_doc_topic, check_int, check_topic_word, check_vocabulary
from ._common import component_colors, get_ax

__all__ = [
    "plot_topic_words",
    "plot_doc_topics",
]


def _topic_color(k: int):
    """Topic k's colour: the property cycle's, "C0" … "C9", repeating."""
    return component_colors([f"C{k % 10}"], 1)[0]


def plot_topic_words(topic_word, vocabulary, topic: int = 0, n_words: int = 10, ax=None):
    """Horizontal bars of the ``n_words`` most probable words of one topic, largest on top.

    Parameters
    ----------
    topic_word : (K, V) Θ, rows summing to 1.
    vocabulary : V words, one per column of topic_word.
    topic : k, between 0 and K − 1.
    n_words : how many words to show, between 1 and V.
    ax : the Axes to draw into; None for the current one.

    Returns
    -------
    The Axes, holding one bar per word (length θ_kv), labelled with the word, the x-axis
    labelled, and a title naming the topic and how much probability its shown words hold.
    """
    topic_word = check_topic_word(topic_word)
    n_topics, size = topic_word.shape
    vocabulary = check_vocabulary(vocabulary, size)
    topic = check_int(topic, "topic", minimum=0, maximum=n_topics - 1,
                      maximum_reason=f" (there are {n_topics} topics, numbered from 0)")
    n_words = check_int(n_words, "n_words", minimum=1, maximum=size,
                        maximum_reason=" (the vocabulary size)")
    ax = get_ax(ax)
    row = topic_word[topic]
    order = np.argsort(-row, kind="stable")[:n_words]
    positions = np.arange(n_words)[::-1]                  # most probable at the top
    ax.barh(positions, row[order], color=_topic_color(topic))
    ax.set_yticks(positions, [str(vocabulary[v]) for v in order])
    ax.set_xlabel(rf"$\theta_{{{topic},v}}$: probability of word $v$ in topic {topic}")
    ax.set_title(f"topic {topic}: its {n_words} most probable words "
                 f"(together {row[order].sum():.1%} of the topic)")
    return ax


def plot_doc_topics(doc_topic, doc: int = 0, ax=None, *, topic_labels=None,
                    title: str | None = None):
    """Bar chart of one document's topic proportions π_d.

    Parameters
    ----------
    doc_topic : (D, K) Π, rows summing to 1.
    doc : d, between 0 and D − 1.
    ax : the Axes to draw into; None for the current one.
    topic_labels : K strings naming the topics (e.g. each topic's top words, from
        ``emlib.topics.top_words``), drawn under the bars; default "0", "1", ….
    title : default "document d: topic proportions π_d".

    Returns
    -------
    The Axes, with one bar per topic in the topic's colour (as in ``plot_topic_words``), the
    y-axis from 0 to 1.
    """
    doc_topic = check_doc_topic(doc_topic)
    n_docs, n_topics = doc_topic.shape
    doc = check_int(doc, "doc", minimum=0, maximum=n_docs - 1,
                    maximum_reason=f" (there are {n_docs} documents, numbered from 0)")
    if topic_labels is None:
        topic_labels = [str(k) for k in range(n_topics)]
    elif isinstance(topic_labels, (str, bytes)) or not hasattr(topic_labels, "__len__"):
        raise TypeError("topic_labels must be a sequence of strings, one per topic, got "
                        f"{type(topic_labels).__name__}")
    elif len(topic_labels) != n_topics:
        raise ValueError(f"topic_labels has {len(topic_labels)} entries but there are "
                         f"{n_topics} topics")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a string or None, got {type(title).__name__}")
    ax = get_ax(ax)
    ax.bar(np.arange(n_topics), doc_topic[doc],
           color=[_topic_color(k) for k in range(n_topics)])
    long_labels = max(len(str(label)) for label in topic_labels) > 3
    ax.set_xticks(np.arange(n_topics), [str(label) for label in topic_labels],
                  rotation=30 if long_labels else 0, ha="right" if long_labels else "center")
    ax.set_ylim(0.0, 1.0)
    ax.set_xlabel("topic $k$")
    ax.set_ylabel(rf"$\pi_{{{doc},k}}$")
    ax.set_title(rf"document {doc}: topic proportions $\pi_{{{doc}}}$" if title is None else title)
    return ax
