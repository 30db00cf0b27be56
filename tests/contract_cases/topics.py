"""The topic model (PLSA) under the EM contract: maximum likelihood, MAP and hard EM."""

import numpy as np
from scipy import sparse
from scipy.special import gammaln

from em_contract import DRIVER_BAD_ARGUMENTS, ContractCase
from emlib import topics


def make_problem(rng):
    n_docs, n_words = int(rng.integers(3, 9)), int(rng.integers(4, 12))
    counts = rng.poisson(2.0, size=(n_docs, n_words)) * (rng.random((n_docs, n_words)) < 0.6)
    counts[0, 0] += 1                                    # never all zero
    return {"counts": sparse.csr_array(counts.astype(float)), "n_topics": int(rng.integers(2, 4))}


def _fit(options):
    """fit on the problem's corpus with these options; a bad-argument test may override
    counts or n_topics."""
    def fit(problem, *, counts=None, n_topics=None, **kwargs):
        return topics.fit(problem["counts"] if counts is None else counts,
                          problem["n_topics"] if n_topics is None else n_topics,
                          **{**options, **kwargs})
    return fit


def _complete(problem, params, alpha=1.0, beta=1.0):
    """Hard EM's objective from scratch (dense): Σ n_dv max_k log(π_dk θ_kv) + log priors."""
    counts = problem["counts"].toarray()
    joint = params.doc_topic[:, None, :] * params.topic_word.T[None, :, :]      # (D, V, K)
    observed = counts > 0
    total = float(np.sum(counts[observed] * np.log(joint.max(axis=2)[observed])))

    def log_dirichlet(x, a):
        n = x.shape[1]
        return x.shape[0] * (gammaln(n * a) - n * gammaln(a)) + (a - 1) * np.log(x).sum()
    if alpha != 1.0 or beta != 1.0:
        total += log_dirichlet(params.doc_topic, alpha) + log_dirichlet(params.topic_word, beta)
    return total


BAD = DRIVER_BAD_ARGUMENTS + [({"n_topics": 0}, "n_topics"), ({"alpha": 0.5}, "alpha"),
                              ({"beta": "2"}, "beta"), ({"hard": "yes"}, "hard"),
                              ({"init": "random"}, "init"),
                              ({"counts": np.array([[1.0, -1.0]])}, "counts")]


def _arrays(params):
    return [params.doc_topic, params.topic_word]


CASES = [
    ContractCase("topics", make_problem, _fit({}),
                 lambda p, params: topics.log_likelihood(p["counts"], *params), _arrays, BAD),
    ContractCase("topics-map", make_problem, _fit({"alpha": 1.3, "beta": 1.1}),
                 lambda p, params: topics.log_posterior(p["counts"], *params, alpha=1.3,
                                                        beta=1.1), _arrays),
    ContractCase("topics-hard", make_problem, _fit({"hard": True}), _complete, _arrays),
    ContractCase("topics-hard-map", make_problem, _fit({"hard": True, "alpha": 1.2, "beta": 1.5}),
                 lambda p, params: _complete(p, params, 1.2, 1.5), _arrays),
]