"""emlib.plotting.lda (Agg backend): what is drawn, and that it shows what α does."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from emlib import lda  # noqa: E402
from emlib.plotting import plot_dirichlet_sparsity  # noqa: E402


@pytest.fixture
def ax():
    figure, axes = plt.subplots()
    yield axes
    plt.close(figure)


def _segments(ax, n_docs, n_topics):
    widths = np.array([bar.get_width() for bar in ax.patches]).reshape(n_topics, n_docs)
    return widths.T                                     # (n_docs, n_topics)


def test_bars_are_distributions_with_labels(ax):
    assert plot_dirichlet_sparsity(0.3, n_topics=4, n_docs=6, ax=ax) is ax
    proportions = _segments(ax, 6, 4)
    np.testing.assert_allclose(proportions.sum(axis=1), 1.0, rtol=1e-12)
    assert ax.get_xlabel() and ax.get_ylabel() and "0.3" in ax.get_title()


def test_small_alpha_gives_sparse_documents(ax):
    """The picture's claim: fewer topics per document as α falls (from Dir(α)'s own draws)."""
    needed = []
    for alpha in (0.01, 0.1, 1.0, 10.0):
        ax.clear()
        plot_dirichlet_sparsity(alpha, n_topics=10, n_docs=30, ax=ax, random_state=0)
        needed.append(lda.topics_needed(_segments(ax, 30, 10)).mean())
    assert np.all(np.diff(needed) > 0) and needed[0] < 1.5 and needed[-1] > 7, needed


def test_draws_have_the_dirichlet_mean_and_variance(ax):
    plot_dirichlet_sparsity(0.5, n_topics=3, n_docs=100, ax=ax, random_state=1)
    first = _segments(ax, 100, 3)[:, 0]
    # Dir(0.5·1_3): E π_0 = 1/3, Var π_0 = (1/3)(2/3)/(1.5 + 1) = 0.0889
    assert abs(first.mean() - 1 / 3) < 0.1 and abs(first.var() - 0.0889) < 0.04


def test_topics_needed_counts_the_head():
    np.testing.assert_array_equal(
        lda.topics_needed(np.array([[0.7, 0.2, 0.1], [0.3, 0.4, 0.3], [1.0, 0.0, 0.0]]), 0.9),
        [2, 3, 1])
