"""Time emlib.gmm.fit against scikit-learn's GaussianMixture, side by side in one process.

Both start from the same parameters and run the same number of EM iterations (tol=0) with one
BLAS thread. The per-iteration time is the difference between a long and a short run divided by
the difference in iterations, which cancels set-up and the final E-step. Runs alternate between
the two libraries; the median over repeats is reported, with the ratio emlib / scikit-learn and
the largest relative difference between the fitted parameters.

    python benchmarks/bench_gmm.py            # the four README cases
    python benchmarks/bench_gmm.py --quick    # smaller, for a smoke test
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_limits

from emlib import gmm

CASES = [(200_000, 2, 5), (50_000, 10, 5), (20_000, 50, 5), (100_000, 2, 20)]


def make_problem(n_samples, n_features, n_components, seed=0):
    """Well-separated random clusters and a k-means++ start shared by both libraries."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=4.0, size=(n_components, n_features))
    labels = rng.integers(n_components, size=n_samples)
    X = centres[labels] + rng.normal(size=(n_samples, n_features)) * rng.uniform(0.5, 1.5, n_features)
    start = gmm.init_params(X, n_components, random_state=seed)
    return X, start


def run_emlib(X, start, n_iter):
    return gmm.fit(X, start.n_components, init=start, max_iter=n_iter, tol=0.0).params


def run_sklearn(X, start, n_iter):
    model = GaussianMixture(start.n_components, covariance_type="full", tol=0.0, max_iter=n_iter,
                            reg_covar=1e-6, weights_init=start.weights, means_init=start.means,
                            precisions_init=np.linalg.inv(start.covariances))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X)
    return model


def per_iteration(run, X, start, short, long_):
    t0 = time.perf_counter()
    run(X, start, short)
    t1 = time.perf_counter()
    run(X, start, long_)
    t2 = time.perf_counter()
    return ((t2 - t1) - (t1 - t0)) / (long_ - short)


def relative_difference(params, model):
    pairs = [(params.weights, model.weights_), (params.means, model.means_),
             (params.covariances, model.covariances_)]
    return max(np.max(np.abs(a - b)) / np.max(np.abs(b)) for a, b in pairs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small problems, few repeats")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    cases = [(n // 20, d, k) for n, d, k in CASES] if args.quick else CASES
    repeats = 2 if args.quick else args.repeats
    short, long_ = 2, 22

    print(f"{'N':>8} {'D':>3} {'K':>3}  {'emlib ms/it':>11}  {'sklearn ms/it':>13}  "
          f"{'ratio':>6}  {'max rel diff':>12}")
    with threadpool_limits(limits=1):
        for n_samples, n_features, n_components in cases:
            X, start = make_problem(n_samples, n_features, n_components)
            run_emlib(X, start, short)                   # warm-up: first-touch page faults, caches
            run_sklearn(X, start, short)
            ours, theirs = [], []
            for _ in range(repeats):                     # alternate to share any drift
                ours.append(per_iteration(run_emlib, X, start, short, long_))
                theirs.append(per_iteration(run_sklearn, X, start, short, long_))
            t_ours, t_theirs = np.median(ours), np.median(theirs)
            diff = relative_difference(run_emlib(X, start, long_), run_sklearn(X, start, long_))
            print(f"{n_samples:>8} {n_features:>3} {n_components:>3}  {1e3 * t_ours:>11.2f}  "
                  f"{1e3 * t_theirs:>13.2f}  {t_ours / t_theirs:>6.3f}  {diff:>12.1e}", flush=True)


if __name__ == "__main__":
    main()
