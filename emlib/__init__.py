"""emlib: the small, tested library behind the EM course notebooks.

Modules (one concept each; import the one you need, e.g. ``from emlib import gmm``):

- ``emlib.em`` — the EM iteration, written once: ``run(model, params, ...)`` (E-step → expected
  sufficient statistics → M-step → objective), ``EMResult``, ``SufficientStatistics``. Every
  model's ``fit`` runs on it.
- ``emlib.gmm`` — EM for full-covariance Gaussian mixtures (``e_step``, ``m_step``, ``fit``,
  ``sample``).
- ``emlib.coins`` — the two-coin EM of Do & Batzoglou (2008).
- ``emlib.divergences`` — entropy, KL divergence, the ELBO, evidence and posterior, in log space.
- ``emlib.datasets`` — real data: ``old_faithful()``, ``standardize()``; the BBC News corpus
  (``bbc_news()``, ``count_matrix()``).
- ``emlib.bounds`` — Jensen's gap, log p = L + KL for a mixture, EM's lower bounds along one mean
  and per half-step (the numbers behind notebooks 01 and 02).
- ``emlib.maxent`` — maximum-entropy distributions, the log-partition function, Jaynes' dice.
- ``emlib.topics`` — EM for topic models on sparse counts (ML, MAP, hard EM), fold-in,
  perplexity, ``sample_corpus``.
- ``emlib.lda`` — mean-field variational inference for LDA on sparse counts (the ELBO on the
  driver), fold-in, perplexity, the exact evidence of a tiny corpus.
- ``emlib.plotting`` — every picture (the only module that imports matplotlib), one submodule per
  subject: ``mixtures``, ``bounds``, ``topics``, ``maxent``, ``missing``.
- ``emlib.missing`` — EM for a Gaussian with missing values, the direct maximiser, MCAR/MAR/MNAR.
- ``emlib.latent_linear`` — probabilistic PCA and factor analysis by EM.
- ``emlib.convergence`` — the EM map's Jacobian, the measured rate, SQUAREM on the driver.
- ``emlib.online`` — EM at scale: incremental and stepwise (online) EM on the driver, a stream's
  ``partial_fit``.
- ``emlib.distributed`` — distributed EM on a Dask array (map over chunks, reduce by addition).
- ``emlib.checks`` — the checks behind the lecture notebooks' asserts (00–06), against independent references.
"""

__version__ = "0.1.0"
