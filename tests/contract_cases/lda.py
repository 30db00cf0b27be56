"""LDA by mean-field variational inference under the EM contract: the objective is the ELBO
L*(γ, λ), recomputed from each iterate by ``lda.elbo``; one (φ, γ, λ) sweep per iteration and
Blei et al.'s inner (φ, γ) loop (doc_iter = 5, the default); and with α, β fitted in each
M-step (fit_alpha, fit_beta), the ELBO then recomputed at each iterate's own α, β."""

import numpy as np
from scipy import sparse

from em_contract import DRIVER_BAD_ARGUMENTS, ContractCase
from emlib import lda


def make_problem(rng):
    n_docs, n_words = int(rng.integers(3, 9)), int(rng.integers(4, 12))
    counts = rng.poisson(2.0, size=(n_docs, n_words)) * (rng.random((n_docs, n_words)) < 0.6)
    counts[0, 0] += 1                                    # never all zero
    return {"counts": sparse.csr_array(counts.astype(float)), "n_topics": int(rng.integers(2, 4))}


def _fit(options):
    def fit(problem, *, counts=None, n_topics=None, **kwargs):
        return lda.fit(problem["counts"] if counts is None else counts,
                       problem["n_topics"] if n_topics is None else n_topics,
                       **{**options, **kwargs})
    return fit


def _elbo(options):
    return lambda p, params: lda.elbo(p["counts"], *params, alpha=options.get("alpha", 0.1),
                                      beta=options.get("beta", 0.1))


def _arrays(params):
    return [params.doc_topic, params.topic_word]


def _fitted_elbo(p, params):
    """The ELBO at the iterate's own α^(t), β^(t) (``LDAHyperParams``)."""
    return lda.elbo(p["counts"], params.doc_topic, params.topic_word, alpha=params.alpha,
                    beta=params.beta)


def _fitted_arrays(params):
    return [params.doc_topic, params.topic_word, np.array([params.alpha, params.beta])]


BAD = DRIVER_BAD_ARGUMENTS + [({"n_topics": 0}, "n_topics"), ({"alpha": 0.0}, "alpha"),
                              ({"beta": "2"}, "beta"), ({"doc_iter": 0}, "doc_iter"),
                              ({"init": "random"}, "init"),
                              ({"counts": np.array([[1.0, -1.0]])}, "counts")]

FITTED_BAD = [({"fit_alpha": 1}, "fit_alpha"), ({"fit_beta": "yes"}, "fit_beta"),
              ({"alpha": -1.0}, "alpha"), ({"prior_burn_in": -1}, "prior_burn_in")]

SPARSE = {"alpha": 0.05, "beta": 0.02}
# Variational EM with the hyperparameters fitted too (from α = 1, β = 0.5, after 2 M-steps at
# them): the objective is the ELBO at each iterate's fitted α^(t), β^(t).
FITTED = {"alpha": 1.0, "beta": 0.5, "fit_alpha": True, "fit_beta": True, "prior_burn_in": 2}
INNER = {"alpha": 0.5, "beta": 0.3, "doc_iter": 1}

CASES = [
    ContractCase("lda", make_problem, _fit({}), _elbo({}), _arrays, BAD),
    ContractCase("lda-sparse-priors", make_problem, _fit(SPARSE), _elbo(SPARSE), _arrays),
    ContractCase("lda-one-sweep", make_problem, _fit(INNER), _elbo(INNER), _arrays),
    ContractCase("lda-fitted-priors", make_problem, _fit(FITTED), _fitted_elbo, _fitted_arrays,
                 FITTED_BAD),
]
