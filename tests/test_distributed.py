"""Distributed EM (emlib.distributed, reached through gmm.fit with a Dask array): the same
parameters as the in-memory fit from the same start, on the synchronous scheduler and on a
2-worker LocalCluster of processes, also when a worker is killed mid-fit; dask never imported
by emlib's core."""

import os
import signal
import subprocess
import sys

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

from emlib import gmm  # noqa: E402
from emlib.distributed import DaskGaussianMixtureModel  # noqa: E402

TRUTH = gmm.GaussianMixtureParams([0.3, 0.3, 0.4], [[0.0, 0.0], [3.0, 0.0], [0.0, 3.0]],
                                  [0.5 * np.eye(2), [[0.5, 0.2], [0.2, 0.5]], 0.8 * np.eye(2)])
N_ITER = 8


@pytest.fixture(scope="module")
def data():
    X, _ = gmm.sample(TRUTH, 6000, random_state=0)
    start = gmm.init_params(X, 3, random_state=1)
    return X, start, gmm.fit(X, 3, init=start, max_iter=N_ITER, tol=0.0, reg_covar=0.0)


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=50) as cluster:
        with distributed.Client(cluster) as client:
            yield client


def _check_same(result, reference, atol=1e-10):
    assert type(result) is type(reference)
    for a, b in [(result.params.weights, reference.params.weights),
                 (result.params.means, reference.params.means),
                 (result.params.covariances, reference.params.covariances)]:
        np.testing.assert_allclose(a, b, rtol=0.0, atol=atol)
    np.testing.assert_allclose(result.objectives, reference.objectives, rtol=1e-12)


def test_dask_array_gives_the_in_memory_fit(data):
    X, start, in_memory = data
    result = gmm.fit(da.from_array(X, chunks=1000), 3, init=start, max_iter=N_ITER, tol=0.0,
                     reg_covar=0.0)
    _check_same(result, in_memory)
    np.testing.assert_allclose(result.resp[:50].compute(scheduler="synchronous"),
                               in_memory.resp[:50], atol=1e-10)


def test_the_check_fails_when_a_chunk_is_dropped(data):
    """A wrong reduce (the last chunk's statistics lost) is caught by the same comparison."""
    X, start, in_memory = data
    result = gmm.fit(da.from_array(X[:-1000], chunks=1000), 3, init=start, max_iter=N_ITER,
                     tol=0.0, reg_covar=0.0)
    with pytest.raises(AssertionError):
        _check_same(result, in_memory)


def test_a_bad_dask_input_names_X():
    with pytest.raises(TypeError, match="X"):
        DaskGaussianMixtureModel(np.zeros((4, 2)))
    with pytest.raises(TypeError, match="X"):
        DaskGaussianMixtureModel(da.from_array(np.array([["a", "b"]])))
    with pytest.raises(ValueError, match="X"):
        DaskGaussianMixtureModel(da.from_array(np.array([[1.0, np.nan]])))


def test_emlib_core_does_not_import_dask():
    code = ("import sys, emlib, emlib.em, emlib.gmm, emlib.online, emlib.distributed; "
            "assert 'dask' not in sys.modules, 'dask imported'")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


def test_two_workers_and_a_killed_worker_give_the_same_result(data, client):
    """One fit on the cluster, one worker process killed (SIGKILL) after iteration 2: its
    persisted chunks are lost and Dask recomputes them; the parameters are the in-memory ones.
    (Cheap: 4 chunks, 4 iterations; the cluster's start-up is most of the time.)"""
    X, start, _ = data
    in_memory = gmm.fit(X, 3, init=start, max_iter=4, tol=0.0, reg_covar=0.0)
    chunked = client.persist(da.from_array(X, chunks=1500))      # chunks live on the workers
    pids = client.run(os.getpid)                                  # worker address -> pid
    assert len(pids) == 2
    killed = []

    def kill_one_worker(t, params, objective):
        if t == 2:                                                # mid-fit
            os.kill(next(iter(pids.values())), signal.SIGKILL)
            killed.append(t)

    result = gmm.fit(chunked, 3, init=start, max_iter=4, tol=0.0, reg_covar=0.0,
                     callback=kill_one_worker)                    # the Client is the default
    assert killed == [2]
    _check_same(result, in_memory)
