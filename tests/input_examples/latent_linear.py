"""Input-contract rows for emlib.latent_linear (PPCA and factor analysis, lecture 06): eight
points in three dimensions, one latent dimension, a few iterations."""

from __future__ import annotations

import numpy as np

from emlib import latent_linear
from input_contract import Example, noop


def _X():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(8, 1))
    return z @ np.array([[1.0, 0.5, -0.8]]) + 0.3 * rng.normal(size=(8, 3))


def _params():
    return latent_linear.LatentLinearParams([0.0, 0.0, 0.0], [[1.0], [0.5], [-0.8]],
                                            [0.1, 0.1, 0.1])


def _posterior():
    latent_means, latent_covariance, _ = latent_linear.e_step(_X(), _params())
    return latent_means, latent_covariance


def _check_usable(params, kw):
    """Parameters that construct also evaluate, at points one unit from the mean."""
    points = params.mean + np.eye(params.n_features)
    assert np.isfinite(latent_linear.log_likelihood(np.vstack([points, points[::-1] * 0.5
                                                               + 0.5 * params.mean]), params))


def _check_model(model, kw):
    statistics, objective = model.e_step(_params())
    assert np.isfinite(objective)


EXAMPLES = {
    "latent_linear.LatentLinearParams": Example(
        lambda: dict(mean=[0.0, 0.0, 0.0], loadings=[[1.0], [0.5], [-0.8]],
                     noise_variance=[0.1, 0.2, 0.1]),
        {"mean": "array", "loadings": "array", "noise_variance": "array"},
        check=_check_usable),
    "latent_linear.LatentLinearModel": Example(
        lambda: dict(X=_X(), noise="diagonal"), {"X": "array", "noise": "choice"},
        check=_check_model),
    "latent_linear.e_step": Example(
        lambda: dict(X=_X(), params=_params()), {"X": "array", "params": "object"}),
    "latent_linear.m_step": Example(
        lambda: dict(X=_X(), latent_means=_posterior()[0], latent_covariance=_posterior()[1],
                     noise="isotropic"),
        {"X": "array", "latent_means": "array", "latent_covariance": "array",
         "noise": "choice"}, check=_check_usable),
    "latent_linear.log_likelihood": Example(
        lambda: dict(X=_X(), params=_params()), {"X": "array", "params": "object"},
        check=lambda r, kw: None),
    "latent_linear.model_covariance": Example(
        lambda: dict(params=_params()), {"params": "object"}),
    "latent_linear.ppca_maximum_likelihood": Example(
        lambda: dict(X=_X(), n_components=1), {"X": "array", "n_components": "int"},
        check=_check_usable),
    "latent_linear.init_params": Example(
        lambda: dict(X=_X(), n_components=1, random_state=0),
        {"X": "array", "n_components": "int", "random_state": "seed"}, check=_check_usable),
    # tol loose enough that the attack max_iter=10**15 stops in a few iterations (at 1e-8 factor
    # analysis crept on for 13 s).
    "latent_linear.fit": Example(
        lambda: dict(X=_X(), n_components=1, noise="diagonal", init=None, max_iter=3, tol=1e-3,
                     callback=noop, random_state=0),
        {"X": "array", "n_components": "int", "noise": "choice", "init": "object",
         "max_iter": "int", "tol": "real", "callback": "callable", "random_state": "seed"}),
}

SKIPPED = {
    "latent_linear.LatentLinearResult": "result record",
    # Only LatentLinearModel.e_step builds one and only its m_step reads it; the public m_step
    # takes the E-step's posteriors, attacked above.
    "latent_linear.LatentLinearStatistics": "statistics record of LatentLinearModel",
}
