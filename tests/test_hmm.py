"""Tests for emlib.hmm: forward–backward, Viterbi and Baum–Welch against brute-force enumeration,
a log-space forward pass and hmmlearn; several sequences; the statistics seam; input checks."""

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from emlib import checks, gmm, hmm
from emlib import hmm_reference as ref


def random_categorical(rng, n_states=3, n_symbols=4):
    return hmm.CategoricalHMMParams(rng.dirichlet(np.ones(n_states)),
                                    rng.dirichlet(np.ones(n_states), size=n_states),
                                    rng.dirichlet(np.ones(n_symbols), size=n_states))


def random_gaussian(rng, n_states=3, n_features=2, self_transition=None):
    factors = rng.normal(size=(n_states, n_features, n_features))
    covariances = factors @ factors.transpose(0, 2, 1) + 0.3 * np.eye(n_features)
    transitions = (rng.dirichlet(np.ones(n_states), size=n_states) if self_transition is None
                   else hmm.sticky_transitions(n_states, self_transition))
    return hmm.GaussianHMMParams(rng.dirichlet(np.ones(n_states)), transitions,
                                 rng.normal(scale=2.0, size=(n_states, n_features)), covariances)


# --------------------------------------------------------------------------------------------
# The references themselves
# --------------------------------------------------------------------------------------------
def test_enumeration_of_one_step_is_bayes_rule():
    params = random_categorical(np.random.default_rng(0))
    truth = ref.enumerate_paths([2], params)
    joint = params.initial * params.emissions[:, 2]
    np.testing.assert_allclose(truth.log_likelihood, np.log(joint.sum()), rtol=1e-14)
    np.testing.assert_allclose(truth.resp[0], joint / joint.sum(), rtol=1e-14)
    assert truth.xi.shape == (0, 3, 3) and truth.best_path[0] == np.argmax(joint)


def test_enumeration_of_two_steps_by_hand():
    params = random_gaussian(np.random.default_rng(1), n_features=1)
    x = np.array([[0.3], [-1.2]])
    b = np.array([[multivariate_normal(m, c).pdf(xt[0]) for m, c in
                   zip(params.means[:, 0], params.covariances[:, 0, 0])] for xt in x])
    joint = params.initial[:, None] * b[0][:, None] * params.transitions * b[1][None, :]
    truth = ref.enumerate_paths(x, params)
    np.testing.assert_allclose(truth.log_likelihood, np.log(joint.sum()), rtol=1e-13)
    np.testing.assert_allclose(truth.xi[0], joint / joint.sum(), rtol=1e-12)
    assert tuple(truth.best_path) == np.unravel_index(np.argmax(joint), joint.shape)


def test_enumeration_refuses_long_sequences():
    with pytest.raises(ValueError, match="too many"):
        ref.enumerate_paths(np.zeros(30, int), random_categorical(np.random.default_rng(0)))


# --------------------------------------------------------------------------------------------
# Forward–backward and Viterbi against brute force (1e-12)
# --------------------------------------------------------------------------------------------
CASES = [("categorical", seed, t) for seed in range(4) for t in (1, 2, 7)] + \
        [("gaussian", seed, t) for seed in range(4) for t in (1, 3, 8)]


def _problem(kind, seed, n_times):
    rng = np.random.default_rng(seed)
    if kind == "categorical":
        params = random_categorical(rng, n_states=2 + seed % 2, n_symbols=3 + seed)
    else:
        params = random_gaussian(rng, n_states=2 + seed % 2, n_features=1 + seed % 2)
    X, _ = hmm.sample(params, n_times, random_state=rng)
    return X, params


@pytest.mark.parametrize("kind, seed, n_times", CASES)
def test_forward_backward_and_viterbi_agree_with_enumeration(kind, seed, n_times):
    X, params = _problem(kind, seed, n_times)
    result = hmm.forward_backward(X, params)
    ref.check_posteriors(X, params, log_likelihood=result.log_likelihood, resp=result.resp,
                         xi=result.xi, atol=1e-12)
    path, log_joint = hmm.viterbi(X, params)
    ref.check_viterbi(X, params, path, log_joint)
    # The messages mean what the docstring says: f̂_t = p(z_t | x_0..t), Σ log c_t = log p(X).
    np.testing.assert_allclose(result.log_scales.sum(), result.log_likelihood, rtol=1e-14)
    np.testing.assert_allclose(result.forward.sum(axis=1), 1.0, rtol=1e-14)
    last = ref.enumerate_paths(X, params).resp[-1]
    np.testing.assert_allclose(result.forward[-1], last, atol=1e-12)
    np.testing.assert_allclose(result.backward[-1], 1.0)
    assert hmm.log_likelihood(X, params) == pytest.approx(result.log_likelihood, rel=1e-14)


def test_e_step_returns_resp_xi_and_log_likelihood():
    X, params = _problem("categorical", 0, 7)
    resp, xi, log_lik = hmm.e_step(X, params)
    full = hmm.forward_backward(X, params)
    assert np.array_equal(resp, full.resp) and np.array_equal(xi, full.xi)
    assert log_lik == full.log_likelihood


def test_zero_transitions_and_emissions_are_handled_in_log_space():
    params = hmm.CategoricalHMMParams([1.0, 0.0, 0.0], [[0.0, 1.0, 0.0], [0.0, 0.5, 0.5],
                                                        [0.5, 0.0, 0.5]],
                                      [[0.7, 0.3, 0.0], [0.2, 0.2, 0.6], [0.0, 0.5, 0.5]])
    X = np.array([0, 2, 1, 1, 0, 2])
    result = hmm.forward_backward(X, params)
    ref.check_posteriors(X, params, log_likelihood=result.log_likelihood, resp=result.resp,
                         xi=result.xi)
    path, log_joint = hmm.viterbi(X, params)
    ref.check_viterbi(X, params, path, log_joint)


def test_an_impossible_sequence_raises_naming_the_sequence():
    params = hmm.CategoricalHMMParams([1.0, 0.0], [[1.0, 0.0], [0.0, 1.0]],
                                      [[1.0, 0.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="sequence 1 has probability 0"):
        hmm.forward_backward([0, 0, 0, 1], params, lengths=[2, 2])
    with pytest.raises(ValueError, match="probability 0"):
        hmm.viterbi([0, 1], params)
    assert hmm.log_likelihood([0, 1], params) == -np.inf
    with pytest.raises(ValueError, match="init"):
        hmm.fit([0, 1], 2, init=params, max_iter=3)


# --------------------------------------------------------------------------------------------
# Long sequences: scaling, and emission densities far below the smallest double
# --------------------------------------------------------------------------------------------
def test_long_sequence_matches_the_log_space_forward_pass():
    params = random_gaussian(np.random.default_rng(3), n_states=3, n_features=2,
                             self_transition=0.9)
    X, _ = hmm.sample(params, 3000, random_state=4)
    value = hmm.log_likelihood(X, params)
    assert value < -5000                              # p(X) itself is far below 1e-308
    ref.check_log_likelihood(X, params, value, rtol=1e-11)


def test_outliers_far_from_every_state_do_not_underflow():
    params = random_gaussian(np.random.default_rng(5), n_states=2, n_features=1)
    X = np.array([[0.0], [1e3], [-4e3], [0.5]])      # log b ≈ −1e7: exp underflows to 0
    result = hmm.forward_backward(X, params)
    assert np.all(np.isfinite(result.resp)) and np.isfinite(result.log_likelihood)
    # log b ≈ −1e7 carries a rounding error of ~eps·1e7 ≈ 2e-9 in either implementation.
    ref.check_posteriors(X, params, resp=result.resp, xi=result.xi, atol=1e-8)
    ref.check_log_likelihood(X, params, result.log_likelihood, rtol=1e-12)


# --------------------------------------------------------------------------------------------
# Several sequences
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["categorical", "gaussian"])
def test_several_sequences_are_independent_and_order_does_not_matter(kind):
    rng = np.random.default_rng(11)
    params = random_categorical(rng) if kind == "categorical" else random_gaussian(rng)
    lengths = np.array([5, 1, 9, 9, 2, 4])
    X, states = hmm.sample(params, lengths, random_state=rng)
    together = hmm.forward_backward(X, params, lengths=lengths)
    path, log_joint = hmm.viterbi(X, params, lengths=lengths)
    starts = np.cumsum(lengths) - lengths
    pair_start = 0
    total_joint = 0.0
    for start, length, s in zip(starts, lengths, range(len(lengths))):
        alone = hmm.forward_backward(X[start:start + length], params)
        np.testing.assert_allclose(together.resp[start:start + length], alone.resp, atol=1e-14)
        np.testing.assert_allclose(together.forward[start:start + length], alone.forward,
                                   atol=1e-14)
        np.testing.assert_allclose(together.xi[pair_start:pair_start + length - 1], alone.xi,
                                   atol=1e-14)
        np.testing.assert_allclose(together.sequence_log_likelihoods[s], alone.log_likelihood,
                                   rtol=1e-14)
        alone_path, alone_joint = hmm.viterbi(X[start:start + length], params)
        assert np.array_equal(path[start:start + length], alone_path)
        pair_start += length - 1
        total_joint += alone_joint
    np.testing.assert_allclose(log_joint, total_joint, rtol=1e-13)
    ref.check_log_likelihood(X, params, together.log_likelihood, lengths=lengths)
    # Running the sequences together as one is a different (wrong) answer.
    with pytest.raises(AssertionError):
        ref.check_log_likelihood(X, params, hmm.log_likelihood(X, params), lengths=lengths)


def test_sampled_transitions_have_the_right_frequencies():
    params = random_categorical(np.random.default_rng(2))
    lengths = [400, 300, 500]
    X, states = hmm.sample(params, lengths, random_state=0)
    assert X.shape == states.shape == (1200,) and X.max() < params.n_symbols
    counts = ref.check_transition_frequencies(states, params.transitions, lengths=lengths)
    assert counts.sum() == 1200 - 3
    again, _ = hmm.sample(params, lengths, random_state=0)
    assert np.array_equal(X, again)
    # ... and the check fails on a sampler that forgets the previous state.
    rng = np.random.default_rng(0)
    iid = rng.choice(3, size=1200, p=params.initial)
    with pytest.raises(AssertionError, match="went to"):
        ref.check_transition_frequencies(iid, params.transitions, lengths=lengths)


def test_gaussian_samples_have_the_emission_moments():
    params = random_gaussian(np.random.default_rng(8), n_states=2, n_features=2)
    X, states = hmm.sample(params, [20000], random_state=1)
    for k in range(2):
        members = X[states == k]
        np.testing.assert_allclose(members.mean(axis=0), params.means[k], atol=0.06)
        np.testing.assert_allclose(np.cov(members.T), params.covariances[k], atol=0.1)


# --------------------------------------------------------------------------------------------
# Baum–Welch against hmmlearn (same start, nothing re-initialised): 1e-8
# --------------------------------------------------------------------------------------------
def test_categorical_baum_welch_matches_hmmlearn():
    rng = np.random.default_rng(21)
    truth = random_categorical(rng, n_states=3, n_symbols=5)
    lengths = [60, 35, 80, 45]
    X, _ = hmm.sample(truth, lengths, random_state=rng)
    start = hmm.CategoricalHMMParams(np.full(3, 1 / 3), hmm.sticky_transitions(3, 0.5),
                                     rng.dirichlet(np.ones(5), size=3))
    ours = hmm.fit(X, 3, init=start, lengths=lengths, max_iter=25, tol=0.0)
    theirs = ref.hmmlearn_fit(X, start, 25, lengths=lengths)
    ref.check_same_params(ours.params, theirs, atol=1e-8)
    checks.check_monotone(ours.objectives)


@pytest.mark.parametrize("n_features", [1, 2, 3])
def test_gaussian_full_covariance_baum_welch_matches_hmmlearn(n_features):
    rng = np.random.default_rng(30 + n_features)
    truth = random_gaussian(rng, n_states=3, n_features=n_features, self_transition=0.85)
    lengths = [120, 70, 150]
    X, _ = hmm.sample(truth, lengths, random_state=rng)
    start = hmm.GaussianHMMParams(np.full(3, 1 / 3), np.full((3, 3), 1 / 3),
                                  truth.means + rng.normal(scale=0.7, size=truth.means.shape),
                                  np.tile(2.0 * np.eye(n_features), (3, 1, 1)))
    ours = hmm.fit(X, 3, init=start, lengths=lengths, max_iter=20, tol=0.0, reg_covar=0.0)
    theirs = ref.hmmlearn_fit(X, start, 20, lengths=lengths)
    ref.check_same_params(ours.params, theirs, atol=1e-8)


def test_same_params_check_fails_on_one_iteration_too_many():
    rng = np.random.default_rng(21)
    truth = random_categorical(rng)
    X, _ = hmm.sample(truth, 200, random_state=rng)
    start = random_categorical(rng)
    ours = hmm.fit(X, 3, init=start, max_iter=6, tol=0.0)
    with pytest.raises(AssertionError, match="differ"):
        ref.check_same_params(ours.params, ref.hmmlearn_fit(X, start, 5), atol=1e-8)


# --------------------------------------------------------------------------------------------
# The statistics seam
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["categorical", "gaussian"])
def test_public_e_and_m_step_are_one_iteration_of_fit(kind):
    rng = np.random.default_rng(40)
    params = random_categorical(rng) if kind == "categorical" else random_gaussian(rng)
    lengths = [30, 12, 25]
    X, _ = hmm.sample(params, lengths, random_state=rng)
    resp, xi, _ = hmm.e_step(X, params, lengths=lengths)
    statistics = hmm.expected_statistics(X, resp, xi, params, lengths=lengths)
    one = hmm.m_step(statistics, params, reg_covar=0.0)
    fitted = hmm.fit(X, params.n_states, init=params, lengths=lengths, max_iter=1, tol=0.0,
                     reg_covar=0.0)
    ref.check_same_params(one, fitted.params, atol=1e-12)
    # The driver's statistics are those of the final parameters, and add over sequences.
    driver_stats = fitted.statistics
    resp1, xi1, _ = hmm.e_step(X, fitted.params, lengths=lengths)
    again = hmm.expected_statistics(X, resp1, xi1, fitted.params, lengths=lengths)
    np.testing.assert_allclose(driver_stats.transitions, again.transitions, rtol=1e-12)
    first, rest = slice(0, 30), slice(30, None)
    a = hmm.expected_statistics(X[first], *hmm.e_step(X[first], params)[:2], params)
    b = hmm.expected_statistics(X[rest], *hmm.e_step(X[rest], params, lengths=[12, 25])[:2],
                                params, lengths=[12, 25])
    np.testing.assert_allclose((a + b).transitions, statistics.transitions, rtol=1e-12)
    assert statistics.initial.sum() == pytest.approx(3.0)
    assert statistics.transitions.sum() == pytest.approx(sum(lengths) - 3)


def test_m_step_by_counting_with_known_states():
    """With one-hot γ (the states known) the M-step is counting."""
    params = random_categorical(np.random.default_rng(3))
    X, states = hmm.sample(params, 500, random_state=3)
    resp = np.eye(3)[states]
    xi = resp[:-1, :, None] * resp[1:, None, :]
    new = hmm.m_step(hmm.expected_statistics(X, resp, xi, params), params)
    counts = np.zeros((3, 3))
    np.add.at(counts, (states[:-1], states[1:]), 1)
    np.testing.assert_allclose(new.transitions, counts / counts.sum(axis=1, keepdims=True))
    emitted = np.zeros((3, 4))
    np.add.at(emitted, (states, X), 1)
    np.testing.assert_allclose(new.emissions, emitted / emitted.sum(axis=1, keepdims=True))
    np.testing.assert_allclose(new.initial, np.eye(3)[states[0]])


def test_a_state_never_visited_keeps_its_parameters():
    params = hmm.GaussianHMMParams([0.5, 0.5, 0.0], [[0.5, 0.5, 0.0], [0.5, 0.5, 0.0],
                                                     [1 / 3, 1 / 3, 1 / 3]],
                                   [[0.0], [3.0], [50.0]], [[[1.0]], [[1.0]], [[2.0]]])
    X, _ = hmm.sample(params, 200, random_state=0)
    fitted = hmm.fit(X, 3, init=params, max_iter=5, tol=0.0)
    np.testing.assert_array_equal(fitted.params.means[2], [50.0])
    np.testing.assert_array_equal(fitted.params.transitions[2], params.transitions[2])
    checks.check_monotone(fitted.objectives)


# --------------------------------------------------------------------------------------------
# Mixtures, label switching, helpers
# --------------------------------------------------------------------------------------------
def test_a_mixture_is_an_hmm_whose_rows_are_the_weights():
    X = np.random.default_rng(0).normal(size=(50, 2))
    mixture = gmm.GaussianMixtureParams([0.3, 0.7], [[0.0, 0.0], [1.0, 1.0]],
                                        [np.eye(2), [[1.0, 0.3], [0.3, 0.5]]])
    ref.check_mixture_as_hmm(X, mixture, hmm.from_mixture(mixture))
    resp_hmm = hmm.e_step(X, hmm.from_mixture(mixture))[0]
    np.testing.assert_allclose(resp_hmm, gmm.e_step(X, mixture)[0], atol=1e-12)
    wrong = hmm.GaussianHMMParams([0.5, 0.5], np.tile([0.3, 0.7], (2, 1)), mixture.means,
                                  mixture.covariances)
    with pytest.raises(AssertionError, match="start from"):
        ref.check_mixture_as_hmm(X, mixture, wrong)


def test_fits_from_two_seeds_agree_up_to_relabelling():
    truth = hmm.GaussianHMMParams([0.5, 0.5], [[0.9, 0.1], [0.2, 0.8]], [[-2.0], [2.0]],
                                  [[[1.0]], [[0.5]]])
    X, _ = hmm.sample(truth, 400, random_state=0)
    fits = [hmm.fit(X, 2, random_state=seed, max_iter=300, tol=1e-12) for seed in range(4)]
    orders = {tuple(np.argsort(f.params.means[:, 0])) for f in fits}
    assert len(orders) == 2                          # both labellings occur ...
    for f in fits[1:]:                               # ... and are the same fit
        ref.check_same_params(f.params, fits[0].params, atol=1e-5, permute=True)
    with pytest.raises(AssertionError):
        flipped = [f for f in fits if tuple(np.argsort(f.params.means[:, 0]))
                   != tuple(np.argsort(fits[0].params.means[:, 0]))][0]
        ref.check_same_params(flipped.params, fits[0].params, atol=1e-5)


def test_sticky_transitions_and_n_parameters():
    A = hmm.sticky_transitions(3, 0.8)
    np.testing.assert_allclose(A, [[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]])
    np.testing.assert_allclose(hmm.sticky_transitions(4, 0.25), np.full((4, 4), 0.25))
    categorical = random_categorical(np.random.default_rng(0), n_states=3, n_symbols=6)
    assert hmm.n_parameters(categorical) == 2 + 6 + 15
    gaussian = random_gaussian(np.random.default_rng(0), n_states=2, n_features=2)
    assert hmm.n_parameters(gaussian) == 1 + 2 + 4 + 6


def test_fit_random_start_is_reproducible_and_finds_the_loaded_die():
    truth = hmm.CategoricalHMMParams([0.5, 0.5], [[0.95, 0.05], [0.1, 0.9]],
                                     [[1 / 6] * 6, [0.1] * 5 + [0.5]])
    X, _ = hmm.sample(truth, [300] * 10, random_state=5)
    kwargs = dict(emissions="categorical", lengths=[300] * 10, max_iter=2000, tol=1e-8)
    a = hmm.fit(X, 2, random_state=2, **kwargs)
    b = hmm.fit(X, 2, random_state=2, **kwargs)
    assert np.array_equal(a.objectives, b.objectives) and a.converged
    loaded = int(np.argmax(a.params.emissions[:, 5]))
    assert a.params.emissions[loaded, 5] > 0.4
    assert abs(a.params.emissions[1 - loaded, 5] - 1 / 6) < 0.03
    other = hmm.fit(X, 2, random_state=3, **kwargs)       # the other labelling, same maximum
    ref.check_same_params(other.params, a.params, atol=1e-3, permute=True)
    assert a.resp.shape == (3000, 2)


# --------------------------------------------------------------------------------------------
# Input checks at the edge
# --------------------------------------------------------------------------------------------
CAT = hmm.CategoricalHMMParams([0.5, 0.5], [[0.9, 0.1], [0.2, 0.8]], [[0.5, 0.5], [0.1, 0.9]])
GAUSS = hmm.GaussianHMMParams([0.5, 0.5], [[0.9, 0.1], [0.2, 0.8]], [[0.0], [1.0]],
                              [[[1.0]], [[1.0]]])


@pytest.mark.parametrize("kwargs, error, name", [
    ({"initial": [0.5, 0.6]}, ValueError, "initial"),
    ({"initial": "ab"}, TypeError, "initial"),
    ({"initial": [0.5 + 1j, 0.5]}, TypeError, "initial"),
    ({"initial": [np.nan, 1.0]}, ValueError, "initial"),
    ({"transitions": [[0.9, 0.1]]}, ValueError, "transitions"),
    ({"transitions": [[0.9, 0.2], [0.2, 0.8]]}, ValueError, "transitions"),
    ({"transitions": [[1.1, -0.1], [0.2, 0.8]]}, ValueError, "transitions"),
    ({"emissions": [[0.5, 0.5]]}, ValueError, "emissions"),
    ({"emissions": [[0.5, 0.6], [0.1, 0.9]]}, ValueError, "emissions"),
    ({"emissions": [[1e400, 0.5], [0.1, 0.9]]}, ValueError, "emissions"),
])
def test_categorical_params_are_checked(kwargs, error, name):
    base = {"initial": CAT.initial, "transitions": CAT.transitions, "emissions": CAT.emissions}
    with pytest.raises(error, match=name):
        hmm.CategoricalHMMParams(**{**base, **kwargs})


@pytest.mark.parametrize("kwargs, name", [
    ({"means": [[0.0], [1.0], [2.0]]}, "means"),
    ({"means": [0.0, 1.0]}, "means"),
    ({"covariances": [[[1.0]], [[-1.0]]]}, "covariances"),
    ({"covariances": [[1.0], [1.0]]}, "covariances"),
])
def test_gaussian_params_are_checked(kwargs, name):
    base = {"initial": GAUSS.initial, "transitions": GAUSS.transitions, "means": GAUSS.means,
            "covariances": GAUSS.covariances}
    with pytest.raises((ValueError, TypeError), match=name):
        hmm.GaussianHMMParams(**{**base, **kwargs})


@pytest.mark.parametrize("function", [hmm.forward_backward, hmm.e_step, hmm.log_likelihood,
                                      hmm.viterbi])
@pytest.mark.parametrize("X, params, lengths, name", [
    ([0, 1, 2], CAT, None, "X"),              # symbol 2 with 2 symbols
    ([0, -1], CAT, None, "X"),
    ([0, 1.5], CAT, None, "X"),
    ([True, False], CAT, None, "X"),
    ("0101", CAT, None, "X"),
    ([[0, 1]], CAT, None, "X"),
    ([0, 1e300], CAT, None, "X"),
    ([0, 1, 1], CAT, [2, 2], "lengths"),
    ([0, 1, 1], CAT, [3, 0], "lengths"),
    ([0, 1, 1], CAT, [1.5, 1.5], "lengths"),
    ([0, 1, 1], CAT, [True, True, True], "lengths"),
    ([0, 1, 1], CAT, "abc", "lengths"),
    ([0.0, 1.0], GAUSS, None, "X"),           # 1-D: reshape(-1, 1)
    ([[0.0, 1.0]], GAUSS, None, "X"),         # D = 2 against D = 1
    ([[0.0], [np.inf]], GAUSS, None, "X"),
    ([[1j], [0.0]], GAUSS, None, "X"),
    ([0, 1], "params", None, "params"),
    ([0, 1], gmm.GaussianMixtureParams([1.0], [[0.0]], [[[1.0]]]), None, "params"),
])
def test_bad_input_is_named(function, X, params, lengths, name):
    with pytest.raises((ValueError, TypeError), match=name):
        function(X, params, lengths=lengths)


def test_other_public_functions_check_their_arguments():
    X = np.array([0, 1, 1, 0])
    resp, xi, _ = hmm.e_step(X, CAT)
    with pytest.raises(ValueError, match="resp"):
        hmm.expected_statistics(X, resp[:3], xi, CAT)
    with pytest.raises(ValueError, match="resp"):
        hmm.expected_statistics(X, 2 * resp, xi, CAT)
    with pytest.raises(ValueError, match="xi"):
        hmm.expected_statistics(X, resp, xi[:, 0], CAT)
    with pytest.raises(ValueError, match="xi"):
        hmm.expected_statistics(X, resp, 2 * xi, CAT)
    statistics = hmm.expected_statistics(X, resp, xi, CAT)
    with pytest.raises(TypeError, match="statistics"):
        hmm.m_step(statistics, GAUSS)
    with pytest.raises(TypeError, match="params"):
        hmm.m_step(statistics, "params")
    with pytest.raises(ValueError, match="reg_covar"):
        hmm.m_step(statistics, CAT, reg_covar=-1.0)
    for bad, name in [(0, "lengths"), ([3, 0], "lengths"), ("10", "lengths")]:
        with pytest.raises((ValueError, TypeError), match=name):
            hmm.sample(CAT, bad)
    with pytest.raises(TypeError, match="random_state"):
        hmm.sample(CAT, 5, random_state="seed")
    with pytest.raises(ValueError, match="self_transition"):
        hmm.sticky_transitions(2, 1.5)
    with pytest.raises(ValueError, match="n_states"):
        hmm.sticky_transitions(1, 0.5)
    with pytest.raises(TypeError, match="mixture"):
        hmm.from_mixture(CAT)
    with pytest.raises(ValueError, match="emissions"):
        hmm.init_params(X, 2, emissions="poisson")
    with pytest.raises(ValueError, match="n_symbols"):
        hmm.fit(X, 2, emissions="categorical", n_symbols=1)
    with pytest.raises(ValueError, match="emissions"):
        hmm.fit(X, 2, init=CAT, emissions="gaussian")
    with pytest.raises(ValueError, match="states"):
        hmm.fit(X, 3, init=CAT)
    with pytest.raises(TypeError, match="params"):
        ref.enumerate_paths(X, "params")


# --------------------------------------------------------------------------------------------
# Plotting (Agg): the widget's function draws the decodings of emlib.hmm
# --------------------------------------------------------------------------------------------
def test_plot_decoding_draws_the_viterbi_and_posterior_paths():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from emlib.plotting import plot_decoding, plot_hmm_sequence, plot_transitions

    truth = hmm.GaussianHMMParams([0.5, 0.5], hmm.sticky_transitions(2, 0.95), [[0.0], [1.5]],
                                  [[[1.0]], [[1.0]]])
    X, states = hmm.sample(truth, 120, random_state=0)
    top, bottom = plot_decoding(X, truth, true_states=states)
    path, _ = hmm.viterbi(X, truth)
    posterior = hmm.e_step(X, truth)[0].argmax(axis=1)
    lines = {line.get_label(): line for line in bottom.get_lines()}
    np.testing.assert_array_equal(lines["Viterbi path (scaled)"].get_ydata(), path)
    decoded = lines[r"posterior decoding $\arg\max_k \gamma_t(k)$"].get_ydata()
    np.testing.assert_allclose(decoded, posterior + 0.03)
    switches = int(np.sum(np.diff(path) != 0))
    assert f"Viterbi: {switches} switches" in top.get_title()
    assert f"Viterbi {np.mean(path == states):.0%}" in top.get_title()
    assert bottom.get_xlabel() == "time step $t$" and top.get_ylabel() == "observation"
    # A stickier chain switches less (the widget's lesson).
    loose = hmm.GaussianHMMParams([0.5, 0.5], hmm.sticky_transitions(2, 0.5), truth.means,
                                  truth.covariances)
    assert np.sum(np.diff(hmm.viterbi(X, loose)[0]) != 0) > switches
    ax = plot_transitions(truth.transitions, labels=["low", "high"])
    assert [t.get_text() for t in ax.texts] == ["0.95", "0.05", "0.05", "0.95"]
    ax = plot_hmm_sequence(X, truth, states, ax=plt.figure().gca())
    assert len(ax.collections) == 2
    with pytest.raises(ValueError, match="true_states"):
        plot_decoding(X, truth, true_states=states[:-1])
    with pytest.raises(TypeError, match="params"):
        plot_decoding(X, "params")
    with pytest.raises(ValueError, match="state"):
        plot_decoding(X, truth, state=2)
    with pytest.raises(ValueError, match="transitions"):
        plot_transitions([[0.5, 0.6], [0.5, 0.5]])
    plt.close("all")


def test_bench_hmm_quick_runs_and_agrees_with_hmmlearn():
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_hmm.py"
    output = subprocess.run([sys.executable, str(script), "--quick"], capture_output=True,
                            text=True, check=True, timeout=300).stdout
    rows = [line.split() for line in output.splitlines()[1:] if line.strip()]
    assert len(rows) == 8, output
    for row in rows:
        assert float(row[-1]) < 1e-8, f"emlib and hmmlearn disagree: {row}"


def test_geyser_is_the_mass_sequence_in_time_order():
    from emlib import datasets

    X = datasets.geyser()
    assert X.shape == (299, 2) and X.dtype == np.float64
    np.testing.assert_allclose(X[:3], [[4.0166667, 80.0], [2.15, 71.0], [4.0, 57.0]])
    X[0, 0] = -1.0                                   # a fresh copy on every call
    assert datasets.geyser()[0, 0] == pytest.approx(4.0166667)
    duration, waiting = X[:, 0], X[:, 1]
    # The waiting time is the one *before* each eruption (MASS >= 7.3-30): it follows the
    # previous duration closely and the same eruption's only weakly.
    assert np.corrcoef(waiting[1:], duration[:-1])[0, 1] > 0.85
    assert np.corrcoef(waiting, duration)[0, 1] < -0.5
    assert np.sum(duration == 4.0) == 53 and np.sum(duration == 2.0) == 23   # night-time codes
