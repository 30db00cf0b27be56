"""Every picture in the course; the only part of emlib that imports matplotlib.

One module per subject, each function ``plot_x(data…, *, ax=None, …)`` drawing into ``ax`` (the
current Axes when None), labelling its axes and returning the Axes (a pair for two-panel figures),
never calling ``plt.show()``. The numbers come from the model modules, which also check the input.

- ``emlib.plotting.mixtures`` — Gaussian mixtures: covariance ellipses, points coloured by
  responsibility (2-D and 1-D), the log-likelihood curve, one iteration of an EM run.
- ``emlib.plotting.bounds`` — Jensen's inequality, the ELBO for one point, Bishop's figure 9.14,
  EM's half-steps.
- ``emlib.plotting.topics`` — a topic's most probable words, a document's topic proportions.
- ``emlib.plotting.maxent`` — Jaynes' maximum-entropy die.
- ``emlib.plotting.hmm`` — hidden Markov models: a sequence coloured by its states, the
  transition matrix, Viterbi against posterior decoding.
- ``emlib.plotting.scale`` — EM at scale: stepwise EM's gap to batch EM's optimum against passes.
- ``emlib.plotting.lda`` — latent Dirichlet allocation: documents drawn from Dir(α), how α
  sets document–topic sparsity.
- ``emlib.plotting.missing`` — the bias of complete-case analysis, mean imputation and EM under
  MCAR, MAR and MNAR.

Every public function is importable from ``emlib.plotting`` itself.
"""

from .bounds import plot_bound_curves, plot_elbo_for_point, plot_half_steps, plot_jensen
from .maxent import plot_dice_max_entropy
from .mixtures import (plot_covariance_ellipses, plot_em_iteration, plot_gmm, plot_log_likelihood,
                       plot_mixture_1d)
from .topics import plot_doc_topics, plot_topic_words
from .hmm import plot_decoding, plot_hmm_sequence, plot_transitions
from .missing import plot_mechanism_bias
from .scale import plot_stepwise
from .lda import plot_dirichlet_sparsity

__all__ = [
    "plot_covariance_ellipses",
    "plot_gmm",
    "plot_mixture_1d",
    "plot_log_likelihood",
    "plot_em_iteration",
    "plot_jensen",
    "plot_elbo_for_point",
    "plot_bound_curves",
    "plot_half_steps",
    "plot_topic_words",
    "plot_doc_topics",
    "plot_dice_max_entropy",
    "plot_hmm_sequence",
    "plot_transitions",
    "plot_decoding",
    "plot_mechanism_bias",
    "plot_stepwise",
    "plot_dirichlet_sparsity",
]
