"""emlib.convergence: the EM map's Jacobian, the measured rate, SQUAREM on the driver."""

import numpy as np
import pytest

from emlib import convergence, missing


class LinearMap:
    """A toy 'EM' whose map is θ ↦ b + Aθ exactly, with objective −‖θ − θ̂‖² (which that map
    never decreases when A is symmetric with eigenvalues in [0, 1))."""

    objective_name = "objective"
    n_items = 1.0

    def __init__(self, A, b):
        self.A, self.b = A, b
        self.fixed = np.linalg.solve(np.eye(len(b)) - A, b)

    def e_step(self, theta):
        return theta, -float(np.sum((theta - self.fixed) ** 2))

    def m_step(self, statistics, theta):
        return self.b + self.A @ statistics

    def params_to_vector(self, theta):
        return np.asarray(theta)

    def params_from_vector(self, vector):
        return np.asarray(vector, dtype=float)


def toy():
    Q = np.linalg.qr(np.random.default_rng(0).normal(size=(3, 3)))[0]
    return LinearMap(Q @ np.diag([0.95, 0.5, 0.1]) @ Q.T, np.array([1.0, -2.0, 0.5]))


def test_jacobian_of_a_linear_map_is_its_matrix():
    model = toy()
    np.testing.assert_allclose(convergence.em_map_jacobian(model, model.fixed), model.A, atol=1e-9)


def test_observed_rate_is_the_largest_eigenvalue():
    model = toy()
    iterates = [np.zeros(3)]
    for _ in range(400):
        iterates.append(convergence.em_map(model, iterates[-1]))
    np.testing.assert_allclose(convergence.observed_rate(np.array(iterates), model.fixed), 0.95,
                               atol=1e-6)
    ratios = convergence.error_ratios(np.array(iterates[:3]), model.fixed)
    assert ratios.shape == (2,)


def test_squarem_is_exact_on_a_linear_map_and_keeps_the_contract():
    model = toy()
    result = convergence.squarem(model, np.zeros(3), max_iter=50, tol=1e-20)
    np.testing.assert_allclose(result.params, model.fixed, atol=1e-8)
    assert np.all(np.diff(result.objectives) >= 0)
    assert result.n_em_steps < 60 and result.objectives.shape == (result.n_iter + 1,)


def test_squarem_on_missing_data_matches_plain_em():
    rng = np.random.default_rng(3)
    X = missing.sample(missing.GaussianParams([0.0, 1.0], [[1.0, 0.8], [0.8, 1.0]]), 300,
                       random_state=rng)
    X = missing.ampute(X, 0.8, "MAR", random_state=rng)
    plain = missing.fit(X, tol=0.0, max_iter=600)
    fast = missing.fit(X, tol=1e-14, acceleration="squarem")
    np.testing.assert_allclose(fast.params.covariance, plain.params.covariance, atol=1e-8)
    assert fast.n_em_steps < plain.n_iter / 4


def test_bad_arguments():
    model = toy()
    with pytest.raises(TypeError, match="params_to_vector"):
        convergence.squarem(object(), np.zeros(3))
    with pytest.raises(TypeError, match="e_step"):
        convergence.em_map("model", np.zeros(3))
    with pytest.raises(ValueError, match="step"):
        convergence.em_map_jacobian(model, np.zeros(3), step=0.0)
    with pytest.raises(ValueError, match="max_iter"):
        convergence.squarem(model, np.zeros(3), max_iter=-1)
    with pytest.raises(ValueError, match="iterates"):
        convergence.error_ratios(np.zeros((3, 2)), np.zeros(3))
    with pytest.raises(ValueError, match="floor"):
        convergence.observed_rate(np.zeros((5, 3)) + 1.0, np.zeros(3))
    with pytest.raises(TypeError, match="iterates"):
        convergence.observed_rate("abc", np.zeros(3))
