r"""EM for the two-coin experiment of Do & Batzoglou.

C. B. Do and S. Batzoglou, "What is the expectation maximization algorithm?",
*Nature Biotechnology* 26, 897–899 (2008).

The model: there are two coins, A and B, with unknown probabilities of heads
:math:`\theta = (\theta_A, \theta_B)`. For each of S sets, a coin :math:`z_s \in \{A, B\}` is
picked with probability ½ each (fixed, not estimated — as in the paper) and tossed
:math:`n_s` times; only the number of heads :math:`h_s` is recorded, not the coin. So

.. math::
    p(h_s \mid \theta) = \sum_{k \in \{A,B\}} \tfrac12 \binom{n_s}{h_s}
    \theta_k^{h_s} (1-\theta_k)^{n_s-h_s}.

E-step, the posterior probability that set s was made with coin k (the factor ½ and the
binomial coefficient are the same for both coins and cancel):

.. math::
    \gamma_{sk} = \frac{\theta_k^{h_s}(1-\theta_k)^{n_s-h_s}}
                       {\sum_j \theta_j^{h_s}(1-\theta_j)^{n_s-h_s}},

computed from :math:`\ell_{sk} = h_s\log\theta_k + (n_s-h_s)\log(1-\theta_k)` as
:math:`\gamma_{sk} = \exp(\ell_{sk} - \operatorname{logsumexp}_j \ell_{sj})`, so long sets
(thousands of tosses, where :math:`\theta^{h}` underflows) still get exact responsibilities.

M-step, expected heads over expected tosses:

.. math::
    \theta_k = \frac{\sum_s \gamma_{sk} h_s}{\sum_s \gamma_{sk} n_s}.

With the paper's data (5, 9, 8, 4, 7 heads in sets of 10) and start :math:`\theta = (0.6, 0.5)`,
one iteration gives :math:`\approx(0.71, 0.58)` and ten give :math:`\approx(0.80, 0.52)`.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln, logsumexp, xlog1py, xlogy

from ._validation import as_float_array, check_distribution, check_int
from .em import EMResult, SufficientStatistics, check_em_arguments, run

__all__ = ["CoinsStatistics", "CoinsModel", "CoinsResult", "e_step", "m_step", "log_likelihood",
           "fit"]

_LOG_HALF = np.log(0.5)


# --------------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------------
def _whole_numbers(value, name: str) -> np.ndarray:
    """A 1-D float array of whole numbers (counts), or an error naming ``name``."""
    if np.asarray(value).dtype == bool:
        raise TypeError(f"{name} must hold counts (whole numbers), not booleans")
    array = as_float_array(value, name, ndim=1)
    fractional = array != np.round(array)
    if np.any(fractional):
        s = int(np.argmax(fractional))
        raise ValueError(f"{name} must hold whole numbers (counts), but {name}[{s}] = {array[s]}")
    return array


def _check_counts(heads, n_tosses):
    """heads (S,) and n_tosses broadcast to (S,), both float arrays of whole numbers."""
    heads = _whole_numbers(heads, "heads")
    if isinstance(n_tosses, numbers.Integral) and not isinstance(n_tosses, bool):
        n = check_int(n_tosses, "n_tosses", minimum=1)
        n_tosses = np.full(heads.shape, float(n))
    else:
        n_tosses = _whole_numbers(n_tosses, "n_tosses")
        if n_tosses.shape != heads.shape:
            raise ValueError(f"n_tosses has shape {n_tosses.shape} but heads has shape "
                             f"{heads.shape}; give one int for all sets or one count per set")
        if np.any(n_tosses < 1):
            s = int(np.argmax(n_tosses < 1))
            raise ValueError(f"n_tosses must be at least 1 in every set, but n_tosses[{s}] = "
                             f"{n_tosses[s]:g}")
    if np.any(heads < 0):
        s = int(np.argmax(heads < 0))
        raise ValueError(f"heads must be >= 0, but heads[{s}] = {heads[s]:g}")
    if np.any(heads > n_tosses):
        s = int(np.argmax(heads > n_tosses))
        raise ValueError(f"heads[{s}] = {heads[s]:g} is more than the {n_tosses[s]:g} tosses in "
                         f"that set (n_tosses); heads must lie in [0, n_tosses]")
    return heads, n_tosses


def _check_theta(theta, name: str = "theta", *, open_interval: bool = False) -> np.ndarray:
    theta = as_float_array(theta, name, ndim=1)
    if theta.shape != (2,):
        raise ValueError(f"{name} must have shape (2,), (theta_A, theta_B), but has shape "
                         f"{theta.shape}")
    if open_interval:
        outside = (theta <= 0) | (theta >= 1)
        if np.any(outside):
            k = int(np.argmax(outside))
            raise ValueError(
                f"{name}[{k}] = {theta[k]} must lie strictly between 0 and 1. A coin that starts "
                "at 0 or 1 can never show one of its faces, so EM cannot learn it; start from "
                "values inside (0, 1), e.g. (0.6, 0.5) as in Do & Batzoglou.")
    else:
        outside = (theta < 0) | (theta > 1)
        if np.any(outside):
            k = int(np.argmax(outside))
            raise ValueError(f"{name}[{k}] = {theta[k]} is a probability of heads and must lie "
                             "in [0, 1]")
    return theta


# --------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------
def _log_kernel(heads, n_tosses, theta):
    """ℓ_sk = h_s log θ_k + (n_s − h_s) log(1 − θ_k), shape (S, 2); 0·log 0 = 0, so a coin at
    θ = 1 gives ℓ = 0 to an all-heads set and −inf to any other."""
    return (xlogy(heads[:, None], theta[None, :])
            + xlog1py((n_tosses - heads)[:, None], -theta[None, :]))


def _log_binomial(heads, n_tosses):
    """log C(n_s, h_s), shape (S,)."""
    return gammaln(n_tosses + 1) - gammaln(heads + 1) - gammaln(n_tosses - heads + 1)


def _e_step(heads, n_tosses, theta):
    """e_step without the input checks; also returns the per-set log p(h_s | θ) up to the
    constant log ½ + log C(n_s, h_s)."""
    log_kernel = _log_kernel(heads, n_tosses, theta)
    log_norm = logsumexp(log_kernel, axis=1)
    # A set impossible under both coins has log_norm = -inf and no responsibilities; e_step
    # raises for it. (After an M-step it cannot happen: each set has positive weight on some
    # coin, whose θ is then a weighted mean including that set's fraction of heads.)
    with np.errstate(invalid="ignore"):
        return np.exp(log_kernel - log_norm[:, None]), log_norm


def _log_likelihood(heads, n_tosses, theta):
    _, log_norm = _e_step(heads, n_tosses, theta)
    return float(np.sum(log_norm + _LOG_HALF + _log_binomial(heads, n_tosses)))


def _m_step(heads, n_tosses, resp):
    """m_step without the input checks: the model's M-step from Σ_s γ_sk h_s and Σ_s γ_sk n_s."""
    model = CoinsModel(heads, n_tosses)
    return model.m_step(CoinsStatistics(resp.T @ heads, resp.T @ n_tosses))


def e_step(heads, n_tosses, theta) -> np.ndarray:
    r"""E-step: the probability that each set was made with coin A and with coin B.

    Parameters
    ----------
    heads : (S,) number of heads h_s in each set (whole numbers in [0, n_tosses]).
    n_tosses : int, the number of tosses n in every set, or (S,) one count n_s per set.
    theta : (2,) (θ_A, θ_B), the probabilities of heads, in [0, 1].

    Returns
    -------
    resp : (S, 2), rows summing to 1, resp[s, k] = γ_sk = p(z_s = k | h_s, θ) =
        θ_k^h (1−θ_k)^(n−h) / Σ_j θ_j^h (1−θ_j)^(n−h), computed in log space. With
        θ_A = θ_B every row is (½, ½).

    Raises ValueError when some set has probability 0 under both coins (e.g. θ = (1, 1) and a
    set with a tail): its responsibilities are undefined.
    """
    heads, n_tosses = _check_counts(heads, n_tosses)
    theta = _check_theta(theta)
    resp, log_norm = _e_step(heads, n_tosses, theta)
    if np.any(np.isneginf(log_norm)):
        s = int(np.argmax(np.isneginf(log_norm)))
        raise ValueError(f"theta = {theta.tolist()} gives set {s} ({heads[s]:g} heads in "
                         f"{n_tosses[s]:g} tosses) probability 0 under both coins; move theta "
                         "away from 0 and 1")
    return resp


def m_step(heads, n_tosses, resp) -> np.ndarray:
    r"""M-step: θ_k = expected heads / expected tosses of coin k.

    Parameters
    ----------
    heads : (S,) number of heads in each set.
    n_tosses : int, or (S,) tosses per set.
    resp : (S, 2) responsibilities γ_sk, rows summing to 1 (from ``e_step``).

    Returns
    -------
    theta : (2,) with θ_k = Σ_s γ_sk h_s / Σ_s γ_sk n_s, the maximiser of the expected
        complete-data log-likelihood Q(θ) = Σ_s Σ_k γ_sk [h_s log θ_k + (n_s−h_s) log(1−θ_k)].
        A coin with no expected tosses (its column of resp is all 0) does not appear in Q; it
        gets the pooled fraction Σ_s h_s / Σ_s n_s, so that θ is always defined.
    """
    heads, n_tosses = _check_counts(heads, n_tosses)
    resp = as_float_array(resp, "resp", ndim=2)
    if resp.shape != (heads.shape[0], 2):
        raise ValueError(f"resp has shape {resp.shape} but must be ({heads.shape[0]}, 2): one row "
                         "per set of tosses, one column per coin")
    check_distribution(resp, "resp", atol=1e-6)
    return _m_step(heads, n_tosses, resp)


def log_likelihood(heads, n_tosses, theta) -> float:
    r"""Observed-data log-likelihood of the head counts.

    .. math::
        \log p(h \mid \theta) = \sum_s \log \sum_{k\in\{A,B\}} \tfrac12 \binom{n_s}{h_s}
        \theta_k^{h_s}(1-\theta_k)^{n_s-h_s}.

    Parameters: heads (S,); n_tosses int or (S,); theta (2,) in [0, 1]. Returns a float
    (a sum over sets), −inf only if some set is impossible under both coins. The constants
    log ½ and log C(n, h) do not depend on θ, so they change no comparison between θs; they are
    included so that this is the probability of the recorded counts.
    """
    heads, n_tosses = _check_counts(heads, n_tosses)
    theta = _check_theta(theta)
    return _log_likelihood(heads, n_tosses, theta)


# --------------------------------------------------------------------------------------------
# fit: the two coins on the EM driver
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class CoinsStatistics(SufficientStatistics):
    """The expected sufficient statistics of the two-coin model under θ^(t).

    expected_heads : (2,) Σ_s γ_sk h_s, the heads credited to coin k.
    expected_tosses : (2,) Σ_s γ_sk n_s, the tosses credited to coin k.
    """

    expected_heads: np.ndarray
    expected_tosses: np.ndarray


class CoinsModel:
    """The two-coin model bound to its data, for ``emlib.em.run``.

    ``e_step(theta)`` returns the ``CoinsStatistics`` and log p(h | θ); ``m_step(statistics,
    theta)`` returns θ_k = expected heads / expected tosses (the pooled fraction for a coin that
    was credited no tosses). Build it from checked counts (``fit`` does).
    """

    objective_name = "log_likelihood"

    def __init__(self, heads, n_tosses):
        self.heads, self.n_tosses = heads, n_tosses
        self.n_items = float(heads.shape[0])
        self.constant = float(np.sum(_LOG_HALF + _log_binomial(heads, n_tosses)))
        self.pooled = float(heads.sum() / n_tosses.sum())

    def e_step(self, theta):
        resp, log_norm = _e_step(self.heads, self.n_tosses, theta)
        statistics = CoinsStatistics(resp.T @ self.heads, resp.T @ self.n_tosses)
        return statistics, float(log_norm.sum()) + self.constant

    def m_step(self, statistics, theta=None):
        unused = statistics.expected_tosses <= 0
        theta = statistics.expected_heads / np.where(unused, 1.0, statistics.expected_tosses)
        return np.clip(np.where(unused, self.pooled, theta), 0.0, 1.0)


@dataclass(frozen=True, eq=False)
class CoinsResult(EMResult):
    """What ``fit`` returns: an ``emlib.em.EMResult`` (params = the final (θ_A, θ_B), objectives
    = log p(h | θ^(t)) for t = 0 … n_iter, n_iter, converged, statistics) plus

    thetas : (n_iter + 1, 2) θ^(t) for t = 0 (the start) to n_iter.
    resp : (S, 2) responsibilities under the final θ.

    ``theta`` and ``log_likelihoods`` name ``params`` and ``objectives`` as the paper does.
    """

    thetas: np.ndarray
    resp: np.ndarray

    @property
    def theta(self) -> np.ndarray:
        return self.params

    @property
    def log_likelihoods(self) -> np.ndarray:
        return self.objectives


def fit(heads, n_tosses, theta_init, max_iter: int = 10, tol: float = 0.0,
        callback=None) -> CoinsResult:
    """Estimate (θ_A, θ_B) by EM on the driver ``emlib.em.run``.

    Parameters
    ----------
    heads : (S,) number of heads in each set.
    n_tosses : int, or (S,) tosses per set.
    theta_init : (2,) the start θ^(0), strictly inside (0, 1). Use two different values:
        from θ_A = θ_B both coins get every set with probability ½ and stay equal forever
        (at the pooled fraction of heads), a fixed point of EM that is not the maximum.
    max_iter : most iterations; the default 10 is the paper's. 0 only evaluates the start.
    tol : stop when the log-likelihood per set, log p(h | θ)/S, changes by less than this.
        The default 0 runs exactly ``max_iter`` iterations.
    callback : ``callback(t, theta, log_likelihood)`` for t = 0 … n_iter, or None.

    Returns
    -------
    CoinsResult with theta, thetas (history including the start), resp, log_likelihoods,
    n_iter and converged.
    """
    heads, n_tosses = _check_counts(heads, n_tosses)
    theta = _check_theta(theta_init, "theta_init", open_interval=True)
    max_iter, tol = check_em_arguments(max_iter, tol, callback)
    thetas = []

    def record(t, theta, objective):
        thetas.append(theta)
        if callback is not None:
            callback(t, theta, objective)

    result = run(CoinsModel(heads, n_tosses), theta, max_iter=max_iter, tol=tol, callback=record)
    resp, _ = _e_step(heads, n_tosses, result.params)
    return result.extend(CoinsResult, thetas=np.array(thetas), resp=resp)
