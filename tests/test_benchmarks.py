"""The benchmark scripts still run and still compare equal results (timings are not tested: on a
shared machine a per-iteration time, a difference of two run times, can even come out negative)."""

import subprocess
import sys
from pathlib import Path

import numpy as np

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def test_bench_gmm_quick_runs_and_agrees_with_scikit_learn():
    output = subprocess.run([sys.executable, str(BENCHMARKS / "bench_gmm.py"), "--quick"],
                            capture_output=True, text=True, check=True, timeout=300).stdout
    lines = [line for line in output.splitlines() if line.strip() and not line.startswith("#")]
    rows = [line.split() for line in lines[1:]]
    assert lines[0].split()[:3] == ["N", "D", "K"] and len(rows) == 4, output
    for row in rows:
        assert all(np.isfinite(float(value)) for value in row[3:]), f"a figure is not a number: {row}"
        assert float(row[-1]) < 1e-8, f"emlib and scikit-learn disagree: {row}"
