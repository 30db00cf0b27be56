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

computed from the log-probabilities :math:`\ell_{sk} = \log \mathrm{Bin}(h_s \mid n_s, \theta_k)`
as :math:`\gamma_{sk} = \exp(\ell_{sk} - \operatorname{logsumexp}_j \ell_{sj})`, so long sets
(thousands of tosses, where :math:`\theta^{h}` underflows) still get exact responsibilities.

**Accurate at any n.** The textbook :math:`\log\binom{n}{h} + h\log\theta + (n-h)\log(1-\theta)`
adds terms of size ~n log n that cancel to a result of size ~½ log n: for 10¹² tosses it loses
three digits, for 10¹⁵ everything. Instead (C. Loader, "Fast and accurate computation of binomial
probabilities", 2000; the saddle-point form R's ``dbinom`` uses)

.. math::
    \log \mathrm{Bin}(h \mid n, \theta) = \delta(n) - \delta(h) - \delta(n-h)
        - D(h, n\theta) - D(n-h, n(1-\theta)) - \tfrac12 \log\frac{2\pi h(n-h)}{n},

with Stirling's error :math:`\delta(m) = \log m! - \tfrac12\log(2\pi m) - m\log m + m`
(its asymptotic series, tiny for large m) and the deviance
:math:`D(x, \mu) = x \log(x/\mu) + \mu - x \ge 0`, summed as a series of positive terms when
x ≈ μ. Every term is small where the probability is large, so nothing cancels; the result is
accurate to rounding for n from 1 to 10³⁰⁰ (tested against 400-digit arithmetic).

M-step, expected heads over expected tosses:

.. math::
    \theta_k = \frac{\sum_s \gamma_{sk} h_s}{\sum_s \gamma_{sk} n_s}.

With the paper's data (5, 9, 8, 4, 7 heads in sets of 10) and start :math:`\theta = (0.6, 0.5)`,
one iteration gives :math:`\approx(0.71, 0.58)` and ten give :math:`\approx(0.80, 0.52)`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln, xlog1py, xlogy

from ._validation import as_float_array, check_distribution
from .em import EMResult, SufficientStatistics, check_em_arguments, run

__all__ = ["CoinsStatistics", "CoinsModel", "CoinsResult", "e_step", "m_step", "log_likelihood",
           "fit"]

_LOG_HALF = np.log(0.5)


# --------------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------------
def _whole_numbers(value, name: str, *, ndim: int | None = 1) -> np.ndarray:
    """A float array of whole numbers (counts), or an error naming ``name``."""
    array = as_float_array(value, name, ndim=ndim)
    fractional = array != np.round(array)
    if np.any(fractional):
        s = int(np.argmax(fractional.ravel()))
        raise ValueError(f"{name} must hold whole numbers (counts), but "
                         f"{name}{'' if array.ndim == 0 else f'[{s}]'} = {array.ravel()[s]}")
    return array


def _check_counts(heads, n_tosses):
    """heads (S,) and n_tosses broadcast to (S,), both float arrays of whole numbers."""
    heads = _whole_numbers(heads, "heads")
    if np.ndim(n_tosses) == 0:                   # one count for every set: an int, or 10.0
        n = _whole_numbers(n_tosses, "n_tosses", ndim=0)
        if n < 1:
            raise ValueError(f"n_tosses must be at least 1, got {float(n):g}")
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
    with np.errstate(over="ignore"):
        total = float(np.sum(n_tosses / _FLOAT_MAX)) * _FLOAT_MAX
    if not np.isfinite(total):
        raise ValueError(f"n_tosses add up to more than the largest float ({_FLOAT_MAX:.3g} "
                         "tosses), so the expected tosses of a coin cannot be represented; use "
                         "fewer or shorter sets")
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
# The binomial log-probability, accurate at any n
# --------------------------------------------------------------------------------------------
_FLOAT_MAX = float(np.finfo(np.float64).max)
_FLOAT_TINY = float(np.finfo(np.float64).tiny)
_LOG_2PI = float(np.log(2 * np.pi))
# δ(m) = log m! − ½ log(2πm) − m log m + m: a table below _STIRLING_SMALL, where the series below
# is not yet accurate (gammaln and the other terms are all small there, so this is exact to
# rounding), and Stirling's series 1/(12m) − 1/(360m³) + 1/(1260m⁵) − 1/(1680m⁷) + 1/(1188m⁹)
# above (the first omitted term is below 2e-16 for m >= 16).
_STIRLING_SMALL = 16
_whole = np.arange(1.0, _STIRLING_SMALL)
_STIRLING_TABLE = np.concatenate(
    ([0.0], gammaln(_whole + 1) - (_whole + 0.5) * np.log(_whole) + _whole
     - 0.5 * np.log(2 * np.pi)))
_STIRLING_SERIES = (1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188)
# Terms of the deviance series kept when |v| < _DEVIANCE_SERIES_V (each is v² <= 0.01 times the
# previous one, so 9 reach 1e-18).
_DEVIANCE_SERIES_V = 0.1
_DEVIANCE_TERMS = 9
_VELTKAMP = 2.0**27 + 1.0


def _stirling_error(m):
    """δ(m) = log m! − ½ log(2πm) − m log m + m for whole numbers m >= 0 (δ(0) = 0, unused)."""
    small = m < _STIRLING_SMALL
    table = _STIRLING_TABLE[np.where(small, m, 0).astype(np.intp)]
    with np.errstate(divide="ignore", under="ignore"):   # m = 0 is small; 1/m² may underflow
        inverse = 1.0 / m
        square = inverse * inverse
    series = _STIRLING_SERIES[-1]
    for coefficient in _STIRLING_SERIES[-2::-1]:
        series = coefficient + square * series
    return np.where(small, table, series * inverse)


def _split(a):
    """Veltkamp's split a = high + low, each half of the mantissa's bits, for |a| < 1."""
    scaled = _VELTKAMP * a
    high = scaled - (scaled - a)
    return high, a - high


def _exact_product(a, b):
    """(p, e) with p = fl(a·b) and p + e = a·b exactly (Dekker's two-product, done on the
    mantissas of a and b so that the splitting cannot overflow, then scaled back)."""
    mantissa_a, exponent_a = np.frexp(a)
    mantissa_b, exponent_b = np.frexp(b)
    product = mantissa_a * mantissa_b
    a_high, a_low = _split(mantissa_a)
    b_high, b_low = _split(mantissa_b)
    error = ((a_high * b_high - product) + a_high * b_low + a_low * b_high) + a_low * b_low
    exponent = exponent_a + exponent_b
    return np.ldexp(product, exponent), np.ldexp(error, exponent)


def _deviance(x, mean, correction):
    r"""D(x, μ) = x log(x/μ) + μ − x >= 0 for x > 0, μ > 0, where the exact x − μ is
    (x − mean) + correction (``mean`` is μ rounded; the caller knows the rounding error).

    Without cancellation when x ≈ μ: with v = (x − μ)/(x + μ), log(x/μ) = 2 artanh v
    = 2(v + v³/3 + v⁵/5 + …), so D = (x − μ) v + 2x (v³/3 + v⁵/5 + …), a sum of positive terms.
    There x − mean is exact (the two are within a factor 2), so D is accurate even where it is
    dominated by the rounding of μ = nθ itself (n ~ 1e300). Elsewhere log(x/μ) comes from the
    ratio, or from two logs where the ratio over- or underflows (then |log(x/μ)| > 700 makes
    their rounding negligible). Call under np.errstate(all="ignore")."""
    difference = (x - mean) + correction
    v = difference / (0.5 * x + 0.5 * mean) * 0.5                    # (x − μ)/(x + μ), no overflow
    total, term, square = difference * v, 2.0 * (x * v), v * v
    for j in range(1, _DEVIANCE_TERMS + 1):
        term = term * square
        total = total + term / (2 * j + 1)
    ratio = x / mean
    usable = (ratio >= _FLOAT_TINY) & (ratio <= _FLOAT_MAX)
    log_ratio = np.where(usable, np.log(ratio), np.log(x) - np.log(mean))
    return np.where(np.abs(v) < _DEVIANCE_SERIES_V, total, x * log_ratio - difference)


def _log_binomial_pmf(heads, n_tosses, theta):
    r"""log Bin(h_s | n_s, θ_k) = log C(n_s, h_s) + h_s log θ_k + (n_s − h_s) log(1 − θ_k), shape
    (S, 2), in Loader's saddle-point form (module docstring). -inf where the probability is 0
    (a coin at θ = 0 or 1 and a set it cannot produce), and -inf or NaN where the log-probability
    is below −1.8e308 (callers check with _raise_if_overflow).

    The means nθ and n(1 − θ) and the tails n − h are carried with their rounding errors (exact
    two-term sums), because near the mode of a very long set log Bin depends on the last bits of
    nθ: for n = 1e300 an error of one ulp in nθ moves log Bin by ~1e256."""
    h, n, t = heads[:, None], n_tosses[:, None], theta[None, :]
    # Every branch is computed everywhere and the right one picked: the others may divide by
    # zero or take log 0 (e.g. the interior formula at h = 0), which is why errors are ignored.
    with np.errstate(all="ignore"):
        tails = n - h
        tails_error = (n - tails) - h                                 # n − h = tails + this
        q = 1.0 - t
        q_error = (1.0 - q) - t                                       # 1 − θ = q + this
        mean_heads, mean_heads_error = _exact_product(n, t)           # nθ
        mean_tails, mean_tails_error = _exact_product(n, q)           # n(1 − θ)
        mean_tails_error = mean_tails_error + n * q_error
        # h(n − h)/n = m(1 − m/n) with m the fewer of heads and tails: 1 − m/n >= ½ is exact
        # to rounding, where 1 − h/n would lose all digits for h close to n.
        fewer = np.minimum(h, tails)
        interior = (_stirling_error(n) - _stirling_error(h) - _stirling_error(tails)
                    - _deviance(h, mean_heads, -mean_heads_error)
                    - _deviance(tails, mean_tails, tails_error - mean_tails_error)
                    - 0.5 * (_LOG_2PI + np.log(fewer) + np.log1p(-fewer / n)))
        # All tails or all heads: (1 − θ)^n or θ^n, with 0·log 0 = 0 at θ = 0 or 1.
        ends = np.where(h == 0, xlog1py(n, -t), xlogy(n, t))
        inside = (t > 0) & (t < 1)        # θ = 0 or 1 cannot give 0 < h < n
        return np.where((h == 0) | (h == n), ends, np.where(inside, interior, -np.inf))


def _impossible(heads, n_tosses, theta):
    """(S, 2): set s has probability exactly 0 under coin k (θ_k = 0 and a head, or θ_k = 1 and
    a tail). Any other -inf of _log_binomial_pmf is an overflow."""
    return (((theta == 0)[None, :] & (heads > 0)[:, None])
            | ((theta == 1)[None, :] & (heads < n_tosses)[:, None]))


def _raise_if_overflow(log_pmf, heads, n_tosses, theta):
    overflow = ~np.isfinite(log_pmf) & ~_impossible(heads, n_tosses, theta)
    if np.any(overflow):
        s = int(np.flatnonzero(overflow.any(axis=1))[0])
        raise ValueError(f"set {s} ({heads[s]:.6g} heads in {n_tosses[s]:.6g} tosses, n_tosses) "
                         f"has log-probability below −{_FLOAT_MAX:.3g} under theta = "
                         f"{theta.tolist()}, beyond float64's range; use shorter sets")


def _e_step(heads, n_tosses, theta):
    """e_step without the input checks; also returns the per-set log p(h_s | θ) without the
    constant log ½ (log Σ_k Bin(h_s | n_s, θ_k))."""
    return _posterior(_log_binomial_pmf(heads, n_tosses, theta))


def _posterior(log_pmf):
    """γ (S, 2) and log Σ_k Bin(h_s | n_s, θ_k) (S,) from the (S, 2) log-probabilities."""
    log_norm = np.logaddexp(log_pmf[:, 0], log_pmf[:, 1])     # log-sum-exp of two, stably
    # A set impossible under both coins has log_norm = -inf and no responsibilities; e_step
    # raises for it. (After an M-step it cannot happen: each set has positive weight on some
    # coin, whose θ is then a weighted mean including that set's fraction of heads.)
    with np.errstate(invalid="ignore"):
        return np.exp(log_pmf - log_norm[:, None]), log_norm


def _total(log_norm) -> float:
    """Σ_s (log ½ + log_norm_s), the log-likelihood of all sets."""
    with np.errstate(over="ignore"):
        return float(np.sum(log_norm + _LOG_HALF))


def _checked_log_likelihood(heads, n_tosses, theta) -> float:
    """log p(h | θ) of checked counts, or a ValueError where it overflows float64."""
    log_pmf = _log_binomial_pmf(heads, n_tosses, theta)
    _raise_if_overflow(log_pmf, heads, n_tosses, theta)
    total = _total(_posterior(log_pmf)[1])
    if total == -np.inf and not np.any(np.all(_impossible(heads, n_tosses, theta), axis=1)):
        raise ValueError(f"log p(heads | n_tosses, theta) is below −{_FLOAT_MAX:.3g}, beyond "
                         "float64's range, although every set is possible: there are too many "
                         "tosses for this theta")
    return total


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
    log_pmf = _log_binomial_pmf(heads, n_tosses, theta)
    _raise_if_overflow(log_pmf, heads, n_tosses, theta)
    resp, log_norm = _posterior(log_pmf)
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
    return _checked_log_likelihood(heads, n_tosses, theta)


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
        # Σh / Σn of counts scaled by the longest set, so that the sums cannot overflow.
        scale = float(n_tosses.max())
        self.pooled = float((heads / scale).sum() / (n_tosses / scale).sum())

    def e_step(self, theta):
        resp, log_norm = _e_step(self.heads, self.n_tosses, theta)
        statistics = CoinsStatistics(resp.T @ self.heads, resp.T @ self.n_tosses)
        return statistics, _total(log_norm)

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
    # The start's log-likelihood must be a float; EM only raises it from there.
    _checked_log_likelihood(heads, n_tosses, theta)
    thetas = []

    def record(t, theta, objective):
        thetas.append(theta)
        if callback is not None:
            callback(t, theta, objective)

    result = run(CoinsModel(heads, n_tosses), theta, max_iter=max_iter, tol=tol, callback=record)
    resp, _ = _e_step(heads, n_tosses, result.params)
    return result.extend(CoinsResult, thetas=np.array(thetas), resp=resp)
