"""The topic-model benchmark still runs, and emlib still agrees with the dense EM in it
(timings and memory are not tested)."""

import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def test_bench_topics_quick_runs_and_agrees_with_dense_em():
    output = subprocess.run([sys.executable, str(BENCHMARKS / "bench_topics.py"), "--quick",
                             "--no-lda"],
                            capture_output=True, text=True, check=True, timeout=300).stdout
    rows = [line.split() for line in output.splitlines()[2:] if line.strip()]
    assert [row[0] for row in rows] == ["1%", "2%", "4%"], output
    for row in rows:
        assert float(row[-1]) < 1e-12, f"emlib and the dense EM disagree: {row}"
        assert int(row[1]) > 0
