"""Pictures of latent Dirichlet allocation: how the Dirichlet concentration α shapes documents.

The function behind the widget of ``notebooks/09_variational_inference.ipynb``. It draws into
``ax`` (the current Axes when None), returns that Axes and never calls ``plt.show()``.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_int, check_random_state, check_real
from ..lda import topics_needed
from ._common import component_colors, get_ax

__all__ = ["plot_dirichlet_sparsity"]


def plot_dirichlet_sparsity(alpha: float = 0.1, n_topics: int = 10, n_docs: int = 12, *,
                            mass: float = 0.9, random_state=0, ax=None):
    """Stacked bars of ``n_docs`` documents' topic proportions drawn from the prior
    π_d ~ Dir(α 1_K): small α gives documents about few topics, large α mixes all of them.

    Parameters
    ----------
    alpha : the concentration, in [1e-3, 1e3].
    n_topics : K, between 2 and 40; n_docs : how many documents to draw, between 1 and 100.
    mass : the title reports how many topics hold this much of a document on average
        (``emlib.lda.topics_needed``).
    random_state : seed or Generator for the draws.
    ax : the Axes to draw into; None for the current one.

    Returns
    -------
    The Axes: one horizontal bar per document (y), its segments π_dk in topic k's colour (x from
    0 to 1), labelled axes and a title with α and the mean number of topics holding ``mass``.
    """
    alpha = check_real(alpha, "alpha")
    if not 1e-3 <= alpha <= 1e3:
        raise ValueError(f"alpha must be between 1e-3 and 1e3, got {alpha:.6g}")
    n_topics = check_int(n_topics, "n_topics", minimum=2, maximum=40)
    n_docs = check_int(n_docs, "n_docs", minimum=1, maximum=100)
    mass = check_real(mass, "mass", minimum=0.0, inclusive=False)
    if mass > 1.0:
        raise ValueError(f"mass must be at most 1, got {mass}")
    rng = check_random_state(random_state)
    # Draw through Gamma variables in log space: for tiny α the direct draws underflow to 0/0.
    log_gamma = np.log(rng.gamma(alpha + 1.0, size=(n_docs, n_topics))) \
        + np.log(rng.random((n_docs, n_topics))) / alpha
    doc_topic = np.exp(log_gamma - log_gamma.max(axis=1, keepdims=True))
    doc_topic /= doc_topic.sum(axis=1, keepdims=True)
    needed = topics_needed(doc_topic, mass)
    ax = get_ax(ax)
    colors = component_colors(None, n_topics) if n_topics <= 10 else \
        [f"C{k % 10}" for k in range(n_topics)]
    left = np.zeros(n_docs)
    rows = np.arange(n_docs)
    for k in range(n_topics):
        ax.barh(rows, doc_topic[:, k], left=left, color=colors[k], edgecolor="white",
                linewidth=0.5)
        left += doc_topic[:, k]
    ax.set_xlim(0.0, 1.0)
    ax.set_yticks(rows, [str(d) for d in rows])
    ax.invert_yaxis()
    ax.set_xlabel(r"topic proportions $\pi_{dk}$ (one colour per topic $k$)")
    ax.set_ylabel("document $d$ drawn from the prior")
    ax.set_title(rf"$\pi_d \sim \mathrm{{Dir}}(\alpha = {alpha:.3g})$, $K = {n_topics}$: "
                 f"{needed.mean():.1f} topics hold {mass:.0%} of a document on average")
    return ax
