"""Distributed EM (emlib.distributed.fit, a Dask array in) under the EM contract, on dask's
synchronous scheduler (the cluster is tested in tests/test_distributed.py)."""

import pytest

from contract_cases.gmm import GMM_BAD_ARGUMENTS, arrays, make_problem
from em_contract import DRIVER_BAD_ARGUMENTS, ContractCase
from emlib import gmm

da = pytest.importorskip("dask.array")


def fit(problem, **kwargs):
    from emlib import distributed
    X = da.from_array(problem["X"], chunks=max(1, len(problem["X"]) // 3))
    return distributed.fit(X, problem["n_components"],
                           **{"reg_covar": 0.0, "scheduler": "synchronous", **kwargs})


CASES = [
    ContractCase(
        name="distributed",
        make_problem=make_problem,
        fit=fit,
        objective=lambda p, params: gmm.log_likelihood(p["X"], params),
        arrays=arrays,
        bad_arguments=DRIVER_BAD_ARGUMENTS + [b for b in GMM_BAD_ARGUMENTS if b[1] != "prior"],
    ),
]
