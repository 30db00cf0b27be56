"""Tests for emlib.divergences: closed forms, an independent reference (scipy.stats.entropy),
the identity log p(x) = ELBO + KL, the 0·log 0 and +inf limits, and input checks."""

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from emlib.divergences import elbo, entropy, kl_divergence, log_evidence, posterior
from emlib.gmm import GaussianMixtureParams, e_step, estimate_log_prob

SETTINGS = settings(max_examples=60, deadline=None)


def _random_distributions(rng, shape, zeros=False):
    q = rng.random(shape)
    if zeros:
        q[rng.random(shape) < 0.3] = 0.0
        q[..., 0] += 0.1                       # keep every distribution non-empty
    return q / q.sum(axis=-1, keepdims=True)


@st.composite
def distributions(draw, n_values=None, allow_zeros=True):
    """A 1-D probability vector, sometimes with exact zeros."""
    k = draw(st.integers(1, 8)) if n_values is None else n_values
    low = 0.0 if allow_zeros else 1e-3
    weights = draw(st.lists(st.floats(low, 1.0, allow_subnormal=False), min_size=k, max_size=k))
    weights = np.array(weights)
    if weights.sum() == 0:
        weights[draw(st.integers(0, k - 1))] = 1.0
    return weights / weights.sum()


# --------------------------------------------------------------------------------------------
# entropy
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("k", [1, 2, 3, 7, 100])
def test_entropy_of_uniform_is_log_k(k):
    assert entropy(np.full(k, 1.0 / k)) == pytest.approx(np.log(k), rel=1e-14, abs=1e-15)


@pytest.mark.parametrize("a", [0.1, 0.3, 0.5, 0.9])
def test_entropy_of_bernoulli(a):
    expected = -(a * np.log(a) + (1 - a) * np.log(1 - a))
    assert entropy([a, 1 - a]) == pytest.approx(expected, rel=1e-14)


def test_entropy_zero_log_zero_is_zero():
    assert entropy([0.0, 1.0, 0.0]) == 0.0
    assert not np.signbit(entropy([1.0]))                 # 0.0, not -0.0
    # Zeros change nothing: the same as without them.
    assert entropy([0.25, 0.0, 0.75, 0.0]) == pytest.approx(entropy([0.25, 0.75]), rel=1e-15)


def test_entropy_matches_scipy_stats_on_a_batch():
    rng = np.random.default_rng(0)
    q = _random_distributions(rng, (20, 6), zeros=True)
    result = entropy(q)
    assert result.shape == (20,)
    np.testing.assert_allclose(result, scipy.stats.entropy(q, axis=1), rtol=1e-13)


def test_entropy_axis():
    rng = np.random.default_rng(1)
    q = _random_distributions(rng, (4, 5))
    np.testing.assert_allclose(entropy(q.T, axis=0), entropy(q), rtol=1e-15)
    cube = _random_distributions(rng, (2, 3, 4)).transpose(0, 2, 1)     # distributions on axis 1
    np.testing.assert_allclose(entropy(cube, axis=1), entropy(cube.transpose(0, 2, 1)), rtol=1e-15)


@SETTINGS
@given(distributions())
def test_entropy_between_zero_and_log_k(q):
    h = entropy(q)
    assert 0.0 <= h <= np.log(q.size) + 1e-12


# --------------------------------------------------------------------------------------------
# KL divergence
# --------------------------------------------------------------------------------------------
def test_kl_of_two_bernoullis():
    a, b = 0.3, 0.6
    expected = a * np.log(a / b) + (1 - a) * np.log((1 - a) / (1 - b))
    assert kl_divergence([a, 1 - a], [b, 1 - b]) == pytest.approx(expected, rel=1e-14)
    assert kl_divergence([a, 1 - a], [b, 1 - b]) == pytest.approx(0.1837869, abs=1e-7)


def test_kl_is_not_symmetric():
    q, p = [0.3, 0.7], [0.6, 0.4]
    assert kl_divergence(q, p) != pytest.approx(kl_divergence(p, q), rel=1e-3)
    assert kl_divergence(p, q) == pytest.approx(0.6 * np.log(2) + 0.4 * np.log(4 / 7), rel=1e-14)


def test_kl_matches_scipy_stats_on_a_batch():
    rng = np.random.default_rng(2)
    q = _random_distributions(rng, (30, 5), zeros=True)
    p = _random_distributions(rng, (30, 5))
    result = kl_divergence(q, p)
    assert result.shape == (30,)
    np.testing.assert_allclose(result, scipy.stats.entropy(q, p, axis=1), rtol=1e-12)
    np.testing.assert_allclose(kl_divergence(q.T, p.T, axis=0), result, rtol=1e-15)


def test_kl_zero_where_q_is_zero():
    # 0·log(0/p) = 0: only the mass of q counts. KL([1, 0] ‖ [1/2, 1/2]) = log 2.
    assert kl_divergence([1.0, 0.0], [0.5, 0.5]) == pytest.approx(np.log(2), rel=1e-15)
    # ... even where p is also 0.
    assert kl_divergence([1.0, 0.0], [1.0, 0.0]) == 0.0


def test_kl_infinite_where_p_is_zero_and_q_is_not():
    assert kl_divergence([0.5, 0.5], [1.0, 0.0]) == np.inf
    batch = kl_divergence([[0.5, 0.5], [0.5, 0.5]], [[1.0, 0.0], [0.5, 0.5]])
    assert batch[0] == np.inf and batch[1] == 0.0


@SETTINGS
@given(distributions(n_values=5), distributions(n_values=5))
def test_kl_non_negative_and_matches_scipy(q, p):
    kl = kl_divergence(q, p)
    assert kl >= 0.0
    reference = scipy.stats.entropy(q, p)
    assert kl == reference or abs(kl - reference) <= 1e-12 * max(1.0, abs(reference))


def test_kl_not_negative_from_rounding_when_q_is_close_to_p():
    # Summed as is, Σ q log(q/p) for this pair is -6.9e-17: rounding, not a negative divergence.
    q = [0.35834294920986254, 0.1517770512608444, 0.023050952198647816, 0.009298144263062863,
         0.4575309030675823]
    p = [0.3583429494240744, 0.15177705149460982, 0.023050952225923325, 0.009298144258715555,
         0.4575309025966769]
    assert 0.0 <= kl_divergence(q, p) <= 1e-15


@SETTINGS
@given(distributions())
def test_kl_of_a_distribution_with_itself_is_zero(q):
    assert kl_divergence(q, q) == 0.0


@SETTINGS
@given(distributions(n_values=4, allow_zeros=False), st.integers(0, 3), st.floats(0.05, 0.5))
def test_kl_positive_when_distributions_differ(q, k, shift):
    # Move `shift` of the mass to value k: a genuinely different p.
    p = (1 - shift) * q
    p[k] += shift
    assert kl_divergence(q, p) > 1e-6
    assert kl_divergence(p, q) > 1e-6


# --------------------------------------------------------------------------------------------
# log_evidence and posterior
# --------------------------------------------------------------------------------------------
def test_log_evidence_does_not_overflow():
    assert log_evidence([1000.0, 1000.0]) == pytest.approx(1000 + np.log(2), rel=1e-15)
    assert log_evidence([-1000.0, -1000.0, -np.inf]) == pytest.approx(-1000 + np.log(2), rel=1e-15)


def test_log_evidence_of_impossible_x_is_minus_inf():
    assert log_evidence([-np.inf, -np.inf]) == -np.inf
    np.testing.assert_array_equal(log_evidence([[-np.inf, -np.inf], [0.0, 0.0]]),
                                  [-np.inf, np.log(2)])


def test_posterior_is_a_stable_softmax():
    np.testing.assert_allclose(posterior([1000.0, 1001.0]),
                               [1 / (1 + np.e), np.e / (1 + np.e)], rtol=1e-14)
    np.testing.assert_array_equal(posterior([0.0, -np.inf]), [1.0, 0.0])
    rng = np.random.default_rng(3)
    log_joint = rng.normal(size=(5, 3))
    expected = np.exp(log_joint) / np.exp(log_joint).sum(axis=0)
    np.testing.assert_allclose(posterior(log_joint, axis=0), expected, rtol=1e-14)


def _mixture():
    return GaussianMixtureParams([0.3, 0.7], [[0.0, 0.0], [2.0, 1.0]],
                                 [[[1.0, 0.3], [0.3, 0.5]], [[0.6, 0.0], [0.0, 2.0]]])


def test_posterior_of_gmm_log_joint_is_the_e_step_responsibility():
    X = np.random.default_rng(4).normal(size=(50, 2)) * 2
    params = _mixture()
    resp, total = e_step(X, params)
    log_joint = estimate_log_prob(X, params)
    np.testing.assert_allclose(posterior(log_joint), resp, rtol=1e-12, atol=1e-300)
    assert log_evidence(log_joint).sum() == pytest.approx(total, rel=1e-13)


# --------------------------------------------------------------------------------------------
# ELBO
# --------------------------------------------------------------------------------------------
def test_elbo_closed_form():
    # Σ q (log p(x,z) − log q) for q = (1/4, 3/4), log p(x, z) = (−1, −2).
    expected = 0.25 * (-1 - np.log(0.25)) + 0.75 * (-2 - np.log(0.75))
    assert elbo([-1.0, -2.0], [0.25, 0.75]) == pytest.approx(expected, rel=1e-15)


def test_elbo_is_tight_at_the_posterior_and_below_elsewhere():
    log_joint = np.array([-1.0, -2.5, -0.3])
    assert elbo(log_joint, posterior(log_joint)) == pytest.approx(log_evidence(log_joint),
                                                                  rel=1e-15)
    assert elbo(log_joint, [1 / 3, 1 / 3, 1 / 3]) < log_evidence(log_joint) - 1e-3


def test_elbo_ignores_minus_inf_where_q_is_zero():
    value = elbo([-1.0, -np.inf], [1.0, 0.0])
    assert value == -1.0
    assert elbo([-np.inf, -np.inf, -3.0], [0.0, 0.0, 1.0]) == -3.0


def test_elbo_minus_inf_where_q_puts_mass_on_an_impossible_z():
    assert elbo([-1.0, -np.inf], [0.5, 0.5]) == -np.inf


def test_elbo_batched_shapes_and_gmm_bound():
    X = np.random.default_rng(5).normal(size=(40, 2)) * 2
    params = _mixture()
    log_joint = estimate_log_prob(X, params)                   # (N, K)
    resp, total = e_step(X, params)
    per_sample = elbo(log_joint, resp)
    assert per_sample.shape == (40,)
    assert per_sample.sum() == pytest.approx(total, rel=1e-12)   # E-step makes the bound tight
    uniform = np.full_like(resp, 0.5)
    assert np.all(elbo(log_joint, uniform) <= per_sample + 1e-12)
    assert elbo(log_joint, uniform).sum() < total - 1.0
    np.testing.assert_allclose(elbo(log_joint.T, resp.T, axis=0), per_sample, rtol=1e-15)


@st.composite
def log_joints_and_q(draw):
    """log p(x, z) in [-30, 30] (no posterior underflow) and q with q = 0 where it is -inf."""
    k = draw(st.integers(1, 8))
    q = draw(distributions(n_values=k))
    values = draw(st.lists(st.floats(-30.0, 30.0), min_size=k, max_size=k))
    impossible = draw(st.lists(st.booleans(), min_size=k, max_size=k))
    log_joint = np.where(np.array(impossible) & (q == 0), -np.inf, values)
    return log_joint, q


@SETTINGS
@given(log_joints_and_q())
def test_log_evidence_is_elbo_plus_kl_to_the_posterior(case):
    log_joint, q = case
    identity = elbo(log_joint, q) + kl_divergence(q, posterior(log_joint))
    assert abs(log_evidence(log_joint) - identity) <= 1e-12


def test_identity_on_a_batch():
    rng = np.random.default_rng(6)
    log_joint = rng.normal(scale=10.0, size=(100, 4))
    q = _random_distributions(rng, (100, 4), zeros=True)
    identity = elbo(log_joint, q) + kl_divergence(q, posterior(log_joint))
    np.testing.assert_allclose(log_evidence(log_joint), identity, rtol=0, atol=1e-12)


# --------------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("q, error, message", [
    ([0.5, 0.6], ValueError, r"^q must sum to 1"),
    ([1.2, -0.2], ValueError, r"^q must be non-negative, but q\[1\]"),
    ([0.5, np.nan, 0.5], ValueError, r"^q must be finite"),
    ("abc", TypeError, r"^q must be an array of numbers"),
    ([["a", "b"]], TypeError, r"^q must be an array of numbers"),
    (0.5, ValueError, r"^q must be an array with at least 1 dimension"),
    ([], ValueError, r"^q is empty"),
])
def test_entropy_rejects_bad_q(q, error, message):
    with pytest.raises(error, match=message):
        entropy(q)


def test_distribution_checks_follow_axis():
    q = np.array([[0.2, 0.5], [0.8, 0.5]])                # columns are distributions, rows not
    np.testing.assert_allclose(entropy(q, axis=0), entropy(q.T))
    with pytest.raises(ValueError, match=r"^each row of q must sum to 1"):
        entropy(q)
    negative = np.array([[0.5, 1.5], [0.5, -0.5]])
    with pytest.raises(ValueError, match=r"^q must be non-negative, but q\[1, 1\]"):
        entropy(negative, axis=0)                         # index as given, not transposed


@pytest.mark.parametrize("axis, error, message", [
    (2, ValueError, r"^axis must be at most 1 \(q has 2 dimension"),
    (-3, ValueError, r"^axis must be at least -2"),
    (0.0, TypeError, r"^axis must be an integer"),
])
def test_bad_axis(axis, error, message):
    with pytest.raises(error, match=message):
        entropy(np.full((2, 2), 0.5), axis=axis)


@pytest.mark.parametrize("q, p, message", [
    ([0.5, 0.5], [0.5, 0.4], r"^p must sum to 1"),
    ([0.5, 0.4], [0.5, 0.5], r"^q must sum to 1"),
    ([0.5, 0.5], [1.5, -0.5], r"^p must be non-negative"),
    ([0.5, 0.5], [1.0, 0.0, 0.0], r"^q has shape \(2,\) but p has shape \(3,\)"),
    ([0.5, 0.5], [0.5, np.inf], r"^p must be finite"),
    ([[0.5, 0.5]], [0.7, 0.3], r"^q has shape \(1, 2\) but p has shape \(2,\)"),
    ([0.5, 0.5], [[0.7, 0.3]], r"^q has shape \(2,\) but p has shape \(1, 2\)"),
])
def test_kl_rejects_bad_input(q, p, message):
    with pytest.raises(ValueError, match=message):
        kl_divergence(q, p)


def test_kl_rejects_non_numeric():
    with pytest.raises(TypeError, match=r"^p must be an array of numbers"):
        kl_divergence([0.5, 0.5], None)


@pytest.mark.parametrize("log_joint, q, error, message", [
    ([0.0, np.nan], [0.5, 0.5], ValueError, r"^log_joint must be finite, but log_joint\[1\] = nan"),
    ([0.0, np.inf], [0.5, 0.5], ValueError, r"^log_joint must be finite, but log_joint\[1\] = inf"),
    ([0.0, 0.0, 0.0], [0.5, 0.5], ValueError,
     r"^log_joint has shape \(3,\) but q has shape \(2,\)"),
    ([0.0, 0.0], [0.5, 0.6], ValueError, r"^q must sum to 1"),
    ([0.0, 0.0], [[0.5, 0.5]], ValueError, r"^log_joint has shape \(2,\) but q has shape \(1, 2\)"),
    ("ab", [0.5, 0.5], TypeError, r"^log_joint must be an array of numbers"),
    ([0.0, 0.0], "ab", TypeError, r"^q must be an array of numbers"),
])
def test_elbo_rejects_bad_input(log_joint, q, error, message):
    with pytest.raises(error, match=message):
        elbo(log_joint, q)


@pytest.mark.parametrize("function", [log_evidence, posterior])
def test_log_joint_functions_reject_bad_input(function):
    with pytest.raises(ValueError, match=r"^log_joint must be finite, but log_joint\[0, 1\] = nan"):
        function([[0.0, np.nan]])
    with pytest.raises(TypeError, match=r"^log_joint must be an array of numbers"):
        function(None)
    with pytest.raises(ValueError, match=r"^log_joint is empty"):
        function([])
    with pytest.raises(ValueError, match=r"^axis must be at most 0 \(log_joint has 1 dimension"):
        function([0.0, 1.0], axis=1)


def test_posterior_rejects_impossible_x():
    with pytest.raises(ValueError, match=r"^log_joint is -inf for every z at \[1\]"):
        posterior([[0.0, 1.0], [-np.inf, -np.inf]])
    with pytest.raises(ValueError, match=r"^log_joint is -inf for every z: p\(x\) = 0"):
        posterior([-np.inf, -np.inf])


# --------------------------------------------------------------------------------------------
# Bad dtypes: strings, complex numbers, booleans, dates, objects and masked arrays
# --------------------------------------------------------------------------------------------
_Q = np.array([[0.2, 0.3, 0.5], [0.6, 0.2, 0.2]])
_BAD_DTYPES = {
    "strings": _Q.astype(str), "complex": _Q.astype(complex), "booleans": _Q > 0.25,
    "dates": np.full(_Q.shape, np.datetime64("2024-01-01")),
    "objects": np.array([[0.2, None, 0.5], [0.6, 0.2, 0.2]], dtype=object),
    "masked": np.ma.masked_array(_Q, mask=[[1, 0, 0], [0, 0, 0]]),
}
_FUNCTIONS = {"entropy": (entropy, ("q",)), "kl_divergence": (kl_divergence, ("q", "p")),
              "elbo": (elbo, ("log_joint", "q")), "log_evidence": (log_evidence, ("log_joint",)),
              "posterior": (posterior, ("log_joint",))}


@pytest.mark.parametrize("kind", sorted(_BAD_DTYPES))
@pytest.mark.parametrize("function_name, argument", [(f, a) for f, (_, args) in _FUNCTIONS.items()
                                                     for a in args])
def test_every_function_rejects_bad_dtypes_naming_the_argument(function_name, argument, kind):
    function, names = _FUNCTIONS[function_name]
    valid = {"q": _Q, "p": _Q[::-1], "log_joint": np.log(_Q)}
    kwargs = {name: valid[name] for name in names} | {argument: _BAD_DTYPES[kind]}
    with pytest.raises(TypeError, match=rf"^{argument} "):
        function(**kwargs)


def test_a_distribution_along_the_wrong_axis_names_the_axis():
    with pytest.raises(ValueError, match=r"along axis 0 of q \(the argument axis\)"):
        entropy(_Q, axis=0)
