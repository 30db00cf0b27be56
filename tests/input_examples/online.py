"""Input-contract rows for emlib.online (incremental and stepwise EM, the stream)."""

from __future__ import annotations

import numpy as np

from emlib import gmm, online
from input_contract import Example, noop


def _X():
    rng = np.random.default_rng(0)
    return np.vstack([rng.normal(0.0, 1.0, (8, 2)), rng.normal(3.0, 0.5, (8, 2))])


def _params():
    return gmm.GaussianMixtureParams([0.5, 0.5], [[0.0, 0.0], [3.0, 3.0]],
                                     [np.eye(2), 0.25 * np.eye(2)])


def _statistics():
    return gmm.expected_statistics(_X(), gmm.e_step(_X(), _params())[0])


def _check_fit(result, kw):
    mixture = result.mixture
    np.testing.assert_allclose(mixture.weights.sum(), 1.0, atol=1e-8)
    assert result.passes.shape == result.objectives.shape


def _check_incremental(result, kw):
    _check_fit(result, kw)
    steps = np.diff(result.objectives)
    if kw.get("reg_covar") == 0.0 and steps.size:
        assert np.all(steps >= -1e-9 * np.abs(result.objectives).max())


def _check_q(value, kw):
    # Q(θ; s) <= log p(X | θ) − H[q] <= log p(X | θ) (the ELBO is a lower bound, H >= 0).
    assert value <= gmm.log_likelihood(_X(), kw["params"]) + 1e-9


def _check_stream(stream, kw):
    stream.partial_fit(_X())
    assert stream.n_steps == 1
    np.testing.assert_allclose(stream.params.weights.sum(), 1.0, atol=1e-8)


def _check_step(eta, kw):
    assert 0.0 < eta <= 1.0


EXAMPLES = {
    "online.step_size": Example(lambda: dict(t=3, alpha=0.7), {"t": "int", "alpha": "real"},
                                check=_check_step),
    "online.expected_complete_log_likelihood": Example(
        lambda: dict(statistics=_statistics(), params=_params()),
        {"statistics": "object", "params": "object"}, check=_check_q),
    "online.fit_incremental": Example(
        lambda: dict(X=_X(), n_components=2, n_blocks=3, init="kmeans++", max_iter=6, tol=1e-6,
                     reg_covar=1e-6, random_state=0, callback=noop),
        {"X": "array", "n_components": "int", "n_blocks": "int", "init": "choice",
         "max_iter": "int", "tol": "real", "reg_covar": "real", "random_state": "seed",
         "callback": "callable"}, check=_check_incremental),
    "online.fit_stepwise": Example(
        # The full batch and η = 1, so that tol stops it (max_iter is attacked with 10**15).
        lambda: dict(X=_X(), n_components=2, batch_size=16, alpha=0.0, init="kmeans++",
                     max_iter=6, tol=1e-6, reg_covar=1e-6, random_state=0, callback=noop),
        {"X": "array", "n_components": "int", "batch_size": "int", "alpha": "real",
         "init": "choice", "max_iter": "int", "tol": "real", "reg_covar": "real",
         "random_state": "seed", "callback": "callable"}, check=_check_fit),
    "online.IncrementalModel": Example(
        lambda: dict(X=_X(), n_blocks=2, reg_covar=1e-6, reference=[1.0, 1.0]),
        {"X": "array", "n_blocks": "int", "reg_covar": "real", "reference": "array"}),
    "online.StepwiseModel": Example(
        lambda: dict(X=_X(), batch_size=4, alpha=0.7, reg_covar=1e-6, reference=[1.0, 1.0]),
        {"X": "array", "batch_size": "int", "alpha": "real", "reg_covar": "real",
         "reference": "array"}),
    "online.GaussianMixtureStream": Example(
        lambda: dict(init=_params(), alpha=0.7, n_items=16.0, reg_covar=1e-6,
                     reference=[1.0, 1.0]),
        {"init": "object", "alpha": "real", "n_items": "real", "reg_covar": "real",
         "reference": "array"}, check=_check_stream),
}

SKIPPED = {
    "online.IncrementalState": "state record (the models check it at their e_step)",
    "online.StepwiseState": "state record (the models check it at their e_step)",
    "online.OnlineResult": "result record",
}


# ---- emlib.distributed (a Dask array in; the attacks pass NumPy arrays, refused naming X) ------
def _dask_X():
    import dask.array as da
    return da.from_array(_X(), chunks=8)


def _check_dask_fit(result, kw):
    np.testing.assert_allclose(result.params.weights.sum(), 1.0, atol=1e-8)


EXAMPLES.update({
    "distributed.is_dask_array": Example(lambda: dict(X=_dask_X()), {}),
    "distributed.DaskGaussianMixtureModel": Example(
        lambda: dict(X=_dask_X(), reg_covar=1e-6, reference=[1.0, 1.0], scheduler="synchronous"),
        {"X": "array", "reg_covar": "real", "reference": "array"}),
    "distributed.fit": Example(
        lambda: dict(X=_dask_X(), n_components=2, init="kmeans++", max_iter=5, tol=1e-6,
                     reg_covar=1e-6, random_state=0, scheduler="synchronous", init_sample=16),
        {"n_components": "int", "init": "choice", "max_iter": "int", "tol": "real",
         "reg_covar": "real", "random_state": "seed", "init_sample": "int"},
        check=_check_dask_fit),
})


# ---- emlib.plotting.scale ---------------------------------------------------------------------
EXAMPLES["plotting.scale.plot_stepwise"] = Example(
    lambda: dict(X=_X(), init=_params(), optimum=-3.0, alpha=0.7, batch_size=4, n_passes=1.0),
    {"X": "array", "init": "object", "optimum": "real", "alpha": "real", "batch_size": "int",
     "n_passes": "real"})
