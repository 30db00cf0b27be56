"""The LDA benchmark still runs and prints one row per corpus with finite, comparable
perplexities (timings are not tested: a shared machine makes them noisy)."""

import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def test_bench_lda_quick_runs_and_the_perplexities_agree():
    output = subprocess.run([sys.executable, str(BENCHMARKS / "bench_lda.py"), "--quick"],
                            capture_output=True, text=True, check=True, timeout=300).stdout
    rows = [line.split() for line in output.splitlines()[1:] if line.strip()]
    assert [row[0] for row in rows] == ["synthetic-small"], output
    row = rows[0]
    assert len(row) == 14 and int(row[3]) > 0
    perplexity_ours, perplexity_theirs = float(row[-3]), float(row[-2])
    assert 1 < perplexity_ours < 500 and 1 < perplexity_theirs < 500
    assert float(row[-1]) < 0.25, f"emlib and scikit-learn reach different levels: {row}"
