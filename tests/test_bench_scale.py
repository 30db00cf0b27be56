"""benchmarks/bench_scale.py --quick still runs and prints its two tables (timings not tested)."""

import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def test_bench_scale_quick_runs():
    output = subprocess.run([sys.executable, str(BENCHMARKS / "bench_scale.py"), "--quick"],
                            capture_output=True, text=True, check=True, timeout=300).stdout
    rows = [line.split() for line in output.splitlines() if line.strip() and not line.startswith("#")]
    assert rows[0] == ["N", "D", "algorithm", "seconds", "passes"], output
    assert [row[2] for row in rows[1:4]] == ["batch", "incremental", "stepwise"], output
    assert rows[4][:2] == ["N", "where"], output
    assert [row[1] for row in rows[5:7]] == ["in_memory", "dask_synchronous"], output
    for row in rows[5:7]:
        assert float(row[2]) > 0                              # rows per second, any value
