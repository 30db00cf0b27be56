"""EM at scale: time to a target for batch, incremental and stepwise EM; rows per second in
memory and on Dask with 1 and 2 worker processes; memory per worker.

(a) Time to target. A K = 5 Gaussian mixture in D dimensions, N rows, one poor start (k-means++
on the first 2,000 rows). The optimum is batch EM run to tol 1e-9 (not timed); the target is
its per-sample log-likelihood minus 1e-3. Each algorithm records θ and the clock at every iterate
(stepwise: every 10 steps) through the driver's callback; θ is evaluated afterwards, so the
evaluation is not timed. Reported: seconds and passes over the data to the first iterate within
the target (median over the repeats), batch EM = ``gmm.fit``, incremental = B = 10 blocks,
stepwise = α = 0.6, m = 10⁴.

(b) Throughput. One E-step (the statistics of all N rows) per iteration: in memory
(``GaussianMixtureModel.e_step``) and on Dask (``emlib.distributed``, chunks of 250,000 rows
persisted on a ``LocalCluster`` of 1 or 2 single-threaded worker processes). Reported: rows per
second (median of the repeats) and the reduce's overhead per iteration = the time of the same
Dask E-step on chunks of one row each (scheduling, θ out, statistics back, additions). Memory:
the largest resident set of a worker after the iterations, beside the chunk size in bytes.

BLAS threads are fixed to 1 (threadpoolctl). The physical floor of one E-step is N·K·(F + F)
multiply-adds with F = 1 + D + D(D+1)/2 (two matrix products through quadratic features).

    python benchmarks/bench_scale.py                  # N = 10⁶ and 3·10⁶, D = 2 (README)
    python benchmarks/bench_scale.py --sizes 10000000 # up to 10⁷ rows
    python benchmarks/bench_scale.py --dims 10 --no-dask  # table (a) in D = 10
    python benchmarks/bench_scale.py --quick          # small, no cluster: a smoke test
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from threadpoolctl import threadpool_limits

from emlib import gmm, online

K = 5


def make_problem(n, d, seed=0):
    rng = np.random.default_rng(seed)
    means = np.zeros((K, d))
    means[:, :2] = [[0, 0], [4, 0], [0, 4], [4, 4], [2, 6.5]]
    truth = gmm.GaussianMixtureParams(np.full(K, 1 / K), means,
                                      [np.diag(rng.uniform(0.4, 1.2, d)) for _ in range(K)])
    X, _ = gmm.sample(truth, n, random_state=seed + 1)
    return X, gmm.init_params(X[:2000], K, random_state=seed + 2)


def time_to_target(X, start, target, algorithm, every=1):
    n = len(X)
    marks = []

    def record(t, state, objective):
        if t % every == 0:
            marks.append((time.perf_counter(), t, getattr(state, "params", state)))

    t0 = time.perf_counter()
    if algorithm == "batch":
        gmm.fit(X, K, init=start, max_iter=100, tol=1e-12, reg_covar=0.0,
                callback=record)
        passes = lambda t: t + 1.0
    elif algorithm == "incremental":
        online.fit_incremental(X, K, n_blocks=10, init=start, max_iter=500, tol=1e-12,
                               reg_covar=0.0, callback=record)
        passes = lambda t: 1.0 + t / 10
    else:
        m = min(10_000, n // 10)
        online.fit_stepwise(X, K, batch_size=m, alpha=0.6, init=start,
                            max_iter=int(10 * n / m), reg_covar=0.0, callback=record)
        passes = lambda t: (t + 1) * m / n
    # Evaluated afterwards, not timed; the first checkpoint within the target by bisection (the
    # log-likelihood rises along each run, up to stepwise EM's noise).
    evaluation = gmm.GaussianMixtureModel(X, reg_covar=0.0)
    reached = lambda i: evaluation.e_step(marks[i][2])[1] / n >= target
    if not reached(len(marks) - 1):
        return float("nan"), float("nan")
    lo, hi = 0, len(marks) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if reached(mid) else (mid + 1, hi)
    clock, t, _ = marks[lo]
    return clock - t0, passes(t)


def throughput(X, start, repeats, n_workers_list, chunk_rows):
    import dask.array as da
    from emlib.distributed import DaskGaussianMixtureModel
    rows = {}
    model = gmm.GaussianMixtureModel(X, reg_covar=0.0)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        model.e_step(start)
        times.append(time.perf_counter() - t0)
    rows["in memory"] = (len(X) / np.median(times), float("nan"), float("nan"))
    if not n_workers_list:                               # the smoke test: no cluster
        chunked = da.from_array(X, chunks=(chunk_rows, X.shape[1]))
        dask_model = DaskGaussianMixtureModel(chunked, reg_covar=0.0, reference=X.mean(axis=0),
                                              scheduler="synchronous")
        t0 = time.perf_counter()
        dask_model.e_step(start)
        rows["dask synchronous"] = (len(X) / (time.perf_counter() - t0), float("nan"),
                                    float("nan"))
    for n_workers in n_workers_list:
        import distributed
        with distributed.LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                                      dashboard_address=None, silence_logs=50,
                                      memory_limit="2GiB") as cluster, \
                distributed.Client(cluster) as client:
            client.run(lambda: threadpool_limits(limits=1) and None)
            chunked = client.persist(da.from_array(X, chunks=(chunk_rows, X.shape[1])))
            distributed.wait(chunked)
            dask_model = DaskGaussianMixtureModel(chunked, reg_covar=0.0,
                                                  reference=X.mean(axis=0), scheduler=client)
            n_chunks = len(chunked.chunks[0])
            tiny = client.persist(da.from_array(X[:n_chunks], chunks=(1, X.shape[1])))
            tiny_model = DaskGaussianMixtureModel(tiny, reg_covar=0.0, reference=X.mean(axis=0),
                                                  scheduler=client)
            dask_model.e_step(start)                                   # warm-up
            times, overhead = [], []
            for _ in range(repeats):
                t0 = time.perf_counter()
                dask_model.e_step(start)
                t1 = time.perf_counter()
                tiny_model.e_step(start)
                times.append(t1 - t0)
                overhead.append(time.perf_counter() - t1)

            def rss():
                import psutil
                return psutil.Process().memory_info().rss
            memory = max(client.run(rss).values())
            rows[f"dask, {n_workers} worker{'s' if n_workers > 1 else ''}"] = (
                len(X) / np.median(times), np.median(overhead), memory)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small problem, one repeat")
    parser.add_argument("--sizes", type=int, nargs="*", default=None)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-dask", action="store_true", help="only table (a)")
    parser.add_argument("--dims", type=int, nargs="*", default=[2], help="D of table (a)")
    args = parser.parse_args()
    sizes = [20_000] if args.quick else (args.sizes or [1_000_000, 3_000_000])
    repeats = 1 if args.quick else args.repeats
    chunk_rows = 5_000 if args.quick else 250_000
    with threadpool_limits(limits=1):
        print("# (a) time to within 1e-3 nats per sample of batch EM's optimum (median)")
        print(f"{'N':>10} {'D':>3} {'algorithm':>12} {'seconds':>9} {'passes':>7}")
        for n, d in ((n, d) for d in args.dims for n in sizes):
            X, start = make_problem(n, d)
            optimum = gmm.fit(X, K, init=start, max_iter=500, tol=1e-9,
                              reg_covar=0.0).objectives[-1] / n
            for algorithm in ("batch", "incremental", "stepwise"):
                runs = [time_to_target(X, start, optimum - 1e-3, algorithm,
                                       every=10 if algorithm == "stepwise" else 1)
                        for _ in range(repeats)]
                seconds = np.median([r[0] for r in runs])
                print(f"{n:>10} {d:>3} {algorithm:>12} {seconds:>9.2f} {runs[0][1]:>7.2f}")
        if args.no_dask:
            return
        print("# (b) one E-step over all rows: rows per second (median), reduce overhead, memory")
        print(f"{'N':>10} {'where':>16} {'rows/s':>12} {'overhead_s':>11} {'worker_MB':>10} "
              f"{'chunk_MB':>9}")
        n = sizes[-1]
        X, start = make_problem(n, 2)
        workers = () if args.quick else (1, 2)        # --quick: dask's synchronous scheduler
        for where, (rate, overhead, memory) in throughput(X, start, repeats, workers,
                                                          chunk_rows).items():
            print(f"{n:>10} {where.replace(' ', '_'):>16} {rate:>12.3g} {overhead:>11.3f} "
                  f"{memory / 2**20:>10.0f} {chunk_rows * 2 * 8 / 2**20:>9.1f}")


if __name__ == "__main__":
    main()
