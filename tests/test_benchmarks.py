"""The benchmark scripts still run and still compare equal results (timings are not tested)."""

import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def test_bench_gmm_quick_runs_and_agrees_with_scikit_learn():
    output = subprocess.run([sys.executable, str(BENCHMARKS / "bench_gmm.py"), "--quick"],
                            capture_output=True, text=True, check=True, timeout=300).stdout
    rows = [line.split() for line in output.splitlines()[1:] if line.strip()]
    assert len(rows) == 4, output
    for row in rows:
        assert float(row[-1]) < 1e-8, f"emlib and scikit-learn disagree: {row}"
