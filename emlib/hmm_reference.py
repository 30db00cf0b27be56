r"""Independent references for hidden Markov models, and the checks built on them.

Lecture 07, its exercises and the tests check an HMM implementation (the reader's own or
``emlib.hmm``) against computations that share none of its code:

* ``enumerate_paths`` — brute force over all :math:`K^T` state paths of a short sequence:
  :math:`\log p(X, Z)` for every path Z, then log p(X) by log-sum-exp, γ_t and ξ_t by summing path
  posteriors, and the most probable path by arg-max. Exact, and hopeless beyond T ≈ 12.
* ``log_space_log_likelihood`` — the forward recursion in log space,
  :math:`\log f_t(k) = \operatorname{logsumexp}_j [\log f_{t-1}(j) + \log A_{jk}] + \log b_t(k)`,
  with scipy's ``logsumexp`` and no scaling: a reference for long sequences.
* ``hmmlearn_fit`` — hmmlearn's Baum–Welch (compiled forward–backward) from the same θ^(0),
  nothing re-initialised.

Each ``check_*`` function raises ``AssertionError`` with a message that says what disagrees
(that the log-likelihood never decreases is ``emlib.checks.check_monotone``, shared with
notebook 06),
so a notebook cell can call it and a test can show it failing on a plausible wrong version
(ξ not normalised, an off-by-one between the forward and backward messages, ξ summed over the
wrong axis, an unscaled forward pass that underflows, ...).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

from . import gmm, hmm
from ._validation import (as_float_array, as_real_array, check_bool, check_data_matrix,
                          check_distribution, check_instance, check_int, check_lengths,
                          check_n_features, check_real, check_symbols)

__all__ = [
    "PathEnumeration",
    "enumerate_paths",
    "log_space_log_likelihood",
    "hmmlearn_fit",
    "match_states",
    "check_posteriors",
    "check_viterbi",
    "check_log_likelihood",
    "check_same_params",
    "check_transition_frequencies",
    "check_mixture_as_hmm",
]

_MAX_PATHS = 2_000_000
_MAX_ITER = 100_000


def _log(values):
    with np.errstate(divide="ignore"):
        return np.log(values)


def _log_emissions(X, params):
    """log p(x_t | z_t = k), (T, K), straight from the definitions (scipy-free for symbols)."""
    if isinstance(params, hmm.CategoricalHMMParams):
        return _log(params.emissions[:, X].T)
    from scipy.stats import multivariate_normal

    return np.column_stack([multivariate_normal(m, c).logpdf(X).reshape(len(X))
                            for m, c in zip(params.means, params.covariances)])


def _check_hmm(params, name: str = "params"):
    if not isinstance(params, (hmm.CategoricalHMMParams, hmm.GaussianHMMParams)):
        raise TypeError(f"{name} must be a CategoricalHMMParams or a GaussianHMMParams, got "
                        f"{type(params).__name__}")
    return params


def _answer(value, name: str) -> float:
    """A scalar answer to judge (NaN and ±inf allowed: diagnosing them is the check's job)."""
    value = as_real_array(value, name)
    if value.ndim != 0 and value.size != 1:
        raise ValueError(f"{name} must be one number, got shape {value.shape}")
    return float(value.reshape(()))


def _check(X, params, name: str = "params"):
    _check_hmm(params, name)
    if isinstance(params, hmm.CategoricalHMMParams):
        return check_symbols(X, "X", params.n_symbols), params
    return check_n_features(check_data_matrix(X), params.n_features), params


# --------------------------------------------------------------------------------------------
# References
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class PathEnumeration:
    """Brute force over all K^T paths of one sequence.

    paths : (K^T, T) every state path. log_joint : (K^T,) log p(X, Z | θ) of each.
    log_likelihood : log p(X | θ) = logsumexp of log_joint. resp : (T, K) γ_t(k).
    xi : (T − 1, K, K) ξ_t(j, k) = p(z_t = j, z_{t+1} = k | X). best_path : (T,) the most
    probable path; best_log_joint : its log p(X, Z*).
    """

    paths: np.ndarray
    log_joint: np.ndarray
    log_likelihood: float
    resp: np.ndarray
    xi: np.ndarray
    best_path: np.ndarray
    best_log_joint: float


def enumerate_paths(X, params) -> PathEnumeration:
    """Every quantity of the E-step and of Viterbi for one short sequence, by enumerating all
    K^T paths: log p(X, Z) = log π_{z_0} + Σ_t log A_{z_{t−1} z_t} + Σ_t log b_t(z_t).

    Parameters: X (T,) symbols or (T, D) data, one sequence; params with K states; K^T must be
    at most 2,000,000.
    """
    X, params = _check(X, params)
    n_times, n_states = X.shape[0], params.n_states
    if n_states ** n_times > _MAX_PATHS:
        raise ValueError(f"enumerating {n_states}^{n_times} paths is too many (at most "
                         f"{_MAX_PATHS:,}); use a shorter sequence")
    paths = np.array(list(itertools.product(range(n_states), repeat=n_times)), dtype=np.intp)
    log_b = _log_emissions(X, params)
    log_joint = (_log(params.initial)[paths[:, 0]]
                 + _log(params.transitions)[paths[:, :-1], paths[:, 1:]].sum(axis=1)
                 + log_b[np.arange(n_times), paths].sum(axis=1))
    log_likelihood = float(logsumexp(log_joint))
    weights = np.exp(log_joint - log_likelihood)                    # p(Z | X)
    resp = np.stack([np.bincount(paths[:, t], weights, minlength=n_states)
                     for t in range(n_times)])
    xi = np.zeros((max(n_times - 1, 0), n_states, n_states))
    for t in range(n_times - 1):
        np.add.at(xi[t], (paths[:, t], paths[:, t + 1]), weights)
    best = int(np.argmax(log_joint))
    return PathEnumeration(paths, log_joint, log_likelihood, resp, xi, paths[best],
                           float(log_joint[best]))


def log_space_log_likelihood(X, params, *, lengths=None) -> float:
    """log p(X | θ) by the forward recursion in log space (no scaling), summed over sequences:
    log f_0 = log π + log b_0, log f_t(k) = logsumexp_j(log f_{t−1}(j) + log A_jk) + log b_t(k)."""
    X, params = _check(X, params)
    lengths = check_lengths(lengths, X.shape[0])
    log_transitions = _log(params.transitions)
    total = 0.0
    for start, length in zip(np.cumsum(lengths) - lengths, lengths):
        log_b = _log_emissions(X[start:start + length], params)
        log_f = _log(params.initial) + log_b[0]
        for t in range(1, length):
            log_f = logsumexp(log_f[:, None] + log_transitions, axis=0) + log_b[t]
        total += float(logsumexp(log_f))
    return total


def hmmlearn_fit(X, start, n_iter: int, *, lengths=None):
    """hmmlearn's Baum–Welch from ``start`` for exactly ``n_iter`` iterations, nothing
    re-initialised (``init_params=""``), no priors (``covars_prior=0``, ``means_weight=0``,
    Dirichlet priors 1) and no early stop; returns the parameters in emlib's type.

    Full covariances for Gaussian emissions. Needs hmmlearn (a test reference, in
    requirements.txt).
    """
    import warnings

    from hmmlearn import hmm as hmmlearn_hmm

    X, start = _check(X, start, "start")
    # tol = −inf runs every iteration: an absurd n_iter would never return.
    n_iter = check_int(n_iter, "n_iter", minimum=1, maximum=_MAX_ITER,
                       maximum_reason=" (every iteration runs, there is no early stop)")
    lengths = check_lengths(lengths, X.shape[0])
    common = dict(init_params="", n_iter=n_iter, tol=-np.inf, implementation="scaling")
    if isinstance(start, hmm.CategoricalHMMParams):
        model = hmmlearn_hmm.CategoricalHMM(start.n_states, params="ste",
                                            n_features=start.n_symbols, **common)
        model.emissionprob_ = start.emissions
        data = X[:, None]
    else:
        model = hmmlearn_hmm.GaussianHMM(start.n_states, covariance_type="full", params="stmc",
                                         covars_prior=0.0, means_weight=0.0, min_covar=0.0,
                                         **common)
        model.means_, model.covars_ = start.means, start.covariances
        data = X
    model.startprob_, model.transmat_ = start.initial, start.transitions
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(data, lengths)
    if isinstance(start, hmm.CategoricalHMMParams):
        return hmm.CategoricalHMMParams(model.startprob_, model.transmat_, model.emissionprob_)
    return hmm.GaussianHMMParams(model.startprob_, model.transmat_, model.means_, model.covars_)


def match_states(params, reference) -> np.ndarray:
    """The permutation p (K,) with params' state p[k] playing reference's state k: the states
    ordered by their means (Gaussian, first feature) or emission profiles (categorical)."""
    def key(p):
        if isinstance(p, hmm.GaussianHMMParams):
            return np.argsort(p.means[:, 0], kind="stable")
        return np.lexsort(p.emissions.T[::-1])

    _check_hmm(params)
    _check_hmm(reference, "reference")
    if type(params) is not type(reference) or params.n_states != reference.n_states:
        raise ValueError(f"params ({type(params).__name__}, {params.n_states} states) and "
                         f"reference ({type(reference).__name__}, {reference.n_states} states) "
                         "must be the same kind of model with the same number of states")
    order, reference_order = key(params), key(reference)
    permutation = np.empty_like(order)
    permutation[reference_order] = order
    return permutation


# --------------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------------
def _worst(actual, expected) -> str:
    difference = np.abs(np.asarray(actual, float) - np.asarray(expected, float))
    where = tuple(int(i) for i in np.unravel_index(np.argmax(difference), difference.shape))
    return f"largest difference {difference[where]:.3g} at index {list(where)}"


def _close(actual, expected, what: str, atol: float) -> None:
    actual = np.asarray(actual, dtype=float)
    expected = np.asarray(expected, dtype=float)
    if actual.shape != expected.shape:
        raise AssertionError(f"{what} has shape {actual.shape}, expected {expected.shape}")
    if not np.all(np.isfinite(actual)):
        raise AssertionError(f"{what} has NaN or infinite entries (underflow?)")
    if not np.allclose(actual, expected, rtol=0.0, atol=atol):
        raise AssertionError(f"{what} disagrees with brute-force enumeration: "
                             f"{_worst(actual, expected)} (tolerance {atol:g})")


def check_posteriors(X, params, *, log_likelihood=None, resp=None, xi=None,
                     atol: float = 1e-12) -> PathEnumeration:
    """AssertionError unless the given log p(X), γ (T, K) and ξ (T − 1, K, K) of one short
    sequence agree with ``enumerate_paths`` to ``atol``. First the properties every correct
    answer has — each γ_t and each ξ_t sums to 1, Σ_k ξ_t(j, k) = γ_t(j) and
    Σ_j ξ_t(j, k) = γ_{t+1}(k) — so that the message names the mistake. Returns the enumeration.
    """
    atol = check_real(atol, "atol", minimum=0.0)
    if atol >= 1.0:
        raise ValueError(f"atol must be below 1 (γ and ξ are probabilities), got {atol:g}")
    if log_likelihood is not None:
        log_likelihood = _answer(log_likelihood, "log_likelihood")
    resp = None if resp is None else as_real_array(resp, "resp")
    xi = None if xi is None else as_real_array(xi, "xi")
    truth = enumerate_paths(X, params)
    if log_likelihood is not None:
        _close(log_likelihood, truth.log_likelihood, "log p(X)",
               atol * max(1.0, abs(truth.log_likelihood)))
    if resp is not None:
        if resp.shape == truth.resp.shape and not np.allclose(resp.sum(axis=1), 1.0, atol=atol):
            raise AssertionError(f"each γ_t must sum to 1 over the states, but the sums are "
                                 f"{np.array2string(resp.sum(axis=1), precision=6)}")
        _close(resp, truth.resp, "γ (resp)", atol)
    if xi is not None:
        if xi.shape == truth.xi.shape:
            totals = xi.sum(axis=(1, 2))
            if not np.allclose(totals, 1.0, atol=atol):
                raise AssertionError(f"each ξ_t must sum to 1 over (j, k) — is it normalised by "
                                     f"p(X)? The sums are "
                                     f"{np.array2string(totals, precision=6)}")
            if not np.allclose(xi.sum(axis=2), truth.resp[:-1], atol=atol):
                raise AssertionError("Σ_k ξ_t(j, k) must equal γ_t(j): the rows of ξ_t belong to "
                                     "z_t and the columns to z_{t+1} (summed over the wrong axis, "
                                     "or shifted by one step?)")
            if not np.allclose(xi.sum(axis=1), truth.resp[1:], atol=atol):
                raise AssertionError("Σ_j ξ_t(j, k) must equal γ_{t+1}(k): the columns of ξ_t "
                                     "belong to z_{t+1}")
        _close(xi, truth.xi, "ξ", atol)
    return truth


def check_viterbi(X, params, path, log_joint=None) -> PathEnumeration:
    """AssertionError unless ``path`` (T,) is the most probable path of one short sequence (by
    enumeration) and ``log_joint``, if given, is its log p(X, Z*) to 1e-12 (relative)."""
    as_real_array(path, "path")            # numbers only; kept as given (the message shows it)
    path = np.asarray(path)
    log_joint = None if log_joint is None else _answer(log_joint, "log_joint")
    truth = enumerate_paths(X, params)
    if path.shape != truth.best_path.shape or not np.array_equal(path, truth.best_path):
        index = (np.flatnonzero((truth.paths == path).all(axis=1))
                 if path.shape == truth.best_path.shape else [])
        found = f"log p(X, Z) = {truth.log_joint[index[0]]:.6f}" if len(index) else "not a path"
        raise AssertionError(f"the path {path.tolist()} ({found}) is not the most probable "
                             f"{truth.best_path.tolist()} (log p(X, Z*) = "
                             f"{truth.best_log_joint:.6f})")
    if log_joint is not None:
        scale = max(1.0, abs(truth.best_log_joint))
        if not abs(float(log_joint) - truth.best_log_joint) <= 1e-12 * scale:
            raise AssertionError(f"log p(X, Z*) = {float(log_joint)!r}, but the best path has "
                                 f"{truth.best_log_joint!r}")
    return truth


def check_log_likelihood(X, params, value, *, lengths=None, rtol: float = 1e-12) -> float:
    """AssertionError unless ``value`` is log p(X | θ) (summed over the sequences given by
    ``lengths``), compared with ``log_space_log_likelihood`` to ``rtol``. Catches an unscaled
    forward pass, whose product of T probabilities underflows to 0 (log p = −inf) on a long
    sequence, and sequences run together as one. Returns the reference value."""
    value = _answer(value, "value")
    rtol = check_real(rtol, "rtol", minimum=0.0)
    reference = log_space_log_likelihood(X, params, lengths=lengths)
    if not np.isfinite(value):
        raise AssertionError(f"log p(X) = {value}, but the log-space forward pass gives "
                             f"{reference:.6f}: the unscaled messages underflowed to 0 — scale "
                             "them at every step (or work in log space)")
    if not abs(value - reference) <= rtol * max(1.0, abs(reference)):
        raise AssertionError(f"log p(X) = {value!r}, but the log-space forward pass gives "
                             f"{reference!r} (difference {value - reference:.3g})")
    return reference


def check_same_params(params, reference, *, atol: float = 1e-8, permute: bool = False) -> None:
    """AssertionError unless the two parameter sets agree entry by entry to ``atol`` (after
    relabelling the states with ``match_states`` when ``permute``)."""
    _check_hmm(params)
    _check_hmm(reference, "reference")
    atol = check_real(atol, "atol", minimum=0.0)
    permute = check_bool(permute, "permute")
    if type(params) is not type(reference) or params.n_states != reference.n_states:
        raise AssertionError(f"different models: {type(params).__name__} with "
                             f"{params.n_states} states against {type(reference).__name__} "
                             f"with {reference.n_states}")
    p = match_states(params, reference) if permute else np.arange(params.n_states)
    names = (["initial", "transitions", "emissions"]
             if isinstance(params, hmm.CategoricalHMMParams)
             else ["initial", "transitions", "means", "covariances"])
    for name in names:
        mine, theirs = getattr(params, name), getattr(reference, name)
        mine = mine[p][:, p] if name == "transitions" else mine[p]
        if mine.shape != theirs.shape:
            raise AssertionError(f"{name} have shapes {mine.shape} and {theirs.shape}")
        if not np.allclose(mine, theirs, rtol=0.0, atol=atol):
            raise AssertionError(f"{name} differ: {_worst(mine, theirs)} (tolerance {atol:g})")


def check_transition_frequencies(states, transitions, *, lengths=None) -> np.ndarray:
    """AssertionError unless the observed j → k frequencies of sampled ``states`` are within 5
    standard errors of ``transitions`` (rows with at least 30 visits). Returns the counts."""
    transitions = as_float_array(transitions, "transitions", ndim=2)
    if transitions.shape[0] != transitions.shape[1]:
        raise ValueError(f"transitions must be square (K, K), got shape {transitions.shape}")
    check_distribution(transitions, "transitions", atol=1e-6)
    states = check_symbols(states, "states", transitions.shape[0])
    lengths = check_lengths(lengths, states.shape[0])
    last = np.cumsum(lengths) - 1
    keep = np.ones(states.shape[0] - 1, dtype=bool)
    keep[last[:-1]] = False                                  # no pair across two sequences
    counts = np.zeros_like(transitions)
    np.add.at(counts, (states[:-1][keep], states[1:][keep]), 1.0)
    visits = counts.sum(axis=1, keepdims=True)
    frequencies = counts / np.maximum(visits, 1.0)
    error = np.sqrt(transitions * (1 - transitions) / np.maximum(visits, 1.0))
    bad = (visits >= 30) & (np.abs(frequencies - transitions) > 5 * error + 1e-12)
    if np.any(bad):
        j, k = (int(i) for i in np.argwhere(bad)[0])
        raise AssertionError(f"state {j} went to {k} in {frequencies[j, k]:.3f} of its "
                             f"{visits[j, 0]:.0f} steps, but A[{j}, {k}] = {transitions[j, k]:.3f}")
    return counts


def check_mixture_as_hmm(X, mixture, hmm_params) -> float:
    """AssertionError unless the HMM ``hmm_params`` — meant to be the mixture ``mixture``
    (``emlib.gmm.GaussianMixtureParams``) written as an HMM, every row of A equal to π — gives
    X (one sequence) exactly the mixture's log-likelihood (``emlib.gmm.log_likelihood``)."""
    check_instance(mixture, gmm.GaussianMixtureParams, "mixture")
    check_instance(hmm_params, hmm.GaussianHMMParams, "hmm_params")
    expected = gmm.log_likelihood(X, mixture)
    value = hmm.log_likelihood(X, hmm_params)
    if not abs(value - expected) <= 1e-10 * max(1.0, abs(expected)):
        raise AssertionError(f"as an HMM the mixture gives log p(X) = {value:.10g}, but the "
                             f"mixture itself {expected:.10g}: the chain must start from π and "
                             "every row of A must be π (the next state forgets the last)")
    return value
